/* duration: durations and times for the CLI and the config (see duration.h) */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "duration.h"

/* Units in the order a combined duration must use them ("1h30m", not
 * "30m1h"): each at most once, so a typo such as "1h1h" is an error. */
static const struct {
	char c;
	int64_t secs;
} units[] = {
	{ 'w', 7 * 86400 }, { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 },
	{ 's', 1 },
};
#define NUNITS (sizeof units / sizeof units[0])

/* digits: a run of decimal digits at *p into *v; -1 if none or overflow */
static int digits(const char **p, int64_t *v)
{
	const char *s = *p;
	int64_t n = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		if (n > (INT64_MAX - (*s - '0')) / 10)
			return -1;
		n = n * 10 + (*s - '0');
	}
	*p = s;
	*v = n;
	return 0;
}

int duration_parse(const char *s, int64_t *secs)
{
	const char *p = s;
	int64_t total = 0, n;
	size_t next = 0, u;

	if (s == NULL || *s == '\0')
		return -1;
	while (*p) {
		if (digits(&p, &n) < 0)
			return -1;
		if (*p == '\0') {
			/* a bare number is seconds, but not after a unit:
			 * "1h30" is more likely a mistake than 1h30s */
			if (next != 0)
				return -1;
			*secs = n;
			return 0;
		}
		for (u = next; u < NUNITS && units[u].c != *p; u++)
			;
		if (u == NUNITS)
			return -1;
		if (n > (INT64_MAX - total) / units[u].secs)
			return -1;
		total += n * units[u].secs;
		next = u + 1;
		p++;
	}
	*secs = total;
	return 0;
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31 };

	return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/* fixed: exactly n digits at *p into *v */
static int fixed(const char **p, int n, int *v)
{
	int x = 0;

	for (; n > 0; n--, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		x = x * 10 + (**p - '0');
	}
	*v = x;
	return 0;
}

/* parse_date: "YYYY-MM-DD[( |T)HH:MM[:SS][.fff][Z|+hh:mm|+hhmm]]" */
static int parse_date(const char *s, time_t *out)
{
	const char *p = s;
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, zone = 0, off = 0;
	int oh, om, sign;
	time_t t;

	if (fixed(&p, 4, &y) < 0 || *p++ != '-' || fixed(&p, 2, &mo) < 0 ||
	    *p++ != '-' || fixed(&p, 2, &d) < 0)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in(y, mo))
		return -1;
	if (*p == ' ' || *p == 'T') {
		p++;
		if (fixed(&p, 2, &h) < 0 || *p++ != ':' ||
		    fixed(&p, 2, &mi) < 0)
			return -1;
		if (*p == ':') {
			p++;
			if (fixed(&p, 2, &sec) < 0)
				return -1;
			if (*p == '.') {
				/* fractions are accepted and dropped */
				if (!isdigit((unsigned char)*++p))
					return -1;
				while (isdigit((unsigned char)*p))
					p++;
			}
		}
		if (h > 23 || mi > 59 || sec > 59)
			return -1;
		if (*p == 'Z') {
			zone = 1;
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if (fixed(&p, 2, &oh) < 0)
				return -1;
			if (*p == ':')
				p++;
			if (fixed(&p, 2, &om) < 0 || oh > 23 || om > 59)
				return -1;
			zone = 1;
			off = sign * (oh * 3600 + om * 60);
		}
	}
	if (*p != '\0')
		return -1;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if (zone) {
		t = timegm(&tm);
		if (t == (time_t)-1)
			return -1;
		t -= off;
	} else {
		tm.tm_isdst = -1;
		t = mktime(&tm);
		if (t == (time_t)-1)
			return -1;
	}
	if (t < 0)
		return -1;
	*out = t;
	return 0;
}

int time_parse(const char *s, time_t now, time_t *out)
{
	int64_t n;
	const char *p;

	if (s == NULL || *s == '\0')
		return -1;
	if (strcmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	if (strcmp(s, "all") == 0) {
		*out = 0;
		return 0;
	}
	if (s[0] == '@') {
		p = s + 1;
		if (digits(&p, &n) < 0 || *p != '\0' || (time_t)n != n)
			return -1;
		*out = (time_t)n;
		return 0;
	}
	/* "YYYY-" cannot be a duration, so the forms do not overlap */
	if (strlen(s) >= 5 && isdigit((unsigned char)s[0]) &&
	    isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
	    isdigit((unsigned char)s[3]) && s[4] == '-')
		return parse_date(s, out);
	if (duration_parse(s, &n) < 0)
		return -1;
	/* longer ago than the epoch: everything */
	*out = n >= (int64_t)now ? 0 : now - (time_t)n;
	return 0;
}

char *time_iso(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (len == 0)
		return buf;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		buf[0] = '\0';
	return buf;
}

char *duration_format(int64_t secs, char *buf, size_t len)
{
	static const struct {
		char c;
		int64_t secs;
	} f[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 } };
	uint64_t v;
	size_t i, off = 0;
	int n;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (secs == 0) {
		snprintf(buf, len, "0s");
		return buf;
	}
	if (secs < 0) {
		off = (size_t)snprintf(buf, len, "-");
		v = (uint64_t)0 - (uint64_t)secs;
	} else {
		v = (uint64_t)secs;
	}
	for (i = 0; i < sizeof f / sizeof f[0] && off < len; i++) {
		if (v < (uint64_t)f[i].secs)
			continue;
		n = snprintf(buf + off, len - off, "%llu%c",
		    (unsigned long long)(v / (uint64_t)f[i].secs), f[i].c);
		if (n < 0)
			break;
		off += (size_t)n;
		v %= (uint64_t)f[i].secs;
	}
	return buf;
}

char *duration_span(int64_t secs, char *buf, size_t len)
{
	static const int64_t unit[] = { 86400, 3600, 60, 1 };
	size_t i;

	for (i = 0; i + 1 < sizeof unit / sizeof unit[0]; i++) {
		if (secs >= unit[i]) {
			/* (no overflow near INT64_MAX: round down there) */
			secs = (secs > INT64_MAX - unit[i + 1] / 2 ? secs :
			    secs + unit[i + 1] / 2) / unit[i + 1] * unit[i + 1];
			break;
		}
	}
	return duration_format(secs, buf, len);
}

char *time_window(time_t since, time_t until, const char *join,
    int with_len, char *buf, size_t len)
{
	char a[32], z[32], d[32];
	struct tm ts, tu;

	memset(&ts, 0, sizeof ts);      /* (a time localtime_r cannot take) */
	memset(&tu, 0, sizeof tu);
	localtime_r(&since, &ts);
	localtime_r(&until, &tu);
	strftime(a, sizeof a, "%Y-%m-%d %H:%M", &ts);
	if (ts.tm_year == tu.tm_year && ts.tm_yday == tu.tm_yday)
		strftime(z, sizeof z, "%H:%M", &tu);
	else
		strftime(z, sizeof z, "%Y-%m-%d %H:%M", &tu);
	if (with_len)
		snprintf(buf, len, "%s%s%s (%s)", a, join, z, duration_span(
		    (int64_t)(until - since), d, sizeof d));
	else
		snprintf(buf, len, "%s%s%s", a, join, z);
	return buf;
}
