#!/bin/bash
# Acting on offenders through a real CrowdSec Local API (Debian's crowdsec,
# private, on the loopback), asserted as a firewall bouncer sees it (GET
# /v1/decisions?ip=): a brute force gets a ban of the configured duration;
# seven IPv6 addresses of one /64 get one Range ban; a known client, an
# address in never_act or in a trusted relay list gets none, and the
# notification says why; the Local API down (and the daemon killed) loses
# nothing; two servers report to one Local API; a wrong password is a clear
# error, retried, never a crash; a dry_run sink sends nothing.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/alerts.sh"
. "$ROOT/tests/lib/crowdsec.sh"

lapi_start; is $? 0 "a private CrowdSec Local API is up"
lapi_machine mail1 'right-pw-1'
lapi_machine mail2 'right-pw-2'
receiver hook
echo 192.0.2.200 > "$TMP/relayhosts"
CFG=$TMP/eximwatch.yaml
cfg() { # PASSWORD
	cat > "$CFG" <<EOC
alerts: {host: mail1.example.com}
never_act: [203.0.113.0/24]
trusted_relay_files: [$TMP/relayhosts, $TMP/no-such-file]
sinks:
  lapi:
    type: crowdsec
    url: "$LAPI_URL"
    login: mail1
    password_file: $TMP/lapi.pw
    duration: 2h
    retry_initial: 200ms
    retry_max: 1s
    connect_timeout: 500ms
    timeout: 2s
  lapi_dry: {type: crowdsec, url: "$LAPI_URL", login: mail1, password: x, dry_run: true}
  hook: {type: webhook, url: "http://127.0.0.1:$hook_PORT/hook"}
thresholds:
  - id: bf_ip
    classes: [auth_failed]
    by: ip
    window: 1m
    count: 5
    first_wait: 0s
    group_wait: 1s
    sinks: [lapi, lapi_dry, hook]
  - id: bf_net
    classes: [auth_failed]
    by: prefix
    distinct: {field: ip, count: 7}
    window: 1m
    first_wait: 0s
    group_wait: 1s
    sinks: [lapi, hook]
EOC
	printf '%s\n' "$1" > "$TMP/lapi.pw"
	chmod 600 "$CFG" "$TMP/lapi.pw"
}
run() { RC=0; OUT=$("$@" 2>&1) || RC=$?; }
# decision IP: the bouncer's decisions for IP as origin:type:scope:value:scenario
field() { grep -o "\"$1\":\"[^\"]*\"" | cut -d'"' -f4; }
decision() {
	local o
	{ lapi_decisions "$1"; echo; } | sed 's/},{/}\n{/g' | while read -r o; do
		case $o in *'"value"'*) ;; *) continue ;; esac
		echo "$(field origin <<<"$o"):$(field type <<<"$o"):$(field scope <<<"$o"):$(field value <<<"$o"):$(field scenario <<<"$o")"
	done | paste -sd' '
}
has_decision() { [ -n "$(decision "$1")" ]; }
auth_ok() { # IP ACCOUNT: a message submitted after a successful login
	printf '%s 1xV2wT-%06d-0v <= %s H=(laptop) [%s]:38027 P=esmtpsa X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no A=dovecot_plain:%s S=473 id=r@example.com T="hi" for bob@example.com\n' \
		"$(date '+%Y-%m-%d %H:%M:%S')" "$((RANDOM % 1000000))" "$2" "$1" "$2"
}
pending() { [ "$(sqlite3 "$DB" "SELECT count(*) FROM outbox WHERE sink = 'lapi' AND status = 'pending'")" -ge 1 ]; }

# ---- a wrong password: clear errors, no crash, retried ------------------------------
cfg wrong-pw
run "$EW" alerts test lapi --config "$CFG"
[ "$RC" != 0 ]; is $? 0 "alerts test: a wrong password fails ($RC)"
like "$OUT" "login as 'mail1' refused: HTTP 401.*incorrect Username or Password.*check the sink's login and password" \
	"alerts test: says the login was refused and what to check"
unlike "$OUT" "wrong-pw" "alerts test: never prints the password"
daemon_start "$CFG"; is $? 0 "the daemon starts with a wrong password"
wait_for 10 grep -q "sink 'lapi': CrowdSec Local API .* failed: login: HTTP 401" "$TMP/daemon.err"
is $? 0 "the daemon says at start that the login failed"
lapi_machine mail1 wrong-pw       # the admin fixes it on the LAPI side
wait_for 10 grep -q "sink 'lapi': logged in to the CrowdSec Local API as 'mail1' again" "$TMP/daemon.err"
is $? 0 "the login is retried and succeeds once the password is right"
kill -0 "$DPID"; is $? 0 "still running"
daemon_stop
unlike "$(cat "$TMP/daemon.err")" "wrong-pw|right-pw" "no password in the daemon's log"
lapi_machine mail1 right-pw-1
cfg right-pw-1
run "$EW" alerts test lapi --config "$CFG"
is "$RC" 0 "alerts test: the right password logs in"
like "$OUT" "sink 'lapi' \\(crowdsec\\): logged in to $LAPI_URL as 'mail1' \\(HTTP 200 in [0-9]+ ms\\); decisions: ban for 2h" \
	"alerts test reports the login and the decisions"

# ---- a brute force: a ban of the configured duration -----------------------------------
daemon_start "$CFG"; is $? 0 "the daemon is ready"
auth_ok 198.51.100.7 alice@example.com >> "$LOG"
sleep 1.2          # committed: the known client is in the store
for i in 1 2 3 4 5 6; do
	af 192.0.2.66 bob@example.com
	af 198.51.100.7 alice@example.com           # a known client, stale password
	af 203.0.113.9 carol@example.com            # never_act
	af 192.0.2.200 dave@example.com             # a trusted relay host
done >> "$LOG"
for i in 1 2 3 4 5 6 7; do af "2001:db8:1:2::$i" "u$i@example.com"; done >> "$LOG"
wait_for 10 has_decision 192.0.2.66; is $? 0 "the brute-forcing address gets a decision"
is "$(decision 192.0.2.66)" "eximwatch:ban:Ip:192.0.2.66:eximwatch/bf_ip" \
	"one ban, scope Ip, origin eximwatch, scenario eximwatch/bf_ip"
dur=$(lapi_decisions 192.0.2.66 | field duration | sed -E 's/^([0-9]+)h([0-9]+)m.*/\1 * 60 + \2/')
dur=$((dur))
[ "$dur" -ge 118 ] && [ "$dur" -le 120 ]; is $? 0 "for the configured 2h ($dur minutes left)"
wait_for 10 has_decision 2001:db8:1:2::99; is $? 0 "an address of the /64 has a decision"
is "$(decision 2001:db8:1:2::99)" "eximwatch:ban:Range:2001:db8:1:2::/64:eximwatch/bf_net" \
	"seven addresses of one /64: one Range ban for the network"
is "$(decision 2001:db8:1:3::1)" "" "the next /64 is not banned"
wait_for 10 grep -q 'alert bf_ip: 192.0.2.200 is not given' "$TMP/daemon.err"
is "$(decision 198.51.100.7)" "" "a known client failing with a stale password: no decision"
is "$(decision 203.0.113.9)" "" "an address in never_act: no decision"
is "$(decision 192.0.2.200)" "" "a trusted relay host: no decision"
# the webhook's firing groups with their not_acted reasons: "GROUP=WHY"
python3 - "$TMP/hook.jsonl" > "$TMP/why" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    b = json.loads(json.loads(l)["body"])
    for g in b["data"]["firing"]:
        print("%s=%s" % (g["group"], g.get("not_acted", "")))
PY
why() { grep "^$1=" "$TMP/why" | head -n 1 | cut -d= -f2-; }
is "$(why 198.51.100.7)" "known client of alice@example.com" \
	"the notification says why it was not blocked: a known client"
is "$(why 203.0.113.9)" "in never_act (203.0.113.0/24)" "... never_act"
is "$(why 192.0.2.200)" "a trusted relay host (192.0.2.200 in $TMP/relayhosts)" "... a relay host"
is "$(why 192.0.2.66)" "" "the banned address has no such note"
grep -q "dry run: sink 'lapi_dry' (crowdsec) would send: ban Ip 192.0.2.66 for 4h (eximwatch/bf_ip, [0-9]* events)" "$TMP/daemon.err"
is $? 0 "a dry_run sink logs what it would have sent"
n=$(lapi_cscli alerts list -a -m -o raw 2>/dev/null | grep -c '^[0-9]*,Ip,192\.0\.2\.66,')
is "$n" 1 "... and sends nothing (one alert for the address, from the real sink)"
is "$(sqlite3 "$DB" "SELECT group_concat(DISTINCT status) FROM outbox WHERE sink = 'lapi_dry'")" dry_run \
	"its outbox rows say dry_run"

# ---- the Local API down, the daemon killed: nothing lost -----------------------------
lapi_stop
for i in 1 2 3 4 5 6; do af 192.0.2.77 eve@example.com; done >> "$LOG"
wait_for 10 pending; is $? 0 "the Local API is down: the decision waits in the outbox"
daemon_stop KILL
daemon_start "$CFG"; is $? 0 "the daemon restarts after SIGKILL"
sleep 3             # a while down: retried every second (retry_max), as it would for a minute
grep -q "notification [0-9]* to sink 'lapi' failed" "$TMP/daemon.err"; is $? 0 "retried while down"
lapi_start; is $? 0 "the Local API is back (a new JWT secret)"
wait_for 15 has_decision 192.0.2.77; is $? 0 "the decision made while it was down arrives"
is "$(sqlite3 "$DB" "SELECT count(*) FROM outbox WHERE sink = 'lapi' AND status != 'delivered'")" 0 \
	"every CrowdSec notification delivered"
is "$(decision 192.0.2.66)" "eximwatch:ban:Ip:192.0.2.66:eximwatch/bf_ip" "the decisions from before are still there"

# the Local API restarts under a running daemon: its JWT is refused (401),
# it logs in again and the decision goes through
lapi_stop; lapi_start
for i in 1 2 3 4 5 6; do af 192.0.2.78 eve@example.com; done >> "$LOG"
wait_for 15 has_decision 192.0.2.78; is $? 0 "after a Local API restart: a new login, the decision arrives"
grep -q "sink 'lapi': HTTP 401, logging in again" "$TMP/daemon.err"; is $? 0 "... the old JWT was refused (401)"

# ---- a second server on the same Local API --------------------------------------------
sed -e 's/host: mail1.example.com/host: mail2.example.com/' -e 's/login: mail1$/login: mail2/' \
	-e "s|$TMP/lapi.pw|$TMP/lapi2.pw|" "$CFG" > "$TMP/mail2.yaml"
echo right-pw-2 > "$TMP/lapi2.pw"; chmod 600 "$TMP/mail2.yaml" "$TMP/lapi2.pw"
: > "$TMP/mainlog2"
"$EW" run --config "$TMP/mail2.yaml" --log "$TMP/mainlog2" --db "$TMP/db2.sqlite" >"$TMP/d2.out" 2>"$TMP/d2.err" &
D2=$!; _PIDS="$_PIDS $D2"
wait_for 10 grep -q '^ready' "$TMP/d2.out"; is $? 0 "a second daemon (mail2) is ready"
for i in 1 2 3 4 5 6; do af 192.0.2.99 x@example.com; done >> "$LOG"
for i in 1 2 3 4 5 6; do af 192.0.2.99 x@example.com; done >> "$TMP/mainlog2"
# cscli alerts list: -a (CrowdSec 1.4 shows only origins crowdsec and cscli
# without it), -m: the machine that reported each
two() { lapi_cscli alerts list -a -m -o raw 2>/dev/null | grep '^[0-9]*,Ip,192\.0\.2\.99,' |
	awk -F, '{ print $NF }' | sort -u | paste -sd' '; }
two_eq() { [ "$(two)" = "mail1 mail2" ]; }
wait_for 10 two_eq; is "$(two)" "mail1 mail2" "cscli alerts list: both servers reported the attacker"
kill "$D2"; wait "$D2"
daemon_stop
done_testing
