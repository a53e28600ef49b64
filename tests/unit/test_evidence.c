/* test_evidence: log lines through the real pipeline into an event log,
 * recorded as evidence and known clients in a real SQLite file: what is
 * kept, its bounds, when it is written, rollback. */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "evidence.h"
#include "evlog.h"
#include "knownclients.h"
#include "pipeline.h"
#include "rules.h"
#include "store.h"
#include "tap.h"

static char dir[] = "/tmp/test_evidence.XXXXXX";
static struct pipeline *P;
static struct evlog *L;
static struct evidence *E;
static struct store *S;

static long long q1(const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(store_db(S), sql, -1, &st, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void line(const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	pipeline_line(P, buf, strlen(buf), 0);
}

/* commit: the events so far recorded and written in one transaction */
static int commit(int force)
{
	int ok;

	evidence_add_events(E, L, 1);
	evlog_clear(L);
	ok = store_begin(S) == 0 && evidence_write(E, S, force) == 0 &&
	    store_commit(S) == 0;
	if (!ok)
		store_rollback(S);
	evidence_done(E, ok);
	return ok;
}

/* values: "v1=n1 v2=n2 (total T)" of a query */
static const char *values(enum evidence_kind k, const char *subj,
    long long since, long long until)
{
	static char buf[1024];
	struct evidence_value *v;
	size_t n, i, off = 0;
	int64_t total;

	buf[0] = '\0';
	if (evidence_query(S, k, subj, since, until, 0, &v, &n, &total) < 0)
		return "error";
	for (i = 0; i < n && off < sizeof buf; i++)
		off += (size_t)snprintf(buf + off, sizeof buf - off, "%s=%lld ",
		    v[i].value, (long long)v[i].n);
	if (off < sizeof buf)
		snprintf(buf + off, sizeof buf - off, "(total %lld)",
		    (long long)total);
	evidence_values_free(v, n);
	return buf;
}

int main(void)
{
	char path[256], big[400];
	struct diag d;
	struct rules_source src;
	struct rules *r;
	struct knownclients *k;
	struct netaddr a;
	struct kc_info info;
	/* 2026-11-22 08:00:00 UTC; the log is read as local time: TZ=UTC */
	const long long H0 = 1795334400;
	int i;

	setenv("TZ", "UTC", 1);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof path, "%s/ev.db", dir);
	diag_init(&d);
	memset(&src, 0, sizeof src);
	r = rules_load(&src, &d);
	S = store_open(path, STORE_CREATE, &d);
	if (!ok(r != NULL && S != NULL, "rules and a database")) {
		diag_print(&d, stdout);
		return done_testing();
	}
	L = evlog_new();
	P = pipeline_new(r, NULL);
	pipeline_set_evlog(P, L);
	E = evidence_new(rules_class_names(r), rules_nclasses(r));
	k = knownclients_open(S);

	/* an account's burst: 24 messages in one hour, from one client */
	for (i = 0; i < 24; i++)
		line("2026-11-22 08:%02d:00 1xV2wU-0001%02d-2r <= alice@example.com "
		    "H=(pc) [192.0.2.10]:5000 P=esmtpsa X=TLS1.3 A=dovecot_login:"
		    "alice@example.com S=900 T=\"%s\" for x%d@%s", 10 + i, i,
		    i < 16 ? "Invoice \\\"8\\\"" : i < 22 ? "Hello" : "X", i,
		    i < 12 ? "Remote.TEST" : "partner.test");
	/* a quiet one: 5 messages */
	for (i = 0; i < 5; i++)
		line("2026-11-22 08:%02d:30 1xV2wU-0002%02d-2r <= bob@example.com "
		    "H=(pc) [192.0.2.11]:5000 P=esmtpsa X=TLS1.3 A=dovecot_login:"
		    "bob@example.com S=900 T=\"hi\" for y@remote.test", 10 + i, i);
	ok(commit(0), "record a burst and a quiet account");
	is_int(q1("SELECT count(*) FROM known_clients"), 2,
	    "known clients are written at once");
	is_int(q1("SELECT count(*) FROM evidence"), 0, "the hour's details wait "
	    "for the hour to end");

	/* the next hour begins: the first is complete */
	line("2026-11-22 09:00:10 1xV2wU-000300-2r <= carol@example.com H=(pc) "
	    "[198.51.100.7]:5000 P=esmtpsa X=TLS1.3 A=dovecot_login:carol@"
	    "example.com S=900 T=\"next\" for z@remote.test");
	ok(commit(0), "an event of the next hour");
	is_str(values(EVK_SUBJECT, "alice@example.com", H0, H0 + 3600),
	    "Invoice \\\"8\\\"=12 Hello=6 X=2 (total 24)",
	    "the burst's subjects, as logged, most frequent first (counted "
	    "from the group's 5th message on)");
	is_str(values(EVK_RCPT_DOMAIN, "alice@example.com", H0, H0 + 3600),
	    "partner.test=12 remote.test=8 (total 24)",
	    "its recipient domains, lower-cased");
	is_str(values(EVK_SUBJECT, "bob@example.com", H0, H0 + 3600),
	    "(total 0)", "fewer than 20 messages in an hour: nothing kept");
	is_str(values(EVK_SUBJECT, "alice@example.com", H0 + 3600, H0 + 7200),
	    "(total 0)", "a window after the hour sees none of it");
	is_str(values(EVK_SUBJECT, "alice@example.com", H0 + 1800, H0 + 2400),
	    "Invoice \\\"8\\\"=12 Hello=6 X=2 (total 24)",
	    "a window inside the hour sees the hour");

	/* bounds: 40 different subjects, hostile; and a long one */
	memset(big, 'A', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	for (i = 0; i < 40; i++)
		line("2026-11-22 09:%02d:%02d 1xV2wU-0004%02d-2r <= spam@example.com "
		    "H=(pc) [203.0.113.%d]:5000 P=esmtpsa A=dovecot_login:spam@"
		    "example.com S=900 T=\"%d <script>\" for v%d@d%d.test", 10 + i / 4,
		    i % 4, i, i + 1, i, i, i);
	for (i = 0; i < 20; i++)
		line("2026-11-22 09:30:%02d 1xV2wU-0005%02d-2r <= long@example.com "
		    "H=(pc) [198.51.100.70]:5000 P=esmtpsa A=dovecot_login:long@"
		    "example.com S=900 T=\"%s\" for v@d.test", i, i, big);
	ok(commit(1), "40 subjects, forced write");
	is_int(q1("SELECT count(*) FROM evidence WHERE kind = 1 AND subject = "
	    "'spam@example.com' AND value != ''"), 3,
	    "a group keeps 3 subjects per hour");
	is_int(q1("SELECT count(*) FROM evidence WHERE kind = 2 AND subject = "
	    "'spam@example.com' AND value != ''"), 5, "and 5 recipient domains");
	is_int(q1("SELECT n FROM evidence WHERE kind = 1 AND subject = "
	    "'spam@example.com' AND value = ''"), 40, "the total counts them all");
	is_int(q1("SELECT max(length(value)) FROM evidence"), EVIDENCE_VALUE_MAX,
	    "values are cut");
	is_int(q1("SELECT count(*) FROM known_clients k JOIN accounts a ON "
	    "a.id = k.account_id WHERE a.name = 'spam@example.com'"), 40,
	    "every client address is known");
	a.family = 0;
	netaddr_parse("203.0.113.0/24", 14, &a);
	ok(knownclients_lookup(k, &a, "spam@example.com", INT64_MAX, 0, &info) == 1 &&
	    info.rows == 40 && info.n == 40, "a network lookup sees all of them");

	/* a forced write of the current hour, then more of it */
	for (i = 0; i < 5; i++)
		line("2026-11-22 09:50:%02d 1xV2wU-0006%02d-2r <= spam@example.com "
		    "H=(pc) [203.0.113.1]:5000 P=esmtpsa A=dovecot_login:spam@"
		    "example.com S=900 T=\"late\" for w@d1.test", i, i);
	line("2026-11-22 10:00:00 1xV2wU-000600-2r <= carol@example.com H=(pc) "
	    "[198.51.100.7]:5000 P=esmtpsa A=dovecot_login:carol@example.com "
	    "S=900 T=\"x\" for z@remote.test");
	ok(commit(0), "the rest of the hour");
	is_int(q1("SELECT n FROM evidence WHERE kind = 1 AND subject = "
	    "'spam@example.com' AND value = ''"), 45,
	    "a group written early adds the rest to its total");
	is_int(q1("SELECT count(*) FROM evidence WHERE kind = 1 AND subject = "
	    "'spam@example.com' AND value != ''"), 3, "and still 3 values");

	/* relay refusals: per minute, for the hour's 4 top domains */
	for (i = 0; i < 7; i++)
		line("2026-11-22 10:01:%02d H=(x) [203.0.113.9]:5000 F=<a@b.test> "
		    "rejected RCPT <u@dom%d.TEST>: Rejected relay attempt: "
		    "'203.0.113.9' From: 'a@b.test' To: 'u@dom%d.test'", i,
		    i < 3 ? 0 : i, i < 3 ? 0 : i);
	line("2026-11-22 10:02:00 H=(x) [203.0.113.9]:5000 F=<a@b.test> "
	    "rejected RCPT <u@dom0.test>: relay not permitted");
	ok(commit(0), "relay refusals");
	is_str(values(EVK_RELAY_DOMAIN, "", H0 + 7260, H0 + 7380), "(total 0)",
	    "the running hour waits");
	ok(commit(1), "forced");
	is_str(values(EVK_RELAY_DOMAIN, "", H0 + 7260, H0 + 7320),
	    "dom0.test=3 dom3.test=1 dom4.test=1 dom5.test=1 (total 6)",
	    "a minute: the hour's 4 top domains (the others are left out)");
	is_str(values(EVK_RELAY_DOMAIN, "", H0 + 7260, H0 + 7380),
	    "dom0.test=4 dom3.test=1 dom4.test=1 dom5.test=1 (total 7)",
	    "two minutes");
	is_str(values(EVK_RELAY_DOMAIN, "", H0 + 7320, H0 + 7380),
	    "dom0.test=1 (total 1)", "minutes are exact");
	line("2026-11-22 10:02:30 H=(x) [203.0.113.9]:5000 F=<a@b.test> "
	    "rejected RCPT <u@dom0.test>: relay not permitted");
	line("2026-11-22 11:00:00 H=(x) [203.0.113.9]:5000 F=<a@b.test> "
	    "rejected RCPT <u@dom9.test>: relay not permitted");
	ok(commit(0), "more of the hour, and the next hour");
	is_str(values(EVK_RELAY_DOMAIN, "", H0 + 7320, H0 + 7380),
	    "dom0.test=2 (total 2)", "a minute written early gets the rest");
	is_str(values(EVK_RELAY_DOMAIN, "", H0 + 10800, H0 + 10860), "(total 0)",
	    "the next hour waits");

	/* our mail refused as relay by the next server */
	line("2026-11-22 10:03:00 1xV2wU-000700-2r <= alice@example.com H=(pc) "
	    "[192.0.2.10]:5000 P=esmtpsa A=dovecot_login:alice@example.com S=9 "
	    "for bob@Moved.test");
	line("2026-11-22 10:03:01 1xV2wU-000700-2r ** bob@Moved.test R=lookuphost "
	    "T=remote_smtp H=mx.moved.test [192.0.2.99]: SMTP error from remote "
	    "mail server after RCPT TO:<bob@Moved.test>: 550 relay not permitted");
	ok(commit(1), "a remote relay refusal");
	is_str(values(EVK_REMOTE_RELAY_DOMAIN, "", H0 + 7380, H0 + 7440),
	    "moved.test=1 (total 1)", "its recipient domain");

	/* a user's script: the cwd= line names the directory */
	for (i = 0; i < 20; i++) {
		line("2026-11-22 10:10:%02d cwd=/home/acme/public_html/wp 3 args: "
		    "/usr/sbin/sendmail -t -i", i);
		line("2026-11-22 10:10:%02d 1xV2wU-0008%02d-2r <= wordpress@acme.test "
		    "U=nobody P=local S=500 T=\"Win\" for u%d@remote.test", i, i, i);
	}
	/* cPanel's own: not a user's */
	for (i = 0; i < 20; i++) {
		line("2026-11-22 10:11:%02d cwd=/usr/local/cpanel 3 args: "
		    "/usr/sbin/sendmail -t -i", i);
		line("2026-11-22 10:11:%02d 1xV2wU-0009%02d-2r <= cpanel@server.test "
		    "U=root P=local S=500 T=\"Report\" for root@server.test", i, i);
	}
	ok(commit(1), "a script's burst and cPanel's own mail");
	is_str(values(EVK_CWD, "acme", H0 + 7200, H0 + 10800),
	    "/home/acme/public_html/wp=16 (total 20)", "the script's directory");
	is_str(values(EVK_SCRIPT_SENDER, "acme", H0 + 7200, H0 + 10800),
	    "wordpress@acme.test=16 (total 20)", "its sender");
	is_str(values(EVK_SUBJECT, "acme", H0 + 7200, H0 + 10800),
	    "Win=16 (total 20)", "its subject, by the user");
	is_int(q1("SELECT count(*) FROM evidence WHERE subject LIKE '%cpanel%' "
	    "OR value LIKE '%cpanel%' OR subject = 'root'"), 0,
	    "nothing of cPanel's own jobs");

	/* a rolled-back write is written again, not twice */
	for (i = 0; i < 3; i++)
		line("2026-11-22 10:20:%02d H=(x) [203.0.113.9]:5000 F=<a@b.test> "
		    "rejected RCPT <u@again.test>: relay not permitted", i);
	evidence_add_events(E, L, 1);
	evlog_clear(L);
	ok(store_begin(S) == 0 && evidence_write(E, S, 1) == 0,
	    "write into a transaction");
	store_rollback(S);
	evidence_done(E, 0);
	is_str(values(EVK_RELAY_DOMAIN, "", H0 + 8400, H0 + 8460), "(total 0)",
	    "rolled back");
	ok(commit(1), "the next write");
	is_str(values(EVK_RELAY_DOMAIN, "", H0 + 8400, H0 + 8460),
	    "again.test=3 (total 3)", "written once");

	/* retention */
	ok(evidence_prune(S, H0 + 3600) > 0, "prune the first hour");
	is_str(values(EVK_SUBJECT, "alice@example.com", H0, H0 + 3600),
	    "(total 0)", "its details are gone");
	is_str(values(EVK_SUBJECT, "spam@example.com", H0 + 3600, H0 + 7200),
	    "34 <script>=1 35 <script>=1 36 <script>=1 (total 45)",
	    "later ones stay (a group written early keeps the values it "
	    "wrote first)");

	knownclients_close(k);
	evidence_free(E);
	pipeline_free(P);
	evlog_free(L);
	rules_free(r);
	store_close(S);
	diag_release(&d);
	{
		char cmd[300];

		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return done_testing();
}
