/* utf8: checking bytes for UTF-8 (log text may be anything) */
#ifndef EW_UTF8_H
#define EW_UTF8_H
#include <stddef.h>

/* utf8_seqlen: length of the valid UTF-8 sequence at p (n bytes left), 0 if
 * invalid: overlong forms, surrogates and code points past U+10FFFF too */
size_t utf8_seqlen(const unsigned char *p, size_t n);
/* utf8_valid: 1 if s[0..n) is valid UTF-8 */
int utf8_valid(const char *s, size_t n);
/* utf8_ascii: 1 if s[0..n) has no byte >= 0x80 (word at a time) */
int utf8_ascii(const char *s, size_t n);

/* utf8_printable: s[0..n) as text that is safe to keep as a C string, store
 * and show: printable ASCII and valid UTF-8 characters from U+00A0 are kept,
 * every other byte (NUL, controls, DEL, C1 controls, bytes that are not
 * UTF-8) becomes the four characters \xNN.  At most cap - 1 bytes go to
 * dst, then a NUL; a text that does not fit is cut between characters and
 * ends in "…".  Returns the length written (no NUL inside).  cap >= 8. */
size_t utf8_printable(char *dst, size_t cap, const char *s, size_t n);

#endif
