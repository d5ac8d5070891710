/*
 * sandbox.h: runs one program the way tend runs commands it does not
 * trust to behave: argv only (never a shell), a complete environment given
 * by the caller (nothing inherited), stdin from /dev/null, stdout and
 * stderr captured up to a bound, rlimits, PR_SET_NO_NEW_PRIVS, its own
 * process group, and a wall-clock timeout after which the whole group gets
 * SIGTERM and, a grace period later, SIGKILL.
 *
 * The child is also killed (SIGKILL, PR_SET_PDEATHSIG) when the thread
 * that started it dies, so a runner killed with SIGKILL leaves no command
 * running without its timeout.  When the child exits, whatever it left
 * behind in its process group is killed too: a command's helpers never
 * outlive it (a daemon that wants to must leave the group with setsid).
 *
 * Safe to call from several threads at once: everything the child needs
 * is prepared before fork(), and the child calls only async-signal-safe
 * functions before execve().  Signal dispositions and the signal mask are
 * reset in the child (a runner that ignores SIGPIPE does not pass that on).
 *
 * Capture buffers are allocated at their bound before the child starts,
 * so they are never reallocated: a caller capturing a secret (a broker's
 * output) can wipe the one copy (sandbox_result_wipe).
 *
 * What it does not do: no namespaces, seccomp, chroot or user switch;
 * no search of PATH (argv[0] is the path executed); no input to the child.
 */
#ifndef TEND_SANDBOX_H
#define TEND_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "tenderr.h"

struct sandbox_limits {
	uint64_t cpu_s;		/* RLIMIT_CPU, seconds; 0: leave */
	uint64_t memory;	/* RLIMIT_AS, bytes; 0: leave */
	uint64_t files;		/* RLIMIT_NOFILE; 0: leave */
	uint64_t processes;	/* RLIMIT_NPROC (per user!); 0: leave */
};

struct sandbox_opts {
	char *const *argv;	/* NULL-terminated; argv[0] absolute */
	char *const *envp;	/* NULL-terminated; the whole environment */
	const char *cwd;	/* NULL: "/" */
	struct sandbox_limits lim;
	int64_t	 timeout_ms;	/* wall clock; 0: none */
	int64_t	 grace_ms;	/* SIGTERM to SIGKILL; 0: at once */
	size_t	 out_max;	/* stdout bytes kept; the rest is counted */
	size_t	 err_max;	/* stderr bytes kept */
};

struct sandbox_result {
	int	 exited;	/* 1: exit_code is set; 0: killed by sig */
	int	 exit_code;
	int	 sig;
	int	 timed_out;	/* the timeout fired (then sig is set) */
	struct buf out, err;	/* what was kept of stdout and stderr */
	uint64_t out_total, err_total;	/* bytes the child wrote */
	int64_t	 duration_ms;
};

void	sandbox_result_init(struct sandbox_result *);
void	sandbox_result_release(struct sandbox_result *);
/* Zeroes the captured bytes, then releases. */
void	sandbox_result_wipe(struct sandbox_result *);

/*
 * Runs the program and waits for it (and its timeout).  Returns 0 when it
 * ran, whatever its status (see res), or -1 with err when it could not be
 * started: TEND_EXIT_SYSTEM for fork, pipe or exec failures (the message
 * names argv[0] and the errno, e.g. "cannot run '/x': No such file or
 * directory"), TEND_EXIT_USAGE for a relative argv[0].  res is reset
 * first.
 */
int	sandbox_run(const struct sandbox_opts *, struct sandbox_result *res,
	    struct tend_err *err);

/*
 * The status the SKA rules give a finished child: its exit code when it
 * is below 128, 128 for an exit code of 128 or more, 128 + signal when it
 * was killed.
 */
int	sandbox_status(const struct sandbox_result *);

#endif
