/* metrics: the daemon's figures for Prometheus, as a node_exporter textfile.
 *
 * The daemon writes DIR/eximwatch.prom (the `metrics: {textfile_dir: DIR}`
 * setting) after each commit; node_exporter's textfile collector
 * (--collector.textfile.directory=DIR) serves it with its own metrics.
 * The file is replaced atomically: a temporary file in DIR, fsync, rename,
 * fsync of DIR, so a scrape never sees half a file.
 *
 * Counters are totals since the daemon started (Prometheus handles the
 * reset at a restart: rate() and increase() see it).  They are not read from
 * the counts table: retention prunes that, and a counter must never go down
 * while the process lives.  No label holds an IP or an account: one series
 * per class and per sink, so the number of series is fixed by the rules and
 * the configuration, never by what attackers send.
 *
 * Use by the daemon:
 *   m = metrics_new();  metrics_set_classes(m, names, n);   (again at reload)
 *   after each successful commit:
 *     metrics_add_batch(m, committed_counter, names, n);
 *     metrics_load_alerts(m, store);                         (optional)
 *     metrics_snapshot(m, &snap);  snap.lines_read = ...;  metrics_write(dir, &snap);
 */
#ifndef EW_METRICS_H
#define EW_METRICS_H
#include <stddef.h>
#include <stdint.h>
#include "diag.h"

struct counter;
struct evlog;
struct store;
struct metrics;

#define METRICS_FILE "eximwatch.prom"

/* a labelled value: name is the label's value (a class or a sink) */
struct metrics_count {
	const char *name;
	uint64_t n;
};

/* what one write publishes; every pointer is borrowed */
struct metrics_snapshot {
	const struct metrics_count *classes;  /* eximwatch_events_total{class} */
	size_t nclasses;
	const struct metrics_count *sinks;    /* eximwatch_delivery_failures_total{sink} */
	size_t nsinks;
	uint64_t lines_read;                  /* eximwatch_lines_read_total */
	uint64_t suspicious_unmatched;        /* eximwatch_lines_unmatched_suspicious_total */
	uint64_t oversized;                   /* eximwatch_oversized_lines_total */
	uint64_t binary;                      /* eximwatch_binary_lines_total */
	uint64_t bytes_behind;                /* eximwatch_bytes_behind (log size - position) */
	uint64_t alerts_firing;               /* eximwatch_alerts_firing */
	uint64_t outbox_depth;                /* eximwatch_outbox_depth (pending notifications) */
	int64_t last_commit;                  /* eximwatch_last_commit_timestamp_seconds; 0 = none */
};

/* metrics_format: the exposition text of s into a malloc'ed string (the
 * caller frees it); *len gets its length */
char *metrics_format(const struct metrics_snapshot *s, size_t *len);
/* metrics_write: replace dir/eximwatch.prom atomically with s (mode 0644).
 * 0, or -1 with errno set; the temporary file is removed on failure. */
int metrics_write(const char *dir, const struct metrics_snapshot *s);

/* The per-class totals and the alert figures between two writes. */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);
/* metrics_set_classes: every class of the rule set gets a series (0 until
 * its first event); totals of known classes are kept (a reload) */
void metrics_set_classes(struct metrics *m, const char *const *names, size_t n);
/* metrics_add_batch: add a committed batch (class indexes map to
 * class_names[0..nclasses)); call it once per batch, after the commit */
void metrics_add_batch(struct metrics *m, const struct counter *batch,
    const char *const *class_names, size_t nclasses);
/* metrics_add_events: the same for a batch of events (evlog.h) */
void metrics_add_events(struct metrics *m, const struct evlog *batch,
    const char *const *class_names, size_t nclasses);
/* metrics_load_alerts: firing alerts, pending notifications and failed
 * delivery attempts per sink from the alerts/outbox tables (zeros when the
 * database has none); 0 or -1 (SQLite error, the old figures stay) */
int metrics_load_alerts(struct metrics *m, struct store *s);
/* metrics_snapshot: s gets the classes and alert figures held by m (valid
 * until the next call on m) and zeros for the rest, for the caller to fill */
void metrics_snapshot(const struct metrics *m, struct metrics_snapshot *s);

/* The `metrics` section of eximwatch.yaml:
 *   metrics:
 *     textfile_dir: /var/lib/prometheus/node-exporter
 * config.c accepts the key and leaves it to this loader. */
struct metrics_conf {
	char *textfile_dir;       /* NULL = no metrics file */
};

/* metrics_conf_load: read the section from path (NULL: no file, disabled);
 * 0, or -1 with every error in d.  Release with metrics_conf_release. */
int metrics_conf_load(struct metrics_conf *mc, const char *path, struct diag *d);
void metrics_conf_release(struct metrics_conf *mc);

#endif
