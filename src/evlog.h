/* evlog: classified events, appended in order, for another thread to count.
 *
 * `scan` parses on one thread and counts on the writer's: appending an
 * event here is a sequential copy of its key (~50 bytes), while counting
 * it (hashing the key, probing a table) is what the writer does with
 * evlog_count().  The strings are copied, so events may borrow from the
 * line being processed.  Memory grows with the events; the caller hands
 * the log over well before it matters (evlog_bytes()). */
#ifndef EW_EVLOG_H
#define EW_EVLOG_H
#include <stddef.h>
#include <stdint.h>
#include "span.h"

struct evlog;
struct counter;

struct evlog *evlog_new(void);
void evlog_free(struct evlog *l);
void evlog_clear(struct evlog *l);
/* evlog_copy: make dst hold the same events as src */
void evlog_copy(struct evlog *dst, const struct evlog *src);
/* evlog_add: one event of class cls in bucket; host: ip is the client's
 * host text, to be parsed into its address by evlog_count() (none if it
 * is ambiguous: eximlog_host_parse) */
void evlog_add(struct evlog *l, int64_t bucket, uint32_t cls, int host,
    const char *ip, size_t ip_len, const char *acct, size_t acct_len);
/* evlog_add_x: the same with extra bytes for the evidence recorder
 * (evidence.h), at most EVLOG_EXTRA_MAX (more are cut) */
#define EVLOG_EXTRA_MAX 2048
void evlog_add_x(struct evlog *l, int64_t bucket, uint32_t cls, int host,
    const char *ip, size_t ip_len, const char *acct, size_t acct_len,
    const char *x, size_t x_len);
size_t evlog_size(const struct evlog *l);    /* events */
size_t evlog_bytes(const struct evlog *l);   /* memory in use */
/* evlog_class_totals: tot[cls] += the events of each class cls < n */
void evlog_class_totals(const struct evlog *l, uint64_t *tot, size_t n);
/* evlog_count: add every event to c (n = 1 each) */
void evlog_count(const struct evlog *l, struct counter *c);

/* one event as stored (spans point into the log) */
struct evlog_event {
	int64_t bucket;
	uint32_t cls;
	int host;                 /* ip holds host text (evlog_add's host) */
	struct span ip, acct, extra;
};
/* evlog_next: the event at *off, and *off moved past it; 0 at the end.
 * Start with *off = 0. */
int evlog_next(const struct evlog *l, size_t *off, struct evlog_event *ev);

#endif
