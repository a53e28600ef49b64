/* sbuf: a growable, always NUL-terminated byte string.
 * Caller-owned struct: sbuf_init() before use, sbuf_release() after. */
#ifndef EW_SBUF_H
#define EW_SBUF_H
#include <stddef.h>

struct sbuf {
	char *s;     /* NUL-terminated; never NULL after sbuf_init() */
	size_t len;  /* bytes before the NUL */
	size_t cap;
};

void sbuf_init(struct sbuf *b);
void sbuf_release(struct sbuf *b);
void sbuf_reset(struct sbuf *b);                  /* len = 0, keeps memory */
void sbuf_add(struct sbuf *b, const void *p, size_t n);
void sbuf_addc(struct sbuf *b, char c);
void sbuf_adds(struct sbuf *b, const char *s);
void sbuf_addf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* sbuf_detach: hand the string to the caller (free()), leave b empty */
char *sbuf_detach(struct sbuf *b);

#endif
