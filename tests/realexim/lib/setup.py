#!/usr/bin/python3
"""Write the state dir's etc/ files and exim.conf (called by start.sh).

usage: setup.py SRC_DIR   (knobs from EW_LOGSEL / EW_IPV6 / EW_RELAYLOG,
state dir from EW_EXIM_DIR; both already validated by start.sh)
"""
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world as W  # noqa: E402

SELECTORS = {
    "cpanel": "+incoming_port +smtp_connection +all_parents +retry_defer "
              "+subject +arguments +received_recipients",
    "all": "+all",
}


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def main():
    src = sys.argv[1]
    st = W.STATE
    knobs = {"logsel": os.environ.get("EW_LOGSEL", "cpanel"),
             "ipv6": os.environ.get("EW_IPV6", "0") == "1",
             "relaylog": os.environ.get("EW_RELAYLOG", "cpanel"),
             "diag": os.environ.get("EW_DIAG", "0") == "1"}
    knobs["log_selector"] = SELECTORS[knobs["logsel"]]
    etc = os.path.join(st, "etc")

    logins = {u: W.password(u) for u, _ in W.CPANEL}
    logins.update({a: W.password(a) for a in W.MAILBOXES})
    write(os.path.join(etc, "passwd"),
          "".join("%s: %s\n" % kv for kv in sorted(logins.items())), 0o640)
    write(os.path.join(etc, "localdomains"),
          "".join("%s\n" % d for _, d in W.CPANEL if d not in W.NOT_LOCAL))
    write(os.path.join(etc, "mailboxes"), "".join(
        "%s: %s/mail/%s/%s\n" % (a, u, a.split("@")[1], a.split("@")[0])
        for a, u in sorted(W.MAILBOXES.items())))
    write(os.path.join(st, "userdomains"),
          "".join("%s: %s\n" % (d, u) for u, d in W.CPANEL))
    write(os.path.join(etc, "resolv.conf"),
          "nameserver %s\noptions attempts:2 timeout:1\n" % W.DNS_IP)

    listen = W.EXIM4 + (" ; " + W.EXIM6 if knobs["ipv6"] else "")
    relay_log = ""
    if knobs["relaylog"] == "modern":
        relay_log = ("    log_message = Rejected relay attempt: "
                     "'$sender_host_address' From: '$sender_address' "
                     "To: '$local_part@$domain'")
    with open(os.path.join(src, "exim.conf.in")) as f:
        conf = f.read()
    for k, v in {"STATE": st, "LOGSEL": knobs["log_selector"],
                 "LISTEN": listen, "SMTP_PORT": str(W.PORT_SMTP),
                 "SUB_PORT": str(W.PORT_SUB), "MX_PORT": str(W.MX_PORT),
                 "BL_ZONE": W.BL_ZONE, "RELAY_LOG_MESSAGE": relay_log}.items():
        conf = conf.replace("@%s@" % k, v)
    if "@" + "STATE" in conf:
        sys.exit("setup.py: unreplaced placeholder in exim.conf.in")
    write(os.path.join(st, "exim.conf"), conf)
    write(os.path.join(st, "knobs.json"), json.dumps(knobs, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
