/* term: text made safe for a terminal (see term.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "term.h"
#include "utf8.h"

/* unsafe: the length of the character at p (n bytes left) in *len, and
 * whether a terminal must not see it: invalid UTF-8 (*len = 1), C0, DEL,
 * or C1 (0xc2 0x80..0x9f) */
static int unsafe(const unsigned char *p, size_t n, size_t *len)
{
	size_t k = utf8_seqlen(p, n);

	*len = k ? k : 1;
	return k == 0 || (k == 1 && (p[0] < 0x20 || p[0] == 0x7f)) ||
	    (k == 2 && p[0] == 0xc2 && p[1] < 0xa0);
}

size_t term_textn(struct sbuf *b, const char *s, size_t n, size_t maxw)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0, len;
	int bad;

	while (n > 0) {
		bad = unsafe(p, n, &len);
		if (maxw && w + 1 == maxw && n > len) {
			sbuf_adds(b, "…");
			return w + 1;
		}
		if (bad)
			sbuf_addc(b, '?');
		else
			sbuf_add(b, p, len);
		p += len;
		n -= len;
		w++;
	}
	return w;
}

size_t term_text(struct sbuf *b, const char *s, size_t maxw)
{
	return term_textn(b, s, strlen(s), maxw);
}

size_t term_width_of(const char *s, size_t maxw)
{
	struct sbuf b;
	size_t w;

	sbuf_init(&b);
	w = term_text(&b, s, maxw);
	sbuf_release(&b);
	return w;
}

void term_escape(struct sbuf *b, const char *s, size_t n, int keep_tab)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, i;

	while (n > 0) {
		if (unsafe(p, n, &len) && !(keep_tab && p[0] == '\t')) {
			for (i = 0; i < len; i++)
				sbuf_addf(b, "\\x%02x", p[i]);
		} else {
			sbuf_add(b, p, len);
		}
		p += len;
		n -= len;
	}
}

void term_clean(char *s, int keep_tab)
{
	unsigned char *p = (unsigned char *)s;
	size_t n = strlen(s), len, i;

	while (n > 0) {
		if (unsafe(p, n, &len) && !(keep_tab && p[0] == '\t'))
			for (i = 0; i < len; i++)
				p[i] = '?';
		p += len;
		n -= len;
	}
}

int term_width(void)
{
	struct winsize ws;
	const char *c;
	long v;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) ==
	    0 && ws.ws_col > 0)
		return ws.ws_col;
	if ((c = getenv("COLUMNS")) != NULL && (v = strtol(c, NULL, 10)) >
	    20 && v < 1000)
		return (int)v;
	return 80;
}

int term_color(void)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	return isatty(STDOUT_FILENO) && (nc == NULL || nc[0] == '\0') &&
	    term != NULL && term[0] != '\0' && strcmp(term, "dumb") != 0;
}
