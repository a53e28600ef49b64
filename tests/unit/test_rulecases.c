/* test_rulecases: run the rule cases in tests/rules/ (*.cases; format in
 * tests/rules/README.md) through the real pipeline with the shipped rules:
 * each case's line must get the expected class and fields. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "event.h"
#include "pipeline.h"
#include "rules.h"
#include "tap.h"
#include "xmalloc.h"

#define MAXPRE 16

struct kase {
	char *file;
	int lineno;
	char *line;
	char *pre[MAXPRE];
	int npre;
	char *cls;
	char *want[FIELD_N];    /* expected field values; "-" = absent */
	int suspicious;         /* -1 unchecked, 0 no, 1 yes */
	int counted;            /* 0: a repeat of a once-per-message class */
};

struct seen {
	int cls;
	char *val[FIELD_N];
};

static const struct rules *R;

static void on_event(void *arg, const struct event *cev,
    const struct eximlog_line *ln, const char *line, size_t len)
{
	struct seen *s = arg;
	struct event e = *cev, *ev = &e;
	int f;

	rules_event_fields(R, ln, ev);
	(void)line;
	(void)len;
	s->cls = ev->cls;
	for (f = 0; f < FIELD_N; f++) {
		struct span v = f == FIELD_ACCOUNT ? ev->account : ev->f[f];

		free(s->val[f]);
		s->val[f] = span_ok(v) ? xstrndup(v.p, v.len) : NULL;
	}
}

/* rule_class: the class the rules give the line by themselves (for a
 * line the pipeline does not count: a repeat), or -1 */
static int rule_class(const char *line)
{
	struct eximlog_clock clk;
	struct eximlog_line ln;
	struct rules_scratch *sc = rules_scratch_new(R);
	struct event ev;
	int cls = -1;

	memset(&clk, 0, sizeof clk);
	if (eximlog_parse(&clk, line, strlen(line), &ln) == EXIMLOG_ENTRY)
		cls = rules_classify(R, sc, &ln, &ev);
	rules_scratch_free(sc);
	return cls;
}

static void check(struct kase *k)
{
	struct pipeline *p = pipeline_new(R, NULL);
	struct pipeline_stats before;
	const struct pipeline_stats *after;
	struct seen s;
	int i, f, cls_ok, cls;
	const char *got;

	memset(&s, 0, sizeof s);
	s.cls = -1;
	for (i = 0; i < k->npre; i++)
		pipeline_line(p, k->pre[i], strlen(k->pre[i]), 0);
	s.cls = -1;
	pipeline_on_event(p, on_event, &s);
	before = *pipeline_stats(p);
	pipeline_line(p, k->line, strlen(k->line), 0);
	after = pipeline_stats(p);
	if (k->suspicious >= 0 && !is_int((long long)(after->suspicious -
	    before.suspicious), k->suspicious, "%s:%d suspicious: %s", k->file,
	    k->lineno, k->suspicious ? "yes" : "no"))
		printf("#   line: %s\n", k->line);
	if (!k->counted) {
		/* the rules give the class, the pipeline counts nothing */
		if (!ok(s.cls < 0 && after->repeats == before.repeats + 1,
		    "%s:%d not counted (a repeat)", k->file, k->lineno))
			printf("#   line: %s\n", k->line);
		cls = rule_class(k->line);
	} else {
		cls = s.cls;
	}
	got = cls >= 0 ? rules_class_name(R, (size_t)cls) : "none";
	cls_ok = is_str(got, k->cls, "%s:%d class", k->file, k->lineno);
	if (!cls_ok)
		printf("#   line: %s\n", k->line);
	for (f = 0; f < FIELD_N; f++) {
		const char *want = k->want[f];
		const char *have = s.cls >= 0 ? s.val[f] : NULL;

		if (want == NULL || !cls_ok || s.cls < 0)
			continue;
		if (strcmp(want, "-") == 0) {
			if (!ok(have == NULL || have[0] == '\0', "%s:%d %s absent",
			    k->file, k->lineno, field_name(f)))
				printf("#   got: '%s'\n#   line: %s\n", have, k->line);
		}
		else if (!is_str(have, want, "%s:%d %s", k->file, k->lineno,
		    field_name(f)))
			printf("#   line: %s\n", k->line);
	}
	for (f = 0; f < FIELD_N; f++)
		free(s.val[f]);
	pipeline_free(p);
}

static void kase_release(struct kase *k)
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
}

static int run_file(const char *path, const char *name)
{
	FILE *fp = fopen(path, "r");
	char buf[70000];
	struct kase k;
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
					check(&k);
				n++;
			}
			kase_release(&k);
			k.suspicious = -1;
			k.counted = 1;
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
		} else if (strcmp(l, "pre") == 0 && k.npre < MAXPRE) {
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

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/rules";
	struct diag d;
	struct rules *r;
	DIR *dp;
	struct dirent *de;
	char *names[256];
	size_t n = 0, i;
	int cases = 0;

	diag_init(&d);
	r = rules_load(NULL, &d);
	if (!ok(r != NULL, "shipped rules load")) {
		diag_print(&d, stdout);
		return done_testing();
	}
	R = r;
	if ((dp = opendir(dir)) == NULL) {
		ok(0, "open %s", dir);
		return done_testing();
	}
	while ((de = readdir(dp)) != NULL && n < 256) {
		size_t l = strlen(de->d_name);

		if (l > 6 && strcmp(de->d_name + l - 6, ".cases") == 0)
			names[n++] = xstrdup(de->d_name);
	}
	closedir(dp);
	qsort(names, n, sizeof *names, cmp);
	for (i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);

		cases += run_file(path, names[i]);
		free(path);
		free(names[i]);
	}
	ok(cases >= 100, "at least 100 rule cases (%d)", cases);
	rules_free(r);
	diag_release(&d);
	return done_testing();
}
