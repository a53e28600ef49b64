/* prefilter: multi-literal scan (see prefilter.h) */
#include <stdlib.h>
#include <string.h>

#include "prefilter.h"
#include "xmalloc.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_TEDDY 1
#else
#define HAVE_TEDDY 0
#endif

#define TBITS 15
#define TSIZE (1u << TBITS)

#define NBUCKETS 8
#define FP_LEN 4
/* more literals than this make Teddy's buckets too loose: Wu-Manber then */
#define TEDDY_MAX 96

struct lit {
	char *s;
	size_t len;
	/* for the Teddy confirm without a memcmp() call: the first 8 bytes
	 * (zero padded) and the mask of those that count; w1: for 8 < len <= 16
	 * the last 8 bytes, for longer ones bytes 8 to 15 */
	uint64_t w0, m0, w1;
};

struct prefilter {
	struct lit lits[PREFILTER_MAX];
	size_t n;
	size_t m;                 /* shortest literal */
	/* Wu-Manber */
	uint8_t shift[TSIZE];     /* by hash of the 3 bytes ending the window */
	/* literals whose m-prefix ends with a given block hash: chained */
	int16_t head[TSIZE];
	int16_t next[PREFILTER_MAX];
	/* Teddy: lo/hi nibble → bucket bits, per fingerprint byte; 16 bytes
	 * repeated in both 128-bit lanes */
	uint8_t lo[FP_LEN][32];
	uint8_t hi[FP_LEN][32];
	/* a bucket's literals, with their fingerprint bytes (up to 4, masked)
	 * at hand: most flagged positions are false hits, rejected here
	 * without touching the literal */
	struct bent {
		uint32_t fp, fpm;
		uint16_t k;
		uint8_t off, fc;
	} bucket[NBUCKETS][PREFILTER_MAX];
	uint16_t nbucket[NBUCKETS];
	int want_simd;
	int teddy;                /* built for, and using, the Teddy scan */
};

/* Rough byte frequencies (per 10,000) in Exim main-log bodies, from a real
 * cPanel log; only their order matters (choosing rare fingerprints and
 * grouping literals into buckets), never the result of a scan. */
static const uint16_t byte_freq[256] = {
	['\t'] = 1,
	[' '] = 761, ['"'] = 44, ['#'] = 3, ['%'] = 1, ['\''] = 6, ['('] = 54,
	[')'] = 54, ['*'] = 1, [','] = 1, ['-'] = 134, ['.'] = 493, ['/'] = 35,
	['0'] = 364, ['1'] = 378, ['2'] = 278, ['3'] = 174, ['4'] = 171,
	['5'] = 241, ['6'] = 168, ['7'] = 148, ['8'] = 151, ['9'] = 123,
	[':'] = 153, ['<'] = 24, ['='] = 244, ['>'] = 27, ['?'] = 1,
	['@'] = 69, ['A'] = 57, ['B'] = 11, ['C'] = 84, ['D'] = 37, ['E'] = 35,
	['F'] = 19, ['G'] = 25, ['H'] = 52, ['I'] = 62, ['J'] = 10, ['K'] = 24,
	['L'] = 37, ['M'] = 55, ['N'] = 23, ['O'] = 17, ['P'] = 66, ['Q'] = 17,
	['R'] = 36, ['S'] = 105, ['T'] = 114, ['U'] = 62, ['V'] = 24, ['W'] = 10,
	['X'] = 25, ['Y'] = 13, ['Z'] = 16, ['['] = 111, ['\\'] = 1, [']'] = 111,
	['_'] = 90, ['a'] = 246, ['b'] = 84, ['c'] = 271, ['d'] = 198,
	['e'] = 394, ['f'] = 97, ['g'] = 85, ['h'] = 75, ['i'] = 306, ['j'] = 23,
	['k'] = 50, ['l'] = 212, ['m'] = 255, ['n'] = 256, ['o'] = 416,
	['p'] = 125, ['q'] = 17, ['r'] = 284, ['s'] = 246, ['t'] = 314,
	['u'] = 146, ['v'] = 55, ['w'] = 37, ['x'] = 91, ['y'] = 62, ['z'] = 10,
	['{'] = 1, ['|'] = 2, ['}'] = 1,
};

static inline uint32_t block_hash(const unsigned char *p)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;

	return (v * 2654435761u) >> (32 - TBITS);
}

struct prefilter *prefilter_new(void)
{
	struct prefilter *pf = xcalloc(1, sizeof(struct prefilter));

	pf->want_simd = 1;
	return pf;
}

void prefilter_free(struct prefilter *pf)
{
	size_t i;

	if (pf == NULL)
		return;
	for (i = 0; i < pf->n; i++)
		free(pf->lits[i].s);
	free(pf);
}

int prefilter_add(struct prefilter *pf, const char *lit, size_t len)
{
	size_t i;

	if (len < 3)
		return -1;
	for (i = 0; i < pf->n; i++)
		if (pf->lits[i].len == len && memcmp(pf->lits[i].s, lit, len) == 0)
			return (int)i;
	if (pf->n == PREFILTER_MAX)
		return -1;
	pf->lits[pf->n].s = xstrndup(lit, len);
	pf->lits[pf->n].len = len;
	pf->lits[pf->n].w0 = pf->lits[pf->n].m0 = pf->lits[pf->n].w1 = 0;
	memcpy(&pf->lits[pf->n].w0, lit, len < 8 ? len : 8);
	pf->lits[pf->n].m0 = len >= 8 ? ~0ULL : (1ULL << (8 * len)) - 1;
	if (len > 8)
		memcpy(&pf->lits[pf->n].w1, lit + (len <= 16 ? len - 8 : 8), 8);
	return (int)pf->n++;
}

size_t prefilter_count(const struct prefilter *pf)
{
	return pf->n;
}

static double freq(unsigned char c)
{
	return (double)byte_freq[c] + 0.5;
}

/* nibble_prob: share of bytes (by frequency, f[hi][lo]) whose low nibble is
 * in lo and high nibble in hi (bit sets) */
static double nibble_prob(const double f[16][16], uint16_t lo, uint16_t hi)
{
	double p = 0;
	unsigned h, l;

	for (h = 0; h < 16; h++)
		if (hi >> h & 1)
			for (l = 0; l < 16; l++)
				if (lo >> l & 1)
					p += f[h][l];
	return p;
}

/* word_penalty: the byte model ignores that lowercase letters come in
 * words ("auth", "verif"): such fingerprints hit far more often than it
 * says */
static double word_penalty(const unsigned char *fp, size_t len)
{
	size_t k;

	for (k = 0; k < len; k++)
		if (fp[k] < 'a' || fp[k] > 'z')
			return 1;
	return 16;
}

/* teddy_build: fingerprints and buckets.  Literals are taken most frequent
 * first (by their rarest window); each gets the fingerprint window and
 * bucket that make the estimated false-hit rate grow least. */
static void teddy_build(struct prefilter *pf)
{
	uint16_t blo[NBUCKETS][FP_LEN], bhi[NBUCKETS][FP_LEN];
	double f[16][16], tot = 0, fpp[PREFILTER_MAX];
	uint16_t order[PREFILTER_MAX];
	size_t i, j, k, b;
	unsigned c;

	memset(blo, 0, sizeof blo);
	memset(bhi, 0, sizeof bhi);
	memset(pf->nbucket, 0, sizeof pf->nbucket);
	memset(pf->lo, 0, sizeof pf->lo);
	memset(pf->hi, 0, sizeof pf->hi);
	for (c = 0; c < 256; c++)
		tot += freq((unsigned char)c);
	for (c = 0; c < 256; c++)
		f[c >> 4][c & 15] = freq((unsigned char)c) / tot;
	for (i = 0; i < pf->n; i++) {
		const unsigned char *s = (const unsigned char *)pf->lits[i].s;
		double best = 0, p;
		size_t o;

		for (o = 0; o == 0 || o + FP_LEN <= pf->lits[i].len; o++) {
			for (p = 1, k = 0; k < FP_LEN && o + k < pf->lits[i].len; k++)
				p *= freq(s[o + k]);
			if (o == 0 || p < best)
				best = p;
		}
		fpp[i] = best;
		order[i] = (uint16_t)i;
	}
	/* most frequent first (insertion sort: few literals) */
	for (i = 1; i < pf->n; i++) {
		uint16_t v = order[i];

		for (j = i; j > 0 && fpp[order[j - 1]] < fpp[v]; j--)
			order[j] = order[j - 1];
		order[j] = v;
	}
	for (i = 0; i < pf->n; i++) {
		size_t l = order[i], len = pf->lits[l].len, o, bb = 0, bo = 0;
		const unsigned char *s = (const unsigned char *)pf->lits[l].s;
		uint16_t flo[FP_LEN], fhi[FP_LEN];
		double bestinc = -1, before[NBUCKETS];

		for (b = 0; b < NBUCKETS; b++)
			for (before[b] = 1, k = 0; k < FP_LEN; k++)
				before[b] *= nibble_prob(f, blo[b][k], bhi[b][k]);
		/* the offset is stored in a byte; a literal shorter than FP_LEN
		 * is its whole fingerprint, the rest matches anything */
		for (o = 0; (o == 0 || o + FP_LEN <= len) && o < 256; o++) {
			double pen = word_penalty(s + o, len - o < FP_LEN ? len - o : FP_LEN);

			for (b = 0; b < NBUCKETS; b++) {
				double after = 1, inc;

				for (k = 0; k < FP_LEN; k++) {
					uint16_t lo1 = o + k < len ? (uint16_t)(1u << (s[o + k] & 15)) : 0xffff;
					uint16_t hi1 = o + k < len ? (uint16_t)(1u << (s[o + k] >> 4)) : 0xffff;

					after *= nibble_prob(f, blo[b][k] | lo1, bhi[b][k] | hi1);
				}
				inc = (after - before[b]) * pen;
				if (bestinc < 0 || inc < bestinc) {
					bestinc = inc;
					bb = b;
					bo = o;
				}
			}
		}
		for (k = 0; k < FP_LEN; k++) {
			flo[k] = bo + k < len ? (uint16_t)(1u << (s[bo + k] & 15)) : 0xffff;
			fhi[k] = bo + k < len ? (uint16_t)(1u << (s[bo + k] >> 4)) : 0xffff;
			blo[bb][k] |= flo[k];
			bhi[bb][k] |= fhi[k];
		}
		{
			struct bent *be = &pf->bucket[bb][pf->nbucket[bb]++];
			size_t fl = len - bo < FP_LEN ? len - bo : FP_LEN;

			be->k = (uint16_t)l;
			be->off = (uint8_t)bo;
			be->fc = s[bo];
			be->fp = 0;
			memcpy(&be->fp, s + bo, fl);   /* little endian: see confirm() */
			be->fpm = fl >= 4 ? 0xffffffffu : (1u << (8 * fl)) - 1;
		}
	}
	for (b = 0; b < NBUCKETS; b++)
		for (k = 0; k < FP_LEN; k++)
			for (j = 0; j < 16; j++) {
				if (blo[b][k] >> j & 1)
					pf->lo[k][j] = pf->lo[k][j + 16] |= (uint8_t)(1u << b);
				if (bhi[b][k] >> j & 1)
					pf->hi[k][j] = pf->hi[k][j + 16] |= (uint8_t)(1u << b);
			}
}

static int cpu_has_avx2(void)
{
#if HAVE_TEDDY
	return __builtin_cpu_supports("avx2");
#else
	return 0;
#endif
}

static void choose(struct prefilter *pf)
{
	pf->teddy = pf->want_simd && pf->n > 0 && pf->n <= TEDDY_MAX &&
	    cpu_has_avx2();
}

void prefilter_set_simd(struct prefilter *pf, int on)
{
	pf->want_simd = on;
	choose(pf);
}

int prefilter_simd(const struct prefilter *pf)
{
	return pf->teddy;
}

void prefilter_build(struct prefilter *pf)
{
	size_t i, q, m = 255;

	for (i = 0; i < pf->n; i++)
		if (pf->lits[i].len < m)
			m = pf->lits[i].len;
	if (pf->n == 0)
		m = 3;
	pf->m = m;
	memset(pf->shift, (int)(m - 2), sizeof pf->shift);
	memset(pf->head, 0xff, sizeof pf->head);
	for (i = 0; i < pf->n; i++) {
		const unsigned char *s = (const unsigned char *)pf->lits[i].s;
		uint32_t h;

		/* block ending at q (q = 2..m-1) can shift by m-1-q */
		for (q = 2; q < m; q++) {
			h = block_hash(s + q - 2);
			if (pf->shift[h] > m - 1 - q)
				pf->shift[h] = (uint8_t)(m - 1 - q);
		}
		h = block_hash(s + m - 3);
		pf->next[i] = pf->head[h];
		pf->head[h] = (int16_t)i;
	}
	teddy_build(pf);
	choose(pf);
}

static int scan_wu_manber(const struct prefilter *pf, const unsigned char *p,
    size_t n, uint64_t found[PREFILTER_WORDS])
{
	size_t m = pf->m, pos;
	int any = 0;

	pos = m - 1;
	while (pos < n) {
		uint32_t h = block_hash(p + pos - 2);
		size_t sh = pf->shift[h];
		int16_t k;

		if (sh) {
			pos += sh;
			continue;
		}
		/* window p[pos-m+1 .. pos] is the m-prefix of some literal */
		for (k = pf->head[h]; k >= 0; k = pf->next[k]) {
			const struct lit *l = &pf->lits[k];
			size_t st = pos + 1 - m;

			if (st + l->len <= n && memcmp(p + st, l->s, l->len) == 0) {
				found[k >> 6] |= 1ULL << (k & 63);
				any = 1;
			}
		}
		pos++;
	}
	return any;
}

#if HAVE_TEDDY
static inline uint64_t load64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* lit_at: is literal l at p + st?  (st + l->len <= n; reads only p[0..n)) */
static inline int lit_at(const struct lit *l, const unsigned char *p, size_t n,
    size_t st)
{
	if (l->len <= 8 && st + 8 <= n)
		return ((load64(p + st) ^ l->w0) & l->m0) == 0;
	if (l->len > 8 && l->len <= 16)
		return ((load64(p + st) ^ l->w0) |
		    (load64(p + st + l->len - 8) ^ l->w1)) == 0;
	if (l->len > 16)   /* the first 16 bytes inline: most candidates fail */
		return ((load64(p + st) ^ l->w0) | (load64(p + st + 8) ^ l->w1)) == 0 &&
		    memcmp(p + st + 16, l->s + 16, l->len - 16) == 0;
	return memcmp(p + st, l->s, l->len) == 0;
}

/* confirm: the literals of the buckets in `bits` whose fingerprint may start
 * at pos (x86-64 only, so little endian: byte i of w is p[pos + i]) */
static int confirm(const struct prefilter *pf, const unsigned char *p,
    size_t n, size_t pos, unsigned bits, uint64_t found[PREFILTER_WORDS])
{
	uint32_t w = 0;
	int any = 0, wide = pos + 4 <= n;

	if (wide)
		memcpy(&w, p + pos, 4);
	while (bits) {
		unsigned b = (unsigned)__builtin_ctz(bits);
		const struct bent *be = pf->bucket[b];
		size_t j, nb = pf->nbucket[b];

		bits &= bits - 1;
		for (j = 0; j < nb; j++) {
			const struct lit *l;
			size_t o = be[j].off;

			if (wide ? ((w ^ be[j].fp) & be[j].fpm) != 0 : p[pos] != be[j].fc)
				continue;
			l = &pf->lits[be[j].k];
			if (pos < o || pos - o + l->len > n || !lit_at(l, p, n, pos - o))
				continue;
			found[be[j].k >> 6] |= 1ULL << (be[j].k & 63);
			any = 1;
		}
	}
	return any;
}

#if FP_LEN != 4
#error "teddy_block() looks at 4 bytes"
#endif

/* nibble lookup of the 4 bytes at q + k, for 32 positions: bit b of byte i
 * set if bucket b's fingerprint may start at q + i (unrolled, so that the
 * tables stay in registers) */
#define TEDDY_STEP(r, q, k, lo, hi, m0f) do { \
	__m256i v_ = _mm256_loadu_si256((const __m256i *)((q) + (k))); \
	r = _mm256_and_si256(r, _mm256_and_si256( \
	    _mm256_shuffle_epi8(lo, _mm256_and_si256(v_, m0f)), \
	    _mm256_shuffle_epi8(hi, \
	    _mm256_and_si256(_mm256_srli_epi16(v_, 4), m0f)))); \
} while (0)

#define TEDDY_BLOCK(r, q) do { \
	r = _mm256_set1_epi8(-1); \
	TEDDY_STEP(r, q, 0, t0, t1, m0f); \
	TEDDY_STEP(r, q, 1, t2, t3, m0f); \
	TEDDY_STEP(r, q, 2, t4, t5, m0f); \
	TEDDY_STEP(r, q, 3, t6, t7, m0f); \
} while (0)

/* scan_teddy: each position of p[0..n) is looked at by one block of 32.
 * A block reads 35 bytes (its 32 positions and 3 more) and never past n:
 * the last block is moved back to end at n, or for a line shorter than 35
 * bytes runs on a zero-padded copy.  A moved-back block ends its positions
 * at n - 4, so a literal shorter than 4 bytes ending the line is checked
 * apart. */
__attribute__((target("avx2")))
static int scan_teddy(const struct prefilter *pf, const unsigned char *p,
    size_t n, uint64_t found[PREFILTER_WORDS])
{
	const __m256i m0f = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
	const __m256i t0 = _mm256_loadu_si256((const __m256i *)pf->lo[0]);
	const __m256i t1 = _mm256_loadu_si256((const __m256i *)pf->hi[0]);
	const __m256i t2 = _mm256_loadu_si256((const __m256i *)pf->lo[1]);
	const __m256i t3 = _mm256_loadu_si256((const __m256i *)pf->hi[1]);
	const __m256i t4 = _mm256_loadu_si256((const __m256i *)pf->lo[2]);
	const __m256i t5 = _mm256_loadu_si256((const __m256i *)pf->hi[2]);
	const __m256i t6 = _mm256_loadu_si256((const __m256i *)pf->lo[3]);
	const __m256i t7 = _mm256_loadu_si256((const __m256i *)pf->hi[3]);
	unsigned char tail[64] __attribute__((aligned(32)));
	uint8_t hit[32] __attribute__((aligned(32)));
	size_t i = 0, base;
	int any = 0;

	for (;;) {
		const unsigned char *q;
		__m256i r;
		uint32_t mask, skip = 0;
		int last = 0;

		if (i + 32 + FP_LEN - 1 <= n) {
			q = p + i;
			base = i;
		} else if (n >= 32 + FP_LEN - 1) {
			/* positions base .. i-1 were done by the previous block */
			base = n - (32 + FP_LEN - 1);
			if (i - base >= 32)
				break;
			q = p + base;
			skip = (uint32_t)(i - base);
			last = 1;
		} else {
			memset(tail, 0, sizeof tail);
			memcpy(tail, p, n);
			q = tail;
			base = 0;
			last = 1;
		}
		TEDDY_BLOCK(r, q);
		mask = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(r, zero));
		if (skip)
			mask &= ~0u << skip;   /* skip < 32 */
		if (mask) {
			_mm256_store_si256((__m256i *)hit, r);
			do {
				unsigned at = (unsigned)__builtin_ctz(mask);

				mask &= mask - 1;
				any |= confirm(pf, p, n, base + at, hit[at], found);
			} while (mask);
		}
		if (last)
			break;
		i += 32;
	}
	if (n >= 32 + FP_LEN - 1 && pf->m < FP_LEN) {
		size_t j;

		for (j = 0; j < pf->n; j++) {
			const struct lit *l = &pf->lits[j];

			if (l->len < FP_LEN &&
			    memcmp(p + n - l->len, l->s, l->len) == 0) {
				found[j >> 6] |= 1ULL << (j & 63);
				any = 1;
			}
		}
	}
	return any;
}
#endif

#if HAVE_TEDDY
/* find_avx2: candidates where two bytes of the needle are in place, 32
 * at a time (as in W. Mula's "SIMD-friendly substring search").  The two
 * are the first and last that are not spaces: rule literals often begin
 * or end with one (" A=", " authenticator failed for "), and a pair of
 * spaces the right distance apart is found in nearly every block. */
__attribute__((target("avx2")))
static const char *find_avx2(const char *h, size_t hn, const char *nd,
    size_t nn)
{
	size_t k1 = 0, k2 = nn - 1, i = 0;
	__m256i c1, c2;

	while (k1 < nn - 1 && nd[k1] == ' ')
		k1++;
	while (k2 > k1 + 1 && nd[k2] == ' ')
		k2--;
	if (k2 <= k1) {
		k1 = 0;
		k2 = nn - 1;
	}
	c1 = _mm256_set1_epi8(nd[k1]);
	c2 = _mm256_set1_epi8(nd[k2]);
	for (; i + nn - 1 + 32 <= hn; i += 32) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(h + i + k1));
		__m256i b = _mm256_loadu_si256((const __m256i *)(h + i + k2));
		uint32_t mask = (uint32_t)_mm256_movemask_epi8(_mm256_and_si256(
		    _mm256_cmpeq_epi8(a, c1), _mm256_cmpeq_epi8(b, c2)));

		while (mask) {
			unsigned at = (unsigned)__builtin_ctz(mask);

			mask &= mask - 1;
			if (memcmp(h + i + at, nd, nn) == 0)
				return h + i + at;
		}
	}
	/* the rest: one more block, moved back to end at hn (the positions
	 * before i were done above) */
	if (i > 0 && i + nn <= hn) {
		size_t b0 = hn - (nn - 1) - 32;   /* < i, > i - 32 */
		__m256i a = _mm256_loadu_si256((const __m256i *)(h + b0 + k1));
		__m256i b = _mm256_loadu_si256((const __m256i *)(h + b0 + k2));
		uint32_t mask = (uint32_t)_mm256_movemask_epi8(_mm256_and_si256(
		    _mm256_cmpeq_epi8(a, c1), _mm256_cmpeq_epi8(b, c2)));

		mask &= ~0u << (i - b0);
		while (mask) {
			unsigned at = (unsigned)__builtin_ctz(mask);

			mask &= mask - 1;
			if (memcmp(h + b0 + at, nd, nn) == 0)
				return h + b0 + at;
		}
		return NULL;
	}
	for (; i + nn <= hn; i++)
		if (h[i + k1] == nd[k1] && h[i + k2] == nd[k2] &&
		    memcmp(h + i, nd, nn) == 0)
			return h + i;
	return NULL;
}
#endif

const char *prefilter_find(const char *h, size_t hn, const char *needle,
    size_t nn)
{
#if HAVE_TEDDY
	if (nn >= 2 && nn <= hn && cpu_has_avx2())
		return find_avx2(h, hn, needle, nn);
#endif
	return memmem(h, hn, needle, nn);
}

int prefilter_scan(const struct prefilter *pf, const char *s, size_t n,
    uint64_t found[PREFILTER_WORDS])
{
	const unsigned char *p = (const unsigned char *)s;

	memset(found, 0, PREFILTER_WORDS * sizeof *found);
	if (pf->n == 0 || n < pf->m)
		return 0;
#if HAVE_TEDDY
	if (pf->teddy)
		return scan_teddy(pf, p, n, found);
#endif
	return scan_wu_manber(pf, p, n, found);
}
