#!/bin/bash
# The man pages: mandoc -T lint finds nothing (warnings and worse; the
# "style" level also reports manuals not installed on this machine, which
# says nothing about ours), eximwatch.8's SYNOPSIS has every subcommand of
# `eximwatch --help` and every option of each subcommand's usage, and
# eximwatch.yaml.5 documents every configuration key the loaders accept.
. "$(dirname "$0")/../lib/tap.sh"

command -v mandoc >/dev/null || skip_all "no mandoc (apt-get install mandoc)"
command -v python3 >/dev/null || skip_all "no python3"
m8=$ROOT/docs/eximwatch.8
m5=$ROOT/docs/eximwatch.yaml.5
for m in "$m8" "$m5"; do
	out=$(mandoc -T lint -W warning "$m" 2>&1); rc=$?
	is "$rc:$out" "0:" "mandoc -T lint: $(basename "$m") is clean"
done
ok "eximwatch.8 renders" sh -c "mandoc -T ascii '$m8' > '$TMP/eximwatch.8.txt'"
ok "eximwatch.yaml.5 renders" sh -c "mandoc -T ascii '$m5' > '$TMP/eximwatch.yaml.5.txt'"

# the usage of every command, from the binary itself
"$EW" --help > "$TMP/help" 2>&1
cmds=$(sed -n 's/^  eximwatch \([a-z][a-z-]*\).*/\1/p' "$TMP/help" | sort -u)
ok "eximwatch --help lists commands" test -n "$cmds"
for c in $cmds; do
	"$EW" "$c" --help > "$TMP/help.$c" 2>&1
	out=$(python3 - "$TMP/eximwatch.8.txt" "$c" "$TMP/help" "$TMP/help.$c" <<'PY'
import re, sys
page, cmd, helpall, helpcmd = sys.argv[1:]
text = re.sub(r'.\x08', '', open(page).read())
syn = text.split('SYNOPSIS', 1)[1].split('DESCRIPTION', 1)[0]
# the synopsis entries: each starts with "eximwatch" at the left margin
entries = re.split(r'\n\s{5}(?=eximwatch )', '\n' + syn)
mine = ' '.join(' '.join(e.split()) for e in entries if e.split()[1:2] == [cmd])
if not mine:
    print("no SYNOPSIS entry for 'eximwatch %s'" % cmd)
    sys.exit(1)
# the options of the command: from `eximwatch --help` and `eximwatch CMD --help`
usage = ''
for line in open(helpall).read().split('\n'):
    pass
allhelp = open(helpall).read()
blocks = re.split(r'\n  eximwatch ', allhelp)
usage = ' '.join(b for b in blocks if b.split()[:1] == [cmd])
h = open(helpcmd).read()
usage += ' ' + ' '.join(l for l in h.split('\n') if 'usage' in l or l.startswith('       eximwatch') or re.match(r'^\s+-', l))
opts = set(re.findall(r'(?<![\w-])(--[a-z][a-z-]*|-[a-zA-Z])(?![\w-])', usage))
opts.discard('-h'); opts.discard('--help')
missing = sorted(o for o in opts if o not in mine.split() and
                 not re.search(r'(?<![\w-])' + re.escape(o) + r'(?![\w-])', mine))
if missing:
    print("'eximwatch %s': not in the SYNOPSIS: %s" % (cmd, ' '.join(missing)))
    sys.exit(1)
PY
	); rc=$?
	is "$rc:$out" "0:" "eximwatch.8 SYNOPSIS: 'eximwatch $c' and all its options"
	like "$(cat "$TMP/eximwatch.8.txt" | sed 's/.\x08//g')" "^     $c( |$)" \
		"eximwatch.8 DESCRIPTION: '$c' is described"
done

# every configuration key the loaders accept is documented; the keys are
# taken from the loaders' own "unknown ..." messages
keys() { # yaml... -> the list in "(expected a, b, c)" of the first error
	printf '%s\n' "$1" > "$TMP/keys.yaml"
	"$EW" check-config --config "$TMP/keys.yaml" 2>&1 | python3 -c '
import re, sys
m = re.search(r"\(expected ((?:[^()]|\([^()]*\))*)\)", sys.stdin.read())
print(" ".join(k.strip() for k in re.sub(r" \([^()]*\)", "", m.group(1)).split(",")) if m else "")'
}
top=$(keys 'no_such_key: 1')
ok "check-config lists the top-level keys" test -n "$top"
sec_threshold=$(keys $'thresholds:\n  - id: x\n    no_such_key: 1')
sec_sink=$(keys $'sinks:\n  s: {type: webhook, url: "http://127.0.0.1/", no_such_key: 1}')
sec_rules=$(keys $'rules:\n  no_such_key: 1')
sec_diag=$(keys $'diagnose:\n  no_such_key: 1')
page5=$(sed 's/.\x08//g' "$TMP/eximwatch.yaml.5.txt")
for k in $top metrics.textfile_dir alerts.host alerts.top alerts.max_groups; do
	like "$page5" "^ +${k##*.}:" "eximwatch.yaml.5 documents '$k'"
done
for k in $sec_rules; do like "$page5" "^ +$k:" "eximwatch.yaml.5 documents 'rules.$k'"; done
for k in $sec_threshold; do like "$page5" "^ +$k:" "eximwatch.yaml.5 documents threshold key '$k'"; done
for k in $sec_sink; do like "$page5" "^ +$k:" "eximwatch.yaml.5 documents sink key '$k'"; done
ok "check-config lists the diagnose: keys" test -n "$sec_diag"
for k in $sec_diag; do like "$page5" "^ +$k:" "eximwatch.yaml.5 documents 'diagnose.$k'"; done
done_testing
