/* diagconf: the `diagnose:` section of eximwatch.yaml — the thresholds of
 * the judgments (diagnose.h) and, for the daemon, how often it diagnoses
 * and where each verdict's findings go.
 *
 *   diagnose:
 *     enabled: true               # the daemon diagnoses (and records findings)
 *     window: 1h                  # judged window (the CLI's default --since)
 *     interval: 1m                # the daemon diagnoses this often
 *     new_networks: 5             # compromised: networks never seen for it
 *     volume_factor: 10           # compromised/script: times the baseline
 *     volume_min: 100             # ... and at least this many messages
 *     baseline_days: 7            # the baseline: median busy hour of these days
 *     failures_min: 50            # compromised: bounces + deferrals in an hour
 *     known_client_days: 30       # an alias of the top-level key (config.h)
 *     brute_min_failures: 5       # failures from an address that never logged in
 *     stale_min_failures: 3       # failures from a known client
 *     localdomains: /etc/localdomains
 *     remotedomains: /etc/remotedomains
 *     route: {helpdesk: [slack-help], attack: [slack-ops], abuse: [slack-ops,
 *             pager], config: [slack-ops]}
 *     repeat: 6h                  # a finding still present is re-sent this often
 *     resolve_after: 1h           # absent this long: resolved
 *
 * Every key is optional (the defaults above; no route: the daemon only
 * records findings).  Errors go into a diag as file:line:col, all of them;
 * sink names are checked against the alert configuration. */
#ifndef EW_DIAGCONF_H
#define EW_DIAGCONF_H
#include <stddef.h>
#include <stdint.h>
#include "diag.h"

struct alertconf;

enum verdict { VERDICT_HELPDESK, VERDICT_ATTACK, VERDICT_ABUSE,
	VERDICT_CONFIG, VERDICT_N };

struct diagconf {
	int enabled;               /* the daemon diagnoses */
	int64_t window;            /* seconds */
	int64_t interval;          /* seconds */
	int64_t new_networks;
	int64_t volume_factor;
	int64_t volume_min;
	int64_t baseline_days;
	int64_t failures_min;
	int64_t known_client_days;  /* config.h's, set by the caller (30) */
	int64_t brute_min;
	int64_t stale_min;
	char *localdomains;
	char *remotedomains;
	int64_t repeat;            /* seconds */
	int64_t resolve_after;     /* seconds */
	char **route[VERDICT_N];   /* sink names per verdict */
	size_t nroute[VERDICT_N];
	int route_line[VERDICT_N], route_col[VERDICT_N];
};

/* diagconf_defaults: the built-in values */
void diagconf_defaults(struct diagconf *c);
/* diagconf_load: defaults, then the `diagnose:` section of path (NULL:
 * none); ac names the sinks a route may use (NULL: the names are not
 * checked, for the CLI, which does not notify).  0, or -1 with every error
 * in d.  Release with diagconf_release either way. */
int diagconf_load(struct diagconf *c, const char *path,
    const struct alertconf *ac, struct diag *d);
void diagconf_release(struct diagconf *c);

const char *verdict_name(enum verdict v);

#endif
