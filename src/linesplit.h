/* linesplit: cut a byte stream into lines without copying them twice.
 *
 * The caller reads straight into linesplit_space(), tells how much arrived
 * with linesplit_commit(), then takes complete lines with linesplit_next().
 * A partial last line stays buffered until its newline arrives.  A line
 * longer than max_line is delivered once, cut to max_line bytes with
 * `oversized` set, and the rest of it up to its newline is skipped — memory
 * never grows with the input.  Each delivered line is followed in memory by
 * at least 8 readable bytes (padding for word-at-a-time parsers); the line
 * itself is not NUL-terminated.
 *
 * consumed counts the bytes of every complete line (newline included) handed
 * out so far: the checkpoint offset is start_offset + consumed. */
#ifndef EW_LINESPLIT_H
#define EW_LINESPLIT_H
#include <stddef.h>
#include <stdint.h>

struct linesplit;

struct linesplit *linesplit_new(size_t max_line);
void linesplit_free(struct linesplit *ls);
/* linesplit_reset: forget buffered data and counters (new file) */
void linesplit_reset(struct linesplit *ls);

/* space to read into: *avail >= 64 KiB */
char *linesplit_space(struct linesplit *ls, size_t *avail);
void linesplit_commit(struct linesplit *ls, size_t n);

/* linesplit_next: 1 and a line (without '\n'), or 0 when no complete line is
 * buffered.  The pointer is valid until the next linesplit_space() call. */
int linesplit_next(struct linesplit *ls, const char **line, size_t *len,
    int *oversized);

/* linesplit_pending: bytes buffered after the last complete line */
size_t linesplit_pending(const struct linesplit *ls);
/* linesplit_consumed: bytes of complete lines handed out since reset */
uint64_t linesplit_consumed(const struct linesplit *ls);
/* linesplit_flush_partial: hand out the buffered partial line as if it had
 * ended (end of a finished file that lacks a final newline); 1 if one was
 * pending.  Counted in consumed. */
int linesplit_flush_partial(struct linesplit *ls, const char **line,
    size_t *len, int *oversized);

#endif
