/* alert: the alert engine — thresholds over the events the daemon commits,
 * the lifecycle of each alert (threshold, group), batching into
 * notifications, and the durable outbox.
 *
 * Call order, all on the daemon's thread:
 *   alert_new() → alert_load(store) once (windows and firing alerts from
 *   before a restart) → alert_event() per classified event →
 *   alert_evaluate(now) before each commit → alert_write(store) inside the
 *   commit's transaction → alert_written(ok) after it.  alert_written(1)
 *   hands the notifications just committed to the outbox callback (the
 *   sender); alert_written(0) keeps everything to write again next time.
 *
 * An alert is firing when its group's count (or distinct count) in the
 * sliding window reaches the threshold, is re-notified every `repeat` while
 * firing, and resolves after staying under the threshold for
 * `resolve_after`.  Changes of one threshold are batched: the first after
 * `first_wait`, later ones at most every `group_wait`; a batch becomes one
 * notification per sink listing the groups. */
#ifndef EW_ALERT_H
#define EW_ALERT_H
#include <stddef.h>
#include <stdint.h>
#include "alertconf.h"
#include "event.h"
#include "eximlog.h"

struct alert_engine;
struct rules;
struct owners;
struct store;

/* a committed notification: row id, sink name, stored body */
typedef void alert_outbox_cb(void *arg, int64_t id, const char *sink,
    const char *body, size_t len, int64_t created);

/* alert_new: ac, r and o are borrowed and must outlive the engine (or be
 * replaced with alert_reconfigure / alert_set_rules) */
struct alert_engine *alert_new(const struct alertconf *ac,
    const struct rules *r, const struct owners *o);
void alert_free(struct alert_engine *e);
void alert_on_outbox(struct alert_engine *e, alert_outbox_cb *fn, void *arg);
/* alert_set_rules: class indexes changed (a reload) */
void alert_set_rules(struct alert_engine *e, const struct rules *r);
/* alert_reconfigure: a new configuration; state of thresholds that keep
 * their id, classes and grouping is kept.  Call between commits. */
void alert_reconfigure(struct alert_engine *e, const struct alertconf *ac,
    const struct owners *o);
size_t alert_nthresholds(const struct alert_engine *e);
/* alert_set_guard: what may go to an acting sink (crowdsec, banlog) is
 * asked of g (borrowed); without a guard nothing goes to them */
struct guard;
void alert_set_guard(struct alert_engine *e, struct guard *g);

int alert_load(struct alert_engine *e, struct store *s, int64_t now);
void alert_event(struct alert_engine *e, const struct event *ev,
    const struct eximlog_line *ln, int64_t now);
/* alert_evaluate: lifecycle and due batches at now_ms (unix ms) */
void alert_evaluate(struct alert_engine *e, int64_t now_ms);
/* alert_dirty: 1 if alert_write has something to write */
int alert_dirty(const struct alert_engine *e);
int alert_write(struct alert_engine *e, struct store *s, int64_t now);
void alert_written(struct alert_engine *e, int ok);
/* alert_next_ms: ms until alert_evaluate should run again, -1 = not needed */
int64_t alert_next_ms(const struct alert_engine *e, int64_t now_ms);
/* alert_firing: alerts firing now (all thresholds) */
size_t alert_firing(const struct alert_engine *e);

/* alert_split: outbox row id was refused for its size (sender.h): replace
 * it by notifications about each half of its alerts (halved again while a
 * body is larger than its sink takes), inserted in one transaction that
 * also marks the row 'split'.  The parts show the alerts' counts as they
 * are now.  Returns the number of new rows, their ids in *ids (free()); 0
 * if the row cannot be split (about one alert; no longer pending; its sink
 * or threshold no longer configured); -1 on a store error (logged).  Call
 * between commits, with the store on this thread. */
int alert_split(struct alert_engine *e, struct store *s, int64_t id,
    int64_t **ids);

/* alert_test_notice: render a test notification for sink sc into out (the
 * body alert_write would store); 0 or -1 */
struct sbuf;
int alert_test_body(const struct alertconf *ac, const struct sink_conf *sc,
    struct sbuf *out);

#endif
