/* eximlog: splitting one Exim main-log line into its prefix and fields.
 *
 * Grammar (see docs/DESIGN.md and Exim's log.c):
 *   <YYYY-MM-DD HH:MM:SS>[.ms][ +hhmm][ [pid]][ <msgid>] <body>
 * also wrapped by syslog: "Mon DD HH:MM:SS host exim[pid]: <line or body>",
 * "YYYY-MM-DD HH:MM:SS host exim[pid]: ...", ISO 8601 stamps, and
 * "host exim[pid]: ..." (journal).  A physical line that does not start
 * with a time stamp is a continuation (or junk) and has no body.
 *
 * Nothing here allocates: every result points into the caller's line, which
 * must stay valid and must have 8 readable bytes after its end (the readers
 * guarantee that padding). */
#ifndef EW_EXIMLOG_H
#define EW_EXIMLOG_H
#include <stdint.h>
#include <stddef.h>
#include "span.h"

enum eximlog_kind {
	EXIMLOG_ENTRY = 0,        /* body found */
	EXIMLOG_CONTINUATION,     /* starts with white space, or no time stamp */
	EXIMLOG_EMPTY,
};

enum {
	EXIMLOG_F_SYSLOG = 1 << 0,    /* was wrapped by syslog */
	EXIMLOG_F_SPLIT  = 1 << 1,    /* syslog [n/m] part (only part 1 has a body) */
	EXIMLOG_F_BINARY = 1 << 2,    /* contains NUL or other control bytes */
};

struct eximlog_line {
	int64_t ts;            /* Unix time (local time converted), -1 unknown */
	int ms;                /* milliseconds, -1 if absent */
	long pid;              /* -1 if absent */
	int flags;
	struct span msgid;     /* absent on connection-level lines */
	struct span body;      /* the text after prefix and message id */
};

/* Time stamps are converted with a small per-reader cache (mktime is slow and
 * consecutive lines share their minute).  Caller-owned; zero it to init. */
struct eximlog_clock {
	char key[16];          /* "YYYY-MM-DD HH:MM" of the cached minute */
	int64_t minute;        /* Unix time of key:00, local time */
	int tz_off;            /* seconds east of UTC for an explicit +hhmm, or INT32_MIN */
	int year_hint;         /* for syslog stamps without a year; 0 = current */
	/* local time, per hour: key[0..13) "YYYY-MM-DD HH" of the cached hour,
	 * the Unix time of its minute 0, and whether its 60 minutes are
	 * evenly spaced (no UTC offset change inside the hour) */
	char hkey[13];
	int64_t hour;
	int hour_even;
};

/* eximlog_parse: fill `out` from line[0..len) (no newline). */
enum eximlog_kind eximlog_parse(struct eximlog_clock *clk, const char *line,
    size_t len, struct eximlog_line *out);

/* The client host: "[rdns ][(helo) ][ip][:port]" in text such as the part
 * after "H=", "from " or "for ".  The IP is taken only where Exim puts the
 * client address: "[ip]" at the start, after the first word (rdns), after
 * ") " or after a word-initial "H=" (alone or with a name), and only a
 * valid IPv4/IPv6 address.  The HELO before the address may hold any text,
 * quotes and fake hosts included (cPanel accepts junk), so nothing hides a
 * candidate, quoted or not: if the text holds two or more candidates with
 * different addresses, the host is ambiguous, ip is left absent and
 * `ambiguous` is set.  An injected address can make an event IP-less, never
 * move it to another address, provided the text reaches the real address
 * (a rule's host capture must end at the last possible ']': docs/RULES.md).
 * `end` is the offset in s just past the last candidate (and its :port), 0
 * if none: the fields Exim writes after the host start there. */
struct eximlog_host {
	struct span ip, port, helo, rdns;
	int ambiguous;
	size_t end;
};
void eximlog_host_parse(const char *s, size_t len, struct eximlog_host *h);

/* eximlog_default_host: where the host is in a body when a rule does not
 * capture it: the "H=" that starts the body, else the first " H=" (quoted
 * or not), up to the end of the body.  Absent span if none. */
struct span eximlog_default_host(struct span body);

/* eximlog_fields: the fields Exim writes right after a client host, at
 * the start of rest (the text just after the host): the run of " KEY=value"
 * words (a value may be a "quoted string" or an <address>) and of the flags
 * among them (L, K, PRDR, TFO*, ...), up to the first other word, such as
 * "rejected".  F=, A= and friends are looked for there only: the text after
 * it (an ACL message) may repeat the HELO, fake tags included. */
struct span eximlog_fields(struct span rest);

/* eximlog_tag: the value of a tag like "F=<", " A=", "set_id=" in body,
 * found outside double quotes.  "F=<" returns the text up to the matching '>'
 * (without brackets), other tags up to the next space.  Callers pass the
 * part of the body after the client host (the HELO may fake any tag). */
struct span eximlog_tag(struct span body, const char *tag);

/* eximlog_arrival_rcpt: the first address of the "for a b c" list of a "<="
 * line (after any T="subject"), absent if none */
struct span eximlog_arrival_rcpt(struct span body);

/* eximlog_delivery_rcpt: for "=>"/"->"/"**"/"==" bodies, the original
 * recipient "<orig>" if shown, else the address after the operator (without
 * the ':' of 4.96 "** addr: reason"); ":blackhole:" and ":fail:" are no
 * recipient: their "<orig>" if shown, else absent */
struct span eximlog_delivery_rcpt(struct span body);

/* eximlog_ip_valid: 1 if s[0..len) is an IPv4 or IPv6 address */
int eximlog_ip_valid(const char *s, size_t len);

#endif
