/*
 * user.h: the user's own rules, in jq, run after the built-in ones:
 * --secret-path (values to replace by tokens) and --normalizer (a
 * program whose output replaces the state's data).  Both work on the
 * data of the state as JSON text; the digest is computed again after a
 * normaliser.
 */
#ifndef TEND_NORMALIZE_USER_H
#define TEND_NORMALIZE_USER_H

#include <stddef.h>

#include "buf.h"
#include "json.h"
#include "jqrun.h"
#include "norm.h"
#include "tenderr.h"

struct normalizer {
	char	*provider;
	char	*kind;		/* "*": every kind of the provider */
	char	*path;
	struct jqprog *prog;
};

struct secret_path {
	char	*expr;
	struct jqprog *prog;	/* [path(EXPR)] */
};

struct user {
	struct normalizer *nz;
	size_t	 nnz;
	struct secret_path *sp;
	size_t	 nsp;
	struct json_doc doc, pdoc;
	struct buf res, text, outs;
	uint32_t *targets;
	size_t	 ntargets, targetcap;
	size_t	 nouts;
};

void	user_init(struct user *);
void	user_release(struct user *);

/*
 * "PROVIDER/KIND=FILE" (KIND may be "*"), or a directory holding
 * PROVIDER/KIND.jq and PROVIDER/_default.jq files.  Compiles each
 * program.  Returns 0, or -1 with err: TEND_EXIT_USAGE for a malformed
 * argument, TEND_EXIT_SYSTEM when a file cannot be read, TEND_EXIT_INPUT
 * when a program does not compile.
 */
int	user_add_normalizer(struct user *, const char *arg,
	    struct tend_err *err);

/* A jq path expression (".spec.data.password"); compiles [path(EXPR)].
   Returns 0, or -1 with err (TEND_EXIT_INPUT). */
int	user_add_secret_path(struct user *, const char *expr,
	    struct tend_err *err);

/*
 * Runs the secret paths and then the normaliser for n's provider/kind
 * on the state's data (JSON text in data, replaced in place), whose
 * "digest" holds DIGEST_PLACEHOLDER, as it does again afterwards (last).
 * Returns 0, or -1 with err (TEND_EXIT_INPUT: a program failed or its
 * output is not a state's data with the same key).
 */
int	user_run(struct user *, struct norm *n, const char *key,
	    size_t keylen, struct buf *data, struct tend_err *err);

/* The digest member's value until the spec's digest is known. */
#define DIGEST_PLACEHOLDER "sha256:" \
    "0000000000000000000000000000000000000000000000000000000000000000"
#define DIGEST_LEN (sizeof(DIGEST_PLACEHOLDER) - 1)

#endif
