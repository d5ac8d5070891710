/*
 * note.h: C2SP signed notes and tlog checkpoints (c2sp.org/signed-note,
 * c2sp.org/tlog-checkpoint), the format of Go's checksum database,
 * Tessera, Rekor v2 and transparency log witnesses.
 *
 * A signed note is a text that ends in a newline, then a blank line, then
 * one or more signature lines:
 *
 *   <text lines>\n
 *   \n
 *   — NAME BASE64(key id, 4 bytes big-endian || Ed25519 signature)\n
 *
 * ("—" is U+2014, then a space.)  The signature covers the text with its
 * final newline, nothing else.  A note must be valid UTF-8 with no control
 * characters but newline.
 *
 * A checkpoint is a note whose text is
 *
 *   ORIGIN\n
 *   TREE SIZE in decimal\n
 *   BASE64(root hash)\n
 *   optional extension lines\n
 *
 * tend writes no extension lines and accepts (and ignores) them.
 *
 * Verification follows Go's note.Open: a signature line whose name and key
 * id match a known key must verify, or the whole note is refused; lines by
 * unknown keys are skipped; at least one known key must have signed.
 * Only Ed25519 (signature type 1) keys are known here.
 */
#ifndef TEND_NOTE_H
#define TEND_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "merkle.h"
#include "sign.h"
#include "tenderr.h"

#define NOTE_MAX_SIGS	100
#define NOTE_ORIGIN_MAX	256	/* bytes, NUL included */

/*
 * Appends the signed note of text[0..len) (the text, the blank line and
 * one signature line by key) to out.  The text must be a valid note text:
 * non-empty, ending in a newline, holding no blank line, valid UTF-8
 * without control characters but newline.  Returns 0, or -1 with err
 * (TEND_EXIT_INPUT) for a bad text (out unchanged).
 */
int	note_sign(struct buf *out, const char *text, size_t len,
	    const struct sign_key *, struct tend_err *);

/*
 * Opens the signed note msg[0..len): checks its form and its signatures
 * against the nkeys public keys.  Returns the number of known keys whose
 * signature verified (>= 1), with *text_len set to the length of the text
 * (msg[0..*text_len), final newline included) and, if signer is not NULL,
 * *signer to the index of the first such key.  Returns -1 with err
 * (TEND_EXIT_INPUT: not a signed note; TEND_EXIT_NO: a known key's
 * signature does not verify, or no known key signed it).
 */
int	note_open(const char *msg, size_t len, const struct sign_key *keys,
	    size_t nkeys, size_t *text_len, size_t *signer, struct tend_err *);

/*
 * Splits a signed note without checking signatures: sets *text_len as
 * note_open does.  Returns 0, or -1 with err (TEND_EXIT_INPUT) if msg is
 * not a well-formed signed note.
 */
int	note_split(const char *msg, size_t len, size_t *text_len,
	    struct tend_err *);

struct note_checkpoint {
	char		 origin[NOTE_ORIGIN_MAX];
	uint64_t	 size;
	unsigned char	 root[MERKLE_HASH_LEN];
};

/* Appends the checkpoint text (no signature) to out.  Cannot fail. */
void	note_checkpoint_format(const struct note_checkpoint *,
	    struct buf *out);

/*
 * Parses a checkpoint text (as note_open returns it: no signatures).
 * Returns 0, or -1 with err (TEND_EXIT_INPUT) saying which line is wrong.
 */
int	note_checkpoint_parse(struct note_checkpoint *, const char *text,
	    size_t len, struct tend_err *);

/* 0 if s is a valid origin (a non-empty line of valid UTF-8 without
   control characters, shorter than NOTE_ORIGIN_MAX), else -1 with err. */
int	note_origin_check(const char *s, size_t len, struct tend_err *);

#endif
