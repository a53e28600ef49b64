#!/bin/sh
# Run every test: the C unit tests (build/tests/test_*) and the shell tests
# (tests/t/*.t), all TAP, through prove.  `make check` calls this.
# Usage: tests/run.sh [TEST...]
cd "$(dirname "$0")/.." || exit 1
. tests/lib/python.sh
if [ $# -eq 0 ]; then
	set -- build/tests/test_* tests/t/*.t
fi
if command -v prove >/dev/null 2>&1; then
	exec prove --exec '' -f "$@"
fi
# no prove (perl): run them and count
pass=0 fail=0
for t in "$@"; do
	if "$t" > "build/$(basename "$t").tap" 2>&1; then
		pass=$((pass + 1)); echo "ok   $t"
	else
		fail=$((fail + 1)); echo "FAIL $t"; grep -E '^not ok|^#' "build/$(basename "$t").tap" | head -20
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
