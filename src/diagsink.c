/* diagsink: a finding's notification per sink type (see diagsink.h) */
#include <inttypes.h>
#include <string.h>

#include "diagsink.h"
#include "findings.h"
#include "json.h"
#include "notice.h"
#include "sink.h"

#define TEXT_MAX 600              /* evidence line in a message */
#define SUBJECT_MAX 200

void diagsink_key(const struct finding *f, struct sbuf *out)
{
	sbuf_addf(out, "%s|%s|%s|%s", f->ip ? f->ip : "",
	    f->account ? f->account : "", f->owner ? f->owner : "",
	    f->domain ? f->domain : "");
}

static const char *pd_severity(enum verdict v)
{
	switch (v) {
	case VERDICT_ABUSE: return "critical";
	case VERDICT_ATTACK: return "error";
	case VERDICT_CONFIG: return "warning";
	default: return "info";
	}
}

/* title: "ABUSE compromised_account on HOST: dora@x [cobalt]" (plain) */
static void title(const struct finding_note *n, struct sbuf *t)
{
	const char *v = verdict_name(n->f->verdict);
	struct sbuf s;
	size_t i;

	sbuf_init(&s);
	finding_subject(n->f, &s);
	if (n->resolved)
		sbuf_adds(t, "RESOLVED ");
	for (i = 0; v[i]; i++)
		sbuf_addc(t, (char)(v[i] >= 'a' && v[i] <= 'z' ? v[i] - 32 : v[i]));
	sbuf_addf(t, " %s on %s: ", finding_kind_name(n->f->kind), n->host);
	notice_cut(t, s.s, s.len, SUBJECT_MAX);
	sbuf_release(&s);
}

/* Slack's limits: section and context text 3000 characters, header 150;
 * we count bytes, never fewer */
#define SLACK_TEXT_MAX 3000
#define SLACK_HEADER_MAX 150

/* slack_esc: log text into mrkdwn: its first raw_max bytes, escaped (& < >
 * as entities, ` as '), then cut again so at most max bytes are written */
static void slack_esc(struct sbuf *b, const char *s, size_t raw_max,
    size_t max)
{
	notice_mrkdwn_cut(b, s, strlen(s), raw_max, max);
}

/* room: what is left of a Slack text of SLACK_TEXT_MAX once m holds used
 * bytes and reserve more must follow */
static size_t room(const struct sbuf *m, size_t reserve)
{
	return m->len + reserve < SLACK_TEXT_MAX ?
	    SLACK_TEXT_MAX - m->len - reserve : 0;
}

static int slack(const struct finding_note *n, struct sbuf *b)
{
	struct sbuf t, m, r;
	char ts[32];

	sbuf_init(&t);
	sbuf_init(&m);
	sbuf_init(&r);
	title(n, &t);
	slack_esc(&m, t.s, SLACK_TEXT_MAX, SLACK_TEXT_MAX);
	sbuf_adds(b, "{\"text\":");
	json_str(b, m.s, m.len);
	sbuf_adds(b, ",\"blocks\":[{\"type\":\"header\",\"text\":{\"type\":"
	    "\"plain_text\",\"text\":");
	sbuf_reset(&m);
	notice_cut(&m, t.s, t.len, SLACK_HEADER_MAX);
	json_str(b, m.s, m.len);
	sbuf_adds(b, "}},{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\","
	    "\"text\":");
	sbuf_reset(&m);
	sbuf_addf(&m, "*Verdict:* %s   *Finding:* %s   *Host:* ",
	    verdict_name(n->f->verdict), finding_kind_name(n->f->kind));
	slack_esc(&m, n->host, 200, 400);
	sbuf_adds(&m, "\n*Subject:* ");
	sbuf_reset(&t);
	finding_subject(n->f, &t);
	slack_esc(&m, t.s, SUBJECT_MAX, 2 * SUBJECT_MAX);
	notice_time(n->started_at, ts, sizeof ts);
	sbuf_addf(&m, "\n*Events:* %" PRId64 "   *Since:* %s", n->f->events, ts);
	if (n->resolved) {
		notice_time(n->resolved_at, ts, sizeof ts);
		sbuf_addf(&m, "   *Resolved:* %s", ts);
	}
	if (n->f->summary && *n->f->summary) {
		sbuf_adds(&m, "\n*Evidence:* ");
		slack_esc(&m, n->f->summary, TEXT_MAX, room(&m, 0));
	}
	json_str(b, m.s, m.len);
	sbuf_adds(b, "}},{\"type\":\"context\",\"elements\":[{\"type\":\"mrkdwn\","
	    "\"text\":");
	finding_remedy_text(n->f, &r);
	sbuf_reset(&m);
	sbuf_adds(&m, "*Remedy:* ");
	slack_esc(&m, r.s, SLACK_TEXT_MAX, room(&m, 0));
	json_str(b, m.s, m.len);
	sbuf_adds(b, "}]}]}");
	sbuf_release(&t);
	sbuf_release(&m);
	sbuf_release(&r);
	return 0;
}

static int pagerduty(const struct finding_note *n, struct sbuf *b)
{
	struct sbuf t, k;
	char ts[32];

	sbuf_init(&t);
	sbuf_init(&k);
	sbuf_adds(b, "\"event_action\":");
	json_cstr(b, n->resolved ? "resolve" : "trigger");
	sbuf_addf(&k, "eximwatch/%s/diagnose/%s/", n->host,
	    finding_kind_name(n->f->kind));
	diagsink_key(n->f, &k);
	sbuf_adds(b, ",\"dedup_key\":");
	notice_cut(&t, k.s, k.len, 250);
	json_str(b, t.s, t.len);
	sbuf_adds(b, ",\"client\":\"eximwatch\"");
	if (!n->resolved) {
		sbuf_reset(&t);
		title(n, &t);
		if (n->f->summary && *n->f->summary) {
			sbuf_adds(&t, " \xe2\x80\x94 ");
			sbuf_adds(&t, n->f->summary);
		}
		sbuf_reset(&k);
		notice_cut(&k, t.s, t.len, 1024);
		notice_time(n->now, ts, sizeof ts);
		sbuf_adds(b, ",\"payload\":{\"summary\":");
		json_str(b, k.s, k.len);
		sbuf_adds(b, ",\"source\":");
		json_cstr(b, n->host);
		sbuf_adds(b, ",\"severity\":");
		json_cstr(b, pd_severity(n->f->verdict));
		sbuf_adds(b, ",\"timestamp\":");
		json_cstr(b, ts);
		sbuf_adds(b, ",\"component\":\"exim\",\"group\":");
		json_cstr(b, finding_kind_name(n->f->kind));
		sbuf_adds(b, ",\"class\":");
		json_cstr(b, verdict_name(n->f->verdict));
		sbuf_adds(b, ",\"custom_details\":");
		finding_json(n->f, b);
		sbuf_addc(b, '}');
	}
	sbuf_addc(b, '}');
	sbuf_release(&t);
	sbuf_release(&k);
	return 0;
}

static void label(struct sbuf *b, const char *name, const char *v)
{
	struct sbuf t;

	if (v == NULL)
		return;
	sbuf_init(&t);
	notice_cut(&t, v, strlen(v), SUBJECT_MAX);
	sbuf_addf(b, ",\"%s\":", name);
	json_str(b, t.s, t.len);
	sbuf_release(&t);
}

static int alertmanager(const struct finding_note *n, struct sbuf *b)
{
	struct sbuf t, r;
	char ts[32];

	sbuf_init(&t);
	sbuf_init(&r);
	sbuf_adds(b, "[{\"labels\":{\"alertname\":");
	sbuf_addf(&t, "eximwatch_%s", finding_kind_name(n->f->kind));
	json_str(b, t.s, t.len);
	label(b, "verdict", verdict_name(n->f->verdict));
	label(b, "severity", pd_severity(n->f->verdict));
	label(b, "host", n->host);
	label(b, "ip", n->f->ip);
	label(b, "account", n->f->account);
	label(b, "owner", n->f->owner);
	label(b, "domain", n->f->domain);
	sbuf_adds(b, "},\"annotations\":{\"summary\":");
	sbuf_reset(&t);
	notice_cut(&t, n->f->summary ? n->f->summary : "", n->f->summary ?
	    strlen(n->f->summary) : 0, TEXT_MAX);
	json_str(b, t.s, t.len);
	finding_remedy_text(n->f, &r);
	sbuf_adds(b, ",\"remedy\":");
	json_str(b, r.s, r.len);
	notice_time(n->started_at, ts, sizeof ts);
	sbuf_adds(b, "},\"startsAt\":");
	json_cstr(b, ts);
	/* firing: kept alive past the next repeat; resolved: ended */
	notice_time(n->resolved ? n->resolved_at : n->now + 3 * n->repeat_secs, ts,
	    sizeof ts);
	sbuf_adds(b, ",\"endsAt\":");
	json_cstr(b, ts);
	sbuf_adds(b, "}]");
	sbuf_release(&t);
	sbuf_release(&r);
	return 0;
}

static int webhook(const struct finding_note *n, struct sbuf *b)
{
	char ts[32];

	notice_time(n->now, ts, sizeof ts);
	sbuf_adds(b, "{\"type\":");
	json_cstr(b, n->resolved ? "finding.resolved" : "finding.firing");
	sbuf_adds(b, ",\"timestamp\":");
	json_cstr(b, ts);
	sbuf_adds(b, ",\"data\":{\"host\":");
	json_cstr(b, n->host);
	sbuf_adds(b, ",\"state\":");
	json_cstr(b, n->resolved ? "resolved" : "firing");
	sbuf_addf(b, ",\"repeat\":%s", n->repeat ? "true" : "false");
	notice_time(n->started_at, ts, sizeof ts);
	sbuf_adds(b, ",\"started_at\":");
	json_cstr(b, ts);
	if (n->resolved) {
		notice_time(n->resolved_at, ts, sizeof ts);
		sbuf_adds(b, ",\"resolved_at\":");
		json_cstr(b, ts);
	}
	sbuf_adds(b, ",\"summary\":");
	json_cstr(b, n->f->summary ? n->f->summary : "");
	sbuf_adds(b, ",\"finding\":");
	finding_json(n->f, b);
	sbuf_adds(b, "}}");
	return 0;
}

int diagsink_render(const struct sink_conf *s, const struct finding_note *n,
    struct sbuf *out)
{
	switch (s->type) {
	case SINK_SLACK: return slack(n, out);
	case SINK_PAGERDUTY: return pagerduty(n, out);
	case SINK_ALERTMANAGER: return alertmanager(n, out);
	default: return webhook(n, out);
	}
}
