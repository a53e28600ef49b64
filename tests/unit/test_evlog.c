/* test_evlog: events appended, copied, cleared, counted — the same counts
 * as counting them directly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counter.h"
#include "evlog.h"
#include "tap.h"

/* same: the two counters hold the same (bucket, class, ip, account) → n */
static int same(const struct counter *a, const struct counter *b)
{
	const struct counter_row *ra, *rb;
	const char *aa = counter_arena(a), *ab = counter_arena(b);
	size_t na, nb, i, j;

	ra = counter_rows(a, &na);
	rb = counter_rows(b, &nb);
	if (na != nb || counter_total(a) != counter_total(b))
		return 0;
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb; j++)
			if (ra[i].bucket == rb[j].bucket && ra[i].cls == rb[j].cls &&
			    ra[i].ip_len == rb[j].ip_len &&
			    ra[i].acct_len == rb[j].acct_len &&
			    memcmp(aa + ra[i].ip_off, ab + rb[j].ip_off, ra[i].ip_len) == 0 &&
			    memcmp(aa + ra[i].acct_off, ab + rb[j].acct_off,
			    ra[i].acct_len) == 0)
				break;
		if (j == nb || ra[i].n != rb[j].n)
			return 0;
	}
	return 1;
}

int main(void)
{
	struct evlog *l = evlog_new(), *copy = evlog_new();
	struct counter *direct = counter_new(), *via = counter_new();
	char *big = malloc(100000), ip[32];
	size_t i;

	memset(big, 'x', 100000);
	for (i = 0; i < 5000; i++) {
		snprintf(ip, sizeof ip, "192.0.2.%zu", i % 37);
		evlog_add(l, (int64_t)(i / 100) * 60, (uint32_t)(i % 5), 0, ip,
		    strlen(ip), "bob@example.com", i % 3 ? 15 : 0);
		counter_add(direct, (int64_t)(i / 100) * 60, (uint32_t)(i % 5), ip,
		    strlen(ip), "bob@example.com", i % 3 ? 15 : 0, 1);
	}
	evlog_add(l, 0, 1, 0, "", 0, "", 0);
	counter_add(direct, 0, 1, "", 0, "", 0, 1);
	evlog_add(l, -60, 2, 0, big, 100000, big, 99999);
	/* host text, parsed when counted: the address, or none if ambiguous */
	{
		static const char h1[] = "mail.example.net (pc) [192.0.2.9]:25";
		static const char h2[] = "(x) [203.0.113.7] P=y) [192.0.2.10]:25";

		evlog_add(l, 60, 3, 1, h1, strlen(h1), "a", 1);
		counter_add(direct, 60, 3, "192.0.2.9", 9, "a", 1, 1);
		evlog_add(l, 60, 3, 1, h2, strlen(h2), "a", 1);
		counter_add(direct, 60, 3, "", 0, "a", 1, 1);
	}
	counter_add(direct, -60, 2, big, 100000, big, 99999, 1);
	is_int((long long)evlog_size(l), 5004, "5004 events");
	ok(evlog_bytes(l) >= 200000, "their bytes are counted (%zu)",
	    evlog_bytes(l));
	evlog_copy(copy, l);
	evlog_clear(l);
	is_int((long long)evlog_size(l), 0, "cleared");
	evlog_count(copy, via);
	ok(same(direct, via), "counted from a copy: the same counts as counted "
	    "directly (empty and 100 kB keys; host text parsed, an ambiguous "
	    "host without address)");
	evlog_add(l, 60, 0, 0, "x", 1, "y", 1);
	counter_clear(via);
	evlog_count(l, via);
	is_int((long long)counter_total(via), 1, "usable after clear");
	evlog_free(l);
	evlog_free(copy);
	counter_free(direct);
	counter_free(via);
	free(big);
	return done_testing();
}
