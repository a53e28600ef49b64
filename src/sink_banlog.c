/* sink_banlog: one line per decision in a file, for the firewall tools
 * that run as root and read logs — CSF/lfd (packaging/csf/) and fail2ban
 * (packaging/fail2ban/).  The format is stable:
 *
 *   2026-12-05T14:10:19Z eximwatch ban 192.0.2.66 duration=14400 threshold=brute_force_ip host=mail1.example.com events=6
 *   2026-12-05T14:10:19Z eximwatch ban 2001:db8:1:2::/64 duration=14400 threshold=bf_net host=mail1.example.com events=7
 *
 * time (UTC, when the line is written), "eximwatch", the action ("ban"; a
 * line `eximwatch alerts test` writes says "test" and names no address),
 * the address or network (canonical text, never the log's), then
 * key=value fields: duration in seconds, the threshold, this server, the
 * events.  Later versions may add fields at the end, never change these.
 *
 * The stored body is the lines without their time; the sender writes them
 * (sink_banlog_write), each with one write() on an O_APPEND descriptor, so
 * lines are whole whoever else appends, and rotates the file when it would
 * grow beyond max_size: the file becomes FILE.1 (replacing the old one)
 * and a new FILE is started — fail2ban and lfd follow a rotation.  A crash
 * between the write and the outbox update can write a line twice, which
 * bans nobody twice. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "duration.h"
#include "netaddr.h"
#include "notice.h"
#include "sink.h"

#define LINE_MAX_LEN 512

/* word: s with anything but [A-Za-z0-9._-] as '_' (a host name from the
 * configuration; keeps the line's fields apart) */
static void word(struct sbuf *b, const char *s)
{
	for (; *s; s++)
		sbuf_addc(b, strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
		    "VWXYZ0123456789._-", *s) ? *s : '_');
}

int sink_banlog_render(const struct sink_conf *s, const struct notice *n,
    struct sbuf *b)
{
	char target[NETADDR_STRLEN];
	struct netaddr a;
	size_t i, k = 0;

	if (n->test) {
		sbuf_adds(b, "test - threshold=eximwatch_test host=");
		word(b, n->host);
		sbuf_adds(b, " events=0\n");
		return 0;
	}
	for (i = 0; i < n->nfiring; i++) {
		const struct notice_item *it = &n->items[i];

		if (it->not_acted)
			continue;
		if (netaddr_parse(it->grp, strlen(it->grp), &a) < 0 ||
		    netaddr_format(&a, target, sizeof target) == 0)
			continue;
		sbuf_addf(b, "ban %s duration=%" PRId64 " threshold=%s host=", target,
		    s->duration, n->tc->id);
		word(b, n->host);
		sbuf_addf(b, " events=%" PRId64 "\n", it->value);
		k++;
	}
	return k ? 0 : -1;
}

/* rotate: FILE → FILE.1 when fd's file would grow past max */
static int rotate(const struct sink_conf *s, int *fd, size_t add)
{
	struct stat st;
	char old[4096];

	if (fstat(*fd, &st) < 0)
		return -1;
	if (st.st_size == 0 || (int64_t)st.st_size + (int64_t)add <= s->max_size)
		return 0;
	if ((size_t)snprintf(old, sizeof old, "%s.1", s->path) >= sizeof old)
		return -1;
	if (rename(s->path, old) < 0)
		return -1;
	close(*fd);
	*fd = open(s->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0640);
	return *fd < 0 ? -1 : 0;
}

int sink_banlog_write(const struct sink_conf *s, const char *body,
    size_t len, time_t now, char *err, size_t errlen)
{
	char ts[32], line[LINE_MAX_LEN + 64];
	const char *p = body, *e, *end = body + len;
	int fd, n;

	time_iso(now, ts, sizeof ts);
	if ((fd = open(s->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0640)) < 0)
		goto fail;
	for (; p < end; p = e + 1) {
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			e = end;
		if (e == p)
			continue;
		n = snprintf(line, sizeof line, "%s eximwatch %.*s\n", ts,
		    (int)(e - p > LINE_MAX_LEN ? LINE_MAX_LEN : e - p), p);
		if (n < 0 || (size_t)n >= sizeof line)
			continue;
		if (rotate(s, &fd, (size_t)n) < 0)
			goto fail;
		if (write(fd, line, (size_t)n) != n)
			goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", s->path, strerror(errno ? errno : EIO));
	if (fd >= 0)
		close(fd);
	return -1;
}
