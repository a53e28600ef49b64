/* suggest: the nearest name to a mistyped one (see suggest.h) */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "suggest.h"
#include "xmalloc.h"

static int fold(int c)
{
	return c == '-' ? '_' : tolower(c);
}

size_t suggest_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, w = lb + 1, r;
	size_t *d = xcalloc((la + 1) * w, sizeof *d);

	for (i = 0; i <= la; i++)
		d[i * w] = i;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			size_t cost = fold((unsigned char)a[i - 1]) !=
			    fold((unsigned char)b[j - 1]);
			size_t v = d[(i - 1) * w + j] + 1;

			if (d[i * w + j - 1] + 1 < v)
				v = d[i * w + j - 1] + 1;
			if (d[(i - 1) * w + j - 1] + cost < v)
				v = d[(i - 1) * w + j - 1] + cost;
			/* two neighbours swapped */
			if (i > 1 && j > 1 && fold((unsigned char)a[i - 1]) ==
			    fold((unsigned char)b[j - 2]) &&
			    fold((unsigned char)a[i - 2]) ==
			    fold((unsigned char)b[j - 1]) &&
			    d[(i - 2) * w + j - 2] + 1 < v)
				v = d[(i - 2) * w + j - 2] + 1;
			d[i * w + j] = v;
		}
	}
	r = d[la * w + lb];
	free(d);
	return r;
}

const char *suggest(const char *word, const char *const *cands, long n)
{
	const char *best = NULL, *prefixed = NULL;
	size_t len = strlen(word), bestd = (size_t)-1, dd, limit, i;
	int nprefixed = 0;

	if (len == 0)
		return NULL;
	limit = len <= 4 ? 1 : len <= 8 ? 2 : len / 3;
	for (i = 0; n < 0 ? cands[i] != NULL : i < (size_t)n; i++) {
		dd = suggest_distance(word, cands[i]);
		if (dd < bestd) {
			bestd = dd;
			best = cands[i];
		}
		if (len >= 3 && strncasecmp(cands[i], word, len) == 0) {
			prefixed = cands[i];
			nprefixed++;
		}
	}
	if (best && bestd <= limit)
		return best;
	return nprefixed == 1 ? prefixed : NULL;
}
