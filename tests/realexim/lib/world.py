"""The fixed test world of eximwatch's real-Exim harness.

Shared by setup.py (writes the state's etc/ files), fakedns.py, fakemx.py,
drive.py.  Everything here is test data: loopback addresses, *.test names,
throw-away passwords.
"""
import json
import os

STATE = os.environ.get("EW_EXIM_DIR", "/tmp/ew-realexim")

EXIM4 = "127.0.0.1"           # Exim listens here (and on ::1 with EW_IPV6=1)
EXIM6 = "::1"
PORT_SMTP = 2525              # stands in for 25
PORT_SUB = 2587               # stands in for 587
DNS_IP = "127.0.0.53"         # fake resolver, only reachable inside the netns
MX_PORT = 2526
MX = {                        # remote domain -> (MX name, address of the fake MX)
    "remote.test": ("mx.remote.test", "127.0.0.201"),
    "partner.test": ("mx.partner.test", "127.0.0.202"),
    # moved to another server, whose MX still answers for it: it refuses
    # our mail as relaying (stale MX after a migration)
    "migrated.test": ("mx.migrated.test", "127.0.0.203"),
}
BL_ZONE = "bl.test"

# cPanel users and their (main) domain.  userdomains maps domain -> user.
CPANEL = [("acme", "example.test"), ("bravo", "bravo.test"),
          ("cobalt", "cobalt.test"), ("delta", "delta.test"),
          ("ember", "ember.test"), ("fjord", "fjord.test"),
          ("garnet", "garnet.test"), ("harbor", "harbor.test")]
DOMAIN = dict(CPANEL)
# mailboxes: address -> owning cPanel user
MAILBOXES = {
    "alice@example.test": "acme", "bob@example.test": "acme",
    "carol@bravo.test": "bravo", "bulk@bravo.test": "bravo",
    "dora@cobalt.test": "cobalt", "ed@delta.test": "delta",
    "list@garnet.test": "garnet", "ivy@ember.test": "ember",
}
# hosted here (userdomains) but missing from localdomains: Exim takes its
# incoming mail for relaying
NOT_LOCAL = {"harbor.test"}


# EW_DIAG=1: the diagnose scenarios (lib/drive.py, lib/history.py).  Each
# mailbox has a synthetic history before the run (history.log) and does one
# thing in the run; the window diagnosed is the run.
DIAG_IP = {
    "stale": "127.1.1.5",      # ed@delta.test's laptop, old password saved
    "attacker": "127.3.0.66",  # guesses ed@delta.test's password
    "tls": "127.1.2.7",        # fiona@fjord.test's phone: 587 without TLS/AUTH
    "noauth": "127.1.3.9",     # gus@garnet.test's PC: no SMTP AUTH set
    "dora": "127.1.4.20",      # dora@cobalt.test's usual network
    "steady": "127.1.5.30",    # list@garnet.test: 40 an hour, every hour
    "typo": "127.1.6.40",      # ivy@ember.test: one wrong password
    "inbound": "127.1.7.25",   # a partner's MX sending to harbor.test
    "carol": "127.1.8.3",      # carol@bravo.test, writing to migrated.test
}
DORA_NETS = ["127.2.%d.10" % i for i in range(1, 7)]   # 6 new networks
DORA_PER_NET = 5
STEADY = 40                    # list@garnet.test's messages an hour
SCRIPT = {"user": "ember", "sender": "wordpress@ember.test", "n": 40,
          "dir": "/home/ember/public_html/wp-content/plugins/contact-form"}
# the harness keeps its volumes small: diagnose runs with this volume_min
# (every other threshold is the default)
DIAG_VOLUME_MIN = 30


def password(login):
    return "pw-%s-x9" % login.split("@")[0]


# Client addresses (source addresses on lo inside the netns), one per role.
IP = {
    "submit": "127.0.0.2", "swaks_ok": "127.0.0.3", "syslogin": "127.0.0.4",
    "bulk": "127.0.0.5", "mixed": "127.0.0.6",
    "brute": "127.0.0.10", "scanner": "127.0.0.11", "badpw_literal": "127.0.0.12",
    "noauth": "127.0.0.20", "relay": "127.0.0.21", "forged": "127.0.0.22",
    "unknown": "127.0.0.23", "svf": "127.0.0.24", "partner": "127.0.0.25",
    "early": "127.0.0.26", "hostile": "127.0.0.27",
    "flood": "127.0.0.30", "hold1": "127.0.0.31", "hold2": "127.0.0.32",
    "hold3": "127.0.0.33", "greedy": "127.0.0.34",
    "listed1": "127.0.0.40", "listed2": "127.0.0.41",
}
IP6 = {
    "v6_submit": "fd00::10", "v6_brute": "fd00::11", "v6_relay": "fd00::12",
    "v6_listed": "fd00::13", "v6_greedy": "fd00::14", "v6_early": "fd00::15",
    "v6_noauth": "fd00::16", "v6_partner": "fd00::17", "v6_unknown": "::1",
}
# forward-confirmed reverse names
PTR = {
    "127.0.0.2": "cpe-2.dsl.isp.test", "127.0.0.5": "vps-5.hoster.test",
    "127.0.0.25": "out.partner.test", "fd00::10": "v6-10.fiber.isp.test",
}
# The fake DNS answers the PTR queries for these clients 0.3 s late, so their
# "EHLO before the banner" has surely arrived when Exim checks for early input
# (Exim looks the client's name up first, then checks, then sends the banner).
SLOW_PTR = {"127.0.0.26", "fd00::15"}
DNSBL = {   # listed address -> TXT
    "127.0.0.40": "https://bl.test/q?127.0.0.40",
    "127.0.0.41": "listed for spam trap hits",
    "fd00::13": "https://bl.test/q?fd00::13",
}


def rev_name(ip, zone=None):
    import ipaddress
    a = ipaddress.ip_address(ip)
    if a.version == 4:
        name = ".".join(reversed(ip.split(".")))
        return name + "." + (zone or "in-addr.arpa")
    nib = ".".join(reversed(a.exploded.replace(":", "")))
    return nib + "." + (zone or "ip6.arpa")


def load_knobs():
    with open(os.path.join(STATE, "knobs.json")) as f:
        return json.load(f)
