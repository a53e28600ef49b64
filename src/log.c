/* log: stderr or syslog(LOG_MAIL) diagnostics (see log.h) */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static enum log_dest dest = LOG_DEST_STDERR;
static int verbose;

void log_init(enum log_dest d, int v)
{
	dest = d;
	verbose = v;
	if (dest == LOG_DEST_SYSLOG)
		openlog("eximwatch", LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void log_set_verbose(int v)
{
	verbose = v;
}

int log_verbose(void)
{
	return verbose;
}

static void vlog(int pri, const char *fmt, va_list ap, const char *err)
{
	char msg[2048];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (dest == LOG_DEST_SYSLOG) {
		if (err)
			syslog(pri, "%s: %s", msg, err);
		else
			syslog(pri, "%s", msg);
		return;
	}
	if (err)
		fprintf(stderr, "eximwatch: %s: %s\n", msg, err);
	else
		fprintf(stderr, "eximwatch: %s\n", msg);
	fflush(stderr);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;
	const char *err = strerror(errno);

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, err);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void fatal(int code, const char *fmt, ...)
{
	va_list ap;
	const char *err = strerror(errno);

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, err);
	va_end(ap);
	exit(code);
}

void fatalx(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(code);
}
