/* sink: what the alert engine sends — a notice (notice.h) rendered by its
 * sink's type (sink_*.c) into the body stored in the outbox, and turned into
 * an HTTP request when it is sent.
 *
 * Bodies are rendered once, when the notification is written to the outbox
 * (so retries and restarts send the same bytes); secrets are not part of the
 * stored body: the URL, a PagerDuty routing key and a webhook signature are
 * added by sink_request() at send time, from the running configuration.
 * Every piece of log text is treated as hostile: escaped for JSON (json.h)
 * and, for Slack, for mrkdwn; and shortened. */
#ifndef EW_SINK_H
#define EW_SINK_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "alertconf.h"
#include "notice.h"
#include "sbuf.h"

struct curl_slist;

/* sink_render: the body to store for sink s; 0, or -1 when this sink has
 * nothing to say about n (a PagerDuty resolve while other groups fire) */
int sink_render(const struct sink_conf *s, const struct notice *n,
    struct sbuf *out);

/* sink_body_max: the largest body sink s is given, in bytes as stored (the
 * routing key PagerDuty needs is added in front when sending); the alert
 * engine sends a notice whose body would be larger in parts.  0 = bounded
 * by construction: Slack lists at most `top` groups in at most 50 blocks. */
#define SINK_PAGERDUTY_BODY_MAX (512 * 1000 - 1024)   /* payloads: 512 KB */
#define SINK_ALERTMANAGER_BODY_MAX (1024 * 1024)
#define SINK_WEBHOOK_BODY_MAX (256 * 1024)
size_t sink_body_max(const struct sink_conf *s);

struct sink_request {
	char *url;                    /* owned */
	struct curl_slist *headers;   /* owned */
	struct sbuf body;
};

/* sink_request: the request for outbox row id with stored body */
void sink_request(const struct sink_conf *s, int64_t id, const char *body,
    size_t len, time_t now, struct sink_request *rq);
void sink_request_release(struct sink_request *rq);

/* per type (sink_*.c) */
int sink_slack_render(const struct sink_conf *s, const struct notice *n,
    struct sbuf *out);
int sink_pagerduty_render(const struct sink_conf *s, const struct notice *n,
    struct sbuf *out);
int sink_alertmanager_render(const struct sink_conf *s, const struct notice *n,
    struct sbuf *out);
int sink_webhook_render(const struct sink_conf *s, const struct notice *n,
    struct sbuf *out);

/* webhook_sign: "v1,<base64 HMAC-SHA256 of id.ts.body>" into out */
void webhook_sign(const unsigned char *key, size_t keylen, const char *id,
    int64_t ts, const char *body, size_t len, struct sbuf *out);

#endif
