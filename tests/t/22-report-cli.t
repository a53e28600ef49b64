#!/bin/bash
# The command line says what is wrong: an unknown --class or --by key is a
# usage error naming the nearest one; --ip takes a network; --since all
# starts at the first stored minute and --until alone means the 24 hours
# before it; a file that is not an Exim main log is named (exit 65); a
# report by a user who cannot write the database's directory works, and a
# permission problem is never called a damaged database; every command has
# a --help that explains each option.
. "$(dirname "$0")/../lib/tap.sh"

run() { RC=0; OUT=$("$@" 2>&1) || RC=$?; }
DB=$TMP/ew.db
FX=$ROOT/tests/fixtures/realexim-cpanel/mainlog
"$EW" scan -q --db "$DB" "$FX" || { echo "Bail out! cannot scan the fixture"; exit 1; }

# ---- unknown names: usage errors with the nearest name ------------------------------
run "$EW" report --db "$DB" --since all --class authfailed
is "$RC" 64 "--class authfailed: a usage error (64)"
like "$OUT" "unknown class 'authfailed': did you mean auth_failed\\?" "... that suggests auth_failed"
run "$EW" report --db "$DB" --since all --class nosuch --format json
is "$RC" 64 "--class nosuch: a usage error (64)"
like "$OUT" "unknown class 'nosuch'; the classes are:" "... that lists the classes"
like "$OUT" "auth_failed, auth_protocol_error," "... all of them"
run "$EW" report --db "$DB" --since all --class tls_error --format json
is "$RC" 0 "--class of a shipped class never counted here: fine (0)"
like "$OUT" '"rows": \[\]' "... with no rows"
run "$EW" report --db "$DB" --by clas,ip
is "$RC" 64 "--by clas: a usage error"
like "$OUT" "unknown --by key 'clas' .*did you mean class\\?" "... that suggests class"
run "$EW" report --db "$DB" --format jsno
like "$OUT" "unknown --format 'jsno' .*did you mean json\\?" "--format jsno suggests json"
run "$EW" reprot
is "$RC" 64 "an unknown command: 64"
like "$OUT" "unknown command 'reprot': did you mean report\\?" "... that suggests report"
run "$EW" test --show authfailed "$FX"
is "$RC" 64 "test --show authfailed: a usage error"
like "$OUT" "did you mean auth_failed\\?" "... that suggests auth_failed"

# ---- --ip takes a network ---------------------------------------------------------------
all=$("$EW" report --db "$DB" --since all --by ip --format csv | grep -c '^127\.0\.0\.')
[ "$all" -ge 3 ]; is $? 0 "the fixture has clients in 127.0.0.0/8 ($all)"
run "$EW" report --db "$DB" --since all --by ip --format csv --ip 127.0.0.0/8
is "$(printf '%s\n' "$OUT" | grep -c '^127\.0\.0\.')" "$all" "--ip 127.0.0.0/8: every one of them"
run "$EW" report --db "$DB" --since all --by ip --format csv --ip 127.0.0.4/30
like "$OUT" "127.0.0.5," "--ip 127.0.0.4/30: 127.0.0.5 is in it"
unlike "$OUT" "127.0.0.10," "... 127.0.0.10 is not"
run "$EW" report --db "$DB" --since all --by ip --format csv --ip 2001:db8::/32
is "$(tr -d '\r' <<<"$OUT")" "ip,count" "--ip 2001:db8::/32: no IPv6 client here"
run "$EW" report --db "$DB" --ip 300.1.2.3
is "$RC" 64 "--ip 300.1.2.3: a usage error"
like "$OUT" "bad --ip '300.1.2.3'" "... saying so"

# ---- --since all, --until alone ---------------------------------------------------------------
first=$(python3 - "$DB" <<'PY'
import sqlite3, sys, time
b = sqlite3.connect(sys.argv[1]).execute("SELECT MIN(bucket) FROM count_chunks").fetchone()[0]
print(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(b)), time.strftime("%Y-%m-%d %H:%M", time.localtime(b)))
PY
)
first_local=${first#* }
first=${first%% *}
run "$EW" report --db "$DB" --since all --format json
like "$OUT" "^\\{\"since\": \"$first\"" "--since all starts at the first stored minute ($first)"
unlike "$OUT" "1970-01-01" "... not in 1970"
run "$EW" report --db "$DB" --since all --no-color
like "$OUT" "eximwatch report — $first_local → " "the table's window starts at the data, not in 1970"
run "$EW" report --db "$DB" --until "2026-11-22 09:00" --format json
like "$OUT" "\"until\": \"$(date -u -d '2026-11-22 09:00' +%Y-%m-%dT%H:%M:%SZ)\"" "--until alone: the window ends there"
like "$OUT" "\"since\": \"$(date -u -d '2026-11-21 09:00' +%Y-%m-%dT%H:%M:%SZ)\"" "... and starts 24 hours before"
is "$RC" 0 "... exit 0 (no 'empty window' error)"
run "$EW" report --db "$DB" --until "2026-11-22 09:00" --since 2h --format json
like "$OUT" "\"since\": \"$(date -u -d '2026-11-22 07:00' +%Y-%m-%dT%H:%M:%SZ)\"" "--since 2h counts back from --until"

# ---- not an Exim main log -------------------------------------------------------------------
printf 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n' > "$TMP/passwd"
{
	echo "2026-11-22 08:00:01 startup archives unpack"
	echo "2026-11-22 08:00:02 install exim4-base:all <none> 4.96-15"
	echo "2026-11-22 08:00:03 status half-installed exim4-base:all 4.96-15"
	echo "2026-11-22 08:00:04 status installed exim4-base:all 4.96-15"
} > "$TMP/dpkg.log"
for f in passwd dpkg.log; do
	run "$EW" scan --db "$TMP/other.db" "$TMP/$f"
	is "$RC" 65 "scan $f: exit 65"
	like "$OUT" "$f: no line looked like an Exim main log line" "... saying no line looked like Exim's"
	run "$EW" test "$TMP/$f"
	is "$RC" 65 "test $f: exit 65 too"
done
run "$EW" scan --db "$TMP/other.db" "$FX"
is "$RC" 0 "a real Exim log: exit 0"
unlike "$OUT" "no line looked like" "... no such warning"
printf '2026-11-22 08:00:00 Start queue run: pid=123\n2026-11-22 08:00:01 End queue run: pid=123\n' > "$TMP/queue.log"
run "$EW" scan --db "$TMP/other.db" "$TMP/queue.log"
is "$RC" 0 "only queue runs (no message id, no class): still Exim's, exit 0"

# ---- permission is not damage -----------------------------------------------------------------
if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	mkdir "$TMP/ro"
	cp "$DB" "$TMP/ro/ew.db"
	chmod 755 "$TMP/ro"
	chmod 644 "$TMP/ro/ew.db"
	want=$("$EW" report --db "$DB" --since all --by class --format json | sed 's/"until": "[^"]*"//')
	run nobody "$EW" report --db "$TMP/ro/ew.db" --since all --by class --format json
	is "$RC" 0 "a reader who cannot write the directory: the report works"
	is "$(sed 's/"until": "[^"]*"//' <<<"$OUT")" "$want" "... and it is the same report"
	unlike "$OUT" "move it away|not a usable" "... no advice to move a good database away"
	ok "nothing was created next to it" test ! -e "$TMP/ro/ew.db-shm"
	chmod 600 "$TMP/ro/ew.db"
	run nobody "$EW" report --db "$TMP/ro/ew.db" --since all
	is "$RC" 66 "an unreadable database: 66"
	like "$OUT" "cannot read the database: permission denied \\(it is root:root 0600" "... named as a permission problem"
	unlike "$OUT" "move it away|not a usable" "... never as damage"
	chmod 644 "$TMP/ro/ew.db"
	chmod 700 "$TMP/ro"
	run nobody "$EW" report --db "$TMP/ro/ew.db" --since all
	is "$RC" 66 "a closed directory: 66"
	like "$OUT" "cannot reach the database: Permission denied" "... named as a permission problem"
	unlike "$OUT" "no database here" "... not as a missing database"
	chmod 755 "$TMP/ro"
else
	diag "no setpriv or not root: the permission checks are skipped"
fi
head -c 8192 /dev/urandom > "$TMP/junk.db"
run "$EW" report --db "$TMP/junk.db" --since all
is "$RC" 66 "a file that is no database: 66"
like "$OUT" "not a usable eximwatch database" "... that one is called damaged"

# ---- --help everywhere ----------------------------------------------------------------------------
for c in scan report test run status check-config alerts; do
	run "$EW" "$c" --help
	is "$RC" 0 "$c --help: exit 0"
	n=$(printf '%s\n' "$OUT" | grep -c '^  -')
	[ "$n" -ge 2 ]; is $? 0 "$c --help explains its options ($n)"
	like "$OUT" "Exit status" "$c --help: the exit status"
	run "$EW" "$c" --no-such-option
	is "$RC" 64 "$c --no-such-option: 64"
	like "$OUT" "unknown option '--no-such-option'" "... named"
done
done_testing
