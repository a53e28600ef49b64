/* test_report: report queries and their json/csv/table output
 * (src/report.c) against a real SQLite file in a temporary directory. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "diagnose.h"
#include "owners.h"
#include "report.h"
#include "report_html.h"
#include "rules.h"
#include "store.h"
#include "capture.h"
#include "tap.h"

#define T0 1795334400          /* 2026-11-22T08:00:00Z */

static struct store *st;

static void exec(const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(store_db(st), sql, NULL, NULL, &err) != SQLITE_OK) {
		printf("# sql error: %s\n", err);
		sqlite3_free(err);
		exit(1);
	}
}

/* add64: n events of (ip id, account id) in a minute bucket of class cls,
 * through the counts view (ids up to 64 bits) */
static void add64(long long bucket, int cls, long long ip, long long acct,
    long long n)
{
	sqlite3_stmt *s;

	sqlite3_prepare_v2(store_db(st), "INSERT INTO counts (bucket, "
	    "class_id, ip_id, account_id, n) VALUES (?, ?, ?, ?, ?)", -1, &s,
	    NULL);
	sqlite3_bind_int64(s, 1, bucket);
	sqlite3_bind_int(s, 2, cls);
	sqlite3_bind_int64(s, 3, ip);
	sqlite3_bind_int64(s, 4, acct);
	sqlite3_bind_int64(s, 5, n);
	if (sqlite3_step(s) != SQLITE_DONE) {
		printf("# insert: %s\n", sqlite3_errmsg(store_db(st)));
		exit(1);
	}
	sqlite3_finalize(s);
}

static void add(long long bucket, int cls, int ip, int acct, long long n)
{
	add64(bucket, cls, ip, acct, n);
}

/* name64: a name for an id past 32 bits */
static void name64(const char *table, const char *col, long long id,
    const char *v)
{
	sqlite3_stmt *s;
	char sql[128];

	snprintf(sql, sizeof sql, "INSERT INTO %s (id, %s) VALUES (?, ?)",
	    table, col);
	sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, v, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		printf("# insert: %s\n", sqlite3_errmsg(store_db(st)));
		exit(1);
	}
	sqlite3_finalize(s);
}

static void name(const char *table, const char *col, int id, const char *v)
{
	name64(table, col, id, v);
}

/* rm_db: a database file and its WAL companions */
static void rm_db(const char *path)
{
	char p[512];

	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
}

/* run: the report for o as a string (caller frees) */
static char *run(const struct report_opts *o, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	*rc = report_run(st, o, fp);
	fclose(fp);
	return buf;
}

static void check(const struct report_opts *o, const char *want,
    const char *what)
{
	int rc;
	char *got = run(o, &rc);

	ok(rc == 0, "%s: report_run ok", what);
	is_str(got, want, "%s", what);
	free(got);
}

static void contains(const char *hay, const char *needle, const char *what)
{
	ok(hay && strstr(hay, needle) != NULL, "%s", what);
	if (!hay || !strstr(hay, needle))
		printf("#   wanted: '%s'\n", needle);
}

static struct report_opts opts(unsigned by, enum report_format f)
{
	struct report_opts o;

	memset(&o, 0, sizeof o);
	o.since = T0;
	o.until = T0 + 3600;
	o.by = by;
	o.format = f;
	o.width = 80;
	return o;
}

enum { AUTH = 1, RATE, MSG_IN, DELIV, SPAM };
enum { IP1 = 1, IP2, IP6 };
enum { BOB = 1, ALICE, FORMULA, EVIL, CAROL, ESC, PLUS, MINUS, AT, MID, LONG,
    UTF, SEMI, SEMIOK };

static void setup(void)
{
	name("classes", "name", AUTH, "auth_failed");
	name("classes", "name", RATE, "rate_limited");
	name("classes", "name", MSG_IN, "msg_in_auth");
	name("classes", "name", DELIV, "delivered_remote");
	name("classes", "name", SPAM, "spam_rejected");
	name("ips", "addr", IP1, "203.0.113.7");
	name("ips", "addr", IP2, "198.51.100.2");
	name("ips", "addr", IP6, "2001:db8::7");
	name("accounts", "name", BOB, "bob@example.com");
	name("accounts", "name", ALICE, "alice@mail.example.com");
	name("accounts", "name", FORMULA, "=HYPERLINK(\"x\")");
	name("accounts", "name", EVIL, "evil,\"name\"\r\nx");
	name("accounts", "name", CAROL, "carol@other.org");
	name("accounts", "name", ESC, "\033[31mred\033]0;pwned\007");
	name("accounts", "name", PLUS, "+SUM(1)");
	name("accounts", "name", MINUS, "-2+3");
	name("accounts", "name", AT, "@cmd");
	name("accounts", "name", MID, "a=b");
	name("accounts", "name", SEMI, "x;=cmd|' /c calc'!A1");
	name("accounts", "name", SEMIOK, "k;v, w");
	name("accounts", "name", LONG, "a123456789b123456789c123456789"
	    "d123456789e123456789f123456789@example.org");
	name("accounts", "name", UTF, "j\xc3\xb6rg\xff\xc2\x9b@example.org");

	exec("BEGIN");
	add(T0 - 60, AUTH, IP1, BOB, 1000);         /* before the window */
	add(T0, AUTH, IP1, BOB, 5);                 /* since: inclusive */
	add(T0 + 120, MSG_IN, IP2, CAROL, 7);
	add(T0 + 120, DELIV, 0, CAROL, 6);
	add(T0 + 600, AUTH, IP1, ALICE, 3);
	add(T0 + 600, AUTH, IP2, BOB, 2);
	add(T0 + 1800, RATE, IP2, 0, 4);
	add(T0 + 3540, SPAM, IP1, FORMULA, 1);      /* last bucket */
	add(T0 + 3540, AUTH, 0, EVIL, 1);
	add(T0 + 3540, AUTH, IP2, ESC, 1);
	add(T0 + 3600, AUTH, IP1, BOB, 1000);       /* until: exclusive */
	/* a day later: the CSV injection guard */
	add(T0 + 86400, AUTH, IP1, PLUS, 4);
	add(T0 + 86400, AUTH, IP1, MINUS, 3);
	add(T0 + 86400, AUTH, IP1, AT, 2);
	add(T0 + 86400, AUTH, IP1, MID, 1);
	add(T0 + 86400, AUTH, IP1, SEMI, 5);
	add(T0 + 86400, AUTH, IP1, SEMIOK, 6);
	/* two days later: long and odd text in a table */
	add(T0 + 2 * 86400, AUTH, IP1, LONG, 2);
	add(T0 + 2 * 86400, AUTH, IP1, UTF, 1);
	/* a minute after: an IPv6 client */
	add(T0 + 2 * 86400 + 60, AUTH, IP6, BOB, 2);
	add(T0 + 2 * 86400 + 60, AUTH, IP1, BOB, 3);
	exec("COMMIT");
}

static void test_sparkline(void)
{
	long long a[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8 };
	long long z[] = { 0, 0, 0 };
	long long big[] = { 1, 1000000, 0 };
	long long neg[] = { -5, 2 };
	char buf[128], small[7];

	is_str(report_sparkline(a, 9, buf, sizeof buf), " ▁▂▃▄▅▆▇█",
	    "sparkline: zero is a space, the peak a full block");
	is_str(report_sparkline(z, 3, buf, sizeof buf), "   ",
	    "sparkline: all zero");
	is_str(report_sparkline(big, 3, buf, sizeof buf), "▁█ ",
	    "sparkline: a small count stays visible");
	is_str(report_sparkline(neg, 2, buf, sizeof buf), " █",
	    "sparkline: negative as zero");
	is_str(report_sparkline(a + 7, 2, small, sizeof small), "▇█",
	    "sparkline: fits the buffer exactly");
	is_str(report_sparkline(a + 6, 3, small, sizeof small), "▆▇",
	    "sparkline: cut at a whole character");
	is_str(report_sparkline(a, 0, buf, sizeof buf), "",
	    "sparkline: no points");
}

static void test_slots(void)
{
	time_t origin;
	size_t n;

	is_int(report_slot_step(T0, T0 + 3600, 24, &origin, &n), 300,
	    "slots: 1h in at most 24 -> 5m");
	ok(origin == T0 && n == 12, "slots: aligned window, 12 slots");
	is_int(report_slot_step(T0 + 90, T0 + 86400 + 90, 24, &origin, &n),
	    3600, "slots: 24h -> 1h");
	ok(origin == T0 && n == 25, "slots: the grid starts before the "
	    "window, one more slot");
	is_int(report_slot_step(T0, T0 + 90 * 86400, 96, &origin, &n), 86400,
	    "slots: 90d in at most 96 -> 1d");
	is_int(report_slot_step(T0, T0 + 90 * 86400, 24, &origin, &n),
	    345600, "slots: 90d in at most 24 -> 4d");
	ok(n <= 25 && origin % 345600 == 0, "slots: 4d aligned");
	is_int(report_slot_step(T0, T0 + 365 * 86400, 24, &origin, &n),
	    3 * 604800, "slots: a year -> 3 weeks");
	is_int(report_slot_step(0, T0, 24, &origin, &n) % 604800, 0,
	    "slots: 56 years in whole weeks");
	ok(n <= 25 && origin == 0, "slots: ... at most 25 of them");
}

int main(void)
{
	char dir[] = "/tmp/ewreport.XXXXXX", db[256], ud[256];
	const char *only_auth[] = { "auth_failed", NULL };
	const char *two[] = { "rate_limited", "spam_rejected", NULL };
	const char *none[] = { "no_such_class", NULL };
	struct owners *ow;
	struct report_opts o;
	struct diag d;
	char *out, *log;
	FILE *fp;
	int rc;

	setenv("TZ", "UTC", 1);
	tzset();
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(db, sizeof db, "%s/ew.db", dir);
	snprintf(ud, sizeof ud, "%s/userdomains", dir);
	fp = fopen(ud, "w");
	fputs("example.com: exuser\nother.org: otheruser\n*: nobody\n", fp);
	fclose(fp);

	diag_init(&d);
	st = store_open(db, STORE_CREATE, &d);
	if (!ok(st != NULL, "store_open")) {
		diag_print(&d, stdout);
		return done_testing();
	}
	setup();
	diag_release(&d);
	diag_init(&d);
	ow = owners_load(ud, &d);
	ok(ow != NULL, "owners_load");

	test_sparkline();
	test_slots();

	/* json */
	o = opts(0, REPORT_JSON);
	check(&o, "{\"since\": \"2026-11-22T08:00:00Z\", "
	    "\"until\": \"2026-11-22T09:00:00Z\", \"by\": [\"class\"], "
	    "\"rows\": [{\"class\": \"auth_failed\", \"count\": 12}, "
	    "{\"class\": \"msg_in_auth\", \"count\": 7}, "
	    "{\"class\": \"delivered_remote\", \"count\": 6}, "
	    "{\"class\": \"rate_limited\", \"count\": 4}, "
	    "{\"class\": \"spam_rejected\", \"count\": 1}]}\n",
	    "json, default by class; window bounds: since in, until out");

	o = opts(REPORT_BY_CLASS, REPORT_JSON);
	o.since = T0 + 60;
	o.until = T0 + 3540;
	check(&o, "{\"since\": \"2026-11-22T08:01:00Z\", "
	    "\"until\": \"2026-11-22T08:59:00Z\", \"by\": [\"class\"], "
	    "\"rows\": [{\"class\": \"msg_in_auth\", \"count\": 7}, "
	    "{\"class\": \"delivered_remote\", \"count\": 6}, "
	    "{\"class\": \"auth_failed\", \"count\": 5}, "
	    "{\"class\": \"rate_limited\", \"count\": 4}]}\n",
	    "json, narrower window drops the edge buckets");

	o = opts(REPORT_BY_OWNER, REPORT_JSON);
	o.owners = ow;
	check(&o, "{\"since\": \"2026-11-22T08:00:00Z\", "
	    "\"until\": \"2026-11-22T09:00:00Z\", \"by\": [\"owner\"], "
	    "\"rows\": [{\"owner\": \"otheruser\", \"count\": 13}, "
	    "{\"owner\": \"exuser\", \"count\": 10}, "
	    "{\"owner\": null, \"count\": 7}]}\n",
	    "json, owner roll-up (subdomain to parent, null owner last)");

	o = opts(REPORT_BY_CLASS | REPORT_BY_OWNER, REPORT_JSON);
	o.owners = ow;
	check(&o, "{\"since\": \"2026-11-22T08:00:00Z\", "
	    "\"until\": \"2026-11-22T09:00:00Z\", \"by\": [\"class\", "
	    "\"owner\"], \"rows\": ["
	    "{\"class\": \"auth_failed\", \"owner\": \"exuser\", \"count\": 10}, "
	    "{\"class\": \"msg_in_auth\", \"owner\": \"otheruser\", \"count\": 7}, "
	    "{\"class\": \"delivered_remote\", \"owner\": \"otheruser\", "
	    "\"count\": 6}, "
	    "{\"class\": \"rate_limited\", \"owner\": null, \"count\": 4}, "
	    "{\"class\": \"auth_failed\", \"owner\": null, \"count\": 2}, "
	    "{\"class\": \"spam_rejected\", \"owner\": null, \"count\": 1}]}\n",
	    "json, class and owner");

	o = opts(REPORT_BY_OWNER, REPORT_JSON);
	check(&o, "{\"since\": \"2026-11-22T08:00:00Z\", "
	    "\"until\": \"2026-11-22T09:00:00Z\", \"by\": [\"owner\"], "
	    "\"rows\": [{\"owner\": null, \"count\": 30}]}\n",
	    "json, owner without a userdomains map: all null");

	o = opts(REPORT_BY_ACCOUNT | REPORT_BY_OWNER, REPORT_JSON);
	o.owners = ow;
	o.top = 2;
	check(&o, "{\"since\": \"2026-11-22T08:00:00Z\", "
	    "\"until\": \"2026-11-22T09:00:00Z\", \"by\": [\"account\", "
	    "\"owner\"], \"rows\": ["
	    "{\"account\": \"carol@other.org\", \"owner\": \"otheruser\", "
	    "\"count\": 13}, "
	    "{\"account\": \"bob@example.com\", \"owner\": \"exuser\", "
	    "\"count\": 7}]}\n",
	    "json, account and owner, top 2");

	o = opts(REPORT_BY_IP | REPORT_BY_ACCOUNT, REPORT_JSON);
	o.classes = only_auth;
	check(&o, "{\"since\": \"2026-11-22T08:00:00Z\", "
	    "\"until\": \"2026-11-22T09:00:00Z\", \"by\": [\"ip\", "
	    "\"account\"], \"rows\": ["
	    "{\"ip\": \"203.0.113.7\", \"account\": \"bob@example.com\", "
	    "\"count\": 5}, "
	    "{\"ip\": \"203.0.113.7\", \"account\": "
	    "\"alice@mail.example.com\", \"count\": 3}, "
	    "{\"ip\": \"198.51.100.2\", \"account\": \"bob@example.com\", "
	    "\"count\": 2}, "
	    "{\"ip\": \"198.51.100.2\", \"account\": "
	    "\"\\u001b[31mred\\u001b]0;pwned\\u0007\", \"count\": 1}, "
	    "{\"ip\": null, \"account\": \"evil,\\\"name\\\"\\r\\nx\", "
	    "\"count\": 1}]}\n",
	    "json, ip and account, class filter; hostile text escaped");

	o = opts(REPORT_BY_CLASS, REPORT_JSON);
	o.classes = two;
	check(&o, "{\"since\": \"2026-11-22T08:00:00Z\", "
	    "\"until\": \"2026-11-22T09:00:00Z\", \"by\": [\"class\"], "
	    "\"rows\": [{\"class\": \"rate_limited\", \"count\": 4}, "
	    "{\"class\": \"spam_rejected\", \"count\": 1}]}\n",
	    "json, two classes");

	o = opts(REPORT_BY_CLASS, REPORT_JSON);
	o.account = "BOB@Example.COM";
	o.ip = "203.0.113.7";
	check(&o, "{\"since\": \"2026-11-22T08:00:00Z\", "
	    "\"until\": \"2026-11-22T09:00:00Z\", \"by\": [\"class\"], "
	    "\"rows\": [{\"class\": \"auth_failed\", \"count\": 5}]}\n",
	    "json, ip and account filter (account case-insensitive)");

	o = opts(REPORT_BY_CLASS, REPORT_JSON);
	o.classes = none;
	check(&o, "{\"since\": \"2026-11-22T08:00:00Z\", "
	    "\"until\": \"2026-11-22T09:00:00Z\", \"by\": [\"class\"], "
	    "\"rows\": []}\n", "json, nothing matches");

	o = opts(REPORT_BY_CLASS, REPORT_JSON);
	o.ip = "1.2.3.4' OR '1'='1";
	check(&o, "{\"since\": \"2026-11-22T08:00:00Z\", "
	    "\"until\": \"2026-11-22T09:00:00Z\", \"by\": [\"class\"], "
	    "\"rows\": []}\n", "json, a quote in a filter is only data");

	/* --ip: an address or a network */
	o = opts(REPORT_BY_IP, REPORT_CSV);
	o.ip = "203.0.113.0/24";
	check(&o, "ip,count\r\n203.0.113.7,9\r\n", "--ip an IPv4 network");
	o.ip = "198.51.0.0/16";
	check(&o, "ip,count\r\n198.51.100.2,14\r\n", "--ip a /16");
	o.ip = "203.0.113.8/31";
	check(&o, "ip,count\r\n", "--ip a network around no client");
	o.since = T0 + 2 * 86400 + 60;
	o.until = o.since + 60;
	o.ip = "2001:db8::/64";
	check(&o, "ip,count\r\n2001:db8::7,2\r\n", "--ip an IPv6 network");
	o.ip = "2001:DB8:0::7";
	check(&o, "ip,count\r\n2001:db8::7,2\r\n",
	    "--ip one IPv6 address, written otherwise");
	o.ip = "::/0";
	check(&o, "ip,count\r\n2001:db8::7,2\r\n", "--ip ::/0: IPv6 only");
	/* time series and domains */
	o = opts(REPORT_BY_HOUR, REPORT_JSON);
	o.since = T0 - 3600;
	o.until = T0 + 7200;
	check(&o, "{\"since\": \"2026-11-22T07:00:00Z\", "
	    "\"until\": \"2026-11-22T10:00:00Z\", \"by\": [\"hour\"], "
	    "\"rows\": [{\"hour\": \"2026-11-22T07:00:00+00:00\", \"count\": "
	    "1000}, {\"hour\": \"2026-11-22T08:00:00+00:00\", \"count\": 30}, "
	    "{\"hour\": \"2026-11-22T09:00:00+00:00\", \"count\": 1000}]}\n",
	    "json, by hour: every hour in time order");
	o = opts(REPORT_BY_DAY, REPORT_CSV);
	o.since = T0 - 86400;
	o.until = T0 + 3 * 86400;
	check(&o, "day,count\r\n2026-11-21,0\r\n2026-11-22,2030\r\n"
	    "2026-11-23,21\r\n2026-11-24,8\r\n2026-11-25,0\r\n", "csv, by "
	    "day: days without events are 0, the cut last day too");
	o = opts(REPORT_BY_HOUR | REPORT_BY_CLASS, REPORT_TABLE);
	o.since = T0 - 3600;
	o.until = T0 + 7200;
	o.top = 2;
	check(&o, "hour              class        count\n"
	    "2026-11-22 07:00  auth_failed   1000\n"
	    "2026-11-22 08:00  auth_failed     12\n"
	    "                  msg_in_auth      7\n"
	    "2026-11-22 09:00  auth_failed   1000\n",
	    "table, by hour and class: the top 2 of each hour");
	o = opts(REPORT_BY_HOUR, REPORT_TABLE);
	o.width = 40;
	check(&o, "hour              count\n"
	    "2026-11-22 08:00     30  ███████████████\n",
	    "table, by hour alone: a bar per hour");
	o = opts(REPORT_BY_DOMAIN, REPORT_JSON);
	check(&o, "{\"since\": \"2026-11-22T08:00:00Z\", "
	    "\"until\": \"2026-11-22T09:00:00Z\", \"by\": [\"domain\"], "
	    "\"rows\": [{\"domain\": \"other.org\", \"count\": 13}, "
	    "{\"domain\": \"example.com\", \"count\": 7}, "
	    "{\"domain\": null, \"count\": 7}, "
	    "{\"domain\": \"mail.example.com\", \"count\": 3}]}\n",
	    "json, by domain: the accounts' domains, null without one");
	o = opts(REPORT_BY_DOMAIN, REPORT_TABLE);
	check(&o, "domain            count\n"
	    "example.com           7\n"
	    "mail.example.com      3\n"
	    "(rejections and failures; --all adds the traffic)\n",
	    "table, by domain: rejections, no row without a domain");
	setenv("TZ", "CET-1", 1);
	tzset();
	o = opts(REPORT_BY_DAY | REPORT_BY_CLASS, REPORT_JSON);
	o.since = T0 - 86400;
	o.until = T0 + 86400;
	o.classes = only_auth;
	check(&o, "{\"since\": \"2026-11-21T08:00:00Z\", "
	    "\"until\": \"2026-11-23T08:00:00Z\", \"by\": [\"day\", "
	    "\"class\"], \"rows\": [{\"day\": \"2026-11-22\", \"class\": "
	    "\"auth_failed\", \"count\": 2012}]}\n", "json, by day in a "
	    "+01:00 zone: local days");
	o = opts(REPORT_BY_HOUR, REPORT_CSV);
	check(&o, "hour,count\r\n2026-11-22T09:00:00+01:00,30\r\n",
	    "csv, by hour in a +01:00 zone: local time with its offset");
	setenv("TZ", "UTC", 1);
	tzset();

	/* csv */
	o = opts(REPORT_BY_CLASS, REPORT_CSV);
	o.top = 2;
	check(&o, "class,count\r\nauth_failed,12\r\nmsg_in_auth,7\r\n",
	    "csv, top 2");

	o = opts(REPORT_BY_ACCOUNT, REPORT_CSV);
	check(&o, "account,count\r\n"
	    "carol@other.org,13\r\n"
	    "bob@example.com,7\r\n"
	    ",4\r\n"
	    "alice@mail.example.com,3\r\n"
	    "\"\033[31mred\033]0;pwned\007\",1\r\n"
	    "\"'=HYPERLINK(\"\"x\"\")\",1\r\n"
	    "\"evil,\"\"name\"\"\r\nx\",1\r\n",
	    "csv, quoting, formula guard, null as empty");

	o = opts(REPORT_BY_IP | REPORT_BY_ACCOUNT, REPORT_CSV);
	o.since = T0 + 86400;
	o.until = T0 + 86400 + 60;
	check(&o, "ip,account,count\r\n"
	    "203.0.113.7,\"k;v, w\",6\r\n"
	    "203.0.113.7,\"x;'=cmd|' /c calc'!A1\",5\r\n"
	    "203.0.113.7,'+SUM(1),4\r\n"
	    "203.0.113.7,'-2+3,3\r\n"
	    "203.0.113.7,'@cmd,2\r\n"
	    "203.0.113.7,a=b,1\r\n",
	    "csv, + - @ guarded, also after a ';' (a spreadsheet splitting on "
	    "';' makes it a cell), = inside a field kept");

	/* table with --by: ip, account or owner count the rejections (traffic
	 * with --all or --class) and leave out the events without the key */
	o = opts(REPORT_BY_CLASS | REPORT_BY_IP, REPORT_TABLE);
	check(&o, "class          ip            count\n"
	    "auth_failed    203.0.113.7       8\n"
	    "rate_limited   198.51.100.2      4\n"
	    "auth_failed    198.51.100.2      3\n"
	    "spam_rejected  203.0.113.7       1\n"
	    "(rejections and failures; --all adds the traffic)\n",
	    "table, class and ip: rejections, no row without an IP");
	o.all = 1;
	check(&o, "class          ip            count\n"
	    "auth_failed    203.0.113.7       8\n"
	    "msg_in_auth    198.51.100.2      7\n"
	    "rate_limited   198.51.100.2      4\n"
	    "auth_failed    198.51.100.2      3\n"
	    "spam_rejected  203.0.113.7       1\n",
	    "table, class and ip, --all: the traffic too, still no row "
	    "without an IP");
	o = opts(REPORT_BY_ACCOUNT, REPORT_TABLE);
	o.classes = two;
	check(&o, "account          count\n"
	    "=HYPERLINK(\"x\")      1\n",
	    "table, account, --class: those classes, no row without an "
	    "account");
	o = opts(REPORT_BY_CLASS | REPORT_BY_IP, REPORT_JSON);
	out = run(&o, &rc);
	contains(out, "{\"class\": \"delivered_remote\", \"ip\": null, "
	    "\"count\": 6}", "json, class and ip: every event, as before");
	free(out);

	o = opts(REPORT_BY_ACCOUNT | REPORT_BY_OWNER, REPORT_TABLE);
	o.owners = ow;
	o.classes = only_auth;
	check(&o, "account                 owner   count\n"
	    "bob@example.com         exuser      7\n"
	    "alice@mail.example.com  exuser      3\n"
	    "?[31mred?]0;pwned?      -           1\n"
	    "evil,\"name\"??x          -           1\n",
	    "table, account and owner; control characters neutralised");

	o = opts(REPORT_BY_ACCOUNT, REPORT_TABLE);
	o.since = T0 + 2 * 86400;
	o.until = o.since + 60;
	check(&o, "account                                           count\n"
	    "a123456789b123456789c123456789d123456789e123456…      2\n"
	    "jörg??@example.org                                    1\n"
	    "(rejections and failures; --all adds the traffic)\n",
	    "table, long field cut at 48 columns, UTF-8 kept, invalid and "
	    "C1 bytes neutralised");

	o = opts(REPORT_BY_CLASS, REPORT_TABLE);
	o.color = 1;
	o.top = 1;
	check(&o, "\033[1mclass        count\033[0m\n"
	    "auth_failed     12\n", "table, colour header, top 1");

	/* the default table */
	o = opts(0, REPORT_TABLE);
	o.owners = ow;
	out = run(&o, &rc);
	ok(rc == 0, "default table: ok");
	printf("# ---\n");
	for (char *p = out, *e; p && *p; p = e + 1) {
		e = strchrnul(p, '\n');
		printf("# %.*s\n", (int)(e - p), p);
		if (!*e)
			break;
	}
	contains(out, "eximwatch report — 2026-11-22 08:00 → 09:00 (1h)\n",
	    "default table: title with the window");
	contains(out, "Rejections and failures (17; sparkline: 1 character "
	    "= 5m)\n", "default table: the sparkline's step, aligned");
	contains(out, "  auth_failed       12  -         █ █        ▄\n",
	    "default table: class, count, severity, sparkline");
	contains(out, "  rate_limited       4  -               █\n",
	    "default table: rate_limited sparkline slot 6 (08:30)");
	contains(out, "msg_in_auth 7, delivered_remote 6",
	    "default table: traffic summary");
	ok(out && !strstr(out, "  msg_in_auth  "), "default table: traffic "
	    "classes are not in the class list");
	contains(out, "Top IPs\n  203.0.113.7   9  auth_failed 8, "
	    "spam_rejected 1\n  198.51.100.2  7  rate_limited 4, "
	    "auth_failed 3\n", "default table: top IPs with main classes");
	contains(out, "Top accounts\n  bob@example.com [exuser]         7  "
	    "auth_failed 7\n", "default table: top accounts with owner");
	ok(out && !strchr(out, '\033'), "default table: no escape bytes "
	    "without colour (hostile account neutralised)");
	free(out);

	o = opts(0, REPORT_TABLE);
	o.color = 1;
	out = run(&o, &rc);
	contains(out, "\033[1meximwatch report", "default table: colour title");
	ok(out && !strstr(out, "\033[31mred"), "default table: hostile "
	    "escape not passed through with colour on");
	free(out);

	o = opts(0, REPORT_TABLE);
	o.since = T0 + 7200;
	o.until = T0 + 10800;
	check(&o, "eximwatch report — 2026-11-22 10:00 → 11:00 (1h)\n\n"
	    "no events between 2026-11-22 10:00 and 11:00; try --since 7d\n",
	    "default table: empty window says so and hints --since");

	o = opts(0, REPORT_TABLE);
	o.since = T0 + 10 * 86400;
	o.until = T0 + 10 * 86400 + 3600;
	check(&o, "eximwatch report — 2026-12-02 08:00 → 09:00 (1h)\n\n"
	    "no events between 2026-12-02 08:00 and 09:00; the last events "
	    "before it are from 2026-11-24: try --since 2026-11-24\n",
	    "default table: empty window far from the data names the day");

	o = opts(0, REPORT_TABLE);
	o.since = T0 - 86400;
	o.until = T0 - 3600;
	check(&o, "eximwatch report — 2026-11-21 08:00 → 2026-11-22 07:00 "
	    "(23h)\n\nno events between 2026-11-21 08:00 and 2026-11-22 "
	    "07:00; the first events after it are from 2026-11-22 07:59\n",
	    "default table: empty window before all data");

	o = opts(0, REPORT_TABLE);
	o.classes = none;
	out = run(&o, &rc);
	contains(out, "no events matching the filters between",
	    "default table: empty because of the filters");
	free(out);

	o = opts(0, REPORT_TABLE);
	o.since = 0;
	o.until = T0 + 3600;
	out = run(&o, &rc);
	contains(out, "eximwatch report — 2026-11-22 07:59 → 09:00 (1h1m)\n"
	    "\nRejections and failures (1017; sparkline: 1 character = 5m)\n"
	    "  auth_failed     1012  -         █",
	    "default table: --since all starts at the first data");
	free(out);

	/* descriptions, remedies and severity from the rules */
	{
		char rdir[300], rfile[400];
		const char *dirs[2] = { rdir, NULL };
		struct rules_source rs;
		struct rules *rules;

		snprintf(rdir, sizeof rdir, "%s/rules", dir);
		snprintf(rfile, sizeof rfile, "%s/10-test.yaml", rdir);
		mkdir(rdir, 0700);
		fp = fopen(rfile, "w");
		fputs("rules:\n"
		    "  - id: auth_failed\n"
		    "    severity: critical\n"
		    "    description: Short text\n"
		    "    remedy: >-\n"
		    "      Block the address with the firewall when one IP "
		    "keeps failing, or reset the password.\n"
		    "    match:\n"
		    "      - literals: [\" authenticator failed for \"]\n"
		    "        regex: '^\\S+ authenticator failed for '\n"
		    "  - id: rate_limited\n"
		    "    severity: notice\n"
		    "    description: Over a rate limit\n"
		    "    remedy: >-\n"
		    "      Nothing to do unless a known sender is refused: then "
		    "raise the limit for that one sender only, after checking "
		    "that the account is not compromised, and watch it.\n"
		    "    match:\n"
		    "      - literals: [\"rate overlimit\"]\n"
		    "        regex: 'rate overlimit'\n", fp);
		fclose(fp);
		memset(&rs, 0, sizeof rs);
		rs.dirs = dirs;
		rs.no_builtin = 1;
		diag_release(&d);
		diag_init(&d);
		rules = rules_load(&rs, &d);
		if (!ok(rules != NULL, "rules_load"))
			diag_print(&d, stdout);
		o = opts(0, REPORT_TABLE);
		o.rules = rules;
		o.width = 100;
		out = run(&o, &rc);
		contains(out, "  auth_failed       12  critical  █ █        ▄"
		    "  Short text\n"
		    "  rate_limited       4  notice          █       Over a "
		    "rate limit\n",
		    "default table: severity and description on one line");
		contains(out, "\nWhat to do (warning and above; --remedies for "
		    "the other 1)\n  auth_failed (critical)\n"
		    "      Block the address with the firewall when one IP "
		    "keeps failing, or reset the password.\n",
		    "default table: the remedies last, warning and above");
		ok(out && !strstr(out, "Nothing to do unless"), "default table: "
		    "no remedy for a notice");
		free(out);
		o.remedies = 1;
		out = run(&o, &rc);
		contains(out, "\nWhat to do\n  auth_failed (critical)\n",
		    "default table, --remedies: all");
		contains(out, "  rate_limited (notice)\n      Nothing to do unless",
		    "default table, --remedies: the notice's too");
		o.width = 160;
		free(out);
		out = run(&o, &rc);
		contains(out, "  rate_limited (notice)\n      Nothing to do unless "
		    "a known sender is refused: then raise the limit for that "
		    "one sender only,\n      after checking",
		    "default table: prose wrapped at 100 columns on a wide "
		    "terminal");
		free(out);
		o.remedies = 0;
		o.width = 100;
		o.brief = 1;
		out = run(&o, &rc);
		ok(out && !strstr(out, "What to do") && strstr(out,
		    "▄  Short text\n"), "default table, --brief: no remedy");
		free(out);
		o.brief = 0;
		o.width = 160;
		out = run(&o, &rc);
		contains(out, "      Block the address with the firewall when one IP "
		    "keeps failing, or reset the password.\n",
		    "default table: prose at most 100 columns wide (fits)");
		free(out);
		o.width = 40;
		o.color = 1;
		out = run(&o, &rc);
		contains(out, "\033[1;31mcritical\033[0m", "default table: "
		    "critical in bold red");
		contains(out, "▄\n      Short text\n", "default table: the "
		    "description below when it does not fit");
		contains(out, "\033[1mWhat to do\033[0m (warning and above; "
		    "--remedies for the other 1)\n  \033[1mauth_failed"
		    "\033[0m (\033[1;31mcritical\033[0m)\n      Block the "
		    "address with the\n      firewall when one IP keeps\n",
		    "default table: the remedy wrapped to the width");
		free(out);
		if (rules)
			rules_free(rules);
		unlink(rfile);
		rmdir(rdir);
	}

	/* html */
	{
		struct sbuf hb;
		char fip[] = "<b>x</b> & y", fsum[] = "it's \"quoted\"";
		struct finding f[1];
		struct findings fs = { f, 1, 1, 0 };

		memset(f, 0, sizeof f);
		f[0].kind = FK_BRUTE_FORCE;
		f[0].verdict = VERDICT_ATTACK;
		f[0].ip = fip;
		f[0].events = 2;
		f[0].summary = fsum;

		sbuf_init(&hb);
		report_html_text(&hb, "<script>a='1' & \"b\"</script>\033[31m"
		    "\x7f\xc2\x9b\xff j\xc3\xb6rg\t\n");
		is_str(hb.s, "&lt;script&gt;a=&#39;1&#39; &amp; &quot;b&quot;"
		    "&lt;/script&gt;\xef\xbf\xbd[31m\xef\xbf\xbd\xef\xbf\xbd"
		    "\xef\xbf\xbd j\xc3\xb6rg\t\n", "html text: markup, "
		    "quotes, controls, C1 and invalid UTF-8");
		sbuf_release(&hb);

		o = opts(0, REPORT_HTML);
		o.owners = ow;
		o.top = 3;
		out = run(&o, &rc);
		ok(rc == 0 && out && strncmp(out, "<!DOCTYPE html>\n", 16) == 0,
		    "html: a page");
		contains(out, "<span class=\"name\">auth_failed</span>"
		    "<span class=\"n\">12</span>", "html: class and total");
		contains(out, "<td class=\"k\">203.0.113.7</td><td class=\"r\">"
		    "9</td>", "html: top IP");
		contains(out, "<td class=\"k\">bob@example.com</td><td class=\"k"
		    "\">exuser</td><td class=\"r\">7</td>", "html: top account "
		    "with its owner");
		contains(out, "<section id=\"owners\">", "html: top owners");
		contains(out, "Each bar of a chart is 1m.", "html: the step");
		ok(out && strstr(out, "<svg") && !strstr(out + 1, "<script") &&
		    !strchr(out, '\033'), "html: charts; no script, no escape "
		    "byte");
		ok(out && !strstr(out, "id=\"findings\""), "html: no "
		    "findings section without a diagnosis");
		free(out);

		o = opts(0, REPORT_HTML);
		o.top = 10;
		o.classes = only_auth;
		o.findings = &fs;
		out = run(&o, &rc);
		contains(out, "<td class=\"k\">evil,&quot;name&quot;\xef\xbf"
		    "\xbd\nx</td>", "html: hostile account as text");
		contains(out, "<td class=\"k\">\xef\xbf\xbd[31mred\xef\xbf"
		    "\xbd]0;pwned\xef\xbf\xbd</td>", "html: escape sequences "
		    "neutralised");
		contains(out, "<section id=\"findings\"><h2>Findings</h2>\n"
		    "<article class=\"critical\"><h3><span class=\"sev "
		    "critical\">attack</span><span>brute_force &lt;b&gt;x&lt;/b&gt; "
		    "&amp; y: 2 events</span></h3>\n<p>it&#39;s &quot;quoted&quot;"
		    "</p>\n<p><b>What to do:</b> ",
		    "html: findings first, escaped");
		contains(out, "<p id=\"filters\">Only class <span class=\"name"
		    "\">auth_failed</span>.</p>", "html: the filter is said");
		free(out);
	}

	/* a fresh database */
	{
		char db2[300];
		struct store *keep = st;

		snprintf(db2, sizeof db2, "%s/empty.db", dir);
		st = store_open(db2, STORE_CREATE, &d);
		ok(st != NULL, "store_open empty");
		o = opts(0, REPORT_TABLE);
		out = run(&o, &rc);
		contains(out, "; nothing is counted yet: run 'eximwatch scan "
		    "FILE' or start the daemon\n", "default table: empty "
		    "database");
		free(out);
		store_close(st);
		st = keep;
		rm_db(db2);
	}

	/* ids past 2^46: reportq packs the class with an id into one word
	 * of a key while the ids are smaller, and widens its keys (sums
	 * kept) when one is not */
	{
		const long long bigip = 1LL << 47, bigacct = (1LL << 50) + 3;
		const time_t t3 = T0 + 3 * 86400;

		name64("ips", "addr", bigip, "192.0.2.99");
		name64("accounts", "name", bigacct, "big@example.net");
		exec("BEGIN");
		add64(t3, AUTH, IP1, BOB, 4);
		add64(t3, AUTH, bigip, bigacct, 9);
		add64(t3 + 60, RATE, bigip, 0, 2);
		add64(t3 + 60, AUTH, IP1, BOB, 1);
		exec("COMMIT");
		o = opts(REPORT_BY_CLASS | REPORT_BY_IP | REPORT_BY_ACCOUNT,
		    REPORT_JSON);
		o.since = t3;
		o.until = t3 + 3600;
		check(&o, "{\"since\": \"2026-11-25T08:00:00Z\", "
		    "\"until\": \"2026-11-25T09:00:00Z\", \"by\": [\"class\", "
		    "\"ip\", \"account\"], \"rows\": ["
		    "{\"class\": \"auth_failed\", \"ip\": \"192.0.2.99\", "
		    "\"account\": \"big@example.net\", \"count\": 9}, "
		    "{\"class\": \"auth_failed\", \"ip\": \"203.0.113.7\", "
		    "\"account\": \"bob@example.com\", \"count\": 5}, "
		    "{\"class\": \"rate_limited\", \"ip\": \"192.0.2.99\", "
		    "\"account\": null, \"count\": 2}]}\n",
		    "json, ids past 2^46");
		o = opts(REPORT_BY_CLASS | REPORT_BY_ACCOUNT, REPORT_JSON);
		o.since = t3;
		o.until = t3 + 3600;
		check(&o, "{\"since\": \"2026-11-25T08:00:00Z\", "
		    "\"until\": \"2026-11-25T09:00:00Z\", \"by\": [\"class\", "
		    "\"account\"], \"rows\": ["
		    "{\"class\": \"auth_failed\", \"account\": "
		    "\"big@example.net\", \"count\": 9}, "
		    "{\"class\": \"auth_failed\", \"account\": "
		    "\"bob@example.com\", \"count\": 5}, "
		    "{\"class\": \"rate_limited\", \"account\": null, "
		    "\"count\": 2}]}\n",
		    "json, class and an account id past 2^46 (a small one "
		    "first: the key widens with a sum in it)");
		o = opts(0, REPORT_TABLE);
		o.since = t3;
		o.until = t3 + 3600;
		o.top = 1;
		out = run(&o, &rc);
		contains(out, "Top IPs\n  192.0.2.99  11  auth_failed 9, "
		    "rate_limited 2\n", "table, top address past 2^46");
		contains(out, "Top accounts\n  big@example.net  9  "
		    "auth_failed 9\n", "table, top account past 2^46");
		free(out);
	}

	/* a database error is reported, not crashed on */
	exec("DROP TABLE count_chunks");
	o = opts(REPORT_BY_CLASS, REPORT_JSON);
	capture_begin();
	out = run(&o, &rc);
	log = capture_end();
	ok(rc == -1 && out && out[0] == '\0', "database error: -1 and no "
	    "partial output");
	ok(strstr(log, "cannot read the counts from") && strstr(log,
	    "no such table: count_chunks"), "... and the error is logged");
	free(log);
	free(out);

	owners_free(ow);
	diag_release(&d);
	store_close(st);
	rm_db(db);
	unlink(ud);
	ok(rmdir(dir) == 0, "temporary directory cleaned up");
	return done_testing();
}
