/*
 * Version ordering; see version.h.  Written from Debian Policy 5.6.12,
 * SemVer 2.0.0 section 11 and the OSV schema's evaluation rules.
 */
#include "compat.h"

#include <ctype.h>

#include "buf.h"
#include "version.h"
#include "xmalloc.h"

/* Weight of a character in a non-digit run: `~` lowest, then the end of
   the string and digits, then letters, then everything else. */
static int
dpkg_order(unsigned char c)
{
	if (c == '~')
		return -1;
	if (c == '\0' || isdigit(c))
		return 0;
	if (isalpha(c))
		return c;
	return c + 256;
}

/* Compares upstream versions or revisions a[0..an) and b[0..bn). */
static int
dpkg_part_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0, j = 0;

#define AC (i < an ? (unsigned char)a[i] : 0)
#define BC (j < bn ? (unsigned char)b[j] : 0)
	while (i < an || j < bn) {
		int first_diff = 0;

		while ((AC != 0 && !isdigit(AC)) || (BC != 0 && !isdigit(BC))) {
			int ac = dpkg_order(AC), bc = dpkg_order(BC);

			if (ac != bc)
				return ac - bc;
			i++;
			j++;
		}
		while (AC == '0')
			i++;
		while (BC == '0')
			j++;
		while (isdigit(AC) && isdigit(BC)) {
			if (first_diff == 0)
				first_diff = AC - BC;
			i++;
			j++;
		}
		if (isdigit(AC))
			return 1;
		if (isdigit(BC))
			return -1;
		if (first_diff != 0)
			return first_diff;
	}
	return 0;
#undef AC
#undef BC
}

struct dpkg_ver {
	unsigned long epoch;
	const char *up;
	size_t uplen;
	const char *rev;
	size_t revlen;
};

static void
dpkg_split(const char *s, struct dpkg_ver *v)
{
	const char *colon = strchr(s, ':'), *dash;
	char *end;

	v->epoch = 0;
	if (colon != NULL) {
		v->epoch = strtoul(s, &end, 10);
		if (end == colon)
			s = colon + 1;
		else
			v->epoch = 0;
	}
	dash = strrchr(s, '-');
	v->up = s;
	if (dash != NULL) {
		v->uplen = (size_t)(dash - s);
		v->rev = dash + 1;
		v->revlen = strlen(dash + 1);
	} else {
		v->uplen = strlen(s);
		v->rev = "";
		v->revlen = 0;
	}
}

int
version_cmp_dpkg(const char *a, const char *b)
{
	struct dpkg_ver va, vb;
	int r;

	dpkg_split(a, &va);
	dpkg_split(b, &vb);
	if (va.epoch != vb.epoch)
		return va.epoch < vb.epoch ? -1 : 1;
	if ((r = dpkg_part_cmp(va.up, va.uplen, vb.up, vb.uplen)) != 0)
		return r;
	return dpkg_part_cmp(va.rev, va.revlen, vb.rev, vb.revlen);
}

/* Compares dot-separated identifiers of SemVer pre-releases. */
static int
semver_pre_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0, j = 0;

	while (i < an && j < bn) {
		size_t ie = i, je = j;
		int anum = 1, bnum = 1, r;

		while (ie < an && a[ie] != '.')
			anum &= isdigit((unsigned char)a[ie++]) != 0;
		while (je < bn && b[je] != '.')
			bnum &= isdigit((unsigned char)b[je++]) != 0;
		if (anum && bnum) {
			/* Numerically: longer (without zeros) is larger. */
			while (i < ie - 1 && a[i] == '0')
				i++;
			while (j < je - 1 && b[j] == '0')
				j++;
			if (ie - i != je - j)
				return ie - i < je - j ? -1 : 1;
			if ((r = memcmp(a + i, b + j, ie - i)) != 0)
				return r;
		} else if (anum != bnum) {
			return anum ? -1 : 1;
		} else {
			size_t n = ie - i < je - j ? ie - i : je - j;

			if ((r = memcmp(a + i, b + j, n)) != 0)
				return r;
			if (ie - i != je - j)
				return ie - i < je - j ? -1 : 1;
		}
		i = ie + (ie < an);
		j = je + (je < bn);
	}
	return (i < an) - (j < bn);
}

int
version_cmp_semver(const char *a, const char *b)
{
	const char *pa, *pb;
	size_t an, bn, pan, pbn;
	int k;

	if (*a == 'v' || *a == 'V')
		a++;
	if (*b == 'v' || *b == 'V')
		b++;
	for (k = 0; k < 3; k++) {
		unsigned long long x = strtoull(a, (char **)&pa, 10);
		unsigned long long y = strtoull(b, (char **)&pb, 10);

		if (x != y)
			return x < y ? -1 : 1;
		a = *pa == '.' ? pa + 1 : pa;
		b = *pb == '.' ? pb + 1 : pb;
	}
	/* a and b now point at "-pre+build", "+build" or "". */
	an = strcspn(a, "+");
	bn = strcspn(b, "+");
	pan = *a == '-' ? an - 1 : 0;
	pbn = *b == '-' ? bn - 1 : 0;
	if (pan == 0 || pbn == 0)
		return (pan == 0) - (pbn == 0);	/* a release is higher */
	return semver_pre_cmp(a + 1, pan, b + 1, pbn);
}

int
(*version_cmp_for(const char *eco))(const char *, const char *)
{
	if (strncmp(eco, "Debian", 6) == 0 || strncmp(eco, "Ubuntu", 6) == 0)
		return version_cmp_dpkg;
	return version_cmp_semver;
}

static int
str_of(const struct json_doc *d, int64_t t, struct buf *b)
{
	buf_reset(b);
	if (t < 0 || d->tok[t].type != JSON_STRING)
		return -1;
	json_str_decode(d, (uint32_t)t, b);
	return 0;
}

struct osv_event {
	char	 kind;		/* 'i'ntroduced, 'f'ixed, 'l'ast_affected */
	char	*version;
};

static int
osv_event_cmp(const void *a, const void *b, void *arg)
{
	const struct osv_event *x = a, *y = b;
	int (*cmp)(const char *, const char *) =
	    *(int (**)(const char *, const char *))arg;
	int xz = x->kind == 'i' && strcmp(x->version, "0") == 0;
	int yz = y->kind == 'i' && strcmp(y->version, "0") == 0;

	if (xz || yz)
		return yz - xz;		/* introduced "0" comes first */
	return cmp(x->version, y->version);
}

/*
 * Evaluates one range object as the OSV schema says: sort its events by
 * version, then walk them; introduced at or below v makes v affected,
 * fixed at or below v, or last_affected below v, makes it not.
 * Returns 1 affected, 0 not, -1 malformed.
 */
static int
range_affected(const struct json_doc *d, uint32_t r, const char *eco,
    const char *v, struct tend_err *err)
{
	static const struct {
		const char *name;
		char kind;
	} kinds[] = {
		{ "introduced", 'i' }, { "fixed", 'f' },
		{ "last_affected", 'l' }, { "limit", 0 },
	};
	struct buf type = BUF_INIT, b = BUF_INIT;
	struct osv_event *ev = NULL;
	int (*cmp)(const char *, const char *);
	int64_t events, e, t = -1;
	uint32_t n, nev = 0, k;
	int affected = 0, rc;

	if (str_of(d, json_obj_get(d, r, "type"), &type) < 0 ||
	    (events = json_obj_get(d, r, "events")) < 0 ||
	    d->tok[events].type != JSON_ARRAY) {
		rc = tend_err_set(err, TEND_EXIT_INPUT, "OSV range without a "
		    "type or events");
		goto out;
	}
	rc = 0;
	if (strcmp(type.p, "GIT") == 0)
		goto out;
	cmp = strcmp(type.p, "SEMVER") == 0 ? version_cmp_semver :
	    version_cmp_for(eco);
	ev = xreallocarray(NULL, d->tok[events].size, sizeof(*ev));
	for (n = 0; (e = json_arr_at(d, (uint32_t)events, n)) >= 0; n++) {
		for (k = 0; k < ARRAY_SIZE(kinds); k++)
			if ((t = json_obj_get(d, (uint32_t)e,
			    kinds[k].name)) >= 0)
				break;
		if (k == ARRAY_SIZE(kinds) || str_of(d, t, &b) < 0) {
			rc = tend_err_set(err, TEND_EXIT_INPUT,
			    "OSV event without a version");
			goto out;
		}
		if (kinds[k].kind == 0)
			continue;	/* limit: only for git commit walks */
		ev[nev].kind = kinds[k].kind;
		ev[nev++].version = xstrdup(b.p);
	}
	qsort_r(ev, nev, sizeof(*ev), osv_event_cmp, &cmp);
	for (n = 0; n < nev; n++) {
		int c = ev[n].kind == 'i' && strcmp(ev[n].version, "0") == 0 ?
		    1 : cmp(v, ev[n].version);

		if (ev[n].kind == 'i' && c >= 0)
			affected = 1;
		else if (ev[n].kind == 'f' && c >= 0)
			affected = 0;
		else if (ev[n].kind == 'l' && c > 0)
			affected = 0;
	}
	rc = affected;
out:
	while (nev > 0)
		free(ev[--nev].version);
	free(ev);
	buf_release(&type);
	buf_release(&b);
	return rc;
}

int
version_osv_affected(const struct json_doc *d, uint32_t i, const char *eco,
    const char *v, struct tend_err *err)
{
	int64_t list, t;
	uint32_t n;
	int r;

	if (d->tok[i].type != JSON_OBJECT)
		return tend_err_set(err, TEND_EXIT_INPUT, "OSV affected entry "
		    "is not an object");
	if ((list = json_obj_get(d, i, "versions")) >= 0 &&
	    d->tok[list].type == JSON_ARRAY) {
		for (n = 0; (t = json_arr_at(d, (uint32_t)list, n)) >= 0; n++)
			if (json_str_eq(d, (uint32_t)t, v))
				return 1;
	}
	if ((list = json_obj_get(d, i, "ranges")) >= 0 &&
	    d->tok[list].type == JSON_ARRAY) {
		for (n = 0; (t = json_arr_at(d, (uint32_t)list, n)) >= 0; n++)
			if ((r = range_affected(d, (uint32_t)t, eco, v, err)) != 0)
				return r;
	}
	return 0;
}
