/* guard: never act against the wrong address (see guard.h) */
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "alertconf.h"
#include "guard.h"
#include "log.h"
#include "xmalloc.h"

#define SELF_EVERY 60         /* seconds between two looks at the interfaces */
#define FILES_EVERY 5         /* ... at the relay files' mtimes */
#define FILE_MAX (4 << 20)

struct relay {
	char *path;
	time_t mtime;
	off_t size;
	int present;
	struct netaddr *v;
	size_t n;
};

struct guard {
	const struct alertconf *ac;
	struct netaddr *self;
	size_t nself, nself_extra;
	int64_t self_at;
	struct relay *files;
	size_t nfiles;
	int64_t files_at;
	guard_known_cb *known;
	void *known_arg;
};

static int overlaps(const struct netaddr *x, const struct netaddr *y)
{
	return netaddr_contains(x, y) || netaddr_contains(y, x);
}

void guard_parse_list(const char *buf, size_t len, struct netaddr **v,
    size_t *n)
{
	const char *p = buf, *e, *end = buf + len, *w;
	struct netaddr a;

	for (; p < end; p = e + 1) {
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			e = end;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		/* the first word, up to a space, a comment or a ':' after an
		 * IPv4 address ("192.0.2.1: reason" in some lists) */
		for (w = p; w < e && *w != ' ' && *w != '\t' && *w != '#' &&
		    *w != '\r'; w++)
			;
		if (w > p && memchr(p, '.', (size_t)(w - p)) && w[-1] == ':')
			w--;
		if (w == p || netaddr_parse(p, (size_t)(w - p), &a) < 0)
			continue;
		*v = xreallocarray(*v, *n + 1, sizeof **v);
		(*v)[(*n)++] = a;
	}
}

static void relay_load(struct relay *r)
{
	struct stat st;
	FILE *fp;
	char *buf;
	size_t len;

	if (stat(r->path, &st) < 0) {
		if (r->present)
			log_info("%s is gone: its addresses are no longer trusted",
			    r->path);
		r->present = 0;
		free(r->v);
		r->v = NULL;
		r->n = 0;
		return;
	}
	if (r->present && st.st_mtime == r->mtime && st.st_size == r->size)
		return;
	if ((fp = fopen(r->path, "re")) == NULL) {
		log_warn("%s: cannot read it (its addresses are not protected)",
		    r->path);
		return;
	}
	buf = xmalloc(FILE_MAX);
	len = fread(buf, 1, FILE_MAX, fp);
	fclose(fp);
	free(r->v);
	r->v = NULL;
	r->n = 0;
	guard_parse_list(buf, len, &r->v, &r->n);
	free(buf);
	r->present = 1;
	r->mtime = st.st_mtime;
	r->size = st.st_size;
	log_debug("%s: %zu trusted addresses and networks", r->path, r->n);
}

static void files_release(struct guard *g)
{
	size_t i;

	for (i = 0; i < g->nfiles; i++) {
		free(g->files[i].path);
		free(g->files[i].v);
	}
	free(g->files);
	g->files = NULL;
	g->nfiles = 0;
}

void guard_set_conf(struct guard *g, const struct alertconf *ac)
{
	size_t i;

	files_release(g);
	g->ac = ac;
	g->nfiles = ac->nrelay_files;
	g->files = xcalloc(g->nfiles ? g->nfiles : 1, sizeof *g->files);
	for (i = 0; i < g->nfiles; i++)
		g->files[i].path = xstrdup(ac->relay_files[i]);
	g->files_at = 0;
}

struct guard *guard_new(const struct alertconf *ac)
{
	struct guard *g = xcalloc(1, sizeof *g);

	guard_set_conf(g, ac);
	return g;
}

void guard_free(struct guard *g)
{
	if (g == NULL)
		return;
	files_release(g);
	free(g->self);
	free(g);
}

void guard_on_known(struct guard *g, guard_known_cb *fn, void *arg)
{
	g->known = fn;
	g->known_arg = arg;
}

void guard_add_self(struct guard *g, const struct netaddr *a)
{
	/* kept in front of what getifaddrs finds */
	g->self = xreallocarray(g->self, g->nself + 1, sizeof *g->self);
	memmove(g->self + g->nself_extra + 1, g->self + g->nself_extra,
	    (g->nself - g->nself_extra) * sizeof *g->self);
	g->self[g->nself_extra++] = *a;
	g->nself++;
}

static void self_load(struct guard *g)
{
	struct ifaddrs *ifa, *p;
	struct netaddr a;
	char ip[64];

	g->nself = g->nself_extra;
	if (getifaddrs(&ifa) < 0) {
		log_warn("getifaddrs: this server's own addresses are unknown");
		return;
	}
	for (p = ifa; p; p = p->ifa_next) {
		int fam = p->ifa_addr ? p->ifa_addr->sa_family : 0;

		memset(&a, 0, sizeof a);
		if (fam == AF_INET) {
			a.family = 4;
			a.bits = 32;
			memcpy(a.a, &((struct sockaddr_in *)(void *)p->ifa_addr)->sin_addr,
			    4);
		} else if (fam == AF_INET6) {
			a.family = 6;
			a.bits = 128;
			memcpy(a.a,
			    &((struct sockaddr_in6 *)(void *)p->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		/* canonical (an IPv4-mapped address is its IPv4 address) */
		netaddr_format(&a, ip, sizeof ip);
		if (netaddr_parse_ip(ip, strlen(ip), &a) < 0)
			continue;
		g->self = xreallocarray(g->self, g->nself + 1, sizeof *g->self);
		g->self[g->nself++] = a;
	}
	freeifaddrs(ifa);
}

int guard_check(struct guard *g, const char *grp, int64_t now, char *why,
    size_t len)
{
	static const char *const loopback[] = { "127.0.0.0/8", "::1" };
	char t[NETADDR_STRLEN], acct[512];
	struct netaddr net, a;
	size_t i, j;
	int rc;

	if (netaddr_parse(grp, strlen(grp), &net) < 0) {
		snprintf(why, len, "not an address");
		return 0;
	}
	for (i = 0; i < g->ac->nnever_act; i++)
		if (overlaps(&net, &g->ac->never_act[i])) {
			netaddr_format(&g->ac->never_act[i], t, sizeof t);
			snprintf(why, len, "in never_act (%s)", t);
			return 0;
		}
	for (i = 0; i < 2; i++) {
		netaddr_parse(loopback[i], strlen(loopback[i]), &a);
		if (overlaps(&net, &a)) {
			snprintf(why, len, "the loopback");
			return 0;
		}
	}
	if (now - g->self_at >= SELF_EVERY || now < g->self_at) {
		self_load(g);
		g->self_at = now;
	}
	for (i = 0; i < g->nself; i++)
		if (overlaps(&net, &g->self[i])) {
			netaddr_format(&g->self[i], t, sizeof t);
			snprintf(why, len, "an address of this server (%s)", t);
			return 0;
		}
	if (now - g->files_at >= FILES_EVERY || now < g->files_at) {
		for (i = 0; i < g->nfiles; i++)
			relay_load(&g->files[i]);
		g->files_at = now;
	}
	for (i = 0; i < g->nfiles; i++)
		for (j = 0; j < g->files[i].n; j++)
			if (overlaps(&net, &g->files[i].v[j])) {
				netaddr_format(&g->files[i].v[j], t, sizeof t);
				snprintf(why, len, "a trusted relay host (%s in %s)", t,
				    g->files[i].path);
				return 0;
			}
	if (g->known && g->ac->known_client_days > 0) {
		rc = g->known(g->known_arg, &net,
		    now - g->ac->known_client_days * 86400, acct, sizeof acct);
		if (rc > 0) {
			snprintf(why, len, "known client of %s", acct);
			return 0;
		}
		if (rc < 0) {
			snprintf(why, len, "known clients could not be looked up");
			return 0;
		}
	}
	return 1;
}
