/* findings: how the findings of diagnose.h are shown.
 *
 *   JSON    {"since": ISO, "until": ISO, "findings": [{"kind", "verdict",
 *           "ip", "account", "owner", "domain", "events", "first", "last",
 *           "evidence": {...}, "remedy"}]} — null where a field does not
 *           apply; ip may be a network (CIDR).  Of a brief run (struct
 *           findings): first, last and evidence null
 *   table   for a person: per finding its verdict, kind, subject and
 *           events, the evidence in one line and the remedy; brief: one
 *           line per finding
 *   lines   one line per finding (report's opening)
 *
 * Log text (accounts, domains, subjects, directories) is hostile: JSON
 * escapes it (json.h), the table and lines replace control characters and
 * invalid UTF-8 (terminal escape sequences). */
#ifndef EW_FINDINGS_H
#define EW_FINDINGS_H
#include <stddef.h>
#include <time.h>
#include "diagnose.h"
#include "sbuf.h"

void findings_json(const struct findings *f, time_t since, time_t until,
    struct sbuf *out);
/* finding_json: one finding's object */
void finding_json(const struct finding *f, struct sbuf *out);
/* findings_table: width is the terminal's (0: 80); color: ANSI */
void findings_table(const struct findings *f, time_t since, time_t until,
    int width, int color, struct sbuf *out);
/* findings_lines: at most max findings (0: all), one line each, cut to
 * width, each starting with indent spaces */
void findings_lines(const struct findings *f, size_t max, size_t indent,
    int width, struct sbuf *out);
/* finding_subject: "account from ip", "ip", "domain" or "owner" (plain,
 * unescaped) */
void finding_subject(const struct finding *f, struct sbuf *out);
/* finding_remedy_text: the remedy with the finding's domain filled in
 * (plain, unescaped) */
void finding_remedy_text(const struct finding *f, struct sbuf *out);
/* term_safe: s for a terminal (control characters and invalid UTF-8 as
 * '?'), at most maxw columns (0: no limit, else cut with '…'); columns */
size_t term_safe(struct sbuf *b, const char *s, size_t maxw);

#endif
