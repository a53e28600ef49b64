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
 * finished. */
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "fingerprint.h"
#include "input.h"
#include "linesplit.h"
#include "sbuf.h"
#include "log.h"
#include "tail.h"
#include "xmalloc.h"

#define DIR_MASK  (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | \
    IN_ATTRIB)
#define FILE_MASK (IN_MODIFY | IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB)
#define SEEN_MAX  256

/* the identity of a generation: inode and fingerprint of its head */
struct seen {
	uint64_t dev, ino, fp_hash;
	uint32_t fp_len;
};

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

/* a file found next to the log: NAME, NAME.N[.gz], NAME-DIGITS[.gz] */
struct cand {
	char *path;
	int live, gz, drop;
	int fd;                  /* the file listed, whatever its name now */
	long long rank;          /* newer generations rank higher */
	struct stat st;
	unsigned char head[FP_MAX];
	size_t head_len;
	uint64_t hash;           /* fingerprint of the whole head */
	const struct store_file *known;
};

struct tail {
	char *path, *dir, *name;
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
	/* identities of the generations already accounted for (read, or
	 * present when we started): a sibling that starts with the bytes of
	 * a short fingerprint is only taken for a fresh copytruncate copy when
	 * it is none of these (a ring; older entries fall out) */
	struct seen seen[SEEN_MAX];
	size_t nseen, seenpos;
	/* the history: the rotated generations that were there when the
	 * daemon first followed the log (never read: `eximwatch scan`'s job).
	 * Any other generation is content written since, so a restart reads
	 * one that the registry does not know from its start. */
	tail_history_fn *on_history;
	int have_history;
	struct seen *hist;
	size_t nhist;
};

struct tail *tail_new(const struct tail_opts *o)
{
	struct tail *t = xcalloc(1, sizeof *t);
	const char *slash = strrchr(o->path, '/');

	t->path = xstrdup(o->path);
	if (slash == NULL) {
		t->dir = xstrdup(".");
		t->name = xstrdup(o->path);
	} else {
		t->dir = slash == o->path ? xstrdup("/") :
		    xstrndup(o->path, (size_t)(slash - o->path));
		t->name = xstrdup(slash + 1);
	}
	t->max_line = o->max_line ? o->max_line : 64 << 10;
	t->on_line = o->on_line;
	t->on_chunk = o->on_chunk;
	t->on_history = o->on_history;
	t->arg = o->arg;
	t->ifd = t->dwd = t->awd = t->pwd = -1;
	t->dir_gen = 1;
	return t;
}

static void set_path(struct store_file *rec, const char *path)
{
	snprintf(rec->path, sizeof rec->path, "%s", path);
}

/* seen_add: remember a generation whose content is accounted for */
static void seen_add(struct tail *t, uint64_t dev, uint64_t ino,
    uint64_t fp_hash, uint32_t fp_len)
{
	struct seen *e;
	size_t i;

	if (fp_len == 0)
		return;
	for (i = 0; i < t->nseen; i++) {
		e = &t->seen[i];
		if (e->dev == dev && e->ino == ino && e->fp_hash == fp_hash &&
		    e->fp_len == fp_len)
			return;
	}
	e = &t->seen[t->seenpos];
	t->seenpos = (t->seenpos + 1) % SEEN_MAX;
	if (t->nseen < SEEN_MAX)
		t->nseen++;
	e->dev = dev;
	e->ino = ino;
	e->fp_hash = fp_hash;
	e->fp_len = fp_len;
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
	seen_add(t, f->rec.dev, f->rec.ino, f->rec.fp_hash, f->rec.fp_len);
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
	free(t->hist);
	free(t->out);
	free(t->owner);
	free(t->path);
	free(t->dir);
	free(t->adir);
	free(t->name);
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

/* cand_input: open generation c for reading (decompressed for a .gz).
 * The writer may rename generations (NAME.k -> NAME.k+1) while we look:
 * what is read must be the very file listed (c->fd), so the name is only
 * taken when it still is that inode, else the descriptor is reopened. */
static struct input *cand_input(const struct cand *c, struct diag *d,
    int *err)
{
	struct input *in;
	struct stat st;
	char fdpath[64];

	in = input_open(c->path, d, err);
	if (in != NULL && fstat(input_fd(in), &st) == 0 &&
	    st.st_dev == c->st.st_dev && st.st_ino == c->st.st_ino)
		return in;
	input_close(in);
	if (c->fd < 0)
		return NULL;
	diag_release(d);
	diag_init(d);
	snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", c->fd);
	in = input_open(fdpath, d, err);
	if (in != NULL && (fstat(input_fd(in), &st) != 0 ||
	    st.st_dev != c->st.st_dev || st.st_ino != c->st.st_ino)) {
		input_close(in);
		in = NULL;
	}
	return in;
}

/* head_read: the first FP_MAX content bytes of c (decompressed for a .gz);
 * -1 with errno-like *err when it cannot be opened */
static int head_read(struct cand *c, int *err)
{
	struct diag d;
	struct input *in;
	ssize_t n = 0;

	diag_init(&d);
	c->head_len = 0;
	*err = 0;
	in = cand_input(c, &d, err);
	if (in == NULL)
		goto fail;
	c->gz = input_is_gzip(in);
	while (c->head_len < FP_MAX && (n = input_read(in,
	    c->head + c->head_len, FP_MAX - c->head_len, &d)) > 0)
		c->head_len += (size_t)n;
	input_close(in);
	diag_release(&d);
	return 0;
fail:
	diag_release(&d);
	return -1;
}

/* sib_match: is `ent` the log itself or one of its rotated generations? */
static int sib_match(const char *name, const char *ent, int *live,
    long long *rank)
{
	size_t nl = strlen(name);
	const char *p;
	long long v = 0;
	int digits = 0;
	char sep;

	if (strncmp(ent, name, nl) != 0)
		return 0;
	p = ent + nl;
	*live = *p == '\0';
	if (*live) {
		*rank = LLONG_MAX;
		return 1;
	}
	sep = *p++;
	if (sep != '.' && sep != '-')
		return 0;
	for (; *p >= '0' && *p <= '9'; p++, digits++)
		if (digits < 18)
			v = v * 10 + (*p - '0');
	if (digits == 0 || digits > 18)
		return 0;
	if (*p != '\0' && strcmp(p, ".gz") != 0)
		return 0;
	/* NAME.1 is newer than NAME.2; NAME-20261122 newer than -20261121 */
	*rank = sep == '.' ? -v : v;
	return 1;
}

/* cand_cmp: oldest generation first, by rotation name (NAME.2 before
 * NAME.1 before NAME; NAME-DATE by date; NAME.1.gz is NAME.1's generation).
 * The mtime only breaks ties: a straggler line written to a renamed file
 * after the new one got its lines makes the older generation look newer. */
static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->st.st_mtim.tv_sec != y->st.st_mtim.tv_sec)
		return x->st.st_mtim.tv_sec < y->st.st_mtim.tv_sec ? -1 : 1;
	if (x->st.st_mtim.tv_nsec != y->st.st_mtim.tv_nsec)
		return x->st.st_mtim.tv_nsec < y->st.st_mtim.tv_nsec ? -1 : 1;
	return strcmp(x->path, y->path);
}

static void cands_free(struct cand *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(c[i].path);
		if (c[i].fd >= 0)
			close(c[i].fd);
	}
	free(c);
}

/* cands_list: the log and its generations with their heads, oldest first.
 * Unreadable generations are skipped with a warning: the live log is what
 * must be readable.  *listed (if not NULL): 0 when the directory could not
 * be read (a missing one has no generations: 1). */
static struct cand *cands_list(struct tail *t, size_t *np, int *listed)
{
	struct cand *c = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *dir;
	int live, err;
	long long rank;

	*np = 0;
	if (listed)
		*listed = 1;
	if ((dir = opendir(t->dir)) == NULL) {
		if (listed)
			*listed = errno == ENOENT;
		log_warn("cannot list %s", t->dir);
		return NULL;
	}
	while ((de = readdir(dir)) != NULL) {
		struct cand *x;

		if (!sib_match(t->name, de->d_name, &live, &rank))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			c = xreallocarray(c, cap, sizeof *c);
		}
		x = &c[n];
		memset(x, 0, sizeof *x);
		x->path = xasprintf("%s/%s", t->dir, de->d_name);
		x->live = live;
		x->rank = rank;
		err = 0;
		/* the identity (inode, head) and everything read later come
		 * from this descriptor: the name may change meanwhile */
		if ((x->fd = open(x->path, O_RDONLY | O_CLOEXEC |
		    O_NONBLOCK)) == -1)
			err = errno;
		if (x->fd == -1 || fstat(x->fd, &x->st) == -1 ||
		    !S_ISREG(x->st.st_mode) || head_read(x, &err) == -1) {
			/* the live log's own error comes from live_open() */
			if (!live && err == EACCES)
				log_warnx("cannot read %s: permission denied, "
				    "skipping it", x->path);
			if (x->fd >= 0)
				close(x->fd);
			free(x->path);
			continue;
		}
		x->hash = x->head_len ? fingerprint(x->head, x->head_len) : 0;
		n++;
	}
	closedir(dir);
	if (n)
		qsort(c, n, sizeof *c, cand_cmp);
	*np = n;
	return c;
}

/* cands_stable: list the generations until two listings agree (names
 * and inodes): a directory read while logrotate renames NAME.k to
 * NAME.k+1 may miss a file or see one twice */
static struct cand *cands_stable(struct tail *t, size_t *np, int *listed)
{
	struct cand *c, *d;
	size_t n, m, i;
	int tries;

	c = cands_list(t, &n, listed);
	for (tries = 0; tries < 10; tries++) {
		d = cands_list(t, &m, listed);
		for (i = 0; i < n && n == m; i++)
			if (strcmp(c[i].path, d[i].path) != 0 ||
			    c[i].st.st_ino != d[i].st.st_ino ||
			    c[i].st.st_dev != d[i].st.st_dev)
				break;
		cands_free(c, n);
		c = d;
		if (n == m && i == n) {
			n = m;
			break;
		}
		n = m;
	}
	*np = n;
	return c;
}

/* cand_has: does c's content start with the bytes rec was fingerprinted on */
static int cand_has(const struct cand *c, const struct store_file *rec)
{
	if (rec->fp_len == 0 || rec->fp_len > c->head_len)
		return 0;
	if (rec->fp_len == c->head_len)
		return c->hash == rec->fp_hash;
	return fingerprint(c->head, rec->fp_len) == rec->fp_hash;
}

static int same_inode(const struct cand *c, const struct store_file *rec)
{
	return (uint64_t)c->st.st_dev == rec->dev &&
	    (uint64_t)c->st.st_ino == rec->ino;
}

/* ident_is: is c the generation identified by e?  The same content (the
 * whole head known) under any inode (NAME.2 compressed to NAME.2.gz), or
 * the same inode still starting with the bytes known of it */
static int ident_is(const struct seen *e, const struct cand *c)
{
	if (e->fp_len > c->head_len)
		return 0;
	if (e->fp_len == c->head_len ? c->hash != e->fp_hash :
	    fingerprint(c->head, e->fp_len) != e->fp_hash)
		return 0;
	return e->fp_len == c->head_len || ((uint64_t)c->st.st_dev ==
	    e->dev && (uint64_t)c->st.st_ino == e->ino);
}

/* seen_has: is c a generation already accounted for? */
static int seen_has(const struct tail *t, const struct cand *c)
{
	size_t i;

	for (i = 0; i < t->nseen; i++)
		if (ident_is(&t->seen[i], c))
			return 1;
	return 0;
}

/* history_has: was c there, rotated, when the daemon first followed the
 * log? */
static int history_has(const struct tail *t, const struct cand *c)
{
	size_t i;

	for (i = 0; i < t->nhist; i++)
		if (ident_is(&t->hist[i], c))
			return 1;
	return 0;
}

static void seen_cand(struct tail *t, const struct cand *c)
{
	seen_add(t, (uint64_t)c->st.st_dev, (uint64_t)c->st.st_ino, c->hash,
	    (uint32_t)c->head_len);
}

/* cand_better: for the same content, which copy to read: the live log,
 * then a plain file (seekable, and a .gz of it may be half written),
 * then the newer name */
static int cand_better(const struct cand *a, const struct cand *b)
{
	if (a->live != b->live)
		return a->live;
	if (a->gz != b->gz)
		return !a->gz;
	return a->rank > b->rank;
}

/* cands_dedup: NAME.1 and NAME.1.gz side by side (compression under way)
 * are one generation; reading both would count it twice */
static void cands_dedup(struct cand *c, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n && !c[i].drop; j++) {
			if (c[j].drop || c[i].head_len == 0 ||
			    c[i].head_len != c[j].head_len ||
			    c[i].hash != c[j].hash)
				continue;
			if (cand_better(&c[i], &c[j]))
				c[j].drop = 1;
			else
				c[i].drop = 1;
		}
}

/* heads_agree: do a and b start alike as far as both heads go? */
static int heads_agree(const struct cand *a, const struct cand *b)
{
	size_t n = a->head_len < b->head_len ? a->head_len : b->head_len;

	return memcmp(a->head, b->head, n) == 0;
}

/* match_class: how strongly candidate c is that registry record (which
 * starts like c; -1: it cannot be).  A full fingerprint (FP_MAX bytes)
 * identifies content; the inode only breaks ties (inode numbers are
 * reused).  A short one (the file held less than FP_MAX bytes at the last
 * commit) only says the content starts with those bytes, which a new file
 * may do too (same time stamp second, same text): then a rotated
 * generation is preferred over the live log, because the live log may have
 * been truncated and refilled (copytruncate: the content went to a copy
 * with a new inode; rename: the content kept its inode under the new
 * name), and the same inode over another. */
static int match_class(const struct cand *c, const struct store_file *rec)
{
	int same = same_inode(c, rec);

	if (!cand_has(c, rec))
		return -1;
	/* a plain file shorter than what was counted of it is another one */
	if (!c->gz && (uint64_t)c->st.st_size < rec->offset)
		return -1;
	if (rec->fp_len >= FP_MAX)
		return same ? 5 : 4;
	if (!c->live)
		return same ? 3 : 2;
	return same ? 1 : 0;
}

/* cands_match: pair candidates with registry records, one record for one
 * file, the strongest pairs first (match_class, then the longer
 * fingerprint, then the larger offset: of two rows for the same content
 * the one that counted more) */
static void cands_match(struct cand *c, size_t n,
    const struct store_file *known, size_t nknown)
{
	struct pair {
		size_t i, k;
		int cl;
	} *p = NULL;
	size_t np = 0, cap = 0, i, k, j, b;

	for (i = 0; i < n; i++) {
		if (c[i].drop)
			continue;
		for (k = 0; k < nknown; k++) {
			int cl = match_class(&c[i], &known[k]);

			if (cl < 0)
				continue;
			if (np == cap) {
				cap = cap ? 2 * cap : 16;
				p = xreallocarray(p, cap, sizeof *p);
			}
			p[np].i = i;
			p[np].k = k;
			p[np++].cl = cl;
		}
	}
	for (;;) {
		b = SIZE_MAX;
		for (j = 0; j < np; j++) {
			const struct pair *x = &p[j],
			    *y = &p[b == SIZE_MAX ? j : b];

			if (x->cl < 0)
				continue;
			if (b != SIZE_MAX && (x->cl < y->cl || (x->cl == y->cl &&
			    (known[x->k].fp_len < known[y->k].fp_len ||
			    (known[x->k].fp_len == known[y->k].fp_len &&
			    (known[x->k].offset < known[y->k].offset ||
			    (known[x->k].offset == known[y->k].offset &&
			    !cand_better(&c[x->i], &c[y->i]))))))))
				continue;
			b = j;
		}
		if (b == SIZE_MAX)
			break;
		c[p[b].i].known = &known[p[b].k];
		/* one record, one file */
		i = p[b].i;
		k = p[b].k;
		for (j = 0; j < np; j++)
			if (p[j].i == i || p[j].k == k)
				p[j].cl = -1;
	}
	free(p);
	/* a short record given to a copy of the live log whose content the
	 * live log still has (copied, not truncated yet): the live log is it */
	for (i = 0; i < n; i++) {
		if (!c[i].live || c[i].drop || c[i].known)
			continue;
		for (j = 0; j < n; j++)
			if (j != i && c[j].known && !c[j].live &&
			    c[j].known->fp_len < FP_MAX &&
			    same_inode(&c[i], c[j].known) &&
			    !same_inode(&c[j], c[j].known) &&
			    match_class(&c[i], c[j].known) >= 0 &&
			    heads_agree(&c[i], &c[j])) {
				c[i].known = c[j].known;
				c[j].known = NULL;
				break;
			}
	}
	/* another copy of a matched file's content (a copytruncate copy
	 * before the truncation, a .gz being written: its head may be short
	 * yet) is not read twice; a file that merely starts with the same few
	 * bytes as a record is other content */
	for (i = 0; i < n; i++) {
		if (c[i].drop || c[i].known || c[i].live)
			continue;
		/* content whose whole head a record knows, only shorter than
		 * what was counted: a partial copy */
		for (k = 0; k < nknown && !c[i].drop; k++)
			if (known[k].fp_len >= FP_MAX &&
			    cand_has(&c[i], &known[k]))
				c[i].drop = 1;
		for (j = 0; j < n && !c[i].drop; j++)
			if (j != i && c[j].known && heads_agree(&c[i], &c[j]) &&
			    (c[i].head_len <= c[j].head_len ||
			    match_class(&c[i], c[j].known) >= 0)) {
				c[i].drop = 1;
				break;
			}
		/* a head that is the start of a longer one listed: a copy
		 * being made (cp, gzip) of that one */
		for (j = 0; j < n && !c[i].drop; j++)
			if (j != i && c[i].head_len < c[j].head_len &&
			    heads_agree(&c[i], &c[j]))
				c[i].drop = 1;
	}
}

/* rec_init: the record for content with head c, from the registry entry
 * when there is one (its id, offset and line count carry over) */
static void rec_init(struct tfile *f, const struct cand *c)
{
	if (c->known)
		f->rec = *c->known;
	else
		memset(&f->rec, 0, sizeof f->rec);
	if (f->rec.fp_len < c->head_len) {
		f->rec.fp_len = (uint32_t)c->head_len;
		f->rec.fp_hash = c->hash;
		f->dirty = 1;
	}
	if (strcmp(f->rec.path, c->path) != 0 ||
	    f->rec.dev != (uint64_t)c->st.st_dev ||
	    f->rec.ino != (uint64_t)c->st.st_ino)
		f->dirty = 1;
	set_path(&f->rec, c->path);
	f->rec.dev = (uint64_t)c->st.st_dev;
	f->rec.ino = (uint64_t)c->st.st_ino;
}

/* gz_isize: the uncompressed size mod 2^32 from the gzip trailer */
static int gz_isize(int fd, uint32_t *isize)
{
	unsigned char b[4];
	struct stat st;

	if (fstat(fd, &st) == 0 && st.st_size >= 18 &&
	    pread(fd, b, 4, st.st_size - 4) == 4) {
		*isize = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
		    (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
		return 0;
	}
	return -1;
}

/* cand_open: open generation c to read from content offset `off`; NULL when
 * it cannot be opened or is no longer the file listed */
static struct tfile *cand_open(struct tail *t, const struct cand *c,
    uint64_t off)
{
	struct tfile *f;
	struct diag d;
	struct stat st;
	uint64_t left = off;
	size_t avail;
	ssize_t n;
	char *p;

	diag_init(&d);
	f = tfile_new(t);
	rec_init(f, c);
	if (c->gz) {
		if ((f->in = cand_input(c, &d, NULL)) == NULL) {
			if (d.n)
				log_warnx("%s", d.items[0].msg);
			else
				log_warnx("%s was replaced while starting, "
				    "skipping it", c->path);
			goto fail;
		}
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
			    c->path);
			goto fail;
		}
	} else {
		if ((f->fd = open(c->path, O_RDONLY | O_CLOEXEC)) < 0 &&
		    c->fd < 0) {
			if (errno == EACCES)
				perm_error(c->path);
			else
				log_warn("open %s", c->path);
			goto fail;
		}
		if (c->fd >= 0 && (f->fd < 0 || fstat(f->fd, &st) == -1 ||
		    st.st_dev != c->st.st_dev || st.st_ino != c->st.st_ino)) {
			/* renamed meanwhile: the file listed, by its fd */
			char fdpath[64];

			if (f->fd >= 0)
				close(f->fd);
			snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d",
			    c->fd);
			f->fd = open(fdpath, O_RDONLY | O_CLOEXEC);
		}
		if (f->fd < 0 || fstat(f->fd, &st) == -1 ||
		    st.st_dev != c->st.st_dev || st.st_ino != c->st.st_ino) {
			log_warnx("%s was replaced while starting, skipping it",
			    c->path);
			goto fail;
		}
		if (lseek(f->fd, (off_t)off, SEEK_SET) == -1) {
			log_warn("seek %s", c->path);
			goto fail;
		}
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

/* cand_done: has the registry already counted all of c? */
static int cand_done(const struct cand *c, uint64_t off)
{
	uint32_t isize;

	if (!c->gz)
		return off >= (uint64_t)c->st.st_size;
	/* a .gz is done when its trailer says so; decompressing every old
	 * generation at each start would cost minutes on a busy server */
	return c->fd >= 0 && gz_isize(c->fd, &isize) == 0 &&
	    isize == (uint32_t)off &&
	    off > 0;
}

/* finish: read generation c from `off` to its end.  With `keep` the file
 * stays open (it may still receive a line) and is returned. */
static int finish(struct tail *t, const struct cand *c, uint64_t off,
    int keep, struct tfile **kept)
{
	struct tfile *f;

	if ((f = cand_open(t, c, off)) == NULL)
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
	struct cand c;
	ssize_t n;
	int fd;

	if ((fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == EACCES)
			return -2;
		log_warn("open %s", t->path);
		return -1;
	}
	memset(&c, 0, sizeof c);
	c.fd = -1;
	if (fstat(fd, &c.st) == -1 || !S_ISREG(c.st.st_mode) ||
	    (n = pread(fd, c.head, sizeof c.head, 0)) < 0) {
		if (S_ISREG(c.st.st_mode))
			log_warn("read %s", t->path);
		else
			log_warnx("%s is not a regular file", t->path);
		close(fd);
		return -1;
	}
	c.path = t->path;
	c.live = 1;
	c.head_len = (size_t)n;
	c.hash = n ? fingerprint(c.head, (size_t)n) : 0;
	if (known && cand_has(&c, known) &&
	    known->offset <= (uint64_t)c.st.st_size)
		c.known = known;
	f = tfile_new(t);
	f->fd = fd;
	rec_init(f, &c);
	if (c.known) {
		f->base = f->rpos = c.known->offset;
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

/* copy_pick: among the siblings c[0..n), the rotated copy of f's content:
 * another inode starting with f's fingerprint and holding at least what
 * was counted of f.  A short fingerprint (f held less than FP_MAX bytes)
 * is weak evidence: then the generations already accounted for are no
 * candidates, and with `now` (f's head as it is now) the copy must differ
 * from f after the shared bytes (else f still has that content: copied,
 * not truncated yet).  SIZE_MAX: none. */
static size_t copy_pick(const struct tail *t, const struct tfile *f,
    const struct cand *c, size_t n, const unsigned char *now, size_t nowlen)
{
	int weak = f->rec.fp_len < FP_MAX;
	size_t i, best = SIZE_MAX, m;

	for (i = 0; i < n; i++) {
		if (c[i].live || !cand_has(&c[i], &f->rec) ||
		    same_inode(&c[i], &f->rec))
			continue;
		if (!c[i].gz && (uint64_t)c[i].st.st_size < f->rec.offset)
			continue;
		if (t->old && same_inode(&c[i], &t->old->rec))
			continue;
		if (weak && seen_has(t, &c[i]))
			continue;
		if (now) {
			m = nowlen < c[i].head_len ? nowlen : c[i].head_len;
			if (memcmp(now, c[i].head, m) == 0)
				continue;
		}
		if (best == SIZE_MAX || cand_better(&c[i], &c[best]))
			best = i;
	}
	return best;
}

/* copy_probe: f's fingerprint is short and f grew past it: was f
 * truncated and refilled with content that starts with the same bytes
 * (the same time stamp second), its old content copied away?  Its head
 * cannot tell; a fresh copy next to it can. */
static int copy_probe(struct tail *t, struct tfile *f)
{
	unsigned char now[FP_MAX];
	struct cand *c;
	size_t n;
	ssize_t got;
	int r;

	/* a copy is a new name in the directory: look once per change */
	if (f->probed == t->dir_gen)
		return 0;
	if ((got = pread(f->fd, now, sizeof now, 0)) <= 0)
		return 0;
	c = cands_list(t, &n, NULL);
	r = copy_pick(t, f, c, n, now, (size_t)got) != SIZE_MAX;
	/* a copy that still agrees with f (copied, not truncated yet): look
	 * again at every wake-up until the truncation shows */
	if (!r && copy_pick(t, f, c, n, NULL, 0) == SIZE_MAX)
		f->probed = t->dir_gen;
	cands_free(c, n);
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
	struct cand *c;
	size_t n, best;
	int r = 0;

	c = cands_list(t, &n, NULL);
	best = copy_pick(t, f, c, n, NULL, 0);
	if (best == SIZE_MAX) {
		log_warnx("%s was truncated and no rotated copy of it was "
		    "found: lines written after offset %llu may be lost",
		    t->path, (unsigned long long)f->rec.offset);
	} else {
		struct cand *b = &c[best];
		struct store_file rec = f->rec;

		log_info("%s was truncated, finishing its copy %s", t->path,
		    b->path);
		/* the copy carries on as the record of that content */
		b->known = &rec;
		r = finish(t, b, rec.offset, 0, NULL);
	}
	cands_free(c, n);
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
	struct dirent *de;
	struct stat st;
	DIR *dir;
	long long rank;
	int live;
	char *p;

	if ((dir = opendir(t->dir)) == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (!sib_match(t->name, de->d_name, &live, &rank) || live)
			continue;
		p = xasprintf("%s/%s", t->dir, de->d_name);
		if (stat(p, &st) == 0 && (uint64_t)st.st_dev == f->rec.dev &&
		    (uint64_t)st.st_ino == f->rec.ino) {
			set_path(&f->rec, p);
			f->dirty = 1;
			free(p);
			break;
		}
		free(p);
	}
	closedir(dir);
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
	struct cand *c;
	size_t n, i, pi = SIZE_MAX, last = SIZE_MAX;
	ssize_t phl, lhl;
	int r = 0;

	*kept = NULL;
	if ((phl = pread(prev->fd, ph, sizeof ph, 0)) < 0)
		phl = 0;
	if ((lhl = pread(t->cur->fd, lh, sizeof lh, 0)) < 0)
		lhl = 0;
	c = cands_list(t, &n, NULL);
	cands_dedup(c, n);
	/* where prev is now: its inode, or its content (compressed) */
	for (i = 0; i < n && pi == SIZE_MAX; i++)
		if (!c[i].live && same_inode(&c[i], &prev->rec))
			pi = i;
	for (i = n; i-- > 0 && pi == SIZE_MAX; )
		if (!c[i].live && phl > 0 && c[i].head_len == (size_t)phl &&
		    memcmp(c[i].head, ph, (size_t)phl) == 0)
			pi = i;
	if (pi == SIZE_MAX)
		goto out;   /* deleted: nothing to tell the order by */
	for (i = 0; i < n; i++) {
		if (c[i].drop || c[i].live || c[i].rank <= c[pi].rank ||
		    c[i].head_len == 0 || same_inode(&c[i], &prev->rec) ||
		    same_inode(&c[i], &t->cur->rec) ||
		    (t->old && t->old != prev &&
		    same_inode(&c[i], &t->old->rec)) ||
		    (c[i].head_len == (size_t)phl &&
		    memcmp(c[i].head, ph, (size_t)phl) == 0) ||
		    /* a copy of the new file, not truncated yet: read there */
		    (lhl > 0 && memcmp(c[i].head, lh, c[i].head_len <
		    (size_t)lhl ? c[i].head_len : (size_t)lhl) == 0) ||
		    seen_has(t, &c[i])) {
			c[i].drop = 1;
			continue;
		}
		last = i;
	}
	for (i = 0; i < n && r == 0; i++) {
		if (c[i].drop || c[i].live || c[i].rank <= c[pi].rank)
			continue;
		log_info("%s: rotated in and out meanwhile, reading it",
		    c[i].path);
		r = finish(t, &c[i], 0, i == last && !c[i].gz, kept);
	}
out:
	cands_free(c, n);
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

/* catchup_want: should tail_start() read generation i, and from where */
static int catchup_want(const struct tail *t, const struct cand *c, size_t i,
    size_t newest, uint64_t *off)
{
	if (c[i].drop || c[i].live)
		return 0;
	if (c[i].known) {
		*off = c[i].known->offset;
		return !cand_done(&c[i], *off);
	}
	/* unknown: content no commit has counted a line of.  What was there
	 * at the first start is history, `eximwatch scan`'s job; anything
	 * else came since (the log itself rotated while the daemon was down,
	 * even one whose position was never committed), if it is newer (by
	 * name) than the newest known rotated generation.  Without a history
	 * (the first start, or a registry from before it was kept) only what
	 * is newer than a known generation is new. */
	*off = 0;
	if (t->have_history)
		return !history_has(t, &c[i]) &&
		    (newest == SIZE_MAX || i > newest);
	return newest != SIZE_MAX && i > newest;
}

/* history_parse: the history tail_start() was given, if it is this log's */
static void history_parse(struct tail *t, const char *text)
{
	const char *p, *nl;
	size_t cap = 0, plen = strlen(t->path);
	struct seen e;
	unsigned long long dev, ino, hash;
	unsigned len;
	int used;

	t->have_history = 0;
	t->nhist = 0;
	if (text == NULL || strncmp(text, "log ", 4) != 0 ||
	    strncmp(text + 4, t->path, plen) != 0 || text[4 + plen] != '\n')
		return;
	for (p = text + 4 + plen + 1; *p; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL ||
		    sscanf(p, "gen %llu %llu %u %llu%n", &dev, &ino, &len, &hash,
		    &used) != 4 || p + used != nl || len == 0 || len > FP_MAX)
			return;   /* not ours: noted again */
		e.dev = dev;
		e.ino = ino;
		e.fp_len = len;
		e.fp_hash = hash;
		if (t->nhist == cap) {
			cap = cap ? 2 * cap : 8;
			t->hist = xreallocarray(t->hist, cap, sizeof *t->hist);
		}
		t->hist[t->nhist++] = e;
	}
	t->have_history = 1;
}

/* history_note: at a start without a history, the rotated generations
 * that this start leaves alone are the history; they are made durable
 * (on_history) before any line is delivered, so that a restart after a
 * kill at any later moment tells them from the log's own generations.
 * A copy of the live log (a copytruncate under way) is the live log's
 * content, not history. */
static int history_note(struct tail *t, const struct cand *c, size_t n,
    size_t newest, int listed)
{
	struct sbuf b;
	const struct cand *live = NULL;
	size_t i, m, nh = 0;
	uint64_t off;
	int r;

	if (t->have_history || t->on_history == NULL || !listed)
		return 0;
	for (i = 0; i < n; i++)
		if (c[i].live)
			live = &c[i];
	sbuf_init(&b);
	sbuf_addf(&b, "log %s\n", t->path);
	for (i = 0; i < n; i++) {
		if (c[i].live || c[i].known || c[i].head_len == 0 ||
		    catchup_want(t, c, i, newest, &off))
			continue;
		m = live && live->head_len < c[i].head_len ? live->head_len :
		    c[i].head_len;
		if (live && m > 0 && memcmp(live->head, c[i].head, m) == 0)
			continue;
		sbuf_addf(&b, "gen %llu %llu %zu %llu\n",
		    (unsigned long long)c[i].st.st_dev,
		    (unsigned long long)c[i].st.st_ino, c[i].head_len,
		    (unsigned long long)c[i].hash);
		nh++;
	}
	r = t->on_history(t->arg, b.s);
	if (r == 0) {
		history_parse(t, b.s);
		log_info("%s: history noted: %zu rotated generation%s there "
		    "now, left to `eximwatch scan`", t->path, nh,
		    nh == 1 ? "" : "s");
	}
	sbuf_release(&b);
	return r;
}

int tail_start(struct tail *t, const struct store_file *known, size_t n,
    const char *history)
{
	struct tfile *kept = NULL;
	struct cand *c = NULL;
	size_t nc = 0, i, newest = SIZE_MAX, last = SIZE_MAX;
	const struct store_file *live_known = NULL;
	int live_seen = 0, listed, r;
	uint64_t off;

	if ((t->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
		log_warn("inotify_init1");
		goto fail;
	}
	/* watch first: nothing created while we look around is missed */
	if (dir_watch(t) < 0)
		goto fail;
	history_parse(t, history);
	c = cands_stable(t, &nc, &listed);
	cands_dedup(c, nc);
	cands_match(c, nc, known, n);
	for (i = 0; i < nc; i++) {
		if (c[i].drop)
			continue;
		if (c[i].live) {
			live_seen = 1;
			live_known = c[i].known;
		} else if (c[i].known) {
			newest = i;
		}
	}
	for (i = 0; i < nc; i++) {
		/* what is there now is history or accounted for; a copy made
		 * from here on is new */
		if (!c[i].live && !c[i].drop)
			seen_cand(t, &c[i]);
		if (catchup_want(t, c, i, newest, &off))
			last = i;
	}
	/* the first start: what is history, durable before any line */
	if (history_note(t, c, nc, newest, listed) == -1)
		goto fail;
	/* catch up, oldest first */
	for (i = 0; i < nc; i++) {
		if (!catchup_want(t, c, i, newest, &off)) {
			struct tfile f;

			/* nothing to read; the record may still learn a new
			 * name or a longer head */
			if (c[i].drop || !c[i].known || c[i].live)
				continue;
			memset(&f, 0, sizeof f);
			rec_init(&f, &c[i]);
			if (f.dirty)
				closed_add(t, &f.rec);
			continue;
		}
		/* the last generation stays open if the log itself is gone:
		 * it was rotated just now and may still get a line */
		if (finish(t, &c[i], off, i == last && !c[i].gz && !live_seen,
		    &kept) == -1)
			goto fail;
	}
	t->old = kept;
	if (t->old)
		t->old->wd = inotify_add_watch(t->ifd, t->old->rec.path,
		    FILE_MASK);
	r = live_open(t, live_known);
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
	cands_free(c, nc);
	return 0;
fail:
	cands_free(c, nc);
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
