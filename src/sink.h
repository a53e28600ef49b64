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
#define SINK_CROWDSEC_BODY_MAX (512 * 1024)
#define SINK_BANLOG_BODY_MAX (256 * 1024)
size_t sink_body_max(const struct sink_conf *s);

struct sink_request {
	char *url;                    /* owned */
	struct curl_slist *headers;   /* owned */
	struct sbuf body;
};

/* sink_request: the request for outbox row id with stored body; token:
 * a CrowdSec sink's JWT (sink_crowdsec_token), else NULL.  Not for a
 * banlog sink (sink_banlog_write). */
void sink_request(const struct sink_conf *s, int64_t id, const char *body,
    size_t len, time_t now, const char *token, struct sink_request *rq);
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
/* crowdsec: the body is POST /v1/alerts's (or, for a dry_run sink, one
 * line per decision for the log); -1 when no firing group is acted on */
int sink_crowdsec_render(const struct sink_conf *s, const struct notice *n,
    struct sbuf *out);
/* banlog: the lines without their time (sink_banlog.c has the format) */
int sink_banlog_render(const struct sink_conf *s, const struct notice *n,
    struct sbuf *out);

/* sink_crowdsec_target: the group grp as a CrowdSec target: canonical text
 * into buf (NETADDR_STRLEN) and scope "Ip" or "Range"; -1 if grp is not an
 * address or network */
int sink_crowdsec_target(const char *grp, char *buf, size_t len,
    const char **scope);
/* sink_crowdsec_login: the watcher's login request (holds the password:
 * sink_request_release wipes it) */
void sink_crowdsec_login(const struct sink_conf *s, struct sink_request *rq);
/* sink_crowdsec_token: the JWT of a login answer (NUL-terminated) into
 * *token (free()) and its expiry (unix time, 0 if not given); 0, or -1
 * when the answer holds no token */
int sink_crowdsec_token(const char *resp, char **token, int64_t *expire);
/* sink_banlog_write: append the stored body's lines to s->path, each with
 * the time now in front, rotating the file (see sink_banlog.c); 0, or -1
 * with the reason in err */
int sink_banlog_write(const struct sink_conf *s, const char *body,
    size_t len, time_t now, char *err, size_t errlen);

/* webhook_sign: "v1,<base64 HMAC-SHA256 of id.ts.body>" into out */
void webhook_sign(const unsigned char *key, size_t keylen, const char *id,
    int64_t ts, const char *body, size_t len, struct sbuf *out);

#endif
