/*
 * base64.h: RFC 4648 base64 through libsodium, into a struct buf.
 *
 * Decoding is strict: padding is required, nothing but the alphabet and
 * '=' is allowed (no whitespace) and the unused low bits of the last
 * character must be zero, so every byte string has exactly one accepted
 * encoding.  Signed notes, checkpoints and DSSE envelopes depend on
 * that: a base64 field that decodes to the same bytes from two different
 * texts would let a signed text change without its signature breaking.
 */
#ifndef TEND_BASE64_H
#define TEND_BASE64_H

#include <stddef.h>

#include "buf.h"

enum base64_alphabet {
	BASE64_STD,		/* RFC 4648 section 4: + and / */
	BASE64_URL,		/* RFC 4648 section 5: - and _ */
};

/* Appends the padded base64 of p[0..n) in alphabet a.  Cannot fail. */
void	base64_encode(struct buf *out, const void *p, size_t n,
	    enum base64_alphabet a);

/*
 * Appends the bytes that s[0..len) decodes to.  Returns the number of
 * bytes appended, or -1 (out unchanged) if s is not padded base64 in
 * alphabet a.
 */
long	base64_decode(struct buf *out, const char *s, size_t len,
	    enum base64_alphabet a);

/*
 * Decodes s[0..len) into exactly n bytes at dst.  Returns 0, or -1 if s
 * is not padded base64 (standard alphabet) of exactly n bytes.
 */
int	base64_decode_exact(unsigned char *dst, size_t n, const char *s,
	    size_t len);

#endif
