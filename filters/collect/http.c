/*
 * tend-collect http: GETs a JSON (or NDJSON) document, following
 * pagination by Link: <...>; rel="next", and takes its items: --items, or
 * an array's elements, an object's `items`, or the object.
 *
 * The bearer token comes from a file or an environment variable, never
 * from the command line, and is wiped from memory after the run.  The
 * scope of objects that are not Kubernetes objects is the URL's
 * host[:port]; data.source is the URL without its query.
 */
#include "compat.h"

#include <strings.h>

#include <curl/curl.h>
#include <sodium.h>

#include "collect.h"
#include "http.h"
#include "xmalloc.h"

#define HTTP_MAX_PAGES 100000

/* host[:port] of url (never credentials), or "_". */
void
url_scope(const char *url, struct buf *out)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		buf_adds(out, host);
		if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
			buf_addf(out, ":%s", port);
	} else
		buf_adds(out, "_");
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
}

/* --header 'Name: value' into name/value pairs, each in a copy split in
   place (net_headers_free). */
static struct http_header *
parse_headers(const struct strv *hv)
{
	struct http_header *h;
	size_t i;

	h = xcalloc(hv->n + 1, sizeof(*h));
	for (i = 0; i < hv->n; i++) {
		char *s = xstrdup(hv->v[i]), *colon = strchr(s, ':');
		char *v = colon + 1;

		*colon = '\0';
		while (*v == ' ' || *v == '\t')
			v++;
		h[i].name = s;
		h[i].value = v;
	}
	return h;
}

void
net_headers_free(struct http_header *h, size_t n)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < n; i++)
		free((void *)(uintptr_t)h[i].name);
	free(h);
}

int
net_request(struct collect *c, struct http_request *rq, struct buf *tok,
    struct http_header **hdrs)
{
	if (read_secret(c, tok) < 0)
		return -1;
	*hdrs = parse_headers(&c->headers);
	memset(rq, 0, sizeof(*rq));
	rq->headers = *hdrs;
	rq->nheaders = c->headers.n;
	rq->bearer = tok->len > 0 ? tok->p : NULL;
	return 0;
}

int
src_http(struct collect *c, int argc, char **argv)
{
	static const struct http_header accept[] = {
		{ "Accept", "application/json" },
	};
	struct http_opts o;
	struct http_request rq;
	struct http_response resp;
	struct http_client *h = NULL;
	struct http_header *hdrs = NULL, *all = NULL;
	struct tend_err err = { 0 };
	struct buf tok = BUF_INIT, url = BUF_INIT, next = BUF_INIT,
	    shown = BUF_INIT, scope = BUF_INIT;
	struct docsrc ds;
	size_t pages = 0, i;
	int rc = -1;

	if (argc != 1) {
		warnx("http: want one URL");
		cli_usage_error(&c->cli);
	}
	http_response_init(&resp);
	if (net_request(c, &rq, &tok, &hdrs) < 0)
		goto out;
	/* Accept: application/json unless --header says otherwise */
	for (i = 0; i < rq.nheaders; i++)
		if (strcasecmp(rq.headers[i].name, "accept") == 0)
			break;
	if (i == rq.nheaders) {
		all = xcalloc(rq.nheaders + 1, sizeof(*all));
		memcpy(all, rq.headers, rq.nheaders * sizeof(*all));
		all[rq.nheaders] = accept[0];
		rq.headers = all;
		rq.nheaders++;
	}
	memset(&o, 0, sizeof(o));
	o.max_redirects = 5;
	if ((h = collect_http_client(c, &o)) == NULL)
		goto out;
	url_scope(argv[0], &scope);
	buf_adds(&url, argv[0]);
	memset(&ds, 0, sizeof(ds));
	ds.provider = "http";
	ds.scope = scope.p;
	for (;;) {
		buf_reset(&shown);
		http_url_display(url.p, &shown);
		ds.name = ds.source = shown.p;
		collect_progress(c, "%s (%zu resources)", shown.p, c->emitted);
		rq.url = url.p;
		if (http_do(h, &rq, &resp, &err) < 0) {
			collect_progress_done(c);
			warnx("%s", err.msg);
			cli_fail(&c->cli, err.code);
			goto out;
		}
		if (resp.status < 200 || resp.status > 299) {
			collect_http_fail(c, &resp, shown.p);
			goto out;
		}
		if (collect_text(c, &ds, resp.body.p != NULL ? resp.body.p :
		    "", resp.body.len, shown.p, FMT_JSON) < 0)
			goto out;
		buf_reset(&next);
		if (!http_link_next(&resp, &next))
			break;
		if (strcmp(next.p, url.p) == 0 || ++pages >= HTTP_MAX_PAGES) {
			collect_progress_done(c);
			warnx("%s: pagination does not end", shown.p);
			cli_fail(&c->cli, TEND_EXIT_INPUT);
			goto out;
		}
		buf_reset(&url);
		buf_add(&url, next.p, next.len);
	}
	rc = 0;
out:
	if (tok.p != NULL)
		sodium_memzero(tok.p, tok.len);
	http_client_free(h);
	http_response_release(&resp);
	free(all);
	net_headers_free(hdrs, c->headers.n);
	buf_release(&tok);
	buf_release(&url);
	buf_release(&next);
	buf_release(&shown);
	buf_release(&scope);
	return rc;
}
