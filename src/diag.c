/* diag: collected errors with positions (see diag.h) */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "xmalloc.h"

void diag_init(struct diag *d)
{
	d->items = NULL;
	d->n = d->cap = 0;
}

void diag_release(struct diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->items[i].file);
		free(d->items[i].msg);
	}
	free(d->items);
	diag_init(d);
}

void diag_add(struct diag *d, const char *file, int line, int col,
    const char *fmt, ...)
{
	struct diag_item *it;
	va_list ap;

	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->items = xreallocarray(d->items, d->cap, sizeof *d->items);
	}
	it = &d->items[d->n++];
	it->file = file ? xstrdup(file) : NULL;
	it->line = line;
	it->col = col;
	va_start(ap, fmt);
	if (vasprintf(&it->msg, fmt, ap) < 0)
		it->msg = xstrdup("(out of memory formatting a message)");
	va_end(ap);
}

/* source_line: line `line` of file into buf, 0 if unavailable.  Embedded
 * files ("<builtin>/...") and unreadable files simply show no excerpt. */
static int source_line(const char *file, int line, char *buf, size_t len)
{
	FILE *fp;
	int n = 0;

	if (file == NULL || line <= 0 || file[0] == '<')
		return 0;
	if ((fp = fopen(file, "r")) == NULL)
		return 0;
	while (fgets(buf, (int)len, fp) != NULL) {
		size_t l = strlen(buf);
		int whole = l > 0 && buf[l - 1] == '\n';

		if (whole)
			buf[l - 1] = '\0';
		if (++n == line) {
			fclose(fp);
			return 1;
		}
		/* skip the rest of an overlong line */
		while (!whole && fgets(buf, (int)len, fp) != NULL) {
			l = strlen(buf);
			whole = l > 0 && buf[l - 1] == '\n';
		}
	}
	fclose(fp);
	return 0;
}

void diag_print(const struct diag *d, FILE *fp)
{
	char src[512];
	size_t i;
	int c;

	for (i = 0; i < d->n; i++) {
		const struct diag_item *it = &d->items[i];

		if (it->file && it->line > 0)
			fprintf(fp, "%s:%d:%d: %s\n", it->file, it->line,
			    it->col > 0 ? it->col : 1, it->msg);
		else if (it->file)
			fprintf(fp, "%s: %s\n", it->file, it->msg);
		else
			fprintf(fp, "eximwatch: %s\n", it->msg);
		if (it->file && source_line(it->file, it->line, src, sizeof src)) {
			fprintf(fp, "  %s\n  ", src);
			for (c = 1; c < it->col && c < (int)sizeof src; c++)
				fputc(src[c - 1] == '\t' ? '\t' : ' ', fp);
			fputs("^\n", fp);
		}
	}
}
