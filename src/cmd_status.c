/* cmd_status: `eximwatch status` — what the daemon follows, how far behind
 * it is, when it last committed, and the events of the last hour. */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
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
#include "sbuf.h"
#include "store.h"

static long long meta_ll(struct store *s, const char *key)
{
	char buf[64];

	if (store_meta_get(s, key, buf, sizeof buf) != 1)
		return -1;
	return strtoll(buf, NULL, 10);
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
	struct store *s;
	struct diag d;
	struct stat st;
	struct sbuf b;
	sqlite3_stmt *q;
	char path[4096], when[32], ago[32];
	long long last, offset, size = -1, lag = -1, lines = 0, events = 0;
	int64_t v;
	time_t now = time(NULL);
	int c, json = 0, n = 0, waiting;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'f':
			if (strcmp(optarg, "json") == 0)
				json = 1;
			else if (strcmp(optarg, "table") != 0)
				goto usage;
			break;
		case 'h':
			printf("usage: eximwatch status [--db PATH] [--format table|json]\n");
			return 0;
		default:
			goto usage;
		}
	}
	diag_init(&d);
	if ((s = store_open(db, STORE_READONLY, &d)) == NULL) {
		diag_print(&d, stderr);
		diag_release(&d);
		return EX_NOINPUT;
	}
	diag_release(&d);
	if (store_meta_get(s, "daemon.following", path, sizeof path) != 1)
		path[0] = '\0';
	last = meta_ll(s, "daemon.last_commit");
	offset = meta_ll(s, "daemon.offset");
	waiting = meta_ll(s, "daemon.waiting") == 1;
	if (path[0] && stat(path, &st) == 0) {
		size = (long long)st.st_size;
		if (offset >= 0)
			lag = size >= offset ? size - offset : 0;
	}
	if (store_stat_get(s, "lines", &v) == 0)
		lines = v;
	if (store_stat_get(s, "events", &v) == 0)
		events = v;
	sbuf_init(&b);
	if (sqlite3_prepare_v2(store_db(s), "SELECT c.name, SUM(k.n) FROM counts k "
	    "JOIN classes c ON c.id = k.class_id WHERE k.bucket >= ?1 "
	    "GROUP BY c.name ORDER BY SUM(k.n) DESC, c.name", -1, &q, NULL) != SQLITE_OK) {
		fprintf(stderr, "eximwatch status: %s: %s\n", db, store_errmsg(s));
		store_close(s);
		sbuf_release(&b);
		return EX_IOERR;
	}
	sqlite3_bind_int64(q, 1, (int64_t)(now - 3600) - (now - 3600) % STORE_BUCKET_SECS);
	if (json) {
		sbuf_adds(&b, "{\"db\": ");
		json_cstr(&b, db);
		sbuf_adds(&b, ", \"following\": ");
		json_cstr(&b, path[0] ? path : NULL);
		sbuf_addf(&b, ", \"waiting_for_log\": %s, \"offset\": %lld, \"size\": %lld, "
		    "\"lag_bytes\": %lld, \"last_commit\": ", waiting ? "true" : "false",
		    offset, size, lag);
		if (last > 0)
			json_cstr(&b, time_iso((time_t)last, when, sizeof when));
		else
			sbuf_adds(&b, "null");
		sbuf_addf(&b, ", \"lines\": %lld, \"events\": %lld, \"last_hour\": {",
		    lines, events);
		while (sqlite3_step(q) == SQLITE_ROW) {
			sbuf_adds(&b, n++ ? ", " : "");
			json_cstr(&b, (const char *)sqlite3_column_text(q, 0));
			sbuf_addf(&b, ": %lld", (long long)sqlite3_column_int64(q, 1));
		}
		sbuf_adds(&b, "}}\n");
	} else {
		sbuf_addf(&b, "database     %s\n", db);
		sbuf_addf(&b, "following    %s%s\n", path[0] ? path : "(nothing yet: "
		    "is the daemon running?)", waiting ? " (waiting for it to appear)" : "");
		if (offset >= 0)
			sbuf_addf(&b, "offset       %lld of %lld bytes (%lld behind)\n",
			    offset, size, lag);
		if (last > 0) {
			strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S",
			    localtime(&(time_t){ (time_t)last }));
			duration_format(now - last > 0 ? now - last : 0, ago, sizeof ago);
			sbuf_addf(&b, "last commit  %s (%s ago)\n", when, ago);
		} else {
			sbuf_adds(&b, "last commit  never (the daemon has not run on this "
			    "database)\n");
		}
		sbuf_addf(&b, "read so far  %lld lines, %lld events\n\n", lines, events);
		sbuf_adds(&b, "events in the last hour:\n");
		while (sqlite3_step(q) == SQLITE_ROW) {
			sbuf_addf(&b, "  %-28s %8lld\n", sqlite3_column_text(q, 0),
			    (long long)sqlite3_column_int64(q, 1));
			n++;
		}
		if (n == 0)
			sbuf_adds(&b, "  (none)\n");
	}
	sqlite3_finalize(q);
	fputs(b.s, stdout);
	sbuf_release(&b);
	store_close(s);
	return 0;
usage:
	fprintf(stderr, "usage: eximwatch status [--db PATH] [--format table|json]\n");
	return EX_USAGE;
}
