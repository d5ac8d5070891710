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

/* a and b are equal, but for the case of the hex digits after the first
   '+' (NAME+ID+KEY). */
static int
same_but_id_case(const char *a, const char *b, size_t n)
{
	const char *plus = memchr(a, '+', n);
	size_t i, id = plus != NULL ? (size_t)(plus - a) + 1 : n;

	for (i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i];
		unsigned char y = (unsigned char)b[i];

		if (i >= id && i < id + 8 && y >= 'A' && y <= 'F')
			y = (unsigned char)(y + ('a' - 'A'));
		if (x != y)
			return 0;
	}
	return 1;
}

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
		/* the key id is read in either case, as Go's note package
		   does, and written in lower case */
		FUZZ_ASSERT(out.len == size && same_but_id_case(out.p, s,
		    size));
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
