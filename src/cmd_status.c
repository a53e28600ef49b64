/* cmd_status: `eximwatch status` — whether the daemon runs (its pid file's
 * lock: pidfile.h), what it follows, how far behind it is, when it last
 * committed, and the events of the last hour.
 *
 * Exit status as LSB's and systemctl's status: 0 the daemon runs, 1 it died
 * (its pid file was left behind: a crash or SIGKILL), 3 it does not run
 * (stopped cleanly, or never ran with this database), 4 unknown (the pid
 * file cannot be read: permission); 64 usage. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include "cmds.h"
#include "diag.h"
#include "duration.h"
#include "json.h"
#include "paths.h"
#include "pidfile.h"
#include "sbuf.h"
#include "store.h"
#include "term.h"

/* LSB init script status codes */
enum { ST_RUNNING = 0, ST_DEAD = 1, ST_STOPPED = 3, ST_UNKNOWN = 4 };

/* a commit older than this while the log has grown: stuck? (at least 10s,
 * or 20 flush intervals) */
#define STALE_MIN_SECS 10

static const char usage_line[] =
    "usage: eximwatch status [--db PATH] [--format table|json]";

static void help(void)
{
	printf("%s\n\n"
	    "Whether the daemon runs on a database, what it follows, how far\n"
	    "behind the log it is, when it last committed, and the events of\n"
	    "the last hour.\n\n"
	    "  --db PATH           the daemon's database (default %s)\n"
	    "  --format FMT        table (default) or json\n"
	    "  -h, --help          this help\n\n"
	    "Exit status (as LSB's and systemctl's status): 0 the daemon runs,\n"
	    "1 it died (a crash or SIGKILL left its pid file), 3 it does not run,\n"
	    "4 unknown (its pid file or database cannot be read), 64 usage.\n"
	    "The daemon's pid file is the database's path plus \".pid\".\n",
	    usage_line, paths_default_db());
}

static long long meta_ll(struct store *s, const char *key)
{
	char buf[64];

	if (s == NULL || store_meta_get(s, key, buf, sizeof buf) != 1)
		return -1;
	return strtoll(buf, NULL, 10);
}

struct status {
	int state;                /* ST_* */
	pid_t pid;
	char path[4096];          /* the log followed, "" if unknown */
	long long last, offset, size, lag, lines, events;
	int64_t flush_ms;
	int waiting, missing, stale, have_db;
	char missing_why[128];
	struct sbuf warn;         /* warnings, one per line */
};

static void warn(struct status *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void warn(struct status *st, const char *fmt, ...)
{
	va_list ap;
	char buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	sbuf_adds(&st->warn, buf);
	sbuf_addc(&st->warn, '\n');
}

/* look: what the store says about the daemon, and the log as it is now */
static void look(struct status *st, struct store *s, time_t now)
{
	struct stat sb;
	int64_t v, stale_secs;
	char ago[32];

	if (store_meta_get(s, "daemon.following", st->path, sizeof st->path) != 1)
		st->path[0] = '\0';
	st->last = meta_ll(s, "daemon.last_commit");
	st->offset = meta_ll(s, "daemon.offset");
	st->waiting = meta_ll(s, "daemon.waiting") == 1;
	st->flush_ms = meta_ll(s, "daemon.flush_ms");
	if (store_stat_get(s, "lines", &v) == 0)
		st->lines = v;
	if (store_stat_get(s, "events", &v) == 0)
		st->events = v;
	if (st->path[0] && stat(st->path, &sb) == 0) {
		st->size = (long long)sb.st_size;
		if (st->offset >= 0)
			st->lag = st->size >= st->offset ? st->size - st->offset : 0;
	} else if (st->path[0]) {
		st->missing = 1;
		snprintf(st->missing_why, sizeof st->missing_why, "%s",
		    strerror(errno));
	}
	stale_secs = st->flush_ms > 0 ? st->flush_ms * 20 / 1000 : 0;
	if (stale_secs < STALE_MIN_SECS)
		stale_secs = STALE_MIN_SECS;
	if (st->lag > 0 && st->last > 0) {
		duration_format(now - st->last > 0 ? now - st->last : 0, ago,
		    sizeof ago);
		if (st->state == ST_RUNNING && now - st->last >= stale_secs) {
			st->stale = 1;
			warn(st, "the log has grown %lld bytes past the last commit, "
			    "%s ago: is the daemon stuck (or catching up a large "
			    "backlog)?", st->lag, ago);
		} else if (st->state != ST_RUNNING) {
			warn(st, "the log has grown %lld bytes since the last commit "
			    "(%s ago): start the daemon to catch up", st->lag, ago);
		}
	}
	if (st->missing && st->state == ST_RUNNING)
		warn(st, "%s is missing (%s): the daemon waits for it", st->path,
		    st->missing_why);
}

static void out_json(const struct status *st, const char *db, struct sbuf *b,
    sqlite3_stmt *q)
{
	static const char *const names[] = { "running", "dead", "", "stopped",
		"unknown" };
	char when[32];
	const char *p;
	int n = 0;

	sbuf_adds(b, "{\"db\": ");
	json_cstr(b, db);
	sbuf_addf(b, ", \"daemon\": \"%s\", \"running\": %s, \"pid\": ",
	    names[st->state], st->state == ST_RUNNING ? "true" : "false");
	if (st->pid > 0 && st->state != ST_STOPPED)
		sbuf_addf(b, "%ld", (long)st->pid);
	else
		sbuf_adds(b, "null");
	sbuf_adds(b, ", \"following\": ");
	json_cstr(b, st->path[0] ? st->path : NULL);
	sbuf_addf(b, ", \"waiting_for_log\": %s, \"log_missing\": %s, "
	    "\"offset\": ", st->waiting ? "true" : "false",
	    st->missing ? "true" : "false");
	if (st->offset >= 0)
		sbuf_addf(b, "%lld", st->offset);
	else
		sbuf_adds(b, "null");
	if (st->size >= 0)
		sbuf_addf(b, ", \"size\": %lld, \"lag_bytes\": %lld", st->size,
		    st->lag >= 0 ? st->lag : 0);
	else
		sbuf_adds(b, ", \"size\": null, \"lag_bytes\": null");
	sbuf_adds(b, ", \"last_commit\": ");
	if (st->last > 0)
		json_cstr(b, time_iso((time_t)st->last, when, sizeof when));
	else
		sbuf_adds(b, "null");
	sbuf_addf(b, ", \"stale\": %s, \"lines\": %lld, \"events\": %lld, "
	    "\"warnings\": [", st->stale ? "true" : "false", st->lines,
	    st->events);
	for (p = st->warn.s; *p; p = strchr(p, '\n') + 1) {
		sbuf_adds(b, n++ ? ", " : "");
		json_str(b, p, (size_t)(strchr(p, '\n') - p));
	}
	sbuf_adds(b, "], \"last_hour\": {");
	n = 0;
	while (q && sqlite3_step(q) == SQLITE_ROW) {
		sbuf_adds(b, n++ ? ", " : "");
		json_cstr(b, (const char *)sqlite3_column_text(q, 0));
		sbuf_addf(b, ": %lld", (long long)sqlite3_column_int64(q, 1));
	}
	sbuf_adds(b, "}}\n");
}

static void out_table(const struct status *st, const char *db, struct sbuf *b,
    sqlite3_stmt *q, time_t now)
{
	char when[32], ago[32];
	const char *p, *e;
	int n = 0;

	sbuf_adds(b, "daemon       ");
	if (st->state == ST_RUNNING)
		sbuf_addf(b, "running (pid %ld)\n", (long)st->pid);
	else if (st->state == ST_DEAD)
		sbuf_addf(b, "not running: it died (pid %ld left its pid file: "
		    "a crash or SIGKILL; see its log)\n", (long)st->pid);
	else if (st->state == ST_UNKNOWN)
		sbuf_adds(b, "unknown (its pid file cannot be read)\n");
	else
		sbuf_adds(b, "not running\n");
	sbuf_adds(b, "database     ");
	term_text(b, db, 0);
	sbuf_addc(b, '\n');
	if (!st->have_db) {
		sbuf_adds(b, "\n");
		return;
	}
	sbuf_adds(b, "following    ");
	if (st->path[0])
		term_text(b, st->path, 0);
	else
		sbuf_adds(b, "nothing yet (the daemon has not run on this "
		    "database)");
	if (st->waiting || st->missing)
		sbuf_adds(b, st->state == ST_RUNNING ? " (missing: waiting for it "
		    "to appear)" : " (missing)");
	sbuf_addc(b, '\n');
	if (st->offset >= 0 && st->size >= 0)
		sbuf_addf(b, "offset       %lld of %lld bytes (%lld behind)\n",
		    st->offset, st->size, st->lag);
	else if (st->offset >= 0)
		sbuf_addf(b, "offset       %lld (the log is missing: %s)\n",
		    st->offset, st->missing_why);
	if (st->last > 0) {
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S",
		    localtime(&(time_t){ (time_t)st->last }));
		duration_format(now - st->last > 0 ? now - st->last : 0, ago,
		    sizeof ago);
		sbuf_addf(b, "last commit  %s (%s ago)\n", when, ago);
	} else {
		sbuf_adds(b, "last commit  never (the daemon has not run on this "
		    "database)\n");
	}
	sbuf_addf(b, "read so far  %lld lines, %lld events\n", st->lines,
	    st->events);
	for (p = st->warn.s; *p; p = e + 1) {
		e = strchr(p, '\n');
		sbuf_adds(b, "warning      ");
		term_textn(b, p, (size_t)(e - p), 0);
		sbuf_addc(b, '\n');
	}
	sbuf_adds(b, "\nevents in the last hour:\n");
	while (q && sqlite3_step(q) == SQLITE_ROW) {
		sbuf_addf(b, "  %-28s %8lld\n", sqlite3_column_text(q, 0),
		    (long long)sqlite3_column_int64(q, 1));
		n++;
	}
	if (n == 0)
		sbuf_adds(b, "  (none)\n");
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *db = paths_default_db();
	struct status st;
	struct store *s = NULL;
	struct diag d;
	struct sbuf b;
	sqlite3_stmt *q = NULL;
	time_t now = time(NULL);
	int c, json = 0, r, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'f':
			if (strcmp(optarg, "json") == 0)
				json = 1;
			else if (strcmp(optarg, "table") != 0) {
				fprintf(stderr, "eximwatch status: unknown --format "
				    "'%s' (table, json)\n%s\n", optarg, usage_line);
				return EX_USAGE;
			}
			break;
		case 'h':
			help();
			return 0;
		case ':':
			fprintf(stderr, "eximwatch status: option '%s' needs a "
			    "value\n%s\n", argv[optind - 1], usage_line);
			return EX_USAGE;
		default:
			fprintf(stderr, "eximwatch status: unknown option '%s'\n%s\n",
			    argv[optind - 1], usage_line);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "eximwatch status: unexpected argument '%s'\n%s\n",
		    argv[optind], usage_line);
		return EX_USAGE;
	}
	memset(&st, 0, sizeof st);
	st.offset = st.size = st.lag = st.last = -1;
	sbuf_init(&st.warn);
	sbuf_init(&b);
	diag_init(&d);
	r = pidfile_check(db, &st.pid);
	st.state = r == PIDFILE_RUNNING ? ST_RUNNING : r == PIDFILE_DEAD ?
	    ST_DEAD : r == PIDFILE_STOPPED ? ST_STOPPED : ST_UNKNOWN;
	if ((s = store_open(db, STORE_READONLY, &d)) == NULL) {
		/* no database: the daemon never ran with it (it makes one) */
		if (errno != ENOENT && st.state == ST_STOPPED)
			st.state = ST_UNKNOWN;
		diag_print(&d, stderr);
	} else {
		st.have_db = 1;
		look(&st, s, now);
		if (sqlite3_prepare_v2(store_db(s), "SELECT c.name, SUM(k.n) FROM "
		    "counts k JOIN classes c ON c.id = k.class_id WHERE k.bucket "
		    ">= ?1 GROUP BY c.name ORDER BY SUM(k.n) DESC, c.name", -1, &q,
		    NULL) != SQLITE_OK) {
			fprintf(stderr, "eximwatch status: %s: %s\n", db,
			    store_errmsg(s));
			q = NULL;
		} else {
			sqlite3_bind_int64(q, 1, (int64_t)(now - 3600) -
			    (now - 3600) % STORE_BUCKET_SECS);
		}
	}
	if (json)
		out_json(&st, db, &b, q);
	else
		out_table(&st, db, &b, q, now);
	fputs(b.s, stdout);
	rc = st.state;
	sqlite3_finalize(q);
	store_close(s);
	sbuf_release(&b);
	sbuf_release(&st.warn);
	diag_release(&d);
	return rc;
}
