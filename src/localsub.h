/* localsub: who submitted a local message — on cPanel, which user's
 * script sent it.
 *
 * With log_selector +arguments (cPanel's default) Exim logs
 *     cwd=/home/acme/public_html 3 args: /usr/sbin/sendmail -t -i
 * when a process starts, without a message id, and that process's arrival
 *     <msgid> <= sender U=acme P=local ...
 * follows, possibly after lines of other processes.  localsub remembers
 * the cwd lines of recent submissions (not queue runs or admin commands)
 * and pairs each local arrival with one: by pid when the log has them
 * (+pid), else the oldest unclaimed one of the last LOCALSUB_MAX_AGE
 * seconds whose home directory agrees with U=.
 *
 * The submitter is U= when that is a person's login; for the shared web
 * server users (nobody, www-data, apache, ...) the owner of the cwd's home
 * directory (/home*\/USER/...); never for the MTA's or cPanel's own jobs
 * (root, mailnull, Debian-exim, cpanel*, or a cwd in /var/spool/exim or
 * /usr/local/cpanel): those are `system`.
 *
 * Fixed memory (a ring of LOCALSUB_SLOTS lines); nothing allocates after
 * localsub_new().  All text is log text: bounded, not interpreted. */
#ifndef EW_LOCALSUB_H
#define EW_LOCALSUB_H
#include <stddef.h>
#include "eximlog.h"
#include "span.h"

#define LOCALSUB_SLOTS 32
#define LOCALSUB_CWD_MAX 200      /* longer directories are cut */
#define LOCALSUB_MAX_AGE 5        /* seconds, pairing without pids */

enum localsub_kind {
	LOCALSUB_PERSON,          /* a login of its own: the submitter */
	LOCALSUB_SHARED,          /* a web server's user: the cwd tells */
	LOCALSUB_SYSTEM,          /* the MTA's or cPanel's own jobs */
};

struct localsub_who {
	struct span user;         /* the submitter, absent if none; valid
	                           * until the next localsub call */
	struct span cwd;          /* the paired directory, absent if none */
	int system;               /* the MTA's or cPanel's own job */
};

struct localsub;

struct localsub *localsub_new(void);
void localsub_free(struct localsub *l);

/* localsub_line: a line no rule matched; remembered if it is the cwd= line
 * of a submission.  1 if it was a cwd= line (of any process), else 0. */
int localsub_line(struct localsub *l, const struct eximlog_line *ln);

/* localsub_arrival: the submitter of the "<= ... P=local" arrival ln
 * (claims its cwd line) */
void localsub_arrival(struct localsub *l, const struct eximlog_line *ln,
    struct localsub_who *out);

/* localsub_user_kind: what kind of login u[0..n) is */
enum localsub_kind localsub_user_kind(const char *u, size_t n);

/* localsub_home_user: USER of a directory /home*\/USER[/...], or absent */
struct span localsub_home_user(struct span dir);

#endif
