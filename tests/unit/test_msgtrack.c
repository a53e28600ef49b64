/* test_msgtrack: message id → sender, bounded, with deletion and eviction. */
#include <stdio.h>
#include <string.h>

#include "msgtrack.h"
#include "tap.h"

static struct span S(const char *s)
{
	return span_make(s, strlen(s));
}

int main(void)
{
	struct msgtrack *m = msgtrack_new(64);
	char id[32], snd[32];
	struct span v;
	int i, okc = 0;

	msgtrack_put(m, S("1xV2wT-000119-0v"), S("alice@example.com"));
	v = msgtrack_get(m, S("1xV2wT-000119-0v"));
	ok(span_eq(v, "alice@example.com"), "put/get");
	msgtrack_put(m, S("1xV2wT-000119-0v"), S("bob@example.com"));
	ok(span_eq(msgtrack_get(m, S("1xV2wT-000119-0v")), "bob@example.com"),
	    "put again replaces");
	msgtrack_del(m, S("1xV2wT-000119-0v"));
	ok(!span_ok(msgtrack_get(m, S("1xV2wT-000119-0v"))), "deleted");
	is_int((long long)msgtrack_count(m), 0, "empty");

	/* more than the capacity: the oldest go, the newest stay */
	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof id, "1x5dJQ-%011d-%04d", i, i % 7);
		snprintf(snd, sizeof snd, "u%d@example.com", i);
		msgtrack_put(m, S(id), S(snd));
		if (i % 3 == 0) {
			snprintf(id, sizeof id, "1x5dJQ-%011d-%04d", i - 1, (i - 1) % 7);
			msgtrack_del(m, S(id));
		}
	}
	ok(msgtrack_count(m) <= 64, "bounded (%zu)", msgtrack_count(m));
	for (i = 990; i < 1000; i++) {
		snprintf(id, sizeof id, "1x5dJQ-%011d-%04d", i, i % 7);
		snprintf(snd, sizeof snd, "u%d@example.com", i);
		if (i % 3 == 2)
			continue;   /* deleted above */
		okc += span_eq(msgtrack_get(m, S(id)), snd);
	}
	is_int(okc, 7, "the newest entries are all found");
	snprintf(id, sizeof id, "1x5dJQ-%011d-%04d", 5, 5);
	ok(!span_ok(msgtrack_get(m, S(id))), "an old entry was evicted");
	msgtrack_put(m, S("id-way-too-long-for-an-exim-message-id"), S("x"));
	ok(!span_ok(msgtrack_get(m, S("id-way-too-long-for-an-exim-message-id"))),
	    "ids longer than Exim's are ignored");
	msgtrack_free(m);
	return done_testing();
}
