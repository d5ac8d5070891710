/*
 * jsonptr.h: RFC 6901 JSON Pointers: building them, splitting them into
 * reference tokens, resolving them on a json_doc tape, and matching them
 * against patterns.
 *
 * A pointer is "" (the whole document) or a sequence of "/token", where a
 * token is UTF-8 with '~' written "~0" and '/' written "~1".  Pointers are
 * handled here as raw (unescaped-JSON, still ~-escaped) byte strings; the
 * caller JSON-escapes them when it writes them into a document.
 *
 * It does not resolve pointers in a mutable value (see jsonpatch.h, which
 * uses jsonptr_next and jsonptr_index to do that) and does not accept the
 * URI fragment form ("#/a%20b").
 */
#ifndef TEND_JSONPTR_H
#define TEND_JSONPTR_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "json.h"
#include "tenderr.h"

/* Appends "/" and the escaped form of token tok[0..len) to ptr. */
void	jsonptr_add(struct buf *ptr, const char *tok, size_t len);

/* Appends "/" and the decimal index i to ptr. */
void	jsonptr_add_index(struct buf *ptr, size_t i);

/*
 * Splits the next token off the pointer text at *p (up to end): *p must
 * point at a '/'.  Appends the unescaped token to tok (after resetting it)
 * and advances *p past it.  Returns 1 with a token, 0 at the end (*p ==
 * end), or -1 with err (TEND_EXIT_INPUT) when the text does not start with
 * '/' or holds a '~' not followed by '0' or '1'.
 */
int	jsonptr_next(const char **p, const char *end, struct buf *tok,
	    struct tend_err *err);

/* Checks the whole pointer text: 0, or -1 with err as jsonptr_next. */
int	jsonptr_check(const char *ptr, size_t len, struct tend_err *err);

/*
 * An array index token: 0 and *idx set for "0" or a digit string without
 * a leading zero that fits in a size_t, else -1 ("-", "01", "1e0", "").
 */
int	jsonptr_index(const char *tok, size_t len, size_t *idx);

/*
 * Resolves ptr[0..len) in the value at token root of d.  Returns the token
 * index, or -1 when the pointer is malformed or names nothing.
 */
int64_t	jsonptr_get(const struct json_doc *d, uint32_t root,
	    const char *ptr, size_t len);

/*
 * 1 if pointer ptr matches pattern pat, token by token, else 0.  A pattern
 * token "*" matches any one token; every other token must be equal.  With
 * prefix set, a pointer below a match also matches ("/a/b" matches pattern
 * "/a").  Neither text is checked: malformed text simply does not match.
 */
int	jsonptr_match(const char *pat, size_t patlen, const char *ptr,
	    size_t len, int prefix);

/*
 * Appends the pointer for a jq path (a JSON array of strings and
 * non-negative integers, such as path(.a[0]) outputs) at token arr of d.
 * Returns 0, or -1 with err when an element is neither (a slice object,
 * a negative or fractional number).
 */
int	jsonptr_from_path(const struct json_doc *d, uint32_t arr,
	    struct buf *ptr, struct tend_err *err);

#endif
