#!/usr/bin/env python3
"""eximwatch daemon benchmark (issue 3; driver for bench/run.sh).

    bench/run.sh --daemon-only [EXIMWATCH] [options]
    python3 bench/daemon.py --eximwatch PATH [options]

From one run it measures `eximwatch run` and prints a table for the README:

1. append-to-committed latency at a steady 5,000 lines/s, with the default
   flush interval (500 ms) and with flush_interval 100ms.  A writer appends
   lines of the cached bench log (bench/genlog.py output), re-stamped with
   the current time, to a log the daemon follows: one write() of 50 lines
   every 10 ms on a fixed schedule, noting when each write returned.  A
   reader thread polls the database every 10 ms (read-only; WAL, so it never
   blocks the daemon) for `SELECT value FROM stats WHERE name='lines'`; a
   batch is committed at the end of the first poll whose count covers it.
   The figure is an upper bound: it includes up to one poll interval plus
   the query.  Latency is per batch (all batches hold the same number of
   lines, so percentiles over batches are percentiles over lines).
2. catch-up throughput behind a 2,000,000-line backlog: the daemon started
   on the cached mixed bench log with a fresh database, timed from exec
   until it prints `ready` (it catches up first), against `eximwatch scan`
   of the same file with a fresh database; best of --runs each, alternated,
   after a warm-up read (page cache hot).  Both must count the same lines
   and events.  CPU seconds (user + system, all threads) are shown too:
   scan commits from a second thread, the daemon from its only one.
3. wake-ups of an idle daemon over 10 s: voluntary + non-voluntary context
   switches summed over /proc/PID/task/*/status, once right after `ready`
   (plus a settle second) and once after the 5,000 lines/s run has been
   fully committed (plus a settle second), with no log activity.
4. peak RSS: VmHWM of /proc/PID/status of every daemon, read just before
   it is stopped; the maximum is reported.

Targets print PASS or MISS and never change the exit status; the exit status
is non-zero only when the benchmark cannot run.  Python 3 stdlib only.
"""

import argparse
import datetime
import os
import select
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True      # no bench/__pycache__
import bench  # noqa: E402  (shared helpers: data cache, maxrss, table)

TARGET_P99_S = 1.0
TARGET_CATCHUP_RATIO = 0.80
TARGET_IDLE_WAKEUPS = 0
TARGET_RSS_MB = 32.0
BATCH_MS = 10           # the writer appends one batch every BATCH_MS
IDLE_S = 10.0
SETTLE_S = 1.0
READY_TIMEOUT_S = 120.0

DAEMONS = []            # every daemon started, killed at exit if still alive
LOADAVG = "?"           # /proc/loadavg when the benchmark started


def die(msg, code=1):
    for d in DAEMONS:
        d.kill()
    bench.die(msg, code)


def note(msg):
    sys.stderr.write("bench: daemon: %s\n" % msg)
    sys.stderr.flush()


# --- the daemon under test -----------------------------------------------

class Daemon:
    def __init__(self, binary, env, workdir, log, db, flush):
        self.cfg = os.path.join(workdir, "eximwatch.yaml")
        with open(self.cfg, "w") as f:
            # an explicit --config, so no /etc/eximwatch/eximwatch.yaml
            f.write("flush_interval: %s\n" % flush)
        os.chmod(self.cfg, 0o600)
        self.errpath = os.path.join(workdir, "daemon.err")
        self.argv = [binary, "run", "--config", self.cfg, "--log", log,
                     "--db", db]
        self.env = env
        self.p = None
        self.hwm_kb = 0

    def start(self):
        """Start it and wait for `ready`; return seconds from exec."""
        err = open(self.errpath, "ab")
        t0 = time.perf_counter()
        self.p = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=err,
                                  env=self.env)
        err.close()
        DAEMONS.append(self)
        fd = self.p.stdout.fileno()
        buf = b""
        deadline = t0 + READY_TIMEOUT_S
        while b"ready\n" not in buf:
            left = deadline - time.perf_counter()
            if left <= 0:
                die("daemon not ready after %.0f s: %s\n%s"
                    % (READY_TIMEOUT_S, " ".join(self.argv),
                       bench.tail_of(self.errpath)))
            r, _, _ = select.select([fd], [], [], left)
            if r:
                chunk = os.read(fd, 4096)
                if not chunk:
                    self.p.wait()
                    die("daemon exited (status %s) before `ready`: %s\n%s"
                        % (self.p.returncode, " ".join(self.argv),
                           bench.tail_of(self.errpath)))
                buf += chunk
        return time.perf_counter() - t0

    @property
    def pid(self):
        return self.p.pid

    def _status(self, path):
        out = {}
        with open(path) as f:
            for ln in f:
                k, _, v = ln.partition(":")
                out[k] = v.strip()
        return out

    def vmhwm_kb(self):
        kb = int(self._status("/proc/%d/status" % self.pid)["VmHWM"].split()[0])
        self.hwm_kb = max(self.hwm_kb, kb)
        return kb

    def ctxsw(self):
        """voluntary + non-voluntary context switches over all threads"""
        tot, base = 0, "/proc/%d/task" % self.pid
        for tid in os.listdir(base):
            try:
                s = self._status(os.path.join(base, tid, "status"))
            except OSError:
                continue
            tot += int(s["voluntary_ctxt_switches"])
            tot += int(s["nonvoluntary_ctxt_switches"])
        return tot

    def nthreads(self):
        return len(os.listdir("/proc/%d/task" % self.pid))

    def cpu_s(self):
        """user + system CPU seconds so far"""
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / float(
            os.sysconf("SC_CLK_TCK"))

    def stop(self):
        """SIGTERM (it flushes), wait; return its exit status."""
        if self.p.poll() is None:
            self.vmhwm_kb()
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
                die("daemon did not stop within 30 s of SIGTERM")
        self.p.stdout.close()
        if self.p.returncode != 0:
            die("daemon exited with status %d\n%s"
                % (self.p.returncode, bench.tail_of(self.errpath)))
        return self.p.returncode

    def kill(self):
        if self.p is not None and self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def db_stats(db):
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        return dict(c.execute("SELECT name, value FROM stats").fetchall())
    finally:
        c.close()


# --- 3. idle wake-ups ------------------------------------------------------

def idle_wakeups(dm, seconds):
    time.sleep(SETTLE_S)
    c0, u0 = dm.ctxsw(), dm.cpu_s()
    time.sleep(seconds)
    c1, u1 = dm.ctxsw(), dm.cpu_s()
    return {"wakeups": c1 - c0, "cpu_s": u1 - u0, "threads": dm.nthreads()}


# --- 1. latency ------------------------------------------------------------

def source_bodies(path, n):
    """The first n lines of the bench log without their 19-byte time stamp
    ("YYYY-MM-DD HH:MM:SS"), each starting with the space after it."""
    out = []
    with open(path, "rb") as f:
        for ln in f:
            if len(ln) > 20 and ln[19:20] == b" " and ln[4:5] == b"-":
                out.append(ln[19:])
                if len(out) >= n:
                    break
    if len(out) < n:
        die("%s: only %d usable lines, %d needed" % (path, len(out), n))
    return out


def stamp():
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime()).encode()


def write_all(fd, buf):
    while buf:
        n = os.write(fd, buf)
        buf = buf[n:]


class Poller(threading.Thread):
    """Polls stats.lines every interval; polls = [(t_start, t_end, value)]"""

    def __init__(self, db, interval):
        threading.Thread.__init__(self, daemon=True)
        self.db, self.interval = db, interval
        self.polls = []
        self.stop_ev = threading.Event()
        self.error = None

    def latest(self):
        return self.polls[-1][2] if self.polls else None

    def run(self):
        try:
            c = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True,
                                timeout=5, isolation_level=None,
                                check_same_thread=False)
            q = "SELECT value FROM stats WHERE name='lines'"
            t0 = time.monotonic()
            k = 0
            while not self.stop_ev.is_set():
                ts = time.monotonic()
                row = c.execute(q).fetchone()
                te = time.monotonic()
                self.polls.append((ts, te, row[0] if row else 0))
                k += 1
                nxt = t0 + k * self.interval
                now = time.monotonic()
                if nxt < now:       # fell behind: skip, keep the grid
                    k = int((now - t0) / self.interval) + 1
                    nxt = t0 + k * self.interval
                self.stop_ev.wait(nxt - now)
            c.close()
        except Exception as e:     # reported by the main thread
            self.error = e


def pct(sorted_vals, p):
    """nearest-rank percentile"""
    if not sorted_vals:
        return float("nan")
    k = max(1, int(-(-p * len(sorted_vals) // 100)))
    return sorted_vals[min(k, len(sorted_vals)) - 1]


def latency_run(binary, env, tmproot, bodies, flush, seconds, rate, poll_ms,
                idle_ready=False, idle_after=False):
    work = tempfile.mkdtemp(prefix="lat-%s-" % flush, dir=tmproot)
    log = os.path.join(work, "exim_mainlog")
    db = os.path.join(work, "eximwatch.db")
    per = max(1, rate * BATCH_MS // 1000)
    nb = int(seconds * 1000 / BATCH_MS)
    pre = 200
    if len(bodies) < pre + per * nb:
        die("not enough source lines")
    with open(log, "wb") as f:      # a log with some history
        s = stamp()
        f.write(b"".join(s + b for b in bodies[:pre]))
    dm = Daemon(binary, env, work, log, db, flush)
    dm.start()
    res = {"flush": flush, "rate": rate, "seconds": seconds}
    if idle_ready:
        note("flush %s: idle %.0f s after ready" % (flush, IDLE_S))
        res["idle_ready"] = idle_wakeups(dm, IDLE_S)
    base = db_stats(db).get("lines", 0)
    if base != pre:
        die("daemon counted %d lines of the initial log, expected %d"
            % (base, pre))
    poller = Poller(db, poll_ms / 1000.0)
    poller.start()
    while not poller.polls and poller.error is None:
        time.sleep(0.005)

    note("flush %s: %d lines/s for %.0f s (%d lines per write, every %d ms)"
         % (flush, rate, seconds, per, BATCH_MS))
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    appended = []           # (cumulative lines, monotonic time write returned)
    late = 0.0
    cum, i = 0, pre
    c0, u0 = dm.ctxsw(), dm.cpu_s()
    t0 = time.monotonic() + 0.02
    for k in range(nb):
        due = t0 + k * BATCH_MS / 1000.0
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        s = stamp()
        write_all(fd, b"".join(s + b for b in bodies[i:i + per]))
        ta = time.monotonic()
        late = max(late, ta - due)
        i += per
        cum += per
        appended.append((cum, ta))
    t_end = time.monotonic()
    os.close(fd)
    target = pre + cum
    deadline = time.monotonic() + 15
    while (poller.latest() or 0) < target and time.monotonic() < deadline \
            and poller.error is None:
        time.sleep(0.01)
    c1, u1 = dm.ctxsw(), dm.cpu_s()
    t_load = time.monotonic() - t0
    poller.stop_ev.set()
    poller.join(5)
    if poller.error is not None:
        die("database poller failed: %s" % poller.error)
    if (poller.latest() or 0) < target:
        die("flush %s: only %s of %d lines committed 15 s after the writer "
            "stopped\n%s" % (flush, poller.latest(), target,
                             bench.tail_of(dm.errpath)))
    if idle_after:
        note("flush %s: idle %.0f s after the traffic" % (flush, IDLE_S))
        res["idle_after"] = idle_wakeups(dm, IDLE_S)
    dm.stop()

    polls = poller.polls
    lat, j = [], 0
    for c, ta in appended:
        while j < len(polls) and (polls[j][2] - pre < c or polls[j][1] < ta):
            j += 1
        lat.append(polls[j][1] - ta)
    lat.sort()
    vals = [p[2] for p in polls]
    commits = sum(1 for a, b in zip(vals, vals[1:]) if b != a)
    gaps = sorted(b[0] - a[0] for a, b in zip(polls, polls[1:]))
    res.update({
        "lines": cum, "achieved": cum / (t_end - t0),
        "writer_late_max": late,
        "p50": pct(lat, 50), "p90": pct(lat, 90), "p99": pct(lat, 99),
        "max": lat[-1], "commits_seen": commits,
        "poll_max": gaps[-1] if gaps else 0,
        "cpu_pct": 100.0 * (u1 - u0) / t_load,
        "wakeups_per_s": (c1 - c0) / t_load,
        "hwm_kb": dm.hwm_kb,
    })
    return res


# --- 2. catch-up ------------------------------------------------------------

def schedstat(pid, last=None):
    """{tid: (ns on a CPU, ns waiting for one)} of every thread of pid,
    merged into last (threads that exited keep their last figures)"""
    out = dict(last or {})
    base = "/proc/%d/task" % pid
    try:
        tids = os.listdir(base)
    except OSError:
        return out
    for tid in tids:
        try:
            with open(os.path.join(base, tid, "schedstat")) as f:
                v = f.read().split()
            out[tid] = (int(v[0]), int(v[1]))
        except (OSError, IndexError, ValueError):
            pass
    return out


def sched_wait_s(st):
    return sum(w for _, w in st.values()) / 1e9


def run_cpu(argv, env, outpath):
    """Run argv; return (wall s, exit status, user+system CPU s, seconds its
    threads waited for a CPU (sampled every 20 ms by a thread: a lower
    bound)).  Its peak RSS is left to bench.py: wait4() from Python would
    include the interpreter's (see maxrss.c)."""
    st, stop = {}, threading.Event()

    def sample(pid):
        while not stop.is_set():
            st.update(schedstat(pid, st))
            stop.wait(0.02)

    with open(outpath, "wb") as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT, env=env)
        th = threading.Thread(target=sample, args=(p.pid,), daemon=True)
        th.start()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        stop.set()
        th.join()
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, p.returncode, ru.ru_utime + ru.ru_stime, sched_wait_s(st)


def catchup(binary, env, tmproot, path, nlines, runs):
    note("catch-up: warm-up read of %s" % os.path.basename(path))
    bench.warm(path)
    res = {"scan": [], "scan_cpu": [], "scan_wait": [], "daemon": [],
           "daemon_cpu": [], "daemon_wait": [], "hwm_kb": 0}
    outpath = os.path.join(tmproot, "scan.out")
    for r in range(runs):
        note("catch-up: eximwatch scan, run %d/%d" % (r + 1, runs))
        d = tempfile.mkdtemp(prefix="scan-%d-" % r, dir=tmproot)
        sdb = os.path.join(d, "eximwatch.db")
        wall, rc, cpu, wait = run_cpu([binary, "scan", "--db", sdb, path],
                                      env, outpath)
        if rc != 0:
            die("eximwatch scan failed (exit %d)\n%s"
                % (rc, bench.tail_of(outpath)))
        res["scan"].append(wall)
        res["scan_cpu"].append(cpu)
        res["scan_wait"].append(wait)
        sst = db_stats(sdb)

        note("catch-up: eximwatch run to `ready`, run %d/%d" % (r + 1, runs))
        d2 = tempfile.mkdtemp(prefix="run-%d-" % r, dir=tmproot)
        ddb = os.path.join(d2, "eximwatch.db")
        dm = Daemon(binary, env, d2, path, ddb, "500ms")
        res["daemon"].append(dm.start())
        res["daemon_cpu"].append(dm.cpu_s())
        res["daemon_wait"].append(sched_wait_s(schedstat(dm.pid)))
        dm.stop()
        res["hwm_kb"] = max(res["hwm_kb"], dm.hwm_kb)
        dst = db_stats(ddb)
        for k in ("lines", "events"):
            if dst.get(k) != sst.get(k):
                die("catch-up: daemon counted %s %s, scan %s"
                    % (k, dst.get(k), sst.get(k)))
        if dst.get("lines") != nlines:
            die("catch-up: daemon counted %s lines, the file has %d"
                % (dst.get("lines"), nlines))
        res["events"] = dst.get("events")
        for x in (d, d2):
            bench.shutil.rmtree(x, ignore_errors=True)
    return res


# --- report -----------------------------------------------------------------

def verdict(ok):
    return "PASS" if ok else "MISS"


def ms(x):
    return "%.0f ms" % (x * 1000)


def report(binary, env, a, lat, cu, nlines):
    now = datetime.datetime.now(datetime.timezone.utc)
    print("eximwatch daemon benchmark, %s" % now.strftime("%Y-%m-%d %H:%M UTC"))
    print("binary: %s" % bench.binary_label(binary, env))
    print("host:   %s, %d CPU, %s %s, Python %s" % (
        bench.cpu_model(), os.cpu_count() or 0, bench.platform.system(),
        bench.platform.release(), bench.platform.python_version()))
    print("load:   %s at the start (other work on the host skews the "
          "timings)" % LOADAVG)
    print("method: latency = write() returned -> first %d ms poll of "
          "stats.lines covering it (upper bound);" % a.poll_ms)
    print("        catch-up = exec -> `ready`, vs scan (fresh db each), "
          "best of %d, page cache hot;" % a.runs)
    print("        'waited for a CPU' = run-queue wait of all threads "
          "(/proc/PID/task/*/schedstat)")
    print("        wake-ups = ctx switches of all threads over %.0f s idle; "
          "RSS = VmHWM" % IDLE_S)
    print()

    rows = []
    for r in lat:
        rows.append([
            "append -> committed, %s lines/s, flush_interval %s%s"
            % (format(r["rate"], ","), r["flush"],
               " (default)" if r["flush"] == "500ms" else ""),
            "p50 %s, p99 %s" % (ms(r["p50"]), ms(r["p99"])),
            "p99 <= %.0f s" % TARGET_P99_S,
            verdict(r["p99"] <= TARGET_P99_S)])
    sb, db = min(cu["scan"]), min(cu["daemon"])
    sr, dr = nlines / sb, nlines / db
    ratio = dr / sr
    cpu_ratio = min(cu["scan_cpu"]) / min(cu["daemon_cpu"])
    rows.append([
        "catch-up, %s-line backlog (run -> `ready` vs scan)"
        % format(nlines, ","),
        "%s vs %s lines/s = %.2f x scan (per CPU s: %.2f x)"
        % (bench.fmt_rate(dr), bench.fmt_rate(sr), ratio, cpu_ratio),
        ">= %.2f x scan" % TARGET_CATCHUP_RATIO,
        verdict(ratio >= TARGET_CATCHUP_RATIO)])
    idles = []
    for r in lat:
        for k, label in (("idle_ready", "after ready"),
                         ("idle_after", "after traffic")):
            if k in r:
                idles.append((label, r[k]))
    worst = max(x["wakeups"] for _, x in idles)
    rows.append([
        "idle wake-ups over %.0f s (%s)" % (IDLE_S,
                                            ", ".join(l for l, _ in idles)),
        " / ".join("%d" % x["wakeups"] for _, x in idles),
        "%d" % TARGET_IDLE_WAKEUPS,
        verdict(worst <= TARGET_IDLE_WAKEUPS)])
    hwm = max([r["hwm_kb"] for r in lat] + [cu["hwm_kb"]]) / 1024.0
    rows.append([
        "daemon peak RSS (VmHWM, max over all runs above)",
        "%.1f MB" % hwm,
        "<= %.0f MB" % TARGET_RSS_MB,
        verdict(hwm <= TARGET_RSS_MB)])
    print(bench.table(["measure", "result", "target", ""], rows, "llll"))
    print()

    rows = []
    for r in lat:
        rows.append([
            r["flush"], format(r["lines"], ","),
            "%.0f" % r["achieved"],
            ms(r["p50"]), ms(r["p90"]), ms(r["p99"]), ms(r["max"]),
            "%d" % r["commits_seen"],
            "%.1f%%" % r["cpu_pct"], "%.0f" % r["wakeups_per_s"],
            "%.1f" % (r["hwm_kb"] / 1024.0), ms(r["writer_late_max"]),
            ms(r["poll_max"])])
    print(bench.table(["flush_interval", "lines", "lines/s", "p50", "p90",
                       "p99", "max", "commits", "daemon CPU",
                       "wake-ups/s", "VmHWM MB", "writer late max",
                       "poll gap max"], rows, "lrrrrrrrrrrrr"))
    print()
    rows = [
        ["eximwatch scan --db NEW", " ".join("%.3f" % w for w in cu["scan"]),
         "%.3f" % sb, bench.fmt_rate(sr),
         " ".join("%.2f" % w for w in cu["scan_cpu"]),
         " ".join("%.2f" % w for w in cu["scan_wait"]), "-"],
        ["eximwatch run --db NEW, until `ready`",
         " ".join("%.3f" % w for w in cu["daemon"]),
         "%.3f" % db, bench.fmt_rate(dr),
         " ".join("%.2f" % w for w in cu["daemon_cpu"]),
         " ".join("%.2f" % w for w in cu["daemon_wait"]),
         "%.1f" % (cu["hwm_kb"] / 1024.0)],
    ]
    print(bench.table(["catch-up (%s lines, %s events)"
                       % (format(nlines, ","), format(cu["events"], ",")),
                       "wall s (each run)", "best s", "lines/s",
                       "CPU s (each run)", "waited for a CPU s",
                       "VmHWM MB"], rows, "lrrrrrr"))
    print()
    rows = []
    for label, x in idles:
        rows.append([label, "%d" % x["wakeups"], "%.2f s" % x["cpu_s"],
                     "%d" % x["threads"]])
    print(bench.table(["idle %.0f s (after a %.0f s settle)"
                       % (IDLE_S, SETTLE_S), "ctx switches", "CPU time",
                       "threads"], rows, "lrrr"))


def main(argv=None):
    ap = argparse.ArgumentParser(description="eximwatch daemon benchmark")
    ap.add_argument("--eximwatch", default=os.path.join(ROOT, "eximwatch"))
    ap.add_argument("--data", default=os.path.join(HERE, "data"),
                    help="cache directory for the generated logs")
    ap.add_argument("--lines", type=int, default=2000000,
                    help="backlog for the catch-up test")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--runs", type=int, default=5,
                    help="catch-up runs of scan and of the daemon")
    ap.add_argument("--tmpdir", default=None,
                    help="where the logs and databases of the runs go")
    ap.add_argument("--rej-lines", type=int, default=None,
                    help=argparse.SUPPRESS)     # bench.py's; ignored here
    ap.add_argument("--rate", type=int, default=5000, help="lines/s")
    ap.add_argument("--seconds", type=float, default=20.0,
                    help="duration of each latency run")
    ap.add_argument("--poll-ms", type=int, default=10)
    ap.add_argument("--flush", default="500ms,100ms",
                    help="flush_interval of the latency runs, comma-separated"
                    " (the first one also gets the idle measurements)")
    a = ap.parse_args(argv)
    if a.runs < 1 or a.rate < 1 or a.seconds <= 0 or a.poll_ms < 1:
        ap.error("--runs, --rate, --seconds and --poll-ms must be positive")

    binary = os.path.abspath(a.eximwatch)
    bench.check_binary(binary)
    if not os.path.isdir("/proc/self/task"):
        die("needs Linux /proc", 2)
    env = dict(os.environ)
    env["LC_ALL"] = "C"
    path = bench.ensure_data(a.data, "mixed", a.lines, a.seed)

    flushes = [f.strip() for f in a.flush.split(",") if f.strip()]
    per = max(1, a.rate * BATCH_MS // 1000)
    need = 200 + per * int(a.seconds * 1000 / BATCH_MS)
    bodies = source_bodies(path, need)

    global LOADAVG
    try:
        with open("/proc/loadavg") as f:
            LOADAVG = " ".join(f.read().split()[:3])
    except OSError:
        pass
    tmproot = tempfile.mkdtemp(prefix="eximwatch-dbench-", dir=a.tmpdir)
    t_start = time.monotonic()
    try:
        lat = []
        for i, fl in enumerate(flushes):
            lat.append(latency_run(binary, env, tmproot, bodies, fl,
                                   a.seconds, a.rate, a.poll_ms,
                                   idle_ready=(i == 0), idle_after=(i == 0)))
        cu = catchup(binary, env, tmproot, path, a.lines, a.runs)
    finally:
        for d in DAEMONS:
            d.kill()
        bench.shutil.rmtree(tmproot, ignore_errors=True)
    note("done in %.0f s" % (time.monotonic() - t_start))
    report(binary, env, a, lat, cu, a.lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
