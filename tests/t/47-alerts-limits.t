#!/bin/bash
# Notification size limits with hostile log text, against receivers that
# enforce them: Slack (as its incoming webhooks check a message: section
# text 3000, header 150, 50 blocks; 400 invalid_blocks otherwise),
# PagerDuty (summary 1024 characters, payload 512 KB; 400 otherwise), the
# real Alertmanager, and a webhook receiver behind a 16 KiB body limit
# (413).  Eleven IPs fire at once, ten of them with HELOs full of &, < and
# >, emoji and other multibyte text, one HELO of 60 KiB; twelve accounts
# fire, two of them 60 KiB of '<'.  Every body is valid JSON within the
# limits, every alert arrives (the webhook's refused batch in parts), the
# text is escaped and visibly cut, no UTF-8 sequence or entity is split.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/alerts.sh"

AM=$(command -v prometheus-alertmanager || echo /usr/bin/prometheus-alertmanager)
[ -x "$AM" ] || skip_all "prometheus-alertmanager is not installed (tests/deps.sh installs it)"

echo slack > "$TMP/slack.mode"
echo pagerduty > "$TMP/pd.mode"
echo 'max 16384' > "$TMP/hook.mode"
receiver slack
receiver pd
receiver hook
receiver amhook
AM_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$TMP/am"
cat > "$TMP/am.yml" <<EOF
route:
  receiver: hook
  group_wait: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: "http://127.0.0.1:$amhook_PORT/am"
EOF
"$AM" --config.file="$TMP/am.yml" --storage.path="$TMP/am" \
	--web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= \
	>"$TMP/am.log" 2>&1 &
_PIDS="$_PIDS $!"
am_ready() { curl -sf "http://127.0.0.1:$AM_PORT/-/ready"; }
wait_for 20 am_ready; is $? 0 "Alertmanager is up on 127.0.0.1:$AM_PORT"

CFG=$TMP/eximwatch.yaml
cat > "$CFG" <<EOF
alerts: {host: mail1.example.com, top: 20}
sinks:
  slack:
    type: slack
    url: "http://127.0.0.1:$slack_PORT/services/T0/B0/x"
    min_interval: 100ms
  pd:
    type: pagerduty
    url: "http://127.0.0.1:$pd_PORT"
    routing_key: R0UTING0KEY0000000000000000000000
  am: {type: alertmanager, url: "http://127.0.0.1:$AM_PORT"}
  hook: {type: webhook, url: "http://127.0.0.1:$hook_PORT/hook"}
thresholds:
  - id: brute_force_ip
    classes: [auth_failed]
    by: ip
    window: 1h
    count: 3
    first_wait: 2s
    sinks: [slack, pd, am, hook]
  - id: account_junk
    classes: [auth_failed]
    by: account
    window: 1h
    count: 3
    first_wait: 2s
    sinks: [slack, pd, am, hook]
EOF
chmod 600 "$CFG"
daemon_start "$CFG"; is $? 0 "the daemon is ready"

python3 - "$LOG" <<'PY'
import sys, time
t = time.strftime("%Y-%m-%d %H:%M:%S")
helos = ["&" * 300, "&" * 300, "&" * 300, "&" * 300,
         "<" * 200 + ">" * 200,
         "\U0001F600" * 100 + "\u00e9" * 100 + "\u4e2d" * 100,
         "&" * 60000,
         "<!channel> &amp; " * 50,
         "`" + "&<>" * 100,
         "<@U123>" * 50]
with open(sys.argv[1], "a") as f:
    for i, h in enumerate(helos):
        for r in range(3):
            f.write(f"{t} dovecot_login authenticator failed for ({h}) "
                    f"[192.0.2.{10 + i}]:50000: 535 Incorrect authentication "
                    f"data (set_id=u{i}@example.com)\n")
    for a in ("a", "b"):
        for r in range(3):
            f.write(f"{t} dovecot_login authenticator failed for (x) "
                    f"[192.0.2.30]:50000: 535 Incorrect authentication data "
                    f"(set_id={'<' * 60000}{a})\n")
PY

am_alerts() { curl -sf "http://127.0.0.1:$AM_PORT/api/v2/alerts"; }
am_has() { [ "$(am_alerts | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 23 ]; }
wait_for 15 has_req slack 2; is $? 0 "Slack got a message per threshold"
wait_for 5 has_req pd 2; is $? 0 "PagerDuty got an event per threshold"
wait_for 10 am_has; is $? 0 "Alertmanager has the 23 alerts"
hook_done() { [ "$(sqlite3 "$DB" "SELECT count(*) FROM outbox WHERE sink = 'hook' AND status = 'pending'")" = 0 ]; }
wait_for 15 hook_done; is $? 0 "the webhook's notifications are all done"
sleep 0.5

python3 - "$TMP/slack.jsonl" <<'PY'
import json, re, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
assert all(r["status"] == 200 for r in rs), [(r["status"], r.get("why")) for r in rs]
PY
is $? 0 "Slack: every message accepted (no invalid_blocks)"

python3 - "$TMP/slack.jsonl" <<'PY'
import json, re, sys
ips = {f"192.0.2.{10 + i}" for i in range(10)} | {"192.0.2.30"}
accounts = {f"u{i}@example.com" for i in range(10)}
seen = set()
for l in open(sys.argv[1]):
    body = json.loads(l)["body"]
    assert "\ufffd" not in body, "a UTF-8 sequence was split"
    m = json.loads(body)
    blocks = m["blocks"]
    assert len(blocks) <= 50, len(blocks)
    texts = [m["text"]]
    for b in blocks:
        if b["type"] == "header":
            t = b["text"]["text"]
            assert len(t.encode()) <= 150, len(t.encode())
        elif b["type"] == "section":
            t = b["text"]["text"]
            assert len(t.encode()) <= 3000, len(t.encode())
        else:
            t = b["elements"][0]["text"]
            assert len(t.encode()) <= 3000, len(t.encode())
        texts.append(t)
    for t in texts:
        assert "<" not in t and ">" not in t, t[:200]
        bad = re.findall(r"&(?!amp;|lt;|gt;)", t)
        assert not bad, ("an & that is not an entity", t[:300])
    text = "\n".join(texts)
    seen |= set(re.findall(r"`(192\.0\.2\.\d+)`", text))
    seen |= set(re.findall(r"`(u\d@example\.com)`", text))
    if "brute_force_ip" in m["text"]:
        assert len([b for b in blocks if b["type"] == "section"]) >= 2, \
            "the ten hostile samples fill more than one section"
        assert "\u2026" in text, "a cut is visible"
        assert "\U0001F600" in text, "multibyte text kept"
assert seen == ips | accounts, sorted((ips | accounts) ^ seen)
print(f"# {len(seen)} groups listed")
PY
is $? 0 "Slack: within the limits, escaped, every IP and account listed"

python3 - "$TMP/pd.jsonl" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
assert all(r["status"] == 202 for r in rs), [(r["status"], r.get("why")) for r in rs]
ev = {json.loads(r["body"])["payload"]["group"]: json.loads(r["body"]) for r in rs}
ips = {f"192.0.2.{10 + i}" for i in range(10)} | {"192.0.2.30"}
c = ev["brute_force_ip"]["payload"]["custom_details"]["counts"]
assert set(c) == ips, sorted(c)
c = ev["account_junk"]["payload"]["custom_details"]["counts"]
assert len(c) == 12 and all(len(k.encode()) <= 200 for k in c), [len(k) for k in c]
for e in ev.values():
    assert len(e["payload"]["summary"]) <= 1024
    assert "\ufffd" not in json.dumps(e, ensure_ascii=False)
print("# body sizes:", [len(r["body"]) for r in rs])
PY
is $? 0 "PagerDuty: both events accepted, every group counted, keys cut"

am_alerts | python3 -c '
import json, sys
a = json.load(sys.stdin)
ips = {f"192.0.2.{10 + i}" for i in range(10)} | {"192.0.2.30"}
got = {x["labels"]["ip"] for x in a if x["labels"]["alertname"] == "brute_force_ip"}
assert got == ips, sorted(got)
acc = [x["labels"]["account"] for x in a if x["labels"]["alertname"] == "account_junk"]
assert len(set(acc)) == 12, acc
for x in a:
    for k, v in x["labels"].items():
        assert len(v.encode()) <= 128, (k, len(v.encode()))
    for k, v in x["annotations"].items():
        assert len(v.encode()) <= 4096, (k, len(v.encode()))
long = [v for v in acc if len(v) > 20]
assert len(long) == 2 and long[0] != long[1] and all(v.startswith("<<<") for v in long), long
'
is $? 0 "Alertmanager: every alert, labels at most 128 bytes, the two long accounts distinct"

python3 - "$TMP/hook.jsonl" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
assert any(r["status"] == 413 for r in rs), "no body was over the receiver's limit"
ok = [json.loads(r["body"]) for r in rs if r["status"] == 200]
groups = {}
for b in ok:
    d = b["data"]
    assert d["firing_total"] == len(d["firing"])
    for g in d["firing"]:
        groups.setdefault(d["threshold"], []).append(g["group"])
ips = {f"192.0.2.{10 + i}" for i in range(10)} | {"192.0.2.30"}
assert sorted(groups["brute_force_ip"]) == sorted(ips), groups["brute_force_ip"]
acc = groups["account_junk"]
assert len(acc) == 12 and len(set(acc)) == 12, acc
assert all(len(r["body"]) <= 16384 for r in rs if r["status"] == 200)
print(f"# {len(rs)} requests, {len(ok)} accepted")
PY
is $? 0 "webhook: the batches refused as too large (413) arrive in parts, every group once"
n=$(sqlite3 "$DB" "SELECT count(*) FROM outbox WHERE sink = 'hook' AND status = 'split'")
[ "$n" -ge 1 ]; is $? 0 "webhook: the refused rows are marked split ($n)"
n=$(sqlite3 "$DB" "SELECT count(*) FROM outbox WHERE status = 'failed'")
is "$n" 0 "no notification failed"
out=$("$EW" alerts --db "$DB" --state firing)
unlike "$out" 'failed' "eximwatch alerts: no alert shows a failed delivery"
is "$(grep -c 'hook: delivered' <<<"$out")" 23 "eximwatch alerts: the webhook delivered all 23 alerts"
daemon_stop
done_testing
