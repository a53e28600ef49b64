#!/usr/bin/python3
"""Two `eximwatch diagnose --format json` outputs give the same findings.

usage: same_findings.py A.json B.json

The findings are compared on (kind, verdict, ip, account, owner, domain,
events), in order (the order is the command's: most important first).
Made for `diagnose` against `diagnose --brief` of the same window: the
brief one reads the rollups and must find exactly the same.  Exit 0 when
equal and not empty, 1 otherwise (2 on unusable input).
"""
import json
import sys

KEYS = ("kind", "verdict", "ip", "account", "owner", "domain", "events")


def keys(path):
    return [tuple(f.get(k) for k in KEYS)
            for f in json.load(open(path))["findings"]]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    try:
        a, b = keys(sys.argv[1]), keys(sys.argv[2])
    except (OSError, ValueError, KeyError) as e:
        print("same_findings.py: unusable input: %s" % e)
        return 2
    if not a:
        print("same_findings.py: FAIL: no findings in %s" % sys.argv[1])
        return 1
    if a == b:
        print("same_findings.py: PASS (%d findings)" % len(a))
        return 0
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else None
        y = b[i] if i < len(b) else None
        if x != y:
            print("#%d: %r\n  != %r" % (i, x, y))
            break
    print("same_findings.py: FAIL (%d and %d findings)" % (len(a), len(b)))
    return 1


if __name__ == "__main__":
    sys.exit(main())
