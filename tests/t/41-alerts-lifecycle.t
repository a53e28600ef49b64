#!/bin/bash
# Alerts end to end with the real daemon and real HTTP receivers: a brute
# force fires the per-IP alert and then resolves; hostile HELO text reaches
# Slack escaped; a 500-IP attack is a handful of messages; `eximwatch
# alerts` shows the delivery; the Standard Webhooks signature verifies.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/alerts.sh"

receiver slack
receiver hook --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
CFG=$TMP/eximwatch.yaml
cat > "$CFG" <<EOF
alerts: {host: mail1.example.com}
sinks:
  slack: {type: slack, url: "http://127.0.0.1:$slack_PORT/services/T0/B0/x"}
  hook:
    type: webhook
    url: "http://127.0.0.1:$hook_PORT/hook"
    secret_file: $TMP/hook.secret
    retry_initial: 200ms
thresholds:
  - id: brute_force_ip
    classes: [auth_failed]
    by: ip
    window: 5s
    count: 5
    resolve_after: 3s
    group_wait: 3s
    severity: warning
    sinks: [slack, hook]
  - id: credential_stuffing
    classes: [auth_failed]
    by: ip
    distinct: {field: account, count: 5}
    window: 5s
    sinks: [slack]
EOF
echo whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw > "$TMP/hook.secret"
chmod 600 "$CFG"

ok "check-config accepts the alert sections" "$EW" check-config --config "$CFG"
daemon_start "$CFG"; is $? 0 "the daemon is ready"

# ---- a brute force from one IP, with a hostile HELO ----------------------------------
HELO='<!channel> <http://evil.example|click> <@U123> &amp;'
for i in 1 2 3 4 5 6; do af 192.0.2.66 alice@example.com "$HELO"; done >> "$LOG"
wait_for 5 has_req slack 1; is $? 0 "the Slack receiver got the firing message"
wait_for 5 has_req hook 1; is $? 0 "the webhook receiver got it too"
S=$(head -n 1 "$TMP/slack.jsonl")
body=$(python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["body"])' <<<"$S")
like "$body" 'FIRING brute_force_ip on mail1.example.com' "Slack: the title names threshold and host"
like "$body" '192\.0\.2\.66' "Slack: the offending IP is listed"
unlike "$body" '<!channel>' "Slack: the raw bytes <!channel> never appear"
unlike "$body" '<@U123>|<http' "Slack: no raw <@U…> or <http…> either"
text=$(python3 -c '
import json, sys
b = json.loads(json.loads(sys.stdin.read())["body"])
print(b["text"]); [print(json.dumps(x)) for x in b["blocks"]]' <<<"$S")
like "$text" '&lt;!channel&gt; &lt;http://evil.example\|click&gt; &lt;@U123&gt; &amp;amp;' \
	"Slack: decoded, the HELO is mrkdwn-escaped text"
python3 - "$TMP/slack.jsonl" <<'PY'
import json, re, sys
for l in open(sys.argv[1]):
    b = json.loads(json.loads(l)["body"])
    texts = [b["text"]]
    def walk(x):
        if isinstance(x, dict):
            for k, v in x.items():
                if k == "text" and isinstance(v, str):
                    texts.append(v)
                else:
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
    walk(b["blocks"])
    for t in texts:
        # after JSON decoding, no '<' may start a Slack control sequence
        assert "<" not in t and ">" not in t, t
PY
is $? 0 "Slack: no < or > in any decoded text (no mention, no link)"
H=$(head -n 1 "$TMP/hook.jsonl")
like "$H" '"sig_ok": true' "webhook: the Standard Webhooks signature verifies"
like "$H" '"webhook-id": "msg_[0-9]+"' "webhook: a webhook-id header"
like "$H" 'alert.firing' "webhook: type alert.firing"
is "$(reqs slack)" 1 "one Slack message for the crossing"

out=$("$EW" alerts --db "$DB" --state firing)
like "$out" 'brute_force_ip +192\.0\.2\.66 +firing' "eximwatch alerts lists the firing alert"
like "$out" 'slack: delivered; hook: delivered|hook: delivered; slack: delivered' \
	"eximwatch alerts shows the delivery per sink"

# ---- it resolves: 5s window + 3s under the threshold ----------------------------------
wait_for 15 has_req slack 2; is $? 0 "a resolve message arrives"
like "$(tail -n 1 "$TMP/slack.jsonl")" 'RESOLVED brute_force_ip' "Slack: resolved"
wait_for 5 has_req hook 2
like "$(tail -n 1 "$TMP/hook.jsonl")" 'alert.resolved' "webhook: alert.resolved"
out=$("$EW" alerts --db "$DB" --format json)
python3 -c '
import json, sys
a = json.load(sys.stdin)["alerts"]
assert len(a) == 1 and a[0]["state"] == "resolved" and a[0]["peak"] >= 5, a
assert all(d["status"] == "delivered" and d["notifications"] == 2 for d in a[0]["delivery"]), a
' <<<"$out"
is $? 0 "alerts --format json: resolved, both sinks delivered twice"
n=$("$EW" alerts --db "$DB" --since 1h --state resolved --format json | grep -c '"id"')
is "$n" 1 "alerts --since 1h --state resolved: the alert"
n=$("$EW" alerts --db "$DB" --since "@$(($(date +%s) + 60))" --format json | grep -c '"id"')
is "$n" 0 "alerts --since (a minute ahead): nothing"
n=$("$EW" alerts --db "$DB" --state firing --format json | grep -c '"id"')
is "$n" 0 "alerts --state firing: nothing firing now"

# ---- a 500-IP attack is a bounded number of messages ------------------------------------
before=$(reqs slack)
python3 - "$LOG" <<'PY'
import sys, time
t = time.strftime("%Y-%m-%d %H:%M:%S")
with open(sys.argv[1], "a") as f:
    for r in range(5):
        for i in range(500):
            f.write(f"{t} dovecot_login authenticator failed for (x) [198.51.{100 + i // 250}.{i % 250 + 1}]:4000: 535 Incorrect authentication data (set_id=a{r}@example.com)\n")
PY
wait_for 10 has_req slack $((before + 1))
sleep 5
n=$(( $(reqs slack) - before ))
[ "$n" -ge 1 ] && [ "$n" -le 5 ]; is $? 0 "500 IPs crossing: $n Slack message(s) (1..5)"
grep -q 'and [0-9][0-9]* more' "$TMP/slack.jsonl"
is $? 0 "the message lists the top offenders and counts the rest"
firing=$("$EW" alerts --db "$DB" --state firing --format json |
	python3 -c 'import json,sys; print(len([a for a in json.load(sys.stdin)["alerts"] if a["threshold"] == "brute_force_ip"]))')
is "$firing" 500 "500 alerts firing in the database"
[ "$n" -ge 2 ]; is $? 0 "both thresholds notified ($n messages)"
python3 - "$TMP/slack.jsonl" <<'PY'
import json, sys
ts = [json.loads(l)["t"] for l in open(sys.argv[1])]
gaps = [b - a for a, b in zip(ts, ts[1:])]
assert all(g >= 0.95 for g in gaps), gaps
PY
is $? 0 "Slack: at most one message per second per webhook"

daemon_stop
grep -q 'services/T0' "$TMP/daemon.err"; is $? 1 "the Slack URL (a secret) is never logged"
grep -q 'whsec_' "$TMP/daemon.err"; is $? 1 "the signing secret is never logged"
done_testing
