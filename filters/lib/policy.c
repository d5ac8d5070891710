/*
 * tend gate's policy: load, compile, decide.  See policy.h and
 * tend-gate(1), POLICY.
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <unistd.h>

#include "jcs.h"
#include "jqrun.h"
#include "policy.h"
#include "rfc3339.h"
#include "schema.h"
#include "window.h"
#include "xmalloc.h"
#include "yaml2json.h"

#define NS		1000000000LL
#define MAX_CLAUSES	64
#define POLICY_MAX_BYTES (16u << 20)

enum { MODE_AUTO, MODE_WINDOW, MODE_HUMAN };
enum { SKILL_SHADOW, SKILL_AUTO, SKILL_OFF };
enum { HOLD_DEFER, HOLD_ESCALATE };
enum { PER_RUN, PER_TARGET, PER_KIND, PER_NAMESPACE, PER_SERVICE };

static const char *const per_names[] = { "run", "target", "kind",
    "namespace", "service" };
static const char *const mode_names[] = { "auto", "window", "human" };

/* A list of patterns; n == 0 matches everything. */
struct pats {
	char	**v;
	size_t	 n;
};

struct match {
	struct pats domain, skill, risk, targets;
};

struct pwindow {
	char	*name;
	int	 deny;
	struct window w;
	struct match m;
	char	*desc;		/* "'name' (0 22 * * 1-5, 4h, Europe/Berlin)" */
};

struct plimit {
	char	*name;
	int	 per;
	int64_t	 max_actions;	/* -1: a fraction limit */
	double	 max_fraction;
	int64_t	 period_ns;	/* 0: none */
	char	*period;
	int	 hold;
	struct match m;
};

struct prule {
	char	*name;
	int	 deny;
	char	*reason;
	char	*text;		/* the jq program */
	struct match m;
};

struct pnamed {
	char	*name;
	int	 mode;
};

struct pcred {
	char	*name;
	struct pats skills;
};

struct policy {
	struct buf json;
	char	 digest[72];
	char	*file;
	int	 def_skill, def_risk, def_hold;
	int	 def_skill_given, def_risk_given;
	struct pnamed *skills, *risks;
	size_t	 nskills, nrisks;
	struct pcred *creds;
	size_t	 ncreds;
	struct pwindow *windows;
	size_t	 nwindows;
	struct plimit *limits;
	size_t	 nlimits;
	struct prule *rules;
	size_t	 nrules;
	struct jqprog *rules_prog;	/* every rule, as one program */
};

/* ------------------------------------------------------------------ */
/* loading */

/* Decoded copy of string token t. */
static char *
dup_str(const struct json_doc *d, uint32_t t)
{
	struct buf b = BUF_INIT;

	json_str_decode(d, t, &b);
	if (b.p == NULL)
		return xstrdup("");
	return b.p;
}

static int64_t
member(const struct json_doc *d, uint32_t obj, const char *key)
{
	if (d->tok[obj].type != JSON_OBJECT)
		return -1;
	return json_obj_get(d, obj, key);
}

static char *
member_str(const struct json_doc *d, uint32_t obj, const char *key)
{
	int64_t t = member(d, obj, key);

	if (t < 0 || d->tok[t].type != JSON_STRING)
		return NULL;
	return dup_str(d, (uint32_t)t);
}

static int
mode_index(const char *s, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	BUG("a mode the schema allowed");
}

static int
skill_mode(const char *s)
{
	static const char *const names[] = { "shadow", "auto", "off" };

	return mode_index(s, names, ARRAY_SIZE(names));
}

static int
risk_mode(const char *s)
{
	return mode_index(s, mode_names, ARRAY_SIZE(mode_names));
}

static void
pats_load(struct pats *p, const struct json_doc *d, int64_t t)
{
	uint32_t i;

	memset(p, 0, sizeof(*p));
	if (t < 0)
		return;
	if (d->tok[t].type == JSON_STRING) {
		p->v = xcalloc(1, sizeof(*p->v));
		p->v[p->n++] = dup_str(d, (uint32_t)t);
		return;
	}
	p->v = xcalloc(d->tok[t].size, sizeof(*p->v));
	for (i = (uint32_t)t + 1; i < d->tok[t].end; i = d->tok[i].end)
		p->v[p->n++] = dup_str(d, i);
}

static void
pats_free(struct pats *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
}

static int
pats_match(const struct pats *p, const char *s)
{
	size_t i;

	if (p->n == 0)
		return 1;
	if (s == NULL)
		return 0;
	for (i = 0; i < p->n; i++)
		if (fnmatch(p->v[i], s, 0) == 0)
			return 1;
	return 0;
}

static void
match_load(struct match *m, const struct json_doc *d, uint32_t obj)
{
	int64_t t = member(d, obj, "match");

	memset(m, 0, sizeof(*m));
	if (t < 0)
		return;
	pats_load(&m->domain, d, member(d, (uint32_t)t, "domain"));
	pats_load(&m->skill, d, member(d, (uint32_t)t, "skill"));
	pats_load(&m->risk, d, member(d, (uint32_t)t, "risk"));
	pats_load(&m->targets, d, member(d, (uint32_t)t, "targets"));
}

static void
match_free(struct match *m)
{
	pats_free(&m->domain);
	pats_free(&m->skill);
	pats_free(&m->risk);
	pats_free(&m->targets);
}

static int
match_action(const struct match *m, const struct policy_action *a)
{
	size_t i;

	if (!pats_match(&m->domain, a->domain) ||
	    !pats_match(&m->skill, a->skill) ||
	    !pats_match(&m->risk, a->risk))
		return 0;
	if (m->targets.n == 0)
		return 1;
	for (i = 0; i < a->ntargets; i++)
		if (pats_match(&m->targets, a->targets[i]))
			return 1;
	return 0;
}

static void
fmt_time(int64_t ns, char *out, size_t len)
{
	rfc3339_format(ns, out, len);
}

static int
load_windows(struct policy *p, const struct json_doc *d, int64_t arr,
    struct tend_err *err)
{
	uint32_t i;
	size_t k = 0;
	struct buf desc = BUF_INIT;

	if (arr < 0)
		return 0;
	p->windows = xcalloc(d->tok[arr].size, sizeof(*p->windows));
	for (i = (uint32_t)arr + 1; i < d->tok[arr].end; i = d->tok[i].end) {
		struct pwindow *w = &p->windows[k];
		char *cron, *dur, *tz, *from, *until, *eff;
		int rc;

		w->name = member_str(d, i, "name");
		eff = member_str(d, i, "effect");
		w->deny = strcmp(eff, "deny") == 0;
		free(eff);
		match_load(&w->m, d, i);
		p->nwindows = ++k;
		cron = member_str(d, i, "cron");
		dur = member_str(d, i, "duration");
		tz = member_str(d, i, "tz");
		from = member_str(d, i, "from");
		until = member_str(d, i, "until");
		buf_reset(&desc);
		if (cron != NULL) {
			rc = window_cron(&w->w, cron, dur, tz, err);
			buf_addf(&desc, "'%s' (%s, %s, %s)", w->name, cron,
			    dur, tz);
		} else {
			char a[48], b[48];

			rc = window_range(&w->w, from, until, err);
			if (rc == 0) {
				fmt_time(w->w.from_ns, a, sizeof(a));
				fmt_time(w->w.until_ns, b, sizeof(b));
				buf_addf(&desc, "'%s' (%s to %s)", w->name, a,
				    b);
			}
		}
		free(cron);
		free(dur);
		free(tz);
		free(from);
		free(until);
		if (rc < 0) {
			char msg[sizeof(err->msg)];

			strlcpy(msg, err->msg, sizeof(msg));
			buf_release(&desc);
			return tend_err_set(err, TEND_EXIT_INPUT,
			    "/windows/%zu (%s): %s", k - 1, w->name, msg);
		}
		w->desc = xstrdup(desc.p);
	}
	buf_release(&desc);
	return 0;
}

static int
load_limits(struct policy *p, const struct json_doc *d, int64_t arr,
    struct tend_err *err)
{
	uint32_t i;
	size_t k = 0;
	int64_t t;
	char *s;

	if (arr < 0)
		return 0;
	p->limits = xcalloc(d->tok[arr].size, sizeof(*p->limits));
	for (i = (uint32_t)arr + 1; i < d->tok[arr].end; i = d->tok[i].end) {
		struct plimit *l = &p->limits[k];

		l->name = member_str(d, i, "name");
		p->nlimits = ++k;
		s = member_str(d, i, "per");
		l->per = mode_index(s, per_names, ARRAY_SIZE(per_names));
		free(s);
		l->max_actions = -1;
		l->max_fraction = -1;
		if ((t = member(d, i, "max_actions")) >= 0 &&
		    json_int(d, (uint32_t)t, &l->max_actions) < 0)
			return tend_err_set(err, TEND_EXIT_INPUT, "/limits/%zu "
			    "(%s): max_actions is too large", k - 1, l->name);
		if ((t = member(d, i, "max_fraction")) >= 0)
			l->max_fraction = json_num(d, (uint32_t)t);
		l->hold = p->def_hold;
		if ((s = member_str(d, i, "hold")) != NULL) {
			l->hold = strcmp(s, "escalate") == 0 ? HOLD_ESCALATE :
			    HOLD_DEFER;
			free(s);
		}
		if ((l->period = member_str(d, i, "period")) != NULL) {
			int64_t sec;

			if (duration_parse(l->period, &sec, err) < 0) {
				char msg[sizeof(err->msg)];

				strlcpy(msg, err->msg, sizeof(msg));
				return tend_err_set(err, TEND_EXIT_INPUT,
				    "/limits/%zu (%s): %s", k - 1, l->name,
				    msg);
			}
			if (l->per == PER_RUN)
				return tend_err_set(err, TEND_EXIT_INPUT,
				    "/limits/%zu (%s): a period counts the "
				    "log's history per target, kind, namespace "
				    "or service, not per run", k - 1, l->name);
			l->period_ns = sec * NS;
		}
		match_load(&l->m, d, i);
	}
	return 0;
}

/*
 * All rules run as one jq program, so a policy pays for one compile (a
 * jq 1.6 compile costs tens of milliseconds) and an action for one
 * parse, however many rules there are.  Rule i gives element i of an
 * array: 1 if its first output is neither false nor null, 0 if not, or
 * its error message (a string).  Each rule is in parentheses on lines of
 * its own, so its comments and definitions stay its own.
 */
static void
rules_text(const struct policy *p, struct buf *out, long *first_line)
{
	long line = 2;
	size_t i;
	const char *c;

	buf_adds(out, "[\n");
	for (i = 0; i < p->nrules; i++) {
		first_line[i] = line;
		buf_addf(out, "%s(try ([first((\n%s\n))] | if length == 0 or "
		    ".[0] == false or .[0] == null then 0 else 1 end) catch "
		    "(if type == \"string\" then . else tojson end))\n",
		    i > 0 ? "," : "", p->rules[i].text);
		line += 3;
		for (c = p->rules[i].text; *c != '\0'; c++)
			line += *c == '\n';
	}
	buf_adds(out, "]\n");
}

/* The rule a compile error of the whole program points at: by the first
   ", line N" of msg (jqrun reports the program's own lines), or -1. */
static long
rule_at(const struct policy *p, const long *first_line, const char *msg)
{
	const char *at = strstr(msg, ", line ");
	long line;
	size_t i;

	if (at == NULL || (line = strtol(at + 7, NULL, 10)) < 2)
		return -1;
	for (i = p->nrules; i > 0; i--)
		if (line >= first_line[i - 1])
			return (long)i - 1;
	return -1;
}

/*
 * When the whole program does not compile, the error's line names the
 * rule, which is compiled alone for a message of its own; so a bad
 * policy costs two compiles, not one a rule.
 */
static int
load_rules(struct policy *p, const struct json_doc *d, int64_t arr,
    struct tend_err *err)
{
	struct buf name = BUF_INIT, all = BUF_INIT;
	struct jqprog *one;
	char msg[sizeof(err->msg)];
	long *first_line, k;
	uint32_t i;
	size_t n = 0;
	char *s;

	if (arr < 0)
		return 0;
	p->rules = xcalloc(d->tok[arr].size, sizeof(*p->rules));
	for (i = (uint32_t)arr + 1; i < d->tok[arr].end; i = d->tok[i].end) {
		struct prule *r = &p->rules[n];

		r->name = member_str(d, i, "name");
		p->nrules = ++n;
		s = member_str(d, i, "effect");
		r->deny = strcmp(s, "deny") == 0;
		free(s);
		r->reason = member_str(d, i, "reason");
		r->text = member_str(d, i, "if");
		match_load(&r->m, d, i);
	}
	if (p->nrules == 0)
		return 0;
	first_line = xcalloc(p->nrules, sizeof(*first_line));
	rules_text(p, &all, first_line);
	p->rules_prog = jqprog_compile(all.p, "rules", NULL, NULL, 0, err);
	buf_release(&all);
	if (p->rules_prog != NULL) {
		free(first_line);
		return 0;
	}
	strlcpy(msg, err->msg, sizeof(msg));
	k = rule_at(p, first_line, msg);
	free(first_line);
	if (k < 0)
		return tend_err_set(err, TEND_EXIT_INPUT, "/rules: do not "
		    "compile: %s", msg);
	buf_addf(&name, "rule '%s'", p->rules[k].name);
	one = jqprog_compile(p->rules[k].text, name.p, NULL, NULL, 0, err);
	buf_release(&name);
	if (one == NULL) {
		strlcpy(msg, err->msg, sizeof(msg));
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "/rules/%ld (%s): does not compile: %s", k,
		    p->rules[k].name, msg);
	}
	jqprog_free(one);
	/* Alone it compiles (a limit of the whole program?) */
	return tend_err_set(err, TEND_EXIT_INPUT, "/rules/%ld (%s): does not "
	    "compile beside the other rules: %s", k,
	    p->rules[k].name, msg);
}

static void
load_named(struct pnamed **out, size_t *n, const struct json_doc *d,
    int64_t obj, int skills)
{
	uint32_t k;
	char *s;

	if (obj < 0)
		return;
	*out = xcalloc(d->tok[obj].size, sizeof(**out));
	for (k = (uint32_t)obj + 1; k < d->tok[obj].end;
	    k = d->tok[k + 1].end) {
		struct pnamed *e = &(*out)[(*n)++];

		e->name = dup_str(d, k);
		if (skills) {
			s = member_str(d, k + 1, "mode");
			e->mode = skill_mode(s);
		} else {
			s = dup_str(d, k + 1);
			e->mode = risk_mode(s);
		}
		free(s);
	}
}

static void
load_creds(struct policy *p, const struct json_doc *d, int64_t obj)
{
	uint32_t k;

	if (obj < 0)
		return;
	p->creds = xcalloc(d->tok[obj].size, sizeof(*p->creds));
	for (k = (uint32_t)obj + 1; k < d->tok[obj].end;
	    k = d->tok[k + 1].end) {
		struct pcred *c = &p->creds[p->ncreds++];

		c->name = dup_str(d, k);
		pats_load(&c->skills, d, k + 1);
	}
}

/* Two clauses of one list with the same name would make reasons
   ambiguous. */
static int
unique_names(const char *what, const char *const *names, size_t n,
    struct tend_err *err)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				return tend_err_set(err, TEND_EXIT_INPUT,
				    "/%s/%zu: the name '%s' is taken by "
				    "/%s/%zu", what, i, names[i], what, j);
	return 0;
}

static int
check_names(const struct policy *p, struct tend_err *err)
{
	const char *names[MAX_CLAUSES];
	size_t i;

	for (i = 0; i < p->nwindows; i++)
		names[i] = p->windows[i].name;
	if (unique_names("windows", names, p->nwindows, err) < 0)
		return -1;
	for (i = 0; i < p->nlimits; i++)
		names[i] = p->limits[i].name;
	if (unique_names("limits", names, p->nlimits, err) < 0)
		return -1;
	for (i = 0; i < p->nrules; i++)
		names[i] = p->rules[i].name;
	return unique_names("rules", names, p->nrules, err);
}

static int
compile(struct policy *p, const struct json_doc *d, struct tend_err *err)
{
	int64_t t;
	char *s;

	p->def_skill = SKILL_SHADOW;
	p->def_risk = MODE_HUMAN;
	p->def_hold = HOLD_DEFER;
	if ((t = member(d, 0, "defaults")) >= 0) {
		if ((s = member_str(d, (uint32_t)t, "skill_mode")) != NULL) {
			p->def_skill = skill_mode(s);
			p->def_skill_given = 1;
			free(s);
		}
		if ((s = member_str(d, (uint32_t)t, "risk_mode")) != NULL) {
			p->def_risk = risk_mode(s);
			p->def_risk_given = 1;
			free(s);
		}
		if ((s = member_str(d, (uint32_t)t, "hold")) != NULL) {
			p->def_hold = strcmp(s, "escalate") == 0 ?
			    HOLD_ESCALATE : HOLD_DEFER;
			free(s);
		}
	}
	load_named(&p->skills, &p->nskills, d, member(d, 0, "skills"), 1);
	load_named(&p->risks, &p->nrisks, d, member(d, 0, "risk"), 0);
	load_creds(p, d, member(d, 0, "credentials"));
	if (load_windows(p, d, member(d, 0, "windows"), err) < 0 ||
	    load_limits(p, d, member(d, 0, "limits"), err) < 0 ||
	    load_rules(p, d, member(d, 0, "rules"), err) < 0)
		return -1;
	if (check_names(p, err) < 0)
		return -1;
	return 0;
}

/*
 * A schema error inside /windows/N, /limits/N or /rules/N: puts the
 * clause's name after its pointer, and says what a clause needs when it
 * matched neither of its shapes.
 */
static void
name_clause(const struct json_doc *d, struct tend_err *err)
{
	static const char *const lists[] = { "windows", "limits", "rules" };
	static const char limit_shape[] = "a limit has max_actions (and "
	    "maybe period), or max_fraction per kind, namespace or service";
	static const char *const shapes[] = {
		"a window has cron, duration and tz, or from and until",
		limit_shape,
		"",
	};
	char msg[sizeof(err->msg)], *rest;
	size_t i, n;
	int64_t arr, el, nm;
	unsigned long idx;

	for (i = 0; i < ARRAY_SIZE(lists); i++) {
		n = strlen(lists[i]);
		if (err->msg[0] != '/' || strncmp(err->msg + 1, lists[i], n) !=
		    0 || err->msg[n + 1] != '/')
			continue;
		idx = strtoul(err->msg + n + 2, &rest, 10);
		if (rest == err->msg + n + 2)
			return;
		arr = json_obj_get(d, 0, lists[i]);
		if (arr < 0 || d->tok[arr].type != JSON_ARRAY ||
		    (el = json_arr_at(d, (uint32_t)arr, (uint32_t)idx)) < 0 ||
		    d->tok[el].type != JSON_OBJECT ||
		    (nm = json_obj_get(d, (uint32_t)el, "name")) < 0 ||
		    d->tok[nm].type != JSON_STRING)
			return;
		strlcpy(msg, err->msg, sizeof(msg));
		tend_err_set(err, err->code, "%.*s (%.*s)%s%s%s",
		    (int)(rest - err->msg), msg, (int)d->tok[nm].len,
		    d->src + d->tok[nm].off, msg + (rest - err->msg),
		    strstr(msg, "in oneOf") != NULL && *shapes[i] ? ": " : "",
		    strstr(msg, "in oneOf") != NULL ? shapes[i] : "");
		return;
	}
}

/* Prefixes err's message with "NAME: ". */
static void
err_named(struct tend_err *err, const char *name)
{
	char msg[sizeof(err->msg)];

	strlcpy(msg, err->msg, sizeof(msg));
	tend_err_set(err, err->code ? err->code : TEND_EXIT_INPUT, "%s: %s",
	    name, msg);
}

struct policy *
policy_load(const char *text, size_t len, const char *name,
    struct tend_err *err)
{
	struct policy *p;
	struct json_doc d;
	struct schema_set *set = NULL;
	struct schema *sch;
	unsigned char md[JCS_DIGEST_LEN];
	size_t line = 0, i;
	const char *s;

	p = xcalloc(1, sizeof(*p));
	p->file = xstrdup(name);
	json_doc_init(&d);
	for (s = text; s < text + len && (*s == ' ' || *s == '\t' ||
	    *s == '\n' || *s == '\r'); s++)
		;
	if (json_parse(&d, text, len, err) == 0) {
		buf_add(&p->json, text, len);
	} else if (s < text + len && *s == '{') {
		char msg[sizeof(err->msg)];

		strlcpy(msg, err->msg, sizeof(msg));
		tend_err_set(err, TEND_EXIT_INPUT, "%s: not JSON: %s", name,
		    msg);
		goto fail;
	} else if (yaml2json_one(text, len, NULL, &p->json, &line, err) < 0) {
		char msg[sizeof(err->msg)];

		strlcpy(msg, err->msg, sizeof(msg));
		tend_err_set(err, TEND_EXIT_INPUT, "%s:%zu: %s",
		    name, line, msg);
		goto fail;
	}
	if (p->json.p == NULL)
		buf_adds(&p->json, "");
	if (json_parse(&d, p->json.p, p->json.len, err) < 0)
		BUG("yaml2json wrote invalid JSON");
	if ((set = schema_set_load(err)) == NULL) {
		err_named(err, "built-in schemas");
		goto fail;
	}
	if ((sch = schema_set_get(set, "policy.v1.json")) == NULL)
		BUG("policy.v1.json is not built in");
	if (schema_validate(sch, &d, 0, err) < 0) {
		name_clause(&d, err);
		err_named(err, name);
		goto fail;
	}
	if (compile(p, &d, err) < 0) {
		err_named(err, name);
		goto fail;
	}
	if (jcs_digest(&d, 0, md, err) < 0) {
		err_named(err, name);
		goto fail;
	}
	memcpy(p->digest, "sha256:", 7);
	for (i = 0; i < JCS_DIGEST_LEN; i++) {
		static const char x[] = "0123456789abcdef";

		p->digest[7 + 2 * i] = x[md[i] >> 4];
		p->digest[8 + 2 * i] = x[md[i] & 15];
	}
	p->digest[7 + 2 * JCS_DIGEST_LEN] = '\0';
	schema_set_free(set);
	json_doc_release(&d);
	return p;
fail:
	schema_set_free(set);
	json_doc_release(&d);
	policy_free(p);
	return NULL;
}

struct policy *
policy_load_file(const char *path, struct tend_err *err)
{
	struct buf b = BUF_INIT;
	struct policy *p = NULL;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		tend_err_sys(err, "cannot open '%s'", path);
		return NULL;
	}
	for (;;) {
		buf_grow(&b, 65536);
		n = read(fd, b.p + b.len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			tend_err_sys(err, "cannot read '%s'", path);
			goto out;
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
		if (b.len > POLICY_MAX_BYTES) {
			tend_err_set(err, TEND_EXIT_INPUT, "%s: larger than "
			    "%u bytes", path, POLICY_MAX_BYTES);
			goto out;
		}
	}
	if (b.p == NULL)
		buf_adds(&b, "");
	b.p[b.len] = '\0';
	p = policy_load(b.p, b.len, path, err);
out:
	close(fd);
	buf_release(&b);
	return p;
}

void
policy_free(struct policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nskills; i++)
		free(p->skills[i].name);
	free(p->skills);
	for (i = 0; i < p->nrisks; i++)
		free(p->risks[i].name);
	free(p->risks);
	for (i = 0; i < p->ncreds; i++) {
		free(p->creds[i].name);
		pats_free(&p->creds[i].skills);
	}
	free(p->creds);
	for (i = 0; i < p->nwindows; i++) {
		free(p->windows[i].name);
		free(p->windows[i].desc);
		match_free(&p->windows[i].m);
	}
	free(p->windows);
	for (i = 0; i < p->nlimits; i++) {
		free(p->limits[i].name);
		free(p->limits[i].period);
		match_free(&p->limits[i].m);
	}
	free(p->limits);
	for (i = 0; i < p->nrules; i++) {
		free(p->rules[i].name);
		free(p->rules[i].reason);
		free(p->rules[i].text);
		match_free(&p->rules[i].m);
	}
	free(p->rules);
	jqprog_free(p->rules_prog);
	buf_release(&p->json);
	free(p->file);
	free(p);
}

const char *
policy_digest(const struct policy *p)
{
	return p->digest;
}

const char *
policy_json(const struct policy *p, size_t *len)
{
	*len = p->json.len;
	return p->json.p;
}

int
policy_wants_history(const struct policy *p)
{
	size_t i;

	for (i = 0; i < p->nlimits; i++)
		if (p->limits[i].period_ns > 0)
			return 1;
	return 0;
}

int
policy_wants_inventory(const struct policy *p)
{
	size_t i;

	for (i = 0; i < p->nlimits; i++)
		if (p->limits[i].max_actions < 0 ||
		    p->limits[i].per == PER_SERVICE)
			return 1;
	return 0;
}

int64_t
policy_max_period(const struct policy *p)
{
	int64_t m = 0;
	size_t i;

	for (i = 0; i < p->nlimits; i++)
		if (p->limits[i].period_ns > m)
			m = p->limits[i].period_ns;
	return m;
}

/* ------------------------------------------------------------------ */
/* actions */

void
policy_action_init(struct policy_action *a)
{
	memset(a, 0, sizeof(*a));
}

void
policy_action_release(struct policy_action *a)
{
	free(a->targets);
	free(a->offs);
	buf_release(&a->store);
	policy_action_init(a);
}

/* Stores the decoded string t; returns its index in offs. */
static size_t
store(struct policy_action *a, const struct json_doc *d, uint32_t t,
    size_t *n)
{
	if (*n == a->offcap) {
		a->offcap = a->offcap ? a->offcap * 2 : 16;
		a->offs = xreallocarray(a->offs, a->offcap, sizeof(*a->offs));
	}
	a->offs[*n] = a->store.len;
	json_str_decode(d, t, &a->store);
	buf_addc(&a->store, '\0');
	return (*n)++;
}

int
policy_action_parse(struct policy_action *a, const struct json_doc *d,
    uint32_t tok, struct tend_err *err)
{
	static const char *const need[] = { "action_id", "skill", "risk" };
	static const char *const opt[] = { "domain", "credential",
	    "service" };
	size_t n = 0, idx[6], nt = 0, first_target = 0, i;
	int64_t t, br;
	uint32_t k;

	buf_reset(&a->store);
	a->doc = d;
	a->tok = tok;
	a->escalate = 0;
	if (d->tok[tok].type != JSON_OBJECT)
		return tend_err_set(err, TEND_EXIT_INPUT, "/data: not an "
		    "object");
	for (i = 0; i < ARRAY_SIZE(need); i++) {
		t = json_obj_get(d, tok, need[i]);
		if (t < 0 || d->tok[t].type != JSON_STRING ||
		    d->tok[t].len == 0)
			return tend_err_set(err, TEND_EXIT_INPUT, "/data/%s: "
			    "missing or not a non-empty string", need[i]);
		idx[i] = store(a, d, (uint32_t)t, &n);
	}
	for (i = 0; i < ARRAY_SIZE(opt); i++) {
		t = json_obj_get(d, tok, opt[i]);
		if (i == 2 && t < 0 &&
		    (br = json_obj_get(d, tok, "blast_radius")) >= 0 &&
		    d->tok[br].type == JSON_OBJECT)
			t = json_obj_get(d, (uint32_t)br, "service");
		if (t >= 0 && d->tok[t].type == JSON_NULL)
			t = -1;
		if (t >= 0 && (d->tok[t].type != JSON_STRING ||
		    d->tok[t].len == 0))
			return tend_err_set(err, TEND_EXIT_INPUT, "/data/%s: "
			    "not a non-empty string", opt[i]);
		idx[3 + i] = t >= 0 ? store(a, d, (uint32_t)t, &n) :
		    (size_t)-1;
	}
	t = json_obj_get(d, tok, "targets");
	if (t < 0 || d->tok[t].type != JSON_ARRAY || d->tok[t].size == 0)
		return tend_err_set(err, TEND_EXIT_INPUT, "/data/targets: "
		    "missing or not a non-empty array");
	for (k = (uint32_t)t + 1; k < d->tok[t].end; k = d->tok[k].end) {
		if (d->tok[k].type != JSON_STRING || d->tok[k].len == 0)
			return tend_err_set(err, TEND_EXIT_INPUT,
			    "/data/targets/%zu: not a non-empty string", nt);
		if (nt == 0)
			first_target = store(a, d, k, &n);
		else
			(void)store(a, d, k, &n);
		nt++;
	}
	t = json_obj_get(d, tok, "escalate");
	a->escalate = t >= 0 && d->tok[t].type == JSON_TRUE;
	a->targets = xreallocarray(a->targets, nt, sizeof(*a->targets));
	a->ntargets = nt;
	for (i = 0; i < nt; i++)
		a->targets[i] = a->store.p + a->offs[first_target + i];
	a->action_id = a->store.p + a->offs[idx[0]];
	a->skill = a->store.p + a->offs[idx[1]];
	a->risk = a->store.p + a->offs[idx[2]];
	a->domain = idx[3] != (size_t)-1 ? a->store.p + a->offs[idx[3]] :
	    NULL;
	a->credential = idx[4] != (size_t)-1 ? a->store.p + a->offs[idx[4]] :
	    NULL;
	a->service = idx[5] != (size_t)-1 ? a->store.p + a->offs[idx[5]] :
	    NULL;
	return 0;
}

/* ------------------------------------------------------------------ */
/* groups and hashes */

/* Segment i runs from seg[i] to the '/' before seg[i + 1]. */
static size_t
seglen(const char *const *seg, size_t nseg, size_t i)
{
	if (i + 1 < nseg)
		return (size_t)(seg[i + 1] - 1 - seg[i]);
	return strlen(seg[i]);
}

void
policy_group_of(const char *per, const char *key, struct buf *out)
{
	const char *colon = strchr(key, ':'), *seg[6], *p;
	size_t nseg = 0, plen;
	int k8s, host;

	if (colon == NULL) {
		buf_adds(out, key);
		return;
	}
	plen = (size_t)(colon - key);
	k8s = plen == 3 && memcmp(key, "k8s", 3) == 0;
	host = plen == 4 && memcmp(key, "host", 4) == 0;
	seg[nseg++] = colon + 1;
	for (p = colon + 1; *p != '\0' && nseg < ARRAY_SIZE(seg); p++)
		if (*p == '/')
			seg[nseg++] = p + 1;
	if (strcmp(per, "kind") == 0) {
		if (k8s && nseg >= 4) {
			buf_add(out, key, (size_t)(seg[3] - 1 - key));
		} else if (host && nseg >= 3) {
			buf_adds(out, "host:*/");
			buf_add(out, seg[1], seglen(seg, nseg, 1));
		} else if (nseg >= 3) {
			buf_add(out, key, (size_t)(seg[2] - 1 - key));
		} else
			buf_adds(out, key);
		return;
	}
	if (k8s && nseg >= 5) {
		buf_add(out, key, (size_t)(seg[1] - key));
		buf_add(out, seg[3], seglen(seg, nseg, 3));
	} else if (nseg >= 2)
		buf_add(out, key, (size_t)(seg[1] - 1 - key));
	else
		buf_adds(out, key);
}

static uint64_t
mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Hash of (tag, limit, batch, string). */
static uint64_t
hkey(char tag, size_t limit, uint64_t batch, const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint64_t v[2] = { (uint64_t)limit, batch };

	h = hash_bytes(h, &tag, 1);
	h = hash_bytes(h, v, sizeof(v));
	h = hash_bytes(h, s, strlen(s) + 1);
	h = mix(h);
	return h == 0 ? 1 : h;
}

/* An open-addressing table of 64-bit keys to two counters. */
struct hslot {
	uint64_t key;
	uint32_t a, b;
};

struct htab {
	struct hslot *s;
	size_t	 cap, n;
};

static struct hslot *htab_find(struct htab *, uint64_t key, int add);

static void
htab_grow(struct htab *t)
{
	struct hslot *old = t->s;
	size_t oldcap = t->cap, i;

	t->cap = t->cap ? t->cap * 2 : 1024;
	t->s = xcalloc(t->cap, sizeof(*t->s));
	t->n = 0;
	for (i = 0; i < oldcap; i++)
		if (old[i].key != 0)
			*htab_find(t, old[i].key, 1) = old[i];
	free(old);
}

static struct hslot *
htab_find(struct htab *t, uint64_t key, int add)
{
	size_t i;

	if (t->cap == 0) {
		if (!add)
			return NULL;
		htab_grow(t);
	}
	for (i = key & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		if (t->s[i].key == key)
			return &t->s[i];
		if (t->s[i].key == 0)
			break;
	}
	if (!add)
		return NULL;
	if ((t->n + 1) * 4 > t->cap * 3) {
		htab_grow(t);
		return htab_find(t, key, 1);
	}
	t->s[i].key = key;
	t->n++;
	return &t->s[i];
}

/* ------------------------------------------------------------------ */
/* contexts */

struct wstate {
	int	 open;		/* at now */
	int64_t	 close;		/* when open: when it closes */
	int	 next_known;
	int64_t	 next;		/* when closed: next opening, -1: none */
};

struct nb_memo {
	uint64_t allow, deny;
	int	 need_allow;
	int64_t	 t;
};

struct hist {
	char	*target;
	int64_t	 t;
};

struct htimes {
	size_t	 limit;
	uint64_t group;
	int64_t	 t;
};

struct touch {
	size_t	 limit;
	uint64_t batch, group, target;
	uint32_t flags;		/* 1: live, 2: all */
};

struct rules_out {
	struct buf out;
	int	 got;
};

struct policy_ctx {
	struct policy *p;
	int64_t	 now;
	struct wstate *ws;
	struct nb_memo *memo;
	size_t	 nmemo, memocap;
	struct htab counts;	/* 'a' (limit, batch, group): actions;
				   'c': touched; 'x': touched, not in inventory;
				   'p' (limit, 0, group): inventory size;
				   'h' (limit, 0, group): history count */
	struct htab marks;	/* 't' (limit, batch, target): touched */
	struct htab inv;	/* 'i' key: in inventory; a = service + 1 */
	struct buf services;	/* NUL-terminated names */
	struct hist *hist;
	size_t	 nhist, histcap;
	struct htimes *times;	/* settled history, sorted */
	size_t	 ntimes;
	struct touch *touches;
	size_t	 ntouches, touchcap;
	int	 settled;	/* history counted */
	int	 finished;	/* touches counted */
	struct buf scratch;
	struct buf scratch2;
	struct rules_out rules;	/* the rules' output */
	struct json_doc rdoc;	/* parsed */
};

struct policy_ctx *
policy_ctx_new(struct policy *p, int64_t now_ns)
{
	struct policy_ctx *c = xcalloc(1, sizeof(*c));
	size_t i;

	c->p = p;
	c->now = now_ns;
	c->ws = xcalloc(p->nwindows + 1, sizeof(*c->ws));
	for (i = 0; i < p->nwindows; i++) {
		c->ws[i].open = window_open_at(&p->windows[i].w, now_ns);
		if (c->ws[i].open)
			c->ws[i].close = window_close_after(&p->windows[i].w,
			    now_ns);
	}
	buf_addc(&c->services, '\0');
	json_doc_init(&c->rdoc);
	return c;
}

void
policy_ctx_free(struct policy_ctx *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nhist; i++)
		free(c->hist[i].target);
	free(c->hist);
	free(c->times);
	free(c->touches);
	free(c->ws);
	free(c->memo);
	free(c->counts.s);
	free(c->marks.s);
	free(c->inv.s);
	buf_release(&c->services);
	buf_release(&c->scratch);
	buf_release(&c->scratch2);
	buf_release(&c->rules.out);
	json_doc_release(&c->rdoc);
	free(c);
}

void
policy_ctx_history(struct policy_ctx *c, const char *target, int64_t t)
{
	if (c->nhist == c->histcap) {
		c->histcap = c->histcap ? c->histcap * 2 : 64;
		c->hist = xreallocarray(c->hist, c->histcap, sizeof(*c->hist));
	}
	c->hist[c->nhist].target = xstrdup(target);
	c->hist[c->nhist++].t = t;
}

/* The service of key from the inventory, or NULL. */
static const char *
inv_service(struct policy_ctx *c, const char *key)
{
	struct hslot *s = htab_find(&c->inv, hkey('i', 0, 0, key), 0);

	if (s == NULL || s->a == 0)
		return NULL;
	return c->services.p + s->a;
}

/* The group of key for limit l, in c->scratch; NULL when unknown (a
   service nobody named). */
static const char *
group_name(struct policy_ctx *c, const struct plimit *l, const char *key,
    const char *service_hint)
{
	const char *s;

	buf_reset(&c->scratch);
	switch (l->per) {
	case PER_RUN:
		buf_adds(&c->scratch, "");
		break;
	case PER_TARGET:
		buf_adds(&c->scratch, key);
		break;
	case PER_KIND:
		policy_group_of("kind", key, &c->scratch);
		break;
	case PER_NAMESPACE:
		policy_group_of("namespace", key, &c->scratch);
		break;
	default:
		if ((s = inv_service(c, key)) == NULL)
			s = service_hint;
		if (s == NULL)
			return NULL;
		buf_adds(&c->scratch, s);
		break;
	}
	if (c->scratch.p == NULL)
		buf_adds(&c->scratch, "");
	return c->scratch.p;
}

void
policy_ctx_inventory(struct policy_ctx *c, const char *key,
    const char *service)
{
	struct hslot *s = htab_find(&c->inv, hkey('i', 0, 0, key), 1);
	const char *g;
	size_t i;

	if (s->b != 0) {	/* seen: a later service fills a gap only */
		if (s->a == 0 && service != NULL) {
			s->a = (uint32_t)c->services.len;
			buf_add(&c->services, service, strlen(service) + 1);
		}
		return;
	}
	s->b = 1;
	if (service != NULL) {
		s->a = (uint32_t)c->services.len;
		buf_add(&c->services, service, strlen(service) + 1);
	}
	for (i = 0; i < c->p->nlimits; i++) {
		const struct plimit *l = &c->p->limits[i];

		if (l->max_actions >= 0)
			continue;
		if ((g = group_name(c, l, key, NULL)) == NULL)
			continue;
		htab_find(&c->counts, hkey('p', i, 0, g), 1)->a++;
	}
}

static int
cmp_times(const void *a, const void *b)
{
	const struct htimes *x = a, *y = b;

	if (x->limit != y->limit)
		return x->limit < y->limit ? -1 : 1;
	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return 0;
}

/* Counts the history, once the inventory (services) is known. */
static void
settle(struct policy_ctx *c)
{
	size_t i, j, cap = 0;
	const char *g;

	if (c->settled)
		return;
	c->settled = 1;
	for (i = 0; i < c->p->nlimits; i++) {
		const struct plimit *l = &c->p->limits[i];

		if (l->period_ns == 0)
			continue;
		for (j = 0; j < c->nhist; j++) {
			struct hist *h = &c->hist[j];
			uint64_t gk;

			if (!(h->t > c->now - l->period_ns && h->t < c->now))
				continue;
			if ((g = group_name(c, l, h->target, NULL)) == NULL)
				continue;
			gk = hkey('g', 0, 0, g);
			if (c->ntimes == cap) {
				cap = cap ? cap * 2 : 64;
				c->times = xreallocarray(c->times, cap,
				    sizeof(*c->times));
			}
			c->times[c->ntimes].limit = i;
			c->times[c->ntimes].group = gk;
			c->times[c->ntimes++].t = h->t;
			htab_find(&c->counts, hkey('h', i, 0, g), 1)->a++;
		}
	}
	if (c->ntimes > 0)
		qsort(c->times, c->ntimes, sizeof(*c->times), cmp_times);
}

static uint64_t
extra_key(size_t limit, uint64_t batch, uint64_t group)
{
	uint64_t k = mix(group ^ mix(batch ^ ((uint64_t)limit << 48) ^ 0x78));

	return k == 0 ? 1 : k;
}

/* Counts the fractions' touched targets that the inventory lacks. */
static void
finish(struct policy_ctx *c)
{
	size_t i;

	if (c->finished)
		return;
	c->finished = 1;
	for (i = 0; i < c->ntouches; i++) {
		struct touch *t = &c->touches[i];
		struct hslot *s;

		s = htab_find(&c->inv, t->target, 0);
		if (s != NULL && s->b != 0)
			continue;
		s = htab_find(&c->counts, extra_key(t->limit, t->batch,
		    t->group), 1);
		if (t->flags & 1)
			s->a++;
		if (t->flags & 2)
			s->b++;
	}
}

/* ------------------------------------------------------------------ */
/* pass 1 */

static int
skill_mode_of(const struct policy *p, const char *skill, int *given)
{
	size_t i;

	for (i = 0; i < p->nskills; i++)
		if (strcmp(p->skills[i].name, skill) == 0) {
			*given = 1;
			return p->skills[i].mode;
		}
	*given = 0;
	return p->def_skill;
}

static int
risk_mode_of(const struct policy *p, const char *risk, int *given)
{
	size_t i;

	for (i = 0; i < p->nrisks; i++)
		if (strcmp(p->risks[i].name, risk) == 0) {
			*given = 1;
			return p->risks[i].mode;
		}
	*given = 0;
	return p->def_risk;
}

static int
cred_granted(const struct policy *p, const char *cred, const char *skill)
{
	size_t i;

	for (i = 0; i < p->ncreds; i++)
		if (strcmp(p->creds[i].name, cred) == 0)
			return pats_match(&p->creds[i].skills, skill);
	return 0;
}

static int
rules_out(void *ctx, const char *s, size_t len)
{
	struct rules_out *o = ctx;

	/* The program has one output; never stop jq early (jqrun frees
	   the value it stopped on twice: NEEDSWORK there). */
	if (!o->got) {
		o->got = 1;
		buf_add(&o->out, s, len);
	}
	return 0;
}

/*
 * Runs every rule on the action: sets bit i of *hit when rule i applies
 * and of *fail when it failed (a failed rule applies).  With msgs, the
 * error message of rule `which` is put there.  Returns 0, or -1 with err
 * when the program itself failed (then every rule counts as failed).
 */
static int
rules_run(struct policy_ctx *c, const struct policy_action *a,
    uint64_t *hit, uint64_t *fail, size_t which, char *msg, size_t msglen,
    struct tend_err *err);

static int
any_open(const struct policy_ctx *c, uint64_t mask)
{
	size_t i;

	for (i = 0; i < c->p->nwindows; i++)
		if ((mask >> i & 1) && c->ws[i].open)
			return 1;
	return 0;
}

static int
rules_run(struct policy_ctx *c, const struct policy_action *a,
    uint64_t *hit, uint64_t *fail, size_t which, char *msg, size_t msglen,
    struct tend_err *err)
{
	const struct policy *p = c->p;
	const char *json;
	size_t len, n = p->nrules;
	uint64_t all = n >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
	uint32_t i, k;

	*hit = *fail = 0;
	json = json_raw(a->doc, a->tok, &len);
	buf_reset(&c->rules.out);
	c->rules.got = 0;
	if (jqprog_run(p->rules_prog, json, len, rules_out, &c->rules,
	    err) < 0 || !c->rules.got || json_parse(&c->rdoc,
	    c->rules.out.p, c->rules.out.len, err) < 0 ||
	    c->rdoc.tok[0].type != JSON_ARRAY || c->rdoc.tok[0].size != n) {
		if (msg != NULL)
			strlcpy(msg, c->rules.got ? "the rules gave no verdict" :
			    err->msg, msglen);
		*hit = *fail = all;
		return -1;
	}
	for (i = 1, k = 0; i < c->rdoc.tok[0].end;
	    i = c->rdoc.tok[i].end, k++) {
		const struct json_tok *t = &c->rdoc.tok[i];

		if (t->type == JSON_STRING) {
			*hit |= (uint64_t)1 << k;
			*fail |= (uint64_t)1 << k;
			if (msg != NULL && k == which) {
				struct buf b = BUF_INIT;

				json_str_decode(&c->rdoc, i, &b);
				strlcpy(msg, b.p != NULL ? b.p : "", msglen);
				buf_release(&b);
			}
		} else if (t->len == 1 && c->rdoc.src[t->off] == '1')
			*hit |= (uint64_t)1 << k;
	}
	return 0;
}

/* The error message of rule i on the action, into msg. */
static void
rule_error(struct policy_ctx *c, const struct policy_action *a, size_t i,
    char *msg, size_t msglen)
{
	struct tend_err err = { 0 };
	uint64_t hit, fail;

	strlcpy(msg, "", msglen);
	(void)rules_run(c, a, &hit, &fail, i, msg, msglen, &err);
}

int
policy_pre(struct policy_ctx *c, const struct policy_action *a,
    struct policy_pre *pre, struct tend_err *err)
{
	const struct policy *p = c->p;
	uint64_t want = 0, hit = 0, fail = 0;
	int given, deny = 0, esc = 0;
	size_t i;

	(void)err;
	memset(pre, 0, sizeof(*pre));
	switch (skill_mode_of(p, a->skill, &given)) {
	case SKILL_OFF:
		pre->skill_off = 1;
		break;
	case SKILL_SHADOW:
		pre->shadow = 1;
		break;
	}
	if (a->credential != NULL && !cred_granted(p, a->credential, a->skill))
		pre->cred_denied = 1;
	for (i = 0; i < p->nrules; i++)
		if (match_action(&p->rules[i].m, a))
			want |= (uint64_t)1 << i;
	if (want != 0)
		(void)rules_run(c, a, &hit, &fail, 0, NULL, 0, err);
	pre->rule_hit = hit & want;
	pre->rule_err = fail & want;
	for (i = 0; i < p->nrules; i++) {
		if (!(pre->rule_hit >> i & 1))
			continue;
		if (p->rules[i].deny)
			deny = 1;
		else
			esc = 1;
	}
	for (i = 0; i < p->nwindows; i++) {
		if (!match_action(&p->windows[i].m, a))
			continue;
		if (p->windows[i].deny) {
			if (c->ws[i].open)
				pre->deny_open |= (uint64_t)1 << i;
		} else
			pre->allow_match |= (uint64_t)1 << i;
	}
	pre->mode = (uint8_t)risk_mode_of(p, a->risk, &given);
	pre->asked = (uint8_t)a->escalate;
	if (pre->skill_off || pre->cred_denied || deny)
		pre->verdict = POLICY_PRE_DENY;
	else if (pre->deny_open)
		pre->verdict = POLICY_PRE_FREEZE;
	else if (esc || pre->mode == MODE_HUMAN || pre->asked)
		pre->verdict = POLICY_PRE_ESCALATE;
	else if (pre->mode == MODE_WINDOW && !any_open(c, pre->allow_match))
		pre->verdict = POLICY_PRE_WINDOW;
	else
		pre->verdict = POLICY_PRE_APPROVE;
	return 0;
}

/* Distinct group hashes of the action's targets for limit l. */
static size_t
action_groups(struct policy_ctx *c, const struct plimit *l,
    const struct policy_action *a, uint64_t *out, int *unknown)
{
	size_t i, j, n = 0;
	const char *g;
	uint64_t h;

	*unknown = 0;
	for (i = 0; i < a->ntargets; i++) {
		if ((g = group_name(c, l, a->targets[i], a->service)) == NULL) {
			*unknown = 1;
			continue;
		}
		h = hkey('g', 0, 0, g);
		for (j = 0; j < n; j++)
			if (out[j] == h)
				break;
		if (j == n)
			out[n++] = h;
		if (l->per == PER_RUN)
			break;
	}
	return n;
}

void
policy_batch_add(struct policy_ctx *c, const char *runid,
    const struct policy_action *a, struct policy_pre *pre)
{
	const struct policy *p = c->p;
	uint64_t *gs, flags;
	size_t i, j, n;
	int unknown;

	settle(c);
	pre->batch = hkey('r', 0, 0, runid != NULL ? runid : "\001");
	if (pre->verdict != POLICY_PRE_ESCALATE &&
	    pre->verdict != POLICY_PRE_APPROVE)
		return;
	flags = pre->shadow ? 2 : 3;
	gs = xcalloc(a->ntargets, sizeof(*gs));
	for (i = 0; i < p->nlimits; i++) {
		const struct plimit *l = &p->limits[i];

		if (!match_action(&l->m, a))
			continue;
		n = action_groups(c, l, a, gs, &unknown);
		if (l->max_actions >= 0) {
			for (j = 0; j < n; j++) {
				struct hslot *s = htab_find(&c->counts,
				    mix(gs[j] ^ mix(pre->batch ^ i ^ 0x61)) | 1,
				    1);

				if (flags & 1)
					s->a++;
				s->b++;
			}
			continue;
		}
		/* a fraction: distinct targets */
		for (j = 0; j < a->ntargets; j++) {
			const char *g = group_name(c, l, a->targets[j],
			    a->service);
			struct hslot *m, *s;
			uint64_t gk, tk;
			uint32_t fresh;

			if (g == NULL)
				continue;
			gk = hkey('g', 0, 0, g);
			tk = hkey('i', 0, 0, a->targets[j]);
			m = htab_find(&c->marks, mix(tk ^ mix(pre->batch ^ i)) |
			    1, 1);
			fresh = (uint32_t)flags & ~m->a;
			if (fresh == 0)
				continue;
			m->a |= fresh;
			s = htab_find(&c->counts, mix(gk ^ mix(pre->batch ^ i ^
			    0x63)) | 1, 1);
			if (fresh & 1)
				s->a++;
			if (fresh & 2)
				s->b++;
			if (c->ntouches == c->touchcap) {
				c->touchcap = c->touchcap ? c->touchcap * 2 :
				    64;
				c->touches = xreallocarray(c->touches,
				    c->touchcap, sizeof(*c->touches));
			}
			c->touches[c->ntouches].limit = i;
			c->touches[c->ntouches].batch = pre->batch;
			c->touches[c->ntouches].group = gk;
			c->touches[c->ntouches].target = tk;
			c->touches[c->ntouches++].flags = fresh;
		}
	}
	free(gs);
}

/* ------------------------------------------------------------------ */
/* pass 2 */

void
policy_decision_init(struct policy_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->not_before = -1;
	d->expires_cap = -1;
}

void
policy_decision_release(struct policy_decision *d)
{
	buf_release(&d->reasons);
	policy_decision_init(d);
}

static void
reason(struct policy_decision *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reason(struct policy_decision *d, const char *fmt, ...)
{
	char s[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	if (n < 0)
		BUG("vsnprintf");
	if ((size_t)n >= sizeof(s))
		n = sizeof(s) - 1;
	buf_addc(&d->reasons, d->nreasons++ == 0 ? '[' : ',');
	buf_add_json_str(&d->reasons, s, (size_t)n);
}

static const char *
tstr(int64_t ns, char *buf, size_t len)
{
	fmt_time(ns, buf, len);
	return buf;
}

static int64_t
next_open_of(struct policy_ctx *c, size_t i, int64_t t)
{
	int64_t n;

	if (t == c->now) {
		if (!c->ws[i].next_known) {
			c->ws[i].next_known = 1;
			if (window_next_open(&c->p->windows[i].w, t,
			    &c->ws[i].next) < 0)
				c->ws[i].next = -1;
		}
		return c->ws[i].next;
	}
	if (window_next_open(&c->p->windows[i].w, t, &n) < 0)
		return -1;
	return n;
}

/*
 * The first time >= now at which no deny window of deny_mask is open
 * and, with need_allow, one of allow_mask is: -1 if none within reach.
 */
static int64_t
next_allowed(struct policy_ctx *c, uint64_t allow, uint64_t deny,
    int need_allow)
{
	const struct policy *p = c->p;
	int64_t t = c->now, a, later, n;
	size_t i, k;
	int iter;

	for (k = 0; k < c->nmemo; k++)
		if (c->memo[k].allow == allow && c->memo[k].deny == deny &&
		    c->memo[k].need_allow == need_allow)
			return c->memo[k].t;
	for (iter = 0; iter < 64; iter++) {
		a = t;
		if (need_allow) {
			a = -1;
			for (i = 0; i < p->nwindows; i++) {
				if (!(allow >> i & 1))
					continue;
				n = next_open_of(c, i, t);
				if (n >= 0 && (a < 0 || n < a))
					a = n;
			}
			if (a < 0)
				break;
		}
		later = -1;
		for (i = 0; i < p->nwindows; i++) {
			if (!(deny >> i & 1) ||
			    !window_open_at(&p->windows[i].w, a))
				continue;
			n = window_close_after(&p->windows[i].w, a);
			if (n > later)
				later = n;
		}
		if (later < 0) {
			t = a;
			goto done;
		}
		t = later;
	}
	t = -1;
done:
	if (c->nmemo == c->memocap) {
		c->memocap = c->memocap ? c->memocap * 2 : 8;
		c->memo = xreallocarray(c->memo, c->memocap, sizeof(*c->memo));
	}
	c->memo[c->nmemo].allow = allow;
	c->memo[c->nmemo].deny = deny;
	c->memo[c->nmemo].need_allow = need_allow;
	c->memo[c->nmemo++].t = t;
	return t;
}

/* Every deny window matching the action (open or not). */
static uint64_t
deny_mask(const struct policy_ctx *c, const struct policy_action *a)
{
	uint64_t m = 0;
	size_t i;

	for (i = 0; i < c->p->nwindows; i++)
		if (c->p->windows[i].deny && match_action(&c->p->windows[i].m,
		    a))
			m |= (uint64_t)1 << i;
	return m;
}

static const char *
per_word(int per)
{
	return per_names[per];
}

/* "at most 3 actions per target in 24h" */
static void
limit_desc(const struct plimit *l, char *s, size_t len)
{
	if (l->max_actions >= 0 && l->per == PER_RUN)
		snprintf(s, len, "at most %lld action%s per run",
		    (long long)l->max_actions, l->max_actions == 1 ? "" : "s");
	else if (l->max_actions >= 0)
		snprintf(s, len, "at most %lld action%s per %s%s%s",
		    (long long)l->max_actions, l->max_actions == 1 ? "" : "s",
		    per_word(l->per), l->period ? " in " : "",
		    l->period ? l->period : "");
	else
		snprintf(s, len, "at most %g%% of a %s", l->max_fraction * 100,
		    per_word(l->per));
}

/*
 * The limits on the action: reasons for each group over its bound.
 * Returns 0 (not held) or 1 (held); *escalate if a holding limit says so,
 * *nb the time the hold may end (-1: not by waiting).
 */
static int
limits_check(struct policy_ctx *c, const struct policy_action *a,
    const struct policy_pre *pre, struct policy_decision *d, int *escalate,
    int64_t *nb)
{
	const struct policy *p = c->p;
	char desc[160];
	size_t i, j, k;
	int held = 0, any_never = 0;
	int64_t latest = -1;

	*escalate = 0;
	for (i = 0; i < p->nlimits; i++) {
		const struct plimit *l = &p->limits[i];
		const char *g;
		int lheld = 0;

		if (!match_action(&l->m, a))
			continue;
		limit_desc(l, desc, sizeof(desc));
		for (j = 0; j < a->ntargets; j++) {
			struct hslot *s;
			uint64_t gk, count, hcount = 0, touched, pop;
			struct buf *name = &c->scratch2;

			if ((g = group_name(c, l, a->targets[j],
			    a->service)) == NULL) {
				reason(d, "limit '%s' (%s): the service of "
				    "'%s' is not known (no inventory, and the "
				    "action names none)", l->name, desc,
				    a->targets[j]);
				lheld = 1;
				any_never = 1;
				continue;
			}
			buf_reset(name);
			buf_adds(name, g);
			gk = hkey('g', 0, 0, g);
			/* each group once: skip if an earlier target had it */
			for (k = 0; k < j; k++) {
				const char *g2 = group_name(c, l,
				    a->targets[k], a->service);

				if (g2 != NULL && strcmp(g2, name->p) == 0)
					break;
			}
			if (k < j)
				continue;
			if (l->max_actions >= 0) {
				s = htab_find(&c->counts, mix(gk ^
				    mix(pre->batch ^ i ^ 0x61)) | 1, 0);
				count = s == NULL ? 0 : pre->shadow ? s->b :
				    s->a;
				if (l->period_ns > 0) {
					s = htab_find(&c->counts, hkey('h', i,
					    0, name->p), 0);
					hcount = s == NULL ? 0 : s->a;
				}
				if (count + hcount <= (uint64_t)l->max_actions)
					continue;
				lheld = 1;
				if (l->per == PER_RUN)
					reason(d, "limit '%s' (%s): this run "
					    "has %llu; the whole batch is held",
					    l->name, desc,
					    (unsigned long long)count);
				else if (l->period_ns > 0)
					reason(d, "limit '%s' (%s): %s %s has "
					    "%llu in this run and %llu started "
					    "in the last %s; its whole batch "
					    "is held", l->name, desc,
					    per_word(l->per), name->p,
					    (unsigned long long)count,
					    (unsigned long long)hcount,
					    l->period);
				else
					reason(d, "limit '%s' (%s): %s %s has "
					    "%llu in this run; its whole batch "
					    "is held", l->name, desc,
					    per_word(l->per), name->p,
					    (unsigned long long)count);
				/* when enough of the history ages out */
				if (l->period_ns == 0 ||
				    count > (uint64_t)l->max_actions) {
					any_never = 1;
				} else {
					uint64_t drop = count + hcount -
					    (uint64_t)l->max_actions, seen = 0;
					size_t x;

					for (x = 0; x < c->ntimes; x++) {
						if (c->times[x].limit != i ||
						    c->times[x].group != gk)
							continue;
						if (++seen == drop)
							break;
					}
					if (x < c->ntimes) {
						int64_t e = c->times[x].t +
						    l->period_ns;

						if (e > latest)
							latest = e;
					} else
						any_never = 1;
				}
				continue;
			}
			/* a fraction */
			s = htab_find(&c->counts, mix(gk ^ mix(pre->batch ^ i ^
			    0x63)) | 1, 0);
			touched = s == NULL ? 0 : pre->shadow ? s->b : s->a;
			s = htab_find(&c->counts, hkey('p', i, 0, name->p), 0);
			pop = s == NULL ? 0 : s->a;
			s = htab_find(&c->counts, extra_key(i, pre->batch, gk),
			    0);
			pop += s == NULL ? 0 : pre->shadow ? s->b : s->a;
			if (pop == 0 || (double)touched <= l->max_fraction *
			    (double)pop + 1e-9)
				continue;
			lheld = 1;
			any_never = 1;
			reason(d, "limit '%s' (%s): this run touches %llu of "
			    "the %llu in %s %s (%.0f%%); its whole batch is "
			    "held", l->name, desc, (unsigned long long)touched,
			    (unsigned long long)pop, per_word(l->per), name->p,
			    100.0 * (double)touched / (double)pop);
		}
		if (lheld) {
			held = 1;
			if (l->hold == HOLD_ESCALATE)
				*escalate = 1;
		}
	}
	*nb = any_never ? -1 : latest;
	return held;
}

/* The reasons a freeze holds the action, and when it may go. */
static void
freeze_reasons(struct policy_ctx *c, const struct policy_pre *pre,
    struct policy_decision *d)
{
	char t[48];
	size_t i;

	for (i = 0; i < c->p->nwindows; i++)
		if (pre->deny_open >> i & 1)
			reason(d, "deny window %s is in force until %s",
			    c->p->windows[i].desc, tstr(c->ws[i].close, t,
			    sizeof(t)));
}

static void
mode_reason(const struct policy *p, const struct policy_action *a,
    int mode, struct policy_decision *d)
{
	int given;

	(void)risk_mode_of(p, a->risk, &given);
	if (given)
		reason(d, "risk %s: %s (risk.%s)", a->risk, mode_names[mode],
		    a->risk);
	else
		reason(d, "risk %s: %s (defaults.risk_mode%s)", a->risk,
		    mode_names[mode], p->def_risk_given ? "" : ", not set: "
		    "human");
}

int
policy_decide(struct policy_ctx *c, const struct policy_action *a,
    const struct policy_pre *pre, const struct policy_human *human,
    struct policy_decision *d, struct tend_err *err)
{
	const struct policy *p = c->p;
	char t[48], msg[400];
	size_t i;
	int given, hold_esc = 0, held, escalate;
	int64_t nb;

	(void)err;
	settle(c);
	finish(c);
	buf_reset(&d->reasons);
	d->nreasons = 0;
	d->not_before = -1;
	d->expires_cap = -1;
	d->shadow = pre->shadow;
	if (pre->shadow) {
		(void)skill_mode_of(p, a->skill, &given);
		reason(d, "skill '%s' is in shadow mode (%s): decided and "
		    "logged, never carried out", a->skill, given ?
		    "skills" : p->def_skill_given ? "defaults.skill_mode" :
		    "a skill the policy does not list");
	}

	if (pre->verdict == POLICY_PRE_DENY) {
		d->verdict = POLICY_DENIED;
		if (pre->skill_off)
			reason(d, "skill '%s' is off (skills)", a->skill);
		if (pre->cred_denied)
			reason(d, "credential '%s' is not granted to skill "
			    "'%s' (credentials)", a->credential, a->skill);
		for (i = 0; i < p->nrules; i++) {
			const struct prule *r = &p->rules[i];

			if (!(pre->rule_hit >> i & 1) || !r->deny)
				continue;
			if (pre->rule_err >> i & 1) {
				rule_error(c, a, i, msg, sizeof(msg));
				reason(d, "rule '%s' (deny) failed, so it "
				    "applies: %s", r->name, msg);
			} else
				reason(d, "rule '%s' (deny): %s", r->name,
				    r->reason != NULL ? r->reason :
				    "its condition holds");
		}
		goto out;
	}
	if (pre->verdict == POLICY_PRE_FREEZE) {
		d->verdict = POLICY_DEFERRED;
		freeze_reasons(c, pre, d);
		d->not_before = next_allowed(c, pre->allow_match,
		    deny_mask(c, a), pre->mode == MODE_WINDOW);
		goto out;
	}

	escalate = pre->verdict == POLICY_PRE_ESCALATE;
	held = 0;
	if (pre->verdict == POLICY_PRE_ESCALATE ||
	    pre->verdict == POLICY_PRE_APPROVE) {
		size_t mark = d->reasons.len, nmark = d->nreasons;

		held = limits_check(c, a, pre, d, &hold_esc, &nb);
		if (held && !hold_esc) {
			d->verdict = POLICY_DEFERRED;
			d->not_before = nb;
			goto out;
		}
		if (!held) {
			d->reasons.len = mark;
			d->nreasons = nmark;
		}
		if (held)
			escalate = 1;
	}
	if (escalate) {
		if (pre->asked)
			reason(d, "the skill asks for a human (escalate)");
		if (pre->mode == MODE_HUMAN)
			mode_reason(p, a, pre->mode, d);
		for (i = 0; i < p->nrules; i++) {
			const struct prule *r = &p->rules[i];

			if (!(pre->rule_hit >> i & 1) || r->deny)
				continue;
			if (pre->rule_err >> i & 1) {
				rule_error(c, a, i, msg, sizeof(msg));
				reason(d, "rule '%s' (escalate) failed, so it "
				    "applies: %s", r->name, msg);
			} else
				reason(d, "rule '%s' (escalate): %s", r->name,
				    r->reason != NULL ? r->reason :
				    "its condition holds");
		}
		if (human == NULL) {
			d->verdict = POLICY_ESCALATED;
			goto out;
		}
		reason(d, "approved by a human: %s (until %s)", human->who,
		    tstr(human->expires_ns, t, sizeof(t)));
		d->expires_cap = human->expires_ns;
	}
	if (pre->mode == MODE_WINDOW) {
		int open = 0;

		for (i = 0; i < p->nwindows; i++) {
			if (!(pre->allow_match >> i & 1) || !c->ws[i].open)
				continue;
			if (!open)
				mode_reason(p, a, pre->mode, d);
			open = 1;
			reason(d, "window %s is open until %s",
			    p->windows[i].desc, tstr(c->ws[i].close, t,
			    sizeof(t)));
		}
		if (!open) {
			d->verdict = POLICY_DEFERRED;
			mode_reason(p, a, pre->mode, d);
			d->not_before = next_allowed(c, pre->allow_match,
			    deny_mask(c, a), 1);
			if (pre->allow_match == 0)
				reason(d, "no allow window applies to this "
				    "action");
			for (i = 0; i < p->nwindows; i++) {
				if (!(pre->allow_match >> i & 1))
					continue;
				if (c->ws[i].open)
					continue;
				if (next_open_of(c, i, c->now) < 0)
					reason(d, "window %s is closed and "
					    "does not open within a year",
					    p->windows[i].desc);
				else
					reason(d, "window %s is closed; next "
					    "opening %s", p->windows[i].desc,
					    tstr(next_open_of(c, i, c->now), t,
					    sizeof(t)));
			}
			goto out;
		}
	} else if (pre->mode == MODE_AUTO && !escalate)
		mode_reason(p, a, pre->mode, d);
	d->verdict = POLICY_APPROVED;
out:
	if (d->nreasons == 0)
		buf_addc(&d->reasons, '[');
	buf_addc(&d->reasons, ']');
	return 0;
}
