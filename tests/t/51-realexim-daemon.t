#!/bin/bash
# The daemon against a LIVE real Exim: start the project's harness so that it
# keeps running, follow its mainlog with `eximwatch run`, drive the traffic,
# and compare the reports exactly with expected.json.  Then the harness is
# started again with the same state directory — it wipes and recreates its
# log directory — and the daemon must follow the new log: the counts are then
# exactly the sum of both runs.  Needs root and namespaces.
. "$(dirname "$0")/../lib/tap.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root"
unshare --mount --net true 2>/dev/null || skip_all "unshare --mount --net does not work here"

H=$ROOT/tests/realexim
DIR=$TMP/rx
DB=$TMP/daemon.db
export EW_EXIM_DIR=$DIR
DPID=

cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null
	"$H/stop.sh" >/dev/null 2>&1 || true
	_tap_cleanup
}
trap cleanup EXIT

reports() { # OUTDIR
	mkdir -p "$1"
	"$EW" report --db "$DB" --since all --format json --by class > "$1/by_class.json" &&
	"$EW" report --db "$DB" --since all --format json --by class,ip > "$1/by_class_ip.json" &&
	"$EW" report --db "$DB" --since all --format json --by class,account > "$1/by_class_account.json" &&
	"$EW" report --db "$DB" --since all --format json --by class,owner \
		--userdomains "$DIR/userdomains" > "$1/by_class_owner.json"
}

# wait_counts EXPECTED OUTDIR: until the reports match (the daemon commits
# every 500 ms; deliveries are logged a little after the drive ends)
wait_counts() {
	local i
	for i in $(seq 1 60); do
		reports "$2" 2>/dev/null &&
			python3 "$ROOT/tests/lib/compare_report.py" "$1" "$2" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	python3 "$ROOT/tests/lib/compare_report.py" "$1" "$2"
	return 1
}

merge() { # A B OUT: expected counts of both runs added up
	python3 - "$@" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
out = json.loads(json.dumps(a))
for cls, cb in b["counts"].items():
    ca = out["counts"].setdefault(cls, {"total": 0})
    ca["total"] = ca.get("total", 0) + cb.get("total", 0)
    for dim in ("by_ip", "by_account", "by_owner"):
        if dim not in cb:
            continue
        d = ca.setdefault(dim, {})
        for k, v in cb[dim].items():
            d[k] = d.get(k, 0) + v
json.dump(out, open(sys.argv[3], "w"))
PY
}

ok "harness starts (round 1)" "$H/start.sh"
"$EW" run --log "$DIR/log/mainlog" --db "$DB" > "$TMP/daemon.out" 2> "$TMP/daemon.err" &
DPID=$!
for i in $(seq 1 100); do grep -q '^ready$' "$TMP/daemon.out" && break; sleep 0.1; done
like "$(cat "$TMP/daemon.out")" '^ready$' "daemon is ready"
ok "drive round 1" "$H/drive.sh"
cp "$DIR/expected.json" "$TMP/expected1.json"
cp "$DIR/userdomains" "$TMP/userdomains1"
ok "round 1: the live counts equal expected.json exactly" wait_counts "$TMP/expected1.json" "$TMP/r1"
ok "harness stops (round 1)" "$H/stop.sh" --no-verify

ok "harness starts again: its log directory is wiped and recreated" "$H/start.sh"
ok "drive round 2" "$H/drive.sh"
merge "$TMP/expected1.json" "$DIR/expected.json" "$TMP/expected12.json"
ok "round 2: the counts are exactly both runs added up" wait_counts "$TMP/expected12.json" "$TMP/r2"
st=$("$EW" status --db "$DB" --format json)
like "$st" "\"following\": \"$DIR/log/mainlog\"" "status names the followed log"
ok "harness stops (round 2)" "$H/stop.sh" --no-verify

kill -TERM "$DPID"
rc=0
wait "$DPID" || rc=$?
DPID=
is "$rc" 0 "SIGTERM: the daemon exits 0"
unlike "$(cat "$TMP/daemon.err")" 'commit failed|cannot' "no errors in the daemon's log"
done_testing
