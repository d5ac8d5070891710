/*
 * Unit tests for jsonptr.c: building, splitting, resolving and matching
 * RFC 6901 JSON Pointers, and pointers from jq paths.
 * CMOCKA_MESSAGE_OUTPUT=TAP gives TAP output.
 */
#include "compat.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "json.h"
#include "jsonptr.h"
#include "tenderr.h"

static void
parse_or_fail(struct json_doc *d, const char *s, size_t len)
{
	struct tend_err err = { 0, 0, "" };

	if (json_parse(d, s, len, &err) < 0)
		fail_msg("does not parse: %s: %.200s", err.msg, s);
}

static void
test_pointers(void **state)
{
	struct buf b = BUF_INIT;
	struct json_doc d;
	const char *doc = "{\"a\":[{\"b~/c\":7}],\"\":{\" \":\"sp\"},"
	    "\"es\\u0063\":1}";
	size_t idx;

	(void)state;
	jsonptr_add(&b, "a/b~c", 5);
	jsonptr_add_index(&b, 12);
	assert_string_equal(b.p, "/a~1b~0c/12");
	buf_release(&b);

	assert_int_equal(jsonptr_index("0", 1, &idx), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(jsonptr_index("10", 2, &idx), 0);
	assert_int_equal(idx, 10);
	assert_int_equal(jsonptr_index("01", 2, &idx), -1);
	assert_int_equal(jsonptr_index("1e0", 3, &idx), -1);
	assert_int_equal(jsonptr_index("-", 1, &idx), -1);
	assert_int_equal(jsonptr_index("", 0, &idx), -1);
	assert_int_equal(jsonptr_index("99999999999999999999999", 23, &idx),
	    -1);

	json_doc_init(&d);
	parse_or_fail(&d, doc, strlen(doc));
	assert_int_equal(jsonptr_get(&d, 0, "", 0), 0);
	assert_int_equal(d.tok[jsonptr_get(&d, 0, "/a/0/b~0~1c", 11)].type,
	    JSON_NUMBER);
	assert_int_equal(d.tok[jsonptr_get(&d, 0, "// ", 3)].type,
	    JSON_STRING);
	assert_true(jsonptr_get(&d, 0, "/esc", 4) > 0);
	assert_int_equal(jsonptr_get(&d, 0, "/a/1", 4), -1);
	assert_int_equal(jsonptr_get(&d, 0, "/a/01", 5), -1);
	assert_int_equal(jsonptr_get(&d, 0, "a", 1), -1);
	assert_int_equal(jsonptr_get(&d, 0, "/a~", 3), -1);
	json_doc_release(&d);

	assert_true(jsonptr_match("/a/*/c", 6, "/a/0/c", 6, 0));
	assert_false(jsonptr_match("/a/*/c", 6, "/a/0/c/d", 8, 0));
	assert_true(jsonptr_match("/a/*/c", 6, "/a/0/c/d", 8, 1));
	assert_false(jsonptr_match("/a/*/c", 6, "/a/0", 4, 1));
	assert_false(jsonptr_match("/a/b", 4, "/a/bc", 5, 1));
	assert_true(jsonptr_match("", 0, "/x", 2, 1));
	assert_true(jsonptr_match("", 0, "", 0, 0));

	doc = "[[\"spec\",\"containers\",0,\"a/b\"],[\"x\",-1],"
	    "[{\"start\":1}]]";
	json_doc_init(&d);
	parse_or_fail(&d, doc, strlen(doc));
	{
		struct tend_err err = { 0, 0, "" };

		assert_int_equal(jsonptr_from_path(&d, 1, &b, &err), 0);
		assert_string_equal(b.p, "/spec/containers/0/a~1b");
		buf_reset(&b);
		assert_int_equal(jsonptr_from_path(&d,
		    (uint32_t)json_arr_at(&d, 0, 1), &b, &err), -1);
		assert_int_equal(jsonptr_from_path(&d,
		    (uint32_t)json_arr_at(&d, 0, 2), &b, &err), -1);
	}
	json_doc_release(&d);
	buf_release(&b);
}

static void
test_check_and_next(void **state)
{
	struct buf tok = BUF_INIT;
	struct tend_err err = { 0, 0, "" };
	const char *p = "/a~1b//m~0n", *end = p + strlen(p);

	(void)state;
	assert_int_equal(jsonptr_next(&p, end, &tok, &err), 1);
	assert_string_equal(tok.p, "a/b");
	assert_int_equal(jsonptr_next(&p, end, &tok, &err), 1);
	assert_int_equal(tok.len, 0);
	assert_int_equal(jsonptr_next(&p, end, &tok, &err), 1);
	assert_string_equal(tok.p, "m~n");
	assert_int_equal(jsonptr_next(&p, end, &tok, &err), 0);
	assert_int_equal(jsonptr_check("", 0, &err), 0);
	assert_int_equal(jsonptr_check("a/b", 3, &err), -1);
	assert_string_equal(err.msg, "JSON pointer does not start with '/'");
	assert_int_equal(jsonptr_check("/a~", 3, &err), -1);
	assert_string_equal(err.msg,
	    "JSON pointer has '~' not followed by 0 or 1");
	buf_release(&tok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pointers),
		cmocka_unit_test(test_check_and_next),
	};

	return cmocka_run_group_tests_name("jsonptr", tests, NULL, NULL);
}
