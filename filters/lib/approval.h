/*
 * approval.h: the signature on a tend.action.approved event, made by
 * tend gate (and by a human through `tend gate approve`) and checked by
 * tend apply and by tend gate when it honours a human's approval.
 *
 * The signed bytes (the "payload") are the context string
 *
 *	"tend-approval-v1\n"
 *
 * followed by the RFC 8785 (JCS) form of the object
 *
 *	{"action_digest": "sha256:<hex of SHA-256 of JCS(action)>",
 *	 "action_id": <the action's action_id>,
 *	 "expires": <the approval's expires, the RFC 3339 string as written>,
 *	 "policy_digest": <the policy's digest, as written>,
 *	 "shadow": <true or false>}
 *
 * where action is the data's "action" object, the proposal's data.  The
 * context string keeps a signature made for something else (a checkpoint,
 * a statement) from ever reading as an approval.  The signature is pure
 * Ed25519 (sign.h) over the payload, written in the event as standard
 * padded base64 ("signature") beside the signer's "key_id", which is
 * "NAME+HHHHHHHH": the key's name and its key id in hex, as in its vkey.
 *
 * So any change to the action (a byte of its executor, its targets), the
 * policy digest, the expiry or the shadow flag breaks the signature, and
 * the action id cannot be swapped between two approvals.
 *
 * What it does not do: decide whether an approval is wanted (policy.h),
 * refuse shadow approvals (the caller looks at shadow), or remember which
 * approvals were carried out (tend apply does, through the log).
 */
#ifndef TEND_APPROVAL_H
#define TEND_APPROVAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "json.h"
#include "sign.h"
#include "tenderr.h"

#define APPROVAL_CONTEXT	"tend-approval-v1\n"

/*
 * Appends the payload for the action object at token action_tok of d to
 * out.  policy_digest and expires are the strings as they appear in the
 * event (decoded).  Returns 0, or -1 with err (TEND_EXIT_INPUT) when the
 * action has no string action_id or holds a value JCS refuses.
 */
int	approval_payload(struct buf *out, const struct json_doc *d,
	    uint32_t action_tok, const char *policy_digest,
	    const char *expires, int shadow, struct tend_err *err);

/* Appends "NAME+HHHHHHHH" of key k to out. */
void	approval_key_id(const struct sign_key *k, struct buf *out);

/*
 * Signs: appends the base64 signature over the payload to sig.  The key
 * must hold a secret.  Returns 0, or -1 with err as approval_payload.
 */
int	approval_sign(const struct sign_key *k, const struct json_doc *d,
	    uint32_t action_tok, const char *policy_digest,
	    const char *expires, int shadow, struct buf *sig,
	    struct tend_err *err);

/* What approval_verify found in a valid approval. */
struct approval {
	const struct sign_key *key;	/* the key that signed, in keys[] */
	int64_t	 expires_ns;
	int	 shadow;
	int	 human;			/* has approved_by */
	char	 action_id[256];
	char	 approved_by[SIGN_NAME_MAX];
	unsigned char action_digest[32];
};

/*
 * Checks the data object of a tend.action.approved event at token
 * data_tok of d: action (an object) whose action_id equals data's
 * action_id, policy_digest, expires (RFC 3339, after now_ns), shadow (a
 * boolean), key_id naming one of keys[0..nkeys) and a signature by that
 * key over the payload.  Returns 0 with *out filled, or -1 with err
 * (TEND_EXIT_INPUT) saying what is wrong ("signature does not verify",
 * "expired at 2026-11-22T05:15:00Z", "key 'x+0a1b2c3d' is not trusted").
 */
int	approval_verify(const struct json_doc *d, uint32_t data_tok,
	    const struct sign_key *keys, size_t nkeys, int64_t now_ns,
	    struct approval *out, struct tend_err *err);

#endif
