/*
 * Fuzz target: the strict JSON parser (json.h) and what reads its tape:
 * string decoding, numbers, member and element lookup, and the RFC 8785
 * canonical form (jcs.h).  Invariants: a text that parses is valid UTF-8,
 * every subtree's end lies inside the tape, and the canonical form of a
 * value parses again and is its own canonical form.
 */
#include "compat.h"

#include "buf.h"
#include "fuzz.h"
#include "jcs.h"
#include "json.h"

static void
walk(const struct json_doc *d, struct buf *tmp)
{
	uint32_t i;
	int64_t v;

	for (i = 0; i < d->ntok; i++) {
		const struct json_tok *t = &d->tok[i];
		size_t len;

		FUZZ_ASSERT(t->end > i && t->end <= d->ntok);
		FUZZ_ASSERT(json_raw(d, i, &len) != NULL);
		switch (t->type) {
		case JSON_STRING:
			buf_reset(tmp);
			json_str_decode(d, i, tmp);
			(void)json_str_eq(d, i, "kind");
			break;
		case JSON_NUMBER:
			(void)json_num(d, i);
			(void)json_int(d, i, &v);
			break;
		case JSON_OBJECT:
			(void)json_obj_get(d, i, "id");
			(void)json_obj_get(d, i, "");
			break;
		case JSON_ARRAY:
			if (t->size > 0)
				FUZZ_ASSERT(json_arr_at(d, i, t->size - 1) > i);
			FUZZ_ASSERT(json_arr_at(d, i, t->size) < 0);
			break;
		default:
			break;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_doc d, d2;
	struct tend_err err = { 0 };
	struct buf canon = BUF_INIT, again = BUF_INIT, tmp = BUF_INIT;
	size_t bad;

	json_doc_init(&d);
	json_doc_init(&d2);
	if (json_parse(&d, (const char *)data, size, &err) == 0) {
		FUZZ_ASSERT(utf8_valid(data, size, &bad) >= 0);
		walk(&d, &tmp);
		if (jcs_canon(&d, 0, &canon, &err) == 0) {
			FUZZ_ASSERT(json_parse(&d2, canon.p, canon.len,
			    &err) == 0);
			FUZZ_ASSERT(jcs_canon(&d2, 0, &again, &err) == 0);
			FUZZ_ASSERT(again.len == canon.len &&
			    memcmp(again.p, canon.p, canon.len) == 0);
		}
	} else
		FUZZ_ASSERT(err.code == TEND_EXIT_INPUT && err.offset <= size);
	buf_release(&canon);
	buf_release(&again);
	buf_release(&tmp);
	json_doc_release(&d);
	json_doc_release(&d2);
	return 0;
}
