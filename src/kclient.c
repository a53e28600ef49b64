/* kclient: the guard's known clients from the known-clients store (see
 * kclient.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kclient.h"
#include "knownclients.h"
#include "xmalloc.h"

struct kclient {
	struct knownclients *kc;
};

struct kclient *kclient_new(struct store *s)
{
	struct kclient *k = xcalloc(1, sizeof *k);

	k->kc = knownclients_open(s);
	return k;
}

void kclient_free(struct kclient *k)
{
	if (k == NULL)
		return;
	knownclients_close(k->kc);
	free(k);
}

int kclient_lookup(void *arg, const struct netaddr *net, int64_t since,
    char *acct, size_t len)
{
	struct kclient *k = arg;
	struct netaddr wide = *net;
	struct kc_row r;
	char name[512], self[NETADDR_STRLEN];
	int rc;

	/* the group itself first (its own client names the reason), then the
	 * known-client network around it, as the diagnosis judges a failed
	 * login from there */
	rc = knownclients_latest(k->kc, net, since, &r, name, sizeof name);
	knownclients_network(&wide);
	if (rc == 0 && !netaddr_equal(&wide, net))
		rc = knownclients_latest(k->kc, &wide, since, &r, name, sizeof name);
	if (rc <= 0)
		return rc;
	netaddr_format(net, self, sizeof self);
	if (netaddr_is_host(net) && strcmp(self, r.addr) == 0)
		snprintf(acct, len, "%s", r.account);
	else
		snprintf(acct, len, "%s (%s)", r.account, r.addr);
	return 1;
}
