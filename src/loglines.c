/* loglines: the log lines behind a count, from the files the store knows
 * (see loglines.h) */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "diag.h"
#include "fingerprint.h"
#include "input.h"
#include "linesplit.h"
#include "log.h"
#include "loglines.h"
#include "netaddr.h"
#include "pipeline.h"
#include "rules.h"
#include "sbuf.h"
#include "store.h"
#include "term.h"
#include "xmalloc.h"

#define MAX_LINE (64u << 10)
/* a file last written this long before the window cannot hold its lines
 * (slack for clocks and time zones) */
#define MTIME_SLACK 86400
#define GONE_SAID 10            /* gone files named one by one, at most */

enum where { W_PATH, W_FOUND, W_GONE, W_STDIN };

/* a registered file and where it is now */
struct src {
	struct store_file f;
	enum where where;
	char *path;               /* what is read (W_PATH, W_FOUND) */
	time_t mtime;
	uint64_t dev, ino;
};

/* a line kept for printing */
struct kept {
	size_t src;
	char *line;
};

struct run {
	const struct loglines_opts *o;
	const struct rules *rules;
	int *want_cls;            /* per class index: 1 to show */
	int ip_net;               /* o->ip parsed as a network */
	struct netaddr net;
	struct kept *ring;        /* the last o->max lines (or all) */
	size_t nring, capring, head;
	size_t cur;               /* the source being read */
	size_t matched;
};

/* head_matches: 1 if the content of path starts with the bytes of f's
 * fingerprint (gzip read through); dev/ino/mtime of the file in *st */
static int head_matches(const char *path, const struct store_file *f,
    struct stat *st)
{
	unsigned char head[FP_MAX];
	struct input *in;
	struct diag d;
	size_t got = 0;
	ssize_t r;
	int e = 0, ok = 0;

	if (stat(path, st) < 0 || !S_ISREG(st->st_mode))
		return 0;
	diag_init(&d);
	if ((in = input_open(path, &d, &e)) == NULL)
		goto out;
	while (got < f->fp_len && (r = input_read(in, head + got,
	    f->fp_len - got, &d)) > 0)
		got += (size_t)r;
	ok = f->fp_len > 0 && got == f->fp_len &&
	    fingerprint(head, f->fp_len) == f->fp_hash;
	input_close(in);
out:
	diag_release(&d);
	return ok;
}

static int namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* taken: is the file (dev, ino) already another source's? */
static int taken(const struct src *v, size_t n, const struct stat *st)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].path && v[i].dev == (uint64_t)st->st_dev &&
		    v[i].ino == (uint64_t)st->st_ino)
			return 1;
	return 0;
}

/* locate: where the registered file s is now; v[0..n) are the sources
 * located before it */
static void locate(struct src *s, const struct src *v, size_t n)
{
	char *dir, *base, *sl, **names = NULL;
	size_t nn = 0, cap = 0, bl, i;
	struct dirent *de;
	struct stat st;
	DIR *dh;

	if (s->f.path[0] == '\0' || strcmp(s->f.path, "-") == 0 ||
	    strncmp(s->f.path, "/proc/self/fd/", 14) == 0 ||
	    strncmp(s->f.path, "/dev/", 5) == 0) {
		s->where = W_STDIN;
		return;
	}
	if (head_matches(s->f.path, &s->f, &st) && !taken(v, n, &st)) {
		s->where = W_PATH;
		s->path = xstrdup(s->f.path);
		goto found;
	}
	/* rotated: a file of the same directory whose name starts with the
	 * registered one's */
	dir = xstrdup(s->f.path);
	sl = strrchr(dir, '/');
	if (sl == NULL) {
		base = xstrdup(dir);
		free(dir);
		dir = xstrdup(".");
	} else {
		base = xstrdup(sl + 1);
		if (sl == dir)
			sl[1] = '\0';
		else
			*sl = '\0';
	}
	bl = strlen(base);
	if (bl > 0 && (dh = opendir(dir)) != NULL) {
		while ((de = readdir(dh)) != NULL) {
			if (strncmp(de->d_name, base, bl) != 0 ||
			    de->d_name[bl] == '\0')
				continue;
			if (nn == cap) {
				cap = cap ? 2 * cap : 16;
				names = xreallocarray(names, cap, sizeof *names);
			}
			names[nn++] = xasprintf("%s%s%s", dir,
			    dir[strlen(dir) - 1] == '/' ? "" : "/", de->d_name);
		}
		closedir(dh);
	}
	if (nn > 1)
		qsort(names, nn, sizeof *names, namecmp);
	for (i = 0; i < nn && s->path == NULL; i++) {
		if (head_matches(names[i], &s->f, &st) && !taken(v, n, &st)) {
			s->where = W_FOUND;
			s->path = xstrdup(names[i]);
		}
	}
	for (i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	free(dir);
	free(base);
	if (s->path == NULL) {
		s->where = W_GONE;
		return;
	}
found:
	s->mtime = st.st_mtime;
	s->dev = (uint64_t)st.st_dev;
	s->ino = (uint64_t)st.st_ino;
}

static int span_eq_nocase(struct span s, const char *z)
{
	size_t n = strlen(z);

	return span_ok(s) && s.len == n && strncasecmp(s.p, z, n) == 0;
}

static void keep(struct run *ru, const char *line, size_t len)
{
	struct kept *k;

	ru->matched++;
	if (ru->o->max > 0 && ru->nring == ru->o->max) {
		/* full: the oldest goes */
		k = &ru->ring[ru->head];
		ru->head = (ru->head + 1) % ru->nring;
		free(k->line);
	} else {
		if (ru->nring == ru->capring) {
			ru->capring = ru->capring ? 2 * ru->capring : 64;
			ru->ring = xreallocarray(ru->ring, ru->capring,
			    sizeof *ru->ring);
		}
		k = &ru->ring[ru->nring++];
	}
	k->src = ru->cur;
	k->line = xstrndup(line, len);
}

static void on_event(void *arg, const struct event *ev,
    const struct eximlog_line *ln, const char *line, size_t len)
{
	struct run *ru = arg;
	const struct span ip = ev->f[FIELD_IP];

	int64_t bucket = ev->ts - ev->ts % STORE_BUCKET_SECS;

	(void)ln;
	/* the minute the line was counted in, as the reports select them */
	if (bucket < (int64_t)ru->o->since || bucket >= (int64_t)ru->o->until)
		return;
	if (ru->want_cls && !ru->want_cls[ev->cls])
		return;
	if (ru->o->ip) {
		if (!span_ok(ip) || ip.len == 0)
			return;
		if (ru->ip_net ? !netaddr_contains_text(&ru->net, ip.p,
		    ip.len) : !(ip.len == strlen(ru->o->ip) &&
		    memcmp(ip.p, ru->o->ip, ip.len) == 0))
			return;
	}
	if (ru->o->account && !span_eq_nocase(ev->account, ru->o->account))
		return;
	keep(ru, line, len);
}

/* read_src: the lines of one file up to where the store counted it */
static int read_src(struct run *ru, struct pipeline *p, const struct src *s,
    FILE *msg)
{
	struct linesplit *ls = linesplit_new(MAX_LINE);
	struct input *in;
	struct diag d;
	const char *line;
	size_t len, avail;
	ssize_t r;
	char *buf;
	int e = 0, over, rc = 0;

	diag_init(&d);
	if ((in = input_open(s->path, &d, &e)) == NULL) {
		diag_print(&d, msg);
		rc = -1;
		goto out;
	}
	for (;;) {
		while (linesplit_next(ls, &line, &len, &over)) {
			if (linesplit_consumed(ls) > s->f.offset)
				goto done;      /* not counted yet */
			pipeline_line(p, line, len, over);
		}
		buf = linesplit_space(ls, &avail);
		if ((r = input_read(in, buf, avail, &d)) < 0) {
			diag_print(&d, msg);
			rc = -1;
			break;
		}
		if (r == 0) {
			if (linesplit_flush_partial(ls, &line, &len, &over) &&
			    linesplit_consumed(ls) <= s->f.offset)
				pipeline_line(p, line, len, over);
			break;
		}
		linesplit_commit(ls, (size_t)r);
	}
done:
	input_close(in);
out:
	diag_release(&d);
	linesplit_free(ls);
	return rc;
}

static int cmp_mtime(const void *a, const void *b)
{
	const struct src *x = a, *y = b;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return x->f.id < y->f.id ? -1 : x->f.id > y->f.id;
}

static void say_path(struct sbuf *b, const char *p)
{
	term_text(b, p, 0);
}

int loglines_run(struct store *s, const struct rules *r,
    const struct loglines_opts *o, FILE *out, FILE *msg,
    struct loglines_result *res)
{
	struct store_file *files = NULL;
	struct src *v = NULL;
	struct run ru;
	struct pipeline *p = NULL;
	struct sbuf b;
	size_t nf = 0, i, j, k, start;
	long prev = -1;
	int idx;

	memset(&ru, 0, sizeof ru);
	memset(res, 0, sizeof *res);
	sbuf_init(&b);
	ru.o = o;
	ru.rules = r;
	if (store_file_list(s, &files, &nf) < 0) {
		log_warnx("cannot read the files registry from '%s': %s",
		    store_path(s), store_errmsg(s));
		free(files);
		return -1;
	}
	if (o->classes && o->classes[0]) {
		ru.want_cls = xcalloc(rules_nclasses(r) + 1, sizeof *ru.want_cls);
		for (i = 0; o->classes[i]; i++)
			if ((idx = rules_find(r, o->classes[i])) >= 0)
				ru.want_cls[idx] = 1;
	}
	if (o->ip && netaddr_parse(o->ip, strlen(o->ip), &ru.net) == 0)
		ru.ip_net = 1;

	v = xcalloc(nf + 1, sizeof *v);
	for (i = 0; i < nf; i++) {
		v[i].f = files[i];
		locate(&v[i], v, i);
	}
	qsort(v, nf, sizeof *v, cmp_mtime);

	p = pipeline_new(r, NULL);
	pipeline_on_event(p, on_event, &ru);
	for (i = 0; i < nf; i++) {
		if (v[i].path == NULL)
			continue;
		if (v[i].mtime + MTIME_SLACK < o->since)
			continue;       /* written before the window */
		ru.cur = i;
		if (read_src(&ru, p, &v[i], msg) == 0)
			res->files++;
	}

	/* the lines, oldest first, under their file's name */
	start = ru.nring == o->max && o->max > 0 ? ru.head : 0;
	for (k = 0; k < ru.nring; k++) {
		const struct kept *kp = &ru.ring[(start + k) % ru.nring];
		const struct src *sp = &v[kp->src];

		if ((long)kp->src != prev) {
			sbuf_adds(&b, prev >= 0 ? "\n==> " : "==> ");
			say_path(&b, sp->path);
			if (sp->where == W_FOUND) {
				sbuf_adds(&b, " (counted as ");
				say_path(&b, sp->f.path);
				sbuf_adds(&b, ", found by its fingerprint)");
			}
			sbuf_adds(&b, " <==\n");
			prev = (long)kp->src;
		}
		term_text(&b, kp->line, 0);
		sbuf_addc(&b, '\n');
	}
	fwrite(b.s, 1, b.len, out);
	res->matched = ru.matched;
	res->printed = ru.nring;

	/* what the lines come from, and what is gone */
	sbuf_reset(&b);
	sbuf_addf(&b, "eximwatch: %zu line%s", ru.matched, ru.matched == 1 ?
	    "" : "s");
	if (ru.nring < ru.matched)
		sbuf_addf(&b, " (the last %zu shown: --top 0 for all)",
		    ru.nring);
	sbuf_addf(&b, " from %zu log file%s the store knows\n", res->files,
	    res->files == 1 ? "" : "s");
	for (j = 0; j < nf; j++) {
		if (v[j].where != W_GONE && v[j].where != W_STDIN)
			continue;
		if (res->gone++ >= GONE_SAID)
			continue;       /* counted below */
		sbuf_adds(&b, "eximwatch: gone: ");
		if (v[j].where == W_STDIN) {
			sbuf_adds(&b, "standard input");
		} else {
			say_path(&b, v[j].f.path);
		}
		sbuf_addf(&b, " (%" PRIu64 " lines counted): ", v[j].f.lines);
		if (v[j].where == W_STDIN)
			sbuf_adds(&b, "read from a pipe, its lines were never "
			    "kept");
		else
			sbuf_adds(&b, "not there any more, and no file of its "
			    "directory named like it has its first bytes");
		sbuf_adds(&b, "; its counts stay in the reports, its lines "
		    "cannot be shown\n");
	}
	if (res->gone > GONE_SAID)
		sbuf_addf(&b, "eximwatch: gone: %zu more files\n",
		    res->gone - GONE_SAID);
	fwrite(b.s, 1, b.len, msg);

	pipeline_free(p);
	for (i = 0; i < ru.nring; i++)
		free(ru.ring[i].line);
	free(ru.ring);
	free(ru.want_cls);
	for (i = 0; i < nf; i++)
		free(v[i].path);
	free(v);
	free(files);
	sbuf_release(&b);
	return 0;
}
