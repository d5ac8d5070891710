/*
 * jsonpatch.h: RFC 6902 JSON Patch: applying a patch to a document, and
 * the diff that writes a patch turning one document into another.
 *
 * Applying needs a document that can change, so this module has a small
 * mutable JSON value (struct jsonpatch_val) next to the read-only tape of
 * json.h.  Objects keep their members in order; strings are held decoded;
 * numbers keep their literal text, so 100000000000000000001 comes out as it
 * went in.  Equality (the `test` operation, jsonpatch_val_equal) is JSON's:
 * numbers by value, objects regardless of member order.
 *
 * The diff works on two tape subtrees and writes the patch as JSON text:
 *   - objects member by member: in the first document's order each
 *     member is removed or diffed, then the second's new members are
 *     added in its order;
 *   - arrays whose elements are all objects carrying a distinct string
 *     member named by opt->name_key (Kubernetes containers, env, ports,
 *     volumes) element by element, matched by that name: one inserted
 *     container is one "add", a reordering is "move"s, a removed one is one
 *     "remove";
 *   - other arrays by common prefix and suffix, then index by index over
 *     the rest, adds or removes at its end; when one "replace" of the whole
 *     array is shorter, that instead;
 *   - scalars of different value or type, and values of different types,
 *     by "replace".
 * Every op is valid at its place in the sequence, so the patch applies to
 * the first document and yields the second (tested as a property).
 *
 * What it does not do: no "test" ops are emitted (callers that want a
 * precondition add their own), no JSON Merge Patch (RFC 7386), and diffs
 * of long arrays without names are not minimal (no LCS).
 */
#ifndef TEND_JSONPATCH_H
#define TEND_JSONPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "json.h"
#include "tenderr.h"

struct jsonpatch_member;

struct jsonpatch_val {
	enum json_type type;
	char	*s;		/* STRING: decoded; NUMBER: literal */
	size_t	 slen;
	size_t	 n;		/* ARRAY: elements; OBJECT: members */
	size_t	 cap;
	struct jsonpatch_val **el;	/* ARRAY */
	struct jsonpatch_member *mem;	/* OBJECT */
};

struct jsonpatch_member {
	char	*key;		/* decoded UTF-8, NUL-terminated */
	size_t	 klen;
	struct jsonpatch_val *v;
};

/* A copy of the value at token i of d.  Never fails (xmalloc). */
struct jsonpatch_val *jsonpatch_val_from_tape(const struct json_doc *d,
	    uint32_t i);

/* Parses s[0..len) strictly (json.h).  NULL with err on bad JSON. */
struct jsonpatch_val *jsonpatch_val_parse(const char *s, size_t len,
	    struct tend_err *err);

struct jsonpatch_val *jsonpatch_val_copy(const struct jsonpatch_val *);

/* Frees v and everything under it; NULL is fine. */
void	jsonpatch_val_free(struct jsonpatch_val *v);

/* 1 if a and b are equal JSON values (numbers by value), else 0. */
int	jsonpatch_val_equal(const struct jsonpatch_val *a,
	    const struct jsonpatch_val *b);

/* Appends v as compact JSON; numbers as their literal, members in order. */
void	jsonpatch_val_write(const struct jsonpatch_val *v, struct buf *out);

/*
 * 1 if the numbers a and b (JSON number literals) are equal values: equal
 * digit strings when both are integers, else equal doubles.
 */
int	jsonpatch_num_equal(const char *a, size_t alen, const char *b,
	    size_t blen);

/* As jsonpatch_val_equal, on two tape subtrees. */
int	jsonpatch_tape_equal(const struct json_doc *a, uint32_t ai,
	    const struct json_doc *b, uint32_t bi);

/*
 * Applies the patch (a JSON array of operations, token pi of patch) to
 * *doc, all or nothing: on success *doc is the patched document (the old
 * one freed) and 0 is returned; on failure *doc is unchanged and -1 is
 * returned with err (TEND_EXIT_INPUT) naming the operation's index and
 * what failed: a malformed operation (unknown op, missing or non-string
 * path/from, missing value, an op member twice), a path that names
 * nothing where something is required, an array index that is not one
 * (leading zeros, "1e0", past the end), a move into its own child, or a
 * failed test.  Atomicity costs a copy of the document per call: the
 * operations run on the copy, which replaces *doc only at the end.
 */
int	jsonpatch_apply(struct jsonpatch_val **doc,
	    const struct json_doc *patch, uint32_t pi, struct tend_err *err);

/* As jsonpatch_apply, the patch given as JSON text. */
int	jsonpatch_apply_text(struct jsonpatch_val **doc, const char *patch,
	    size_t len, struct tend_err *err);

/*
 * What a diff callback is asked about.  The paths are where the node is,
 * or would be, in each document as given (not as the patch leaves it):
 * an object member a lacks still has its apath; an array element a lacks
 * has none (apath NULL), and likewise for b.
 */
struct jsonpatch_node {
	const struct json_doc *a;	/* the first ("observed") document */
	int64_t	 ai;			/* token in a, -1: absent */
	const char *apath;		/* pointer in a, or NULL */
	size_t	 apathlen;
	const struct json_doc *b;	/* the second ("desired") document */
	int64_t	 bi;			/* token in b, -1: absent */
	const char *bpath;		/* pointer in b, or NULL */
	size_t	 bpathlen;
};

enum {
	JSONPATCH_COMPARE = 0,		/* diff the node as usual */
	JSONPATCH_IGNORE = 1,		/* leave it out: no op */
	JSONPATCH_TOLERATE = 2,		/* differs, within tolerance */
};

struct jsonpatch_diffopt {
	/* Key naming array elements ("name"); NULL: arrays by position. */
	const char *name_key;
	/*
	 * Called, when set, for every node the diff reaches before it is
	 * compared: present on both sides, or on one side only (an add or
	 * remove).  Returns one of the JSONPATCH_* values above.  Under an
	 * IGNORE or TOLERATE the subtree is not visited.
	 */
	int	(*node)(void *ctx, const struct jsonpatch_node *);
	void	*ctx;
};

/*
 * Appends to patch a JSON array of operations turning the value at token
 * ai of a into the value at token bi of b, and, when paths is not NULL, a
 * JSON array of the pointers the operations change ("path" of each op, in
 * order, without repeats).  opt may be NULL (no names, no callback).
 * Returns the number of operations (0: the values are equal, apart from
 * what the callback left out).  Cannot fail: the tapes are valid JSON.
 */
size_t	jsonpatch_diff(const struct json_doc *a, uint32_t ai,
	    const struct json_doc *b, uint32_t bi,
	    const struct jsonpatch_diffopt *opt, struct buf *patch,
	    struct buf *paths);

#endif
