# alerts.sh: helpers for the alert tests (sourced after tap.sh).
#
#   receiver NAME [receiver.py options]   start tests/lib/receiver.py; sets
#                                         NAME_PORT, NAME_PID; records in
#                                         $TMP/NAME.jsonl, mode file $TMP/NAME.mode
#   receiver_stop NAME
#   daemon_start CFG                      eximwatch run; waits for "ready"; sets DPID
#   daemon_stop [SIGNAL]
#   wait_for SECS CMD...                  poll CMD every 0.1s until it succeeds
#   af IP ACCOUNT [HELO]                  an auth_failed line stamped now
#   reqs NAME [PATH]                      number of requests recorded
# Nothing here talks to anything but 127.0.0.1.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
LOG=$TMP/mainlog
DB=$TMP/db.sqlite
: > "$LOG"
_PIDS=
_alerts_cleanup() {
	local p
	for p in $_PIDS; do kill "$p" 2>/dev/null; done
	_tap_cleanup
}
trap _alerts_cleanup EXIT

receiver() {
	local name=$1; shift
	rm -f "$TMP/$name.port"
	python3 "$ROOT/tests/lib/receiver.py" --port-file "$TMP/$name.port" \
		--log "$TMP/$name.jsonl" --mode "$TMP/$name.mode" "$@" \
		2>>"$TMP/$name.err" &
	local pid=$!
	_PIDS="$_PIDS $pid"
	wait_for 10 test -s "$TMP/$name.port"
	eval "${name}_PORT=\$(cat \"\$TMP/\$name.port\")"
	eval "${name}_PID=$pid"
}

receiver_stop() {
	local pid
	eval "pid=\${${1}_PID}"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

wait_for() {
	local secs=$1 i=0; shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -ge $((secs * 10)) ] && return 1
		sleep 0.1
	done
	return 0
}

daemon_start() {
	"$EW" run --config "$1" --log "$LOG" --db "$DB" -v >>"$TMP/daemon.out" \
		2>>"$TMP/daemon.err" &
	DPID=$!
	_PIDS="$_PIDS $DPID"
	wait_for 10 grep -q '^ready' "$TMP/daemon.out"
}

daemon_stop() {
	kill "-${1:-TERM}" "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	: > "$TMP/daemon.out"
	return 0
}

af() {
	printf '%s dovecot_login authenticator failed for (%s) [%s]:50000: 535 Incorrect authentication data (set_id=%s)\n' \
		"$(date '+%Y-%m-%d %H:%M:%S')" "${3:-WIN-PC}" "$1" "$2"
}

reqs() {
	[ -s "$TMP/$1.jsonl" ] || { echo 0; return; }
	python3 - "$TMP/$1.jsonl" "${2:-}" <<'PY'
import json, sys
n = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    if not sys.argv[2] or r["path"] == sys.argv[2]:
        n += 1
print(n)
PY
}

# has_req NAME MIN: at least MIN requests recorded
has_req() { [ "$(reqs "$1")" -ge "$2" ]; }
