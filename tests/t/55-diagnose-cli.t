#!/bin/bash
# eximwatch diagnose, the command: formats, filters, hostile log text in
# the output, bad input (missing database, unreadable userdomains or
# localdomains, bad options, a broken diagnose: section), an empty database.
. "$(dirname "$0")/../lib/tap.sh"
export TZ=UTC

LOG=$TMP/mainlog
DB=$TMP/d.db
python3 - "$LOG" <<'PY'
import sys, time, calendar
out = open(sys.argv[1], "w", encoding="latin-1")
n = [0]
def ts(t):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))
def mid():
    n[0] += 1
    b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    s, k = "", n[0]
    for _ in range(6):
        s = b62[k % 62] + s
        k //= 62
    return "1xV2wU-%s-2r" % s
def line(t, text):
    out.write("%s %s\n" % (ts(t), text))
W = calendar.timegm((2026, 11, 22, 10, 0, 0))
# history: the hostile account logged in from its office, 3 a day
for d in range(1, 8):
    for k in range(3):
        line(W - d * 86400 + k * 3600,
             '%s <= evil\x1b[31m@example.com H=(pc) [192.0.2.10]:5000 P=esmtpsa '
             'A=dovecot_login:evil\x1b[31m@example.com S=1 T="x" for a@r.test' % mid())
# the window: 120 messages from 6 new networks, a hostile subject
for i in range(120):
    line(W + 60 + i * 20,
         '%s <= evil\x1b[31m@example.com H=(x) [10.%d.0.1]:5000 P=esmtpsa '
         'A=dovecot_login:evil\x1b[31m@example.com S=1 '
         'T="<script>\x1b]0;pwn\x07 \\"quoted\\" & more" for v%d@spam.test'
         % (mid(), 1 + i % 6, i))
# a hosted sender on 587 without AUTH
line(W + 100, "H=(pc) [192.0.2.99]:6000 F=<bob@example.com> rejected RCPT "
     "<x@r.test>: SMTP AUTH is required for message submission on port 587")
# password guessing
for i in range(7):
    line(W + 200 + i, "dovecot_login authenticator failed for (x) "
         "[203.0.113.66]:5000: 535 Incorrect authentication data "
         "(set_id=admin%d)" % i)
PY
printf 'example.com: acme\n' >"$TMP/userdomains"
printf 'example.com\n' >"$TMP/localdomains"
WIN=(--since "2026-11-22T10:00:00Z" --until "2026-11-22T11:00:00Z")

ok "scan the log" "$EW" scan -q --db "$DB" "$LOG"
out=$("$EW" diagnose --db "$DB" "${WIN[@]}" --userdomains "$TMP/userdomains" \
	--localdomains "$TMP/localdomains" --format json 2>"$TMP/err")
is "$?" 0 "diagnose --format json exits 0"
ok "the JSON parses, with the fields of every finding" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["since"] == "2026-11-22T10:00:00Z" and d["until"] == "2026-11-22T11:00:00Z"
keys = ["kind", "verdict", "ip", "account", "owner", "domain", "events",
        "first", "last", "evidence", "remedy"]
for f in d["findings"]:
    assert sorted(f) == sorted(keys), f
got = [(f["kind"], f["verdict"], f["ip"], f["account"], f["owner"], f["domain"],
        f["events"]) for f in d["findings"]]
want = [("compromised_account", "abuse", None, "evil\x1b[31m@example.com", "acme", None, 120),
        ("brute_force", "attack", "203.0.113.66", None, None, None, 7),
        ("client_needs_tls", "helpdesk", "192.0.2.99", "bob@example.com", "acme", None, 1)]
assert got == want, got
subj = d["findings"][0]["evidence"]["subjects"][0]["value"]
assert subj == "<script>\x1b]0;pwn\x07 \\\"quoted\\\" & more", repr(subj)
' "$out"
unlike "$out" $'[\x1b\x07<>]' "no raw escape, bell or < > in the JSON (escaped)"
table=$("$EW" diagnose --db "$DB" "${WIN[@]}" --userdomains "$TMP/userdomains" \
	--localdomains "$TMP/localdomains" 2>/dev/null)
like "$table" "abuse +compromised_account +evil\?\[31m@example.com \[acme\]  120 events" \
	"table: verdict, kind, subject (control character shown as ?), events"
unlike "$table" $'[\x1b\x07]' "table: no terminal escape from the log text"
like "$table" "Remedy: The mailbox is most likely compromised" "table: the remedy"

# filters
out=$("$EW" diagnose --db "$DB" "${WIN[@]}" --userdomains "$TMP/userdomains" \
	--localdomains "$TMP/localdomains" --format json --ip 203.0.113.0/24)
ok "--ip CIDR keeps the findings inside it" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert [f["kind"] for f in d["findings"]] == ["brute_force"], d' "$out"
out=$("$EW" diagnose --db "$DB" "${WIN[@]}" --userdomains "$TMP/userdomains" \
	--localdomains "$TMP/localdomains" --format json --owner acme)
ok "--owner keeps that user's" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert [f["kind"] for f in d["findings"]] == ["compromised_account", "client_needs_tls"], d' "$out"

# the files that tell hosted and local domains
out=$("$EW" diagnose --db "$DB" "${WIN[@]}" --userdomains "$TMP/nosuch" \
	--localdomains "$TMP/localdomains" --format json 2>"$TMP/err")
is "$?" 0 "an unreadable userdomains: still exit 0"
like "$(cat "$TMP/err")" "warning: $TMP/nosuch: cannot read the cPanel userdomains file.*client_needs_tls, client_not_authenticating and missing_localdomains are skipped" \
	"a clear warning naming what is skipped"
ok "... and client_needs_tls is skipped, the rest stays" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert [f["kind"] for f in d["findings"]] == ["compromised_account", "brute_force"], d
assert d["findings"][0]["owner"] is None' "$out"
"$EW" diagnose --db "$DB" "${WIN[@]}" --userdomains "$TMP/userdomains" \
	--localdomains "$TMP/nosuch" --format json >/dev/null 2>"$TMP/err"
like "$(cat "$TMP/err")" "warning: $TMP/nosuch: cannot read the domain list.*missing_localdomains is skipped" \
	"an unreadable localdomains: a warning"

# bad input
"$EW" diagnose --db "$TMP/none.db" >/dev/null 2>"$TMP/err"
is "$?" 66 "a missing database: exit 66"
like "$(cat "$TMP/err")" "no database at" "... saying so"
"$EW" diagnose --db "$DB" --ip 300.1.1.1 >/dev/null 2>&1
is "$?" 64 "a bad --ip: exit 64"
"$EW" diagnose --db "$DB" --since yesterdayish >/dev/null 2>&1
is "$?" 64 "a bad --since: exit 64"
"$EW" diagnose --db "$DB" --format xml >/dev/null 2>&1
is "$?" 64 "a bad --format: exit 64"
printf 'diagnose:\n  volume_min: lots\n' >"$TMP/bad.yaml"
"$EW" diagnose --db "$DB" --config "$TMP/bad.yaml" >/dev/null 2>"$TMP/err"
is "$?" 78 "a broken diagnose: section: exit 78"
like "$(cat "$TMP/err")" "bad.yaml:2:15: 'diagnose.volume_min' must be a whole number" \
	"... as file:line:col"
"$EW" check-config --config "$TMP/bad.yaml" >/dev/null 2>&1
is "$?" 78 "check-config refuses it too"
printf 'diagnose:\n  new_networks: 7\n  volume_min: 150\n  window: 2h\n' >"$TMP/good.yaml"
ok "check-config accepts a good one" "$EW" check-config --config "$TMP/good.yaml"
out=$("$EW" diagnose --db "$DB" "${WIN[@]}" --config "$TMP/good.yaml" \
	--userdomains "$TMP/userdomains" --localdomains "$TMP/localdomains" --format json)
ok "the thresholds come from the config (new_networks 7, volume_min 150: 6 networks and 120 messages are not enough)" \
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert "compromised_account" not in [f["kind"] for f in d["findings"]], d' "$out"

# an empty database
: >"$TMP/empty.log"
echo "2026-11-22 10:00:00 Start queue run: pid=1" >"$TMP/empty.log"
ok "a database with no events" "$EW" scan -q --db "$TMP/e.db" "$TMP/empty.log"
out=$("$EW" diagnose --db "$TMP/e.db" --since all --format json 2>/dev/null)
is "$?" 0 "an empty database: exit 0"
like "$out" '"findings": \[\]' "... no findings"

# known_client_days (top level, or its alias diagnose.known_client_days):
# alice's phone logged in 40 days ago and fails now — a stale password
# only when 40 days are within it
python3 - "$TMP/kc.log" <<'PY'
import sys, time, calendar
out = open(sys.argv[1], "w")
ts = lambda t: time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))
W = calendar.timegm((2026, 11, 22, 10, 0, 0))
out.write("%s 1xV2wU-000001-2r <= alice@example.com H=(pc) [198.51.100.7]:5000 "
          "P=esmtpsa A=dovecot_login:alice@example.com S=1 for a@r.test\n"
          % ts(W - 40 * 86400))
for i in range(5):
    out.write("%s dovecot_login authenticator failed for (pc) [198.51.100.7]:5000: "
              "535 Incorrect authentication data (set_id=alice@example.com)\n"
              % ts(W + 60 + i))
PY
ok "scan alice's history" "$EW" scan -q --db "$TMP/kc.db" "$TMP/kc.log"
kinds() {
	"$EW" diagnose --db "$TMP/kc.db" "${WIN[@]}" --config "$1" --format json \
		--userdomains "$TMP/userdomains" --localdomains "$TMP/localdomains" |
		python3 -c 'import json, sys; print(" ".join(f["kind"] for f in json.load(sys.stdin)["findings"]) or "none")'
}
: >"$TMP/kc0.yaml"
is "$(kinds "$TMP/kc0.yaml")" "none" "40 days ago is past the default 30: no finding (and no brute_force)"
echo 'known_client_days: 60' >"$TMP/kc1.yaml"
is "$(kinds "$TMP/kc1.yaml")" "stale_password" "known_client_days: 60 (top level) makes it a stale password"
printf 'diagnose:\n  known_client_days: 60\n' >"$TMP/kc2.yaml"
is "$(kinds "$TMP/kc2.yaml")" "stale_password" "... as does its alias diagnose.known_client_days"

done_testing
