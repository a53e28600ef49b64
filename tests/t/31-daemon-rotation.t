#!/bin/bash
# The daemon through every kind of rotation, with lines written before and
# after each: exact counts (nothing lost, nothing twice) for rename rotation
# (new file at once, or only later; lines appended to the renamed file),
# copytruncate (caught up, behind, paused, compressed at once, while
# stopped), truncation without a copy, a file renamed over the log, delete +
# recreate, two rotations while the daemon was paused, rotation while the
# daemon is stopped (twice, with gzip; NAME.N and NAME-DATE; an old
# generation with a newer mtime), stopped between the rename and the new
# file, .gz siblings, the log's whole directory wiped and recreated under a
# running daemon, a directory missing at start, and (as root) a new file
# that is unreadable for a moment (logrotate `create`, unprivileged daemon).
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/daemon.sh"

T0=$SECONDS
SEQ=0
add() { # LOG TRUTH COUNT: append COUNT known lines
	ewlines "$SEQ" "$3" "$2" >> "$1"
	SEQ=$(($SEQ + $3))
}
check() { # DB TRUTH DESCRIPTION [SECS]
	local out rc
	out=$(wait_truth "$1" "$2" "${4:-10}"); rc=$?
	is "$rc" 0 "$3"
	[ "$rc" = 0 ] || diag "$out"
}
setup() { # NAME: sets D LOG DB TR, starts nothing
	D=$TMP/$1
	mkdir -p "$D"
	LOG=$D/mainlog
	DB=$D/ew.db
	TR=$D/truth.json
}

# ---- rename rotation, new file at once ---------------------------------------------
setup rename
add "$LOG" "$TR" 100
daemon_start --log "$LOG" --db "$DB"; is $? 0 "rename: ready"
check "$DB" "$TR" "rename: first lines counted"
add "$LOG" "$TR" 60                  # maybe not read yet at the rename
mv "$LOG" "$LOG.1"; : > "$LOG"
add "$LOG" "$TR" 70
check "$DB" "$TR" "rename + new file at once: lines before and after counted"
add "$LOG.1" "$TR" 25                # an Exim process that still had the old file open
add "$LOG" "$TR" 10
check "$DB" "$TR" "rename: lines appended to the renamed file later are counted"
mv "$LOG.1" "$LOG.2"; mv "$LOG" "$LOG.1"; : > "$LOG"
add "$LOG" "$TR" 40
check "$DB" "$TR" "rename: a second rotation (NAME.1 -> NAME.2)"
like "$("$EW" status --db "$DB" --format json)" "\"following\": \"$LOG\"" "rename: status follows the new file"
daemon_stop; is "$DRC" 0 "rename: exit 0"
check "$DB" "$TR" "rename: still exact after the exit" 0

# ---- rename rotation, the new file only later ----------------------------------------
setup late
add "$LOG" "$TR" 80
daemon_start --log "$LOG" --db "$DB"; is $? 0 "late: ready"
check "$DB" "$TR" "late: first lines counted"
add "$LOG" "$TR" 30
mv "$LOG" "$LOG.1"
add "$LOG.1" "$TR" 50
check "$DB" "$TR" "late: lines appended to NAME.1 after the rename are counted (no new file yet)"
sleep 0.3
add "$LOG.1" "$TR" 20
add "$LOG" "$TR" 60                 # the new file appears
check "$DB" "$TR" "late: the new file appearing later is followed"
add "$LOG.1" "$TR" 5
add "$LOG" "$TR" 5
check "$DB" "$TR" "late: both files keep being read"
daemon_stop; is "$DRC" 0 "late: exit 0"

# ---- copytruncate ---------------------------------------------------------------------------
setup copytrunc
add "$LOG" "$TR" 100
daemon_start --log "$LOG" --db "$DB"; is $? 0 "copytruncate: ready"
check "$DB" "$TR" "copytruncate: first lines counted"
cp "$LOG" "$LOG.1"; : > "$LOG"
add "$LOG" "$TR" 50
check "$DB" "$TR" "copytruncate (daemon caught up): lines after it counted"
add "$LOG" "$TR" 300                # the daemon may be behind at the copy
cp "$LOG" "$LOG.1"; : > "$LOG"
add "$LOG" "$TR" 40
check "$DB" "$TR" "copytruncate right after a write: the unread end comes from the copy"
add "$LOG" "$TR" 10
check "$DB" "$TR" "copytruncate: caught up again"
# the truncated file grows past the old offset before the daemon looks
kill -STOP "$DPID"
cp "$LOG" "$LOG.1"; : > "$LOG"
add "$LOG" "$TR" 200
kill -CONT "$DPID"
check "$DB" "$TR" "copytruncate while the daemon was paused, new file longer than the old offset"
daemon_stop; is "$DRC" 0 "copytruncate: exit 0"

# ---- truncated in place with no copy (an admin's `: > log`), and a new file
# renamed over the log -------------------------------------------------------------------------------
setup trunc
add "$LOG" "$TR" 100
daemon_start --log "$LOG" --db "$DB"; is $? 0 "trunc: ready"
check "$DB" "$TR" "trunc: first lines counted"
: > "$LOG"
add "$LOG" "$TR" 30
check "$DB" "$TR" "trunc: truncated in place without a copy: the new lines are read from 0"
ewlines "$SEQ" 40 "$TR" > "$D/new.tmp"; SEQ=$((SEQ + 40))
mv "$D/new.tmp" "$LOG"
check "$DB" "$TR" "trunc: a new file renamed over the log is read"
add "$LOG" "$TR" 10
check "$DB" "$TR" "trunc: and followed"
daemon_stop

# ---- delete + recreate ------------------------------------------------------------------------
setup delete
add "$LOG" "$TR" 100
daemon_start --log "$LOG" --db "$DB"; is $? 0 "delete: ready"
check "$DB" "$TR" "delete: first lines counted"
add "$LOG" "$TR" 30
rm "$LOG"
add "$LOG" "$TR" 40
check "$DB" "$TR" "delete + recreate: lines before and after counted"
rm "$LOG"
sleep 0.3
add "$LOG" "$TR" 40
check "$DB" "$TR" "delete, a pause, recreate: counted"
daemon_stop; is "$DRC" 0 "delete: exit 0"

# ---- two rotations between two wake-ups (the daemon stalled, e.g. on a lock) ----------------------
setup stall
add "$LOG" "$TR" 100
daemon_start --log "$LOG" --db "$DB"; is $? 0 "stall: ready"
check "$DB" "$TR" "stall: first lines counted"
kill -STOP "$DPID"
add "$LOG" "$TR" 20
mv "$LOG" "$LOG.1"; : > "$LOG"
add "$LOG" "$TR" 30                  # the middle generation
mv "$LOG.1" "$LOG.2"; mv "$LOG" "$LOG.1"; : > "$LOG"
add "$LOG" "$TR" 40
kill -CONT "$DPID"
check "$DB" "$TR" "stall: two rename rotations while the daemon was paused: the middle generation is read too" 5
daemon_stop; is "$DRC" 0 "stall: exit 0"
daemon_start --log "$LOG" --db "$DB"; is $? 0 "stall: restart"
add "$LOG" "$TR" 10
check "$DB" "$TR" "stall: after a restart" 5
daemon_stop

# copytruncate + compress while the daemon was paused: the copy is NAME.1.gz
setup copygz
add "$LOG" "$TR" 100
daemon_start --log "$LOG" --db "$DB"; is $? 0 "copygz: ready"
check "$DB" "$TR" "copygz: first lines counted"
kill -STOP "$DPID"
add "$LOG" "$TR" 50
cp "$LOG" "$LOG.1"; : > "$LOG"; gzip "$LOG.1"
add "$LOG" "$TR" 20
kill -CONT "$DPID"
check "$DB" "$TR" "copygz: copytruncate, copy compressed at once: the unread end comes from NAME.1.gz"
daemon_stop

# copytruncate while the daemon is stopped
setup copystopped
add "$LOG" "$TR" 100
daemon_start --log "$LOG" --db "$DB"; is $? 0 "copystopped: ready"
check "$DB" "$TR" "copystopped: first lines counted"
daemon_stop
add "$LOG" "$TR" 50
cp "$LOG" "$LOG.1"; : > "$LOG"
add "$LOG" "$TR" 20
daemon_start --log "$LOG" --db "$DB"; is $? 0 "copystopped: restart"
check "$DB" "$TR" "copystopped: copytruncate while stopped: the copy is finished, the live log read from 0"
daemon_stop

# A registry record whose fingerprint covers only a few bytes: the daemon
# last committed the live log when it held just the start of its first line
# (a write cut short).  While the daemon is stopped the log is
# copytruncated and the new content starts with the same bytes (same second,
# same text).  The record belongs to the copy (NAME.1, same content), not to
# the live file that merely kept the inode.
setup shortfp
ST=$(date '+%Y-%m-%d %H:%M:%S')
ewlines 0 50 "$TR" --stamp "$ST" > "$LOG"
daemon_start --log "$LOG" --db "$DB"; is $? 0 "shortfp: ready"
check "$DB" "$TR" "shortfp: first lines counted"
cp "$LOG" "$LOG.1"; : > "$LOG"
first=$(ewlines 51 1 "$TR" --stamp "$ST")       # an auth_failed line
printf '%s' "${first:0:23}" >> "$LOG"           # "<stamp> dov": no newline yet
wait_for 5 grep -q "was truncated" "$DERR"
sleep 0.2
daemon_stop                                      # the last flush commits it
is "$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT fp_len FROM files WHERE offset = 0").fetchone()[0])' "$DB" 2>&1)" 23 \
	"shortfp: the committed record of the live log has a 23-byte fingerprint"
printf '%s\n' "${first:23}" >> "$LOG"           # the line completes
ewlines 52 60 "$TR" --stamp "$ST" >> "$LOG"
mv "$LOG.1" "$LOG.2"; cp "$LOG" "$LOG.1"; : > "$LOG"
ewlines 1002 30 "$TR" --stamp "$ST" >> "$LOG"    # seq 1002: an auth line, same 23 bytes
is "$(head -c 23 "$LOG")" "$(head -c 23 "$LOG.1")" "shortfp: NAME and NAME.1 start with the same 23 bytes"
daemon_start --log "$LOG" --db "$DB"; is $? 0 "shortfp: restart"
check "$DB" "$TR" "shortfp: the copy NAME.1 is read (not mistaken for the truncated live file)" 3
daemon_stop

# The same weakness while running: after a copytruncate the daemon
# re-fingerprints the live file when it holds only the start of a line; the
# next copytruncate (before the daemon read further: paused here) writes
# new content with the same first bytes, so the truncation goes unnoticed
# and the copy NAME.1 (the content in between) is never read.
setup shortfp-live
ST=$(date '+%Y-%m-%d %H:%M:%S')
ewlines 0 50 "$TR" --stamp "$ST" > "$LOG"
daemon_start --log "$LOG" --db "$DB"; is $? 0 "shortfp-live: ready"
check "$DB" "$TR" "shortfp-live: first lines counted"
kill -STOP "$DPID"
cp "$LOG" "$LOG.1"; : > "$LOG"
first=$(ewlines 51 1 "$TR" --stamp "$ST")
printf '%s' "${first:0:23}" >> "$LOG"
kill -CONT "$DPID"
wait_for 5 grep -q "was truncated" "$DERR"
sleep 0.2
kill -STOP "$DPID"
printf '%s\n' "${first:23}" >> "$LOG"
ewlines 52 60 "$TR" --stamp "$ST" >> "$LOG"
mv "$LOG.1" "$LOG.2"; cp "$LOG" "$LOG.1"; : > "$LOG"
ewlines 1002 90 "$TR" --stamp "$ST" >> "$LOG"    # same first 23 bytes, longer
kill -CONT "$DPID"
check "$DB" "$TR" "shortfp-live: the copy NAME.1 is finished although the new content starts with the same bytes" 3
daemon_stop

# stopped between the rename and the new file
setup gap
add "$LOG" "$TR" 100
daemon_start --log "$LOG" --db "$DB"; is $? 0 "gap: ready"
check "$DB" "$TR" "gap: first lines counted"
daemon_stop
add "$LOG" "$TR" 10
mv "$LOG" "$LOG.1"
add "$LOG.1" "$TR" 10
daemon_start --log "$LOG" --db "$DB"; is $? 0 "gap: started with the log renamed and no new file yet"
check "$DB" "$TR" "gap: the renamed generation is finished"
add "$LOG.1" "$TR" 10
check "$DB" "$TR" "gap: lines appended to it later are counted too"
add "$LOG" "$TR" 30
check "$DB" "$TR" "gap: the new file is followed when it appears"
daemon_stop

# ---- rotation while the daemon is stopped ---------------------------------------------------------
setup stopped
add "$LOG" "$TR" 100
daemon_start --log "$LOG" --db "$DB"; is $? 0 "stopped: ready"
check "$DB" "$TR" "stopped: first lines counted"
add "$LOG" "$TR" 20
daemon_stop; is "$DRC" 0 "stopped: SIGTERM, exit 0"
add "$LOG" "$TR" 30                  # written while the daemon is down
mv "$LOG" "$LOG.1"
add "$LOG.1" "$TR" 5                 # a straggler, before the new file exists
add "$LOG" "$TR" 40
mv "$LOG.1" "$LOG.2"; mv "$LOG" "$LOG.1"
add "$LOG" "$TR" 50
gzip "$LOG.2"
diag "stopped: files $(cd "$D" && ls | tr '\n' ' ')"
daemon_start --log "$LOG" --db "$DB"; is $? 0 "stopped: restart ready"
check "$DB" "$TR" "stopped, rotated twice (NAME.2 gzipped): every line counted once"
add "$LOG" "$TR" 20
check "$DB" "$TR" "stopped: and it follows the live log"
daemon_stop; is "$DRC" 0 "stopped: exit 0"
daemon_start --log "$LOG" --db "$DB"; is $? 0 "stopped: one more restart"
add "$LOG" "$TR" 10
check "$DB" "$TR" "stopped: a restart with nothing rotated reads nothing twice"
daemon_stop

# The same, but the straggler line reaches the old file AFTER the new file
# got its lines (a long SMTP session that opened the log before the
# rotation): the old generation's mtime is then newer than NAME.1's.  The
# unknown NAME.1 must still be read (it is newer by name and content).
setup stopped-mtime
add "$LOG" "$TR" 100
daemon_start --log "$LOG" --db "$DB"; is $? 0 "stopped-mtime: ready"
check "$DB" "$TR" "stopped-mtime: first lines counted"
daemon_stop
add "$LOG" "$TR" 30
mv "$LOG" "$LOG.1"
add "$LOG" "$TR" 40
sleep 0.05                           # a later mtime, deterministically
add "$LOG.1" "$TR" 5
mv "$LOG.1" "$LOG.2"; mv "$LOG" "$LOG.1"
add "$LOG" "$TR" 50
gzip "$LOG.2"
daemon_start --log "$LOG" --db "$DB"; is $? 0 "stopped-mtime: restart ready"
check "$DB" "$TR" "stopped-mtime: an unknown NAME.1 older by mtime than the known NAME.2.gz is still read" 3
daemon_stop
setup stopped-mtime-plain              # the same without gzip
add "$LOG" "$TR" 100
daemon_start --log "$LOG" --db "$DB"; is $? 0 "stopped-mtime-plain: ready"
check "$DB" "$TR" "stopped-mtime-plain: first lines counted"
daemon_stop
mv "$LOG" "$LOG.1"
add "$LOG" "$TR" 40
sleep 0.05
add "$LOG.1" "$TR" 5
mv "$LOG.1" "$LOG.2"; mv "$LOG" "$LOG.1"
add "$LOG" "$TR" 50
daemon_start --log "$LOG" --db "$DB"; is $? 0 "stopped-mtime-plain: restart ready"
check "$DB" "$TR" "stopped-mtime-plain: the unknown NAME.1 between known NAME.2 and the new live log is read" 3
daemon_stop

# dateext names while stopped (NAME-YYYYMMDD, then compressed)
setup dateext
add "$LOG" "$TR" 100
daemon_start --log "$LOG" --db "$DB"; is $? 0 "dateext: ready"
check "$DB" "$TR" "dateext: first lines counted"
daemon_stop
add "$LOG" "$TR" 30
mv "$LOG" "$LOG-20261121"
add "$LOG" "$TR" 40
mv "$LOG" "$LOG-20261122"
add "$LOG" "$TR" 50
gzip "$LOG-20261121"
daemon_start --log "$LOG" --db "$DB"; is $? 0 "dateext: restart ready"
check "$DB" "$TR" "dateext: two rotations while stopped (NAME-DATE, one gzipped): every line once"
daemon_stop

# ---- .gz siblings ------------------------------------------------------------------------------------
setup gz
# history before the first start is `scan`'s job: a NAME.1.gz there is not read
ewlines 100000 40 /dev/null > "$LOG.1"
gzip "$LOG.1"
add "$LOG" "$TR" 60
daemon_start --log "$LOG" --db "$DB"; is $? 0 "gz: ready"
check "$DB" "$TR" "gz: an unknown NAME.1.gz at the first start is left to scan; the live log is counted"
add "$LOG" "$TR" 20
mv "$LOG.1.gz" "$LOG.2.gz"; mv "$LOG" "$LOG.1"; : > "$LOG"
add "$LOG" "$TR" 30
check "$DB" "$TR" "gz: rename rotation"
gzip "$LOG.1"                         # compressed while the daemon has it open
add "$LOG" "$TR" 30
check "$DB" "$TR" "gz: NAME.1 compressed under the daemon: nothing twice"
daemon_stop; is "$DRC" 0 "gz: exit 0"
daemon_start --log "$LOG" --db "$DB"; is $? 0 "gz: restart with NAME.1.gz and NAME.2.gz"
add "$LOG" "$TR" 10
check "$DB" "$TR" "gz: after the restart NAME.1.gz is not read again"
daemon_stop
# NAME.1 and NAME.1.gz side by side (gzip under way) while stopped
add "$LOG" "$TR" 25
mv "$LOG.2.gz" "$LOG.3.gz"; mv "$LOG.1.gz" "$LOG.2.gz"; mv "$LOG" "$LOG.1"; : > "$LOG"
add "$LOG" "$TR" 15
gzip -k "$LOG.1"
daemon_start --log "$LOG" --db "$DB"; is $? 0 "gz: restart with NAME.1 and NAME.1.gz side by side"
check "$DB" "$TR" "gz: NAME.1 and its .gz copy: read once"
daemon_stop

# ---- the whole directory wiped and recreated (the real-Exim harness does this) ---------------------
setup wipe
W=$D/logdir
mkdir -p "$W"
add "$W/mainlog" "$TR" 50
daemon_start --log "$W/mainlog" --db "$DB"; is $? 0 "wipe: ready"
check "$DB" "$TR" "wipe: first lines counted"
rm -rf "$W"; mkdir "$W"
add "$W/mainlog" "$TR" 30
check "$DB" "$TR" "wipe: rm -rf DIR; mkdir DIR; new log: the new log is followed" 5
add "$W/mainlog" "$TR" 30
check "$DB" "$TR" "wipe: and appends to it are counted" 5
daemon_alive; is $? 0 "wipe: the daemon is still running"
daemon_stop; is "$DRC" 0 "wipe: exit 0"
daemon_start --log "$W/mainlog" --db "$DB"; is $? 0 "wipe: restart"
check "$DB" "$TR" "wipe: after a restart every line is counted once" 10
daemon_stop

# the log's directory does not exist yet when the daemon starts
setup nodir
W=$D/later/logdir
daemon_start --log "$W/mainlog" --db "$DB"; rc=$?
is "$rc" 0 "nodir: the log's directory is missing at start: the daemon still gets ready"
[ "$rc" = 0 ] || diag "exit ${DRC:-?}: $(head -c 500 "$DERR")"
mkdir -p "$W"
add "$W/mainlog" "$TR" 30
check "$DB" "$TR" "nodir: the directory and the log appear: the log is followed" 5
daemon_alive && daemon_stop

# ---- logrotate 'create' as seen by an unprivileged daemon: the new file is
# root:root 0600 for a moment, then gets its group and mode ------------------------
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
	setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	setup perm
	chmod 777 "$D"
	mkdir -p "$D/db"; chmod 777 "$D/db"
	G=$(id -g 65534)
	mk_log() { : > "$1"; chown root:"$G" "$1"; chmod 0640 "$1"; }
	mk_log "$LOG"
	add "$LOG" "$TR" 40
	daemon_start_cmd setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$EW" run --log "$LOG" --db "$D/db/ew.db"
	is $? 0 "perm: ready as uid 65534 (reading through the group)"
	DB=$D/db/ew.db
	check "$DB" "$TR" "perm: first lines counted"
	add "$LOG" "$TR" 10
	mv "$LOG" "$LOG.1"
	(umask 077; : > "$LOG")
	add "$LOG.1" "$TR" 5
	check "$DB" "$TR" "perm: while the new file is unreadable the old one is still read" 5
	add "$LOG" "$TR" 20
	wait_for 5 grep -q "cannot read $LOG" "$DERR"
	like "$(cat "$DERR")" "cannot read $LOG \\(owner root:root, mode 0600\\)" "perm: says once that the new file cannot be read"
	chgrp "$G" "$LOG"; chmod 0640 "$LOG"
	add "$LOG" "$TR" 20
	check "$DB" "$TR" "perm: once readable, the new file is read from its start" 5
	wait_for 5 grep -q "is readable now" "$DERR"
	like "$(cat "$DERR")" "$LOG is readable now" "perm: says it is readable now"
	is "$(grep -c "cannot read $LOG " "$DERR")" 1 "perm: the error was said once"
	daemon_stop; is "$DRC" 0 "perm: exit 0"
else
	diag "skipping the permission checks: needs root and setpriv"
fi

diag "31-daemon-rotation: $((SECONDS - T0)) s"
done_testing
