/* rotation: where a followed log's content went — its rotated generations.
 *
 * The log NAME in its directory has generations next to it: NAME.N,
 * NAME-DIGITS (dateext), and the .gz forms of both.  A generation is known
 * by its content, the fingerprint of its first FP_MAX bytes (decompressed;
 * fingerprint.h), with dev/ino as a hint.  This module lists them, oldest
 * first by rotation name (NAME newest, NAME.1 newer than NAME.2, NAME-DATE
 * by date, NAME.N.gz = NAME.N; the mtime only breaks ties), pairs them with
 * the registry's records, and answers the follower's (tail.c) questions:
 * which generations a start finishes or reads, which sibling is the copy
 * of a file truncated in place (copytruncate), which generations were
 * rotated in and out between two looks.  It reads directory entries and
 * the first bytes of files; it never reads lines.
 *
 * A fingerprint shorter than FP_MAX (the file held that little at the last
 * commit) is weak evidence: a rotated generation is preferred over the
 * live log for it, and a copy of a file must differ from it after the
 * shared bytes to pass for the copy of a truncated file.
 *
 * It also keeps two sets of identities: the generations accounted for
 * (read, or there when the follower started: a fresh copy is none of
 * them), and the history, the rotated generations there at the daemon's
 * very first start, never read (`eximwatch scan` imports them).  Any other
 * generation the registry does not know is the log's own content, read
 * from its start, even when no position of it was ever committed. */
#ifndef EW_ROTATION_H
#define EW_ROTATION_H
#include <stddef.h>
#include <stdint.h>
#include "diag.h"
#include "input.h"
#include "store.h"

struct rotation;        /* the log's name and directory, the identity sets */
struct rotation_list;   /* one look at the directory */

/* rotation_new: for the log at path (copied) */
struct rotation *rotation_new(const char *path);
void rotation_free(struct rotation *r);

/* rotation_seen: the content of rec is accounted for (read, or history) */
void rotation_seen(struct rotation *r, const struct store_file *rec);

/* rotation_history_load: the history noted at the first start (text made
 * by rotation_history_note); 1 it is this log's and is used, 0 none (NULL,
 * another log's, or damaged: then a start notes it again) */
int rotation_history_load(struct rotation *r, const char *text);

/* rotation_history_note: after rotation_plan_start() without a history,
 * the history to keep: the rotated generations of l that this start does
 * not read, nor knows from the registry, nor are a copy of the live log.
 * Text (free() it; hand it to rotation_history_load() once stored) and
 * their number in *count; NULL when r has a history already or the
 * directory could not be read. */
char *rotation_history_note(const struct rotation *r,
    const struct rotation_list *l, size_t *count);

/* rotation_list: the log and its generations as they are now, each with
 * its identity and an open descriptor (names change meanwhile: what is
 * read later is the file listed).  With `stable`, listed again until two
 * listings agree (logrotate renaming NAME.k to NAME.k+1 while we look).
 * Unreadable generations are skipped with a warning.  Never NULL. */
struct rotation_list *rotation_list(const struct rotation *r, int stable);
void rotation_list_free(struct rotation_list *l);
size_t rotation_count(const struct rotation_list *l);
const char *rotation_path(const struct rotation_list *l, size_t i);
int rotation_is_gz(const struct rotation_list *l, size_t i);

/* rotation_plan_start: the catch-up of a start.  Pairs l with the registry
 * (known[0..n), borrowed while l lives; one record for one file), drops
 * duplicates and partial copies (NAME.1 and the NAME.1.gz being written,
 * a cp under way), notes every rotated generation as seen, and decides for
 * each generation whether it is read and from where (rotation_want): a
 * known one from its offset unless done; an unknown one from its start
 * when it is newer than the newest known rotated generation and, once a
 * history was loaded, no history (without one: only when a rotated
 * generation is known). */
void rotation_plan_start(struct rotation *r, struct rotation_list *l,
    const struct store_file *known, size_t n);
/* rotation_live_known: the registry record of the live log, after
 * rotation_plan_start(), or NULL; rotation_live_listed: is the log there */
const struct store_file *rotation_live_known(const struct rotation_list *l);
int rotation_live_listed(const struct rotation_list *l);

/* rotation_plan_between: the previous file (record prev, head ph[0..phl),
 * read to its end) was rotated away and the file now under the log's name
 * is cur (head lh[0..lhl)); old: another file still open, or NULL.  The
 * generations rotated in and out in between (two rotations between two
 * looks) sit between the two by name: they are to be read from their
 * start, oldest first (rotation_want).  None when prev is gone. */
void rotation_plan_between(const struct rotation *r, struct rotation_list *l,
    const struct store_file *prev, const unsigned char *ph, size_t phl,
    const struct store_file *cur, const unsigned char *lh, size_t lhl,
    const struct store_file *old);

/* rotation_want: after a plan, is generation i to be read, and from which
 * content offset; rotation_last: the newest one to read (SIZE_MAX: none) */
int rotation_want(const struct rotation_list *l, size_t i, uint64_t *off);
size_t rotation_last(const struct rotation_list *l);

/* rotation_copy_of: the rotated copy of the content of rec (a file
 * truncated in place): another inode, not old's (the other file open, or
 * NULL), starting with rec's fingerprint and holding at least what was
 * counted of it.  For a short fingerprint the generations accounted for
 * are no candidates, and with `now` (the file's head as it is now) the
 * copy must differ from it after the shared bytes (else the file still
 * has that content: copied, not truncated yet).  Its index, the best when
 * several (a plain file, then the newer name), or SIZE_MAX. */
size_t rotation_copy_of(const struct rotation *r,
    const struct rotation_list *l, const struct store_file *rec,
    const struct store_file *old, const unsigned char *now, size_t nowlen);

/* rotation_set_known: generation i carries on as record rec (borrowed
 * while l lives), e.g. the copy of a truncated file */
void rotation_set_known(struct rotation_list *l, size_t i,
    const struct store_file *rec);

/* rotation_record: the registry record of generation i: its known record
 * (id, offset, line count carry over) or a new one, with its name, inode
 * and, if longer, its head's fingerprint now; *changed when that differs
 * from the known record (the record is worth saving) */
void rotation_record(const struct rotation_list *l, size_t i,
    struct store_file *rec, int *changed);

/* rotation_moved: generation i is a known rotated one that is not to be
 * read (done) but whose record changed (a new name or inode, a longer
 * head): 1 and the record to save in *rec, else 0 */
int rotation_moved(const struct rotation_list *l, size_t i,
    struct store_file *rec);

/* rotation_open: generation i to read: a plain file as a descriptor (*fd,
 * *in NULL), a .gz as a decompressing input (*in, *fd -1), the very file
 * listed either way.  0, or -1 with the reason logged. */
int rotation_open(const struct rotation_list *l, size_t i, int *fd,
    struct input **in);

/* rotation_record_fd: the record of the live log open as fd (path
 * borrowed): `known`'s when fd still starts with its fingerprint and holds
 * its offset (then 1), else a new one (0); *changed as rotation_record's.
 * -1 (errno) when fd cannot be read, -2 when it is no regular file. */
int rotation_record_fd(int fd, const char *path,
    const struct store_file *known, struct store_file *rec, int *changed);

/* rotation_find: the rotated name the file dev/ino has now (free() it),
 * or NULL */
char *rotation_find(const struct rotation *r, uint64_t dev, uint64_t ino);

#endif
