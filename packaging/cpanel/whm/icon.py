#!/usr/bin/env python3
"""Draw the WHM plugin's icon (eximwatch.png, 48x48 RGBA): a blue tile with
a white envelope and three bars.  Run once; the PNG is kept in the tree.
Python stdlib only (zlib, struct)."""
import struct
import sys
import zlib

W = H = 48
BLUE, WHITE, AMBER = (61, 111, 182, 255), (255, 255, 255, 255), (240, 160, 48, 255)
CLEAR = (0, 0, 0, 0)


def tile(x, y):
    # a square with corners rounded to radius 8
    r = 8
    cx = min(max(x, r), W - 1 - r)
    cy = min(max(y, r), H - 1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def pixel(x, y):
    if not tile(x, y):
        return CLEAR
    # envelope: the outline of 8..34 x 11..31 and the flap's V
    ex0, ex1, ey0, ey1 = 7, 33, 10, 29
    if ex0 <= x <= ex1 and ey0 <= y <= ey1:
        on_edge = x in (ex0, ex0 + 1, ex1 - 1, ex1) or y in (ey0, ey0 + 1, ey1 - 1, ey1)
        mid = (ex0 + ex1) / 2.0
        vy = ey0 + (ey1 - ey0) * 0.6 * (1 - abs(x - mid) / (mid - ex0))
        on_flap = abs(y - vy) <= 1.2
        if on_edge or on_flap:
            return WHITE
    # three bars, bottom right
    for i, hgt in enumerate((8, 13, 18)):
        bx = 27 + i * 5
        if bx <= x <= bx + 3 and 41 - hgt <= y <= 41:
            return AMBER
    return BLUE


def png():
    raw = b"".join(b"\0" + b"".join(bytes(pixel(x, y)) for x in range(W))
                   for y in range(H))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 6, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "eximwatch.png"
    with open(out, "wb") as f:
        f.write(png())
