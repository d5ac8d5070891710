/*
 * Unit tests for dsse.c: the PAE and payload-base64 vectors of
 * go-securesystemslib and the DSSE spec's test vector (in
 * shared/conformance/dsse), in-toto Statement v1 examples, and Ed25519
 * envelopes signed and opened here.
 *
 * The spec's vector is signed with ECDSA P-256, which tend does not
 * implement: only its PAE and payload are checked, and that its envelope
 * does not open with an Ed25519 key.
 *
 * The conformance folder is $TEND_CONFORMANCE, else ../shared/conformance.
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

#include <sodium.h>

#include "buf.h"
#include "dsse.h"
#include "json.h"
#include "sign.h"
#include "tenderr.h"

static void
member(const struct json_doc *d, uint32_t obj, const char *key,
    struct buf *out)
{
	int64_t i = json_obj_get(d, obj, key);

	assert_true(i >= 0);
	assert_int_equal(d->tok[i].type, JSON_STRING);
	buf_reset(out);
	json_str_decode(d, (uint32_t)i, out);
}

static void
test_pae_vectors(void **state)
{
	struct buf text = BUF_INIT, type = BUF_INIT, body = BUF_INIT,
	    want = BUF_INIT, got = BUF_INIT;
	struct json_doc d;
	struct tend_err e = { 0, 0, "" };
	int64_t pae;
	uint32_t i;

	(void)state;
	read_conf("dsse/pae-and-base64-vectors.json", &text);
	json_doc_init(&d);
	assert_int_equal(json_parse(&d, text.p, text.len, &e), 0);
	pae = json_obj_get(&d, 0, "pae");
	assert_true(pae >= 0);
	assert_int_equal(d.tok[pae].size, 3);
	for (i = 0; i < d.tok[pae].size; i++) {
		uint32_t v = (uint32_t)json_arr_at(&d, (uint32_t)pae, i);

		member(&d, v, "payload_type", &type);
		member(&d, v, "payload_utf8", &body);
		member(&d, v, "pae", &want);
		buf_reset(&got);
		dsse_pae(&got, type.p, type.len, body.p, body.len);
		assert_int_equal(got.len, want.len);
		assert_memory_equal(got.p, want.p, got.len);
	}
	json_doc_release(&d);
	buf_release(&text);
	buf_release(&type);
	buf_release(&body);
	buf_release(&want);
	buf_release(&got);
}

static void
test_payload_base64_vectors(void **state)
{
	struct buf text = BUF_INIT, p = BUF_INIT, out = BUF_INIT;
	struct json_doc d;
	struct tend_err e = { 0, 0, "" };
	int64_t cases;
	uint32_t i, j;
	size_t padded = 0, unpadded = 0;

	(void)state;
	read_conf("dsse/pae-and-base64-vectors.json", &text);
	json_doc_init(&d);
	assert_int_equal(json_parse(&d, text.p, text.len, &e), 0);
	cases = json_obj_get(&d, 0, "payload_base64");
	assert_true(cases >= 0);
	for (i = 0; i < d.tok[cases].size; i++) {
		uint32_t v = (uint32_t)json_arr_at(&d, (uint32_t)cases, i);
		int64_t pad = json_obj_get(&d, v, "padded");

		member(&d, v, "payload", &p);
		buf_reset(&out);
		if (d.tok[pad].type == JSON_TRUE) {
			padded++;
			assert_int_equal(dsse_b64_decode(&out, p.p, p.len), 0);
			assert_int_equal(out.len, 256);
			for (j = 0; j < 256; j++)
				assert_int_equal((unsigned char)out.p[j], j);
		} else {
			unpadded++;
			assert_int_equal(dsse_b64_decode(&out, p.p, p.len),
			    -1);
			assert_int_equal(out.len, 0);
		}
	}
	assert_int_equal(padded, 2);
	assert_int_equal(unpadded, 2);
	json_doc_release(&d);
	buf_release(&text);
	buf_release(&p);
	buf_release(&out);
}

static void
test_spec_vector(void **state)
{
	struct buf text = BUF_INIT, env = BUF_INIT, s = BUF_INIT,
	    body = BUF_INIT, type = BUF_INIT, pae = BUF_INIT,
	    want = BUF_INIT;
	struct json_doc d;
	struct tend_err e = { 0, 0, "" };
	struct sign_key k;

	(void)state;
	read_conf("dsse/spec-test-vector.json", &text);
	json_doc_init(&d);
	assert_int_equal(json_parse(&d, text.p, text.len, &e), 0);
	member(&d, 0, "serialized_body", &body);
	member(&d, 0, "payload_type", &type);
	member(&d, 0, "pae", &want);
	dsse_pae(&pae, type.p, type.len, body.p, body.len);
	assert_int_equal(pae.len, want.len);
	assert_memory_equal(pae.p, want.p, pae.len);

	/* the envelope's payload is the body, its type the type */
	read_conf("dsse/spec-envelope.json", &env);
	assert_int_equal(json_parse(&d, env.p, env.len, &e), 0);
	member(&d, 0, "payload", &s);
	buf_reset(&pae);
	assert_int_equal(dsse_b64_decode(&pae, s.p, s.len), 0);
	assert_int_equal(pae.len, body.len);
	assert_memory_equal(pae.p, body.p, body.len);
	member(&d, 0, "payloadType", &s);
	assert_string_equal(s.p, type.p);

	/* ECDSA: not ours to verify; an Ed25519 key must not accept it */
	assert_int_equal(sign_keygen(&k, "k", &e), 0);
	assert_int_equal(dsse_open(env.p, env.len, &k, 1, NULL, NULL, &e),
	    -1);
	assert_int_equal(e.code, TEND_EXIT_NO);
	sign_key_wipe(&k);
	json_doc_release(&d);
	buf_release(&text);
	buf_release(&env);
	buf_release(&s);
	buf_release(&body);
	buf_release(&type);
	buf_release(&pae);
	buf_release(&want);
}

#define NOSIG "{\"payload\":\"eA==\",\"payloadType\":\"t\",\"signatures\":[]}"

static void
test_sign_and_open(void **state)
{
	struct sign_key k, other, keys[2];
	struct tend_err e = { 0, 0, "" };
	struct buf env = BUF_INIT, payload = BUF_INIT, type = BUF_INIT,
	    st = BUF_INIT;
	char *p;

	(void)state;
	assert_int_equal(sign_keygen(&k, "tend.example/attest", &e), 0);
	assert_int_equal(sign_keygen(&other, "tend.example/other", &e), 0);
	read_conf("dsse/in-toto/statement-minimal.json", &st);
	dsse_sign(&env, DSSE_INTOTO_TYPE, st.p, st.len, &k);
	assert_null(memchr(env.p, '\n', env.len));
	assert_int_equal(dsse_open(env.p, env.len, &k, 1, &payload, &type,
	    &e), 1);
	assert_int_equal(payload.len, st.len);
	assert_memory_equal(payload.p, st.p, st.len);
	assert_string_equal(type.p, DSSE_INTOTO_TYPE);

	/* another key does not open it; a list holding the key does */
	assert_int_equal(dsse_open(env.p, env.len, &other, 1, NULL, NULL, &e),
	    -1);
	assert_int_equal(e.code, TEND_EXIT_NO);
	keys[0] = other;
	keys[1] = k;
	assert_int_equal(dsse_open(env.p, env.len, keys, 2, NULL, NULL, &e),
	    1);

	/* a changed payload type breaks the signature (PAE binds it) */
	p = strstr(env.p, "in-toto+json");
	assert_non_null(p);
	p[0] = 'I';
	assert_int_equal(dsse_open(env.p, env.len, &k, 1, NULL, NULL, &e),
	    -1);
	p[0] = 'i';
	/* a changed payload byte too */
	env.p[13] ^= 0x01;
	assert_int_equal(dsse_open(env.p, env.len, &k, 1, NULL, NULL, &e),
	    -1);
	env.p[13] ^= 0x01;
	assert_int_equal(dsse_open(env.p, env.len, &k, 1, NULL, NULL, &e),
	    1);

	/* not an envelope */
	assert_int_equal(dsse_open("[]", 2, &k, 1, NULL, NULL, &e), -1);
	assert_int_equal(e.code, TEND_EXIT_INPUT);
	/* an envelope without signatures is one no known key signed */
	assert_int_equal(dsse_open(NOSIG, strlen(NOSIG), &k, 1, NULL, NULL,
	    &e), -1);
	assert_int_equal(e.code, TEND_EXIT_NO);
	sign_key_wipe(&k);
	sign_key_wipe(&other);
	buf_release(&env);
	buf_release(&payload);
	buf_release(&type);
	buf_release(&st);
}

static void
test_statements(void **state)
{
	static const char *const valid[] = {
		"statement-minimal.json",
		"statement-npm-publish-v0.1.json",
		"statement-reference-v0.1.json",
		"statement-release-v0.1-a.json",
		"statement-release-v0.1-b.json",
		"statement-test-result-v0.1.json",
	};
	static const char *const bad[] = {
		"[]",
		"{\"_type\":\"https://in-toto.io/Statement/v1\"}",
		"{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[],"
		    "\"predicateType\":\"p\"}",
		"{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":"
		    "[{\"name\":\"n\",\"digest\":{}}],\"predicateType\":\"p\"}",
		"{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":"
		    "[{\"digest\":{\"sha256\":1}}],\"predicateType\":\"p\"}",
		"{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":"
		    "[{\"digest\":{\"sha256\":\"a\"}}],\"predicateType\":\"\"}",
		"{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":"
		    "[{\"digest\":{\"sha256\":\"a\"}}],\"predicateType\":\"p\","
		    "\"predicate\":[]}",
	};
	struct buf b = BUF_INIT;
	struct tend_err e = { 0, 0, "" };
	char rel[256];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(valid); i++) {
		snprintf(rel, sizeof(rel), "dsse/in-toto/%s", valid[i]);
		buf_reset(&b);
		read_conf(rel, &b);
		if (dsse_statement_check(b.p, b.len, &e) < 0)
			fail_msg("%s: %s", valid[i], e.msg);
	}
	buf_reset(&b);
	read_conf("dsse/in-toto/statement-invalid-type.json", &b);
	assert_int_equal(dsse_statement_check(b.p, b.len, &e), -1);
	assert_non_null(strstr(e.msg, "_type"));
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(dsse_statement_check(bad[i], strlen(bad[i]),
		    &e), -1);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pae_vectors),
		cmocka_unit_test(test_payload_base64_vectors),
		cmocka_unit_test(test_spec_vector),
		cmocka_unit_test(test_sign_and_open),
		cmocka_unit_test(test_statements),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("dsse", tests, NULL, NULL);
}
