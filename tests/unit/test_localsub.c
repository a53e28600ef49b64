/* test_localsub: who submitted a local message — logins, home
 * directories, and pairing cwd= lines with arrivals (more cases, through
 * the whole pipeline, in tests/rules/90-traffic.cases). */
#include <stdio.h>
#include <string.h>

#include "eximlog.h"
#include "localsub.h"
#include "tap.h"

static struct eximlog_clock clk;

static void parse(const char *line, struct eximlog_line *ln)
{
	eximlog_parse(&clk, line, strlen(line), ln);
}

static const char *home(const char *dir)
{
	static char buf[64];
	struct span u = localsub_home_user(span_make(dir, strlen(dir)));

	if (!span_ok(u))
		return NULL;
	snprintf(buf, sizeof buf, "%.*s", (int)u.len, u.p);
	return buf;
}

static const char *who(struct localsub *l, const char *line, int *sys)
{
	static char buf[256];
	struct eximlog_line ln;
	struct localsub_who w;

	parse(line, &ln);
	localsub_arrival(l, &ln, &w);
	*sys = w.system;
	if (!span_ok(w.user))
		return NULL;
	snprintf(buf, sizeof buf, "%.*s", (int)w.user.len, w.user.p);
	return buf;
}

int main(void)
{
	struct localsub *l = localsub_new();
	struct eximlog_line ln;
	char line[256];
	int sys, i;

	is_str(home("/home/acme/public_html"), "acme", "/home/USER/...");
	is_str(home("/home2/bravo"), "bravo", "/home2/USER");
	is_str(home("/home/acme"), "acme", "the home itself");
	ok(home("/home") == NULL, "/home alone: nobody");
	ok(home("/homeless/x") == NULL, "not a home directory");
	ok(home("/var/www/html") == NULL, "elsewhere: nobody");
	ok(home("/home/../root/x") == NULL, "'..' is no login");
	ok(home("/home/a b/x") == NULL, "a space is no login");
	is_int(localsub_user_kind("acme", 4), LOCALSUB_PERSON, "a person");
	is_int(localsub_user_kind("nobody", 6), LOCALSUB_SHARED, "nobody is "
	    "shared");
	is_int(localsub_user_kind("www-data", 8), LOCALSUB_SHARED, "www-data "
	    "is shared");
	is_int(localsub_user_kind("root", 4), LOCALSUB_SYSTEM, "root is the "
	    "system's");
	is_int(localsub_user_kind("mailnull", 8), LOCALSUB_SYSTEM, "mailnull");
	is_int(localsub_user_kind("cpses_ab1", 9), LOCALSUB_SYSTEM, "cPanel's "
	    "session logins");

	/* cwd lines: which are remembered */
	parse("2026-11-22 10:00:00 cwd=/home/acme/x 3 args: /usr/sbin/sendmail "
	    "-t -i", &ln);
	is_int(localsub_line(l, &ln), 1, "a cwd= line is taken");
	parse("2026-11-22 10:00:00 1xV2wU-00011p-2r <= a@b U=x P=local", &ln);
	is_int(localsub_line(l, &ln), 0, "another line is not");
	is_str(who(l, "2026-11-22 10:00:00 1xV2wU-00011p-2r <= w@acme.test "
	    "U=nobody P=local S=1", &sys), "acme", "paired");
	ok(who(l, "2026-11-22 10:00:00 1xV2wU-00011q-2r <= w@acme.test "
	    "U=nobody P=local S=1", &sys) == NULL, "a cwd= line is claimed once");

	parse("2026-11-22 10:00:01 cwd=/home/acme 4 args: /usr/sbin/exim -Mrm "
	    "1xV2wU-00011p-2r", &ln);
	localsub_line(l, &ln);
	parse("2026-11-22 10:00:01 cwd=/home/acme 2 args: /usr/sbin/exim -bp", &ln);
	localsub_line(l, &ln);
	ok(who(l, "2026-11-22 10:00:01 1xV2wU-00011r-2r <= w@acme.test "
	    "U=nobody P=local S=1", &sys) == NULL, "an admin's exim -Mrm or "
	    "-bp is no submission");

	/* Exim's own bounce: its cwd line (the spool, here not under
	 * /var/spool/exim) is no submission, so a web arrival 5 s later does
	 * not take it (the realexim harness's spool is in /tmp) */
	parse("2026-11-22 10:00:01 cwd=/tmp/rx/spool 9 args: /usr/sbin/exim4 "
	    "-C /tmp/rx/exim.conf -t -oem -oi -f <> -E1xV2wU-00011p-2r", &ln);
	is_int(localsub_line(l, &ln), 1, "a bounce's cwd= line is read");
	parse("2026-11-22 10:00:06 cwd=/home/ember/public_html 5 args: "
	    "/usr/sbin/exim4 -odi -f w@ember.test v@remote.test", &ln);
	localsub_line(l, &ln);
	is_str(who(l, "2026-11-22 10:00:06 1xV2wU-00011v-2r <= w@ember.test "
	    "U=nobody P=local S=1", &sys), "ember", "... but is no submission: "
	    "the web arrival 5 s later gets its own cwd");

	/* a person's U= wins over a cwd in another home */
	parse("2026-11-22 10:00:02 cwd=/home/bravo 3 args: /usr/sbin/sendmail "
	    "-t -i", &ln);
	localsub_line(l, &ln);
	is_str(who(l, "2026-11-22 10:00:02 1xV2wU-00011s-2r <= x@acme.test "
	    "U=acme P=local S=1", &sys), "acme", "U= of a person");
	is_str(who(l, "2026-11-22 10:00:02 1xV2wU-00011t-2r <= x@bravo.test "
	    "U=www-data P=local S=1", &sys), "bravo", "the unclaimed line goes "
	    "to the next web arrival");
	ok(who(l, "2026-11-22 10:00:03 1xV2wU-00011u-2r <= root@x U=root "
	    "P=local S=1", &sys) == NULL && sys, "root: the system's, nobody's");

	/* more lines than slots: the oldest go, nothing breaks */
	for (i = 0; i < 3 * LOCALSUB_SLOTS; i++) {
		snprintf(line, sizeof line, "2026-11-22 10:01:00 [%d] cwd=/home/u%d "
		    "3 args: /usr/sbin/sendmail -t -i", 100 + i, i);
		parse(line, &ln);
		localsub_line(l, &ln);
	}
	snprintf(line, sizeof line, "2026-11-22 10:01:01 [%d] 1xV2wU-00011v-2r "
	    "<= x@y U=nobody P=local S=1", 100 + 3 * LOCALSUB_SLOTS - 1);
	is_str(who(l, line, &sys), "u95", "by pid, among many");
	snprintf(line, sizeof line, "2026-11-22 10:01:01 [%d] 1xV2wU-00011w-2r "
	    "<= x@y U=nobody P=local S=1", 100);
	ok(who(l, line, &sys) == NULL, "a pid whose line was pushed out: nobody");

	localsub_free(l);
	return done_testing();
}
