#!/bin/sh
# Install the Debian/Ubuntu packages eximwatch needs to build and test, if
# any is missing.  Uses sudo when not root.  `make demo` and `make check`
# call this first; it does nothing when everything is there.
set -e
PKGS="build-essential pkg-config libpcre2-dev libyaml-dev libsqlite3-dev
zlib1g-dev libcurl4-openssl-dev libssl-dev sqlite3 python3 perl gzip procps chromium
iproute2 util-linux openssl exim4-daemon-heavy swaks tzdata
debhelper dpkg-dev fakeroot mandoc man-db systemd systemd-container adduser passwd
rpm rpmlint
prometheus prometheus-node-exporter prometheus-alertmanager curl
faketime crowdsec fail2ban"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else
	echo "deps.sh: missing packages:$missing" >&2
	echo "deps.sh: run as root: apt-get install -y$missing" >&2
	exit 1
fi
echo "deps.sh: installing:$missing"
exim_was_running=$(test -e /run/exim4/exim.pid && echo y || echo n)
prom_was_running=$(pgrep -x prometheus >/dev/null && echo y || echo n)
nodeexp_was_running=$(pgrep -f '^/usr/bin/prometheus-node-exporter' >/dev/null && echo y || echo n)
am_was_running=$(pgrep -f '^/usr/bin/prometheus-alertmanager' >/dev/null && echo y || echo n)
cs_was_running=$(pgrep -x crowdsec >/dev/null && echo y || echo n)
f2b_was_running=$(pgrep -f '^/usr/bin/python3 /usr/bin/fail2ban-server' >/dev/null && echo y || echo n)
# crowdsec's postinst registers with CrowdSec's Central API over the
# internet unless this file exists and is not empty: the tests run their
# own Local API on the loopback, offline
case " $missing " in *" crowdsec "*)
	if [ ! -s /etc/crowdsec/online_api_credentials.yaml ]; then
		$SUDO mkdir -p /etc/crowdsec
		echo '# offline: no Central API' | $SUDO tee /etc/crowdsec/online_api_credentials.yaml >/dev/null
	fi ;;
esac
$SUDO apt-get update -q >/dev/null
# policy: the package install must not leave a system MTA running on port 25
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
if [ "$exim_was_running" = n ] && [ -e /run/exim4/exim.pid ]; then
	$SUDO /etc/init.d/exim4 stop >/dev/null 2>&1 || true
fi
# the same for Prometheus and node_exporter (the tests start their own on
# random loopback ports)
if [ "$prom_was_running" = n ] && pgrep -x prometheus >/dev/null; then
	$SUDO /etc/init.d/prometheus stop >/dev/null 2>&1 || true
fi
if [ "$nodeexp_was_running" = n ] && pgrep -f '^/usr/bin/prometheus-node-exporter' >/dev/null; then
	$SUDO /etc/init.d/prometheus-node-exporter stop >/dev/null 2>&1 || true
fi
if [ "$am_was_running" = n ] && pgrep -f '^/usr/bin/prometheus-alertmanager' >/dev/null; then
	$SUDO /etc/init.d/prometheus-alertmanager stop >/dev/null 2>&1 || true
fi
# and for CrowdSec and fail2ban (tests/lib/crowdsec.sh starts a private
# Local API; fail2ban is only used through fail2ban-regex)
if [ "$cs_was_running" = n ] && pgrep -x crowdsec >/dev/null; then
	$SUDO systemctl stop crowdsec >/dev/null 2>&1 ||
		$SUDO kill $(pgrep -x crowdsec) 2>/dev/null || true
fi
if [ "$f2b_was_running" = n ] && pgrep -f '^/usr/bin/python3 /usr/bin/fail2ban-server' >/dev/null; then
	$SUDO /etc/init.d/fail2ban stop >/dev/null 2>&1 || true
fi
