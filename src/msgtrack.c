/* msgtrack: bounded message id → sender table (see msgtrack.h)
 *
 * Entries live in a ring (FIFO eviction); an open-addressing index with
 * linear probing and backward-shift deletion finds them by id. */
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
	uint16_t slen;
	char sender[MSGTRACK_SENDER_MAX];
};

struct msgtrack {
	struct entry *ring;
	size_t cap, next, count;
	uint32_t *idx;          /* 0 empty, else ring index + 1 */
	size_t nidx;            /* power of two, >= 2 * cap */
};

static uint64_t hid(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

struct msgtrack *msgtrack_new(size_t capacity)
{
	struct msgtrack *m = xcalloc(1, sizeof *m);

	m->cap = capacity ? capacity : 16384;
	m->ring = xcalloc(m->cap, sizeof *m->ring);
	m->nidx = 1;
	while (m->nidx < m->cap * 2)
		m->nidx <<= 1;
	m->idx = xcalloc(m->nidx, sizeof *m->idx);
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

static size_t find_slot(const struct msgtrack *m, const char *id, size_t n,
    int *hit)
{
	size_t mask = m->nidx - 1, s = hid(id, n) & mask;

	while (m->idx[s]) {
		const struct entry *e = &m->ring[m->idx[s] - 1];

		if (e->idlen == n && memcmp(e->id, id, n) == 0) {
			*hit = 1;
			return s;
		}
		s = (s + 1) & mask;
	}
	*hit = 0;
	return s;
}

static void unindex(struct msgtrack *m, size_t s)
{
	size_t mask = m->nidx - 1, j = s, k;

	m->idx[s] = 0;
	for (;;) {
		j = (j + 1) & mask;
		if (!m->idx[j])
			return;
		k = hid(m->ring[m->idx[j] - 1].id, m->ring[m->idx[j] - 1].idlen) & mask;
		/* move j back to s if its home k is not in (s, j] cyclically */
		if ((j > s && (k <= s || k > j)) || (j < s && (k <= s && k > j))) {
			m->idx[s] = m->idx[j];
			m->idx[j] = 0;
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
	s = find_slot(m, msgid.p, msgid.len, &hit);
	if (!hit)
		return;
	m->ring[m->idx[s] - 1].used = 0;
	unindex(m, s);
	m->count--;
}

void msgtrack_put(struct msgtrack *m, struct span msgid, struct span sender)
{
	struct entry *e;
	size_t s;
	int hit;

	if (!span_ok(msgid) || msgid.len >= ID_MAX || !span_ok(sender) ||
	    sender.len > MSGTRACK_SENDER_MAX)
		return;
	s = find_slot(m, msgid.p, msgid.len, &hit);
	if (hit) {
		e = &m->ring[m->idx[s] - 1];
	} else {
		e = &m->ring[m->next];
		if (e->used) {
			struct span old = span_make(e->id, e->idlen);

			msgtrack_del(m, old);
			s = find_slot(m, msgid.p, msgid.len, &hit);
		}
		memcpy(e->id, msgid.p, msgid.len);
		e->idlen = (uint8_t)msgid.len;
		e->used = 1;
		m->idx[s] = (uint32_t)m->next + 1;
		m->next = (m->next + 1) % m->cap;
		m->count++;
	}
	memcpy(e->sender, sender.p, sender.len);
	e->slen = (uint16_t)sender.len;
}

struct span msgtrack_get(const struct msgtrack *m, struct span msgid)
{
	int hit;
	size_t s;
	const struct entry *e;

	if (!span_ok(msgid) || msgid.len >= ID_MAX)
		return span_make(NULL, 0);
	s = find_slot(m, msgid.p, msgid.len, &hit);
	if (!hit)
		return span_make(NULL, 0);
	e = &m->ring[m->idx[s] - 1];
	return span_make(e->sender, e->slen);
}

size_t msgtrack_count(const struct msgtrack *m)
{
	return m->count;
}
