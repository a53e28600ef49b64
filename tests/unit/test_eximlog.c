/* test_eximlog: the line parser — prefixes, syslog wrappers, host text. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdio.h>
#include <unistd.h>

#include "eximlog.h"
#include "tap.h"

static char padded[1 << 16];

/* parse: copy into a padded buffer (the parser may read 8 bytes past) */
static enum eximlog_kind parse(const char *s, struct eximlog_line *ln)
{
	static struct eximlog_clock clk;
	size_t n = strlen(s);

	memset(padded, 0, sizeof padded);
	memcpy(padded, s, n);
	return eximlog_parse(&clk, padded, n, ln);
}

static int span_is(struct span s, const char *want)
{
	if (want == NULL)
		return s.p == NULL;
	return s.p != NULL && s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

static void body(const char *line, const char *want_body, const char *want_id,
    long pid, int ms, const char *what)
{
	struct eximlog_line ln;
	enum eximlog_kind k = parse(line, &ln);

	ok(k == EXIMLOG_ENTRY, "%s: entry", what);
	if (!ok(span_is(ln.body, want_body), "%s: body", what))
		printf("#   body: '%.*s'\n", (int)ln.body.len, ln.body.p ? ln.body.p : "");
	ok(span_is(ln.msgid, want_id), "%s: message id", what);
	is_int(ln.pid, pid, "%s: pid", what);
	is_int(ln.ms, ms, "%s: ms", what);
}

static void host(const char *text, const char *ip, const char *port,
    const char *helo, const char *rdns, int ambiguous)
{
	struct eximlog_host h;

	eximlog_host_parse(text, strlen(text), &h);
	if (!ok(span_is(h.ip, ip) && span_is(h.port, port) &&
	    span_is(h.helo, helo) && span_is(h.rdns, rdns) &&
	    h.ambiguous == ambiguous, "host '%s'", text))
		printf("#   ip '%.*s' port '%.*s' helo '%.*s' rdns '%.*s' amb %d\n",
	    (int)h.ip.len, h.ip.p ? h.ip.p : "", (int)h.port.len,
	    h.port.p ? h.port.p : "", (int)h.helo.len, h.helo.p ? h.helo.p : "",
	    (int)h.rdns.len, h.rdns.p ? h.rdns.p : "", h.ambiguous);
}

/* local_minutes: every minute of a day with a UTC offset change in zone
 * `tz` (when the system has it) gets the time mktime() gives it, through
 * the parser's per-hour cache */
static void local_minutes(const char *tz, const char *day)
{
	char path[256], line[64];
	struct eximlog_clock clk;
	struct eximlog_line ln;
	int h, m, bad = 0;

	snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
	if (access(path, R_OK) != 0) {
		ok(1, "%s # SKIP no zoneinfo (package tzdata)", tz);
		return;
	}
	setenv("TZ", tz, 1);
	tzset();
	memset(&clk, 0, sizeof clk);
	for (h = 0; h < 24; h++) {
		for (m = 0; m < 60; m++) {
			struct tm tm;
			int64_t want;
			size_t n;

			n = (size_t)snprintf(line, sizeof line,
			    "%s %02d:%02d:07 Completed", day, h, m);
			memset(&tm, 0, sizeof tm);
			sscanf(day, "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
			tm.tm_year -= 1900;
			tm.tm_mon--;
			tm.tm_hour = h;
			tm.tm_min = m;
			tm.tm_sec = 7;
			tm.tm_isdst = -1;
			want = (int64_t)mktime(&tm);
			memset(padded, 0, 64);
			memcpy(padded, line, n);
			if (eximlog_parse(&clk, padded, n, &ln) != EXIMLOG_ENTRY ||
			    ln.ts != want) {
				if (!bad++)
					printf("# %s %s: parsed %lld, mktime %lld\n", tz, line,
					    (long long)ln.ts, (long long)want);
			}
		}
	}
	ok(bad == 0, "%s, %s: all 1440 minutes as mktime() gives them", tz, day);
	setenv("TZ", "UTC", 1);
	tzset();
}

int main(void)
{
	struct eximlog_line ln;
	struct eximlog_clock clk;
	int64_t t1, t2;

	setenv("TZ", "UTC", 1);
	tzset();

	body("2026-11-22 08:28:57 1xV2wT-000119-0v <= a@b.c H=x [1.2.3.4]",
	    "<= a@b.c H=x [1.2.3.4]", "1xV2wT-000119-0v", -1, -1, "16-char id");
	body("2026-11-22 08:28:57.211 [4633] 1x5dJQ-00000002ksM-1pMm Completed",
	    "Completed", "1x5dJQ-00000002ksM-1pMm", 4633, 211, "23-char id, pid, ms");
	body("2026-11-22 08:28:57 +0200 [789] H=(x) [1.2.3.4] rejected",
	    "H=(x) [1.2.3.4] rejected", NULL, 789, -1, "timezone");
	body("2026-11-22 08:28:57 [12/3] SMTP connection from [1.2.3.4]",
	    "SMTP connection from [1.2.3.4]", NULL, 12, -1, "pid/n form");
	body("Nov 22 08:00:01 mail exim[1234]: H=(bob) [192.0.2.21]:40001 F=<a@b> "
	    "rejected RCPT <c@d>: x", "H=(bob) [192.0.2.21]:40001 F=<a@b> "
	    "rejected RCPT <c@d>: x", NULL, 1234, -1, "BSD syslog, no Exim stamp");
	body("Nov  2 08:00:01 mail exim[7]: 2026-11-02 08:00:01 1xV2wT-000119-0v "
	    "Completed", "Completed", "1xV2wT-000119-0v", 7, -1,
	    "BSD syslog with Exim stamp");
	body("2016-04-01 11:08:00 info exim[8003]: [8003] SMTP protocol error in "
	    "\"AUTH LOGIN\" H=(User) [192.0.2.29]:4816 x",
	    "SMTP protocol error in \"AUTH LOGIN\" H=(User) [192.0.2.29]:4816 x",
	    NULL, 8003, -1, "ISO syslog stamp and inner [pid]");
	body("mail.example.com exim[3751842]: 2021-07-17 23:20:49 plain authenticator "
	    "failed for ([192.0.2.17]) [192.0.2.27]: 535 x",
	    "plain authenticator failed for ([192.0.2.17]) [192.0.2.27]: 535 x",
	    NULL, 3751842, -1, "journal without date");
	body("2026-11-22T08:00:00.123456+01:00 mx exim[5]: Completed", "Completed",
	    NULL, 5, -1, "RFC 3339 syslog stamp");

	ok(parse(" Suggested action: use keep_environment.", &ln) ==
	    EXIMLOG_CONTINUATION, "continuation line");
	ok(parse("garbage \x01\x02 without a stamp", &ln) == EXIMLOG_CONTINUATION,
	    "junk line");
	ok(parse("", &ln) == EXIMLOG_EMPTY, "empty line");
	ok(parse("2026-11-22 08:28", &ln) != EXIMLOG_ENTRY, "truncated stamp");
	ok(parse("2026-11-22 08:28:57", &ln) != EXIMLOG_ENTRY, "stamp only");
	ok(parse("Nov 22 08:00:01 mail exim[1]: [2/3] rest of a long line", &ln) ==
	    EXIMLOG_CONTINUATION, "syslog split part 2 is a continuation");
	ok(parse("2026-11-22 08:28:57 Completed\0 with NUL", &ln) == EXIMLOG_ENTRY,
	    "NUL byte line parses");

	/* time: UTC here, explicit offsets honoured */
	memset(&clk, 0, sizeof clk);
	parse("2026-11-22 08:28:57 x", &ln);
	t1 = ln.ts;
	is_int(t1, 1795336137, "timestamp");
	parse("2026-11-22 10:28:57 +0200 x", &ln);
	t2 = ln.ts;
	is_int(t2, t1, "timestamp with +0200");
	parse("2026-11-22 08:29:57 x", &ln);
	is_int(ln.ts, t1 + 60, "next minute");
	parse("2026-13-22 08:29:57 x", &ln);
	is_int(ln.ts, -1, "bad month gives no time");

	/* host text */
	host("(WIN-BRUTE0) [127.0.0.10]:59717", "127.0.0.10", "59717", "WIN-BRUTE0",
	    NULL, 0);
	host("H=cpe-2.dsl.isp.test (alice-desktop) [127.0.0.2]:38027", "127.0.0.2",
	    "38027", "alice-desktop", "cpe-2.dsl.isp.test", 0);
	host("mx.tillions.com [182.18.24.93]", "182.18.24.93", NULL, NULL,
	    "mx.tillions.com", 0);
	host("([185.143.223.163]) [185.143.223.168]", "185.143.223.168", NULL,
	    "[185.143.223.163]", NULL, 0);
	host("ppp.example ([127.0.0.1]) [1.2.3.4]:51451", "1.2.3.4", "51451",
	    "[127.0.0.1]", "ppp.example", 0);
	host("[2001:db8::a11:beef:7ac0]:49956", "2001:db8::a11:beef:7ac0", "49956",
	    NULL, NULL, 0);
	host("localhost (srv) [::1]:49956", "::1", "49956", "srv", "localhost", 0);
	host("(x) [203.0.113.66] F=<a> rejected RCPT <b>: relay not permitted ("
	    "y) [192.0.2.5]:1234", NULL, NULL, NULL, NULL, 1);
	host("(same) [192.0.2.5]:1 is in an RBL (same) [192.0.2.5]:1", "192.0.2.5",
	    "1", "same", NULL, 0);
	/* nothing is quoted text: the real address may follow a '"' of the
	 * HELO, so a fake host in quotes after it makes the host ambiguous */
	host("[211.148.195.192]:25936 I=[1.2.3.4]:25 input=\"GET / H=(x) "
	    "[6.6.6.6] x\"", NULL, NULL, NULL, NULL, 1);
	host("(he\"lo) [192.0.2.9]:25", "192.0.2.9", "25", "he\"lo", NULL, 0);
	/* the issue's HELO 'x) [203.0.113.66] in "' (Exim 4.96 line) */
	host("(x) [203.0.113.66] in \") [192.0.2.10]:40000", NULL, NULL, NULL,
	    NULL, 1);
	host("(x) [203.0.113.66] rejected \") [192.0.2.10]:40000", NULL, NULL,
	    NULL, NULL, 1);
	/* after an address Exim writes a space, ':' or nothing */
	host("(x) [203.0.113.66]=\"a\") [192.0.2.10]:40000", "192.0.2.10",
	    "40000", "x) [203.0.113.66]=\"a\"", NULL, 0);
	host("(pc (set_id=victim@example.com)) [192.0.2.11]:40000", "192.0.2.11",
	    "40000", "pc (set_id=victim@example.com)", NULL, 0);
	/* a '[' of junk does not swallow the real address after it */
	host("(x) [junk) [192.0.2.12]:1", "192.0.2.12", "1", "x) [junk", NULL, 0);
	host("(x) [203.0.113.66]x) [192.0.2.13]", "192.0.2.13", NULL,
	    "x) [203.0.113.66]x", NULL, 0);
	/* the host text may start in client text before the real H= */
	host("[203.0.113.66] y\" H=mail.example.net [192.0.2.14]:25", NULL, NULL,
	    NULL, NULL, 1);
	host("[203.0.113.66] y\" H=[192.0.2.14]:25", NULL, NULL, NULL, NULL, 1);
	host("[192.0.2.15] y\" H=mail.example.net [192.0.2.15]:25", "192.0.2.15",
	    NULL, NULL, NULL, 0);
	/* a verified name is a word, whatever it holds */
	host("a\\(b [192.0.2.16]", "192.0.2.16", NULL, NULL, "a\\(b", 0);
	{
		static const char t[] = "(x) [192.0.2.17]:25 I=[198.51.100.1]:25 "
		    "in \"(y) [192.0.2.17]:26 z\" tail";
		struct eximlog_host h;

		eximlog_host_parse(t, strlen(t), &h);
		ok(span_is(h.ip, "192.0.2.17") &&
		    h.end == (size_t)(strstr(t, ":26") + 3 - t),
		    "host end: after the last candidate (%zu)", h.end);
		eximlog_host_parse("H=x", 3, &h);
		is_int((long long)h.end, 0, "host end: 0 without a candidate");
	}
	host("(x) [999.1.1.1]", NULL, NULL, NULL, NULL, 0);
	host("(x) [1.2.3]", NULL, NULL, NULL, NULL, 0);
	host("(x) [not:an:ip:zz]", NULL, NULL, NULL, NULL, 0);
	host("", NULL, NULL, NULL, NULL, 0);

	ok(eximlog_ip_valid("10.0.0.1", 8) && !eximlog_ip_valid("010.0.0.1", 9) &&
	    eximlog_ip_valid("fd00::10", 8) && !eximlog_ip_valid("1.2.3.4.5", 9),
	    "ip validation");

	/* syslog pid: bounded (UBSan: a long overflowed before) */
	body("Nov 22 08:00:01 mail exim[99999999999999999999999999999]: "
	    "Completed", "Completed", NULL, -1, -1, "syslog pid of 29 digits");
	body("Nov 22 08:00:01 mail exim[999999999]: Completed", "Completed",
	    NULL, 999999999, -1, "syslog pid of 9 digits");
	body("Nov 22 08:00:01 mail exim[1234567890]: Completed", "Completed",
	    NULL, -1, -1, "syslog pid of 10 digits");

	/* the fields after a host, up to the first other word */
	{
		const char *b = " I=[1.2.3.4]:25 X=TLS1.3:x:256 CV=no DN=\"C=x, "
		    "CN=a b\" SNI=m F=<\"a b\"@c> A=dl:u@d rejected RCPT <r@s>: "
		    "x (h F=<v@w> A=dl:v@w) [1.2.3.4]";
		struct span run = eximlog_fields(span_make(b, strlen(b)));

		ok(run.len == (size_t)(strstr(b, " rejected") - b),
		    "fields: up to 'rejected' (%zu)", run.len);
		ok(span_is(eximlog_tag(run, "F=<"), "\"a b\"@c") &&
		    span_is(eximlog_tag(run, "A="), "dl:u@d"),
		    "fields: F= and A= of the run, not of the message text");
		b = " P=esmtpsa L K PRDR TFO* X=x A=dl:u@d S=10 id*=a@b "
		    "T=\"x \\\" y\" for r@s";
		run = eximlog_fields(span_make(b, strlen(b)));
		ok(run.len == (size_t)(strstr(b, " for ") - b),
		    "fields: arrival flags and an escaped subject (%zu)", run.len);
		b = ": 535 Incorrect authentication data (set_id=x)";
		run = eximlog_fields(span_make(b, strlen(b)));
		is_int((long long)run.len, 0, "fields: none before ': 535'");
	}

	/* tags */
	{
		const char *b = "H=(x) [1.2.3.4] F=<a@b.c> A=dovecot_login:u@d rejected "
		    "RCPT <r@s>: x";
		struct span body = span_make(b, strlen(b));

		ok(span_is(eximlog_tag(body, "F=<"), "a@b.c"), "F= tag");
		ok(span_is(eximlog_tag(body, "A="), "dovecot_login:u@d"), "A= tag");
		ok(span_is(eximlog_tag(body, "RCPT <"), "r@s"), "RCPT tag");
		ok(!span_ok(eximlog_tag(body, "X=")), "absent tag");
	}
	{
		const char *b = "<= a@b H=x [1.2.3.4] P=esmtpa T=\"re: for you\" for "
		    "one@x two@y";
		struct span body = span_make(b, strlen(b));

		ok(span_is(eximlog_arrival_rcpt(body), "one@x"),
		    "arrival recipient after a subject holding ' for '");
	}
	{
		const char *b = "=> bob <bob@example.test> R=virtual_user T=x";
		struct span body = span_make(b, strlen(b));

		ok(span_is(eximlog_delivery_rcpt(body), "bob@example.test"),
		    "delivery shows the original address");
	}
	{
		static const struct {
			const char *body, *rcpt, *what;
		} d[] = {
			{ "** user@example.net: Unrouteable address", "user@example.net",
			    "4.96 '** addr: reason'" },
			{ "** user@example.net : Too many", "user@example.net",
			    "4.99 '** addr : reason'" },
			{ "** user@example.net R=dnslookup T=remote_smtp: x",
			    "user@example.net", "'** addr R=...'" },
			{ "=> :blackhole: <bh@example.com> R=virtual_aliases",
			    "bh@example.com", ":blackhole: with its original" },
			{ "=> :blackhole: R=virtual_aliases", NULL,
			    ":blackhole: alone" },
			{ "** :fail: No such user <gone@example.com> R=special : x",
			    "gone@example.com", ":fail: with text and original" },
			{ "** :fail: R=special : x", NULL, ":fail: alone" },
		};
		size_t i;

		for (i = 0; i < sizeof d / sizeof d[0]; i++) {
			struct span v = eximlog_delivery_rcpt(span_make(d[i].body,
			    strlen(d[i].body)));

			if (!ok(span_is(v, d[i].rcpt), "delivery recipient: %s",
			    d[i].what))
				printf("#   got '%.*s'\n", (int)v.len, v.p ? v.p : "");
		}
	}
	/* the per-hour cache of local time, across offset changes: at an
	 * hour (Berlin), and at half past (Lord Howe Island, 30 minutes) */
	local_minutes("Europe/Berlin", "2026-03-29");
	local_minutes("Europe/Berlin", "2026-10-25");
	local_minutes("Australia/Lord_Howe", "2026-04-05");
	local_minutes("Australia/Lord_Howe", "2026-10-04");
	return done_testing();
}
