/* Unit tests of event.c and rfc3339.c: the envelope and its times. */
#include "compat.h"

#include <glob.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "event.h"
#include "rfc3339.h"
#include "xmalloc.h"

#define GOOD "\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\"," \
	"\"type\":\"tend.resource.observed\""

static const char *
parse(const char *s)
{
	static struct tend_err err;
	struct event ev;
	int rc;

	event_init(&ev);
	rc = event_parse(&ev, s, strlen(s), &err);
	event_release(&ev);
	return rc == 0 ? NULL : err.msg;
}

static void
test_envelope_rules(void **state)
{
	static const struct {
		const char *in, *err;
	} cases[] = {
		{ "{" GOOD "}", NULL },
		{ "{" GOOD ",\"time\":\"2026-11-22T05:00:00Z\",\"subject\":\"k\","
		    "\"runid\":\"r\",\"causeid\":\"c\",\"seq\":7,\"data\":{}}",
		    NULL },
		{ "{" GOOD ",\"myext\":true,\"n2\":3}", NULL },
		{ "[1]", "an event must be a JSON object, not array" },
		{ "{\"id\":\"1\",\"source\":\"s\",\"type\":\"t\"}",
		    "missing attribute 'specversion'" },
		{ "{\"specversion\":\"0.3\",\"id\":\"1\",\"source\":\"s\","
		    "\"type\":\"t\"}", "attribute 'specversion' must be \"1.0\"" },
		{ "{\"specversion\":\"1.0\",\"source\":\"s\",\"type\":\"t\"}",
		    "missing attribute 'id'" },
		{ "{\"specversion\":\"1.0\",\"id\":1,\"source\":\"s\","
		    "\"type\":\"t\"}", "attribute 'id' must be a string, not "
		    "number" },
		{ "{\"specversion\":\"1.0\",\"id\":\"\",\"source\":\"s\","
		    "\"type\":\"t\"}", "attribute 'id' must not be empty" },
		{ "{" GOOD ",\"time\":\"yesterday\"}",
		    "attribute 'time' is not an RFC 3339 time" },
		{ "{" GOOD ",\"seq\":0}", "attribute 'seq' must be an integer >= 1" },
		{ "{" GOOD ",\"seq\":1.5}", "attribute 'seq' must be an integer >= 1" },
		{ "{" GOOD ",\"id\":\"2\"}", "attribute 'id' appears twice" },
		{ "{" GOOD ",\"Bad\":1}", "attribute name 'Bad' is not [a-z0-9]{1,20}" },
		{ "{" GOOD ",\"ext\":{}}", "extension attribute 'ext' must be a "
		    "string, number or boolean" },
		{ "{" GOOD ",\"data\":1,\"data_base64\":\"AA==\"}",
		    "'data' and 'data_base64' are exclusive" },
		{ "{" GOOD ",\"subject\":null,\"ext\":null,\"data\":null}", NULL },
		{ "{\"specversion\":\"1.0\",\"id\":null,\"source\":\"s\","
		    "\"type\":\"t\"}", "attribute 'id' must be a string, not null" },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
		    "\"type\":\"tend.nope\"}", "unknown event type 'tend.nope'" },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
		    "\"type\":\"com.example.other\"}", NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *got = parse(cases[i].in);

		if (cases[i].err == NULL && got != NULL)
			fail_msg("%s: %s", cases[i].in, got);
		if (cases[i].err != NULL &&
		    (got == NULL || strcmp(got, cases[i].err) != 0))
			fail_msg("%s: got %s, want %s", cases[i].in,
			    got ? got : "ok", cases[i].err);
	}
}

/* The CloudEvents spec's own single-event examples are valid envelopes. */
static void
test_cloudevents_examples(void **state)
{
	const char *dir = getenv("TEND_CONFORMANCE");
	char pat[1024];
	glob_t g;
	size_t i, n = 0;

	(void)state;
	snprintf(pat, sizeof(pat), "%s/cloudevents/examples/0*.json",
	    dir ? dir : "../shared/conformance");
	assert_int_equal(glob(pat, 0, NULL, &g), 0);
	for (i = 0; i < g.gl_pathc; i++) {
		FILE *f = fopen(g.gl_pathv[i], "rb");
		char *s = xmalloc(1 << 16);
		size_t len = fread(s, 1, (1 << 16) - 1, f);
		const char *e;

		fclose(f);
		s[len] = '\0';
		if ((e = parse(s)) != NULL)
			fail_msg("%s: %s", g.gl_pathv[i], e);
		free(s);
		n++;
	}
	globfree(&g);
	assert_true(n >= 6);
}

static void
test_rfc3339(void **state)
{
	char out[48];
	int64_t ns;

	(void)state;
	assert_int_equal(rfc3339_parse("2026-11-22T05:00:00Z", 20, &ns), 0);
	assert_int_equal(ns, 1795323600LL * 1000000000);
	assert_int_equal(rfc3339_parse("2026-11-22T06:30:00+01:30", 25, &ns), 0);
	assert_int_equal(ns, 1795323600LL * 1000000000);
	assert_int_equal(rfc3339_parse("1969-12-31T23:59:59.5Z", 22, &ns), 0);
	assert_int_equal(ns, -500000000);
	rfc3339_format(ns, out, sizeof(out));
	assert_string_equal(out, "1969-12-31T23:59:59.5Z");
	rfc3339_format(1795323600123000000LL, out, sizeof(out));
	assert_string_equal(out, "2026-11-22T05:00:00.123Z");
	assert_int_equal(rfc3339_parse("2026-02-29T00:00:00Z", 20, &ns), -1);
	assert_int_equal(rfc3339_parse("2024-02-29T00:00:00Z", 20, &ns), 0);
	assert_int_equal(rfc3339_parse("2026-11-22 05:00:00Z", 20, &ns), -1);
	assert_int_equal(rfc3339_parse("2026-11-22T05:00:00", 19, &ns), -1);
	assert_int_equal(rfc3339_parse("2026-11-22T05:00:00.Z", 21, &ns), -1);
	assert_int_equal(rfc3339_parse("2026-11-22T24:00:00Z", 20, &ns), -1);
}

static void
test_build_deterministic(void **state)
{
	struct event_new en = { 0 };
	struct buf a = BUF_INIT, b = BUF_INIT;
	struct tend_err err;
	struct event ev;
	char id1[33], id2[33];

	(void)state;
	en.source = "tend-diff";
	en.type = "tend.drift.detected";
	en.subject = "k8s:prod/apps/Deployment/shop/web";
	en.runid = "r1";
	en.causeid = "c1";
	en.time_ns = 1795323600LL * 1000000000;
	en.data = "{\"b\":1,\"a\":\"\\u00e9\"}";
	en.data_len = strlen(en.data);
	assert_int_equal(event_build(&a, &en, &err), 0);
	assert_int_equal(event_derive_id(&en, id1, &err), 0);
	/* Same data in another key order and escaping: same id. */
	en.data = "{\"a\":\"\xc3\xa9\",\"b\":1.0}";
	en.data_len = strlen(en.data);
	assert_int_equal(event_derive_id(&en, id2, &err), 0);
	assert_string_equal(id1, id2);
	en.causeid = "c2";
	assert_int_equal(event_derive_id(&en, id2, &err), 0);
	assert_string_not_equal(id1, id2);
	assert_non_null(strstr(a.p, id1));
	event_init(&ev);
	assert_int_equal(event_parse(&ev, a.p, a.len, &err), 0);
	assert_true(event_attr_eq(&ev, ev.subject,
	    "k8s:prod/apps/Deployment/shop/web"));
	assert_int_equal(ev.time_ns, en.time_ns);
	event_release(&ev);
	buf_release(&a);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_envelope_rules),
		cmocka_unit_test(test_cloudevents_examples),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_build_deterministic),
	};

	return cmocka_run_group_tests_name("event", tests, NULL, NULL);
}
