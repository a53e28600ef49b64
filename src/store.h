/* store: the SQLite database (WAL, busy_timeout) holding the counts.
 *
 * store_open() creates the file if needed and applies the numbered
 * migrations embedded from schema/ (PRAGMA user_version records the version).
 * Writes happen in explicit transactions, batched by the caller: never one
 * transaction per event.  All SQL binds parameters. */
#ifndef EW_STORE_H
#define EW_STORE_H
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>
#include "diag.h"

struct sqlite3;
struct store;
struct counter;

#define STORE_BUCKET_SECS 60

enum {
	STORE_READONLY = 1 << 0,   /* report/status: never write, never migrate */
	STORE_CREATE   = 1 << 1,   /* create the file (and its directory) if missing */
};

/* store_open: NULL on error with the reason in d (the path and what to do)
 * and errno ENOENT (no database), EACCES (permission: of the file, its
 * directory or its -wal/-shm files; never "damaged") or EIO (anything
 * else).  STORE_READONLY opens a database whose directory the caller cannot
 * write (no -shm file can be made) as immutable when no write-ahead log is
 * pending. */
struct store *store_open(const char *path, int flags, struct diag *d);
void store_close(struct store *s);
struct sqlite3 *store_db(struct store *s);
/* store_lend: on (1) when another thread takes the store over (the writer
 * thread), off (0) when it gives it back; store_db() from the lending
 * thread meanwhile is a bug, logged once */
void store_lend(struct store *s, int on);
const char *store_path(const struct store *s);
/* store_errmsg: the last SQLite error text, for messages */
const char *store_errmsg(struct store *s);

int store_begin(struct store *s);      /* BEGIN IMMEDIATE; 0 or -1 */
/* store_commit: the hourly and daily rollups of the transaction's counts
 * written, then COMMIT; 0, or -1 (logged: the caller rolls back) */
int store_commit(struct store *s);
int store_rollback(struct store *s);

/* store_add_counts: add a batch (inside a transaction).  class_names maps the
 * batch's class indexes to the class ids stored.  0 or -1. */
int store_add_counts(struct store *s, const struct counter *batch,
    const char *const *class_names, size_t nclasses);

/* store_account_id: the id of account name[0..len) (created if new, inside
 * a transaction; ids of a rolled-back transaction are forgotten), used in
 * minute bucket (its last_used, as for counts); 0 for "", -1 on an error.
 * Not on a read-only store. */
int64_t store_account_id(struct store *s, const char *name, size_t len,
    int64_t bucket);

/* Files (scan and tail checkpoints). */
struct store_file {
	int64_t id;          /* 0 = not stored yet */
	uint64_t fp_hash;
	uint32_t fp_len;
	uint64_t dev, ino;
	uint64_t offset;     /* bytes of content already counted */
	uint64_t lines;
	char path[4096];
};
/* store_file_find: the stored file whose fingerprint matches the content
 * whose first bytes are head[0..head_len); 1 found, 0 not found, -1 error */
int store_file_find(struct store *s, const unsigned char *head, size_t head_len,
    struct store_file *out);
/* store_file_save: insert or update (inside a transaction); sets f->id */
int store_file_save(struct store *s, struct store_file *f);
int store_file_list(struct store *s, struct store_file **out, size_t *n);

/* store_stat_add: add to a named running total (inside a transaction) */
int store_stat_add(struct store *s, const char *name, int64_t delta);
int store_stat_get(struct store *s, const char *name, int64_t *value);
int store_meta_set(struct store *s, const char *key, const char *value);
int store_meta_get(struct store *s, const char *key, char *buf, size_t len);
/* store_meta_dup: a value of any length: 1 and *value (free() it), 0 no
 * such key (*value NULL), -1 error */
int store_meta_dup(struct store *s, const char *key, char **value);

/* store_prune: delete what is older than `before` (inside a transaction,
 * or on its own): minute chunks, the hour and day rollups that end before
 * it (rollup.h; the cut is recorded), known clients last seen and evidence
 * recorded before it, the addresses and accounts no remaining count uses
 * (an account a known client names stays), alerts resolved and
 * notifications delivered or given up before it, and leftover alert
 * windows.  Minute chunks deleted, or -1. */
int64_t store_prune(struct store *s, time_t before);
/* store_rollup_days: roll up the days over before `before` that are not
 * yet (rollup.h; inside a transaction); the days built, or -1 (logged) */
int64_t store_rollup_days(struct store *s, time_t before);
/* store_pruned_before: the latest cut of store_prune, 0 if none */
time_t store_pruned_before(struct store *s);

/* Each address and account keeps the newest minute a count used it
 * (last_used), written when a use falls in a later step (of this many
 * seconds since 1970) than the stored value: at most one UPDATE per id per
 * step of log time (a week: hardly any in a scan of a few days' log, where
 * a day's step cost 25,600 UPDATEs, 5% of the scan), and the stored value
 * is never a step behind.  Pruning keeps what was used within the
 * retention plus a step. */
#define STORE_LAST_USED_STEP 604800

/* fingerprint of a file head, as stored in files.fp_hash */
#define STORE_FP_MAX 1024
uint64_t store_fp_hash(const unsigned char *p, size_t n);

#endif
