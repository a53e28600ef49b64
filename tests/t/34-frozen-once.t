#!/bin/bash
# A class counted once per message id (frozen: "Frozen (...)" once, then
# "Message is frozen" on every queue run): `scan`, `test` and the daemon
# count each frozen message once, also when its repeats come in later
# appends, after a commit and after a SIGHUP reload; "Completed" forgets a
# message from the table.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/daemon.sh"

D=$TMP/frozen
mkdir -p "$D"
LOG=$D/mainlog
DB=$D/ew.db
NLINES=0
now() { date '+%Y-%m-%d %H:%M:%S'; }
add() { # LINE BODIES...: append with the current time
	local b
	for b in "$@"; do
		printf '%s %s\n' "$(now)" "$b" >> "$LOG"
		NLINES=$((NLINES + 1))
	done
}
frozen_count() { # DB: the frozen total of the report (0 if none)
	"$EW" report --db "$1" --since all --class frozen --format json |
		python3 -c 'import json,sys; print(sum(r["count"] for r in json.load(sys.stdin)["rows"]))'
}
lines_read() { [ "$(db_stat "$DB" lines)" = "$NLINES" ]; }

A=1xW3kN-0004Qn-7o          # frozen while the log runs
B=1xW3kQ-0004Qq-9b          # frozen before the log started
C=1x5dJQ-00000002ksM-1pMm   # 4.97+ id, sender known
E=1xW3kR-0004Qr-0c          # frozen, completed, then seen again

# ---- the first part: the daemon catches up on it ------------------------------------
add "$C <= alice@example.com U=alice P=local S=900 for x@example.net" \
	"$A <= <> R=1xW3kM-0004Qm-6n U=mailnull P=local S=2000 for a@example.net" \
	"$A ** a@example.net R=lookuphost T=remote_smtp: Unrouteable address" \
	"$A Frozen (delivery error message)" \
	"Start queue run: pid=31912" \
	"$B Message is frozen" \
	"$A Message is frozen" \
	"$C Frozen" \
	"End queue run: pid=31912"
daemon_start --log "$LOG" --db "$DB"; is $? 0 "ready"
wait_for 10 lines_read; is $? 0 "the first part is read"
is "$(frozen_count "$DB")" 3 "three frozen messages, each counted once"

# ---- later queue runs: the repeats come in new appends --------------------------------
for run in 1 2 3; do
	add "Start queue run: pid=3200$run" "$B Message is frozen" \
		"$A Message is frozen" "$C Message is frozen" \
		"End queue run: pid=3200$run"
	wait_for 10 lines_read
done
is "$(frozen_count "$DB")" 3 "three queue runs later: still three"

# ---- a reload keeps what was counted ---------------------------------------------------
kill -HUP "$DPID"
wait_for 10 grep -q 'reloaded' "$DERR"; is $? 0 "SIGHUP: reloaded"
add "$E Message is frozen" "$A Message is frozen" "$B Message is frozen"
wait_for 10 lines_read
is "$(frozen_count "$DB")" 4 "after the reload: the repeats still count nothing, a new message counts"

# ---- "Completed" forgets a message ---------------------------------------------------
add "$E Completed" "$E Message is frozen"
wait_for 10 lines_read
is "$(frozen_count "$DB")" 5 "Completed removes the message from the table (a later line of it counts again)"
daemon_stop TERM
is "$DRC" 0 "SIGTERM: exit 0"

by_acct=$("$EW" report --db "$DB" --since all --class frozen --by account --format json)
like "$by_acct" '"account": "alice@example.com", "count": 1' \
	"the frozen message's account is its sender (from its <= line)"

# ---- scan and test over the same file agree --------------------------------------------
ok "scan of the same log" "$EW" scan -q --db "$D/scan.db" "$LOG"
is "$(frozen_count "$D/scan.db")" 5 "scan counts the same: 5"
got=$("$EW" test --format json "$LOG")
is "$(printf '%s' "$got" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["matched"]["frozen"], d["repeats"])')" \
	"5 12" "test: frozen 5, and the 12 repeated lines are reported as repeats"
like "$("$EW" test "$LOG")" "12 more line\\(s\\) of messages already counted" \
	"test (text) says how many repeats it did not count"
done_testing
