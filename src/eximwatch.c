/* eximwatch: command table and usage */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cmds.h"
#include "log.h"

struct command {
	const char *name;
	int (*fn)(int, char **);
	const char *synopsis;
};

static const struct command commands[] = {
	{ "scan", cmd_scan,
	  "scan [--db PATH] [--rules DIR] [--disable ID] [--retention DUR] [-q] FILE..." },
	{ "report", cmd_report,
	  "report [--db PATH] [--since DUR|TIME] [--until TIME] [--by KEY,...]\n"
	  "                  [--class ID] [--ip IP] [--account A] [--top N]\n"
	  "                  [--format table|json|csv|html] [--brief | --remedies] [--all]\n"
	  "                  [--lines] [--userdomains PATH] [--rules DIR] [--no-color]" },
	{ "test", cmd_test,
	  "test [--rules DIR] [--no-builtin] [--show CLASS] [--format text|json] FILE..." },
	{ "run", cmd_run,
	  "run [--config FILE] [--log PATH] [--db PATH] [--syslog] [-v]" },
	{ "status", cmd_status, "status [--db PATH] [--format table|json]" },
	{ "check-config", cmd_check_config, "check-config [--config FILE]" },
	{ "alerts", cmd_alerts,
	  "alerts [--db PATH] [--state firing|resolved|all] [--since DUR|TIME]\n"
	  "                  [--format table|json]\n"
	  "  eximwatch alerts test SINK [--config FILE]" },
	{ NULL, NULL, NULL }
};

static void usage(FILE *fp)
{
	const struct command *c;

	fprintf(fp, "usage: eximwatch <command> [options]\n\n");
	for (c = commands; c->name; c++)
		fprintf(fp, "  eximwatch %s\n", c->synopsis);
	fprintf(fp, "\n  eximwatch <command> --help   options of one command\n"
	    "  eximwatch --version\n");
}

int main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("eximwatch %s\n", eximwatch_version);
		return 0;
	}
	for (c = commands; c->name; c++)
		if (strcmp(argv[1], c->name) == 0)
			return c->fn(argc - 1, argv + 1);
	fprintf(stderr, "eximwatch: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EX_USAGE;
}
