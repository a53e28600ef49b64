/* test_msgtrack: message id → value (a sender, a class id), bounded, with
 * deletion and eviction, values sized per table. */
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
	struct msgtrack *m = msgtrack_new(64, MSGTRACK_SENDER_MAX);
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

	/* a table of short values (class ids): entries that small, longer
	 * values not kept, every entry still its own */
	m = msgtrack_new(8, 6);
	msgtrack_put(m, S("1xW3kN-0004Qn-7o"), S("frozen"));
	ok(span_eq(msgtrack_get(m, S("1xW3kN-0004Qn-7o")), "frozen"),
	    "a value of value_max bytes is kept");
	msgtrack_put(m, S("1xW3kQ-0004Qq-9b"), S("frozen2"));
	ok(!span_ok(msgtrack_get(m, S("1xW3kQ-0004Qq-9b"))),
	    "a longer value is not kept");
	msgtrack_put(m, S("1xW3kR-0004Qr-0c"), S(""));
	v = msgtrack_get(m, S("1xW3kR-0004Qr-0c"));
	ok(span_ok(v) && v.len == 0, "an empty value marks the id as seen");
	for (i = 0, okc = 0; i < 20; i++) {
		snprintf(id, sizeof id, "1x5dJQ-%011d-%04d", i, i);
		snprintf(snd, sizeof snd, "c%d", i % 100);
		msgtrack_put(m, S(id), S(snd));
	}
	for (i = 12; i < 20; i++) {
		snprintf(id, sizeof id, "1x5dJQ-%011d-%04d", i, i);
		snprintf(snd, sizeof snd, "c%d", i % 100);
		okc += span_eq(msgtrack_get(m, S(id)), snd);
	}
	is_int(okc, 8, "the last 8 of 20 are there, each with its own value");
	is_int((long long)msgtrack_count(m), 8, "and no more than the capacity");
	msgtrack_free(m);
	return done_testing();
}
