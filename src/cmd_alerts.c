/* cmd_alerts: `eximwatch alerts` — the alerts in the database and how their
 * notifications fared per sink; `eximwatch alerts test SINK` — send a test
 * notification through one sink and report the HTTP outcome. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <sqlite3.h>

#include "alert.h"
#include "alertconf.h"
#include "cmds.h"
#include "config.h"
#include "diag.h"
#include "duration.h"
#include "json.h"
#include "paths.h"
#include "redact.h"
#include "sbuf.h"
#include "sender.h"
#include "sink.h"
#include "store.h"
#include "suggest.h"
#include "term.h"
#include "xmalloc.h"

static const char usage_line[] =
    "usage: eximwatch alerts [--db PATH] [--state firing|resolved|all] "
    "[--since DUR|TIME] [--format table|json]\n"
    "       eximwatch alerts test SINK [--config FILE]";

static void help(void)
{
	printf("%s\n\n"
	    "The alerts the daemon raised, and how their notifications fared per\n"
	    "sink; or (test) send a test notification through one sink.\n\n"
	    "  --db PATH           database (default %s)\n"
	    "  --state STATE       firing, resolved or all (default all)\n"
	    "  --since DUR|TIME    only alerts firing since then, or resolved\n"
	    "                      since then: 30m, 1d, 2026-11-22, ISO 8601\n"
	    "                      (default: all)\n"
	    "  --format FMT        table (default; fits the terminal) or json\n"
	    "  -h, --help          this help\n\n"
	    "The table's PEAK is the most events (or distinct values) the\n"
	    "threshold's window held for the group; DELIVERY the worst outcome\n"
	    "per sink (delivered, pending, failed, with the last error).\n\n"
	    "alerts test SINK [--config FILE]: sends a test notification through\n"
	    "the sink SINK of the configuration (default\n"
	    "%s) and prints the HTTP outcome.\n\n"
	    "Exit status: 0 ok; 64 usage; 66 no database; 78 a configuration\n"
	    "error (test); 69 the sink did not answer 2xx (test).\n",
	    usage_line, paths_default_db(), paths_default_config());
}

/* usage_error: the problem, the nearest word, and the usage; EX_USAGE */
static int usage_error(const char *what, const char *got,
    const char *const *words)
{
	const char *m = words ? suggest(got, words, -1) : NULL;

	fprintf(stderr, "eximwatch alerts: %s '%s'%s%s%s\n%s\n", what, got,
	    m ? ": did you mean " : "", m ? m : "", m ? "?" : "", usage_line);
	return EX_USAGE;
}

struct delivery {
	char sink[128];
	char status[16];
	int64_t attempts, http, n;
	char err[256];
};

static int rank(const char *s)
{
	return strcmp(s, "failed") == 0 ? 3 : strcmp(s, "pending") == 0 ? 2 : 1;
}

/* deliveries: per sink, the worst outcome of the alert's notifications (a
 * row refused as too large and split counts through its parts) */
static size_t deliveries(sqlite3 *db, int64_t id, struct delivery *d, size_t max)
{
	sqlite3_stmt *st;
	size_t n = 0, i;

	if (sqlite3_prepare_v2(db, "SELECT o.sink, o.status, o.attempts, "
	    "o.http_status, o.last_error FROM outbox o JOIN outbox_alerts l ON "
	    "l.outbox_id = o.id WHERE l.alert_id = ? AND o.status != 'split' "
	    "ORDER BY o.id", -1, &st, NULL)
	    != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *sink = (const char *)sqlite3_column_text(st, 0);
		const char *status = (const char *)sqlite3_column_text(st, 1);

		for (i = 0; i < n; i++)
			if (strcmp(d[i].sink, sink) == 0)
				break;
		if (i == n) {
			if (n == max)
				continue;
			memset(&d[n], 0, sizeof d[n]);
			snprintf(d[n].sink, sizeof d[n].sink, "%s", sink);
			n++;
		}
		d[i].n++;
		if (d[i].status[0] && rank(status) < rank(d[i].status))
			continue;
		snprintf(d[i].status, sizeof d[i].status, "%s", status);
		d[i].attempts = sqlite3_column_int64(st, 2);
		d[i].http = sqlite3_column_int64(st, 3);
		snprintf(d[i].err, sizeof d[i].err, "%s",
		    (const char *)sqlite3_column_text(st, 4));
		/* recorded masked; rows of older versions may quote a URL */
		redact_apply(NULL, d[i].err, sizeof d[i].err);
	}
	sqlite3_finalize(st);
	return n;
}

/* one alert as read from the database */
struct arow {
	int64_t id, started, resolved, value, peak;
	char *threshold, *grp, *by, *state, *severity, *sample;
	struct delivery dl[16];
	size_t nd;
};

static char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return xstrdup(t ? (const char *)t : "");
}

static void fmt_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0) {
		snprintf(buf, len, "-");
		return;
	}
	localtime_r(&tt, &tm);
	strftime(buf, len, "%m-%d %H:%M", &tm);
}

static void out_json(const struct arow *r, size_t n, struct sbuf *b)
{
	char ts[32];
	size_t k, i;

	sbuf_adds(b, "{\"alerts\": [");
	for (k = 0; k < n; k++, r++) {
		sbuf_adds(b, k ? ",\n  " : "\n  ");
		sbuf_adds(b, "{\"id\": ");
		json_int(b, r->id);
		sbuf_adds(b, ", \"threshold\": ");
		json_cstr(b, r->threshold);
		sbuf_adds(b, ", \"group\": ");
		json_cstr(b, r->grp);
		sbuf_adds(b, ", \"by\": ");
		json_cstr(b, r->by);
		sbuf_adds(b, ", \"state\": ");
		json_cstr(b, r->state);
		sbuf_adds(b, ", \"severity\": ");
		json_cstr(b, r->severity);
		sbuf_adds(b, ", \"started_at\": ");
		json_cstr(b, time_iso((time_t)r->started, ts, sizeof ts));
		sbuf_adds(b, ", \"resolved_at\": ");
		if (r->resolved <= 0)
			sbuf_adds(b, "null");
		else
			json_cstr(b, time_iso((time_t)r->resolved, ts, sizeof ts));
		sbuf_adds(b, ", \"value\": ");
		json_int(b, r->value);
		sbuf_adds(b, ", \"peak\": ");
		json_int(b, r->peak);
		sbuf_adds(b, ", \"sample\": ");
		json_cstr(b, r->sample);
		sbuf_adds(b, ", \"delivery\": [");
		for (i = 0; i < r->nd; i++) {
			sbuf_adds(b, i ? ", {\"sink\": " : "{\"sink\": ");
			json_cstr(b, r->dl[i].sink);
			sbuf_adds(b, ", \"status\": ");
			json_cstr(b, r->dl[i].status);
			sbuf_adds(b, ", \"notifications\": ");
			json_int(b, r->dl[i].n);
			sbuf_adds(b, ", \"attempts\": ");
			json_int(b, r->dl[i].attempts);
			sbuf_adds(b, ", \"http_status\": ");
			json_int(b, r->dl[i].http);
			sbuf_adds(b, ", \"last_error\": ");
			json_cstr(b, r->dl[i].err);
			sbuf_addc(b, '}');
		}
		sbuf_adds(b, "]}");
	}
	sbuf_adds(b, n ? "\n]}\n" : "]}\n");
}

/* the table's columns */
enum { C_ID, C_TH, C_GRP, C_STATE, C_SEV, C_START, C_RES, C_PEAK, C_N };

/* cell: s in a column of w characters, made safe for a terminal (the group
 * is log text, the errors come from HTTP servers) and cut with "…";
 * right-aligned when right */
static void cell(struct sbuf *b, const char *s, size_t w, int right)
{
	size_t n = term_width_of(s, w);

	while (right && n++ < w)
		sbuf_addc(b, ' ');
	n = term_text(b, s, w);
	while (!right && n++ < w)
		sbuf_addc(b, ' ');
}

/* total_width: the columns shown and the two spaces between them */
static size_t total_width(const size_t *w, const int *show)
{
	size_t s = 0, i;

	for (i = 0; i < C_N; i++)
		if (show[i])
			s += w[i] + 2;
	return s - 2;
}

/* shrink: cut the threshold and group columns (the wider first) down to
 * th and grp until the table fits width */
static void shrink(size_t *w, const int *show, size_t width, size_t th,
    size_t grp)
{
	while (total_width(w, show) > width && (w[C_TH] > th || w[C_GRP] > grp)) {
		if (w[C_TH] > th && (w[C_TH] >= w[C_GRP] || w[C_GRP] <= grp))
			w[C_TH]--;
		else
			w[C_GRP]--;
	}
}

static void delivery_text(const struct arow *r, struct sbuf *t)
{
	size_t i;

	if (r->nd == 0)
		sbuf_adds(t, "-");
	for (i = 0; i < r->nd; i++) {
		sbuf_addf(t, "%s%s: %s", i ? "; " : "", r->dl[i].sink,
		    r->dl[i].status);
		if (strcmp(r->dl[i].status, "delivered") != 0 && r->dl[i].err[0])
			sbuf_addf(t, " (%s)", r->dl[i].err);
	}
}

/* out_table: fitted to width: the columns take what their widest value
 * needs; when that is too wide, SEVERITY goes first, then long threshold
 * ids and groups are cut (to 12 and 15), then RESOLVED goes, then they are
 * cut further; DELIVERY takes the rest of the line, or a line of its own
 * under each alert when less than 24 columns are left */
static void out_table(const struct arow *rows, size_t n, size_t width,
    struct sbuf *b)
{
	static const char *const head[C_N] = { "ID", "THRESHOLD", "GROUP",
		"STATE", "SEVERITY", "STARTED", "RESOLVED", "PEAK" };
	size_t w[C_N], total, k, c, dw;
	int show[C_N], inline_dl;
	char num[32], t1[32], t2[32];
	struct sbuf t;

	if (n == 0) {
		sbuf_adds(b, "(none)\n");
		return;
	}
	for (c = 0; c < C_N; c++) {
		w[c] = strlen(head[c]);
		show[c] = 1;
	}
	w[C_STATE] = w[C_SEV] = 8;
	w[C_START] = w[C_RES] = 11;
	for (k = 0; k < n; k++) {
		const struct arow *r = &rows[k];

		if ((c = (size_t)snprintf(num, sizeof num, "%" PRId64, r->id)) >
		    w[C_ID])
			w[C_ID] = c;
		if ((c = (size_t)snprintf(num, sizeof num, "%" PRId64, r->peak)) >
		    w[C_PEAK])
			w[C_PEAK] = c;
		if ((c = term_width_of(r->threshold, 0)) > w[C_TH])
			w[C_TH] = c;
		if ((c = term_width_of(*r->grp ? r->grp : "(global)", 0)) >
		    w[C_GRP])
			w[C_GRP] = c;
	}
	if (total_width(w, show) > width)
		show[C_SEV] = 0;
	shrink(w, show, width, 12, 15);
	if (total_width(w, show) > width)
		show[C_RES] = 0;        /* STATE says resolved */
	shrink(w, show, width, 8, 8);
	total = total_width(w, show);
	inline_dl = width >= total + 2 + 24;
	dw = inline_dl ? width - total - 2 : (width > 8 ? width - 4 : 4);
	for (c = 0; c < C_N; c++) {
		if (!show[c])
			continue;
		if (c)
			sbuf_adds(b, "  ");
		cell(b, head[c], w[c], c == C_ID || c == C_PEAK);
	}
	sbuf_adds(b, inline_dl ? "  DELIVERY\n" : "\n");
	sbuf_init(&t);
	for (k = 0; k < n; k++) {
		const struct arow *r = &rows[k];

		fmt_time(r->started, t1, sizeof t1);
		fmt_time(r->resolved, t2, sizeof t2);
		snprintf(num, sizeof num, "%" PRId64, r->id);
		cell(b, num, w[C_ID], 1);
		sbuf_adds(b, "  ");
		cell(b, r->threshold, w[C_TH], 0);
		sbuf_adds(b, "  ");
		cell(b, *r->grp ? r->grp : "(global)", w[C_GRP], 0);
		sbuf_adds(b, "  ");
		cell(b, r->state, w[C_STATE], 0);
		if (show[C_SEV]) {
			sbuf_adds(b, "  ");
			cell(b, r->severity, w[C_SEV], 0);
		}
		sbuf_adds(b, "  ");
		cell(b, t1, w[C_START], 0);
		if (show[C_RES]) {
			sbuf_adds(b, "  ");
			cell(b, t2, w[C_RES], 0);
		}
		sbuf_adds(b, "  ");
		snprintf(num, sizeof num, "%" PRId64, r->peak);
		cell(b, num, w[C_PEAK], 1);
		sbuf_reset(&t);
		delivery_text(r, &t);
		sbuf_adds(b, inline_dl ? "  " : "\n    ");
		term_text(b, t.s, dw);
		sbuf_addc(b, '\n');
	}
	sbuf_release(&t);
}

static int list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "state", required_argument, NULL, 's' },
		{ "since", required_argument, NULL, 'S' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const states[] = { "firing", "resolved", "all", NULL };
	static const char *const formats[] = { "table", "json", NULL };
	const char *db = paths_default_db(), *state = "all", *format = "table";
	time_t since = 0;
	struct store *s;
	struct diag d;
	sqlite3_stmt *st;
	struct arow *rows = NULL;
	struct sbuf b;
	size_t n = 0, k;
	int c, rc = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 's':
			state = optarg;
			if (strcmp(state, "all") && strcmp(state, "firing") &&
			    strcmp(state, "resolved"))
				return usage_error("unknown --state", optarg, states);
			break;
		case 'S':
			if (time_parse(optarg, time(NULL), &since) < 0)
				return usage_error("bad --since (want 1d, 30m, "
				    "2026-11-22, ISO 8601)", optarg, NULL);
			break;
		case 'f':
			format = optarg;
			if (strcmp(format, "table") && strcmp(format, "json"))
				return usage_error("unknown --format", optarg,
				    formats);
			break;
		case 'h':
			help();
			return 0;
		case ':':
			return usage_error("this option needs a value",
			    argv[optind - 1], NULL);
		default:
			return usage_error("unknown option", argv[optind - 1],
			    NULL);
		}
	}
	if (optind != argc)
		return usage_error("unexpected argument", argv[optind], NULL);
	diag_init(&d);
	if ((s = store_open(db, STORE_READONLY, &d)) == NULL) {
		diag_print(&d, stderr);
		diag_release(&d);
		return EX_NOINPUT;
	}
	diag_release(&d);
	if (sqlite3_prepare_v2(store_db(s), "SELECT id, threshold, grp, grp_kind, "
	    "state, severity, started_at, resolved_at, value, peak, sample FROM "
	    "alerts WHERE (?1 = 'all' OR state = ?1) AND (state = 'firing' OR "
	    "resolved_at >= ?2 OR started_at >= ?2) ORDER BY id", -1, &st, NULL)
	    != SQLITE_OK) {
		fprintf(stderr, "eximwatch alerts: %s\n", sqlite3_errmsg(store_db(s)));
		store_close(s);
		return EX_SOFTWARE;
	}
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)since);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct arow *r;

		rows = xreallocarray(rows, n + 1, sizeof *rows);
		r = &rows[n++];
		memset(r, 0, sizeof *r);
		r->id = sqlite3_column_int64(st, 0);
		r->threshold = col_text(st, 1);
		r->grp = col_text(st, 2);
		r->by = col_text(st, 3);
		r->state = col_text(st, 4);
		r->severity = col_text(st, 5);
		r->started = sqlite3_column_int64(st, 6);
		r->resolved = sqlite3_column_type(st, 7) == SQLITE_NULL ? 0 :
		    sqlite3_column_int64(st, 7);
		r->value = sqlite3_column_int64(st, 8);
		r->peak = sqlite3_column_int64(st, 9);
		r->sample = col_text(st, 10);
		r->nd = deliveries(store_db(s), r->id, r->dl, 16);
	}
	if (sqlite3_finalize(st) != SQLITE_OK) {
		fprintf(stderr, "eximwatch alerts: %s\n", sqlite3_errmsg(store_db(s)));
		rc = EX_SOFTWARE;
	}
	sbuf_init(&b);
	if (rc == 0 && strcmp(format, "json") == 0)
		out_json(rows, n, &b);
	else if (rc == 0)
		out_table(rows, n, (size_t)term_width(), &b);
	fwrite(b.s, 1, b.len, stdout);
	sbuf_release(&b);
	for (k = 0; k < n; k++) {
		free(rows[k].threshold);
		free(rows[k].grp);
		free(rows[k].by);
		free(rows[k].state);
		free(rows[k].severity);
		free(rows[k].sample);
	}
	free(rows);
	store_close(s);
	return rc;
}

static void duration_print(int64_t secs)
{
	char buf[32];

	duration_format(secs, buf, sizeof buf);
	fputs(buf, stdout);
}

/* test_banlog: a "test" line (no address) in the sink's file */
static int test_banlog(const struct alertconf *ac, const struct sink_conf *sc)
{
	struct sbuf body;
	char err[512];
	int rc;

	sbuf_init(&body);
	alert_test_body(ac, sc, &body);
	if (sc->dry_run) {
		printf("sink '%s' (banlog): dry_run: the daemon would write to %s: "
		    "%.*s", sc->name, sc->path, (int)body.len, body.s);
		rc = 0;
	} else if (sink_banlog_write(sc, body.s, body.len, time(NULL), err,
	    sizeof err) == 0) {
		printf("sink '%s' (banlog): wrote a test line to %s; decisions: ",
		    sc->name, sc->path);
		duration_print(sc->duration);
		printf("\n");
		rc = 0;
	} else {
		printf("sink '%s' (banlog): failed: %s\n", sc->name, err);
		rc = EX_CANTCREAT;
	}
	sbuf_release(&body);
	return rc;
}

static int test(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = paths_default_config();
	const struct sink_conf *sc;
	struct config cfg;
	struct alertconf ac;
	struct diag d;
	struct sbuf body;
	struct timespec t0, t1;
	char err[1024];
	long http;
	int c, explicit = 0, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; explicit = 1; break;
		case 'h':
			help();
			return 0;
		case ':':
			return usage_error("this option needs a value",
			    argv[optind - 1], NULL);
		default:
			return usage_error("unknown option", argv[optind - 1], NULL);
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "eximwatch alerts test: name one sink\n%s\n",
		    usage_line);
		return EX_USAGE;
	}
	diag_init(&d);
	memset(&ac, 0, sizeof ac);
	if (config_load(&cfg, path, !explicit, &d) < 0 ||
	    alertconf_load(&ac, cfg.path, &d) < 0) {
		diag_print(&d, stderr);
		rc = EX_CONFIG;
		goto out;
	}
	if ((sc = alertconf_sink(&ac, argv[optind])) == NULL) {
		const char **names = xcalloc(ac.nsinks + 1, sizeof *names);
		const char *m;
		size_t i;

		for (i = 0; i < ac.nsinks; i++)
			names[i] = ac.sinks[i].name;
		m = suggest(argv[optind], names, (long)ac.nsinks);
		fprintf(stderr, "eximwatch alerts test: no sink '%s' in %s%s%s%s\n",
		    argv[optind], cfg.path ? cfg.path : path, m ? ": did you mean "
		    : "", m ? m : "", m ? "?" : "");
		free(names);
		rc = EX_USAGE;
		goto out;
	}
	if (sc->type == SINK_BANLOG) {
		rc = test_banlog(&ac, sc);
		goto out;
	}
	sbuf_init(&body);
	alert_test_body(&ac, sc, &body);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	http = sender_send_once(sc, (int64_t)time(NULL) * 1000, body.s, body.len,
	    err, sizeof err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	sbuf_release(&body);
	if (sc->type == SINK_CROWDSEC && http == 200) {
		/* a test decision would block somebody: the login is the test */
		printf("sink '%s' (crowdsec): logged in to %s as '%s' (HTTP 200 in "
		    "%ld ms); decisions: %s for ", sc->name, sc->url, sc->login,
		    (long)((t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000), sc->decision_type);
		duration_print(sc->duration);
		printf("%s\n", sc->dry_run ? " (dry_run: the daemon sends nothing)" :
		    "");
		rc = 0;
	} else if (sc->type == SINK_CROWDSEC && http > 0) {
		printf("sink '%s' (crowdsec): login as '%s' refused: HTTP %ld: "
		    "%.300s%s\n", sc->name, sc->login, http, err,
		    http == 401 || http == 403 ? " (check the sink's login and "
		    "password: cscli machines add)" : "");
		rc = EX_UNAVAILABLE;
	} else if (http >= 200 && http < 300) {
		printf("sink '%s' (%s): HTTP %ld in %ld ms\n", sc->name,
		    sink_type_name(sc->type), http,
		    (long)((t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000));
		rc = 0;
	} else if (http > 0) {
		printf("sink '%s' (%s): HTTP %ld: %.300s\n", sc->name,
		    sink_type_name(sc->type), http, err);
		rc = EX_UNAVAILABLE;
	} else {
		printf("sink '%s' (%s): failed: %s\n", sc->name,
		    sink_type_name(sc->type), err);
		rc = EX_UNAVAILABLE;
	}
out:
	alertconf_release(&ac);
	config_release(&cfg);
	diag_release(&d);
	return rc;
}

int cmd_alerts(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "test") == 0)
		return test(argc - 1, argv + 1);
	return list(argc, argv);
}
