/* diagnotify: the daemon's findings — their lifecycle and notifications.
 *
 * A finding is one (kind, subject).  When a diagnosis first finds it, it
 * fires: one notification to each sink the `diagnose.route` of its verdict
 * names.  While later diagnoses keep finding it, it is re-notified every
 * `diagnose.repeat`; once no diagnosis has found it for
 * `diagnose.resolve_after`, it resolves (one notification).  The state is
 * kept in the store (table findings) and the notifications go through the
 * outbox, written in the same transaction (the sender delivers them, with
 * retries, as it does the threshold alerts'), so a restart neither repeats
 * nor loses one.
 *
 * Call order, on the daemon's thread:
 *   diagnotify_new() → diagnotify_load(store) once → per diagnosis:
 *   diagnotify_update(findings, now) → diagnotify_write(store) inside the
 *   commit's transaction → diagnotify_written(ok) after it, which hands the
 *   committed notifications to the outbox callback. */
#ifndef EW_DIAGNOTIFY_H
#define EW_DIAGNOTIFY_H
#include <stddef.h>
#include <stdint.h>
#include "alert.h"
#include "diagconf.h"
#include "diagnose.h"

struct store;
struct diagnotify;

/* diagnotify_new: dc and ac are borrowed (diagnotify_reconfigure replaces
 * them); host names the server in the messages */
struct diagnotify *diagnotify_new(const struct diagconf *dc,
    const struct alertconf *ac);
void diagnotify_free(struct diagnotify *n);
void diagnotify_reconfigure(struct diagnotify *n, const struct diagconf *dc,
    const struct alertconf *ac);
void diagnotify_on_outbox(struct diagnotify *n, alert_outbox_cb *fn,
    void *arg);
/* diagnotify_load: the firing findings from before a restart; 0 or -1 */
int diagnotify_load(struct diagnotify *n, struct store *s);
/* diagnotify_update: the findings of a diagnosis at now */
void diagnotify_update(struct diagnotify *n, const struct findings *f,
    int64_t now);
int diagnotify_dirty(const struct diagnotify *n);
int diagnotify_write(struct diagnotify *n, struct store *s);
void diagnotify_written(struct diagnotify *n, int ok);
/* diagnotify_firing: findings firing now, per verdict if counts != NULL
 * (VERDICT_N of them) */
size_t diagnotify_firing(const struct diagnotify *n, size_t *counts);

#endif
