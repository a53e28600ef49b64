#!/bin/bash
# The configuration of acting on offenders: never_act entries that are no
# address or network, acting sinks without what they need or on a
# threshold that has no address, bad durations and prefix lengths — each
# a configuration error at its file:line:col from check-config and the
# daemon (exit 78); the passwords never printed.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/alerts.sh"

run() { RC=0; OUT=$("$@" 2>&1) || RC=$?; }
C=$TMP/bad.yaml
cat > "$C" <<'EOF2'
never_act:
  - 192.0.2.0/24
  - 10.0.0/8
  - 2001:db8::/129
known_client_days: soon
sinks:
  cs: {type: crowdsec, url: "http://127.0.0.1:1", password_file: PWFILE}
  cs2: {type: crowdsec, url: "http://127.0.0.1:1", login: m, password: x, duration: forever, dry_run: maybe}
  bans: {type: banlog, path: relative/bans.log, url: "http://x"}
  hook: {type: webhook, url: "http://127.0.0.1:1", login: m}
thresholds:
  - id: per_account
    classes: [auth_failed]
    by: account
    window: 10m
    count: 5
    sinks: [bans]
EOF2
echo s3cret-Pw > "$TMP/pw"
sed -i "s|PWFILE|$TMP/pw|" "$C"
run "$EW" check-config --config "$C"
is "$RC" 78 "check-config: exit 78"
like "$OUT" "bad.yaml:3:5: never_act: '10.0.0/8' is not an address or a network" \
	"a CIDR typo in never_act at its line and column"
like "$OUT" "bad.yaml:4:5: never_act: '2001:db8::/129' is not an address" "a prefix too long"
like "$OUT" "bad.yaml:5:20: 'known_client_days' must be a number of days" "known_client_days"
like "$OUT" "bad.yaml:7:[0-9]+: sink 'cs' needs a login" "a crowdsec sink without a login"
like "$OUT" "bad.yaml:8:[0-9]+: 'duration' must be a duration" "a bad duration"
like "$OUT" "bad.yaml:8:[0-9]+: 'dry_run' must be true or false" "a bad dry_run"
like "$OUT" "bad.yaml:9:[0-9]+: 'path' must be an absolute file name" "a relative banlog path"
like "$OUT" "sink 'bans': a banlog sink writes a file \\('path'\\), it has no url" "a banlog with a url"
like "$OUT" "bad.yaml:10:[0-9]+: sink 'hook': 'login' is for crowdsec and banlog sinks" "an acting key on a webhook"
like "$OUT" "threshold 'per_account': sink 'bans' \\(banlog\\) acts on addresses: the threshold must be 'by: ip' or 'by: prefix'" \
	"an acting sink on a threshold without addresses"
unlike "$OUT" "s3cret-Pw" "the password is never printed"
run "$EW" run --config "$C" --log "$LOG" --db "$DB"
is "$RC" 78 "the daemon refuses it: exit 78"
like "$OUT" "bad.yaml:3:5: never_act: '10.0.0/8'" "the daemon prints file:line:col"
unlike "$OUT" "s3cret-Pw" "nor does the daemon print the password"

echo 'prefix: {v4: 8}' > "$TMP/prefix.yaml"
run "$EW" check-config --config "$TMP/prefix.yaml"
like "$OUT" "prefix.yaml:1:14: 'prefix.v4' must be a prefix length from 16 to 32" \
	"a network too wide to act on"

cat > "$C" <<EOF2
never_act: [192.0.2.0/24, "2001:db8::1"]
known_client_days: 0
trusted_relay_files: []
prefix: {v4: 28, v6: 56}
sinks:
  cs: {type: crowdsec, url: "http://127.0.0.1:1", login: m, password_env: EW_TEST_LAPI_PW, decision_type: captcha, duration: 30m}
  bans: {type: banlog, path: $TMP/bans.log, max_size: 64k, dry_run: true}
thresholds:
  - {id: net, classes: [auth_failed], by: prefix, window: 10m, count: 5, sinks: [cs, bans]}
EOF2
EW_TEST_LAPI_PW=pw run "$EW" check-config --config "$C"
is "$RC" 0 "a good acting configuration passes"
diag "$OUT"
EW_TEST_LAPI_PW=pw run "$EW" alerts test bans --config "$C"
is "$RC" 0 "alerts test on a dry_run banlog"
like "$OUT" "dry_run: the daemon would write to $TMP/bans.log: test - threshold=eximwatch_test" "says what it would write"
[ ! -e "$TMP/bans.log" ]; is $? 0 "and writes nothing"

# known_client_days is one setting for the guard and the diagnosis;
# diagnose.known_client_days, the diagnosis' first name for it, is an alias
printf 'diagnose:\n  known_client_days: 45\n' > "$TMP/alias.yaml"
run "$EW" check-config --config "$TMP/alias.yaml"
is "$RC" 0 "diagnose.known_client_days is accepted (an alias)"
printf 'known_client_days: 45\ndiagnose:\n  known_client_days: 60\n' > "$TMP/alias.yaml"
run "$EW" check-config --config "$TMP/alias.yaml"
is "$RC" 78 "both names: a configuration error"
like "$OUT" "alias.yaml:3:22: 'diagnose.known_client_days' is 'known_client_days' \\(line 1\\) again: set it once" \
	"... at the alias, naming the other"
printf 'diagnose:\n  known_client_days: -1\n' > "$TMP/alias.yaml"
run "$EW" check-config --config "$TMP/alias.yaml"
like "$OUT" "alias.yaml:2:22: 'diagnose.known_client_days' must be a number of days from 0 to 3650" \
	"a bad alias at its line and column, by the name written"
done_testing
