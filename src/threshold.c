/* threshold: sliding windows per group (see threshold.h) */
#include <stdlib.h>
#include <string.h>

#include "smap.h"
#include "threshold.h"
#include "xmalloc.h"

struct wentry {
	int64_t ts;
	size_t val;            /* index into the group's values (distinct) */
	int64_t n;
	int64_t unsaved;
};

struct group {
	size_t *vlen;          /* distinct: length of each value */
	struct wentry *e;      /* ring kept sorted by ts: e[head..head+n) */
	size_t head, n, cap;
	int64_t total;         /* sum of n in the window */
	struct smap vidx;      /* distinct: value → index+1 */
	char **vals;
	int64_t *vcount;       /* events per value in the window */
	size_t nvals;
	int64_t ndistinct;     /* values with vcount > 0 */
};

struct threshold {
	int64_t window;
	int distinct;
	size_t max_groups;
	struct smap groups;
};

struct threshold *threshold_new(int64_t window, int distinct, size_t max_groups)
{
	struct threshold *t = xcalloc(1, sizeof *t);

	t->window = window;
	t->distinct = distinct;
	t->max_groups = max_groups ? max_groups : 10000;
	smap_init(&t->groups);
	return t;
}

static void group_free(struct group *g)
{
	size_t i;

	for (i = 0; i < g->nvals; i++)
		free(g->vals[i]);
	free(g->vals);
	free(g->vcount);
	free(g->vlen);
	smap_release(&g->vidx);
	free(g->e);
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

#define AT(g, i) ((g)->e[((g)->head + (i)) % (g)->cap])

static size_t value_index(struct group *g, const char *val, size_t vlen)
{
	size_t ix = (size_t)smap_get(&g->vidx, val, vlen);

	if (ix)
		return ix - 1;
	g->vals = xreallocarray(g->vals, g->nvals + 1, sizeof *g->vals);
	g->vcount = xreallocarray(g->vcount, g->nvals + 1, sizeof *g->vcount);
	g->vlen = xreallocarray(g->vlen, g->nvals + 1, sizeof *g->vlen);
	g->vals[g->nvals] = xstrndup(val, vlen);
	g->vlen[g->nvals] = vlen;
	g->vcount[g->nvals] = 0;
	smap_put(&g->vidx, val, vlen, (void *)(g->nvals + 1));
	return g->nvals++;
}

static void ring_grow(struct group *g)
{
	struct wentry *ne;
	size_t i, cap = g->cap ? g->cap * 2 : 2;

	ne = xcalloc(cap, sizeof *ne);
	for (i = 0; i < g->n; i++)
		ne[i] = AT(g, i);
	free(g->e);
	g->e = ne;
	g->cap = cap;
	g->head = 0;
}

int threshold_add(struct threshold *t, const char *grp, size_t glen,
    const char *val, size_t vlen, int64_t ts, int64_t n, int64_t now,
    int saved)
{
	struct group *g;
	size_t vi = 0, i, pos;

	if (ts > now)
		ts = now;
	if (ts <= now - t->window || n <= 0)
		return -1;
	if ((g = smap_get(&t->groups, grp, glen)) == NULL) {
		if (t->groups.n >= t->max_groups)
			return -1;
		g = xcalloc(1, sizeof *g);
		smap_init(&g->vidx);
		smap_put(&t->groups, grp, glen, g);
	}
	if (t->distinct) {
		vi = value_index(g, val, vlen);
		if (g->vcount[vi] == 0)
			g->ndistinct++;
		g->vcount[vi] += n;
	}
	g->total += n;
	/* mostly appends; out-of-order seconds search backwards */
	for (pos = g->n; pos > 0 && AT(g, pos - 1).ts > ts; pos--)
		;
	for (i = pos; i > 0 && AT(g, i - 1).ts == ts; i--)
		if (AT(g, i - 1).val == vi) {
			AT(g, i - 1).n += n;
			if (!saved)
				AT(g, i - 1).unsaved += n;
			return 0;
		}
	if (g->n == g->cap)
		ring_grow(g);
	for (i = g->n; i > pos; i--)
		AT(g, i) = AT(g, i - 1);
	AT(g, pos).ts = ts;
	AT(g, pos).val = vi;
	AT(g, pos).n = n;
	AT(g, pos).unsaved = saved ? 0 : n;
	g->n++;
	return 0;
}

void threshold_expire(struct threshold *t, int64_t now)
{
	size_t i;

	for (i = 0; i < t->groups.cap; i++) {
		struct group *g = t->groups.vals[i];

		if (!t->groups.keys[i])
			continue;
		while (g->n > 0 && g->e[g->head].ts <= now - t->window) {
			struct wentry *w = &g->e[g->head];

			g->total -= w->n;
			if (t->distinct && (g->vcount[w->val] -= w->n) == 0)
				g->ndistinct--;
			g->head = (g->head + 1) % g->cap;
			g->n--;
		}
		if (g->n == 0) {
			char *k = t->groups.keys[i];

			/* deleting shifts later slots into i: look at i again */
			smap_del(&t->groups, k, t->groups.klen[i]);
			group_free(g);
			i--;
		}
	}
}

int64_t threshold_value(const struct threshold *t, const char *grp, size_t glen)
{
	struct group *g = smap_get(&t->groups, grp, glen);

	if (g == NULL)
		return 0;
	return t->distinct ? g->ndistinct : g->total;
}

void threshold_each(const struct threshold *t, threshold_group_cb *fn,
    void *arg)
{
	size_t i;

	for (i = 0; i < t->groups.cap; i++) {
		struct group *g = t->groups.vals[i];

		if (t->groups.keys[i] && g->n > 0)
			fn(arg, t->groups.keys[i], t->groups.klen[i],
			    t->distinct ? g->ndistinct : g->total);
	}
}

int threshold_unsaved(struct threshold *t, threshold_delta_cb *fn, void *arg)
{
	size_t i, j;

	for (i = 0; i < t->groups.cap; i++) {
		struct group *g = t->groups.vals[i];

		if (!t->groups.keys[i])
			continue;
		for (j = 0; j < g->n; j++) {
			struct wentry *w = &AT(g, j);

			if (w->unsaved && fn(arg, t->groups.keys[i],
			    t->groups.klen[i], t->distinct ? g->vals[w->val] : "",
			    t->distinct ? g->vlen[w->val] : 0, w->ts, w->unsaved) < 0)
				return -1;
		}
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
	}
}

size_t threshold_ngroups(const struct threshold *t)
{
	return t->groups.n;
}

int64_t threshold_window(const struct threshold *t)
{
	return t->window;
}
