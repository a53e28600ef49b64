#!/bin/sh
# make fuzz: run each libFuzzer target for FUZZ_SECONDS (default 60) with a
# seed corpus made from the project's own fixtures and rule cases.
set -e
cd "$(dirname "$0")/../.."
S=${FUZZ_SECONDS:-60}
F=build/fuzz
mkdir -p "$F/corpus_line" "$F/corpus_rules" "$F/corpus_config" "$F/corpus_alert" \
    "$F/corpus_diagnose"
i=0
for f in tests/fixtures/*/mainlog; do
	while IFS= read -r l; do
		i=$((i + 1)); printf '%s' "$l" > "$F/corpus_line/fix$i"
	done < "$f"
done
grep -h '^line: ' tests/rules/*.cases | sed 's/^line: //' | while IFS= read -r l; do
	i=$((i + 1)); printf '%s' "$l" > "$F/corpus_line/case$(printf '%s' "$l" | cksum | cut -d' ' -f1)"
done
cp rules/*.yaml "$F/corpus_rules/"
# the alert path: the fixtures' lines in runs of 40, and raw events with
# NUL bytes and junk in their ip and account (see fuzz_alert.c)
for f in tests/fixtures/*/mainlog; do
	split -l 40 -a 4 "$f" "$F/corpus_alert/$(basename "$(dirname "$f")")-"
done
printf '\001\001\001\011192.0.2.1bob\000x@example.net\n\001\001\002\011192.0.2.1bob\000y@example.net\n' > "$F/corpus_alert/raw-nul"
printf '\001\001\001\222(x) [192.0.2.7]:25 (y)\033[31mroot\302\233\377\n' > "$F/corpus_alert/raw-host"
printf 'log: /var/log/exim_mainlog\ndb: /tmp/x.db\nrules:\n  dirs: [/tmp]\n  disable: [helo_rejected]\nretention: 90d\nflush_interval: 500ms\n' > "$F/corpus_config/basic.yaml"
# the diagnosis: records of counts, known clients and evidence (see
# fuzz_diagnose.c), one seed per family of judgments and hostile names
cp tests/fuzz/seeds/diagnose/* "$F/corpus_diagnose/"
for t in line alert rules config diagnose; do
	echo "== fuzz_$t for ${S}s"
	"$F/fuzz_$t" -max_total_time="$S" -max_len=70000 -timeout=10 \
	    -artifact_prefix="$F/crash_$t-" "$F/corpus_$t" 2>&1 | tail -n 3
done
