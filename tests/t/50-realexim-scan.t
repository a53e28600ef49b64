#!/bin/bash
# End to end against a REAL Exim (tests/realexim, Debian exim4-daemon-heavy):
# drive known traffic, `eximwatch scan` the mainlog, and compare the four
# reports (class / class,ip / class,account / class,owner) exactly with the
# harness's expected.json.  Two knob sets: the cPanel defaults, and
# EW_LOGSEL=all EW_IPV6=1 EW_RELAYLOG=modern.  Needs root and namespaces.
. "$(dirname "$0")/../lib/tap.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root"
unshare --mount --net true 2>/dev/null || skip_all "unshare --mount --net does not work here"
[ -x /usr/sbin/exim4 ] || command -v apt-get >/dev/null || skip_all "no exim4 and no apt-get"

HARNESS=$ROOT/tests/realexim
COMPARE=$ROOT/tests/lib/compare_report.py

reports() { # DB OUTDIR USERDOMAINS
	local db=$1 out=$2 ud=$3
	mkdir -p "$out"
	"$EW" report --db "$db" --since all --format json --by class >"$out/by_class.json" &&
	"$EW" report --db "$db" --since all --format json --by class,ip >"$out/by_class_ip.json" &&
	"$EW" report --db "$db" --since all --format json --by class,account >"$out/by_class_account.json" &&
	"$EW" report --db "$db" --since all --format json --by class,owner \
		--userdomains "$ud" >"$out/by_class_owner.json"
}

same_rows() { # A.json B.json: equal "rows" (since/until differ between runs)
	python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (sorted(json.dumps(r, sort_keys=True) for r in json.load(open(p))["rows"])
        for p in sys.argv[1:3])
if a != b:
    print("rows differ:\n  first:  %s\n  second: %s" % (a, b))
    sys.exit(1)
PY
}

one_set() { # NAME KNOB=VALUE...
	local name=$1 dir rc=0 db exp
	shift
	dir=$TMP/realexim-$name
	db=$TMP/$name.db
	env "$@" EW_EXIM_DIR="$dir" "$HARNESS/run.sh" >"$TMP/$name.run.log" 2>&1 || rc=$?
	is "$rc" 0 "$name: harness run (start, drive, stop)"
	if [ "$rc" != 0 ]; then
		diag "harness output:"; tail -n 30 "$TMP/$name.run.log" | sed 's/^/#   /'
		return 0
	fi
	exp=$dir/expected.json
	ok "$name: the mainlog matches expected.json (harness self-check)" \
		python3 "$HARNESS/verify.py" "$dir/log/mainlog" "$exp"
	ok "$name: eximwatch scan" "$EW" scan --db "$db" "$dir/log/mainlog"
	ok "$name: four reports" reports "$db" "$TMP/$name.rep1" "$dir/userdomains"
	ok "$name: reports match expected.json (totals, by_ip, by_account, by_owner)" \
		python3 "$COMPARE" "$exp" "$TMP/$name.rep1"
	ok "$name: scanning the same mainlog again" "$EW" scan --db "$db" "$dir/log/mainlog"
	ok "$name: reports after the second scan" reports "$db" "$TMP/$name.rep2" "$dir/userdomains"
	ok "$name: the second scan added nothing (by class,ip rows identical)" \
		same_rows "$TMP/$name.rep1/by_class_ip.json" "$TMP/$name.rep2/by_class_ip.json"
	ok "$name: still matches expected.json after the second scan" \
		python3 "$COMPARE" "$exp" "$TMP/$name.rep2"
}

ok "eximwatch binary is there" test -x "$EW"
one_set default
one_set all-ipv6-modern EW_LOGSEL=all EW_IPV6=1 EW_RELAYLOG=modern

done_testing
