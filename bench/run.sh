#!/bin/sh
# eximwatch benchmarks: throughput of `eximwatch scan` against wc -l and grep
# (bench.py), reports over 90 days against 1 day (reports.py: 6,000,000
# lines over 90 days; the ratio, read with the rollups and from every
# minute), then the daemon `eximwatch run` (daemon.py: append-to-committed
# latency, catch-up throughput, idle wake-ups, peak RSS), then eximwatch
# under attack (attack.py: the daemon's peak RSS after 2,000,000 attempts
# with a new account each; the database size under a stream of new
# addresses and accounts past the retention), then the diagnosis
# (diagnose.py: `eximwatch diagnose` over the retention and the last hour,
# the daemon's catch-up with diagnosis on vs off, its RSS with a million
# known client addresses).
#
#   bench/run.sh [EXIMWATCH_BINARY] [--scan-only | --daemon-only |
#                --diagnose-only | --reports-only] [options]
#
# The binary is, in order: the first argument, $EXIMWATCH, ./eximwatch at the
# repository root.  Test logs are generated once by bench/genlog.py into
# bench/data/ (gitignored; ~330 MB + ~55 MB, and ~1 GB for reports.py)
# and reused.  Options go to the scripts (--runs N, --tmpdir DIR, --data
# DIR, --lines N, --seed S, --rej-lines N; reports.py also --report-lines
# N); the daemon's own options (--rate, --seconds, --poll-ms, --flush) only
# with --daemon-only, the diagnosis's (--only) only with
# --diagnose-only.  Prints tables for the README; always
# exits 0 whatever the figures (PASS/MISS are printed), non-zero only if a
# benchmark cannot run.
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
root=$(dirname -- "$here")

if [ $# -ge 1 ] && [ "${1#-}" = "$1" ]; then
	bin=$1
	shift
else
	bin=${EXIMWATCH:-$root/eximwatch}
fi

only=
for arg do
	shift
	case $arg in
	--scan-only | --daemon-only | --diagnose-only | --reports-only)
		if [ -n "$only" ] && [ "$only" != "$arg" ]; then
			echo "bench: $only and $arg exclude each other" >&2
			exit 64
		fi
		only=$arg
		;;
	*) set -- "$@" "$arg" ;;
	esac
done
scan=1
daemon=1
diagnose=1
reports=1
case $only in
--scan-only) daemon=0 diagnose=0 reports=0 ;;
--daemon-only) scan=0 diagnose=0 reports=0 ;;
--diagnose-only) scan=0 daemon=0 reports=0 ;;
--reports-only) scan=0 daemon=0 diagnose=0 ;;
esac

command -v python3 >/dev/null 2>&1 || {
	echo "bench: python3 is required" >&2
	exit 2
}
if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
	echo "bench: eximwatch binary not found or not executable: $bin" >&2
	echo "bench: build it first (make), or run: bench/run.sh PATH/TO/eximwatch" >&2
	exit 2
fi

# Benchmark a private copy: a rebuild of $bin during the run (make in
# another shell) would otherwise mix two binaries in one table.
snap=$(mktemp -d "${TMPDIR:-/tmp}/eximwatch-bench-bin.XXXXXX")
trap 'rm -rf "$snap"' EXIT
trap 'exit 130' INT TERM
cp "$bin" "$snap/eximwatch"
EXIMWATCH_BENCH_SOURCE=$bin
export EXIMWATCH_BENCH_SOURCE

if [ "$scan" = 1 ]; then
	python3 "$here/bench.py" --eximwatch "$snap/eximwatch" "$@"
fi
if [ "$reports" = 1 ]; then
	if [ "$scan" = 1 ]; then
		echo
	fi
	python3 "$here/reports.py" --eximwatch "$snap/eximwatch" "$@"
fi
if [ "$daemon" = 1 ]; then
	if [ "$scan" = 1 ] || [ "$reports" = 1 ]; then
		echo
	fi
	python3 "$here/daemon.py" --eximwatch "$snap/eximwatch" "$@"
	echo
	python3 "$here/attack.py" --eximwatch "$snap/eximwatch" "$@"
fi
if [ "$diagnose" = 1 ]; then
	if [ "$scan" = 1 ] || [ "$reports" = 1 ] || [ "$daemon" = 1 ]; then
		echo
	fi
	python3 "$here/diagnose.py" --eximwatch "$snap/eximwatch" "$@"
fi
exit 0
