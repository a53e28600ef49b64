/* diagnose: the stage between count/store and notify — it judges the
 * events of a window against the history before it and says what to do:
 * a customer's device or settings (helpdesk), a hostile source (attack), a
 * local mailbox or site sending spam (abuse), or this server's or DNS
 * configuration (config).
 *
 *   kind                         verdict   subject
 *   stale_password               helpdesk  account + address or network
 *   client_needs_tls             helpdesk  account + address
 *   client_not_authenticating    helpdesk  account + address
 *   missing_localdomains         config    domain
 *   stale_mx                     config    domain
 *   brute_force                  attack    address or network
 *   compromised_account          abuse     account
 *   script_spam                  abuse     cPanel user (owner)
 *
 * It reads the per-minute counts (countsvt.h), the known clients
 * (knownclients.h) and the evidence (evidence.h); the thresholds come from
 * the `diagnose:` configuration (diagconf.h).  Never a false accusation: a
 * known client of an account is never brute_force, an account sending at
 * its usual volume is never compromised_account.  Findings that need
 * /etc/userdomains or /etc/localdomains are skipped (the caller warns) when
 * those are not given.  Read-only: any thread that may read the store. */
#ifndef EW_DIAGNOSE_H
#define EW_DIAGNOSE_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "diagconf.h"

struct store;
struct owners;
struct domainlist;

enum finding_kind {
	FK_STALE_PASSWORD,
	FK_CLIENT_NEEDS_TLS,
	FK_CLIENT_NOT_AUTHENTICATING,
	FK_MISSING_LOCALDOMAINS,
	FK_STALE_MX,
	FK_BRUTE_FORCE,
	FK_COMPROMISED_ACCOUNT,
	FK_SCRIPT_SPAM,
	FK_N
};

struct finding {
	enum finding_kind kind;
	enum verdict verdict;
	char *ip;                 /* an address or a network (CIDR); NULL:
	                           * does not apply (also the others) */
	char *account;
	char *owner;              /* the cPanel user */
	char *domain;
	int64_t events;
	int64_t first, last;      /* the minutes of the first and last event */
	char *evidence;           /* a JSON object; its log text is escaped */
	char *summary;            /* one line for people: log text as logged
	                           * (escape it for the output) */
};

struct findings {
	struct finding *v;
	size_t n, cap;
	int brief;                      /* of a brief run (diagnose_input):
	                                 * their times, evidence and summaries
	                                 * are not told */
};

struct diagnose_input {
	time_t since, until;            /* the window [since, until) */
	const struct diagconf *conf;
	const struct owners *owners;    /* /etc/userdomains; NULL: the
	                                 * findings about hosted domains are
	                                 * skipped */
	const struct domainlist *local; /* NULL: missing_localdomains skipped */
	const struct domainlist *remote;/* may be NULL */
	/* filters (NULL: all): an account (case-insensitive), an address or
	 * network (findings whose ip is in it, or contains it), an owner */
	const char *account, *ip, *owner;
	/* brief: what a list of findings shows (kind, verdict, subject,
	 * events: the same as without), read from the hourly and daily
	 * rollups; the times and the rhythm in the evidence and the summary
	 * are those of the hours and days read.  A long window reads ~100
	 * chunks per class instead of a chunk per minute. */
	int brief;
};

/* diagnose_run: the findings of the window, most important first (abuse,
 * attack, config, helpdesk; then by events); 0, or -1 on a database error
 * (logged).  Release out with findings_release() either way. */
int diagnose_run(struct store *s, const struct diagnose_input *in,
    struct findings *out);
void findings_release(struct findings *f);

const char *finding_kind_name(enum finding_kind k);
enum verdict finding_verdict(enum finding_kind k);
const char *finding_remedy(enum finding_kind k);

#endif
