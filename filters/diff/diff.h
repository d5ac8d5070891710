/*
 * diff.h: the parts of tend-diff shared between its files: a resource
 * (one tend.resource.state event), the index of the desired side, the
 * rules file (ignore, tolerances, severity) and selectors.
 */
#ifndef TEND_DIFF_H
#define TEND_DIFF_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cli.h"
#include "event.h"
#include "jsonpatch.h"
#include "tenderr.h"

/* A parsed tend.resource.state event. */
struct res {
	struct event ev;
	int64_t	 data;		/* token of data */
	int64_t	 spec;		/* token of data.spec */
	int64_t	 keytok;	/* token of data.key, else the subject */
	struct buf key;		/* decoded key */
	const char *digest;	/* "sha256:..." (not NUL-terminated) */
	size_t	 digestlen;
	char	 digestbuf[80];	/* when computed here */
};

void	res_init(struct res *);
void	res_release(struct res *);

/*
 * Parses line as an event.  Returns 1 for a tend.resource.state event
 * whose data holds what diff needs (r filled), 0 for a valid event of
 * another type (r->ev parsed), -1 with err (TEND_EXIT_INPUT) for a bad
 * line or a state event without key or spec.
 */
int	res_parse(struct res *, const char *line, size_t len,
	    struct tend_err *err);

/* The decoded string member `name` of r's data, appended to out; 0 if
   present and a string, -1 (out untouched) otherwise. */
int	res_member(const struct res *, const char *name, struct buf *out);

/* The desired (or previous) side, indexed by key. */
struct dent {
	const char *line;	/* NULL: at off in the file */
	uint64_t off;
	size_t	 len;
	const char *key;
	size_t	 keylen;
	const char *digest;
	size_t	 digestlen;
	size_t	 lineno;
	uint64_t hash;
	size_t	 matched;	/* the line of stdin that matched it */
};

struct dindex {
	struct dent *e;
	size_t	 n;
	size_t	 cap;
	uint32_t *tab;		/* open addressing: entry index + 1 */
	size_t	 mask;
	struct chunk *chunks;	/* the lines, copied */
	char	*cur;
	size_t	 left;
};

void	dindex_init(struct dindex *);
void	dindex_release(struct dindex *);
#define DINDEX_COPY UINT64_MAX

/*
 * Adds r, whose line is at offset off of a file that can be read again,
 * or, with off DINDEX_COPY, is copied.  Key and digest are copied either
 * way.  Returns the entry, or NULL when the key is already there (*dup is
 * then the first entry).
 */
struct dent *dindex_add(struct dindex *, const struct res *r, size_t lineno,
	    uint64_t off, struct dent **dup);
struct dent *dindex_find(const struct dindex *, const char *key,
	    size_t keylen);
uint64_t key_hash(const char *, size_t);

/* A selector: globs (fnmatch) on a resource's identity; NULL = any. */
struct label_glob {
	char	*name;
	char	*glob;
};

struct selector {
	char	*provider, *kind, *key, *name, *namespace;
	struct label_glob *labels;
	size_t	 nlabels;
};

/*
 * Parses "provider=k8s,kind=Deploy*,namespace=shop,key=GLOB,name=GLOB,
 * label.NAME=GLOB".  Returns 0, or -1 with err (TEND_EXIT_USAGE).
 */
int	selector_parse(struct selector *, const char *text,
	    struct tend_err *err);
void	selector_release(struct selector *);
/* 1 if r's identity matches s. */
int	selector_match(const struct selector *, const struct res *r);

enum severity {
	SEV_INFO, SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL, SEV_NONE = -1
};

#define SEV_DEFAULT SEV_MEDIUM

const char *severity_name(enum severity);
/* The level named s[0..len), or SEV_NONE. */
enum severity severity_parse(const char *s, size_t len);

struct rules;

/*
 * Loads the rules file (format: tend-diff(1), schemas/ignore.v1.json).
 * Rules whose "expires" is at or before now are kept but marked expired:
 * they do not apply, and each is reported once on stderr and listed in
 * rules_expired_json.  Returns NULL with err: TEND_EXIT_SYSTEM when the
 * file cannot be read, TEND_EXIT_INPUT when it is not valid (a jq
 * expression that does not compile included).
 */
struct rules *rules_load(const char *path, int64_t now_ns,
	    struct tend_err *err);
void	rules_free(struct rules *);
/* Appends a JSON array describing the expired rules. */
void	rules_expired_json(const struct rules *, struct buf *out);
/* Warns on stderr about each expired rule. */
void	rules_warn_expired(const struct rules *);

/* The rules that apply to one resource pair, for the diff callback. */
struct applied {
	const struct rules *rules;
	size_t	*ign;		/* the ignore rules that match */
	size_t	 nign;
	size_t	*tol;		/* and of the tolerances */
	size_t	 ntol;
	struct buf ptrs;	/* jq-selected pointers, NUL-separated */
	size_t	 nptrs_a;	/* how many of them are of side a */
	size_t	 nptrs;
	size_t	 ignored;	/* nodes left out */
	size_t	 tolerated;
	size_t	 cap;
};

void	applied_init(struct applied *);
void	applied_release(struct applied *);
/*
 * Selects the rules for the pair a (observed or previous; may be NULL)
 * and b (desired or current; may be NULL), matching selectors against b
 * when present, else a, and runs the jq ignore paths on each spec.
 * Returns 0, or -1 with err when a jq expression fails to run.
 */
int	applied_select(struct applied *, const struct rules *,
	    const struct res *a, const struct res *b, struct tend_err *err);
/* The jsonpatch_diffopt node callback; ctx is a struct applied. */
int	applied_node(void *ctx, const struct jsonpatch_node *);

/*
 * The severity of a drift: the highest level given by the severity
 * rules that match r (static "severity", or the jq program's outputs on
 * data[0..len)), SEV_DEFAULT when none gives one.  Returns -1 with err
 * when a program fails or outputs something that is not a level.
 */
int	rules_severity(const struct rules *, const struct res *r,
	    const char *data, size_t len, enum severity *out,
	    struct tend_err *err);

#endif
