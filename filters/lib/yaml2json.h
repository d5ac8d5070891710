/*
 * yaml2json.h: YAML streams (libyaml) to JSON texts, one per document,
 * with the scalar rules kubectl applies (go-yaml v2 through
 * sigs.k8s.io/yaml), so a manifest means here what it means to kubectl.
 *
 * Scalars:
 *   - quoted scalars, block scalars and scalars tagged !!str or ! are
 *     strings;
 *   - plain scalars are YAML 1.1 typed: ~ null Null NULL and the empty
 *     scalar are null; y Y yes Yes YES true True TRUE on On ON are true,
 *     n N no No NO false False FALSE off Off OFF are false; integers in
 *     decimal, 0x hex, 0o or leading-0 octal and 0b binary, with optional
 *     sign and '_' separators, become decimal integers (beyond 64 bits they
 *     are read as floats, as go-yaml does); [-+]?(.d+|d+(.d*)?)([eE][-+]?d+)?
 *     is a float, written in the shortest form (jcs_number); everything else
 *     (timestamps included) is a string;
 *   - .inf, .nan and their spellings have no JSON form: an error;
 *   - explicit !!int !!float !!bool !!null tags convert the scalar or fail;
 *     !!binary and !!timestamp scalars stay strings (not decoded); unknown
 *     tags are ignored (scalars stay strings).
 * Mapping keys must be scalars; a non-string key becomes the text of its
 * value ("true", "1", "null"), as sigs.k8s.io/yaml writes it.  A key given
 * twice in one mapping is an error.  Merge keys (<<: *a, <<: [*a, *b])
 * are resolved: keys written in the mapping win over merged ones wherever
 * they stand, and among merged mappings the first listed wins.  Key order
 * is kept (merged keys where the << stood).
 *
 * Anchors and aliases are resolved by reference while parsing (an alias to
 * its own enclosing node is an error) and expanded when the JSON is
 * written, with two bounds against "billion laughs" documents: nesting
 * depth (aliases included) and the size of each document's JSON text,
 * both checked before anything is written.
 *
 * Input is UTF-8 (or UTF-16 with a BOM, which libyaml converts); libyaml
 * rejects invalid encodings and control characters, so the output is
 * valid JSON in valid UTF-8.  It does not keep comments or styles, and
 * does not check the JSON against anything.
 */
#ifndef TEND_YAML2JSON_H
#define TEND_YAML2JSON_H

#include <stddef.h>

#include "tenderr.h"

struct yaml2json_opts {
	size_t	 max_out;	/* bytes of one document's JSON; 0: 64 MiB */
	unsigned max_depth;	/* nesting, aliases expanded; 0: 512 */
};

/*
 * Called once per document: json[0..len) (NUL-terminated, valid until the
 * callback returns), line the 1-based line the document's content starts
 * on.  An empty document gives "null".  Return 0 to go on, -1 to stop
 * (yaml2json then returns -1 and leaves err as the callback set it).
 */
typedef int yaml2json_fn(void *ctx, const char *json, size_t len,
    size_t line);

/*
 * Converts the YAML stream src[0..len).  opts may be NULL.  Returns 0, or
 * -1 with err (code TEND_EXIT_INPUT, offset the byte and *line the
 * 1-based line of the problem; line may be NULL) when the YAML is bad or
 * a bound is exceeded.  Documents before the bad one have been passed to
 * fn.  Memory is the caller's only through fn; failures to allocate exit
 * (xmalloc).
 */
int	yaml2json(const char *src, size_t len, const struct yaml2json_opts *,
	    yaml2json_fn *fn, void *ctx, size_t *line, struct tend_err *err);

/*
 * Convenience for a single-document file (a kubeconfig): appends the first
 * document's JSON to out (nothing else); a stream of no documents gives
 * "null".  Returns 0 or -1 as yaml2json does.
 */
struct buf;
int	yaml2json_one(const char *src, size_t len,
	    const struct yaml2json_opts *, struct buf *out, size_t *line,
	    struct tend_err *err);

#endif
