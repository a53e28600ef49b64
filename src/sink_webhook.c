/* sink_webhook: a generic JSON webhook, signed per Standard Webhooks
 * (webhook-id / webhook-timestamp / webhook-signature, added at send time by
 * sink_request).  Body:
 *   {"type": "alert.firing"|"alert.resolved"|"alert.test", "timestamp": ISO,
 *    "data": {host, threshold, severity, classes, by, window, count,
 *             distinct, firing_total, resolved_total, firing: [...],
 *             resolved: [...], remedy}}
 *
 * Every group is sent.  A body is kept under SINK_WEBHOOK_BODY_MAX (sink.h):
 * each group's sample is cut to TEXT_MAX bytes, and its name too (with a
 * hash of the whole name: notice_key); a batch that would not fit is sent
 * as several notifications (the alert engine halves it: sink_body_max),
 * each counting its own groups in firing_total and resolved_total. */
#include <string.h>

#include "json.h"
#include "notice.h"
#include "sink.h"

#define TEXT_MAX 1024
#define REMEDY_MAX 4096

static void text(struct sbuf *b, struct sbuf *t, const char *s, size_t max)
{
	sbuf_reset(t);
	if (s)
		notice_cut(t, s, strlen(s), max);
	json_str(b, t->s, t->len);
}

static void items(struct sbuf *b, const struct notice *n, size_t from,
    size_t count)
{
	struct sbuf t;
	size_t i;
	char ts[32];

	sbuf_init(&t);
	sbuf_addc(b, '[');
	for (i = 0; i < count; i++) {
		const struct notice_item *it = &n->items[from + i];

		if (i)
			sbuf_addc(b, ',');
		sbuf_adds(b, "{\"group\":");
		sbuf_reset(&t);
		notice_key(&t, it->grp, strlen(it->grp), TEXT_MAX);
		json_str(b, t.s, t.len);
		sbuf_adds(b, ",\"value\":");
		json_int(b, it->value);
		sbuf_adds(b, ",\"peak\":");
		json_int(b, it->peak);
		sbuf_adds(b, ",\"alert_id\":");
		json_int(b, it->alert_id);
		notice_time(it->started_at, ts, sizeof ts);
		sbuf_adds(b, ",\"started_at\":");
		json_cstr(b, ts);
		if (it->resolved) {
			notice_time(it->resolved_at, ts, sizeof ts);
			sbuf_adds(b, ",\"resolved_at\":");
			json_cstr(b, ts);
		}
		sbuf_adds(b, ",\"sample\":");
		text(b, &t, it->sample, TEXT_MAX);
		if (it->not_acted) {
			/* an acting sink of the threshold was not given it */
			sbuf_adds(b, ",\"not_acted\":");
			text(b, &t, it->not_acted, TEXT_MAX);
		}
		sbuf_addc(b, '}');
	}
	sbuf_addc(b, ']');
	sbuf_release(&t);
}

int sink_webhook_render(const struct sink_conf *s, const struct notice *n,
    struct sbuf *b)
{
	char ts[32];

	(void)s;
	notice_time(n->now, ts, sizeof ts);
	sbuf_adds(b, "{\"type\":");
	json_cstr(b, n->test ? "alert.test" : n->nfiring ? "alert.firing" :
	    "alert.resolved");
	sbuf_adds(b, ",\"timestamp\":");
	json_cstr(b, ts);
	sbuf_adds(b, ",\"data\":{\"host\":");
	json_cstr(b, n->host);
	sbuf_adds(b, ",\"threshold\":");
	json_cstr(b, n->tc->id);
	sbuf_adds(b, ",\"severity\":");
	json_cstr(b, n->tc->severity);
	sbuf_adds(b, ",\"classes\":");
	json_cstr(b, n->classes);
	sbuf_adds(b, ",\"by\":");
	json_cstr(b, alert_by_name(n->tc->by));
	sbuf_adds(b, ",\"window_seconds\":");
	json_int(b, n->tc->window);
	sbuf_adds(b, ",\"count\":");
	json_int(b, n->tc->count);
	sbuf_adds(b, ",\"distinct\":");
	if (n->tc->distinct != BY_GLOBAL)
		json_cstr(b, alert_by_name(n->tc->distinct));
	else
		sbuf_adds(b, "null");
	sbuf_adds(b, ",\"firing_total\":");
	json_int(b, (int64_t)n->nfiring);
	sbuf_adds(b, ",\"resolved_total\":");
	json_int(b, (int64_t)n->nresolved);
	sbuf_adds(b, ",\"firing\":");
	items(b, n, 0, n->nfiring);
	sbuf_adds(b, ",\"resolved\":");
	items(b, n, n->nfiring, n->nresolved);
	sbuf_adds(b, ",\"remedy\":");
	if (n->remedy) {
		struct sbuf t;

		sbuf_init(&t);
		text(b, &t, n->remedy, REMEDY_MAX);
		sbuf_release(&t);
	} else {
		sbuf_adds(b, "null");
	}
	sbuf_adds(b, "}}");
	return 0;
}
