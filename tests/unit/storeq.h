/* storeq.h: one number from a store's SQLite database, for the unit tests
 * (header only).
 *
 *   long long n = q1(store, "SELECT count(*) FROM ...");
 *
 * -1 when the query gives no row, -2 when it does not compile. */
#ifndef EW_STOREQ_H
#define EW_STOREQ_H
#include <sqlite3.h>

#include "store.h"

static inline long long q1(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

#endif
