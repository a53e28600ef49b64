/* cmd_check_config: `eximwatch check-config` — validate the configuration
 * and the rules it names, like `smtpd -n`: every error as file:line:col,
 * exit 0 when good, 78 (EX_CONFIG) when not. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "alertconf.h"
#include "cmds.h"
#include "config.h"
#include "diag.h"
#include "diagconf.h"
#include "metrics.h"
#include "paths.h"
#include "rules.h"

int cmd_check_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = paths_default_config();
	struct config cfg;
	struct rules_source src;
	struct rules *r = NULL;
	struct alertconf ac;
	struct metrics_conf mc;
	struct diagconf dc;
	struct diag d;
	int c, explicit = 0, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; explicit = 1; break;
		case 'h':
			printf("usage: eximwatch check-config [--config FILE]\n");
			return 0;
		default:
			fprintf(stderr, "usage: eximwatch check-config [--config FILE]\n");
			return EX_USAGE;
		}
	}
	diag_init(&d);
	memset(&ac, 0, sizeof ac);
	memset(&mc, 0, sizeof mc);
	diagconf_defaults(&dc);
	if (config_load(&cfg, path, !explicit, &d) < 0) {
		rc = EX_CONFIG;
	} else {
		if (alertconf_load(&ac, cfg.path, &d) < 0)
			rc = EX_CONFIG;
		if (metrics_conf_load(&mc, cfg.path, &d) < 0)
			rc = EX_CONFIG;
		diagconf_release(&dc);
		if (diagconf_load(&dc, cfg.path, &ac, &d) < 0)
			rc = EX_CONFIG;
		memset(&src, 0, sizeof src);
		src.dirs = (const char *const *)cfg.rule_dirs;
		src.disable = (const char *const *)cfg.disable;
		if ((r = rules_load(&src, &d)) == NULL)
			rc = EX_CONFIG;
		else if (alertconf_check_classes(&ac, r, &d) < 0)
			rc = EX_CONFIG;
	}
	if (rc) {
		diag_print(&d, stderr);
	} else {
		if (cfg.path == NULL)
			printf("no configuration file at %s: built-in defaults\n", path);
		if (cfg.path && cfg.world_readable && ac.inline_secrets)
			printf("warning: %s is readable by everyone; keep secrets "
			    "(webhook URLs, keys) out of it or chmod 640 it\n", cfg.path);
		printf("configuration OK: %zu rules, %zu thresholds, %zu sinks, log %s, "
		    "database %s\n", rules_nclasses(r), ac.nth, ac.nsinks, cfg.log,
		    cfg.db);
	}
	alertconf_release(&ac);
	metrics_conf_release(&mc);
	diagconf_release(&dc);
	rules_free(r);
	config_release(&cfg);
	diag_release(&d);
	return rc;
}
