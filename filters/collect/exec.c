/*
 * tend-collect exec: runs a command without a shell and reads its JSON,
 * NDJSON or YAML output, as from a file.
 *
 * The command gets /dev/null as its standard input and this program's
 * standard error, runs in a process group of its own, and with --timeout
 * is sent SIGTERM, then SIGKILL a second later, group and all.  run_capture
 * is also how kubeconfig exec credential plugins are run (k8s.c).
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "collect.h"
#include "xmalloc.h"

#define EXEC_MAX_OUT ((size_t)1 << 30)

extern char **environ;

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Waits for pid.  With kill_it, or when it is still running at the
 * deadline (it closed its output but went on), kills its group: TERM,
 * then KILL a second later.  *timed_out says the deadline passed.
 */
static int
reap(pid_t pid, int kill_it, int64_t deadline, int *timed_out, int *status)
{
	int64_t until;
	pid_t r;

	while (!kill_it && deadline > 0) {
		if ((r = waitpid(pid, status, WNOHANG)) == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_ms() >= deadline) {
			*timed_out = kill_it = 1;
			break;
		}
		poll(NULL, 0, 20);
	}
	if (kill_it) {
		kill(-pid, SIGTERM);
		until = now_ms() + 1000;
		while ((r = waitpid(pid, status, WNOHANG)) == 0 &&
		    now_ms() < until)
			poll(NULL, 0, 20);
		if (r == pid)
			return 0;
		kill(-pid, SIGKILL);
	}
	while ((r = waitpid(pid, status, 0)) < 0 && errno == EINTR)
		;
	return r == pid ? 0 : -1;
}

static char **
make_env(const char *const *envadd)
{
	char **env;
	size_t n = 0, m = 0, i, j, k;

	while (environ[n] != NULL)
		n++;
	while (envadd != NULL && envadd[m] != NULL)
		m++;
	env = xreallocarray(NULL, n + m + 1, sizeof(*env));
	for (i = 0, k = 0; i < n; i++) {
		/* an added variable replaces the inherited one */
		for (j = 0; j < m; j++) {
			const char *eq = strchr(envadd[j], '=');
			size_t l = eq != NULL ? (size_t)(eq - envadd[j]) : 0;

			if (l > 0 && strncmp(environ[i], envadd[j], l + 1) == 0)
				break;
		}
		if (j == m)
			env[k++] = environ[i];
	}
	for (j = 0; j < m; j++)
		env[k++] = (char *)(uintptr_t)envadd[j];
	env[k] = NULL;
	return env;
}

int
run_capture(const char *const *argv, const char *const *envadd,
    long timeout_ms, struct buf *out, size_t max, struct tend_err *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, def;
	struct pollfd pfd;
	char tmp[65536], **env;
	int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	int fds[2], status, rc, timed_out = 0, too_big = 0, wait_ms;
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return tend_err_sys(err, "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
	    O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);	/* we ignore it; the child must not */
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	env = make_env(envadd);
	rc = posix_spawnp(&pid, argv[0], &fa, &attr,
	    (char *const *)(uintptr_t)argv, env);
	free(env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		errno = rc;
		return tend_err_sys(err, "cannot run '%s'", argv[0]);
	}
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	for (;;) {
		wait_ms = -1;
		if (deadline > 0) {
			int64_t left = deadline - now_ms();

			if (left <= 0) {
				timed_out = 1;
				break;
			}
			wait_ms = left > 1000000 ? 1000000 : (int)left;
		}
		rc = poll(&pfd, 1, wait_ms);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc == 0)
			continue;
		n = read(fds[0], tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out->len + (size_t)n > max) {
			too_big = 1;
			break;
		}
		buf_add(out, tmp, (size_t)n);
	}
	close(fds[0]);
	if (reap(pid, timed_out || too_big, deadline, &timed_out,
	    &status) < 0)
		return tend_err_sys(err, "'%s': waitpid", argv[0]);
	if (timed_out)
		return tend_err_set(err, TEND_EXIT_SYSTEM, "'%s' timed out "
		    "after %ld s", argv[0], timeout_ms / 1000);
	if (too_big)
		return tend_err_set(err, TEND_EXIT_INPUT, "'%s' wrote more "
		    "than %zu bytes", argv[0], max);
	if (WIFSIGNALED(status))
		return tend_err_set(err, TEND_EXIT_SYSTEM, "'%s' was killed "
		    "by signal %d (%s)", argv[0], WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		return tend_err_set(err, TEND_EXIT_SYSTEM, "'%s' exited with "
		    "status %d", argv[0], WEXITSTATUS(status));
	return 0;
}

int
src_exec(struct collect *c, int argc, char **argv)
{
	struct tend_err err = { 0 };
	struct buf out = BUF_INIT;
	struct docsrc ds;
	const char **av;
	int i, rc;

	if (argc == 0) {
		warnx("exec: no command given");
		cli_usage_error(&c->cli);
	}
	av = xreallocarray(NULL, (size_t)argc + 1, sizeof(*av));
	for (i = 0; i < argc; i++)
		av[i] = argv[i];
	av[argc] = NULL;
	collect_progress(c, "running %s", argv[0]);
	rc = run_capture(av, NULL, c->timeout_ms, &out, EXEC_MAX_OUT, &err);
	free(av);
	collect_progress_done(c);
	if (rc < 0) {
		warnx("%s", err.msg);
		cli_fail(&c->cli, err.code);
		buf_release(&out);
		return -1;
	}
	memset(&ds, 0, sizeof(ds));
	ds.provider = "exec";
	ds.scope = "_";
	ds.name = argv[0];
	ds.source = argv[0];
	rc = collect_text(c, &ds, out.p != NULL ? out.p : "", out.len,
	    argv[0], FMT_SNIFF);
	buf_release(&out);
	return rc;
}
