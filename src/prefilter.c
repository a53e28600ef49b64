/* prefilter: multi-literal scan (see prefilter.h) */
#include <stdlib.h>
#include <string.h>

#include "prefilter.h"
#include "xmalloc.h"

#define TBITS 15
#define TSIZE (1u << TBITS)

struct lit {
	char *s;
	size_t len;
};

struct prefilter {
	struct lit lits[PREFILTER_MAX];
	size_t n;
	size_t m;                 /* shortest literal */
	uint8_t shift[TSIZE];     /* by hash of the 3 bytes ending the window */
	/* literals whose m-prefix ends with a given block hash: chained */
	int16_t head[TSIZE];
	int16_t next[PREFILTER_MAX];
};

static inline uint32_t block_hash(const unsigned char *p)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;

	return (v * 2654435761u) >> (32 - TBITS);
}

struct prefilter *prefilter_new(void)
{
	return xcalloc(1, sizeof(struct prefilter));
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
	return (int)pf->n++;
}

size_t prefilter_count(const struct prefilter *pf)
{
	return pf->n;
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
}

int prefilter_scan(const struct prefilter *pf, const char *s, size_t n,
    uint64_t found[PREFILTER_WORDS])
{
	const unsigned char *p = (const unsigned char *)s;
	size_t m = pf->m, pos;
	int any = 0;

	memset(found, 0, PREFILTER_WORDS * sizeof *found);
	if (pf->n == 0 || n < m)
		return 0;
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
