/* threshold: the sliding windows of one threshold — events per group (an
 * ip, account, owner or the one global group), and for `distinct`
 * thresholds the number of different values (ip or account) each group saw
 * inside the window.
 *
 * Memory is bounded per group, whatever the traffic (groups are bounded by
 * max_groups):
 * - events are counted in slots of THRESHOLD_SLOT(window) seconds
 *   (window/64, at least 1 s): at most 65 slots, and an event counts for the
 *   window plus at most one slot;
 * - distinct values are kept exactly, as 64-bit hashes with the time each
 *   was last seen, up to THRESHOLD_EXACT of them in the window; a group with
 *   more becomes a sliding HyperLogLog: THRESHOLD_HLL_M registers for each
 *   of THRESHOLD_SLICES slices of THRESHOLD_SLICE(window) seconds, merged by
 *   maximum over the slices still in the window.  Standard error
 *   1.04/sqrt(512) = 4.6% (about 14% at three standard errors); a value
 *   counts for the window plus at most one slice (window/7).
 *
 * Pure bookkeeping with the time passed in (tests use a fake clock); the
 * alert engine (alert.c) decides what a value means.  Changes not yet
 * saved to the store are kept, so the engine can persist them. */
#ifndef EW_THRESHOLD_H
#define EW_THRESHOLD_H
#include <stddef.h>
#include <stdint.h>

#define THRESHOLD_EXACT 64
#define THRESHOLD_HLL_P 9
#define THRESHOLD_HLL_M (1 << THRESHOLD_HLL_P)
#define THRESHOLD_SLICES 8
#define THRESHOLD_SLOT(w) ((w) > 64 ? ((w) + 63) / 64 : 1)
#define THRESHOLD_SLICE(w) ((w) > 7 ? ((w) + 6) / 7 : 1)

struct threshold;

/* threshold_new: window in seconds; distinct 0 = count events;
 * max_groups bounds the groups (further new groups are dropped) */
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

/* Persistence.  threshold_unsaved calls, for what changed since the last
 * threshold_mark_saved():
 * - count thresholds: count_fn with the events added to the slot that
 *   starts at ts (add n to what is stored for (grp, ts));
 * - distinct thresholds: slice_fn with the whole state of the slice that
 *   starts at ts, data[0..len) (replace what is stored for (grp, ts); len
 *   0: the slice is empty, delete it).
 * A callback returning -1 stops it: -1. */
typedef int threshold_count_cb(void *arg, const char *grp, size_t glen,
    int64_t ts, int64_t n);
typedef int threshold_slice_cb(void *arg, const char *grp, size_t glen,
    int64_t ts, const void *data, size_t len);
int threshold_unsaved(struct threshold *t, threshold_count_cb *count_fn,
    threshold_slice_cb *slice_fn, void *arg);
void threshold_mark_saved(struct threshold *t);
/* threshold_load_slice: a slice that slice_fn saved, at a restart; values
 * older than the window at now are ignored.  0, or -1 if the data is
 * malformed or the group cannot be added (max_groups). */
int threshold_load_slice(struct threshold *t, const char *grp, size_t glen,
    int64_t ts, const void *data, size_t len, int64_t now);

size_t threshold_ngroups(const struct threshold *t);
int64_t threshold_window(const struct threshold *t);
/* threshold_bytes: memory held, in bytes (the groups' keys included) */
size_t threshold_bytes(const struct threshold *t);

#endif
