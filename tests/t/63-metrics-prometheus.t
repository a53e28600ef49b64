#!/bin/bash
# Prometheus metrics end to end: the daemon (`metrics: {textfile_dir: DIR}`)
# writes DIR/eximwatch.prom after each commit; promtool accepts it; a real
# node_exporter serves it through its textfile collector and a real
# Prometheus scrapes that every second: the eximwatch series arrive through
# Prometheus' HTTP API with the daemon's values.  Everything listens on
# 127.0.0.1, on free ports, and is stopped at the end.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/daemon.sh"

for t in promtool prometheus prometheus-node-exporter python3; do
	command -v "$t" >/dev/null ||
		skip_all "no $t (apt-get install prometheus prometheus-node-exporter)"
done

fx=$ROOT/tests/fixtures/realexim-cpanel
dir=$TMP/textfile
mkdir -p "$dir"
cp "$fx/mainlog" "$TMP/mainlog"
cat > "$TMP/eximwatch.yaml" <<EOF2
log: $TMP/mainlog
db: $TMP/ew.db
userdomains: $fx/userdomains
flush_interval: 100ms
metrics:
  textfile_dir: $dir
EOF2
prom=$dir/eximwatch.prom

daemon_start --config "$TMP/eximwatch.yaml"
is "$?" 0 "daemon starts with metrics.textfile_dir"
wait_for 10 test -s "$prom"
ok "it writes eximwatch.prom" test -s "$prom"
if [ ! -s "$prom" ]; then
	diag "no metrics file: is metrics.textfile_dir wired into the daemon (cmd_run.c)?"
	daemon_stop
	done_testing
	exit
fi
out=$(promtool check metrics < "$prom" 2>&1); rc=$?
is "$rc:$out" "0:" "promtool check metrics: no problem"
ok "no temporary file is left next to it" \
	test "$(find "$dir" -mindepth 1 | wc -l)" = 1
is "$(stat -c %a "$prom")" 644 "mode 0644: node_exporter may run as another user"

val() { # NAME [LABELS] -> the value in the file
	awk -v k="$1${2:+\{$2\}}" '$1 == k { print $2 }' "$prom"
}
lines=$(wc -l < "$TMP/mainlog")
wait_for 10 sh -c "grep -qx 'eximwatch_lines_read_total $lines' '$prom'"
is "$(val eximwatch_lines_read_total)" "$lines" "lines_read_total: every line of the log"
is "$(val eximwatch_bytes_behind)" 0 "bytes_behind: 0 once caught up"
now=$(date +%s)
ok "last_commit_timestamp_seconds: now" python3 -c \
	"import sys; sys.exit(abs(int('$(val eximwatch_last_commit_timestamp_seconds)') - $now) > 30)"
for m in eximwatch_events_total eximwatch_lines_read_total \
    eximwatch_lines_unmatched_suspicious_total eximwatch_oversized_lines_total \
    eximwatch_binary_lines_total \
    eximwatch_bytes_behind eximwatch_alerts_firing eximwatch_outbox_depth \
    eximwatch_last_commit_timestamp_seconds; do
	ok "HELP and TYPE for $m" sh -c "grep -q '^# HELP $m ' '$prom' && grep -q '^# TYPE $m ' '$prom'"
done
unlike "$(grep -v '^#' "$prom")" '(ip|account|owner|host)=' "no per-IP or per-account label"

# the per-class counters are what the daemon committed: the report's totals
"$EW" report --db "$TMP/ew.db" --since all --format json --by class > "$TMP/report.json"
ok "events_total{class} equal the report, and every class has a series" python3 - \
	"$prom" "$TMP/report.json" <<'PY'
import json, re, sys
prom, rep = sys.argv[1:]
got = {m.group(1): int(m.group(2)) for m in
       re.finditer(r'^eximwatch_events_total\{class="([^"]+)"\} (\d+)$', open(prom).read(), re.M)}
want = {r["class"]: r["count"] for r in json.load(open(rep))["rows"]}
bad = {c: (got.get(c), n) for c, n in want.items() if got.get(c) != n}
extra = {c: n for c, n in got.items() if c not in want and n != 0}
if bad or extra or len(got) < 20:
    print("differences (got, want):", bad, "nonzero extra:", extra, "series:", len(got))
    sys.exit(1)
PY

# more log: the file follows
head -n 20 "$fx/mainlog" >> "$TMP/mainlog"
lines2=$((lines + 20))
wait_for 10 sh -c "grep -qx 'eximwatch_lines_read_total $lines2' '$prom'"
is "$(val eximwatch_lines_read_total)" "$lines2" "appended lines are counted after the next commit"

# a real node_exporter and a real Prometheus
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ne_port=$(free_port)
prometheus-node-exporter --collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$dir" --web.listen-address="127.0.0.1:$ne_port" \
	> "$TMP/node-exporter.log" 2>&1 &
ne_pid=$!
track_pid "$ne_pid"
fetch() { python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1" 2>/dev/null; }
wait_for 15 sh -c "python3 -c 'import urllib.request; urllib.request.urlopen(\"http://127.0.0.1:$ne_port/metrics\", timeout=2)' 2>/dev/null"
ne=$(fetch "http://127.0.0.1:$ne_port/metrics")
like "$ne" "eximwatch_lines_read_total $lines2" "node_exporter serves the textfile"
like "$ne" 'node_textfile_scrape_error 0' "node_exporter read it without error"

pr_port=$(free_port)
cat > "$TMP/prometheus.yml" <<EOF2
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:$ne_port']
EOF2
ok "promtool check config" promtool check config "$TMP/prometheus.yml"
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
	--web.listen-address="127.0.0.1:$pr_port" > "$TMP/prometheus.log" 2>&1 &
pr_pid=$!
track_pid "$pr_pid"
q() { fetch "http://127.0.0.1:$pr_port/api/v1/query?query=$1"; }
wait_for 40 sh -c "python3 -c '
import json, sys, urllib.request
r = json.load(urllib.request.urlopen(\"http://127.0.0.1:$pr_port/api/v1/query?query=eximwatch_lines_read_total\", timeout=2))
sys.exit(0 if r[\"data\"][\"result\"] else 1)' 2>/dev/null"
res=$(q eximwatch_events_total)
ok "Prometheus has the eximwatch_events_total series" python3 - "$res" "$TMP/report.json" <<'PY'
import json, sys
res, rep = json.loads(sys.argv[1]), json.load(open(sys.argv[2]))
series = {r["metric"]["class"]: int(float(r["value"][1])) for r in res["data"]["result"]}
labels = {k for r in res["data"]["result"] for k in r["metric"]}
if res["status"] != "success" or not series:
    print("no series:", res); sys.exit(1)
if labels - {"__name__", "class", "instance", "job"}:
    print("unexpected labels:", labels); sys.exit(1)
# after the appended lines the counts can only be >= the report's
low = {r["class"]: (series.get(r["class"]), r["count"]) for r in rep["rows"]
       if series.get(r["class"], -1) < r["count"]}
if low:
    print("lower than the report:", low); sys.exit(1)
PY
like "$(q eximwatch_lines_read_total)" "\"value\":\\[[0-9.]+,\"$lines2\"\\]" \
	"Prometheus: eximwatch_lines_read_total = $lines2"
like "$(q 'up%7Bjob%3D%22node%22%7D')" '"value":\[[0-9.]+,"1"\]' "Prometheus: the target is up"
if [ "${res:-}" = "" ]; then
	diag "prometheus log:" "$(tail -n 20 "$TMP/prometheus.log")"
fi

kill -TERM "$pr_pid" "$ne_pid" 2>/dev/null
wait "$pr_pid" "$ne_pid" 2>/dev/null
daemon_stop
is "$DRC" 0 "daemon: SIGTERM exits 0"
done_testing
