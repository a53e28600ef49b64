#!/bin/bash
# `make install` honours DESTDIR, PREFIX and SYSCONFDIR, installs every
# piece (binary, rules, schema, man pages, unit, sysusers, example config),
# never overwrites an existing configuration, and `make uninstall` undoes it
# but for the configuration.  No root needed.
. "$(dirname "$0")/../lib/tap.sh"

command -v make >/dev/null || skip_all "no make"
dest=$TMP/root
mk() { make -s -C "$ROOT" "$@" >"$TMP/make.out" 2>&1 || { cat "$TMP/make.out" >&2; return 1; }; }

ok "make install DESTDIR=... PREFIX=/usr SYSCONFDIR=/etc" \
	mk install DESTDIR="$dest" PREFIX=/usr SYSCONFDIR=/etc
got=$(cd "$dest" && find . -mindepth 1 | sort)
want=$(sort <<'LIST'
./etc
./etc/eximwatch
./etc/eximwatch/eximwatch.yaml
./etc/eximwatch/eximwatch.yaml.example
./etc/eximwatch/rules.d
./usr
./usr/lib
./usr/lib/systemd
./usr/lib/systemd/system
./usr/lib/systemd/system/eximwatch.service
./usr/lib/sysusers.d
./usr/lib/sysusers.d/eximwatch.conf
./usr/sbin
./usr/sbin/eximwatch
./usr/share
./usr/share/eximwatch
./usr/share/eximwatch/cpanel
./usr/share/eximwatch/cpanel/chkserv.d-eximwatch
./usr/share/eximwatch/csf
./usr/share/eximwatch/csf/README
./usr/share/eximwatch/csf/csf.conf.snippet
./usr/share/eximwatch/csf/regex.custom.pm
./usr/share/eximwatch/csf/regex.custom.pm.snippet
./usr/share/eximwatch/fail2ban
./usr/share/eximwatch/fail2ban/filter.d
./usr/share/eximwatch/fail2ban/filter.d/eximwatch.conf
./usr/share/eximwatch/fail2ban/jail.d
./usr/share/eximwatch/fail2ban/jail.d/eximwatch.conf
./usr/share/eximwatch/log-groups
./usr/share/eximwatch/rules
./usr/share/eximwatch/whm
./usr/share/eximwatch/whm/eximwatch.conf
./usr/share/eximwatch/whm/eximwatch.png
./usr/share/eximwatch/whm/index.cgi
./usr/share/eximwatch/whm/register
./usr/share/eximwatch/schema
./usr/share/man
./usr/share/man/man5
./usr/share/man/man5/eximwatch.yaml.5
./usr/share/man/man8
./usr/share/man/man8/eximwatch.8
LIST
)
# plus one file per shipped rule file and schema migration
for f in "$ROOT"/rules/*.yaml; do want="$want"$'\n'"./usr/share/eximwatch/rules/$(basename "$f")"; done
for f in "$ROOT"/schema/*.sql; do want="$want"$'\n'"./usr/share/eximwatch/schema/$(basename "$f")"; done
want=$(printf '%s\n' "$want" | sort)
is "$got" "$want" "the installed tree is exactly the expected one"
is "$(stat -c %a "$dest/usr/sbin/eximwatch")" 755 "binary: mode 0755"
is "$(stat -c %a "$dest/usr/share/eximwatch/log-groups")" 755 "log-groups: mode 0755"
ok "the installed binary runs" "$dest/usr/sbin/eximwatch" --version
is "$(stat -c %a "$dest/usr/share/eximwatch/whm/index.cgi") $(stat -c %a "$dest/usr/share/eximwatch/whm/register")" \
	"755 755" "WHM plugin: the CGI and the register script are executable"
like "$(grep "^my \$EXIMWATCH" "$dest/usr/share/eximwatch/whm/index.cgi")" "'/usr/sbin/eximwatch';" \
	"WHM plugin: the CGI runs the installed binary"
like "$(grep '^here=' "$dest/usr/share/eximwatch/whm/register")" '^here=/usr/share/eximwatch/whm$' \
	"WHM plugin: the register script knows where the plugin is"
ok "the example config is the shipped one" cmp "$ROOT/packaging/eximwatch.yaml.example" \
	"$dest/etc/eximwatch/eximwatch.yaml.example"
ok "the default config is packaging/eximwatch.yaml" cmp "$ROOT/packaging/eximwatch.yaml" \
	"$dest/etc/eximwatch/eximwatch.yaml"
# a fresh install must start: the default config is valid as it is
ok "the installed config passes check-config" \
	"$dest/usr/sbin/eximwatch" check-config --config "$dest/etc/eximwatch/eximwatch.yaml"
# the example is valid too, once the secret files it names exist
mkdir -p "$TMP/secrets"
sed "s|/etc/eximwatch/|$TMP/secrets/|g" "$dest/etc/eximwatch/eximwatch.yaml.example" > "$TMP/example.yaml"
for f in $(grep -o "$TMP/secrets/[A-Za-z0-9._-]*" "$TMP/example.yaml" | sort -u); do
	case "$f" in
	*.secret) echo "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" > "$f" ;;
	*.url) echo "https://hooks.slack.com/services/T0/B0/x" > "$f" ;;
	*) echo "0123456789abcdef0123456789abcdef" > "$f" ;;
	esac
done
chmod 600 "$TMP/example.yaml"
ok "the example passes check-config (its secret files present)" \
	"$dest/usr/sbin/eximwatch" check-config --config "$TMP/example.yaml"
# every key of the default config is a commented-out default
unlike "$(grep -v '^#' "$dest/etc/eximwatch/eximwatch.yaml" | grep -v '^$')" '.' \
	"the installed config sets nothing (defaults)"
unit=$dest/usr/lib/systemd/system/eximwatch.service
like "$(grep '^ExecStart=' "$unit")" '^ExecStart=/usr/sbin/eximwatch run$' \
	"unit: ExecStart names the installed binary"
unlike "$(cat "$unit")" '@[A-Z]+@' "unit: no placeholder left"
ok "rules: the shipped files" diff -r "$ROOT/rules" "$dest/usr/share/eximwatch/rules"

# an existing configuration is never overwritten; the example is refreshed
echo "log: /var/log/mine  # local edit" > "$dest/etc/eximwatch/eximwatch.yaml"
echo "stale" > "$dest/etc/eximwatch/eximwatch.yaml.example"
ok "make install again" mk install DESTDIR="$dest" PREFIX=/usr SYSCONFDIR=/etc
is "$(cat "$dest/etc/eximwatch/eximwatch.yaml")" "log: /var/log/mine  # local edit" \
	"the existing eximwatch.yaml is kept"
ok "eximwatch.yaml.example is always installed" cmp "$ROOT/packaging/eximwatch.yaml.example" \
	"$dest/etc/eximwatch/eximwatch.yaml.example"

if command -v systemd-analyze >/dev/null; then
	# verify needs the binary at the ExecStart path: point it at this build
	mkdir -p "$TMP/units"
	sed "s|^ExecStart=/usr/sbin/eximwatch|ExecStart=$dest/usr/sbin/eximwatch|" "$unit" \
		> "$TMP/units/eximwatch.service"
	out=$(systemd-analyze verify --man=no "$TMP/units/eximwatch.service" 2>&1); rc=$?
	is "$rc:$out" "0:" "systemd-analyze verify: the unit is clean (no warning at all)"
	out=$(systemd-analyze security --offline=true "$TMP/units/eximwatch.service" 2>&1 | tail -n 1)
	like "$out" 'exposure level for eximwatch.service: [0-2]\.[0-9] OK' \
		"systemd-analyze security: exposure below 3 (OK)"
else
	diag "no systemd-analyze: unit verification skipped"
fi

# other prefixes
ok "make install PREFIX=/opt/ew SYSCONFDIR=/opt/ew/etc UNITDIR=/opt/ew/units" \
	mk install DESTDIR="$TMP/alt" PREFIX=/opt/ew SYSCONFDIR=/opt/ew/etc UNITDIR=/opt/ew/units
ok "... binary in PREFIX/sbin" test -x "$TMP/alt/opt/ew/sbin/eximwatch"
ok "... config in SYSCONFDIR" test -f "$TMP/alt/opt/ew/etc/eximwatch/eximwatch.yaml"
ok "... rules in PREFIX/share" test -f "$TMP/alt/opt/ew/share/eximwatch/rules/10-auth.yaml"
ok "... unit in UNITDIR" test -f "$TMP/alt/opt/ew/units/eximwatch.service"
like "$(grep '^ExecStart=' "$TMP/alt/opt/ew/units/eximwatch.service")" \
	'^ExecStart=/opt/ew/sbin/eximwatch run$' "... ExecStart follows PREFIX"

ok "make uninstall" mk uninstall DESTDIR="$dest" PREFIX=/usr SYSCONFDIR=/etc
left=$(cd "$dest" && find . -type f | sort | tr '\n' ' ')
is "$left" "./etc/eximwatch/eximwatch.yaml ./etc/eximwatch/eximwatch.yaml.example " \
	"uninstall leaves only the configuration"
done_testing
