/* counter: in-memory aggregation (see counter.h) */
#include <stdlib.h>
#include <string.h>

#include "counter.h"
#include "hash.h"
#include "xmalloc.h"

#define ARENA_INIT 16384
#define ARENA_KEEP (4u << 20)

/* One add is kept pending: counter_add() stages its key (copied) and
 * prefetches the hash slot it will probe, and inserts the key staged by the
 * previous call.  The slot load was the hot spot of counting (a cache miss
 * per event, the table being a random-access megabyte); the work of a whole
 * line now hides it.  Every other function first completes the pending
 * add, so callers see no difference. */
struct pending {
	int set;
	int64_t bucket;
	uint32_t cls;
	uint64_t hash, n;
	size_t il, al;         /* ip at kbuf[0..il), account at kbuf[il..il+al) */
};

struct counter {
	struct counter_row *rows;
	size_t nrows, caprows;
	uint32_t *slots;       /* 0 = empty, else row index + 1 */
	size_t nslots;         /* power of two */
	char *arena;
	size_t alen, acap;
	uint64_t total;
	struct pending pend;
	char *kbuf;            /* the pending key's strings */
	size_t kcap;
};

static void settle(const struct counter *cc);

static uint64_t hash_key(int64_t bucket, uint32_t cls, const char *ip,
    size_t il, const char *ac, size_t al)
{
	uint64_t h = hash_mix((uint64_t)bucket ^ 0x9e3779b97f4a7c15ULL,
	    (uint64_t)cls + 0xff51afd7ed558ccdULL);

	h = hash_bytes(h, ip, il);
	return hash_bytes(h, ac, al);
}

struct counter *counter_new(void)
{
	struct counter *c = xcalloc(1, sizeof *c);

	c->nslots = 1024;
	c->slots = xzalloc(c->nslots, sizeof *c->slots);
	c->caprows = 512;
	c->rows = xmalloc(c->caprows * sizeof *c->rows);
	c->acap = ARENA_INIT;
	c->arena = xmalloc(c->acap);
	return c;
}

void counter_free(struct counter *c)
{
	if (c == NULL)
		return;
	free(c->kbuf);
	free(c->rows);
	free(c->slots);
	free(c->arena);
	free(c);
}

void counter_clear(struct counter *c)
{
	c->pend.set = 0;
	memset(c->slots, 0, c->nslots * sizeof *c->slots);
	c->nrows = 0;
	c->alen = 0;
	c->total = 0;
	/* a batch of long keys (hostile lines) must not keep its arena */
	if (c->acap > ARENA_KEEP) {
		free(c->arena);
		c->acap = ARENA_INIT;
		c->arena = xmalloc(c->acap);
	}
}

void counter_copy(struct counter *dst, const struct counter *src)
{
	settle(src);
	dst->pend.set = 0;
	if (dst->caprows < src->nrows) {
		dst->caprows = src->caprows;
		dst->rows = xreallocarray(dst->rows, dst->caprows, sizeof *dst->rows);
	}
	if (dst->nslots != src->nslots) {
		free(dst->slots);
		dst->nslots = src->nslots;
		dst->slots = xmalloc(dst->nslots * sizeof *dst->slots);
	}
	if (dst->acap < src->alen || dst->acap > ARENA_KEEP) {
		free(dst->arena);
		dst->acap = src->alen > ARENA_INIT ? src->alen : ARENA_INIT;
		dst->arena = xmalloc(dst->acap);
	}
	memcpy(dst->rows, src->rows, src->nrows * sizeof *src->rows);
	memcpy(dst->slots, src->slots, src->nslots * sizeof *src->slots);
	memcpy(dst->arena, src->arena, src->alen);
	dst->nrows = src->nrows;
	dst->alen = src->alen;
	dst->total = src->total;
}

static void rehash(struct counter *c)
{
	size_t i, mask;

	free(c->slots);
	c->nslots *= 2;
	c->slots = xzalloc(c->nslots, sizeof *c->slots);
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

static void insert(struct counter *c, uint64_t h, int64_t bucket, uint32_t cls,
    const char *ip, size_t il, const char *ac, size_t al, uint64_t n)
{
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

/* settle: insert the pending add (the accessors take a const counter: the
 * counts it holds do not change, only where they are kept) */
static void settle(const struct counter *cc)
{
	struct counter *c = (struct counter *)cc;
	struct pending *p = &c->pend;

	if (!p->set)
		return;
	p->set = 0;
	insert(c, p->hash, p->bucket, p->cls, c->kbuf, p->il, c->kbuf + p->il,
	    p->al, p->n);
}

void counter_add(struct counter *c, int64_t bucket, uint32_t cls,
    const char *ip, size_t il, const char *ac, size_t al, uint64_t n)
{
	struct pending *p = &c->pend;

	settle(c);
	if (il + al > c->kcap || c->kbuf == NULL) {
		c->kcap = il + al > 256 ? il + al : 256;
		free(c->kbuf);
		c->kbuf = xmalloc(c->kcap);
	}
	memcpy(c->kbuf, ip, il);
	memcpy(c->kbuf + il, ac, al);
	p->hash = hash_key(bucket, cls, ip, il, ac, al);
	p->bucket = bucket;
	p->cls = cls;
	p->il = il;
	p->al = al;
	p->n = n;
	p->set = 1;
	__builtin_prefetch(&c->slots[p->hash & (c->nslots - 1)]);
}

size_t counter_size(const struct counter *c)
{
	settle(c);
	return c->nrows;
}

size_t counter_bytes(const struct counter *c)
{
	settle(c);
	/* in use, not allocated: a cleared counter keeps its capacity, and a
	 * flush decided on capacity would then come after every line */
	return c->nrows * sizeof *c->rows + c->nslots * sizeof *c->slots + c->alen;
}

uint64_t counter_total(const struct counter *c)
{
	settle(c);
	return c->total;
}

const struct counter_row *counter_rows(const struct counter *c, size_t *n)
{
	settle(c);
	*n = c->nrows;
	return c->rows;
}

const char *counter_arena(const struct counter *c)
{
	settle(c);
	return c->arena;
}
