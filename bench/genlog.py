#!/usr/bin/env python3
"""Synthetic cPanel-style Exim main log for eximwatch benchmarks.

    bench/genlog.py --lines N --seed S --out FILE
                    [--start "YYYY-MM-DD HH:MM:SS"] [--rate LINES_PER_SEC]
                    [--only-rejections]

The output is a pure function of the arguments (Python 3 stdlib only, one
random.Random seeded with --seed; no clock, no environment).  About 85 % of
the lines are ordinary traffic (authenticated submissions relayed to remote
MXes, inbound mail delivered to local mailboxes, local sendmail/PHP mail,
connection open/close/lost lines, queue runs, DKIM and SpamAssassin notes)
and about 15 % are rejections and failures (AUTH required on 587, cPanel
relay refusals, connection limits, dovecot_login failures, RBL, sender
verify, sender rate limit, cPanel max-emails-per-hour defers, HELO syntax,
unknown users, remote relay refusals).  Client IPs and accounts follow
Zipf-like laws; message ids use both the 16- and the 23-character formats;
about half of the lines carry " [pid]".

A second random.Random (seeded from --seed too) adds about 2 % of other
lines without touching the main stream: TLS errors (with and without
"(SSL_accept)", host-less "TLS error (SSL_read)"), STARTTLS not advertised,
"435 Unable to authenticate at present" bursts (Dovecot restarting), "501
Authentication cancelled", authenticated null-sender submissions, frozen
bounces ("Frozen (delivery error message)", then "Message is frozen" on
later queue runs) and a rare "spool directory space check failed".

--only-rejections writes only the rejection/failure lines.
"""

import argparse
import bisect
import calendar
import heapq
import ipaddress
import math
import os
import random
import sys
import time

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# --- vocabulary (the project's own) ---------------------------------------

GIVEN = (
    "amelia bruno carmen dmitri elena farid greta hugo ines jonas kenji "
    "leila marco nadia oscar priya quentin rosa sven tanya umar vera wen "
    "xavier yara zoltan aisha bjorn chloe diego emma felix hana ivan julia "
    "karl lucia mateo nora otto paula rafael sofia tomas ursula viktor wanda "
    "yusuf zara noah mia liam olivia ethan ava lucas isla leo ruby").split()
ROLES = (
    "info billing hello orders office reception bookings accounts hr jobs "
    "press service shop team enquiries studio careers desk helpdesk webshop "
    "newsletter noreply postmaster invoices").split()
LOCAL_A = (
    "amber birch cedar coral delta ember fjord granite harbor indigo juniper "
    "kestrel lumen maple nimbus onyx pine quartz raven sierra tundra umbra "
    "velvet willow zephyr alpine brook copper dune echo").split()
LOCAL_B = (
    "bakery dental law media motors design clinic realty tours garden "
    "coffee fitness print labs works travel optics books pets farm").split()
LOCAL_TLD = (".com", ".com", ".com", ".net", ".org", ".co.uk", ".de",
             ".com.au", ".nl", ".ca", ".fr", ".io")
REMOTE_A = (
    "north south blue red green silver golden urban rural global metro "
    "bright swift prime solid clear first royal coastal summit").split()
REMOTE_B = (
    "logistics partners supply capital energy foods systems health estates "
    "consulting insurance freight academy builders solutions trading group "
    "ventures textiles marine").split()
REMOTE_TLD = (".com", ".com", ".net", ".org", ".co", ".biz", ".de", ".it",
              ".es", ".pl", ".com.br", ".co.za", ".in", ".ru", ".jp")
# big providers: domain -> (mx host, outbound rDNS pattern)
PROVIDERS = (
    ("gmail.com", "gmail-smtp-in.l.google.com", "mail-{a}{b}-f{n}.google.com"),
    ("googlemail.com", "gmail-smtp-in.l.google.com",
     "mail-{a}{b}-f{n}.google.com"),
    ("outlook.com", "outlook-com.olc.protection.outlook.com",
     "mail-{a}{b}eur{n}.outbound.protection.outlook.com"),
    ("hotmail.com", "hotmail-com.olc.protection.outlook.com",
     "mail-{a}{b}eur{n}.outbound.protection.outlook.com"),
    ("yahoo.com", "mta7.am0.yahoodns.net", "sonic{n}-{a}.consmr.mail.ne1.yahoo.com"),
    ("icloud.com", "mx01.mail.icloud.com", "ms{n}p00im-qu{a}.me.com"),
    ("gmx.de", "mx00.emig.gmx.net", "mout.gmx.net"),
    ("web.de", "mx-ha03.web.de", "mout.web.de"),
    ("orange.fr", "smtp-in.orange.fr", "smtp{n}.smtpout.orange.fr"),
    ("comcast.net", "mx1.comcast.net", "resqmta-po-{n}v.sys.comcast.net"),
    ("aol.com", "mx-aol.mail.gm0.yahoodns.net", "sonic{n}-{a}.consmr.mail.bf2.yahoo.com"),
    ("zoho.com", "mx.zoho.com", "sender4-op-o{n}.zoho.com"),
)
SUBJ = (
    "invoice quote order meeting update report question booking request "
    "reminder confirmation payment delivery schedule proposal contract "
    "photos draft agenda feedback offer receipt renewal appointment project "
    "urgent weekly monthly new your our the for and re fwd about next").split()
SUBJ_ODD = ('Re: \\"the plan\\"', "Caf\\303\\251 menu", "Stra\\303\\237e 5",
            "Offer for you", "Fwd: for all staff", "\\342\\202\\254 invoice",
            "100% free \\360\\237\\216\\211")
MUA_HELO = ("DESKTOP-{r7}", "LAPTOP-{r7}", "{g}s-MacBook-Pro.local",
            "[192.168.1.{n}]", "[10.0.0.{n}]", "localhost", "{g}-PC",
            "iPhone", "android-{h}", "mail.{d}")
BAD_HELO = ("WIN-{r11}", "User", "localhost", "{ip}", "mail.{d}", "ADMIN",
            "{d}", "hello", "smtp", "{r7}")
HELO_JUNK = ("(no argument given)", "[]", "_", "my host", "a..b", "-",
             "\\342\\200\\213mail", "user@host")
RBL_TEXT = ("https://www.spamhaus.org/query/ip/{ip}",
            "Blocked - see https://www.spamcop.net/bl.shtml?{ip}",
            "Client host blocked using Barracuda Reputation",
            "listed at bl.mailspike.net")
SVF_REASON = ("Unrouteable address",
              "all relevant MX records point to non-existent hosts",
              "Unknown user", "response to \"RCPT TO:<{s}>\" from {mx} [{mip}] "
              "was: 550 5.1.1 <{s}>: Recipient address rejected: User unknown")
CIPHERS = ("TLS1.3:TLS_AES_256_GCM_SHA384:256",
           "TLS1.3:TLS_AES_256_GCM_SHA384:256",
           "TLS1.3:TLS_AES_128_GCM_SHA256:128",
           "TLS1.2:ECDHE-RSA-AES256-GCM-SHA384:256",
           "TLS1.2:ECDHE-RSA-AES128-GCM-SHA256:128")
SERVER_IP = "198.51.100.24"
SERVER_NAME = "server.hostingbox.example"


# --- helpers ---------------------------------------------------------------

def zipf_cum(n, s):
    """Cumulative Zipf weights for ranks 1..n."""
    cum, acc = [], 0.0
    for k in range(1, n + 1):
        acc += 1.0 / (k ** s)
        cum.append(acc)
    return cum


class Picker:
    """Zipf-distributed choice from a sequence (rank = position)."""

    def __init__(self, rng, items, s):
        self.items = list(items)
        self.cum = zipf_cum(len(self.items), s)
        self.total = self.cum[-1]
        self.rnd = rng.random

    def __call__(self):
        return self.items[bisect.bisect_left(self.cum,
                                             self.rnd() * self.total)]


def b62(n, width):
    out = []
    for _ in range(width):
        n, r = divmod(n, 62)
        out.append(B62[r])
    return "".join(reversed(out))


def rand_str(rng, n, alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"):
    return "".join(rng.choice(alphabet) for _ in range(n))


def public_v4(rng):
    while True:
        a = rng.randint(1, 223)
        if a in (10, 127, 100, 169, 172, 192, 198, 203, 0):
            continue
        return "%d.%d.%d.%d" % (a, rng.randint(0, 255), rng.randint(0, 255),
                                rng.randint(1, 254))


def public_v6(rng):
    prefix = rng.choice((0x2001, 0x2a00, 0x2a01, 0x2a02, 0x2400, 0x2600,
                         0x2800, 0x2c0f, 0x2603, 0x2405))
    words = [prefix] + [rng.randint(0, 0xffff) for _ in range(3)]
    tail = rng.choice(((0, 0, 0, rng.randint(1, 0xffff)),
                       (0, 0, rng.randint(0, 0xffff), rng.randint(1, 0xffff)),
                       tuple(rng.randint(0, 0xffff) for _ in range(4))))
    words += list(tail)
    return str(ipaddress.IPv6Address(":".join("%x" % w for w in words)))


def make_ips(rng, n, v6_share, seen):
    out = []
    while len(out) < n:
        ip = public_v6(rng) if rng.random() < v6_share else public_v4(rng)
        if ip not in seen:
            seen.add(ip)
            out.append(ip)
    return out


# --- the world ---------------------------------------------------------------

class World:
    def __init__(self, rng):
        self.rng = rng
        r = rng
        # ~100 local domains, ~400 mailboxes (Zipf over domains)
        doms = set()
        while len(doms) < 100:
            doms.add(r.choice(LOCAL_A) + r.choice(LOCAL_B) + r.choice(LOCAL_TLD))
        self.local_domains = sorted(doms)
        r.shuffle(self.local_domains)
        dpick = Picker(r, self.local_domains, 0.8)
        boxes = set()
        while len(boxes) < 400:
            if r.random() < 0.35:
                lp = r.choice(ROLES)
            else:
                lp = r.choice(GIVEN)
                if r.random() < 0.3:
                    lp += r.choice((".", "_", "")) + r.choice(GIVEN)
            boxes.add(lp + "@" + dpick())
        boxes = sorted(boxes)
        r.shuffle(boxes)
        self.mailboxes = boxes
        self.sender = Picker(r, boxes, 1.05)       # who submits mail
        rb = list(boxes)
        r.shuffle(rb)
        self.rcpt_local = Picker(r, rb, 0.9)       # who receives mail
        # cPanel user per domain (first 8 letters of the domain, like cPanel)
        self.owner = {d: d.split(".")[0][:8] for d in self.local_domains}
        self.local_dom = Picker(r, self.local_domains, 0.8)
        owners = sorted(set(self.owner.values()))
        r.shuffle(owners)
        self.cpuser = Picker(r, owners, 1.0)

        # remote domains: providers + generated businesses
        rem = set()
        while len(rem) < 600:
            rem.add(r.choice(REMOTE_A) + r.choice(("", "-")) +
                    r.choice(REMOTE_B) + r.choice(REMOTE_TLD))
        rem = sorted(rem)
        r.shuffle(rem)
        seen = set()
        self.mx = {}
        for dom, mxh, _ in PROVIDERS:
            self.mx[dom] = [(mxh, ip) for ip in make_ips(r, 4, 0.3, seen)]
        for dom in rem:
            k = r.random()
            if k < 0.35:
                mxh = dom.replace(".", "-") + ".mail.protection.outlook.com"
            elif k < 0.55:
                mxh = "aspmx.l.google.com"
            else:
                mxh = r.choice(("mx.", "mail.", "mx1.", "smtp.")) + dom
            self.mx[dom] = [(mxh, ip) for ip in make_ips(r, r.choice((1, 1, 2)),
                                                          0.1, seen)]
        prov = [p[0] for p in PROVIDERS]
        self.remote_dom = Picker(r, prov + rem, 0.9)
        self.remote_lp = GIVEN + ROLES

        # client pools (~4000 addresses, ~10 % IPv6)
        # 1. MUAs of our users (submission)
        self.mua = []
        for ip in make_ips(r, 700, 0.12, seen):
            h = r.choice(MUA_HELO)
            self.mua.append((ip, h))
        self.mua_pick = Picker(r, self.mua, 1.1)
        # 2. remote MTAs sending to us
        self.mta = []
        provs = [p for p in PROVIDERS]
        for ip in make_ips(r, 1500, 0.10, seen):
            if r.random() < 0.4:
                _, _, pat = r.choice(provs)
                name = pat.format(a=r.choice("abcdefghijklmnopqrstuvwxyz"),
                                  b=r.choice("0123456789"),
                                  n=r.randint(1, 250))
                dom = r.choice(provs)[0]
            else:
                dom = r.choice(rem)
                name = r.choice(("mail.", "smtp.", "mx.", "out.",
                                 "mta1.", "relay.")) + dom
            k = r.random()
            if k < 0.7:
                host = name                              # rDNS == HELO
            elif k < 0.9:
                host = "%s (%s)" % (name, r.choice(("mail." + dom, dom)))
            else:
                host = "(%s)" % name                     # no rDNS
            self.mta.append((ip, host, dom))
        self.mta_pick = Picker(r, self.mta, 1.15)
        # 3. attackers / spammers
        self.bad = []
        for ip in make_ips(r, 1800, 0.09, seen):
            h = r.choice(BAD_HELO).format(
                r11=rand_str(r, 11), r7=rand_str(r, 7), ip="[%s]" % ip,
                d=r.choice(self.local_domains))
            if r.random() < 0.25:
                host = "%s (%s)" % (r.choice(("host-%d.dyn.isp%d.net",
                                              "%d-static.broad%d.com")) %
                                    (r.randint(2, 254), r.randint(1, 90)), h)
            else:
                host = "(%s)" % h
            self.bad.append((ip, host))
        self.bad_pick = Picker(r, self.bad, 1.1)
        # guessed logins for AUTH attacks
        self.guess = (["admin", "test", "info", "user", "webmaster", "sales",
                       "support", "root", "contact", "office"] +
                      boxes[:120])


# --- generator -------------------------------------------------------------

class Gen:
    def __init__(self, seed, start, rate, only_rej, iface=False):
        self.rng = rng = random.Random(seed)
        self.w = World(rng)
        self.t = float(start)
        self.rate = rate
        self.only_rej = only_rej
        self.with_iface = iface
        self.pending = []          # heap of (time, seq, "[pid] ", text)
        self.pid = 1000            # pid of the Exim process of this event
        # the extra shapes draw from their own stream, so that the main
        # stream (and so the other classes) stays what it was
        self.rng2 = r2 = random.Random("eximwatch-extra-%d" % seed)
        self.bad2 = Picker(r2, self.w.bad, 1.1)
        self.mua2 = Picker(r2, self.w.mua, 1.1)
        self.sender2 = Picker(r2, self.w.mailboxes, 1.05)
        self.frozen = []           # ids of frozen bounces still queued

    # message id for time t; new=True -> 4.97+ 23-char form
    def msgid(self, t, pid, new):
        r = self.rng
        sec = int(t)
        if new:
            return "%s-%s-%s" % (b62(sec, 6), b62(pid, 11),
                                 b62(r.randrange(62 ** 3) * 62
                                     + r.randrange(62), 4))
        return "%s-%s-%s" % (b62(sec, 6), b62(pid, 6), b62(r.randrange(3844), 2))

    def subject(self):
        r = self.rng
        if r.random() < 0.04:
            return r.choice(SUBJ_ODD)
        words = r.sample(SUBJ, r.randint(1, 5))
        if r.random() < 0.15:
            words.append("#%d" % r.randint(100, 99999))
        s = " ".join(words)
        return s[0].upper() + s[1:]

    def remote_addr(self):
        r = self.rng
        lp = r.choice(self.w.remote_lp)
        if r.random() < 0.25:
            lp += str(r.randint(1, 999))
        return lp + "@" + self.w.remote_dom()

    def iface(self, lport):
        """' I=[local]:port' (+incoming_interface; off in cPanel's default)"""
        if self.with_iface:
            return " I=[%s]:%d" % (SERVER_IP, lport)
        return ""

    def port(self):
        return self.rng.randint(1025, 65535)

    def size(self):
        r = self.rng
        return int(r.lognormvariate(9.5, 1.2)) + 600

    def hdr_id(self, dom):
        return "%s@%s" % (rand_str(self.rng, self.rng.choice((12, 16, 20, 24, 32)),
                                   B62), dom)

    def confirm(self, mxh):
        """The remote server's 250 reply, in the style of its software."""
        r = self.rng
        if mxh.endswith("google.com"):
            return "250 2.0.0 OK  %d %s.%d - gsmtp" % (
                int(self.t), rand_str(r, 10, B62), r.randint(100, 999))
        if mxh.endswith("outlook.com"):
            return ("250 2.6.0 <%s> [InternalId=%d] Queued mail for "
                    "delivery" % (self.hdr_id(SERVER_NAME),
                                  r.randint(10 ** 12, 10 ** 13 - 1)))
        if r.random() < 0.6:
            return "250 2.0.0 Ok: queued as 4%s" % rand_str(r, 11, B62)
        return "250 OK id=%s" % self.msgid(self.t, r.randint(1000, 99999),
                                           r.random() < 0.5)

    def dkim(self, dom):
        r = self.rng
        sel = r.choice(("20230601", "default", "selector1", "s1", "k1",
                        "google", "dkim"))
        tail = r.choice(("[verification succeeded]",
                         "[verification succeeded]",
                         "[verification succeeded]",
                         "[verification failed - signature did not verify "
                         "(headers probably modified in transit)]",
                         "[invalid - public key record (currently?) "
                         "unavailable]"))
        return "DKIM: d=%s s=%s c=relaxed/relaxed a=rsa-sha256 b=2048 %s" % (
            dom, sel, tail)

    # --- events: each returns a list of (offset_seconds, text, is_rej) ----

    def ev_submission(self, new):
        """Authenticated user relays mail to remote MXes."""
        r, w = self.rng, self.w
        ip, h = self.w.mua_pick()
        helo = h.format(r7=rand_str(r, 7), g=r.choice(GIVEN).capitalize(),
                        n=r.randint(2, 250), h=rand_str(r, 16, B62[:16]),
                        d=r.choice(w.local_domains))
        user = w.sender()
        lport = r.choice((587, 587, 587, 465))
        host = "(%s) [%s]:%d%s" % (helo, ip, self.port(), self.iface(lport))
        pid = self.pid
        mid = self.msgid(self.t, pid, new)
        nr = 1 + (r.random() < 0.36) + (r.random() < 0.14) + (r.random() < 0.06)
        rcpts = [self.remote_addr() for _ in range(nr)]
        dom = user.split("@")[1]
        out = [(0.0, "SMTP connection from %s (TCP/IP connection count = %d)"
                % (host, r.randint(1, 40)), False)]
        t = r.uniform(0.3, 3.0)
        out.append((t, "%s <= %s H=%s P=esmtpsa X=%s CV=no A=dovecot_login:%s "
                    "S=%d id=%s T=\"%s\" for %s"
                    % (mid, user, host, r.choice(CIPHERS), user, self.size(),
                       self.hdr_id(dom), self.subject(), " ".join(rcpts)),
                    False))
        if r.random() < 0.075:
            # cPanel max emails per hour reached: deferred, no delivery
            n = r.randint(201, 520)
            for rc in rcpts:
                t += r.uniform(0.01, 0.3)
                d, n = dom, n + 1
                out.append((t, "%s == %s R=enforce_mail_permissions defer "
                            "(-1): \"Domain %s has exceeded the max emails "
                            "per hour (%d/200 (%d%%)) allowed.  Message will "
                            "be reattempted later\"" % (mid, rc, d, n,
                                                        n * 100 // 200),
                            True))
            out.append((t + r.uniform(0.1, 2), "SMTP connection from %s %s"
                        "closed by QUIT" % (host, "D=%ds " % int(t + 1)
                                            if new else ""), False))
            return out
        dt = r.uniform(0.2, 3.0)
        remote_refusal = r.random() < 0.045
        first = True
        for rc in rcpts:
            rd = rc.split("@")[1]
            mxh, mip = r.choice(w.mx[rd])
            router, tr = (("dkim_lookuphost", "dkim_remote_smtp")
                          if r.random() < 0.8 else ("lookuphost", "remote_smtp"))
            if remote_refusal and first:
                out.append((t + dt, "%s ** %s R=%s T=%s H=%s [%s]: SMTP error "
                            "from remote mail server after RCPT TO:<%s>: "
                            "550-Please turn on SMTP Authentication in your "
                            "mail client, or login to the\\n550-IMAP/POP3 "
                            "server before sending your message. %s\\n550-(%s) "
                            "[%s]:%d is not permitted to relay through this "
                            "server\\n550 without authentication."
                            % (mid, rc, router, tr, mxh, mip, rc, mxh,
                               SERVER_NAME, SERVER_IP, self.port()), True))
                first = False
                continue
            out.append((t + dt, "%s %s %s R=%s T=%s H=%s [%s] X=%s CV=yes "
                        "C=\"%s\" DT=%.3fs"
                        % (mid, "=>" if first else "->", rc, router, tr, mxh,
                           mip, r.choice(CIPHERS), self.confirm(mxh), dt),
                        False))
            first = False
            dt += r.uniform(0.01, 0.2)
        out.append((t + dt + 0.01, "%s Completed" % mid, False))
        if remote_refusal:
            bid = self.msgid(self.t + t + dt, pid + 1, new)
            out.append((t + dt + 0.02, "%s <= <> R=%s U=mailnull P=local S=%d "
                        "T=\"Mail delivery failed: returning message to "
                        "sender\" for %s" % (bid, mid, self.size(), user),
                        False))
            out.append((t + dt + 0.3, "%s => %s R=virtual_user "
                        "T=dovecot_virtual_delivery" % (bid, user), False))
            out.append((t + dt + 0.31, "%s Completed" % bid, False))
        out.append((t + r.uniform(0.1, 2.0), "SMTP connection from %s %s"
                    "closed by QUIT" % (host, "D=%ds " % int(t + 1)
                                        if new else ""), False))
        return out

    def ev_inbound(self, new):
        """Remote MTA delivers to a local mailbox."""
        r, w = self.rng, self.w
        ip, hst, sdom = w.mta_pick()
        host = "%s [%s]:%d%s" % (hst, ip, self.port(), self.iface(25))
        pid = self.pid
        mid = self.msgid(self.t, pid, new)
        lp = r.choice(w.remote_lp)
        if r.random() < 0.3:
            lp += str(r.randint(1, 99))
        sender = lp + "@" + sdom
        rc = w.rcpt_local()
        tls = r.random() < 0.85
        out = [(0.0, "SMTP connection from %s (TCP/IP connection count = %d)"
                % (host, r.randint(1, 40)), False)]
        t = r.uniform(0.3, 4.0)
        dk = ""
        if r.random() < 0.8:
            # DKIM verification happens at DATA time, before the <= line
            dl = self.dkim(sdom)
            out.append((t - 0.06, "%s %s" % (mid, dl), False))
            if dl.endswith("[verification succeeded]"):
                dk = " DKIM=" + sdom
        out.append((t, "%s <= %s H=%s P=%s S=%d%s id=%s T=\"%s\" for %s"
                    % (mid, sender, host,
                       ("esmtps X=%s CV=no" % r.choice(CIPHERS)) if tls
                       else "esmtp", self.size(), dk, self.hdr_id(sdom),
                       self.subject(), rc), False))
        if r.random() < 0.6:
            score = r.uniform(-2.0, 4.9) if r.random() < 0.92 else \
                r.uniform(5.0, 30.0)
            out.append((t - 0.05, '%s H=%s Warning: "SpamAssassin as %s '
                        'detected message as %sspam (%.1f)"' % (
                            mid, host, w.owner[rc.split("@")[1]],
                            "" if score >= 5 else "NOT ", score), False))
        dt = r.uniform(0.01, 0.6)
        if r.random() < 0.85:
            dl = "%s => %s R=virtual_user T=dovecot_virtual_delivery" % (
                mid, rc)
        else:
            dl = "%s => %s <%s> R=virtual_user T=dovecot_virtual_delivery" % (
                mid, rc.split("@")[0], rc)
        out.append((t + dt, dl, False))
        out.append((t + dt + 0.001, "%s Completed" % mid, False))
        out.append((t + r.uniform(0.05, 1.5), "SMTP connection from %s %s"
                    "closed by QUIT" % (host, "D=%ds " % int(t + 1)
                                        if new else ""), False))
        return out

    def ev_local(self, new):
        """sendmail/PHP from a cPanel account."""
        r, w = self.rng, self.w
        dom = w.local_dom()
        user = w.owner[dom]
        pid = self.pid
        mid = self.msgid(self.t, pid, new)
        out = []
        if r.random() < 0.9:
            path = r.choice(("/home/%s/public_html", "/home/%s/public_html/wp-admin",
                             "/home/%s", "/home/%s/public_html/shop"))
            out.append((0.0, "cwd=%s %s" % (path % user, r.choice((
                "3 args: /usr/sbin/sendmail -t -i",
                "2 args: /usr/sbin/sendmail -t",
                "4 args: /usr/sbin/sendmail -t -i -f%s" % (
                    "wordpress@" + dom)))), False))
        if r.random() < 0.55:
            rc = self.remote_addr()
        else:
            rc = w.rcpt_local()
        t = r.uniform(0.0, 0.2)
        out.append((t, "%s <= %s@%s U=%s P=local S=%d id=%s T=\"%s\" for %s"
                    % (mid, user, SERVER_NAME, user, self.size(),
                       self.hdr_id(dom), self.subject(), rc), False))
        dt = r.uniform(0.05, 2.0)
        rd = rc.split("@")[1]
        if rd in w.owner:
            out.append((t + dt, "%s => %s R=virtual_user "
                        "T=dovecot_virtual_delivery" % (mid, rc), False))
        else:
            mxh, mip = r.choice(w.mx[rd])
            out.append((t + dt, "%s => %s R=dkim_lookuphost T=dkim_remote_smtp "
                        "H=%s [%s] X=%s CV=yes C=\"%s\" DT=%.3fs"
                        % (mid, rc, mxh, mip, r.choice(CIPHERS),
                           self.confirm(mxh), dt), False))
        out.append((t + dt + 0.001, "%s Completed" % mid, False))
        return out

    def ev_queue(self, new):
        r = self.rng
        qpid = self.pid
        out = [(0.0, "Start queue run: pid=%d" % qpid, False)]
        t = 0.0
        for _ in range(r.choice((0, 1, 1, 2))):
            t += r.uniform(0.1, 2)
            out.append((t, "cwd=/var/spool/exim 3 args: /usr/sbin/exim -Mc %s"
                        % self.msgid(self.t - r.uniform(60, 3600),
                                     r.randint(1000, 4190000), new), False))
        out.append((t + r.uniform(0.1, 5), "End queue run: pid=%d" % qpid,
                    False))
        return out

    def ev_lost(self, new):
        r, w = self.rng, self.w
        if r.random() < 0.5:
            ip, hst, _ = w.mta_pick()
        else:
            ip, hst = w.bad_pick()
        host = "%s [%s]:%d%s" % (hst, ip, self.port(),
                                 self.iface(r.choice((25, 25, 587))))
        d = r.randint(1, 300)
        return [(0.0, "SMTP connection from %s (TCP/IP connection count = %d)"
                 % (host, r.randint(1, 40)), False),
                (float(d), "SMTP connection from %s lost D=%ds" % (host, d),
                 False)]

    # --- rejection events (all lines are rejections/failures) ----------

    def _bad_host(self, lport=25):
        ip, hst = self.w.bad_pick()
        return ip, "%s [%s]:%d%s" % (hst, ip, self.port(), self.iface(lport))

    def _spoof_sender(self):
        r = self.rng
        if r.random() < 0.3:
            return r.choice(self.w.mailboxes)
        return self.remote_addr()

    def ev_auth587(self, new):
        ip, host = self._bad_host(587)
        return [(0.0, "H=%s F=<%s> rejected RCPT <%s>: SMTP AUTH is required "
                 "for message submission on port 587"
                 % (host, self._spoof_sender(), self.remote_addr()), True)]

    def ev_relay_please(self, new):
        r = self.rng
        ip, host = self._bad_host()
        txt = "Please turn on SMTP Authentication in your mail client."
        if r.random() < 0.3:
            txt = ("Please turn on SMTP Authentication in your mail client, "
                   "or login to the IMAP/POP3 server before sending your "
                   "message.  %s is not permitted to relay through this "
                   "server without authentication." % host.split(" I=")[0])
        return [(0.0, "H=%s F=<%s> rejected RCPT <%s>: %s"
                 % (host, self._spoof_sender(), self.remote_addr(), txt),
                 True)]

    def ev_relay_attempt(self, new):
        ip, host = self._bad_host()
        s, rc = self._spoof_sender(), self.remote_addr()
        return [(0.0, "H=%s F=<%s> rejected RCPT <%s>: Rejected relay "
                 "attempt: '%s' From: '%s' To: '%s'" % (host, s, rc, ip, s, rc),
                 True)]

    def ev_connref(self, new):
        r = self.rng
        ip, _ = self.w.bad_pick()
        return [(0.0, "Connection from [%s]:%d refused: too many connections%s"
                 % (ip, self.port(), " from that IP address"
                    if r.random() < 0.6 else ""), True)]

    def ev_authfail(self, new):
        r, w = self.rng, self.w
        ip, hst = w.bad_pick()
        if r.random() < 0.15:
            login = w.sender()             # a real user with an old password
        else:
            login = r.choice(w.guess)
            k = r.random()
            if k < 0.4 and "@" not in login:
                login += "@" + w.local_dom()
            elif k < 0.5:
                login = r.choice(GIVEN) + str(r.randint(1, 40))
        drv = "dovecot_login" if r.random() < 0.8 else "dovecot_plain"
        lport = r.choice((587, 587, 465, 25))
        hid = "%s%s [%s]:%d%s" % ("H=" if new and r.random() < 0.2
                                  else "", hst, ip, self.port(),
                                  self.iface(lport))
        return [(0.0, "%s authenticator failed for %s: 535 Incorrect "
                 "authentication data (set_id=%s)" % (drv, hid, login), True)]

    def ev_rbl(self, new):
        r = self.rng
        ip, hst = self.w.bad_pick()
        p = self.port()
        full = "%s [%s]:%d" % (hst.strip("()") if hst.startswith("(")
                               else hst.split(" ")[0], ip, p)
        host = "%s [%s]:%d%s" % (hst, ip, p, self.iface(25))
        return [(0.0, "H=%s F=<%s> rejected RCPT <%s>: \"JunkMail rejected - "
                 "%s is in an RBL: %s\"" % (host, self.remote_addr(),
                                            self.w.rcpt_local(), full,
                                            r.choice(RBL_TEXT).format(ip=ip)),
                 True)]

    def ev_svf(self, new):
        r = self.rng
        ip, host = self._bad_host()
        s = self.remote_addr()
        mx, mip = r.choice(self.w.mx[s.split("@")[1]])
        reason = r.choice(SVF_REASON).format(s=s, mx=mx, mip=mip)
        return [(0.0, "H=%s sender verify fail for <%s>: %s" % (host, s,
                                                                  reason),
                 True),
                (0.0, "H=%s F=<%s> rejected RCPT <%s>: Sender verify failed"
                 % (host, s, self.w.rcpt_local()), True)]

    def ev_ratelimit(self, new):
        r, w = self.rng, self.w
        ip, h = w.mua_pick()
        user = w.sender()
        return [(0.0, "H=(%s) [%s]:%d%s F=<%s> A=dovecot_login:%s "
                 "temporarily rejected RCPT <%s>: Sender rate overlimit - "
                 "%.1f / 1h / per_rcpt" % (
                     h.format(r7=rand_str(r, 7), g="Office", n=r.randint(2, 250),
                              h=rand_str(r, 16, B62[:16]), d=user.split("@")[1]),
                     ip, self.port(), self.iface(587), user, user,
                     self.remote_addr(), r.uniform(100.5, 900.0)), True)]

    def ev_helo(self, new):
        r = self.rng
        ip, hst = self.w.bad_pick()
        if r.random() < 0.7:
            return [(0.0, "rejected EHLO from [%s]:%d%s: syntactically "
                     "invalid argument(s): %s" % (ip, self.port(), self.iface(25),
                                                   r.choice(HELO_JUNK)), True)]
        host = "%s [%s]:%d%s" % (hst, ip, self.port(), self.iface(25))
        return [(0.0, "H=%s rejected MAIL <%s>: Access denied - Invalid HELO "
                 "name (See RFC2821 4.1.1.1)" % (host, self.remote_addr()),
                 True)]

    def ev_nouser(self, new):
        r, w = self.rng, self.w
        if r.random() < 0.5:
            ip, hst, _ = w.mta_pick()
        else:
            ip, hst = w.bad_pick()
        host = "%s [%s]:%d%s" % (hst, ip, self.port(), self.iface(25))
        rc = "%s%s@%s" % (r.choice(GIVEN + ROLES), r.choice(("", "1", "2024",
                                                               ".old")),
                          w.local_dom())
        return [(0.0, "H=%s F=<%s> rejected RCPT <%s>: No Such User Here"
                 % (host, self.remote_addr(), rc), True)]

    # --- extra shapes (second stream, see the module docstring) ---------

    def ex_msgid(self, new):
        """a message id like msgid(), from the second stream"""
        r = self.rng2
        sec, pid = int(self.t), r.randint(1000, 4190000)
        if new:
            return "%s-%s-%s" % (b62(sec, 6), b62(pid, 11),
                                 b62(r.randrange(62 ** 4), 4))
        return "%s-%s-%s" % (b62(sec, 6), b62(pid, 6), b62(r.randrange(3844), 2))

    def ex_host(self, pick, lport=25):
        r = self.rng2
        ip, h = pick()
        if h.startswith("(") or " (" in h:
            host = h
        else:
            host = "(%s)" % h.format(r7=rand_str(r, 7), g="Office",
                                     n=r.randint(2, 250),
                                     h=rand_str(r, 16, B62[:16]),
                                     d=r.choice(self.w.local_domains))
        return ip, "%s [%s]:%d%s" % (host, ip, r.randint(1025, 65535),
                                     self.iface(lport))

    def ex_tls(self, new):
        r = self.rng2
        k = r.random()
        if k < 0.45:
            ip, _ = self.bad2()
            ci = "Ci=%d " % r.randint(1000, 99999) if new and \
                r.random() < 0.3 else ""
            return [(0.0, "TLS error on connection %sfrom [%s]:%d%s SSL_accept: "
                     "TCP connection closed by peer" % (
                         ci, ip, r.randint(1025, 65535),
                         self.iface(r.choice((465, 587, 25)))), True)]
        if k < 0.75:
            ip, host = self.ex_host(self.bad2, r.choice((465, 587, 25)))
            if r.random() < 0.5:
                host = "[%s]:%d" % (ip, r.randint(1025, 65535))
            return [(0.0, "TLS error on connection from %s (SSL_accept): %s"
                     % (host, r.choice((
                         "error:0A00010B:SSL routines::wrong version number",
                         "error:0A000102:SSL routines::unsupported protocol",
                         "error:0A000418:SSL routines::tlsv1 alert unknown ca",
                         "error:0A0000C1:SSL routines::no shared cipher"))),
                     True)]
        err = "error:0A000126:SSL routines::unexpected eof while reading"
        if new:
            _, host = self.ex_host(self.mua2, 587)
            return [(0.0, "TLS error (SSL_read): on connection from %s %s"
                     % (host, err), True)]
        return [(0.0, "TLS error (SSL_read): %s" % err, True)]

    def ex_starttls(self, new):
        _, host = self.ex_host(self.bad2, 25)
        return [(0.0, "SMTP protocol error in \"STARTTLS\" H=%s STARTTLS "
                 "command used when not advertised" % host, True)]

    def ex_auth435(self, new):
        """Dovecot restarting: every login fails with 435 for a few seconds"""
        r = self.rng2
        out, t = [], 0.0
        for _ in range(r.randint(3, 8)):
            _, host = self.ex_host(self.mua2, r.choice((587, 465)))
            t += r.uniform(0.2, 3.0)
            out.append((t, "dovecot_login authenticator failed for %s%s: 435 "
                        "Unable to authenticate at present (set_id=%s): "
                        "unable to connect to UNIX socket "
                        "(/var/run/dovecot/auth-client): %s"
                        % ("H=" if new else "", host, self.sender2(),
                           r.choice(("Connection refused",
                                     "No such file or directory"))), True))
        return out

    def ex_auth501(self, new):
        _, host = self.ex_host(self.bad2, self.rng2.choice((587, 25)))
        return [(0.0, "dovecot_login authenticator failed for %s: 501 "
                 "Authentication cancelled" % host, True)]

    def ex_nullauth(self, new):
        """a read receipt or auto-reply from a logged-in client: <= <> A="""
        r = self.rng2
        ip, h = self.mua2()
        user = self.sender2()
        host = "(%s) [%s]:%d%s" % (h.format(
            r7=rand_str(r, 7), g="Office", n=r.randint(2, 250),
            h=rand_str(r, 16, B62[:16]), d=user.split("@")[1]), ip,
            r.randint(1025, 65535), self.iface(587))
        mid = self.ex_msgid(new)
        return [(0.0, "%s <= <> H=%s P=esmtpsa X=%s CV=no A=dovecot_login:%s "
                 "S=%d T=\"Read: %s\" for %s" % (
                     mid, host, r.choice(CIPHERS), user,
                     int(r.lognormvariate(7.5, 0.5)), r.choice(SUBJ),
                     r.choice(self.w.remote_lp) + "@" +
                     r.choice(self.w.local_domains)), False)]

    def ex_freeze(self, new):
        """a bounce to a dead address freezes"""
        mid = self.ex_msgid(new)
        self.frozen.append(mid)
        if len(self.frozen) > 25:
            del self.frozen[0]
        return [(0.0, "%s Frozen (delivery error message)" % mid, False)]

    def ex_queue_run(self, new):
        """a queue run passes the frozen messages again"""
        r = self.rng2
        qpid = r.randint(1000, 4190000)
        out = [(0.0, "Start queue run: pid=%d" % qpid, False)]
        t = 0.0
        for mid in self.frozen:
            t += r.uniform(0.001, 0.05)
            out.append((t, "%s Message is frozen" % mid, False))
        out.append((t + r.uniform(0.1, 2), "End queue run: pid=%d" % qpid,
                    False))
        return out

    def ex_spool(self, new):
        r = self.rng2
        return [(0.0, "spool directory space check failed: space=%d "
                 "inodes=%d" % (r.randint(0, 9000), r.randint(0, 20000)),
                 True)]

    def extras(self, new):
        """None, or the lines of one extra event (second stream)"""
        r = self.rng2
        k = r.random()
        # per main event (~2.5 lines each); ~2 % of the lines in all
        for p, fn in ((0.0150, self.ex_tls), (0.0010, self.ex_starttls),
                      (0.0003, self.ex_auth435), (0.0020, self.ex_auth501),
                      (0.0020, self.ex_nullauth), (0.0010, self.ex_freeze),
                      (0.0008, self.ex_queue_run), (0.00002, self.ex_spool)):
            if k < p:
                return fn(new)
            k -= p
        return None

    # --- main loop --------------------------------------------------------

    def events(self):
        # (weight per 1000 lines, method); tuned so the line mix is
        # ~85 % traffic / ~15 % rejections (see bench/README.md).
        normal = [
            (63.0, self.ev_submission), (57.0, self.ev_inbound),
            (24.0, self.ev_local), (8.0, self.ev_queue), (10.0, self.ev_lost),
        ]
        rej = [
            (30.5, self.ev_authfail), (22.4, self.ev_auth587),
            (19.6, self.ev_connref), (16.9, self.ev_rbl),
            (11.8, self.ev_relay_please), (7.8, self.ev_relay_attempt),
            (8.2, self.ev_ratelimit), (7.0, self.ev_svf),
            (5.5, self.ev_nouser), (4.6, self.ev_helo),
        ]
        if self.only_rej:
            # == and ** lines come from submission events; keep a few
            normal = [(4.0, self.ev_submission)]
        return normal + rej

    def run(self, nlines, out):
        r = self.rng
        evs = self.events()
        cum, acc = [], 0.0
        for wgt, _ in evs:
            acc += wgt
            cum.append(acc)
        total = acc
        fns = [f for _, f in evs]
        only_rej = self.only_rej
        # mean lines per event ~ 1000 / total-weight-per-1000 lines; set the
        # mean event gap so the log advances `rate` lines per second on
        # average, with a day/night swing.
        lines_per_event = 1000.0 / total if not only_rej else 1.05
        base_gap = lines_per_event / self.rate
        heap = self.pending
        push, pop = heapq.heappush, heapq.heappop
        written = 0
        buf = []
        last_sec = -1
        stamp = ""
        rnd = r.random
        seq = 0
        start = self.t
        twopi = 2 * math.pi
        while written < nlines:
            now = self.t
            while heap and heap[0][0] <= now and written < nlines:
                tt, _, pidtxt, text = pop(heap)
                sec = int(tt)
                if sec != last_sec:
                    last_sec = sec
                    stamp = time.strftime("%Y-%m-%d %H:%M:%S ",
                                          time.gmtime(sec))
                if pidtxt is None:
                    buf.append(stamp + text)
                elif pidtxt and rnd() < 0.5:
                    buf.append(stamp + pidtxt + text)
                else:
                    buf.append(stamp + text)
                written += 1
                if len(buf) >= 65536:
                    buf.append("")
                    out.write("\n".join(buf))
                    buf = []
            i = bisect.bisect_left(cum, rnd() * total)
            new = rnd() < 0.5
            self.pid = r.randint(1000, 4190000)
            pidtxt = "[%d] " % self.pid
            lines = fns[i](new)
            for off, text, is_rej in lines:
                if only_rej and not is_rej:
                    continue
                seq += 1
                push(heap, (now + off, seq, pidtxt, text))
            # extra lines: their " [pid]" is drawn now, from the second
            # stream (pidtxt None: the output loop draws nothing for them)
            extra = self.extras(new)
            if extra:
                r2 = self.rng2
                xpid = "[%d] " % r2.randint(1000, 4190000)
                for off, text, is_rej in extra:
                    if only_rej and not is_rej:
                        continue
                    seq += 1
                    push(heap, (now + off, seq, None,
                                (xpid if r2.random() < 0.5 else "") + text))
            # next event; diurnal rate: peak at 14:00, low at 02:00
            hod = (now % 86400) / 86400.0
            f = 1.0 + 0.55 * math.sin(twopi * (hod - 0.33))
            self.t = now + r.expovariate(1.0) * base_gap / f
        buf.append("")
        out.write("\n".join(buf))
        return written, self.t - start


def parse_start(s):
    try:
        return calendar.timegm(time.strptime(s, "%Y-%m-%d %H:%M:%S"))
    except ValueError:
        raise SystemExit("genlog.py: --start must be \"YYYY-MM-DD HH:MM:SS\"")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", required=True, help="output file ('-' = stdout)")
    ap.add_argument("--start", default="2026-11-16 00:00:00",
                    help="time of the first line (default %(default)s)")
    ap.add_argument("--rate", type=float, default=6.0,
                    help="mean lines per second of log time "
                    "(default %(default)s: 2M lines ~ 4 days)")
    ap.add_argument("--incoming-interface", action="store_true",
                    help="add I=[ip]:port (log_selector +incoming_interface)")
    ap.add_argument("--only-rejections", action="store_true",
                    help="write only rejection/failure lines")
    a = ap.parse_args(argv)
    if a.lines < 0 or a.rate <= 0:
        ap.error("--lines must be >= 0 and --rate > 0")
    g = Gen(a.seed, parse_start(a.start), a.rate, a.only_rejections,
            a.incoming_interface)
    if a.out == "-":
        g.run(a.lines, sys.stdout)
        return 0
    tmp = a.out + ".tmp"
    try:
        with open(tmp, "w", encoding="ascii", newline="\n",
                  buffering=1 << 20) as f:
            g.run(a.lines, f)
        os.replace(tmp, a.out)
    except OSError as e:
        raise SystemExit("genlog.py: %s: %s" % (e.filename or a.out,
                                                e.strerror))
    return 0


if __name__ == "__main__":
    sys.exit(main())
