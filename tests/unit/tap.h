/* tap.h: a tiny TAP producer for the unit tests (header only).
 *
 *   plan(n);                      optional; else done_testing() prints 1..n
 *   ok(cond, "fmt", ...);         returns cond
 *   is_int(got, want, "fmt", ...);
 *   is_str(got, want, "fmt", ...); NULL-safe
 *   return done_testing();        0 if every test passed, 1 otherwise */
#ifndef EW_TAP_H
#define EW_TAP_H
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_fail, tap_planned;

static inline void plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
}

static inline int tap_vok(int cond, const char *fmt, va_list ap)
{
	tap_n++;
	if (!cond)
		tap_fail++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

static inline __attribute__((format(printf, 2, 3)))
int ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vok(cond, fmt, ap);
	va_end(ap);
	return cond;
}

static inline __attribute__((format(printf, 3, 4)))
int is_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;
	int cond = got == want;

	va_start(ap, fmt);
	tap_vok(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   got:  %lld\n#   want: %lld\n", got, want);
	return cond;
}

static inline __attribute__((format(printf, 3, 4)))
int is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	int cond;

	cond = (got == NULL || want == NULL) ? got == want :
	    strcmp(got, want) == 0;
	va_start(ap, fmt);
	tap_vok(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)",
		    want ? want : "(null)");
	return cond;
}

static inline int done_testing(void)
{
	if (!tap_planned)
		printf("1..%d\n", tap_n);
	else if (tap_planned != tap_n)
		printf("# planned %d tests but ran %d\n", tap_planned, tap_n);
	return tap_fail || (tap_planned && tap_planned != tap_n) ? 1 : 0;
}

#endif
