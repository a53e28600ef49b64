/* test_knownclients: recording and looking up known clients on a real
 * SQLite file — pairs, networks, deferred sums, rollback, prune. */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "knownclients.h"
#include "netaddr.h"
#include "store.h"
#include "storeq.h"
#include "tap.h"

static char dir[] = "/tmp/test_knownclients.XXXXXX";

static struct netaddr A(const char *s)
{
	struct netaddr a;

	if (netaddr_parse(s, strlen(s), &a) < 0)
		memset(&a, 0, sizeof a);
	return a;
}

static void note(struct kc_writer *w, const char *acct, const char *ip,
    long long t)
{
	kc_writer_note(w, ip, strlen(ip), acct, strlen(acct), t, 1);
}

static int commit(struct store *s, struct kc_writer *w, int force)
{
	int ok = store_begin(s) == 0 && kc_writer_write(w, s, force) == 0 &&
	    store_commit(s) == 0;

	if (!ok)
		store_rollback(s);
	kc_writer_done(w, ok);
	return ok;
}

static int found(struct knownclients *k, const char *net, const char *acct,
    long long first_before, long long seen_after)
{
	if (first_before == 0)
		first_before = INT64_MAX;
	struct netaddr a = A(net);
	struct kc_info info;

	return knownclients_lookup(k, &a, acct, first_before, seen_after, &info);
}

struct seen {
	int n;
	char text[512];
};

static int each_cb(void *arg, const struct kc_row *r)
{
	struct seen *s = arg;
	size_t l = strlen(s->text);

	snprintf(s->text + l, sizeof s->text - l, "%s%s=%s", s->n++ ? " " : "",
	    r->account, r->addr);
	return 0;
}

/* same_answers: a cached handle (c) answers as the store (k) does: each
 * lookup twice (the first times asked of the store, then from the network
 * read whole), each() in the second round */
static int same_answers(struct knownclients *k, struct knownclients *c)
{
	static const char *nets[] = { "192.0.2.10", "192.0.2.77",
	    "192.0.2.0/24", "192.0.2.0/28", "192.0.3.0/24", "198.51.100.0/24",
	    "198.51.100.1", "198.51.100.2", "198.51.100.0/25", "203.0.113.5",
	    "2001:db8:1:2::7", "2001:db8:1:2::99/64", "2001:db8:1:2::/80",
	    "2001:db8:1:3::7/64", "192.0.2.0/23", "10.0.0.0/8" };
	static const char *accts[] = { NULL, "alice@example.com",
	    "ALICE@Example.com", "bob@example.com", "ERIN@example.com",
	    "erin@example.com", "Erin@example.com", "ghost@example.com",
	    "carol@example.com", "" };
	static const long long times[][2] = { { INT64_MAX, 0 },
	    { 1795340460, 0 }, { 1795340461, 0 }, { INT64_MAX, 1795344121 },
	    { INT64_MAX, 1795344120 } };
	size_t i, j, t, pass;
	int bad = 0;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < sizeof nets / sizeof nets[0]; i++) {
			struct netaddr a = A(nets[i]);

			for (j = 0; j < sizeof accts / sizeof accts[0]; j++) {
				for (t = 0; t < sizeof times / sizeof times[0]; t++) {
					struct kc_info x, y;
					int rx = knownclients_lookup(k, &a, accts[j],
					    times[t][0], times[t][1], &x);
					int ry = knownclients_lookup(c, &a, accts[j],
					    times[t][0], times[t][1], &y);

					if (rx != ry || memcmp(&x, &y, sizeof x) != 0) {
						printf("# %s %s %lld %lld: %d, cached %d\n", nets[i],
						    accts[j] ? accts[j] : "(any)", times[t][0],
						    times[t][1], rx, ry);
						bad++;
					}
				}
				if (pass == 1) {
					struct seen sx, sy;

					memset(&sx, 0, sizeof sx);
					memset(&sy, 0, sizeof sy);
					knownclients_each(k, &a, accts[j], each_cb, &sx);
					knownclients_each(c, &a, accts[j], each_cb, &sy);
					if (strcmp(sx.text, sy.text) != 0) {
						printf("# each %s %s: \"%s\", cached \"%s\"\n",
						    nets[i], accts[j] ? accts[j] : "(any)",
						    sx.text, sy.text);
						bad++;
					}
				}
			}
		}
	return bad;
}

int main(void)
{
	char path[256];
	struct diag d;
	struct store *s;
	struct kc_writer *w;
	struct knownclients *k;
	struct kc_info info;
	struct netaddr a;
	struct seen seen;
	const long long H = 3600, T0 = 1795340400;   /* an hour's start */

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof path, "%s/kc.db", dir);
	diag_init(&d);
	s = store_open(path, STORE_CREATE, &d);
	if (!ok(s != NULL, "create a database")) {
		diag_print(&d, stdout);
		return done_testing();
	}
	w = kc_writer_new();
	k = knownclients_open(s);

	/* a first login is written at the next write, with the counts */
	note(w, "alice@example.com", "192.0.2.10", T0 + 60);
	note(w, "alice@example.com", "192.0.2.10", T0 + 120);
	note(w, "bob@example.com", "2001:db8:1:2::7", T0 + 60);
	ok(commit(s, w, 0), "write the new pairs");
	is_int(q1(s, "SELECT count(*) FROM known_clients"), 2, "two pairs stored");
	is_int(q1(s, "SELECT n FROM known_clients WHERE account_id = (SELECT id "
	    "FROM accounts WHERE name = 'alice@example.com')"), 2,
	    "their logins summed");
	is_int((long long)kc_writer_pending(w), 0, "nothing pending");

	/* later logins of a known pair wait (a week of log time at most) */
	note(w, "alice@example.com", "192.0.2.10", T0 + 600);
	note(w, "carol@example.com", "198.51.100.1", T0 + H + 60);
	ok(commit(s, w, 0), "a write later");
	is_int(q1(s, "SELECT n FROM known_clients WHERE addr = x'04c000020a'"), 2,
	    "a known pair's later login is not written yet");
	is_int((long long)kc_writer_pending(w), 1, "it is pending");
	note(w, "carol@example.com", "198.51.100.1", T0 + 86400);
	ok(commit(s, w, 0), "a write the next day");
	is_int(q1(s, "SELECT n FROM known_clients WHERE addr = x'04c000020a'"), 2,
	    "still pending the next day");
	note(w, "carol@example.com", "198.51.100.1", T0 + 600 + 7 * 86400);
	ok(commit(s, w, 0), "a write a week after it");
	is_int(q1(s, "SELECT n FROM known_clients WHERE addr = x'04c000020a'"), 3,
	    "a week later, the pending sum is written");
	is_int(q1(s, "SELECT last_seen FROM known_clients WHERE addr = "
	    "x'04c000020a'"), T0 + 600, "with its last login");

	/* force writes everything */
	note(w, "alice@example.com", "192.0.2.10", T0 + H + 120);
	ok(commit(s, w, 1), "a forced write");
	is_int(q1(s, "SELECT n FROM known_clients WHERE addr = x'04c000020a'"), 4,
	    "force writes the pending sums");

	/* a rolled-back write is written again */
	note(w, "dave@example.com", "203.0.113.5", T0 + H + 180);
	ok(store_begin(s) == 0 && kc_writer_write(w, s, 0) == 0,
	    "write a new pair into a transaction");
	store_rollback(s);
	kc_writer_done(w, 0);
	is_int(q1(s, "SELECT count(*) FROM known_clients WHERE addr = "
	    "x'04cb007105'"), 0, "rolled back: not stored");
	ok(commit(s, w, 0), "the next write");
	is_int(q1(s, "SELECT n FROM known_clients WHERE addr = x'04cb007105'"), 1,
	    "the rolled-back pair is written again, once");

	/* lookups */
	is_int(found(k, "192.0.2.10", "alice@example.com", 0, 0), 1,
	    "the address is a known client of its account");
	is_int(found(k, "192.0.2.10", "ALICE@Example.com", 0, 0), 1,
	    "accounts compare case-insensitively");
	is_int(found(k, "192.0.2.10", "bob@example.com", 0, 0), 0,
	    "not of another account");
	is_int(found(k, "192.0.2.77", "alice@example.com", 0, 0), 0,
	    "another address of the /24 is not the address");
	is_int(found(k, "192.0.2.0/24", "alice@example.com", 0, 0), 1,
	    "but its /24 is known");
	is_int(found(k, "192.0.3.0/24", "alice@example.com", 0, 0), 0,
	    "the next /24 is not");
	is_int(found(k, "2001:db8:1:2::99/64", "bob@example.com", 0, 0), 1,
	    "a new address in the same /64 is in a known network");
	is_int(found(k, "2001:db8:1:3::7/64", "bob@example.com", 0, 0), 0,
	    "the next /64 is not");
	is_int(found(k, "192.0.2.10", NULL, 0, 0), 1, "known to anybody");
	is_int(found(k, "192.0.2.10", "alice@example.com", T0 + 60, 0), 0,
	    "first seen at T0+60: not known before then");
	is_int(found(k, "192.0.2.10", "alice@example.com", T0 + 61, 0), 1,
	    "known just after");
	is_int(found(k, "192.0.2.10", "alice@example.com", 0, T0 + H + 121), 0,
	    "not seen since a time after its last login");
	a = A("192.0.2.0/24");
	ok(knownclients_lookup(k, &a, "alice@example.com", INT64_MAX, 0, &info) == 1 &&
	    info.first_seen == T0 + 60 && info.last_seen == T0 + H + 120 &&
	    info.n == 4 && info.rows == 1, "first, last, count of a network");
	is_int(knownclients_is_known(k, "2001:db8:1:2::/64", 0), 1,
	    "is_known takes a CIDR");
	is_int(knownclients_is_known(k, "203.0.113.6", 0), 0,
	    "is_known: an unknown address");
	is_int(knownclients_is_known(k, "not-an-ip", 0), -1,
	    "is_known: not an address");
	memset(&seen, 0, sizeof seen);
	ok(knownclients_each(k, NULL, NULL, each_cb, &seen) == 0, "each: all");
	is_str(seen.text, "alice@example.com=192.0.2.10 "
	    "carol@example.com=198.51.100.1 dave@example.com=203.0.113.5 "
	    "bob@example.com=2001:db8:1:2::7", "each: in address order, IPv4 "
	    "before IPv6");
	memset(&seen, 0, sizeof seen);
	a = A("192.0.2.0/23");
	knownclients_each(k, &a, NULL, each_cb, &seen);
	is_str(seen.text, "alice@example.com=192.0.2.10", "each: inside a "
	    "network");
	memset(&seen, 0, sizeof seen);
	knownclients_each(k, NULL, "BOB@example.com", each_cb, &seen);
	is_str(seen.text, "bob@example.com=2001:db8:1:2::7", "each: by account");
	/* one mailbox under two spellings (two account rows): a lookup in
	 * any spelling finds the logins of both */
	note(w, "Erin@example.com", "198.51.100.1", T0 + H + 240);
	note(w, "erin@example.com", "198.51.100.2", T0 + H + 300);
	ok(commit(s, w, 1), "two spellings of one mailbox");
	a = A("198.51.100.0/24");
	is_int(knownclients_lookup(k, &a, "ERIN@example.com", INT64_MAX, 0, &info),
	    1, "a network known under both spellings");
	ok(info.rows == 2 && info.n == 2 && info.first_seen == T0 + H + 240 &&
	    info.last_seen == T0 + H + 300, "... with the logins of both");
	is_int(found(k, "198.51.100.2", "ERIN@EXAMPLE.COM", 0, 0), 1,
	    "an address known under the other spelling");

	/* the network cache answers as the store does */
	note(w, "zed@example.com", "192.0.2.10", T0 + H + 360);
	note(w, "Alice@example.com", "192.0.2.11", T0 + H + 420);
	ok(commit(s, w, 1), "more accounts on a network");
	{
		/* fresh handles: a handle keeps the ids of an account's
		 * spellings it asked for */
		struct knownclients *p = knownclients_open(s);
		struct knownclients *c = knownclients_open(s);

		knownclients_cache(c);
		is_int(same_answers(p, c), 0, "a cached handle: the same lookups "
		    "and lists as the store's");
		knownclients_close(c);
		knownclients_close(p);
		/* a row of an account id with no name: counted for anybody, never
		 * listed */
		is_int(sqlite3_exec(store_db(s), "INSERT INTO known_clients VALUES "
		    "(x'04c0000214', 999999, 1, 2, 3)", NULL, NULL, NULL), SQLITE_OK,
		    "a row of no account");
		p = knownclients_open(s);
		c = knownclients_open(s);
		knownclients_cache(c);
		is_int(same_answers(p, c), 0, "... the same with it");
		knownclients_close(c);
		knownclients_close(p);
		is_int(sqlite3_exec(store_db(s), "DELETE FROM known_clients WHERE "
		    "account_id = 999999", NULL, NULL, NULL), SQLITE_OK, "removed");
	}

	/* prune with the retention: last seen before the cut goes */
	is_int(knownclients_prune(s, T0 + H + 121), 2, "prune: the clients "
	    "last seen before the cut");
	is_int(found(k, "192.0.2.10", "alice@example.com", 0, 0), 0,
	    "a pruned client is no longer known");
	is_int(found(k, "203.0.113.5", "dave@example.com", 0, 0), 1,
	    "a client seen after the cut stays");

	/* memory stays bounded: many pairs, then forgotten once written */
	{
		char ip[32];
		int i;

		for (i = 0; i < KC_CACHE_MAX + 100; i++) {
			snprintf(ip, sizeof ip, "10.%d.%d.%d", i >> 16, (i >> 8) & 255,
			    i & 255);
			note(w, "many@example.com", ip, T0 + 2 * H);
		}
		ok(commit(s, w, 0), "write %d new pairs", KC_CACHE_MAX + 100);
		is_int(q1(s, "SELECT count(*) FROM known_clients WHERE addr BETWEEN "
		    "x'040a000000' AND x'040affffff'"), KC_CACHE_MAX + 100,
		    "all stored");
		note(w, "many@example.com", "10.0.0.1", T0 + 2 * H + 60);
		ok(commit(s, w, 1), "a login of a forgotten pair");
		is_int(q1(s, "SELECT n FROM known_clients WHERE addr = x'040a000001'"),
		    2, "is added to its row");
	}

	knownclients_close(k);
	kc_writer_free(w);
	store_close(s);
	diag_release(&d);
	{
		char cmd[300];

		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return done_testing();
}
