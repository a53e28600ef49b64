/* test_store: migrations, counts, the files registry, stats, prune —
 * on real SQLite files. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "counter.h"
#include "diag.h"
#include "embedded.h"
#include "fingerprint.h"
#include "store.h"
#include "capture.h"
#include "tap.h"

static char dir[] = "/tmp/test_store.XXXXXX";

static long long q1(struct store *s, const char *sql)
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

int main(void)
{
	static const char *const classes[] = { "auth_failed", "relay_denied" };
	char path[256], buf[64];
	struct diag d;
	struct store *s;
	struct counter *c;
	struct store_file f, g;
	unsigned char head[2048];
	int nschema = 0;
	int64_t v;
	size_t i;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof path, "%s/sub/dir/x.db", dir);
	diag_init(&d);
	while (embedded_schema[nschema].name)
		nschema++;

	s = store_open(path, STORE_READONLY, &d);
	ok(s == NULL && d.n == 1 && strstr(d.items[0].msg, "no database") != NULL,
	    "read-only open of a missing database fails with a hint");
	diag_release(&d);

	s = store_open(path, STORE_CREATE, &d);
	if (!ok(s != NULL, "create (with its parent directories)")) {
		diag_print(&d, stdout);
		return done_testing();
	}
	is_int(q1(s, "PRAGMA user_version"), nschema, "every migration applied, "
	    "version recorded");
	ok(q1(s, "SELECT count(*) FROM ips WHERE id = 0 AND addr = ''") == 1,
	    "id 0 means no ip");

	c = counter_new();
	counter_add(c, 60, 0, "192.0.2.1", 9, "alice@example.com", 17, 1);
	counter_add(c, 60, 0, "192.0.2.1", 9, "alice@example.com", 17, 1);
	counter_add(c, 60, 1, "", 0, "", 0, 3);
	for (i = 0; i < 250; i++) {    /* more than one multi-row statement */
		snprintf(buf, sizeof buf, "198.51.100.%zu", i);
		counter_add(c, 120, 0, buf, strlen(buf), "bob", 3, 1);
	}
	is_int((long long)counter_size(c), 252, "counter aggregates equal keys");
	ok(store_begin(s) == 0 && store_add_counts(s, c, classes, 2) == 0 &&
	    store_commit(s) == 0, "add counts");
	ok(store_begin(s) == 0 && store_add_counts(s, c, classes, 2) == 0 &&
	    store_commit(s) == 0, "add the same batch again");
	is_int(q1(s, "SELECT n FROM counts k JOIN ips i ON i.id = k.ip_id "
	    "JOIN accounts a ON a.id = k.account_id WHERE i.addr = '192.0.2.1' "
	    "AND a.name = 'alice@example.com'"), 4, "upsert adds up");
	is_int(q1(s, "SELECT SUM(n) FROM counts"), 2 * (2 + 3 + 250), "total");
	is_int(q1(s, "SELECT count(*) FROM classes"), 2, "classes interned once");
	is_int(q1(s, "SELECT count(*) FROM ips"), 1 + 1 + 250, "ips interned once");

	/* files registry: found again by the fingerprint of the head */
	for (i = 0; i < sizeof head; i++)
		head[i] = (unsigned char)("2026-11-22 08:00:00 Completed\n"[i % 30]);
	memset(&f, 0, sizeof f);
	f.fp_len = 100;
	f.fp_hash = fingerprint(head, 100);
	f.offset = 4242;
	f.dev = 1;
	f.ino = 2;
	snprintf(f.path, sizeof f.path, "/var/log/exim_mainlog");
	ok(store_begin(s) == 0 && store_file_save(s, &f) == 0 && store_commit(s) == 0
	    && f.id > 0, "save a file position");
	is_int(store_file_find(s, head, FP_MAX, &g), 1, "found by a longer head");
	is_int((long long)g.offset, 4242, "its offset");
	is_int(store_file_find(s, head, 99, &g), 0, "a head shorter than the "
	    "fingerprint is not that file");
	head[50] ^= 1;
	is_int(store_file_find(s, head, FP_MAX, &g), 0, "other content is another file");
	head[50] ^= 1;
	f.offset = 5000;
	ok(store_begin(s) == 0 && store_file_save(s, &f) == 0 && store_commit(s) == 0,
	    "update it");
	store_file_find(s, head, FP_MAX, &g);
	is_int((long long)g.offset, 5000, "updated in place");
	is_int(q1(s, "SELECT count(*) FROM files"), 1, "one row per file");

	/* a rolled-back transaction leaves nothing */
	ok(store_begin(s) == 0 && store_add_counts(s, c, classes, 2) == 0 &&
	    store_rollback(s) == 0, "rollback");
	is_int(q1(s, "SELECT SUM(n) FROM counts"), 2 * 255, "nothing of it stored");

	ok(store_begin(s) == 0 && store_stat_add(s, "lines", 7) == 0 &&
	    store_stat_add(s, "lines", 5) == 0 && store_commit(s) == 0 &&
	    store_stat_get(s, "lines", &v) == 0 && v == 12, "stats add up");
	ok(store_meta_set(s, "k", "v1") == 0 && store_meta_set(s, "k", "v2") == 0 &&
	    store_meta_get(s, "k", buf, sizeof buf) == 1 && strcmp(buf, "v2") == 0,
	    "meta set/get");

	is_int(store_prune(s, 100), 2, "prune removes older buckets only");
	is_int(q1(s, "SELECT SUM(n) FROM counts"), 2 * 250, "newer rows stay");
	store_close(s);

	s = store_open(path, STORE_READONLY, &d);
	ok(s != NULL && q1(s, "SELECT SUM(n) FROM counts") == 500,
	    "reopen read-only: the data is there");
	store_close(s);

	/* the counts table over the chunks: ranges, classes, INSERT */
	s = store_open(path, STORE_CREATE, &d);
	is_int(q1(s, "SELECT count(*) FROM count_chunks"), 1,
	    "one chunk per (minute, class)");
	is_int(q1(s, "SELECT count(*) FROM counts"), 250, "250 rows in it");
	is_int(q1(s, "SELECT count(*) FROM counts WHERE bucket >= 120 AND "
	    "bucket < 121 AND class_id = (SELECT id FROM classes WHERE name = "
	    "'auth_failed')"), 250, "a bucket range and a class");
	is_int(q1(s, "SELECT count(*) FROM counts WHERE bucket > 119.5"), 250,
	    "a bound that is not an integer");
	is_int(q1(s, "SELECT count(*) FROM counts WHERE bucket < 120"), 0,
	    "an empty range");
	is_int(q1(s, "SELECT count(*) FROM counts WHERE bucket = '120'"), 250,
	    "a bound of another type is compared as SQLite does");
	is_int(q1(s, "SELECT count(*) FROM counts WHERE bucket = 120 AND "
	    "bucket >= 100"), 250, "equal and a lower bound");
	is_int(q1(s, "SELECT count(*) FROM counts WHERE class_id = NULL"), 0,
	    "class_id = NULL holds for no row");
	ok(sqlite3_exec(store_db(s), "INSERT INTO counts (bucket, class_id, "
	    "ip_id, account_id, n) VALUES (120, 1, 0, 0, 5), (180, 1, 0, 0, 2)",
	    NULL, NULL, NULL) == SQLITE_OK, "INSERT through counts");
	is_int(q1(s, "SELECT SUM(n) FROM counts"), 2 * 250 + 7, "adds up");
	is_int(q1(s, "SELECT count(*) FROM count_chunks"), 2,
	    "into the chunk there is, or a new one");
	ok(sqlite3_exec(store_db(s), "DELETE FROM counts", NULL, NULL, NULL) !=
	    SQLITE_OK && q1(s, "SELECT SUM(n) FROM counts") == 2 * 250 + 7,
	    "DELETE through counts is refused");
	/* a malformed chunk: an error, not a crash or a wrong count */
	sqlite3_exec(store_db(s), "UPDATE count_chunks SET data = x'ff' "
	    "WHERE bucket = 180", NULL, NULL, NULL);
	ok(q1(s, "SELECT SUM(n) FROM counts") < 0, "a malformed chunk is an "
	    "error");
	{
		struct counter *c2 = counter_new();
		char *log;

		counter_add(c2, 180, 0, "", 0, "", 0, 1);
		capture_begin();
		ok(store_begin(s) == 0 && store_add_counts(s, c2, classes, 2) < 0 &&
		    store_rollback(s) == 0, "adding to a malformed chunk fails");
		log = capture_end();
		ok(strstr(log, "the stored chunk of minute 180 is malformed (the "
		    "database is damaged)") != NULL, "... and says the database is "
		    "damaged");
		free(log);
		counter_free(c2);
	}
	store_close(s);

	/* migration 3: a version 2 database, one row per count, to chunks */
	snprintf(path, sizeof path, "%s/v2.db", dir);
	{
		sqlite3 *db;
		char *err = NULL;
		int rc;

		sqlite3_open(path, &db);
		rc = sqlite3_exec(db, embedded_schema[0].data, NULL, NULL, &err);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, embedded_schema[1].data, NULL, NULL, &err);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, "PRAGMA user_version = 2;"
			    "INSERT INTO classes VALUES (1, 'auth_failed'), (2, 'dnsbl');"
			    "INSERT INTO ips VALUES (1, '192.0.2.1'), (2, '192.0.2.2');"
			    "INSERT INTO accounts VALUES (1, 'bob');"
			    "INSERT INTO counts VALUES (60, 1, 2, 1, 3), (60, 1, 1, 0, 4),"
			    " (60, 2, 1, 1, 1), (120, 1, 0, 0, 2), (120, 2, 2, 0, 0);",
			    NULL, NULL, &err);
		ok(rc == SQLITE_OK, "a version 2 database with counts%s%s",
		    err ? ": " : "", err ? err : "");
		sqlite3_free(err);
		sqlite3_close(db);
	}
	s = store_open(path, STORE_CREATE, &d);
	ok(s != NULL, "opened, migrated");
	if (s != NULL) {
		is_int(q1(s, "PRAGMA user_version"), nschema, "to the last version");
		is_int(q1(s, "SELECT count(*) FROM count_chunks"), 3,
		    "one chunk per (minute, class) with counts");
		is_int(q1(s, "SELECT SUM(n) FROM counts"), 10, "every count kept");
		is_int(q1(s, "SELECT n FROM counts WHERE bucket = 60 AND "
		    "class_id = 1 AND ip_id = 2 AND account_id = 1"), 3,
		    "each row as it was");
		is_int(q1(s, "SELECT count(*) FROM sqlite_master WHERE name = "
		    "'counts'"), 0, "the old table is gone");
		store_close(s);
	}

	/* not a database */
	snprintf(path, sizeof path, "%s/junk.db", dir);
	{
		FILE *fp = fopen(path, "w");

		for (i = 0; i < 8192; i++)
			fputc((int)(i * 7 % 251), fp);
		fclose(fp);
	}
	diag_release(&d);
	s = store_open(path, STORE_CREATE, &d);
	ok(s == NULL && d.n > 0 && strstr(d.items[0].msg, "not a usable") != NULL,
	    "a file that is not a database is refused, untouched");
	diag_release(&d);
	counter_free(c);
	{
		char cmd[300];

		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			diag_init(&d);
	}
	return done_testing();
}
