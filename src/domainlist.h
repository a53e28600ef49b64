/* domainlist: a set of domains from a cPanel-style list file —
 * /etc/localdomains, /etc/remotedomains: one domain per line ("domain" or
 * "domain: anything"), '#' comments, case-insensitive.  Lookups never
 * allocate. */
#ifndef EW_DOMAINLIST_H
#define EW_DOMAINLIST_H
#include <stddef.h>
#include "diag.h"

struct domainlist;

/* domainlist_load: NULL with a diag item when the file cannot be read */
struct domainlist *domainlist_load(const char *path, struct diag *d);
void domainlist_free(struct domainlist *l);
/* domainlist_has: 1 if domain[0..len) (a trailing '.' ignored) is listed */
int domainlist_has(const struct domainlist *l, const char *domain, size_t len);
size_t domainlist_count(const struct domainlist *l);

#endif
