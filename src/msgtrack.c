/* msgtrack: bounded message id → value table (see msgtrack.h)
 *
 * Entries live in a ring (FIFO eviction) of fixed-size slots, as large as the
 * table's values need; an open-addressing index with linear probing and
 * backward-shift deletion finds them by id. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msgtrack.h"
#include "xmalloc.h"

#define ID_MAX 24

struct entry {
	char id[ID_MAX];
	uint8_t idlen;
	uint8_t used;
	uint16_t vlen;
	char value[];           /* value_max bytes */
};

struct msgtrack {
	char *ring;             /* cap entries of stride bytes */
	size_t stride, value_max;
	size_t cap, next, count;
	/* the index: ref 0 empty, else ring index + 1; hash is the id's hid(),
	 * so that probes skip other ids and deletions find home slots without
	 * touching the ring */
	struct slot { uint32_t ref, hash; } *idx;
	size_t nidx;            /* power of two, >= 2 * cap, <= 2^32 */
	/* the id last hashed by msgtrack_prefetch (its hash, reused) */
	char pre_id[ID_MAX];
	size_t pre_len;         /* 0: none */
	uint32_t pre_h;
};

static inline uint64_t load64(const char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* hid: 32-bit hash of an id (16 or 23 bytes in practice): 8-byte loads, the
 * last one overlapping, each multiplied in (ids are base-62 text, so the
 * words differ in their low bits too) */
static uint32_t hid(const char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
	size_t i;

	if (n >= 8) {
		for (i = 0; i + 8 <= n; i += 8)
			h = (h ^ load64(p + i)) * 0xff51afd7ed558ccdULL;
		if (i < n)
			h = (h ^ load64(p + n - 8)) * 0xc4ceb9fe1a85ec53ULL;
	} else {
		for (i = 0; i < n; i++)
			h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	}
	h ^= h >> 32;
	h *= 0xff51afd7ed558ccdULL;
	return (uint32_t)(h >> 32);
}

static inline struct entry *entry_at(const struct msgtrack *m, size_t i)
{
	return (struct entry *)(m->ring + i * m->stride);
}

struct msgtrack *msgtrack_new(size_t capacity, size_t value_max)
{
	struct msgtrack *m = xcalloc(1, sizeof *m);

	if (value_max > UINT16_MAX)
		value_max = UINT16_MAX;
	m->cap = capacity ? capacity : 16384;
	m->value_max = value_max;
	/* entries need 2-byte alignment (vlen): 188 bytes for senders, as
	 * before values were sized per table */
	m->stride = (sizeof(struct entry) + value_max + 1) & ~(size_t)1;
	/* calloc: the pages of entries never used are never touched */
	m->ring = xcalloc(m->cap, m->stride);
	m->nidx = 1;
	while (m->nidx < m->cap * 2)
		m->nidx <<= 1;
	m->idx = xzalloc(m->nidx, sizeof *m->idx);
	return m;
}

void msgtrack_free(struct msgtrack *m)
{
	if (m == NULL)
		return;
	free(m->ring);
	free(m->idx);
	free(m);
}

/* id_hash: hid(), or the one msgtrack_prefetch just computed */
static inline uint32_t id_hash(const struct msgtrack *m, const char *p,
    size_t n)
{
	if (n != 0 && n == m->pre_len && (n < 16 ?
	    memcmp(p, m->pre_id, n) == 0 :
	    ((load64(p) ^ load64(m->pre_id)) | (load64(p + 8) ^ load64(m->pre_id + 8)) |
	    (load64(p + n - 8) ^ load64(m->pre_id + n - 8))) == 0))
		return m->pre_h;
	return hid(p, n);
}

void msgtrack_prefetch(struct msgtrack *m, struct span msgid)
{
	if (!span_ok(msgid) || msgid.len == 0 || msgid.len >= ID_MAX)
		return;
	memcpy(m->pre_id, msgid.p, msgid.len);
	m->pre_len = msgid.len;
	m->pre_h = hid(msgid.p, msgid.len);
	__builtin_prefetch(&m->idx[m->pre_h & (m->nidx - 1)]);
}

static size_t find_slot(const struct msgtrack *m, const char *id, size_t n,
    uint32_t h, int *hit)
{
	size_t mask = m->nidx - 1, s = h & mask;

	while (m->idx[s].ref) {
		if (m->idx[s].hash == h) {
			const struct entry *e = entry_at(m, m->idx[s].ref - 1);

			if (e->idlen == n && memcmp(e->id, id, n) == 0) {
				*hit = 1;
				return s;
			}
		}
		s = (s + 1) & mask;
	}
	*hit = 0;
	return s;
}

static void unindex(struct msgtrack *m, size_t s)
{
	size_t mask = m->nidx - 1, j = s, k;

	m->idx[s].ref = 0;
	for (;;) {
		j = (j + 1) & mask;
		if (!m->idx[j].ref)
			return;
		k = m->idx[j].hash & mask;
		/* move j back to s if its home k is not in (s, j] cyclically */
		if ((j > s && (k <= s || k > j)) || (j < s && (k <= s && k > j))) {
			m->idx[s] = m->idx[j];
			m->idx[j].ref = 0;
			s = j;
		}
	}
}

void msgtrack_del(struct msgtrack *m, struct span msgid)
{
	int hit;
	size_t s;

	if (!span_ok(msgid) || msgid.len >= ID_MAX)
		return;
	s = find_slot(m, msgid.p, msgid.len, id_hash(m, msgid.p, msgid.len), &hit);
	if (!hit)
		return;
	entry_at(m, m->idx[s].ref - 1)->used = 0;
	unindex(m, s);
	m->count--;
}

void msgtrack_put(struct msgtrack *m, struct span msgid, struct span value)
{
	struct entry *e;
	size_t s;
	uint32_t h;
	int hit;

	if (!span_ok(msgid) || msgid.len >= ID_MAX || !span_ok(value) ||
	    value.len > m->value_max)
		return;
	h = id_hash(m, msgid.p, msgid.len);
	s = find_slot(m, msgid.p, msgid.len, h, &hit);
	if (hit) {
		e = entry_at(m, m->idx[s].ref - 1);
	} else {
		e = entry_at(m, m->next);
		if (e->used) {
			struct span old = span_make(e->id, e->idlen);

			msgtrack_del(m, old);
			s = find_slot(m, msgid.p, msgid.len, h, &hit);
		}
		memcpy(e->id, msgid.p, msgid.len);
		e->idlen = (uint8_t)msgid.len;
		e->used = 1;
		m->idx[s].ref = (uint32_t)m->next + 1;
		m->idx[s].hash = h;
		m->next = (m->next + 1) % m->cap;
		m->count++;
	}
	if (value.len)
		memcpy(e->value, value.p, value.len);
	e->vlen = (uint16_t)value.len;
}

struct span msgtrack_get(const struct msgtrack *m, struct span msgid)
{
	int hit;
	size_t s;
	const struct entry *e;

	if (!span_ok(msgid) || msgid.len >= ID_MAX)
		return span_make(NULL, 0);
	s = find_slot(m, msgid.p, msgid.len, id_hash(m, msgid.p, msgid.len), &hit);
	if (!hit)
		return span_make(NULL, 0);
	e = entry_at(m, m->idx[s].ref - 1);
	return span_make(e->value, e->vlen);
}

size_t msgtrack_count(const struct msgtrack *m)
{
	return m->count;
}
