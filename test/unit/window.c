/* Unit tests of window.c: cron fields, windows across real DST changes. */
#include "compat.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "rfc3339.h"
#include "window.h"

static int64_t
T(const char *s)
{
	int64_t ns;

	if (rfc3339_parse(s, strlen(s), &ns) < 0)
		fail_msg("bad time %s", s);
	return ns;
}

static const char *
fmt(int64_t ns)
{
	static char buf[48];

	rfc3339_format(ns, buf, sizeof(buf));
	return buf;
}

static struct window
W(const char *cron, const char *dur, const char *tz)
{
	struct window w;
	struct tend_err err;

	if (window_cron(&w, cron, dur, tz, &err) < 0)
		fail_msg("%s", err.msg);
	return w;
}

static void
test_cron_fields(void **state)
{
	struct cron c;
	struct tend_err err;

	(void)state;
	assert_int_equal(cron_parse(&c, "*/15 9-17 * * mon-fri", &err), 0);
	assert_true(c.minute == ((1ull << 0) | (1ull << 15) | (1ull << 30) |
	    (1ull << 45)));
	assert_int_equal(c.dow, 0x3e);
	assert_int_equal(cron_parse(&c, "0 0 * * 7", &err), 0);
	assert_int_equal(c.dow, 1);
	assert_int_equal(cron_parse(&c, "@daily", &err), 0);
	assert_int_equal(cron_parse(&c, "5/20 * * JAN,jul *", &err), 0);
	assert_true(c.minute == ((1ull << 5) | (1ull << 25) | (1ull << 45)));
	assert_int_equal(c.month, (1 << 1) | (1 << 7));
	assert_int_equal(cron_parse(&c, "60 * * * *", &err), -1);
	assert_string_equal(err.msg, "cron '60 * * * *': bad minute field '60'");
	assert_int_equal(cron_parse(&c, "* * * *", &err), -1);
	assert_int_equal(cron_parse(&c, "* * 0 * *", &err), -1);
	assert_int_equal(cron_parse(&c, "* * * * * *", &err), -1);
	assert_int_equal(cron_parse(&c, "*/0 * * * *", &err), -1);
	assert_int_equal(cron_parse(&c, "5-1 * * * *", &err), -1);
}

static void
test_bad_zone_and_duration(void **state)
{
	struct window w;
	struct tend_err err;

	(void)state;
	assert_int_equal(window_cron(&w, "0 0 * * *", "1h", "Mars/Olympus",
	    &err), -1);
	assert_string_equal(err.msg, "time zone 'Mars/Olympus' is not an IANA "
	    "zone known here (tzdata)");
	assert_int_equal(window_cron(&w, "0 0 * * *", "1h", "../../etc/passwd",
	    &err), -1);
	assert_int_equal(window_cron(&w, "0 0 * * *", "1x", "UTC", &err), -1);
	assert_int_equal(window_cron(&w, "0 0 * * *", "0m", "UTC", &err), -1);
	assert_int_equal(window_cron(&w, "0 0 * * *", "1h30m", "UTC", &err), 0);
	assert_int_equal(w.duration_s, 5400);
}

/* Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z);
   2026-10-25 03:00 CEST -> 02:00 CET (01:00Z). */
static void
test_berlin_dst(void **state)
{
	struct window nightly = W("0 22 * * *", "4h", "Europe/Berlin");
	struct window w230 = W("30 2 * * *", "30m", "Europe/Berlin");
	int64_t next;

	(void)state;
	/* 22:00 local is 21:00Z in winter, 20:00Z in summer. */
	assert_true(window_open_at(&nightly, T("2026-03-28T21:00:00Z")));
	assert_false(window_open_at(&nightly, T("2026-03-28T20:59:00Z")));
	assert_true(window_open_at(&nightly, T("2026-03-29T20:00:00Z")));
	assert_false(window_open_at(&nightly, T("2026-03-29T19:59:59Z")));
	/* Four real hours, across the change: 21:00Z + 4h = 01:00Z. */
	assert_true(window_open_at(&nightly, T("2026-03-29T00:59:00Z")));
	assert_false(window_open_at(&nightly, T("2026-03-29T01:00:00Z")));
	/* 02:30 does not exist on 2026-03-29: no window that day. */
	assert_int_equal(window_next_open(&w230, T("2026-03-28T12:00:00Z"),
	    &next), 0);
	assert_string_equal(fmt(next), "2026-03-30T00:30:00Z");
	/* 02:30 happens twice on 2026-10-25: 00:30Z (CEST), 01:30Z (CET). */
	assert_true(window_open_at(&w230, T("2026-10-25T00:45:00Z")));
	assert_false(window_open_at(&w230, T("2026-10-25T01:15:00Z")));
	assert_true(window_open_at(&w230, T("2026-10-25T01:45:00Z")));
	assert_int_equal(window_next_open(&w230, T("2026-10-25T01:00:00Z"),
	    &next), 0);
	assert_string_equal(fmt(next), "2026-10-25T01:30:00Z");
	assert_int_equal(window_close_after(&nightly, T("2026-03-28T22:00:00Z")),
	    T("2026-03-29T01:00:00Z"));
}

/* America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z);
   2026-11-01 02:00 EDT -> 01:00 EST (06:00Z). */
static void
test_new_york_dst(void **state)
{
	struct window office = W("0 9 * * 1-5", "8h", "America/New_York");
	int64_t next;

	(void)state;
	/* Friday 2026-03-06 09:00 EST = 14:00Z; Monday 03-09 09:00 EDT = 13:00Z */
	assert_false(window_open_at(&office, T("2026-03-06T13:30:00Z")));
	assert_true(window_open_at(&office, T("2026-03-06T14:00:00Z")));
	assert_true(window_open_at(&office, T("2026-03-09T13:00:00Z")));
	assert_false(window_open_at(&office, T("2026-03-09T12:59:00Z")));
	/* Saturday: closed; next open is Monday 13:00Z. */
	assert_false(window_open_at(&office, T("2026-03-07T15:00:00Z")));
	assert_int_equal(window_next_open(&office, T("2026-03-07T15:00:00Z"),
	    &next), 0);
	assert_string_equal(fmt(next), "2026-03-09T13:00:00Z");
	/* After the autumn change 09:00 EST is 14:00Z again. */
	assert_int_equal(window_next_open(&office, T("2026-10-31T12:00:00Z"),
	    &next), 0);
	assert_string_equal(fmt(next), "2026-11-02T14:00:00Z");
}

static void
test_range(void **state)
{
	struct window w;
	struct tend_err err;
	int64_t next;

	(void)state;
	assert_int_equal(window_range(&w, "2026-12-20T00:00:00+01:00",
	    "2027-01-04T00:00:00+01:00", &err), 0);
	assert_true(window_open_at(&w, T("2026-12-24T12:00:00Z")));
	assert_false(window_open_at(&w, T("2027-01-03T23:00:00Z")));
	assert_true(window_open_at(&w, T("2027-01-03T22:59:59Z")));
	assert_int_equal(window_next_open(&w, T("2026-12-01T00:00:00Z"), &next),
	    0);
	assert_string_equal(fmt(next), "2026-12-19T23:00:00Z");
	assert_int_equal(window_next_open(&w, T("2027-02-01T00:00:00Z"), &next),
	    -1);
	assert_int_equal(window_range(&w, "2027-01-01T00:00:00Z",
	    "2026-01-01T00:00:00Z", &err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cron_fields),
		cmocka_unit_test(test_bad_zone_and_duration),
		cmocka_unit_test(test_berlin_dst),
		cmocka_unit_test(test_new_york_dst),
		cmocka_unit_test(test_range),
	};

	return cmocka_run_group_tests_name("window", tests, NULL, NULL);
}
