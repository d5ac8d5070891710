/*
 * tend-collect prometheus: what one Prometheus server runs and sees, in
 * up to five views, written in this order, each sorted by resource name
 * (byte order) so that the same server state gives the same bytes:
 *
 *   query        an instant query (/api/v1/query); each series of the
 *                result is a resource of kind "series" (--kind) named by
 *                its metric name and its labels in name order, as PromQL
 *                writes them:
 *                    up{instance="localhost:9090",job="prometheus"}
 *                data.object is {"labels": {...}, "value": v, "time":
 *                "RFC 3339"}, v a JSON number when Prometheus's value
 *                text is one, else the text ("NaN", "+Inf").  A range
 *                vector (up[5m]) gives "values": [{"time", "value"}...]
 *                instead; a scalar or string result is one resource
 *                named "scalar" or "string".
 *   --targets    the active scrape targets (/api/v1/targets): kind
 *                "target", named job/instance, the API's object as it is.
 *   --rules      the loaded rules (/api/v1/rules): kind "rulefile", one
 *                per rule file, named by its path, in the rule-file form
 *                (what one writes in the YAML file) plus the live-only
 *                members health, state and lastError.
 *   --rule-file  a rule file read from disk, in the same form, so that
 *                a file and what Prometheus loaded from it normalise to
 *                the same spec.
 *   --alerts     the active alerts (/api/v1/alerts): kind "alert", named
 *                alertname{labels}, the API's object as it is.
 *
 * An error the API reports (status "error") stops the run with its
 * message: 3 for a request it refuses (bad_data, execution), 4 when it is
 * unavailable, timed out or overloaded (5xx, 429) or refuses the
 * credentials (401, 403).
 */
#include "compat.h"

#include <math.h>
#include <stdarg.h>

#include <sodium.h>
#include <yaml.h>

#include "collect.h"
#include "http.h"
#include "json.h"
#include "rfc3339.h"
#include "xmalloc.h"
#include "yaml2json.h"

#define RULE_FILE_MAX	(64 << 20)
/* model.Duration is int64 nanoseconds: the longest duration, in ms */
#define DURATION_MAX_MS	(INT64_MAX / 1000000)

struct label {
	struct buf name;
	struct buf value;
};

/* One resource of a view, kept until the view is complete and sorted. */
struct pend {
	char	*name;
	char	*obj;
	size_t	 objlen;
	size_t	 seq;
	const char *source;
	const char *file;	/* for messages */
};

struct view {
	struct pend *v;
	size_t	 n;
};

struct promrun {
	struct collect *c;
	const char *scope;
	const char *base;	/* the URL, without trailing slashes */
	size_t	 baselen;
	struct http_client *h;
	struct http_request rq;
	/* of the request in flight */
	const char *source;
	const char *file;
};

/* A response of the API, parsed; d refers to resp's body. */
struct fetch {
	struct http_response resp;
	struct json_doc d;
	struct buf url;
	struct buf shown;
	int64_t	 data;
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

/* name{a="1",b="2"} from a labels object, the label namekey as the name
   in front ("__name__" for series, "alertname" for alerts). */
static void
series_name(const struct json_doc *d, int64_t metric, const char *namekey,
    struct buf *out)
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
			if (json_str_eq(d, i, namekey)) {
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

/*
 * Durations.  Prometheus writes them (model.Duration.String) largest unit
 * first, years and weeks only when they divide the duration exactly, and
 * reads them (model.ParseDuration) as [0-9]+ with a unit, the units in
 * the order y w d h m s ms, each at most once, or "0".
 */
static const struct {
	const char *unit;
	int64_t	 ms;
	int	 exact;
} dur_units[] = {
	{ "y", 365LL * 24 * 3600 * 1000, 1 },
	{ "w", 7LL * 24 * 3600 * 1000, 1 },
	{ "d", 24LL * 3600 * 1000, 0 },
	{ "h", 3600LL * 1000, 0 },
	{ "m", 60LL * 1000, 0 },
	{ "s", 1000, 0 },
	{ "ms", 1, 0 },
};

static void
duration_str(int64_t ms, struct buf *out)
{
	size_t i;
	int64_t v;

	if (ms == 0) {
		buf_adds(out, "0s");
		return;
	}
	for (i = 0; i < ARRAY_SIZE(dur_units); i++) {
		if (dur_units[i].exact && ms % dur_units[i].ms != 0)
			continue;
		if ((v = ms / dur_units[i].ms) > 0) {
			buf_addf(out, "%lld%s", (long long)v,
			    dur_units[i].unit);
			ms -= v * dur_units[i].ms;
		}
	}
}

/* 0 with *ms, or -1 if s[0..len) is not a Prometheus duration. */
static int
duration_parse(const char *s, size_t len, int64_t *ms)
{
	size_t i = 0, u, next = 0, ul, dl;
	int64_t v, total = 0;

	if (len == 1 && s[0] == '0') {
		*ms = 0;
		return 0;
	}
	if (len == 0)
		return -1;
	while (i < len) {
		for (v = 0, dl = 0; i < len && s[i] >= '0' && s[i] <= '9';
		    i++, dl++) {
			if (v > (INT64_MAX - 9) / 10)
				return -1;
			v = v * 10 + (s[i] - '0');
		}
		for (ul = 0; i + ul < len && s[i + ul] >= 'a' &&
		    s[i + ul] <= 'z'; ul++)
			;
		if (dl == 0 || ul == 0)
			return -1;
		for (u = next; u < ARRAY_SIZE(dur_units); u++)
			if (strlen(dur_units[u].unit) == ul &&
			    memcmp(dur_units[u].unit, s + i, ul) == 0)
				break;
		if (u == ARRAY_SIZE(dur_units))
			return -1;
		if (v > (DURATION_MAX_MS - total) / dur_units[u].ms)
			return -1;
		total += v * dur_units[u].ms;
		next = u + 1;
		i += ul;
	}
	*ms = total;
	return 0;
}

/* Seconds as a JSON number, as Go writes a float64: 60, 1.5, 0.001. */
static void
seconds_str(int64_t ms, struct buf *out)
{
	char frac[8];
	size_t n;

	buf_addf(out, "%lld", (long long)(ms / 1000));
	if (ms % 1000 == 0)
		return;
	snprintf(frac, sizeof(frac), "%03lld", (long long)(ms % 1000));
	for (n = 3; frac[n - 1] == '0'; n--)
		;
	buf_addc(out, '.');
	buf_add(out, frac, n);
}

/*
 * Views.  Resources wait in a view until it is complete, then go out
 * sorted by name: the API's order is its own (a map's, for targets).
 */
static void
view_add(struct view *v, struct buf *name, struct buf *obj,
    const char *source, const char *file)
{
	struct pend *p;

	v->v = xreallocarray(v->v, v->n + 1, sizeof(*v->v));
	p = &v->v[v->n];
	p->name = name->p != NULL ? name->p : xstrdup("");
	p->obj = obj->p != NULL ? obj->p : xstrdup("");
	p->objlen = obj->len;
	p->seq = v->n++;
	p->source = source;
	p->file = file;
	buf_init(name);
	buf_init(obj);
}

static int
pend_cmp(const void *a, const void *b)
{
	const struct pend *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
view_clear(struct view *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		free(v->v[i].name);
		free(v->v[i].obj);
	}
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

static int
view_emit(struct promrun *p, struct view *v, const char *kind)
{
	struct observed o;
	size_t i;
	int rc = 0;

	if (v->n > 1)
		qsort(v->v, v->n, sizeof(*v->v), pend_cmp);
	for (i = 0; i < v->n && rc == 0; i++) {
		memset(&o, 0, sizeof(o));
		o.provider = "prometheus";
		o.scope = p->scope;
		o.kind = kind;
		o.name = v->v[i].name;
		o.source = v->v[i].source;
		o.object = v->v[i].obj;
		o.object_len = v->v[i].objlen;
		rc = collect_emit(p->c, &o, v->v[i].file, 1);
	}
	view_clear(v);
	return rc;
}

/* Member key of object o when it is a non-empty string, decoded into
   out; -1 if not. */
static int
str_member(const struct json_doc *d, int64_t o, const char *key,
    struct buf *out)
{
	int64_t t;

	if (o < 0 || d->tok[o].type != JSON_OBJECT)
		return -1;
	t = json_obj_get(d, (uint32_t)o, key);
	if (t < 0 || d->tok[t].type != JSON_STRING || d->tok[t].len == 0)
		return -1;
	json_str_decode(d, (uint32_t)t, out);
	return 0;
}

/* Member key of o if it has type type, else -1. */
static int64_t
typed_member(const struct json_doc *d, int64_t o, const char *key,
    enum json_type type)
{
	int64_t t;

	if (o < 0 || d->tok[o].type != JSON_OBJECT)
		return -1;
	t = json_obj_get(d, (uint32_t)o, key);
	return t >= 0 && d->tok[t].type == type ? t : -1;
}

/* Appends ,"key": and the raw JSON of token t. */
static void
add_raw(struct buf *out, const char *key, const struct json_doc *d,
    int64_t t)
{
	const char *raw;
	size_t len;

	raw = json_raw(d, (uint32_t)t, &len);
	buf_addf(out, ",\"%s\":", key);
	buf_add(out, raw, len);
}

/* The query view. */

static int
add_series(struct promrun *p, const struct json_doc *d, int64_t r,
    int matrix, struct view *v)
{
	struct buf name = BUF_INIT, obj = BUF_INIT;
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
	series_name(d, metric, "__name__", &name);
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
	view_add(v, &name, &obj, p->source, p->file);
out:
	buf_release(&name);
	buf_release(&obj);
	return rc;
}

static int
add_single(struct promrun *p, const struct json_doc *d, int64_t r,
    const char *type, struct view *v)
{
	struct buf name = BUF_INIT, obj = BUF_INIT;

	buf_addc(&obj, '{');
	if (sample(d, r, &obj) < 0) {
		buf_release(&obj);
		return collect_bad(p->c, p->file, 1, "a %s result that is not "
		    "[time, \"value\"]", type);
	}
	buf_addc(&obj, '}');
	buf_adds(&name, type);
	view_add(v, &name, &obj, p->source, p->file);
	return 0;
}

static int
query_view(struct promrun *p, const struct json_doc *d, int64_t data,
    struct view *v)
{
	struct buf type = BUF_INIT;
	int64_t rt, res;
	uint32_t i, n;
	int rc;

	rt = typed_member(d, data, "resultType", JSON_STRING);
	res = data >= 0 && d->tok[data].type == JSON_OBJECT ?
	    json_obj_get(d, (uint32_t)data, "result") : -1;
	if (rt < 0 || res < 0)
		return collect_bad(p->c, p->file, 1, "a response without "
		    "data.resultType and data.result");
	json_str_decode(d, (uint32_t)rt, &type);
	if (strcmp(type.p, "scalar") == 0 || strcmp(type.p, "string") == 0) {
		rc = add_single(p, d, res, type.p, v);
		goto out;
	}
	if ((strcmp(type.p, "vector") != 0 && strcmp(type.p, "matrix") != 0) ||
	    d->tok[res].type != JSON_ARRAY) {
		rc = collect_bad(p->c, p->file, 1, "unknown result type '%s'",
		    type.p);
		goto out;
	}
	rc = 0;
	for (i = (uint32_t)res + 1, n = 0; n < d->tok[res].size && rc == 0;
	    n++, i = json_next(d, i))
		rc = add_series(p, d, i, type.p[0] == 'm', v);
out:
	buf_release(&type);
	return rc;
}

/* The targets view. */

static int
targets_view(struct promrun *p, const struct json_doc *d, int64_t data,
    struct view *v)
{
	struct buf name = BUF_INIT, obj = BUF_INIT;
	int64_t at, labels;
	const char *raw;
	size_t len;
	uint32_t i, n;
	int rc = 0;

	if ((at = typed_member(d, data, "activeTargets", JSON_ARRAY)) < 0)
		return collect_bad(p->c, p->file, 1, "a targets response "
		    "without a data.activeTargets list");
	for (i = (uint32_t)at + 1, n = 0; n < d->tok[at].size && rc == 0;
	    n++, i = json_next(d, i)) {
		if (d->tok[i].type != JSON_OBJECT) {
			rc = collect_bad(p->c, p->file, 1, "target %u is not "
			    "an object", n + 1);
			continue;
		}
		buf_reset(&name);
		labels = typed_member(d, i, "labels", JSON_OBJECT);
		/* job/instance: a target without them (relabelled away) is
		   still one scrape pool and URL */
		if (str_member(d, labels, "job", &name) < 0 &&
		    str_member(d, i, "scrapePool", &name) < 0) {
			rc = collect_bad(p->c, p->file, 1, "target %u has "
			    "neither labels.job nor scrapePool", n + 1);
			continue;
		}
		buf_addc(&name, '/');
		if (str_member(d, labels, "instance", &name) < 0 &&
		    str_member(d, i, "scrapeUrl", &name) < 0) {
			rc = collect_bad(p->c, p->file, 1, "target %u has "
			    "neither labels.instance nor scrapeUrl", n + 1);
			continue;
		}
		raw = json_raw(d, i, &len);
		buf_reset(&obj);
		buf_add(&obj, raw, len);
		view_add(v, &name, &obj, p->source, p->file);
	}
	buf_release(&name);
	buf_release(&obj);
	return rc;
}

/* The rules view. */

/* A duration member (seconds, a number) as "key":"DUR" when above 0. */
static int
add_api_duration(const struct json_doc *d, int64_t r, const char *member,
    const char *key, struct buf *out)
{
	int64_t t = json_obj_get(d, (uint32_t)r, member);
	double s;
	int64_t ms;

	if (t < 0 || d->tok[t].type == JSON_NULL)
		return 0;
	if (d->tok[t].type != JSON_NUMBER)
		return -1;
	s = json_num(d, (uint32_t)t);
	if (!(s >= 0 && s * 1000 < (double)DURATION_MAX_MS))
		return -1;
	/* model.Duration counts whole ms: the API's float64 seconds of one
	   are 0.1 for 100 ms, which is 100.00000000000001 times 1000 */
	if ((ms = llround(s * 1000)) == 0)
		return 0;
	buf_addf(out, ",\"%s\":\"", key);
	duration_str(ms, out);
	buf_addc(out, '"');
	return 0;
}

/* A bad response item: -1 to stop, 1 when --keep-going goes on. */
static int
api_bad(struct promrun *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
api_bad(struct promrun *p, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return collect_bad(p->c, p->file, 1, "%s", msg) < 0 ? -1 : 1;
}

/* A rule of the API in the rule-file form, with the live-only members:
   0, or what api_bad returns. */
static int
api_rule(struct promrun *p, const struct json_doc *d, uint32_t r,
    const char *group, uint32_t idx, struct buf *out)
{
	int64_t type, name, query, t;
	int alerting;

	if (d->tok[r].type != JSON_OBJECT)
		return api_bad(p, "group '%.80s': rule %u is not an object",
		    group, idx + 1);
	type = typed_member(d, r, "type", JSON_STRING);
	name = typed_member(d, r, "name", JSON_STRING);
	query = typed_member(d, r, "query", JSON_STRING);
	if (type < 0 || name < 0 || query < 0 || d->tok[name].len == 0)
		return api_bad(p, "group '%.80s': rule %u has no type, name "
		    "or query", group, idx + 1);
	if (json_str_eq(d, (uint32_t)type, "alerting"))
		alerting = 1;
	else if (json_str_eq(d, (uint32_t)type, "recording"))
		alerting = 0;
	else
		return api_bad(p, "group '%.80s': rule %u is neither "
		    "alerting nor recording", group, idx + 1);
	buf_adds(out, alerting ? "{\"alert\":" : "{\"record\":");
	buf_add(out, d->src + d->tok[name].off - 1, d->tok[name].len + 2);
	add_raw(out, "expr", d, query);
	if (alerting &&
	    (add_api_duration(d, r, "duration", "for", out) < 0 ||
	    add_api_duration(d, r, "keepFiringFor", "keep_firing_for",
	    out) < 0))
		return api_bad(p, "group '%.80s': rule %u: a duration that is "
		    "not a number of seconds", group, idx + 1);
	if ((t = typed_member(d, r, "labels", JSON_OBJECT)) >= 0 &&
	    d->tok[t].size > 0)
		add_raw(out, "labels", d, t);
	if (alerting && (t = typed_member(d, r, "annotations",
	    JSON_OBJECT)) >= 0 && d->tok[t].size > 0)
		add_raw(out, "annotations", d, t);
	if ((t = typed_member(d, r, "health", JSON_STRING)) >= 0)
		add_raw(out, "health", d, t);
	if (alerting && (t = typed_member(d, r, "state", JSON_STRING)) >= 0)
		add_raw(out, "state", d, t);
	if ((t = typed_member(d, r, "lastError", JSON_STRING)) >= 0 &&
	    d->tok[t].len > 0)
		add_raw(out, "lastError", d, t);
	buf_addc(out, '}');
	return 0;
}

struct apigroup {
	uint32_t tok;
	size_t	 seq;
	struct buf file;
	struct buf name;
};

static int
apigroup_cmp(const void *a, const void *b)
{
	const struct apigroup *x = a, *y = b;
	int c = strcmp(x->file.p, y->file.p);

	if (c != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* One rule file's groups, g[0..n), in the rule-file form: 0, or -1. */
static int
api_rulefile(struct promrun *p, const struct json_doc *d,
    const struct apigroup *g, size_t n, struct view *v)
{
	struct buf name = BUF_INIT, obj = BUF_INIT;
	int64_t rules, iv;
	uint32_t r, k;
	size_t i;
	int rc = 0;

	buf_adds(&obj, "{\"file\":");
	buf_add_json_str(&obj, g[0].file.p, g[0].file.len);
	buf_adds(&obj, ",\"groups\":[");
	for (i = 0; i < n && rc == 0; i++) {
		buf_adds(&obj, i > 0 ? ",{\"name\":" : "{\"name\":");
		buf_add_json_str(&obj, g[i].name.p, g[i].name.len);
		if ((iv = typed_member(d, g[i].tok, "interval",
		    JSON_NUMBER)) >= 0)
			add_raw(&obj, "interval", d, iv);
		buf_adds(&obj, ",\"rules\":[");
		rules = json_obj_get(d, g[i].tok, "rules");
		for (r = (uint32_t)rules + 1, k = 0; k < d->tok[rules].size &&
		    rc == 0; k++, r = json_next(d, r)) {
			if (k > 0)
				buf_addc(&obj, ',');
			rc = api_rule(p, d, r, g[i].name.p, k, &obj);
		}
		buf_adds(&obj, "]}");
	}
	buf_adds(&obj, "]}");
	/* a bad rule (--keep-going) leaves out its whole file: a part of it
	   would show drift that is not there */
	if (rc == 0) {
		buf_add(&name, g[0].file.p, g[0].file.len);
		view_add(v, &name, &obj, p->source, p->file);
	}
	buf_release(&name);
	buf_release(&obj);
	return rc < 0 ? -1 : 0;
}

static int
rules_view(struct promrun *p, const struct json_doc *d, int64_t data,
    struct view *v)
{
	struct apigroup *g = NULL;
	int64_t groups;
	uint32_t i, n;
	size_t ng = 0, k, j;
	int rc = 0;

	if ((groups = typed_member(d, data, "groups", JSON_ARRAY)) < 0)
		return collect_bad(p->c, p->file, 1, "a rules response "
		    "without a data.groups list");
	if (d->tok[groups].size > 0)
		g = xcalloc(d->tok[groups].size, sizeof(*g));
	for (i = (uint32_t)groups + 1, n = 0; n < d->tok[groups].size &&
	    rc == 0; n++, i = json_next(d, i)) {
		buf_reset(&g[ng].file);
		buf_reset(&g[ng].name);
		if (str_member(d, i, "file", &g[ng].file) < 0 ||
		    str_member(d, i, "name", &g[ng].name) < 0 ||
		    typed_member(d, i, "rules", JSON_ARRAY) < 0) {
			rc = collect_bad(p->c, p->file, 1, "rule group %u "
			    "has no name, file or rules list", n + 1);
			continue;
		}
		g[ng].tok = i;
		g[ng].seq = ng;
		ng++;
	}
	/* the API lists groups by file then name; files are the resources,
	   their groups keep the API's order */
	if (rc == 0 && ng > 1)
		qsort(g, ng, sizeof(*g), apigroup_cmp);
	for (k = 0; k < ng && rc == 0; k = j) {
		for (j = k + 1; j < ng && strcmp(g[j].file.p,
		    g[k].file.p) == 0; j++)
			;
		rc = api_rulefile(p, d, g + k, j - k, v);
	}
	for (n = 0; n < d->tok[groups].size; n++) {
		buf_release(&g[n].file);
		buf_release(&g[n].name);
	}
	free(g);
	return rc;
}

/* The alerts view. */

static int
alerts_view(struct promrun *p, const struct json_doc *d, int64_t data,
    struct view *v)
{
	struct buf name = BUF_INIT, obj = BUF_INIT;
	int64_t alerts, labels;
	const char *raw;
	size_t len;
	uint32_t i, n;
	int rc = 0;

	if ((alerts = typed_member(d, data, "alerts", JSON_ARRAY)) < 0)
		return collect_bad(p->c, p->file, 1, "an alerts response "
		    "without a data.alerts list");
	for (i = (uint32_t)alerts + 1, n = 0; n < d->tok[alerts].size &&
	    rc == 0; n++, i = json_next(d, i)) {
		if ((labels = typed_member(d, i, "labels", JSON_OBJECT)) < 0) {
			rc = collect_bad(p->c, p->file, 1, "alert %u has no "
			    "labels object", n + 1);
			continue;
		}
		buf_reset(&name);
		series_name(d, labels, "alertname", &name);
		raw = json_raw(d, i, &len);
		buf_reset(&obj);
		buf_add(&obj, raw, len);
		view_add(v, &name, &obj, p->source, p->file);
	}
	buf_release(&name);
	buf_release(&obj);
	return rc;
}

/* Requests and the API's envelope. */

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
	/* as collect_http_fail: a refused credential is not the input's */
	cli_fail(&c->cli, status >= 500 || status == 429 || status == 401 ||
	    status == 403 || status == 408 ? TEND_EXIT_SYSTEM :
	    TEND_EXIT_INPUT);
	buf_release(&type);
	buf_release(&msg);
	return -1;
}

static void
fetch_init(struct fetch *f)
{
	http_response_init(&f->resp);
	json_doc_init(&f->d);
	buf_init(&f->url);
	buf_init(&f->shown);
	f->data = -1;
}

static void
fetch_release(struct fetch *f)
{
	http_response_release(&f->resp);
	json_doc_release(&f->d);
	buf_release(&f->url);
	buf_release(&f->shown);
}

/*
 * GETs the API path (and query) and checks the envelope: 0 with f->data
 * the data member's token (-1 if none), 1 when the response is bad and
 * --keep-going goes on, -1 reported.
 */
static int
fetch(struct promrun *p, const char *path, const char *query,
    struct fetch *f)
{
	struct collect *c = p->c;
	struct tend_err err = { 0 };
	int64_t st;
	int rc;

	buf_add(&f->url, p->base, p->baselen);
	buf_adds(&f->url, path);
	if (query != NULL)
		buf_adds(&f->url, query);
	http_url_display(f->url.p, &f->shown);
	p->source = p->file = f->shown.p;
	p->rq.url = f->url.p;
	collect_progress(c, "querying %s", f->shown.p);
	if (http_do(p->h, &p->rq, &f->resp, &err) < 0) {
		collect_progress_done(c);
		warnx("%s", err.msg);
		cli_fail(&c->cli, err.code);
		return -1;
	}
	if (f->resp.body.len == 0 || json_parse(&f->d, f->resp.body.p,
	    f->resp.body.len, &err) < 0 || f->d.tok[0].type != JSON_OBJECT ||
	    (st = json_obj_get(&f->d, 0, "status")) < 0) {
		if (f->resp.status < 200 || f->resp.status > 299) {
			collect_http_fail(c, &f->resp, f->shown.p);
			return -1;
		}
		rc = collect_bad(c, f->shown.p, 1, "not a Prometheus API "
		    "response: %s", err.msg[0] ? err.msg : "no \"status\"");
		return rc < 0 ? -1 : 1;
	}
	if (!json_str_eq(&f->d, (uint32_t)st, "success"))
		return api_error(c, &f->d, f->resp.status, f->shown.p);
	f->data = json_obj_get(&f->d, 0, "data");
	return 0;
}

typedef int view_fn(struct promrun *, const struct json_doc *, int64_t,
    struct view *);

static int
api_view(struct promrun *p, const char *path, const char *query,
    view_fn *fn, const char *kind)
{
	struct fetch f;
	struct view v = { NULL, 0 };
	int rc;

	fetch_init(&f);
	rc = fetch(p, path, query, &f);
	if (rc == 0)
		rc = fn(p, &f.d, f.data, &v);
	if (rc == 0)
		rc = view_emit(p, &v, kind);
	view_clear(&v);
	fetch_release(&f);
	return rc < 0 ? -1 : 0;
}

/*
 * Rule files on disk.  Prometheus loads a file into groups of rules
 * (rulefmt); this writes them as --rules writes what it loaded: groups in
 * name order (the API lists them so), durations in Prometheus's own text,
 * empty maps and zero durations left out, label values as strings.
 */

struct rulefile {
	struct promrun *p;
	const char *path;	/* the file read */
	const char *text;
	size_t	 len;
	int	 yaml;
	const struct json_doc *d;
};

/* YAML mapping member key of m, and its key node; NULL if none. */
static yaml_node_t *
ymap_get(yaml_document_t *doc, yaml_node_t *m, const char *key,
    yaml_node_t **kn)
{
	yaml_node_pair_t *pr;
	yaml_node_t *k;
	size_t len = strlen(key);

	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (pr = m->data.mapping.pairs.start;
	    pr < m->data.mapping.pairs.top; pr++) {
		k = yaml_document_get_node(doc, pr->key);
		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    k->data.scalar.length == len &&
		    memcmp(k->data.scalar.value, key, len) == 0) {
			*kn = k;
			return yaml_document_get_node(doc, pr->value);
		}
	}
	return NULL;
}

static yaml_node_t *
yseq_at(yaml_document_t *doc, yaml_node_t *s, long i)
{
	if (s == NULL || s->type != YAML_SEQUENCE_NODE || i < 0 ||
	    i >= s->data.sequence.items.top - s->data.sequence.items.start)
		return NULL;
	return yaml_document_get_node(doc, s->data.sequence.items.start[i]);
}

/*
 * The line of groups[g].rules[r].key in a YAML rule file (g, r < 0 and
 * key NULL stop the walk higher up), or 0.  The JSON yaml2json wrote has
 * no lines, so the YAML is read again, as a tree: only for a message.
 */
static size_t
yaml_line(const struct rulefile *f, long g, long r, const char *key)
{
	yaml_parser_t ps;
	yaml_document_t doc;
	yaml_node_t *n, *kn = NULL;
	size_t line = 0;

	if (!yaml_parser_initialize(&ps))
		return 0;
	yaml_parser_set_input_string(&ps, (const unsigned char *)f->text,
	    f->len);
	if (!yaml_parser_load(&ps, &doc)) {
		yaml_parser_delete(&ps);
		return 0;
	}
	n = yaml_document_get_root_node(&doc);
	if (g >= 0) {
		n = yseq_at(&doc, ymap_get(&doc, n, "groups", &kn), g);
		kn = NULL;
	}
	if (g >= 0 && r >= 0)
		n = yseq_at(&doc, ymap_get(&doc, n, "rules", &kn), r);
	kn = NULL;
	if (n != NULL && key != NULL && ymap_get(&doc, n, key, &kn) != NULL)
		line = kn->start_mark.line + 1;
	else if (n != NULL && key == NULL)
		line = n->start_mark.line + 1;
	yaml_document_delete(&doc);
	yaml_parser_delete(&ps);
	return line;
}

/* The line of JSON token t of the file. */
static size_t
json_line(const struct rulefile *f, int64_t t)
{
	const char *s = f->text, *end, *nl;
	size_t line = 1;

	if (t < 0)
		return 1;
	end = f->text + f->d->tok[t].off;
	while ((nl = memchr(s, '\n', (size_t)(end - s))) != NULL) {
		line++;
		s = nl + 1;
	}
	return line;
}


/*
 * Reports what is wrong with groups[g].rules[r] (its member key; t the
 * JSON token it is at) at the line of the most precise of them found.
 * Returns -1 to stop, 1 when --keep-going skips the file.
 */
static int
rf_bad(const struct rulefile *f, long g, long r, const char *key,
    int64_t t, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int
rf_bad(const struct rulefile *f, long g, long r, const char *key,
    int64_t t, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	size_t line = 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!f->yaml)
		line = json_line(f, t);
	else if ((key == NULL || (line = yaml_line(f, g, r, key)) == 0) &&
	    (line = yaml_line(f, g, r, NULL)) == 0 &&
	    (r < 0 || (line = yaml_line(f, g, -1, NULL)) == 0))
		line = 1;
	return collect_bad(f->p->c, f->path, line, "%s", msg) < 0 ? -1 : 1;
}

/* The text of a scalar: a string decoded, a number or boolean as written
   (YAML's 5 is Prometheus's "5").  -1 for anything else. */
static int
scalar_text(const struct json_doc *d, int64_t t, struct buf *out)
{
	const char *raw;
	size_t len;

	if (t < 0)
		return -1;
	switch (d->tok[t].type) {
	case JSON_STRING:
		json_str_decode(d, (uint32_t)t, out);
		break;
	case JSON_NUMBER:
	case JSON_TRUE:
	case JSON_FALSE:
		raw = json_raw(d, (uint32_t)t, &len);
		buf_add(out, raw, len);
		break;
	default:
		return -1;
	}
	if (out->p == NULL)
		buf_adds(out, "");
	return 0;
}

/* A labels or annotations map as ,"key":{...} with string values, left
   out when empty.  0, or what rf_bad returns. */
static int
rf_map(const struct rulefile *f, long g, long r, const char *who,
    const char *key, int64_t m, struct buf *out)
{
	const struct json_doc *d = f->d;
	struct buf v = BUF_INIT;
	const char *raw;
	size_t len, n = 0;
	uint32_t i;
	int rc = 0;

	if (m < 0 || d->tok[m].type == JSON_NULL)
		return 0;
	if (d->tok[m].type != JSON_OBJECT)
		return rf_bad(f, g, r, key, m, "%s: %s is not a map", who,
		    key);
	if (d->tok[m].size == 0)
		return 0;
	buf_addf(out, ",\"%s\":{", key);
	for (i = (uint32_t)m + 1; i < d->tok[m].end && rc == 0;
	    i = d->tok[i + 1].end) {
		buf_reset(&v);
		if (d->tok[i + 1].type != JSON_NULL &&
		    scalar_text(d, i + 1, &v) < 0) {
			json_str_decode(d, i, &v);
			rc = rf_bad(f, g, r, key, i, "%s: %s '%.80s' is not "
			    "a string", who, key[0] == 'l' ? "label" :
			    "annotation", v.p);
			break;
		}
		if (n++ > 0)
			buf_addc(out, ',');
		raw = json_raw(d, i, &len);
		buf_add(out, raw, len);
		buf_addc(out, ':');
		/* null is Go's "" */
		buf_add_json_str(out, v.len > 0 ? v.p : "", v.len);
	}
	buf_addc(out, '}');
	buf_release(&v);
	return rc;
}

/* A duration (text, or YAML's unquoted 0) into *ms; -1 if not one. */
static int
rf_ms(const struct json_doc *d, int64_t t, struct buf *text, int64_t *ms)
{
	if (scalar_text(d, t, text) < 0 || (d->tok[t].type != JSON_STRING &&
	    d->tok[t].type != JSON_NUMBER))
		return -1;
	return duration_parse(text->p, text->len, ms);
}

/* A duration member as ,"key":"DUR", left out when absent or zero. */
static int
rf_duration(const struct rulefile *f, long g, long r, const char *who,
    const char *key, int64_t t, struct buf *out)
{
	struct buf s = BUF_INIT;
	int64_t ms;
	int rc = 0;

	if (t < 0 || f->d->tok[t].type == JSON_NULL)
		return 0;
	if (rf_ms(f->d, t, &s, &ms) < 0)
		rc = rf_bad(f, g, r, key, t, "%s: %s '%.40s' is not a "
		    "duration (like 1h30m)", who, key, s.p != NULL ? s.p : "");
	else if (ms > 0) {
		buf_addf(out, ",\"%s\":\"", key);
		duration_str(ms, out);
		buf_addc(out, '"');
	}
	buf_release(&s);
	return rc;
}

/* One rule of a file in the rule-file form: 0, or what rf_bad returns. */
static int
rf_rule(const struct rulefile *f, long g, long r, const char *gname,
    int64_t t, struct buf *out)
{
	static const char *const alert_only[] = {
		"for", "keep_firing_for", "annotations"
	};
	const struct json_doc *d = f->d;
	struct buf name = BUF_INIT, expr = BUF_INIT, who = BUF_INIT;
	int64_t alert, record, e;
	const char *what;
	size_t i;
	int rc = 0;

	if (d->tok[t].type != JSON_OBJECT) {
		rc = rf_bad(f, g, r, NULL, t, "group '%.80s': rule %ld is not "
		    "a map", gname, r + 1);
		goto out;
	}
	alert = json_obj_get(d, (uint32_t)t, "alert");
	record = json_obj_get(d, (uint32_t)t, "record");
	if (alert >= 0 && d->tok[alert].type == JSON_NULL)
		alert = -1;
	if (record >= 0 && d->tok[record].type == JSON_NULL)
		record = -1;
	if ((alert < 0) == (record < 0)) {
		rc = rf_bad(f, g, r, NULL, t, "group '%.80s': rule %ld has "
		    "%s", gname, r + 1, alert < 0 ?
		    "neither alert nor record" : "both alert and record");
		goto out;
	}
	what = alert >= 0 ? "alert" : "record";
	if (scalar_text(d, alert >= 0 ? alert : record, &name) < 0 ||
	    name.len == 0) {
		rc = rf_bad(f, g, r, what, alert >= 0 ? alert : record,
		    "group '%.80s': rule %ld: %s is not a non-empty string",
		    gname, r + 1, what);
		goto out;
	}
	buf_addf(&who, "group '%.80s': rule %.80s", gname, name.p);
	e = json_obj_get(d, (uint32_t)t, "expr");
	if (scalar_text(d, e, &expr) < 0 || expr.len == 0) {
		rc = rf_bad(f, g, r, "expr", e >= 0 ? e : t, "%s has no expr",
		    who.p);
		goto out;
	}
	buf_addf(out, "{\"%s\":", what);
	buf_add_json_str(out, name.p, name.len);
	buf_adds(out, ",\"expr\":");
	buf_add_json_str(out, expr.p, expr.len);
	if (alert >= 0) {
		if ((rc = rf_duration(f, g, r, who.p, "for",
		    json_obj_get(d, (uint32_t)t, "for"), out)) != 0 ||
		    (rc = rf_duration(f, g, r, who.p, "keep_firing_for",
		    json_obj_get(d, (uint32_t)t, "keep_firing_for"),
		    out)) != 0)
			goto out;
	} else {
		/* Prometheus refuses to load these */
		for (i = 0; i < ARRAY_SIZE(alert_only); i++)
			if ((e = json_obj_get(d, (uint32_t)t,
			    alert_only[i])) >= 0 &&
			    d->tok[e].type != JSON_NULL) {
				rc = rf_bad(f, g, r, alert_only[i], e,
				    "%s: %s in a recording rule", who.p,
				    alert_only[i]);
				goto out;
			}
	}
	if ((rc = rf_map(f, g, r, who.p, "labels",
	    json_obj_get(d, (uint32_t)t, "labels"), out)) != 0)
		goto out;
	if (alert >= 0 && (rc = rf_map(f, g, r, who.p, "annotations",
	    json_obj_get(d, (uint32_t)t, "annotations"), out)) != 0)
		goto out;
	buf_addc(out, '}');
out:
	buf_release(&name);
	buf_release(&expr);
	buf_release(&who);
	return rc;
}

struct rfgroup {
	struct buf name;
	struct buf text;	/* the group, a JSON object */
};

static int
rfgroup_cmp(const void *a, const void *b)
{
	const struct rfgroup *x = a, *y = b;
	size_t n = x->name.len < y->name.len ? x->name.len : y->name.len;
	int c = memcmp(x->name.p, y->name.p, n);

	if (c != 0)
		return c;
	return x->name.len < y->name.len ? -1 : x->name.len > y->name.len;
}

/* Group g (token t) into out: 0, or what rf_bad returns. */
static int
rf_group(const struct rulefile *f, long g, int64_t t, struct rfgroup *out)
{
	const struct json_doc *d = f->d;
	struct buf s = BUF_INIT;
	int64_t name, rules, iv, ms;
	uint32_t i, n;
	int rc = 0;

	if (d->tok[t].type != JSON_OBJECT)
		return rf_bad(f, g, -1, NULL, t, "group %ld is not a map",
		    g + 1);
	name = json_obj_get(d, (uint32_t)t, "name");
	if (scalar_text(d, name, &out->name) < 0 || out->name.len == 0)
		return rf_bad(f, g, -1, "name", name >= 0 ? name : t,
		    "group %ld has no name", g + 1);
	rules = json_obj_get(d, (uint32_t)t, "rules");
	if (rules < 0 || d->tok[rules].type != JSON_ARRAY)
		return rf_bad(f, g, -1, "rules", rules >= 0 ? rules : t,
		    "group '%.80s' has no rules list", out->name.p);
	buf_adds(&out->text, "{\"name\":");
	buf_add_json_str(&out->text, out->name.p, out->name.len);
	iv = json_obj_get(d, (uint32_t)t, "interval");
	if (iv >= 0 && d->tok[iv].type != JSON_NULL) {
		if (rf_ms(d, iv, &s, &ms) < 0)
			rc = rf_bad(f, g, -1, "interval", iv, "group '%.80s': "
			    "interval '%.40s' is not a duration (like 1m)",
			    out->name.p, s.p != NULL ? s.p : "");
		else if (ms > 0) {
			/* the API's: seconds, a number */
			buf_adds(&out->text, ",\"interval\":");
			seconds_str(ms, &out->text);
		}
		buf_release(&s);
		if (rc != 0)
			return rc;
	}
	buf_adds(&out->text, ",\"rules\":[");
	for (i = (uint32_t)rules + 1, n = 0; n < d->tok[rules].size &&
	    rc == 0; n++, i = json_next(d, i)) {
		if (n > 0)
			buf_addc(&out->text, ',');
		rc = rf_rule(f, g, (long)n, out->name.p, i, &out->text);
	}
	buf_adds(&out->text, "]}");
	return rc;
}

/* The groups of the rule file f, in name order, into obj. */
static int
rf_groups(const struct rulefile *f, int64_t groups, struct buf *obj)
{
	const struct json_doc *d = f->d;
	struct rfgroup *g = NULL;
	uint32_t i, n, k, cnt = d->tok[groups].size;
	int rc = 0;

	if (cnt > 0)
		g = xcalloc(cnt, sizeof(*g));
	for (i = (uint32_t)groups + 1, n = 0; n < cnt && rc == 0;
	    n++, i = json_next(d, i)) {
		if ((rc = rf_group(f, (long)n, i, &g[n])) != 0)
			break;
		for (k = 0; k < n; k++)
			if (rfgroup_cmp(&g[k], &g[n]) == 0) {
				rc = rf_bad(f, (long)n, -1, "name", i,
				    "group '%.80s' is repeated (Prometheus "
				    "refuses the file)", g[n].name.p);
				break;
			}
	}
	if (rc == 0) {
		if (cnt > 1)
			qsort(g, cnt, sizeof(*g), rfgroup_cmp);
		buf_adds(obj, ",\"groups\":[");
		for (n = 0; n < cnt; n++) {
			if (n > 0)
				buf_addc(obj, ',');
			buf_add(obj, g[n].text.p, g[n].text.len);
		}
		buf_adds(obj, "]}");
	}
	for (n = 0; n < cnt; n++) {
		buf_release(&g[n].name);
		buf_release(&g[n].text);
	}
	free(g);
	return rc;
}

/* --rule-file live[=desired]: 0, 1 bad (--keep-going), -1 reported. */
static int
rule_file(struct promrun *p, const char *arg, struct view *v)
{
	struct collect *c = p->c;
	struct tend_err err = { 0 };
	struct buf text = BUF_INIT, json = BUF_INIT, name = BUF_INIT,
	    obj = BUF_INIT;
	struct json_doc d;
	struct rulefile f;
	char *live, *eq;
	const char *desired;
	int64_t groups = -1;
	size_t i, line = 0;
	int rc = 0;

	live = xstrdup(arg);
	strv_add_owned(c, live);
	desired = live;
	if ((eq = strchr(live, '=')) != NULL) {
		*eq = '\0';
		desired = eq + 1;
	}
	json_doc_init(&d);
	memset(&f, 0, sizeof(f));
	f.p = p;
	f.path = desired;
	f.d = &d;
	if (read_file(desired, &text, RULE_FILE_MAX, &err) < 0) {
		collect_progress_done(c);
		warnx("%s", err.msg);
		cli_fail(&c->cli, err.code);
		rc = -1;
		goto out;
	}
	f.text = text.p != NULL ? text.p : "";
	f.len = text.len;
	for (i = 0; i < f.len && strchr(" \t\r\n", f.text[i]) != NULL; i++)
		;
	f.yaml = i < f.len && f.text[i] != '{' && f.text[i] != '[';
	/* JSON keeps its lines; YAML in flow style ({groups: []}) is read
	   as YAML when it is not JSON */
	if (!f.yaml && i < f.len && json_parse(&d, f.text, f.len,
	    &err) < 0) {
		struct tend_err yerr = { 0 };

		if (yaml2json_one(f.text, f.len, NULL, &json, NULL,
		    &yerr) < 0) {
			for (i = 0, line = 1; i < err.offset && i < f.len; i++)
				line += f.text[i] == '\n';
			rc = collect_bad(c, desired, line, "%s", err.msg);
			goto out;
		}
		f.yaml = 1;
		buf_reset(&json);
	}
	if (f.yaml) {
		if (yaml2json_one(f.text, f.len, NULL, &json, &line,
		    &err) < 0) {
			rc = collect_bad(c, desired, line, "%s", err.msg);
			goto out;
		}
		if (json_parse(&d, json.p, json.len, &err) < 0)
			BUG(err.msg);	/* yaml2json writes valid JSON */
	}
	if (i < f.len && d.tok[0].type == JSON_OBJECT)
		groups = json_obj_get(&d, 0, "groups");
	if (groups < 0 || d.tok[groups].type != JSON_ARRAY) {
		f.d = i < f.len ? &d : NULL;
		rc = f.d == NULL ? collect_bad(c, desired, 1, "not a "
		    "Prometheus rule file: it is empty") : rf_bad(&f, -1, -1,
		    groups >= 0 ? "groups" : NULL, groups >= 0 ? groups : 0,
		    "not a Prometheus rule file: want groups: [...]");
		goto out;
	}
	buf_adds(&obj, "{\"file\":");
	buf_add_json_str(&obj, live, strlen(live));
	if ((rc = rf_groups(&f, groups, &obj)) != 0)
		goto out;
	buf_adds(&name, live);
	view_add(v, &name, &obj, desired, desired);
out:
	json_doc_release(&d);
	buf_release(&text);
	buf_release(&json);
	buf_release(&name);
	buf_release(&obj);
	return rc < 0 ? -1 : rc > 0 ? 1 : 0;
}

static int
rule_files_view(struct promrun *p)
{
	struct collect *c = p->c;
	struct view v = { NULL, 0 };
	size_t i;
	int rc = 0;

	for (i = 0; i < c->rule_files.n && rc >= 0; i++)
		rc = rule_file(p, c->rule_files.v[i], &v);
	if (rc >= 0)
		rc = view_emit(p, &v, "rulefile");
	view_clear(&v);
	return rc < 0 ? -1 : 0;
}

int
src_prometheus(struct collect *c, int argc, char **argv)
{
	static const char *const views[] = { "target", "rulefile", "alert" };
	struct http_opts o;
	struct http_header *hdrs = NULL;
	struct buf tok = BUF_INIT, query = BUF_INIT, scope = BUF_INIT;
	struct promrun p;
	size_t i;
	int64_t ns;
	int rc = 0, net;

	if (argc < 1 || argc > 2) {
		warnx("prometheus: want a URL and at most one query");
		cli_usage_error(&c->cli);
	}
	if (argc == 1 && !c->prom_targets && !c->prom_rules &&
	    !c->prom_alerts && c->rule_files.n == 0) {
		warnx("prometheus: nothing to collect: give a query, "
		    "--targets, --rules, --alerts or --rule-file");
		cli_usage_error(&c->cli);
	}
	if (argc == 1 && (c->kind != NULL || c->prom_time != NULL)) {
		warnx("prometheus: --%s applies to a query, and none is given",
		    c->kind != NULL ? "kind" : "time");
		cli_usage_error(&c->cli);
	}
	for (i = 0; c->kind != NULL && i < ARRAY_SIZE(views); i++)
		if (strcmp(c->kind, views[i]) == 0) {
			warnx("--kind '%s': the kind of a view of its own",
			    c->kind);
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
	memset(&p, 0, sizeof(p));
	p.c = c;
	p.base = argv[0];
	p.baselen = strlen(argv[0]);
	while (p.baselen > 0 && argv[0][p.baselen - 1] == '/')
		p.baselen--;
	url_scope(argv[0], &scope);
	p.scope = c->scope != NULL ? c->scope : scope.p;
	/* rule files alone need no server */
	net = argc == 2 || c->prom_targets || c->prom_rules || c->prom_alerts;
	if (net) {
		if (net_request(c, &p.rq, &tok, &hdrs) < 0) {
			rc = -1;
			goto out;
		}
		memset(&o, 0, sizeof(o));
		o.max_redirects = 5;
		if ((p.h = collect_http_client(c, &o)) == NULL) {
			rc = -1;
			goto out;
		}
	}
	if (argc == 2) {
		buf_adds(&query, "?query=");
		http_query_escape(argv[1], strlen(argv[1]), &query);
		if (c->prom_time != NULL) {
			buf_adds(&query, "&time=");
			http_query_escape(c->prom_time, strlen(c->prom_time),
			    &query);
		}
		rc = api_view(&p, "/api/v1/query", query.p, query_view,
		    c->kind != NULL ? c->kind : "series");
	}
	if (rc == 0 && c->prom_targets)
		rc = api_view(&p, "/api/v1/targets", "?state=active",
		    targets_view, "target");
	if (rc == 0 && c->prom_rules)
		rc = api_view(&p, "/api/v1/rules", NULL, rules_view,
		    "rulefile");
	if (rc == 0 && c->rule_files.n > 0)
		rc = rule_files_view(&p);
	if (rc == 0 && c->prom_alerts)
		rc = api_view(&p, "/api/v1/alerts", NULL, alerts_view,
		    "alert");
out:
	if (tok.p != NULL)
		sodium_memzero(tok.p, tok.len);
	http_client_free(p.h);
	net_headers_free(hdrs, c->headers.n);
	buf_release(&tok);
	buf_release(&query);
	buf_release(&scope);
	return rc;
}
