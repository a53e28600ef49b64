#!/usr/bin/python3
"""Authoritative-only DNS for the harness netns (UDP, world.DNS_IP:53).

Knows: A/MX of the local and remote test domains, PTR (+ forward A/AAAA) of
a few clients, the DNSBL zone.  Everything else: NXDOMAIN.  Never forwards.
Exits after --max-seconds.
"""
import argparse
import socket
import struct
import os
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world as W  # noqa: E402

T_A, T_PTR, T_MX, T_TXT, T_AAAA = 1, 12, 15, 16, 28


def zone():
    z = {}

    def rr(name, t, v):
        z.setdefault(name.lower(), []).append((t, v))

    rr("mail.example.test", T_A, W.EXIM4)
    for _, d in W.CPANEL:
        rr(d, T_MX, (10, "mail.example.test"))
    for d, (mx, ip) in W.MX.items():
        rr(d, T_MX, (10, mx))
        rr(mx, T_A, ip)
    for ip, name in W.PTR.items():
        rr(W.rev_name(ip), T_PTR, name)
        rr(name, T_AAAA if ":" in ip else T_A, ip)
    for ip, txt in W.DNSBL.items():
        rr(W.rev_name(ip, W.BL_ZONE), T_A, "127.0.0.2")
        rr(W.rev_name(ip, W.BL_ZONE), T_TXT, txt)
    return z


def name_wire(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"


def rdata(t, v):
    if t == T_A:
        return socket.inet_pton(socket.AF_INET, v)
    if t == T_AAAA:
        return socket.inet_pton(socket.AF_INET6, v)
    if t == T_MX:
        return struct.pack("!H", v[0]) + name_wire(v[1])
    if t == T_PTR:
        return name_wire(v)
    b = v.encode()[:255]
    return bytes([len(b)]) + b


SLOW = {W.rev_name(ip) for ip in W.SLOW_PTR}


def reply(z, q):
    qid, flags, qdcount = struct.unpack("!HHH", q[:6])
    if qdcount != 1:
        return None
    off, labels = 12, []
    while q[off]:
        n = q[off]
        labels.append(q[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n
    off += 1
    qtype, _ = struct.unpack("!HH", q[off:off + 4])
    question = q[12:off + 4]
    name = ".".join(labels).lower()
    answers = [rdata(t, v) for t, v in z.get(name, []) if t == qtype]
    rcode = 0 if name in z else 3
    hdr = struct.pack("!HHHHHH", qid, 0x8480 | (flags & 0x0100) | rcode,
                      1, len(answers), 0, 0)
    body = b"".join(struct.pack("!HHHIH", 0xC00C, qtype, 1, 60, len(d)) + d
                    for d in answers)
    return hdr + question + body, name in SLOW and qtype == T_PTR


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-seconds", type=float, default=3600)
    a = ap.parse_args()
    z = zone()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((W.DNS_IP, 53))
    s.settimeout(1)
    end = time.monotonic() + a.max_seconds
    while time.monotonic() < end:
        try:
            q, peer = s.recvfrom(2048)
        except socket.timeout:
            continue
        try:
            r = reply(z, q)
        except (IndexError, struct.error, ValueError):
            continue
        if r and r[1]:
            threading.Timer(0.3, s.sendto, (r[0], peer)).start()
        elif r:
            s.sendto(r[0], peer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
