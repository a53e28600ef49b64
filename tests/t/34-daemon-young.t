#!/bin/bash
# kill -9 torture of a young log: the daemon's very first start and its
# first flush interval.  Each schedule starts from an empty database: the
# log missing, empty, a few lines under 1 KiB (some cut mid-line), or a few
# KiB when the daemon first starts; the writer appends at 4000 lines/s; the
# daemon is SIGKILLed 0-350 ms after that first start or after it noted the
# history (during its start-up and catch-up, or before its first 500 ms
# commit), and the log is rotated while it is down (renamed, copied and
# truncated, both, or not at all), then restarted and killed again a few
# times, sometimes rotated again while down.  At the end every (class, ip)
# count must equal the writer's ground truth: no line lost, none counted
# twice.
#
# The daemon has started once it noted the history (the rotated logs there
# at its first start, which it leaves to `eximwatch scan`): a daemon killed
# before that left no trace, and a rotation then would make the first file
# history by definition, so the log is only rotated while down once a
# daemon of the schedule has said "history noted" (or "ready").  A seed fixes every
# choice of a schedule; whether a rotation happens also depends on that.
#
# Knobs (environment): TORTURE_SEED (default 42; schedule i uses seed
# SEED*1000+i), TORTURE_SCHEDULES (default 8; more for a deeper search),
# TORTURE_FROM (the first schedule, 1), TORTURE_RATE (4000 lines/s),
# TORTURE_SECS (length of each writer, 2.5 s).
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/daemon.sh"

SEED=${TORTURE_SEED:-42}
NSCHED=${TORTURE_SCHEDULES:-8}
FROM=${TORTURE_FROM:-1}
RATE=${TORTURE_RATE:-4000}
SECS=${TORTURE_SECS:-2.5}
T0=$SECONDS
diag "seed $SEED (TORTURE_SEED=$SEED to reproduce), schedules $FROM-$((FROM + NSCHED - 1)) at $RATE lines/s"

msleep() { sleep "$(($1 / 1000)).$(printf '%03d' $(($1 % 1000)))"; }

# rotate HOW: have the writer rotate now (rename or copy) and wait for it
ROT=0
rotate() {
	local i
	# the writer takes the signals once its ack file exists
	wait_for 5 test -s "$D/ack"
	ROT=$((ROT + 1))
	kill -"$([ "$1" = rename ] && echo USR1 || echo USR2)" "$WPID" 2>/dev/null || return 1
	for ((i = 0; i < 400; i++)); do
		[ "$(cat "$D/ack" 2>/dev/null)" = "$ROT" ] && return 0
		kill -0 "$WPID" 2>/dev/null || return 1
		sleep 0.005
	done
	return 1
}

# started: has a daemon of this schedule noted the history (or got ready,
# which comes after it)?
started() {
	[ "$noted" = 1 ] && return 0
	{ grep -q "history noted" "$DERR" || grep -qx ready "$DOUT"; } 2>/dev/null && noted=1
	[ "$noted" = 1 ]
}

# down: while the daemon is down, rotate as the schedule says
down() {
	local r=$((RANDOM % 6)) r2=$((RANDOM % 2))
	if ! started; then
		what="$what (not started)"
		return
	fi
	case $r in
	0) what="$what -" ;;
	1|2) rotate rename; what="$what rename" ;;
	3|4) rotate copy; what="$what copy" ;;
	5) if [ "$r2" = 0 ]; then rotate rename; rotate copy; what="$what rename+copy"
	   else rotate copy; rotate rename; what="$what copy+rename"; fi ;;
	esac
}

bad=0
for ((s = FROM; s < FROM + NSCHED; s++)); do
	RANDOM=$((SEED * 1000 + s))
	noted=0
	D=$TMP/s$s
	mkdir -p "$D"
	LOG=$D/mainlog
	DB=$D/ew.db
	ROT=0
	gz=$((RANDOM % 2))
	start=$((RANDOM % 4))
	trickle=0
	case $start in
	2) trickle=0.4 ;;
	esac
	wargs=(--log "$LOG" --truth "$D/truth.json" --stats "$D/stats.json" --rate "$RATE"
		--duration "$SECS" --seed "$((SEED * 1000 + s))" --on-signal --ack "$D/ack" --trickle "$trickle")
	[ "$gz" = 1 ] && wargs+=(--gzip)
	case $start in
	0) what="missing" ;;
	1) what="empty"; : > "$LOG" ;;
	2) what="trickle" ;;
	3) what="busy" ;;
	esac
	since=0
	if [ "$start" -le 1 ]; then
		# the daemon first, the writer 0-150 ms later
		daemon_spawn_cmd "$EW" run --log "$LOG" --db "$DB"
		since=$((RANDOM % 151))
		msleep "$since"
		python3 "$EWLOG" writer "${wargs[@]}" & WPID=$!
		track_pid "$WPID"
	else
		python3 "$EWLOG" writer "${wargs[@]}" & WPID=$!
		track_pid "$WPID"
		wait_for 5 test -s "$D/ack"
		msleep $((start == 2 ? RANDOM % 200 : 50 + RANDOM % 200))
		daemon_spawn_cmd "$EW" run --log "$LOG" --db "$DB"
	fi
	first=$((RANDOM % 351))
	if [ $((RANDOM % 2)) = 0 ]; then
		what="$what, first kill $((since + first)) ms after the start"
	else
		# in the catch-up, the ready commit or the first flush interval
		for ((i = 0; i < 2000; i++)); do
			started && break
			daemon_alive || break
			sleep 0.005
		done
		what="$what, first kill ${first} ms after the history"
	fi
	what="$what:"
	msleep "$first"
	daemon_kill9
	down
	rounds=$((1 + RANDOM % 3))
	for ((r = 0; r < rounds; r++)); do
		daemon_spawn_cmd "$EW" run --log "$LOG" --db "$DB"
		ms=$((RANDOM % 701))
		msleep "$ms"
		daemon_kill9
		what="$what | ${ms} ms"
		down
	done
	daemon_start --log "$LOG" --db "$DB" || diag "schedule $s: the last start did not get ready"
	wait "$WPID"
	out=$(wait_truth "$DB" "$D/truth.json" 20); rc=$?
	daemon_stop
	lines=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["lines"])' "$D/stats.json")
	dblines=$(db_stat "$DB" lines)
	if [ "$rc" = 0 ] && [ "$dblines" = "$lines" ] && [ "$DRC" = 0 ]; then
		_tap_result 0 "schedule $s ($what, gzip $gz): $lines lines, every count exact"
	else
		bad=$((bad + 1))
		_tap_result 1 "schedule $s ($what, gzip $gz): every count exact"
		diag "lines written $lines, read (stats) $dblines, exit $DRC" "$out"
		diag "$(ls -l "$D" | sed 1d)"
	fi
done
diag "$NSCHED schedules, $bad with a difference, $((SECONDS - T0)) s"
done_testing
