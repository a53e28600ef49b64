#!/bin/bash
# Start a real Exim (Debian exim4-daemon-heavy) with the harness config in
# private mount+network namespaces, plus fake DNS and fake remote MXes.
# Returns once Exim listens; it keeps running until stop.sh (at most
# EW_EXIM_MAXSECS, default 1800 s).  Then drive.sh, then stop.sh.
#
#   EW_EXIM_DIR=/tmp/ew-realexim   state dir, wiped and recreated here
#   EW_LOGSEL=cpanel|all           log_selector (cPanel's, or +all)
#   EW_IPV6=0|1                    also listen on ::1, drive IPv6 clients
#   EW_RELAYLOG=cpanel|modern      modern: relay refusals get cPanel's
#                                  "Rejected relay attempt: ..." log_message
#   EW_DIAG=0|1                    1: also the diagnose scenarios, with a
#                                  synthetic history (history.log)
# Prints MAINLOG=<path>.  Needs root.
set -eu
. "$(dirname "$(readlink -f "$0")")/lib/common.sh"
need_root
T0=$(now)
LOGSEL=${EW_LOGSEL:-cpanel} IPV6=${EW_IPV6:-0} RELAYLOG=${EW_RELAYLOG:-cpanel}
DIAG=${EW_DIAG:-0}
MAXSECS=${EW_EXIM_MAXSECS:-1800}
case "$LOGSEL" in cpanel|all) ;; *) die "EW_LOGSEL must be cpanel or all" ;; esac
case "$IPV6" in 0|1) ;; *) die "EW_IPV6 must be 0 or 1" ;; esac
case "$RELAYLOG" in cpanel|modern) ;; *) die "EW_RELAYLOG must be cpanel or modern" ;; esac
case "$DIAG" in 0|1) ;; *) die "EW_DIAG must be 0 or 1" ;; esac
[[ "$MAXSECS" =~ ^[0-9]+$ ]] || die "EW_EXIM_MAXSECS must be a number"
export EW_LOGSEL=$LOGSEL EW_IPV6=$IPV6 EW_RELAYLOG=$RELAYLOG EW_DIAG=$DIAG

# --- packages (CI: fresh Debian) ---
if ! [ -x "$EXIM" ] || ! command -v swaks >/dev/null || ! command -v python3 >/dev/null ||
	! command -v openssl >/dev/null || ! command -v ss >/dev/null || ! command -v nsenter >/dev/null; then
	had_daemon=n
	[ -e /run/exim4/exim.pid ] && had_daemon=y
	echo "start.sh: installing exim4-daemon-heavy swaks python3 openssl iproute2 util-linux"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		exim4-daemon-heavy swaks python3 openssl iproute2 util-linux >/dev/null
	if [ "$had_daemon" = n ] && [ -e /run/exim4/exim.pid ]; then
		echo "start.sh: stopping the system exim4 daemon the install started"
		/etc/init.d/exim4 stop >/dev/null 2>&1 || kill -TERM "$(cat /run/exim4/exim.pid)" 2>/dev/null || true
	fi
fi

# --- fresh state dir (stop what an earlier start left running first) ---
if [ -d "$STATE" ] && [ ! -e "$STATE/.ew-realexim" ] && [ -n "$(ls -A "$STATE")" ]; then
	die "$STATE is not empty and not a harness state dir; refusing to wipe it"
fi
mkdir -p "$STATE"
stop_all
rm -rf "${STATE:?}"/{etc,log,spool,home,run} "$STATE"/{exim.conf,knobs.json,expected.json,userdomains,history.log}
mkdir -p "$STATE"/{etc,log,spool,home,run}
touch "$STATE/.ew-realexim"
python3 "$SRC/lib/setup.py" "$SRC"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=mail.example.test \
	-keyout "$STATE/etc/key.pem" -out "$STATE/etc/cert.pem" 2>/dev/null

chown root:root "$STATE" "$STATE/exim.conf"
chmod 755 "$STATE" "$STATE/run"
chmod 644 "$STATE/exim.conf" "$STATE/userdomains" "$STATE/knobs.json"
chown -R root:Debian-exim "$STATE/etc"
chmod 750 "$STATE/etc"
chmod 640 "$STATE/etc/key.pem"
chown Debian-exim:Debian-exim "$STATE"/{spool,log,home}
chmod 750 "$STATE/spool" "$STATE/home"
chmod 755 "$STATE/log"
setpriv --reuid=Debian-exim --regid=Debian-exim --clear-groups test -w "$STATE/spool" ||
	die "Debian-exim cannot reach $STATE/spool (every parent dir must be o+x)"

# --- trust the -C config: otherwise delivery processes lose root ---
mkdir -p /etc/exim4
touch "$TRUSTED"
grep -qxF "$STATE/exim.conf" "$TRUSTED" || echo "$STATE/exim.conf" >>"$TRUSTED"
chown root:root "$TRUSTED"
chmod 644 "$TRUSTED"

out=$("$EXIM" -C "$STATE/exim.conf" -bV 2>&1) || { echo "$out" >&2; die "exim.conf does not parse"; }
rm -f "$STATE"/log/*
# the mainlog exists (empty, 0644) before Exim starts, for tailers
: >"$STATE/log/mainlog"
chown Debian-exim:Debian-exim "$STATE/log/mainlog"
chmod 644 "$STATE/log/mainlog"

setsid unshare --mount --net --propagation private -- \
	bash "$SRC/lib/holder.sh" "$IPV6" "$MAXSECS" </dev/null >>"$STATE/run/holder.log" 2>&1 &
for ((i = 0; i < 300; i++)); do
	[ -e "$STATE/run/ready" ] && break
	[ -n "$(holder_pid)" ] || [ "$i" -lt 20 ] || break
	sleep 0.1
done
if ! [ -e "$STATE/run/ready" ]; then
	tail -n 20 "$STATE/run/holder.log" >&2 || true
	stop_all
	die "Exim did not come up"
fi
echo "start.sh: Exim up after $(since "$T0")s (logsel=$LOGSEL ipv6=$IPV6 relaylog=$RELAYLOG diag=$DIAG)"
echo "MAINLOG=$STATE/log/mainlog"
