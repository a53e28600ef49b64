#!/usr/bin/env python3
"""receiver.py: a small HTTP receiver for the alert tests (stdlib only).

Listens on 127.0.0.1, records every request as one JSON line in --log, and
answers as the --mode file says (read on each request, so a test can change
it while the receiver runs):
    200            answer 200 (the default when the file is missing)
    500            answer 500
    429 N          answer 429 with Retry-After: N
    hang           never answer (hold the connection)
    slack          check the body as Slack's incoming webhooks do and answer
                   as they do: 200 "ok", or 400 "invalid_payload" (not JSON,
                   no text and no blocks) or 400 "invalid_blocks" (more than
                   50 blocks, a header text over 150 characters, a section
                   or context text over 3000 characters: counted in UTF-8
                   bytes, the strictest reading of "characters")
    pagerduty      check an Events API v2 body: 202 and PagerDuty's success
                   answer, or 400 and its "invalid event" answer (a payload
                   over 512 KB, a summary over 1024 characters, a dedup_key
                   over 255, a missing routing key, action, summary, source
                   or severity)
    max N [S]      413 for a body over N bytes (like a web server's body
                   limit), else S (200)
    delay S [M]    wait S seconds (a fraction is fine), then answer as mode M
                   (200)
    echo N         answer N with a body that quotes the request's path and
                   body back (as many servers' error pages do)
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


def slack_errors(body):
    """what Slack's incoming webhook would refuse in body; [] if nothing"""
    try:
        m = json.loads(body)
    except ValueError:
        return "invalid_payload", ["not JSON"]
    if not isinstance(m, dict) or not (m.get("text") or m.get("blocks")):
        return "invalid_payload", ["no text and no blocks"]
    blocks = m.get("blocks") or []
    errs = []
    if len(blocks) > 50:
        errs.append(f"{len(blocks)} blocks (at most 50)")
    n = lambda t: len(t.encode("utf-8"))
    for i, b in enumerate(blocks):
        if b.get("type") == "header" and n(b["text"]["text"]) > 150:
            errs.append(f"block {i}: header text of {n(b['text']['text'])}")
        if b.get("type") == "section" and n(b["text"]["text"]) > 3000:
            errs.append(f"block {i}: section text of {n(b['text']['text'])}")
        if b.get("type") == "context":
            for e in b["elements"]:
                if n(e.get("text", "")) > 3000:
                    errs.append(f"block {i}: context text of {n(e['text'])}")
    return ("invalid_blocks", errs) if errs else (None, [])


def pagerduty_errors(body):
    """PagerDuty's reasons to refuse an Events API v2 body; [] if none"""
    if len(body) > 512 * 1000:
        return [f"payload of {len(body)} bytes (maximum is 512 KB)"]
    try:
        e = json.loads(body)
    except ValueError:
        return ["not JSON"]
    errs = []
    if not e.get("routing_key"):
        errs.append("'routing_key' is missing")
    if e.get("event_action") not in ("trigger", "acknowledge", "resolve"):
        errs.append("'event_action' is invalid")
    if len(e.get("dedup_key", "")) > 255:
        errs.append("'dedup_key' is too long (maximum is 255 characters)")
    if e.get("event_action") == "trigger":
        p = e.get("payload") or {}
        for k in ("summary", "source", "severity"):
            if not p.get(k):
                errs.append(f"'{k}' is missing")
        if len(p.get("summary", "")) > 1024:
            errs.append("'summary' is too long (maximum is 1024 characters)")
        if p.get("severity") not in ("critical", "error", "warning", "info"):
            errs.append("'severity' is invalid")
    return errs


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
        if mode.startswith("delay "):
            w = mode.split(None, 2)
            time.sleep(float(w[1]))
            mode = w[2] if len(w) > 2 else "200"
        if mode == "hang":
            rec["status"] = 0
            self.record(rec)
            time.sleep(3600)
            return
        headers = {}
        out = None
        if mode.startswith("429"):
            status = 429
            headers["Retry-After"] = mode.split()[1] if " " in mode else "1"
        elif mode == "slack":
            err, why = slack_errors(body)
            status, out = (400, err.encode()) if err else (200, b"ok")
            if why:
                rec["why"] = why
        elif mode == "pagerduty":
            why = pagerduty_errors(body)
            if why:
                status, rec["why"] = 400, why
                out = json.dumps({"status": "invalid event", "message":
                                  "Event object is invalid",
                                  "errors": why}).encode()
            else:
                status = 202
                out = json.dumps({"status": "success", "message":
                                  "Event processed", "dedup_key":
                                  json.loads(body).get("dedup_key", "")}).encode()
        elif mode.startswith("max "):
            w = mode.split()
            status = 413 if len(body) > int(w[1]) else int(w[2]) if len(w) > 2 else 200
            if status == 413:
                out = b"<html><body><h1>413 Request Entity Too Large</h1></body></html>"
        elif mode.startswith("echo"):
            status = int(mode.split()[1]) if " " in mode else 404
            out = b"no such hook: " + self.path.encode() + b" for " + body[:600]
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
        if out is None:
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
