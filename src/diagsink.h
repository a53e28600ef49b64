/* diagsink: what a finding's notification looks like for each sink type —
 * the body the daemon stores in the outbox when a finding starts, repeats
 * or resolves (diagnotify.h), sent by the same sender as the threshold
 * alerts (sink_request adds URL, routing key and signature).
 *
 * One notification per finding: it says the verdict, the subject, the
 * evidence and the remedy.
 *   Slack          text + Block Kit: header, the evidence line, the remedy
 *   PagerDuty      Events v2; dedup_key eximwatch/HOST/diagnose/KIND/SUBJECT,
 *                  severity by verdict (abuse critical, attack error,
 *                  config warning, helpdesk info)
 *   Alertmanager   one alert: alertname eximwatch_KIND, labels verdict,
 *                  host and the subject's fields
 *   webhook        {"type": "finding.firing"|"finding.resolved",
 *                  "timestamp", "data": {host, state, started_at, [resolved_at,]
 *                  finding (as diagnose --format json prints it)}}
 *
 * Log text (accounts, domains, subjects, directories) is hostile: cut,
 * JSON-escaped, and for Slack mrkdwn-escaped with backticks replaced, as
 * the threshold alerts do (sink.h). */
#ifndef EW_DIAGSINK_H
#define EW_DIAGSINK_H
#include <stdint.h>
#include "alertconf.h"
#include "diagnose.h"
#include "sbuf.h"

struct finding_note {
	const char *host;
	const struct finding *f;  /* the finding as last seen */
	int resolved;             /* else firing (first or repeated) */
	int repeat;               /* a repeat of a firing one */
	int64_t started_at, resolved_at, now;
	int64_t repeat_secs;      /* diagnose.repeat, for Alertmanager's endsAt */
};

/* diagsink_render: the body for sink s; 0 */
int diagsink_render(const struct sink_conf *s, const struct finding_note *n,
    struct sbuf *out);
/* diagsink_key: the finding's subject key "ip|account|owner|domain" (plain) */
void diagsink_key(const struct finding *f, struct sbuf *out);

#endif
