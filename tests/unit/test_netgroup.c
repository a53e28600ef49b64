/* test_netgroup: thresholds `by: prefix` — the client addresses of one
 * IPv4 /24 or IPv6 /64 (or the configured prefix lengths) are one group,
 * named by the canonical network; `distinct: {field: prefix}` counts
 * networks; the `prefix:` setting and its errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "alert.h"
#include "capture.h"
#include "alertconf.h"
#include "config.h"
#include "diag.h"
#include "event.h"
#include "eximlog.h"
#include "owners.h"
#include "rules.h"
#include "store.h"
#include "tap.h"

static const int64_t T0 = 1795340000;

static void feed(struct alert_engine *e, const struct rules *r,
    const char *ip, const char *account, int64_t ts)
{
	static const char body[] = "dovecot_login authenticator failed";
	struct event ev;
	struct eximlog_line ln;

	memset(&ev, 0, sizeof ev);
	memset(&ln, 0, sizeof ln);
	ev.cls = rules_find(r, "auth_failed");
	ev.ts = ts;
	ev.f[FIELD_IP] = span_make(ip, strlen(ip));
	ev.account = span_make(account, strlen(account));
	ln.body = span_make(body, sizeof body - 1);
	alert_event(e, &ev, &ln, ts);
}

static int commit(struct alert_engine *e, struct store *s, int64_t now)
{
	int ok;

	/* the engine's log lines ("alert X: 1 firing") are checked by the
	 * alerts' own tests; here they are kept out of the terminal */
	capture_begin();
	alert_evaluate(e, now * 1000);
	if (!alert_dirty(e)) {
		free(capture_end());
		return 0;
	}
	store_begin(s);
	ok = alert_write(e, s, now) == 0 && store_commit(s) == 0;
	if (!ok)
		store_rollback(s);
	alert_written(e, ok);
	free(capture_end());
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

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	fputs(text, fp);
	fclose(fp);
}

/* config_errors: load text as a config; the diag's messages, joined */
static int config_errors(const char *path, const char *text, char *out,
    size_t len)
{
	struct config c;
	struct diag d;
	size_t i, n = 0;
	int rc;

	write_file(path, text);
	diag_init(&d);
	rc = config_load(&c, path, 0, &d);
	out[0] = '\0';
	for (i = 0; i < d.n && n < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%d:%d: %s\n",
		    d.items[i].line, d.items[i].col, d.items[i].msg);
	config_release(&c);
	diag_release(&d);
	return rc;
}

int main(void)
{
	char dir[] = "/tmp/ewnetgroupXXXXXX", cfg[256], db[256], err[2048];
	struct rules_source src;
	struct owners *ow = owners_new_empty();
	struct alertconf ac;
	struct alert_engine *e;
	struct config c;
	struct rules *r;
	struct store *s;
	struct diag d;
	int i;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(cfg, sizeof cfg, "%s/c.yaml", dir);
	snprintf(db, sizeof db, "%s/db", dir);

	/* ---- the prefix setting ---- */
	diag_init(&d);
	write_file(cfg, "log: /dev/null\n");
	ok(config_load(&c, cfg, 0, &d) == 0 && c.prefix_v4 == 24 &&
	    c.prefix_v6 == 64, "prefix: /24 and /64 by default");
	config_release(&c);
	write_file(cfg, "prefix: {v4: 28, v6: 56}\n");
	ok(config_load(&c, cfg, 0, &d) == 0 && c.prefix_v4 == 28 &&
	    c.prefix_v6 == 56, "prefix: {v4: 28, v6: 56}");
	config_release(&c);
	diag_release(&d);
	is_int(config_errors(cfg, "prefix:\n  v4: 8\n  v6: 129\n  v5: 1\n", err,
	    sizeof err), -1, "prefix errors are config errors");
	ok(strstr(err, "2:7: 'prefix.v4' must be a prefix length from 16 to 32") &&
	    strstr(err, "3:7: 'prefix.v6' must be a prefix length from 32 to 128") &&
	    strstr(err, "4:3: unknown setting 'prefix.v5'"),
	    "each at its line and column:\n%s", err);
	is_int(config_errors(cfg, "prefix: 24\n", err, sizeof err), -1,
	    "prefix must be a mapping");

	/* ---- by: prefix ---- */
	write_file(cfg, "alerts: {host: h}\n"
	    "sinks:\n  hook: {type: webhook, url: 'http://127.0.0.1:9/x'}\n"
	    "thresholds:\n"
	    "  - id: bf_net\n    classes: [auth_failed]\n    by: prefix\n"
	    "    window: 60s\n    count: 7\n    first_wait: 0s\n"
	    "    sinks: [hook]\n"
	    "  - id: nets\n    classes: [auth_failed]\n    by: account\n"
	    "    distinct: {field: prefix, count: 3}\n    window: 60s\n"
	    "  - id: bad\n    classes: [auth_failed]\n    by: ip\n"
	    "    distinct: {field: prefix, count: 3}\n    window: 60s\n");
	diag_init(&d);
	memset(&src, 0, sizeof src);
	r = rules_load(&src, &d);
	is_int(alertconf_load(&ac, cfg, &d), -1,
	    "distinct networks per ip is refused");
	ok(d.n == 1 && strstr(d.items[0].msg, "is always 1") != NULL &&
	    d.items[0].line == 17, "... at the threshold (%d: %s)", d.n ? d.items[0].line : 0,
	    d.n ? d.items[0].msg : "");
	alertconf_release(&ac);
	diag_release(&d);
	/* drop the bad one */
	write_file(cfg, "alerts: {host: h}\n"
	    "sinks:\n  hook: {type: webhook, url: 'http://127.0.0.1:9/x'}\n"
	    "thresholds:\n"
	    "  - id: bf_net\n    classes: [auth_failed]\n    by: prefix\n"
	    "    window: 60s\n    count: 7\n    first_wait: 0s\n"
	    "    sinks: [hook]\n"
	    "  - id: nets\n    classes: [auth_failed]\n    by: account\n"
	    "    distinct: {field: prefix, count: 3}\n    window: 60s\n");
	diag_init(&d);
	ok(alertconf_load(&ac, cfg, &d) == 0 &&
	    alertconf_check_classes(&ac, r, &d) == 0, "by: prefix loads");
	diag_print(&d, stdout);
	is_int(ac.prefix_v4 * 1000 + ac.prefix_v6, 24064,
	    "the engine's networks default to /24 and /64");
	s = store_open(db, STORE_CREATE, &d);
	e = alert_new(&ac, r, ow);
	/* seven addresses of one /64, written in different ways, one event each */
	{
		static const char *const v6[7] = {
			"2001:db8:1:2::1", "2001:DB8:1:2::2", "2001:db8:1:2:0:0:0:3",
			"2001:db8:1:2:ffff::9", "2001:db8:1:2:1:2:3:4",
			"2001:db8:0001:0002::5", "2001:db8:1:2::a"
		};

		for (i = 0; i < 6; i++)
			feed(e, r, v6[i], "a@example.com", T0);
		commit(e, s, T0);
		is_int(alert_firing(e), 0, "six addresses of a /64: under 7");
		feed(e, r, v6[6], "a@example.com", T0);
		/* another /64 and an IPv4 /24 next to it: other groups */
		feed(e, r, "2001:db8:1:3::1", "a@example.com", T0);
		for (i = 1; i <= 6; i++) {
			char ip[32];

			snprintf(ip, sizeof ip, "198.51.100.%d", i);
			feed(e, r, ip, "b@example.com", T0);
		}
		feed(e, r, "198.51.101.1", "b@example.com", T0);
		commit(e, s, T0);
		commit(e, s, T0 + 1);
	}
	is_int(count(s, "SELECT count(*) FROM alerts WHERE threshold = 'bf_net'"),
	    1, "the seventh address of the /64: one alert for the network");
	is_int(count(s, "SELECT count(*) FROM alerts WHERE threshold = 'bf_net' "
	    "AND grp = '2001:db8:1:2::/64' AND grp_kind = 'prefix' AND value = 7"),
	    1, "named by its canonical network, 7 events");
	is_int(count(s, "SELECT count(*) FROM outbox WHERE threshold = 'bf_net' "
	    "AND body LIKE '%\"group\":\"2001:db8:1:2::/64\"%'"), 1,
	    "the notification names the network");
	/* the account's events came from /64s and /24s: distinct networks */
	is_int(count(s, "SELECT count(*) FROM alerts WHERE threshold = 'nets' "
	    "AND grp = 'a@example.com'"), 0, "a@: two networks, under 3");
	feed(e, r, "203.0.113.77", "a@example.com", T0 + 2);
	commit(e, s, T0 + 2);
	is_int(count(s, "SELECT count(*) FROM alerts WHERE threshold = 'nets' "
	    "AND grp = 'a@example.com'"), 1, "a@ from a third network: fires");
	/* an IPv4 address written as IPv4-mapped IPv6 is its IPv4 network */
	for (i = 0; i < 7; i++)
		feed(e, r, "::ffff:192.0.2.200", "c@example.com", T0 + 3);
	commit(e, s, T0 + 3);
	commit(e, s, T0 + 4);
	is_int(count(s, "SELECT count(*) FROM alerts WHERE grp = '192.0.2.0/24'"),
	    1, "::ffff:192.0.2.200 is in 192.0.2.0/24");
	alert_free(e);

	/* other prefix lengths: other groups; a reload does not keep them */
	ac.prefix_v4 = 28;
	e = alert_new(&ac, r, ow);
	for (i = 0; i < 7; i++)
		feed(e, r, "192.0.2.33", "d@example.com", T0 + 5);
	commit(e, s, T0 + 5);
	commit(e, s, T0 + 6);
	is_int(count(s, "SELECT count(*) FROM alerts WHERE grp = '192.0.2.32/28'"),
	    1, "prefix: {v4: 28}: 192.0.2.32/28");
	alert_free(e);
	store_close(s);
	alertconf_release(&ac);
	diag_release(&d);
	rules_free(r);
	owners_free(ow);
	{
		char rm[300];

		snprintf(rm, sizeof rm, "rm -rf %s", dir);
		if (system(rm) != 0)
			return 1;
	}
	return done_testing();
}
