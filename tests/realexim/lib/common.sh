# shellcheck shell=bash
# Sourced by start.sh / drive.sh / stop.sh / run.sh.
# Sets SRC (this harness), STATE (= $EW_EXIM_DIR), EXIM, TRUSTED.
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
EXIM=/usr/sbin/exim4
TRUSTED=/etc/exim4/trusted_configs
export PYTHONDONTWRITEBYTECODE=1
STATE=${EW_EXIM_DIR:-/tmp/ew-realexim}
case "$STATE" in /?*) ;; *) echo "EW_EXIM_DIR must be an absolute path" >&2; exit 64 ;; esac
STATE=$(realpath -m -- "$STATE")
[[ "$STATE" =~ ^/[A-Za-z0-9._/-]+$ ]] || { echo "EW_EXIM_DIR: only A-Za-z0-9._-/ allowed" >&2; exit 64; }
case "$STATE" in /|/tmp|/var|/var/*|/etc|/etc/*|/usr|/usr/*|/home|/root|/run|/proc*|/sys*|/dev*)
	echo "refusing EW_EXIM_DIR=$STATE" >&2; exit 64 ;;
esac
export EW_EXIM_DIR=$STATE

die() { echo "${0##*/}: $*" >&2; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# is_ours PID TEXT: PID is alive and its command line contains TEXT
is_ours() {
	[[ "$1" =~ ^[0-9]+$ ]] && [ -r "/proc/$1/cmdline" ] &&
		tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}

holder_pid() {
	local p
	p=$(cat "$STATE/run/holder.pid" 2>/dev/null) || return 0
	if is_ours "$p" "$SRC/lib/holder.sh"; then echo "$p"; fi
}

# wait_gone PID TENTHS
wait_gone() {
	local i
	for ((i = 0; i < $2; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# stop_all: ask the holder to stop, escalate by PID (bounded), then any
# leftover process recorded in run/*.pid that is still ours.
stop_all() {
	local p f
	p=$(holder_pid)
	if [ -n "$p" ]; then
		touch "$STATE/run/stop"
		if ! wait_gone "$p" 300; then
			kill -TERM "$p" 2>/dev/null || true
			wait_gone "$p" 100 || kill -KILL "$p" 2>/dev/null || true
		fi
	fi
	for f in "$STATE"/run/exim.daemon.pid "$STATE"/run/dns.pid "$STATE"/run/mx.pid; do
		[ -e "$f" ] || continue
		p=$(cat "$f" 2>/dev/null || true)
		if is_ours "$p" "$STATE" || is_ours "$p" "$SRC/lib/"; then
			kill -TERM "$p" 2>/dev/null || true
			wait_gone "$p" 50 || kill -KILL "$p" 2>/dev/null || true
		fi
		rm -f "$f"
	done
}

untrust() {
	[ -e "$TRUSTED" ] || return 0
	grep -qxF "$STATE/exim.conf" "$TRUSTED" || return 0
	grep -vxF "$STATE/exim.conf" "$TRUSTED" >"$TRUSTED.ew-tmp" || true
	chmod 644 "$TRUSTED.ew-tmp"
	mv -f "$TRUSTED.ew-tmp" "$TRUSTED"
}
