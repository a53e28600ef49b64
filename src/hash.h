/* hash: a fast non-cryptographic hash of byte strings, for the in-memory
 * tables of the hot path (counter keys, interned ips and accounts).
 * Eight bytes per multiply; the tail is read with two overlapping loads,
 * never past the end.  Not for anything an attacker could exploit beyond
 * longer probe chains: the tables bound their size. */
#ifndef EW_HASH_H
#define EW_HASH_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t hash_mix(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t hash_load64(const char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static inline uint64_t hash_load32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* hash_u64: an integer (an id, a hash) with every bit mixed into every
 * other (the 64-bit finalizer of MurmurHash3) */
static inline uint64_t hash_u64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* hash_bytes: p[0..n) mixed into h */
static inline uint64_t hash_bytes(uint64_t h, const char *p, size_t n)
{
	const uint64_t k1 = 0xa0761d6478bd642fULL, k2 = 0xe7037ed1a0b428dbULL;
	uint64_t a, b;

	h ^= n * k2;
	for (; n > 8; p += 8, n -= 8)
		h = hash_mix(h ^ hash_load64(p), k1);
	if (n >= 4) {
		a = hash_load32(p);
		b = hash_load32(p + n - 4);
	} else if (n > 0) {
		a = ((uint64_t)(unsigned char)p[0] << 16) |
		    ((uint64_t)(unsigned char)p[n >> 1] << 8) | (unsigned char)p[n - 1];
		b = 0;
	} else {
		a = b = 0;
	}
	return hash_mix(h ^ (a << 32 | b), k2);
}

#endif
