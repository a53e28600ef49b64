/* test_hostile_helo: no HELO can frame an address or an account.
 *
 * cPanel accepts any HELO (helo_accept_junk_hosts = *) and Exim writes it
 * unescaped in the host text "[rdns ](helo) [ip]".  For every rule case
 * (tests/rules/NN-name.cases) whose line has a client IP, the HELO is
 * rewritten (or inserted where Exim writes it, before "[ip]"; copies of the
 * host in the message text change with it) with a few hundred hostile
 * texts: quotes of both kinds, nested and unbalanced parentheses, brackets,
 * fake addresses and ports, fake I=, F=, A=, set_id=, rejected, rdns and
 * H= tokens, and the case's own later text (as is, with its accounts
 * swapped for a victim's, with its address swapped for another).  Each
 * line goes through the real pipeline twice: counted directly (the host
 * parsed while classifying) and through an evlog (the host text parsed
 * later by evlog_count, as scan's writer thread does).  Per line:
 *   - the IP is the real one or none, never another, the same both ways;
 *   - sender, rcpt, auth, set_id and the account are the original line's
 *     values or absent, and never text inside the HELO;
 *   - the class is the original's, unless the line cannot hold a HELO at
 *     all (a plain inserted HELO already changes it: connection lines
 *     before the greeting); the two checks above still hold then.
 * One TAP test per case; the first failures are printed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counter.h"
#include "diag.h"
#include "event.h"
#include "evlog.h"
#include "eximlog.h"
#include "pipeline.h"
#include "rulecases.h"
#include "rules.h"
#include "sbuf.h"
#include "tap.h"
#include "xmalloc.h"

#define VICTIM "victim@example.com"
#define NRANDOM 250
#define MAXREG 8
#define SHOWN 3

static const struct rules *R;

/* the fields checked: what an account can come from */
static const int checked[] = { FIELD_SENDER, FIELD_RCPT, FIELD_AUTH,
    FIELD_SET_ID, FIELD_ACCOUNT };
#define NCHECKED (sizeof checked / sizeof checked[0])

/* building blocks of hostile HELOs; {I} an injected IPv4 address, {6} an
 * injected IPv6 one, {R} the real address, {O} another address of the
 * line, {A} the victim's account, {T} the case's text after the host,
 * {V} that text with its accounts swapped for {A}, {W} with its address
 * swapped for {I} */
static const char *const atoms[] = {
	"\"", "'", "\\\"", "\"\"", " in \"", " was \"", " rejected \"", "=\"",
	" input=\"", " T=\"", " DN=\"", "\"x\"", "'x'", "`",
	"(", ")", "((", "))", "[", "]", "[]", ") (", ")(", "] [", "([", "])",
	") [{I}]", ") [{I}]:25", ") [{I}]:1234:", ") [{I}] ", " [{I}]",
	"[{I}]", "H=[{I}]", " H=[{I}] ", " H=mx.example.net [{I}] ",
	") [{R}]", ") [{O}]", ") [{6}]:25", ") [{I}],", "([{I}])",
	") [{I}]) [{I}]", " [{I}]:",
	" I=[{I}]:25", " F=<{A}>", " A=dovecot_login:{A}", " (set_id={A})",
	"(set_id={A})", " set_id={A}", " P=esmtpa A=dovecot_login:{A} S=1",
	" rejected RCPT <{A}>: relay not permitted", " rdns ",
	": 535 Incorrect authentication data (set_id={A})",
	": 553 Initial data not expected", " U={A}", " Ci=1", " for {A}",
	" id={A}", " RCPT <{A}>", " rejected", " from <{A}>", " S=1", ": ",
	" X=TLS1.3:TLS_AES_256_GCM_SHA384:256", " CV=no",
	"{T}", "{V}", "{W}",
};

static const char *const specials[] = {
	"x) [{I}] in \"",              /* the issue's, Exim 4.96 */
	"pc (set_id={A})",             /* the account */
	"x) [{I}] in \"{V}",
	"x) [{I}]{V}",
	"x) [{I}]{W}",
	"x) [{I}]:1{V} \"",
	"x) [{I}] rejected \"",
	"x) [{I}] was \"",
	"x) [{I}]=\"",
	"x) [{I}]=\"{V}\"",
	"x)\" [{I}]",
	"x) [{I}]: 535 y",
	"x) [{I}]: 553 y",
	"x) [{I}] P=esmtpa A=dovecot_login:{A} \"",
	"x) [{I}] P=esmtpa A=dovecot_login:{A} S=1 T=\"q",
	"x) [{I}] P=esmtpa A=dovecot_login:{A} S=1 T=\"q\" for ",
	"x) [{R}] P=esmtpa A=dovecot_login:{A}",
	"x] P=esmtpa A=dovecot_login:{A} S=1 \"",
	"x) [{I}] F=<{A}> rejected RCPT <{A}>: \"JunkMail rejected - y",
	"x] F=<{A}> A=dovecot_login:{A} rejected RCPT <{A}>: \"JunkMail "
	    "rejected - y",
	"a\" H=[{I}] {V}",
	"a\" H=mx.example.net [{I}] {V}",
	"x) [{I}] I=[{O}]:25",
	"x) rdns.example.net [{I}] ",
	"x) H=rdns.example.net [{I}] ",
	"x) [{6}] in \"",
	"x) [{I}] dropped: too many nonmail commands (last was \"",
	"x) [{I}] (set_id={A}) \"",
	"{T}", "{V}", "{W}", "{V}\"", "\"{V}",
	"(((", ")))", "\"", "'", "((x) [{I}])", "x) ([{I}]) [{I}]",
	"[{I}]) [{I}]:25 ",
	"",
};

struct region {
	size_t a, b;            /* [a, b) of the line: HELO text */
};

struct result {
	int cls;
	char *val[FIELD_N];     /* FIELD_ACCOUNT: the event's account */
	int inhelo[FIELD_N];    /* the value is text of the HELO */
	char *cip, *cacct;      /* counted directly */
	char *dip, *dacct;      /* counted through the evlog */
	int counted, dcounted;
};

struct runner {
	struct pipeline *direct, *deferred;
	struct counter *c1, *c2;
	struct evlog *log;
	/* the line being run, for on_event */
	const char *line;
	size_t len;
	const struct region *reg;
	int nreg;
	struct result *res;
};

static void result_release(struct result *r)
{
	int f;

	for (f = 0; f < FIELD_N; f++)
		free(r->val[f]);
	free(r->cip);
	free(r->cacct);
	free(r->dip);
	free(r->dacct);
	memset(r, 0, sizeof *r);
	r->cls = -1;
}

static void on_event(void *arg, const struct event *cev,
    const struct eximlog_line *ln, const char *line, size_t len)
{
	struct runner *u = arg;
	struct result *r = u->res;
	struct event e = *cev;
	size_t k;
	int f, i;

	(void)line;
	(void)len;
	rules_event_fields(R, ln, &e);
	r->cls = e.cls;
	for (k = 0; k < NCHECKED + 1; k++) {
		struct span v;

		f = k < NCHECKED ? checked[k] : FIELD_IP;
		v = f == FIELD_ACCOUNT ? e.account : e.f[f];
		free(r->val[f]);
		r->val[f] = span_ok(v) && v.len ? xstrndup(v.p, v.len) : NULL;
		r->inhelo[f] = 0;
		if (!span_ok(v) || v.p < u->line || v.p >= u->line + u->len)
			continue;
		for (i = 0; i < u->nreg; i++) {
			size_t a = (size_t)(v.p - u->line), b = a + v.len;

			if (a < u->reg[i].b && b > u->reg[i].a)
				r->inhelo[f] = 1;
		}
	}
}

/* one_row: the counter's only row (ip, account), 0 if it has none */
static int one_row(const struct counter *c, char **ip, char **acct)
{
	const struct counter_row *rows;
	const char *arena = counter_arena(c);
	size_t n;

	rows = counter_rows(c, &n);
	if (n != 1)
		return (int)n;
	*ip = xstrndup(arena + rows[0].ip_off, rows[0].ip_len);
	*acct = xstrndup(arena + rows[0].acct_off, rows[0].acct_len);
	return 1;
}

static void run(struct runner *u, const struct rulecase *k, const char *text,
    const struct region *reg, int nreg, struct result *r)
{
	size_t n = strlen(text);
	/* the parser may read 8 bytes past a line (the readers pad them) */
	char *line = xcalloc(1, n + 64);
	int i;

	memcpy(line, text, n);
	result_release(r);
	for (i = 0; i < k->npre; i++) {
		pipeline_line(u->direct, k->pre[i], strlen(k->pre[i]), 0);
		pipeline_line(u->deferred, k->pre[i], strlen(k->pre[i]), 0);
	}
	counter_clear(u->c1);
	counter_clear(u->c2);
	evlog_clear(u->log);
	u->line = line;
	u->len = strlen(line);
	u->reg = reg;
	u->nreg = nreg;
	u->res = r;
	pipeline_on_event(u->direct, on_event, u);
	pipeline_line(u->direct, line, u->len, 0);
	pipeline_on_event(u->direct, NULL, NULL);
	pipeline_line(u->deferred, line, u->len, 0);
	evlog_count(u->log, u->c2);
	r->counted = one_row(u->c1, &r->cip, &r->cacct);
	r->dcounted = one_row(u->c2, &r->dip, &r->dacct);
	free(line);
}

/* ---- making hostile lines ---------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static unsigned rnd(unsigned n)
{
	/* xorshift64*: deterministic, the same texts on every run */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (unsigned)((rng * 0x2545f4914f6cdd1dULL) >> 33) % n;
}

/* finish: the string of b (free() it); b holds nothing afterwards */
static char *finish(struct sbuf *b)
{
	char *s = sbuf_detach(b);

	sbuf_release(b);        /* detach leaves b a fresh empty buffer */
	return s;
}

/* replace_all: s with every occurrence of `from` (if not empty) replaced */
static char *replace_all(const char *s, const char *from, const char *to)
{
	struct sbuf b;
	size_t fl = strlen(from);
	const char *x;

	sbuf_init(&b);
	if (fl == 0) {
		sbuf_adds(&b, s);
		return finish(&b);
	}
	while ((x = strstr(s, from)) != NULL) {
		sbuf_add(&b, s, (size_t)(x - s));
		sbuf_adds(&b, to);
		s = x + fl;
	}
	sbuf_adds(&b, s);
	return finish(&b);
}

struct vars {
	const char *inj, *inj6, *real, *other;
	char *later, *victimized, *moved;
};

static char *expand(const char *tpl, const struct vars *v)
{
	struct sbuf b;
	const char *p;

	sbuf_init(&b);
	for (p = tpl; *p; p++) {
		if (p[0] == '{' && p[1] && p[2] == '}') {
			switch (p[1]) {
			case 'I': sbuf_adds(&b, v->inj); break;
			case '6': sbuf_adds(&b, v->inj6); break;
			case 'R': sbuf_adds(&b, v->real); break;
			case 'O': sbuf_adds(&b, v->other); break;
			case 'A': sbuf_adds(&b, VICTIM); break;
			case 'T': sbuf_adds(&b, v->later); break;
			case 'V': sbuf_adds(&b, v->victimized); break;
			case 'W': sbuf_adds(&b, v->moved); break;
			default: sbuf_add(&b, p, 3); break;
			}
			p += 2;
			continue;
		}
		sbuf_add(&b, p, 1);
	}
	return finish(&b);
}

/* where the host of the case's line is */
struct hostpos {
	size_t ip;              /* offset of "[ip]" */
	size_t ipend;           /* just past "]" and ":port" */
	size_t hs, he;          /* HELO text [hs, he), hs == he == ip: none */
	char *oldhelo;
	char *hosttext;         /* without HELO: "[rdns ][ip][:port]" */
	size_t hoststart;
};

static int find_host(const char *line, const char *ip, struct hostpos *h)
{
	char *needle = xasprintf("[%s]", ip);
	const char *x = strstr(line, needle);
	size_t i, depth;

	memset(h, 0, sizeof *h);
	if (x == NULL) {
		free(needle);
		return 0;
	}
	h->ip = (size_t)(x - line);
	h->ipend = h->ip + strlen(needle);
	free(needle);
	if (line[h->ipend] == ':' && line[h->ipend + 1] >= '0' &&
	    line[h->ipend + 1] <= '9')
		for (h->ipend++; line[h->ipend] >= '0' && line[h->ipend] <= '9';
		    h->ipend++)
			;
	if (h->ip >= 3 && line[h->ip - 1] == ' ' && line[h->ip - 2] == ')') {
		/* the "(" that opens the HELO: balance the parentheses */
		h->he = h->ip - 2;
		for (i = h->he, depth = 0; i > 0; i--) {
			if (line[i] == ')')
				depth++;
			else if (line[i] == '(' && --depth == 0)
				break;
		}
		if (line[i] != '(')
			return 0;
		h->hs = i + 1;
		h->oldhelo = xstrndup(line + h->hs, h->he - h->hs);
	} else {
		h->hs = h->he = h->ip;
		h->oldhelo = xstrdup("");
		/* the host without HELO: "[ip]" or "rdns [ip]" */
		i = h->ip;
		if (i >= 2 && line[i - 1] == ' ') {
			for (i--; i > 0 && line[i - 1] != ' ' && line[i - 1] != '='; i--)
				;
			if (strncmp(line + i, "from ", 5) == 0 ||
			    strncmp(line + i, "for ", 4) == 0)
				i = h->ip;
		}
		h->hoststart = i;
		h->hosttext = xstrndup(line + i, h->ipend - i);
	}
	return 1;
}

/* hostile_line: the case's line with the HELO `helo` instead of its own
 * (or inserted), in the host and in every copy of the host in the line;
 * the HELO's byte ranges go to reg */
static char *hostile_line(const char *line, const struct hostpos *h,
    const char *ip, const char *helo, struct region *reg, int *nreg)
{
	struct sbuf b;
	size_t i = 0, n = strlen(line);
	char *copy;
	const char *x;

	*nreg = 0;
	sbuf_init(&b);
	sbuf_add(&b, line, h->hs);
	if (h->hs == h->he)
		sbuf_adds(&b, "(");
	reg[(*nreg)].a = b.len;
	sbuf_adds(&b, helo);
	reg[(*nreg)++].b = b.len;
	if (h->hs == h->he)
		sbuf_adds(&b, ") ");
	i = h->he;
	/* copies of the host later in the line (cPanel's "JunkMail rejected
	 * - <host>", "Host impersonating [<helo>]") */
	if (h->hs != h->he)
		copy = xasprintf("(%s) [%s]", h->oldhelo, ip);
	else
		copy = xstrdup(h->hosttext);
	sbuf_add(&b, line + i, h->ipend - i);
	i = h->ipend;
	while (i < n) {
		size_t cl = strlen(copy);
		const char *imp = NULL;
		char *impn = NULL;

		x = strstr(line + i, copy);
		if (h->hs != h->he) {
			impn = xasprintf("impersonating [%s]", h->oldhelo);
			imp = strstr(line + i, impn);
		}
		if (imp != NULL && (x == NULL || imp < x)) {
			size_t o = (size_t)(imp - line) + 15;

			sbuf_add(&b, line + i, o - i);
			if (*nreg < MAXREG)
				reg[*nreg].a = b.len;
			sbuf_adds(&b, helo);
			if (*nreg < MAXREG)
				reg[(*nreg)++].b = b.len;
			i = o + strlen(h->oldhelo);
			free(impn);
			continue;
		}
		free(impn);
		if (x == NULL || (x > line && x[-1] != ' ')) {
			if (x == NULL) {
				sbuf_adds(&b, line + i);
				break;
			}
			sbuf_add(&b, line + i, (size_t)(x - line) + 1 - i);
			i = (size_t)(x - line) + 1;
			continue;
		}
		sbuf_add(&b, line + i, (size_t)(x - line) - i);
		if (h->hs != h->he) {
			sbuf_adds(&b, "(");
			if (*nreg < MAXREG)
				reg[*nreg].a = b.len;
			sbuf_adds(&b, helo);
			if (*nreg < MAXREG)
				reg[(*nreg)++].b = b.len;
			sbuf_adds(&b, ") [");
			sbuf_adds(&b, ip);
			sbuf_adds(&b, "]");
		} else {
			/* "rdns [ip]" → "rdns (helo) [ip]" */
			const char *br = strchr(x, '[');

			sbuf_add(&b, x, (size_t)(br - x));
			sbuf_adds(&b, "(");
			if (*nreg < MAXREG)
				reg[*nreg].a = b.len;
			sbuf_adds(&b, helo);
			if (*nreg < MAXREG)
				reg[(*nreg)++].b = b.len;
			sbuf_adds(&b, ") ");
			sbuf_add(&b, br, cl - (size_t)(br - x));
		}
		i = (size_t)(x - line) + cl;
	}
	free(copy);
	return finish(&b);
}

/* other_ip: another address in brackets on the line (the interface), or
 * a fixed one */
static char *other_ip(const char *line, const char *real)
{
	const char *p = line, *e;

	while ((p = strchr(p, '[')) != NULL) {
		e = strchr(p, ']');
		if (e == NULL)
			break;
		if (eximlog_ip_valid(p + 1, (size_t)(e - p - 1)) &&
		    ((size_t)(e - p - 1) != strlen(real) ||
		    strncmp(p + 1, real, strlen(real)) != 0))
			return xstrndup(p + 1, (size_t)(e - p - 1));
		p++;
	}
	return xstrdup("192.0.2.251");
}

/* ---- checking -------------------------------------------------------- */

struct tally {
	long runs, failures, ip_lost, class_changed, cases, failed_cases;
};

static int same_or_absent(const char *got, const char *base)
{
	return got == NULL || (base != NULL && strcmp(got, base) == 0);
}

static void check_case(void *arg, const struct rulecase *k)
{
	struct tally *t = arg;
	struct runner u;
	struct result base, r;
	struct hostpos h;
	struct vars v;
	struct region reg[MAXREG];
	int nreg, ntpl, i, fails = 0, shown = 0, plain_keeps_class;
	long lost0 = t->ip_lost, changed0 = t->class_changed;
	const char *injs[] = { "203.0.113.66", "198.51.100.77", "192.0.2.250" };
	char *tpls[sizeof specials / sizeof specials[0] + NRANDOM];
	char *real, *line;
	size_t f;

	memset(&u, 0, sizeof u);
	u.c1 = counter_new();
	u.c2 = counter_new();
	u.log = evlog_new();
	u.direct = pipeline_new(R, u.c1);
	u.deferred = pipeline_new(R, NULL);
	pipeline_set_evlog(u.deferred, u.log);
	memset(&base, 0, sizeof base);
	memset(&r, 0, sizeof r);
	memset(&h, 0, sizeof h);
	memset(&v, 0, sizeof v);
	run(&u, k, k->line, NULL, 0, &base);
	/* only lines with a client address */
	if (base.cls < 0 || base.val[FIELD_IP] == NULL ||
	    !find_host(k->line, base.val[FIELD_IP], &h))
		goto out;
	t->cases++;
	real = base.val[FIELD_IP];
	v.real = real;
	for (i = 0; i < 3 && strcmp(injs[i], real) == 0; i++)
		;
	v.inj = injs[i];
	v.inj6 = strcmp(real, "2001:db8::66") ? "2001:db8::66" : "2001:db8::67";
	v.other = other_ip(k->line, real);
	f = strlen(k->line + h.ipend);
	v.later = xstrndup(k->line + h.ipend, f < 300 ? f : 300);
	v.victimized = xstrdup(v.later);
	for (f = 0; f < NCHECKED; f++) {
		const char *val = base.val[checked[f]];
		char *s;

		if (val == NULL || strlen(val) < 3)
			continue;
		s = replace_all(v.victimized, val, VICTIM);
		free(v.victimized);
		v.victimized = s;
	}
	v.moved = replace_all(v.later, real, v.inj);
	/* the templates: the fixed ones, then random mixtures of atoms */
	ntpl = 0;
	for (f = 0; f < sizeof specials / sizeof specials[0]; f++)
		tpls[ntpl++] = xstrdup(specials[f]);
	for (i = 0; i < NRANDOM; i++) {
		static const char *const starts[] = { "x", "pc", "", "WIN-1 2",
		    "mail.example.org", "(" };
		struct sbuf b;
		unsigned j, na = 1 + rnd(4);

		sbuf_init(&b);
		sbuf_adds(&b, starts[rnd(sizeof starts / sizeof starts[0])]);
		for (j = 0; j < na; j++)
			sbuf_adds(&b, atoms[rnd(sizeof atoms / sizeof atoms[0])]);
		tpls[ntpl++] = finish(&b);
	}
	/* a line that cannot hold a HELO (before the greeting) changes its
	 * class with any HELO, even a plain one */
	line = hostile_line(k->line, &h, real, "plain.example.net", reg, &nreg);
	run(&u, k, line, reg, nreg, &r);
	plain_keeps_class = r.cls == base.cls;
	free(line);
	for (i = 0; i < ntpl; i++) {
		char *helo = expand(tpls[i], &v);
		const char *why = NULL;
		char whybuf[128];

		line = hostile_line(k->line, &h, real, helo, reg, &nreg);
		run(&u, k, line, reg, nreg, &r);
		t->runs++;
		if (!same_or_absent(r.val[FIELD_IP], real))
			why = "an address that is not the client's";
		else if (r.val[FIELD_IP] == NULL)
			t->ip_lost++;
		if (why == NULL && r.counted == 1 && r.dcounted == 1 &&
		    (strcmp(r.cip, r.dip) != 0 || strcmp(r.cacct, r.dacct) != 0))
			why = "counted directly and through the evlog differently";
		if (why == NULL && r.counted != r.dcounted)
			why = "counted once one way, not the other";
		if (why == NULL && r.counted == 1 && r.cip[0] &&
		    strcmp(r.cip, real) != 0)
			why = "counted for an address that is not the client's";
		for (f = 0; why == NULL && f < NCHECKED; f++) {
			int fi = checked[f];

			if (!same_or_absent(r.val[fi], base.val[fi]))
				snprintf(whybuf, sizeof whybuf, "%s is not the "
				    "original's", field_name(fi));
			else if (r.val[fi] != NULL && r.inhelo[fi])
				snprintf(whybuf, sizeof whybuf, "%s taken from the "
				    "HELO", field_name(fi));
			else
				continue;
			why = whybuf;
		}
		if (why == NULL && r.counted == 1 && r.cacct[0] &&
		    !same_or_absent(r.cacct, base.val[FIELD_ACCOUNT]))
			why = "counted for an account that is not the original's";
		if (r.cls != base.cls) {
			t->class_changed++;
			if (why == NULL && plain_keeps_class)
				why = "another class";
		}
		if (why != NULL) {
			fails++;
			if (shown++ < SHOWN) {
				printf("# %s:%d: %s\n#   helo: %s\n#   line: %s\n",
				    k->file, k->lineno, why, helo, line);
				printf("#   class %s (was %s), ip %s, account %s\n",
				    r.cls >= 0 ? rules_class_name(R, (size_t)r.cls) :
				    "none", rules_class_name(R, (size_t)base.cls),
				    r.val[FIELD_IP] ? r.val[FIELD_IP] : "-",
				    r.val[FIELD_ACCOUNT] ? r.val[FIELD_ACCOUNT] : "-");
				for (f = 0; f < NCHECKED; f++)
					if (r.val[checked[f]])
						printf("#   %s %s%s\n",
						    field_name(checked[f]),
						    r.val[checked[f]],
						    r.inhelo[checked[f]] ?
						    " (in the HELO)" : "");
			}
		}
		free(helo);
		free(line);
	}
	t->failures += fails;
	if (fails)
		t->failed_cases++;
	ok(fails == 0, "%s:%d: %d hostile HELOs, %d frame an address or an "
	    "account or change the class (%ld without IP, %ld another class%s)",
	    k->file, k->lineno, ntpl, fails, t->ip_lost - lost0,
	    t->class_changed - changed0, plain_keeps_class ? "" :
	    ": no HELO possible");
	for (i = 0; i < ntpl; i++)
		free(tpls[i]);
	free((char *)v.other);
	free(v.later);
	free(v.victimized);
	free(v.moved);
out:
	free(h.oldhelo);
	free(h.hosttext);
	result_release(&base);
	result_release(&r);
	pipeline_free(u.direct);
	pipeline_free(u.deferred);
	counter_free(u.c1);
	counter_free(u.c2);
	evlog_free(u.log);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/rules";
	struct diag d;
	struct rules *r;
	struct tally t;

	memset(&t, 0, sizeof t);
	diag_init(&d);
	r = rules_load(NULL, &d);
	if (!ok(r != NULL, "shipped rules load")) {
		diag_print(&d, stdout);
		return done_testing();
	}
	R = r;
	rulecases_each(dir, check_case, &t);
	printf("# %ld cases with a client address, %ld hostile lines: %ld "
	    "failures in %ld cases; %ld lines without an IP (ambiguous), %ld "
	    "with another class\n", t.cases, t.runs, t.failures, t.failed_cases,
	    t.ip_lost, t.class_changed);
	ok(t.cases >= 100 && t.runs >= 100 * 250, "at least 100 cases, 250 "
	    "HELOs each (%ld cases, %ld lines)", t.cases, t.runs);
	rules_free(r);
	diag_release(&d);
	return done_testing();
}
