/*
 * attest.h: what the parts of tend-attest share.  Not a library header:
 * only filters/attest/ includes it.
 */
#ifndef TEND_ATTEST_H
#define TEND_ATTEST_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cli.h"
#include "event.h"
#include "merkle.h"
#include "note.h"
#include "sign.h"
#include "tenderr.h"

#define CHECKPOINT_TYPE	"tend.log.checkpoint"
#define ATTEST_SOURCE	"tend-attest"
#define MAX_KEYS	16
#define MAX_TRUSTED	16
#define MAX_PUBLISH	8
/* A checkpoint lists at most this many tiles (see struct checkpoint). */
#define TILES_MAX	128

struct opts {
	const char *key;		/* --key: secret key file */
	const char *pub[MAX_KEYS];	/* --pub: public key files */
	size_t	 npub;
	const char *trusted[MAX_TRUSTED];	/* --trusted checkpoints */
	size_t	 ntrusted;
	const char *publish[MAX_PUBLISH];	/* --publish DIR|URL */
	size_t	 npublish;
	const char *publish_method;	/* PUT or POST */
	const char *id;			/* --id */
	uint64_t seq;			/* --seq, 0 if not given */
	uint64_t from, to;		/* --from, --to (to 0: latest) */
	int	 have_from;
	const char *run;		/* --run */
	const char *name;		/* --name (keygen) */
	const char *origin;		/* --origin (seal) */
	const char *event;		/* --event FILE (check-proof) */
	const char *checkpoint[2];	/* --checkpoint FILE (check-proof) */
	size_t	 ncheckpoint;
	int	 quiet;			/* --quiet */
};

/*
 * A tend.log.checkpoint event taken apart.  Its data is
 *   {"origin":..,"tree_size":N,"root_hash":B64,"key_id":"NAME+HHHHHHHH",
 *    "signature":B64,"frontier":[B64,..],"tile_level":L,
 *    "tiles":[B64,..],"note":SIGNED NOTE}
 * The frontier is the roots of the tree's complete subtrees, largest
 * first (what the next seal starts from); the tiles are the roots of its
 * N >> L aligned subtrees of 2^L events, L the least level giving at most
 * TILES_MAX of them (what verify uses to say where a log was changed).
 * checkpoint_parse checks that the parts agree with each other (the note's
 * text is the checkpoint of origin, size and root; its signature line is
 * the key's and carries the signature; the frontier folds to the root and
 * the tiles to the frontier), so all are as good as the signed root, but
 * not the signature itself: see checkpoint_verify.
 */
struct checkpoint {
	uint64_t seq;			/* in the log; 0 if not known */
	struct note_checkpoint cp;
	struct merkle_frontier frontier;
	unsigned tile_level;
	unsigned char *tiles;		/* ntiles * MERKLE_HASH_LEN bytes */
	size_t	 ntiles;
	struct buf note;		/* the signed note */
	size_t	 text_len;		/* its text part */
	char	 key[SIGN_NAME_MAX + 16];	/* NAME+HHHHHHHH */
	char	 id[256];		/* the event's id */
};

void	checkpoint_init(struct checkpoint *);
void	checkpoint_release(struct checkpoint *);

/*
 * Takes the parsed event ev apart into ck.  Returns 0, or -1 with err
 * (TEND_EXIT_NO) saying what does not agree or is missing.
 */
int	checkpoint_parse(struct checkpoint *, const struct event *ev,
	    struct tend_err *);

/*
 * Opens a checkpoint's signed note with the keys: 0, or -1 with err
 * (TEND_EXIT_NO) when no key signed it or a signature is bad; the message
 * names the keys that did sign.  *signer gets the index of the key.
 */
int	checkpoint_verify(const char *note, size_t len,
	    const struct sign_key *keys, size_t nkeys, size_t *signer,
	    struct tend_err *);

/* Reads a whole file (or stdin for "-") into b.  0, or -1 with err. */
int	read_file(const char *path, struct buf *b, size_t max,
	    struct tend_err *);

/*
 * Reads a signed note file into b, leaving out blank lines at its end
 * (which no signed note has, and `jq -r` adds).  0, or -1 with err.
 */
int	read_note(const char *path, struct buf *b, struct tend_err *);

/*
 * Writes data to path atomically: a temporary file in the same
 * directory, fsync, rename, fsync of the directory.  0, or -1 with err
 * (TEND_EXIT_SYSTEM).
 */
int	write_file_atomic(const char *path, const void *data, size_t len,
	    mode_t mode, struct tend_err *);

/* Loads --pub keys (exits 3 or 4 on failure). */
size_t	load_pubs(const struct opts *, struct sign_key *keys);

/*
 * The log, event by event, with each event's stored line: calls fn for
 * every event from seq `from` on (in seq order).  fn returns 0 to go on,
 * 1 to stop early, -1 to fail (with err filled).
 *
 * Returns 0 at the end (or when fn stopped), -1 with err when the log is
 * damaged (TEND_EXIT_NO: the message names the byte offset or seq) or
 * cannot be read (TEND_EXIT_SYSTEM), or when fn failed.  torn, if not
 * NULL, gets the offset and length of a torn tail (length 0: none).
 */
struct scan_event {
	uint64_t seq;
	const char *line;
	size_t	 len;
};

int	scan_log(const char *path, uint64_t from,
	    int (*fn)(void *, const struct scan_event *, struct tend_err *),
	    void *arg, uint64_t torn[2], struct tend_err *);

/* Prints "LOG: msg", unless msg already starts with "LOG: ". */
void	log_warn(const char *log, const struct tend_err *);

/* 1 if the stored line may be a checkpoint event (a cheap pre-filter). */
int	maybe_checkpoint(const char *line, size_t len);

/*
 * Appends a JSON array of the n hashes (base64 strings) to out.
 */
void	add_hash_array(struct buf *out, const unsigned char *h, size_t n);

/* The subcommands. */
int	cmd_keygen(struct cli *, const struct opts *, int argc, char **argv);
int	cmd_seal(struct cli *, const struct opts *, int argc, char **argv);
int	cmd_verify(struct cli *, const struct opts *, int argc, char **argv);
int	cmd_prove(struct cli *, const struct opts *, int argc, char **argv);
int	cmd_consistency(struct cli *, const struct opts *, int argc,
	    char **argv);
int	cmd_check_proof(struct cli *, const struct opts *, int argc,
	    char **argv);
int	cmd_statement(struct cli *, const struct opts *, int argc,
	    char **argv);

/* publish.c: copies a signed note off the host; 0, or -1 with err. */
int	publish_note(const char *target, const char *method,
	    const struct note_checkpoint *, const char *note, size_t len,
	    struct tend_err *);

#endif
