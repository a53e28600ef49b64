/* netaddr: IPv4/IPv6 addresses and networks (CIDR) — parsing, matching,
 * reducing an address to its network, canonical text.
 *
 * Used wherever an address is compared with a network: `--ip CIDR` filters,
 * known clients (an account's /24 or /64), network groups of thresholds,
 * and the never-act lists.  An IPv4-mapped IPv6 address (::ffff:a.b.c.d)
 * is taken as the IPv4 address, as Exim logs it.  Nothing allocates. */
#ifndef EW_NETADDR_H
#define EW_NETADDR_H
#include <stddef.h>

struct netaddr {
	int family;              /* 4 or 6; 0 = not an address */
	unsigned char a[16];     /* network byte order; IPv4 uses a[0..4) */
	int bits;                /* prefix length: 32/128 for one address */
};

/* the longest text netaddr_format writes, with its NUL */
#define NETADDR_STRLEN 50

/* netaddr_parse: "ip" or "ip/bits" from s[0..len); bits beyond the prefix
 * are cleared ("192.0.2.7/24" is 192.0.2.0/24).  0, or -1 if s is not an
 * address, or bits is not 0..32 (IPv4) / 0..128 (IPv6). */
int netaddr_parse(const char *s, size_t len, struct netaddr *out);

/* netaddr_parse_ip: only a single address (no "/bits"); 0 or -1 */
int netaddr_parse_ip(const char *s, size_t len, struct netaddr *out);

/* netaddr_contains: 1 if addr (any prefix) lies inside net, 0 otherwise
 * (also when the families differ) */
int netaddr_contains(const struct netaddr *net, const struct netaddr *addr);

/* netaddr_contains_text: the same for an address given as text; 0 if the
 * text is not an address */
int netaddr_contains_text(const struct netaddr *net, const char *ip,
    size_t len);

/* netaddr_truncate: reduce a to its network of v4bits (IPv4) or v6bits
 * (IPv6); a shorter prefix than a has already is kept */
void netaddr_truncate(struct netaddr *a, int v4bits, int v6bits);

/* netaddr_equal: same family, prefix and address */
int netaddr_equal(const struct netaddr *x, const struct netaddr *y);

/* netaddr_is_host: 1 if a is one address (/32 or /128) */
int netaddr_is_host(const struct netaddr *a);

/* netaddr_format: canonical text into buf (at least NETADDR_STRLEN bytes):
 * "192.0.2.7", "2001:db8::1" for one address, "192.0.2.0/24",
 * "2001:db8::/64" for a network.  Returns the length. */
size_t netaddr_format(const struct netaddr *a, char *buf, size_t size);

/* netaddr_network_text: the network of the address ip[0..len) as text
 * ("192.0.2.0/24" for v4bits 24), into buf; 0 if ip is not an address */
size_t netaddr_network_text(const char *ip, size_t len, int v4bits,
    int v6bits, char *buf, size_t size);

#endif
