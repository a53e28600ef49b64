#!/bin/bash
# The daemon diagnoses as it follows the log and raises each finding through
# the outbox and the sinks of its verdict's route, with real HTTP
# receivers: one notification per finding (verdict, subject, evidence,
# remedy), hostile account text escaped for Slack, no repeat before
# `repeat`, a resolve once the finding is gone for `resolve_after`, nothing
# again after a restart; the daemon records known clients too.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/alerts.sh"

receiver slack
receiver hook --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
receiver help
CFG=$TMP/eximwatch.yaml
cat > "$CFG" <<EOF
alerts: {host: mail1.example.com}
sinks:
  slack: {type: slack, url: "http://127.0.0.1:$slack_PORT/services/T0/B0/x"}
  hook: {type: webhook, url: "http://127.0.0.1:$hook_PORT/hook", secret_file: $TMP/hook.secret}
  help: {type: webhook, url: "http://127.0.0.1:$help_PORT/help"}
diagnose:
  window: 2m
  interval: 1s
  resolve_after: 2s
  repeat: 1h
  route:
    attack: [slack, hook]
    helpdesk: [help]
EOF
echo whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw > "$TMP/hook.secret"
chmod 600 "$CFG"
q() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$DB" "$1"; }

ok "check-config accepts the diagnose: section with its route" "$EW" check-config --config "$CFG"
printf 'diagnose:\n  route: {attack: [nosuch]}\n' >"$TMP/bad.yaml"
"$EW" run --config "$TMP/bad.yaml" --log "$LOG" --db "$TMP/bad.db" >/dev/null 2>"$TMP/bad.err"
is "$?" 78 "the daemon refuses a route to an unknown sink"
like "$(cat "$TMP/bad.err")" "bad.yaml:2:19: 'diagnose.route.attack' names an unknown sink 'nosuch'" \
	"... saying where"

daemon_start "$CFG"; is $? 0 "the daemon is ready"
# a login: a known client, recorded by the daemon
printf '%s 1xV2wU-00011p-2r <= carol@example.com H=(pc) [192.0.2.10]:5000 P=esmtpsa A=dovecot_login:carol@example.com S=9 for x@r.test\n' \
	"$(date '+%Y-%m-%d %H:%M:%S')" >>"$LOG"
known_one() { [ "$(q "SELECT count(*) FROM known_clients")" = 1 ]; }
wait_for 10 known_one
is "$(q "SELECT count(*) FROM known_clients k JOIN accounts a ON a.id = k.account_id WHERE a.name = 'carol@example.com' AND hex(k.addr) = '04C000020A'")" 1 \
	"the daemon records the known client (192.0.2.10 for carol)"

# password guessing, with an account name that tries to ping everybody.
# The finding resolves once its events' minute has left the window (2m,
# read by minute: the minute stays in it until 120 s after its start).
# Stamped now that takes 60-120 s; stamped in the minute before, 0-60 s.
# So: the minute before while that leaves at least 30 s (for the checks
# below, which take a few seconds), else now: the resolve comes 30-90 s
# after the events, never sooner than 30 s.
now=$(date +%s)
[ $((now % 60)) -le 30 ] && now=$((now - 60))
ST=$(date -d "@$now" '+%Y-%m-%d %H:%M:%S')
diag "the failures are stamped $ST: the resolve is due in about $((now / 60 * 60 + 120 - $(date +%s))) s"
afs() { af "$@" | sed "s/^[0-9-]* [0-9:]*/$ST/"; }   # af, stamped $ST
for i in 1 2 3 4 5 6; do afs 198.51.100.66 "<!channel>$i@example.com"; done >> "$LOG"
wait_for 10 has_req hook 1; is $? 0 "the webhook gets the finding"
wait_for 5 has_req slack 1; is $? 0 "Slack gets it too"
H=$(head -n 1 "$TMP/hook.jsonl")
ok "webhook: finding.firing, the verdict, the subject, the evidence, the remedy; signed" python3 -c '
import json, sys
r = json.loads(sys.argv[1])
assert r.get("sig_ok") is True, r
b = json.loads(r["body"])
assert b["type"] == "finding.firing", b
d = b["data"]; f = d["finding"]
assert d["host"] == "mail1.example.com" and d["state"] == "firing"
assert f["kind"] == "brute_force" and f["verdict"] == "attack", f
assert f["ip"] == "198.51.100.66" and f["events"] == 6, f
assert f["evidence"]["accounts_tried"] == 6 and f["evidence"]["never_logged_in"] is True, f
assert f["remedy"].startswith("Password guessing"), f
assert "6 failed logins for 6 accounts" in d["summary"], d
' "$H"
S=$(head -n 1 "$TMP/slack.jsonl")
body=$(python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["body"])' <<<"$S")
unlike "$body" '<!channel>' "Slack: the raw <!channel> of the account names never appears"
text=$(python3 -c '
import json, sys
b = json.loads(json.loads(sys.stdin.read())["body"])
print(b["text"]); [print(json.dumps(x)) for x in b["blocks"]]' <<<"$S")
like "$text" 'ATTACK brute_force on mail1.example.com: 198.51.100.66' "Slack: verdict, kind, host, subject"
like "$text" '&lt;!channel&gt;1@example.com' "Slack: the account names are mrkdwn-escaped text"
like "$text" 'Remedy:\* Password guessing' "Slack: the remedy"
is "$(reqs help)" 0 "a verdict routed elsewhere goes elsewhere (the helpdesk sink got nothing)"
is "$(q "SELECT count(*) FROM findings WHERE kind = 'brute_force' AND state = 'firing'")" 1 \
	"the finding is recorded, firing"

# more failures from the same address: the same finding, no new message
sleep 2
afs 198.51.100.66 admin@example.com >> "$LOG"
sleep 3
is "$(reqs hook)" 1 "no second message while it goes on (repeat 1h)"
is "$(q "SELECT events FROM findings WHERE kind = 'brute_force'")" 7 "... its count follows"

# gone from the window (its events' minute stays in it 30-90 s more, see
# above) for resolve_after (2s): resolved
wait_for 130 has_req hook 2; is $? 0 "the resolve arrives once the finding is gone"
R=$(sed -n 2p "$TMP/hook.jsonl")
ok "webhook: finding.resolved, the same subject" python3 -c '
import json, sys
b = json.loads(json.loads(sys.argv[1])["body"])
assert b["type"] == "finding.resolved" and b["data"]["state"] == "resolved", b
assert b["data"]["finding"]["ip"] == "198.51.100.66" and "resolved_at" in b["data"], b
' "$R"
wait_for 5 has_req slack 2; is $? 0 "Slack gets the resolve"
like "$(sed -n 2p "$TMP/slack.jsonl")" 'RESOLVED ATTACK brute_force' "Slack: RESOLVED in the title"
is "$(q "SELECT state FROM findings WHERE kind = 'brute_force'")" resolved "the finding is resolved in the store"
is "$(q "SELECT count(*) FROM outbox WHERE threshold = 'diagnose/brute_force' AND status = 'delivered'")" 4 \
	"four notifications through the outbox, all delivered"

# a restart raises nothing again
daemon_stop
daemon_start "$CFG"; is $? 0 "the daemon restarts"
sleep 3
is "$(reqs hook)" 2 "nothing repeated after the restart"
daemon_stop

done_testing
