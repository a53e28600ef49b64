#!/bin/bash
# check-config reports every error in one pass: a settings error does not
# hide the alert sections' errors, a rules.disable typo (at its file:line,
# with the nearest rule id) does not hide the thresholds' unknown classes,
# a threshold with one bad key still says what else is missing, and the
# caret of an unknown sink points at the sink's name; in file order.
. "$(dirname "$0")/../lib/tap.sh"

run() { RC=0; OUT=$("$@" 2>&1) || RC=$?; }
C=$TMP/ew.yaml
cat > "$C" <<'EOF'
retention: soon
alert:
  host: mail1
rules:
  disable: [helo_reject]
sinks:
  slack: {type: slack, url: "http://127.0.0.1:1/x"}
thresholds:
  - id: bf
    classes: [authfailed]
    by: house
    count: 5
    sinks: [slak]
  - id: ok
    classes: [relay_denied]
    window: 10m
    count: 3
    sinks: [slack]
EOF
run "$EW" check-config --config "$C"
is "$RC" 78 "exit 78"
f=$(printf '%s\n' "$OUT" | grep -o '^[^ ]*ew.yaml:[0-9]*:[0-9]*:' | sed "s|^$C:||")
is "$(echo $f)" "1:12: 2:1: 5:13: 9:5: 10:15: 11:9: 13:13:" \
	"every error in one pass, in file order"
like "$OUT" "ew.yaml:1:12: retention must be a duration" "a settings error"
like "$OUT" "ew.yaml:2:1: unknown setting 'alert': did you mean 'alerts'\\? \\(expected .*alerts" \
	"an unknown key: the nearest name, and alerts in the list"
like "$OUT" "ew.yaml:5:13: cannot disable rule 'helo_reject': no such rule id: did you mean helo_rejected\\?" \
	"a rules.disable typo at its file:line:col, with the nearest id"
like "$OUT" "ew.yaml:10:15: threshold 'bf': unknown class 'authfailed': did you mean auth_failed\\?" \
	"the threshold's unknown class, checked despite the disable typo"
like "$OUT" "ew.yaml:11:9: 'by' must be ip, prefix, account, owner or global" "a bad 'by'"
like "$OUT" "ew.yaml:9:5: threshold 'bf' needs a 'window'" "... and, in the same pass, the missing window"
like "$OUT" "ew.yaml:13:13: threshold 'bf' names an unknown sink 'slak': did you mean 'slack'\\?" \
	"the unknown sink at its name"
caret=$(printf '%s\n' "$OUT" | grep -A2 "ew.yaml:13:13:" | tail -n 1)
src=$(printf '%s\n' "$OUT" | grep -A1 "ew.yaml:13:13:" | tail -n 1)
pos=${caret%%^*}
is "${src:${#pos}:4}" "slak" "the caret points at the sink's name, not at '- id:'"
like "$OUT" "7 errors$" "the number of errors at the end"

# fixed one by one, nothing new appears
sed -i -e 's/^retention: soon/retention: 90d/' -e 's/^alert:/alerts:/' \
	-e 's/helo_reject\]/helo_rejected]/' -e 's/authfailed/auth_failed/' \
	-e 's/by: house/by: ip/' -e 's/sinks: \[slak\]/sinks: [slack]\n    window: 5m/' "$C"
run "$EW" check-config --config "$C"
is "$RC" 0 "all fixed: exit 0, no second wave of errors"
like "$OUT" "configuration OK" "configuration OK"
done_testing
