/*
 * osv.c: OSV advisories (--osv) matched against installed packages, so
 * skills get findings with version ordering already decided (libjq 1.6
 * has no public API for C functions a jq program could call).
 *
 * A package is a tend.resource.state event whose data has kind "package"
 * and a string spec.version.  Its ecosystem is spec.ecosystem, else
 * status.ecosystem, else --osv-ecosystem (default "Debian").  An
 * advisory's affected entry applies when its package.name equals the
 * package's name (data.name, spec.package, or the Debian source package
 * from spec.source or status.source, "(version)" left out) and its
 * ecosystem equals the package's, or the package's has no ":" and the
 * entry's is that followed by ":" and a release ("Debian" matches
 * "Debian:12").  version_osv_affected decides the rest.
 */
#include "compat.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>

#include "plan.h"
#include "version.h"
#include "xmalloc.h"

struct adv {
	char	*path;
	struct buf text;
	struct json_doc doc;
};

struct entry {
	char	*name;
	char	*eco;
	size_t	 adv;
	uint32_t tok;		/* the affected entry */
};

struct osv {
	struct adv *adv;
	size_t	 nadv;
	struct entry *ent;
	size_t	 nent;
	int	 sorted;
};

static char *
decode(const struct json_doc *d, int64_t t)
{
	struct buf b = BUF_INIT;

	if (t < 0 || d->tok[t].type != JSON_STRING)
		return NULL;
	json_str_decode(d, (uint32_t)t, &b);
	return b.p != NULL ? b.p : xstrdup("");
}

static int
add_file(struct osv *o, const char *path, struct tend_err *err)
{
	struct adv *a;
	struct json_doc *d;
	int64_t aff, pkg, t;
	uint32_t i;

	o->adv = xreallocarray(o->adv, o->nadv + 1, sizeof(*o->adv));
	a = &o->adv[o->nadv];
	memset(a, 0, sizeof(*a));
	a->path = xstrdup(path);
	json_doc_init(&a->doc);
	o->nadv++;
	if (read_file(path, &a->text, err) < 0)
		return -1;
	d = &a->doc;
	if (json_parse(d, a->text.p, a->text.len, err) < 0)
		return err_prefix(err, TEND_EXIT_INPUT, "%s", path);
	if (d->tok[0].type != JSON_OBJECT ||
	    (t = json_obj_get(d, 0, "id")) < 0 ||
	    d->tok[t].type != JSON_STRING)
		return tend_err_set(err, TEND_EXIT_INPUT, "%s: not an OSV "
		    "advisory (no string \"id\")", path);
	if ((t = json_obj_get(d, 0, "withdrawn")) >= 0 &&
	    d->tok[t].type == JSON_STRING)
		return 0;
	if ((aff = json_obj_get(d, 0, "affected")) < 0)
		return 0;
	if (d->tok[aff].type != JSON_ARRAY)
		return tend_err_set(err, TEND_EXIT_INPUT, "%s: /affected: "
		    "not an array", path);
	for (i = (uint32_t)aff + 1; i < d->tok[aff].end; i = d->tok[i].end) {
		char *name, *eco;

		if (d->tok[i].type != JSON_OBJECT)
			return tend_err_set(err, TEND_EXIT_INPUT, "%s: "
			    "/affected: an entry is not an object", path);
		if ((pkg = json_obj_get(d, i, "package")) < 0 ||
		    d->tok[pkg].type != JSON_OBJECT)
			continue;
		name = decode(d, json_obj_get(d, (uint32_t)pkg, "name"));
		eco = decode(d, json_obj_get(d, (uint32_t)pkg, "ecosystem"));
		if (name == NULL || eco == NULL) {
			free(name);
			free(eco);
			continue;
		}
		o->ent = xreallocarray(o->ent, o->nent + 1, sizeof(*o->ent));
		o->ent[o->nent++] = (struct entry){ name, eco, o->nadv - 1, i };
	}
	o->sorted = 0;
	return 0;
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n > m && strcmp(s + n - m, suf) == 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
osv_load(struct osv **op, const char *path, struct tend_err *err)
{
	struct osv *o;
	struct stat st;
	struct strv names = { NULL, 0 };
	struct buf full = BUF_INIT;
	struct dirent *de;
	DIR *dir;
	size_t i;
	int rc = 0;

	if (*op == NULL)
		*op = xcalloc(1, sizeof(**op));
	o = *op;
	if (stat(path, &st) < 0)
		return tend_err_sys(err, "--osv: cannot open '%s'", path);
	if (!S_ISDIR(st.st_mode))
		return add_file(o, path, err);
	if ((dir = opendir(path)) == NULL)
		return tend_err_sys(err, "--osv: cannot open '%s'", path);
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.' && has_suffix(de->d_name, ".json"))
			strv_add(&names, de->d_name, strlen(de->d_name));
	closedir(dir);
	if (names.n > 0)
		qsort(names.v, names.n, sizeof(*names.v), cmp_str);
	for (i = 0; rc == 0 && i < names.n; i++) {
		full.len = 0;
		buf_addf(&full, "%s%s%s", path,
		    has_suffix(path, "/") ? "" : "/", names.v[i]);
		rc = add_file(o, full.p, err);
	}
	strv_release(&names);
	buf_release(&full);
	return rc;
}

void
osv_free(struct osv *o)
{
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < o->nadv; i++) {
		free(o->adv[i].path);
		buf_release(&o->adv[i].text);
		json_doc_release(&o->adv[i].doc);
	}
	for (i = 0; i < o->nent; i++) {
		free(o->ent[i].name);
		free(o->ent[i].eco);
	}
	free(o->adv);
	free(o->ent);
	free(o);
}

static int
cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	if (x->adv != y->adv)
		return x->adv < y->adv ? -1 : 1;
	return x->tok < y->tok ? -1 : x->tok > y->tok;
}

/* The first entry named name, or o->nent. */
static size_t
lower_bound(const struct osv *o, const char *name)
{
	size_t lo = 0, hi = o->nent, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(o->ent[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
eco_match(const char *pkg, const char *adv)
{
	size_t n = strlen(pkg);

	if (strcmp(pkg, adv) == 0)
		return 1;
	return strchr(pkg, ':') == NULL && strncmp(adv, pkg, n) == 0 &&
	    adv[n] == ':';
}

/*
 * CVSS v3.x base score of vector v (FIRST CVSS v3.1 specification,
 * section 7.1), or -1 if v is not a complete v3 base vector.
 */
static double
cvss3(const char *v)
{
	double av = -1, ac = -1, pr = -1, ui = -1, c = -1, in = -1, a = -1;
	double iss, impact, expl, x;
	int changed = -1;
	const char *p;
	char m[4], val;
	long r;

	if (strncmp(v, "CVSS:3.0/", 9) != 0 && strncmp(v, "CVSS:3.1/", 9) != 0)
		return -1;
	for (p = v + 8; *p == '/'; ) {
		size_t n = strcspn(p + 1, ":/");

		if (n == 0 || n >= sizeof(m) || p[1 + n] != ':')
			return -1;
		memcpy(m, p + 1, n);
		m[n] = '\0';
		val = p[n + 2];
		p += n + 3;
		if (val == '\0' || (*p != '/' && *p != '\0'))
			return -1;
#define M(name) (strcmp(m, name) == 0)
		if (M("AV"))
			av = val == 'N' ? .85 : val == 'A' ? .62 :
			    val == 'L' ? .55 : val == 'P' ? .2 : -1;
		else if (M("AC"))
			ac = val == 'L' ? .77 : val == 'H' ? .44 : -1;
		else if (M("PR"))
			pr = val == 'N' ? 0 : val == 'L' ? 1 : val == 'H' ?
			    2 : -1;
		else if (M("UI"))
			ui = val == 'N' ? .85 : val == 'R' ? .62 : -1;
		else if (M("S"))
			changed = val == 'C' ? 1 : val == 'U' ? 0 : -1;
		else if (M("C") || M("I") || M("A")) {
			x = val == 'H' ? .56 : val == 'L' ? .22 :
			    val == 'N' ? 0 : -1;
			if (M("C"))
				c = x;
			else if (M("I"))
				in = x;
			else
				a = x;
		}
#undef M
	}
	if (*p != '\0' || av < 0 || ac < 0 || pr < 0 || ui < 0 ||
	    changed < 0 || c < 0 || in < 0 || a < 0)
		return -1;
	if (pr == 0)
		pr = .85;
	else if (pr == 1)
		pr = changed ? .68 : .62;
	else
		pr = changed ? .5 : .27;
	iss = 1 - (1 - c) * (1 - in) * (1 - a);
	impact = changed ? 7.52 * (iss - .029) - 3.25 * pow(iss - .02, 15) :
	    6.42 * iss;
	expl = 8.22 * av * ac * pr * ui;
	if (impact <= 0)
		return 0;
	x = changed ? 1.08 * (impact + expl) : impact + expl;
	if (x > 10)
		x = 10;
	/* Roundup, as the v3.1 specification's Appendix A defines it. */
	r = lround(x * 100000);
	if (r % 10000 == 0)
		return (double)r / 100000.0;
	return (floor((double)r / 10000) + 1) / 10.0;
}

static const char *
rating(double s)
{
	if (s == 0)
		return "NONE";
	if (s < 4)
		return "LOW";
	if (s < 7)
		return "MEDIUM";
	if (s < 9)
		return "HIGH";
	return "CRITICAL";
}

/* Appends s upper-cased as a JSON string. */
static void
add_upper(struct buf *b, const char *s)
{
	struct buf u = BUF_INIT;
	size_t i;

	buf_adds(&u, s);
	for (i = 0; i < u.len; i++)
		if (u.p[i] >= 'a' && u.p[i] <= 'z')
			u.p[i] -= 'a' - 'A';
	buf_add_json_str(b, u.p, u.len);
	buf_release(&u);
}

/* "severity" and "cvss" members of a finding for advisory d. */
static void
severity(const struct json_doc *d, uint32_t aff, struct buf *b)
{
	int64_t t, sev, e;
	char *s = NULL, *vec = NULL;
	double score = -1;
	uint32_t i;

	if ((t = json_obj_get(d, 0, "database_specific")) >= 0 &&
	    d->tok[t].type == JSON_OBJECT)
		s = decode(d, json_obj_get(d, (uint32_t)t, "severity"));
	if ((sev = json_obj_get(d, 0, "severity")) >= 0 &&
	    d->tok[sev].type == JSON_ARRAY)
		for (i = (uint32_t)sev + 1; i < d->tok[sev].end && vec == NULL;
		    i = d->tok[i].end) {
			if (d->tok[i].type != JSON_OBJECT)
				continue;
			if ((e = json_obj_get(d, i, "score")) < 0)
				continue;
			vec = decode(d, e);
			if (vec != NULL && (score = cvss3(vec)) < 0) {
				free(vec);
				vec = NULL;
			}
		}
	if (s == NULL && vec == NULL) {
		const char *where[] = { "ecosystem_specific",
		    "database_specific" };

		for (i = 0; i < 2 && s == NULL; i++)
			if ((t = json_obj_get(d, aff, where[i])) >= 0 &&
			    d->tok[t].type == JSON_OBJECT)
				s = decode(d, json_obj_get(d, (uint32_t)t,
				    "severity"));
	}
	buf_adds(b, ",\"severity\":");
	if (s != NULL)
		add_upper(b, s);
	else if (vec != NULL)
		buf_addf(b, "\"%s\"", rating(score));
	else
		buf_adds(b, "null");
	if (vec != NULL) {
		buf_adds(b, ",\"cvss\":{\"vector\":");
		buf_add_json_str(b, vec, strlen(vec));
		buf_adds(b, ",\"score\":");
		buf_addf(b, "%.1f", score);
		if (b->p[b->len - 1] == '0' && b->p[b->len - 2] == '.')
			b->len -= 2;
		buf_addc(b, '}');
	}
	free(s);
	free(vec);
}

/*
 * Lowers *best to the lowest "fixed" of entry aff's ECOSYSTEM and SEMVER
 * ranges that is above installed.
 */
static void
lowest_fixed(const struct json_doc *d, uint32_t aff, const char *eco,
    const char *installed, char **best)
{
	int (*cmp)(const char *, const char *);
	int64_t ranges, t, evs;
	uint32_t r, e;
	char *f, *type;

	if ((ranges = json_obj_get(d, aff, "ranges")) < 0 ||
	    d->tok[ranges].type != JSON_ARRAY)
		return;
	for (r = (uint32_t)ranges + 1; r < d->tok[ranges].end;
	    r = d->tok[r].end) {
		if (d->tok[r].type != JSON_OBJECT)
			continue;
		type = decode(d, json_obj_get(d, r, "type"));
		if (type == NULL || (strcmp(type, "ECOSYSTEM") != 0 &&
		    strcmp(type, "SEMVER") != 0)) {
			free(type);
			continue;
		}
		cmp = strcmp(type, "SEMVER") == 0 ? version_cmp_semver :
		    version_cmp_for(eco);
		free(type);
		if ((evs = json_obj_get(d, r, "events")) < 0 ||
		    d->tok[evs].type != JSON_ARRAY)
			continue;
		for (e = (uint32_t)evs + 1; e < d->tok[evs].end;
		    e = d->tok[e].end) {
			if (d->tok[e].type != JSON_OBJECT ||
			    (t = json_obj_get(d, e, "fixed")) < 0 ||
			    (f = decode(d, t)) == NULL)
				continue;
			if (cmp(f, installed) > 0 &&
			    (*best == NULL || cmp(f, *best) < 0)) {
				free(*best);
				*best = f;
			} else
				free(f);
		}
	}
}

struct pkg {
	char	*key;
	char	*names[4];
	char	*version;
	char	*eco;
	const struct json_doc *ev;
	int64_t	 data;
};

/* A member of the object at o (a token, -1 for none) as a string. */
static char *
member(const struct json_doc *d, int64_t o, const char *name)
{
	if (o < 0 || d->tok[o].type != JSON_OBJECT)
		return NULL;
	return decode(d, json_obj_get(d, (uint32_t)o, name));
}

static void
raw_or_null(struct buf *b, const struct json_doc *d, int64_t t)
{
	const char *r;
	size_t n;

	if (t < 0) {
		buf_adds(b, "null");
		return;
	}
	r = json_raw(d, (uint32_t)t, &n);
	buf_add(b, r, n);
}

static void
finding(const struct pkg *k, const struct adv *a, uint32_t aff,
    const char *eco, const char *fixed, const char *upgrade, struct buf *b)
{
	const struct json_doc *e = k->ev, *d = &a->doc;
	int64_t t;

	buf_adds(b, "{\"type\":\"tend.finding\",\"id\":");
	raw_or_null(b, e, json_obj_get(e, 0, "id"));
	if ((t = json_obj_get(e, 0, "time")) >= 0) {
		buf_adds(b, ",\"time\":");
		raw_or_null(b, e, t);
	}
	if ((t = json_obj_get(e, 0, "runid")) >= 0) {
		buf_adds(b, ",\"runid\":");
		raw_or_null(b, e, t);
	}
	buf_adds(b, ",\"subject\":");
	buf_add_json_str(b, k->key, strlen(k->key));
	buf_adds(b, ",\"data\":{\"key\":");
	buf_add_json_str(b, k->key, strlen(k->key));
	buf_adds(b, ",\"advisory\":");
	raw_or_null(b, d, json_obj_get(d, 0, "id"));
	buf_adds(b, ",\"aliases\":");
	if ((t = json_obj_get(d, 0, "aliases")) >= 0 &&
	    d->tok[t].type == JSON_ARRAY)
		raw_or_null(b, d, t);
	else
		buf_adds(b, "[]");
	buf_adds(b, ",\"summary\":");
	raw_or_null(b, d, json_obj_get(d, 0, "summary"));
	severity(d, aff, b);
	buf_adds(b, ",\"package\":");
	buf_add_json_str(b, k->names[0], strlen(k->names[0]));
	buf_adds(b, ",\"installed\":");
	buf_add_json_str(b, k->version, strlen(k->version));
	buf_adds(b, ",\"fixed\":");
	if (fixed != NULL)
		buf_add_json_str(b, fixed, strlen(fixed));
	else
		buf_adds(b, "null");
	buf_adds(b, ",\"upgrade_to\":");
	if (upgrade != NULL)
		buf_add_json_str(b, upgrade, strlen(upgrade));
	else
		buf_adds(b, "null");
	buf_adds(b, ",\"ecosystem\":");
	buf_add_json_str(b, eco, strlen(eco));
	buf_adds(b, ",\"scope\":");
	if ((t = json_obj_get(e, (uint32_t)k->data, "scope")) < 0)
		t = json_obj_get(e, (uint32_t)k->data, "namespace");
	raw_or_null(b, e, t);
	buf_adds(b, ",\"state_digest\":");
	raw_or_null(b, e, json_obj_get(e, (uint32_t)k->data, "digest"));
	buf_adds(b, "}}");
}

static void
pkg_release(struct pkg *k)
{
	size_t i;

	free(k->key);
	for (i = 0; i < ARRAY_SIZE(k->names); i++)
		free(k->names[i]);
	free(k->version);
	free(k->eco);
}

/* Strips a trailing " (version)" from a Source: value. */
static char *
source_name(char *s)
{
	char *sp;

	if (s != NULL && (sp = strchr(s, ' ')) != NULL)
		*sp = '\0';
	return s;
}

struct result {
	const struct entry *first;
	uint32_t aff;
	char	*fixed;
};

struct hit {
	size_t	 adv;
	uint32_t tok;
	size_t	 ent;
};

static int
cmp_hit(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;

	if (x->adv != y->adv)
		return x->adv < y->adv ? -1 : 1;
	return x->tok < y->tok ? -1 : x->tok > y->tok;
}

int
osv_findings(struct osv *o, const char *default_eco,
    const struct json_doc *ev, int (*fn)(void *, const char *, size_t),
    void *ctx, struct tend_err *err)
{
	struct pkg k;
	struct buf b = BUF_INIT;
	int64_t spec, status;
	struct hit *hits = NULL;
	struct result *res = NULL;
	const char *upgrade = NULL;
	size_t nhits = 0, nres = 0, i, j, h;
	char *kind;
	int rc = 0;

	memset(&k, 0, sizeof(k));
	k.ev = ev;
	k.data = json_obj_get(ev, 0, "data");
	if (k.data < 0 || ev->tok[k.data].type != JSON_OBJECT)
		return 0;
	kind = member(ev, k.data, "kind");
	if (kind == NULL || strcmp(kind, "package") != 0) {
		free(kind);
		return 0;
	}
	free(kind);
	spec = json_obj_get(ev, (uint32_t)k.data, "spec");
	status = json_obj_get(ev, (uint32_t)k.data, "status");
	k.version = member(ev, spec, "version");
	k.names[0] = member(ev, k.data, "name");
	if (k.names[0] == NULL)
		k.names[0] = member(ev, spec, "package");
	k.key = member(ev, k.data, "key");
	if (k.key == NULL)
		k.key = decode(ev, json_obj_get(ev, 0, "subject"));
	if (k.version == NULL || k.names[0] == NULL || k.key == NULL)
		goto out;
	k.names[1] = member(ev, spec, "package");
	k.names[2] = source_name(member(ev, spec, "source"));
	k.names[3] = source_name(member(ev, status, "source"));
	if ((k.eco = member(ev, spec, "ecosystem")) == NULL &&
	    (k.eco = member(ev, status, "ecosystem")) == NULL)
		k.eco = xstrdup(default_eco);
	if (!o->sorted) {
		if (o->nent > 0)
			qsort(o->ent, o->nent, sizeof(*o->ent), cmp_entry);
		o->sorted = 1;
	}
	/* Entries of every name the package goes by, grouped by advisory. */
	for (i = 0; i < ARRAY_SIZE(k.names); i++) {
		if (k.names[i] == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (k.names[j] != NULL &&
			    strcmp(k.names[j], k.names[i]) == 0)
				break;
		if (j < i)
			continue;
		for (h = lower_bound(o, k.names[i]); h < o->nent &&
		    strcmp(o->ent[h].name, k.names[i]) == 0; h++) {
			if (!eco_match(k.eco, o->ent[h].eco))
				continue;
			hits = xreallocarray(hits, nhits + 1, sizeof(*hits));
			hits[nhits++] = (struct hit){ o->ent[h].adv,
			    o->ent[h].tok, h };
		}
	}
	if (nhits > 0)	/* by advisory, then entry */
		qsort(hits, nhits, sizeof(*hits), cmp_hit);
	/* Pass 1: which advisories affect it, and their lowest fix. */
	res = xcalloc(nhits + 1, sizeof(*res));
	for (i = 0; i < nhits && rc == 0; i = j) {
		const struct entry *first = &o->ent[hits[i].ent];
		const struct adv *a = &o->adv[first->adv];
		char *fixed = NULL;
		int affected = 0, r;
		uint32_t aff = first->tok;

		for (j = i; j < nhits && hits[j].adv == first->adv; j++) {
			const struct entry *en = &o->ent[hits[j].ent];

			r = version_osv_affected(&a->doc, en->tok, en->eco,
			    k.version, err);
			if (r < 0) {
				rc = err_prefix(err, TEND_EXIT_INPUT, "%s",
				    a->path);
				break;
			}
			if (r == 0)
				continue;
			if (!affected)
				aff = en->tok;
			affected = 1;
			lowest_fixed(&a->doc, en->tok, en->eco, k.version,
			    &fixed);
		}
		if (rc == 0 && affected) {
			res[nres++] = (struct result){ first, aff, fixed };
			fixed = NULL;
		}
		free(fixed);
	}
	/* The version that fixes all of them that have a fix: the highest. */
	for (i = 0; i < nres; i++)
		if (res[i].fixed != NULL && (upgrade == NULL ||
		    version_cmp_for(res[i].first->eco)(res[i].fixed,
		    upgrade) > 0))
			upgrade = res[i].fixed;
	for (i = 0; i < nres && rc == 0; i++) {
		b.len = 0;
		finding(&k, &o->adv[res[i].first->adv], res[i].aff,
		    res[i].first->eco, res[i].fixed, upgrade, &b);
		rc = fn(ctx, b.p, b.len);
	}
	for (i = 0; i < nres; i++)
		free(res[i].fixed);
	free(res);
out:
	free(hits);
	buf_release(&b);
	pkg_release(&k);
	return rc;
}
