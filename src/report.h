/* report: what `eximwatch report` prints, from the store.
 *
 * Formats:
 *   table  for a person: the most important findings of the window (one
 *          line each, see `eximwatch diagnose`), then per class totals with
 *          a sparkline of the counts over the window and the remedy hint,
 *          then the top IPs and the top accounts; aligned; colour only when
 *          `color` is set (a tty).
 *          With --by, one aligned table of the grouped rows instead.
 *   json   one object: {"since": ISO8601, "until": ISO8601,
 *          "by": ["class", ...], "rows": [{"class": "...", "ip": "...",
 *          "account": "...", "owner": "...", "count": N}, ...]}
 *          holding only the keys asked by --by (default: class).  A missing
 *          ip/account/owner is null.  Rows sorted by count desc, then keys.
 *   csv    header row of the --by keys plus "count", then one row each
 *          (RFC 4180 quoting).
 */
#ifndef EW_REPORT_H
#define EW_REPORT_H
#include <stdio.h>
#include <time.h>

struct store;
struct owners;
struct rules;
struct findings;

enum report_by {
	REPORT_BY_CLASS   = 1 << 0,
	REPORT_BY_IP      = 1 << 1,
	REPORT_BY_ACCOUNT = 1 << 2,
	REPORT_BY_OWNER   = 1 << 3,
	REPORT_BY_PREFIX  = 1 << 4,   /* the ip's network (prefix_v4/_v6) */
};

enum report_format { REPORT_TABLE, REPORT_JSON, REPORT_CSV };

struct report_opts {
	time_t since, until;          /* [since, until) */
	unsigned by;                  /* 0 = the default table */
	const char *const *classes;   /* --class filter, NULL-terminated or NULL */
	const char *ip;               /* --ip: an address or a network
	                               * (203.0.113.0/24, 2001:db8::/64), or
	                               * NULL; no address matches nothing */
	const char *account;          /* --account filter or NULL */
	int top;                      /* rows per top list / table; 0 = all (json/csv) */
	enum report_format format;
	int color;                    /* ANSI colour (only for a tty) */
	int width;                    /* terminal width, 0 = 80 */
	const struct owners *owners;  /* may be NULL: no owner roll-up */
	const struct rules *rules;    /* descriptions and remedies; may be NULL */
	int prefix_v4, prefix_v6;     /* --by prefix: 0 = /24 and /64 */
	/* the window's findings (diagnose.h), the default table opens with
	 * the most important of them; may be NULL */
	const struct findings *findings;
};

/* report_run: 0 ok, -1 on a database error (message logged) */
int report_run(struct store *s, const struct report_opts *o, FILE *out);

/* report_sparkline: render counts as block characters (UTF-8) into buf */
char *report_sparkline(const long long *v, size_t n, char *buf, size_t len);

#endif
