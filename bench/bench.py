#!/usr/bin/env python3
"""eximwatch throughput benchmark (driver for bench/run.sh).

For each input file (a 2,000,000-line mixed cPanel log and a 300,000-line
rejection-only log, both made by bench/genlog.py and cached in bench/data/)
it measures, after one warm-up read of the file (hot page cache), the best of
N runs of

    wc -l FILE
    LC_ALL=C grep -c rejected FILE
    eximwatch scan --db <fresh temp db> FILE

and prints lines/s, the ratio scan/grep (lines/s of scan / lines/s of grep),
and the peak RSS of scan (ru_maxrss from wait4() of that process), next to
the targets.  Targets print PASS or MISS; they never change the exit status.
The exit status is non-zero only when the benchmark could not run (binary
missing, a command failed, the generator failed).

Python 3 stdlib only.
"""

import argparse
import datetime
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GENLOG = os.path.join(HERE, "genlog.py")

# (key, title, genlog extra args, line count option)
TARGET_RATIO = {"mixed": 0.30, "rejections": 0.07}
TARGET_RSS_MB = {"mixed": 32.0}


def die(msg, code=2):
    sys.stderr.write("bench: %s\n" % msg)
    sys.exit(code)


def gen_digest():
    with open(GENLOG, "rb") as f:
        return hashlib.sha1(f.read()).hexdigest()[:10]


def ensure_data(datadir, kind, lines, seed):
    """Return the path of the cached log, generating it if needed.

    The file name carries the generator's digest, so editing genlog.py
    regenerates the data; older files of the same kind are removed."""
    os.makedirs(datadir, exist_ok=True)
    dig = gen_digest()
    name = "%s-%d-s%d-%s.log" % (kind, lines, seed, dig)
    path = os.path.join(datadir, name)
    if os.path.exists(path):
        return path
    prefix = "%s-%d-s%d-" % (kind, lines, seed)
    for old in os.listdir(datadir):
        if old.startswith(prefix) and old.endswith(".log"):
            os.unlink(os.path.join(datadir, old))
    cmd = [sys.executable, GENLOG, "--lines", str(lines), "--seed", str(seed),
           "--out", path]
    if kind == "rejections":
        cmd.append("--only-rejections")
    sys.stderr.write("bench: generating %s (%d lines) ...\n" % (name, lines))
    t0 = time.perf_counter()
    rc = subprocess.call(cmd)
    if rc != 0 or not os.path.exists(path):
        die("generator failed (exit %d): %s" % (rc, " ".join(cmd)), 1)
    sys.stderr.write("bench:   done in %.1f s\n" % (time.perf_counter() - t0))
    return path


def warm(path):
    with open(path, "rb", buffering=0) as f:
        while f.read(1 << 20):
            pass


def build_helper(datadir):
    """Compile bench/maxrss.c into datadir; return its path or None."""
    src = os.path.join(HERE, "maxrss.c")
    with open(src, "rb") as f:
        dig = hashlib.sha1(f.read()).hexdigest()[:10]
    exe = os.path.join(datadir, "maxrss-" + dig)
    if os.access(exe, os.X_OK):
        return exe
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return None
    os.makedirs(datadir, exist_ok=True)
    tmp = exe + ".tmp"
    rc = subprocess.call([cc, "-O2", "-o", tmp, src],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if rc != 0 or not os.path.exists(tmp):
        return None
    os.replace(tmp, exe)
    return exe


HELPER = None       # path of the maxrss helper, set in main()


def run_once(argv, env, outpath):
    """Run argv; return (wall seconds, exit status, ru_maxrss KiB)."""
    if HELPER:
        rep = outpath + ".rusage"
        with open(outpath, "wb") as out:
            rc = subprocess.call([HELPER, rep] + argv,
                                 stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT, env=env)
        if rc != 0:
            die("maxrss helper failed (exit %d) for %s\n%s"
                % (rc, " ".join(argv), tail_of(outpath)), 1)
        with open(rep) as f:
            code, wall, kb = f.read().split()
        return float(wall), int(code), int(kb)
    # Fallback without a C compiler: Python's own wait4.  The figure is an
    # upper bound: it includes this interpreter's RSS (see maxrss.c).
    with open(outpath, "wb") as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT, env=env)
        # wait4 gives the rusage of this one child (and its waited-for
        # descendants): peak RSS per run, not the max over all children.
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
    if os.WIFEXITED(status):
        p.returncode = os.WEXITSTATUS(status)
    else:
        p.returncode = -os.WTERMSIG(status)
    return wall, p.returncode, ru.ru_maxrss


def tail_of(path, n=8):
    try:
        with open(path, "rb") as f:
            data = f.read()[-4000:]
    except OSError:
        return ""
    lines = data.decode("utf-8", "replace").splitlines()[-n:]
    return "\n".join("    " + ln for ln in lines)


def measure(name, argv_fn, runs, env, tmpdir, ok_codes=(0,)):
    """Best-of-N wall time. argv_fn(i) -> (argv, cleanup or None)."""
    best, rss = None, 0
    outpath = os.path.join(tmpdir, "out.txt")
    walls = []
    for i in range(runs):
        argv, cleanup = argv_fn(i)
        wall, rc, maxrss = run_once(argv, env, outpath)
        if rc not in ok_codes:
            die("%s failed (exit %d): %s\n%s" % (name, rc, " ".join(argv),
                                                 tail_of(outpath)), 1)
        if cleanup:
            cleanup()
        walls.append(wall)
        best = wall if best is None else min(best, wall)
        rss = max(rss, maxrss)
    with open(outpath, "rb") as f:
        first = f.read(200).decode("utf-8", "replace").strip()
    return {"best": best, "walls": walls, "rss_kb": rss, "out": first}


def fmt_rate(x):
    if x >= 1e6:
        return "%.2fM" % (x / 1e6)
    if x >= 1e3:
        return "%.1fk" % (x / 1e3)
    return "%.0f" % x


def check_binary(path):
    if not os.path.exists(path):
        die("eximwatch binary not found: %s\n"
            "       build it first (make), or pass a path: "
            "bench/run.sh PATH/TO/eximwatch" % path)
    if os.path.isdir(path) or not os.access(path, os.X_OK):
        die("not an executable file: %s" % path)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for ln in f:
                if ln.startswith("model name"):
                    return ln.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def binary_version(binary, env):
    try:
        p = subprocess.run([binary, "--version"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           env=env, timeout=5)
        if p.returncode == 0 and p.stdout:
            return p.stdout.decode("utf-8", "replace").splitlines()[0].strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return "?"


def main(argv=None):
    ap = argparse.ArgumentParser(description="eximwatch benchmark")
    ap.add_argument("--eximwatch", default=os.path.join(ROOT, "eximwatch"))
    ap.add_argument("--data", default=os.path.join(HERE, "data"),
                    help="cache directory for the generated logs")
    ap.add_argument("--lines", type=int, default=2000000)
    ap.add_argument("--rej-lines", type=int, default=300000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tmpdir", default=None,
                    help="where the fresh scan databases go (default $TMPDIR)")
    a = ap.parse_args(argv)
    if a.runs < 1:
        ap.error("--runs must be >= 1")

    binary = os.path.abspath(a.eximwatch)
    check_binary(binary)
    global HELPER
    HELPER = build_helper(a.data)
    if not HELPER:
        sys.stderr.write("bench: no C compiler for bench/maxrss.c; peak RSS "
                         "falls back to Python's wait4 (an upper bound)\n")
    for tool in ("wc", "grep"):
        if not shutil.which(tool):
            die("%s not found in PATH" % tool)

    env = dict(os.environ)
    env["LC_ALL"] = "C"

    files = [
        ("mixed", "mixed", ensure_data(a.data, "mixed", a.lines, a.seed),
         a.lines),
        ("rejections", "rejections only",
         ensure_data(a.data, "rejections", a.rej_lines, a.seed), a.rej_lines),
    ]

    tmproot = tempfile.mkdtemp(prefix="eximwatch-bench-", dir=a.tmpdir)
    results = []
    try:
        for key, title, path, nlines in files:
            sys.stderr.write("bench: %s: warm-up read\n" % os.path.basename(path))
            warm(path)
            r = {"key": key, "title": title, "path": path, "lines": nlines,
                 "mb": os.path.getsize(path) / 1e6}
            sys.stderr.write("bench: %s: wc -l x%d\n" % (key, a.runs))
            r["wc"] = measure("wc -l", lambda i: (["wc", "-l", path], None),
                              a.runs, env, tmproot)
            got = int(r["wc"]["out"].split()[0])
            if got != nlines:
                die("%s has %d lines, expected %d (stale cache? remove %s)"
                    % (path, got, nlines, a.data), 1)
            sys.stderr.write("bench: %s: grep -c x%d\n" % (key, a.runs))
            r["grep"] = measure("grep -c",
                                lambda i: (["grep", "-c", "rejected", path],
                                           None),
                                a.runs, env, tmproot, ok_codes=(0, 1))

            def scan_argv(i, key=key, path=path):
                d = tempfile.mkdtemp(prefix="db-%s-%d-" % (key, i),
                                     dir=tmproot)
                db = os.path.join(d, "eximwatch.db")
                return ([binary, "scan", "--db", db, path],
                        lambda: shutil.rmtree(d, ignore_errors=True))
            sys.stderr.write("bench: %s: eximwatch scan x%d\n" % (key, a.runs))
            r["scan"] = measure("eximwatch scan", scan_argv, a.runs, env,
                                tmproot)
            results.append(r)
    finally:
        shutil.rmtree(tmproot, ignore_errors=True)

    report(results, binary, env, a)
    return 0


def verdict(ok):
    return "PASS" if ok else "MISS"


def table(headers, rows, align):
    w = [len(h) for h in headers]
    for row in rows:
        for i, c in enumerate(row):
            w[i] = max(w[i], len(c))

    def line(cells):
        out = []
        for i, c in enumerate(cells):
            out.append(c.rjust(w[i]) if align[i] == "r" else c.ljust(w[i]))
        return "| " + " | ".join(out) + " |"
    sep = "|" + "|".join(("-" * (w[i] + 1) + ":") if align[i] == "r"
                         else ("-" * (w[i] + 2))
                         for i in range(len(w))) + "|"
    return "\n".join([line(headers), sep] + [line(r) for r in rows])


def binary_label(binary, env):
    """"PATH (version, sha1 ...)"; PATH is $EXIMWATCH_BENCH_SOURCE when
    run.sh benchmarks a private copy of it (so a rebuild during the run
    cannot mix two binaries)"""
    shown = os.environ.get("EXIMWATCH_BENCH_SOURCE") or binary
    shown = os.path.abspath(shown)
    if shown.startswith(ROOT + os.sep):
        shown = os.path.relpath(shown, ROOT)
    with open(binary, "rb") as f:
        dig = hashlib.sha1(f.read()).hexdigest()[:12]
    return "%s (%s, sha1 %s)" % (shown, binary_version(binary, env), dig)


def report(results, binary, env, a):
    now = datetime.datetime.now(datetime.timezone.utc)
    print("eximwatch benchmark, %s" % now.strftime("%Y-%m-%d %H:%M UTC"))
    print("binary: %s" % binary_label(binary, env))
    print("host:   %s, %d CPU, %s %s, Python %s" % (
        cpu_model(), os.cpu_count() or 0, platform.system(),
        platform.release(), platform.python_version()))
    print("method: best of %d runs after a warm-up read (page cache hot); "
          "scan gets a fresh --db each run" % a.runs)
    if HELPER:
        print("        wall time and peak RSS (ru_maxrss) via wait4() in "
              "bench/maxrss.c")
    else:
        print("        peak RSS via Python wait4(): UPPER BOUND, includes "
              "the interpreter's RSS (no C compiler for bench/maxrss.c)")
    print()
    rows = []
    for r in results:
        n = r["lines"]
        wc_r = n / r["wc"]["best"]
        gr_r = n / r["grep"]["best"]
        sc_r = n / r["scan"]["best"]
        ratio = sc_r / gr_r
        rss = r["scan"]["rss_kb"] / 1024.0
        tr = TARGET_RATIO.get(r["key"])
        tm = TARGET_RSS_MB.get(r["key"])
        rows.append([
            "%s (%s lines, %.0f MB)" % (r["title"], format(n, ","), r["mb"]),
            fmt_rate(wc_r), fmt_rate(gr_r), fmt_rate(sc_r),
            "%.3f" % ratio,
            (">= %.2f %s" % (tr, verdict(ratio >= tr))) if tr is not None
            else "-",
            "%.1f" % rss,
            ("<= %.0f %s" % (tm, verdict(rss <= tm))) if tm is not None
            else "-",
        ])
    print(table(["file", "wc -l lines/s", "grep -c lines/s",
                 "scan lines/s", "scan/grep", "target", "scan RSS MB",
                 "target"],
                rows, "lrrrrlrl"))
    print()
    rows = []
    for r in results:
        for tool, label in (("wc", "wc -l"), ("grep", "LC_ALL=C grep -c rejected"),
                            ("scan", "eximwatch scan --db NEW")):
            m = r[tool]
            rows.append([r["key"], label,
                         " ".join("%.3f" % w for w in m["walls"]),
                         "%.3f" % m["best"],
                         "%.1f" % (m["rss_kb"] / 1024.0)])
    print(table(["file", "command", "wall s (each run)", "best s",
                 "peak RSS MB"], rows, "llrrr"))


if __name__ == "__main__":
    sys.exit(main())
