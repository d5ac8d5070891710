/*
 * json.h: a strict RFC 8259 parser into a flat token array (a "tape").
 *
 * Accepts exactly RFC 8259 JSON with valid UTF-8: no NaN/Infinity, no
 * leading zeros, no control characters in strings, no lone surrogate
 * escapes, no trailing commas or garbage.  libjq 1.6 accepts all of these,
 * which is why tend checks every line with this parser first.
 *
 * The tape refers to the input bytes; it does not copy or decode them.
 * Strings keep their raw (escaped) bytes and numbers their literal, so a
 * value can be passed on byte for byte (no 1e+20 for 100000000000000000001).
 *
 * Layout: a value is one token; an array token is followed by its elements,
 * an object token by key (STRING) and value pairs.  tok[i].end is the index
 * just past i's subtree, so siblings are found without walking children.
 *
 * It does not build a tree, convert numbers, or decode strings: see
 * json_str_decode and json_num for that, on demand.
 */
#ifndef TEND_JSON_H
#define TEND_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "tenderr.h"

enum json_type {
	JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING,
	JSON_ARRAY, JSON_OBJECT,
};

#define JSON_MAX_DEPTH 512

struct json_tok {
	uint32_t type;		/* enum json_type */
	uint32_t escaped;	/* STRING: holds a backslash escape */
	uint32_t end;		/* index past this token's subtree */
	uint32_t size;		/* ARRAY: elements; OBJECT: members */
	size_t	 off;		/* STRING: after the opening quote; else start */
	size_t	 len;		/* STRING: raw bytes inside quotes; NUMBER and
				   literals: the literal; ARRAY/OBJECT: whole
				   span, brackets included */
};

struct json_doc {
	const char	*src;
	size_t		 srclen;
	struct json_tok	*tok;
	uint32_t	 ntok;
	uint32_t	 cap;
	uint32_t	*stack;		/* open containers while parsing */
	uint32_t	 stackcap;
};

void	json_doc_init(struct json_doc *);
void	json_doc_release(struct json_doc *);

/*
 * Parses src[0..len) as one JSON text (whitespace around it allowed).
 * Returns 0, or -1 with err->code TEND_EXIT_INPUT, err->offset the byte
 * where it went wrong and err->msg saying what.  src must outlive the doc.
 * The doc's storage is reused between calls.
 */
int	json_parse(struct json_doc *, const char *src, size_t len,
	    struct tend_err *);

/* Index of member `key` of object `obj`, or -1.  Keys compared raw
   (escaped keys are decoded first). */
int64_t	json_obj_get(const struct json_doc *, uint32_t obj, const char *key);

/* Index of the i-th element of array `arr`, or -1. */
int64_t	json_arr_at(const struct json_doc *, uint32_t arr, uint32_t i);

/* Next sibling of token i: tok[i].end. */
static inline uint32_t
json_next(const struct json_doc *d, uint32_t i)
{
	return d->tok[i].end;
}

/* 1 if string token i equals s (decoded), else 0. */
int	json_str_eq(const struct json_doc *, uint32_t i, const char *s);

/* Appends the decoded (unescaped) UTF-8 of string token i to out.
   Input was validated, so this cannot fail. */
void	json_str_decode(const struct json_doc *, uint32_t i, struct buf *out);

/* Pointer to the raw text of token i (for strings: with quotes) and its
   length, so values can be copied out verbatim. */
const char *json_raw(const struct json_doc *, uint32_t i, size_t *len);

/* Number token i as a double (strtod of the literal). */
double	json_num(const struct json_doc *, uint32_t i);

/* Number token i as int64 if it is an integer literal in range: 0, else -1. */
int	json_int(const struct json_doc *, uint32_t i, int64_t *out);

const char *json_type_name(enum json_type);

/*
 * Checks that s[0..len) is valid UTF-8 (no overlongs, no surrogates, at
 * most U+10FFFF).  Returns the length, or the offset of the first bad byte
 * negated minus one.
 */
int	utf8_valid(const unsigned char *s, size_t len, size_t *bad);

#endif
