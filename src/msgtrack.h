/* msgtrack: a short value per message in flight, by message id.
 *
 * Delivery, bounce and defer lines ("=>", "**", "==") do not repeat the
 * sender; the account they belong to is the sender of the "<=" line with the
 * same message id (the pipeline's sender table).  The pipeline's second
 * table remembers the messages already counted for a once-per-message class
 * (the class name as the value: frozen messages are logged again on every
 * queue run).  A table has a fixed capacity (memory does not grow with the
 * log): the oldest entry is dropped when it is full, and "Completed" removes
 * an entry.  Values longer than the table's value_max are not kept. */
#ifndef EW_MSGTRACK_H
#define EW_MSGTRACK_H
#include <stddef.h>
#include "span.h"

#define MSGTRACK_SENDER_MAX 160

struct msgtrack;

/* msgtrack_new: up to capacity ids (0: 16384), values up to value_max bytes
 * (the entries are that much larger: MSGTRACK_SENDER_MAX for senders) */
struct msgtrack *msgtrack_new(size_t capacity, size_t value_max);
void msgtrack_free(struct msgtrack *m);
void msgtrack_put(struct msgtrack *m, struct span msgid, struct span value);
/* msgtrack_get: the value (borrowed, valid until the next put), or absent */
struct span msgtrack_get(const struct msgtrack *m, struct span msgid);
void msgtrack_del(struct msgtrack *m, struct span msgid);
/* msgtrack_prefetch: start loading msgid's index slot (a cache miss) before
 * a put, get or del of the same id (same pointer) that follows soon; the
 * hash is kept for it */
void msgtrack_prefetch(struct msgtrack *m, struct span msgid);
size_t msgtrack_count(const struct msgtrack *m);

#endif
