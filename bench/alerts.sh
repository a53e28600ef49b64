#!/bin/sh
# Alert benchmark (issue 4):
#   1. latency from the threshold-crossing line being appended to the log
#      until a local webhook receiver has the notification, default
#      settings (flush_interval 500ms, first_wait 500ms), over N trials
#      (a fresh daemon and database per trial, so every trial is the first
#      notification of a quiet threshold); p50/p99, target p99 <= 2s;
#   2. log throughput of the daemon while its only sink hangs (accepts the
#      connection, never answers), against the same daemon without alerts.
#
#   bench/alerts.sh [EXIMWATCH_BINARY] [TRIALS] [LINES]
# Talks to 127.0.0.1 only.  Prints a table; exits 0 whatever the figures.
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
root=$(dirname -- "$here")
bin=${1:-${EXIMWATCH:-$root/eximwatch}}
exec python3 - "$bin" "${2:-20}" "${3:-200000}" "$root/tests/lib/receiver.py" <<'PY'
import json, os, shutil, signal, subprocess, sys, tempfile, time

ew, trials, nlines, receiver = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
    os.environ.pop(k, None)
tmp = tempfile.mkdtemp(prefix="ewbench.")
procs = []

def start_receiver(mode):
    with open(f"{tmp}/mode", "w") as f:
        f.write(mode)
    pf = f"{tmp}/port"
    if os.path.exists(pf):
        os.unlink(pf)
    p = subprocess.Popen([sys.executable, receiver, "--port-file", pf, "--log",
                          f"{tmp}/rec.jsonl", "--mode", f"{tmp}/mode"])
    procs.append(p)
    while not os.path.exists(pf):
        time.sleep(0.01)
    return p, int(open(pf).read())

def config(port, alerts=True):
    c = f"{tmp}/ew.yaml"
    with open(c, "w") as f:
        if alerts:
            f.write(f"""sinks:
  hook: {{type: webhook, url: "http://127.0.0.1:{port}/hook"}}
thresholds:
  - id: brute_force_ip
    classes: [auth_failed]
    by: ip
    window: 10m
    count: 5
    sinks: [hook]
""")
    os.chmod(c, 0o600)
    return c

def daemon(cfg, log, db):
    out = open(f"{tmp}/d.out", "w+")
    p = subprocess.Popen([ew, "run", "--config", cfg, "--log", log, "--db", db],
                         stdout=out, stderr=open(f"{tmp}/d.err", "a"))
    procs.append(p)
    while "ready" not in open(f"{tmp}/d.out").read():
        time.sleep(0.01)
    return p

def af(ip, n, t=None):
    t = t or time.strftime("%Y-%m-%d %H:%M:%S")
    return "".join(f"{t} dovecot_login authenticator failed for (x) [{ip}]:4000: "
                   f"535 Incorrect authentication data (set_id=u{i}@example.com)\n"
                   for i in range(n))

def requests():
    try:
        return [json.loads(l) for l in open(f"{tmp}/rec.jsonl")]
    except FileNotFoundError:
        return []

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

try:
    # ---- 1. latency ---------------------------------------------------------------------
    rp, port = start_receiver("200")
    cfg = config(port)
    lat = []
    for i in range(trials):
        log, db = f"{tmp}/log{i}", f"{tmp}/db{i}"
        open(log, "w").close()
        d = daemon(cfg, log, db)
        before = len(requests())
        ip = f"192.0.2.{i + 1}"
        t0 = time.time()
        with open(log, "a") as f:
            f.write(af(ip, 5))
        while len(requests()) == before:
            if time.time() - t0 > 10:
                break
            time.sleep(0.005)
        r = requests()[before:] if len(requests()) > before else []
        if r:
            lat.append(r[0]["t"] - t0)
        d.send_signal(signal.SIGTERM)
        d.wait()
    rp.terminate()
    rp.wait()

    # ---- 2. throughput while the sink hangs --------------------------------------------------
    def status_lines(db):
        try:
            o = subprocess.run([ew, "status", "--db", db, "--format", "json"],
                               capture_output=True, text=True)
            return json.loads(o.stdout)["lines"]
        except Exception:
            return -1

    line = (time.strftime("%Y-%m-%d %H:%M:%S") + " H=(bob-pc) [192.0.2.20]:49365 "
            "F=<bob@example.com> rejected RCPT <friend@example.net>: SMTP AUTH is "
            "required for message submission on port 587\n")
    rates = {}
    for label, alerts in (("no alerts", False), ("sink hanging", True)):
        rp, port = start_receiver("hang")
        cfg = config(port, alerts)
        log, db = f"{tmp}/tlog-{alerts}", f"{tmp}/tdb-{alerts}"
        open(log, "w").close()
        d = daemon(cfg, log, db)
        pre = 0
        if alerts:   # get a request hanging first
            with open(log, "a") as f:
                f.write(af("198.51.100.7", 5))
            pre = 5
            t0 = time.time()
            while not requests() and time.time() - t0 < 5:
                time.sleep(0.01)
        while status_lines(db) != pre:
            time.sleep(0.05)
        t0 = time.time()
        with open(log, "a") as f:
            f.write(line * nlines)
        while status_lines(db) < pre + nlines:
            time.sleep(0.02)
        rates[label] = nlines / (time.time() - t0)
        d.send_signal(signal.SIGTERM)
        d.wait()
        rp.terminate()
        rp.wait()
        if os.path.exists(f"{tmp}/rec.jsonl"):
            os.unlink(f"{tmp}/rec.jsonl")

    print("eximwatch alert benchmark")
    print(f"  notification latency, {len(lat)}/{trials} trials, default settings:")
    if lat:
        p99 = pct(lat, 99)
        print(f"    p50 {pct(lat, 50) * 1000:7.0f} ms   p99 {p99 * 1000:7.0f} ms   "
              f"max {max(lat) * 1000:7.0f} ms   "
              f"{'PASS' if p99 <= 2.0 else 'MISS'} (target p99 <= 2000 ms)")
    print(f"  daemon throughput, {nlines} lines appended at once "
          "(includes 20 ms status polling):")
    for k, v in rates.items():
        print(f"    {k:14s} {v:12,.0f} lines/s")
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
    shutil.rmtree(tmp, ignore_errors=True)
PY
