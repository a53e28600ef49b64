/* report: the report's rows, the summary, and their table/json/csv output
 * (see report.h)
 *
 * The counts come from reportq.c (one pass over the window's chunks,
 * aggregated by ids).  Sorting, the owner and domain roll-ups and the
 * top-N cut happen here, because the owner is not in the database (it
 * comes from /etc/userdomains at report time).
 *
 * The whole output is built in memory and written at the end, so a database
 * error never leaves half a report behind. */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diagnose.h"
#include "duration.h"
#include "findings.h"
#include "json.h"
#include "log.h"
#include "owners.h"
#include "paths.h"
#include "report.h"
#include "report_html.h"
#include "reportq.h"
#include "rules.h"
#include "sbuf.h"
#include "store.h"
#include "term.h"
#include "xmalloc.h"

#define SPARK_SLOTS 24          /* the table's sparkline, at most */
#define HTML_SLOTS 96           /* the page's charts, at most */
#define FINDINGS_SHOWN 5        /* findings opening the table */
#define FIELD_MAXW 48           /* widest key column in a table */

static int db_fail(struct store *s, sqlite3 *db)
{
	log_warnx("cannot read the counts from '%s': %s", store_path(s),
	    sqlite3_errmsg(db));
	return -1;
}

/* fetch: one grouping (reportq.h) */
static int fetch(struct store *s, const struct report_opts *o, unsigned by,
    int flags, const struct reportq_grid *g, struct reportq_rows *out)
{
	struct reportq_spec sp = { by, flags, g, out, 0, 0 };

	return reportq_fetch(s, o, &sp, 1);
}

/* NULL sorts after any text: "none" is the least interesting key */
static int keycmp(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL) - (b == NULL);
	return strcmp(a, b);
}

static int cmp_keys(const struct reportq_row *a, const struct reportq_row *b)
{
	int k, c;

	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	for (k = 0; k < K_N; k++)
		if ((c = keycmp(a->k[k], b->k[k])) != 0)
			return c;
	return 0;
}

static int cmp_keys_q(const void *x, const void *y)
{
	return cmp_keys(x, y);
}

/* count desc, then keys asc */
static int cmp_count_q(const void *x, const void *y)
{
	const struct reportq_row *a = x, *b = y;

	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return cmp_keys(a, b);
}

/* a time series: time asc, then count desc, then keys */
static int cmp_time_q(const void *x, const void *y)
{
	const struct reportq_row *a = x, *b = y;

	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return cmp_count_q(x, y);
}

/* rollup: merge rows whose keys are equal (after account -> owner) */
static void rollup(struct reportq_rows *r)
{
	size_t i, w = 0;

	if (r->n == 0)
		return;
	qsort(r->v, r->n, sizeof *r->v, cmp_keys_q);
	for (i = 1; i < r->n; i++) {
		if (cmp_keys(&r->v[w], &r->v[i]) == 0)
			r->v[w].n += r->v[i].n;
		else
			r->v[++w] = r->v[i];
	}
	r->n = w + 1;
}

/* table_flags: a --by table for a person: by IP, prefix, account, owner
 * or domain it counts the rejections and failures (unless --all or
 * --class), and leaves out the events that have none of the keys asked */
static int table_flags(const struct report_opts *o, unsigned by)
{
	unsigned who = REPORT_BY_ACCOUNT | REPORT_BY_OWNER | REPORT_BY_DOMAIN;
	unsigned where = REPORT_BY_IP | REPORT_BY_PREFIX;
	int flags = 0;

	if (o->format != REPORT_TABLE || !(by & (where | who)))
		return 0;
	if (!o->all && !(o->classes && o->classes[0]))
		flags |= F_REJECT_ONLY;
	if (!(by & where))
		flags |= F_HAS_ACCOUNT;
	else if (!(by & who))
		flags |= F_HAS_IP;
	else
		flags |= F_HAS_EITHER;
	return flags;
}

/* next_slot: the start of the hour or local day after t */
static time_t next_slot(time_t t, unsigned by)
{
	return by & REPORT_BY_DAY ? reportq_day_start(t + 25 * 3600) : t + 3600;
}

/* zero_fill: a time series alone (--by hour or --by day) gets a row for
 * every hour/day of the window, 0 where nothing happened (r sorted by t) */
static void zero_fill(const struct report_opts *o, unsigned by,
    struct reportq_rows *r)
{
	struct reportq_rows all = { 0 };
	time_t t, end = o->until;
	size_t i = 0;

	if (o->since > 0)
		t = by & REPORT_BY_DAY ? reportq_day_start(o->since) : o->since -
		    o->since % 3600;
	else if (r->n > 0)
		t = r->v[0].t;
	else
		return;
	for (; t < end; t = next_slot(t, by)) {
		struct reportq_row *w = reportq_rows_add(&all);

		w->t = t;
		for (; i < r->n && r->v[i].t <= t; i++)
			if (r->v[i].t == t)
				w->n += r->v[i].n;
		if (all.n > 100000)
			break;          /* "--since all --by hour" of years */
	}
	free(r->v);
	r->v = all.v;
	r->n = all.n;
	r->cap = all.cap;
}

/* grouped: the rows of a --by report, sorted and cut to top */
static int grouped(struct store *s, const struct report_opts *o, unsigned by,
    struct reportq_rows *r)
{
	size_t i, j, w, lim;

	if (fetch(s, o, by, table_flags(o, by), NULL, r) < 0)
		return -1;
	/* a table by domain leaves out the accounts without one */
	if (o->format == REPORT_TABLE && (by & REPORT_BY_DOMAIN) &&
	    !(by & (REPORT_BY_IP | REPORT_BY_ACCOUNT))) {
		for (i = w = 0; i < r->n; i++)
			if (r->v[i].k[K_DOMAIN] != NULL)
				r->v[w++] = r->v[i];
		r->n = w;
	}
	/* rows whose keys became equal: accounts rolled up to owners or
	 * domains, hours to days */
	if (((by & (REPORT_BY_OWNER | REPORT_BY_DOMAIN)) &&
	    !(by & REPORT_BY_ACCOUNT)) || ((by & REPORT_BY_PREFIX) &&
	    !(by & REPORT_BY_IP)) || (by & REPORT_BY_DAY))
		rollup(r);
	if (r->n == 0 && !(by & BY_TIME))
		return 0;
	if (!(by & BY_TIME)) {
		qsort(r->v, r->n, sizeof *r->v, cmp_count_q);
		if (o->top > 0 && r->n > (size_t)o->top)
			r->n = (size_t)o->top;
		return 0;
	}
	/* a time series: in time order, --top rows per hour or day */
	if (r->n)
		qsort(r->v, r->n, sizeof *r->v, cmp_time_q);
	if ((by & BY_KEYS) == 0) {
		zero_fill(o, by, r);
		return 0;
	}
	lim = o->top > 0 ? (size_t)o->top : (size_t)-1;
	for (i = w = 0; i < r->n; i = j) {
		for (j = i; j < r->n && r->v[j].t == r->v[i].t; j++)
			if (j - i < lim)
				r->v[w++] = r->v[j];
	}
	r->n = w;
	return 0;
}

/* time_key: the hour ("2026-11-22 08:00", or ISO 8601 with the offset for
 * programs) or the day ("2026-11-22") of t, local time */
static const char *time_key(time_t t, unsigned by, int iso, char *buf,
    size_t len)
{
	struct tm tm;
	char z[8];

	localtime_r(&t, &tm);
	if (by & REPORT_BY_DAY) {
		strftime(buf, len, "%Y-%m-%d", &tm);
	} else if (!iso) {
		strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
	} else {
		/* +hhmm -> +hh:mm */
		strftime(z, sizeof z, "%z", &tm);
		strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
		if (strlen(z) == 5)
			snprintf(buf + strlen(buf), len - strlen(buf),
			    "%.3s:%s", z, z + 3);
	}
	return buf;
}

static const char *time_name(unsigned by)
{
	return by & REPORT_BY_DAY ? "day" : "hour";
}

/* ---- json and csv ---- */

static void out_json(const struct report_opts *o, unsigned by,
    const struct reportq_rows *r, struct sbuf *b)
{
	char t[32];
	size_t i;
	int k, first;

	sbuf_adds(b, "{\"since\": ");
	json_cstr(b, time_iso(o->since, t, sizeof t));
	sbuf_adds(b, ", \"until\": ");
	json_cstr(b, time_iso(o->until, t, sizeof t));
	sbuf_adds(b, ", \"by\": [");
	first = 1;
	if (by & BY_TIME) {
		json_cstr(b, time_name(by));
		first = 0;
	}
	for (k = 0; k < K_N; k++) {
		if (!(by & (1u << k)))
			continue;
		sbuf_adds(b, first ? "" : ", ");
		json_cstr(b, reportq_key_names[k]);
		first = 0;
	}
	sbuf_adds(b, "], \"rows\": [");
	for (i = 0; i < r->n; i++) {
		sbuf_adds(b, i ? ", {" : "{");
		if (by & BY_TIME) {
			json_cstr(b, time_name(by));
			sbuf_adds(b, ": ");
			json_cstr(b, time_key(r->v[i].t, by, 1, t, sizeof t));
			sbuf_adds(b, ", ");
		}
		for (k = 0; k < K_N; k++) {
			if (!(by & (1u << k)))
				continue;
			json_cstr(b, reportq_key_names[k]);
			sbuf_adds(b, ": ");
			json_cstr(b, r->v[i].k[k]);
			sbuf_adds(b, ", ");
		}
		sbuf_adds(b, "\"count\": ");
		json_int(b, r->v[i].n);
		sbuf_adds(b, "}");
	}
	sbuf_adds(b, "]}\n");
}

/* csv_formula_at: s[i] begins what a spreadsheet may read as a cell (the
 * start of the field, or the character after a separator that some
 * spreadsheet may split on: ',' ';' tab, '|', or a line break where the
 * quoting is not honoured) and that cell is a formula: when, after spaces, it
 * starts with = + - @ (or a tab or CR, which some strip first). */
static int csv_formula_at(const char *s, size_t i)
{
	if (i > 0 && strchr(",;\t|\r\n", s[i - 1]) == NULL)
		return 0;
	while (s[i] == ' ')
		i++;
	return s[i] != '\0' && strchr("=+-@\t\r", s[i]) != NULL;
}

/* csv_field: one RFC 4180 field.  Log text is attacker-controlled and CSV
 * files get opened in spreadsheets, which run a cell starting with = + - @
 * (or a tab or CR) as a formula (OWASP's "CSV injection"): such a cell gets
 * a leading ', which a spreadsheet shows as text.  A spreadsheet set to
 * split on ';' (the default where ',' is the decimal mark) makes two cells
 * of "x;=cmd|' /c calc'!A1", whatever our quoting: so every cell start
 * inside the field is guarded too ("x;'=cmd|..."). */
static void csv_field(struct sbuf *b, const char *s)
{
	const char *p;
	int quote;

	if (s == NULL)
		return;
	/* quoted when it holds a separator of either kind (RFC 4180 allows
	 * quoting any field; a spreadsheet splitting on ';' keeps a quoted
	 * field whole) */
	quote = strpbrk(s, ",;\t\"\r\n") != NULL;
	if (quote)
		sbuf_addc(b, '"');
	for (p = s; *p; p++) {
		if (csv_formula_at(s, (size_t)(p - s)))
			sbuf_addc(b, '\'');
		if (*p == '"')
			sbuf_addc(b, '"');
		sbuf_addc(b, *p);
	}
	if (quote)
		sbuf_addc(b, '"');
}

static void out_csv(unsigned by, const struct reportq_rows *r, struct sbuf *b)
{
	char t[32];
	size_t i;
	int k;

	if (by & BY_TIME)
		sbuf_addf(b, "%s,", time_name(by));
	for (k = 0; k < K_N; k++)
		if (by & (1u << k))
			sbuf_addf(b, "%s,", reportq_key_names[k]);
	sbuf_adds(b, "count\r\n");
	for (i = 0; i < r->n; i++) {
		if (by & BY_TIME)
			sbuf_addf(b, "%s,", time_key(r->v[i].t, by, 1, t,
			    sizeof t));
		for (k = 0; k < K_N; k++) {
			if (!(by & (1u << k)))
				continue;
			csv_field(b, r->v[i].k[k]);
			sbuf_addc(b, ',');
		}
		sbuf_addf(b, "%lld\r\n", r->v[i].n);
	}
}

/* ---- terminal text ---- */

static void spaces(struct sbuf *b, size_t n)
{
	while (n-- > 0)
		sbuf_addc(b, ' ');
}

static void sgr(struct sbuf *b, const struct report_opts *o, const char *c)
{
	if (o->color && c)
		sbuf_addf(b, "\033[%sm", c);
}

static const char *sev_color(const char *sev)
{
	if (sev == NULL)
		return NULL;
	if (strcmp(sev, "critical") == 0)
		return "1;31";
	if (strcmp(sev, "warning") == 0)
		return "33";
	if (strcmp(sev, "notice") == 0)
		return "36";
	return NULL;                    /* info: plain */
}

/* wrap: text word-wrapped into lines of at most width columns, each line
 * starting with indent spaces */
static void wrap(struct sbuf *b, const char *text, size_t indent,
    size_t width)
{
	const char *p = text, *e;
	size_t col = 0, wlen, avail;
	struct sbuf word;

	avail = width > indent + 20 ? width - indent : 20;
	sbuf_init(&word);
	while (*p) {
		while (*p == ' ' || *p == '\n' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e && *e != ' ' && *e != '\n' && *e != '\t'; e++)
			;
		sbuf_reset(&word);
		sbuf_add(&word, p, (size_t)(e - p));
		wlen = term_width_of(word.s, 0);
		if (col > 0 && col + 1 + wlen > avail) {
			sbuf_addc(b, '\n');
			col = 0;
		}
		if (col == 0) {
			spaces(b, indent);
		} else {
			sbuf_addc(b, ' ');
			col++;
		}
		col += term_text(b, word.s, 0);
		p = e;
	}
	if (col > 0)
		sbuf_addc(b, '\n');
	sbuf_release(&word);
}

char *report_sparkline(const long long *v, size_t n, char *buf, size_t len)
{
	static const char *const blocks[8] = {
		"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█",
	};
	long long max = 0;
	size_t i, off = 0, l;
	const char *c;

	if (len == 0)
		return buf;
	for (i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	for (i = 0; i < n; i++) {
		if (v[i] <= 0) {
			c = " ";
		} else {
			/* the peak is a full block; any non-zero is visible */
			long long lv = (v[i] * 8 - 1) / max;

			c = blocks[lv > 7 ? 7 : lv];
		}
		l = strlen(c);
		if (off + l >= len)
			break;
		memcpy(buf + off, c, l);
		off += l;
	}
	buf[off] = '\0';
	return buf;
}

/* fmt_window: time_window() into b */
static void fmt_window(struct sbuf *b, time_t since, time_t until,
    const char *join, int with_len)
{
	char w[128];

	sbuf_adds(b, time_window(since, until, join, with_len, w, sizeof w));
}

static void out_table(const struct report_opts *o, unsigned by,
    const struct reportq_rows *r, struct sbuf *b)
{
	size_t w[K_N] = { 0 }, cw = 5, tw = 0, i, n, bar = 0, width;
	long long max = 0;
	char num[32], t[32];
	int k;

	width = o->width > 0 ? (size_t)o->width : 80;
	if (by & BY_TIME)
		tw = by & REPORT_BY_DAY ? 10 : 16;
	for (k = 0; k < K_N; k++)
		if (by & (1u << k))
			w[k] = strlen(reportq_key_names[k]);
	for (i = 0; i < r->n; i++) {
		if (r->v[i].n > max)
			max = r->v[i].n;
		for (k = 0; k < K_N; k++) {
			if (!(by & (1u << k)))
				continue;
			n = r->v[i].k[k] ? term_width_of(r->v[i].k[k],
			    FIELD_MAXW) : 1;
			if (n > w[k])
				w[k] = n;
		}
		n = (size_t)snprintf(num, sizeof num, "%lld", r->v[i].n);
		if (n > cw)
			cw = n;
	}
	/* a time series alone gets a bar per hour or day */
	if ((by & BY_TIME) && !(by & BY_KEYS) && max > 0 &&
	    width > tw + 2 + cw + 2 + 10)
		bar = width - (tw + 2 + cw + 2) < 50 ?
		    width - (tw + 2 + cw + 2) : 50;
	sgr(b, o, "1");
	if (by & BY_TIME) {
		sbuf_adds(b, time_name(by));
		spaces(b, tw - strlen(time_name(by)) + 2);
	}
	for (k = 0; k < K_N; k++) {
		if (!(by & (1u << k)))
			continue;
		sbuf_adds(b, reportq_key_names[k]);
		spaces(b, w[k] - strlen(reportq_key_names[k]) + 2);
	}
	spaces(b, cw - 5);
	sbuf_adds(b, "count");
	sgr(b, o, "0");
	sbuf_addc(b, '\n');
	for (i = 0; i < r->n; i++) {
		if (by & BY_TIME) {
			/* the time once per group of rows */
			if (i == 0 || r->v[i].t != r->v[i - 1].t)
				sbuf_adds(b, time_key(r->v[i].t, by, 0, t,
				    sizeof t));
			else
				spaces(b, tw);
			spaces(b, 2);
		}
		for (k = 0; k < K_N; k++) {
			if (!(by & (1u << k)))
				continue;
			n = r->v[i].k[k] ? term_text(b, r->v[i].k[k],
			    FIELD_MAXW) : term_text(b, "-", 0);
			spaces(b, w[k] - n + 2);
		}
		sbuf_addf(b, "%*lld", (int)cw, r->v[i].n);
		if (bar > 0 && r->v[i].n > 0) {
			spaces(b, 2);
			for (n = 0; n < (size_t)((r->v[i].n * (long long)bar +
			    max - 1) / max); n++)
				sbuf_adds(b, "█");
		}
		sbuf_addc(b, '\n');
	}
	if (r->n == 0) {
		sbuf_adds(b, "no events between ");
		fmt_window(b, o->since, o->until, " and ", 0);
		sbuf_adds(b, "\n");
	}
	if (table_flags(o, by) & F_REJECT_ONLY) {
		sgr(b, o, "2");
		sbuf_adds(b, "(rejections and failures; --all adds the "
		    "traffic)");
		sgr(b, o, "0");
		sbuf_addc(b, '\n');
	}
}

/* ---- the summary: classes, series and top lists ---- */

long long report_slot_step(time_t since, time_t until, size_t maxn,
    time_t *origin, size_t *n)
{
	static const long long nice[] = {
		60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 14400, 21600,
		43200, 86400, 172800, 345600, 604800,
	};
	long long step = 0, o, span;
	size_t i;

	if (maxn < 2)
		maxn = 2;
	if (until <= since)
		until = since + 1;
	/* maxn steps span the window; the grid's cut at the start may add
	 * one slot */
	span = (long long)(until - since);
	for (i = 0; i < sizeof nice / sizeof nice[0]; i++) {
		if ((span + nice[i] - 1) / nice[i] <= (long long)maxn) {
			step = nice[i];
			break;
		}
	}
	if (step == 0)
		step = 604800 * ((span + 604800LL * (long long)maxn - 1) /
		    (604800LL * (long long)maxn));
	o = (long long)since / step * step;
	*origin = (time_t)o;
	*n = (size_t)((until - o + step - 1) / step);
	return step;
}

time_t report_slot_start(const struct report_summary *sum, size_t i)
{
	time_t t = sum->origin + (time_t)i * (time_t)sum->step;

	if (i == 0 || t < sum->since)
		return sum->since;
	return t > sum->until ? sum->until : t;
}

struct sumpriv {
	struct reportq_rows cls;
	struct reportq_rows top[3];            /* ips, accounts, owners */
	struct report_share *shares[3];
	struct reportq_grid g;                 /* the classes' series */
};

static int cmp_cls(const void *x, const void *y)
{
	const struct report_class *a = x, *b = y;

	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	return strcmp(a->name, b->name);
}

static int cmp_top(const void *x, const void *y)
{
	const struct report_top *a = x, *b = y;

	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	return keycmp(a->key, b->key);
}

/* key, then count desc, then class: each key's main classes first */
static int cmp_kc(const struct reportq_row *a, const struct reportq_row *b, int key)
{
	int c;

	if ((c = keycmp(a->k[key], b->k[key])) != 0)
		return c;
	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return keycmp(a->k[K_CLASS], b->k[K_CLASS]);
}

static int cmp_kc_ip(const void *x, const void *y)
{
	return cmp_kc(x, y, K_IP);
}

static int cmp_kc_account(const void *x, const void *y)
{
	return cmp_kc(x, y, K_ACCOUNT);
}

static int cmp_kc_owner(const void *x, const void *y)
{
	return cmp_kc(x, y, K_OWNER);
}

/* build_classes: per class the total and the series */
/* classes_spec: the grouping of the classes and their series */
static void classes_spec(struct report_summary *sum, struct sumpriv *pv,
    struct reportq_spec *sp)
{
	pv->g.origin = sum->origin;
	pv->g.step = sum->step;
	memset(sp, 0, sizeof *sp);
	sp->by = REPORT_BY_CLASS;
	sp->g = &pv->g;
	sp->out = &pv->cls;
}

/* build_classes: the classes of the window, from their grouping */
static void build_classes(const struct report_opts *o,
    struct report_summary *sum, struct sumpriv *pv)
{
	struct report_class *c;
	size_t i, j, nc = 0;
	int idx;

	c = sum->classes = xcalloc(pv->cls.n + 1, sizeof *sum->classes);
	for (i = 0; i < pv->cls.n; i++) {
		const struct reportq_row *r = &pv->cls.v[i];

		for (j = 0; j < nc && strcmp(c[j].name, r->k[K_CLASS]); j++)
			;
		if (j == nc) {
			c[nc].name = r->k[K_CLASS];
			c[nc].series = xcalloc(sum->nslots, sizeof *c[nc].series);
			c[nc].traffic = reportq_is_traffic(c[nc].name);
			nc++;
		}
		c[j].total += r->n;
		if (r->slot >= 0 && (size_t)r->slot < sum->nslots)
			c[j].series[r->slot] += r->n;
		if (c[j].traffic)
			sum->traffic += r->n;
		else
			sum->rejects += r->n;
	}
	sum->nclasses = nc;
	if (nc > 1)
		qsort(c, nc, sizeof *c, cmp_cls);
	for (i = 0; i < nc && o->rules; i++) {
		if ((idx = rules_find(o->rules, c[i].name)) < 0)
			continue;
		c[i].severity = rules_severity(o->rules, (size_t)idx);
		c[i].description = rules_description(o->rules, (size_t)idx);
		c[i].remedy = rules_remedy(o->rules, (size_t)idx);
	}
}

static const int top_keys_of[3] = { K_IP, K_ACCOUNT, K_OWNER };

/* top_spec: the grouping of the keys (ip, account or owner) by class;
 * which = 0 ips, 1 accounts, 2 owners */
static void top_spec(const struct report_opts *o, struct sumpriv *pv,
    int which, struct reportq_spec *sp)
{
	int key = top_keys_of[which];
	unsigned by = REPORT_BY_CLASS;

	memset(sp, 0, sizeof *sp);
	if (key == K_IP)
		by |= REPORT_BY_IP;
	else if (key == K_ACCOUNT)
		by |= REPORT_BY_ACCOUNT;
	if (key != K_IP && o->owners && owners_count(o->owners) > 0)
		by |= REPORT_BY_OWNER;
	/* ips and accounts: only the rows of the top keys (each key is its
	 * own list entry); owners merge accounts, so they need them all */
	sp->by = by;
	sp->flags = F_REJECT_ONLY | (key == K_IP ? F_HAS_IP : F_HAS_ACCOUNT);
	sp->out = &pv->top[which];
	if (key != K_OWNER && o->top > 0) {
		sp->top = (size_t)o->top;
		sp->top_key = key;
	}
}

/* build_top: the keys with the most rejection events, each with its main
 * classes, from their grouping */
static void build_top(const struct report_opts *o,
    struct report_summary *sum, struct sumpriv *pv, int which)
{
	int key = top_keys_of[which];
	struct reportq_rows *r = &pv->top[which];
	struct report_top *t;
	struct report_share *sh;
	size_t nt = 0, i, j, lim;

	if (key == K_OWNER) {
		/* events of accounts no cPanel user owns are not a list entry */
		for (i = j = 0; i < r->n; i++)
			if (r->v[i].k[K_OWNER] != NULL)
				r->v[j++] = r->v[i];
		r->n = j;
		rollup(r);
	}
	if (r->n == 0)
		return;
	qsort(r->v, r->n, sizeof *r->v, key == K_IP ? cmp_kc_ip :
	    key == K_ACCOUNT ? cmp_kc_account : cmp_kc_owner);
	t = xcalloc(r->n, sizeof *t);
	sh = pv->shares[which] = xcalloc(r->n, sizeof *sh);
	for (i = 0; i < r->n; i = j) {
		t[nt].key = r->v[i].k[key] ? r->v[i].k[key] : "-";
		t[nt].owner = key == K_ACCOUNT ? r->v[i].k[K_OWNER] : NULL;
		t[nt].by_class = &sh[i];
		for (j = i; j < r->n && keycmp(r->v[j].k[key],
		    r->v[i].k[key]) == 0; j++) {
			sh[j].cls = r->v[j].k[K_CLASS];
			sh[j].n = r->v[j].n;
			t[nt].total += r->v[j].n;
		}
		t[nt].nclasses = j - i;
		nt++;
	}
	qsort(t, nt, sizeof *t, cmp_top);
	lim = o->top > 0 && (size_t)o->top < nt ? (size_t)o->top : nt;
	if (which == 0) {
		sum->ips = t;
		sum->nips = lim;
	} else if (which == 1) {
		sum->accounts = t;
		sum->naccounts = lim;
	} else {
		sum->owners = t;
		sum->nowners = lim;
	}
}

int report_summary_build(struct store *s, const struct report_opts *o,
    size_t maxslots, struct report_summary *sum)
{
	struct sumpriv *pv = xcalloc(1, sizeof *pv);
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	int owners = o->owners && owners_count(o->owners) > 0;

	memset(sum, 0, sizeof *sum);
	sum->priv = pv;
	sum->since = o->since;
	sum->until = o->until;
	/* "--since all": draw the window from the first data on, or the
	 * series would be 56 years wide with everything in the last slot */
	if (sum->since <= 0) {
		if (sqlite3_prepare_v2(db, "SELECT MIN(bucket) FROM count_chunks"
		    " WHERE bucket < ?1", -1, &st, NULL) != SQLITE_OK)
			return db_fail(s, db);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)sum->until);
		if (sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_type(st, 0) != SQLITE_NULL)
			sum->since = (time_t)sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sum->step = report_slot_step(sum->since, sum->until, maxslots,
	    &sum->origin, &sum->nslots);
	/* one pass over the window for all the groupings: the classes with
	 * their series, and the top addresses, accounts and owners */
	if (sum->until > sum->since) {
		struct reportq_spec sp[4];
		struct report_opts win = *o;
		size_t n = 0;

		win.since = sum->since;
		win.until = sum->until;
		classes_spec(sum, pv, &sp[n++]);
		top_spec(o, pv, 0, &sp[n++]);
		top_spec(o, pv, 1, &sp[n++]);
		if (owners)
			top_spec(o, pv, 2, &sp[n++]);
		if (reportq_fetch(s, &win, sp, n) < 0)
			return -1;
	}
	build_classes(o, sum, pv);
	if (sum->rejects == 0)
		return 0;
	build_top(o, sum, pv, 0);
	build_top(o, sum, pv, 1);
	if (owners)
		build_top(o, sum, pv, 2);
	return 0;
}

void report_summary_release(struct report_summary *sum)
{
	struct sumpriv *pv = sum->priv;
	size_t i;

	if (pv != NULL) {
		reportq_rows_release(&pv->cls);
		for (i = 0; i < 3; i++) {
			reportq_rows_release(&pv->top[i]);
			free(pv->shares[i]);
		}
		free(pv);
	}
	for (i = 0; i < sum->nclasses; i++)
		free(sum->classes[i].series);
	free(sum->classes);
	free(sum->ips);
	free(sum->accounts);
	free(sum->owners);
	memset(sum, 0, sizeof *sum);
}

/* ---- the default table ---- */

/* top_list: "Top IPs" / "Top accounts" with their main classes, as many as
 * fit the width */
static void top_list(const struct report_opts *o, const char *title,
    const struct report_top *t, size_t nt, struct sbuf *b, size_t width)
{
	size_t i, j, kw = 0, cw = 1, used, n;
	char num[32];
	struct sbuf lab;

	if (nt == 0)
		return;
	sbuf_init(&lab);
	for (i = 0; i < nt; i++) {
		n = term_width_of(t[i].key, FIELD_MAXW);
		if (t[i].owner)
			n += 3 + term_width_of(t[i].owner, FIELD_MAXW);
		if (n > kw)
			kw = n;
		n = (size_t)snprintf(num, sizeof num, "%lld", t[i].total);
		if (n > cw)
			cw = n;
	}

	sbuf_addc(b, '\n');
	sgr(b, o, "1");
	sbuf_adds(b, title);
	sgr(b, o, "0");
	sbuf_addc(b, '\n');
	for (i = 0; i < nt; i++) {
		sbuf_adds(b, "  ");
		n = term_text(b, t[i].key, FIELD_MAXW);
		if (t[i].owner) {
			sbuf_adds(b, " [");
			n += 3 + term_text(b, t[i].owner, FIELD_MAXW);
			sbuf_adds(b, "]");
		}
		spaces(b, kw - n + 2);
		sbuf_addf(b, "%*lld  ", (int)cw, t[i].total);
		used = 2 + kw + 2 + cw + 2;
		/* the main classes, as many as fit */
		for (j = 0; j < t[i].nclasses && j < 3; j++) {
			const struct report_share *sh = &t[i].by_class[j];

			sbuf_reset(&lab);
			sbuf_addf(&lab, "%s%s %lld", j ? ", " : "", sh->cls,
			    sh->n);
			n = term_width_of(lab.s, 0);
			if (j > 0 && used + n > width)
				break;
			term_text(b, lab.s, 0);
			used += n;
		}
		if (j < t[i].nclasses && used + 3 <= width)
			sbuf_adds(b, ", …");
		sbuf_addc(b, '\n');
	}
	sbuf_release(&lab);
}

static int empty_window(struct store *s, const struct report_opts *o,
    struct sbuf *b)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	int filtered = (o->classes && o->classes[0]) || o->ip || o->account;
	int have_before = 0, have_after = 0;
	time_t before = 0, after = 0;
	char day[32];
	struct tm tm;

	if (sqlite3_prepare_v2(db, "SELECT (SELECT MAX(bucket) FROM count_chunks"
	    " WHERE bucket < ?1), (SELECT MIN(bucket) FROM count_chunks"
	    " WHERE bucket >= ?2)", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)o->since);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)o->until);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto fail;
	if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
		have_before = 1;
		before = (time_t)sqlite3_column_int64(st, 0);
	}
	if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
		have_after = 1;
		after = (time_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);

	sbuf_addf(b, "no events%s between ", filtered ?
	    " matching the filters" : "");
	fmt_window(b, o->since, o->until, " and ", 0);
	if (filtered) {
		sbuf_addc(b, '\n');
		return 0;
	}
	if (have_before && o->until - before <= 7 * 86400) {
		sbuf_adds(b, "; try --since 7d\n");
	} else if (have_before) {
		localtime_r(&before, &tm);
		strftime(day, sizeof day, "%Y-%m-%d", &tm);
		sbuf_addf(b, "; the last events before it are from %s: try "
		    "--since %s\n", day, day);
	} else if (have_after) {
		localtime_r(&after, &tm);
		strftime(day, sizeof day, "%Y-%m-%d %H:%M", &tm);
		sbuf_addf(b, "; the first events after it are from %s\n", day);
	} else {
		sbuf_adds(b, "; nothing is counted yet: run 'eximwatch scan "
		    "FILE' or start the daemon\n");
	}
	return 0;

fail:
	db_fail(s, db);
	sqlite3_finalize(st);
	return -1;
}


#define PROSE_MAXW 100          /* prose lines, at most, on wide terminals */

static int sev_high(const char *sev)
{
	return sev && (strcmp(sev, "critical") == 0 ||
	    strcmp(sev, "warning") == 0);
}

/* shell_arg: " opt value", the value quoted for a POSIX shell when it
 * needs it (control bytes shown as '?': it is for a person to copy) */
static void shell_arg(struct sbuf *b, const char *opt, const char *v)
{
	size_t i;
	int plain = *v != '\0';

	for (i = 0; v[i] && plain; i++)
		plain = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' &&
		    v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9') ||
		    strchr("@._:/+-,=", v[i]) != NULL;
	sbuf_addf(b, " %s ", opt);
	if (plain) {
		sbuf_adds(b, v);
		return;
	}
	sbuf_addc(b, '\'');
	for (i = 0; v[i]; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '\'')
			sbuf_adds(b, "'\\''");
		else
			sbuf_addc(b, c < 0x20 || c == 0x7f ? '?' : (char)c);
	}
	sbuf_addc(b, '\'');
}

/* shell_time: shell_arg() of t as local time, to the minute (to the
 * second when it is not on one: the same window, not a minute more) */
static void shell_time(struct sbuf *b, const char *opt, time_t t)
{
	char buf[32];
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, sizeof buf, tm.tm_sec ? "%Y-%m-%d %H:%M:%S" :
	    "%Y-%m-%d %H:%M", &tm);
	shell_arg(b, opt, buf);
}

/* findings_head: what to act on first, one line per finding, and the
 * command that gives their details and remedies for the same window,
 * database and filters */
static void findings_head(struct store *s, const struct report_opts *o,
    time_t since, time_t until, struct sbuf *b, size_t width)
{
	const struct findings *f = o->findings;

	if (f == NULL || f->n == 0)
		return;
	sbuf_addc(b, '\n');
	sgr(b, o, "1");
	sbuf_addf(b, "Findings (%zu): see eximwatch diagnose", f->n);
	if (strcmp(store_path(s), paths_default_db()) != 0)
		shell_arg(b, "--db", store_path(s));
	shell_time(b, "--since", since);
	/* until: now, unless the report ended earlier */
	if (until + 60 < time(NULL))
		shell_time(b, "--until", until);
	if (o->userdomains)
		shell_arg(b, "--userdomains", o->userdomains);
	if (o->ip)
		shell_arg(b, "--ip", o->ip);
	if (o->account)
		shell_arg(b, "--account", o->account);
	sgr(b, o, "0");
	sbuf_addc(b, '\n');
	findings_lines(f, FINDINGS_SHOWN, 2, (int)width, b);
	if (f->n > FINDINGS_SHOWN)
		sbuf_addf(b, "  \xe2\x80\xa6 and %zu more\n", f->n - FINDINGS_SHOWN);
}

/* remedies_text: "What to do": the remedies of the warnings and above, of
 * every class with --remedies */
static void remedies_text(const struct report_opts *o,
    const struct report_summary *sum, struct sbuf *b, size_t prose)
{
	size_t i, shown = 0, hidden = 0;

	for (i = 0; i < sum->nclasses; i++) {
		const struct report_class *c = &sum->classes[i];

		if (c->traffic || !c->remedy || !*c->remedy)
			continue;
		if (o->remedies || sev_high(c->severity))
			shown++;
		else
			hidden++;
	}
	if (shown == 0)
		return;
	sbuf_addc(b, '\n');
	sgr(b, o, "1");
	sbuf_adds(b, "What to do");
	sgr(b, o, "0");
	if (hidden > 0)
		sbuf_addf(b, " (warning and above; --remedies for the other "
		    "%zu)", hidden);
	sbuf_addc(b, '\n');
	for (i = 0; i < sum->nclasses; i++) {
		const struct report_class *c = &sum->classes[i];

		if (c->traffic || !c->remedy || !*c->remedy ||
		    !(o->remedies || sev_high(c->severity)))
			continue;
		sbuf_adds(b, "  ");
		sgr(b, o, "1");
		term_text(b, c->name, FIELD_MAXW);
		sgr(b, o, "0");
		if (c->severity) {
			sbuf_adds(b, " (");
			sgr(b, o, sev_color(c->severity));
			term_text(b, c->severity, 0);
			sgr(b, o, sev_color(c->severity) ? "0" : NULL);
			sbuf_adds(b, ")");
		}
		sbuf_addc(b, '\n');
		wrap(b, c->remedy, 6, prose);
	}
}

static int default_table(struct store *s, const struct report_opts *o,
    struct sbuf *b)
{
	struct report_summary sum;
	size_t i, j, nw = 5, cw = 5, sw = 8, width, prose, line, dw;
	char num[32], spark[(SPARK_SLOTS + 2) * 4 + 1], d[32];
	int rc = -1;

	width = o->width > 0 ? (size_t)o->width : 80;
	prose = width < PROSE_MAXW ? width : PROSE_MAXW;
	if (report_summary_build(s, o, SPARK_SLOTS, &sum) < 0)
		goto out;

	sgr(b, o, "1");
	sbuf_adds(b, "eximwatch report — ");
	fmt_window(b, sum.since, sum.until, " → ", 1);
	sgr(b, o, "0");
	sbuf_addc(b, '\n');
	findings_head(s, o, sum.since, sum.until, b, width);

	if (sum.nclasses == 0) {
		sbuf_addc(b, '\n');
		rc = empty_window(s, o, b);
		goto out;
	}
	for (i = 0; i < sum.nclasses; i++) {
		if (sum.classes[i].traffic)
			continue;
		if ((j = term_width_of(sum.classes[i].name, FIELD_MAXW)) > nw)
			nw = j;
		if ((j = (size_t)snprintf(num, sizeof num, "%lld",
		    sum.classes[i].total)) > cw)
			cw = j;
	}

	sbuf_addc(b, '\n');
	sgr(b, o, "1");
	if (sum.rejects == 0) {
		sbuf_adds(b, "no rejections or failures");
	} else {
		sbuf_addf(b, "Rejections and failures (%lld; sparkline: "
		    "1 character = %s)", sum.rejects, duration_span(sum.step, d,
		    sizeof d));
	}
	sgr(b, o, "0");
	sbuf_addc(b, '\n');
	for (i = 0; i < sum.nclasses; i++) {
		const struct report_class *c = &sum.classes[i];
		const char *desc = c->description;

		if (c->traffic)
			continue;
		sbuf_adds(b, "  ");
		j = term_text(b, c->name, FIELD_MAXW);
		spaces(b, nw - j + 2);
		sbuf_addf(b, "%*lld  ", (int)cw, c->total);
		sgr(b, o, sev_color(c->severity));
		j = term_text(b, c->severity ? c->severity : "-", sw);
		sgr(b, o, sev_color(c->severity) ? "0" : NULL);
		spaces(b, sw - j + 2);
		sbuf_adds(b, report_sparkline(c->series, sum.nslots, spark,
		    sizeof spark));
		line = 2 + nw + 2 + cw + 2 + sw + 2 + sum.nslots;
		/* the description on the same line when it fits (--brief: cut
		 * to fit), else below */
		if (desc) {
			dw = term_width_of(desc, 0);
			if (line + 2 + dw <= width) {
				spaces(b, 2);
				term_text(b, desc, 0);
				desc = NULL;
			} else if (o->brief) {
				if (line + 2 + 20 <= width) {
					spaces(b, 2);
					term_text(b, desc, width - line - 2);
				}
				desc = NULL;
			}
		}
		while (b->len > 0 && b->s[b->len - 1] == ' ')
			b->s[--b->len] = '\0';   /* quiet sparkline end */
		sbuf_addc(b, '\n');
		if (desc)
			wrap(b, desc, 6, prose);
	}

	/* traffic: one compact summary, in the list's order */
	if (sum.traffic > 0) {
		struct sbuf t;

		sbuf_init(&t);
		for (j = 0; j < REPORTQ_NTRAFFIC; j++)
			for (i = 0; i < sum.nclasses; i++)
				if (strcmp(sum.classes[i].name,
				    reportq_traffic[j]) == 0)
					sbuf_addf(&t, "%s%s %lld", t.len ?
					    ", " : "", sum.classes[i].name,
					    sum.classes[i].total);
		sbuf_addc(b, '\n');
		sgr(b, o, "1");
		sbuf_adds(b, "Traffic");
		sgr(b, o, "0");
		sbuf_addc(b, '\n');
		wrap(b, t.s, 2, prose);
		sbuf_release(&t);
	}

	top_list(o, "Top IPs", sum.ips, sum.nips, b, width);
	top_list(o, "Top accounts", sum.accounts, sum.naccounts, b, width);
	if (!o->brief)
		remedies_text(o, &sum, b, prose);
	rc = 0;
out:
	report_summary_release(&sum);
	return rc;
}

int report_run(struct store *s, const struct report_opts *o, FILE *out)
{
	struct reportq_rows r = { 0 };
	struct report_summary sum;
	struct sbuf b;
	unsigned by = o->by & (BY_KEYS | BY_TIME);

	sbuf_init(&b);
	if (o->format == REPORT_HTML) {
		if (report_summary_build(s, o, HTML_SLOTS, &sum) < 0) {
			report_summary_release(&sum);
			goto fail;
		}
		report_html(&sum, o, &b);
		report_summary_release(&sum);
	} else if (o->format == REPORT_TABLE && by == 0) {
		if (default_table(s, o, &b) < 0)
			goto fail;
	} else {
		if (by == 0)
			by = REPORT_BY_CLASS;
		if (grouped(s, o, by, &r) < 0)
			goto fail;
		if (o->format == REPORT_JSON)
			out_json(o, by, &r, &b);
		else if (o->format == REPORT_CSV)
			out_csv(by, &r, &b);
		else
			out_table(o, by, &r, &b);
	}
	fwrite(b.s, 1, b.len, out);
	reportq_rows_release(&r);
	sbuf_release(&b);
	return 0;

fail:
	reportq_rows_release(&r);
	sbuf_release(&b);
	return -1;
}
