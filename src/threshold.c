/* threshold: sliding windows per group (see threshold.h) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "smap.h"
#include "threshold.h"
#include "xmalloc.h"

#define M THRESHOLD_HLL_M
#define P THRESHOLD_HLL_P
#define NS THRESHOLD_SLICES
#define EMPTY INT64_MIN

/* a slot of a count threshold: n events in [ts, ts + slot) */
struct slot {
	int64_t ts;
	int64_t n;
	int64_t unsaved;
};

/* a distinct value, exactly: its hash and when it was last seen */
struct xval {
	uint64_t h;
	int64_t last;
};

/* the sliding HyperLogLog of a group with many distinct values: per slice
 * (ring index = start / slice % NS) the registers of the values seen in it;
 * merged[] is their maximum over the slices in the window */
struct sketch {
	int64_t start[NS];      /* EMPTY: unused */
	uint8_t reg[NS][M];
	uint8_t merged[M];
	double sum;             /* sum of 2^-merged[j] */
	int zeros;              /* registers of merged[] at 0 */
};

struct group {
	/* count thresholds: ring of slots sorted by ts, e[head..head+n) */
	struct slot *e;
	size_t head, n, cap;
	int64_t total;          /* sum of n in the window */
	/* distinct thresholds: exact values, or (sk != NULL) the sketch */
	struct xval *xv;
	size_t nxv, xcap;
	struct sketch *sk;
	/* distinct: slices changed since the last save, by ring index */
	unsigned dirty;
	int64_t dirty_ts[NS];
};

struct threshold {
	int64_t window;
	int64_t slot;           /* count slot length, s */
	int64_t slice;          /* distinct slice length, s */
	int distinct;
	size_t max_groups;
	struct smap groups;
};

/* floor division for time stamps (never negative in a log, but any int64
 * must work) */
static int64_t floor_to(int64_t ts, int64_t len)
{
	int64_t r = ts % len;

	return r < 0 ? ts - r - len : ts - r;
}

static size_t ring_index(const struct threshold *t, int64_t start)
{
	int64_t k = floor_to(start, t->slice) / t->slice % NS;

	return (size_t)(k < 0 ? k + NS : k);
}

struct threshold *threshold_new(int64_t window, int distinct, size_t max_groups)
{
	struct threshold *t = xcalloc(1, sizeof *t);

	t->window = window > 0 ? window : 1;
	t->slot = THRESHOLD_SLOT(t->window);
	t->slice = THRESHOLD_SLICE(t->window);
	t->distinct = distinct;
	t->max_groups = max_groups ? max_groups : 10000;
	smap_init(&t->groups);
	return t;
}

static void group_free(struct group *g)
{
	free(g->e);
	free(g->xv);
	free(g->sk);
	free(g);
}

void threshold_free(struct threshold *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->groups.cap; i++)
		if (t->groups.keys[i])
			group_free(t->groups.vals[i]);
	smap_release(&t->groups);
	free(t);
}

/* ---- count thresholds ---- */

#define AT(g, i) ((g)->e[((g)->head + (i)) % (g)->cap])

static void ring_grow(struct group *g)
{
	struct slot *ne;
	size_t i, cap = g->cap ? g->cap * 2 : 2;

	ne = xcalloc(cap, sizeof *ne);
	for (i = 0; i < g->n; i++)
		ne[i] = AT(g, i);
	free(g->e);
	g->e = ne;
	g->cap = cap;
	g->head = 0;
}

static void count_add(struct threshold *t, struct group *g, int64_t ts,
    int64_t n, int saved)
{
	size_t i, pos;

	ts = floor_to(ts, t->slot);
	g->total += n;
	/* mostly the last slot; out-of-order seconds search backwards */
	for (pos = g->n; pos > 0 && AT(g, pos - 1).ts > ts; pos--)
		;
	if (pos > 0 && AT(g, pos - 1).ts == ts) {
		AT(g, pos - 1).n += n;
		if (!saved)
			AT(g, pos - 1).unsaved += n;
		return;
	}
	if (g->n == g->cap)
		ring_grow(g);
	for (i = g->n; i > pos; i--)
		AT(g, i) = AT(g, i - 1);
	AT(g, pos).ts = ts;
	AT(g, pos).n = n;
	AT(g, pos).unsaved = saved ? 0 : n;
	g->n++;
}

/* ---- distinct thresholds: the sketch ---- */

static uint64_t value_hash(const char *v, size_t n)
{
	return hash_u64(hash_bytes(0x6a09e667f3bcc909ULL, v, n));
}

static void sketch_rebuild(struct sketch *sk)
{
	size_t i, j;

	memset(sk->merged, 0, sizeof sk->merged);
	for (i = 0; i < NS; i++) {
		if (sk->start[i] == EMPTY)
			continue;
		for (j = 0; j < M; j++)
			if (sk->reg[i][j] > sk->merged[j])
				sk->merged[j] = sk->reg[i][j];
	}
	sk->sum = 0;
	sk->zeros = 0;
	for (j = 0; j < M; j++) {
		sk->sum += ldexp(1.0, -sk->merged[j]);
		sk->zeros += sk->merged[j] == 0;
	}
}

static struct sketch *sketch_new(void)
{
	struct sketch *sk = xcalloc(1, sizeof *sk);
	size_t i;

	for (i = 0; i < NS; i++)
		sk->start[i] = EMPTY;
	sketch_rebuild(sk);
	return sk;
}

/* sketch_slice: the registers of the slice starting at start (made empty
 * if the ring index held an older slice); NULL if it holds a newer one */
static uint8_t *sketch_slice(struct sketch *sk, size_t ix, int64_t start)
{
	if (sk->start[ix] == start)
		return sk->reg[ix];
	if (sk->start[ix] != EMPTY && sk->start[ix] > start)
		return NULL;
	if (sk->start[ix] != EMPTY) {
		sk->start[ix] = EMPTY;
		sketch_rebuild(sk);
	}
	memset(sk->reg[ix], 0, M);
	sk->start[ix] = start;
	return sk->reg[ix];
}

/* sketch_set: register j of slice reg at least r */
static void sketch_set(struct sketch *sk, uint8_t *reg, size_t j, uint8_t r)
{
	if (r <= reg[j])
		return;
	reg[j] = r;
	if (r > sk->merged[j]) {
		sk->sum += ldexp(1.0, -r) - ldexp(1.0, -sk->merged[j]);
		sk->zeros -= sk->merged[j] == 0;
		sk->merged[j] = r;
	}
}

static int sketch_add(struct threshold *t, struct group *g, uint64_t h,
    int64_t ts)
{
	int64_t start = floor_to(ts, t->slice);
	size_t ix = ring_index(t, start);
	uint64_t w = h << P;
	uint8_t *reg, rank = w ? (uint8_t)(__builtin_clzll(w) + 1) :
	    (uint8_t)(64 - P + 1);

	if ((reg = sketch_slice(g->sk, ix, start)) == NULL)
		return -1;
	sketch_set(g->sk, reg, (size_t)(h >> (64 - P)), rank);
	return 0;
}

static int64_t sketch_estimate(const struct sketch *sk)
{
	double alpha = 0.7213 / (1.0 + 1.079 / M), e;

	e = alpha * M * M / sk->sum;
	if (e <= 2.5 * M && sk->zeros > 0)
		e = M * log((double)M / sk->zeros);    /* linear counting */
	return (int64_t)llround(e);
}

/* ---- distinct thresholds: values ---- */

static void mark_dirty(struct threshold *t, struct group *g, int64_t ts)
{
	int64_t start = floor_to(ts, t->slice);
	size_t ix = ring_index(t, start);

	g->dirty |= 1u << ix;
	g->dirty_ts[ix] = start;
}

static void to_sketch(struct threshold *t, struct group *g)
{
	size_t i;

	g->sk = sketch_new();
	for (i = 0; i < g->nxv; i++) {
		sketch_add(t, g, g->xv[i].h, g->xv[i].last);
		mark_dirty(t, g, g->xv[i].last);
	}
	free(g->xv);
	g->xv = NULL;
	g->nxv = g->xcap = 0;
}

static void exact_expire(struct threshold *t, struct group *g, int64_t now)
{
	size_t i;

	for (i = 0; i < g->nxv;)
		if (g->xv[i].last <= now - t->window)
			g->xv[i] = g->xv[--g->nxv];
		else
			i++;
}

static void distinct_add(struct threshold *t, struct group *g, uint64_t h,
    int64_t ts, int64_t now, int saved)
{
	size_t i;

	if (g->sk == NULL) {
		for (i = 0; i < g->nxv; i++)
			if (g->xv[i].h == h)
				break;
		if (i < g->nxv) {
			if (ts <= g->xv[i].last)
				return;
			if (!saved)
				mark_dirty(t, g, g->xv[i].last);   /* it leaves that slice */
			g->xv[i].last = ts;
			if (!saved)
				mark_dirty(t, g, ts);
			return;
		}
		if (g->nxv == THRESHOLD_EXACT)
			exact_expire(t, g, now);
		if (g->nxv < THRESHOLD_EXACT) {
			if (g->nxv == g->xcap) {
				g->xcap = g->xcap ? g->xcap * 2 : 4;
				g->xv = xreallocarray(g->xv, g->xcap, sizeof *g->xv);
			}
			g->xv[g->nxv].h = h;
			g->xv[g->nxv++].last = ts;
			if (!saved)
				mark_dirty(t, g, ts);
			return;
		}
		to_sketch(t, g);
	}
	if (sketch_add(t, g, h, ts) == 0 && !saved)
		mark_dirty(t, g, ts);
}

static int64_t distinct_value(const struct group *g)
{
	return g->sk ? sketch_estimate(g->sk) : (int64_t)g->nxv;
}

/* ---- groups ---- */

static struct group *group_get(struct threshold *t, const char *grp,
    size_t glen)
{
	struct group *g = smap_get(&t->groups, grp, glen);

	if (g == NULL) {
		if (t->groups.n >= t->max_groups)
			return NULL;
		g = xcalloc(1, sizeof *g);
		smap_put(&t->groups, grp, glen, g);
	}
	return g;
}

int threshold_add(struct threshold *t, const char *grp, size_t glen,
    const char *val, size_t vlen, int64_t ts, int64_t n, int64_t now,
    int saved)
{
	struct group *g;

	if (ts > now)
		ts = now;
	if (ts <= now - t->window || n <= 0)
		return -1;
	if ((g = group_get(t, grp, glen)) == NULL)
		return -1;
	if (t->distinct)
		distinct_add(t, g, value_hash(val, vlen), ts, now, saved);
	else
		count_add(t, g, ts, n, saved);
	return 0;
}

/* group_expire: 1 if the group is empty at now */
static int group_expire(struct threshold *t, struct group *g, int64_t now)
{
	size_t i;
	int gone = 0;

	if (!t->distinct) {
		while (g->n > 0 && g->e[g->head].ts + t->slot - 1 <= now - t->window) {
			g->total -= g->e[g->head].n;
			g->head = (g->head + 1) % g->cap;
			g->n--;
		}
		return g->n == 0;
	}
	if (g->sk == NULL) {
		exact_expire(t, g, now);
		return g->nxv == 0;
	}
	for (i = 0; i < NS; i++) {
		if (g->sk->start[i] != EMPTY &&
		    g->sk->start[i] + t->slice - 1 <= now - t->window) {
			g->sk->start[i] = EMPTY;
			gone++;
		}
	}
	if (gone)
		sketch_rebuild(g->sk);
	for (i = 0; i < NS; i++)
		if (g->sk->start[i] != EMPTY)
			return 0;
	return 1;
}

void threshold_expire(struct threshold *t, int64_t now)
{
	size_t i;

	for (i = 0; i < t->groups.cap; i++) {
		struct group *g = t->groups.vals[i];

		if (!t->groups.keys[i] || !group_expire(t, g, now))
			continue;
		/* deleting shifts later slots into i: look at i again */
		smap_del(&t->groups, t->groups.keys[i], t->groups.klen[i]);
		group_free(g);
		i--;
	}
}

static int64_t group_value(const struct threshold *t, const struct group *g)
{
	return t->distinct ? distinct_value(g) : g->total;
}

int64_t threshold_value(const struct threshold *t, const char *grp, size_t glen)
{
	struct group *g = smap_get(&t->groups, grp, glen);

	return g ? group_value(t, g) : 0;
}

void threshold_each(const struct threshold *t, threshold_group_cb *fn,
    void *arg)
{
	size_t i;

	for (i = 0; i < t->groups.cap; i++) {
		struct group *g = t->groups.vals[i];
		int64_t v;

		if (t->groups.keys[i] && (v = group_value(t, g)) > 0)
			fn(arg, t->groups.keys[i], t->groups.klen[i], v);
	}
}

/* ---- persistence ---- */

/* Slice data: "x" then per value its hash and last time (8 bytes each,
 * little-endian); or "h", P, then the M registers. */
static void put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* slice_data: the state of slice ix of g into buf (room for
 * 1 + 16 * THRESHOLD_EXACT or 2 + M bytes); its length, 0 if empty */
static size_t slice_data(const struct threshold *t, const struct group *g,
    size_t ix, unsigned char *buf)
{
	size_t i, n = 1;

	if (g->sk != NULL) {
		if (g->sk->start[ix] != g->dirty_ts[ix])
			return 0;
		buf[0] = 'h';
		buf[1] = P;
		memcpy(buf + 2, g->sk->reg[ix], M);
		return 2 + M;
	}
	buf[0] = 'x';
	for (i = 0; i < g->nxv; i++) {
		if (floor_to(g->xv[i].last, t->slice) != g->dirty_ts[ix])
			continue;
		put64(buf + n, g->xv[i].h);
		put64(buf + n + 8, (uint64_t)g->xv[i].last);
		n += 16;
	}
	return n > 1 ? n : 0;
}

int threshold_unsaved(struct threshold *t, threshold_count_cb *count_fn,
    threshold_slice_cb *slice_fn, void *arg)
{
	unsigned char buf[2 + 16 * THRESHOLD_EXACT + M];
	size_t i, j;

	for (i = 0; i < t->groups.cap; i++) {
		struct group *g = t->groups.vals[i];
		const char *k = t->groups.keys[i];
		size_t kl = t->groups.klen[i];

		if (k == NULL)
			continue;
		for (j = 0; j < g->n; j++) {
			struct slot *w = &AT(g, j);

			if (w->unsaved && count_fn(arg, k, kl, w->ts, w->unsaved) < 0)
				return -1;
		}
		for (j = 0; j < NS; j++)
			if ((g->dirty & (1u << j)) && slice_fn(arg, k, kl,
			    g->dirty_ts[j], buf, slice_data(t, g, j, buf)) < 0)
				return -1;
	}
	return 0;
}

void threshold_mark_saved(struct threshold *t)
{
	size_t i, j;

	for (i = 0; i < t->groups.cap; i++) {
		struct group *g = t->groups.vals[i];

		if (!t->groups.keys[i])
			continue;
		for (j = 0; j < g->n; j++)
			AT(g, j).unsaved = 0;
		g->dirty = 0;
	}
}

int threshold_load_slice(struct threshold *t, const char *grp, size_t glen,
    int64_t ts, const void *data, size_t len, int64_t now)
{
	const unsigned char *p = data;
	struct group *g;
	uint8_t *reg;
	size_t i;

	if (!t->distinct || len == 0 ||
	    !((p[0] == 'x' && (len - 1) % 16 == 0) ||
	    (p[0] == 'h' && len == 2 + M && p[1] == P)))
		return -1;
	ts = floor_to(ts, t->slice);
	if (ts + t->slice - 1 <= now - t->window)
		return 0;                         /* left the window meanwhile */
	if ((g = group_get(t, grp, glen)) == NULL)
		return -1;
	if (p[0] == 'x') {
		for (i = 1; i < len; i += 16) {
			int64_t last = (int64_t)get64(p + i + 8);

			if (last > now)
				last = now;
			if (last > now - t->window)
				distinct_add(t, g, get64(p + i), last, now, 1);
		}
		return 0;
	}
	if (g->sk == NULL)
		to_sketch(t, g);
	if ((reg = sketch_slice(g->sk, ring_index(t, ts), ts)) == NULL)
		return 0;
	for (i = 0; i < M; i++)
		sketch_set(g->sk, reg, i, p[2 + i] <= 64 - P + 1 ?
		    p[2 + i] : 64 - P + 1);
	return 0;
}

size_t threshold_ngroups(const struct threshold *t)
{
	return t->groups.n;
}

int64_t threshold_window(const struct threshold *t)
{
	return t->window;
}

size_t threshold_bytes(const struct threshold *t)
{
	size_t i, b = sizeof *t + t->groups.cap * (sizeof(char *) +
	    sizeof(size_t) + sizeof(void *));

	for (i = 0; i < t->groups.cap; i++) {
		const struct group *g = t->groups.vals[i];

		if (!t->groups.keys[i])
			continue;
		b += t->groups.klen[i] + 1 + sizeof *g + g->cap * sizeof *g->e +
		    g->xcap * sizeof *g->xv + (g->sk ? sizeof *g->sk : 0);
	}
	return b;
}
