/*
 * JSON Schema (draft 2020-12) subset: compiled from the json.h tape at load
 * and interpreted over instance tapes; see schema.h for what is supported.
 *
 * A schema becomes a node: a list of ops in a fixed order (type first, so
 * the first error reported is the most basic one), whatever the order of
 * the keywords in the file.  Keywords that only make sense together
 * (properties, patternProperties, additionalProperties, required,
 * propertyNames) share one op, so an object is walked once.
 */
#include "compat.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>

#include "buf.h"
#include "json.h"
#include "schema.h"
#include "tenderr.h"
#include "xmalloc.h"

#define DRAFT_2020_12	"https://json-schema.org/draft/2020-12/schema"
#define ENVELOPE	"envelope.v1.json"
#define TYPE_PREFIX	"tend."
#define TYPE_SUFFIX	".v1.json"
/* Required names and patternProperties per schema are tracked in a
   uint64_t, so validation needs no allocation. */
#define MAX_BITS	64
/* Instance nesting, plus the "data" and required-name segments. */
#define MAX_PATH	(JSON_MAX_DEPTH + 8)
/* Longest JSON Pointer or value quoted in a message. */
#define MSG_PTR_MAX	200
#define MSG_VAL_MAX	80

/* In the order messages list them. */
enum {
	T_STRING = 1 << 0,
	T_NUMBER = 1 << 1,
	T_INTEGER = 1 << 2,
	T_BOOLEAN = 1 << 3,
	T_OBJECT = 1 << 4,
	T_ARRAY = 1 << 5,
	T_NULL = 1 << 6,
};

static const char *const type_names[] = {
	"string", "number", "integer", "boolean", "object", "array", "null",
};

/* A set of byte strings (copied) with open addressing. */
struct strtab {
	char		**str;
	size_t		 *len;
	uint32_t	 *hash;
	uint32_t	  n;
	uint32_t	  cap;
	int32_t		 *slot;		/* index into str, or -1 */
	uint32_t	  mask;		/* slots - 1 */
};

struct num {
	double		 d;
	int64_t		 i;
	int		 isint;		/* i holds the exact value */
	const char	*lit;
	size_t		 litlen;
};

enum opkind {
	OP_FALSE, OP_TYPE, OP_REF, OP_CONST, OP_ENUM, OP_OBJECT, OP_MINPROPS,
	OP_MAXPROPS, OP_ARRAY, OP_MINITEMS, OP_MAXITEMS, OP_UNIQUE, OP_MINLEN,
	OP_MAXLEN, OP_PATTERN, OP_DATETIME, OP_MINIMUM, OP_MAXIMUM, OP_XMINIMUM,
	OP_XMAXIMUM, OP_MULTIPLEOF, OP_ALLOF, OP_ANYOF, OP_ONEOF, OP_NOT, OP_IF,
};

struct node;

struct objop {
	struct strtab	 names;		/* from properties and required */
	struct node	**prop;		/* by name: its schema, NULL if none */
	int8_t		 *reqbit;	/* by name: bit in reqmask, or -1 */
	uint8_t		 *nameok;	/* by name: passed propertyNames */
	uint32_t	  ncap;
	uint32_t	 *req;		/* name indexes, in "required" order */
	uint32_t	  nreq;
	uint64_t	  reqmask;
	struct pattern	**pat;
	struct node	**patnode;
	uint32_t	  npat;
	struct node	 *additional;	/* NULL: anything goes */
	int		  addfalse;	/* additionalProperties: false */
	struct node	 *propnames;
};

struct arrop {
	struct node	**prefix;
	uint32_t	  nprefix;
	struct node	 *items;	/* NULL: anything goes */
	int		  itemsfalse;
};

struct enumop {
	const struct json_doc *doc;
	uint32_t	  tok;		/* the array */
	struct strtab	  strs;		/* its strings, unescaped */
	uint32_t	  nother;	/* members that are not strings */
};

struct refop {
	char		 *ref;
	char		 *where;	/* for messages */
	struct schema	 *in;
	struct node	 *to;
};

struct op {
	enum opkind	 kind;
	union {
		uint32_t	 types;
		uint64_t	 count;
		struct {
			const struct json_doc *doc;
			uint32_t	 tok;
		}		 val;
		struct enumop	*en;
		struct objop	*obj;
		struct arrop	*arr;
		struct pattern	*pat;
		struct num	 num;
		struct {
			struct node	**v;
			uint32_t	  n;
		}		 list;
		struct node	*sub;
		struct {
			struct node	*cond;
			struct node	*then;
			struct node	*otherwise;
		}		 cond;
		struct refop	*ref;
	} u;
};

struct node {
	struct op	*op;
	uint32_t	 nop;
	uint32_t	 cap;
	int		 mark;		/* cycle check: 0 new, 1 open, 2 done */
	const char	*docname;
	char		*where;
};

struct schema {
	char		*name;
	struct json_doc	 doc;
	struct node	*root;
	struct strtab	 defnames;
	struct node	**defs;
	struct schema_set *set;
};

enum segkind { SEG_KEY, SEG_INDEX, SEG_NAME };

/* One step of the instance location being validated. */
struct seg {
	enum segkind	 kind;
	uint32_t	 v;		/* KEY: key token; INDEX: index */
	const char	*s;		/* NAME */
	size_t		 n;
};

struct schema_set {
	struct schema	**schemas;
	uint32_t	  nschemas;
	struct strtab	  docnames;
	struct schema	 *envelope;
	struct strtab	  types;	/* "tend.x" -> typedoc */
	struct schema	**typedoc;
	struct node	**node;		/* all nodes, to free them */
	size_t		  nnode;
	size_t		  capnode;
	struct refop	**ref;		/* to resolve after loading */
	size_t		  nref;
	size_t		  capref;

	/* Validation state: this is why a set is not thread-safe. */
	const struct json_doc *doc;
	struct tend_err	 *err;
	unsigned	  quiet;	/* inside anyOf, oneOf, not, if */
	int		  inname;	/* validating a property name */
	struct seg	 *path;
	uint32_t	  depth;
	struct buf	  sbuf;		/* an unescaped string value */
	struct buf	  kbuf;		/* an unescaped key */
	struct buf	  eqa;		/* strings being compared */
	struct buf	  eqb;
};

struct loader {
	struct schema_set *set;
	struct schema	*s;
	struct buf	 where;		/* JSON Pointer into the schema */
	struct buf	 tmp;
	struct tend_err	*err;
};

/* strtab */

static uint32_t
strhash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

static int32_t
strtab_find(const struct strtab *t, const char *s, size_t n)
{
	uint32_t h, i;
	int32_t k;

	/* Most tables are a few property names: hashing costs more. */
	if (t->n <= 8) {
		for (i = 0; i < t->n; i++)
			if (t->len[i] == n && memcmp(t->str[i], s, n) == 0)
				return (int32_t)i;
		return -1;
	}
	h = strhash(s, n);
	for (i = h & t->mask; (k = t->slot[i]) >= 0; i = (i + 1) & t->mask)
		if (t->hash[k] == h && t->len[k] == n &&
		    memcmp(t->str[k], s, n) == 0)
			return k;
	return -1;
}

static void
strtab_place(struct strtab *t, uint32_t k)
{
	uint32_t i;

	for (i = t->hash[k] & t->mask; t->slot[i] >= 0; i = (i + 1) & t->mask)
		continue;
	t->slot[i] = (int32_t)k;
}

/* Index of s, added if new. */
static int32_t
strtab_add(struct strtab *t, const char *s, size_t n)
{
	uint32_t k, size;
	int32_t found;

	if ((found = strtab_find(t, s, n)) >= 0)
		return found;
	if (t->n >= INT32_MAX / 4)
		BUG("strtab too large");
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 8;
		t->str = xreallocarray(t->str, t->cap, sizeof(*t->str));
		t->len = xreallocarray(t->len, t->cap, sizeof(*t->len));
		t->hash = xreallocarray(t->hash, t->cap, sizeof(*t->hash));
	}
	k = t->n++;
	t->str[k] = xmalloc(n + 1);
	memcpy(t->str[k], s, n);
	t->str[k][n] = '\0';
	t->len[k] = n;
	t->hash[k] = strhash(s, n);
	if (t->slot != NULL && 2 * t->n <= t->mask + 1) {
		strtab_place(t, k);
		return (int32_t)k;
	}
	for (size = 8; size < 2 * t->n; size *= 2)
		continue;
	free(t->slot);
	t->slot = xreallocarray(NULL, size, sizeof(*t->slot));
	memset(t->slot, 0xff, size * sizeof(*t->slot));
	t->mask = size - 1;
	for (k = 0; k < t->n; k++)
		strtab_place(t, k);
	return (int32_t)(t->n - 1);
}

static void
strtab_release(struct strtab *t)
{
	uint32_t i;

	for (i = 0; i < t->n; i++)
		free(t->str[i]);
	free(t->str);
	free(t->len);
	free(t->hash);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

/* Values shared by loading and validating */

static void
num_of(const struct json_doc *d, uint32_t tok, struct num *v)
{
	v->isint = json_int(d, tok, &v->i) == 0;
	v->d = v->isint ? (double)v->i : json_num(d, tok);
	v->lit = d->src + d->tok[tok].off;
	v->litlen = d->tok[tok].len;
}

/* -1, 0 or 1 as a is less than, equal to or greater than b. */
static int
num_cmp(const struct num *a, const struct num *b)
{
	if (a->isint && b->isint)
		return (a->i > b->i) - (a->i < b->i);
	return (a->d > b->d) - (a->d < b->d);
}

/* JSON Schema's integer: any number with a zero fractional part. */
static int
is_integer(const struct json_doc *d, uint32_t tok)
{
	const struct json_tok *t = &d->tok[tok];
	const char *s = d->src + t->off;
	double v;

	if (memchr(s, '.', t->len) == NULL && memchr(s, 'e', t->len) == NULL &&
	    memchr(s, 'E', t->len) == NULL)
		return 1;
	v = json_num(d, tok);
	return isfinite(v) && v == floor(v);
}

/* The unescaped bytes of string token tok, in scratch when escaped. */
static const char *
str_bytes(const struct json_doc *d, uint32_t tok, struct buf *scratch,
    size_t *n)
{
	const struct json_tok *t = &d->tok[tok];

	if (!t->escaped) {
		*n = t->len;
		return d->src + t->off;
	}
	buf_reset(scratch);
	json_str_decode(d, tok, scratch);
	*n = scratch->len;
	return scratch->p != NULL ? scratch->p : "";
}

/* Code points in string token tok, counted on the raw text. */
static size_t
str_chars(const struct json_doc *d, uint32_t tok)
{
	const struct json_tok *t = &d->tok[tok];
	const unsigned char *s = (const unsigned char *)d->src + t->off;
	size_t i = 0, n = 0;

	while (i < t->len) {
		n++;
		if (s[i] != '\\' || !t->escaped) {
			for (i++; i < t->len && (s[i] & 0xc0) == 0x80; i++)
				continue;
		} else if (s[i + 1] != 'u') {
			i += 2;
		} else if ((s[i + 2] == 'd' || s[i + 2] == 'D') &&
		    strchr("89abAB", s[i + 3]) != NULL) {
			i += 12;	/* a surrogate pair is one code point */
		} else {
			i += 6;
		}
	}
	return n;
}

static int
str_equal(struct schema_set *set, const struct json_doc *a, uint32_t i,
    const struct json_doc *b, uint32_t j)
{
	const struct json_tok *x = &a->tok[i], *y = &b->tok[j];

	if (!x->escaped && !y->escaped)
		return x->len == y->len &&
		    memcmp(a->src + x->off, b->src + y->off, x->len) == 0;
	buf_reset(&set->eqa);
	buf_reset(&set->eqb);
	json_str_decode(a, i, &set->eqa);
	json_str_decode(b, j, &set->eqb);
	return set->eqa.len == set->eqb.len &&
	    (set->eqa.len == 0 ||
	    memcmp(set->eqa.p, set->eqb.p, set->eqa.len) == 0);
}

/* JSON equality as JSON Schema means it: numbers by value, object members
   in any order, strings after unescaping. */
static int
equal(struct schema_set *set, const struct json_doc *a, uint32_t i,
    const struct json_doc *b, uint32_t j)
{
	const struct json_tok *x = &a->tok[i], *y = &b->tok[j];
	struct num p, q;
	uint32_t k, l;
	int found;

	if (x->type != y->type)
		return 0;
	switch (x->type) {
	case JSON_NUMBER:
		if (x->len == y->len &&
		    memcmp(a->src + x->off, b->src + y->off, x->len) == 0)
			return 1;
		num_of(a, i, &p);
		num_of(b, j, &q);
		return num_cmp(&p, &q) == 0;
	case JSON_STRING:
		return str_equal(set, a, i, b, j);
	case JSON_ARRAY:
		if (x->size != y->size)
			return 0;
		for (k = i + 1, l = j + 1; k < x->end; k = a->tok[k].end,
		    l = b->tok[l].end)
			if (!equal(set, a, k, b, l))
				return 0;
		return 1;
	case JSON_OBJECT:
		if (x->size != y->size)
			return 0;
		for (k = i + 1; k < x->end; k = a->tok[k + 1].end) {
			found = 0;
			for (l = j + 1; l < y->end && !found;
			    l = b->tok[l + 1].end)
				if (str_equal(set, a, k, b, l)) {
					if (!equal(set, a, k + 1, b, l + 1))
						return 0;
					found = 1;
				}
			if (!found)
				return 0;
		}
		return 1;
	default:
		return 1;
	}
}

/* Appends token tok's JSON text without insignificant whitespace, cut
   (at a character boundary) after about max bytes. */
static void
add_compact(struct buf *b, const struct json_doc *d, uint32_t tok,
    size_t max)
{
	const char *s;
	size_t n, i, added = 0;
	int instr = 0, esc = 0;

	s = json_raw(d, tok, &n);
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (added >= max && ((unsigned char)c & 0xc0) != 0x80) {
			buf_adds(b, "...");
			return;
		}
		if (instr) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				instr = 0;
		} else if (c == '"')
			instr = 1;
		else if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		buf_addc(b, c);
		added++;
	}
}

/* Appends "/" and s as a JSON Pointer reference token. */
static void
add_ptr_seg(struct buf *b, const char *s, size_t n)
{
	size_t i;

	buf_addc(b, '/');
	for (i = 0; i < n; i++) {
		if (s[i] == '~')
			buf_adds(b, "~0");
		else if (s[i] == '/')
			buf_adds(b, "~1");
		else
			buf_addc(b, s[i]);
	}
}

/* Patterns */

/*
 * Patterns are compiled at load into a DFA over the bytes of UTF-8, so a
 * match is one table lookup per byte and allocates nothing.  Not glibc's
 * regcomp/regexec: they took 0.3 to 3.5 us a match (and malloc on each),
 * too slow for drift events with long patches, and libonig, which every
 * program links for libjq, exports a regcomp and regexec of its own that
 * interpose glibc's.
 *
 * The syntax is the part of ECMA-262 that Python's re (check.sh) reads
 * the same way: literals, ".", [...] and [^...] of ASCII characters and
 * ranges, groups, (?:...), "|", "*", "+", "?", {m}, {m,}, {m,n} (and
 * their lazy forms: the same strings match), "\" before punctuation, \n,
 * \r, \t, and "^" and "$" at the start and end of the pattern or of a
 * top-level alternative.  "." and [^...] match one character whatever its
 * length in UTF-8, "." not \n, \r, U+2028 or U+2029.  Anything else is
 * refused at load.
 */
#define RX_MAX_LEN	1024	/* bytes of pattern */
#define RX_MAX_REPEAT	1000
#define RX_MAX_NFA	20000
#define RX_MAX_DFA	4096
#define RX_SLOTS	(2 * RX_MAX_DFA)
#define RX_NONE		UINT32_MAX

enum rx_op { RX_SET, RX_CAT, RX_ALT, RX_STAR, RX_PLUS, RX_QUEST, RX_EMPTY };

/* The parsed pattern: a tree, or a DAG once {m,n} repeats a child. */
struct rx_node {
	enum rx_op	 op;
	uint32_t	 a;		/* SET: set index; else first child */
	uint32_t	 b;		/* CAT, ALT: second child */
};

enum rx_kind { RXS_SET, RXS_SPLIT, RXS_NOW, RXS_END };

/* A state of the Thompson NFA the DFA is built from. */
struct rx_state {
	enum rx_kind	 kind;
	uint32_t	 set;		/* SET: the bytes it takes */
	uint32_t	 out;		/* SET, SPLIT */
	uint32_t	 out2;		/* SPLIT */
};

/* A top-level alternative and its anchors. */
struct rx_top {
	uint32_t	 node;
	uint32_t	 start;		/* its NFA state */
	int		 bol;
	int		 eol;
};

struct rx {
	const unsigned char *p;
	size_t		 n;
	size_t		 i;
	const char	*why;
	struct rx_node	*node;
	uint32_t	 nnode;
	uint32_t	 capnode;
	uint64_t	(*set)[4];	/* byte sets, 256 bits each */
	uint32_t	 nset;
	uint32_t	 capset;
	struct rx_state	*st;
	uint32_t	 nst;
	uint32_t	 capst;
};

/* DFA state flags */
#define RX_NOW	1		/* matched, whatever follows */
#define RX_END	2		/* matched if the input ends here */

/*
 * The DFA.  A state is the offset of its row in next (state * nclass), so
 * a step is one load.  States that have matched, and the dead state, loop
 * on themselves: the loop over the bytes needs no test.
 */
struct pattern {
	char		*src;		/* as written, for messages */
	uint32_t	*next;		/* [state * nclass + class] */
	uint8_t		*flags;		/* by state */
	uint8_t		 cls[256];	/* byte -> class */
	uint32_t	 nclass;
	uint32_t	 nstate;
	uint32_t	 start;		/* offset */
};

static int
rx_fail(struct rx *r, const char *why)
{
	if (r->why == NULL)
		r->why = why;
	return -1;
}

static uint32_t
rx_node(struct rx *r, enum rx_op op, uint32_t a, uint32_t b)
{
	if (r->nnode >= RX_MAX_NFA) {
		rx_fail(r, "pattern too large");
		return RX_NONE;
	}
	if (r->nnode == r->capnode) {
		r->capnode = r->capnode ? 2 * r->capnode : 64;
		r->node = xreallocarray(r->node, r->capnode, sizeof(*r->node));
	}
	r->node[r->nnode].op = op;
	r->node[r->nnode].a = a;
	r->node[r->nnode].b = b;
	return r->nnode++;
}

static int
rx_member(const uint64_t *set, unsigned b)
{
	return (set[b >> 6] >> (b & 63)) & 1;
}

static void
rx_range(uint64_t *set, unsigned lo, unsigned hi)
{
	unsigned b;

	for (b = lo; b <= hi; b++)
		set[b >> 6] |= (uint64_t)1 << (b & 63);
}

static uint32_t
rx_set(struct rx *r, const uint64_t *set)
{
	if (r->nset == r->capset) {
		r->capset = r->capset ? 2 * r->capset : 16;
		r->set = xreallocarray(r->set, r->capset, sizeof(*r->set));
	}
	memcpy(r->set[r->nset], set, sizeof(r->set[0]));
	return rx_node(r, RX_SET, r->nset++, 0);
}

/* A SET node of the bytes lo..hi. */
static uint32_t
rx_bytes(struct rx *r, unsigned lo, unsigned hi)
{
	uint64_t set[4] = { 0, 0, 0, 0 };

	rx_range(set, lo, hi);
	return rx_set(r, set);
}

static uint32_t
rx_cat(struct rx *r, uint32_t a, uint32_t b)
{
	if (a == RX_NONE || b == RX_NONE)
		return RX_NONE;
	return rx_node(r, RX_CAT, a, b);
}

static uint32_t
rx_alt(struct rx *r, uint32_t a, uint32_t b)
{
	if (a == RX_NONE || b == RX_NONE)
		return RX_NONE;
	return rx_node(r, RX_ALT, a, b);
}

/* x followed by n continuation bytes. */
static uint32_t
rx_cont(struct rx *r, uint32_t x, int n)
{
	while (n-- > 0)
		x = rx_cat(r, x, rx_bytes(r, 0x80, 0xbf));
	return x;
}

/*
 * Any one character of two to four bytes; with dot, not U+2028 or U+2029
 * (E2 80 A8, E2 80 A9).  The input is valid UTF-8, so the lead byte says
 * how many continuation bytes follow.
 */
static uint32_t
rx_multibyte(struct rx *r, int dot)
{
	uint64_t lead[4] = { 0, 0, 0, 0 };
	uint32_t x;

	x = rx_alt(r, rx_cont(r, rx_bytes(r, 0xc2, 0xdf), 1),
	    rx_cont(r, rx_bytes(r, 0xf0, 0xf4), 3));
	if (!dot)
		return rx_alt(r, x, rx_cont(r, rx_bytes(r, 0xe0, 0xef), 2));
	rx_range(lead, 0xe0, 0xe1);
	rx_range(lead, 0xe3, 0xef);
	x = rx_alt(r, x, rx_cont(r, rx_set(r, lead), 2));
	x = rx_alt(r, x, rx_cont(r, rx_cat(r, rx_bytes(r, 0xe2, 0xe2),
	    rx_bytes(r, 0x81, 0xbf)), 1));
	memset(lead, 0, sizeof(lead));
	rx_range(lead, 0x80, 0xa7);
	rx_range(lead, 0xaa, 0xbf);
	return rx_alt(r, x, rx_cat(r, rx_cat(r, rx_bytes(r, 0xe2, 0xe2),
	    rx_bytes(r, 0x80, 0x80)), rx_set(r, lead)));
}

static uint32_t
rx_dot(struct rx *r)
{
	uint64_t ascii[4] = { 0, 0, 0, 0 };

	rx_range(ascii, 0, 0x7f);
	ascii[0] &= ~(((uint64_t)1 << '\n') | ((uint64_t)1 << '\r'));
	return rx_alt(r, rx_set(r, ascii), rx_multibyte(r, 1));
}

/* The escape at r->i: a literal byte in *c. */
static int
rx_escape(struct rx *r, unsigned *c)
{
	unsigned e;

	if (r->i + 1 >= r->n)
		return rx_fail(r, "trailing backslash");
	e = r->p[r->i + 1];
	r->i += 2;
	if (e == 'n' || e == 'r' || e == 't') {
		*c = e == 'n' ? '\n' : e == 'r' ? '\r' : '\t';
		return 0;
	}
	if (e != '\0' && strchr("^$\\.*+?()[]{}|/-", (int)e) != NULL) {
		*c = e;
		return 0;
	}
	return rx_fail(r, "unsupported escape (\\d, \\w and the like differ "
	    "between regex dialects; use a bracket expression)");
}

static int
rx_class_char(struct rx *r, unsigned *c)
{
	unsigned ch = r->p[r->i];

	if (ch == '\\')
		return rx_escape(r, c);
	if (ch == '[')
		return rx_fail(r, "'[' inside a bracket expression (escape "
		    "it)");
	if (ch == '\0' || ch >= 0x80)
		return rx_fail(r, "NUL or non-ASCII character inside a bracket "
		    "expression");
	*c = ch;
	r->i++;
	return 0;
}

/* The bracket expression at r->i. */
static int
rx_class(struct rx *r, uint32_t *out)
{
	uint64_t set[4] = { 0, 0, 0, 0 };
	unsigned lo, hi;
	int neg = 0;

	r->i++;
	if (r->i < r->n && r->p[r->i] == '^') {
		neg = 1;
		r->i++;
	}
	if (r->i < r->n && r->p[r->i] == ']')
		return rx_fail(r, "bracket expression empty or starting with "
		    "']'");
	while (r->i < r->n && r->p[r->i] != ']') {
		if (rx_class_char(r, &lo) < 0)
			return -1;
		hi = lo;
		if (r->i + 1 < r->n && r->p[r->i] == '-' &&
		    r->p[r->i + 1] != ']') {
			r->i++;
			if (rx_class_char(r, &hi) < 0)
				return -1;
			if (hi < lo)
				return rx_fail(r, "range out of order in a "
				    "bracket expression");
		}
		rx_range(set, lo, hi);
	}
	if (r->i >= r->n)
		return rx_fail(r, "unterminated bracket expression");
	r->i++;
	if (neg) {
		set[0] = ~set[0];
		set[1] = ~set[1];
		*out = rx_alt(r, rx_set(r, set), rx_multibyte(r, 0));
	} else
		*out = rx_set(r, set);
	return *out == RX_NONE ? -1 : 0;
}

static int rx_group(struct rx *, uint32_t *);

static int
rx_atom(struct rx *r, uint32_t *out)
{
	unsigned c = r->p[r->i];
	size_t j;

	switch (c) {
	case '(':
		r->i++;
		if (r->i < r->n && r->p[r->i] == '?') {
			if (r->i + 1 >= r->n || r->p[r->i + 1] != ':')
				return rx_fail(r, "lookaround or named group");
			r->i += 2;
		}
		if (rx_group(r, out) < 0)
			return -1;
		if (r->i >= r->n || r->p[r->i] != ')')
			return rx_fail(r, "unbalanced '('");
		r->i++;
		return 0;
	case '.':
		r->i++;
		*out = rx_dot(r);
		break;
	case '[':
		return rx_class(r, out);
	case '\\':
		if (rx_escape(r, &c) < 0)
			return -1;
		*out = rx_bytes(r, c, c);
		break;
	case '*':
	case '+':
	case '?':
		return rx_fail(r, "quantifier without anything to repeat");
	case '{':
		return rx_fail(r, "'{' outside a quantifier (escape it)");
	case '^':
	case '$':
		return rx_fail(r, "'^' or '$' elsewhere than at the start or "
		    "end of the pattern or of a top-level alternative");
	case '\0':
		return rx_fail(r, "NUL character");
	default:
		/* All the bytes of a character, so a quantifier repeats it
		   whole. */
		*out = rx_bytes(r, c, c);
		for (j = r->i + 1; c >= 0x80 && j < r->n &&
		    (r->p[j] & 0xc0) == 0x80; j++)
			*out = rx_cat(r, *out, rx_bytes(r, r->p[j], r->p[j]));
		r->i = j;
		break;
	}
	return *out == RX_NONE ? -1 : 0;
}

/* Digits at r->i, at most RX_MAX_REPEAT: 0, or -1 if there are none. */
static int
rx_count(struct rx *r, unsigned long *v)
{
	size_t start = r->i;

	for (*v = 0; r->i < r->n && r->p[r->i] >= '0' && r->p[r->i] <= '9';
	    r->i++)
		if ((*v = *v * 10 + (r->p[r->i] - '0')) > RX_MAX_REPEAT)
			return rx_fail(r, "repeat count over 1000");
	return r->i > start ? 0 : -1;
}

/* x{m,n}, n ULONG_MAX for no upper bound, spelled out for the NFA. */
static uint32_t
rx_repeat(struct rx *r, uint32_t x, unsigned long m, unsigned long n)
{
	uint32_t out = RX_NONE, y;
	unsigned long k;

	for (k = 0; k < m || (k < n && n != ULONG_MAX) || (k == m &&
	    n == ULONG_MAX); k++) {
		if (k < m)
			y = x;
		else if (n == ULONG_MAX)
			y = rx_node(r, RX_STAR, x, 0);
		else
			y = rx_node(r, RX_QUEST, x, 0);
		if (y == RX_NONE)
			return RX_NONE;
		out = out == RX_NONE ? y : rx_cat(r, out, y);
		if (out == RX_NONE || (k == m && n == ULONG_MAX))
			break;
	}
	return out == RX_NONE && r->why == NULL ?
	    rx_node(r, RX_EMPTY, 0, 0) : out;
}

/* An atom and its quantifier. */
static int
rx_piece(struct rx *r, uint32_t *out)
{
	unsigned long m, n;
	unsigned c;

	if (rx_atom(r, out) < 0)
		return -1;
	if (r->i >= r->n)
		return 0;
	c = r->p[r->i];
	if (c == '*' || c == '+' || c == '?') {
		*out = rx_node(r, c == '*' ? RX_STAR : c == '+' ? RX_PLUS :
		    RX_QUEST, *out, 0);
		r->i++;
	} else if (c == '{') {
		r->i++;
		if (rx_count(r, &m) < 0)
			return rx_fail(r, "'{' outside a quantifier (escape "
			    "it)");
		n = m;
		if (r->i < r->n && r->p[r->i] == ',') {
			r->i++;
			if (rx_count(r, &n) < 0) {
				if (r->why != NULL)
					return -1;
				n = ULONG_MAX;
			}
		}
		if (r->i >= r->n || r->p[r->i] != '}')
			return rx_fail(r, "'{' outside a quantifier (escape "
			    "it)");
		r->i++;
		if (n < m)
			return rx_fail(r, "{m,n} with m greater than n");
		*out = rx_repeat(r, *out, m, n);
	} else
		return 0;
	if (*out == RX_NONE)
		return -1;
	/* Lazy or greedy, the same strings match. */
	if (r->i < r->n && r->p[r->i] == '?')
		r->i++;
	if (r->i < r->n && r->p[r->i] != '\0' &&
	    strchr("*+?{", r->p[r->i]) != NULL)
		return rx_fail(r, "quantifier without anything to repeat");
	return 0;
}

/* Pieces up to "|", ")", the end, or at the top level "$". */
static int
rx_concat(struct rx *r, int top, uint32_t *out)
{
	uint32_t x = RX_NONE, piece;
	unsigned c;

	while (r->i < r->n) {
		c = r->p[r->i];
		if (c == '|' || c == ')' || (top && c == '$'))
			break;
		if (rx_piece(r, &piece) < 0)
			return -1;
		x = x == RX_NONE ? piece : rx_cat(r, x, piece);
		if (x == RX_NONE)
			return -1;
	}
	*out = x != RX_NONE ? x : rx_node(r, RX_EMPTY, 0, 0);
	return *out == RX_NONE ? -1 : 0;
}

/* The alternatives inside a group. */
static int
rx_group(struct rx *r, uint32_t *out)
{
	uint32_t b;

	if (rx_concat(r, 0, out) < 0)
		return -1;
	while (r->i < r->n && r->p[r->i] == '|') {
		r->i++;
		if (rx_concat(r, 0, &b) < 0 ||
		    (*out = rx_alt(r, *out, b)) == RX_NONE)
			return -1;
	}
	return 0;
}

static uint32_t
rx_state(struct rx *r, enum rx_kind kind, uint32_t set, uint32_t out,
    uint32_t out2)
{
	if (r->nst >= RX_MAX_NFA) {
		rx_fail(r, "pattern too large");
		return RX_NONE;
	}
	if (r->nst == r->capst) {
		r->capst = r->capst ? 2 * r->capst : 64;
		r->st = xreallocarray(r->st, r->capst, sizeof(*r->st));
	}
	r->st[r->nst].kind = kind;
	r->st[r->nst].set = set;
	r->st[r->nst].out = out;
	r->st[r->nst].out2 = out2;
	return r->nst++;
}

/* The NFA states for node, continuing to state next: the first one. */
static uint32_t
rx_nfa(struct rx *r, uint32_t node, uint32_t next)
{
	struct rx_node x = r->node[node];
	uint32_t a, b, s;

	if (next == RX_NONE)
		return RX_NONE;
	switch (x.op) {
	case RX_EMPTY:
		return next;
	case RX_SET:
		return rx_state(r, RXS_SET, x.a, next, 0);
	case RX_CAT:
		return rx_nfa(r, x.a, rx_nfa(r, x.b, next));
	case RX_ALT:
		a = rx_nfa(r, x.a, next);
		b = rx_nfa(r, x.b, next);
		if (a == RX_NONE || b == RX_NONE)
			return RX_NONE;
		return rx_state(r, RXS_SPLIT, 0, a, b);
	case RX_QUEST:
		if ((a = rx_nfa(r, x.a, next)) == RX_NONE)
			return RX_NONE;
		return rx_state(r, RXS_SPLIT, 0, a, next);
	default:
		if ((s = rx_state(r, RXS_SPLIT, 0, RX_NONE, next)) == RX_NONE ||
		    (a = rx_nfa(r, x.a, s)) == RX_NONE)
			return RX_NONE;
		r->st[s].out = a;
		return x.op == RX_STAR ? s : a;
	}
}

/* The DFA being built by subset construction. */
struct rx_build {
	struct rx	*r;
	struct pattern	*p;
	uint32_t	 words;		/* per NFA state set */
	uint64_t	*sets;		/* by DFA state */
	uint32_t	 cap;
	int32_t		*slot;
	uint64_t	*seen;
	uint32_t	*stack;
	uint32_t	 now;
	uint32_t	 end;
};

/* Adds state s and what it reaches without reading a byte to set.  Only
   states that read a byte or accept go in: the rest add no behaviour. */
static void
rx_close(struct rx_build *b, uint64_t *set, uint32_t s)
{
	const struct rx_state *st = b->r->st;
	uint32_t sp = 0;

	b->stack[sp++] = s;
	while (sp > 0) {
		s = b->stack[--sp];
		if ((b->seen[s >> 6] >> (s & 63)) & 1)
			continue;
		b->seen[s >> 6] |= (uint64_t)1 << (s & 63);
		if (st[s].kind == RXS_SPLIT) {
			b->stack[sp++] = st[s].out;
			b->stack[sp++] = st[s].out2;
		} else
			set[s >> 6] |= (uint64_t)1 << (s & 63);
	}
}

/* The DFA state for the NFA state set, added if new; -1 if too many. */
static int32_t
rx_intern(struct rx_build *b, const uint64_t *set)
{
	struct pattern *p = b->p;
	size_t sz = b->words * sizeof(*set);
	uint32_t i, k;
	int32_t found;

	for (i = strhash((const char *)set, sz) & (RX_SLOTS - 1);
	    (found = b->slot[i]) >= 0; i = (i + 1) & (RX_SLOTS - 1))
		if (memcmp(b->sets + (size_t)found * b->words, set, sz) == 0)
			return found;
	if (p->nstate >= RX_MAX_DFA)
		return -1;
	if (p->nstate == b->cap) {
		b->cap *= 2;
		b->sets = xreallocarray(b->sets, b->cap, sz);
		p->next = xreallocarray(p->next, b->cap,
		    p->nclass * sizeof(*p->next));
		p->flags = xreallocarray(p->flags, b->cap, sizeof(*p->flags));
	}
	k = p->nstate++;
	memcpy(b->sets + (size_t)k * b->words, set, sz);
	p->flags[k] = 0;
	if ((set[b->now >> 6] >> (b->now & 63)) & 1)
		p->flags[k] |= RX_NOW | RX_END;
	if ((set[b->end >> 6] >> (b->end & 63)) & 1)
		p->flags[k] |= RX_END;
	b->slot[i] = (int32_t)k;
	return (int32_t)k;
}

/* Bytes that every set of the pattern treats alike share a class. */
static void
rx_classes(const struct rx *r, struct pattern *p, unsigned *rep)
{
	uint16_t id[512];
	unsigned b, k, n;
	uint32_t s;

	memset(p->cls, 0, sizeof(p->cls));
	p->nclass = 1;
	for (s = 0; s < r->nset; s++) {
		memset(id, 0xff, sizeof(id));
		for (b = n = 0; b < 256; b++) {
			k = p->cls[b] * 2u + (unsigned)rx_member(r->set[s], b);
			if (id[k] == UINT16_MAX)
				id[k] = (uint16_t)n++;
			p->cls[b] = (uint8_t)id[k];
		}
		p->nclass = n;
	}
	for (b = 256; b-- > 0;)
		rep[p->cls[b]] = b;
}

static struct pattern *
rx_dfa(struct rx *r, const struct rx_top *alt, uint32_t nalt, uint32_t now,
    uint32_t end)
{
	struct rx_build b;
	struct pattern *p;
	uint64_t *set, *any, bits;
	unsigned rep[256];
	uint32_t k, c, w, s, d;
	int32_t to;

	memset(&b, 0, sizeof(b));
	p = xcalloc(1, sizeof(*p));
	rx_classes(r, p, rep);
	b.r = r;
	b.p = p;
	b.words = (r->nst + 63) / 64;
	b.cap = 16;
	b.sets = xcalloc(b.cap, b.words * sizeof(*b.sets));
	p->next = xcalloc(b.cap, p->nclass * sizeof(*p->next));
	p->flags = xcalloc(b.cap, sizeof(*p->flags));
	b.slot = xreallocarray(NULL, RX_SLOTS, sizeof(*b.slot));
	memset(b.slot, 0xff, RX_SLOTS * sizeof(*b.slot));
	b.seen = xcalloc(b.words, sizeof(*b.seen));
	b.stack = xcalloc(2 * (size_t)r->nst + 2, sizeof(*b.stack));
	b.now = now;
	b.end = end;
	set = xcalloc(b.words, sizeof(*set));
	any = xcalloc(b.words, sizeof(*any));

	/* State 0 is the empty set; then the start, where every
	   alternative may begin, and any, where unanchored ones may
	   begin again after each byte. */
	rx_intern(&b, set);
	for (k = 0; k < nalt; k++)
		rx_close(&b, set, alt[k].start);
	p->start = (uint32_t)rx_intern(&b, set) * p->nclass;
	memset(b.seen, 0, b.words * sizeof(*b.seen));
	for (k = 0; k < nalt; k++)
		if (!alt[k].bol)
			rx_close(&b, any, alt[k].start);

	for (d = 0; d < p->nstate; d++)
		for (c = 0; c < p->nclass; c++) {
			if (p->flags[d] & RX_NOW) {
				p->next[(size_t)d * p->nclass + c] =
				    d * p->nclass;
				continue;
			}
			memset(set, 0, b.words * sizeof(*set));
			memset(b.seen, 0, b.words * sizeof(*b.seen));
			for (w = 0; w < b.words; w++)
				for (bits = b.sets[(size_t)d * b.words + w];
				    bits != 0; bits &= bits - 1) {
					s = w * 64 +
					    (uint32_t)__builtin_ctzll(bits);
					if (r->st[s].kind == RXS_SET &&
					    rx_member(r->set[r->st[s].set],
					    rep[c]))
						rx_close(&b, set, r->st[s].out);
				}
			for (w = 0; w < b.words; w++)
				set[w] |= any[w];
			if ((to = rx_intern(&b, set)) < 0) {
				rx_fail(r, "pattern needs too many DFA states");
				goto fail;
			}
			p->next[(size_t)d * p->nclass + c] = (uint32_t)to *
			    p->nclass;
		}
	goto out;
fail:
	free(p->next);
	free(p->flags);
	free(p);
	p = NULL;
out:
	free(b.sets);
	free(b.slot);
	free(b.seen);
	free(b.stack);
	free(set);
	free(any);
	return p;
}

/* Compiles pattern src[0..n), or returns NULL with *why saying why not. */
static struct pattern *
rx_compile(const char *src, size_t n, const char **why)
{
	struct pattern *p = NULL;
	struct rx_top *alt = NULL;
	uint32_t nalt = 0, now, end, k;
	struct rx r;

	memset(&r, 0, sizeof(r));
	r.p = (const unsigned char *)src;
	r.n = n;
	if (n > RX_MAX_LEN) {
		rx_fail(&r, "pattern longer than 1024 bytes");
		goto out;
	}
	for (;;) {
		alt = xreallocarray(alt, nalt + 1, sizeof(*alt));
		alt[nalt].bol = r.i < n && src[r.i] == '^';
		r.i += (size_t)alt[nalt].bol;
		if (rx_concat(&r, 1, &alt[nalt].node) < 0)
			goto out;
		alt[nalt].eol = r.i < n && src[r.i] == '$';
		r.i += (size_t)alt[nalt++].eol;
		if (r.i >= n)
			break;
		if (src[r.i] != '|') {
			rx_fail(&r, src[r.i] == ')' ? "unbalanced ')'" :
			    "'^' or '$' elsewhere than at the start or end "
			    "of the pattern or of a top-level alternative");
			goto out;
		}
		r.i++;
	}
	now = rx_state(&r, RXS_NOW, 0, 0, 0);
	end = rx_state(&r, RXS_END, 0, 0, 0);
	for (k = 0; k < nalt; k++)
		if ((alt[k].start = rx_nfa(&r, alt[k].node,
		    alt[k].eol ? end : now)) == RX_NONE)
			goto out;
	if ((p = rx_dfa(&r, alt, nalt, now, end)) != NULL)
		p->src = xstrndup(src, n);
out:
	*why = r.why;
	free(r.node);
	free(r.set);
	free(r.st);
	free(alt);
	return p;
}

static void
pattern_free(struct pattern *p)
{
	if (p == NULL)
		return;
	free(p->next);
	free(p->flags);
	free(p->src);
	free(p);
}

static int
pattern_match(const struct pattern *p, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t off = p->start;
	size_t i;

	for (i = 0; i < n; i++)
		off = p->next[off + p->cls[u[i]]];
	return (p->flags[off / p->nclass] & (RX_NOW | RX_END)) != 0;
}

/* Loading */

static int lfail(struct loader *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
lfail(struct loader *L, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return tend_err_set(L->err, TEND_EXIT_INPUT, "%s: %s: %s", L->s->name,
	    L->where.len > 0 ? L->where.p : "/", msg);
}

static size_t
wpush(struct loader *L, const char *s, size_t n)
{
	size_t old = L->where.len;

	add_ptr_seg(&L->where, s, n);
	return old;
}

static size_t
wpushs(struct loader *L, const char *s)
{
	return wpush(L, s, strlen(s));
}

static size_t
wpushi(struct loader *L, uint32_t i)
{
	size_t old = L->where.len;

	buf_addf(&L->where, "/%u", i);
	return old;
}

static void
wpop(struct loader *L, size_t old)
{
	L->where.len = old;
	if (L->where.p != NULL)
		L->where.p[old] = '\0';
}

/* Key token k of the schema, unescaped, quoted as JSON for messages. */
static const char *
quoted(struct loader *L, uint32_t k)
{
	struct buf raw = BUF_INIT;

	json_str_decode(&L->s->doc, k, &raw);
	buf_reset(&L->tmp);
	buf_add_json_str(&L->tmp, raw.p != NULL ? raw.p : "", raw.len);
	buf_release(&raw);
	return L->tmp.p;
}

static struct node *
new_node(struct loader *L)
{
	struct schema_set *set = L->set;
	struct node *n;

	if (set->nnode == set->capnode) {
		set->capnode = set->capnode ? 2 * set->capnode : 64;
		set->node = xreallocarray(set->node, set->capnode,
		    sizeof(*set->node));
	}
	n = xcalloc(1, sizeof(*n));
	n->docname = L->s->name;
	n->where = xstrdup(L->where.len > 0 ? L->where.p : "/");
	set->node[set->nnode++] = n;
	return n;
}

static void
add_op(struct node *n, const struct op *o)
{
	if (n->nop == n->cap) {
		n->cap = n->cap ? 2 * n->cap : 4;
		n->op = xreallocarray(n->op, n->cap, sizeof(*n->op));
	}
	n->op[n->nop++] = *o;
}

static struct pattern *
compile_pattern(struct loader *L, uint32_t tok)
{
	struct buf src = BUF_INIT;
	struct pattern *p = NULL;
	const char *why = NULL;

	if (L->s->doc.tok[tok].type != JSON_STRING) {
		lfail(L, "a pattern must be a string");
		return NULL;
	}
	json_str_decode(&L->s->doc, tok, &src);
	if ((p = rx_compile(src.p != NULL ? src.p : "", src.len, &why)) == NULL)
		lfail(L, "pattern %s: %s", quoted(L, tok), why);
	buf_release(&src);
	return p;
}

static struct node *compile(struct loader *, uint32_t, int);

enum kw {
	KW_SCHEMA, KW_ID, KW_DEFS, KW_REF, KW_TYPE, KW_CONST, KW_ENUM,
	KW_PROPERTIES, KW_PATTERNPROPERTIES, KW_ADDITIONALPROPERTIES,
	KW_REQUIRED, KW_PROPERTYNAMES, KW_MINPROPERTIES, KW_MAXPROPERTIES,
	KW_PREFIXITEMS, KW_ITEMS, KW_MINITEMS, KW_MAXITEMS, KW_UNIQUEITEMS,
	KW_MINLENGTH, KW_MAXLENGTH, KW_PATTERN, KW_FORMAT, KW_MINIMUM,
	KW_MAXIMUM, KW_EXCLUSIVEMINIMUM, KW_EXCLUSIVEMAXIMUM, KW_MULTIPLEOF,
	KW_ALLOF, KW_ANYOF, KW_ONEOF, KW_NOT, KW_IF, KW_THEN, KW_ELSE,
	KW_N,
	KW_ANNOTATION = KW_N,
};

static const struct {
	const char	*name;
	enum kw		 kw;
} keywords[] = {
	{ "$schema", KW_SCHEMA },
	{ "$id", KW_ID },
	{ "$defs", KW_DEFS },
	{ "$ref", KW_REF },
	{ "type", KW_TYPE },
	{ "const", KW_CONST },
	{ "enum", KW_ENUM },
	{ "properties", KW_PROPERTIES },
	{ "patternProperties", KW_PATTERNPROPERTIES },
	{ "additionalProperties", KW_ADDITIONALPROPERTIES },
	{ "required", KW_REQUIRED },
	{ "propertyNames", KW_PROPERTYNAMES },
	{ "minProperties", KW_MINPROPERTIES },
	{ "maxProperties", KW_MAXPROPERTIES },
	{ "prefixItems", KW_PREFIXITEMS },
	{ "items", KW_ITEMS },
	{ "minItems", KW_MINITEMS },
	{ "maxItems", KW_MAXITEMS },
	{ "uniqueItems", KW_UNIQUEITEMS },
	{ "minLength", KW_MINLENGTH },
	{ "maxLength", KW_MAXLENGTH },
	{ "pattern", KW_PATTERN },
	{ "format", KW_FORMAT },
	{ "minimum", KW_MINIMUM },
	{ "maximum", KW_MAXIMUM },
	{ "exclusiveMinimum", KW_EXCLUSIVEMINIMUM },
	{ "exclusiveMaximum", KW_EXCLUSIVEMAXIMUM },
	{ "multipleOf", KW_MULTIPLEOF },
	{ "allOf", KW_ALLOF },
	{ "anyOf", KW_ANYOF },
	{ "oneOf", KW_ONEOF },
	{ "not", KW_NOT },
	{ "if", KW_IF },
	{ "then", KW_THEN },
	{ "else", KW_ELSE },
	{ "$comment", KW_ANNOTATION },
	{ "title", KW_ANNOTATION },
	{ "description", KW_ANNOTATION },
	{ "examples", KW_ANNOTATION },
	{ "default", KW_ANNOTATION },
	{ "deprecated", KW_ANNOTATION },
	{ "readOnly", KW_ANNOTATION },
	{ "writeOnly", KW_ANNOTATION },
};

static const char *
kw_name(enum kw k)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keywords); i++)
		if (keywords[i].kw == k)
			return keywords[i].name;
	return "?";
}

/* Compiles the schema at tok as the child where[..]/seg. */
static struct node *
compile_at(struct loader *L, const char *seg, uint32_t tok)
{
	size_t old = wpushs(L, seg);
	struct node *n = compile(L, tok, 0);

	wpop(L, old);
	return n;
}

/* The array of schemas at tok (allOf, anyOf, oneOf, prefixItems). */
static int
compile_list(struct loader *L, enum kw k, uint32_t tok, struct node ***v,
    uint32_t *nv)
{
	const struct json_doc *d = &L->s->doc;
	uint32_t e, i = 0;
	size_t old;

	if (d->tok[tok].type != JSON_ARRAY || d->tok[tok].size == 0)
		return lfail(L, "'%s' must be a non-empty array of schemas",
		    kw_name(k));
	*v = xcalloc(d->tok[tok].size, sizeof(**v));
	*nv = d->tok[tok].size;
	old = wpushs(L, kw_name(k));
	for (e = tok + 1; e < d->tok[tok].end; e = d->tok[e].end, i++) {
		size_t o2 = wpushi(L, i);

		(*v)[i] = compile(L, e, 0);
		wpop(L, o2);
		if ((*v)[i] == NULL)
			return -1;
	}
	wpop(L, old);
	return 0;
}

static int
get_count(struct loader *L, enum kw k, uint32_t tok, uint64_t *out)
{
	int64_t v;

	if (L->s->doc.tok[tok].type != JSON_NUMBER ||
	    json_int(&L->s->doc, tok, &v) < 0 || v < 0)
		return lfail(L, "'%s' must be a non-negative integer",
		    kw_name(k));
	*out = (uint64_t)v;
	return 0;
}

static int
c_type(struct loader *L, struct node *n, uint32_t tok)
{
	const struct json_doc *d = &L->s->doc;
	struct op o = { .kind = OP_TYPE };
	uint32_t e, i, bit;

	/* One name, or an array of them: walk the string or the elements. */
	e = d->tok[tok].type == JSON_ARRAY ? tok + 1 : tok;
	if (e == d->tok[tok].end)
		return lfail(L, "must not be an empty array");
	for (; e < d->tok[tok].end; e = d->tok[e].end) {
		bit = 0;
		for (i = 0; i < ARRAY_SIZE(type_names); i++)
			if (json_str_eq(d, e, type_names[i]))
				bit = 1u << i;
		if (bit == 0)
			return lfail(L, "must be a type name or an array of "
			    "them");
		if (o.u.types & bit)
			return lfail(L, "lists a type twice");
		o.u.types |= bit;
	}
	add_op(n, &o);
	return 0;
}

static int
c_enum(struct loader *L, struct node *n, uint32_t tok)
{
	const struct json_doc *d = &L->s->doc;
	struct op o = { .kind = OP_ENUM };
	struct enumop *en;
	uint32_t e;

	if (d->tok[tok].type != JSON_ARRAY || d->tok[tok].size == 0)
		return lfail(L, "'enum' must be a non-empty array");
	en = o.u.en = xcalloc(1, sizeof(*en));
	en->doc = d;
	en->tok = tok;
	for (e = tok + 1; e < d->tok[tok].end; e = d->tok[e].end) {
		if (d->tok[e].type != JSON_STRING) {
			en->nother++;
			continue;
		}
		buf_reset(&L->tmp);
		json_str_decode(d, e, &L->tmp);
		strtab_add(&en->strs, L->tmp.p != NULL ? L->tmp.p : "",
		    L->tmp.len);
	}
	add_op(n, &o);
	return 0;
}

/* Index of name s in the object op, with room in the per-name arrays. */
static uint32_t
obj_name(struct objop *o, const char *s, size_t len)
{
	uint32_t k = (uint32_t)strtab_add(&o->names, s, len);

	if (k >= o->ncap) {
		uint32_t cap = o->ncap ? 2 * o->ncap : 8, i;

		o->prop = xreallocarray(o->prop, cap, sizeof(*o->prop));
		o->reqbit = xreallocarray(o->reqbit, cap, sizeof(*o->reqbit));
		o->nameok = xreallocarray(o->nameok, cap, sizeof(*o->nameok));
		for (i = o->ncap; i < cap; i++) {
			o->prop[i] = NULL;
			o->reqbit[i] = -1;
			o->nameok[i] = 0;
		}
		o->ncap = cap;
	}
	return k;
}

static int
c_properties(struct loader *L, struct objop *o, uint32_t tok)
{
	const struct json_doc *d = &L->s->doc;
	struct buf name = BUF_INIT;
	uint32_t k, i;
	size_t old;
	int rc = 0;

	if (d->tok[tok].type != JSON_OBJECT)
		return lfail(L, "'properties' must be an object");
	old = wpushs(L, "properties");
	for (k = tok + 1; k < d->tok[tok].end && rc == 0;
	    k = d->tok[k + 1].end) {
		size_t o2;

		buf_reset(&name);
		json_str_decode(d, k, &name);
		i = obj_name(o, name.p != NULL ? name.p : "", name.len);
		o2 = wpush(L, name.p != NULL ? name.p : "", name.len);
		if (o->prop[i] != NULL)
			rc = lfail(L, "property listed twice");
		else if ((o->prop[i] = compile(L, k + 1, 0)) == NULL)
			rc = -1;
		wpop(L, o2);
	}
	wpop(L, old);
	buf_release(&name);
	return rc;
}

static int
c_required(struct loader *L, struct objop *o, uint32_t tok)
{
	const struct json_doc *d = &L->s->doc;
	uint32_t e, i;

	if (d->tok[tok].type != JSON_ARRAY)
		return lfail(L, "must be an array of strings");
	if (d->tok[tok].size > MAX_BITS)
		return lfail(L, "lists more than %d names", MAX_BITS);
	o->req = xcalloc(d->tok[tok].size, sizeof(*o->req));
	for (e = tok + 1; e < d->tok[tok].end; e = d->tok[e].end) {
		if (d->tok[e].type != JSON_STRING)
			return lfail(L, "must be an array of strings");
		buf_reset(&L->tmp);
		json_str_decode(d, e, &L->tmp);
		i = obj_name(o, L->tmp.p != NULL ? L->tmp.p : "", L->tmp.len);
		if (o->reqbit[i] >= 0)
			return lfail(L, "lists %s twice", quoted(L, e));
		o->reqbit[i] = (int8_t)o->nreq;
		o->reqmask |= (uint64_t)1 << o->nreq;
		o->req[o->nreq++] = i;
	}
	return 0;
}

static int
c_pattern_properties(struct loader *L, struct objop *o, uint32_t tok)
{
	const struct json_doc *d = &L->s->doc;
	struct buf name = BUF_INIT;
	uint32_t k, i = 0;
	size_t old;
	int rc = 0;

	if (d->tok[tok].type != JSON_OBJECT)
		return lfail(L, "'patternProperties' must be an object");
	if (d->tok[tok].size > MAX_BITS)
		return lfail(L, "more than %d patternProperties", MAX_BITS);
	o->pat = xcalloc(d->tok[tok].size, sizeof(*o->pat));
	o->patnode = xcalloc(d->tok[tok].size, sizeof(*o->patnode));
	old = wpushs(L, "patternProperties");
	for (k = tok + 1; k < d->tok[tok].end && rc == 0;
	    k = d->tok[k + 1].end, i++) {
		size_t o2;

		buf_reset(&name);
		json_str_decode(d, k, &name);
		o2 = wpush(L, name.p != NULL ? name.p : "", name.len);
		if ((o->pat[i] = compile_pattern(L, k)) == NULL ||
		    (o->patnode[i] = compile(L, k + 1, 0)) == NULL)
			rc = -1;
		wpop(L, o2);
		o->npat = i + 1;
	}
	wpop(L, old);
	buf_release(&name);
	return rc;
}

static int
c_object(struct loader *L, struct node *n, const int64_t *kw)
{
	const struct json_doc *d = &L->s->doc;
	struct op o = { .kind = OP_OBJECT };
	struct objop *ob;
	int64_t t;

	ob = o.u.obj = xcalloc(1, sizeof(*ob));
	add_op(n, &o);		/* now owned by n, even if we fail */
	if (kw[KW_PROPERTIES] >= 0 &&
	    c_properties(L, ob, (uint32_t)kw[KW_PROPERTIES]) < 0)
		return -1;
	if ((t = kw[KW_REQUIRED]) >= 0) {
		size_t old = wpushs(L, "required");
		int rc = c_required(L, ob, (uint32_t)t);

		wpop(L, old);
		if (rc < 0)
			return -1;
	}
	if (kw[KW_PATTERNPROPERTIES] >= 0 &&
	    c_pattern_properties(L, ob, (uint32_t)kw[KW_PATTERNPROPERTIES]) < 0)
		return -1;
	if ((t = kw[KW_ADDITIONALPROPERTIES]) >= 0) {
		ob->addfalse = d->tok[t].type == JSON_FALSE;
		if ((ob->additional = compile_at(L, "additionalProperties",
		    (uint32_t)t)) == NULL)
			return -1;
	}
	if ((t = kw[KW_PROPERTYNAMES]) >= 0 &&
	    (ob->propnames = compile_at(L, "propertyNames",
	    (uint32_t)t)) == NULL)
		return -1;
	return 0;
}

static int
c_array(struct loader *L, struct node *n, const int64_t *kw)
{
	const struct json_doc *d = &L->s->doc;
	struct op o = { .kind = OP_ARRAY };
	struct arrop *a;
	int64_t t;

	a = o.u.arr = xcalloc(1, sizeof(*a));
	add_op(n, &o);
	if ((t = kw[KW_PREFIXITEMS]) >= 0 && compile_list(L, KW_PREFIXITEMS,
	    (uint32_t)t, &a->prefix, &a->nprefix) < 0)
		return -1;
	if ((t = kw[KW_ITEMS]) >= 0) {
		a->itemsfalse = d->tok[t].type == JSON_FALSE;
		if ((a->items = compile_at(L, "items", (uint32_t)t)) == NULL)
			return -1;
	}
	return 0;
}

static int
c_count(struct loader *L, struct node *n, enum kw k, enum opkind kind,
    uint32_t tok)
{
	struct op o = { .kind = kind };

	if (get_count(L, k, tok, &o.u.count) < 0)
		return -1;
	add_op(n, &o);
	return 0;
}

static int
c_number(struct loader *L, struct node *n, enum kw k, enum opkind kind,
    uint32_t tok)
{
	struct op o = { .kind = kind };

	if (L->s->doc.tok[tok].type != JSON_NUMBER)
		return lfail(L, "'%s' must be a number", kw_name(k));
	num_of(&L->s->doc, tok, &o.u.num);
	if (kind == OP_MULTIPLEOF && o.u.num.d <= 0)
		return lfail(L, "'multipleOf' must be greater than 0");
	add_op(n, &o);
	return 0;
}

static int
c_ref(struct loader *L, struct node *n, uint32_t tok)
{
	struct schema_set *set = L->set;
	struct op o = { .kind = OP_REF };
	struct refop *r;
	struct buf b = BUF_INIT;

	if (L->s->doc.tok[tok].type != JSON_STRING)
		return lfail(L, "must be a string");
	json_str_decode(&L->s->doc, tok, &b);
	r = o.u.ref = xcalloc(1, sizeof(*r));
	r->ref = xstrdup(b.p != NULL ? b.p : "");
	r->where = xstrdup(L->where.p);
	r->in = L->s;
	buf_release(&b);
	if (set->nref == set->capref) {
		set->capref = set->capref ? 2 * set->capref : 32;
		set->ref = xreallocarray(set->ref, set->capref,
		    sizeof(*set->ref));
	}
	set->ref[set->nref++] = r;
	add_op(n, &o);
	return 0;
}

static int
c_sub(struct loader *L, struct node *n, enum kw k, enum opkind kind,
    uint32_t tok)
{
	struct op o = { .kind = kind };

	if ((o.u.sub = compile_at(L, kw_name(k), tok)) == NULL)
		return -1;
	add_op(n, &o);
	return 0;
}

static int
c_list(struct loader *L, struct node *n, enum kw k, enum opkind kind,
    uint32_t tok)
{
	struct op o = { .kind = kind };
	int rc;

	rc = compile_list(L, k, tok, &o.u.list.v, &o.u.list.n);
	if (o.u.list.v != NULL)
		add_op(n, &o);		/* so that it is freed */
	return rc;
}

static int
c_if(struct loader *L, struct node *n, const int64_t *kw)
{
	struct op o = { .kind = OP_IF };

	if (kw[KW_IF] < 0)
		return lfail(L, "'%s' without 'if'", kw[KW_THEN] >= 0 ? "then" :
		    "else");
	if ((o.u.cond.cond = compile_at(L, "if", (uint32_t)kw[KW_IF])) == NULL)
		return -1;
	if (kw[KW_THEN] >= 0 && (o.u.cond.then = compile_at(L, "then",
	    (uint32_t)kw[KW_THEN])) == NULL)
		return -1;
	if (kw[KW_ELSE] >= 0 && (o.u.cond.otherwise = compile_at(L, "else",
	    (uint32_t)kw[KW_ELSE])) == NULL)
		return -1;
	add_op(n, &o);
	return 0;
}

static int
c_defs(struct loader *L, uint32_t tok)
{
	const struct json_doc *d = &L->s->doc;
	struct schema *s = L->s;
	struct buf name = BUF_INIT;
	uint32_t k, i;
	size_t old;
	int rc = 0;

	if (d->tok[tok].type != JSON_OBJECT)
		return lfail(L, "'$defs' must be an object");
	s->defs = xcalloc(d->tok[tok].size, sizeof(*s->defs));
	old = wpushs(L, "$defs");
	for (k = tok + 1; k < d->tok[tok].end && rc == 0;
	    k = d->tok[k + 1].end) {
		size_t o2;

		buf_reset(&name);
		json_str_decode(d, k, &name);
		i = (uint32_t)strtab_add(&s->defnames,
		    name.p != NULL ? name.p : "", name.len);
		o2 = wpush(L, name.p != NULL ? name.p : "", name.len);
		if (s->defs[i] != NULL)
			rc = lfail(L, "defined twice");
		else if ((s->defs[i] = compile(L, k + 1, 0)) == NULL)
			rc = -1;
		wpop(L, o2);
	}
	wpop(L, old);
	buf_release(&name);
	return rc;
}

/* Checks $schema and $id, which only the root may have. */
static int
c_root(struct loader *L, const int64_t *kw)
{
	const struct json_doc *d = &L->s->doc;
	size_t old;
	int rc = 0;

	if (kw[KW_SCHEMA] >= 0 && !json_str_eq(d, (uint32_t)kw[KW_SCHEMA],
	    DRAFT_2020_12)) {
		old = wpushs(L, "$schema");
		rc = lfail(L, "only draft 2020-12 (\"%s\") is supported",
		    DRAFT_2020_12);
		wpop(L, old);
	} else if (kw[KW_ID] >= 0 && !json_str_eq(d, (uint32_t)kw[KW_ID],
	    L->s->name)) {
		old = wpushs(L, "$id");
		rc = lfail(L, "must be the file name, \"%s\"", L->s->name);
		wpop(L, old);
	}
	return rc;
}

static int
find_keyword(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keywords); i++)
		if (strlen(keywords[i].name) == n &&
		    memcmp(keywords[i].name, s, n) == 0)
			return (int)keywords[i].kw;
	return -1;
}

/* Collects the keywords of the schema object at tok into kw[]. */
static int
collect(struct loader *L, uint32_t tok, int64_t *kw)
{
	const struct json_doc *d = &L->s->doc;
	uint32_t k;
	int id;

	for (id = 0; id < KW_N; id++)
		kw[id] = -1;
	for (k = tok + 1; k < d->tok[tok].end; k = d->tok[k + 1].end) {
		buf_reset(&L->tmp);
		json_str_decode(d, k, &L->tmp);
		id = find_keyword(L->tmp.p != NULL ? L->tmp.p : "", L->tmp.len);
		if (id < 0)
			return lfail(L, "unknown keyword %s", quoted(L, k));
		if (id == KW_ANNOTATION)
			continue;
		if (kw[id] >= 0)
			return lfail(L, "keyword %s given twice",
			    quoted(L, k));
		kw[id] = k + 1;
	}
	return 0;
}

/* Adds the ops for kw[] to n, in the order validation runs them. */
static int
build(struct loader *L, struct node *n, const int64_t *kw)
{
	static const struct {
		enum kw		 kw;
		enum opkind	 kind;
	} counts[] = {
		{ KW_MINPROPERTIES, OP_MINPROPS },
		{ KW_MAXPROPERTIES, OP_MAXPROPS },
		{ KW_MINITEMS, OP_MINITEMS },
		{ KW_MAXITEMS, OP_MAXITEMS },
		{ KW_MINLENGTH, OP_MINLEN },
		{ KW_MAXLENGTH, OP_MAXLEN },
	}, numbers[] = {
		{ KW_MINIMUM, OP_MINIMUM },
		{ KW_MAXIMUM, OP_MAXIMUM },
		{ KW_EXCLUSIVEMINIMUM, OP_XMINIMUM },
		{ KW_EXCLUSIVEMAXIMUM, OP_XMAXIMUM },
		{ KW_MULTIPLEOF, OP_MULTIPLEOF },
	}, lists[] = {
		{ KW_ALLOF, OP_ALLOF },
		{ KW_ANYOF, OP_ANYOF },
		{ KW_ONEOF, OP_ONEOF },
	};
	const struct json_doc *d = &L->s->doc;
	struct op o;
	size_t i, old;
	int64_t t;
	int rc = 0;

#define AT(k)	(old = wpushs(L, kw_name(k)), (uint32_t)kw[k])
#define DONE()	wpop(L, old)
	if (kw[KW_TYPE] >= 0) {
		rc = c_type(L, n, AT(KW_TYPE));
		DONE();
		if (rc < 0)
			return -1;
	}
	if (kw[KW_REF] >= 0) {
		rc = c_ref(L, n, AT(KW_REF));
		DONE();
		if (rc < 0)
			return -1;
	}
	if (kw[KW_CONST] >= 0) {
		o = (struct op){ .kind = OP_CONST };
		o.u.val.doc = d;
		o.u.val.tok = (uint32_t)kw[KW_CONST];
		add_op(n, &o);
	}
	if (kw[KW_ENUM] >= 0) {
		rc = c_enum(L, n, AT(KW_ENUM));
		DONE();
		if (rc < 0)
			return -1;
	}
	if ((kw[KW_PROPERTIES] >= 0 || kw[KW_PATTERNPROPERTIES] >= 0 ||
	    kw[KW_ADDITIONALPROPERTIES] >= 0 || kw[KW_REQUIRED] >= 0 ||
	    kw[KW_PROPERTYNAMES] >= 0) && c_object(L, n, kw) < 0)
		return -1;
	if ((kw[KW_PREFIXITEMS] >= 0 || kw[KW_ITEMS] >= 0) &&
	    c_array(L, n, kw) < 0)
		return -1;
	for (i = 0; i < ARRAY_SIZE(counts); i++) {
		if (kw[counts[i].kw] < 0)
			continue;
		rc = c_count(L, n, counts[i].kw, counts[i].kind,
		    AT(counts[i].kw));
		DONE();
		if (rc < 0)
			return -1;
	}
	if ((t = kw[KW_UNIQUEITEMS]) >= 0) {
		old = wpushs(L, "uniqueItems");
		if (d->tok[t].type != JSON_TRUE && d->tok[t].type != JSON_FALSE)
			rc = lfail(L, "must be a boolean");
		DONE();
		if (rc < 0)
			return -1;
		o = (struct op){ .kind = OP_UNIQUE };
		if (d->tok[t].type == JSON_TRUE)
			add_op(n, &o);
	}
	if (kw[KW_PATTERN] >= 0) {
		o = (struct op){ .kind = OP_PATTERN };
		o.u.pat = compile_pattern(L, AT(KW_PATTERN));
		DONE();
		if (o.u.pat == NULL)
			return -1;
		add_op(n, &o);
	}
	if ((t = kw[KW_FORMAT]) >= 0) {
		old = wpushs(L, "format");
		if (!json_str_eq(d, (uint32_t)t, "date-time"))
			rc = lfail(L, "unsupported format %s (only "
			    "\"date-time\")", d->tok[t].type == JSON_STRING ?
			    quoted(L, (uint32_t)t) : "(not a string)");
		DONE();
		if (rc < 0)
			return -1;
		o = (struct op){ .kind = OP_DATETIME };
		add_op(n, &o);
	}
	for (i = 0; i < ARRAY_SIZE(numbers); i++) {
		if (kw[numbers[i].kw] < 0)
			continue;
		rc = c_number(L, n, numbers[i].kw, numbers[i].kind,
		    AT(numbers[i].kw));
		DONE();
		if (rc < 0)
			return -1;
	}
	for (i = 0; i < ARRAY_SIZE(lists); i++)
		if (kw[lists[i].kw] >= 0 && c_list(L, n, lists[i].kw,
		    lists[i].kind, (uint32_t)kw[lists[i].kw]) < 0)
			return -1;
	if (kw[KW_NOT] >= 0 && c_sub(L, n, KW_NOT, OP_NOT,
	    (uint32_t)kw[KW_NOT]) < 0)
		return -1;
	if ((kw[KW_IF] >= 0 || kw[KW_THEN] >= 0 || kw[KW_ELSE] >= 0) &&
	    c_if(L, n, kw) < 0)
		return -1;
#undef AT
#undef DONE
	return 0;
}

static struct node *
compile(struct loader *L, uint32_t tok, int root)
{
	const struct json_doc *d = &L->s->doc;
	int64_t kw[KW_N];
	struct node *n;
	struct op o;
	int id;

	n = new_node(L);
	if (d->tok[tok].type == JSON_TRUE)
		return n;
	if (d->tok[tok].type == JSON_FALSE) {
		o = (struct op){ .kind = OP_FALSE };
		add_op(n, &o);
		return n;
	}
	if (d->tok[tok].type != JSON_OBJECT) {
		lfail(L, "a schema must be an object or a boolean");
		return NULL;
	}
	if (collect(L, tok, kw) < 0)
		return NULL;
	if (!root) {
		for (id = KW_SCHEMA; id <= KW_DEFS; id++)
			if (kw[id] >= 0) {
				lfail(L, "'%s' is only supported at the root",
				    kw_name(id));
				return NULL;
			}
	} else if (c_root(L, kw) < 0 ||
	    (kw[KW_DEFS] >= 0 && c_defs(L, (uint32_t)kw[KW_DEFS]) < 0))
		return NULL;
	if (build(L, n, kw) < 0)
		return NULL;
	return n;
}

static int
resolve(struct schema_set *set, struct refop *r, struct tend_err *err)
{
	const char *hash = strchr(r->ref, '#'), *frag, *name;
	size_t flen;
	struct schema *s = r->in;
	int32_t i;

	flen = hash != NULL ? (size_t)(hash - r->ref) : strlen(r->ref);
	frag = hash != NULL ? hash + 1 : "";
	if (flen > 0) {
		if ((i = strtab_find(&set->docnames, r->ref, flen)) < 0)
			return tend_err_set(err, TEND_EXIT_INPUT, "%s: %s: "
			    "'%s': no schema '%.*s' is loaded (only local "
			    "file names are supported)", r->in->name,
			    r->where, r->ref, (int)flen, r->ref);
		s = set->schemas[i];
	}
	if (*frag == '\0') {
		r->to = s->root;
		return 0;
	}
	name = frag + strlen("/$defs/");
	if (strncmp(frag, "/$defs/", strlen("/$defs/")) != 0 ||
	    strpbrk(name, "/~%") != NULL)
		return tend_err_set(err, TEND_EXIT_INPUT, "%s: %s: '%s': only "
		    "FILE#/$defs/NAME and #/$defs/NAME are supported",
		    r->in->name, r->where, r->ref);
	if ((i = strtab_find(&s->defnames, name, strlen(name))) < 0)
		return tend_err_set(err, TEND_EXIT_INPUT, "%s: %s: '%s' does "
		    "not resolve", r->in->name, r->where, r->ref);
	r->to = s->defs[i];
	return 0;
}

/* Fails on a loop of $ref, allOf, anyOf, oneOf, not, if/then/else that
   comes back to a node without descending into the value: validation
   would never end. */
static int
check_loops(struct node *n, struct tend_err *err)
{
	struct node *next[3];
	uint32_t i, j, nn;
	const struct op *o;

	if (n == NULL || n->mark == 2)
		return 0;
	if (n->mark == 1)
		return tend_err_set(err, TEND_EXIT_INPUT, "%s: %s: schema "
		    "applies itself to the same value, without end",
		    n->docname, n->where);
	n->mark = 1;
	for (i = 0; i < n->nop; i++) {
		o = &n->op[i];
		nn = 0;
		switch (o->kind) {
		case OP_REF:
			next[nn++] = o->u.ref->to;
			break;
		case OP_NOT:
			next[nn++] = o->u.sub;
			break;
		case OP_IF:
			next[nn++] = o->u.cond.cond;
			next[nn++] = o->u.cond.then;
			next[nn++] = o->u.cond.otherwise;
			break;
		case OP_ALLOF:
		case OP_ANYOF:
		case OP_ONEOF:
			for (j = 0; j < o->u.list.n; j++)
				if (check_loops(o->u.list.v[j], err) < 0)
					return -1;
			break;
		default:
			break;
		}
		for (j = 0; j < nn; j++)
			if (check_loops(next[j], err) < 0)
				return -1;
	}
	n->mark = 2;
	return 0;
}

static void
free_op(struct op *o)
{
	uint32_t i;

	switch (o->kind) {
	case OP_ENUM:
		strtab_release(&o->u.en->strs);
		free(o->u.en);
		break;
	case OP_OBJECT:
		strtab_release(&o->u.obj->names);
		free(o->u.obj->prop);
		free(o->u.obj->reqbit);
		free(o->u.obj->nameok);
		free(o->u.obj->req);
		for (i = 0; i < o->u.obj->npat; i++)
			pattern_free(o->u.obj->pat[i]);
		free(o->u.obj->pat);
		free(o->u.obj->patnode);
		free(o->u.obj);
		break;
	case OP_ARRAY:
		free(o->u.arr->prefix);
		free(o->u.arr);
		break;
	case OP_PATTERN:
		pattern_free(o->u.pat);
		break;
	case OP_ALLOF:
	case OP_ANYOF:
	case OP_ONEOF:
		free(o->u.list.v);
		break;
	case OP_REF:
		free(o->u.ref->ref);
		free(o->u.ref->where);
		free(o->u.ref);
		break;
	default:
		break;
	}
}

void
schema_set_free(struct schema_set *set)
{
	struct schema *s;
	size_t i;
	uint32_t j;

	if (set == NULL)
		return;
	for (i = 0; i < set->nnode; i++) {
		for (j = 0; j < set->node[i]->nop; j++)
			free_op(&set->node[i]->op[j]);
		free(set->node[i]->op);
		free(set->node[i]->where);
		free(set->node[i]);
	}
	for (j = 0; j < set->nschemas; j++) {
		s = set->schemas[j];
		free(s->name);
		json_doc_release(&s->doc);
		strtab_release(&s->defnames);
		free(s->defs);
		free(s);
	}
	free(set->node);
	free(set->schemas);
	free(set->ref);
	free(set->typedoc);
	strtab_release(&set->docnames);
	strtab_release(&set->types);
	free(set->path);
	buf_release(&set->sbuf);
	buf_release(&set->kbuf);
	buf_release(&set->eqa);
	buf_release(&set->eqb);
	free(set);
}

static int
load_doc(struct schema_set *set, const struct schema_blob *b,
    struct tend_err *err)
{
	struct loader L;
	struct schema *s;
	char why[sizeof(err->msg)];
	uint32_t k;

	s = xcalloc(1, sizeof(*s));
	s->name = xstrdup(b->name);
	s->set = set;
	json_doc_init(&s->doc);
	k = (uint32_t)strtab_add(&set->docnames, b->name, strlen(b->name));
	if (k != set->nschemas) {
		free(s->name);
		free(s);
		return tend_err_set(err, TEND_EXIT_INPUT, "%s: loaded twice",
		    b->name);
	}
	set->schemas = xreallocarray(set->schemas, set->nschemas + 1,
	    sizeof(*set->schemas));
	set->schemas[set->nschemas++] = s;
	if (json_parse(&s->doc, (const char *)b->data, b->len, err) < 0) {
		strlcpy(why, err->msg, sizeof(why));
		return tend_err_set(err, TEND_EXIT_INPUT, "%s: %s", s->name,
		    why);
	}
	memset(&L, 0, sizeof(L));
	L.set = set;
	L.s = s;
	L.err = err;
	s->root = compile(&L, 0, 1);
	buf_release(&L.where);
	buf_release(&L.tmp);
	return s->root != NULL ? 0 : -1;
}

/* Indexes the tend.* data schemas by the event type they are for. */
static void
index_types(struct schema_set *set)
{
	size_t plen = strlen(TYPE_PREFIX), slen = strlen(TYPE_SUFFIX), n;
	uint32_t i, k;
	struct schema *s;

	for (i = 0; i < set->nschemas; i++) {
		s = set->schemas[i];
		n = strlen(s->name);
		if (strcmp(s->name, ENVELOPE) == 0)
			set->envelope = s;
		if (n <= plen + slen || strncmp(s->name, TYPE_PREFIX, plen) ||
		    strcmp(s->name + n - slen, TYPE_SUFFIX) != 0)
			continue;
		k = (uint32_t)strtab_add(&set->types, s->name, n - slen);
		set->typedoc = xreallocarray(set->typedoc, k + 1,
		    sizeof(*set->typedoc));
		set->typedoc[k] = s;
	}
}

struct schema_set *
schema_set_load_blobs(const struct schema_blob *b, size_t nb,
    struct tend_err *err)
{
	struct schema_set *set;
	size_t i;

	set = xcalloc(1, sizeof(*set));
	set->path = xreallocarray(NULL, MAX_PATH, sizeof(*set->path));
	for (i = 0; i < nb; i++)
		if (load_doc(set, &b[i], err) < 0)
			goto fail;
	for (i = 0; i < set->nref; i++)
		if (resolve(set, set->ref[i], err) < 0)
			goto fail;
	for (i = 0; i < set->nnode; i++)
		if (check_loops(set->node[i], err) < 0)
			goto fail;
	index_types(set);
	return set;
fail:
	schema_set_free(set);
	return NULL;
}

struct schema_set *
schema_set_load(struct tend_err *err)
{
	return schema_set_load_blobs(schema_blobs, schema_nblobs, err);
}

struct schema *
schema_set_get(struct schema_set *set, const char *name)
{
	int32_t i = strtab_find(&set->docnames, name, strlen(name));

	return i >= 0 ? set->schemas[i] : NULL;
}

/* Validation */

static int validate(struct schema_set *, const struct node *, uint32_t);

static int
push(struct schema_set *set, enum segkind kind, uint32_t v, const char *s,
    size_t n)
{
	struct seg *g;

	if (set->depth >= MAX_PATH)
		return -1;
	g = &set->path[set->depth++];
	g->kind = kind;
	g->v = v;
	g->s = s;
	g->n = n;
	return 0;
}

static void
pop(struct schema_set *set)
{
	set->depth--;
}

static void
render_path(struct schema_set *set, struct buf *b)
{
	struct buf key = BUF_INIT;
	const struct seg *g;
	uint32_t i;

	for (i = 0; i < set->depth; i++) {
		g = &set->path[i];
		if (b->len > MSG_PTR_MAX) {
			buf_adds(b, "/...");
			break;
		}
		switch (g->kind) {
		case SEG_KEY:
			buf_reset(&key);
			json_str_decode(set->doc, g->v, &key);
			add_ptr_seg(b, key.p != NULL ? key.p : "", key.len);
			break;
		case SEG_INDEX:
			buf_addf(b, "/%u", g->v);
			break;
		case SEG_NAME:
			add_ptr_seg(b, g->s, g->n);
			break;
		}
	}
	if (set->depth == 0)
		buf_addc(b, '/');
	buf_release(&key);
}

static int vfail(struct schema_set *, uint32_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports the failure of the value at tok, unless only probing (anyOf,
   oneOf, not, if), where nothing is formatted and nothing allocated. */
static int
vfail(struct schema_set *set, uint32_t tok, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	char msg[384];
	va_list ap;

	if (set->quiet)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	render_path(set, &b);
	tend_err_set(set->err, TEND_EXIT_INPUT, "%s: %s%s", b.p,
	    set->inname ? "property name " : "", msg);
	if (set->err != NULL)
		set->err->offset = set->doc->tok[tok].off;
	buf_release(&b);
	return -1;
}

static int
check_type(struct schema_set *set, uint32_t types, uint32_t tok)
{
	static const uint32_t bit_of[] = {
		[JSON_NULL] = T_NULL, [JSON_FALSE] = T_BOOLEAN,
		[JSON_TRUE] = T_BOOLEAN, [JSON_NUMBER] = T_NUMBER,
		[JSON_STRING] = T_STRING, [JSON_ARRAY] = T_ARRAY,
		[JSON_OBJECT] = T_OBJECT,
	};
	const struct json_tok *t = &set->doc->tok[tok];
	struct buf b = BUF_INIT;
	uint32_t bit = bit_of[t->type], i;
	int rc;

	if (bit & types)
		return 0;
	if (bit == T_NUMBER && (types & T_INTEGER) && is_integer(set->doc, tok))
		return 0;
	if (set->quiet)
		return -1;
	for (i = 0; i < ARRAY_SIZE(type_names); i++)
		if (types & (1u << i)) {
			if (b.len > 0)
				buf_adds(&b, " or ");
			buf_adds(&b, type_names[i]);
		}
	rc = vfail(set, tok, "expected %s, got %s", b.p,
	    json_type_name(t->type));
	buf_release(&b);
	return rc;
}

static int
fail_with_value(struct schema_set *set, uint32_t tok, const char *what,
    const struct json_doc *d, uint32_t vtok)
{
	struct buf b = BUF_INIT;
	int rc;

	if (set->quiet)
		return -1;
	add_compact(&b, d, vtok, MSG_VAL_MAX);
	rc = vfail(set, tok, "%s %s", what, b.p);
	buf_release(&b);
	return rc;
}

static int
check_enum(struct schema_set *set, const struct enumop *e, uint32_t tok)
{
	const struct json_doc *d = set->doc, *ed = e->doc;
	const char *s;
	size_t n;
	uint32_t m;

	if (d->tok[tok].type == JSON_STRING) {
		s = str_bytes(d, tok, &set->sbuf, &n);
		if (strtab_find(&e->strs, s, n) >= 0)
			return 0;
	} else if (e->nother > 0) {
		for (m = e->tok + 1; m < ed->tok[e->tok].end;
		    m = ed->tok[m].end)
			if (ed->tok[m].type != JSON_STRING &&
			    equal(set, ed, m, d, tok))
				return 0;
	}
	return fail_with_value(set, tok, "not one of enum", ed, e->tok);
}

/* One member of an object: key token k, idx its index in o->names or -1,
   pats the patternProperties its name matches. */
static int
check_member(struct schema_set *set, struct objop *o, uint32_t k,
    int32_t idx, uint64_t pats, uint64_t *seen)
{
	uint32_t p;
	int rc, inname, inprops = idx >= 0 && o->prop[idx] != NULL;

	if (o->propnames != NULL && (idx < 0 || !o->nameok[idx])) {
		inname = set->inname;
		set->inname = 1;
		rc = validate(set, o->propnames, k);
		set->inname = inname;
		if (rc < 0)
			return -1;
		/* The outcome depends on the name alone. */
		if (idx >= 0)
			o->nameok[idx] = 1;
	}
	if (idx >= 0 && o->reqbit[idx] >= 0)
		*seen |= (uint64_t)1 << o->reqbit[idx];
	if (inprops && validate(set, o->prop[idx], k + 1) < 0)
		return -1;
	for (p = 0; pats >> p != 0; p++)
		if (((pats >> p) & 1) &&
		    validate(set, o->patnode[p], k + 1) < 0)
			return -1;
	if (inprops || pats != 0 || o->additional == NULL)
		return 0;
	if (o->addfalse)
		return vfail(set, k + 1, "not allowed by additionalProperties");
	return validate(set, o->additional, k + 1);
}

static int
check_object(struct schema_set *set, struct objop *o, uint32_t tok)
{
	const struct json_doc *d = set->doc;
	uint64_t seen = 0, pats;
	const char *s;
	uint32_t k, p, r;
	int32_t idx;
	size_t n;
	int rc;

	for (k = tok + 1; k < d->tok[tok].end; k = d->tok[k + 1].end) {
		/* Done with the name before validating anything that
		   reuses kbuf. */
		s = str_bytes(d, k, &set->kbuf, &n);
		idx = strtab_find(&o->names, s, n);
		pats = 0;
		for (p = 0; p < o->npat; p++)
			if (pattern_match(o->pat[p], s, n))
				pats |= (uint64_t)1 << p;
		if (push(set, SEG_KEY, k, NULL, 0) < 0)
			return vfail(set, k, "nested too deep");
		rc = check_member(set, o, k, idx, pats, &seen);
		pop(set);
		if (rc < 0)
			return -1;
	}
	if ((seen & o->reqmask) == o->reqmask)
		return 0;
	if (set->quiet)
		return -1;
	for (r = 0; r < o->nreq; r++)
		if (!(seen & ((uint64_t)1 << r)))
			break;
	k = o->req[r];
	if (push(set, SEG_NAME, 0, o->names.str[k], o->names.len[k]) < 0)
		return vfail(set, tok, "nested too deep");
	vfail(set, tok, "required property missing");
	pop(set);
	return -1;
}

static int
check_array(struct schema_set *set, const struct arrop *a, uint32_t tok)
{
	const struct json_doc *d = set->doc;
	const struct node *n;
	uint32_t e, i = 0;
	int rc;

	for (e = tok + 1; e < d->tok[tok].end; e = d->tok[e].end, i++) {
		n = i < a->nprefix ? a->prefix[i] : a->items;
		if (n == NULL)
			break;
		if (push(set, SEG_INDEX, i, NULL, 0) < 0)
			return vfail(set, e, "nested too deep");
		if (i >= a->nprefix && a->itemsfalse)
			rc = vfail(set, e, "not allowed by items (at most %u "
			    "items)", a->nprefix);
		else
			rc = validate(set, n, e);
		pop(set);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
check_unique(struct schema_set *set, uint32_t tok)
{
	const struct json_doc *d = set->doc;
	uint32_t e, f, i, j;

	/* NEEDSWORK: quadratic; hash the items if long arrays need it. */
	for (e = tok + 1, i = 0; e < d->tok[tok].end; e = d->tok[e].end, i++)
		for (f = d->tok[e].end, j = i + 1; f < d->tok[tok].end;
		    f = d->tok[f].end, j++) {
			if (!equal(set, d, e, d, f))
				continue;
			if (set->quiet)
				return -1;
			push(set, SEG_INDEX, j, NULL, 0);
			vfail(set, f, "equal to item %u, but uniqueItems", i);
			pop(set);
			return -1;
		}
	return 0;
}

static int
digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/*
 * RFC 3339 section 5.6 date-time: "T" and "Z" in either case, the day
 * checked against its month, and a leap second only at 23:59:60 UTC.
 */
static int
rfc3339(const char *s, size_t n)
{
	static const int mdays[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};
	int y, mo, dd, h, mi, sec, oh = 0, om = 0, sign = 0, dim, utc;
	size_t p = 19, start;

	if (n < 20 || digits(s, 4, &y) < 0 || s[4] != '-' ||
	    digits(s + 5, 2, &mo) < 0 || s[7] != '-' ||
	    digits(s + 8, 2, &dd) < 0 || (s[10] != 'T' && s[10] != 't') ||
	    digits(s + 11, 2, &h) < 0 || s[13] != ':' ||
	    digits(s + 14, 2, &mi) < 0 || s[16] != ':' ||
	    digits(s + 17, 2, &sec) < 0)
		return -1;
	if (s[p] == '.') {
		for (start = ++p; p < n && s[p] >= '0' && s[p] <= '9'; p++)
			continue;
		if (p == start || p >= n)
			return -1;
	}
	if (s[p] == 'Z' || s[p] == 'z') {
		p++;
	} else if (s[p] == '+' || s[p] == '-') {
		sign = s[p] == '+' ? 1 : -1;
		if (n - p < 6 || digits(s + p + 1, 2, &oh) < 0 ||
		    s[p + 3] != ':' || digits(s + p + 4, 2, &om) < 0)
			return -1;
		p += 6;
	} else
		return -1;
	if (p != n || mo < 1 || mo > 12 || dd < 1)
		return -1;
	dim = mdays[mo - 1];
	if (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		dim = 29;
	if (dd > dim || h > 23 || mi > 59 || sec > 60 || oh > 23 || om > 59)
		return -1;
	if (sec == 60) {
		utc = ((h * 60 + mi - sign * (oh * 60 + om)) % 1440 + 1440) %
		    1440;
		if (utc != 23 * 60 + 59)
			return -1;
	}
	return 0;
}

static int
check_number(struct schema_set *set, const struct op *o, uint32_t tok)
{
	struct num v;
	double q;
	int c, ok;
	const char *what;

	num_of(set->doc, tok, &v);
	c = num_cmp(&v, &o->u.num);
	switch (o->kind) {
	case OP_MINIMUM:
		ok = c >= 0;
		what = "less than minimum";
		break;
	case OP_MAXIMUM:
		ok = c <= 0;
		what = "greater than maximum";
		break;
	case OP_XMINIMUM:
		ok = c > 0;
		what = "not greater than exclusiveMinimum";
		break;
	case OP_XMAXIMUM:
		ok = c < 0;
		what = "not less than exclusiveMaximum";
		break;
	default:
		if (v.isint && o->u.num.isint) {
			ok = v.i % o->u.num.i == 0;
		} else {
			q = v.d / o->u.num.d;
			ok = isfinite(q) && q == floor(q);
		}
		what = "not a multiple of";
		break;
	}
	if (ok)
		return 0;
	return vfail(set, tok, "%.*s is %s %.*s",
	    (int)(v.litlen < MSG_VAL_MAX ? v.litlen : MSG_VAL_MAX), v.lit, what,
	    (int)(o->u.num.litlen < MSG_VAL_MAX ? o->u.num.litlen :
	    MSG_VAL_MAX), o->u.num.lit);
}

/* Validates quietly: 1 if tok matches n, else 0. */
static int
probe(struct schema_set *set, const struct node *n, uint32_t tok)
{
	uint32_t depth = set->depth;
	int rc;

	set->quiet++;
	rc = validate(set, n, tok);
	set->quiet--;
	set->depth = depth;
	return rc == 0;
}

static int
check_string(struct schema_set *set, const struct op *o, uint32_t tok)
{
	const struct json_doc *d = set->doc;
	struct buf b = BUF_INIT;
	const char *s;
	size_t n;
	int rc;

	switch (o->kind) {
	case OP_MINLEN:
		if ((n = str_chars(d, tok)) >= o->u.count)
			return 0;
		return vfail(set, tok, "%zu characters, fewer than "
		    "minLength %llu", n, (unsigned long long)o->u.count);
	case OP_MAXLEN:
		if ((n = str_chars(d, tok)) <= o->u.count)
			return 0;
		return vfail(set, tok, "%zu characters, more than "
		    "maxLength %llu", n, (unsigned long long)o->u.count);
	case OP_PATTERN:
		s = str_bytes(d, tok, &set->sbuf, &n);
		if (pattern_match(o->u.pat, s, n))
			return 0;
		if (set->quiet)
			return -1;
		buf_add_json_str(&b, o->u.pat->src, strlen(o->u.pat->src));
		rc = vfail(set, tok, "does not match pattern %s", b.p);
		buf_release(&b);
		return rc;
	default:
		s = str_bytes(d, tok, &set->sbuf, &n);
		if (rfc3339(s, n) == 0)
			return 0;
		return vfail(set, tok, "not an RFC 3339 date-time (format)");
	}
}

static int
run(struct schema_set *set, const struct op *o, uint32_t tok)
{
	const struct json_tok *t = &set->doc->tok[tok];
	uint32_t i, matched;

	switch (o->kind) {
	case OP_FALSE:
		return vfail(set, tok, "not allowed (false schema)");
	case OP_TYPE:
		return check_type(set, o->u.types, tok);
	case OP_REF:
		return validate(set, o->u.ref->to, tok);
	case OP_CONST:
		if (equal(set, o->u.val.doc, o->u.val.tok, set->doc, tok))
			return 0;
		return fail_with_value(set, tok, "not equal to const",
		    o->u.val.doc, o->u.val.tok);
	case OP_ENUM:
		return check_enum(set, o->u.en, tok);
	case OP_OBJECT:
		return t->type == JSON_OBJECT ?
		    check_object(set, o->u.obj, tok) : 0;
	case OP_MINPROPS:
	case OP_MAXPROPS:
		if (t->type != JSON_OBJECT || (o->kind == OP_MINPROPS ?
		    t->size >= o->u.count : t->size <= o->u.count))
			return 0;
		return vfail(set, tok, "%u properties, %s %llu", t->size,
		    o->kind == OP_MINPROPS ? "fewer than minProperties" :
		    "more than maxProperties", (unsigned long long)o->u.count);
	case OP_ARRAY:
		return t->type == JSON_ARRAY ?
		    check_array(set, o->u.arr, tok) : 0;
	case OP_MINITEMS:
	case OP_MAXITEMS:
		if (t->type != JSON_ARRAY || (o->kind == OP_MINITEMS ?
		    t->size >= o->u.count : t->size <= o->u.count))
			return 0;
		return vfail(set, tok, "%u items, %s %llu", t->size,
		    o->kind == OP_MINITEMS ? "fewer than minItems" :
		    "more than maxItems", (unsigned long long)o->u.count);
	case OP_UNIQUE:
		return t->type == JSON_ARRAY ? check_unique(set, tok) : 0;
	case OP_MINLEN:
	case OP_MAXLEN:
	case OP_PATTERN:
	case OP_DATETIME:
		return t->type == JSON_STRING ? check_string(set, o, tok) : 0;
	case OP_MINIMUM:
	case OP_MAXIMUM:
	case OP_XMINIMUM:
	case OP_XMAXIMUM:
	case OP_MULTIPLEOF:
		return t->type == JSON_NUMBER ? check_number(set, o, tok) : 0;
	case OP_ALLOF:
		for (i = 0; i < o->u.list.n; i++)
			if (validate(set, o->u.list.v[i], tok) < 0)
				return -1;
		return 0;
	case OP_ANYOF:
		for (i = 0; i < o->u.list.n; i++)
			if (probe(set, o->u.list.v[i], tok))
				return 0;
		return vfail(set, tok, "matches no schema in anyOf");
	case OP_ONEOF:
		for (i = matched = 0; i < o->u.list.n; i++)
			matched += probe(set, o->u.list.v[i], tok);
		if (matched == 1)
			return 0;
		return vfail(set, tok, "matches %u schemas in oneOf, not "
		    "exactly one", matched);
	case OP_NOT:
		if (!probe(set, o->u.sub, tok))
			return 0;
		return vfail(set, tok, "matches the schema in 'not'");
	case OP_IF:
		if (probe(set, o->u.cond.cond, tok))
			return o->u.cond.then != NULL ?
			    validate(set, o->u.cond.then, tok) : 0;
		return o->u.cond.otherwise != NULL ?
		    validate(set, o->u.cond.otherwise, tok) : 0;
	}
	BUG("unknown schema op");
}

static int
validate(struct schema_set *set, const struct node *n, uint32_t tok)
{
	uint32_t i;

	for (i = 0; i < n->nop; i++)
		if (run(set, &n->op[i], tok) < 0)
			return -1;
	return 0;
}

static void
begin(struct schema_set *set, const struct json_doc *d, struct tend_err *err)
{
	set->doc = d;
	set->err = err;
	set->quiet = 0;
	set->inname = 0;
	set->depth = 0;
}

int
schema_validate(struct schema *s, const struct json_doc *d, uint32_t tok,
    struct tend_err *err)
{
	begin(s->set, d, err);
	return validate(s->set, s->root, tok);
}

int
schema_set_check_event(struct schema_set *set, const struct json_doc *d,
    uint32_t ev, struct tend_err *err)
{
	const char *s;
	int64_t t, data;
	int32_t i;
	size_t n, len;

	if (set->envelope == NULL)
		return tend_err_set(err, TEND_EXIT_INPUT, "no %s loaded",
		    ENVELOPE);
	if (schema_validate(set->envelope, d, ev, err) < 0)
		return -1;
	/* The envelope made sure type is a non-empty string. */
	if ((t = json_obj_get(d, ev, "type")) < 0)
		BUG("envelope schema let an event without type through");
	s = str_bytes(d, (uint32_t)t, &set->sbuf, &n);
	len = strlen(TYPE_PREFIX);
	if (n < len || memcmp(s, TYPE_PREFIX, len) != 0)
		return 0;
	begin(set, d, err);
	if ((i = strtab_find(&set->types, s, n)) < 0) {
		push(set, SEG_NAME, 0, "type", 4);
		return vfail(set, (uint32_t)t, "unknown event type '%.*s'",
		    (int)(d->tok[t].len < MSG_VAL_MAX ? d->tok[t].len :
		    MSG_VAL_MAX), d->src + d->tok[t].off);
	}
	push(set, SEG_NAME, 0, "data", 4);
	if ((data = json_obj_get(d, ev, "data")) < 0)
		return vfail(set, ev, "required property missing");
	return validate(set, set->typedoc[i]->root, (uint32_t)data);
}
