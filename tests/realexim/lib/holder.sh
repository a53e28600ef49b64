#!/bin/bash
# Runs inside the private mount+net namespaces made by start.sh (as root).
# Brings up lo, points /etc/resolv.conf at the fake DNS, starts the fake DNS,
# the fake MX and Exim, writes run/ready, then waits for run/stop (or Exim's
# death, or MAXSECS), and stops what it started, by PID.
# usage: holder.sh IPV6(0|1) MAXSECS      (EW_EXIM_DIR = state dir)
set -eu
. "$(dirname "$0")/common.sh"
IPV6=$1 MAXSECS=$2
cd "$STATE"
echo $$ >run/holder.pid
log() { echo "$(date '+%T') holder: $*"; }
DNS= MX= EXD=
finish() {
	local p i
	if [ -n "$EXD" ] && kill -0 "$EXD" 2>/dev/null; then
		kill -TERM "$EXD" 2>/dev/null || true
		wait_gone "$EXD" 100 || kill -KILL "$EXD" 2>/dev/null || true
	fi
	# delivery processes still running (they are not the daemon's children)
	for ((i = 0; i < 50; i++)); do
		pgrep -f "^$EXIM -C $STATE/exim.conf" >/dev/null || break
		sleep 0.1
	done
	for p in $MX $DNS; do
		kill -TERM "$p" 2>/dev/null || true
		wait_gone "$p" 50 || kill -KILL "$p" 2>/dev/null || true
	done
	rm -f run/ready run/dns.pid run/mx.pid run/exim.daemon.pid run/holder.pid
	log "stopped"
}
trap finish EXIT
trap 'exit 143' TERM INT HUP

ip link set lo up
if [ "$IPV6" = 1 ]; then
	for a in fd00::10 fd00::11 fd00::12 fd00::13 fd00::14 fd00::15 fd00::16 fd00::17; do
		ip -6 addr add "$a/128" dev lo nodad
	done
fi
mount --bind "$STATE/etc/resolv.conf" /etc/resolv.conf

python3 "$SRC/lib/fakedns.py" --max-seconds "$MAXSECS" & DNS=$!
echo "$DNS" >run/dns.pid
python3 "$SRC/lib/fakemx.py" --max-seconds "$MAXSECS" & MX=$!
echo "$MX" >run/mx.pid

listening() { ss -Hln"$1" | awk '{print $4}' | grep -qxF "$2"; }
wait_listen() {
	local i
	for ((i = 0; i < 100; i++)); do listening "$1" "$2" && return 0; sleep 0.1; done
	log "nothing listens on $2"; exit 1
}
wait_listen u 127.0.0.53:53
wait_listen t 127.0.0.201:2526
wait_listen t 127.0.0.202:2526
"$EXIM" -C "$STATE/exim.conf" -bdf & EXD=$!
echo "$EXD" >run/exim.daemon.pid
wait_listen t 127.0.0.1:2525
wait_listen t 127.0.0.1:2587
if [ "$IPV6" = 1 ]; then wait_listen t '[::1]:2525'; wait_listen t '[::1]:2587'; fi
log "exim $EXD, dns $DNS, mx $MX up"
echo "$EXD" >run/ready

while [ ! -e run/stop ] && [ "$SECONDS" -lt "$MAXSECS" ] && kill -0 "$EXD" 2>/dev/null; do
	sleep 0.2
done
log "leaving (stop=$([ -e run/stop ] && echo y || echo n) secs=$SECONDS)"
