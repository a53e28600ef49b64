/* tail: follow the Exim main log through rotations (see tail.h)
 *
 * One inotify descriptor watches the log's directory and the file(s) being
 * read.  The watches only wake us up: every tail_process() drains the
 * previous generation (if still open), checks the current file for
 * truncation, reads it to its end and then stats the name to see whether a
 * new file took its place.  Doing the whole check on every wake-up makes
 * coalesced events, a queue overflow or a watch on the wrong inode harmless.
 *
 * Files in flight are "struct tfile": a plain fd (or a zlib input for .gz
 * generations), its own linesplit, and the registry record it advances.
 * At most three exist at once: the current file, the previous generation
 * (kept open after a rename because an Exim process that opened it before
 * the rotation may still append a line), and a rotated copy being
 * finished.  Which generations to read, and where a file's content went,
 * is rotation.c's answer; this file reads them. */
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "fingerprint.h"
#include "input.h"
#include "linesplit.h"
#include "log.h"
#include "rotation.h"
#include "tail.h"
#include "xmalloc.h"

#define DIR_MASK  (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | \
    IN_ATTRIB)
#define FILE_MASK (IN_MODIFY | IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB)

struct tfile {
	int fd;                  /* plain file; -1 when read through `in` */
	struct input *in;        /* a gzip generation */
	int wd;                  /* inotify watch on it, -1 none */
	struct linesplit *ls;
	uint64_t base;           /* content offset where ls started */
	uint64_t rpos;           /* content offset of the next byte to read */
	int dirty;               /* rec changed since the last tail_positions */
	uint64_t probed;         /* dir_gen at the last copy_probe */
	int broken;              /* a damaged .gz: its last bytes are no line */
	struct store_file rec;
};

struct tail {
	char *path, *dir;
	size_t max_line;
	tail_line_fn *on_line;
	tail_chunk_fn *on_chunk;
	void *arg;
	int ifd, dwd;
	/* while the log's directory is missing (a harness or an admin removed
	 * it), a watch on the nearest existing ancestor waits for it */
	int awd;
	char *adir;
	/* a watch on the directory's parent tells when the directory itself is
	 * removed or replaced (its own IN_DELETE_SELF never comes while a file
	 * in it is open); dir_dev/dir_ino identify the directory watched */
	int pwd;
	uint64_t dir_dev, dir_ino;
	int dir_event;
	uint64_t dir_gen;        /* bumped by every event in the directory */
	struct tfile *cur, *old;
	int denied;              /* new file after a rotation not readable yet */
	/* final records of files closed since the last tail_positions() */
	struct store_file *closed;
	size_t nclosed, capclosed;
	/* the array tail_positions() returned, and whose record each entry is,
	 * so ids the caller stored into it (store_file_save) come back to us */
	struct store_file *out;
	struct tfile **owner;
	size_t nout, capout;
	/* the generations: accounted for, history, where content went */
	struct rotation *rot;
	tail_history_fn *on_history;
};

struct tail *tail_new(const struct tail_opts *o)
{
	struct tail *t = xcalloc(1, sizeof *t);
	const char *slash = strrchr(o->path, '/');

	t->path = xstrdup(o->path);
	if (slash == NULL)
		t->dir = xstrdup(".");
	else
		t->dir = slash == o->path ? xstrdup("/") :
		    xstrndup(o->path, (size_t)(slash - o->path));
	t->max_line = o->max_line ? o->max_line : 64 << 10;
	t->on_line = o->on_line;
	t->on_chunk = o->on_chunk;
	t->on_history = o->on_history;
	t->arg = o->arg;
	t->ifd = t->dwd = t->awd = t->pwd = -1;
	t->dir_gen = 1;
	t->rot = rotation_new(o->path);
	return t;
}

static void set_path(struct store_file *rec, const char *path)
{
	snprintf(rec->path, sizeof rec->path, "%s", path);
}

/* the caller may have stored ids into the last returned array */
static void positions_harvest(struct tail *t)
{
	size_t i;

	for (i = 0; i < t->nout; i++)
		if (t->owner[i] && t->owner[i]->rec.id == 0 && t->out[i].id)
			t->owner[i]->rec.id = t->out[i].id;
	t->nout = 0;
}

/* f is going away or now stands for other content */
static void positions_disown(struct tail *t, const struct tfile *f)
{
	size_t i;

	for (i = 0; i < t->nout; i++)
		if (t->owner[i] == f)
			t->owner[i] = NULL;
}

static struct tfile *tfile_new(struct tail *t)
{
	struct tfile *f = xcalloc(1, sizeof *f);

	f->fd = -1;
	f->wd = -1;
	f->ls = linesplit_new(t->max_line);
	return f;
}

/* closed_add: a finished file's last record, for the next positions */
static void closed_add(struct tail *t, const struct store_file *rec)
{
	if (rec->fp_len == 0)
		return;   /* an empty file has no identity to save */
	if (t->nclosed == t->capclosed) {
		t->capclosed = t->capclosed ? 2 * t->capclosed : 4;
		t->closed = xreallocarray(t->closed, t->capclosed,
		    sizeof *t->closed);
	}
	t->closed[t->nclosed++] = *rec;
}

/* tfile_close: forget f; with `final`, record where it ended so the caller
 * learns that this generation is done */
static void tfile_close(struct tail *t, struct tfile *f, int final)
{
	if (f == NULL)
		return;
	if (final && f->dirty)
		closed_add(t, &f->rec);
	/* what was read of it is accounted for */
	rotation_seen(t->rot, &f->rec);
	/* the current file may share the watch (same inode seen twice) */
	if (f->wd >= 0 && t->ifd >= 0 && (t->cur == NULL || t->cur == f ||
	    t->cur->wd != f->wd) && (t->old == NULL || t->old == f ||
	    t->old->wd != f->wd))
		inotify_rm_watch(t->ifd, f->wd);
	positions_disown(t, f);
	if (f->fd >= 0)
		close(f->fd);
	input_close(f->in);
	linesplit_free(f->ls);
	free(f);
}

void tail_free(struct tail *t)
{
	if (t == NULL)
		return;
	tfile_close(t, t->old, 0);
	t->old = NULL;
	tfile_close(t, t->cur, 0);
	t->cur = NULL;
	if (t->ifd >= 0)
		close(t->ifd);
	free(t->closed);
	rotation_free(t->rot);
	free(t->out);
	free(t->owner);
	free(t->path);
	free(t->dir);
	free(t->adir);
	free(t);
}

/* perm_error: say who may read the log, so the admin knows what to fix */
static void perm_error(const char *path)
{
	struct stat st;
	struct passwd *pw;
	struct group *gr;
	char user[64], group[64];

	if (stat(path, &st) == -1) {
		log_warn("cannot read %s", path);
		return;
	}
	if ((pw = getpwuid(st.st_uid)) != NULL)
		snprintf(user, sizeof user, "%s", pw->pw_name);
	else
		snprintf(user, sizeof user, "%lu", (unsigned long)st.st_uid);
	if ((gr = getgrgid(st.st_gid)) != NULL)
		snprintf(group, sizeof group, "%s", gr->gr_name);
	else
		snprintf(group, sizeof group, "%lu", (unsigned long)st.st_gid);
	if (st.st_mode & S_IRGRP)
		log_warnx("cannot read %s (owner %s:%s, mode %04o): add the "
		    "eximwatch user to group '%s'", path, user, group,
		    (unsigned)(st.st_mode & 07777), group);
	else
		log_warnx("cannot read %s (owner %s:%s, mode %04o): make it "
		    "readable by group '%s' (chmod g+r) and add the eximwatch "
		    "user to that group", path, user, group,
		    (unsigned)(st.st_mode & 07777), group);
}

/* deliver every complete line buffered in f */
static void tfile_deliver(struct tail *t, struct tfile *f)
{
	const char *line;
	size_t len;
	int over;
	uint64_t n = 0;

	while (linesplit_next(f->ls, &line, &len, &over)) {
		t->on_line(t->arg, line, len, over);
		n++;
	}
	if (n) {
		f->rec.offset = f->base + linesplit_consumed(f->ls);
		f->rec.lines += n;
		f->dirty = 1;
		if (t->on_chunk)
			t->on_chunk(t->arg);
	}
}

/* the end of a finished file that lacks a final newline is still a line */
static void tfile_flush(struct tail *t, struct tfile *f)
{
	const char *line;
	size_t len;
	int over;

	if (f->broken || !linesplit_flush_partial(f->ls, &line, &len, &over))
		return;
	t->on_line(t->arg, line, len, over);
	f->rec.offset = f->base + linesplit_consumed(f->ls);
	f->rec.lines++;
	f->dirty = 1;
	if (t->on_chunk)
		t->on_chunk(t->arg);
}

/* extend a fingerprint taken over a short head as the file grows, so the
 * registry always knows the file by as many bytes as it can */
static void tfile_extend_fp(struct tfile *f)
{
	unsigned char buf[FP_MAX];
	ssize_t n;

	if (f->fd < 0 || f->rec.fp_len >= FP_MAX || f->rpos <= f->rec.fp_len)
		return;
	n = pread(f->fd, buf, sizeof buf, 0);
	if (n <= (ssize_t)f->rec.fp_len)
		return;
	/* a rewritten head is the truncation check's business */
	if (f->rec.fp_len > 0 &&
	    fingerprint(buf, f->rec.fp_len) != f->rec.fp_hash)
		return;
	f->rec.fp_len = (uint32_t)n;
	f->rec.fp_hash = fingerprint(buf, (size_t)n);
	f->dirty = 1;
}

/* head_same: does f still start with the bytes it was fingerprinted on? */
static int head_same(const struct tfile *f)
{
	unsigned char buf[FP_MAX];
	ssize_t n;

	if (f->rec.fp_len == 0)
		return 1;
	n = pread(f->fd, buf, f->rec.fp_len, 0);
	return n == (ssize_t)f->rec.fp_len &&
	    fingerprint(buf, (size_t)n) == f->rec.fp_hash;
}

/* tfile_read: read f to its current end; 0, -1 (fatal, logged), or with
 * `verify` 1 when the file was truncated and rewritten under us: then the
 * bytes just read may be new content at an old offset and are not
 * delivered (the caller starts over from the last delivered line) */
static int tfile_read(struct tail *t, struct tfile *f, int verify)
{
	struct diag d;
	size_t avail;
	ssize_t n;
	char *p;

	diag_init(&d);
	for (;;) {
		p = linesplit_space(f->ls, &avail);
		if (f->in)
			n = input_read(f->in, p, avail, &d);
		else
			n = read(f->fd, p, avail);
		if (n < 0 && f->in) {
			/* a damaged old generation: keep what it gave */
			log_warnx("%s", d.items[0].msg);
			f->broken = 1;
			break;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			log_warn("read %s", f->rec.path);
			goto fail;
		}
		if (n == 0)
			break;
		linesplit_commit(f->ls, (size_t)n);
		f->rpos += (uint64_t)n;
		if (verify && !head_same(f)) {
			diag_release(&d);
			return 1;
		}
		tfile_deliver(t, f);
	}
	tfile_extend_fp(f);
	diag_release(&d);
	return 0;
fail:
	diag_release(&d);
	return -1;
}

/* gen_open: open generation i of l to read from content offset `off`;
 * NULL when it cannot be opened or is no longer the file listed */
static struct tfile *gen_open(struct tail *t, const struct rotation_list *l,
    size_t i, uint64_t off)
{
	struct tfile *f;
	struct diag d;
	uint64_t left = off;
	size_t avail;
	ssize_t n;
	char *p;

	diag_init(&d);
	f = tfile_new(t);
	rotation_record(l, i, &f->rec, &f->dirty);
	if (rotation_open(l, i, &f->fd, &f->in) == -1)
		goto fail;
	if (f->in) {
		/* gzip cannot seek: decompress and drop what was counted */
		while (left > 0) {
			p = linesplit_space(f->ls, &avail);
			if (avail > left)
				avail = (size_t)left;
			if ((n = input_read(f->in, p, avail, &d)) <= 0)
				break;
			left -= (uint64_t)n;
		}
		if (left > 0) {
			log_debug("%s: shorter than its recorded offset",
			    f->rec.path);
			goto fail;
		}
	} else if (lseek(f->fd, (off_t)off, SEEK_SET) == -1) {
		log_warn("seek %s", f->rec.path);
		goto fail;
	}
	f->base = f->rpos = off;
	f->rec.offset = off;
	diag_release(&d);
	return f;
fail:
	diag_release(&d);
	tfile_close(t, f, 0);
	return NULL;
}

/* finish: read generation i of l from `off` to its end.  With `keep` the
 * file stays open (it may still receive a line) and is returned. */
static int finish(struct tail *t, const struct rotation_list *l, size_t i,
    uint64_t off, int keep, struct tfile **kept)
{
	struct tfile *f;

	if ((f = gen_open(t, l, i, off)) == NULL)
		return 0;
	if (tfile_read(t, f, 0) == -1) {
		tfile_close(t, f, 1);
		return -1;
	}
	if (keep) {
		*kept = f;
		return 0;
	}
	tfile_flush(t, f);
	tfile_close(t, f, 1);
	return 0;
}

/* live_open: start following the file now under the log's name, from
 * `known`'s offset if it is that file, else from its start.
 * 1 opened, 0 missing, -1 fatal, -2 permission denied (not yet logged) */
static int live_open(struct tail *t, const struct store_file *known)
{
	struct tfile *f;
	int fd, r;

	if ((fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == EACCES)
			return -2;
		log_warn("open %s", t->path);
		return -1;
	}
	f = tfile_new(t);
	f->fd = fd;
	if ((r = rotation_record_fd(fd, t->path, known, &f->rec,
	    &f->dirty)) < 0) {
		if (r == -1)
			log_warn("read %s", t->path);
		else
			log_warnx("%s is not a regular file", t->path);
		tfile_close(t, f, 0);
		return -1;
	}
	if (r == 1) {
		f->base = f->rpos = f->rec.offset;
		if (lseek(fd, (off_t)f->base, SEEK_SET) == -1) {
			log_warn("seek %s", t->path);
			tfile_close(t, f, 0);
			return -1;
		}
	} else {
		f->dirty = 1;
	}
	/* the watch is taken after the open: if the name moved in between,
	 * the next check_path() sees the new inode and switches (a watch
	 * shared by two files only wakes us up once too often) */
	f->wd = inotify_add_watch(t->ifd, t->path, FILE_MASK);
	if (f->wd < 0 && errno != ENOENT)
		log_warn("inotify watch on %s", t->path);
	t->cur = f;
	return 1;
}

/* copy_probe: f's fingerprint is short and f grew past it: was f
 * truncated and refilled with content that starts with the same bytes
 * (the same time stamp second), its old content copied away?  Its head
 * cannot tell; a fresh copy next to it can. */
static int copy_probe(struct tail *t, struct tfile *f)
{
	unsigned char now[FP_MAX];
	struct rotation_list *l;
	const struct store_file *old = t->old ? &t->old->rec : NULL;
	ssize_t got;
	int r;

	/* a copy is a new name in the directory: look once per change */
	if (f->probed == t->dir_gen)
		return 0;
	if ((got = pread(f->fd, now, sizeof now, 0)) <= 0)
		return 0;
	l = rotation_list(t->rot, 0);
	r = rotation_copy_of(t->rot, l, &f->rec, old, now, (size_t)got) !=
	    SIZE_MAX;
	/* a copy that still agrees with f (copied, not truncated yet): look
	 * again at every wake-up until the truncation shows */
	if (!r && rotation_copy_of(t->rot, l, &f->rec, old, NULL, 0) ==
	    SIZE_MAX)
		f->probed = t->dir_gen;
	rotation_list_free(l);
	if (r)
		log_debug("%s: a copy of its content appeared, it was "
		    "truncated", f->rec.path);
	return r;
}

/* copy_finish: the live file was truncated in place (copytruncate).  What
 * was not read yet is in the copy, a sibling with the same head and another
 * inode (NAME.1, or NAME.1.gz once compressed): finish it from our offset. */
static int copy_finish(struct tail *t, struct tfile *f)
{
	struct rotation_list *l;
	struct store_file rec = f->rec;
	size_t best;
	int r = 0;

	l = rotation_list(t->rot, 0);
	best = rotation_copy_of(t->rot, l, &rec, t->old ? &t->old->rec : NULL,
	    NULL, 0);
	if (best == SIZE_MAX) {
		log_warnx("%s was truncated and no rotated copy of it was "
		    "found: lines written after offset %llu may be lost",
		    t->path, (unsigned long long)rec.offset);
	} else {
		log_info("%s was truncated, finishing its copy %s", t->path,
		    rotation_path(l, best));
		/* the copy carries on as the record of that content */
		rotation_set_known(l, best, &rec);
		r = finish(t, l, best, rec.offset, 0, NULL);
	}
	rotation_list_free(l);
	return r;
}

/* cur_restart: the current file was truncated in place (copytruncate):
 * finish the copy, then read the file's new content from its start */
static int cur_restart(struct tail *t, struct tfile *f, const struct stat *st)
{
	unsigned char buf[FP_MAX];
	char path[sizeof f->rec.path];
	ssize_t n;

	if (copy_finish(t, f) == -1)
		return -1;
	/* new content: a new registry record */
	positions_disown(t, f);
	n = pread(f->fd, buf, sizeof buf, 0);
	if (n < 0 || lseek(f->fd, 0, SEEK_SET) == -1) {
		log_warn("read %s", f->rec.path);
		return -1;
	}
	memcpy(path, f->rec.path, sizeof path);
	memset(&f->rec, 0, sizeof f->rec);
	memcpy(f->rec.path, path, sizeof path);
	f->rec.dev = (uint64_t)st->st_dev;
	f->rec.ino = (uint64_t)st->st_ino;
	f->rec.fp_len = (uint32_t)n;
	f->rec.fp_hash = n ? fingerprint(buf, (size_t)n) : 0;
	f->base = f->rpos = 0;
	f->dirty = 1;
	linesplit_reset(f->ls);
	return 0;
}

/* cur_read: read the current file to its end.  Truncation in place shows
 * as a size below what we read, or a head that no longer has our
 * fingerprint (the file may have grown past the old offset again before
 * we looked); it is checked before reading and after every read. */
static int cur_read(struct tail *t)
{
	struct tfile *f = t->cur;
	struct stat st;
	int r;

	for (;;) {
		if (fstat(f->fd, &st) == -1) {
			log_warn("stat %s", f->rec.path);
			return -1;
		}
		if (((uint64_t)st.st_size < f->rpos || !head_same(f) ||
		    (f->rec.fp_len > 0 && f->rec.fp_len < FP_MAX &&
		    (uint64_t)st.st_size > f->rec.fp_len &&
		    copy_probe(t, f))) && cur_restart(t, f, &st) == -1)
			return -1;
		if ((r = tfile_read(t, f, 1)) != 1)
			return r;
	}
}

/* old_rename: learn the name the previous generation was rotated to, so
 * the registry points at it (identity stays the fingerprint) */
static void old_rename(struct tail *t, struct tfile *f)
{
	char *p = rotation_find(t->rot, f->rec.dev, f->rec.ino);

	if (p == NULL)
		return;
	set_path(&f->rec, p);
	f->dirty = 1;
	free(p);
}

/* old_reap: a previous generation that was deleted gets no more lines;
 * holding it open would keep a deleted log's disk space in use */
static void old_reap(struct tail *t)
{
	struct stat st;

	if (t->old == NULL || t->old->fd < 0 ||
	    (fstat(t->old->fd, &st) == 0 && st.st_nlink > 0))
		return;
	tfile_flush(t, t->old);
	tfile_close(t, t->old, 1);
	t->old = NULL;
}

/* middle_read: prev (read to its end) was rotated away and t->cur is the
 * new live file.  Generations rotated in and out in between (two rotations
 * between two looks) sit between the two by name: read them from their
 * start, oldest first.  The newest one is returned open in *kept (it is
 * the previous generation now: a late line may still reach it). */
static int middle_read(struct tail *t, struct tfile *prev, struct tfile **kept)
{
	unsigned char ph[FP_MAX], lh[FP_MAX];
	struct rotation_list *l;
	size_t n, i, last;
	ssize_t phl, lhl;
	uint64_t off;
	int r = 0;

	*kept = NULL;
	if ((phl = pread(prev->fd, ph, sizeof ph, 0)) < 0)
		phl = 0;
	if ((lhl = pread(t->cur->fd, lh, sizeof lh, 0)) < 0)
		lhl = 0;
	l = rotation_list(t->rot, 0);
	rotation_plan_between(t->rot, l, &prev->rec, ph, (size_t)phl,
	    &t->cur->rec, lh, (size_t)lhl,
	    t->old && t->old != prev ? &t->old->rec : NULL);
	n = rotation_count(l);
	last = rotation_last(l);
	for (i = 0; i < n && r == 0; i++) {
		if (!rotation_want(l, i, &off))
			continue;
		log_info("%s: rotated in and out meanwhile, reading it",
		    rotation_path(l, i));
		r = finish(t, l, i, 0, i == last && !rotation_is_gz(l, i),
		    kept);
	}
	rotation_list_free(l);
	return r;
}

/* check_path: has a new file taken the log's name?  Then finish the current
 * one (kept open as the previous generation) and switch. */
static int check_path(struct tail *t)
{
	struct tfile *prev = t->cur, *kept;
	struct stat st;
	int r;

	if (stat(t->path, &st) == -1) {
		if (errno == ENOENT)
			return 0;   /* renamed or deleted: keep reading it */
		log_warn("stat %s", t->path);
		return -1;
	}
	if (prev && (uint64_t)st.st_dev == prev->rec.dev &&
	    (uint64_t)st.st_ino == prev->rec.ino)
		return 0;
	/* read the old file to its very end before the new one */
	if (prev && cur_read(t) == -1)
		return -1;
	t->cur = NULL;
	r = live_open(t, NULL);
	if (r == -2) {
		t->cur = prev;
		/* Not fatal here: logrotate creates the file 0600 root:root
		 * and chowns/chmods it a moment later, and we are woken by
		 * the creation.  Each change of its mode wakes us again
		 * (IN_ATTRIB on the directory); say once what is wrong and
		 * keep reading the old file meanwhile. */
		if (!t->denied)
			perm_error(t->path);
		t->denied = 1;
		return 0;
	}
	if (r <= 0) {
		t->cur = prev;
		return r;
	}
	if (t->denied)
		log_info("%s is readable now", t->path);
	t->denied = 0;
	if (prev) {
		if (t->old) {
			tfile_flush(t, t->old);
			tfile_close(t, t->old, 1);
		}
		t->old = prev;
		old_rename(t, prev);
		log_info("%s: new file, following it", t->path);
		if (middle_read(t, prev, &kept) == -1)
			return -1;
		if (kept) {
			/* the middle generation is the previous one now */
			tfile_flush(t, prev);
			tfile_close(t, prev, 1);
			kept->wd = inotify_add_watch(t->ifd, kept->rec.path,
			    FILE_MASK);
			t->old = kept;
		}
		old_reap(t);
	} else {
		log_info("%s appeared, following it", t->path);
	}
	return cur_read(t);
}

static int dir_watch_again(struct tail *t);
static void dir_watched(struct tail *t);

/* dir_watch: watch the log's directory, or, while it does not exist, its
 * nearest existing ancestor (for the creation of the next path component).
 * 1 when the directory itself is watched, 0 when waiting, -1 on error. */
static int dir_watch(struct tail *t)
{
	char *a, *sl;

	if (t->dwd >= 0)
		return 1;
	t->dwd = inotify_add_watch(t->ifd, t->dir, DIR_MASK);
	if (t->dwd >= 0) {
		if (t->awd >= 0) {
			inotify_rm_watch(t->ifd, t->awd);
			t->awd = -1;
			log_info("%s exists again, watching it", t->dir);
		}
		dir_watched(t);
		return 1;
	}
	if (errno != ENOENT && errno != ENOTDIR) {
		if (errno == EACCES)
			perm_error(t->dir);
		else
			log_warn("cannot watch directory %s", t->dir);
		return -1;
	}
	a = xstrdup(t->dir);
	for (;;) {
		sl = strrchr(a, '/');
		if (sl == NULL || sl == a) {
			a[1] = '\0';
			if (a[0] != '/')
				strcpy(a, ".");
		} else {
			*sl = '\0';
		}
		if (t->awd >= 0 && t->adir && strcmp(t->adir, a) == 0) {
			free(a);
			return 0;   /* already waiting there */
		}
		if (t->awd >= 0)
			inotify_rm_watch(t->ifd, t->awd);
		t->awd = inotify_add_watch(t->ifd, a, IN_CREATE | IN_MOVED_TO |
		    IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
		if (t->awd >= 0 || (errno != ENOENT && errno != ENOTDIR) ||
		    strcmp(a, "/") == 0 || strcmp(a, ".") == 0)
			break;
	}
	if (t->awd < 0) {
		log_warn("cannot watch %s for %s to appear", a, t->dir);
		free(a);
		return -1;
	}
	if (t->adir == NULL || strcmp(t->adir, a) != 0)
		log_info("%s does not exist, waiting for it (watching %s)", t->dir, a);
	free(t->adir);
	t->adir = a;
	/* created meanwhile? (a whole path can appear between the calls) */
	return dir_watch_again(t);
}

/* dir_watch_again: one more try on the directory itself after an ancestor
 * watch was placed, so a directory created just before is not missed */
static int dir_watch_again(struct tail *t)
{
	t->dwd = inotify_add_watch(t->ifd, t->dir, DIR_MASK);
	if (t->dwd < 0)
		return 0;
	inotify_rm_watch(t->ifd, t->awd);
	t->awd = -1;
	log_info("%s exists again, watching it", t->dir);
	dir_watched(t);
	return 1;
}

/* dir_watched: remember which directory is watched, and watch its parent
 * for its removal or replacement */
static void dir_watched(struct tail *t)
{
	struct stat st;
	char *parent, *sl;

	if (stat(t->dir, &st) == 0) {
		t->dir_dev = (uint64_t)st.st_dev;
		t->dir_ino = (uint64_t)st.st_ino;
	}
	if (t->pwd >= 0)
		return;
	parent = xstrdup(t->dir);
	sl = strrchr(parent, '/');
	if (sl == NULL) {
		/* a relative directory without a slash: "." or a name */
		free(parent);
		parent = xstrdup(strcmp(t->dir, ".") == 0 ? ".." : ".");
	} else if (sl == parent) {
		parent[1] = '\0';
	} else {
		*sl = '\0';
	}
	if (strcmp(parent, t->dir) != 0)
		t->pwd = inotify_add_watch(t->ifd, parent, IN_DELETE | IN_MOVED_FROM |
		    IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
	free(parent);
}

/* dir_gone: is the watched directory removed or replaced? */
static int dir_gone(struct tail *t)
{
	struct stat st;

	if (stat(t->dir, &st) != 0)
		return 1;
	return (uint64_t)st.st_dev != t->dir_dev || (uint64_t)st.st_ino != t->dir_ino;
}

/* dir_lost: the directory was removed: read what the open files still
 * hold, then close them so they stop pinning the old directories (whose
 * own deletion events would otherwise never come), and wait for it again */
static int dir_lost(struct tail *t)
{
	log_info("%s was removed or replaced; finishing the files read from it",
	    t->dir);
	if (t->old) {
		if (tfile_read(t, t->old, 0) == -1)
			return -1;
		tfile_close(t, t->old, 1);
		t->old = NULL;
	}
	if (t->cur) {
		if (cur_read(t) == -1)
			return -1;
		tfile_close(t, t->cur, 1);
		t->cur = NULL;
	}
	if (t->dwd >= 0) {
		inotify_rm_watch(t->ifd, t->dwd);
		t->dwd = -1;
	}
	if (t->pwd >= 0) {
		inotify_rm_watch(t->ifd, t->pwd);
		t->pwd = -1;
	}
	return dir_watch(t) < 0 ? -1 : 0;
}

static const char *base_of(const char *dir)
{
	const char *sl = strrchr(dir, '/');

	return sl ? sl + 1 : dir;
}

/* events_drain: empty the inotify queue; what happened is re-checked from
 * the files themselves (which also covers IN_Q_OVERFLOW) */
static int events_drain(struct tail *t)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct
	    inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;
	char *p;

	for (;;) {
		n = read(t->ifd, buf, sizeof buf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			log_warn("read inotify");
			return -1;
		}
		if (n == 0)
			return 0;
		for (p = buf; p < buf + n; p += sizeof *ev + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW)
				log_debug("inotify queue overflow, rechecking");
			if (ev->wd == t->dwd || (ev->mask & IN_Q_OVERFLOW))
				t->dir_gen++;
			if (ev->mask & IN_IGNORED) {
				if (t->cur && t->cur->wd == ev->wd)
					t->cur->wd = -1;
				if (t->old && t->old->wd == ev->wd)
					t->old->wd = -1;
				/* the directory itself is gone */
				if (ev->wd == t->dwd)
					t->dwd = -1;
				if (ev->wd == t->awd)
					t->awd = -1;
				if (ev->wd == t->pwd)
					t->pwd = -1;
				t->dir_event = 1;
			}
			if (ev->wd == t->awd || (ev->wd == t->pwd && ev->len &&
			    strcmp(ev->name, base_of(t->dir)) == 0))
				t->dir_event = 1;
		}
	}
}

/* history_note: the first start (no history given): the rotated
 * generations it leaves alone are history, made durable by the caller
 * before any line is delivered, so that a restart after a kill at any
 * later moment tells them from the log's own generations */
static int history_note(struct tail *t, const struct rotation_list *l)
{
	size_t count;
	char *text;
	int r;

	if (t->on_history == NULL ||
	    (text = rotation_history_note(t->rot, l, &count)) == NULL)
		return 0;
	if ((r = t->on_history(t->arg, text)) == 0) {
		rotation_history_load(t->rot, text);
		log_info("%s: history noted: %zu rotated generation%s there "
		    "now, left to `eximwatch scan`", t->path, count,
		    count == 1 ? "" : "s");
	}
	free(text);
	return r;
}

int tail_start(struct tail *t, const struct store_file *known, size_t n,
    const char *history)
{
	struct tfile *kept = NULL;
	struct rotation_list *l = NULL;
	struct store_file rec;
	size_t nl, i, last;
	int r;
	uint64_t off;

	if ((t->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
		log_warn("inotify_init1");
		goto fail;
	}
	/* watch first: nothing created while we look around is missed */
	if (dir_watch(t) < 0)
		goto fail;
	rotation_history_load(t->rot, history);
	l = rotation_list(t->rot, 1);
	rotation_plan_start(t->rot, l, known, n);
	if (history_note(t, l) == -1)
		goto fail;
	/* catch up, oldest first */
	nl = rotation_count(l);
	last = rotation_last(l);
	for (i = 0; i < nl; i++) {
		if (!rotation_want(l, i, &off)) {
			/* nothing to read; the record may still learn a new
			 * name or a longer head */
			if (rotation_moved(l, i, &rec))
				closed_add(t, &rec);
			continue;
		}
		/* the last generation stays open if the log itself is gone:
		 * it was rotated just now and may still get a line */
		if (finish(t, l, i, off, i == last && !rotation_is_gz(l, i) &&
		    !rotation_live_listed(l), &kept) == -1)
			goto fail;
	}
	t->old = kept;
	if (t->old)
		t->old->wd = inotify_add_watch(t->ifd, t->old->rec.path,
		    FILE_MASK);
	r = live_open(t, rotation_live_known(l));
	if (r == -2) {
		perm_error(t->path);
		goto fail;
	}
	if (r == -1)
		goto fail;
	if (r == 0) {
		log_info("%s does not exist yet, waiting for it", t->path);
	} else if (cur_read(t) == -1) {
		goto fail;
	}
	rotation_list_free(l);
	return 0;
fail:
	rotation_list_free(l);
	return -1;
}

int tail_fd(const struct tail *t)
{
	return t->ifd;
}

int tail_process(struct tail *t)
{
	positions_harvest(t);
	if (events_drain(t) == -1)
		return -1;
	if (t->dir_event || t->dwd < 0) {
		t->dir_event = 0;
		if (t->dwd >= 0 && dir_gone(t)) {
			if (dir_lost(t) == -1)
				return -1;
		} else if (t->dwd < 0 && dir_watch(t) < 0) {
			return -1;
		}
	}
	if (t->old && tfile_read(t, t->old, 0) == -1)
		return -1;
	old_reap(t);
	if (t->cur) {
		if (cur_read(t) == -1)
			return -1;
	}
	return check_path(t);
}

static void out_add(struct tail *t, const struct store_file *rec,
    struct tfile *owner)
{
	if (t->nout == t->capout) {
		t->capout = t->capout ? 2 * t->capout : 8;
		t->out = xreallocarray(t->out, t->capout, sizeof *t->out);
		t->owner = xreallocarray(t->owner, t->capout,
		    sizeof *t->owner);
	}
	t->out[t->nout] = *rec;
	t->owner[t->nout++] = owner;
}

void tail_requeue(struct tail *t)
{
	size_t i, n = t->nout;

	positions_harvest(t);
	for (i = 0; i < n; i++) {
		if (t->owner[i])
			t->owner[i]->dirty = 1;
		else
			closed_add(t, &t->out[i]);
	}
}

size_t tail_positions(struct tail *t, struct store_file **files)
{
	struct tfile *open[2] = { t->old, t->cur };
	size_t i;

	positions_harvest(t);
	for (i = 0; i < t->nclosed; i++)
		out_add(t, &t->closed[i], NULL);
	t->nclosed = 0;
	for (i = 0; i < 2; i++) {
		struct tfile *f = open[i];

		/* an empty file has no identity yet: nothing to save */
		if (f == NULL || !f->dirty || f->rec.fp_len == 0)
			continue;
		out_add(t, &f->rec, f);
		f->dirty = 0;
	}
	*files = t->out;
	return t->nout;
}

void tail_status(const struct tail *t, struct tail_status *st)
{
	struct stat sb;

	memset(st, 0, sizeof *st);
	snprintf(st->path, sizeof st->path, "%s",
	    t->cur ? t->cur->rec.path : t->path);
	st->waiting = t->cur == NULL;
	if (t->cur == NULL)
		return;
	st->offset = t->cur->rec.offset;
	if (fstat(t->cur->fd, &sb) == 0)
		st->size = (uint64_t)sb.st_size;
}
