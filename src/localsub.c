/* localsub: pairing cwd= lines with local arrivals (see localsub.h) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "localsub.h"
#include "xmalloc.h"

#define PID_MAX_AGE 600           /* seconds a pid's cwd line waits */

struct slot {
	int used, claimed;
	long pid;                 /* -1: the log has no pids */
	int64_t ts;
	size_t len;
	char cwd[LOCALSUB_CWD_MAX];
};

struct localsub {
	struct slot s[LOCALSUB_SLOTS];
	size_t next;              /* the slot the next line goes to */
};

struct localsub *localsub_new(void)
{
	return xcalloc(1, sizeof(struct localsub));
}

void localsub_free(struct localsub *l)
{
	free(l);
}

static int eq(const char *p, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(p, lit, n) == 0;
}

static int starts(const char *p, size_t n, const char *lit)
{
	size_t k = strlen(lit);

	return n >= k && memcmp(p, lit, k) == 0;
}

enum localsub_kind localsub_user_kind(const char *u, size_t n)
{
	static const char *const shared[] = { "nobody", "www-data", "apache",
		"httpd", "nginx", "www", "wwwrun", "lighttpd", "_www", NULL };
	static const char *const sys[] = { "root", "mailnull", "exim",
		"Debian-exim", "mail", "mailman", "dovecot", "dovenull",
		"cpanelphpmyadmin", "cpanelphppgadmin", "cpanellogin", NULL };
	size_t i;

	for (i = 0; shared[i]; i++)
		if (eq(u, n, shared[i]))
			return LOCALSUB_SHARED;
	for (i = 0; sys[i]; i++)
		if (eq(u, n, sys[i]))
			return LOCALSUB_SYSTEM;
	/* cPanel's own service logins: cpanel, cpanel-ccs, cpses_xyz */
	if (starts(u, n, "cpanel") || starts(u, n, "cpses_"))
		return LOCALSUB_SYSTEM;
	return LOCALSUB_PERSON;
}

/* login_ok: a plausible Unix login (what a home directory is named) */
static int login_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > 32 || p[0] == '.' || p[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
		    (p[i] >= '0' && p[i] <= '9') || p[i] == '_' || p[i] == '-' ||
		    p[i] == '.'))
			return 0;
	return 1;
}

struct span localsub_home_user(struct span dir)
{
	const char *p = dir.p;
	size_t n = dir.len, i, j;

	/* /home, /home2, /home3 ... (cPanel spreads accounts over them) */
	if (p == NULL || !starts(p, n, "/home"))
		return span_make(NULL, 0);
	for (i = 5; i < n && p[i] != '/'; i++)
		if (p[i] < '0' || p[i] > '9')
			return span_make(NULL, 0);
	if (i >= n)
		return span_make(NULL, 0);
	for (j = ++i; j < n && p[j] != '/'; j++)
		;
	if (!login_ok(p + i, j - i))
		return span_make(NULL, 0);
	return span_make(p + i, j - i);
}

/* system_dir: the working directory of the MTA's or cPanel's own jobs */
static int system_dir(const char *p, size_t n)
{
	return starts(p, n, "/var/spool/exim") || starts(p, n, "/usr/local/cpanel") ||
	    starts(p, n, "/var/cpanel");
}

/* submission: the arguments of a process that submits a message, not of
 * a queue run, a delivery, an admin's query (-M*, -q*, -b* but -bm/-bs)
 * or Exim's own bounce (-E<id>, an option only Exim passes itself; its
 * cwd is the spool, wherever that is) */
static int submission(const char *a, size_t n)
{
	size_t i;

	for (i = 0; i + 2 < n; i++) {
		if (a[i] != ' ' || a[i + 1] != '-')
			continue;
		if (a[i + 2] == 'M' || a[i + 2] == 'q' || a[i + 2] == 'R' ||
		    a[i + 2] == 'S' || a[i + 2] == 'E')
			return 0;
		if (a[i + 2] == 'b' && i + 3 < n && a[i + 3] != 'm' &&
		    a[i + 3] != 's' && a[i + 3] != 'S')
			return 0;
	}
	return 1;
}

int localsub_line(struct localsub *l, const struct eximlog_line *ln)
{
	const char *b = ln->body.p, *args;
	size_t n = ln->body.len, e;
	struct slot *s;

	if (b == NULL || n < 5 || memcmp(b, "cwd=", 4) != 0)
		return 0;
	/* "cwd=DIR N args: ..."; the directory ends before " N args: " */
	args = memmem(b, n, " args: ", 7);
	if (args == NULL)
		return 1;
	e = (size_t)(args - b);
	while (e > 4 && b[e - 1] >= '0' && b[e - 1] <= '9')
		e--;
	if (e <= 4 || b[e - 1] != ' ')
		return 1;
	e--;
	if (system_dir(b + 4, e - 4) ||
	    !submission(args + 6, n - (size_t)(args + 6 - b)))
		return 1;
	s = &l->s[l->next];
	l->next = (l->next + 1) % LOCALSUB_SLOTS;
	s->used = 1;
	s->claimed = 0;
	s->pid = ln->pid;
	s->ts = ln->ts;
	s->len = e - 4 < sizeof s->cwd ? e - 4 : sizeof s->cwd;
	memcpy(s->cwd, b + 4, s->len);
	return 1;
}

/* claim: the cwd slot of the arrival ln (U= user u, of kind k), or NULL */
static struct slot *claim(struct localsub *l, const struct eximlog_line *ln,
    struct span u, enum localsub_kind k)
{
	struct slot *best = NULL;
	size_t i;

	for (i = 0; i < LOCALSUB_SLOTS; i++) {
		/* oldest first: the ring from the next slot to write */
		struct slot *s = &l->s[(l->next + i) % LOCALSUB_SLOTS];
		struct span h;

		if (!s->used || s->claimed)
			continue;
		if (ln->pid >= 0 && s->pid >= 0) {
			/* same process; the newest line of that pid wins */
			if (s->pid == ln->pid && ln->ts - s->ts <= PID_MAX_AGE)
				best = s;
			continue;
		}
		if (ln->ts - s->ts > LOCALSUB_MAX_AGE || s->ts - ln->ts > 1)
			continue;
		/* a person's arrival cannot come from another's home */
		h = localsub_home_user(span_make(s->cwd, s->len));
		if (k == LOCALSUB_PERSON && span_ok(h) && span_ok(u) &&
		    !(h.len == u.len && memcmp(h.p, u.p, u.len) == 0))
			continue;
		best = s;
		break;
	}
	if (best)
		best->claimed = 1;
	return best;
}

void localsub_arrival(struct localsub *l, const struct eximlog_line *ln,
    struct localsub_who *out)
{
	struct span u = eximlog_tag(ln->body, "U=");
	enum localsub_kind k = LOCALSUB_SHARED;
	struct slot *s;

	memset(out, 0, sizeof *out);
	if (span_ok(u) && u.len > 0)
		k = localsub_user_kind(u.p, u.len);
	else
		u = span_make(NULL, 0);
	s = claim(l, ln, u, k);
	if (s)
		out->cwd = span_make(s->cwd, s->len);
	if (k == LOCALSUB_SYSTEM || (s && system_dir(s->cwd, s->len))) {
		out->system = 1;
		return;
	}
	if (k == LOCALSUB_PERSON) {
		out->user = u;
		return;
	}
	if (s)
		out->user = localsub_home_user(out->cwd);
}
