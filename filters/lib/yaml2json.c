/*
 * YAML to JSON; see yaml2json.h.
 *
 * Each document is parsed from libyaml's event stream into a small graph
 * (nodes in one array, children as index runs, scalar text in one buffer)
 * in which an alias is just another reference to the anchored node.  An
 * anchor is registered when its node is complete, so an alias can never
 * point at a node that contains it.  Every node knows its height and an
 * upper bound of its JSON size, so the bounds are checked before anything
 * is written; writing then walks the graph recursively, at most max_depth
 * deep.
 *
 * libyaml's document API is not used because it gives an untagged plain
 * scalar the same tag as one written !!str, and the two mean different
 * things here.
 */
#include "compat.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>

#include <yaml.h>

#include "buf.h"
#include "jcs.h"
#include "json.h"
#include "xmalloc.h"
#include "yaml2json.h"

#define Y_MAX_OUT_DEFAULT ((size_t)64 << 20)
#define YTAG "tag:yaml.org,2002:"

enum { Y_SCALAR, Y_SEQ, Y_MAP };
enum { S_STR, S_NULL, S_BOOL, S_INT, S_FLOAT };

struct ynode {
	uint8_t	 type;
	uint8_t	 merge;		/* a plain "<<" (or !!merge) scalar */
	uint8_t	 kind;		/* scalar: S_* */
	uint32_t height;	/* 0 for scalars, else 1 + tallest child */
	size_t	 off, len;	/* scalar: raw string, or JSON literal */
	size_t	 first, n;	/* collection: kids[first .. first + n) */
	size_t	 size;		/* upper bound of its JSON text, saturating */
	size_t	 line, index;	/* where it starts */
};

struct yopen {
	size_t	 node;
	size_t	 pstart;	/* its children start here in pending */
	char	*anchor;
};

struct yanchor {
	char	*name;
	size_t	 node;
};

struct yconv {
	size_t	 max_out;
	unsigned max_depth;
	struct ynode *nodes;
	size_t	 nnodes, capnodes;
	size_t	*kids;
	size_t	 nkids, capkids;
	size_t	*pending;
	size_t	 npending, cappending;
	struct yopen *open;
	size_t	 nopen, capopen;
	struct yanchor *anchors;	/* open addressing, capanchors = 2^k */
	size_t	 nanchors, capanchors;
	size_t	 root;
	int	 have_root;
	struct buf text;
	struct buf out;
	struct tend_err *err;
	size_t	 errline;
};

/* A set of key strings (offsets into text), for one mapping's writing. */
struct kset {
	size_t	*slot;		/* node index + 1; 0 is empty */
	size_t	 n, cap;
};

static size_t
sat_add(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static int
yfail(struct yconv *y, size_t line, size_t index, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
yfail(struct yconv *y, size_t line, size_t index, const char *fmt, ...)
{
	va_list ap;

	y->err->code = TEND_EXIT_INPUT;
	y->err->offset = index;
	va_start(ap, fmt);
	vsnprintf(y->err->msg, sizeof(y->err->msg), fmt, ap);
	va_end(ap);
	y->errline = line;
	return -1;
}

static uint64_t
hash_str(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void
anchors_reset(struct yconv *y)
{
	size_t i;

	for (i = 0; i < y->capanchors; i++) {
		free(y->anchors[i].name);
		y->anchors[i].name = NULL;
	}
	y->nanchors = 0;
}

static struct yanchor *
anchor_slot(struct yanchor *tab, size_t cap, const char *name)
{
	size_t i = (size_t)hash_str(name, strlen(name)) & (cap - 1);

	while (tab[i].name != NULL && strcmp(tab[i].name, name) != 0)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

/* Takes ownership of name.  A later anchor of the same name wins. */
static void
anchor_set(struct yconv *y, char *name, size_t node)
{
	struct yanchor *a;
	size_t i, ncap;

	if ((y->nanchors + 1) * 2 > y->capanchors) {
		struct yanchor *old = y->anchors;
		size_t ocap = y->capanchors;

		ncap = ocap ? ocap * 2 : 16;
		y->anchors = xcalloc(ncap, sizeof(*y->anchors));
		y->capanchors = ncap;
		for (i = 0; i < ocap; i++)
			if (old[i].name != NULL)
				*anchor_slot(y->anchors, ncap, old[i].name) =
				    old[i];
		free(old);
	}
	a = anchor_slot(y->anchors, y->capanchors, name);
	if (a->name != NULL) {
		free(a->name);
	} else
		y->nanchors++;
	a->name = name;
	a->node = node;
}

static int
anchor_get(struct yconv *y, const char *name, size_t *node)
{
	struct yanchor *a;

	if (y->capanchors == 0)
		return -1;
	a = anchor_slot(y->anchors, y->capanchors, name);
	if (a->name == NULL)
		return -1;
	*node = a->node;
	return 0;
}

static size_t
node_new(struct yconv *y, int type, const yaml_mark_t *m)
{
	struct ynode *n;

	if (y->nnodes == y->capnodes) {
		y->capnodes = y->capnodes ? y->capnodes * 2 : 64;
		y->nodes = xreallocarray(y->nodes, y->capnodes,
		    sizeof(*y->nodes));
	}
	n = &y->nodes[y->nnodes];
	memset(n, 0, sizeof(*n));
	n->type = (uint8_t)type;
	n->line = m->line + 1;
	n->index = m->index;
	return y->nnodes++;
}

static void
add_child(struct yconv *y, size_t node)
{
	if (y->nopen == 0) {
		y->root = node;
		y->have_root = 1;
		return;
	}
	if (y->npending == y->cappending) {
		y->cappending = y->cappending ? y->cappending * 2 : 64;
		y->pending = xreallocarray(y->pending, y->cappending,
		    sizeof(*y->pending));
	}
	y->pending[y->npending++] = node;
}

/* Length of s as a JSON string literal. */
static size_t
json_str_size(const char *s, size_t len)
{
	size_t i, n = 2;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\' || c == '\b' || c == '\f' ||
		    c == '\n' || c == '\r' || c == '\t')
			n += 2;
		else if (c < 0x20)
			n += 6;
		else
			n++;
	}
	return n;
}

/*
 * Go's strconv.ParseInt/ParseUint(s, 0, 64) as go-yaml v2 uses them (on
 * the scalar with '_' removed).  Returns 0 and the value as text in out,
 * or -1 when neither accepts it.
 */
static int
go_int(const char *s, size_t len, struct buf *out)
{
	size_t i = 0;
	uint64_t mag = 0;
	unsigned base = 10, d;
	int neg = 0, plus = 0;

	if (i < len && (s[i] == '+' || s[i] == '-')) {
		neg = s[i] == '-';
		plus = s[i] == '+';
		i++;
	}
	if (i >= len)
		return -1;
	if (s[i] == '0' && i + 1 < len) {
		switch (s[i + 1] | 0x20) {
		case 'x': base = 16; i += 2; break;
		case 'o': base = 8; i += 2; break;
		case 'b': base = 2; i += 2; break;
		default: base = 8; i++; break;
		}
		if (i >= len)
			return -1;
	}
	for (; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return -1;
		if (d >= base || mag > (UINT64_MAX - d) / base)
			return -1;
		mag = mag * base + d;
	}
	if (neg) {
		if (mag > (uint64_t)INT64_MAX + 1)
			return -1;
		if (mag == 0)
			buf_addc(out, '0');
		else
			buf_addf(out, "-%llu", (unsigned long long)mag);
		return 0;
	}
	/* ParseUint takes no sign: "+" and beyond int64 fails both */
	if (plus && mag > (uint64_t)INT64_MAX)
		return -1;
	buf_addf(out, "%llu", (unsigned long long)mag);
	return 0;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static int
yaml_float_syntax(const char *s, size_t len)
{
	size_t i = 0, d;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i < len && s[i] == '.') {
		i++;
		for (d = i; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	} else {
		for (d = i; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
		if (i < len && s[i] == '.')
			for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
				;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == len;
}

/* A finite float as JSON text, or -1 when out of double range. */
static int
float_text(const char *s, size_t len, struct buf *out)
{
	char tmp[128], *end;
	double v;

	if (len >= sizeof(tmp))
		return -1;	/* no double needs that many digits to reach */
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	errno = 0;
	v = strtod(tmp, &end);
	if (end != tmp + len || isinf(v) || isnan(v))
		return -1;
	jcs_number(v, out);
	return 0;
}

static int
in_list(const char *s, size_t len, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == len && memcmp(*list, s, len) == 0)
			return 1;
	return 0;
}

static const char *const y_null[] = { "", "~", "null", "Null", "NULL", NULL };
static const char *const y_true[] = { "y", "Y", "yes", "Yes", "YES", "true",
	"True", "TRUE", "on", "On", "ON", NULL };
static const char *const y_false[] = { "n", "N", "no", "No", "NO", "false",
	"False", "FALSE", "off", "Off", "OFF", NULL };
static const char *const y_inf[] = { ".inf", ".Inf", ".INF", "+.inf",
	"+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN",
	NULL };

/*
 * Resolves a plain scalar as go-yaml v2 does: appends its JSON literal to
 * out and returns its S_* kind, or returns -2 for a value JSON cannot
 * hold (.inf, .nan).
 */
static int
resolve_plain(const char *s, size_t len, struct buf *out)
{
	struct buf plain = BUF_INIT;
	size_t i, old = out->len;
	int kind = S_STR;

	if (in_list(s, len, y_null)) {
		buf_adds(out, "null");
		return S_NULL;
	}
	if (in_list(s, len, y_true)) {
		buf_adds(out, "true");
		return S_BOOL;
	}
	if (in_list(s, len, y_false)) {
		buf_adds(out, "false");
		return S_BOOL;
	}
	if (in_list(s, len, y_inf))
		return -2;
	if (len == 0)
		return S_STR;
	if (s[0] == '.') {
		if (yaml_float_syntax(s, len) && float_text(s, len, out) == 0)
			return S_FLOAT;
		out->len = old;
		return S_STR;
	}
	if (s[0] != '+' && s[0] != '-' && (s[0] < '0' || s[0] > '9'))
		return S_STR;
	for (i = 0; i < len; i++)
		if (s[i] != '_')
			buf_addc(&plain, s[i]);
	if (go_int(plain.p, plain.len, out) == 0)
		kind = S_INT;
	else if (yaml_float_syntax(plain.p, plain.len) &&
	    float_text(plain.p, plain.len, out) == 0)
		kind = S_FLOAT;
	else
		out->len = old;
	buf_release(&plain);
	return kind;
}

static const char *
kind_name(int kind)
{
	switch (kind) {
	case S_NULL: return "!!null";
	case S_BOOL: return "!!bool";
	case S_INT: return "!!int";
	case S_FLOAT: return "!!float";
	default: return "!!str";
	}
}

static int
on_scalar(struct yconv *y, const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	size_t len = ev->data.scalar.length, i, bound;
	struct ynode *n;
	int kind = S_STR, want = -1;

	i = node_new(y, Y_SCALAR, &ev->start_mark);
	n = &y->nodes[i];
	n->off = y->text.len;
	if (tag != NULL && strncmp(tag, YTAG, strlen(YTAG)) == 0) {
		const char *t = tag + strlen(YTAG);

		if (strcmp(t, "null") == 0)
			want = S_NULL;
		else if (strcmp(t, "bool") == 0)
			want = S_BOOL;
		else if (strcmp(t, "int") == 0)
			want = S_INT;
		else if (strcmp(t, "float") == 0)
			want = S_FLOAT;
		else if (strcmp(t, "merge") == 0 && len == 2 &&
		    memcmp(s, "<<", 2) == 0)
			n->merge = 1;
	}
	if (want >= 0 || (tag == NULL &&
	    ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)) {
		if (tag == NULL && len == 2 && memcmp(s, "<<", 2) == 0)
			n->merge = 1;
		kind = resolve_plain(s, len, &y->text);
		if (kind == -2)
			return yfail(y, n->line, n->index,
			    "YAML value '%s' has no JSON form", s);
		if (want == S_FLOAT && kind == S_INT) {
			double v = strtod(y->text.p + n->off, NULL);

			y->text.len = n->off;
			jcs_number(v, &y->text);
			kind = S_FLOAT;
		}
		if (want >= 0 && kind != want)
			return yfail(y, n->line, n->index,
			    "cannot read '%.*s' as %s", (int)(len > 40 ? 40 :
			    len), s, kind_name(want));
	}
	if (kind == S_STR) {
		y->text.len = n->off;
		buf_add(&y->text, s, len);
	}
	n->len = y->text.len - n->off;
	n->kind = (uint8_t)kind;
	n->size = kind == S_STR ? json_str_size(s, len) : n->len;
	bound = json_str_size(y->text.p + n->off, n->len);
	if (bound > n->size)
		n->size = bound;	/* as a key it is quoted */
	if (ev->data.scalar.anchor != NULL)
		anchor_set(y, xstrdup((const char *)ev->data.scalar.anchor), i);
	add_child(y, i);
	return 0;
}

static int
on_start(struct yconv *y, const yaml_event_t *ev, int type)
{
	const yaml_char_t *anchor;
	struct yopen *o;
	size_t i;

	i = node_new(y, type, &ev->start_mark);
	if (y->nopen + 1 > y->max_depth)
		return yfail(y, y->nodes[i].line, y->nodes[i].index,
		    "YAML nested deeper than %u", y->max_depth);
	anchor = type == Y_SEQ ? ev->data.sequence_start.anchor :
	    ev->data.mapping_start.anchor;
	if (y->nopen == y->capopen) {
		y->capopen = y->capopen ? y->capopen * 2 : 16;
		y->open = xreallocarray(y->open, y->capopen, sizeof(*y->open));
	}
	o = &y->open[y->nopen++];
	o->node = i;
	o->pstart = y->npending;
	o->anchor = anchor != NULL ? xstrdup((const char *)anchor) : NULL;
	return 0;
}

struct keyref {
	const char *p;
	size_t	 len;
	size_t	 node;
};

static int
keyref_cmp(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	int c;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if ((c = memcmp(x->p, y->p, x->len)) != 0)
		return c;
	return x->node < y->node ? -1 : x->node > y->node;
}

/* Keys must be scalars, given once; merge values must be mappings. */
static int
check_map(struct yconv *y, const struct ynode *m)
{
	struct keyref *keys;
	size_t i, j, nk = 0;
	int rc = 0;

	keys = xreallocarray(NULL, m->n / 2 + 1, sizeof(*keys));
	for (i = 0; i < m->n; i += 2) {
		const struct ynode *k = &y->nodes[y->kids[m->first + i]];
		const struct ynode *v = &y->nodes[y->kids[m->first + i + 1]];

		if (k->type != Y_SCALAR) {
			rc = yfail(y, k->line, k->index,
			    "a YAML mapping key must be a scalar");
			goto out;
		}
		if (k->merge) {
			if (v->type == Y_MAP)
				continue;
			if (v->type == Y_SEQ) {
				for (j = 0; j < v->n; j++)
					if (y->nodes[y->kids[v->first + j]]
					    .type != Y_MAP)
						break;
				if (j == v->n)
					continue;
			}
			rc = yfail(y, v->line, v->index, "a YAML merge (<<) "
			    "takes a mapping or a sequence of mappings");
			goto out;
		}
		keys[nk].p = y->text.p + k->off;
		keys[nk].len = k->len;
		keys[nk].node = y->kids[m->first + i];
		nk++;
	}
	qsort(keys, nk, sizeof(*keys), keyref_cmp);
	for (i = 1; i < nk; i++)
		if (keys[i].len == keys[i - 1].len &&
		    memcmp(keys[i].p, keys[i - 1].p, keys[i].len) == 0) {
			const struct ynode *k = &y->nodes[keys[i].node];

			rc = yfail(y, k->line, k->index,
			    "duplicate YAML mapping key '%.*s'",
			    (int)(k->len > 60 ? 60 : k->len), keys[i].p);
			goto out;
		}
out:
	free(keys);
	return rc;
}

static int
on_end(struct yconv *y)
{
	struct yopen o = y->open[--y->nopen];
	struct ynode *n;
	size_t i, cnt = y->npending - o.pstart, size;
	uint32_t h = 0;

	if (y->nkids + cnt > y->capkids) {
		while (y->nkids + cnt > y->capkids)
			y->capkids = y->capkids ? y->capkids * 2 : 256;
		y->kids = xreallocarray(y->kids, y->capkids,
		    sizeof(*y->kids));
	}
	if (cnt > 0)
		memcpy(y->kids + y->nkids, y->pending + o.pstart,
		    cnt * sizeof(*y->kids));
	y->npending = o.pstart;
	n = &y->nodes[o.node];
	n->first = y->nkids;
	n->n = cnt;
	y->nkids += cnt;
	size = 2 + (cnt > 0 ? cnt - 1 : 0);
	for (i = 0; i < cnt; i++) {
		const struct ynode *c = &y->nodes[y->kids[n->first + i]];

		if (c->height > h)
			h = c->height;
		size = sat_add(size, c->size);
	}
	n->height = h + 1;
	n->size = size;
	if (n->type == Y_MAP && check_map(y, n) < 0) {
		free(o.anchor);
		return -1;
	}
	if (o.anchor != NULL)
		anchor_set(y, o.anchor, o.node);
	add_child(y, o.node);
	return 0;
}

static int
on_alias(struct yconv *y, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	size_t node;

	if (anchor_get(y, name, &node) < 0)
		return yfail(y, ev->start_mark.line + 1, ev->start_mark.index,
		    "YAML alias '*%s' names no anchor before it (or its own "
		    "enclosing node)", name);
	if (y->nopen + y->nodes[node].height > y->max_depth)
		return yfail(y, ev->start_mark.line + 1, ev->start_mark.index,
		    "YAML nested deeper than %u (aliases expanded)",
		    y->max_depth);
	add_child(y, node);
	return 0;
}

static void
kset_release(struct kset *s)
{
	free(s->slot);
}

/* Adds key node k's text; returns 1 if it was new, 0 if present. */
static int
kset_add(struct yconv *y, struct kset *s, size_t k)
{
	const struct ynode *kn = &y->nodes[k], *o;
	size_t i, j, ocap;

	if ((s->n + 1) * 2 > s->cap) {
		size_t *old = s->slot;

		ocap = s->cap;
		s->cap = ocap ? ocap * 2 : 16;
		s->slot = xcalloc(s->cap, sizeof(*s->slot));
		for (j = 0; j < ocap; j++) {
			if (old[j] == 0)
				continue;
			o = &y->nodes[old[j] - 1];
			i = (size_t)hash_str(y->text.p + o->off, o->len) &
			    (s->cap - 1);
			while (s->slot[i] != 0)
				i = (i + 1) & (s->cap - 1);
			s->slot[i] = old[j];
		}
		free(old);
	}
	i = (size_t)hash_str(y->text.p + kn->off, kn->len) & (s->cap - 1);
	while (s->slot[i] != 0) {
		o = &y->nodes[s->slot[i] - 1];
		if (o->len == kn->len && memcmp(y->text.p + o->off,
		    y->text.p + kn->off, kn->len) == 0)
			return 0;
		i = (i + 1) & (s->cap - 1);
	}
	s->slot[i] = k + 1;
	s->n++;
	return 1;
}

static void write_node(struct yconv *, size_t);

static void
write_pair(struct yconv *y, size_t k, size_t v, int *first)
{
	const struct ynode *kn = &y->nodes[k];

	if (!*first)
		buf_addc(&y->out, ',');
	*first = 0;
	buf_add_json_str(&y->out, y->text.p + kn->off, kn->len);
	buf_addc(&y->out, ':');
	write_node(y, v);
}

/*
 * Writes the members of mapping m whose keys are not yet in seen, adding
 * them: first every key written in m is claimed, so it wins over what m
 * merges in, then the members go out in order, merges where they stand.
 */
static void
write_members(struct yconv *y, size_t m, struct kset *seen, int *first)
{
	const struct ynode *mn = &y->nodes[m];
	unsigned char *mine;
	size_t i, j, k, v;

	mine = xcalloc(mn->n / 2 + 1, 1);
	for (i = 0; i < mn->n; i += 2) {
		k = y->kids[mn->first + i];
		if (!y->nodes[k].merge)
			mine[i / 2] = (unsigned char)kset_add(y, seen, k);
	}
	for (i = 0; i < mn->n; i += 2) {
		k = y->kids[mn->first + i];
		v = y->kids[mn->first + i + 1];
		if (!y->nodes[k].merge) {
			if (mine[i / 2])
				write_pair(y, k, v, first);
			continue;
		}
		if (y->nodes[v].type == Y_MAP) {
			write_members(y, v, seen, first);
			continue;
		}
		for (j = 0; j < y->nodes[v].n; j++)
			write_members(y, y->kids[y->nodes[v].first + j], seen,
			    first);
	}
	free(mine);
}

static void
write_node(struct yconv *y, size_t i)
{
	const struct ynode *n = &y->nodes[i];
	struct kset seen = { NULL, 0, 0 };
	size_t j;
	int first = 1;

	switch (n->type) {
	case Y_SCALAR:
		/* strings are stored raw, the rest as JSON literals */
		if (n->kind == S_STR)
			buf_add_json_str(&y->out, y->text.p + n->off, n->len);
		else
			buf_add(&y->out, y->text.p + n->off, n->len);
		return;
	case Y_SEQ:
		buf_addc(&y->out, '[');
		for (j = 0; j < n->n; j++) {
			if (j > 0)
				buf_addc(&y->out, ',');
			write_node(y, y->kids[n->first + j]);
		}
		buf_addc(&y->out, ']');
		return;
	case Y_MAP:
		buf_addc(&y->out, '{');
		write_members(y, i, &seen, &first);
		kset_release(&seen);
		buf_addc(&y->out, '}');
		return;
	}
}

static void
doc_reset(struct yconv *y)
{
	size_t i;

	for (i = 0; i < y->nopen; i++)
		free(y->open[i].anchor);
	y->nopen = 0;
	y->nnodes = y->nkids = y->npending = 0;
	y->have_root = 0;
	buf_reset(&y->text);
	buf_grow(&y->text, 1);	/* text.p is never NULL */
	anchors_reset(y);
}

static void
yconv_release(struct yconv *y)
{
	doc_reset(y);
	free(y->nodes);
	free(y->kids);
	free(y->pending);
	free(y->open);
	free(y->anchors);
	buf_release(&y->text);
	buf_release(&y->out);
}

static int
on_doc_end(struct yconv *y, yaml2json_fn *fn, void *ctx)
{
	const struct ynode *r;

	if (!y->have_root) {
		buf_reset(&y->out);
		buf_adds(&y->out, "null");
		return fn(ctx, y->out.p, y->out.len, 1);
	}
	r = &y->nodes[y->root];
	if (r->size > y->max_out)
		return yfail(y, r->line, r->index, "YAML document expands to "
		    "more than %zu bytes of JSON (aliases expanded)",
		    y->max_out);
	buf_reset(&y->out);
	buf_grow(&y->out, r->size);
	write_node(y, y->root);
	return fn(ctx, y->out.p, y->out.len, r->line);
}

static int
parser_fail(struct yconv *y, const yaml_parser_t *p)
{
	const yaml_mark_t *m = &p->problem_mark;

	if (p->error == YAML_MEMORY_ERROR) {
		warnx("out of memory");
		exit(TEND_EXIT_SYSTEM);
	}
	if (p->context != NULL)
		return yfail(y, m->line + 1, m->index, "YAML: %s %s",
		    p->context, p->problem != NULL ? p->problem : "");
	return yfail(y, m->line + 1, m->index, "YAML: %s",
	    p->problem != NULL ? p->problem : "cannot parse");
}

int
yaml2json(const char *src, size_t len, const struct yaml2json_opts *opts,
    yaml2json_fn *fn, void *ctx, size_t *line, struct tend_err *err)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct yconv y;
	int rc = 0, done = 0;

	memset(&y, 0, sizeof(y));
	y.max_out = opts != NULL && opts->max_out ? opts->max_out :
	    Y_MAX_OUT_DEFAULT;
	y.max_depth = opts != NULL && opts->max_depth ? opts->max_depth :
	    JSON_MAX_DEPTH;
	y.err = err;
	if (!yaml_parser_initialize(&p)) {
		warnx("out of memory");
		exit(TEND_EXIT_SYSTEM);
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)src, len);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = parser_fail(&y, &p);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			doc_reset(&y);
			break;
		case YAML_DOCUMENT_END_EVENT:
			rc = on_doc_end(&y, fn, ctx);
			break;
		case YAML_SCALAR_EVENT:
			rc = on_scalar(&y, &ev);
			break;
		case YAML_ALIAS_EVENT:
			rc = on_alias(&y, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			rc = on_start(&y, &ev, Y_SEQ);
			break;
		case YAML_MAPPING_START_EVENT:
			rc = on_start(&y, &ev, Y_MAP);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			rc = on_end(&y);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	if (rc < 0 && line != NULL)
		*line = y.errline;
	yaml_parser_delete(&p);
	yconv_release(&y);
	return rc;
}

struct one {
	struct buf *out;
	int	 got;
};

static int
take_one(void *ctx, const char *json, size_t len, size_t line)
{
	struct one *o = ctx;

	(void)line;
	if (!o->got)
		buf_add(o->out, json, len);
	o->got = 1;
	return 0;
}

int
yaml2json_one(const char *src, size_t len, const struct yaml2json_opts *opts,
    struct buf *out, size_t *line, struct tend_err *err)
{
	struct one o = { out, 0 };

	if (yaml2json(src, len, opts, take_one, &o, line, err) < 0)
		return -1;
	if (!o.got)
		buf_adds(out, "null");
	return 0;
}
