/*
 * wal.h: the event log as tend apply's write-ahead log (see wal.c), and
 * the table of actions, by action_id, that the log and this run know of.
 */
#ifndef TEND_APPLY_WAL_H
#define TEND_APPLY_WAL_H

#include <stddef.h>

#include "tenderr.h"

struct wal_entry {
	char	*id;
	int	 started;	/* tend.action.started seen */
	int	 attempt;	/* the highest attempt started */
	int	 open;		/* started, no result yet: interrupted */
	int	 done;		/* succeeded */
	int	 failed;	/* failed after it started */
	int	 taken;		/* this run has taken it from its input */
	int	 dry;		/* this dry run would have carried it out */
};

struct wal {
	struct wal_entry **slot;
	size_t	 cap, n;
	int	 lockfd;
	int	 torn;		/* the log ended in a torn tail */
};

void	wal_init(struct wal *);
void	wal_release(struct wal *);

/* The entry of id; with add, a new empty one when there is none. */
struct wal_entry *wal_get(struct wal *, const char *id, int add);

/*
 * Locks the log at path for this run (kept until wal_release).  0, or -1
 * with err (TEND_EXIT_SYSTEM) when another tend-apply holds it.
 */
int	wal_lock(struct wal *, const char *path, struct tend_err *);

/*
 * Reads the log: every tend.action.started, .succeeded and .failed that
 * tend-apply wrote.  0, or -1 with err: TEND_EXIT_INPUT when a frame is
 * damaged (then what was done cannot be told), TEND_EXIT_SYSTEM when it
 * cannot be read.
 */
int	wal_load(struct wal *, const char *path, struct tend_err *);

#endif
