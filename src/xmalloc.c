/* xmalloc: allocation that never returns NULL (see xmalloc.h) */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"
#include "xmalloc.h"

static void oom(void)
{
	fatalx(EX_OSERR, "out of memory");
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *xzalloc(size_t nmemb, size_t size)
{
	void *p = xreallocarray(NULL, nmemb ? nmemb : 1, size ? size : 1);

	memset(p, 0, (nmemb ? nmemb : 1) * (size ? size : 1));
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

void *xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > (size_t)-1 / size)
		oom();
	return xrealloc(p, nmemb * size);
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		oom();
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		oom();
	va_end(ap);
	return p;
}
