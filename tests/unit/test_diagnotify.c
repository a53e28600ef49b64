/* test_diagnotify: the daemon's findings on a real SQLite file — fire,
 * repeat, resolve, restart, rollback — and their notifications for each
 * sink type, with hostile log text in the finding. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alertconf.h"
#include "diag.h"
#include "diagconf.h"
#include "diagnose.h"
#include "diagnotify.h"
#include "sbuf.h"
#include "sink.h"
#include "store.h"
#include "tap.h"

static char dir[] = "/tmp/test_diagnotify.XXXXXX";
static struct store *S;

struct got {
	int n;
	char sink[16][32];
	char *body[16];
};
static struct got G;

static void on_outbox(void *arg, int64_t id, const char *sink,
    const char *body, size_t len, int64_t created)
{
	(void)arg;
	(void)created;
	(void)id;
	if (G.n < 16) {
		snprintf(G.sink[G.n], sizeof G.sink[G.n], "%s", sink);
		G.body[G.n++] = strndup(body, len);
	}
}

static void reset(void)
{
	int i;

	for (i = 0; i < G.n; i++)
		free(G.body[i]);
	memset(&G, 0, sizeof G);
}

static int commit(struct diagnotify *n)
{
	int ok = store_begin(S) == 0 && diagnotify_write(n, S) == 0 &&
	    store_commit(S) == 0;

	if (!ok)
		store_rollback(S);
	diagnotify_written(n, ok);
	return ok;
}

static const char *body_of(const char *sink)
{
	int i;

	for (i = 0; i < G.n; i++)
		if (strcmp(G.sink[i], sink) == 0)
			return G.body[i];
	return "";
}

/* json_ok: the text parses as JSON (python3, the tests' other dependency) */
static int json_ok(const char *text, const char *check)
{
	char path[256], py[256], cmd[600];
	FILE *fp;

	snprintf(path, sizeof path, "%s/b.json", dir);
	snprintf(py, sizeof py, "%s/check.py", dir);
	fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
	fp = fopen(py, "w");
	fprintf(fp, "import json, sys\nd = json.load(open(sys.argv[1]))\n"
	    "sys.exit(0 if (%s) else 1)\n", check);
	fclose(fp);
	snprintf(cmd, sizeof cmd, "python3 %s %s", py, path);
	return system(cmd) == 0;
}

int main(void)
{
	struct alertconf ac;
	struct diagconf dc;
	struct diag d;
	struct diagnotify *n;
	struct findings f;
	struct finding x;
	char path[256], yaml[1024];
	FILE *fp;
	const char *hostile = "6 failed logins for <!channel>`x` & <http://e|y>";
	struct sbuf pd;

	if (mkdtemp(dir) == NULL)
		return 1;
	diag_init(&d);
	snprintf(path, sizeof path, "%s/c.yaml", dir);
	snprintf(yaml, sizeof yaml,
	    "alerts: {host: mail1.example.com}\n"
	    "sinks:\n"
	    "  slack: {type: slack, url: \"http://127.0.0.1:9/x\"}\n"
	    "  pd: {type: pagerduty, url: \"http://127.0.0.1:9\", routing_key: R0UTING}\n"
	    "  am: {type: alertmanager, url: \"http://127.0.0.1:9\"}\n"
	    "  hook: {type: webhook, url: \"http://127.0.0.1:9/h\"}\n"
	    "diagnose:\n"
	    "  repeat: 1h\n"
	    "  resolve_after: 10m\n"
	    "  route: {attack: [slack, pd, am, hook], helpdesk: [hook]}\n");
	fp = fopen(path, "w");
	fputs(yaml, fp);
	fclose(fp);
	ok(alertconf_load(&ac, path, &d) == 0 && diagconf_load(&dc, path, &ac,
	    &d) == 0, "the configuration");
	diag_print(&d, stdout);
	snprintf(path, sizeof path, "%s/n.db", dir);
	S = store_open(path, STORE_CREATE, &d);
	n = diagnotify_new(&dc, &ac);
	diagnotify_on_outbox(n, on_outbox, NULL);

	memset(&x, 0, sizeof x);
	x.kind = FK_BRUTE_FORCE;
	x.verdict = VERDICT_ATTACK;
	x.ip = "203.0.113.66";
	x.events = 6;
	x.first = 960;
	x.last = 1020;
	x.evidence = "{\"failures\": 6, \"accounts\": [{\"account\": "
	    "\"\\u003c!channel\\u003e\"}]}";
	x.summary = (char *)hostile;
	f.v = &x;
	f.n = 1;
	f.cap = 1;

	/* a new finding fires: one notification per sink of its route */
	diagnotify_update(n, &f, 1000);
	ok(commit(n), "write");
	is_int(G.n, 4, "new: one notification to each of the 4 sinks of its verdict");
	ok(json_ok(body_of("slack"), "d['text'].startswith('ATTACK brute_force "
	    "on mail1.example.com: 203.0.113.66')"), "Slack: verdict, kind, host, "
	    "subject");
	ok(strstr(body_of("slack"), "<!channel>") == NULL &&
	    strstr(body_of("slack"), "<http") == NULL, "Slack: no raw <!channel> "
	    "or <http...> from the log text");
	ok(json_ok(body_of("slack"), "'&lt;!channel&gt;\\'x\\' &amp; "
	    "&lt;http://e|y&gt;' in json.dumps(d['blocks'])"), "Slack: the "
	    "evidence line mrkdwn-escaped, backticks replaced");
	ok(json_ok(body_of("slack"), "'Remedy:* Password guessing' in "
	    "json.dumps(d['blocks'])"), "Slack: the remedy");
	sbuf_init(&pd);
	sbuf_adds(&pd, "{\"routing_key\":\"R0UTING\",");
	sbuf_adds(&pd, body_of("pd"));
	ok(json_ok(pd.s, "d['event_action'] == 'trigger' and d['dedup_key'] == "
	    "'eximwatch/mail1.example.com/diagnose/brute_force/203.0.113.66|||' "
	    "and d['payload']['severity'] == 'error' and "
	    "d['payload']['custom_details']['evidence']['failures'] == 6"),
	    "PagerDuty: trigger, a dedup key per finding, severity by verdict, "
	    "the finding in the details");
	ok(json_ok(body_of("am"), "d[0]['labels']['alertname'] == "
	    "'eximwatch_brute_force' and d[0]['labels']['verdict'] == 'attack' "
	    "and d[0]['labels']['ip'] == '203.0.113.66' and "
	    "d[0]['annotations']['remedy'].startswith('Password')"),
	    "Alertmanager: one alert, labelled");
	ok(json_ok(body_of("hook"), "d['type'] == 'finding.firing' and "
	    "d['data']['finding']['kind'] == 'brute_force' and "
	    "d['data']['finding']['events'] == 6 and d['data']['summary'] == "
	    "'6 failed logins for <!channel>`x` & <http://e|y>'"),
	    "webhook: the finding as diagnose prints it, the summary as logged");
	ok(strstr(body_of("hook"), "<") == NULL, "webhook: < > & escaped in the JSON");
	reset();

	/* still there: nothing until repeat */
	x.events = 9;
	diagnotify_update(n, &f, 1060);
	commit(n);
	is_int(G.n, 0, "still there within repeat: no message");
	diagnotify_update(n, &f, 1000 + 3600);
	commit(n);
	is_int(G.n, 4, "after repeat: one message per sink again");
	ok(json_ok(body_of("hook"), "d['data']['repeat'] is True and "
	    "d['data']['finding']['events'] == 9"), "webhook: a repeat, with "
	    "the new count");
	reset();

	/* the daemon restarts: the firing finding is loaded */
	diagnotify_free(n);
	n = diagnotify_new(&dc, &ac);
	diagnotify_on_outbox(n, on_outbox, NULL);
	ok(diagnotify_load(n, S) == 0, "load after a restart");
	is_int((long long)diagnotify_firing(n, NULL), 1, "one finding firing");
	diagnotify_update(n, &f, 4700);
	commit(n);
	is_int(G.n, 0, "found again after the restart: no repeat");

	/* a rolled-back write: nothing handed over; written again */
	f.n = 0;
	diagnotify_update(n, &f, 4700 + 600);
	ok(store_begin(S) == 0 && diagnotify_write(n, S) == 0, "the resolve "
	    "into a transaction");
	store_rollback(S);
	diagnotify_written(n, 0);
	is_int(G.n, 0, "rolled back: no notification handed to the sender");
	ok(commit(n), "the next commit");
	is_int(G.n, 4, "gone for resolve_after: resolved, once per sink");
	ok(json_ok(body_of("hook"), "d['type'] == 'finding.resolved'"),
	    "webhook: finding.resolved");
	sbuf_reset(&pd);
	sbuf_adds(&pd, "{\"routing_key\":\"R0UTING\",");
	sbuf_adds(&pd, body_of("pd"));
	ok(json_ok(pd.s, "d['event_action'] == 'resolve' and d['dedup_key']."
	    "endswith('203.0.113.66|||')"), "PagerDuty: resolve, the same key");
	ok(json_ok(body_of("am"), "d[0]['endsAt'] == '1970-01-01T01:28:20Z' "
	    "and d[0]['startsAt'] == '1970-01-01T00:16:40Z'"), "Alertmanager: "
	    "resolved: ends at the resolve, started at the first diagnosis");
	is_int((long long)diagnotify_firing(n, NULL), 0, "nothing firing");
	reset();
	{
		sqlite3_stmt *st;
		int rows = -1;

		sqlite3_prepare_v2(store_db(S), "SELECT count(*) FROM outbox WHERE "
		    "threshold = 'diagnose/brute_force'", -1, &st, NULL);
		if (sqlite3_step(st) == SQLITE_ROW)
			rows = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		is_int(rows, 12, "12 notifications in the outbox (new, repeat, "
		    "resolve; 4 sinks)");
	}
	/* a finding whose verdict has no route is recorded, not sent */
	memset(&x, 0, sizeof x);
	x.kind = FK_STALE_MX;
	x.verdict = VERDICT_CONFIG;
	x.domain = "migrated.test";
	x.events = 2;
	f.n = 1;
	diagnotify_update(n, &f, 9000);
	commit(n);
	is_int(G.n, 0, "no route for config: nothing sent");
	is_int((long long)diagnotify_firing(n, NULL), 1, "... but it is firing");

	/* log text full of & (5 bytes once escaped) keeps every Slack text
	 * within Slack's limits: a 4xx for size would lose the message */
	{
		static char acct[301], summ[2001];

		memset(acct, '&', 300);
		memset(summ, '&', 2000);
		memset(&x, 0, sizeof x);
		x.kind = FK_BRUTE_FORCE;
		x.verdict = VERDICT_ATTACK;
		x.ip = "198.51.100.9";
		x.account = acct;
		x.events = 50;
		x.summary = summ;
		f.n = 1;
		diagnotify_update(n, &f, 9100);
		commit(n);
		ok(json_ok(body_of("slack"), "len(d['blocks'][0]['text']['text']) "
		    "<= 150 and all(len(t.encode()) <= 3000 for t in [d['text']] + "
		    "[b['text']['text'] for b in d['blocks'] if 'text' in b] + "
		    "[e['text'] for b in d['blocks'] for e in b.get('elements', "
		    "[])]) and '&amp;&amp;' in d['blocks'][1]['text']['text'] and "
		    "'Remedy' in json.dumps(d['blocks'])"),
		    "Slack: & everywhere: header <= 150, every text <= 3000 bytes, "
		    "escaped, the remedy kept");
		reset();
	}

	sbuf_release(&pd);
	diagnotify_free(n);
	store_close(S);
	alertconf_release(&ac);
	diagconf_release(&dc);
	diag_release(&d);
	{
		char cmd[300];

		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return done_testing();
}
