#!/bin/sh
# eximwatch benchmark: throughput of `eximwatch scan` against wc -l and grep.
#
#   bench/run.sh [EXIMWATCH_BINARY] [bench.py options]
#
# The binary is, in order: the first argument, $EXIMWATCH, ./eximwatch at the
# repository root.  Test logs are generated once by bench/genlog.py into
# bench/data/ (gitignored; ~330 MB + ~55 MB) and reused.  Prints a table for
# the README; always exits 0 whatever the figures (PASS/MISS are printed),
# non-zero only if the benchmark cannot run.
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
root=$(dirname -- "$here")

if [ $# -ge 1 ] && [ "${1#-}" = "$1" ]; then
	bin=$1
	shift
else
	bin=${EXIMWATCH:-$root/eximwatch}
fi

command -v python3 >/dev/null 2>&1 || {
	echo "bench: python3 is required" >&2
	exit 2
}
if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
	echo "bench: eximwatch binary not found or not executable: $bin" >&2
	echo "bench: build it first (make), or run: bench/run.sh PATH/TO/eximwatch" >&2
	exit 2
fi

exec python3 "$here/bench.py" --eximwatch "$bin" "$@"
