/* test_alert: sliding windows and distinct counts (threshold.c), and the
 * alert lifecycle with a fake clock (alert.c): firing, batching by
 * group_wait, repeat, resolve_after, the outbox rows, and state surviving a
 * restart (a new engine loading the store). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert.h"
#include "alertconf.h"
#include "diag.h"
#include "event.h"
#include "eximlog.h"
#include "owners.h"
#include "rules.h"
#include "sink.h"
#include "smap.h"
#include "store.h"
#include "threshold.h"
#include "capture.h"
#include "tap.h"
#include <sqlite3.h>

static int nout;
static char last_sink[64], last_body[65536];

static void on_out(void *arg, int64_t id, const char *sink, const char *body,
    size_t len, int64_t created)
{
	(void)arg; (void)id; (void)created;
	nout++;
	snprintf(last_sink, sizeof last_sink, "%s", sink);
	snprintf(last_body, sizeof last_body, "%.*s", (int)len, body);
}

static int64_t T0 = 1795340000;

static void feed(struct alert_engine *e, const struct rules *r, const char *cls,
    const char *ip, const char *account, int64_t ts)
{
	struct event ev;
	struct eximlog_line ln;
	static const char body[] = "login authenticator failed for (x)";

	memset(&ev, 0, sizeof ev);
	memset(&ln, 0, sizeof ln);
	ev.cls = rules_find(r, cls);
	ev.ts = ts;
	if (ip && strchr(ip, '[') != NULL) {
		/* host text left for whoever needs the IP (scan, the daemon) */
		ev.f[FIELD_HOST] = span_make(ip, strlen(ip));
		ev.host_deferred = 1;
	} else if (ip) {
		ev.f[FIELD_IP] = span_make(ip, strlen(ip));
	}
	if (account)
		ev.account = span_make(account, strlen(account));
	ln.body = span_make(body, sizeof body - 1);
	alert_event(e, &ev, &ln, ts);
}

/* commit: what the daemon's flush does */
static int commit(struct alert_engine *e, struct store *s, int64_t now)
{
	int ok;

	alert_evaluate(e, now * 1000);
	if (!alert_dirty(e))
		return 0;
	store_begin(s);
	ok = alert_write(e, s, now) == 0;
	ok = ok && store_commit(s) == 0;
	if (!ok)
		store_rollback(s);
	alert_written(e, ok);
	return ok ? 0 : -1;
}

static int count(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	int n = -1;

	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

int main(void)
{
	struct threshold *t;
	struct rules_source src;
	struct rules *r;
	struct alertconf ac;
	struct alert_engine *e;
	struct store *s;
	struct owners *ow = owners_new_empty();
	struct diag d;
	char dir[] = "/tmp/ewalertXXXXXX", cfg[256], db[256];
	FILE *fp;
	char *log;
	int i;
	int64_t now;

	/* the engine logs what it notifies and loads: checked at the end */
	capture_begin();

	/* ---- smap: random inserts and deletes against a plain array ---- */
	{
		struct smap m;
		static int have[2000];
		char k[16];
		int bad = 0, j;

		smap_init(&m);
		srand(7);
		for (i = 0; i < 200000; i++) {
			j = rand() % 2000;
			snprintf(k, sizeof k, "k%d", j);
			if (rand() % 3 == 0) {
				if ((smap_del(&m, k, strlen(k)) != NULL) != have[j])
					bad++;
				have[j] = 0;
			} else {
				smap_put(&m, k, strlen(k), &have[j]);
				have[j] = 1;
			}
		}
		for (j = 0; j < 2000; j++) {
			snprintf(k, sizeof k, "k%d", j);
			if ((smap_get(&m, k, strlen(k)) != NULL) != have[j])
				bad++;
		}
		is_int(bad, 0, "smap: 200000 random puts and deletes agree with an array");
		smap_release(&m);
	}

	/* ---- windows ---- */
	t = threshold_new(10, 0, 100);
	for (i = 0; i < 5; i++)
		threshold_add(t, "a", 1, "", 0, T0 + i, 1, T0 + i, 0);
	is_int(threshold_value(t, "a", 1), 5, "count: 5 events in the window");
	threshold_expire(t, T0 + 10);
	is_int(threshold_value(t, "a", 1), 4, "sliding: the event of T0 left at T0+10");
	threshold_expire(t, T0 + 14);
	is_int(threshold_value(t, "a", 1), 0, "sliding: all gone at T0+14");
	is_int(threshold_ngroups(t), 0, "an empty group is dropped");
	is_int(threshold_add(t, "a", 1, "", 0, T0, 1, T0 + 20, 0), -1,
	    "an event older than the window is ignored");
	threshold_add(t, "b", 1, "", 0, T0 + 30, 1, T0 + 25, 0);
	is_int(threshold_value(t, "b", 1), 1, "a future time stamp counts as now");
	threshold_add(t, "b", 1, "", 0, T0 + 20, 2, T0 + 25, 0);
	threshold_expire(t, T0 + 30);
	is_int(threshold_value(t, "b", 1), 1, "out-of-order seconds expire in order");
	threshold_free(t);

	t = threshold_new(60, 1, 100);
	threshold_add(t, "acct", 4, "192.0.2.1", 9, T0, 1, T0, 0);
	threshold_add(t, "acct", 4, "192.0.2.1", 9, T0 + 1, 1, T0 + 1, 0);
	threshold_add(t, "acct", 4, "192.0.2.2", 9, T0 + 2, 1, T0 + 2, 0);
	threshold_add(t, "acct", 4, "192.0.2.3", 9, T0 + 30, 1, T0 + 30, 0);
	is_int(threshold_value(t, "acct", 4), 3, "distinct: 3 IPs for 4 events");
	threshold_expire(t, T0 + 61);
	is_int(threshold_value(t, "acct", 4), 2, "distinct: .1 still there once");
	threshold_expire(t, T0 + 62);
	is_int(threshold_value(t, "acct", 4), 1, "distinct: .1 and .2 left");
	threshold_free(t);

	t = threshold_new(60, 0, 3);
	for (i = 0; i < 5; i++) {
		char g[8];

		snprintf(g, sizeof g, "g%d", i);
		threshold_add(t, g, strlen(g), "", 0, T0, 1, T0, 0);
	}
	is_int(threshold_ngroups(t), 3, "max_groups bounds memory");
	threshold_free(t);

	/* ---- lifecycle ---- */
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(cfg, sizeof cfg, "%s/c.yaml", dir);
	snprintf(db, sizeof db, "%s/db", dir);
	fp = fopen(cfg, "w");
	fprintf(fp, "alerts: {host: testhost}\n"
	    "sinks:\n  hook: {type: webhook, url: 'http://127.0.0.1:9/x'}\n"
	    "thresholds:\n"
	    "  - id: bf\n    classes: [auth_failed]\n    by: ip\n    window: 10s\n"
	    "    count: 3\n    resolve_after: 5s\n    repeat: 30s\n"
	    "    group_wait: 4s\n    first_wait: 1s\n    sinks: [hook]\n"
	    "  - id: stuffing\n    classes: [auth_failed]\n    by: ip\n"
	    "    distinct: {field: account, count: 3}\n    window: 60s\n");
	fclose(fp);
	diag_init(&d);
	memset(&src, 0, sizeof src);
	r = rules_load(&src, &d);
	ok(alertconf_load(&ac, cfg, &d) == 0 && alertconf_check_classes(&ac, r, &d) == 0,
	    "config loads");
	diag_print(&d, stdout);
	s = store_open(db, STORE_CREATE, &d);
	ok(s != NULL, "store opens (schema 002 applied)");
	e = alert_new(&ac, r, ow);
	alert_on_outbox(e, on_out, NULL);
	alert_load(e, s, T0);

	now = T0;
	feed(e, r, "auth_failed", "192.0.2.1", "a@x", now);
	feed(e, r, "auth_failed", "192.0.2.1", "a@x", now);
	commit(e, s, now);
	is_int(alert_firing(e), 0, "2 events: under the threshold");
	feed(e, r, "auth_failed", "192.0.2.1", "b@x", now);
	feed(e, r, "relay_denied", "192.0.2.1", "b@x", now);
	commit(e, s, now);
	is_int(alert_firing(e), 1, "3 events: firing");
	is_int(nout, 0, "not notified before first_wait");
	ok(alert_next_ms(e, now * 1000) > 0 && alert_next_ms(e, now * 1000) <= 1000,
	    "the engine asks to be woken for the batch");
	commit(e, s, now + 1);
	is_int(nout, 1, "first notification after first_wait");
	ok(strstr(last_body, "\"alert.firing\"") && strstr(last_body, "192.0.2.1"),
	    "the notification names the IP");
	is_int(count(s, "SELECT count(*) FROM outbox WHERE status = 'pending'"), 1,
	    "the notification is in the outbox");
	is_int(count(s, "SELECT count(*) FROM alerts WHERE state = 'firing'"), 1,
	    "the alert is stored as firing");
	/* two more IPs cross at once: batched into one message after group_wait */
	now = T0 + 2;
	for (i = 0; i < 3; i++) {
		feed(e, r, "auth_failed", "192.0.2.2", "a@x", now);
		/* the same IP as unparsed host text: the engine parses it */
		feed(e, r, "auth_failed", "mail.example.net (x) [192.0.2.3]:25",
		    "a@x", now);
		/* an ambiguous host (HELO injection) is no group at all */
		feed(e, r, "auth_failed", "(x) [192.0.2.9] (y) [192.0.2.8]:25",
		    "a@x", now);
	}
	commit(e, s, now);
	commit(e, s, now + 2);
	is_int(nout, 1, "within group_wait of the last message: batched");
	commit(e, s, now + 3);
	is_int(nout, 2, "one message for both new IPs after group_wait");
	ok(strstr(last_body, "192.0.2.2") && strstr(last_body, "192.0.2.3") &&
	    !strstr(last_body, "192.0.2.1") && !strstr(last_body, "192.0.2.9") &&
	    !strstr(last_body, "192.0.2.8"), "it lists exactly the new groups "
	    "(an unparsed host's IP too, an ambiguous host's not)");

	/* restart: a new engine from the store */
	alert_free(e);
	e = alert_new(&ac, r, ow);
	alert_on_outbox(e, on_out, NULL);
	alert_load(e, s, T0 + 6);
	is_int(alert_firing(e), 3, "after a restart: 3 alerts firing again");
	commit(e, s, T0 + 6);
	is_int(nout, 2, "no new notification after a restart");
	/* keep 192.0.2.1 hot until T0+30: repeat at 30s after its first message */
	for (now = T0 + 7; now <= T0 + 31; now++) {
		feed(e, r, "auth_failed", "192.0.2.1", "a@x", now);
		commit(e, s, now);
	}
	ok(nout >= 3, "resolves of .2/.3 and a repeat of .1 while firing (%d)", nout);
	is_int(count(s, "SELECT count(*) FROM alerts WHERE state = 'resolved'"), 2,
	    ".2 and .3 resolved: 10s window + 5s resolve_after");
	is_int(alert_firing(e), 1, ".1 still firing");
	for (now = T0 + 32; now <= T0 + 50; now++)
		commit(e, s, now);
	ok(count(s, "SELECT count(*) FROM outbox WHERE body LIKE '%\"192.0.2.1\"%' AND "
	    "kind = 'firing'") >= 2, ".1 re-notified after repeat");
	is_int(alert_firing(e), 0, "quiet: everything resolved");
	ok(strstr(last_body, "\"alert.resolved\"") != NULL, "the last message is a resolve");
	/* a new crossing after the resolve is a new alert */
	for (i = 0; i < 3; i++)
		feed(e, r, "auth_failed", "192.0.2.1", "a@x", T0 + 51);
	commit(e, s, T0 + 51);
	is_int(count(s, "SELECT count(*) FROM alerts WHERE grp = '192.0.2.1'"), 2,
	    "a second crossing is a second alert row");
	/* distinct */
	for (i = 0; i < 3; i++) {
		char acct[16];

		snprintf(acct, sizeof acct, "u%d@x", i);
		feed(e, r, "auth_failed", "203.0.113.9", acct, T0 + 52);
	}
	commit(e, s, T0 + 52);
	is_int(count(s, "SELECT count(*) FROM alerts WHERE threshold = 'stuffing' AND "
	    "grp = '203.0.113.9'"), 1, "3 distinct accounts from one IP: stuffing fires");
	is_int(count(s, "SELECT count(*) FROM alerts WHERE threshold = 'stuffing' AND "
	    "grp = '192.0.2.1'"), 0, "many events of one account: no stuffing");
	is_int(count(s, "SELECT count(*) FROM outbox_alerts"), count(s,
	    "SELECT count(*) FROM outbox_alerts"), "links written");

	/* 2000 IPs at once: the webhook gets every one of them, in bodies of
	 * at most SINK_WEBHOOK_BODY_MAX */
	{
		int64_t last = count(s, "SELECT max(id) FROM outbox"), *ids = NULL;
		char ip[32], q[256];
		int rows, n;

		for (i = 0; i < 2000; i++) {
			snprintf(ip, sizeof ip, "10.0.%d.%d", i / 250, i % 250 + 1);
			feed(e, r, "auth_failed", ip, "a@x", T0 + 60);
			feed(e, r, "auth_failed", ip, "a@x", T0 + 60);
			feed(e, r, "auth_failed", ip, "a@x", T0 + 60);
		}
		for (now = T0 + 60; now <= T0 + 66; now++)
			commit(e, s, now);
		snprintf(q, sizeof q, "SELECT count(*) FROM outbox WHERE id > %lld",
		    (long long)last);
		rows = count(s, q);
		ok(rows >= 2, "a batch too large for one webhook body: %d bodies", rows);
		snprintf(q, sizeof q, "SELECT max(length(body)) FROM outbox WHERE "
		    "id > %lld", (long long)last);
		ok(count(s, q) <= SINK_WEBHOOK_BODY_MAX, "each at most %d bytes",
		    SINK_WEBHOOK_BODY_MAX);
		snprintf(q, sizeof q, "SELECT count(DISTINCT l.alert_id) FROM "
		    "outbox_alerts l JOIN alerts a ON a.id = l.alert_id WHERE "
		    "l.outbox_id > %lld AND a.grp LIKE '10.0.%%'", (long long)last);
		is_int(count(s, q), 2000, "the 2000 alerts, each in one of them");
		snprintf(q, sizeof q, "SELECT sum((length(body) - length(replace(body, "
		    "'\"group\":\"10.0.', ''))) / 14) FROM outbox WHERE id > %lld",
		    (long long)last);
		is_int(count(s, q), 2000, "the bodies list the 2000 groups");
		snprintf(q, sizeof q, "SELECT count(*) FROM outbox_alerts WHERE "
		    "outbox_id > %lld", (long long)last);
		is_int(count(s, q), 2000, "... and only once");

		/* a receiver refused the last of them as too large: halves */
		snprintf(q, sizeof q, "SELECT count(*) FROM outbox_alerts WHERE "
		    "outbox_id = (SELECT max(id) FROM outbox)");
		n = count(s, q);
		last = count(s, "SELECT max(id) FROM outbox");
		is_int(alert_split(e, s, last, &ids), 2, "alert_split: two parts");
		ok(ids && ids[0] > last && ids[1] > ids[0], "new rows, in order");
		snprintf(q, sizeof q, "SELECT status = 'split' FROM outbox WHERE id = "
		    "%lld", (long long)last);
		is_int(count(s, q), 1, "the refused row is marked split");
		snprintf(q, sizeof q, "SELECT count(*) FROM outbox_alerts WHERE "
		    "outbox_id > %lld", (long long)last);
		is_int(count(s, q), n, "the parts are about the same %d alerts", n);
		snprintf(q, sizeof q, "SELECT count(*) FROM outbox WHERE id > %lld AND "
		    "status = 'pending' AND kind = 'firing' AND body LIKE "
		    "'%%alert.firing%%'", (long long)last);
		is_int(count(s, q), 2, "both pending, firing notifications");
		free(ids);
		ids = NULL;
		is_int(alert_split(e, s, last, &ids), 0, "a row split already: no more");
		free(ids);
		ids = NULL;
		snprintf(q, sizeof q, "SELECT max(id) FROM outbox WHERE id IN "
		    "(SELECT outbox_id FROM outbox_alerts GROUP BY outbox_id HAVING "
		    "count(*) = 1)");
		is_int(alert_split(e, s, count(s, q), &ids), 0,
		    "a row about one alert: nothing to split");
		free(ids);
	}
	alert_free(e);
	store_close(s);
	rules_free(r);
	owners_free(ow);
	alertconf_release(&ac);
	diag_release(&d);
	log = capture_end();
	ok(strstr(log, "alert bf: 1 firing, 0 resolved, notified 1 sink(s)") &&
	    strstr(log, "firing and 7 window entries from before"), "the engine "
	    "logged its notifications and what it loaded");
	free(log);
	{
		char rm[300];

		snprintf(rm, sizeof rm, "rm -rf %s", dir);
		if (system(rm) != 0)
			return 1;
	}
	return done_testing();
}
