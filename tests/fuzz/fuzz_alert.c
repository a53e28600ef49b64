/* fuzz_alert: the event → threshold → alert path — log lines through the
 * shipped rules into an alert engine with thresholds of every kind (by ip,
 * account, owner, global; counts and distinct) and sinks of every type,
 * evaluated, written to a database, loaded again by a second engine, and
 * resolved.  Whatever the bytes: no crash, no hang, no read out of bounds,
 * and nothing stored that is not printable text.
 *
 * Input: lines separated by '\n'.  A line is an Exim log line for the
 * pipeline, except a line starting with 0x01, which is a raw event whose
 * fields come from its bytes (so NUL bytes and junk reach every key):
 *   0x01 class-byte second-byte iplen-byte ip... account...
 * (iplen's top bit: the ip is unparsed host text)
 * Time: each line's own time stamp is "now" for the engine (a raw event is
 * some seconds after the previous event); every 8 events the engine
 * evaluates and commits.
 * libFuzzer entry point; `make fuzz` builds it with clang. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "alert.h"
#include "alertconf.h"
#include "diag.h"
#include "owners.h"
#include "pipeline.h"
#include "rules.h"
#include "store.h"

static struct rules *R;
static struct pipeline *P;
static struct alertconf AC;
static struct owners *O;
static struct store *S;

struct run {
	struct alert_engine *e;
	int64_t now;
	unsigned events;
};

static void commit(struct alert_engine *e, int64_t now)
{
	int ok;

	alert_evaluate(e, now * 1000);
	if (!alert_dirty(e))
		return;
	if (store_begin(S) < 0) {
		alert_written(e, 0);
		return;
	}
	ok = alert_write(e, S, now) == 0;
	ok = ok && store_commit(S) == 0;
	if (!ok)
		store_rollback(S);
	alert_written(e, ok);
}

static void on_event(void *arg, const struct event *ev,
    const struct eximlog_line *ln, const char *line, size_t len)
{
	struct run *r = arg;

	(void)line;
	(void)len;
	if (ev->ts > r->now)
		r->now = ev->ts;
	alert_event(r->e, ev, ln, r->now);
	if (++r->events % 8 == 0)
		commit(r->e, r->now);
}

static void raw_event(struct run *r, const unsigned char *p, size_t n)
{
	static const char body[] = "raw event from the fuzzer";
	struct eximlog_line ln;
	struct event ev;
	size_t iplen;

	if (n < 4)
		return;
	memset(&ev, 0, sizeof ev);
	memset(&ln, 0, sizeof ln);
	ev.cls = (int)(p[1] % (rules_nclasses(R) + 1)) - 1;
	r->now += p[2] % 64;
	ev.ts = r->now - p[2] % 3;
	iplen = (size_t)(p[3] & 0x7f) < n - 4 ? (size_t)(p[3] & 0x7f) : n - 4;
	if (p[3] & 0x80) {
		/* unparsed host text, as the daemon's pipeline leaves it */
		ev.f[FIELD_HOST].p = (const char *)p + 4;
		ev.f[FIELD_HOST].len = iplen;
		ev.host_deferred = 1;
	} else {
		ev.f[FIELD_IP].p = (const char *)p + 4;
		ev.f[FIELD_IP].len = iplen;
	}
	ev.account.p = (const char *)p + 4 + iplen;
	ev.account.len = n - 4 - iplen;
	ln.body.p = ev.account.len ? ev.account.p : body;
	ln.body.len = ev.account.len ? ev.account.len : sizeof body - 1;
	on_event(r, &ev, &ln, NULL, 0);
}

static int64_t scalar(const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(store_db(S), sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void setup(void)
{
	static const char conf[] =
	    "sinks:\n"
	    "  slack: {type: slack, url: 'http://127.0.0.1:9/s'}\n"
	    "  pd: {type: pagerduty, url: 'http://127.0.0.1:9', routing_key: k}\n"
	    "  am: {type: alertmanager, url: 'http://127.0.0.1:9'}\n"
	    "  hook: {type: webhook, url: 'http://127.0.0.1:9/h', secret: s}\n"
	    "thresholds:\n"
	    "  - {id: ip, classes: [auth_failed, relay_denied, dnsbl], by: ip, "
	    "window: 1m, count: 2, first_wait: 0s, group_wait: 5s, resolve_after: 10s, "
	    "repeat: 30s, sinks: [slack, pd, am, hook]}\n"
	    "  - {id: acct, classes: [auth_failed, msg_in_auth, relay_denied, "
	    "submission_auth_required, unknown_recipient], by: account, window: 10m, "
	    "count: 1, first_wait: 0s, sinks: [slack, pd, am, hook]}\n"
	    "  - {id: owner, classes: [auth_failed, msg_in_auth], by: owner, "
	    "window: 1h, count: 1, first_wait: 0s, sinks: [slack, hook]}\n"
	    "  - {id: global, classes: [auth_failed, conn_refused_global], "
	    "window: 5m, count: 3, first_wait: 0s, sinks: [pd, am]}\n"
	    "  - {id: stuffing, classes: [auth_failed], by: ip, distinct: {field: "
	    "account, count: 3}, window: 10m, first_wait: 0s, sinks: [slack, am]}\n"
	    "  - {id: roaming, classes: [auth_failed, msg_in_auth], by: account, "
	    "distinct: {field: ip, count: 2}, window: 1h, first_wait: 0s, "
	    "sinks: [pd, hook]}\n";
	char dir[] = "/tmp/fuzz_alert.XXXXXX", path[128];
	struct diag d;
	FILE *fp;

	diag_init(&d);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/userdomains", dir);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs("example.com: alice\nexample.net: bob\n", fp);
	fclose(fp);
	if ((O = owners_load(path, &d)) == NULL)
		abort();
	unlink(path);
	snprintf(path, sizeof path, "%s/c.yaml", dir);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs(conf, fp);
	fclose(fp);
	if ((R = rules_load(NULL, &d)) == NULL ||
	    alertconf_load(&AC, path, &d) < 0 ||
	    alertconf_check_classes(&AC, R, &d) < 0) {
		diag_print(&d, stderr);
		abort();
	}
	unlink(path);
	rmdir(dir);
	if ((S = store_open(":memory:", STORE_CREATE, &d)) == NULL) {
		diag_print(&d, stderr);
		abort();
	}
	P = pipeline_new(R, NULL);
	diag_release(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run r;
	char *buf;
	size_t i, start;

	if (R == NULL)
		setup();
	memset(&r, 0, sizeof r);
	r.e = alert_new(&AC, R, O);
	r.now = 1795340000;
	pipeline_on_event(P, on_event, &r);
	/* the readers guarantee padding after every line */
	buf = malloc(size + 16);
	memcpy(buf, data, size);
	memset(buf + size, 0, 16);
	for (start = i = 0; i <= size; i++) {
		if (i < size && buf[i] != '\n')
			continue;
		if (i > start && buf[start] == 1)
			raw_event(&r, (const unsigned char *)buf + start, i - start);
		else
			pipeline_line(P, buf + start, i - start, 0);
		start = i + 1;
	}
	commit(r.e, r.now);
	/* a restart: a second engine loads what the first one stored */
	alert_free(r.e);
	r.e = alert_new(&AC, R, O);
	if (alert_load(r.e, S, r.now) < 0)
		abort();
	commit(r.e, r.now + 1);
	/* quiet for a day: everything resolves */
	commit(r.e, r.now + 86400);
	commit(r.e, r.now + 2 * 86400);
	if (alert_firing(r.e) != 0)
		abort();
	alert_free(r.e);
	/* nothing stored that a C string or a terminal would misread */
	if (scalar("SELECT count(*) FROM alerts WHERE instr(grp, char(0)) OR "
	    "instr(sample, char(0)) OR instr(grp, char(27)) OR "
	    "instr(sample, char(27)) OR length(CAST(grp AS BLOB)) > 255") != 0)
		abort();
	sqlite3_exec(store_db(S), "DELETE FROM alerts; DELETE FROM outbox; "
	    "DELETE FROM outbox_alerts; DELETE FROM alert_window; "
	    "DELETE FROM alert_distinct", NULL, NULL,
	    NULL);
	free(buf);
	return 0;
}
