/* reportq: the report's queries — the counts of a window grouped by keys,
 * for report.c's outputs.
 *
 * One pass over the window's chunks (countread.h: days, hours and minutes)
 * aggregates by ids in memory for one or more groupings at once (the
 * default table needs four), then looks up the names of the ids that are
 * left: the time is in the number of chunk entries read, not in SQL per
 * entry.  The owner and the domain are computed from the account (the
 * owner from /etc/userdomains at report time), the prefix (the network of
 * o->prefix_v4/_v6) from the address; rows whose keys then become equal
 * are merged by the caller (report.c's rollup). */
#ifndef EW_REPORTQ_H
#define EW_REPORTQ_H
#include <stddef.h>
#include <time.h>

#include "report.h"

struct store;

/* Key columns, in output order (after the time key, if any); bit i of `by`
 * is key i (enum report_by). */
enum { K_CLASS, K_IP, K_ACCOUNT, K_OWNER, K_PREFIX, K_DOMAIN, K_N };
extern const char *const reportq_key_names[K_N];
#define BY_KEYS (REPORT_BY_CLASS | REPORT_BY_IP | REPORT_BY_ACCOUNT | \
    REPORT_BY_OWNER | REPORT_BY_PREFIX | REPORT_BY_DOMAIN)
#define BY_TIME (REPORT_BY_HOUR | REPORT_BY_DAY)

/* The classes that count ordinary mail flow; everything else is a
 * rejection or a failure. */
extern const char *const reportq_traffic[];
#define REPORTQ_NTRAFFIC 9

/* reportq_fetch flags */
enum {
	F_REJECT_ONLY = 1 << 0,  /* leave out the traffic classes */
	F_HAS_IP      = 1 << 1,  /* only events with a client IP */
	F_HAS_ACCOUNT = 1 << 2,  /* only events with an account */
	F_HAS_EITHER  = 1 << 3,  /* only events with an IP or an account */
};

struct reportq_row {
	const char *k[K_N];      /* NULL = none; strings in the rows' pool */
	time_t t;                /* --by hour/day: the start of its hour/day */
	long long n;
	long long slot;          /* the grid's slot, or 0 */
};

struct reportq_rows {
	struct reportq_row *v;
	size_t n, cap;
	char **pool;             /* the strings the rows point to */
	size_t npool, cappool;
};

/* a series' slots: slot = (bucket - origin) / step */
struct reportq_grid {
	time_t origin;
	long long step;
};

/* one grouping: the sums of n over the window by the keys in `by` and, if
 * g is not NULL, by slot; appended to out */
struct reportq_spec {
	unsigned by;
	int flags;
	const struct reportq_grid *g;
	struct reportq_rows *out;
	/* top > 0: only the rows of the keys (top_key: K_IP or K_ACCOUNT)
	 * whose sum over the other keys is among the `top` largest, ties
	 * at the last one included: what a caller that sorts the keys by
	 * their sums and cuts at `top` keeps, without naming and sorting
	 * every key of a long window */
	size_t top;
	int top_key;
};

/* reportq_fetch: the groupings of the window [o->since, o->until) with the
 * filters of o (--class, --ip address or network, --account); 0 or -1 on
 * a database error (logged) */
int reportq_fetch(struct store *s, const struct report_opts *o,
    struct reportq_spec *sp, size_t nsp);

void reportq_rows_release(struct reportq_rows *r);
struct reportq_row *reportq_rows_add(struct reportq_rows *r);
/* reportq_rows_str: a copy of s in the pool; NULL for NULL or "" */
const char *reportq_rows_str(struct reportq_rows *r, const char *s);
int reportq_is_traffic(const char *cls);
/* reportq_day_start: the start of the local day holding t */
time_t reportq_day_start(time_t t);

#endif
