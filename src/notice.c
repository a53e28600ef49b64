/* notice: the text of a notification, shared by the sinks (see notice.h) */
#include <inttypes.h>
#include <time.h>

#include "duration.h"
#include "notice.h"

static size_t utf8_back(const char *s, size_t n)
{
	/* do not end inside a multi-byte sequence */
	size_t k = n;

	while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
		k--;
	return k;
}

void notice_cut(struct sbuf *b, const char *s, size_t len, size_t max)
{
	size_t k;

	if (len <= max) {
		sbuf_add(b, s, len);
		return;
	}
	k = utf8_back(s, max > 3 ? max - 3 : 0);
	sbuf_add(b, s, k);
	sbuf_adds(b, "\xe2\x80\xa6");
}

void notice_mrkdwn(struct sbuf *b, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '&': sbuf_adds(b, "&amp;"); break;
		case '<': sbuf_adds(b, "&lt;"); break;
		case '>': sbuf_adds(b, "&gt;"); break;
		default: sbuf_addc(b, s[i]); break;
		}
	}
}

void notice_time(int64_t t, char *buf, size_t len)
{
	time_iso((time_t)t, buf, len);
}

void notice_rule(const struct notice *n, struct sbuf *out)
{
	const struct threshold_conf *tc = n->tc;
	char w[32];

	duration_format(tc->window, w, sizeof w);
	if (tc->distinct != BY_GLOBAL)
		sbuf_addf(out, ">= %" PRId64 " distinct %s", tc->count,
		    tc->distinct == BY_IP ? "IPs" : "accounts");
	else
		sbuf_addf(out, ">= %" PRId64 " events", tc->count);
	sbuf_addf(out, " of %s", n->classes);
	if (tc->by != BY_GLOBAL)
		sbuf_addf(out, " per %s", alert_by_name(tc->by));
	sbuf_addf(out, " in %s", w);
}

void notice_title(const struct notice *n, struct sbuf *out)
{
	const char *by = alert_by_name(n->tc->by);

	if (n->test) {
		sbuf_addf(out, "TEST %s on %s: a test notification from eximwatch",
		    n->tc->id, n->host);
		return;
	}
	sbuf_addf(out, "%s %s on %s", n->nfiring ? "FIRING" : "RESOLVED",
	    n->tc->id, n->host);
	if (n->tc->by == BY_GLOBAL)
		return;
	if (n->nfiring)
		sbuf_addf(out, ": %zu %s", n->nfiring, by);
	if (n->nresolved)
		sbuf_addf(out, "%s%zu %s resolved", n->nfiring ? ", " : ": ",
		    n->nresolved, by);
}
