#include "compat.h"

#include <sodium.h>

#include "merkle.h"
#include "xmalloc.h"

#define HL MERKLE_HASH_LEN

void
merkle_hash_leaf(const void *data, size_t len, unsigned char out[HL])
{
	crypto_hash_sha256_state st;
	static const unsigned char prefix = 0x00;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &prefix, 1);
	crypto_hash_sha256_update(&st, data, len);
	crypto_hash_sha256_final(&st, out);
}

void
merkle_hash_children(const unsigned char left[HL],
    const unsigned char right[HL], unsigned char out[HL])
{
	unsigned char in[1 + 2 * HL];

	in[0] = 0x01;
	memcpy(in + 1, left, HL);
	memcpy(in + 1 + HL, right, HL);
	crypto_hash_sha256(out, in, sizeof(in));
}

void
merkle_empty_root(unsigned char out[HL])
{
	crypto_hash_sha256(out, (const unsigned char *)"", 0);
}

/* The largest power of two strictly below n (n >= 2). */
static uint64_t
split_point(uint64_t n)
{
	uint64_t k = 1;

	while (k < n - k)
		k <<= 1;
	return k;
}

static int
lsb_count(uint64_t v)
{
	return __builtin_ctzll(v);
}

void
merkle_frontier_init(struct merkle_frontier *f)
{
	memset(f, 0, sizeof(*f));
}

void
merkle_frontier_append(struct merkle_frontier *f, const unsigned char leaf[HL])
{
	unsigned char h[HL];
	int k = 0;

	memcpy(h, leaf, HL);
	/* a binary counter: each carry joins two equal subtrees */
	while (f->size & ((uint64_t)1 << k)) {
		merkle_hash_children(f->node[k], h, h);
		k++;
	}
	memcpy(f->node[k], h, HL);
	f->size++;
}

int
merkle_frontier_append_level(struct merkle_frontier *f,
    const unsigned char leaf[HL], unsigned level, unsigned char node[HL])
{
	unsigned char h[HL];
	unsigned k = 0;
	int done = level == 0;

	memcpy(h, leaf, HL);
	if (done)
		memcpy(node, h, HL);
	while (f->size & ((uint64_t)1 << k)) {
		merkle_hash_children(f->node[k], h, h);
		k++;
		if (k == level) {
			memcpy(node, h, HL);
			done = 1;
		}
	}
	memcpy(f->node[k], h, HL);
	f->size++;
	return done;
}

size_t
merkle_nodes_up(unsigned char *nodes, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		merkle_hash_children(nodes + i * HL, nodes + (i + 1) * HL,
		    nodes + (i / 2) * HL);
	return n / 2;
}

void
merkle_frontier_root(const struct merkle_frontier *f, unsigned char out[HL])
{
	unsigned char acc[HL];
	uint64_t rest;
	int k;

	if (f->size == 0) {
		merkle_empty_root(out);
		return;
	}
	/* fold right to left: the smallest subtree is the rightmost */
	k = lsb_count(f->size);
	memcpy(acc, f->node[k], HL);
	rest = f->size & (f->size - 1);
	while (rest != 0) {
		k = lsb_count(rest);
		merkle_hash_children(f->node[k], acc, acc);
		rest &= rest - 1;
	}
	memcpy(out, acc, HL);
}

size_t
merkle_frontier_count(uint64_t size)
{
	return (size_t)__builtin_popcountll(size);
}

const unsigned char *
merkle_frontier_at(const struct merkle_frontier *f, size_t i)
{
	int k;

	for (k = 63; k >= 0; k--) {
		if ((f->size & ((uint64_t)1 << k)) == 0)
			continue;
		if (i-- == 0)
			return f->node[k];
	}
	BUG("merkle_frontier_at out of range");
}

int
merkle_frontier_set(struct merkle_frontier *f, uint64_t size,
    const unsigned char *hashes, size_t n, struct tend_err *err)
{
	size_t i = 0;
	int k;

	if (n != merkle_frontier_count(size))
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "a frontier of %llu leaves has %zu hashes, not %zu",
		    (unsigned long long)size, merkle_frontier_count(size), n);
	merkle_frontier_init(f);
	f->size = size;
	for (k = 63; k >= 0; k--)
		if (size & ((uint64_t)1 << k))
			memcpy(f->node[k], hashes + HL * i++, HL);
	return 0;
}

void
merkle_tree_init(struct merkle_tree *t)
{
	memset(t, 0, sizeof(*t));
}

void
merkle_tree_release(struct merkle_tree *t)
{
	int k;

	for (k = 0; k < 64; k++)
		free(t->level[k].h);
	merkle_tree_init(t);
}

static void
level_push(struct merkle_level *l, const unsigned char h[HL])
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->h = xreallocarray(l->h, l->cap, HL);
	}
	memcpy(l->h[l->n++], h, HL);
}

void
merkle_tree_append(struct merkle_tree *t, const unsigned char leaf[HL])
{
	unsigned char h[HL];
	int k = 0;

	level_push(&t->level[0], leaf);
	/* every second node of a level completes a node one level up */
	while ((t->level[k].n & 1) == 0) {
		merkle_hash_children(t->level[k].h[t->level[k].n - 2],
		    t->level[k].h[t->level[k].n - 1], h);
		level_push(&t->level[k + 1], h);
		k++;
	}
	t->size++;
}

/*
 * MTH(D[lo:hi]) for lo < hi <= size, where lo is a multiple of the
 * largest power of two not above hi - lo (true of every range the
 * RFC 6962 recursion makes).
 */
static void
subtree(const struct merkle_tree *t, uint64_t lo, uint64_t hi,
    unsigned char out[HL])
{
	unsigned char l[HL], r[HL];
	uint64_t n = hi - lo, k;

	if ((n & (n - 1)) == 0) {
		int lev = lsb_count(n);

		if (lo % n != 0)
			BUG("unaligned complete subtree");
		memcpy(out, t->level[lev].h[lo >> lev], HL);
		return;
	}
	k = split_point(n);
	subtree(t, lo, lo + k, l);
	subtree(t, lo + k, hi, r);
	merkle_hash_children(l, r, out);
}

int
merkle_tree_root(const struct merkle_tree *t, uint64_t size,
    unsigned char out[HL], struct tend_err *err)
{
	if (size > t->size)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "tree size %llu is beyond the %llu leaves there are",
		    (unsigned long long)size, (unsigned long long)t->size);
	if (size == 0)
		merkle_empty_root(out);
	else
		subtree(t, 0, size, out);
	return 0;
}

const unsigned char *
merkle_tree_leaf(const struct merkle_tree *t, uint64_t index)
{
	return index < t->size ? t->level[0].h[index] : NULL;
}

/* RFC 6962 PATH(m, D[lo:hi]): appends deepest first. */
static void
path(const struct merkle_tree *t, uint64_t m, uint64_t lo, uint64_t hi,
    unsigned char *proof, size_t *n)
{
	uint64_t k;

	if (hi - lo == 1)
		return;
	k = split_point(hi - lo);
	if (m < k) {
		path(t, m, lo, lo + k, proof, n);
		subtree(t, lo + k, hi, proof + HL * (*n)++);
	} else {
		path(t, m - k, lo + k, hi, proof, n);
		subtree(t, lo, lo + k, proof + HL * (*n)++);
	}
}

int
merkle_inclusion_proof(const struct merkle_tree *t, uint64_t index,
    uint64_t size, unsigned char *proof, size_t *n, struct tend_err *err)
{
	if (size > t->size)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "tree size %llu is beyond the %llu leaves there are",
		    (unsigned long long)size, (unsigned long long)t->size);
	if (index >= size)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "leaf %llu is not in a tree of %llu leaves",
		    (unsigned long long)index, (unsigned long long)size);
	*n = 0;
	path(t, index, 0, size, proof, n);
	return 0;
}

/* RFC 6962 SUBPROOF(m, D[lo:hi], whole): appends deepest first. */
static void
subproof(const struct merkle_tree *t, uint64_t m, uint64_t lo, uint64_t hi,
    int whole, unsigned char *proof, size_t *n)
{
	uint64_t k;

	if (m == hi - lo) {
		if (!whole)
			subtree(t, lo, hi, proof + HL * (*n)++);
		return;
	}
	k = split_point(hi - lo);
	if (m <= k) {
		subproof(t, m, lo, lo + k, whole, proof, n);
		subtree(t, lo + k, hi, proof + HL * (*n)++);
	} else {
		subproof(t, m - k, lo + k, hi, 0, proof, n);
		subtree(t, lo, lo + k, proof + HL * (*n)++);
	}
}

int
merkle_consistency_proof(const struct merkle_tree *t, uint64_t size1,
    uint64_t size2, unsigned char *proof, size_t *n, struct tend_err *err)
{
	if (size2 > t->size)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "tree size %llu is beyond the %llu leaves there are",
		    (unsigned long long)size2, (unsigned long long)t->size);
	if (size1 == 0 || size1 > size2)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "no consistency proof from size %llu to size %llu",
		    (unsigned long long)size1, (unsigned long long)size2);
	*n = 0;
	if (size1 < size2)
		subproof(t, size1, 0, size2, 1, proof, n);
	return 0;
}

int
merkle_verify_inclusion(uint64_t index, uint64_t size,
    const unsigned char *leaf_hash, size_t leaf_len,
    const unsigned char *proof, size_t n,
    const unsigned char *root, size_t root_len, struct tend_err *err)
{
	unsigned char r[HL];
	uint64_t fn, sn;
	size_t i;

	if (index >= size)
		return tend_err_set(err, TEND_EXIT_NO,
		    "leaf index %llu is not below tree size %llu",
		    (unsigned long long)index, (unsigned long long)size);
	if (leaf_len != HL)
		return tend_err_set(err, TEND_EXIT_NO,
		    "the leaf hash has %zu bytes, not %d", leaf_len, HL);
	fn = index;
	sn = size - 1;
	memcpy(r, leaf_hash, HL);
	for (i = 0; i < n; i++) {
		const unsigned char *p = proof + HL * i;

		if (sn == 0)
			return tend_err_set(err, TEND_EXIT_NO,
			    "the proof has %zu hashes, more than the tree "
			    "needs", n);
		if ((fn & 1) || fn == sn) {
			merkle_hash_children(p, r, r);
			while ((fn & 1) == 0 && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_hash_children(r, p, r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return tend_err_set(err, TEND_EXIT_NO,
		    "the proof has %zu hashes, fewer than the tree needs", n);
	if (root_len != HL || sodium_memcmp(r, root, HL) != 0)
		return tend_err_set(err, TEND_EXIT_NO,
		    "the proof leads to another root");
	return 0;
}

int
merkle_verify_consistency(uint64_t size1, uint64_t size2,
    const unsigned char *proof, size_t n,
    const unsigned char *root1, size_t root1_len,
    const unsigned char *root2, size_t root2_len, struct tend_err *err)
{
	unsigned char fr[HL], sr[HL];
	const unsigned char *c;
	uint64_t fn, sn;
	size_t i;

	if (size1 > size2)
		return tend_err_set(err, TEND_EXIT_NO,
		    "size %llu is larger than size %llu",
		    (unsigned long long)size1, (unsigned long long)size2);
	if (size1 == 0)
		return tend_err_set(err, TEND_EXIT_NO,
		    "a consistency proof from the empty tree proves nothing");
	if (size1 == size2) {
		if (n != 0)
			return tend_err_set(err, TEND_EXIT_NO,
			    "equal sizes need an empty proof, not %zu hashes",
			    n);
		if (root1_len != root2_len ||
		    memcmp(root1, root2, root1_len) != 0)
			return tend_err_set(err, TEND_EXIT_NO,
			    "equal sizes with different roots");
		return 0;
	}
	if (n == 0)
		return tend_err_set(err, TEND_EXIT_NO, "the proof is empty");
	if (root1_len != HL || root2_len != HL)
		return tend_err_set(err, TEND_EXIT_NO,
		    "a root is not %d bytes long", HL);
	/*
	 * When size1 is a power of two its root is a node of the bigger tree
	 * and the proof leaves it out: it starts the walk.
	 */
	i = 0;
	if ((size1 & (size1 - 1)) == 0)
		c = root1;
	else
		c = proof + HL * i++;
	fn = size1 - 1;
	sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	memcpy(fr, c, HL);
	memcpy(sr, c, HL);
	for (; i < n; i++) {
		c = proof + HL * i;
		if (sn == 0)
			return tend_err_set(err, TEND_EXIT_NO,
			    "the proof has %zu hashes, more than the trees "
			    "need", n);
		if ((fn & 1) || fn == sn) {
			merkle_hash_children(c, fr, fr);
			merkle_hash_children(c, sr, sr);
			while ((fn & 1) == 0 && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_hash_children(sr, c, sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return tend_err_set(err, TEND_EXIT_NO,
		    "the proof has %zu hashes, fewer than the trees need", n);
	if (sodium_memcmp(fr, root1, HL) != 0)
		return tend_err_set(err, TEND_EXIT_NO,
		    "the proof does not lead to the first root");
	if (sodium_memcmp(sr, root2, HL) != 0)
		return tend_err_set(err, TEND_EXIT_NO,
		    "the proof does not lead to the second root");
	return 0;
}
