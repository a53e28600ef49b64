/* knownclients: who logged in from where (see knownclients.h) */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hash.h"
#include "imap.h"
#include "knownclients.h"
#include "log.h"
#include "smap.h"
#include "store.h"
#include "xmalloc.h"

#define WEEK (7 * 86400)

size_t knownclients_key(const struct netaddr *a, unsigned char *out)
{
	if (a->family == 4) {
		out[0] = 4;
		memcpy(out + 1, a->a, 4);
		return 5;
	}
	if (a->family == 6) {
		out[0] = 6;
		memcpy(out + 1, a->a, 16);
		return 17;
	}
	return 0;
}

void knownclients_network(struct netaddr *a)
{
	netaddr_truncate(a, KC_NET_V4, KC_NET_V6);
}

/* range: the lowest and highest key inside net */
static size_t range(const struct netaddr *net, unsigned char *lo,
    unsigned char *hi)
{
	size_t n = knownclients_key(net, lo), i;
	int bits = net->bits;

	memcpy(hi, lo, n);
	for (i = 1; i < n; i++) {
		int b0 = (int)(i - 1) * 8;

		if (bits >= b0 + 8)
			continue;
		if (bits <= b0) {
			lo[i] = 0;
			hi[i] = 0xff;
		} else {
			unsigned char m = (unsigned char)(0xff >> (bits - b0));

			lo[i] &= (unsigned char)~m;
			hi[i] |= m;
		}
	}
	return n;
}

/* ---- recording ---------------------------------------------------------- */

/* Times are log minutes, kept in 32 bits (clamped; a log before 1970 or
 * after 2106 is not one to diagnose); the sums of a pair's logins in
 * memory, not written, and written in the open transaction. */
struct sums {
	uint32_t n, first, last;
};

/* a pair: its address as the table's key (family byte + bytes) and its
 * account as an index into the writer's own account names, 48 bytes; the
 * index holds (hash, entry), so a probe touches one cache line until the
 * hash matches */
#define F_STORED 1            /* the row exists (as far as we know) */
#define F_STORED_BEFORE 2     /* stored, before the writes in flight */
#define F_LISTED 4            /* in the dirty list */
#define F_INFLIGHT 8          /* in the flight list */

struct kce {
	uint32_t acct;            /* into w->acct */
	struct sums pend;         /* logins not written */
	struct sums infl;         /* written, not committed yet */
	unsigned char key[KC_KEY_MAX];
	uint8_t flags;
};

struct kslot {
	uint32_t hash;
	uint32_t ref;                 /* index + 1; 0 empty */
};

struct kacct {
	uint32_t off, len;            /* into the arena */
	int64_t id;                   /* the store's id (0: not known yet) */
};

struct kc_writer {
	struct kslot *idx;
	size_t cap;                   /* power of two */
	struct kce *e;
	size_t n, cape;
	/* the accounts: names in one arena, an index like the pairs' */
	struct kacct *acct;
	size_t nacct, capacct;
	struct kslot *aidx;
	size_t acap;
	char *arena;
	size_t alen, arcap;
	uint32_t *dirty, *flight;     /* entry indexes */
	size_t ndirty, capdirty, nflight, capflight;
	int64_t now;                  /* the latest login noted */
	int shrink;                   /* forget written pairs after the commit */
	sqlite3 *db;
	sqlite3_stmt *ins, *upd;      /* a pair new here, one known */
};

static uint32_t clamp32(int64_t t)
{
	return t < 0 ? 0 : t > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

static size_t keylen(const unsigned char *k)
{
	return k[0] == 4 ? 5 : 17;
}

static void sums_add(struct sums *a, const struct sums *b)
{
	if (b->n == 0)
		return;
	if (a->n == 0) {
		*a = *b;
		return;
	}
	a->n = a->n + b->n < a->n ? UINT32_MAX : a->n + b->n;
	if (b->first < a->first)
		a->first = b->first;
	if (b->last > a->last)
		a->last = b->last;
}

struct kc_writer *kc_writer_new(void)
{
	struct kc_writer *w = xcalloc(1, sizeof *w);

	w->cap = 1024;
	w->idx = xcalloc(w->cap, sizeof *w->idx);
	w->acap = 64;
	w->aidx = xcalloc(w->acap, sizeof *w->aidx);
	return w;
}

void kc_writer_free(struct kc_writer *w)
{
	if (w == NULL)
		return;
	free(w->idx);
	free(w->e);
	free(w->acct);
	free(w->aidx);
	free(w->arena);
	free(w->dirty);
	free(w->flight);
	sqlite3_finalize(w->ins);
	sqlite3_finalize(w->upd);
	free(w);
}

size_t kc_writer_pending(const struct kc_writer *w)
{
	return w->ndirty;
}

static uint32_t pair_hash(const unsigned char *key, uint32_t acct)
{
	return (uint32_t)(hash_mix(hash_bytes(0x51ed27, (const char *)key,
	    keylen(key)), acct) >> 32);
}

static void slot_put(struct kslot *idx, size_t cap, uint32_t h, uint32_t ref)
{
	size_t m = cap - 1, s = h & m;

	while (idx[s].ref)
		s = (s + 1) & m;
	idx[s].hash = h;
	idx[s].ref = ref;
}

static void reindex(struct kc_writer *w)
{
	size_t i;

	while (w->n * 2 > w->cap)
		w->cap *= 2;
	free(w->idx);
	w->idx = xcalloc(w->cap, sizeof *w->idx);
	for (i = 0; i < w->n; i++)
		slot_put(w->idx, w->cap, pair_hash(w->e[i].key, w->e[i].acct),
		    (uint32_t)i + 1);
}

static void push(uint32_t **v, size_t *n, size_t *cap, uint32_t x)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 256;
		*v = xreallocarray(*v, *cap, sizeof **v);
	}
	(*v)[(*n)++] = x;
}

static uint32_t arena_put(struct kc_writer *w, const char *p, size_t n)
{
	uint32_t off;

	if (w->alen + n > w->arcap) {
		w->arcap = w->arcap ? 2 * w->arcap : 4096;
		while (w->alen + n > w->arcap)
			w->arcap *= 2;
		w->arena = xrealloc(w->arena, w->arcap);
	}
	off = (uint32_t)w->alen;
	memcpy(w->arena + off, p, n);
	w->alen += n;
	return off;
}

static uint32_t acct_hash(const char *p, size_t n)
{
	return (uint32_t)(hash_bytes(0xacc7, p, n) >> 32);
}

static void acct_reindex(struct kc_writer *w)
{
	size_t i;

	while (w->nacct * 2 > w->acap)
		w->acap *= 2;
	free(w->aidx);
	w->aidx = xcalloc(w->acap, sizeof *w->aidx);
	for (i = 0; i < w->nacct; i++)
		slot_put(w->aidx, w->acap, acct_hash(w->arena + w->acct[i].off,
		    w->acct[i].len), (uint32_t)i + 1);
}

/* acct_ref: the index of account p[0..n), added if need be */
static uint32_t acct_ref(struct kc_writer *w, const char *p, size_t n)
{
	uint32_t h = acct_hash(p, n);
	size_t m = w->acap - 1, s;
	struct kacct *a;

	for (s = h & m; w->aidx[s].ref; s = (s + 1) & m) {
		a = &w->acct[w->aidx[s].ref - 1];
		if (w->aidx[s].hash == h && a->len == n &&
		    memcmp(w->arena + a->off, p, n) == 0)
			return w->aidx[s].ref - 1;
	}
	if (w->nacct == w->capacct) {
		w->capacct = w->capacct ? 2 * w->capacct : 64;
		w->acct = xreallocarray(w->acct, w->capacct, sizeof *w->acct);
	}
	a = &w->acct[w->nacct];
	a->off = arena_put(w, p, n);
	a->len = (uint32_t)n;
	a->id = 0;
	w->aidx[s].hash = h;
	w->aidx[s].ref = (uint32_t)++w->nacct;
	if (w->nacct * 2 > w->acap)
		acct_reindex(w);
	return (uint32_t)w->nacct - 1;
}

void kc_writer_note(struct kc_writer *w, const char *ip, size_t il,
    const char *acct, size_t al, int64_t t, int64_t n)
{
	unsigned char key[KC_KEY_MAX];
	struct netaddr a;
	uint32_t h, ac, ref = 0;
	size_t m = w->cap - 1, s, kl;
	struct kce *e;
	struct sums more;

	if (il == 0 || al == 0 || il > 64 || al > 512 || n <= 0 ||
	    netaddr_parse_ip(ip, il, &a) < 0 ||
	    (kl = knownclients_key(&a, key)) == 0)
		return;
	memset(key + kl, 0, sizeof key - kl);
	ac = acct_ref(w, acct, al);
	h = pair_hash(key, ac);
	for (s = h & m; w->idx[s].ref; s = (s + 1) & m) {
		e = &w->e[w->idx[s].ref - 1];
		if (w->idx[s].hash == h && e->acct == ac &&
		    memcmp(e->key, key, kl) == 0) {
			ref = w->idx[s].ref;
			break;
		}
	}
	if (ref == 0) {
		if (w->n == w->cape) {
			w->cape = w->cape ? 2 * w->cape : 1024;
			w->e = xreallocarray(w->e, w->cape, sizeof *w->e);
		}
		e = &w->e[w->n];
		memset(e, 0, sizeof *e);
		memcpy(e->key, key, sizeof key);
		e->acct = ac;
		ref = (uint32_t)++w->n;
		w->idx[s].hash = h;
		w->idx[s].ref = ref;
		if (w->n * 2 > w->cap)
			reindex(w);
	}
	e = &w->e[ref - 1];
	more.n = n > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	more.first = more.last = clamp32(t);
	sums_add(&e->pend, &more);
	if (!(e->flags & F_LISTED)) {
		e->flags |= F_LISTED;
		push(&w->dirty, &w->ndirty, &w->capdirty, ref - 1);
	}
	if (t > w->now)
		w->now = t;
}

/* the dirty list in key order, the table's: close keys, close B-tree
 * pages */
static const struct kc_writer *sort_w;

static int cmp_entry(const void *x, const void *y)
{
	const struct kce *a = &sort_w->e[*(const uint32_t *)x];
	const struct kce *b = &sort_w->e[*(const uint32_t *)y];
	int c = memcmp(a->key, b->key, KC_KEY_MAX);

	if (c)
		return c;
	return a->acct < b->acct ? -1 : a->acct > b->acct;
}

static int put(sqlite3_stmt *st, const struct kce *e, int64_t id,
    const struct sums *d)
{
	int rc;

	sqlite3_bind_blob(st, 1, e->key, (int)keylen(e->key), SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int64(st, 3, d->first);
	sqlite3_bind_int64(st, 4, d->last);
	sqlite3_bind_int64(st, 5, d->n);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int kc_writer_write(struct kc_writer *w, struct store *s, int force)
{
	size_t i, keep = 0, ndue;
	int rc = 0;

	if (w->ndirty == 0)
		return 0;
	if (w->n > KC_CACHE_MAX) {
		force = 1;          /* write everything, then forget it */
		w->shrink = 1;
	}
	if (w->db != store_db(s)) {
		sqlite3_finalize(w->ins);
		sqlite3_finalize(w->upd);
		w->ins = w->upd = NULL;
		w->db = store_db(s);
	}
	/* a pair new to this writer is upserted (one B-tree seek, and a row
	 * of an earlier run is added to); a stored one is updated */
	if (w->ins == NULL && (sqlite3_prepare_v3(w->db, "INSERT INTO "
	    "known_clients (addr, account_id, first_seen, last_seen, n) VALUES "
	    "(?1, ?2, ?3, ?4, ?5) ON CONFLICT DO UPDATE SET first_seen = "
	    "min(first_seen, ?3), last_seen = max(last_seen, ?4), n = n + ?5",
	    -1, SQLITE_PREPARE_PERSISTENT, &w->ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(w->db, "UPDATE known_clients SET first_seen = "
	    "min(first_seen, ?3), last_seen = max(last_seen, ?4), n = n + ?5 "
	    "WHERE addr = ?1 AND account_id = ?2", -1,
	    SQLITE_PREPARE_PERSISTENT, &w->upd, NULL) != SQLITE_OK))
		return -1;
	/* the due ones first (new pairs; sums older than a week; all with
	 * force), sorted */
	for (i = 0; i < w->ndirty; i++) {
		struct kce *e = &w->e[w->dirty[i]];

		if (force || !(e->flags & F_STORED) ||
		    (int64_t)e->pend.first + WEEK <= w->now) {
			uint32_t t = w->dirty[keep];

			w->dirty[keep++] = w->dirty[i];
			w->dirty[i] = t;
		}
	}
	ndue = keep;
	keep = 0;
	sort_w = w;
	qsort(w->dirty, ndue, sizeof *w->dirty, cmp_entry);
	/* the account ids: interned by the store in this transaction (a
	 * rolled-back one is forgotten by it, so ask it each time) */
	for (i = 0; i < w->nacct; i++)
		w->acct[i].id = 0;
	for (i = 0; i < w->ndirty; i++) {
		struct kce *e = &w->e[w->dirty[i]];
		struct kacct *a = &w->acct[e->acct];

		if (rc != 0 || i >= ndue) {
			w->dirty[keep++] = w->dirty[i];
			continue;
		}
		e->flags &= (uint8_t)~F_LISTED;
		if (a->id == 0)
			a->id = store_account_id(s, w->arena + a->off, a->len,
			    w->now);
		if (a->id < 0)
			rc = -1;
		else
			rc = put((e->flags & F_STORED) ? w->upd : w->ins, e, a->id,
			    &e->pend);
		if (rc != 0) {
			e->flags |= F_LISTED;
			w->dirty[keep++] = w->dirty[i];
			continue;
		}
		if (!(e->flags & F_INFLIGHT)) {
			e->flags |= F_INFLIGHT;
			e->flags = (uint8_t)((e->flags & ~F_STORED_BEFORE) |
			    ((e->flags & F_STORED) ? F_STORED_BEFORE : 0));
			push(&w->flight, &w->nflight, &w->capflight, w->dirty[i]);
		}
		sums_add(&e->infl, &e->pend);
		memset(&e->pend, 0, sizeof e->pend);
		e->flags |= F_STORED;
	}
	w->ndirty = keep;
	return rc;
}

/* forget: keep only the pairs with logins not written (and the accounts
 * they name: new indexes, a new arena) */
static void forget(struct kc_writer *w)
{
	char *old = w->arena;
	struct kacct *oacct = w->acct;
	size_t i, k = 0, onacct = w->nacct;
	uint32_t *map = xcalloc(onacct ? onacct : 1, sizeof *map);

	w->arena = NULL;
	w->alen = w->arcap = 0;
	w->acct = NULL;
	w->nacct = w->capacct = 0;
	memset(w->aidx, 0, w->acap * sizeof *w->aidx);
	for (i = 0; i < w->n; i++) {
		struct kce e = w->e[i];

		if (e.pend.n == 0 && !(e.flags & F_LISTED))
			continue;
		if (map[e.acct] == 0)
			map[e.acct] = acct_ref(w, old + oacct[e.acct].off,
			    oacct[e.acct].len) + 1;
		e.acct = map[e.acct] - 1;
		w->e[k++] = e;
	}
	free(map);
	free(oacct);
	free(old);
	w->n = k;
	w->ndirty = 0;
	for (i = 0; i < k; i++)
		if (w->e[i].flags & F_LISTED)
			push(&w->dirty, &w->ndirty, &w->capdirty, (uint32_t)i);
	reindex(w);
}

void kc_writer_done(struct kc_writer *w, int ok)
{
	size_t i;

	for (i = 0; i < w->nflight; i++) {
		struct kce *e = &w->e[w->flight[i]];

		if (!ok) {
			/* written again next time, as if never written */
			sums_add(&e->pend, &e->infl);
			e->flags = (uint8_t)((e->flags & ~F_STORED) |
			    ((e->flags & F_STORED_BEFORE) ? F_STORED : 0));
			if (!(e->flags & F_LISTED)) {
				e->flags |= F_LISTED;
				push(&w->dirty, &w->ndirty, &w->capdirty, w->flight[i]);
			}
		}
		memset(&e->infl, 0, sizeof e->infl);
		e->flags &= (uint8_t)~F_INFLIGHT;
	}
	w->nflight = 0;
	if (ok && w->shrink) {
		w->shrink = 0;
		forget(w);
	}
}

/* ---- reading ------------------------------------------------------------ */

/* the ids of an account's names (its spellings: the lookups ignore
 * case), asked once per account and reader */
struct kc_ids {
	size_t n;
	int64_t id[];
};

/* The network cache (knownclients_cache()): the rows of a /24 or /64,
 * read once with one range of the key, answer every lookup inside it.  A
 * long window asks about the same busy networks again and again, once per
 * account (a shared /24 of a provider holds a row for each of hundreds of
 * accounts, and the range query reads them all every time), and about
 * thousands of accounts that each need their ids asked for; in memory an
 * account is a number (its case-folded name's), a network's rows indexed
 * by it. */
#define KC_NETCACHE_MAX 262144    /* rows held; more: asked of the store */
#define KC_NET_READ_AT 3          /* read a network the third time */

struct kc_crow {
	unsigned char key[KC_KEY_MAX];
	uint8_t klen;
	uint32_t acct;            /* into k->cacct */
	int64_t first, last, n;
};

/* an account id met in the cached rows */
struct kc_cacct {
	char *name;               /* NULL: no such account row */
	uint32_t fold;            /* its case-folded name's number; UINT32_MAX
	                           * for no name */
};

/* a network asked about: not read yet (reading it costs about two
 * queries about it, and a short window asks about most networks once or
 * twice: 1 day of the bench, 263 of 329 networks once, 36 twice), read,
 * or too big to hold */
enum kc_net_state { KN_ASKED, KN_READ, KN_UNCACHED };

struct kc_net {
	size_t n;
	enum kc_net_state state;
	unsigned asked;           /* times, while KN_ASKED */
	struct kc_crow *row;      /* by key (then account id: the table's) */
	uint64_t *byfold;         /* fold << 32 | row index, sorted: by
	                           * account, then key */
	uint32_t *byname;         /* row indexes by (key, name), each()'s
	                           * order, made by it; NULL: not yet, or the
	                           * rows' own order (named) */
	int named;
};

struct knownclients {
	struct store *s;
	sqlite3_stmt *any, *acct, *each, *all, *ids, *latest;
	struct smap idcache;      /* lower-cased name -> struct kc_ids */
	/* the network cache, when enabled */
	int cache;
	sqlite3_stmt *netrows, *acname;
	struct smap nets;         /* a network's lowest key -> struct kc_net */
	size_t cached;            /* rows held */
	struct imap acctidx;      /* account id -> index + 1 into cacct */
	struct kc_cacct *cacct;
	size_t ncacct, capcacct;
	struct smap folds;        /* folded name -> its number + 1 */
	uint32_t nfold;
};

struct knownclients *knownclients_open(struct store *s)
{
	struct knownclients *k = xcalloc(1, sizeof *k);

	k->s = s;
	smap_init(&k->idcache);
	smap_init(&k->nets);
	smap_init(&k->folds);
	return k;
}

void knownclients_close(struct knownclients *k)
{
	size_t i;

	if (k == NULL)
		return;
	sqlite3_finalize(k->any);
	sqlite3_finalize(k->acct);
	sqlite3_finalize(k->each);
	sqlite3_finalize(k->all);
	sqlite3_finalize(k->ids);
	sqlite3_finalize(k->latest);
	sqlite3_finalize(k->netrows);
	sqlite3_finalize(k->acname);
	for (i = 0; i < k->idcache.cap; i++)
		if (k->idcache.keys[i])
			free(k->idcache.vals[i]);
	smap_release(&k->idcache);
	for (i = 0; i < k->nets.cap; i++)
		if (k->nets.keys[i]) {
			struct kc_net *kn = k->nets.vals[i];

			free(kn->row);
			free(kn->byfold);
			free(kn->byname);
			free(kn);
		}
	smap_release(&k->nets);
	for (i = 0; i < k->ncacct; i++)
		free(k->cacct[i].name);
	free(k->cacct);
	imap_release(&k->acctidx);
	smap_release(&k->folds);
	free(k);
}

void knownclients_cache(struct knownclients *k)
{
	k->cache = 1;
}

static int prep(struct knownclients *k, sqlite3_stmt **st, const char *sql)
{
	if (*st)
		return 0;
	if (sqlite3_prepare_v3(store_db(k->s), sql, -1, SQLITE_PREPARE_PERSISTENT,
	    st, NULL) != SQLITE_OK) {
		log_warnx("%s: known clients: %s", store_path(k->s),
		    sqlite3_errmsg(store_db(k->s)));
		return -1;
	}
	return 0;
}

/* account_ids: the ids of account's names (any case), cached; NULL on
 * an error (logged) */
static const struct kc_ids *account_ids(struct knownclients *k,
    const char *account)
{
	char key[512];
	size_t n, cap = 1;
	struct kc_ids *v;
	int rc;

	for (n = 0; account[n] && n + 1 < sizeof key; n++)
		key[n] = account[n] >= 'A' && account[n] <= 'Z' ?
		    (char)(account[n] - 'A' + 'a') : account[n];
	if ((v = smap_get(&k->idcache, key, n)) != NULL)
		return v;
	if (prep(k, &k->ids, "SELECT id FROM accounts WHERE name = ?1 COLLATE "
	    "NOCASE") < 0)
		return NULL;
	v = xmalloc(sizeof *v + cap * sizeof v->id[0]);
	v->n = 0;
	sqlite3_bind_text(k->ids, 1, account, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(k->ids)) == SQLITE_ROW) {
		if (v->n == cap) {
			cap *= 2;
			v = xrealloc(v, sizeof *v + cap * sizeof v->id[0]);
		}
		v->id[v->n++] = sqlite3_column_int64(k->ids, 0);
	}
	sqlite3_reset(k->ids);
	if (rc != SQLITE_DONE) {
		log_warnx("%s: known clients: %s", store_path(k->s),
		    sqlite3_errmsg(store_db(k->s)));
		free(v);
		return NULL;
	}
	smap_put(&k->idcache, key, n, v);
	return v;
}

/* ---- the network cache -------------------------------------------------- */

/* key_cmp: blobs in SQLite's order (bytes, then the shorter first) */
static int key_cmp(const unsigned char *a, size_t an, const unsigned char *b,
    size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c != 0)
		return c;
	return (an > bn) - (an < bn);
}

/* fold: s[0..n) lower-cased as NOCASE does (ASCII only) into out */
static void fold(const char *s, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') :
		    s[i];
}

/* fold_number: the number of account's case-folded name, add it
 * (UINT32_MAX, not added: no account row of the loaded networks has that
 * name) */
static uint32_t fold_number(struct knownclients *k, const char *account,
    int add)
{
	char buf[256], *f = buf;
	size_t n = strlen(account);
	void *v;

	if (n > sizeof buf)
		f = xmalloc(n);
	f[0] = '\0';              /* for an empty name */
	fold(account, n, f);
	if ((v = smap_get(&k->folds, f, n)) == NULL && add) {
		smap_put(&k->folds, f, n, (void *)(uintptr_t)(++k->nfold));
		v = (void *)(uintptr_t)k->nfold;
	}
	if (f != buf)
		free(f);
	return v ? (uint32_t)((uintptr_t)v - 1) : UINT32_MAX;
}

/* cacct_ref: the index of account id in k->cacct, its name read once;
 * UINT32_MAX on an error (logged) */
static uint32_t cacct_ref(struct knownclients *k, int64_t id)
{
	uint32_t *slot = imap_find(&k->acctidx, (uint64_t)id, 0);
	const unsigned char *txt;
	struct kc_cacct *a;
	int rc;

	if (*slot)
		return *slot - 1;
	if (prep(k, &k->acname, "SELECT name FROM accounts WHERE id = ?1") < 0)
		return UINT32_MAX;
	if (k->ncacct == k->capcacct) {
		k->capcacct = k->capcacct ? 2 * k->capcacct : 256;
		k->cacct = xreallocarray(k->cacct, k->capcacct, sizeof *k->cacct);
	}
	a = &k->cacct[k->ncacct];
	sqlite3_bind_int64(k->acname, 1, id);
	rc = sqlite3_step(k->acname);
	txt = rc == SQLITE_ROW ? sqlite3_column_text(k->acname, 0) : NULL;
	a->name = txt ? xstrdup((const char *)txt) : NULL;
	sqlite3_reset(k->acname);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("%s: known clients: %s", store_path(k->s),
		    sqlite3_errmsg(store_db(k->s)));
		free(a->name);
		return UINT32_MAX;   /* the slot stays empty (0) */
	}
	a->fold = a->name ? fold_number(k, a->name, 1) : UINT32_MAX;
	*slot = (uint32_t)++k->ncacct;
	k->acctidx.n++;
	return *slot - 1;
}

/* sorting a network's rows: by key (then account id, the table's order),
 * by key then name (each()'s order), by (fold, key) */
static int cmp_key(const void *x, const void *y)
{
	const struct kc_crow *a = x, *b = y;
	int c = key_cmp(a->key, a->klen, b->key, b->klen);

	return c ? c : (a->acct > b->acct) - (a->acct < b->acct);
}

/* a row and its name, to sort without a context */
struct kc_named {
	const struct kc_crow *r;
	const char *name;
	uint32_t i;
};

static int cmp_named(const void *x, const void *y)
{
	const struct kc_named *a = x, *b = y;
	int c = key_cmp(a->r->key, a->r->klen, b->r->key, b->r->klen);

	if (c != 0)
		return c;
	if (a->name != NULL && b->name != NULL)
		return strcmp(a->name, b->name);
	if (a->name != b->name)         /* NULL first, as SQLite sorts */
		return a->name == NULL ? -1 : 1;
	return (a->i > b->i) - (a->i < b->i);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return (a > b) - (a < b);
}

/* net_load: the rows of the network [lo, hi] into kn (one range of the
 * key); KN_UNCACHED if they would be more than the cache holds.  0 or -1
 * (logged). */
static int net_load(struct knownclients *k, const unsigned char *lo,
    const unsigned char *hi, size_t n, struct kc_net *kn)
{
	size_t cap = 0, room = KC_NETCACHE_MAX - k->cached, i;
	int rc, logged = 0;

	if (prep(k, &k->netrows, "SELECT addr, account_id, first_seen, "
	    "last_seen, n FROM known_clients WHERE addr BETWEEN ?1 AND ?2 "
	    "LIMIT ?3") < 0)
		return -1;
	sqlite3_bind_blob(k->netrows, 1, lo, (int)n, SQLITE_STATIC);
	sqlite3_bind_blob(k->netrows, 2, hi, (int)n, SQLITE_STATIC);
	sqlite3_bind_int64(k->netrows, 3, (int64_t)room + 1);
	while ((rc = sqlite3_step(k->netrows)) == SQLITE_ROW) {
		int bytes = sqlite3_column_bytes(k->netrows, 0);
		struct kc_crow *r;
		uint32_t ai;

		if (kn->n == room || bytes > KC_KEY_MAX) {
			kn->state = KN_UNCACHED;   /* too many, or a key of no
			                            * address */
			rc = SQLITE_DONE;
			break;
		}
		if ((ai = cacct_ref(k, sqlite3_column_int64(k->netrows, 1))) ==
		    UINT32_MAX) {
			rc = SQLITE_ERROR;
			logged = 1;
			break;
		}
		if (kn->n == cap) {
			cap = cap ? 2 * cap : 16;
			kn->row = xreallocarray(kn->row, cap, sizeof *kn->row);
		}
		r = &kn->row[kn->n++];
		memset(r->key, 0, sizeof r->key);
		memcpy(r->key, sqlite3_column_blob(k->netrows, 0), (size_t)bytes);
		r->klen = (uint8_t)bytes;
		r->acct = ai;
		r->first = sqlite3_column_int64(k->netrows, 2);
		r->last = sqlite3_column_int64(k->netrows, 3);
		r->n = sqlite3_column_int64(k->netrows, 4);
	}
	sqlite3_reset(k->netrows);
	if (rc != SQLITE_DONE) {
		if (!logged)
			log_warnx("%s: known clients: %s", store_path(k->s),
			    sqlite3_errmsg(store_db(k->s)));
		kn->state = KN_UNCACHED;
	}
	if (kn->state == KN_UNCACHED) {
		free(kn->row);
		kn->row = NULL;
		kn->n = 0;
		return rc == SQLITE_DONE ? 0 : -1;
	}
	kn->state = KN_READ;
	/* in key order (the primary key's, the lookups need it) */
	for (i = 1; i < kn->n && key_cmp(kn->row[i - 1].key,
	    kn->row[i - 1].klen, kn->row[i].key, kn->row[i].klen) <= 0; i++)
		;
	if (i < kn->n)
		qsort(kn->row, kn->n, sizeof *kn->row, cmp_key);
	if (kn->n > 0) {
		kn->byfold = xreallocarray(NULL, kn->n, sizeof *kn->byfold);
		for (i = 0; i < kn->n; i++)
			kn->byfold[i] = (uint64_t)k->cacct[kn->row[i].acct].fold <<
			    32 | i;
		qsort(kn->byfold, kn->n, sizeof *kn->byfold, cmp_u64);
	}
	k->cached += kn->n;
	return 0;
}

/* net_get: the cached network holding net (an address or a network no
 * wider than a known client's), read the KC_NET_READ_AT'th time it is
 * asked about;
 * NULL (ask the store) if the cache is off, net is wider, its network was
 * not asked about before or has too many rows, or on an error (then
 * *err) */
static struct kc_net *net_get(struct knownclients *k,
    const struct netaddr *net, int *err)
{
	unsigned char lo[KC_KEY_MAX], hi[KC_KEY_MAX];
	struct netaddr base = *net;
	struct kc_net *kn;
	size_t n;

	*err = 0;
	if (!k->cache)
		return NULL;
	knownclients_network(&base);
	if (base.bits != (base.family == 4 ? KC_NET_V4 : KC_NET_V6) ||
	    (n = range(&base, lo, hi)) == 0)
		return NULL;
	if ((kn = smap_get(&k->nets, (const char *)lo, n)) == NULL) {
		kn = xcalloc(1, sizeof *kn);
		kn->state = KN_ASKED;
		smap_put(&k->nets, (const char *)lo, n, kn);
	}
	if (kn->state == KN_ASKED && ++kn->asked < KC_NET_READ_AT)
		return NULL;
	if (kn->state == KN_ASKED && net_load(k, lo, hi, n, kn) < 0) {
		*err = 1;
		return NULL;
	}
	return kn->state == KN_READ ? kn : NULL;
}

/* net_lookup: knownclients_lookup() from a cached network */
static int net_lookup(struct knownclients *k, const struct kc_net *kn,
    const unsigned char *lo, const unsigned char *hi, size_t n,
    const char *account, int64_t first_before, int64_t seen_after,
    struct kc_info *out)
{
	const struct kc_crow *r;
	size_t a, b, m, i;
	uint32_t f = 0;

	if (account != NULL) {
		if ((f = fold_number(k, account, 0)) == UINT32_MAX)
			return 0;
		/* the first row of the account */
		for (a = 0, b = kn->n; a < b; ) {
			m = a + (b - a) / 2;
			if (kn->byfold[m] >> 32 < f)
				a = m + 1;
			else
				b = m;
		}
	} else {
		/* the first row inside the range */
		for (a = 0, b = kn->n; a < b; ) {
			m = a + (b - a) / 2;
			if (key_cmp(kn->row[m].key, kn->row[m].klen, lo, n) < 0)
				a = m + 1;
			else
				b = m;
		}
	}
	/* an account's rows are in key order: from the range's first */
	for (i = a; i < kn->n; i++) {
		if (account != NULL && kn->byfold[i] >> 32 != f)
			break;
		r = &kn->row[account ? (uint32_t)kn->byfold[i] : i];
		if (key_cmp(r->key, r->klen, hi, n) > 0)
			break;
		if (key_cmp(r->key, r->klen, lo, n) < 0 ||
		    r->first >= first_before || r->last < seen_after)
			continue;
		if (out->rows == 0 || r->first < out->first_seen)
			out->first_seen = r->first;
		if (out->rows == 0 || r->last > out->last_seen)
			out->last_seen = r->last;
		out->n += r->n;
		out->rows++;
	}
	return out->rows > 0;
}

int knownclients_lookup(struct knownclients *k, const struct netaddr *net,
    const char *account, int64_t first_before, int64_t seen_after,
    struct kc_info *out)
{
	unsigned char lo[KC_KEY_MAX], hi[KC_KEY_MAX];
	const struct kc_ids *ids = NULL;
	const struct kc_net *kn;
	size_t n, i;
	sqlite3_stmt *st;
	int rc = SQLITE_ROW, err;

	memset(out, 0, sizeof *out);
	if ((n = range(net, lo, hi)) == 0)
		return 0;
	if ((kn = net_get(k, net, &err)) != NULL)
		return net_lookup(k, kn, lo, hi, n, account, first_before,
		    seen_after, out);
	if (err)
		return -1;
	if (account == NULL) {
		if (prep(k, &k->any, "SELECT min(first_seen), max(last_seen), "
		    "sum(n), count(*) FROM known_clients WHERE addr BETWEEN ?1 AND ?2 "
		    "AND first_seen < ?3 AND last_seen >= ?4") < 0)
			return -1;
		st = k->any;
	} else {
		/* by the account's ids: a range of the key checked against an
		 * integer, no join per row (a busy /24 has many rows) */
		if ((ids = account_ids(k, account)) == NULL ||
		    prep(k, &k->acct, "SELECT min(first_seen), max(last_seen), "
		    "sum(n), count(*) FROM known_clients WHERE addr BETWEEN ?1 AND "
		    "?2 AND account_id = ?5 AND first_seen < ?3 AND last_seen >= ?4")
		    < 0)
			return -1;
		st = k->acct;
	}
	sqlite3_bind_blob(st, 1, lo, (int)n, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, hi, (int)n, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, first_before);
	sqlite3_bind_int64(st, 4, seen_after);
	for (i = 0; rc == SQLITE_ROW && (ids == NULL ? i < 1 : i < ids->n); i++) {
		if (ids)
			sqlite3_bind_int64(st, 5, ids->id[i]);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && sqlite3_column_int64(st, 3) > 0) {
			int64_t f = sqlite3_column_int64(st, 0);
			int64_t l = sqlite3_column_int64(st, 1);

			if (out->rows == 0 || f < out->first_seen)
				out->first_seen = f;
			if (out->rows == 0 || l > out->last_seen)
				out->last_seen = l;
			out->n += sqlite3_column_int64(st, 2);
			out->rows += (size_t)sqlite3_column_int64(st, 3);
		}
		sqlite3_reset(st);
	}
	if (rc != SQLITE_ROW) {
		log_warnx("%s: known clients: %s", store_path(k->s),
		    sqlite3_errmsg(store_db(k->s)));
		return -1;
	}
	return out->rows > 0;
}

int knownclients_is_known(struct knownclients *k, const char *ip,
    int64_t seen_after)
{
	struct netaddr a;
	struct kc_info info;

	if (ip == NULL || netaddr_parse(ip, strlen(ip), &a) < 0)
		return -1;
	return knownclients_lookup(k, &a, NULL, INT64_MAX, seen_after, &info);
}

static void key_text(const unsigned char *p, size_t n, char *buf, size_t size)
{
	struct netaddr a;

	memset(&a, 0, sizeof a);
	buf[0] = '\0';
	if (n == 5 && p[0] == 4) {
		a.family = 4;
		a.bits = 32;
		memcpy(a.a, p + 1, 4);
	} else if (n == 17 && p[0] == 6) {
		a.family = 6;
		a.bits = 128;
		memcpy(a.a, p + 1, 16);
	} else {
		return;
	}
	netaddr_format(&a, buf, size);
}

/* net_each: knownclients_each() from a cached network */
static int net_each(struct knownclients *k, struct kc_net *kn,
    const unsigned char *lo, const unsigned char *hi, size_t n,
    const char *account, kc_each_cb *cb, void *arg)
{
	uint32_t f = account ? fold_number(k, account, 0) : 0;
	size_t i;

	if (f == UINT32_MAX)
		return 0;
	/* the statement's order: an address's rows by name */
	if (!kn->named && kn->byname == NULL) {
		struct kc_named *v = xreallocarray(NULL, kn->n ? kn->n : 1,
		    sizeof *v);

		for (i = 0; i < kn->n; i++) {
			v[i].r = &kn->row[i];
			v[i].name = k->cacct[kn->row[i].acct].name;
			v[i].i = (uint32_t)i;
		}
		for (i = 1; i < kn->n && cmp_named(&v[i - 1], &v[i]) <= 0; i++)
			;
		if (i >= kn->n) {
			kn->named = 1;
		} else {
			qsort(v, kn->n, sizeof *v, cmp_named);
			kn->byname = xreallocarray(NULL, kn->n, sizeof *kn->byname);
			for (i = 0; i < kn->n; i++)
				kn->byname[i] = v[i].i;
		}
		free(v);
	}
	for (i = 0; i < kn->n; i++) {
		const struct kc_crow *x = &kn->row[kn->byname ? kn->byname[i] : i];
		const struct kc_cacct *a = &k->cacct[x->acct];
		struct kc_row r;

		if (key_cmp(x->key, x->klen, lo, n) < 0)
			continue;
		if (key_cmp(x->key, x->klen, hi, n) > 0)
			break;
		/* the statement's join: a row of no account is not listed */
		if (a->name == NULL || (account != NULL && a->fold != f))
			continue;
		key_text(x->key, x->klen, r.addr, sizeof r.addr);
		r.account = a->name;
		r.first_seen = x->first;
		r.last_seen = x->last;
		r.n = x->n;
		if (cb(arg, &r) != 0)
			break;
	}
	return 0;
}

int knownclients_each(struct knownclients *k, const struct netaddr *net,
    const char *account, kc_each_cb *cb, void *arg)
{
	unsigned char lo[KC_KEY_MAX], hi[KC_KEY_MAX];
	sqlite3_stmt *st;
	struct kc_row r;
	struct kc_net *kn;
	size_t n = 0;
	int rc, err;

	if (net != NULL && (n = range(net, lo, hi)) == 0)
		return 0;
	if (net != NULL && (kn = net_get(k, net, &err)) != NULL)
		return net_each(k, kn, lo, hi, n, account, cb, arg);
	if (net != NULL && err)
		return -1;
	/* two statements: a range of the key (a network) is a search of the
	 * primary key only when the statement has no "OR no range" */
	if (net != NULL) {
		if (prep(k, &k->each, "SELECT k.addr, a.name, k.first_seen, "
		    "k.last_seen, k.n FROM known_clients k JOIN accounts a ON "
		    "a.id = k.account_id WHERE k.addr BETWEEN ?1 AND ?2 AND (?4 "
		    "IS NULL OR a.name = ?4 COLLATE NOCASE) ORDER BY k.addr, "
		    "a.name") < 0)
			return -1;
		st = k->each;
		sqlite3_bind_blob(st, 1, lo, (int)n, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, hi, (int)n, SQLITE_STATIC);
	} else {
		if (prep(k, &k->all, "SELECT k.addr, a.name, k.first_seen, "
		    "k.last_seen, k.n FROM known_clients k JOIN accounts a ON "
		    "a.id = k.account_id WHERE ?4 IS NULL OR a.name = ?4 COLLATE "
		    "NOCASE ORDER BY k.addr, a.name") < 0)
			return -1;
		st = k->all;
	}
	if (account)
		sqlite3_bind_text(st, 4, account, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		key_text(sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), r.addr, sizeof r.addr);
		r.account = (const char *)sqlite3_column_text(st, 1);
		r.first_seen = sqlite3_column_int64(st, 2);
		r.last_seen = sqlite3_column_int64(st, 3);
		r.n = sqlite3_column_int64(st, 4);
		if (cb(arg, &r) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int knownclients_latest(struct knownclients *k, const struct netaddr *net,
    int64_t seen_after, struct kc_row *out, char *acct, size_t acctlen)
{
	unsigned char lo[KC_KEY_MAX], hi[KC_KEY_MAX];
	sqlite3_stmt *st;
	size_t n;
	int rc, found = 0;

	memset(out, 0, sizeof *out);
	if ((n = range(net, lo, hi)) == 0)
		return 0;
	/* a range of the primary key; the few rows of a network sorted */
	if (prep(k, &k->latest, "SELECT k.addr, a.name, k.first_seen, "
	    "k.last_seen, k.n FROM known_clients k JOIN accounts a ON a.id = "
	    "k.account_id WHERE k.addr BETWEEN ?1 AND ?2 AND k.last_seen >= ?3 "
	    "ORDER BY k.last_seen DESC, k.addr, a.name LIMIT 1") < 0)
		return -1;
	st = k->latest;
	sqlite3_bind_blob(st, 1, lo, (int)n, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, hi, (int)n, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, seen_after);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		key_text(sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), out->addr, sizeof out->addr);
		snprintf(acct, acctlen, "%s", (const char *)sqlite3_column_text(st,
		    1));
		out->account = acct;
		out->first_seen = sqlite3_column_int64(st, 2);
		out->last_seen = sqlite3_column_int64(st, 3);
		out->n = sqlite3_column_int64(st, 4);
		found = 1;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("%s: known clients: %s", store_path(k->s),
		    sqlite3_errmsg(store_db(k->s)));
		return -1;
	}
	return found;
}

int64_t knownclients_prune(struct store *s, int64_t before)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(store_db(s), "DELETE FROM known_clients WHERE "
	    "last_seen < ?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, before);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? sqlite3_changes64(store_db(s)) : -1;
}
