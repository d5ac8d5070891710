/*
 * host.c: host resources (packages, sockets, sysctl keys, files) and
 * generic JSON objects as they are compared.
 *
 * A host record's spec is the few facts a desired state pins (a
 * package's version and architecture, a socket's protocol, address and
 * port, a sysctl's value, a file's digest, mode, owner and group); the
 * rest of the record is status.  A file's content never leaves: its
 * sha256 carries every change, and the text may hold secrets no rule
 * recognises.
 */
#include "compat.h"

#include "norm.h"

#define MAX_FIELDS 5

struct field {
	const char *out;	/* name in the spec */
	const char *names;	/* names in the record, '|'-separated, in
				   order of preference */
};

static const struct host_kind {
	const char *kind;
	struct field f[MAX_FIELDS];
} host_kinds[] = {
	{ "package", {
		{ "version", "version|Version" },
		{ "architecture", "architecture|Architecture|arch" },
	} },
	{ "socket", {
		{ "proto", "proto|protocol" },
		{ "address", "address|addr|ip|local_address|local" },
		{ "port", "port|local_port" },
	} },
	{ "sysctl", {
		{ "value", "value|Value" },
	} },
	{ "file", {
		{ "sha256", "sha256|digest" },
		{ "mode", "mode" },
		{ "owner", "owner|user|uid" },
		{ "group", "group|gid" },
		{ "target", "target" },
	} },
};

/* Record members that are never passed on. */
static int
host_dropped(const struct json_doc *d, uint32_t k)
{
	return KEY_IS(d, k, "content");
}

/* Member of object o named by one of the '|'-separated names, in order;
   the key's token, or -1. */
static int64_t
find_field(const struct json_doc *d, int64_t o, const char *names)
{
	char name[64];
	const char *p = names, *e;
	size_t len;
	uint32_t k;

	if (o < 0 || d->tok[o].type != JSON_OBJECT)
		return -1;
	for (;;) {
		e = strchr(p, '|');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		if (len >= sizeof(name))
			BUG("field name too long");
		memcpy(name, p, len);
		name[len] = '\0';
		for (k = (uint32_t)o + 1; k < d->tok[o].end;
		    k = d->tok[k + 1].end)
			if (d->tok[k + 1].type != JSON_NULL &&
			    key_is(d, k, name, len))
				return k;
		if (e == NULL)
			return -1;
		p = e + 1;
	}
}

static int
picked(const int64_t *pick, size_t npick, uint32_t k)
{
	size_t i;

	for (i = 0; i < npick; i++)
		if (pick[i] == (int64_t)k)
			return 1;
	return 0;
}

/* Copies the members of object o except the picked keys, labels and the
   dropped ones into the member list b (count *n). */
static void
rest_members(struct norm *n, uint32_t o, const int64_t *pick, size_t npick,
    int keep_spec_apart, struct buf *b, size_t *cnt)
{
	char kb[KEY_NAME_MAX];
	const struct json_doc *d = n->d;
	uint32_t k;
	const char *raw, *kr;
	size_t len, kl, inner;

	for (k = o + 1; k < d->tok[o].end; k = d->tok[k + 1].end) {
		if (picked(pick, npick, k) || host_dropped(d, k) ||
		    (int64_t)(k + 1) == n->labels)
			continue;
		if (keep_spec_apart && KEY_IS(d, k, "spec") &&
		    d->tok[k + 1].type == JSON_OBJECT) {
			/* the record's own spec, less what was picked */
			if ((*cnt)++ > 0)
				buf_addc(b, ',');
			buf_adds(b, "\"spec\":{");
			inner = 0;
			rest_members(n, k + 1, pick, npick, 0, b, &inner);
			buf_addc(b, '}');
			continue;
		}
		if ((*cnt)++ > 0)
			buf_addc(b, ',');
		raw = json_raw(d, k, &len);
		buf_add(b, raw, len);
		buf_addc(b, ':');
		kr = key_name(d, k, kb, &kl);
		if (kr != NULL && norm_is_env(kr, kl))
			norm_env(n, k + 1, norm_copy, b);
		else
			norm_copy(n, k + 1, kr, kr != NULL ? kl : 0, b);
	}
}

/* "1.2.3.4:80", "[::]:22", "*:53": 1 with the address and the port's
   digits split out. */
static int
split_hostport(const char *s, size_t len, const char **a, size_t *al,
    const char **p, size_t *pl)
{
	const char *colon = memrchr(s, ':', len);
	size_t i;

	if (colon == NULL || colon == s || (size_t)(colon - s) + 1 >= len)
		return 0;
	*p = colon + 1;
	*pl = len - (size_t)(colon - s) - 1;
	for (i = 0; i < *pl; i++)
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return 0;
	*a = s;
	*al = (size_t)(colon - s);
	if (*al >= 2 && s[0] == '[' && s[*al - 1] == ']') {
		(*a)++;
		*al -= 2;
	}
	/* no leading zeros in a JSON number */
	while (*pl > 1 && **p == '0') {
		(*p)++;
		(*pl)--;
	}
	return 1;
}

void
host_normalize(struct norm *n, uint32_t obj)
{
	const struct json_doc *d = n->d;
	const struct host_kind *hk = NULL;
	int64_t pick[MAX_FIELDS], k, inner;
	size_t npick = 0, i, al, pl;
	struct jw w;
	const char *a, *p;
	int split = 0;

	for (i = 0; i < ARRAY_SIZE(host_kinds); i++)
		if (strcmp(host_kinds[i].kind, n->kind) == 0)
			hk = &host_kinds[i];
	if (hk == NULL || d->tok[obj].type != JSON_OBJECT) {
		generic_normalize(n, obj);
		return;
	}
	norm_labels_from(n, json_obj_get(d, obj, "labels"));
	inner = json_obj_get(d, obj, "spec");
	jw_open(&w, &n->spec, '{');
	for (i = 0; i < MAX_FIELDS && hk->f[i].out != NULL; i++) {
		k = find_field(d, obj, hk->f[i].names);
		if (k < 0)
			k = find_field(d, inner, hk->f[i].names);
		if (k < 0)
			continue;
		pick[npick++] = k;
		/* "local": "0.0.0.0:22" with no port of its own */
		if (strcmp(hk->f[i].out, "address") == 0 &&
		    d->tok[k + 1].type == JSON_STRING &&
		    !d->tok[k + 1].escaped &&
		    find_field(d, obj, hk->f[i + 1].names) < 0 &&
		    find_field(d, inner, hk->f[i + 1].names) < 0 &&
		    split_hostport(d->src + d->tok[k + 1].off,
		    d->tok[k + 1].len, &a, &al, &p, &pl)) {
			jw_lit(&w, "address");
			buf_add_json_str(w.b, a, al);
			jw_lit(&w, "port");
			buf_add(w.b, p, pl);
			split = 1;
			continue;
		}
		if (split && strcmp(hk->f[i].out, "port") == 0)
			continue;
		jw_lit(&w, hk->f[i].out);
		norm_copy(n, (uint32_t)k + 1, hk->f[i].out,
		    strlen(hk->f[i].out), w.b);
	}
	jw_close(&w, '}');
	rest_members(n, obj, pick, npick, 1, &n->st_top, &n->n_top);
}

static int
status_field(const struct norm *n, const struct json_doc *d, uint32_t k)
{
	size_t i;

	if (KEY_IS(d, k, "status"))
		return 1;
	for (i = 0; i < n->status_fields.n; i++)
		if (key_is(d, k, n->status_fields.v[i],
		    strlen(n->status_fields.v[i])))
			return 1;
	return 0;
}

/* Any other JSON: the object, less "status" and the --status-field
   members, which go to status. */
void
generic_normalize(struct norm *n, uint32_t obj)
{
	char kb[KEY_NAME_MAX];
	const struct json_doc *d = n->d;
	struct jw w;
	uint32_t k;
	const char *raw, *kr;
	size_t len, kl;

	if (d->tok[obj].type != JSON_OBJECT) {
		norm_copy(n, obj, NULL, 0, &n->spec);
		return;
	}
	norm_labels_from(n, json_obj_get(d, obj, "labels"));
	jw_open(&w, &n->spec, '{');
	for (k = obj + 1; k < d->tok[obj].end; k = d->tok[k + 1].end) {
		kr = key_name(d, k, kb, &kl);
		if (status_field(n, d, k)) {
			if (n->n_top++ > 0)
				buf_addc(&n->st_top, ',');
			raw = json_raw(d, k, &len);
			buf_add(&n->st_top, raw, len);
			buf_addc(&n->st_top, ':');
			norm_copy(n, k + 1, kr, kr != NULL ? kl : 0,
			    &n->st_top);
			continue;
		}
		jw_key(&w, d, k);
		if (kr != NULL && norm_is_env(kr, kl))
			norm_env(n, k + 1, norm_copy, w.b);
		else
			norm_copy(n, k + 1, kr, kr != NULL ? kl : 0, w.b);
	}
	jw_close(&w, '}');
}
