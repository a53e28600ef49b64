#!/bin/sh
# make demo: scan a main log recorded from the project's real-Exim harness
# (moved to the last hour so it reads like a live server) plus a generated
# busy afternoon, then print `eximwatch report` for a person.
set -e
cd "$(dirname "$0")/.."
D=${DEMO_DIR:-build/demo}
rm -rf "$D"
mkdir -p "$D"
python3 - tests/fixtures/realexim-cpanel/mainlog "$D/realexim.log" <<'PY'
import re, sys, time
src, dst = sys.argv[1:3]
stamp = re.compile(rb"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")
lines = open(src, "rb").read().splitlines(True)
t0 = time.mktime(time.strptime(stamp.match(lines[0]).group(1).decode(), "%Y-%m-%d %H:%M:%S"))
shift = (time.time() - 40 * 60) - t0          # the recording ends ~40 min ago
with open(dst, "wb") as out:
    for l in lines:
        m = stamp.match(l)
        if m:
            t = time.mktime(time.strptime(m.group(1).decode(), "%Y-%m-%d %H:%M:%S")) + shift
            l = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)).encode() + l[19:]
        out.write(l)
PY
start=$(python3 -c 'import time; print(time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(time.time() - 3 * 3600)))')
python3 bench/genlog.py --lines 60000 --seed 7 --start "$start" --rate 6 --out "$D/generated.log" 2>/dev/null
echo "== eximwatch scan (a real Exim 4.96 log and a generated one)"
./eximwatch scan --db "$D/demo.db" "$D/realexim.log" "$D/generated.log"
echo
echo "== eximwatch report --since 3h"
./eximwatch report --db "$D/demo.db" --since 3h --userdomains tests/fixtures/realexim-cpanel/userdomains
echo
echo "== eximwatch report --since 3h --by class,ip --class auth_failed --top 5"
./eximwatch report --db "$D/demo.db" --since 3h --by class,ip --class auth_failed --top 5
echo
echo "(database: $D/demo.db; try: ./eximwatch report --db $D/demo.db --since 3h --format json)"
