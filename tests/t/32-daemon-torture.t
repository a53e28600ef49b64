#!/bin/bash
# kill -9 torture: a writer appends known lines at ~3000 lines/s for ~30 s,
# rotating (rename + new file, NAME.k shifted like logrotate, NAME.2
# compressed to NAME.2.gz) every 2-4 s; meanwhile the daemon is SIGKILLed at
# random moments (at least 20 times, 0.2-1.5 s after it got ready) and
# restarted; about one restart in four is also killed 0-60 ms after its
# start, before or during its catch-up.  At the end every (class, ip) count
# must equal the writer's ground truth exactly: no line lost, none counted
# twice.
#
# Knobs (environment): TORTURE_SEED (default 42), TORTURE_SECS (30),
# TORTURE_RATE (3000 lines/s), TORTURE_KILLS (minimum number of kills, 20),
# TORTURE_GZIP (1: compress NAME.2; 0: plain generations only),
# TORTURE_ROTATE="MIN MAX" (seconds between rotations, default "2 4"),
# TORTURE_COPYTRUNCATE (fraction of rotations done by copytruncate, 0),
# TORTURE_KEEP (generations kept, 20; more keeps evidence with KEEP_TMP=1).
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/daemon.sh"

SEED=${TORTURE_SEED:-42}
SECS=${TORTURE_SECS:-30}
RATE=${TORTURE_RATE:-3000}
MINKILLS=${TORTURE_KILLS:-20}
GZ=${TORTURE_GZIP:-1}
read -r ROTMIN ROTMAX <<<"${TORTURE_ROTATE:-2 4}"
CT=${TORTURE_COPYTRUNCATE:-0}
KEEP=${TORTURE_KEEP:-20}
T0=$SECONDS
D=$TMP/torture
mkdir -p "$D"
LOG=$D/mainlog
DB=$D/ew.db
RANDOM=$SEED
diag "seed $SEED (TORTURE_SEED=$SEED to reproduce), ${SECS}s at ${RATE} lines/s, at least $MINKILLS kills, gzip $GZ, rotation every $ROTMIN-$ROTMAX s, copytruncate $CT"

python3 "$EWLOG" writer --log "$LOG" --truth "$D/truth.json" --stats "$D/stats.json" \
	--rate "$RATE" --duration "$SECS" --seed "$SEED" --rotate-min "$ROTMIN" --rotate-max "$ROTMAX" \
	--copytruncate "$CT" --keep "$KEEP" $([ "$GZ" = 1 ] && echo --gzip) &
WPID=$!
track_pid "$WPID"
wait_for 5 test -e "$LOG"

daemon_start --log "$LOG" --db "$DB"; is $? 0 "first start: ready"
kills=0 early=0 restarts_failed=0 maxready=0
while kill -0 "$WPID" 2>/dev/null || [ "$kills" -lt "$MINKILLS" ]; do
	# 0.2 .. 1.5 s
	ms=$((200 + RANDOM % 1301))
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	daemon_kill9
	kills=$((kills + 1))
	if [ $((RANDOM % 4)) = 0 ]; then
		# killed again during its start (catch-up), ready or not
		daemon_spawn_cmd "$EW" run --log "$LOG" --db "$DB"
		ms=$((RANDOM % 61))
		sleep "0.$(printf '%03d' "$ms")"
		daemon_kill9
		early=$((early + 1))
	fi
	t=$(date +%s%N)
	if ! daemon_start --log "$LOG" --db "$DB"; then
		restarts_failed=$((restarts_failed + 1))
		diag "restart after kill $kills failed (exit ${DRC:-none}):"
		sed 's/^/#   /' "$DERR" | tail -n 5
		daemon_alive && daemon_kill9
		daemon_start --log "$LOG" --db "$DB" || break
	fi
	t=$((($(date +%s%N) - t) / 1000000))
	[ "$t" -gt "$maxready" ] && maxready=$t
done
wait "$WPID"; wrc=$?
is "$wrc" 0 "the writer finished"
is "$restarts_failed" 0 "every restart after a SIGKILL got ready"
[ "$kills" -ge "$MINKILLS" ]; is $? 0 "killed with SIGKILL $kills times (at least $MINKILLS)"

# let it catch up, then stop it cleanly
t=$(date +%s%N)
out=$(wait_truth "$DB" "$D/truth.json" 30); rc=$?
catchup=$((($(date +%s%N) - t) / 1000000))
daemon_stop TERM
is "$DRC" 0 "SIGTERM at the end: exit 0"
out2=$(python3 "$EWLOG" check --ew "$EW" --db "$DB" --truth "$D/truth.json"); rc2=$?
is "$rc" 0 "every count equals the ground truth while running (no loss, no double count)"
[ "$rc" = 0 ] || diag "$out"
is "$rc2" 0 "every count equals the ground truth after the exit"
[ "$rc2" = 0 ] || diag "$out2"

# the figures
read -r lines events rotations after_rename splits compressed cts wsecs < <(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print(s["lines"], s["events"], s["rotations"], s["lines_after_rename"], s["split_writes"], s["compressed"], s["copytruncates"], s["seconds"])' "$D/stats.json")
got=$("$EW" report --db "$DB" --since all --format json --by class | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(", ".join("%s %d" % (r["class"], r["count"]) for r in d["rows"]))')
want=$(python3 -c '
import json, sys
c = {}
for k, n in json.load(open(sys.argv[1]))["rows"].items():
    c[k.split()[0]] = c.get(k.split()[0], 0) + n
print(", ".join("%s %d" % kv for kv in sorted(c.items())))' "$D/truth.json")
dblines=$(db_stat "$DB" lines)
diag "lines written:        $lines in ${wsecs}s ($((lines * 10 / ${wsecs%.*} / 10)) lines/s), $events events"
diag "rotations:            $rotations ($cts by copytruncate; $compressed generations gzipped; lines written to the renamed file before the new one: $after_rename; writes cut mid-line: $splits)"
diag "SIGKILLs:             $((kills + early)): $kills at 0.2-1.5 s after ready, $early during a start (0-60 ms); slowest restart to ready ${maxready} ms"
diag "lines read (stats):   $dblines"
diag "final counts:         $got"
diag "ground truth:         $want"
diag "catch-up after the writer stopped: ${catchup} ms"
diag "generations on disk:  $(cd "$D" && ls | grep -c '^mainlog')"
diag "32-daemon-torture: $((SECONDS - T0)) s"
is "$dblines" "$lines" "stats.lines equals the lines written (every line read exactly once)"

# ---- SIGKILL during the catch-up of a backlog ------------------------------------------------------------
# 300k lines (30 MB) wait in a log the daemon last saw at 1000 lines, and
# in a second generation; it is killed 5-60 ms after each start, i.e. in
# the middle of its catch-up, ten times, and then let finish.
B=$TMP/backlog
mkdir -p "$B"
ewlines 0 1000 "$B/truth.json" > "$B/mainlog"
daemon_start --log "$B/mainlog" --db "$B/ew.db"; is $? 0 "backlog: ready"
out=$(wait_truth "$B/ew.db" "$B/truth.json" 10); rc=$?
is "$rc" 0 "backlog: the first 1000 lines counted"; [ "$rc" = 0 ] || diag "$out"
daemon_stop
ewlines 1000 150000 "$B/truth.json" >> "$B/mainlog"
mv "$B/mainlog" "$B/mainlog.1"
ewlines 151000 150000 "$B/truth.json" > "$B/mainlog"
bk=0 bkready=0
for i in $(seq 1 10); do
	daemon_spawn_cmd "$EW" run --log "$B/mainlog" --db "$B/ew.db"
	ms=$((5 + RANDOM % 56))
	sleep "0.$(printf '%03d' "$ms")"
	grep -qx ready "$DOUT" && bkready=$((bkready + 1))
	daemon_kill9
	bk=$((bk + 1))
done
daemon_start --log "$B/mainlog" --db "$B/ew.db"; is $? 0 "backlog: ready after $bk kills during the catch-up"
out=$(wait_truth "$B/ew.db" "$B/truth.json" 30); rc=$?
daemon_stop
is "$DRC" 0 "backlog: SIGTERM, exit 0"
is "$rc" 0 "backlog: every count exact after $bk SIGKILLs during the catch-up ($bkready of them after ready)"
[ "$rc" = 0 ] || diag "$out"
is "$(db_stat "$B/ew.db" lines)" 301000 "backlog: 301000 lines read, each once"
diag "backlog: 300000 lines in two generations, $bk SIGKILLs 5-60 ms after the start ($bkready after ready)"
diag "32-daemon-torture (with the backlog phase): $((SECONDS - T0)) s"
done_testing
