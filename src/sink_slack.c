/* sink_slack: Slack incoming webhook — `text` fallback plus Block Kit.
 *
 * Log text is attacker-controlled: a HELO of "<!channel>" or
 * "<http://evil|click>" must reach Slack as text, never as a mention or a
 * disguised link.  So every piece of it is cut short, mrkdwn-escaped
 * (&amp; &lt; &gt;) and then JSON-escaped (json.h also writes < > & as
 * \u003c...), and backticks become quotes so text cannot close a code span.
 * We never set link_names, so a bare @channel stays text.
 *
 * Slack refuses a whole message (HTTP 400 invalid_blocks, final) when a
 * block breaks a limit: section text 3000 characters, header text 150, 50
 * blocks per message.  Escaping makes text longer ("&" is five characters
 * as "&amp;"), so the limits are applied to the escaped text, in bytes
 * (never fewer than characters): each group's line is bounded (group name
 * and sample cut, before and after escaping); the lines fill sections of at
 * most 3000 bytes, a new section when one is full; when the blocks run out
 * the rest of the groups are counted ("… and N more"). */
#include <inttypes.h>
#include <string.h>

#include "json.h"
#include "notice.h"
#include "sink.h"

#define SECTION_MAX 3000      /* section (and context) text */
#define HEADER_MAX 150        /* header plain_text */
#define BLOCKS_MAX 50         /* blocks in a message */
/* a group's line: its name and its sample, in log bytes then escaped */
#define GROUP_RAW 100
#define GROUP_MAX 300
#define SAMPLE_RAW 160
#define SAMPLE_MAX 400
#define REMEDY_RAW 2000
/* kept free in every section for what closes the lists: a heading and
 * "… and N more" for each of firing and resolved (4 x 40 bytes) */
#define CLOSE_ROOM 160

struct slack {
	struct sbuf *out;         /* the blocks written so far */
	struct sbuf sec;          /* the section being filled */
	size_t nsec, maxsec;      /* sections written; at most */
	int full;                 /* no room for another line */
};

/* esc: log text → shortened, mrkdwn-escaped, no backticks */
static void esc(struct sbuf *b, const char *s, size_t raw, size_t max)
{
	notice_mrkdwn_cut(b, s, strlen(s), raw, max);
}

static void section_end(struct slack *sl)
{
	sbuf_adds(sl->out, ",{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\","
	    "\"text\":");
	json_str(sl->out, sl->sec.s, sl->sec.len);
	sbuf_adds(sl->out, "}}");
	sbuf_reset(&sl->sec);
	sl->nsec++;
}

/* place: line (starting with "\n") into the section, or into a new one
 * when it would not leave CLOSE_ROOM; 0 when the message is full */
static int place(struct slack *sl, const struct sbuf *line)
{
	if (sl->full)
		return 0;
	if (sl->sec.len + line->len + CLOSE_ROOM <= SECTION_MAX) {
		sbuf_add(&sl->sec, line->s, line->len);
		return 1;
	}
	if (sl->nsec + 1 >= sl->maxsec) {
		sl->full = 1;
		return 0;
	}
	section_end(sl);
	sbuf_add(&sl->sec, line->s + 1, line->len - 1);
	return 1;
}

static void list(struct slack *sl, const struct notice *n, size_t from,
    size_t count, const char *heading, const char *what)
{
	size_t i, shown = count < n->top ? count : n->top;
	struct sbuf line;

	sbuf_init(&line);
	for (i = 0; i < shown; i++) {
		const struct notice_item *it = &n->items[from + i];

		sbuf_reset(&line);
		if (i == 0)
			sbuf_addf(&line, "\n*%s (%zu)*", heading, count);
		sbuf_adds(&line, "\n\xe2\x80\xa2 ");
		if (n->tc->by != BY_GLOBAL) {
			sbuf_adds(&line, "`");
			esc(&line, it->grp, GROUP_RAW, GROUP_MAX);
			sbuf_adds(&line, "` ");
		}
		sbuf_addf(&line, "%s %" PRId64, what, notice_value(it));
		if (it->not_acted && !it->resolved) {
			sbuf_adds(&line, "\n      _not blocked:_ ");
			esc(&line, it->not_acted, SAMPLE_RAW, SAMPLE_MAX);
		}
		if (it->sample && *it->sample && !it->resolved) {
			sbuf_adds(&line, "\n      _e.g._ ");
			esc(&line, it->sample, SAMPLE_RAW, SAMPLE_MAX);
		}
		if (!place(sl, &line))
			break;
	}
	/* the closing lines go in the room every section keeps */
	if (i == 0)
		sbuf_addf(&sl->sec, "\n*%s (%zu)*", heading, count);
	if (count > i)
		sbuf_addf(&sl->sec, "\n\xe2\x80\xa2 \xe2\x80\xa6 and %zu more",
		    count - i);
	sbuf_release(&line);
}

int sink_slack_render(const struct sink_conf *s, const struct notice *n,
    struct sbuf *out)
{
	struct sbuf t, m;
	struct slack sl;
	int remedy = n->remedy && *n->remedy && n->nfiring;
	const char *what = n->tc->distinct != BY_GLOBAL ?
	    (n->tc->distinct == BY_IP ? "distinct IPs:" :
	    n->tc->distinct == BY_PREFIX ? "distinct networks:" :
	    "distinct accounts:") :
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
	notice_cut(&m, t.s, t.len, HEADER_MAX);
	json_str(out, m.s, m.len);
	sbuf_adds(out, "}}");

	memset(&sl, 0, sizeof sl);
	sl.out = out;
	sbuf_init(&sl.sec);
	sl.maxsec = BLOCKS_MAX - 1 - (remedy ? 1 : 0);
	sbuf_reset(&t);
	notice_rule(n, &t);
	sbuf_adds(&sl.sec, "*Host:* ");
	esc(&sl.sec, n->host, 100, 300);
	sbuf_adds(&sl.sec, "   *Severity:* ");
	esc(&sl.sec, n->tc->severity, 20, 60);
	sbuf_adds(&sl.sec, "\n*Threshold:* ");
	esc(&sl.sec, t.s, 300, 900);
	if (n->test)
		sbuf_adds(&sl.sec, "\nThis is a test: the sink works.");
	if (n->nfiring)
		list(&sl, n, 0, n->nfiring, "Firing", what);
	if (n->nresolved)
		list(&sl, n, n->nfiring, n->nresolved, "Resolved", "peak");
	section_end(&sl);
	sbuf_release(&sl.sec);

	if (remedy) {
		sbuf_adds(out, ",{\"type\":\"context\",\"elements\":[{\"type\":"
		    "\"mrkdwn\",\"text\":");
		sbuf_reset(&m);
		sbuf_adds(&m, "*Remedy:* ");
		esc(&m, n->remedy, REMEDY_RAW, SECTION_MAX - m.len);
		json_str(out, m.s, m.len);
		sbuf_adds(out, "}]}");
	}
	sbuf_adds(out, "]}");
	sbuf_release(&t);
	sbuf_release(&m);
	return 0;
}
