#!/usr/bin/env python3
"""eximwatch under attack: bounded memory and database (issue 9, item 5;
driver for bench/run.sh).

    bench/run.sh --daemon-only [EXIMWATCH] [options]
    python3 bench/attack.py --eximwatch PATH [--attempts N] [--days D]

1. memory: the daemon (`eximwatch run`) on a log of --attempts (2,000,000)
   authentication failures from one IP, each with a new account, stamped
   over the last 5 minutes so that every one is inside the thresholds'
   windows, under the thresholds shipped in packaging/eximwatch.yaml.example
   (credential_stuffing: distinct accounts per IP; brute_force_ip; the
   others see no event) without sinks.  It catches up (prints `ready`),
   evaluates, commits; then its peak RSS (VmHWM) is read.  Target: 48 MB.
   Also shown: the credential_stuffing alert's value (the distinct
   estimate) and the alert-state rows in the database.
2. database size: a stream of new client addresses and accounts (every line
   a new address and a new account, 10 lines a minute) over --days (12) of
   log time, scanned 6 hours at a time by `eximwatch scan --retention 1d`
   with the clock set to the end of each 6 hours (faketime, Debian package
   faketime).  The file size and the rows of the dimension tables per day
   of log time: once the retention (1 day; the addresses and accounts up
   to a week more) is reached, the size stays level.  Target: the last
   day's size within 5% of the size 3 days before.  Skipped, saying so,
   without faketime.

Targets print PASS or MISS and never change the exit status; the exit
status is non-zero only when the benchmark cannot run.  Python 3 stdlib.
"""

import argparse
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import bench  # noqa: E402
import daemon as dmod  # noqa: E402

TARGET_RSS_MB = 48.0
TARGET_LEVEL = 1.05
ATTACKER = "203.0.113.7"
STEP_H = 6
RATE_PER_MIN = 10


def note(msg):
    sys.stderr.write("bench: attack: %s\n" % msg)
    sys.stderr.flush()


def shipped_thresholds():
    """The thresholds: section of the example configuration, without sinks
    (a threshold needs none; no notification is sent)."""
    path = os.path.join(ROOT, "packaging", "eximwatch.yaml.example")
    with open(path) as f:
        text = f.read()
    i = text.find("\nthresholds:")
    if i < 0:
        bench.die("%s: no thresholds: section" % path)
    th = text[i + 1:]
    th = re.sub(r"(?m)^\s+sinks:.*\n", "", th)
    if "id: credential_stuffing" not in th:
        bench.die("%s: no credential_stuffing threshold" % path)
    return th


# --- 1. memory ---------------------------------------------------------------

def attack_log(path, n):
    now = time.time()
    span = 300.0
    out = []
    stamp_of = {}
    with open(path, "wb") as f:
        for i in range(n):
            t = int(now - span + span * i / n)
            s = stamp_of.get(t)
            if s is None:
                stamp_of.clear()
                s = stamp_of[t] = time.strftime("%Y-%m-%d %H:%M:%S",
                                                time.localtime(t))
            out.append("%s dovecot_login authenticator failed for (User) "
                       "[%s]:%d: 535 Incorrect authentication data "
                       "(set_id=u%07d@victim.example)\n"
                       % (s, ATTACKER, 10000 + i % 50000, i))
            if len(out) >= 50000:
                f.write("".join(out).encode())
                out = []
        f.write("".join(out).encode())


def memory(binary, env, tmproot, attempts):
    work = tempfile.mkdtemp(prefix="attack-", dir=tmproot)
    log = os.path.join(work, "exim_mainlog")
    db = os.path.join(work, "eximwatch.db")
    note("writing %s attempts from one IP, a new account each"
         % format(attempts, ","))
    attack_log(log, attempts)
    dm = dmod.Daemon(binary, env, work, log, db, "500ms")
    with open(dm.cfg, "w") as f:
        f.write("flush_interval: 500ms\n" + shipped_thresholds())
    note("daemon: catching up and evaluating")
    t = dm.start()
    # the first notification of a quiet threshold waits first_wait (500ms),
    # then a commit: give it a few seconds
    res = {"ready_s": t, "value": None}
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
        try:
            r = c.execute("SELECT value FROM alerts WHERE threshold = "
                          "'credential_stuffing' AND grp = ? AND state = "
                          "'firing'", (ATTACKER,)).fetchone()
            if r:
                res["value"] = r[0]
                res["rows"] = {
                    "alert_window": c.execute("SELECT count(*) FROM "
                                              "alert_window").fetchone()[0],
                    "alert_distinct": c.execute(
                        "SELECT count(*) FROM alert_distinct").fetchone()[0]
                    if c.execute("SELECT count(*) FROM sqlite_master WHERE "
                                 "name = 'alert_distinct'").fetchone()[0]
                    else "-"}
                lines = dict(c.execute("SELECT name, value FROM stats"))
                res["lines"] = lines.get("lines")
                break
        finally:
            c.close()
        time.sleep(0.5)
    time.sleep(1.0)
    dm.stop()
    res["hwm_kb"] = dm.hwm_kb
    if res["value"] is None:
        bench.die("attack: credential_stuffing did not fire for %s\n%s"
                  % (ATTACKER, bench.tail_of(dm.errpath)), 1)
    shutil.rmtree(work, ignore_errors=True)
    return res


# --- 2. database size ----------------------------------------------------------

def stream_log(path, t0, hours, seq):
    """hours of log from t0, RATE_PER_MIN lines a minute, every line a new
    address and account; returns the next sequence number"""
    with open(path, "w") as f:
        for m in range(hours * 60):
            for k in range(RATE_PER_MIN):
                t = t0 + m * 60 + k * (60 // RATE_PER_MIN)
                s = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))
                a, b, c = seq >> 16 & 255, seq >> 8 & 255, seq & 255
                if seq % 2:
                    f.write("%s dovecot_login authenticator failed for (pc) "
                            "[10.%d.%d.%d]:4000: 535 Incorrect authentication "
                            "data (set_id=n%07d@example.org)\n"
                            % (s, a, b, c, seq))
                else:
                    f.write("%s H=(pc) [2001:db8:%x:%x::%x]:2500 "
                            "F=<n%07d@example.org> rejected RCPT "
                            "<x@example.net>: relay not permitted\n"
                            % (s, a, b, c, seq))
                seq += 1
    return seq


def db_figures(db):
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        q = lambda sql: c.execute(sql).fetchone()[0]  # noqa: E731
        pages, free, size = (q("PRAGMA page_count"), q("PRAGMA freelist_count"),
                             q("PRAGMA page_size"))
        return {"ips": q("SELECT count(*) FROM ips"),
                "accounts": q("SELECT count(*) FROM accounts"),
                "chunks": q("SELECT count(*) FROM count_chunks"),
                "used_mb": (pages - free) * size / 1e6,
                "file_mb": sum(os.path.getsize(p) for p in
                               (db, db + "-wal") if os.path.exists(p)) / 1e6}
    finally:
        c.close()


def dbsize(binary, env, tmproot, days):
    ft = shutil.which("faketime")
    if ft is None:
        note("no faketime (apt-get install faketime): database size skipped")
        return None
    work = tempfile.mkdtemp(prefix="dbsize-", dir=tmproot)
    db = os.path.join(work, "eximwatch.db")
    log = os.path.join(work, "part.log")
    t0 = int(time.mktime((2026, 11, 1, 0, 0, 0, 0, 0, -1)))
    seq, out = 1, []
    steps = days * 24 // STEP_H
    note("%d days of new addresses and accounts, scanned every %d hours "
         "with --retention 1d" % (days, STEP_H))
    for k in range(steps):
        start = t0 + k * STEP_H * 3600
        seq = stream_log(log, start, STEP_H, seq)
        end = start + STEP_H * 3600 + 60
        now = time.strftime("@%Y-%m-%d %H:%M:%S", time.localtime(end))
        rc = subprocess.call([ft, "-f", now, binary, "scan", "-q",
                              "--retention", "1d", "--db", db, log],
                             env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        if rc != 0:
            bench.die("scan under faketime failed (exit %d)" % rc, 1)
        if (k + 1) % (24 // STEP_H) == 0:
            fig = db_figures(db)
            fig["day"] = (k + 1) * STEP_H // 24
            fig["lines"] = seq - 1
            out.append(fig)
    shutil.rmtree(work, ignore_errors=True)
    return out


# --- report ---------------------------------------------------------------------

def report(binary, env, mem, size, a):
    print("## eximwatch under attack: memory and database (bench/attack.py)")
    print()
    print("binary: %s" % bench.binary_label(binary, env))
    print()
    rows = []
    if mem:
        rows.append(["daemon peak RSS after %s attempts from one IP, a new "
                     "account each (shipped thresholds)"
                     % format(a.attempts, ","),
                     "%.1f MB" % (mem["hwm_kb"] / 1024.0),
                     "≤ %.0f MB" % TARGET_RSS_MB,
                     dmod.verdict(mem["hwm_kb"] / 1024.0 <= TARGET_RSS_MB)])
    if size:
        base = size[-4]["file_mb"]
        last = size[-1]["file_mb"]
        rows.append(["database file, day %d → day %d of new addresses and "
                     "accounts (retention 1d)" % (size[-4]["day"],
                                                  size[-1]["day"]),
                     "%.2f → %.2f MB" % (base, last),
                     "level (≤ +%.0f%%)" % (100 * (TARGET_LEVEL - 1)),
                     dmod.verdict(last <= base * TARGET_LEVEL)])
    print(bench.table(["under attack", "result", "target", ""], rows,
                      "lrll"))
    if mem:
        print()
        print("credential_stuffing for %s: value %s (the distinct estimate of "
              "%s accounts); alert state rows: alert_window %s, "
              "alert_distinct %s; %s lines counted; ready after %.1f s"
              % (ATTACKER, format(mem["value"], ","),
                 format(a.attempts, ","), mem["rows"]["alert_window"],
                 mem["rows"]["alert_distinct"], format(mem["lines"] or 0, ","),
                 mem["ready_s"]))
    if size:
        print()
        rows = [["%d" % f["day"], format(f["lines"], ","),
                 format(f["ips"], ","), format(f["accounts"], ","),
                 format(f["chunks"], ","), "%.2f" % f["used_mb"],
                 "%.2f" % f["file_mb"]] for f in size]
        print(bench.table(["day", "lines so far (each a new address and "
                           "account)", "ips rows", "accounts rows",
                           "chunks", "used MB", "file MB"], rows,
                          "rrrrrrr"))


def main(argv=None):
    ap = argparse.ArgumentParser(description="eximwatch under attack")
    ap.add_argument("--eximwatch", default=os.path.join(ROOT, "eximwatch"))
    ap.add_argument("--attempts", type=int, default=2000000)
    ap.add_argument("--days", type=int, default=12)
    ap.add_argument("--tmpdir", default=None)
    # the other scripts' options, ignored here
    for o in ("--data", "--lines", "--seed", "--runs", "--rej-lines",
              "--rate", "--seconds", "--poll-ms", "--flush"):
        ap.add_argument(o, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.attempts < 1000 or a.days < 4:
        ap.error("--attempts must be at least 1000 and --days at least 4")
    binary = os.path.abspath(a.eximwatch)
    bench.check_binary(binary)
    env = dict(os.environ)
    env["LC_ALL"] = "C"
    tmproot = tempfile.mkdtemp(prefix="eximwatch-attack-", dir=a.tmpdir)
    try:
        mem = memory(binary, env, tmproot, a.attempts)
        size = dbsize(binary, env, tmproot, a.days)
    finally:
        for d in dmod.DAEMONS:
            d.kill()
        shutil.rmtree(tmproot, ignore_errors=True)
    report(binary, env, mem, size, a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
