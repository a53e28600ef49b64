/* notice: the text of a notification, shared by the sinks (see notice.h) */
#include <inttypes.h>
#include <sysexits.h>
#include <time.h>
#include <openssl/evp.h>

#include "duration.h"
#include "log.h"
#include "notice.h"
#include "utf8.h"

#define ELLIPSIS "\xe2\x80\xa6"
#define ELLIPSIS_LEN 3

int64_t notice_value(const struct notice_item *it)
{
	return it->resolved ? it->peak : it->value;
}

size_t notice_boundary(const char *s, size_t len, size_t max)
{
	size_t k = max;

	if (len <= max)
		return len;
	/* s[k] starts the first character left out: back off while it is a
	 * continuation byte */
	while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
		k--;
	return k;
}

void notice_cut(struct sbuf *b, const char *s, size_t len, size_t max)
{
	if (len <= max) {
		sbuf_add(b, s, len);
		return;
	}
	sbuf_add(b, s, notice_boundary(s, len, max > ELLIPSIS_LEN ?
	    max - ELLIPSIS_LEN : 0));
	sbuf_adds(b, ELLIPSIS);
}

void notice_key(struct sbuf *b, const char *s, size_t len, size_t max)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (len <= max) {
		sbuf_add(b, s, len);
		return;
	}
	notice_cut(b, s, len, max - 16);
	if (EVP_Digest(s, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		fatalx(EX_SOFTWARE, "SHA-256 is not available");
	for (i = 0; i < 8; i++)
		sbuf_addf(b, "%02x", md[i]);
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

/* one character of log text in mrkdwn: its bytes in s and written */
static size_t mrkdwn_char(const char *s, size_t len, size_t *out)
{
	size_t k;

	switch (s[0]) {
	case '&': *out = 5; return 1;
	case '<': case '>': *out = 4; return 1;
	default: break;
	}
	/* an invalid byte stays one byte (json.h writes it as U+FFFD) */
	if ((k = utf8_seqlen((const unsigned char *)s, len)) == 0)
		k = 1;
	*out = k;
	return k;
}

static void mrkdwn_put(struct sbuf *b, const char *s, size_t k)
{
	if (k == 1 && s[0] == '`')
		sbuf_addc(b, '\'');
	else
		notice_mrkdwn(b, s, k);
}

int notice_mrkdwn_cut(struct sbuf *b, const char *s, size_t len,
    size_t raw_max, size_t max)
{
	size_t n = len, i, k, w, total = 0, room;
	int cut = 0;

	if (len > raw_max) {
		n = notice_boundary(s, len, raw_max > ELLIPSIS_LEN ?
		    raw_max - ELLIPSIS_LEN : 0);
		cut = 1;
	}
	for (i = 0; i < n; i += k) {
		k = mrkdwn_char(s + i, n - i, &w);
		total += w;
	}
	if (total + (cut ? ELLIPSIS_LEN : 0) > max) {
		/* whole characters and entities while they leave room for "…" */
		room = max > ELLIPSIS_LEN ? max - ELLIPSIS_LEN : 0;
		for (i = 0, total = 0; i < n; i += k) {
			k = mrkdwn_char(s + i, n - i, &w);
			if (total + w > room)
				break;
			total += w;
		}
		n = i;
		cut = 1;
	}
	for (i = 0; i < n; i += k) {
		k = mrkdwn_char(s + i, n - i, &w);
		mrkdwn_put(b, s + i, k);
	}
	if (cut)
		sbuf_adds(b, ELLIPSIS);
	return cut;
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
		    tc->distinct == BY_IP ? "IPs" : tc->distinct == BY_PREFIX ?
		    "networks" : "accounts");
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
