/* test_rollup: the hourly and daily rollups (rollup.c), the reader that
 * covers a window with them (countread.c) and the report's one-pass
 * queries (reportq.c), on real SQLite files: ten days of random counts
 * written in transactions as the writer does (one rolled back), every
 * level checked against the minutes, random windows checked against the
 * events themselves (totals by class and ip, the series of the summary),
 * again after a prune, and migration 006 building the rollups of an
 * existing database. */
#include <dirent.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chunk.h"
#include "counter.h"
#include "countread.h"
#include "countsvt.h"
#include "diag.h"
#include "duration.h"
#include "embedded.h"
#include "json.h"
#include "report.h"
#include "sbuf.h"
#include "store.h"
#include "storeq.h"
#include "tap.h"

#define DAY0 1795305600LL       /* 2026-11-22T00:00:00Z */
#define SPAN (10 * 86400LL)
#define NEV 20000
#define NIP 30
#define NACCT 25

static const char *const classes[] = {
	"auth_failed", "relay_denied", "msg_in_auth", "dnsbl"
};
#define NCLS 4

struct ev {
	int64_t bucket;
	int cls, ip, acct;      /* ip/acct -1: none */
	int n, gone;            /* gone: rolled back or pruned */
};

static struct ev evs[NEV];
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void ipname(int i, char *b, size_t n)
{
	snprintf(b, n, "192.0.2.%d", i);
}

static void acctname(int i, char *b, size_t n)
{
	snprintf(b, n, "u%d@d%d.example", i, i % 7);
}

/* level_mismatches: entries of count_hours (level 1) or count_days (2)
 * that differ from the sums of their minutes */
static long long level_mismatches(struct store *s, int level)
{
	static const char *const tab[] = { "", "count_hours", "count_days" };
	int64_t unit = level == 1 ? 3600 : 86400;
	char sql[256];
	sqlite3_stmt *st;
	struct chunk_vec cv = { 0 };
	long long bad = 0, rows = 0;
	size_t i;

	/* the minutes, summed per period through the counts table, minus
	 * the stored period's entries: every difference must be 0 */
	sqlite3_exec(store_db(s), "CREATE TEMP TABLE IF NOT EXISTS lv "
	    "(b, c, i, a, n)", NULL, NULL, NULL);
	sqlite3_exec(store_db(s), "DELETE FROM lv; BEGIN", NULL, NULL, NULL);
	snprintf(sql, sizeof sql, "SELECT bucket, class_id, data FROM %s",
	    tab[level]);
	sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		sqlite3_stmt *ins;

		cv.n = 0;
		if (chunk_decode(sqlite3_column_blob(st, 2),
		    (size_t)sqlite3_column_bytes(st, 2), &cv) < 0)
			bad++;
		sqlite3_prepare_v2(store_db(s), "INSERT INTO lv VALUES "
		    "(?, ?, ?, ?, ?)", -1, &ins, NULL);
		for (i = 0; i < cv.n; i++) {
			sqlite3_bind_int64(ins, 1, sqlite3_column_int64(st, 0));
			sqlite3_bind_int64(ins, 2, sqlite3_column_int64(st, 1));
			sqlite3_bind_int64(ins, 3, cv.v[i].ip);
			sqlite3_bind_int64(ins, 4, cv.v[i].acct);
			sqlite3_bind_int64(ins, 5, -cv.v[i].n);
			sqlite3_step(ins);
			sqlite3_reset(ins);
			rows++;
		}
		sqlite3_finalize(ins);
	}
	sqlite3_finalize(st);
	chunk_vec_release(&cv);
	/* (only the days rolled up have day chunks) */
	snprintf(sql, sizeof sql, "INSERT INTO lv SELECT bucket - bucket %% "
	    "%lld, class_id, ip_id, account_id, n FROM counts%s",
	    (long long)unit, level == 2 ? " WHERE bucket - bucket % 86400 IN "
	    "(SELECT day FROM count_days_done)" : "");
	sqlite3_exec(store_db(s), sql, NULL, NULL, NULL);
	sqlite3_exec(store_db(s), "COMMIT", NULL, NULL, NULL);
	bad += q1(s, "SELECT count(*) FROM (SELECT SUM(n) AS d FROM lv GROUP "
	    "BY b, c, i, a) WHERE d != 0");
	if (rows == 0)
		bad++;          /* nothing to compare is a failure too */
	return bad;
}

/* write: the events [from, to) as the writer does: batches of a counter,
 * several per transaction; rollback = 1 rolls the transaction back */
static int write_events(struct store *s, size_t from, size_t to, int rollback)
{
	struct counter *c = counter_new();
	char ip[32], ac[64];
	size_t i;
	int rc = store_begin(s);

	for (i = from; i < to && rc == 0; i++) {
		const struct ev *e = &evs[i];

		ipname(e->ip, ip, sizeof ip);
		acctname(e->acct, ac, sizeof ac);
		counter_add(c, e->bucket, (uint32_t)e->cls, ip,
		    e->ip < 0 ? 0 : strlen(ip), ac, e->acct < 0 ? 0 :
		    strlen(ac), (uint32_t)e->n);
		if ((i - from) % 300 == 299) {   /* a batch */
			rc = store_add_counts(s, c, classes, NCLS);
			counter_clear(c);
		}
	}
	if (rc == 0)
		rc = store_add_counts(s, c, classes, NCLS);
	counter_free(c);
	if (rollback) {
		store_rollback(s);
		for (i = from; i < to; i++)
			evs[i].gone = 1;
		return rc;
	}
	return rc == 0 ? store_commit(s) : -1;
}

/* keyed sums for the expected output */
struct krow {
	const char *cls;
	char ip[32];            /* "" = none */
	long long n;
};

static int cmp_krow(const void *x, const void *y)
{
	const struct krow *a = x, *b = y;
	int c;

	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	if ((c = strcmp(a->cls, b->cls)) != 0)
		return c;
	if (!a->ip[0] || !b->ip[0])
		return (!a->ip[0]) - (!b->ip[0]);
	return strcmp(a->ip, b->ip);
}

/* expected_json: report --by class,ip --format json from the events */
static char *expected_json(time_t since, time_t until)
{
	static struct krow rows[NCLS * (NIP + 1)];
	struct sbuf b;
	char *out;
	char t[32];
	size_t i, nr = 0, k;

	memset(rows, 0, sizeof rows);
	for (i = 0; i < NEV; i++) {
		const struct ev *e = &evs[i];

		if (e->gone || e->bucket < since || e->bucket >= until)
			continue;
		k = (size_t)e->cls * (NIP + 1) + (size_t)(e->ip + 1);
		rows[k].cls = classes[e->cls];
		if (e->ip >= 0)
			ipname(e->ip, rows[k].ip, sizeof rows[k].ip);
		rows[k].n += e->n;
	}
	for (i = 0; i < NCLS * (NIP + 1); i++)
		if (rows[i].n > 0)
			rows[nr++] = rows[i];
	qsort(rows, nr, sizeof *rows, cmp_krow);
	sbuf_init(&b);
	sbuf_adds(&b, "{\"since\": ");
	json_cstr(&b, time_iso(since, t, sizeof t));
	sbuf_adds(&b, ", \"until\": ");
	json_cstr(&b, time_iso(until, t, sizeof t));
	sbuf_adds(&b, ", \"by\": [\"class\", \"ip\"], \"rows\": [");
	for (i = 0; i < nr; i++) {
		sbuf_addf(&b, "%s{\"class\": \"%s\", \"ip\": ", i ? ", " : "",
		    rows[i].cls);
		json_cstr(&b, rows[i].ip[0] ? rows[i].ip : NULL);
		sbuf_addf(&b, ", \"count\": %lld}", rows[i].n);
	}
	sbuf_adds(&b, "]}\n");
	out = sbuf_detach(&b);
	sbuf_release(&b);             /* detach leaves an empty buffer */
	return out;
}

static char *run(struct store *s, const struct report_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	report_run(s, o, fp);
	fclose(fp);
	return buf;
}

/* windows: n random windows, report vs the events; returns failures */
static int windows(struct store *s, int n, const char *what)
{
	struct report_opts o;
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		char *got, *want;

		memset(&o, 0, sizeof o);
		o.format = REPORT_JSON;
		o.by = REPORT_BY_CLASS | REPORT_BY_IP;
		/* whole days, hours, minutes or any second, inside and
		 * around the data */
		o.since = (time_t)(DAY0 - 86400 + (int64_t)(rnd() % (SPAN +
		    86400)));
		o.until = o.since + (time_t)(1 + rnd() % (i % 3 == 0 ? 3600 :
		    i % 3 == 1 ? 86400 * 2 : SPAN));
		if (i % 5 == 0)
			o.since -= o.since % 3600;
		if (i % 7 == 0)
			o.until -= o.until % 86400;
		if (i == 0) {
			o.since = 0;          /* --since all */
			o.until = (time_t)(DAY0 + SPAN + 86400);
		}
		if (o.until <= o.since)
			o.until = o.since + 60;
		got = run(s, &o);
		want = expected_json(o.since, o.until);
		if (got == NULL || strcmp(got, want) != 0) {
			if (bad++ == 0)
				printf("# %s: window %lld..%lld\n#   got:  %.300s\n"
				    "#   want: %.300s\n", what, (long long)o.since,
				    (long long)o.until, got ? got : "(null)", want);
		}
		free(got);
		free(want);
	}
	return bad;
}

/* series: the summary's series per class vs the events */
static int series(struct store *s, int n)
{
	struct report_opts o;
	struct report_summary sum;
	long long want[NCLS][100];
	int i, bad = 0;
	size_t j, k, c;

	for (i = 0; i < n; i++) {
		memset(&o, 0, sizeof o);
		o.format = REPORT_TABLE;
		o.since = (time_t)(DAY0 + (int64_t)(rnd() % SPAN));
		o.until = o.since + (time_t)(60 + rnd() % (i % 2 ? 86400 :
		    SPAN));
		if (report_summary_build(s, &o, i % 2 ? 24 : 96, &sum) < 0) {
			bad++;
			report_summary_release(&sum);
			continue;
		}
		memset(want, 0, sizeof want);
		for (j = 0; j < NEV; j++) {
			const struct ev *e = &evs[j];

			if (e->gone || e->bucket < sum.since ||
			    e->bucket >= sum.until)
				continue;
			k = (size_t)((e->bucket - sum.origin) / sum.step);
			if (k < sum.nslots && k < 100)
				want[e->cls][k] += e->n;
		}
		for (c = 0; c < sum.nclasses; c++) {
			for (k = 0; k < NCLS; k++)
				if (strcmp(classes[k], sum.classes[c].name) == 0)
					break;
			for (j = 0; k < NCLS && j < sum.nslots; j++)
				if (sum.classes[c].series[j] != want[k][j]) {
					if (bad++ == 0)
						printf("# series: %s slot %zu: "
						    "%lld, want %lld\n",
						    classes[k], j,
						    sum.classes[c].series[j],
						    want[k][j]);
					break;
				}
		}
		report_summary_release(&sum);
	}
	return bad;
}

/* tops: the summary's top IPs and accounts cut at --top 3 (only the top
 * keys named, reportq's top) vs every key then cut: the same entries */
static int tops(struct store *s, int n)
{
	struct report_opts o;
	struct report_summary all, cut;
	int i, bad = 0;
	size_t j, k;

	for (i = 0; i < n; i++) {
		memset(&o, 0, sizeof o);
		o.format = REPORT_TABLE;
		o.since = (time_t)(DAY0 + (int64_t)(rnd() % SPAN));
		o.until = o.since + (time_t)(60 + rnd() % (i % 2 ? 7200 : SPAN));
		o.top = 0;
		report_summary_build(s, &o, 24, &all);
		o.top = 1 + i % 4;
		report_summary_build(s, &o, 24, &cut);
		for (k = 0; k < 2; k++) {
			const struct report_top *a = k ? all.accounts : all.ips;
			const struct report_top *c = k ? cut.accounts : cut.ips;
			size_t na = k ? all.naccounts : all.nips;
			size_t nc = k ? cut.naccounts : cut.nips;

			if (nc != (na < (size_t)o.top ? na : (size_t)o.top)) {
				bad++;
				continue;
			}
			for (j = 0; j < nc; j++)
				if (strcmp(a[j].key, c[j].key) != 0 ||
				    a[j].total != c[j].total ||
				    a[j].nclasses != c[j].nclasses)
					bad++;
		}
		report_summary_release(&all);
		report_summary_release(&cut);
	}
	return bad;
}

static int sum_cb(void *arg, const struct countread_chunk *c)
{
	long long *sum = arg;
	size_t i;

	for (i = 0; i < c->n; i++)
		*sum += c->v[i].n;
	return 0;
}

/* direct: countread_scan itself (no narrowing of the window), n random
 * windows with random cut points: the total vs the events */
static int direct(struct store *s, int n)
{
	struct countread_query q;
	int64_t cuts[5];
	long long got, want;
	int i, k, bad = 0;
	size_t j;

	for (i = 0; i < n; i++) {
		memset(&q, 0, sizeof q);
		q.since = DAY0 - 3600 + (int64_t)(rnd() % (SPAN / 2));
		q.until = q.since + (int64_t)(rnd() % SPAN);
		q.pruned = (int64_t)store_pruned_before(s);
		for (k = 0; k < 5; k++)
			cuts[k] = q.since + (int64_t)(rnd() % SPAN);
		q.cuts = cuts;
		q.ncuts = (size_t)(i % 6);
		got = 0;
		if (countread_scan(store_db(s), &q, sum_cb, &got) != SQLITE_OK)
			got = -1;
		want = 0;
		for (j = 0; j < NEV; j++)
			if (!evs[j].gone && evs[j].bucket >= q.since &&
			    evs[j].bucket < q.until)
				want += evs[j].n;
		if (got != want && bad++ == 0)
			printf("# countread %lld..%lld: %lld, want %lld\n",
			    (long long)q.since, (long long)q.until, got, want);
	}
	return bad;
}

/* raw_chunk: a minute chunk written directly (before migration 006) */
static void raw_chunk(sqlite3 *db, int64_t bucket, int64_t cls,
    struct chunk_vec *cv)
{
	sqlite3_stmt *st;
	unsigned char *buf = NULL;
	size_t cap = 0, len;

	chunk_sort(cv);
	len = chunk_encode(cv->v, cv->n, &buf, &cap);
	sqlite3_prepare_v2(db, "INSERT INTO count_chunks VALUES (?, ?, 0, ?)",
	    -1, &st, NULL);
	sqlite3_bind_int64(st, 1, bucket);
	sqlite3_bind_int64(st, 2, cls);
	sqlite3_bind_blob(st, 3, buf, (int)len, SQLITE_TRANSIENT);
	sqlite3_step(st);
	sqlite3_finalize(st);
	free(buf);
	cv->n = 0;
}

int main(void)
{
	char dir[] = "/tmp/test_rollup.XXXXXX", path[512];
	struct diag d;
	struct store *s;
	int64_t cut;
	size_t i;
	int nschema = 0, nbad;

	setenv("TZ", "UTC", 1);
	tzset();
	if (mkdtemp(dir) == NULL)
		return 1;
	while (embedded_schema[nschema].name)
		nschema++;
	ok(strcmp(embedded_schema[nschema - 1].name, "006_rollups.sql") == 0,
	    "006_rollups.sql is the last migration");
	for (i = 0; i < NEV; i++) {
		evs[i].bucket = DAY0 + (int64_t)(rnd() % SPAN) / 60 * 60;
		evs[i].cls = (int)(rnd() % NCLS);
		evs[i].ip = (int)(rnd() % (NIP + 1)) - 1;
		evs[i].acct = (int)(rnd() % (NACCT + 1)) - 1;
		evs[i].n = 1 + (int)(rnd() % 3);
	}

	diag_init(&d);
	snprintf(path, sizeof path, "%s/ew.db", dir);
	s = store_open(path, STORE_CREATE, &d);
	if (!ok(s != NULL, "store_open")) {
		diag_print(&d, stdout);
		return done_testing();
	}
	ok(write_events(s, 0, 6000, 0) == 0 && write_events(s, 6000, 9000, 1)
	    == 0 && write_events(s, 9000, 15000, 0) == 0, "events written in "
	    "transactions of batches, one rolled back");
	is_int(level_mismatches(s, 1), 0, "every hour chunk is the sum of its "
	    "minutes");
	is_int(q1(s, "SELECT count(*) FROM count_days"), 0, "no day chunk "
	    "before the days are rolled up");
	for (i = 15000; i < NEV; i++)
		evs[i].gone = 1;        /* not written yet */
	nbad = windows(s, 40, "hours only");
	for (i = 15000; i < NEV; i++)
		evs[i].gone = 0;
	is_int(nbad, 0, "40 random windows from "
	    "minutes and hours: the counts by class and ip are the events'");
	/* the first half of the days rolled up, then more events for every
	 * day: the late ones go to the day chunks in their transaction */
	ok(store_begin(s) == 0 && store_rollup_days(s, (time_t)(DAY0 + 5 *
	    86400 + 3600)) == 5 && store_commit(s) == 0, "five days rolled up");
	ok(store_begin(s) == 0 && store_rollup_days(s, (time_t)(DAY0 + 5 *
	    86400 + 7200)) == 0 && store_commit(s) == 0, "and not again");
	ok(write_events(s, 15000, NEV, 0) == 0, "late events for every day");
	is_int(level_mismatches(s, 2), 0, "every day chunk is the sum of its "
	    "minutes, late events too");
	is_int(q1(s, "SELECT count(*) FROM count_days_done"), 5, "five days "
	    "marked");
	is_int(windows(s, 40, "half the days"), 0, "40 random windows with "
	    "half the days rolled up");
	ok(store_begin(s) == 0 && store_rollup_days(s, time(NULL)) == 5 &&
	    store_commit(s) == 0, "the other five days rolled up");
	is_int(level_mismatches(s, 1), 0, "every hour chunk is the sum of its "
	    "minutes");
	is_int(level_mismatches(s, 2), 0, "every day chunk is the sum of its "
	    "minutes");
	ok(q1(s, "SELECT count(*) FROM count_days") <= 10 * NCLS &&
	    q1(s, "SELECT count(*) FROM count_days") > 10 * NCLS / 2,
	    "one day chunk per day and class");
	is_int(windows(s, 150, "random windows"), 0, "150 random windows: the "
	    "counts by class and ip are the events'");
	is_int(series(s, 40), 0, "40 random windows: the series of every "
	    "class, slot by slot");
	is_int(direct(s, 100), 0, "countread: 100 random windows and cuts, "
	    "each event once");
	is_int(tops(s, 40), 0, "40 random windows: the top IPs and accounts "
	    "cut at 1 to 4 are those of every key, ties included");

	/* the counts table's INSERT writes every level */
	ok(sqlite3_exec(store_db(s), "INSERT INTO counts VALUES (1795350000, "
	    "1, 0, 0, 5)", NULL, NULL, NULL) == SQLITE_OK, "INSERT through "
	    "counts");
	is_int(level_mismatches(s, 1) + level_mismatches(s, 2), 0, "the hour "
	    "and the day got it too");
	sqlite3_exec(store_db(s), "DELETE FROM count_chunks WHERE bucket = "
	    "1795350000 - 1795350000 % 60 AND class_id = 1", NULL, NULL, NULL);
	ok(level_mismatches(s, 1) > 0, "(a level that differs is seen)");
	store_close(s);
	unlink(path);

	/* prune: the levels stay equal from the cut on */
	s = store_open(path, STORE_CREATE, &d);
	write_events(s, 0, NEV, 0);
	store_begin(s);
	store_rollup_days(s, time(NULL));
	store_commit(s);
	for (i = 6000; i < 9000; i++)
		evs[i].gone = 0;        /* written this time */
	cut = DAY0 + 3 * 86400 + 5 * 3600 + 17 * 60 + 13;
	ok(store_begin(s) == 0 && store_prune(s, (time_t)cut) > 0 &&
	    store_commit(s) == 0, "prune at day 3, 05:17:13");
	for (i = 0; i < NEV; i++)
		if (evs[i].bucket < cut)
			evs[i].gone = 1;
	is_int((long long)store_pruned_before(s), cut, "the cut is recorded");
	ok(q1(s, "SELECT count(*) FROM count_hours WHERE bucket < 1795305600 + "
	    "3 * 86400 + 5 * 3600") == 0 && q1(s, "SELECT count(*) FROM "
	    "count_hours WHERE bucket = 1795305600 + 3 * 86400 + 5 * 3600") > 0,
	    "hours that end before the cut are gone, the one holding it stays");
	is_int(windows(s, 60, "after the prune"), 0, "60 random windows after "
	    "the prune: the events from the cut on, at every level");
	is_int(direct(s, 100), 0, "countread after the prune: never the "
	    "pruned minutes of the hour and the day that hold the cut");
	store_close(s);

	/* an attack: a new account in every line, 3,000 a transaction in the
	 * same hour: the hour's chunk goes on in parts as the minutes' do */
	snprintf(path, sizeof path, "%s/parts.db", dir);
	s = store_open(path, STORE_CREATE, &d);
	{
		struct counter *c = counter_new();
		char ac[64];
		int t, j, wrote = 1;

		for (t = 0; t < 3; t++) {
			wrote &= store_begin(s) == 0;
			for (j = 0; j < 3000; j++) {
				snprintf(ac, sizeof ac, "x%d@attack.example",
				    t * 3000 + j);
				counter_add(c, DAY0 + 600 + 60 * (j % 30), 0,
				    "198.51.100.7", 12, ac, strlen(ac), 1);
			}
			wrote &= store_add_counts(s, c, classes, NCLS) == 0 &&
			    store_commit(s) == 0;
			counter_clear(c);
		}
		counter_free(c);
		ok(wrote && store_begin(s) == 0 && store_rollup_days(s,
		    time(NULL)) == 1 && store_commit(s) == 0, "9,000 accounts "
		    "in an hour, in three transactions; the day rolled up");
	}
	ok(q1(s, "SELECT max(part) FROM count_hours") >= 1, "the hour went "
	    "on in a second part");
	is_int(level_mismatches(s, 1) + level_mismatches(s, 2), 0, "hours and "
	    "days in parts: still the sums of their minutes");
	is_int(q1(s, "SELECT count(*) FROM counts WHERE bucket >= 1795305600 "
	    "AND bucket < 1795305600 + 86400"), 9000, "9,000 counts");
	store_close(s);

	/* migration 006: a database of the version before, with counts */
	snprintf(path, sizeof path, "%s/old.db", dir);
	{
		sqlite3 *db;
		char *err = NULL, pragma[64];
		struct chunk_vec cv = { 0 };
		int rc = SQLITE_OK, k;

		sqlite3_open(path, &db);
		countsvt_register(db);
		for (k = 0; k < nschema - 1 && rc == SQLITE_OK; k++)
			rc = sqlite3_exec(db, embedded_schema[k].data, NULL, NULL,
			    &err);
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d",
		    atoi(embedded_schema[nschema - 2].name));
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, pragma, NULL, NULL, &err);
		sqlite3_exec(db, "INSERT INTO classes VALUES (1, 'a'), (2, 'b');"
		    "INSERT INTO ips VALUES (1, '192.0.2.1'), (2, '192.0.2.2');"
		    "INSERT INTO accounts VALUES (1, 'x@y')", NULL, NULL, NULL);
		sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		for (k = 0; k < 3000; k++) {
			chunk_vec_push(&cv, (int64_t)(rnd() % 3),
			    (int64_t)(rnd() % 2), 1 + (int64_t)(rnd() % 4));
			raw_chunk(db, DAY0 + k * 240, 1 + k % 2, &cv);
		}
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		chunk_vec_release(&cv);
		ok(rc == SQLITE_OK, "a version %d database with counts%s%s",
		    atoi(embedded_schema[nschema - 2].name), err ? ": " : "",
		    err ? err : "");
		sqlite3_free(err);
		sqlite3_close(db);
	}
	s = store_open(path, STORE_CREATE, &d);
	if (ok(s != NULL, "opened: migrated")) {
		is_int(q1(s, "PRAGMA user_version"), 6, "to version 6");
		is_int(level_mismatches(s, 1), 0, "the hours built from the minutes");
		is_int(level_mismatches(s, 2), 0, "the days built from the minutes");
		store_close(s);
	} else {
		diag_print(&d, stdout);
	}

	diag_release(&d);
	{
		DIR *dh = opendir(dir);
		struct dirent *de;

		while (dh && (de = readdir(dh)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
			unlink(path);
		}
		if (dh)
			closedir(dh);
	}
	ok(rmdir(dir) == 0, "temporary directory cleaned up");
	return done_testing();
}
