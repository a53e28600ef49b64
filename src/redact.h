/* redact: secrets kept out of every message eximwatch prints or stores.
 *
 * A secret is the value of a configuration key that redact_key() names
 * (url, secret, password, token, key, or a name ending in _url, _secret,
 * _password, _token or _key: routing_key), however it is given: inline, read
 * from the file KEY_file names, or from the variable KEY_env names (the file
 * name and the variable name are not secret), plus the path, query and
 * password of any URL.  Three tools:
 *
 *   redact_line()  one source line of a configuration file, as diag.c echoes
 *                  it under an error: the values of secret keys and the
 *                  paths of URLs become "***"; the caret's column follows
 *   redact_urls()  free text (a message): URL paths, queries and passwords
 *                  become "***" (https://hooks.slack.com/ and three stars)
 *   struct redact  the secret values one sink holds; redact_apply() replaces
 *                  each of them (and the parts of a URL a server may echo:
 *                  its path, last path segment, query, password) in text
 *                  from outside, such as a libcurl error or an HTTP response
 *                  that quotes the request
 *
 * Fragments shorter than REDACT_MIN bytes are not looked for: they are no
 * secret, and replacing every "k" would garble the message. */
#ifndef EW_REDACT_H
#define EW_REDACT_H
#include <stddef.h>
#include "sbuf.h"

#define REDACT_MIN 4
#define REDACT_MASK "***"

struct redact;

/* redact_key: 1 if the value of the key key[0..len) is a secret */
int redact_key(const char *key, size_t len);
/* redact_line: line (NUL-terminated, no newline) into out with secrets
 * masked; *col (1-based byte column of line, or NULL) is moved to the same
 * place in out */
void redact_line(struct sbuf *out, const char *line, int *col);
/* redact_urls: text into out with URL paths, queries and passwords masked */
void redact_urls(struct sbuf *out, const char *text);

struct redact *redact_new(void);
void redact_free(struct redact *r);
/* redact_add: a secret value (copied; a URL adds its parts too) */
void redact_add(struct redact *r, const char *value);
/* redact_apply: buf (NUL-terminated, size bytes) with every secret of r and
 * every URL's path masked, cut to fit; r may be NULL (URLs only) */
void redact_apply(const struct redact *r, char *buf, size_t size);

#endif
