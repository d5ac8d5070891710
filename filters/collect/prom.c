/*
 * tend-collect prometheus: one instant query (/api/v1/query); each series
 * of the result is a resource of kind "series" named by its metric name
 * and its labels in name order, as PromQL writes them:
 *     up{instance="localhost:9090",job="prometheus"}
 * data.object is {"labels": {...}, "value": v, "time": "RFC 3339"}, v a
 * JSON number when Prometheus's value text is one, else the text ("NaN",
 * "+Inf").  A range vector (a query like up[5m]) gives "values": [{"time",
 * "value"}...] instead; a scalar or string result is one resource named
 * "scalar" or "string".
 *
 * An error the API reports (status "error") stops the run with its
 * message: 3 for a query it refuses (bad_data, execution), 4 when it is
 * unavailable, timed out or overloaded (5xx, 429).
 */
#include "compat.h"

#include <sodium.h>

#include "collect.h"
#include "http.h"
#include "json.h"
#include "rfc3339.h"
#include "xmalloc.h"

struct label {
	struct buf name;
	struct buf value;
};

static int
label_cmp(const void *a, const void *b)
{
	const struct label *x = a, *y = b;

	return strcmp(x->name.p, y->name.p);
}

static void
promql_str(const char *s, size_t len, struct buf *out)
{
	size_t i;

	buf_addc(out, '"');
	for (i = 0; i < len; i++) {
		if (s[i] == '\\' || s[i] == '"')
			buf_addc(out, '\\');
		if (s[i] == '\n') {
			buf_adds(out, "\\n");
			continue;
		}
		buf_addc(out, s[i]);
	}
	buf_addc(out, '"');
}

/* name{a="1",b="2"} from a metric object. */
static void
series_name(const struct json_doc *d, int64_t metric, struct buf *out)
{
	struct label *l = NULL;
	struct buf mname = BUF_INIT;
	uint32_t i, n, k = 0, cnt;

	cnt = metric >= 0 && d->tok[metric].type == JSON_OBJECT ?
	    d->tok[metric].size : 0;
	if (cnt > 0)
		l = xcalloc(cnt, sizeof(*l));
	for (i = (uint32_t)metric + 1, n = 0; n < cnt; n++) {
		uint32_t v = i + 1;

		if (d->tok[v].type == JSON_STRING) {
			if (json_str_eq(d, i, "__name__")) {
				json_str_decode(d, v, &mname);
			} else {
				json_str_decode(d, i, &l[k].name);
				json_str_decode(d, v, &l[k].value);
				if (l[k].name.p == NULL)
					buf_adds(&l[k].name, "");
				k++;
			}
		}
		i = json_next(d, v);
	}
	if (k > 0)
		qsort(l, k, sizeof(*l), label_cmp);
	if (mname.len > 0)
		buf_add(out, mname.p, mname.len);
	if (k > 0 || mname.len == 0) {
		buf_addc(out, '{');
		for (n = 0; n < k; n++) {
			if (n > 0)
				buf_addc(out, ',');
			buf_add(out, l[n].name.p, l[n].name.len);
			buf_addc(out, '=');
			promql_str(l[n].value.p, l[n].value.len, out);
		}
		buf_addc(out, '}');
	}
	for (n = 0; n < k; n++) {
		buf_release(&l[n].name);
		buf_release(&l[n].value);
	}
	free(l);
	buf_release(&mname);
}

/* A Prometheus timestamp (seconds, a JSON number) as RFC 3339. */
static int
prom_time(const struct json_doc *d, uint32_t t, struct buf *out)
{
	const char *raw;
	char tmp[40];
	size_t len, i = 0;
	int64_t sec = 0, frac = 0, scale = 100000000;
	int neg = 0;

	if (d->tok[t].type != JSON_NUMBER)
		return -1;
	raw = json_raw(d, t, &len);
	if (i < len && raw[i] == '-') {
		neg = 1;
		i++;
	}
	for (; i < len && raw[i] >= '0' && raw[i] <= '9'; i++) {
		if (sec > INT64_MAX / 10 / 1000000000)
			return -1;
		sec = sec * 10 + (raw[i] - '0');
	}
	if (i < len && raw[i] == '.')
		for (i++; i < len && raw[i] >= '0' && raw[i] <= '9'; i++) {
			frac += (raw[i] - '0') * scale;
			scale /= 10;
		}
	if (i != len) {
		double v = json_num(d, t);

		if (!(v > -9e9 && v < 9e9))
			return -1;
		sec = (int64_t)v;
		frac = (int64_t)((v - (double)sec) * 1e9);
		neg = 0;
	}
	len = rfc3339_format((neg ? -1 : 1) * (sec * 1000000000 + frac), tmp,
	    sizeof(tmp));
	buf_add_json_str(out, tmp, len);
	return 0;
}

/* Prometheus's [time, "value"] pair: "time":..,"value":.. members. */
static int
sample(const struct json_doc *d, int64_t pair, struct buf *out)
{
	struct json_doc v;
	struct tend_err err = { 0 };
	struct buf s = BUF_INIT;
	int64_t t, val;
	int rc = -1;

	if (pair < 0 || d->tok[pair].type != JSON_ARRAY ||
	    d->tok[pair].size != 2)
		return -1;
	t = json_arr_at(d, (uint32_t)pair, 0);
	val = json_arr_at(d, (uint32_t)pair, 1);
	if (d->tok[val].type != JSON_STRING)
		return -1;
	buf_adds(out, "\"value\":");
	json_str_decode(d, (uint32_t)val, &s);
	json_doc_init(&v);
	if (s.len > 0 && json_parse(&v, s.p, s.len, &err) == 0 &&
	    v.tok[0].type == JSON_NUMBER)
		buf_add(out, s.p, s.len);
	else {
		size_t len;
		const char *raw = json_raw(d, (uint32_t)val, &len);

		buf_add(out, raw, len);
	}
	json_doc_release(&v);
	buf_adds(out, ",\"time\":");
	rc = prom_time(d, (uint32_t)t, out);
	buf_release(&s);
	return rc;
}

struct promrun {
	struct collect *c;
	const char *scope;
	const char *source;
	const char *file;
};

static int
emit_series(struct promrun *p, const struct json_doc *d, int64_t r,
    int matrix)
{
	struct buf name = BUF_INIT, obj = BUF_INIT;
	struct observed o;
	int64_t metric, vals;
	const char *raw;
	size_t len;
	uint32_t i, n;
	int rc = 0;

	metric = d->tok[r].type == JSON_OBJECT ?
	    json_obj_get(d, (uint32_t)r, "metric") : -1;
	if (metric < 0 || d->tok[metric].type != JSON_OBJECT)
		return collect_bad(p->c, p->file, 1, "a result without a "
		    "metric object");
	series_name(d, metric, &name);
	raw = json_raw(d, (uint32_t)metric, &len);
	buf_adds(&obj, "{\"labels\":");
	buf_add(&obj, raw, len);
	if (!matrix) {
		buf_addc(&obj, ',');
		if (sample(d, json_obj_get(d, (uint32_t)r, "value"),
		    &obj) < 0) {
			rc = collect_bad(p->c, p->file, 1, "a vector result "
			    "without a [time, \"value\"] pair");
			goto out;
		}
	} else {
		vals = json_obj_get(d, (uint32_t)r, "values");
		if (vals < 0 || d->tok[vals].type != JSON_ARRAY) {
			rc = collect_bad(p->c, p->file, 1, "a matrix result "
			    "without values");
			goto out;
		}
		buf_adds(&obj, ",\"values\":[");
		for (i = (uint32_t)vals + 1, n = 0; n < d->tok[vals].size;
		    n++, i = json_next(d, i)) {
			buf_adds(&obj, n > 0 ? ",{" : "{");
			if (sample(d, i, &obj) < 0) {
				rc = collect_bad(p->c, p->file, 1, "a matrix "
				    "value that is not [time, \"value\"]");
				goto out;
			}
			buf_addc(&obj, '}');
		}
		buf_addc(&obj, ']');
	}
	buf_addc(&obj, '}');
	memset(&o, 0, sizeof(o));
	o.provider = "prometheus";
	o.scope = p->scope;
	o.kind = "series";
	o.name = name.p;
	o.source = p->source;
	o.object = obj.p;
	o.object_len = obj.len;
	rc = collect_emit(p->c, &o, p->file, 1);
out:
	buf_release(&name);
	buf_release(&obj);
	return rc;
}

static int
emit_single(struct promrun *p, const struct json_doc *d, int64_t r,
    const char *type)
{
	struct buf obj = BUF_INIT;
	struct observed o;
	int rc;

	buf_addc(&obj, '{');
	if (sample(d, r, &obj) < 0) {
		buf_release(&obj);
		return collect_bad(p->c, p->file, 1, "a %s result that is not "
		    "[time, \"value\"]", type);
	}
	buf_addc(&obj, '}');
	memset(&o, 0, sizeof(o));
	o.provider = "prometheus";
	o.scope = p->scope;
	o.kind = "series";
	o.name = type;
	o.source = p->source;
	o.object = obj.p;
	o.object_len = obj.len;
	rc = collect_emit(p->c, &o, p->file, 1);
	buf_release(&obj);
	return rc;
}

static int
api_error(struct collect *c, const struct json_doc *d, long status,
    const char *shown)
{
	struct buf type = BUF_INIT, msg = BUF_INIT;
	int64_t t;

	if ((t = json_obj_get(d, 0, "errorType")) >= 0 &&
	    d->tok[t].type == JSON_STRING)
		json_str_decode(d, (uint32_t)t, &type);
	if ((t = json_obj_get(d, 0, "error")) >= 0 &&
	    d->tok[t].type == JSON_STRING)
		json_str_decode(d, (uint32_t)t, &msg);
	collect_progress_done(c);
	warnx("%s: prometheus: %s%s%s", shown, type.len ? type.p : "error",
	    msg.len ? ": " : "", msg.len ? msg.p : "");
	cli_fail(&c->cli, status >= 500 || status == 429 ? TEND_EXIT_SYSTEM :
	    TEND_EXIT_INPUT);
	buf_release(&type);
	buf_release(&msg);
	return -1;
}

static int
handle(struct collect *c, const struct http_response *resp,
    struct promrun *p)
{
	struct json_doc d;
	struct tend_err err = { 0 };
	struct buf type = BUF_INIT;
	int64_t st, data, rt, res;
	uint32_t i, n;
	int rc = -1;

	json_doc_init(&d);
	if (resp->body.len == 0 || json_parse(&d, resp->body.p, resp->body.len,
	    &err) < 0 || d.tok[0].type != JSON_OBJECT ||
	    (st = json_obj_get(&d, 0, "status")) < 0) {
		if (resp->status < 200 || resp->status > 299)
			collect_http_fail(c, resp, p->file);
		else
			rc = collect_bad(c, p->file, 1, "not a Prometheus API "
			    "response: %s", err.msg[0] ? err.msg :
			    "no \"status\"");
		goto out;
	}
	if (!json_str_eq(&d, (uint32_t)st, "success")) {
		rc = api_error(c, &d, resp->status, p->file);
		goto out;
	}
	data = json_obj_get(&d, 0, "data");
	rt = data >= 0 && d.tok[data].type == JSON_OBJECT ?
	    json_obj_get(&d, (uint32_t)data, "resultType") : -1;
	res = data >= 0 && d.tok[data].type == JSON_OBJECT ?
	    json_obj_get(&d, (uint32_t)data, "result") : -1;
	if (rt < 0 || res < 0 || d.tok[rt].type != JSON_STRING) {
		rc = collect_bad(c, p->file, 1, "a response without "
		    "data.resultType and data.result");
		goto out;
	}
	json_str_decode(&d, (uint32_t)rt, &type);
	if (strcmp(type.p, "scalar") == 0 || strcmp(type.p, "string") == 0) {
		rc = emit_single(p, &d, res, type.p);
		goto out;
	}
	if ((strcmp(type.p, "vector") != 0 && strcmp(type.p, "matrix") != 0) ||
	    d.tok[res].type != JSON_ARRAY) {
		rc = collect_bad(c, p->file, 1, "unknown result type '%s'",
		    type.p);
		goto out;
	}
	rc = 0;
	for (i = (uint32_t)res + 1, n = 0; n < d.tok[res].size && rc == 0;
	    n++, i = json_next(&d, i))
		rc = emit_series(p, &d, i, type.p[0] == 'm');
out:
	buf_release(&type);
	json_doc_release(&d);
	return rc;
}

int
src_prometheus(struct collect *c, int argc, char **argv)
{
	struct http_opts o;
	struct http_request rq;
	struct http_response resp;
	struct http_client *h = NULL;
	struct http_header *hdrs = NULL;
	struct tend_err err = { 0 };
	struct buf tok = BUF_INIT, url = BUF_INIT, shown = BUF_INIT,
	    scope = BUF_INIT;
	struct promrun p;
	size_t len;
	int64_t ns;
	int rc = -1;

	if (argc != 2) {
		warnx("prometheus: want a URL and a query");
		cli_usage_error(&c->cli);
	}
	if (c->prom_time != NULL && rfc3339_parse(c->prom_time,
	    strlen(c->prom_time), &ns) < 0) {
		char *end;

		(void)strtod(c->prom_time, &end);
		if (end == c->prom_time || *end != '\0') {
			warnx("--time '%s': want RFC 3339 or Unix seconds",
			    c->prom_time);
			cli_usage_error(&c->cli);
		}
	}
	http_response_init(&resp);
	if (net_request(c, &rq, &tok, &hdrs) < 0)
		goto out;
	len = strlen(argv[0]);
	while (len > 0 && argv[0][len - 1] == '/')
		len--;
	buf_add(&url, argv[0], len);
	buf_adds(&url, "/api/v1/query?query=");
	http_query_escape(argv[1], strlen(argv[1]), &url);
	if (c->prom_time != NULL) {
		buf_adds(&url, "&time=");
		http_query_escape(c->prom_time, strlen(c->prom_time), &url);
	}
	http_url_display(url.p, &shown);
	url_scope(argv[0], &scope);
	memset(&o, 0, sizeof(o));
	o.max_redirects = 5;
	if ((h = collect_http_client(c, &o)) == NULL)
		goto out;
	rq.url = url.p;
	collect_progress(c, "querying %s", shown.p);
	if (http_do(h, &rq, &resp, &err) < 0) {
		collect_progress_done(c);
		warnx("%s", err.msg);
		cli_fail(&c->cli, err.code);
		goto out;
	}
	p.c = c;
	p.scope = c->scope != NULL ? c->scope : scope.p;
	p.source = shown.p;
	p.file = shown.p;
	rc = handle(c, &resp, &p);
out:
	if (tok.p != NULL)
		sodium_memzero(tok.p, tok.len);
	http_client_free(h);
	http_response_release(&resp);
	net_headers_free(hdrs, c->headers.n);
	buf_release(&tok);
	buf_release(&url);
	buf_release(&shown);
	buf_release(&scope);
	return rc;
}
