/* domainlist: a set of domains from a list file (see domainlist.h) */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "domainlist.h"
#include "hash.h"
#include "xmalloc.h"

struct domainlist {
	char **slot;              /* open addressing; lower-cased keys */
	size_t cap, n;
};

static uint64_t hash_lower(const char *p, size_t n)
{
	char buf[256];
	size_t i;

	if (n > sizeof buf)
		n = sizeof buf;
	for (i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)p[i]);
	return hash_bytes(0, buf, n);
}

static char **find(const struct domainlist *l, const char *k, size_t n)
{
	size_t m = l->cap - 1, i = hash_lower(k, n) & m;

	for (; l->slot[i]; i = (i + 1) & m)
		if (strlen(l->slot[i]) == n && strncasecmp(l->slot[i], k, n) == 0)
			break;
	return &l->slot[i];
}

static void add(struct domainlist *l, const char *k, size_t n)
{
	char **s, **old;
	size_t i, oc;

	if ((l->n + 1) * 2 > l->cap) {
		old = l->slot;
		oc = l->cap;
		l->cap *= 2;
		l->slot = xcalloc(l->cap, sizeof *l->slot);
		for (i = 0; i < oc; i++)
			if (old[i])
				*find(l, old[i], strlen(old[i])) = old[i];
		free(old);
	}
	s = find(l, k, n);
	if (*s)
		return;
	*s = xstrndup(k, n);
	for (i = 0; i < n; i++)
		(*s)[i] = (char)tolower((unsigned char)(*s)[i]);
	l->n++;
}

struct domainlist *domainlist_load(const char *path, struct diag *d)
{
	struct domainlist *l;
	FILE *fp;
	char *line = NULL, *p, *e;
	size_t cap = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		diag_add(d, path, 0, 0, "cannot read the domain list: %s",
		    strerror(errno));
		return NULL;
	}
	l = xcalloc(1, sizeof *l);
	l->cap = 64;
	l->slot = xcalloc(l->cap, sizeof *l->slot);
	while (getline(&line, &cap, fp) != -1) {
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		for (p = line; isspace((unsigned char)*p); p++)
			;
		for (e = p; *e && *e != ':' && !isspace((unsigned char)*e); e++)
			;
		if (e > p && e[-1] == '.')
			e--;
		if (e > p && e - p < 256)
			add(l, p, (size_t)(e - p));
	}
	free(line);
	if (ferror(fp)) {
		diag_add(d, path, 0, 0, "read error: %s", strerror(errno));
		fclose(fp);
		domainlist_free(l);
		return NULL;
	}
	fclose(fp);
	return l;
}

void domainlist_free(struct domainlist *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->cap; i++)
		free(l->slot[i]);
	free(l->slot);
	free(l);
}

int domainlist_has(const struct domainlist *l, const char *domain, size_t len)
{
	if (l == NULL || domain == NULL || len == 0)
		return 0;
	if (domain[len - 1] == '.')
		len--;
	if (len == 0 || len > 255)
		return 0;
	return *find(l, domain, len) != NULL;
}

size_t domainlist_count(const struct domainlist *l)
{
	return l ? l->n : 0;
}
