#!/usr/bin/env python3
"""receiver.py: a small HTTP receiver for the alert tests (stdlib only).

Listens on 127.0.0.1, records every request as one JSON line in --log, and
answers as the --mode file says (read on each request, so a test can change
it while the receiver runs):
    200            answer 200 (the default when the file is missing)
    500            answer 500
    429 N          answer 429 with Retry-After: N
    hang           never answer (hold the connection)
Webhook requests (with a webhook-id header) are checked against the
Standard Webhooks signature when --secret is given (sig_ok in the record),
and each webhook-id is accepted (2xx) only once: a repeat gets 409 and is
recorded with "dup": true.

    receiver.py --port-file F --log L [--port P] [--mode M] [--secret S]
                [--tls CERT KEY]       (HTTPS with that certificate)
"""
import argparse, base64, hashlib, hmac, json, os, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, default=0)
ap.add_argument("--port-file", required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--mode")
ap.add_argument("--secret")
ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
args = ap.parse_args()
lock = threading.Lock()
accepted = set()
if os.path.exists(args.log):   # a restarted receiver remembers what it accepted
    for l in open(args.log):
        r = json.loads(l)
        if r.get("webhook_id") and 200 <= r["status"] < 300:
            accepted.add(r["webhook_id"])


def key():
    s = args.secret
    return base64.b64decode(s[6:]) if s.startswith("whsec_") else s.encode()


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(n)
        mode = "200"
        if args.mode and os.path.exists(args.mode):
            mode = open(args.mode).read().strip() or "200"
        rec = {"t": time.time(), "path": self.path,
               "headers": {k.lower(): v for k, v in self.headers.items()},
               "body": body.decode("utf-8", "replace")}
        wid = self.headers.get("webhook-id")
        if wid:
            rec["webhook_id"] = wid
            if args.secret:
                ts = self.headers.get("webhook-timestamp", "")
                mac = hmac.new(key(), f"{wid}.{ts}.".encode() + body,
                               hashlib.sha256).digest()
                want = "v1," + base64.b64encode(mac).decode()
                got = self.headers.get("webhook-signature", "").split(" ")
                rec["sig_ok"] = want in got
        if mode == "hang":
            rec["status"] = 0
            self.record(rec)
            time.sleep(3600)
            return
        headers = {}
        if mode.startswith("429"):
            status = 429
            headers["Retry-After"] = mode.split()[1] if " " in mode else "1"
        else:
            status = int(mode.split()[0])
        with lock:
            if wid and 200 <= status < 300:
                if wid in accepted:
                    status = 409
                    rec["dup"] = True
                else:
                    accepted.add(wid)
            rec["status"] = status
            self.record(rec)
        out = b'{"status":"ok"}' if status < 300 else b'{"error":"test"}'
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def record(self, rec):
        with open(args.log, "a") as f:
            f.write(json.dumps(rec) + "\n")


srv = ThreadingHTTPServer(("127.0.0.1", args.port), H)
srv.daemon_threads = True
if args.tls:
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*args.tls)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(args.port_file + ".tmp", args.port_file)
srv.serve_forever()
