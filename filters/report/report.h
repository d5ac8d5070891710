/*
 * report.h: what the parts of tend-report share.  report.c reads the
 * events (NDJSON or event logs) into a store of what each says, fmt.c
 * formats times, durations and HTML, and each subcommand has its file:
 * timeline.c, slo.c, burnin.c, whatif.c; postmortem (in report.c) puts
 * the timeline, the SLOs and a what-if into one HTML page.
 *
 * The store keeps a few decoded fields of every event, not the events:
 * a report over a large log holds a fraction of it in memory.  Strings
 * live in one arena and are named by their offset (0: absent, "").
 */
#ifndef TEND_REPORT_H
#define TEND_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cli.h"
#include "tenderr.h"

#define NS	1000000000LL
#define NO_TIME	INT64_MIN

enum rtype {
	R_OBSERVED, R_STATE, R_CHANGED, R_DRIFT, R_SUMMARY, R_PROPOSED,
	R_APPROVED, R_DENIED, R_DEFERRED, R_ESCALATED, R_STARTED,
	R_SUCCEEDED, R_FAILED, R_SKIPPED, R_CHECKPOINT, R_ERROR,
	R_INC_OPENED, R_INC_RESOLVED, R_OTHER, R_NTYPES
};

/* One event as the reports see it.  Offsets into store.arena. */
struct rev {
	uint8_t	 type;		/* enum rtype */
	uint8_t	 shadow;	/* a decision under a skill in burn-in */
	uint8_t	 dry_run;	/* started/succeeded in a dry run */
	uint8_t	 human;		/* an approval given by a human */
	uint8_t	 has_cost;
	int64_t	 time;		/* ns, or NO_TIME */
	uint64_t seq;		/* from the log, 0 if none */
	size_t	 ord;		/* input order */
	size_t	 id, subject, runid;
	size_t	 key;		/* the resource: data.key, else subject */
	size_t	 action;	/* action_id, or an incident's id */
	size_t	 skill, domain, risk, service, mode;
	size_t	 what;		/* drift kind, verdict detail, a digest */
	size_t	 text;		/* reason, reasons joined, paths */
	size_t	 reasons;	/* decisions: the raw JSON array */
	size_t	 vulns;		/* proposals: advisory ids, ' '-separated */
	size_t	 targets;	/* proposals: target keys, '\n'-separated */
	size_t	 line;		/* the raw line (whatif: what gate reads) */
	int64_t	 num;		/* duration_ms, not_before, attempt */
	double	 cost;		/* state: cost_per_day */
};

enum rformat { F_TEXT, F_JSON, F_HTML };

/* What the options asked for; one table for every subcommand. */
struct ropts {
	enum rformat format;
	int	 color;
	int64_t	 since, until;		/* NO_TIME: open */
	const char *run;
	const char *subject;		/* a glob */
	const char *policy;
	const char *gate;
	const char **trust;
	size_t	 ntrust;
	const char *period;		/* day, week, month, all */
	const char *title;
	int	 exit_code;
};

struct store {
	struct rev *ev;
	size_t	 n, cap;
	struct buf arena;
	int	 keep_lines;	/* keep raw lines of what whatif replays */
	int64_t	 first, last;	/* least and greatest event time */
};

/* The string at offset off ("" for 0). */
static inline const char *
S(const struct store *st, size_t off)
{
	return st->arena.p + off;
}

struct report {
	struct cli cli;
	struct ropts o;
	struct store st;
	struct buf out;		/* written to stdout in chunks */
	int	 stop;		/* stdout gone */
};

/* report.c */
void	report_flush(struct report *, int force);
/* Indices of the events sorted by time, then seq (both from a log), else
   stage (observed before drift before proposed ...), then input order.
   The caller frees. */
size_t	*store_by_time(const struct store *);
/* 1 if the event is inside --since/--until. */
int	in_range(const struct ropts *, int64_t t);

/* fmt.c */
/* RFC 3339 of ns into out (>= 40 bytes); "-" for NO_TIME. */
const char *fmt_time(int64_t ns, char *out, size_t len);
/* A duration for people: 1d2h, 1h30m, 45s, 1.5s, 0s. */
void	fmt_dur(struct buf *, int64_t ns);
/* Exact seconds of a duration in ns: 5400, 1.5. */
void	fmt_secs(struct buf *, int64_t ns);
/* A number with at most 2 decimals, trailing zeros trimmed. */
void	fmt_num(struct buf *, double);
/* Hours of ns as a number, exact to the second (4 decimals). */
void	fmt_hours(struct buf *, int64_t ns);
void	html_esc(struct buf *, const char *s);
void	html_escn(struct buf *, const char *s, size_t n);
/* The page's head and style, then <body>; and the end. */
void	html_begin(struct buf *, const char *title);
void	html_end(struct buf *);
/* Appends s padded with spaces to width w (counted in characters). */
void	pad(struct buf *, const char *s, size_t w);
size_t	u8len(const char *s);
/* ANSI colour around s when on. */
void	color(struct buf *, int on, const char *sgr, const char *s);

/*
 * A table from strings of the arena (named by offset, so the arena may
 * grow) to values.  smap_get returns the value's slot, adding the key
 * with value v when absent and add is set; NULL when absent and !add.
 */
struct smap {
	size_t	*keys;		/* offset + 1; 0: empty slot */
	size_t	*vals;
	size_t	 cap, n;
};
/*
 * A table of strings for text, HTML and nothing else: cells are copied.
 * tbl_text pads columns to their widest cell (a cell starting with a
 * digit or '-' followed by a digit is right-aligned in HTML only).
 */
struct tbl {
	char	**cell;
	size_t	 ncols, n, cap;	/* n cells */
};
void	tbl_init(struct tbl *, size_t ncols);
void	tbl_add(struct tbl *, const char *);
void	tbl_addf(struct tbl *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	tbl_text(const struct tbl *, struct buf *, const char *indent);
void	tbl_html(const struct tbl *, struct buf *);
void	tbl_release(struct tbl *);

size_t	*smap_get(struct smap *, const struct store *, size_t off, int add,
	    size_t v);
void	smap_release(struct smap *);

/* The subcommands: each appends its report to r->out, returns status. */
int	timeline_run(struct report *);
int	slo_run(struct report *);
int	burnin_run(struct report *);
int	whatif_run(struct report *);
/* Parts of the postmortem page (sections without html_begin/end). */
void	timeline_html_body(struct report *);
void	slo_html_body(struct report *);
void	burnin_html_body(struct report *);
int	whatif_html_body(struct report *);

#endif
