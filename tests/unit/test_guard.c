/* test_guard: what never goes to an acting sink — never_act entries and
 * networks overlapping them either way, the loopback, this server's
 * addresses, cPanel's trusted relay lists (read again when they change),
 * known clients as the diagnosis knows them (the known-clients store of a
 * real SQLite file: an address, its /24 or /64, any account, within
 * known_client_days; a failed lookup refuses too); text that is no
 * address is refused. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alertconf.h"
#include "capture.h"
#include "diag.h"
#include "guard.h"
#include "kclient.h"
#include "knownclients.h"
#include "store.h"
#include "tap.h"

static int calls;
static int64_t last_since;

/* counting: the real lookup, counted */
static int counting(void *arg, const struct netaddr *net, int64_t since,
    char *acct, size_t len)
{
	calls++;
	last_since = since;
	return kclient_lookup(arg, net, since, acct, len);
}

/* login: acct logged in from ip at t, recorded as the daemon records it
 * (the known-clients writer, committed) */
static void login(struct store *s, const char *acct, const char *ip,
    int64_t t)
{
	struct kc_writer *w = kc_writer_new();
	int ok;

	kc_writer_note(w, ip, strlen(ip), acct, strlen(acct), t, 1);
	ok = store_begin(s) == 0 && kc_writer_write(w, s, 1) == 0 &&
	    store_commit(s) == 0;
	if (!ok)
		store_rollback(s);
	kc_writer_done(w, ok);
	kc_writer_free(w);
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	fputs(text, fp);
	fclose(fp);
}

int main(void)
{
	char dir[] = "/tmp/ewguardXXXXXX", path[128], db[128], why[600], *text;
	struct netaddr *v = NULL, self;
	char *files[1];
	struct alertconf ac;
	struct guard *g;
	struct store *s;
	struct kclient *kc;
	struct diag d;
	int64_t now = 1795340000;
	size_t n = 0;
	static const char list[] =
	    "# cPanel relay hosts\n"
	    "192.0.2.10\n"
	    "  192.0.2.11   # the office\n"
	    "192.0.2.12: reason\n"
	    "mail.example.com\n"
	    "2001:db8:77::/48\n"
	    "10.0.0/8\n"
	    "\n"
	    "203.0.113.0/25\r\n";

	guard_parse_list(list, sizeof list - 1, &v, &n);
	is_int((int)n, 5, "a relay list: addresses and networks, no names, no junk");
	free(v);

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof path, "%s/relayhosts", dir);
	write_file(path, "192.0.2.10\n");
	memset(&ac, 0, sizeof ac);
	ac.never_act = calloc(2, sizeof *ac.never_act);
	netaddr_parse("203.0.113.0/24", 14, &ac.never_act[0]);
	netaddr_parse("2001:db8:5::1", 13, &ac.never_act[1]);
	ac.nnever_act = 2;
	ac.known_client_days = 30;
	files[0] = path;
	ac.relay_files = files;
	ac.nrelay_files = 1;
	snprintf(db, sizeof db, "%s/ew.db", dir);
	diag_init(&d);
	if ((s = store_open(db, STORE_CREATE, &d)) == NULL)
		return 1;
	/* alice's phone, 3 days ago; bob's office NAT 40 days ago (past
	 * known_client_days); carol's laptop in an IPv6 /64, yesterday */
	login(s, "alice@example.com", "198.51.100.7", now - 3 * 86400);
	login(s, "bob@example.com", "192.0.2.200", now - 40 * 86400);
	login(s, "carol@example.com", "2001:db8:1:2::5", now - 86400);
	kc = kclient_new(s);
	g = guard_new(&ac);
	guard_on_known(g, counting, kc);

	is_int(guard_check(g, "192.0.2.66", now, why, sizeof why), 1, "a stranger: yes");
	is_int(guard_check(g, "203.0.113.9", now, why, sizeof why), 0,
	    "an address inside a never_act network: no");
	is_str(why, "in never_act (203.0.113.0/24)", "... and why");
	is_int(guard_check(g, "203.0.0.0/16", now, why, sizeof why), 0,
	    "a network holding a never_act network: no");
	is_int(guard_check(g, "2001:db8:5::/64", now, why, sizeof why), 0,
	    "a /64 holding a never_act address: no");
	is_int(guard_check(g, "127.0.0.2", now, why, sizeof why), 0, "loopback: no");
	is_str(why, "the loopback", "... and why");
	is_int(guard_check(g, "::1", now, why, sizeof why), 0, "::1: no");
	is_int(guard_check(g, "::ffff:127.0.0.1", now, why, sizeof why), 0,
	    "IPv4-mapped loopback: no");
	netaddr_parse("192.0.2.1", 9, &self);
	guard_add_self(g, &self);
	is_int(guard_check(g, "192.0.2.0/24", now, why, sizeof why), 0,
	    "the network of this server's address: no");
	is_str(why, "an address of this server (192.0.2.1)", "... and why");
	is_int(guard_check(g, "203.0.114.20", now, why, sizeof why), 1,
	    "next to nothing known: yes");
	is_int(guard_check(g, "192.0.2.10", now, why, sizeof why), 0,
	    "a trusted relay host: no");
	ok(strstr(why, "a trusted relay host (192.0.2.10 in ") != NULL, "%s", why);
	/* the list changes (a later mtime or another size): read again */
	write_file(path, "203.0.114.20\n# more\n");
	is_int(guard_check(g, "203.0.114.20", now + 10, why, sizeof why), 0,
	    "a relay list that changed is read again");
	unlink(path);
	capture_begin();
	is_int(guard_check(g, "203.0.114.20", now + 20, why, sizeof why), 1,
	    "a relay list that is gone protects nobody");
	text = capture_end();
	ok(strstr(text, "relayhosts is gone: its addresses are no longer "
	    "trusted") != NULL, "... and says so");
	free(text);
	is_int(guard_check(g, "198.51.100.7", now, why, sizeof why), 0,
	    "a known client: no");
	is_str(why, "known client of alice@example.com", "... and whose");
	ok(last_since == now - 30 * 86400, "asked for logins within "
	    "known_client_days");
	is_int(guard_check(g, "198.51.100.0/24", now, why, sizeof why), 0,
	    "the network of a known client: no");
	is_str(why, "known client of alice@example.com (198.51.100.7)",
	    "... whose, and which address");
	/* the known client's network as the diagnosis sees it: a neighbour in
	 * its /24 or /64 is the same customer on a new address */
	is_int(guard_check(g, "198.51.100.8", now, why, sizeof why), 0,
	    "an address in a known client's /24: no");
	is_str(why, "known client of alice@example.com (198.51.100.7)",
	    "... and which neighbour");
	is_int(guard_check(g, "2001:db8:1:2:aaaa::1", now, why, sizeof why), 0,
	    "an address in a known client's /64: no");
	is_str(why, "known client of carol@example.com (2001:db8:1:2::5)",
	    "... and whose");
	is_int(guard_check(g, "2001:db8:1:2::/64", now, why, sizeof why), 0,
	    "a /64 group holding a known client: no");
	is_int(guard_check(g, "2001:db8:1:3::5", now, why, sizeof why), 1,
	    "the next /64: yes");
	is_int(guard_check(g, "192.0.2.200", now, why, sizeof why), 1,
	    "a client last seen past known_client_days: yes");
	ac.known_client_days = 60;
	is_int(guard_check(g, "192.0.2.200", now, why, sizeof why), 0,
	    "... within a longer known_client_days: no");
	ac.known_client_days = 30;
	/* the store cannot answer: refused, and said why */
	sqlite3_exec(store_db(s), "ALTER TABLE known_clients RENAME TO kc_gone",
	    NULL, NULL, NULL);
	kclient_free(kc);
	kc = kclient_new(s);
	guard_on_known(g, counting, kc);
	capture_begin();
	is_int(guard_check(g, "203.0.115.200", now + 30, why, sizeof why), 0,
	    "the lookup failed: no");
	text = capture_end();
	is_str(why, "known clients could not be looked up", "... and why");
	ok(strstr(text, "known clients") != NULL, "... and the error is logged");
	free(text);
	sqlite3_exec(store_db(s), "ALTER TABLE kc_gone RENAME TO known_clients",
	    NULL, NULL, NULL);
	ac.known_client_days = 0;
	calls = 0;
	is_int(guard_check(g, "198.51.100.7", now, why, sizeof why), 1,
	    "known_client_days: 0 does not look");
	is_int(calls, 0, "... at all");
	is_int(guard_check(g, "192.0.2.7\"]", now, why, sizeof why), 0,
	    "text that is no address: no");
	is_int(guard_check(g, "", now, why, sizeof why), 0, "an empty group: no");
	guard_free(g);
	kclient_free(kc);
	store_close(s);
	diag_release(&d);
	free(ac.never_act);
	unlink(db);
	rmdir(dir);
	return done_testing();
}
