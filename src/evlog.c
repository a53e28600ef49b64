/* evlog: events for another thread to count (see evlog.h) */
#include <stdlib.h>
#include <string.h>

#include "counter.h"
#include "evlog.h"
#include "eximlog.h"
#include "xmalloc.h"

#define EVLOG_INIT (64u << 10)
#define EVLOG_KEEP (4u << 20)   /* a cleared log keeps at most this much */

/* an event: this header, then ip_len + acct_len + x_len bytes, padded
 * to 8 */
struct evhdr {
	int64_t bucket;
	uint32_t cls;
	uint32_t ip_len, acct_len;
	uint16_t host;             /* the ip bytes are host text */
	uint16_t x_len;            /* extra bytes (evidence) */
};

#define EVSIZE(h) ((sizeof(struct evhdr) + (h).ip_len + (h).acct_len + \
	(h).x_len + 7) & ~(size_t)7)

struct evlog {
	char *buf;
	size_t len, cap;
	size_t n;
};

struct evlog *evlog_new(void)
{
	struct evlog *l = xcalloc(1, sizeof *l);

	l->cap = EVLOG_INIT;
	l->buf = xmalloc(l->cap);
	return l;
}

void evlog_free(struct evlog *l)
{
	if (l == NULL)
		return;
	free(l->buf);
	free(l);
}

void evlog_clear(struct evlog *l)
{
	l->len = 0;
	l->n = 0;
	/* a log of long keys (hostile lines) must not keep its size */
	if (l->cap > EVLOG_KEEP) {
		free(l->buf);
		l->cap = EVLOG_INIT;
		l->buf = xmalloc(l->cap);
	}
}

static void reserve(struct evlog *l, size_t more)
{
	if (l->len + more <= l->cap)
		return;
	while (l->len + more > l->cap)
		l->cap *= 2;
	l->buf = xrealloc(l->buf, l->cap);
}

void evlog_copy(struct evlog *dst, const struct evlog *src)
{
	dst->len = dst->n = 0;
	reserve(dst, src->len);
	memcpy(dst->buf, src->buf, src->len);
	dst->len = src->len;
	dst->n = src->n;
}

void evlog_add_x(struct evlog *l, int64_t bucket, uint32_t cls, int host,
    const char *ip, size_t il, const char *ac, size_t al, const char *x,
    size_t xl)
{
	struct evhdr h;
	size_t sz;

	if (xl > EVLOG_EXTRA_MAX)
		xl = EVLOG_EXTRA_MAX;
	h.bucket = bucket;
	h.cls = cls;
	h.ip_len = (uint32_t)il;
	h.acct_len = (uint32_t)al;
	h.host = host != 0;
	h.x_len = (uint16_t)xl;
	sz = EVSIZE(h);
	reserve(l, sz);
	memcpy(l->buf + l->len, &h, sizeof h);
	if (il)
		memcpy(l->buf + l->len + sizeof h, ip, il);
	if (al)
		memcpy(l->buf + l->len + sizeof h + il, ac, al);
	if (xl)
		memcpy(l->buf + l->len + sizeof h + il + al, x, xl);
	l->len += sz;
	l->n++;
}

void evlog_add(struct evlog *l, int64_t bucket, uint32_t cls, int host,
    const char *ip, size_t il, const char *ac, size_t al)
{
	evlog_add_x(l, bucket, cls, host, ip, il, ac, al, NULL, 0);
}

int evlog_next(const struct evlog *l, size_t *off, struct evlog_event *ev)
{
	struct evhdr h;
	const char *s;

	if (*off >= l->len)
		return 0;
	memcpy(&h, l->buf + *off, sizeof h);
	s = l->buf + *off + sizeof h;
	ev->bucket = h.bucket;
	ev->cls = h.cls;
	ev->host = h.host;
	ev->ip = span_make(s, h.ip_len);
	ev->acct = span_make(s + h.ip_len, h.acct_len);
	ev->extra = span_make(s + h.ip_len + h.acct_len, h.x_len);
	*off += EVSIZE(h);
	return 1;
}

size_t evlog_size(const struct evlog *l)
{
	return l->n;
}

size_t evlog_bytes(const struct evlog *l)
{
	return l->len;
}

void evlog_class_totals(const struct evlog *l, uint64_t *tot, size_t n)
{
	size_t off = 0;

	while (off < l->len) {
		struct evhdr h;

		memcpy(&h, l->buf + off, sizeof h);
		if (h.cls < n)
			tot[h.cls]++;
		off += EVSIZE(h);
	}
}

void evlog_count(const struct evlog *l, struct counter *c)
{
	size_t off = 0;

	while (off < l->len) {
		struct evhdr h;
		const char *s = l->buf + off + sizeof h;

		memcpy(&h, l->buf + off, sizeof h);
		if (h.host) {
			struct eximlog_host eh;

			eximlog_host_parse(s, h.ip_len, &eh);
			counter_add(c, h.bucket, h.cls, eh.ip.p ? eh.ip.p : "",
			    eh.ip.p ? eh.ip.len : 0, s + h.ip_len, h.acct_len, 1);
		} else {
			counter_add(c, h.bucket, h.cls, s, h.ip_len, s + h.ip_len,
			    h.acct_len, 1);
		}
		off += EVSIZE(h);
	}
}
