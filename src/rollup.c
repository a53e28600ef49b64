/* rollup: hour and day chunks written with the minute ones (see rollup.h) */
#include <stdlib.h>
#include <string.h>

#include "countsvt.h"
#include "rollup.h"
#include "xmalloc.h"

const char *const rollup_tables[ROLLUP_LEVELS] = {
	"count_chunks", "count_hours", "count_days"
};
const int64_t rollup_units[ROLLUP_LEVELS] = { 60, 3600, 86400 };

int64_t rollup_start(int64_t bucket, int level)
{
	int64_t u = rollup_units[level], r = bucket % u;

	return r < 0 ? bucket - r - u : bucket - r;
}

/* the entries gathered for one (period, class): sorted runs, appended */
struct acc {
	int64_t start, cls;
	struct chunk_vec v;
	size_t *runs;           /* start of each run but the first */
	size_t nruns, capruns;
};

/* the hour accumulators of the transaction */
struct level {
	struct acc *a;
	size_t n, cap;
	size_t hint;            /* the last one used */
	size_t entries;         /* in all of them */
};

/* a day's gathered entries, kept encoded as a chunk (~5 bytes an entry
 * instead of 24: the days gather many) */
struct dacc {
	int64_t start, cls;
	unsigned char *buf;     /* runs: each hour flush's entries, encoded */
	size_t len, cap;
	size_t *run;            /* where each run but the first starts */
	size_t nrun, caprun;
};

struct rollup {
	sqlite3 *db;
	sqlite3_stmt *done;     /* is a day rolled up? */
	int64_t done_day;       /* its last answer: */
	int done_yes;
	struct chunkw *cw[2];   /* hours, days */
	struct level lv;
	struct dacc *days;
	size_t nday, capday, day_entries;
	struct chunk_vec tmp;
	unsigned char *sbuf;    /* a merge's output, swapped with a day's */
	size_t scap;
};

static void forget_days(struct rollup *r);

struct rollup *rollup_new(sqlite3 *db)
{
	struct rollup *r = xcalloc(1, sizeof *r);

	r->db = db;
	r->done_day = -1;
	r->cw[0] = chunkw_new(db, rollup_tables[1]);
	r->cw[1] = chunkw_new(db, rollup_tables[2]);
	return r;
}

void rollup_free(struct rollup *r)
{
	size_t j;

	if (r == NULL)
		return;
	sqlite3_finalize(r->done);
	chunkw_free(r->cw[0]);
	chunkw_free(r->cw[1]);
	for (j = 0; j < r->lv.cap; j++) {
		chunk_vec_release(&r->lv.a[j].v);
		free(r->lv.a[j].runs);
	}
	free(r->lv.a);
	forget_days(r);
	for (j = 0; j < r->capday; j++) {
		free(r->days[j].buf);
		free(r->days[j].run);
	}
	free(r->days);
	free(r->sbuf);
	chunk_vec_release(&r->tmp);
	free(r);
}

/* acc_get: the accumulator of (start, cls), made if need be; the entries
 * of accumulators forgotten earlier are kept allocated */
static struct acc *acc_get(struct level *l, int64_t start, int64_t cls)
{
	struct acc *a;
	size_t i;

	if (l->hint < l->n && l->a[l->hint].start == start &&
	    l->a[l->hint].cls == cls)
		return &l->a[l->hint];
	for (i = 0; i < l->n; i++)
		if (l->a[i].start == start && l->a[i].cls == cls)
			return &l->a[l->hint = i];
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->a = xreallocarray(l->a, l->cap, sizeof *l->a);
		memset(l->a + l->n, 0, (l->cap - l->n) * sizeof *l->a);
	}
	a = &l->a[l->hint = l->n++];
	a->start = start;
	a->cls = cls;
	a->v.n = 0;
	a->nruns = 0;
	return a;
}

/* acc_append: one more sorted run */
static void acc_append(struct acc *a, const struct chunk_entry *v, size_t n)
{
	if (n == 0)
		return;
	if (a->v.n > 0) {
		if (a->nruns == a->capruns) {
			a->capruns = a->capruns ? 2 * a->capruns : 16;
			a->runs = xreallocarray(a->runs, a->capruns,
			    sizeof *a->runs);
		}
		a->runs[a->nruns++] = a->v.n;
	}
	if (a->v.n + n > a->v.cap) {
		a->v.cap = a->v.cap ? a->v.cap : 64;
		while (a->v.n + n > a->v.cap)
			a->v.cap *= 2;
		a->v.v = xreallocarray(a->v.v, a->v.cap, sizeof *a->v.v);
	}
	memcpy(a->v.v + a->v.n, v, n * sizeof *v);
	a->v.n += n;
}

static inline int entry_lt(const struct chunk_entry *x,
    const struct chunk_entry *y)
{
	return x->ip < y->ip || (x->ip == y->ip && x->acct < y->acct);
}

/* merge2: a[0..na) and b[0..nb) (sorted, keys once) into out, equal keys
 * summed; the entries written */
static size_t merge2(const struct chunk_entry *a, size_t na,
    const struct chunk_entry *b, size_t nb, struct chunk_entry *out)
{
	size_t i = 0, j = 0, k = 0;

	while (i < na && j < nb) {
		if (entry_lt(&a[i], &b[j])) {
			out[k++] = a[i++];
		} else if (entry_lt(&b[j], &a[i])) {
			out[k++] = b[j++];
		} else {
			out[k] = a[i++];
			out[k++].n += b[j++].n;
		}
	}
	while (i < na)
		out[k++] = a[i++];
	while (j < nb)
		out[k++] = b[j++];
	return k;
}

/* acc_sort: merge the runs pairwise until one is left (the runs are each
 * sorted: log2(runs) linear passes) */
static void acc_sort(struct rollup *r, struct acc *a)
{
	struct chunk_entry *src, *dst;
	size_t nr, i, w, k, lo, mid, hi;
	size_t *b;

	if (a->nruns == 0)
		return;
	if (r->tmp.cap < a->v.n) {
		r->tmp.cap = a->v.n;
		r->tmp.v = xreallocarray(r->tmp.v, r->tmp.cap,
		    sizeof *r->tmp.v);
	}
	/* boundaries: 0, runs..., n */
	nr = a->nruns + 1;
	b = xreallocarray(NULL, nr + 1, sizeof *b);
	b[0] = 0;
	memcpy(b + 1, a->runs, a->nruns * sizeof *b);
	b[nr] = a->v.n;
	src = a->v.v;
	dst = r->tmp.v;
	while (nr > 1) {
		for (i = 0, w = 0, k = 0; i < nr; i += 2) {
			lo = b[i];
			mid = b[i + 1];
			hi = i + 2 <= nr ? b[i + 2] : mid;
			b[w++] = k;
			if (i + 1 < nr)
				k += merge2(src + lo, mid - lo, src + mid,
				    hi - mid, dst + k);
			else
				for (; lo < mid; lo++)
					dst[k++] = src[lo];
		}
		b[w] = k;
		nr = w;
		src = src == a->v.v ? r->tmp.v : a->v.v;
		dst = dst == a->v.v ? r->tmp.v : a->v.v;
	}
	if (src != a->v.v)
		memcpy(a->v.v, src, b[1] * sizeof *src);
	a->v.n = b[1];
	a->nruns = 0;
	free(b);
}

/* forget_hours: empty the hour accumulators; the large ones give their
 * memory back (small ones keep it for the next time) */
static void forget_hours(struct rollup *r)
{
	size_t i;

	for (i = 0; i < r->lv.n; i++) {
		struct acc *a = &r->lv.a[i];

		if (a->v.cap > 4096)
			chunk_vec_release(&a->v);
		a->v.n = 0;
		a->nruns = 0;
	}
	r->lv.n = 0;
	r->lv.entries = 0;
	r->lv.hint = 0;
}

static void forget_days(struct rollup *r)
{
	size_t i;

	for (i = 0; i < r->nday; i++) {
		r->days[i].len = 0;
		r->days[i].nrun = 0;
	}
	r->nday = 0;
	r->day_entries = 0;
}

/* flush_days: add the days' gathered entries to their stored chunks */
/* day_merge: d's runs merged pairwise into one (log2(runs) passes);
 * 0, or -1 if a run is malformed (cannot be: we wrote them) */
static int day_merge(struct rollup *r, struct dacc *d)
{
	unsigned char *nb = NULL, *t;
	size_t ncap = 0, nlen, i, w, lo, mid, hi, *b, nr, tc;
	long ml;

	while (d->nrun > 0) {
		/* boundaries 0, runs..., len */
		nr = d->nrun + 1;
		b = xreallocarray(NULL, nr + 1, sizeof *b);
		b[0] = 0;
		memcpy(b + 1, d->run, d->nrun * sizeof *b);
		b[nr] = d->len;
		nlen = 0;
		for (i = 0, w = 0; i < nr; i += 2) {
			lo = b[i];
			mid = b[i + 1];
			hi = i + 1 < nr ? b[i + 2] : mid;
			if (i + 1 < nr) {
				ml = chunk_merge_blobs(d->buf + lo, mid - lo,
				    d->buf + mid, hi - mid, &r->sbuf, &r->scap);
				if (ml < 0) {
					free(b);
					free(nb);
					return -1;
				}
			} else {
				ml = (long)(mid - lo);
				if (r->scap < (size_t)ml) {
					r->scap = (size_t)ml;
					r->sbuf = xrealloc(r->sbuf, r->scap);
				}
				memcpy(r->sbuf, d->buf + lo, (size_t)ml);
			}
			if (ncap < nlen + (size_t)ml) {
				ncap = 2 * (nlen + (size_t)ml);
				nb = xrealloc(nb, ncap);
			}
			memcpy(nb + nlen, r->sbuf, (size_t)ml);
			if (w > 0)
				d->run[w - 1] = nlen;
			w++;
			nlen += (size_t)ml;
		}
		free(b);
		d->nrun = w - 1;
		t = d->buf;
		tc = d->cap;
		d->buf = nb;
		d->cap = ncap;
		d->len = nlen;
		nb = t;
		ncap = tc;
	}
	free(nb);
	return 0;
}

/* flush_days: add the days' gathered entries to their stored chunks */
static int flush_days(struct rollup *r)
{
	size_t i;
	int rc = SQLITE_OK;

	for (i = 0; i < r->nday && rc == SQLITE_OK; i++) {
		if (day_merge(r, &r->days[i]) < 0)
			rc = SQLITE_CORRUPT;
		else
			rc = chunkw_add_blob(r->cw[1], r->days[i].start,
			    r->days[i].cls, r->days[i].buf, r->days[i].len);
	}
	forget_days(r);
	return rc;
}

/* day_run: one more sorted run of entries for (day, cls), kept encoded
 * and merged when the day is written */
static void day_run(struct rollup *r, int64_t day, int64_t cls,
    const struct chunk_entry *v, size_t n)
{
	struct dacc *d;
	size_t j, len;

	for (j = 0; j < r->nday; j++)
		if (r->days[j].start == day && r->days[j].cls == cls)
			break;
	if (j == r->nday) {
		if (r->nday == r->capday) {
			r->capday = r->capday ? 2 * r->capday : 32;
			r->days = xreallocarray(r->days, r->capday,
			    sizeof *r->days);
			memset(r->days + r->nday, 0, (r->capday - r->nday) *
			    sizeof *r->days);
		}
		d = &r->days[r->nday++];
		d->start = day;
		d->cls = cls;
		d->len = 0;
		d->nrun = 0;
	}
	d = &r->days[j];
	len = chunk_encode(v, n, &r->sbuf, &r->scap);
	if (d->cap < d->len + len) {
		d->cap = 2 * (d->len + len);
		d->buf = xrealloc(d->buf, d->cap);
	}
	if (d->len > 0) {
		if (d->nrun == d->caprun) {
			d->caprun = d->caprun ? 2 * d->caprun : 8;
			d->run = xreallocarray(d->run, d->caprun,
			    sizeof *d->run);
		}
		d->run[d->nrun++] = d->len;
	}
	memcpy(d->buf + d->len, r->sbuf, len);
	d->len += len;
	r->day_entries += n;
}

/* day_done: r->done_yes set to whether the day is rolled up (asked in the
 * transaction: another process may have rolled it up since); 0 or minus
 * an SQLite error code */
static int day_done(struct rollup *r, int64_t day)
{
	int rc;

	if (day == r->done_day)
		return 0;
	if (r->done == NULL && (rc = sqlite3_prepare_v2(r->db, "SELECT 1 FROM "
	    "count_days_done WHERE day = ?1", -1, &r->done, NULL)) !=
	    SQLITE_OK)
		return -rc;
	sqlite3_bind_int64(r->done, 1, day);
	rc = sqlite3_step(r->done);
	sqlite3_reset(r->done);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -rc;
	r->done_yes = rc == SQLITE_ROW;
	r->done_day = day;
	return 0;
}

/* flush_hours: add each hour's gathered entries to its stored chunk, and
 * to its day's (written by flush_days, at the commit or when enough are
 * gathered: a day chunk is large, rewriting it is what costs) */
static int flush_hours(struct rollup *r)
{
	struct acc *a;
	size_t i;
	int64_t day;
	int rc = SQLITE_OK;

	for (i = 0; i < r->lv.n && rc == SQLITE_OK; i++) {
		a = &r->lv.a[i];
		acc_sort(r, a);
		rc = chunkw_add(r->cw[0], a->start, a->cls, a->v.v, a->v.n);
		if (rc != SQLITE_OK)
			break;
		/* a day already rolled up gets the late counts too */
		day = rollup_start(a->start, 2);
		if ((rc = day_done(r, day)) < 0) {
			rc = -rc;
			break;
		}
		rc = SQLITE_OK;
		if (r->done_yes)
			day_run(r, day, a->cls, a->v.v, a->v.n);
	}
	forget_hours(r);
	if (rc == SQLITE_OK && r->day_entries >= ROLLUP_DAY_GATHER)
		rc = flush_days(r);
	return rc;
}

int rollup_add(struct rollup *r, int64_t bucket, int64_t cls,
    const struct chunk_entry *v, size_t n)
{
	acc_append(acc_get(&r->lv, rollup_start(bucket, 1), cls), v, n);
	r->lv.entries += n;
	/* memory stays bounded whatever the transaction's size: write the
	 * hours now, in the same transaction */
	return r->lv.entries >= ROLLUP_GATHER ? flush_hours(r) : SQLITE_OK;
}

void rollup_discard(struct rollup *r)
{
	forget_hours(r);
	forget_days(r);
	r->done_day = -1;       /* asked again in the next transaction */
}

int rollup_flush(struct rollup *r)
{
	int rc = flush_hours(r);

	if (rc == SQLITE_OK)
		rc = flush_days(r);
	rollup_discard(r);
	return rc;
}

/* next_day: the first day from `from` on, before `end`, that has hour
 * chunks and is not rolled up (an index seek per day: the hours are
 * never scanned); 0 with *day set, 1 if none, or minus an SQLite error */
static int next_day(struct rollup *r, sqlite3_stmt *probe, int64_t from,
    int64_t end, int64_t *day)
{
	int rc;

	for (; from < end; from += 86400) {
		if ((rc = day_done(r, from)) < 0)
			return rc;
		if (r->done_yes)
			continue;
		sqlite3_bind_int64(probe, 1, from);
		rc = sqlite3_step(probe);
		sqlite3_reset(probe);
		if (rc == SQLITE_ROW) {
			*day = from;
			return 0;
		}
		if (rc != SQLITE_DONE)
			return -rc;
	}
	return 1;
}

int64_t rollup_days(struct rollup *r, int64_t before)
{
	sqlite3_stmt *first = NULL, *probe = NULL, *hours = NULL, *mark = NULL,
	    *del = NULL;
	int64_t day, cls, built = 0, end = rollup_start(before, 2);
	int rc, nd;

	/* from the first hour there is to the last day that is over */
	rc = sqlite3_prepare_v2(r->db, "SELECT min(bucket) FROM count_hours",
	    -1, &first, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(r->db, "SELECT 1 FROM count_hours WHERE "
		    "bucket >= ?1 AND bucket < ?1 + 86400 LIMIT 1", -1, &probe,
		    NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(r->db, "SELECT class_id, data FROM "
		    "count_hours WHERE bucket >= ?1 AND bucket < ?1 + 86400 "
		    "ORDER BY class_id, bucket", -1, &hours, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(r->db, "DELETE FROM count_days WHERE "
		    "bucket = ?1", -1, &del, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(r->db, "INSERT INTO count_days_done "
		    "(day) VALUES (?1)", -1, &mark, NULL);
	if (rc != SQLITE_OK)
		goto out;
	forget_days(r);
	r->done_day = -1;
	if ((rc = sqlite3_step(first)) != SQLITE_ROW)
		goto out;
	if (sqlite3_column_type(first, 0) == SQLITE_NULL) {
		rc = SQLITE_OK;         /* no hours */
		goto out;
	}
	day = rollup_start(sqlite3_column_int64(first, 0), 2);
	rc = SQLITE_DONE;
	while ((nd = next_day(r, probe, day, end, &day)) == 0) {
		/* each class's hours, as runs of the day, merged and written */
		sqlite3_bind_int64(hours, 1, day);
		while ((rc = sqlite3_step(hours)) == SQLITE_ROW) {
			struct chunk_vec *cv = &r->tmp;

			cls = sqlite3_column_int64(hours, 0);
			cv->n = 0;
			if (chunk_decode(sqlite3_column_blob(hours, 1),
			    (size_t)sqlite3_column_bytes(hours, 1), cv) < 0) {
				rc = SQLITE_CORRUPT;
				break;
			}
			day_run(r, day, cls, cv->v, cv->n);
		}
		sqlite3_reset(hours);
		if (rc != SQLITE_DONE)
			break;
		sqlite3_bind_int64(del, 1, day);
		rc = sqlite3_step(del);
		sqlite3_reset(del);
		if (rc != SQLITE_DONE || (rc = flush_days(r)) != SQLITE_OK)
			break;
		sqlite3_bind_int64(mark, 1, day);
		rc = sqlite3_step(mark);
		sqlite3_reset(mark);
		if (rc != SQLITE_DONE)
			break;
		r->done_day = -1;
		built++;
		day += 86400;
	}
	if (nd < 0)
		rc = -nd;
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
out:
	sqlite3_finalize(first);
	sqlite3_finalize(probe);
	sqlite3_finalize(hours);
	sqlite3_finalize(del);
	sqlite3_finalize(mark);
	r->done_day = -1;
	forget_days(r);
	return rc == SQLITE_OK ? built : -(int64_t)rc;
}
