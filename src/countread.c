/* countread: a window's counts from minute, hour and day chunks (see
 * countread.h) */
#include <stdlib.h>
#include <string.h>

#include "countread.h"
#include "rollup.h"
#include "xmalloc.h"

/* a range of bucket starts [lo, hi) to read at one level */
struct range {
	int64_t lo, hi;
};

struct plan {
	struct range *r[ROLLUP_LEVELS];
	size_t n[ROLLUP_LEVELS], cap[ROLLUP_LEVELS];
	const int64_t *done;       /* the days rolled up, sorted */
	size_t ndone;
};

/* rolled: is the day starting at d rolled up? */
static int rolled(const struct plan *p, int64_t d)
{
	size_t lo = 0, hi = p->ndone, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (p->done[mid] < d)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->ndone && p->done[lo] == d;
}

static int64_t floor_to(int64_t t, int64_t u)
{
	int64_t r = t % u;

	return r < 0 ? t - r - u : t - r;
}

static int64_t ceil_to(int64_t t, int64_t u)
{
	int64_t f = floor_to(t, u);

	return f == t ? t : f + u;
}

/* add: [lo, hi) at a level, joined to the last range when adjacent (the
 * pieces come in time order per level) */
static void add(struct plan *p, int level, int64_t lo, int64_t hi)
{
	struct range *last;

	if (lo >= hi)
		return;
	if (p->n[level] > 0) {
		last = &p->r[level][p->n[level] - 1];
		if (last->hi == lo) {
			last->hi = hi;
			return;
		}
	}
	if (p->n[level] == p->cap[level]) {
		p->cap[level] = p->cap[level] ? 2 * p->cap[level] : 16;
		p->r[level] = xreallocarray(p->r[level], p->cap[level],
		    sizeof *p->r[level]);
	}
	p->r[level][p->n[level]].lo = lo;
	p->r[level][p->n[level]++].hi = hi;
}

/* cover: [a, b) with whole periods of `level` where they fit, finer ones
 * at the ends */
static void cover(struct plan *p, int64_t a, int64_t b, int level)
{
	int64_t u, lo, hi;

	if (a >= b)
		return;
	if (level == 0) {
		add(p, 0, a, b);
		return;
	}
	u = rollup_units[level];
	lo = ceil_to(a, u);
	hi = floor_to(b, u);
	if (lo >= hi) {
		cover(p, a, b, level - 1);
		return;
	}
	cover(p, a, lo, level - 1);
	if (level == 2) {
		/* only the days rolled up have a day chunk (rollup.h) */
		for (; lo < hi; lo += u) {
			if (rolled(p, lo))
				add(p, 2, lo, lo + u);
			else
				add(p, 1, lo, lo + u);
		}
	} else {
		add(p, level, lo, hi);
	}
	cover(p, hi, b, level - 1);
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

static int read_level(sqlite3 *db, const struct countread_query *q,
    int level, const struct range *r, size_t nr, countread_fn *fn, void *arg)
{
	static const char *const sql[ROLLUP_LEVELS] = {
		"SELECT bucket, class_id, data FROM count_chunks "
		    "WHERE bucket >= ?1 AND bucket < ?2",
		"SELECT bucket, class_id, data FROM count_hours "
		    "WHERE bucket >= ?1 AND bucket < ?2",
		"SELECT bucket, class_id, data FROM count_days "
		    "WHERE bucket >= ?1 AND bucket < ?2",
	};
	struct countread_chunk c;
	struct chunk_vec cv = { 0 };
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, sql[level], -1, &st, NULL)) !=
	    SQLITE_OK)
		return rc;
	c.unit = rollup_units[level];
	for (i = 0; i < nr && rc == SQLITE_OK; i++) {
		sqlite3_bind_int64(st, 1, r[i].lo);
		sqlite3_bind_int64(st, 2, r[i].hi);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			c.cls = sqlite3_column_int64(st, 1);
			if (q->cls_ok && (c.cls < 0 || (size_t)c.cls >=
			    q->ncls_ok || !q->cls_ok[c.cls]))
				continue;
			c.bucket = sqlite3_column_int64(st, 0);
			cv.n = 0;
			if (chunk_decode(sqlite3_column_blob(st, 2),
			    (size_t)sqlite3_column_bytes(st, 2), &cv) < 0) {
				rc = SQLITE_CORRUPT;
				break;
			}
			c.v = cv.v;
			c.n = cv.n;
			if (c.n > 0 && (rc = fn(arg, &c)) != 0)
				break;
		}
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	chunk_vec_release(&cv);
	return rc;
}

int countread_scan(sqlite3 *db, const struct countread_query *q,
    countread_fn *fn, void *arg)
{
	struct plan p;
	int64_t *cut, *done = NULL, since = q->since;
	size_t nc = 0, i, capdone = 0;
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_OK, level, minutes;

	memset(&p, 0, sizeof p);
	/* before the retention's cut nothing is left but the hour and the
	 * day holding it, which also hold pruned minutes: start there */
	if (q->pruned > since)
		since = q->pruned;
	if (since >= q->until)
		return SQLITE_OK;
	/* the days rolled up in the window */
	if ((rc = sqlite3_prepare_v2(db, "SELECT day FROM count_days_done "
	    "WHERE day >= ?1 AND day < ?2 ORDER BY day", -1, &st, NULL)) !=
	    SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, q->until);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (p.ndone == capdone) {
			capdone = capdone ? 2 * capdone : 64;
			done = xreallocarray(done, capdone, sizeof *done);
		}
		done[p.ndone++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(done);
		return rc;
	}
	rc = SQLITE_OK;
	p.done = done;
	cut = xreallocarray(NULL, q->ncuts + 2, sizeof *cut);
	cut[nc++] = since;
	for (i = 0; i < q->ncuts; i++)
		if (q->cuts[i] > since && q->cuts[i] < q->until)
			cut[nc++] = q->cuts[i];
	cut[nc++] = q->until;
	qsort(cut, nc, sizeof *cut, cmp_i64);
	/* EXIMWATCH_READ_MINUTES=1: every minute, the rollups unused (the
	 * tests and the benchmark compare the two) */
	minutes = getenv("EXIMWATCH_READ_MINUTES") != NULL &&
	    strcmp(getenv("EXIMWATCH_READ_MINUTES"), "1") == 0;
	for (i = 0; i + 1 < nc; i++)
		cover(&p, cut[i], cut[i + 1], minutes ? 0 : q->no_days ? 1 :
		    ROLLUP_LEVELS - 1);
	free(cut);
	for (level = ROLLUP_LEVELS - 1; level >= 0 && rc == SQLITE_OK; level--)
		if (p.n[level] > 0)
			rc = read_level(db, q, level, p.r[level], p.n[level], fn,
			    arg);
	for (level = 0; level < ROLLUP_LEVELS; level++)
		free(p.r[level]);
	free(done);
	return rc;
}
