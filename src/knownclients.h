/* knownclients: per account, the client addresses that authenticated
 * successfully (an arrival with A=) — the account's known clients — with
 * first and last seen and a count, in the store (table known_clients).
 *
 * Diagnosis asks "did A ever log in from this address, or from its /24 or
 * /64?" (a failed login from there is a customer's device, not an attack);
 * anything that acts against addresses (blocking) asks "is this a known
 * client of anybody?".  The key is the address as a sortable blob (family
 * byte + address bytes), so an address, a network and an (address,
 * account) pair are all ranges of the primary key: every lookup is an
 * index range, never a scan of the counts.
 *
 * Recording (kc_writer) runs where the store is written (scan's writer
 * thread, the daemon's flush): kc_writer_note() per successful login,
 * kc_writer_write() inside the transaction, kc_writer_done() after it.
 * A pair seen for the first time is written in the next write, so its
 * first login is committed with the counts; later logins of a pair are
 * summed in memory and written when the oldest of them is a week old in
 * log time, or with kc_writer_write(force) (scan's last commit, the
 * daemon every minute), which spares a row update per login: a crash can
 * lose up to that much of a known pair's last_seen and count, never a
 * pair.
 * Memory: KC_CACHE_MAX pairs (plus one batch); beyond, the written ones
 * are forgotten (a later login of theirs is one more upsert).
 *
 * Reading (struct knownclients): statements prepared once per handle; any
 * thread that may use the store's connection (one at a time per handle).
 * A diagnosis asks about the same networks many times: its handle keeps
 * them in memory (knownclients_cache()). */
#ifndef EW_KNOWNCLIENTS_H
#define EW_KNOWNCLIENTS_H
#include <stddef.h>
#include <stdint.h>
#include "netaddr.h"

#define KC_CACHE_MAX 32768
#define KC_KEY_MAX 17
/* a known client's network: an address from there is the same customer on
 * a new address (a phone's next IPv6 address, the ISP's next IPv4 one) */
#define KC_NET_V4 24
#define KC_NET_V6 64

struct store;

/* knownclients_key: the key blob of an address or network base a (5 or 17
 * bytes) into out[KC_KEY_MAX]; its length, 0 if a is not an address */
size_t knownclients_key(const struct netaddr *a, unsigned char *out);

/* knownclients_network: a reduced to its known-client network (/24, /64);
 * a wider network is kept */
void knownclients_network(struct netaddr *a);

/* ---- recording ---- */

struct kc_writer;

struct kc_writer *kc_writer_new(void);
void kc_writer_free(struct kc_writer *w);
/* kc_writer_note: account (acct[0..al), as logged) logged in n times
 * from the address ip[0..il) (text, as logged; not an address: ignored
 * when written) in the minute starting at t */
void kc_writer_note(struct kc_writer *w, const char *ip, size_t il,
    const char *acct, size_t al, int64_t t, int64_t n);
/* kc_writer_write: write the new pairs, and the sums that are due (all
 * with force), inside s's open transaction; 0 or -1 (the caller rolls
 * back and calls kc_writer_done(w, 0)) */
int kc_writer_write(struct kc_writer *w, struct store *s, int force);
/* kc_writer_done: the transaction holding the writes since the last
 * done() was committed (ok) or rolled back (then they are written again) */
void kc_writer_done(struct kc_writer *w, int ok);
/* kc_writer_pending: pairs with logins not written yet */
size_t kc_writer_pending(const struct kc_writer *w);

/* ---- reading ---- */

struct knownclients;

struct kc_info {
	int64_t first_seen;       /* earliest first login of the matches */
	int64_t last_seen;        /* latest last login */
	int64_t n;                /* logins */
	size_t rows;              /* (address, account) pairs matched */
};

/* knownclients_open: a reading handle on s (borrowed; close it first) */
struct knownclients *knownclients_open(struct store *s);
void knownclients_close(struct knownclients *k);

/* knownclients_cache: from now on k reads a /24 or /64 whole the third
 * time it is asked about (by knownclients_lookup() or knownclients_each()
 * of it or inside it) and answers about it from memory from then on (the
 * same answers, up to a bound of rows; wider networks, and those beyond
 * it, are asked of the store as before).  Only while the known clients
 * cannot change under k: inside one read transaction (the diagnosis). */
void knownclients_cache(struct knownclients *k);

/* knownclients_lookup: the known clients inside net (an address, or a
 * network), of account (NULL: of any account; compared case-insensitively),
 * whose first login was before first_before (INT64_MAX: any) and last
 * login at or after seen_after (0: any).  1 found (out filled), 0 none, -1
 * error (logged). */
int knownclients_lookup(struct knownclients *k, const struct netaddr *net,
    const char *account, int64_t first_before, int64_t seen_after,
    struct kc_info *out);

/* knownclients_is_known: ip (an address or CIDR text) holds a client of
 * any account seen at or after seen_after (0: ever); 1, 0, or -1 (error,
 * or ip is not an address) */
int knownclients_is_known(struct knownclients *k, const char *ip,
    int64_t seen_after);

/* one known client, for knownclients_each; strings valid during the call */
struct kc_row {
	const char *account;
	char addr[NETADDR_STRLEN];
	int64_t first_seen, last_seen, n;
};

/* knownclients_latest: the known client inside net (an address or a
 * network), of any account, that logged in last, if at or after
 * seen_after: 1 with its account (cut to acctlen) and address in out, 0
 * none, -1 error (logged).  out->account points into acct. */
int knownclients_latest(struct knownclients *k, const struct netaddr *net,
    int64_t seen_after, struct kc_row *out, char *acct, size_t acctlen);
typedef int kc_each_cb(void *arg, const struct kc_row *r);

/* knownclients_each: every known client inside net (NULL: all) of account
 * (NULL: any; without net this is a scan of the table), in address order;
 * stops when cb returns non-zero.  0, or -1 on an error. */
int knownclients_each(struct knownclients *k, const struct netaddr *net,
    const char *account, kc_each_cb *cb, void *arg);

/* knownclients_prune: delete the clients last seen before `before`; the
 * rows deleted, or -1 (inside or outside a transaction) */
int64_t knownclients_prune(struct store *s, int64_t before);

#endif
