/* capture.h: what a unit test's code writes to stderr (eximwatch's log),
 * captured, so that a passing test prints nothing outside TAP and an
 * expected message is checked instead of shown (header only).
 *
 *   capture_begin();              stderr goes into a temporary file
 *   char *text = capture_end();   stderr back; the text (caller frees),
 *                                 also echoed as TAP comments ("# ...")
 *
 * Nothing nests; a test that fails still shows what was captured. */
#ifndef EW_CAPTURE_H
#define EW_CAPTURE_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int capture_saved = -1;
static FILE *capture_fp;

static inline void capture_begin(void)
{
	fflush(stderr);
	if ((capture_fp = tmpfile()) == NULL)
		return;
	capture_saved = dup(STDERR_FILENO);
	dup2(fileno(capture_fp), STDERR_FILENO);
}

static inline char *capture_end(void)
{
	char *text;
	long n;

	fflush(stderr);
	if (capture_fp == NULL)
		return strdup("");
	dup2(capture_saved, STDERR_FILENO);
	close(capture_saved);
	capture_saved = -1;
	n = ftell(capture_fp);
	text = calloc(1, n > 0 ? (size_t)n + 1 : 1);
	if (text && n > 0) {
		rewind(capture_fp);
		if (fread(text, 1, (size_t)n, capture_fp) != (size_t)n)
			text[0] = '\0';
	}
	fclose(capture_fp);
	capture_fp = NULL;
	for (char *p = text, *e; p && *p; p = e + 1) {
		e = strchrnul(p, '\n');
		printf("# stderr: %.*s\n", (int)(e - p), p);
		if (!*e)
			break;
	}
	return text ? text : strdup("");
}

#endif
