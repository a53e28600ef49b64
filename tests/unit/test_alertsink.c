/* test_alertsink: escaping of hostile log text for Slack (mrkdwn + JSON),
 * text cutting, the Standard Webhooks signature (against python's hmac),
 * backoff with full jitter and Retry-After parsing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "alertconf.h"
#include "notice.h"
#include "sbuf.h"
#include "sender.h"
#include "sink.h"
#include "tap.h"

static const char *hostile = "dovecot_login authenticator failed for "
    "(<!channel> <http://evil.example|click> <@U123> a&b `x`) [192.0.2.1]:1: "
    "535 Incorrect authentication data (set_id=<!here>@example.com)";

static struct threshold_conf tc;
static struct sink_conf slack, pd, am, hook;

static void render(struct sink_conf *s, struct notice *n, struct sbuf *out)
{
	sbuf_reset(out);
	sink_render(s, n, out);
}

int main(void)
{
	struct sbuf b;
	struct notice n;
	struct notice_item it[2];
	char *cls[] = { "auth_failed" }, *sinks[] = { "s" };
	char cmd[512], want[128];
	FILE *fp;
	int i, okb;
	int64_t d;

	sbuf_init(&b);
	notice_mrkdwn(&b, "<!channel> & <@U1>", 18);
	is_str(b.s, "&lt;!channel&gt; &amp; &lt;@U1&gt;", "mrkdwn: & < > become entities");

	sbuf_reset(&b);
	notice_cut(&b, "h\xc3\xa9llo world", 12, 6);
	is_str(b.s, "h\xc3\xa9\xe2\x80\xa6", "notice_cut: cut at a UTF-8 boundary, with an ellipsis");
	sbuf_reset(&b);
	notice_cut(&b, "short", 5, 5);
	is_str(b.s, "short", "notice_cut: short text unchanged");

	/* cutting after escaping: whole entities, whole characters */
	sbuf_reset(&b);
	ok(notice_mrkdwn_cut(&b, "&&&&", 4, 100, 12) == 1, "mrkdwn_cut: cut");
	is_str(b.s, "&amp;\xe2\x80\xa6", "mrkdwn_cut: a whole &amp; and \"…\" in 12 bytes");
	sbuf_reset(&b);
	notice_mrkdwn_cut(&b, "a<b>`c`", 7, 100, 100);
	is_str(b.s, "a&lt;b&gt;'c'", "mrkdwn_cut: < > escaped, backticks become quotes");
	sbuf_reset(&b);
	notice_mrkdwn_cut(&b, "\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 8, 100, 7);
	is_str(b.s, "\xf0\x9f\x98\x80\xe2\x80\xa6", "mrkdwn_cut: an emoji is never split");
	sbuf_reset(&b);
	notice_mrkdwn_cut(&b, "xx&yy", 5, 4, 100);
	is_str(b.s, "x\xe2\x80\xa6", "mrkdwn_cut: the raw cut first (4 bytes)");
	{
		char big[65536];
		size_t k, bad = 0;

		memset(big, '&', sizeof big);
		for (k = 0; k < 40; k++) {
			sbuf_reset(&b);
			notice_mrkdwn_cut(&b, big, sizeof big, 5000, 100 + k);
			if (b.len > 100 + k || b.len < 100 + k - 8 ||
			    strcmp(b.s + b.len - 3, "\xe2\x80\xa6") != 0 ||
			    (b.len - 3) % 5 != 0)
				bad++;
		}
		is_int(bad, 0, "mrkdwn_cut: 64 KiB of '&' to 100..139 bytes, whole entities");
	}
	is_int(notice_boundary("a\xc3\xa9" "b", 4, 2), 1, "boundary: not inside \xc3\xa9");
	is_int(notice_boundary("a\xc3\xa9" "b", 4, 3), 3, "boundary: after it");
	{
		char k1[300], k2[300];
		struct sbuf c;

		memset(k1, '<', sizeof k1);
		memcpy(k2, k1, sizeof k2);
		k2[299] = 'b';
		sbuf_init(&c);
		sbuf_reset(&b);
		notice_key(&b, k1, sizeof k1, 128);
		notice_key(&c, k2, sizeof k2, 128);
		ok(b.len <= 128 && c.len <= 128 && strcmp(b.s, c.s) != 0,
		    "key: two long texts, two keys of at most 128 bytes");
		sbuf_reset(&c);
		notice_key(&c, k1, sizeof k1, 128);
		is_str(c.s, b.s, "key: the same text, the same key");
		sbuf_reset(&c);
		notice_key(&c, "192.0.2.1", 9, 128);
		is_str(c.s, "192.0.2.1", "key: a short text is itself");
		sbuf_release(&c);
	}

	memset(&tc, 0, sizeof tc);
	tc.id = "brute_force_ip";
	tc.classes = cls;
	tc.nclasses = 1;
	tc.by = BY_IP;
	tc.count = 20;
	tc.window = 600;
	tc.repeat = 3600;
	tc.severity = "warning";
	tc.sinks = sinks;
	tc.nsinks = 1;
	memset(it, 0, sizeof it);
	it[0].grp = "192.0.2.1";
	it[0].value = it[0].peak = 25;
	it[0].sample = hostile;
	it[0].started_at = 1795340000;
	it[1].grp = "<@U999>";   /* a group can be log text too (accounts) */
	it[1].value = it[1].peak = 21;
	it[1].sample = hostile;
	memset(&n, 0, sizeof n);
	n.tc = &tc;
	n.host = "mail1<!channel>";
	n.classes = "auth_failed";
	n.remedy = "block <them> & relax";
	n.now = 1795340100;
	n.items = it;
	n.nfiring = 2;
	n.top = 10;
	slack.type = SINK_SLACK;
	slack.name = "s";
	render(&slack, &n, &b);
	ok(strchr(b.s, '<') == NULL && strchr(b.s, '>') == NULL,
	    "slack: no raw < or > anywhere in the payload");
	ok(strstr(b.s, "\\u0026lt;!channel\\u0026gt;") != NULL,
	    "slack: <!channel> arrives as &lt;!channel&gt; (JSON-escaped)");
	ok(strstr(b.s, "\\u0026lt;@U123\\u0026gt;") != NULL, "slack: <@U123> escaped");
	ok(strstr(b.s, "\\u0026lt;http://evil.example|click\\u0026gt;") != NULL,
	    "slack: a disguised link is escaped");
	ok(strstr(b.s, "`x`") == NULL && strstr(b.s, "'x'") != NULL,
	    "slack: backticks in log text cannot close a code span");
	ok(strstr(b.s, "\"text\":") == b.s + 1 && strstr(b.s, "\"blocks\":[") != NULL,
	    "slack: text fallback and blocks");
	ok(strstr(b.s, "Remedy") != NULL, "slack: the remedy is shown");
	/* hostile text is shortened */
	{
		char big[4000];
		struct notice n2 = n;
		struct notice_item it2 = it[0];

		memset(big, 'A', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		it2.sample = big;
		n2.items = &it2;
		n2.nfiring = 1;
		render(&slack, &n2, &b);
		ok(strstr(b.s, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") == NULL,
		    "slack: a long sample is shortened (%zu bytes body)", b.len);
	}

	pd.type = SINK_PAGERDUTY;
	pd.secret = "R0UTINGKEY";
	pd.url = "http://127.0.0.1:1/";
	render(&pd, &n, &b);
	ok(strstr(b.s, "\"event_action\":\"trigger\"") != NULL, "pagerduty: trigger");
	ok(strstr(b.s, "\"dedup_key\":\"eximwatch/mail1\\u003c!channel\\u003e/brute_force_ip\"") != NULL,
	    "pagerduty: stable dedup_key per host and threshold");
	ok(strstr(b.s, "R0UTINGKEY") == NULL, "pagerduty: the stored body has no routing key");
	{
		struct sink_request rq;

		sink_request(&pd, 7, b.s, b.len, 1795340100, NULL, &rq);
		ok(strncmp(rq.body.s, "{\"routing_key\":\"R0UTINGKEY\",\"event_action\"", 42) == 0,
		    "pagerduty: the routing key is added when sending");
		is_str(rq.url, "http://127.0.0.1:1/v2/enqueue", "pagerduty: URL");
		sink_request_release(&rq);
	}
	n.nfiring = 0;
	n.nresolved = 2;
	it[0].resolved = it[1].resolved = 1;
	n.still_firing = 1;
	sbuf_reset(&b);
	is_int(sink_render(&pd, &n, &b), -1, "pagerduty: no resolve while other groups fire");
	n.still_firing = 0;
	sbuf_reset(&b);
	is_int(sink_render(&pd, &n, &b), 0, "pagerduty: resolve when none fires");
	ok(strstr(b.s, "\"event_action\":\"resolve\"") != NULL, "pagerduty: resolve action");
	{
		/* summary at most 1024 bytes */
		struct notice_item many[300];
		char names[300][32];
		struct notice n3 = n;

		for (i = 0; i < 300; i++) {
			memset(&many[i], 0, sizeof many[i]);
			snprintf(names[i], sizeof names[i], "198.51.100.%d", i);
			many[i].grp = names[i];
			many[i].value = 30;
		}
		n3.items = many;
		n3.nfiring = 300;
		n3.nresolved = 0;
		n3.top = 300;
		render(&pd, &n3, &b);
		{
			const char *p = strstr(b.s, "\"summary\":\""), *e;

			ok(p != NULL, "pagerduty: a summary");
			e = p ? strstr(p + 11, "\",\"source\"") : NULL;
			int len = e ? (int)(e - (p + 11)) : 99999;
			const char *q;

			/* count the decoded bytes: each \u003c is one */
			for (q = p + 11; e && (q = strstr(q, "\\u00")) && q < e; q++)
				len -= 5;
			ok(len <= 1024, "pagerduty: summary <= 1024 bytes (%d)", len);
		}
	}
	n.nfiring = 2;
	n.nresolved = 0;
	it[0].resolved = it[1].resolved = 0;

	am.type = SINK_ALERTMANAGER;
	am.url = "http://127.0.0.1:9093";
	render(&am, &n, &b);
	ok(b.s[0] == '[' && strstr(b.s, "\"alertname\":\"brute_force_ip\"") &&
	    strstr(b.s, "\"ip\":\"192.0.2.1\"") && strstr(b.s, "\"endsAt\":"),
	    "alertmanager: an array of alerts with labels and endsAt");

	/* limits with hostile groups: ten all-'&' samples, 64 KiB accounts */
	{
		static char amp[240], acct[100][65537], names[1000][24];
		static struct notice_item h[1000];
		struct notice n4 = n;
		size_t k, sections = 0, blocks = 0, listed = 0, bad = 0;
		const char *p;

		memset(amp, '&', sizeof amp - 1);
		for (k = 0; k < 1000; k++) {
			memset(&h[k], 0, sizeof h[k]);
			snprintf(names[k], sizeof names[k], "198.51.%zu.%zu", k / 250,
			    k % 250);
			h[k].grp = names[k];
			h[k].value = h[k].peak = 1000 - (int64_t)k;
			h[k].sample = amp;
		}
		n4.items = h;
		n4.nfiring = 10;
		n4.nresolved = 0;
		render(&slack, &n4, &b);
		for (p = b.s; (p = strstr(p, "\"type\":\"section\"")); p++)
			sections++;
		for (p = b.s; (p = strstr(p, "198.51.0.")); p++)
			listed++;
		ok(sections >= 2 && listed == 10, "slack: ten hostile samples: "
		    "%zu sections, all %zu groups listed", sections, listed);
		/* every section's decoded text within 3000 bytes: mrkdwn is
		 * JSON-escaped as \u0026 (6 bytes for 1) */
		for (p = b.s; (p = strstr(p, "\"mrkdwn\",\"text\":\"")); p++) {
			const char *q = p + 17, *end = strstr(q, "\"}");
			size_t len = 0;

			for (; q < end; len++)
				q += strncmp(q, "\\u00", 4) == 0 ? 6 :
				    (*q == '\\' ? 2 : 1);
			if (len > 3000)
				bad++;
		}
		is_int(bad, 0, "slack: every text at most 3000 bytes");
		n4.nfiring = 1000;
		n4.top = 1000;
		render(&slack, &n4, &b);
		for (p = b.s; (p = strstr(p, "{\"type\":\"")); p++)
			blocks += strncmp(p + 8, "\"section\"", 9) == 0 ||
			    strncmp(p + 8, "\"header\"", 8) == 0 ||
			    strncmp(p + 8, "\"context\"", 9) == 0;
		ok(blocks <= 50 && strstr(b.s, " more") != NULL,
		    "slack: top 1000: %zu blocks, the rest counted", blocks);

		for (k = 0; k < 100; k++) {
			memset(acct[k], '<', 65536);
			snprintf(acct[k] + 65530, 7, "%06zu", k);
			h[k].grp = acct[k];
		}
		n4.nfiring = 100;
		n4.top = 100;
		render(&pd, &n4, &b);
		ok(b.len <= SINK_PAGERDUTY_BODY_MAX, "pagerduty: 100 accounts of 64 KiB "
		    "of '<': %zu bytes", b.len);
		p = strstr(b.s, "\"counts\":{");
		for (k = 0; p && (p = strstr(p + 1, "\xe2\x80\xa6")) && k < 200; k++)
			;
		ok(k >= 100, "pagerduty: their keys cut, with a hash each");
		render(&am, &n4, &b);
		ok(b.len < 100 * 10000 && strstr(b.s, "\"account\":") == NULL &&
		    strstr(b.s, "\"ip\":\"\\u003c\\u003c") != NULL,
		    "alertmanager: 100 such groups in %zu bytes", b.len);
	}

	/* Standard Webhooks signature, checked with python's hmac */
	hook.type = SINK_WEBHOOK;
	hook.url = "http://127.0.0.1:1/hook";
	hook.key = (unsigned char *)"\x31\xf2\x90\xf6\xbf\x06\x29\x8a\xab\x4f\x08\xd4"
	    "\x3c\x3f\x08\x2c\xf6\x48\xa3\x62\xda\x2d\xa4\xb0";
	hook.keylen = 24;
	sbuf_reset(&b);
	webhook_sign(hook.key, hook.keylen, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
	    "{\"test\": 2432232314}", 20, &b);
	/* the example from the Standard Webhooks spec */
	is_str(b.s, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
	    "signature matches the Standard Webhooks example");
	snprintf(cmd, sizeof cmd, "python3 -c 'import hmac,hashlib,base64;"
	    "print(\"v1,\"+base64.b64encode(hmac.new(base64.b64decode("
	    "\"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"),b\"msg_42.1700000000.{\\\"a\\\":"
	    "\\\"<b>\\\"}\",hashlib.sha256).digest()).decode())'");
	fp = popen(cmd, "r");
	okb = fp && fgets(want, sizeof want, fp) != NULL;
	if (fp)
		pclose(fp);
	if (okb) {
		want[strcspn(want, "\n")] = '\0';
		sbuf_reset(&b);
		webhook_sign(hook.key, hook.keylen, "msg_42", 1700000000,
		    "{\"a\":\"<b>\"}", 11, &b);
		is_str(b.s, want, "signature matches python's hmac");
	} else {
		ok(1, "# SKIP python3 not available");
	}
	{
		struct sink_request rq;
		struct curl_slist *h;
		int have[3] = { 0, 0, 0 };

		sink_request(&hook, 42, "{}", 2, 1700000000, NULL, &rq);
		for (h = rq.headers; h; h = h->next) {
			have[0] |= strcmp(h->data, "webhook-id: msg_42") == 0;
			have[1] |= strcmp(h->data, "webhook-timestamp: 1700000000") == 0;
			have[2] |= strncmp(h->data, "webhook-signature: v1,", 22) == 0;
		}
		ok(have[0] && have[1] && have[2], "webhook: id, timestamp and signature headers");
		sink_request_release(&rq);
	}

	/* backoff: full jitter within [floor, min(max, initial * 2^n)] */
	okb = 1;
	for (i = 0; i < 20; i++) {
		double r;

		for (r = 0; r < 1; r += 0.05) {
			int64_t cap = 1000LL << (i < 20 ? i : 20);

			if (cap > 60000)
				cap = 60000;
			d = backoff_delay(1000, 60000, i, r);
			if (d < 100 || d > cap)
				okb = 0;
		}
	}
	ok(okb, "backoff within [100ms, min(max, initial*2^n)] for 20 attempts");
	is_int(backoff_delay(1000, 60000, 0, 0.999999), 1000, "attempt 0: at most initial");
	is_int(backoff_delay(1000, 60000, 30, 0.999999), 60000, "capped at max");
	is_int(backoff_delay(1000, 60000, 3, 0.5), 4000, "attempt 3, r=0.5: half of 8s");
	is_int(backoff_delay(1000, 60000, 3, 0.0), 100, "never below the floor");
	is_int(retry_after_ms("7", 0), 7000, "Retry-After: seconds");
	is_int(retry_after_ms("Wed, 21 Oct 2015 07:28:10 GMT", 1445412480000LL), 10000,
	    "Retry-After: HTTP date");
	is_int(retry_after_ms("soon", 0), -1, "Retry-After: junk");
	ok(sender_too_large(413, "") && sender_too_large(400, "invalid_blocks") &&
	    sender_too_large(400, "{\"errors\":[\"'summary' is too long "
	    "(maiximum is 1024 characters)\"],\"message\":\"Event object is "
	    "invalid\"}"), "too large: 413, Slack's invalid_blocks, PagerDuty's "
	    "too long");
	ok(!sender_too_large(400, "invalid_payload") &&
	    !sender_too_large(404, "no_service") &&
	    !sender_too_large(403, "too large") &&
	    !sender_too_large(400, "{\"errors\":[\"Length of 'routing_key' is "
	    "incorrect\"]}"), "not too large: other refusals");
	sbuf_release(&b);
	return done_testing();
}
