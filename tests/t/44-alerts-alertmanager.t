#!/bin/bash
# A real Prometheus Alertmanager (Debian's prometheus-alertmanager, cluster
# disabled, on 127.0.0.1): eximwatch posts the alert, the API shows it with
# our labels; on resolve we send endsAt and Alertmanager sends "resolved"
# on to its own receiver (a local webhook).
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/alerts.sh"

AM=$(command -v prometheus-alertmanager || echo /usr/bin/prometheus-alertmanager)
[ -x "$AM" ] || skip_all "prometheus-alertmanager is not installed (tests/deps.sh installs it)"

receiver amhook   # Alertmanager's own webhook receiver
AM_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$TMP/am"
cat > "$TMP/am.yml" <<EOF
route:
  receiver: hook
  group_by: [alertname, ip]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: "http://127.0.0.1:$amhook_PORT/am"
        send_resolved: true
EOF
"$AM" --config.file="$TMP/am.yml" --storage.path="$TMP/am" \
	--web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= \
	>"$TMP/am.log" 2>&1 &
_PIDS="$_PIDS $!"
am_ready() { curl -sf "http://127.0.0.1:$AM_PORT/-/ready"; }
wait_for 20 am_ready; is $? 0 "Alertmanager is up on 127.0.0.1:$AM_PORT"

CFG=$TMP/eximwatch.yaml
cat > "$CFG" <<EOF
alerts: {host: mail1.example.com}
sinks:
  am: {type: alertmanager, url: "http://127.0.0.1:$AM_PORT"}
thresholds:
  - id: brute_force_ip
    classes: [auth_failed]
    by: ip
    window: 4s
    count: 3
    resolve_after: 2s
    group_wait: 2s
    severity: warning
    sinks: [am]
EOF
daemon_start "$CFG"; is $? 0 "the daemon is ready"
for i in 1 2 3 4; do af 192.0.2.44 carol@example.com; done >> "$LOG"

am_alerts() { curl -sf "http://127.0.0.1:$AM_PORT/api/v2/alerts"; }
has_alert() { am_alerts | grep -q '"alertname":"brute_force_ip"'; }
wait_for 10 has_alert; is $? 0 "Alertmanager has the alert"
am_alerts | python3 -c '
import json, sys
a = [x for x in json.load(sys.stdin) if x["labels"].get("alertname") == "brute_force_ip"]
assert len(a) == 1, a
l = a[0]["labels"]
want = {"alertname": "brute_force_ip", "severity": "warning", "host": "mail1.example.com",
        "ip": "192.0.2.44", "class": "auth_failed"}
assert l == want, l
assert a[0]["status"]["state"] == "active", a[0]["status"]
assert "192.0.2.44" in a[0]["annotations"]["summary"] and a[0]["annotations"]["remedy"]
print("# labels:", json.dumps(l))
'
is $? 0 "labels: alertname, severity, host, ip, class; annotations summary, remedy"
"$EW" alerts --db "$DB" | grep -q 'am: delivered'; is $? 0 "eximwatch alerts: am delivered"

# resolve: 4s window + 2s; eximwatch sends endsAt, Alertmanager resolves
am_resolved() { grep -qF '\"status\":\"resolved\"' "$TMP/amhook.jsonl"; }
wait_for 25 am_resolved; is $? 0 "Alertmanager notified its receiver: resolved"
python3 - "$TMP/amhook.jsonl" <<'PY'
import json, sys, datetime
rs = [json.loads(json.loads(l)["body"]) for l in open(sys.argv[1])]
res = [r for r in rs if r["status"] == "resolved"]
assert res, [r["status"] for r in rs]
a = res[-1]["alerts"][0]
assert a["labels"]["ip"] == "192.0.2.44"
end = datetime.datetime.fromisoformat(a["endsAt"].replace("Z", "+00:00"))
start = datetime.datetime.fromisoformat(a["startsAt"].replace("Z", "+00:00"))
assert start < end <= datetime.datetime.now(datetime.timezone.utc), (start, end)
PY
is $? 0 "the resolved alert carries our endsAt"
gone() { ! am_alerts | python3 -c '
import json, sys
a = [x for x in json.load(sys.stdin) if x["labels"].get("alertname") == "brute_force_ip"]
sys.exit(0 if a else 1)'; }
wait_for 5 gone; is $? 0 "the API no longer lists it as active"
daemon_stop
done_testing
