/* test_guard: what never goes to an acting sink — never_act entries and
 * networks overlapping them either way, the loopback, this server's
 * addresses, cPanel's trusted relay lists (read again when they change),
 * known clients (and a failed lookup refuses too); text that is no
 * address is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alertconf.h"
#include "guard.h"
#include "tap.h"

static int calls;
static int64_t last_since;

static int known(void *arg, const struct netaddr *net, int64_t since,
    char *acct, size_t len)
{
	struct netaddr a;

	(void)arg;
	calls++;
	last_since = since;
	netaddr_parse("198.51.100.7", 12, &a);
	if (netaddr_contains(net, &a)) {
		snprintf(acct, len, "alice@example.com");
		return 1;
	}
	netaddr_parse("198.51.100.8", 12, &a);
	return netaddr_contains(net, &a) ? -1 : 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	fputs(text, fp);
	fclose(fp);
}

int main(void)
{
	char dir[] = "/tmp/ewguardXXXXXX", path[128], why[600];
	struct netaddr *v = NULL, self;
	char *files[1];
	struct alertconf ac;
	struct guard *g;
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
	g = guard_new(&ac);
	guard_on_known(g, known, NULL);

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
	is_int(guard_check(g, "198.51.100.20", now, why, sizeof why), 1,
	    "next to nothing known: yes");
	is_int(guard_check(g, "192.0.2.10", now, why, sizeof why), 0,
	    "a trusted relay host: no");
	ok(strstr(why, "a trusted relay host (192.0.2.10 in ") != NULL, "%s", why);
	/* the list changes (a later mtime or another size): read again */
	write_file(path, "198.51.100.20\n# more\n");
	is_int(guard_check(g, "198.51.100.20", now + 10, why, sizeof why), 0,
	    "a relay list that changed is read again");
	unlink(path);
	is_int(guard_check(g, "198.51.100.20", now + 20, why, sizeof why), 1,
	    "a relay list that is gone protects nobody");
	is_int(guard_check(g, "198.51.100.7", now, why, sizeof why), 0,
	    "a known client: no");
	is_str(why, "known client of alice@example.com", "... and whose");
	ok(last_since == now - 30 * 86400, "asked for logins within "
	    "known_client_days");
	is_int(guard_check(g, "198.51.100.0/24", now, why, sizeof why), 0,
	    "the network of a known client: no");
	is_int(guard_check(g, "198.51.100.8", now, why, sizeof why), 0,
	    "the lookup failed: no");
	is_str(why, "known clients could not be looked up", "... and why");
	ac.known_client_days = 0;
	calls = 0;
	is_int(guard_check(g, "198.51.100.7", now, why, sizeof why), 1,
	    "known_client_days: 0 does not look");
	is_int(calls, 0, "... at all");
	is_int(guard_check(g, "192.0.2.7\"]", now, why, sizeof why), 0,
	    "text that is no address: no");
	is_int(guard_check(g, "", now, why, sizeof why), 0, "an empty group: no");
	guard_free(g);
	free(ac.never_act);
	rmdir(dir);
	return done_testing();
}
