/* prefilter: find which of a set of literals occur in a line, in one pass.
 *
 * Wu-Manber style: a shift table over 3-byte blocks lets the scan jump
 * ahead by up to (shortest literal - 2) bytes, so a typical line costs a few
 * dozen table lookups; candidate windows are confirmed with memcmp.  Up to
 * PREFILTER_MAX literals, each at least 3 bytes. */
#ifndef EW_PREFILTER_H
#define EW_PREFILTER_H
#include <stddef.h>
#include <stdint.h>

#define PREFILTER_MAX 256
#define PREFILTER_WORDS (PREFILTER_MAX / 64)

struct prefilter;

struct prefilter *prefilter_new(void);
void prefilter_free(struct prefilter *pf);
/* prefilter_add: id of the literal (an existing id for a duplicate), -1 when
 * full or shorter than 3 bytes */
int prefilter_add(struct prefilter *pf, const char *lit, size_t len);
/* prefilter_build: after the last add */
void prefilter_build(struct prefilter *pf);
size_t prefilter_count(const struct prefilter *pf);

/* prefilter_scan: set bit i of found[] for every literal i in s[0..n).
 * Reads up to 3 bytes past s + n (callers' buffers are padded).  Returns 1
 * if any literal was found. */
int prefilter_scan(const struct prefilter *pf, const char *s, size_t n,
    uint64_t found[PREFILTER_WORDS]);

#endif
