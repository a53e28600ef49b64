#!/bin/bash
# The alert configuration: every error as file:line:col from check-config
# and from the daemon (exit 78); secrets from files and the environment;
# the warning for a world-readable file holding secrets; the shipped
# example; `eximwatch alerts test SINK`.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/alerts.sh"

run() { RC=0; OUT=$("$@" 2>&1) || RC=$?; }

C=$TMP/bad.yaml
cat > "$C" <<'EOF'
sinks:
  slack: {type: slack}
  pd: {type: pagerduty, routing_key_env: EW_NO_SUCH_VARIABLE}
  hook: {type: webhook, url: ftp://x, secret: whsec_!!, colour: red}
  odd: {type: carrier-pigeon, url: http://127.0.0.1:1}
thresholds:
  - id: bf
    classes: [auth_failed, no_such_class]
    by: house
    window: soon
    count: many
    sinks: [slack, nowhere]
  - id: both
    classes: [auth_failed]
    window: 10m
    count: 3
    distinct: {field: ip, count: 3}
    severity: loud
  - id: fine
    classes: [relay_denied]
    window: 1m
    count: 1
  - id: fine
    classes: [relay_denied]
    window: 1m
    count: 1
EOF
run "$EW" check-config --config "$C"
is "$RC" 78 "check-config: alert errors exit 78"
like "$OUT" "bad.yaml:2:[0-9]+: sink 'slack' needs a url" "a sink without url"
like "$OUT" "bad.yaml:3:[0-9]+: 'routing_key_env': the environment variable EW_NO_SUCH_VARIABLE is not set" \
	"a missing environment variable"
like "$OUT" "bad.yaml:4:[0-9]+: unknown key 'colour' in sink 'hook'" "an unknown sink key"
like "$OUT" "url must start with https:// or http://" "a bad url scheme"
like "$OUT" "a whsec_ secret must be base64" "a bad whsec_ secret"
like "$OUT" "bad.yaml:5:[0-9]+: unknown sink type 'carrier-pigeon'" "an unknown sink type"
like "$OUT" "bad.yaml:9:9: 'by' must be ip, prefix, account, owner or global" "a bad 'by' at its column"
like "$OUT" "bad.yaml:10:13: 'window' must be a duration" "a bad window at its column"
like "$OUT" "bad.yaml:11:12: 'count' must be a whole number" "a bad count"
like "$OUT" "needs exactly one of 'count' and 'distinct'" "count and distinct together"
like "$OUT" "bad.yaml:23:5: duplicate threshold id 'fine' \\(first at line 19\\)" "a duplicate id"
like "$OUT" "severity must be critical, error, warning, notice or info" "a bad severity"
like "$OUT" "\\^" "a caret under the spot"
n=$(printf '%s\n' "$OUT" | grep -c 'bad.yaml:[0-9]*:[0-9]*:')
[ "$n" -ge 11 ]; is $? 0 "every error is reported, not only the first ($n)"

cat > "$C" <<'EOF'
sinks:
  hook: {type: webhook, url: "http://127.0.0.1:1/x"}
thresholds:
  - id: bf
    classes: [auth_failed, no_such_class]
    window: 10m
    count: 3
    sinks: [hook, nowhere]
EOF
run "$EW" check-config --config "$C"
is "$RC" 78 "unknown class and sink: exit 78"
like "$OUT" "bad.yaml:5:28: threshold 'bf': unknown class 'no_such_class'" "an unknown class at its column"
like "$OUT" "threshold 'bf' names an unknown sink 'nowhere'" "an unknown sink"
run "$EW" run --config "$C" --log "$LOG" --db "$DB"
is "$RC" 78 "the daemon refuses it too: exit 78"
like "$OUT" "bad.yaml:5:28: threshold 'bf': unknown class 'no_such_class'" "the daemon prints file:line:col"

# ---- secrets from files and the environment; the world-readable warning ------------------
echo "http://127.0.0.1:1/from-file" > "$TMP/url"
cat > "$C" <<EOF
sinks:
  a: {type: slack, url_file: $TMP/url}
  b: {type: pagerduty, routing_key_env: EW_TEST_PD_KEY, url: "http://127.0.0.1:1"}
EOF
chmod 644 "$C"
EW_TEST_PD_KEY=k123 run "$EW" check-config --config "$C"
is "$RC" 0 "secrets from a file and the environment"
unlike "$OUT" "readable by everyone" "no warning when the file holds no secret"
cat > "$C" <<'EOF'
sinks:
  a: {type: slack, url: "http://127.0.0.1:1/T000/B000/SECRET"}
EOF
chmod 644 "$C"
run "$EW" check-config --config "$C"
like "$OUT" "readable by everyone" "check-config warns: world-readable file with an inline secret"
unlike "$OUT" "SECRET" "and does not print the secret"
: > "$LOG"
"$EW" run --config "$C" --log "$LOG" --db "$DB" >"$TMP/o" 2>"$TMP/e" &
p=$!; _PIDS="$_PIDS $p"
wait_for 10 grep -q ready "$TMP/o"
kill "$p"; wait "$p"
like "$(cat "$TMP/e")" "readable by everyone and holds secrets" "the daemon warns too"
unlike "$(cat "$TMP/e")" "SECRET" "without printing the secret"

# ---- the shipped example -----------------------------------------------------------------
EX=$ROOT/packaging/eximwatch.yaml.example
sed -e "s|url_file: .*|url: \"http://127.0.0.1:1/x\"|" \
    -e "s|routing_key_file: .*|routing_key: k|" \
    -e "s|secret_file: .*|secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw|" "$EX" > "$TMP/example.yaml"
run "$EW" check-config --config "$TMP/example.yaml"
is "$RC" 0 "packaging/eximwatch.yaml.example is valid"
diag "$OUT"

# ---- alerts test SINK ----------------------------------------------------------------------
receiver slack
receiver hook --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
cat > "$C" <<EOF
sinks:
  s: {type: slack, url: "http://127.0.0.1:$slack_PORT/x"}
  h: {type: webhook, url: "http://127.0.0.1:$hook_PORT/x", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}
  down: {type: webhook, url: "http://127.0.0.1:1/x", connect_timeout: 500ms}
EOF
chmod 600 "$C"
run "$EW" alerts test s --config "$C"
is "$RC" 0 "alerts test: exit 0 on 2xx"
like "$OUT" "sink 's' \\(slack\\): HTTP 200" "alerts test reports the HTTP outcome"
like "$(cat "$TMP/slack.jsonl")" 'TEST eximwatch_test' "the receiver got a test message"
run "$EW" alerts test h --config "$C"
is "$RC" 0 "alerts test through a signed webhook"
like "$(cat "$TMP/hook.jsonl")" '"sig_ok": true' "its signature verifies"
echo 500 > "$TMP/slack.mode"
run "$EW" alerts test s --config "$C"
[ "$RC" != 0 ]; is $? 0 "alerts test: non-zero on HTTP 500 ($RC)"
like "$OUT" "HTTP 500" "and says so"
run "$EW" alerts test down --config "$C"
[ "$RC" != 0 ]; is $? 0 "alerts test: non-zero when the connection is refused"
like "$OUT" "failed: .*(connect|refused)" "and says why"
run "$EW" alerts test nosuch --config "$C"
is "$RC" 64 "alerts test: an unknown sink is a usage error"

# ---- proxy and TLS verification ------------------------------------------------------------
echo 200 > "$TMP/slack.mode"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
	>/dev/null 2>&1
receiver tls --tls "$TMP/cert.pem" "$TMP/key.pem"
cat > "$C" <<EOF
sinks:
  viaproxy: {type: webhook, url: "http://127.0.0.1:1/through-the-proxy", proxy: "http://127.0.0.1:$slack_PORT"}
  selfsigned: {type: webhook, url: "https://127.0.0.1:$tls_PORT/x"}
EOF
run "$EW" alerts test viaproxy --config "$C"
is "$RC" 0 "a sink's proxy is used"
like "$(tail -n 1 "$TMP/slack.jsonl")" '"path": "http://127.0.0.1:1/through-the-proxy"' \
	"the proxy got the request for the sink's URL"
run "$EW" alerts test selfsigned --config "$C"
[ "$RC" != 0 ]; is $? 0 "TLS is verified: a self-signed certificate is refused"
like "$OUT" "SSL certificate problem|certificate verify failed" "and the reason is the certificate"
[ ! -s "$TMP/tls.jsonl" ]; is $? 0 "nothing was sent to it"
done_testing
