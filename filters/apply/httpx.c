/*
 * httpx.c: the http executor, on libcurl directly (not http.h's client:
 * apply needs one deadline over all attempts, a fresh connection for
 * each non-idempotent request, the credential as any header, and
 * per-action redirect and status rules).
 *
 *   - only http and https (libcurl's protocol allow-list, redirects too);
 *   - TLS verified (the system's CAs or http.cacert), never switched off;
 *   - no proxy unless the configuration names one (the environment's
 *     http_proxy is not looked at);
 *   - one deadline (executor timeout, else http.timeout) over every
 *     attempt and every wait: a black hole or a 1 byte/s drip fails at
 *     the deadline, not later;
 *   - retries on connection errors, 408, 429 and 5xx but 501 and 505,
 *     waiting Retry-After (seconds or an HTTP date) when given, else an
 *     exponential backoff with jitter, all capped by http.backoff_max
 *     and the deadline; every attempt carries the same Idempotency-Key;
 *   - POST, PATCH and other non-idempotent methods go on a fresh
 *     connection that is closed after use (FRESH_CONNECT, FORBID_REUSE):
 *     libcurl may otherwise re-send on a reused connection that died;
 *   - redirects are not followed unless the executor's "redirects" says
 *     how many, and then only to the same scheme, host and port;
 *   - the response body is read up to http.max_body; more fails the
 *     action (it is not retried).
 *
 * Executor members: method (default GET), url, headers (an object of
 * strings), body (a string is sent as its bytes, anything else as its
 * JSON text; Content-Type defaults to application/json), timeout
 * (seconds), redirects (0..10), expect (a status or an array of them;
 * default any 2xx).
 *
 * NEEDSWORK: libcurl copies the header lines, the credential's among
 * them, into request buffers it frees without wiping.
 */
#include "compat.h"

#include <errno.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "apply.h"
#include "http.h"
#include "xmalloc.h"

#define MAX_REDIRECTS	10

struct req {
	char	*method;
	char	*url;
	struct buf body;
	int	 has_body;
	char	**hname, **hval;
	size_t	 nh;
	int64_t	 timeout_ms;
	int	 redirects;
	long	 expect[32];
	size_t	 nexpect;
};

struct resp {
	long	 status;
	struct buf body;
	struct buf headers;
	size_t	 max;
	int	 too_big;
	int	 attempts;
	char	*url;		/* the last URL asked */
};

static void
req_release(struct req *r)
{
	size_t i;

	free(r->method);
	free(r->url);
	buf_release(&r->body);
	for (i = 0; i < r->nh; i++) {
		free(r->hname[i]);
		free(r->hval[i]);
	}
	free(r->hname);
	free(r->hval);
	memset(r, 0, sizeof(*r));
}

static void
resp_release(struct resp *r)
{
	buf_release(&r->body);
	buf_release(&r->headers);
	free(r->url);
	memset(r, 0, sizeof(*r));
}

static int
token_ok(const char *s)
{
	return *s != '\0' && strspn(s, "!#$%&'*+-.^_`|~0123456789"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") ==
	    strlen(s);
}

static int
value_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] == '\0' || s[i] == '\r' || s[i] == '\n')
			return 0;
	return 1;
}

/* http(s), a host, no userinfo: 0, else -1. */
static int
url_ok(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *user = NULL, *host = NULL;
	int ok = 0;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url,
	    CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    (strcasecmp(scheme, "http") == 0 ||
	    strcasecmp(scheme, "https") == 0) &&
	    curl_url_get(u, CURLUPART_USER, &user, 0) != CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		ok = 1;
	curl_free(scheme);
	curl_free(user);
	curl_free(host);
	curl_url_cleanup(u);
	return ok ? 0 : -1;
}

/* scheme://host:port of url into out: 0, or -1. */
static int
origin(const char *url, struct buf *out)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = -1;

	buf_reset(out);
	if (u != NULL && curl_url_set(u, CURLUPART_URL, url,
	    CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
	    CURLUE_OK) {
		buf_addf(out, "%s://%s:%s", scheme, host, port);
		rc = 0;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

static int
status_in(const struct req *r, long st)
{
	size_t i;

	if (r->nexpect == 0)
		return st >= 200 && st <= 299;
	for (i = 0; i < r->nexpect; i++)
		if (r->expect[i] == st)
			return 1;
	return 0;
}

static int
expect_add(struct req *r, const struct json_doc *d, uint32_t t)
{
	int64_t v;

	if (d->tok[t].type != JSON_NUMBER || json_int(d, t, &v) < 0 ||
	    v < 100 || v > 599 || r->nexpect >= ARRAY_SIZE(r->expect))
		return -1;
	r->expect[r->nexpect++] = (long)v;
	return 0;
}

static int
req_parse(const struct apply_conf *conf, const struct action *a,
    struct req *r, struct buf *why)
{
	const struct json_doc *d = a->d;
	struct buf b = BUF_INIT, v = BUF_INIT;
	int64_t t, h;
	uint32_t i;
	const char *raw;
	size_t len;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->timeout_ms = conf->http_timeout_ms;
	if ((t = obj_get(d, a->ex, "method")) >= 0) {
		if (obj_str(d, a->ex, "method", &b) < 0 || b.len == 0 ||
		    strspn(b.p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != b.len) {
			buf_adds(why, "executor/method: not an upper-case "
			    "HTTP method");
			goto out;
		}
		r->method = xstrdup(b.p);
	} else
		r->method = xstrdup("GET");
	if (obj_str(d, a->ex, "url", &b) < 0 || !value_ok(b.p, b.len) ||
	    strchr(b.p, ' ') != NULL || url_ok(b.p) < 0) {
		buf_adds(why, "executor/url: missing, or not an http:// or "
		    "https:// URL without user information");
		goto out;
	}
	r->url = xstrdup(b.p);
	if ((h = obj_get(d, a->ex, "headers")) >= 0) {
		if (d->tok[h].type != JSON_OBJECT) {
			buf_adds(why, "executor/headers: not an object");
			goto out;
		}
		r->hname = xcalloc(d->tok[h].size + 1, sizeof(*r->hname));
		r->hval = xcalloc(d->tok[h].size + 1, sizeof(*r->hval));
		for (i = (uint32_t)h + 1; i < d->tok[h].end;
		    i = d->tok[i + 1].end) {
			buf_reset(&b);
			json_str_decode(d, i, &b);
			if (b.p == NULL || !token_ok(b.p)) {
				buf_adds(why, "executor/headers: a name is not "
				    "an HTTP header name");
				goto out;
			}
			buf_reset(&v);
			if (d->tok[i + 1].type != JSON_STRING) {
				buf_addf(why, "executor/headers/%s: not a "
				    "string", b.p);
				goto out;
			}
			json_str_decode(d, i + 1, &v);
			if (v.p == NULL)
				buf_adds(&v, "");
			if (!value_ok(v.p, v.len)) {
				buf_addf(why, "executor/headers/%s: holds a "
				    "line break or NUL", b.p);
				goto out;
			}
			if (strcasecmp(b.p, "Content-Length") == 0 ||
			    strcasecmp(b.p, "Transfer-Encoding") == 0 ||
			    strcasecmp(b.p, "Host") == 0) {
				buf_addf(why, "executor/headers/%s: set by "
				    "tend apply, not by an action", b.p);
				goto out;
			}
			/* ours win: the key of the approval, the credential */
			if (strcasecmp(b.p, "Idempotency-Key") == 0 ||
			    (a->cred != NULL &&
			    strcasecmp(b.p, a->cred->header) == 0))
				continue;
			r->hname[r->nh] = xstrdup(b.p);
			r->hval[r->nh++] = xstrdup(v.p);
		}
	}
	if ((t = obj_get(d, a->ex, "body")) >= 0) {
		r->has_body = 1;
		if (d->tok[t].type == JSON_STRING)
			json_str_decode(d, (uint32_t)t, &r->body);
		else {
			raw = json_raw(d, (uint32_t)t, &len);
			buf_add(&r->body, raw, len);
		}
		if (r->body.p == NULL)
			buf_adds(&r->body, "");
	}
	if (obj_seconds(d, a->ex, "timeout", &r->timeout_ms) < 0) {
		buf_adds(why, "executor/timeout: not a positive number of "
		    "seconds");
		goto out;
	}
	if ((t = obj_get(d, a->ex, "redirects")) >= 0) {
		int64_t n;

		if (d->tok[t].type != JSON_NUMBER ||
		    json_int(d, (uint32_t)t, &n) < 0 || n < 0 ||
		    n > MAX_REDIRECTS) {
			buf_addf(why, "executor/redirects: not an integer "
			    "from 0 to %d", MAX_REDIRECTS);
			goto out;
		}
		r->redirects = (int)n;
	}
	if ((t = obj_get(d, a->ex, "expect")) >= 0) {
		int bad = 0;

		if (d->tok[t].type == JSON_ARRAY) {
			for (i = (uint32_t)t + 1; i < d->tok[t].end && !bad;
			    i = d->tok[i].end)
				bad = expect_add(r, d, i) < 0;
			bad |= r->nexpect == 0;
		} else
			bad = expect_add(r, d, (uint32_t)t) < 0;
		if (bad) {
			buf_adds(why, "executor/expect: not an HTTP status or "
			    "a list of them");
			goto out;
		}
	}
	rc = 0;
out:
	buf_release(&b);
	buf_release(&v);
	return rc;
}

static int
idempotent(const char *m)
{
	return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ||
	    strcmp(m, "PUT") == 0 || strcmp(m, "DELETE") == 0 ||
	    strcmp(m, "OPTIONS") == 0 || strcmp(m, "TRACE") == 0;
}

static size_t
on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct resp *r = ctx;

	n *= size;
	if (r->body.len + n > r->max) {
		r->too_big = 1;
		return 0;
	}
	buf_add(&r->body, p, n);
	return n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct resp *r = ctx;

	n *= size;
	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0)
		buf_reset(&r->headers);
	if (r->headers.len + n > ((size_t)64 << 10))
		return 0;
	buf_add(&r->headers, p, n);
	return n;
}

/* The value of header name in r, trimmed, into out: 0, or -1. */
static int
resp_header(const struct resp *r, const char *name, struct buf *out)
{
	const char *p = r->headers.p, *end, *nl, *v, *e;
	size_t nlen = strlen(name);

	buf_reset(out);
	if (p == NULL)
		return -1;
	for (end = p + r->headers.len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((size_t)(nl - p) > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			v = p + nlen + 1;
			e = nl;
			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == '\r' || e[-1] == ' ' ||
			    e[-1] == '\t'))
				e--;
			buf_add(out, v, (size_t)(e - v));
			return 0;
		}
		if (nl == end)
			break;
	}
	return -1;
}

static int
retryable_status(long st)
{
	return st == 408 || st == 429 ||
	    (st >= 500 && st <= 599 && st != 501 && st != 505);
}

static int
retryable_curl(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_OPERATION_TIMEDOUT:
		return 1;
	default:
		return 0;
	}
}

/* The wait before retry n (1-based), in ms. */
static int64_t
backoff(const struct apply_conf *conf, const struct resp *r, int n)
{
	struct buf v = BUF_INIT;
	int64_t ms = conf->http_backoff_ms, half;
	int i;

	if (r != NULL && resp_header(r, "Retry-After", &v) == 0 &&
	    v.len > 0 && v.len < 64) {
		char *end;
		long long secs;
		time_t when;

		errno = 0;
		secs = strtoll(v.p, &end, 10);
		if (end != v.p && *end == '\0' && errno == 0 && secs >= 0)
			ms = secs > conf->http_backoff_max_ms / 1000 ?
			    conf->http_backoff_max_ms : secs * 1000;
		else if ((when = curl_getdate(v.p, NULL)) != -1)
			ms = when <= time(NULL) ? 0 :
			    (int64_t)(when - time(NULL)) * 1000;
		buf_release(&v);
		return ms > conf->http_backoff_max_ms ?
		    conf->http_backoff_max_ms : ms;
	}
	buf_release(&v);
	for (i = 1; i < n && ms < conf->http_backoff_max_ms; i++)
		ms *= 2;
	if (ms > conf->http_backoff_max_ms)
		ms = conf->http_backoff_max_ms;
	/* "equal jitter": half fixed, half random */
	half = ms / 2;
	return half + (int64_t)arc4random_uniform((uint32_t)(ms - half + 1));
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static struct curl_slist *
headers_build(const struct req *r, const struct action *a, int with_body,
    int reading)
{
	struct curl_slist *l = NULL, *n;
	struct buf b = BUF_INIT;
	size_t i;
	int have_ct = 0;

#define ADD(s) do { \
	if ((n = curl_slist_append(l, (s))) == NULL) \
		BUG("out of memory"); \
	l = n; \
} while (0)
	if (!reading) {
		for (i = 0; i < r->nh; i++) {
			buf_reset(&b);
			buf_addf(&b, "%s: %s", r->hname[i], r->hval[i]);
			ADD(b.p);
			if (strcasecmp(r->hname[i], "Content-Type") == 0)
				have_ct = 1;
		}
		buf_reset(&b);
		buf_addf(&b, "Idempotency-Key: %s", a->idem);
		ADD(b.p);
		if (with_body && !have_ct)
			ADD("Content-Type: application/json");
		ADD("Expect:");
	} else
		ADD("Accept: application/json");
	if (a->cred != NULL && a->secret != NULL) {
		buf_reset(&b);
		buf_addf(&b, "%s: %s%s", a->cred->header, a->cred->scheme,
		    a->cred->scheme[0] != '\0' ? " " : "");
		buf_add(&b, a->secret->p, a->secret->len);
		ADD(b.p);
		sodium_memzero(b.p, b.len);
	}
#undef ADD
	buf_release(&b);
	return l;
}

static void
headers_free(struct curl_slist *l)
{
	struct curl_slist *p;

	for (p = l; p != NULL; p = p->next)
		sodium_memzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

/*
 * Sends method to url until a final response or the end: 0 with resp
 * (its status) set, or -1 with why and *retryable.  reading: a GET of
 * the target for the stale check (no body, no Idempotency-Key).
 */
static int
perform(const struct apply_conf *conf, const struct req *r,
    const struct action *a, int reading, struct resp *resp,
    struct buf *why, int *retryable)
{
	struct buf shown = BUF_INIT, o1 = BUF_INIT, o2 = BUF_INIT;
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE], *loc;
	const char *method = reading ? "GET" : r->method;
	int64_t deadline, left, wait, t0;
	int retries = 0, redirects = 0, with_body, rc = -1;
	CURL *h;
	CURLcode cc;

	*retryable = 0;
	memset(resp, 0, sizeof(*resp));
	resp->max = conf->http_max_body;
	resp->url = xstrdup(r->url);
	with_body = !reading && r->has_body;
	t0 = apply_mono_ms();
	deadline = t0 + r->timeout_ms;
	if ((h = curl_easy_init()) == NULL) {
		buf_adds(why, "cannot initialise libcurl");
		*retryable = 1;
		return -1;
	}
	hdrs = headers_build(r, a, with_body, reading);
	for (;;) {
		buf_reset(&shown);
		http_url_display(resp->url, &shown);
		left = deadline - apply_mono_ms();
		if (left <= 0) {
			buf_addf(why, "%s: timed out after %.3g s (%d "
			    "attempt%s)", shown.p, (double)r->timeout_ms / 1000,
			    resp->attempts, resp->attempts == 1 ? "" : "s");
			*retryable = 1;
			goto out;
		}
		resp->attempts++;
		buf_reset(&resp->body);
		buf_reset(&resp->headers);
		resp->too_big = 0;
		resp->status = 0;
		errbuf[0] = '\0';
		curl_easy_reset(h);
		curl_easy_setopt(h, CURLOPT_URL, resp->url);
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)left);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
		    (long)(conf->http_connect_ms < left ?
		    conf->http_connect_ms : left));
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
		if (conf->http_cacert != NULL)
			curl_easy_setopt(h, CURLOPT_CAINFO, conf->http_cacert);
		curl_easy_setopt(h, CURLOPT_PROXY, conf->http_proxy != NULL ?
		    conf->http_proxy : "");
		curl_easy_setopt(h, CURLOPT_USERAGENT, "tend-apply/"
		    TEND_VERSION);
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
		curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
		curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
		    (curl_off_t)resp->max);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		if (!idempotent(method)) {
			curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
			curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
		}
		if (strcmp(method, "HEAD") == 0)
			curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
		else if (strcmp(method, "GET") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		if (with_body) {
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)r->body.len);
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body.p);
		}
		cc = curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
		if (resp->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
			buf_addf(why, "%s: response larger than %zu bytes",
			    shown.p, resp->max);
			goto out;
		}
		if (cc != CURLE_OK) {
			left = deadline - apply_mono_ms();
			if (retryable_curl(cc) && left > 0 &&
			    retries < conf->http_retries) {
				wait = backoff(conf, NULL, ++retries);
				if (wait < left) {
					sleep_ms(wait);
					continue;
				}
			}
			if (cc == CURLE_OPERATION_TIMEDOUT)
				buf_addf(why, "%s: timed out after %.3g s (%d "
				    "attempt%s)", shown.p,
				    (double)r->timeout_ms / 1000,
				    resp->attempts, resp->attempts == 1 ? "" :
				    "s");
			else
				buf_addf(why, "%s: %s", shown.p,
				    errbuf[0] != '\0' ? errbuf :
				    curl_easy_strerror(cc));
			*retryable = retryable_curl(cc);
			goto out;
		}
		if (resp->status >= 300 && resp->status < 400 &&
		    redirects < r->redirects &&
		    curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc) ==
		    CURLE_OK && loc != NULL) {
			if (origin(resp->url, &o1) < 0 ||
			    url_ok(loc) < 0 || origin(loc, &o2) < 0 ||
			    strcmp(o1.p, o2.p) != 0) {
				buf_reset(&o2);
				http_url_display(loc, &o2);
				buf_addf(why, "%s: redirect to another origin "
				    "refused: %s", shown.p, o2.p);
				goto out;
			}
			redirects++;
			free(resp->url);
			resp->url = xstrdup(loc);
			if (resp->status == 303) {
				method = "GET";
				with_body = 0;
			}
			continue;
		}
		if (retryable_status(resp->status) &&
		    retries < conf->http_retries) {
			wait = backoff(conf, resp, ++retries);
			if (wait < deadline - apply_mono_ms()) {
				sleep_ms(wait);
				continue;
			}
		}
		break;
	}
	rc = 0;
out:
	headers_free(hdrs);
	curl_easy_cleanup(h);
	buf_release(&shown);
	buf_release(&o1);
	buf_release(&o2);
	return rc;
}

static int
http_check(const struct apply_conf *conf, const struct action *a,
    struct buf *why, int *not_allowed)
{
	struct req r;
	int rc;

	*not_allowed = 0;
	rc = req_parse(conf, a, &r, why);
	req_release(&r);
	return rc;
}

static int
http_current(const struct apply_conf *conf, const struct action *a,
    struct digests *ds, struct buf *why)
{
	struct req r;
	struct resp resp;
	int rc = -1, retryable;

	if (req_parse(conf, a, &r, why) < 0)
		BUG("reading for an unchecked action");
	/* a POST makes something new: there is nothing to compare */
	if (strcmp(r.method, "PATCH") != 0 && strcmp(r.method, "PUT") != 0 &&
	    strcmp(r.method, "DELETE") != 0) {
		req_release(&r);
		return 2;
	}
	if (perform(conf, &r, a, 1, &resp, why, &retryable) < 0)
		goto out;
	if (resp.status == 404 || resp.status == 410)
		rc = 0;
	else if (resp.status >= 200 && resp.status <= 299) {
		digests_of(ds, resp.body.p != NULL ? resp.body.p : "",
		    resp.body.len);
		rc = 1;
	} else {
		struct buf shown = BUF_INIT;

		http_url_display(resp.url, &shown);
		buf_addf(why, "GET %s: HTTP %ld", shown.p, resp.status);
		buf_release(&shown);
	}
out:
	resp_release(&resp);
	req_release(&r);
	return rc;
}

static void
http_describe(const struct apply_conf *conf, const struct action *a,
    struct buf *would)
{
	struct buf why = BUF_INIT;
	struct req r;
	size_t i;
	int have_ct = 0;

	if (req_parse(conf, a, &r, &why) < 0)
		BUG("describing an unchecked action");
	buf_adds(would, "{\"method\":");
	add_text(would, r.method, strlen(r.method), SIZE_MAX);
	buf_adds(would, ",\"url\":");
	add_text(would, r.url, strlen(r.url), SIZE_MAX);
	buf_adds(would, ",\"headers\":{");
	for (i = 0; i < r.nh; i++) {
		add_text(would, r.hname[i], strlen(r.hname[i]), SIZE_MAX);
		buf_addc(would, ':');
		add_text(would, r.hval[i], strlen(r.hval[i]), SIZE_MAX);
		buf_addc(would, ',');
		have_ct |= strcasecmp(r.hname[i], "Content-Type") == 0;
	}
	if (r.has_body && !have_ct)
		buf_adds(would, "\"Content-Type\":\"application/json\",");
	buf_adds(would, "\"Idempotency-Key\":");
	add_text(would, a->idem, strlen(a->idem), SIZE_MAX);
	if (a->cred != NULL) {
		buf_addc(would, ',');
		add_text(would, a->cred->header, strlen(a->cred->header),
		    SIZE_MAX);
		buf_addf(would, ":\"[credential %s]\"", a->cred->name);
	}
	buf_addc(would, '}');
	if (r.has_body) {
		buf_adds(would, ",\"body\":");
		add_text(would, r.body.p, r.body.len, SIZE_MAX);
	}
	buf_addf(would, ",\"timeout\":%.3f,\"redirects\":%d}",
	    (double)r.timeout_ms / 1000, r.redirects);
	req_release(&r);
	buf_release(&why);
}

static void
http_run(const struct apply_conf *conf, const struct action *a,
    struct outcome *o)
{
	struct buf why = BUF_INIT, shown = BUF_INIT;
	struct req r;
	struct resp resp;
	int retryable;

	if (req_parse(conf, a, &r, &why) < 0)
		BUG("running an unchecked action");
	o->ok = 0;
	if (perform(conf, &r, a, 0, &resp, &o->error, &retryable) < 0) {
		o->retryable = retryable;
		buf_addf(&o->result, "{\"attempts\":%d}", resp.attempts);
		goto out;
	}
	redact(&resp.body, a->secret, 0);
	buf_addf(&o->result, "{\"status\":%ld,\"attempts\":%d,\"bytes\":%zu",
	    resp.status, resp.attempts, resp.body.len);
	if (strcmp(resp.url, r.url) != 0) {
		buf_adds(&o->result, ",\"url\":");
		add_text(&o->result, resp.url, strlen(resp.url), SIZE_MAX);
	}
	if (resp.body.len > 0 && conf->excerpt_max > 0) {
		buf_adds(&o->result, ",\"body\":");
		add_text(&o->result, resp.body.p, resp.body.len,
		    conf->excerpt_max);
	}
	buf_addc(&o->result, '}');
	o->ok = status_in(&r, resp.status);
	if (!o->ok) {
		http_url_display(resp.url, &shown);
		buf_addf(&o->error, "%s %s: HTTP %ld", r.method, shown.p,
		    resp.status);
		if (resp.status >= 300 && resp.status < 400)
			buf_adds(&o->error, r.redirects == 0 ?
			    " (redirects are not followed)" :
			    " (too many redirects)");
		o->retryable = retryable_status(resp.status);
		/* 4xx: the server refused the request (a conflict, a
		   failed JSON Patch test, no permission) */
		o->untouched = resp.status >= 400 && resp.status <= 499;
	}
out:
	resp_release(&resp);
	req_release(&r);
	buf_release(&why);
	buf_release(&shown);
}

const struct executor executor_http = {
	"http", 1, http_check, http_current, http_describe, http_run,
};
