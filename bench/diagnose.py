#!/usr/bin/env python3
"""eximwatch diagnosis benchmark (driver for bench/run.sh).

    bench/run.sh [EXIMWATCH] --diagnose-only [options]
    python3 bench/diagnose.py --eximwatch PATH [options]

Three measures, each against a target (PASS/MISS never change the exit
status; it is non-zero only when the benchmark cannot run):

1. `eximwatch diagnose` on the bench database (the cached 2,000,000-line
   mixed log of bench.py, scanned once with TZ=UTC): over the full
   retention (--since all, ~4 days of log) and over the log's last hour
   (--since 1h before its end), best of --runs each, with userdomains and
   localdomains made from the log's mailboxes (every 7th domain missing
   from localdomains), so every judgment runs.  Targets: 1 s and 0.2 s.
2. the daemon's catch-up behind the same 2,000,000 lines, re-stamped so
   that they end now (the daemon diagnoses the hour before the wall clock),
   with `diagnose: {enabled: true}` and with `enabled: false`: exec to
   `ready` (the catch-up, then one flush with the diagnosis of the last
   hour), best of --runs each, alternated, page cache hot.  Target: the
   diagnosis costs at most 10 % (lines/s on >= 0.90 x off).  Both must
   count the same lines and events; the "on" runs must have findings.
3. the daemon's peak RSS with 1,000,000 distinct client addresses in the
   history: a generated week of logins (one per address, 1,000 mailboxes,
   10 % IPv6) scanned into a database, then the daemon on it, following a
   new log that gets 20 s of traffic (the bench log's lines re-stamped,
   500 lines/s, a tenth of them failed logins: from known addresses of the
   history and from new ones), diagnosing every 2 s.  VmHWM is read before
   it stops.  Target: 48 MB.  `eximwatch diagnose --since 1h` on that
   database is timed too (the known-client lookups of a million rows).

Python 3 stdlib only; reuses bench.py (data cache, tables) and daemon.py
(the daemon wrapper).
"""

import argparse
import calendar
import datetime
import json
import os
import random
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
import daemon as dbench  # noqa: E402

TARGET_FULL_S = 1.0
TARGET_HOUR_S = 0.2
TARGET_COST = 0.10
TARGET_RSS_MB = 48.0
CLIENTS = 1000000
LIVE_RATE = 500
LIVE_S = 20.0


def note(msg):
    sys.stderr.write("bench: diagnose: %s\n" % msg)
    sys.stderr.flush()


def die(msg, code=1):
    dbench.die(msg, code)


def epoch(stamp):
    """b"YYYY-MM-DD HH:MM:SS" (UTC) -> seconds"""
    s = stamp.decode() if isinstance(stamp, bytes) else stamp
    return calendar.timegm((int(s[0:4]), int(s[5:7]), int(s[8:10]),
                            int(s[11:13]), int(s[14:16]), int(s[17:19]),
                            0, 0, 0))


def fmt(t):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)).encode()


def iso(s):
    """"YYYY-MM-DDTHH:MM:SSZ" -> seconds"""
    return epoch(s[:10] + " " + s[11:19])


def is_stamped(ln):
    return len(ln) > 20 and ln[4:5] == b"-" and ln[19:20] == b" "


def last_stamp(path):
    with open(path, "rb") as f:
        f.seek(max(0, os.path.getsize(path) - 65536))
        lines = f.read().split(b"\n")
    for ln in reversed(lines):
        if is_stamped(ln):
            return epoch(ln[:19])
    die("%s: no time stamp in its last 64 KB" % path)


def run_timed(argv, env, outpath):
    wall, rc, kb = bench.run_once(argv, env, outpath)
    if rc != 0:
        die("failed (exit %d): %s\n%s" % (rc, " ".join(argv),
                                           bench.tail_of(outpath)))
    return wall, kb


def domain_files(db, tmp):
    """userdomains (domain: owner) and localdomains (all but every 7th
    domain, sorted) from the mailboxes that logged in, in db"""
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        # the mailboxes that logged in: the log's local ones
        names = [r[0] for r in c.execute(
            "SELECT DISTINCT a.name FROM known_clients k JOIN accounts a "
            "ON a.id = k.account_id")]
    finally:
        c.close()
    doms = sorted({n.split("@", 1)[1].lower() for n in names
                   if "@" in n and n.split("@", 1)[1]})
    ud = os.path.join(tmp, "userdomains")
    ld = os.path.join(tmp, "localdomains")
    with open(ud, "w") as f:
        for i, d in enumerate(doms):
            f.write("%s: user%03d\n" % (d, i % 40))
    with open(ld, "w") as f:
        for i, d in enumerate(doms):
            if i % 7 != 3:
                f.write("%s\n" % d)
    return ud, ld, len(doms)


# --- 1. the command --------------------------------------------------------

def query(binary, env, tmp, path, runs):
    note("scanning %s into the bench database" % os.path.basename(path))
    db = os.path.join(tmp, "bench.db")
    t_scan, _ = run_timed([binary, "scan", "-q", "--db", db, path], env,
                          os.path.join(tmp, "scan.out"))
    ud, ld, ndom = domain_files(db, tmp)
    until = last_stamp(path) // 60 * 60 + 60
    res = {"db": db, "ud": ud, "ld": ld, "ndom": ndom, "scan_s": t_scan,
           "db_mb": os.path.getsize(db) / 1e6, "until": until}
    out = os.path.join(tmp, "diag.out")
    for key, since in (("full", "all"), ("hour", "@%d" % (until - 3600))):
        argv = [binary, "diagnose", "--db", db, "--since", since,
                "--until", "@%d" % until, "--userdomains", ud,
                "--localdomains", ld, "--format", "json"]
        walls, rss = [], 0
        for r in range(runs):
            note("diagnose --since %s, run %d/%d" % (since, r + 1, runs))
            w, kb = run_timed(argv, env, out)
            walls.append(w)
            rss = max(rss, kb)
        with open(out) as f:
            doc = json.load(f)
        kinds = {}
        for x in doc["findings"]:
            kinds[x["kind"]] = kinds.get(x["kind"], 0) + 1
        res[key] = {"walls": walls, "best": min(walls), "rss_kb": rss,
                    "since": doc["since"], "until": doc["until"],
                    "kinds": kinds, "n": len(doc["findings"])}
    return res


# --- 2. catch-up with and without the diagnosis ------------------------------

def restamp(src, dst, end):
    """src's lines shifted so that its last one is at `end` (UTC)"""
    shift = end - last_stamp(src)
    cache = {}
    with open(src, "rb") as f, open(dst, "wb") as out:
        buf = []
        for ln in f:
            if is_stamped(ln):
                k = ln[:19]
                v = cache.get(k)
                if v is None:
                    v = cache[k] = fmt(epoch(k) + shift)
                    if len(cache) > 100000:
                        cache.clear()
                        cache[k] = v
                ln = v + ln[19:]
            buf.append(ln)
            if len(buf) >= 8192:
                out.write(b"".join(buf))
                buf = []
        out.write(b"".join(buf))


def daemon_config(dm, ud, ld, enabled, extra=""):
    with open(dm.cfg, "w") as f:
        f.write("flush_interval: 500ms\nuserdomains: %s\n"
                "diagnose:\n  enabled: %s\n  localdomains: %s\n%s"
                % (ud, "true" if enabled else "false", ld, extra))


def findings_rows(db):
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        return c.execute("SELECT count(*) FROM findings").fetchone()[0]
    finally:
        c.close()


def catchup(binary, env, tmp, path, nlines, runs, ud, ld):
    log = os.path.join(tmp, "now.log")
    note("re-stamping the bench log to end now (%s)" % os.path.basename(log))
    restamp(path, log, int(time.time()) - 30)
    bench.warm(log)
    res = {"on": [], "off": [], "on_cpu": [], "off_cpu": [], "hwm_kb": 0,
           "findings": 0}
    stats = {}
    for r in range(runs):
        for mode in ("off", "on"):
            note("catch-up, diagnosis %s, run %d/%d" % (mode, r + 1, runs))
            d = tempfile.mkdtemp(prefix="cu-%s-%d-" % (mode, r), dir=tmp)
            db = os.path.join(d, "eximwatch.db")
            dm = dbench.Daemon(binary, env, d, log, db, "500ms")
            daemon_config(dm, ud, ld, mode == "on")
            res[mode].append(dm.start())
            res[mode + "_cpu"].append(dm.cpu_s())
            dm.stop()
            res["hwm_kb"] = max(res["hwm_kb"], dm.hwm_kb)
            st = dbench.db_stats(db)
            if st.get("lines") != nlines:
                die("catch-up: the daemon counted %s lines of %d"
                    % (st.get("lines"), nlines))
            if stats and (st.get("events") != stats.get("events")):
                die("catch-up: %s events with diagnosis %s, %s before"
                    % (st.get("events"), mode, stats.get("events")))
            stats = st
            if mode == "on":
                res["findings"] = findings_rows(db)
            bench.shutil.rmtree(d, ignore_errors=True)
    res["events"] = stats.get("events")
    if res["findings"] == 0:
        die("catch-up: the daemon with diagnosis found nothing in the "
            "bench log's last hour (is it diagnosing?)")
    return res


# --- 3. a million client addresses ----------------------------------------

def address(i, rng):
    if i % 10 == 9:
        return "2001:db8:%x:%x::%x" % ((i >> 16) & 0xffff, (i >> 4) & 0xfff,
                                       rng.randrange(1, 0xffff))
    # scattered over public-looking space, distinct for distinct i
    x = (i * 2654435761 + 0x5bd1e995) & 0xffffffff
    a = 11 + (x >> 24) % 212          # 11..222: no 0/10/127/multicast
    if a == 127:
        a = 128
    return "%d.%d.%d.%d" % (a, (x >> 16) & 255, (x >> 8) & 255,
                            (i & 255) ^ ((x >> 3) & 255))


def history(path, n, end, seed):
    """n logins, each from its own address, over the 7 days before end"""
    rng = random.Random(seed)
    users = ["u%04d@dom%03d.example" % (i, i % 200) for i in range(1000)]
    start = end - 7 * 86400
    seen = set()
    pairs = []
    with open(path, "wb") as out:
        buf = []
        for i in range(n):
            ip = address(i, rng)
            if ip in seen:
                ip = "2001:db8:ffff:%x::%x" % (i >> 16, i & 0xffff)
            seen.add(ip)
            u = users[rng.randrange(len(users))]
            t = start + (7 * 86400 * i) // n
            if i % 997 == 0:
                pairs.append((ip, u))
            buf.append("%s 1x%04d-%011d-%04d <= %s H=(pc%d) [%s]:%d "
                       "P=esmtpsa X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no "
                       "A=dovecot_login:%s S=%d id=h%d@%s T=\"Report %d\" "
                       "for c%d@remote%d.example\n"
                       % (fmt(t).decode(), i // 100000 % 10000, i, i % 10000,
                          u, i, ip,
                          1024 + i % 60000, u, 2000 + i % 9000, i,
                          u.split("@")[1], i % 97, i % 50, i % 300))
            if len(buf) >= 8192:
                out.write("".join(buf).encode())
                buf = []
        out.write("".join(buf).encode())
    return len(seen), pairs


def clients(binary, env, tmp, path, runs, ud, ld, nclients):
    hist = os.path.join(tmp, "history.log")
    end = int(time.time()) - 7200
    note("generating %s logins from as many addresses"
         % format(nclients, ","))
    naddr, pairs = history(hist, nclients, end, 7)
    d = tempfile.mkdtemp(prefix="clients-", dir=tmp)
    db = os.path.join(d, "eximwatch.db")
    note("scanning the history")
    t_scan, scan_kb = run_timed([binary, "scan", "-q", "--db", db, hist], env,
                                os.path.join(tmp, "hist.out"))
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        kc = c.execute("SELECT count(*), count(DISTINCT addr) FROM "
                       "known_clients").fetchone()
    finally:
        c.close()
    os.unlink(hist)
    live = os.path.join(d, "live.log")
    open(live, "wb").close()
    dm = dbench.Daemon(binary, env, d, live, db, "500ms")
    daemon_config(dm, ud, ld, True, "  interval: 2s\n")
    note("the daemon on it, %.0f s of traffic" % LIVE_S)
    t_ready = dm.start()
    bodies = dbench.source_bodies(path, int(LIVE_RATE * LIVE_S) + 100)
    rng = random.Random(11)
    fd = os.open(live, os.O_WRONLY | os.O_APPEND)
    k = 0
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < LIVE_S:
            st = dbench.stamp()
            out = []
            for _ in range(LIVE_RATE // 10):
                if k % 10 == 5:
                    ip, u = pairs[rng.randrange(len(pairs))]
                    if k % 20 == 5:      # a new address: a guesser
                        ip = "198.51.%d.%d" % (rng.randrange(256),
                                               rng.randrange(1, 255))
                    out.append(st + b" dovecot_login authenticator failed "
                               b"for (x) [%s]:%d: 535 Incorrect "
                               b"authentication data (set_id=%s)\n"
                               % (ip.encode(), 1024 + k % 60000, u.encode()))
                else:
                    out.append(st + bodies[k % len(bodies)])
                k += 1
            dbench.write_all(fd, b"".join(out))
            time.sleep(0.1)
    finally:
        os.close(fd)
    time.sleep(3)       # the last flush and diagnosis
    hwm = dm.vmhwm_kb()
    cpu = dm.cpu_s()
    dm.stop()
    hwm = max(hwm, dm.hwm_kb)
    nfind = findings_rows(db)
    out = os.path.join(tmp, "kdiag.out")
    walls = []
    for r in range(runs):
        note("diagnose --since 1h with a million known clients, run %d/%d"
             % (r + 1, runs))
        w, _ = run_timed([binary, "diagnose", "--db", db, "--since", "1h",
                          "--userdomains", ud, "--localdomains", ld,
                          "--format", "json"], env, out)
        walls.append(w)
    with open(out) as f:
        doc = json.load(f)
    kinds = {}
    for x in doc["findings"]:
        kinds[x["kind"]] = kinds.get(x["kind"], 0) + 1
    bench.shutil.rmtree(d, ignore_errors=True)
    return {"addresses": naddr, "kc_rows": kc[0], "kc_addrs": kc[1],
            "scan_s": t_scan, "scan_kb": scan_kb, "ready_s": t_ready,
            "lines": k, "hwm_kb": hwm, "cpu_s": cpu, "findings": nfind,
            "walls": walls, "kinds": kinds, "logins": nclients}


# --- report -----------------------------------------------------------------

def kinds_text(k):
    return ", ".join("%s %d" % (x, k[x]) for x in sorted(k)) or "none"


def report(binary, env, a, q, cu, kc, nlines):
    now = datetime.datetime.now(datetime.timezone.utc)
    print("eximwatch diagnosis benchmark, %s"
          % now.strftime("%Y-%m-%d %H:%M UTC"))
    print("binary: %s" % bench.binary_label(binary, env))
    print("host:   %s, %d CPU, %s %s, Python %s" % (
        bench.cpu_model(), os.cpu_count() or 0, bench.platform.system(),
        bench.platform.release(), bench.platform.python_version()))
    print("load:   %s at the start (other work on the host skews the "
          "timings)" % dbench.LOADAVG)
    print("method: best of %d runs each; diagnose = wall time of the "
          "command (fresh process, page cache hot)" % a.runs)
    print()
    rows = []
    if q:
        rows.append(["diagnose, full retention of the bench db (%s lines, "
                     "~%.0f days)" % (format(nlines, ","),
                                      (iso(q["full"]["until"]) -
                                       iso(q["full"]["since"])) / 86400.0),
                     "%.3f s" % q["full"]["best"], "<= %.1f s" % TARGET_FULL_S,
                     bench.verdict(q["full"]["best"] <= TARGET_FULL_S)])
        rows.append(["diagnose --since 1h (the log's last hour)",
                     "%.3f s" % q["hour"]["best"], "<= %.1f s" % TARGET_HOUR_S,
                     bench.verdict(q["hour"]["best"] <= TARGET_HOUR_S)])
    if cu:
        on, off = min(cu["on"]), min(cu["off"])
        cost = on / off - 1.0
        rows.append(["daemon catch-up, %s lines, diagnosis on vs off"
                     % format(nlines, ","),
                     "%.3f s vs %.3f s: %+.1f %%" % (on, off, cost * 100),
                     "<= %.0f %%" % (TARGET_COST * 100),
                     bench.verdict(cost <= TARGET_COST)])
    if kc:
        rows.append(["daemon peak RSS, %s client addresses in the history"
                     % format(kc["kc_addrs"], ","),
                     "%.1f MB" % (kc["hwm_kb"] / 1024.0),
                     "<= %.0f MB" % TARGET_RSS_MB,
                     bench.verdict(kc["hwm_kb"] / 1024.0 <= TARGET_RSS_MB)])
    print(bench.table(["measure", "result", "target", ""], rows, "llll"))
    print()
    if q:
        rows = []
        for key, label in (("full", "--since all"), ("hour", "--since 1h")):
            r = q[key]
            rows.append([label, " ".join("%.3f" % w for w in r["walls"]),
                         "%.3f" % r["best"], "%.1f" % (r["rss_kb"] / 1024.0),
                         "%d" % r["n"], kinds_text(r["kinds"])])
        print(bench.table(["diagnose (db %.0f MB, scanned in %.1f s; %d "
                           "domains, every 7th not local)"
                           % (q["db_mb"], q["scan_s"], q["ndom"]),
                           "wall s (each run)", "best s", "peak RSS MB",
                           "findings", "kinds"], rows, "lrrrrl"))
        print()
    if cu:
        rows = []
        for mode in ("off", "on"):
            rows.append(["eximwatch run, diagnose.enabled %s"
                         % ("true" if mode == "on" else "false"),
                         " ".join("%.3f" % w for w in cu[mode]),
                         "%.3f" % min(cu[mode]),
                         bench.fmt_rate(nlines / min(cu[mode])),
                         " ".join("%.2f" % w for w in cu[mode + "_cpu"])])
        print(bench.table(["catch-up to `ready` (%s lines ending now, %s "
                           "events; %d findings)"
                           % (format(nlines, ","), format(cu["events"], ","),
                              cu["findings"]),
                           "wall s (each run)", "best s", "lines/s",
                           "CPU s (each run)"], rows, "lrrrr"))
        print()
    if kc:
        print(bench.table(
            ["a million client addresses", "figure"],
            [["history: logins, distinct addresses (known_clients rows)",
              "%s, %s (%s)" % (format(kc["logins"], ","),
                               format(kc["kc_addrs"], ","),
                               format(kc["kc_rows"], ","))],
             ["scan of the history: wall s, peak RSS MB",
              "%.1f s, %.1f MB" % (kc["scan_s"], kc["scan_kb"] / 1024.0)],
             ["daemon: exec -> ready (first diagnosis included)",
              "%.2f s" % kc["ready_s"]],
             ["daemon: live lines (a tenth failed logins), findings rows",
              "%s, %d" % (format(kc["lines"], ","), kc["findings"])],
             ["daemon: CPU s over the run (diagnosis every 2 s)",
              "%.2f s" % kc["cpu_s"]],
             ["daemon: VmHWM", "%.1f MB" % (kc["hwm_kb"] / 1024.0)],
             ["diagnose --since 1h on that db: wall s (each run)",
              " ".join("%.3f" % w for w in kc["walls"])],
             ["its findings", kinds_text(kc["kinds"])]], "ll"))


def main(argv=None):
    ap = argparse.ArgumentParser(description="eximwatch diagnosis benchmark")
    ap.add_argument("--eximwatch", default=os.path.join(ROOT, "eximwatch"))
    ap.add_argument("--data", default=os.path.join(HERE, "data"))
    ap.add_argument("--lines", type=int, default=2000000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tmpdir", default=None)
    ap.add_argument("--rej-lines", type=int, default=None,
                    help=argparse.SUPPRESS)     # bench.py's; ignored here
    ap.add_argument("--clients", type=int, default=CLIENTS,
                    help=argparse.SUPPRESS)     # a smaller run, for testing
    ap.add_argument("--only", choices=("query", "catchup", "clients"),
                    default=None, help="run one of the three measures")
    a = ap.parse_args(argv)
    if a.runs < 1:
        ap.error("--runs must be >= 1")
    binary = os.path.abspath(a.eximwatch)
    bench.check_binary(binary)
    bench.HELPER = bench.build_helper(a.data)
    env = dict(os.environ)
    env["LC_ALL"] = "C"
    env["TZ"] = "UTC"
    os.environ["TZ"] = "UTC"     # the live lines' stamps (daemon.stamp)
    time.tzset()
    path = bench.ensure_data(a.data, "mixed", a.lines, a.seed)
    try:
        with open("/proc/loadavg") as f:
            dbench.LOADAVG = " ".join(f.read().split()[:3])
    except OSError:
        pass
    tmp = tempfile.mkdtemp(prefix="eximwatch-diagbench-", dir=a.tmpdir)
    t0 = time.monotonic()
    q = cu = kc = None
    try:
        q = query(binary, env, tmp, path, a.runs)
        if a.only in (None, "catchup"):
            cu = catchup(binary, env, tmp, path, a.lines, a.runs, q["ud"],
                         q["ld"])
        if a.only in (None, "clients"):
            kc = clients(binary, env, tmp, path, a.runs, q["ud"], q["ld"],
                         a.clients)
    finally:
        for d in dbench.DAEMONS:
            d.kill()
        bench.shutil.rmtree(tmp, ignore_errors=True)
    note("done in %.0f s" % (time.monotonic() - t0))
    report(binary, env, a, q, cu, kc, a.lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
