/* rollup: the counts of each hour and each day, kept next to the minute
 * chunks so that a long window reads a few large chunks instead of every
 * minute's.
 *
 * Three levels of chunks (chunk.h), one row per (period, class):
 * count_chunks (minutes), count_hours, count_days (schema 006), the period
 * aligned in UTC (bucket - bucket % unit).  Every count goes to the minute
 * and the hour in the same transaction: store_add_counts() hands each
 * minute chunk's new entries to rollup_add(), which gathers them in memory
 * (ROLLUP_GATHER at most, then it writes the hours); store_commit() calls
 * rollup_flush() before COMMIT; store_rollback() calls rollup_discard().
 *
 * A day is rolled up once it is over (rollup_days(), from its hours: at the
 * end of `scan`, hourly in the daemon), and marked so in count_days_done in
 * the same transaction; a reader uses the day chunk of a marked day only.
 * Counts that arrive later for a marked day (an old log scanned late) go
 * to its day chunk too, in their transaction (ROLLUP_DAY_GATHER of them
 * gathered at most).  A day chunk rewritten with every commit would cost
 * the writer more than all the rest of the rollups.  The counts
 * table's INSERT (countsvt.h) writes all three levels at once.
 *
 * store_prune() deletes the minutes before the cut and the hours and days
 * that end before it, and records the cut: a reader never uses the hour or
 * the day that holds the cut (countread.h), so every level gives the same
 * counts. */
#ifndef EW_ROLLUP_H
#define EW_ROLLUP_H
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "chunk.h"

#define ROLLUP_LEVELS 3

/* count_chunks, count_hours, count_days */
extern const char *const rollup_tables[ROLLUP_LEVELS];
/* 60, 3600, 86400 */
extern const int64_t rollup_units[ROLLUP_LEVELS];

/* rollup_start: the start of the period of the level holding bucket */
int64_t rollup_start(int64_t bucket, int level);

struct rollup;

struct rollup *rollup_new(sqlite3 *db);
void rollup_free(struct rollup *r);
/* entries of the hours gathered before rollup_add() writes them on its
 * own, and of the days (whose chunks are larger, so rewritten less often) */
#define ROLLUP_GATHER 8192
#define ROLLUP_DAY_GATHER 32768

/* rollup_add: the new entries v[0..n) (sorted, keys once) of the minute
 * chunk (bucket, cls); copied.  When ROLLUP_GATHER entries are gathered it
 * calls rollup_flush() (memory stays bounded): inside a transaction.
 * SQLITE_OK or rollup_flush()'s error. */
int rollup_add(struct rollup *r, int64_t bucket, int64_t cls,
    const struct chunk_entry *v, size_t n);
/* rollup_flush: add what was gathered to the stored hour and day chunks
 * (inside the transaction), then forget it.  SQLITE_OK or an SQLite error
 * code (SQLITE_CORRUPT: a stored chunk is malformed). */
int rollup_flush(struct rollup *r);
/* rollup_discard: forget what was gathered (the transaction rolled back) */
void rollup_discard(struct rollup *r);

/* rollup_days: roll up the days that ended before `before` and are not
 * yet: each class's day chunk from its hours, and the day's mark (inside
 * a transaction).  The days built, or minus an SQLite error code. */
int64_t rollup_days(struct rollup *r, int64_t before);

#endif
