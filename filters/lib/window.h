/*
 * window.h: change windows and freezes for tend gate.
 *
 * A recurring window opens at each time its cron expression matches, on
 * the wall clock of its IANA time zone, and stays open for its duration
 * in real (elapsed) time.  A freeze is a fixed range [from, until) of
 * RFC 3339 times.
 *
 * Cron: five fields, minute hour day-of-month month day-of-week, each
 * '*', a number, a range a-b, a list a,b, and steps (a star or a range,
 * then a slash and n); month and weekday names (jan, mon) in any case;
 * Sunday is 0 or 7; the macros @hourly @daily @weekly @monthly @yearly.  When both day fields are
 * restricted, either matching is enough (as Vixie cron).
 *
 * DST, stated because every cron treats it differently: matching is on
 * the local wall clock minute by minute of real time, so a window whose
 * start falls in the hour skipped in spring does not open that day, and
 * one whose start falls in the hour repeated in autumn opens at each of
 * the two.  Tests cover both, in two zones.
 *
 * No Debian library parses cron expressions for use from C (cron and
 * systemd keep theirs inside the daemons), hence this module.
 */
#ifndef TEND_WINDOW_H
#define TEND_WINDOW_H

#include <stdint.h>

#include "tenderr.h"

struct cron {
	uint64_t minute;	/* bit n: minute n matches */
	uint32_t hour;
	uint32_t dom;		/* bits 1..31 */
	uint16_t month;		/* bits 1..12 */
	uint8_t	 dow;		/* bits 0..6, Sunday 0 */
	uint8_t	 dom_star, dow_star;
};

struct window {
	int	 is_range;	/* a freeze/date range, not a cron window */
	struct cron cron;
	int64_t	 duration_s;
	char	 tz[64];
	int64_t	 from_ns, until_ns;	/* is_range */
};

/* Parses a cron expression; 0, or -1 with err naming the bad field. */
int	cron_parse(struct cron *, const char *expr, struct tend_err *);

/* Parses "90m", "4h", "1h30m", "2d", "45s"; 0 or -1 with err. */
int	duration_parse(const char *s, int64_t *seconds, struct tend_err *);

/*
 * Sets up a cron window; tz must name a zone in /usr/share/zoneinfo
 * (glibc silently takes an unknown zone as UTC, so it is checked).
 */
int	window_cron(struct window *, const char *expr, const char *duration,
	    const char *tz, struct tend_err *);
/* Sets up a fixed range from two RFC 3339 times, from < until. */
int	window_range(struct window *, const char *from, const char *until,
	    struct tend_err *);

/* 1 if the window is open at t (ns since the epoch), else 0. */
int	window_open_at(const struct window *, int64_t t_ns);

/*
 * The first time >= t_ns (minute resolution) at which the window is
 * open, searched up to 366 days ahead: 0 and *next set, or -1 if it does
 * not open in that time.
 */
int	window_next_open(const struct window *, int64_t t_ns, int64_t *next);

/* The first time > t_ns at which the open window closes. */
int64_t	window_close_after(const struct window *, int64_t t_ns);

#endif
