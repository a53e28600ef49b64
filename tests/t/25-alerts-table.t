#!/bin/bash
# `eximwatch alerts`: "(none)" when there is nothing; a bad --state is a
# usage error with the nearest word; the table fits the terminal's width;
# its PEAK agrees with what `report` counts for the group, also when more
# events come after the alert fired.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/alerts.sh"

run() { RC=0; OUT=$("$@" 2>&1) || RC=$?; }
"$EW" scan -q --db "$DB" /dev/null 2>/dev/null || "$EW" scan -q --db "$DB" - </dev/null
run "$EW" alerts --db "$DB"
is "$RC" 0 "no alerts: exit 0"
is "$OUT" "(none)" "no alerts: (none)"
run "$EW" alerts --db "$DB" --format json
is "$OUT" '{"alerts": []}' "no alerts: JSON"
run "$EW" alerts --db "$DB" --state firng
is "$RC" 64 "--state firng: a usage error"
like "$OUT" "unknown --state 'firng': did you mean firing\\?" "... with the nearest word"

receiver hook
cat > "$TMP/ew.yaml" <<EOF
sinks:
  hook: {type: webhook, url: "http://127.0.0.1:$hook_PORT/x"}
thresholds:
  - id: credential_stuffing_from_one_network
    classes: [auth_failed]
    by: ip
    window: 10m
    count: 3
    first_wait: 10ms
    group_wait: 100ms
    sinks: [hook]
EOF
daemon_start "$TMP/ew.yaml"; is $? 0 "the daemon is ready"
for i in 1 2 3; do af 2001:db8:ffff:ffff:ffff:ffff:ffff:1 "u$i@example.com"; done >> "$LOG"
wait_for 10 sh -c "'$EW' alerts --db '$DB' --state firing | grep -q credential"; is $? 0 "the alert fired"
for i in 4 5 6 7 8 9 10; do af 2001:db8:ffff:ffff:ffff:ffff:ffff:1 "u$i@example.com"; done >> "$LOG"
peak() { "$EW" alerts --db "$DB" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["alerts"][0]["peak"])'; }
counted() { "$EW" report --db "$DB" --since 10m --class auth_failed --ip 2001:db8:ffff:ffff:ffff:ffff:ffff:1 --format json |
	python3 -c 'import json,sys; r=json.load(sys.stdin)["rows"]; print(r[0]["count"] if r else 0)'; }
wait_for 10 sh -c "[ \"\$('$EW' report --db '$DB' --since 10m --format csv | grep -c auth_failed)\" = 1 ] && [ \"\$('$EW' report --db '$DB' --since 10m --format csv | grep auth_failed)\" = \"auth_failed,10$(printf '\r')\" ]"
sleep 1
is "$(counted)" 10 "report counts the 10 events of the group"
is "$(peak)" 10 "alerts' PEAK agrees: 10 (events after the firing too)"
daemon_stop

# the widest line in characters (UTF-8: "…" is one)
widest() { python3 -c 'import sys; print(max(len(l) for l in sys.stdin.buffer.read().decode().splitlines()))'; }
for w in 60 80 120 200; do
	m=$(COLUMNS=$w "$EW" alerts --db "$DB" | widest)
	[ "$m" -le "$w" ]; is $? 0 "COLUMNS=$w: no line is wider ($m columns)"
done
out=$(COLUMNS=200 "$EW" alerts --db "$DB")
like "$out" "SEVERITY.*DELIVERY" "wide: severity and delivery on the alert's line"
like "$out" "credential_stuffing_from_one_network +2001:db8:ffff:ffff:ffff:ffff:ffff:1 " "wide: nothing cut"
out=$(COLUMNS=80 "$EW" alerts --db "$DB")
unlike "$out" "SEVERITY" "80 columns: severity is left out first"
like "$out" $'\n    hook: delivered' "80 columns: the delivery on a line of its own"
out=$(COLUMNS=60 "$EW" alerts --db "$DB")
like "$out" "…" "60 columns: long names are cut with …"
done_testing
