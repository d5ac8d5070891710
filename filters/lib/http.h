/*
 * http.h: HTTP(S) requests through libcurl, with the habits every tend
 * program that talks to a service needs: TLS verified by default, only
 * http and https, a cap on the response size, a timeout per attempt,
 * retries with exponential backoff (honouring Retry-After) on 408, 429,
 * 5xx (but 501 and 505) and connection errors, redirects followed only
 * within the same scheme, host and port, and credentials that never
 * leave the request: no error message, header dump or URL in a message
 * ever holds them.
 *
 * One struct http_client per program (or per service): it holds the TLS
 * settings and a curl handle reused across requests, so connections are
 * kept alive.  Not thread-safe; use one client per thread.
 *
 * Retries: GET, HEAD, PUT, DELETE and OPTIONS are retried; POST and PATCH
 * only when the request says it is idempotent (tend apply sends an
 * idempotency key and sets it).  Backoff is backoff_ms, doubled per
 * attempt up to backoff_max_ms, with up to a quarter of random jitter;
 * a Retry-After (seconds or HTTP date) replaces it, up to backoff_max_ms.
 *
 * It does not parse bodies, follow Link headers by itself (see
 * http_link_next) or read credentials from anywhere: callers pass the
 * secret bytes, and should wipe them (sodium_memzero) when done.
 */
#ifndef TEND_HTTP_H
#define TEND_HTTP_H

#include <stddef.h>

#include "buf.h"
#include "tenderr.h"

struct http_client;

struct http_opts {
	long	 timeout_ms;		/* one attempt, whole; 0: 30 s */
	long	 connect_timeout_ms;	/* 0: 10 s */
	int	 retries;		/* attempts after the first; <0: 0 */
	long	 backoff_ms;		/* first wait; 0: 500 ms */
	long	 backoff_max_ms;	/* 0: 30 s */
	size_t	 max_body;		/* response cap; 0: 256 MiB */
	int	 max_redirects;		/* same-origin only; 0: none followed */
	int	 insecure;		/* no TLS verification (not default) */
	const char *cacert;		/* CA bundle file (PEM), or NULL */
	const void *cacert_pem;		/* CA certificates in memory (PEM) */
	size_t	 cacert_pem_len;
	const char *cert_file, *key_file; /* client certificate, key (PEM) */
	const void *cert_pem, *key_pem;	/* the same in memory */
	size_t	 cert_pem_len, key_pem_len;
	const char *user_agent;		/* 0: "tend/VERSION" */
};

struct http_header {
	const char *name;
	const char *value;
};

struct http_request {
	const char *method;		/* NULL: GET */
	const char *url;
	const struct http_header *headers;
	size_t	 nheaders;
	const char *bearer;		/* Authorization: Bearer; secret */
	const char *basic_user, *basic_pass; /* basic auth; secret */
	const void *body;
	size_t	 body_len;
	const char *content_type;	/* of the body; NULL: JSON */
	int	 idempotent;		/* POST/PATCH may be retried */
};

struct http_response {
	long	 status;		/* final HTTP status */
	struct buf body;
	struct buf headers;		/* the final response's header lines */
	char	*url;			/* the final URL (after redirects) */
	int	 attempts;
};

/*
 * A client.  opts is copied (its strings and blobs are not: they must
 * outlive the client).  NULL with err on a libcurl failure (code
 * TEND_EXIT_SYSTEM).
 */
struct http_client *http_client_new(const struct http_opts *,
	    struct tend_err *);
void	http_client_free(struct http_client *);

void	http_response_init(struct http_response *);
void	http_response_release(struct http_response *);

/*
 * Performs the request, retrying as described above.  Returns 0 when a
 * response arrived, whatever its status (after the retries, a 503 is
 * still returned as a response: check resp->status), or -1 with err:
 *   TEND_EXIT_USAGE   the URL is not http(s), or has credentials in it;
 *   TEND_EXIT_INPUT   the response is larger than max_body, or redirects
 *                     to another origin or too often;
 *   TEND_EXIT_SYSTEM  connection, DNS, TLS (certificate) or timeout
 *                     failure after the retries.
 * Messages name the URL without its query and say what failed, e.g.
 * "https://h:6443/api/v1/pods: SSL certificate problem: unable to get
 * local issuer certificate".  resp is reset first.
 */
int	http_do(struct http_client *, const struct http_request *,
	    struct http_response *, struct tend_err *);

/*
 * The value of header `name` (case-insensitive) in resp, the first one if
 * repeated, trimmed; NULL if absent.  *len is set.  Points into resp.
 */
const char *http_response_header(const struct http_response *,
	    const char *name, size_t *len);

/*
 * Appends to next the target of the Link header's rel="next" (RFC 8288),
 * resolved against resp->url.  Returns 1 if there is one, 0 if not.
 */
int	http_link_next(const struct http_response *, struct buf *next);

/*
 * Appends url to out as it may be shown: no userinfo, no query, no
 * fragment ("https://h/x?token=..." -> "https://h/x").
 */
void	http_url_display(const char *url, struct buf *out);

/* Appends s percent-encoded for a query value (RFC 3986 unreserved kept). */
void	http_query_escape(const char *s, size_t len, struct buf *out);

#endif
