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
#include "store.h"
#include "term.h"

static void alerts_usage(FILE *fp)
{
	fprintf(fp, "usage: eximwatch alerts [--db PATH] [--state firing|resolved|all] "
	    "[--since DUR|TIME] [--format table|json]\n"
	    "       eximwatch alerts test SINK [--config FILE]\n");
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

/* cell: s in a column of w characters and a space, made safe for a
 * terminal and cut with "…" */
static void cell(struct sbuf *b, const char *s, size_t w)
{
	size_t n = term_text(b, s, w);

	while (n++ <= w)
		sbuf_addc(b, ' ');
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
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
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
	const char *db = paths_default_db(), *state = "all", *format = "table";
	time_t since = 0;
	struct store *s;
	struct diag d;
	sqlite3_stmt *st;
	struct delivery dl[16];
	struct sbuf b;
	size_t nd, i;
	int c, first = 1, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 's': state = optarg; break;
		case 'S':
			if (time_parse(optarg, time(NULL), &since) < 0) {
				fprintf(stderr, "eximwatch alerts: bad --since '%s'\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'f': format = optarg; break;
		case 'h': alerts_usage(stdout); return 0;
		default: alerts_usage(stderr); return EX_USAGE;
		}
	}
	if (optind != argc || (strcmp(state, "all") != 0 &&
	    strcmp(state, "firing") != 0 && strcmp(state, "resolved") != 0) ||
	    (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)) {
		alerts_usage(stderr);
		return EX_USAGE;
	}
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
	sbuf_init(&b);
	if (strcmp(format, "json") == 0)
		sbuf_adds(&b, "{\"alerts\": [");
	else
		sbuf_addf(&b, "%-5s %-22s %-22s %-8s %-8s %-19s %-19s %5s  %s\n", "ID",
		    "THRESHOLD", "GROUP", "STATE", "SEVERITY", "STARTED", "RESOLVED",
		    "PEAK", "DELIVERY");
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const char *grp = (const char *)sqlite3_column_text(st, 2);
		char t1[32], t2[32], ts[32];

		nd = deliveries(store_db(s), id, dl, 16);
		if (strcmp(format, "json") == 0) {
			sbuf_adds(&b, first ? "\n  " : ",\n  ");
			sbuf_adds(&b, "{\"id\": ");
			json_int(&b, id);
			sbuf_adds(&b, ", \"threshold\": ");
			json_cstr(&b, (const char *)sqlite3_column_text(st, 1));
			sbuf_adds(&b, ", \"group\": ");
			json_cstr(&b, grp);
			sbuf_adds(&b, ", \"by\": ");
			json_cstr(&b, (const char *)sqlite3_column_text(st, 3));
			sbuf_adds(&b, ", \"state\": ");
			json_cstr(&b, (const char *)sqlite3_column_text(st, 4));
			sbuf_adds(&b, ", \"severity\": ");
			json_cstr(&b, (const char *)sqlite3_column_text(st, 5));
			time_iso((time_t)sqlite3_column_int64(st, 6), ts, sizeof ts);
			sbuf_adds(&b, ", \"started_at\": ");
			json_cstr(&b, ts);
			sbuf_adds(&b, ", \"resolved_at\": ");
			if (sqlite3_column_type(st, 7) == SQLITE_NULL) {
				sbuf_adds(&b, "null");
			} else {
				time_iso((time_t)sqlite3_column_int64(st, 7), ts, sizeof ts);
				json_cstr(&b, ts);
			}
			sbuf_adds(&b, ", \"value\": ");
			json_int(&b, sqlite3_column_int64(st, 8));
			sbuf_adds(&b, ", \"peak\": ");
			json_int(&b, sqlite3_column_int64(st, 9));
			sbuf_adds(&b, ", \"sample\": ");
			json_cstr(&b, (const char *)sqlite3_column_text(st, 10));
			sbuf_adds(&b, ", \"delivery\": [");
			for (i = 0; i < nd; i++) {
				sbuf_adds(&b, i ? ", {\"sink\": " : "{\"sink\": ");
				json_cstr(&b, dl[i].sink);
				sbuf_adds(&b, ", \"status\": ");
				json_cstr(&b, dl[i].status);
				sbuf_adds(&b, ", \"notifications\": ");
				json_int(&b, dl[i].n);
				sbuf_adds(&b, ", \"attempts\": ");
				json_int(&b, dl[i].attempts);
				sbuf_adds(&b, ", \"http_status\": ");
				json_int(&b, dl[i].http);
				sbuf_adds(&b, ", \"last_error\": ");
				json_cstr(&b, dl[i].err);
				sbuf_addc(&b, '}');
			}
			sbuf_adds(&b, "]}");
		} else {
			const char *th = (const char *)sqlite3_column_text(st, 1);

			fmt_time(sqlite3_column_int64(st, 6), t1, sizeof t1);
			fmt_time(sqlite3_column_type(st, 7) == SQLITE_NULL ? 0 :
			    sqlite3_column_int64(st, 7), t2, sizeof t2);
			sbuf_addf(&b, "%-5" PRId64 " ", id);
			/* the group is log text, the delivery errors come from
			 * HTTP servers: term_text() keeps escapes off the tty */
			cell(&b, th, 22);
			cell(&b, *grp ? grp : "(global)", 22);
			sbuf_addf(&b, "%-8s %-8s %-19s %-19s %5" PRId64 "  ",
			    sqlite3_column_text(st, 4), sqlite3_column_text(st, 5),
			    t1, t2, (int64_t)sqlite3_column_int64(st, 9));
			if (nd == 0)
				sbuf_adds(&b, "-");
			for (i = 0; i < nd; i++) {
				sbuf_adds(&b, i ? "; " : "");
				term_text(&b, dl[i].sink, 0);
				sbuf_addf(&b, ": %s", dl[i].status);
				if (strcmp(dl[i].status, "delivered") != 0 &&
				    dl[i].err[0]) {
					sbuf_adds(&b, " (");
					term_text(&b, dl[i].err, 0);
					sbuf_adds(&b, ")");
				}
			}
			sbuf_addc(&b, '\n');
		}
		first = 0;
	}
	if (sqlite3_finalize(st) != SQLITE_OK) {
		fprintf(stderr, "eximwatch alerts: %s\n", sqlite3_errmsg(store_db(s)));
		rc = EX_SOFTWARE;
	}
	if (strcmp(format, "json") == 0)
		sbuf_adds(&b, first ? "]}\n" : "\n]}\n");
	fwrite(b.s, 1, b.len, stdout);
	sbuf_release(&b);
	store_close(s);
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
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; explicit = 1; break;
		case 'h': alerts_usage(stdout); return 0;
		default: alerts_usage(stderr); return EX_USAGE;
		}
	}
	if (optind + 1 != argc) {
		alerts_usage(stderr);
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
		fprintf(stderr, "eximwatch alerts test: no sink '%s' in %s\n",
		    argv[optind], cfg.path ? cfg.path : path);
		rc = EX_USAGE;
		goto out;
	}
	sbuf_init(&body);
	alert_test_body(&ac, sc, &body);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	http = sender_send_once(sc, (int64_t)time(NULL) * 1000, body.s, body.len,
	    err, sizeof err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	sbuf_release(&body);
	if (http >= 200 && http < 300) {
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
