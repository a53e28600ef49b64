/* owners: the cPanel account that owns a mail account or domain.
 *
 * Loaded from a cPanel /etc/userdomains style file: "domain: user" per line
 * ("*: nobody" is ignored).  owners_lookup() maps "user@domain" by its domain
 * (case-insensitive; a subdomain falls back to its parent domains), a bare
 * domain the same way, and a bare login that is itself a cPanel user name to
 * that user.  Anything else has no owner (NULL). */
#ifndef EW_OWNERS_H
#define EW_OWNERS_H
#include <stddef.h>
#include "diag.h"

struct owners;

/* owners_load: NULL with a diag item when the file cannot be read */
struct owners *owners_load(const char *path, struct diag *d);
/* owners_new_empty: a map with no entries (no userdomains file) */
struct owners *owners_new_empty(void);
void owners_free(struct owners *o);
/* owners_lookup: the owner, borrowed from o, or NULL */
const char *owners_lookup(const struct owners *o, const char *account, size_t len);
size_t owners_count(const struct owners *o);

#endif
