/* owners: account/domain -> cPanel user, from /etc/userdomains (see owners.h)
 *
 * Two open-addressing hash tables keyed case-insensitively: domains (the key
 * is the lower-cased domain, the value points at the user's name in the user
 * table) and users (every cPanel user named in the file, for bare logins).
 * Lookups hash the caller's bytes in place, so they never allocate. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "owners.h"
#include "xmalloc.h"

struct slot {
	char *key;           /* owned; NULL = empty slot */
	size_t len;
	uint32_t hash;
	const char *user;    /* owned by the users table */
};

struct table {
	struct slot *s;
	size_t cap;          /* power of two */
	size_t n;
};

struct owners {
	struct table domains;
	struct table users;  /* user -> itself */
};

/* FNV-1a over the lower-cased bytes */
static uint32_t hash_ci(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)tolower((unsigned char)p[i]);
		h *= 16777619u;
	}
	return h;
}

static void table_init(struct table *t)
{
	t->cap = 16;
	t->n = 0;
	t->s = xcalloc(t->cap, sizeof *t->s);
}

static void table_release(struct table *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		free(t->s[i].key);
	free(t->s);
}

static struct slot *table_find(const struct table *t, const char *k,
    size_t len, uint32_t h)
{
	size_t i;

	for (i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		struct slot *sl = &t->s[i];

		if (sl->key == NULL)
			return sl;
		if (sl->hash == h && sl->len == len &&
		    strncasecmp(sl->key, k, len) == 0)
			return sl;
	}
}

static void table_grow(struct table *t)
{
	struct table old = *t;
	size_t i;

	t->cap *= 2;
	t->s = xcalloc(t->cap, sizeof *t->s);
	for (i = 0; i < old.cap; i++)
		if (old.s[i].key)
			*table_find(t, old.s[i].key, old.s[i].len,
			    old.s[i].hash) = old.s[i];
	free(old.s);
}

/* table_put: the slot for k, created (key copied, lower-cased) if new */
static struct slot *table_put(struct table *t, const char *k, size_t len)
{
	uint32_t h = hash_ci(k, len);
	struct slot *sl;
	size_t i;

	if ((t->n + 1) * 2 > t->cap)
		table_grow(t);
	sl = table_find(t, k, len, h);
	if (sl->key == NULL) {
		sl->key = xstrndup(k, len);
		for (i = 0; i < len; i++)
			sl->key[i] = (char)tolower((unsigned char)sl->key[i]);
		sl->len = len;
		sl->hash = h;
		sl->user = NULL;
		t->n++;
	}
	return sl;
}

static const char *table_get(const struct table *t, const char *k, size_t len)
{
	const struct slot *sl;

	if (t->n == 0 || len == 0)
		return NULL;
	sl = table_find(t, k, len, hash_ci(k, len));
	return sl->key ? sl->user : NULL;
}

struct owners *owners_new_empty(void)
{
	struct owners *o = xmalloc(sizeof *o);

	table_init(&o->domains);
	table_init(&o->users);
	return o;
}

void owners_free(struct owners *o)
{
	if (o == NULL)
		return;
	table_release(&o->domains);
	table_release(&o->users);
	free(o);
}

size_t owners_count(const struct owners *o)
{
	return o ? o->domains.n : 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	    c == '\v';
}

/* add_line: one "domain: user" line; malformed lines are skipped (the file
 * is written by cPanel, and a report should not fail over one odd line) */
static void add_line(struct owners *o, char *line)
{
	char *p, *dom, *dend, *user, *uend;
	struct slot *us, *ds;

	if ((p = strchr(line, '#')) != NULL)
		*p = '\0';
	for (dom = line; is_space(*dom); dom++)
		;
	if ((p = strchr(dom, ':')) == NULL)
		return;
	for (dend = p; dend > dom && is_space(dend[-1]); dend--)
		;
	for (user = p + 1; is_space(*user); user++)
		;
	for (uend = user; *uend && !is_space(*uend); uend++)
		;
	for (p = uend; is_space(*p); p++)
		;
	if (dend == dom || uend == user || *p != '\0')
		return;
	for (p = dom; p < dend; p++)
		if (is_space(*p) || *p == ':' || *p == '@')
			return;
	/* "*: nobody" is cPanel's catch-all, not an owner */
	if (dend - dom == 1 && dom[0] == '*')
		return;
	if (dend[-1] == '.')            /* "example.com." */
		dend--;
	if (dend == dom)
		return;

	us = table_put(&o->users, user, (size_t)(uend - user));
	if (us->user == NULL) {
		/* keep the user's own spelling; key is lower-cased */
		us->user = us->key;
		memcpy(us->key, user, (size_t)(uend - user));
	}
	ds = table_put(&o->domains, dom, (size_t)(dend - dom));
	ds->user = us->user;            /* a later line wins */
}

struct owners *owners_load(const char *path, struct diag *d)
{
	struct owners *o = NULL;
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		diag_add(d, path, 0, 0, "cannot read the cPanel userdomains "
		    "file: %s; give a readable file with --userdomains PATH "
		    "(or run as a user that can read it)", strerror(errno));
		goto fail;
	}
	o = owners_new_empty();
	while (getline(&line, &cap, fp) != -1)
		add_line(o, line);
	if (ferror(fp)) {
		diag_add(d, path, 0, 0, "read error: %s", strerror(errno));
		goto fail;
	}
	free(line);
	fclose(fp);
	return o;

fail:
	free(line);
	if (fp)
		fclose(fp);
	owners_free(o);
	return NULL;
}

/* domain_owner: the owner of domain p[0..n) or of its nearest listed parent;
 * the walk stops before the last label ("com" is nobody's domain) */
static const char *domain_owner(const struct owners *o, const char *p,
    size_t n)
{
	const char *u, *dot;

	if (n > 0 && p[n - 1] == '.')
		n--;
	while (n > 0) {
		if ((u = table_get(&o->domains, p, n)) != NULL)
			return u;
		if ((dot = memchr(p, '.', n)) == NULL)
			return NULL;
		n -= (size_t)(dot + 1 - p);
		p = dot + 1;
		if (memchr(p, '.', n) == NULL)
			return NULL;
	}
	return NULL;
}

const char *owners_lookup(const struct owners *o, const char *account,
    size_t len)
{
	const char *at, *u;

	if (o == NULL || account == NULL || len == 0)
		return NULL;
	/* the domain is after the last '@' ("a@b"@example.com is legal) */
	for (at = account + len; at > account && at[-1] != '@'; at--)
		;
	if (at > account)
		return domain_owner(o, at, len - (size_t)(at - account));
	if ((u = table_get(&o->users, account, len)) != NULL)
		return u;
	return domain_owner(o, account, len);
}
