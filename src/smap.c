/* smap: string-keyed hash map (see smap.h) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smap.h"
#include "xmalloc.h"

static uint64_t hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	while (n--)
		h = (h ^ (unsigned char)*p++) * 1099511628211ULL;
	return h ^ (h >> 29);
}

void smap_init(struct smap *m)
{
	memset(m, 0, sizeof *m);
}

void smap_release(struct smap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->klen);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

static size_t slot(const struct smap *m, const char *k, size_t len)
{
	size_t i = (size_t)hash(k, len) & (m->cap - 1);

	while (m->keys[i] && !(m->klen[i] == len && memcmp(m->keys[i], k, len) == 0))
		i = (i + 1) & (m->cap - 1);
	return i;
}

void *smap_get(const struct smap *m, const char *k, size_t len)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	i = slot(m, k, len);
	return m->keys[i] ? m->vals[i] : NULL;
}

static void grow(struct smap *m)
{
	struct smap o = *m;
	size_t i, j;

	m->cap = o.cap ? o.cap * 2 : 4;
	m->keys = xcalloc(m->cap, sizeof *m->keys);
	m->klen = xcalloc(m->cap, sizeof *m->klen);
	m->vals = xcalloc(m->cap, sizeof *m->vals);
	for (i = 0; i < o.cap; i++) {
		if (!o.keys[i])
			continue;
		j = slot(m, o.keys[i], o.klen[i]);
		m->keys[j] = o.keys[i];
		m->klen[j] = o.klen[i];
		m->vals[j] = o.vals[i];
	}
	free(o.keys);
	free(o.klen);
	free(o.vals);
}

void smap_put(struct smap *m, const char *k, size_t len, void *v)
{
	size_t i;

	if ((m->n + 1) * 4 >= m->cap * 3)
		grow(m);
	i = slot(m, k, len);
	if (!m->keys[i]) {
		m->keys[i] = xstrndup(k, len);
		m->klen[i] = len;
		m->n++;
	}
	m->vals[i] = v;
}

void *smap_del(struct smap *m, const char *k, size_t len)
{
	size_t i, j, h;
	void *old;

	if (m->cap == 0)
		return NULL;
	i = slot(m, k, len);
	if (!m->keys[i])
		return NULL;
	old = m->vals[i];
	free(m->keys[i]);
	m->keys[i] = NULL;
	m->n--;
	/* backward-shift the cluster so lookups never stop at the hole */
	for (j = (i + 1) & (m->cap - 1); m->keys[j]; j = (j + 1) & (m->cap - 1)) {
		h = (size_t)hash(m->keys[j], m->klen[j]) & (m->cap - 1);
		if ((j > i && (h <= i || h > j)) || (j < i && (h <= i && h > j))) {
			m->keys[i] = m->keys[j];
			m->klen[i] = m->klen[j];
			m->vals[i] = m->vals[j];
			m->keys[j] = NULL;
			i = j;
		}
	}
	return old;
}
