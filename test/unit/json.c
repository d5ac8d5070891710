/* Unit tests of json.c: JSONTestSuite, the tape layout, accessors. */
#include "compat.h"

#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "json.h"
#include "xmalloc.h"

static const char *
conformance(void)
{
	const char *d = getenv("TEND_CONFORMANCE");

	return d != NULL ? d : "../shared/conformance";
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	p = xmalloc((size_t)n + 1);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

/* Every y_ case parses, every n_ case is refused: 100%, by name. */
static void
test_json_test_suite(void **state)
{
	char dir[1024], path[2048];
	struct json_doc d;
	struct tend_err err;
	struct dirent *de;
	DIR *dp;
	int y = 0, n = 0, wrong = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/json-test-suite/test_parsing",
	    conformance());
	assert_non_null(dp = opendir(dir));
	json_doc_init(&d);
	while ((de = readdir(dp)) != NULL) {
		char *src;
		size_t len;
		int rc;

		if (de->d_name[0] != 'y' && de->d_name[0] != 'n')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		src = slurp(path, &len);
		rc = json_parse(&d, src, len, &err);
		if (de->d_name[0] == 'y') {
			y++;
			if (rc != 0) {
				print_message("# accepted wrongly refused: %s: %s\n",
				    de->d_name, err.msg);
				wrong++;
			}
		} else {
			n++;
			if (rc == 0) {
				print_message("# wrongly accepted: %s\n",
				    de->d_name);
				wrong++;
			}
		}
		free(src);
	}
	closedir(dp);
	json_doc_release(&d);
	print_message("# %d y_ and %d n_ cases\n", y, n);
	assert_true(y > 90 && n > 180);
	assert_int_equal(wrong, 0);
}

static int
parses(const char *s)
{
	struct json_doc d;
	struct tend_err err;
	int rc;

	json_doc_init(&d);
	rc = json_parse(&d, s, strlen(s), &err);
	json_doc_release(&d);
	return rc == 0;
}

/* What libjq 1.6 lets through and tend must not. */
static void
test_lax_inputs_refused(void **state)
{
	static const char *bad[] = {
		"nan", "NaN", "Infinity", "-Infinity", "01", "-01", "1.",
		".5", "+1", "0x10", "[1,]", "{\"a\":1,}", "'a'", "\"\\x41\"",
		"\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\\ud800\"",
		"\"\\udc00\\ud800\"", "[1] [2]", "{\"a\" 1}", "\"a\tb\"",
		"", "   ", "[", "{", "tru", "nul",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (parses(bad[i]))
			fail_msg("accepted %s", bad[i]);
	assert_true(parses("\"\\ud83d\\ude00\""));
	assert_true(parses("100000000000000000001"));
	assert_true(parses(" {\"a\" : [ 1 , -0.5e+3 , true ] } \r\n"));
}

static void
test_nul_byte_refused(void **state)
{
	struct json_doc d;
	struct tend_err err;
	static const char s[] = "{\"a\":\"x\0y\"}";

	(void)state;
	json_doc_init(&d);
	assert_int_equal(json_parse(&d, s, sizeof(s) - 1, &err), -1);
	assert_string_equal(err.msg, "invalid JSON at byte 8: NUL byte in "
	    "string");
	assert_int_equal(json_parse(&d, "{}\0", 3, &err), -1);
	json_doc_release(&d);
}

static void
test_depth_bounded(void **state)
{
	char *s = xmalloc(200001);
	struct json_doc d;
	struct tend_err err;

	(void)state;
	memset(s, '[', 100000);
	memset(s + 100000, ']', 100000);
	json_doc_init(&d);
	assert_int_equal(json_parse(&d, s, 200000, &err), -1);
	assert_non_null(strstr(err.msg, "nesting too deep"));
	assert_int_equal(json_parse(&d, s + 100000 - JSON_MAX_DEPTH,
	    2 * JSON_MAX_DEPTH, &err), 0);
	json_doc_release(&d);
	free(s);
}

static void
test_tape_and_accessors(void **state)
{
	static const char s[] = "{\"id\":\"a\\\"b\",\"n\":[1,2,{\"x\":null}],"
	    "\"big\":100000000000000000001,\"k\\u00e9y\":-7,\"e\":\"\"}";
	struct json_doc d;
	struct tend_err err;
	struct buf b = BUF_INIT;
	int64_t i, v;
	size_t len;
	const char *raw;

	(void)state;
	json_doc_init(&d);
	assert_int_equal(json_parse(&d, s, sizeof(s) - 1, &err), 0);
	assert_int_equal(d.tok[0].type, JSON_OBJECT);
	assert_int_equal(d.tok[0].size, 5);
	assert_int_equal(d.tok[0].end, d.ntok);
	i = json_obj_get(&d, 0, "id");
	assert_true(i > 0);
	assert_true(json_str_eq(&d, (uint32_t)i, "a\"b"));
	json_str_decode(&d, (uint32_t)i, &b);
	assert_string_equal(b.p, "a\"b");
	i = json_obj_get(&d, 0, "n");
	assert_int_equal(d.tok[i].size, 3);
	i = json_arr_at(&d, (uint32_t)i, 2);
	assert_int_equal(d.tok[i].type, JSON_OBJECT);
	i = json_obj_get(&d, 0, "big");
	raw = json_raw(&d, (uint32_t)i, &len);
	assert_int_equal(len, 21);
	assert_memory_equal(raw, "100000000000000000001", 21);
	assert_int_equal(json_int(&d, (uint32_t)i, &v), -1);
	i = json_obj_get(&d, 0, "k\xc3\xa9y");
	assert_true(i > 0);
	assert_int_equal(json_int(&d, (uint32_t)i, &v), 0);
	assert_int_equal(v, -7);
	assert_int_equal(json_obj_get(&d, 0, "missing"), -1);
	i = json_obj_get(&d, 0, "e");
	raw = json_raw(&d, (uint32_t)i, &len);
	assert_int_equal(len, 2);
	buf_release(&b);
	json_doc_release(&d);
}

static void
test_utf8_valid(void **state)
{
	static const char ok[] = "h\xc3\xa9llo world, long enough for the "
	    "word loop";
	size_t bad;

	(void)state;
	assert_int_equal(utf8_valid((const unsigned char *)ok, sizeof(ok) - 1,
	    &bad), 0);
	assert_int_equal(utf8_valid((const unsigned char *)"abcdefgh\xf4\x90"
	    "\x80\x80", 12, &bad), -1);
	assert_int_equal(bad, 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_test_suite),
		cmocka_unit_test(test_lax_inputs_refused),
		cmocka_unit_test(test_nul_byte_refused),
		cmocka_unit_test(test_depth_bounded),
		cmocka_unit_test(test_tape_and_accessors),
		cmocka_unit_test(test_utf8_valid),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
