/* reportq: a window's counts grouped by keys, in one pass (see reportq.h)
 *
 * The filters and the SQL: every value from the command line is a bound
 * parameter; the chunks are read by countread.c.  Aggregation is by ids in
 * open-addressing tables; the names of the ids that are left are looked up
 * at the end (or the whole table is read when most of it is needed). */
#include <sys/mman.h>

#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "countread.h"
#include "log.h"
#include "netaddr.h"
#include "owners.h"
#include "hash.h"
#include "reportq.h"
#include "store.h"
#include "xmalloc.h"

/* ---- large tables ---- */

/* A long window's tables hold ~100,000 keys (megabytes): each page of a
 * fresh table costs a fault, which in a virtual machine is most of a 90-day
 * report's time.  Tables of 1 MiB and more are mapped on their own and
 * asked to be transparent huge pages (one fault per 2 MiB); the mapping
 * is already zero. */
#define TAB_BIG ((size_t)1 << 20)

static void *tab_alloc(size_t n, size_t size)
{
	size_t bytes;
	void *p;

	if (n > SIZE_MAX / size)
		return xcalloc(n, size);       /* (fatal there) */
	bytes = n * size;
	if (bytes < TAB_BIG)
		return xzalloc(n, size);
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return xzalloc(n, size);       /* fatal if that fails too */
	(void)madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

static void tab_free(void *p, size_t n, size_t size)
{
	if (p == NULL)
		return;
	if (n * size < TAB_BIG)
		free(p);
	else
		munmap(p, n * size);
}

const char *const reportq_key_names[K_N] = {
	"class", "ip", "account", "owner", "prefix", "domain"
};

const char *const reportq_traffic[REPORTQ_NTRAFFIC] = {
	"msg_in_auth", "msg_in_unauth", "msg_in_local", "msg_in_bounce",
	"delivered_local", "delivered_remote", "bounced", "deferred",
	"completed",
};

/* ---- rows ---- */

void reportq_rows_release(struct reportq_rows *r)
{
	size_t i;

	for (i = 0; i < r->npool; i++)
		free(r->pool[i]);
	free(r->pool);
	free(r->v);
	memset(r, 0, sizeof *r);
}

const char *reportq_rows_str(struct reportq_rows *r, const char *s)
{
	if (s == NULL || s[0] == '\0')   /* id 0: none */
		return NULL;
	if (r->npool == r->cappool) {
		r->cappool = r->cappool ? 2 * r->cappool : 64;
		r->pool = xreallocarray(r->pool, r->cappool, sizeof *r->pool);
	}
	return r->pool[r->npool++] = xstrdup(s);
}

struct reportq_row *reportq_rows_add(struct reportq_rows *r)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->v = xreallocarray(r->v, r->cap, sizeof *r->v);
	}
	memset(&r->v[r->n], 0, sizeof r->v[r->n]);
	return &r->v[r->n++];
}

int reportq_is_traffic(const char *cls)
{
	size_t i;

	for (i = 0; cls && i < REPORTQ_NTRAFFIC; i++)
		if (strcmp(cls, reportq_traffic[i]) == 0)
			return 1;
	return 0;
}

time_t reportq_day_start(time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* domain_of: the domain of an account, lower case, in the pool; NULL for
 * an account without one (a bare login) */
static const char *domain_of(struct reportq_rows *r, const char *acct)
{
	const char *at = acct ? strrchr(acct, '@') : NULL;
	char buf[256];
	size_t i;

	if (at == NULL || at[1] == '\0' || strlen(at + 1) >= sizeof buf)
		return NULL;
	for (i = 0; at[1 + i]; i++)
		buf[i] = (char)(at[1 + i] >= 'A' && at[1 + i] <= 'Z' ?
		    at[1 + i] + 32 : at[1 + i]);
	buf[i] = '\0';
	return reportq_rows_str(r, buf);
}

/* prefix_of: the network of an address (the configuration's `by: prefix`
 * of the alerts: o->prefix_v4/_v6, /24 and /64 by default), in the pool;
 * NULL for none */
static const char *prefix_of(struct reportq_rows *r,
    const struct report_opts *o, const char *ip)
{
	char pfx[NETADDR_STRLEN];

	if (ip == NULL || netaddr_network_text(ip, strlen(ip), o->prefix_v4 ?
	    o->prefix_v4 : 24, o->prefix_v6 ? o->prefix_v6 : 64, pfx,
	    sizeof pfx) == 0)
		return NULL;
	return reportq_rows_str(r, pfx);
}

/* ---- id tables ---- */

/* idmap: id -> pointer (a name, a pooled string, or a mark) */
struct islot {
	int64_t id;
	const void *p;           /* NULL: empty */
};

struct idmap {
	struct islot *v;
	size_t n, cap;
};

static void idmap_release(struct idmap *m)
{
	tab_free(m->v, m->cap, sizeof *m->v);
	memset(m, 0, sizeof *m);
}

static struct islot *idmap_slot(const struct idmap *m, int64_t id)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	for (i = hash_u64((uint64_t)id) & (m->cap - 1); m->v[i].p;
	    i = (i + 1) & (m->cap - 1))
		if (m->v[i].id == id)
			return &m->v[i];
	return &m->v[i];
}

static const void *idmap_get(const struct idmap *m, int64_t id)
{
	struct islot *sl = idmap_slot(m, id);

	return sl ? sl->p : NULL;
}

static void idmap_put(struct idmap *m, int64_t id, const void *p)
{
	struct islot *sl, *old;
	size_t i, oldcap;

	if (2 * (m->n + 1) > m->cap) {
		old = m->v;
		oldcap = m->cap;
		m->cap = m->cap ? 2 * m->cap : 256;
		m->v = tab_alloc(m->cap, sizeof *m->v);
		m->n = 0;
		for (i = 0; i < oldcap; i++)
			if (old[i].p)
				idmap_put(m, old[i].id, old[i].p);
		tab_free(old, oldcap, sizeof *old);
	}
	sl = idmap_slot(m, id);
	if (sl->p == NULL)
		m->n++;
	sl->id = id;
	sl->p = p;
}

/* ktab: a grouping's key -> the sum of its n.
 *
 * A key is the parts the grouping has of (time, class, address id, account
 * id), in 1 to 4 words: the time (a slot, an hour or a day start) and each
 * id a word of its own; the class in the top bits of an id's word while the
 * ids are below 2^KT_ID_BITS (class ids are below KT_CLS_MAX: the pass
 * reads no other), else a word of its own (ktab_widen).  The groupings of a
 * long window's top addresses and accounts, and of --by ip, have one-word
 * keys: a 90-day window's ~110,000 (class, account) keys fill 16-byte
 * slots instead of 40-byte ones, and the time of a sum is in waiting for
 * its slot's memory. */
#define KT_ID_BITS 46
#define KT_CLS_MAX ((int64_t)1 << (63 - KT_ID_BITS))

struct klayout {
	size_t kw;               /* words of a key, 1 to 4 */
	int w_t, w_cls, w_ip, w_acct;   /* the word of each part, or -1 */
	int packed;              /* the class shares the word of an id */
};

struct ktab {
	uint64_t *v;             /* cap slots of kw + 1 words: the key, then
	                          * the sum (0: empty; sums are positive) */
	size_t n, cap;
	struct klayout l;
};

/* klayout_init: the words of the parts a grouping has (the class packed
 * with an id when `pack` and there is one) */
static void klayout_init(struct klayout *l, int t, int cls, int ip, int acct,
    int pack)
{
	int w = 0;

	l->w_ip = ip ? w++ : -1;
	l->w_acct = acct ? w++ : -1;
	l->w_t = t ? w++ : -1;
	l->packed = cls && pack && (ip || acct);
	if (!cls)
		l->w_cls = -1;
	else if (l->packed)
		l->w_cls = ip ? l->w_ip : l->w_acct;
	else
		l->w_cls = w++;
	l->kw = w > 0 ? (size_t)w : 1;
}

/* key_make: the key of (t, cls, ip, acct) in k[0..l->kw) */
static void key_make(const struct klayout *l, int64_t t, int64_t cls,
    int64_t ip, int64_t acct, uint64_t *k)
{
	k[0] = k[1] = k[2] = k[3] = 0;
	if (l->w_ip >= 0)
		k[l->w_ip] = (uint64_t)ip;
	if (l->w_acct >= 0)
		k[l->w_acct] = (uint64_t)acct;
	if (l->w_t >= 0)
		k[l->w_t] = (uint64_t)t;
	if (l->w_cls >= 0)
		k[l->w_cls] |= l->packed ? (uint64_t)cls << KT_ID_BITS :
		    (uint64_t)cls;
}

/* key_split: the parts of key k (0 for those the layout has not) */
static void key_split(const struct klayout *l, const uint64_t *k, int64_t *t,
    int64_t *cls, int64_t *ip, int64_t *acct)
{
	const uint64_t idmask = ((uint64_t)1 << KT_ID_BITS) - 1;

	*t = l->w_t >= 0 ? (int64_t)k[l->w_t] : 0;
	*ip = l->w_ip >= 0 ? (int64_t)k[l->w_ip] : 0;
	*acct = l->w_acct >= 0 ? (int64_t)k[l->w_acct] : 0;
	*cls = 0;
	if (l->w_cls >= 0 && l->packed) {
		*cls = (int64_t)(k[l->w_cls] >> KT_ID_BITS);
		if (l->w_cls == l->w_ip)
			*ip = (int64_t)(k[l->w_ip] & idmask);
		else
			*acct = (int64_t)(k[l->w_acct] & idmask);
	} else if (l->w_cls >= 0) {
		*cls = (int64_t)k[l->w_cls];
	}
}

/* key_hash: the slot a key starts probing from (before the mask) */
static uint64_t key_hash(const uint64_t *k, size_t kw)
{
	uint64_t h = k[0];

	if (kw > 1)
		h = h * 0x9e3779b97f4a7c15ULL ^ k[1] * 0xc2b2ae3d27d4eb4fULL ^
		    k[2] * 0x165667b19e3779f9ULL ^ k[3];
	return hash_u64(h);
}

/* ktab_release: the table's memory freed, its layout kept */
static void ktab_release(struct ktab *kt)
{
	tab_free(kt->v, kt->cap, (kt->l.kw + 1) * sizeof *kt->v);
	kt->v = NULL;
	kt->n = kt->cap = 0;
}

static void ktab_add(struct ktab *kt, const uint64_t *k, uint64_t n);
static void ktab_add_h(struct ktab *kt, const uint64_t *k, uint64_t h,
    uint64_t n);

/* ktab_resize: the table with room for cap slots */
static void ktab_resize(struct ktab *kt, size_t cap)
{
	struct ktab old = *kt;
	size_t i, sw = kt->l.kw + 1;
	uint64_t k[4] = { 0, 0, 0, 0 };

	kt->cap = cap;
	kt->v = tab_alloc(kt->cap, sw * sizeof *kt->v);
	kt->n = 0;
	for (i = 0; i < old.cap; i++) {
		if (old.v[i * sw + sw - 1] == 0)
			continue;
		memcpy(k, &old.v[i * sw], kt->l.kw * sizeof *k);
		ktab_add(kt, k, old.v[i * sw + sw - 1]);
	}
	tab_free(old.v, old.cap, sw * sizeof *old.v);
}

/* ktab_add_h: n more for key k (k[0..4), the words past kw zero) whose
 * key_hash() is h */
static void ktab_add_h(struct ktab *kt, const uint64_t *k, uint64_t h,
    uint64_t n)
{
	size_t kw = kt->l.kw, sw = kw + 1, i, j;
	uint64_t *sl;

	if (2 * (kt->n + 1) > kt->cap)
		ktab_resize(kt, kt->cap ? 2 * kt->cap : 1024);
	if (kw == 1) {
		/* the groupings with the most sums: one word to compare */
		for (i = h & (kt->cap - 1);; i = (i + 1) & (kt->cap - 1)) {
			sl = &kt->v[2 * i];
			if (sl[1] == 0) {
				sl[0] = k[0];
				sl[1] = n;
				kt->n++;
				return;
			}
			if (sl[0] == k[0]) {
				sl[1] += n;
				return;
			}
		}
	}
	for (i = h & (kt->cap - 1);; i = (i + 1) & (kt->cap - 1)) {
		sl = &kt->v[i * sw];
		if (sl[kw] == 0) {
			memcpy(sl, k, kw * sizeof *k);
			sl[kw] = n;
			kt->n++;
			return;
		}
		for (j = 0; j < kw && sl[j] == k[j]; j++)
			;
		if (j == kw) {
			sl[kw] += n;
			return;
		}
	}
}

/* ktab_add: n more for key k (as ktab_add_h) */
static void ktab_add(struct ktab *kt, const uint64_t *k, uint64_t n)
{
	ktab_add_h(kt, k, key_hash(k, kt->l.kw), n);
}

/* ktab_widen: the class in a word of its own (an id is too large to share
 * one), the sums kept */
static void ktab_widen(struct ktab *kt)
{
	struct ktab old = *kt;
	size_t i, sw = old.l.kw + 1;
	int64_t t, cls, ip, acct;
	uint64_t k[4];

	klayout_init(&kt->l, old.l.w_t >= 0, 1, old.l.w_ip >= 0,
	    old.l.w_acct >= 0, 0);
	kt->v = NULL;
	kt->n = kt->cap = 0;
	for (i = 0; i < old.cap; i++) {
		if (old.v[i * sw + sw - 1] == 0)
			continue;
		key_split(&old.l, &old.v[i * sw], &t, &cls, &ip, &acct);
		key_make(&kt->l, t, cls, ip, acct, k);
		ktab_add(kt, k, old.v[i * sw + sw - 1]);
	}
	tab_free(old.v, old.cap, sw * sizeof *old.v);
}

/* ---- the pass ---- */

/* Sums wait in a stage of STAGE keys before they are added: each key's
 * slot is asked of memory (prefetched) when it is staged, and read when
 * the stage is full, by then mostly in the cache.  A long window's tables
 * are megabytes and its keys come in no order: without the stage most of
 * the pass would be spent waiting for a slot at a time. */
#define STAGE 32
#define STAGE_FROM ((size_t)256 << 10)  /* tables this large, and larger */

struct spec_state {
	struct reportq_spec *sp;
	struct ktab kt;
	uint64_t sk[STAGE][4], sh[STAGE], sn[STAGE];   /* key, hash, sum */
	size_t ns;
	uint64_t base[4];        /* the key of the chunk's time and class */
	int want_ip, want_acct;
	int keep_on;             /* sp->top: only the keys in keep */
	struct idmap keep;
};

struct pass {
	const struct report_opts *o;
	struct spec_state *ss;
	size_t nss;
	const unsigned char *traffic;   /* by class id */
	size_t ncls;
	struct idmap ip_ok, acct_ok;    /* the --ip and --account ids */
	int ip_filter, acct_filter;
	int64_t last_hour, last_day;    /* reportq_day_start cache */
};

static int64_t floor_to(int64_t t, int64_t u)
{
	int64_t r = t % u;

	return r < 0 ? t - r - u : t - r;
}

/* flush: the staged sums into the table */
static void flush(struct spec_state *st)
{
	size_t i;

	for (i = 0; i < st->ns; i++)
		ktab_add_h(&st->kt, st->sk[i], st->sh[i], st->sn[i]);
	st->ns = 0;
}

/* put: sum more for (t, cls, ip, acct) in a grouping's table, staged; the
 * key from st->base, which the caller made of (t, cls) */
static void put(struct spec_state *st, int64_t t, int64_t cls, int64_t ip,
    int64_t acct, long long sum)
{
	struct ktab *kt = &st->kt;
	const struct klayout *l = &kt->l;
	uint64_t *k;

	if (l->packed && (uint64_t)(ip | acct) >> KT_ID_BITS) {
		flush(st);
		ktab_widen(kt);
		key_make(l, t, cls, 0, 0, st->base);
	}
	if (st->ns == STAGE)
		flush(st);
	/* room for the whole stage now: no resize while it waits, so its
	 * slots stay where they were prefetched */
	if (st->ns == 0 && 2 * (kt->n + STAGE + 1) > kt->cap)
		ktab_resize(kt, kt->cap ? 2 * kt->cap : 1024);
	/* key_make() of the chunk's base, with the ids (>= 0) put in */
	k = st->sk[st->ns];
	memcpy(k, st->base, sizeof st->base);
	if (l->w_ip >= 0)
		k[l->w_ip] |= (uint64_t)ip;
	if (l->w_acct >= 0)
		k[l->w_acct] |= (uint64_t)acct;
	if (kt->cap * (kt->l.kw + 1) * sizeof *kt->v < STAGE_FROM) {
		/* a table in the cache: no wait to hide */
		ktab_add_h(kt, k, key_hash(k, kt->l.kw), (uint64_t)sum);
		return;
	}
	st->sh[st->ns] = key_hash(k, kt->l.kw);
	st->sn[st->ns] = (uint64_t)sum;
	__builtin_prefetch(&kt->v[(st->sh[st->ns] & (kt->cap - 1)) *
	    (kt->l.kw + 1)], 1);
	st->ns++;
}

static int chunk_cb(void *arg, const struct countread_chunk *c)
{
	struct pass *ps = arg;
	const struct chunk_entry *e;
	size_t i, j;

	for (j = 0; j < ps->nss; j++) {
		struct spec_state *st = &ps->ss[j];
		const struct reportq_spec *sp = st->sp;
		int64_t t = 0, cls, kip, kacct, pip = -1, pacct = -1;
		long long sum = 0;
		const int filter = ps->ip_filter || ps->acct_filter;
		const int has_ip = (sp->flags & F_HAS_IP) != 0;
		const int has_acct = (sp->flags & F_HAS_ACCOUNT) != 0;
		const int has_either = (sp->flags & F_HAS_EITHER) != 0;
		const int want_ip = st->want_ip, want_acct = st->want_acct;

		if ((sp->flags & F_REJECT_ONLY) && (size_t)c->cls < ps->ncls &&
		    ps->traffic[c->cls])
			continue;
		if (sp->g) {
			t = (c->bucket - sp->g->origin) / sp->g->step;
		} else if (sp->by & REPORT_BY_HOUR) {
			t = floor_to(c->bucket, 3600);
		} else if (sp->by & REPORT_BY_DAY) {
			/* chunks do not cross a local day: its hour says */
			t = floor_to(c->bucket, 3600);
			if (t != ps->last_hour) {
				ps->last_hour = t;
				ps->last_day = (int64_t)reportq_day_start(
				    (time_t)t);
			}
			t = ps->last_day;
		}
		cls = sp->by & REPORT_BY_CLASS ? c->cls : 0;
		if (st->kt.l.packed && cls >= KT_CLS_MAX) {
			flush(st);
			ktab_widen(&st->kt);
		}
		key_make(&st->kt.l, t, cls, 0, 0, st->base);
		if (!want_ip && !want_acct && !filter && !has_ip &&
		    !has_acct && !has_either) {
			/* by time and class only (the table's classes): the
			 * chunk's total */
			for (i = 0; i < c->n; i++)
				sum += c->v[i].n;
			if (sum > 0)
				put(st, t, cls, 0, 0, sum);
			continue;
		}
		/* entries come sorted by ip: equal keys in a row are summed
		 * first, then added once; the tests in locals, which the
		 * compiler cannot keep in registers across put() itself */
		for (i = 0; i < c->n; i++) {
			e = &c->v[i];
			if (filter && ((ps->ip_filter && !idmap_get(&ps->ip_ok,
			    e->ip)) || (ps->acct_filter && !idmap_get(
			    &ps->acct_ok, e->acct))))
				continue;
			if ((has_ip && e->ip == 0) || (has_acct && e->acct ==
			    0) || (has_either && e->ip == 0 && e->acct == 0))
				continue;
			kip = want_ip ? e->ip : 0;
			kacct = want_acct ? e->acct : 0;
			if (kip != pip || kacct != pacct) {
				if (sum > 0)
					put(st, t, cls, pip, pacct, sum);
				pip = kip;
				pacct = kacct;
				sum = 0;
			}
			sum += e->n;
		}
		if (sum > 0)
			put(st, t, cls, pip, pacct, sum);
	}
	return 0;
}

static int db_fail(struct store *s)
{
	log_warnx("cannot read the counts from '%s': %s", store_path(s),
	    sqlite3_errmsg(store_db(s)));
	return -1;
}

/* load_names: id -> name of table (ips or accounts) for the ids marked in
 * need; names owned by the caller's pool list */
static int load_names(struct store *s, const char *table, const char *col,
    const struct idmap *need, struct idmap *names, char ***pool,
    size_t *npool)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	char sql[96];
	long long rows = 0;
	size_t i;
	int rc;

	if (need->n == 0)
		return 0;
	*pool = xreallocarray(*pool, *npool + need->n, sizeof **pool);
	snprintf(sql, sizeof sql, "SELECT max(id) FROM %s", table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(s);
	if (sqlite3_step(st) == SQLITE_ROW)
		rows = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if ((long long)need->n * 8 > rows) {
		/* most of the table: one pass over it */
		snprintf(sql, sizeof sql, "SELECT id, %s FROM %s", col, table);
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			return db_fail(s);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t id = sqlite3_column_int64(st, 0);

			if (idmap_get(need, id) && idmap_get(names, id) == NULL) {
				(*pool)[*npool] = xstrdup((const char *)
				    sqlite3_column_text(st, 1));
				idmap_put(names, id, (*pool)[(*npool)++]);
			}
		}
	} else {
		snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE id = ?1",
		    col, table);
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			return db_fail(s);
		rc = SQLITE_DONE;
		for (i = 0; i < need->cap && rc == SQLITE_DONE; i++) {
			if (need->v[i].p == NULL)
				continue;
			sqlite3_bind_int64(st, 1, need->v[i].id);
			rc = sqlite3_step(st);
			if (rc == SQLITE_ROW) {
				(*pool)[*npool] = xstrdup((const char *)
				    sqlite3_column_text(st, 0));
				idmap_put(names, need->v[i].id,
				    (*pool)[(*npool)++]);
				rc = SQLITE_DONE;
			}
			sqlite3_reset(st);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(s);
	return 0;
}

/* ip_filter: the ids of --ip: every stored address in the network (or
 * equal to the address; netaddr compares, so 2001:DB8::1 finds
 * 2001:db8::1).  An address is looked up by its text first (one seek);
 * a network, or an address stored in another spelling, tests each stored
 * address once.  Text that is no address matches nothing. */
static int ip_filter(struct store *s, const char *ip, struct idmap *ok)
{
	sqlite3_stmt *st = NULL;
	struct netaddr net;
	char canon[NETADDR_STRLEN];
	int rc;

	if (netaddr_parse(ip, strlen(ip), &net) < 0)
		return 0;
	if (netaddr_is_host(&net)) {
		netaddr_format(&net, canon, sizeof canon);
		if (sqlite3_prepare_v2(store_db(s), "SELECT id FROM ips WHERE "
		    "addr = ?1 OR addr = ?2", -1, &st, NULL) != SQLITE_OK)
			return db_fail(s);
		sqlite3_bind_text(st, 1, ip, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, canon, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			idmap_put(ok, sqlite3_column_int64(st, 0), ok);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return db_fail(s);
		if (ok->n > 0)
			return 0;
	}
	if (sqlite3_prepare_v2(store_db(s), "SELECT id, addr FROM ips WHERE "
	    "id != 0", -1, &st, NULL) != SQLITE_OK)
		return db_fail(s);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *a = (const char *)sqlite3_column_text(st, 1);

		if (a && netaddr_contains_text(&net, a, strlen(a)))
			idmap_put(ok, sqlite3_column_int64(st, 0), ok);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_fail(s);
}

static int acct_filter(struct store *s, const char *acct, struct idmap *ok)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(store_db(s), "SELECT id FROM accounts WHERE "
	    "name = ?1 COLLATE NOCASE", -1, &st, NULL) != SQLITE_OK)
		return db_fail(s);
	sqlite3_bind_text(st, 1, acct, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		idmap_put(ok, sqlite3_column_int64(st, 0), ok);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_fail(s);
}

/* sift: v[i] down to its place in the min-heap v[0..n) */
static void sift(long long *v, size_t n, size_t i)
{
	size_t c;
	long long x = v[i];

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && v[c + 1] < v[c])
			c++;
		if (x <= v[c])
			break;
		v[i] = v[c];
		i = c;
	}
	v[i] = x;
}

/* kth_largest: the k-th largest of v[0..n), 1 <= k <= n (v reordered): a
 * min-heap of the k largest so far, O(n log k) (a long window's top
 * accounts: ~100,000 sums for k = 10, where sorting them all was 5% of
 * the table's time) */
static long long kth_largest(long long *v, size_t n, size_t k)
{
	size_t i;

	for (i = k / 2; i-- > 0;)
		sift(v, k, i);
	for (i = k; i < n; i++) {
		if (v[i] > v[0]) {
			v[0] = v[i];
			sift(v, k, 0);
		}
	}
	return v[0];
}

/* top_keys: st->keep = the key ids whose sums are among the sp->top
 * largest (ties at the last included) */
static void top_keys(struct spec_state *st)
{
	const struct ktab *kt = &st->kt;
	size_t sw = kt->l.kw + 1;
	struct ktab sums;
	long long *v, cut;
	size_t k, n = 0;
	int64_t t, cls, ip, acct;
	uint64_t key[4] = { 0, 0, 0, 0 };

	/* one word, the key's id; sized once: at most as many keys as rows */
	memset(&sums, 0, sizeof sums);
	klayout_init(&sums.l, 0, 0, 1, 0, 0);
	for (k = 1024; k < 2 * (kt->n + 1); k *= 2)
		;
	ktab_resize(&sums, k);
	for (k = 0; k < kt->cap; k++) {
		if (kt->v[k * sw + sw - 1] == 0)
			continue;
		key_split(&kt->l, &kt->v[k * sw], &t, &cls, &ip, &acct);
		key[0] = (uint64_t)(st->sp->top_key == K_IP ? ip : acct);
		ktab_add(&sums, key, kt->v[k * sw + sw - 1]);
	}
	v = xreallocarray(NULL, sums.n + 1, sizeof *v);
	for (k = 0; k < sums.cap; k++)
		if (sums.v[2 * k + 1] > 0)
			v[n++] = (long long)sums.v[2 * k + 1];
	cut = 0;
	if (n > st->sp->top)
		cut = kth_largest(v, n, st->sp->top);
	for (k = 0; k < sums.cap; k++)
		if (sums.v[2 * k + 1] > 0 && (long long)sums.v[2 * k + 1] >= cut)
			idmap_put(&st->keep, (int64_t)sums.v[2 * k], &st->keep);
	st->keep_on = 1;
	free(v);
	ktab_release(&sums);
}

/* kept: is the row of id ip or acct one of the kept keys? */
static int kept(const struct spec_state *st, int64_t ip, int64_t acct)
{
	if (!st->keep_on)
		return 1;
	return idmap_get(&st->keep, st->sp->top_key == K_IP ? ip : acct) !=
	    NULL;
}

/* push: cut point t into the list */
static void push(int64_t **v, size_t *n, size_t *cap, int64_t t)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		*v = xreallocarray(*v, *cap, sizeof **v);
	}
	(*v)[(*n)++] = t;
}

/* pooled: the copy in out's pool of the name of id (text), made once per
 * id (m remembers it); NULL for none or "" */
static const char *pooled(struct reportq_rows *out, struct idmap *m,
    int64_t id, const char *text)
{
	const char *p = idmap_get(m, id);

	if (p == NULL) {
		p = reportq_rows_str(out, text);
		idmap_put(m, id, p ? p : "");
	}
	return p && *p ? p : NULL;
}

int reportq_fetch(struct store *s, const struct report_opts *o,
    struct reportq_spec *sp, size_t nsp)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	struct countread_query q;
	struct pass ps;
	struct idmap need_ip = { 0 }, need_acct = { 0 }, ipn = { 0 },
	    acn = { 0 };
	char **cls_name = NULL, **names = NULL;
	unsigned char *traffic = NULL, *cls_ok = NULL;
	int64_t *cuts = NULL, lo, hi, t;
	size_t ncls = 0, ncuts = 0, capcuts = 0, nnames = 0, i, j, k;
	int rc = -1, srk;

	memset(&ps, 0, sizeof ps);
	ps.o = o;
	ps.last_hour = -1;
	ps.ss = xcalloc(nsp ? nsp : 1, sizeof *ps.ss);
	ps.nss = nsp;
	for (i = 0; i < nsp; i++) {
		ps.ss[i].sp = &sp[i];
		ps.ss[i].want_ip = (sp[i].by & (REPORT_BY_IP |
		    REPORT_BY_PREFIX)) != 0;
		ps.ss[i].want_acct = (sp[i].by & (REPORT_BY_ACCOUNT |
		    REPORT_BY_OWNER | REPORT_BY_DOMAIN)) != 0;
		klayout_init(&ps.ss[i].kt.l, sp[i].g != NULL || (sp[i].by &
		    BY_TIME) != 0, (sp[i].by & REPORT_BY_CLASS) != 0,
		    ps.ss[i].want_ip, ps.ss[i].want_acct, 1);
	}

	/* the classes: names, traffic, the --class filter */
	if (sqlite3_prepare_v2(db, "SELECT id, name FROM classes", -1, &st,
	    NULL) != SQLITE_OK)
		goto dbfail;
	while ((srk = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);

		if (id < 0 || id > 100000)
			continue;       /* not ours */
		if ((size_t)id >= ncls) {
			cls_name = xreallocarray(cls_name, (size_t)id + 1,
			    sizeof *cls_name);
			memset(cls_name + ncls, 0, ((size_t)id + 1 - ncls) *
			    sizeof *cls_name);
			ncls = (size_t)id + 1;
		}
		free(cls_name[id]);
		cls_name[id] = xstrdup(name ? name : "");
	}
	sqlite3_finalize(st);
	st = NULL;
	if (srk != SQLITE_DONE)
		goto dbfail;
	traffic = xcalloc(ncls + 1, 1);
	cls_ok = xcalloc(ncls + 1, 1);
	for (k = 0; k < ncls; k++) {
		if (cls_name[k] == NULL)
			continue;
		traffic[k] = (unsigned char)reportq_is_traffic(cls_name[k]);
		cls_ok[k] = !(o->classes && o->classes[0]);
		for (j = 0; o->classes && o->classes[j]; j++)
			if (strcmp(o->classes[j], cls_name[k]) == 0)
				cls_ok[k] = 1;
	}
	ps.traffic = traffic;
	ps.ncls = ncls;

	if (o->ip) {
		ps.ip_filter = 1;
		if (ip_filter(s, o->ip, &ps.ip_ok) < 0)
			goto fail;
		if (ps.ip_ok.n == 0)
			goto emit;      /* no such address: nothing */
	}
	if (o->account) {
		ps.acct_filter = 1;
		if (acct_filter(s, o->account, &ps.acct_ok) < 0)
			goto fail;
		if (ps.acct_ok.n == 0)
			goto emit;
	}

	/* the window, narrowed to where there are counts (--since all); two
	 * queries, each one seek (min and max together would read the whole
	 * window's rows) */
	if (sqlite3_prepare_v2(db, "SELECT (SELECT MIN(bucket) FROM "
	    "count_chunks WHERE bucket >= ?1 AND bucket < ?2), (SELECT "
	    "MAX(bucket) FROM count_chunks WHERE bucket >= ?1 AND bucket < ?2)",
	    -1, &st, NULL) != SQLITE_OK)
		goto dbfail;
	sqlite3_bind_int64(st, 1, (int64_t)o->since);
	sqlite3_bind_int64(st, 2, (int64_t)o->until);
	srk = sqlite3_step(st);
	if (srk != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL) {
		sqlite3_finalize(st);
		st = NULL;
		if (srk != SQLITE_ROW)
			goto dbfail;
		goto emit;              /* no counts in the window */
	}
	lo = sqlite3_column_int64(st, 0);
	hi = sqlite3_column_int64(st, 1) + 1;
	sqlite3_finalize(st);
	st = NULL;

	/* cut points: slots, hours, local days */
	for (i = 0; i < nsp; i++) {
		if (sp[i].g) {
			t = (int64_t)sp[i].g->origin + sp[i].g->step;
			if (t < lo)
				t += (lo - t) / sp[i].g->step * sp[i].g->step;
			for (; t < hi; t += sp[i].g->step)
				push(&cuts, &ncuts, &capcuts, t);
		} else if (sp[i].by & REPORT_BY_HOUR) {
			for (t = floor_to(lo, 3600) + 3600; t < hi; t += 3600)
				push(&cuts, &ncuts, &capcuts, t);
		} else if (sp[i].by & REPORT_BY_DAY) {
			for (t = reportq_day_start((time_t)lo); t < hi;
			    t = reportq_day_start((time_t)(t + 25 * 3600)))
				push(&cuts, &ncuts, &capcuts, t);
		}
	}
	memset(&q, 0, sizeof q);
	q.since = lo;
	q.until = hi;
	q.pruned = (int64_t)store_pruned_before(s);
	q.cuts = cuts;
	q.ncuts = ncuts;
	q.cls_ok = cls_ok;
	q.ncls_ok = ncls;
	if ((srk = countread_scan(db, &q, chunk_cb, &ps)) != SQLITE_OK) {
		if (srk == SQLITE_CORRUPT)
			log_warnx("cannot read the counts from '%s': a stored "
			    "chunk is malformed (the database is damaged)",
			    store_path(s));
		else
			db_fail(s);
		goto fail;
	}

	for (i = 0; i < nsp; i++)
		flush(&ps.ss[i]);

	/* the names of the ids that are left */
	for (i = 0; i < nsp; i++) {
		const struct ktab *kt = &ps.ss[i].kt;
		size_t sw = kt->l.kw + 1;
		int64_t kip, kacct, kcls;

		if (sp[i].top > 0 && (sp[i].top_key == K_IP ||
		    sp[i].top_key == K_ACCOUNT))
			top_keys(&ps.ss[i]);
		for (k = 0; k < kt->cap; k++) {
			if (kt->v[k * sw + sw - 1] == 0)
				continue;
			key_split(&kt->l, &kt->v[k * sw], &t, &kcls, &kip,
			    &kacct);
			if (!kept(&ps.ss[i], kip, kacct))
				continue;
			if (ps.ss[i].want_ip && kip != 0)
				idmap_put(&need_ip, kip, &need_ip);
			if (ps.ss[i].want_acct && kacct != 0)
				idmap_put(&need_acct, kacct, &need_acct);
		}
	}
	if (load_names(s, "ips", "addr", &need_ip, &ipn, &names,
	    &nnames) < 0 || load_names(s, "accounts", "name", &need_acct,
	    &acn, &names, &nnames) < 0)
		goto fail;

emit:
	for (i = 0; i < nsp; i++) {
		const struct ktab *kt = &ps.ss[i].kt;
		size_t sw = kt->l.kw + 1;
		struct reportq_rows *out = sp[i].out;
		unsigned by = sp[i].by;
		struct idmap pc = { 0 }, pi = { 0 }, pa = { 0 };
		int64_t kt_t, kcls, kip, kacct;

		for (k = 0; k < kt->cap; k++) {
			struct reportq_row *r;

			if (kt->v[k * sw + sw - 1] == 0)
				continue;
			key_split(&kt->l, &kt->v[k * sw], &kt_t, &kcls, &kip,
			    &kacct);
			if (!kept(&ps.ss[i], kip, kacct))
				continue;
			r = reportq_rows_add(out);
			r->n = (long long)kt->v[k * sw + sw - 1];
			if (sp[i].g)
				r->slot = kt_t;
			else
				r->t = (time_t)kt_t;
			/* each name once in the rows' pool */
			if ((by & REPORT_BY_CLASS) && (size_t)kcls < ncls) {
				r->k[K_CLASS] = pooled(out, &pc, kcls,
				    cls_name[kcls]);
			}
			if (ps.ss[i].want_ip && kip != 0) {
				r->k[K_IP] = pooled(out, &pi, kip,
				    idmap_get(&ipn, kip));
			}
			if (ps.ss[i].want_acct && kacct != 0) {
				r->k[K_ACCOUNT] = pooled(out, &pa, kacct,
				    idmap_get(&acn, kacct));
			}
			if (by & REPORT_BY_OWNER)
				r->k[K_OWNER] = r->k[K_ACCOUNT] ? owners_lookup(
				    o->owners, r->k[K_ACCOUNT],
				    strlen(r->k[K_ACCOUNT])) : NULL;
			if (by & REPORT_BY_DOMAIN)
				r->k[K_DOMAIN] = domain_of(out, r->k[K_ACCOUNT]);
			if (!(by & REPORT_BY_ACCOUNT))
				r->k[K_ACCOUNT] = NULL;
			if (by & REPORT_BY_PREFIX) {
				r->k[K_PREFIX] = prefix_of(out, o, r->k[K_IP]);
				if (!(by & REPORT_BY_IP))
					r->k[K_IP] = NULL;
			}
		}
		idmap_release(&pc);
		idmap_release(&pi);
		idmap_release(&pa);
	}
	rc = 0;
	goto fail;

dbfail:
	sqlite3_finalize(st);
	db_fail(s);
fail:
	for (i = 0; i < nsp; i++) {
		ktab_release(&ps.ss[i].kt);
		idmap_release(&ps.ss[i].keep);
	}
	free(ps.ss);
	for (k = 0; k < ncls; k++)
		free(cls_name[k]);
	free(cls_name);
	free(traffic);
	free(cls_ok);
	free(cuts);
	for (k = 0; k < nnames; k++)
		free(names[k]);
	free(names);
	idmap_release(&need_ip);
	idmap_release(&need_acct);
	idmap_release(&ipn);
	idmap_release(&acn);
	idmap_release(&ps.ip_ok);
	idmap_release(&ps.acct_ok);
	return rc;
}
