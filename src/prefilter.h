/* prefilter: find which of a set of literals occur in a line, in one pass.
 *
 * On x86-64 with AVX2 (checked at run time) the scan is "Teddy" style: each
 * literal is known by a 3-byte fingerprint (its rarest 3 bytes in log text),
 * the literals are spread over 8 buckets, and nibble lookup tables
 * (PSHUFB) flag, 32 positions at a time, where a bucket's fingerprint may
 * start; only flagged positions are confirmed with memcmp.  Elsewhere (or
 * with many literals) a portable Wu-Manber scan: a shift table over 3-byte
 * blocks lets it jump ahead by up to (shortest literal - 2) bytes.  Both
 * find every occurrence of every literal.  Up to PREFILTER_MAX literals,
 * each at least 3 bytes. */
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
/* prefilter_set_simd: 0 forces the portable scan (tests, benchmarks); 1 (the
 * default) uses the SIMD scan where the CPU has it.  Any time after new. */
void prefilter_set_simd(struct prefilter *pf, int on);
/* prefilter_simd: 1 if prefilter_scan() uses the SIMD scan */
int prefilter_simd(const struct prefilter *pf);

/* prefilter_scan: set bit i of found[] for every literal i in s[0..n).
 * Reads only s[0..n).  Returns 1 if any literal was found. */
int prefilter_scan(const struct prefilter *pf, const char *s, size_t n,
    uint64_t found[PREFILTER_WORDS]);

/* prefilter_find: memmem() for the short needles and lines of the hot path
 * (no per-call setup: SIMD compare of the needle's first and last bytes).
 * Reads only h[0..hn). */
const char *prefilter_find(const char *h, size_t hn, const char *needle,
    size_t nn);

#endif
