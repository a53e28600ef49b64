#!/bin/bash
# The hourly and daily rollups give the reports the minutes give: twelve
# days of a generated log scanned, then every report form over windows
# aligned or not (--since all, odd seconds, whole days) read with the
# rollups and again with EXIMWATCH_READ_MINUTES=1 (every minute); again
# after a retention prune that cuts a day in the middle; and a database of
# schema version 5 (the rollup tables dropped) that a scan migrates.
. "$(dirname "$0")/../lib/tap.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
log=$TMP/mainlog
start="2026-06-01 07:13:29"
# 40,000 lines at 0.04 a second: 11.6 days
python3 "$root/bench/genlog.py" --lines 40000 --seed 7 --start "$start" \
	--rate 0.04 --out "$log" || { echo "Bail out! genlog"; exit 1; }
db=$TMP/ew.db
ok "scan" env TZ=UTC "$EW" scan -q --db "$db" "$log"
# the log's domains hosted here (for the findings about hosted domains)
grep -o 'A=[a-z_]*:[^ @]*@[a-z0-9.-]*' "$log" | sed 's/.*@//' | sort -u | head -50 |
	awk '{ u = $1; gsub(/[^a-z]/, "", u); print $1 ": " substr(u, 1, 8) }' >"$TMP/userdomains"

q() { python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$@"; }
days=$(q "$db" "SELECT count(*) FROM count_days_done")
ok "the days that are over rolled up ($days)" test "$days" -ge 10
ok "hour chunks written" test "$(q "$db" "SELECT count(*) FROM count_hours")" -gt 200

t0=$(date -u -d "$start" +%s)
# same: each report with the rollups and from the minutes, equal and not
# empty; $1 the database, $2 a label, the rest the report's arguments
same() {
	local d=$1 label=$2 a b
	shift 2
	a=$(TZ=${RTZ:-UTC} "$EW" report --db "$d" --no-color "$@" 2>&1)
	b=$(EXIMWATCH_READ_MINUTES=1 TZ=${RTZ:-UTC} "$EW" report --db "$d" --no-color "$@" 2>&1)
	if [ "$a" = "$b" ] && [ "${#a}" -gt 200 ]; then
		ok "$label: $*" true
	else
		ok "$label: $*" false
		diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | head -20 | sed 's/^/# /'
	fi
}
# sameb: `diagnose --brief` (the rollups) finds what `diagnose` (the
# minutes) finds; $1 the database, $2 a label, the rest the arguments
sameb() {
	local d=$1 label=$2
	shift 2
	TZ=UTC "$EW" diagnose --db "$d" --format json "$@" >"$TMP/d1.json" 2>/dev/null
	TZ=UTC "$EW" diagnose --db "$d" --format json --brief "$@" >"$TMP/d2.json" 2>/dev/null
	ok "$label: diagnose --brief $*" \
		python3 "$root/tests/lib/same_findings.py" "$TMP/d1.json" "$TMP/d2.json"
}
windows() { # database label
	local d=$1 label=$2
	same "$d" "$label" --since all --until @$((t0 + 13 * 86400)) --by class,ip --format json
	same "$d" "$label" --since @$((t0 + 3 * 86400 + 4321)) --until @$((t0 + 11 * 86400 + 77)) --by ip --format json
	same "$d" "$label" --since @$((t0 + 1 * 86400 + 999)) --until @$((t0 + 10 * 86400 + 3599))
	same "$d" "$label" --since @$((t0 + 2 * 86400 - t0 % 86400)) --until @$((t0 + 9 * 86400 - t0 % 86400)) --by account,class --format csv
	same "$d" "$label" --since @$((t0 + 4000)) --until @$((t0 + 12 * 86400)) --by day,class --format json
	same "$d" "$label" --since @$((t0 + 5 * 86400 + 61)) --until @$((t0 + 7 * 86400 + 59)) --by hour --format csv
	same "$d" "$label" --since @$((t0 + 600)) --until @$((t0 + 12 * 86400)) --by domain --all
	# local days that are not UTC days (+05:30)
	RTZ=Asia/Kolkata same "$d" "$label, TZ=Asia/Kolkata" --since @$((t0 + 86400)) --until @$((t0 + 11 * 86400 + 1234)) --by day,ip --format csv
	sameb "$d" "$label" --since @$((t0 + 1 * 86400 + 999)) --until @$((t0 + 10 * 86400 + 3599))
	sameb "$d" "$label" --since @$((t0 + 4 * 86400 - t0 % 86400)) --until @$((t0 + 6 * 86400 - t0 % 86400))
	sameb "$d" "$label" --since all --until @$((t0 + 13 * 86400)) --userdomains "$TMP/userdomains"
}
windows "$db" "rollups = minutes"
# the numbers themselves: the total over everything is the scan's events
total=$(TZ=UTC "$EW" report --db "$db" --since all --until @$((t0 + 13 * 86400)) --by class --format csv |
	awk -F, 'NR > 1 { s += $NF } END { print s }')
is "$total" "$(q "$db" "SELECT value FROM stats WHERE name = 'events'")" "--since all counts every event"

# a retention prune in the middle of day 5 (at 11:47:13 UTC)
cut=$((t0 - t0 % 86400 + 5 * 86400 + 42433))
ret=$(( ($(date +%s) - cut) ))
ok "prune at day 5, 11:47:13" env TZ=UTC "$EW" scan -q --db "$db" --retention "${ret}s" "$log"
ok "the hours before the cut are gone" test "$(q "$db" "SELECT count(*) FROM count_hours WHERE bucket + 3600 <= $cut")" = 0
windows "$db" "after the prune"

# a version-5 database (as eximwatch before the rollups left it): a scan
# migrates it and builds the rollups from the minutes
old=$TMP/old.db
TZ=UTC "$EW" scan -q --db "$old" "$log"
python3 - "$old" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("DROP TABLE count_hours; DROP TABLE count_days; "
                 "DROP TABLE count_days_done; "
                 "DELETE FROM schema_migrations WHERE number = 6; "
                 "PRAGMA user_version = 5;")
db.close()
PY
is "$(q "$old" "PRAGMA user_version")" 5 "a version-5 database"
ok "scan migrates it" env TZ=UTC "$EW" scan -q --db "$old" "$log"
is "$(q "$old" "PRAGMA user_version")" 6 "now version 6"
ok "the days built by the migration" test "$(q "$old" "SELECT count(*) FROM count_days_done")" -ge 10
windows "$old" "migrated"
TZ=UTC "$EW" scan -q --db "$TMP/ew2.db" "$log"
r() { TZ=UTC "$EW" report --db "$1" --since all --until @$((t0 + 13 * 86400)) --by class,ip,account --format json; }
is "$(r "$old")" "$(r "$TMP/ew2.db")" "the migration's rollups: the report of the writer's"

done_testing
