# daemon.sh: run `eximwatch run` in the daemon tests (source after tap.sh).
#
#   daemon_start ARGS...        start `$EW run ARGS` in the background and
#                               wait for its `ready` line; 0 ready, 1 not
#                               (then DRC holds its exit status if it ended)
#   daemon_start_cmd CMD...     the same for any command line (setpriv ...)
#   daemon_spawn_cmd CMD...     start it without waiting for `ready`
#   daemon_stop [SIG]           send SIG (default TERM), wait for the exit
#                               (bounded: SIGKILL after $DAEMON_STOP_TIMEOUT s);
#                               DRC = exit status (128+N for a signal)
#   daemon_kill9                SIGKILL it and reap it
#   daemon_alive                0 while it runs
#   daemon_vmhwm                its peak RSS in kB (VmHWM)
#   wait_truth DB TRUTH [SECS]  poll the report until it equals the truth
#                               (tests/lib/ewlog.py check); 0 equal
#   wait_for SECS CMD...        poll CMD every 0.1 s until it succeeds
#   ewlines START COUNT [TRUTH] [ewlog.py lines options] -- print known lines
#   track_pid PID               kill PID (SIGKILL) at exit too
#
# Variables: DPID (the daemon), DOUT/DERR (its stdout/stderr files),
# DRC (exit status after daemon_stop/daemon_kill9), EWLOG (ewlog.py).
# Every daemon started and every tracked pid is SIGKILLed at exit.
EWLOG=$ROOT/tests/lib/ewlog.py
DAEMON_READY_TIMEOUT=${DAEMON_READY_TIMEOUT:-10}
DAEMON_STOP_TIMEOUT=${DAEMON_STOP_TIMEOUT:-20}
DPID=
DOUT=
DERR=
DRC=
DAEMON_N=0
_tracked_pids=()

_daemon_cleanup() {
	local p
	for p in "${_tracked_pids[@]}"; do
		kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null
	done
	return 0
}
trap '_daemon_cleanup; _tap_cleanup' EXIT

track_pid() { _tracked_pids+=("$1"); }

daemon_spawn_cmd() { # CMD...: start it, do not wait
	DAEMON_N=$((DAEMON_N + 1))
	DOUT=$TMP/daemon.$DAEMON_N.out
	DERR=$TMP/daemon.$DAEMON_N.err
	DRC=
	"$@" >"$DOUT" 2>"$DERR" &
	DPID=$!
	track_pid "$DPID"
}

daemon_start_cmd() { daemon_spawn_cmd "$@"; daemon_wait_ready; }

daemon_start() { daemon_start_cmd "$EW" run "$@"; }

# daemon_wait_ready: 0 once `ready` is on its stdout; 1 when it exited first
# (DRC = its status) or after DAEMON_READY_TIMEOUT seconds
daemon_wait_ready() {
	local i n=$((DAEMON_READY_TIMEOUT * 50))
	for ((i = 0; i < n; i++)); do
		if grep -qx ready "$DOUT" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$DPID" 2>/dev/null; then
			DRC=0
			wait "$DPID" 2>/dev/null || DRC=$?
			grep -qx ready "$DOUT" 2>/dev/null && return 0
			return 1
		fi
		sleep 0.02
	done
	return 1
}

daemon_alive() { [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; }

# stderr is silenced so that bash's "Killed" job notice does not clutter the
# output (the diag below goes to stdout)
daemon_stop() { _daemon_stop "$@" 2>/dev/null; }
_daemon_stop() {
	local sig=${1:-TERM} i
	DRC=
	[ -n "$DPID" ] || return 1
	kill -"$sig" "$DPID" 2>/dev/null
	for ((i = 0; i < DAEMON_STOP_TIMEOUT * 50; i++)); do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.02
	done
	if kill -0 "$DPID" 2>/dev/null; then
		diag "daemon $DPID did not exit within ${DAEMON_STOP_TIMEOUT}s after SIG$sig: SIGKILL"
		kill -9 "$DPID" 2>/dev/null
	fi
	DRC=0
	wait "$DPID" 2>/dev/null || DRC=$?
	return 0
}

daemon_kill9() { daemon_stop KILL; }

daemon_vmhwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$DPID/status" 2>/dev/null; }

wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	"$@" >/dev/null 2>&1
}

wait_truth() { # DB TRUTH [SECS]: prints the differences when not equal
	python3 "$EWLOG" check --ew "$EW" --db "$1" --truth "$2" --wait "${3:-10}" --quiet
}

ewlines() { # START COUNT [TRUTH [options]]
	local start=$1 count=$2 truth=${3:-/dev/null}
	shift 2
	[ $# -gt 0 ] && shift
	python3 "$EWLOG" lines --start "$start" --count "$count" --truth "$truth" "$@"
}

# status_field DB KEY: one field of `eximwatch status --format json`
status_field() {
	"$EW" status --db "$1" --format json 2>/dev/null |
		python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("null" if v is None else v)' "$2"
}

# db_stat DB NAME: a running total from the stats table (lines, oversized...)
db_stat() {
	python3 - "$1" "$2" <<'PY'
import sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
r = c.execute("SELECT value FROM stats WHERE name = ?", (sys.argv[2],)).fetchone()
print(r[0] if r else 0)
PY
}

# hermetic: no /etc/eximwatch/eximwatch.yaml of the machine running the tests
export EXIMWATCH_CONFIG=$TMP/no-such-config.yaml
