#!/usr/bin/python3
"""Fake remote MX hosts (world.MX addresses, port world.MX_PORT).

RCPT local part reject* -> 550, defer* -> 451, anything else -> 250; DATA is
swallowed.  mx.migrated.test refuses every recipient as relaying, with
cPanel's text (it is the old server of a migrated domain).  Exits after
--max-seconds.
"""
import argparse
import os
import socketserver
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world as W  # noqa: E402


class Session(socketserver.StreamRequestHandler):
    timeout = 30

    def say(self, text):
        self.wfile.write(text.encode() + b"\r\n")

    def handle(self):
        self.say("220 %s ESMTP fake" % self.server.name)
        for _ in range(500):
            raw = self.rfile.readline(2048)
            if not raw:
                return
            line = raw.decode("latin-1").strip()
            verb = line[:4].upper()
            if verb == "EHLO":
                self.say("250-%s\r\n250 8BITMIME" % self.server.name)
            elif verb == "HELO":
                self.say("250 %s" % self.server.name)
            elif verb == "RCPT":
                lp = line.split(":", 1)[-1].strip(" <>").split("@")[0].lower()
                if self.server.name == "mx.migrated.test":
                    self.say("550-Please turn on SMTP Authentication in your mail "
                             "client, or login to the\r\n550-IMAP/POP3 server "
                             "before sending your message. mx.migrated.test\r\n"
                             "550 is not permitted to relay through this server "
                             "without authentication.")
                elif lp.startswith("reject"):
                    self.say("550 5.1.1 no such mailbox here")
                elif lp.startswith("defer"):
                    self.say("451 4.3.0 try again later")
                else:
                    self.say("250 2.1.5 ok")
            elif verb == "DATA":
                self.say("354 go ahead")
                for _ in range(100000):
                    d = self.rfile.readline(65536)
                    if not d or d.rstrip(b"\r\n") == b".":
                        break
                self.say("250 2.0.0 queued")
            elif verb == "QUIT":
                self.say("221 bye")
                return
            else:   # MAIL, RSET, NOOP, ...
                self.say("250 ok")


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-seconds", type=float, default=3600)
    a = ap.parse_args()
    for name, ip in W.MX.values():
        srv = Server((ip, W.MX_PORT), Session)
        srv.name = name
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    time.sleep(a.max_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
