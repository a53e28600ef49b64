/* eximlog: prefix and field parsing for Exim main-log lines (see eximlog.h)
 *
 * Hot path: eximlog_parse() runs on every line and must stay cheap and
 * allocation-free.  The host/field helpers run only for lines a rule
 * matched. */
#include <arpa/inet.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "eximlog.h"

#define D(c) ((unsigned)((c) - '0') <= 9)

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static inline uint64_t load64(const char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* digit_bytes: 0x80 in each byte of v that is an ASCII digit (v must have
 * no byte >= 0x80: then the additions carry into no other byte) */
static inline uint64_t digit_bytes(uint64_t v)
{
	return (v + (0x80 - '0') * ONES) & ~(v + (0x80 - '9' - 1) * ONES) & HIGHS;
}

/* "YYYY-MM-DD HH:MM:SS" (sep = ' ' or 'T') at p, n bytes available: three
 * overlapping 8-byte words (0-7, 8-15, 11-18), digits where digits go and
 * the separators in place */
static int is_stamp(const char *p, size_t n, char sep)
{
	/* byte i of a word is bits 8i..8i+7 (little endian) */
	static const uint64_t dig0 = 0x0080800080808080ULL;   /* YYYY-MM- */
	static const uint64_t dig1 = 0x8080008080008080ULL;   /* DD HH:MM */
	static const uint64_t dig2 = 0x8080008080008080ULL;   /* HH:MM:SS (11-18) */
	uint64_t a, b, c;

	if (n < 19)
		return 0;
	a = load64(p);
	b = load64(p + 8);
	c = load64(p + 11);
	if ((a | b | c) & HIGHS)
		return 0;
	if (p[4] != '-' || p[7] != '-' || p[10] != sep || p[13] != ':' ||
	    p[16] != ':')
		return 0;
	return (digit_bytes(a) & dig0) == dig0 && (digit_bytes(b) & dig1) == dig1 &&
	    (digit_bytes(c) & dig2) == dig2;
}

#else
/* "YYYY-MM-DD HH:MM:SS" (sep = ' ' or 'T') at p, n bytes available */
static int is_stamp(const char *p, size_t n, char sep)
{
	return n >= 19 && D(p[0]) && D(p[1]) && D(p[2]) && D(p[3]) &&
	    p[4] == '-' && D(p[5]) && D(p[6]) && p[7] == '-' && D(p[8]) &&
	    D(p[9]) && p[10] == sep && D(p[11]) && D(p[12]) && p[13] == ':' &&
	    D(p[14]) && D(p[15]) && p[16] == ':' && D(p[17]) && D(p[18]);
}

#endif

static int num2(const char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* civil_time: Unix time of a date and time (mon 0-11) as local time, or
 * as UTC */
static int64_t civil_time(int year, int mon, int mday, int hour, int min,
    int utc)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = year - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = mday;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_isdst = -1;
	return utc ? (int64_t)timegm(&tm) : (int64_t)mktime(&tm);
}

/* minute_time: Unix time of "YYYY-MM-DD HH:MM" as local time (or with an
 * explicit UTC offset), cached per minute string.  Local time is also
 * cached per hour: mktime() costs a stat() of /etc/localtime in glibc, once
 * per minute of log was a few percent of the parse.  An hour whose minutes
 * are not evenly spaced (an offset change at :30, Lord Howe Island) falls
 * back to mktime() per minute. */
static int64_t minute_time(struct eximlog_clock *clk, const char *p, int tz_off)
{
	int64_t t;
	int year, mon, mday, hour, min;

	if (memcmp(clk->key, p, 16) == 0 && clk->tz_off == tz_off)
		return clk->minute;
	year = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + num2(p + 2);
	mon = num2(p + 5) - 1;
	mday = num2(p + 8);
	hour = num2(p + 11);
	min = num2(p + 14);
	if (mon < 0 || mon > 11 || mday < 1 || mday > 31 || hour > 23 || min > 59)
		return -1;
	if (tz_off != INT_MIN) {
		t = civil_time(year, mon, mday, hour, min, 1) - tz_off;
	} else {
		if (memcmp(clk->hkey, p, 13) != 0) {
			clk->hour = civil_time(year, mon, mday, hour, 0, 0);
			clk->hour_even = civil_time(year, mon, mday, hour, 59, 0) ==
			    clk->hour + 59 * 60;
			memcpy(clk->hkey, p, 13);
		}
		if (clk->hour_even)
			t = clk->hour + min * 60;
		else
			t = civil_time(year, mon, mday, hour, min, 0);
	}
	memcpy(clk->key, p, 16);
	clk->tz_off = tz_off;
	clk->minute = t;
	return t;
}

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

/* "Mon DD HH:MM:SS" (BSD syslog), day space-padded or not */
static int is_bsd_stamp(const char *p, size_t n, int *mon)
{
	const char *m;

	if (n < 15 || p[3] != ' ' || p[6] != ' ' || p[9] != ':' || p[12] != ':')
		return 0;
	for (m = months; *m; m += 3)
		if (memcmp(p, m, 3) == 0)
			break;
	if (!*m)
		return 0;
	if (!(D(p[4]) || p[4] == ' ') || !D(p[5]) || !D(p[7]) || !D(p[8]) ||
	    !D(p[10]) || !D(p[11]) || !D(p[13]) || !D(p[14]))
		return 0;
	*mon = (int)(m - months) / 3;
	return 1;
}

static int64_t bsd_time(struct eximlog_clock *clk, const char *p, int mon)
{
	char buf[32];
	time_t now = time(NULL);
	struct tm tm;
	int year;
	int64_t t;

	/* no year in the stamp: the current one, or last year when that would
	 * put the line more than a day in the future (logs read in January) */
	localtime_r(&now, &tm);
	year = clk->year_hint ? clk->year_hint : tm.tm_year + 1900;
	snprintf(buf, sizeof buf, "%04d-%02d-%c%c %c%c:%c%c", year % 10000,
	    mon + 1, p[4] == ' ' ? '0' : p[4], p[5], p[7], p[8], p[10], p[11]);
	t = minute_time(clk, buf, INT_MIN);
	if (t > (int64_t)now + 86400 && !clk->year_hint) {
		snprintf(buf, sizeof buf, "%04d-%02d-%c%c %c%c:%c%c",
		    (year - 1) % 10000, mon + 1, p[4] == ' ' ? '0' : p[4], p[5],
		    p[7], p[8], p[10], p[11]);
		t = minute_time(clk, buf, INT_MIN);
	}
	return t < 0 ? -1 : t + num2(p + 13);
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* alnum_bytes: 0x80 in each byte of v that is an ASCII letter or digit (no
 * byte of v >= 0x80) */
static inline uint64_t alnum_bytes(uint64_t v)
{
	uint64_t d = digit_bytes(v);
	uint64_t l = v | 0x2020202020202020ULL;   /* letters folded to lower case */
	uint64_t a = (l + (0x80 - 'a') * ONES) & ~(l + (0x80 - 'z' - 1) * ONES);

	return (d | a) & HIGHS;
}

static int is_msgid(const char *p, size_t n)
{
	/* base 62 but for the dashes: words 0-7 and 8-15 (16-character id,
	 * dashes at 6 and 13) or 0-7, 8-15, 15-22 (23 characters, dashes at 6
	 * and 18) */
	uint64_t a, b, c;

	if (n >= 17 && p[6] == '-' && p[13] == '-' && p[16] == ' ') {
		a = load64(p);
		b = load64(p + 8);
		if ((a | b) & HIGHS)
			return 0;
		/* byte i of a word is its bits 8i..8i+7 (little endian) */
		if ((alnum_bytes(a) & 0x8000808080808080ULL) == 0x8000808080808080ULL &&
		    (alnum_bytes(b) & 0x8080008080808080ULL) == 0x8080008080808080ULL)
			return 16;
		return 0;
	}
	if (n >= 24 && p[6] == '-' && p[18] == '-' && p[23] == ' ') {
		a = load64(p);
		b = load64(p + 8);
		c = load64(p + 15);
		if ((a | b | c) & HIGHS)
			return 0;
		if ((alnum_bytes(a) & 0x8000808080808080ULL) == 0x8000808080808080ULL &&
		    alnum_bytes(b) == HIGHS &&
		    (alnum_bytes(c) & 0x8080808000808080ULL) == 0x8080808000808080ULL)
			return 23;
		return 0;
	}
	return 0;
}

#else
static int is_msgid(const char *p, size_t n)
{
	/* constant (the lazily filled table was a data race with threads) */
	static const unsigned char b62[256] = {
		['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1,
	};
	size_t i;

	if (n >= 17 && p[6] == '-' && p[13] == '-' && p[16] == ' ') {
		for (i = 0; i < 16; i++)
			if (i != 6 && i != 13 && !b62[(unsigned char)p[i]])
				return 0;
		return 16;
	}
	if (n >= 24 && p[6] == '-' && p[18] == '-' && p[23] == ' ') {
		for (i = 0; i < 23; i++)
			if (i != 6 && i != 18 && !b62[(unsigned char)p[i]])
				return 0;
		return 23;
	}
	return 0;
}

#endif

/* has_exim: "exim" in p[0..n) (a syslog tag: a few bytes, memmem costs more
 * to set up than this loop takes) */
static int has_exim(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 4 <= n; i++)
		if (p[i] == 'e' && p[i + 1] == 'x' && p[i + 2] == 'i' && p[i + 3] == 'm')
			return 1;
	return 0;
}

/* syslog_tag: at p, "host tag[pid]: " or "host tag: " where tag mentions
 * exim; returns the length up to the message, 0 if not a syslog wrapper.
 * With host == 0 the host token is not expected (journal "exim[1]: "). */
static size_t syslog_tag(const char *p, size_t n, int host, long *pid)
{
	size_t i = 0, t;

	if (host) {
		/* a host name: no '=', '(' or '<' (those are Exim body text) */
		while (i < n && p[i] != ' ' && p[i] != '=' && p[i] != '(' &&
		    p[i] != '<' && i < 256)
			i++;
		if (i == 0 || i >= n || p[i] != ' ')
			return 0;
		i++;
	}
	t = i;
	while (i < n && p[i] != ' ' && p[i] != '[' && p[i] != ':' && i - t < 64)
		i++;
	if (i - t < 4 || !has_exim(p + t, i - t))
		return 0;
	if (i < n && p[i] == '[') {
		long v = 0;
		size_t d0 = ++i;

		/* at most 9 digits count (Linux pids have 7): a longer number
		 * is no pid, and must not overflow a long */
		for (; i < n && D(p[i]); i++)
			if (i - d0 < 9)
				v = v * 10 + (p[i] - '0');
		if (i >= n || p[i] != ']')
			return 0;
		i++;
		*pid = i - 1 - d0 <= 9 ? v : -1;
	}
	if (i + 1 >= n || p[i] != ':' || p[i + 1] != ' ')
		return 0;
	return i + 2;
}

/* exim_line: the Exim part "<stamp>[.ms][ +hhmm][ [pid]][ msgid] body" */
static enum eximlog_kind exim_line(struct eximlog_clock *clk, const char *p,
    size_t n, struct eximlog_line *out)
{
	size_t i = 19;
	int tz = INT_MIN;
	int64_t m;
	size_t k;

	if (i + 4 <= n && p[i] == '.' && D(p[i + 1]) && D(p[i + 2]) && D(p[i + 3])) {
		out->ms = (p[i + 1] - '0') * 100 + num2(p + i + 2);
		i += 4;
		while (i < n && D(p[i]))       /* more digits (syslog precision) */
			i++;
	}
	if (i + 6 <= n && p[i] == ' ' && (p[i + 1] == '+' || p[i + 1] == '-') &&
	    D(p[i + 2]) && D(p[i + 3]) && D(p[i + 4]) && D(p[i + 5]) &&
	    (i + 6 == n || p[i + 6] == ' ')) {
		tz = (num2(p + i + 2) * 60 + num2(p + i + 4)) * 60;
		if (p[i + 1] == '-')
			tz = -tz;
		i += 6;
	}
	m = minute_time(clk, p, tz);
	out->ts = m < 0 ? -1 : m + num2(p + 17);
	if (i + 3 < n && p[i] == ' ' && p[i + 1] == '[' && D(p[i + 2])) {
		size_t j = i + 2;
		long v = 0;

		while (j < n && D(p[j]) && j - i < 12)
			v = v * 10 + (p[j++] - '0');
		/* "[pid]" or "[pid/n]" (Exim's process/sub-process form) */
		if (j < n && p[j] == '/')
			while (++j < n && D(p[j]))
				;
		if (j < n && p[j] == ']') {
			out->pid = v;
			i = j + 1;
		}
	}
	if (i >= n || p[i] != ' ')
		return EXIMLOG_EMPTY;
	i++;
	if ((k = (size_t)is_msgid(p + i, n - i)) != 0) {
		out->msgid = span_make(p + i, k);
		i += k + 1;
	}
	out->body = span_make(p + i, n - i);
	return n > i ? EXIMLOG_ENTRY : EXIMLOG_EMPTY;
}

/* syslog_body: what follows "tag[pid]: ": an Exim line, or a bare body
 * (syslog_timestamp = false), possibly preceded by a [n/m] part marker */
static enum eximlog_kind syslog_body(struct eximlog_clock *clk, const char *p,
    size_t n, int64_t stamp, struct eximlog_line *out)
{
	size_t i = 0;
	long pid = out->pid;

	out->flags |= EXIMLOG_F_SYSLOG;
	if (n > 4 && p[0] == '[' && D(p[1])) {
		size_t j = 1;
		int part = 0;

		while (j < n && D(p[j]) && j < 8)
			part = part * 10 + (p[j++] - '0');
		if (j + 1 < n && (p[j] == '/' || p[j] == '\\') && D(p[j + 1])) {
			while (++j < n && D(p[j]))
				;
			if (j + 1 < n && p[j] == ']' && p[j + 1] == ' ') {
				if (part != 1)
					return EXIMLOG_CONTINUATION;
				out->flags |= EXIMLOG_F_SPLIT;
				i = j + 2;
			}
		}
	}
	if (is_stamp(p + i, n - i, ' '))
		return exim_line(clk, p + i, n - i, out);
	/* "[pid] body" as in "exim[8003]: [8003] SMTP ..." */
	if (n - i > 3 && p[i] == '[' && D(p[i + 1])) {
		size_t j = i + 1;

		while (j < n && D(p[j]))
			j++;
		if (j + 1 < n && p[j] == ']' && p[j + 1] == ' ')
			i = j + 2;
	}
	out->pid = pid;
	out->ts = stamp;
	if (n - i > 0 && is_msgid(p + i, n - i)) {
		size_t k = (size_t)is_msgid(p + i, n - i);

		out->msgid = span_make(p + i, k);
		i += k + 1;
	}
	if (i >= n)
		return EXIMLOG_EMPTY;
	out->body = span_make(p + i, n - i);
	return EXIMLOG_ENTRY;
}

enum eximlog_kind eximlog_parse(struct eximlog_clock *clk, const char *line,
    size_t len, struct eximlog_line *out)
{
	size_t k;
	int mon;
	int64_t stamp;

	out->ts = -1;
	out->ms = -1;
	out->pid = -1;
	out->flags = 0;
	out->msgid = span_make(NULL, 0);
	out->body = span_make(NULL, 0);
	if (len == 0)
		return EXIMLOG_EMPTY;
	/* no per-line NUL search here: scan looks for NUL bytes per read and
	 * only then per line (EXIMLOG_F_BINARY is not set by the parser) */
	if (is_stamp(line, len, ' ')) {
		/* "YYYY-MM-DD HH:MM:SS host exim[pid]: ..." is syslog with an
		 * ISO stamp; anything else is Exim's own line */
		if (len > 20 && line[19] == ' ' && !D(line[20]) && line[20] != '[' &&
		    (k = syslog_tag(line + 20, len - 20, 1, &out->pid)) != 0) {
			struct eximlog_line tmp = *out;

			exim_line(clk, line, 19, &tmp);
			return syslog_body(clk, line + 20 + k, len - 20 - k, tmp.ts, out);
		}
		return exim_line(clk, line, len, out);
	}
	if (is_bsd_stamp(line, len, &mon)) {
		if (len > 16 && (k = syslog_tag(line + 16, len - 16, 1, &out->pid)) != 0) {
			stamp = bsd_time(clk, line, mon);
			return syslog_body(clk, line + 16 + k, len - 16 - k, stamp, out);
		}
		return EXIMLOG_CONTINUATION;
	}
	if (is_stamp(line, len, 'T')) {
		/* RFC 3339 syslog stamp: skip it, then "host tag: " */
		const char *sp = memchr(line, ' ', len);

		if (sp && (k = syslog_tag(sp + 1, len - (size_t)(sp + 1 - line), 1,
		    &out->pid)) != 0) {
			char key[19];
			int64_t m;

			memcpy(key, line, 19);
			key[10] = ' ';
			m = minute_time(clk, key, INT_MIN);
			stamp = m < 0 ? -1 : m + num2(line + 17);
			return syslog_body(clk, sp + 1 + k,
			    len - (size_t)(sp + 1 + k - line), stamp, out);
		}
		return EXIMLOG_CONTINUATION;
	}
	if (line[0] != ' ' && line[0] != '\t' &&
	    (k = syslog_tag(line, len, 1, &out->pid)) != 0 &&
	    is_stamp(line + k, len - k, ' '))
		return syslog_body(clk, line + k, len - k, -1, out);
	return EXIMLOG_CONTINUATION;
}

/* ---- fields (matched lines only) ------------------------------------- */

static int ipv4_valid(const char *s, size_t n)
{
	int parts = 0, digits = 0, v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (D(s[i])) {
			if (digits && v == 0)
				return 0;     /* no leading zeros */
			v = v * 10 + (s[i] - '0');
			if (++digits > 3 || v > 255)
				return 0;
		} else if (s[i] == '.' && digits) {
			parts++;
			digits = v = 0;
		} else {
			return 0;
		}
	}
	return digits && parts == 3;
}

int eximlog_ip_valid(const char *s, size_t n)
{
	char buf[INET6_ADDRSTRLEN + 1];
	unsigned char a[16];
	size_t i;

	if (n == 0 || n > INET6_ADDRSTRLEN)
		return 0;
	if (memchr(s, ':', n) == NULL)
		return ipv4_valid(s, n);
	for (i = 0; i < n; i++)
		if (!(D(s[i]) || (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F') || s[i] == ':' || s[i] == '.'))
			return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, a) == 1;
}

/* skip_quoted: s[i] == '"': index just past the closing quote (backslash
 * escapes honoured), or n */
static size_t skip_quoted(const char *s, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return n;
}

/* at_client_slot: is the '[' at s[i] where Exim writes the client address?
 * At the start of the host text, after its first word (a verified reverse
 * name), after the ") " that closes a HELO, or after an "H=" that starts a
 * word, alone or followed by a reverse name ("H=[ip]", "H=name [ip]": the
 * host text of a rule may start in client text before the real "H=").
 * Nothing is skipped as quoted text: a HELO may hold any printable byte,
 * quotes included, so no rule about quotes can tell the HELO's text from
 * the rest of the line; the real address must stay a candidate whatever
 * came before it. */
static int at_client_slot(const char *s, size_t i, size_t rdns_end)
{
	size_t t;

	if (i == 0 || (rdns_end && i == rdns_end + 1))
		return 1;
	if (i >= 2 && s[i - 1] == ' ' && s[i - 2] == ')')
		return 1;
	if (i >= 2 && s[i - 2] == 'H' && s[i - 1] == '=')
		return i == 2 || s[i - 3] == ' ';
	if (s[i - 1] != ' ')
		return 0;
	/* "H=name [ip]": the word before the space is "H=" and a name */
	for (t = i - 1; t > 0 && s[t - 1] != ' '; t--)
		;
	return i - 1 - t > 2 && s[t] == 'H' && s[t + 1] == '=' &&
	    s[t + 2] != '(' && s[t + 2] != '[';
}

void eximlog_host_parse(const char *s, size_t n, struct eximlog_host *h)
{
	size_t i, rdns_end = 0, c, cand = 0, pend, j, off = 0;
	const char *ip = NULL, *x;
	size_t iplen = 0;

	memset(h, 0, sizeof *h);
	if (n >= 2 && s[0] == 'H' && s[1] == '=') {
		s += 2;
		n -= 2;
		off = 2;
	}
	/* a verified reverse name is the first word, unless the text starts
	 * with the HELO or the address (a name from DNS has no space: the
	 * resolver escapes it) */
	if (n > 0 && s[0] != '(' && s[0] != '[' &&
	    (x = memchr(s, ' ', n)) != NULL && x > s) {
		rdns_end = (size_t)(x - s);
		h->rdns = span_make(s, rdns_end);
	}
	/* every '[' where Exim could have put the client address is a
	 * candidate: the real one is always among them (the HELO comes before
	 * it and may fake any number of others), so two different addresses
	 * make the host ambiguous.  The scan goes on to the last candidate,
	 * whose end tells where the fields after the host start. */
	for (i = 0; i < n; i = pend) {
		if ((x = memchr(s + i, '[', n - i)) == NULL)
			break;
		i = (size_t)(x - s);
		pend = i + 1;
		if (!at_client_slot(s, i, rdns_end))
			continue;
		for (c = i + 1; c < n && s[c] != ']' && c - i <= INET6_ADDRSTRLEN; c++)
			;
		/* not an address: look again from the next byte (a '[' of
		 * junk must not swallow the real "[ip]" after it) */
		if (c >= n || s[c] != ']' || !eximlog_ip_valid(s + i + 1, c - i - 1))
			continue;
		pend = c + 1;
		if (pend + 1 < n && s[pend] == ':' && D(s[pend + 1]))
			for (pend++; pend < n && D(s[pend]); pend++)
				;
		if (pend < n && s[pend] != ' ' && s[pend] != ':' && s[pend] != ',')
			continue;
		h->end = off + pend;
		if (ip == NULL) {
			ip = s + i + 1;
			iplen = c - i - 1;
			cand = i;
			h->ip = span_make(ip, iplen);
			if (c + 2 < n && s[c + 1] == ':' && D(s[c + 2])) {
				for (j = c + 2; j < n && D(s[j]); j++)
					;
				h->port = span_make(s + c + 2, j - c - 2);
			}
		} else if (iplen != c - i - 1 ||
		    strncasecmp(ip, s + i + 1, iplen) != 0) {
			h->ambiguous = 1;
		}
	}
	if (h->ambiguous) {
		h->ip = h->port = span_make(NULL, 0);
		return;
	}
	if (ip == NULL)
		return;
	/* HELO: "(...)" between the reverse name (if any) and the address */
	j = rdns_end ? rdns_end + 1 : 0;
	if (cand >= j + 3 && s[j] == '(' && s[cand - 2] == ')')
		h->helo = span_make(s + j + 1, cand - 2 - j - 1);
}

struct span eximlog_default_host(struct span body)
{
	const char *s = body.p, *x;
	size_t n = body.len;

	if (s == NULL)
		return span_make(NULL, 0);
	if (n >= 2 && s[0] == 'H' && s[1] == '=')
		return span_make(s + 2, n - 2);
	/* the first " H=", quoted or not: client text before the host may
	 * hold a quote that does not close where it seems to (4.96-4.98 do
	 * not escape quotes in it), and a later " H=" could be the HELO's */
	if ((x = memmem(s, n, " H=", 3)) != NULL)
		return span_make(x + 3, n - (size_t)(x + 3 - s));
	return span_make(NULL, 0);
}

/* is_flag: a word Exim writes alone among the fields after a host */
static int is_flag(const char *p, size_t n)
{
	static const char *const flags[] = { "DS", "L", "L*", "K", "PRDR",
	    "TFO", "TFO*", "SPF", "DMARC", "ARC", NULL };
	size_t k;

	for (k = 0; flags[k]; k++)
		if (strlen(flags[k]) == n && memcmp(flags[k], p, n) == 0)
			return 1;
	return 0;
}

struct span eximlog_fields(struct span rest)
{
	const char *s = rest.p;
	size_t n = rest.len, i = 0, j, k;

	if (s == NULL)
		return span_make(NULL, 0);
	while (i + 1 < n && s[i] == ' ') {
		j = i + 1;
		/* KEY= with KEY a letter and letters or digits (id*=, X=) */
		for (k = j; k < n && ((s[k] >= 'A' && s[k] <= 'Z') ||
		    (s[k] >= 'a' && s[k] <= 'z') || (k > j && D(s[k]))); k++)
			;
		if (k < n && s[k] == '*')
			k++;
		if (k > j && k < n && s[k] == '=') {
			k++;
			if (k < n && s[k] == '"') {
				k = skip_quoted(s, n, k);
			} else if (k < n && s[k] == '<') {
				/* F=<...>: an address may hold quoted spaces */
				while (k < n && s[k] != '>')
					k++;
				k += k < n;
			} else {
				while (k < n && s[k] != ' ')
					k++;
			}
			i = k;
			continue;
		}
		for (k = j; k < n && s[k] != ' '; k++)
			;
		if (!is_flag(s + j, k - j))
			break;
		i = k;
	}
	return span_make(s, i);
}

struct span eximlog_tag(struct span body, const char *tag)
{
	const char *s = body.p;
	size_t n = body.len, tl = strlen(tag), i, j;

	if (s == NULL)
		return span_make(NULL, 0);
	for (i = 0; i + tl <= n; i++) {
		if (s[i] == '"') {
			i = skip_quoted(s, n, i) - 1;
			continue;
		}
		if ((i > 0 && s[i - 1] != ' ' && s[i - 1] != '(') ||
		    memcmp(s + i, tag, tl) != 0)
			continue;
		i += tl;
		if (tag[tl - 1] == '<') {
			for (j = i; j < n && s[j] != '>'; j++)
				;
			if (j >= n)
				return span_make(NULL, 0);
			return span_make(s + i, j - i);
		}
		for (j = i; j < n && s[j] != ' '; j++)
			;
		return span_make(s + i, j - i);
	}
	return span_make(NULL, 0);
}

struct span eximlog_arrival_rcpt(struct span body)
{
	const char *s = body.p, *t, *f;
	size_t n = body.len, i, j;

	if (s == NULL)
		return span_make(NULL, 0);
	i = 0;
	/* the recipients come after the subject; skip T="..." first */
	t = memmem(s, n, " T=\"", 4);
	if (t != NULL)
		i = skip_quoted(s, n, (size_t)(t - s) + 3);
	for (;;) {
		f = memmem(s + i, n - i, " for ", 5);
		if (f == NULL)
			return span_make(NULL, 0);
		i = (size_t)(f - s) + 5;
		/* the last " for " is the recipient list */
		if (memmem(s + i, n - i, " for ", 5) == NULL)
			break;
	}
	for (j = i; j < n && s[j] != ' '; j++)
		;
	if (j > i && s[i] == '<' && s[j - 1] == '>')
		return span_make(s + i + 1, j - i - 2);
	return j > i ? span_make(s + i, j - i) : span_make(NULL, 0);
}

/* not_rcpt: Exim's redirection keywords stand where an address would */
static int not_rcpt(const char *p, size_t n)
{
	return (n >= 11 && memcmp(p, ":blackhole:", 11) == 0) ||
	    (n >= 6 && memcmp(p, ":fail:", 6) == 0);
}

struct span eximlog_delivery_rcpt(struct span body)
{
	const char *s = body.p, *r;
	size_t n = body.len, i, j, k;

	if (s == NULL || n < 4 || s[2] != ' ')
		return span_make(NULL, 0);
	i = 3;
	for (j = i; j < n && s[j] != ' '; j++)
		;
	/* "=> bob <bob@example.test> R=..." shows the original address */
	if (j + 2 < n && s[j + 1] == '<') {
		for (k = j + 2; k < n && s[k] != '>' && s[k] != ' '; k++)
			;
		if (k < n && s[k] == '>')
			return span_make(s + j + 2, k - j - 2);
	}
	if (not_rcpt(s + i, j - i)) {
		/* "** :fail: text <orig> R=...": the original, if shown
		 * before the router */
		r = memmem(s + j, n - j, " R=", 3);
		for (k = j; k + 1 < (r ? (size_t)(r - s) : n); k++)
			if (s[k] == ' ' && s[k + 1] == '<')
				break;
		if (k + 1 < (r ? (size_t)(r - s) : n)) {
			for (i = k + 2; i < n && s[i] != '>'; i++)
				;
			if (i < n && !not_rcpt(s + k + 2, i - k - 2))
				return span_make(s + k + 2, i - k - 2);
		}
		return span_make(NULL, 0);
	}
	if (j > i && s[i] == '<' && s[j - 1] == '>')
		return span_make(s + i + 1, j - i - 2);
	/* 4.96 "** addr: reason" (4.99 writes "addr : reason") */
	if (j > i + 1 && s[j - 1] == ':')
		j--;
	return span_make(s + i, j - i);
}
