#!/bin/bash
# The durable outbox: the webhook receiver is down (connection refused),
# then answers 500, then 429 with Retry-After, then recovers — every
# notification arrives, each webhook-id accepted exactly once.  The daemon
# killed with SIGKILL while notifications are pending delivers them after a
# restart.  A 400 is not retried and the reason is recorded.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/alerts.sh"

# a port nobody listens on (yet): the receiver will come up there later
receiver hook --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
PORT=$hook_PORT
receiver_stop hook
CFG=$TMP/eximwatch.yaml
cat > "$CFG" <<EOF
sinks:
  hook:
    type: webhook
    url: "http://127.0.0.1:$PORT/hook"
    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
    retry_initial: 200ms
    retry_max: 1s
    timeout: 2s
thresholds:
  - id: brute_force_ip
    classes: [auth_failed]
    by: ip
    window: 1h
    count: 3
    group_wait: 1s
    first_wait: 100ms
    sinks: [hook]
EOF
chmod 600 "$CFG"
daemon_start "$CFG"; is $? 0 "the daemon is ready"

cross() { for i in 1 2 3; do af "$1" bob@example.com; done >> "$LOG"; }
rows() { sqlite3 "$DB" "SELECT count(*) FROM outbox WHERE sink = 'hook' ${1:-}"; }
rows_eq() { [ "$(rows "${2:-}")" = "$1" ]; }
status_ge() { [ "$(grep -c "\"status\": $1" "$TMP/hook.jsonl")" -ge "$2" ]; }

# three separate batches while the receiver is down
cross 192.0.2.1; sleep 1.3
cross 192.0.2.2; sleep 1.3
cross 192.0.2.3
wait_for 5 rows_eq 3; is $? 0 "three notifications in the outbox"
wait_for 5 rows_eq 1 "AND attempts >= 2"
is $? 0 "the oldest is retried while the receiver refuses connections"
is "$(rows "AND status = 'pending'")" 3 "all three stay pending, in order behind it"
out=$("$EW" alerts --db "$DB")
like "$out" "hook: pending \\((Failed to connect|Couldn't connect|Connection refused)" \
	"eximwatch alerts: pending with the connection error"

# the receiver comes back but answers 500, then 429 with Retry-After: 1
echo 500 > "$TMP/hook.mode"
receiver hook --port "$PORT" --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
wait_for 10 grep -q '"status": 500' "$TMP/hook.jsonl"; is $? 0 "500s are retried"
echo '429 1' > "$TMP/hook.mode"
wait_for 10 status_ge 429 3
is $? 0 "429s are retried"
python3 - "$TMP/hook.jsonl" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
# every request that follows a 429 for the same id waits for Retry-After
last = {}
bad = []
for r in rs:
    i = r.get("webhook_id")
    if i in last and last[i]["status"] == 429 and r["t"] - last[i]["t"] < 0.9:
        bad.append((i, r["t"] - last[i]["t"]))
    last[i] = r
assert not bad, bad
PY
is $? 0 "Retry-After is honoured (>= 1s between tries of one id after a 429)"
echo 200 > "$TMP/hook.mode"
wait_for 15 rows_eq 3 "AND status = 'delivered'"
is $? 0 "all three delivered after the receiver recovered"

accepted_once() { # every outbox id accepted exactly once, no duplicate
	python3 - "$TMP/hook.jsonl" "$1" <<'PY'
import json, sys, collections
rs = [json.loads(l) for l in open(sys.argv[1])]
ok = collections.Counter(r["webhook_id"] for r in rs if 200 <= r["status"] < 300)
want = set("msg_%s" % i for i in sys.argv[2].split())
assert set(ok) == want, (sorted(ok), sorted(want))
assert all(n == 1 for n in ok.values()), ok
assert not any(r.get("dup") for r in rs), "a duplicate was sent"
assert all(r.get("sig_ok") for r in rs), "a signature did not verify"
PY
}
ids=$(sqlite3 "$DB" "SELECT id FROM outbox WHERE sink = 'hook' ORDER BY id")
accepted_once "$ids"; is $? 0 "each webhook-id accepted exactly once, signatures valid"
out=$("$EW" alerts --db "$DB")
is "$(grep -c 'hook: delivered' <<<"$out")" 3 "eximwatch alerts: three delivered"

# ---- SIGKILL with notifications pending -----------------------------------------------
receiver_stop hook
cross 192.0.2.4
wait_for 5 rows_eq 1 "AND status = 'pending' AND attempts >= 1"
is $? 0 "a notification is pending (receiver down)"
daemon_stop KILL
receiver hook --port "$PORT" --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
daemon_start "$CFG"; is $? 0 "the daemon restarts after SIGKILL"
wait_for 10 rows_eq 4 "AND status = 'delivered'"
is $? 0 "the pending notification is delivered after the restart"
ids=$(sqlite3 "$DB" "SELECT id FROM outbox WHERE sink = 'hook' ORDER BY id")
accepted_once "$ids"; is $? 0 "still each webhook-id exactly once"
is "$(rows)" 4 "no notification was added or lost by the restart"
grep -q 'pending from before' "$TMP/daemon.err"; is $? 0 "the restart says it resends"

# ---- a 400 is final --------------------------------------------------------------------------
echo 400 > "$TMP/hook.mode"
cross 192.0.2.5
wait_for 5 rows_eq 1 "AND status = 'failed'"; is $? 0 "HTTP 400: failed"
sleep 1.5
is "$(grep -c '"status": 400' "$TMP/hook.jsonl")" 1 "HTTP 400 is not retried"
out=$("$EW" alerts --db "$DB")
like "$out" 'hook: failed \(HTTP 400' "eximwatch alerts: failed, with the reason"
daemon_stop
done_testing
