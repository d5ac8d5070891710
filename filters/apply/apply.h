/*
 * apply.h: what the parts of tend-apply share.  apply.c reads approvals,
 * decides what may run, schedules it and writes the events; wal.c reads
 * the log's record of earlier runs; conf.c and creds.c load the
 * configuration and the credentials; httpx.c, exec.c and file.c are the
 * three executors; util.c holds the JSON, digest and redaction helpers.
 */
#ifndef TEND_APPLY_H
#define TEND_APPLY_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "json.h"
#include "sandbox.h"
#include "schema.h"
#include "tenderr.h"

#define APPLY_SECRET_MAX	65536	/* longest credential */
#define APPLY_REDACTED		"[REDACTED]"

/* --config FILE (schemas/apply-config.v1.json), with the defaults. */
struct apply_conf {
	char	**exec_allow;		/* absolute paths */
	size_t	 nexec_allow;
	int64_t	 exec_timeout_ms;
	int64_t	 exec_grace_ms;
	size_t	 exec_output_max;	/* bytes kept of stdout, stderr */
	struct sandbox_limits lim;
	int64_t	 http_timeout_ms;	/* the whole action, retries too */
	int64_t	 http_connect_ms;
	int	 http_retries;
	int64_t	 http_backoff_ms;
	int64_t	 http_backoff_max_ms;
	size_t	 http_max_body;
	char	*http_cacert;
	char	*http_proxy;
	char	**file_allow;		/* directories, resolved */
	size_t	 nfile_allow;
	int	 file_backup;
	mode_t	 umask;			/* the process's, read at start */
	size_t	 excerpt_max;		/* output bytes in an event */
};

/* conf.c */
void	conf_defaults(struct apply_conf *);
/* Loads path over the defaults.  0, or -1 with err (3: not valid; 4:
   unreadable or writable by others). */
int	conf_load(struct apply_conf *, const char *path,
	    struct schema_set *, struct tend_err *);
void	conf_release(struct apply_conf *);
/*
 * Reads a small JSON file the run trusts (configuration, credentials):
 * refuses one that another user owns or that group or others may write.
 * On 0, *text holds the bytes and d its parse, checked against the
 * schema named.  -1 with err otherwise.
 */
int	conf_read_trusted(const char *path, const char *schema_name,
	    struct schema_set *, struct buf *text, struct json_doc *d,
	    struct tend_err *);

/* creds.c: the credentials file (schemas/credentials.v1.json) */
enum cred_kind { CRED_ENV, CRED_FILE, CRED_COMMAND };

struct cred_def {
	char	*name;
	enum cred_kind kind;
	char	*source;		/* variable or file name */
	char	**argv;			/* the broker command */
	int64_t	 timeout_ms;
	char	*header;		/* HTTP: header name */
	char	*scheme;		/* HTTP: "Bearer" ("" for none) */
	char	*variable;		/* exec: environment variable */
};

struct creds {
	struct cred_def *v;
	size_t	 n;
};

/* A fetched secret; p is sodium_malloc'd and wiped by secret_wipe. */
struct secret {
	char	*p;
	size_t	 len;
};

int	creds_load(struct creds *, const char *path, struct schema_set *,
	    struct tend_err *);
void	creds_release(struct creds *);
const struct cred_def *creds_find(const struct creds *, const char *name);
/*
 * Fetches the secret now (environment, file or broker).  0, or -1 with
 * err (TEND_EXIT_SYSTEM) that never holds secret bytes.
 */
int	cred_fetch(const struct cred_def *, struct secret *,
	    struct tend_err *);
void	secret_wipe(struct secret *);

/* What an executor is given: one approved action. */
struct action {
	const struct json_doc *d;	/* the approval event */
	uint32_t ex;			/* its executor object */
	const char *action_id;
	const char *idem;		/* idempotency key */
	const struct cred_def *cred;	/* NULL: none named */
	const struct secret *secret;	/* NULL: not fetched (dry run) */
};

/* What an executor did. */
struct outcome {
	int	 ok;
	int	 retryable;		/* -1: unknown */
	int	 untouched;		/* failed, surely changing nothing */
	struct buf result;		/* a JSON object, or empty */
	struct buf error;		/* what failed, when !ok */
};

void	outcome_init(struct outcome *);
void	outcome_release(struct outcome *);

/* A target as it is now, for the stale check: up to three digests of
   its content, and the content (for a pointer precondition). */
struct digests {
	unsigned char d[3][32];
	int	 n;
	struct buf body;
};

/*
 * An executor.  check says whether the action is well-formed (0, or -1
 * with why and *not_allowed set when it is configuration, not the
 * action, that refuses it).  current reads the target: 1 with its
 * digests, 0 when it does not exist, 2 when this action's target is not
 * one to read (an HTTP POST), -1 with why when it cannot be read; NULL
 * when the executor never can.  describe appends the JSON object of what
 * run would do.  run carries the action out and fills the outcome; the
 * result and error it writes are redacted of a->secret by the caller
 * too, but run must not copy the secret anywhere else.  Each is called
 * only for an action that check accepted, and may be called from several
 * threads at once.
 */
struct executor {
	const char *type;
	int	 uses_cred;
	int	(*check)(const struct apply_conf *, const struct action *,
		    struct buf *why, int *not_allowed);
	int	(*current)(const struct apply_conf *, const struct action *,
		    struct digests *, struct buf *why);
	void	(*describe)(const struct apply_conf *, const struct action *,
		    struct buf *would);
	void	(*run)(const struct apply_conf *, const struct action *,
		    struct outcome *);
};

extern const struct executor executor_http, executor_exec, executor_file;

/* util.c */
/* The decoded string member key of object obj into out: 0, or -1 when
   absent or not a string. */
int	obj_str(const struct json_doc *, uint32_t obj, const char *key,
	    struct buf *out);
/* Member key of obj, or -1. */
int64_t	obj_get(const struct json_doc *, uint32_t obj, const char *key);
/* Seconds (a positive number member) as ms: 0 and *ms, 1 when absent,
   -1 when not a positive number. */
int	obj_seconds(const struct json_doc *, uint32_t obj, const char *key,
	    int64_t *ms);
/*
 * Replaces every occurrence of the secret in b with APPLY_REDACTED; when
 * cut is set (b holds a prefix of a longer output), also a tail of b
 * that could be the start of the secret.
 */
void	redact(struct buf *b, const struct secret *, int cut);
/*
 * Appends p[0..len) as a JSON string: at most max bytes of it, cut at a
 * character boundary, invalid UTF-8 replaced by U+FFFD.
 */
void	add_text(struct buf *json, const char *p, size_t len, size_t max);
/* Sets ds to p[0..len): its SHA-256, and when it is JSON the JCS digests
   of it and of its "spec" member, and a copy of it in body. */
void	digests_of(struct digests *, const char *p, size_t len);
/* 1 if "sha256:HEX" names one of ds. */
int	digests_match(const struct digests *, const char *want);
/* Appends "sha256:HEX" of the first digest. */
void	digest_add(struct buf *, const unsigned char d[32]);
/* A unified diff of a and b (one hunk: what differs between their
   common leading and trailing lines, with up to 3 lines of context). */
void	text_diff(struct buf *out, const char *name, const char *a,
	    size_t alen, const char *b, size_t blen);
int64_t	apply_mono_ms(void);

#endif
