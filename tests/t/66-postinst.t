#!/bin/bash
# The Debian postinst hands /var/lib/eximwatch to the eximwatch user on an
# upgrade or a reinstall, as root, in a directory that user can write.  The
# user could swap an entry for a symlink between find's look and chown's
# change: a chown that follows it gives the user any file of the system.
# Here the real postinst runs (configure, an upgrade) in a private mount
# namespace whose /var/lib, /etc/passwd and /etc/group are this test's, and
# whose chown is the attacker: just before the real chown runs it swaps the
# file it is about to change for a symlink to a root file, and a directory
# on its path for a symlink to another root directory.  Both root files
# must stay root's; the files planted as a stranger's must become
# eximwatch's.  Root only (mount namespaces); the machine is not changed.
. "$(dirname "$0")/../lib/tap.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (a mount namespace)"
command -v unshare >/dev/null || skip_all "no unshare (util-linux)"
unshare -m true 2>/dev/null || skip_all "cannot make a mount namespace here"

POSTINST=$ROOT/packaging/debian/eximwatch.postinst
S=$TMP/varlib/eximwatch
mkdir -p "$S/sub" "$TMP/target/dir" "$TMP/etc"

# the root files the attacker wants
echo "root's secret" > "$TMP/target/file"
echo "root's other secret" > "$TMP/target/dir/x"
chmod 600 "$TMP/target/file" "$TMP/target/dir/x"

# the state directory as an earlier install left it: the files of a user
# that no longer exists (a purge), one of them in a subdirectory
echo db > "$S/eximwatch.db"
echo victim > "$S/victim"
echo x > "$S/sub/x"
ln -s "$TMP/target/file" "$S/planted-link"      # a symlink planted at rest
chown -hR 54321:54321 "$S"

# the namespace's user database: an eximwatch user (the real one, if any)
cp /etc/passwd /etc/group "$TMP/etc/"
if ! getent passwd eximwatch >/dev/null; then
	uid=64531
	while getent passwd "$uid" >/dev/null || getent group "$uid" >/dev/null; do
		uid=$((uid + 1))
	done
	echo "eximwatch:x:$uid:$uid:eximwatch:/var/lib/eximwatch:/usr/sbin/nologin" \
		>> "$TMP/etc/passwd"
	echo "eximwatch:x:$uid:" >> "$TMP/etc/group"
fi
uid=$(awk -F: '$1 == "eximwatch" { print $3 }' "$TMP/etc/passwd")

# the attacker, at the worst moment: in place of chown, it swaps what the
# real chown is about to change, then runs it
CHOWN=$(command -v chown)
cp "$CHOWN" "$TMP/real-chown"
cat > "$TMP/attacker-chown" <<'EOF'
#!/bin/sh
for a in "$@"; do
	case "$a" in -*|*:*) continue ;; esac
	case "$a" in /*) f=$a ;; *) f=$PWD/${a#./} ;; esac
	case "$f" in
	*/victim)
		ln -s "$TARGET_FILE" "$f.new" && mv -Tf "$f.new" "$f"
		echo "swapped $f" >> "$ATTACK_LOG" ;;
	*/sub/x)
		d=${f%/x}
		mv "$d" "$d.moved" && ln -s "$TARGET_DIR" "$d"
		echo "swapped $d" >> "$ATTACK_LOG" ;;
	esac
done
exec "$REAL_CHOWN" "$@"
EOF
chmod 755 "$TMP/attacker-chown"

# the real postinst inside the namespace; log-groups is left out (a
# package installed here would otherwise change the real groups)
export TARGET_FILE=$TMP/target/file TARGET_DIR=$TMP/target/dir \
	REAL_CHOWN=$TMP/real-chown ATTACK_LOG=$TMP/attack.log
out=$(unshare -m --propagation private sh -ec '
	mount --bind "$1/varlib" /var/lib
	mount --bind "$1/etc/passwd" /etc/passwd
	mount --bind "$1/etc/group" /etc/group
	mount --bind "$1/attacker-chown" "$2"
	if [ -d /usr/share/eximwatch ]; then mount -t tmpfs none /usr/share/eximwatch; fi
	sh "$3" configure 0.1.0
' _ "$TMP" "$CHOWN" "$POSTINST" 2>&1); rc=$?
is "$rc" 0 "the postinst runs (configure, an upgrade)"
[ "$rc" = 0 ] || diag "$out"
like "$(cat "$TMP/attack.log" 2>/dev/null)" "swapped .*/victim" \
	"the attacker swapped a file for a symlink just before chown"
like "$(cat "$TMP/attack.log" 2>/dev/null)" "swapped .*/sub\$" \
	"... and a directory on the path for a symlink"

is "$(stat -c %u "$TMP/target/file")" 0 \
	"the root file behind the swapped symlink is still root's"
is "$(stat -c %u "$TMP/target/dir/x")" 0 \
	"the root file behind the swapped directory is still root's"
is "$(stat -c %u "$TMP/target/dir")" 0 "... and its directory too"
is "$(stat -c %u "$S")" "$uid" "the state directory is eximwatch's"
is "$(stat -c %u "$S/eximwatch.db")" "$uid" "a stranger's database becomes eximwatch's"
is "$(stat -c %u "$S/sub.moved/x")" "$uid" "a stranger's file in a subdirectory too"
is "$(stat -c %u "$S/sub.moved")" "$uid" "... and the subdirectory"
ok "the symlink planted at rest is still a symlink" test -L "$S/planted-link"
is "$(stat -c %u "$TMP/target/file")" 0 "... whose target was not followed"
done_testing
