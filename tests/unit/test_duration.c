/* test_duration: durations, times and their formatting (src/duration.c) */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "duration.h"
#include "tap.h"

static void dur_ok(const char *s, int64_t want)
{
	int64_t v = -1;
	int rc = duration_parse(s, &v);

	ok(rc == 0 && v == want, "duration '%s' = %lld (got rc %d, %lld)", s,
	    (long long)want, rc, (long long)v);
}

static void dur_bad(const char *s)
{
	int64_t v = 0;

	ok(duration_parse(s, &v) == -1, "duration '%s' rejected", s);
}

static void time_ok(const char *s, time_t now, time_t want)
{
	time_t t = -1;
	int rc = time_parse(s, now, &t);

	ok(rc == 0 && t == want, "time '%s' = %lld (got rc %d, %lld)", s,
	    (long long)want, rc, (long long)t);
}

static void time_bad(const char *s)
{
	time_t t = 0;

	ok(time_parse(s, 1700000000, &t) == -1, "time '%s' rejected", s);
}

int main(void)
{
	const time_t now = 1795334400;    /* 2026-11-22T08:00:00Z */
	char buf[64];

	dur_ok("90s", 90);
	dur_ok("30m", 1800);
	dur_ok("1h", 3600);
	dur_ok("7d", 604800);
	dur_ok("2w", 1209600);
	dur_ok("1h30m", 5400);
	dur_ok("1d2h3m4s", 93784);
	dur_ok("45", 45);
	dur_ok("0", 0);
	dur_ok("0s", 0);
	dur_bad("");
	dur_bad("-5");
	dur_bad("-5m");
	dur_bad("5x");
	dur_bad("m");
	dur_bad("1.5h");
	dur_bad("1h 30m");
	dur_bad(" 1h");
	dur_bad("1h30");          /* a bare number after a unit */
	dur_bad("30m1h");         /* units out of order */
	dur_bad("1h1h");
	dur_bad("99999999999999999999");
	dur_bad("9223372036854775807w");
	dur_bad("1H");

	setenv("TZ", "UTC", 1);
	tzset();
	time_ok("now", now, now);
	time_ok("all", now, 0);
	time_ok("@1700000000", now, 1700000000);
	time_ok("24h", now, now - 86400);
	time_ok("1h30m", now, now - 5400);
	time_ok("90", now, now - 90);
	time_ok("99999999999", now, 0);   /* before the epoch: everything */
	time_ok("2026-11-22", now, now - 8 * 3600);
	time_ok("2026-11-22 08:30", now, now + 1800);
	time_ok("2026-11-22 08:30:15", now, now + 1815);
	time_ok("2026-11-22T08:30:15Z", now, now + 1815);
	time_ok("2026-11-22T08:30:15.123Z", now, now + 1815);
	time_ok("2026-11-22T08:30Z", now, now + 1800);
	time_ok("2026-11-22T10:30:15+02:00", now, now + 1815);
	time_ok("2026-11-22T03:30:15-0500", now, now + 1815);
	time_ok("2026-11-22T08:30:15", now, now + 1815);
	time_ok("2024-02-29", now, 1709164800);
	time_ok("2000-02-29", now, 951782400);
	time_ok("1970-01-01T00:00:00Z", now, 0);

	if (access("/usr/share/zoneinfo/America/New_York", R_OK) == 0) {
		setenv("TZ", "America/New_York", 1);
		tzset();
		/* EST is UTC-5 in November */
		time_ok("2026-11-22", now, now - 8 * 3600 + 5 * 3600);
		time_ok("2026-11-22 03:00", now, now);
		time_ok("2026-11-22T03:00:00", now, now);
		/* a zone wins over TZ */
		time_ok("2026-11-22T08:00:00Z", now, now);
		/* EDT (UTC-4) in July */
		time_ok("2026-07-01 00:00", now, 1782878400);
	} else {
		for (int i = 0; i < 5; i++)
			ok(1, "# skip no tzdata for America/New_York");
	}

	setenv("TZ", "UTC", 1);
	tzset();
	time_bad("");
	time_bad("yesterday");
	time_bad("@");
	time_bad("@-5");
	time_bad("@12x");
	time_bad("2026-13-01");
	time_bad("2026-00-10");
	time_bad("2026-02-29");            /* not a leap year */
	time_bad("1900-02-29");
	time_bad("2026-04-31");
	time_bad("2026-11-00");
	time_bad("2026-11-22 24:00");
	time_bad("2026-11-22 23:60");
	time_bad("2026-11-22 23:59:60");
	time_bad("2026-11-22T08:00:00+24:00");
	time_bad("2026-11-22T08:00:00+05:60");
	time_bad("2026-11-22T08:00:00+5");
	time_bad("2026-11-22T08:00:00.Z");
	time_bad("2026-11-22T08");
	time_bad("2026-11-22 8:00");
	time_bad("2026-1-22");
	time_bad("2026-11-22x");
	time_bad("2026-11-22T08:00:00Zjunk");
	time_bad("1969-12-31");
	time_bad("-1h");

	is_str(time_iso(now, buf, sizeof buf), "2026-11-22T08:00:00Z",
	    "time_iso");
	is_str(time_iso(0, buf, sizeof buf), "1970-01-01T00:00:00Z",
	    "time_iso epoch");
	is_str(duration_format(5400, buf, sizeof buf), "1h30m",
	    "format 1h30m");
	is_str(duration_format(45, buf, sizeof buf), "45s", "format 45s");
	is_str(duration_format(604800, buf, sizeof buf), "7d", "format 7d");
	is_str(duration_format(0, buf, sizeof buf), "0s", "format 0s");
	is_str(duration_format(90061, buf, sizeof buf), "1d1h1m1s",
	    "format 1d1h1m1s");
	is_str(duration_format(-60, buf, sizeof buf), "-1m", "format -1m");
	is_str(duration_format(5400, buf, 3), "1h", "format truncated");
	/* a window's length for people: the two largest units, rounded */
	is_str(duration_span(213007857, buf, sizeof buf), "2465d9h",
	    "span: 2465d8h50m57s is 2465d9h");
	is_str(duration_span(5400 + 29, buf, sizeof buf), "1h30m",
	    "span: hours and minutes");
	is_str(duration_span(59, buf, sizeof buf), "59s", "span: seconds");
	ok(duration_span(INT64_MAX, buf, sizeof buf)[0] != '\0',
	    "span: the largest one, without overflow");
	ok(time_window(0, INT64_MAX, " - ", 1, buf, sizeof buf)[0] != '\0',
	    "window: a time localtime_r cannot take");
	/* a window: the second date only when it is another day (TZ=UTC) */
	is_str(time_window(1795334400, 1795338000, " \xe2\x86\x92 ", 1, buf,
	    sizeof buf), "2026-11-22 08:00 \xe2\x86\x92 09:00 (1h)",
	    "window within a day");
	is_str(time_window(1795334400, 1795334400 + 90 * 86400 + 1234, " and ",
	    0, buf, sizeof buf), "2026-11-22 08:00 and 2027-02-20 08:20",
	    "window over days, without its length");
	{
		int64_t v;
		time_t t;
		int i, good = 1;
		static const int64_t samples[] = { 1, 59, 61, 3599, 86399,
		    86400 * 400 + 7 };

		for (i = 0; i < 6; i++) {
			duration_format(samples[i], buf, sizeof buf);
			good &= duration_parse(buf, &v) == 0 &&
			    v == samples[i];
		}
		ok(good, "duration_format output parses back");
		good = 1;
		for (t = 0; t < now; t += 86400 * 97 + 3671) {
			time_t back = -1;

			time_iso(t, buf, sizeof buf);
			good &= time_parse(buf, now, &back) == 0 && back == t;
		}
		ok(good, "time_iso output parses back");
	}
	return done_testing();
}
