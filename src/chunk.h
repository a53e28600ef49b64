/* chunk: the counts of one (minute bucket, class) as a compact blob.
 *
 * A chunk holds entries (ip id, account id, n), sorted by ip then account,
 * each key once, n > 0.  Encoding: per entry three unsigned LEB128 varints:
 * the ip id's increase over the previous entry's, the account id (its
 * increase when the ip id is the same), and n.  One SQLite row per chunk
 * instead of one per entry: a scan writes ~75 times fewer rows (on the
 * bench file: 10,000 chunk writes for 759,000 entries).
 *
 * All functions are pure; the buffers grow with xmalloc (fatal on OOM). */
#ifndef EW_CHUNK_H
#define EW_CHUNK_H
#include <stddef.h>
#include <stdint.h>

/* the most events one entry counts: no minute of any log comes near it, and
 * 2^23 of them still sum within 64 bits.  Decoding refuses more; adding
 * stops at it (saturates) rather than overflow. */
#define CHUNK_N_MAX ((int64_t)1 << 40)

/* entries a stored chunk grows to by merging; past it, new entries start
 * another part of the same (minute, class) (countsvt.h).  A busy minute of
 * a busy server has a few hundred; an attack with a new account in every
 * line has one per line, and then a part is what one batch rewrites. */
#define CHUNK_PART_MAX 4096

struct chunk_entry {
	int64_t ip, acct, n;
};

/* a growable array of entries */
struct chunk_vec {
	struct chunk_entry *v;
	size_t n, cap;
};

void chunk_vec_release(struct chunk_vec *cv);
void chunk_vec_push(struct chunk_vec *cv, int64_t ip, int64_t acct, int64_t n);

/* chunk_sort: sort cv's entries and merge equal keys (n summed, at most
 * CHUNK_N_MAX) */
void chunk_sort(struct chunk_vec *cv);

/* chunk_decode: append the entries of blob p[0..len) to cv; 0, or -1 if the
 * blob is malformed (then cv holds what was decoded before the fault):
 * cut short, keys not strictly increasing, an n of 0 or over CHUNK_N_MAX */
int chunk_decode(const unsigned char *p, size_t len, struct chunk_vec *cv);

/* chunk_merge: out = a ∪ b (both sorted, keys once), equal keys summed (at
 * most CHUNK_N_MAX) */
void chunk_merge(const struct chunk_entry *a, size_t na,
    const struct chunk_entry *b, size_t nb, struct chunk_vec *out);

/* chunk_encode: the blob of v[0..n) (sorted, keys once, ids >= 0) into
 * *buf (grown as needed, capacity *cap); its length */
size_t chunk_encode(const struct chunk_entry *v, size_t n, unsigned char **buf,
    size_t *cap);

/* chunk_merge_encode: the blob of (the entries of blob p[0..len)) ∪
 * add[0..n) (sorted, keys once), equal keys summed, into *buf (grown as
 * needed, capacity *cap), in one pass without decoding the old blob into
 * memory; its length, or -1 if the old blob is malformed */
long chunk_merge_encode(const unsigned char *p, size_t len,
    const struct chunk_entry *add, size_t n, unsigned char **buf,
    size_t *cap);
/* chunk_merge_blobs: the same with the new entries as a blob q[0..qlen);
 * -1 if either blob is malformed */
long chunk_merge_blobs(const unsigned char *p, size_t len,
    const unsigned char *q, size_t qlen, unsigned char **buf, size_t *cap);

#endif
