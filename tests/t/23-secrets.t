#!/bin/bash
# Secrets never printed: the values of url, routing_key, secret and
# password (inline, from a *_file, from a *_env) are masked in check-config's
# messages and in the source line and caret under them, in the daemon's
# errors at start and at a reload, in what `alerts test SINK` prints, and in
# what the daemon logs and records (`eximwatch alerts`) when a sink's server
# answers with an error page that quotes the request (its URL path, its
# body with the PagerDuty routing key).
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/alerts.sh"

run() { RC=0; OUT=$("$@" 2>&1) || RC=$?; }
# no_secret TEXT DESCRIPTION: none of the secrets of this test in TEXT
no_secret() {
	unlike "$1" 'SUPERSECRETTOKEN|ROUTINGSECRET|WHSECRETVALUE|HUNTER2SECRET|QUERYSECRET|FILESECRET|ENVSECRET|PROXYSECRET' "$2"
}

C=$TMP/bad.yaml
cat > "$C" <<'EOF'
sinks:
  s1:
    type: slack
    url: htps://hooks.slack.com/services/T0/B0/SUPERSECRETTOKEN123
  s2: {type: webhook, url: "ftp://x.example/h?k=QUERYSECRET1", secret: whsec_!WHSECRETVALUE}
  s3: {type: pagerduty, routing_key: ROUTINGSECRET99, colour: red}
  s4: {type: webhook, url: "http://127.0.0.1:1/x", password: HUNTER2SECRET}
  s5: {type: slack, url https://hooks.slack.com/services/T0/B0/SUPERSECRETTOKEN123}
  s6: {type: webhook, url: "http://127.0.0.1:1/x", proxy: "http://u:PROXYSECRET1@127.0.0.1:1", timeout: 1}
EOF
chmod 600 "$C"
run "$EW" check-config --config "$C"
is "$RC" 78 "check-config: exit 78"
no_secret "$OUT" "check-config prints no secret: not in a message, not in a source line"
like "$OUT" "bad.yaml:4:10: sink 's1': the url must start with https:// or http://" \
	"the error is still named at its line and column"
like "$OUT" "      url: \\*\\*\\*" "the source line shows the key, its value masked"
like "$OUT" "s2: \\{type: webhook, url: \\*\\*\\*, secret: \\*\\*\\*\\}" \
	"a flow mapping: each secret value masked, the rest kept"
like "$OUT" "routing_key: \\*\\*\\*, colour: red" "a routing key masked"
like "$OUT" "password: \\*\\*\\*" "a password masked (any key named so)"
like "$OUT" "'url https://hooks.slack.com/\\*\\*\\*'" "a URL in a message keeps its host only"
like "$OUT" "proxy: \"http://u:\\*\\*\\*@127.0.0.1:1\"" "a proxy's password masked"
src=$(printf '%s\n' "$OUT" | grep -A1 "bad.yaml:6:55:" | tail -n 1)
caret=$(printf '%s\n' "$OUT" | grep -A2 "bad.yaml:6:55:" | tail -n 1)
pos=${caret%%^*}
is "${src:${#pos}:6}" "colour" "the caret still points at the bad key, after the masked value"

# a line that does not even parse
printf 'sinks:\n  s: {type: slack, url: "https://hooks.slack.com/services/T/B/SUPERSECRETTOKEN9}\n' > "$C"
run "$EW" check-config --config "$C"
is "$RC" 78 "a syntax error: exit 78"
no_secret "$OUT" "... and no secret in its source line"

# the daemon, at start and at a reload
cat > "$C" <<'EOF'
sinks:
  s1:
    type: slack
    url: htps://hooks.slack.com/services/T0/B0/SUPERSECRETTOKEN123
EOF
run "$EW" run --config "$C" --log "$LOG" --db "$DB"
is "$RC" 78 "the daemon refuses it: exit 78"
like "$OUT" "bad.yaml:4:10: sink 's1'" "and names the error"
no_secret "$OUT" "without the secret"
cp "$C" "$TMP/bad-again.yaml"
printf 'sinks:\n  s1: {type: webhook, url: "http://127.0.0.1:1/x"}\n' > "$C"
daemon_start "$C"; is $? 0 "the daemon runs on a good configuration"
cp "$TMP/bad-again.yaml" "$C"
kill -HUP "$DPID"
wait_for 10 grep -q "reload failed" "$TMP/daemon.err"; is $? 0 "a bad reload is refused"
like "$(cat "$TMP/daemon.err")" "bad.yaml:4:10: sink 's1'" "and the error is logged"
no_secret "$(cat "$TMP/daemon.err")" "without the secret"
daemon_stop

# ---- what servers answer: alerts test, the daemon's log, `eximwatch alerts` ----------------
receiver echo
echo "echo 404" > "$TMP/echo.mode"
printf 'http://127.0.0.1:%s/services/T0/B0/FILESECRET42\n' "$echo_PORT" > "$TMP/slack.url"
chmod 600 "$TMP/slack.url"
cat > "$C" <<EOF
sinks:
  slack: {type: slack, url_file: $TMP/slack.url, retry_initial: 100ms}
  pd: {type: pagerduty, url: "http://127.0.0.1:$echo_PORT", routing_key_env: EW_TEST_ROUTING}
  hook: {type: webhook, url_env: EW_TEST_HOOK_URL, secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}
thresholds:
  - id: bf
    classes: [auth_failed]
    by: ip
    window: 1m
    count: 1
    first_wait: 10ms
    sinks: [slack, pd, hook]
EOF
export EW_TEST_ROUTING=ROUTINGSECRET0123456789abcdef
export EW_TEST_HOOK_URL="http://127.0.0.1:$echo_PORT/hooks/ENVSECRET77?token=QUERYSECRET2"
run "$EW" alerts test slack --config "$C"
like "$OUT" "HTTP 404" "alerts test: the server's answer is shown"
like "$OUT" "no such hook: /\\*\\*\\*" "... with the quoted path masked"
no_secret "$OUT" "... and no secret (url_file)"
run "$EW" alerts test pd --config "$C"
like "$OUT" "HTTP 404" "alerts test pd: the answer quotes the request body"
no_secret "$OUT" "... without the routing key (routing_key_env)"
run "$EW" alerts test hook --config "$C"
like "$OUT" "HTTP 404" "alerts test hook"
no_secret "$OUT" "... without the URL's path or query (url_env)"
like "$(cat "$TMP/echo.jsonl")" "FILESECRET42" \
	"(the receiver did get the secret URL: the test is real)"

daemon_start "$C"; is $? 0 "the daemon runs with the three sinks"
af 192.0.2.77 alice@example.com >> "$LOG"
wait_for 10 grep -q "refused" "$TMP/daemon.err"; is $? 0 "the daemon logs the refusals"
wait_for 10 sh -c "[ \$(grep -c refused '$TMP/daemon.err') -ge 3 ]"
like "$(cat "$TMP/daemon.err")" "HTTP 404: no such hook" "with the server's answer"
no_secret "$(cat "$TMP/daemon.err")" "the daemon's log holds no secret"
daemon_stop
run "$EW" alerts --db "$DB"
like "$OUT" "slack: failed \\(HTTP 404" "eximwatch alerts shows the failed delivery"
no_secret "$OUT" "... without a secret"
run "$EW" alerts --db "$DB" --format json
no_secret "$OUT" "... nor in JSON"
no_secret "$(sqlite3 "$DB" 'SELECT last_error FROM outbox' 2>/dev/null || python3 -c "
import sqlite3, sys
print('\n'.join(r[0] or '' for r in sqlite3.connect(sys.argv[1]).execute('SELECT last_error FROM outbox')))" "$DB")" \
	"the outbox records no secret"
done_testing
