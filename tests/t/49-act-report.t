#!/bin/bash
# report --by prefix: the addresses of one IPv4 /24 or IPv6 /64 (or the
# configuration's prefix lengths) counted as their network, as the alerts'
# `by: prefix` groups them.
. "$(dirname "$0")/../lib/tap.sh"

L=$TMP/mainlog
for ip in 2001:db8:1:2::1 2001:DB8:1:2:0::2 192.0.2.7 192.0.2.9 ::ffff:192.0.2.11 198.51.100.9; do
	printf '2026-12-05 10:00:01 dovecot_login authenticator failed for (x) [%s]:50000: 535 Incorrect authentication data (set_id=a@example.com)\n' "$ip"
done > "$L"
"$EW" scan --db "$TMP/db" -q "$L"
export EXIMWATCH_CONFIG=$TMP/none.yaml
out=$("$EW" report --db "$TMP/db" --since all --by prefix --format csv)
is "$out" "prefix,count"$'\r'"
192.0.2.0/24,3"$'\r'"
2001:db8:1:2::/64,2"$'\r'"
198.51.100.0/24,1"$'\r' "--by prefix: /24 and /64 by default, canonical network text"
out=$("$EW" report --db "$TMP/db" --since all --by prefix,ip --format json)
like "$out" '\{"ip": "2001:DB8:1:2:0::2", "prefix": "2001:db8:1:2::/64", "count": 1\}' \
	"--by prefix,ip: each address with its network"
printf 'prefix: {v4: 28, v6: 126}\n' > "$TMP/c.yaml"
EXIMWATCH_CONFIG=$TMP/c.yaml out=$("$EW" report --db "$TMP/db" --since all --by prefix --format csv)
like "$out" "192.0.2.0/28,3" "the configuration's prefix lengths: /28"
like "$out" "2001:db8:1:2::/126,2" "... and /126"
printf 'prefix: {v4: 3}\n' > "$TMP/bad.yaml"
EXIMWATCH_CONFIG=$TMP/bad.yaml out=$("$EW" report --db "$TMP/db" --since all --by prefix --format csv 2>&1)
like "$out" "bad.yaml:1:14: 'prefix.v4' must be a prefix length" "a bad configuration is named"
like "$out" "192.0.2.0/24,3" "and the defaults are used"
RC=0; "$EW" report --db "$TMP/db" --by nets >/dev/null 2>&1 || RC=$?
is "$RC" 64 "an unknown --by key is a usage error"
done_testing
