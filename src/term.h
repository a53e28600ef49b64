/* term: text for a terminal.
 *
 * Log text (HELO, sender, set_id, rcpt), HTTP responses of sinks and file
 * names may hold escape sequences: a C0 control (ESC), DEL, or a C1 control
 * (U+0080..U+009F, e.g. "\xc2\x9b", the one-byte CSI that many terminals
 * obey), or bytes that are not UTF-8.  Whatever eximwatch prints to a person
 * goes through one of these, so none of that reaches the terminal:
 *   term_text()    replaces each such character with '?' (tables);
 *   term_escape()  writes it as \xNN (the rule tester, which shows lines as
 *                  they are).
 * Valid UTF-8 other than the C1 range is kept. */
#ifndef EW_TERM_H
#define EW_TERM_H
#include <stddef.h>
#include "sbuf.h"

/* term_text: s made safe (see above), at most maxw columns (0 = no limit),
 * cut with "…".  Returns the columns written, counting one per character
 * (right for ASCII, Latin and the block characters we print ourselves). */
size_t term_text(struct sbuf *b, const char *s, size_t maxw);
/* term_textn: the same for s[0..n), which may hold NUL bytes */
size_t term_textn(struct sbuf *b, const char *s, size_t n, size_t maxw);
/* term_width_of: the columns term_text() would use */
size_t term_width_of(const char *s, size_t maxw);
/* term_escape: s[0..n) with every control, C1 or invalid byte as \xNN
 * (tabs kept when keep_tab) */
void term_escape(struct sbuf *b, const char *s, size_t n, int keep_tab);
/* term_clean: in place, each unsafe byte of a NUL-terminated string becomes
 * '?' (a C1 character's two bytes become "??"; tabs kept when keep_tab), so
 * byte offsets stay; for fixed buffers and source lines under a caret */
void term_clean(char *s, int keep_tab);

/* term_width: the columns of standard output when it is a terminal, else
 * $COLUMNS, else 80 */
int term_width(void);
/* term_color: 1 when standard output is a terminal that takes colour
 * (TERM set and not "dumb", NO_COLOR unset or empty) */
int term_color(void);

#endif
