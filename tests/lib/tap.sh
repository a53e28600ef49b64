# tap.sh: tiny TAP producer for the shell tests (sourced by tests/t/*.t).
#
#   . "$(dirname "$0")/../lib/tap.sh"
#   ok "description" command args...     # passes if the command exits 0
#   is "$got" "$want" "description"
#   like "$got" 'regex' "description"     # grep -E
#   done_testing
#
# Variables: ROOT (repository), EW (the eximwatch binary), TMP (a private
# scratch directory, removed at exit unless KEEP_TMP=1).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
EW=${EW:-$ROOT/eximwatch}
. "$ROOT/tests/lib/python.sh"
TAP_N=0
TAP_FAIL=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ewtest.XXXXXX")
chmod 755 "$TMP"
_tap_cleanup() { [ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$TMP"; }
trap _tap_cleanup EXIT

_tap_result() { # status description
	TAP_N=$((TAP_N + 1))
	if [ "$1" = 0 ]; then
		echo "ok $TAP_N - $2"
	else
		echo "not ok $TAP_N - $2"
		TAP_FAIL=$((TAP_FAIL + 1))
	fi
}

diag() { printf '# %s\n' "$@" | sed '2,$s/^/# /'; }

ok() {
	local d=$1; shift
	local out rc=0
	out=$("$@" 2>&1) || rc=$?
	_tap_result "$rc" "$d"
	[ "$rc" = 0 ] || { diag "command: $*" "exit $rc"; printf '%s\n' "$out" | head -n 40 | sed 's/^/#   /'; }
	return 0
}

nok() { # expects failure
	local d=$1; shift
	local rc=0
	"$@" >/dev/null 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then _tap_result 0 "$d"; else _tap_result 1 "$d"; diag "command unexpectedly succeeded: $*"; fi
}

is() {
	if [ "$1" = "$2" ]; then _tap_result 0 "$3"; else
		_tap_result 1 "$3"
		diag "got:  '$1'" "want: '$2'"
	fi
}

like() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then _tap_result 0 "$3"; else
		_tap_result 1 "$3"
		diag "got: '$(printf '%s' "$1" | head -c 2000)'" "does not match: $2"
	fi
}

unlike() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		_tap_result 1 "$3"
		diag "got: '$(printf '%s' "$1" | head -c 2000)'" "matches: $2"
	else _tap_result 0 "$3"; fi
}

skip_all() { echo "1..0 # SKIP $*"; exit 0; }

done_testing() {
	echo "1..$TAP_N"
	[ "$TAP_FAIL" = 0 ]
}
