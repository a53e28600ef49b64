/* cmd_scan: `eximwatch scan FILE...` — count whole log files into the store.
 *
 * A file already scanned (same fingerprint of its first bytes) continues
 * from its stored offset, so scanning twice never counts twice and a grown
 * file only adds its new lines.  This thread parses and classifies; every
 * FLUSH_EVENTS events (or FLUSH_BYTES) it hands the batch's events and the
 * file's offset to the writer thread, which counts them and commits counts
 * and offset in the same transaction while the next batch is parsed. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "evlog.h"
#include "evidence.h"
#include "diag.h"
#include "duration.h"
#include "fingerprint.h"
#include "input.h"
#include "linesplit.h"
#include "log.h"
#include "paths.h"
#include "pipeline.h"
#include "rules.h"
#include "store.h"
#include "utf8.h"
#include "writer.h"
#include "xmalloc.h"

/* Batch size: the events of a batch are counted on the writer's thread (a
 * small batch keeps that counter in its core's cache), and the writer puts
 * the batches of a second into one transaction, so small batches do not
 * mean many commits.  The batch being filled plus the writer's queue
 * (writer.h) of this size keep the peak RSS under 32 MB. */
#define FLUSH_EVENTS 8192
#define FLUSH_BYTES (1u << 20)
#define MAX_LINE (64u << 10)

struct scan {
	struct store *store;
	const struct rules *rules;
	struct evlog *events;      /* the batch being filled */
	struct evidence *evidence; /* known clients, details: the writer's */
	struct writer *writer;
	struct pipeline *pipe;
	int quiet, progress;
	int data_errors;
};

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human(uint64_t b, char *buf, size_t len)
{
	if (b >= 10ull << 30)
		snprintf(buf, len, "%" PRIu64 " GB", b >> 30);
	else if (b >= 10ull << 20)
		snprintf(buf, len, "%" PRIu64 " MB", b >> 20);
	else
		snprintf(buf, len, "%" PRIu64 " KB", b >> 10);
}

static void show_progress(const char *path, uint64_t pos, uint64_t size,
    uint64_t lines, double t0, int last)
{
	double el = now_mono() - t0, rate = el > 0 ? (double)lines / el : 0;
	char a[32], b[32], eta[32] = "";

	human(pos, a, sizeof a);
	human(size, b, sizeof b);
	if (size && pos && pos < size && el > 0.5)
		snprintf(eta, sizeof eta, ", %.0fs left",
		    el * (double)(size - pos) / (double)pos);
	fprintf(stderr, "\r\033[K%s: %s / %s (%d%%), %.1fM lines/s%s",
	    path, a, b, size ? (int)(100.0 * (double)pos / (double)size) : 0,
	    rate / 1e6, eta);
	if (last)
		fputc('\n', stderr);
	fflush(stderr);
}

/* flush: hand the batch, the file position and the stats to the writer,
 * which commits them in one transaction; -1 if an earlier commit failed
 * (the writer logged it) */
static int flush(struct scan *sc, const struct store_file *f,
    struct pipeline_stats *last)
{
	const struct pipeline_stats *st = pipeline_stats(sc->pipe);
	struct writer_stats d;

	d.lines = (int64_t)(st->lines - last->lines);
	d.events = (int64_t)(st->matched - last->matched);
	d.suspicious_unmatched = (int64_t)(st->suspicious - last->suspicious);
	d.oversized = (int64_t)(st->oversized - last->oversized);
	d.binary = 0;    /* scan names the first such line instead */
	if (writer_submit_events(sc->writer, sc->events, f, f ? 1 : 0, &d) < 0)
		return -1;
	*last = *st;
	return 0;
}

/* the state of one file's scan */
struct fscan {
	struct store_file f;
	struct pipeline_stats last;
	uint64_t skip;            /* bytes counted by an earlier scan */
	uint64_t lineno, first_over, first_bin, first_badutf8;
	int nul_seen;             /* a NUL was read: only then look for it per line */
	int high_seen;            /* a byte >= 0x80 was read: only then check UTF-8 */
};

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/* nul_high_avx2: bit 0 if b[0..n) holds a NUL byte, bit 1 if a byte >= 0x80
 * (one pass for both, 64 bytes at a time) */
__attribute__((target("avx2")))
static int nul_high_avx2(const char *b, size_t n)
{
	__m256i hi = _mm256_setzero_si256(), z = _mm256_setzero_si256();
	const __m256i zero = _mm256_setzero_si256();
	size_t i = 0;
	int r = 0;

	for (; i + 64 <= n; i += 64) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(b + i));
		__m256i c = _mm256_loadu_si256((const __m256i *)(b + i + 32));

		hi = _mm256_or_si256(hi, _mm256_or_si256(a, c));
		z = _mm256_or_si256(z, _mm256_or_si256(_mm256_cmpeq_epi8(a, zero),
		    _mm256_cmpeq_epi8(c, zero)));
	}
	if (_mm256_movemask_epi8(z))
		r |= 1;
	if (_mm256_movemask_epi8(hi))
		r |= 2;
	for (; i < n; i++) {
		if (b[i] == '\0')
			r |= 1;
		if ((unsigned char)b[i] >= 0x80)
			r |= 2;
	}
	return r;
}
#define HAVE_NUL_HIGH_AVX2 1
#endif

/* look_bytes: note NUL bytes and bytes >= 0x80 in a chunk of input */
static void look_bytes(struct fscan *fs, const char *b, size_t n)
{
	if (fs->nul_seen && fs->high_seen)
		return;
#ifdef HAVE_NUL_HIGH_AVX2
	if (__builtin_cpu_supports("avx2")) {
		int r = nul_high_avx2(b, n);

		fs->nul_seen |= r & 1;
		fs->high_seen |= r >> 1;
		return;
	}
#endif
	if (!fs->nul_seen && memchr(b, '\0', n))
		fs->nul_seen = 1;
	if (!fs->high_seen && !utf8_ascii(b, n))
		fs->high_seen = 1;
}

/* count_line: one line, ending at byte `consumed` of the file; 0, or -1 if a
 * flush failed */
static inline int count_line(struct scan *sc, struct fscan *fs,
    const char *line, size_t len, int oversized, uint64_t consumed)
{
	fs->lineno++;
	if (consumed <= fs->skip)
		return 0;
	if (oversized && !fs->first_over)
		fs->first_over = fs->lineno;
	if (fs->nul_seen && !fs->first_bin && memchr(line, '\0', len))
		fs->first_bin = fs->lineno;
	if (fs->high_seen && !fs->first_badutf8 && !utf8_ascii(line, len) &&
	    !utf8_valid(line, len))
		fs->first_badutf8 = fs->lineno;
	pipeline_line(sc->pipe, line, len, oversized);
	if ((fs->lineno & 31) == 0 &&
	    (evlog_size(sc->events) >= FLUSH_EVENTS ||
	    evlog_bytes(sc->events) >= FLUSH_BYTES)) {
		fs->f.offset = fs->skip > consumed ? fs->skip : consumed;
		fs->f.lines = fs->lineno;
		return flush(sc, &fs->f, &fs->last);
	}
	return 0;
}

/* scan_file: 0 ok, else an exit code */
static int scan_file(struct scan *sc, const char *path)
{
	struct diag d;
	struct input *in;
	struct linesplit *ls = NULL;
	struct fscan fs;
	struct pipeline_stats before;
	struct stat stt;
	const char *line, *head;
	char *buf;
	size_t len, avail, headlen = 0;
	ssize_t r;
	uint64_t pend = 0;
	int oversized, known, rc = 0, eof = 0, e = 0;
	double t0 = now_mono(), tlast = t0;

	diag_init(&d);
	memset(&fs, 0, sizeof fs);
	/* the store is ours again once every earlier batch is committed */
	if (writer_sync(sc->writer) < 0) {
		log_warnx("%s: not counted: the database cannot be written", path);
		diag_release(&d);
		return EX_IOERR;
	}
	in = input_open(path, &d, &e);
	if (in == NULL) {
		diag_print(&d, stderr);
		diag_release(&d);
		return EX_NOINPUT;
	}
	/* read(), not mmap(): on a hot page cache the copy costs less than
	 * mapping and unmapping windows (page-table work, and TLB shootdowns
	 * that interrupt the writer thread), and a file truncated under us
	 * (copytruncate) just ends instead of raising SIGBUS */
	ls = linesplit_new(MAX_LINE);
	/* the head: enough bytes for the fingerprint (or the whole file) */
	while (headlen < FP_MAX) {
		buf = linesplit_space(ls, &avail);
		r = input_read(in, buf, avail, &d);
		if (r < 0) {
			rc = EX_IOERR;
			goto out;
		}
		if (r == 0) {
			eof = 1;
			break;
		}
		look_bytes(&fs, buf, (size_t)r);
		linesplit_commit(ls, (size_t)r);
		headlen += (size_t)r;
	}
	buf = linesplit_space(ls, &avail);   /* the head is at buf - headlen */
	head = buf - headlen;
	if (headlen == 0) {
		if (!sc->quiet)
			log_info("%s: empty, nothing to count", path);
		goto out;
	}
	known = store_file_find(sc->store, (const unsigned char *)head,
	    headlen < FP_MAX ? headlen : FP_MAX, &fs.f);
	if (known < 0) {
		log_warnx("%s: %s", store_path(sc->store), store_errmsg(sc->store));
		rc = EX_IOERR;
		goto out;
	}
	if (!known) {
		memset(&fs.f, 0, sizeof fs.f);
		fs.f.fp_len = (uint32_t)(headlen < FP_MAX ? headlen : FP_MAX);
		fs.f.fp_hash = fingerprint((const unsigned char *)head, fs.f.fp_len);
	} else {
		fs.skip = fs.f.offset;
		/* a file first seen shorter than FP_MAX gets a longer fingerprint */
		if (fs.f.fp_len < FP_MAX && headlen > fs.f.fp_len) {
			fs.f.fp_len = (uint32_t)(headlen < FP_MAX ? headlen : FP_MAX);
			fs.f.fp_hash = fingerprint((const unsigned char *)head, fs.f.fp_len);
		}
	}
	snprintf(fs.f.path, sizeof fs.f.path, "%s", path);
	if (strcmp(path, "-") != 0 && stat(path, &stt) == 0) {
		fs.f.dev = (uint64_t)stt.st_dev;
		fs.f.ino = (uint64_t)stt.st_ino;
	}
	before = fs.last = *pipeline_stats(sc->pipe);
	pipeline_file_start(sc->pipe);
	for (;;) {
		while (linesplit_next(ls, &line, &len, &oversized)) {
			if (count_line(sc, &fs, line, len, oversized,
			    linesplit_consumed(ls)) < 0) {
				rc = EX_IOERR;
				goto out;
			}
		}
		if (sc->progress && (fs.lineno & 0xffff) == 0) {
			double t = now_mono();

			if (t - tlast > 0.25) {
				show_progress(path, input_disk_pos(in), input_disk_size(in),
				    fs.lineno, t0, 0);
				tlast = t;
			}
		}
		if (eof)
			break;
		buf = linesplit_space(ls, &avail);
		r = input_read(in, buf, avail, &d);
		if (r < 0) {
			rc = EX_IOERR;
			break;
		}
		if (r == 0)
			eof = 1;
		else {
			look_bytes(&fs, buf, (size_t)r);
			linesplit_commit(ls, (size_t)r);
		}
	}
	pend = linesplit_pending(ls);
	if (pend > 0 && rc == 0 && input_is_gzip(in)) {
		/* a finished (compressed) file cut short: count what is there */
		if (linesplit_flush_partial(ls, &line, &len, &oversized) &&
		    linesplit_consumed(ls) > fs.skip)
			pipeline_line(sc->pipe, line, len, oversized);
	}
	fs.f.offset = fs.skip > linesplit_consumed(ls) ? fs.skip :
	    linesplit_consumed(ls);
	if (pend > 0 && rc == 0) {
		if (input_is_gzip(in)) {
			log_warnx("%s: the last line has no newline (file cut short?); "
			    "counted as it is", path);
		} else {
			log_warnx("%s: the last line (%" PRIu64 " bytes) has no newline yet; "
			    "not counted now, a later scan counts it when it is complete",
			    path, pend);
		}
		sc->data_errors = 1;
	}
	if (fs.first_over) {
		log_warnx("%s: line %" PRIu64 " (and maybe others) is longer than %u "
		    "bytes; counted from its first %u bytes", path, fs.first_over,
		    MAX_LINE, MAX_LINE);
		sc->data_errors = 1;
	}
	if (fs.first_badutf8) {
		/* counted as they are; JSON output shows such bytes as U+FFFD */
		log_warnx("%s: line %" PRIu64 " (and maybe others) holds bytes that are "
		    "not UTF-8; counted as they are", path, fs.first_badutf8);
		sc->data_errors = 1;
	}
	if (fs.first_bin) {
		log_warnx("%s: line %" PRIu64 " (and maybe others) holds NUL bytes: is "
		    "this an Exim main log?", path, fs.first_bin);
		sc->data_errors = 1;
	}
	if (pipeline_stats(sc->pipe)->lines > before.lines &&
	    pipeline_stats(sc->pipe)->exim == before.exim) {
		/* /etc/passwd, dpkg.log: counted nothing, and rightly so */
		log_warnx("%s: no line looked like an Exim main log line (is it "
		    "one? Exim's is /var/log/exim_mainlog on cPanel, "
		    "/var/log/exim4/mainlog on Debian)", path);
		sc->data_errors = 1;
	}
	fs.f.lines = fs.lineno;
	if ((flush(sc, &fs.f, &fs.last) < 0 || writer_sync(sc->writer) < 0) &&
	    rc == 0)
		rc = EX_IOERR;
	if (sc->progress)
		show_progress(path, input_disk_pos(in), input_disk_size(in),
		    fs.lineno, t0, 1);
	if (!sc->quiet) {
		const struct pipeline_stats *st = pipeline_stats(sc->pipe);

		if (fs.skip > 0 && st->lines == before.lines)
			log_info("%s: already counted (%" PRIu64 " bytes), nothing new", path,
			    fs.skip);
		else
			log_info("%s: %" PRIu64 " lines, %" PRIu64 " events%s", path,
			    st->lines - before.lines, st->matched - before.matched,
			    fs.skip ? " (new since the last scan)" : "");
	}
out:
	if (d.n)
		diag_print(&d, stderr);
	diag_release(&d);
	linesplit_free(ls);
	input_close(in);
	return rc;
}

static const char usage_line[] =
    "usage: eximwatch scan [--db PATH] [--rules DIR] [--disable ID] "
    "[--retention DUR] [-q] [--progress] FILE...";

static void help(void)
{
	printf("%s\n\n"
	    "Count whole Exim main logs into the database.  FILE may be plain,\n"
	    "gzip-compressed (.gz) or - for standard input.  A file is known by a\n"
	    "fingerprint of its first KiB: scanning it again, or its rotated or\n"
	    "compressed copy, counts nothing twice; a file that grew adds only\n"
	    "its new lines.\n\n"
	    "  --db PATH           database, created if missing (default %s)\n"
	    "  --rules DIR         more rule files (repeatable)\n"
	    "  --disable ID        turn a rule off (repeatable)\n"
	    "  --retention DUR     then delete counts older than DUR (90d)\n"
	    "  -q, --quiet         no progress and no per-file summary\n"
	    "  --progress          progress even when stderr is no terminal\n"
	    "  -h, --help          this help\n\n"
	    "Exit status: 0 ok; 65 a file had bad data (lines too long, not\n"
	    "UTF-8, NUL bytes, a last line without newline, or no line that\n"
	    "looks like Exim's main log: what is good is still counted); 66 a\n"
	    "file is missing or unreadable; 74 a database error; 78 a rule\n"
	    "error; 64 usage.\n",
	    usage_line, paths_default_db());
}

int cmd_scan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "rules", required_argument, NULL, 'r' },
		{ "disable", required_argument, NULL, 'x' },
		{ "retention", required_argument, NULL, 'R' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "progress", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *db = paths_default_db();
	const char **dirs = xcalloc((size_t)argc + 1, sizeof *dirs);
	const char **disable = xcalloc((size_t)argc + 1, sizeof *disable);
	size_t ndirs = 0, ndis = 0;
	int64_t retention = -1;
	struct rules_source src;
	struct rules *rules = NULL;
	struct scan sc;
	struct diag d;
	int c, i, rc = 0, r, force_progress = 0;

	memset(&sc, 0, sizeof sc);
	diag_init(&d);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:r:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'r': dirs[ndirs++] = optarg; break;
		case 'x': disable[ndis++] = optarg; break;
		case 'q': sc.quiet = 1; break;
		case 'P': force_progress = 1; break;
		case 'R':
			if (duration_parse(optarg, &retention) < 0 || retention <= 0) {
				fprintf(stderr, "eximwatch scan: bad --retention '%s' "
				    "(e.g. 90d)\n%s\n", optarg, usage_line);
				rc = EX_USAGE;
				goto out;
			}
			break;
		case 'h':
			help();
			goto out;
		case ':':
			fprintf(stderr, "eximwatch scan: option '%s' needs a value\n"
			    "%s\n", argv[optind - 1], usage_line);
			rc = EX_USAGE;
			goto out;
		default:
			fprintf(stderr, "eximwatch scan: unknown option '%s'\n%s\n",
			    argv[optind - 1], usage_line);
			rc = EX_USAGE;
			goto out;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "eximwatch scan: name the log files to count (or - "
		    "for standard input)\n%s\n", usage_line);
		rc = EX_USAGE;
		goto out;
	}
	memset(&src, 0, sizeof src);
	src.dirs = dirs;
	src.disable = disable;
	if ((rules = rules_load(&src, &d)) == NULL) {
		diag_print(&d, stderr);
		rc = EX_CONFIG;
		goto out;
	}
	if (!rules_jit(rules))
		log_warnx("PCRE2 JIT is not available here: matching will be slower");
	if ((sc.store = store_open(db, STORE_CREATE, &d)) == NULL) {
		diag_print(&d, stderr);
		rc = EX_IOERR;
		goto out;
	}
	sc.rules = rules;
	sc.events = evlog_new();
	sc.pipe = pipeline_new(rules, NULL);
	pipeline_set_evlog(sc.pipe, sc.events);
	sc.evidence = evidence_new(rules_class_names(rules), rules_nclasses(rules));
	sc.writer = writer_new(sc.store, rules_class_names(rules),
	    rules_nclasses(rules), sc.evidence);
	sc.progress = force_progress || (!sc.quiet && isatty(STDERR_FILENO));
	for (i = optind; i < argc; i++) {
		r = scan_file(&sc, argv[i]);
		if (r != 0 && (rc == 0 || r == EX_IOERR))
			rc = r;
	}
	r = writer_sync(sc.writer);
	/* the store's connection is the writer thread's until it ends: the
	 * prune below uses it here */
	writer_free(sc.writer);
	sc.writer = NULL;
	if (r < 0) {
		rc = EX_IOERR;
	} else {
		int64_t n = 0;

		/* the days that are over rolled up (rollup.h), the counts
		 * older than the retention pruned: one transaction */
		if (store_begin(sc.store) < 0 ||
		    store_rollup_days(sc.store, time(NULL)) < 0 ||
		    (retention > 0 && (n = store_prune(sc.store, time(NULL) -
		    retention)) < 0) || store_commit(sc.store) < 0) {
			log_warnx("%s: rolling up and pruning: %s", db,
			    store_errmsg(sc.store));
			store_rollback(sc.store);
			rc = EX_IOERR;
		} else if (n > 0 && !sc.quiet) {
			log_info("pruned %" PRId64 " rows older than the retention", n);
		}
	}
	if (rc == 0 && sc.data_errors)
		rc = EX_DATAERR;
out:
	writer_free(sc.writer);
	evidence_free(sc.evidence);
	pipeline_free(sc.pipe);
	evlog_free(sc.events);
	store_close(sc.store);
	rules_free(rules);
	diag_release(&d);
	free(dirs);
	free(disable);
	return rc;
}
