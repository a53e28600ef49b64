/* kclient: the guard's known clients (guard_known_cb), asked of the
 * known-clients store the diagnosis keeps (knownclients.h) — one truth of
 * who is a customer.  A group (an address or a network) holds a known
 * client when an address inside it, or inside its known-client network
 * (knownclients_network: the /24 or /64 around an address, or a group's
 * narrower network), logged in successfully for any account at or after
 * `since`.
 *
 * Each lookup is a range of the store's primary key (no cache: a
 * botnet's 500 addresses are 500 index seeks).  What the daemon has not
 * committed yet (the last flush interval) is not seen. */
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
/* kclient_lookup: a guard_known_cb (guard.h); arg is the kclient.  The
 * account in acct, followed by the client's address in parentheses when it
 * is not the group itself ("alice@example.com (198.51.100.7)") */
int kclient_lookup(void *arg, const struct netaddr *net, int64_t since,
    char *acct, size_t len);

#endif
