/* notice: one notification about one threshold — the groups that fire or
 * resolved in one batch — and the text every sink builds from it: the
 * title, the rule, and log text cut to a length and escaped for mrkdwn.
 *
 * The sinks (sink_*.c) render a notice into their own bodies; these helpers
 * are what they share.  Log text (groups that are accounts, samples) is
 * attacker-controlled: it is only ever written through notice_cut,
 * notice_mrkdwn or json.h. */
#ifndef EW_NOTICE_H
#define EW_NOTICE_H
#include <stddef.h>
#include <stdint.h>
#include "alertconf.h"
#include "sbuf.h"

/* one group in a notice */
struct notice_item {
	const char *grp;          /* "" for a global threshold */
	int64_t value, peak;
	int64_t alert_id;
	int64_t started_at, resolved_at;
	const char *sample;       /* a log line body of this group (hostile), or "" */
	int resolved;
};

/* all strings and items are borrowed */
struct notice {
	const struct threshold_conf *tc;
	const char *host;
	const char *classes;      /* "auth_failed, relay_denied" */
	const char *remedy;       /* may be NULL */
	int64_t now;
	struct notice_item *items;  /* firing first, by value, then resolved */
	size_t nfiring, nresolved;
	size_t top;               /* groups listed in full */
	int still_firing;         /* groups of the threshold firing after this */
	int test;                 /* `eximwatch alerts test` */
};

/* notice_title: "FIRING brute_force_ip on mail1: 3 ip" (plain, unescaped) */
void notice_title(const struct notice *n, struct sbuf *out);
/* notice_rule: ">= 20 events of auth_failed per ip in 10m" (plain) */
void notice_rule(const struct notice *n, struct sbuf *out);
/* notice_cut: at most max bytes of s, cut at a UTF-8 boundary, "…" if cut */
void notice_cut(struct sbuf *b, const char *s, size_t len, size_t max);
/* notice_mrkdwn: &, <, > as Slack entities (log text into mrkdwn) */
void notice_mrkdwn(struct sbuf *b, const char *s, size_t len);
/* notice_time: t as "2026-11-22T08:00:00Z" into buf (>= 21 bytes) */
void notice_time(int64_t t, char *buf, size_t len);

#endif
