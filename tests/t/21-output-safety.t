#!/bin/bash
# What eximwatch prints and creates is safe: log text with a C1 control
# (0xc2 0x9b, the one-byte CSI many terminals obey) or an ESC reaches no
# terminal from `test --show` (text and JSON) or `eximwatch alerts`; the
# database `scan` and the daemon create is not readable by everyone, even
# under umask 022.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/alerts.sh"

run() { RC=0; OUT=$("$@" 2>&1) || RC=$?; }
# raw TEXT: 0 if TEXT holds a raw C1 CSI or ESC byte
raw() { printf '%s' "$1" | LC_ALL=C grep -q $'\xc2\x9b\|\x1b'; }

CSI=$'\xc2\x9b'
now=$(date '+%Y-%m-%d %H:%M:%S')
printf '%s dovecot_login authenticator failed for (x%s2J) [192.0.2.8]:5: 535 Incorrect authentication data (set_id=evil%s31m\033[2J@example.com)\n' \
	"$now" "$CSI" "$CSI" > "$TMP/c1.log"

run "$EW" test --show auth_failed "$TMP/c1.log"
like "$OUT" '^auth_failed: ' "test --show prints the match"
raw "$OUT"; is $? 1 "test --show: no raw C1 or ESC reaches the terminal"
like "$OUT" 'set_id=evil\\xc2\\x9b31m\\x1b\[2J@example.com' "... they are shown as \\xNN"
run "$EW" test --show auth_failed --format json "$TMP/c1.log"
raw "$OUT"; is $? 1 "test --show --format json: no raw C1 or ESC either"
like "$OUT" 'evil\\u009b31m\\u001b\[2J@' "... they are JSON escapes"

# an alert whose group (the account) holds them
cat > "$TMP/ew.yaml" <<EOF
sinks:
  s: {type: webhook, url: "http://127.0.0.1:1/x", connect_timeout: 100ms, timeout: 100ms}
thresholds:
  - id: acct
    classes: [auth_failed]
    by: account
    window: 1m
    count: 1
    first_wait: 10ms
    sinks: [s]
EOF
daemon_start "$TMP/ew.yaml"; is $? 0 "the daemon is ready"
cat "$TMP/c1.log" >> "$LOG"
wait_for 10 sh -c "'$EW' alerts --db '$DB' | grep -q acct"; is $? 0 "the alert fired"
daemon_stop
run "$EW" alerts --db "$DB"
like "$OUT" 'acct +evil' "alerts lists it"
raw "$OUT"; is $? 1 "alerts: no raw C1 or ESC reaches the terminal"
run "$EW" alerts --db "$DB" --format json
raw "$OUT"; is $? 1 "alerts --format json: none either"

# ---- files created: not for everyone, whatever the umask ---------------------------------
(umask 022; "$EW" scan -q --db "$TMP/new/scan.db" "$TMP/c1.log")
is "$(stat -c %a "$TMP/new/scan.db")" 640 "scan under umask 022: the database is 0640"
is "$(stat -c %a "$TMP/new")" 750 "... its new directory 0750"
LOG2=$TMP/mainlog2
: > "$LOG2"
(umask 022; exec "$EW" run --log "$LOG2" --db "$TMP/new2/run.db" > "$TMP/run.out" 2>&1) &
p=$!; _PIDS="$_PIDS $p"
wait_for 10 grep -q ready "$TMP/run.out"
kill "$p"; wait "$p"
is "$(stat -c %a "$TMP/new2/run.db")" 640 "the daemon under umask 022: the database is 0640"
is "$(stat -c %a "$TMP/new2")" 750 "... its new directory 0750"
(umask 077; "$EW" scan -q --db "$TMP/new3/scan.db" "$TMP/c1.log")
is "$(stat -c %a "$TMP/new3/scan.db")" 600 "a stricter umask (077) is kept"
done_testing
