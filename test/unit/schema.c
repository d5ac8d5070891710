/*
 * Unit tests of schema.c: the embedded schemas and their examples under
 * test/schemas (which test/schemas/check.sh runs through Python's
 * jsonschema too), the CloudEvents examples, each keyword, and what a load
 * refuses.  Run from the top of the tree.
 */
#include "compat.h"

#include <dirent.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "json.h"
#include "schema.h"
#include "xmalloc.h"

struct tcase {
	const char	*inst;
	const char	*want;		/* NULL: valid */
};

/* What our validator says about each invalid example. */
static const struct {
	const char	*file;
	const char	*msg;
} invalid_examples[] = {
	{ "envelope.v1.json", "/seq: 0 is less than minimum 1" },
	{ "ignore.v1.json", "/ignore/0/reason: required property missing" },
	{ "tend.action.approved.v1.json",
	    "/data/signature: required property missing" },
	{ "tend.action.deferred.v1.json",
	    "/data/not_before: matches 0 schemas in oneOf, not exactly one" },
	{ "tend.action.denied.v1.json",
	    "/data/reasons: 0 items, fewer than minItems 1" },
	{ "tend.action.escalated.v1.json",
	    "/data/notified/0: not one of enum [\"alertmanager\",\"webhook\"]" },
	{ "tend.action.failed.v1.json",
	    "/data/error: 0 characters, fewer than minLength 1" },
	{ "tend.action.proposed.v1.json",
	    "/data/executor/type: not one of enum "
	    "[\"http\",\"exec\",\"file\"]" },
	{ "tend.action.skipped.v1.json",
	    "/data/reason: required property missing" },
	{ "tend.action.started.v1.json",
	    "/data/attempt: 0 is less than minimum 1" },
	{ "tend.action.succeeded.v1.json",
	    "/data/http_status: not allowed by additionalProperties" },
	{ "tend.diff.summary.v1.json",
	    "/data/missing: -1 is less than minimum 0" },
	{ "tend.drift.detected.v1.json",
	    "/data/patch/0/value: required property missing" },
	{ "tend.error.v1.json", "/data/line: expected integer, got string" },
	{ "tend.incident.opened.v1.json",
	    "/data/incident_id: expected string, got number" },
	{ "tend.incident.resolved.v1.json",
	    "/data: expected object, got array" },
	{ "tend.log.checkpoint.v1.json",
	    "/data/root_hash: does not match "
	    "pattern \"^[A-Za-z0-9+/]{43}=$\"" },
	{ "tend.resource.changed.v1.json",
	    "/data/key: does not match pattern "
	    "\"^[a-z0-9][a-z0-9_.-]*:[^/]*/[^/]+/.\"" },
	{ "tend.resource.observed.v1.json",
	    "/data/object: required property missing" },
	{ "tend.resource.state.v1.json",
	    "/data/digest: does not match pattern \"^sha256:[0-9a-f]{64}$\"" },
};

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

	if (f == NULL)
		fail_msg("cannot open '%s'", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	p = xmalloc((size_t)n + 1);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	p[n] = '\0';
	*len = (size_t)n;
	return p;
}

/* Event schemas' examples are whole events; other schemas' (files that
   programs read, such as policies) are the documents themselves. */
static int
is_event_schema(const char *name)
{
	return strcmp(name, "envelope.v1.json") == 0 ||
	    strncmp(name, "tend.", 5) == 0;
}

static const char *
invalid_message(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(invalid_examples); i++)
		if (strcmp(invalid_examples[i].file, name) == 0)
			return invalid_examples[i].msg;
	return NULL;
}

/* Checks the example at path against schema name, as check.sh does:
   0 or -1, the message in err; 1 if there is no such file. */
static int
check_example(struct schema_set *set, const char *name, const char *path,
    struct tend_err *err)
{
	struct json_doc d;
	char *src;
	size_t len;
	int rc;

	if (access(path, F_OK) != 0)
		return 1;
	src = slurp(path, &len);
	json_doc_init(&d);
	if (json_parse(&d, src, len, err) < 0)
		fail_msg("%s: %s", path, err->msg);
	memset(err, 0, sizeof(*err));
	if (is_event_schema(name))
		rc = schema_set_check_event(set, &d, 0, err);
	else
		rc = schema_validate(schema_set_get(set, name), &d, 0, err);
	json_doc_release(&d);
	free(src);
	return rc;
}

static struct schema_set *
load_embedded(void)
{
	struct tend_err err = { 0 };
	struct schema_set *set = schema_set_load(&err);

	if (set == NULL)
		fail_msg("embedded schemas: %s", err.msg);
	return set;
}

/* Checks src as an event: 0 or -1 as schema_set_check_event, msg in err. */
static int
check_event(struct schema_set *set, const char *src, size_t len,
    struct tend_err *err)
{
	struct json_doc d;
	int rc;

	json_doc_init(&d);
	if (json_parse(&d, src, len, err) < 0)
		fail_msg("not JSON: %s: %s", src, err->msg);
	rc = schema_set_check_event(set, &d, 0, err);
	json_doc_release(&d);
	return rc;
}

/* Each case validated against schema (loaded as t.json, with the extra
   blobs), and its outcome compared with the expected one. */
static void
run_cases_with(const char *schema, const struct schema_blob *extra,
    size_t nextra, const struct tcase *c, size_t n)
{
	struct schema_blob b[4];
	struct schema_set *set;
	struct tend_err err = { 0 };
	struct json_doc d;
	size_t i;
	int rc;

	assert_true(nextra < ARRAY_SIZE(b));
	for (i = 0; i < nextra; i++)
		b[i] = extra[i];
	b[nextra].name = "t.json";
	b[nextra].data = (const unsigned char *)schema;
	b[nextra].len = strlen(schema);
	if ((set = schema_set_load_blobs(b, nextra + 1, &err)) == NULL)
		fail_msg("%s: %s", schema, err.msg);
	json_doc_init(&d);
	for (i = 0; i < n; i++) {
		if (json_parse(&d, c[i].inst, strlen(c[i].inst), &err) < 0)
			fail_msg("not JSON: %s: %s", c[i].inst, err.msg);
		memset(&err, 0, sizeof(err));
		rc = schema_validate(schema_set_get(set, "t.jso"
		    "n"), &d, 0, &err);
		if (c[i].want == NULL && rc != 0)
			fail_msg("%s\n  on %s\n  want valid\n  got  %s", schema,
			    c[i].inst, err.msg);
		if (c[i].want != NULL && rc == 0)
			fail_msg("%s\n  on %s\n  want %s\n  got  valid", schema,
			    c[i].inst, c[i].want);
		if (c[i].want != NULL && strcmp(c[i].want, err.msg) != 0)
			fail_msg("%s\n  on %s\n  want %s\n  got  %s", schema,
			    c[i].inst, c[i].want, err.msg);
		if (rc != 0)
			assert_int_equal(err.code, TEND_EXIT_INPUT);
	}
	json_doc_release(&d);
	schema_set_free(set);
}

#define CASES(schema, ...) do { \
	static const struct tcase c_[] = { __VA_ARGS__ }; \
	run_cases_with((schema), NULL, 0, c_, ARRAY_SIZE(c_)); \
} while (0)

/* Loading schema as t.json fails with a message starting with want. */
static void
load_fails(const char *schema, const char *want)
{
	struct schema_blob b = { "t.json", (const unsigned char *)schema,
	    strlen(schema) };
	struct tend_err err = { 0 };
	struct schema_set *set;

	if ((set = schema_set_load_blobs(&b, 1, &err)) != NULL) {
		schema_set_free(set);
		fail_msg("%s: loaded, want %s", schema, want);
	}
	assert_int_equal(err.code, TEND_EXIT_INPUT);
	if (strncmp(err.msg, want, strlen(want)) != 0)
		fail_msg("%s\n  want %s\n  got  %s", schema, want, err.msg);
}

/* Every schema loads; every event schema has its invalid example's
   message in invalid_examples, and every entry there names a schema. */
static void
test_embedded(void **state)
{
	struct schema_set *set = load_embedded();
	size_t i;

	(void)state;
	for (i = 0; i < schema_nblobs; i++) {
		assert_non_null(schema_set_get(set, schema_blobs[i].name));
		if (is_event_schema(schema_blobs[i].name) &&
		    invalid_message(schema_blobs[i].name) == NULL)
			fail_msg("%s: not in invalid_examples",
			    schema_blobs[i].name);
	}
	for (i = 0; i < ARRAY_SIZE(invalid_examples); i++)
		if (schema_set_get(set, invalid_examples[i].file) == NULL)
			fail_msg("invalid_examples: no schema %s",
			    invalid_examples[i].file);
	assert_null(schema_set_get(set, "nope.json"));
	schema_set_free(set);
}

/* check.sh insists that every schema has both examples; here only the
   event schemas must. */
static void
test_valid_examples(void **state)
{
	struct schema_set *set = load_embedded();
	struct tend_err err = { 0 };
	const char *name;
	char path[512];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < schema_nblobs; i++) {
		name = schema_blobs[i].name;
		snprintf(path, sizeof(path), "test/schemas/valid/%s", name);
		rc = check_example(set, name, path, &err);
		if (rc == 1 && is_event_schema(name))
			fail_msg("no %s", path);
		if (rc < 0)
			fail_msg("%s: %s", path, err.msg);
	}
	schema_set_free(set);
}

static void
test_invalid_examples(void **state)
{
	struct schema_set *set = load_embedded();
	struct tend_err err = { 0 };
	const char *name, *want;
	char path[512];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < schema_nblobs; i++) {
		name = schema_blobs[i].name;
		want = invalid_message(name);
		snprintf(path, sizeof(path), "test/schemas/invalid/%s", name);
		rc = check_example(set, name, path, &err);
		if (rc == 1 && is_event_schema(name))
			fail_msg("no %s", path);
		if (rc == 0)
			fail_msg("%s: valid, want %s", path,
			    want != NULL ? want : "a failure");
		if (rc < 0 && want != NULL)
			assert_string_equal(err.msg, want);
	}
	schema_set_free(set);
}

/* The single events pass the envelope; so does each element of a batch. */
static void
test_cloudevents_examples(void **state)
{
	struct schema_set *set = load_embedded();
	struct tend_err err = { 0 };
	char dir[512], path[1024], *src;
	struct json_doc d;
	struct dirent *de;
	uint32_t e;
	size_t len;
	DIR *dp;
	int n = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/cloudevents/examples", conformance());
	if ((dp = opendir(dir)) == NULL)
		fail_msg("cannot open '%s'", dir);
	json_doc_init(&d);
	while ((de = readdir(dp)) != NULL) {
		len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		src = slurp(path, &len);
		if (json_parse(&d, src, len, &err) < 0)
			fail_msg("%s: %s", path, err.msg);
		if (d.tok[0].type == JSON_ARRAY) {
			for (e = 1; e < d.tok[0].end; e = d.tok[e].end)
				if (schema_set_check_event(set, &d, e,
				    &err) < 0)
					fail_msg("%s: %s", path, err.msg);
		} else if (schema_set_check_event(set, &d, 0, &err) < 0)
			fail_msg("%s: %s", path, err.msg);
		free(src);
		n++;
	}
	closedir(dp);
	assert_true(n >= 8);
	json_doc_release(&d);
	schema_set_free(set);
}

/* The members of a tend.diff.summary but modified, missing, unexpected. */
#define SUMMARY "\"against\":\"desired\",\"mode\":\"indexed\"," \
	"\"observed\":1,\"desired\":1,\"out_of_scope\":0,\"unchanged\":0," \
	"\"ignored\":0,\"ignored_paths\":0,\"tolerated_paths\":0," \
	"\"below_min_severity\":0,\"severity\":{\"info\":0,\"low\":0," \
	"\"medium\":0,\"high\":0,\"critical\":0},\"passed\":0," \
	"\"expired_rules\":[],"

static void
test_events(void **state)
{
	static const struct tcase c[] = {
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
		    "\"type\":\"tend.x\",\"data\":{}}",
		    "/type: unknown event type 'tend.x'" },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
		    "\"type\":\"com.example.x\",\"data\":5}", NULL },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
		    "\"type\":\"tend.diff.summary\"}",
		    "/data: required property missing" },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
		    "\"type\":\"tend\\u002ediff.summary\",\"data\":{" SUMMARY
		    "\"modified\":0,\"missing\":0,\"unexpected\":\"0\"}}",
		    "/data/unexpected: expected integer, got string" },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
		    "\"type\":\"tend.diff.summary\",\"data\":{" SUMMARY
		    "\"modified\":0,\"missing\":0,\"unexpected\":1.0}}", NULL },
		{ "{\"specversion\":\"0.3\",\"id\":\"1\",\"source\":\"s\","
		    "\"type\":\"t\"}", "/specversion: not equal to "
		    "const \"1.0\"" },
		{ "{\"specversion\":\"1.0\",\"source\":\"s\",\"type\":\"t\"}",
		    "/id: required property missing" },
		{ "{\"specversion\":\"1.0\",\"id\":\"\",\"source\":\"s\","
		    "\"type\":\"t\"}",
		    "/id: 0 characters, fewer than minLength 1" },
		{ "[]", "/: expected object, got array" },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
		    "\"type\":\"t\",\"Foo\":1}", "/Foo: property name does not "
		    "match pattern \"^([a-z0-9]{1,20}|data_base64)$\"" },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
		    "\"type\":\"t\",\"abcdefghijklmnopqrstu\":1}",
		    "/abcdefghijklmnopqrstu: property name does not match "
		    "pattern \"^([a-z0-9]{1,20}|data_base64)$\"" },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
		    "\"type\":\"t\",\"myext\":{}}", "/myext: expected "
		    "string or "
		    "number or boolean or null, got object" },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
		    "\"type\":\"t\",\"data\":1,\"data_base64\":\"AA==\"}",
		    "/data: not allowed (false schema)" },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
		    "\"type\":\"t\",\"data\":1,\"data_base64\":null}", NULL },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
		    "\"type\":\"t\",\"time\":\"yesterday\"}",
		    "/time: not an RFC 3339 date-time (format)" },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
		    "\"type\":\"t\",\"seq\":1.5}",
		    "/seq: expected integer, got number" },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
		    "\"type\":\"t\",\"runid\":7}",
		    "/runid: expected string, got number" },
	};
	struct schema_set *set = load_embedded();
	struct tend_err err;
	size_t i;
	int rc, pass;

	(void)state;
	/* Twice: the second pass runs on warm caches. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < ARRAY_SIZE(c); i++) {
			memset(&err, 0, sizeof(err));
			rc = check_event(set, c[i].inst, strlen(c[i].inst),
			    &err);
			if (c[i].want == NULL && rc != 0)
				fail_msg("%s: %s", c[i].inst, err.msg);
			if (c[i].want != NULL && rc == 0)
				fail_msg("%s: valid, want %s", c[i].inst,
				    c[i].want);
			if (c[i].want != NULL)
				assert_string_equal(err.msg, c[i].want);
		}
	schema_set_free(set);
}

/* err->offset points at the offending value. */
static void
test_offset(void **state)
{
	static const char ev[] = "{\"specversion\":\"1.0\",\"id\":\"1\","
	    "\"source\":\"s\",\"type\":\"t\",\"seq\":0}";
	struct schema_set *set = load_embedded();
	struct tend_err err = { 0 };

	(void)state;
	assert_int_equal(check_event(set, ev, strlen(ev), &err), -1);
	assert_int_equal(err.offset, strlen(ev) - 2);
	schema_set_free(set);
}

static void
test_type(void **state)
{
	(void)state;
	CASES("{\"type\":\"integer\"}",
	    { "1", NULL }, { "-0", NULL }, { "1.0", NULL }, { "1e2", NULL },
	    { "123456789012345678901234567890", NULL },
	    { "1.5", "/: expected integer, got number" },
	    { "1e400", "/: expected integer, got number" },
	    { "\"1\"", "/: expected integer, got string" });
	CASES("{\"type\":[\"string\",\"null\"]}",
	    { "null", NULL }, { "\"\"", NULL },
	    { "{}", "/: expected string or null, got object" },
	    { "false", "/: expected string or null, got boolean" });
	CASES("{\"type\":\"boolean\"}",
	    { "true", NULL }, { "false", NULL },
	    { "0", "/: expected boolean, got number" });
	CASES("{\"type\":[\"number\",\"array\"]}",
	    { "-0.5e-3", NULL }, { "[]", NULL },
	    { "\"x\"", "/: expected number or array, got string" });
	CASES("true", { "[1,{}]", NULL });
	CASES("false", { "1", "/: not allowed (false schema)" });
	CASES("{}", { "null", NULL });
}

static void
test_const_enum(void **state)
{
	(void)state;
	CASES("{\"const\":{\"a\":[1,2.0],\"b\":\"x\"}}",
	    { "{\"b\":\"\\u0078\",\"a\":[1.0,2]}", NULL },
	    { "{\"a\":[1,2],\"b\":\"x\",\"c\":0}",
		"/: not equal to const {\"a\":[1,2.0],\"b\":\"x\"}" },
	    { "{\"a\":[2,1],\"b\":\"x\"}",
		"/: not equal to const {\"a\":[1,2.0],\"b\":\"x\"}" });
	CASES("{\"const\":1}",
	    { "1.0", NULL }, { "10e-1", NULL },
	    { "true", "/: not equal to const 1" },
	    { "\"1\"", "/: not equal to const 1" });
	CASES("{\"const\":null}",
	    { "null", NULL }, { "false", "/: not equal to const null" });
	CASES("{\"enum\":[\"a\",\"b\",1,null,{\"x\":[true]}]}",
	    { "\"b\"", NULL }, { "\"\\u0061\"", NULL }, { "1.0", NULL },
	    { "null", NULL }, { "{\"x\":[true]}", NULL },
	    { "\"c\"", "/: not one of enum [\"a\",\"b\",1,null,{\"x\":"
	    "[true]}]" },
	    { "true", "/: not one of enum [\"a\",\"b\",1,null,{\"x\":"
	    "[true]}]" },
	    { "{\"x\":[false]}",
		"/: not one of enum [\"a\",\"b\",1,null,{\"x\":[true]}]" });
	CASES("{\"enum\":[\"a\\u0000b\", \"\\u00e9\"]}",
	    { "\"a\\u0000b\"", NULL }, { "\"\xc3\xa9\"", NULL },
	    { "\"a\"", "/: not one of enum [\"a\\u0000b\",\"\\u00e9\"]" });
}

static void
test_object(void **state)
{
	(void)state;
	CASES("{\"properties\":{\"a\":{\"type\":\"string\"},\"b\":true},"
	    "\"required\":[\"a\"],\"additionalProperties\":false}",
	    { "{\"a\":\"x\",\"b\":1}", NULL },
	    { "{\"a\":\"x\",\"c\":1}", "/c: not allowed by "
	    "additionalProperties" },
	    { "{\"b\":1}", "/a: required property missing" },
	    { "{\"a\":1}", "/a: expected string, got number" },
	    { "5", NULL });
	CASES("{\"properties\":{\"a\":true},\"required\":[\"b\",\"c\"],"
	    "\"additionalProperties\":{\"type\":\"integer\"}}",
	    { "{\"a\":\"s\",\"b\":1,\"c\":2}", NULL },
	    { "{\"b\":\"s\",\"c\":2}", "/b: expected integer, got string" },
	    { "{\"b\":1}", "/c: required property missing" });
	CASES("{\"patternProperties\":{\"^x-\":{\"type\":\"string\"},"
	    "\"y$\":{\"minLength\":2}},\"additionalProperties\":false}",
	    { "{\"x-a\":\"s\",\"by\":\"ab\",\"x-y\":\"ab\"}", NULL },
	    { "{\"x-y\":\"a\"}", "/x-y: 1 characters, fewer than minLength 2" },
	    { "{\"x-a\":1}", "/x-a: expected string, got number" },
	    { "{\"z\":1}", "/z: not allowed by additionalProperties" });
	/* properties and patternProperties both apply to "ab". */
	CASES("{\"properties\":{\"ab\":{\"type\":\"string\"}},"
	    "\"patternProperties\":{\"^a\":{\"minLength\":3}}}",
	    { "{\"ab\":\"xyz\"}", NULL },
	    { "{\"ab\":\"xy\"}", "/ab: 2 characters, fewer than minLength 3" },
	    { "{\"ab\":1}", "/ab: expected string, got number" });
	CASES("{\"properties\":{\"Ab\":true},\"propertyNames\":{"
	    "\"pattern\":\"^[a-z]+$\",\"maxLength\":3}}",
	    { "{\"ab\":1,\"abc\":2}", NULL },
	    { "{\"Ab\":1}",
		"/Ab: property name does not match pattern \"^[a-z]+$\"" },
	    { "{\"Ab\":1}",
		"/Ab: property name does not match pattern \"^[a-z]+$\"" },
	    { "{\"abcd\":1}",
		"/abcd: property name 4 characters, more than maxLength 3" });
	CASES("{\"properties\":{\"a/b\":{\"type\":\"integer\"},"
	    "\"a~b\":{\"type\":\"integer\"},\"a\":{\"type\":\"integer\"}}}",
	    { "{\"a\\/b\":\"x\"}", "/a~1b: expected integer, got string" },
	    { "{\"a~b\":\"x\"}", "/a~0b: expected integer, got string" },
	    { "{\"\\u0061\":\"x\"}", "/a: expected integer, got string" });
	CASES("{\"minProperties\":1,\"maxProperties\":2}",
	    { "{\"a\":1}", NULL }, { "[]", NULL },
	    { "{}", "/: 0 properties, fewer than minProperties 1" },
	    { "{\"a\":1,\"b\":2,\"c\":3}",
		"/: 3 properties, more than maxProperties 2" });
}

static void
test_array(void **state)
{
	(void)state;
	CASES("{\"prefixItems\":[{\"type\":\"string\"},{\"type\":\"integer\"}],"
	    "\"items\":false}",
	    { "[\"a\",1]", NULL }, { "[\"a\"]", NULL }, { "[]", NULL },
	    { "[\"a\",\"b\"]", "/1: expected integer, got string" },
	    { "[\"a\",1,2]", "/2: not allowed by items (at most 2 items)" });
	CASES("{\"prefixItems\":[{\"type\":\"string\"}]}",
	    { "[\"a\",1,{}]", NULL }, { "[1]", "/0: expected string, got "
	    "number" });
	CASES("{\"items\":{\"properties\":{\"x\":{\"type\":\"string\"}}}}",
	    { "[{\"x\":\"a\"},{}]", NULL },
	    { "[{\"x\":\"a\"},{\"x\":5}]", "/1/x: expected string, got "
	    "number" });
	CASES("{\"minItems\":1,\"maxItems\":2}",
	    { "[1]", NULL }, { "{}", NULL },
	    { "[]", "/: 0 items, fewer than minItems 1" },
	    { "[1,2,3]", "/: 3 items, more than maxItems 2" });
	CASES("{\"uniqueItems\":true}",
	    { "[1,\"1\",{\"a\":1},{\"a\":2},[1],[1,1],true,false,null]", NULL },
	    { "[1,2,1.0]", "/2: equal to item 0, but uniqueItems" },
	    { "[{\"a\":1,\"b\":2},{\"b\":2,\"a\":1}]",
		"/1: equal to item 0, but uniqueItems" },
	    { "[\"x\",\"\\u0078\"]", "/1: equal to item 0, but uniqueItems" });
	CASES("{\"uniqueItems\":false}", { "[1,1]", NULL });
}

static void
test_string(void **state)
{
	(void)state;
	CASES("{\"minLength\":2,\"maxLength\":3}",
	    { "\"\xc3\xa9\xe2\x82\xac\"", NULL },
	    { "\"\\ud83d\\ude00x\"", NULL }, { "\"\\u00e9\\n\"", NULL },
	    { "\"\xf0\x9f\x98\x80\"", "/: 1 characters, fewer than "
	    "minLength 2" },
	    { "\"\\ud83d\\ude00\"", "/: 1 characters, fewer than minLength 2" },
	    { "\"abcd\"", "/: 4 characters, more than maxLength 3" },
	    { "5", NULL });
}

static void
test_pattern(void **state)
{
	(void)state;
	CASES("{\"pattern\":\"b+c\"}",
	    { "\"abbcd\"", NULL }, { "7", NULL },
	    { "\"ac\"", "/: does not match pattern \"b+c\"" });
	/* "." is one character, and not a line terminator. */
	CASES("{\"pattern\":\"^a.c$\"}",
	    { "\"abc\"", NULL }, { "\"a\xc3\xa9" "c\"", NULL },
	    { "\"a\\u0000c\"", NULL },
	    { "\"a\\nc\"", "/: does not match pattern \"^a.c$\"" },
	    { "\"a\\u2028c\"", "/: does not match pattern \"^a.c$\"" },
	    { "\"abbc\"", "/: does not match pattern \"^a.c$\"" });
	CASES("{\"pattern\":\"^[^/]{2}$\"}",
	    { "\"\xc3\xa9\xe2\x82\xac\"", NULL },
	    { "\"a/\"", "/: does not match pattern \"^[^/]{2}$\"" });
	CASES("{\"pattern\":\"^(?:ab|cd)+\\\\.x\\\\/y\\\\-z[-a]?$\"}",
	    { "\"abcd.x/y-z\"", NULL }, { "\"ab.x/y-z-\"", NULL },
	    { "\"abXx/y-z\"",
		"/: does not match pattern \"^(?:"
		    "ab|cd)+\\\\.x\\\\/y\\\\-z[-a]?$\"" });
	CASES("{\"pattern\":\"^a{2,3}?$\"}",
	    { "\"aa\"", NULL }, { "\"aaa\"", NULL },
	    { "\"a\"", "/: does not match pattern \"^a{2,3}?$\"" });
	CASES("{\"pattern\":\"^a\\\"b$\"}", { "\"a\\\"b\"", NULL });
	CASES("{\"pattern\":\"^a|b$\"}",
	    { "\"ax\"", NULL }, { "\"xb\"", NULL }, { "\"a\"", NULL },
	    { "\"xa\"", "/: does not match pattern \"^a|b$\"" },
	    { "\"bx\"", "/: does not match pattern \"^a|b$\"" });
	CASES("{\"pattern\":\"$\"}", { "\"\"", NULL }, { "\"x\"", NULL });
	CASES("{\"pattern\":\"\"}", { "\"\"", NULL }, { "\"x\"", NULL });
	CASES("{\"pattern\":\"^$\"}",
	    { "\"\"", NULL }, { "\"x\"", "/: does not match pattern \"^$\"" });
	CASES("{\"pattern\":\"^[^a]$\"}",
	    { "\"\xc3\xa9\"", NULL }, { "\"\xf0\x9f\x98\x80\"", NULL },
	    { "\"\\n\"", NULL },
	    { "\"a\"", "/: does not match pattern \"^[^a]$\"" },
	    { "\"bc\"", "/: does not match pattern \"^[^a]$\"" });
	CASES("{\"pattern\":\"^.{3}$\"}",
	    { "\"a\xe2\x82\xac\xf0\x9f\x98\x80\"", NULL },
	    { "\"\xe2\x80\xa7\xe2\x80\xaa\xe2\x81\x80\"", NULL },
	    { "\"ab\"", "/: does not match pattern \"^.{3}$\"" },
	    { "\"a\\u2029b\"", "/: does not match pattern \"^.{3}$\"" },
	    { "\"a\\rb\"", "/: does not match pattern \"^.{3}$\"" });
	CASES("{\"pattern\":\"^[\\\\]\\\\-]+\\\\n?$\"}",
	    { "\"]-]\"", NULL }, { "\"]-\\n\"", NULL },
	    { "\"a\"",
		"/: does not match pattern \"^[\\\\]\\\\-]+\\\\n?$\"" });
	CASES("{\"pattern\":\"^(a|)b$\"}",
	    { "\"ab\"", NULL }, { "\"b\"", NULL },
	    { "\"cb\"", "/: does not match pattern \"^(a|)b$\"" });
	CASES("{\"pattern\":\"^(?:x*)*$\"}",
	    { "\"xxx\"", NULL }, { "\"\"", NULL },
	    { "\"xy\"", "/: does not match pattern \"^(?:x*)*$\"" });
	CASES("{\"pattern\":\"^a{0}b{2,}c{0,2}$\"}",
	    { "\"bb\"", NULL }, { "\"bbbcc\"", NULL },
	    { "\"abb\"", "/: does not match pattern \"^a{0}b{2,}c{0,2}$\"" },
	    { "\"b\"", "/: does not match pattern \"^a{0}b{2,}c{0,2}$\"" },
	    { "\"bbccc\"",
		"/: does not match pattern \"^a{0}b{2,}c{0,2}$\"" });
	CASES("{\"pattern\":\"^(ab|a)(bc|c)$\"}",
	    { "\"abc\"", NULL }, { "\"abbc\"", NULL },
	    { "\"ab\"", "/: does not match pattern \"^(ab|a)(bc|c)$\"" });
	CASES("{\"pattern\":\"[0-9]{3}\"}",
	    { "\"ab123\"", NULL }, { "\"1234\"", NULL },
	    { "\"12a3\"", "/: does not match pattern \"[0-9]{3}\"" });
	CASES("{\"pattern\":\"^\xc3\xa9+$\"}",
	    { "\"\xc3\xa9\xc3\xa9\"", NULL },
	    { "\"\xc3\xa9" "e\"", "/: does not match "
	    "pattern \"^\xc3\xa9+$\"" });
}

static void
test_number(void **state)
{
	(void)state;
	CASES("{\"minimum\":1,\"maximum\":10}",
	    { "1", NULL }, { "10", NULL }, { "1e1", NULL }, { "\"0\"", NULL },
	    { "0", "/: 0 is less than minimum 1" },
	    { "10.5", "/: 10.5 is greater than maximum 10" });
	CASES("{\"exclusiveMinimum\":0,\"exclusiveMaximum\":1}",
	    { "0.5", NULL },
	    { "0", "/: 0 is not greater than exclusiveMinimum 0" },
	    { "-0.0", "/: -0.0 is not greater than exclusiveMinimum 0" },
	    { "1", "/: 1 is not less than exclusiveMaximum 1" });
	CASES("{\"multipleOf\":3}",
	    { "9", NULL }, { "-9", NULL }, { "9.0", NULL }, { "0", NULL },
	    { "10", "/: 10 is not a multiple of 3" });
	CASES("{\"multipleOf\":0.5}",
	    { "1.5", NULL }, { "2", NULL },
	    { "1.25", "/: 1.25 is not a multiple of 0.5" });
	/* Integers compare exactly, beyond a double's 53 bits. */
	CASES("{\"minimum\":9007199254740993}",
	    { "9007199254740993", NULL },
	    { "9007199254740992",
		"/: 9007199254740992 is less than minimum 9007199254740993" });
}

static void
test_date_time(void **state)
{
	static const char *ok[] = {
		"2018-04-05T17:31:00Z", "2018-04-05t17:31:00.123z",
		"1998-12-31T23:59:60Z", "1998-12-31T15:59:60.123-08:00",
		"2024-02-29T00:00:00+05:30", "2000-02-29T00:00:00Z",
		"0000-01-01T00:00:00Z", "2018-04-05T17:31:00.5+23:59",
	};
	static const char *bad[] = {
		"2018-04-05 17:31:00Z", "2018-04-05T17:31:00",
		"2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
		"2018-13-01T00:00:00Z", "2018-04-31T00:00:00Z",
		"2018-00-10T00:00:00Z", "2018-04-00T00:00:00Z",
		"1998-12-31T22:59:60Z", "1998-12-31T23:58:60Z",
		"2018-04-05T24:00:00Z", "2018-04-05T17:60:00Z",
		"2018-04-05T17:31:00.Z", "2018-04-05T17:31:00+0100",
		"2018-04-05T17:31:00+24:00", "2018-04-05T17:31:00+01:60",
		"2018-04-05", "2018-04-05T17:31Z", "18-04-05T17:31:00Z",
		"2018-04-05T17:31:00ZZ", "2018-04-05T17:31:00\xc3\xa9",
		"\331\242018-04-05T17:31:00Z" /* an Arabic-Indic 2 */, "",
	};
	struct tcase c[ARRAY_SIZE(ok) + ARRAY_SIZE(bad) + 1];
	char buf[ARRAY_SIZE(c)][64];
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ok); i++, n++) {
		snprintf(buf[n], sizeof(buf[n]), "\"%s\"", ok[i]);
		c[n].inst = buf[n];
		c[n].want = NULL;
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++, n++) {
		snprintf(buf[n], sizeof(buf[n]), "\"%s\"", bad[i]);
		c[n].inst = buf[n];
		c[n].want = "/: not an RFC 3339 date-time (format)";
	}
	c[n].inst = "5";
	c[n++].want = NULL;
	run_cases_with("{\"format\":\"date-time\"}", NULL, 0, c, n);
}

static void
test_combinators(void **state)
{
	(void)state;
	CASES("{\"allOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}",
	    { "3", NULL }, { "1", "/: 1 is less than minimum 2" });
	CASES("{\"anyOf\":[{\"type\":\"string\"},{\"minimum\":2}]}",
	    { "\"x\"", NULL }, { "3", NULL },
	    { "1", "/: matches no schema in anyOf" });
	CASES("{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}",
	    { "1", NULL }, { "2.5", NULL },
	    { "3", "/: matches 2 schemas in oneOf, not exactly one" },
	    { "1.5", "/: matches 0 schemas in oneOf, not exactly one" });
	CASES("{\"not\":{\"type\":\"string\"}}",
	    { "1", NULL }, { "\"x\"", "/: matches the schema in 'not'" });
	CASES("{\"if\":{\"properties\":{\"k\":{\"const\":\"a\"}}},"
	    "\"then\":{\"required\":[\"a\"]},\"else\":{\"required\":[\"b\"]}}",
	    { "{\"k\":\"a\",\"a\":1}", NULL }, { "{\"k\":\"z\",\"b\":"
	    "0}", NULL },
	    { "{\"k\":\"a\"}", "/a: required property missing" },
	    { "{\"k\":\"z\"}", "/b: required property missing" });
	CASES("{\"if\":{\"type\":\"string\"},\"then\":{\"minLength\":2}}",
	    { "1", NULL }, { "\"ab\"", NULL },
	    { "\"a\"", "/: 1 characters, fewer than minLength 2" });
	/* A failure while probing leaves neither path nor message behind. */
	CASES("{\"properties\":{\"x\":{\"anyOf\":[{\"type\":\"string\"},"
	    "{\"properties\":{\"y\":{\"type\":\"string\"}}}]},"
	    "\"z\":{\"type\":\"null\"}}}",
	    { "{\"x\":{\"y\":1}}", "/x: matches no schema in anyOf" },
	    { "{\"x\":{\"y\":\"s\"},\"z\":1}", "/z: expected null, got "
	    "number" });
}

static void
test_ref(void **state)
{
	static const char a[] = "{\"$schema\":"
	    "\"https:"
	    "//json-schema.org/draft/2020-12/schema\",\"$id\":\"a.json\","
	    "\"type\":\"object\",\"$defs\":{\"id\":{\"type\":\"string\"}}}";
	static const struct schema_blob extra[] = {
		{ "a.json", (const unsigned char *)a, sizeof(a) - 1 },
	};
	static const struct tcase cross[] = {
		{ "{\"x\":\"s\",\"y\":{}}", NULL },
		{ "{\"x\":1}", "/x: expected string, got number" },
		{ "{\"y\":[]}", "/y: expected object, got array" },
	};

	(void)state;
	CASES("{\"$defs\":{\"pos\":{\"type\":\"integer\",\"minimum\":1}},"
	    "\"properties\":{\"a\":{\"$ref\":\"#/$defs/pos\"}}}",
	    { "{\"a\":1}", NULL }, { "{\"a\":0}", "/a: 0 is less than "
	    "minimum 1" });
	CASES("{\"$defs\":{\"tree\":{\"type\":\"object\",\"required\":[\"v\"],"
	    "\"properties\":{\"kids\":{\"type\":\"array\",\"items\":"
	    "{\"$ref\":\"#/$defs/tree\"}}}}},\"$ref\":\"#/$defs/tree\"}",
	    { "{\"v\":1,\"kids\":[{\"v\":2,\"kids\":[]}]}", NULL },
	    { "{\"v\":1,\"kids\":[{\"v\":2,\"kids\":[{}]}]}",
		"/kids/0/kids/0/v: required property missing" });
	CASES("{\"type\":\"object\",\"properties\":{\"next\":"
	    "{\"$ref\":\"#\"}}}",
	    { "{\"next\":{\"next\":{}}}", NULL },
	    { "{\"next\":{\"next\":5}}", "/next/next: expected object, got "
	    "number" });
	run_cases_with("{\"properties\":{\"x\":{\"$ref\":\"a.json#/$defs/id\"},"
	    "\"y\":{\"$ref\":\"a.json\"}}}", extra, 1, cross,
	    ARRAY_SIZE(cross));
}

static void
test_load_errors(void **state)
{
	static const struct {
		const char	*schema;
		const char	*want;
	} c[] = {
		{ "{\"type\":\"string\",\"minimun\":1}",
		    "t.json: /: unknown keyword \"minimun\"" },
		{ "{\"properties\":{\"a\":{\"typo\":1}}}",
		    "t.json: /properties/a: unknown keyword \"typo\"" },
		{ "{\"contains\":{}}", "t.json: /: unknown "
		    "keyword \"contains\"" },
		{ "{\"unevaluatedProperties\":false}",
		    "t.json: /: unknown keyword \"unevaluatedProperties\"" },
		{ "{\"dependentRequired\":{}}",
		    "t.json: /: unknown keyword \"dependentRequired\"" },
		{ "{\"$anchor\":\"x\"}", "t.json: /: unknown "
		    "keyword \"$anchor\"" },
		{ "{\"type\":\"string\",\"type\":\"integer\"}",
		    "t.json: /: keyword \"type\" given twice" },
		{ "{\"format\":\"uri\"}", "t.json: /format: unsupported format "
		    "\"uri\" (only \"date-time\")" },
		{ "{\"pattern\":\"(\"}", "t.json: /pattern: pattern \"(\": " },
		{ "{\"pattern\":\"\\\\d+\"}", "t.json: /pattern: pattern "
		    "\"\\\\d+\": unsupported escape" },
		{ "{\"pattern\":\"(?=a)\"}", "t.json: /pattern: pattern "
		    "\"(?=a)\": lookaround or named group" },
		{ "{\"pattern\":\"[\\\\w]\"}", "t.json: /pattern: pattern "
		    "\"[\\\\w]\": unsupported escape" },
		{ "{\"pattern\":\"[[:alpha:]]\"}", "t.json: /pattern: pattern "
		    "\"[[:alpha:]]\": '[' inside a bracket expression" },
		{ "{\"pattern\":\"[\u00e9]\"}", "t.json: /pattern: pattern "
		    "\"[\xc3\xa9]\": NUL or non-ASCII character inside a "
		    "bracket "
		    "expression" },
		{ "{\"pattern\":\"[z-a]\"}", "t.json: /pattern: pattern "
		    "\"[z-a]\": range out of order in a bracket expression" },
		{ "{\"pattern\":\"a^b\"}", "t.json: /pattern: pattern "
		    "\"a^b\": '^' or '$' elsewhere than at the start or end" },
		{ "{\"pattern\":\"(^a)\"}", "t.json: /pattern: pattern "
		    "\"(^a)\": '^' or '$' elsewhere than at the start or end" },
		{ "{\"pattern\":\"a$b\"}", "t.json: /pattern: pattern "
		    "\"a$b\": '^' or '$' elsewhere than at the start or end" },
		{ "{\"pattern\":\"a)\"}",
		    "t.json: /pattern: pattern \"a)\": unbalanced ')'" },
		{ "{\"pattern\":\"(a\"}",
		    "t.json: /pattern: pattern \"(a\": unbalanced '('" },
		{ "{\"pattern\":\"a{1001}\"}", "t.json: /pattern: pattern "
		    "\"a{1001}\": repeat count over 1000" },
		{ "{\"pattern\":\"a{2,1}\"}", "t.json: /pattern: pattern "
		    "\"a{2,1}\": {m,n} with m greater than n" },
		{ "{\"pattern\":\"a\\\\\"}",
		    "t.json: /pattern: pattern \"a\\\\\": trailing backslash" },
		{ "{\"pattern\":\"[]a]\"}", "t.json: /pattern: pattern "
		    "\"[]a]\": bracket expression empty or starting with ']'" },
		{ "{\"pattern\":\"a{\"}", "t.json: /pattern: pattern \"a{\": "
		    "'{' outside a quantifier (escape it)" },
		{ "{\"pattern\":\"*a\"}", "t.json: /pattern: pattern \"*a\": "
		    "quantifier without anything to repeat" },
		{ "{\"pattern\":\"a**\"}", "t.json: /pattern: pattern \"a**\": "
		    "quantifier without anything to repeat" },
		{ "{\"pattern\":\"[a\"}", "t.json: /pattern: pattern \"[a\": "
		    "unterminated bracket expression" },
		{ "{\"pattern\":\"a\\u0000\"}", "t.json: /pattern: pattern "
		    "\"a\\u0000\": NUL character" },
		{ "{\"pattern\":5}", "t.json: /pattern: a pattern must be a "
		    "string" },
		{ "{\"patternProperties\":{\"(\":{}}}",
		    "t.json: /patternProperties/(: pattern \"(\": " },
		{ "{\"$ref\":\"#/$defs/nope\"}",
		    "t.json: /$ref: '#/$defs/nope' does not resolve" },
		{ "{\"$ref\":\"https://example.com/s.json\"}", "t.json: /$ref: "
		    "'https://example.com/s.json': no schema "
		    "'https://example.com/s.json' is loaded" },
		{ "{\"$ref\":\"#/properties/a\"}", "t.json: /$ref: "
		    "'#/properties/a': only FILE#/$defs/NAME and #/$defs/NAME "
		    "are supported" },
		{ "{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/b\"},\"b\":{\"allOf\":"
		    "[{\"$ref\":\"#/$defs/a\"}]}}}", "t.json: /$defs/a: schema "
		    "applies itself to the same value, without end" },
		{ "{\"$ref\":\"#\"}", "t.json: /: schema applies itself to the "
		    "same value, without end" },
		{ "{\"$id\":\"other.json\"}",
		    "t.json: /$id: must be the file name, \"t.json\"" },
		{ "{\"$schema\":\"http://json-schema.org/draft-07/schema#\"}",
		    "t.json: /$schema: only draft 2020-12" },
		{ "{\"then\":{}}", "t.json: /: 'then' without 'if'" },
		{ "{\"else\":{}}", "t.json: /: 'else' without 'if'" },
		{ "{\"properties\":{\"a\":{\"$defs\":{}}}}", "t.json: "
		    "/properties/a: '$defs' is only supported at the root" },
		{ "{\"items\":{\"$id\":\"x\"}}",
		    "t.json: /items: '$id' is only supported at the root" },
		{ "{\"minLength\":-1}", "t.json: /minLength: 'minLength' must "
		    "be a non-negative integer" },
		{ "{\"maxItems\":1.5}", "t.json: /maxItems: 'maxItems' must "
		    "be a non-negative integer" },
		{ "{\"minimum\":\"1\"}",
		    "t.json: /minimum: 'minimum' must be a number" },
		{ "{\"multipleOf\":0}", "t.json: /multipleOf: 'multipleOf' "
		    "must be greater than 0" },
		{ "{\"type\":\"strin\"}", "t.json: /type: must be a type name "
		    "or an array of them" },
		{ "{\"type\":[]}", "t.json: /type: must not be an empty "
		    "array" },
		{ "{\"type\":[\"null\",\"null\"]}",
		    "t.json: /type: lists a type twice" },
		{ "{\"required\":\"a\"}",
		    "t.json: /required: must be an array of strings" },
		{ "{\"required\":[\"a\",\"a\"]}",
		    "t.json: /required: lists \"a\" twice" },
		{ "{\"enum\":[]}",
		    "t.json: /enum: 'enum' must be a non-empty array" },
		{ "{\"uniqueItems\":1}",
		    "t.json: /uniqueItems: must be a boolean" },
		{ "{\"anyOf\":[]}", "t.json: /: 'anyOf' must be a non-empty "
		    "array of schemas" },
		{ "{\"allOf\":[{},5]}", "t.json: /allOf/1: a schema must be an "
		    "object or a boolean" },
		{ "[1]", "t.json: /: a schema must be an object or a boolean" },
		{ "{\"properties\":{\"a\":5}}", "t.json: /properties/a: a "
		    "schema must be an object or a boolean" },
		{ "{\"properties\":5}",
		    "t.json: /: 'properties' must be an object" },
		{ "{", "t.json: invalid JSON at byte 2: " },
	};
	static const char dup[] = "{}";
	static const struct schema_blob twice[] = {
		{ "t.json", (const unsigned char *)dup, 2 },
		{ "t.json", (const unsigned char *)dup, 2 },
	};
	struct tend_err err = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(c); i++)
		load_fails(c[i].schema, c[i].want);
	assert_null(schema_set_load_blobs(twice, 2, &err));
	assert_string_equal(err.msg, "t.json: loaded twice");
}

/* A set without the envelope refuses events rather than waving them on. */
static void
test_no_envelope(void **state)
{
	static const struct schema_blob b = { "t.json",
	    (const unsigned char *)"{}", 2 };
	struct tend_err err = { 0 };
	struct schema_set *set;

	(void)state;
	assert_non_null(set = schema_set_load_blobs(&b, 1, &err));
	assert_int_equal(check_event(set, "{}", 2, &err), -1);
	assert_string_equal(err.msg, "no envelope.v1.json loaded");
	schema_set_free(set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_embedded),
		cmocka_unit_test(test_valid_examples),
		cmocka_unit_test(test_invalid_examples),
		cmocka_unit_test(test_cloudevents_examples),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_offset),
		cmocka_unit_test(test_type),
		cmocka_unit_test(test_const_enum),
		cmocka_unit_test(test_object),
		cmocka_unit_test(test_array),
		cmocka_unit_test(test_string),
		cmocka_unit_test(test_pattern),
		cmocka_unit_test(test_number),
		cmocka_unit_test(test_date_time),
		cmocka_unit_test(test_combinators),
		cmocka_unit_test(test_ref),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_no_envelope),
	};

	return cmocka_run_group_tests_name("schema", tests, NULL, NULL);
}
