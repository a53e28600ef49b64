/* test_metrics: the node_exporter textfile writer */
#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "counter.h"
#include "diag.h"
#include "metrics.h"
#include "store.h"
#include "tap.h"

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	if (fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	return buf;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	fputs(text, fp);
	fclose(fp);
}

static const char expected[] =
	"# HELP eximwatch_events_total Exim log events classified, by class, since the daemon started.\n"
	"# TYPE eximwatch_events_total counter\n"
	"eximwatch_events_total{class=\"auth_failed\"} 7\n"
	"eximwatch_events_total{class=\"odd\\\"q\\\\b\\nx\"} 0\n"
	"# HELP eximwatch_lines_read_total Log lines read since the daemon started.\n"
	"# TYPE eximwatch_lines_read_total counter\n"
	"eximwatch_lines_read_total 1000\n"
	"# HELP eximwatch_lines_unmatched_suspicious_total Lines that read like a rejection or failure but matched no rule.\n"
	"# TYPE eximwatch_lines_unmatched_suspicious_total counter\n"
	"eximwatch_lines_unmatched_suspicious_total 3\n"
	"# HELP eximwatch_oversized_lines_total Lines longer than max_line, counted and skipped.\n"
	"# TYPE eximwatch_oversized_lines_total counter\n"
	"eximwatch_oversized_lines_total 1\n"
	"# HELP eximwatch_binary_lines_total Lines holding NUL bytes (Exim writes none), counted as they are.\n"
	"# TYPE eximwatch_binary_lines_total counter\n"
	"eximwatch_binary_lines_total 2\n"
	"# HELP eximwatch_bytes_behind Bytes of the followed log not read yet (size minus position).\n"
	"# TYPE eximwatch_bytes_behind gauge\n"
	"eximwatch_bytes_behind 4096\n"
	"# HELP eximwatch_alerts_firing Alerts currently firing.\n"
	"# TYPE eximwatch_alerts_firing gauge\n"
	"eximwatch_alerts_firing 2\n"
	"# HELP eximwatch_outbox_depth Notifications waiting to be delivered.\n"
	"# TYPE eximwatch_outbox_depth gauge\n"
	"eximwatch_outbox_depth 5\n"
	"# HELP eximwatch_delivery_failures_total Failed attempts to deliver a notification, by sink.\n"
	"# TYPE eximwatch_delivery_failures_total counter\n"
	"eximwatch_delivery_failures_total{sink=\"ops-slack\"} 4\n"
	"# HELP eximwatch_last_commit_timestamp_seconds Unix time of the last commit of counts to the database.\n"
	"# TYPE eximwatch_last_commit_timestamp_seconds gauge\n"
	"eximwatch_last_commit_timestamp_seconds 1795000000\n";

static void test_format_and_write(const char *tmp)
{
	struct metrics_count cls[] = { { "auth_failed", 7 }, { "odd\"q\\b\nx", 0 } };
	struct metrics_count sinks[] = { { "ops-slack", 4 } };
	struct metrics_snapshot s;
	char path[512], *text, *got;
	struct stat st;
	size_t len;

	memset(&s, 0, sizeof s);
	s.classes = cls;
	s.nclasses = 2;
	s.sinks = sinks;
	s.nsinks = 1;
	s.lines_read = 1000;
	s.suspicious_unmatched = 3;
	s.oversized = 1;
	s.binary = 2;
	s.bytes_behind = 4096;
	s.alerts_firing = 2;
	s.outbox_depth = 5;
	s.last_commit = 1795000000;
	text = metrics_format(&s, &len);
	is_str(text, expected, "format: every family with HELP and TYPE, labels escaped");
	is_int((long long)len, (long long)strlen(expected), "format: length");

	is_int(metrics_write(tmp, &s), 0, "write: 0");
	snprintf(path, sizeof path, "%s/eximwatch.prom", tmp);
	got = slurp(path);
	is_str(got, text, "write: the file holds the formatted text");
	free(got);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644,
	    "write: mode 0644 (node_exporter runs as another user)");
	is_int(count_entries(tmp), 1, "write: no temporary file left");

	/* a second write replaces the file */
	s.nsinks = 0;
	s.lines_read = 2000;
	is_int(metrics_write(tmp, &s), 0, "write again: 0");
	got = slurp(path);
	ok(got && strstr(got, "eximwatch_lines_read_total 2000\n") &&
	    !strstr(got, "delivery_failures"),
	    "write again: new figures; a family without series is left out");
	free(got);
	is_int(count_entries(tmp), 1, "write again: still one file");
	free(text);

	snprintf(path, sizeof path, "%s/missing", tmp);
	errno = 0;
	ok(metrics_write(path, &s) == -1 && errno == ENOENT,
	    "write into a missing directory: -1, ENOENT");
	if (geteuid() != 0) {
		snprintf(path, sizeof path, "%s/ro", tmp);
		mkdir(path, 0555);
		ok(metrics_write(path, &s) == -1 && errno == EACCES,
		    "write into a read-only directory: -1, EACCES");
		is_int(count_entries(path), 0, "read-only directory: nothing left");
		rmdir(path);
	}
}

static void test_batches(void)
{
	const char *names[] = { "auth_failed", "relay_denied", "dnsbl" };
	const char *names2[] = { "dnsbl", "auth_failed", "new_class" };
	struct metrics *m = metrics_new();
	struct metrics_snapshot s;
	struct counter *c = counter_new();

	metrics_set_classes(m, names, 3);
	metrics_snapshot(m, &s);
	is_int((long long)s.nclasses, 3, "every class has a series before its first event");
	ok(s.classes[0].n == 0 && s.classes[2].n == 0, "... at 0");

	counter_add(c, 60, 0, "192.0.2.1", 9, "a@example.com", 13, 2);
	counter_add(c, 60, 0, "192.0.2.2", 9, "", 0, 3);
	counter_add(c, 120, 2, "", 0, "", 0, 1);
	metrics_add_batch(m, c, names, 3);
	metrics_snapshot(m, &s);
	ok(s.classes[0].n == 5 && s.classes[1].n == 0 && s.classes[2].n == 1,
	    "a batch adds per class, whatever the ip and account");

	/* a reload renumbers the classes; totals stay with the names */
	metrics_set_classes(m, names2, 3);
	counter_clear(c);
	counter_add(c, 180, 0, "", 0, "", 0, 10);   /* dnsbl */
	counter_add(c, 180, 2, "", 0, "", 0, 4);    /* new_class */
	metrics_add_batch(m, c, names2, 3);
	metrics_snapshot(m, &s);
	is_int((long long)s.nclasses, 4, "reload: a new class is added, an old one kept");
	ok(s.classes[0].n == 5 && s.classes[1].n == 0 && s.classes[2].n == 11 &&
	    strcmp(s.classes[3].name, "new_class") == 0 && s.classes[3].n == 4,
	    "reload: totals follow the class names");
	counter_free(c);
	metrics_free(m);
}

static void test_alerts(const char *tmp)
{
	struct metrics *m = metrics_new();
	struct metrics_snapshot s;
	struct store *st;
	struct diag d;
	char path[512];

	diag_init(&d);
	snprintf(path, sizeof path, "%s/m.db", tmp);
	st = store_open(path, STORE_CREATE, &d);
	ok(st != NULL, "store opens");
	if (st == NULL) {
		diag_print(&d, stderr);
		return;
	}
	is_int(metrics_load_alerts(m, st), 0, "alerts: an empty database");
	metrics_snapshot(m, &s);
	ok(s.alerts_firing == 0 && s.outbox_depth == 0 && s.nsinks == 0, "... all zero");
	if (sqlite3_exec(store_db(st),
	    "INSERT INTO alerts (threshold, grp, grp_kind, severity, state, "
	    "  started_at, value, peak) VALUES "
	    "('bf', '192.0.2.1', 'ip', 'warning', 'firing', 1, 30, 30),"
	    "('bf', '192.0.2.2', 'ip', 'warning', 'firing', 1, 30, 30),"
	    "('bf', '192.0.2.3', 'ip', 'warning', 'resolved', 1, 30, 30);"
	    "INSERT INTO outbox (sink, threshold, kind, body, created, status, attempts) VALUES "
	    "('slack', 'bf', 'firing', '', 1, 'delivered', 1),"
	    "('slack', 'bf', 'firing', '', 1, 'delivered', 3),"
	    "('slack', 'bf', 'firing', '', 1, 'pending', 2),"
	    "('hook', 'bf', 'firing', '', 1, 'failed', 5),"
	    "('hook', 'bf', 'firing', '', 1, 'pending', 0);",
	    NULL, NULL, NULL) != SQLITE_OK) {
		ok(0, "alerts: fill the tables: %s", sqlite3_errmsg(store_db(st)));
	} else {
		is_int(metrics_load_alerts(m, st), 0, "alerts: load");
		metrics_snapshot(m, &s);
		is_int((long long)s.alerts_firing, 2, "alerts: firing counted, resolved not");
		is_int((long long)s.outbox_depth, 2, "outbox: pending notifications");
		ok(s.nsinks == 2 && strcmp(s.sinks[0].name, "hook") == 0 &&
		    s.sinks[0].n == 5 && strcmp(s.sinks[1].name, "slack") == 0 &&
		    s.sinks[1].n == 4, "delivery failures: failed attempts per sink");
	}
	store_close(st);
	diag_release(&d);
	metrics_free(m);
}

static void test_conf(const char *tmp)
{
	struct metrics_conf mc;
	struct diag d;
	char path[512];

	snprintf(path, sizeof path, "%s/c.yaml", tmp);
	diag_init(&d);
	is_int(metrics_conf_load(&mc, NULL, &d), 0, "conf: no file");
	ok(mc.textfile_dir == NULL, "... no metrics");

	write_file(path, "log: /x\nmetrics:\n  textfile_dir: /var/lib/prometheus/node-exporter\n");
	is_int(metrics_conf_load(&mc, path, &d), 0, "conf: textfile_dir");
	is_str(mc.textfile_dir, "/var/lib/prometheus/node-exporter", "... read");
	metrics_conf_release(&mc);

	write_file(path, "log: /x\n");
	is_int(metrics_conf_load(&mc, path, &d), 0, "conf: no metrics section");
	ok(mc.textfile_dir == NULL, "... disabled");

	write_file(path, "metrics:\n");
	is_int(metrics_conf_load(&mc, path, &d), 0, "conf: an empty section");
	ok(mc.textfile_dir == NULL, "... disabled");

	write_file(path, "metrics:\n  textfile_dir: relative/dir\n  port: 9100\n");
	is_int(metrics_conf_load(&mc, path, &d), -1, "conf: errors");
	is_int((long long)d.n, 2, "... every one of them");
	ok(d.n == 2 && d.items[0].line == 2 && d.items[0].col == 17 &&
	    strstr(d.items[0].msg, "absolute"), "... relative path at 2:17");
	ok(d.n == 2 && d.items[1].line == 3 && strstr(d.items[1].msg,
	    "unknown setting 'metrics.port'"), "... unknown key at line 3");
	metrics_conf_release(&mc);
	diag_release(&d);

	diag_init(&d);
	write_file(path, "metrics: [a]\n");
	is_int(metrics_conf_load(&mc, path, &d), -1, "conf: not a mapping");
	metrics_conf_release(&mc);
	diag_release(&d);
}

int main(void)
{
	char tmp[] = "/tmp/ewmetrics.XXXXXX", cmd[600];

	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_format_and_write(tmp);
	test_batches();
	test_alerts(tmp);
	test_conf(tmp);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmp);
	return done_testing();
}
