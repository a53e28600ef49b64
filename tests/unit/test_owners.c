/* test_owners: /etc/userdomains parsing and lookups (src/owners.c) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "owners.h"
#include "tap.h"

static const char *look(const struct owners *o, const char *account)
{
	return owners_lookup(o, account, strlen(account));
}

int main(void)
{
	char dir[] = "/tmp/ewowners.XXXXXX", path[256], missing[256];
	struct owners *o;
	struct diag d;
	FILE *fp;
	int i;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof path, "%s/userdomains", dir);
	snprintf(missing, sizeof missing, "%s/nope", dir);
	fp = fopen(path, "w");
	fputs("# cPanel userdomains\n"
	    "example.com: exuser\n"
	    "  Other.ORG :other   \n"
	    "shop.example.net:\tshopper\r\n"
	    "addon.test: exuser # an addon domain\n"
	    "\n"
	    "   \n"
	    "*: nobody\n"
	    "no colon here\n"
	    "two words: a b\n"
	    ": nobodyhome\n"
	    "empty.test:\n"
	    "dotted.test.: dot\n", fp);
	for (i = 0; i < 500; i++)
		fprintf(fp, "d%d.example: u%d\n", i, i % 7);
	fclose(fp);

	diag_init(&d);
	o = owners_load(path, &d);
	ok(o != NULL && d.n == 0, "load");
	is_int((long long)owners_count(o), 505, "domains counted (bad lines "
	    "and '*' skipped)");
	is_str(look(o, "bob@example.com"), "exuser", "user@domain");
	is_str(look(o, "bob@EXAMPLE.Com"), "exuser", "case-insensitive");
	is_str(look(o, "example.com"), "exuser", "bare domain");
	is_str(look(o, "bob@mail.example.com"), "exuser", "subdomain");
	is_str(look(o, "bob@a.b.mail.example.com"), "exuser",
	    "deep subdomain");
	is_str(look(o, "x@other.org"), "other", "whitespace around fields");
	is_str(look(o, "x@shop.example.net"), "shopper", "tab and CRLF");
	is_str(look(o, "x@example.net"), NULL, "parent of a listed "
	    "subdomain is not owned");
	is_str(look(o, "x@addon.test"), "exuser", "trailing comment");
	is_str(look(o, "x@dotted.test"), "dot", "trailing dot in the file");
	is_str(look(o, "x@example.com."), "exuser", "trailing dot in lookup");
	is_str(look(o, "exuser"), "exuser", "bare login that is a user");
	is_str(look(o, "EXUSER"), "exuser", "bare login, other case");
	is_str(look(o, "stranger"), NULL, "unknown login");
	is_str(look(o, "nobody"), NULL, "'*: nobody' ignored");
	is_str(look(o, "x@com"), NULL, "top-level domain alone");
	is_str(look(o, "x@notexample.com"), NULL, "suffix is not a parent");
	is_str(look(o, "x@empty.test"), NULL, "line without a user skipped");
	is_str(look(o, "x@two words"), NULL, "line with two users skipped");
	is_str(look(o, "x@d499.example"), "u2", "500 more domains (growth)");
	is_str(look(o, "\"a@b\"@example.com"), "exuser", "last '@' wins");
	is_str(look(o, "bob@"), NULL, "empty domain");
	is_str(owners_lookup(o, "bob@example.comXX", 15), "exuser",
	    "length is honoured (no NUL needed)");
	is_str(owners_lookup(o, "", 0), NULL, "empty account");
	owners_free(o);
	diag_release(&d);

	diag_init(&d);
	o = owners_load(missing, &d);
	ok(o == NULL && d.n == 1, "missing file: NULL and one diag item");
	ok(d.n == 1 && d.items[0].file && strcmp(d.items[0].file, missing) ==
	    0, "diag names the path");
	ok(d.n == 1 && strstr(d.items[0].msg, "--userdomains") != NULL,
	    "diag says what to do: %s", d.n ? d.items[0].msg : "");
	diag_release(&d);

	o = owners_new_empty();
	is_int((long long)owners_count(o), 0, "empty map");
	is_str(look(o, "bob@example.com"), NULL, "empty map has no owner");
	owners_free(o);
	is_str(owners_lookup(NULL, "a@b.c", 5), NULL, "NULL map");
	owners_free(NULL);

	unlink(path);
	rmdir(dir);
	return done_testing();
}
