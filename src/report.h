/* report: what `eximwatch report` prints, from the store.
 *
 * Formats:
 *   table  for a person: the most important findings of the window (one
 *          line each, see `eximwatch diagnose`), per class the total,
 *          severity, a sparkline of the counts over the window and what it
 *          means; the traffic; the top IPs and accounts; then what to do
 *          (the remedies of warnings and above, all with `remedies`, none
 *          with `brief`, which also keeps each class on one line).  Prose
 *          is wrapped at the width, at most 100 columns; colour only when
 *          `color` is set (a tty).  With --by, one aligned table of the
 *          grouped rows instead; by ip, prefix, account, owner or domain
 *          it counts the rejections and failures (traffic too with `all`
 *          or --class) and leaves out the events without the key.
 *   json   one object: {"since": ISO8601, "until": ISO8601,
 *          "by": ["class", ...], "rows": [{"class": "...", "ip": "...",
 *          "account": "...", "owner": "...", "prefix": "...", "domain":
 *          "...", "count": N}, ...]} holding only the keys asked by --by
 *          (default: class).  A missing ip/account/owner/prefix/domain is
 *          null.  Rows sorted by count desc, then keys.  With hour or day
 *          (a time series) each row starts with "hour":
 *          "2026-11-22T08:00:00+01:00" or "day": "2026-11-22" (local time),
 *          rows in time order, --top rows per hour or day; hour or day
 *          alone has a row for every one of the window, 0 included.
 *   csv    header row of the --by keys plus "count", then one row each
 *          (RFC 4180 quoting).
 *   html   one self-contained page (report_html.h): a chart per class, the
 *          top IPs, accounts and owners, the findings and the remedies.
 */
#ifndef EW_REPORT_H
#define EW_REPORT_H
#include <stddef.h>
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
	REPORT_BY_DOMAIN  = 1 << 5,   /* the account's domain */
	REPORT_BY_HOUR    = 1 << 6,   /* a time series; at most one of */
	REPORT_BY_DAY     = 1 << 7,   /* hour and day (local time) */
};

enum report_format { REPORT_TABLE, REPORT_JSON, REPORT_CSV, REPORT_HTML };

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
	int brief;                    /* default table: one line per class */
	int remedies;                 /* default table: every class's remedy */
	int all;                      /* --by ip/account/owner table: traffic too */
	int color;                    /* ANSI colour (only for a tty) */
	int width;                    /* terminal width, 0 = 80 */
	const struct owners *owners;  /* may be NULL: no owner roll-up */
	const char *userdomains;      /* --userdomains as given, or NULL (for
	                               * the diagnose command the table names) */
	const struct rules *rules;    /* descriptions and remedies; may be NULL */
	const char *host;             /* the server's name (html title); may be NULL */
	time_t now;                   /* when the report is made (html); 0 = unknown */
	int prefix_v4, prefix_v6;     /* --by prefix: 0 = /24 and /64 */
	/* the window's findings (diagnose.h): the default table opens with
	 * the most important of them, the page shows them all; may be NULL */
	const struct findings *findings;
};

/* report_run: 0 ok, -1 on a database error (message logged) */
int report_run(struct store *s, const struct report_opts *o, FILE *out);

/* report_sparkline: render counts as block characters (UTF-8) into buf */
char *report_sparkline(const long long *v, size_t n, char *buf, size_t len);

/* ---- the summary: what the default table and the html page show -------- */

/* a class's events per key (in a top list) */
struct report_share {
	const char *cls;
	long long n;
};

/* one entry of a top list: an IP, an account or an owner */
struct report_top {
	const char *key;
	const char *owner;            /* accounts: the cPanel owner, or NULL */
	long long total;
	const struct report_share *by_class;   /* count desc */
	size_t nclasses;
};

struct report_class {
	const char *name;
	long long total;
	long long *series;            /* nslots counts */
	int traffic;                  /* ordinary mail flow, not a rejection */
	const char *severity;         /* from the rules, or NULL */
	const char *description;
	const char *remedy;
};

/* The series' slots: slot i holds the events of [report_slot_start(i),
 * report_slot_start(i + 1)); the grid is aligned to multiples of step
 * (UTC), so the first and the last slot may be cut by the window. */
struct report_summary {
	time_t since, until;          /* the window (--since all: from the first data) */
	time_t origin;                /* the first slot's grid start (<= since) */
	long long step;               /* seconds per slot */
	size_t nslots;
	struct report_class *classes; /* count desc, then name */
	size_t nclasses;
	long long rejects, traffic;   /* totals */
	struct report_top *ips, *accounts, *owners;   /* rejections; cut to top */
	size_t nips, naccounts, nowners;
	void *priv;                   /* the storage of the strings */
};

/* report_summary_build: classes, series of at most maxslots slots, top
 * lists (o->top each; owners only with a non-empty owners map).  0, or -1
 * on a database error (logged).  Release it either way. */
int report_summary_build(struct store *s, const struct report_opts *o,
    size_t maxslots, struct report_summary *sum);
void report_summary_release(struct report_summary *sum);

/* report_slot_start: the start of slot i, clipped to the window */
time_t report_slot_start(const struct report_summary *sum, size_t i);

/* report_slot_step: the step of a series over [since, until): the
 * smallest of 1m 2m 5m 10m 15m 30m 1h 2h 3h 4h 6h 12h 1d 2d 4d 7d (then
 * whole weeks) of which maxn span the window, with the grid aligned to
 * multiples of it (UTC); *origin gets the grid start and *n the number of
 * slots (maxn + 1 when the grid cuts the window at both ends) */
long long report_slot_step(time_t since, time_t until, size_t maxn,
    time_t *origin, size_t *n);

#endif
