/*
 * Fuzz target: C2SP signed notes and tlog checkpoints (note.h), as tend
 * attest and a witness read them: note_split, note_open against a known
 * key, note_checkpoint_parse of the text.  Invariants: a parsed
 * checkpoint formats back to the text it was parsed from (less extension
 * lines, which tend ignores), and parses again to the same values.
 */
#include "compat.h"

#include "buf.h"
#include "fuzz.h"
#include "note.h"

static struct sign_key key;
static int ready;

static void
checkpoint(const char *text, size_t len)
{
	struct note_checkpoint c, c2;
	struct tend_err err = { 0 };
	struct buf out = BUF_INIT;

	if (note_checkpoint_parse(&c, text, len, &err) < 0) {
		FUZZ_ASSERT(err.code == TEND_EXIT_INPUT);
		return;
	}
	note_checkpoint_format(&c, &out);
	FUZZ_ASSERT(out.len <= len && memcmp(out.p, text, out.len) == 0);
	FUZZ_ASSERT(note_checkpoint_parse(&c2, out.p, out.len, &err) == 0);
	FUZZ_ASSERT(strcmp(c.origin, c2.origin) == 0 && c.size == c2.size &&
	    memcmp(c.root, c2.root, sizeof(c.root)) == 0);
	FUZZ_ASSERT(note_origin_check(c.origin, strlen(c.origin), &err) == 0);
	buf_release(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char seed[SIGN_SEED_LEN];
	struct tend_err err = { 0 };
	const char *s = (const char *)data;
	size_t text_len, signer;
	int n;

	if (!ready) {
		memset(seed, 7, sizeof(seed));
		if (sign_key_from_seed(&key, "example.com/log", seed,
		    &err) < 0)
			abort();
		ready = 1;
	}
	if (note_split(s, size, &text_len, &err) == 0) {
		FUZZ_ASSERT(text_len > 0 && text_len < size);
		FUZZ_ASSERT(s[text_len - 1] == '\n');
		checkpoint(s, text_len);
	}
	n = note_open(s, size, &key, 1, &text_len, &signer, &err);
	if (n > 0) {
		FUZZ_ASSERT(signer == 0 && text_len < size);
		checkpoint(s, text_len);
	} else
		FUZZ_ASSERT(err.code == TEND_EXIT_INPUT ||
		    err.code == TEND_EXIT_NO);
	/* The text alone, as tend attest reads a checkpoint it made. */
	checkpoint(s, size);
	(void)note_origin_check(s, size, &err);
	return 0;
}
