/* span: a borrowed slice of a line.  p == NULL means "absent". */
#ifndef EW_SPAN_H
#define EW_SPAN_H
#include <stddef.h>
#include <string.h>

struct span {
	const char *p;
	size_t len;
};

static inline struct span span_make(const char *p, size_t len)
{
	struct span s = { p, len };
	return s;
}

static inline int span_ok(struct span s)
{
	return s.p != NULL;
}

static inline int span_eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.p != NULL && s.len == n && memcmp(s.p, lit, n) == 0;
}

#endif
