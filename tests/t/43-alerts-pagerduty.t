#!/bin/bash
# PagerDuty Events API v2 against a local receiver (the base URL is
# configurable): a trigger, then a resolve with the same dedup_key; the
# routing key comes from a file and is never stored in the database.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/alerts.sh"

receiver pd
echo 'R0UTING0KEY0FROM0A0FILE000000000' > "$TMP/pd.key"
CFG=$TMP/eximwatch.yaml
cat > "$CFG" <<EOF
alerts: {host: mail1.example.com}
sinks:
  pager:
    type: pagerduty
    url: "http://127.0.0.1:$pd_PORT"
    routing_key_file: $TMP/pd.key
thresholds:
  - id: credential_stuffing
    classes: [auth_failed]
    by: ip
    distinct: {field: account, count: 3}
    window: 4s
    resolve_after: 2s
    group_wait: 2s
    severity: critical
    sinks: [pager]
EOF
daemon_start "$CFG"; is $? 0 "the daemon is ready"
for a in a b c d; do af 203.0.113.7 "$a@example.com" '<!here>'; done >> "$LOG"
wait_for 5 has_req pd 1; is $? 0 "PagerDuty got an event"
wait_for 15 has_req pd 2; is $? 0 "PagerDuty got a second event (the resolve)"
python3 - "$TMP/pd.jsonl" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
assert all(r["path"] == "/v2/enqueue" for r in rs), [r["path"] for r in rs]
t, r = json.loads(rs[0]["body"]), json.loads(rs[1]["body"])
assert t["routing_key"] == "R0UTING0KEY0FROM0A0FILE000000000", t
assert t["event_action"] == "trigger" and r["event_action"] == "resolve", (t, r)
assert t["dedup_key"] == r["dedup_key"] == "eximwatch/mail1.example.com/credential_stuffing"
p = t["payload"]
assert p["source"] == "mail1.example.com" and p["severity"] == "critical", p
assert len(p["summary"]) <= 1024 and "203.0.113.7" in p["summary"], p
assert p["custom_details"]["counts"] == {"203.0.113.7": 4}, p["custom_details"]
assert p["timestamp"].endswith("Z")
print("# " + json.dumps(t))
PY
is $? 0 "trigger then resolve, same dedup_key, routing key, severity, summary, counts"
n=$(sqlite3 "$DB" "SELECT count(*) FROM outbox WHERE body LIKE '%R0UTING0KEY%'")
is "$n" 0 "the routing key is not stored in the outbox"
daemon_stop
grep -q R0UTING0KEY "$TMP/daemon.err"; is $? 1 "the routing key is never logged"
done_testing
