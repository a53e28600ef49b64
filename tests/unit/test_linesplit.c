/* test_linesplit: lines out of a byte stream — partial lines, oversized
 * lines, offsets, and the padding after every line. */
#include <stdlib.h>
#include <string.h>

#include "linesplit.h"
#include "tap.h"

static void feed(struct linesplit *ls, const char *s, size_t n)
{
	size_t avail;
	char *p = linesplit_space(ls, &avail);

	memcpy(p, s, n);
	linesplit_commit(ls, n);
}

static void feed_s(struct linesplit *ls, const char *s)
{
	feed(ls, s, strlen(s));
}

int main(void)
{
	struct linesplit *ls = linesplit_new(16);
	const char *line;
	size_t len, i, avail;
	int over, n;
	char big[100];

	feed_s(ls, "one\ntwo\nthr");
	ok(linesplit_next(ls, &line, &len, &over) && len == 3 &&
	    memcmp(line, "one", 3) == 0 && !over, "first line");
	ok(line[len] == '\n', "the line is followed by its newline in memory");
	ok(linesplit_next(ls, &line, &len, &over) && len == 3 &&
	    memcmp(line, "two", 3) == 0, "second line");
	ok(!linesplit_next(ls, &line, &len, &over), "a partial line waits");
	is_int((long long)linesplit_consumed(ls), 8, "consumed: complete lines only");
	is_int((long long)linesplit_pending(ls), 3, "pending: the partial line");
	feed_s(ls, "ee\n");
	ok(linesplit_next(ls, &line, &len, &over) && len == 5 &&
	    memcmp(line, "three", 5) == 0, "the partial line completed");
	is_int((long long)linesplit_consumed(ls), 14, "consumed after it");

	/* an oversized line arriving in pieces: cut, rest skipped, counted whole */
	memset(big, 'x', sizeof big);
	feed(ls, big, 40);
	ok(!linesplit_next(ls, &line, &len, &over), "no newline yet");
	feed(ls, big, 40);
	ok(!linesplit_next(ls, &line, &len, &over), "still none");
	feed_s(ls, "yy\nnext\n");
	ok(linesplit_next(ls, &line, &len, &over) && over && len == 16,
	    "oversized line delivered once, cut to max_line");
	ok(linesplit_next(ls, &line, &len, &over) && len == 4 &&
	    memcmp(line, "next", 4) == 0 && !over, "the next line intact");
	is_int((long long)linesplit_consumed(ls), 14 + 83 + 5,
	    "the oversized line counts with all its bytes");

	/* an oversized line complete in one read */
	feed(ls, big, 30);
	feed_s(ls, "\n");
	ok(linesplit_next(ls, &line, &len, &over) && over && len == 16,
	    "oversized line in one read");

	/* end of a finished file without a final newline */
	feed_s(ls, "tail");
	ok(linesplit_flush_partial(ls, &line, &len, &over) && len == 4 &&
	    memcmp(line, "tail", 4) == 0, "flush the partial last line");
	ok(!linesplit_flush_partial(ls, &line, &len, &over), "only once");

	/* many lines: buffer compaction keeps everything in order */
	linesplit_reset(ls);
	n = 0;
	for (i = 0; i < 200000; i++) {
		char l[32];
		int k = snprintf(l, sizeof l, "%zu\n", i);

		feed(ls, l, (size_t)k);
		while (linesplit_next(ls, &line, &len, &over))
			if (strtoul(line, NULL, 10) == (unsigned long)n)
				n++;
	}
	is_int(n, 200000, "200000 lines in order across buffer compactions");
	linesplit_space(ls, &avail);
	ok(avail >= 65536, "space offered is at least 64 KiB");
	linesplit_free(ls);
	return done_testing();
}
