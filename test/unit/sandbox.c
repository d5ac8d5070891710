/* Unit tests of sandbox.c: running a program under limits. */
#include "compat.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sandbox.h"

#define S(s) ((char *)(s))

static char *noenv[] = { NULL };

/* Is pid still running (not gone, not a zombie)? */
static int
alive(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || p[1] == '\0')
		return 0;
	return p[2] != 'Z' && p[2] != 'X';
}

/* SIGKILL is delivered at once, but a loaded machine may take a moment to
   tear the process down: give it up to two seconds. */
static int
alive_after_wait(pid_t pid)
{
	int i;

	for (i = 0; i < 200 && alive(pid); i++)
		usleep(10000);
	return alive(pid);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs argv with envp and the options' defaults (out/err 4096). */
static int
run(char **argv, char **envp, struct sandbox_opts *o,
    struct sandbox_result *r, struct tend_err *err)
{
	struct sandbox_opts d;

	if (o == NULL) {
		memset(&d, 0, sizeof(d));
		d.out_max = d.err_max = 4096;
		d.timeout_ms = 10000;
		o = &d;
	}
	o->argv = argv;
	o->envp = envp;
	return sandbox_run(o, r, err);
}

static void
test_output_and_status(void **state)
{
	char *argv[] = { S("/bin/sh"), S("-c"),
	    S("echo out; echo err >&2; exit 3"), NULL };
	struct sandbox_result r;
	struct tend_err err = { 0 };

	(void)state;
	sandbox_result_init(&r);
	assert_int_equal(run(argv, noenv, NULL, &r, &err), 0);
	assert_true(r.exited);
	assert_int_equal(r.exit_code, 3);
	assert_int_equal(sandbox_status(&r), 3);
	assert_string_equal(r.out.p, "out\n");
	assert_string_equal(r.err.p, "err\n");
	assert_false(r.timed_out);
	sandbox_result_release(&r);
}

static void
test_signal_status(void **state)
{
	char *argv[] = { S("/bin/sh"), S("-c"), S("kill -USR1 $$"), NULL };
	char *argv2[] = { S("/bin/sh"), S("-c"), S("exit 200"), NULL };
	struct sandbox_result r;
	struct tend_err err = { 0 };

	(void)state;
	sandbox_result_init(&r);
	assert_int_equal(run(argv, noenv, NULL, &r, &err), 0);
	assert_false(r.exited);
	assert_int_equal(r.sig, SIGUSR1);
	assert_int_equal(sandbox_status(&r), 128 + SIGUSR1);
	assert_int_equal(run(argv2, noenv, NULL, &r, &err), 0);
	assert_int_equal(sandbox_status(&r), 128);
	sandbox_result_release(&r);
}

/* Only the environment given, stdin from /dev/null, no_new_privs, the
   rlimits, and signals at their defaults even though ours are not. */
static void
test_environment_and_limits(void **state)
{
	char *argv[] = { S("/bin/sh"), S("-c"), S("env; cat; ulimit -n; "
	    "grep NoNewPrivs /proc/self/status; pwd; "
	    "grep SigIgn /proc/self/status"), NULL };
	char *envp[] = { S("ONLY=this"), NULL };
	const char *ign;
	struct sandbox_opts o;
	struct sandbox_result r;
	struct tend_err err = { 0 };

	(void)state;
	memset(&o, 0, sizeof(o));
	o.out_max = o.err_max = 4096;
	o.lim.files = 37;
	o.cwd = "/tmp";
	signal(SIGPIPE, SIG_IGN);
	sandbox_result_init(&r);
	assert_int_equal(run(argv, envp, &o, &r, &err), 0);
	/* sh adds PWD (and dash nothing else) */
	assert_non_null(strstr(r.out.p, "ONLY=this\n"));
	assert_null(strstr(r.out.p, "HOME="));
	assert_null(strstr(r.out.p, "PATH=/usr"));
	assert_non_null(strstr(r.out.p, "\n37\n"));
	assert_non_null(strstr(r.out.p, "NoNewPrivs:\t1\n"));
	assert_non_null(strstr(r.out.p, "\n/tmp\n"));
	/* No classic signal (1..31) ignored; glibc's own 32 and 33 cannot
	   be reset, and make ignores them in what it runs. */
	assert_non_null(ign = strstr(r.out.p, "SigIgn:\t"));
	assert_int_equal(strtoull(ign + 8, NULL, 16) & 0x7fffffffULL, 0);
	signal(SIGPIPE, SIG_DFL);
	sandbox_result_release(&r);
}

static void
test_output_bound(void **state)
{
	char *argv[] = { S("/bin/sh"), S("-c"), S("i=0; while [ $i -lt 2000 ]; "
	    "do echo 0123456789; i=$((i+1)); done"), NULL };
	struct sandbox_opts o;
	struct sandbox_result r;
	struct tend_err err = { 0 };

	(void)state;
	memset(&o, 0, sizeof(o));
	o.out_max = 100;
	o.err_max = 0;
	sandbox_result_init(&r);
	assert_int_equal(run(argv, noenv, &o, &r, &err), 0);
	assert_int_equal(r.out.len, 100);
	assert_int_equal(r.out_total, 22000);
	assert_int_equal(r.exit_code, 0);
	sandbox_result_wipe(&r);
}

/* A command that ignores SIGTERM and leaves a child that does too:
   both are gone at the timeout plus the grace. */
static void
test_timeout_kills_the_group(void **state)
{
	char *argv[] = { S("/bin/sh"), S("-c"), S("trap '' TERM; "
	    "(trap '' TERM; sleep 3601) & echo $!; wait; sleep 3601"), NULL };
	struct sandbox_opts o;
	struct sandbox_result r;
	struct tend_err err = { 0 };
	int64_t t0, took;
	pid_t child;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.out_max = o.err_max = 4096;
	o.timeout_ms = 300;
	o.grace_ms = 200;
	sandbox_result_init(&r);
	t0 = now_ms();
	assert_int_equal(run(argv, noenv, &o, &r, &err), 0);
	took = now_ms() - t0;
	assert_true(r.timed_out);
	assert_false(r.exited);
	assert_int_equal(r.sig, SIGKILL);
	assert_true(took >= 500);
	assert_true(took < 2000);
	child = (pid_t)atoi(r.out.p);
	assert_true(child > 0);
	assert_false(alive_after_wait(child));
	sandbox_result_release(&r);
}

/* When the command exits, what it left running in its group goes too. */
static void
test_leftovers_are_killed(void **state)
{
	char *argv[] = { S("/bin/sh"), S("-c"),
	    S("sleep 3602 >/dev/null 2>&1 & echo $!"), NULL };
	struct sandbox_result r;
	struct tend_err err = { 0 };
	pid_t child;
	int i;

	(void)state;
	sandbox_result_init(&r);
	assert_int_equal(run(argv, noenv, NULL, &r, &err), 0);
	assert_int_equal(r.exit_code, 0);
	child = (pid_t)atoi(r.out.p);
	assert_true(child > 0);
	/* killed (a zombie until its new parent reaps it) */
	for (i = 0; i < 100 && alive(child); i++)
		usleep(10000);
	assert_false(alive_after_wait(child));
	sandbox_result_release(&r);
}

static void
test_cannot_run(void **state)
{
	char *missing[] = { S("/nonexistent/tend-test"), NULL };
	char *relative[] = { S("sh"), S("-c"), S("true"), NULL };
	struct sandbox_result r;
	struct tend_err err = { 0 };

	(void)state;
	sandbox_result_init(&r);
	assert_int_equal(run(missing, noenv, NULL, &r, &err), -1);
	assert_int_equal(err.code, TEND_EXIT_SYSTEM);
	assert_string_equal(err.msg, "cannot run '/nonexistent/tend-test': "
	    "No such file or directory");
	assert_int_equal(run(relative, noenv, NULL, &r, &err), -1);
	assert_int_equal(err.code, TEND_EXIT_USAGE);
	sandbox_result_release(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_and_status),
		cmocka_unit_test(test_signal_status),
		cmocka_unit_test(test_environment_and_limits),
		cmocka_unit_test(test_output_bound),
		cmocka_unit_test(test_timeout_kills_the_group),
		cmocka_unit_test(test_leftovers_are_killed),
		cmocka_unit_test(test_cannot_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
