/* idtab: a 32-bit value per id (a rowid: dense, from 1), 0 for none.  Ids
 * below IDTAB_PAGES_MAX pages are found in a two-level table (pages of
 * IDTAB_PAGE values, made when first written: a window's ids without a
 * hash); the others (a damaged store's 2^62) in a hash map.  The
 * diagnosis numbers its senders, networks and names with it. */
#ifndef EW_IDTAB_H
#define EW_IDTAB_H
#include <stddef.h>
#include <stdint.h>

#include "imap.h"

#define IDTAB_PAGE 1024
#define IDTAB_PAGES_MAX 16384     /* ids below 2^24 paged */

struct idtab {
	uint32_t **page;          /* [id / IDTAB_PAGE][id % IDTAB_PAGE] */
	size_t npages;
	struct imap big;          /* the other ids -> bigv[] */
	uint32_t *bigv;
	size_t nbig, capbig;
};

/* idtab_slot: the value of id, to read or write (made, 0, if new) */
uint32_t *idtab_slot(struct idtab *t, int64_t id);

/* idtab_get: the value of id, 0 if none (nothing made for a paged id) */
static inline uint32_t idtab_get(struct idtab *t, int64_t id)
{
	uint64_t u = (uint64_t)id;

	if (u / IDTAB_PAGE < IDTAB_PAGES_MAX) {
		size_t pg = (size_t)(u / IDTAB_PAGE);

		return pg < t->npages && t->page[pg] ?
		    t->page[pg][u % IDTAB_PAGE] : 0;
	}
	return *idtab_slot(t, id);
}

/* idtab_release: the pages and the hashed ids freed, t emptied */
void idtab_release(struct idtab *t);

#endif
