/* test_suggest: "did you mean" (src/suggest.c): the edit distance and
 * when a candidate is near enough to be suggested. */
#include <stdio.h>

#include "suggest.h"
#include "tap.h"

int main(void)
{
	static const char *const classes[] = { "auth_failed",
		"auth_protocol_error", "relay_denied", "helo_rejected",
		"sync_error", "tls_error", NULL };
	static const char *const states[] = { "firing", "resolved", "all",
		NULL };

	is_int((long long)suggest_distance("authfailed", "auth_failed"), 1,
	    "distance: one insertion");
	is_int((long long)suggest_distance("auth_fialed", "auth_failed"), 1,
	    "distance: two neighbours swapped count once");
	is_int((long long)suggest_distance("AUTH-FAILED", "auth_failed"), 0,
	    "distance: case and '-' for '_' are free");
	is_int((long long)suggest_distance("", "abc"), 3, "distance: from nothing");
	is_str(suggest("authfailed", classes, -1), "auth_failed",
	    "authfailed: auth_failed");
	is_str(suggest("helo_reject", classes, -1), "helo_rejected",
	    "helo_reject: helo_rejected");
	is_str(suggest("firng", states, -1), "firing", "firng: firing");
	is_str(suggest("relay", classes, -1), "relay_denied",
	    "a prefix of one candidate: that one");
	ok(suggest("auth", classes, -1) == NULL,
	    "a prefix of two candidates: none");
	ok(suggest("nosuch", classes, -1) == NULL, "nothing near: none");
	ok(suggest("xyz", states, 3) == NULL, "three letters, all different: none");
	is_str(suggest("tls_eror", classes, 6), "tls_error",
	    "a counted list (n = 6)");
	return done_testing();
}
