/* kclient: the known clients the guard asks about (guard_known_cb), read
 * from the counts: an address is a known client of an account when the
 * store holds a msg_in_auth count (a message submitted after a successful
 * login, A=) with both, at or after `since`.
 *
 * One query per second at most: the known clients of the window are read
 * into memory and kept while the guard checks the groups of a batch (a
 * botnet's 500 addresses cost one query, not 500).  What the daemon has
 * not committed yet (the last flush interval) is not seen.
 *
 * Interim: the known-clients store of the diagnose work (schema 004,
 * knownclients.h) answers the same question from an index; this module is
 * replaced by it when that lands. */
#ifndef EW_KCLIENT_H
#define EW_KCLIENT_H
#include <stddef.h>
#include <stdint.h>
#include "netaddr.h"

struct store;
struct kclient;

/* kclient_new: s is borrowed, used on the caller's thread */
struct kclient *kclient_new(struct store *s);
void kclient_free(struct kclient *k);
/* kclient_lookup: a guard_known_cb (guard.h); arg is the kclient */
int kclient_lookup(void *arg, const struct netaddr *net, int64_t since,
    char *acct, size_t len);

#endif
