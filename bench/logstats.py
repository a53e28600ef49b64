#!/usr/bin/env python3
"""Mix statistics of Exim main logs, side by side (to check bench/genlog.py).

    bench/logstats.py FILE [FILE...]

Prints, per file: line count, mean and percentiles of the line length, the
share of lines containing "rejected", of "<=" arrivals, of lines with
"[pid]", the message-id formats, the time span, distinct client IPs (and
IPv6 share), distinct authenticated accounts (A=) and AUTH logins
(set_id=), and the share of the main line kinds.  Python 3 stdlib only.
"""

import re
import sys
from collections import Counter

PREFIX = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.\d{3})?(?: [+-]\d{4})?"
    r"( \[\d+\])?"
    r"( [0-9A-Za-z]{6}-(?:[0-9A-Za-z]{11}-[0-9A-Za-z]{4}|"
    r"[0-9A-Za-z]{6}-[0-9A-Za-z]{2}))? (.*)$")
# client host: after H=, "connection from", "Connection from", "EHLO from",
# "failed for"; not on delivery lines (there H= is the remote server)
CLIENT = re.compile(
    r"(?:H=|[Cc]onnection from |EHLO from |failed for (?:H=)?)"
    r"(?:[^\s()\[\]]+ )?(?:\([^)]*\) )?\[([0-9A-Fa-f:.]+)\]")
AUTH = re.compile(r" A=\w+:(\S+)")
SETID = re.compile(r"\(set_id=([^)]*)\)")

KINDS = (
    ("<= ", "arrival <="), ("=> ", "delivery =>"), ("-> ", "delivery ->"),
    ("** ", "failed **"), ("== ", "deferred =="), ("Completed", "Completed"),
)
CONTAINS = (
    ("(TCP/IP connection count", "SMTP connection open"),
    (" closed by ", "SMTP connection closed"),
    (" lost", "SMTP connection lost"),
    ("authenticator failed for", "AUTH failed"),
    ("SMTP AUTH is required", "rejected: AUTH required (587)"),
    ("Please turn on SMTP Authentication", "rejected: relay (Please turn on)"),
    ("Rejected relay attempt", "rejected: relay attempt"),
    ("refused: too many connections", "connection refused (limit)"),
    ("JunkMail rejected", "rejected: RBL"),
    ("sender verify fail", "sender verify fail"),
    ("Sender verify failed", "rejected: sender verify"),
    ("Sender rate overlimit", "rejected: sender rate"),
    ("No Such User Here", "rejected: no such user"),
    ("rejected EHLO", "rejected: HELO syntax"),
    ("Invalid HELO", "rejected: HELO (MAIL ACL)"),
    ("DKIM:", "DKIM"), ("SpamAssassin", "SpamAssassin"), ("SA:", "SA"),
    ("cwd=", "cwd= args"), ("queue run", "queue run"),
)


def stats(path):
    n = total = rej = arr = pid = m16 = m23 = noprefix = 0
    lens = Counter()
    kinds = Counter()
    ips = Counter()
    auth = set()
    setid = set()
    first = last = None
    with open(path, "rb") as f:
        for raw in f:
            n += 1
            ln = len(raw)
            total += ln
            lens[ln] += 1
            line = raw.decode("latin-1").rstrip("\n")
            if "rejected" in line:
                rej += 1
            m = PREFIX.match(line)
            if not m:
                noprefix += 1
                continue
            if first is None:
                first = m.group(1)
            last = m.group(1)
            if m.group(2):
                pid += 1
            mid = m.group(3)
            if mid:
                if len(mid) == 17:
                    m16 += 1
                else:
                    m23 += 1
            body = m.group(4)
            for pre, name in KINDS:
                if body.startswith(pre):
                    kinds[name] += 1
                    if pre == "<= ":
                        arr += 1
                    break
            else:
                for sub, name in CONTAINS:
                    if sub in body:
                        kinds[name] += 1
                        break
                else:
                    kinds["other"] += 1
            if body[:3] not in ("=> ", "-> ", "** ", "== "):
                c = CLIENT.search(body)
                if c:
                    ips[c.group(1)] += 1
            a = AUTH.search(body)
            if a:
                auth.add(a.group(1))
            s = SETID.search(body)
            if s:
                setid.add(s.group(1))
    pct = {}
    acc, want = 0, [50, 90, 99]
    for length in sorted(lens):
        acc += lens[length]
        while want and acc * 100 >= want[0] * n:
            pct[want.pop(0)] = length
    nip = sum(ips.values()) or 1
    top = ips.most_common(10)
    return {
        "lines": n, "avg": total / max(n, 1), "pct": pct,
        "rej": rej / max(n, 1), "arr": arr / max(n, 1), "pid": pid / max(n, 1),
        "m16": m16, "m23": m23, "noprefix": noprefix, "span": (first, last),
        "ips": len(ips), "v6": sum(1 for i in ips if ":" in i),
        "v6occ": sum(c for i, c in ips.items() if ":" in i) / nip,
        "top1": top[0][1] / nip if top else 0.0,
        "top10": sum(c for _, c in top) / nip,
        "auth": len(auth), "authdom": len({a.rsplit("@", 1)[-1] for a in auth}),
        "setid": len(setid), "kinds": kinds,
    }


def main(argv):
    if not argv:
        sys.stderr.write(__doc__)
        return 64
    res = [(p, stats(p)) for p in argv]
    w = 24
    names = [p.rsplit("/", 1)[-1][:w] for p in argv]

    def row(label, vals):
        print("%-32s" % label + "".join(" %*s" % (w, v) for v in vals))
    row("", names)
    row("lines", ["{:,}".format(s["lines"]) for _, s in res])
    row("mean line length (bytes)", ["%.1f" % s["avg"] for _, s in res])
    row("line length p50/p90/p99", ["%d/%d/%d" % (s["pct"].get(50, 0),
                                                  s["pct"].get(90, 0),
                                                  s["pct"].get(99, 0))
                                    for _, s in res])
    row('lines with "rejected"', ["%.2f%%" % (100 * s["rej"]) for _, s in res])
    row("<= lines", ["%.2f%%" % (100 * s["arr"]) for _, s in res])
    row("lines with [pid]", ["%.1f%%" % (100 * s["pid"]) for _, s in res])
    row("msgid 16 / 23 chars", ["%d/%d" % (s["m16"], s["m23"])
                                for _, s in res])
    row("time span", ["%s..%s" % (s["span"][0][5:16] if s["span"][0] else "",
                                  s["span"][1][5:16] if s["span"][1] else "")
                      for _, s in res])
    row("distinct client IPs", ["{:,}".format(s["ips"]) for _, s in res])
    row("  of which IPv6 (occurrences)", ["%d (%.1f%%)" % (s["v6"],
                                                           100 * s["v6occ"])
                                          for _, s in res])
    row("  busiest IP / top 10 share", ["%.1f%% / %.1f%%" % (
        100 * s["top1"], 100 * s["top10"]) for _, s in res])
    row("distinct A= accounts (domains)", ["%d (%d)" % (s["auth"], s["authdom"])
                                           for _, s in res])
    row("distinct set_id= logins", ["{:,}".format(s["setid"])
                                    for _, s in res])
    names_all = []
    for _, s in res:
        for k, _c in s["kinds"].most_common():
            if k not in names_all:
                names_all.append(k)
    print()
    for k in names_all:
        row(k, ["%.2f%%" % (100 * s["kinds"][k] / max(s["lines"], 1))
                for _, s in res])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
