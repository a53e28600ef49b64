/* sink_alertmanager: Prometheus Alertmanager, POST /api/v2/alerts.
 *
 * One alert per group, all the groups of a notice in one request.  Labels:
 * alertname (threshold id), severity, host, the group's label (ip, account
 * or owner) and class; annotations: summary and remedy.  Per the client
 * guide a firing alert is re-sent while it fires (every `repeat`) with
 * endsAt in the future (3 x repeat), so Alertmanager keeps it firing
 * between sends and lets it expire if eximwatch dies; a resolve sends
 * endsAt = the resolve time.
 *
 * Labels are an alert's identity, so they stay small: a group (an account
 * can be kilobytes of log text) longer than LABEL_MAX bytes becomes its
 * first bytes, "…" and 16 hex digits of its SHA-256 (notice_key): distinct
 * groups stay distinct alerts, a group keeps its label from send to send.
 * The details go into annotations, each cut to a bound. */
#include <inttypes.h>
#include <string.h>

#include "json.h"
#include "notice.h"
#include "sink.h"

#define LABEL_MAX 128
#define SUMMARY_GROUP 1024
#define SAMPLE_MAX 300
#define REMEDY_MAX 4096

static void one(struct sbuf *b, const struct notice *n,
    const struct notice_item *it)
{
	struct sbuf t;
	char ts[32];

	sbuf_init(&t);
	sbuf_adds(b, "{\"labels\":{\"alertname\":");
	json_cstr(b, n->tc->id);
	sbuf_adds(b, ",\"severity\":");
	json_cstr(b, n->tc->severity);
	sbuf_adds(b, ",\"host\":");
	json_cstr(b, n->host);
	sbuf_adds(b, ",\"class\":");
	json_cstr(b, n->classes);
	if (n->tc->by != BY_GLOBAL) {
		sbuf_addc(b, ',');
		json_cstr(b, alert_by_name(n->tc->by));
		sbuf_addc(b, ':');
		notice_key(&t, it->grp, strlen(it->grp), LABEL_MAX);
		json_str(b, t.s, t.len);
	}
	sbuf_adds(b, "},\"annotations\":{\"summary\":");
	sbuf_reset(&t);
	if (n->tc->by != BY_GLOBAL) {
		sbuf_addf(&t, "%s ", alert_by_name(n->tc->by));
		notice_cut(&t, it->grp, strlen(it->grp), SUMMARY_GROUP);
		sbuf_adds(&t, ": ");
	}
	sbuf_addf(&t, "%" PRId64 " (", notice_value(it));
	notice_rule(n, &t);
	sbuf_adds(&t, ")");
	json_str(b, t.s, t.len);
	if (n->remedy) {
		sbuf_adds(b, ",\"remedy\":");
		sbuf_reset(&t);
		notice_cut(&t, n->remedy, strlen(n->remedy), REMEDY_MAX);
		json_str(b, t.s, t.len);
	}
	if (it->not_acted && !it->resolved) {
		sbuf_reset(&t);
		notice_cut(&t, it->not_acted, strlen(it->not_acted), SAMPLE_MAX);
		sbuf_adds(b, ",\"not_acted\":");
		json_str(b, t.s, t.len);
	}
	if (it->sample && *it->sample) {
		sbuf_reset(&t);
		notice_cut(&t, it->sample, strlen(it->sample), SAMPLE_MAX);
		sbuf_adds(b, ",\"sample\":");
		json_str(b, t.s, t.len);
	}
	notice_time(it->started_at, ts, sizeof ts);
	sbuf_adds(b, "},\"startsAt\":");
	json_cstr(b, ts);
	notice_time(it->resolved ? it->resolved_at : n->now + 3 * n->tc->repeat, ts,
	    sizeof ts);
	sbuf_adds(b, ",\"endsAt\":");
	json_cstr(b, ts);
	sbuf_addc(b, '}');
	sbuf_release(&t);
}

int sink_alertmanager_render(const struct sink_conf *s, const struct notice *n,
    struct sbuf *b)
{
	size_t i;

	(void)s;
	sbuf_addc(b, '[');
	for (i = 0; i < n->nfiring + n->nresolved; i++) {
		if (i)
			sbuf_addc(b, ',');
		one(b, n, &n->items[i]);
	}
	sbuf_addc(b, ']');
	return 0;
}
