/*
 * dsse.h: DSSE, the Dead Simple Signing Envelope (secure-systems-lab/dsse
 * envelope.md and protocol.md, v1.0), with Ed25519 keys from sign.h.
 *
 * A DSSE signature is over PAE(payloadType, payload), the
 * pre-authentication encoding
 *
 *   "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
 *
 * where LEN is the byte length in ASCII decimal without leading zeros.
 * The envelope is JSON:
 *
 *   {"payload":"<base64 body>","payloadType":"<type>",
 *    "signatures":[{"keyid":"<NAME+HHHHHHHH>","sig":"<base64>"}]}
 *
 * tend writes standard base64 with padding and the key's name and id (as
 * in sign.h) as keyid.  When reading, payload and sig may be standard or
 * URL-safe base64 (the spec allows both) but must be padded, as
 * go-securesystemslib requires.  in-toto Statements go in with payloadType
 * DSSE_INTOTO_TYPE.
 *
 * What it does not do: other signature algorithms (the spec's ECDSA test
 * vector can only be checked for its PAE and payload), thresholds above
 * one, or the legacy "DSSEv0.1" encoding.
 */
#ifndef TEND_DSSE_H
#define TEND_DSSE_H

#include <stddef.h>

#include "buf.h"
#include "sign.h"
#include "tenderr.h"

#define DSSE_INTOTO_TYPE "application/vnd.in-toto+json"
#define DSSE_STATEMENT_V1 "https://in-toto.io/Statement/v1"

/* Appends PAE(type, body) to out.  Cannot fail. */
void	dsse_pae(struct buf *out, const char *type, size_t type_len,
	    const void *body, size_t body_len);

/*
 * Appends a one-line envelope of payload[0..len) signed by key (which
 * must hold a secret) to out.  Cannot fail.
 */
void	dsse_sign(struct buf *out, const char *type, const void *payload,
	    size_t len, const struct sign_key *key);

/*
 * Decodes a DSSE base64 field: standard or URL-safe alphabet, padded.
 * Appends the bytes to out and returns 0, or returns -1 (out unchanged).
 */
int	dsse_b64_decode(struct buf *out, const char *s, size_t len);

/*
 * Parses the envelope json[0..len) and checks its signatures against the
 * nkeys public keys: a signature counts when its keyid is absent or names
 * one of the keys and it verifies over the PAE.  Returns the number of
 * signatures that verified (>= 1) with the decoded payload appended to
 * payload and the type to type (either may be NULL).  Returns -1 with err:
 * TEND_EXIT_INPUT when it is not an envelope, TEND_EXIT_NO when no
 * known key's signature verifies.
 */
int	dsse_open(const char *json, size_t len, const struct sign_key *keys,
	    size_t nkeys, struct buf *payload, struct buf *type,
	    struct tend_err *);

/*
 * Checks that json[0..len) is an in-toto Statement v1: an object whose
 * _type is DSSE_STATEMENT_V1, with a non-empty subject array of objects
 * each holding a non-empty digest object of strings (name optional), a
 * non-empty predicateType string and, if present, an object predicate.
 * Returns 0, or -1 with err (TEND_EXIT_INPUT) saying what is wrong.
 */
int	dsse_statement_check(const char *json, size_t len, struct tend_err *);

#endif
