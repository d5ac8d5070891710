/*
 * tend report burnin: each skill's record while it burns in.  Shadow
 * decisions (decided and logged, never carried out) by verdict: how many
 * would have been approved, denied, deferred or escalated; the skill's
 * live decisions; and the results of its actions carried out in auto
 * mode.  With --policy: the skill's mode there, and whether its record
 * meets the promotion criteria the policy names for it (skills.NAME.
 * promote, else defaults.promote):
 *
 *	min_decisions	at least this many shadow decisions
 *	min_duration	burning in for at least this long ("7d"): from its
 *			first shadow decision to the report's end
 *	max_denied	at most this fraction of its shadow decisions denied
 *	max_failures	at most this many failures in auto mode
 */
#include "compat.h"

#include <math.h>

#include "json.h"
#include "policy.h"
#include "report.h"
#include "window.h"
#include "xmalloc.h"

struct skill {
	size_t	 name;
	size_t	 proposed;
	size_t	 shadow[4], live[4];	/* approved denied deferred esc. */
	size_t	 ok, failed;
	int64_t	 first, last;		/* shadow decisions */
	char	 mode[8];
	int	 in_policy;
	/* promotion criteria; -1: not named */
	int64_t	 min_decisions, min_duration, max_failures;
	double	 max_denied;
	int	 has_criteria;
	int	 ready;			/* -1 unknown */
	struct buf why;
};

struct burn {
	struct skill *v;
	size_t	 n;
	struct smap map;
	struct json_doc pol;
	int	 have_policy;
	int64_t	 end;
};

static struct skill *
skill_of(struct burn *b, const struct store *st, size_t name)
{
	size_t *slot = smap_get(&b->map, st, name, 1, b->n);
	struct skill *k;

	if (*slot == b->n) {
		b->v = xreallocarray(b->v, b->n + 1, sizeof(*b->v));
		k = &b->v[b->n++];
		memset(k, 0, sizeof(*k));
		k->name = name;
		k->first = k->last = NO_TIME;
		k->min_decisions = k->min_duration = k->max_failures = -1;
		k->max_denied = NAN;
		k->ready = -1;
		strlcpy(k->mode, "-", sizeof(k->mode));
	}
	return &b->v[*slot];
}

static int64_t
obj_member(const struct json_doc *d, int64_t obj, const char *key)
{
	if (obj < 0 || d->tok[obj].type != JSON_OBJECT)
		return -1;
	return json_obj_get(d, (uint32_t)obj, key);
}

static void
str_member(const struct json_doc *d, int64_t obj, const char *key,
    char *out, size_t len)
{
	int64_t t = obj_member(d, obj, key);
	struct buf b = BUF_INIT;

	if (t < 0 || d->tok[t].type != JSON_STRING)
		return;
	json_str_decode(d, (uint32_t)t, &b);
	strlcpy(out, b.p != NULL ? b.p : "", len);
	buf_release(&b);
}

static void
criteria(struct skill *k, const struct json_doc *d, int64_t pr)
{
	int64_t t, v;
	struct tend_err err = { 0 };
	struct buf s = BUF_INIT;

	if (pr < 0 || d->tok[pr].type != JSON_OBJECT)
		return;
	k->has_criteria = 1;
	if ((t = obj_member(d, pr, "min_decisions")) >= 0 &&
	    json_int(d, (uint32_t)t, &v) == 0)
		k->min_decisions = v;
	if ((t = obj_member(d, pr, "max_failures")) >= 0 &&
	    json_int(d, (uint32_t)t, &v) == 0)
		k->max_failures = v;
	if ((t = obj_member(d, pr, "max_denied")) >= 0 &&
	    d->tok[t].type == JSON_NUMBER)
		k->max_denied = json_num(d, (uint32_t)t);
	if ((t = obj_member(d, pr, "min_duration")) >= 0 &&
	    d->tok[t].type == JSON_STRING) {
		json_str_decode(d, (uint32_t)t, &s);
		if (duration_parse(s.p, &v, &err) == 0)
			k->min_duration = v * NS;
	}
	buf_release(&s);
}

/* The policy's word on each skill: mode and criteria. */
static void
judge(struct burn *b, const struct store *st)
{
	const struct json_doc *d = &b->pol;
	int64_t skills, defs, sk;
	char defmode[8] = "shadow";
	size_t i, n;
	struct skill *k;

	defs = obj_member(d, 0, "defaults");
	str_member(d, defs, "skill_mode", defmode, sizeof(defmode));
	skills = obj_member(d, 0, "skills");
	for (i = 0; i < b->n; i++) {
		k = &b->v[i];
		strlcpy(k->mode, defmode, sizeof(k->mode));
		sk = obj_member(d, skills, S(st, k->name));
		if (sk >= 0) {
			k->in_policy = 1;
			str_member(d, sk, "mode", k->mode, sizeof(k->mode));
		}
		criteria(k, d, obj_member(d, sk, "promote"));
		if (!k->has_criteria)
			criteria(k, d, obj_member(d, defs, "promote"));
		if (!k->has_criteria || strcmp(k->mode, "shadow") != 0)
			continue;
		k->ready = 1;
		n = k->shadow[0] + k->shadow[1] + k->shadow[2] + k->shadow[3];
		if (k->min_decisions >= 0 && (int64_t)n < k->min_decisions) {
			k->ready = 0;
			buf_addf(&k->why, "%s%zu of %lld shadow decisions",
			    k->why.len ? "; " : "", n,
			    (long long)k->min_decisions);
		}
		if (k->min_duration >= 0) {
			int64_t had = k->first == NO_TIME ? 0 :
			    b->end - k->first;

			if (had < k->min_duration) {
				k->ready = 0;
				buf_addf(&k->why, "%sin burn-in for ",
				    k->why.len ? "; " : "");
				fmt_dur(&k->why, had);
				buf_adds(&k->why, " of ");
				fmt_dur(&k->why, k->min_duration);
			}
		}
		if (!isnan(k->max_denied) && n > 0 &&
		    (double)k->shadow[1] / (double)n > k->max_denied) {
			k->ready = 0;
			buf_addf(&k->why, "%s%zu of %zu would be denied "
			    "(more than ", k->why.len ? "; " : "",
			    k->shadow[1], n);
			fmt_num(&k->why, k->max_denied * 100);
			buf_adds(&k->why, "%)");
		}
		if (k->max_failures >= 0 && (int64_t)k->failed >
		    k->max_failures) {
			k->ready = 0;
			buf_addf(&k->why, "%s%zu failures in auto mode (at "
			    "most %lld)", k->why.len ? "; " : "", k->failed,
			    (long long)k->max_failures);
		}
	}
}

static const struct store *cmp_st;

static int
skill_cmp(const void *a, const void *b)
{
	return strcmp(S(cmp_st, ((const struct skill *)a)->name),
	    S(cmp_st, ((const struct skill *)b)->name));
}

/* Returns 0, or an exit status (the policy would not load). */
static int
build(struct burn *b, struct report *rep)
{
	const struct store *st = &rep->st;
	struct smap act;	/* action_id -> skill << 1 | shadow */
	struct tend_err err = { 0 };
	struct policy *p = NULL;
	const char *js;
	size_t i, *v, len;
	int64_t pk;
	struct skill *k;

	memset(b, 0, sizeof(*b));
	memset(&act, 0, sizeof(act));
	json_doc_init(&b->pol);
	b->end = rep->o.until != NO_TIME ? rep->o.until : st->last;
	if (rep->o.policy != NULL) {
		if ((p = policy_load_file(rep->o.policy, &err)) == NULL) {
			warnx("%s", err.msg);
			return err.code ? err.code : TEND_EXIT_INPUT;
		}
		js = policy_json(p, &len);
		if (json_parse(&b->pol, js, len, &err) < 0)
			BUG("the policy's JSON does not parse");
		b->have_policy = 1;
		pk = obj_member(&b->pol, 0, "skills");
		if (pk >= 0 && b->pol.tok[pk].type == JSON_OBJECT) {
			uint32_t t;
			struct buf nm = BUF_INIT;

			for (t = (uint32_t)pk + 1; t < b->pol.tok[pk].end;
			    t = b->pol.tok[t + 1].end) {
				size_t off;

				buf_reset(&nm);
				json_str_decode(&b->pol, t, &nm);
				off = rep->st.arena.len;
				buf_add(&rep->st.arena, nm.p, nm.len);
				buf_addc(&rep->st.arena, '\0');
				skill_of(b, st, off);
			}
			buf_release(&nm);
		}
	}
	for (i = 0; i < st->n; i++) {
		const struct rev *e = &st->ev[i];

		if (e->skill == 0)
			continue;
		k = skill_of(b, st, e->skill);
		if (e->type == R_PROPOSED) {
			k->proposed++;
			continue;
		}
		if (e->type < R_APPROVED || e->type > R_ESCALATED)
			continue;
		if (e->shadow) {
			k->shadow[e->type - R_APPROVED]++;
			if (e->time != NO_TIME && (k->first == NO_TIME ||
			    e->time < k->first))
				k->first = e->time;
			if (e->time != NO_TIME && (k->last == NO_TIME ||
			    e->time > k->last))
				k->last = e->time;
		} else
			k->live[e->type - R_APPROVED]++;
		if (e->action != 0)
			*smap_get(&act, st, e->action, 1, 0) =
			    (size_t)(k - b->v) << 1 | e->shadow;
	}
	for (i = 0; i < st->n; i++) {
		const struct rev *e = &st->ev[i];

		if ((e->type != R_SUCCEEDED && e->type != R_FAILED) ||
		    e->action == 0 || e->dry_run ||
		    (v = smap_get(&act, st, e->action, 0, 0)) == NULL ||
		    (*v & 1))
			continue;
		k = &b->v[*v >> 1];
		if (e->type == R_SUCCEEDED)
			k->ok++;
		else
			k->failed++;
	}
	smap_release(&act);
	if (b->have_policy)
		judge(b, st);
	cmp_st = st;
	if (b->n > 0)
		qsort(b->v, b->n, sizeof(*b->v), skill_cmp);
	/* keep the doc's source alive no longer than the policy */
	json_doc_release(&b->pol);
	policy_free(p);
	return 0;
}

static void
burn_free(struct burn *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		buf_release(&b->v[i].why);
	free(b->v);
	smap_release(&b->map);
}

static const char *
verdict(const struct burn *b, const struct skill *k)
{
	if (!b->have_policy)
		return "-";
	if (strcmp(k->mode, "auto") == 0)
		return "promoted (auto)";
	if (strcmp(k->mode, "off") == 0)
		return "off";
	if (!k->has_criteria)
		return "no criteria in the policy";
	return k->ready ? "ready to promote" : "not yet";
}

static void
table(const struct burn *b, const struct store *st, struct tbl *t)
{
	char a[48];
	size_t i;

	tbl_init(t, 12);
	tbl_add(t, "skill");
	tbl_add(t, "mode");
	tbl_add(t, "proposed");
	tbl_add(t, "shadow");
	tbl_add(t, "would-approve");
	tbl_add(t, "would-deny");
	tbl_add(t, "would-defer");
	tbl_add(t, "would-escalate");
	tbl_add(t, "auto-ok");
	tbl_add(t, "auto-failed");
	tbl_add(t, "shadow since");
	tbl_add(t, "promotion");
	for (i = 0; i < b->n; i++) {
		const struct skill *k = &b->v[i];
		struct buf v = BUF_INIT;

		tbl_add(t, S(st, k->name));
		tbl_add(t, k->mode);
		tbl_addf(t, "%zu", k->proposed);
		tbl_addf(t, "%zu", k->shadow[0] + k->shadow[1] +
		    k->shadow[2] + k->shadow[3]);
		tbl_addf(t, "%zu", k->shadow[0]);
		tbl_addf(t, "%zu", k->shadow[1]);
		tbl_addf(t, "%zu", k->shadow[2]);
		tbl_addf(t, "%zu", k->shadow[3]);
		tbl_addf(t, "%zu", k->ok);
		tbl_addf(t, "%zu", k->failed);
		tbl_add(t, fmt_time(k->first, a, sizeof(a)));
		buf_adds(&v, verdict(b, k));
		if (k->ready == 0 && k->why.len > 0)
			buf_addf(&v, ": %s", k->why.p);
		tbl_add(t, v.p);
		buf_release(&v);
	}
}

static void
json(const struct burn *b, struct report *rep)
{
	const struct store *st = &rep->st;
	struct buf *o = &rep->out;
	char a[48];
	size_t i;

	buf_adds(o, "{\"skills\":[");
	for (i = 0; i < b->n; i++) {
		const struct skill *k = &b->v[i];

		buf_adds(o, i ? ",{\"skill\":" : "{\"skill\":");
		buf_add_json_str(o, S(st, k->name), strlen(S(st, k->name)));
		buf_adds(o, ",\"mode\":");
		if (b->have_policy)
			buf_addf(o, "\"%s\"", k->mode);
		else
			buf_adds(o, "null");
		buf_addf(o, ",\"proposed\":%zu,\"shadow\":{\"decisions\":%zu,"
		    "\"approved\":%zu,\"denied\":%zu,\"deferred\":%zu,"
		    "\"escalated\":%zu,\"first\":", k->proposed,
		    k->shadow[0] + k->shadow[1] + k->shadow[2] + k->shadow[3],
		    k->shadow[0], k->shadow[1], k->shadow[2], k->shadow[3]);
		if (k->first == NO_TIME)
			buf_adds(o, "null,\"last\":null");
		else {
			buf_addf(o, "\"%s\"", fmt_time(k->first, a,
			    sizeof(a)));
			buf_addf(o, ",\"last\":\"%s\"", fmt_time(k->last, a,
			    sizeof(a)));
		}
		buf_addf(o, "},\"live\":{\"approved\":%zu,\"denied\":%zu,"
		    "\"deferred\":%zu,\"escalated\":%zu},\"auto\":{"
		    "\"succeeded\":%zu,\"failed\":%zu},\"promotion\":",
		    k->live[0], k->live[1], k->live[2], k->live[3], k->ok,
		    k->failed);
		if (!b->have_policy)
			buf_adds(o, "null");
		else {
			buf_adds(o, "{\"verdict\":");
			buf_add_json_str(o, verdict(b, k),
			    strlen(verdict(b, k)));
			buf_addf(o, ",\"ready\":%s", k->ready < 0 ? "null" :
			    k->ready ? "true" : "false");
			buf_adds(o, ",\"why\":");
			buf_add_json_str(o, k->why.len ? k->why.p : "",
			    k->why.len);
			buf_adds(o, "}");
		}
		buf_addc(o, '}');
	}
	buf_adds(o, "]}\n");
}

void
burnin_html_body(struct report *rep)
{
	struct burn b;
	struct tbl t;

	if (build(&b, rep) != 0) {
		buf_adds(&rep->out, "<p class=\"bad\">The policy does not "
		    "load.</p>\n");
		burn_free(&b);
		return;
	}
	if (b.n == 0)
		buf_adds(&rep->out, "<p class=\"meta\">No skills seen.</p>\n");
	else {
		table(&b, &rep->st, &t);
		tbl_html(&t, &rep->out);
		tbl_release(&t);
	}
	burn_free(&b);
}

int
burnin_run(struct report *rep)
{
	struct burn b;
	struct tbl t;
	int st;

	if (rep->o.format == F_HTML) {
		html_begin(&rep->out, "tend burn-in");
		buf_adds(&rep->out, "<h1>Burn-in</h1>\n");
		burnin_html_body(rep);
		html_end(&rep->out);
		return 0;
	}
	if ((st = build(&b, rep)) != 0) {
		burn_free(&b);
		return st;
	}
	if (rep->o.format == F_JSON)
		json(&b, rep);
	else if (b.n == 0)
		buf_adds(&rep->out, "no skills\n");
	else {
		table(&b, &rep->st, &t);
		tbl_text(&t, &rep->out, "");
		tbl_release(&t);
	}
	burn_free(&b);
	return 0;
}
