#include "compat.h"

#include <ctype.h>
#include <time.h>
#include <unistd.h>

#include "rfc3339.h"
#include "window.h"

#define NS	1000000000LL
#define MINUTE	(60 * NS)

static const char *const months[] = { "jan", "feb", "mar", "apr", "may",
    "jun", "jul", "aug", "sep", "oct", "nov", "dec" };
static const char *const days[] = { "sun", "mon", "tue", "wed", "thu",
    "fri", "sat" };

/* A number or (for names != NULL) a name; advances *pp. */
static int
field_value(const char **pp, const char *const *names, int nnames, int base,
    int *v)
{
	const char *p = *pp;
	int i;

	if (isdigit((unsigned char)*p)) {
		long n = 0;

		while (isdigit((unsigned char)*p) && n < 1000)
			n = n * 10 + (*p++ - '0');
		*v = (int)n;
		*pp = p;
		return 0;
	}
	for (i = 0; names != NULL && i < nnames; i++)
		if (strncasecmp(p, names[i], 3) == 0) {
			*v = i + base;
			*pp = p + 3;
			return 0;
		}
	return -1;
}

/* Parses one field into bits lo..hi of *bits. */
static int
field_parse(const char *s, size_t len, int lo, int hi,
    const char *const *names, int nnames, int base, uint64_t *bits,
    int *star)
{
	char tmp[128];
	const char *p;

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	*bits = 0;
	*star = strcmp(tmp, "*") == 0;
	p = tmp;
	for (;;) {
		int a, b, step = 1, v;

		if (*p == '*') {
			a = lo;
			b = hi;
			p++;
		} else {
			if (field_value(&p, names, nnames, base, &a) < 0)
				return -1;
			b = a;
			if (*p == '-') {
				p++;
				if (field_value(&p, names, nnames, base, &b) < 0)
					return -1;
			}
		}
		if (*p == '/') {
			p++;
			if (field_value(&p, NULL, 0, 0, &step) < 0 || step < 1)
				return -1;
			if (a == b && tmp[0] != '*')
				b = hi;		/* "5/15" means 5-hi/15 */
		}
		if (a < lo || b > hi || a > b)
			return -1;
		for (v = a; v <= b; v += step)
			*bits |= (uint64_t)1 << v;
		if (*p == '\0')
			return 0;
		if (*p++ != ',')
			return -1;
	}
}

int
cron_parse(struct cron *c, const char *expr, struct tend_err *err)
{
	static const struct {
		const char *macro, *expr;
	} macros[] = {
		{ "@hourly", "0 * * * *" }, { "@daily", "0 0 * * *" },
		{ "@midnight", "0 0 * * *" }, { "@weekly", "0 0 * * 0" },
		{ "@monthly", "0 0 1 * *" }, { "@yearly", "0 0 1 1 *" },
		{ "@annually", "0 0 1 1 *" },
	};
	static const char *const fname[] = { "minute", "hour",
	    "day of month", "month", "day of week" };
	const char *f[5], *p = expr;
	size_t flen[5], i;
	uint64_t bits;
	int n = 0, star;

	for (i = 0; i < ARRAY_SIZE(macros); i++)
		if (strcmp(expr, macros[i].macro) == 0)
			p = expr = macros[i].expr;
	memset(c, 0, sizeof(*c));
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (n == 5)
			return tend_err_set(err, TEND_EXIT_INPUT, "cron '%s': "
			    "more than five fields", expr);
		f[n] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		flen[n] = (size_t)(p - f[n]);
		n++;
	}
	if (n != 5)
		return tend_err_set(err, TEND_EXIT_INPUT, "cron '%s': expected "
		    "five fields (minute hour day month weekday)", expr);
	for (i = 0; i < 5; i++) {
		static const int lo[] = { 0, 0, 1, 1, 0 };
		static const int hi[] = { 59, 23, 31, 12, 7 };

		if (field_parse(f[i], flen[i], lo[i], hi[i], i == 3 ? months :
		    i == 4 ? days : NULL, i == 3 ? 12 : 7, i == 3 ? 1 : 0,
		    &bits, &star) < 0)
			return tend_err_set(err, TEND_EXIT_INPUT, "cron '%s': "
			    "bad %s field '%.*s'", expr, fname[i], (int)flen[i],
			    f[i]);
		switch (i) {
		case 0: c->minute = bits; break;
		case 1: c->hour = (uint32_t)bits; break;
		case 2: c->dom = (uint32_t)bits; c->dom_star = (uint8_t)star;
			break;
		case 3: c->month = (uint16_t)bits; break;
		case 4:
			if (bits & (1u << 7))
				bits |= 1;	/* 7 is Sunday too */
			c->dow = (uint8_t)(bits & 0x7f);
			c->dow_star = (uint8_t)star;
			break;
		}
	}
	return 0;
}

/* Whether hour and day of tm can hold a firing: if not, no minute of
   that local hour does, and searches step over the hour at once. */
static int
cron_hour_may_match(const struct cron *c, const struct tm *tm)
{
	int dom, dow;

	if (!(c->hour & (1u << tm->tm_hour)) ||
	    !(c->month & (1u << (tm->tm_mon + 1))))
		return 0;
	dom = (c->dom >> tm->tm_mday) & 1;
	dow = (c->dow >> tm->tm_wday) & 1;
	if (!c->dom_star && !c->dow_star)
		return dom || dow;
	return dom && dow;
}

static int
cron_match(const struct cron *c, const struct tm *tm)
{
	int dom, dow;

	if (!(c->minute & ((uint64_t)1 << tm->tm_min)) ||
	    !(c->hour & (1u << tm->tm_hour)) ||
	    !(c->month & (1u << (tm->tm_mon + 1))))
		return 0;
	dom = (c->dom >> tm->tm_mday) & 1;
	dow = (c->dow >> tm->tm_wday) & 1;
	if (!c->dom_star && !c->dow_star)
		return dom || dow;
	return dom && dow;
}

int
duration_parse(const char *s, int64_t *seconds, struct tend_err *err)
{
	const char *p = s;
	int64_t total = 0;

	if (*p == '\0')
		goto bad;
	while (*p != '\0') {
		int64_t n = 0, unit;

		if (!isdigit((unsigned char)*p))
			goto bad;
		while (isdigit((unsigned char)*p) && n < 100000000)
			n = n * 10 + (*p++ - '0');
		switch (*p++) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		default: goto bad;
		}
		total += n * unit;
	}
	if (total <= 0 || total > 366 * 86400)
		goto bad;
	*seconds = total;
	return 0;
bad:
	return tend_err_set(err, TEND_EXIT_INPUT, "duration '%s': expected "
	    "e.g. 90m, 4h, 1h30m, 2d (at most 366d)", s);
}

int
window_cron(struct window *w, const char *expr, const char *duration,
    const char *tz, struct tend_err *err)
{
	char path[256];
	const char *p;

	memset(w, 0, sizeof(*w));
	if (cron_parse(&w->cron, expr, err) < 0 ||
	    duration_parse(duration, &w->duration_s, err) < 0)
		return -1;
	if (tz == NULL)
		tz = "UTC";
	for (p = tz; *p != '\0'; p++)
		if (!(isalnum((unsigned char)*p) || *p == '/' || *p == '_' ||
		    *p == '-' || *p == '+'))
			break;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
	if (*p != '\0' || strstr(tz, "..") != NULL || tz[0] == '/' ||
	    strlen(tz) >= sizeof(w->tz) || access(path, R_OK) != 0)
		return tend_err_set(err, TEND_EXIT_INPUT, "time zone '%s' is "
		    "not an IANA zone known here (tzdata)", tz);
	strlcpy(w->tz, tz, sizeof(w->tz));
	return 0;
}

int
window_range(struct window *w, const char *from, const char *until,
    struct tend_err *err)
{
	memset(w, 0, sizeof(*w));
	w->is_range = 1;
	if (rfc3339_parse(from, strlen(from), &w->from_ns) < 0)
		return tend_err_set(err, TEND_EXIT_INPUT, "'%s' is not an RFC "
		    "3339 time", from);
	if (rfc3339_parse(until, strlen(until), &w->until_ns) < 0)
		return tend_err_set(err, TEND_EXIT_INPUT, "'%s' is not an RFC "
		    "3339 time", until);
	if (w->until_ns <= w->from_ns)
		return tend_err_set(err, TEND_EXIT_INPUT, "range %s..%s is "
		    "empty", from, until);
	return 0;
}

/* The local time of t in zone tz.  glibc has no per-call zone, so TZ is
   set; tend keeps every other time in UTC, which this does not affect. */
static void
local_tm(const char *tz, int64_t t_ns, struct tm *tm)
{
	static char current[64];
	time_t t = (time_t)(t_ns >= 0 ? t_ns / NS : (t_ns - NS + 1) / NS);

	if (strcmp(current, tz) != 0) {
		setenv("TZ", tz, 1);
		tzset();
		strlcpy(current, tz, sizeof(current));
	}
	localtime_r(&t, tm);
}

static int64_t
floor_minute(int64_t t_ns)
{
	int64_t r = t_ns % MINUTE;

	return r < 0 ? t_ns - r - MINUTE : t_ns - r;
}

int
window_open_at(const struct window *w, int64_t t_ns)
{
	int64_t m, first;
	struct tm tm;

	if (w->is_range)
		return t_ns >= w->from_ns && t_ns < w->until_ns;
	/* Open if it fired at some minute in (t - duration, t]. */
	first = t_ns - w->duration_s * NS;
	for (m = floor_minute(t_ns); m > first; m -= MINUTE) {
		local_tm(w->tz, m, &tm);
		if (cron_match(&w->cron, &tm))
			return 1;
		/* Back to the hour's first minute if none of it can match:
		   a year-long window is 9k steps, not 527k. */
		if (!cron_hour_may_match(&w->cron, &tm))
			m -= (int64_t)tm.tm_min * MINUTE;
	}
	return 0;
}

int
window_next_open(const struct window *w, int64_t t_ns, int64_t *next)
{
	int64_t m, end;
	struct tm tm;

	if (window_open_at(w, t_ns)) {
		*next = t_ns;
		return 0;
	}
	if (w->is_range) {
		if (t_ns >= w->until_ns)
			return -1;
		*next = w->from_ns;
		return 0;
	}
	end = t_ns + 366 * 86400 * NS;
	for (m = floor_minute(t_ns) + MINUTE; m < end; m += MINUTE) {
		local_tm(w->tz, m, &tm);
		if (cron_match(&w->cron, &tm)) {
			*next = m;
			return 0;
		}
		/* Skip whole hours and days that cannot match. */
		if (!cron_hour_may_match(&w->cron, &tm))
			m += (int64_t)(59 - tm.tm_min) * MINUTE;
	}
	return -1;
}

int64_t
window_close_after(const struct window *w, int64_t t_ns)
{
	int64_t m, last = t_ns;
	struct tm tm;

	if (w->is_range)
		return w->until_ns;
	/* The latest firing at or before t, plus the duration; firings
	   inside the window extend it. */
	for (;;) {
		int64_t fired = -1, first = last - w->duration_s * NS;

		for (m = floor_minute(last); m > first; m -= MINUTE) {
			local_tm(w->tz, m, &tm);
			if (cron_match(&w->cron, &tm)) {
				fired = m;
				break;
			}
			if (!cron_hour_may_match(&w->cron, &tm))
				m -= (int64_t)tm.tm_min * MINUTE;
		}
		if (fired < 0)
			return last;
		if (fired + w->duration_s * NS <= last)
			return last;
		last = fired + w->duration_s * NS;
		/* One that fires again before it closes may never close:
		   stop a year on (and far from overflowing). */
		if (last - t_ns > (int64_t)366 * 86400 * NS)
			return last;
	}
}
