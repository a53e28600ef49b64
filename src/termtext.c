/* termtext: log text made safe for a terminal (see termtext.h) */
#include <string.h>

#include "termtext.h"
#include "utf8.h"

size_t termtext_add(struct sbuf *b, const char *s, size_t n, size_t maxw)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0, len, step;

	while (n > 0) {
		len = utf8_seqlen(p, n);
		step = len ? len : 1;
		if (maxw && w + 1 == maxw && n > step) {
			sbuf_adds(b, "…");
			return w + 1;
		}
		/* invalid, C0, DEL and C1 (0xc2 0x9b is CSI) are not shown */
		if (len == 0 || (len == 1 && (p[0] < 0x20 || p[0] == 0x7f)) ||
		    (len == 2 && p[0] == 0xc2 && p[1] < 0xa0))
			sbuf_addc(b, '?');
		else
			sbuf_add(b, p, len);
		p += step;
		n -= step;
		w++;
	}
	return w;
}

size_t termtext_width(const char *s, size_t maxw)
{
	struct sbuf b;
	size_t w;

	sbuf_init(&b);
	w = termtext_add(&b, s, strlen(s), maxw);
	sbuf_release(&b);
	return w;
}
