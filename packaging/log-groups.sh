#!/bin/sh
# log-groups: let the eximwatch user read Exim's main log through its group.
#
#   /usr/share/eximwatch/log-groups [USER]      (as root)
#
# The package scripts run it at install; run it again after installing Exim
# later, then `systemctl restart eximwatch`.  It only ever adds the user to
# `mail` or `adm`, and only when one of them owns the log (or its
# directory):
#   cPanel/WHM   /var/log/exim_mainlog      mailnull:mail        0640  -> mail
#   Debian       /var/log/exim4/            Debian-exim:adm      2750  -> adm
#                /var/log/exim4/mainlog     Debian-exim:adm      0640
# Other owners (EPEL's exim: /var/log/exim/main.log exim:exim) are only
# reported: grant read access yourself (setfacl -m u:eximwatch:r FILE).
set -e
user=${1:-eximwatch}
conf=${EXIMWATCH_CONFIG:-/etc/eximwatch/eximwatch.yaml}
id "$user" >/dev/null 2>&1 || { echo "log-groups: no user '$user'" >&2; exit 1; }

paths="/var/log/exim_mainlog /var/log/exim4 /var/log/exim4/mainlog"
if [ -r "$conf" ]; then
	# the `log:` setting, if the configuration names one
	l=$(sed -n 's/^log:[[:space:]]*["'\'']\{0,1\}\([^"'\''#[:space:]]*\).*/\1/p' "$conf" | head -n 1)
	[ -n "$l" ] && paths="$paths $l $(dirname "$l")"
fi
for f in $paths; do
	[ -e "$f" ] || continue
	g=$(stat -c %G "$f")
	case "$g" in
	mail|adm)
		if id -nG "$user" | tr ' ' '\n' | grep -qx "$g"; then
			continue
		fi
		usermod -a -G "$g" "$user"
		echo "log-groups: added $user to group $g (it owns $f)"
		;;
	*)
		if ! su -s /bin/sh -c "test -r '$f'" "$user" 2>/dev/null; then
			echo "log-groups: $f is $(stat -c %U:%G "$f"), not readable by $user:" \
			    "grant it read access (e.g. setfacl -m u:$user:r $f)" >&2
		fi
		;;
	esac
done
exit 0
