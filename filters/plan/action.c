/*
 * action.c: a skill's outputs to tend.action.proposed events, and to
 * tend.incident.opened and .resolved events.
 *
 * A skill outputs zero or more objects (see tend-plan(1), "SKILL
 * OUTPUT"); each is checked, then wrapped with what plan knows: the
 * action id, the idempotency key, the skill's metadata, the causes, the
 * state digest and the blast radius.  An output with "incident" is an
 * incident record instead: it runs nothing, so it has no executor and
 * none of what only matters to running one, and gets no action id.
 * The outputs of one run of a skill on one input are emitted together
 * or not at all, in output order.
 */
#include "compat.h"


#include "event.h"
#include "jcs.h"
#include "jsonptr.h"
#include "plan.h"
#include "rfc3339.h"
#include "sha256.h"
#include "xmalloc.h"

/* What plan reads from an input (an event or a finding). */
struct trig {
	const struct input *in;
	int64_t	 id, time, runid, subject, digest;
	char	*subj, *idstr;		/* decoded, for a batch; or NULL */
	int	 dup;			/* an earlier input has this id */
};

/* One skill output being wrapped. */
struct out {
	struct json_doc d;
	int64_t	 executor, targets, reason, rollback, risk, escalate,
		 precondition, credential, causes, step, after;
	int64_t	 incident, resolution;	/* an incident record; -1: none */
	int	 resolved;		/* its status is "resolved" */
	int	 no_precondition;	/* "precondition": null */
	int64_t	 pointer, value;	/* {"pointer", "value"}; -1: none */
	struct buf targets_json;	/* the targets, as JSON */
	struct strv targetv;		/* decoded */
	struct strv causev;
	size_t	*cause;			/* the inputs of causev (indexes) */
	size_t	 ncause;
	char	 action_id[65];
};

/* Labels (step) of the outputs wrapped so far in this run. */
struct steps {
	struct strv label;
	struct strv id;
};

/* Buffers and tapes kept between calls: one set, reused per action. */
static struct scratch {
	struct buf b, data, tmp, hit, input, lines, canon, out;
	struct json_doc d, outd;
	size_t	*ends;
	size_t	 nends;
	int	 init;
} sc;

static void
scratch_init(void)
{
	if (sc.init)
		return;
	json_doc_init(&sc.d);
	json_doc_init(&sc.outd);
	sc.init = 1;
}

void
action_free(void)
{
	if (!sc.init)
		return;
	buf_release(&sc.b);
	buf_release(&sc.data);
	buf_release(&sc.tmp);
	buf_release(&sc.hit);
	buf_release(&sc.input);
	buf_release(&sc.lines);
	buf_release(&sc.canon);
	buf_release(&sc.out);
	free(sc.ends);
	json_doc_release(&sc.d);
	json_doc_release(&sc.outd);
	memset(&sc, 0, sizeof(sc));
}

static const char *const out_members[] = {
	"executor", "targets", "reason", "rollback", "risk", "escalate",
	"precondition", "credential", "causes", "step", "after", "incident",
};

static const char *const inc_members[] = {
	"id", "status", "title", "severity", "service", "resolution",
};

/* What only an action that runs (or waits for) something can have. */
static const char *const not_inc_members[] = {
	"executor", "rollback", "escalate", "precondition", "risk",
	"credential", "step", "after",
};

static int
is_str(const struct json_doc *d, int64_t t)
{
	return t >= 0 && d->tok[t].type == JSON_STRING;
}

static int
nonempty_str(const struct json_doc *d, int64_t t)
{
	return is_str(d, t) && d->tok[t].len > 0;
}

static void
trig_init(struct trig *t, const struct input *in)
{
	const struct json_doc *d = in->doc;
	int64_t data, v;
	static const char *const dig[] = { "observed_digest", "state_digest",
	    "digest" };
	size_t i;

	memset(t, 0, sizeof(*t));
	t->in = in;
	t->id = json_obj_get(d, 0, "id");
	t->time = json_obj_get(d, 0, "time");
	t->runid = json_obj_get(d, 0, "runid");
	t->subject = json_obj_get(d, 0, "subject");
	t->digest = -1;
	if (!is_str(d, t->id))
		t->id = -1;
	if (!is_str(d, t->time))
		t->time = -1;
	if (!nonempty_str(d, t->runid))
		t->runid = -1;
	data = json_obj_get(d, 0, "data");
	if (data >= 0 && d->tok[data].type == JSON_OBJECT) {
		if (!nonempty_str(d, t->subject))
			t->subject = json_obj_get(d, (uint32_t)data, "key");
		for (i = 0; i < ARRAY_SIZE(dig) && t->digest < 0; i++) {
			v = json_obj_get(d, (uint32_t)data, dig[i]);
			if (is_str(d, v) && d->tok[v].len == 71 &&
			    memcmp(d->src + d->tok[v].off, "sha256:", 7) == 0)
				t->digest = v;
		}
	}
	if (!nonempty_str(d, t->subject))
		t->subject = -1;
}

/* Releases o, but not its tape, which the caller keeps for the next. */
static void
out_release(struct out *o)
{
	buf_release(&o->targets_json);
	strv_release(&o->targetv);
	strv_release(&o->causev);
	free(o->cause);
}

static void
cause_add(struct out *o, size_t j)
{
	o->cause = xreallocarray(o->cause, o->ncause + 1, sizeof(*o->cause));
	o->cause[o->ncause++] = j;
}

static char *
dec(const struct json_doc *d, int64_t t, struct buf *b)
{
	b->len = 0;
	json_str_decode(d, (uint32_t)t, b);
	if (b->p == NULL)
		buf_adds(b, "");
	return b->p;
}

static int
cmp_trig_id(const void *a, const void *b)
{
	const struct trig *x = *(const struct trig *const *)a;
	const struct trig *y = *(const struct trig *const *)b;
	int c = strcmp(x->idstr, y->idstr);

	/* equal ids in input order */
	return c != 0 ? c : (x > y) - (x < y);
}

/*
 * Decodes each input's subject and id once, and marks the inputs whose id
 * an earlier one has, so that finding a batch output's causes among n
 * inputs costs n string compares, not n^2.
 */
static void
trigs_index(struct trig *t, size_t n)
{
	struct trig **by = xcalloc(n, sizeof(*by));
	struct buf b = BUF_INIT;
	size_t i, m = 0;

	for (i = 0; i < n; i++) {
		if (t[i].subject >= 0)
			t[i].subj = xstrdup(dec(t[i].in->doc, t[i].subject,
			    &b));
		if (t[i].id >= 0) {
			t[i].idstr = xstrdup(dec(t[i].in->doc, t[i].id, &b));
			by[m++] = &t[i];
		}
	}
	qsort(by, m, sizeof(*by), cmp_trig_id);
	for (i = 1; i < m; i++)
		by[i]->dup = strcmp(by[i - 1]->idstr, by[i]->idstr) == 0;
	free(by);
	buf_release(&b);
}

/* Header names that carry secrets: apply injects credentials itself. */
static int
secret_name(const char *n)
{
	static const char *const exact[] = {
		"authorization", "proxy-authorization", "cookie",
		"set-cookie",
	};
	static const char *const part[] = {
		"token", "secret", "password", "passwd", "api-key", "apikey",
		"api_key", "credential", "private-key", "private_key",
		"session",
	};
	char low[128];
	size_t i;

	for (i = 0; n[i] != '\0' && i < sizeof(low) - 1; i++)
		low[i] = (n[i] >= 'A' && n[i] <= 'Z') ? n[i] + 32 : n[i];
	low[i] = '\0';
	for (i = 0; i < ARRAY_SIZE(exact); i++)
		if (strcmp(low, exact[i]) == 0)
			return 1;
	for (i = 0; i < ARRAY_SIZE(part); i++)
		if (strstr(low, part[i]) != NULL)
			return 1;
	return 0;
}

/* Checks that object t has only the members named in ok[]. */
static int
only_members(const struct json_doc *d, int64_t t, const char *const *ok,
    size_t nok, const char *where, struct tend_err *err)
{
	struct buf b = BUF_INIT;
	uint32_t k;
	size_t i;
	int rc = 0;

	for (k = (uint32_t)t + 1; k < d->tok[t].end && rc == 0;
	    k = d->tok[k + 1].end) {
		dec(d, k, &b);
		for (i = 0; i < nok; i++)
			if (strcmp(b.p, ok[i]) == 0)
				break;
		if (i == nok)
			rc = tend_err_set(err, TEND_EXIT_INPUT, "%s: unknown "
			    "member '%s'", where, b.p);
	}
	buf_release(&b);
	return rc;
}

static int
check_str_map(const struct json_doc *d, int64_t t, const char *where,
    int names_are_env, struct tend_err *err)
{
	struct buf b = BUF_INIT;
	uint32_t k;
	int rc = 0;

	if (d->tok[t].type != JSON_OBJECT)
		return tend_err_set(err, TEND_EXIT_INPUT, "%s: not an object",
		    where);
	for (k = (uint32_t)t + 1; k < d->tok[t].end && rc == 0;
	    k = d->tok[k + 1].end) {
		dec(d, k, &b);
		if (!is_str(d, k + 1))
			rc = tend_err_set(err, TEND_EXIT_INPUT, "%s/%s: not a "
			    "string", where, b.p);
		else if (names_are_env && (b.len == 0 ||
		    strspn(b.p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
		    "qrstuvwxyz0123456789_") != b.len ||
		    (b.p[0] >= '0' && b.p[0] <= '9')))
			rc = tend_err_set(err, TEND_EXIT_INPUT, "%s: '%s' is "
			    "not an environment variable name", where, b.p);
		else if (!names_are_env && (b.len == 0 ||
		    strspn(b.p, "!#$%&'*+-.^_`|~ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789") != b.len))
			rc = tend_err_set(err, TEND_EXIT_INPUT, "%s: '%s' is "
			    "not a header name", where, b.p);
		else if (secret_name(b.p))
			rc = tend_err_set(err, TEND_EXIT_INPUT,
			    "%s: '%s' would carry a secret: name a credential "
			    "instead (apply injects it)", where, b.p);
		else if (!names_are_env) {
			const char *v = d->src + d->tok[k + 1].off;
			size_t n = d->tok[k + 1].len;

			if ((n >= 7 && strncasecmp(v, "Bearer ", 7) == 0) ||
			    (n >= 6 && strncasecmp(v, "Basic ", 6) == 0))
				rc = tend_err_set(err, TEND_EXIT_INPUT,
				    "%s/%s: credentials must not be in "
				    "headers: name a credential instead", where,
				    b.p);
		}
	}
	buf_release(&b);
	return rc;
}

static int
check_timeout(const struct json_doc *d, int64_t t, const char *where,
    struct tend_err *err)
{
	if (t >= 0 && (d->tok[t].type != JSON_NUMBER || json_num(d,
	    (uint32_t)t) <= 0))
		return tend_err_set(err, TEND_EXIT_INPUT, "%s/timeout: not a "
		    "positive number", where);
	return 0;
}

static int
check_http(const struct json_doc *d, int64_t e, const char *w,
    struct tend_err *err)
{
	static const char *const ok[] = { "type", "method", "url",
	    "headers", "body", "timeout" };
	int64_t m = json_obj_get(d, (uint32_t)e, "method");
	int64_t u = json_obj_get(d, (uint32_t)e, "url");
	int64_t h = json_obj_get(d, (uint32_t)e, "headers");
	const char *s, *at, *end;
	size_t n, i;

	if (only_members(d, e, ok, ARRAY_SIZE(ok), w, err) < 0)
		return -1;
	if (!nonempty_str(d, m))
		return tend_err_set(err, TEND_EXIT_INPUT, "%s/method: missing "
		    "(GET, PATCH, ...)", w);
	s = d->src + d->tok[m].off;
	for (i = 0; i < d->tok[m].len; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return tend_err_set(err, TEND_EXIT_INPUT, "%s/method: "
			    "not an upper-case HTTP method", w);
	if (!is_str(d, u))
		return tend_err_set(err, TEND_EXIT_INPUT, "%s/url: missing", w);
	s = d->src + d->tok[u].off;
	n = d->tok[u].len;
	if (n > 8 && strncmp(s, "https://", 8) == 0)
		s += 8, n -= 8;
	else if (n > 7 && strncmp(s, "http://", 7) == 0)
		s += 7, n -= 7;
	else
		return tend_err_set(err, TEND_EXIT_INPUT, "%s/url: not an "
		    "http:// or https:// URL", w);
	end = memchr(s, '/', n);
	at = memchr(s, '@', end != NULL ? (size_t)(end - s) : n);
	if (at != NULL)
		return tend_err_set(err, TEND_EXIT_INPUT, "%s/url: user "
		    "information in a URL would carry a secret: name a "
		    "credential instead", w);
	if (h >= 0 && check_str_map(d, h, "executor/headers", 0, err) < 0)
		return -1;
	return check_timeout(d, json_obj_get(d, (uint32_t)e, "timeout"), w,
	    err);
}

static int
check_exec(const struct json_doc *d, int64_t e, const char *w,
    struct tend_err *err)
{
	static const char *const ok[] = { "type", "argv", "env", "cwd",
	    "timeout" };
	int64_t a = json_obj_get(d, (uint32_t)e, "argv");
	int64_t env = json_obj_get(d, (uint32_t)e, "env");
	int64_t cwd = json_obj_get(d, (uint32_t)e, "cwd");
	uint32_t i;

	if (only_members(d, e, ok, ARRAY_SIZE(ok), w, err) < 0)
		return -1;
	if (a < 0 || d->tok[a].type != JSON_ARRAY || d->tok[a].size == 0)
		return tend_err_set(err, TEND_EXIT_INPUT, "%s/argv: missing "
		    "or empty (a command is an array of strings, no shell)",
		    w);
	for (i = (uint32_t)a + 1; i < d->tok[a].end; i = d->tok[i].end)
		if (!is_str(d, i))
			return tend_err_set(err, TEND_EXIT_INPUT, "%s/argv: "
			    "holds a %s, not only strings", w,
			    json_type_name(d->tok[i].type));
	if (d->tok[a + 1].len == 0)
		return tend_err_set(err, TEND_EXIT_INPUT, "%s/argv/0: empty",
		    w);
	if (env >= 0 && check_str_map(d, env, "executor/env", 1, err) < 0)
		return -1;
	if (cwd >= 0 && !nonempty_str(d, cwd))
		return tend_err_set(err, TEND_EXIT_INPUT, "%s/cwd: not a "
		    "string", w);
	return check_timeout(d, json_obj_get(d, (uint32_t)e, "timeout"), w,
	    err);
}

static int
check_file(const struct json_doc *d, int64_t e, const char *w,
    struct tend_err *err)
{
	static const char *const ok[] = { "type", "path", "content", "patch",
	    "mode", "owner", "group", "timeout" };
	int64_t path = json_obj_get(d, (uint32_t)e, "path");
	int64_t content = json_obj_get(d, (uint32_t)e, "content");
	int64_t patch = json_obj_get(d, (uint32_t)e, "patch");
	int64_t mode = json_obj_get(d, (uint32_t)e, "mode");
	int64_t owner = json_obj_get(d, (uint32_t)e, "owner");
	int64_t group = json_obj_get(d, (uint32_t)e, "group");
	const char *s;
	size_t n;

	if (only_members(d, e, ok, ARRAY_SIZE(ok), w, err) < 0)
		return -1;
	if (!nonempty_str(d, path) || d->src[d->tok[path].off] != '/')
		return tend_err_set(err, TEND_EXIT_INPUT, "%s/path: missing "
		    "or not absolute", w);
	if (content >= 0 && !is_str(d, content))
		return tend_err_set(err, TEND_EXIT_INPUT, "%s/content: not a "
		    "string", w);
	if (patch >= 0 && d->tok[patch].type != JSON_ARRAY)
		return tend_err_set(err, TEND_EXIT_INPUT, "%s/patch: not a "
		    "JSON Patch (an array of operations)", w);
	if (content >= 0 && patch >= 0)
		return tend_err_set(err, TEND_EXIT_INPUT, "%s: content and "
		    "patch are exclusive", w);
	if (mode >= 0) {
		s = d->src + d->tok[mode].off;
		n = d->tok[mode].len;
		if (!is_str(d, mode) || n < 3 || n > 4 ||
		    strspn(s, "01234567") < n)
			return tend_err_set(err, TEND_EXIT_INPUT, "%s/mode: "
			    "not an octal mode string (\"0644\")", w);
	}
	if ((owner >= 0 && !nonempty_str(d, owner)) ||
	    (group >= 0 && !nonempty_str(d, group)))
		return tend_err_set(err, TEND_EXIT_INPUT, "%s: owner and group "
		    "are names", w);
	if (content < 0 && patch < 0 && mode < 0 && owner < 0 && group < 0)
		return tend_err_set(err, TEND_EXIT_INPUT, "%s: says nothing to "
		    "change (content, patch, mode, owner or group)", w);
	return check_timeout(d, json_obj_get(d, (uint32_t)e, "timeout"), w,
	    err);
}

static int
check_executor(const struct json_doc *d, int64_t e, const char *w,
    struct tend_err *err)
{
	int64_t t;

	if (d->tok[e].type != JSON_OBJECT)
		return tend_err_set(err, TEND_EXIT_INPUT, "%s: not an object",
		    w);
	t = json_obj_get(d, (uint32_t)e, "type");
	if (t >= 0 && json_str_eq(d, (uint32_t)t, "http"))
		return check_http(d, e, w, err);
	if (t >= 0 && json_str_eq(d, (uint32_t)t, "exec"))
		return check_exec(d, e, w, err);
	if (t >= 0 && json_str_eq(d, (uint32_t)t, "file"))
		return check_file(d, e, w, err);
	return tend_err_set(err, TEND_EXIT_INPUT, "%s/type: must be http, "
	    "exec or file", w);
}

/* A list of non-empty, distinct strings at t into sv. */
static int
str_list(const struct json_doc *d, int64_t t, struct strv *sv,
    const char *what, struct tend_err *err)
{
	struct buf b = BUF_INIT;
	uint32_t i;
	int rc = 0;

	if (d->tok[t].type != JSON_ARRAY || d->tok[t].size == 0)
		return tend_err_set(err, TEND_EXIT_INPUT, "%s: not a non-empty "
		    "array", what);
	for (i = (uint32_t)t + 1; i < d->tok[t].end && rc == 0;
	    i = d->tok[i].end) {
		if (!nonempty_str(d, i)) {
			rc = tend_err_set(err, TEND_EXIT_INPUT, "%s: holds "
			    "something other than a non-empty string", what);
			break;
		}
		dec(d, i, &b);
		if (strv_has(sv, b.p))
			rc = tend_err_set(err, TEND_EXIT_INPUT, "%s: '%s' "
			    "twice", what, b.p);
		else
			strv_add(sv, b.p, b.len);
	}
	buf_release(&b);
	return rc;
}

/* A resource key: <provider>:<scope>/<kind path>/<name>. */
static int
is_key(const char *k)
{
	const char *c = strchr(k, ':'), *s;

	if (c == NULL || c == k)
		return 0;
	for (s = k; s < c; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    ((*s == '_' || *s == '.' || *s == '-') && s > k)))
			return 0;
	s = strchr(c, '/');
	return s != NULL && s[1] != '/' && s[1] != '\0' &&
	    (s = strchr(s + 1, '/')) != NULL && s[1] != '\0';
}

/* Checks the incident record of output o (and the rest of o). */
static int
incident_parse(struct out *o, struct tend_err *err)
{
	const struct json_doc *d = &o->d;
	uint32_t inc = (uint32_t)o->incident;
	int64_t t;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(not_inc_members); i++)
		if (json_obj_get(d, 0, not_inc_members[i]) >= 0)
			return tend_err_set(err, TEND_EXIT_INPUT, "/%s: not "
			    "allowed with incident (an incident record runs "
			    "nothing)", not_inc_members[i]);
	if (d->tok[inc].type != JSON_OBJECT)
		return tend_err_set(err, TEND_EXIT_INPUT, "/incident: not an "
		    "object");
	if (only_members(d, inc, inc_members, ARRAY_SIZE(inc_members),
	    "/incident", err) < 0)
		return -1;
	if (!nonempty_str(d, json_obj_get(d, inc, "id")))
		return tend_err_set(err, TEND_EXIT_INPUT, "/incident/id: "
		    "missing (a non-empty string)");
	t = json_obj_get(d, inc, "status");
	if (t >= 0 && json_str_eq(d, (uint32_t)t, "resolved"))
		o->resolved = 1;
	else if (t < 0 || !json_str_eq(d, (uint32_t)t, "opened"))
		return tend_err_set(err, TEND_EXIT_INPUT, "/incident/status: "
		    "must be opened or resolved");
	/* title, severity, service and resolution */
	for (i = 2; i < ARRAY_SIZE(inc_members); i++) {
		t = json_obj_get(d, inc, inc_members[i]);
		if (t >= 0 && !is_str(d, t))
			return tend_err_set(err, TEND_EXIT_INPUT,
			    "/incident/%s: not a string", inc_members[i]);
	}
	o->resolution = json_obj_get(d, inc, "resolution");
	if (o->resolution >= 0 && !o->resolved)
		return tend_err_set(err, TEND_EXIT_INPUT, "/incident/"
		    "resolution: only with status resolved");
	if (!nonempty_str(d, o->reason))
		return tend_err_set(err, TEND_EXIT_INPUT, "/reason: missing "
		    "(say why, in words)");
	if (o->targets >= 0 && str_list(d, o->targets, &o->targetv,
	    "/targets", err) < 0)
		return -1;
	if (o->causes >= 0 && str_list(d, o->causes, &o->causev, "/causes",
	    err) < 0)
		return -1;
	return 0;
}

/* Parses and checks one output; fills o. */

/*
 * A skill's precondition: {"digest": "sha256:HEX"} (of the target as
 * apply will read it), or {"pointer": P, "value": V} (the member at JSON
 * Pointer P of the target apply reads, which must still equal V: what
 * a version field such as Kubernetes' metadata.resourceVersion is for).
 */
static int
pre_parse(struct out *o, struct tend_err *err)
{
	const struct json_doc *d = &o->d;
	uint32_t pre = (uint32_t)o->precondition;
	int64_t dig = -1, ptr = -1, val = -1;
	struct buf tmp = BUF_INIT;
	struct tend_err perr = { 0 };

	if (d->tok[pre].type == JSON_OBJECT) {
		dig = json_obj_get(d, pre, "digest");
		ptr = json_obj_get(d, pre, "pointer");
		val = json_obj_get(d, pre, "value");
	}
	if (dig >= 0 && d->tok[pre].size == 1) {
		if (is_str(d, dig) && d->tok[dig].len == 71 &&
		    memcmp(d->src + d->tok[dig].off, "sha256:", 7) == 0 &&
		    strspn(d->src + d->tok[dig].off + 7, "0123456789abcdef") >=
		    64) {
			o->precondition = dig;
			return 0;
		}
	} else if (ptr >= 0 && val >= 0 && d->tok[pre].size == 2 &&
	    is_str(d, ptr)) {
		json_str_decode(d, (uint32_t)ptr, &tmp);
		if (jsonptr_check(tmp.p, tmp.len, &perr) < 0) {
			buf_release(&tmp);
			return tend_err_set(err, TEND_EXIT_INPUT,
			    "/precondition/pointer: %s", perr.msg);
		}
		buf_release(&tmp);
		o->pointer = ptr;
		o->value = val;
		o->precondition = -1;
		return 0;
	}
	return tend_err_set(err, TEND_EXIT_INPUT, "/precondition: must be "
	    "{\"digest\": \"sha256:<64 hex>\"}, {\"pointer\": P, \"value\": V} "
	    "or null");
}

static int
out_parse(struct out *o, const char *text, size_t len, struct tend_err *err)
{
	struct json_doc *d = &o->d;

	if (json_parse(d, text, len, err) < 0)
		BUG("jqrun wrote invalid JSON");
	if (d->tok[0].type != JSON_OBJECT)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "output is %s, not an object",
		    json_type_name(d->tok[0].type));
	if (only_members(d, 0, out_members, ARRAY_SIZE(out_members),
	    "output", err) < 0)
		return -1;
	o->executor = json_obj_get(d, 0, "executor");
	o->targets = json_obj_get(d, 0, "targets");
	o->reason = json_obj_get(d, 0, "reason");
	o->rollback = json_obj_get(d, 0, "rollback");
	o->risk = json_obj_get(d, 0, "risk");
	o->escalate = json_obj_get(d, 0, "escalate");
	o->precondition = json_obj_get(d, 0, "precondition");
	o->pointer = o->value = -1;
	o->credential = json_obj_get(d, 0, "credential");
	o->causes = json_obj_get(d, 0, "causes");
	o->step = json_obj_get(d, 0, "step");
	o->after = json_obj_get(d, 0, "after");
	o->incident = json_obj_get(d, 0, "incident");
	o->resolution = -1;
	if (o->incident >= 0)
		return incident_parse(o, err);
	if (!nonempty_str(d, o->reason))
		return tend_err_set(err, TEND_EXIT_INPUT, "/reason: missing "
		    "(say why, in words)");
	if (o->escalate >= 0 && d->tok[o->escalate].type != JSON_TRUE &&
	    d->tok[o->escalate].type != JSON_FALSE)
		return tend_err_set(err, TEND_EXIT_INPUT, "/escalate: not a "
		    "boolean");
	if (o->escalate >= 0 && d->tok[o->escalate].type == JSON_FALSE)
		o->escalate = -1;
	if (o->executor >= 0 && d->tok[o->executor].type == JSON_NULL)
		o->executor = -1;
	if (o->executor < 0 && o->escalate < 0)
		return tend_err_set(err, TEND_EXIT_INPUT, "/executor: missing "
		    "(only an escalation may have none)");
	if (o->executor >= 0 &&
	    check_executor(d, o->executor, "/executor", err) < 0)
		return -1;
	if (o->rollback >= 0 && d->tok[o->rollback].type == JSON_NULL)
		o->rollback = -1;
	if (o->rollback >= 0 &&
	    check_executor(d, o->rollback, "/rollback", err) < 0)
		return -1;
	if (o->risk >= 0 && !(json_str_eq(d, (uint32_t)o->risk, "low") ||
	    json_str_eq(d, (uint32_t)o->risk, "medium") ||
	    json_str_eq(d, (uint32_t)o->risk, "high") ||
	    json_str_eq(d, (uint32_t)o->risk, "critical")))
		return tend_err_set(err, TEND_EXIT_INPUT, "/risk: must be low, "
		    "medium, high or critical");
	if (o->credential >= 0 && d->tok[o->credential].type == JSON_NULL)
		o->credential = -1;
	if (o->credential >= 0 && !nonempty_str(d, o->credential))
		return tend_err_set(err, TEND_EXIT_INPUT, "/credential: not a "
		    "name");
	/*
	 * null: the change does not depend on what the target holds now
	 * (it creates a file of its own, it reloads a server), so apply
	 * is not to check it against the input's digest.
	 */
	if (o->precondition >= 0 && d->tok[o->precondition].type == JSON_NULL) {
		o->no_precondition = 1;
		o->precondition = -1;
	}
	if (o->precondition >= 0 && pre_parse(o, err) < 0)
		return -1;
	if (o->step >= 0 && !nonempty_str(d, o->step))
		return tend_err_set(err, TEND_EXIT_INPUT, "/step: not a label");
	if (o->targets >= 0 && str_list(d, o->targets, &o->targetv,
	    "/targets", err) < 0)
		return -1;
	if (o->causes >= 0 && str_list(d, o->causes, &o->causev, "/causes",
	    err) < 0)
		return -1;
	return 0;
}

static void
add_str(struct buf *b, const char *s)
{
	buf_add_json_str(b, s, strlen(s));
}

static void
add_raw(struct buf *b, const struct json_doc *d, int64_t t)
{
	const char *r;
	size_t n;

	r = json_raw(d, (uint32_t)t, &n);
	buf_add(b, r, n);
}

static void
add_pointer(struct buf *b, const struct out *o)
{
	buf_adds(b, "{\"pointer\":");
	add_raw(b, &o->d, o->pointer);
	buf_adds(b, ",\"value\":");
	add_raw(b, &o->d, o->value);
	buf_addc(b, '}');
}

static void
add_strv(struct buf *b, const struct strv *sv)
{
	size_t i;

	buf_addc(b, '[');
	for (i = 0; i < sv->n; i++) {
		if (i > 0)
			buf_addc(b, ',');
		add_str(b, sv->v[i]);
	}
	buf_addc(b, ']');
}

/*
 * SHA-256 of the canonical form (RFC 8785) of JSON text t, as hex of its
 * first n bytes: jcs_digest with the tape and buffers kept between calls
 * (plan hashes three times per action).
 */
static int
digest_hex(const char *t, size_t len, size_t n, char *hex,
    struct tend_err *err)
{
	unsigned char md[SHA256_LEN];
	static const char x[] = "0123456789abcdef";
	size_t i;

	if (json_parse(&sc.d, t, len, err) < 0)
		return -1;
	buf_reset(&sc.canon);
	if (jcs_canon(&sc.d, 0, &sc.canon, err) < 0)
		return -1;
	sha256(md, sc.canon.p, sc.canon.len);
	for (i = 0; i < n; i++) {
		hex[2 * i] = x[md[i] >> 4];
		hex[2 * i + 1] = x[md[i] & 15];
	}
	hex[2 * n] = '\0';
	return 0;
}

static void
add_str_or_null(struct buf *b, const char *s)
{
	if (s == NULL)
		buf_adds(b, "null");
	else
		buf_add_json_str(b, s, strlen(s));
}

/* event_derive_id (event.h) for en, written into id. */
static int
derive_id(const struct event_new *en, char id[33], struct tend_err *err)
{
	struct buf *b = &sc.tmp;

	buf_reset(b);
	buf_addc(b, '[');
	add_str_or_null(b, en->runid);
	buf_addc(b, ',');
	add_str_or_null(b, en->type);
	buf_addc(b, ',');
	add_str_or_null(b, en->subject);
	buf_addc(b, ',');
	add_str_or_null(b, en->causeid);
	buf_addc(b, ',');
	buf_add(b, en->data, en->data_len);
	buf_addc(b, ']');
	return digest_hex(b->p, b->len, 16, id, err);
}

/* The first path of a cause that is human-only for s, or NULL. */
static const char *
human_only(const struct skill *s, const struct trig *t, struct buf *hit)
{
	const struct json_doc *d = t->in->doc;
	int64_t data, arr, v;
	uint32_t i, j;
	const char *const ops[] = { "path", "from" };

	if (s->human_only.n == 0)
		return NULL;
	data = json_obj_get(d, 0, "data");
	if (data < 0 || d->tok[data].type != JSON_OBJECT)
		return NULL;
	for (j = 0; j < 2; j++) {
		arr = json_obj_get(d, (uint32_t)data, j == 0 ? "paths" :
		    "patch");
		if (arr < 0 || d->tok[arr].type != JSON_ARRAY)
			continue;
		for (i = (uint32_t)arr + 1; i < d->tok[arr].end;
		    i = d->tok[i].end) {
			size_t k, m;

			for (m = 0; m < (j == 0 ? 1 : 2); m++) {
				v = j == 0 ? (int64_t)i :
				    d->tok[i].type == JSON_OBJECT ?
				    json_obj_get(d, i, ops[m]) : -1;
				if (!is_str(d, v))
					continue;
				dec(d, v, hit);
				for (k = 0; k < s->human_only.n; k++)
					if (jsonptr_match(s->human_only.v[k],
					    strlen(s->human_only.v[k]), hit->p,
					    hit->len, 1))
						return hit->p;
			}
		}
	}
	return NULL;
}

/*
 * Fills in the defaults of output o of skill s on inputs t[0..n): its
 * targets (the subject of the one input) and causes (the input, or the
 * batch's inputs about the targets), and points *firstp at the input of
 * its first cause.  Returns 0 or -1 with err.
 */
static int
resolve(const struct skill *s, struct out *o, struct trig *t, size_t n,
    const struct trig **firstp, struct tend_err *err)
{
	struct buf tmp = BUF_INIT;
	const struct trig *first = NULL;
	size_t i, j;
	int rc = -1;

	/* targets: given, or the subject of the one input */
	if (o->targetv.n == 0) {
		if (n != 1 || s->batch || t[0].subject < 0) {
			tend_err_set(err, TEND_EXIT_INPUT, "/targets: missing, "
			    "and %s", s->batch ? "a batch has no one subject" :
			    "the input has no subject");
			goto out;
		}
		dec(t[0].in->doc, t[0].subject, &tmp);
		strv_add(&o->targetv, tmp.p, tmp.len);
	}
	for (i = 0; i < o->targetv.n; i++)
		if (!is_key(o->targetv.v[i])) {
			tend_err_set(err, TEND_EXIT_INPUT, "/targets: '%s' is "
			    "not a resource key (provider:scope/kind/name)",
			    o->targetv.v[i]);
			goto out;
		}
	/* causes: given (inputs' ids), else inputs on the targets */
	if (o->causev.n > 0) {
		for (i = 0; i < o->causev.n; i++) {
			for (j = 0; j < n; j++)
				if (t[j].id >= 0 && json_str_eq(t[j].in->doc,
				    (uint32_t)t[j].id, o->causev.v[i]))
					break;
			if (j == n) {
				tend_err_set(err, TEND_EXIT_INPUT,
				    "/causes: '%s' is not the id of an input",
				    o->causev.v[i]);
				goto out;
			}
			cause_add(o, j);
			if (first == NULL)
				first = &t[j];
		}
	} else if (n == 1 && !s->batch) {
		first = &t[0];
		if (t[0].id >= 0) {
			dec(t[0].in->doc, t[0].id, &tmp);
			strv_add(&o->causev, tmp.p, tmp.len);
			cause_add(o, 0);
		}
	} else {
		/* decoded once a batch (trigs_index): linear in its size */
		for (j = 0; j < n; j++) {
			if (t[j].subj == NULL || t[j].idstr == NULL ||
			    !strv_has(&o->targetv, t[j].subj))
				continue;
			if (t[j].dup && strv_has(&o->causev, t[j].idstr))
				continue;
			strv_add(&o->causev, t[j].idstr, strlen(t[j].idstr));
			cause_add(o, j);
			if (first == NULL)
				first = &t[j];
		}
		if (first == NULL) {
			tend_err_set(err, TEND_EXIT_INPUT, "/causes: missing, "
			    "and no input is about the targets");
			goto out;
		}
	}
	*firstp = first;
	rc = 0;
out:
	buf_release(&tmp);
	return rc;
}

/*
 * Appends to line the event of type type, with sc.data as its data, for
 * output o whose first cause is the input first: subject the first
 * target, causeid the first cause, runid and time the cause's (the run's
 * clock when it has none), the id derived.  Returns 0 or -1 with err.
 */
static int
build(struct plan *p, const char *type, const struct out *o,
    const struct trig *first, struct buf *line, struct tend_err *err)
{
	const struct json_doc *fd = first->in->doc;
	struct event_new en;
	struct buf runid = BUF_INIT;
	char id[33];
	int rc = -1;

	memset(&en, 0, sizeof(en));
	en.source = "tend-plan";
	en.type = type;
	en.subject = o->targetv.v[0];
	if (first->runid >= 0)
		en.runid = dec(fd, first->runid, &runid);
	en.causeid = o->causev.n > 0 ? o->causev.v[0] : NULL;
	en.time_ns = p->cli.now_ns;
	if (first->time >= 0)
		(void)rfc3339_parse(fd->src + fd->tok[first->time].off,
		    fd->tok[first->time].len, &en.time_ns);
	en.data = sc.data.p;
	en.data_len = sc.data.len;
	if (derive_id(&en, id, err) == 0) {
		en.id = id;
		rc = event_build(line, &en, err);
	}
	buf_release(&runid);
	return rc;
}

/*
 * Wraps the incident record o of skill s, whose first cause is first,
 * into a tend.incident.opened or .resolved event appended to line.
 * Returns 0 or -1 with err.
 */
static int
wrap_incident(struct plan *p, const struct skill *s, const struct out *o,
    const struct trig *first, struct buf *line, struct tend_err *err)
{
	static const char *const given[] = { "title", "severity",
	    "service" };
	const struct json_doc *d = &o->d;
	struct buf *datap = &sc.data;
	uint32_t inc = (uint32_t)o->incident;
	int64_t v;
	size_t i;

	buf_reset(datap);
	buf_adds(datap, "{\"incident_id\":");
	add_raw(datap, d, json_obj_get(d, inc, "id"));
	for (i = 0; i < ARRAY_SIZE(given); i++)
		if ((v = json_obj_get(d, inc, given[i])) >= 0) {
			buf_addf(datap, ",\"%s\":", given[i]);
			add_raw(datap, d, v);
		}
	if (o->resolved) {
		buf_adds(datap, ",\"resolution\":");
		add_raw(datap, d, o->resolution >= 0 ? o->resolution :
		    o->reason);
	}
	buf_adds(datap, ",\"targets\":");
	add_strv(datap, &o->targetv);
	buf_adds(datap, ",\"skill\":");
	add_str(datap, s->name);
	buf_adds(datap, ",\"domain\":");
	add_str(datap, s->domain);
	buf_adds(datap, ",\"reason\":");
	add_raw(datap, d, o->reason);
	buf_adds(datap, ",\"causes\":");
	add_strv(datap, &o->causev);
	buf_addc(datap, '}');
	return build(p, o->resolved ? "tend.incident.resolved" :
	    "tend.incident.opened", o, first, line, err);
}

/*
 * Wraps the action o of skill s on inputs t[0..n), whose first cause is
 * first, into a tend.action.proposed event appended to line.  Returns 0
 * or -1 with err.
 */
static int
wrap_action(struct plan *p, struct skill *s, struct out *o, struct trig *t,
    size_t n, const struct trig *first, struct steps *steps,
    struct buf *line, struct tend_err *err)
{
	struct buf *bp = &sc.b, *datap = &sc.data, *hitp = &sc.hit;
	struct buf tmp = BUF_INIT;
	struct json_doc *d = &o->d;
	const struct json_doc *fd = first->in->doc;
	struct strv after = { NULL, 0 };
	const char *ho = NULL;
	char key[33];
	size_t i, j;
	int escalate = o->escalate >= 0, rc = -1;
	int64_t digest;

	buf_reset(bp);
	buf_reset(datap);

	/* human-only paths turn the action into an escalation */
	if (o->ncause == 0)
		for (j = 0; j < n && ho == NULL; j++)
			ho = human_only(s, &t[j], hitp);
	for (j = 0; j < o->ncause && ho == NULL; j++)
		ho = human_only(s, &t[o->cause[j]], hitp);
	if (ho != NULL)
		escalate = 1;
	/* after: labels of earlier outputs of this run */
	if (o->after >= 0) {
		struct strv labels = { NULL, 0 };

		if (str_list(d, o->after, &labels, "/after", err) < 0) {
			strv_release(&labels);
			goto out;
		}
		for (i = 0; i < labels.n; i++) {
			for (j = 0; j < steps->label.n; j++)
				if (strcmp(steps->label.v[j], labels.v[i]) == 0)
					break;
			if (j == steps->label.n) {
				tend_err_set(err, TEND_EXIT_INPUT, "/after: no "
				    "earlier output has step '%s'",
				    labels.v[i]);
				strv_release(&labels);
				goto out;
			}
			strv_add(&after, steps->id.v[j], 64);
		}
		strv_release(&labels);
	}

	/* action_id: JCS of {executor, skill, targets} (+ reason when no
	   executor) */
	buf_adds(bp, "{\"executor\":");
	if (o->executor >= 0)
		add_raw(bp, d, o->executor);
	else {
		buf_adds(bp, "null,\"reason\":");
		add_raw(bp, d, o->reason);
	}
	buf_adds(bp, ",\"skill\":");
	add_str(bp, s->name);
	buf_adds(bp, ",\"targets\":");
	add_strv(bp, &o->targetv);
	buf_addc(bp, '}');
	if (digest_hex(bp->p, bp->len, 32, o->action_id, err) < 0)
		goto out;
	if (o->step >= 0) {
		dec(d, o->step, &tmp);
		if (strv_has(&steps->label, tmp.p)) {
			tend_err_set(err, TEND_EXIT_INPUT, "/step: '%s' twice",
			    tmp.p);
			goto out;
		}
		strv_add(&steps->label, tmp.p, tmp.len);
		strv_add(&steps->id, o->action_id, 64);
	}
	digest = o->precondition;
	if (digest < 0 && !o->no_precondition && o->pointer < 0 &&
	    o->causev.n <= 1 && first->digest >= 0)
		digest = first->digest;

	/* idempotency_key: JCS of [action_id, state digest or
	   precondition, runid] */
	buf_reset(bp);
	buf_addf(bp, "[\"%s\",", o->action_id);
	if (digest >= 0)
		add_raw(bp, o->precondition >= 0 ? d : fd, digest);
	else if (o->pointer >= 0)
		add_pointer(bp, o);
	else
		buf_adds(bp, "null");
	buf_addc(bp, ',');
	if (first->runid >= 0)
		add_raw(bp, fd, first->runid);
	else
		buf_adds(bp, "null");
	buf_addc(bp, ']');
	if (digest_hex(bp->p, bp->len, 16, key, err) < 0)
		goto out;

	buf_addf(datap, "{\"action_id\":\"%s\",\"idempotency_key\":\"%s\","
	    "\"skill\":", o->action_id, key);
	add_str(datap, s->name);
	buf_adds(datap, ",\"domain\":");
	add_str(datap, s->domain);
	buf_adds(datap, ",\"targets\":");
	add_strv(datap, &o->targetv);
	if (o->executor >= 0) {
		buf_adds(datap, ",\"executor\":");
		add_raw(datap, d, o->executor);
	}
	buf_adds(datap, ",\"rollback\":");
	if (o->rollback >= 0)
		add_raw(datap, d, o->rollback);
	else
		buf_adds(datap, "null");
	if (o->credential >= 0) {
		buf_adds(datap, ",\"credential\":");
		add_raw(datap, d, o->credential);
	} else if (s->credential != NULL) {
		buf_adds(datap, ",\"credential\":");
		add_str(datap, s->credential);
	}
	buf_adds(datap, ",\"risk\":");
	if (o->risk >= 0)
		add_raw(datap, d, o->risk);
	else
		add_str(datap, s->risk);
	buf_adds(datap, ",\"mode\":");
	add_str(datap, s->mode);
	if (escalate)
		buf_adds(datap, ",\"escalate\":true");
	buf_adds(datap, ",\"reason\":");
	if (ho != NULL) {
		dec(d, o->reason, &tmp);
		buf_addf(&tmp, " (escalated: %s is human-only)", ho);
		add_str(datap, tmp.p);
	} else
		add_raw(datap, d, o->reason);
	buf_adds(datap, ",\"causes\":");
	add_strv(datap, &o->causev);
	if (digest >= 0) {
		buf_adds(datap, ",\"state_digest\":");
		add_raw(datap, o->precondition >= 0 ? d : fd, digest);
	} else if (o->pointer >= 0) {
		buf_adds(datap, ",\"precondition\":");
		add_pointer(datap, o);
	}
	buf_addf(datap, ",\"blast_radius\":{\"count\":%zu,\"targets\":",
	    o->targetv.n);
	add_strv(datap, &o->targetv);
	buf_addc(datap, '}');
	if (after.n > 0) {
		buf_adds(datap, ",\"after\":");
		add_strv(datap, &after);
	}
	buf_addc(datap, '}');
	rc = build(p, "tend.action.proposed", o, first, line, err);
out:
	strv_release(&after);
	buf_release(&tmp);
	return rc;
}

/*
 * Wraps output o of skill s on inputs t[0..n) into an event, appended
 * to line.  Returns 0 or -1 with err.
 */
static int
wrap(struct plan *p, struct skill *s, struct out *o, struct trig *t,
    size_t n, struct steps *steps, struct buf *line, struct tend_err *err)
{
	const struct trig *first = NULL;

	scratch_init();
	if (resolve(s, o, t, n, &first, err) < 0)
		return -1;
	if (o->incident >= 0)
		return wrap_incident(p, s, o, first, line, err);
	return wrap_action(p, s, o, t, n, first, steps, line, err);
}

static int
collect(void *ctx, const char *s, size_t len)
{
	struct outputs *c = ctx;

	if (c->n + 1 >= c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->off = xreallocarray(c->off, c->cap, sizeof(*c->off));
	}
	c->off[c->n++] = c->text.len;
	buf_add(&c->text, s, len);
	c->off[c->n] = c->text.len;
	return 0;
}

void
outputs_reset(struct outputs *o)
{
	buf_reset(&o->text);
	o->n = 0;
}

void
outputs_release(struct outputs *o)
{
	buf_release(&o->text);
	free(o->off);
	memset(o, 0, sizeof(*o));
}

int
action_collect(struct skill *s, struct input *in, size_t n,
    struct outputs *o, struct tend_err *err)
{
	return action_collect_with(s, s->prog, in, n, o, err);
}

int
action_collect_with(struct skill *s, struct jqprog *prog, struct input *in,
    size_t n, struct outputs *o, struct tend_err *err)
{
	struct buf input = BUF_INIT;
	size_t i;
	int rc;

	outputs_reset(o);
	if (s->batch) {
		buf_addc(&input, '[');
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_addc(&input, ',');
			buf_add(&input, in[i].json, in[i].len);
		}
		buf_addc(&input, ']');
		rc = jqprog_run(prog, input.p, input.len, collect, o, err);
		buf_release(&input);
		return rc;
	}
	return jqprog_run_doc(prog, in[0].doc, 0, collect, o, err);
}

int
action_emit(struct plan *p, struct skill *s, struct input *in, size_t n,
    const struct outputs *c, struct tend_err *err)
{
	struct steps steps = { { NULL, 0 }, { NULL, 0 } };
	struct trig tone, *t = &tone;
	struct out o;
	size_t i;
	int rc = 0;

	scratch_init();
	buf_reset(&sc.lines);
	if (n > 1)
		t = xcalloc(n, sizeof(*t));
	for (i = 0; i < n; i++)
		trig_init(&t[i], &in[i]);
	if (s->batch || n > 1)
		trigs_index(t, n);
	if (c->n + 1 > sc.nends) {
		sc.nends = c->n + 1;
		sc.ends = xreallocarray(sc.ends, sc.nends, sizeof(*sc.ends));
	}
	for (i = 0; i < c->n; i++) {
		memset(&o, 0, sizeof(o));
		o.d = sc.outd;		/* reuse the tape's storage */
		rc = out_parse(&o, c->text.p + c->off[i],
		    c->off[i + 1] - c->off[i], err);
		if (rc == 0)
			rc = wrap(p, s, &o, t, n, &steps, &sc.lines, err);
		sc.outd = o.d;
		out_release(&o);
		if (rc < 0) {
			err_prefix(err, TEND_EXIT_INPUT, "%s: output %zu",
			    s->jq_path, i + 1);
			goto out;
		}
		sc.ends[i] = sc.lines.len;
		buf_addc(&sc.lines, '\n');
	}
	for (i = 0; i < c->n; i++) {
		size_t start = i == 0 ? 0 : sc.ends[i - 1] + 1;

		if (cli_emit(&p->cli, sc.lines.p + start,
		    sc.ends[i] - start) < 0) {
			p->stop = 1;
			rc = -1;
			err->code = 0;
			break;
		}
	}
out:
	for (i = 0; i < n; i++) {
		free(t[i].subj);
		free(t[i].idstr);
	}
	if (t != &tone)
		free(t);
	strv_release(&steps.label);
	strv_release(&steps.id);
	return rc;
}
