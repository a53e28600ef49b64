#!/bin/bash
# `eximwatch status` tells whether the daemon runs, through the lock on its
# pid file (<db>.pid): exit 3 before it ever ran, 0 with its pid while it
# runs, 3 after SIGTERM, 1 after SIGKILL (the file left behind does not look
# alive), 4 for a user who cannot read the database; a second daemon on the
# same database is refused (75); a missing log is named, not "-1 bytes";
# a commit gone stale while the log grows is a warning.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/daemon.sh"

LOG=$TMP/mainlog
DB=$TMP/db/ew.db
: > "$LOG"
st() { RC=0; OUT=$("$EW" status --db "$DB" "$@" 2>&1) || RC=$?; }
line() { printf '%s H=(x) [192.0.2.%s]:1 F=<a@b> rejected RCPT <c@d>: relay not permitted\n' \
	"$(date '+%Y-%m-%d %H:%M:%S')" "$1"; }

st
is "$RC" 3 "before the daemon ever ran: exit 3 (not running)"
like "$OUT" "daemon +not running" "... and says so"

daemon_start --log "$LOG" --db "$DB"; is $? 0 "the daemon is ready"
st
is "$RC" 0 "while it runs: exit 0"
like "$OUT" "daemon +running \\(pid $DPID\\)" "... with its pid"
is "$(cat "$DB.pid")" "$DPID" "its pid file holds its pid"
st --format json
like "$OUT" "\"daemon\": \"running\", \"running\": true, \"pid\": $DPID" "status --format json: running, the pid"

# one daemon per database
RC=0; out=$(timeout 10 "$EW" run --log "$LOG" --db "$DB" 2>&1 </dev/null) || RC=$?
is "$RC" 75 "a second daemon on the same database exits 75"
like "$out" "another eximwatch daemon \\(pid $DPID\\) uses this database" "... and names the first"
ok "the first one still runs" daemon_alive

# a commit gone stale while the log grows: the daemon is stopped (SIGSTOP)
line 1 >> "$LOG"
wait_for 10 sh -c "[ \"\$('$EW' status --db '$DB' --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"lag_bytes\"])')\" = 0 ]"
kill -STOP "$DPID"
sleep 1
line 2 >> "$LOG"
st
unlike "$OUT" "warning" "a fresh commit, the log just grew: no warning yet"
python3 - "$DB" <<'PY'
import sqlite3, sys, time
# the last commit, moved 30 s back: as if the stopped daemon had not
# committed for that long (the daemon is SIGSTOPped and cannot notice)
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE meta SET value = ? WHERE key = 'daemon.last_commit'", (str(int(time.time()) - 30),))
c.commit()
PY
st
is "$RC" 0 "a stuck daemon still runs: exit 0"
like "$OUT" "warning +the log has grown [0-9]+ bytes past the last commit, 3[0-9]s ago: is the daemon stuck" \
	"the stale commit while the log grows is a warning"
st --format json
like "$OUT" '"stale": true' "... and \"stale\": true in JSON"
kill -CONT "$DPID"
wait_for 10 sh -c "'$EW' status --db '$DB' --format json | grep -q '\"stale\": false'"
is $? 0 "once it runs on, the warning goes"

daemon_stop TERM
is "$DRC" 0 "SIGTERM: the daemon exits 0"
st
is "$RC" 3 "after SIGTERM: exit 3 (not running)"
like "$OUT" "daemon +not running$|daemon +not running\$" "... and says not running"
unlike "$OUT" "running \\(pid" "... not running with a pid"
is "$(stat -c %s "$DB.pid")" 0 "a clean stop empties the pid file"

daemon_start --log "$LOG" --db "$DB"; is $? 0 "started again"
pid=$DPID
daemon_kill9
st
is "$RC" 1 "after SIGKILL: exit 1 (it died; the pid file is left)"
like "$OUT" "not running: it died \\(pid $pid" "... and says it died, with the pid"
ok "the pid file is still there" test -s "$DB.pid"

# the log missing: named, no "-1 bytes"
rm -f "$LOG"
st
like "$OUT" "following .*mainlog \\(missing\\)" "a missing log is named"
unlike "$OUT" "of -1 bytes|-1 behind" "no -1 offsets or sizes"
st --format json
like "$OUT" '"log_missing": true' "JSON: log_missing"
like "$OUT" '"size": null, "lag_bytes": null' "JSON: no size, no lag"
: > "$LOG"
daemon_start --log "$LOG" --db "$DB"; is $? 0 "started again over the died one's pid file"
st
is "$RC" 0 "... exit 0"
rm -f "$LOG"
wait_for 5 sh -c "'$EW' status --db '$DB' | grep -q 'missing: waiting'"
like "$("$EW" status --db "$DB" 2>&1)" "warning +.*mainlog is missing \\(No such file or directory\\): the daemon waits for it" \
	"a running daemon whose log vanished: a warning"
daemon_stop TERM

# permission: as root it reads anything; nobody cannot enter a 0700 directory
if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	chmod 700 "$TMP/db"
	RC=0; OUT=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$EW" status --db "$DB" 2>&1) || RC=$?
	is "$RC" 4 "a user who cannot read the database's directory: exit 4 (unknown)"
	like "$OUT" "cannot reach the database: Permission denied" "... and says it is a permission problem"
	chmod 755 "$TMP" "$TMP/db"
	chmod 644 "$DB"
	rm -f "$DB-wal" "$DB-shm"
	RC=0; OUT=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$EW" status --db "$DB" 2>&1) || RC=$?
	is "$RC" 3 "a user who may read it (not write the directory): the real answer, 3"
	like "$OUT" "following .*mainlog" "... with what the daemon followed"
else
	diag "no setpriv or not root: the unprivileged user's status is not checked"
fi
done_testing
