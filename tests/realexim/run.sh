#!/bin/bash
# One shot: start.sh + drive.sh + stop.sh (same knobs as start.sh).
# Exit 0 only if the drive succeeded.  With --verify, also run verify.py.
set -eu
HERE=$(dirname "$(readlink -f "$0")")
. "$HERE/lib/common.sh"
need_root
T0=$(now)
"$HERE/start.sh"
trap '"$HERE/stop.sh" >/dev/null 2>&1 || true' EXIT
rc=0
"$HERE/drive.sh" || rc=$?
"$HERE/stop.sh"
trap - EXIT
if [ "$rc" = 0 ] && [ "${1:-}" = --verify ]; then
	python3 "$HERE/verify.py" "$STATE/log/mainlog" "$STATE/expected.json" || rc=$?
fi
echo "run.sh: done in $(since "$T0")s, rc=$rc"
exit "$rc"
