#!/bin/bash
# The WHM plugin (packaging/cpanel/whm): its CGI run the way cpsrvd runs a
# WHM CGI (a CGI/1.1 environment, REMOTE_USER the WHM login) against a real
# database — a valid page with safe headers for a good request, 400/403/405
# and no page for anything else, never a shell — and its AppConfig file
# checked against the keys cPanel documents for WHM plugins.
. "$(dirname "$0")/../lib/tap.sh"

command -v perl >/dev/null || skip_all "no perl"
whm=$ROOT/packaging/cpanel/whm
# the CGI as make install writes it, with this tree's binary
cgi=$TMP/index.cgi
sed "s|@SBINDIR@|$ROOT|g" "$whm/index.cgi" > "$cgi"
chmod 700 "$cgi"

log=$TMP/mainlog
python3 - "$log" <<'PY'
import sys, time
now = time.time()
def at(min_ago, text):
    return time.strftime("%Y-%m-%d %H:%M:%S ", time.localtime(now - min_ago * 60)) + text
lines = [at(50 - i, "dovecot_login authenticator failed for (WIN) [203.0.113.9]:%d: "
               "535 Incorrect authentication data (set_id=<script>document.title=1</script>)" % (50000 + i))
         for i in range(6)]
lines += [at(3 * 24 * 60, "H=(bob-pc) [198.51.100.7]:49000 F=<bob@example.com> rejected RCPT "
                          "<friend@example.net>: SMTP AUTH is required for message submission on port 587")]
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
db=$TMP/ew.db
ok "scan a log into a real database" "$EW" scan -q --db "$db" "$log"

# run_cgi METHOD QUERY USER: the CGI's whole answer in $TMP/resp, headers
# in $TMP/head, body in $TMP/body
run_cgi() {
	env -i PATH=/usr/bin:/bin GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 \
		REQUEST_METHOD="$1" QUERY_STRING="$2" REMOTE_USER="$3" \
		SCRIPT_NAME=/cpsess0123456789/cgi/eximwatch/index.cgi \
		EXIMWATCH_DB="${CGI_DB:-$db}" TZ="${TZ:-}" \
		perl -T "$cgi" > "$TMP/resp" 2> "$TMP/cgi.err"
	python3 - "$TMP/resp" "$TMP/head" "$TMP/body" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
head, sep, body = data.partition(b"\r\n\r\n")
open(sys.argv[2], "wb").write(head.replace(b"\r\n", b"\n") + b"\n")
open(sys.argv[3], "wb").write(body)
PY
}
header() { grep -i "^$1:" "$TMP/head" | head -1 | cut -d: -f2- | sed 's/^ //'; }

run_cgi GET "window=7d" root
is "$(header Status)" "200 OK" "window=7d as root: 200"
is "$(header Content-Type)" "text/html; charset=utf-8" "Content-Type: text/html; charset=utf-8"
like "$(header Content-Security-Policy)" "^default-src 'none'; style-src 'unsafe-inline'; img-src data:;" \
	"a Content-Security-Policy that allows no fetch and no script"
is "$(header X-Content-Type-Options)" "nosniff" "X-Content-Type-Options: nosniff"
is "$(header Cache-Control)" "no-store" "Cache-Control: no-store"
is "$(header Content-Length)" "$(stat -c %s "$TMP/body")" "Content-Length is the body's"
body=$(cat "$TMP/body")
like "$body" '^<!DOCTYPE html>' "the body is the HTML report"
like "$body" '<nav id="windows"[^>]*>Window: <a href="\?window=1h">1h</a> <a href="\?window=6h">6h</a> <a href="\?window=24h">24h</a> <b>7d</b>' \
	"the window chooser, 7d current"
like "$body" 'submission_auth_required</span><span class="n">1<' "7d holds the 3-day-old event"
like "$body" 'auth_failed</span><span class="n">6<' "and the recent ones"
like "$body" '&lt;script&gt;document.title=1&lt;/script&gt;' "the hostile set_id is escaped"
unlike "$body" '<script' "no script in the page"
is "$(cat "$TMP/cgi.err")" "" "nothing on standard error"

run_cgi GET "" root
is "$(header Status)" "200 OK" "no query: 200"
like "$(cat "$TMP/body")" '<b>24h</b>' "no query: the last 24 hours"
unlike "$(cat "$TMP/body")" 'submission_auth_required' "24h leaves the old event out"

run_cgi HEAD "window=1h" root
is "$(header Status)" "200 OK" "HEAD: 200"
is "$(stat -c %s "$TMP/body")" 0 "HEAD: no body"

# bad requests: refused before anything runs, the input not echoed
for q in 'window=2d' 'window=24h&window=7d' 'window=24h&x=1' 'foo=24h' 'window' \
	'window=%32%34h' 'window=24h;touch%20pwned' 'window=$(touch pwned)' \
	"window=24h\`touch pwned\`" 'window=24h%0aContent-Type:%20text/plain' \
	"window=$(printf '1%.0s' $(seq 70))h"; do
	run_cgi GET "$q" root
	is "$(header Status)" "400 Bad Request" "400 for ?$q"
	is "$(header Content-Type)" "text/plain; charset=utf-8" "  text/plain"
	like "$(header Content-Security-Policy)" "default-src 'none'" "  with the CSP"
	unlike "$(cat "$TMP/body")" 'pwned|<|Content-Type' "  the request is not echoed"
done
ok "no query ever reached a shell (no file 'pwned')" test ! -e pwned -a ! -e "$TMP/pwned"

for u in "" reseller "root " admin; do
	run_cgi GET "window=24h" "$u"
	is "$(header Status)" "403 Forbidden" "403 for REMOTE_USER='$u'"
	unlike "$(cat "$TMP/body")" 'DOCTYPE' "  no report"
done
for m in POST PUT DELETE OPTIONS ""; do
	run_cgi "$m" "window=24h" root
	is "$(header Status)" "405 Method Not Allowed" "405 for method '$m'"
	is "$(header Allow)" "GET, HEAD" "  Allow: GET, HEAD"
done

CGI_DB=$TMP/missing.db run_cgi GET "window=24h" root
is "$(header Status)" "503 Service Unavailable" "no database yet: 503"
like "$(cat "$TMP/body")" 'no database at' "  and eximwatch's message, as text"

# the AppConfig file: the keys cPanel documents for WHM plugins
# (api.docs.cpanel.net, "Guide to WHM Plugins - AppConfig Configuration File")
ok "AppConfig: documented keys only, the required ones set, values that fit the install" \
	python3 - "$whm/eximwatch.conf" "$ROOT/Makefile" "$whm/register" <<'PY'
import re, sys
conf, makefile, register = (open(p).read() for p in sys.argv[1:4])
kv, err = {}, []
for n, line in enumerate(conf.splitlines(), 1):
    if not line.strip() or line.lstrip().startswith("#"):
        continue
    m = re.fullmatch(r"([a-z_]+[0-9]*)=(\S.*)", line)
    if not m:
        err.append("line %d is not key=value: %r" % (n, line)); continue
    if m.group(1) in kv:
        err.append("key %s twice" % m.group(1))
    kv[m.group(1)] = m.group(2)
known = {"name", "service", "user", "url", "acls", "entryurl", "displayname",
         "icon", "target", "upgradecall", "phpConfig"}
for k in kv:
    if k not in known and not re.fullmatch(r"url[0-9]+", k):
        err.append("unknown key %s" % k)
for k in ("name", "service", "url", "acls", "displayname", "entryurl", "icon"):
    if k not in kv:
        err.append("missing %s" % k)
if kv.get("service") != "whostmgr": err.append("service must be whostmgr")
if kv.get("user", "root") != "root": err.append("user: root")
if not kv.get("url", "").startswith("/"): err.append("url must start with /")
if kv.get("acls") != "all": err.append("acls: all (root-level)")
if kv.get("target", "_self") not in ("_self", "_blank", "_top", "_parent"): err.append("target")
# the CGI lives at docroot/cgi/eximwatch/index.cgi: url is its directory,
# entryurl the page relative to docroot/cgi/
if kv.get("url") != "/cgi/eximwatch/": err.append("url %r" % kv.get("url"))
if kv.get("entryurl") != "eximwatch/index.cgi": err.append("entryurl %r" % kv.get("entryurl"))
if '"$docroot/cgi/eximwatch/index.cgi"' not in register: err.append("register installs the CGI elsewhere")
if '"$docroot/addon_plugins/%s"' % kv.get("icon") not in register: err.append("register installs the icon elsewhere")
if not re.fullmatch(r"[a-z0-9]+", kv.get("name", "")): err.append("name: one word")
if "packaging/cpanel/whm/eximwatch.conf" not in makefile: err.append("make install does not ship it")
if err:
    print("\n".join(err)); sys.exit(1)
PY
ok "the icon is a 48x48 PNG" python3 - "$whm/eximwatch.png" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n" and d[12:16] == b"IHDR"
assert struct.unpack(">II", d[16:24]) == (48, 48)
PY
nok "the register script refuses to run without cPanel" sh "$whm/register"
like "$(sh "$whm/register" 2>&1)" "no cPanel here" "  and says why"
done_testing
