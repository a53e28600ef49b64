/* diagnose: the judgments (see diagnose.h)
 *
 * One pass over the per-minute counts of the window for every class the
 * judgments read (ids, not text: names and networks are looked up once
 * per id), aggregated in memory by (address, account) pair, by account or
 * by network; then each judgment asks the known clients (index ranges)
 * and, for the candidates only, the baseline before the window (one more
 * pass). */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "chunk.h"
#include "diagnose.h"
#include "domainlist.h"
#include "duration.h"
#include "evidence.h"
#include "hash.h"
#include "json.h"
#include "knownclients.h"
#include "localsub.h"
#include "log.h"
#include "netaddr.h"
#include "owners.h"
#include "sbuf.h"
#include "smap.h"
#include "store.h"
#include "xmalloc.h"

#define HOUR 3600
#define MINUTES_MAX 4096          /* failure minutes kept per pair (rhythm) */
#define LIST_MAX 10               /* items of a list in the evidence */

static const char *const kind_names[FK_N] = {
	[FK_STALE_PASSWORD] = "stale_password",
	[FK_CLIENT_NEEDS_TLS] = "client_needs_tls",
	[FK_CLIENT_NOT_AUTHENTICATING] = "client_not_authenticating",
	[FK_MISSING_LOCALDOMAINS] = "missing_localdomains",
	[FK_STALE_MX] = "stale_mx",
	[FK_BRUTE_FORCE] = "brute_force",
	[FK_COMPROMISED_ACCOUNT] = "compromised_account",
	[FK_SCRIPT_SPAM] = "script_spam",
};

static const enum verdict kind_verdicts[FK_N] = {
	[FK_STALE_PASSWORD] = VERDICT_HELPDESK,
	[FK_CLIENT_NEEDS_TLS] = VERDICT_HELPDESK,
	[FK_CLIENT_NOT_AUTHENTICATING] = VERDICT_HELPDESK,
	[FK_MISSING_LOCALDOMAINS] = VERDICT_CONFIG,
	[FK_STALE_MX] = VERDICT_CONFIG,
	[FK_BRUTE_FORCE] = VERDICT_ATTACK,
	[FK_COMPROMISED_ACCOUNT] = VERDICT_ABUSE,
	[FK_SCRIPT_SPAM] = VERDICT_ABUSE,
};

static const char *const remedies[FK_N] = {
	[FK_STALE_PASSWORD] = "A device or mail client of the customer still has "
	    "an old password saved (the failures come from where the mailbox "
	    "logged in before). Ask the customer to update the password on every "
	    "device (phone, tablet, laptop), or reset it in cPanel > Email "
	    "Accounts; do not block the address.",
	[FK_CLIENT_NEEDS_TLS] = "The mail client sends on port 587 without "
	    "logging in. Set it to \"My outgoing server (SMTP) requires "
	    "authentication\" with STARTTLS on 587 (or SSL/TLS on 465). With WHM "
	    "> Exim Configuration Manager \"Require clients to connect with SSL "
	    "or issue the STARTTLS command before they are allowed to "
	    "authenticate\", a client without TLS is never offered AUTH.",
	[FK_CLIENT_NOT_AUTHENTICATING] = "The customer's mail client sends "
	    "without logging in, so the server refuses to relay. Turn on \"My "
	    "outgoing server (SMTP) requires authentication\", with the full "
	    "email address and its password.",
	[FK_MISSING_LOCALDOMAINS] = "The domain is hosted here but missing from "
	    "/etc/localdomains, so Exim takes its incoming mail for relaying and "
	    "refuses it. Set cPanel > Email Routing to \"Local Mail Exchanger\" "
	    "(or add the domain to /etc/localdomains), then run "
	    "/scripts/updateuserdomains.",
	[FK_STALE_MX] = "The next server refuses our mail for this domain as "
	    "relaying: after a migration its MX still points to the old server, "
	    "or the old server still has it in /etc/localdomains. Check `dig MX "
	    "DOMAIN`, cPanel > Email Routing and /etc/remotedomains here, and the "
	    "old server's routing.",
	[FK_BRUTE_FORCE] = "Password guessing from an address that never logged "
	    "in: block it (cPHulk, CSF/LFD or the firewall) and make sure the "
	    "accounts tried have strong passwords.",
	[FK_COMPROMISED_ACCOUNT] = "The mailbox is most likely compromised: "
	    "change its password in cPanel > Email Accounts now, suspend its "
	    "outgoing mail until it is clean, remove its spam from the queue "
	    "(WHM > Mail Queue Manager), and check the customer's devices for "
	    "malware.",
	[FK_SCRIPT_SPAM] = "A script of this cPanel user sends mail in bulk, "
	    "usually a hacked contact form or plugin: look at the directory in "
	    "the evidence, update or remove the script, and remove its spam from "
	    "the queue (WHM > Mail Queue Manager). WHM > Tweak Settings \"Prevent "
	    "nobody from sending mail\" stops scripts that bypass the account.",
};

const char *finding_kind_name(enum finding_kind k)
{
	return (unsigned)k < FK_N ? kind_names[k] : "?";
}

enum verdict finding_verdict(enum finding_kind k)
{
	return (unsigned)k < FK_N ? kind_verdicts[k] : VERDICT_HELPDESK;
}

const char *finding_remedy(enum finding_kind k)
{
	return (unsigned)k < FK_N ? remedies[k] : "";
}

/* grow: room for one more element in *v (n used, *cap allocated) */
static void *grow(void *v, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return v;
	*cap = *cap ? 2 * *cap : 16;
	return xreallocarray(v, *cap, size);
}

/* ---- a map of two 64-bit keys to an index ------------------------------- */

struct islot {
	uint64_t a, b;
	uint32_t v;               /* index + 1; 0 empty */
};

struct imap {
	struct islot *s;          /* one array: a probe reads one line */
	size_t cap, n;
};

static void imap_release(struct imap *m)
{
	free(m->s);
	memset(m, 0, sizeof *m);
}

static inline size_t imap_hash(uint64_t a, uint64_t b)
{
	return (size_t)hash_mix(hash_mix(a ^ 0x9e3779b97f4a7c15ULL,
	    0xbf58476d1ce4e5b9ULL) ^ b, 0x94d049bb133111ebULL);
}

/* imap_find: the slot of (a, b), claimed for it if new (*result 0: the
 * caller stores an index there and counts m->n) */
static uint32_t *imap_find(struct imap *m, uint64_t a, uint64_t b)
{
	size_t mask, i;

	if (m->cap == 0 || (m->n + 1) * 2 > m->cap) {
		struct imap o = *m;
		size_t j;

		m->cap = m->cap ? 2 * m->cap : 16;
		m->s = xcalloc(m->cap, sizeof *m->s);
		mask = m->cap - 1;
		for (j = 0; j < o.cap; j++) {
			if (!o.s[j].v)
				continue;
			for (i = imap_hash(o.s[j].a, o.s[j].b) & mask; m->s[i].v;
			    i = (i + 1) & mask)
				;
			m->s[i] = o.s[j];
		}
		free(o.s);
	}
	mask = m->cap - 1;
	for (i = imap_hash(a, b) & mask; m->s[i].v; i = (i + 1) & mask)
		if (m->s[i].a == a && m->s[i].b == b)
			break;
	m->s[i].a = a;
	m->s[i].b = b;
	return &m->s[i].v;
}

/* ---- the context -------------------------------------------------------- */

#define NAME_PAGE 1024

struct names {
	char ***page;             /* [id / NAME_PAGE][id % NAME_PAGE] */
	size_t npages;
};

struct ctx {
	struct store *s;
	sqlite3 *db;
	const struct diagnose_input *in;
	const struct diagconf *cf;
	struct knownclients *kc;
	sqlite3_stmt *rows, *classid, *ipname, *acname;
	struct chunk_vec cv;      /* pass_run's decoded chunk */
	struct names names[2];    /* ips, accounts */
	struct names nets;        /* ip id -> its network (netkey()) */
	struct findings *out;
	int failed;
	int in_tx;
};

/* name_slot: the slot of id in t.  Ids are rowids, dense: a two-level
 * table by id (pages of NAME_PAGE names, made when first touched) finds a
 * name without hashing, and holds only the ranges of ids the window uses. */
static char **name_slot(struct names *t, int64_t id)
{
	size_t pg, off;

	pg = (size_t)((uint64_t)id / NAME_PAGE);
	off = (size_t)((uint64_t)id % NAME_PAGE);
	if (pg >= t->npages) {
		size_t n = t->npages ? t->npages : 16;

		while (n <= pg)
			n *= 2;
		t->page = xreallocarray(t->page, n, sizeof *t->page);
		memset(t->page + t->npages, 0, (n - t->npages) * sizeof *t->page);
		t->npages = n;
	}
	if (t->page[pg] == NULL)
		t->page[pg] = xcalloc(NAME_PAGE, sizeof *t->page[pg]);
	return &t->page[pg][off];
}

/* name: the text of ip id (table 0) or account id (table 1), "" if none */
static const char *name(struct ctx *c, int table, int64_t id)
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
	size_t i, j;

	for (i = 0; i < t->npages; i++) {
		for (j = 0; t->page[i] && j < NAME_PAGE; j++)
			free(t->page[i][j]);
		free(t->page[i]);
	}
	free(t->page);
	memset(t, 0, sizeof *t);
}

typedef void row_fn(struct ctx *c, void *arg, int64_t bucket, int64_t ip,
    int64_t acct, int64_t n);

/* ---- the reading: one pass over the minutes of a span ------------------- */

#define FEEDS_MAX 8

/* a pass: the classes to read, and who takes each one's counts */
struct pass {
	struct {
		int64_t cid;
		row_fn *fn;
		void *arg;
	} feed[FEEDS_MAX];
	size_t n;
};

/* pass_add: cls's counts go to fn(arg) (a class never counted: none).
 * 0, or -1 on a database error. */
static int pass_add(struct ctx *c, struct pass *p, const char *cls,
    row_fn *fn, void *arg)
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
		p->feed[p->n++].arg = arg;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
	log_warnx("%s: diagnose: %s", store_path(c->s), sqlite3_errmsg(c->db));
	c->failed = 1;
	return -1;
}

/* pass_run: read the counts of p's classes in [since, until), in minute
 * order (a minute's parts in order), once: the minutes are keyed by
 * (bucket, class), so a read per class would step over every other
 * class's rows again.  The chunks are decoded here, not through the
 * counts table: one SQLite row per minute, not one per entry. */
static int pass_run(struct ctx *c, const struct pass *p, int64_t since,
    int64_t until)
{
	sqlite3_stmt *st = c->rows;
	size_t i, k;
	int rc;

	if (p->n == 0 || until <= since)
		return 0;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, until);
	for (k = 0; k < FEEDS_MAX; k++)
		sqlite3_bind_int64(st, 3 + (int)k, k < p->n ? p->feed[k].cid : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t bucket = sqlite3_column_int64(st, 0);
		int64_t cid = sqlite3_column_int64(st, 1);
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
		/* a class may feed more than one taker */
		for (k = 0; k < p->n; k++) {
			if (p->feed[k].cid != cid)
				continue;
			for (i = 0; i < c->cv.n; i++)
				p->feed[k].fn(c, p->feed[k].arg, bucket, c->cv.v[i].ip,
				    c->cv.v[i].acct, c->cv.v[i].n);
		}
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	log_warnx("%s: diagnose: %s", store_path(c->s), sqlite3_errmsg(c->db));
	c->failed = 1;
	return -1;
}

/* ---- findings ----------------------------------------------------------- */

static int ci_eq(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
}

/* wanted: the filters let f through */
static int wanted(struct ctx *c, const struct finding *f)
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
static void add(struct ctx *c, enum finding_kind k, const char *ip,
    const char *account, const char *owner, const char *domain,
    int64_t events, int64_t first, int64_t last, struct sbuf *ev,
    struct sbuf *sum)
{
	struct findings *o = c->out;
	struct finding f;

	memset(&f, 0, sizeof f);
	f.kind = k;
	f.verdict = kind_verdicts[k];
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

void findings_release(struct findings *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].ip);
		free(f->v[i].account);
		free(f->v[i].owner);
		free(f->v[i].domain);
		free(f->v[i].evidence);
		free(f->v[i].summary);
	}
	free(f->v);
	memset(f, 0, sizeof *f);
}

static void ev_time(struct sbuf *b, const char *key, int64_t t)
{
	char buf[32];

	sbuf_addf(b, ", \"%s\": ", key);
	json_cstr(b, time_iso((time_t)t, buf, sizeof buf));
}

static const char *hm(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
	return buf;
}

/* owner_of: the cPanel user of an account (or a bare login that is one) */
static const char *owner_of(struct ctx *c, const char *account)
{
	if (c->in->owners == NULL || account == NULL || *account == '\0')
		return NULL;
	return owners_lookup(c->in->owners, account, strlen(account));
}

static const char *domain_of(const char *account)
{
	const char *at = strrchr(account, '@');

	return at ? at + 1 : NULL;
}

/* network: the /24 or /64 of an address, as CIDR text; 0 if not one */
static int network(const char *ip, struct netaddr *net, char *buf,
    size_t len)
{
	if (netaddr_parse_ip(ip, strlen(ip), net) < 0)
		return 0;
	knownclients_network(net);
	netaddr_format(net, buf, len);
	return 1;
}

/* netkey: the network of address id ip as text (network()), "" if it
 * has none; looked up and formatted once per id */
static const char *netkey(struct ctx *c, int64_t ip)
{
	struct netaddr net;
	char nk[NETADDR_STRLEN];
	char **slot;

	if (ip <= 0)
		return "";
	slot = name_slot(&c->nets, ip);
	if (*slot == NULL)
		*slot = xstrdup(network(name(c, 0, ip), &net, nk, sizeof nk) ?
		    nk : "");
	return *slot;
}

/* ---- pairs: failed logins, refused submissions, relay refusals ---------- */

struct pair {
	int64_t ip, acct, n, first, last;
	uint32_t min_head, min_tail;  /* its failure minutes (auth_failed,
	                               * bounded): a list in pairs.min */
	uint32_t nmin;
};

/* a failure minute of a pair, in one pool for all the pairs (no
 * allocation per pair: a long window has a hundred thousand of them) */
struct pmin {
	int64_t bucket;
	uint32_t next;            /* index + 1 of the pair's next; 0 none */
};

struct pairs {
	struct imap map;
	struct pair *v;
	size_t n, cap;
	int minutes;              /* keep the minutes */
	struct pmin *min;
	size_t nmin, capmin;
};

static void pairs_release(struct pairs *p)
{
	free(p->v);
	free(p->min);
	imap_release(&p->map);
	memset(p, 0, sizeof *p);
}

static void pair_row(struct ctx *c, void *arg, int64_t bucket, int64_t ip,
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
	 * rows in order, so a repeat of the minute is the last one noted */
	if (p->minutes && pr->nmin < MINUTES_MAX && (pr->nmin == 0 ||
	    p->min[pr->min_tail - 1].bucket != bucket)) {
		p->min = grow(p->min, p->nmin, &p->capmin, sizeof *p->min);
		p->min[p->nmin].bucket = bucket;
		p->min[p->nmin++].next = 0;
		if (pr->nmin++ == 0)
			pr->min_head = (uint32_t)p->nmin;
		else
			p->min[pr->min_tail - 1].next = (uint32_t)p->nmin;
		pr->min_tail = (uint32_t)p->nmin;
	}
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

/* known: is ip (or its network) a client of account before the window?
 * 2 the address, 1 its network, 0 neither, -1 error; info of the match */
static int known(struct ctx *c, const char *ip, const char *account,
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

/* ---- stale_password, brute_force ---------------------------------------- */

struct unit {                     /* the failures of one stale subject */
	int64_t acct;
	char key[NETADDR_STRLEN];     /* address, or network CIDR */
	int by_net;
	int64_t n, first, last, last_ok, login_n;
	int64_t *min;
	size_t nmin, capmin;
	char addrs[LIST_MAX][NETADDR_STRLEN];
	size_t naddrs;
};

struct attacker {
	int64_t ip;
	char key[NETADDR_STRLEN];     /* address or network */
	int64_t n, first, last;
	size_t naddr;
	struct { int64_t acct, n; } acct[LIST_MAX];
	size_t nacct, acct_total;
};

static void attacker_account(struct attacker *a, int64_t acct, int64_t n)
{
	size_t i;

	for (i = 0; i < a->nacct; i++)
		if (a->acct[i].acct == acct) {
			a->acct[i].n += n;
			return;
		}
	a->acct_total++;
	if (a->nacct < LIST_MAX) {
		a->acct[a->nacct].acct = acct;
		a->acct[a->nacct++].n = n;
	}
}

/* rhythm: the median gap in minutes between failing minutes */
static int64_t rhythm(int64_t *m, size_t n)
{
	int64_t *gap;
	size_t i, k = 0;
	int64_t med;

	if (n < 2)
		return 0;
	qsort(m, n, sizeof *m, cmp_i64);
	gap = xcalloc(n, sizeof *gap);
	for (i = 1; i < n; i++)
		if (m[i] != m[i - 1])
			gap[k++] = (m[i] - m[i - 1]) / 60;
	if (k == 0) {
		free(gap);
		return 0;
	}
	qsort(gap, k, sizeof *gap, cmp_i64);
	med = gap[k / 2];
	free(gap);
	return med;
}

static int cmp_attacker(const void *x, const void *y)
{
	const struct attacker *a = x, *b = y;

	return strcmp(a->key, b->key);
}

static void attack_finding(struct ctx *c, struct attacker *a)
{
	struct sbuf ev, sum;
	size_t i;

	sbuf_init(&ev);
	sbuf_init(&sum);
	sbuf_addf(&ev, "{\"failures\": %" PRId64 ", \"accounts_tried\": %zu, "
	    "\"accounts\": [", a->n, a->acct_total);
	sbuf_addf(&sum, "%" PRId64 " failed logins for %zu account%s (", a->n,
	    a->acct_total, a->acct_total == 1 ? "" : "s");
	for (i = 0; i < a->nacct; i++) {
		const char *an = name(c, 1, a->acct[i].acct);

		sbuf_adds(&ev, i ? ", {\"account\": " : "{\"account\": ");
		json_cstr(&ev, an[0] ? an : "(none)");
		sbuf_addf(&ev, ", \"failures\": %" PRId64 "}", a->acct[i].n);
		if (i < 3)
			sbuf_addf(&sum, "%s%s", i ? ", " : "", an[0] ? an : "(none)");
	}
	if (a->acct_total > 3)
		sbuf_adds(&sum, ", ...");
	sbuf_addf(&ev, "], \"addresses\": %zu, \"never_logged_in\": true",
	    a->naddr);
	ev_time(&ev, "first_failure", a->first);
	ev_time(&ev, "last_failure", a->last);
	sbuf_adds(&ev, "}");
	sbuf_addf(&sum, "); %s never logged in", a->naddr > 1 ?
	    "the network" : "the address");
	add(c, FK_BRUTE_FORCE, a->key, NULL, NULL, NULL, a->n, a->first, a->last,
	    &ev, &sum);
	sbuf_release(&ev);
	sbuf_release(&sum);
}

static void stale_finding(struct ctx *c, struct unit *u)
{
	struct sbuf ev, sum;
	const char *acct = name(c, 1, u->acct);
	char t1[32], t2[32];
	int64_t every = rhythm(u->min, u->nmin);
	size_t i;

	sbuf_init(&ev);
	sbuf_init(&sum);
	sbuf_addf(&ev, "{\"failures\": %" PRId64 ", \"known_by\": \"%s\"", u->n,
	    u->by_net ? "network" : "address");
	ev_time(&ev, "last_success", u->last_ok);
	sbuf_addf(&ev, ", \"logins_before\": %" PRId64, u->login_n);
	ev_time(&ev, "first_failure", u->first);
	ev_time(&ev, "last_failure", u->last);
	sbuf_addf(&ev, ", \"failing_minutes\": %zu, \"every_minutes\": %" PRId64,
	    u->nmin, every);
	sbuf_adds(&ev, ", \"addresses\": [");
	for (i = 0; i < u->naddrs; i++) {
		sbuf_adds(&ev, i ? ", " : "");
		json_cstr(&ev, u->addrs[i]);
	}
	sbuf_adds(&ev, "]}");
	sbuf_addf(&sum, "%" PRId64 " failed logins from %s %s, where it last "
	    "logged in on %s", u->n, u->by_net ? "the network" : "the address",
	    u->key, hm(u->last_ok, t1, sizeof t1));
	if (every > 0)
		sbuf_addf(&sum, "; about every %" PRId64 " min since %s", every,
		    hm(u->first, t2, sizeof t2));
	add(c, FK_STALE_PASSWORD, u->key, acct, owner_of(c, acct), NULL, u->n,
	    u->first, u->last, &ev, &sum);
	sbuf_release(&ev);
	sbuf_release(&sum);
}

/* judge_logins: the failed logins of the window (pairs of auth_failed) */
static int judge_logins(struct ctx *c, const struct pairs *pp)
{
	const struct pairs p = *pp;
	struct unit *u = NULL;
	struct attacker *at = NULL, *nw = NULL;
	size_t nu = 0, nat = 0, nnw = 0, capu = 0, capat = 0, capnw = 0, i, j;
	struct imap um, am, nm;
	int rc = 0;

	memset(&um, 0, sizeof um);
	memset(&am, 0, sizeof am);
	memset(&nm, 0, sizeof nm);
	for (i = 0; i < p.n; i++) {
		struct pair *pr = &p.v[i];
		const char *ip = name(c, 0, pr->ip), *nk = netkey(c, pr->ip), *acct;
		struct kc_info info;
		uint32_t *slot;
		int k = 0;

		if (ip[0] == '\0' || nk[0] == '\0')
			continue;   /* no trusted client address */
		/* is the network anybody's client?  If not, no pair in it is
		 * (one lookup per network, not per pair) */
		slot = imap_find(&nm, hash_bytes(0, nk, strlen(nk)), 1);
		if (*slot == 0) {
			struct kc_info any;
			struct netaddr net;
			int r;

			netaddr_parse(nk, strlen(nk), &net);
			if ((r = knownclients_lookup(c->kc, &net, NULL, c->in->until, 0,
			    &any)) < 0)
				goto fail;
			*slot = (uint32_t)r + 1;
			nm.n++;
		}
		/* the account's name only where it is asked for: a long window
		 * of password guessing has a new account in most pairs */
		acct = *slot == 2 ? name(c, 1, pr->acct) : "";
		if (*slot == 2 && acct[0] && (k = known(c, ip, acct, &info)) < 0)
			goto fail;
		if (k > 0) {
			/* a known client of the account: helpdesk */
			char key[NETADDR_STRLEN];
			struct unit *x;

			snprintf(key, sizeof key, "%s", k == 2 ? ip : nk);
			slot = imap_find(&um, hash_bytes(0, key, strlen(key)),
			    (uint64_t)pr->acct);
			if (*slot == 0) {
				u = grow(u, nu, &capu, sizeof *u);
				memset(&u[nu], 0, sizeof u[nu]);
				u[nu].acct = pr->acct;
				snprintf(u[nu].key, sizeof u[nu].key, "%s", key);
				u[nu].by_net = k == 1;
				u[nu].first = pr->first;
				*slot = (uint32_t)++nu;
				um.n++;
			}
			x = &u[*slot - 1];
			x->n += pr->n;
			if (pr->first < x->first)
				x->first = pr->first;
			if (pr->last > x->last)
				x->last = pr->last;
			if (info.last_seen > x->last_ok)
				x->last_ok = info.last_seen;
			x->login_n += info.n;
			if (x->naddrs < LIST_MAX)
				snprintf(x->addrs[x->naddrs++], NETADDR_STRLEN, "%s", ip);
			for (j = pr->min_head; j != 0; j = p.min[j - 1].next) {
				if (x->nmin == x->capmin) {
					x->capmin = x->capmin ? 2 * x->capmin : 8;
					x->min = xreallocarray(x->min, x->capmin,
					    sizeof *x->min);
				}
				x->min[x->nmin++] = p.min[j - 1].bucket;
			}
			continue;
		}
		/* an address that ever logged in (as anybody) is no attacker */
		if (*slot == 2) {
			struct netaddr a;
			int r;

			netaddr_parse_ip(ip, strlen(ip), &a);
			if ((r = knownclients_lookup(c->kc, &a, NULL, c->in->until, 0,
			    &info)) < 0)
				goto fail;
			if (r > 0)
				continue;
		}
		slot = imap_find(&am, (uint64_t)pr->ip, 0);
		if (*slot == 0) {
			at = grow(at, nat, &capat, sizeof *at);
			memset(&at[nat], 0, sizeof at[nat]);
			at[nat].ip = pr->ip;
			snprintf(at[nat].key, sizeof at[nat].key, "%s", ip);
			at[nat].first = pr->first;
			at[nat].naddr = 1;
			*slot = (uint32_t)++nat;
			am.n++;
		}
		{
			struct attacker *x = &at[*slot - 1];

			x->n += pr->n;
			if (pr->first < x->first)
				x->first = pr->first;
			if (pr->last > x->last)
				x->last = pr->last;
			attacker_account(x, pr->acct, pr->n);
		}
	}
	for (i = 0; i < nu; i++)
		if (u[i].n >= c->cf->stale_min)
			stale_finding(c, &u[i]);
	/* addresses over the limit; the others summed per network (two or
	 * more addresses of a network that never logged in) */
	if (nat > 0)                  /* at is NULL when there are none */
		qsort(at, nat, sizeof *at, cmp_attacker);
	imap_release(&nm);
	memset(&nm, 0, sizeof nm);
	for (i = 0; i < nat; i++) {
		struct netaddr na;
		char nk[NETADDR_STRLEN];
		uint32_t *slot;
		struct attacker *x;

		if (at[i].n >= c->cf->brute_min) {
			attack_finding(c, &at[i]);
			continue;
		}
		if (!network(at[i].key, &na, nk, sizeof nk))
			continue;
		slot = imap_find(&nm, hash_bytes(0, nk, strlen(nk)), 2);
		if (*slot == 0) {
			nw = grow(nw, nnw, &capnw, sizeof *nw);
			memset(&nw[nnw], 0, sizeof nw[nnw]);
			snprintf(nw[nnw].key, sizeof nw[nnw].key, "%s", nk);
			nw[nnw].first = at[i].first;
			*slot = (uint32_t)++nnw;
			nm.n++;
		}
		x = &nw[*slot - 1];
		x->naddr++;
		x->n += at[i].n;
		if (at[i].first < x->first)
			x->first = at[i].first;
		if (at[i].last > x->last)
			x->last = at[i].last;
		for (j = 0; j < at[i].nacct; j++)
			attacker_account(x, at[i].acct[j].acct, at[i].acct[j].n);
	}
	for (i = 0; i < nnw; i++) {
		struct netaddr na;
		struct kc_info info;
		int r;

		if (nw[i].naddr < 2 || nw[i].n < c->cf->brute_min)
			continue;
		netaddr_parse(nw[i].key, strlen(nw[i].key), &na);
		if ((r = knownclients_lookup(c->kc, &na, NULL, c->in->until, 0,
		    &info)) < 0)
			goto fail;
		if (r == 0)
			attack_finding(c, &nw[i]);
	}
	goto out;
fail:
	rc = -1;
out:
	for (i = 0; i < nu; i++)
		free(u[i].min);
	free(u);
	free(at);
	free(nw);
	imap_release(&um);
	imap_release(&am);
	imap_release(&nm);
	return rc;
}

/* ---- client_needs_tls, client_not_authenticating ------------------------ */

struct kc_domain {
	const char *domain;
	int64_t before, after;
	int found;
};

static int same_domain_cb(void *arg, const struct kc_row *r)
{
	struct kc_domain *d = arg;
	const char *dom = domain_of(r->account);

	if (dom && strcasecmp(dom, d->domain) == 0 && r->first_seen < d->before &&
	    r->last_seen >= d->after) {
		d->found = 1;
		return 1;
	}
	return 0;
}

/* known_of_domain: ip (or its network) is a client of an account of the
 * domain; 1, 0, -1 */
static int known_of_domain(struct ctx *c, const char *ip, const char *domain)
{
	struct netaddr net;
	struct kc_domain d;
	char nk[NETADDR_STRLEN];

	if (domain == NULL || !network(ip, &net, nk, sizeof nk))
		return 0;
	d.domain = domain;
	d.before = c->in->since;
	d.after = (int64_t)c->in->since - c->cf->known_client_days * 86400;
	d.found = 0;
	if (knownclients_each(c->kc, &net, NULL, same_domain_cb, &d) < 0)
		return -1;
	return d.found;
}

/* judge_clients: the refused submissions of the window (pairs of the
 * class of finding k) */
static int judge_clients(struct ctx *c, const struct pairs *p,
    enum finding_kind k)
{
	size_t i;
	int rc = 0;

	if (c->in->owners == NULL)
		return 0;   /* which domains are hosted here is not known */
	for (i = 0; i < p->n; i++) {
		const struct pair *pr = &p->v[i];
		const char *ip = name(c, 0, pr->ip), *acct = name(c, 1, pr->acct);
		const char *owner = owner_of(c, acct), *dom = domain_of(acct);
		struct kc_info info;
		struct sbuf ev, sum;
		int kn = 0, kd = 0;

		/* a sender of a domain hosted here, from a real address */
		if (ip[0] == '\0' || owner == NULL || dom == NULL)
			continue;
		if ((kn = known(c, ip, acct, &info)) < 0 ||
		    (kn == 0 && (kd = known_of_domain(c, ip, dom)) < 0)) {
			rc = -1;
			break;
		}
		/* a relay refusal is the customer's only from a known client:
		 * anybody can forge a hosted sender */
		if (k == FK_CLIENT_NOT_AUTHENTICATING && kn == 0 && kd == 0)
			continue;
		sbuf_init(&ev);
		sbuf_init(&sum);
		sbuf_addf(&ev, "{\"refused\": %" PRId64 ", \"known_client\": %s",
		    pr->n, kn == 2 ? "\"address\"" : kn == 1 ? "\"network\"" :
		    kd ? "\"domain\"" : "false");
		if (kn > 0) {
			ev_time(&ev, "last_success", info.last_seen);
		}
		ev_time(&ev, "first", pr->first);
		ev_time(&ev, "last", pr->last);
		sbuf_adds(&ev, "}");
		if (k == FK_CLIENT_NEEDS_TLS)
			sbuf_addf(&sum, "%" PRId64 " message%s refused on 587 without "
			    "AUTH; %s", pr->n, pr->n == 1 ? "" : "s", kn == 2 ?
			    "the address logged in as the account before" : kn == 1 ?
			    "its network logged in as the account before" : kd ?
			    "its network logged in for the domain before" :
			    "the address never logged in as the account");
		else
			sbuf_addf(&sum, "%" PRId64 " relay refusal%s: the client does "
			    "not log in; %s", pr->n, pr->n == 1 ? "" : "s", kn == 2 ?
			    "the address logged in as the account before" : kn == 1 ?
			    "its network logged in as the account before" :
			    "its network logged in for the domain before");
		add(c, k, ip, acct, owner, NULL, pr->n, pr->first, pr->last, &ev,
		    &sum);
		sbuf_release(&ev);
		sbuf_release(&sum);
	}
	return rc;
}

/* ---- missing_localdomains, stale_mx ------------------------------------- */

static int judge_domains(struct ctx *c, enum evidence_kind kind,
    enum finding_kind k)
{
	struct evidence_value *v;
	size_t n, i;
	int64_t total;

	if (k == FK_MISSING_LOCALDOMAINS && (c->in->owners == NULL ||
	    c->in->local == NULL))
		return 0;
	if (evidence_query(c->s, kind, "", c->in->since, c->in->until, 0, &v, &n,
	    &total) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		const char *dom = v[i].value;
		size_t dl = strlen(dom);
		const char *owner = c->in->owners ? owners_lookup(c->in->owners,
		    dom, dl) : NULL;
		struct sbuf ev, sum;
		int64_t first = 0, last = 0;

		if (k == FK_MISSING_LOCALDOMAINS && (owner == NULL ||
		    domainlist_has(c->in->local, dom, dl) ||
		    domainlist_has(c->in->remote, dom, dl)))
			continue;
		if (evidence_span(c->s, kind, dom, c->in->since, c->in->until,
		    &first, &last) < 0) {
			evidence_values_free(v, n);
			return -1;
		}
		sbuf_init(&ev);
		sbuf_init(&sum);
		sbuf_addf(&ev, "{\"refused\": %" PRId64, v[i].n);
		if (k == FK_MISSING_LOCALDOMAINS) {
			sbuf_adds(&ev, ", \"in_userdomains\": true, "
			    "\"in_localdomains\": false, \"in_remotedomains\": false");
			sbuf_addf(&sum, "%" PRId64 " message%s for %s refused as relay: "
			    "hosted here (cPanel user %s) but not in localdomains",
			    v[i].n, v[i].n == 1 ? "" : "s", dom, owner);
		} else {
			sbuf_addf(&sum, "%" PRId64 " of our message%s to %s refused by "
			    "the next server as relay", v[i].n, v[i].n == 1 ? "" : "s",
			    dom);
		}
		ev_time(&ev, "first", first);
		ev_time(&ev, "last", last);
		sbuf_adds(&ev, "}");
		add(c, k, NULL, NULL, k == FK_MISSING_LOCALDOMAINS ? owner : NULL,
		    dom, v[i].n, first, last, &ev, &sum);
		sbuf_release(&ev);
		sbuf_release(&sum);
	}
	evidence_values_free(v, n);
	return 0;
}

/* ---- compromised_account, script_spam ----------------------------------- */

struct snet {
	char key[NETADDR_STRLEN];
	int64_t n;
	int known;                /* 1 known before, -1 new, 0 not looked up */
};

/* events per account (bounces and deferrals, limit hits) */
struct asums {
	struct imap map;
	struct { int64_t acct, n; } *v;
	size_t n, cap;
};

static void asums_row(struct ctx *c, void *arg, int64_t bucket, int64_t ip,
    int64_t acct, int64_t n)
{
	struct asums *a = arg;
	uint32_t *slot = imap_find(&a->map, (uint64_t)acct, 3);

	(void)c;
	(void)bucket;
	(void)ip;
	if (*slot == 0) {
		a->v = grow(a->v, a->n, &a->cap, sizeof *a->v);
		a->v[a->n].acct = acct;
		a->v[a->n].n = 0;
		*slot = (uint32_t)++a->n;
		a->map.n++;
	}
	a->v[*slot - 1].n += n;
}

static void asums_release(struct asums *a)
{
	free(a->v);
	imap_release(&a->map);
}

struct sender {
	int64_t acct;
	int64_t n, first, last;
	int64_t peak;             /* the busiest hour of the window */
	int64_t hour, hour_n;     /* the hour being counted (from the start
	                           * of the window: its minutes come in
	                           * order) and its events so far */
	int64_t fails, limits;    /* bounces + deferrals, sending-limit hits */
	int64_t base, fail_base, limit_base;  /* baselines */
	int64_t base_hours;       /* active hours before the window */
	struct imap nets;         /* network key -> net[] */
	struct snet *net;
	size_t nnet, capnet;
	int candidate;
	int64_t next_dom;         /* the next sender of its domain (index + 1) */
};

struct senders {
	struct imap map;
	struct sender *v;
	size_t n, cap;
	struct smap byname;       /* lower-cased account -> index + 1 */
	struct smap bydom;        /* lower-cased domain -> first index + 1 */
	int64_t hours;            /* of the window */
	int local;                /* local users (script_spam) */
	struct asums fails, limits;   /* per account, while the window is
	                               * read (given to the senders after) */
};

static void senders_release(struct senders *s)
{
	size_t i;

	smap_release(&s->byname);
	smap_release(&s->bydom);
	asums_release(&s->fails);
	asums_release(&s->limits);
	for (i = 0; i < s->n; i++) {
		free(s->v[i].net);
		imap_release(&s->v[i].nets);
	}
	free(s->v);
	imap_release(&s->map);
}

static struct sender *sender_get(struct senders *s, int64_t acct, int make)
{
	uint32_t *slot = imap_find(&s->map, (uint64_t)acct, 7);
	struct sender *x;

	if (*slot)
		return &s->v[*slot - 1];
	if (!make)
		return NULL;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = xreallocarray(s->v, s->cap, sizeof *s->v);
	}
	x = &s->v[s->n];
	memset(x, 0, sizeof *x);
	x->acct = acct;
	*slot = (uint32_t)++s->n;
	s->map.n++;
	return x;
}

static void sender_row(struct ctx *c, void *arg, int64_t bucket, int64_t ip,
    int64_t acct, int64_t n)
{
	struct senders *s = arg;
	struct sender *x;
	const char *an;
	int64_t h;

	if (acct == 0)
		return;
	if (s->local) {
		/* a local user's submissions (a login: no '@'), not cPanel's
		 * own jobs */
		an = name(c, 1, acct);
		if (strchr(an, '@') != NULL || localsub_user_kind(an, strlen(an)) !=
		    LOCALSUB_PERSON)
			return;
	}
	x = sender_get(s, acct, 1);
	if (x->n == 0 || bucket < x->first)
		x->first = bucket;
	if (bucket > x->last)
		x->last = bucket;
	x->n += n;
	/* the busiest hour, as the hours go by (no array of the window's
	 * hours per sender: 2,160 of them over 90 days) */
	h = s->hours == 1 ? 0 : (bucket - c->in->since) / HOUR;
	if (h != x->hour) {
		if (x->hour_n > x->peak)
			x->peak = x->hour_n;
		x->hour = h;
		x->hour_n = 0;
	}
	x->hour_n += n;
	if (!s->local && ip != 0) {
		const char *nk = netkey(c, ip);
		uint32_t *slot;

		if (nk[0] == '\0')
			return;
		slot = imap_find(&x->nets, hash_bytes(0, nk, strlen(nk)), 0);
		if (*slot == 0) {
			if (x->nnet == x->capnet) {
				x->capnet = x->capnet ? 2 * x->capnet : 8;
				x->net = xreallocarray(x->net, x->capnet, sizeof *x->net);
			}
			memset(&x->net[x->nnet], 0, sizeof x->net[x->nnet]);
			snprintf(x->net[x->nnet].key, NETADDR_STRLEN, "%s", nk);
			*slot = (uint32_t)++x->nnet;
			x->nets.n++;
		}
		x->net[*slot - 1].n += n;
	}
}


/* lower: s lower-cased into buf (cut) */
static size_t lower(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		buf[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
	buf[i] = '\0';
	return i;
}

/* index_names: the senders by account and by domain, for the limit hits
 * (which name either) */
static void index_names(struct ctx *c, struct senders *s)
{
	char buf[512];
	size_t i, n;

	for (i = 0; i < s->n; i++) {
		const char *an = name(c, 1, s->v[i].acct), *dom;
		uintptr_t head;

		n = lower(an, buf, sizeof buf);
		smap_put(&s->byname, buf, n, (void *)(uintptr_t)(i + 1));
		if ((dom = domain_of(an)) == NULL)
			continue;
		n = lower(dom, buf, sizeof buf);
		head = (uintptr_t)smap_get(&s->bydom, buf, n);
		s->v[i].next_dom = (int64_t)head;
		smap_put(&s->bydom, buf, n, (void *)(uintptr_t)(i + 1));
	}
}

/* each_named: fn for every sender that an account or domain names */
static void each_named(struct ctx *c, struct senders *s, int64_t acct,
    void (*fn)(struct sender *, int64_t), int64_t n)
{
	char buf[512];
	size_t k = lower(name(c, 1, acct), buf, sizeof buf);
	uintptr_t i;

	if ((i = (uintptr_t)smap_get(&s->byname, buf, k)) != 0)
		fn(&s->v[i - 1], n);
	for (i = (uintptr_t)smap_get(&s->bydom, buf, k); i != 0;
	    i = (uintptr_t)s->v[i - 1].next_dom)
		fn(&s->v[i - 1], n);
}

static void add_limit(struct sender *x, int64_t n)
{
	x->limits += n;
}

static void add_limit_base(struct sender *x, int64_t n)
{
	if (x->candidate)
		x->limit_base += n;
}

/* the baseline: per candidate, its events per hour before the window */
struct base {
	struct senders *s;
	struct imap hours;        /* (sender index, hour) -> counts[] */
	int64_t *count;
	size_t n, cap;
	uint32_t *who;
	struct imap named;        /* limit hits: account id -> 2 names a
	                           * candidate, 1 not */
	int which;                /* 0 messages, 1 failures, 2 limit hits */
};

static void count_candidate(struct sender *x, int64_t hit)
{
	if (x->candidate)
		*(int64_t *)(intptr_t)hit += 1;
}

static void base_row(struct ctx *c, void *arg, int64_t bucket, int64_t ip,
    int64_t acct, int64_t n)
{
	struct base *b = arg;
	uint32_t *slot, *sx;

	(void)ip;
	if (b->which == 2) {
		/* limit hits name a domain or a sender: any candidate's (a
		 * week of hits names few of them: asked once per name) */
		slot = imap_find(&b->named, (uint64_t)acct, 0);
		if (*slot == 0) {
			int64_t hit = 0;

			each_named(c, b->s, acct, count_candidate,
			    (int64_t)(intptr_t)&hit);
			*slot = hit ? 2 : 1;
			b->named.n++;
		}
		if (*slot == 2)
			each_named(c, b->s, acct, add_limit_base, n);
		return;
	}
	sx = imap_find(&b->s->map, (uint64_t)acct, 7);
	if (*sx == 0 || !b->s->v[*sx - 1].candidate)
		return;
	slot = imap_find(&b->hours, *sx, (uint64_t)(bucket - bucket % HOUR));
	if (*slot == 0) {
		if (b->n == b->cap) {
			b->cap = b->cap ? 2 * b->cap : 256;
			b->count = xreallocarray(b->count, b->cap, sizeof *b->count);
			b->who = xreallocarray(b->who, b->cap, sizeof *b->who);
		}
		b->count[b->n] = 0;
		b->who[b->n] = *sx;
		*slot = (uint32_t)++b->n;
		b->hours.n++;
	}
	b->count[*slot - 1] += n;
}

static int has_candidate(const struct senders *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].candidate)
			break;
	return i < s->n;
}

/* base_finish: the median of each candidate's active hours (hours with
 * events) in the baseline days before the window, into base (which 0) or
 * fail_base (which 1); base_hours too.  The limit hits (which 2) are
 * summed as they are read. */
static void base_finish(struct base *b)
{
	struct senders *s = b->s;
	int64_t **per;
	size_t *nper, i;

	if (b->which == 2 || s->n == 0)
		return;
	per = xcalloc(s->n, sizeof *per);
	nper = xcalloc(s->n, sizeof *nper);
	for (i = 0; i < b->n; i++) {
		size_t w = b->who[i] - 1;

		per[w] = xreallocarray(per[w], nper[w] + 1, sizeof *per[w]);
		per[w][nper[w]++] = b->count[i];
	}
	for (i = 0; i < s->n; i++) {
		int64_t med = 0;

		if (nper[i]) {
			qsort(per[i], nper[i], sizeof *per[i], cmp_i64);
			med = per[i][nper[i] / 2];
		}
		if (b->which == 0) {
			s->v[i].base = med;
			s->v[i].base_hours = (int64_t)nper[i];
		} else {
			s->v[i].fail_base = med;
		}
		free(per[i]);
	}
	free(per);
	free(nper);
}

static void base_release(struct base *b)
{
	imap_release(&b->hours);
	imap_release(&b->named);
	free(b->count);
	free(b->who);
}

/* senders_ready: after the window is read: each sender's busiest hour,
 * its failures and limit hits, and whether it is a candidate (enough
 * volume, networks or failures to matter) */
static void senders_ready(struct ctx *c, struct senders *s)
{
	const struct diagconf *cf = c->cf;
	size_t i;

	if (!s->local) {
		index_names(c, s);
		for (i = 0; i < s->fails.n; i++) {
			struct sender *x = sender_get(s, s->fails.v[i].acct, 0);

			if (x)
				x->fails += s->fails.v[i].n;
		}
		for (i = 0; i < s->limits.n; i++)
			each_named(c, s, s->limits.v[i].acct, add_limit,
			    s->limits.v[i].n);
	}
	for (i = 0; i < s->n; i++) {
		struct sender *x = &s->v[i];

		if (x->hour_n > x->peak)
			x->peak = x->hour_n;
		x->candidate = x->peak >= cf->volume_min ||
		    (int64_t)x->nnet >= cf->new_networks;
	}
}

/* baselines: the candidates' events before the window (one pass over
 * the baseline days for both kinds of senders) */
static int baselines(struct ctx *c, struct senders *sa, struct senders *sl)
{
	struct base b[4];
	struct pass p;
	int64_t from = (int64_t)c->in->since - c->cf->baseline_days * 86400;
	size_t i;
	int rc = 0;

	memset(b, 0, sizeof b);
	memset(&p, 0, sizeof p);
	b[0].s = b[1].s = b[2].s = sa;
	b[3].s = sl;
	b[1].which = 1;
	b[2].which = 2;
	if (has_candidate(sa) && (pass_add(c, &p, "msg_in_auth", base_row,
	    &b[0]) < 0 || pass_add(c, &p, "bounced", base_row, &b[1]) < 0 ||
	    pass_add(c, &p, "deferred", base_row, &b[1]) < 0 ||
	    pass_add(c, &p, "sending_limit", base_row, &b[2]) < 0))
		rc = -1;
	if (rc == 0 && has_candidate(sl) && pass_add(c, &p, "msg_in_local",
	    base_row, &b[3]) < 0)
		rc = -1;
	if (rc == 0 && (rc = pass_run(c, &p, from, c->in->since)) == 0)
		for (i = 0; i < 4; i++)
			if (b[i].s->n && has_candidate(b[i].s))
				base_finish(&b[i]);
	for (i = 0; i < 4; i++)
		base_release(&b[i]);
	return rc;
}

static int cmp_net(const void *x, const void *y)
{
	const struct snet *a = x, *b = y;

	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return strcmp(a->key, b->key);
}

/* ev_values: "key": [{"value": v, "n": n}, ...] of an evidence query */
static void ev_values(struct ctx *c, struct sbuf *ev, struct sbuf *sum,
    const char *key, const char *label, enum evidence_kind kind,
    const char *subject)
{
	struct evidence_value *v;
	size_t n, i;
	int64_t total;

	if (evidence_query(c->s, kind, subject, c->in->since, c->in->until, 3,
	    &v, &n, &total) < 0) {
		c->failed = 1;
		return;
	}
	sbuf_addf(ev, ", \"%s\": [", key);
	for (i = 0; i < n; i++) {
		sbuf_adds(ev, i ? ", {\"value\": " : "{\"value\": ");
		json_cstr(ev, v[i].value);
		sbuf_addf(ev, ", \"n\": %" PRId64 "}", v[i].n);
	}
	sbuf_adds(ev, "]");
	if (n > 0 && label) {
		sbuf_addf(sum, "; %s", label);
		for (i = 0; i < n; i++)
			sbuf_addf(sum, "%s%s%s%s (%" PRId64 ")", i ? ", " : " ",
			    kind == EVK_SUBJECT ? "\"" : "", v[i].value,
			    kind == EVK_SUBJECT ? "\"" : "", v[i].n);
	}
	evidence_values_free(v, n);
}

/* judge_senders: the senders of the window (read, ready and compared
 * with their baselines): compromised_account, or script_spam (local) */
static int judge_senders(struct ctx *c, struct senders *s)
{
	const struct diagconf *cf = c->cf;
	int64_t span = (int64_t)(c->in->until - c->in->since);
	int local = s->local;
	size_t i, j;
	int rc = -1;

	for (i = 0; i < s->n; i++) {
		struct sender *x = &s->v[i];
		const char *acct = name(c, 1, x->acct);
		int64_t newn = 0, knownn = 0;
		int s_net = 0, s_vol, s_fail = 0, hist;
		struct sbuf ev, sum;
		char t[NETADDR_STRLEN * 3 + 16];

		if (!x->candidate)
			continue;
		/* which of its networks are new for it (the busiest first;
		 * enough of them to judge and to list) */
		if (!local) {
			qsort(x->net, x->nnet, sizeof *x->net, cmp_net);
			for (j = 0; j < x->nnet && newn < (cf->new_networks >
			    LIST_MAX ? cf->new_networks : LIST_MAX); j++) {
				struct netaddr na;
				struct kc_info info;
				int r;

				netaddr_parse(x->net[j].key, strlen(x->net[j].key), &na);
				if ((r = knownclients_lookup(c->kc, &na, acct, c->in->since,
				    0, &info)) < 0)
					goto out;
				x->net[j].known = r > 0 ? 1 : -1;
				if (r > 0)
					knownn++;
				else
					newn++;
			}
		}
		hist = x->base_hours > 0 || knownn > 0;
		if (!local)
			s_net = newn >= cf->new_networks && (hist ||
			    x->peak >= cf->volume_min);
		s_vol = x->peak >= cf->volume_min && (local ? x->peak >=
		    cf->volume_factor * x->base : x->base > 0 && x->peak >=
		    cf->volume_factor * x->base);
		if (!local)
			s_fail = x->peak >= cf->volume_min && ((x->fails >=
			    cf->failures_min && x->fails >= cf->volume_factor *
			    x->fail_base) || (x->limits > 0 && x->limit_base == 0));
		if (!(s_net || s_vol || s_fail))
			continue;
		sbuf_init(&ev);
		sbuf_init(&sum);
		sbuf_addf(&ev, "{\"messages\": %" PRId64 ", \"peak_hour\": %" PRId64
		    ", \"baseline_hour\": %" PRId64 ", \"baseline_days\": %" PRId64,
		    x->n, x->peak, x->base, cf->baseline_days);
		if (local) {
			sbuf_addf(&sum, "%" PRId64 " local submissions", x->n);
			if (span > HOUR)
				sbuf_addf(&sum, " (%" PRId64 " in its busiest hour)",
				    x->peak);
			sbuf_addf(&sum, "; usual: %" PRId64 " an hour", x->base);
		} else {
			sbuf_addf(&ev, ", \"signals\": [%s%s%s]", s_net ?
			    "\"new_networks\"" : "", s_vol ? (s_net ?
			    ", \"volume\"" : "\"volume\"") : "", s_fail ? (s_net ||
			    s_vol ? ", \"failures\"" : "\"failures\"") : "");
			sbuf_addf(&ev, ", \"networks\": %zu, \"new_networks\": [",
			    x->nnet);
			sbuf_addf(&sum, "%" PRId64 " messages from %zu network%s",
			    x->n, x->nnet, x->nnet == 1 ? "" : "s");
			if (newn)
				sbuf_addf(&sum, ", %" PRId64 "%s new for it (", newn,
				    (size_t)(newn + knownn) < x->nnet ? "+" : "");
			for (j = 0, newn = 0; j < x->nnet; j++) {
				if (x->net[j].known != -1)
					continue;
				sbuf_adds(&ev, newn ? ", {\"network\": " :
				    "{\"network\": ");
				json_cstr(&ev, x->net[j].key);
				sbuf_addf(&ev, ", \"n\": %" PRId64 "}", x->net[j].n);
				if (newn < 3)
					sbuf_addf(&sum, "%s%s", newn ? ", " : "",
					    x->net[j].key);
				newn++;
			}
			if (newn)
				sbuf_adds(&sum, newn > 3 ? ", ...)" : ")");
			sbuf_adds(&ev, "]");
			sbuf_addf(&ev, ", \"bounces_deferrals\": %" PRId64
			    ", \"baseline_bounces_deferrals\": %" PRId64
			    ", \"sending_limit_hits\": %" PRId64, x->fails,
			    x->fail_base, x->limits);
			snprintf(t, sizeof t, "; %" PRId64 " in its busiest hour, "
			    "usual %" PRId64, x->peak, x->base);
			sbuf_adds(&sum, t);
			if (x->fails)
				sbuf_addf(&sum, "; %" PRId64 " bounced or deferred",
				    x->fails);
			if (x->limits)
				sbuf_addf(&sum, "; %" PRId64 " sending-limit hits",
				    x->limits);
		}
		ev_values(c, &ev, &sum, "top_recipient_domains", local ? NULL :
		    "to", EVK_RCPT_DOMAIN, acct);
		ev_values(c, &ev, &sum, "subjects", local ? NULL : "subjects",
		    EVK_SUBJECT, acct);
		if (local) {
			ev_values(c, &ev, &sum, "script_directories", "from",
			    EVK_CWD, acct);
			ev_values(c, &ev, &sum, "senders", "senders",
			    EVK_SCRIPT_SENDER, acct);
		}
		ev_time(&ev, "first", x->first);
		ev_time(&ev, "last", x->last);
		sbuf_adds(&ev, "}");
		if (local) {
			const char *o = owner_of(c, acct);

			add(c, FK_SCRIPT_SPAM, NULL, NULL, o ? o : acct, NULL, x->n,
			    x->first, x->last, &ev, &sum);
		} else {
			add(c, FK_COMPROMISED_ACCOUNT, NULL, acct, owner_of(c, acct),
			    NULL, x->n, x->first, x->last, &ev, &sum);
		}
		sbuf_release(&ev);
		sbuf_release(&sum);
	}
	rc = c->failed ? -1 : 0;
out:
	return rc;
}

/* ---- the run ------------------------------------------------------------ */

/* judge: read the window once, then judge what was read, in the order of
 * the findings */
static int judge(struct ctx *c)
{
	struct pairs logins, tls, relay;
	struct senders sa, sl;
	struct pass p;
	int64_t span = (int64_t)(c->in->until - c->in->since);
	int rc = -1;

	memset(&logins, 0, sizeof logins);
	memset(&tls, 0, sizeof tls);
	memset(&relay, 0, sizeof relay);
	memset(&sa, 0, sizeof sa);
	memset(&sl, 0, sizeof sl);
	memset(&p, 0, sizeof p);
	logins.minutes = 1;
	sl.local = 1;
	/* the busiest hour: the window itself if it is an hour or less */
	sa.hours = sl.hours = span <= HOUR ? 1 : span / HOUR + 1;
	if (pass_add(c, &p, "auth_failed", pair_row, &logins) < 0 ||
	    (c->in->owners != NULL && (pass_add(c, &p, "submission_auth_required",
	    pair_row, &tls) < 0 || pass_add(c, &p, "relay_denied", pair_row,
	    &relay) < 0)) ||
	    pass_add(c, &p, "msg_in_auth", sender_row, &sa) < 0 ||
	    pass_add(c, &p, "msg_in_local", sender_row, &sl) < 0 ||
	    pass_add(c, &p, "bounced", asums_row, &sa.fails) < 0 ||
	    pass_add(c, &p, "deferred", asums_row, &sa.fails) < 0 ||
	    pass_add(c, &p, "sending_limit", asums_row, &sa.limits) < 0 ||
	    pass_run(c, &p, c->in->since, c->in->until) < 0)
		goto out;
	if (judge_logins(c, &logins) < 0 ||
	    judge_clients(c, &tls, FK_CLIENT_NEEDS_TLS) < 0 ||
	    judge_clients(c, &relay, FK_CLIENT_NOT_AUTHENTICATING) < 0 ||
	    judge_domains(c, EVK_RELAY_DOMAIN, FK_MISSING_LOCALDOMAINS) < 0 ||
	    judge_domains(c, EVK_REMOTE_RELAY_DOMAIN, FK_STALE_MX) < 0)
		goto out;
	senders_ready(c, &sa);
	senders_ready(c, &sl);
	if (baselines(c, &sa, &sl) < 0 || judge_senders(c, &sa) < 0 ||
	    judge_senders(c, &sl) < 0)
		goto out;
	rc = 0;
out:
	pairs_release(&logins);
	pairs_release(&tls);
	pairs_release(&relay);
	senders_release(&sa);
	senders_release(&sl);
	return rc;
}

static int rank(const struct finding *f)
{
	switch (f->verdict) {
	case VERDICT_ABUSE: return 0;
	case VERDICT_ATTACK: return 1;
	case VERDICT_CONFIG: return 2;
	default: return 3;
	}
}

static int strcmp0(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL) - (b == NULL);
	return strcmp(a, b);
}

static int cmp_finding(const void *x, const void *y)
{
	const struct finding *a = x, *b = y;
	int c;

	if (rank(a) != rank(b))
		return rank(a) - rank(b);
	if (a->events != b->events)
		return a->events > b->events ? -1 : 1;
	if (a->kind != b->kind)
		return (int)a->kind - (int)b->kind;
	if ((c = strcmp0(a->account, b->account)) != 0)
		return c;
	if ((c = strcmp0(a->ip, b->ip)) != 0)
		return c;
	if ((c = strcmp0(a->domain, b->domain)) != 0)
		return c;
	return strcmp0(a->owner, b->owner);
}

int diagnose_run(struct store *s, const struct diagnose_input *in,
    struct findings *out)
{
	struct ctx c;
	int rc = -1;

	memset(out, 0, sizeof *out);
	memset(&c, 0, sizeof c);
	c.s = s;
	c.db = store_db(s);
	c.in = in;
	c.cf = in->conf;
	c.out = out;
	c.kc = knownclients_open(s);
	if (sqlite3_prepare_v2(c.db, "SELECT bucket, class_id, data FROM "
	    "count_chunks WHERE bucket >= ?1 AND bucket < ?2 AND class_id IN "
	    "(?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ORDER BY bucket, class_id, part",
	    -1, &c.rows, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c.db, "SELECT id FROM classes WHERE name = ?1", -1,
	    &c.classid, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c.db, "SELECT addr FROM ips WHERE id = ?1", -1,
	    &c.ipname, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c.db, "SELECT name FROM accounts WHERE id = ?1", -1,
	    &c.acname, NULL) != SQLITE_OK) {
		log_warnx("%s: diagnose: %s", store_path(s), sqlite3_errmsg(c.db));
		goto out;
	}
	if (in->until <= in->since)
		goto done;
	/* one read transaction: one lock for the thousands of small reads,
	 * and one consistent view of the store (the daemon calls this inside
	 * its commit's transaction) */
	if (sqlite3_get_autocommit(c.db)) {
		if (sqlite3_exec(c.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
			log_warnx("%s: diagnose: %s", store_path(s),
			    sqlite3_errmsg(c.db));
			goto out;
		}
		c.in_tx = 1;
	}
	if (judge(&c) < 0)
		goto out;
done:
	if (out->n > 1)
		qsort(out->v, out->n, sizeof *out->v, cmp_finding);
	rc = 0;
out:
	sqlite3_finalize(c.rows);
	sqlite3_finalize(c.classid);
	chunk_vec_release(&c.cv);
	sqlite3_finalize(c.ipname);
	sqlite3_finalize(c.acname);
	if (c.in_tx)
		sqlite3_exec(c.db, "COMMIT", NULL, NULL, NULL);
	knownclients_close(c.kc);
	names_release(&c.names[0]);
	names_release(&c.names[1]);
	names_release(&c.nets);
	return rc;
}
