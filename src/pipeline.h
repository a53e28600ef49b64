/* pipeline: one log line through parse → classify → account → counter
 * (or an event log, counted on another thread: pipeline_set_evlog).
 *
 * Used by `scan`, `test` and the daemon, so all three count the same way.
 * The caller owns the flushing of the counts (store) and may watch events
 * through a callback (test --show, thresholds). */
#ifndef EW_PIPELINE_H
#define EW_PIPELINE_H
#include <stddef.h>
#include <stdint.h>
#include "event.h"
#include "eximlog.h"

struct rules;
struct counter;
struct evlog;

struct pipeline_stats {
	uint64_t lines;          /* physical lines seen */
	uint64_t entries;        /* lines with a time stamp and body */
	uint64_t matched;        /* lines that got a class */
	uint64_t continuation;   /* lines without a time stamp */
	uint64_t oversized;      /* lines cut at the size limit */
	uint64_t binary;         /* lines holding NUL bytes (pipeline_count_binary) */
	uint64_t ambiguous;      /* events whose client IP was not trusted */
	uint64_t suspicious;     /* rejection-looking lines no rule matched */
	uint64_t repeats;        /* lines of a once-per-message class whose
	                          * message was counted already (not counted) */
	uint64_t exim;           /* entries that read like Exim's: with a
	                          * message id, a class, words of a rejection
	                          * (suspicious) or (looked for until the file
	                          * has one) an Exim phrase; none in a file:
	                          * not an Exim main log */
};

/* called for each classified event; line/len is the whole physical line */
typedef void pipeline_event_fn(void *arg, const struct event *ev,
    const struct eximlog_line *ln, const char *line, size_t len);
/* called for each unmatched line that looks like a rejection or failure */
typedef void pipeline_miss_fn(void *arg, const char *line, size_t len);

struct pipeline;

/* pipeline_new: counter may be NULL (nothing counted, e.g. `test`) */
struct pipeline *pipeline_new(const struct rules *r, struct counter *c);
void pipeline_free(struct pipeline *p);
void pipeline_set_rules(struct pipeline *p, const struct rules *r);
/* pipeline_set_counter: count into c from now on (double-buffered batches) */
void pipeline_set_counter(struct pipeline *p, struct counter *c);
/* pipeline_set_evlog: append the events to l instead of counting them here
 * (another thread counts them: scan, whose writer thread then also parses
 * the client hosts: events reach on_event with host_deferred set, and the
 * stats' ambiguous count misses them); NULL: count into the counter again */
void pipeline_set_evlog(struct pipeline *p, struct evlog *l);
void pipeline_on_event(struct pipeline *p, pipeline_event_fn *fn, void *arg);
/* pipeline_count_binary: count the lines holding NUL bytes in stats.binary
 * (the daemon; scan finds them per read instead).  They are processed as
 * they are: a NUL byte is text like any other from here on. */
void pipeline_count_binary(struct pipeline *p, int on);
void pipeline_on_miss(struct pipeline *p, pipeline_miss_fn *fn, void *arg);
/* pipeline_line: process one line (without '\n'); returns the class of the
 * event counted, or -1 (no class, or a repeat of a class counted once per
 * message id: rules_once_per_message; those count in stats' repeats) */
int pipeline_line(struct pipeline *p, const char *line, size_t len,
    int oversized);
const struct pipeline_stats *pipeline_stats(const struct pipeline *p);
void pipeline_stats_reset(struct pipeline *p);
/* pipeline_file_start: a new file begins (stats.exim looks for an Exim
 * phrase again until the file has an Exim-like line) */
void pipeline_file_start(struct pipeline *p);
/* pipeline_suspicious: 1 if the body reads like a rejection or failure */
int pipeline_suspicious(const char *body, size_t len);

#endif
