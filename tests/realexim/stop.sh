#!/bin/bash
# Stop what start.sh started for EW_EXIM_DIR (by PID, bounded waits) and
# remove its line from /etc/exim4/trusted_configs.
set -eu
. "$(dirname "$(readlink -f "$0")")/lib/common.sh"
need_root
[ -d "$STATE/run" ] && stop_all
untrust
echo "stop.sh: stopped; mainlog $STATE/log/mainlog"
