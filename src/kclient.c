/* kclient: known clients from the counts (see kclient.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>

#include "kclient.h"
#include "log.h"
#include "store.h"
#include "xmalloc.h"

#define KEEP_SECS 1

struct kc_entry {
	struct netaddr a;
	char *account;
};

struct kclient {
	struct store *s;
	struct kc_entry *v;
	size_t n;
	int64_t since;           /* of the entries in memory */
	time_t loaded;
	int ok;
};

struct kclient *kclient_new(struct store *s)
{
	struct kclient *k = xcalloc(1, sizeof *k);

	k->s = s;
	return k;
}

static void clear(struct kclient *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->v[i].account);
	free(k->v);
	k->v = NULL;
	k->n = 0;
	k->ok = 0;
}

void kclient_free(struct kclient *k)
{
	if (k == NULL)
		return;
	clear(k);
	free(k);
}

static int load(struct kclient *k, int64_t since)
{
	sqlite3 *db = store_db(k->s);
	sqlite3_stmt *st = NULL;
	int rc;

	clear(k);
	if (sqlite3_prepare_v2(db, "SELECT i.addr, a.name FROM counts c "
	    "JOIN ips i ON i.id = c.ip_id JOIN accounts a ON a.id = c.account_id "
	    "WHERE c.class_id = (SELECT id FROM classes WHERE name = "
	    "'msg_in_auth') AND c.bucket >= ?1 AND c.ip_id != 0 AND "
	    "c.account_id != 0 GROUP BY c.ip_id, c.account_id", -1, &st, NULL)
	    != SQLITE_OK)
		goto fail;
	/* a minute bucket holds logins from its start on */
	sqlite3_bind_int64(st, 1, since - since % 60);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *ip = (const char *)sqlite3_column_text(st, 0);
		struct netaddr a;

		if (netaddr_parse_ip(ip, (size_t)sqlite3_column_bytes(st, 0), &a) < 0)
			continue;
		k->v = xreallocarray(k->v, k->n + 1, sizeof *k->v);
		k->v[k->n].a = a;
		k->v[k->n++].account = xstrdup((const char *)sqlite3_column_text(st,
		    1));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;
	k->ok = 1;
	return 0;
fail:
	log_warnx("%s: looking up known clients: %s", store_path(k->s),
	    sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return -1;
}

int kclient_lookup(void *arg, const struct netaddr *net, int64_t since,
    char *acct, size_t len)
{
	struct kclient *k = arg;
	time_t now = time(NULL);
	char t[NETADDR_STRLEN];
	size_t i;

	if (!k->ok || now - k->loaded >= KEEP_SECS || since != k->since) {
		k->since = since;
		k->loaded = now;
		if (load(k, since) < 0)
			return -1;
	}
	for (i = 0; i < k->n; i++)
		if (netaddr_contains(net, &k->v[i].a)) {
			netaddr_format(&k->v[i].a, t, sizeof t);
			if (netaddr_is_host(net))
				snprintf(acct, len, "%s", k->v[i].account);
			else
				snprintf(acct, len, "%s (%s)", k->v[i].account, t);
			return 1;
		}
	return 0;
}
