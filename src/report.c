/* report: queries over the counts and their table/json/csv output
 * (see report.h)
 *
 * Every query goes through fetch(): one GROUP BY over the window with the
 * filters as bound parameters; the only SQL text built here comes from the
 * fixed --by keys and the number of --class values.  Sorting, the owner
 * roll-up and the top-N cut happen in C, because the owner is not in the
 * database (it comes from /etc/userdomains at report time).
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
#include "netaddr.h"
#include "owners.h"
#include "report.h"
#include "rules.h"
#include "netaddr.h"
#include "sbuf.h"
#include "store.h"
#include "term.h"
#include "xmalloc.h"

/* Key columns, in output order; bit i of `by` is key i (enum report_by). */
enum { K_CLASS, K_IP, K_ACCOUNT, K_OWNER, K_PREFIX, K_N };
static const char *const key_names[K_N] = { "class", "ip", "account", "owner",
	"prefix" };

/* The classes that count ordinary mail flow; everything else is a rejection
 * or a failure and gets the detailed treatment in the default table. */
static const char *const traffic_classes[] = {
	"msg_in_auth", "msg_in_unauth", "msg_in_local", "msg_in_bounce",
	"delivered_local", "delivered_remote", "bounced", "deferred",
	"completed",
};
#define NTRAFFIC (sizeof traffic_classes / sizeof traffic_classes[0])

#define SPARK_SLOTS 24
#define FINDINGS_SHOWN 5        /* findings opening the table */
#define FIELD_MAXW 48           /* widest key column in a table */

/* fetch() flags */
enum {
	F_REJECT_ONLY = 1 << 0,  /* leave out the traffic classes */
	F_HAS_IP      = 1 << 1,  /* only events with a client IP */
	F_HAS_ACCOUNT = 1 << 2,  /* only events with an account */
};

struct row {
	const char *k[K_N];      /* NULL = none; class/ip/account in the pool */
	long long n;
	long long slot;          /* sparkline slot, or 0 */
};

struct rows {
	struct row *v;
	size_t n, cap;
	char **pool;             /* the strings the rows point to */
	size_t npool, cappool;
};

static void rows_release(struct rows *r)
{
	size_t i;

	for (i = 0; i < r->npool; i++)
		free(r->pool[i]);
	free(r->pool);
	free(r->v);
	memset(r, 0, sizeof *r);
}

static const char *rows_str(struct rows *r, const unsigned char *s)
{
	if (s == NULL || s[0] == '\0')   /* id 0: none */
		return NULL;
	if (r->npool == r->cappool) {
		r->cappool = r->cappool ? 2 * r->cappool : 64;
		r->pool = xreallocarray(r->pool, r->cappool, sizeof *r->pool);
	}
	return r->pool[r->npool++] = xstrdup((const char *)s);
}

static struct row *rows_add(struct rows *r)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->v = xreallocarray(r->v, r->cap, sizeof *r->v);
	}
	memset(&r->v[r->n], 0, sizeof r->v[r->n]);
	return &r->v[r->n++];
}

static int is_traffic(const char *cls)
{
	size_t i;

	for (i = 0; cls && i < NTRAFFIC; i++)
		if (strcmp(cls, traffic_classes[i]) == 0)
			return 1;
	return 0;
}

static int db_fail(struct store *s, sqlite3 *db)
{
	log_warnx("cannot read the counts from '%s': %s", store_path(s),
	    sqlite3_errmsg(db));
	return -1;
}

/* in_net: SQL ew_in_net(addr): 1 if addr lies in the --ip network */
static void in_net(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const struct netaddr *net = sqlite3_user_data(ctx);
	const unsigned char *a = sqlite3_value_text(argv[0]);

	(void)argc;
	sqlite3_result_int(ctx, a != NULL && netaddr_contains_text(net,
	    (const char *)a, (size_t)sqlite3_value_bytes(argv[0])));
}

/* fetch: the sums of n over [since, until) grouped by the keys in `by`
 * (owner is rolled up from account afterwards) and, if nslots > 0, by
 * sparkline slot.  Appends to out; 0 or -1 (logged). */
static int fetch(struct store *s, const struct report_opts *o, unsigned by,
    int flags, int nslots, struct rows *out)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	struct netaddr net;
	struct sbuf q;
	int col[K_N], ncol = 0, slotcol = -1, p = 4, rc, i, k;
	size_t j;

	sbuf_init(&q);
	for (k = 0; k < K_N; k++)
		col[k] = -1;
	sbuf_adds(&q, "SELECT ");
	if (by & REPORT_BY_CLASS) {
		sbuf_adds(&q, "k.name, ");
		col[K_CLASS] = ncol++;
	}
	if (by & (REPORT_BY_IP | REPORT_BY_PREFIX)) {
		sbuf_adds(&q, "i.addr, ");
		col[K_IP] = ncol++;
	}
	if (by & (REPORT_BY_ACCOUNT | REPORT_BY_OWNER)) {
		sbuf_adds(&q, "a.name, ");
		col[K_ACCOUNT] = ncol++;
	}
	if (nslots > 0) {
		/* slot i covers [since + i*W/N, since + (i+1)*W/N) */
		sbuf_adds(&q, "(c.bucket - ?1) * ?3 / (?2 - ?1) AS slot, ");
		slotcol = ncol++;
	}
	sbuf_adds(&q, "SUM(c.n) FROM counts c"
	    " JOIN classes k ON k.id = c.class_id"
	    " JOIN ips i ON i.id = c.ip_id"
	    " JOIN accounts a ON a.id = c.account_id"
	    " WHERE c.bucket >= ?1 AND c.bucket < ?2");
	if (o->classes && o->classes[0]) {
		sbuf_adds(&q, " AND k.name IN (");
		for (j = 0; o->classes[j]; j++)
			sbuf_addf(&q, "%s?%d", j ? ", " : "", p++);
		sbuf_adds(&q, ")");
	}
	if (flags & F_REJECT_ONLY) {
		sbuf_adds(&q, " AND k.name NOT IN (");
		for (j = 0; j < NTRAFFIC; j++)
			sbuf_addf(&q, "%s?%d", j ? ", " : "", p++);
		sbuf_adds(&q, ")");
	}
	/* --ip: an address or a network, matched by netaddr (so 2001:DB8::1
	 * finds 2001:db8::1); each stored address is tested once */
	if (o->ip && netaddr_parse(o->ip, strlen(o->ip), &net) == 0)
		sbuf_adds(&q, " AND c.ip_id IN (SELECT id FROM ips"
		    " WHERE ew_in_net(addr))");
	else if (o->ip)
		sbuf_adds(&q, " AND 0");        /* no address: matches nothing */
	if (o->account)
		sbuf_addf(&q, " AND a.name = ?%d COLLATE NOCASE", p++);
	if (flags & F_HAS_IP)
		sbuf_adds(&q, " AND c.ip_id != 0");
	if (flags & F_HAS_ACCOUNT)
		sbuf_adds(&q, " AND c.account_id != 0");
	if (ncol > 0) {
		sbuf_adds(&q, " GROUP BY ");
		for (i = 1; i <= ncol; i++)
			sbuf_addf(&q, "%s%d", i > 1 ? ", " : "", i);
	}

	if (sqlite3_create_function(db, "ew_in_net", 1, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC, &net, in_net, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, q.s, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)o->since);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)o->until);
	sqlite3_bind_int(st, 3, nslots > 0 ? nslots : 1);
	p = 4;
	for (j = 0; o->classes && o->classes[j]; j++)
		sqlite3_bind_text(st, p++, o->classes[j], -1, SQLITE_STATIC);
	for (j = 0; (flags & F_REJECT_ONLY) && j < NTRAFFIC; j++)
		sqlite3_bind_text(st, p++, traffic_classes[j], -1,
		    SQLITE_STATIC);
	if (o->account)
		sqlite3_bind_text(st, p++, o->account, -1, SQLITE_STATIC);

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long long n = sqlite3_column_int64(st, ncol);
		struct row *r;

		if (sqlite3_column_type(st, ncol) == SQLITE_NULL)
			continue;       /* SUM over no rows */
		r = rows_add(out);
		r->n = n;
		for (k = 0; k < K_N; k++)
			if (col[k] >= 0)
				r->k[k] = rows_str(out,
				    sqlite3_column_text(st, col[k]));
		if (slotcol >= 0)
			r->slot = sqlite3_column_int64(st, slotcol);
		if (by & REPORT_BY_OWNER)
			r->k[K_OWNER] = r->k[K_ACCOUNT] ? owners_lookup(
			    o->owners, r->k[K_ACCOUNT],
			    strlen(r->k[K_ACCOUNT])) : NULL;
		if (!(by & REPORT_BY_ACCOUNT))
			r->k[K_ACCOUNT] = NULL;
		if (by & REPORT_BY_PREFIX) {
			/* the address's network (by: prefix of the alerts) */
			char pfx[NETADDR_STRLEN];

			r->k[K_PREFIX] = r->k[K_IP] && netaddr_network_text(r->k[K_IP],
			    strlen(r->k[K_IP]), o->prefix_v4 ? o->prefix_v4 : 24,
			    o->prefix_v6 ? o->prefix_v6 : 64, pfx, sizeof pfx) ?
			    rows_str(out, (const unsigned char *)pfx) : NULL;
			if (!(by & REPORT_BY_IP))
				r->k[K_IP] = NULL;
		}
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	sbuf_release(&q);
	return 0;

fail:
	db_fail(s, db);
	sqlite3_finalize(st);
	sbuf_release(&q);
	return -1;
}

/* NULL sorts after any text: "none" is the least interesting key */
static int keycmp(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL) - (b == NULL);
	return strcmp(a, b);
}

static int cmp_keys(const struct row *a, const struct row *b)
{
	int k, c;

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
	const struct row *a = x, *b = y;

	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return cmp_keys(a, b);
}

/* rollup: merge rows whose keys are equal (after account -> owner) */
static void rollup(struct rows *r)
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

/* grouped: the rows of a --by report, sorted and cut to top */
static int grouped(struct store *s, const struct report_opts *o, unsigned by,
    struct rows *r)
{
	if (fetch(s, o, by, 0, 0, r) < 0)
		return -1;
	if (((by & REPORT_BY_OWNER) && !(by & REPORT_BY_ACCOUNT)) ||
	    ((by & REPORT_BY_PREFIX) && !(by & REPORT_BY_IP)))
		rollup(r);
	if (r->n)
		qsort(r->v, r->n, sizeof *r->v, cmp_count_q);
	if (o->top > 0 && r->n > (size_t)o->top)
		r->n = (size_t)o->top;
	return 0;
}

/* ---- json and csv ---- */

static void out_json(const struct report_opts *o, unsigned by,
    const struct rows *r, struct sbuf *b)
{
	char t[32];
	size_t i;
	int k, first;

	sbuf_adds(b, "{\"since\": ");
	json_cstr(b, time_iso(o->since, t, sizeof t));
	sbuf_adds(b, ", \"until\": ");
	json_cstr(b, time_iso(o->until, t, sizeof t));
	sbuf_adds(b, ", \"by\": [");
	for (k = 0, first = 1; k < K_N; k++) {
		if (!(by & (1u << k)))
			continue;
		sbuf_adds(b, first ? "" : ", ");
		json_cstr(b, key_names[k]);
		first = 0;
	}
	sbuf_adds(b, "], \"rows\": [");
	for (i = 0; i < r->n; i++) {
		sbuf_adds(b, i ? ", {" : "{");
		for (k = 0; k < K_N; k++) {
			if (!(by & (1u << k)))
				continue;
			json_cstr(b, key_names[k]);
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

static void out_csv(unsigned by, const struct rows *r, struct sbuf *b)
{
	size_t i;
	int k;

	for (k = 0; k < K_N; k++)
		if (by & (1u << k))
			sbuf_addf(b, "%s,", key_names[k]);
	sbuf_adds(b, "count\r\n");
	for (i = 0; i < r->n; i++) {
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

/* span_text: a window length for people: the two largest units, rounded
 * ("2465d9h", not "2465d8h50m57s") */
static char *span_text(int64_t secs, char *buf, size_t len)
{
	static const int64_t unit[] = { 86400, 3600, 60, 1 };
	size_t i;

	for (i = 0; i + 1 < sizeof unit / sizeof unit[0]; i++) {
		if (secs >= unit[i]) {
			secs = (secs + unit[i + 1] / 2) / unit[i + 1] *
			    unit[i + 1];
			break;
		}
	}
	return duration_format(secs, buf, len);
}

/* fmt_window: "2026-11-22 08:00 → 09:00 (1h)" in local time; join is the
 * text between the two times */
static void fmt_window(struct sbuf *b, time_t since, time_t until,
    const char *join, int with_len)
{
	char a[32], z[32], d[32];
	struct tm ts, tu;

	localtime_r(&since, &ts);
	localtime_r(&until, &tu);
	strftime(a, sizeof a, "%Y-%m-%d %H:%M", &ts);
	if (ts.tm_year == tu.tm_year && ts.tm_yday == tu.tm_yday)
		strftime(z, sizeof z, "%H:%M", &tu);
	else
		strftime(z, sizeof z, "%Y-%m-%d %H:%M", &tu);
	sbuf_addf(b, "%s%s%s", a, join, z);
	if (with_len)
		sbuf_addf(b, " (%s)", span_text((int64_t)(until - since),
		    d, sizeof d));
}

static void out_table(const struct report_opts *o, unsigned by,
    const struct rows *r, struct sbuf *b)
{
	size_t w[K_N] = { 0 }, cw = 5, i, n;
	char num[32];
	int k;

	for (k = 0; k < K_N; k++)
		if (by & (1u << k))
			w[k] = strlen(key_names[k]);
	for (i = 0; i < r->n; i++) {
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
	sgr(b, o, "1");
	for (k = 0; k < K_N; k++) {
		if (!(by & (1u << k)))
			continue;
		sbuf_adds(b, key_names[k]);
		spaces(b, w[k] - strlen(key_names[k]) + 2);
	}
	spaces(b, cw - 5);
	sbuf_adds(b, "count");
	sgr(b, o, "0");
	sbuf_addc(b, '\n');
	for (i = 0; i < r->n; i++) {
		for (k = 0; k < K_N; k++) {
			if (!(by & (1u << k)))
				continue;
			n = r->v[i].k[k] ? term_text(b, r->v[i].k[k],
			    FIELD_MAXW) : term_text(b, "-", 0);
			spaces(b, w[k] - n + 2);
		}
		sbuf_addf(b, "%*lld\n", (int)cw, r->v[i].n);
	}
	if (r->n == 0) {
		sbuf_adds(b, "no events between ");
		fmt_window(b, o->since, o->until, " and ", 0);
		sbuf_adds(b, "\n");
	}
}

/* ---- the default table ---- */

struct cls {
	const char *name;
	long long total;
	long long *spark;
};

static int cmp_cls(const void *x, const void *y)
{
	const struct cls *a = x, *b = y;

	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* top list entry: rows[first .. first+nrows) share the key */
struct top {
	const char *key, *owner;
	long long total;
	size_t first, nrows;
};

static int cmp_top(const void *x, const void *y)
{
	const struct top *a = x, *b = y;

	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	return keycmp(a->key, b->key);
}

/* key, then count desc, then class: each key's main classes first */
static int cmp_kc(const struct row *a, const struct row *b, int key)
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

/* top_list: "Top IPs" / "Top accounts": the keys with the most rejection
 * events, each with its main classes */
static int top_list(struct store *s, const struct report_opts *o, int key,
    const char *title, struct sbuf *b, size_t width)
{
	struct rows r = { 0 };
	struct top *t = NULL;
	size_t nt = 0, i, j, lim, kw = 0, cw = 1, used, n;
	unsigned by = REPORT_BY_CLASS | (1u << key);
	int show_owner = key == K_ACCOUNT && o->owners &&
	    owners_count(o->owners) > 0;
	char num[32];
	struct sbuf lab;

	sbuf_init(&lab);
	if (show_owner)
		by |= REPORT_BY_OWNER;
	if (fetch(s, o, by, F_REJECT_ONLY |
	    (key == K_IP ? F_HAS_IP : F_HAS_ACCOUNT), 0, &r) < 0)
		goto fail;
	if (r.n == 0)
		goto done;
	qsort(r.v, r.n, sizeof *r.v, key == K_IP ? cmp_kc_ip : cmp_kc_account);
	t = xreallocarray(NULL, r.n, sizeof *t);
	for (i = 0; i < r.n; i = j) {
		/* "" has id 0 and is left out by the query; be safe anyway */
		t[nt].key = r.v[i].k[key] ? r.v[i].k[key] : "-";
		t[nt].owner = r.v[i].k[K_OWNER];
		t[nt].first = i;
		t[nt].total = 0;
		for (j = i; j < r.n && keycmp(r.v[j].k[key],
		    r.v[i].k[key]) == 0; j++)
			t[nt].total += r.v[j].n;
		t[nt].nrows = j - i;
		nt++;
	}
	qsort(t, nt, sizeof *t, cmp_top);
	lim = o->top > 0 && (size_t)o->top < nt ? (size_t)o->top : nt;

	for (i = 0; i < lim; i++) {
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
	for (i = 0; i < lim; i++) {
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
		for (j = 0; j < t[i].nrows && j < 3; j++) {
			const struct row *rw = &r.v[t[i].first + j];

			sbuf_reset(&lab);
			sbuf_addf(&lab, "%s%s %lld", j ? ", " : "",
			    rw->k[K_CLASS], rw->n);
			n = term_width_of(lab.s, 0);
			if (j > 0 && used + n > width)
				break;
			term_text(b, lab.s, 0);
			used += n;
		}
		if (j < t[i].nrows && used + 3 <= width)
			sbuf_adds(b, ", …");
		sbuf_addc(b, '\n');
	}
done:
	free(t);
	rows_release(&r);
	sbuf_release(&lab);
	return 0;

fail:
	free(t);
	rows_release(&r);
	sbuf_release(&lab);
	return -1;
}

/* empty_window: say that nothing was counted in the window, and where the
 * nearest data is, so that the hint gives a --since that shows something */
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

/* findings_head: what to act on first, one line per finding (the
 * details and the remedies: eximwatch diagnose) */
static void findings_head(const struct report_opts *o,
    const struct report_opts *win, struct sbuf *b, size_t width)
{
	const struct findings *f = o->findings;
	char t[32];
	struct tm tm;

	if (f == NULL || f->n == 0)
		return;
	sbuf_addc(b, '\n');
	sgr(b, o, "1");
	sbuf_addf(b, "Findings (%zu): see eximwatch diagnose --since ", f->n);
	localtime_r(&win->since, &tm);
	strftime(t, sizeof t, "\"%Y-%m-%d %H:%M\"", &tm);
	sbuf_adds(b, t);
	sgr(b, o, "0");
	sbuf_addc(b, '\n');
	findings_lines(f, FINDINGS_SHOWN, 2, (int)width, b);
	if (f->n > FINDINGS_SHOWN)
		sbuf_addf(b, "  \xe2\x80\xa6 and %zu more\n", f->n - FINDINGS_SHOWN);
}

static int default_table(struct store *s, const struct report_opts *o,
    struct sbuf *b)
{
	struct report_opts win = *o;
	struct rows r = { 0 };
	struct cls *c = NULL;
	size_t nc = 0, i, j, nw = 5, cw = 5, sw = 8, width, line;
	long long nslots, traffic = 0, rejects = 0;
	char num[32], spark[SPARK_SLOTS * 4 + 1], d[32];
	sqlite3_stmt *st = NULL;
	sqlite3 *db = store_db(s);
	int idx;

	width = o->width > 0 ? (size_t)o->width : 80;

	/* "--since all": draw the window from the first data on, or the
	 * sparkline would be 56 years wide with everything in the last slot */
	if (win.since <= 0) {
		if (sqlite3_prepare_v2(db, "SELECT MIN(bucket) FROM count_chunks"
		    " WHERE bucket < ?1", -1, &st, NULL) != SQLITE_OK)
			goto dbfail;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)win.until);
		if (sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_type(st, 0) != SQLITE_NULL)
			win.since = (time_t)sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		st = NULL;
	}

	sgr(b, o, "1");
	sbuf_adds(b, "eximwatch report — ");
	fmt_window(b, win.since, win.until, " → ", 1);
	sgr(b, o, "0");
	sbuf_addc(b, '\n');
	findings_head(o, &win, b, width);

	nslots = (win.until - win.since) / STORE_BUCKET_SECS;
	if (nslots > SPARK_SLOTS)
		nslots = SPARK_SLOTS;
	if (nslots < 1)
		nslots = 1;
	if (win.until > win.since && fetch(s, &win, REPORT_BY_CLASS, 0,
	    (int)nslots, &r) < 0)
		goto fail;

	/* per class: total and sparkline */
	c = xcalloc(r.n + 1, sizeof *c);
	for (i = 0; i < r.n; i++) {
		for (j = 0; j < nc && strcmp(c[j].name, r.v[i].k[K_CLASS]); j++)
			;
		if (j == nc) {
			c[nc].name = r.v[i].k[K_CLASS];
			c[nc].spark = xcalloc((size_t)nslots,
			    sizeof *c[nc].spark);
			nc++;
		}
		c[j].total += r.v[i].n;
		if (r.v[i].slot >= 0 && r.v[i].slot < nslots)
			c[j].spark[r.v[i].slot] += r.v[i].n;
		if (is_traffic(c[j].name))
			traffic += r.v[i].n;
		else
			rejects += r.v[i].n;
	}
	if (nc == 0) {
		sbuf_addc(b, '\n');
		if (empty_window(s, o, b) < 0)
			goto fail;
		goto done;
	}
	qsort(c, nc, sizeof *c, cmp_cls);
	for (i = 0; i < nc; i++) {
		if (is_traffic(c[i].name))
			continue;
		if ((j = term_width_of(c[i].name, FIELD_MAXW)) > nw)
			nw = j;
		if ((j = (size_t)snprintf(num, sizeof num, "%lld",
		    c[i].total)) > cw)
			cw = j;
	}

	sbuf_addc(b, '\n');
	sgr(b, o, "1");
	if (rejects == 0) {
		sbuf_adds(b, "no rejections or failures");
	} else {
		sbuf_addf(b, "Rejections and failures (%lld; sparkline: %lld × ",
		    rejects, nslots);
		sbuf_addf(b, "%s)", span_text((int64_t)((win.until -
		    win.since) / nslots), d, sizeof d));
	}
	sgr(b, o, "0");
	sbuf_addc(b, '\n');
	for (i = 0; i < nc; i++) {
		const char *sev = NULL, *desc = NULL, *rem = NULL;

		if (is_traffic(c[i].name))
			continue;
		if (o->rules && (idx = rules_find(o->rules, c[i].name)) >= 0) {
			sev = rules_severity(o->rules, (size_t)idx);
			desc = rules_description(o->rules, (size_t)idx);
			rem = rules_remedy(o->rules, (size_t)idx);
		}
		sbuf_adds(b, "  ");
		j = term_text(b, c[i].name, FIELD_MAXW);
		spaces(b, nw - j + 2);
		sbuf_addf(b, "%*lld  ", (int)cw, c[i].total);
		sgr(b, o, sev_color(sev));
		j = term_text(b, sev ? sev : "-", sw);
		sgr(b, o, sev_color(sev) ? "0" : NULL);
		spaces(b, sw - j + 2);
		sbuf_adds(b, report_sparkline(c[i].spark, (size_t)nslots,
		    spark, sizeof spark));
		line = 2 + nw + 2 + cw + 2 + sw + 2 + (size_t)nslots;
		/* the description on the same line when it fits, else with
		 * the remedy below */
		if (desc && line + 2 + term_width_of(desc, 0) <= width) {
			sbuf_adds(b, "  ");
			term_text(b, desc, 0);
			desc = NULL;
		}
		while (b->len > 0 && b->s[b->len - 1] == ' ')
			b->s[--b->len] = '\0';   /* quiet sparkline end */
		sbuf_addc(b, '\n');
		if (desc)
			wrap(b, desc, 6, width);
		if (rem && *rem) {
			sgr(b, o, "2");
			wrap(b, rem, 6, width);
			sgr(b, o, "0");
		}
	}

	/* traffic: one compact summary, in the list's order */
	if (traffic > 0) {
		struct sbuf t;

		sbuf_init(&t);
		for (j = 0; j < NTRAFFIC; j++)
			for (i = 0; i < nc; i++)
				if (strcmp(c[i].name, traffic_classes[j]) == 0)
					sbuf_addf(&t, "%s%s %lld", t.len ?
					    ", " : "", c[i].name, c[i].total);
		sbuf_addc(b, '\n');
		sgr(b, o, "1");
		sbuf_adds(b, "Traffic");
		sgr(b, o, "0");
		sbuf_addc(b, '\n');
		wrap(b, t.s, 2, width);
		sbuf_release(&t);
	}

	if (rejects > 0 && (top_list(s, &win, K_IP, "Top IPs", b, width) < 0 ||
	    top_list(s, &win, K_ACCOUNT, "Top accounts", b, width) < 0))
		goto fail;
done:
	for (i = 0; i < nc; i++)
		free(c[i].spark);
	free(c);
	rows_release(&r);
	return 0;

dbfail:
	db_fail(s, db);
	sqlite3_finalize(st);
fail:
	for (i = 0; i < nc; i++)
		free(c[i].spark);
	free(c);
	rows_release(&r);
	return -1;
}

int report_run(struct store *s, const struct report_opts *o, FILE *out)
{
	struct rows r = { 0 };
	struct sbuf b;
	unsigned by = o->by & (REPORT_BY_CLASS | REPORT_BY_IP |
	    REPORT_BY_ACCOUNT | REPORT_BY_OWNER | REPORT_BY_PREFIX);

	sbuf_init(&b);
	if (o->format == REPORT_TABLE && by == 0) {
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
	rows_release(&r);
	sbuf_release(&b);
	return 0;

fail:
	rows_release(&r);
	sbuf_release(&b);
	return -1;
}
