/* config: eximwatch.yaml — the daemon's settings.
 *
 *   log: /var/log/exim_mainlog       # default: exim_mainlog if present, else exim4/mainlog
 *   db: /var/lib/eximwatch/eximwatch.db
 *   rules:
 *     dirs: [/etc/eximwatch/rules.d] # added to the shipped rules
 *     disable: [helo_rejected]       # shipped rule ids to drop
 *   userdomains: /etc/userdomains    # cPanel owner mapping
 *   retention: 90d                   # count buckets older than this are pruned
 *   flush_interval: 500ms            # commit at least this often when there is new data
 *   max_line: 65536                  # longer lines are counted as oversized and skipped
 *   syslog: false                    # log to syslog (LOG_MAIL) instead of stderr
 *   prefix: {v4: 24, v6: 64}         # the network of an address (by: prefix)
 *   known_client_days: 30            # a successful login makes a known client
 *                                    # for these days (0: none), for the
 *                                    # acting sinks' guard and the diagnosis;
 *                                    # also accepted as diagnose.known_client_days
 *
 * Errors are collected in a diag as "file:line:col: message", every one of
 * them.  Command-line flags override the file (the caller applies them). */
#ifndef EW_CONFIG_H
#define EW_CONFIG_H
#include <stddef.h>
#include <stdint.h>
#include "diag.h"

#define CONFIG_KNOWN_CLIENT_DAYS 30
#define CONFIG_PREFIX_V4 24
#define CONFIG_PREFIX_V6 64

struct config {
	char *path;               /* the file read, NULL for built-in defaults */
	char *log;
	char *db;
	char **rule_dirs;         /* NULL-terminated */
	char **disable;           /* NULL-terminated */
	int *disable_line, *disable_col;   /* where each is written (0: flag) */
	char *userdomains;
	int64_t retention;        /* seconds, 0 = keep forever */
	int64_t flush_ms;
	size_t max_line;
	int syslog;
	int prefix_v4, prefix_v6; /* network groups: /24 and /64 by default */
	int64_t known_client_days;   /* the callers give it to alertconf (the
	                              * guard) and diagconf (the diagnosis) */
	int world_readable;       /* the file is readable by others (secrets) */
	int rules_bad;            /* the 'rules' section has errors: the rule
	                           * set it means is unknown */
};

/* config_defaults: fill c with the built-in defaults */
void config_defaults(struct config *c);
/* config_load: defaults, then the file; -1 with every error in d.
 * missing_ok: a missing file is not an error (c->path stays NULL). */
int config_load(struct config *c, const char *path, int missing_ok,
    struct diag *d);
void config_release(struct config *c);
/* config_set: replace a string setting (flags override the file) */
void config_set(char **field, const char *value);

#endif
