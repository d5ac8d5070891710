/*
 * merkle.h: the RFC 6962 (RFC 9162 section 2.1) Merkle tree over SHA-256,
 * as Certificate Transparency, the Go checksum database, Tessera and
 * Rekor v2 use it.
 *
 *   leaf hash   = SHA-256(0x00 || leaf data)
 *   node hash   = SHA-256(0x01 || left || right)
 *   empty tree  = SHA-256("")
 *   MTH(D[n])   = MTH(D[0:k]) joined with MTH(D[k:n]), k the largest power
 *                 of two below n.
 *
 * Three pieces:
 *   - struct merkle_frontier: the compact state of a tree that is only
 *     appended to: one hash per set bit of its size (the roots of its
 *     complete subtrees), at most 64 of them.  Enough to append and to
 *     compute the root; not enough for proofs.  Fixed size, no allocation,
 *     so sealing a log keeps it in the checkpoint and carries on from there.
 *   - struct merkle_tree: every leaf hash and every complete interior node
 *     in memory (about 64 bytes a leaf), so roots of any earlier size and
 *     inclusion and consistency proofs take O(log n) hashes.
 *   - proof verification, which needs neither: only the proof, the sizes
 *     and the roots.
 *
 * Verification follows transparency-dev/merkle's choices where RFC 9162
 * leaves room (its test vectors are in shared/conformance/merkle): a
 * consistency check from size 0 is refused (it proves nothing), even 0 to
 * 0; equal sizes need an empty proof and byte-equal roots.
 *
 * Nothing here reads files, prints or allocates except merkle_tree, which
 * grows through xreallocarray (and so never fails).  Hashing is
 * libsodium's crypto_hash_sha256; callers must have called sodium_init().
 */
#ifndef TEND_MERKLE_H
#define TEND_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "tenderr.h"

#define MERKLE_HASH_LEN 32
/* The longest proof for a tree of up to 2^64 - 1 leaves. */
#define MERKLE_MAX_PROOF 64

void	merkle_hash_leaf(const void *data, size_t len,
	    unsigned char out[MERKLE_HASH_LEN]);
void	merkle_hash_children(const unsigned char left[MERKLE_HASH_LEN],
	    const unsigned char right[MERKLE_HASH_LEN],
	    unsigned char out[MERKLE_HASH_LEN]);
void	merkle_empty_root(unsigned char out[MERKLE_HASH_LEN]);

/*
 * Proofs and frontiers are passed as n hashes of MERKLE_HASH_LEN bytes
 * one after the other (n * 32 bytes).
 */

/*
 * The frontier of a tree of `size` leaves: node[k] is the root of the
 * complete subtree of 2^k leaves that bit k of size stands for, valid only
 * when that bit is set.  Left to right, the subtrees are the set bits from
 * the highest down.
 */
struct merkle_frontier {
	uint64_t	 size;
	unsigned char	 node[64][MERKLE_HASH_LEN];
};

void	merkle_frontier_init(struct merkle_frontier *);
/* Appends one leaf hash.  The caller keeps size below 2^64 - 1. */
void	merkle_frontier_append(struct merkle_frontier *,
	    const unsigned char leaf[MERKLE_HASH_LEN]);
/*
 * As merkle_frontier_append; returns 1, with the node copied to `node`,
 * when the leaf completes an aligned subtree of 2^level leaves (so once
 * every 2^level leaves), else 0.
 */
int	merkle_frontier_append_level(struct merkle_frontier *,
	    const unsigned char leaf[MERKLE_HASH_LEN], unsigned level,
	    unsigned char node[MERKLE_HASH_LEN]);
/*
 * Replaces the n nodes at nodes[] (n * 32 bytes, consecutive aligned
 * subtrees of equal size) by their parents, n / 2 of them, pairing left
 * to right; an odd last node is dropped.  Returns the new count.
 */
size_t	merkle_nodes_up(unsigned char *nodes, size_t n);
/* The root (MTH) of the tree the frontier describes. */
void	merkle_frontier_root(const struct merkle_frontier *,
	    unsigned char out[MERKLE_HASH_LEN]);
/* How many hashes a frontier of `size` holds: the bits set in size. */
size_t	merkle_frontier_count(uint64_t size);
/* The i-th hash left to right (0 = the largest subtree), i < count. */
const unsigned char *merkle_frontier_at(const struct merkle_frontier *,
	    size_t i);
/*
 * Sets the frontier to `size` leaves from its hashes left to right, as
 * merkle_frontier_at lists them.  Returns 0, or -1 (TEND_EXIT_INPUT) if n
 * is not merkle_frontier_count(size).  Whether the hashes are right is
 * the caller's to check: compare merkle_frontier_root with a signed root.
 */
int	merkle_frontier_set(struct merkle_frontier *, uint64_t size,
	    const unsigned char *hashes, size_t n, struct tend_err *);

/*
 * A whole tree in memory.  level[0] holds the leaf hashes, level[k] the
 * roots of the complete subtrees of 2^k leaves, left to right.
 */
struct merkle_level {
	unsigned char	(*h)[MERKLE_HASH_LEN];
	uint64_t	 n;
	uint64_t	 cap;
};

struct merkle_tree {
	uint64_t	 size;
	struct merkle_level level[64];
};

void	merkle_tree_init(struct merkle_tree *);
void	merkle_tree_release(struct merkle_tree *);
void	merkle_tree_append(struct merkle_tree *,
	    const unsigned char leaf[MERKLE_HASH_LEN]);

/*
 * The root of the first `size` leaves (size <= tree size; 0 gives the
 * empty root).  Returns 0, or -1 (TEND_EXIT_INPUT) if size is too big.
 */
int	merkle_tree_root(const struct merkle_tree *, uint64_t size,
	    unsigned char out[MERKLE_HASH_LEN], struct tend_err *);

/*
 * The hash of leaf `index` (index < tree size), or NULL.  The pointer is
 * valid until the next append.
 */
const unsigned char *merkle_tree_leaf(const struct merkle_tree *,
	    uint64_t index);

/*
 * The inclusion proof (RFC 6962 PATH) of leaf `index` in the tree of the
 * first `size` leaves, deepest hash first, into proof (room for
 * MERKLE_MAX_PROOF hashes) with *n set to their number.  Returns 0, or
 * -1 (TEND_EXIT_INPUT) if index >= size or size > the tree's size.
 */
int	merkle_inclusion_proof(const struct merkle_tree *, uint64_t index,
	    uint64_t size, unsigned char *proof, size_t *n, struct tend_err *);

/*
 * The consistency proof (RFC 6962 PROOF) between the trees of the first
 * size1 and size2 leaves, 0 < size1 <= size2 <= tree size; for size1 ==
 * size2 the proof is empty.  Returns 0, or -1 (TEND_EXIT_INPUT) for sizes
 * out of range.
 */
int	merkle_consistency_proof(const struct merkle_tree *, uint64_t size1,
	    uint64_t size2, unsigned char *proof, size_t *n, struct tend_err *);

/*
 * Checks that leaf_hash is leaf `index` of the tree of `size` leaves whose
 * root is root[0..root_len), by the RFC 9162 section 2.1.3.2 algorithm.
 * Returns 0 if it is, else -1 with err (TEND_EXIT_NO: the proof does not
 * prove it) saying why.  A root or leaf hash that is not 32 bytes never
 * matches.
 */
int	merkle_verify_inclusion(uint64_t index, uint64_t size,
	    const unsigned char *leaf_hash, size_t leaf_len,
	    const unsigned char *proof, size_t n,
	    const unsigned char *root, size_t root_len, struct tend_err *);

/*
 * Checks that the tree of size2 leaves with root2 extends the tree of
 * size1 leaves with root1, by RFC 9162 section 2.1.4.2.  Returns 0 if
 * the proof shows it, else -1 with err (TEND_EXIT_NO).  size1 == 0 is
 * refused; size1 == size2 needs n == 0 and equal roots (of any length).
 */
int	merkle_verify_consistency(uint64_t size1, uint64_t size2,
	    const unsigned char *proof, size_t n,
	    const unsigned char *root1, size_t root1_len,
	    const unsigned char *root2, size_t root2_len, struct tend_err *);

#endif
