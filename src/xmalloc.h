/* xmalloc: allocation that never returns NULL.  Out of memory is fatal: the
 * process logs "out of memory" and exits 71 (EX_OSERR). */
#ifndef EW_XMALLOC_H
#define EW_XMALLOC_H
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
/* xzalloc: zeroed like xcalloc, but written now.  calloc leaves a fresh
 * mapping on the shared zero page; a hash table probed (read) before it is
 * written then takes a copy-on-write fault per page, whose TLB flush
 * interrupts the process's other threads (the parser and the writer). */
void *xzalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* xreallocarray: like reallocarray(3), fatal on overflow or OOM */
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* xasprintf: formatted string in fresh memory, owned by the caller */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
