/* fuzz_rules: arbitrary bytes as a rule file — the YAML loader, the rule
 * checks and PCRE2 compilation must report errors, never crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[64];
	static const char *dirs[2];
	char path[128];
	struct rules_source src = { 0 };
	struct diag d;
	struct rules *r;
	FILE *fp;

	if (!dir[0]) {
		snprintf(dir, sizeof dir, "/tmp/fuzz_rules.%d", (int)getpid());
		mkdir(dir, 0700);
		dirs[0] = dir;
	}
	snprintf(path, sizeof path, "%s/f.yaml", dir);
	if ((fp = fopen(path, "wb")) == NULL)
		return 0;
	fwrite(data, 1, size, fp);
	fclose(fp);
	src.dirs = dirs;
	src.no_builtin = 1;
	diag_init(&d);
	r = rules_load(&src, &d);
	rules_free(r);
	diag_release(&d);
	return 0;
}
