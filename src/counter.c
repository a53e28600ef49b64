/* counter: in-memory aggregation (see counter.h) */
#include <stdlib.h>
#include <string.h>

#include "counter.h"
#include "xmalloc.h"

struct counter {
	struct counter_row *rows;
	size_t nrows, caprows;
	uint32_t *slots;       /* 0 = empty, else row index + 1 */
	size_t nslots;         /* power of two */
	char *arena;
	size_t alen, acap;
	uint64_t total;
};

static uint64_t hash_key(int64_t bucket, uint32_t cls, const char *ip,
    size_t il, const char *ac, size_t al)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)bucket * 0xff51afd7ed558ccdULL;
	size_t i;

	h ^= cls * 0xc4ceb9fe1a85ec53ULL;
	for (i = 0; i < il; i++)
		h = (h ^ (unsigned char)ip[i]) * 0x100000001b3ULL;
	h ^= 0xff;
	for (i = 0; i < al; i++)
		h = (h ^ (unsigned char)ac[i]) * 0x100000001b3ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

struct counter *counter_new(void)
{
	struct counter *c = xcalloc(1, sizeof *c);

	c->nslots = 1024;
	c->slots = xcalloc(c->nslots, sizeof *c->slots);
	c->caprows = 512;
	c->rows = xmalloc(c->caprows * sizeof *c->rows);
	c->acap = 16384;
	c->arena = xmalloc(c->acap);
	return c;
}

void counter_free(struct counter *c)
{
	if (c == NULL)
		return;
	free(c->rows);
	free(c->slots);
	free(c->arena);
	free(c);
}

void counter_clear(struct counter *c)
{
	memset(c->slots, 0, c->nslots * sizeof *c->slots);
	c->nrows = 0;
	c->alen = 0;
	c->total = 0;
}

static void rehash(struct counter *c)
{
	size_t i, mask;

	free(c->slots);
	c->nslots *= 2;
	c->slots = xcalloc(c->nslots, sizeof *c->slots);
	mask = c->nslots - 1;
	for (i = 0; i < c->nrows; i++) {
		size_t s = c->rows[i].hash & mask;

		while (c->slots[s])
			s = (s + 1) & mask;
		c->slots[s] = (uint32_t)i + 1;
	}
}

static uint32_t arena_put(struct counter *c, const char *p, size_t n)
{
	uint32_t off;

	if (c->alen + n > c->acap) {
		while (c->alen + n > c->acap)
			c->acap *= 2;
		c->arena = xrealloc(c->arena, c->acap);
	}
	off = (uint32_t)c->alen;
	memcpy(c->arena + c->alen, p, n);
	c->alen += n;
	return off;
}

void counter_add(struct counter *c, int64_t bucket, uint32_t cls,
    const char *ip, size_t il, const char *ac, size_t al, uint64_t n)
{
	uint64_t h = hash_key(bucket, cls, ip, il, ac, al);
	size_t mask = c->nslots - 1, s = h & mask;
	struct counter_row *r;

	c->total += n;
	while (c->slots[s]) {
		r = &c->rows[c->slots[s] - 1];
		if (r->hash == h && r->bucket == bucket && r->cls == cls &&
		    r->ip_len == il && r->acct_len == al &&
		    memcmp(c->arena + r->ip_off, ip, il) == 0 &&
		    memcmp(c->arena + r->acct_off, ac, al) == 0) {
			r->n += n;
			return;
		}
		s = (s + 1) & mask;
	}
	if (c->nrows == c->caprows) {
		c->caprows *= 2;
		c->rows = xreallocarray(c->rows, c->caprows, sizeof *c->rows);
	}
	r = &c->rows[c->nrows];
	r->bucket = bucket;
	r->cls = cls;
	r->hash = h;
	r->n = n;
	r->ip_off = arena_put(c, ip, il);
	r->ip_len = (uint32_t)il;
	r->acct_off = arena_put(c, ac, al);
	r->acct_len = (uint32_t)al;
	c->slots[s] = (uint32_t)++c->nrows;
	if (c->nrows * 2 > c->nslots)
		rehash(c);
}

size_t counter_size(const struct counter *c)
{
	return c->nrows;
}

size_t counter_bytes(const struct counter *c)
{
	return c->caprows * sizeof *c->rows + c->nslots * sizeof *c->slots + c->acap;
}

uint64_t counter_total(const struct counter *c)
{
	return c->total;
}

const struct counter_row *counter_rows(const struct counter *c, size_t *n)
{
	*n = c->nrows;
	return c->rows;
}

const char *counter_arena(const struct counter *c)
{
	return c->arena;
}
