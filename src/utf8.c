/* utf8: UTF-8 checks (see utf8.h) */
#include <stdint.h>
#include <string.h>

#include "utf8.h"

size_t utf8_seqlen(const unsigned char *p, size_t n)
{
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (p[0] == 0xe0 && p[1] < 0xa0)
			return 0;
		if (p[0] == 0xed && p[1] >= 0xa0)
			return 0;
		return 3;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		if (p[0] == 0xf0 && p[1] < 0x90)
			return 0;
		if (p[0] == 0xf4 && p[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

int utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = utf8_seqlen(p + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

int utf8_ascii(const char *s, size_t n)
{
	uint64_t acc = 0, w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		acc |= w;
	}
	for (; i < n; i++)
		acc |= (unsigned char)s[i];
	return (acc & 0x8080808080808080ULL) == 0;
}

size_t utf8_printable(char *dst, size_t cap, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, mark = 0, in, out;
	char esc[4];
	const char *u;

	while (i < n) {
		u = s + i;
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			in = out = 1;
		} else if (p[i] >= 0x80 && (in = utf8_seqlen(p + i, n - i)) > 0 &&
		    !(p[i] == 0xc2 && p[i + 1] < 0xa0)) {
			out = in;            /* a character, not a C1 control */
		} else {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[p[i] >> 4];
			esc[3] = hex[p[i] & 15];
			u = esc;
			in = 1;
			out = 4;
		}
		if (o + out > cap - 1) {
			/* cut after the last character that leaves room for "…" */
			memcpy(dst + mark, "\xe2\x80\xa6", 3);
			dst[mark + 3] = '\0';
			return mark + 3;
		}
		memcpy(dst + o, u, out);
		o += out;
		i += in;
		if (o + 3 <= cap - 1)
			mark = o;
	}
	dst[o] = '\0';
	return o;
}
