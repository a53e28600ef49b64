#!/bin/bash
# SIGHUP and alerts: a bad alert configuration is refused and the running
# one stays; a good one is taken at once — here a threshold grouped by the
# cPanel owner (userdomains), which fires for three mailboxes of one owner.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/alerts.sh"

receiver hook
printf 'example.com: exampleuser\nexample.org: otheruser\n' > "$TMP/userdomains"
CFG=$TMP/eximwatch.yaml
cat > "$CFG" <<EOF
userdomains: $TMP/userdomains
sinks:
  hook: {type: webhook, url: "http://127.0.0.1:$hook_PORT/hook"}
thresholds:
  - id: quiet
    classes: [auth_failed]
    window: 1m
    count: 1000
    sinks: [hook]
EOF
chmod 600 "$CFG"
daemon_start "$CFG"; is $? 0 "the daemon is ready"

cat > "$CFG" <<EOF
userdomains: $TMP/userdomains
sinks:
  hook: {type: webhook, url: "http://127.0.0.1:$hook_PORT/hook"}
thresholds:
  - id: quiet
    classes: [no_such_class]
    window: 1m
    count: 1
    sinks: [hook]
EOF
kill -HUP "$DPID"
wait_for 5 grep -q 'reload failed' "$TMP/daemon.err"; is $? 0 "a bad reload is refused"
like "$(cat "$TMP/daemon.err")" "eximwatch.yaml:6:15: threshold 'quiet': unknown class 'no_such_class'" \
	"and says where"
kill -0 "$DPID"; is $? 0 "the daemon keeps running"

cat > "$CFG" <<EOF
userdomains: $TMP/userdomains
sinks:
  hook: {type: webhook, url: "http://127.0.0.1:$hook_PORT/hook"}
thresholds:
  - id: owner_under_attack
    classes: [auth_failed]
    by: owner
    distinct: {field: account, count: 3}
    window: 1m
    sinks: [hook]
EOF
kill -HUP "$DPID"
wait_for 5 grep -q 'reloaded:.* 1 thresholds' "$TMP/daemon.err"; is $? 0 "a good reload is taken"
{
	af 192.0.2.1 a@example.com
	af 192.0.2.2 b@example.com
	af 192.0.2.3 x@example.org
	af 192.0.2.4 c@example.com
} >> "$LOG"
wait_for 5 has_req hook 1; is $? 0 "the new threshold fires"
like "$(cat "$TMP/hook.jsonl")" '\\"group\\":\\"exampleuser\\"' "grouped by the cPanel owner"
unlike "$(cat "$TMP/hook.jsonl")" 'otheruser' "the other owner stays under the threshold"
daemon_stop
done_testing
