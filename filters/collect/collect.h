/*
 * collect.h: what the sources of tend-collect share.
 *
 * main (collect.c) parses the options into one struct collect and calls
 * the chosen source; every source reports what it observes through
 * collect_emit, which builds the tend.resource.observed event.  Sources
 * that read JSON documents (file, exec, http) hand each document to
 * collect_doc, which splits it into items (arrays, Kubernetes lists,
 * --items), finds each item's key and emits it.
 *
 * Sources return 0 to go on, -1 to stop; whatever stops the run has
 * already been reported and set the exit status (cli_fail).
 */
#ifndef TEND_COLLECT_H
#define TEND_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cli.h"
#include "http.h"
#include "json.h"
#include "jqrun.h"

struct strv {
	const char **v;
	size_t	 n;
};

struct kubeconfig;

struct collect {
	struct cli cli;
	const char *source;		/* "file", "k8s", ... */
	char	 runid_buf[33];
	const char *runid;
	const char *scope;		/* --scope */

	/* documents: file, exec, http */
	const char *kind;		/* --kind */
	const char *key_expr;		/* --key */
	const char *items_expr;		/* --items */
	struct jqprog *keyprog, *itemsprog;

	/* Kubernetes */
	const char *context;		/* --context */
	const char *kubeconfig_path;	/* --kubeconfig */
	struct kubeconfig *kc;		/* loaded on first need */
	int	 kc_tried;
	const char *k8s_scope;		/* for k8s objects from documents */
	const char *k8s_default_ns;
	struct strv namespaces;		/* --namespace */
	const char *kinds;		/* --kinds */
	long	 page_size;

	/* network */
	struct strv headers;		/* --header */
	const char *token_file, *token_env;
	const char *cacert;
	int	 insecure;
	int	 retries;
	long	 timeout_ms;		/* 0: the source's default */
	const char *prom_time;		/* --time */

	/* prometheus: the views besides a query */
	int	 prom_targets, prom_rules, prom_alerts;
	struct strv rule_files;		/* --rule-file live[=desired] */

	/* host */
	const char *root;		/* --root, "" for / */
	int	 packages, sockets;
	struct strv sysctls;		/* --sysctl, split */
	struct strv files;		/* --file */

	/* progress on a terminal */
	int	 tty;
	int64_t	 progress_at;
	int	 progress_shown;

	size_t	 emitted;
	struct buf ev, data, subject, tmp;
	struct strv owned;		/* strings freed at exit */
};

/* What one observed resource is. */
struct observed {
	const char *provider;
	const char *scope;
	const char *kindpath;	/* between scope and name; NULL: kind */
	const char *kind;
	const char *name;
	const char *ns;		/* NULL: none */
	const char *source;
	const char *object;	/* JSON text */
	size_t	 object_len;
};

/* Where a document came from, for keys and messages. */
struct docsrc {
	const char *provider;	/* "file", "exec", "http" */
	const char *scope;	/* default scope of objects that are not k8s */
	const char *name;	/* for messages: a path, "<stdin>", a command */
	const char *source;	/* data.source */
	size_t	 index;		/* items seen so far from this source */
};

/* collect.c */
void	strv_add_owned(struct collect *, char *);	/* freed at exit */
void	k8s_release(struct collect *);
int	collect_emit(struct collect *, const struct observed *,
	    const char *file, size_t line);
int	collect_doc(struct collect *, struct docsrc *, const struct json_doc *,
	    uint32_t tok, const char *file, size_t line);
int	collect_text(struct collect *, struct docsrc *, const char *text,
	    size_t len, const char *file, int format);
int	collect_k8s_object(struct collect *, const char *scope,
	    const char *source, const char *obj, size_t len,
	    const char *file, size_t line);
void	collect_progress(struct collect *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	collect_progress_done(struct collect *);
int	collect_bad(struct collect *, const char *file, size_t line,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int	read_all(int fd, struct buf *out, size_t max, struct tend_err *);
int	read_file(const char *path, struct buf *out, size_t max,
	    struct tend_err *);
int	read_secret(struct collect *, struct buf *out);
struct http_client *collect_http_client(struct collect *,
	    const struct http_opts *);
void	collect_http_fail(struct collect *, const struct http_response *,
	    const char *what);

enum { FMT_SNIFF, FMT_JSON, FMT_NDJSON, FMT_YAML };

/* file.c */
int	src_file(struct collect *, int argc, char **argv);
/* exec.c */
int	src_exec(struct collect *, int argc, char **argv);
int	run_capture(const char *const *argv, const char *const *envadd,
	    long timeout_ms, struct buf *out, size_t max, struct tend_err *);
/* http.c */
int	src_http(struct collect *, int argc, char **argv);
/* The request --header and --token-* give; -1 reported. */
int	net_request(struct collect *, struct http_request *, struct buf *tok,
	    struct http_header **);
void	net_headers_free(struct http_header *, size_t);
/* host[:port] of a URL, or "_". */
void	url_scope(const char *url, struct buf *out);
/* k8s.c */
int	src_k8s(struct collect *, int argc, char **argv);
const char *k8s_current_scope(struct collect *, const char **ns);
int	k8s_kind_cluster_scoped(const char *kind);
/* prom.c */
int	src_prometheus(struct collect *, int argc, char **argv);
/* host.c */
int	src_host(struct collect *, int argc, char **argv);

#endif
