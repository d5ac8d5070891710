#include "compat.h"

#include <time.h>

#include "rfc3339.h"

static int
digits(const char *s, size_t n, int *out)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
rfc3339_parse(const char *s, size_t len, int64_t *ns)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, secs;
	size_t p = 19, fd = 0;

	if (len < 20 || digits(s, 4, &y) < 0 || s[4] != '-' ||
	    digits(s + 5, 2, &mo) < 0 || s[7] != '-' ||
	    digits(s + 8, 2, &d) < 0 || (s[10] != 'T' && s[10] != 't') ||
	    digits(s + 11, 2, &h) < 0 || s[13] != ':' ||
	    digits(s + 14, 2, &mi) < 0 || s[16] != ':' ||
	    digits(s + 17, 2, &sec) < 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap(y)) || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	if (s[p] == '.') {
		p++;
		while (p < len && s[p] >= '0' && s[p] <= '9') {
			if (fd < 9) {
				frac = frac * 10 + (s[p] - '0');
				fd++;
			}
			p++;
		}
		if (s[p - 1] == '.')
			return -1;
		while (fd++ < 9)
			frac *= 10;
	}
	if (p >= len)
		return -1;
	if (s[p] == 'Z' || s[p] == 'z') {
		p++;
	} else if (s[p] == '+' || s[p] == '-') {
		sign = s[p] == '-' ? -1 : 1;
		if (len - p < 6 || digits(s + p + 1, 2, &oh) < 0 ||
		    s[p + 3] != ':' || digits(s + p + 4, 2, &om) < 0 ||
		    oh > 23 || om > 59)
			return -1;
		p += 6;
	} else
		return -1;
	if (p != len)
		return -1;
	if (sec == 60)		/* a leap second reads as the next second */
		sec = 59, frac = 999999999;
	secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	secs -= sign * (oh * 3600 + om * 60);
	if (secs > INT64_MAX / 1000000000 - 1 || secs < INT64_MIN / 1000000000 + 1)
		return -1;
	*ns = secs * 1000000000 + frac;
	return 0;
}

size_t
rfc3339_format(int64_t ns, char *out, size_t outlen)
{
	int64_t secs = ns / 1000000000, frac = ns % 1000000000;
	struct tm tm;
	time_t t;
	size_t n;
	int w = 9;

	if (frac < 0) {
		frac += 1000000000;
		secs--;
	}
	t = (time_t)secs;
	gmtime_r(&t, &tm);
	n = strftime(out, outlen, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac != 0) {
		while (frac % 10 == 0) {
			frac /= 10;
			w--;
		}
		n += (size_t)snprintf(out + n, outlen - n, ".%0*lld", w,
		    (long long)frac);
	}
	n += (size_t)snprintf(out + n, outlen - n, "Z");
	return n;
}

int
rfc3339_now(const char *given, int64_t *ns)
{
	struct timespec ts;

	if (given == NULL || *given == '\0')
		given = getenv("TEND_NOW");
	if (given != NULL && *given != '\0')
		return rfc3339_parse(given, strlen(given), ns);
	clock_gettime(CLOCK_REALTIME, &ts);
	*ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	return 0;
}
