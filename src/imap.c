/* imap: a map of two 64-bit keys to an index (see imap.h) */
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "imap.h"
#include "xmalloc.h"

void imap_release(struct imap *m)
{
	free(m->s);
	memset(m, 0, sizeof *m);
}

static inline size_t imap_hash(uint64_t a, uint64_t b)
{
	return (size_t)hash_mix(hash_mix(a ^ 0x9e3779b97f4a7c15ULL,
	    0xbf58476d1ce4e5b9ULL) ^ b, 0x94d049bb133111ebULL);
}

uint32_t *imap_find(struct imap *m, uint64_t a, uint64_t b)
{
	size_t mask, i;

	if (m->cap == 0 || (m->n + 1) * 2 > m->cap) {
		struct imap o = *m;
		size_t j;

		m->cap = m->cap ? 2 * m->cap : 16;
		m->s = xcalloc(m->cap, sizeof *m->s);
		mask = m->cap - 1;
		for (j = 0; j < o.cap; j++) {
			if (!o.s[j].v)
				continue;
			for (i = imap_hash(o.s[j].a, o.s[j].b) & mask; m->s[i].v;
			    i = (i + 1) & mask)
				;
			m->s[i] = o.s[j];
		}
		free(o.s);
	}
	mask = m->cap - 1;
	for (i = imap_hash(a, b) & mask; m->s[i].v; i = (i + 1) & mask)
		if (m->s[i].a == a && m->s[i].b == b)
			break;
	m->s[i].a = a;
	m->s[i].b = b;
	return &m->s[i].v;
}
