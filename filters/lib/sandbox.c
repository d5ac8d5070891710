/*
 * Running a program under limits; see sandbox.h.
 */
#include "compat.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "sandbox.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* What the child reports through the exec pipe when it cannot exec. */
enum {
	STAGE_SETUP = 1, STAGE_NNP, STAGE_RLIMIT, STAGE_CHDIR, STAGE_EXEC,
};

struct child_err {
	int	 stage;
	int	 err;
};

struct rl {
	int	 res;
	struct rlimit v;
};

void
sandbox_result_init(struct sandbox_result *r)
{
	memset(r, 0, sizeof(*r));
}

void
sandbox_result_release(struct sandbox_result *r)
{
	buf_release(&r->out);
	buf_release(&r->err);
	sandbox_result_init(r);
}

void
sandbox_result_wipe(struct sandbox_result *r)
{
	if (r->out.p != NULL)
		sodium_memzero(r->out.p, r->out.cap);
	if (r->err.p != NULL)
		sodium_memzero(r->err.p, r->err.cap);
	sandbox_result_release(r);
}

int
sandbox_status(const struct sandbox_result *r)
{
	if (!r->exited)
		return 128 + r->sig;
	return r->exit_code >= 128 ? 128 : r->exit_code;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
report(int fd, int stage)
{
	struct child_err ce;
	ssize_t n;

	ce.stage = stage;
	ce.err = errno;
	do
		n = write(fd, &ce, sizeof(ce));
	while (n < 0 && errno == EINTR);
	_exit(127);
}

/* In the child, after fork: async-signal-safe calls only. */
static void __attribute__((noreturn))
child(const struct sandbox_opts *o, pid_t parent, int devnull, int outw,
    int errw, int exw, const struct rl *rl, size_t nrl)
{
	struct sigaction sa;
	sigset_t none;
	size_t i;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL);
	if (setpgid(0, 0) < 0)
		report(exw, STAGE_SETUP);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		report(exw, STAGE_SETUP);
	if (getppid() != parent)
		_exit(127);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		report(exw, STAGE_NNP);
	if (dup2(devnull, 0) < 0 || dup2(outw, 1) < 0 || dup2(errw, 2) < 0)
		report(exw, STAGE_SETUP);
	for (i = 0; i < nrl; i++)
		if (setrlimit(rl[i].res, &rl[i].v) < 0)
			report(exw, STAGE_RLIMIT);
	if (chdir(o->cwd != NULL ? o->cwd : "/") < 0)
		report(exw, STAGE_CHDIR);
	/* Nothing but 0, 1 and 2 crosses the exec, whoever opened it. */
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		struct rlimit nf;
		int fd, max = 4096;

		if (getrlimit(RLIMIT_NOFILE, &nf) == 0 &&
		    nf.rlim_cur != RLIM_INFINITY && nf.rlim_cur < 65536)
			max = (int)nf.rlim_cur;
		for (fd = 3; fd < max; fd++)
			if (fd != exw)
				(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	execve(o->argv[0], o->argv, o->envp);
	report(exw, STAGE_EXEC);
	_exit(127);
}

static size_t
set_limits(const struct sandbox_limits *l, struct rl *rl)
{
	size_t n = 0;

	if (l->cpu_s > 0) {
		rl[n].res = RLIMIT_CPU;
		rl[n].v.rlim_cur = l->cpu_s;
		rl[n++].v.rlim_max = l->cpu_s + 1;
	}
	if (l->memory > 0) {
		rl[n].res = RLIMIT_AS;
		rl[n].v.rlim_cur = rl[n].v.rlim_max = l->memory;
		n++;
	}
	if (l->files > 0) {
		rl[n].res = RLIMIT_NOFILE;
		rl[n].v.rlim_cur = rl[n].v.rlim_max = l->files;
		n++;
	}
	if (l->processes > 0) {
		rl[n].res = RLIMIT_NPROC;
		rl[n].v.rlim_cur = rl[n].v.rlim_max = l->processes;
		n++;
	}
	return n;
}

/* Reads what fd has into b (up to max kept; read straight into b, which
   has room for max, so a secret is copied nowhere else).  0 at EOF, 1
   otherwise. */
static int
drain(int fd, struct buf *b, size_t max, uint64_t *total)
{
	char tmp[4096];
	ssize_t n;
	int rc;

	for (;;) {
		if (b->len < max)
			n = read(fd, b->p + b->len, max - b->len);
		else
			n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 && errno == EAGAIN;
			break;
		}
		*total += (uint64_t)n;
		if (b->len < max) {
			b->len += (size_t)n;
			b->p[b->len] = '\0';
		}
	}
	sodium_memzero(tmp, sizeof(tmp));
	return rc;
}

static const char *
stage_name(int stage)
{
	switch (stage) {
	case STAGE_NNP:
		return "cannot set no_new_privs for";
	case STAGE_RLIMIT:
		return "cannot set the limits of";
	case STAGE_CHDIR:
		return "cannot change to the directory of";
	case STAGE_EXEC:
		return "cannot run";
	default:
		return "cannot set up";
	}
}

/* Has the child exited?  Leaves it a zombie, so its pid (and process
   group id) cannot be reused while we still signal the group. */
static int
child_exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno == ECHILD;
	return si.si_pid == pid;
}

int
sandbox_run(const struct sandbox_opts *o, struct sandbox_result *res,
    struct tend_err *err)
{
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, xp[2] = { -1, -1 };
	int devnull = -1, pidfd = -1, status, rc = -1, out_open, err_open;
	int exited = 0, phase = 0;
	struct rl rl[4];
	size_t nrl;
	struct child_err ce;
	sigset_t all, old;
	int64_t start, deadline = 0, kill_at = 0, drain_until = 0, now, wait;
	struct pollfd pfd[3];
	pid_t pid, parent = getpid();
	ssize_t n;

	sandbox_result_release(res);
	if (o->argv == NULL || o->argv[0] == NULL || o->argv[0][0] != '/')
		return tend_err_set(err, TEND_EXIT_USAGE, "a command must be "
		    "an absolute path");
	buf_grow(&res->out, o->out_max);
	buf_grow(&res->err, o->err_max);
	res->out.p[0] = res->err.p[0] = '\0';
	nrl = set_limits(&o->lim, rl);
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
	    pipe2(xp, O_CLOEXEC) < 0) {
		tend_err_sys(err, "cannot make a pipe");
		goto out;
	}
	if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		tend_err_sys(err, "cannot open /dev/null");
		goto out;
	}
	start = mono_ms();
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		child(o, parent, devnull, outp[1], errp[1], xp[1], rl, nrl);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		tend_err_sys(err, "cannot fork");
		goto out;
	}
	(void)setpgid(pid, pid);
	close(outp[1]);
	close(errp[1]);
	close(xp[1]);
	outp[1] = errp[1] = xp[1] = -1;
	do
		n = read(xp[0], &ce, sizeof(ce));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(ce)) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		errno = ce.err;
		tend_err_sys(err, "%s '%s'", stage_name(ce.stage), o->argv[0]);
		goto out;
	}

	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	fcntl(outp[0], F_SETFL, O_NONBLOCK);
	fcntl(errp[0], F_SETFL, O_NONBLOCK);
	out_open = err_open = 1;
	if (o->timeout_ms > 0)
		deadline = start + o->timeout_ms;
	for (;;) {
		int nfd = 0, iout = -1, ierr = -1;

		now = mono_ms();
		if (!exited && phase == 0 && deadline > 0 && now >= deadline) {
			res->timed_out = 1;
			if (o->grace_ms > 0) {
				kill(-pid, SIGTERM);
				kill_at = now + o->grace_ms;
				phase = 1;
			} else {
				kill(-pid, SIGKILL);
				phase = 2;
			}
		}
		if (!exited && phase == 1 && now >= kill_at) {
			kill(-pid, SIGKILL);
			phase = 2;
		}
		if (!exited && child_exited(pid)) {
			exited = 1;
			/* leftovers in its group go with it */
			kill(-pid, SIGKILL);
			drain_until = now + 200;
		}
		if (exited && ((!out_open && !err_open) || now >= drain_until))
			break;
		wait = -1;
		if (!exited) {
			if (phase == 0 && deadline > 0)
				wait = deadline - now;
			else if (phase == 1)
				wait = kill_at - now;
			if (pidfd < 0 && (wait < 0 || wait > 10))
				wait = 10;
		} else
			wait = drain_until - now;
		if (wait < 0 && exited)
			wait = 0;
		if (out_open) {
			pfd[nfd].fd = outp[0];
			pfd[nfd].events = POLLIN;
			iout = nfd++;
		}
		if (err_open) {
			pfd[nfd].fd = errp[0];
			pfd[nfd].events = POLLIN;
			ierr = nfd++;
		}
		/* readable when the child exits */
		if (!exited && pidfd >= 0) {
			pfd[nfd].fd = pidfd;
			pfd[nfd].events = POLLIN;
			nfd++;
		}
		if (poll(pfd, (nfds_t)nfd, wait > INT32_MAX ? INT32_MAX :
		    (int)wait) < 0 && errno != EINTR) {
			tend_err_sys(err, "poll");
			kill(-pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			goto out;
		}
		if (iout >= 0 && pfd[iout].revents != 0)
			out_open = drain(outp[0], &res->out, o->out_max,
			    &res->out_total);
		if (ierr >= 0 && pfd[ierr].revents != 0)
			err_open = drain(errp[0], &res->err, o->err_max,
			    &res->err_total);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	res->duration_ms = mono_ms() - start;
	if (WIFEXITED(status)) {
		res->exited = 1;
		res->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status))
		res->sig = WTERMSIG(status);
	rc = 0;
out:
	if (pidfd >= 0)
		close(pidfd);
	if (devnull >= 0)
		close(devnull);
	if (outp[0] >= 0)
		close(outp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
	if (errp[0] >= 0)
		close(errp[0]);
	if (errp[1] >= 0)
		close(errp[1]);
	if (xp[0] >= 0)
		close(xp[0]);
	if (xp[1] >= 0)
		close(xp[1]);
	return rc;
}
