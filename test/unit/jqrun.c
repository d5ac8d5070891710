/* Unit tests of jqrun.c: confinement, errors, bound variables, output. */
#include "compat.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <unistd.h>

#include "jqrun.h"

/* Compiles and runs prog on input; returns the outputs as a JSON array,
   or the error message (static storage). */
static const char *
run(const char *prog, const char *input, const struct jqvar *vars,
    size_t nvars, const char *libdir)
{
	static struct buf out;
	static struct tend_err err;
	struct jqprog *p;
	int rc;

	buf_release(&out);
	if ((p = jqprog_compile(prog, "t.jq", libdir, vars, nvars, &err)) ==
	    NULL)
		return err.msg;
	rc = jqprog_run_array(p, input, strlen(input), &out, &err);
	jqprog_free(p);
	return rc == 0 ? out.p : err.msg;
}

static void
test_runs_and_dumps(void **state)
{
	(void)state;
	assert_string_equal(run(".a, .b", "{\"a\":1.5,\"b\":\"x\\n\"}", NULL,
	    0, NULL), "[1.5,\"x\\n\"]");
	assert_string_equal(run("[1e21, 1e-7, 0.1+0.2, -0]", "null", NULL, 0,
	    NULL), "[[1e+21,1e-7,0.30000000000000004,0]]");
	assert_string_equal(run("empty", "1", NULL, 0, NULL), "[]");
	assert_string_equal(run("{b:1, a:[true,false,null]}", "1", NULL, 0,
	    NULL), "[{\"b\":1,\"a\":[true,false,null]}]");
}

static void
test_confined(void **state)
{
	(void)state;
	setenv("TEND_SECRET_FOR_TEST", "hunter2", 1);
	assert_string_equal(run("$ENV", "null", NULL, 0, NULL), "[{}]");
	assert_string_equal(run("env", "null", NULL, 0, NULL), "[{}]");
	assert_string_equal(run("def f: $ENV.HOME; f", "null", NULL, 0,
	    NULL), "[null]");
	assert_string_equal(run("input", "null", NULL, 0, NULL),
	    "t.jq: input is not available");
	assert_string_equal(run("[inputs]", "null", NULL, 0, NULL),
	    "t.jq: inputs is not available");
	assert_string_equal(run("now", "null", NULL, 0, NULL),
	    "t.jq: now is not available: use the run's time");
	assert_string_equal(run("import \"x\" as x; .", "null", NULL, 0,
	    NULL), "t.jq: imports are not allowed here");
	assert_string_equal(run("# c\ninclude \"../etc/x\"; .", "null", NULL,
	    0, "/tmp"), "t.jq: import path must stay in the skill's folder");
	assert_string_equal(run("import \"/etc/x\" as x; .", "null", NULL, 0,
	    "/tmp"), "t.jq: import path must stay in the skill's folder");
}

/* libjq 1.6 would include $HOME/.jq, whose definitions come first. */
static void
test_home_jq_not_read(void **state)
{
	char dir[] = "/tmp/tend-jqrun-XXXXXX", path[64];
	const char *was = getenv("HOME");
	char *saved = was != NULL ? strdup(was) : NULL;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/.jq", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("def length: \"redefined\"; def from_home: 1;\n", f);
	assert_int_equal(fclose(f), 0);
	setenv("HOME", dir, 1);
	assert_string_equal(run("[1,2] | length", "null", NULL, 0, NULL),
	    "[2]");
	assert_non_null(strstr(run("from_home", "null", NULL, 0, NULL),
	    "from_home/0 is not defined"));
	assert_string_equal(getenv("HOME"), dir);	/* put back */
	unlink(path);
	rmdir(dir);
	if (saved != NULL)
		setenv("HOME", saved, 1);
	else
		unsetenv("HOME");
	free(saved);
}

static void
test_errors_name_the_program(void **state)
{
	const char *e;

	(void)state;
	e = run("\n\n.a | frob", "null", NULL, 0, NULL);
	assert_non_null(strstr(e, "t.jq: "));
	assert_non_null(strstr(e, "frob/0 is not defined"));
	assert_non_null(strstr(e, "line 3"));
	assert_string_equal(run(".a.b", "{\"a\":5}", NULL, 0, NULL),
	    "t.jq: Cannot index number with string \"b\"");
	assert_string_equal(run("error({x:1})", "null", NULL, 0, NULL),
	    "t.jq: {\"x\":1}");
}

static int
collect_doc(void *ctx, const char *s, size_t n)
{
	struct buf *b = ctx;

	if (b->p[b->len - 1] != '[')
		buf_addc(b, ',');
	buf_add(b, s, n);
	return 0;
}

static void
test_vars(void **state)
{
	static const struct jqvar v[] = {
		{ "prices", "{\"m5\":0.2}", 10 },
		{ "n", "3", 1 },
	};

	(void)state;
	assert_string_equal(run("$prices[.] * $n", "\"m5\"", v, 2, NULL),
	    "[0.6000000000000001]");
}

/* jqprog_run_doc gives what jqprog_run gives on the same text. */
static void
test_run_doc(void **state)
{
	static const char *const in[] = {
		"{\"a\":[1,-0,0.5,-12,1e2,123456789012345678,3.0e-3],"
		    "\"b\\n\":\"x\\u00e9\\\"\",\"c\":{},\"d\":[],"
		    "\"e\":[true,false,null],\"a\":\"last wins\"}",
		"\"\\ud83d\\ude00\"", "-7", "[]",
	};
	struct jqprog *p;
	struct tend_err err = { 0 };
	struct json_doc d;
	struct buf a = BUF_INIT, b = BUF_INIT;
	size_t i;

	(void)state;
	p = jqprog_compile("., (.. | numbers | . + 1)", "t.jq", NULL, NULL, 0,
	    &err);
	assert_non_null(p);
	json_doc_init(&d);
	for (i = 0; i < ARRAY_SIZE(in); i++) {
		buf_reset(&a);
		buf_reset(&b);
		assert_int_equal(jqprog_run_array(p, in[i], strlen(in[i]), &a,
		    &err), 0);
		assert_int_equal(json_parse(&d, in[i], strlen(in[i]), &err),
		    0);
		buf_addc(&b, '[');
		assert_int_equal(jqprog_run_doc(p, &d, 0, collect_doc, &b,
		    &err), 0);
		buf_addc(&b, ']');
		assert_string_equal(a.p, b.p);
	}
	json_doc_release(&d);
	buf_release(&a);
	buf_release(&b);
	jqprog_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs_and_dumps),
		cmocka_unit_test(test_confined),
		cmocka_unit_test(test_home_jq_not_read),
		cmocka_unit_test(test_errors_name_the_program),
		cmocka_unit_test(test_vars),
		cmocka_unit_test(test_run_doc),
	};

	return cmocka_run_group_tests_name("jqrun", tests, NULL, NULL);
}
