/* writer: a thread that commits counter batches to the store, so that
 * SQLite work overlaps with parsing (scan and the daemon use two cores).
 *
 * A short queue: the caller fills one counter while the writer commits
 * earlier ones.  writer_submit() takes the filled batch over and gives back
 * an empty counter; it blocks only while WRITER_QUEUE batches wait, so
 * memory stays bounded.  (The batch is copied into one of the writer's own
 * counters and the caller's is emptied: the pointer given back may be the
 * same one.)  The queue absorbs the unevenness of both sides (a checkpoint,
 * a burst of new ids), which a single slot turned into waits.
 *
 * Each batch is committed together with the file positions and the stats
 * deltas given with it: a position is never committed without the counts
 * it covers, nor the counts without it.  Group commit: batches go into the
 * open transaction until WRITER_TX_BATCHES are in it, a caller waits in
 * writer_sync(), the writer is freed, or WRITER_TX_SECONDS passed since the
 * transaction's first batch.  Every transaction rewrites the index pages it
 * touched (those of new account names are all over their index), so fewer,
 * larger ones cost the writer less; a crash loses at most the open one,
 * positions included, and the next run counts those lines again.
 *
 * Between writer_new() and writer_free() the store's connection belongs to
 * the writer thread: the caller may use the store only after writer_sync()
 * returned, and until its next writer_submit().
 *
 * The first failed commit is logged once ("cannot write to the database"),
 * rolled back (every batch of that transaction with it, positions included,
 * so nothing is half-counted), and makes the writer refuse every later
 * batch: submit and sync then return -1. */
#ifndef EW_WRITER_H
#define EW_WRITER_H
#include <stddef.h>
#include <stdint.h>

#define WRITER_QUEUE 3        /* batches waiting, besides the one being written */
#define WRITER_TX_BATCHES 16  /* batches per transaction, at most */
#define WRITER_TX_SECONDS 1   /* a transaction stays open this long, at most */

struct store;
struct store_file;
struct counter;
struct evlog;
struct evidence;
struct writer;

/* deltas added to the store's running totals (stats table), by name */
struct writer_stats {
	int64_t lines;                  /* "lines" */
	int64_t events;                 /* "events" */
	int64_t suspicious_unmatched;   /* "suspicious_unmatched" */
	int64_t oversized;              /* "oversized" */
	int64_t binary;                 /* "binary": lines holding NUL bytes */
};

/* writer_new: starts the thread.  s, class_names (nclasses names, the
 * batches' class indexes) and ev are borrowed and must outlive the writer.
 * ev (may be NULL) records the evidence of the batches' events
 * (evidence.h) in their transactions; it belongs to the writer thread
 * until writer_free().  A commit that a sync waits for (or the last one)
 * writes everything the evidence holds (evidence_write's force). */
struct writer *writer_new(struct store *s, const char *const *class_names,
    size_t nclasses, struct evidence *ev);

/* writer_submit: hand *batch (filled by the caller) to the writer and put an
 * empty counter in its place; events (may be NULL) are the batch's events
 * for the evidence (not counted: they are in *batch), copied and emptied.  files[0..nfiles) are copied and saved with
 * store_file_save() in the batch's transaction; a file with id 0 is inserted
 * once, and later batches that give the same file (same fingerprint, path,
 * dev and ino) with id 0 again update that row.  delta may be NULL.  Blocks
 * while the queue is full.  0, or -1 if an earlier commit failed (then
 * nothing is taken: *batch is still the caller's). */
int writer_submit(struct writer *w, struct counter **batch,
    struct evlog *events, const struct store_file *files, size_t nfiles,
    const struct writer_stats *delta);

/* writer_submit_events: the same with events, counted by the writer thread
 * first (a counter's hashing then runs on the writer's core, not the
 * parser's); events come back empty */
int writer_submit_events(struct writer *w, struct evlog *events,
    const struct store_file *files, size_t nfiles,
    const struct writer_stats *delta);

/* writer_sync: wait until everything submitted is committed; 0, or -1 if
 * any commit failed */
int writer_sync(struct writer *w);

/* writer_file_id: after writer_sync(), the id stored for a file submitted
 * with id 0 (matched as in writer_submit), or 0 if none */
int64_t writer_file_id(struct writer *w, const struct store_file *f);

/* writer_free: sync, stop and join the thread.  NULL is accepted. */
void writer_free(struct writer *w);

#endif
