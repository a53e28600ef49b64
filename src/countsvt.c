/* countsvt: counts read from and added to chunks (see countsvt.h) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "countsvt.h"
#include "rollup.h"
#include "xmalloc.h"

/* ---- chunkw: read, merge, write ------------------------------------------ */

struct chunkw {
	sqlite3 *db;
	const char *table;
	sqlite3_stmt *get, *put;
	unsigned char *buf;
	size_t cap;
};

struct chunkw *chunkw_new(sqlite3 *db, const char *table)
{
	struct chunkw *cw = xcalloc(1, sizeof *cw);

	cw->db = db;
	cw->table = table;
	return cw;
}

void chunkw_free(struct chunkw *cw)
{
	if (cw == NULL)
		return;
	sqlite3_finalize(cw->get);
	sqlite3_finalize(cw->put);
	free(cw->buf);
	free(cw);
}

/* prep: the table's statements, on first use */
static int prep(struct chunkw *cw)
{
	char sql[160];
	int rc;

	if (cw->get != NULL)
		return SQLITE_OK;
	snprintf(sql, sizeof sql, "SELECT part, data FROM %s WHERE bucket = ?1 "
	    "AND class_id = ?2 ORDER BY part DESC LIMIT 1", cw->table);
	if ((rc = sqlite3_prepare_v2(cw->db, sql, -1, &cw->get, NULL)) !=
	    SQLITE_OK)
		return rc;
	snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO %s (bucket, "
	    "class_id, part, data) VALUES (?1, ?2, ?3, ?4)", cw->table);
	if ((rc = sqlite3_prepare_v2(cw->db, sql, -1, &cw->put, NULL)) !=
	    SQLITE_OK) {
		sqlite3_finalize(cw->get);
		cw->get = NULL;
	}
	return rc;
}

/* entries: how many entries blob p[0..len) holds (three varints each: a
 * byte without the high bit ends one) */
static size_t entries(const unsigned char *p, size_t len)
{
	size_t i, ends = 0;

	for (i = 0; i < len; i++)
		ends += p[i] < 0x80;
	return ends / 3;
}

/* add: the new entries (an array, or a blob when blob is not NULL)
 * merged into the last part as they are decoded (no copy of the stored
 * part in memory), or written as the next part when the last one is full
 * (CHUNK_PART_MAX entries) */
static int add(struct chunkw *cw, int64_t bucket, int64_t cls,
    const struct chunk_entry *v, size_t n, const unsigned char *blob,
    size_t blen)
{
	const unsigned char *out = NULL;
	size_t len = 0;
	int64_t part = 0;
	long ml;
	int rc;

	if ((blob ? blen : n) == 0)
		return SQLITE_OK;
	if ((rc = prep(cw)) != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(cw->get, 1, bucket);
	sqlite3_bind_int64(cw->get, 2, cls);
	rc = sqlite3_step(cw->get);
	if (rc == SQLITE_ROW) {
		const unsigned char *old = sqlite3_column_blob(cw->get, 1);
		size_t olen = (size_t)sqlite3_column_bytes(cw->get, 1);

		part = sqlite3_column_int64(cw->get, 0);
		if (entries(old, olen) < CHUNK_PART_MAX) {
			ml = blob ? chunk_merge_blobs(old, olen, blob, blen,
			    &cw->buf, &cw->cap) : chunk_merge_encode(old, olen,
			    v, n, &cw->buf, &cw->cap);
			sqlite3_reset(cw->get);
			if (ml < 0)
				return SQLITE_CORRUPT;
			out = cw->buf;
			len = (size_t)ml;
		} else {
			part++;      /* full: the new entries start the next part */
		}
	} else if (rc != SQLITE_DONE) {
		sqlite3_reset(cw->get);
		return rc;
	}
	sqlite3_reset(cw->get);
	if (out == NULL && blob) {
		out = blob;
		len = blen;
	} else if (out == NULL) {
		len = chunk_encode(v, n, &cw->buf, &cw->cap);
		out = cw->buf;
	}
	sqlite3_bind_int64(cw->put, 1, bucket);
	sqlite3_bind_int64(cw->put, 2, cls);
	sqlite3_bind_int64(cw->put, 3, part);
	sqlite3_bind_blob(cw->put, 4, out, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(cw->put);
	sqlite3_reset(cw->put);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int chunkw_add(struct chunkw *cw, int64_t bucket, int64_t cls,
    const struct chunk_entry *v, size_t n)
{
	return add(cw, bucket, cls, v, n, NULL, 0);
}

int chunkw_add_blob(struct chunkw *cw, int64_t bucket, int64_t cls,
    const unsigned char *blob, size_t len)
{
	return add(cw, bucket, cls, NULL, 0, blob, len);
}

/* ---- the counts virtual table ------------------------------------------- */

enum { COL_BUCKET, COL_CLASS, COL_IP, COL_ACCOUNT, COL_N };

/* xBestIndex's plan, in idxNum */
#define HAVE_LO 1
#define HAVE_HI 2
#define HAVE_CLASS 4
#define HAVE_EQ 8       /* the lower bound's value is the upper one too */

struct cvtab {
	sqlite3_vtab base;
	sqlite3 *db;
	struct chunkw *cw[3];   /* for INSERT (minute, hour, day), made on
	                         * first use */
};

struct cvcur {
	sqlite3_vtab_cursor base;
	sqlite3_stmt *st;       /* the chunks to read */
	struct chunk_vec cv;    /* the current chunk's entries */
	size_t i;
	int64_t bucket, cls, rowid;
	int eof;
};

static int cv_connect(sqlite3 *db, void *aux, int argc,
    const char *const *argv, sqlite3_vtab **out, char **err)
{
	struct cvtab *t;
	int rc;

	(void)aux;
	(void)argc;
	(void)argv;
	(void)err;
	rc = sqlite3_declare_vtab(db, "CREATE TABLE x(bucket INTEGER, "
	    "class_id INTEGER, ip_id INTEGER, account_id INTEGER, n INTEGER)");
	if (rc != SQLITE_OK)
		return rc;
	t = sqlite3_malloc(sizeof *t);
	if (t == NULL)
		return SQLITE_NOMEM;
	memset(t, 0, sizeof *t);
	t->db = db;
	*out = &t->base;
	return SQLITE_OK;
}

static int cv_disconnect(sqlite3_vtab *vt)
{
	struct cvtab *t = (struct cvtab *)vt;

	chunkw_free(t->cw[0]);
	chunkw_free(t->cw[1]);
	chunkw_free(t->cw[2]);
	sqlite3_free(t);
	return SQLITE_OK;
}

static int cv_best_index(sqlite3_vtab *vt, sqlite3_index_info *ii)
{
	int i, lo = -1, hi = -1, cls = -1, next = 1, plan = 0;
	double cost = 1e7;

	(void)vt;
	for (i = 0; i < ii->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &ii->aConstraint[i];

		if (!c->usable)
			continue;
		if (c->iColumn == COL_BUCKET) {
			/* bucket = x bounds both ends */
			if (c->op == SQLITE_INDEX_CONSTRAINT_EQ) {
				lo = hi = i;
			} else if ((c->op == SQLITE_INDEX_CONSTRAINT_GE ||
			    c->op == SQLITE_INDEX_CONSTRAINT_GT) && lo < 0) {
				lo = i;
			} else if ((c->op == SQLITE_INDEX_CONSTRAINT_LE ||
			    c->op == SQLITE_INDEX_CONSTRAINT_LT) && hi < 0) {
				hi = i;
			}
		} else if (c->iColumn == COL_CLASS &&
		    c->op == SQLITE_INDEX_CONSTRAINT_EQ && cls < 0) {
			cls = i;
		}
	}
	/* every constraint stays checked by SQLite (omit = 0): the bounds only
	 * narrow the chunks read, whatever the values' types */
	if (lo >= 0) {
		ii->aConstraintUsage[lo].argvIndex = next++;
		plan |= HAVE_LO;
		cost /= 10;
	}
	if (hi >= 0 && hi != lo) {
		ii->aConstraintUsage[hi].argvIndex = next++;
		plan |= HAVE_HI;
		cost /= 10;
	} else if (hi >= 0) {
		plan |= HAVE_EQ;
		cost /= 100;
	}
	if (cls >= 0) {
		ii->aConstraintUsage[cls].argvIndex = next++;
		plan |= HAVE_CLASS;
		cost /= 20;
	}
	ii->idxNum = plan;
	ii->estimatedCost = cost;
	ii->estimatedRows = (sqlite3_int64)cost;
	return SQLITE_OK;
}

static int cv_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
	struct cvcur *c = sqlite3_malloc(sizeof *c);

	(void)vt;
	if (c == NULL)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof *c);
	*out = &c->base;
	return SQLITE_OK;
}

static int cv_close(sqlite3_vtab_cursor *cur)
{
	struct cvcur *c = (struct cvcur *)cur;

	sqlite3_finalize(c->st);
	chunk_vec_release(&c->cv);
	sqlite3_free(c);
	return SQLITE_OK;
}

/* load: the next chunk that has entries; SQLITE_OK (eof set at the end) */
static int load(struct cvcur *c)
{
	int rc;

	for (;;) {
		rc = sqlite3_step(c->st);
		if (rc == SQLITE_DONE) {
			c->eof = 1;
			return SQLITE_OK;
		}
		if (rc != SQLITE_ROW)
			return rc;
		c->bucket = sqlite3_column_int64(c->st, 0);
		c->cls = sqlite3_column_int64(c->st, 1);
		c->cv.n = 0;
		c->i = 0;
		if (chunk_decode(sqlite3_column_blob(c->st, 2),
		    (size_t)sqlite3_column_bytes(c->st, 2), &c->cv) < 0) {
			sqlite3_free(c->base.pVtab->zErrMsg);
			c->base.pVtab->zErrMsg = sqlite3_mprintf("count_chunks: "
			    "malformed chunk (bucket %lld, class %lld)",
			    (long long)c->bucket, (long long)c->cls);
			return SQLITE_CORRUPT;
		}
		if (c->cv.n > 0)
			return SQLITE_OK;
	}
}

/* bound: an integer bound from a constraint's value: lower bounds round
 * down, upper ones up (SQLite checks the exact constraint anyway); 0 if the
 * value gives no usable bound */
static int bound(sqlite3_value *v, int upper, int64_t *out)
{
	double d;

	switch (sqlite3_value_numeric_type(v)) {
	case SQLITE_INTEGER:
		*out = sqlite3_value_int64(v);
		return 1;
	case SQLITE_FLOAT:
		d = upper ? ceil(sqlite3_value_double(v)) :
		    floor(sqlite3_value_double(v));
		if (!(d > -9e18 && d < 9e18))
			return 0;
		*out = (int64_t)d;
		return 1;
	default:
		return 0;
	}
}

static int cv_filter(sqlite3_vtab_cursor *cur, int plan, const char *idxstr,
    int argc, sqlite3_value **argv)
{
	struct cvcur *c = (struct cvcur *)cur;
	struct cvtab *t = (struct cvtab *)cur->pVtab;
	int64_t lo = INT64_MIN, hi = INT64_MAX, cls = 0;
	int a = 0, rc, by_class = 0;

	(void)idxstr;
	if ((plan & HAVE_LO) && a < argc) {
		if (!bound(argv[a], 0, &lo))
			lo = INT64_MIN;
		if ((plan & HAVE_EQ) && !bound(argv[a], 1, &hi))
			hi = INT64_MAX;
		a++;
	}
	if ((plan & HAVE_HI) && a < argc && !bound(argv[a++], 1, &hi))
		hi = INT64_MAX;
	if ((plan & HAVE_CLASS) && a < argc) {
		if (sqlite3_value_numeric_type(argv[a]) == SQLITE_INTEGER) {
			cls = sqlite3_value_int64(argv[a]);
			by_class = 1;
		} else if (sqlite3_value_type(argv[a]) == SQLITE_NULL) {
			c->eof = 1;   /* class_id = NULL holds for no row */
			return SQLITE_OK;
		}
		a++;
	}
	sqlite3_finalize(c->st);
	c->st = NULL;
	rc = sqlite3_prepare_v2(t->db, by_class ?
	    "SELECT bucket, class_id, data FROM count_chunks WHERE bucket >= ?1 "
	    "AND bucket <= ?2 AND class_id = ?3" :
	    "SELECT bucket, class_id, data FROM count_chunks WHERE bucket >= ?1 "
	    "AND bucket <= ?2", -1, &c->st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(c->st, 1, lo);
	sqlite3_bind_int64(c->st, 2, hi);
	if (by_class)
		sqlite3_bind_int64(c->st, 3, cls);
	c->eof = 0;
	c->rowid = 0;
	return load(c);
}

static int cv_next(sqlite3_vtab_cursor *cur)
{
	struct cvcur *c = (struct cvcur *)cur;

	c->rowid++;
	if (++c->i < c->cv.n)
		return SQLITE_OK;
	return load(c);
}

static int cv_eof(sqlite3_vtab_cursor *cur)
{
	return ((struct cvcur *)cur)->eof;
}

static int cv_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	struct cvcur *c = (struct cvcur *)cur;
	const struct chunk_entry *e = &c->cv.v[c->i];

	switch (col) {
	case COL_BUCKET:
		sqlite3_result_int64(ctx, c->bucket);
		break;
	case COL_CLASS:
		sqlite3_result_int64(ctx, c->cls);
		break;
	case COL_IP:
		sqlite3_result_int64(ctx, e->ip);
		break;
	case COL_ACCOUNT:
		sqlite3_result_int64(ctx, e->acct);
		break;
	default:
		sqlite3_result_int64(ctx, e->n);
		break;
	}
	return SQLITE_OK;
}

static int cv_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
	*rowid = ((struct cvcur *)cur)->rowid;
	return SQLITE_OK;
}

/* cv_update: INSERT adds n to a row; nothing else is allowed */
/* day_done: SQLITE_ROW if the day is rolled up (rollup.h), SQLITE_DONE
 * if not, or an SQLite error code */
static int day_done(sqlite3 *db, int64_t day)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, "SELECT 1 FROM count_days_done WHERE "
	    "day = ?1", -1, &st, NULL)) != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, day);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc;
}

static int cv_update(sqlite3_vtab *vt, int argc, sqlite3_value **argv,
    sqlite3_int64 *rowid)
{
	struct cvtab *t = (struct cvtab *)vt;
	struct chunk_entry e;
	int64_t bucket, cls;
	int i, rc;

	(void)rowid;
	if (argc != 2 + 5 || sqlite3_value_type(argv[0]) != SQLITE_NULL) {
		sqlite3_free(vt->zErrMsg);
		vt->zErrMsg = sqlite3_mprintf("counts: only INSERT is supported "
		    "(the rows are kept in count_chunks)");
		return SQLITE_READONLY;
	}
	for (i = 2; i < 7; i++) {
		if (sqlite3_value_numeric_type(argv[i]) != SQLITE_INTEGER) {
			sqlite3_free(vt->zErrMsg);
			vt->zErrMsg = sqlite3_mprintf("counts: every column must be "
			    "an integer");
			return SQLITE_MISMATCH;
		}
	}
	e.ip = sqlite3_value_int64(argv[2 + COL_IP]);
	e.acct = sqlite3_value_int64(argv[2 + COL_ACCOUNT]);
	e.n = sqlite3_value_int64(argv[2 + COL_N]);
	if (e.ip < 0 || e.acct < 0 || e.n <= 0 || e.n > CHUNK_N_MAX) {
		sqlite3_free(vt->zErrMsg);
		vt->zErrMsg = sqlite3_mprintf("counts: ids must not be negative, "
		    "n must be from 1 to %lld", (long long)CHUNK_N_MAX);
		return SQLITE_CONSTRAINT;
	}
	/* the minute's chunk and its hour's and day's (rollup.h) at once */
	bucket = sqlite3_value_int64(argv[2 + COL_BUCKET]);
	cls = sqlite3_value_int64(argv[2 + COL_CLASS]);
	for (i = 0; i < 3; i++) {
		if (i == 2 && (rc = day_done(t->db, rollup_start(bucket, 2))) !=
		    SQLITE_ROW) {
			/* a day not rolled up yet gets its chunk later */
			return rc == SQLITE_DONE ? SQLITE_OK : rc;
		}
		if (t->cw[i] == NULL)
			t->cw[i] = chunkw_new(t->db, rollup_tables[i]);
		rc = chunkw_add(t->cw[i], rollup_start(bucket, i), cls, &e, 1);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

static sqlite3_module counts_module = {
	.iVersion = 0,
	.xCreate = NULL,        /* eponymous only: no CREATE VIRTUAL TABLE */
	.xConnect = cv_connect,
	.xBestIndex = cv_best_index,
	.xDisconnect = cv_disconnect,
	.xDestroy = NULL,
	.xOpen = cv_open,
	.xClose = cv_close,
	.xFilter = cv_filter,
	.xNext = cv_next,
	.xEof = cv_eof,
	.xColumn = cv_column,
	.xRowid = cv_rowid,
	.xUpdate = cv_update,
};

/* ---- eximwatch_pack(ip_id, account_id, n) --------------------------------- */

static void pack_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct chunk_vec **cvp = sqlite3_aggregate_context(ctx, sizeof *cvp);
	int64_t n;

	(void)argc;
	if (cvp == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	if (*cvp == NULL)
		*cvp = xcalloc(1, sizeof **cvp);
	n = sqlite3_value_int64(argv[2]);
	if (n > CHUNK_N_MAX)
		n = CHUNK_N_MAX;
	if (n > 0)
		chunk_vec_push(*cvp, sqlite3_value_int64(argv[0]),
		    sqlite3_value_int64(argv[1]), n);
}

static void pack_final(sqlite3_context *ctx)
{
	struct chunk_vec **cvp = sqlite3_aggregate_context(ctx, 0);
	unsigned char *buf = NULL;
	size_t cap = 0, len;

	if (cvp == NULL || *cvp == NULL) {
		sqlite3_result_zeroblob(ctx, 0);
		return;
	}
	chunk_sort(*cvp);
	len = chunk_encode((*cvp)->v, (*cvp)->n, &buf, &cap);
	if (len == 0) {
		free(buf);
		sqlite3_result_zeroblob(ctx, 0);
	} else {
		sqlite3_result_blob(ctx, buf, (int)len, free);
	}
	chunk_vec_release(*cvp);
	free(*cvp);
}

int countsvt_register(sqlite3 *db)
{
	int rc = sqlite3_create_module(db, "counts", &counts_module, NULL);

	if (rc != SQLITE_OK)
		return rc;
	return sqlite3_create_function(db, "eximwatch_pack", 3, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL, NULL, pack_step,
	    pack_final);
}
