/* rulecases.h: the reader of the rule cases (tests/rules/NN-name.cases; format:
 * tests/rules/README.md), shared by test_rulecases and test_hostile_helo
 * (header only, like tap.h).
 *
 *   n = rulecases_each(dir, fn, arg);
 *
 * calls fn for every case of every *.cases file in dir, files in name
 * order, and returns the number of cases.  A malformed line or a case
 * without a class is reported as a failed TAP test.  The case and its
 * strings belong to the reader and are freed after fn returns. */
#ifndef EW_RULECASES_H
#define EW_RULECASES_H
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "tap.h"
#include "xmalloc.h"

#define RULECASE_MAXPRE 16

struct rulecase {
	char *file;
	int lineno;
	char *line;
	char *pre[RULECASE_MAXPRE];
	int npre;
	char *cls;
	char *want[FIELD_N];    /* expected field values; "-" = absent */
	int suspicious;         /* -1 unchecked, 0 no, 1 yes */
	int counted;            /* 0: a repeat of a once-per-message class */
};

typedef void rulecase_fn(void *arg, const struct rulecase *k);

static void rulecase_release(struct rulecase *k)
{
	int i;

	free(k->line);
	free(k->cls);
	for (i = 0; i < k->npre; i++)
		free(k->pre[i]);
	for (i = 0; i < FIELD_N; i++)
		free(k->want[i]);
	free(k->file);
	memset(k, 0, sizeof *k);
	k->suspicious = -1;
	k->counted = 1;
}

static int rulecases_file(const char *path, const char *name, rulecase_fn *fn,
    void *arg)
{
	FILE *fp = fopen(path, "r");
	static char buf[70000];
	struct rulecase k;
	int lineno = 0, n = 0;

	if (fp == NULL) {
		ok(0, "open %s", path);
		return 0;
	}
	memset(&k, 0, sizeof k);
	k.suspicious = -1;
	k.counted = 1;
	for (;;) {
		char *l = fgets(buf, sizeof buf, fp), *v;
		size_t len;

		lineno++;
		if (l != NULL) {
			len = strlen(l);
			while (len && (l[len - 1] == '\n' || l[len - 1] == '\r'))
				l[--len] = '\0';
			if (l[0] == '#')
				continue;
		}
		if (l == NULL || l[0] == '\0') {
			if (k.line) {
				if (k.cls == NULL)
					ok(0, "%s:%d case without class", name, k.lineno);
				else
					fn(arg, &k);
				n++;
			}
			rulecase_release(&k);
			if (l == NULL)
				break;
			continue;
		}
		v = strchr(l, ':');
		if (v == NULL) {
			ok(0, "%s:%d: not 'key: value'", name, lineno);
			continue;
		}
		*v++ = '\0';
		if (*v == ' ')
			v++;
		if (strcmp(l, "line") == 0) {
			k.line = xstrdup(v);
			k.lineno = lineno;
			k.file = xstrdup(name);
		} else if (strcmp(l, "pre") == 0 && k.npre < RULECASE_MAXPRE) {
			k.pre[k.npre++] = xstrdup(v);
		} else if (strcmp(l, "class") == 0) {
			k.cls = xstrdup(v);
		} else if (strcmp(l, "suspicious") == 0 || strcmp(l, "counted") == 0) {
			int yes = strcmp(v, "yes") == 0;

			if (!yes && strcmp(v, "no") != 0)
				ok(0, "%s:%d: %s must be yes or no", name, lineno, l);
			if (l[0] == 's')
				k.suspicious = yes;
			else
				k.counted = yes;
		} else {
			int f = field_lookup(l, strlen(l));

			if (f < 0 || f == FIELD_HOST || f == FIELD_MSG_SENDER)
				ok(0, "%s:%d: unknown key '%s'", name, lineno, l);
			else
				k.want[f] = xstrdup(v);
		}
	}
	fclose(fp);
	return n;
}

static int rulecases_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int rulecases_each(const char *dir, rulecase_fn *fn, void *arg)
{
	DIR *dp;
	struct dirent *de;
	char *names[256];
	size_t n = 0, i;
	int cases = 0;

	if ((dp = opendir(dir)) == NULL) {
		ok(0, "open %s", dir);
		return 0;
	}
	while ((de = readdir(dp)) != NULL && n < 256) {
		size_t l = strlen(de->d_name);

		if (l > 6 && strcmp(de->d_name + l - 6, ".cases") == 0)
			names[n++] = xstrdup(de->d_name);
	}
	closedir(dp);
	qsort(names, n, sizeof *names, rulecases_cmp);
	for (i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);

		cases += rulecases_file(path, names[i], fn, arg);
		free(path);
		free(names[i]);
	}
	return cases;
}

#endif
