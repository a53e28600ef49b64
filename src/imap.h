/* imap: an open-addressing hash map of two 64-bit keys to an index (the
 * caller keeps the values in an array of its own and stores index + 1),
 * for the diagnosis's aggregations: pairs, senders, networks, hours. */
#ifndef EW_IMAP_H
#define EW_IMAP_H
#include <stddef.h>
#include <stdint.h>

struct islot {
	uint64_t a, b;
	uint32_t v;               /* index + 1; 0 empty */
};

struct imap {
	struct islot *s;          /* one array: a probe reads one line */
	size_t cap, n;
};

/* imap_find: the slot of (a, b), claimed for it if new (*result 0: the
 * caller stores an index there and counts m->n) */
uint32_t *imap_find(struct imap *m, uint64_t a, uint64_t b);
void imap_release(struct imap *m);

#endif
