/* test_store: migrations, counts, the files registry, stats, prune —
 * on real SQLite files. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chunk.h"
#include "counter.h"
#include "countsvt.h"
#include "diag.h"
#include "embedded.h"
#include "fingerprint.h"
#include "store.h"
#include "storeq.h"
#include "capture.h"
#include "tap.h"

static char dir[] = "/tmp/test_store.XXXXXX";

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
	/* the version is the number of the last migration (numbers may skip) */
	while (embedded_schema[nschema].name)
		nschema++;
	nschema = atoi(embedded_schema[nschema - 1].name);

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
		/* a damaged count near 2^63: adding to it would overflow */
		sqlite3_exec(store_db(s), "UPDATE count_chunks SET data = "
		    "x'0000ffffffffffffffff7f' WHERE bucket = 180", NULL, NULL, NULL);
		capture_begin();
		ok(store_begin(s) == 0 && store_add_counts(s, c2, classes, 2) < 0 &&
		    store_rollback(s) == 0, "adding to a chunk with a count near "
		    "2^63 fails as malformed, without overflowing");
		ok(q1(s, "SELECT SUM(n) FROM counts") < 0, "reading it is an error");
		free(capture_end());
		counter_free(c2);
	}
	store_close(s);

	/* an attack's minute: a new account in every line, in batches; the
	 * minute is kept in parts, each rewritten at most while it is small */
	snprintf(path, sizeof path, "%s/parts.db", dir);
	{
		struct counter *c4 = counter_new();
		char acct[32];
		int b, k, bad = 0;

		s = store_open(path, STORE_CREATE, &d);
		for (b = 0; b < 20 && s; b++) {
			counter_clear(c4);
			for (k = 0; k < 1000; k++) {
				snprintf(acct, sizeof acct, "u%d@victim.example", b * 1000 + k);
				counter_add(c4, 600, 0, "203.0.113.7", 11, acct, strlen(acct), 1);
			}
			/* and one account every batch brings again */
			counter_add(c4, 600, 0, "203.0.113.7", 11, "again@x", 7, 1);
			if (store_begin(s) < 0 || store_add_counts(s, c4, classes, 2) < 0 ||
			    store_commit(s) < 0)
				bad++;
		}
		is_int(bad, 0, "20 batches of 1,000 new accounts in one minute");
		ok(q1(s, "SELECT count(*) FROM count_chunks") >= 20000 / (CHUNK_PART_MAX +
		    1001) && q1(s, "SELECT count(*) FROM count_chunks WHERE bucket = 600 "
		    "AND part = 0") == 1, "kept in %lld parts",
		    q1(s, "SELECT count(*) FROM count_chunks"));
		is_int(q1(s, "SELECT max(cnt) FROM (SELECT count(*) AS cnt FROM counts "
		    "GROUP BY bucket, class_id, ip_id, account_id) WHERE 1"),
		    q1(s, "SELECT count(*) FROM count_chunks"),
		    "a key in several parts has a row in each");
		is_int(q1(s, "SELECT SUM(n) FROM counts"), 20 * 1001, "every count there");
		is_int(q1(s, "SELECT count(DISTINCT account_id) FROM counts"), 20001,
		    "every account");
		is_int(q1(s, "SELECT SUM(k.n) FROM counts k JOIN accounts a ON "
		    "a.id = k.account_id WHERE a.name = 'again@x'"), 20,
		    "the repeated account sums to 20 over the parts");
		store_close(s);
		counter_free(c4);
	}

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

	/* migration 5 on a version 3 database: last_used from the counts */
	snprintf(path, sizeof path, "%s/v3.db", dir);
	{
		sqlite3 *db;
		char *err = NULL;
		int rc = SQLITE_OK, k;

		sqlite3_open(path, &db);
		countsvt_register(db);     /* migration 3 packs with eximwatch_pack */
		for (k = 0; rc == SQLITE_OK && embedded_schema[k].name &&
		    atoi(embedded_schema[k].name) <= 3; k++)
			rc = sqlite3_exec(db, embedded_schema[k].data, NULL, NULL, &err);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, "PRAGMA user_version = 3;"
			    "INSERT INTO classes VALUES (1, 'auth_failed');"
			    "INSERT INTO ips VALUES (1, '192.0.2.1'), (2, '192.0.2.2'),"
			    " (3, '192.0.2.3');"
			    "INSERT INTO accounts VALUES (1, 'bob'), (2, 'carol');"
			    "INSERT INTO count_chunks SELECT column1, column2, "
			    "eximwatch_pack(column3, column4, column5) FROM (VALUES"
			    " (60, 1, 1, 1, 3), (600, 1, 1, 0, 1), (120, 1, 2, 2, 2))"
			    " GROUP BY 1, 2;", NULL, NULL, &err);
		ok(rc == SQLITE_OK, "a version 3 database with counts%s%s",
		    err ? ": " : "", err ? err : "");
		sqlite3_free(err);
		sqlite3_close(db);
	}
	s = store_open(path, STORE_CREATE, &d);
	ok(s != NULL, "opened, migrated to %d", nschema);
	if (s != NULL) {
		is_int(q1(s, "SELECT sum(last_used * id) FROM ips"), 600 + 2 * 120,
		    "each address's last_used is its newest minute, 0 if unused");
		is_int(q1(s, "SELECT sum(last_used * id) FROM accounts"), 60 + 2 * 120,
		    "each account's too");
		is_int(q1(s, "SELECT SUM(n) FROM counts"), 6, "the counts unchanged");
		is_int(q1(s, "SELECT count(*) FROM count_chunks WHERE part = 0"), 3,
		    "each chunk is part 0 of its minute and class");
		store_close(s);
	}

	/* migrations in any order: a database that has 5 but not 4 (made by
	 * a build without 4) gets 4 */
	snprintf(path, sizeof path, "%s/no4.db", dir);
	{
		sqlite3 *db;
		char *err = NULL;
		int rc = SQLITE_OK, k;

		sqlite3_open(path, &db);
		countsvt_register(db);
		for (k = 0; rc == SQLITE_OK && embedded_schema[k].name; k++)
			if (atoi(embedded_schema[k].name) != 4)
				rc = sqlite3_exec(db, embedded_schema[k].data, NULL, NULL,
				    &err);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, "PRAGMA user_version = 5;", NULL, NULL,
			    &err);
		ok(rc == SQLITE_OK, "a version 5 database without migration 4%s%s",
		    err ? ": " : "", err ? err : "");
		sqlite3_free(err);
		sqlite3_close(db);
	}
	s = store_open(path, STORE_CREATE, &d);
	if (!ok(s != NULL, "opened"))
		diag_print(&d, stdout);
	if (s != NULL) {
		is_int(q1(s, "SELECT count(*) FROM sqlite_master WHERE name IN "
		    "('known_clients', 'evidence', 'findings')"), 3,
		    "migration 4 applied after 5");
		is_int(q1(s, "SELECT count(*) FROM schema_migrations WHERE number "
		    "IN (1, 2, 3, 4, 5)"), 5, "all five recorded");
		is_int(q1(s, "PRAGMA user_version"), nschema, "the version is the "
		    "highest number");
		store_close(s);
	}
	/* ... and a database that has them all but no record is not
	 * migrated again (migration 5 twice would fail) */
	s = store_open(path, STORE_CREATE, &d);
	if (s != NULL)
		ok(sqlite3_exec(store_db(s), "DROP TABLE schema_migrations", NULL,
		    NULL, NULL) == SQLITE_OK, "a database without the record");
	store_close(s);
	s = store_open(path, STORE_CREATE, &d);
	if (!ok(s != NULL, "opened: nothing applied twice"))
		diag_print(&d, stdout);
	if (s != NULL) {
		is_int(q1(s, "SELECT count(*) FROM schema_migrations WHERE number "
		    "IN (1, 2, 3, 4, 5)"), 5, "what it has is recorded");
		store_close(s);
	}

	/* prune: everything ages out with the retention, on a real file */
	snprintf(path, sizeof path, "%s/prune.db", dir);
	{
		struct store *s2;
		struct counter *c3 = counter_new();
		const int64_t old_b = 600, new_b = 2000000, cut = 1000000;
		const char *report = "SELECT group_concat(x, ' ') FROM (SELECT "
		    "i.addr || '/' || a.name || '=' || sum(k.n) AS x FROM counts k "
		    "JOIN ips i ON i.id = k.ip_id JOIN accounts a ON "
		    "a.id = k.account_id WHERE k.bucket >= 1000000 GROUP BY i.addr, "
		    "a.name ORDER BY 1)";
		char before[512];

		s = store_open(path, STORE_CREATE, &d);
		counter_add(c3, old_b, 0, "198.51.100.1", 12, "old@x", 5, 3);
		counter_add(c3, old_b, 0, "198.51.100.2", 12, "both@x", 6, 1);
		counter_add(c3, new_b, 0, "198.51.100.2", 12, "both@x", 6, 4);
		counter_add(c3, new_b, 0, "198.51.100.3", 12, "", 0, 2);
		ok(store_begin(s) == 0 && store_add_counts(s, c3, classes, 2) == 0 &&
		    sqlite3_exec(store_db(s),
		    "INSERT INTO alerts (id, threshold, grp, grp_kind, severity, state,"
		    " started_at, resolved_at, value, peak) VALUES"
		    " (1, 't', 'a', 'ip', 'warning', 'resolved', 500, 700, 1, 1),"
		    " (2, 't', 'b', 'ip', 'warning', 'resolved', 500, 1500000, 1, 1),"
		    " (3, 't', 'c', 'ip', 'warning', 'firing', 500, NULL, 1, 1);"
		    "INSERT INTO outbox (id, sink, threshold, kind, body, created,"
		    " status, done_at) VALUES"
		    " (1, 's', 't', 'firing', '{}', 500, 'delivered', 600),"
		    " (2, 's', 't', 'firing', '{}', 500, 'failed', 700),"
		    " (3, 's', 't', 'firing', '{}', 500, 'pending', NULL),"
		    " (4, 's', 't', 'resolved', '{}', 1500000, 'delivered', 1500001);"
		    "INSERT INTO outbox_alerts VALUES (1, 1), (2, 3), (3, 3), (4, 2);"
		    "INSERT INTO alert_window VALUES ('t', 'a', '', 600, 1),"
		    " ('t', 'a', '', 1500000, 1);"
		    "INSERT INTO alert_distinct VALUES ('t', 'a', 600, x'78'),"
		    " ('t', 'a', 1500000, x'78');"
		    /* accounts no count uses, named by known clients: one seen
		     * within the retention, one before it */
		    "INSERT INTO accounts (name, last_used) VALUES ('kc@x', 0),"
		    " ('gone@x', 0);"
		    "INSERT INTO known_clients SELECT x'04c6336401', id, 600,"
		    " 2000000, 3 FROM accounts WHERE name = 'kc@x';"
		    "INSERT INTO known_clients SELECT x'04c6336402', id, 600,"
		    " 700, 1 FROM accounts WHERE name = 'gone@x';",
		    NULL, NULL, NULL) == SQLITE_OK &&
		    store_commit(s) == 0, "counts, alerts, notifications, windows "
		    "and known clients of old and new");
		snprintf(before, sizeof before, "%s", "?");
		{
			sqlite3_stmt *st;

			if (sqlite3_prepare_v2(store_db(s), report, -1, &st, NULL) ==
			    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
				snprintf(before, sizeof before, "%s",
				    (const char *)sqlite3_column_text(st, 0));
			sqlite3_finalize(st);
		}
		/* another process has the addresses cached */
		s2 = store_open(path, STORE_CREATE, &d);
		counter_clear(c3);
		counter_add(c3, old_b, 1, "198.51.100.1", 12, "old@x", 5, 1);
		ok(store_begin(s2) == 0 && store_add_counts(s2, c3, classes, 2) == 0 &&
		    store_commit(s2) == 0, "a second connection caches the old ids");

		ok(store_begin(s) == 0 && store_prune(s, cut) == 2 &&
		    store_commit(s) == 0, "prune at the retention: the 2 old chunks");
		is_int(q1(s, "SELECT count(*) FROM ips"), 3,
		    "addresses no count uses are gone (2 of 4 left, and id 0)");
		is_int(q1(s, "SELECT count(*) FROM ips WHERE addr = '198.51.100.1'"),
		    0, "the old-only address among them");
		is_int(q1(s, "SELECT count(*) FROM accounts WHERE name NOT LIKE "
		    "'%kc@x' AND name <> 'gone@x'"), 2,
		    "accounts too (both@x stays, old@x goes)");
		is_int(q1(s, "SELECT count(*) FROM known_clients k JOIN accounts a ON "
		    "a.id = k.account_id WHERE a.name = 'kc@x'"), 1,
		    "an account no count uses stays while a known client names it "
		    "(its id is not freed for another account)");
		is_int(q1(s, "SELECT count(*) FROM accounts WHERE name = 'gone@x'") +
		    q1(s, "SELECT count(*) FROM known_clients WHERE account_id NOT IN "
		    "(SELECT id FROM accounts)"), 0, "a known client past the "
		    "retention goes, and its account with it; no known client "
		    "names a deleted account");
		is_int(q1(s, "SELECT count(*) FROM alerts WHERE id = 1"), 0,
		    "alerts: the one resolved before the retention is gone");
		is_int(q1(s, "SELECT count(*) FROM alerts WHERE id IN (2, 3)"), 2,
		    "the newer resolved one and the firing one stay");
		is_int(q1(s, "SELECT count(*) FROM outbox"), 2,
		    "notifications: the pending one and the new one stay");
		is_int(q1(s, "SELECT count(*) FROM outbox WHERE id IN (3, 4)"), 2,
		    "(those two)");
		is_int(q1(s, "SELECT count(*) FROM outbox_alerts"), 2,
		    "their links only");
		is_int(q1(s, "SELECT count(*) FROM alert_window") +
		    q1(s, "SELECT count(*) FROM alert_distinct"), 2,
		    "alert windows: only the new rows");
		{
			sqlite3_stmt *st;
			int same = 0;

			if (sqlite3_prepare_v2(store_db(s), report, -1, &st, NULL) ==
			    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
				same = strcmp(before, (const char *)sqlite3_column_text(st,
				    0)) == 0;
			sqlite3_finalize(st);
			ok(same, "the report within the retention is unchanged (%s)",
			    before);
		}
		/* both connections use the pruned address again */
		counter_clear(c3);
		counter_add(c3, new_b, 0, "198.51.100.1", 12, "old@x", 5, 7);
		ok(store_begin(s) == 0 && store_add_counts(s, c3, classes, 2) == 0 &&
		    store_commit(s) == 0, "the pruning connection adds it again");
		counter_clear(c3);
		counter_add(c3, new_b + 7200, 0, "198.51.100.1", 12, "old@x", 5, 5);
		ok(store_begin(s2) == 0 && store_add_counts(s2, c3, classes, 2) == 0 &&
		    store_commit(s2) == 0, "so does the other, whose cached id is gone");
		is_int(q1(s, "SELECT sum(k.n) FROM counts k JOIN ips i ON "
		    "i.id = k.ip_id JOIN accounts a ON a.id = k.account_id WHERE "
		    "i.addr = '198.51.100.1' AND a.name = 'old@x'"), 12,
		    "every new count of it is joined to its name");
		is_int(q1(s, "SELECT count(*) FROM counts WHERE ip_id NOT IN "
		    "(SELECT id FROM ips) OR account_id NOT IN (SELECT id FROM "
		    "accounts)"), 0, "no count refers to a missing id");
		store_close(s2);
		store_close(s);
		counter_free(c3);
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
