#!/bin/bash
# The report's forms through the real binary on a real database: the short
# default table (--brief, --remedies), tables by ip/account (rejections,
# --all), time series (--by hour/day) and domains, and the flags that do
# not go together.
. "$(dirname "$0")/../lib/tap.sh"

log=$TMP/mainlog
python3 - "$log" <<'PY'
import sys, time
now = time.time()
def at(hours_ago, text):
    return time.strftime("%Y-%m-%d %H:%M:%S ", time.localtime(now - hours_ago * 3600)) + text
lines = []
# auth failures 2, 26 and 50 hours ago; submissions without AUTH; traffic
for h, n in ((2, 5), (26, 3), (50, 2)):
    for i in range(n):
        lines.append(at(h + i / 60.0, "dovecot_login authenticator failed for (WIN) [203.0.113.9]:%d: "
                        "535 Incorrect authentication data (set_id=bob@Example.COM)" % (50000 + i)))
for i in range(4):
    lines.append(at(1, "H=(pc) [198.51.100.7]:%d F=<ann@other.example> rejected RCPT "
                    "<x@example.net>: SMTP AUTH is required for message submission on port 587" % (40000 + i)))
for i in range(3):
    lines.append(at(1.5, "1x5dJQ-0000000%dksM-1pMm <= shop@example.org H=(web) [192.0.2.60]:4000 "
                    "P=esmtpsa A=dovecot_login:shop@example.org S=1200 for c@example.net" % i))
lines.sort()
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
db=$TMP/ew.db
ok "scan" "$EW" scan -q --db "$db" "$log"
R() { "$EW" report --db "$db" --no-color "$@"; }

out=$(COLUMNS=80 R --since 3d)
like "$out" $'\nWhat to do \\(warning and above; --remedies for the other 1\\)\n  auth_failed \\(warning\\)\n' \
	"default table: the remedies last, warning and above only"
unlike "$out" 'submission_auth_required \(notice\)' "no remedy for a notice by default"
like "$(R --since 3d --remedies)" '  submission_auth_required \(notice\)' "--remedies: every class"
out=$(COLUMNS=80 R --since 3d --brief)
unlike "$out" 'What to do' "--brief: no remedies"
is "$(printf '%s\n' "$out" | grep -c '^  auth_failed ')" 1 "--brief: one line per class"
out=$(COLUMNS=200 R --since 3d --remedies)
is "$(printf '%s\n' "$out" | awk 'length($0) > 100' | grep -vc '^  [a-z_]* ')" 0 \
	"prose at most 100 columns on a 200-column terminal"

out=$(R --since 3d --by ip)
like "$out" $'^ip             count\n203.0.113.9       10\n198.51.100.7       4\n\\(rejections and failures; --all adds the traffic\\)$' \
	"--by ip: rejections only, said so"
like "$(R --since 3d --by ip --all)" '192\.0\.2\.60 +3' "--by ip --all: the traffic too"
like "$(R --since 3d --by ip --format json)" '"ip": "192.0.2.60", "count": 3' "json: every row"

out=$(R --since 3d --by day --format csv | tr -d '\r')
is "$(printf '%s\n' "$out" | head -1)" "day,count" "--by day: csv header"
is "$(printf '%s\n' "$out" | sed 1d | wc -l)" 4 "--by day: 4 local days touch a 3-day window"
is "$(printf '%s\n' "$out" | sed 1d | cut -d, -f2 | awk '{ s += $1 } END { print s }')" 17 "--by day: every event once"
out=$(R --since 3d --by hour --format json)
is "$(printf '%s' "$out" | python3 -c 'import json,sys; r=json.load(sys.stdin)["rows"]; print(len(r), sum(x["count"] for x in r))')" \
	"73 17" "--by hour alone: every hour of the window, 0 included"
like "$(R --since 3d --by hour,class --top 1)" '^hour +class +count' "--by hour,class: a table"
like "$(R --since 3d --by domain,class --all --format json)" \
	'"class": "auth_failed", "domain": "example.com", "count": 10' "--by domain: the account's domain, lower case"

for bad in "--brief --remedies" "--brief --format json" "--remedies --by ip" "--by hour,day" "--by week"; do
	# shellcheck disable=SC2086
	R $bad > /dev/null 2> "$TMP/err"; rc=$?
	is "$rc" 64 "usage error: $bad"
done
done_testing
