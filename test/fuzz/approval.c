/*
 * Fuzz target: the approval parser and checker (approval.h), on the data
 * of a tend.action.approved event, with one trusted key (seed 07 x 32,
 * named "gate", as in test/unit/approval.c) and a second, untrusted one.
 * Invariants: a verified approval names a trusted key, carries the
 * action id of its action and an expiry after the clock; and the payload
 * of an action that verified can be rebuilt.
 */
#include "compat.h"

#include "approval.h"
#include "buf.h"
#include "fuzz.h"
#include "json.h"

/* 2026-11-23T12:00:00Z: before the seeds' expiry. */
#define NOW_NS 1795435200000000000LL

static struct sign_key keys[2];
static int ready;

static void
setup(void)
{
	unsigned char seed[SIGN_SEED_LEN];
	struct tend_err err = { 0 };

	memset(seed, 7, sizeof(seed));
	if (sign_key_from_seed(&keys[0], "gate", seed, &err) < 0)
		abort();
	memset(seed, 9, sizeof(seed));
	if (sign_key_from_seed(&keys[1], "human", seed, &err) < 0)
		abort();
	ready = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_doc d;
	struct approval ap;
	struct tend_err err = { 0 };
	struct buf payload = BUF_INIT;
	int64_t act;

	if (!ready)
		setup();
	json_doc_init(&d);
	if (json_parse(&d, (const char *)data, size, &err) < 0 ||
	    d.tok[0].type != JSON_OBJECT)
		goto out;
	/* Only the first key is trusted, then both. */
	if (approval_verify(&d, 0, keys, 1, NOW_NS, &ap, &err) == 0) {
		FUZZ_ASSERT(ap.key == &keys[0]);
		FUZZ_ASSERT(ap.expires_ns > NOW_NS);
		act = json_obj_get(&d, 0, "action");
		FUZZ_ASSERT(act > 0);
		FUZZ_ASSERT(approval_payload(&payload, &d, (uint32_t)act,
		    "sha256:x", "2026-11-23T12:15:00Z", ap.shadow, &err) == 0);
	} else
		FUZZ_ASSERT(err.code == TEND_EXIT_INPUT);
	if (approval_verify(&d, 0, keys, 2, NOW_NS, &ap, &err) == 0)
		FUZZ_ASSERT(ap.key == &keys[0] || ap.key == &keys[1]);
	/* The payload of whatever "action" is there. */
	buf_reset(&payload);
	if ((act = json_obj_get(&d, 0, "action")) > 0)
		(void)approval_payload(&payload, &d, (uint32_t)act,
		    "sha256:x", "2026-11-23T12:15:00Z", 0, &err);
out:
	buf_release(&payload);
	json_doc_release(&d);
	return 0;
}
