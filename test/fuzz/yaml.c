/*
 * Fuzz target: YAML manifests and policies (yaml2json.h), with small
 * bounds so alias bombs hit them at once.  Invariants: every document's
 * JSON is valid strict JSON (json.h) with a NUL after it, and yaml2json_one
 * agrees with the first document.
 */
#include "compat.h"

#include "buf.h"
#include "fuzz.h"
#include "json.h"
#include "yaml2json.h"

struct ctx {
	struct json_doc d;
	size_t	 docs;
	struct buf first;
};

static int
each(void *arg, const char *json, size_t len, size_t line)
{
	struct ctx *c = arg;
	struct tend_err err = { 0 };

	FUZZ_ASSERT(json[len] == '\0' && line >= 1);
	FUZZ_ASSERT(json_parse(&c->d, json, len, &err) == 0);
	if (c->docs++ == 0)
		buf_add(&c->first, json, len);
	return c->docs < 16 ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yaml2json_opts o = { 1 << 16, 64 };
	struct ctx c;
	struct tend_err err = { 0 };
	struct buf one = BUF_INIT;
	size_t line = 0;
	int rc;

	memset(&c, 0, sizeof(c));
	json_doc_init(&c.d);
	rc = yaml2json((const char *)data, size, &o, each, &c, &line, &err);
	if (rc < 0 && c.docs < 16)
		FUZZ_ASSERT(err.code == TEND_EXIT_INPUT);
	if (yaml2json_one((const char *)data, size, &o, &one, &line,
	    &err) == 0 && c.docs > 0)
		FUZZ_ASSERT(one.len == c.first.len &&
		    memcmp(one.p, c.first.p, one.len) == 0);
	buf_release(&one);
	buf_release(&c.first);
	json_doc_release(&c.d);
	return 0;
}
