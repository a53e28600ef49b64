/* test_json: JSON strings from hostile bytes stay valid and inert. */
#include <string.h>

#include "json.h"
#include "tap.h"

static const char *js(const char *s, size_t n)
{
	static struct sbuf b;
	static int init;

	if (!init) {
		sbuf_init(&b);
		init = 1;
	}
	sbuf_reset(&b);
	json_str(&b, s, n);
	return b.s;
}

int main(void)
{
	is_str(js("plain", 5), "\"plain\"", "plain text");
	is_str(js("a\"b\\c", 5), "\"a\\\"b\\\\c\"", "quote and backslash");
	is_str(js("\n\r\t\x01\x7f", 5), "\"\\n\\r\\t\\u0001\\u007f\"", "control bytes");
	is_str(js("<!channel> & <@U1>", 18),
	    "\"\\u003c!channel\\u003e \\u0026 \\u003c@U1\\u003e\"",
	    "markup characters escaped");
	is_str(js("caf\xc3\xa9", 5), "\"caf\xc3\xa9\"", "valid UTF-8 kept");
	is_str(js("a\xc2\x9b" "2J\xc2\x80\xc2\xa0", 9),
	    "\"a\\u009b2J\\u0080\xc2\xa0\"",
	    "C1 controls escaped (CSI 0xc2 0x9b), U+00A0 kept");
	is_str(js("\xff\xfe", 2), "\"\\ufffd\\ufffd\"", "invalid bytes become U+FFFD");
	is_str(js("\xc3", 1), "\"\\ufffd\"", "truncated sequence");
	is_str(js("\xe0\x80\xaf", 3), "\"\\ufffd\\ufffd\\ufffd\"", "overlong form");
	is_str(js("\xed\xa0\x80", 3), "\"\\ufffd\\ufffd\\ufffd\"", "surrogate");
	is_str(js("a\0b", 3), "\"a\\u0000b\"", "NUL byte");
	return done_testing();
}
