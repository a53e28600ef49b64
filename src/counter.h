/* counter: counts of events per (minute bucket, class, ip, account), in
 * memory, until the caller flushes them to the store in one transaction.
 *
 * The strings are copied into the counter's arena, so events can borrow from
 * the line being processed.  counter_add() allocates only when the table or
 * arena grows; the caller flushes well before that matters (counter_size()
 * and counter_bytes()).  The last add is completed lazily (by the next add
 * or any other call), so calling counter_size() after every add costs the
 * cache miss that the lazy add hides: check it every few dozen lines. */
#ifndef EW_COUNTER_H
#define EW_COUNTER_H
#include <stddef.h>
#include <stdint.h>

struct counter;

struct counter_row {
	int64_t bucket;
	uint32_t cls;
	uint32_t ip_off, ip_len;        /* into counter_arena() */
	uint32_t acct_off, acct_len;
	uint64_t n;
	uint64_t hash;
};

struct counter *counter_new(void);
void counter_free(struct counter *c);
void counter_clear(struct counter *c);
/* counter_copy: make dst hold the same counts as src (dst's old ones go) */
void counter_copy(struct counter *dst, const struct counter *src);
void counter_add(struct counter *c, int64_t bucket, uint32_t cls,
    const char *ip, size_t ip_len, const char *acct, size_t acct_len,
    uint64_t n);
size_t counter_size(const struct counter *c);     /* distinct keys */
size_t counter_bytes(const struct counter *c);    /* memory in use */
uint64_t counter_total(const struct counter *c);  /* sum of n */
/* counter_rows: the rows, in first-seen order, valid until the next add */
const struct counter_row *counter_rows(const struct counter *c, size_t *n);
const char *counter_arena(const struct counter *c);

#endif
