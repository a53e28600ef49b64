/* test_chunk: the chunk codec — round trips, merging, malformed blobs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "tap.h"

static uint64_t rnd_state = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static int same(const struct chunk_vec *a, const struct chunk_vec *b)
{
	return a->n == b->n && (a->n == 0 ||
	    memcmp(a->v, b->v, a->n * sizeof *a->v) == 0);
}

int main(void)
{
	struct chunk_vec a = { 0 }, b = { 0 }, m = { 0 }, d = { 0 };
	unsigned char *buf = NULL;
	size_t cap = 0, len, i, bad = 0, bad2, bad3 = 0;
	int r;

	/* ip 0 (no ip) first, accounts 0, ids past 32 bits, n of 1 and big */
	chunk_vec_push(&a, 0, 0, 1);
	chunk_vec_push(&a, 0, 7, 2);
	chunk_vec_push(&a, 5, 3, 1);
	chunk_vec_push(&a, 5, 4000000000000LL, 9);
	chunk_vec_push(&a, 6000000000LL, 0, 1LL << 40);
	len = chunk_encode(a.v, a.n, &buf, &cap);
	ok(chunk_decode(buf, len, &d) == 0 && same(&a, &d),
	    "round trip: ip 0 first, repeated ips, ids and n past 32 bits");
	ok(len < a.n * 8, "compact (%zu bytes for %zu entries)", len, a.n);

	/* random sets: encode(decode) and merge against a sorted union */
	for (r = 0, bad2 = 0; r < 2000; r++) {
		size_t na = rnd() % 50, nb = rnd() % 50;
		struct chunk_vec u = { 0 };

		a.n = b.n = 0;
		for (i = 0; i < na; i++)
			chunk_vec_push(&a, (int64_t)(rnd() % 20), (int64_t)(rnd() % 5),
			    (int64_t)(1 + rnd() % 3));
		for (i = 0; i < nb; i++)
			chunk_vec_push(&b, (int64_t)(rnd() % 20), (int64_t)(rnd() % 5),
			    (int64_t)(1 + rnd() % 3));
		chunk_sort(&a);
		chunk_sort(&b);
		for (i = 0; i < a.n; i++)
			chunk_vec_push(&u, a.v[i].ip, a.v[i].acct, a.v[i].n);
		for (i = 0; i < b.n; i++)
			chunk_vec_push(&u, b.v[i].ip, b.v[i].acct, b.v[i].n);
		chunk_sort(&u);
		chunk_merge(a.v, a.n, b.v, b.n, &m);
		len = chunk_encode(m.v, m.n, &buf, &cap);
		d.n = 0;
		if (!same(&m, &u) || chunk_decode(buf, len, &d) != 0 || !same(&d, &u))
			bad++;
		/* the same merge on the encoded a, in one pass */
		len = chunk_encode(a.v, a.n, &buf, &cap);
		{
			unsigned char *buf2 = NULL;
			size_t cap2 = 0;
			long l2 = chunk_merge_encode(buf, len, b.v, b.n, &buf2,
			    &cap2);

			d.n = 0;
			if (l2 < 0 || chunk_decode(buf2, (size_t)l2, &d) != 0 ||
			    !same(&d, &u))
				bad2++;
			/* and with b encoded too */
			{
				unsigned char *bb = NULL, *buf3 = NULL;
				size_t capb = 0, cap3 = 0, lb;
				long l3;

				lb = chunk_encode(b.v, b.n, &bb, &capb);
				l3 = chunk_merge_blobs(buf, len, bb, lb, &buf3,
				    &cap3);
				d.n = 0;
				if (l3 < 0 || chunk_decode(buf3, (size_t)l3,
				    &d) != 0 || !same(&d, &u))
					bad3++;
				if (r == 1 && lb > 0)
					ok(chunk_merge_blobs(buf, len, bb, lb - 1,
					    &buf3, &cap3) < 0, "merge_blobs: a "
					    "malformed new chunk is -1");
				free(bb);
				free(buf3);
			}
			if (r == 0) {
				ok(chunk_merge_encode(buf, len > 0 ? len - 1 :
				    0, b.v, b.n, &buf2, &cap2) < 0 || len == 0,
				    "merge_encode: a malformed old chunk is -1");
			}
			free(buf2);
		}
		chunk_vec_release(&u);
	}
	ok(bad == 0, "2000 random merges equal the sorted union, and round-trip");
	ok(bad2 == 0, "2000 random merges into an encoded chunk, in one pass, "
	    "equal the sorted union");
	ok(bad3 == 0, "2000 random merges of two encoded chunks equal the "
	    "sorted union");

	/* malformed: a varint cut short, an entry cut short */
	a.n = 0;
	chunk_vec_push(&a, 300, 300, 300);
	len = chunk_encode(a.v, a.n, &buf, &cap);
	d.n = 0;
	ok(chunk_decode(buf, len - 1, &d) < 0, "a truncated varint is malformed");
	d.n = 0;
	ok(chunk_decode(buf, 2, &d) < 0, "a truncated entry is malformed");
	{
		unsigned char junk[12];

		memset(junk, 0xff, sizeof junk);
		d.n = 0;
		ok(chunk_decode(junk, sizeof junk, &d) < 0,
		    "a varint longer than 64 bits is malformed");
	}
	d.n = 0;
	ok(chunk_decode(buf, 0, &d) == 0 && d.n == 0, "an empty chunk is empty");

	/* a damaged chunk's counts: summing them must not overflow */
	{
		/* raw varints: (ip delta, account, n) per entry */
		static const unsigned char huge[] = { 1, 1,
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f };
		static const unsigned char dup[] = { 1, 1, 5, 0, 0, 7 };
		static const unsigned char zero[] = { 1, 1, 0 };
		struct chunk_entry big[2] = { { 1, 1, CHUNK_N_MAX - 1 },
			{ 2, 1, CHUNK_N_MAX } };
		struct chunk_entry more[2] = { { 1, 1, 5 }, { 2, 1, INT64_MAX } };

		d.n = 0;
		ok(chunk_decode(huge, sizeof huge, &d) < 0,
		    "an n near 2^63 is malformed (summing it would overflow)");
		d.n = 0;
		ok(chunk_decode(dup, sizeof dup, &d) < 0 && d.n == 1,
		    "a key twice (an account delta of 0) is malformed");
		d.n = 0;
		ok(chunk_decode(zero, sizeof zero, &d) < 0, "an n of 0 is malformed");
		chunk_merge(big, 2, more, 2, &m);
		ok(m.n == 2 && m.v[0].n == CHUNK_N_MAX && m.v[1].n == CHUNK_N_MAX,
		    "merging saturates at CHUNK_N_MAX instead of overflowing");
		a.n = 0;
		chunk_vec_push(&a, 3, 3, INT64_MAX);
		chunk_vec_push(&a, 3, 3, INT64_MAX);
		chunk_sort(&a);
		ok(a.n == 1 && a.v[0].n == CHUNK_N_MAX, "sorting saturates too");
		len = chunk_encode(m.v, m.n, &buf, &cap);
		d.n = 0;
		ok(chunk_decode(buf, len, &d) == 0 && same(&d, &m),
		    "a saturated chunk round-trips");
	}
	free(buf);
	chunk_vec_release(&a);
	chunk_vec_release(&b);
	chunk_vec_release(&m);
	chunk_vec_release(&d);
	return done_testing();
}
