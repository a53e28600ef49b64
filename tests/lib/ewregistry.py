#!/usr/bin/env python3
"""ewregistry.py DIR: forensics for a kept torture run (KEEP_TMP=1
TORTURE_KEEP=200 tests/t/32-daemon-torture.t).  Matches every row of the
daemon's `files` registry with the generations on disk by fingerprint
(FNV-1a of the first fp_len content bytes, as src/fingerprint.c) and prints
the rows that match no file, several files, or a file that is shorter than
the row's offset or has another number of lines before it (a row that
counted lines of some other content)."""
import glob
import gzip
import json
import os
import sqlite3
import sys


def fnv(b):
    h = 0xcbf29ce484222325
    for x in b:
        h ^= x
        h = (h * 0x100000001b3) & 0xffffffffffffffff
    return h or 1


def main():
    d = sys.argv[1]
    files = {}
    for p in sorted(glob.glob(d + "/torture/mainlog*")):
        try:
            data = gzip.open(p).read() if p.endswith(".gz") else open(p, "rb").read()
        except (OSError, EOFError) as e:
            print("cannot read", p, e)
            data = b""
        files[os.path.basename(p)] = data
    c = sqlite3.connect(d + "/torture/ew.db")
    rows = c.execute("SELECT id, fp_hash, fp_len, path, offset, lines FROM files "
                     "ORDER BY id").fetchall()
    total = 0
    for rid, h, n, path, off, lines in rows:
        h &= 0xffffffffffffffff
        m = [k for k, v in files.items() if len(v) >= n and fnv(v[:n]) == h]
        total += lines
        why = ""
        for k in m:
            real = files[k][:off].count(b"\n")
            if real != lines:
                why += " lines %d, but %s has %d lines before the offset" % (lines, k, real)
            if off > len(files[k]):
                why += " offset %d > size %d of %s" % (off, len(files[k]), k)
        if len(m) != 1 or why:
            print("row %d fp_len %d path %s offset %d lines %d: matches %s%s"
                  % (rid, n, os.path.basename(path), off, lines, m or "nothing", why))
    st = c.execute("SELECT value FROM stats WHERE name = 'lines'").fetchone()
    print("rows %d, lines in rows %d, stats.lines %s" % (len(rows), total, st and st[0]))
    sp = d + "/torture/stats.json"
    if os.path.exists(sp):
        print("writer:", json.load(open(sp)))


if __name__ == "__main__":
    main()
