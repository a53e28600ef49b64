#!/bin/bash
# Notifications delivered while the daemon catches up: a catch-up's writer
# thread owns the database connection (one connection, no SQLite mutex), so
# nothing on the main thread may use it meanwhile — the sender records each
# delivery in the outbox.  The daemon ends every catch-up before it returns
# to its event loop, where deliveries complete; store_lend() logs any use
# from the wrong thread.  A receiver that answers after a delay makes the
# answers come in between bursts of log lines that keep the writer busy;
# every notification ends delivered, and the store never saw two threads.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/alerts.sh"

echo "delay 0.7" > "$TMP/hook.mode"
receiver hook
CFG=$TMP/eximwatch.yaml
cat > "$CFG" <<EOF
sinks:
  hook:
    type: webhook
    url: "http://127.0.0.1:$hook_PORT/hook"
    retry_initial: 200ms
    retry_max: 1s
thresholds:
  - id: brute_force_ip
    classes: [auth_failed]
    by: ip
    window: 1h
    count: 3
    first_wait: 100ms
    group_wait: 200ms
    sinks: [hook]
EOF
daemon_start "$CFG"; is $? 0 "the daemon is ready"

# bursts of traffic lines (about 60,000 a burst), back to back for ~6 s:
# each burst is a catch-up on the writer thread
burst() {
	local end=$((SECONDS + 6)) now
	while [ "$SECONDS" -lt "$end" ]; do
		now=$(date '+%Y-%m-%d %H:%M:%S')
		awk -v t="$now" 'BEGIN { for (i = 0; i < 60000; i++)
			printf "%s 1xV2wU-%06d-2r Completed\n", t, i }' >> "$LOG"
		sleep 0.05
	done
}
burst &
BPID=$!
_PIDS="$_PIDS $BPID"
for i in 1 2 3 4 5 6 7 8; do
	for k in 1 2 3; do af "192.0.2.$i" bob@example.com; done >> "$LOG"
	sleep 0.6
done
wait "$BPID"

delivered() { [ "$(sqlite3 "$DB" "SELECT count(*) FROM outbox WHERE status = 'delivered'")" = "$(sqlite3 "$DB" "SELECT count(*) FROM outbox")" ]; }
wait_for 20 delivered; is $? 0 "every notification is delivered"
n=$(sqlite3 "$DB" "SELECT count(*) FROM outbox")
[ "$n" -ge 2 ]; is $? 0 "several notifications were sent during the bursts ($n)"
grep -q "used by one thread while another owns it" "$TMP/daemon.err"
is $? 1 "the database was never used by two threads at once"
daemon_stop TERM
done_testing
