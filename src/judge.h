/* judge: what the judgments of the diagnosis share (diagnose.c runs them;
 * one file per family: judge_logins.c, judge_clients.c, judge_senders.c).
 * Internal to the diagnosis.
 *
 * The counts of a window are read in one pass over its per-minute chunks
 * for every class a judgment takes (judge_pass_*): a callback per class
 * gets each entry (minute, address id, account id, events), in minute
 * order.  Names and networks are looked up once per id. */
#ifndef EW_JUDGE_H
#define EW_JUDGE_H
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "chunk.h"
#include "diagnose.h"
#include "evidence.h"
#include "idtab.h"
#include "imap.h"
#include "knownclients.h"
#include "netaddr.h"
#include "sbuf.h"
#include "smap.h"

#define HOUR 3600
#define MINUTES_MAX 4096          /* failure minutes kept per pair (rhythm) */
#define LIST_MAX 10               /* items of a list in the evidence */

/* a text per id, looked up once: the id's index + 1 in v (idtab.h) */
struct names {
	struct idtab ix;
	char **v;
	size_t n, cap;
};

/* the diagnosis of one window: the store, the input, the findings */
struct judge {
	struct store *s;
	sqlite3 *db;
	const struct diagnose_input *in;
	const struct diagconf *cf;
	struct knownclients *kc;
	sqlite3_stmt *rows, *classid, *ipname, *acname;
	struct chunk_vec cv;      /* judge_pass_run()'s decoded chunk */
	struct names names[2];    /* ips, accounts */
	struct names nets;        /* ip id -> its network (judge_netkey()) */
	struct idtab netof;       /* ip id -> its network's number
	                           * (judge_netid()), NET_NONE none */
	struct smap netbyname;    /* network text -> its number */
	const char **netv;        /* number - 1 -> network text */
	size_t nnetv, capnetv;
	struct findings *out;
	int failed;
	int in_tx;
};

/* judge_open: ready to judge in->[since, until) of s into out (the
 * statements, the known clients, a read transaction unless one is open);
 * 0, or -1 (logged).  judge_close() either way. */
int judge_open(struct judge *c, struct store *s,
    const struct diagnose_input *in, struct findings *out);
void judge_close(struct judge *c);

/* a taker of a class's counts: each entry of each minute chunk */
typedef void judge_row_fn(struct judge *c, void *arg, int64_t bucket,
    int64_t ip, int64_t acct, int64_t n);

/* ---- the pass ---- */

#define FEEDS_MAX 12               /* the placeholders of judge_open()'s
                                   * query; the window pass takes 8 */

/* what a taker needs of the chunks it is given (judge_pass_add()) */
#define JUDGE_ANY 0               /* any bucket: sums */
#define JUDGE_HOURS 1             /* each chunk inside one clock hour, and
                                  * the chunks of a class's clock hour
                                  * one after the other */

/* a pass: the classes to read, and who takes each one's counts.  A pass
 * reads the minutes, in minute order; a coarse one reads the rollups
 * (countread.h): the chunks of whole days and hours where they fit, not
 * in time order, each entry's bucket the start of its chunk.  A coarse
 * pass gives the same sums per class, and per clock hour to the takers
 * of JUDGE_HOURS; the first and last minutes of what it reads are only
 * those of its chunks. */
struct judge_pass {
	struct {
		int64_t cid;
		judge_row_fn *fn;
		void *arg;
		int need;         /* JUDGE_ANY or JUDGE_HOURS */
	} feed[FEEDS_MAX];
	size_t n;
	int coarse;
};

/* judge_pass_add: cls's counts go to fn(arg) (a class never counted:
 * none), in chunks as need says; 0, or -1 on a database error */
int judge_pass_add(struct judge *c, struct judge_pass *p, const char *cls,
    judge_row_fn *fn, void *arg, int need);
/* judge_pass_run: read the counts of p's classes in [since, until), once:
 * the minutes in minute order (a minute's parts in order), or coarse;
 * 0 or -1 (logged) */
int judge_pass_run(struct judge *c, const struct judge_pass *p,
    int64_t since, int64_t until);

/* ---- pairs: failed logins, refused submissions, relay refusals ---- */

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

/* judge_pair_row: a judge_row_fn adding to struct pairs */
void judge_pair_row(struct judge *c, void *arg, int64_t bucket, int64_t ip,
    int64_t acct, int64_t n);
void judge_pairs_release(struct pairs *p);

/* ---- helpers ---- */

/* judge_grow: room for one more element in v (n used, *cap allocated) */
void *judge_grow(void *v, size_t n, size_t *cap, size_t size);
/* judge_name: the text of ip id (table 0) or account id (table 1), "" if
 * none */
const char *judge_name(struct judge *c, int table, int64_t id);
/* judge_network: the /24 or /64 of an address, as CIDR text; 0 if not one */
int judge_network(const char *ip, struct netaddr *net, char *buf,
    size_t len);
/* judge_netkey: judge_network() of address id ip, "" if none; once per id */
const char *judge_netkey(struct judge *c, int64_t ip);
/* judge_netid: a number (from 1) for the network of address id ip, one per
 * network text (judge_netkey()); 0 if none.  Looked up once per id. */
#define NET_NONE UINT32_MAX
uint32_t judge_netid_slow(struct judge *c, int64_t ip);
static inline uint32_t judge_netid(struct judge *c, int64_t ip)
{
	uint32_t v;

	if (ip <= 0)
		return 0;
	v = idtab_get(&c->netof, ip);
	if (v == 0)
		return judge_netid_slow(c, ip);
	return v == NET_NONE ? 0 : v;
}
/* judge_netname: the text of network number id (judge_netid()) */
static inline const char *judge_netname(const struct judge *c, uint32_t id)
{
	return c->netv[id - 1];
}
/* judge_known: is ip (or its network) a client of account before the
 * window?  2 the address, 1 its network, 0 neither, -1 error */
int judge_known(struct judge *c, const char *ip, const char *account,
    struct kc_info *info);
/* judge_owner: the cPanel user of an account (or a bare login that is one) */
const char *judge_owner(struct judge *c, const char *account);
/* judge_domain: the domain of an address (after its last '@'), or NULL */
const char *judge_domain(const char *account);
int judge_cmp_i64(const void *x, const void *y);
/* judge_ev_time: `, "key": "ISO time"` */
void judge_ev_time(struct sbuf *b, const char *key, int64_t t);
/* judge_hm: t as local "YYYY-MM-DD HH:MM" */
const char *judge_hm(int64_t t, char *buf, size_t len);
/* judge_add: a finding, if the filters let it through (the strings are
 * copied; evidence and summary taken) */
void judge_add(struct judge *c, enum finding_kind k, const char *ip,
    const char *account, const char *owner, const char *domain,
    int64_t events, int64_t first, int64_t last, struct sbuf *ev,
    struct sbuf *sum);

/* ---- the judgments ---- */

/* stale_password, brute_force: from the pairs of auth_failed */
int judge_logins(struct judge *c, const struct pairs *p);
/* client_needs_tls or client_not_authenticating (k): from the pairs of
 * its class */
int judge_clients(struct judge *c, const struct pairs *p,
    enum finding_kind k);
/* missing_localdomains, stale_mx: from the evidence */
int judge_domains(struct judge *c, enum evidence_kind kind,
    enum finding_kind k);

/* compromised_account (local 0) or script_spam (local 1): the senders of
 * the window, fed by the pass, made ready once it is read, compared with
 * their baselines (one more pass, both kinds at once), then judged */
struct senders;
struct senders *judge_senders_new(struct judge *c, int local);
void judge_senders_free(struct senders *s);
int judge_senders_feed(struct judge *c, struct judge_pass *p,
    struct senders *s);
void judge_senders_ready(struct judge *c, struct senders *s);
int judge_senders_baselines(struct judge *c, struct senders *sa,
    struct senders *sl);
int judge_senders(struct judge *c, struct senders *s);

#endif
