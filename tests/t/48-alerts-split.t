#!/bin/bash
# A receiver that refuses a notification as too large (413 from a web
# server's body limit) does not lose the other alerts of the batch: the row
# is replaced in the outbox by notifications about halves of its alerts
# (halved again while refused), which are sent instead.  The parts are
# durable: with the daemon killed (SIGKILL) while they are pending, they
# are delivered after the restart, and the refused row is never resent.
# A refusal that does not say "too large" (a plain 400), or one about a
# single alert, fails as before, the reason recorded.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/alerts.sh"

# bodies over 4 KiB refused; the smaller ones get 500 (retried) for now
echo 'max 4096 500' > "$TMP/hook.mode"
receiver hook --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
CFG=$TMP/eximwatch.yaml
cat > "$CFG" <<EOF
sinks:
  hook:
    type: webhook
    url: "http://127.0.0.1:$hook_PORT/hook"
    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
    retry_initial: 200ms
    retry_max: 1s
thresholds:
  - id: brute_force_ip
    classes: [auth_failed]
    by: ip
    window: 1h
    count: 3
    first_wait: 1s
    group_wait: 1s
    sinks: [hook]
EOF
chmod 600 "$CFG"
daemon_start "$CFG"; is $? 0 "the daemon is ready"

# eight IPs at once, samples full of '&' (six bytes each once in JSON)
burst() { # FIRST_OCTET COUNT
	python3 - "$LOG" "$1" "$2" <<'PY'
import sys, time
t = time.strftime("%Y-%m-%d %H:%M:%S")
with open(sys.argv[1], "a") as f:
    for i in range(int(sys.argv[3])):
        for r in range(3):
            f.write(f"{t} dovecot_login authenticator failed for ({'&' * 200}) "
                    f"[192.0.2.{int(sys.argv[2]) + i}]:50000: 535 Incorrect "
                    f"authentication data (set_id=bob@example.com)\n")
PY
}
burst 10 8
rows() { sqlite3 "$DB" "SELECT count(*) FROM outbox WHERE sink = 'hook' $1"; }
rows_ge() { [ "$(rows "$2")" -ge "$1" ]; }
wait_for 10 rows_ge 1 "AND status = 'split'"; is $? 0 "the refused notification is split"
parts_pending() { rows_ge 2 "AND status = 'pending'" &&
	rows_ge 1 "AND status = 'pending' AND attempts >= 1"; }
wait_for 10 parts_pending; is $? 0 "its parts are pending (the receiver answers them 500)"
is "$(grep -c '"status": 413' "$TMP/hook.jsonl")" "$(rows "AND status = 'split'")" \
	"one 413 per split row"
grep -q 'refused as too large' "$TMP/daemon.err"; is $? 0 "the daemon says why it split"
pend=$(rows "AND status = 'pending'")

daemon_stop KILL
echo 'max 4096' > "$TMP/hook.mode"
n413=$(grep -c '"status": 413' "$TMP/hook.jsonl")
daemon_start "$CFG"; is $? 0 "the daemon restarts after SIGKILL"
delivered_all() { [ "$(rows "AND status IN ('pending', 'failed')")" = 0 ]; }
wait_for 15 delivered_all; is $? 0 "the $pend parts pending at the kill are delivered after the restart"
is "$(grep -c '"status": 413' "$TMP/hook.jsonl")" "$n413" "the split row is never sent again"
python3 - "$TMP/hook.jsonl" <<'PY'
import json, sys, collections
rs = [json.loads(l) for l in open(sys.argv[1])]
ok = [r for r in rs if 200 <= r["status"] < 300]
ids = collections.Counter(r["webhook_id"] for r in ok)
assert all(n == 1 for n in ids.values()), ids
assert all(r.get("sig_ok") for r in rs), "a signature did not verify"
groups = [g["group"] for r in ok for g in json.loads(r["body"])["data"]["firing"]]
want = [f"192.0.2.{10 + i}" for i in range(8)]
assert sorted(groups) == sorted(want), groups
assert all(len(r["body"]) <= 4096 for r in ok)
PY
is $? 0 "every IP delivered exactly once, in bodies within the receiver's limit"
out=$("$EW" alerts --db "$DB")
is "$(grep -c 'hook: delivered' <<<"$out")" 8 "eximwatch alerts: the eight alerts delivered (through the parts)"

# ---- refusals that splitting cannot help -------------------------------------------------
echo 400 > "$TMP/hook.mode"
before=$(rows "AND status = 'failed'")
burst 30 4
wait_for 10 rows_ge $((before + 1)) "AND status = 'failed'"
is $? 0 "a plain 400 (not about size) for four alerts: failed"
sleep 1
is "$(rows "AND status = 'split'")" "$(grep -c '"status": 413' "$TMP/hook.jsonl")" \
	"... and not split"
echo 'max 1000' > "$TMP/hook.mode"
before=$(rows "AND status = 'failed'")
burst 40 1
wait_for 10 rows_ge $((before + 1)) "AND status = 'failed'"
is $? 0 "a 413 for a single alert: failed, nothing to split"
out=$("$EW" alerts --db "$DB")
like "$out" 'hook: failed \(HTTP 413' "eximwatch alerts: failed, with the reason"
daemon_stop
done_testing
