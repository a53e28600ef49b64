/* diag: collected errors with positions (see diag.h) */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "log.h"
#include "redact.h"
#include "sbuf.h"
#include "term.h"
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

/* in file order: by file (items without one last), line, column; stable */
static int cmp_item(const struct diag_item *a, const struct diag_item *b)
{
	int c;

	if ((a->file == NULL) != (b->file == NULL))
		return a->file == NULL ? 1 : -1;
	if (a->file && (c = strcmp(a->file, b->file)) != 0)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return 0;
}

void diag_sort(struct diag *d)
{
	struct diag_item t;
	size_t i, j;

	/* insertion sort: stable, and the lists are short */
	for (i = 1; i < d->n; i++) {
		t = d->items[i];
		for (j = i; j > 0 && cmp_item(&d->items[j - 1], &t) > 0; j--)
			d->items[j] = d->items[j - 1];
		d->items[j] = t;
	}
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

/* item_text: "file:line:col: msg" of one item, made safe: the message may
 * quote configuration text, so URLs lose their paths and passwords
 * (redact.h), and no control character reaches the terminal (term.h) */
static void item_text(const struct diag_item *it, struct sbuf *b)
{
	size_t from;

	if (it->file && it->line > 0)
		sbuf_addf(b, "%s:%d:%d: ", it->file, it->line,
		    it->col > 0 ? it->col : 1);
	else if (it->file)
		sbuf_addf(b, "%s: ", it->file);
	from = b->len;
	redact_urls(b, it->msg);
	term_clean(b->s + from, 0);
}

void diag_print(const struct diag *d, FILE *fp)
{
	char src[512];
	struct sbuf b;
	size_t i;
	int c, col;

	sbuf_init(&b);
	for (i = 0; i < d->n; i++) {
		const struct diag_item *it = &d->items[i];

		sbuf_reset(&b);
		if (it->file == NULL)
			sbuf_adds(&b, "eximwatch: ");
		item_text(it, &b);
		fprintf(fp, "%s\n", b.s);
		if (!it->file || !source_line(it->file, it->line, src, sizeof src))
			continue;
		/* the line as it is in the file, but without the secrets it
		 * may hold (url: https://hooks.slack.com/services/...) */
		sbuf_reset(&b);
		col = it->col;
		redact_line(&b, src, &col);
		term_clean(b.s, 1);
		fprintf(fp, "  %s\n  ", b.s);
		for (c = 1; c < col && c <= (int)b.len; c++) {
			unsigned char ch = (unsigned char)b.s[c - 1];

			if ((ch & 0xc0) == 0x80)
				continue;       /* one column per character */
			fputc(ch == '\t' ? '\t' : ' ', fp);
		}
		fputs("^\n", fp);
	}
	sbuf_release(&b);
}

void diag_log(const struct diag *d, size_t from)
{
	struct sbuf b;
	size_t i;

	sbuf_init(&b);
	for (i = from; i < d->n; i++) {
		sbuf_reset(&b);
		item_text(&d->items[i], &b);
		log_warnx("%s", b.s);
	}
	sbuf_release(&b);
}
