/*
 * cli.h: the frame every tend program shares.
 *
 * Common options (CLI_COMMON_OPTS in each program's option table, handled
 * by cli_common_opt): -h/--help, -V/--version, -k/--keep-going,
 * --now TIME, --max-line BYTES, --log FILE.
 *
 * With --log, cli_emit appends each event to that event log (evlog.h)
 * instead of writing it out directly, and what goes to stdout are the
 * stored lines (with their seq) the log hands back once their frame is
 * written: in order, but up to a frame (1 MiB, or a second) later.
 * cli_finish writes and fsyncs the rest of the log before it returns, even
 * when stdout was closed.
 *
 * Messages go to stderr as "tend-PROG: FILE:LINE: what".  Events go to
 * stdout through cli_emit.  SIGPIPE is ignored so that a closed stdout
 * is seen as EPIPE: the program then stops reading, finishes what must be
 * finished (a log frame) and cli_finish re-raises SIGPIPE, so the shell
 * sees 141 as for any filter whose reader went away.
 */
#ifndef TEND_CLI_H
#define TEND_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "evlog.h"
#include "ndjson.h"
#include "tenderr.h"

enum {
	CLI_OPT_NOW = 0x1000,
	CLI_OPT_MAX_LINE,
	CLI_OPT_LOG,
	CLI_OPT_FIRST_PROGRAM	/* programs number their long-only opts here */
};

#define CLI_COMMON_SHORTOPTS "hVk"
#define CLI_COMMON_OPTS \
	{ "help", no_argument, NULL, 'h' }, \
	{ "version", no_argument, NULL, 'V' }, \
	{ "keep-going", no_argument, NULL, 'k' }, \
	{ "now", required_argument, NULL, CLI_OPT_NOW }, \
	{ "max-line", required_argument, NULL, CLI_OPT_MAX_LINE }, \
	{ "log", required_argument, NULL, CLI_OPT_LOG }

struct cli {
	const char *prog;	/* "tend-validate" */
	const char *usage;	/* the SYNOPSIS, with %s for the name */
	int	 keep_going;
	const char *now_arg;
	int64_t	 now_ns;	/* the run's clock (--now, TEND_NOW, system) */
	size_t	 max_line;
	size_t	 bad_input;	/* lines reported as bad */
	int	 status;	/* worst exit status seen so far */
	struct ndjson_writer out;
	const char *log_path;	/* --log FILE */
	struct evlog_writer_opts log_opts;	/* set before cli_start */
	struct evlog_writer *log;	/* opened by cli_start */
	struct buf logout;	/* stored lines the log handed back */
};

/* Sets the program name, SIGPIPE handling and stdout writer. */
void	cli_init(struct cli *, const char *prog, const char *usage);

/*
 * Handles a common option: returns 1 if ch was one (exiting for --help,
 * --version and bad values), 0 otherwise.
 */
int	cli_common_opt(struct cli *, int ch, const char *arg);

/*
 * After option parsing: settles the clock and opens the --log.  Exits 2 on
 * a bad --now, 4 when the log cannot be opened.
 */
void	cli_start(struct cli *);

/* Prints usage to stderr and exits 2. */
void	cli_usage_error(struct cli *) __attribute__((noreturn));

/* "tend-PROG: file:line: what" on stderr. */
void	cli_warn_at(struct cli *, const char *file, size_t line,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * A bad input line: reports it; with --keep-going emits a tend.error
 * event describing it (never the line itself, which may hold secrets)
 * and returns 0 so the caller goes on; otherwise returns -1 so the caller
 * stops.  Either way the final status is at least 3.
 */
int	cli_bad_input(struct cli *, const char *file, size_t line,
	    const char *line_bytes, size_t line_len, const char *why);

/* Writes one event line to stdout (through the log with --log).  -1 when
   stdout is gone or failed, or the log refused it (reported): the caller
   stops reading. */
int	cli_emit(struct cli *, const char *line, size_t len);

/*
 * With --log: appends line to the log and writes out the stored lines it
 * hands back.  Returns 0; or -1 with err->code TEND_EXIT_INPUT for a line
 * the log refuses (not a valid event, or one with a seq), which the caller
 * reports (cli_bad_input) and may go on from; or -1 with err->code 0 when
 * the caller must stop (stdout gone, or the log failed: reported).
 */
int	cli_log_event(struct cli *, const char *line, size_t len,
	    struct tend_err *err);

/* With --log: writes the pending frame now (and fsyncs it unless
   --sync never).  0, or -1 when the caller must stop (reported). */
int	cli_log_flush(struct cli *);

/* Raises the final status to at least st. */
void	cli_fail(struct cli *, int st);

/*
 * Closes the --log durably, flushes stdout and returns the exit status.
 * If stdout was closed by its reader, re-raises SIGPIPE instead of
 * returning.
 */
int	cli_finish(struct cli *);

#endif
