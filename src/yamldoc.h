/* yamldoc: a YAML document as a small tree with source positions.
 *
 * The rules and the config are small files; reading them into a tree first
 * lets the loaders check keys and types and report every error with its
 * line and column.  Only one document per file; anchors and aliases are
 * rejected (they are not needed and make positions ambiguous). */
#ifndef EW_YAMLDOC_H
#define EW_YAMLDOC_H
#include <stddef.h>
#include "diag.h"

enum ydoc_type { YDOC_SCALAR, YDOC_SEQ, YDOC_MAP };

struct ydoc_node {
	enum ydoc_type type;
	int line, col;            /* 1-based position of the node */
	char *str;                /* SCALAR: the value, NUL-terminated */
	size_t len;
	int quoted;               /* SCALAR: 1 single, 2 double, 3 block, 0 plain */
	/* SEQ: kids[i]; MAP: kids[2*i] key, kids[2*i+1] value */
	struct ydoc_node **kids;
	size_t n;                 /* number of items (SEQ) or pairs (MAP) */
	size_t nkids;             /* kids stored (a MAP cut short by an error
	                           * can hold a key without its value) */
};

/* ydoc_parse: parse buf[0..len) named `file`; NULL on error (in d).  An empty
 * document gives an empty MAP. */
struct ydoc_node *ydoc_parse(const char *file, const char *buf, size_t len,
    struct diag *d);
/* ydoc_load: read and parse a file */
struct ydoc_node *ydoc_load(const char *path, struct diag *d);
void ydoc_free(struct ydoc_node *n);

/* ydoc_get: the value for key in a MAP, NULL if absent */
struct ydoc_node *ydoc_get(const struct ydoc_node *map, const char *key);
const char *ydoc_type_name(enum ydoc_type t);

#endif
