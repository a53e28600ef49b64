#!/bin/bash
# Scan the real-Exim recordings in tests/fixtures and compare the reports
# exactly with the expected.json the harness wrote when it drove the traffic
# (no root needed: the live version is 50-realexim-scan.t).
. "$(dirname "$0")/../lib/tap.sh"

for fx in "$ROOT"/tests/fixtures/realexim-*/; do
	name=$(basename "$fx")
	db=$TMP/$name.db
	out=$TMP/$name
	mkdir -p "$out"
	ok "$name: scan" "$EW" scan -q --db "$db" "$fx/mainlog"
	"$EW" report --db "$db" --since all --format json --by class > "$out/by_class.json"
	"$EW" report --db "$db" --since all --format json --by class,ip > "$out/by_class_ip.json"
	"$EW" report --db "$db" --since all --format json --by class,account > "$out/by_class_account.json"
	"$EW" report --db "$db" --since all --format json --by class,owner \
		--userdomains "$fx/userdomains" > "$out/by_class_owner.json"
	ok "$name: reports equal expected.json (totals, by ip, by account, by owner)" \
		python3 "$ROOT/tests/lib/compare_report.py" "$fx/expected.json" "$out"
	got=$("$EW" test --format json "$fx/mainlog")
	# the only rejection-looking lines no rule takes are session lines that
	# echo the hostile client's HELO (which holds the word "rejected")
	ok "$name: no real rejection is left unmatched" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
bad = [s for s in d["unmatched_samples"] if "[203.0.113.66]" not in s]
sys.exit(1 if bad or d["unmatched_candidates"] > len(d["unmatched_samples"]) else 0)' "$got"
	gz=$TMP/$name.mainlog.gz
	gzip -c "$fx/mainlog" > "$gz"
	ok "$name: the same content compressed" "$EW" scan -q --db "$db" "$gz"
	"$EW" report --db "$db" --since all --format json --by class,ip > "$out/again.json"
	ok "$name: a .gz copy of a scanned file adds nothing" \
		python3 -c 'import json,sys; a,b=(json.load(open(p))["rows"] for p in sys.argv[1:]); sys.exit(a!=b)' \
		"$out/by_class_ip.json" "$out/again.json"
	db2=$TMP/$name-stdin.db
	ok "$name: scan from standard input" sh -c "'$EW' scan -q --db '$db2' - < '$fx/mainlog'"
	"$EW" report --db "$db2" --since all --format json --by class,ip > "$out/stdin.json"
	ok "$name: standard input gives the same counts" \
		python3 -c 'import json,sys; a,b=(json.load(open(p))["rows"] for p in sys.argv[1:]); sys.exit(a!=b)' \
		"$out/by_class_ip.json" "$out/stdin.json"
done
done_testing
