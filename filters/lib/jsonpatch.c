/* RFC 6902 JSON Patch: apply and diff; see jsonpatch.h. */
#include "compat.h"

#include "jsonpatch.h"
#include "jsonptr.h"
#include "xmalloc.h"

/* The mutable value */

static struct jsonpatch_val *
val_new(enum json_type t)
{
	struct jsonpatch_val *v = xcalloc(1, sizeof(*v));

	v->type = t;
	return v;
}

static void
arr_insert(struct jsonpatch_val *a, size_t at, struct jsonpatch_val *x)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 4;
		a->el = xreallocarray(a->el, a->cap, sizeof(*a->el));
	}
	memmove(a->el + at + 1, a->el + at, (a->n - at) * sizeof(*a->el));
	a->el[at] = x;
	a->n++;
}

static struct jsonpatch_val *
arr_take(struct jsonpatch_val *a, size_t at)
{
	struct jsonpatch_val *x = a->el[at];

	memmove(a->el + at, a->el + at + 1, (a->n - at - 1) * sizeof(*a->el));
	a->n--;
	return x;
}

static void
obj_append(struct jsonpatch_val *o, const char *k, size_t klen,
    struct jsonpatch_val *x)
{
	struct jsonpatch_member *m;

	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 4;
		o->mem = xreallocarray(o->mem, o->cap, sizeof(*o->mem));
	}
	m = &o->mem[o->n++];
	m->key = xmalloc(klen + 1);
	memcpy(m->key, k, klen);
	m->key[klen] = '\0';
	m->klen = klen;
	m->v = x;
}

/* Index of member k of o, or -1. */
static int64_t
obj_find(const struct jsonpatch_val *o, const char *k, size_t klen)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (o->mem[i].klen == klen &&
		    memcmp(o->mem[i].key, k, klen) == 0)
			return (int64_t)i;
	return -1;
}

static struct jsonpatch_val *
obj_take(struct jsonpatch_val *o, size_t at)
{
	struct jsonpatch_val *x = o->mem[at].v;

	free(o->mem[at].key);
	memmove(o->mem + at, o->mem + at + 1,
	    (o->n - at - 1) * sizeof(*o->mem));
	o->n--;
	return x;
}

struct jsonpatch_val *
jsonpatch_val_from_tape(const struct json_doc *d, uint32_t i)
{
	const struct json_tok *t = &d->tok[i];
	struct jsonpatch_val *v = val_new((enum json_type)t->type);
	struct buf b = BUF_INIT;
	uint32_t j;

	switch (t->type) {
	case JSON_STRING:
		json_str_decode(d, i, &b);
		buf_grow(&b, 0);	/* never NULL */
		v->s = b.p;
		v->slen = b.len;
		break;
	case JSON_NUMBER:
		v->s = xstrndup(d->src + t->off, t->len);
		v->slen = t->len;
		break;
	case JSON_ARRAY:
		v->cap = t->size ? t->size : 1;
		v->el = xreallocarray(NULL, v->cap, sizeof(*v->el));
		for (j = i + 1; j < t->end; j = d->tok[j].end)
			v->el[v->n++] = jsonpatch_val_from_tape(d, j);
		break;
	case JSON_OBJECT:
		v->cap = t->size ? t->size : 1;
		v->mem = xreallocarray(NULL, v->cap, sizeof(*v->mem));
		for (j = i + 1; j < t->end; j = d->tok[j + 1].end) {
			buf_reset(&b);
			json_str_decode(d, j, &b);
			buf_grow(&b, 0);
			obj_append(v, b.p, b.len,
			    jsonpatch_val_from_tape(d, j + 1));
		}
		buf_release(&b);
		break;
	default:
		break;
	}
	return v;
}

struct jsonpatch_val *
jsonpatch_val_parse(const char *s, size_t len, struct tend_err *err)
{
	struct json_doc d;
	struct jsonpatch_val *v = NULL;

	json_doc_init(&d);
	if (json_parse(&d, s, len, err) == 0)
		v = jsonpatch_val_from_tape(&d, 0);
	json_doc_release(&d);
	return v;
}

struct jsonpatch_val *
jsonpatch_val_copy(const struct jsonpatch_val *v)
{
	struct jsonpatch_val *c = val_new(v->type);
	size_t i;

	switch (v->type) {
	case JSON_STRING:
	case JSON_NUMBER:
		c->s = xmalloc(v->slen + 1);
		memcpy(c->s, v->s, v->slen + 1);
		c->slen = v->slen;
		break;
	case JSON_ARRAY:
		c->cap = v->n ? v->n : 1;
		c->el = xreallocarray(NULL, c->cap, sizeof(*c->el));
		for (i = 0; i < v->n; i++)
			c->el[c->n++] = jsonpatch_val_copy(v->el[i]);
		break;
	case JSON_OBJECT:
		c->cap = v->n ? v->n : 1;
		c->mem = xreallocarray(NULL, c->cap, sizeof(*c->mem));
		for (i = 0; i < v->n; i++)
			obj_append(c, v->mem[i].key, v->mem[i].klen,
			    jsonpatch_val_copy(v->mem[i].v));
		break;
	default:
		break;
	}
	return c;
}

void
jsonpatch_val_free(struct jsonpatch_val *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v->type == JSON_ARRAY && i < v->n; i++)
		jsonpatch_val_free(v->el[i]);
	for (i = 0; v->type == JSON_OBJECT && i < v->n; i++) {
		free(v->mem[i].key);
		jsonpatch_val_free(v->mem[i].v);
	}
	free(v->el);
	free(v->mem);
	free(v->s);
	free(v);
}

/* An integer literal: -?[0-9]+ */
static int
is_int_lit(const char *s, size_t n)
{
	size_t i = s[0] == '-';

	if (i == n)
		return 0;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static double
lit_double(const char *s, size_t n)
{
	char tmp[64], *big;
	double v;

	if (n < sizeof(tmp)) {
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		return strtod(tmp, NULL);
	}
	big = xstrndup(s, n);
	v = strtod(big, NULL);
	free(big);
	return v;
}

int
jsonpatch_num_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen == blen && memcmp(a, b, alen) == 0)
		return 1;
	if (is_int_lit(a, alen) && is_int_lit(b, blen)) {
		/* JSON has no leading zeros: equal digits, equal values,
		   apart from -0 == 0. */
		if (alen == 2 && memcmp(a, "-0", 2) == 0)
			a++, alen--;
		if (blen == 2 && memcmp(b, "-0", 2) == 0)
			b++, blen--;
		return alen == blen && memcmp(a, b, alen) == 0;
	}
	return lit_double(a, alen) == lit_double(b, blen);
}

int
jsonpatch_val_equal(const struct jsonpatch_val *a,
    const struct jsonpatch_val *b)
{
	size_t i;
	int64_t j;

	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case JSON_NUMBER:
		return jsonpatch_num_equal(a->s, a->slen, b->s, b->slen);
	case JSON_STRING:
		return a->slen == b->slen && memcmp(a->s, b->s, a->slen) == 0;
	case JSON_ARRAY:
		if (a->n != b->n)
			return 0;
		for (i = 0; i < a->n; i++)
			if (!jsonpatch_val_equal(a->el[i], b->el[i]))
				return 0;
		return 1;
	case JSON_OBJECT:
		if (a->n != b->n)
			return 0;
		for (i = 0; i < a->n; i++) {
			j = obj_find(b, a->mem[i].key, a->mem[i].klen);
			if (j < 0 || !jsonpatch_val_equal(a->mem[i].v,
			    b->mem[j].v))
				return 0;
		}
		return 1;
	default:
		return 1;
	}
}

void
jsonpatch_val_write(const struct jsonpatch_val *v, struct buf *out)
{
	size_t i;

	switch (v->type) {
	case JSON_NULL:
		buf_adds(out, "null");
		break;
	case JSON_TRUE:
		buf_adds(out, "true");
		break;
	case JSON_FALSE:
		buf_adds(out, "false");
		break;
	case JSON_NUMBER:
		buf_add(out, v->s, v->slen);
		break;
	case JSON_STRING:
		buf_add_json_str(out, v->s, v->slen);
		break;
	case JSON_ARRAY:
		buf_addc(out, '[');
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				buf_addc(out, ',');
			jsonpatch_val_write(v->el[i], out);
		}
		buf_addc(out, ']');
		break;
	case JSON_OBJECT:
		buf_addc(out, '{');
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				buf_addc(out, ',');
			buf_add_json_str(out, v->mem[i].key, v->mem[i].klen);
			buf_addc(out, ':');
			jsonpatch_val_write(v->mem[i].v, out);
		}
		buf_addc(out, '}');
		break;
	}
}

/* Apply */

/* A pointer split into its tokens, all in one buffer. */
struct ptr {
	struct buf b;
	size_t	*off;
	size_t	*len;
	size_t	 n;
	size_t	 cap;
};

static void
ptr_release(struct ptr *p)
{
	buf_release(&p->b);
	free(p->off);
	free(p->len);
	memset(p, 0, sizeof(*p));
}

static int
ptr_split(struct ptr *p, const char *s, size_t len, struct tend_err *err)
{
	struct buf tok = BUF_INIT;
	const char *q = s, *end = s + len;
	int n;

	buf_reset(&p->b);
	p->n = 0;
	while ((n = jsonptr_next(&q, end, &tok, err)) > 0) {
		if (p->n == p->cap) {
			p->cap = p->cap ? p->cap * 2 : 8;
			p->off = xreallocarray(p->off, p->cap, sizeof(*p->off));
			p->len = xreallocarray(p->len, p->cap, sizeof(*p->len));
		}
		p->off[p->n] = p->b.len;
		p->len[p->n] = tok.len;
		p->n++;
		buf_add(&p->b, tok.p, tok.len);
		buf_addc(&p->b, '\0');
	}
	buf_release(&tok);
	return n;
}

static const char *
tok_at(const struct ptr *pt, size_t i)
{
	return pt->b.p + pt->off[i];
}

/* The value the first n tokens of p name, or NULL. */
static struct jsonpatch_val *
ptr_get(struct jsonpatch_val *v, const struct ptr *p, size_t n)
{
	size_t i, idx;
	int64_t k;

	for (i = 0; i < n && v != NULL; i++) {
		if (v->type == JSON_OBJECT) {
			k = obj_find(v, tok_at(p, i), p->len[i]);
			v = k < 0 ? NULL : v->mem[k].v;
		} else if (v->type == JSON_ARRAY) {
			if (jsonptr_index(tok_at(p, i), p->len[i], &idx) < 0 ||
			    idx >= v->n)
				return NULL;
			v = v->el[idx];
		} else
			return NULL;
	}
	return v;
}

/* Where the value p names is held (it must exist). */
static struct jsonpatch_val **
ptr_slot(struct jsonpatch_val **root, const struct ptr *p)
{
	struct jsonpatch_val *parent;
	size_t idx;
	int64_t k;

	if (p->n == 0)
		return root;
	parent = ptr_get(*root, p, p->n - 1);
	if (parent->type == JSON_OBJECT) {
		k = obj_find(parent, tok_at(p, p->n - 1), p->len[p->n - 1]);
		return &parent->mem[k].v;
	}
	if (jsonptr_index(tok_at(p, p->n - 1), p->len[p->n - 1], &idx) < 0)
		BUG("slot of a value that does not exist");
	return &parent->el[idx];
}

struct op {
	int64_t	 op, path, from, value;	/* tokens, -1: absent */
	const char *name;
	struct ptr path_p;
	struct ptr from_p;
};

static int
op_fail(struct tend_err *err, size_t n, const char *what, const struct op *o)
{
	return tend_err_set(err, TEND_EXIT_INPUT, "operation %zu (%s): %s", n,
	    o->name != NULL ? o->name : "?", what);
}

/* Adds x (owned) at the place p names; frees x on failure. */
static int
do_add(struct jsonpatch_val **root, const struct ptr *p,
    struct jsonpatch_val *x, const char **why)
{
	struct jsonpatch_val *parent;
	const char *last;
	size_t idx;
	int64_t k;

	if (p->n == 0) {
		jsonpatch_val_free(*root);
		*root = x;
		return 0;
	}
	parent = ptr_get(*root, p, p->n - 1);
	last = tok_at(p, p->n - 1);
	if (parent == NULL)
		*why = "the parent of the path does not exist";
	else if (parent->type == JSON_OBJECT) {
		k = obj_find(parent, last, p->len[p->n - 1]);
		if (k >= 0) {
			jsonpatch_val_free(parent->mem[k].v);
			parent->mem[k].v = x;
		} else
			obj_append(parent, last, p->len[p->n - 1], x);
		return 0;
	} else if (parent->type == JSON_ARRAY) {
		if (p->len[p->n - 1] == 1 && last[0] == '-') {
			arr_insert(parent, parent->n, x);
			return 0;
		}
		if (jsonptr_index(last, p->len[p->n - 1], &idx) < 0)
			*why = "not an array index";
		else if (idx > parent->n)
			*why = "array index past the end";
		else {
			arr_insert(parent, idx, x);
			return 0;
		}
	} else
		*why = "the parent of the path is not an object or array";
	jsonpatch_val_free(x);
	return -1;
}

/* Detaches and returns the value p names (not the root), or NULL. */
static struct jsonpatch_val *
do_take(struct jsonpatch_val *root, const struct ptr *p, const char **why)
{
	struct jsonpatch_val *parent;
	const char *last;
	size_t idx;
	int64_t k;

	parent = ptr_get(root, p, p->n - 1);
	last = tok_at(p, p->n - 1);
	if (parent == NULL)
		*why = "the parent of the path does not exist";
	else if (parent->type == JSON_OBJECT) {
		if ((k = obj_find(parent, last, p->len[p->n - 1])) >= 0)
			return obj_take(parent, (size_t)k);
		*why = "the path does not exist";
	} else if (parent->type == JSON_ARRAY) {
		if (jsonptr_index(last, p->len[p->n - 1], &idx) < 0)
			*why = "not an array index";
		else if (idx >= parent->n)
			*why = "array index past the end";
		else
			return arr_take(parent, idx);
	} else
		*why = "the parent of the path is not an object or array";
	return NULL;
}

/* Reads the members of operation i of the patch into o. */
static int
op_read(const struct json_doc *d, uint32_t i, size_t n, struct op *o,
    struct tend_err *err)
{
	static const char *names[] = { "op", "path", "from", "value" };
	int64_t *slot[4];
	uint32_t k, e;
	size_t j;

	slot[0] = &o->op;
	slot[1] = &o->path;
	slot[2] = &o->from;
	slot[3] = &o->value;
	o->op = o->path = o->from = o->value = -1;
	o->name = NULL;
	if (d->tok[i].type != JSON_OBJECT)
		return op_fail(err, n, "an operation must be an object", o);
	e = d->tok[i].end;
	for (k = i + 1; k < e; k = d->tok[k + 1].end)
		for (j = 0; j < ARRAY_SIZE(names); j++)
			if (json_str_eq(d, k, names[j])) {
				if (*slot[j] >= 0)
					return tend_err_set(err,
					    TEND_EXIT_INPUT, "operation %zu: "
					    "member '%s' appears twice", n,
					    names[j]);
				*slot[j] = k + 1;
			}
	if (o->op < 0 || d->tok[o->op].type != JSON_STRING)
		return op_fail(err, n, "missing or non-string 'op'", o);
	if (json_str_eq(d, (uint32_t)o->op, "add"))
		o->name = "add";
	else if (json_str_eq(d, (uint32_t)o->op, "remove"))
		o->name = "remove";
	else if (json_str_eq(d, (uint32_t)o->op, "replace"))
		o->name = "replace";
	else if (json_str_eq(d, (uint32_t)o->op, "move"))
		o->name = "move";
	else if (json_str_eq(d, (uint32_t)o->op, "copy"))
		o->name = "copy";
	else if (json_str_eq(d, (uint32_t)o->op, "test"))
		o->name = "test";
	else
		return op_fail(err, n, "unknown op", o);
	if (o->path < 0 || d->tok[o->path].type != JSON_STRING)
		return op_fail(err, n, "missing or non-string 'path'", o);
	if ((o->name[0] == 'm' || o->name[0] == 'c') &&
	    (o->from < 0 || d->tok[o->from].type != JSON_STRING))
		return op_fail(err, n, "missing or non-string 'from'", o);
	if ((o->name[0] == 'a' || o->name[0] == 't' ||
	    strcmp(o->name, "replace") == 0) && o->value < 0)
		return op_fail(err, n, "missing 'value'", o);
	return 0;
}

static int
split_member(const struct json_doc *d, int64_t tok, struct ptr *p, size_t n,
    const struct op *o, struct tend_err *err)
{
	struct buf s = BUF_INIT;
	int rc;

	json_str_decode(d, (uint32_t)tok, &s);
	rc = ptr_split(p, s.p != NULL ? s.p : "", s.len, err);
	buf_release(&s);
	if (rc < 0) {
		char why[sizeof(err->msg)];

		strlcpy(why, err->msg, sizeof(why));
		return op_fail(err, n, why, o);
	}
	return 0;
}

/* Applies operation o (number n) to *root. */
static int
op_apply(struct jsonpatch_val **root, const struct json_doc *d,
    struct op *o, size_t n, struct tend_err *err)
{
	struct jsonpatch_val *x, *t;
	const char *why = NULL;
	size_t i;

	if (split_member(d, o->path, &o->path_p, n, o, err) < 0)
		return -1;
	if (o->from >= 0 && (o->name[0] == 'm' || o->name[0] == 'c') &&
	    split_member(d, o->from, &o->from_p, n, o, err) < 0)
		return -1;
	switch (o->name[0]) {
	case 'a':
		x = jsonpatch_val_from_tape(d, (uint32_t)o->value);
		if (do_add(root, &o->path_p, x, &why) < 0)
			return op_fail(err, n, why, o);
		return 0;
	case 'r':
		if (ptr_get(*root, &o->path_p, o->path_p.n) == NULL)
			return op_fail(err, n, "the path does not exist", o);
		if (o->name[2] == 'p') {	/* replace, in place */
			struct jsonpatch_val **slot;

			slot = ptr_slot(root, &o->path_p);

			jsonpatch_val_free(*slot);
			*slot = jsonpatch_val_from_tape(d, (uint32_t)o->value);
			return 0;
		}
		if (o->path_p.n == 0)
			return op_fail(err, n, "cannot remove the whole "
			    "document", o);
		jsonpatch_val_free(do_take(*root, &o->path_p, &why));
		return 0;
	case 'm':
		if (ptr_get(*root, &o->from_p, o->from_p.n) == NULL)
			return op_fail(err, n, "the 'from' location does not "
			    "exist", o);
		if (o->from_p.n < o->path_p.n) {
			for (i = 0; i < o->from_p.n; i++)
				if (o->from_p.len[i] != o->path_p.len[i] ||
				    memcmp(tok_at(&o->from_p, i),
				    tok_at(&o->path_p, i),
				    o->from_p.len[i]) != 0)
					break;
			if (i == o->from_p.n)
				return op_fail(err, n, "cannot move a value "
				    "into one of its children", o);
		}
		if (o->from_p.n == o->path_p.n && o->path_p.b.len ==
		    o->from_p.b.len && (o->path_p.b.len == 0 ||
		    memcmp(o->path_p.b.p, o->from_p.b.p,
		    o->path_p.b.len) == 0))
			return 0;
		if (o->from_p.n == 0)
			BUG("move from the root into no child");
		x = do_take(*root, &o->from_p, &why);
		if (do_add(root, &o->path_p, x, &why) < 0)
			return op_fail(err, n, why, o);
		return 0;
	case 'c':
		t = ptr_get(*root, &o->from_p, o->from_p.n);
		if (t == NULL)
			return op_fail(err, n, "the 'from' location does not "
			    "exist", o);
		if (do_add(root, &o->path_p, jsonpatch_val_copy(t), &why) < 0)
			return op_fail(err, n, why, o);
		return 0;
	case 't':
		t = ptr_get(*root, &o->path_p, o->path_p.n);
		if (t == NULL)
			return op_fail(err, n, "the path does not exist", o);
		x = jsonpatch_val_from_tape(d, (uint32_t)o->value);
		i = (size_t)jsonpatch_val_equal(t, x);
		jsonpatch_val_free(x);
		if (!i)
			return op_fail(err, n, "test failed: the values "
			    "differ", o);
		return 0;
	default:
		BUG("unknown op");
	}
}

int
jsonpatch_apply(struct jsonpatch_val **doc, const struct json_doc *d,
    uint32_t pi, struct tend_err *err)
{
	struct jsonpatch_val *w;
	struct op o;
	uint32_t i;
	size_t n = 0;
	int rc = 0;

	if (d->tok[pi].type != JSON_ARRAY)
		return tend_err_set(err, TEND_EXIT_INPUT, "a JSON Patch must "
		    "be an array, not %s", json_type_name(d->tok[pi].type));
	memset(&o, 0, sizeof(o));
	w = jsonpatch_val_copy(*doc);
	for (i = pi + 1; i < d->tok[pi].end; i = d->tok[i].end, n++)
		if ((rc = op_read(d, i, n, &o, err)) < 0 ||
		    (rc = op_apply(&w, d, &o, n, err)) < 0)
			break;
	ptr_release(&o.path_p);
	ptr_release(&o.from_p);
	if (rc < 0) {
		jsonpatch_val_free(w);
		return -1;
	}
	jsonpatch_val_free(*doc);
	*doc = w;
	return 0;
}

int
jsonpatch_apply_text(struct jsonpatch_val **doc, const char *patch,
    size_t len, struct tend_err *err)
{
	struct json_doc d;
	int rc = -1;

	json_doc_init(&d);
	if (json_parse(&d, patch, len, err) == 0)
		rc = jsonpatch_apply(doc, &d, 0, err);
	json_doc_release(&d);
	return rc;
}

/* Tape equality */

static int
str_tok_equal(const struct json_doc *a, uint32_t ai, const struct json_doc *b,
    uint32_t bi)
{
	const struct json_tok *ta = &a->tok[ai], *tb = &b->tok[bi];
	struct buf x = BUF_INIT, y = BUF_INIT;
	int eq;

	if (!ta->escaped && !tb->escaped)
		return ta->len == tb->len &&
		    memcmp(a->src + ta->off, b->src + tb->off, ta->len) == 0;
	json_str_decode(a, ai, &x);
	json_str_decode(b, bi, &y);
	eq = x.len == y.len && (x.len == 0 || memcmp(x.p, y.p, x.len) == 0);
	buf_release(&x);
	buf_release(&y);
	return eq;
}

/* Value token of the member of object obj (in d) whose key equals key
   token k of kd, or -1. */
static int64_t
member_of(const struct json_doc *d, uint32_t obj, const struct json_doc *kd,
    uint32_t k)
{
	uint32_t i, e = d->tok[obj].end;

	for (i = obj + 1; i < e; i = d->tok[i + 1].end)
		if (str_tok_equal(d, i, kd, k))
			return (int64_t)i + 1;
	return -1;
}

int
jsonpatch_tape_equal(const struct json_doc *a, uint32_t ai,
    const struct json_doc *b, uint32_t bi)
{
	const struct json_tok *ta = &a->tok[ai], *tb = &b->tok[bi];
	uint32_t i, j;
	int64_t k;

	if (ta->type != tb->type)
		return 0;
	switch (ta->type) {
	case JSON_NUMBER:
		return jsonpatch_num_equal(a->src + ta->off, ta->len,
		    b->src + tb->off, tb->len);
	case JSON_STRING:
		return str_tok_equal(a, ai, b, bi);
	case JSON_ARRAY:
		if (ta->size != tb->size)
			return 0;
		for (i = ai + 1, j = bi + 1; i < ta->end;
		    i = a->tok[i].end, j = b->tok[j].end)
			if (!jsonpatch_tape_equal(a, i, b, j))
				return 0;
		return 1;
	case JSON_OBJECT:
		if (ta->size != tb->size)
			return 0;
		/* Same order is the common case: try the same place first. */
		for (i = ai + 1, j = bi + 1; i < ta->end;
		    i = a->tok[i + 1].end, j = b->tok[j + 1].end) {
			if (str_tok_equal(a, i, b, j))
				k = (int64_t)j + 1;
			else if ((k = member_of(b, bi, a, i)) < 0)
				return 0;
			if (!jsonpatch_tape_equal(a, i + 1, b, (uint32_t)k))
				return 0;
		}
		return 1;
	default:
		return 1;
	}
}

/* Diff */

struct dctx {
	const struct jsonpatch_diffopt *opt;
	const struct json_doc *a, *b;
	struct buf *patch;
	struct buf *paths;
	size_t	 nops;
	size_t	 hits;		/* nodes the callback left out */
	struct buf ap, bp, pp;	/* pointers in a, in b, in the patch */
	struct buf raw;		/* the distinct paths, unescaped */
	size_t	*pathoff;	/* where each starts in raw */
	size_t	*pathlen;
	size_t	 npaths;
	size_t	 pathcap;
	struct buf key;		/* scratch */
};

static int
node(struct dctx *c, int64_t ai, int64_t bi, int have_ap, int have_bp)
{
	struct jsonpatch_node nd;

	if (c->opt == NULL || c->opt->node == NULL)
		return JSONPATCH_COMPARE;
	nd.a = c->a;
	nd.ai = ai;
	nd.apath = have_ap ? (c->ap.p != NULL ? c->ap.p : "") : NULL;
	nd.apathlen = have_ap ? c->ap.len : 0;
	nd.b = c->b;
	nd.bi = bi;
	nd.bpath = have_bp ? (c->bp.p != NULL ? c->bp.p : "") : NULL;
	nd.bpathlen = have_bp ? c->bp.len : 0;
	return c->opt->node(c->opt->ctx, &nd);
}

static void
add_path(struct dctx *c, const char *p, size_t len)
{
	size_t i;

	if (c->paths == NULL)
		return;
	for (i = 0; i < c->npaths; i++)
		if (c->pathlen[i] == len && (len == 0 ||
		    memcmp(c->raw.p + c->pathoff[i], p, len) == 0))
			return;
	if (c->npaths == c->pathcap) {
		c->pathcap = c->pathcap ? c->pathcap * 2 : 16;
		c->pathoff = xreallocarray(c->pathoff, c->pathcap,
		    sizeof(*c->pathoff));
		c->pathlen = xreallocarray(c->pathlen, c->pathcap,
		    sizeof(*c->pathlen));
	}
	if (c->npaths > 0)
		buf_addc(c->paths, ',');
	buf_add_json_str(c->paths, p, len);
	c->pathoff[c->npaths] = c->raw.len;
	c->pathlen[c->npaths] = len;
	buf_add(&c->raw, p, len);
	c->npaths++;
}

/* Emits {"op":op,["from":from,]"path":<pp>[,"value":<raw of vd/vi>]}. */
static void
emit(struct dctx *c, const char *op, const char *from, size_t fromlen,
    const struct json_doc *vd, int64_t vi)
{
	const char *raw;
	size_t len;
	const char *pp = c->pp.p != NULL ? c->pp.p : "";

	if (c->nops++ > 0)
		buf_addc(c->patch, ',');
	buf_adds(c->patch, "{\"op\":\"");
	buf_adds(c->patch, op);
	buf_adds(c->patch, "\"");
	if (from != NULL) {
		buf_adds(c->patch, ",\"from\":");
		buf_add_json_str(c->patch, from, fromlen);
	}
	buf_adds(c->patch, ",\"path\":");
	buf_add_json_str(c->patch, pp, c->pp.len);
	if (vi >= 0) {
		buf_adds(c->patch, ",\"value\":");
		raw = json_raw(vd, (uint32_t)vi, &len);
		buf_add(c->patch, raw, len);
	}
	buf_addc(c->patch, '}');
	add_path(c, pp, c->pp.len);
}

/* Saved lengths of the three pointers, to pop what was pushed. */
struct mark {
	size_t	 a, b, p;
};

static struct mark
mark(const struct dctx *c)
{
	struct mark m = { c->ap.len, c->bp.len, c->pp.len };

	return m;
}

static void
unmark(struct dctx *c, struct mark m)
{
	c->ap.len = m.a;
	c->bp.len = m.b;
	c->pp.len = m.p;
	if (c->ap.p != NULL)
		c->ap.p[m.a] = '\0';
	if (c->bp.p != NULL)
		c->bp.p[m.b] = '\0';
	if (c->pp.p != NULL)
		c->pp.p[m.p] = '\0';
}

static void
push_key(struct dctx *c, const struct json_doc *d, uint32_t k)
{
	buf_reset(&c->key);
	json_str_decode(d, k, &c->key);
	jsonptr_add(&c->ap, c->key.p != NULL ? c->key.p : "", c->key.len);
	jsonptr_add(&c->bp, c->key.p != NULL ? c->key.p : "", c->key.len);
	jsonptr_add(&c->pp, c->key.p != NULL ? c->key.p : "", c->key.len);
}

static void diff_val(struct dctx *, uint32_t, uint32_t);

/*
 * A lookup table of an object's keys (large objects only) or of the names
 * of an array's elements: token indices sorted by a hash of the decoded
 * key, so a lookup is a binary search and a compare.
 */
struct ent {
	uint64_t h;
	uint32_t key;		/* the key (or name) string token */
	uint32_t val;		/* the member value or array element */
	uint32_t pos;		/* the element's index */
};

struct tab {
	const struct json_doc *d;
	struct ent *e;
	uint32_t n;
};

static uint64_t
hash_str(const struct json_doc *d, uint32_t k, struct buf *scratch)
{
	const struct json_tok *t = &d->tok[k];
	const unsigned char *s;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i, n;

	if (t->escaped) {
		buf_reset(scratch);
		json_str_decode(d, k, scratch);
		s = (const unsigned char *)scratch->p;
		n = scratch->len;
	} else {
		s = (const unsigned char *)d->src + t->off;
		n = t->len;
	}
	for (i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	return h;
}

static int
ent_cmp(const void *x, const void *y)
{
	const struct ent *a = x, *b = y;

	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

static void
tab_sort(struct tab *t, struct buf *scratch)
{
	uint32_t i;

	for (i = 0; i < t->n; i++)
		t->e[i].h = hash_str(t->d, t->e[i].key, scratch);
	qsort(t->e, t->n, sizeof(*t->e), ent_cmp);
}

/* The entry of t whose key equals string token k of kd, or NULL. */
static const struct ent *
tab_find(const struct tab *t, const struct json_doc *kd, uint32_t k,
    struct buf *scratch)
{
	uint64_t h = hash_str(kd, k, scratch);
	uint32_t lo = 0, hi = t->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t->e[mid].h < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->n && t->e[lo].h == h; lo++)
		if (str_tok_equal(t->d, t->e[lo].key, kd, k))
			return &t->e[lo];
	return NULL;
}

/* 1 if two entries of the sorted t have equal keys. */
static int
tab_has_dups(const struct tab *t)
{
	uint32_t i, j;

	for (i = 0; i + 1 < t->n; i++)
		for (j = i + 1; j < t->n && t->e[j].h == t->e[i].h; j++)
			if (str_tok_equal(t->d, t->e[i].key, t->d, t->e[j].key))
				return 1;
	return 0;
}

#define SMALL_OBJECT 16

static void
tab_obj(struct tab *t, const struct json_doc *d, uint32_t obj,
    struct buf *scratch)
{
	uint32_t i, n = 0;

	t->d = d;
	t->n = d->tok[obj].size;
	t->e = xreallocarray(NULL, t->n ? t->n : 1, sizeof(*t->e));
	for (i = obj + 1; i < d->tok[obj].end; i = d->tok[i + 1].end, n++) {
		t->e[n].key = i;
		t->e[n].val = i + 1;
		t->e[n].pos = n;
	}
	tab_sort(t, scratch);
}

/* Value token of the member of d's object obj with key k of kd, or -1. */
static int64_t
lookup(struct dctx *c, const struct tab *t, const struct json_doc *d,
    uint32_t obj, const struct json_doc *kd, uint32_t k)
{
	const struct ent *e;

	if (t->e == NULL)
		return member_of(d, obj, kd, k);
	e = tab_find(t, kd, k, &c->key);
	return e != NULL ? (int64_t)e->val : -1;
}

static void
diff_obj(struct dctx *c, uint32_t ai, uint32_t bi)
{
	const struct json_doc *a = c->a, *b = c->b;
	struct tab ta = { NULL, NULL, 0 }, tb = { NULL, NULL, 0 };
	struct mark m = mark(c);
	uint32_t i;
	int64_t k;

	if (b->tok[bi].size > SMALL_OBJECT)
		tab_obj(&tb, b, bi, &c->key);
	if (a->tok[ai].size > SMALL_OBJECT)
		tab_obj(&ta, a, ai, &c->key);
	for (i = ai + 1; i < a->tok[ai].end; i = a->tok[i + 1].end) {
		push_key(c, a, i);
		k = lookup(c, &tb, b, bi, a, i);
		if (k < 0) {
			if (node(c, i + 1, -1, 1, 1) != JSONPATCH_COMPARE)
				c->hits++;
			else
				emit(c, "remove", NULL, 0, NULL, -1);
		} else
			diff_val(c, i + 1, (uint32_t)k);
		unmark(c, m);
	}
	for (i = bi + 1; i < b->tok[bi].end; i = b->tok[i + 1].end) {
		if (lookup(c, &ta, a, ai, b, i) >= 0)
			continue;
		push_key(c, b, i);
		if (node(c, -1, i + 1, 1, 1) != JSONPATCH_COMPARE)
			c->hits++;
		else
			emit(c, "add", NULL, 0, b, i + 1);
		unmark(c, m);
	}
	free(ta.e);
	free(tb.e);
}

/* Collects the element tokens of array arr. */
static uint32_t *
elements(const struct json_doc *d, uint32_t arr)
{
	uint32_t *e, i, n = 0;

	e = xreallocarray(NULL, d->tok[arr].size ? d->tok[arr].size : 1,
	    sizeof(*e));
	for (i = arr + 1; i < d->tok[arr].end; i = d->tok[i].end)
		e[n++] = i;
	return e;
}

/*
 * Fills t with the name tokens of array arr's elements when every element
 * is an object with a string member `name` and the names are distinct.
 * Returns 1 then, else 0 (t empty).
 */
static int
tab_names(struct tab *t, const struct json_doc *d, uint32_t arr,
    const char *name, struct buf *scratch)
{
	uint32_t i, n = 0;
	int64_t k;

	t->d = d;
	t->n = d->tok[arr].size;
	t->e = xreallocarray(NULL, t->n ? t->n : 1, sizeof(*t->e));
	for (i = arr + 1; i < d->tok[arr].end; i = d->tok[i].end, n++) {
		k = json_obj_get(d, i, name);
		if (k < 0 || d->tok[k].type != JSON_STRING)
			goto no;
		t->e[n].key = (uint32_t)k;
		t->e[n].val = i;
		t->e[n].pos = n;
	}
	tab_sort(t, scratch);
	if (tab_has_dups(t))
		goto no;
	return 1;
no:
	free(t->e);
	t->e = NULL;
	t->n = 0;
	return 0;
}

static void
push_index(struct buf *p, size_t i)
{
	jsonptr_add_index(p, i);
}

/*
 * Arrays of named objects.  W is the array as the patch leaves it so far:
 * entries are indices into a's elements, or -1 for one added from b.
 * First remove the elements whose name b lacks (from the end, so indices
 * hold), then walk b: each name is moved into place if it is further on,
 * diffed there, or added.
 *
 * NEEDSWORK: moving the first of n elements to the end takes n - 1 moves
 * instead of one; a longest increasing subsequence of the kept elements
 * would say which to leave in place.
 */
static void
diff_named(struct dctx *c, uint32_t ai, uint32_t bi, struct tab *na,
    struct tab *nb)
{
	const struct json_doc *a = c->a, *b = c->b;
	uint32_t *ae = elements(a, ai), *be = elements(b, bi);
	size_t n = a->tok[ai].size, m = b->tok[bi].size, wn = n, wi, i, j;
	int64_t *w = xreallocarray(NULL, n + m + 1, sizeof(*w));
	struct mark mk = mark(c);
	struct buf from = BUF_INIT;
	const struct ent *e;

	for (i = 0; i < n; i++)
		w[i] = (int64_t)i;
	for (i = n; i-- > 0;) {
		uint32_t nametok = (uint32_t)json_obj_get(a, ae[i],
		    c->opt->name_key);

		if (tab_find(nb, a, nametok, &c->key) != NULL)
			continue;
		push_index(&c->ap, i);
		push_index(&c->pp, i);
		if (node(c, ae[i], -1, 1, 0) != JSONPATCH_COMPARE)
			c->hits++;
		else {
			emit(c, "remove", NULL, 0, NULL, -1);
			memmove(w + i, w + i + 1, (wn - i - 1) * sizeof(*w));
			wn--;
		}
		unmark(c, mk);
	}
	for (i = 0, wi = 0; i < m; i++) {
		uint32_t nametok = (uint32_t)json_obj_get(b, be[i],
		    c->opt->name_key);

		e = tab_find(na, b, nametok, &c->key);
		if (e != NULL) {
			for (j = wi; j < wn && w[j] != (int64_t)e->pos; j++)
				;
			if (j == wn)
				BUG("named element lost");
			if (j != wi) {
				int64_t x = w[j];

				buf_reset(&from);
				buf_add(&from, c->pp.p != NULL ? c->pp.p : "",
				    c->pp.len);
				push_index(&from, j);
				push_index(&c->pp, wi);
				emit(c, "move", from.p, from.len, NULL, -1);
				unmark(c, mk);
				memmove(w + wi + 1, w + wi, (j - wi) *
				    sizeof(*w));
				w[wi] = x;
			}
			push_index(&c->ap, e->pos);
			push_index(&c->bp, i);
			push_index(&c->pp, wi);
			diff_val(c, ae[e->pos], be[i]);
			unmark(c, mk);
			wi++;
			continue;
		}
		push_index(&c->bp, i);
		push_index(&c->pp, wi);
		if (node(c, -1, be[i], 0, 1) != JSONPATCH_COMPARE)
			c->hits++;
		else {
			emit(c, "add", NULL, 0, b, be[i]);
			memmove(w + wi + 1, w + wi, (wn - wi) * sizeof(*w));
			w[wi] = -1;
			wn++;
			wi++;
		}
		unmark(c, mk);
	}
	buf_release(&from);
	free(w);
	free(ae);
	free(be);
}

/*
 * Other arrays: common prefix and suffix, then index by index.
 * NEEDSWORK: an insertion and a deletion in the same unnamed array give
 * replaces in between; an LCS would give one add and one remove.
 */
static void
diff_pos(struct dctx *c, uint32_t ai, uint32_t bi)
{
	const struct json_doc *a = c->a, *b = c->b;
	uint32_t *ae = elements(a, ai), *be = elements(b, bi);
	size_t n = a->tok[ai].size, m = b->tok[bi].size, p = 0, s = 0;
	size_t na, nb, j, ci;
	size_t patch0 = c->patch->len, nops0 = c->nops, hits0 = c->hits;
	size_t paths0 = c->paths != NULL ? c->paths->len : 0;
	size_t npaths0 = c->npaths, raw0 = c->raw.len;
	struct mark mk = mark(c);
	size_t rawlen;

	while (p < n && p < m && jsonpatch_tape_equal(a, ae[p], b, be[p]))
		p++;
	while (s < n - p && s < m - p &&
	    jsonpatch_tape_equal(a, ae[n - 1 - s], b, be[m - 1 - s]))
		s++;
	na = n - p - s;
	nb = m - p - s;
	for (j = 0; j < na && j < nb; j++) {
		push_index(&c->ap, p + j);
		push_index(&c->bp, p + j);
		push_index(&c->pp, p + j);
		diff_val(c, ae[p + j], be[p + j]);
		unmark(c, mk);
	}
	for (j = na; j-- > nb;) {
		push_index(&c->ap, p + j);
		push_index(&c->pp, p + j);
		if (node(c, ae[p + j], -1, 1, 0) != JSONPATCH_COMPARE)
			c->hits++;
		else
			emit(c, "remove", NULL, 0, NULL, -1);
		unmark(c, mk);
	}
	for (j = na, ci = p + na; j < nb; j++) {
		push_index(&c->bp, p + j);
		push_index(&c->pp, ci);
		if (node(c, -1, be[p + j], 0, 1) != JSONPATCH_COMPARE)
			c->hits++;
		else {
			emit(c, "add", NULL, 0, b, be[p + j]);
			ci++;
		}
		unmark(c, mk);
	}
	free(ae);
	free(be);

	/* One replace of the whole array, if that is shorter and nothing in
	   it was left out (a replace would undo what was ignored). */
	(void)json_raw(b, bi, &rawlen);
	if (c->nops - nops0 > 1 && c->hits == hits0 &&
	    c->patch->len - patch0 > rawlen + c->pp.len + 32) {
		c->patch->len = patch0;
		c->patch->p[patch0] = '\0';
		c->nops = nops0;
		if (c->paths != NULL) {
			c->paths->len = paths0;
			c->paths->p[paths0] = '\0';
		}
		c->npaths = npaths0;
		c->raw.len = raw0;
		emit(c, "replace", NULL, 0, b, bi);
	}
}

static void
diff_arr(struct dctx *c, uint32_t ai, uint32_t bi)
{
	struct tab na = { NULL, NULL, 0 }, nb = { NULL, NULL, 0 };
	const char *name = c->opt != NULL ? c->opt->name_key : NULL;

	if (name != NULL && c->a->tok[ai].size > 0 && c->b->tok[bi].size > 0 &&
	    tab_names(&na, c->a, ai, name, &c->key) &&
	    tab_names(&nb, c->b, bi, name, &c->key))
		diff_named(c, ai, bi, &na, &nb);
	else
		diff_pos(c, ai, bi);
	free(na.e);
	free(nb.e);
}

static void
diff_val(struct dctx *c, uint32_t ai, uint32_t bi)
{
	const struct json_tok *ta = &c->a->tok[ai], *tb = &c->b->tok[bi];

	if (node(c, ai, bi, 1, 1) != JSONPATCH_COMPARE) {
		c->hits++;
		return;
	}
	if (ta->type != tb->type) {
		emit(c, "replace", NULL, 0, c->b, bi);
		return;
	}
	switch (ta->type) {
	case JSON_NUMBER:
		if (!jsonpatch_num_equal(c->a->src + ta->off, ta->len,
		    c->b->src + tb->off, tb->len))
			emit(c, "replace", NULL, 0, c->b, bi);
		break;
	case JSON_STRING:
		if (!str_tok_equal(c->a, ai, c->b, bi))
			emit(c, "replace", NULL, 0, c->b, bi);
		break;
	case JSON_OBJECT:
		diff_obj(c, ai, bi);
		break;
	case JSON_ARRAY:
		diff_arr(c, ai, bi);
		break;
	default:
		break;
	}
}

size_t
jsonpatch_diff(const struct json_doc *a, uint32_t ai,
    const struct json_doc *b, uint32_t bi,
    const struct jsonpatch_diffopt *opt, struct buf *patch,
    struct buf *paths)
{
	struct dctx c;

	memset(&c, 0, sizeof(c));
	c.opt = opt;
	c.a = a;
	c.b = b;
	c.patch = patch;
	c.paths = paths;
	buf_addc(patch, '[');
	if (paths != NULL)
		buf_addc(paths, '[');
	diff_val(&c, ai, bi);
	buf_addc(patch, ']');
	if (paths != NULL)
		buf_addc(paths, ']');
	buf_release(&c.ap);
	buf_release(&c.bp);
	buf_release(&c.pp);
	buf_release(&c.key);
	buf_release(&c.raw);
	free(c.pathoff);
	free(c.pathlen);
	return c.nops;
}
