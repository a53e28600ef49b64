/* test_prefilter: the literal prefilter finds every literal wherever it
 * occurs, with the SIMD scan and with the portable one (src/prefilter.c),
 * checked against memmem on random texts */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prefilter.h"
#include "tap.h"

/* the shipped rules' gates and the "suspicious" words, as of writing */
static const char *const lits[] = {
	"rate overlimit", "rejected connection in \"connect\" ACL",
	"dropped by 'connect' ACL", " has exceeded the max ",
	" has an outgoing mail ", "Hit daily email notify limit",
	"SMTP error from remote mail server after ",
	"SMTP AUTH is required for message submission", " authenticator failed for ",
	" AUTH command used when not advertised",
	" authentication mechanism not supported", ": relay not permitted",
	"Please turn on SMTP Authentication in your mail client",
	"Rejected relay attempt: ", " refused: too many connections",
	" refused: too many connections from that IP address",
	": Sender verify failed", ": Could not complete sender verify",
	": Unrouteable address", ": Unknown user", "No Such User Here",
	": Previous (cached) callout verification failure",
	"estricted characters in address", "JunkMail rejected - ",
	" is in a black list at ", "found in dnsbl ", "rejected EHLO or HELO ",
	": syntactically invalid argument(s)", "Access denied - Invalid HELO name",
	"Bad HELO - Host impersonating", ": no HELO/EHLO given",
	": rejected connection from H=", " next input=\"", " dropped: too many ",
	" unrecognized command", " dropped by 'connect' ACL",
	" (host_reject_connection)", "rejected after DATA",
	"rejected during MIME ACL checks", "rejected by local_scan()",
	": message too big: ", " P=local", "rejected", "refused",
	"authenticator failed", "dropped", " error in ", " error on ",
	" error from ", NULL
};

static uint64_t rnd_state = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* fill: random text biased to the literals' bytes, with literals (whole or
 * cut short) planted at random places */
static void fill(char *b, size_t n, const char *const *set, size_t nset)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz  ...:=-[]()\"'"
	    "ABCDEFHSTU0123456789";
	size_t i = 0;

	while (i < n) {
		if (rnd() % 8 == 0) {
			const char *l = set[rnd() % nset];
			size_t len = strlen(l), take = len;

			if (rnd() % 4 == 0)
				take = (size_t)(rnd() % len);   /* a near miss */
			if (take > n - i)
				take = n - i;
			memcpy(b + i, l, take);
			i += take;
		} else {
			b[i++] = alpha[rnd() % (sizeof alpha - 1)];
		}
	}
}

static int check(struct prefilter *pf, const char *const *set, size_t nset,
    const char *text, size_t n)
{
	uint64_t found[PREFILTER_WORDS];
	int any = prefilter_scan(pf, text, n, found), want_any = 0;
	size_t i;

	for (i = 0; i < nset; i++) {
		int want = memmem(text, n, set[i], strlen(set[i])) != NULL;
		int got = (found[i >> 6] >> (i & 63)) & 1;

		want_any |= want;
		if (want != got) {
			printf("# literal %zu '%s': want %d got %d in '%.*s'\n", i,
			    set[i], want, got, (int)n, text);
			return 0;
		}
	}
	return any == want_any;
}

static void run(const char *name, const char *const *set, size_t nset,
    int simd, int rounds)
{
	struct prefilter *pf = prefilter_new();
	/* the text ends its buffer exactly: out-of-bounds reads show under
	 * ASan */
	char *buf;
	size_t i, n, bad = 0;
	int r;

	for (i = 0; i < nset; i++)
		if (prefilter_add(pf, set[i], strlen(set[i])) != (int)i) {
			ok(0, "%s: literal %zu added", name, i);
			prefilter_free(pf);
			return;
		}
	prefilter_build(pf);
	prefilter_set_simd(pf, simd);
	if (!simd)
		ok(!prefilter_simd(pf), "%s: portable scan forced", name);
	for (r = 0; r < rounds; r++) {
		n = (size_t)(rnd() % 300);
		buf = malloc(n ? n : 1);
		fill(buf, n, set, nset);
		if (!check(pf, set, nset, buf, n))
			bad++;
		free(buf);
	}
	ok(bad == 0, "%s (%s scan): %d random texts match memmem", name,
	    prefilter_simd(pf) ? "simd" : "portable", rounds);
	prefilter_free(pf);
}

int main(void)
{
	static const char *const small[] = { "abc", "bcd", "xyz", "aaa", NULL };
	static const char *edge[] = { "rejected", "refused", "dropped", NULL };
	const char *many[PREFILTER_MAX];
	char *own[PREFILTER_MAX];
	size_t nlits = 0, nmany, i, j;
	struct prefilter *pf;
	uint64_t found[PREFILTER_WORDS];
	char line[128];

	while (lits[nlits])
		nlits++;
	run("rule literals", lits, nlits, 1, 20000);
	run("rule literals", lits, nlits, 0, 20000);
	run("short literals", small, 4, 1, 20000);
	run("short literals", small, 4, 0, 20000);
	/* the most literals there can be: random words over a small alphabet */
	for (nmany = 0; nmany < PREFILTER_MAX; nmany++) {
		size_t len = 3 + (size_t)(rnd() % 12);

		own[nmany] = malloc(len + 1);
		for (j = 0; j < len; j++)
			own[nmany][j] = (char)('a' + rnd() % 6);
		own[nmany][len] = '\0';
		for (j = 0; j < nmany; j++)
			if (strcmp(own[j], own[nmany]) == 0)
				break;
		if (j < nmany) {
			free(own[nmany]);
			nmany--;
			continue;
		}
		many[nmany] = own[nmany];
	}
	run("90 literals", many, 90, 1, 3000);
	run("256 literals", many, nmany, 1, 3000);
	run("256 literals", many, nmany, 0, 3000);
	for (i = 0; i < nmany; i++)
		free(own[i]);

	/* a literal at every offset, including the very start and end, and
	 * across the 32-byte block boundaries */
	pf = prefilter_new();
	for (i = 0; edge[i]; i++)
		prefilter_add(pf, edge[i], strlen(edge[i]));
	prefilter_build(pf);
	for (j = 0; j < 2; j++) {
		size_t bad = 0, off, len;

		prefilter_set_simd(pf, (int)j);
		for (len = 7; len < 100; len++)
			for (off = 0; off + 7 <= len; off++) {
				memset(line, '.', sizeof line);
				memcpy(line + off, "dropped", 7);
				if (!prefilter_scan(pf, line, len, found) || found[0] != 4)
					bad++;
			}
		ok(bad == 0, "literal found at every offset (%s scan)",
		    prefilter_simd(pf) ? "simd" : "portable");
	}
	ok(!prefilter_scan(pf, "droppe", 6, found) && found[0] == 0,
	    "a cut literal is not found");
	prefilter_free(pf);

	/* a literal shorter than the fingerprint, ending lines of every length */
	pf = prefilter_new();
	prefilter_add(pf, "dropped", 7);
	prefilter_add(pf, "xyz", 3);
	prefilter_build(pf);
	for (j = 0; j < 2; j++) {
		size_t bad = 0, len;

		prefilter_set_simd(pf, (int)j);
		for (len = 3; len < 120; len++) {
			char *b = malloc(len);

			memset(b, '.', len);
			memcpy(b + len - 3, "xyz", 3);
			if (!prefilter_scan(pf, b, len, found) || found[0] != 2)
				bad++;
			free(b);
		}
		ok(bad == 0, "3-byte literal at the end of every line length (%s scan)",
		    prefilter_simd(pf) ? "simd" : "portable");
	}
	prefilter_free(pf);

	/* prefilter_find against memmem, the text exactly fills its buffer */
	{
		size_t bad = 0, n, k, nn;
		int r;

		for (r = 0; r < 50000; r++) {
			const char *l = lits[rnd() % nlits];
			char *h, nd[64];

			n = (size_t)(rnd() % 300);
			h = malloc(n ? n : 1);
			fill(h, n, lits, nlits);
			nn = 1 + (size_t)(rnd() % 40);
			k = strlen(l);
			if (nn > k)
				nn = k;
			memcpy(nd, l + (rnd() % (k - nn + 1)), nn);
			if (prefilter_find(h, n, nd, nn) != memmem(h, n, nd, nn))
				bad++;
			free(h);
		}
		ok(bad == 0, "prefilter_find agrees with memmem on 50000 texts");
	}
	/* needles that begin or end with spaces, or are only spaces (the
	 * search probes the first and last bytes that are not), in texts of
	 * spaces and a few letters */
	{
		static const char *const nds[] = { " ", "  ", "   ", " a", "a ",
		    " a ", "  ab  ", " b a ", "a  b", "    a", "ab     " };
		size_t bad = 0, n, k, nl;
		int r;

		for (r = 0; r < 50000; r++) {
			const char *nd = nds[rnd() % (sizeof nds / sizeof nds[0])];
			char *h;

			n = (size_t)(rnd() % 100);
			h = malloc(n ? n : 1);
			for (k = 0; k < n; k++)
				h[k] = rnd() % 3 ? ' ' : (char)('a' + rnd() % 2);
			nl = strlen(nd);
			if (prefilter_find(h, n, nd, nl) != memmem(h, n, nd, nl))
				bad++;
			free(h);
		}
		ok(bad == 0, "prefilter_find agrees with memmem on space-heavy texts");
	}
	return done_testing();
}
