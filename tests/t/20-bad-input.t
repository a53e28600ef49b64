#!/bin/bash
# Bad input gets a clear message and a non-zero exit, and loses nothing:
# broken rule files, hostile log files, unreadable files, a corrupt or
# read-only database.
. "$(dirname "$0")/../lib/tap.sh"

run() { # run CMD...: sets RC, OUT (stdout+stderr)
	RC=0
	OUT=$("$@" 2>&1) || RC=$?
}

good_line='2026-11-22 08:29:02 H=(bob-pc) [192.0.2.20]:49365 F=<bob@example.com> rejected RCPT <friend@example.net>: SMTP AUTH is required for message submission on port 587'

# ---- rule files ---------------------------------------------------------------
R=$TMP/rules
mkdir -p "$R"
printf 'rules:\n  - id: x\n    severity: [oops\n' > "$R/a.yaml"
run "$EW" test --rules "$R" /dev/null
is "$RC" 78 "YAML syntax error: exit 78"
like "$OUT" "$R/a.yaml:[0-9]+:[0-9]+: YAML syntax error" "YAML syntax error: file:line:col"

cat > "$R/a.yaml" <<'EOF'
rules:
  - id: my_rule
    severity: warning
    description: d
    remedy: r
    colour: blue
    match:
      - literals: ["hello world"]
        regex: '^hello (world'
  - id: my_rule
    severity: loud
    description: d
    remedy: r
    match:
      - literals: ["ab"]
        regex: '^(?<nosuchfield>x)'
EOF
run "$EW" test --rules "$R" /dev/null
is "$RC" 78 "several rule errors: exit 78"
like "$OUT" "a.yaml:6:5: unknown key 'colour'" "unknown key with line and column"
like "$OUT" "a.yaml:9:[0-9]+: bad regex in rule 'my_rule' at offset [0-9]+ of the pattern" \
	"bad regex with the offset inside the pattern"
like "$OUT" "a.yaml:11:[0-9]+: severity must be" "bad severity"
like "$OUT" "too short for the prefilter" "short literal"
like "$OUT" "unknown capture name 'nosuchfield'" "unknown capture name"
n=$(printf '%s\n' "$OUT" | grep -c 'a.yaml:[0-9]*:[0-9]*:')
[ "$n" -ge 5 ]; is $? 0 "every error is reported, not only the first ($n)"
like "$OUT" "\\^" "a caret under the spot"

cat > "$R/a.yaml" <<'EOF'
rules:
  - id: dup_rule
    severity: info
    description: d
    remedy: r
    match:
      - literals: ["hello world"]
        regex: '^hello world'
  - id: dup_rule
    severity: info
    description: d
    remedy: r
    match:
      - literals: ["hello there"]
        regex: '^hello there'
EOF
run "$EW" test --rules "$R" /dev/null
is "$RC" 78 "duplicate id: exit 78"
like "$OUT" "a.yaml:9:[0-9]+: duplicate rule id 'dup_rule' \\(first defined at" "duplicate id names both places"

# a user rule file adds a class
cat > "$R/a.yaml" <<'EOF'
rules:
  - id: greylisted
    severity: info
    description: cPanel greylisting deferred the first attempt
    remedy: nothing to do; the sender retries
    match:
      - literals: [": Deferred due to greylisting"]
        regex: '^H=(?<host>.*) F=<(?<sender>[^>]*)> temporarily rejected RCPT <?(?<rcpt>[^>]*)>?: Deferred due to greylisting\.'
    account: [rcpt]
EOF
printf '%s\n' "2026-11-22 08:00:00 H=(x) [192.0.2.7]:1 F=<a@example.net> temporarily rejected RCPT <b@example.com>: Deferred due to greylisting. Host: '192.0.2.7' From: 'a@example.net' To: 'b@example.com' SPF: 'none'" > "$TMP/grey.log"
run "$EW" test --rules "$R" --format json "$TMP/grey.log"
is "$RC" 0 "a user rule file loads"
like "$OUT" '"greylisted": 1' "the user rule classifies its line"

# once_per_message and ignore: bad values are config errors
cat > "$R/a.yaml" <<'EOF'
ignore:
  - literals: ["ab"]
    regex: '^ab'
  - regex: '^(unclosed'
    literals: ["unclosed"]
rules:
  - id: my_rule
    severity: info
    description: d
    remedy: r
    once_per_message: sometimes
    match:
      - literals: ["hello world"]
        regex: '^hello world'
EOF
run "$EW" test --rules "$R" /dev/null
is "$RC" 78 "bad ignore items and once_per_message: exit 78"
like "$OUT" "a.yaml:2:[0-9]+: literal 'ab' is too short" "an ignore item's literal is checked"
like "$OUT" "a.yaml:4:[0-9]+: bad regex in rule 'ignore'" "an ignore item's regex is checked"
like "$OUT" "a.yaml:11:[0-9]+: once_per_message must be true or false" "once_per_message takes true or false"
printf 'ignore: {regex: x}\n' > "$R/a.yaml"
run "$EW" test --rules "$R" /dev/null
like "$OUT" "a.yaml:1:[0-9]+: 'ignore' must be a list" "ignore must be a list"

# a user ignore item silences a rejection-looking line no rule knows
cat > "$R/a.yaml" <<'EOF'
ignore:
  - literals: ["our backup MX refused"]
    regex: '^our backup MX refused '
EOF
printf '%s\n' '2026-11-22 08:00:00 our backup MX refused the probe' \
	'2026-11-22 08:00:01 some other thing refused' > "$TMP/ign.log"
run "$EW" test --format json "$TMP/ign.log"
like "$OUT" '"unmatched_candidates": 2' "without the ignore file both lines look like rejections"
run "$EW" test --rules "$R" --format json "$TMP/ign.log"
is "$RC" 0 "a rule file with only an ignore list loads"
like "$OUT" '"unmatched_candidates": 1, "unmatched_samples": \["2026-11-22 08:00:01 some other' \
	"the ignored line is no longer suspicious, the other still is"
rm -f "$R/a.yaml"
run "$EW" test --disable submission_auth_required --format json <(printf '%s\n' "$good_line")
like "$OUT" '"unmatched_candidates": 1' "a disabled shipped rule matches nothing"
run "$EW" test --disable no_such_rule /dev/null
is "$RC" 78 "disabling an unknown id is a config error"

# ---- hostile logs ---------------------------------------------------------------------
DB=$TMP/db.sqlite
L=$TMP/hostile.log
{
	printf '%s\n' "$good_line"
	printf '2026-11-22 08:29:03 H=(x) [192.0.2.21]:1 F=<a@b> rejected RCPT <c@d>: '
	head -c 10485760 /dev/zero | tr '\0' 'A'
	printf '\n'
	printf '%s\n' "$good_line"
	printf '2026-11-22 08:29:04 H=(nul\0byte) [192.0.2.22]:2 F=<a@b> rejected RCPT <c@d>: SMTP AUTH is required for message submission on port 587\n'
	printf '2026-11-22 08:29:05 H=(\xff\xfe\xc3) [192.0.2.23]:3 F=<a\xe9@b> rejected RCPT <c@d>: SMTP AUTH is required for message submission on port 587\n'
	printf '%s' "$good_line"
} > "$L"
run "$EW" scan --db "$DB" "$L"
is "$RC" 65 "hostile log: exit 65 (data error), after counting what is good"
like "$OUT" "longer than 65536 bytes" "the 10 MB line is named"
like "$OUT" "NUL bytes" "NUL bytes are named"
like "$OUT" "no newline" "the truncated last line is named"
like "$OUT" "not UTF-8" "invalid UTF-8 is named"
run "$EW" report --db "$DB" --since all --format json --by class
like "$OUT" '"class": "submission_auth_required", "count": 4' "good, NUL and non-UTF-8 lines counted; the partial last line not yet"
python3 -c 'import json,sys; json.load(sys.stdin)' <<<"$OUT"; is $? 0 "report JSON stays valid with hostile bytes"
run "$EW" report --db "$DB" --since all --format json --by class,account
like "$OUT" '\\ufffd' "invalid UTF-8 in an account shows as U+FFFD in JSON"
printf '\n' >> "$L"
run "$EW" scan --db "$DB" "$L"
run "$EW" report --db "$DB" --since all --format json --by class
like "$OUT" '"class": "submission_auth_required", "count": 5' "the completed last line is counted by the next scan, nothing twice"

# ---- files ---------------------------------------------------------------------------------
run "$EW" scan --db "$DB" "$TMP/no-such-file.log"
is "$RC" 66 "missing file: exit 66"
like "$OUT" "no-such-file.log: no such file" "missing file named"
run "$EW" scan --db "$DB" "$TMP"
is "$RC" 66 "a directory: exit 66"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	printf '%s\n' "$good_line" > "$TMP/secret.log"
	chmod 600 "$TMP/secret.log"
	chmod 777 "$TMP"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$EW" scan --db "$TMP/nobody.db" "$TMP/secret.log"
	is "$RC" 66 "unreadable file: exit 66"
	like "$OUT" "permission denied" "unreadable file: says permission denied"
else
	printf '%s\n' "$good_line" > "$TMP/secret.log"
	chmod 000 "$TMP/secret.log"
	run "$EW" scan --db "$TMP/nobody.db" "$TMP/secret.log"
	is "$RC" 66 "unreadable file: exit 66"
	like "$OUT" "permission denied" "unreadable file: says permission denied"
fi

# ---- databases -------------------------------------------------------------------------------
head -c 8192 /dev/urandom > "$TMP/corrupt.db"
sum1=$(md5sum < "$TMP/corrupt.db")
run "$EW" scan --db "$TMP/corrupt.db" "$TMP/spf.log"
is "$RC" 74 "corrupt database: exit 74"
like "$OUT" "not a usable eximwatch database" "corrupt database: clear message"
is "$(md5sum < "$TMP/corrupt.db")" "$sum1" "corrupt database left untouched"

before=$("$EW" report --db "$DB" --since all --format json --by class,ip)
chmod 444 "$DB"
rm -f "$DB-wal" "$DB-shm"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 755 "$TMP"
	chmod 555 "$TMP"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$EW" scan --db "$DB" "$TMP/spf.log"
	chmod 755 "$TMP"
else
	run "$EW" scan --db "$DB" "$TMP/spf.log"
fi
[ "$RC" != 0 ]; is $? 0 "read-only database: non-zero exit ($RC)"
like "$OUT" "read-only|readonly|permission" "read-only database: clear message"
chmod 644 "$DB"
after=$("$EW" report --db "$DB" --since all --format json --by class,ip)
is "$(sed 's/"until": "[^"]*"//' <<<"$after")" "$(sed 's/"until": "[^"]*"//' <<<"$before")" \
	"read-only database: nothing stored was lost"

done_testing
