/* idtab: a 32-bit value per id (see idtab.h) */
#include <stdlib.h>
#include <string.h>

#include "idtab.h"
#include "xmalloc.h"

/* idtab_slot: paged below IDTAB_PAGES_MAX pages, hashed above (the page
 * pointers of 2^62 ids would take petabytes) */
uint32_t *idtab_slot(struct idtab *t, int64_t id)
{
	uint64_t u = (uint64_t)id;
	size_t pg = (size_t)(u / IDTAB_PAGE);
	uint32_t *slot;

	if (u / IDTAB_PAGE >= IDTAB_PAGES_MAX) {
		slot = imap_find(&t->big, u, 0);
		if (*slot == 0) {
			if (t->nbig == t->capbig) {
				t->capbig = t->capbig ? 2 * t->capbig : 16;
				t->bigv = xreallocarray(t->bigv, t->capbig,
				    sizeof *t->bigv);
			}
			t->bigv[t->nbig] = 0;
			*slot = (uint32_t)++t->nbig;
			t->big.n++;
		}
		return &t->bigv[*slot - 1];
	}
	if (pg >= t->npages) {
		size_t n = t->npages ? t->npages : 16;

		while (n <= pg)
			n *= 2;
		t->page = xreallocarray(t->page, n, sizeof *t->page);
		memset(t->page + t->npages, 0, (n - t->npages) * sizeof *t->page);
		t->npages = n;
	}
	if (t->page[pg] == NULL)
		t->page[pg] = xcalloc(IDTAB_PAGE, sizeof *t->page[pg]);
	return &t->page[pg][u % IDTAB_PAGE];
}

void idtab_release(struct idtab *t)
{
	size_t i;

	for (i = 0; i < t->npages; i++)
		free(t->page[i]);
	free(t->page);
	free(t->bigv);
	imap_release(&t->big);
	memset(t, 0, sizeof *t);
}
