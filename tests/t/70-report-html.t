#!/bin/bash
# report --format html: one self-contained page, rendered by a real headless
# Chromium (Debian's chromium package): it shows the data, log text that
# holds markup (a set_id with <script>, a HELO with <img>) stays text, and
# the page references nothing outside itself.
. "$(dirname "$0")/../lib/tap.sh"

chromium=$(command -v chromium || true)
[ -n "$chromium" ] || skip_all "no chromium (tests/deps.sh installs Debian's chromium)"

# the last hour, local time, as Exim writes it
log=$TMP/mainlog
python3 - "$log" <<'PY'
import sys, time
now = time.time()
def at(min_ago, text):
    return time.strftime("%Y-%m-%d %H:%M:%S ", time.localtime(now - min_ago * 60)) + text
lines = []
for i in range(5):
    lines.append(at(50 - i, "dovecot_login authenticator failed for (WIN) [203.0.113.9]:%d: "
                 "535 Incorrect authentication data (set_id=<script>document.title='pwned'</script>)" % (50000 + i)))
for i in range(2):
    lines.append(at(40 - i, "dovecot_login authenticator failed for (<img src=http://evil.example/x.png>) "
                 "[203.0.113.9]:%d: 535 Incorrect authentication data (set_id=\"<b>&amp;'\"@x.example)" % (51000 + i)))
for i in range(3):
    lines.append(at(30 - i, "H=(bob-pc) [198.51.100.7]:%d F=<bob@example.com> rejected RCPT "
                 "<friend@example.net>: SMTP AUTH is required for message submission on port 587" % (49000 + i)))
for i in range(4):
    lines.append(at(20 - i, "1x5dJQ-0000000%dksM-1pMm <= shop@example.org H=(web) [192.0.2.60]:4000 "
                 "P=esmtpsa A=dovecot_login:shop@example.org S=1200 for c@example.net" % i))
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
printf 'example.com: bobuser\nx.example: xuser\n' > "$TMP/userdomains"

db=$TMP/ew.db
ok "scan the log" "$EW" scan -q --db "$db" "$log"
page=$TMP/report.html
ok "report --format html" sh -c "'$EW' report --db '$db' --since 2h --format html \
	--userdomains '$TMP/userdomains' > '$page'"
raw=$(cat "$page")
like "$raw" '^<!DOCTYPE html>' "the page starts with a doctype"
like "$raw" "http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\"" \
	"the page tells the browser to fetch nothing and run nothing"
nok "--by is refused with --format html" "$EW" report --db "$db" --format html --by ip

# what the page itself references: no script, no external resource
ok "the page holds no script, no external reference, only #anchors" python3 - "$page" <<'PY'
import sys
from html.parser import HTMLParser
bad = []
class P(HTMLParser):
    def handle_starttag(self, tag, attrs):
        if tag in ("script", "img", "iframe", "object", "embed", "link", "base", "form", "image", "use"):
            bad.append(tag)
        for k, v in attrs:
            if k.startswith("on") or k in ("src", "srcset", "action", "xlink:href", "formaction"):
                bad.append("%s %s=%s" % (tag, k, v))
            if k == "href" and not (v or "").startswith("#"):
                bad.append("%s href=%s" % (tag, v))
P().feed(open(sys.argv[1], encoding="utf-8").read())
if bad:
    print("\n".join(bad)); sys.exit(1)
PY

# a real browser: the DOM it built, and a screenshot
chrome() {
	"$chromium" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$TMP/chromium" "$@" 2>>"$TMP/chromium.err"
}
dom=$TMP/dom.html
dump() { chrome --dump-dom "file://$page" > "$dom"; }
ok "chromium --dump-dom renders the page" dump
ok "the DOM shows the data: classes, counts, IPs, accounts, owners" python3 - "$dom" <<'PY'
import sys, re
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.text = []; self.tags = {}; self.stack = []; self.cells = []; self.row = None
        self.sect = None; self.title = ""
    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.stack.append(tag)
        a = dict(attrs)
        if tag == "section": self.sect = a.get("id")
        if tag == "tr": self.row = []
        if tag == "td": self.row.append("")
    def handle_endtag(self, tag):
        if self.stack: self.stack.pop()
        if tag == "tr" and self.row: self.cells.append((self.sect, self.row)); self.row = None
    def handle_data(self, d):
        self.text.append(d)
        if self.stack and self.stack[-1] == "title": self.title += d
        if self.row is not None and self.row and "td" in self.stack: self.row[-1] += d
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
text = "".join(p.text)
err = []
def want(cond, msg):
    if not cond: err.append(msg)
want("auth_failed\u00a07" in text or re.search(r"auth_failed\s*7", text), "auth_failed 7")
want(re.search(r"submission_auth_required\s*3", text), "submission_auth_required 3")
want(re.search(r"msg_in_auth\s*4", text), "msg_in_auth 4")
want(p.tags.get("svg", 0) == 3, "one chart per class (3), got %d" % p.tags.get("svg", 0))
ips = [r for s, r in p.cells if s == "ips"]
want(ips and ips[0][1] == "203.0.113.9" and ips[0][2] == "7", "top IP row: %r" % (ips[:1],))
accts = {r[1]: r for s, r in p.cells if s == "accounts"}
want("<script>document.title='pwned'</script>" in accts, "the <script> set_id is an account, as text: %r" % list(accts))
want("\"<b>&amp;'\"@x.example" in accts and accts["\"<b>&amp;'\"@x.example"][2] == "xuser",
     "the account with quotes and an entity, with its owner")
owners = [r for s, r in p.cells if s == "owners"]
want(owners and owners[0][1] in ("xuser", "bobuser"), "top owners: %r" % owners)
want(p.tags.get("script", 0) == 0, "no script element in the DOM")
want(p.tags.get("img", 0) == 0, "no img element in the DOM")
want("pwned" not in p.title and p.title.startswith("eximwatch report"), "title untouched: %r" % p.title)
if err:
    print("\n".join(err)); sys.exit(1)
PY
dom_raw=$(cat "$dom")
like "$dom_raw" "&lt;script&gt;document.title='pwned'&lt;/script&gt;" \
	"the set_id's <script> is escaped text in the browser's DOM"
unlike "$dom_raw" '<script' "no <script element anywhere in the DOM"

png=$TMP/report.png
ok "chromium --screenshot" chrome --window-size=1000,1800 --screenshot="$png" "file://$page"
ok "the screenshot is a 1000x1800 PNG with the charts' bars drawn" python3 - "$png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, hdr = 8, b"", None
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR": hdr = struct.unpack(">IIBBBBB", body)
    if kind == b"IDAT": idat += body
    pos += 12 + n
w, h, depth, ctype = hdr[:4]
assert (w, h) == (1000, 1800), (w, h)
assert depth == 8 and ctype in (2, 6), (depth, ctype)
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
bar = 0
i = 0
for y in range(h):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        r, g, bl = line[x], line[x + 1], line[x + 2]
        # the bars' colour (#3d6fb6 light, #6b9de0 dark)
        if (abs(r - 0x3d) < 12 and abs(g - 0x6f) < 12 and abs(bl - 0xb6) < 12) or \
           (abs(r - 0x6b) < 12 and abs(g - 0x9d) < 12 and abs(bl - 0xe0) < 12):
            bar += 1
    prev = line
assert bar > 500, "only %d bar pixels" % bar
print("bar pixels: %d" % bar)
PY
done_testing
