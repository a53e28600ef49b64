/* diag: collected errors with source positions ("file:line:col: message").
 *
 * Parsers never print: they append to a struct diag and keep going, so every
 * error is reported, not only the first.  The caller prints them all with
 * diag_print(), which also shows the source line and a caret when the file
 * can be read again.  Caller-owned: diag_init() / diag_release(). */
#ifndef EW_DIAG_H
#define EW_DIAG_H
#include <stddef.h>
#include <stdio.h>

struct diag_item {
	char *file;      /* may be NULL (no position) */
	int line, col;   /* 1-based; 0 = unknown */
	char *msg;
};

struct diag {
	struct diag_item *items;
	size_t n, cap;
};

void diag_init(struct diag *d);
void diag_release(struct diag *d);
void diag_add(struct diag *d, const char *file, int line, int col,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* diag_sort: the items in file order (file, line, column; stable), those
 * without a file last */
void diag_sort(struct diag *d);
/* diag_print: every item as "file:line:col: msg" (+ source line and caret).
 * What is printed holds no secret (the values of url, secret, password...
 * keys and URL paths are masked: redact.h) and no control character. */
void diag_print(const struct diag *d, FILE *fp);
/* diag_log: the items from index `from` on, as log_warnx() lines (the
 * daemon's reload), masked the same way */
void diag_log(const struct diag *d, size_t from);

#endif
