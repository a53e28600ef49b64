/* writer: SQLite commits on their own thread (see writer.h) */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "counter.h"
#include "log.h"
#include "store.h"
#include "writer.h"
#include "xmalloc.h"

#define FILE_MAP_MAX 64   /* ids remembered for files submitted with id 0 */

struct file_map {
	struct store_file key;   /* as submitted (id 0) */
	int64_t id;
};

struct writer {
	struct store *store;
	const char *const *names;
	size_t nclasses;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;         /* any change of busy/stop */
	/* under mu; the job fields belong to the thread while busy */
	struct counter *spare;     /* the writer's counter, when not busy */
	struct counter *job;       /* the same, holding the batch being committed */
	struct store_file *files;
	size_t nfiles, capfiles;
	int64_t *new_ids;          /* per job file: id inserted by this job */
	struct writer_stats delta;
	int busy, stop, failed;
	struct file_map map[FILE_MAP_MAX];
	size_t nmap, map_next;
};

static int same_file(const struct store_file *a, const struct store_file *b)
{
	return a->fp_hash == b->fp_hash && a->fp_len == b->fp_len &&
	    a->dev == b->dev && a->ino == b->ino && strcmp(a->path, b->path) == 0;
}

/* map_find: the remembered id of a file submitted with id 0, or 0 */
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

/* commit: the job in one transaction; 0 or -1 (logged) */
static int commit(struct writer *w)
{
	static const char *const names[] = {
		"lines", "events", "suspicious_unmatched", "oversized"
	};
	const int64_t deltas[] = {
		w->delta.lines, w->delta.events, w->delta.suspicious_unmatched,
		w->delta.oversized
	};
	struct store *s = w->store;
	size_t i;

	if (store_begin(s) < 0)
		return -1;   /* logged by the store */
	if (store_add_counts(s, w->job, w->names, w->nclasses) < 0)
		goto fail;
	for (i = 0; i < w->nfiles; i++) {
		struct store_file *f = &w->files[i];
		int inserted;

		if (f->id <= 0)
			f->id = map_find(w, f);
		inserted = f->id <= 0;
		if (store_file_save(s, f) < 0)
			goto fail;
		w->new_ids[i] = inserted ? f->id : 0;
	}
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (store_stat_add(s, names[i], deltas[i]) < 0)
			goto fail;
	if (store_commit(s) < 0)
		goto fail;
	/* only ids of committed rows are worth remembering */
	pthread_mutex_lock(&w->mu);
	for (i = 0; i < w->nfiles; i++)
		if (w->new_ids[i] > 0)
			map_put(w, &w->files[i], w->new_ids[i]);
	pthread_mutex_unlock(&w->mu);
	return 0;
fail:
	log_warnx("%s: cannot write to the database: %s", store_path(s),
	    store_errmsg(s));
	store_rollback(s);
	return -1;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct counter *job;
	int rc;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->busy && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->busy)
			break;   /* stop, and nothing left to commit */
		job = w->job;
		pthread_mutex_unlock(&w->mu);

		rc = commit(w);

		pthread_mutex_lock(&w->mu);
		if (rc < 0)
			w->failed = 1;
		w->spare = job;
		w->job = NULL;
		w->busy = 0;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct writer *writer_new(struct store *s, const char *const *class_names,
    size_t nclasses)
{
	struct writer *w = xcalloc(1, sizeof *w);
	sigset_t all, old;
	int e;

	w->store = s;
	w->names = class_names;
	w->nclasses = nclasses;
	w->spare = counter_new();
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
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

int writer_submit(struct writer *w, struct counter **batch,
    const struct store_file *files, size_t nfiles,
    const struct writer_stats *delta)
{
	pthread_mutex_lock(&w->mu);
	while (w->busy && !w->failed)
		pthread_cond_wait(&w->cv, &w->mu);
	if (w->failed) {
		pthread_mutex_unlock(&w->mu);
		return -1;
	}
	if (nfiles > w->capfiles) {
		w->capfiles = nfiles;
		w->files = xreallocarray(w->files, nfiles, sizeof *w->files);
		w->new_ids = xreallocarray(w->new_ids, nfiles, sizeof *w->new_ids);
	}
	if (nfiles)
		memcpy(w->files, files, nfiles * sizeof *files);
	w->nfiles = nfiles;
	if (delta)
		w->delta = *delta;
	else
		memset(&w->delta, 0, sizeof w->delta);
	/* The batch is copied (a sequential memcpy of a few MB at most) rather
	 * than handed over: the caller's counter then stays in its core's cache,
	 * while swapping two counters between the threads made every random
	 * access of counter_add() miss (cache lines last written by the other
	 * core).  *batch comes back empty, as the contract says. */
	counter_copy(w->spare, *batch);
	counter_clear(*batch);
	w->job = w->spare;
	w->spare = NULL;
	w->busy = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

int writer_sync(struct writer *w)
{
	int rc;

	pthread_mutex_lock(&w->mu);
	while (w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
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
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	counter_free(w->spare);
	free(w->files);
	free(w->new_ids);
	free(w);
}
