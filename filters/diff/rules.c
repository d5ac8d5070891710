/*
 * The rules file of tend-diff (--ignore FILE): what to leave out of the
 * comparison, numeric tolerances, and the severity of drift; and the
 * --scope selectors.  The format is in tend-diff(1) and
 * schemas/ignore.v1.json.
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <math.h>
#include <unistd.h>

#include "diff.h"
#include "jqrun.h"
#include "json.h"
#include "jsonptr.h"
#include "rfc3339.h"
#include "xmalloc.h"

enum rule_kind { RULE_IGNORE, RULE_TOLERANCE, RULE_SEVERITY };

static const char *const kind_names[] = { "ignore", "tolerances",
    "severity" };

struct rule {
	enum rule_kind kind;
	size_t	 index;
	struct selector match;
	char	**ptrs;
	size_t	*ptrlens;
	size_t	 nptrs;
	struct jqprog **jq;
	size_t	 njq;
	int	 has_abs, has_rel;
	double	 absolute, relative;
	enum severity sev;
	char	*reason;
	char	*expires;
	int	 expired;
};

struct rules {
	char	*path;
	struct rule *r[3];
	size_t	 n[3];
};

/* Selectors */

static const char *const sev_names[] = {
	"info", "low", "medium", "high", "critical",
};

const char *
severity_name(enum severity s)
{
	return s >= 0 && (size_t)s < ARRAY_SIZE(sev_names) ? sev_names[s] :
	    "none";
}

enum severity
severity_parse(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sev_names); i++)
		if (strlen(sev_names[i]) == len &&
		    memcmp(sev_names[i], s, len) == 0)
			return (enum severity)i;
	return SEV_NONE;
}

void
selector_release(struct selector *s)
{
	size_t i;

	free(s->provider);
	free(s->kind);
	free(s->key);
	free(s->name);
	free(s->namespace);
	for (i = 0; i < s->nlabels; i++) {
		free(s->labels[i].name);
		free(s->labels[i].glob);
	}
	free(s->labels);
	memset(s, 0, sizeof(*s));
}

static void
add_label(struct selector *s, const char *name, size_t nlen,
    const char *glob, size_t glen)
{
	s->labels = xreallocarray(s->labels, s->nlabels + 1,
	    sizeof(*s->labels));
	s->labels[s->nlabels].name = xstrndup(name, nlen);
	s->labels[s->nlabels].glob = xstrndup(glob, glen);
	s->nlabels++;
}

/* The field of s named name[0..len), or NULL. */
static char **
field(struct selector *s, const char *name, size_t len)
{
	static const char *names[] = {
		"provider", "kind", "key", "name", "namespace",
	};
	char **slots[5];
	size_t i;

	slots[0] = &s->provider;
	slots[1] = &s->kind;
	slots[2] = &s->key;
	slots[3] = &s->name;
	slots[4] = &s->namespace;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return slots[i];
	return NULL;
}

int
selector_parse(struct selector *s, const char *text, struct tend_err *err)
{
	const char *p = text, *comma, *eq, *end = text + strlen(text);
	char **slot;

	memset(s, 0, sizeof(*s));
	if (*text == '\0')
		return tend_err_set(err, TEND_EXIT_USAGE, "empty selector");
	while (p < end) {
		if ((comma = memchr(p, ',', (size_t)(end - p))) == NULL)
			comma = end;
		eq = memchr(p, '=', (size_t)(comma - p));
		if (eq == NULL || eq == p) {
			tend_err_set(err, TEND_EXIT_USAGE, "selector term "
			    "'%.*s' is not NAME=GLOB", (int)(comma - p), p);
			selector_release(s);
			return -1;
		}
		if ((size_t)(eq - p) > 6 && memcmp(p, "label.", 6) == 0)
			add_label(s, p + 6, (size_t)(eq - p - 6), eq + 1,
			    (size_t)(comma - eq - 1));
		else if ((slot = field(s, p, (size_t)(eq - p))) != NULL &&
		    *slot == NULL)
			*slot = xstrndup(eq + 1, (size_t)(comma - eq - 1));
		else {
			tend_err_set(err, TEND_EXIT_USAGE, "selector term "
			    "'%.*s': %s", (int)(comma - p), p, slot != NULL ?
			    "given twice" : "not provider, kind, key, name, "
			    "namespace or label.NAME");
			selector_release(s);
			return -1;
		}
		p = comma + 1;
	}
	return 0;
}

static int
glob_member(const struct res *r, const char *name, const char *glob,
    struct buf *scratch)
{
	buf_reset(scratch);
	if (res_member(r, name, scratch) < 0 && glob[0] != '*')
		return 0;
	buf_addc(scratch, '\0');
	return fnmatch(glob, scratch->p, 0) == 0;
}

int
selector_match(const struct selector *s, const struct res *r)
{
	const struct json_doc *d = &r->ev.doc;
	struct buf b = BUF_INIT;
	int64_t labels, v;
	size_t i;
	int ok = 0;

	if (s->provider != NULL && !glob_member(r, "provider", s->provider, &b))
		goto out;
	if (s->kind != NULL && !glob_member(r, "kind", s->kind, &b))
		goto out;
	if (s->name != NULL && !glob_member(r, "name", s->name, &b))
		goto out;
	if (s->namespace != NULL &&
	    !glob_member(r, "namespace", s->namespace, &b))
		goto out;
	if (s->key != NULL) {
		buf_reset(&b);
		buf_add(&b, r->key.p, r->key.len);
		if (fnmatch(s->key, b.p, 0) != 0)
			goto out;
	}
	if (s->nlabels > 0) {
		labels = json_obj_get(d, (uint32_t)r->data, "labels");
		if (labels < 0 || d->tok[labels].type != JSON_OBJECT)
			goto out;
		for (i = 0; i < s->nlabels; i++) {
			v = json_obj_get(d, (uint32_t)labels,
			    s->labels[i].name);
			if (v < 0 || d->tok[v].type != JSON_STRING)
				goto out;
			buf_reset(&b);
			json_str_decode(d, (uint32_t)v, &b);
			buf_addc(&b, '\0');
			if (fnmatch(s->labels[i].glob, b.p, 0) != 0)
				goto out;
		}
	}
	ok = 1;
out:
	buf_release(&b);
	return ok;
}

/* Loading */

struct loader {
	const char *path;
	struct json_doc d;
	struct buf name;	/* "ignore[2]" */
	struct buf s;		/* scratch */
	struct tend_err *err;
	int64_t	 now_ns;
};

static int
bad(struct loader *l, const char *what)
{
	return tend_err_set(l->err, TEND_EXIT_INPUT, "%s: %s: %s", l->path,
	    l->name.p, what);
}

/* A decoded string token, as a new C string; NULL if not a string. */
static char *
str_dup(struct loader *l, int64_t t)
{
	if (t < 0 || l->d.tok[t].type != JSON_STRING)
		return NULL;
	buf_reset(&l->s);
	json_str_decode(&l->d, (uint32_t)t, &l->s);
	if (memchr(l->s.p, '\0', l->s.len) != NULL)
		return NULL;
	return xstrndup(l->s.p, l->s.len);
}

/* Checks that object o has only the members in allowed. */
static int
only_members(struct loader *l, uint32_t o, const char *const *allowed,
    size_t n)
{
	uint32_t i;
	size_t j;

	for (i = o + 1; i < l->d.tok[o].end; i = l->d.tok[i + 1].end) {
		for (j = 0; j < n; j++)
			if (json_str_eq(&l->d, i, allowed[j]))
				break;
		if (j == n) {
			buf_reset(&l->s);
			json_str_decode(&l->d, i, &l->s);
			return tend_err_set(l->err, TEND_EXIT_INPUT,
			    "%s: %s: unknown member '%.64s'", l->path,
			    l->name.p, l->s.p);
		}
	}
	return 0;
}

static int
load_match(struct loader *l, uint32_t rule, struct selector *s)
{
	static const char *const allowed[] = {
		"provider", "kind", "key", "name", "namespace", "labels",
	};
	int64_t m = json_obj_get(&l->d, rule, "match"), lab;
	uint32_t i;
	char **slot;

	if (m < 0)
		return 0;
	if (l->d.tok[m].type != JSON_OBJECT)
		return bad(l, "'match' must be an object");
	if (only_members(l, (uint32_t)m, allowed, ARRAY_SIZE(allowed)) < 0)
		return -1;
	for (i = (uint32_t)m + 1; i < l->d.tok[m].end;
	    i = l->d.tok[i + 1].end) {
		buf_reset(&l->s);
		json_str_decode(&l->d, i, &l->s);
		if (strcmp(l->s.p, "labels") == 0)
			continue;
		slot = field(s, l->s.p, l->s.len);
		free(*slot);
		if ((*slot = str_dup(l, i + 1)) == NULL)
			return bad(l, "'match' members must be strings");
	}
	lab = json_obj_get(&l->d, (uint32_t)m, "labels");
	if (lab < 0)
		return 0;
	if (l->d.tok[lab].type != JSON_OBJECT)
		return bad(l, "'match.labels' must be an object");
	for (i = (uint32_t)lab + 1; i < l->d.tok[lab].end;
	    i = l->d.tok[i + 1].end) {
		char *name = str_dup(l, i), *glob = str_dup(l, i + 1);

		if (name == NULL || glob == NULL) {
			free(name);
			free(glob);
			return bad(l, "'match.labels' values must be strings");
		}
		add_label(s, name, strlen(name), glob, strlen(glob));
		free(name);
		free(glob);
	}
	return 0;
}

/* Strings of array member `name` of rule (absent: none). */
static int
load_strings(struct loader *l, uint32_t rule, const char *name,
    char ***out, size_t *n)
{
	int64_t a = json_obj_get(&l->d, rule, name);
	uint32_t i;

	*out = NULL;
	*n = 0;
	if (a < 0)
		return 0;
	if (l->d.tok[a].type != JSON_ARRAY)
		return tend_err_set(l->err, TEND_EXIT_INPUT, "%s: %s: '%s' "
		    "must be an array of strings", l->path, l->name.p, name);
	*out = xcalloc(l->d.tok[a].size + 1, sizeof(**out));
	for (i = (uint32_t)a + 1; i < l->d.tok[a].end; i = l->d.tok[i].end) {
		if (((*out)[*n] = str_dup(l, i)) == NULL)
			return tend_err_set(l->err, TEND_EXIT_INPUT, "%s: %s: "
			    "'%s' must be an array of strings", l->path,
			    l->name.p, name);
		(*n)++;
	}
	return 0;
}

static int
load_pointers(struct loader *l, uint32_t o, struct rule *r)
{
	struct tend_err perr;
	size_t i;

	if (load_strings(l, o, "pointers", &r->ptrs, &r->nptrs) < 0)
		return -1;
	r->ptrlens = xcalloc(r->nptrs + 1, sizeof(*r->ptrlens));
	for (i = 0; i < r->nptrs; i++) {
		r->ptrlens[i] = strlen(r->ptrs[i]);
		if (jsonptr_check(r->ptrs[i], r->ptrlens[i], &perr) < 0)
			return tend_err_set(l->err, TEND_EXIT_INPUT, "%s: %s: "
			    "pointer '%.100s': %s", l->path, l->name.p,
			    r->ptrs[i], perr.msg);
	}
	return 0;
}

static int
compile(struct loader *l, struct rule *r, const char *text, int ignore)
{
	struct buf src = BUF_INIT, name = BUF_INIT;
	struct jqprog *p;

	/* An ignore expression selects paths; where it cannot be followed
	   (.a[] on a string) it selects none rather than failing. */
	if (ignore)
		buf_addf(&src, "try path(%s\n) catch empty", text);
	else
		buf_adds(&src, text);
	buf_addf(&name, "%s: %s", l->path, l->name.p);
	p = jqprog_compile(src.p, name.p, NULL, NULL, 0, l->err);
	buf_release(&src);
	buf_release(&name);
	if (p == NULL)
		return -1;
	r->jq = xreallocarray(r->jq, r->njq + 1, sizeof(*r->jq));
	r->jq[r->njq++] = p;
	return 0;
}

static int
load_rule(struct loader *l, uint32_t o, struct rule *r)
{
	static const char *const allowed[3][6] = {
		{ "match", "pointers", "jq", "reason", "expires", NULL },
		{ "match", "pointers", "absolute", "relative", "reason",
		    "expires" },
		{ "match", "severity", "jq", "reason", "expires", NULL },
	};
	const struct json_doc *d = &l->d;
	int64_t t;
	char **jq = NULL;
	size_t i, njq = 0;
	int rc = -1;

	if (d->tok[o].type != JSON_OBJECT)
		return bad(l, "a rule must be an object");
	if (only_members(l, o, allowed[r->kind], allowed[r->kind][5] ? 6 :
	    5) < 0)
		return -1;
	if (load_match(l, o, &r->match) < 0)
		return -1;
	r->reason = str_dup(l, json_obj_get(d, o, "reason"));
	if (r->reason == NULL || r->reason[0] == '\0')
		return bad(l, "'reason' is required: say why");
	if ((t = json_obj_get(d, o, "expires")) >= 0) {
		int64_t ns;

		if ((r->expires = str_dup(l, t)) == NULL)
			return bad(l, "'expires' must be a string");
		if (strlen(r->expires) == 10) {
			char full[32];

			snprintf(full, sizeof(full), "%sT00:00:00Z",
			    r->expires);
			t = rfc3339_parse(full, strlen(full), &ns);
		} else
			t = rfc3339_parse(r->expires, strlen(r->expires), &ns);
		if (t < 0)
			return bad(l, "'expires' is not a date (YYYY-MM-DD) "
			    "or an RFC 3339 time");
		r->expired = ns <= l->now_ns;
	}
	switch (r->kind) {
	case RULE_IGNORE:
		if (load_pointers(l, o, r) < 0 ||
		    load_strings(l, o, "jq", &jq, &njq) < 0)
			goto out;
		if (r->nptrs + njq == 0) {
			bad(l, "give 'pointers' or 'jq'");
			goto out;
		}
		for (i = 0; i < njq; i++)
			if (compile(l, r, jq[i], 1) < 0)
				goto out;
		break;
	case RULE_TOLERANCE:
		if (load_pointers(l, o, r) < 0)
			goto out;
		if (r->nptrs == 0) {
			bad(l, "'pointers' is required");
			goto out;
		}
		if ((t = json_obj_get(d, o, "absolute")) >= 0) {
			if (d->tok[t].type != JSON_NUMBER ||
			    (r->absolute = json_num(d, (uint32_t)t)) < 0) {
				bad(l, "'absolute' must be a number >= 0");
				goto out;
			}
			r->has_abs = 1;
		}
		if ((t = json_obj_get(d, o, "relative")) >= 0) {
			if (d->tok[t].type != JSON_NUMBER ||
			    (r->relative = json_num(d, (uint32_t)t)) < 0) {
				bad(l, "'relative' must be a number >= 0 (0.1 "
				    "is 10%)");
				goto out;
			}
			r->has_rel = 1;
		}
		if (!r->has_abs && !r->has_rel) {
			bad(l, "give 'absolute' or 'relative'");
			goto out;
		}
		break;
	case RULE_SEVERITY:
		r->sev = SEV_NONE;
		t = json_obj_get(d, o, "severity");
		if (t >= 0) {
			if (d->tok[t].type != JSON_STRING ||
			    (r->sev = severity_parse(d->src + d->tok[t].off,
			    d->tok[t].len)) == SEV_NONE) {
				bad(l, "'severity' must be one of info, low, "
				    "medium, high, critical");
				goto out;
			}
		}
		t = json_obj_get(d, o, "jq");
		if ((t >= 0) == (r->sev != SEV_NONE)) {
			bad(l, "give either 'severity' or 'jq'");
			goto out;
		}
		if (t >= 0) {
			char *text = str_dup(l, t);

			if (text == NULL) {
				bad(l, "'jq' must be a string (a jq program)");
				goto out;
			}
			rc = compile(l, r, text, 0);
			free(text);
			if (rc < 0)
				goto out;
		}
		break;
	}
	rc = 0;
out:
	for (i = 0; i < njq; i++)
		free(jq[i]);
	free(jq);
	return rc;
}

static int
read_all(const char *path, struct buf *b, struct tend_err *err)
{
	char chunk[65536];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return tend_err_sys(err, "cannot open '%s'", path);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			tend_err_sys(err, "cannot read '%s'", path);
			close(fd);
			return -1;
		}
		buf_add(b, chunk, (size_t)n);
	}
	close(fd);
	buf_grow(b, 0);
	return 0;
}

struct rules *
rules_load(const char *path, int64_t now_ns, struct tend_err *err)
{
	static const char *const top[] = {
		"$schema", "comment", "ignore", "tolerances", "severity",
	};
	struct rules *rs = xcalloc(1, sizeof(*rs));
	struct loader l;
	struct buf text = BUF_INIT;
	struct tend_err perr;
	int64_t a;
	uint32_t i;
	size_t k;
	int rc = -1;

	memset(&l, 0, sizeof(l));
	l.path = path;
	l.err = err;
	l.now_ns = now_ns;
	rs->path = xstrdup(path);
	json_doc_init(&l.d);
	buf_adds(&l.name, "top level");
	if (read_all(path, &text, err) < 0)
		goto out;
	if (json_parse(&l.d, text.p, text.len, &perr) < 0) {
		tend_err_set(err, TEND_EXIT_INPUT, "%s: %s", path, perr.msg);
		goto out;
	}
	if (l.d.tok[0].type != JSON_OBJECT) {
		bad(&l, "the rules must be a JSON object");
		goto out;
	}
	if (only_members(&l, 0, top, ARRAY_SIZE(top)) < 0)
		goto out;
	for (k = 0; k < 3; k++) {
		if ((a = json_obj_get(&l.d, 0, kind_names[k])) < 0)
			continue;
		if (l.d.tok[a].type != JSON_ARRAY) {
			tend_err_set(err, TEND_EXIT_INPUT, "%s: '%s' must be "
			    "an array", path, kind_names[k]);
			goto out;
		}
		rs->r[k] = xcalloc(l.d.tok[a].size + 1, sizeof(*rs->r[k]));
		for (i = (uint32_t)a + 1; i < l.d.tok[a].end;
		    i = l.d.tok[i].end) {
			struct rule *r = &rs->r[k][rs->n[k]];

			r->kind = (enum rule_kind)k;
			r->index = rs->n[k]++;
			buf_reset(&l.name);
			buf_addf(&l.name, "%s[%zu]", kind_names[k], r->index);
			if (load_rule(&l, i, r) < 0)
				goto out;
		}
	}
	rc = 0;
out:
	json_doc_release(&l.d);
	buf_release(&l.name);
	buf_release(&l.s);
	buf_release(&text);
	if (rc < 0) {
		rules_free(rs);
		return NULL;
	}
	return rs;
}

void
rules_free(struct rules *rs)
{
	size_t k, i, j;

	if (rs == NULL)
		return;
	for (k = 0; k < 3; k++) {
		for (i = 0; i < rs->n[k]; i++) {
			struct rule *r = &rs->r[k][i];

			selector_release(&r->match);
			for (j = 0; j < r->nptrs; j++)
				free(r->ptrs[j]);
			free(r->ptrs);
			free(r->ptrlens);
			for (j = 0; j < r->njq; j++)
				jqprog_free(r->jq[j]);
			free(r->jq);
			free(r->reason);
			free(r->expires);
		}
		free(rs->r[k]);
	}
	free(rs->path);
	free(rs);
}

void
rules_expired_json(const struct rules *rs, struct buf *out)
{
	size_t k, i, n = 0;
	char name[48];

	buf_addc(out, '[');
	for (k = 0; rs != NULL && k < 3; k++)
		for (i = 0; i < rs->n[k]; i++) {
			const struct rule *r = &rs->r[k][i];

			if (!r->expired)
				continue;
			snprintf(name, sizeof(name), "%s[%zu]", kind_names[k],
			    i);
			buf_adds(out, n++ ? ",{\"rule\":" : "{\"rule\":");
			buf_add_json_str(out, name, strlen(name));
			buf_adds(out, ",\"reason\":");
			buf_add_json_str(out, r->reason, strlen(r->reason));
			buf_adds(out, ",\"expires\":");
			buf_add_json_str(out, r->expires, strlen(r->expires));
			buf_addc(out, '}');
		}
	buf_addc(out, ']');
}

void
rules_warn_expired(const struct rules *rs)
{
	size_t k, i;

	for (k = 0; rs != NULL && k < 3; k++)
		for (i = 0; i < rs->n[k]; i++) {
			const struct rule *r = &rs->r[k][i];

			if (r->expired)
				warnx("%s: %s[%zu] expired %s, not applied "
				    "(%s)", rs->path, kind_names[k], i,
				    r->expires, r->reason);
		}
}

/* Applying */

void
applied_init(struct applied *ap)
{
	memset(ap, 0, sizeof(*ap));
}

void
applied_release(struct applied *ap)
{
	free(ap->ign);
	free(ap->tol);
	buf_release(&ap->ptrs);
	applied_init(ap);
}

struct jqctx {
	struct applied *ap;
	struct json_doc d;
	struct tend_err *err;
	int	 failed;
};

static int
take_path(void *ctx, const char *out, size_t len)
{
	struct jqctx *j = ctx;
	struct tend_err perr;

	if (json_parse(&j->d, out, len, &perr) < 0 ||
	    jsonptr_from_path(&j->d, 0, &j->ap->ptrs, &perr) < 0) {
		tend_err_set(j->err, TEND_EXIT_INPUT, "%s", perr.msg);
		j->failed = 1;
		return -1;
	}
	buf_addc(&j->ap->ptrs, '\0');
	j->ap->nptrs++;
	return 0;
}

/* Runs the jq ignore expressions of the selected rules on r's spec. */
static int
run_paths(struct applied *ap, const struct res *r, struct tend_err *err)
{
	const struct rules *rs = ap->rules;
	struct jqctx j;
	const char *spec;
	size_t i, k, len;
	int rc = 0;

	memset(&j, 0, sizeof(j));
	j.ap = ap;
	j.err = err;
	json_doc_init(&j.d);
	spec = json_raw(&r->ev.doc, (uint32_t)r->spec, &len);
	for (i = 0; i < ap->nign && rc == 0; i++) {
		const struct rule *rule = &rs->r[RULE_IGNORE][ap->ign[i]];

		for (k = 0; k < rule->njq && rc == 0; k++)
			if (jqprog_run(rule->jq[k], spec, len, take_path, &j,
			    err) < 0)
				rc = -1;
	}
	json_doc_release(&j.d);
	return rc;
}

int
applied_select(struct applied *ap, const struct rules *rs,
    const struct res *a, const struct res *b, struct tend_err *err)
{
	const struct res *who = b != NULL ? b : a;
	size_t i;

	free(ap->ign);
	free(ap->tol);
	buf_reset(&ap->ptrs);
	ap->ign = ap->tol = NULL;
	ap->nign = ap->ntol = ap->nptrs = ap->nptrs_a = 0;
	ap->ignored = ap->tolerated = 0;
	ap->rules = rs;
	if (rs == NULL)
		return 0;
	ap->ign = xcalloc(rs->n[RULE_IGNORE] + 1, sizeof(*ap->ign));
	ap->tol = xcalloc(rs->n[RULE_TOLERANCE] + 1, sizeof(*ap->tol));
	for (i = 0; i < rs->n[RULE_IGNORE]; i++)
		if (!rs->r[RULE_IGNORE][i].expired &&
		    selector_match(&rs->r[RULE_IGNORE][i].match, who))
			ap->ign[ap->nign++] = i;
	for (i = 0; i < rs->n[RULE_TOLERANCE]; i++)
		if (!rs->r[RULE_TOLERANCE][i].expired &&
		    selector_match(&rs->r[RULE_TOLERANCE][i].match, who))
			ap->tol[ap->ntol++] = i;
	if (a != NULL && run_paths(ap, a, err) < 0)
		return -1;
	ap->nptrs_a = ap->nptrs;
	if (b != NULL && run_paths(ap, b, err) < 0)
		return -1;
	return 0;
}

/* A Kubernetes quantity ("250m", "1.5Gi", "2e3") or plain number. */
static int
quantity(const char *s, size_t n, double *out)
{
	static const struct {
		const char *suffix;
		double mult;
	} sfx[] = {
		{ "Ki", 1024.0 }, { "Mi", 1048576.0 }, { "Gi", 1073741824.0 },
		{ "Ti", 1099511627776.0 }, { "Pi", 1125899906842624.0 },
		{ "Ei", 1152921504606846976.0 }, { "n", 1e-9 }, { "u", 1e-6 },
		{ "m", 1e-3 }, { "k", 1e3 }, { "M", 1e6 }, { "G", 1e9 },
		{ "T", 1e12 }, { "P", 1e15 }, { "E", 1e18 },
	};
	char num[64];
	size_t i = 0, digits = 0, k;
	double mult = 1;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (i < n && s[i] == '.')
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
	if (digits == 0 || i >= sizeof(num))
		return -1;
	memcpy(num, s, i);
	num[i] = '\0';
	if (i < n) {
		for (k = 0; k < ARRAY_SIZE(sfx); k++)
			if (strlen(sfx[k].suffix) == n - i &&
			    memcmp(sfx[k].suffix, s + i, n - i) == 0)
				break;
		if (k < ARRAY_SIZE(sfx))
			mult = sfx[k].mult;
		else if (s[i] == 'e' || s[i] == 'E') {
			size_t j = i + 1, e0;

			if (j < n && (s[j] == '+' || s[j] == '-'))
				j++;
			for (e0 = j; j < n && s[j] >= '0' && s[j] <= '9'; j++)
				;
			if (j != n || j == e0 || n >= sizeof(num))
				return -1;
			memcpy(num, s, n);
			num[n] = '\0';
		} else
			return -1;
	}
	*out = strtod(num, NULL) * mult;
	return isfinite(*out) ? 0 : -1;
}

static int
numeric(const struct json_doc *d, int64_t i, double *out)
{
	const struct json_tok *t = &d->tok[i];

	if (t->type == JSON_NUMBER) {
		*out = json_num(d, (uint32_t)i);
		return isfinite(*out) ? 0 : -1;
	}
	if (t->type == JSON_STRING && !t->escaped)
		return quantity(d->src + t->off, t->len, out);
	return -1;
}

static int
within(const struct rule *r, const struct jsonpatch_node *n)
{
	double a, b, diff;

	if (numeric(n->a, n->ai, &a) < 0 || numeric(n->b, n->bi, &b) < 0)
		return 0;
	diff = fabs(a - b);
	/* a little slack for the decimal fractions of binary doubles */
	return (r->has_abs && diff <= r->absolute * (1 + 1e-12)) ||
	    (r->has_rel && diff <= r->relative * fabs(b) * (1 + 1e-12));
}

static int
rule_matches(const struct rule *r, const struct jsonpatch_node *n)
{
	size_t i;

	for (i = 0; i < r->nptrs; i++)
		if ((n->apath != NULL && jsonptr_match(r->ptrs[i],
		    r->ptrlens[i], n->apath, n->apathlen, 0)) ||
		    (n->bpath != NULL && jsonptr_match(r->ptrs[i],
		    r->ptrlens[i], n->bpath, n->bpathlen, 0)))
			return 1;
	return 0;
}

int
applied_node(void *ctx, const struct jsonpatch_node *n)
{
	struct applied *ap = ctx;
	const struct rules *rs = ap->rules;
	const char *p = ap->ptrs.p;
	size_t i, len;

	for (i = 0; i < ap->nign; i++)
		if (rule_matches(&rs->r[RULE_IGNORE][ap->ign[i]], n))
			goto ignore;
	for (i = 0; i < ap->nptrs; i++, p += len + 1) {
		len = strlen(p);
		if (i < ap->nptrs_a ? (n->apath != NULL &&
		    len == n->apathlen && memcmp(p, n->apath, len) == 0) :
		    (n->bpath != NULL && len == n->bpathlen &&
		    memcmp(p, n->bpath, len) == 0))
			goto ignore;
	}
	if (n->ai < 0 || n->bi < 0 ||
	    jsonpatch_tape_equal(n->a, (uint32_t)n->ai, n->b, (uint32_t)n->bi))
		return JSONPATCH_COMPARE;
	for (i = 0; i < ap->ntol; i++) {
		const struct rule *r = &rs->r[RULE_TOLERANCE][ap->tol[i]];

		if (rule_matches(r, n) && within(r, n)) {
			ap->tolerated++;
			return JSONPATCH_TOLERATE;
		}
	}
	return JSONPATCH_COMPARE;
ignore:
	/* Left out either way; counted only when it made a difference. */
	if (n->ai < 0 || n->bi < 0 || !jsonpatch_tape_equal(n->a,
	    (uint32_t)n->ai, n->b, (uint32_t)n->bi))
		ap->ignored++;
	return JSONPATCH_IGNORE;
}

struct sevctx {
	enum severity best;
	const char *rule;
	struct tend_err *err;
	int	 bad;
};

static int
take_severity(void *ctx, const char *out, size_t len)
{
	struct sevctx *s = ctx;
	enum severity v = SEV_NONE;

	if (len >= 2 && out[0] == '"' && out[len - 1] == '"')
		v = severity_parse(out + 1, len - 2);
	if (v == SEV_NONE) {
		tend_err_set(s->err, TEND_EXIT_INPUT, "%s: output %.*s%s is "
		    "not a severity (info, low, medium, high, critical)",
		    s->rule, (int)(len > 40 ? 40 : len), out,
		    len > 40 ? "..." : "");
		s->bad = 1;
		return -1;
	}
	if (v > s->best)
		s->best = v;
	return 0;
}

int
rules_severity(const struct rules *rs, const struct res *r,
    const char *data, size_t len, enum severity *out, struct tend_err *err)
{
	struct sevctx s;
	char name[512];
	size_t i;

	s.best = SEV_NONE;
	s.err = err;
	s.bad = 0;
	for (i = 0; rs != NULL && i < rs->n[RULE_SEVERITY]; i++) {
		const struct rule *rule = &rs->r[RULE_SEVERITY][i];

		if (rule->expired || !selector_match(&rule->match, r))
			continue;
		if (rule->njq == 0) {
			if (rule->sev > s.best)
				s.best = rule->sev;
			continue;
		}
		snprintf(name, sizeof(name), "%s: severity[%zu]", rs->path, i);
		s.rule = name;
		if (jqprog_run(rule->jq[0], data, len, take_severity, &s,
		    err) < 0 || s.bad)
			return -1;
	}
	*out = s.best == SEV_NONE ? SEV_DEFAULT : s.best;
	return 0;
}
