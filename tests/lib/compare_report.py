#!/usr/bin/python3
"""Compare eximwatch's JSON reports with the real-Exim harness's expected.json.

usage: compare_report.py EXPECTED.json REPORT_DIR

REPORT_DIR holds the output of
    eximwatch report --db DB --since all --format json --by class        > by_class.json
    ... --by class,ip                                                     > by_class_ip.json
    ... --by class,account                                                > by_class_account.json
    ... --by class,owner --userdomains FILE                               > by_class_owner.json
Each is {"since": .., "until": .., "by": [...], "rows": [{"class": .., <dim>: .., "count": n}]}.

Checks, exactly:
  * total per class for every class in expected.json, and no other class
    with a non-zero count in the report;
  * by_ip: rows with a non-null ip against expected by_ip (rows with a null
    ip are events without a client IP and are not part of by_ip);
  * by_account: rows with a non-null account against expected by_account;
  * by_owner: all rows (null owner = "(none)") against expected by_owner;
  * every breakdown report sums to the class total of by_class.json.
Prints a readable diff; exit 0 when everything matches, 1 otherwise
(2 on unusable input).
"""
import json
import os
import sys
from collections import defaultdict

REPORTS = [("by_class.json", None), ("by_class_ip.json", "ip"),
           ("by_class_account.json", "account"), ("by_class_owner.json", "owner")]
EXPECTED_KEY = {"ip": "by_ip", "account": "by_account", "owner": "by_owner"}


def load_report(path, dim):
    with open(path) as f:
        doc = json.load(f)
    want_by = ["class"] + ([dim] if dim else [])
    if doc.get("by") != want_by:
        raise ValueError("%s: \"by\" is %r, expected %r" % (path, doc.get("by"), want_by))
    if not isinstance(doc.get("rows"), list):
        raise ValueError("%s: no \"rows\" list" % path)
    out = defaultdict(lambda: defaultdict(int))   # class -> key -> count
    for i, row in enumerate(doc["rows"]):
        if not isinstance(row.get("class"), str) or not isinstance(row.get("count"), int):
            raise ValueError("%s: row %d lacks class/count: %r" % (path, i, row))
        if dim is None:
            key = None
        else:
            if dim not in row:
                raise ValueError("%s: row %d has no %r: %r" % (path, i, dim, row))
            key = row[dim]
            if dim == "owner" and key is None:
                key = "(none)"
        out[row["class"]][key] += row["count"]
    return out


def fmt(d):
    return "{" + ", ".join("%s: %d" % (k, v) for k, v in sorted(d.items())) + "}"


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    exp_path, rdir = sys.argv[1], sys.argv[2]
    try:
        with open(exp_path) as f:
            counts = json.load(f)["counts"]
        rep = {dim: load_report(os.path.join(rdir, name), dim) for name, dim in REPORTS}
    except (OSError, ValueError, KeyError) as e:
        print("compare_report.py: %s" % e)
        return 2

    problems = []
    totals = {c: sum(v.values()) for c, v in rep[None].items()}

    for cls in sorted(counts):
        e = counts[cls]
        got = totals.get(cls, 0)
        if got != e.get("total", 0):
            problems.append("%s: total: expected %d, report has %d" % (cls, e.get("total", 0), got))
        for dim in ("ip", "account", "owner"):
            rows = rep[dim].get(cls, {})
            s = sum(rows.values())
            if s != got:
                problems.append("%s: by_class,%s rows sum to %d but by_class says %d"
                                % (cls, dim, s, got))
            want = {k: v for k, v in (e.get(EXPECTED_KEY[dim]) or {}).items() if v}
            have = {k: v for k, v in rows.items() if k is not None and v}
            if dim == "owner" and not e.get("by_owner") and not e.get("total"):
                continue
            if want != have:
                keys = sorted(set(want) | set(have))
                diff = ["%s: expected %d, report has %d" % (k, want.get(k, 0), have.get(k, 0))
                        for k in keys if want.get(k, 0) != have.get(k, 0)]
                problems.append("%s: %s differs:\n      %s\n      expected %s\n      report   %s"
                                % (cls, EXPECTED_KEY[dim], "\n      ".join(diff),
                                   fmt(want), fmt(have)))

    for cls in sorted(set(totals) - set(counts)):
        if totals[cls]:
            problems.append("%s: not in expected.json, but the report counts %d" % (cls, totals[cls]))

    n_exp = sum(c.get("total", 0) for c in counts.values())
    n_got = sum(totals.values())
    if problems:
        print("compare_report.py: %d difference(s) (expected %d events, report has %d):"
              % (len(problems), n_exp, n_got))
        for p in problems:
            print("  - " + p)
        return 1
    print("compare_report.py: match (%d classes, %d events)" % (len(counts), n_exp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
