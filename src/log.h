/* log: the daemon's and the CLI's diagnostics (OpenBSD daemon style).
 *
 * Messages go to stderr ("eximwatch: message") until log_init() selects
 * syslog (facility LOG_MAIL).  Messages are lower-case without a final period.
 * log_warn() appends strerror(errno).  fatal()/fatalx() log and exit(code).
 * Never call these from a signal handler. */
#ifndef EW_LOG_H
#define EW_LOG_H

enum log_dest { LOG_DEST_STDERR, LOG_DEST_SYSLOG };

void log_init(enum log_dest dest, int verbose);
void log_set_verbose(int verbose);
int log_verbose(void);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
void fatalx(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

#endif
