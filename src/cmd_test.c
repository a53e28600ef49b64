/* cmd_test: `eximwatch test FILE...` — the rule tester (like fail2ban-regex).
 *
 * Runs the rules over log files without touching any database and prints,
 * per class, how many lines matched, plus the lines that read like a
 * rejection or failure but matched no rule, so admins see the gaps. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cmds.h"
#include "diag.h"
#include "input.h"
#include "json.h"
#include "linesplit.h"
#include "log.h"
#include "pipeline.h"
#include "rules.h"
#include "sbuf.h"
#include "suggest.h"
#include "term.h"
#include "xmalloc.h"

#define MAX_LINE (64u << 10)

struct tester {
	const struct rules *rules;
	uint64_t *per_class;
	char **samples;
	size_t nsamples, max_samples;
	uint64_t misses;
	int *show;               /* per class: print matched lines */
	int json;
};

/* put_text: log text is attacker-controlled: no control, C1 or invalid
 * bytes to the terminal (term.h), written as \xNN */
static void put_text(FILE *fp, const char *s, size_t n)
{
	struct sbuf b;

	sbuf_init(&b);
	term_escape(&b, s, n, 0);
	fwrite(b.s, 1, b.len, fp);
	sbuf_release(&b);
}

static void on_event(void *arg, const struct event *cev,
    const struct eximlog_line *ln, const char *line, size_t len)
{
	struct tester *t = arg;
	const struct event *ev;
	struct event full;
	int f;

	t->per_class[cev->cls]++;
	if (!t->show[cev->cls])
		return;
	full = *cev;
	rules_event_fields(t->rules, ln, &full);
	ev = &full;
	if (t->json) {
		struct sbuf b;

		sbuf_init(&b);
		sbuf_adds(&b, "{\"class\":");
		json_cstr(&b, rules_class_name(t->rules, (size_t)ev->cls));
		sbuf_adds(&b, ",\"line\":");
		json_str(&b, line, len);
		for (f = 0; f < FIELD_N; f++) {
			if (!span_ok(ev->f[f]) || f == FIELD_HOST)
				continue;
			sbuf_addf(&b, ",\"%s\":", field_name(f));
			json_str(&b, ev->f[f].p, ev->f[f].len);
		}
		if (span_ok(ev->account)) {
			sbuf_adds(&b, ",\"account\":");
			json_str(&b, ev->account.p, ev->account.len);
		}
		if (ev->ambiguous_host)
			sbuf_adds(&b, ",\"ambiguous_host\":true");
		sbuf_adds(&b, "}\n");
		fputs(b.s, stdout);
		sbuf_release(&b);
		return;
	}
	printf("%s: ", rules_class_name(t->rules, (size_t)ev->cls));
	put_text(stdout, line, len);
	putchar('\n');
	for (f = 0; f < FIELD_N; f++) {
		if (!span_ok(ev->f[f]) || f == FIELD_HOST || f == FIELD_ACCOUNT)
			continue;
		printf("    %-10s ", field_name(f));
		put_text(stdout, ev->f[f].p, ev->f[f].len);
		putchar('\n');
	}
	if (span_ok(ev->account)) {
		printf("    %-10s ", "account");
		put_text(stdout, ev->account.p, ev->account.len);
		putchar('\n');
	}
	if (ev->ambiguous_host)
		printf("    %-10s two different client addresses in the host text: "
		    "no IP recorded\n", "warning");
}

static void on_miss(void *arg, const char *line, size_t len)
{
	struct tester *t = arg;

	t->misses++;
	if (t->nsamples < t->max_samples)
		t->samples[t->nsamples++] = xstrndup(line, len > 2000 ? 2000 : len);
}

static int run_file(struct pipeline *p, const char *path)
{
	struct diag d;
	struct input *in;
	struct linesplit *ls;
	struct pipeline_stats before;
	const char *line;
	char *buf;
	size_t len, avail;
	ssize_t r;
	int over, rc = 0;

	diag_init(&d);
	if ((in = input_open(path, &d, NULL)) == NULL) {
		diag_print(&d, stderr);
		diag_release(&d);
		return EX_NOINPUT;
	}
	ls = linesplit_new(MAX_LINE);
	before = *pipeline_stats(p);
	pipeline_file_start(p);
	for (;;) {
		buf = linesplit_space(ls, &avail);
		r = input_read(in, buf, avail, &d);
		if (r < 0) {
			diag_print(&d, stderr);
			rc = EX_IOERR;
			break;
		}
		if (r == 0)
			break;
		linesplit_commit(ls, (size_t)r);
		while (linesplit_next(ls, &line, &len, &over))
			pipeline_line(p, line, len, over);
	}
	if (rc == 0 && linesplit_flush_partial(ls, &line, &len, &over))
		pipeline_line(p, line, len, over);
	if (rc == 0 && pipeline_stats(p)->lines > before.lines &&
	    pipeline_stats(p)->exim == before.exim) {
		log_warnx("%s: no line looked like an Exim main log line (is it "
		    "one? Exim's is /var/log/exim_mainlog on cPanel, "
		    "/var/log/exim4/mainlog on Debian)", path);
		rc = EX_DATAERR;
	}
	linesplit_free(ls);
	input_close(in);
	diag_release(&d);
	return rc;
}

static const char usage_line[] =
    "usage: eximwatch test [--rules DIR] [--no-builtin] [--disable ID] "
    "[--show CLASS] [--samples N] [--format text|json] FILE...";

static void help(void)
{
	printf("%s\n\n"
	    "Run the rules over log files, without a database (like\n"
	    "fail2ban-regex): how many lines each class matched, and the lines\n"
	    "that read like a rejection or failure but matched no rule.\n\n"
	    "  --rules DIR         more rule files (repeatable)\n"
	    "  --no-builtin        without the shipped rules\n"
	    "  --disable ID        turn a rule off (repeatable)\n"
	    "  --show CLASS        print each line of CLASS with its fields\n"
	    "                      (repeatable; all for every class)\n"
	    "  --samples N         unmatched lines to print (default 20)\n"
	    "  --format FMT        text (default) or json\n"
	    "  -h, --help          this help\n\n"
	    "Control characters and bytes that are not UTF-8 are shown as \\xNN.\n"
	    "Exit status: 0 ok; 65 a file had no line that looks like Exim's main\n"
	    "log; 66 a file is missing or unreadable; 78 a rule error; 64 usage.\n",
	    usage_line);
}

/* usage_error: the problem and the usage line; EX_USAGE */
static int usage_error(const char *what, const char *got)
{
	fprintf(stderr, "eximwatch test: %s '%s'\n%s\n", what, got, usage_line);
	return EX_USAGE;
}

int cmd_test(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "no-builtin", no_argument, NULL, 'B' },
		{ "disable", required_argument, NULL, 'x' },
		{ "show", required_argument, NULL, 's' },
		{ "samples", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char **dirs = xcalloc((size_t)argc + 1, sizeof *dirs);
	const char **disable = xcalloc((size_t)argc + 1, sizeof *disable);
	const char **show = xcalloc((size_t)argc + 1, sizeof *show);
	size_t ndirs = 0, ndis = 0, nshow = 0, i, nc;
	struct rules_source src;
	struct rules *rules = NULL;
	struct pipeline *p = NULL;
	struct tester t;
	struct diag d;
	int c, rc = 0, r;

	memset(&t, 0, sizeof t);
	memset(&src, 0, sizeof src);
	t.max_samples = 20;
	diag_init(&d);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":r:s:n:f:h", opts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'r': dirs[ndirs++] = optarg; break;
		case 'B': src.no_builtin = 1; break;
		case 'x': disable[ndis++] = optarg; break;
		case 's': show[nshow++] = optarg; break;
		case 'n':
			t.max_samples = (size_t)strtoul(optarg, &end, 10);
			if (end == optarg || *end || optarg[0] == '-' ||
			    t.max_samples > 1000000) {
				rc = usage_error("bad --samples (want a number)",
				    optarg);
				goto out;
			}
			break;
		case 'f':
			if (strcmp(optarg, "json") == 0)
				t.json = 1;
			else if (strcmp(optarg, "text") != 0) {
				rc = usage_error("unknown --format (text, json)",
				    optarg);
				goto out;
			}
			break;
		case 'h':
			help();
			goto out;
		case ':':
			rc = usage_error("a value is missing after",
			    argv[optind - 1]);
			goto out;
		default:
			rc = usage_error("unknown option", argv[optind - 1]);
			goto out;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "eximwatch test: name the log files to test\n%s\n",
		    usage_line);
		rc = EX_USAGE;
		goto out;
	}
	src.dirs = dirs;
	src.disable = disable;
	if ((rules = rules_load(&src, &d)) == NULL) {
		diag_print(&d, stderr);
		rc = EX_CONFIG;
		goto out;
	}
	nc = rules_nclasses(rules);
	t.rules = rules;
	t.per_class = xcalloc(nc, sizeof *t.per_class);
	t.show = xcalloc(nc, sizeof *t.show);
	t.samples = xcalloc(t.max_samples + 1, sizeof *t.samples);
	for (i = 0; i < nshow; i++) {
		int k = rules_find(rules, show[i]);

		if (k < 0 && strcmp(show[i], "all") != 0) {
			const char *m = suggest(show[i], rules_class_names(rules),
			    (long)nc);

			fprintf(stderr, "eximwatch test: --show %s: no such class%s%s%s"
			    "\n", show[i], m ? ": did you mean " : "", m ? m : "",
			    m ? "?" : "");
			rc = EX_USAGE;
			goto out;
		}
		if (k >= 0)
			t.show[k] = 1;
		else
			for (k = 0; (size_t)k < nc; k++)
				t.show[k] = 1;
	}
	p = pipeline_new(rules, NULL);
	pipeline_on_event(p, on_event, &t);
	pipeline_on_miss(p, on_miss, &t);
	for (i = (size_t)optind; i < (size_t)argc; i++)
		if ((r = run_file(p, argv[i])) != 0)
			rc = r;
	if (t.json) {
		struct sbuf b;

		sbuf_init(&b);
		sbuf_addf(&b, "{\"lines\": %" PRIu64 ", \"matched\": {",
		    pipeline_stats(p)->lines);
		for (i = 0, r = 0; i < nc; i++) {
			if (!t.per_class[i])
				continue;
			sbuf_adds(&b, r++ ? ", " : "");
			json_cstr(&b, rules_class_name(rules, i));
			sbuf_addf(&b, ": %" PRIu64, t.per_class[i]);
		}
		sbuf_addf(&b, "}, \"repeats\": %" PRIu64
		    ", \"unmatched_candidates\": %" PRIu64
		    ", \"unmatched_samples\": [", pipeline_stats(p)->repeats,
		    t.misses);
		for (i = 0; i < t.nsamples; i++) {
			sbuf_adds(&b, i ? ", " : "");
			json_cstr(&b, t.samples[i]);
		}
		sbuf_adds(&b, "]}\n");
		fputs(b.s, stdout);
		sbuf_release(&b);
	} else {
		const struct pipeline_stats *st = pipeline_stats(p);

		printf("%" PRIu64 " lines, %" PRIu64 " matched a rule\n\n", st->lines,
		    st->matched);
		printf("%-28s %10s\n", "class", "lines");
		for (i = 0; i < nc; i++)
			if (t.per_class[i])
				printf("%-28s %10" PRIu64 "\n", rules_class_name(rules, i),
				    t.per_class[i]);
		if (st->repeats)
			printf("\n%" PRIu64 " more line(s) of messages already counted "
			    "(classes counted once per message) not counted\n",
			    st->repeats);
		printf("\n%" PRIu64 " line(s) look like a rejection or failure but "
		    "matched no rule%s\n", t.misses, t.nsamples ? ":" : "");
		for (i = 0; i < t.nsamples; i++) {
			fputs("  ", stdout);
			put_text(stdout, t.samples[i], strlen(t.samples[i]));
			putchar('\n');
		}
		if (t.misses > t.nsamples)
			printf("  ... (%" PRIu64 " more; --samples N shows more)\n",
			    t.misses - t.nsamples);
	}
out:
	for (i = 0; i < t.nsamples; i++)
		free(t.samples[i]);
	free(t.samples);
	free(t.per_class);
	free(t.show);
	pipeline_free(p);
	rules_free(rules);
	diag_release(&d);
	free(dirs);
	free(disable);
	free(show);
	return rc;
}
