#!/bin/bash
# The Debian package: build it from a copy of the tree (packaging/debian
# placed as debian/), install it, check what it installed and the user and
# groups it set up, verify the installed unit, run the INSTALLED binary on
# the recorded real-Exim log and compare exactly with expected.json, then
# purge it: the binary, unit, configuration and user are gone, the data in
# /var/lib/eximwatch stays.  Root only (it installs a package on this
# machine); leaves the machine as it found it.
. "$(dirname "$0")/../lib/tap.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (installs a package)"
for t in dpkg-buildpackage dh dpkg-checkbuilddeps runuser setpriv; do
	command -v "$t" >/dev/null || skip_all "no $t (apt-get install debhelper dpkg-dev)"
done
if dpkg-query -W -f='${Status}' eximwatch 2>/dev/null | grep -q 'ok installed\|config-files'; then
	skip_all "an eximwatch package is already installed here; not touching it"
fi
getent passwd eximwatch >/dev/null && skip_all "a user 'eximwatch' exists already; not touching it"

# keep what a developer may have in the package's paths, and put it back
saved=$TMP/saved
mkdir -p "$saved"
for d in /var/lib/eximwatch /etc/eximwatch; do
	[ -e "$d" ] && mv "$d" "$saved/$(echo "$d" | tr / _)"
done
restore() {
	dpkg-query -W eximwatch >/dev/null 2>&1 && dpkg --purge eximwatch >/dev/null 2>&1
	rm -rf /var/lib/eximwatch /etc/eximwatch
	for d in /var/lib/eximwatch /etc/eximwatch; do
		s=$saved/$(echo "$d" | tr / _)
		[ -e "$s" ] && mv "$s" "$d"
	done
	_tap_cleanup
}
trap restore EXIT

src=$TMP/build/eximwatch
mkdir -p "$src"
tar -C "$ROOT" --exclude=./build --exclude=./eximwatch --exclude=./.git \
	--exclude='*.db' --exclude='*.db-wal' --exclude='*.db-shm' -cf - . | tar -C "$src" -xf -
cp -a "$ROOT/packaging/debian" "$src/debian"
ok "build dependencies are installed" sh -c "cd '$src' && dpkg-checkbuilddeps"
( cd "$src" && dpkg-buildpackage -us -uc -b ) > "$TMP/build.log" 2>&1; rc=$?
is "$rc" 0 "dpkg-buildpackage -us -uc -b"
[ "$rc" = 0 ] || { tail -n 40 "$TMP/build.log" | sed 's/^/#   /'; done_testing; exit; }
deb=$(ls "$TMP"/build/eximwatch_*.deb 2>/dev/null | head -n 1)
ok "the .deb exists" test -f "$deb"
ok "dpkg -i" dpkg -i "$deb"

files=$(dpkg -L eximwatch)
for f in /usr/sbin/eximwatch /lib/systemd/system/eximwatch.service \
    /usr/lib/sysusers.d/eximwatch.conf /usr/share/eximwatch/log-groups \
    /usr/share/eximwatch/rules/10-auth.yaml /usr/share/eximwatch/rules/90-traffic.yaml \
    /usr/share/eximwatch/schema/001_init.sql /usr/share/man/man8/eximwatch.8.gz \
    /usr/share/eximwatch/csf/regex.custom.pm /usr/share/eximwatch/csf/README \
    /usr/share/eximwatch/fail2ban/filter.d/eximwatch.conf \
    /usr/share/eximwatch/fail2ban/jail.d/eximwatch.conf \
    /usr/share/man/man5/eximwatch.yaml.5.gz /etc/eximwatch/eximwatch.yaml \
    /etc/eximwatch/eximwatch.yaml.example /etc/eximwatch/rules.d \
    /usr/share/eximwatch/whm/index.cgi /usr/share/eximwatch/whm/eximwatch.conf \
    /usr/share/eximwatch/whm/eximwatch.png /usr/share/eximwatch/whm/register; do
	ok "installed: $f" sh -c "printf '%s\n' \"\$1\" | grep -qx '$f' && test -e '$f'" _ "$files"
done
like "$(grep '^my $EXIMWATCH' /usr/share/eximwatch/whm/index.cgi)" "'/usr/sbin/eximwatch';" \
	"the WHM plugin's CGI runs the packaged binary"
like "$(dpkg-query -W -f='${Conffiles}' eximwatch)" '/etc/eximwatch/eximwatch.yaml ' \
	"eximwatch.yaml is a conffile (dpkg never overwrites the admin's changes)"
like "$(grep '^ExecStart=' /lib/systemd/system/eximwatch.service)" \
	'^ExecStart=/usr/sbin/eximwatch run$' "the unit runs /usr/sbin/eximwatch"

uid=$(id -u eximwatch 2>/dev/null)
ok "the eximwatch user exists" test -n "$uid"
ok "... a system user (uid < 1000)" test "${uid:-9999}" -lt 1000
is "$(stat -c '%U:%G %a' /var/lib/eximwatch 2>&1)" "eximwatch:eximwatch 750" \
	"/var/lib/eximwatch: eximwatch's, 0750"
is "$(stat -c '%U:%G %a' /etc/eximwatch/eximwatch.yaml)" "root:eximwatch 640" \
	"the configuration: root:eximwatch 0640 (it may hold alert secrets)"
ok "the daemon's user can read the configuration" \
	runuser -u eximwatch -- /usr/sbin/eximwatch check-config
# Debian's exim4 keeps its log in /var/log/exim4 (Debian-exim:adm 2750)
if [ -d /var/log/exim4 ] && [ "$(stat -c %G /var/log/exim4)" = adm ]; then
	like " $(id -nG eximwatch) " ' adm ' "postinst added eximwatch to adm (owner of /var/log/exim4)"
	ok "... so it can enter /var/log/exim4" runuser -u eximwatch -- test -x /var/log/exim4
else
	diag "no /var/log/exim4 owned by adm here: group membership not checked"
fi

# cPanel's layout: /var/log/exim_mainlog mailnull:mail 0640 (here a file
# named by the configuration's `log:`, with the group mail)
mkdir -p "$TMP/cpanel"
echo "2026-11-22 08:00:00 cpanel log line" > "$TMP/cpanel/exim_mainlog"
chgrp mail "$TMP/cpanel/exim_mainlog"
chmod 0640 "$TMP/cpanel/exim_mainlog"
printf 'log: %s\n' "$TMP/cpanel/exim_mainlog" > "$TMP/cpanel/eximwatch.yaml"
nok "before: eximwatch cannot read a mail:0640 log" \
	runuser -u eximwatch -- test -r "$TMP/cpanel/exim_mainlog"
out=$(EXIMWATCH_CONFIG=$TMP/cpanel/eximwatch.yaml /usr/share/eximwatch/log-groups eximwatch 2>&1)
like "$out" "added eximwatch to group mail" "log-groups: adds eximwatch to mail (the log's group)"
ok "after: eximwatch reads it" runuser -u eximwatch -- test -r "$TMP/cpanel/exim_mainlog"
out=$(EXIMWATCH_CONFIG=$TMP/cpanel/eximwatch.yaml /usr/share/eximwatch/log-groups eximwatch 2>&1)
is "$out" "" "log-groups: a second run changes nothing"
chgrp daemon "$TMP/cpanel/exim_mainlog"
out=$(EXIMWATCH_CONFIG=$TMP/cpanel/eximwatch.yaml /usr/share/eximwatch/log-groups eximwatch 2>&1)
like "$out" "not readable by eximwatch" "log-groups: another group is only reported, never joined"
unlike " $(id -nG eximwatch) " ' daemon ' "... eximwatch is not added to it"

if command -v systemd-analyze >/dev/null; then
	man=--man=yes
	command -v man >/dev/null || man=--man=no
	out=$(systemd-analyze verify $man /lib/systemd/system/eximwatch.service 2>&1); rc=$?
	is "$rc:$out" "0:" "systemd-analyze verify of the installed unit: clean"
else
	diag "no systemd-analyze: the installed unit is not verified"
fi

# the installed binary, as the daemon's user, on the recorded real-Exim log
fx=$ROOT/tests/fixtures/realexim-cpanel
cp "$fx/mainlog" "$fx/userdomains" "$TMP/"
chmod 644 "$TMP/mainlog" "$TMP/userdomains"
db=/var/lib/eximwatch/eximwatch.db
ok "installed binary: scan as eximwatch into /var/lib/eximwatch" \
	runuser -u eximwatch -- /usr/sbin/eximwatch scan -q --db "$db" "$TMP/mainlog"
out=$TMP/reports
mkdir -p "$out"
/usr/sbin/eximwatch report --db "$db" --since all --format json --by class > "$out/by_class.json"
/usr/sbin/eximwatch report --db "$db" --since all --format json --by class,ip > "$out/by_class_ip.json"
/usr/sbin/eximwatch report --db "$db" --since all --format json --by class,account > "$out/by_class_account.json"
/usr/sbin/eximwatch report --db "$db" --since all --format json --by class,owner \
	--userdomains "$TMP/userdomains" > "$out/by_class_owner.json"
ok "installed binary: reports equal expected.json (totals, by ip, by account, by owner)" \
	python3 "$ROOT/tests/lib/compare_report.py" "$fx/expected.json" "$out"

# the daemon starts as its user and stops cleanly on SIGTERM
# setpriv execs the daemon itself, so $! is its pid (runuser would stay
# in between and take the signal)
setpriv --reuid=eximwatch --regid=eximwatch --init-groups \
	/usr/sbin/eximwatch run --config /etc/eximwatch/eximwatch.yaml \
	--log "$TMP/mainlog" --db /var/lib/eximwatch/run.db > "$TMP/run.out" 2> "$TMP/run.err" &
pid=$!
for _ in $(seq 100); do grep -q '^ready$' "$TMP/run.out" && break; sleep 0.1; done
ok "installed daemon: ready as the eximwatch user" grep -q '^ready$' "$TMP/run.out"
kill -TERM "$pid" 2>/dev/null
wait "$pid"; rc=$?
is "$rc" 0 "installed daemon: SIGTERM exits 0"

ok "dpkg --purge eximwatch" dpkg --purge eximwatch
for f in /usr/sbin/eximwatch /lib/systemd/system/eximwatch.service /usr/share/eximwatch \
    /usr/share/man/man8/eximwatch.8.gz /etc/eximwatch; do
	nok "purged: $f is gone" test -e "$f"
done
nok "purged: the eximwatch user is gone" getent passwd eximwatch
nok "purged: the eximwatch group is gone" getent group eximwatch
ok "purged: the data in /var/lib/eximwatch stays" test -s "$db"
ok "... and still holds the counts" sh -c \
	"'$EW' report --db '$db' --since all --format json | grep -q '\"count\"'"

# installed again: the kept data becomes the new user's (the old user's
# uid may be another one: give the files a stranger's)
chown -R 54321:54321 /var/lib/eximwatch
ok "dpkg -i again after the purge" dpkg -i "$deb"
is "$(stat -c %U "$db")" eximwatch "the kept database belongs to the new eximwatch user"
ok "... who can write it again" \
	runuser -u eximwatch -- /usr/sbin/eximwatch scan -q --db "$db" "$TMP/mainlog"
/usr/sbin/eximwatch report --db "$db" --since all --format json --by class > "$out/by_class.json"
/usr/sbin/eximwatch report --db "$db" --since all --format json --by class,ip > "$out/by_class_ip.json"
/usr/sbin/eximwatch report --db "$db" --since all --format json --by class,account > "$out/by_class_account.json"
/usr/sbin/eximwatch report --db "$db" --since all --format json --by class,owner \
	--userdomains "$TMP/userdomains" > "$out/by_class_owner.json"
ok "... and the same log scanned again counts nothing twice" \
	python3 "$ROOT/tests/lib/compare_report.py" "$fx/expected.json" "$out"
ok "dpkg --purge again" dpkg --purge eximwatch
ok "... the data stays" test -s "$db"
done_testing
