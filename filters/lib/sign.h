/*
 * sign.h: Ed25519 keys (libsodium) and their files, as tend signs
 * checkpoints (tend attest), approvals (tend gate) and statements.
 *
 * Keys are named, as in the C2SP signed-note spec: the name says whose
 * key it is (a host and path such as "example.org/tend/prod" is usual)
 * and goes into every note signature line.  A key's id is the first four
 * bytes, big-endian, of SHA-256(name || 0x0A || 0x01 || public key), where
 * 0x01 is the signed-note signature type of Ed25519.
 *
 * Key files are one line of text each (a final newline is optional), in
 * the formats of Go's golang.org/x/mod/sumdb/note, which transparency
 * tooling (witnesses, Tessera, sumdb clients) reads as they are:
 *
 *   public key (vkey):  NAME+HHHHHHHH+BASE64(0x01 || public key)
 *   secret key (skey):  PRIVATE+KEY+NAME+HHHHHHHH+BASE64(0x01 || seed)
 *
 * HHHHHHHH is the key id in hex and seed the 32-byte Ed25519 private key
 * (RFC 8032's "secret key").  A file whose id does not match its key is
 * refused.  Secret key files are created with mode 0600 and are refused
 * when their owner is not the effective user or any group or other
 * permission bit is set (as ssh does).
 *
 * Secrets never leave the struct: messages name files and key names,
 * never key bytes.  Call sign_key_wipe when done with a secret key.
 *
 * What it does not do: passphrase encryption of secret keys, other
 * algorithms, key rotation policy.  Verification is libsodium's
 * crypto_sign_verify_detached: it refuses non-canonical S (S >= L),
 * small-order and non-canonical public keys and R values (see
 * test/unit/sign.c for how that compares with the Wycheproof vectors).
 */
#ifndef TEND_SIGN_H
#define TEND_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "tenderr.h"

#define SIGN_PUB_LEN	32
#define SIGN_SEED_LEN	32
#define SIGN_SIG_LEN	64
#define SIGN_NAME_MAX	256	/* bytes, NUL included */
#define SIGN_TYPE_ED25519 0x01

struct sign_key {
	char		 name[SIGN_NAME_MAX];
	uint32_t	 id;
	unsigned char	 pub[SIGN_PUB_LEN];
	unsigned char	 sk[64];	/* seed || pub, when has_secret */
	int		 has_secret;
};

/*
 * 0 if name can name a key: non-empty, shorter than SIGN_NAME_MAX, valid
 * UTF-8 without spaces (Unicode White_Space), control characters or '+'.
 * Else -1 with err (TEND_EXIT_INPUT).
 */
int	sign_name_check(const char *name, struct tend_err *);

/* The key id of name and public key. */
uint32_t sign_key_id(const char *name, const unsigned char pub[SIGN_PUB_LEN]);

/* A new random key pair.  Returns 0, or -1 with err for a bad name. */
int	sign_keygen(struct sign_key *, const char *name, struct tend_err *);

/* The key pair of a known seed (test vectors).  As sign_keygen. */
int	sign_key_from_seed(struct sign_key *, const char *name,
	    const unsigned char seed[SIGN_SEED_LEN], struct tend_err *);

/* Zeroes the whole struct. */
void	sign_key_wipe(struct sign_key *);

/* Appends the public key's vkey text (no newline).  Cannot fail. */
void	sign_vkey_format(const struct sign_key *, struct buf *out);

/*
 * Parses a vkey (public key) or skey (secret key) text, s[0..len) with no
 * newline.  Returns 0, or -1 with err (TEND_EXIT_INPUT) saying what is
 * wrong but never quoting key material.  Parsing an skey sets has_secret.
 */
int	sign_vkey_parse(struct sign_key *, const char *s, size_t len,
	    struct tend_err *);
int	sign_skey_parse(struct sign_key *, const char *s, size_t len,
	    struct tend_err *);

/*
 * Writes the secret key file (mode 0600) or public key file (mode 0644)
 * at path, which must not exist yet (O_EXCL: never overwrites a key), and
 * fsyncs it.  Returns 0, or -1 with err (TEND_EXIT_SYSTEM; the file is
 * removed again if it was created).
 */
int	sign_key_write_secret(const struct sign_key *, const char *path,
	    struct tend_err *);
int	sign_key_write_public(const struct sign_key *, const char *path,
	    struct tend_err *);

/*
 * Loads a secret key file, refusing one that others could read (see
 * above), or a public key file.  Returns 0, or -1 with err:
 * TEND_EXIT_SYSTEM when the file cannot be read, TEND_EXIT_INPUT when it
 * is not a key of that kind or has unsafe permissions.
 */
int	sign_key_load_secret(struct sign_key *, const char *path,
	    struct tend_err *);
int	sign_key_load_public(struct sign_key *, const char *path,
	    struct tend_err *);

/* Signs msg[0..len) (pure Ed25519).  The key must hold a secret (BUG). */
void	sign_detached(const struct sign_key *, const void *msg, size_t len,
	    unsigned char sig[SIGN_SIG_LEN]);

/* 0 if sig is pub's Ed25519 signature of msg[0..len), else -1. */
int	sign_verify(const unsigned char pub[SIGN_PUB_LEN], const void *msg,
	    size_t len, const unsigned char sig[SIGN_SIG_LEN]);

#endif
