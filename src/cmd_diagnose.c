/* cmd_diagnose: `eximwatch diagnose` — what the events of a window mean and
 * what to do about each (diagnose.h), for a person (table) or a program
 * (json, findings.h). */
#include <errno.h>
#include <getopt.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "config.h"
#include "diag.h"
#include "diagconf.h"
#include "diagnose.h"
#include "domainlist.h"
#include "duration.h"
#include "findings.h"
#include "log.h"
#include "netaddr.h"
#include "owners.h"
#include "paths.h"
#include "sbuf.h"
#include "store.h"
#include "term.h"

static const char usage_line[] =
    "usage: eximwatch diagnose [--db PATH] [--since DUR|TIME] [--until TIME] "
    "[--account A] [--ip IP|CIDR] [--owner USER] [--userdomains PATH] "
    "[--localdomains PATH] [--config FILE] [--format table|json] [--brief] "
    "[--no-color]";

static void help(void)
{
	printf("%s\n\n"
	    "Judge the events of a window against the history before it: a\n"
	    "customer's device or settings (helpdesk), a hostile source\n"
	    "(attack), a mailbox or script sending spam (abuse), or this\n"
	    "server's configuration (config), each with what to do.\n\n"
	    "  --db PATH            database (default %s)\n"
	    "  --since DUR|TIME     window start (default: diagnose.window, 1h)\n"
	    "  --until TIME         window end, exclusive (default now)\n"
	    "  --account A          only findings about this account\n"
	    "  --ip IP|CIDR         only findings about this address or network\n"
	    "  --owner USER         only findings about this cPanel user\n"
	    "  --userdomains PATH   hosted domains and owners (default: the\n"
	    "                       config's userdomains, /etc/userdomains)\n"
	    "  --localdomains PATH  local domains (default: diagnose.localdomains,\n"
	    "                       /etc/localdomains)\n"
	    "  --config FILE        thresholds (the `diagnose:` section; default\n"
	    "                       %s if present)\n"
	    "  --format FMT         table (default) or json\n"
	    "  --brief              the findings only, one line each (no times or\n"
	    "                       evidence): read from the hourly\n"
	    "                       and daily rollups, fast over long windows; the\n"
	    "                       same findings and events as without\n"
	    "  --no-color           no ANSI colour\n"
	    "  -h, --help           this help\n",
	    usage_line, paths_default_db(), paths_default_config());
}

static __attribute__((format(printf, 1, 2)))
int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("eximwatch diagnose: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s\n", usage_line);
	return EX_USAGE;
}

/* skipped: warn about the unreadable file in d (what: what that means;
 * NULL: say nothing) and empty d */
static void skipped(struct diag *d, const char *what)
{
	if (what && d->n > 0)
		log_warnx("warning: %s: %s%s%s", d->items[0].file ? d->items[0].file :
		    "", d->items[0].msg, *what ? "; " : "", what);
	diag_release(d);
	diag_init(d);
}

int cmd_diagnose(int argc, char **argv)
{
	enum { O_DB = 256, O_SINCE, O_UNTIL, O_ACCOUNT, O_IP, O_OWNER,
	    O_USERDOMAINS, O_LOCALDOMAINS, O_REMOTEDOMAINS, O_CONFIG, O_FORMAT, O_BRIEF,
	    O_NO_COLOR };
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "since", required_argument, NULL, O_SINCE },
		{ "until", required_argument, NULL, O_UNTIL },
		{ "account", required_argument, NULL, O_ACCOUNT },
		{ "ip", required_argument, NULL, O_IP },
		{ "owner", required_argument, NULL, O_OWNER },
		{ "userdomains", required_argument, NULL, O_USERDOMAINS },
		{ "localdomains", required_argument, NULL, O_LOCALDOMAINS },
		{ "remotedomains", required_argument, NULL, O_REMOTEDOMAINS },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "brief", no_argument, NULL, O_BRIEF },
		{ "no-color", no_argument, NULL, O_NO_COLOR },
		{ "no-colour", no_argument, NULL, O_NO_COLOR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *since_s = NULL, *until_s = "now";
	const char *ud = NULL, *ld = NULL, *rd = NULL, *cfg_path = NULL;
	struct diagnose_input in;
	struct diagconf dc;
	struct config cfg;
	struct store *st = NULL;
	struct owners *ow = NULL;
	struct domainlist *local = NULL, *remote = NULL;
	struct findings f;
	struct diag d;
	struct sbuf out;
	struct netaddr na;
	int c, rc = EX_OK, json = 0, no_color = 0, have_cfg = 0;
	time_t now = time(NULL);

	memset(&in, 0, sizeof in);
	memset(&f, 0, sizeof f);
	memset(&cfg, 0, sizeof cfg);
	diagconf_defaults(&dc);
	diag_init(&d);
	sbuf_init(&out);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case O_DB: db = optarg; break;
		case O_SINCE: since_s = optarg; break;
		case O_UNTIL: until_s = optarg; break;
		case O_ACCOUNT: in.account = optarg; break;
		case O_IP:
			if (netaddr_parse(optarg, strlen(optarg), &na) < 0) {
				rc = usage_error("bad --ip '%s': want an address or a "
				    "network like 192.0.2.0/24", optarg);
				goto done;
			}
			in.ip = optarg;
			break;
		case O_OWNER: in.owner = optarg; break;
		case O_USERDOMAINS: ud = optarg; break;
		case O_LOCALDOMAINS: ld = optarg; break;
		case O_REMOTEDOMAINS: rd = optarg; break;
		case O_CONFIG: cfg_path = optarg; break;
		case O_FORMAT:
			if (strcmp(optarg, "json") == 0)
				json = 1;
			else if (strcmp(optarg, "table") != 0) {
				rc = usage_error("unknown --format '%s' (table, json)",
				    optarg);
				goto done;
			}
			break;
		case O_NO_COLOR: no_color = 1; break;
		case O_BRIEF: in.brief = 1; break;
		case 'h': help(); goto done;
		case ':':
			rc = usage_error("option '%s' needs a value", argv[optind - 1]);
			goto done;
		default:
			rc = usage_error("unknown option '%s'", argv[optind - 1]);
			goto done;
		}
	}
	if (optind < argc) {
		rc = usage_error("unexpected argument '%s'", argv[optind]);
		goto done;
	}
	/* the thresholds: the configuration's, if there is one */
	if (config_load(&cfg, cfg_path ? cfg_path : paths_default_config(),
	    cfg_path == NULL, &d) < 0) {
		diag_print(&d, stderr);
		rc = EX_CONFIG;
		goto done;
	}
	have_cfg = 1;
	diagconf_release(&dc);
	if (diagconf_load(&dc, cfg.path, NULL, &d) < 0) {
		diag_print(&d, stderr);
		rc = EX_CONFIG;
		goto done;
	}
	dc.known_client_days = cfg.known_client_days;
	in.conf = &dc;
	in.until = now;
	if (time_parse(until_s, now, &in.until) < 0) {
		rc = usage_error("bad --until '%s': want now, a date or a duration "
		    "ago", until_s);
		goto done;
	}
	if (since_s == NULL)
		in.since = in.until - (time_t)dc.window;
	else if (time_parse(since_s, now, &in.since) < 0) {
		rc = usage_error("bad --since '%s': want 1h, 7d, 2026-11-22, "
		    "\"2026-11-22 08:00\", ISO 8601, @UNIX or all", since_s);
		goto done;
	}
	if (in.since >= in.until) {
		rc = usage_error("empty window: --since is not before --until");
		goto done;
	}
	if (db == NULL)
		db = cfg.path && cfg.db ? cfg.db : paths_default_db();
	if (access(db, F_OK) < 0 && errno == ENOENT) {
		log_warnx("no database at %s: run 'eximwatch scan FILE' or start the "
		    "daemon first", db);
		rc = EX_NOINPUT;
		goto done;
	}
	if ((st = store_open(db, STORE_READONLY, &d)) == NULL) {
		diag_print(&d, stderr);
		rc = EX_NOINPUT;
		goto done;
	}
	/* "--since all": from the first counted minute on (that is what the
	 * window shows; there is no history before it) */
	if (in.since <= 0) {
		sqlite3_stmt *q;

		if (sqlite3_prepare_v2(store_db(st), "SELECT MIN(bucket) FROM "
		    "count_chunks", -1, &q, NULL) == SQLITE_OK) {
			if (sqlite3_step(q) == SQLITE_ROW &&
			    sqlite3_column_type(q, 0) != SQLITE_NULL &&
			    sqlite3_column_int64(q, 0) < (int64_t)in.until)
				in.since = (time_t)sqlite3_column_int64(q, 0);
			sqlite3_finalize(q);
		}
	}
	/* the files that tell which domains are hosted and local; without
	 * them the findings that need them are skipped, never guessed */
	if (ud == NULL)
		ud = cfg.userdomains ? cfg.userdomains : "/etc/userdomains";
	if ((ow = owners_load(ud, &d)) == NULL)
		skipped(&d, "client_needs_tls, client_not_authenticating and "
		    "missing_localdomains are skipped (give --userdomains PATH)");
	if (ld == NULL)
		ld = dc.localdomains;
	if ((local = domainlist_load(ld, &d)) == NULL)
		skipped(&d, "missing_localdomains is skipped (give --localdomains "
		    "PATH)");
	if ((remote = domainlist_load(rd ? rd : dc.remotedomains, &d)) == NULL)
		skipped(&d, rd ? "" : NULL);
	in.owners = ow;
	in.local = local;
	in.remote = remote;
	if (diagnose_run(st, &in, &f) < 0) {
		rc = EX_IOERR;
		goto done;
	}
	if (json)
		findings_json(&f, in.since, in.until, &out);
	else
		findings_table(&f, in.since, in.until, term_width(),
		    !no_color && term_color(), &out);
	fwrite(out.s, 1, out.len, stdout);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_warn("cannot write the findings");
		rc = EX_IOERR;
	}
done:
	findings_release(&f);
	store_close(st);
	owners_free(ow);
	domainlist_free(local);
	domainlist_free(remote);
	diagconf_release(&dc);
	if (have_cfg)
		config_release(&cfg);
	sbuf_release(&out);
	diag_release(&d);
	return rc;
}
