/* test_tail: the inotify follower against real files in a scratch directory:
 * appends and partial lines, rename rotation (new file at once or later),
 * copytruncate (plain and compressed copy), delete + recreate, a missing
 * log, restarts with rotations while down (also after a first start that
 * never saved a position: the history it noted), permission denied,
 * oversized lines and NUL bytes.  Every test asserts the exact sequence of
 * lines. */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "fingerprint.h"
#include "tail.h"
#include "tap.h"

struct got {
	char *s;
	size_t len;
	int over;
};

static struct got *got;
static size_t ngot, capgot;
static char base[4096];

/* The follower's messages (log.c writes them to stderr) go to the TAP
 * output as comments: a passing test prints nothing to the terminal. */
static FILE *logrd;

static void log_capture(void)
{
	char path[] = "/tmp/test_tail.log.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || (logrd = fopen(path, "r")) == NULL)
		exit(2);
	unlink(path);
	fflush(stderr);
	if (dup2(fd, 2) == -1)
		exit(2);
	close(fd);
}

/* log_comments: what was logged since the last call, as TAP comments */
static void log_comments(void)
{
	char line[8192];
	size_t n;

	if (logrd == NULL)
		return;
	fflush(stderr);
	clearerr(logrd);
	while (fgets(line, sizeof line, logrd) != NULL) {
		n = strlen(line);
		printf("# %s%s", line, n && line[n - 1] == '\n' ? "" : "\n");
	}
	fflush(stdout);
}

static void on_line(void *arg, const char *line, size_t len, int over)
{
	(void)arg;
	if (ngot == capgot) {
		capgot = capgot ? 2 * capgot : 64;
		got = realloc(got, capgot * sizeof *got);
	}
	got[ngot].s = malloc(len + 1);
	memcpy(got[ngot].s, line, len);
	got[ngot].s[len] = '\0';
	got[ngot].len = len;
	got[ngot].over = over;
	ngot++;
}

static void got_clear(void)
{
	size_t i;

	for (i = 0; i < ngot; i++)
		free(got[i].s);
	ngot = 0;
}

/* pump: process events until `want` lines were delivered (2 s at most),
 * then whatever is still queued, so a duplicate would show */
static int pump(struct tail *t, size_t want)
{
	struct pollfd p = { .fd = tail_fd(t), .events = POLLIN };
	struct timespec t0, now;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		long ms;

		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (now.tv_sec - t0.tv_sec) * 1000 +
		    (now.tv_nsec - t0.tv_nsec) / 1000000;
		r = poll(&p, 1, ngot >= want ? 0 : (int)(ms > 2000 ? 0 :
		    2000 - ms));
		if (r <= 0)
			return 0;
		if (tail_process(t) == -1)
			return -1;
	}
}

/* expect: the lines delivered since the last check are exactly want[] */
static int expect(const char *what, const char *const *want, size_t n)
{
	size_t i;
	int good = ngot == n;

	for (i = 0; good && i < n; i++)
		good = got[i].len == strlen(want[i]) &&
		    memcmp(got[i].s, want[i], got[i].len) == 0 && !got[i].over;
	log_comments();
	ok(good, "%s", what);
	if (!good) {
		for (i = 0; i < n; i++)
			printf("#   want[%zu] '%s'\n", i, want[i]);
		for (i = 0; i < ngot; i++)
			printf("#   got[%zu]  '%s'%s\n", i, got[i].s,
			    got[i].over ? " (oversized)" : "");
	}
	got_clear();
	return good;
}

#define EXPECT(what, ...) do { \
	const char *const w_[] = { __VA_ARGS__ }; \
	expect(what, w_, sizeof w_ / sizeof w_[0]); \
} while (0)
#define EXPECT_NONE(what) expect(what, NULL, 0)

static __attribute__((format(printf, 1, 2))) char *P(const char *fmt, ...)
{
	static char buf[32][8192];
	static int i;
	char name[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof name, fmt, ap);
	va_end(ap);
	i = (i + 1) % 32;
	snprintf(buf[i], sizeof buf[i], "%s/%s", base, name);
	return buf[i];
}

static void put(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		perror(path);
		exit(2);
	}
	close(fd);
}

static void puts_(const char *path, const char *s)
{
	put(path, s, strlen(s));
}

static uint64_t fsize(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_size : UINT64_MAX;
}

static __attribute__((format(printf, 1, 2))) void sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	if (system(cmd) != 0) {
		fprintf(stderr, "failed: %s\n", cmd);
		exit(2);
	}
}

static void set_mtime(const char *path, time_t when)
{
	struct utimbuf u = { when, when };

	utime(path, &u);
}

/* The registry, as the store keeps it: records by id, and the history
 * each log's first start noted (the daemon's meta daemon.history). */
static struct store_file reg[256];
static size_t nreg;
static int64_t next_id = 1;
static char *hist[64];
static size_t nhist;

/* hist_for: the history noted for the log at path, or NULL */
static char **hist_for(const char *path)
{
	size_t i, n = strlen(path);

	for (i = 0; i < nhist; i++)
		if (strncmp(hist[i] + 4, path, n) == 0 && hist[i][4 + n] == '\n')
			return &hist[i];
	return NULL;
}

static int on_history(void *arg, const char *text)
{
	char **h;

	char path[4200];
	const char *nl = strchr(text, '\n');

	(void)arg;
	if (strncmp(text, "log ", 4) != 0 || nl == NULL)
		exit(2);
	snprintf(path, sizeof path, "%.*s", (int)(nl - text - 4), text + 4);
	if ((h = hist_for(path)) == NULL) {
		if (nhist == sizeof hist / sizeof hist[0])
			exit(2);
		h = &hist[nhist++];
	} else {
		free(*h);
	}
	*h = strdup(text);
	return 0;
}

/* reg_reset: a new, empty database */
static void reg_reset(void)
{
	size_t i;

	nreg = 0;
	for (i = 0; i < nhist; i++)
		free(hist[i]);
	nhist = 0;
}

/* start: a tail on path; with the registry (known == reg) also the
 * history kept from the log's first start */
static struct tail *start(const char *path, size_t max_line,
    const struct store_file *known, size_t n, int *rc)
{
	struct tail_opts o = {
		.path = path, .max_line = max_line, .on_line = on_line,
		.on_history = on_history,
	};
	struct tail *t = tail_new(&o);
	char **h = known == reg ? hist_for(path) : NULL;

	*rc = tail_start(t, known, n, h ? *h : NULL);
	return t;
}

static void reg_save(struct tail *t)
{
	struct store_file *f;
	size_t n, i, j;

	n = tail_positions(t, &f);
	for (i = 0; i < n; i++) {
		if (f[i].id == 0)
			f[i].id = next_id++;   /* as store_file_save does */
		for (j = 0; j < nreg && reg[j].id != f[i].id; j++)
			;
		if (j == nreg)
			nreg++;
		reg[j] = f[i];
	}
}

static const struct store_file *reg_by_path(const char *path)
{
	size_t i;

	for (i = 0; i < nreg; i++)
		if (strcmp(reg[i].path, path) == 0)
			return &reg[i];
	return NULL;
}

static uint64_t head_fp(const char *path, uint32_t *len)
{
	unsigned char buf[FP_MAX];
	int fd = open(path, O_RDONLY);
	ssize_t n = read(fd, buf, sizeof buf);

	close(fd);
	*len = (uint32_t)n;
	return fingerprint(buf, (size_t)n);
}

static void test_appends(void)
{
	char *L = P("a/exim_mainlog");
	struct tail_status st;
	struct store_file *f;
	uint32_t len;
	size_t n, i;
	int rc;
	struct tail *t;
	char line[64];
	const char *big[2000];

	sh("mkdir -p %s/a", base);
	puts_(L, "a1 first\na2\n");
	t = start(L, 0, NULL, 0, &rc);
	is_int(rc, 0, "appends: tail_start");
	EXPECT("appends: first start reads the live log from its start",
	    "a1 first", "a2");
	n = tail_positions(t, &f);
	ok(n == 1 && f[0].offset == 12 && f[0].fp_len == 12 &&
	    strcmp(f[0].path, L) == 0, "appends: position after start");
	puts_(L, "a3\npar");
	pump(t, 1);
	EXPECT("appends: a partial line waits for its newline", "a3");
	n = tail_positions(t, &f);
	ok(n == 1 && f[0].offset == 15,
	    "appends: offset stops before the partial line");
	puts_(L, "ti");
	pump(t, 0);
	EXPECT_NONE("appends: still partial");
	/* the fingerprint may grow over the partial bytes, not the offset */
	n = tail_positions(t, &f);
	ok(n == 0 || (n == 1 && f[0].offset == 15),
	    "appends: offset unchanged while partial");
	puts_(L, "al\n");
	pump(t, 1);
	EXPECT("appends: partial line completed later", "partial");

	/* grow past FP_MAX: the fingerprint is extended */
	for (i = 0; i < 2000; i++) {
		snprintf(line, sizeof line, "b%zu\n", i);
		puts_(L, line);
		big[i] = strdup(line);
		((char *)big[i])[strlen(line) - 1] = '\0';
	}
	pump(t, 2000);
	expect("appends: 2000 appended lines, once each, in order", big,
	    2000);
	for (i = 0; i < 2000; i++)
		free((char *)big[i]);
	n = tail_positions(t, &f);
	ok(n == 1 && f[0].offset == fsize(L) && f[0].fp_len == FP_MAX &&
	    f[0].fp_hash == head_fp(L, &len),
	    "appends: fingerprint extended to FP_MAX, offset at the end");
	tail_status(t, &st);
	ok(strcmp(st.path, L) == 0 && st.offset == fsize(L) &&
	    st.size == fsize(L) && !st.waiting, "appends: tail_status");
	tail_free(t);
}

static void test_rename(void)
{
	char *L = P("r/exim_mainlog"), *L1 = P("r/exim_mainlog.1");
	struct store_file *f;
	size_t n, i;
	int rc, good;
	struct tail *t;

	sh("mkdir -p %s/r", base);
	puts_(L, "g1 one\n");
	t = start(L, 0, NULL, 0, &rc);
	EXPECT("rename: start", "g1 one");
	tail_positions(t, &f);

	/* new file at once; the old one got a line after the rename */
	puts_(L, "g1 two\n");
	rename(L, L1);
	puts_(L1, "g1 three\n");
	puts_(L, "g2 one\n");
	pump(t, 3);
	EXPECT("rename: old file read to its end, then the new file",
	    "g1 two", "g1 three", "g2 one");
	n = tail_positions(t, &f);
	good = 0;
	for (i = 0; i < n; i++)
		if (strcmp(f[i].path, L1) == 0 && f[i].offset == fsize(L1))
			good++;
		else if (strcmp(f[i].path, L) == 0 &&
		    f[i].offset == fsize(L))
			good++;
	ok(n == 2 && good == 2,
	    "rename: positions of the rotated file (renamed) and the new one");

	/* the new file appears only later */
	sh("rm -f %s", L1);
	rename(L, L1);
	pump(t, 0);
	EXPECT_NONE("rename: nothing after the rename alone");
	puts_(L1, "g2 two\n");
	pump(t, 1);
	EXPECT("rename: a line written to the renamed file is read", "g2 two");
	puts_(L1, "g2 three\n");
	puts_(L, "g3 one\n");
	pump(t, 2);
	EXPECT("rename: new file appears later: old end first",
	    "g2 three", "g3 one");
	/* an Exim process that opened the old file before may still write */
	puts_(L1, "g2 straggler\n");
	puts_(L, "g3 two\n");
	pump(t, 2);
	EXPECT("rename: late line in the previous generation still read",
	    "g2 straggler", "g3 two");
	tail_free(t);
}

static void test_copytruncate(void)
{
	char *L = P("c/exim_mainlog"), *L1 = P("c/exim_mainlog.1");
	const char *want[400];
	char buf[64];
	struct store_file *f;
	size_t n, i, k = 0;
	int rc, good;
	struct tail *t;

	sh("mkdir -p %s/c", base);
	puts_(L, "c1 one\nc1 two\n");
	t = start(L, 0, NULL, 0, &rc);
	EXPECT("copytruncate: start", "c1 one", "c1 two");
	tail_positions(t, &f);

	/* lines we have not read yet, then copy + truncate, and the live
	 * file grows past the old offset before we look */
	puts_(L, "c1 three\nc1 fo");
	sh("cp %s %s && truncate -s 0 %s", L, L1, L);
	want[k++] = "c1 three";
	want[k++] = "c1 fo";   /* the copy's unterminated end */
	for (i = 0; i < 300; i++) {
		snprintf(buf, sizeof buf, "c2 line %zu\n", i);
		puts_(L, buf);
		buf[strlen(buf) - 1] = '\0';
		want[k++] = strdup(buf);
	}
	pump(t, k);
	expect("copytruncate: rest of the copy, then the new content", want,
	    k);
	for (i = 2; i < k; i++)
		free((char *)want[i]);
	n = tail_positions(t, &f);
	good = 0;
	for (i = 0; i < n; i++)
		if (strcmp(f[i].path, L1) == 0 && f[i].offset == fsize(L1))
			good++;
		else if (strcmp(f[i].path, L) == 0 &&
		    f[i].offset == fsize(L) && f[i].id == 0)
			good++;
	ok(n == 2 && good == 2, "copytruncate: positions of copy and live");

	/* again, the copy compressed before we notice; the size drop alone
	 * (no regrowth) */
	puts_(L, "c2 tail\n");
	sh("rm -f %s && cp %s %s && truncate -s 0 %s && gzip %s", L1, L, L1,
	    L, L1);
	puts_(L, "c3 x\n");
	pump(t, 2);
	EXPECT("copytruncate: copy already gzipped", "c2 tail", "c3 x");
	tail_free(t);
}

/* fd_deleted: do we hold a deleted file open (its space never freed)? */
static int fd_deleted(void)
{
	char p[64], target[4096];
	ssize_t n;
	int fd, found = 0;

	for (fd = 0; fd < 1024; fd++) {
		snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
		n = readlink(p, target, sizeof target - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strstr(target, "exim_mainlog") &&
		    strstr(target, "(deleted)"))
			found = 1;
	}
	return found;
}

static void test_delete(void)
{
	char *L = P("d/exim_mainlog");
	int rc, fd;
	struct tail *t;

	sh("mkdir -p %s/d", base);
	puts_(L, "d1 one\n");
	t = start(L, 0, NULL, 0, &rc);
	EXPECT("delete: start", "d1 one");
	fd = open(L, O_WRONLY | O_APPEND);   /* like an Exim process */
	unlink(L);
	pump(t, 0);
	if (write(fd, "d1 ghost\n", 9) != 9)
		exit(2);
	close(fd);
	pump(t, 1);
	EXPECT("delete: a line written to the deleted file", "d1 ghost");
	puts_(L, "d2 one\n");
	pump(t, 1);
	EXPECT("delete: recreated file read from its start", "d2 one");
	ok(!fd_deleted(), "delete: the deleted file is not held open");
	tail_free(t);
}

static void test_missing(void)
{
	char *L = P("m/exim_mainlog");
	struct tail_status st;
	int rc;
	struct tail *t;

	sh("mkdir -p %s/m", base);
	t = start(L, 0, NULL, 0, &rc);
	is_int(rc, 0, "missing: tail_start succeeds without the log");
	tail_status(t, &st);
	ok(st.waiting, "missing: status says waiting");
	puts_(L, "m1 one\nm1 two\n");
	pump(t, 2);
	EXPECT("missing: the log is read once it appears", "m1 one", "m1 two");
	tail_status(t, &st);
	ok(!st.waiting && st.offset == 14, "missing: following it now");
	tail_free(t);
}

static void test_restart(void)
{
	char *L = P("s/exim_mainlog"), *L1 = P("s/exim_mainlog.1"),
	    *L2 = P("s/exim_mainlog.2"), *L3 = P("s/exim_mainlog.3");
	const struct store_file *r;
	int rc;
	struct tail *t;
	time_t now = time(NULL);

	sh("mkdir -p %s/s", base);
	/* history from before eximwatch ran: never read by the daemon */
	puts_(L3, "h0 history\n");
	set_mtime(L3, now - 7200);
	puts_(L, "r1 one\nr1 two\nr1 thr");
	set_mtime(L, now - 3600);
	reg_reset();
	t = start(L, 0, reg, nreg, &rc);
	EXPECT("restart: first start: live log only", "r1 one", "r1 two");
	reg_save(t);
	tail_free(t);

	/* down: the partial line completes, two rotations, compression */
	puts_(L, "ee\nr1 four\n");
	rename(L, L1);
	set_mtime(L1, now - 3000);
	puts_(L, "r2 one\nr2 two\n");
	set_mtime(L, now - 2000);
	rename(L1, L2);
	rename(L, L1);
	sh("gzip %s", L2);
	puts_(L, "r3 one\n");
	t = start(L, 0, reg, nreg, &rc);
	is_int(rc, 0, "restart: tail_start with the registry");
	EXPECT("restart: known generation finished from its offset (gz), "
	    "newer unknown one, then the live log",
	    "r1 three", "r1 four", "r2 one", "r2 two", "r3 one");
	reg_save(t);
	r = reg_by_path(P("s/exim_mainlog.2.gz"));
	ok(r && r->id == 1 && r->offset == 31 && r->lines == 4,
	    "restart: the gz generation's record is done (same id)");
	tail_free(t);

	/* nothing happened: nothing is delivered again */
	t = start(L, 0, reg, nreg, &rc);
	EXPECT_NONE("restart: a second start repeats nothing");
	puts_(L, "r3 two\n");
	pump(t, 1);
	EXPECT("restart: and follows", "r3 two");
	reg_save(t);
	tail_free(t);

	/* copytruncate while down, live file regrown past the old offset */
	puts_(L, "r3 three\n");
	sh("rm -f %s %s.gz && mv %s %s && cp %s %s && truncate -s 0 %s",
	    L2, L2, L1, L2, L, L1, L);
	puts_(L, "r4 one with a longer line than before\n");
	t = start(L, 0, reg, nreg, &rc);
	EXPECT("restart: copytruncate while down", "r3 three",
	    "r4 one with a longer line than before");
	reg_save(t);
	tail_free(t);

	/* rename rotation while down and the new log not created yet */
	puts_(L, "r4 two\n");
	rename(L, P("s/exim_mainlog-20261122"));
	t = start(L, 0, reg, nreg, &rc);
	EXPECT("restart: rotated, log missing: old generation finished",
	    "r4 two");
	puts_(P("s/exim_mainlog-20261122"), "r4 late\n");
	pump(t, 1);
	EXPECT("restart: that generation is still followed", "r4 late");
	puts_(L, "r5 one\n");
	pump(t, 1);
	EXPECT("restart: then the new log", "r5 one");
	tail_free(t);
}

/* two rotations between two looks: the generation rotated in and out
 * meanwhile is read too, between the old file and the new one */
static void test_middle(void)
{
	char *L = P("mid/exim_mainlog"), *L1 = P("mid/exim_mainlog.1"),
	    *L2 = P("mid/exim_mainlog.2");
	struct tail *t;
	int rc;

	sh("mkdir -p %s/mid", base);
	puts_(L, "m1 one\n");
	t = start(L, 0, NULL, 0, &rc);
	EXPECT("middle: start", "m1 one");
	puts_(L, "m1 two\n");
	rename(L, L1);
	puts_(L, "m2 one\nm2 two\n");
	rename(L1, L2);
	rename(L, L1);
	puts_(L, "m3 one\n");
	pump(t, 4);
	EXPECT("middle: old end, the middle generation, then the new file",
	    "m1 two", "m2 one", "m2 two", "m3 one");
	/* the middle one is the previous generation now: a late line */
	puts_(L1, "m2 late\n");
	puts_(L, "m3 two\n");
	pump(t, 2);
	EXPECT("middle: a late line in the middle generation is read",
	    "m2 late", "m3 two");
	/* and again with the middle one compressed at once */
	rename(L2, P("mid/exim_mainlog.3"));
	rename(L1, L2);
	rename(L, L1);
	puts_(L, "m4 one\n");
	rename(L2, P("mid/exim_mainlog.3"));
	rename(L1, L2);
	sh("gzip %s", L2);
	rename(L, L1);
	puts_(L, "m5 one\n");
	pump(t, 2);
	EXPECT("middle: a compressed middle generation is read from its start",
	    "m4 one", "m5 one");
	tail_free(t);

	/* renamed, then the new file copied for a copytruncate that has not
	 * truncated it yet: that copy is no middle generation */
	L = P("mid2/exim_mainlog");
	L1 = P("mid2/exim_mainlog.1");
	L2 = P("mid2/exim_mainlog.2");
	sh("mkdir -p %s/mid2", base);
	puts_(L, "n1 one\n");
	t = start(L, 0, NULL, 0, &rc);
	EXPECT("middle-copy: start", "n1 one");
	rename(L, L2);
	puts_(L, "n2 one\nn2 two\n");
	sh("cp %s %s", L, L1);
	pump(t, 2);
	EXPECT("middle-copy: the new file is read once", "n2 one", "n2 two");
	sh("truncate -s 0 %s", L);
	puts_(L, "n3 one\n");
	pump(t, 1);
	EXPECT("middle-copy: then truncated: only the new lines", "n3 one");
	tail_free(t);
}

/* restart: generations are ordered by name, not mtime; a short
 * fingerprint does not make the truncated live log pass for its copy */
static void test_order(void)
{
	char *L = P("ord/exim_mainlog"), *L1 = P("ord/exim_mainlog.1"),
	    *L2 = P("ord/exim_mainlog.2");
	const char *same = "2026-11-22 10:00:00 dov";
	time_t now = time(NULL);
	int rc;
	struct tail *t;

	sh("mkdir -p %s/ord", base);
	reg_reset();
	puts_(L, "o1 one\n");
	t = start(L, 0, reg, nreg, &rc);
	EXPECT("order: start", "o1 one");
	reg_save(t);
	tail_free(t);
	/* down: rotated; a straggler reaches the old file after the new one
	 * got its lines (older by name, newer by mtime); rotated again */
	rename(L, L1);
	puts_(L, "o2 one\n");
	set_mtime(L, now - 100);
	puts_(L1, "o1 late\n");
	rename(L1, L2);
	rename(L, L1);
	puts_(L, "o3 one\n");
	t = start(L, 0, reg, nreg, &rc);
	EXPECT("order: an unknown NAME.1 older by mtime than the known "
	    "NAME.2 is read", "o1 late", "o2 one", "o3 one");
	reg_save(t);
	tail_free(t);

	/* a record whose fingerprint covers a few bytes (a partial line) */
	sh("rm -f %s/ord/exim_mainlog*", base);
	reg_reset();
	puts_(L, same);
	t = start(L, 0, reg, nreg, &rc);
	EXPECT_NONE("shortfp: start on a partial line");
	reg_save(t);
	tail_free(t);
	ok(nreg == 1 && reg[0].fp_len == strlen(same) && reg[0].offset == 0,
	    "shortfp: the record has a short fingerprint");
	puts_(L, "ecot first\n");
	puts_(L, "o4 two\n");
	sh("cp %s %s && truncate -s 0 %s", L, L1, L);
	puts_(L, same);
	puts_(L, "ecot second\n");
	t = start(L, 0, reg, nreg, &rc);
	EXPECT("shortfp: restart after a copytruncate: the copy is that "
	    "record, the live log is new", "2026-11-22 10:00:00 dovecot first",
	    "o4 two", "2026-11-22 10:00:00 dovecot second");
	tail_free(t);

	/* the same while running: the truncation shows by the copy */
	sh("rm -f %s/ord/exim_mainlog*", base);
	reg_reset();
	puts_(L, "o5 one\n");
	t = start(L, 0, reg, nreg, &rc);
	EXPECT("shortfp-live: start", "o5 one");
	sh("cp %s %s && truncate -s 0 %s", L, L1, L);
	puts_(L, same);
	pump(t, 0);
	EXPECT_NONE("shortfp-live: truncated, a partial line");
	puts_(L, "ecot third\no6 two\n");
	sh("mv %s %s && cp %s %s && truncate -s 0 %s", L1, L2, L, L1, L);
	puts_(L, same);
	puts_(L, "ecot fourth, longer than the first one\n");
	pump(t, 3);
	EXPECT("shortfp-live: the copy is finished although the new content "
	    "starts with the same bytes", "2026-11-22 10:00:00 dovecot third",
	    "o6 two", "2026-11-22 10:00:00 dovecot fourth, longer than the "
	    "first one");
	puts_(L, "o7 one\n");
	pump(t, 1);
	EXPECT("shortfp-live: and follows", "o7 one");
	tail_free(t);
}

/* a generation caught half compressed: NAME.1 and NAME.1.gz both there */
static void test_halfgz(void)
{
	char L[8192], L1[8192];
	struct tail *t;
	int rc;

	snprintf(L, sizeof L, "%s", P("z/exim_mainlog"));
	snprintf(L1, sizeof L1, "%s", P("z/exim_mainlog.1"));
	sh("mkdir -p %s/z", base);
	puts_(L, "z1 a\n");
	reg_reset();
	t = start(L, 0, reg, nreg, &rc);
	EXPECT("halfgz: start", "z1 a");
	reg_save(t);
	tail_free(t);
	puts_(L, "z1 b\n");
	rename(L, L1);
	sh("gzip -k %s", L1);
	puts_(L, "z2 a\n");
	t = start(L, 0, reg, nreg, &rc);
	EXPECT("halfgz: NAME.1 and NAME.1.gz are read as one generation",
	    "z1 b", "z2 a");
	tail_free(t);
}

/* hist_has: does the history noted for path list the inode of file? */
static int hist_has(const char *path, const char *file)
{
	char **h = hist_for(path), gen[128];
	struct stat st;

	if (h == NULL || stat(file, &st) != 0)
		return 0;
	snprintf(gen, sizeof gen, "\ngen %llu %llu ",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	return strstr(*h, gen) != NULL;
}

/* the daemon killed before its first commit (no position was ever saved),
 * the log rotated while it was down: the first file is no history, it is
 * read from its start; what was there at the first start stays unread */
static void test_firststart(void)
{
	char *L = P("fs/exim_mainlog"), *L1 = P("fs/exim_mainlog.1"),
	    *L2 = P("fs/exim_mainlog.2"), *L3 = P("fs/exim_mainlog.3");
	char big[1600], **h;
	struct tail *t;
	int rc, i;

	sh("mkdir -p %s/fs", base);
	/* history: two rotated generations, one longer than FP_MAX */
	for (i = 0; i < (int)sizeof big - 1; i++)
		big[i] = i % 50 == 49 ? '\n' : 'a' + i % 26;
	big[sizeof big - 1] = '\0';
	puts_(L2, "h2 history\n");
	puts_(L1, big);
	puts_(L, "f1 one\n");
	reg_reset();
	t = start(L, 0, reg, nreg, &rc);
	EXPECT("firststart: the live log only", "f1 one");
	ok(hist_has(L, L1) && hist_has(L, L2) && !hist_has(L, L),
	    "firststart: the history lists the rotated generations, not the "
	    "log");
	tail_free(t);     /* killed: no position saved */

	/* down: renamed (logrotate: NAME.k -> NAME.k+1) */
	puts_(L, "f1 two\n");
	rename(L2, L3);
	rename(L1, L2);
	rename(L, L1);
	puts_(L, "f2 one\n");
	/* and a .gz of history being written: a head shorter than its own */
	sh("head -c 500 %s | gzip > %s.gz", L2, L3);
	t = start(L, 0, reg, nreg, &rc);
	EXPECT("firststart: renamed while down before any commit: the first "
	    "file from its start, then the new log (no history)",
	    "f1 one", "f1 two", "f2 one");
	tail_free(t);     /* killed again */

	/* down: copied and truncated (a young file) */
	puts_(L, "f2 two\n");
	sh("rm -f %s.gz && mv %s %s && mv %s %s && cp %s %s && "
	    "truncate -s 0 %s", L3, L2, L3, L1, L2, L, L1, L);
	puts_(L, "f3 one\n");
	t = start(L, 0, reg, nreg, &rc);
	EXPECT("firststart: copied and truncated while down: every generation "
	    "since the first start, oldest first",
	    "f1 one", "f1 two", "f2 one", "f2 two", "f3 one");
	reg_save(t);
	tail_free(t);

	/* the first start on an empty log: lines come, killed before the
	 * commit, copied and truncated while down */
	sh("rm -f %s/fs/exim_mainlog*", base);
	puts_(L1, "h1 history\n");
	puts_(L, "");
	reg_reset();
	t = start(L, 0, reg, nreg, &rc);
	EXPECT_NONE("firststart-empty: nothing yet");
	reg_save(t);
	ok(nreg == 0, "firststart-empty: no position to save");
	puts_(L, "e1 one\n");
	pump(t, 1);
	EXPECT("firststart-empty: the first line", "e1 one");
	tail_free(t);
	puts_(L, "e1 two\n");
	sh("mv %s %s && cp %s %s && truncate -s 0 %s", L1, L2, L, L1, L);
	puts_(L, "e2 one\n");
	t = start(L, 0, reg, nreg, &rc);
	EXPECT("firststart-empty: the copy from its start, then the log",
	    "e1 one", "e1 two", "e2 one");
	reg_save(t);
	tail_free(t);
	t = start(L, 0, reg, nreg, &rc);
	EXPECT_NONE("firststart-empty: a restart repeats nothing");
	tail_free(t);

	/* a registry from before histories were kept: as before, unknown
	 * generations older than every known one are not read; the history
	 * is noted from now on */
	h = hist_for(L);
	free(*h);
	*h = strdup("log /somewhere/else\n");
	puts_(L3, "u3 unknown\n");
	t = start(L, 0, reg, nreg, &rc);
	EXPECT_NONE("legacy: nothing unknown is read");
	ok(hist_has(L, L3), "legacy: the history is noted");
	tail_free(t);
}

/* a log named relative to the current directory: its directory replaced
 * (renamed away, a new one made), which only a watch on the right parent
 * directory sees */
static void test_relative(void)
{
	char cwd[4096];
	struct tail *t;
	int rc;

	if (getcwd(cwd, sizeof cwd) == NULL || chdir(base) == -1)
		exit(2);
	sh("mkdir -p rel");
	puts_("rel/exim_mainlog", "v1 one\n");
	t = start("rel/exim_mainlog", 0, NULL, 0, &rc);
	EXPECT("relative: start", "v1 one");
	sh("mv rel rel.old && mkdir rel");
	puts_("rel/exim_mainlog", "v2 one\n");
	pump(t, 1);
	EXPECT("relative: the directory replaced is seen", "v2 one");
	tail_free(t);
	if (chdir(cwd) == -1)
		exit(2);
}

static void test_oversized(void)
{
	char *L = P("o/exim_mainlog");
	char *big = malloc(5001);
	int rc, good;
	struct tail *t;
	struct store_file *f;

	sh("mkdir -p %s/o", base);
	memset(big, 'x', 5000);
	big[5000] = '\n';
	puts_(L, "o1 first\n");
	t = start(L, 100, NULL, 0, &rc);
	EXPECT("oversized: start", "o1 first");
	put(L, big, 5001);
	puts_(L, "o1 after\n");
	pump(t, 2);
	good = ngot == 2 && got[0].len == 100 && got[0].over &&
	    got[0].s[0] == 'x' && got[0].s[99] == 'x' && got[1].len == 8 &&
	    !got[1].over && memcmp(got[1].s, "o1 after", 8) == 0;
	ok(good, "oversized: line cut to max_line, flagged, next line intact");
	got_clear();
	tail_positions(t, &f);
	ok(f[0].offset == fsize(L), "oversized: offset counts the whole line");
	put(L, "n\0ul\n", 5);
	pump(t, 1);
	ok(ngot == 1 && got[0].len == 4 && memcmp(got[0].s, "n\0ul", 4) == 0,
	    "nul: a NUL byte inside a line is kept");
	got_clear();
	free(big);
	tail_free(t);
}

/* stress: a writer appends lines (opening the log by name for each line,
 * like a short-lived Exim process) while we rotate by rename, compress old
 * generations, and restart the tail from the saved registry, sometimes
 * rotating while it is down: every line must arrive once, in order. */
static void stress_write(const char *L, int n)
{
	struct timespec pause = { 0, 100000 };
	char line[32];
	int i, fd, len;

	for (i = 0; i < n; i++) {
		len = snprintf(line, sizeof line, "w%06d line\n", i);
		fd = open(L, O_WRONLY | O_APPEND | O_CREAT, 0644);
		if (fd < 0 || write(fd, line, (size_t)len) != len)
			_exit(1);
		close(fd);
		if (i % 10 == 0)
			nanosleep(&pause, NULL);
	}
}

static void test_stress(void)
{
	enum { N = 20000 };
	char L[8192];
	struct pollfd p;
	struct tail *t;
	int rc, status, gen = 0, done = 0, bad = 0, restarts = 0;
	size_t next = 1500, i;
	pid_t pid;
	char want[32];

	snprintf(L, sizeof L, "%s", P("w/exim_mainlog"));
	sh("mkdir -p %s/w", base);
	got_clear();
	reg_reset();
	t = start(L, 0, reg, nreg, &rc);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		tail_free(t);   /* the writer has no use for our copy */
		got_clear();
		free(got);
		stress_write(L, N);
		_exit(0);
	}
	while (ngot < N) {
		p.fd = tail_fd(t);
		p.events = POLLIN;
		if (poll(&p, 1, 2000) <= 0) {
			if (done)
				break;
			if (waitpid(pid, &status, WNOHANG) == pid)
				done = 1;
			continue;
		}
		if (tail_process(t) == -1)
			break;
		if (ngot < next)
			continue;
		/* every 1500 lines: rotate; every third time restart */
		next += 1500;
		gen++;
		if (gen % 3 == 0) {
			reg_save(t);
			tail_free(t);
			restarts++;
		}
		rename(L, P("w/exim_mainlog-%d", 100 + gen));
		if (gen >= 3)
			/* (the rename fails when the writer has not made a
			 * new log since the last one: nothing to compress) */
			sh("f=%s; [ ! -f $f ] || gzip $f",
			    P("w/exim_mainlog-%d", 100 + gen - 2));
		if (gen % 3 == 0)
			t = start(L, 0, reg, nreg, &rc);
		else
			reg_save(t);
	}
	if (!done)
		waitpid(pid, &status, 0);
	pump(t, N);
	for (i = 0; i < ngot && !bad; i++) {
		snprintf(want, sizeof want, "w%06zu line", i);
		if (strcmp(got[i].s, want) != 0) {
			printf("# line %zu: got '%s' want '%s'\n", i, got[i].s,
			    want);
			bad = 1;
		}
	}
	ok(!bad && ngot == N, "stress: %d lines through %d rotations and %d "
	    "restarts, each once, in order (got %zu)", N, gen, restarts, ngot);
	got_clear();
	tail_free(t);
}

/* the permission checks run as an unprivileged user: root reads anything */
static int denied_child(const char *dir)
{
	char L[8300], L1[8300];
	struct tail *t;
	int rc;

	snprintf(L, sizeof L, "%s/exim_mainlog", dir);
	snprintf(L1, sizeof L1, "%s/exim_mainlog.1", dir);
	puts_(L, "p1 one\n");
	chmod(L, 0);
	t = start(L, 0, NULL, 0, &rc);
	tail_free(t);
	if (rc != -1)
		return 10;
	/* readable at start, unreadable after a rotation: said once, the old
	 * file is still read, and the new one as soon as it is readable */
	chmod(L, 0644);
	t = start(L, 0, NULL, 0, &rc);
	if (rc != 0 || ngot != 1)
		return 11;
	got_clear();
	rename(L, L1);
	puts_(L, "p2 one\n");
	chmod(L, 0);
	puts_(L1, "p1 two\n");
	if (pump(t, 1) == -1 || ngot != 1 || strcmp(got[0].s, "p1 two"))
		return 12;
	chmod(L, 0640);
	if (pump(t, 2) == -1 || ngot != 2 || strcmp(got[1].s, "p2 one"))
		return 13;
	tail_free(t);
	/* group-readable, but not for us (prepared by the parent) */
	snprintf(L, sizeof L, "%s2/exim_mainlog", dir);
	t = start(L, 0, NULL, 0, &rc);
	tail_free(t);
	return rc == -1 ? 0 : 14;
}

static void test_denied(void)
{
	char dir[8192], msg[4096] = "";
	int pfd[2], status;
	ssize_t n;
	pid_t pid;

	snprintf(dir, sizeof dir, "%s/p", base);
	mkdir(dir, 0777);
	chmod(dir, 0777);
	sh("mkdir -p %s2 && echo q1 > %s2/exim_mainlog", dir, dir);
	if (geteuid() == 0)
		sh("chgrp mail %s2/exim_mainlog && chmod 0640 "
		    "%s2/exim_mainlog", dir, dir);
	else
		sh("chmod 0040 %s2/exim_mainlog", dir);
	if (pipe(pfd) == -1)
		exit(2);
	fflush(stdout);
	log_comments();
	if ((pid = fork()) == 0) {
		/* the parent reports what the child logs */
		fclose(logrd);
		logrd = NULL;
		close(pfd[0]);
		dup2(pfd[1], 2);
		if (geteuid() == 0 && (setgid(65534) == -1 ||
		    setuid(65534) == -1))
			_exit(20);
		status = denied_child(dir);
		got_clear();
		free(got);
		exit(status);   /* not _exit: valgrind checks the child too */
	}
	close(pfd[1]);
	n = read(pfd[0], msg, sizeof msg - 1);
	while (n > 0) {
		ssize_t m = read(pfd[0], msg + n, sizeof msg - 1 - (size_t)n);

		if (m <= 0)
			break;
		n += m;
	}
	msg[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	waitpid(pid, &status, 0);
	is_int(WIFEXITED(status) ? WEXITSTATUS(status) : 99, 0,
	    "denied: fatal at start; after a rotation waits for the mode%s",
	    geteuid() == 0 ? " (as uid 65534: root bypasses modes)" : "");
	ok(strstr(msg, "cannot read ") && strstr(msg, "mode 0000") &&
	    strstr(msg, "group '") != NULL, "denied: the message names the group");
	ok(strstr(msg, geteuid() == 0 ? "(owner root:mail, mode 0640): add "
	    "the eximwatch user to group 'mail'" : "mode 0040): add the "
	    "eximwatch user to group '") != NULL, "denied: group-readable log: join "
	    "the group");
	for (char *l = strtok(msg, "\n"); l; l = strtok(NULL, "\n"))
		printf("# %s\n", l);
}

int main(void)
{
	char tmpl[] = "/tmp/test_tail.XXXXXX";
	struct timespec t0, t1;

	if (mkdtemp(tmpl) == NULL)
		return 2;
	chmod(tmpl, 0755);
	snprintf(base, sizeof base, "%s", tmpl);
	log_capture();
	atexit(log_comments);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	test_appends();
	test_rename();
	test_copytruncate();
	test_delete();
	test_missing();
	test_restart();
	test_middle();
	test_order();
	test_halfgz();
	test_firststart();
	test_relative();
	test_oversized();
	test_stress();
	test_denied();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# %.3f s\n", (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (getenv("KEEP_TMP") == NULL)
		sh("rm -rf %s", base);
	got_clear();
	free(got);
	reg_reset();
	log_comments();
	fclose(logrd);
	logrd = NULL;
	return done_testing();
}
