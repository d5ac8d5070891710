/* Unit tests of yaml2json.c: YAML as kubectl reads it, and its bounds. */
#include "compat.h"

#include <fcntl.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "jcs.h"
#include "json.h"
#include "yaml2json.h"

static struct buf got;
static struct tend_err yerr;
static size_t errline;

static int
collect(void *ctx, const char *json, size_t len, size_t line)
{
	(void)ctx;
	(void)line;
	if (got.len > 0)
		buf_addc(&got, '\n');
	buf_add(&got, json, len);
	return 0;
}

/* The documents of yaml as JSON texts joined by newlines, or NULL. */
static const char *
conv(const char *yaml)
{
	buf_reset(&got);
	memset(&yerr, 0, sizeof(yerr));
	errline = 0;
	if (yaml2json(yaml, strlen(yaml), NULL, collect, NULL, &errline,
	    &yerr) < 0)
		return NULL;
	return got.p != NULL ? got.p : "";
}

static void
test_scalars(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "a: 1", "{\"a\":1}" },
		{ "a: -12", "{\"a\":-12}" },
		{ "a: +12", "{\"a\":12}" },
		{ "a: 1_000", "{\"a\":1000}" },
		{ "a: 0x1F", "{\"a\":31}" },
		{ "a: 017", "{\"a\":15}" },
		{ "a: 0o17", "{\"a\":15}" },
		{ "a: 0b101", "{\"a\":5}" },
		{ "a: 08", "{\"a\":8}" },
		{ "a: 18446744073709551615", "{\"a\":18446744073709551615}" },
		{ "a: -9223372036854775808", "{\"a\":-9223372036854775808}" },
		{ "a: 18446744073709551616", "{\"a\":18446744073709552000}" },
		{ "a: 1.5", "{\"a\":1.5}" },
		{ "a: 1e3", "{\"a\":1000}" },
		{ "a: .5", "{\"a\":0.5}" },
		{ "a: 1.", "{\"a\":1}" },
		{ "a: 1e999", "{\"a\":\"1e999\"}" },
		{ "a: 0xZZ", "{\"a\":\"0xZZ\"}" },
		{ "a: '1'", "{\"a\":\"1\"}" },
		{ "a: \"true\"", "{\"a\":\"true\"}" },
		{ "a: yes", "{\"a\":true}" },
		{ "a: Off", "{\"a\":false}" },
		{ "a: n", "{\"a\":false}" },
		{ "a: tRUE", "{\"a\":\"tRUE\"}" },
		{ "a: ~", "{\"a\":null}" },
		{ "a:", "{\"a\":null}" },
		{ "a: NULL", "{\"a\":null}" },
		{ "a: 2001-12-14", "{\"a\":\"2001-12-14\"}" },
		{ "a: 2016-08-04T22:39:38Z", "{\"a\":\"2016-08-04T22:39:38Z\"}" },
		{ "a: 1.2.3", "{\"a\":\"1.2.3\"}" },
		{ "a: -x", "{\"a\":\"-x\"}" },
		{ "y: 1", "{\"true\":1}" },
		{ "a: !!str 12", "{\"a\":\"12\"}" },
		{ "a: ! 12", "{\"a\":\"12\"}" },
		{ "a: !!int \"12\"", "{\"a\":12}" },
		{ "a: !!float 1", "{\"a\":1}" },
		{ "a: !!binary aGk=", "{\"a\":\"aGk=\"}" },
		{ "a: !Ref x", "{\"a\":\"x\"}" },
		{ "a: |\n  line\n  two\n", "{\"a\":\"line\\ntwo\\n\"}" },
		{ "a: \"tab\\there \\u00e9 \\0\"",
		    "{\"a\":\"tab\\there \xc3\xa9 \\u0000\"}" },
		{ "on: 1\n1: 2\n~: 3\n1.5: 4", "{\"true\":1,\"1\":2,\"null\":3,"
		    "\"1.5\":4}" },
		{ "[1, two, {a: b}]", "[1,\"two\",{\"a\":\"b\"}]" },
		{ "", "" },
		{ "---\n...\n", "null" },
		{ "a: 1\n---\nb: 2\n", "{\"a\":1}\n{\"b\":2}" },
		{ "- \"quote\\\"s\"", "[\"quote\\\"s\"]" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *out = conv(cases[i].in);

		if (out == NULL)
			fail_msg("%s: %s", cases[i].in, yerr.msg);
		assert_string_equal(out, cases[i].out);
	}
}

static void
test_anchors_and_merges(void **state)
{
	(void)state;
	assert_string_equal(conv("a: &x {k: 1}\nb: *x\nc: [*x, *x]"),
	    "{\"a\":{\"k\":1},\"b\":{\"k\":1},\"c\":[{\"k\":1},{\"k\":1}]}");
	/* keys written in the mapping win wherever they stand */
	assert_string_equal(conv("d: &d {a: 1, b: 2}\n"
	    "m: {a: 9, <<: *d, c: 3}"),
	    "{\"d\":{\"a\":1,\"b\":2},\"m\":{\"a\":9,\"b\":2,\"c\":3}}");
	assert_string_equal(conv("p: &x {a: 1}\nq: &y {a: 2, b: 2}\n"
	    "m: {<<: [*x, *y]}"),
	    "{\"p\":{\"a\":1},\"q\":{\"a\":2,\"b\":2},\"m\":{\"a\":1,\"b\":2}}");
	/* a merged mapping's own merges */
	assert_string_equal(conv("p: &x {a: 1}\nq: &y {<<: *x, b: 2}\n"
	    "m: {<<: *y, c: 3}"), "{\"p\":{\"a\":1},\"q\":{\"a\":1,\"b\":2},"
	    "\"m\":{\"a\":1,\"b\":2,\"c\":3}}");
	/* "<<" quoted is a plain key */
	assert_string_equal(conv("'<<': 1"), "{\"<<\":1}");
	/* a later anchor of the same name wins */
	assert_string_equal(conv("- &a 1\n- &a 2\n- *a"), "[1,2,2]");
	/* anchors are per document */
	assert_null(conv("- &a 1\n---\n- *a\n"));
	assert_int_equal(errline, 3);
}

static void
test_errors(void **state)
{
	static const struct {
		const char *in, *msg;
		size_t line;
	} cases[] = {
		{ "a: 1\nb: [1, 2\n", "YAML: while parsing a flow sequence "
		    "did not find expected ',' or ']'", 3 },
		{ "a: 1\na: 2\n", "duplicate YAML mapping key 'a'", 2 },
		{ "on: 1\ntrue: 2\n", "duplicate YAML mapping key 'true'", 2 },
		{ "a: .inf", "YAML value '.inf' has no JSON form", 1 },
		{ "a: !!int x", "cannot read 'x' as !!int", 1 },
		{ "x: 1\n? [a]\n: 1\n", "a YAML mapping key must be a scalar", 2 },
		{ "a: *nope", "YAML alias '*nope' names no anchor before it (or "
		    "its own enclosing node)", 1 },
		{ "a: &a [*a]", "YAML alias '*a' names no anchor before it (or "
		    "its own enclosing node)", 1 },
		{ "m: {<<: 1}", "a YAML merge (<<) takes a mapping or a sequence "
		    "of mappings", 1 },
		{ "a: \"\xff\"", NULL, 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (conv(cases[i].in) != NULL)
			fail_msg("%s: accepted", cases[i].in);
		assert_int_equal(yerr.code, TEND_EXIT_INPUT);
		if (cases[i].msg != NULL)
			assert_string_equal(yerr.msg, cases[i].msg);
		assert_int_equal(errline, cases[i].line);
	}
}

static void
test_bounds(void **state)
{
	struct buf y = BUF_INIT;
	int i;

	(void)state;
	/* billion laughs: 10^9 leaves; refused before any expansion */
	buf_adds(&y, "a: &a [x,x,x,x,x,x,x,x,x,x]\n");
	for (i = 'b'; i <= 'i'; i++)
		buf_addf(&y, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,"
		    "*%c]\n", i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1,
		    i - 1, i - 1, i - 1, i - 1);
	assert_null(conv(y.p));
	assert_true(strstr(yerr.msg, "expands to more than") != NULL);
	/* depth, directly and through aliases */
	buf_reset(&y);
	for (i = 0; i < 600; i++)
		buf_addc(&y, '[');
	for (i = 0; i < 600; i++)
		buf_addc(&y, ']');
	assert_null(conv(y.p));
	assert_string_equal(yerr.msg, "YAML nested deeper than 512");
	buf_reset(&y);
	buf_adds(&y, "a: &a ");
	for (i = 0; i < 300; i++)
		buf_addc(&y, '[');
	for (i = 0; i < 300; i++)
		buf_addc(&y, ']');
	buf_adds(&y, "\nb: &b ");
	for (i = 0; i < 300; i++)
		buf_addc(&y, '[');
	buf_adds(&y, "*a");
	for (i = 0; i < 300; i++)
		buf_addc(&y, ']');
	assert_null(conv(y.p));
	assert_string_equal(yerr.msg,
	    "YAML nested deeper than 512 (aliases expanded)");
	buf_release(&y);
}

static char *
slurp(const char *path, size_t *len)
{
	struct buf b = BUF_INIT;
	char tmp[65536];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY)) < 0)
		return NULL;
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		buf_add(&b, tmp, (size_t)n);
	close(fd);
	*len = b.len;
	return b.p;
}

static void
canon(const char *s, size_t len, struct buf *out)
{
	struct json_doc d;
	struct tend_err e = { 0 };

	json_doc_init(&d);
	if (json_parse(&d, s, len, &e) < 0 || jcs_canon(&d, 0, out, &e) < 0)
		fail_msg("%s", e.msg);
	json_doc_release(&d);
}

/* The real kubectl/gitops-engine YAML objects against their JSON forms. */
static void
test_conformance(void **state)
{
	static const char *const pairs[][2] = {
		{ "gitops-engine/smd-deploy-live.yaml",
		    "derived/smd-deploy-live.json" },
		{ "gitops-engine/smd-service-live.yaml",
		    "derived/smd-service-live.json" },
		{ "gitops-engine/pod-crashloop.yaml",
		    "derived/pod-crashloop.json" },
		{ "gitops-engine/pod-running-restart-always.yaml",
		    "derived/pod-running-restart-always.json" },
		{ "kubectl/rc-managedfields-lastapplied.yaml",
		    "derived/rc-managedfields-lastapplied.json" },
	};
	const char *dir = getenv("TEND_CONFORMANCE");
	char path[4096];
	struct buf a = BUF_INIT, b = BUF_INIT, j = BUF_INIT;
	size_t i, ylen, jlen;
	char *ys, *js;

	(void)state;
	if (dir == NULL)
		dir = "../shared/conformance";
	for (i = 0; i < ARRAY_SIZE(pairs); i++) {
		snprintf(path, sizeof(path), "%s/k8s/%s", dir, pairs[i][0]);
		if ((ys = slurp(path, &ylen)) == NULL) {
			skip();
			return;
		}
		snprintf(path, sizeof(path), "%s/k8s/%s", dir, pairs[i][1]);
		assert_non_null(js = slurp(path, &jlen));
		buf_reset(&j);
		if (yaml2json_one(ys, ylen, NULL, &j, NULL, &yerr) < 0)
			fail_msg("%s: %s", pairs[i][0], yerr.msg);
		buf_reset(&a);
		buf_reset(&b);
		canon(j.p, j.len, &a);
		canon(js, jlen, &b);
		assert_string_equal(a.p, b.p);
		free(ys);
		free(js);
	}
	buf_release(&a);
	buf_release(&b);
	buf_release(&j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_anchors_and_merges),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_conformance),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	buf_release(&got);
	return rc;
}
