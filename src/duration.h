/* duration: parsing the times and durations the CLI and config accept.
 *
 * Durations: "90s", "30m", "1h", "7d", "2w", also combined ("1h30m"); a bare
 * number is seconds.  Times: a duration (meaning that long before now), an
 * absolute local time "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]", ISO 8601
 * "YYYY-MM-DDTHH:MM[:SS][.fff](Z|+hh:mm|+hhmm)", "@<unix seconds>", "now",
 * and "all" (the epoch).  Return 0 on success, -1 on a syntax error. */
#ifndef EW_DURATION_H
#define EW_DURATION_H
#include <stdint.h>
#include <time.h>

int duration_parse(const char *s, int64_t *secs);
int time_parse(const char *s, time_t now, time_t *out);
/* time_iso: "2026-11-22T08:00:00Z" (UTC) into buf (>= 21 bytes) */
char *time_iso(time_t t, char *buf, size_t len);
/* duration_format: "1h30m", "45s", "7d" into buf */
char *duration_format(int64_t secs, char *buf, size_t len);
/* duration_span: a window's length for people, its two largest units,
 * rounded ("2465d9h", not "2465d8h50m57s"), into buf */
char *duration_span(int64_t secs, char *buf, size_t len);
/* time_window: "2026-11-22 08:00 → 09:00 (1h)" in local time into buf
 * (>= 80 bytes); join is the text between the two times, the length in
 * brackets only with with_len */
char *time_window(time_t since, time_t until, const char *join,
    int with_len, char *buf, size_t len);

#endif
