#!/usr/bin/env python3
"""eximwatch report benchmark (driver for bench/run.sh): 90 days vs 1 day.

A mid-size server: 6,000,000 lines over 90 days (bench/genlog.py, from
2026-06-01, cached in bench/data/), scanned once into a fresh database.
Then, for the default table, `--by ip --format json` and (what opens the
table) `diagnose --brief`, the best of N runs of

    eximwatch report --since UNTIL-1d  --until UNTIL ...
    eximwatch report --since UNTIL-90d --until UNTIL ...

where UNTIL is 90 days after the start less 1,234 s (no window is aligned
to an hour or a day: the edges are read from minutes).  It prints the
times, the ratio 90d/1d (target: at most 3) and, for comparison, the 90-day
time when every minute is read (EXIMWATCH_READ_MINUTES=1, as before the
rollups), and checks that both readings print the same report.  The
ratio prints PASS or MISS; it never changes the exit status, which is
non-zero only when the benchmark cannot run.

Python 3 stdlib only.
"""

import argparse
import calendar
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GENLOG = os.path.join(HERE, "genlog.py")

START = "2026-06-01 00:00:00"
DAYS = 90
TARGET_RATIO = 3.0


def die(msg):
    print("bench: " + msg, file=sys.stderr)
    sys.exit(2)


def make_log(data, lines, seed):
    path = os.path.join(data, "reports-%dd-%d-%d.log" % (DAYS, lines, seed))
    if os.path.exists(path):
        return path
    os.makedirs(data, exist_ok=True)
    rate = lines / (DAYS * 86400.0)
    print("generating %s (%d lines over %d days)..." % (path, lines, DAYS),
          file=sys.stderr)
    tmp = path + ".tmp"
    r = subprocess.run([sys.executable, GENLOG, "--lines", str(lines),
                        "--seed", str(seed), "--start", START,
                        "--rate", repr(rate), "--out", tmp])
    if r.returncode != 0:
        die("genlog failed")
    os.rename(tmp, path)
    return path


def best(cmd, env, runs):
    """best wall time of runs, and the output of the last run"""
    t_best = None
    out = b""
    for _ in range(runs):
        t0 = time.perf_counter()
        r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        t = time.perf_counter() - t0
        if r.returncode != 0:
            die("%s: exit %d: %s" % (" ".join(cmd), r.returncode,
                                     r.stderr.decode(errors="replace")))
        out = r.stdout
        t_best = t if t_best is None else min(t_best, t)
    return t_best, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--eximwatch", default=os.path.join(ROOT, "eximwatch"))
    ap.add_argument("--data", default=os.path.join(HERE, "data"))
    ap.add_argument("--report-lines", type=int, default=6000000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tmpdir", default=None)
    args, _ = ap.parse_known_args()

    log = make_log(args.data, args.report_lines, args.seed)
    tmp = tempfile.mkdtemp(prefix="eximwatch-bench-reports.",
                           dir=args.tmpdir)
    try:
        db = os.path.join(tmp, "ew.db")
        env = dict(os.environ, TZ="UTC")
        env.pop("EXIMWATCH_READ_MINUTES", None)
        t0 = time.perf_counter()
        r = subprocess.run([args.eximwatch, "scan", "-q", "--db", db, log],
                           env=env)
        if r.returncode != 0:
            die("scan failed (exit %d)" % r.returncode)
        t_scan = time.perf_counter() - t0
        start = calendar.timegm(time.strptime(START, "%Y-%m-%d %H:%M:%S"))
        until = start + DAYS * 86400 - 1234
        minutes = dict(env, EXIMWATCH_READ_MINUTES="1")

        print("eximwatch report: %d days vs 1 day (%s lines, %s; database "
              "%.0f MB, scanned in %.1f s)" % (
                  DAYS, format(args.report_lines, ","),
                  os.path.basename(log), os.path.getsize(db) / 1e6, t_scan))
        print("%-26s %9s %9s %9s %8s %14s" % (
            "report", "1 day", "90 days", "ratio", "target",
            "90d, minutes"))
        ok_all = True
        for title, cmd0 in (("table (default)", ["report"]),
                            ("--by ip --format json",
                             ["report", "--by", "ip", "--format", "json"]),
                            ("diagnose --brief",
                             ["diagnose", "--brief", "--format", "json"])):
            cmd = [args.eximwatch] + cmd0 + ["--db", db, "--no-color",
                                             "--until", "@%d" % until]
            t1, _ = best(cmd + ["--since", "@%d" % (until - 86400)], env,
                         args.runs)
            t90, out90 = best(cmd + ["--since", "@%d" % (until - DAYS *
                                                           86400)],
                              env, args.runs)
            tm, outm = best(cmd + ["--since", "@%d" % (until - DAYS *
                                                         86400)],
                            minutes, 1)
            ratio = t90 / t1
            verdict = "PASS" if ratio <= TARGET_RATIO else "MISS"
            same = "" if out90 == outm else "  (DIFFERENT OUTPUT)"
            ok_all &= out90 == outm
            print("%-26s %8.3fs %8.3fs %8.2fx %4s%.0fx %13.3fs%s" % (
                title, t1, t90, ratio, verdict + " <=", TARGET_RATIO, tm,
                same))
        if not ok_all:
            die("the rollups and the minutes gave different reports")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
