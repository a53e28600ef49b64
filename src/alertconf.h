/* alertconf: the alert sections of eximwatch.yaml — `thresholds`, `sinks`
 * and `alerts` (config.c accepts these keys and leaves them to us).
 *
 *   alerts:
 *     host: mail1.example.com     # default: gethostname()
 *     top: 10                     # offenders listed in one message
 *     max_groups: 100000          # groups tracked per threshold
 *   sinks:
 *     ops-slack: {type: slack, url_file: /etc/eximwatch/slack.url}
 *     pager: {type: pagerduty, routing_key_env: PD_KEY}
 *     am: {type: alertmanager, url: http://127.0.0.1:9093}
 *     hook: {type: webhook, url: https://..., secret: whsec_...}
 *   thresholds:
 *     - id: brute_force_ip
 *       classes: [auth_failed]
 *       by: ip
 *       window: 10m
 *       count: 20                 # or distinct: {field: account, count: 10}
 *                                 # by and distinct.field: ip, account,
 *                                 # prefix (the ip's network), owner
 *       severity: warning
 *       sinks: [ops-slack]
 *
 *     lapi: {type: crowdsec, url: http://127.0.0.1:8080, login: mail1,
 *            password_file: /etc/eximwatch/lapi.pw, duration: 4h}
 *     bans: {type: banlog, path: /var/lib/eximwatch/bans.log}
 *   never_act: [203.0.113.0/24, 2001:db8::1]   # never given to acting sinks
 *   known_client_days: 30       # config.h's (the caller sets it)
 *   trusted_relay_files: [/etc/relayhosts, /etc/alwaysrelay, /etc/trustedmailhosts]
 *
 * Secrets (url, routing_key, secret, password) may be given inline, as K_file (a file
 * holding it) or K_env (an environment variable's name); every value read
 * so goes into the sink's `redact` set, whatever the key, so that messages
 * about the sink mask it (redact.h).  Errors go into a
 * diag as file:line:col, every one of them.  Class names are checked against
 * a rule set separately (alertconf_check_classes), as rules load later. */
#ifndef EW_ALERTCONF_H
#define EW_ALERTCONF_H
#include <stddef.h>
#include <stdint.h>
#include "diag.h"
#include "netaddr.h"

struct redact;
struct rules;

/* BY_PREFIX: the client address's network (alertconf prefix_v4/_v6) */
enum alert_by { BY_GLOBAL, BY_IP, BY_ACCOUNT, BY_OWNER, BY_PREFIX };
/* SINK_CROWDSEC and SINK_BANLOG act on addresses (sink_acts): what they
 * get passes the never-act guard (guard.h) first */
enum sink_type { SINK_SLACK, SINK_PAGERDUTY, SINK_ALERTMANAGER, SINK_WEBHOOK,
	SINK_CROWDSEC, SINK_BANLOG };

struct threshold_conf {
	char *id;
	char **classes;           /* nclasses names */
	int *class_line, *class_col;
	size_t nclasses;
	enum alert_by by;
	enum alert_by distinct;   /* BY_GLOBAL = count events; BY_IP, BY_ACCOUNT,
	                           * BY_PREFIX */
	int64_t count;            /* events (or distinct values) to fire */
	int64_t window;           /* seconds */
	int64_t repeat;           /* seconds between notifications while firing */
	int64_t resolve_after;    /* seconds under the threshold to resolve */
	int64_t group_wait_ms;    /* batching interval of one threshold */
	int64_t first_wait_ms;    /* wait before the first message of a quiet one */
	char *severity;           /* critical error warning notice info */
	char *remedy;             /* NULL = the first class's remedy */
	char **sinks;             /* nsinks names */
	int *sink_line, *sink_col;
	size_t nsinks;
	int line, col;
};

struct sink_conf {
	char *name;
	enum sink_type type;
	char *url;                /* full URL or base URL (PagerDuty, Alertmanager,
	                           * CrowdSec's Local API) */
	char *secret;             /* routing key (PagerDuty), signing key (webhook),
	                           * password (CrowdSec) */
	unsigned char *key;       /* webhook: the decoded signing key */
	size_t keylen;
	char *proxy;              /* NULL = none ("" disables the environment's) */
	int64_t timeout_ms, connect_timeout_ms;
	int64_t retry_initial_ms, retry_max_ms, give_up_ms;
	int64_t min_interval_ms;  /* between two requests (Slack: 1s) */
	char *login;              /* crowdsec: the watcher's machine id */
	char *decision_type;      /* crowdsec: "ban" */
	int64_t duration;         /* crowdsec, banlog: seconds a decision lasts */
	char *path;               /* banlog: the file */
	int64_t max_size;         /* banlog: rotated beyond this many bytes */
	int dry_run;              /* acting sinks: log what would be sent, send
	                           * nothing */
	struct redact *redact;    /* its secrets, masked in what is printed */
	int line, col;
};

struct alertconf {
	char *path;               /* NULL = no file */
	char *host;
	size_t top;
	size_t max_groups;
	int prefix_v4, prefix_v6; /* BY_PREFIX networks: config.h's `prefix`,
	                           * set by the caller (default /24 and /64) */
	struct threshold_conf *th;
	size_t nth;
	struct sink_conf *sinks;
	size_t nsinks;
	int inline_secrets;       /* a secret is written in the file itself */
	/* the never-act guard (guard.h) of the acting sinks */
	struct netaddr *never_act;   /* never_act: addresses and networks */
	size_t nnever_act;
	int64_t known_client_days;   /* 0 = known clients are not looked up;
	                              * config.h's, set by the caller (30) */
	char **relay_files;          /* cPanel's trusted relay lists */
	size_t nrelay_files;
};

/* alertconf_load: read the alert sections of path (NULL: none, empty conf);
 * 0, or -1 with every error in d.  Release with alertconf_release either way. */
int alertconf_load(struct alertconf *ac, const char *path, struct diag *d);
/* alertconf_check_classes: every class a threshold names exists in r */
int alertconf_check_classes(const struct alertconf *ac, const struct rules *r,
    struct diag *d);
void alertconf_release(struct alertconf *ac);
const struct sink_conf *alertconf_sink(const struct alertconf *ac,
    const char *name);
const char *alert_by_name(enum alert_by b);
const char *sink_type_name(enum sink_type t);
/* sink_acts: the sink acts on addresses (crowdsec, banlog) */
int sink_acts(const struct sink_conf *s);
/* alertconf_ms: "500ms", "2s", "1m", bare number = ms; 0 or -1 */
int alertconf_ms(const char *s, int64_t *ms);

#endif
