/* countsvt: the counts table that report, status and tests query.
 *
 * The counts are kept as chunks (chunk.h) in the table count_chunks, one
 * row per (minute bucket, class, part): new entries are merged into the
 * last part while it has fewer than CHUNK_PART_MAX entries, else they
 * start the next part, so writing costs the same whatever a minute holds
 * (an attack with a new account in every line).  A key may then appear in
 * several parts: the counts table has a row for each, to be summed.
 * countsvt_register() makes them readable on a connection as the table
 *
 *     counts (bucket, class_id, ip_id, account_id, n)
 *
 * (an eponymous virtual table: nothing in the schema, so the sqlite3 shell
 * does not know it; `eximwatch report --format csv` is the way out).  A
 * range on bucket and an equal class_id narrow the chunks read; SQLite
 * still checks every constraint.  INSERT adds n to a row (creating it),
 * and to the hour's and the day's rollup (rollup.h); other writes are
 * refused.  It also registers the aggregate
 * eximwatch_pack(ip_id, account_id, n), the chunk of a group of rows (the
 * migration from the one-row-per-count table uses it).
 *
 * chunkw: adds entries to the chunks of one table (count_chunks,
 * count_hours or count_days: the same columns, the same parts),
 * read-merge-write, with cached statements (store_add_counts,
 * rollup_flush; counts' INSERT). */
#ifndef EW_COUNTSVT_H
#define EW_COUNTSVT_H
#include <sqlite3.h>
#include <stdint.h>

#include "chunk.h"

/* countsvt_register: SQLITE_OK or an SQLite error code */
int countsvt_register(sqlite3 *db);

struct chunkw;

/* chunkw_new: table is one of those names, borrowed */
struct chunkw *chunkw_new(sqlite3 *db, const char *table);
void chunkw_free(struct chunkw *cw);
/* chunkw_add: add add[0..n) (sorted, keys once) to the counts of (bucket,
 * cls): merged into its last part, or as a new part; SQLITE_OK, or an
 * SQLite error code (SQLITE_CORRUPT: the stored part is malformed) */
int chunkw_add(struct chunkw *cw, int64_t bucket, int64_t cls,
    const struct chunk_entry *add, size_t n);

/* chunkw_add_blob: the same with the entries as a chunk blob (a valid
 * one: SQLITE_CORRUPT otherwise) */
int chunkw_add_blob(struct chunkw *cw, int64_t bucket, int64_t cls,
    const unsigned char *blob, size_t len);

#endif
