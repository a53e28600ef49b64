/* sender: delivers outbox rows over HTTP without ever blocking the daemon.
 *
 * libcurl's multi interface driven by the daemon's epoll loop (the
 * ephiperfifo idea): curl tells us which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION → loop_add/mod/del) and when to call it back
 * (CURLMOPT_TIMERFUNCTION → a timerfd); a second timerfd wakes us for the
 * next due retry.  One request in flight per sink, rows in id order; a
 * hanging sink delays only its own rows.
 *
 * Outcome per attempt: 2xx → delivered; 4xx other than 408/429 → failed
 * (never retried, the reason recorded) — unless the receiver refused the
 * body as too large (sender_too_large) and the split callback replaced the
 * row by smaller ones: the row is then 'split' and its parts are sent
 * instead, so one refusal loses none of the alerts it was about; anything
 * else (connection refused,
 * timeout, 5xx, 408, 429) → retried after an exponential backoff with full
 * jitter, or after Retry-After on 429/503; a row older than the sink's
 * give_up_after fails.  Each outcome is written to the outbox row at once,
 * so after a restart sender_load() resends exactly the pending rows. */
#ifndef EW_SENDER_H
#define EW_SENDER_H
#include <stddef.h>
#include <stdint.h>

struct loop;
struct store;
struct alertconf;
struct sender;

/* sender_new: ac is borrowed and must outlive the sender (or be replaced
 * with sender_set_conf); NULL if curl cannot start */
struct sender *sender_new(struct loop *l, struct store *s,
    const struct alertconf *ac);
void sender_free(struct sender *sd);
void sender_set_conf(struct sender *sd, const struct alertconf *ac);
/* sender_load: queue every pending row of the outbox; 0 or -1 */
int sender_load(struct sender *sd);
/* sender_add: queue a row that was just committed */
void sender_add(struct sender *sd, int64_t id, const char *sink,
    const char *body, size_t len, int64_t created);
/* sender_pending: rows queued or in flight */
size_t sender_pending(const struct sender *sd);

/* sender_split_cb: replace outbox row id, refused as too large, by smaller
 * rows (alert_split: committed, the row marked 'split'); the number of new
 * rows with their ids in *ids (the sender frees it), 0 if it cannot, -1 on
 * error.  It may use the store: the sender holds no statement open. */
typedef int sender_split_cb(void *arg, int64_t id, int64_t **ids);
void sender_on_split(struct sender *sd, sender_split_cb *fn, void *arg);
/* sender_too_large: 1 if a final refusal (HTTP status, start of the
 * answer) says the body is too large: 413, or a 400/422 naming a size or
 * block limit (Slack's invalid_blocks, PagerDuty's "... is too long") */
int sender_too_large(long http, const char *resp);

/* sender_send_once: one blocking request (`eximwatch alerts test`); the
 * HTTP status, or -1 with the reason in err; err also gets the response */
struct sink_conf;
long sender_send_once(const struct sink_conf *sc, int64_t id,
    const char *body, size_t len, char *err, size_t errlen);

/* backoff_delay: full jitter — uniform in [0, min(max, initial * 2^attempt)],
 * never below min(initial, 100) ms; r is a uniform random in [0, 1) */
int64_t backoff_delay(int64_t initial, int64_t max, int attempt, double r);
/* retry_after_ms: a Retry-After value (seconds or HTTP date) in ms from
 * now, -1 if it does not parse */
int64_t retry_after_ms(const char *v, int64_t now);

#endif
