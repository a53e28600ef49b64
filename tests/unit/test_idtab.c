/* test_idtab: a value per id, paged or hashed (src/idtab.c) */
#include <stdint.h>

#include "idtab.h"
#include "tap.h"

int main(void)
{
	struct idtab t = { 0 };
	int64_t big = (int64_t)1 << 62, i;
	int good = 1;

	ok(idtab_get(&t, 5) == 0 && t.npages == 0,
	    "an empty table: 0, no page made by a read");
	*idtab_slot(&t, 5) = 7;
	*idtab_slot(&t, 1024 * 3 + 1) = 9;
	is_int(idtab_get(&t, 5), 7, "a paged id's value");
	is_int(idtab_get(&t, 1024 * 3 + 1), 9, "another page's value");
	is_int(idtab_get(&t, 6), 0, "an id never written: 0");
	is_int(idtab_get(&t, 1024 * 200), 0, "past the pages: 0");
	ok(t.npages < 200, "a read past the pages makes none");
	*idtab_slot(&t, big) = 11;
	*idtab_slot(&t, -3) = 12;
	*idtab_slot(&t, ((int64_t)1 << 24) - 1) = 13;
	is_int(idtab_get(&t, big), 11, "an id of 2^62: hashed");
	is_int(idtab_get(&t, -3), 12, "a negative id: hashed");
	is_int(idtab_get(&t, ((int64_t)1 << 24) - 1), 13, "the last paged id");
	ok(t.nbig == 2 && t.npages <= IDTAB_PAGES_MAX,
	    "two ids hashed, the pages bounded");
	for (i = 1; i < 5000; i++)
		*idtab_slot(&t, big + i) = (uint32_t)i;
	for (i = 1; i < 5000; i++)
		if (idtab_get(&t, big + i) != (uint32_t)i)
			good = 0;
	ok(good && idtab_get(&t, big) == 11, "5,000 hashed ids kept");
	idtab_release(&t);
	ok(t.npages == 0 && t.nbig == 0, "released");
	return done_testing();
}
