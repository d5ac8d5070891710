/*
 * prom.c: what tend-collect prometheus observes, as it is compared.
 *
 *   series (and any other --kind of a query's results): the value is the
 *     spec, the labels the state's labels, the rest (time) status;
 *   target: the scrape settings are the spec, how the last scrape went is
 *     status; discoveredLabels are dropped (the labels before
 *     relabelling: noise, and often large);
 *   rulefile: the rules as the file writes them are the spec; group
 *     intervals and what only the server knows (health, state, last
 *     error) are status.  The interval is not compared because the API
 *     always reports one and a file often leaves it out;
 *   alert: its state and annotations are the spec, when it became active
 *     and its value status.
 */
#include "compat.h"

#include "norm.h"

/* Adds "key": (value token v) to status. */
static void
status_add(struct norm *n, const char *key, uint32_t v)
{
	if (n->n_top++ > 0)
		buf_addc(&n->st_top, ',');
	buf_addf(&n->st_top, "\"%s\":", key);
	norm_copy(n, v, key, strlen(key), &n->st_top);
}

/* Each member of obj named in keys that is present, into w. */
static void
copy_members(struct norm *n, int64_t obj, const char *const *keys,
    size_t nkeys, struct jw *w)
{
	int64_t v;
	size_t i;

	for (i = 0; i < nkeys; i++) {
		if ((v = obj_get(n->d, obj, keys[i])) < 0)
			continue;
		jw_lit(w, keys[i]);
		norm_copy(n, (uint32_t)v, keys[i], strlen(keys[i]), w->b);
	}
}

static void
series_normalize(struct norm *n, uint32_t obj)
{
	char kb[KEY_NAME_MAX];
	const struct json_doc *d = n->d;
	int64_t v;
	struct jw w;
	uint32_t k;
	const char *raw, *kr;
	size_t len, kl;

	if (d->tok[obj].type != JSON_OBJECT ||
	    (v = json_obj_get(d, obj, "value")) < 0) {
		generic_normalize(n, obj);
		return;
	}
	norm_labels_from(n, json_obj_get(d, obj, "labels"));
	jw_open(&w, &n->spec, '{');
	jw_lit(&w, "value");
	norm_copy(n, (uint32_t)v, "value", 5, &n->spec);
	jw_close(&w, '}');
	for (k = obj + 1; k < d->tok[obj].end; k = d->tok[k + 1].end) {
		if ((int64_t)(k + 1) == v || (int64_t)(k + 1) == n->labels)
			continue;
		if (n->n_top++ > 0)
			buf_addc(&n->st_top, ',');
		raw = json_raw(d, k, &len);
		buf_add(&n->st_top, raw, len);
		buf_addc(&n->st_top, ':');
		kr = key_name(d, k, kb, &kl);
		if (kr != NULL && norm_is_env(kr, kl))
			norm_env(n, k + 1, norm_copy, &n->st_top);
		else
			norm_copy(n, k + 1, kr, kr != NULL ? kl : 0,
			    &n->st_top);
	}
}

static void
target_normalize(struct norm *n, uint32_t obj)
{
	static const char *const spec[] = {
		"scrapePool", "scrapeUrl", "scrapeInterval", "scrapeTimeout"
	};
	static const char *const status[] = {
		"health", "lastError", "lastScrape", "lastScrapeDuration",
		"globalUrl"
	};
	int64_t v;
	struct jw w;
	size_t i;

	norm_labels_from(n, obj_get(n->d, obj, "labels"));
	jw_open(&w, &n->spec, '{');
	copy_members(n, obj, spec, ARRAY_SIZE(spec), &w);
	jw_close(&w, '}');
	for (i = 0; i < ARRAY_SIZE(status); i++)
		if ((v = obj_get(n->d, obj, status[i])) >= 0)
			status_add(n, status[i], (uint32_t)v);
}

/* A rule's spec: what the rule file says. */
static void
rule_spec(struct norm *n, uint32_t r, struct buf *out)
{
	static const char *const keys[] = {
		"alert", "record", "expr", "for", "keep_firing_for", "labels",
		"annotations"
	};
	struct jw w;

	if (n->d->tok[r].type != JSON_OBJECT) {
		norm_copy(n, r, NULL, 0, out);
		return;
	}
	jw_open(&w, out, '{');
	copy_members(n, r, keys, ARRAY_SIZE(keys), &w);
	jw_close(&w, '}');
}

/* A rule's status: its name and what only the server knows. */
static void
rule_status(struct norm *n, uint32_t r, struct buf *out)
{
	static const char *const keys[] = { "health", "state", "lastError" };
	int64_t v;
	struct jw w;

	jw_open(&w, out, '{');
	if ((v = obj_get(n->d, r, "alert")) >= 0 ||
	    (v = obj_get(n->d, r, "record")) >= 0) {
		jw_lit(&w, "name");
		norm_copy(n, (uint32_t)v, "name", 4, out);
	}
	copy_members(n, r, keys, ARRAY_SIZE(keys), &w);
	jw_close(&w, '}');
}

/* Spec or status (spec 1 or 0) of one group. */
static void
group_part(struct norm *n, uint32_t g, int spec, struct buf *out)
{
	const struct json_doc *d = n->d;
	int64_t v, rules;
	struct jw w, rw;
	uint32_t r;

	if (d->tok[g].type != JSON_OBJECT) {
		if (spec)
			norm_copy(n, g, NULL, 0, out);
		else
			buf_adds(out, "{}");
		return;
	}
	jw_open(&w, out, '{');
	if ((v = obj_get(d, g, "name")) >= 0) {
		jw_lit(&w, "name");
		norm_copy(n, (uint32_t)v, "name", 4, out);
	}
	if (!spec && (v = obj_get(d, g, "interval")) >= 0) {
		jw_lit(&w, "interval");
		norm_copy(n, (uint32_t)v, "interval", 8, out);
	}
	rules = obj_get(d, g, "rules");
	if (rules >= 0 && d->tok[rules].type == JSON_ARRAY) {
		jw_lit(&w, "rules");
		jw_open(&rw, out, '[');
		for (r = (uint32_t)rules + 1; r < d->tok[rules].end;
		    r = d->tok[r].end) {
			jw_sep(&rw);
			if (spec)
				rule_spec(n, r, out);
			else
				rule_status(n, r, out);
		}
		jw_close(&rw, ']');
	}
	jw_close(&w, '}');
}

static void
rulefile_normalize(struct norm *n, uint32_t obj)
{
	const struct json_doc *d = n->d;
	int64_t groups, file;
	struct jw w, gw;
	uint32_t g;
	int spec;

	groups = obj_get(d, obj, "groups");
	if (groups < 0 || d->tok[groups].type != JSON_ARRAY) {
		generic_normalize(n, obj);
		return;
	}
	if ((file = json_obj_get(d, obj, "file")) >= 0)
		status_add(n, "file", (uint32_t)file);
	for (spec = 1; spec >= 0; spec--) {
		struct buf *b = spec ? &n->spec : &n->st_top;

		if (spec) {
			jw_open(&w, b, '{');
			jw_lit(&w, "groups");
		} else {
			if (n->n_top++ > 0)
				buf_addc(b, ',');
			buf_adds(b, "\"groups\":");
		}
		jw_open(&gw, b, '[');
		for (g = (uint32_t)groups + 1; g < d->tok[groups].end;
		    g = d->tok[g].end) {
			jw_sep(&gw);
			group_part(n, g, spec, b);
		}
		jw_close(&gw, ']');
		if (spec)
			jw_close(&w, '}');
	}
}

static void
alert_normalize(struct norm *n, uint32_t obj)
{
	static const char *const spec[] = { "state", "annotations" };
	static const char *const status[] = { "activeAt", "value" };
	int64_t v;
	struct jw w;
	size_t i;

	norm_labels_from(n, obj_get(n->d, obj, "labels"));
	jw_open(&w, &n->spec, '{');
	copy_members(n, obj, spec, ARRAY_SIZE(spec), &w);
	jw_close(&w, '}');
	for (i = 0; i < ARRAY_SIZE(status); i++)
		if ((v = obj_get(n->d, obj, status[i])) >= 0)
			status_add(n, status[i], (uint32_t)v);
}

void
prometheus_normalize(struct norm *n, uint32_t obj)
{
	if (n->d->tok[obj].type != JSON_OBJECT)
		generic_normalize(n, obj);
	else if (strcmp(n->kind, "target") == 0)
		target_normalize(n, obj);
	else if (strcmp(n->kind, "rulefile") == 0)
		rulefile_normalize(n, obj);
	else if (strcmp(n->kind, "alert") == 0)
		alert_normalize(n, obj);
	else
		series_normalize(n, obj);
}
