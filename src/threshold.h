/* threshold: the sliding windows of one threshold — events per group (an
 * ip, account, owner or the one global group) at one-second resolution, and
 * for `distinct` thresholds the number of different values (ip or account)
 * each group saw inside the window.
 *
 * Pure bookkeeping with the time passed in (tests use a fake clock); the
 * alert engine (alert.c) decides what a value means.  Entries carry the
 * count not yet saved to the store, so the engine can persist deltas. */
#ifndef EW_THRESHOLD_H
#define EW_THRESHOLD_H
#include <stddef.h>
#include <stdint.h>

struct threshold;

/* threshold_new: window in seconds; distinct 0 = count events;
 * max_groups bounds memory (further new groups are dropped) */
struct threshold *threshold_new(int64_t window, int distinct,
    size_t max_groups);
void threshold_free(struct threshold *t);

/* threshold_add: n events of group grp with distinct value val (ignored and
 * may be "" when not distinct) at time ts.  Events older than the window at
 * `now` are ignored; ts in the future counts as now.  saved: the events are
 * already in the store (loading after a restart).  0, or -1 if dropped. */
int threshold_add(struct threshold *t, const char *grp, size_t glen,
    const char *val, size_t vlen, int64_t ts, int64_t n, int64_t now,
    int saved);

/* threshold_expire: drop what left the window at now; empty groups go */
void threshold_expire(struct threshold *t, int64_t now);

/* threshold_value: events (or distinct values) of grp in the window; 0 if
 * unknown.  Call threshold_expire() first for an exact figure. */
int64_t threshold_value(const struct threshold *t, const char *grp, size_t glen);

/* threshold_each: fn for every group with events in the window */
typedef void threshold_group_cb(void *arg, const char *grp, size_t glen,
    int64_t value);
void threshold_each(const struct threshold *t, threshold_group_cb *fn,
    void *arg);

/* threshold_unsaved: fn for every (group, value, second, n) not yet saved,
 * then (if clear) mark it saved */
typedef int threshold_delta_cb(void *arg, const char *grp, size_t glen,
    const char *val, size_t vlen, int64_t ts, int64_t n);
int threshold_unsaved(struct threshold *t, threshold_delta_cb *fn, void *arg);
void threshold_mark_saved(struct threshold *t);

size_t threshold_ngroups(const struct threshold *t);
int64_t threshold_window(const struct threshold *t);

#endif
