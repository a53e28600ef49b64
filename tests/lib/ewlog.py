#!/usr/bin/env python3
"""ewlog.py: Exim log lines whose classification is known, with exact ground
truth, for the daemon tests (tests/t/3*-daemon-*.t).

  ewlog.py lines --start N --count K [--truth FILE] [--kinds auth,conn,noise]
                 [--ips 20] [--no-newline] [--text-class CLASS:TEXT]
                 [--stamp "YYYY-MM-DD HH:MM:SS"]
      Print K lines (sequence numbers N..N+K-1) on stdout and add them to
      the ground truth in FILE (created if missing).  --no-newline leaves the
      last line without its newline; it is still added to the truth (the
      caller completes it).  --text-class makes every line a user-rule line:
      "<stamp> TEXT [ip]:port seq=N" counted as CLASS.

  ewlog.py check --ew EW --db DB --truth FILE [--wait SECS] [--quiet]
      Compare `eximwatch report --since all --format json --by class,ip`
      with the truth: exit 0 when every (class, ip) count is equal (and no
      other row exists), 1 otherwise with the differences on stdout.  With
      --wait, poll until equal or SECS have passed.

  ewlog.py writer --log PATH --truth FILE --stats FILE [--rate 3000]
                  [--duration 30] [--rotate-min 2] [--rotate-max 4]
                  [--seed 1] [--keep 20] [--gzip] [--copytruncate P]
                  [--on-signal --ack FILE] [--trickle SECS]
      The torture writer: appends known lines at RATE lines/s for DURATION
      seconds (or until SIGTERM), in batches, sometimes cutting a write in
      the middle of a line; rotates at random intervals the way logrotate
      does without dateext (NAME.k -> NAME.k+1, NAME -> NAME.1), and after
      a rename keeps writing to the old file for 0-300 ms before it creates
      the new one (an Exim process that opened the log before the rename).
      With --gzip, NAME.2 is then compressed to NAME.2.gz (delaycompress).
      With --copytruncate P, that fraction of the rotations copies NAME to
      NAME.1 and truncates NAME in place instead of renaming it.
      With --on-signal there are no timed rotations: SIGUSR1 rotates by
      rename, SIGUSR2 by copytruncate, at once (within 5 ms); after each
      the number of rotations done is written to the --ack file, so a test
      can rotate at a moment of its choosing (while the daemon is down).
      With --trickle SECS the first SECS seconds get one line every 40 ms,
      most of them written in two parts: a young log under 1 KiB, whose
      head grows while the daemon looks at it.
      Writes the truth and the figures (JSON) at the end.

Truth file: {"rows": {"CLASS IP": count, ...}, "lines": N}
Line kinds: auth  -> auth_failed with the IP
            conn  -> conn_refused_global with the IP
            noise -> an unclassified line (counted in no class)
"""
import argparse
import gzip
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

CLASS_OF = {"auth": "auth_failed", "conn": "conn_refused_global"}


def stamp(t=None):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


def ip_of(seq, nips):
    return "192.0.2.%d" % (1 + (seq * 7) % nips)


def make_line(seq, kinds, nips, ts, text_class=None):
    """(line without newline, truth key or None)"""
    ip = ip_of(seq, nips)
    port = 1024 + seq % 60000
    if text_class:
        cls, text = text_class
        return ("%s %s [%s]:%d seq=%d" % (ts, text, ip, port, seq),
                "%s %s" % (cls, ip))
    kind = kinds[seq % len(kinds)]
    if kind == "auth":
        line = ("%s dovecot_login authenticator failed for (h%d) [%s]:%d: "
                "535 Incorrect authentication data (set_id=u%d@example.com)"
                % (ts, seq, ip, port, seq % 17))
    elif kind == "conn":
        line = ("%s Connection from [%s]:%d refused: too many connections"
                % (ts, ip, port))
    else:
        return ("%s Start queue run: pid=%d" % (ts, seq), None)
    return line, "%s %s" % (CLASS_OF[kind], ip)


def truth_load(path):
    if path and os.path.exists(path) and os.path.getsize(path) > 0:
        with open(path) as f:
            return json.load(f)
    return {"rows": {}, "lines": 0}


def truth_save(path, truth):
    if not path or path == "/dev/null":
        return
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(truth, f, sort_keys=True)
    os.replace(tmp, path)


def cmd_lines(a):
    kinds = a.kinds.split(",")
    text_class = tuple(a.text_class.split(":", 1)) if a.text_class else None
    truth = truth_load(a.truth)
    ts = a.stamp or stamp()
    out = []
    for seq in range(a.start, a.start + a.count):
        line, key = make_line(seq, kinds, a.ips, ts, text_class)
        out.append(line)
        if key:
            truth["rows"][key] = truth["rows"].get(key, 0) + 1
        truth["lines"] += 1
    text = "\n".join(out) + ("" if a.no_newline else "\n")
    sys.stdout.write(text)
    sys.stdout.flush()
    truth_save(a.truth, truth)
    return 0


def report_rows(ew, db):
    p = subprocess.run([ew, "report", "--db", db, "--since", "all",
                        "--format", "json", "--by", "class,ip"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return None, "report exit %d: %s" % (p.returncode, p.stderr.strip())
    try:
        doc = json.loads(p.stdout)
    except ValueError as e:
        return None, "report is not JSON (%s): %r" % (e, p.stdout[:300])
    rows = {}
    for r in doc.get("rows", []):
        key = "%s %s" % (r.get("class"), r.get("ip") or "")
        rows[key] = rows.get(key, 0) + int(r.get("count", 0))
    return rows, None


def diff(got, want):
    lines = []
    for k in sorted(set(got) | set(want)):
        g, w = got.get(k, 0), want.get(k, 0)
        if g != w:
            lines.append("%-40s got %6d want %6d (%+d)" % (k, g, w, g - w))
    return lines


def cmd_check(a):
    want = truth_load(a.truth)["rows"]
    deadline = time.monotonic() + a.wait
    while True:
        got, err = report_rows(a.ew, a.db)
        d = diff(got, want) if got is not None else [err]
        if not d:
            if not a.quiet:
                print("equal: %d rows, %d events" % (len(want), sum(want.values())))
            return 0
        if time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    if got is not None:
        print("got %d events, want %d" % (sum(got.values()), sum(want.values())))
    for line in d[:12]:
        print(line)
    if len(d) > 12:
        print("... %d more differences" % (len(d) - 12))
    return 1


class Writer:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.kinds = ["auth", "conn", "noise", "auth", "conn"]
        self.truth = {"rows": {}, "lines": 0}
        self.seq = 0
        self.fd = None
        self.stats = {"lines": 0, "bytes": 0, "rotations": 0,
                      "lines_after_rename": 0, "split_writes": 0, "compressed": 0, "copytruncates": 0,
                      "seed": a.seed, "rate": a.rate}
        self.stop = False
        self.asked = []          # rotations asked by signal: "rename"/"copy"

    def ack(self):
        if self.a.ack:
            tmp = self.a.ack + ".tmp"
            with open(tmp, "w") as f:
                f.write("%d\n" % self.stats["rotations"])
            os.replace(tmp, self.a.ack)

    def open_new(self):
        self.fd = os.open(self.a.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                          0o644)

    def emit(self, n):
        if n <= 0:
            return
        ts = stamp()
        parts = []
        for _ in range(n):
            line, key = make_line(self.seq, self.kinds, self.a.ips, ts)
            self.seq += 1
            parts.append(line + "\n")
            if key:
                self.truth["rows"][key] = self.truth["rows"].get(key, 0) + 1
        data = "".join(parts).encode()
        self.truth["lines"] += n
        self.stats["lines"] += n
        self.stats["bytes"] += len(data)
        if len(data) > 10 and self.rng.random() < (
                0.7 if n == 1 else 0.2):
            # a partial line for a moment: the daemon must wait for its end
            cut = self.rng.randrange(1, len(data) - 1)
            os.write(self.fd, data[:cut])
            time.sleep(self.rng.random() * 0.005)
            os.write(self.fd, data[cut:])
            self.stats["split_writes"] += 1
        else:
            os.write(self.fd, data)

    def rotate(self, how=None):
        """rotate now; how: "copy" or "rename" (default: at random with
        the --copytruncate fraction).  True when the log was renamed."""
        log = self.a.log
        # NAME.k[.gz] -> NAME.k+1[.gz], oldest first; NAME.keep is overwritten
        for k in range(self.a.keep - 1, 0, -1):
            for sfx in ("", ".gz"):
                src = "%s.%d%s" % (log, k, sfx)
                if os.path.exists(src):
                    os.rename(src, "%s.%d%s" % (log, k + 1, sfx))
        self.stats["rotations"] += 1
        if how == "copy" or (how is None and
                             self.rng.random() < self.a.copytruncate):
            # copytruncate: copy, then truncate in place; no line is written
            # in between (the writer is single-threaded), so none is lost
            with open(log, "rb") as f, open(log + ".1", "wb") as o:
                shutil.copyfileobj(f, o)
            os.truncate(log, 0)
            self.stats["copytruncates"] += 1
            return False
        os.rename(log, log + ".1")
        return True

    def compress(self):
        """logrotate's delaycompress: NAME.2 -> NAME.2.gz the way gzip does
        it (the .gz is written next to the plain file, then that goes)"""
        src = self.a.log + ".2"
        if not os.path.exists(src):
            return
        with open(src, "rb") as f, open(src + ".gz", "wb") as raw:
            # mtime of the original, as gzip keeps it
            with gzip.GzipFile(filename=os.path.basename(src), fileobj=raw,
                               mode="wb", mtime=int(os.stat(src).st_mtime)) as z:
                while True:
                    b = f.read(1 << 16)
                    if not b:
                        break
                    z.write(b)
        st = os.stat(src)
        os.utime(src + ".gz", ns=(st.st_atime_ns, st.st_mtime_ns))
        os.unlink(src)
        self.stats["compressed"] += 1

    def run(self):
        a = self.a
        self.open_new()
        t0 = time.monotonic()
        next_rot = t0 + self.rng.uniform(a.rotate_min, a.rotate_max)
        if a.on_signal:
            next_rot = float("inf")
        reopen_at = None
        written = trickled = 0
        while not self.stop:
            now = time.monotonic()
            if now - t0 >= a.duration:
                break
            if now - t0 < a.trickle:
                due = int((now - t0) / 0.04) + 1 - written
                trickled = written + max(due, 0)
            else:
                due = trickled + int((now - t0 - a.trickle) * a.rate) - written
            if due > 0:
                self.emit(due)
                written += due
                if reopen_at is not None:
                    self.stats["lines_after_rename"] += due
            if reopen_at is not None and (now >= reopen_at or self.asked):
                # (a rotation asked for meanwhile first lets the new file be)
                os.close(self.fd)
                self.open_new()
                reopen_at = None
                if a.gzip:
                    self.compress()
            elif reopen_at is None and self.asked:
                if self.rotate(self.asked.pop(0)):
                    reopen_at = now + self.rng.choice([0, 0, 0.05, 0.3])
                elif a.gzip:
                    self.compress()
                self.ack()
            elif reopen_at is None and now >= next_rot:
                if self.rotate():
                    # the old fd still writes to what is now NAME.1 for a while
                    reopen_at = now + self.rng.choice([0, 0, 0.05, 0.3])
                elif a.gzip:
                    self.compress()
                next_rot = now + self.rng.uniform(a.rotate_min, a.rotate_max)
            time.sleep(0.005)
        if self.fd is not None:
            if reopen_at is not None:
                os.close(self.fd)
                self.open_new()
            os.close(self.fd)
        self.stats["seconds"] = round(time.monotonic() - t0, 2)
        self.stats["events"] = sum(self.truth["rows"].values())
        truth_save(a.truth, self.truth)
        with open(a.stats, "w") as f:
            json.dump(self.stats, f, sort_keys=True)
        return 0


def cmd_writer(a):
    w = Writer(a)

    def on_term(signo, frame):
        w.stop = True
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    if a.on_signal:
        signal.signal(signal.SIGUSR1, lambda s, f: w.asked.append("rename"))
        signal.signal(signal.SIGUSR2, lambda s, f: w.asked.append("copy"))
        w.ack()
    return w.run()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("lines")
    p.add_argument("--start", type=int, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--truth")
    p.add_argument("--kinds", default="auth,conn,noise")
    p.add_argument("--ips", type=int, default=20)
    p.add_argument("--no-newline", action="store_true")
    p.add_argument("--text-class")
    p.add_argument("--stamp", help="time stamp of every line (default: now)")
    p = sub.add_parser("check")
    p.add_argument("--ew", required=True)
    p.add_argument("--db", required=True)
    p.add_argument("--truth", required=True)
    p.add_argument("--wait", type=float, default=0)
    p.add_argument("--quiet", action="store_true")
    p = sub.add_parser("writer")
    p.add_argument("--log", required=True)
    p.add_argument("--truth", required=True)
    p.add_argument("--stats", required=True)
    p.add_argument("--rate", type=int, default=3000)
    p.add_argument("--duration", type=float, default=30)
    p.add_argument("--rotate-min", type=float, default=2)
    p.add_argument("--rotate-max", type=float, default=4)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--keep", type=int, default=20)
    p.add_argument("--copytruncate", type=float, default=0,
                   help="fraction of rotations done by copytruncate instead of rename")
    p.add_argument("--gzip", action="store_true",
                   help="compress NAME.2 after each rotation (delaycompress)")
    p.add_argument("--on-signal", action="store_true",
                   help="rotate only when asked: SIGUSR1 rename, SIGUSR2 copytruncate")
    p.add_argument("--ack", help="with --on-signal: the number of rotations done")
    p.add_argument("--trickle", type=float, default=0,
                   help="seconds of one line per 40 ms at the start")
    p.add_argument("--ips", type=int, default=20)
    a = ap.parse_args()
    return {"lines": cmd_lines, "check": cmd_check, "writer": cmd_writer}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
