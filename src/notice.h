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
	const char *not_acted;    /* firing, and the threshold has an acting sink
	                           * that was not given this group: why (guard.h;
	                           * may hold an account: log text), else NULL */
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
/* notice_value: the count an item shows: its value, its peak once resolved */
int64_t notice_value(const struct notice_item *it);

/* Cutting.  Receivers limit their fields in characters (Slack, PagerDuty)
 * or bytes; we count UTF-8 bytes, never fewer than either.  A cut never
 * splits a UTF-8 sequence nor an entity, and ends in "…" (counted). */

/* notice_boundary: the longest prefix of s[0..len) of at most max bytes
 * that does not end inside a UTF-8 sequence */
size_t notice_boundary(const char *s, size_t len, size_t max);
/* notice_cut: at most max bytes of s, cut at a UTF-8 boundary, "…" if cut */
void notice_cut(struct sbuf *b, const char *s, size_t len, size_t max);
/* notice_key: s as an identifier (a label, a JSON key) of at most max
 * bytes (max > 24): s itself when it fits, else its first bytes, "…" and
 * 16 hex digits of its SHA-256 — distinct texts stay distinct, the same
 * text always gets the same key */
void notice_key(struct sbuf *b, const char *s, size_t len, size_t max);
/* notice_mrkdwn: &, <, > as Slack entities (log text into mrkdwn) */
void notice_mrkdwn(struct sbuf *b, const char *s, size_t len);
/* notice_mrkdwn_cut: log text into mrkdwn, cut twice: its first raw_max
 * bytes (notice_cut), then escaped (& < > as entities, ` as ' so it cannot
 * close a code span) and cut again to at most max bytes written.  1 if
 * anything was cut. */
int notice_mrkdwn_cut(struct sbuf *b, const char *s, size_t len,
    size_t raw_max, size_t max);
/* notice_time: t as "2026-11-22T08:00:00Z" into buf (>= 21 bytes) */
void notice_time(int64_t t, char *buf, size_t len);

#endif
