/*
 * schema.h: JSON Schema (draft 2020-12) validation of events against the
 * schemas in schemas/, which are compiled into libtend.a.
 *
 * Debian has no well-kept C library for JSON Schema draft 2020-12, so
 * this is a small interpreter over the json.h tape for the subset of the
 * vocabulary our schemas use.  A document is compiled once, at load, into
 * nodes: $refs become pointers, patterns are compiled, property names and
 * string enums are hashed.  Validation then walks the instance's tape and
 * allocates nothing (scratch buffers in the set grow to the longest escaped
 * string seen, then stay), so it runs in the hot path of every filter.
 *
 * Keywords: type, enum, const (values compared as JSON: numbers by value,
 * objects whatever their key order, strings after unescaping), properties,
 * required, additionalProperties, patternProperties, propertyNames,
 * minProperties, maxProperties, prefixItems, items, minItems, maxItems,
 * uniqueItems, minLength, maxLength (in code points), pattern, minimum,
 * maximum, exclusiveMinimum, exclusiveMaximum, multipleOf, format
 * "date-time" (RFC 3339, asserted), allOf, anyOf, oneOf, not,
 * if/then/else, $ref, $defs.  Ignored annotations: $schema, $id, $comment,
 * title, description, examples, default, deprecated, readOnly, writeOnly.
 * Any other keyword is a load error naming it: a constraint is never
 * skipped silently.
 *
 * Patterns are ECMA-262 regexes, limited to the part that Python's re
 * (which test/schemas/check.sh uses) reads the same way: literals, ".",
 * [...] and [^...] of ASCII characters and ranges, groups, (?:...), "|",
 * "*", "+", "?", {m}, {m,}, {m,n}, "\" before punctuation, \n, \r, \t,
 * and "^" and "$" at the start and end of the pattern or of a top-level
 * alternative.  \d, \w, lookaround, backreferences, non-ASCII inside
 * [...] and anchors elsewhere are load errors.  "." and [^...] match one
 * character however long its UTF-8.  They are compiled at load into a
 * DFA over bytes, not run through <regex.h>: glibc's regexec took 0.3 to
 * 3.5 us a match and mallocs, and libonig (linked for libjq) interposes a
 * regcomp and regexec of its own.  Python's re differs from ECMA-262, and
 * from us, in two corners: its "$" also matches before a final newline,
 * and its "." also matches \r, U+2028 and U+2029.
 *
 * Not supported, on purpose: $ref other than to a loaded document's root
 * or "#/$defs/NAME" in it, $id or $defs below the root, $anchor,
 * $dynamicRef, unevaluated*, contains, dependent*, and formats other than
 * date-time.  All are load errors.
 *
 * Not thread-safe: a set keeps scratch buffers and caches; use one set per
 * thread.
 */
#ifndef TEND_SCHEMA_H
#define TEND_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "tenderr.h"

/* One schema file as embedded by the build: name is the file name
   ("envelope.v1.json"), data is not NUL-terminated. */
struct schema_blob {
	const char		*name;
	const unsigned char	*data;
	size_t			 len;
};

/* Every .json file of schemas/, generated into the build tree. */
extern const struct schema_blob schema_blobs[];
extern const size_t schema_nblobs;

struct schema;
struct schema_set;

/*
 * Loads and compiles the embedded schemas.  Returns a set to free with
 * schema_set_free, or NULL with err filled (TEND_EXIT_INPUT, naming the
 * file, the schema location and the problem; a bug in schemas/).
 */
struct schema_set *schema_set_load(struct tend_err *);

/*
 * As schema_set_load, for n blobs given by the caller (tests, tools).
 * Blob names are what $ref uses; a document's $id, when it has one, must
 * equal its name.  The blobs' data must outlive the set.  A set without
 * "envelope.v1.json" can only be used through schema_validate.
 */
struct schema_set *schema_set_load_blobs(const struct schema_blob *,
	    size_t n, struct tend_err *);

void	schema_set_free(struct schema_set *);

/* The document called name, or NULL.  Owned by the set. */
struct schema *schema_set_get(struct schema_set *, const char *name);

/*
 * Validates token tok of doc against schema.  Returns 0 when valid, or -1
 * with err->code TEND_EXIT_INPUT, err->offset the byte offset of the
 * offending value in doc->src and err->msg "LOCATION: what", where
 * LOCATION is the RFC 6901 JSON Pointer of the failing instance value
 * (except that the root is shown as "/"), e.g.
 * "/data/line: expected integer, got string".
 */
int	schema_validate(struct schema *, const struct json_doc *, uint32_t tok,
	    struct tend_err *);

/*
 * Validates the event at event_tok: the envelope, then, when its type
 * starts with "tend.", its data against schemas/<type>.v1.json (data is
 * then required).  An unknown tend.* type is an error ("/type: unknown
 * event type 'tend.x'"); other types only get the envelope check.
 * Returns 0 or -1 as schema_validate does; data locations start "/data".
 */
int	schema_set_check_event(struct schema_set *, const struct json_doc *,
	    uint32_t event_tok, struct tend_err *);

#endif
