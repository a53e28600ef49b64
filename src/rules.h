/* rules: the rule set — YAML files compiled to PCRE2 (JIT) — and the
 * classifier that gives a log line at most one class.
 *
 * File format: docs/RULES.md.  Loading reports every error as
 * "file:line:col: message" into a diag and returns NULL if there was any.
 * Shipped rules are embedded at build time (so the binary works from the
 * build tree); rule directories add files, a rule with the id of an earlier
 * one replaces it, and `disable` ids remove rules.
 *
 * Classification (the hot path, no allocation): the body is checked against
 * the literal prefilter; only rules whose literals are all present run their
 * regexes, in priority order; the first match wins. */
#ifndef EW_RULES_H
#define EW_RULES_H
#include <stddef.h>
#include "diag.h"
#include "event.h"
#include "eximlog.h"

struct rules;
struct rules_scratch;

struct rules_source {
	const char *const *dirs;      /* extra rule directories, NULL-terminated or NULL */
	const char *const *disable;   /* rule ids to drop, NULL-terminated or NULL */
	/* where each disable id is written (errors point there), or NULL */
	const char *disable_file;
	const int *disable_line, *disable_col;
	int no_builtin;               /* do not load the embedded shipped rules */
	/* the classes and their texts only (names, descriptions, remedies,
	 * severities, origins): no regex compiled, no prefilter built, the
	 * patterns' text and literals not checked; rules_scratch_new() and
	 * rules_classify() must not be given such rules.  The report's table
	 * of the shipped rules needs no more, and compiling the ~200 regexes
	 * with JIT was a third of a short report's own time. */
	int describe_only;
};

/* rules_load: NULL if any error (all of them in d). */
struct rules *rules_load(const struct rules_source *src, struct diag *d);
void rules_free(struct rules *r);

/* rules_jit: 1 if PCRE2 JIT is in use */
int rules_jit(const struct rules *r);

size_t rules_nclasses(const struct rules *r);
/* rules_find: class index by id, -1 if none */
int rules_find(const struct rules *r, const char *id);
const char *rules_class_name(const struct rules *r, size_t i);
const char *rules_description(const struct rules *r, size_t i);
const char *rules_remedy(const struct rules *r, size_t i);
const char *rules_severity(const struct rules *r, size_t i);
/* rules_origin: "file:line" where the rule was defined */
const char *rules_origin(const struct rules *r, size_t i);
/* rules_class_names: array of nclasses names (borrowed) */
const char *const *rules_class_names(const struct rules *r);

/* Per-thread match state (PCRE2 match data); create once, reuse per line. */
struct rules_scratch *rules_scratch_new(const struct rules *r);
void rules_scratch_free(struct rules_scratch *s);

/* rules_classify: the class index (and ev filled) or -1 if no rule matched.
 * ev->f[] holds captures and parser fields; ev->account is chosen per the
 * rule; FIELD_MSG_SENDER is left to the caller (pipeline). */
int rules_classify(const struct rules *r, struct rules_scratch *s,
    const struct eximlog_line *line, struct event *ev);

/* rules_event_fields: fill every field the rule did not capture from the
 * parser (sender, rcpt, auth, set_id, host parts) — for displays and alerts;
 * counting needs only what rules_classify() fills */
void rules_event_fields(const struct rules *r, const struct eximlog_line *ln,
    struct event *ev);

/* rules_scratch_defer_host: with on, rules_classify() leaves the client
 * host unparsed: ev->f[FIELD_HOST] holds its text and ev->host_deferred is
 * set (unless the rule captured the ip itself, or has none), for the
 * caller to parse with eximlog_host_parse() later, on another thread (scan
 * counts on its writer thread).  The fields of rules_event_fields() are
 * not deferred. */
void rules_scratch_defer_host(struct rules_scratch *s, int on);

/* rules_scratch_suspicious: after rules_classify() returned -1, 1 if the line
 * holds a word like "rejected", "refused", "authenticator failed", "dropped"
 * or "error" (a rejection no rule knows: shown by `test`, counted in stats)
 * and no 'ignore' pattern of the rule files matches it (a line known not to
 * be an event, such as the reason line logged before a rejection) */
int rules_scratch_suspicious(const struct rules_scratch *s);

/* rules_once_per_message: 1 if class i counts once per message id (its rule
 * has once_per_message: true; the pipeline drops the repeats) */
int rules_once_per_message(const struct rules *r, size_t i);

/* rules_wants_msg_sender: 1 if class i takes its account from the sender of
 * the message (msgid table) */
int rules_wants_msg_sender(const struct rules *r, size_t i);

#endif
