#!/bin/bash
# The daemon's SIGHUP reload (a new rule class starts counting; broken rules
# or a broken configuration are reported as file:line:col and the old rules
# stay in use), and a database held by others: a long reader, a long writer
# (shorter than the 60 s busy timeout), SIGTERM while a writer holds it.
# Nothing may be lost.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/daemon.sh"

T0=$SECONDS
D=$TMP/reload
R=$D/rules.d
mkdir -p "$R"
LOG=$D/mainlog
DB=$D/ew.db
TR=$D/truth.json
CONF=$D/eximwatch.yaml
cat > "$CONF" <<EOF
log: $LOG
db: $DB
rules:
  dirs: [$R]
EOF
SEQ=0
NLINES=0
add() { # COUNT [ewlog.py lines options]: append COUNT known lines to the truth
	local n=$1
	shift
	ewlines "$SEQ" "$n" "$TR" "$@" >> "$LOG"
	SEQ=$((SEQ + n)); NLINES=$((NLINES + n))
}
add_uncounted() { # COUNT [options]: append lines that count in no class
	local n=$1
	shift
	ewlines "$SEQ" "$n" /dev/null "$@" >> "$LOG"
	SEQ=$((SEQ + n)); NLINES=$((NLINES + n))
}
check() { # DESCRIPTION [SECS]
	local out rc
	out=$(wait_truth "$DB" "$TR" "${2:-10}"); rc=$?
	is "$rc" 0 "$1"
	[ "$rc" = 0 ] || diag "$out"
}
lines_read() { [ "$(db_stat "$DB" lines)" = "$NLINES" ]; }
hup_and_wait() { # PATTERN: SIGHUP, then wait for one more PATTERN line on stderr
	local want=$(($(grep -cE -- "$1" "$DERR") + 1)) i
	kill -HUP "$DPID"
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -cE -- "$1" "$DERR")" -ge "$want" ] && return 0
		sleep 0.1
	done
	return 1
}
PROBE="eximwatch test probe from"

# ---- a good new rule directory ------------------------------------------------------------------
ok "check-config: the configuration with an empty rule directory is good" "$EW" check-config --config "$CONF"
add 60
daemon_start --config "$CONF"; is $? 0 "ready"
check "the shipped rules count"
add_uncounted 30 --text-class "test_probe:$PROBE"
wait_for 10 lines_read
is "$(db_stat "$DB" lines)" "$NLINES" "probe lines before the reload are read (and match no rule)"
check "... and counted in no class"

cat > "$R/probe.yaml" <<'EOF'
rules:
  - id: test_probe
    severity: notice
    description: a probe line written by the daemon tests
    remedy: nothing to do
    match:
      - literals: ["eximwatch test probe from "]
        regex: '^eximwatch test probe from (?<host>\[[0-9.]+\](?::\d+)?) seq=\d+$'
EOF
ok "check-config: the new rule file is good" "$EW" check-config --config "$CONF"
hup_and_wait "reloaded: [0-9]+ rules"; is $? 0 "SIGHUP: the daemon says it reloaded"
like "$(cat "$DERR")" "reloading $CONF" "SIGHUP: it names the configuration it reloads"
add 20 --text-class "test_probe:$PROBE"
add 30
check "after the reload the new class counts (test_probe), the shipped ones still do"
rows=$("$EW" report --db "$DB" --since all --format json --by class)
like "$rows" '"class": "test_probe", "count": 20' "report: test_probe 20 (the 30 probe lines before the reload are not in it)"

# ---- broken rules: the old ones stay ---------------------------------------------------------------
cat > "$R/broken.yaml" <<'EOF'
rules:
  - id: broken_rule
    severity: notice
    description: a rule with a bad regex
    remedy: nothing
    match:
      - literals: ["broken rule text"]
        regex: '^broken rule (text'
EOF
nok "check-config: the broken rule file is refused" "$EW" check-config --config "$CONF"
hup_and_wait "reload failed"; is $? 0 "SIGHUP with a bad regex: the daemon says the reload failed"
like "$(cat "$DERR")" "$R/broken.yaml:8:[0-9]+: bad regex in rule 'broken_rule'" \
	"SIGHUP with a bad regex: the error is logged as file:line:col"
like "$(cat "$DERR")" "the old rules stay in use" "SIGHUP with a bad regex: it says the old rules stay"
daemon_alive; is $? 0 "the daemon keeps running"
add 25 --text-class "test_probe:$PROBE"
add 45
check "after the failed reload the old rules (with test_probe) still count"

# a broken configuration file: the same
cp "$CONF" "$D/conf.good"
printf 'flush_interval: [oops\n' >> "$CONF"
rm -f "$R/broken.yaml"
hup_and_wait "reload failed"; is $? 0 "SIGHUP with a YAML error in the configuration: reload failed"
like "$(cat "$DERR")" "$CONF:[0-9]+:[0-9]+: " "the configuration error is logged as file:line:col"
add 10 --text-class "test_probe:$PROBE"
add 10
check "after the failed configuration reload the old rules still count"
cp "$D/conf.good" "$CONF"

# and a reload that drops the rule file: the class stops counting
rm -f "$R/probe.yaml"
hup_and_wait "reloaded: [0-9]+ rules"; is $? 0 "SIGHUP after removing the rule file: reloaded"
add_uncounted 15 --text-class "test_probe:$PROBE"
add 15
check "the removed class no longer counts"
# a burst of SIGHUPs while lines arrive
cp "$D/conf.good" "$CONF"
for i in $(seq 1 15); do
	add 40
	kill -HUP "$DPID"
	sleep 0.05
done
add 40
check "a burst of 15 SIGHUPs while lines arrive: nothing lost, nothing twice"
daemon_alive; is $? 0 "the daemon survived the SIGHUP burst"
daemon_stop TERM
is "$DRC" 0 "SIGTERM after the reloads: exit 0"
check "exact after the exit" 0

# ---- a long reader ----------------------------------------------------------------------------------------
# hold a read transaction for 4 s while lines arrive
hold_db() { # MODE SECS READYFILE: MODE read or write
	python3 - "$DB" "$@" <<'PY'
import sqlite3, sys, time
db, mode, secs, ready = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
c = sqlite3.connect(db, timeout=30, isolation_level=None)
if mode == "read":
    c.execute("BEGIN")
    c.execute("SELECT COUNT(*) FROM count_chunks").fetchall()
else:
    c.execute("BEGIN IMMEDIATE")
    c.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('test.lock', 'held')")
open(ready, "w").close()
time.sleep(secs)
c.execute("ROLLBACK")
c.close()
PY
}
daemon_start --config "$CONF"; is $? 0 "long reader: ready"
add 20
check "long reader: counting before"
hold_db read 4 "$D/r.ready" &
HPID=$!; track_pid "$HPID"
wait_for 10 test -e "$D/r.ready"; is $? 0 "long reader: the read transaction is open"
for i in 1 2 3 4 5 6; do add 50; sleep 0.5; done
wait "$HPID"; is $? 0 "long reader: the reader finished"
check "long reader: nothing lost after the reader went" 10
unlike "$(cat "$DERR")" "commit failed" "long reader: no commit failure"

# ---- a long writer (3 s, well under the 60 s busy timeout) --------------------------------------------------
hold_db write 3 "$D/w.ready" &
HPID=$!; track_pid "$HPID"
wait_for 10 test -e "$D/w.ready"; is $? 0 "long writer: BEGIN IMMEDIATE held"
for i in 1 2 3 4; do add 50; sleep 0.4; done
wait "$HPID"; is $? 0 "long writer: the writer finished"
check "long writer: the daemon waited, nothing lost" 10
daemon_alive; is $? 0 "long writer: the daemon still runs"
unlike "$(cat "$DERR")" "commit failed" "long writer: no commit failure (the busy timeout covered it)"
add 30
check "long writer: and it goes on counting"

# SIGTERM while a writer holds the database: the last flush waits for it
hold_db write 2 "$D/w2.ready" &
HPID=$!; track_pid "$HPID"
wait_for 10 test -e "$D/w2.ready"
add 100
daemon_stop TERM
wait "$HPID"
is "$DRC" 0 "SIGTERM while another writer holds the database: exit 0"
check "SIGTERM while locked: the final flush got everything" 0

diag "33-daemon-reload: $((SECONDS - T0)) s"
done_testing
