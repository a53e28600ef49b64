/* smap: a string-keyed hash map (open addressing, linear probing).
 * Keys are copied and owned by the map; values are borrowed pointers.
 * Caller-owned struct: smap_init() / smap_release(). */
#ifndef EW_SMAP_H
#define EW_SMAP_H
#include <stddef.h>

struct smap {
	char **keys;     /* NULL = empty slot */
	size_t *klen;
	void **vals;
	size_t cap, n;
};

void smap_init(struct smap *m);
void smap_release(struct smap *m);   /* frees the keys, not the values */
void *smap_get(const struct smap *m, const char *k, size_t len);
/* smap_put: insert or replace */
void smap_put(struct smap *m, const char *k, size_t len, void *v);
/* smap_del: remove; returns the old value or NULL */
void *smap_del(struct smap *m, const char *k, size_t len);
/* iterate: for (i = 0; i < m->cap; i++) if (m->keys[i]) ... (no changes) */

#endif
