/*
 * jcs.h: RFC 8785 JSON Canonicalization Scheme (JCS) over a parsed
 * json_doc, and SHA-256 digests of the result.
 *
 * The canonical form of a value is what tend hashes for resource spec
 * digests and deterministic event ids, so two producers that write the same
 * data with different whitespace, key order, escapes or number spellings
 * get the same bytes:
 *   - no whitespace;
 *   - object members sorted by the UTF-16 code units of their decoded keys
 *     (not by UTF-8 bytes: U+10000 and above sort before U+E000..U+FFFF);
 *   - strings escape only '"', '\\' and U+0000..U+001F, with the short forms
 *     \b \f \n \r \t and otherwise \u00xx in lowercase hex; everything else,
 *     '/' and non-ASCII included, is written as literal UTF-8;
 *   - numbers are written as ECMAScript's Number.prototype.toString writes
 *     the IEEE 754 double nearest to the literal (see jcs_number).
 *
 * Every number goes through a double, as RFC 8785 requires: integers above
 * 2^53 lose precision (100000000000000000001 becomes 100000000000000000000),
 * 1.0 becomes 1, 1E30 becomes 1e+30 and -0 becomes 0.  Numbers too small
 * for a double become 0.  A caller that needs big integers exactly must
 * carry them as strings.
 *
 * What it does not do: it does not parse (see json.h; input is already
 * valid JSON with valid UTF-8 and paired surrogates), does not apply
 * Unicode normalisation (A + U+030A stays two code points, as RFC 8785
 * says), and does not build a tree: it walks the token tape, sorting member
 * indices in a scratch array that lives on the stack unless an object path
 * holds more than a few hundred members.
 */
#ifndef TEND_JCS_H
#define TEND_JCS_H

#include <stdint.h>

#include "buf.h"
#include "json.h"
#include "tenderr.h"

#define JCS_DIGEST_LEN 32

/*
 * Appends the canonical form of the value at token i of d to out.
 *
 * Returns 0, or -1 with err->code TEND_EXIT_INPUT (err->offset the byte of
 * the offending token in d->src) for the values JCS cannot represent: an
 * object with two members whose decoded keys are equal (I-JSON, RFC 7493),
 * and a number whose magnitude rounds to infinity (1e999).  On -1, out may
 * have been extended with part of the canonical form; a caller that keeps
 * out must truncate it to its old length.  out is the caller's; memory
 * otherwise only fails by exiting, through xmalloc.
 */
int	jcs_canon(const struct json_doc *d, uint32_t i, struct buf *out,
	    struct tend_err *err);

/*
 * Stores in out the SHA-256 (libsodium crypto_hash_sha256) of the canonical
 * form of the value at token i.  Initialises libsodium itself on first use
 * (thread-safe), so callers need not call sodium_init().
 *
 * Returns 0, or -1 with err filled as by jcs_canon (out is then
 * unspecified), or with err->code TEND_EXIT_SYSTEM when libsodium cannot
 * be initialised.  Use buf_add_hex(b, out, JCS_DIGEST_LEN) for hex.
 */
int	jcs_digest(const struct json_doc *d, uint32_t i,
	    unsigned char out[JCS_DIGEST_LEN], struct tend_err *err);

/*
 * Appends the ECMAScript Number::toString form of v (ECMA-262, the
 * shortest digit string that reads back as v): plain notation for
 * 1e-6 <= |v| < 1e21, otherwise d[.ddd]e+N / e-N; -0 is written "0".
 * v must be finite: NaN and infinities are a bug (abort), since JSON cannot
 * hold them and jcs_canon rejects them first.  Cannot fail.
 */
void	jcs_number(double v, struct buf *out);

#endif
