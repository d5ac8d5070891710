/*
 * jqrun.h: jq programs (skills, policy rules, user normalisers, ignore
 * paths) compiled once and run confined, through libjq 1.6.
 *
 * Confinement: the program sees no environment ($ENV and env are empty
 * objects), cannot read further input (input/inputs fail, input_filename
 * is null), and may import or include modules only by relative paths
 * without ".." from its own folder (libdir), which is where they are
 * searched, never the current directory; an import's own metadata is
 * refused.  debug and stderr print
 * nothing.  $HOME/.jq, which libjq 1.6 would include in every program
 * (where it could redefine builtins under a skill or a policy rule), is
 * never read.  A program is compiled once per process: a jq 1.6 compile
 * costs tens of milliseconds.
 *
 * Values cross as JSON text.  Input is tend's already-checked strict JSON;
 * output is compact JSON whose numbers are written as JCS does (ES6
 * shortest form), so it is deterministic.  libjq holds numbers as doubles:
 * integers beyond 2^53 lose precision inside a jq program.
 *
 * Errors name the program (its file name) and, for compile errors, the
 * line jq reports.  It does not bound a program's run time (libjq cannot be
 * interrupted): a caller that must, as tend plan, watches from a thread.
 */
#ifndef TEND_JQRUN_H
#define TEND_JQRUN_H

#include <stddef.h>

#include "buf.h"
#include "json.h"
#include "tenderr.h"

struct jqprog;

/* A named value bound as $name at compile time; json is its JSON text. */
struct jqvar {
	const char *name;
	const char *json;
	size_t	 len;
};

/*
 * Compiles text.  name is used in messages ("skills/revert.jq");
 * libdir is the folder imports resolve in (NULL: imports refused).
 * Returns the program, or NULL with err (TEND_EXIT_INPUT: the program
 * does not compile, the message quoting jq's own).  HOME is out of the
 * environment while it runs: no other thread may read the environment
 * meanwhile (getenv beside unsetenv is undefined).
 */
struct jqprog *jqprog_compile(const char *text, const char *name,
	    const char *libdir, const struct jqvar *vars, size_t nvars,
	    struct tend_err *err);

/*
 * Runs the program on the JSON value json[0..len).  For each output calls
 * emit(ctx, out, outlen) with compact JSON text; emit returns 0 to go on,
 * -1 to stop (then jqprog_run returns -1 with err untouched).  Returns 0,
 * or -1 with err (TEND_EXIT_INPUT) on a jq runtime error, whose message
 * names the program.
 */
int	jqprog_run(struct jqprog *, const char *json, size_t len,
	    int (*emit)(void *ctx, const char *out, size_t outlen), void *ctx,
	    struct tend_err *err);

/*
 * As jqprog_run, on the value at token tok of a parsed document: the
 * input is built from the tape, without jq parsing the text again.
 */
int	jqprog_run_doc(struct jqprog *, const struct json_doc *d, uint32_t tok,
	    int (*emit)(void *ctx, const char *out, size_t outlen), void *ctx,
	    struct tend_err *err);

/* Convenience: runs and collects outputs into out as a JSON array. */
int	jqprog_run_array(struct jqprog *, const char *json, size_t len,
	    struct buf *out, struct tend_err *err);

void	jqprog_free(struct jqprog *);

#endif
