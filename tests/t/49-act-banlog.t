#!/bin/bash
# The CSF and fail2ban hand-off: a banlog sink written by the real daemon
# (a brute force, a /64 network; not a known client nor a relay host; a
# dry_run sink writes nothing; `alerts test` writes a line that bans
# nobody), then Debian's fail2ban-regex with packaging/fail2ban's filter and
# Perl running packaging/csf's regex.custom.pm over it: each finds exactly
# the banned addresses.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/alerts.sh"

command -v perl >/dev/null || skip_all "no perl"
command -v fail2ban-regex >/dev/null ||
	skip_all "fail2ban is not installed (tests/deps.sh)"
BANS=$TMP/bans.log
echo 192.0.2.200 > "$TMP/relayhosts"
CFG=$TMP/eximwatch.yaml
cat > "$CFG" <<EOC
alerts: {host: mail1.example.com}
trusted_relay_files: [$TMP/relayhosts]
sinks:
  bans: {type: banlog, path: $BANS, duration: 2h}
  dry: {type: banlog, path: $TMP/dry.log, dry_run: true}
thresholds:
  - {id: brute_force_ip, classes: [auth_failed], by: ip, window: 1m, count: 5, first_wait: 0s, sinks: [bans, dry]}
  - {id: bf_net, classes: [auth_failed], by: prefix, distinct: {field: ip, count: 7}, window: 1m, first_wait: 0s, sinks: [bans]}
EOC
auth_ok() {
	printf '%s 1xV2wT-%06d-0v <= %s H=(laptop) [%s]:38027 P=esmtpsa X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no A=dovecot_plain:%s S=473 id=r@example.com T="hi" for bob@example.com\n' \
		"$(date '+%Y-%m-%d %H:%M:%S')" "$((RANDOM % 1000000))" "$2" "$1" "$2"
}
run() { RC=0; OUT=$("$@" 2>&1) || RC=$?; }

run "$EW" alerts test bans --config "$CFG"
is "$RC" 0 "alerts test: a test line"
like "$(cat "$BANS")" "^[0-9T:-]+Z eximwatch test - threshold=eximwatch_test host=mail1.example.com events=0" \
	"the test line names no address"
daemon_start "$CFG"; is $? 0 "the daemon is ready"
auth_ok 198.51.100.7 alice@example.com >> "$LOG"
sleep 1.2
for i in 1 2 3 4 5 6; do
	af 192.0.2.66 bob@example.com
	af 198.51.100.7 alice@example.com
	af 192.0.2.200 dave@example.com
done >> "$LOG"
for i in 1 2 3 4 5 6 7; do af "2001:db8:1:2::$i" "u$i@example.com"; done >> "$LOG"
lines() { [ "$(grep -c ' eximwatch ban ' "$BANS")" -ge 2 ]; }
wait_for 10 lines; is $? 0 "the daemon wrote its decisions"
wait_for 10 grep -q 'alert brute_force_ip: 192.0.2.200 is not given' "$TMP/daemon.err"
sleep 0.5
daemon_stop
want="192.0.2.66
2001:db8:1:2::/64"
is "$(grep ' eximwatch ban ' "$BANS" | awk '{ print $4 }' | sort)" "$want" \
	"the bans: the brute force and the network, not the known client or the relay host"
like "$(grep '192.0.2.66' "$BANS")" "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z eximwatch ban 192\\.0\\.2\\.66 duration=7200 threshold=brute_force_ip host=mail1\\.example\\.com events=[0-9]+$" \
	"a line in the documented format"
[ ! -e "$TMP/dry.log" ]; is $? 0 "a dry_run banlog writes nothing"
grep -q "dry run: sink 'dry' (banlog) would send: ban 192.0.2.66 duration=14400" "$TMP/daemon.err"
is $? 0 "... and logs what it would have written"

# ---- fail2ban ----------------------------------------------------------------------------
F2B=$(fail2ban-regex -v "$BANS" "$ROOT/packaging/fail2ban/filter.d/eximwatch.conf" 2>&1)
got=$(printf '%s\n' "$F2B" | sed -n 's/^|      \([0-9a-fA-F:./]*\)  .*/\1/p' | sort)
is "$got" "$want" "fail2ban-regex with the shipped filter: exactly the banned addresses"
like "$F2B" "Lines: 3 lines, 0 ignored, 2 matched, 1 missed" "the test line is not matched"
# the jail, read by fail2ban's own configuration reader (a dump, nothing runs)
mkdir -p "$TMP/f2b"
cp -r /etc/fail2ban/. "$TMP/f2b/"
rm -f "$TMP/f2b/jail.d/"*
cp "$ROOT/packaging/fail2ban/filter.d/eximwatch.conf" "$TMP/f2b/filter.d/"
sed -e 's/^enabled  = false/enabled  = true/' -e "s|^logpath .*|logpath  = $BANS|" \
	"$ROOT/packaging/fail2ban/jail.d/eximwatch.conf" > "$TMP/f2b/jail.d/eximwatch.conf"
run fail2ban-client -c "$TMP/f2b" -d
like "$OUT" "\\['add', 'eximwatch', 'polling'\\]" "fail2ban-client reads the shipped jail"
like "$OUT" "\\['set', 'eximwatch', 'maxretry', 1\\]" "... one match bans"

# ---- CSF ----------------------------------------------------------------------------------
PM=$ROOT/packaging/csf/regex.custom.pm
run perl -c "$PM"
is "$RC" 0 "regex.custom.pm compiles (perl -c)"
grep -qF -f "$ROOT/packaging/csf/regex.custom.pm.snippet" "$PM"
is $? 0 "the example holds the snippet to merge"
csf() { # what lfd would block: custom_line over the log, as lfd calls it
	perl -e '
		our %globlogs = (CUSTOM1_LOG => { $ARGV[1] => 1 });
		require $ARGV[0];
		open(my $f, "<", $ARGV[1]) or die;
		while (my $line = <$f>) {
			chomp $line;
			my @r = custom_line($line, $ARGV[1]);
			print "$r[1] $r[2] $r[3] $r[5]\n" if @r > 1;
		}' "$PM" "$1"
}
got=$(csf "$BANS")
is "$(awk '{ print $1 }' <<<"$got" | sort)" "$want" "CSF's rule over the same log: the same addresses"
like "$got" "192\\.0\\.2\\.66 eximwatch 1 7200" "trigger 1, blocked for the line's duration"
cp "$BANS" "$TMP/other.log"
is "$(perl -e '
	our %globlogs = (CUSTOM1_LOG => { "/var/lib/eximwatch/bans.log" => 1 });
	require $ARGV[0];
	open(my $f, "<", $ARGV[1]) or die;
	while (my $line = <$f>) { chomp $line; my @r = custom_line($line, $ARGV[1]); print "x\n" if @r > 1; }' \
	"$PM" "$TMP/other.log")" "" "another log: nothing (the rule is for CUSTOM1_LOG only)"
done_testing
