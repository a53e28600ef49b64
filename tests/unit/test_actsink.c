/* test_actsink: the acting sinks' bodies — CrowdSec alerts (scope Ip or
 * Range, canonical targets, the decision; nothing for resolves, for groups
 * the guard kept back, for text that is no address), the JWT taken from a
 * login answer, the banlog lines, their appending and rotation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alertconf.h"
#include "capture.h"
#include "notice.h"
#include "sbuf.h"
#include "sink.h"
#include "tap.h"

static char *slurp(const char *path)
{
	static char buf[65536];
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (fp) {
		n = fread(buf, 1, sizeof buf - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	return buf;
}

int main(void)
{
	struct threshold_conf tc;
	struct sink_conf sc;
	struct notice n;
	struct notice_item it[5];
	struct sbuf b;
	char *token, dir[] = "/tmp/ewactsinkXXXXXX", path[128], err[256], *text;
	char *cls[1] = { "auth_failed" };
	int64_t exp;
	struct stat st;
	int i;

	memset(&tc, 0, sizeof tc);
	tc.id = "brute_force_ip";
	tc.classes = cls;
	tc.nclasses = 1;
	tc.by = BY_IP;
	tc.count = 5;
	tc.window = 600;
	tc.repeat = 3600;
	tc.severity = "warning";
	memset(&sc, 0, sizeof sc);
	sc.name = "lapi";
	sc.type = SINK_CROWDSEC;
	sc.url = "http://127.0.0.1:8080/";
	sc.login = "mail1";
	sc.secret = "pw";
	sc.decision_type = "ban";
	sc.duration = 4 * 3600;
	memset(it, 0, sizeof it);
	it[0].grp = "192.0.2.66";
	it[0].value = 6;
	it[0].started_at = 1795340000;
	it[0].sample = "x) [192.0.2.99] \"<!here>";
	it[1].grp = "2001:DB8:1:2::/64";
	it[1].value = 7;
	it[2].grp = "198.51.100.7";
	it[2].value = 9;
	it[2].not_acted = "known client of alice@example.com";
	it[3].grp = "192.0.2.1\"],\"x\":[\"";
	it[3].value = 9;
	it[4].grp = "203.0.113.5";
	it[4].resolved = 1;
	memset(&n, 0, sizeof n);
	n.tc = &tc;
	n.host = "mail1.example.com";
	n.classes = "auth_failed";
	n.now = 1795340060;
	n.items = it;
	n.nfiring = 4;
	n.nresolved = 1;
	n.top = 10;
	sbuf_init(&b);
	capture_begin();
	is_int(sink_render(&sc, &n, &b), 0, "crowdsec: a body for the firing groups");
	text = capture_end();
	is_str(text, "eximwatch: sink 'lapi': threshold brute_force_ip: the group "
	    "is not an address or network; not sent\n",
	    "the group that is no address is logged, without its text");
	free(text);
	ok(b.len && b.s[0] == '[' && b.s[b.len - 1] == ']', "an array of alerts");
	ok(strstr(b.s, "\"source\":{\"scope\":\"Ip\",\"value\":\"192.0.2.66\",\"ip\":"
	    "\"192.0.2.66\"}") != NULL, "an address: scope Ip");
	ok(strstr(b.s, "\"decisions\":[{\"origin\":\"eximwatch\",\"type\":\"ban\","
	    "\"scope\":\"Ip\",\"value\":\"192.0.2.66\",\"duration\":\"4h\","
	    "\"scenario\":\"eximwatch/brute_force_ip\"}]") != NULL,
	    "one decision: origin eximwatch, ban, 4h, scenario eximwatch/<id>");
	ok(strstr(b.s, "\"scope\":\"Range\",\"value\":\"2001:db8:1:2::/64\"") != NULL,
	    "a network: scope Range, canonical text");
	ok(strstr(b.s, "\"events_count\":6") && strstr(b.s, "\"capacity\":5") &&
	    strstr(b.s, "\"leakspeed\":\"10m\"") &&
	    strstr(b.s, "\"start_at\":\"2026-11-22T") &&
	    strstr(b.s, "\"message\":\"192.0.2.66 on mail1.example.com: auth_failed 6"),
	    "event count, capacity, leak speed, times, message");
	ok(strstr(b.s, "198.51.100.7") == NULL, "a group the guard kept back is not sent");
	ok(strstr(b.s, "192.0.2.1") == NULL && strstr(b.s, "\"x\"") == NULL,
	    "text that is no address is not sent");
	ok(strstr(b.s, "203.0.113.5") == NULL, "a resolve is not sent");
	ok(strstr(b.s, "192.0.2.99") == NULL && strstr(b.s, "here") == NULL,
	    "no log text (the sample) in the request");
	ok(strstr(b.s, "\"pw\"") == NULL, "no password in the stored body");
	sbuf_reset(&b);
	n.nfiring = 0;
	n.items = it + 4;
	n.nresolved = 1;
	is_int(sink_render(&sc, &n, &b), -1, "resolves only: nothing to send");
	n.items = it + 2;
	n.nfiring = 2;
	n.nresolved = 0;
	capture_begin();
	is_int(sink_render(&sc, &n, &b), -1,
	    "only kept-back and bogus groups: nothing to send");
	text = capture_end();
	ok(strstr(text, "the group is not an address or network; not sent") &&
	    strstr(text, "192.0.2.1") == NULL, "... the bogus one logged");
	free(text);
	sc.dry_run = 1;
	n.items = it;
	n.nfiring = 2;
	sbuf_reset(&b);
	is_int(sink_render(&sc, &n, &b), 0, "dry run: a body");
	is_str(b.s, "ban Ip 192.0.2.66 for 4h (eximwatch/brute_force_ip, 6 events)\n"
	    "ban Range 2001:db8:1:2::/64 for 4h (eximwatch/brute_force_ip, 7 events)\n",
	    "dry run: one line per decision, for the log");
	sc.dry_run = 0;

	/* the login answer */
	ok(sink_crowdsec_token("{\"code\":200,\"expire\":\"2026-12-05T15:10:03Z\","
	    "\"token\":\"eyJhbGc.eyJleHAi.-mzPA_yr\"}", &token, &exp) == 0 &&
	    strcmp(token, "eyJhbGc.eyJleHAi.-mzPA_yr") == 0 && exp == 1796483403,
	    "the JWT and its expiry from a login answer");
	free(token);
	is_int(sink_crowdsec_token("{\"token\":\"a\\r\\nX-Evil: 1\"}", &token, &exp),
	    -1, "a token with other characters is refused (header injection)");
	is_int(sink_crowdsec_token("{\"code\":401,\"message\":\"incorrect Username "
	    "or Password\"}", &token, &exp), -1, "an error answer has no token");

	/* banlog */
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof path, "%s/bans.log", dir);
	memset(&sc, 0, sizeof sc);
	sc.name = "bans";
	sc.type = SINK_BANLOG;
	sc.path = path;
	sc.duration = 3600;
	sc.max_size = 4096;
	n.items = it;
	n.nfiring = 4;
	n.nresolved = 1;
	n.host = "mail 1;rm";
	sbuf_reset(&b);
	is_int(sink_render(&sc, &n, &b), 0, "banlog: lines");
	is_str(b.s, "ban 192.0.2.66 duration=3600 threshold=brute_force_ip "
	    "host=mail_1_rm events=6\n"
	    "ban 2001:db8:1:2::/64 duration=3600 threshold=brute_force_ip "
	    "host=mail_1_rm events=7\n", "one line per decision, canonical, "
	    "the host a single word");
	is_int(sink_banlog_write(&sc, b.s, b.len, 1795340060, err, sizeof err), 0,
	    "written");
	is_str(slurp(path), "2026-11-22T09:34:20Z eximwatch ban 192.0.2.66 "
	    "duration=3600 threshold=brute_force_ip host=mail_1_rm events=6\n"
	    "2026-11-22T09:34:20Z eximwatch ban 2001:db8:1:2::/64 duration=3600 "
	    "threshold=brute_force_ip host=mail_1_rm events=7\n",
	    "each line with the time of writing");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640, "mode 0640");
	for (i = 0; i < 40; i++)
		sink_banlog_write(&sc, b.s, b.len, 1795340061, err, sizeof err);
	snprintf(err, sizeof err, "%s.1", path);
	ok(stat(path, &st) == 0 && st.st_size <= 4096, "rotated at max_size: "
	    "%lld bytes", (long long)st.st_size);
	ok(stat(err, &st) == 0 && st.st_size <= 4096 && st.st_size > 3000,
	    "the old lines in FILE.1");
	sc.path = "/nonexistent/dir/bans.log";
	is_int(sink_banlog_write(&sc, b.s, b.len, 1795340061, err, sizeof err), -1,
	    "an unwritable file fails");
	ok(strstr(err, "/nonexistent/dir/bans.log: No such file") != NULL,
	    "with the reason: %s", err);
	sbuf_release(&b);
	snprintf(path, sizeof path, "rm -rf %s", dir);
	if (system(path) != 0)
		return 1;
	return done_testing();
}
