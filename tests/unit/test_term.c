/* test_term: text made safe for a terminal (src/term.c): no C0 or C1
 * control, DEL or invalid UTF-8 byte gets through. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"
#include "tap.h"
#include "term.h"

static void text(const char *in, size_t maxw, const char *want, size_t wantw,
    const char *what)
{
	struct sbuf b;
	size_t w;

	sbuf_init(&b);
	w = term_text(&b, in, maxw);
	is_str(b.s, want, "term_text: %s", what);
	is_int((long long)w, (long long)wantw, "term_text: %s: columns", what);
	sbuf_release(&b);
}

static void escape(const char *in, size_t n, const char *want, const char *what)
{
	struct sbuf b;

	sbuf_init(&b);
	term_escape(&b, in, n, 0);
	is_str(b.s, want, "term_escape: %s", what);
	sbuf_release(&b);
}

int main(void)
{
	char buf[64];

	text("plain", 0, "plain", 5, "ASCII kept");
	text("j\xc3\xb6rg", 0, "j\xc3\xb6rg", 4, "UTF-8 kept, one column each");
	text("a\033[31mb", 0, "a?[31mb", 7, "ESC");
	text("a\xc2\x9b" "31mb", 0, "a?31mb", 6, "C1 CSI (0xc2 0x9b)");
	text("a\xff\x7f" "b", 0, "a??b", 4, "invalid byte, DEL");
	text("abcdefgh", 5, "abcd…", 5, "cut with an ellipsis");
	escape("a\xc2\x9b\033b\xff", 6, "a\\xc2\\x9b\\x1bb\\xff",
	    "escaped as \\xNN: C1, ESC, invalid");
	escape("a\0b", 3, "a\\x00b", "a NUL byte");
	snprintf(buf, sizeof buf, "x\xc2\x9by\tz\033");
	term_clean(buf, 1);
	is_str(buf, "x??y\tz?", "term_clean: same length, tab kept");

	return done_testing();
}
