#!/bin/bash
# The sender never stalls the tailer: with a sink that accepts the
# connection and never answers, lines are still counted promptly; the
# request times out (timeouts are always set) and is retried; SIGTERM
# mid-send exits promptly and the notification stays pending.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/alerts.sh"

echo hang > "$TMP/hook.mode"
receiver hook
CFG=$TMP/eximwatch.yaml
cat > "$CFG" <<EOF
sinks:
  hook: {type: webhook, url: "http://127.0.0.1:$hook_PORT/hook", timeout: 2s}
thresholds:
  - id: brute_force_ip
    classes: [auth_failed]
    by: ip
    window: 1h
    count: 3
    sinks: [hook]
EOF
daemon_start "$CFG"; is $? 0 "the daemon is ready"
for i in 1 2 3; do af 192.0.2.9 x@example.com; done >> "$LOG"
wait_for 5 has_req hook 1; is $? 0 "the notification went out to the hanging sink"

lines() { "$EW" status --db "$DB" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["lines"])'; }
lines_are() { [ "$(lines)" = "$1" ]; }
t0=$(date +%s.%N)
python3 - "$LOG" <<'PY'
import sys, time
t = time.strftime("%Y-%m-%d %H:%M:%S")
with open(sys.argv[1], "a") as f:
    for i in range(20000):
        f.write(f"{t} H=(bob-pc) [192.0.2.20]:49365 F=<bob@example.com> rejected RCPT <friend@example.net>: SMTP AUTH is required for message submission on port 587\n")
PY
wait_for 5 lines_are 20003; is $? 0 "20000 lines counted while the sink hangs"
t1=$(date +%s.%N)
secs=$(python3 -c "print(round($t1 - $t0, 2))")
diag "counted 20000 lines in ${secs}s with a hanging sink"
python3 -c "import sys; sys.exit(0 if $t1 - $t0 < 3 else 1)"; is $? 0 "promptly (${secs}s < 3s)"
wait_for 6 has_req hook 2; is $? 0 "the hung request timed out and was retried"
out=$("$EW" alerts --db "$DB")
like "$out" 'hook: pending \((Operation timed out|Timeout was reached)' \
	"eximwatch alerts: pending, timed out"
t0=$(date +%s.%N)
daemon_stop TERM
t1=$(date +%s.%N)
python3 -c "import sys; sys.exit(0 if $t1 - $t0 < 2 else 1)"; is $? 0 "SIGTERM mid-send exits promptly"
is "$(sqlite3 "$DB" "SELECT status FROM outbox")" pending "the notification stays pending for the next start"
done_testing
