#!/bin/bash
# Drive the known SMTP traffic into the Exim that start.sh left running
# (inside its namespaces), wait until the deliveries are logged, and write
# $EW_EXIM_DIR/expected.json.  Once per start.sh.
set -eu
. "$(dirname "$(readlink -f "$0")")/lib/common.sh"
need_root
T0=$(now)
HP=$(holder_pid)
[ -n "$HP" ] && [ -e "$STATE/run/ready" ] || die "no running Exim for $STATE (start.sh first)"
[ ! -e "$STATE/run/driven" ] || die "already driven since start.sh"
touch "$STATE/run/driven"
rc=0
timeout 300 nsenter --target "$HP" --net --mount -- python3 "$SRC/lib/drive.py" || rc=$?
echo "drive.sh: rc=$rc after $(since "$T0")s; expected: $STATE/expected.json"
exit "$rc"
