/*
 * Fuzz target: the other signature parsers, each on the whole input:
 * public and secret key texts (sign.h), DSSE envelopes and in-toto
 * statements (dsse.h) checked against one known key.  Invariants: a
 * parsed public key formats back to the text it came from; an envelope
 * that opens yields its payload.
 */
#include "compat.h"

#include "buf.h"
#include "dsse.h"
#include "fuzz.h"
#include "sign.h"

static struct sign_key key;
static int ready;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char seed[SIGN_SEED_LEN];
	struct sign_key k;
	struct tend_err err = { 0 };
	struct buf out = BUF_INIT, type = BUF_INIT;
	const char *s = (const char *)data;

	if (!ready) {
		memset(seed, 7, sizeof(seed));
		if (sign_key_from_seed(&key, "gate", seed, &err) < 0)
			abort();
		ready = 1;
	}
	memset(&k, 0, sizeof(k));
	if (sign_vkey_parse(&k, s, size, &err) == 0) {
		sign_vkey_format(&k, &out);
		FUZZ_ASSERT(out.len == size && memcmp(out.p, s, size) == 0);
	} else
		FUZZ_ASSERT(err.code == TEND_EXIT_INPUT);
	sign_key_wipe(&k);
	if (sign_skey_parse(&k, s, size, &err) == 0)
		FUZZ_ASSERT(k.has_secret);
	sign_key_wipe(&k);
	buf_reset(&out);
	if (dsse_open(s, size, &key, 1, &out, &type, &err) > 0)
		(void)dsse_statement_check(out.p, out.len, &err);
	else
		FUZZ_ASSERT(err.code == TEND_EXIT_INPUT ||
		    err.code == TEND_EXIT_NO);
	(void)dsse_statement_check(s, size, &err);
	buf_reset(&out);
	(void)dsse_b64_decode(&out, s, size);
	buf_release(&out);
	buf_release(&type);
	return 0;
}
