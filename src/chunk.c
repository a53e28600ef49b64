/* chunk: compact blobs of counts (see chunk.h) */
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "xmalloc.h"

void chunk_vec_release(struct chunk_vec *cv)
{
	free(cv->v);
	memset(cv, 0, sizeof *cv);
}

static void reserve(struct chunk_vec *cv, size_t more)
{
	if (cv->n + more <= cv->cap)
		return;
	cv->cap = cv->cap ? cv->cap : 64;
	while (cv->n + more > cv->cap)
		cv->cap *= 2;
	cv->v = xreallocarray(cv->v, cv->cap, sizeof *cv->v);
}

void chunk_vec_push(struct chunk_vec *cv, int64_t ip, int64_t acct, int64_t n)
{
	reserve(cv, 1);
	cv->v[cv->n].ip = ip;
	cv->v[cv->n].acct = acct;
	cv->v[cv->n].n = n;
	cv->n++;
}

/* add_n: a + b for counts in [0, CHUNK_N_MAX], saturating */
static int64_t add_n(int64_t a, int64_t b)
{
	return a > CHUNK_N_MAX - b ? CHUNK_N_MAX : a + b;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct chunk_entry *x = a, *y = b;

	if (x->ip != y->ip)
		return x->ip < y->ip ? -1 : 1;
	return x->acct < y->acct ? -1 : x->acct > y->acct;
}

void chunk_sort(struct chunk_vec *cv)
{
	size_t i, k;

	if (cv->n < 2)
		return;
	qsort(cv->v, cv->n, sizeof *cv->v, entry_cmp);
	for (i = 1, k = 0; i < cv->n; i++) {
		if (cv->v[i].ip == cv->v[k].ip && cv->v[i].acct == cv->v[k].acct)
			cv->v[k].n = add_n(cv->v[k].n, cv->v[i].n);
		else
			cv->v[++k] = cv->v[i];
	}
	cv->n = k + 1;
}

static const unsigned char *varint_long(const unsigned char *p,
    const unsigned char *end, uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;

	while (p < end && shift < 64) {
		unsigned char c = *p++;

		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*out = v;
			return p;
		}
		shift += 7;
	}
	return NULL;
}

/* get_varint: the varint at p (one byte for most: inline), the byte after
 * it, or NULL if it is cut short or too long */
static inline const unsigned char *get_varint(const unsigned char *p,
    const unsigned char *end, uint64_t *out)
{
	if (p < end && *p < 0x80) {
		*out = *p;
		return p + 1;
	}
	return varint_long(p, end, out);
}

int chunk_decode(const unsigned char *p, size_t len, struct chunk_vec *cv)
{
	const unsigned char *end = p ? p + len : p;   /* NULL: empty */
	uint64_t dip, acct, n;
	int64_t ip = 0, prev_acct = 0;
	int first = 1;
	struct chunk_entry *x;

	/* an entry takes three bytes or more: room for all of them now */
	reserve(cv, len / 3);
	while (p < end) {
		if ((p = get_varint(p, end, &dip)) == NULL ||
		    (p = get_varint(p, end, &acct)) == NULL ||
		    (p = get_varint(p, end, &n)) == NULL)
			return -1;
		/* a stored chunk is sorted with each key once (chunk_merge relies
		 * on it) and holds positive counts; a damaged one may say
		 * anything, and its sums must not overflow */
		if (dip > INT64_MAX - (uint64_t)ip || acct > INT64_MAX || n == 0 ||
		    n > (uint64_t)CHUNK_N_MAX)
			return -1;
		if (dip == 0 && !first) {
			if (acct == 0 || acct > (uint64_t)(INT64_MAX - prev_acct))
				return -1;
			acct += (uint64_t)prev_acct;
		}
		ip += (int64_t)dip;
		prev_acct = (int64_t)acct;
		first = 0;
		x = &cv->v[cv->n++];
		x->ip = ip;
		x->acct = (int64_t)acct;
		x->n = (int64_t)n;
	}
	return 0;
}

void chunk_merge(const struct chunk_entry *a, size_t na,
    const struct chunk_entry *b, size_t nb, struct chunk_vec *out)
{
	size_t i = 0, j = 0;

	out->n = 0;
	reserve(out, na + nb);
	while (i < na && j < nb) {
		int c = entry_cmp(&a[i], &b[j]);

		if (c < 0) {
			out->v[out->n++] = a[i++];
		} else if (c > 0) {
			out->v[out->n++] = b[j++];
		} else {
			out->v[out->n] = a[i++];
			out->v[out->n].n = add_n(out->v[out->n].n, b[j++].n);
			out->n++;
		}
	}
	while (i < na)
		out->v[out->n++] = a[i++];
	while (j < nb)
		out->v[out->n++] = b[j++];
}

static unsigned char *put_varint(unsigned char *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

size_t chunk_encode(const struct chunk_entry *v, size_t n, unsigned char **buf,
    size_t *cap)
{
	size_t i, need = n * 30;   /* three varints of at most 10 bytes */
	unsigned char *p;
	int64_t ip = 0, acct = 0;

	if (need > *cap) {
		*cap = need;
		*buf = xrealloc(*buf, *cap);
	}
	p = *buf;
	for (i = 0; i < n; i++) {
		int same = i > 0 && v[i].ip == ip;

		p = put_varint(p, (uint64_t)(v[i].ip - ip));
		p = put_varint(p, (uint64_t)(same ? v[i].acct - acct : v[i].acct));
		p = put_varint(p, (uint64_t)v[i].n);
		ip = v[i].ip;
		acct = v[i].acct;
	}
	return (size_t)(p - *buf);
}

/* the encoder's state: the previous entry's keys and the output */
struct enc {
	unsigned char **buf;
	size_t *cap, len;
	int64_t ip, acct;
	int first;
};

static void enc_put(struct enc *e, const struct chunk_entry *x)
{
	unsigned char *p;
	int same = !e->first && x->ip == e->ip;

	if (*e->cap - e->len < 30) {       /* three varints, at most */
		*e->cap = *e->cap ? 2 * *e->cap : 256;
		*e->buf = xrealloc(*e->buf, *e->cap);
	}
	p = *e->buf + e->len;
	p = put_varint(p, (uint64_t)(x->ip - (e->first ? 0 : e->ip)));
	p = put_varint(p, (uint64_t)(same ? x->acct - e->acct : x->acct));
	p = put_varint(p, (uint64_t)x->n);
	e->len = (size_t)(p - *e->buf);
	e->ip = x->ip;
	e->acct = x->acct;
	e->first = 0;
}

/* a decoder of a blob, one entry at a time (as chunk_decode()) */
struct dec {
	const unsigned char *p, *end;
	int64_t ip, prev_acct;
	int first;
};

/* dec_next: 1 and the next entry in *x, 0 at the end, -1 if malformed */
static int dec_next(struct dec *d, struct chunk_entry *x)
{
	uint64_t dip, acct, cnt;

	if (d->p >= d->end)
		return 0;
	if ((d->p = get_varint(d->p, d->end, &dip)) == NULL ||
	    (d->p = get_varint(d->p, d->end, &acct)) == NULL ||
	    (d->p = get_varint(d->p, d->end, &cnt)) == NULL)
		return -1;
	/* as chunk_decode(): sorted, keys once, counts in [1, CHUNK_N_MAX] */
	if (dip > INT64_MAX - (uint64_t)d->ip || acct > INT64_MAX ||
	    cnt == 0 || cnt > (uint64_t)CHUNK_N_MAX)
		return -1;
	if (dip == 0 && !d->first) {
		if (acct == 0 || acct > (uint64_t)(INT64_MAX - d->prev_acct))
			return -1;
		acct += (uint64_t)d->prev_acct;
	}
	d->ip += (int64_t)dip;
	d->prev_acct = (int64_t)acct;
	d->first = 0;
	x->ip = d->ip;
	x->acct = (int64_t)acct;
	x->n = (int64_t)cnt;
	return 1;
}

/* merge: the entries of a blob with those of an array or of another blob,
 * encoded as they come */
static long merge(const unsigned char *p, size_t len,
    const struct chunk_entry *add, size_t n, const unsigned char *q,
    size_t qlen, unsigned char **buf, size_t *cap)
{
	/* (no arithmetic on a NULL blob, even + 0: SQLite gives NULL for an
	 * empty one, and an array merge has no second blob) */
	struct dec da = { p, p ? p + len : p, 0, 0, 1 },
	    db = { q, q ? q + qlen : q, 0, 0, 1 };
	struct enc e = { buf, cap, 0, 0, 0, 1 };
	struct chunk_entry x, y;
	int hx, hy;
	size_t j = 0;

	hx = dec_next(&da, &x);
	if (q) {
		hy = dec_next(&db, &y);
	} else if ((hy = j < n) != 0) {
		y = add[j++];
	}
	while (hx > 0 || hy > 0) {
		if (hx < 0 || hy < 0)
			return -1;
		if (hy == 0 || (hx > 0 && entry_cmp(&x, &y) < 0)) {
			enc_put(&e, &x);
			hx = dec_next(&da, &x);
			continue;
		}
		if (hx > 0 && entry_cmp(&x, &y) == 0) {
			y.n = add_n(y.n, x.n);
			hx = dec_next(&da, &x);
		}
		enc_put(&e, &y);
		if (q)
			hy = dec_next(&db, &y);
		else if ((hy = j < n) != 0)
			y = add[j++];
	}
	if (hx < 0 || hy < 0)
		return -1;
	return (long)e.len;
}

long chunk_merge_encode(const unsigned char *p, size_t len,
    const struct chunk_entry *add, size_t n, unsigned char **buf,
    size_t *cap)
{
	return merge(p, len, add, n, NULL, 0, buf, cap);
}

long chunk_merge_blobs(const unsigned char *p, size_t len,
    const unsigned char *q, size_t qlen, unsigned char **buf, size_t *cap)
{
	return merge(p, len, NULL, 0, q ? q : (const unsigned char *)"", qlen,
	    buf, cap);
}
