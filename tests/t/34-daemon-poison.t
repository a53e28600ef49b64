#!/bin/bash
# No single line can stop the daemon.  The real daemon, with thresholds by
# ip, account, owner, global and distinct, follows a log of hostile lines:
# NUL bytes in every field position, huge fields, 64 KiB and longer lines,
# bytes that are not UTF-8, terminal escapes, binary junk, injected H=
# text.  It must stay up, commit, count every line, count the lines holding
# NUL bytes as such (stats and metric), store alert keys as printable text,
# and start again on that state.  (Before the fix, `set_id=bob\0x@...` with
# a by-account threshold was a segfault at every start: issue 9, item 2.)
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOT/tests/lib/daemon.sh"

LOG=$TMP/mainlog
DB=$TMP/ew.db
PROM=$TMP/prom
mkdir -p "$PROM"
printf 'example.net: bob\nexample.com: alice\n' > "$TMP/userdomains"
CFG=$TMP/eximwatch.yaml
cat > "$CFG" <<EOF
userdomains: $TMP/userdomains
metrics: {textfile_dir: $PROM}
sinks:
  hook: {type: webhook, url: "http://127.0.0.1:9/hook", retry_initial: 10s}
thresholds:
  - {id: by_ip, classes: [auth_failed, relay_denied, submission_auth_required], by: ip, window: 10m, count: 1, first_wait: 0s, sinks: [hook]}
  - {id: by_account, classes: [auth_failed, relay_denied, submission_auth_required, msg_in_auth, unknown_recipient], by: account, window: 10m, count: 1, first_wait: 0s, sinks: [hook]}
  - {id: by_owner, classes: [auth_failed, msg_in_auth], by: owner, window: 10m, count: 1, first_wait: 0s, sinks: [hook]}
  - {id: global, classes: [auth_failed], window: 10m, count: 1, first_wait: 0s, sinks: [hook]}
  - {id: stuffing, classes: [auth_failed], by: ip, distinct: {field: account, count: 2}, window: 10m, first_wait: 0s, sinks: [hook]}
  - {id: roaming, classes: [auth_failed, msg_in_auth], by: account, distinct: {field: ip, count: 2}, window: 10m, first_wait: 0s, sinks: [hook]}
EOF
chmod 600 "$CFG"
ok "check-config accepts it" "$EW" check-config --config "$CFG"

# the hostile log, stamped now; prints "lines nul oversized"
python3 - "$LOG" > "$TMP/expect" <<'PY'
import random, sys, time
random.seed(9)
now = time.strftime("%Y-%m-%d %H:%M:%S").encode()
T = [
    b"%s dovecot_login authenticator failed for (HELO) [IP]:40000: 535 Incorrect authentication data (set_id=ACCT)",
    b"%s H=(HELO) [IP]:52381 F=<ACCT> rejected RCPT <RCPT>: Please turn on SMTP Authentication in your mail client.",
    b"%s H=(HELO) [IP]:49365 F=<ACCT> rejected RCPT <RCPT>: SMTP AUTH is required for message submission on port 587",
    b"%s 1xV2wU-00011j-2r <= ACCT H=(HELO) [IP]:587 P=esmtpsa X=TLS1.3:TLS_AES_256_GCM_SHA384:256 A=dovecot_login:ACCT S=1234 id=x@y T=\"subj\"",
    b"%s H=(HELO) [IP]:25 F=<ACCT> rejected RCPT <RCPT>: No Such User Here",
]
fields = {b"HELO": b"pc", b"IP": b"192.0.2.10", b"ACCT": b"bob@example.net",
          b"RCPT": b"friend@example.org"}
poison = [b"\0", b"a\0b", b"\0\0\0", b"\x00\xff\xfe", b"\r", b"\x1b[31m",
          b"\xc2\x9b2J", b"\xff", b"\xed\xa0\x80", b"\\x00", b"\x7f",
          b"' OR 1=1 --", b"%s%n", b"A" * 5000]
lines = []
def put(tmpl, f):
    ln = tmpl.replace(b"%s", now, 1)
    for k, v in f.items():
        ln = ln.replace(k, v)
    lines.append(ln)
for t in T:
    put(t, fields)
    for k in fields:
        for p in poison:
            f = dict(fields)
            # at the start, inside and at the end of the field
            for v in (p + fields[k], fields[k][:3] + p + fields[k][3:],
                      fields[k] + p):
                f[k] = v
                put(t, f)
    # the crash of issue 9: the account differs only after a NUL
    f = dict(fields)
    f[b"ACCT"] = b"bob\0x@example.net"
    put(t, f)
    f[b"ACCT"] = b"bob\0y@example.net"
    put(t, f)
    # injected host text in the HELO
    f = dict(fields)
    f[b"HELO"] = b"x) [203.0.113.66] H=(y) [198.51.100.9]:25 (set_id=victim\0@example.com"
    put(t, f)
    # a field of 60 KiB, and one that makes the line longer than max_line
    f = dict(fields)
    f[b"ACCT"] = b"u" * 61000 + b"\0@example.net"
    put(t, f)
    f[b"ACCT"] = b"v" * 70000 + b"@example.net"
    put(t, f)
# a clean second address for bob (the distinct-ip threshold)
lines.append(T[0].replace(b"%s", now).replace(b"HELO", b"pc").replace(b"IP", b"192.0.2.20").replace(b"ACCT", b"bob@example.net"))
# NUL bytes in the time stamp and the message id, an all-NUL line,
# random binary (its newlines split it into lines of their own)
lines.append(now[:4] + b"\0" + now[5:] + b" dovecot_login authenticator failed for (x) [192.0.2.11]:1: 535 Incorrect authentication data (set_id=t@example.net)")
lines.append(now + b" 1xV2wU\0-00011j-2r <= a@example.net H=(x) [192.0.2.12]:587 P=esmtpsa A=dovecot_login:a@example.net S=1")
lines.append(b"\0" * 300)
lines.append(b"")
blob = bytes(random.getrandbits(8) for _ in range(200000))
lines.extend(blob.split(b"\n"))
lines.append(b"\0" * 70000)
data = b"\n".join(lines) + b"\n"
open(sys.argv[1], "wb").write(data)
n = len(lines)
print(n, sum(1 for l in lines if b"\0" in l), sum(1 for l in lines if len(l) > 65536))
PY
read -r NLINES NNUL NOVER < "$TMP/expect"
ok "the hostile log has lines with NUL bytes and oversized ones ($NLINES, $NNUL, $NOVER)" \
	test "$NNUL" -gt 100 -a "$NOVER" -ge 5

daemon_start --config "$CFG" --log "$LOG" --db "$DB"
is $? 0 "the daemon is ready after reading the hostile log"
stat_is() { [ "$(db_stat "$DB" "$1")" = "$2" ]; }
wait_for 10 stat_is lines "$NLINES"
is "$(db_stat "$DB" lines)" "$NLINES" "every line counted as read"
is "$(db_stat "$DB" binary)" "$NNUL" "the lines holding NUL bytes counted as binary"
is "$(db_stat "$DB" oversized)" "$NOVER" "the lines over max_line counted as oversized"
# evaluated and committed: alerts fire (the timer evaluates within a second)
sleep 2
ok "still running after the alerts were evaluated" daemon_alive
alerts() { # SQL WHERE -> count of alerts
	python3 - "$DB" "$1" <<'PY'
import sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
print(c.execute("SELECT count(*) FROM alerts WHERE " + sys.argv[2]).fetchone()[0])
PY
}
for th in by_ip by_account by_owner global stuffing roaming; do
	n=$(alerts "threshold = '$th' AND state = 'firing'")
	ok "threshold $th fired ($n alerts)" test "$n" -gt 0
done
is "$(alerts "threshold = 'by_account' AND grp = 'bob\\x00x@example.net'")" 1 \
	"the account with a NUL is a group of its own, the NUL escaped"
is "$(alerts "threshold = 'by_account' AND grp = 'bob'")" 0 \
	"no group cut at the NUL"
is "$(alerts "instr(grp, char(0)) > 0 OR instr(sample, char(0)) > 0 OR instr(grp, char(27)) > 0 OR instr(sample, char(27)) > 0 OR length(CAST(grp AS BLOB)) > 255")" 0 \
	"no NUL or ESC byte in any stored group or sample; groups at most 255 bytes"
ok "the stored groups and samples are valid UTF-8" python3 - "$DB" <<'PY'
import sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
c.text_factory = bytes
for g, s in c.execute("SELECT grp, sample FROM alerts"):
    g.decode("utf-8"); s.decode("utf-8")
PY
wait_for 10 grep -q "^eximwatch_binary_lines_total $NNUL\$" "$PROM/eximwatch.prom"
ok "the metric eximwatch_binary_lines_total counts them" \
	grep -qx "eximwatch_binary_lines_total $NNUL" "$PROM/eximwatch.prom"
ok "eximwatch alerts lists them" "$EW" alerts --db "$DB" --state all

# more poison while it runs, then a restart on the stored state
printf '%s dovecot_login authenticator failed for (x) [192.0.2.13]:1: 535 Incorrect authentication data (set_id=carol\0z@example.com)\n' \
	"$(date '+%Y-%m-%d %H:%M:%S')" >> "$LOG"
wait_for 10 stat_is binary "$((NNUL + 1))"
is "$(db_stat "$DB" binary)" "$((NNUL + 1))" "a poison line appended live is counted too"
sleep 1.5
ok "and the daemon is still up" daemon_alive
daemon_stop TERM
is "$DRC" 0 "SIGTERM: exit 0"
unlike "$(cat "$DERR")" 'Segmentation|AddressSanitizer|runtime error' "no crash reported"
daemon_start --config "$CFG" --log "$LOG" --db "$DB"
is $? 0 "a restart loads the alert state and is ready"
sleep 1.5
ok "and stays up" daemon_alive
is "$(db_stat "$DB" lines)" "$((NLINES + 1))" "nothing counted twice after the restart"
daemon_stop TERM
is "$DRC" 0 "SIGTERM: exit 0"

done_testing
