/* cmd_check_config: `eximwatch check-config` — validate the configuration
 * and the rules it names, like `smtpd -n`: every error as file:line:col,
 * all of them in one pass (the settings, the alert sections, the metrics,
 * the rules and the classes the thresholds name), in the order of the
 * file; exit 0 when good, 78 (EX_CONFIG) when not. */
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

static const char usage_line[] = "usage: eximwatch check-config [--config FILE]";

static void help(void)
{
	printf("%s\n\n"
	    "Check the configuration and the rules it names, as the daemon would\n"
	    "load them: every error at once, in the order of the file, as\n"
	    "file:line:col with the line and a caret (secrets masked), and the\n"
	    "nearest name for a misspelt key, class or sink.\n\n"
	    "  --config FILE       the configuration (default %s;\n"
	    "                      without it the built-in defaults are checked)\n"
	    "  -h, --help          this help\n\n"
	    "Exit status: 0 the configuration is good, 78 it is not, 64 usage.\n",
	    usage_line, paths_default_config());
}

/* rules_for: the rule set the configuration means, its errors in d; when
 * only some rules.disable ids are wrong, the set without any disable is
 * returned all the same (nothing of it in d), so that the thresholds'
 * classes are still checked in the same pass */
static struct rules *rules_for(const struct config *cfg, struct diag *d,
    int *failed)
{
	struct rules_source src;
	struct rules *r;
	struct diag scratch;

	memset(&src, 0, sizeof src);
	src.dirs = (const char *const *)cfg->rule_dirs;
	src.disable = (const char *const *)cfg->disable;
	src.disable_file = cfg->path;
	src.disable_line = cfg->disable_line;
	src.disable_col = cfg->disable_col;
	if ((r = rules_load(&src, d)) != NULL)
		return r;
	*failed = 1;
	if (cfg->disable == NULL || cfg->disable[0] == NULL)
		return NULL;
	diag_init(&scratch);
	src.disable = NULL;
	r = rules_load(&src, &scratch);
	diag_release(&scratch);
	return r;
}

int cmd_check_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = paths_default_config();
	struct config cfg;
	struct rules *r = NULL;
	struct alertconf ac;
	struct metrics_conf mc;
	struct diagconf dc;
	struct diag d;
	int c, explicit = 0, rc = 0, failed = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; explicit = 1; break;
		case 'h':
			help();
			return 0;
		case ':':
			fprintf(stderr, "eximwatch check-config: option '%s' needs a "
			    "value\n%s\n", argv[optind - 1], usage_line);
			return EX_USAGE;
		default:
			fprintf(stderr, "eximwatch check-config: unknown option '%s'\n"
			    "%s\n", argv[optind - 1], usage_line);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "eximwatch check-config: unexpected argument '%s'\n"
		    "%s\n", argv[optind], usage_line);
		return EX_USAGE;
	}
	diag_init(&d);
	memset(&ac, 0, sizeof ac);
	memset(&mc, 0, sizeof mc);
	diagconf_defaults(&dc);
	if (config_load(&cfg, path, !explicit, &d) < 0)
		failed = 1;
	/* a file that parses: every other section is checked as well (one
	 * that does not parse has said all there is to say) */
	if (!failed || cfg.path != NULL) {
		if (alertconf_load(&ac, cfg.path, &d) < 0)
			failed = 1;
		if (metrics_conf_load(&mc, cfg.path, &d) < 0)
			failed = 1;
		diagconf_release(&dc);
		if (diagconf_load(&dc, cfg.path, &ac, &d) < 0)
			failed = 1;
		r = rules_for(&cfg, &d, &failed);
		/* with a broken 'rules' section the classes meant are unknown */
		if (r && !cfg.rules_bad && alertconf_check_classes(&ac, r, &d) < 0)
			failed = 1;
	}
	if (failed) {
		diag_sort(&d);
		diag_print(&d, stderr);
		fprintf(stderr, "%zu error%s\n", d.n, d.n == 1 ? "" : "s");
		rc = EX_CONFIG;
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
