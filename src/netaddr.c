/* netaddr: IPv4/IPv6 addresses and networks; see netaddr.h */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "netaddr.h"

static const unsigned char v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static void clear_host_bits(struct netaddr *a)
{
	int nbytes = a->family == 4 ? 4 : 16, i;

	for (i = 0; i < nbytes; i++) {
		int lo = i * 8;

		if (a->bits >= lo + 8)
			continue;
		if (a->bits <= lo)
			a->a[i] = 0;
		else
			a->a[i] &= (unsigned char)(0xff << (8 - (a->bits - lo)));
	}
	if (a->family == 4)
		memset(a->a + 4, 0, 12);
}

int netaddr_parse_ip(const char *s, size_t len, struct netaddr *out)
{
	char buf[INET6_ADDRSTRLEN + 1];

	memset(out, 0, sizeof *out);
	if (s == NULL || len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (memchr(buf, ':', len) == NULL) {
		if (inet_pton(AF_INET, buf, out->a) != 1)
			return -1;
		out->family = 4;
		out->bits = 32;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, out->a) != 1)
		return -1;
	if (memcmp(out->a, v4mapped, sizeof v4mapped) == 0) {
		memmove(out->a, out->a + 12, 4);
		memset(out->a + 4, 0, 12);
		out->family = 4;
		out->bits = 32;
		return 0;
	}
	out->family = 6;
	out->bits = 128;
	return 0;
}

int netaddr_parse(const char *s, size_t len, struct netaddr *out)
{
	const char *slash = s ? memchr(s, '/', len) : NULL;
	size_t i, ilen;
	int bits = 0, max;

	if (slash == NULL)
		return netaddr_parse_ip(s, len, out);
	ilen = (size_t)(slash - s);
	if (netaddr_parse_ip(s, ilen, out) < 0)
		return -1;
	/* a mapped address with a prefix counts its bits as IPv6 */
	if (out->family == 4 && memchr(s, ':', ilen) != NULL) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	max = out->family == 4 ? 32 : 128;
	if (ilen + 1 == len || len - ilen - 1 > 3)
		goto bad;
	for (i = ilen + 1; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			goto bad;
		bits = bits * 10 + (s[i] - '0');
	}
	if (bits > max || (len - ilen - 1 > 1 && s[ilen + 1] == '0'))
		goto bad;
	out->bits = bits;
	clear_host_bits(out);
	return 0;
bad:
	memset(out, 0, sizeof *out);
	return -1;
}

int netaddr_contains(const struct netaddr *net, const struct netaddr *addr)
{
	int full, rest;

	if (net->family == 0 || net->family != addr->family ||
	    addr->bits < net->bits)
		return 0;
	full = net->bits / 8;
	rest = net->bits % 8;
	if (memcmp(net->a, addr->a, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((net->a[full] ^ addr->a[full]) &
	    (unsigned char)(0xff << (8 - rest))) == 0;
}

int netaddr_contains_text(const struct netaddr *net, const char *ip,
    size_t len)
{
	struct netaddr a;

	if (netaddr_parse_ip(ip, len, &a) < 0)
		return 0;
	return netaddr_contains(net, &a);
}

void netaddr_truncate(struct netaddr *a, int v4bits, int v6bits)
{
	int bits = a->family == 4 ? v4bits : v6bits;

	if (a->family == 0 || bits >= a->bits || bits < 0)
		return;
	a->bits = bits;
	clear_host_bits(a);
}

int netaddr_equal(const struct netaddr *x, const struct netaddr *y)
{
	return x->family == y->family && x->bits == y->bits &&
	    memcmp(x->a, y->a, x->family == 4 ? 4 : 16) == 0;
}

int netaddr_is_host(const struct netaddr *a)
{
	return a->family != 0 && a->bits == (a->family == 4 ? 32 : 128);
}

size_t netaddr_format(const struct netaddr *a, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];
	int n;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	if (a->family == 0 || inet_ntop(a->family == 4 ? AF_INET : AF_INET6,
	    a->a, ip, sizeof ip) == NULL)
		return 0;
	if (netaddr_is_host(a))
		n = snprintf(buf, size, "%s", ip);
	else
		n = snprintf(buf, size, "%s/%d", ip, a->bits);
	if (n < 0)
		return 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

size_t netaddr_network_text(const char *ip, size_t len, int v4bits,
    int v6bits, char *buf, size_t size)
{
	struct netaddr a;

	if (size > 0)
		buf[0] = '\0';
	if (netaddr_parse_ip(ip, len, &a) < 0)
		return 0;
	netaddr_truncate(&a, v4bits, v6bits);
	/* the network of a /32 (or /128) grouping is the address itself,
	 * written as a network so it reads as one */
	if (netaddr_is_host(&a)) {
		char t[NETADDR_STRLEN];
		int n;

		netaddr_format(&a, t, sizeof t);
		n = snprintf(buf, size, "%s/%d", t, a.bits);
		if (n < 0)
			return 0;
		return (size_t)n < size ? (size_t)n : size - 1;
	}
	return netaddr_format(&a, buf, size);
}
