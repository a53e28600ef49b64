/* rotation: the log's rotated generations and where content went (see
 * rotation.h)
 *
 * A listing is an array of "struct gen", sorted oldest first, each holding
 * the descriptor it was listed by: logrotate may rename NAME.k to NAME.k+1
 * while we look, so identity (inode, head) and everything read later come
 * from that descriptor, the name only when it still is that inode. */
#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fingerprint.h"
#include "log.h"
#include "rotation.h"
#include "sbuf.h"
#include "xmalloc.h"

#define SEEN_MAX  256

/* the identity of a generation: inode and fingerprint of its head */
struct ident {
	uint64_t dev, ino, fp_hash;
	uint32_t fp_len;
};

struct rotation {
	char *path, *dir, *name;
	/* the generations accounted for (a ring; older entries fall out) */
	struct ident seen[SEEN_MAX];
	size_t nseen, seenpos;
	/* the history: rotated generations there at the first start */
	int have_history;
	struct ident *hist;
	size_t nhist;
};

/* a file found next to the log: NAME, NAME.N[.gz], NAME-DIGITS[.gz] */
struct gen {
	char *path;
	int live, gz, drop;
	int fd;                  /* the file listed, whatever its name now */
	long long rank;          /* newer generations rank higher */
	struct stat st;
	unsigned char head[FP_MAX];
	size_t head_len;
	uint64_t hash;           /* fingerprint of the whole head */
	const struct store_file *known;
	int want;                /* the plan: read it, from `off` */
	uint64_t off;
};

struct rotation_list {
	struct gen *g;
	size_t n;
	int listed;              /* 0: the directory could not be read */
};

struct rotation *rotation_new(const char *path)
{
	struct rotation *r = xcalloc(1, sizeof *r);
	const char *slash = strrchr(path, '/');

	r->path = xstrdup(path);
	if (slash == NULL) {
		r->dir = xstrdup(".");
		r->name = xstrdup(path);
	} else {
		r->dir = slash == path ? xstrdup("/") :
		    xstrndup(path, (size_t)(slash - path));
		r->name = xstrdup(slash + 1);
	}
	return r;
}

void rotation_free(struct rotation *r)
{
	if (r == NULL)
		return;
	free(r->hist);
	free(r->path);
	free(r->dir);
	free(r->name);
	free(r);
}

static void seen_add(struct rotation *r, uint64_t dev, uint64_t ino,
    uint64_t fp_hash, uint32_t fp_len)
{
	struct ident *e;
	size_t i;

	if (fp_len == 0)
		return;
	for (i = 0; i < r->nseen; i++) {
		e = &r->seen[i];
		if (e->dev == dev && e->ino == ino && e->fp_hash == fp_hash &&
		    e->fp_len == fp_len)
			return;
	}
	e = &r->seen[r->seenpos];
	r->seenpos = (r->seenpos + 1) % SEEN_MAX;
	if (r->nseen < SEEN_MAX)
		r->nseen++;
	e->dev = dev;
	e->ino = ino;
	e->fp_hash = fp_hash;
	e->fp_len = fp_len;
}

void rotation_seen(struct rotation *r, const struct store_file *rec)
{
	seen_add(r, rec->dev, rec->ino, rec->fp_hash, rec->fp_len);
}

/* ident_is: is c the generation identified by e?  The same content (the
 * whole head known) under any inode (NAME.2 compressed to NAME.2.gz), or
 * the same inode still starting with the bytes known of it */
static int ident_is(const struct ident *e, const struct gen *c)
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
static int seen_has(const struct rotation *r, const struct gen *c)
{
	size_t i;

	for (i = 0; i < r->nseen; i++)
		if (ident_is(&r->seen[i], c))
			return 1;
	return 0;
}

/* history_has: was c there, rotated, at the first start? */
static int history_has(const struct rotation *r, const struct gen *c)
{
	size_t i;

	for (i = 0; i < r->nhist; i++)
		if (ident_is(&r->hist[i], c))
			return 1;
	return 0;
}

/* The history's text: "log PATH\n", then "gen DEV INO FP_LEN FP_HASH\n"
 * per generation. */
int rotation_history_load(struct rotation *r, const char *text)
{
	const char *p, *nl;
	size_t cap = 0, plen = strlen(r->path);
	struct ident e;
	unsigned long long dev, ino, hash;
	unsigned len;
	int used;

	r->have_history = 0;
	r->nhist = 0;
	if (text == NULL || strncmp(text, "log ", 4) != 0 ||
	    strncmp(text + 4, r->path, plen) != 0 || text[4 + plen] != '\n')
		return 0;
	for (p = text + 4 + plen + 1; *p; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL ||
		    sscanf(p, "gen %llu %llu %u %llu%n", &dev, &ino, &len,
		    &hash, &used) != 4 || p + used != nl || len == 0 ||
		    len > FP_MAX)
			return 0;
		e.dev = dev;
		e.ino = ino;
		e.fp_len = len;
		e.fp_hash = hash;
		if (r->nhist == cap) {
			cap = cap ? 2 * cap : 8;
			r->hist = xreallocarray(r->hist, cap, sizeof *r->hist);
		}
		r->hist[r->nhist++] = e;
	}
	r->have_history = 1;
	return 1;
}

/* A copy of the live log (a copytruncate under way) is the live log's
 * content, not history. */
char *rotation_history_note(const struct rotation *r,
    const struct rotation_list *l, size_t *count)
{
	const struct gen *c = l->g, *live = NULL;
	struct sbuf b;
	size_t i, m;
	char *text;

	*count = 0;
	if (r->have_history || !l->listed)
		return NULL;
	for (i = 0; i < l->n; i++)
		if (c[i].live)
			live = &c[i];
	sbuf_init(&b);
	sbuf_addf(&b, "log %s\n", r->path);
	for (i = 0; i < l->n; i++) {
		if (c[i].live || c[i].known || c[i].want ||
		    c[i].head_len == 0)
			continue;
		m = live && live->head_len < c[i].head_len ? live->head_len :
		    c[i].head_len;
		if (live && m > 0 && memcmp(live->head, c[i].head, m) == 0)
			continue;
		sbuf_addf(&b, "gen %llu %llu %zu %llu\n",
		    (unsigned long long)c[i].st.st_dev,
		    (unsigned long long)c[i].st.st_ino, c[i].head_len,
		    (unsigned long long)c[i].hash);
		(*count)++;
	}
	text = sbuf_detach(&b);
	sbuf_release(&b);
	return text;
}

/* gen_input: open generation c for reading (decompressed for a .gz), the
 * very file listed: the name only while it is that inode, else the
 * descriptor it was listed by */
static struct input *gen_input(const struct gen *c, struct diag *d, int *err)
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
static int head_read(struct gen *c, int *err)
{
	struct diag d;
	struct input *in;
	ssize_t n = 0;

	diag_init(&d);
	c->head_len = 0;
	*err = 0;
	in = gen_input(c, &d, err);
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

/* gen_cmp: oldest generation first, by rotation name (NAME.2 before
 * NAME.1 before NAME; NAME-DATE by date; NAME.1.gz is NAME.1's generation).
 * The mtime only breaks ties: a straggler line written to a renamed file
 * after the new one got its lines makes the older generation look newer. */
static int gen_cmp(const void *a, const void *b)
{
	const struct gen *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->st.st_mtim.tv_sec != y->st.st_mtim.tv_sec)
		return x->st.st_mtim.tv_sec < y->st.st_mtim.tv_sec ? -1 : 1;
	if (x->st.st_mtim.tv_nsec != y->st.st_mtim.tv_nsec)
		return x->st.st_mtim.tv_nsec < y->st.st_mtim.tv_nsec ? -1 : 1;
	return strcmp(x->path, y->path);
}

void rotation_list_free(struct rotation_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->g[i].path);
		if (l->g[i].fd >= 0)
			close(l->g[i].fd);
	}
	free(l->g);
	free(l);
}

/* list_once: one listing of the log and its generations, oldest first.
 * Unreadable generations are skipped with a warning: the live log is what
 * must be readable (its own error comes from the follower). */
static struct rotation_list *list_once(const struct rotation *r)
{
	struct rotation_list *l = xcalloc(1, sizeof *l);
	size_t cap = 0;
	struct dirent *de;
	DIR *dir;
	int live, err;
	long long rank;

	l->listed = 1;
	if ((dir = opendir(r->dir)) == NULL) {
		/* a missing directory has no generations */
		l->listed = errno == ENOENT;
		log_warn("cannot list %s", r->dir);
		return l;
	}
	while ((de = readdir(dir)) != NULL) {
		struct gen *x;

		if (!sib_match(r->name, de->d_name, &live, &rank))
			continue;
		if (l->n == cap) {
			cap = cap ? 2 * cap : 16;
			l->g = xreallocarray(l->g, cap, sizeof *l->g);
		}
		x = &l->g[l->n];
		memset(x, 0, sizeof *x);
		x->path = xasprintf("%s/%s", r->dir, de->d_name);
		x->live = live;
		x->rank = rank;
		err = 0;
		if ((x->fd = open(x->path, O_RDONLY | O_CLOEXEC |
		    O_NONBLOCK)) == -1)
			err = errno;
		if (x->fd == -1 || fstat(x->fd, &x->st) == -1 ||
		    !S_ISREG(x->st.st_mode) || head_read(x, &err) == -1) {
			if (!live && err == EACCES)
				log_warnx("cannot read %s: permission denied, "
				    "skipping it", x->path);
			if (x->fd >= 0)
				close(x->fd);
			free(x->path);
			continue;
		}
		x->hash = x->head_len ? fingerprint(x->head, x->head_len) : 0;
		l->n++;
	}
	closedir(dir);
	if (l->n)
		qsort(l->g, l->n, sizeof *l->g, gen_cmp);
	return l;
}

/* A directory read while logrotate renames NAME.k to NAME.k+1 may miss a
 * file or see one twice: with `stable`, two listings must agree (names
 * and inodes). */
struct rotation_list *rotation_list(const struct rotation *r, int stable)
{
	struct rotation_list *l, *m;
	size_t i;
	int tries;

	l = list_once(r);
	for (tries = 0; stable && tries < 10; tries++) {
		m = list_once(r);
		for (i = 0; i < l->n && l->n == m->n; i++)
			if (strcmp(l->g[i].path, m->g[i].path) != 0 ||
			    l->g[i].st.st_ino != m->g[i].st.st_ino ||
			    l->g[i].st.st_dev != m->g[i].st.st_dev)
				break;
		i = l->n == m->n && i == l->n;
		rotation_list_free(l);
		l = m;
		if (i)
			break;
	}
	return l;
}

size_t rotation_count(const struct rotation_list *l)
{
	return l->n;
}

const char *rotation_path(const struct rotation_list *l, size_t i)
{
	return l->g[i].path;
}

int rotation_is_gz(const struct rotation_list *l, size_t i)
{
	return l->g[i].gz;
}

/* gen_has: does c's content start with the bytes rec was fingerprinted
 * on? */
static int gen_has(const struct gen *c, const struct store_file *rec)
{
	if (rec->fp_len == 0 || rec->fp_len > c->head_len)
		return 0;
	if (rec->fp_len == c->head_len)
		return c->hash == rec->fp_hash;
	return fingerprint(c->head, rec->fp_len) == rec->fp_hash;
}

static int same_inode(const struct gen *c, const struct store_file *rec)
{
	return (uint64_t)c->st.st_dev == rec->dev &&
	    (uint64_t)c->st.st_ino == rec->ino;
}

/* gen_better: for the same content, which copy to read: the live log,
 * then a plain file (seekable, and a .gz of it may be half written),
 * then the newer name */
static int gen_better(const struct gen *a, const struct gen *b)
{
	if (a->live != b->live)
		return a->live;
	if (a->gz != b->gz)
		return !a->gz;
	return a->rank > b->rank;
}

/* dedup: NAME.1 and NAME.1.gz side by side (compression under way) are
 * one generation; reading both would count it twice */
static void dedup(struct gen *c, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n && !c[i].drop; j++) {
			if (c[j].drop || c[i].head_len == 0 ||
			    c[i].head_len != c[j].head_len ||
			    c[i].hash != c[j].hash)
				continue;
			if (gen_better(&c[i], &c[j]))
				c[j].drop = 1;
			else
				c[i].drop = 1;
		}
}

/* heads_agree: do a and b start alike as far as both heads go? */
static int heads_agree(const struct gen *a, const struct gen *b)
{
	size_t n = a->head_len < b->head_len ? a->head_len : b->head_len;

	return memcmp(a->head, b->head, n) == 0;
}

/* match_class: how strongly generation c is that registry record (which
 * starts like c; -1: it cannot be).  A full fingerprint (FP_MAX bytes)
 * identifies content; the inode only breaks ties (inode numbers are
 * reused).  A short one (the file held less than FP_MAX bytes at the last
 * commit) only says the content starts with those bytes, which a new file
 * may do too (same time stamp second, same text): then a rotated
 * generation is preferred over the live log, because the live log may have
 * been truncated and refilled (copytruncate: the content went to a copy
 * with a new inode; rename: the content kept its inode under the new
 * name), and the same inode over another. */
static int match_class(const struct gen *c, const struct store_file *rec)
{
	int same = same_inode(c, rec);

	if (!gen_has(c, rec))
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

/* match: pair generations with registry records, one record for one file,
 * the strongest pairs first (match_class, then the longer fingerprint,
 * then the larger offset: of two rows for the same content the one that
 * counted more) */
static void match(struct gen *c, size_t n, const struct store_file *known,
    size_t nknown)
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
			    !gen_better(&c[x->i], &c[y->i]))))))))
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
			    gen_has(&c[i], &known[k]))
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

/* gen_done: has the registry already counted all of c? */
static int gen_done(const struct gen *c, uint64_t off)
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

/* start_want: should a start read generation i, and from where.  An
 * unknown one holds content no commit has counted a line of.  What was
 * there at the first start is history; anything else came since (the log
 * itself rotated while the daemon was down, even one whose position was
 * never committed), if it is newer (by name) than the newest known
 * rotated generation.  Without a history (the first start, or a registry
 * from before it was kept) only what is newer than a known generation is
 * new. */
static int start_want(const struct rotation *r, const struct gen *c,
    size_t i, size_t newest, uint64_t *off)
{
	if (c[i].drop || c[i].live)
		return 0;
	if (c[i].known) {
		*off = c[i].known->offset;
		return !gen_done(&c[i], *off);
	}
	*off = 0;
	if (r->have_history)
		return !history_has(r, &c[i]) &&
		    (newest == SIZE_MAX || i > newest);
	return newest != SIZE_MAX && i > newest;
}

void rotation_plan_start(struct rotation *r, struct rotation_list *l,
    const struct store_file *known, size_t n)
{
	struct gen *c = l->g;
	size_t i, newest = SIZE_MAX;

	dedup(c, l->n);
	match(c, l->n, known, n);
	for (i = 0; i < l->n; i++)
		if (!c[i].drop && !c[i].live && c[i].known)
			newest = i;
	for (i = 0; i < l->n; i++) {
		/* what is there now is history or accounted for; a copy made
		 * from here on is new */
		if (!c[i].live && !c[i].drop)
			seen_add(r, (uint64_t)c[i].st.st_dev,
			    (uint64_t)c[i].st.st_ino, c[i].hash,
			    (uint32_t)c[i].head_len);
		c[i].want = start_want(r, c, i, newest, &c[i].off);
	}
}

const struct store_file *rotation_live_known(const struct rotation_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->g[i].live && !l->g[i].drop)
			return l->g[i].known;
	return NULL;
}

int rotation_live_listed(const struct rotation_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->g[i].live && !l->g[i].drop)
			return 1;
	return 0;
}

void rotation_plan_between(const struct rotation *r, struct rotation_list *l,
    const struct store_file *prev, const unsigned char *ph, size_t phl,
    const struct store_file *cur, const unsigned char *lh, size_t lhl,
    const struct store_file *old)
{
	struct gen *c = l->g;
	size_t n = l->n, i, pi = SIZE_MAX;

	dedup(c, n);
	/* where prev is now: its inode, or its content (compressed) */
	for (i = 0; i < n && pi == SIZE_MAX; i++)
		if (!c[i].live && same_inode(&c[i], prev))
			pi = i;
	for (i = n; i-- > 0 && pi == SIZE_MAX; )
		if (!c[i].live && phl > 0 && c[i].head_len == phl &&
		    memcmp(c[i].head, ph, phl) == 0)
			pi = i;
	if (pi == SIZE_MAX)
		return;   /* deleted: nothing to tell the order by */
	for (i = 0; i < n; i++)
		c[i].want = !(c[i].drop || c[i].live ||
		    c[i].rank <= c[pi].rank || c[i].head_len == 0 ||
		    same_inode(&c[i], prev) || same_inode(&c[i], cur) ||
		    (old && same_inode(&c[i], old)) ||
		    (c[i].head_len == phl &&
		    memcmp(c[i].head, ph, phl) == 0) ||
		    /* a copy of the new file, not truncated yet: read there */
		    (lhl > 0 && memcmp(c[i].head, lh, c[i].head_len < lhl ?
		    c[i].head_len : lhl) == 0) ||
		    seen_has(r, &c[i]));
}

int rotation_want(const struct rotation_list *l, size_t i, uint64_t *off)
{
	*off = l->g[i].off;
	return l->g[i].want;
}

size_t rotation_last(const struct rotation_list *l)
{
	size_t i, last = SIZE_MAX;

	for (i = 0; i < l->n; i++)
		if (l->g[i].want)
			last = i;
	return last;
}

size_t rotation_copy_of(const struct rotation *r,
    const struct rotation_list *l, const struct store_file *rec,
    const struct store_file *old, const unsigned char *now, size_t nowlen)
{
	const struct gen *c = l->g;
	int weak = rec->fp_len < FP_MAX;
	size_t i, best = SIZE_MAX, m;

	for (i = 0; i < l->n; i++) {
		if (c[i].live || !gen_has(&c[i], rec) || same_inode(&c[i], rec))
			continue;
		if (!c[i].gz && (uint64_t)c[i].st.st_size < rec->offset)
			continue;
		if (old && same_inode(&c[i], old))
			continue;
		if (weak && seen_has(r, &c[i]))
			continue;
		if (now) {
			m = nowlen < c[i].head_len ? nowlen : c[i].head_len;
			if (memcmp(now, c[i].head, m) == 0)
				continue;
		}
		if (best == SIZE_MAX || gen_better(&c[i], &c[best]))
			best = i;
	}
	return best;
}

void rotation_set_known(struct rotation_list *l, size_t i,
    const struct store_file *rec)
{
	l->g[i].known = rec;
}

/* gen_record: the record for content with head c, from the registry
 * entry when there is one */
static void gen_record(const struct gen *c, struct store_file *rec,
    int *changed)
{
	*changed = 0;
	if (c->known)
		*rec = *c->known;
	else
		memset(rec, 0, sizeof *rec);
	if (rec->fp_len < c->head_len) {
		rec->fp_len = (uint32_t)c->head_len;
		rec->fp_hash = c->hash;
		*changed = 1;
	}
	if (strcmp(rec->path, c->path) != 0 ||
	    rec->dev != (uint64_t)c->st.st_dev ||
	    rec->ino != (uint64_t)c->st.st_ino)
		*changed = 1;
	snprintf(rec->path, sizeof rec->path, "%s", c->path);
	rec->dev = (uint64_t)c->st.st_dev;
	rec->ino = (uint64_t)c->st.st_ino;
}

void rotation_record(const struct rotation_list *l, size_t i,
    struct store_file *rec, int *changed)
{
	gen_record(&l->g[i], rec, changed);
}

int rotation_open(const struct rotation_list *l, size_t i, int *fd,
    struct input **in)
{
	const struct gen *c = &l->g[i];
	struct diag d;
	struct stat st;
	char fdpath[64];

	*fd = -1;
	*in = NULL;
	if (c->gz) {
		diag_init(&d);
		if ((*in = gen_input(c, &d, NULL)) == NULL) {
			if (d.n)
				log_warnx("%s", d.items[0].msg);
			else
				log_warnx("%s was replaced while starting, "
				    "skipping it", c->path);
		}
		diag_release(&d);
		return *in ? 0 : -1;
	}
	if ((*fd = open(c->path, O_RDONLY | O_CLOEXEC)) >= 0 &&
	    (fstat(*fd, &st) == -1 || st.st_dev != c->st.st_dev ||
	    st.st_ino != c->st.st_ino)) {
		close(*fd);
		*fd = -1;
	}
	if (*fd < 0 && c->fd >= 0) {
		/* renamed meanwhile: the file listed, by its descriptor */
		snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", c->fd);
		if ((*fd = open(fdpath, O_RDONLY | O_CLOEXEC)) >= 0 &&
		    (fstat(*fd, &st) == -1 || st.st_dev != c->st.st_dev ||
		    st.st_ino != c->st.st_ino)) {
			close(*fd);
			*fd = -1;
		}
	}
	if (*fd < 0) {
		log_warnx("%s was replaced while starting, skipping it",
		    c->path);
		return -1;
	}
	return 0;
}

int rotation_moved(const struct rotation_list *l, size_t i,
    struct store_file *rec)
{
	const struct gen *c = &l->g[i];
	int changed;

	if (c->want || c->drop || c->live || c->known == NULL)
		return 0;
	gen_record(c, rec, &changed);
	return changed;
}

int rotation_record_fd(int fd, const char *path,
    const struct store_file *known, struct store_file *rec, int *changed)
{
	struct gen c;
	ssize_t n;

	memset(&c, 0, sizeof c);
	c.fd = -1;
	if (fstat(fd, &c.st) == -1)
		return -1;
	if (!S_ISREG(c.st.st_mode))
		return -2;
	if ((n = pread(fd, c.head, sizeof c.head, 0)) < 0)
		return -1;
	c.path = (char *)path;
	c.live = 1;
	c.head_len = (size_t)n;
	c.hash = n ? fingerprint(c.head, (size_t)n) : 0;
	if (known && gen_has(&c, known) &&
	    known->offset <= (uint64_t)c.st.st_size)
		c.known = known;
	gen_record(&c, rec, changed);
	return c.known != NULL;
}

char *rotation_find(const struct rotation *r, uint64_t dev, uint64_t ino)
{
	struct dirent *de;
	struct stat st;
	DIR *dir;
	long long rank;
	int live;
	char *p;

	if ((dir = opendir(r->dir)) == NULL)
		return NULL;
	while ((de = readdir(dir)) != NULL) {
		if (!sib_match(r->name, de->d_name, &live, &rank) || live)
			continue;
		p = xasprintf("%s/%s", r->dir, de->d_name);
		if (stat(p, &st) == 0 && (uint64_t)st.st_dev == dev &&
		    (uint64_t)st.st_ino == ino) {
			closedir(dir);
			return p;
		}
		free(p);
	}
	closedir(dir);
	return NULL;
}
