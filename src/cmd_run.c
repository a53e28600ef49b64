/* cmd_run: `eximwatch run` — the daemon.
 *
 * One event loop (loop.c): the tailer's inotify fd, a signalfd for
 * TERM/INT/HUP, and a one-shot flush timer armed only when lines arrived, so
 * an idle daemon sleeps.  A flush commits the counts and the tailer's file
 * positions in ONE transaction: a crash at any instant (kill -9) neither
 * loses nor double-counts a line.  SIGHUP builds a new rule set and swaps it
 * in only if it is valid; a bad reload logs every error and keeps the old. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "alertconf.h"
#include "cmds.h"
#include "config.h"
#include "counter.h"
#include "diag.h"
#include "diagconf.h"
#include "diagnose.h"
#include "diagnotify.h"
#include "domainlist.h"
#include "evidence.h"
#include "evlog.h"
#include "guard.h"
#include "kclient.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "owners.h"
#include "paths.h"
#include "pidfile.h"
#include "pipeline.h"
#include "rules.h"
#include "sender.h"
#include "store.h"
#include "tail.h"
#include "writer.h"
#include "xmalloc.h"

/* flush early, mid catch-up, when this many events, keys (counts kept from
 * a failed commit) or bytes are buffered: bounds the daemon's memory, with
 * the writer's queue (writer.h) of such batches */
#define FLUSH_ROWS 16384
#define FLUSH_EVENTS 8192
#define FLUSH_BYTES (4u << 20)
#define PRUNE_EVERY 3600        /* seconds between day rollups and prunes */
#define EVIDENCE_EVERY 60       /* seconds: the evidence of the hour so far
                                 * is written at least this often */

struct daemon {
	struct config cfg;
	const char *config_path;
	int config_explicit;
	struct rules *rules;
	struct store *store;
	struct counter *counter;   /* counted here, for the next flush */
	struct evlog *events;      /* the events since, not counted yet */
	struct evidence *evidence; /* known clients and details (evidence.h) */
	time_t last_evidence;      /* the last write of all of it */
	struct pipeline *pipe;
	struct tail *tail;
	struct loop *loop;
	int sigfd, timerfd;
	int timer_armed;
	int failed;                 /* a commit failed: retry on the next flush */
	int meta_dirty;             /* status (followed file, waiting) changed */
	/* bulk mode (a catch-up or a burst): batches go to a writer thread so
	 * reading goes on while SQLite works; wfiles is the positions array last
	 * handed to it, valid until the next public tail_* call, into which the
	 * ids the writer gave new files are put back for the tailer to learn */
	struct writer *writer;
	struct store_file *wfiles;
	size_t nwfiles;
	int waiting;                /* the log was missing at the last look */
	uint64_t pending;           /* lines since the last commit */
	struct pipeline_stats last;
	time_t last_prune;
	int exit_code;
	int stopping;               /* the last flush: write everything */
	struct alertconf ac;        /* alerts: thresholds and sinks */
	struct owners *owners;
	struct alert_engine *alerts;
	struct sender *sender;
	struct guard *guard;        /* what acting sinks must never get */
	struct kclient *kclient;    /* the guard's known clients */
	int alert_tfd;
	struct diagconf dc;         /* the diagnose: section */
	struct diagnotify *dn;      /* findings and their notifications */
	struct domainlist *local, *remote;   /* dc.localdomains, remotedomains */
	time_t last_diag;           /* the last diagnosis committed */
	uint64_t diag_lines;        /* lines read at that diagnosis */
	int diag_tfd;               /* the next diagnosis */
	struct metrics *metrics;    /* NULL: no metrics.textfile_dir */
	struct metrics_conf mc;
	int metrics_failed;         /* the last write failed (logged once) */
	int history_failed;         /* the first start's note was not stored */
	time_t last_commit;
	struct pidfile *pidfile;    /* held while the daemon runs */
};

static void flush(struct daemon *dm);

/* diag_wanted: something to diagnose: lines since the last diagnosis, or
 * findings that may resolve (an idle daemon without findings sleeps) */
static int diag_wanted(const struct daemon *dm)
{
	return dm->dc.enabled && dm->dn && (dm->last_diag == 0 ||
	    pipeline_stats(dm->pipe)->lines != dm->diag_lines ||
	    diagnotify_firing(dm->dn, NULL) > 0);
}

/* diag_due: time for a diagnosis */
static int diag_due(const struct daemon *dm)
{
	return diag_wanted(dm) && time(NULL) - dm->last_diag >= dm->dc.interval;
}

/* arm_diag: the timer for the next diagnosis, if one is wanted */
static void arm_diag(struct daemon *dm)
{
	int64_t wait;

	if (dm->diag_tfd < 0)
		return;
	if (!diag_wanted(dm)) {
		loop_timer_arm(dm->diag_tfd, 0);
		return;
	}
	wait = dm->dc.interval - (int64_t)(time(NULL) - dm->last_diag);
	loop_timer_arm(dm->diag_tfd, wait > 0 ? wait * 1000 : 1);
}

static void on_diag_timer(void *arg, int fd, uint32_t events)
{
	(void)events;
	loop_timer_ack(fd);
	flush(arg);
}

/* load_domains: /etc/localdomains and /etc/remotedomains, for
 * missing_localdomains (said once when localdomains cannot be read) */
static void load_domains(struct daemon *dm)
{
	struct diag d;

	domainlist_free(dm->local);
	domainlist_free(dm->remote);
	diag_init(&d);
	if ((dm->local = domainlist_load(dm->dc.localdomains, &d)) == NULL &&
	    dm->dc.enabled) {
		if (access(dm->dc.localdomains, F_OK) != 0 && errno == ENOENT)
			log_warnx("%s does not exist (not a cPanel server?); "
			    "missing_localdomains is not diagnosed",
			    dm->dc.localdomains);
		else
			log_warnx("%s: %s; missing_localdomains is not "
			    "diagnosed", dm->dc.localdomains, d.items[0].msg);
	}
	diag_release(&d);
	diag_init(&d);
	dm->remote = domainlist_load(dm->dc.remotedomains, &d);
	diag_release(&d);
}

/* diagnose: judge the last window and update the findings (inside the
 * commit's transaction: its state and notifications commit with it) */
static int diagnose(struct daemon *dm, time_t now)
{
	struct diagnose_input in;
	struct findings f;

	memset(&in, 0, sizeof in);
	in.since = now - (time_t)dm->dc.window;
	in.until = now;
	in.conf = &dm->dc;
	in.owners = owners_count(dm->owners) ? dm->owners : NULL;
	in.local = dm->local;
	in.remote = dm->remote;
	if (diagnose_run(dm->store, &in, &f) < 0) {
		findings_release(&f);
		return -1;
	}
	diagnotify_update(dm->dn, &f, (int64_t)now);
	findings_release(&f);
	return diagnotify_write(dm->dn, dm->store);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* the alert timer: batches due, resolves and repeats need a commit even
 * when no line arrives */
static void arm_alerts(struct daemon *dm)
{
	int64_t ms = alert_next_ms(dm->alerts, now_ms());

	loop_timer_arm(dm->alert_tfd, ms < 0 ? 0 : ms);
}

static void on_alert_timer(void *arg, int fd, uint32_t events)
{
	(void)events;
	loop_timer_ack(fd);
	flush(arg);
}

static void on_event(void *arg, const struct event *ev,
    const struct eximlog_line *ln, const char *line, size_t len)
{
	struct daemon *dm = arg;

	(void)line;
	(void)len;
	alert_event(dm->alerts, ev, ln, time(NULL));
}

static void on_outbox(void *arg, int64_t id, const char *sink,
    const char *body, size_t len, int64_t created)
{
	struct daemon *dm = arg;

	sender_add(dm->sender, id, sink, body, len, created);
}

/* load_alerts: the alert sections of the configuration, checked against
 * the rule set; 0 or -1 with every error in d */
static int load_alerts(struct alertconf *ac, const struct config *c,
    const struct rules *r, struct diag *d)
{
	int bad = alertconf_load(ac, c->path, d) < 0;

	ac->prefix_v4 = c->prefix_v4;
	ac->prefix_v6 = c->prefix_v6;
	ac->known_client_days = c->known_client_days;

	/* report unknown classes along with the other errors */
	if (r && alertconf_check_classes(ac, r, d) < 0)
		bad = 1;
	if (bad)
		return -1;
	if (ac->inline_secrets && c->world_readable)
		log_warnx("%s is readable by everyone and holds secrets (webhook "
		    "URLs or keys): chmod 640 it, or use url_file/secret_file/_env",
		    c->path);
	return 0;
}

/* sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET */
static void notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	size_t n;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    (n = strlen(path)) >= sizeof sa.sun_path)
		return;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, n);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
	close(fd);
}

static void arm_flush(struct daemon *dm)
{
	if (dm->timer_armed)
		return;
	if (loop_timer_arm(dm->timerfd, dm->cfg.flush_ms) == 0)
		dm->timer_armed = 1;
}

static void on_line(void *arg, const char *line, size_t len, int oversized)
{
	struct daemon *dm = arg;

	pipeline_line(dm->pipe, line, len, oversized);
	dm->pending++;
}

/* bulk_settle: wait for the writer's last commit and hand the ids it gave
 * new files back to the tailer (bulk_end also gives the store back to this
 * thread).  A failed commit exits: the counts it held are gone, and a
 * restart resumes from the last commit, so nothing is lost or counted
 * twice. */
static void bulk_settle(struct daemon *dm)
{
	size_t i;

	if (writer_sync(dm->writer) < 0)
		fatalx(EX_IOERR, "%s: a commit failed; exiting to resume from the "
		    "last commit", store_path(dm->store));
	for (i = 0; i < dm->nwfiles; i++)
		if (dm->wfiles[i].id == 0)
			dm->wfiles[i].id = writer_file_id(dm->writer, &dm->wfiles[i]);
}

static void bulk_end(struct daemon *dm)
{
	if (dm->writer == NULL)
		return;
	bulk_settle(dm);
	writer_free(dm->writer);
	dm->writer = NULL;
	dm->wfiles = NULL;
	dm->nwfiles = 0;
}

/* on_split: a receiver refused a notification as too large; the alert
 * engine replaces it by smaller ones.  The store must be this thread's:
 * a catch-up's writer thread finishes first. */
static int on_split(void *arg, int64_t id, int64_t **ids)
{
	struct daemon *dm = arg;

	bulk_end(dm);
	return alert_split(dm->alerts, dm->store, id, ids);
}

/* bulk_flush: commit a full batch on the writer thread (counts, positions
 * and stats in one transaction, as flush() does); alerts, status and
 * metrics catch up at the next flush() */
static void bulk_flush(struct daemon *dm)
{
	const struct pipeline_stats *st = pipeline_stats(dm->pipe);
	struct writer_stats ws;
	struct store_file *files;
	size_t n;
	int rc;

	if (dm->writer != NULL) {
		size_t i;

		/* the previous batch's new ids must reach the tailer before it
		 * reports positions again; without new files the batches just
		 * queue up (and share transactions: writer.h) */
		for (i = 0; i < dm->nwfiles; i++)
			if (dm->wfiles[i].id == 0)
				break;
		if (i < dm->nwfiles)
			bulk_settle(dm);
	} else {
		dm->writer = writer_new(dm->store, rules_class_names(dm->rules),
		    rules_nclasses(dm->rules), dm->evidence);
	}
	n = tail_positions(dm->tail, &files);
	ws.lines = (int64_t)(st->lines - dm->last.lines);
	ws.events = (int64_t)(st->matched - dm->last.matched);
	ws.suspicious_unmatched = (int64_t)(st->suspicious - dm->last.suspicious);
	ws.oversized = (int64_t)(st->oversized - dm->last.oversized);
	ws.binary = (int64_t)(st->binary - dm->last.binary);
	if (counter_size(dm->counter) > 0) {
		/* counts kept from a failed flush: the events join them (and
		 * go along for their evidence) */
		evlog_count(dm->events, dm->counter);
		if (dm->metrics)
			metrics_add_batch(dm->metrics, dm->counter,
			    rules_class_names(dm->rules), rules_nclasses(dm->rules));
		rc = writer_submit(dm->writer, &dm->counter, dm->events, files, n,
		    &ws);
		pipeline_set_counter(dm->pipe, dm->counter);
	} else {
		/* the writer thread counts them (and parses their hosts) */
		if (dm->metrics)
			metrics_add_events(dm->metrics, dm->events,
			    rules_class_names(dm->rules), rules_nclasses(dm->rules));
		rc = writer_submit_events(dm->writer, dm->events, files, n, &ws);
	}
	if (rc < 0)
		fatalx(EX_IOERR, "%s: a commit failed; exiting to resume from the "
		    "last commit", store_path(dm->store));
	dm->wfiles = files;
	dm->nwfiles = n;
	dm->last = *st;
	dm->pending = 0;
	dm->meta_dirty = 1;
}

/* after a run of lines: positions are consistent with what was delivered,
 * so this is where a long catch-up flushes to keep memory bounded */
static void on_chunk(void *arg)
{
	struct daemon *dm = arg;

	if (evlog_size(dm->events) >= FLUSH_EVENTS ||
	    evlog_bytes(dm->events) >= FLUSH_BYTES ||
	    counter_size(dm->counter) >= FLUSH_ROWS ||
	    counter_bytes(dm->counter) >= FLUSH_BYTES)
		bulk_flush(dm);
	if (dm->pending || dm->meta_dirty)
		arm_flush(dm);
}

/* the rotated generations there at the first start (tail.h): committed
 * before the first line is counted */
static int on_history(void *arg, const char *history)
{
	struct daemon *dm = arg;

	if (store_begin(dm->store) < 0 ||
	    store_meta_set(dm->store, "daemon.history", history) < 0 ||
	    store_commit(dm->store) < 0) {
		log_warnx("%s: cannot record the log's history: %s",
		    store_path(dm->store), store_errmsg(dm->store));
		store_rollback(dm->store);
		dm->history_failed = 1;
		return -1;
	}
	return 0;
}

static void save_meta(struct daemon *dm)
{
	struct tail_status st;
	char buf[64];

	tail_status(dm->tail, &st);
	snprintf(buf, sizeof buf, "%lld", (long long)time(NULL));
	store_meta_set(dm->store, "daemon.last_commit", buf);
	store_meta_set(dm->store, "daemon.following", st.path);
	snprintf(buf, sizeof buf, "%" PRIu64, st.offset);
	store_meta_set(dm->store, "daemon.offset", buf);
	snprintf(buf, sizeof buf, "%" PRIu64, st.size);
	store_meta_set(dm->store, "daemon.size", buf);
	store_meta_set(dm->store, "daemon.waiting", st.waiting ? "1" : "0");
	/* `status` calls a commit stale after 20 of these */
	snprintf(buf, sizeof buf, "%" PRId64, dm->cfg.flush_ms);
	store_meta_set(dm->store, "daemon.flush_ms", buf);
}

/* write_metrics: the Prometheus textfile, after a commit (and at start) */
static void write_metrics(struct daemon *dm)
{
	const struct pipeline_stats *st = pipeline_stats(dm->pipe);
	struct metrics_snapshot snap;
	struct tail_status ts;

	if (dm->metrics == NULL)
		return;
	if (metrics_load_alerts(dm->metrics, dm->store) < 0 && !dm->metrics_failed)
		log_warnx("metrics: reading the alert tables: %s",
		    store_errmsg(dm->store));
	metrics_snapshot(dm->metrics, &snap);
	tail_status(dm->tail, &ts);
	snap.lines_read = st->lines;
	snap.suspicious_unmatched = st->suspicious;
	snap.oversized = st->oversized;
	snap.binary = st->binary;
	snap.bytes_behind = ts.size > ts.offset ? ts.size - ts.offset : 0;
	snap.last_commit = dm->last_commit;
	if (metrics_write(dm->mc.textfile_dir, &snap) < 0) {
		if (!dm->metrics_failed)
			log_warn("%s/%s: cannot write the metrics (retrying after "
			    "each commit)", dm->mc.textfile_dir, METRICS_FILE);
		dm->metrics_failed = 1;
	} else if (dm->metrics_failed) {
		log_info("%s/%s: metrics written again", dm->mc.textfile_dir,
		    METRICS_FILE);
		dm->metrics_failed = 0;
	}
}

static void flush(struct daemon *dm)
{
	const struct pipeline_stats *st = pipeline_stats(dm->pipe);
	struct store_file *files;
	int64_t *ids = NULL;
	size_t n, i;
	int ok = 0, force, due;

	bulk_end(dm);
	/* the events since the last batch, counted here (failed commits keep
	 * their counts in dm->counter, and the evidence its own, and retry) */
	evlog_count(dm->events, dm->counter);
	evidence_add_events(dm->evidence, dm->events, 1);
	evlog_clear(dm->events);
	due = diag_due(dm) && !dm->stopping;
	/* a diagnosis wants the evidence of the hour so far */
	force = time(NULL) - dm->last_evidence >= EVIDENCE_EVERY ||
	    dm->stopping || due;
	alert_evaluate(dm->alerts, now_ms());
	n = tail_positions(dm->tail, &files);
	if (n == 0 && counter_size(dm->counter) == 0 && !dm->meta_dirty &&
	    st->lines == dm->last.lines && !alert_dirty(dm->alerts) && !due &&
	    !(dm->dn && diagnotify_dirty(dm->dn))) {
		arm_alerts(dm);
		return;
	}
	ids = xcalloc(n ? n : 1, sizeof *ids);
	for (i = 0; i < n; i++)
		ids[i] = files[i].id;
	if (store_begin(dm->store) < 0)
		goto out;
	if (store_add_counts(dm->store, dm->counter, rules_class_names(dm->rules),
	    rules_nclasses(dm->rules)) < 0)
		goto out;
	if (evidence_write(dm->evidence, dm->store, force) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (store_file_save(dm->store, &files[i]) < 0)
			goto out;
	if (store_stat_add(dm->store, "lines", (int64_t)(st->lines - dm->last.lines)) < 0 ||
	    store_stat_add(dm->store, "events", (int64_t)(st->matched - dm->last.matched)) < 0 ||
	    store_stat_add(dm->store, "suspicious_unmatched",
	    (int64_t)(st->suspicious - dm->last.suspicious)) < 0 ||
	    store_stat_add(dm->store, "oversized",
	    (int64_t)(st->oversized - dm->last.oversized)) < 0 ||
	    store_stat_add(dm->store, "binary",
	    (int64_t)(st->binary - dm->last.binary)) < 0)
		goto out;
	if (alert_write(dm->alerts, dm->store, time(NULL)) < 0)
		goto out;
	if (due ? diagnose(dm, time(NULL)) < 0 : (dm->dn &&
	    diagnotify_dirty(dm->dn) && diagnotify_write(dm->dn, dm->store) < 0))
		goto out;
	save_meta(dm);
	/* hourly: the days that are over rolled up (rollup.h), the counts
	 * older than the retention pruned */
	if (time(NULL) - dm->last_prune >= PRUNE_EVERY) {
		if (store_rollup_days(dm->store, time(NULL)) < 0)
			goto out;
		if (dm->cfg.retention > 0 && store_prune(dm->store, time(NULL) -
		    dm->cfg.retention) < 0)
			goto out;
		dm->last_prune = time(NULL);
	}
	if (store_commit(dm->store) < 0)
		goto out;
	ok = 1;
	if (force)
		dm->last_evidence = time(NULL);
	if (due) {
		dm->last_diag = time(NULL);
		dm->diag_lines = st->lines;
	}
out:
	evidence_done(dm->evidence, ok);
	alert_written(dm->alerts, ok);    /* ok: the sender gets the new rows */
	if (dm->dn)
		diagnotify_written(dm->dn, ok);
	arm_alerts(dm);
	arm_diag(dm);
	if (!ok) {
		/* keep the counts and redo everything at the next flush; ids
		 * inserted by the rolled-back transaction do not exist */
		if (!dm->failed)
			log_warnx("%s: commit failed (%s); keeping the counts in memory "
			    "and retrying", store_path(dm->store), store_errmsg(dm->store));
		store_rollback(dm->store);
		for (i = 0; i < n; i++)
			files[i].id = ids[i];
		dm->failed = 1;
		tail_requeue(dm->tail);
		arm_flush(dm);
	} else {
		if (dm->failed)
			log_info("%s: commits work again", store_path(dm->store));
		dm->failed = 0;
		dm->meta_dirty = 0;
		dm->last = *st;
		dm->pending = 0;
		dm->last_commit = time(NULL);
		if (dm->metrics) {
			metrics_add_batch(dm->metrics, dm->counter,
			    rules_class_names(dm->rules), rules_nclasses(dm->rules));
			write_metrics(dm);
		}
		counter_clear(dm->counter);
	}
	free(ids);
}

/* note_waiting: `status` shows whether the log is missing, so a change of
 * that is worth a commit of its own */
static void note_waiting(struct daemon *dm)
{
	struct tail_status ts;

	tail_status(dm->tail, &ts);
	if (ts.waiting != dm->waiting) {
		dm->waiting = ts.waiting;
		dm->meta_dirty = 1;
	}
}

static void on_timer(void *arg, int fd, uint32_t events)
{
	struct daemon *dm = arg;

	(void)events;
	loop_timer_ack(fd);
	dm->timer_armed = 0;
	flush(dm);
}

static void on_tail(void *arg, int fd, uint32_t events)
{
	struct daemon *dm = arg;

	(void)fd;
	(void)events;
	if (tail_process(dm->tail) < 0) {
		dm->exit_code = EX_NOINPUT;
		flush(dm);
		loop_stop(dm->loop);
		return;
	}
	/* the next public tail_* call drops the positions array the writer's
	 * new ids go into */
	bulk_end(dm);
	note_waiting(dm);
	if (dm->pending || dm->meta_dirty)
		arm_flush(dm);
}

static struct rules *load_rules(const struct config *c, struct diag *d)
{
	struct rules_source src;

	memset(&src, 0, sizeof src);
	src.dirs = (const char *const *)c->rule_dirs;
	src.disable = (const char *const *)c->disable;
	src.disable_file = c->path;
	src.disable_line = c->disable_line;
	src.disable_col = c->disable_col;
	return rules_load(&src, d);
}

static void reload(struct daemon *dm)
{
	struct config nc;
	struct rules *nr;
	struct alertconf nac;
	struct diagconf ndc;
	struct owners *no;
	struct diag d, od;
	size_t n0;

	diag_init(&d);
	log_info("reloading %s", dm->config_path);
	if (config_load(&nc, dm->config_path, !dm->config_explicit, &d) < 0) {
		diag_log(&d, 0);
		log_warnx("reload failed: configuration errors; the old configuration "
		    "and rules stay in use");
		config_release(&nc);
		diag_release(&d);
		return;
	}
	if ((nr = load_rules(&nc, &d)) == NULL) {
		diag_log(&d, 0);
		log_warnx("reload failed: %zu rule error(s); the old rules stay in use",
		    d.n);
		config_release(&nc);
		diag_release(&d);
		return;
	}
	n0 = d.n;
	memset(&ndc, 0, sizeof ndc);
	if (load_alerts(&nac, &nc, nr, &d) < 0 ||
	    diagconf_load(&ndc, nc.path, &nac, &d) < 0) {
		diag_log(&d, n0);
		log_warnx("reload failed: alert or diagnose configuration errors; "
		    "the old configuration stays in use");
		alertconf_release(&nac);
		diagconf_release(&ndc);
		rules_free(nr);
		config_release(&nc);
		diag_release(&d);
		return;
	}
	ndc.known_client_days = nc.known_client_days;
	/* the buffered counts use the old rule set's class numbers */
	flush(dm);
	if (dm->failed) {
		log_warnx("reload postponed: the database is not writable right now");
		alertconf_release(&nac);
		diagconf_release(&ndc);
		rules_free(nr);
		config_release(&nc);
		diag_release(&d);
		return;
	}
	diag_init(&od);
	if ((no = owners_load(nc.userdomains, &od)) == NULL)
		no = owners_new_empty();
	diag_release(&od);
	/* the engine keeps the state of thresholds whose shape is unchanged;
	 * it and the sender point into the alertconf's arrays, which move
	 * with the struct into dm->ac */
	alert_set_rules(dm->alerts, nr);
	alert_reconfigure(dm->alerts, &nac, no);
	owners_free(dm->owners);
	dm->owners = no;
	alertconf_release(&dm->ac);
	dm->ac = nac;
	alert_reconfigure(dm->alerts, &dm->ac, dm->owners);
	guard_set_conf(dm->guard, &dm->ac);
	sender_set_conf(dm->sender, &dm->ac);
	diagconf_release(&dm->dc);
	dm->dc = ndc;
	diagnotify_reconfigure(dm->dn, &dm->dc, &dm->ac);
	load_domains(dm);
	arm_diag(dm);
	pipeline_set_rules(dm->pipe, nr);
	evidence_set_classes(dm->evidence, rules_class_names(nr),
	    rules_nclasses(nr));
	if (dm->metrics)
		metrics_set_classes(dm->metrics, rules_class_names(nr),
		    rules_nclasses(nr));
	rules_free(dm->rules);
	dm->rules = nr;
	if (strcmp(nc.log, dm->cfg.log) != 0 || strcmp(nc.db, dm->cfg.db) != 0)
		log_warnx("reload: a new 'log' or 'db' takes effect at the next restart");
	dm->cfg.flush_ms = nc.flush_ms;
	dm->cfg.retention = nc.retention;
	config_set(&dm->cfg.userdomains, nc.userdomains);
	config_release(&nc);
	diag_release(&d);
	log_info("reloaded: %zu rules, %zu thresholds, %zu sinks",
	    rules_nclasses(dm->rules), dm->ac.nth, dm->ac.nsinks);
}

static void on_signal(void *arg, int fd, uint32_t events)
{
	struct daemon *dm = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
		switch (si.ssi_signo) {
		case SIGHUP:
			reload(dm);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("signal %d: flushing and exiting", (int)si.ssi_signo);
			notify("STOPPING=1");
			dm->stopping = 1;
			flush(dm);
			if (dm->failed)
				dm->exit_code = EX_IOERR;
			loop_stop(dm->loop);
			return;
		default:
			break;
		}
	}
}

static const char usage_line[] =
    "usage: eximwatch run [--config FILE] [--log PATH] [--db PATH] "
    "[--syslog] [-v]";

static void help(void)
{
	printf("%s\n\n"
	    "The daemon (in the foreground, for systemd): follows Exim's main log\n"
	    "through every rotation, commits the counts and its position in one\n"
	    "transaction at least every flush_interval, evaluates the alert\n"
	    "thresholds and notifies the sinks.  Prints \"ready\" once it\n"
	    "follows the log; SIGHUP reloads the configuration and rules (a bad\n"
	    "one is refused), SIGTERM commits and exits.  It holds the pid file\n"
	    "<db>.pid while it runs (`eximwatch status` reads it): one daemon per\n"
	    "database.\n\n"
	    "  --config FILE       configuration (default %s)\n"
	    "  --log PATH          the log to follow (overrides 'log:')\n"
	    "  --db PATH           database (overrides 'db:')\n"
	    "  --syslog            log to syslog (LOG_MAIL), not stderr\n"
	    "  -v, --verbose       more in the log: each delivered notification,\n"
	    "                      every retry\n"
	    "  -h, --help          this help\n\n"
	    "Exit status: 0 after SIGTERM; 66 the log cannot be read; 73 the pid\n"
	    "file cannot be written; 74 a database error; 75 another daemon uses\n"
	    "the database; 78 a configuration error; 64 usage.\n",
	    usage_line, paths_default_config());
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "log", required_argument, NULL, 'l' },
		{ "db", required_argument, NULL, 'd' },
		{ "syslog", no_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct daemon dm;
	struct diag d;
	struct tail_opts to;
	struct store_file *known = NULL;
	size_t nknown = 0;
	char *history = NULL;
	const char *log_flag = NULL, *db_flag = NULL;
	int c, syslog_flag = 0, verbose = 0;
	pid_t other;
	sigset_t mask;

	memset(&dm, 0, sizeof dm);
	dm.sigfd = dm.timerfd = dm.alert_tfd = dm.diag_tfd = -1;
	dm.config_path = paths_default_config();
	diag_init(&d);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:l:d:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': dm.config_path = optarg; dm.config_explicit = 1; break;
		case 'l': log_flag = optarg; break;
		case 'd': db_flag = optarg; break;
		case 'S': syslog_flag = 1; break;
		case 'v': verbose = 1; break;
		case 'h':
			help();
			return 0;
		case ':':
			fprintf(stderr, "eximwatch run: option '%s' needs a value\n"
			    "%s\n", argv[optind - 1], usage_line);
			return EX_USAGE;
		default:
			fprintf(stderr, "eximwatch run: unknown option '%s'\n%s\n",
			    argv[optind - 1], usage_line);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "eximwatch run: unexpected argument '%s'\n%s\n",
		    argv[optind], usage_line);
		return EX_USAGE;
	}
	/* after the options: --help and usage errors hold nothing to free */
	diagconf_defaults(&dm.dc);
	if (config_load(&dm.cfg, dm.config_path, !dm.config_explicit, &d) < 0) {
		/* a file that parses: the other sections' errors too, every one
		 * at once (as check-config) */
		if (dm.cfg.path != NULL) {
			struct alertconf ac;

			alertconf_load(&ac, dm.cfg.path, &d);
			diagconf_release(&dm.dc);
			diagconf_load(&dm.dc, dm.cfg.path, &ac, &d);
			alertconf_release(&ac);
			diag_sort(&d);
		}
		diag_print(&d, stderr);
		dm.exit_code = EX_CONFIG;
		goto out;
	}
	if (log_flag)
		config_set(&dm.cfg.log, log_flag);
	if (db_flag)
		config_set(&dm.cfg.db, db_flag);
	log_init(syslog_flag || dm.cfg.syslog ? LOG_DEST_SYSLOG : LOG_DEST_STDERR,
	    verbose);
	if (dm.cfg.path == NULL)
		log_info("no configuration file at %s: running on built-in defaults",
		    dm.config_path);
	if ((dm.rules = load_rules(&dm.cfg, &d)) == NULL) {
		diag_print(&d, stderr);
		dm.exit_code = EX_CONFIG;
		goto out;
	}
	if (load_alerts(&dm.ac, &dm.cfg, dm.rules, &d) < 0) {
		diag_print(&d, stderr);
		dm.exit_code = EX_CONFIG;
		goto out;
	}
	if (metrics_conf_load(&dm.mc, dm.cfg.path, &d) < 0) {
		diag_print(&d, stderr);
		dm.exit_code = EX_CONFIG;
		goto out;
	}
	diagconf_release(&dm.dc);
	if (diagconf_load(&dm.dc, dm.cfg.path, &dm.ac, &d) < 0) {
		diag_print(&d, stderr);
		dm.exit_code = EX_CONFIG;
		goto out;
	}
	dm.dc.known_client_days = dm.cfg.known_client_days;
	if (dm.mc.textfile_dir) {
		dm.metrics = metrics_new();
		metrics_set_classes(dm.metrics, rules_class_names(dm.rules),
		    rules_nclasses(dm.rules));
	}
	if (!rules_jit(dm.rules))
		log_warnx("PCRE2 JIT is not available here: matching will be slower");
	if ((dm.store = store_open(dm.cfg.db, STORE_CREATE, &d)) == NULL) {
		diag_print(&d, stderr);
		dm.exit_code = EX_IOERR;
		goto out;
	}
	/* the pid file and its lock: `status` and one daemon per database */
	if ((dm.pidfile = pidfile_acquire(dm.cfg.db, &other, &d)) == NULL) {
		diag_print(&d, stderr);
		dm.exit_code = other ? EX_TEMPFAIL : EX_CANTCREAT;
		store_close(dm.store);
		dm.store = NULL;
		goto out;
	}
	if (store_file_list(dm.store, &known, &nknown) < 0 ||
	    store_meta_dup(dm.store, "daemon.history", &history) < 0) {
		log_warnx("%s: %s", dm.cfg.db, store_errmsg(dm.store));
		dm.exit_code = EX_IOERR;
		goto out;
	}
	dm.counter = counter_new();
	dm.events = evlog_new();
	dm.evidence = evidence_new(rules_class_names(dm.rules),
	    rules_nclasses(dm.rules));
	dm.last_evidence = time(NULL);
	dm.pipe = pipeline_new(dm.rules, dm.counter);
	pipeline_set_evlog(dm.pipe, dm.events);
	pipeline_count_binary(dm.pipe, 1);
	dm.loop = loop_new();
	if ((dm.owners = owners_load(dm.cfg.userdomains, &d)) == NULL) {
		size_t i;

		for (i = 0; i < dm.ac.nth; i++)
			if (dm.ac.th[i].by == BY_OWNER) {
				log_warnx("%s: cannot read it: threshold '%s' (by owner) "
				    "sees no owners", dm.cfg.userdomains, dm.ac.th[i].id);
				break;
			}
		diag_release(&d);
		diag_init(&d);
		dm.owners = owners_new_empty();
	}
	dm.alerts = alert_new(&dm.ac, dm.rules, dm.owners);
	if (dm.loop == NULL || alert_load(dm.alerts, dm.store, time(NULL)) < 0 ||
	    (dm.sender = sender_new(dm.loop, dm.store, &dm.ac)) == NULL ||
	    sender_load(dm.sender) < 0) {
		log_warnx("setting up alerts failed");
		dm.exit_code = dm.loop ? EX_IOERR : EX_OSERR;
		goto out;
	}
	alert_on_outbox(dm.alerts, on_outbox, &dm);
	dm.guard = guard_new(&dm.ac);
	dm.kclient = kclient_new(dm.store);
	guard_on_known(dm.guard, kclient_lookup, dm.kclient);
	alert_set_guard(dm.alerts, dm.guard);
	sender_on_split(dm.sender, on_split, &dm);
	dm.dn = diagnotify_new(&dm.dc, &dm.ac);
	diagnotify_on_outbox(dm.dn, on_outbox, &dm);
	if (diagnotify_load(dm.dn, dm.store) < 0) {
		dm.exit_code = EX_IOERR;
		goto out;
	}
	load_domains(&dm);
	pipeline_on_event(dm.pipe, on_event, &dm);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	dm.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	dm.timerfd = loop_timer_new();
	dm.alert_tfd = loop_timer_new();
	dm.diag_tfd = loop_timer_new();
	if (dm.loop == NULL || dm.sigfd < 0 || dm.timerfd < 0 ||
	    dm.alert_tfd < 0 || dm.diag_tfd < 0 ||
	    loop_add(dm.loop, dm.alert_tfd, EPOLLIN, on_alert_timer, &dm) < 0 ||
	    loop_add(dm.loop, dm.diag_tfd, EPOLLIN, on_diag_timer, &dm) < 0 ||
	    loop_add(dm.loop, dm.sigfd, EPOLLIN, on_signal, &dm) < 0 ||
	    loop_add(dm.loop, dm.timerfd, EPOLLIN, on_timer, &dm) < 0) {
		log_warn("setting up the event loop");
		dm.exit_code = EX_OSERR;
		goto out;
	}
	memset(&to, 0, sizeof to);
	to.path = dm.cfg.log;
	to.max_line = dm.cfg.max_line;
	to.on_line = on_line;
	to.on_chunk = on_chunk;
	to.on_history = on_history;
	to.arg = &dm;
	dm.tail = tail_new(&to);
	dm.last_prune = 0;
	if (tail_start(dm.tail, known, nknown, history) < 0) {
		dm.exit_code = dm.history_failed ? EX_IOERR : EX_NOINPUT;
		goto out;
	}
	if (loop_add(dm.loop, tail_fd(dm.tail), EPOLLIN, on_tail, &dm) < 0) {
		log_warn("watching the log");
		dm.exit_code = EX_OSERR;
		goto out;
	}
	dm.meta_dirty = 1;    /* status: what is followed, even with no data */
	note_waiting(&dm);
	flush(&dm);    /* what tail_start caught up with (and a diagnosis) */
	arm_diag(&dm);
	write_metrics(&dm);
	printf("ready\n");
	fflush(stdout);
	log_info("following %s, database %s", dm.cfg.log, dm.cfg.db);
	if (dm.ac.nth)
		log_info("alerts: %zu threshold(s), %zu sink(s)", dm.ac.nth,
		    dm.ac.nsinks);
	notify("READY=1");
	if (loop_run(dm.loop) < 0)
		dm.exit_code = EX_OSERR;
out:
	dm.stopping = 1;
	if (dm.tail && dm.store && dm.alerts && dm.exit_code != EX_CONFIG)
		flush(&dm);
	free(known);
	free(history);
	sender_free(dm.sender);     /* in-flight requests stay pending: resent */
	alert_free(dm.alerts);
	guard_free(dm.guard);
	kclient_free(dm.kclient);
	diagnotify_free(dm.dn);
	domainlist_free(dm.local);
	domainlist_free(dm.remote);
	owners_free(dm.owners);
	tail_free(dm.tail);
	pipeline_free(dm.pipe);
	metrics_free(dm.metrics);
	metrics_conf_release(&dm.mc);
	counter_free(dm.counter);
	evlog_free(dm.events);
	evidence_free(dm.evidence);
	store_close(dm.store);
	pidfile_release(dm.pidfile);   /* after the last commit */
	rules_free(dm.rules);
	loop_free(dm.loop);
	if (dm.sigfd >= 0)
		close(dm.sigfd);
	if (dm.timerfd >= 0)
		close(dm.timerfd);
	if (dm.alert_tfd >= 0)
		close(dm.alert_tfd);
	if (dm.diag_tfd >= 0)
		close(dm.diag_tfd);
	alertconf_release(&dm.ac);
	diagconf_release(&dm.dc);
	config_release(&dm.cfg);
	diag_release(&d);
	return dm.exit_code;
}
