#!/usr/bin/python3
"""Self-check of the harness: classify a real Exim mainlog with a tiny
reference classifier (not eximwatch) and compare with expected.json.

usage: verify.py MAINLOG EXPECTED_JSON      exit 0 = every count matches

Follows eximwatch's documented rules (docs/RULES.md): the client IP comes
only from "[ip]" at the start of the host text, after "rdns " or after ") ";
two different candidates = no IP.  Owners come from the userdomains file
named in expected.json.
"""
import calendar
import json
import re
import sys
import time
from collections import defaultdict

PREFIX = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{3})?(?: [+-]\d{4})?"
                    r"(?: \[\d+\])?(?: (?P<id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}))? ")
REFUSED = re.compile(r"^Connection from \[(?P<ip>[0-9A-Fa-f:.]+)\](?::\d+)?(?: I=\S+)? "
                     r"refused: too many connections(?P<per> from that IP address)?$")
SYNC = re.compile(r"^SMTP protocol synchronization error \(input sent without waiting "
                  r"for greeting\): rejected connection from H=(?P<host>\S+)")
AUTHFAIL = re.compile(r"^\S+ authenticator failed for (?:H=)?(?P<host>.*): 535 Incorrect "
                      r"authentication data(?: \(set_id=(?P<id>.*)\))?$")
REJECT = re.compile(r"^H=(?P<host>.*) F=<(?P<sender>[^>]*)>(?: A=[^:\s]+:(?P<auth>\S+))? "
                    r"rejected RCPT <(?P<rcpt>[^>]*)>: (?P<why>.*)$")
REASONS = [
    ("submission_auth_required", r"^SMTP AUTH is required for message submission on port 587$", "sender"),
    ("relay_denied", r"^(?:Please turn on SMTP Authentication in your mail client\.$"
                     r"|Rejected relay attempt: ')", "sender"),
    ("unknown_recipient", r"^No Such User Here$", "rcpt"),
    ("sender_verify_fail", r"^Sender verify failed$", "rcpt"),
    ("dnsbl", r'^"JunkMail rejected - ', "rcpt"),
    ("ratelimit", r"^Sender rate overlimit - ", "auth"),
]
ARRIVAL = re.compile(r"^<= (?P<sender>\S+) ")
CWD = re.compile(r"^cwd=(?P<dir>.*?) \d+ args: ")
HOME = re.compile(r"^/home\d*/(?P<user>[A-Za-z0-9_][A-Za-z0-9_.-]*)(?:/|$)")
SHARED = {"nobody", "www-data", "apache", "httpd", "nginx"}
SYSTEM = {"root", "mailnull", "exim", "Debian-exim", "mail"}
REMOTE_RELAY = re.compile(r"^\*\* .*: SMTP error from remote mail server after "
                          r"(?:pipelined )?RCPT TO:<[^>]*>: .*(?:Please turn on SMTP "
                          r"Authentication|relay not permitted)")
DELIVERY = re.compile(r"^(?:=>|->) (?P<addr>\S+)(?: <(?P<orig>[^>]+)>)? .*? T=(?P<t>\S+)")
BRACKET = re.compile(r"\[(?P<ip>[0-9A-Fa-f:.]+)\]")
RDNS = re.compile(r"[^\s()\[\]]+ ")


def client_ip(host):
    """eximwatch's rule: [ip] at the start, after 'rdns ' or after ') '."""
    ips = set()
    for m in BRACKET.finditer(host):
        pre = host[:m.start()]
        if not pre or pre.endswith(") ") or RDNS.fullmatch(pre):
            ips.add(m.group("ip").lower())
    return ips.pop() if len(ips) == 1 else None


def stamp(line):
    """the line's time in seconds (local time; only differences matter)"""
    return calendar.timegm(time.strptime(line[:19], "%Y-%m-%d %H:%M:%S"))


def classify(path):
    ev = []            # (class, ip, account)
    sender_of = {}
    cwds = []          # (time, dir) of recent submissions' cwd= lines
    with open(path, encoding="latin-1") as f:
        for line in f:
            line = line.rstrip("\n")
            m = PREFIX.match(line)
            if not m:
                continue
            mid, body = m.group("id"), line[m.end():]
            c = CWD.match(body)
            if c and not mid:
                # a submission's (not a queue run's, a delivery's, a query's)
                args = body[c.end() - 1:]
                if not re.search(r" -(?:M|q|R|S|E|b[^msS])", args) and \
                        not c.group("dir").startswith(("/var/spool/exim",
                                                        "/usr/local/cpanel")):
                    cwds.append((stamp(line), c.group("dir")))
                continue
            if mid:
                a = ARRIVAL.match(body)
                if a:
                    snd = a.group("sender")
                    sender_of[mid] = snd
                    if snd == "<>":
                        ev.append(("msg_in_bounce", None, body[body.rfind(" for ") + 5:].split()[0]))
                    elif " P=local " in body and " H=" not in body:
                        # the submitter: U= if a person's; for a web
                        # server's user, the home of the oldest unclaimed
                        # cwd= line (eximwatch pairs them so); never the
                        # MTA's own
                        u = re.search(r" U=(\S+)", body)
                        u = u.group(1) if u else None
                        acct = snd
                        if u and u not in SHARED and u not in SYSTEM and \
                                not u.startswith("cpanel"):
                            acct = u
                        now = stamp(line)
                        while cwds and now - cwds[0][0] > 5:
                            cwds.pop(0)
                        if cwds:
                            h = HOME.match(cwds.pop(0)[1])
                            if h and (u is None or u in SHARED):
                                acct = h.group("user")
                        ev.append(("msg_in_local", None, acct))
                    else:
                        h = re.search(r" H=(.*?) (?:I=|U=|P=)", body)
                        ip = client_ip(h.group(1)) if h else None
                        au = re.search(r" A=[^:\s]+:(\S+)", body)
                        if au:
                            ev.append(("msg_in_auth", ip, au.group(1)))
                        else:
                            ev.append(("msg_in_unauth", ip, None))
                    continue
                d = DELIVERY.match(body)
                if d:
                    if d.group("t") == "remote_smtp":
                        ev.append(("delivered_remote", None, sender_of.get(mid)))
                    else:
                        ev.append(("delivered_local", None, d.group("orig") or d.group("addr")))
                    continue
                if REMOTE_RELAY.match(body):
                    ev.append(("remote_relay_denied", None, sender_of.get(mid)))
                elif body.startswith("** "):
                    ev.append(("bounced", None, sender_of.get(mid)))
                elif body.startswith("== "):
                    ev.append(("deferred", None, sender_of.get(mid)))
                elif body == "Completed" or body.startswith("Completed QT="):
                    ev.append(("completed", None, None))
                continue
            m = REFUSED.match(body)
            if m:
                cls = "conn_refused_per_ip" if m.group("per") else "conn_refused_global"
                ev.append((cls, m.group("ip").lower(), None))
                continue
            m = SYNC.match(body)
            if m:
                ev.append(("sync_error", client_ip(m.group("host")), None))
                continue
            m = AUTHFAIL.match(body)
            if m:
                ev.append(("auth_failed", client_ip(m.group("host")), m.group("id")))
                continue
            m = REJECT.match(body)
            if m:
                for cls, rx, field in REASONS:
                    if re.search(rx, m.group("why")):
                        ev.append((cls, client_ip(m.group("host")), m.group(field)))
                        break
    return ev


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    exp = json.load(open(sys.argv[2]))
    owners = {}
    try:
        for l in open(exp["userdomains"]):
            if ":" in l:
                d, u = l.split(":", 1)
                owners[d.strip().lower()] = u.strip()
    except OSError:
        owners = None
    users = set(owners.values()) if owners else set()

    def owner(acct):
        if not acct:
            return "(none)"
        if "@" in acct:
            return owners.get(acct.rsplit("@", 1)[1].lower(), "(none)")
        return acct if acct in users else "(none)"

    got = defaultdict(lambda: {"total": 0, "by_ip": defaultdict(int),
                               "by_account": defaultdict(int), "by_owner": defaultdict(int)})
    for cls, ip, acct in classify(sys.argv[1]):
        g = got[cls]
        g["total"] += 1
        if ip:
            g["by_ip"][ip] += 1
        if acct and acct != "<>":
            g["by_account"][acct] += 1
        g["by_owner"][owner(acct)] += 1
    bad = 0
    for cls in sorted(set(exp["counts"]) | set(got)):
        e = exp["counts"].get(cls, {})
        g = got[cls]
        for key in ("total", "by_ip", "by_account", "by_owner"):
            if key == "by_owner" and owners is None:
                continue
            ev = e.get(key, 0 if key == "total" else {})
            gv = g[key] if key == "total" else dict(g[key])
            if ev != gv:
                bad += 1
                print("MISMATCH %s %s: expected %s, log has %s" % (cls, key, ev, gv))
    n = sum(c["total"] for c in exp["counts"].values())
    print("verify.py: %s (%d events expected, %d classes)" % (
        "PASS" if not bad else "FAIL, %d mismatches" % bad, n, len(exp["counts"])))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
