#!/usr/bin/python3
"""The synthetic history of the diagnose scenarios (EW_DIAG=1): a week of
Exim main-log lines before the run, for the mailboxes and the script the
scenarios use, so that `eximwatch diagnose` judges the run (the window)
against a known past.  Deterministic: a function of T0, the start of the
window (a minute); every line is at least 10 minutes before it.

    history.py T0 OUT         (local time, like Exim's log)

What it holds, a line per login (arrivals with A=) unless said:
  ed@delta.test       127.1.1.5   twice a day        (a known client)
  fiona@fjord.test    127.1.2.7   daily
  gus@garnet.test     127.1.3.9   daily
  ivy@ember.test      127.1.6.40  daily
  dora@cobalt.test    127.1.4.20  3 messages every hour (baseline 3)
  list@garnet.test    127.1.5.30  STEADY messages every hour (baseline STEADY)
  ember's site        cwd=/home/ember/public_html, U=nobody: 2 an hour
"""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world as W  # noqa: E402

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def main():
    t0, out = int(sys.argv[1]), sys.argv[2]
    lines = []
    seq = [0]

    def mid():
        seq[0] += 1
        n, s = seq[0], ""
        for _ in range(6):
            s = B62[n % 62] + s
            n //= 62
        return "1hIST0-%s-00" % s

    def at(t, text):
        lines.append((t, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))
                      + " " + text))

    def login(t, acct, ip, rcpt, subject="Re: hello"):
        at(t, '%s <= %s H=(%s-pc) [%s]:%d P=esmtpsa X=TLS1.3:TLS_AES_256_GCM_'
              'SHA384:256 CV=no A=dovecot_login:%s S=1200 T="%s" for %s'
           % (mid(), acct, acct.split("@")[0], ip, 40000 + seq[0] % 20000, acct,
              subject, rcpt))

    ip = W.DIAG_IP
    for h in range(7 * 24, 0, -1):
        t = t0 - h * 3600
        if h % 12 == 0:
            login(t + 60, "ed@delta.test", ip["stale"], "pal@partner.test")
        if h % 24 == 0:
            login(t + 120, "fiona@fjord.test", ip["tls"], "pal@partner.test")
            login(t + 180, "gus@garnet.test", ip["noauth"], "pal@partner.test")
            login(t + 240, "ivy@ember.test", ip["typo"], "bob@example.test")
        for i in range(3):
            login(t + 300 + i * 60, "dora@cobalt.test", ip["dora"],
                  "friend%d@partner.test" % i, "Minutes of the meeting")
        for i in range(W.STEADY):
            login(t + 400 + i * 20, "list@garnet.test", ip["steady"],
                  "member%d@remote.test" % i, "Garnet weekly news")
        for i in range(2):
            at(t + 1900 + i * 600, "cwd=/home/ember/public_html 3 args: "
               "/usr/sbin/sendmail -t -i -f%s" % W.SCRIPT["sender"])
            at(t + 1900 + i * 600, '%s <= %s U=nobody P=local S=800 T="New order" '
               'for shop@ember.test' % (mid(), W.SCRIPT["sender"]))
    lines.sort(key=lambda x: x[0])
    assert lines[-1][0] <= t0 - 600
    with open(out + ".tmp", "w") as f:
        f.write("".join(text + "\n" for _, text in lines))
    os.replace(out + ".tmp", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
