/* judge: what the judgments share (see judge.h) */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "countread.h"
#include "duration.h"
#include "hash.h"
#include "json.h"
#include "judge.h"
#include "log.h"
#include "owners.h"
#include "store.h"
#include "xmalloc.h"

void *judge_grow(void *v, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return v;
	*cap = *cap ? 2 * *cap : 16;
	return xreallocarray(v, *cap, size);
}

/* ---- names ---- */

/* name_slot: the slot of id's text in t (NULL until set).  Ids are
 * rowids, dense: idtab finds them without hashing, and a damaged store's
 * huge ids by a hash. */
static char **name_slot(struct names *t, int64_t id)
{
	uint32_t *ix = idtab_slot(&t->ix, id);

	if (*ix == 0) {
		t->v = judge_grow(t->v, t->n, &t->cap, sizeof *t->v);
		t->v[t->n] = NULL;
		*ix = (uint32_t)++t->n;
	}
	return &t->v[*ix - 1];
}

const char *judge_name(struct judge *c, int table, int64_t id)
{
	sqlite3_stmt *st = table ? c->acname : c->ipname;
	const unsigned char *txt;
	char **slot;

	if (id <= 0)
		return "";
	slot = name_slot(&c->names[table != 0], id);
	if (*slot)
		return *slot;
	sqlite3_bind_int64(st, 1, id);
	txt = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	*slot = xstrdup(txt ? (const char *)txt : "");
	sqlite3_reset(st);
	return *slot;
}

static void names_release(struct names *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	idtab_release(&t->ix);
	memset(t, 0, sizeof *t);
}

int judge_open(struct judge *c, struct store *s,
    const struct diagnose_input *in, struct findings *out)
{
	memset(c, 0, sizeof *c);
	c->s = s;
	c->db = store_db(s);
	c->in = in;
	c->cf = in->conf;
	c->out = out;
	c->kc = knownclients_open(s);
	knownclients_cache(c->kc);    /* one view of the store: the read
	                               * transaction below */
	if (sqlite3_prepare_v2(c->db, "SELECT bucket, class_id, data FROM "
	    "count_chunks WHERE bucket >= ?1 AND bucket < ?2 AND class_id IN "
	    "(?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
	    "ORDER BY bucket, class_id, part",
	    -1, &c->rows, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "SELECT id FROM classes WHERE name = ?1", -1,
	    &c->classid, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "SELECT addr FROM ips WHERE id = ?1", -1,
	    &c->ipname, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "SELECT name FROM accounts WHERE id = ?1", -1,
	    &c->acname, NULL) != SQLITE_OK) {
		log_warnx("%s: diagnose: %s", store_path(s), sqlite3_errmsg(c->db));
		return -1;
	}
	/* one read transaction: one lock for the thousands of small reads,
	 * and one consistent view of the store (the daemon calls this inside
	 * its commit's transaction) */
	if (in->until > in->since && sqlite3_get_autocommit(c->db)) {
		if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
			log_warnx("%s: diagnose: %s", store_path(s),
			    sqlite3_errmsg(c->db));
			return -1;
		}
		c->in_tx = 1;
	}
	return 0;
}

void judge_close(struct judge *c)
{
	sqlite3_finalize(c->rows);
	sqlite3_finalize(c->classid);
	chunk_vec_release(&c->cv);
	sqlite3_finalize(c->ipname);
	sqlite3_finalize(c->acname);
	if (c->in_tx)
		sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	knownclients_close(c->kc);
	names_release(&c->names[0]);
	names_release(&c->names[1]);
	names_release(&c->nets);
	idtab_release(&c->netof);
	smap_release(&c->netbyname);
	free(c->netv);
	memset(c, 0, sizeof *c);
}

/* ---- the pass ---- */

/* judge_pass_add: cls's counts go to fn(arg) (a class never counted: none).
 * 0, or -1 on a database error. */
int judge_pass_add(struct judge *c, struct judge_pass *p, const char *cls,
    judge_row_fn *fn, void *arg, int need)
{
	sqlite3_stmt *st = c->classid;
	int rc;

	if (p->n == FEEDS_MAX) {
		log_warnx("diagnose: more than %d classes in a pass", FEEDS_MAX);
		c->failed = 1;
		return -1;
	}
	sqlite3_bind_text(st, 1, cls, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		p->feed[p->n].cid = sqlite3_column_int64(st, 0);
		p->feed[p->n].fn = fn;
		p->feed[p->n].need = need;
		p->feed[p->n++].arg = arg;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
	log_warnx("%s: diagnose: %s", store_path(c->s), sqlite3_errmsg(c->db));
	c->failed = 1;
	return -1;
}

/* feed: each entry of a chunk of class cid to p's takers of it (a class
 * may feed more than one); need < 0: any taker */
static void feed(struct judge *c, const struct judge_pass *p, int need,
    int64_t cid, int64_t bucket, const struct chunk_entry *v, size_t n)
{
	size_t i, k;

	for (k = 0; k < p->n; k++) {
		if (p->feed[k].cid != cid || (need >= 0 && p->feed[k].need !=
		    need))
			continue;
		for (i = 0; i < n; i++)
			p->feed[k].fn(c, p->feed[k].arg, bucket, v[i].ip, v[i].acct,
			    v[i].n);
	}
}

/* the minutes: the minutes are keyed by (bucket, class), so a read per
 * class would step over every other class's rows again.  The chunks are
 * decoded here, not through the counts table: one SQLite row per minute,
 * not one per entry. */
static int pass_minutes(struct judge *c, const struct judge_pass *p,
    int64_t since, int64_t until)
{
	sqlite3_stmt *st = c->rows;
	size_t k;
	int rc;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, until);
	for (k = 0; k < FEEDS_MAX; k++)
		sqlite3_bind_int64(st, 3 + (int)k, k < p->n ? p->feed[k].cid : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t bucket = sqlite3_column_int64(st, 0);
		const unsigned char *b = sqlite3_column_blob(st, 2);
		int len = sqlite3_column_bytes(st, 2);

		c->cv.n = 0;
		if (chunk_decode(b, (size_t)len, &c->cv) < 0) {
			log_warnx("%s: diagnose: the stored chunk of minute %" PRId64
			    " is malformed (the database is damaged)", store_path(c->s),
			    bucket);
			sqlite3_reset(st);
			c->failed = 1;
			return -1;
		}
		feed(c, p, -1, sqlite3_column_int64(st, 1), bucket, c->cv.v,
		    c->cv.n);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	log_warnx("%s: diagnose: %s", store_path(c->s), sqlite3_errmsg(c->db));
	c->failed = 1;
	return -1;
}

struct coarse {
	struct judge *c;
	const struct judge_pass *p;
	int need;
};

static int coarse_chunk(void *arg, const struct countread_chunk *ch)
{
	struct coarse *k = arg;

	feed(k->c, k->p, k->need, ch->cls, ch->bucket, ch->v, ch->n);
	return 0;
}

/* the rollups: one read for the takers of sums (days where they fit), one
 * for the takers of clock hours (hours at most) */
static int pass_coarse(struct judge *c, const struct judge_pass *p,
    int64_t since, int64_t until)
{
	struct countread_query q;
	struct coarse k;
	unsigned char *ok[2];
	size_t i, ncls = 0;
	int need, rc = SQLITE_OK, any[2] = { 0, 0 };

	for (i = 0; i < p->n; i++)
		if (p->feed[i].cid >= 0 && (size_t)p->feed[i].cid >= ncls)
			ncls = (size_t)p->feed[i].cid + 1;
	ok[0] = xcalloc(ncls + 1, 1);
	ok[1] = xcalloc(ncls + 1, 1);
	for (i = 0; i < p->n; i++) {
		if (p->feed[i].cid < 0)
			continue;
		ok[p->feed[i].need != JUDGE_ANY][p->feed[i].cid] = 1;
		any[p->feed[i].need != JUDGE_ANY] = 1;
	}
	for (need = JUDGE_ANY; need <= JUDGE_HOURS && rc == SQLITE_OK; need++) {
		if (!any[need])
			continue;
		memset(&q, 0, sizeof q);
		q.since = since;
		q.until = until;
		q.pruned = (int64_t)store_pruned_before(c->s);
		q.cls_ok = ok[need];
		q.ncls_ok = ncls;
		q.no_days = need == JUDGE_HOURS;
		k.c = c;
		k.p = p;
		k.need = need;
		rc = countread_scan(c->db, &q, coarse_chunk, &k);
	}
	free(ok[0]);
	free(ok[1]);
	if (rc == SQLITE_OK)
		return 0;
	if (rc == SQLITE_CORRUPT)
		log_warnx("%s: diagnose: a stored chunk is malformed (the database "
		    "is damaged)", store_path(c->s));
	else
		log_warnx("%s: diagnose: %s", store_path(c->s), sqlite3_errmsg(c->db));
	c->failed = 1;
	return -1;
}

/* judge_pass_run: read the counts of p's classes in [since, until), once */
int judge_pass_run(struct judge *c, const struct judge_pass *p, int64_t since,
    int64_t until)
{
	if (p->n == 0 || until <= since)
		return 0;
	return p->coarse ? pass_coarse(c, p, since, until) :
	    pass_minutes(c, p, since, until);
}

/* ---- findings ---- */

static int ci_eq(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
}

/* wanted: the filters let f through */
static int wanted(struct judge *c, const struct finding *f)
{
	const struct diagnose_input *in = c->in;

	if (in->account && !ci_eq(f->account, in->account))
		return 0;
	if (in->owner && !ci_eq(f->owner, in->owner))
		return 0;
	if (in->ip) {
		struct netaddr want, have;

		if (f->ip == NULL || netaddr_parse(in->ip, strlen(in->ip), &want) < 0 ||
		    netaddr_parse(f->ip, strlen(f->ip), &have) < 0)
			return 0;
		if (!netaddr_contains(&want, &have) && !netaddr_contains(&have, &want))
			return 0;
	}
	return 1;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* add: a finding (the strings are copied; evidence and summary taken) */
void judge_add(struct judge *c, enum finding_kind k, const char *ip,
    const char *account, const char *owner, const char *domain,
    int64_t events, int64_t first, int64_t last, struct sbuf *ev,
    struct sbuf *sum)
{
	struct findings *o = c->out;
	struct finding f;

	memset(&f, 0, sizeof f);
	f.kind = k;
	f.verdict = finding_verdict(k);
	f.ip = dup_or_null(ip);
	f.account = dup_or_null(account && *account ? account : NULL);
	f.owner = dup_or_null(owner);
	f.domain = dup_or_null(domain);
	f.events = events;
	f.first = first;
	f.last = last;
	f.evidence = sbuf_detach(ev);
	f.summary = sbuf_detach(sum);
	if (!wanted(c, &f)) {
		free(f.ip);
		free(f.account);
		free(f.owner);
		free(f.domain);
		free(f.evidence);
		free(f.summary);
		return;
	}
	if (o->n == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 16;
		o->v = xreallocarray(o->v, o->cap, sizeof *o->v);
	}
	o->v[o->n++] = f;
}

void judge_ev_time(struct sbuf *b, const char *key, int64_t t)
{
	char buf[32];

	sbuf_addf(b, ", \"%s\": ", key);
	json_cstr(b, time_iso((time_t)t, buf, sizeof buf));
}

const char *judge_hm(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
	return buf;
}

/* owner_of: the cPanel user of an account (or a bare login that is one) */
const char *judge_owner(struct judge *c, const char *account)
{
	if (c->in->owners == NULL || account == NULL || *account == '\0')
		return NULL;
	return owners_lookup(c->in->owners, account, strlen(account));
}

const char *judge_domain(const char *account)
{
	const char *at = strrchr(account, '@');

	return at ? at + 1 : NULL;
}

/* network: the /24 or /64 of an address, as CIDR text; 0 if not one */
int judge_network(const char *ip, struct netaddr *net, char *buf,
    size_t len)
{
	if (netaddr_parse_ip(ip, strlen(ip), net) < 0)
		return 0;
	knownclients_network(net);
	netaddr_format(net, buf, len);
	return 1;
}

/* netkey: the network of address id ip as text (judge_network()), "" if it
 * has none; looked up and formatted once per id */
const char *judge_netkey(struct judge *c, int64_t ip)
{
	struct netaddr net;
	char nk[NETADDR_STRLEN];
	char **slot;

	if (ip <= 0)
		return "";
	slot = name_slot(&c->nets, ip);
	if (*slot == NULL)
		*slot = xstrdup(judge_network(judge_name(c, 0, ip), &net, nk, sizeof nk) ?
		    nk : "");
	return *slot;
}

/* judge_netid_slow: judge_netid() of an address id not looked up yet: its
 * network's text numbered (the first address's text kept as the name) */
uint32_t judge_netid_slow(struct judge *c, int64_t ip)
{
	const char *nk = judge_netkey(c, ip);
	size_t len = strlen(nk);
	uint32_t *slot = idtab_slot(&c->netof, ip);
	uintptr_t v;

	if (len == 0) {
		*slot = NET_NONE;
		return 0;
	}
	if ((v = (uintptr_t)smap_get(&c->netbyname, nk, len)) == 0) {
		c->netv = judge_grow(c->netv, c->nnetv, &c->capnetv,
		    sizeof *c->netv);
		c->netv[c->nnetv] = nk;
		v = ++c->nnetv;
		smap_put(&c->netbyname, nk, len, (void *)v);
	}
	*slot = (uint32_t)v;
	return (uint32_t)v;
}

/* ---- pairs ---- */

void judge_pairs_release(struct pairs *p)
{
	free(p->v);
	free(p->min);
	imap_release(&p->map);
	memset(p, 0, sizeof *p);
}

void judge_pair_row(struct judge *c, void *arg, int64_t bucket, int64_t ip,
    int64_t acct, int64_t n)
{
	struct pairs *p = arg;
	uint32_t *slot = imap_find(&p->map, (uint64_t)ip, (uint64_t)acct);
	struct pair *pr;

	(void)c;
	if (*slot == 0) {
		if (p->n == p->cap) {
			p->cap = p->cap ? 2 * p->cap : 64;
			p->v = xreallocarray(p->v, p->cap, sizeof *p->v);
		}
		memset(&p->v[p->n], 0, sizeof p->v[p->n]);
		p->v[p->n].ip = ip;
		p->v[p->n].acct = acct;
		p->v[p->n].first = bucket;
		*slot = (uint32_t)++p->n;
		p->map.n++;
	}
	pr = &p->v[*slot - 1];
	pr->n += n;
	if (bucket < pr->first)
		pr->first = bucket;
	if (bucket > pr->last)
		pr->last = bucket;
	/* a minute's counts may come in parts (count_chunks.part): its
	 * rows in order, so a repeat of the minute is the last one noted.
	 * The pool's indexes are 32-bit: a full pool keeps no more. */
	if (p->minutes && pr->nmin < MINUTES_MAX && p->nmin < UINT32_MAX &&
	    (pr->nmin == 0 || p->min[pr->min_tail - 1].bucket != bucket)) {
		p->min = judge_grow(p->min, p->nmin, &p->capmin, sizeof *p->min);
		p->min[p->nmin].bucket = bucket;
		p->min[p->nmin++].next = 0;
		if (pr->nmin++ == 0)
			pr->min_head = (uint32_t)p->nmin;
		else
			p->min[pr->min_tail - 1].next = (uint32_t)p->nmin;
		pr->min_tail = (uint32_t)p->nmin;
	}
}

int judge_cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

/* known: is ip (or its network) a client of account before the window?
 * 2 the address, 1 its network, 0 neither, -1 error; info of the match */
int judge_known(struct judge *c, const char *ip, const char *account,
    struct kc_info *info)
{
	struct netaddr a, net;
	int64_t after = (int64_t)c->in->since - c->cf->known_client_days * 86400;
	int r;

	if (netaddr_parse_ip(ip, strlen(ip), &a) < 0)
		return 0;
	if ((r = knownclients_lookup(c->kc, &a, account, c->in->since, after,
	    info)) != 0)
		return r < 0 ? -1 : 2;
	net = a;
	knownclients_network(&net);
	if ((r = knownclients_lookup(c->kc, &net, account, c->in->since, after,
	    info)) != 0)
		return r < 0 ? -1 : 1;
	return 0;
}

