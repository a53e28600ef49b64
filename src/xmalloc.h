/* xmalloc: allocation that never returns NULL.  Out of memory is fatal: the
 * process logs "out of memory" and exits 71 (EX_OSERR). */
#ifndef EW_XMALLOC_H
#define EW_XMALLOC_H
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* xreallocarray: like reallocarray(3), fatal on overflow or OOM */
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* xasprintf: formatted string in fresh memory, owned by the caller */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
