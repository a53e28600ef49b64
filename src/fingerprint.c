/* fingerprint: FNV-1a over a file's first bytes (see fingerprint.h) */
#include "fingerprint.h"

uint64_t fingerprint(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	/* 0 is reserved for "no fingerprint" in callers */
	return h ? h : 1;
}
