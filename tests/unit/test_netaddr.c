/* test_netaddr: addresses and networks, the edge cases of prefixes */
#include <string.h>

#include "netaddr.h"
#include "tap.h"

static int parses(const char *s)
{
	struct netaddr a;

	return netaddr_parse(s, strlen(s), &a) == 0;
}

static const char *canon(const char *s)
{
	static char buf[NETADDR_STRLEN];
	struct netaddr a;

	if (netaddr_parse(s, strlen(s), &a) < 0)
		return "(invalid)";
	netaddr_format(&a, buf, sizeof buf);
	return buf;
}

static int in(const char *net, const char *ip)
{
	struct netaddr n;

	if (netaddr_parse(net, strlen(net), &n) < 0)
		return -1;
	return netaddr_contains_text(&n, ip, strlen(ip));
}

static const char *network(const char *ip, int v4, int v6)
{
	static char buf[NETADDR_STRLEN];

	if (netaddr_network_text(ip, strlen(ip), v4, v6, buf, sizeof buf) == 0)
		return "(invalid)";
	return buf;
}

int main(void)
{
	struct netaddr a, b;

	is_str(canon("192.0.2.7"), "192.0.2.7", "IPv4 address");
	is_str(canon("192.0.2.7/24"), "192.0.2.0/24", "host bits cleared");
	is_str(canon("192.0.2.7/32"), "192.0.2.7", "a /32 is an address");
	is_str(canon("0.0.0.0/0"), "0.0.0.0/0", "everything");
	is_str(canon("10.1.2.3/9"), "10.0.0.0/9", "odd prefix");
	is_str(canon("2001:DB8::a11:beef/64"), "2001:db8::/64", "IPv6 network, lower case");
	is_str(canon("2001:db8::1"), "2001:db8::1", "IPv6 address");
	is_str(canon("2001:db8:1:2:3::/127"), "2001:db8:1:2:3::/127", "IPv6 /127");
	is_str(canon("::ffff:192.0.2.9"), "192.0.2.9", "v4-mapped is IPv4");
	ok(!parses("::ffff:192.0.2.9/24"), "v4-mapped with a prefix is refused");
	ok(!parses("192.0.2.0/33"), "/33 refused");
	ok(!parses("2001:db8::/129"), "/129 refused");
	ok(!parses("192.0.2.0/"), "empty prefix refused");
	ok(!parses("192.0.2.0/024"), "leading zero refused");
	ok(!parses("192.0.2.0/2x"), "junk prefix refused");
	ok(!parses("192.0.2/24"), "short IPv4 refused");
	ok(!parses("192.0.2.256"), "octet over 255 refused");
	ok(!parses(""), "empty refused");
	ok(!parses("example.com"), "a name refused");
	ok(!parses("1.2.3.4 "), "trailing space refused");
	ok(netaddr_parse(NULL, 0, &a) < 0, "NULL refused");

	is_int(in("192.0.2.0/24", "192.0.2.200"), 1, "inside /24");
	is_int(in("192.0.2.0/24", "192.0.3.1"), 0, "outside /24");
	is_int(in("192.0.2.128/25", "192.0.2.127"), 0, "outside /25");
	is_int(in("192.0.2.128/25", "192.0.2.129"), 1, "inside /25");
	is_int(in("0.0.0.0/0", "203.0.113.1"), 1, "/0 holds every IPv4");
	is_int(in("0.0.0.0/0", "2001:db8::1"), 0, "/0 IPv4 holds no IPv6");
	is_int(in("2001:db8::/64", "2001:db8::ffff:1"), 1, "inside /64");
	is_int(in("2001:db8::/64", "2001:db8:0:1::1"), 0, "outside /64");
	is_int(in("192.0.2.9", "192.0.2.9"), 1, "one address holds itself");
	is_int(in("192.0.2.9", "192.0.2.10"), 0, "and no other");
	is_int(in("192.0.2.0/24", "::ffff:192.0.2.5"), 1, "mapped address matches IPv4 net");
	is_int(in("192.0.2.0/24", "not-an-ip"), 0, "junk matches nothing");

	is_str(network("192.0.2.77", 24, 64), "192.0.2.0/24", "IPv4 /24 network");
	is_str(network("2001:db8:aa:bb:1:2:3:4", 24, 64), "2001:db8:aa:bb::/64", "IPv6 /64 network");
	is_str(network("192.0.2.77", 32, 128), "192.0.2.77/32", "a /32 group reads as a network");
	is_str(network("x", 24, 64), "(invalid)", "junk has no network");

	netaddr_parse("192.0.2.77", 10, &a);
	netaddr_truncate(&a, 24, 64);
	netaddr_parse("192.0.2.0/24", 12, &b);
	ok(netaddr_equal(&a, &b), "truncate equals the parsed network");
	netaddr_truncate(&a, 28, 64);
	is_int(a.bits, 24, "truncate never lengthens a prefix");
	ok(!netaddr_is_host(&a) && netaddr_is_host(&(struct netaddr){ 6, {0}, 128 }),
	    "is_host");
	return done_testing();
}
