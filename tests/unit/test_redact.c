/* test_redact: secrets masked in configuration lines, messages and texts
 * from outside (src/redact.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"
#include "sbuf.h"
#include "tap.h"

static void line(const char *in, int col, const char *want, int want_col,
    const char *what)
{
	struct sbuf b;
	int c = col;

	sbuf_init(&b);
	redact_line(&b, in, &c);
	is_str(b.s, want, "line: %s", what);
	if (col > 0)
		is_int(c, want_col, "line: %s: the caret's column", what);
	sbuf_release(&b);
}

static void urls(const char *in, const char *want, const char *what)
{
	struct sbuf b;

	sbuf_init(&b);
	redact_urls(&b, in);
	is_str(b.s, want, "urls: %s", what);
	sbuf_release(&b);
}

static void apply(const struct redact *r, const char *in, size_t size,
    const char *want, const char *what)
{
	char buf[512];

	snprintf(buf, sizeof buf, "%s", in);
	redact_apply(r, buf, size);
	is_str(buf, want, "apply: %s", what);
}

int main(void)
{
	struct redact *r;

	/* keys */
	ok(redact_key("url", 3) && redact_key("secret", 6) &&
	    redact_key("password", 8) && redact_key("routing_key", 11) &&
	    redact_key("api_token", 9), "secret keys: url, secret, password, "
	    "routing_key, api_token");
	ok(!redact_key("url_file", 8) && !redact_key("password_env", 12) &&
	    !redact_key("type", 4) && !redact_key("monkey", 6) &&
	    !redact_key("curl", 4), "not secret: url_file, password_env, type, "
	    "monkey, curl");

	/* configuration lines */
	line("    url: htps://hooks.slack.com/services/T0/B0/SUPERSECRETTOKEN123",
	    10, "    url: ***", 10, "a block mapping's url");
	line("  s: {type: webhook, url: \"https://x.example/h?k=S3CRET\", "
	    "secret: whsec_abc, timeout: 1s}", 78,
	    "  s: {type: webhook, url: ***, secret: ***, timeout: 1s}", 45,
	    "a flow mapping: quoted and plain values, the caret after them");
	line("  s: {type: webhook, url: \"https://x.example/h?k=S3CRET\"}", 40,
	    "  s: {type: webhook, url: ***}", 27,
	    "a caret inside a masked value goes to its start");
	line("    routing_key: 'R0UT''ING' # the key", 18,
	    "    routing_key: *** # the key", 18,
	    "single quotes, a comment kept");
	line("    password: hunter2hunter2", 0, "    password: ***",
	    0, "password (a CrowdSec sink)");
	line("    \"secret\": \"a\\\"b\"", 0, "    \"secret\": ***", 0,
	    "a quoted key, an escaped quote");
	line("    url_file: /etc/eximwatch/slack.url", 5,
	    "    url_file: /etc/eximwatch/slack.url", 5,
	    "a file name is no secret");
	line("  - {type: slack, url https://hooks.slack.com/services/T/B/TOKEN1}",
	    20, "  - {type: slack, url https://hooks.slack.com/***}", 20,
	    "no colon: the URL's path still masked");
	line("proxy: http://user:pa55word@proxy.example:3128", 0,
	    "proxy: http://user:***@proxy.example:3128", 0,
	    "a proxy's password");
	line("log: /var/log/exim_mainlog", 6, "log: /var/log/exim_mainlog", 6,
	    "nothing to mask");
	line("    url:", 0, "    url:", 0, "an empty value");

	/* messages */
	urls("unknown key 'url https://hooks.slack.com/services/T/B/X' in sink",
	    "unknown key 'url https://hooks.slack.com/***' in sink",
	    "a URL in a message");
	urls("the url must start with https:// or http://",
	    "the url must start with https:// or http://",
	    "a scheme alone is no URL");
	urls("see https://example.org, then", "see https://example.org, then",
	    "a URL without a path");

	/* the secrets of a sink */
	r = redact_new();
	redact_add(r, "https://hooks.slack.com/services/T000/B000/XXXXSECRET");
	redact_add(r, "R0UTINGKEY0123456789");
	redact_add(r, "k");     /* too short to look for */
	apply(r, "HTTP 404: no hook /services/T000/B000/XXXXSECRET here", 512,
	    "HTTP 404: no hook /*** here", "a server quoting the path");
	apply(r, "invalid_token: XXXXSECRET", 512, "invalid_token: ***",
	    "the last segment alone");
	apply(r, "POST https://hooks.slack.com/services/T000/B000/XXXXSECRET "
	    "failed", 512, "POST https://hooks.slack.com/*** failed",
	    "the whole URL keeps its host");
	apply(r, "{\"routing_key\":\"R0UTINGKEY0123456789\"} is invalid", 512,
	    "{\"routing_key\":\"***\"} is invalid", "a routing key");
	apply(r, "keep k and K", 512, "keep k and K", "a one-letter value is "
	    "not looked for");
	apply(r, "XXXXSECRET XXXXSECRET", 8, "*** ***", "cut to the buffer");
	apply(NULL, "at https://a.example/p/q?x=1 now", 512,
	    "at https://a.example/*** now", "no set: URL paths still masked");
	redact_free(r);

	return done_testing();
}
