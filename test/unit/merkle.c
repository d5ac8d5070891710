/*
 * Unit tests for merkle.c: the RFC 6962 reference tree and every
 * inclusion and consistency probe of transparency-dev/merkle (in
 * shared/conformance/merkle), then proofs generated here checked against
 * the same verifier for trees of every size up to 300, frontiers against
 * whole trees, and tampered proofs.
 *
 * The conformance folder is $TEND_CONFORMANCE, else ../shared/conformance
 * (the runner starts tests from the repository root).
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
#include <ftw.h>

#include <sodium.h>

#include "base64.h"
#include "buf.h"
#include "json.h"
#include "merkle.h"
#include "tenderr.h"

#define HL MERKLE_HASH_LEN

static void
hex_decode(const char *hex, unsigned char *out, size_t n)
{
	size_t len;

	assert_int_equal(sodium_hex2bin(out, n, hex, strlen(hex), NULL, &len,
	    NULL), 0);
	assert_int_equal(len, n);
}

/* The string token i of d, decoded into out (reset first). */
static void
str_at(const struct json_doc *d, int64_t i, struct buf *out)
{
	assert_true(i >= 0);
	assert_int_equal(d->tok[i].type, JSON_STRING);
	buf_reset(out);
	json_str_decode(d, (uint32_t)i, out);
}

/* An unsigned 64-bit member (leafIdx may be 2^64 - 1). */
static uint64_t
uint_member(const struct json_doc *d, const char *key)
{
	int64_t i = json_obj_get(d, 0, key);
	char lit[32];
	const char *raw;
	size_t len;
	char *end;
	unsigned long long v;

	assert_true(i >= 0);
	assert_int_equal(d->tok[i].type, JSON_NUMBER);
	raw = json_raw(d, (uint32_t)i, &len);
	assert_true(len < sizeof(lit));
	memcpy(lit, raw, len);
	lit[len] = '\0';
	errno = 0;
	v = strtoull(lit, &end, 10);
	assert_true(errno == 0 && *end == '\0' && lit[0] != '-');
	return (uint64_t)v;
}

/* Base64 member `key`: its bytes into out; -1 if it does not decode. */
static int
b64_member(const struct json_doc *d, const char *key, struct buf *out)
{
	struct buf s = BUF_INIT;
	int rc;

	str_at(d, json_obj_get(d, 0, key), &s);
	buf_reset(out);
	rc = base64_decode(out, s.p, s.len, BASE64_STD) < 0 ? -1 : 0;
	buf_release(&s);
	return rc;
}

/*
 * The proof member: its hashes one after the other into out, *n their
 * number.  -1 if an element does not decode to 32 bytes (such a proof
 * cannot verify).  null and [] are both empty.
 */
static int
proof_member(const struct json_doc *d, struct buf *out, size_t *n)
{
	struct buf s = BUF_INIT, h = BUF_INIT;
	int64_t p = json_obj_get(d, 0, "proof");
	uint32_t i;
	int rc = 0;

	assert_true(p >= 0);
	buf_reset(out);
	*n = 0;
	if (d->tok[p].type == JSON_NULL)
		return 0;
	assert_int_equal(d->tok[p].type, JSON_ARRAY);
	for (i = 0; i < d->tok[p].size; i++) {
		str_at(d, json_arr_at(d, (uint32_t)p, i), &s);
		buf_reset(&h);
		if (base64_decode(&h, s.p, s.len, BASE64_STD) != HL)
			rc = -1;
		buf_add(out, h.p, h.len);
		(*n)++;
	}
	buf_release(&s);
	buf_release(&h);
	return rc;
}

static int
want_err(const struct json_doc *d)
{
	int64_t i = json_obj_get(d, 0, "wantErr");

	assert_true(i >= 0);
	return d->tok[i].type == JSON_TRUE;
}

/* Runs one probe file; returns 1 if our verdict matches wantErr. */
static int
run_probe(const char *path, int inclusion)
{
	struct buf text = BUF_INIT, r1 = BUF_INIT, r2 = BUF_INIT,
	    proof = BUF_INIT;
	struct json_doc d;
	struct tend_err e = { 0, 0, "" };
	size_t n;
	int failed, ok;

	read_path(path, &text);
	json_doc_init(&d);
	if (json_parse(&d, text.p, text.len, &e) < 0)
		fail_msg("%s: %s", path, e.msg);
	if (inclusion) {
		failed = proof_member(&d, &proof, &n) < 0 ||
		    b64_member(&d, "leafHash", &r1) < 0 ||
		    b64_member(&d, "root", &r2) < 0 ||
		    merkle_verify_inclusion(uint_member(&d, "leafIdx"),
		    uint_member(&d, "treeSize"),
		    (const unsigned char *)r1.p, r1.len,
		    (const unsigned char *)proof.p, n,
		    (const unsigned char *)r2.p, r2.len, &e) < 0;
	} else {
		failed = proof_member(&d, &proof, &n) < 0 ||
		    b64_member(&d, "root1", &r1) < 0 ||
		    b64_member(&d, "root2", &r2) < 0 ||
		    merkle_verify_consistency(uint_member(&d, "size1"),
		    uint_member(&d, "size2"),
		    (const unsigned char *)proof.p, n,
		    (const unsigned char *)r1.p, r1.len,
		    (const unsigned char *)r2.p, r2.len, &e) < 0;
	}
	ok = failed == want_err(&d);
	if (!ok)
		print_error("# %s: verification %s, wantErr %s\n", path,
		    failed ? "failed" : "passed",
		    want_err(&d) ? "true" : "false");
	json_doc_release(&d);
	buf_release(&text);
	buf_release(&r1);
	buf_release(&r2);
	buf_release(&proof);
	return ok;
}

static int probe_inclusion;
static size_t probes_run, probes_ok;

static int
probe_cb(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	size_t len = strlen(path);

	(void)st;
	(void)f;
	if (flag == FTW_F && len > 5 && strcmp(path + len - 5, ".json") == 0) {
		probes_run++;
		probes_ok += (size_t)run_probe(path, probe_inclusion);
	}
	return 0;
}

static void
run_probe_dir(const char *sub, int inclusion, size_t want)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/merkle/%s", conformance_dir(), sub);
	probe_inclusion = inclusion;
	probes_run = probes_ok = 0;
	if (nftw(dir, probe_cb, 16, FTW_PHYS) != 0)
		fail_msg("cannot walk '%s': %s", dir, strerror(errno));
	print_message("# %s: %zu of %zu probes agree\n", sub, probes_ok,
	    probes_run);
	assert_int_equal(probes_run, want);
	assert_int_equal(probes_ok, probes_run);
}

static void
test_inclusion_probes(void **state)
{
	(void)state;
	run_probe_dir("inclusion", 1, 98);
}

static void
test_consistency_probes(void **state)
{
	(void)state;
	run_probe_dir("consistency", 0, 98);
}

/* The reference tree: leaves, every node, every root, the hasher cases. */
static void
test_reference_tree(void **state)
{
	struct buf text = BUF_INIT, s = BUF_INIT, in = BUF_INIT;
	struct json_doc d;
	struct tend_err e = { 0, 0, "" };
	struct merkle_tree t;
	struct merkle_frontier f;
	char path[4096];
	unsigned char h[HL], want[HL], leaf[64];
	int64_t leaves, levels, roots, hv;
	uint32_t i, j;

	(void)state;
	snprintf(path, sizeof(path),
	    "%s/merkle/rfc6962-reference-tree.json", conformance_dir());
	read_path(path, &text);
	json_doc_init(&d);
	assert_int_equal(json_parse(&d, text.p, text.len, &e), 0);
	leaves = json_obj_get(&d, 0, "leaf_inputs_hex");
	levels = json_obj_get(&d, 0, "node_hashes_hex_by_level");
	roots = json_obj_get(&d, 0, "root_hashes_hex_by_tree_size");
	hv = json_obj_get(&d, 0, "hasher_vectors");
	assert_true(leaves >= 0 && levels >= 0 && roots >= 0 && hv >= 0);

	merkle_tree_init(&t);
	merkle_frontier_init(&f);
	/* size 0 */
	str_at(&d, json_arr_at(&d, (uint32_t)roots, 0), &s);
	hex_decode(s.p, want, HL);
	merkle_frontier_root(&f, h);
	assert_memory_equal(h, want, HL);
	assert_int_equal(merkle_tree_root(&t, 0, h, &e), 0);
	assert_memory_equal(h, want, HL);
	for (i = 0; i < d.tok[leaves].size; i++) {
		size_t n;

		str_at(&d, json_arr_at(&d, (uint32_t)leaves, i), &s);
		n = s.len / 2;
		if (n > 0)
			hex_decode(s.p, leaf, n);
		merkle_hash_leaf(leaf, n, h);
		merkle_tree_append(&t, h);
		merkle_frontier_append(&f, h);
		str_at(&d, json_arr_at(&d, (uint32_t)roots, i + 1), &s);
		hex_decode(s.p, want, HL);
		merkle_frontier_root(&f, h);
		assert_memory_equal(h, want, HL);
		assert_int_equal(merkle_tree_root(&t, i + 1, h, &e), 0);
		assert_memory_equal(h, want, HL);
	}
	assert_int_equal(t.size, 8);
	/* every complete node the tree keeps */
	for (i = 0; i < d.tok[levels].size; i++) {
		int64_t lev = json_arr_at(&d, (uint32_t)levels, i);

		assert_int_equal(t.level[i].n, d.tok[lev].size);
		for (j = 0; j < d.tok[lev].size; j++) {
			str_at(&d, json_arr_at(&d, (uint32_t)lev, j), &s);
			hex_decode(s.p, want, HL);
			assert_memory_equal(t.level[i].h[j], want, HL);
		}
	}
	/* the hasher cases: children here are raw 4-byte strings */
	for (i = 0; i < d.tok[hv].size; i++) {
		int64_t c = json_arr_at(&d, (uint32_t)hv, i), k;
		struct buf op = BUF_INIT;

		k = json_obj_get(&d, (uint32_t)c, "operation");
		str_at(&d, k, &op);
		str_at(&d, json_obj_get(&d, (uint32_t)c, "want_hex"), &s);
		hex_decode(s.p, want, HL);
		if (strcmp(op.p, "empty_root") == 0) {
			merkle_empty_root(h);
		} else if (strcmp(op.p, "hash_leaf") == 0) {
			str_at(&d, json_obj_get(&d, (uint32_t)c,
			    "leaf_hex"), &s);
			buf_reset(&in);
			buf_grow(&in, s.len / 2);
			if (s.len > 0)
				hex_decode(s.p, (unsigned char *)in.p,
				    s.len / 2);
			merkle_hash_leaf(in.p, s.len / 2, h);
		} else if (strcmp(op.p, "hash_children") == 0) {
			unsigned char lr[1 + 64];
			size_t ll, rl;

			str_at(&d, json_obj_get(&d, (uint32_t)c,
			    "left_hex"), &s);
			ll = s.len / 2;
			hex_decode(s.p, lr + 1, ll);
			str_at(&d, json_obj_get(&d, (uint32_t)c,
			    "right_hex"), &s);
			rl = s.len / 2;
			hex_decode(s.p, lr + 1 + ll, rl);
			lr[0] = 0x01;
			/* only 32-byte children go through the API */
			crypto_hash_sha256(h, lr, 1 + ll + rl);
			if (ll == HL && rl == HL) {
				unsigned char h2[HL];

				merkle_hash_children(lr + 1, lr + 1 + HL, h2);
				assert_memory_equal(h, h2, HL);
			}
		} else {
			fail_msg("unknown operation %s", op.p);
		}
		assert_memory_equal(h, want, HL);
		buf_release(&op);
	}
	merkle_tree_release(&t);
	json_doc_release(&d);
	buf_release(&text);
	buf_release(&s);
	buf_release(&in);
}

/* Proofs made here match the happy-path proofs of the probes. */
static void
test_generated_match_happy_paths(void **state)
{
	struct merkle_tree t;
	struct tend_err e = { 0, 0, "" };
	unsigned char leaf[16] = { 0 }, h[HL];
	unsigned char proof[MERKLE_MAX_PROOF * HL];
	struct buf text = BUF_INIT, want = BUF_INIT;
	struct json_doc d;
	char path[4096];
	size_t n, wn, i;
	static const char *const leaves_hex[] = {
		"", "00", "10", "2021", "3031", "40414243",
		"5051525354555657", "606162636465666768696a6b6c6d6e6f",
	};

	(void)state;
	merkle_tree_init(&t);
	for (i = 0; i < ARRAY_SIZE(leaves_hex); i++) {
		size_t len = strlen(leaves_hex[i]) / 2;

		if (len > 0)
			hex_decode(leaves_hex[i], leaf, len);
		merkle_hash_leaf(leaf, len, h);
		merkle_tree_append(&t, h);
	}
	json_doc_init(&d);
	for (i = 0; i <= 4; i++) {
		int64_t idx, size;

		/* inclusion/<i>/happy-path.json */
		snprintf(path, sizeof(path),
		    "%s/merkle/inclusion/%zu/happy-path.json",
		    conformance_dir(), i);
		buf_reset(&text);
		read_path(path, &text);
		assert_int_equal(json_parse(&d, text.p, text.len, &e), 0);
		idx = (int64_t)uint_member(&d, "leafIdx");
		size = (int64_t)uint_member(&d, "treeSize");
		assert_int_equal(proof_member(&d, &want, &wn), 0);
		assert_int_equal(merkle_inclusion_proof(&t, (uint64_t)idx,
		    (uint64_t)size, proof, &n, &e), 0);
		assert_int_equal(n, wn);
		if (n > 0)
			assert_memory_equal(proof, want.p, n * HL);

		snprintf(path, sizeof(path),
		    "%s/merkle/consistency/%zu/happy-path.json",
		    conformance_dir(), i);
		buf_reset(&text);
		read_path(path, &text);
		assert_int_equal(json_parse(&d, text.p, text.len, &e), 0);
		assert_int_equal(proof_member(&d, &want, &wn), 0);
		assert_int_equal(merkle_consistency_proof(&t,
		    uint_member(&d, "size1"), uint_member(&d, "size2"),
		    proof, &n, &e), 0);
		assert_int_equal(n, wn);
		if (n > 0)
			assert_memory_equal(proof, want.p, n * HL);
	}
	json_doc_release(&d);
	merkle_tree_release(&t);
	buf_release(&text);
	buf_release(&want);
}

/* Leaf i of the synthetic trees. */
static void
synth_leaf(uint64_t i, unsigned char h[HL])
{
	char s[32];
	int n = snprintf(s, sizeof(s), "leaf %llu", (unsigned long long)i);

	merkle_hash_leaf(s, (size_t)n, h);
}

/*
 * For every size up to N: frontier root = tree root, frontier set/at
 * round trip; every inclusion proof and every consistency proof verifies,
 * and flipping any bit of it, or dropping or adding a hash, does not.
 */
static void
test_generated_proofs_all_sizes(void **state)
{
	enum { N = 300 };
	struct merkle_tree t;
	struct merkle_frontier f, g;
	struct tend_err e = { 0, 0, "" };
	unsigned char h[HL], root[N + 1][HL], r2[HL], leaf[HL];
	unsigned char proof[(MERKLE_MAX_PROOF + 1) * HL];
	unsigned char fh[64 * HL];
	uint64_t size, i, m;
	size_t n, k;

	(void)state;
	merkle_tree_init(&t);
	merkle_frontier_init(&f);
	merkle_empty_root(root[0]);
	for (size = 1; size <= N; size++) {
		synth_leaf(size - 1, h);
		merkle_tree_append(&t, h);
		merkle_frontier_append(&f, h);
		merkle_frontier_root(&f, root[size]);
		assert_int_equal(merkle_tree_root(&t, size, r2, &e), 0);
		assert_memory_equal(root[size], r2, HL);
		/* frontier round trip */
		n = merkle_frontier_count(size);
		for (k = 0; k < n; k++)
			memcpy(fh + k * HL, merkle_frontier_at(&f, k), HL);
		assert_int_equal(merkle_frontier_set(&g, size, fh, n, &e), 0);
		merkle_frontier_root(&g, r2);
		assert_memory_equal(root[size], r2, HL);
		assert_int_equal(merkle_frontier_set(&g, size, fh, n + 1, &e),
		    -1);
	}
	for (size = 1; size <= N; size += (size < 70 ? 1 : 17)) {
		for (i = 0; i < size; i++) {
			synth_leaf(i, leaf);
			assert_int_equal(merkle_inclusion_proof(&t, i, size,
			    proof, &n, &e), 0);
			assert_int_equal(merkle_verify_inclusion(i, size, leaf,
			    HL, proof, n, root[size], HL, &e), 0);
			/* wrong index, wrong size, short, long, flipped */
			assert_int_equal(merkle_verify_inclusion(i + 1, size,
			    leaf, HL, proof, n, root[size], HL, &e), -1);
			/*
			 * (No wrong-size check: a proof of leaf i in a tree
			 * of size s can also be one in a tree of s + 1 with
			 * the same root; the size comes from the signed
			 * checkpoint, not from the proof.)
			 */
			if (n > 0)
				assert_int_equal(merkle_verify_inclusion(i,
				    size, leaf, HL, proof, n - 1, root[size],
				    HL, &e), -1);
			memset(proof + n * HL, 0, HL);
			assert_int_equal(merkle_verify_inclusion(i, size, leaf,
			    HL, proof, n + 1, root[size], HL, &e), -1);
			for (k = 0; k < n * HL; k += 7) {
				proof[k] ^= 0x10;
				assert_int_equal(merkle_verify_inclusion(i,
				    size, leaf, HL, proof, n, root[size], HL,
				    &e), -1);
				proof[k] ^= 0x10;
			}
		}
		for (m = 1; m <= size; m++) {
			assert_int_equal(merkle_consistency_proof(&t, m, size,
			    proof, &n, &e), 0);
			assert_int_equal(merkle_verify_consistency(m, size,
			    proof, n, root[m], HL, root[size], HL, &e), 0);
			if (m < size) {
				assert_int_equal(merkle_verify_consistency(m,
				    size, proof, n, root[m - 1], HL,
				    root[size], HL, &e), -1);
				assert_int_equal(merkle_verify_consistency(m,
				    size, proof, n - 1, root[m], HL,
				    root[size], HL, &e), -1);
				for (k = 0; k < n * HL; k += 11) {
					proof[k] ^= 1;
					assert_int_equal(
					    merkle_verify_consistency(m, size,
					    proof, n, root[m], HL, root[size],
					    HL, &e), -1);
					proof[k] ^= 1;
				}
			}
		}
	}
	/* nodes completed at a level are the tree's nodes at that level */
	for (k = 0; k < 6; k++) {
		unsigned char nodes[N * HL];
		size_t got = 0, up;

		merkle_frontier_init(&g);
		for (i = 0; i < N; i++) {
			synth_leaf(i, leaf);
			if (merkle_frontier_append_level(&g, leaf, (unsigned)k,
			    nodes + got * HL))
				got++;
		}
		assert_int_equal(got, N >> k);
		for (i = 0; i < got; i++)
			assert_memory_equal(nodes + i * HL,
			    t.level[k].h[i], HL);
		merkle_frontier_root(&g, h);
		assert_memory_equal(h, root[N], HL);
		/* one level up by pairing */
		up = merkle_nodes_up(nodes, got);
		assert_int_equal(up, got / 2);
		for (i = 0; i < up; i++)
			assert_memory_equal(nodes + i * HL,
			    t.level[k + 1].h[i], HL);
	}
	/* out of range requests */
	assert_int_equal(merkle_inclusion_proof(&t, N, N, proof, &n, &e), -1);
	assert_int_equal(merkle_inclusion_proof(&t, 0, N + 1, proof, &n, &e),
	    -1);
	assert_int_equal(merkle_consistency_proof(&t, 0, N, proof, &n, &e),
	    -1);
	assert_int_equal(merkle_consistency_proof(&t, 5, 4, proof, &n, &e),
	    -1);
	assert_int_equal(merkle_tree_root(&t, N + 1, h, &e), -1);
	assert_null(merkle_tree_leaf(&t, N));
	synth_leaf(7, h);
	assert_memory_equal(merkle_tree_leaf(&t, 7), h, HL);
	merkle_tree_release(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_tree),
		cmocka_unit_test(test_inclusion_probes),
		cmocka_unit_test(test_consistency_probes),
		cmocka_unit_test(test_generated_match_happy_paths),
		cmocka_unit_test(test_generated_proofs_all_sizes),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("merkle", tests, NULL, NULL);
}
