/* cmd_report: `eximwatch report` — what the store counted, for a person
 * (table) or a program (json, csv).  See report.h for the formats. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>
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
#include "log.h"
#include "loglines.h"
#include "netaddr.h"
#include "owners.h"
#include "paths.h"
#include "report.h"
#include "rules.h"
#include "store.h"
#include "suggest.h"
#include "term.h"
#include "xmalloc.h"

#define DEFAULT_USERDOMAINS "/etc/userdomains"

static const char usage_line[] =
    "usage: eximwatch report [--db PATH] [--since TIME] [--until TIME] "
    "[--by LIST] [--class ID]... [--ip IP|NET] [--account A] [--top N] "
    "[--format table|json|csv|html] [--brief | --remedies] [--all] [--lines] "
    "[--userdomains PATH] [--rules DIR] [--no-color]";

static void help(void)
{
	printf("%s\n\n"
	    "Show what eximwatch counted in a time window.\n\n"
	    "  --db PATH           database (default %s)\n"
	    "  --since DUR|TIME    window start: 30m, 24h, 7d (that long before\n"
	    "                      --until), 2026-11-22, \"2026-11-22 08:00\",\n"
	    "                      ISO 8601, @UNIX, or all (from the first minute\n"
	    "                      stored); default 24h\n"
	    "  --until TIME        window end, exclusive (default now)\n"
	    "  --by LIST           group by class, ip, prefix (the ip's network),\n"
	    "                      account, owner, domain (the account's), and\n"
	    "                      hour or day (a time series); a comma list\n"
	    "  --class ID          only these classes (repeatable, comma"
	    " list)\n"
	    "  --ip IP|NET         only this client IP or network\n"
	    "                      (203.0.113.0/24, 2001:db8::/64)\n"
	    "  --account A         only this account (login or address)\n"
	    "  --top N             rows per list (default 10; json/csv: all;"
	    " 0 = all)\n"
	    "  --format FMT        table (default), json, csv or html (one\n"
	    "                      self-contained page)\n"
	    "  --brief             the table: one line per class, no remedies\n"
	    "  --remedies          the table: the remedy of every class (default:\n"
	    "                      warning and above)\n"
	    "  --lines             the log lines behind the counts (of --class,\n"
	    "                      --ip, --account, the window), from the files\n"
	    "                      the store read; the last --top (100) of them\n"
	    "  --all               a --by ip/account/owner table counts the\n"
	    "                      traffic too (default: rejections and failures)\n"
	    "  --userdomains PATH  cPanel owners (default %s if readable)\n"
	    "  --rules DIR         more rule files, for the descriptions\n"
	    "  --no-color          no ANSI colour\n"
	    "  -h, --help          this help\n\n"
	    "Exit status: 0 ok (also when nothing was counted in the window);\n"
	    "64 usage (an unknown class or --by key says the nearest name);\n"
	    "66 no database, or it cannot be read (permission); 74 a database\n"
	    "error; 78 a rule error of --rules.\n",
	    usage_line, paths_default_db(), DEFAULT_USERDOMAINS);
}

/* usage_error: the problem and the usage line on stderr; EX_USAGE */
static __attribute__((format(printf, 1, 2)))
int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("eximwatch report: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s\n", usage_line);
	return EX_USAGE;
}

/* parse_by: "class,ip" -> REPORT_BY_* bits; -1 on an unknown key (copied
 * into bad) */
static int parse_by(const char *s, unsigned *by, char *bad, size_t badlen)
{
	static const struct {
		const char *name;
		unsigned bit;
	} keys[] = {
		{ "class", REPORT_BY_CLASS }, { "ip", REPORT_BY_IP },
		{ "account", REPORT_BY_ACCOUNT }, { "owner", REPORT_BY_OWNER },
		{ "prefix", REPORT_BY_PREFIX }, { "domain", REPORT_BY_DOMAIN },
		{ "hour", REPORT_BY_HOUR }, { "day", REPORT_BY_DAY },
	};
	char *copy = xstrdup(s), *tok, *save = NULL;
	size_t i;
	int rc = 0;

	for (tok = strtok_r(copy, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
			if (strcmp(tok, keys[i].name) == 0)
				break;
		if (i == sizeof keys / sizeof keys[0]) {
			snprintf(bad, badlen, "%s", tok);
			rc = -1;
			break;
		}
		*by |= keys[i].bit;
	}
	if (rc == 0 && (*by & REPORT_BY_HOUR) && (*by & REPORT_BY_DAY)) {
		snprintf(bad, badlen, "hour,day");
		rc = -1;
	}
	if (rc == 0 && *by == 0) {
		snprintf(bad, badlen, "%s", s);
		rc = -1;
	}
	free(copy);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* add_classes: append the comma list s to the NULL-terminated list */
static void add_classes(char ***list, size_t *n, const char *s)
{
	char *copy = xstrdup(s), *tok, *save = NULL;

	for (tok = strtok_r(copy, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		*list = xreallocarray(*list, *n + 2, sizeof **list);
		(*list)[(*n)++] = xstrdup(tok);
		(*list)[*n] = NULL;
	}
	free(copy);
}

static const char *const by_keys[] = { "class", "ip", "prefix", "account",
	"owner", "domain", "hour", "day", NULL };
static const char *const formats[] = { "table", "json", "csv", "html", NULL };

/* first_minute: --since all: the first stored minute before until (until
 * itself when there is none, an empty window); 0 or -1 (logged) */
static int first_minute(struct store *st, time_t until, time_t *since)
{
	sqlite3_stmt *q = NULL;
	int rc = -1;

	*since = until;
	if (sqlite3_prepare_v2(store_db(st), "SELECT MIN(bucket) FROM "
	    "count_chunks WHERE bucket < ?1", -1, &q, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)until);
	if (sqlite3_step(q) != SQLITE_ROW)
		goto out;
	if (sqlite3_column_type(q, 0) != SQLITE_NULL)
		*since = (time_t)sqlite3_column_int64(q, 0);
	rc = 0;
out:
	if (rc < 0)
		log_warnx("%s: %s", store_path(st), store_errmsg(st));
	sqlite3_finalize(q);
	return rc;
}

/* check_classes: every --class is a class: of the database, of the
 * shipped rules or of --rules DIR (loaded into *rules only when the
 * database does not know a name; to describe only if `describe`, see
 * rules.h); -1 with the problem printed (a usage error), or with d
 * holding rule file errors */
static int check_classes(struct store *st, const char *const *classes,
    const char *rules_dir, int describe, struct rules **rules,
    struct diag *d)
{
	const char *dirs[2] = { rules_dir, NULL };
	struct rules_source rs;
	sqlite3_stmt *q = NULL;
	const char **known = NULL;
	const char *m;
	size_t nknown = 0, i, j, k;
	int rc = 0;

	if (sqlite3_prepare_v2(store_db(st), "SELECT name FROM classes ORDER BY "
	    "name", -1, &q, NULL) == SQLITE_OK)
		while (sqlite3_step(q) == SQLITE_ROW) {
			known = xreallocarray(known, nknown + 1, sizeof *known);
			known[nknown++] = xstrdup((const char *)
			    sqlite3_column_text(q, 0));
		}
	sqlite3_finalize(q);
	for (i = 0; classes[i] && rc == 0; i++) {
		for (k = 0; k < nknown && strcmp(known[k], classes[i]); k++)
			;
		if (k < nknown)
			continue;
		if (*rules == NULL) {
			memset(&rs, 0, sizeof rs);
			rs.dirs = rules_dir ? dirs : NULL;
			rs.describe_only = describe;
			if ((*rules = rules_load(&rs, d)) == NULL) {
				rc = -1;
				break;
			}
			for (k = 0; k < rules_nclasses(*rules); k++) {
				known = xreallocarray(known, nknown + 1,
				    sizeof *known);
				known[nknown++] = xstrdup(rules_class_name(*rules,
				    k));
			}
		}
		if (rules_find(*rules, classes[i]) >= 0)
			continue;
		m = suggest(classes[i], known, (long)nknown);
		if (m) {
			usage_error("unknown class '%s': did you mean %s?",
			    classes[i], m);
		} else {
			size_t col = 2;

			fprintf(stderr, "eximwatch report: unknown class '%s'; "
			    "the classes are:\n ", classes[i]);
			qsort(known, nknown, sizeof *known, cmp_str);
			for (k = 1, j = 1; k < nknown; k++) {   /* unique */
				if (strcmp(known[k], known[j - 1]) == 0)
					free((char *)known[k]);
				else
					known[j++] = known[k];
			}
			nknown = nknown ? j : 0;
			for (k = 0; k < nknown; k++) {
				if (col + strlen(known[k]) + 2 > 78) {
					fputs("\n ", stderr);
					col = 2;
				}
				col += (size_t)fprintf(stderr, " %s%s", known[k],
				    k + 1 < nknown ? "," : "");
			}
			fprintf(stderr, "\n%s\n", usage_line);
		}
		rc = -1;
	}
	for (k = 0; k < nknown; k++)
		free((char *)known[k]);
	free(known);
	return rc;
}

/* window_findings: diagnose the report's window (the thresholds of the
 * configuration if it can be read, else the defaults; the domain lists
 * when readable: the findings that need them are skipped otherwise, as
 * `eximwatch diagnose` says) */
static void window_findings(struct store *st, const struct report_opts *ro,
    const struct owners *ow, struct findings *out)
{
	struct diagnose_input in;
	struct diagconf dc;
	struct config cfg;
	struct diag d;
	struct domainlist *local = NULL, *remote = NULL;

	diag_init(&d);
	memset(&in, 0, sizeof in);
	diagconf_defaults(&dc);
	if (config_load(&cfg, paths_default_config(), 1, &d) == 0) {
		diagconf_release(&dc);
		if (diagconf_load(&dc, cfg.path, NULL, &d) < 0) {
			diagconf_release(&dc);
			diagconf_defaults(&dc);
		}
		dc.known_client_days = cfg.known_client_days;
	}
	diag_release(&d);
	diag_init(&d);
	local = domainlist_load(dc.localdomains, &d);
	remote = domainlist_load(dc.remotedomains, &d);
	in.since = ro->since;
	in.until = ro->until;
	in.conf = &dc;
	in.owners = ow && owners_count(ow) ? ow : NULL;
	in.local = local;
	in.remote = remote;
	in.account = ro->account;
	in.ip = ro->ip;
	/* the table lists them (kind, subject, events); the page gives their
	 * summaries, which need the minutes */
	in.brief = ro->format == REPORT_TABLE;
	if (diagnose_run(st, &in, out) < 0)
		findings_release(out);
	domainlist_free(local);
	domainlist_free(remote);
	diagconf_release(&dc);
	config_release(&cfg);
	diag_release(&d);
}

int cmd_report(int argc, char **argv)
{
	enum { O_DB = 256, O_SINCE, O_UNTIL, O_BY, O_CLASS, O_IP, O_ACCOUNT,
	    O_TOP, O_FORMAT, O_USERDOMAINS, O_RULES, O_NO_COLOR, O_BRIEF,
	    O_REMEDIES, O_ALL, O_LINES };
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "since", required_argument, NULL, O_SINCE },
		{ "until", required_argument, NULL, O_UNTIL },
		{ "by", required_argument, NULL, O_BY },
		{ "class", required_argument, NULL, O_CLASS },
		{ "ip", required_argument, NULL, O_IP },
		{ "account", required_argument, NULL, O_ACCOUNT },
		{ "top", required_argument, NULL, O_TOP },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "userdomains", required_argument, NULL, O_USERDOMAINS },
		{ "rules", required_argument, NULL, O_RULES },
		{ "brief", no_argument, NULL, O_BRIEF },
		{ "remedies", no_argument, NULL, O_REMEDIES },
		{ "all", no_argument, NULL, O_ALL },
		{ "lines", no_argument, NULL, O_LINES },
		{ "no-color", no_argument, NULL, O_NO_COLOR },
		{ "no-colour", no_argument, NULL, O_NO_COLOR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *since_s = "24h", *until_s = "now";
	const char *userdomains = NULL, *rules_dir = NULL;
	const char *rule_dirs[2] = { NULL, NULL };
	struct report_opts ro;
	struct rules_source rs;
	struct store *st = NULL;
	struct owners *ow = NULL;
	struct rules *rules = NULL;
	struct findings findings;
	struct diag d;
	char **classes = NULL, *end, bad[64], host[256] = "";
	size_t nclasses = 0, i;
	int c, rc = EX_OK, no_color = 0, top_set = 0, since_all = 0, lines = 0;
	struct netaddr net;
	struct loglines_opts lo;
	struct loglines_result lr;
	time_t now = time(NULL);
	long v;

	memset(&ro, 0, sizeof ro);
	memset(&findings, 0, sizeof findings);
	ro.top = 10;
	ro.format = REPORT_TABLE;
	diag_init(&d);

	optind = 0;            /* glibc: restart scanning (main used getopt) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case O_DB:
			db = optarg;
			break;
		case O_SINCE:
			since_s = optarg;
			break;
		case O_UNTIL:
			until_s = optarg;
			break;
		case O_BY:
			if (parse_by(optarg, &ro.by, bad, sizeof bad) < 0) {
				const char *m = suggest(bad, by_keys, -1);

				rc = usage_error("unknown --by key '%s' (class, "
				    "ip, prefix, account, owner, domain, and one "
				    "of hour or day)%s%s%s", bad, m ?
				    ": did you mean " : "", m ? m : "", m ? "?" :
				    "");
				goto done;
			}
			break;
		case O_CLASS:
			add_classes(&classes, &nclasses, optarg);
			break;
		case O_IP:
			if (netaddr_parse(optarg, strlen(optarg), &net) < 0) {
				rc = usage_error("bad --ip '%s': want an address "
				    "or a network (192.0.2.7, 203.0.113.0/24, "
				    "2001:db8::/64)", optarg);
				goto done;
			}
			ro.ip = optarg;
			break;
		case O_ACCOUNT:
			ro.account = optarg;
			break;
		case O_TOP:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 0 ||
			    v > 1000000) {
				rc = usage_error("bad --top '%s': want a "
				    "number, 0 for all", optarg);
				goto done;
			}
			ro.top = (int)v;
			top_set = 1;
			break;
		case O_FORMAT:
			if (strcmp(optarg, "table") == 0)
				ro.format = REPORT_TABLE;
			else if (strcmp(optarg, "json") == 0)
				ro.format = REPORT_JSON;
			else if (strcmp(optarg, "csv") == 0)
				ro.format = REPORT_CSV;
			else if (strcmp(optarg, "html") == 0)
				ro.format = REPORT_HTML;
			else {
				const char *m = suggest(optarg, formats, -1);

				rc = usage_error("unknown --format '%s' (table, "
				    "json, csv, html)%s%s%s", optarg, m ? ": did "
				    "you mean " : "", m ? m : "", m ? "?" : "");
				goto done;
			}
			break;
		case O_USERDOMAINS:
			userdomains = ro.userdomains = optarg;
			break;
		case O_RULES:
			rules_dir = optarg;
			break;
		case O_NO_COLOR:
			no_color = 1;
			break;
		case O_BRIEF:
			ro.brief = 1;
			break;
		case O_REMEDIES:
			ro.remedies = 1;
			break;
		case O_ALL:
			ro.all = 1;
			break;
		case O_LINES:
			lines = 1;
			break;
		case 'h':
			help();
			goto done;
		case ':':
			rc = usage_error("option '%s' needs a value",
			    argv[optind - 1]);
			goto done;
		default:
			if (optopt > 0 && optopt < 256)
				rc = usage_error("unknown option '-%c'",
				    optopt);
			else
				rc = usage_error("unknown option '%s'",
				    argv[optind - 1]);
			goto done;
		}
	}
	if (optind < argc) {
		rc = usage_error("unexpected argument '%s'", argv[optind]);
		goto done;
	}
	if (time_parse(until_s, now, &ro.until) < 0) {
		rc = usage_error("bad --until '%s': want now, a date or "
		    "a duration ago", until_s);
		goto done;
	}
	/* a duration counts back from --until (24h before it by default);
	 * "all" is resolved from the database below */
	since_all = strcmp(since_s, "all") == 0;
	if (!since_all && time_parse(since_s, ro.until, &ro.since) < 0) {
		rc = usage_error("bad --since '%s': want 24h, 7d, "
		    "2026-11-22, \"2026-11-22 08:00\", ISO 8601 or all",
		    since_s);
		goto done;
	}
	if (!since_all && ro.since >= ro.until) {
		rc = usage_error("empty window: --since '%s' is not before "
		    "--until", since_s);
		goto done;
	}
	if (lines && (ro.by != 0 || ro.format != REPORT_TABLE || ro.brief ||
	    ro.remedies)) {
		rc = usage_error("--lines prints log lines: no --by, --format, "
		    "--brief or --remedies");
		goto done;
	}
	if (ro.brief && ro.remedies) {
		rc = usage_error("--brief and --remedies exclude each other");
		goto done;
	}
	if ((ro.brief || ro.remedies) && (ro.format != REPORT_TABLE ||
	    ro.by != 0)) {
		rc = usage_error("--%s shapes the default table (no --by, "
		    "--format table)", ro.brief ? "brief" : "remedies");
		goto done;
	}
	if (ro.format == REPORT_HTML && ro.by != 0) {
		rc = usage_error("--format html is the whole report: --by is "
		    "for table, json and csv");
		goto done;
	}
	/* programs want every row unless they ask for fewer */
	if ((ro.format == REPORT_JSON || ro.format == REPORT_CSV) && !top_set)
		ro.top = 0;
	if (ro.format == REPORT_HTML) {
		if (gethostname(host, sizeof host) == 0)
			ro.host = host;
		ro.now = now;
	}
	ro.classes = (const char *const *)classes;
	ro.color = !no_color && ro.format == REPORT_TABLE && term_color();
	ro.width = term_width();

	if (db == NULL)
		db = paths_default_db();
	if (access(db, F_OK) < 0 && errno == ENOENT) {
		log_warnx("no database at %s: run 'eximwatch scan FILE' or "
		    "start the daemon first", db);
		rc = EX_NOINPUT;
		goto done;
	}
	if ((st = store_open(db, STORE_READONLY, &d)) == NULL) {
		diag_print(&d, stderr);
		rc = EX_NOINPUT;
		goto done;
	}
	if (since_all && first_minute(st, ro.until, &ro.since) < 0) {
		rc = EX_IOERR;
		goto done;
	}
	if (nclasses && check_classes(st, (const char *const *)classes,
	    rules_dir, !lines && !rules_dir, &rules, &d) < 0) {
		/* rule file errors of --rules DIR, or an unknown class */
		diag_print(&d, stderr);
		rc = d.n ? EX_CONFIG : EX_USAGE;
		goto done;
	}

	if (userdomains) {
		if ((ow = owners_load(userdomains, &d)) == NULL) {
			diag_print(&d, stderr);
			rc = EX_NOINPUT;
			goto done;
		}
	} else if (access(DEFAULT_USERDOMAINS, R_OK) == 0) {
		/* the default is best effort: not every host is cPanel */
		ow = owners_load(DEFAULT_USERDOMAINS, &d);
		diag_release(&d);
		diag_init(&d);
	}
	if (ow == NULL && (ro.by & REPORT_BY_OWNER))
		log_warnx("no cPanel userdomains file: every owner is empty "
		    "(use --userdomains PATH)");
	ro.owners = ow;
	if (ro.by & REPORT_BY_PREFIX) {
		/* the networks of the daemon's `by: prefix` alerts */
		struct config cfg;

		if (config_load(&cfg, paths_default_config(), 1, &d) == 0) {
			ro.prefix_v4 = cfg.prefix_v4;
			ro.prefix_v6 = cfg.prefix_v6;
		} else {
			diag_print(&d, stderr);
			log_warnx("--by prefix: the configuration is not valid: "
			    "networks are /24 and /64");
		}
		config_release(&cfg);
		diag_release(&d);
		diag_init(&d);
	}

	/* descriptions and remedies: the default table and the page; the
	 * classifier for --lines (already loaded by a --class check) */
	if (((ro.format == REPORT_TABLE && ro.by == 0) ||
	    ro.format == REPORT_HTML || lines) && rules == NULL) {
		memset(&rs, 0, sizeof rs);
		rule_dirs[0] = rules_dir;
		rs.dirs = rules_dir ? rule_dirs : NULL;
		/* the shipped rules, for their texts: nothing is classified
		 * (rules of --rules DIR are compiled: their errors are said) */
		rs.describe_only = !lines && !rules_dir;
		if ((rules = rules_load(&rs, &d)) == NULL) {
			diag_print(&d, stderr);
			if (rules_dir || lines) {
				rc = EX_CONFIG;
				goto done;
			}
			log_warnx("rules not loaded: the report shows no "
			    "descriptions");
		}
	}
	if ((ro.format == REPORT_TABLE && ro.by == 0) ||
	    ro.format == REPORT_HTML)
		ro.rules = rules;

	/* the table and the page open with the window's findings */
	if ((ro.format == REPORT_TABLE && ro.by == 0 && !lines) ||
	    ro.format == REPORT_HTML) {
		window_findings(st, &ro, ow, &findings);
		ro.findings = &findings;
	}
	if (lines) {
		memset(&lo, 0, sizeof lo);
		lo.since = ro.since;
		lo.until = ro.until;
		lo.classes = ro.classes;
		lo.ip = ro.ip;
		lo.account = ro.account;
		lo.max = top_set ? (size_t)ro.top : 100;
		if (loglines_run(st, rules, &lo, stdout, stderr, &lr) < 0)
			rc = EX_IOERR;
	} else if (report_run(st, &ro, stdout) < 0) {
		rc = EX_IOERR;
		goto done;
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_warn("cannot write the report");
		rc = EX_IOERR;
	}

done:
	if (st)
		store_close(st);
	if (rules)
		rules_free(rules);
	owners_free(ow);
	findings_release(&findings);
	diag_release(&d);
	for (i = 0; i < nclasses; i++)
		free(classes[i]);
	free(classes);
	return rc;
}
