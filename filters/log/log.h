/*
 * log.h: the subcommands of tend-log, shared between its files.
 * Each takes the cli frame and the arguments after the subcommand's name
 * (argv[0] is the name) and returns the exit status.
 */
#ifndef TEND_LOG_LOG_H
#define TEND_LOG_LOG_H

#include "cli.h"

enum {
	OPT_SYNC = CLI_OPT_FIRST_PROGRAM,
	OPT_LEVEL,
	OPT_FRAME_SIZE,
	OPT_FOLLOW,
	OPT_SEQ,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_TYPE,
	OPT_SUBJECT,
	OPT_RUN,
	OPT_JSON,
	OPT_QUIET,
};

int	log_cat(struct cli *, int argc, char *argv[]);

#endif
