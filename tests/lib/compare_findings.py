#!/usr/bin/python3
"""Compare `eximwatch diagnose --format json` with the findings a real-Exim
harness run expects (expected.json's "diagnose" section).

usage: compare_findings.py [--brief] EXPECTED.json DIAGNOSE.json

Each finding is compared on (kind, verdict, ip, account, owner, domain,
events), exactly, as a whole list: nothing missing, nothing extra.  Also
checks the shape of every finding the command printed (the keys, the
evidence an object, the remedy a string; with --brief, of `diagnose
--brief`: first, last and evidence null).  Exit 0 when equal, 1 otherwise
(2 on unusable input).
"""
import json
import sys

KEYS = ("kind", "verdict", "ip", "account", "owner", "domain", "events")
SHAPE = {"kind", "verdict", "ip", "account", "owner", "domain", "events",
         "first", "last", "evidence", "remedy"}


def key(f):
    return tuple(f.get(k) for k in KEYS)


def show(t):
    return ", ".join("%s=%s" % (k, v) for k, v in zip(KEYS, t) if v is not None)


def shape_ok(f, brief):
    if set(f) != SHAPE or not isinstance(f["remedy"], str) or not f["remedy"]:
        return False
    if brief:
        return f["evidence"] is None and f["first"] is None and \
            f["last"] is None
    return isinstance(f["evidence"], dict)


def main():
    args = sys.argv[1:]
    brief = bool(args) and args[0] == "--brief"
    if brief:
        args = args[1:]
    if len(args) != 2:
        sys.exit(__doc__)
    try:
        exp = json.load(open(args[0]))["diagnose"]["findings"]
        got = json.load(open(args[1]))["findings"]
    except (OSError, ValueError, KeyError) as e:
        print("compare_findings.py: unusable input: %s" % e)
        return 2
    bad = 0
    for f in got:
        if not shape_ok(f, brief):
            print("BAD SHAPE: %r" % f)
            bad += 1
    want = sorted(key(f) for f in exp)
    have = sorted(key(f) for f in got)
    for t in want:
        if t in have:
            have.remove(t)
        else:
            print("MISSING  %s" % show(t))
            bad += 1
    for t in have:
        print("EXTRA    %s" % show(t))
        bad += 1
    print("compare_findings.py: %s (%d findings expected)" % (
        "PASS" if not bad else "FAIL, %d differences" % bad, len(exp)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
