/*
 * Unit tests for jsonpatch.c: the RFC 6902 test suite
 * (json-patch/json-patch-tests in shared/conformance/json-patch, disabled
 * records excepted), the round trip apply(a, diff(a, b)) == b as a
 * property over thousands of generated documents and over the real
 * Kubernetes objects in shared/conformance/k8s, and the shape of the
 * patches the diff writes (one inserted container is one "add").
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
#include <glob.h>

#include "buf.h"
#include "json.h"
#include "jsonpatch.h"
#include "jsonptr.h"
#include "tenderr.h"
#include "xmalloc.h"

static void
parse_or_fail(struct json_doc *d, const char *s, size_t len)
{
	struct tend_err err = { 0, 0, "" };

	if (json_parse(d, s, len, &err) < 0)
		fail_msg("does not parse: %s: %.200s", err.msg, s);
}

static struct jsonpatch_val *
val(const char *s)
{
	struct tend_err err = { 0, 0, "" };
	struct jsonpatch_val *v = jsonpatch_val_parse(s, strlen(s), &err);

	if (v == NULL)
		fail_msg("does not parse: %s: %s", err.msg, s);
	return v;
}

/* The conformance suite */

static void
run_suite(const char *file, int *passed, int *skipped)
{
	char path[4096];
	struct buf text = BUF_INIT, got = BUF_INIT;
	struct json_doc d;
	struct tend_err err;
	uint32_t i;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/json-patch/%s", conformance_dir(),
	    file);
	read_path(path, &text);
	json_doc_init(&d);
	parse_or_fail(&d, text.p, text.len);
	assert_int_equal(d.tok[0].type, JSON_ARRAY);
	for (i = 1; i < d.tok[0].end; i = d.tok[i].end, n++) {
		int64_t doc = json_obj_get(&d, i, "doc");
		int64_t patch = json_obj_get(&d, i, "patch");
		int64_t expected = json_obj_get(&d, i, "expected");
		int64_t error = json_obj_get(&d, i, "error");
		int64_t disabled = json_obj_get(&d, i, "disabled");
		struct jsonpatch_val *v, *before, *want;
		int rc;

		if (doc < 0 || patch < 0)
			continue;	/* a comment */
		if (disabled >= 0 && d.tok[disabled].type == JSON_TRUE) {
			(*skipped)++;
			continue;
		}
		v = jsonpatch_val_from_tape(&d, (uint32_t)doc);
		before = jsonpatch_val_copy(v);
		memset(&err, 0, sizeof(err));
		rc = jsonpatch_apply(&v, &d, (uint32_t)patch, &err);
		if (error >= 0) {
			if (rc == 0)
				fail_msg("%s record %zu: applied, want error",
				    file, n);
			assert_int_equal(err.code, TEND_EXIT_INPUT);
			/* atomic: the document is unchanged */
			assert_true(jsonpatch_val_equal(v, before));
		} else {
			if (rc < 0)
				fail_msg("%s record %zu: %s", file, n, err.msg);
			if (expected >= 0) {
				want = jsonpatch_val_from_tape(&d,
				    (uint32_t)expected);
				buf_reset(&got);
				jsonpatch_val_write(v, &got);
				if (!jsonpatch_val_equal(v, want))
					fail_msg("%s record %zu: got %s", file,
					    n, got.p);
				jsonpatch_val_free(want);
			}
		}
		(*passed)++;
		jsonpatch_val_free(v);
		jsonpatch_val_free(before);
	}
	json_doc_release(&d);
	buf_release(&text);
	buf_release(&got);
}

static void
test_conformance(void **state)
{
	int passed = 0, skipped = 0;

	(void)state;
	run_suite("tests.json", &passed, &skipped);
	run_suite("spec_tests.json", &passed, &skipped);
	/* 91 + 16 enabled records with doc and patch */
	print_message("# json-patch conformance: %d passed, %d disabled "
	    "skipped\n", passed, skipped);
	assert_true(passed >= 100);
}

/* Apply: the cases the suite does not pin down */

static void
expect_apply(const char *doc, const char *patch, const char *want,
    const char *errsub)
{
	struct jsonpatch_val *v = val(doc);
	struct tend_err err = { 0, 0, "" };
	struct buf out = BUF_INIT;
	int rc = jsonpatch_apply_text(&v, patch, strlen(patch), &err);

	if (want != NULL) {
		if (rc < 0)
			fail_msg("%s on %s: %s", patch, doc, err.msg);
		jsonpatch_val_write(v, &out);
		if (strcmp(out.p, want) != 0)
			fail_msg("%s on %s: got %s, want %s", patch, doc, out.p,
			    want);
	} else {
		if (rc == 0)
			fail_msg("%s on %s: applied", patch, doc);
		if (strstr(err.msg, errsub) == NULL)
			fail_msg("%s: message '%s' lacks '%s'", patch, err.msg,
			    errsub);
		jsonpatch_val_write(v, &out);
		assert_string_equal(out.p, doc);
	}
	buf_release(&out);
	jsonpatch_val_free(v);
}

static void
test_apply_details(void **state)
{
	(void)state;
	/* big numbers and member order survive */
	expect_apply("{\"b\":100000000000000000001,\"a\":1}",
	    "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":1.50E+3}]",
	    "{\"b\":100000000000000000001,\"a\":1.50E+3}", NULL);
	/* replace keeps the member's place */
	expect_apply("{\"a\":1,\"b\":2,\"c\":3}",
	    "[{\"op\":\"replace\",\"path\":\"/b\",\"value\":9}]",
	    "{\"a\":1,\"b\":9,\"c\":3}", NULL);
	/* escapes in pointers, keys with ~ and / */
	expect_apply("{\"a/b\":1,\"m~n\":2}",
	    "[{\"op\":\"remove\",\"path\":\"/a~1b\"},"
	    "{\"op\":\"add\",\"path\":\"/m~0n\",\"value\":3}]",
	    "{\"m~n\":3}", NULL);
	/* the root */
	expect_apply("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"\","
	    "\"value\":[1]}]", "[1]", NULL);
	expect_apply("\"x\"", "[{\"op\":\"replace\",\"path\":\"\","
	    "\"value\":null}]", "null", NULL);
	/* atomic: a later failure undoes the earlier ops */
	expect_apply("{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/a\"},"
	    "{\"op\":\"test\",\"path\":\"/a\",\"value\":1}]", NULL,
	    "operation 1 (test): the path does not exist");
	expect_apply("{\"a\":{\"b\":1}}", "[{\"op\":\"move\",\"from\":\"/a\","
	    "\"path\":\"/a/b/c\"}]", NULL, "into one of its children");
	expect_apply("[1]", "[{\"op\":\"remove\",\"path\":\"/-\"}]", NULL,
	    "the path does not exist");
	expect_apply("[1]", "[{\"op\":\"add\",\"path\":\"/01\",\"value\":1}]",
	    NULL, "not an array index");
	expect_apply("[1]", "[{\"op\":\"add\",\"path\":\"/a~2\",\"value\":1}]",
	    NULL, "'~' not followed by 0 or 1");
	expect_apply("{}", "[{\"op\":\"remove\",\"path\":\"\"}]", NULL,
	    "cannot remove the whole document");
	expect_apply("{}", "[{\"op\":\"add\",\"op\":\"remove\",\"path\":\"\","
	    "\"value\":1}]", NULL, "member 'op' appears twice");
	expect_apply("{}", "{\"op\":\"add\"}", NULL, "must be an array");
	expect_apply("{}", "[1]", NULL, "must be an object");
	/* test: numbers by value, objects in any order */
	expect_apply("{\"a\":{\"x\":1,\"y\":[1e2,\"s\"]}}",
	    "[{\"op\":\"test\",\"path\":\"/a\",\"value\":"
	    "{\"y\":[100.0,\"s\"],\"x\":1.0}}]",
	    "{\"a\":{\"x\":1,\"y\":[1e2,\"s\"]}}", NULL);
	expect_apply("[100000000000000000001]",
	    "[{\"op\":\"test\",\"path\":\"/0\",\"value\":"
	    "100000000000000000000}]", NULL, "test failed");
	expect_apply("[-0]", "[{\"op\":\"test\",\"path\":\"/0\",\"value\":0}]",
	    "[-0]", NULL);
	/* move within an array */
	expect_apply("[1,2,3,4]", "[{\"op\":\"move\",\"from\":\"/3\","
	    "\"path\":\"/0\"}]", "[4,1,2,3]", NULL);
	expect_apply("[1,2,3,4]", "[{\"op\":\"move\",\"from\":\"/0\","
	    "\"path\":\"/3\"}]", "[2,3,4,1]", NULL);
	/* copy into its own child */
	expect_apply("{\"a\":{\"b\":1}}", "[{\"op\":\"copy\",\"from\":\"/a\","
	    "\"path\":\"/a/c\"}]", "{\"a\":{\"b\":1,\"c\":{\"b\":1}}}", NULL);
}

/* The round trip */

static const struct jsonpatch_diffopt named = { "name", NULL, NULL };

/* Diffs a to b, applies the patch to a, checks the result equals b.
   Returns the number of ops; the patch is left in patch. */
static size_t
round_trip(const char *a, size_t alen, const char *b, size_t blen,
    const struct jsonpatch_diffopt *opt, struct buf *patch)
{
	struct json_doc da, db;
	struct jsonpatch_val *va, *vb;
	struct buf paths = BUF_INIT, got = BUF_INIT;
	struct tend_err err = { 0, 0, "" };
	size_t nops;

	json_doc_init(&da);
	json_doc_init(&db);
	parse_or_fail(&da, a, alen);
	parse_or_fail(&db, b, blen);
	buf_reset(patch);
	nops = jsonpatch_diff(&da, 0, &db, 0, opt, patch, &paths);
	va = jsonpatch_val_from_tape(&da, 0);
	vb = jsonpatch_val_from_tape(&db, 0);
	if (jsonpatch_apply_text(&va, patch->p, patch->len, &err) < 0)
		fail_msg("patch %s does not apply to %.500s: %s", patch->p, a,
		    err.msg);
	if (!jsonpatch_val_equal(va, vb)) {
		jsonpatch_val_write(va, &got);
		fail_msg("round trip differs:\n a %.500s\n b %.500s\n patch "
		    "%.500s\n got %.500s", a, b, patch->p, got.p);
	}
	/* equal documents give an empty patch */
	assert_int_equal(nops == 0, jsonpatch_tape_equal(&da, 0, &db, 0));
	/* the paths list is valid JSON */
	{
		struct json_doc dp;

		json_doc_init(&dp);
		parse_or_fail(&dp, paths.p, paths.len);
		assert_true(dp.tok[0].size <= nops);
		json_doc_release(&dp);
	}
	jsonpatch_val_free(va);
	jsonpatch_val_free(vb);
	json_doc_release(&da);
	json_doc_release(&db);
	buf_release(&paths);
	buf_release(&got);
	return nops;
}

static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#define R(s, n) ((size_t)(rnd(s) % (n)))

static const char *keys[] = {
	"a", "b", "c", "name", "image", "~", "/", "a/b", "m~n", "", "é",
	"k\"q", "x.y", "0", "-",
};
static const char *names[] = {
	"web", "sidecar", "init", "envoy", "log", "a~b", "c/d", "",
};

static struct jsonpatch_val *gen(uint64_t *, int);

static struct jsonpatch_val *
gen_scalar(uint64_t *s)
{
	static const char *lits[] = {
		"null", "true", "false", "0", "-0", "1", "2", "1.5", "1e2",
		"100", "100000000000000000001", "\"\"", "\"x\"", "\"y\"",
		"\"a\\nb\"", "\"\\u00e9\"", "\"\\ud83d\\ude80\"", "-7",
	};
	const char *l = lits[R(s, ARRAY_SIZE(lits))];

	return val(l);
}

static void
obj_put(struct jsonpatch_val *o, const char *k, struct jsonpatch_val *v)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->mem[i].key, k) == 0) {
			jsonpatch_val_free(o->mem[i].v);
			o->mem[i].v = v;
			return;
		}
	o->mem = xreallocarray(o->mem, o->n + 1, sizeof(*o->mem));
	o->cap = o->n + 1;
	o->mem[o->n].key = xstrdup(k);
	o->mem[o->n].klen = strlen(k);
	o->mem[o->n].v = v;
	o->n++;
}

static void
arr_put(struct jsonpatch_val *a, size_t at, struct jsonpatch_val *v)
{
	a->el = xreallocarray(a->el, a->n + 1, sizeof(*a->el));
	a->cap = a->n + 1;
	memmove(a->el + at + 1, a->el + at, (a->n - at) * sizeof(*a->el));
	a->el[at] = v;
	a->n++;
}

/* An object with a name, for named lists. */
static struct jsonpatch_val *
gen_named(uint64_t *s, const char *name, int depth)
{
	struct buf b = BUF_INIT;
	struct jsonpatch_val *o;

	buf_adds(&b, "{\"name\":");
	buf_add_json_str(&b, name, strlen(name));
	buf_adds(&b, "}");
	o = val(b.p);
	buf_release(&b);
	if (R(s, 2))
		obj_put(o, "v", gen(s, depth + 1));
	return o;
}

static struct jsonpatch_val *
gen(uint64_t *s, int depth)
{
	struct jsonpatch_val *v;
	size_t i, n;

	switch (depth > 4 ? 0 : R(s, 5)) {
	case 0:
	case 1:
		return gen_scalar(s);
	case 2:
		v = val("{}");
		n = R(s, 6);
		for (i = 0; i < n; i++) {
			const char *k = keys[R(s, ARRAY_SIZE(keys))];

			obj_put(v, k, gen(s, depth + 1));
		}
		return v;
	case 3:
		v = val("[]");
		n = R(s, 6);
		for (i = 0; i < n; i++)
			arr_put(v, v->n, gen(s, depth + 1));
		return v;
	default:	/* a named list */
		v = val("[]");
		n = R(s, 5);
		for (i = 0; i < n; i++)
			arr_put(v, v->n, gen_named(s, names[i], depth + 1));
		/* shuffle */
		for (i = v->n; i > 1; i--) {
			size_t j = R(s, i);
			struct jsonpatch_val *t = v->el[i - 1];

			v->el[i - 1] = v->el[j];
			v->el[j] = t;
		}
		return v;
	}
}

/* Picks a random node of v (v itself included); NULL parent for v. */
static struct jsonpatch_val *
pick(uint64_t *s, struct jsonpatch_val *v, struct jsonpatch_val **parent)
{
	*parent = NULL;
	while ((v->type == JSON_OBJECT || v->type == JSON_ARRAY) && v->n > 0 &&
	    R(s, 3) != 0) {
		*parent = v;
		v = v->type == JSON_OBJECT ? v->mem[R(s, v->n)].v :
		    v->el[R(s, v->n)];
	}
	return v;
}

/* One random edit of v in place. */
static void
mutate(uint64_t *s, struct jsonpatch_val *v)
{
	struct jsonpatch_val *parent, *n = pick(s, v, &parent), *x;
	size_t i, j;

	switch (R(s, 7)) {
	case 0:		/* replace a node's content */
		if (parent == NULL)
			return;
		x = gen(s, 3);
		for (i = 0; i < parent->n; i++) {
			if (parent->type == JSON_OBJECT &&
			    parent->mem[i].v == n) {
				parent->mem[i].v = x;
				break;
			}
			if (parent->type == JSON_ARRAY && parent->el[i] == n) {
				parent->el[i] = x;
				break;
			}
		}
		jsonpatch_val_free(n);
		return;
	case 1:		/* add a member or element */
		if (n->type == JSON_OBJECT) {
			const char *k = keys[R(s, ARRAY_SIZE(keys))];

			obj_put(n, k, gen(s, 3));
		} else if (n->type == JSON_ARRAY) {
			i = R(s, n->n + 1);
			if (n->n > 0 && n->el[0]->type == JSON_OBJECT &&
			    n->el[0]->n > 0 &&
			    strcmp(n->el[0]->mem[0].key, "name") == 0)
				arr_put(n, i, gen_named(s, names[R(s, 8)], 3));
			else
				arr_put(n, i, gen(s, 3));
		}
		return;
	case 2:		/* remove a member or element */
		if ((n->type == JSON_OBJECT || n->type == JSON_ARRAY) &&
		    n->n > 0) {
			i = R(s, n->n);
			if (n->type == JSON_OBJECT) {
				free(n->mem[i].key);
				jsonpatch_val_free(n->mem[i].v);
				memmove(n->mem + i, n->mem + i + 1,
				    (n->n - i - 1) * sizeof(*n->mem));
			} else {
				jsonpatch_val_free(n->el[i]);
				memmove(n->el + i, n->el + i + 1,
				    (n->n - i - 1) * sizeof(*n->el));
			}
			n->n--;
		}
		return;
	case 3:		/* swap two elements or members */
		if ((n->type == JSON_ARRAY || n->type == JSON_OBJECT) &&
		    n->n > 1) {
			i = R(s, n->n);
			j = R(s, n->n);
			if (n->type == JSON_ARRAY) {
				x = n->el[i];
				n->el[i] = n->el[j];
				n->el[j] = x;
			} else {
				struct jsonpatch_member t = n->mem[i];

				n->mem[i] = n->mem[j];
				n->mem[j] = t;
			}
		}
		return;
	default:	/* change a scalar in place */
		if (n->type == JSON_OBJECT || n->type == JSON_ARRAY)
			return;
		x = gen_scalar(s);
		free(n->s);
		*n = *x;
		free(x);
		return;
	}
}

static void
test_round_trip_generated(void **state)
{
	struct buf a = BUF_INIT, b = BUF_INIT, patch = BUF_INIT;
	uint64_t s = 42;
	size_t i, k, total = 0;
	const size_t N = 5000;

	(void)state;
	for (i = 0; i < N; i++) {
		struct jsonpatch_val *va = gen(&s, 0), *vb;
		size_t nm = 1 + R(&s, 4);

		if (R(&s, 2) == 0) {	/* mostly containers at the top */
			struct jsonpatch_val *o = val("{}");

			obj_put(o, "spec", va);
			va = o;
		}
		vb = jsonpatch_val_copy(va);
		for (k = 0; k < nm; k++)
			mutate(&s, vb);
		buf_reset(&a);
		buf_reset(&b);
		jsonpatch_val_write(va, &a);
		jsonpatch_val_write(vb, &b);
		total += round_trip(a.p, a.len, b.p, b.len,
		    i % 2 ? &named : NULL, &patch);
		/* and backwards */
		total += round_trip(b.p, b.len, a.p, a.len,
		    i % 2 ? &named : NULL, &patch);
		jsonpatch_val_free(va);
		jsonpatch_val_free(vb);
	}
	print_message("# %zu generated pairs, both ways: %zu ops\n", N, total);
	buf_release(&a);
	buf_release(&b);
	buf_release(&patch);
}

/* Kubernetes objects: the edits a fleet sees */

struct edit {
	const char *what;
	const char *patch;	/* applied to the object to get the desired */
	int ops;		/* ops the diff must write (-1: any) */
	const char *want;	/* the diff's exact patch, or NULL */
};

static void
k8s_file(const char *path, size_t *pairs)
{
	static const struct edit edits[] = {
		{ "image", "[{\"op\":\"replace\",\"path\":"
		    "\"/spec/template/spec/containers/0/image\","
		    "\"value\":\"nginx:1.99\"}]", 1,
		    "[{\"op\":\"replace\",\"path\":"
		    "\"/spec/template/spec/containers/0/image\","
		    "\"value\":\"nginx:1.99\"}]" },
		{ "replicas", "[{\"op\":\"add\",\"path\":\"/spec/replicas\","
		    "\"value\":7}]", 1, NULL },
		{ "env value", "[{\"op\":\"add\",\"path\":"
		    "\"/spec/template/spec/containers/0/env\",\"value\":"
		    "[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\","
		    "\"value\":\"2\"}]}]", -1, NULL },
		{ "added container first", "[{\"op\":\"add\",\"path\":"
		    "\"/spec/template/spec/containers/0\",\"value\":"
		    "{\"name\":\"sidecar\",\"image\":\"envoy:1\"}}]", 1,
		    "[{\"op\":\"add\",\"path\":"
		    "\"/spec/template/spec/containers/0\",\"value\":"
		    "{\"name\":\"sidecar\",\"image\":\"envoy:1\"}}]" },
		{ "added container last", "[{\"op\":\"add\",\"path\":"
		    "\"/spec/template/spec/containers/-\",\"value\":"
		    "{\"name\":\"sidecar\",\"image\":\"envoy:1\"}}]", 1, NULL },
		{ "removed metadata", "[{\"op\":\"remove\",\"path\":"
		    "\"/metadata\"}]", 1, NULL },
		{ "label", "[{\"op\":\"add\",\"path\":"
		    "\"/metadata/labels\",\"value\":{\"a/b\":\"~\"}}]", -1,
		    NULL },
		{ "ports", "[{\"op\":\"add\",\"path\":\"/spec/ports\","
		    "\"value\":"
		    "[{\"name\":\"https\",\"port\":443},{\"name\":\"http\","
		    "\"port\":80}]}]", -1, NULL },
		{ "spec gone", "[{\"op\":\"replace\",\"path\":\"/spec\","
		    "\"value\":null}]", 1, NULL },
	};
	struct buf text = BUF_INIT, b = BUF_INIT, patch = BUF_INIT;
	struct tend_err err = { 0, 0, "" };
	size_t i, nops;

	read_path(path, &text);
	for (i = 0; i < ARRAY_SIZE(edits); i++) {
		struct jsonpatch_val *v = val(text.p);

		if (jsonpatch_apply_text(&v, edits[i].patch,
		    strlen(edits[i].patch), &err) < 0) {
			jsonpatch_val_free(v);
			continue;	/* the edit does not fit this object */
		}
		buf_reset(&b);
		jsonpatch_val_write(v, &b);
		jsonpatch_val_free(v);
		nops = round_trip(text.p, text.len, b.p, b.len, &named, &patch);
		(*pairs)++;
		/* an edit that changed nothing gives no op */
		if (nops > 0 && edits[i].ops >= 0 &&
		    nops != (size_t)edits[i].ops)
			fail_msg("%s: %s: %zu ops, want %d: %s", path,
			    edits[i].what, nops, edits[i].ops, patch.p);
		if (nops > 0 && edits[i].want != NULL &&
		    strcmp(patch.p, edits[i].want))
			fail_msg("%s: %s: patch %s", path, edits[i].what,
			    patch.p);
		round_trip(b.p, b.len, text.p, text.len, &named, &patch);
	}
	/* and against itself: nothing */
	assert_int_equal(round_trip(text.p, text.len, text.p, text.len, &named,
	    &patch), 0);
	assert_string_equal(patch.p, "[]");
	buf_release(&text);
	buf_release(&b);
	buf_release(&patch);
}

static void
test_round_trip_k8s(void **state)
{
	static const char *dirs[] = {
		"api-testdata", "derived", "gitops-engine", "kubectl",
	};
	char pat[4096];
	glob_t g;
	size_t d, i, files = 0, pairs = 0;

	(void)state;
	for (d = 0; d < ARRAY_SIZE(dirs); d++) {
		snprintf(pat, sizeof(pat), "%s/k8s/%s/*.json",
		    conformance_dir(), dirs[d]);
		if (glob(pat, 0, NULL, &g) != 0)
			fail_msg("no files: %s", pat);
		for (i = 0; i < g.gl_pathc; i++, files++)
			k8s_file(g.gl_pathv[i], &pairs);
		globfree(&g);
	}
	print_message("# k8s: %zu objects, %zu edited pairs\n", files, pairs);
	assert_true(files >= 15);
}

/* The shape of diffs */

static void
expect_diff(const char *a, const char *b, const struct jsonpatch_diffopt *o,
    const char *want)
{
	struct buf patch = BUF_INIT;

	round_trip(a, strlen(a), b, strlen(b), o, &patch);
	if (strcmp(patch.p, want) != 0)
		fail_msg("diff %s -> %s:\n got  %s\n want %s", a, b, patch.p,
		    want);
	buf_release(&patch);
}

static void
test_diff_shapes(void **state)
{
	(void)state;
	expect_diff("{\"a\":1}", "{\"a\":1.0}", NULL, "[]");
	expect_diff("{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}", NULL, "[]");
	expect_diff("{\"a\":1,\"b\":2}", "{\"a\":2,\"c\":3}", NULL,
	    "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":2},"
	    "{\"op\":\"remove\",\"path\":\"/b\"},"
	    "{\"op\":\"add\",\"path\":\"/c\",\"value\":3}]");
	expect_diff("1", "\"1\"", NULL,
	    "[{\"op\":\"replace\",\"path\":\"\",\"value\":\"1\"}]");
	expect_diff("{\"a/b\":{\"m~n\":1}}", "{\"a/b\":{\"m~n\":2}}", NULL,
	    "[{\"op\":\"replace\",\"path\":\"/a~1b/m~0n\",\"value\":2}]");
	/* an insertion in a plain list: one add */
	expect_diff("[\"--a\",\"--b\",\"--c\"]", "[\"--a\",\"--x\",\"--b\","
	    "\"--c\"]", NULL,
	    "[{\"op\":\"add\",\"path\":\"/1\",\"value\":\"--x\"}]");
	expect_diff("[1,2,3]", "[1,3]", NULL,
	    "[{\"op\":\"remove\",\"path\":\"/1\"}]");
	/* everything different: one replace is shorter */
	expect_diff("[1,2,3,4]", "[5,6,7,8]", NULL,
	    "[{\"op\":\"replace\",\"path\":\"\",\"value\":[5,6,7,8]}]");
	/* named: insert, remove, reorder, change */
	expect_diff("[{\"name\":\"a\",\"v\":1},{\"name\":\"b\",\"v\":2}]",
	    "[{\"name\":\"x\"},{\"name\":\"a\",\"v\":1},{\"name\":\"b\","
	    "\"v\":2}]", &named,
	    "[{\"op\":\"add\",\"path\":\"/0\",\"value\":{\"name\":\"x\"}}]");
	expect_diff("[{\"name\":\"a\",\"v\":1},{\"name\":\"b\",\"v\":2}]",
	    "[{\"name\":\"b\",\"v\":3}]", &named,
	    "[{\"op\":\"remove\",\"path\":\"/0\"},"
	    "{\"op\":\"replace\",\"path\":\"/0/v\",\"value\":3}]");
	expect_diff("[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"}]",
	    "[{\"name\":\"c\"},{\"name\":\"a\"},{\"name\":\"b\"}]", &named,
	    "[{\"op\":\"move\",\"from\":\"/2\",\"path\":\"/0\"}]");
	/* without names, the same insertion is still one add (prefix and
	   suffix), but a change inside is positional */
	expect_diff("[{\"name\":\"a\",\"v\":1},{\"name\":\"b\",\"v\":2}]",
	    "[{\"name\":\"x\"},{\"name\":\"a\",\"v\":1},{\"name\":\"b\","
	    "\"v\":2}]", NULL,
	    "[{\"op\":\"add\",\"path\":\"/0\",\"value\":{\"name\":\"x\"}}]");
	/* duplicate names: positional */
	expect_diff("[{\"name\":\"a\",\"v\":1},{\"name\":\"a\",\"v\":2}]",
	    "[{\"name\":\"a\",\"v\":1},{\"name\":\"a\",\"v\":3}]", &named,
	    "[{\"op\":\"replace\",\"path\":\"/1/v\",\"value\":3}]");
	/* big numbers are kept as written */
	expect_diff("{\"n\":1}", "{\"n\":100000000000000000001}", NULL,
	    "[{\"op\":\"replace\",\"path\":\"/n\",\"value\":"
	    "100000000000000000001}]");
	/* escaped keys and strings compare decoded */
	expect_diff("{\"\\u0061\":\"\\u00e9\"}", "{\"a\":\"\xc3\xa9\"}", NULL,
	    "[]");
}

/* The node callback: ignore and tolerate */

static int
cb_ignore_b(void *ctx, const struct jsonpatch_node *n)
{
	int *calls = ctx;

	(*calls)++;
	if (n->apath != NULL && jsonptr_match("/b", 2, n->apath, n->apathlen,
	    0))
		return JSONPATCH_IGNORE;
	if (n->bpath != NULL && jsonptr_match("/l/*/t", 6, n->bpath,
	    n->bpathlen, 0))
		return JSONPATCH_TOLERATE;
	return JSONPATCH_COMPARE;
}

static void
test_diff_callback(void **state)
{
	int calls = 0;
	struct jsonpatch_diffopt o = { "name", cb_ignore_b, &calls };
	struct json_doc da, db;
	struct buf patch = BUF_INIT;
	const char *a = "{\"a\":1,\"b\":2,\"l\":[{\"name\":\"x\",\"t\":1}]}";
	const char *b = "{\"a\":1,\"l\":[{\"name\":\"y\"},{\"name\":\"x\","
	    "\"t\":2}],\"c\":{\"b\":1}}";

	(void)state;
	json_doc_init(&da);
	json_doc_init(&db);
	parse_or_fail(&da, a, strlen(a));
	parse_or_fail(&db, b, strlen(b));
	assert_int_equal(jsonpatch_diff(&da, 0, &db, 0, &o, &patch, NULL), 2);
	assert_string_equal(patch.p,
	    "[{\"op\":\"add\",\"path\":\"/l/0\",\"value\":{\"name\":\"y\"}},"
	    "{\"op\":\"add\",\"path\":\"/c\",\"value\":{\"b\":1}}]");
	assert_true(calls > 4);
	json_doc_release(&da);
	json_doc_release(&db);
	buf_release(&patch);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conformance),
		cmocka_unit_test(test_apply_details),
		cmocka_unit_test(test_diff_shapes),
		cmocka_unit_test(test_diff_callback),
		cmocka_unit_test(test_round_trip_generated),
		cmocka_unit_test(test_round_trip_k8s),
	};

	return cmocka_run_group_tests_name("jsonpatch", tests, NULL, NULL);
}
