/* tail: follow the Exim main log with inotify through every kind of rotation,
 * delivering each complete line exactly once across restarts.
 *
 * Identity of a file = fingerprint of its first bytes (fingerprint.h) plus
 * dev/ino as a hint.  The caller keeps the registry (store `files` table):
 * it passes the known files to tail_start() and, when it commits counts, saves
 * the positions from tail_positions() in the SAME transaction, so a crash at
 * any instant neither loses nor double-counts a line.
 *
 * Handled: appends (a partial last line waits for its newline); rename
 * rotation (the old file is read to its end before switching, even if the new
 * file appears only later); copytruncate (size below the offset, or the head
 * no longer matching the fingerprint: the unread end is finished from the
 * rotated copy found by fingerprint, then the live file is read from 0);
 * delete + recreate; a missing log at start (waits, says so once); rotation
 * while the daemon was down (known files are found again among the siblings
 * NAME.1..N, NAME-YYYYMMDD, and their .gz forms; each is finished from its
 * offset, unknown newer generations are read from the start, oldest first,
 * then the live file: see the history below); two rotations between two
 * looks (the generation rotated in and out meanwhile is read between the
 * old and the new file);
 * permission denied (an error naming the group).
 *
 * Finding the generations, their order, and where a file's content went
 * (a short fingerprint as weak evidence included) is rotation.h's part;
 * while running, a fresh copy next to the live log that starts with the
 * bytes of its short fingerprint but differs from it after them reveals a
 * copytruncate the head alone cannot show.
 *
 * History: the rotated generations there at the first start are history,
 * never read (`eximwatch scan` imports them).  tail_start() hands that list
 * to the caller to commit before it delivers the first line, and gets it
 * back at every later start: a generation that is neither known nor history
 * is the log's own content, read from its start, even when the daemon was
 * killed before it ever committed a position (the log renamed, or copied
 * and truncated, while it was down).
 *
 * No polling: tail_fd() is an inotify descriptor for the caller's epoll loop.
 * The callbacks run synchronously inside tail_start()/tail_process(). */
#ifndef EW_TAIL_H
#define EW_TAIL_H
#include <stddef.h>
#include <stdint.h>
#include "store.h"

struct tail;

/* a complete line (without '\n'); oversized: cut to max_line, rest skipped */
typedef void tail_line_fn(void *arg, const char *line, size_t len, int oversized);

/* called after a run of lines (at most one read buffer, ~1 MiB) was
 * delivered and the positions were advanced past them: the one place inside
 * tail_start()/tail_process() where the caller may flush, i.e. call
 * tail_positions() and commit, to bound its memory during a long catch-up */
typedef void tail_chunk_fn(void *arg);

/* called inside tail_start(), before the first line is delivered, when it
 * was given no history of this log (the first start, or a registry from
 * before histories were kept): the caller must commit `history` (text,
 * borrowed) durably and pass it to every later tail_start().  0 ok, -1:
 * tail_start() fails (the promise of a restart reading every line since
 * this start could not be kept) */
typedef int tail_history_fn(void *arg, const char *history);

struct tail_opts {
	const char *path;        /* the live log, e.g. /var/log/exim_mainlog */
	size_t max_line;         /* default 64 KiB */
	tail_line_fn *on_line;
	tail_chunk_fn *on_chunk; /* may be NULL */
	tail_history_fn *on_history;   /* NULL: the history is not kept */
	void *arg;
};

struct tail *tail_new(const struct tail_opts *o);
void tail_free(struct tail *t);

/* tail_start: catch up from the registry (known[0..n)) and the history
 * kept from the first start (NULL: none; see on_history), then follow.
 * 0 ok (also when the log does not exist yet), -1 fatal (message logged) */
int tail_start(struct tail *t, const struct store_file *known, size_t n,
    const char *history);
/* tail_fd: the inotify descriptor to wait on (EPOLLIN) */
int tail_fd(const struct tail *t);
/* tail_process: read what inotify announced; 0 ok, -1 fatal */
int tail_process(struct tail *t);

/* tail_positions: the files whose position moved since the last call (with
 * path, fingerprint, dev/ino, offset = end of the last delivered line),
 * valid until the next tail_* call.  The caller saves them with the counts,
 * straight into the returned array: an id that store_file_save() writes
 * there is picked up at the next tail_* call, so later positions of that
 * file update its row.  Empty files (fp_len 0) are never reported. */
size_t tail_positions(struct tail *t, struct store_file **files);

/* tail_requeue: the positions last returned could not be committed: report
 * them again at the next tail_positions() (the caller restored their ids) */
void tail_requeue(struct tail *t);

/* tail_status: the file followed now and how far behind its end we are */
struct tail_status {
	char path[4096];
	uint64_t offset, size;
	int waiting;             /* log missing: waiting for it to appear */
};
void tail_status(const struct tail *t, struct tail_status *st);

#endif
