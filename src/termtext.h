/* termtext: log text made safe for a terminal.
 *
 * Log text (HELO, set_id, sender, whole log lines) is attacker-controlled
 * and may hold escape sequences that move the cursor, set the window title
 * or worse.  Everything printed for a person goes through here: control
 * characters (C0 but tab when asked, DEL, C1 — 0xc2 0x9b is CSI) and
 * invalid UTF-8 become '?'; valid UTF-8 is kept. */
#ifndef EW_TERMTEXT_H
#define EW_TERMTEXT_H
#include <stddef.h>
#include "sbuf.h"

/* termtext_add: s[0..n) made safe, at most maxw columns (0 = no limit), cut
 * with an ellipsis.  Returns the columns written, counting one per
 * character (right for ASCII, Latin and the block characters we print). */
size_t termtext_add(struct sbuf *b, const char *s, size_t n, size_t maxw);
/* termtext_width: the columns termtext_add() would write for s */
size_t termtext_width(const char *s, size_t maxw);

#endif
