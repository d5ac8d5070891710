/*
 * Unit tests of approval.c: the exact payload, a pinned signature, and
 * on a sample approval every single changed byte (in the action, the
 * policy digest, the expiry, the shadow flag, the ids, the signature)
 * makes verification fail.
 */
#include "compat.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "approval.h"
#include "jcs.h"
#include "rfc3339.h"

static const char action[] =
    "{\"action_id\":\"6f1d\",\"idempotency_key\":\"k1\",\"skill\":\"revert\","
    "\"domain\":\"config\",\"targets\":[\"k8s:prod/apps/Deployment/shop/web\"],"
    "\"executor\":{\"type\":\"http\",\"method\":\"PATCH\","
    "\"url\":\"https://k8s.example:6443/apis/apps/v1/namespaces/shop/"
    "deployments/web\",\"body\":{\"spec\":{\"replicas\":3}},\"timeout\":30},"
    "\"rollback\":null,\"credential\":\"k8s-writer\",\"risk\":\"low\","
    "\"mode\":\"auto\",\"reason\":\"replicas drifted: 5, want 3 \\u2014 "
    "revert\",\"causes\":[\"d-1\"],\"blast_radius\":{\"count\":1}}";

#define DIGEST "sha256:0881464ca923355767199982ae73c523928e0309abbaacb20716a7fa1900ac61"
#define EXPIRES "2026-11-23T12:15:00Z"

/* The signature of the sample by the key of seed 07 x 32, computed
   independently (Python's cryptography, JCS by json.dumps with sorted
   keys: enough for this action), not by this code. */
#define PINNED "tRl3JIhTJljxb6//MWVAk/TcaxjANY99alCVPBnNngzsp+RCpyhHQzXY" \
	"EtvWh90J5C9ReFatSAd+OaJNWQZtAA=="

static int64_t
T(const char *s)
{
	int64_t ns;

	if (rfc3339_parse(s, strlen(s), &ns) < 0)
		fail_msg("bad time %s", s);
	return ns;
}

static void
key(struct sign_key *k, const char *name, unsigned char fill)
{
	unsigned char seed[SIGN_SEED_LEN];
	struct tend_err err = { 0 };

	memset(seed, fill, sizeof(seed));
	if (sign_key_from_seed(k, name, seed, &err) < 0)
		fail_msg("%s", err.msg);
}

/* The data of an approval of `action` by k, as JSON text. */
static void
sample(const struct sign_key *k, int shadow, struct buf *data)
{
	struct json_doc d;
	struct tend_err err = { 0 };
	struct buf sig = BUF_INIT;

	json_doc_init(&d);
	assert_int_equal(json_parse(&d, action, strlen(action), &err), 0);
	assert_int_equal(approval_sign(k, &d, 0, DIGEST, EXPIRES, shadow, &sig,
	    &err), 0);
	buf_addf(data, "{\"action_id\":\"6f1d\",\"policy_digest\":\"%s\","
	    "\"shadow\":%s,\"expires\":\"%s\",\"key_id\":\"", DIGEST,
	    shadow ? "true" : "false", EXPIRES);
	approval_key_id(k, data);
	buf_addf(data, "\",\"signature\":\"%s\",\"action\":%s}", sig.p, action);
	buf_release(&sig);
	json_doc_release(&d);
}

static int
verify(const char *text, size_t len, const struct sign_key *keys,
    size_t nkeys, const char *now, struct approval *ap,
    struct tend_err *err)
{
	struct json_doc d;
	int rc;

	json_doc_init(&d);
	rc = json_parse(&d, text, len, err);
	if (rc == 0)
		rc = approval_verify(&d, 0, keys, nkeys, T(now), ap, err);
	json_doc_release(&d);
	return rc;
}

static void
test_payload(void **state)
{
	const char *a = "{\"b\":1,\"action_id\":\"x\",\"a\":\"\\u00e9\"}";
	struct json_doc d;
	struct buf p = BUF_INIT, want = BUF_INIT;
	struct tend_err err = { 0 };
	unsigned char md[JCS_DIGEST_LEN];

	(void)state;
	json_doc_init(&d);
	assert_int_equal(json_parse(&d, a, strlen(a), &err), 0);
	assert_int_equal(approval_payload(&p, &d, 0, DIGEST, EXPIRES, 1, &err),
	    0);
	assert_int_equal(jcs_digest(&d, 0, md, &err), 0);
	buf_adds(&want, "tend-approval-v1\n{\"action_digest\":\"sha256:");
	buf_add_hex(&want, md, sizeof(md));
	buf_addf(&want, "\",\"action_id\":\"x\",\"expires\":\"%s\","
	    "\"policy_digest\":\"%s\",\"shadow\":true}", EXPIRES, DIGEST);
	assert_string_equal(p.p, want.p);
	/* the action's digest is over its JCS form: key order and escapes
	   do not matter */
	buf_reset(&want);
	buf_adds(&want, "{\"action_id\":\"x\",\"a\":\"\xc3\xa9\",\"b\":1.0}");
	{
		struct json_doc d2;
		struct buf p2 = BUF_INIT;

		json_doc_init(&d2);
		assert_int_equal(json_parse(&d2, want.p, want.len, &err), 0);
		assert_int_equal(approval_payload(&p2, &d2, 0, DIGEST, EXPIRES,
		    1, &err), 0);
		assert_string_equal(p.p, p2.p);
		buf_release(&p2);
		json_doc_release(&d2);
	}
	/* no action_id: refused */
	buf_reset(&p);
	assert_int_equal(json_parse(&d, "{\"a\":1}", 7, &err), 0);
	assert_int_equal(approval_payload(&p, &d, 0, DIGEST, EXPIRES, 0, &err),
	    -1);
	buf_release(&p);
	buf_release(&want);
	json_doc_release(&d);
}

static void
test_verify(void **state)
{
	struct sign_key k, other, same_name;
	struct sign_key both[2];
	struct buf data = BUF_INIT;
	struct approval ap;
	struct tend_err err = { 0 };

	(void)state;
	key(&k, "gate.example/prod", 7);
	key(&other, "someone", 9);
	key(&same_name, "gate.example/prod", 8);
	sample(&k, 0, &data);
	both[0] = other;
	both[1] = k;
	assert_int_equal(verify(data.p, data.len, both, 2,
	    "2026-11-23T12:00:00Z", &ap, &err), 0);
	assert_ptr_equal(ap.key, &both[1]);
	assert_false(ap.shadow);
	assert_false(ap.human);
	assert_string_equal(ap.action_id, "6f1d");
	assert_true(ap.expires_ns == T(EXPIRES));
	/* expired: at its expiry and after */
	assert_int_equal(verify(data.p, data.len, &k, 1, EXPIRES, &ap, &err),
	    -1);
	assert_string_equal(err.msg, "expired at " EXPIRES);
	/* a key that did not sign, even with the signer's name */
	assert_int_equal(verify(data.p, data.len, &other, 1,
	    "2026-11-23T12:00:00Z", &ap, &err), -1);
	assert_int_equal(verify(data.p, data.len, &same_name, 1,
	    "2026-11-23T12:00:00Z", &ap, &err), -1);
	assert_int_equal(strncmp(err.msg, "key 'gate.example/prod+", 23), 0);
	buf_release(&data);
	sign_key_wipe(&k);
}

static void
test_every_byte(void **state)
{
	struct sign_key k;
	struct buf data = BUF_INIT, copy = BUF_INIT;
	struct approval ap;
	struct tend_err err = { 0 };
	size_t i, parsed = 0;

	(void)state;
	key(&k, "gate.example/prod", 7);
	sample(&k, 0, &data);
	for (i = 0; i < data.len; i++) {
		struct json_doc d;
		unsigned char c = (unsigned char)data.p[i], n;

		n = c ^ 1;
		if (n < 0x20 || n == '"' || n == '\\' || n >= 0x7f)
			n = c == 'a' ? 'b' : 'a';
		buf_reset(&copy);
		buf_add(&copy, data.p, data.len);
		copy.p[i] = (char)n;
		json_doc_init(&d);
		if (json_parse(&d, copy.p, copy.len, &err) == 0) {
			parsed++;
			if (approval_verify(&d, 0, &k, 1,
			    T("2026-11-23T12:00:00Z"), &ap, &err) == 0)
				fail_msg("byte %zu ('%c' -> '%c') changed, "
				    "still verifies: %s", i, c, n, copy.p);
		}
		json_doc_release(&d);
	}
	/* most changes leave valid JSON: the signature is what failed */
	assert_true(parsed > data.len * 3 / 4);
	/* a shadow approval is not a live one */
	buf_reset(&copy);
	sample(&k, 1, &copy);
	assert_int_equal(verify(copy.p, copy.len, &k, 1,
	    "2026-11-23T12:00:00Z", &ap, &err), 0);
	assert_true(ap.shadow);
	buf_release(&data);
	buf_release(&copy);
	sign_key_wipe(&k);
}

/* A pinned signature: the payload format must not drift, since tend
   apply and older logs depend on it. */
static void
test_pinned(void **state)
{
	struct sign_key k;
	struct buf data = BUF_INIT;
	const char *sig;

	(void)state;
	key(&k, "gate.example/prod", 7);
	sample(&k, 0, &data);
	sig = strstr(data.p, "\"signature\":\"");
	assert_non_null(sig);
	assert_int_equal(strncmp(sig + 13, PINNED, strlen(PINNED)), 0);
	buf_release(&data);
	sign_key_wipe(&k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payload),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_pinned),
	};

	return cmocka_run_group_tests_name("approval", tests, NULL, NULL);
}
