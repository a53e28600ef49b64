/* suggest: "did you mean ...?" for a name the user mistyped (a class, a
 * --by key, a --state, a configuration key).
 *
 * The nearest candidate by Damerau-Levenshtein distance (an insertion,
 * deletion, substitution or swap of two neighbours each costs one),
 * ignoring case and counting '-' as '_', if it is near enough to be what
 * was meant: at most 1 edit for names up to 4 characters, 2 up to 8, else
 * a third of the length; or the only candidate the word is a prefix of. */
#ifndef EW_SUGGEST_H
#define EW_SUGGEST_H
#include <stddef.h>

/* suggest_distance: the edit distance of a and b (as above) */
size_t suggest_distance(const char *a, const char *b);
/* suggest: the candidate meant by word, or NULL; cands is NULL-terminated
 * (n < 0) or has n entries */
const char *suggest(const char *word, const char *const *cands, long n);

#endif
