/* linesplit: lines out of a byte stream, bounded memory (see linesplit.h) */
#include <stdlib.h>
#include <string.h>

#include "linesplit.h"
#include "xmalloc.h"

#define LS_READ   (256u << 10) /* preferred read size */
#define LS_MINAV  (64u << 10)  /* at least this much space per read */
#define LS_PAD    16           /* readable bytes after every line */

struct linesplit {
	char *buf;
	size_t cap;          /* usable bytes (allocation is cap + LS_PAD) */
	size_t start, end;   /* buffered data: buf[start..end) */
	size_t scan;         /* no '\n' in buf[start..scan) */
	size_t max_line;
	uint64_t consumed;
	/* an overlong line: its first max_line bytes are kept at
	 * buf[start..start+max_line), the rest is dropped until '\n' */
	int skipping;
	int oversized_ready; /* its newline arrived: deliver the head */
	uint64_t skipped;
};

struct linesplit *linesplit_new(size_t max_line)
{
	struct linesplit *ls = xcalloc(1, sizeof *ls);

	if (max_line == 0)
		max_line = 64 << 10;
	ls->max_line = max_line;
	ls->cap = LS_READ + max_line + LS_MINAV;
	ls->buf = xcalloc(1, ls->cap + LS_PAD);
	return ls;
}

void linesplit_free(struct linesplit *ls)
{
	if (ls == NULL)
		return;
	free(ls->buf);
	free(ls);
}

void linesplit_reset(struct linesplit *ls)
{
	ls->start = ls->end = ls->scan = 0;
	ls->consumed = 0;
	ls->skipping = ls->oversized_ready = 0;
	ls->skipped = 0;
}

char *linesplit_space(struct linesplit *ls, size_t *avail)
{
	if (ls->cap - ls->end < LS_MINAV && ls->start > 0) {
		size_t n = ls->end - ls->start;

		memmove(ls->buf, ls->buf + ls->start, n);
		ls->scan -= ls->start;
		ls->end = n;
		ls->start = 0;
		/* the padding after the data, for word-at-a-time readers (the
		 * rest of the buffer is initialised since its calloc) */
		memset(ls->buf + ls->end, 0, LS_PAD);
	}
	*avail = ls->cap - ls->end;
	return ls->buf + ls->end;
}

void linesplit_commit(struct linesplit *ls, size_t n)
{
	size_t old = ls->end;
	char *nl;

	ls->end += n;
	if (!ls->skipping || ls->oversized_ready)
		return;
	/* dropping the tail of an overlong line */
	nl = memchr(ls->buf + old, '\n', n);
	if (nl == NULL) {
		ls->skipped += n;
		ls->end = old;
		return;
	}
	ls->skipped += (size_t)(nl - (ls->buf + old));
	n = ls->end - (size_t)(nl + 1 - ls->buf);
	memmove(ls->buf + old, nl + 1, n);
	ls->end = old + n;
	ls->scan = old;
	ls->oversized_ready = 1;
}

int linesplit_next(struct linesplit *ls, const char **line, size_t *len,
    int *oversized)
{
	char *nl;

	if (ls->oversized_ready) {
		*line = ls->buf + ls->start;
		*len = ls->max_line;
		*oversized = 1;
		ls->consumed += ls->max_line + ls->skipped + 1;
		ls->start += ls->max_line;
		ls->skipping = ls->oversized_ready = 0;
		ls->skipped = 0;
		return 1;
	}
	if (ls->skipping)
		return 0;
	if (ls->scan < ls->start)
		ls->scan = ls->start;
	nl = memchr(ls->buf + ls->scan, '\n', ls->end - ls->scan);
	if (nl == NULL) {
		ls->scan = ls->end;
		if (ls->end - ls->start > ls->max_line) {
			/* keep the head, drop the rest until the newline */
			ls->skipping = 1;
			ls->skipped = ls->end - ls->start - ls->max_line;
			ls->end = ls->start + ls->max_line;
			ls->scan = ls->end;
		}
		return 0;
	}
	*line = ls->buf + ls->start;
	*len = (size_t)(nl - *line);
	*oversized = 0;
	if (*len > ls->max_line) {
		*len = ls->max_line;
		*oversized = 1;
	}
	ls->consumed += (size_t)(nl - (ls->buf + ls->start)) + 1;
	ls->start = (size_t)(nl - ls->buf) + 1;
	ls->scan = ls->start;
	return 1;
}

size_t linesplit_pending(const struct linesplit *ls)
{
	if (ls->skipping)
		return ls->max_line + ls->skipped;
	return ls->end - ls->start;
}

uint64_t linesplit_consumed(const struct linesplit *ls)
{
	return ls->consumed;
}

int linesplit_flush_partial(struct linesplit *ls, const char **line,
    size_t *len, int *oversized)
{
	size_t n;

	if (ls->skipping) {
		*line = ls->buf + ls->start;
		*len = ls->max_line;
		*oversized = 1;
		ls->consumed += ls->max_line + ls->skipped;
		ls->start = ls->end = ls->scan = 0;
		ls->skipping = ls->oversized_ready = 0;
		ls->skipped = 0;
		return 1;
	}
	n = ls->end - ls->start;
	if (n == 0)
		return 0;
	*line = ls->buf + ls->start;
	*len = n;
	*oversized = 0;
	ls->consumed += n;
	/* the line stays in place (and padded) until the next space() call */
	ls->start = ls->end;
	ls->scan = ls->end;
	return 1;
}
