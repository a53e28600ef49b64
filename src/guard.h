/* guard: never act against the wrong address.  Before a group (an address
 * or a network) goes to a sink that acts on it (crowdsec, banlog), the
 * alert engine asks the guard; it refuses, with the reason, when the group
 * overlaps
 *   - an entry of `never_act:` (addresses and networks, alertconf.h),
 *   - the loopback (127.0.0.0/8, ::1),
 *   - an address of this server (getifaddrs, read again every minute),
 *   - cPanel's trusted relay lists (`trusted_relay_files`: /etc/relayhosts,
 *     /etc/alwaysrelay, /etc/trustedmailhosts when present; one address or
 *     network a line, '#' comments, host names ignored; read again when
 *     they change),
 *   - a known client: an address that authenticated successfully for any
 *     account within known_client_days (the phone with an old password,
 *     the office NAT), asked through a callback (guard_on_known).
 * People are still notified: the reason goes with the group to the other
 * sinks ("known client of alice@example.com").
 *
 * One thread (the daemon's).  Nothing here trusts log text: the group is
 * parsed as an address or network first, and what does not parse is
 * refused. */
#ifndef EW_GUARD_H
#define EW_GUARD_H
#include <stddef.h>
#include <stdint.h>
#include "netaddr.h"

struct alertconf;
struct guard;

/* guard_known_cb: is a client inside net (an address or network) known —
 * a successful login at or after `since`?  1 with its account (and the
 * address, canonical) in acct, 0 no, -1 could not tell (logged; the guard
 * then refuses: better a missed ban than a banned customer) */
typedef int guard_known_cb(void *arg, const struct netaddr *net,
    int64_t since, char *acct, size_t len);

/* guard_new: ac is borrowed (never_act, known_client_days, the relay
 * files) and must outlive the guard, or be replaced (guard_set_conf) */
struct guard *guard_new(const struct alertconf *ac);
void guard_free(struct guard *g);
void guard_set_conf(struct guard *g, const struct alertconf *ac);
void guard_on_known(struct guard *g, guard_known_cb *fn, void *arg);

/* guard_check: may an acting sink be given grp (the text of an address or
 * a network) at now?  1 yes; 0 no, the reason in why */
int guard_check(struct guard *g, const char *grp, int64_t now, char *why,
    size_t len);

/* guard_parse_list: the addresses and networks of a relay-list file's
 * text (buf[0..len)) appended to *v (*n of them); host names, comments and
 * junk are skipped.  For tests and guard.c. */
void guard_parse_list(const char *buf, size_t len, struct netaddr **v,
    size_t *n);

/* guard_self_test: add a as an address of this server (tests) */
void guard_add_self(struct guard *g, const struct netaddr *a);

#endif
