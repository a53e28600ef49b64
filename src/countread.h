/* countread: the counts of a window, from the coarsest chunks that cover
 * it exactly.
 *
 * The counts are kept at three levels (rollup.h): minutes, hours and days.
 * countread_scan() splits [since, until) at the cut points it is given (a
 * report's slots, hours or days) and at the retention's cut, then covers
 * each piece with whole days where it can, whole hours next to them and
 * minutes at the ragged ends — a chunk counts when its start is in the
 * window, as a minute bucket does — and hands every chunk of those
 * pieces to the callback, decoded.  No chunk crosses a cut point, so the
 * caller can put each in its slot by its start.  A 90-day window reads
 * ~90 day chunks per class and a few hundred hour and minute chunks,
 * instead of 129,600 minute chunks.
 *
 * Chunks come grouped by level, each level in (bucket, class) order.
 * With no_days, hours and minutes only: every chunk lies in one clock
 * hour.
 * With EXIMWATCH_READ_MINUTES=1 in the environment every piece is read
 * from minutes (the rollups unused): tests and bench/reports.py compare
 * the two. */
#ifndef EW_COUNTREAD_H
#define EW_COUNTREAD_H
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "chunk.h"

struct countread_chunk {
	int64_t bucket;            /* start of its minute, hour or day */
	int64_t unit;              /* 60, 3600 or 86400 */
	int64_t cls;               /* class id */
	const struct chunk_entry *v;   /* sorted by ip, then account */
	size_t n;
};

/* called for each chunk; 0 to go on */
typedef int countread_fn(void *arg, const struct countread_chunk *c);

struct countread_query {
	int64_t since, until;      /* [since, until) */
	int64_t pruned;            /* store_pruned_before(), or 0 */
	const int64_t *cuts;       /* more cut points, any order; or NULL */
	size_t ncuts;
	const unsigned char *cls_ok;   /* cls_ok[id]: read class id; NULL: all */
	size_t ncls_ok;            /* ids >= this are not read */
	int no_days;               /* hours at most (a caller that keys
	                            * by clock hour) */
};

/* countread_scan: SQLITE_OK, the callback's non-zero value, or an SQLite
 * error code (SQLITE_CORRUPT: a malformed chunk) */
int countread_scan(sqlite3 *db, const struct countread_query *q,
    countread_fn *fn, void *arg);

#endif
