/*
 * Fuzz target: cron expressions, durations, time zones and change
 * windows (window.h), as tend gate loads them from a policy.  The input
 * is lines: cron, duration, zone, from, until, and a time (seconds from
 * 2026-01-01, at most a year on).  Invariants: a window open at t closes
 * after t; the next opening found is at or after t and the window is open
 * then.
 */
#include "compat.h"

#include "fuzz.h"
#include "rfc3339.h"
#include "window.h"

#define BASE_NS	1767225600000000000LL	/* 2026-01-01T00:00:00Z */
#define NS	1000000000LL

static void
check(const struct window *w, int64_t t)
{
	int64_t next, close;

	if (window_open_at(w, t)) {
		close = window_close_after(w, t);
		FUZZ_ASSERT(close > t);
	}
	if (window_next_open(w, t, &next) == 0) {
		FUZZ_ASSERT(next >= t - 60 * NS);
		FUZZ_ASSERT(window_open_at(w, next));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct window w;
	struct cron c;
	struct tend_err err = { 0 };
	char *expr, *dur, *tz, *from, *until, *ts;
	int64_t secs, t;

	expr = fuzz_field(&data, &size);
	dur = fuzz_field(&data, &size);
	tz = fuzz_field(&data, &size);
	from = fuzz_field(&data, &size);
	until = fuzz_field(&data, &size);
	ts = fuzz_field(&data, &size);
	t = BASE_NS + (int64_t)(strtoull(ts, NULL, 10) % (366 * 86400)) * NS;
	(void)cron_parse(&c, expr, &err);
	(void)duration_parse(dur, &secs, &err);
	if (window_cron(&w, expr, dur, tz[0] != '\0' ? tz : NULL, &err) == 0)
		check(&w, t);
	else
		FUZZ_ASSERT(err.code == TEND_EXIT_INPUT);
	if (window_range(&w, from, until, &err) == 0) {
		FUZZ_ASSERT(w.until_ns > w.from_ns);
		check(&w, t);
	}
	free(expr);
	free(dur);
	free(tz);
	free(from);
	free(until);
	free(ts);
	return 0;
}
