/* sink_pagerduty: PagerDuty Events API v2.
 *
 * One incident per threshold and host, not per group: dedup_key
 * "eximwatch/<host>/<threshold>" is stable, so a 500-IP attack is one page
 * that re-triggers (PagerDuty appends to the open alert) while new groups
 * cross, and one resolve when the last group of the threshold resolves.
 * The stored body lacks the routing key (a secret): sink_request() writes
 * {"routing_key":"…", in front of it.
 *
 * PagerDuty refuses an event (HTTP 400, final) whose summary is longer than
 * 1024 characters, or a payload over 512 KB.  The summary lists whole
 * groups while they fit ("+N more" for the rest), each name cut to
 * SUMMARY_GROUP bytes; custom_details lists at most DETAIL_GROUPS groups per
 * list, each name at most DETAIL_GROUP bytes (notice_key: a cut name keeps
 * a hash, so two long names stay two keys), so a body stays under 300 KB
 * whatever the log text (each byte of it is at most 6 once JSON-escaped). */
#include <inttypes.h>
#include <string.h>

#include "json.h"
#include "notice.h"
#include "sink.h"

#define SUMMARY_MAX 1024
#define SUMMARY_GROUP 100
#define DETAIL_GROUPS 100
#define DETAIL_GROUP 200
#define SAMPLE_MAX 300
#define REMEDY_MAX 4096
/* ", +18446744073709551615 more)" */
#define MORE_ROOM 32

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

	struct sbuf g;

	sbuf_init(&g);
	sbuf_addc(b, '{');
	for (i = 0; i < count && i < DETAIL_GROUPS; i++) {
		const struct notice_item *it = &n->items[from + i];

		if (i)
			sbuf_addc(b, ',');
		sbuf_reset(&g);
		notice_key(&g, *it->grp ? it->grp : "global",
		    *it->grp ? strlen(it->grp) : 6, DETAIL_GROUP);
		json_str(b, g.s, g.len);
		sbuf_addc(b, ':');
		json_int(b, notice_value(it));
	}
	sbuf_addc(b, '}');
	sbuf_release(&g);
}

/* not_acted: "not_acted": {group: why} for the firing groups an acting
 * sink of the threshold was not given (at most DETAIL_GROUPS) */
static void not_acted(struct sbuf *b, const struct notice *n, struct sbuf *t)
{
	size_t i, k = 0;

	for (i = 0; i < n->nfiring && k < DETAIL_GROUPS; i++) {
		const struct notice_item *it = &n->items[i];

		if (it->not_acted == NULL)
			continue;
		sbuf_adds(b, k++ ? "," : ",\"not_acted\":{");
		sbuf_reset(t);
		notice_key(t, it->grp, strlen(it->grp), DETAIL_GROUP);
		json_str(b, t->s, t->len);
		sbuf_addc(b, ':');
		sbuf_reset(t);
		notice_cut(t, it->not_acted, strlen(it->not_acted), SAMPLE_MAX);
		json_str(b, t->s, t->len);
	}
	if (k)
		sbuf_addc(b, '}');
}

/* summary: the title and the firing groups that fit in SUMMARY_MAX */
static void summary(const struct notice *n, int trigger, struct sbuf *out)
{
	struct sbuf t, g;
	size_t i;

	sbuf_init(&t);
	sbuf_init(&g);
	notice_title(n, &t);
	if (trigger && n->tc->by != BY_GLOBAL) {
		sbuf_adds(&t, " (");
		for (i = 0; i < n->nfiring && i < n->top; i++) {
			sbuf_reset(&g);
			if (i)
				sbuf_adds(&g, ", ");
			notice_cut(&g, n->items[i].grp, strlen(n->items[i].grp),
			    SUMMARY_GROUP);
			sbuf_addf(&g, " %" PRId64, n->items[i].value);
			if (t.len + g.len + MORE_ROOM > SUMMARY_MAX)
				break;
			sbuf_add(&t, g.s, g.len);
		}
		if (n->nfiring > i)
			sbuf_addf(&t, "%s+%zu more", i ? ", " : "", n->nfiring - i);
		sbuf_adds(&t, ")");
	}
	/* a long host or threshold id: cut the lot */
	notice_cut(out, t.s, t.len, SUMMARY_MAX);
	sbuf_release(&t);
	sbuf_release(&g);
}

int sink_pagerduty_render(const struct sink_conf *s, const struct notice *n,
    struct sbuf *b)
{
	struct sbuf t, sum;
	char ts[32];
	int trigger = n->nfiring > 0 || n->test;

	(void)s;
	if (!trigger && n->still_firing)
		return -1;   /* the incident stays open for the others */
	sbuf_init(&t);
	sbuf_init(&sum);
	summary(n, trigger, &sum);
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
			notice_cut(&t, n->items[0].sample, strlen(n->items[0].sample),
			    SAMPLE_MAX);
			json_str(b, t.s, t.len);
		}
		not_acted(b, n, &t);
		sbuf_adds(b, ",\"remedy\":");
		if (n->remedy) {
			sbuf_reset(&t);
			notice_cut(&t, n->remedy, strlen(n->remedy), REMEDY_MAX);
			json_str(b, t.s, t.len);
		} else {
			sbuf_adds(b, "null");
		}
		sbuf_adds(b, "}}");
	}
	sbuf_addc(b, '}');
	sbuf_release(&t);
	sbuf_release(&sum);
	return 0;
}
