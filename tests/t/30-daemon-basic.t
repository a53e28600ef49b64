#!/bin/bash
# The daemon (`eximwatch run`): ready line, appended lines counted exactly,
# a partial last line waits for its newline, SIGTERM flushes and exits 0,
# a log that appears later, an unreadable log, a 10 MB line with bounded
# memory, `status`, `check-config`, the configuration file and its flags.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/daemon.sh"

T0=$SECONDS
D=$TMP/d
mkdir -p "$D"
LOG=$D/mainlog
DB=$D/ew.db
TRUTH=$D/truth.json

# ---- ready, appends, partial line, SIGTERM --------------------------------------
ewlines 0 30 "$TRUTH" > "$LOG"
daemon_start --log "$LOG" --db "$DB"; rc=$?
is "$rc" 0 "the daemon prints 'ready' on stdout"
is "$(cat "$DOUT")" "ready" "stdout holds exactly one line: ready"
out=$(wait_truth "$DB" "$TRUTH" 10); rc=$?
is "$rc" 0 "lines already in the log at the first start are counted"; [ "$rc" = 0 ] || diag "$out"

ewlines 30 200 "$TRUTH" >> "$LOG"
out=$(wait_truth "$DB" "$TRUTH" 10); rc=$?
is "$rc" 0 "appended lines are counted exactly"; [ "$rc" = 0 ] || diag "$out"

# a partial last line: the first 3 lines complete, the 4th (a classified
# line) without its newline
cp "$TRUTH" "$D/truth.before-partial"
ewlines 230 4 "$TRUTH" --kinds auth --no-newline >> "$LOG"
python3 "$EWLOG" lines --start 230 --count 3 --kinds auth --truth "$D/truth.before-partial" >/dev/null
out=$(wait_truth "$DB" "$D/truth.before-partial" 10); rc=$?
is "$rc" 0 "complete lines before a partial last line are counted"; [ "$rc" = 0 ] || diag "$out"
sleep 1.2   # two flush intervals: the partial line must still not be counted
out=$(python3 "$EWLOG" check --ew "$EW" --db "$DB" --truth "$D/truth.before-partial"); rc=$?
is "$rc" 0 "a partial last line is not counted before its newline"; [ "$rc" = 0 ] || diag "$out"
off=$(status_field "$DB" offset)
size=$(stat -c %s "$LOG")
[ "$off" -lt "$size" ]; is $? 0 "the committed offset stops before the partial line ($off < $size)"
printf '\n' >> "$LOG"
out=$(wait_truth "$DB" "$TRUTH" 10); rc=$?
is "$rc" 0 "the partial line is counted once its newline arrives"; [ "$rc" = 0 ] || diag "$out"

# status: file, offset, last commit
st=$("$EW" status --db "$DB" --format json)
like "$st" "\"following\": \"$LOG\"" "status --format json names the file followed"
like "$st" "\"offset\": $(stat -c %s "$LOG")," "status: the offset is the end of the log"
like "$st" '"lag_bytes": 0,' "status: nothing behind"
like "$st" '"last_commit": "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z"' "status: the last commit time"
like "$st" '"waiting_for_log": false' "status: not waiting for the log"
st=$("$EW" status --db "$DB")
like "$st" "following +$LOG" "status (table) names the file"
like "$st" "offset +$(stat -c %s "$LOG") of $(stat -c %s "$LOG") bytes \\(0 behind\\)" "status (table): offset"
like "$st" "last commit +[0-9-]+ [0-9:]+ \\(" "status (table): last commit"

# SIGTERM right after an append: the lines are flushed before the exit
ewlines 234 500 "$TRUTH" >> "$LOG"
daemon_stop TERM
is "$DRC" 0 "SIGTERM: exit 0"
out=$(wait_truth "$DB" "$TRUTH" 0); rc=$?
is "$rc" 0 "SIGTERM right after an append: every line counted (flushed at exit)"; [ "$rc" = 0 ] || diag "$out"
like "$(cat "$DERR")" "signal 15: flushing and exiting" "SIGTERM is logged"

# restart: nothing counted twice, new lines counted
daemon_start --log "$LOG" --db "$DB"; is $? 0 "restart: ready"
ewlines 734 100 "$TRUTH" >> "$LOG"
out=$(wait_truth "$DB" "$TRUTH" 10); rc=$?
is "$rc" 0 "restart: resumes from the committed offset (nothing twice, nothing lost)"; [ "$rc" = 0 ] || diag "$out"
daemon_stop TERM
is "$DRC" 0 "SIGTERM: exit 0 (again)"

# ---- missing log at start ---------------------------------------------------------
M=$TMP/missing
mkdir -p "$M"
daemon_start --log "$M/mainlog" --db "$M/ew.db"; rc=$?
is "$rc" 0 "a missing log: the daemon still gets ready"
like "$(cat "$DERR")" "$M/mainlog does not exist yet, waiting for it" "a missing log: it says it waits"
wait_for 5 test -s "$M/ew.db"
like "$("$EW" status --db "$M/ew.db" --format json)" '"waiting_for_log": true' "status: waiting for the log"
ewlines 0 50 "$M/truth.json" > "$M/mainlog.tmp"
mv "$M/mainlog.tmp" "$M/mainlog"
out=$(wait_truth "$M/ew.db" "$M/truth.json" 10); rc=$?
is "$rc" 0 "the log appears (renamed into place): its lines are counted"; [ "$rc" = 0 ] || diag "$out"
ewlines 50 50 "$M/truth.json" >> "$M/mainlog"
out=$(wait_truth "$M/ew.db" "$M/truth.json" 10); rc=$?
is "$rc" 0 "... and it is followed"; [ "$rc" = 0 ] || diag "$out"
like "$(cat "$DERR")" "appeared, following it" "it says the log appeared"
daemon_stop TERM
is "$DRC" 0 "exit 0"

# SIGTERM while still waiting for the log
M3=$TMP/missing3
mkdir -p "$M3"
daemon_start --log "$M3/mainlog" --db "$M3/ew.db"; is $? 0 "a missing log: ready (to be stopped while waiting)"
daemon_stop TERM
is "$DRC" 0 "SIGTERM while waiting for the log: exit 0"

M2=$TMP/missing2
mkdir -p "$M2"
daemon_start --log "$M2/mainlog" --db "$M2/ew.db"; is $? 0 "a missing log (created empty, then written): ready"
: > "$M2/mainlog"
sleep 0.2
ewlines 0 40 "$M2/truth.json" >> "$M2/mainlog"
out=$(wait_truth "$M2/ew.db" "$M2/truth.json" 10); rc=$?
is "$rc" 0 "a log created empty and then written is read"; [ "$rc" = 0 ] || diag "$out"
daemon_stop TERM

# ---- unreadable log -------------------------------------------------------------------------------------
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
	setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	U=$TMP/unreadable
	mkdir -p "$U/db"
	chmod 755 "$U"
	chmod 777 "$U/db"
	ewlines 0 5 > "$U/mainlog"
	chown root:root "$U/mainlog"
	chmod 0640 "$U/mainlog"
	grp=$(getent group 0 | cut -d: -f1)
	daemon_start_cmd setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$EW" run --log "$U/mainlog" --db "$U/db/ew.db"
	rc=$?
	is "$rc" 1 "an unreadable log: the daemon does not get ready"
	[ -n "$DRC" ] && [ "$DRC" != 0 ]; is $? 0 "an unreadable log: non-zero exit (${DRC:-still running})"
	is "$DRC" 66 "an unreadable log: exit 66 (EX_NOINPUT)"
	like "$(cat "$DERR")" "cannot read $U/mainlog \\(owner root:$grp, mode 0640\\): add the eximwatch user to group '$grp'" \
		"an unreadable log: the message names the group"
	unlike "$(cat "$DOUT")" "ready" "no ready line"
	daemon_alive && daemon_kill9
else
	diag "skipping the unreadable-log checks: needs root and setpriv"
fi

# ---- a database that cannot be opened ----------------------------------------------------------------
daemon_start_cmd "$EW" run --log "$LOG" --db "$LOG/ew.db"; rc=$?
is "$rc" 1 "a database under a regular file: no ready"
is "${DRC:-still running}" 74 "a database that cannot be created: exit 74 (EX_IOERR)"
like "$(cat "$DERR")" "$LOG/ew.db" "a database that cannot be created: the message names it"
daemon_alive && daemon_kill9

# ---- a 10 MB line ---------------------------------------------------------------------------------------
B=$TMP/big
mkdir -p "$B"
ewlines 0 10 "$B/truth.json" > "$B/mainlog"
daemon_start --log "$B/mainlog" --db "$B/ew.db"; is $? 0 "big line: ready"
out=$(wait_truth "$B/ew.db" "$B/truth.json" 10); rc=$?
is "$rc" 0 "big line: lines before it counted"; [ "$rc" = 0 ] || diag "$out"
hwm0=$(daemon_vmhwm)
{
	printf '%s H=(x) [192.0.2.99]:1 F=<a@b> rejected RCPT <c@d>: ' "$(date '+%Y-%m-%d %H:%M:%S')"
	head -c 10485760 /dev/zero | tr '\0' 'A'
	printf '\n'
} >> "$B/mainlog"
ewlines 10 100 "$B/truth.json" >> "$B/mainlog"
out=$(wait_truth "$B/ew.db" "$B/truth.json" 15); rc=$?
is "$rc" 0 "big line: skipped, and the lines after it are counted"; [ "$rc" = 0 ] || diag "$out"
oversized_one() { [ "$(db_stat "$B/ew.db" oversized)" = 1 ]; }
wait_for 10 oversized_one
is "$(db_stat "$B/ew.db" oversized)" 1 "big line: counted as oversized (stats.oversized = 1)"
is "$(db_stat "$B/ew.db" lines)" 111 "big line: 111 lines read in all"
hwm=$(daemon_vmhwm)
diag "VmHWM before the big line ${hwm0} kB, after ${hwm} kB"
[ -n "$hwm" ] && [ "$hwm" -lt 65536 ]; is $? 0 "big line: peak RSS stays under 64 MB (VmHWM ${hwm} kB)"
daemon_stop TERM
is "$DRC" 0 "big line: exit 0"

# ---- check-config ---------------------------------------------------------------------------------------
C=$TMP/conf
mkdir -p "$C"
cat > "$C/good.yaml" <<EOF
log: $C/mainlog
db: $C/ew.db
flush_interval: 200ms
retention: 30d
EOF
chmod 640 "$C/good.yaml"
out=$("$EW" check-config --config "$C/good.yaml" 2>&1); rc=$?
is "$rc" 0 "check-config: a good configuration exits 0"
like "$out" "configuration OK: [0-9]+ rules,.* log $C/mainlog, database $C/ew.db" "check-config: says OK with the log and database"
printf 'log: %s\ndb: %s\nflush_interval: fast\n' "$C/mainlog" "$C/ew.db" > "$C/bad.yaml"
out=$("$EW" check-config --config "$C/bad.yaml" 2>&1); rc=$?
is "$rc" 78 "check-config: a bad configuration exits 78"
like "$out" "$C/bad.yaml:3:[0-9]+: flush_interval must be" "check-config: the error as file:line:col"
printf 'log: %s\nrules:\n  dirs: [%s]\n' "$C/mainlog" "$C/rules" > "$C/badrules.yaml"
mkdir -p "$C/rules"
printf 'rules:\n  - id: x_rule\n    severity: info\n    description: d\n    remedy: r\n    match:\n      - literals: ["hello world"]\n        regex: %s\n' "'^hello (world'" > "$C/rules/x.yaml"
out=$("$EW" check-config --config "$C/badrules.yaml" 2>&1); rc=$?
is "$rc" 78 "check-config: a bad rule file exits 78"
like "$out" "$C/rules/x.yaml:8:[0-9]+: bad regex" "check-config: the rule error as file:line:col"
out=$("$EW" check-config --config "$C/nosuch.yaml" 2>&1); rc=$?
[ "$rc" != 0 ]; is $? 0 "check-config: an explicit --config that does not exist fails ($rc)"
out=$(EXIMWATCH_CONFIG=$C/nosuch.yaml "$EW" check-config 2>&1); rc=$?
is "$rc" 0 "check-config: no configuration file at the default place is fine"
like "$out" "built-in defaults" "check-config: says it uses the built-in defaults"

# ---- the daemon and its configuration file --------------------------------------------------------------
ewlines 0 20 "$C/truth.json" > "$C/mainlog"
daemon_start --config "$C/good.yaml"; is $? 0 "--config: ready"
out=$(wait_truth "$C/ew.db" "$C/truth.json" 10); rc=$?
is "$rc" 0 "--config: its 'log' and 'db' are used"; [ "$rc" = 0 ] || diag "$out"
like "$(cat "$DERR")" "following $C/mainlog, database $C/ew.db" "--config: says what it follows"
unlike "$(cat "$DERR")" "built-in defaults" "--config: no word of built-in defaults"
daemon_stop TERM
is "$DRC" 0 "exit 0"

ewlines 0 15 "$C/truth2.json" > "$C/other.log"
daemon_start --config "$C/good.yaml" --log "$C/other.log" --db "$C/other.db"; is $? 0 "--config with --log/--db: ready"
out=$(wait_truth "$C/other.db" "$C/truth2.json" 10); rc=$?
is "$rc" 0 "flags override the configuration file (--log, --db)"; [ "$rc" = 0 ] || diag "$out"
like "$(cat "$DERR")" "following $C/other.log, database $C/other.db" "flags override: says what it follows"
daemon_stop TERM
out=$(wait_truth "$C/ew.db" "$C/truth.json" 0); rc=$?
is "$rc" 0 "flags override: the configured database got nothing more"; [ "$rc" = 0 ] || diag "$out"

daemon_start_cmd "$EW" run --config "$C/bad.yaml"; rc=$?
is "$rc" 1 "a bad configuration: no ready"
is "$DRC" 78 "a bad configuration: exit 78"
like "$(cat "$DERR")" "$C/bad.yaml:3:[0-9]+: flush_interval must be" "a bad configuration: file:line:col"

daemon_start_cmd "$EW" run --config "$C/nosuch.yaml" --log "$C/mainlog" --db "$C/x.db"; rc=$?
is "$rc" 1 "an explicit --config that does not exist: no ready"
is "$DRC" 78 "an explicit --config that does not exist: exit 78"

EXIMWATCH_CONFIG=$C/nosuch.yaml daemon_start --log "$C/mainlog" --db "$C/defaults.db"; is $? 0 "no configuration file: ready"
like "$(cat "$DERR")" "no configuration file at $C/nosuch.yaml: running on built-in defaults" \
	"no configuration file: says it runs on built-in defaults"
daemon_stop TERM
is "$DRC" 0 "exit 0"

diag "30-daemon-basic: $((SECONDS - T0)) s"
done_testing
