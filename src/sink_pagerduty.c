/* sink_pagerduty: PagerDuty Events API v2.
 *
 * One incident per threshold and host, not per group: dedup_key
 * "eximwatch/<host>/<threshold>" is stable, so a 500-IP attack is one page
 * that re-triggers (PagerDuty appends to the open alert) while new groups
 * cross, and one resolve when the last group of the threshold resolves.
 * The stored body lacks the routing key (a secret): sink_request() writes
 * {"routing_key":"…", in front of it. */
#include <inttypes.h>
#include <string.h>

#include "json.h"
#include "notice.h"
#include "sink.h"

#define SUMMARY_MAX 1024

static const char *pd_severity(const char *s)
{
	if (strcmp(s, "critical") == 0)
		return "critical";
	if (strcmp(s, "error") == 0)
		return "error";
	if (strcmp(s, "info") == 0)
		return "info";
	return "warning";   /* warning, notice */
}

static void groups(struct sbuf *b, const struct notice *n, size_t from,
    size_t count)
{
	size_t i;

	sbuf_addc(b, '{');
	for (i = 0; i < count && i < 100; i++) {
		const struct notice_item *it = &n->items[from + i];

		if (i)
			sbuf_addc(b, ',');
		json_cstr(b, *it->grp ? it->grp : "global");
		sbuf_addc(b, ':');
		json_int(b, it->resolved ? it->peak : it->value);
	}
	sbuf_addc(b, '}');
}

int sink_pagerduty_render(const struct sink_conf *s, const struct notice *n,
    struct sbuf *b)
{
	struct sbuf t, sum;
	char ts[32];
	size_t i;
	int trigger = n->nfiring > 0 || n->test;

	(void)s;
	if (!trigger && n->still_firing)
		return -1;   /* the incident stays open for the others */
	sbuf_init(&t);
	sbuf_init(&sum);
	notice_title(n, &t);
	if (trigger && n->tc->by != BY_GLOBAL) {
		sbuf_adds(&t, " (");
		for (i = 0; i < n->nfiring && i < n->top; i++)
			sbuf_addf(&t, "%s%s %" PRId64, i ? ", " : "", n->items[i].grp,
			    n->items[i].value);
		if (n->nfiring > n->top)
			sbuf_addf(&t, ", +%zu more", n->nfiring - n->top);
		sbuf_adds(&t, ")");
	}
	notice_cut(&sum, t.s, t.len, SUMMARY_MAX);
	sbuf_adds(b, "\"event_action\":");
	json_cstr(b, trigger ? "trigger" : "resolve");
	sbuf_adds(b, ",\"dedup_key\":");
	sbuf_reset(&t);
	sbuf_addf(&t, "eximwatch/%s/%s%s", n->host, n->tc->id, n->test ? "/test" : "");
	json_str(b, t.s, t.len);
	sbuf_adds(b, ",\"client\":\"eximwatch\"");
	if (trigger) {
		notice_time(n->now, ts, sizeof ts);
		sbuf_adds(b, ",\"payload\":{\"summary\":");
		json_str(b, sum.s, sum.len);
		sbuf_adds(b, ",\"source\":");
		json_cstr(b, n->host);
		sbuf_adds(b, ",\"severity\":");
		json_cstr(b, pd_severity(n->tc->severity));
		sbuf_adds(b, ",\"timestamp\":");
		json_cstr(b, ts);
		sbuf_adds(b, ",\"component\":\"exim\",\"group\":");
		json_cstr(b, n->tc->id);
		sbuf_adds(b, ",\"class\":");
		json_cstr(b, n->classes);
		sbuf_adds(b, ",\"custom_details\":{\"rule\":");
		sbuf_reset(&t);
		notice_rule(n, &t);
		json_str(b, t.s, t.len);
		sbuf_adds(b, ",\"firing_groups\":");
		json_int(b, (int64_t)n->nfiring);
		sbuf_adds(b, ",\"counts\":");
		groups(b, n, 0, n->nfiring);
		sbuf_adds(b, ",\"resolved\":");
		groups(b, n, n->nfiring, n->nresolved);
		if (n->nfiring && n->items[0].sample && *n->items[0].sample) {
			sbuf_adds(b, ",\"sample\":");
			sbuf_reset(&t);
			notice_cut(&t, n->items[0].sample, strlen(n->items[0].sample), 300);
			json_str(b, t.s, t.len);
		}
		sbuf_adds(b, ",\"remedy\":");
		json_cstr(b, n->remedy);
		sbuf_adds(b, "}}");
	}
	sbuf_addc(b, '}');
	sbuf_release(&t);
	sbuf_release(&sum);
	return 0;
}
