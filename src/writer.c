/* writer: SQLite commits on their own thread (see writer.h) */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "counter.h"
#include "evidence.h"
#include "evlog.h"
#include "log.h"
#include "store.h"
#include "writer.h"
#include "xmalloc.h"

#define FILE_MAP_MAX 64   /* ids remembered for files submitted with id 0 */
#define SLOTS (WRITER_QUEUE + 1)

struct file_map {
	struct store_file key;   /* as submitted (id 0) */
	int64_t id;
};

/* one submitted batch */
struct job {
	struct counter *c;         /* the writer's own copy of the batch */
	struct evlog *log;         /* or its events, to count here first */
	int is_log;
	int has_log;               /* log holds the batch's events (evidence) */
	struct store_file *files;
	size_t nfiles, capfiles;
	struct writer_stats delta;
};

struct writer {
	struct store *store;
	struct evidence *ev;       /* NULL: no evidence recorded */
	const char *const *names;
	size_t nclasses;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;         /* any change of n, busy, stop, failed */
	/* under mu: jobs[head], ... jobs[head + n - 1] (mod SLOTS) are queued;
	 * the first belongs to the thread while busy */
	struct job jobs[SLOTS];
	size_t head, n;
	int busy, stop, failed;
	int syncing;               /* callers waiting in writer_sync() */
	int tx_open;               /* a transaction holds uncommitted batches */
	struct counter *agg;       /* the writer thread's: counts an evlog */
	struct timespec tx_deadline;   /* when it is committed at the latest */
	struct file_map map[FILE_MAP_MAX];   /* ids of committed inserts */
	size_t nmap, map_next;
	/* the writer thread's own: the open transaction */
	int in_tx;
	size_t tx_jobs;
	struct file_map *tx_map;   /* ids inserted by the open transaction */
	size_t ntx_map, captx_map;
};

static int same_file(const struct store_file *a, const struct store_file *b)
{
	return a->fp_hash == b->fp_hash && a->fp_len == b->fp_len &&
	    a->dev == b->dev && a->ino == b->ino && strcmp(a->path, b->path) == 0;
}

/* map_find: the id remembered for a file submitted with id 0, or 0
 * (caller holds mu) */
static int64_t map_find(const struct writer *w, const struct store_file *f)
{
	size_t i;

	for (i = 0; i < w->nmap; i++)
		if (same_file(&w->map[i].key, f))
			return w->map[i].id;
	return 0;
}

static void map_put(struct writer *w, const struct store_file *f, int64_t id)
{
	struct file_map *m = &w->map[w->map_next];

	m->key = *f;
	m->key.id = 0;
	m->id = id;
	w->map_next = (w->map_next + 1) % FILE_MAP_MAX;
	if (w->nmap < FILE_MAP_MAX)
		w->nmap++;
}

/* file_id: the id of a file submitted with id 0: inserted by the open
 * transaction, or by a committed one, or 0 (writer thread) */
static int64_t file_id(struct writer *w, const struct store_file *f)
{
	int64_t id = 0;
	size_t i;

	for (i = 0; i < w->ntx_map; i++)
		if (same_file(&w->tx_map[i].key, f))
			return w->tx_map[i].id;
	pthread_mutex_lock(&w->mu);
	id = map_find(w, f);
	pthread_mutex_unlock(&w->mu);
	return id;
}

static void tx_map_put(struct writer *w, const struct store_file *f, int64_t id)
{
	if (w->ntx_map == w->captx_map) {
		w->captx_map = w->captx_map ? 2 * w->captx_map : 8;
		w->tx_map = xreallocarray(w->tx_map, w->captx_map, sizeof *w->tx_map);
	}
	w->tx_map[w->ntx_map].key = *f;
	w->tx_map[w->ntx_map].key.id = 0;
	w->tx_map[w->ntx_map++].id = id;
}

static void tx_abort(struct writer *w)
{
	log_warnx("%s: cannot write to the database: %s", store_path(w->store),
	    store_errmsg(w->store));
	store_rollback(w->store);
	if (w->ev)
		evidence_done(w->ev, 0);
	w->in_tx = 0;
	w->tx_jobs = 0;
	w->ntx_map = 0;
}

/* write_job: add one batch to the open transaction (opening one if need
 * be); 0 or -1 (logged, rolled back) */
static int write_job(struct writer *w, struct job *j)
{
	static const char *const names[] = {
		"lines", "events", "suspicious_unmatched", "oversized", "binary"
	};
	const int64_t deltas[] = {
		j->delta.lines, j->delta.events, j->delta.suspicious_unmatched,
		j->delta.oversized, j->delta.binary
	};
	struct store *s = w->store;
	size_t i;

	if (!w->in_tx) {
		if (store_begin(s) < 0)
			return -1;   /* logged by the store */
		w->in_tx = 1;
	}
	w->tx_jobs++;
	if (j->is_log) {
		counter_clear(w->agg);
		evlog_count(j->log, w->agg);
	}
	if (store_add_counts(s, j->is_log ? w->agg : j->c, w->names,
	    w->nclasses) < 0)
		goto fail;
	/* the evidence: new known clients and the hours that ended are
	 * written with each batch (a known pair's later logins are summed in
	 * memory: evidence.h).  A failed transaction ends the writer and
	 * nothing of it is retried, so what is written counts as settled
	 * right away: the memory holds the groups of the current hour, not
	 * those of a whole transaction. */
	if (w->ev) {
		if (j->is_log) {
			evidence_add_counter(w->ev, w->agg);
			evidence_add_events(w->ev, j->log, 0);
		} else if (j->has_log) {
			evidence_add_events(w->ev, j->log, 1);
		}
		if (evidence_write(w->ev, s, 0) < 0)
			goto fail;
		evidence_done(w->ev, 1);
	}
	for (i = 0; i < j->nfiles; i++) {
		struct store_file *f = &j->files[i];
		int inserted;

		if (f->id <= 0)
			f->id = file_id(w, f);
		inserted = f->id <= 0;
		if (store_file_save(s, f) < 0)
			goto fail;
		if (inserted)
			tx_map_put(w, f, f->id);
	}
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (store_stat_add(s, names[i], deltas[i]) < 0)
			goto fail;
	return 0;
fail:
	tx_abort(w);
	return -1;
}

/* tx_commit: 0 or -1 (logged, rolled back); last: a caller waits for
 * it (sync) or the writer stops, so everything is written */
static int tx_commit(struct writer *w, int last)
{
	size_t i;

	if (w->ev && evidence_write(w->ev, w->store, last) < 0) {
		tx_abort(w);
		return -1;
	}
	if (store_commit(w->store) < 0) {
		tx_abort(w);
		return -1;
	}
	if (w->ev)
		evidence_done(w->ev, 1);
	/* only ids of committed rows are worth remembering */
	pthread_mutex_lock(&w->mu);
	for (i = 0; i < w->ntx_map; i++)
		map_put(w, &w->tx_map[i].key, w->tx_map[i].id);
	pthread_mutex_unlock(&w->mu);
	w->in_tx = 0;
	w->tx_jobs = 0;
	w->ntx_map = 0;
	return 0;
}

static void job_clear(struct job *j)
{
	if (j->c != NULL)
		counter_clear(j->c);
	if (j->log != NULL)
		evlog_clear(j->log);
}

/* commit_due: is the open transaction to be committed now?  (mu held) */
static int commit_due(const struct writer *w)
{
	struct timespec now;

	if (w->tx_jobs >= WRITER_TX_BATCHES)
		return 1;
	if (w->n > 0)
		return 0;   /* more to add first */
	if (w->syncing || w->stop)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > w->tx_deadline.tv_sec ||
	    (now.tv_sec == w->tx_deadline.tv_sec &&
	    now.tv_nsec >= w->tx_deadline.tv_nsec);
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	int rc;

	/* "top -H" and perf tell the threads apart */
	pthread_setname_np(pthread_self(), "eximwatch-db");
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->n == 0 && !w->stop && !(w->tx_open && commit_due(w))) {
			if (w->tx_open)
				pthread_cond_timedwait(&w->cv, &w->mu, &w->tx_deadline);
			else
				pthread_cond_wait(&w->cv, &w->mu);
		}
		if (w->tx_open && commit_due(w)) {
			int last = w->n == 0 && (w->syncing || w->stop);

			w->busy = 1;
			pthread_mutex_unlock(&w->mu);
			rc = tx_commit(w, last);
			pthread_mutex_lock(&w->mu);
			w->tx_open = 0;
			goto settled;
		}
		if (w->n == 0)
			break;   /* stop, and nothing left to commit */
		w->busy = 1;
		if (!w->tx_open) {
			clock_gettime(CLOCK_MONOTONIC, &w->tx_deadline);
			w->tx_deadline.tv_sec += WRITER_TX_SECONDS;
		}
		pthread_mutex_unlock(&w->mu);

		rc = write_job(w, &w->jobs[w->head]);

		pthread_mutex_lock(&w->mu);
		job_clear(&w->jobs[w->head]);
		w->head = (w->head + 1) % SLOTS;
		w->n--;
		w->tx_open = rc == 0;
settled:
		if (rc < 0) {
			/* the open transaction's batches are gone; so are the
			 * queued ones, which nobody will commit now */
			w->failed = 1;
			for (; w->n > 0; w->n--) {
				job_clear(&w->jobs[w->head]);
				w->head = (w->head + 1) % SLOTS;
			}
		}
		w->busy = 0;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct writer *writer_new(struct store *s, const char *const *class_names,
    size_t nclasses, struct evidence *ev)
{
	struct writer *w = xcalloc(1, sizeof *w);
	pthread_condattr_t ca;
	sigset_t all, old;
	int e;

	w->store = s;
	store_lend(s, 1);
	w->ev = ev;
	w->names = class_names;
	w->nclasses = nclasses;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);   /* tx_deadline's */
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	/* signals stay with the main thread (the daemon reads them from a
	 * signalfd, which needs them blocked in every thread) */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&w->thread, NULL, writer_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		errno = e;
		fatal(EX_OSERR, "cannot start the database writer thread");
	}
	return w;
}

/* job_take: the next free job, with the files and deltas given (mu held),
 * or NULL if an earlier commit failed (mu released) */
static struct job *job_take(struct writer *w, const struct store_file *files,
    size_t nfiles, const struct writer_stats *delta)
{
	struct job *j;

	pthread_mutex_lock(&w->mu);
	while (w->n == SLOTS && !w->failed)
		pthread_cond_wait(&w->cv, &w->mu);
	if (w->failed) {
		pthread_mutex_unlock(&w->mu);
		return NULL;
	}
	/* nothing queued or being written: start from the first slot again, so
	 * that a caller who waits for each batch (the daemon) keeps using one
	 * job's buffers instead of filling all of them in turn */
	if (w->n == 0 && !w->busy)
		w->head = 0;
	j = &w->jobs[(w->head + w->n) % SLOTS];
	if (nfiles > j->capfiles) {
		j->capfiles = nfiles;
		j->files = xreallocarray(j->files, nfiles, sizeof *j->files);
	}
	if (nfiles)
		memcpy(j->files, files, nfiles * sizeof *files);
	j->nfiles = nfiles;
	if (delta)
		j->delta = *delta;
	else
		memset(&j->delta, 0, sizeof j->delta);
	return j;
}

static void job_push(struct writer *w)
{
	w->n++;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int writer_submit(struct writer *w, struct counter **batch,
    struct evlog *events, const struct store_file *files, size_t nfiles,
    const struct writer_stats *delta)
{
	struct job *j = job_take(w, files, nfiles, delta);

	if (j == NULL)
		return -1;
	if (j->c == NULL)
		j->c = counter_new();
	j->has_log = events != NULL && w->ev != NULL;
	if (j->has_log) {
		if (j->log == NULL)
			j->log = evlog_new();
		evlog_copy(j->log, events);
	}
	if (events)
		evlog_clear(events);
	/* The batch is copied (a sequential memcpy of a few MB at most) rather
	 * than handed over: the caller's counter then stays in its core's cache,
	 * while swapping two counters between the threads made every random
	 * access of counter_add() miss (cache lines last written by the other
	 * core).  *batch comes back empty, as the contract says. */
	counter_copy(j->c, *batch);
	counter_clear(*batch);
	j->is_log = 0;
	job_push(w);
	return 0;
}

int writer_submit_events(struct writer *w, struct evlog *events,
    const struct store_file *files, size_t nfiles,
    const struct writer_stats *delta)
{
	struct job *j = job_take(w, files, nfiles, delta);

	if (j == NULL)
		return -1;
	if (j->log == NULL)
		j->log = evlog_new();
	if (w->agg == NULL)
		w->agg = counter_new();
	evlog_copy(j->log, events);   /* copied, as a counter is (above) */
	evlog_clear(events);
	j->is_log = 1;
	j->has_log = 1;
	job_push(w);
	return 0;
}

int writer_sync(struct writer *w)
{
	int rc;

	pthread_mutex_lock(&w->mu);
	w->syncing++;
	pthread_cond_broadcast(&w->cv);
	while ((w->n > 0 || w->busy || w->tx_open) && !w->failed)
		pthread_cond_wait(&w->cv, &w->mu);
	while (w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	w->syncing--;
	rc = w->failed ? -1 : 0;
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int64_t writer_file_id(struct writer *w, const struct store_file *f)
{
	int64_t id;

	pthread_mutex_lock(&w->mu);
	id = map_find(w, f);
	pthread_mutex_unlock(&w->mu);
	return id;
}

void writer_free(struct writer *w)
{
	size_t i;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	for (i = 0; i < SLOTS; i++) {
		counter_free(w->jobs[i].c);
		evlog_free(w->jobs[i].log);
		free(w->jobs[i].files);
	}
	counter_free(w->agg);
	free(w->tx_map);
	store_lend(w->store, 0);
	free(w);
}
