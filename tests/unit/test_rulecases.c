/* test_rulecases: run the rule cases in tests/rules/ (*.cases; format in
 * tests/rules/README.md) through the real pipeline with the shipped rules:
 * each case's line must get the expected class and fields. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "event.h"
#include "pipeline.h"
#include "rulecases.h"
#include "rules.h"
#include "tap.h"
#include "xmalloc.h"

struct seen {
	int cls;
	char *val[FIELD_N];
};

static const struct rules *R;

static void on_event(void *arg, const struct event *cev,
    const struct eximlog_line *ln, const char *line, size_t len)
{
	struct seen *s = arg;
	struct event e = *cev, *ev = &e;
	int f;

	rules_event_fields(R, ln, ev);
	(void)line;
	(void)len;
	s->cls = ev->cls;
	for (f = 0; f < FIELD_N; f++) {
		struct span v = f == FIELD_ACCOUNT ? ev->account : ev->f[f];

		free(s->val[f]);
		s->val[f] = span_ok(v) ? xstrndup(v.p, v.len) : NULL;
	}
}

/* rule_class: the class the rules give the line by themselves (for a
 * line the pipeline does not count: a repeat), or -1 */
static int rule_class(const char *line)
{
	struct eximlog_clock clk;
	struct eximlog_line ln;
	struct rules_scratch *sc = rules_scratch_new(R);
	struct event ev;
	int cls = -1;

	memset(&clk, 0, sizeof clk);
	if (eximlog_parse(&clk, line, strlen(line), &ln) == EXIMLOG_ENTRY)
		cls = rules_classify(R, sc, &ln, &ev);
	rules_scratch_free(sc);
	return cls;
}

static void check(void *arg, const struct rulecase *k)
{
	struct pipeline *p = pipeline_new(R, NULL);
	struct pipeline_stats before;
	const struct pipeline_stats *after;
	struct seen s;
	int i, f, cls_ok, cls;
	const char *got;

	(void)arg;
	memset(&s, 0, sizeof s);
	s.cls = -1;
	for (i = 0; i < k->npre; i++)
		pipeline_line(p, k->pre[i], strlen(k->pre[i]), 0);
	s.cls = -1;
	pipeline_on_event(p, on_event, &s);
	before = *pipeline_stats(p);
	pipeline_line(p, k->line, strlen(k->line), 0);
	after = pipeline_stats(p);
	if (k->suspicious >= 0 && !is_int((long long)(after->suspicious -
	    before.suspicious), k->suspicious, "%s:%d suspicious: %s", k->file,
	    k->lineno, k->suspicious ? "yes" : "no"))
		printf("#   line: %s\n", k->line);
	if (!k->counted) {
		/* the rules give the class, the pipeline counts nothing */
		if (!ok(s.cls < 0 && after->repeats == before.repeats + 1,
		    "%s:%d not counted (a repeat)", k->file, k->lineno))
			printf("#   line: %s\n", k->line);
		cls = rule_class(k->line);
	} else {
		cls = s.cls;
	}
	got = cls >= 0 ? rules_class_name(R, (size_t)cls) : "none";
	cls_ok = is_str(got, k->cls, "%s:%d class", k->file, k->lineno);
	if (!cls_ok)
		printf("#   line: %s\n", k->line);
	for (f = 0; f < FIELD_N; f++) {
		const char *want = k->want[f];
		const char *have = s.cls >= 0 ? s.val[f] : NULL;

		if (want == NULL || !cls_ok || s.cls < 0)
			continue;
		if (strcmp(want, "-") == 0) {
			if (!ok(have == NULL || have[0] == '\0', "%s:%d %s absent",
			    k->file, k->lineno, field_name(f)))
				printf("#   got: '%s'\n#   line: %s\n", have, k->line);
		}
		else if (!is_str(have, want, "%s:%d %s", k->file, k->lineno,
		    field_name(f)))
			printf("#   line: %s\n", k->line);
	}
	for (f = 0; f < FIELD_N; f++)
		free(s.val[f]);
	pipeline_free(p);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/rules";
	struct diag d;
	struct rules *r;
	int cases;

	diag_init(&d);
	r = rules_load(NULL, &d);
	if (!ok(r != NULL, "shipped rules load")) {
		diag_print(&d, stdout);
		return done_testing();
	}
	R = r;
	cases = rulecases_each(dir, check, NULL);
	ok(cases >= 100, "at least 100 rule cases (%d)", cases);
	rules_free(r);
	diag_release(&d);
	return done_testing();
}
