#include "compat.h"

#include <sodium.h>

#include "base64.h"

static int
variant(enum base64_alphabet a)
{
	return a == BASE64_URL ? sodium_base64_VARIANT_URLSAFE :
	    sodium_base64_VARIANT_ORIGINAL;
}

void
base64_encode(struct buf *out, const void *p, size_t n,
    enum base64_alphabet a)
{
	size_t elen = sodium_base64_encoded_len(n, variant(a));

	/* elen counts the NUL that sodium_bin2base64 writes */
	buf_grow(out, elen);
	sodium_bin2base64(out->p + out->len, elen, p, n, variant(a));
	out->len += elen - 1;
}

/*
 * Whether s[0..len) holds only the alphabet's characters and '='.
 * libsodium 1.0.18 (Debian 12) decodes every byte >= 0x80 as a digit,
 * so one value would have many encodings and signed bytes many spellings.
 */
static int
alphabet_only(const char *s, size_t len, enum base64_alphabet a)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '=')
			continue;
		if (a == BASE64_URL ? (c == '-' || c == '_') :
		    (c == '+' || c == '/'))
			continue;
		return 0;
	}
	return 1;
}

long
base64_decode(struct buf *out, const char *s, size_t len,
    enum base64_alphabet a)
{
	size_t max = len / 4 * 3 + 3, got = 0;
	const char *end = NULL;

	if (len % 4 != 0 || !alphabet_only(s, len, a))
		return -1;
	buf_grow(out, max);
	if (sodium_base642bin((unsigned char *)out->p + out->len, max, s, len,
	    NULL, &got, &end, variant(a)) != 0 || end != s + len) {
		out->p[out->len] = '\0';
		return -1;
	}
	out->len += got;
	out->p[out->len] = '\0';
	return (long)got;
}

int
base64_decode_exact(unsigned char *dst, size_t n, const char *s, size_t len)
{
	unsigned char tmp[512];
	size_t got = 0;
	const char *end = NULL;

	if (len % 4 != 0 || len / 4 * 3 > sizeof(tmp) ||
	    !alphabet_only(s, len, BASE64_STD))
		return -1;
	if (sodium_base642bin(tmp, sizeof(tmp), s, len, NULL, &got, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || end != s + len ||
	    got != n)
		return -1;
	memcpy(dst, tmp, n);
	sodium_memzero(tmp, sizeof(tmp));
	return 0;
}
