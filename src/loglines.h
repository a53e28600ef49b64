/* loglines: the log lines behind a count (`eximwatch report --lines`).
 *
 * The store keeps counts, not lines; the lines are in the log files it
 * read, which its files registry knows by path and by the fingerprint of
 * their first bytes.  loglines_run() finds each registered file: at its
 * path if the content there still has the fingerprint, else among the
 * files of the same directory whose name starts with the same name (the
 * rotated and compressed generations: exim_mainlog-20261122.gz,
 * mainlog.1, mainlog.2.gz), by fingerprint.  It reads each one (plain or
 * gzip) up to where the store counted it, classifies the lines with the
 * rules as `scan` does, and prints the ones that fall in the window and
 * match the filters, under a "==> path <==" header that says where they
 * come from.  A file that is gone (deleted, or read from standard input)
 * is named on the message stream with the lines counted from it: those
 * counts stay in reports, their lines cannot be shown.
 *
 * Lines are printed made safe for a terminal (term.h). */
#ifndef EW_LOGLINES_H
#define EW_LOGLINES_H
#include <stddef.h>
#include <stdio.h>
#include <time.h>

struct store;
struct rules;

struct loglines_opts {
	time_t since, until;          /* [since, until) */
	const char *const *classes;   /* class names, NULL-terminated, or NULL */
	const char *ip;               /* an address or a CIDR network, or NULL */
	const char *account;          /* case-insensitive, or NULL */
	size_t max;                   /* print the last max lines; 0 = all */
};

struct loglines_result {
	size_t files;                 /* files read */
	size_t gone;                  /* registered files not found */
	size_t matched;               /* lines that matched */
	size_t printed;
};

/* loglines_run: lines to out, what was read and what is gone to msg.
 * 0, or -1 on a database error (logged). */
int loglines_run(struct store *s, const struct rules *r,
    const struct loglines_opts *o, FILE *out, FILE *msg,
    struct loglines_result *res);

#endif
