#!/bin/bash
# End to end against a REAL Exim (tests/realexim, EW_DIAG=1): the diagnose
# scenarios — a laptop with an old password, a password guesser, a phone on
# 587 without TLS, a PC that does not authenticate, mail for a hosted
# domain missing from localdomains, our mail refused by a migrated domain's
# old MX, a mailbox used from 6 new networks, a web script's burst through
# sendmail, and two controls (a steady bulk sender, one typo) — driven
# after a week of synthetic history.  `eximwatch diagnose` over the run must
# find exactly what expected.json says; the counts (the script's mail by
# its cPanel user included) must match too.  Needs root and namespaces.
. "$(dirname "$0")/../lib/tap.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root"
unshare --mount --net true 2>/dev/null || skip_all "unshare --mount --net does not work here"
[ -x /usr/sbin/exim4 ] || command -v apt-get >/dev/null || skip_all "no exim4 and no apt-get"

HARNESS=$ROOT/tests/realexim
DIR=$TMP/realexim-diag
rc=0
env EW_DIAG=1 EW_EXIM_DIR="$DIR" "$HARNESS/run.sh" >"$TMP/run.log" 2>&1 || rc=$?
is "$rc" 0 "harness run with the diagnose scenarios"
if [ "$rc" != 0 ]; then
	diag "harness output:"; tail -n 30 "$TMP/run.log" | sed 's/^/#   /'
	done_testing
	exit
fi
EXP=$DIR/expected.json
ok "the mainlog matches expected.json (harness self-check)" \
	python3 "$HARNESS/verify.py" "$DIR/log/mainlog" "$EXP"

# the counts of the run alone
ok "scan the run" "$EW" scan -q --db "$TMP/run.db" "$DIR/log/mainlog"
mkdir -p "$TMP/rep"
for by in class class,ip class,account; do
	"$EW" report --db "$TMP/run.db" --since all --format json --by $by \
		>"$TMP/rep/by_${by//,/_}.json"
done
"$EW" report --db "$TMP/run.db" --since all --format json --by class,owner \
	--userdomains "$DIR/userdomains" >"$TMP/rep/by_class_owner.json"
ok "the counts match expected.json (totals, by ip, account and owner)" \
	python3 "$ROOT/tests/lib/compare_report.py" "$EXP" "$TMP/rep"
own=$("$EW" report --db "$TMP/run.db" --since all --format csv --by owner \
	--class msg_in_local --userdomains "$DIR/userdomains")
like "$own" "ember,40" "report --by owner: the script's mail is ember's (U=nobody, cwd=/home/ember/...)"

# the history, then the run: the window is the run
SINCE=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["diagnose"]["since"])' "$EXP")
ok "scan the week of history, then the run" \
	"$EW" scan -q --db "$TMP/all.db" "$DIR/history.log" "$DIR/log/mainlog"
printf 'diagnose:\n  volume_min: 30\n' >"$TMP/diag.yaml"
ARGS=(--db "$TMP/all.db" --config "$TMP/diag.yaml" --since "@$SINCE"
	--userdomains "$DIR/userdomains" --localdomains "$DIR/etc/localdomains")
"$EW" diagnose "${ARGS[@]}" --format json >"$TMP/findings.json" 2>"$TMP/err"
is "$?" 0 "diagnose the run"
ok "exactly the expected findings (kind, verdict, ip, account, owner, domain, events)" \
	python3 "$ROOT/tests/lib/compare_findings.py" "$EXP" "$TMP/findings.json"
f=$(cat "$TMP/findings.json")
unlike "$f" 'list@garnet\.test|127\.1\.5\.30' "control: the steady bulk sender is not accused"
unlike "$f" 'ivy@ember\.test|127\.1\.6\.40' "control: one typo of a known client is nothing"
unlike "$f" '"brute_force"[^}]*"127\.1\.1\.5"' "ed's laptop (a known client) is never brute_force"
ok "the evidence: dora's 6 new networks, ember's script directory and sender" python3 -c '
import json, sys
f = {x["kind"]: x for x in json.load(open(sys.argv[1]))["findings"]}
c = f["compromised_account"]["evidence"]
assert sorted(n["network"] for n in c["new_networks"]) == ["127.2.%d.0/24" % i for i in range(1, 7)], c
assert "new_networks" in c["signals"], c
s = f["script_spam"]["evidence"]
assert s["script_directories"][0]["value"] == "/home/ember/public_html/wp-content/plugins/contact-form", s
assert s["senders"][0]["value"] == "wordpress@ember.test", s
p = f["stale_password"]["evidence"]
assert p["known_by"] == "address" and p["failures"] == 4, p
' "$TMP/findings.json"
table=$("$EW" diagnose "${ARGS[@]}" 2>/dev/null)
like "$table" "abuse +script_spam +ember  40 events" "the table: the script"
like "$table" "helpdesk +stale_password +ed@delta.test from 127.1.1.5 \[delta\]  4 events" \
	"the table: the stale password"
"$EW" diagnose "${ARGS[@]}" --userdomains "$TMP/nosuch" --format json \
	>"$TMP/nouser.json" 2>"$TMP/err"
ok "without userdomains: the hosted-domain findings are skipped, not guessed" python3 -c '
import json, sys
kinds = sorted(f["kind"] for f in json.load(open(sys.argv[1]))["findings"])
assert kinds == ["brute_force", "brute_force", "compromised_account", "script_spam",
                 "stale_mx", "stale_password"], kinds' "$TMP/nouser.json"

done_testing
