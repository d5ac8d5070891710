/*
 * norm.h: what the parts of tend-normalize share.
 *
 * One struct norm holds the options and the per-event scratch buffers; it
 * is reused for every event, so memory stays bounded by the largest one.
 * The provider rules (k8s.c, host.c, prom.c) read the observed object
 * from the event's token tape and write the spec, status and labels of
 * the state as JSON text, copying the raw bytes of what they keep
 * (walk.c), so numbers and strings pass through unchanged.  Everything
 * that could hold a secret goes through walk.c's string and env
 * handling.
 */
#ifndef TEND_NORM_H
#define TEND_NORM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "json.h"
#include "tokenize.h"

/* Writes the members of one JSON object or the elements of one array,
   placing the commas. */
struct jw {
	struct buf *b;
	size_t	 n;
};

struct jw_mark {
	size_t	 len;
	size_t	 n;
};

/* A remembered answer of the secret-name pattern: names repeat. */
struct name_memo {
	uint8_t	 len;		/* 0: empty slot */
	uint8_t	 secret;
	char	 name[62];
};

#define NAME_MEMO_SLOTS 1024	/* a power of two */

struct strlist {
	const char **v;
	size_t	 n;
};

struct norm {
	struct tokenizer tk;
	struct strlist owner_labels;	/* first present wins */
	struct strlist service_labels;
	struct strlist status_fields;	/* generic objects: to status */

	/* the event being normalised */
	const struct json_doc *d;
	const char *provider;		/* decoded, NUL-terminated */
	const char *kind;
	int64_t	 labels;	/* token of the labels object, or -1 */
	void	*ctx;		/* the provider rules' own state */

	/* the parts of the state's data, as JSON text */
	struct buf spec;		/* a value */
	struct buf labels_out;		/* members of data.labels */
	size_t	 nlabels;
	struct buf st_top;		/* members of status */
	struct buf st_meta;		/* members of status.metadata */
	struct buf st_ann;		/* status.metadata.annotations */
	struct buf st_spec;		/* members of status.spec */
	struct buf st_ports;		/* status.spec.nodePorts */
	size_t	 n_top, n_meta, n_ann, n_spec, n_ports;

	struct name_memo *memo;		/* NAME_MEMO_SLOTS, lazily */

	/* Scratch.  clear and b64 may hold secrets and are wiped after
	   each use; tmp is the name scratch of the env rules, tmp2 the
	   rewriting scratch of norm_string, stv and stk hold a value and a
	   key on their way to status: none is ever an output buffer. */
	struct buf clear;
	struct buf b64;
	struct buf tmp;
	struct buf tmp2;
	struct buf stv;
	struct buf stk;
};

/* Copies value i into out; pk is the member name i is the value of (for
   array elements: the array's), NULL at the top. */
typedef void norm_copy_fn(struct norm *, uint32_t i, const char *pk,
    size_t pkl, struct buf *out);

/* walk.c */
void	 jw_open(struct jw *, struct buf *, char);
void	 jw_close(struct jw *, char);
void	 jw_sep(struct jw *);
/* A member whose key is the raw key token k of d. */
void	 jw_key(struct jw *, const struct json_doc *, uint32_t k);
/* A member whose key is a plain ASCII literal. */
void	 jw_lit(struct jw *, const char *key);
struct jw_mark jw_mark(const struct jw *);
void	 jw_undo(struct jw *, struct jw_mark);
/* Adds one member "key":value (value as JSON text) to a member list
   kept in buf b with count *n. */
void	 members_add(struct buf *b, size_t *n, const char *key,
	    size_t keylen, const char *val, size_t vallen);

/* 1 if key token k equals s[0..n) (decoded). */
int	 key_is(const struct json_doc *, uint32_t k, const char *s,
	    size_t n);
#define KEY_IS(d, k, lit) key_is((d), (k), (lit), sizeof(lit) - 1)
/* The name of key token k: its raw bytes, or when it holds escapes its
   decoded text in buf (KEY_NAME_MAX bytes); NULL when that does not fit
   (no rule names so long a key). */
#define KEY_NAME_MAX 128
const char *key_name(const struct json_doc *, uint32_t k,
	    char buf[KEY_NAME_MAX], size_t *len);
/* 1 if string token i equals s[0..n) (decoded). */
int	 str_is(const struct json_doc *, uint32_t i, const char *s,
	    size_t n);
#define STR_IS(d, i, lit) str_is((d), (i), (lit), sizeof(lit) - 1)
/* Member `key` of object o (any type), or -1; -1 when o is not an
   object. */
int64_t	 obj_get(const struct json_doc *, int64_t o, const char *key);

/* The generic copy: URL passwords, secret env values. */
void	 norm_copy(struct norm *, uint32_t i, const char *pk, size_t pkl,
	    struct buf *out);
/* A string token, its URL passwords replaced. */
void	 norm_string(struct norm *, uint32_t i, struct buf *out);
/* The token of a value as a JSON string: of the decoded text of a
   string, of the JSON text of anything else. */
void	 norm_secret(struct norm *, uint32_t i, struct buf *out);
/* The token of bytes p[0..n) as a JSON string. */
void	 norm_secret_bytes(struct norm *, const void *p, size_t n,
	    struct buf *out);
/* 1 if member name pk is one whose value is an environment. */
int	 norm_is_env(const char *pk, size_t pkl);
/* An environment: [{name, value}], ["NAME=value"] or {NAME: value};
   values of secret names become tokens, the rest goes through copy. */
void	 norm_env(struct norm *, uint32_t i, norm_copy_fn *copy,
	    struct buf *out);
/* 1 if name[0..len) matches the secret-name pattern. */
int	 norm_name_secret(struct norm *, const char *name, size_t len);
/* Wipes the decoded-value scratch. */
void	 norm_wipe(struct norm *);

/* k8s.c: the object of provider k8s into spec and status. */
void	 k8s_normalize(struct norm *, uint32_t obj);
/* host.c */
void	 host_normalize(struct norm *, uint32_t obj);
void	 generic_normalize(struct norm *, uint32_t obj);
/* prom.c: series, targets, rule files and alerts of provider
   prometheus */
void	 prometheus_normalize(struct norm *, uint32_t obj);
/* data.labels from a labels object (strings only). */
void	 norm_labels_from(struct norm *, int64_t labels);

#endif
