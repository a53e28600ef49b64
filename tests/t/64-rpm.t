#!/bin/bash
# The RPM spec (packaging/rpm/eximwatch.spec, for EL8/EL9 and cPanel's
# CloudLinux/AlmaLinux/Rocky).  There is no EL system here, so: rpmspec -P
# parses it, rpmlint checks it, and Debian's rpmbuild really builds the
# binary RPM (with Debian's compiler and libraries, --nodeps for the EL
# BuildRequires, and the few EL macros Debian's rpm lacks defined below as
# systemd-rpm-macros and redhat-rpm-config define them).  rpmbuild fails if
# the %files list misses an installed file or names a missing one.
. "$(dirname "$0")/../lib/tap.sh"

for t in rpmspec rpmbuild rpm; do
	command -v "$t" >/dev/null || skip_all "no $t (apt-get install rpm)"
done
spec=$ROOT/packaging/rpm/eximwatch.spec
macros=$TMP/macros
cat > "$macros" <<'M'
%_unitdir /usr/lib/systemd/system
%_sysusersdir /usr/lib/sysusers.d
%_sharedstatedir /var/lib
%dist .el9
%systemd_requires Requires(post): systemd\
Requires(preun): systemd\
Requires(postun): systemd
%systemd_post() if [ $1 -eq 1 ]; then systemctl --no-reload preset %{?*} >/dev/null 2>&1 || :; fi
%systemd_preun() if [ $1 -eq 0 ]; then systemctl --no-reload disable --now %{?*} >/dev/null 2>&1 || :; fi
%systemd_postun_with_restart() if [ $1 -ge 1 ]; then systemctl try-restart %{?*} >/dev/null 2>&1 || :; fi
M
version=$(sed -n 's/^const char eximwatch_version\[\] = "\(.*\)";/\1/p' "$ROOT"/src/*.c | head -n 1)
parsed=$(rpmspec -P --load "$macros" "$spec" 2>"$TMP/rpmspec.err"); rc=$?
is "$rc:$(cat "$TMP/rpmspec.err")" "0:" "rpmspec -P parses the spec without a message"
like "$(printf '%s\n' "$parsed" | grep '^Version:')" "Version: *$version\$" \
	"the spec's Version is the program's ($version)"
for br in pcre2-devel libyaml-devel sqlite-devel zlib-devel libcurl-devel openssl-devel; do
	like "$parsed" "BuildRequires: *$br" "BuildRequires $br"
done
like "$parsed" 'systemctl --no-reload preset eximwatch.service' "%systemd_post expanded"
like "$parsed" 'systemctl --no-reload disable --now eximwatch.service' "%systemd_preun expanded"
like "$parsed" 'systemctl try-restart eximwatch.service' "%systemd_postun_with_restart expanded"
like "$parsed" 'useradd -r -g eximwatch -d /var/lib/eximwatch' "%pre creates the user"

if command -v rpmlint >/dev/null; then
	out=$(rpmlint "$spec" 2>&1); rc=$?
	is "$rc" 0 "rpmlint: the spec has no error"
	[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
else
	diag "no rpmlint: lint skipped"
fi

# build it: a source tarball as `git archive` would make it
top=$TMP/rpm
mkdir -p "$top/SOURCES" "$TMP/src/eximwatch-$version"
tar -C "$ROOT" --exclude=./build --exclude=./eximwatch --exclude=./.git \
	--exclude='*.db' --exclude='*.db-wal' --exclude='*.db-shm' -cf - . |
	tar -C "$TMP/src/eximwatch-$version" -xf -
tar -C "$TMP/src" -czf "$top/SOURCES/eximwatch-$version.tar.gz" "eximwatch-$version"
HOME=$TMP rpmbuild -bb --nodeps --load "$macros" --define "_topdir $top" "$spec" \
	> "$TMP/rpmbuild.log" 2>&1; rc=$?
is "$rc" 0 "rpmbuild -bb builds the package (every installed file is packaged)"
[ "$rc" = 0 ] || tail -n 30 "$TMP/rpmbuild.log" | sed 's/^/#   /'
pkg=$(ls "$top"/RPMS/*/eximwatch-"$version"-1*.rpm 2>/dev/null | head -n 1)
ok "the .rpm exists" test -f "$pkg"
if [ -f "$pkg" ]; then
	list=$(rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEFLAGS:fflags} %{FILENAMES}\n]' "$pkg" 2>/dev/null)
	for f in /usr/sbin/eximwatch /usr/lib/systemd/system/eximwatch.service \
	    /usr/lib/sysusers.d/eximwatch.conf /usr/share/eximwatch/rules/10-auth.yaml \
	    /usr/share/eximwatch/log-groups /usr/share/man/man8/eximwatch.8 \
	    /usr/share/man/man5/eximwatch.yaml.5 /etc/eximwatch/eximwatch.yaml.example \
	    /usr/share/eximwatch/whm/index.cgi /usr/share/eximwatch/whm/eximwatch.conf \
	    /usr/share/eximwatch/whm/eximwatch.png /usr/share/eximwatch/whm/register; do
		like "$list" " $f\$" "packaged: $f"
	done
	like "$list" '^-rw-r----- root:eximwatch cn /etc/eximwatch/eximwatch.yaml$' \
		"eximwatch.yaml: %config(noreplace), root:eximwatch 0640"
	like "$list" '^drwxr-x--- eximwatch:eximwatch  /var/lib/eximwatch$' \
		"/var/lib/eximwatch: the daemon's, 0750"
	scripts=$(rpm -qp --scripts "$pkg" 2>/dev/null)
	like "$scripts" 'log-groups eximwatch' "%post adds the user to the log's group"
	if command -v rpmlint >/dev/null; then
		# allowed, with the reason: 0640/0750 are on purpose (secrets, the
		# counts); Debian's rpm neither signs, compresses man pages nor
		# strips (EL's brp scripts do); Packager/Group are not used on EL;
		# rpmlint takes the dotted page name eximwatch.yaml.5 for a section
		errs=$(rpmlint "$pkg" 2>&1 | grep ': E: ' | grep -Ev \
		    'non-standard-dir-perm /var/lib/eximwatch 750|non-readable /etc/eximwatch/eximwatch.yaml 640|no-signature|no-packager-tag|no-group-tag|bad-manual-page-folder /usr/share/man/man5/eximwatch.yaml.5')
		is "$errs" "" "rpmlint: the binary package has no unexpected error"
	fi
fi
done_testing
