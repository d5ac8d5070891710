/*
 * sha256.h: SHA-256 using the CPU's SHA extensions when it has them
 * (x86-64 SHA-NI, checked once), else libsodium's portable code.  The
 * environment variable TEND_NO_SHANI forces the portable code (tests).
 * It does not do HMAC: see tokenize.h (libsodium).
 */
#ifndef TEND_SHA256_H
#define TEND_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define SHA256_LEN 32

/* A SHA-256 fed whole 64-byte blocks, then the rest at the end. */
struct sha256 {
	uint64_t total;
	int	 ni;
	uint32_t st[8];
	crypto_hash_sha256_state s;
};

void	sha256_init(struct sha256 *);
/* n must be a multiple of 64. */
void	sha256_blocks(struct sha256 *, const unsigned char *p, size_t n);
void	sha256_final(struct sha256 *, const unsigned char *p, size_t n,
	    unsigned char out[SHA256_LEN]);
/* The SHA-256 of p[0..n). */
void	sha256(unsigned char out[SHA256_LEN], const void *p, size_t n);

#endif
