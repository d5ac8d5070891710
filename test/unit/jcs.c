/*
 * Unit tests for jcs.c: the RFC 8785 test vectors (cyberphone
 * json-canonicalization testdata, in shared/conformance/jcs), the first
 * 10,000 lines of its ES6 number file, and the cases JCS rejects.
 *
 * The conformance folder is $TEND_CONFORMANCE, else ../shared/conformance
 * (the runner starts tests from the repository root).
 * CMOCKA_MESSAGE_OUTPUT=TAP gives TAP output.
 */
#include "compat.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "conformance.h"

#include <errno.h>
#include <inttypes.h>

#include "buf.h"
#include "jcs.h"
#include "json.h"
#include "tenderr.h"

/* Canonicalises text; returns jcs_canon's result, output in out. */
static int
canon_str(const char *text, size_t len, struct buf *out, struct tend_err *e)
{
	struct json_doc d;
	struct tend_err perr = { 0, 0, "" };
	int r;

	json_doc_init(&d);
	if (json_parse(&d, text, len, &perr) < 0)
		fail_msg("test input does not parse: %s", perr.msg);
	r = jcs_canon(&d, 0, out, e);
	json_doc_release(&d);
	return r;
}

/* Asserts that text canonicalises to want. */
static void
expect_canon(const char *text, const char *want)
{
	struct buf out = BUF_INIT;
	struct tend_err e = { 0, 0, "" };

	if (canon_str(text, strlen(text), &out, &e) < 0)
		fail_msg("%s: unexpected error: %s", text, e.msg);
	assert_string_equal(out.p, want);
	buf_release(&out);
}

/* Asserts that text is rejected with TEND_EXIT_INPUT and msg containing
   what. */
static void
expect_reject(const char *text, const char *what)
{
	struct buf out = BUF_INIT;
	struct tend_err e = { 0, 0, "" };

	assert_int_equal(canon_str(text, strlen(text), &out, &e), -1);
	assert_int_equal(e.code, TEND_EXIT_INPUT);
	if (strstr(e.msg, what) == NULL)
		fail_msg("error '%s' does not mention '%s'", e.msg, what);
	buf_release(&out);
}

/* Decodes space-separated hex bytes ("5b 35 ...") into b. */
static void
unhex(const char *s, struct buf *b)
{
	char *end;
	unsigned long v;

	for (;;) {
		while (*s == ' ' || *s == '\n' || *s == '\r')
			s++;
		if (*s == '\0')
			return;
		v = strtoul(s, &end, 16);
		assert_true(end != s && v <= 0xff);
		buf_addc(b, (char)v);
		s = end;
	}
}

static void
test_conformance_vectors(void **state)
{
	static const char *cases[] = {
		"arrays", "french", "structures", "unicode", "values", "weird",
	};
	char rel[64];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct buf in = BUF_INIT, want = BUF_INIT, hex = BUF_INIT;
		struct buf wanthex = BUF_INIT, out = BUF_INIT;
		struct tend_err e = { 0, 0, "" };

		snprintf(rel, sizeof(rel), "jcs/input/%s.json", cases[i]);
		read_conf(rel, &in);
		snprintf(rel, sizeof(rel), "jcs/output/%s.json", cases[i]);
		read_conf(rel, &want);
		snprintf(rel, sizeof(rel), "jcs/outhex/%s.txt", cases[i]);
		read_conf(rel, &hex);
		unhex(hex.p, &wanthex);

		if (canon_str(in.p, in.len, &out, &e) < 0)
			fail_msg("%s: %s", cases[i], e.msg);
		if (out.len != want.len || memcmp(out.p, want.p, out.len) != 0)
			fail_msg("%s: got %s, want %s", cases[i], out.p,
			    want.p);
		assert_int_equal(out.len, wanthex.len);
		assert_memory_equal(out.p, wanthex.p, out.len);

		buf_release(&in);
		buf_release(&want);
		buf_release(&hex);
		buf_release(&wanthex);
		buf_release(&out);
	}
}

static void
test_es6_numbers_10k(void **state)
{
	struct buf file = BUF_INIT, out = BUF_INIT;
	char *line, *next, *comma, *end;
	uint64_t bits;
	double v;
	size_t lines = 0, bad = 0;

	(void)state;
	read_conf("jcs/numbers/es6testfile10k.txt", &file);
	for (line = file.p; *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) == NULL)
			next = line + strlen(line);
		else
			*next++ = '\0';
		if ((comma = strchr(line, ',')) == NULL)
			fail_msg("line %zu: no comma", lines + 1);
		*comma = '\0';
		errno = 0;
		bits = strtoull(line, &end, 16);
		assert_true(errno == 0 && *end == '\0' && end != line);
		memcpy(&v, &bits, sizeof(v));
		lines++;
		buf_reset(&out);
		jcs_number(v, &out);
		if (strcmp(out.p, comma + 1) != 0 && bad++ < 10)
			print_error("line %zu: %s: got %s, want %s\n", lines,
			    line, out.p, comma + 1);
	}
	assert_int_equal(lines, 10000);
	assert_int_equal(bad, 0);
	buf_release(&file);
	buf_release(&out);
}

/* Asserts jcs_number of the double with IEEE 754 bits `bits`. */
static void
expect_bits(uint64_t bits, const char *want)
{
	struct buf out = BUF_INIT;
	double v;

	memcpy(&v, &bits, sizeof(v));
	jcs_number(v, &out);
	assert_string_equal(out.p, want);
	buf_release(&out);
}

static void
test_number_forms(void **state)
{
	(void)state;
	/*
	 * Powers of two whose shortest digits lie above the nearest 16-digit
	 * decimal (the gap below is half the gap above; node agrees).
	 */
	expect_bits(0x0060000000000000ULL, "7.120236347223045e-307");
	expect_bits(0x7cf0000000000000ULL, "6.386688990511104e+293");
	expect_bits(0x444b1ae4d6e2ef50ULL, "1e+21");
	expect_bits(0x8000000000000001ULL, "-5e-324");
	/* Everything goes through a double, as RFC 8785 says. */
	expect_canon("100000000000000000001", "100000000000000000000");
	expect_canon("[-0, -0.0, 0e5, 1e-999]", "[0,0,0,0]");
	expect_canon("[56.0, 4.50, 1E30, 2e-3, 1e21, 1e-7]",
	    "[56,4.5,1e+30,0.002,1e+21,1e-7]");
	expect_canon("[123456789012345, -123456789012345, 9007199254740993]",
	    "[123456789012345,-123456789012345,9007199254740992]");
	expect_canon("[0.000001, 123e-20, 1.7976931348623157e308]",
	    "[0.000001,1.23e-18,1.7976931348623157e+308]");
}

static void
test_infinite_number_rejected(void **state)
{
	(void)state;
	expect_reject("1e999", "out of range");
	expect_reject("{\"a\":[1,-1e999]}", "-1e999");
}

static void
test_duplicate_keys_rejected(void **state)
{
	struct buf big = BUF_INIT, out = BUF_INIT;
	struct tend_err e = { 0, 0, "" };
	int i;

	(void)state;
	expect_reject("{\"a\":1,\"a\":2}", "duplicate object key \"a\"");
	/* err->offset points at the second key's opening quote. */
	assert_int_equal(canon_str("{\"a\":1,\"a\":2}", 13, &out, &e), -1);
	assert_int_equal(e.offset, 7);
	buf_release(&out);
	/* Equal once decoded, though the raw bytes differ. */
	expect_reject("{\"a\":1,\"\\u0061\":2}", "duplicate object key");
	expect_reject("{\"\\ud83d\\ude02\":1,\"\xf0\x9f\x98\x82\":2}",
	    "duplicate object key");
	expect_reject("[{\"x\":{\"k\":1,\"k\":2}}]", "duplicate object key");
	/* Large enough to be merge-sorted rather than insertion-sorted. */
	buf_addc(&big, '{');
	for (i = 0; i < 300; i++)
		buf_addf(&big, "%s\"k%d\":%d", i ? "," : "", i * 7 % 300, i);
	buf_adds(&big, ",\"k123\":0}");
	expect_reject(big.p, "duplicate object key \"k123\"");
	buf_release(&big);
}

static void
test_utf16_key_order(void **state)
{
	struct buf in = BUF_INIT, want = BUF_INIT;
	int i;

	(void)state;
	/*
	 * UTF-16 puts U+1F602 (D83D DE02) between U+D7FF and U+E000; UTF-8
	 * byte order would put it last.
	 */
	expect_canon("{\"\xef\xbf\xbf\":1,\"\xee\x80\x80\":2,"
	    "\"\xf0\x9f\x98\x82\":3,\"\xed\x9f\xbf\":4,\"z\":5}",
	    "{\"z\":5,\"\xed\x9f\xbf\":4,\"\xf0\x9f\x98\x82\":3,"
	    "\"\xee\x80\x80\":2,\"\xef\xbf\xbf\":1}");
	/* The same keys escaped, mixed with raw ones. */
	expect_canon("{\"\\uffff\":1,\"\xee\x80\x80\":2,"
	    "\"\\ud83d\\ude02\":3,\"\\ud7ff\":4}",
	    "{\"\xed\x9f\xbf\":4,\"\xf0\x9f\x98\x82\":3,"
	    "\"\xee\x80\x80\":2,\"\xef\xbf\xbf\":1}");
	/* Prefixes sort first; the first differing unit decides. */
	expect_canon("{\"ab\":1,\"a\":2,\"\":3,\"b\":4,\"aa\":5}",
	    "{\"\":3,\"a\":2,\"aa\":5,\"ab\":1,\"b\":4}");
	/* 40 keys: the merge sort, with the same fix-up. */
	buf_addc(&in, '{');
	buf_addc(&want, '{');
	for (i = 0; i < 20; i++)
		buf_addf(&in, "\"\xef\xbf%c\":%d,\"\xf0\x9f\x98%c\":%d,",
		    0x80 + 19 - i, i, 0x80 + 19 - i, i);
	for (i = 0; i < 20; i++)
		buf_addf(&want, "%s\"\xf0\x9f\x98%c\":%d", i ? "," : "",
		    0x80 + i, 19 - i);
	for (i = 0; i < 20; i++)
		buf_addf(&want, ",\"\xef\xbf%c\":%d", 0x80 + i, 19 - i);
	in.p[in.len - 1] = '}';
	buf_addc(&want, '}');
	expect_canon(in.p, want.p);
	buf_release(&in);
	buf_release(&want);
}

static void
test_string_escaping(void **state)
{
	(void)state;
	/* Only " \ and controls are escaped; / DEL and non-ASCII are not. */
	expect_canon("\"\\u0000\\u001F\\b\\f\\n\\r\\t\\\"\\\\\\/\\u007f\"",
	    "\"\\u0000\\u001f\\b\\f\\n\\r\\t\\\"\\\\/\x7f\"");
	expect_canon("\"\\u00e9\\u20AC\\uD83D\\uDE02 </script>\"",
	    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x82 </script>\"");
	expect_canon("{\"\\u0022\\n\":\"\\u005c\"}",
	    "{\"\\\"\\n\":\"\\\\\"}");
}

static void
test_subvalue_and_append(void **state)
{
	static const char text[] =
	    " { \"b\" : [ true , null ] , \"a\" : { } } ";
	struct json_doc d;
	struct buf out = BUF_INIT;
	struct tend_err e = { 0, 0, "" };
	int64_t b;

	(void)state;
	json_doc_init(&d);
	assert_int_equal(json_parse(&d, text, strlen(text), &e), 0);
	b = json_obj_get(&d, 0, "b");
	assert_true(b > 0);
	buf_adds(&out, "prefix:");
	assert_int_equal(jcs_canon(&d, (uint32_t)b, &out, &e), 0);
	assert_string_equal(out.p, "prefix:[true,null]");
	json_doc_release(&d);
	buf_release(&out);
}

static void
test_digest_known_values(void **state)
{
	/* sha256 of the canonical bytes, from Python hashlib and sha256sum. */
	static const char text[] = "{\"b\":[1,2.50,\"x\"],\"a\":null}";
	static const char want1[] =
	    "cacedc786abc936ff5388c20aad7a580a43bd81efb4e8df98d138f3816b04bab";
	static const char want2[] =
	    "2d5e01a318d0f0879ab568c4be289c8b1f64ef8921a53c6277d5e069978baacb";
	struct json_doc d;
	struct buf in = BUF_INIT, hex = BUF_INIT;
	struct tend_err e = { 0, 0, "" };
	unsigned char md[JCS_DIGEST_LEN];

	(void)state;
	json_doc_init(&d);
	assert_int_equal(json_parse(&d, text, strlen(text), &e), 0);
	assert_int_equal(jcs_digest(&d, 0, md, &e), 0);
	buf_add_hex(&hex, md, sizeof(md));
	assert_string_equal(hex.p, want1);

	read_conf("jcs/input/values.json", &in);
	assert_int_equal(json_parse(&d, in.p, in.len, &e), 0);
	assert_int_equal(jcs_digest(&d, 0, md, &e), 0);
	buf_reset(&hex);
	buf_add_hex(&hex, md, sizeof(md));
	assert_string_equal(hex.p, want2);

	assert_int_equal(json_parse(&d, "[1e999]", 7, &e), 0);
	e.code = 0;
	assert_int_equal(jcs_digest(&d, 0, md, &e), -1);
	assert_int_equal(e.code, TEND_EXIT_INPUT);

	json_doc_release(&d);
	buf_release(&in);
	buf_release(&hex);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conformance_vectors),
		cmocka_unit_test(test_es6_numbers_10k),
		cmocka_unit_test(test_number_forms),
		cmocka_unit_test(test_infinite_number_rejected),
		cmocka_unit_test(test_duplicate_keys_rejected),
		cmocka_unit_test(test_utf16_key_order),
		cmocka_unit_test(test_string_escaping),
		cmocka_unit_test(test_subvalue_and_append),
		cmocka_unit_test(test_digest_known_values),
	};

	return cmocka_run_group_tests_name("jcs", tests, NULL, NULL);
}
