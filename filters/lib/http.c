/*
 * HTTP through libcurl; see http.h.
 *
 * Every attempt resets the easy handle and sets every option again, so no
 * setting (a method, a body, a credential) leaks from one request into the
 * next, while the connection cache survives the reset.  Redirects are
 * followed here, not by libcurl, so each hop can be checked against the
 * first URL's origin before anything (a bearer token) is sent to it.
 */
#include "compat.h"

#include <errno.h>
#include <pthread.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "buf.h"
#include "http.h"
#include "xmalloc.h"

#define HTTP_TIMEOUT_MS 30000L
#define HTTP_CONNECT_TIMEOUT_MS 10000L
#define HTTP_BACKOFF_MS 500L
#define HTTP_BACKOFF_MAX_MS 30000L
#define HTTP_MAX_BODY ((size_t)256 << 20)

struct http_client {
	struct http_opts o;
	CURL	*h;
	char	 ua[64];
};

struct sink {
	struct http_response *resp;
	size_t	 max;
	int	 too_big;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void
global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct http_client *
http_client_new(const struct http_opts *opts, struct tend_err *err)
{
	struct http_client *c;

	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK) {
		tend_err_set(err, TEND_EXIT_SYSTEM, "cannot initialise "
		    "libcurl: %s", curl_easy_strerror(global_rc));
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	if (opts != NULL)
		c->o = *opts;
	if (c->o.timeout_ms <= 0)
		c->o.timeout_ms = HTTP_TIMEOUT_MS;
	if (c->o.connect_timeout_ms <= 0)
		c->o.connect_timeout_ms = HTTP_CONNECT_TIMEOUT_MS;
	if (c->o.connect_timeout_ms > c->o.timeout_ms)
		c->o.connect_timeout_ms = c->o.timeout_ms;
	if (c->o.retries < 0)
		c->o.retries = 0;
	if (c->o.backoff_ms <= 0)
		c->o.backoff_ms = HTTP_BACKOFF_MS;
	if (c->o.backoff_max_ms <= 0)
		c->o.backoff_max_ms = HTTP_BACKOFF_MAX_MS;
	if (c->o.max_body == 0)
		c->o.max_body = HTTP_MAX_BODY;
	if (c->o.max_redirects < 0)
		c->o.max_redirects = 0;
	snprintf(c->ua, sizeof(c->ua), "tend/%s", TEND_VERSION);
	if ((c->h = curl_easy_init()) == NULL) {
		free(c);
		tend_err_set(err, TEND_EXIT_SYSTEM, "cannot initialise "
		    "libcurl");
		return NULL;
	}
	return c;
}

void
http_client_free(struct http_client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->h);
	free(c);
}

void
http_response_init(struct http_response *r)
{
	memset(r, 0, sizeof(*r));
}

void
http_response_release(struct http_response *r)
{
	buf_release(&r->body);
	buf_release(&r->headers);
	free(r->url);
	http_response_init(r);
}

void
http_query_escape(const char *s, size_t len, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			buf_addc(out, (char)c);
			continue;
		}
		buf_addc(out, '%');
		buf_addc(out, hex[c >> 4]);
		buf_addc(out, hex[c & 15]);
	}
}

static char *
url_part(CURLU *u, CURLUPart part)
{
	char *s = NULL;

	if (curl_url_get(u, part, &s, 0) != CURLUE_OK)
		return NULL;
	return s;
}

void
http_url_display(const char *url, struct buf *out)
{
	CURLU *u = curl_url();
	char *scheme, *host, *port, *path;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url,
	    CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
		buf_adds(out, "(invalid URL)");
		curl_url_cleanup(u);
		return;
	}
	scheme = url_part(u, CURLUPART_SCHEME);
	host = url_part(u, CURLUPART_HOST);
	port = url_part(u, CURLUPART_PORT);
	path = url_part(u, CURLUPART_PATH);
	buf_addf(out, "%s://%s", scheme ? scheme : "", host ? host : "");
	if (port != NULL)
		buf_addf(out, ":%s", port);
	buf_adds(out, path != NULL ? path : "/");
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
}

/* The origin (scheme://host:port, port always given) of url, or -1. */
static int
url_origin(const char *url, struct buf *out)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = -1;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url,
	    CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
		goto out;
	scheme = url_part(u, CURLUPART_SCHEME);
	host = url_part(u, CURLUPART_HOST);
	if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK)
		port = NULL;
	if (scheme == NULL || host == NULL)
		goto out;
	buf_addf(out, "%s://%s:%s", scheme, host, port ? port : "");
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

/* http or https, no userinfo: 0, or -1 with err. */
static int
url_check(const char *url, const char *shown, struct tend_err *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *user = NULL;
	int rc = -1;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url,
	    CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
		tend_err_set(err, TEND_EXIT_USAGE, "'%s' is not a URL", shown);
		goto out;
	}
	scheme = url_part(u, CURLUPART_SCHEME);
	if (scheme == NULL || (strcasecmp(scheme, "http") != 0 &&
	    strcasecmp(scheme, "https") != 0)) {
		tend_err_set(err, TEND_EXIT_USAGE, "%s: only http and https "
		    "URLs are supported", shown);
		goto out;
	}
	if ((user = url_part(u, CURLUPART_USER)) != NULL) {
		tend_err_set(err, TEND_EXIT_USAGE, "%s: credentials in a URL "
		    "are refused (they would show in process lists)", shown);
		goto out;
	}
	rc = 0;
out:
	curl_free(scheme);
	curl_free(user);
	curl_url_cleanup(u);
	return rc;
}

static size_t
on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct sink *s = ctx;

	n *= size;
	if (s->resp->body.len + n > s->max) {
		s->too_big = 1;
		return 0;
	}
	buf_add(&s->resp->body, p, n);
	return n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct sink *s = ctx;

	n *= size;
	/* a new status line starts a new response (100 Continue) */
	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0)
		buf_reset(&s->resp->headers);
	if (s->resp->headers.len + n > ((size_t)1 << 20))
		return 0;
	buf_add(&s->resp->headers, p, n);
	return n;
}

const char *
http_response_header(const struct http_response *r, const char *name,
    size_t *len)
{
	const char *p = r->headers.p, *end, *nl, *v;
	size_t nlen = strlen(name);

	if (p == NULL)
		return NULL;
	end = p + r->headers.len;
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((size_t)(nl - p) > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			v = p + nlen + 1;
			while (v < nl && (*v == ' ' || *v == '\t'))
				v++;
			*len = (size_t)(nl - v);
			while (*len > 0 && (v[*len - 1] == '\r' ||
			    v[*len - 1] == ' ' || v[*len - 1] == '\t'))
				(*len)--;
			return v;
		}
		if (nl == end)
			break;
	}
	return NULL;
}

/* Does one Link header value hold rel="next"?  Sets the target. */
static int
link_find_next(const char *p, const char *end, const char **t, size_t *tlen)
{
	while (p < end) {
		const char *lt, *gt, *q;
		int is_next = 0;

		while (p < end && (*p == ' ' || *p == ',' || *p == '\t'))
			p++;
		if (p >= end || *p != '<')
			return 0;
		lt = p + 1;
		if ((gt = memchr(lt, '>', (size_t)(end - lt))) == NULL)
			return 0;
		p = gt + 1;
		/* parameters up to the next ',' outside quotes */
		while (p < end && *p != ',') {
			while (p < end && (*p == ';' || *p == ' ' ||
			    *p == '\t'))
				p++;
			q = p;
			while (p < end && *p != '=' && *p != ';' && *p != ',')
				p++;
			if (p - q == 3 && strncasecmp(q, "rel", 3) == 0 &&
			    p < end && *p == '=') {
				const char *v = ++p, *ve;

				if (p < end && *p == '"') {
					v = ++p;
					while (p < end && *p != '"')
						p++;
					ve = p;
					if (p < end)
						p++;
				} else {
					while (p < end && *p != ';' &&
					    *p != ',')
						p++;
					ve = p;
				}
				/* rel is a space-separated list */
				while (v < ve) {
					const char *w = v;

					while (w < ve && *w != ' ')
						w++;
					if (w - v == 4 &&
					    strncasecmp(v, "next", 4) == 0)
						is_next = 1;
					v = w + 1;
				}
				continue;
			}
			if (p < end && *p == '=') {
				p++;
				if (p < end && *p == '"') {
					p++;
					while (p < end && *p != '"')
						p++;
					if (p < end)
						p++;
				}
				while (p < end && *p != ';' && *p != ',')
					p++;
			}
		}
		if (is_next) {
			*t = lt;
			*tlen = (size_t)(gt - lt);
			return 1;
		}
	}
	return 0;
}

int
http_link_next(const struct http_response *r, struct buf *next)
{
	const char *p = r->headers.p, *end, *nl, *t = NULL;
	size_t tlen = 0;
	CURLU *u;
	char *target, *abs = NULL;
	int found = 0;

	if (p == NULL)
		return 0;
	end = p + r->headers.len;
	for (; p < end && !found; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl - p > 5 && strncasecmp(p, "link:", 5) == 0)
			found = link_find_next(p + 5, nl, &t, &tlen);
	}
	if (!found)
		return 0;
	target = xstrndup(t, tlen);
	if ((u = curl_url()) != NULL && curl_url_set(u, CURLUPART_URL,
	    r->url != NULL ? r->url : "", 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, target, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &abs, 0) == CURLUE_OK) {
		buf_adds(next, abs);
		curl_free(abs);
	} else
		found = 0;
	curl_url_cleanup(u);
	free(target);
	return found;
}

static int
retryable_status(long st)
{
	return st == 429 || st == 408 || (st >= 500 && st <= 599 &&
	    st != 501 && st != 505);
}

static int
retryable_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

static int
method_retryable(const struct http_request *rq)
{
	const char *m = rq->method != NULL ? rq->method : "GET";

	return rq->idempotent || strcmp(m, "GET") == 0 ||
	    strcmp(m, "HEAD") == 0 || strcmp(m, "PUT") == 0 ||
	    strcmp(m, "DELETE") == 0 || strcmp(m, "OPTIONS") == 0;
}

/* Milliseconds to wait before attempt n (1-based retry). */
static long
backoff(const struct http_client *c, const struct http_response *r, int n)
{
	const char *v;
	size_t len;
	long ms = c->o.backoff_ms;
	int i;

	if ((v = http_response_header(r, "retry-after", &len)) != NULL &&
	    len > 0 && len < 64) {
		char tmp[64], *end;
		long long secs;
		time_t when;

		memcpy(tmp, v, len);
		tmp[len] = '\0';
		errno = 0;
		secs = strtoll(tmp, &end, 10);
		if (end != tmp && *end == '\0' && errno == 0 && secs >= 0)
			ms = secs > c->o.backoff_max_ms / 1000 ?
			    c->o.backoff_max_ms : (long)secs * 1000;
		else if ((when = curl_getdate(tmp, NULL)) != -1) {
			time_t now = time(NULL);

			ms = when <= now ? 0 : (when - now) * 1000L;
		}
		return ms > c->o.backoff_max_ms ? c->o.backoff_max_ms : ms;
	}
	for (i = 1; i < n && ms < c->o.backoff_max_ms; i++)
		ms *= 2;
	if (ms > c->o.backoff_max_ms)
		ms = c->o.backoff_max_ms;
	return ms + (long)arc4random_uniform((uint32_t)(ms / 4 + 1));
}

static void
sleep_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static struct curl_slist *
build_headers(const struct http_request *rq, struct buf *tmp)
{
	struct curl_slist *l = NULL, *n;
	size_t i;

	for (i = 0; i < rq->nheaders; i++) {
		buf_reset(tmp);
		buf_addf(tmp, "%s: %s", rq->headers[i].name,
		    rq->headers[i].value);
		if ((n = curl_slist_append(l, tmp->p)) == NULL)
			goto oom;
		l = n;
	}
	if (rq->body != NULL) {
		buf_reset(tmp);
		buf_addf(tmp, "Content-Type: %s", rq->content_type != NULL ?
		    rq->content_type : "application/json");
		if ((n = curl_slist_append(l, tmp->p)) == NULL)
			goto oom;
		l = n;
	}
	if (rq->bearer != NULL) {
		buf_reset(tmp);
		buf_addf(tmp, "Authorization: Bearer %s", rq->bearer);
		n = curl_slist_append(l, tmp->p);
		sodium_memzero(tmp->p, tmp->len);
		if (n == NULL)
			goto oom;
		l = n;
	}
	buf_reset(tmp);
	return l;
oom:
	warnx("out of memory");
	exit(TEND_EXIT_SYSTEM);
}

static void
free_headers(struct curl_slist *l)
{
	struct curl_slist *p;

	/* the Authorization line is a secret */
	for (p = l; p != NULL; p = p->next)
		sodium_memzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

static void
set_tls(struct http_client *c)
{
	CURL *h = c->h;
	struct curl_blob b;

	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->o.insecure ? 0L : 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->o.insecure ? 0L : 2L);
	if (c->o.cacert != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->o.cacert);
	if (c->o.cacert_pem != NULL) {
		b.data = (void *)(uintptr_t)c->o.cacert_pem;
		b.len = c->o.cacert_pem_len;
		b.flags = CURL_BLOB_COPY;
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &b);
	}
	if (c->o.cert_file != NULL)
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->o.cert_file);
	if (c->o.key_file != NULL)
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->o.key_file);
	if (c->o.cert_pem != NULL) {
		b.data = (void *)(uintptr_t)c->o.cert_pem;
		b.len = c->o.cert_pem_len;
		b.flags = CURL_BLOB_COPY;
		curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &b);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (c->o.key_pem != NULL) {
		b.data = (void *)(uintptr_t)c->o.key_pem;
		b.len = c->o.key_pem_len;
		b.flags = CURL_BLOB_COPY;
		curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &b);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
}

/* One attempt.  Returns the curl code; the response is filled. */
static CURLcode
attempt(struct http_client *c, const struct http_request *rq,
    const char *url, struct curl_slist *hdrs, struct sink *s, char *errbuf)
{
	CURL *h = c->h;
	const char *m = rq->method != NULL ? rq->method : "GET";
	CURLcode rc;

	curl_easy_reset(h);
	buf_reset(&s->resp->body);
	buf_reset(&s->resp->headers);
	s->too_big = 0;
	errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->o.timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->o.connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->o.user_agent != NULL ?
	    c->o.user_agent : c->ua);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s->max);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	set_tls(c);
	if (rq->basic_user != NULL) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, rq->basic_user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, rq->basic_pass != NULL ?
		    rq->basic_pass : "");
	}
	if (strcmp(m, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (strcmp(m, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
	if (rq->body != NULL) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)rq->body_len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body);
	}
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &s->resp->status);
	/* the password is copied into the handle; drop it now */
	if (rq->basic_user != NULL)
		curl_easy_setopt(h, CURLOPT_PASSWORD, "");
	return rc;
}

int
http_do(struct http_client *c, const struct http_request *rq,
    struct http_response *resp, struct tend_err *err)
{
	struct buf shown = BUF_INIT, tmp = BUF_INIT, o1 = BUF_INIT,
	    o2 = BUF_INIT;
	struct curl_slist *hdrs = NULL;
	struct sink s;
	char errbuf[CURL_ERROR_SIZE], *url, *loc;
	int retries = 0, redirects = 0, rc = -1;
	CURLcode cc;

	http_response_release(resp);
	url = xstrdup(rq->url);
	http_url_display(url, &shown);
	if (url_check(url, shown.p, err) < 0)
		goto out;
	hdrs = build_headers(rq, &tmp);
	s.resp = resp;
	s.max = c->o.max_body;
	for (;;) {
		resp->attempts++;
		cc = attempt(c, rq, url, hdrs, &s, errbuf);
		if (s.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
			tend_err_set(err, TEND_EXIT_INPUT, "%s: response "
			    "larger than %zu bytes", shown.p, c->o.max_body);
			goto out;
		}
		if (cc != CURLE_OK) {
			if (retryable_curl(cc) && retries < c->o.retries &&
			    method_retryable(rq)) {
				sleep_ms(backoff(c, resp, ++retries));
				continue;
			}
			tend_err_set(err, TEND_EXIT_SYSTEM, "%s: %s", shown.p,
			    errbuf[0] != '\0' ? errbuf :
			    curl_easy_strerror(cc));
			goto out;
		}
		if (resp->status >= 300 && resp->status < 400 &&
		    c->o.max_redirects > 0 &&
		    curl_easy_getinfo(c->h, CURLINFO_REDIRECT_URL, &loc) ==
		    CURLE_OK && loc != NULL) {
			buf_reset(&o1);
			buf_reset(&o2);
			if (url_origin(url, &o1) < 0 ||
			    url_origin(loc, &o2) < 0 ||
			    strcmp(o1.p, o2.p) != 0) {
				buf_reset(&tmp);
				http_url_display(loc, &tmp);
				tend_err_set(err, TEND_EXIT_INPUT, "%s: "
				    "redirect to another origin refused: %s",
				    shown.p, tmp.p);
				goto out;
			}
			if (++redirects > c->o.max_redirects) {
				tend_err_set(err, TEND_EXIT_INPUT, "%s: more "
				    "than %d redirects", shown.p,
				    c->o.max_redirects);
				goto out;
			}
			free(url);
			url = xstrdup(loc);
			continue;
		}
		if (retryable_status(resp->status) &&
		    retries < c->o.retries && method_retryable(rq)) {
			sleep_ms(backoff(c, resp, ++retries));
			continue;
		}
		break;
	}
	resp->url = url;
	url = NULL;
	rc = 0;
out:
	free_headers(hdrs);
	free(url);
	buf_release(&shown);
	buf_release(&tmp);
	buf_release(&o1);
	buf_release(&o2);
	return rc;
}
