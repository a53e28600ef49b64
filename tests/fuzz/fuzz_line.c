/* fuzz_line: one log line through the whole per-line path — prefix parser,
 * shipped rules, account and host extraction, every field — must never
 * crash, hang or read out of bounds, whatever the bytes.
 * libFuzzer entry point; `make fuzz` builds it with clang. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "pipeline.h"
#include "rules.h"

static struct rules *R;
static struct pipeline *P;

static void on_event(void *arg, const struct event *cev,
    const struct eximlog_line *ln, const char *line, size_t len)
{
	struct event ev = *cev;

	(void)arg;
	(void)line;
	(void)len;
	rules_event_fields(R, ln, &ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;
	struct diag d;

	if (R == NULL) {
		diag_init(&d);
		R = rules_load(NULL, &d);
		if (R == NULL)
			abort();
		P = pipeline_new(R, NULL);
		pipeline_on_event(P, on_event, NULL);
	}
	/* the readers guarantee padding after every line */
	buf = malloc(size + 16);
	memcpy(buf, data, size);
	memset(buf + size, 0, 16);
	pipeline_line(P, buf, size, 0);
	free(buf);
	return 0;
}
