/* redact: secrets kept out of messages (see redact.h) */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"
#include "xmalloc.h"

/* ---- secret keys ---- */

int redact_key(const char *key, size_t len)
{
	static const char *const names[] = { "url", "secret", "password",
		"token", "key", NULL };
	size_t i, l;

	for (i = 0; names[i]; i++) {
		l = strlen(names[i]);
		if (len == l && memcmp(key, names[i], l) == 0)
			return 1;
		if (len > l + 1 && key[len - l - 1] == '_' &&
		    memcmp(key + len - l, names[i], l) == 0)
			return 1;
	}
	return 0;
}

/* ---- edits: spans of a text replaced by a mask ---- */

struct edit {
	size_t start, end;      /* [start, end) of the original */
	const char *repl;
};

struct edits {
	struct edit *v;
	size_t n, cap;
};

static void edits_add(struct edits *e, size_t start, size_t end,
    const char *repl)
{
	size_t i;

	if (end <= start)
		return;
	for (i = 0; i < e->n; i++)          /* the first edit of a span wins */
		if (start < e->v[i].end && e->v[i].start < end)
			return;
	if (e->n == e->cap) {
		e->cap = e->cap ? 2 * e->cap : 8;
		e->v = xreallocarray(e->v, e->cap, sizeof *e->v);
	}
	e->v[e->n].start = start;
	e->v[e->n].end = end;
	e->v[e->n].repl = repl;
	e->n++;
}

static int cmp_edit(const void *x, const void *y)
{
	const struct edit *a = x, *b = y;

	return a->start < b->start ? -1 : a->start > b->start;
}

/* edits_apply: s[0..n) with the edits into out; *col follows (1-based) */
static void edits_apply(struct edits *e, const char *s, size_t n,
    struct sbuf *out, int *col)
{
	size_t i, pos = 0, o = col && *col > 0 ? (size_t)*col - 1 : 0;
	long delta = 0;
	int placed = 0;

	if (e->n > 1)
		qsort(e->v, e->n, sizeof *e->v, cmp_edit);
	for (i = 0; i < e->n; i++) {
		const struct edit *d = &e->v[i];

		sbuf_add(out, s + pos, d->start - pos);
		sbuf_adds(out, d->repl);
		pos = d->end;
		if (placed)
			continue;
		if (o >= d->end) {
			delta += (long)strlen(d->repl) - (long)(d->end - d->start);
		} else {
			if (o >= d->start)
				o = d->start;   /* inside a masked value: its start */
			placed = 1;
		}
	}
	sbuf_add(out, s + pos, n - pos);
	if (col && *col > 0)
		*col = (int)((long)o + delta + 1);
}

/* ---- URLs ---- */

static int scheme_char(int c)
{
	return isalnum(c) || c == '+' || c == '-' || c == '.';
}

/* url_stop: the end of a URL in running text */
static int url_stop(const char *s, size_t i, size_t n)
{
	unsigned char c = (unsigned char)s[i];

	if (isspace(c) || c < 0x20 || strchr("\"'<>{}[]\\`|^", c))
		return 1;
	/* a comma or a closing bracket followed by a space ends a URL in a
	 * sentence or a YAML flow mapping */
	return (c == ',' || c == ')' || c == ';') &&
	    (i + 1 == n || isspace((unsigned char)s[i + 1]));
}

struct urlpos {
	size_t pass, pass_end;  /* the password of the userinfo (may be empty) */
	size_t rest, end;       /* path + query + fragment: [rest, end) */
};

/* url_parse: the URL whose "://" is at s[k]; 0, or -1 when there is no
 * scheme before it */
static int url_parse(const char *s, size_t n, size_t k, struct urlpos *u)
{
	size_t j = k, a, e, at, i;

	while (j > 0 && scheme_char((unsigned char)s[j - 1]))
		j--;
	if (j == k || !isalpha((unsigned char)s[j]))
		return -1;
	a = k + 3;
	for (e = a; e < n && !url_stop(s, e, n) && !strchr("/?#", s[e]); e++)
		;
	u->pass = u->pass_end = a;
	for (at = e; at > a && s[at - 1] != '@'; at--)
		;
	if (at > a) {                       /* user[:password]@ */
		for (i = a; i < at - 1 && s[i] != ':'; i++)
			;
		if (i < at - 1) {
			u->pass = i + 1;
			u->pass_end = at - 1;
		}
	}
	u->rest = u->end = e;
	if (e < n && strchr("/?#", s[e]))
		for (u->end = e; u->end < n && !url_stop(s, u->end, n);
		    u->end++)
			;
	return 0;
}

static const char *rest_mask(char c)
{
	return c == '?' ? "?" REDACT_MASK : c == '#' ? "#" REDACT_MASK :
	    "/" REDACT_MASK;
}

/* url_edits: mask the password and the path of every URL in s[0..n) */
static void url_edits(const char *s, size_t n, struct edits *e)
{
	struct urlpos u;
	size_t k;

	for (k = 0; k + 3 <= n; k++) {
		if (memcmp(s + k, "://", 3) != 0 || url_parse(s, n, k, &u) < 0)
			continue;
		edits_add(e, u.pass, u.pass_end, REDACT_MASK);
		if (u.end - u.rest > 1)
			edits_add(e, u.rest, u.end, rest_mask(s[u.rest]));
		k = u.end > k ? u.end - 1 : k;
	}
}

void redact_urls(struct sbuf *out, const char *text)
{
	struct edits e = { 0 };

	url_edits(text, strlen(text), &e);
	edits_apply(&e, text, strlen(text), out, NULL);
	free(e.v);
}

/* ---- configuration lines ---- */

static int name_char(int c)
{
	return isalnum(c) || c == '_' || c == '-';
}

/* flow_depth: open '{' and '[' before s[i] outside quotes (a flow mapping
 * ends a plain value at ',' '}' ']') */
static int flow_depth(const char *s, size_t i)
{
	size_t k;
	int depth = 0;
	char q = 0;

	for (k = 0; k < i; k++) {
		if (q) {
			if (s[k] == q)
				q = 0;
		} else if (s[k] == '"' || s[k] == '\'') {
			q = s[k];
		} else if (s[k] == '{' || s[k] == '[') {
			depth++;
		} else if ((s[k] == '}' || s[k] == ']') && depth > 0) {
			depth--;
		}
	}
	return depth;
}

/* value_end: the end of the YAML scalar starting at s[p] */
static size_t value_end(const char *s, size_t p, size_t n, int flow)
{
	size_t v = p;

	if (s[p] == '"') {
		for (p++; p < n && s[p] != '"'; p++)
			if (s[p] == '\\' && p + 1 < n)
				p++;
		return p < n ? p + 1 : n;
	}
	if (s[p] == '\'') {
		for (p++; p < n; p++) {
			if (s[p] == '\'' && p + 1 < n && s[p + 1] == '\'')
				p++;
			else if (s[p] == '\'')
				return p + 1;
		}
		return n;
	}
	for (; p < n; p++) {
		if (s[p] == '#' && p > v && (s[p - 1] == ' ' || s[p - 1] == '\t'))
			break;
		if (flow && (s[p] == ',' || s[p] == '}' || s[p] == ']'))
			break;
	}
	while (p > v && (s[p - 1] == ' ' || s[p - 1] == '\t'))
		p--;
	return p;
}

/* key_edits: mask the value of every secret key ("url: X", "'secret': X",
 * "{url: X, ...}") in s[0..n); loose on purpose, for lines that do not
 * parse */
static void key_edits(const char *s, size_t n, struct edits *e)
{
	size_t i, p, ns, ne, ve;
	char q;

	for (i = 0; i < n; i++) {
		if (i > 0 && name_char((unsigned char)s[i - 1]))
			continue;
		p = i;
		q = 0;
		if (s[p] == '"' || s[p] == '\'')
			q = s[p++];
		for (ns = p; p < n && name_char((unsigned char)s[p]); p++)
			;
		ne = p;
		if (ne == ns || (q && (p >= n || s[p++] != q)))
			continue;
		while (p < n && (s[p] == ' ' || s[p] == '\t'))
			p++;
		if (p >= n || s[p] != ':')
			continue;
		p++;
		if (p < n && s[p] != ' ' && s[p] != '\t' && !q)
			continue;
		if (!redact_key(s + ns, ne - ns))
			continue;
		while (p < n && (s[p] == ' ' || s[p] == '\t'))
			p++;
		if (p >= n || s[p] == '#')
			continue;
		ve = value_end(s, p, n, flow_depth(s, i) > 0);
		edits_add(e, p, ve, REDACT_MASK);
		if (ve > i + 1)
			i = ve - 1;
	}
}

void redact_line(struct sbuf *out, const char *line, int *col)
{
	struct edits e = { 0 };
	size_t n = strlen(line);

	key_edits(line, n, &e);
	url_edits(line, n, &e);
	edits_apply(&e, line, n, out, col);
	free(e.v);
}

/* ---- the secrets of a sink ---- */

struct frag {
	char *find;
	char *repl;
	size_t len;
};

struct redact {
	struct frag *v;         /* longest first */
	size_t n, cap;
};

struct redact *redact_new(void)
{
	return xcalloc(1, sizeof(struct redact));
}

void redact_free(struct redact *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		/* the copies of secrets are wiped before they are freed */
		memset(r->v[i].find, 0, r->v[i].len);
		free(r->v[i].find);
		free(r->v[i].repl);
	}
	free(r->v);
	free(r);
}

static void frag_add(struct redact *r, const char *p, size_t len,
    const char *repl)
{
	size_t i;

	if (len < REDACT_MIN)
		return;
	for (i = 0; i < r->n; i++)
		if (r->v[i].len == len && memcmp(r->v[i].find, p, len) == 0)
			return;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 8;
		r->v = xreallocarray(r->v, r->cap, sizeof *r->v);
	}
	for (i = r->n; i > 0 && r->v[i - 1].len < len; i--)
		r->v[i] = r->v[i - 1];
	r->v[i].find = xstrndup(p, len);
	r->v[i].repl = xstrdup(repl);
	r->v[i].len = len;
	r->n++;
}

void redact_add(struct redact *r, const char *value)
{
	const char *k = strstr(value, "://");
	size_t n = strlen(value), q, seg;
	struct urlpos u;
	struct sbuf m;

	if (k == NULL || url_parse(value, n, (size_t)(k - value), &u) < 0) {
		frag_add(r, value, n, REDACT_MASK);
		return;
	}
	sbuf_init(&m);
	redact_urls(&m, value);
	if (strcmp(m.s, value) != 0)
		frag_add(r, value, n, m.s);
	sbuf_release(&m);
	frag_add(r, value + u.pass, u.pass_end - u.pass, REDACT_MASK);
	if (u.end - u.rest <= 1)
		return;
	/* what a server may quote of the request: the path with or without
	 * its slash, its last segment (the token of a Slack hook), the query */
	frag_add(r, value + u.rest, u.end - u.rest, rest_mask(value[u.rest]));
	frag_add(r, value + u.rest + 1, u.end - u.rest - 1, REDACT_MASK);
	for (q = u.rest; q < u.end && value[q] != '?' && value[q] != '#'; q++)
		;
	for (seg = q; seg > u.rest && value[seg - 1] != '/'; seg--)
		;
	frag_add(r, value + seg, q - seg, REDACT_MASK);
	if (q < u.end && value[q] == '?')
		frag_add(r, value + q + 1, u.end - q - 1, REDACT_MASK);
}

void redact_apply(const struct redact *r, char *buf, size_t size)
{
	struct sbuf cur, next;
	const char *p, *hit;
	size_t i, n;

	if (size == 0)
		return;
	sbuf_init(&cur);
	sbuf_init(&next);
	sbuf_adds(&cur, buf);
	for (i = 0; r && i < r->n; i++) {
		if (strstr(cur.s, r->v[i].find) == NULL)
			continue;
		sbuf_reset(&next);
		for (p = cur.s; (hit = strstr(p, r->v[i].find)) != NULL;
		    p = hit + r->v[i].len) {
			sbuf_add(&next, p, (size_t)(hit - p));
			sbuf_adds(&next, r->v[i].repl);
		}
		sbuf_adds(&next, p);
		sbuf_reset(&cur);
		sbuf_add(&cur, next.s, next.len);
	}
	sbuf_reset(&next);
	redact_urls(&next, cur.s);
	n = next.len < size - 1 ? next.len : size - 1;
	memcpy(buf, next.s, n);
	buf[n] = '\0';
	/* the buffers held secrets */
	memset(cur.s, 0, cur.len);
	memset(next.s, 0, next.len);
	sbuf_release(&cur);
	sbuf_release(&next);
}
