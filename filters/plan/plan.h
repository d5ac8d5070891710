/*
 * plan.h: what the parts of tend-plan share.  plan.c reads events and
 * dispatches them, skill.c loads skills, data.c loads --data files,
 * osv.c matches packages against OSV advisories, action.c turns a skill's
 * output into tend.action.proposed (and tend.incident.*) events.
 */
#ifndef TEND_PLAN_H
#define TEND_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cli.h"
#include "json.h"
#include "jqrun.h"
#include "schema.h"
#include "tenderr.h"

/* A list of strings owned by the list. */
struct strv {
	char	**v;
	size_t	 n;
};

void	strv_add(struct strv *, const char *s, size_t len);
int	strv_has(const struct strv *, const char *s);
void	strv_release(struct strv *);

/* Inputs held back for a skill that runs after the whole input is read. */
struct pending {
	struct buf text;	/* the inputs' JSON texts, back to back */
	size_t	*off;		/* start of each */
	size_t	*lineno;	/* its line in the input */
	size_t	 n;
	size_t	 cap;
};

struct skill {
	char	*name;
	char	*domain;
	char	*risk;
	char	*mode;
	char	*credential;	/* NULL: none */
	char	*jq_path;	/* "pipelines/patch/skills/upgrade.jq" */
	char	*meta_path;	/* its metadata file */
	char	*dir;		/* the folder imports resolve in */
	char	*text;		/* the jq program */
	struct buf meta;	/* the metadata as JSON, bound as $skill */
	struct strv inputs;	/* event types it reads */
	struct strv data;	/* --data names it needs */
	struct strv human_only;	/* JSON Pointer patterns */
	int	 needs_state;
	int	 needs_observed;
	int	 batch;
	int	 broken;	/* failed to compile under --keep-going */
	struct jqprog *prog;
	struct jqprog *prog2;	/* compiled again for a second worker */
	struct pending pend;
};

struct stateidx;

/* A --data NAME=FILE, loaded. */
struct dataval {
	char	*name;
	struct buf json;
};

struct plan {
	struct cli cli;
	struct schema_set *schemas;
	struct skill **skills;
	size_t	 nskills;
	struct dataval *data;
	size_t	 ndata;
	struct osv *osv;	/* NULL without --osv */
	const char *osv_ecosystem;
	char	 now[48];	/* the run's clock, RFC 3339 */
	int	 want_state;	/* a skill needs $state */
	int	 want_observed;	/* a skill needs .observed */
	struct stateidx *observed;	/* key -> the last state data read */
	int	 want_findings;	/* a skill reads tend.finding */
	struct buf state;	/* {"key":data,...} while reading */
	size_t	 nstate;
	int	 stop;		/* stdout gone or a fatal error */
};

/* One input a skill runs on: an event line or a synthesized finding. */
struct input {
	const char *json;	/* what the program gets */
	size_t	 len;
	struct json_doc *doc;	/* json parsed, root at token 0 */
	const char *file;	/* for messages */
	size_t	 lineno;
};

/* plan.c */
/*
 * A skill that cannot be loaded or compiled: reports err, whose message
 * starts "FILE: " or "FILE:LINE: ", and under --keep-going records it as
 * a tend.error event (with the length and SHA-256 of text, the program).
 * Returns 0 to go on without the skill, or -1 with p->stop set.
 */
int	plan_skill_error(struct plan *, const char *text, size_t len,
	    const struct tend_err *);

/* skill.c */
/*
 * Loads the skills named by a path: a .jq file or its metadata file
 * (.json, .yaml, .yml), or a directory whose *.jq files are loaded in
 * name order.  Appends to p->skills.  Returns 0, or -1 with err.
 */
int	skill_load_path(struct plan *, const char *path, struct tend_err *);
/* Compiles s with its variables bound; -1 with err (naming the file). */
int	skill_compile(struct plan *, struct skill *, struct tend_err *);
/*
 * Compiles s's program again into s->prog2, for a second thread: a
 * jq_state is not to be shared, and the second copy binds its own parse
 * of every variable, so the two never touch the same jv.
 */
int	skill_compile_again(struct plan *, struct skill *, struct tend_err *);
int	skill_reads(const struct skill *, const char *type, size_t len);
void	skill_free(struct skill *);

void	pending_add(struct pending *, const char *json, size_t len,
	    size_t lineno);
void	pending_release(struct pending *);

/*
 * Puts "PREFIX: " (printf-style) before err's message and sets its code
 * (0 keeps it).  Always returns -1.
 */
int	err_prefix(struct tend_err *, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* data.c */
/*
 * Loads FILE of a --data NAME=FILE argument into v: JSON, NDJSON (an
 * array of its lines' values) or YAML (one document, or an array of
 * several).  Returns 0, or -1 with err (TEND_EXIT_SYSTEM: unreadable;
 * TEND_EXIT_INPUT: not JSON, NDJSON or YAML).
 */
int	data_load(struct dataval *v, const char *arg, struct tend_err *);

/* Reads a whole file into out.  0, or -1 with err (TEND_EXIT_SYSTEM). */
int	read_file(const char *path, struct buf *out, struct tend_err *);

/* osv.c */
struct osv;
/* Loads advisories from a file or a directory's *.json, adding to *o. */
int	osv_load(struct osv **o, const char *path, struct tend_err *);
void	osv_free(struct osv *);
/*
 * For a tend.resource.state event of a host package, calls fn once per
 * advisory that affects it, with the finding's JSON text.  Returns 0, the
 * first non-zero value fn returned, or -1 with err when an advisory's
 * ranges are malformed.
 */
int	osv_findings(struct osv *, const char *default_eco,
	    const struct json_doc *ev, int (*fn)(void *, const char *, size_t),
	    void *ctx, struct tend_err *);

/* action.c */
/* A program's outputs, back to back in text, output i at off[i]. */
struct outputs {
	struct buf text;
	size_t	*off;		/* n + 1 entries */
	size_t	 n;
	size_t	 cap;
};

void	outputs_reset(struct outputs *);
void	outputs_release(struct outputs *);

/*
 * Runs skill s's program on in[0..n) (an array of them for a batch
 * skill), collecting the outputs into o.  Touches nothing shared (it
 * only reads in and s): may run in a thread of its own while the caller
 * reads the next inputs.  0, or -1 with err (a runtime error).
 */
int	action_collect(struct skill *s, struct input *in, size_t n,
	    struct outputs *o, struct tend_err *err);
/* The same with prog, s's program compiled for this thread. */
int	action_collect_with(struct skill *s, struct jqprog *prog,
	    struct input *in, size_t n, struct outputs *o,
	    struct tend_err *err);

/*
 * Checks and wraps the outputs o of skill s on in[0..n) and emits them
 * (all or none).  0, or -1 with err (a bad output) or with p->stop set
 * (stdout gone).
 */
int	action_emit(struct plan *, struct skill *s, struct input *in,
	    size_t n, const struct outputs *o, struct tend_err *err);

/* Frees what action_emit keeps between calls. */
void	action_free(void);

#endif
