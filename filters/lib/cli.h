/*
 * cli.h: the frame every tend program shares.
 *
 * Common options (CLI_COMMON_OPTS in each program's option table, handled
 * by cli_common_opt): -h/--help, -V/--version, -k/--keep-going,
 * --now TIME, --max-line BYTES.
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
#include "ndjson.h"
#include "tenderr.h"

enum {
	CLI_OPT_NOW = 0x1000,
	CLI_OPT_MAX_LINE,
	CLI_OPT_FIRST_PROGRAM	/* programs number their long-only opts here */
};

#define CLI_COMMON_SHORTOPTS "hVk"
#define CLI_COMMON_OPTS \
	{ "help", no_argument, NULL, 'h' }, \
	{ "version", no_argument, NULL, 'V' }, \
	{ "keep-going", no_argument, NULL, 'k' }, \
	{ "now", required_argument, NULL, CLI_OPT_NOW }, \
	{ "max-line", required_argument, NULL, CLI_OPT_MAX_LINE }

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
};

/* Sets the program name, SIGPIPE handling and stdout writer. */
void	cli_init(struct cli *, const char *prog, const char *usage);

/*
 * Handles a common option: returns 1 if ch was one (exiting for --help,
 * --version and bad values), 0 otherwise.
 */
int	cli_common_opt(struct cli *, int ch, const char *arg);

/* After option parsing: settles the clock.  Exits 2 on a bad --now. */
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

/* Writes one event line to stdout.  -1 when stdout is gone or failed:
   the caller stops reading. */
int	cli_emit(struct cli *, const char *line, size_t len);

/* Raises the final status to at least st. */
void	cli_fail(struct cli *, int st);

/*
 * Flushes stdout and returns the exit status.  If stdout was closed by
 * its reader, re-raises SIGPIPE instead of returning.
 */
int	cli_finish(struct cli *);

#endif
