/* json: JSON text output with escaping safe for hostile input (see json.h) */
#include <inttypes.h>
#include <stdio.h>

#include "json.h"
#include "utf8.h"

void json_str(struct sbuf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	sbuf_addc(b, '"');
	while (i < len) {
		unsigned char c = p[i];

		switch (c) {
		case '"':  sbuf_add(b, "\\\"", 2); i++; continue;
		case '\\': sbuf_add(b, "\\\\", 2); i++; continue;
		case '\n': sbuf_add(b, "\\n", 2); i++; continue;
		case '\r': sbuf_add(b, "\\r", 2); i++; continue;
		case '\t': sbuf_add(b, "\\t", 2); i++; continue;
		case '<':  sbuf_add(b, "\\u003c", 6); i++; continue;
		case '>':  sbuf_add(b, "\\u003e", 6); i++; continue;
		case '&':  sbuf_add(b, "\\u0026", 6); i++; continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f) {
			sbuf_addf(b, "\\u%04x", c);
			i++;
			continue;
		}
		k = utf8_seqlen(p + i, len - i);
		if (k == 2 && c == 0xc2 && p[i + 1] < 0xa0) {
			/* C1 controls (0xc2 0x9b is a CSI): escaped, so that
			 * JSON shown on a terminal cannot drive it */
			sbuf_addf(b, "\\u%04x", p[i + 1]);
			i += 2;
			continue;
		}
		if (k == 0) {
			sbuf_add(b, "\\ufffd", 6);
			i++;
			continue;
		}
		sbuf_add(b, p + i, k);
		i += k;
	}
	sbuf_addc(b, '"');
}

void json_cstr(struct sbuf *b, const char *s)
{
	size_t n = 0;

	if (s == NULL) {
		sbuf_adds(b, "null");
		return;
	}
	while (s[n])
		n++;
	json_str(b, s, n);
}

void json_int(struct sbuf *b, int64_t v)
{
	sbuf_addf(b, "%" PRId64, v);
}
