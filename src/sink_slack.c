/* sink_slack: Slack incoming webhook — `text` fallback plus Block Kit.
 *
 * Log text is attacker-controlled: a HELO of "<!channel>" or
 * "<http://evil|click>" must reach Slack as text, never as a mention or a
 * disguised link.  So every piece of it is cut short, mrkdwn-escaped
 * (&amp; &lt; &gt;) and then JSON-escaped (json.h also writes < > & as
 * \u003c...), and backticks become quotes so text cannot close a code span.
 * We never set link_names, so a bare @channel stays text. */
#include <inttypes.h>
#include <string.h>

#include "json.h"
#include "notice.h"
#include "sink.h"

#define SAMPLE_MAX 160
#define GROUP_MAX 100

/* esc: log text → shortened, mrkdwn-escaped, no backticks */
static void esc(struct sbuf *b, const char *s, size_t max)
{
	struct sbuf t;
	size_t i;

	sbuf_init(&t);
	notice_cut(&t, s, strlen(s), max);
	for (i = 0; i < t.len; i++)
		if (t.s[i] == '`')
			t.s[i] = '\'';
	notice_mrkdwn(b, t.s, t.len);
	sbuf_release(&t);
}

static void list(struct sbuf *m, const struct notice *n, size_t from,
    size_t count, const char *what)
{
	size_t i, shown = count < n->top ? count : n->top;

	for (i = 0; i < shown; i++) {
		const struct notice_item *it = &n->items[from + i];

		sbuf_adds(m, "\n\xe2\x80\xa2 ");
		if (n->tc->by != BY_GLOBAL) {
			sbuf_adds(m, "`");
			esc(m, it->grp, GROUP_MAX);
			sbuf_adds(m, "` ");
		}
		sbuf_addf(m, "%s %" PRId64, what, it->resolved ? it->peak : it->value);
		if (it->sample && *it->sample && !it->resolved) {
			sbuf_adds(m, "\n      _e.g._ ");
			esc(m, it->sample, SAMPLE_MAX);
		}
	}
	if (count > shown)
		sbuf_addf(m, "\n\xe2\x80\xa2 \xe2\x80\xa6 and %zu more", count - shown);
}

int sink_slack_render(const struct sink_conf *s, const struct notice *n,
    struct sbuf *out)
{
	struct sbuf t, m;
	const char *what = n->tc->distinct != BY_GLOBAL ?
	    (n->tc->distinct == BY_IP ? "distinct IPs:" : "distinct accounts:") :
	    "events:";

	(void)s;
	sbuf_init(&t);
	sbuf_init(&m);
	/* fallback text (notifications, old clients) */
	notice_title(n, &t);
	notice_mrkdwn(&m, t.s, t.len);
	sbuf_adds(out, "{\"text\":");
	json_str(out, m.s, m.len);
	sbuf_adds(out, ",\"blocks\":[{\"type\":\"header\",\"text\":{\"type\":"
	    "\"plain_text\",\"text\":");
	sbuf_reset(&m);
	notice_cut(&m, t.s, t.len, 140);
	json_str(out, m.s, m.len);
	sbuf_adds(out, "}},{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\","
	    "\"text\":");
	sbuf_reset(&m);
	sbuf_reset(&t);
	notice_rule(n, &t);
	sbuf_adds(&m, "*Host:* ");
	esc(&m, n->host, 100);
	sbuf_adds(&m, "   *Severity:* ");
	esc(&m, n->tc->severity, 20);
	sbuf_adds(&m, "\n*Threshold:* ");
	esc(&m, t.s, 300);
	if (n->test)
		sbuf_adds(&m, "\nThis is a test: the sink works.");
	if (n->nfiring) {
		sbuf_addf(&m, "\n*Firing (%zu)*", n->nfiring);
		list(&m, n, 0, n->nfiring, what);
	}
	if (n->nresolved) {
		sbuf_addf(&m, "\n*Resolved (%zu)*", n->nresolved);
		list(&m, n, n->nfiring, n->nresolved, "peak");
	}
	json_str(out, m.s, m.len);
	sbuf_adds(out, "}}");
	if (n->remedy && *n->remedy && n->nfiring) {
		sbuf_adds(out, ",{\"type\":\"context\",\"elements\":[{\"type\":"
		    "\"mrkdwn\",\"text\":");
		sbuf_reset(&m);
		sbuf_adds(&m, "*Remedy:* ");
		esc(&m, n->remedy, 2000);
		json_str(out, m.s, m.len);
		sbuf_adds(out, "}]}");
	}
	sbuf_adds(out, "]}");
	sbuf_release(&t);
	sbuf_release(&m);
	return 0;
}
