/* json: writing JSON text into an sbuf.
 *
 * json_str() writes a quoted JSON string.  Input is arbitrary bytes (log text
 * is attacker-controlled): ", \ and control characters (C0, DEL and the C1
 * range U+0080..U+009F) are escaped, other valid UTF-8 is kept, every
 * invalid byte becomes U+FFFD, and <, >, & are written as \u003c \u003e
 * \u0026 so the output is safe to embed in HTML/chat markup. */
#ifndef EW_JSON_H
#define EW_JSON_H
#include <stddef.h>
#include <stdint.h>
#include "sbuf.h"

void json_str(struct sbuf *b, const char *s, size_t len);
void json_cstr(struct sbuf *b, const char *s);     /* NULL -> null */
void json_int(struct sbuf *b, int64_t v);

#endif
