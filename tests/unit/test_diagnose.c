/* test_diagnose: each judgment of diagnose.c on a real SQLite file filled
 * by the real `scan` from a generated log — with its edge cases: a known
 * client from a new address of its /64, an attacker trying a known
 * client's account, history older than the retention or than
 * known_client_days, an account with no history at all, the files that
 * tell hosted and local domains missing. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "capture.h"
#include "chunk.h"
#include "cmds.h"
#include "diag.h"
#include "diagconf.h"
#include "diagnose.h"
#include "log.h"
#include "domainlist.h"
#include "owners.h"
#include "store.h"
#include "tap.h"

static char dir[] = "/tmp/test_diagnose.XXXXXX";
static FILE *LOG;
static long ID;
static time_t W;                  /* the window: [W, W + 1h) */
static time_t BEFORE;             /* run() starts the window this much
                                   * earlier */

static void line(time_t t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void line(time_t t, const char *fmt, ...)
{
	char ts[32];
	struct tm tm;
	va_list ap;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(LOG, "%s ", ts);
	va_start(ap, fmt);
	vfprintf(LOG, fmt, ap);
	va_end(ap);
	fputc('\n', LOG);
}

static const char *msgid(void)
{
	static const char b62[] =
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	static char buf[20];
	long n = ++ID;
	int i;

	strcpy(buf, "1xV2wU-000000-2r");
	for (i = 12; i >= 7; i--, n /= 62)
		buf[i] = b62[n % 62];
	return buf;
}

static void login(time_t t, const char *acct, const char *ip, const char *to)
{
	line(t, "%s <= %s H=(pc) [%s]:5000 P=esmtpsa X=TLS1.3 A=dovecot_login:%s "
	    "S=900 T=\"hello\" for %s", msgid(), acct, ip, acct, to);
}

static void fail(time_t t, const char *acct, const char *ip)
{
	line(t, "dovecot_login authenticator failed for (pc) [%s]:5000: 535 "
	    "Incorrect authentication data (set_id=%s)", ip, acct);
}

static int scan(const char *db, const char *retention)
{
	char *argv[8];
	int argc = 0;

	argv[argc++] = "scan";
	argv[argc++] = "-q";
	argv[argc++] = "--db";
	argv[argc++] = (char *)db;
	if (retention) {
		argv[argc++] = "--retention";
		argv[argc++] = (char *)retention;
	}
	argv[argc++] = "LOGFILE";
	argv[argc] = NULL;
	{
		static char path[256];

		snprintf(path, sizeof path, "%s/mainlog", dir);
		argv[argc - 1] = path;
	}
	return cmd_scan(argc, argv);
}

static struct findings F;

/* run: diagnose [W, W+1h) of db into F */
static int run(const char *db, const struct owners *o,
    const struct domainlist *local, const struct domainlist *remote,
    const char *account, const char *ip)
{
	struct diagnose_input in;
	struct diagconf dc;
	struct diag d;
	struct store *s;
	int rc;

	diag_init(&d);
	diagconf_defaults(&dc);
	memset(&in, 0, sizeof in);
	in.since = W - BEFORE;
	in.until = W + 3600;
	in.conf = &dc;
	in.owners = o;
	in.local = local;
	in.remote = remote;
	in.account = account;
	in.ip = ip;
	findings_release(&F);
	if ((s = store_open(db, STORE_READONLY, &d)) == NULL) {
		diag_print(&d, stdout);
		return -1;
	}
	rc = diagnose_run(s, &in, &F);
	store_close(s);
	diagconf_release(&dc);
	diag_release(&d);
	return rc;
}

/* has: the findings of kind as "ip|account|owner|domain|events", sorted
 * as diagnose sorts them, joined by "; " */
static const char *has(enum finding_kind k)
{
	static char buf[2048];
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < F.n && off < sizeof buf; i++)
		if (F.v[i].kind == k)
			off += (size_t)snprintf(buf + off, sizeof buf - off,
			    "%s%s|%s|%s|%s|%lld", off ? "; " : "",
			    F.v[i].ip ? F.v[i].ip : "-",
			    F.v[i].account ? F.v[i].account : "-",
			    F.v[i].owner ? F.v[i].owner : "-",
			    F.v[i].domain ? F.v[i].domain : "-",
			    (long long)F.v[i].events);
	return buf;
}

/* evidence_of: the evidence of the last finding of kind k, NULL if none */
static const char *evidence_of(enum finding_kind k)
{
	const char *ev = NULL;
	size_t i;

	for (i = 0; i < F.n; i++)
		if (F.v[i].kind == k)
			ev = F.v[i].evidence;
	return ev;
}

static void writefile(const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
}

static char *path(const char *name)
{
	static char p[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
	return p[k];
}

int main(void)
{
	struct owners *ow;
	struct domainlist *local, *remote;
	struct diag d;
	time_t now = time(NULL), t;
	int i, h, n;
	char ip[64], acct[64], *text;

	setenv("TZ", "UTC", 1);
	tzset();
	log_init(LOG_DEST_STDERR, 0);
	if (mkdtemp(dir) == NULL)
		return 1;
	diag_init(&d);
	W = now - now % 3600 - 86400;
	writefile("userdomains", "example.com: acme\nbravo.com: bravo\n"
	    "harbor.com: harbor\nmoved.com: acme\nember.com: ember\n");
	writefile("localdomains", "example.com\nbravo.com\nember.com\n");
	writefile("remotedomains", "moved.com\n");
	ow = owners_load(path("userdomains"), &d);
	local = domainlist_load(path("localdomains"), &d);
	remote = domainlist_load(path("remotedomains"), &d);

	/* ---- the log: a week of history, then the window ---- */
	LOG = fopen(path("mainlog"), "w");
	/* history far back: dave 100 days ago (past the retention), erin 40
	 * days ago (past known_client_days) */
	login(W - 100 * 86400, "dave@example.com", "198.51.100.5", "x@r.test");
	login(W - 40 * 86400, "erin@example.com", "198.51.100.9", "x@r.test");
	for (h = 7 * 24; h >= 1; h--) {
		t = W - h * 3600;
		/* alice logs in from 192.0.2.10 twice a day */
		if (h % 12 == 0)
			login(t + 60, "alice@example.com", "192.0.2.10", "x@r.test");
		/* bob from his IPv6 phone, daily */
		if (h % 24 == 0)
			login(t + 120, "bob@example.com", "2001:db8:1:2::7", "x@r.test");
		/* henry: 5 messages in his office hours, from one network */
		if (h % 24 < 8)
			for (i = 0; i < 5; i++)
				login(t + 300 + i, "henry@example.com", "192.0.2.50",
				    "x@r.test");
		/* ivan: a steady 120 an hour, all week */
		for (i = 0; i < 120; i++)
			login(t + i * 29, "ivan@example.com", "198.51.100.80",
			    "list@r.test");
		/* ember's site: 2 mails an hour */
		for (i = 0; i < 2; i++) {
			line(t + 600 + i, "cwd=/home/ember/public_html/wp 3 args: "
			    "/usr/sbin/sendmail -t -i");
			line(t + 600 + i, "%s <= wordpress@ember.com U=nobody P=local "
			    "S=500 T=\"Order\" for u@r.test", msgid());
		}
		/* gus's client on the office network */
		if (h % 24 == 3)
			login(t + 30, "gus@bravo.com", "203.0.113.40", "x@r.test");
		/* kate, three days before the window: 110 messages from 6
		 * networks in the last ten minutes of a clock hour, 110 in
		 * the first ten of the next */
		if (h == 73 || h == 72)
			for (i = 0; i < 110; i++) {
				snprintf(ip, sizeof ip, "172.16.%d.1", i % 6);
				login(t + (h == 73 ? 3000 : 0) + i * 5, "kate@example.com",
				    ip, "x@r.test");
			}
	}
	/* ---- the window ---- */
	/* stale password: alice's old laptop keeps trying, every 10 min */
	for (i = 0; i < 4; i++)
		fail(W + 60 + i * 600, "alice@example.com", "192.0.2.10");
	/* the known client's one typo: nothing */
	fail(W + 100, "bob@example.com", "2001:db8:1:2::7");
	login(W + 160, "bob@example.com", "2001:db8:1:2::7", "x@r.test");
	/* a known client from a new address of its /64 */
	for (i = 0; i < 3; i++)
		fail(W + 200 + i * 60, "bob@example.com", "2001:db8:1:2::99");
	/* an attacker tries alice's account: attack, alice not accused */
	for (i = 0; i < 6; i++)
		fail(W + 300 + i, "alice@example.com", "203.0.113.66");
	/* ... and a known client's address failing for another account */
	for (i = 0; i < 6; i++)
		fail(W + 400 + i, "carol@example.com", "192.0.2.10");
	/* history past the retention: dave is an attacker's target now */
	for (i = 0; i < 5; i++)
		fail(W + 500 + i, "dave@example.com", "198.51.100.5");
	/* past known_client_days: erin's old address, not known, not accused */
	for (i = 0; i < 5; i++)
		fail(W + 510 + i, "erin@example.com", "198.51.100.9");
	/* a /24 of guessers, 2 each: one network */
	for (i = 0; i < 6; i++) {
		snprintf(ip, sizeof ip, "198.18.7.%d", 10 + i / 2);
		snprintf(acct, sizeof acct, "user%d", i);
		fail(W + 600 + i, acct, ip);
	}
	/* client_needs_tls: a hosted sender from its own phone, one from an
	 * address it never used; a sender of a domain not hosted here */
	for (i = 0; i < 2; i++)
		line(W + 700 + i, "H=(phone) [2001:db8:1:2::7]:6000 F=<bob@example.com> "
		    "rejected RCPT <x@r.test>: SMTP AUTH is required for message "
		    "submission on port 587");
	line(W + 702, "H=(pc) [192.0.2.99]:6000 F=<henry@example.com> rejected "
	    "RCPT <x@r.test>: SMTP AUTH is required for message submission on "
	    "port 587");
	line(W + 703, "H=(pc) [192.0.2.98]:6000 F=<someone@elsewhere.test> "
	    "rejected RCPT <x@r.test>: SMTP AUTH is required for message "
	    "submission on port 587");
	/* client_not_authenticating: gus's office; a forger elsewhere */
	for (i = 0; i < 3; i++)
		line(W + 800 + i, "H=(pc) [203.0.113.40]:6000 F=<gus@bravo.com> "
		    "rejected RCPT <x@r.test>: Rejected relay attempt: "
		    "'203.0.113.40' From: 'gus@bravo.com' To: 'x@r.test'");
	line(W + 803, "H=(bot) [198.51.100.200]:6000 F=<gus@bravo.com> "
	    "rejected RCPT <x@r.test>: relay not permitted");
	/* missing_localdomains: mail for harbor.com (hosted, not local); for
	 * moved.com (in remotedomains) and r.test (not hosted): nothing */
	for (i = 0; i < 4; i++)
		line(W + 900 + i, "H=mx.partner.test [192.0.2.200]:6000 "
		    "F=<news@partner.test> rejected RCPT <info@harbor.com>: relay "
		    "not permitted");
	line(W + 904, "H=mx.partner.test [192.0.2.200]:6000 F=<news@partner.test> "
	    "rejected RCPT <info@moved.com>: relay not permitted");
	line(W + 905, "H=(x) [192.0.2.201]:6000 F=<a@b.test> rejected RCPT "
	    "<v@r.test>: relay not permitted");
	/* stale_mx: our mail refused as relay by the next server */
	for (i = 0; i < 2; i++) {
		const char *id = msgid();

		line(W + 1000 + i, "%s <= alice@example.com H=(pc) [192.0.2.10]:5000 "
		    "P=esmtpsa A=dovecot_login:alice@example.com S=9 for "
		    "bob@migrated.test", id);
		line(W + 1001 + i, "%s ** bob@migrated.test R=lookuphost "
		    "T=remote_smtp H=mx.old.test [192.0.2.99]: SMTP error from "
		    "remote mail server after RCPT TO:<bob@migrated.test>: 550 "
		    "Please turn on SMTP Authentication in your mail client", id);
	}
	/* compromised: henry from 6 new networks, 120 messages */
	for (i = 0; i < 120; i++) {
		snprintf(ip, sizeof ip, "10.%d.0.%d", 1 + i % 6, 1 + i % 7);
		line(W + 1200 + i * 5, "%s <= henry@example.com H=(x) [%s]:5000 "
		    "P=esmtpsa A=dovecot_login:henry@example.com S=900 "
		    "T=\"You won\" for v%d@spam%d.test", msgid(), ip, i, i % 3);
	}
	/* no history at all: frank sends 150 from one network (nothing);
	 * gina 150 from 6 networks (compromised) */
	for (i = 0; i < 150; i++)
		login(W + 1300 + i * 3, "frank@example.com", "192.0.2.77",
		    "a@r.test");
	for (i = 0; i < 150; i++) {
		snprintf(ip, sizeof ip, "10.%d.9.9", 20 + i % 6);
		login(W + 1300 + i * 3, "gina@example.com", ip, "a@r.test");
	}
	/* steady: ivan's usual 120 */
	for (i = 0; i < 120; i++)
		login(W + i * 29, "ivan@example.com", "198.51.100.80", "list@r.test");
	/* script spam: ember's site, 150 in the hour; cPanel's own, 200 */
	for (i = 0; i < 150; i++) {
		line(W + 1500 + i, "cwd=/home/ember/public_html/wp-content/plugins/"
		    "form 3 args: /usr/sbin/sendmail -t -i");
		line(W + 1500 + i, "%s <= wordpress@ember.com U=nobody P=local S=500 "
		    "T=\"Cheap pills\" for u%d@r.test", msgid(), i);
	}
	for (i = 0; i < 200; i++) {
		line(W + 2000 + i, "cwd=/usr/local/cpanel 3 args: /usr/sbin/sendmail "
		    "-t -i");
		line(W + 2000 + i, "%s <= cpanel@server.test U=root P=local S=500 "
		    "T=\"Report\" for root@server.test", msgid());
	}
	fclose(LOG);

	/* ---- judge ---- */
	capture_begin();
	is_int(scan(path("all.db"), "90d"), 0, "scan the log (retention 90d)");
	text = capture_end();
	is_str(text, "", "... quietly (the prune after the writer's thread, "
	    "not on its connection)");
	free(text);
	n = run(path("all.db"), ow, local, remote, NULL, NULL);
	is_int(n, 0, "diagnose the window");
	is_str(has(FK_STALE_PASSWORD), "192.0.2.10|alice@example.com|acme|-|4; "
	    "2001:db8:1:2::/64|bob@example.com|acme|-|3",
	    "stale_password: alice's old device; bob's phone from a new address "
	    "of its /64 (not the typo of his known client)");
	is_str(has(FK_BRUTE_FORCE), "198.18.7.0/24|-|-|-|6; "
	    "203.0.113.66|-|-|-|6; 198.51.100.5|-|-|-|5",
	    "brute_force: the attacker on alice's account, a /24 of guessers, "
	    "dave's address forgotten with the retention; not the known client "
	    "failing for carol, not erin's old address");
	is_str(has(FK_CLIENT_NEEDS_TLS), "2001:db8:1:2::7|bob@example.com|acme|-|2; "
	    "192.0.2.99|henry@example.com|acme|-|1",
	    "client_needs_tls: hosted senders only");
	is_str(has(FK_CLIENT_NOT_AUTHENTICATING), "203.0.113.40|gus@bravo.com|"
	    "bravo|-|3", "client_not_authenticating: from the known client, "
	    "not the forger");
	is_str(has(FK_MISSING_LOCALDOMAINS), "-|-|harbor|harbor.com|4",
	    "missing_localdomains: the hosted domain not local");
	is_str(has(FK_STALE_MX), "-|-|-|migrated.test|2", "stale_mx");
	is_str(has(FK_COMPROMISED_ACCOUNT), "-|gina@example.com|acme|-|150; "
	    "-|henry@example.com|acme|-|120",
	    "compromised_account: new networks over the history; a new account "
	    "from 6 networks; not frank (no history, one network), not ivan "
	    "(steady at his baseline)");
	is_str(has(FK_SCRIPT_SPAM), "-|-|ember|-|150", "script_spam: ember's "
	    "site, not cPanel's own mail");
	ok(F.n > 0 && F.v[0].verdict == VERDICT_ABUSE &&
	    F.v[F.n - 1].verdict == VERDICT_HELPDESK, "abuse first, helpdesk "
	    "last");
	{
		size_t i2;
		const char *ev = NULL, *sev = NULL;

		for (i2 = 0; i2 < F.n; i2++) {
			if (F.v[i2].kind == FK_COMPROMISED_ACCOUNT && F.v[i2].account &&
			    strcmp(F.v[i2].account, "henry@example.com") == 0)
				ev = F.v[i2].evidence;
			if (F.v[i2].kind == FK_SCRIPT_SPAM)
				sev = F.v[i2].evidence;
		}
		if (!ok(ev && strstr(ev, "\"new_networks\": [{\"network\": \"10.") &&
		    strstr(ev, "\"baseline_hour\": 5") && strstr(ev, "You won"),
		    "compromised evidence: new networks, baseline, subjects"))
			printf("# %s\n", ev ? ev : "(none)");
		if (!ok(sev && strstr(sev, "/home/ember/public_html/wp-content/"
		    "plugins/form") && strstr(sev, "wordpress@ember.com"),
		    "script evidence: the directory and the sender"))
			printf("# %s\n", sev ? sev : "(none)");
	}

	/* filters */
	run(path("all.db"), ow, local, remote, "ALICE@example.com", NULL);
	is_str(has(FK_STALE_PASSWORD), "192.0.2.10|alice@example.com|acme|-|4",
	    "--account");
	is_int((long long)F.n, 1, "--account: only its findings");
	run(path("all.db"), ow, local, remote, NULL, "198.18.0.0/16");
	is_str(has(FK_BRUTE_FORCE), "198.18.7.0/24|-|-|-|6", "--ip CIDR: a "
	    "network inside it");
	is_int((long long)F.n, 1, "--ip: only that");

	/* without the files: skipped, not wrong */
	run(path("all.db"), NULL, NULL, NULL, NULL, NULL);
	ok(*has(FK_CLIENT_NEEDS_TLS) == '\0' &&
	    *has(FK_CLIENT_NOT_AUTHENTICATING) == '\0' &&
	    *has(FK_MISSING_LOCALDOMAINS) == '\0', "no userdomains: the findings "
	    "about hosted domains are skipped");
	is_str(has(FK_STALE_MX), "-|-|-|migrated.test|2", "the others stay");
	run(path("all.db"), ow, NULL, NULL, NULL, NULL);
	ok(*has(FK_MISSING_LOCALDOMAINS) == '\0' &&
	    *has(FK_CLIENT_NEEDS_TLS) != '\0', "no localdomains: only "
	    "missing_localdomains is skipped");

	/* a window of three hours: henry's busiest one is its last */
	{
		const char *ev = NULL;

		BEFORE = 2 * 3600;
		run(path("all.db"), ow, local, remote, "henry@example.com", NULL);
		BEFORE = 0;
		ev = evidence_of(FK_COMPROMISED_ACCOUNT);
		if (!ok(ev && strstr(ev, "\"messages\": 130, \"peak_hour\": 120,"),
		    "3-hour window: 130 messages, 120 in the busiest hour (5 in "
		    "each hour before it)"))
			printf("# %s\n", ev ? ev : "(none)");
	}

	/* the busiest hour is a clock hour: kate's 220 messages straddle
	 * one, in a window whose first hour (from its start) holds them all */
	{
		const char *ev = NULL;
		time_t w0 = W;

		W = w0 - 72 * 3600;
		BEFORE = 1800;
		run(path("all.db"), ow, local, remote, "kate@example.com", NULL);
		W = w0;
		BEFORE = 0;
		ev = evidence_of(FK_COMPROMISED_ACCOUNT);
		if (!ok(ev && strstr(ev, "\"messages\": 220, \"peak_hour\": 110,"),
		    "the busiest clock hour: 110 of kate's 220 messages (not the "
		    "220 of the window's first hour)"))
			printf("# %s\n", ev ? ev : "(none)");
	}

	/* a minute stored in two parts (count_chunks.part: the first one
	 * full) with alice's pair in both: one failing minute, not two */
	{
		struct diag d2;
		struct store *s;
		sqlite3_stmt *st;
		char sql[512];
		const char *ev = NULL;
		int64_t m = (int64_t)W + 60;

		diag_init(&d2);
		s = store_open(path("all.db"), 0, &d2);
		ok(s != NULL, "open the database to split a minute");
		snprintf(sql, sizeof sql, "WITH RECURSIVE g(v) AS (SELECT 1 UNION "
		    "ALL SELECT v + 1 FROM g WHERE v < %d) INSERT INTO counts "
		    "(bucket, class_id, ip_id, account_id, n) SELECT %lld, (SELECT "
		    "id FROM classes WHERE name = 'auth_failed'), 0, 1000000 + v, 1 "
		    "FROM g", CHUNK_PART_MAX, (long long)m);
		is_int(sqlite3_exec(store_db(s), sql, NULL, NULL, NULL), SQLITE_OK,
		    "fill alice's first failing minute to a full part");
		snprintf(sql, sizeof sql, "INSERT INTO counts (bucket, class_id, "
		    "ip_id, account_id, n) VALUES (%lld, (SELECT id FROM classes "
		    "WHERE name = 'auth_failed'), (SELECT id FROM ips WHERE addr = "
		    "'192.0.2.10'), (SELECT id FROM accounts WHERE name = "
		    "'alice@example.com'), 1)", (long long)m);
		is_int(sqlite3_exec(store_db(s), sql, NULL, NULL, NULL), SQLITE_OK,
		    "one more failure of alice's in that minute");
		snprintf(sql, sizeof sql, "SELECT count(*) FROM count_chunks WHERE "
		    "bucket = %lld AND class_id = (SELECT id FROM classes WHERE "
		    "name = 'auth_failed')", (long long)m);
		if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) ==
		    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			is_int(sqlite3_column_int64(st, 0), 2, "... the minute is in "
			    "two parts");
		else
			ok(0, "... the minute is in two parts");
		sqlite3_finalize(st);
		store_close(s);
		diag_release(&d2);
		run(path("all.db"), ow, local, remote, "alice@example.com", NULL);
		is_str(has(FK_STALE_PASSWORD), "192.0.2.10|alice@example.com|acme|-|5",
		    "stale_password counts the events of both parts");
		ev = evidence_of(FK_STALE_PASSWORD);
		if (!ok(ev && strstr(ev, "\"failing_minutes\": 4,"), "... and the "
		    "minute once: 4 failing minutes"))
			printf("# %s\n", ev ? ev : "(none)");
	}

	/* ids near 2^50 (a damaged or doctored store): judged, not a
	 * petabyte of name pages */
	{
		struct diag d2;
		struct store *s;

		diag_init(&d2);
		s = store_open(path("all.db"), 0, &d2);
		is_int(s ? sqlite3_exec(store_db(s), "INSERT INTO ips (id, addr) "
		    "VALUES (1125899906842624, '203.0.113.250'); INSERT INTO "
		    "accounts (id, name) VALUES (4503599627370496, "
		    "'huge@example.com')", NULL, NULL, NULL) : -1, SQLITE_OK,
		    "an address and an account with ids near 2^50 and 2^52");
		if (s) {
			char sql[300];

			snprintf(sql, sizeof sql, "INSERT INTO counts (bucket, "
			    "class_id, ip_id, account_id, n) VALUES (%lld, (SELECT id "
			    "FROM classes WHERE name = 'auth_failed'), "
			    "1125899906842624, 4503599627370496, 7)",
			    (long long)W + 120);
			is_int(sqlite3_exec(store_db(s), sql, NULL, NULL, NULL),
			    SQLITE_OK, "... failing 7 times in the window");
			store_close(s);
		}
		diag_release(&d2);
		run(path("all.db"), ow, local, remote, NULL, "203.0.113.250");
		is_str(has(FK_BRUTE_FORCE), "203.0.113.250|-|-|-|7",
		    "huge ids: judged like any other");
		/* the huge account sends 120 from 10 networks of huge address
		 * ids (its networks past those searched in turn: hashed) */
		diag_init(&d2);
		s = store_open(path("all.db"), 0, &d2);
		if (s) {
			char sql[400];
			int k, bad = 0;

			for (k = 0; k < 10; k++) {
				snprintf(sql, sizeof sql, "INSERT INTO ips (id, addr) "
				    "VALUES (%lld, '198.19.%d.1'); INSERT INTO counts "
				    "(bucket, class_id, ip_id, account_id, n) VALUES "
				    "(%lld, (SELECT id FROM classes WHERE name = "
				    "'msg_in_auth'), %lld, 4503599627370496, 12)",
				    (long long)(((int64_t)1 << 50) + 1 + k), k,
				    (long long)W + 1300 + k * 10,
				    (long long)(((int64_t)1 << 50) + 1 + k));
				if (sqlite3_exec(store_db(s), sql, NULL, NULL,
				    NULL) != SQLITE_OK)
					bad++;
			}
			is_int(bad, 0, "... and sends from 10 huge address ids");
			store_close(s);
		}
		diag_release(&d2);
		run(path("all.db"), ow, local, remote, "huge@example.com", NULL);
		is_str(has(FK_COMPROMISED_ACCOUNT), "-|huge@example.com|acme|-|120",
		    "huge ids: a compromised account from 10 new networks");
		ok(F.n == 1 && F.v[0].evidence && strstr(F.v[0].evidence,
		    "\"networks\": 10,") && strstr(F.v[0].evidence,
		    "{\"network\": \"198.19.9.0/24\", \"n\": 12}"),
		    "... its networks counted and listed");
	}

	/* an empty database */
	{
		struct diag d2;
		struct store *s;

		diag_init(&d2);
		s = store_open(path("empty.db"), STORE_CREATE, &d2);
		store_close(s);
		diag_release(&d2);
	}
	is_int(run(path("empty.db"), ow, local, remote, NULL, NULL), 0,
	    "an empty database");
	is_int((long long)F.n, 0, "no findings");

	findings_release(&F);
	owners_free(ow);
	domainlist_free(local);
	domainlist_free(remote);
	diag_release(&d);
	{
		char cmd[300];

		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return done_testing();
}
