#!/bin/bash
# report --lines: the log lines behind a count, read again from the files
# the store knows — at their path, rotated and compressed (found by the
# fingerprint of their first bytes), or said to be gone — exactly the lines
# the counts hold, made safe for a terminal.
. "$(dirname "$0")/../lib/tap.sh"

dir=$TMP/log
mkdir -p "$dir"
log=$dir/exim_mainlog
python3 - "$log" <<'PY'
import sys
lines = []
for i in range(6):
    lines.append("2026-11-22 08:%02d:10 dovecot_login authenticator failed for (WIN) [203.0.113.9]:%d: "
                 "535 Incorrect authentication data (set_id=bob@example.com)" % (i, 50000 + i))
lines.append("2026-11-22 08:10:00 dovecot_login authenticator failed for (WIN) [203.0.113.77]:50100: "
             "535 Incorrect authentication data (set_id=\x1b]0;pwned\x07\x1b[2Jeve@example.com)")
lines.append("2026-11-22 08:20:00 H=(pc) [198.51.100.7]:40000 F=<ann@other.example> rejected RCPT "
             "<x@example.net>: SMTP AUTH is required for message submission on port 587")
lines.append("2026-11-22 11:00:00 dovecot_login authenticator failed for (WIN) [203.0.113.9]:50200: "
             "535 Incorrect authentication data (set_id=late@example.com)")
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
db=$TMP/ew.db
ok "scan the log" "$EW" scan -q --db "$db" "$log"
win=(--since "2026-11-22 08:00" --until "2026-11-22 10:00")
L() { "$EW" report --db "$db" "${win[@]}" --lines "$@" 2> "$TMP/msg"; }

count=$("$EW" report --db "$db" "${win[@]}" --class auth_failed --ip 203.0.113.9 --by ip --format csv | tr -d '\r' | sed -n 2p | cut -d, -f2)
out=$(L --class auth_failed --ip 203.0.113.9)
is "$(printf '%s\n' "$out" | grep -c 'authenticator failed')" "$count" \
	"as many lines as the report counts ($count)"
is "$(printf '%s\n' "$out" | head -1)" "==> $log <==" "under the name of the file they come from"
unlike "$out" '50200|late@' "the window holds (the 11:00 line is out)"
like "$(cat "$TMP/msg")" "^eximwatch: $count lines from 1 log file the store knows" "the summary names the source"

out=$(L --account EVE@example.com --top 0)
is "$(printf '%s\n' "$out" | grep -c 'authenticator failed')" 0 "an account is matched whole (this one has junk before it)"
out=$(L --class auth_failed --ip 203.0.113.0/24 --top 0)
is "$(printf '%s\n' "$out" | grep -c 'authenticator failed')" 7 "--ip takes a network"
unlike "$out" $'\e' "no escape byte reaches the terminal"
like "$out" 'set_id=\?\]0;pwned\?\?\[2Jeve@example.com' "control characters shown as ?"

out=$(L --class auth_failed --top 2)
is "$(printf '%s\n' "$out" | grep -c 'authenticator failed')" 2 "--top 2: two lines"
like "$out" '08:05:10.*'$'\n''.*08:10:00' "the last two, oldest first"
like "$(cat "$TMP/msg")" '7 lines \(the last 2 shown: --top 0 for all\)' "and says so"

# lines written after the scan are not behind any count yet
echo "2026-11-22 08:30:00 dovecot_login authenticator failed for (WIN) [203.0.113.9]:50300: 535 Incorrect authentication data (set_id=bob@example.com)" >> "$log"
out=$(L --class auth_failed --ip 203.0.113.9 --top 0)
is "$(printf '%s\n' "$out" | grep -c 'authenticator failed')" "$count" "lines not counted yet are not shown"

# rotation: the file moves, is compressed, a new one takes its name
mv "$log" "$log-20261123"
gzip "$log-20261123"
echo "2026-11-23 00:00:01 Start queue run: pid=1" > "$log"
out=$(L --class auth_failed --ip 203.0.113.9 --top 0)
is "$(printf '%s\n' "$out" | grep -c 'authenticator failed')" "$count" "the rotated .gz still gives the lines"
is "$(printf '%s\n' "$out" | head -1)" "==> $log-20261123.gz (counted as $log, found by its fingerprint) <==" \
	"found by its fingerprint, and said so"

# stdin: counted, never kept
printf '2026-11-22 09:00:00 dovecot_login authenticator failed for (X) [192.0.2.1]:1: 535 Incorrect authentication data (set_id=a@b.example)\n' |
	"$EW" scan -q --db "$db" -
L --class auth_failed --top 0 > /dev/null
like "$(cat "$TMP/msg")" 'gone: standard input \(1 lines counted\): read from a pipe' "a scan of standard input: said to be gone"

rm "$log-20261123.gz"
out=$(L --class auth_failed --top 0)
is "$out" "" "the file deleted: no lines"
like "$(cat "$TMP/msg")" "gone: $log \\(9 lines counted\\): not there any more, and no file of its directory named like it has its first bytes; its counts stay in the reports" \
	"the file deleted: named, with its counted lines"
like "$("$EW" report --db "$db" "${win[@]}" --class auth_failed --format csv | tr -d '\r')" 'auth_failed,8' \
	"its counts are still in the report"

"$EW" report --db "$db" --lines --format json > /dev/null 2>&1
is "$?" 64 "--lines with --format: a usage error"
done_testing
