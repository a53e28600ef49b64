/* eximwatch: command table and usage */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <sys/stat.h>

#include "cmds.h"
#include "log.h"
#include "suggest.h"

struct command {
	const char *name;
	int (*fn)(int, char **);
	const char *synopsis;
};

static const struct command commands[] = {
	{ "scan", cmd_scan,
	  "scan [--db PATH] [--rules DIR] [--disable ID] [--retention DUR] [-q]\n"
	  "                  [--progress] FILE..." },
	{ "report", cmd_report,
	  "report [--db PATH] [--since DUR|TIME] [--until TIME] [--by KEY,...]\n"
	  "                  [--class ID] [--ip IP|NET] [--account A] [--top N]\n"
	  "                  [--format table|json|csv|html] [--brief | --remedies] [--all]\n"
	  "                  [--lines] [--userdomains PATH] [--rules DIR] [--no-color]" },
	{ "diagnose", cmd_diagnose,
	  "diagnose [--db PATH] [--since DUR|TIME] [--until TIME] [--account A]\n"
	  "                  [--ip IP|CIDR] [--owner USER] [--userdomains PATH]\n"
	  "                  [--localdomains PATH] [--config FILE] [--format table|json]\n"
	  "                  [--no-color]" },
	{ "test", cmd_test,
	  "test [--rules DIR] [--no-builtin] [--disable ID] [--show CLASS] [--samples N]\n"
	  "                  [--format text|json] FILE..." },
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

	/* what eximwatch creates (the database and its -wal and -shm files,
	 * their directory) holds accounts and client addresses: never for
	 * everyone, whatever the caller's umask (systemd's unit sets 0027 for
	 * the daemon; scan, and the daemon started by hand, need it here) */
	umask(umask(0) | 027);
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
	{
		const char *names[sizeof commands / sizeof commands[0]];
		const char *m;
		size_t i;

		for (i = 0; commands[i].name; i++)
			names[i] = commands[i].name;
		names[i] = NULL;
		m = suggest(argv[1], names, -1);
		fprintf(stderr, "eximwatch: unknown command '%s'%s%s%s\n", argv[1],
		    m ? ": did you mean " : "", m ? m : "", m ? "?" : "");
	}
	usage(stderr);
	return EX_USAGE;
}
