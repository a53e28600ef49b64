/* fuzz_config: arbitrary bytes as eximwatch.yaml — errors, never a crash. */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct config c;
	struct diag d;
	FILE *fp;

	if (!path[0])
		snprintf(path, sizeof path, "/tmp/fuzz_config.%d.yaml", (int)getpid());
	if ((fp = fopen(path, "wb")) == NULL)
		return 0;
	fwrite(data, 1, size, fp);
	fclose(fp);
	diag_init(&d);
	config_load(&c, path, 0, &d);
	config_release(&c);
	diag_release(&d);
	return 0;
}
