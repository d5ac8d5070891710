/*
 * RFC 8785 canonical JSON over the json.h token tape; see jcs.h.
 *
 * Strings without escapes are copied raw: the parser guarantees they hold
 * no '"', '\\' or control byte and are valid UTF-8, which is exactly the
 * canonical form.  Escaped strings are transcoded in one pass without a
 * temporary.  Keys are never decoded into memory: unescaped keys are
 * compared as UTF-8 with a fix-up for UTF-16 order, escaped ones through an
 * iterator of UTF-16 code units.
 */
#include "compat.h"

#include <math.h>
#include <stdatomic.h>

#include <sodium.h>

#include "jcs.h"
#include "sha256.h"
#include "xmalloc.h"

/* Member indices held on the stack before spilling to the heap. */
#define SCRATCH_SMALL	256
/* Runs this short are insertion-sorted; most objects are this small. */
#define INSERTION_MAX	12
/* Integer literals this short are exact doubles and already canonical. */
#define PLAIN_INT_DIGITS 15

struct canon {
	const struct json_doc	*d;
	struct buf		*out;
	struct tend_err		*err;
	uint32_t		*idx;	/* key indices, used as a stack */
	size_t			 top;
	size_t			 cap;
	uint32_t		 dup;	/* a repeated key, if havedup */
	int			 havedup;
	uint32_t		 small[SCRATCH_SMALL];
};

static int	canon_value(struct canon *, uint32_t);

/* Input was validated by the parser, so c is a hex digit. */
static unsigned
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	return (unsigned)((c | 0x20) - 'a' + 10);
}

static unsigned
hex4(const char *s)
{
	return hexval(s[0]) << 12 | hexval(s[1]) << 8 | hexval(s[2]) << 4 |
	    hexval(s[3]);
}

/*
 * Compares two unescaped keys (valid UTF-8) in UTF-16 code unit order.
 * Byte order is code point order, and that is UTF-16 order except between
 * a supplementary character (lead F0..F4, a surrogate pair D800..DFFF in
 * UTF-16) and U+E000..U+FFFF (lead EE or EF).  The first differing byte
 * either lies inside a character both keys share the lead byte of, where
 * byte order holds, or is itself the lead byte of both characters.
 */
static int
cmp_utf8(const unsigned char *x, size_t xn, const unsigned char *y, size_t yn)
{
	size_t n = xn < yn ? xn : yn, k, s;
	unsigned a, b;

	for (k = 0; k < n && x[k] == y[k]; k++)
		;
	if (k == n)
		return xn < yn ? -1 : xn > yn;
	for (s = k; s > 0 && (x[s] & 0xc0) == 0x80; s--)
		;
	a = x[s];
	b = y[s];
	if (a >= 0xf0 && (b & 0xfe) == 0xee)
		return -1;
	if (b >= 0xf0 && (a & 0xfe) == 0xee)
		return 1;
	return x[k] < y[k] ? -1 : 1;
}

/* Yields the UTF-16 code units of a raw JSON string, escapes decoded. */
struct u16iter {
	const char	*s;
	size_t		 n;
	size_t		 p;
	unsigned	 low;	/* pending low surrogate, or 0 */
};

static long
u16_next(struct u16iter *it)
{
	const unsigned char *s = (const unsigned char *)it->s + it->p;
	unsigned cp;

	if (it->low != 0) {
		cp = it->low;
		it->low = 0;
		return cp;
	}
	if (it->p >= it->n)
		return -1;
	if (s[0] == '\\') {
		it->p += 2;
		switch (s[1]) {
		case 'b': return '\b';
		case 'f': return '\f';
		case 'n': return '\n';
		case 'r': return '\r';
		case 't': return '\t';
		case 'u':
			/* A pair comes as two escapes: already UTF-16. */
			it->p += 4;
			return hex4((const char *)s + 2);
		default:
			return s[1];
		}
	}
	if (s[0] < 0x80) {
		it->p++;
		return s[0];
	}
	if (s[0] < 0xe0) {
		it->p += 2;
		return (s[0] & 0x1f) << 6 | (s[1] & 0x3f);
	}
	if (s[0] < 0xf0) {
		it->p += 3;
		return (s[0] & 0x0f) << 12 | (s[1] & 0x3f) << 6 | (s[2] & 0x3f);
	}
	it->p += 4;
	cp = (unsigned)(s[0] & 0x07) << 18 | (s[1] & 0x3f) << 12 |
	    (s[2] & 0x3f) << 6 | (s[3] & 0x3f);
	cp -= 0x10000;
	it->low = 0xdc00 | (cp & 0x3ff);
	return 0xd800 | (cp >> 10);
}

static int
cmp_units(const char *x, size_t xn, const char *y, size_t yn)
{
	struct u16iter a = { x, xn, 0, 0 }, b = { y, yn, 0, 0 };
	long ua, ub;

	do {
		ua = u16_next(&a);
		ub = u16_next(&b);
	} while (ua == ub && ua >= 0);
	return ua < ub ? -1 : ua > ub;
}

/*
 * Orders key tokens a and b.  Equal keys are remembered rather than
 * checked for in a separate pass: any comparison sort compares every pair
 * that ends up adjacent, so a duplicate is always seen here.
 */
static int
key_cmp(struct canon *c, uint32_t a, uint32_t b)
{
	const struct json_tok *ta = &c->d->tok[a], *tb = &c->d->tok[b];
	const char *src = c->d->src;
	int r;

	if (ta->escaped | tb->escaped)
		r = cmp_units(src + ta->off, ta->len, src + tb->off, tb->len);
	else
		r = cmp_utf8((const unsigned char *)src + ta->off, ta->len,
		    (const unsigned char *)src + tb->off, tb->len);
	if (r == 0) {
		c->havedup = 1;
		c->dup = a > b ? a : b;
	}
	return r;
}

static void
insertion_sort(struct canon *c, uint32_t *a, size_t n)
{
	size_t i, j;
	uint32_t v;

	for (i = 1; i < n; i++) {
		v = a[i];
		for (j = i; j > 0 && key_cmp(c, a[j - 1], v) > 0; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

/* Sorts a[0..n) using tmp[0..n/2) as scratch. */
static void
merge_sort(struct canon *c, uint32_t *a, uint32_t *tmp, size_t n)
{
	size_t h = n / 2, i = 0, j = h, k = 0;

	if (n <= INSERTION_MAX) {
		insertion_sort(c, a, n);
		return;
	}
	merge_sort(c, a, tmp, h);
	merge_sort(c, a + h, tmp, n - h);
	if (key_cmp(c, a[h - 1], a[h]) < 0)
		return;
	memcpy(tmp, a, h * sizeof(*a));
	while (i < h && j < n) {
		if (key_cmp(c, a[j], tmp[i]) < 0)
			a[k++] = a[j++];
		else
			a[k++] = tmp[i++];
	}
	while (i < h)
		a[k++] = tmp[i++];
}

/* Makes room for n more indices above top.  May move c->idx. */
static void
reserve(struct canon *c, size_t n)
{
	size_t cap = c->cap;

	if (n <= c->cap - c->top)
		return;
	while (n > cap - c->top)
		cap *= 2;
	if (c->idx == c->small) {
		c->idx = xreallocarray(NULL, cap, sizeof(*c->idx));
		memcpy(c->idx, c->small, c->top * sizeof(*c->idx));
	} else
		c->idx = xreallocarray(c->idx, cap, sizeof(*c->idx));
	c->cap = cap;
}

/* Appends code point cp as canonical string content. */
static void
put_cp(struct buf *out, unsigned cp)
{
	static const char hex[] = "0123456789abcdef";
	char b[6];

	if (cp < 0x20 || cp == '"' || cp == '\\') {
		b[0] = '\\';
		switch (cp) {
		case '"': b[1] = '"'; break;
		case '\\': b[1] = '\\'; break;
		case '\b': b[1] = 'b'; break;
		case '\f': b[1] = 'f'; break;
		case '\n': b[1] = 'n'; break;
		case '\r': b[1] = 'r'; break;
		case '\t': b[1] = 't'; break;
		default:
			b[1] = 'u';
			b[2] = '0';
			b[3] = '0';
			b[4] = hex[cp >> 4];
			b[5] = hex[cp & 15];
			buf_add(out, b, 6);
			return;
		}
		buf_add(out, b, 2);
	} else if (cp < 0x80) {
		buf_addc(out, (char)cp);
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		buf_add(out, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		buf_add(out, b, 3);
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		buf_add(out, b, 4);
	}
}

/*
 * Appends string token i in canonical form.  Literal bytes between escapes
 * are already canonical; \" \\ \b \f \n \r \t are kept as they are, \/
 * becomes '/', and \u escapes become UTF-8 or \u00xx.
 */
static void
put_string(struct buf *out, const struct json_doc *d, uint32_t i)
{
	const char *s = d->src + d->tok[i].off;
	size_t n = d->tok[i].len, p = 0, run = 0;
	unsigned u;

	if (!d->tok[i].escaped) {
		buf_add(out, s - 1, n + 2);	/* with its quotes */
		return;
	}
	buf_addc(out, '"');
	while (p < n) {
		if (s[p] != '\\') {
			p++;
			continue;
		}
		buf_add(out, s + run, p - run);
		if (s[p + 1] == 'u') {
			u = hex4(s + p + 2);
			p += 6;
			/* The parser checked that a low surrogate follows. */
			if (u >= 0xd800 && u <= 0xdbff) {
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (hex4(s + p + 2) - 0xdc00);
				p += 6;
			}
			put_cp(out, u);
		} else if (s[p + 1] == '/') {
			buf_addc(out, '/');
			p += 2;
		} else {
			buf_add(out, s + p, 2);
			p += 2;
		}
		run = p;
	}
	buf_add(out, s + run, n - run);
	buf_addc(out, '"');
}

/* 1 if the literal is an integer of at most 15 digits other than -0. */
static int
plain_int(const char *s, size_t n)
{
	size_t p = 0;

	if (n > 0 && s[0] == '-') {
		if (n == 2 && s[1] == '0')
			return 0;
		p = 1;
	}
	if (n - p > PLAIN_INT_DIGITS)
		return 0;
	for (; p < n; p++)
		if (s[p] < '0' || s[p] > '9')
			return 0;
	return 1;
}

static int
canon_number(struct canon *c, uint32_t i)
{
	const struct json_tok *t = &c->d->tok[i];
	const char *s = c->d->src + t->off;
	double v;

	if (plain_int(s, t->len)) {
		buf_add(c->out, s, t->len);
		return 0;
	}
	v = json_num(c->d, i);
	if (isinf(v)) {
		if (c->err != NULL)
			c->err->offset = t->off;
		return tend_err_set(c->err, TEND_EXIT_INPUT,
		    "number %.*s%s is out of range for JCS", (int)(t->len > 40 ?
		    40 : t->len), s, t->len > 40 ? "..." : "");
	}
	jcs_number(v, c->out);
	return 0;
}

static int
dup_error(struct canon *c)
{
	const struct json_tok *t = &c->d->tok[c->dup];
	const unsigned char *s = (const unsigned char *)c->d->src + t->off;
	size_t n = t->len;

	if (n > 64)
		for (n = 64; n > 0 && (s[n] & 0xc0) == 0x80; n--)
			;
	if (c->err != NULL)
		c->err->offset = t->off - 1;
	return tend_err_set(c->err, TEND_EXIT_INPUT,
	    "duplicate object key \"%.*s%s\"", (int)n, (const char *)s,
	    n < t->len ? "..." : "");
}

static int
canon_object(struct canon *c, uint32_t obj)
{
	const struct json_doc *d = c->d;
	uint32_t end = d->tok[obj].end, i, key;
	size_t n = d->tok[obj].size, base = c->top, k;

	if (n == 0) {
		buf_add(c->out, "{}", 2);
		return 0;
	}
	reserve(c, n > INSERTION_MAX ? n + n / 2 : n);
	for (k = 0, i = obj + 1; i < end; i = d->tok[i + 1].end)
		c->idx[base + k++] = i;
	c->havedup = 0;
	merge_sort(c, c->idx + base, c->idx + base + n, n);
	if (c->havedup)
		return dup_error(c);
	c->top = base + n;
	buf_addc(c->out, '{');
	for (k = 0; k < n; k++) {
		/* Re-read each time: the recursion may move c->idx. */
		key = c->idx[base + k];
		if (k > 0)
			buf_addc(c->out, ',');
		put_string(c->out, d, key);
		buf_addc(c->out, ':');
		if (canon_value(c, key + 1) < 0)
			return -1;
	}
	buf_addc(c->out, '}');
	c->top = base;
	return 0;
}

static int
canon_array(struct canon *c, uint32_t arr)
{
	uint32_t end = c->d->tok[arr].end, i;

	buf_addc(c->out, '[');
	for (i = arr + 1; i < end; i = c->d->tok[i].end) {
		if (i > arr + 1)
			buf_addc(c->out, ',');
		if (canon_value(c, i) < 0)
			return -1;
	}
	buf_addc(c->out, ']');
	return 0;
}

static int
canon_value(struct canon *c, uint32_t i)
{
	const struct json_tok *t = &c->d->tok[i];

	switch (t->type) {
	case JSON_NULL:
	case JSON_FALSE:
	case JSON_TRUE:
		buf_add(c->out, c->d->src + t->off, t->len);
		return 0;
	case JSON_NUMBER:
		return canon_number(c, i);
	case JSON_STRING:
		put_string(c->out, c->d, i);
		return 0;
	case JSON_ARRAY:
		return canon_array(c, i);
	case JSON_OBJECT:
		return canon_object(c, i);
	default:
		BUG("jcs: unknown token type");
	}
}

int
jcs_canon(const struct json_doc *d, uint32_t i, struct buf *out,
    struct tend_err *err)
{
	struct canon c;
	int r;

	if (i >= d->ntok)
		BUG("jcs_canon: token index out of range");
	c.d = d;
	c.out = out;
	c.err = err;
	c.idx = c.small;
	c.top = 0;
	c.cap = ARRAY_SIZE(c.small);
	c.dup = 0;
	c.havedup = 0;
	r = canon_value(&c, i);
	if (c.idx != c.small)
		free(c.idx);
	return r;
}

int
jcs_digest(const struct json_doc *d, uint32_t i,
    unsigned char out[JCS_DIGEST_LEN], struct tend_err *err)
{
	static atomic_int ready;
	struct buf b = BUF_INIT;

	/* sodium_init is idempotent and thread-safe; this skips its lock. */
	if (!atomic_load_explicit(&ready, memory_order_acquire)) {
		if (sodium_init() < 0)
			return tend_err_set(err, TEND_EXIT_SYSTEM,
			    "cannot initialise libsodium");
		atomic_store_explicit(&ready, 1, memory_order_release);
	}
	if (jcs_canon(d, i, &b, err) < 0) {
		buf_release(&b);
		return -1;
	}
	sha256(out, b.p, b.len);
	buf_release(&b);
	return 0;
}

/* Writes v < 2^53, a whole number, in decimal; returns the length. */
static size_t
fmt_uint(char *dst, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	return n;
}

/*
 * Parses snprintf's "%e" output "d.ddde+XX" into its digits (trailing
 * zeros dropped) and decimal exponent.  The decimal point is skipped as
 * whatever non-digit bytes it is, so LC_NUMERIC does not matter.
 */
static int
split_e(const char *e, char dig[18], int *e10)
{
	int k = 0;

	for (; *e != 'e'; e++)
		if (*e >= '0' && *e <= '9' && k < 17)
			dig[k++] = *e;
	*e10 = (int)strtol(e + 1, NULL, 10);
	while (k > 1 && dig[k - 1] == '0')
		k--;
	return k;
}

/*
 * Adds one unit in the last place to the digits dig[0..k) with decimal
 * exponent *e10 (of the first digit).  Returns 1 if the result reads back
 * as v.  Written as an integer mantissa, so no decimal point is involved.
 */
static int
bump_hits(double v, char *dig, int k, int *e10)
{
	char e[40];
	int i = k - 1;

	while (i >= 0 && dig[i] == '9')
		dig[i--] = '0';
	if (i < 0) {
		dig[0] = '1';
		(*e10)++;
	} else
		dig[i]++;
	snprintf(e, sizeof(e), "%.*se%d", k, dig, *e10 - (k - 1));
	return strtod(e, NULL) == v;
}

/*
 * Finds the shortest digits that read back as v (v > 0, finite): the
 * fewest digits k for which some k-digit decimal rounds to v, and of those
 * the nearest to v.  snprintf("%.*e") gives the nearest k-digit decimal.
 * When that misses from below, a k-digit decimal further away above can
 * still hit only if v is a power of two, whose gap to the double below is
 * half the gap above: then the next decimal up is tried too.  17 digits
 * always suffice.  Returns k, trailing zeros dropped.
 *
 * NEEDSWORK: up to 17 snprintf/strtod rounds (about 7 us for a random
 * double); a Ryu-style shortest printer would be ~50x faster.  Integers
 * below 2^53 never get here, which covers nearly all Kubernetes numbers.
 */
static int
shortest(double v, char dig[18], int *e10)
{
	char e[40];
	double back;
	int prec, k, m, pow2;

	pow2 = frexp(v, &m) == 0.5;
	for (prec = 1; prec <= 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec - 1, v);
		if ((back = strtod(e, NULL)) == v || prec == 17)
			return split_e(e, dig, e10);
		if (pow2 && back < v) {
			k = split_e(e, dig, e10);
			memset(dig + k, '0', (size_t)(prec - k));
			if (bump_hits(v, dig, prec, e10)) {
				for (k = prec; k > 1 && dig[k - 1] == '0'; k--)
					;
				return k;
			}
		}
	}
	BUG("jcs: no round-trip digits");
}

void
jcs_number(double v, struct buf *out)
{
	char dig[18], s[40];
	size_t p = 0;
	int k, n, e10, j;

	if (!isfinite(v))
		BUG("jcs_number: not a finite number");
	if (v == 0) {
		buf_addc(out, '0');
		return;
	}
	if (v < 0) {
		s[p++] = '-';
		v = -v;
	}
	if (v < 9007199254740992.0 && v == floor(v)) {
		p += fmt_uint(s + p, (uint64_t)v);
		buf_add(out, s, p);
		return;
	}
	k = shortest(v, dig, &e10);
	/* ECMA-262 Number::toString: v = 0.dig * 10^n. */
	n = e10 + 1;
	if (k <= n && n <= 21) {
		memcpy(s + p, dig, (size_t)k);
		p += (size_t)k;
		for (j = k; j < n; j++)
			s[p++] = '0';
	} else if (0 < n && n <= 21) {
		memcpy(s + p, dig, (size_t)n);
		p += (size_t)n;
		s[p++] = '.';
		memcpy(s + p, dig + n, (size_t)(k - n));
		p += (size_t)(k - n);
	} else if (-6 < n && n <= 0) {
		s[p++] = '0';
		s[p++] = '.';
		for (j = n; j < 0; j++)
			s[p++] = '0';
		memcpy(s + p, dig, (size_t)k);
		p += (size_t)k;
	} else {
		s[p++] = dig[0];
		if (k > 1) {
			s[p++] = '.';
			memcpy(s + p, dig + 1, (size_t)(k - 1));
			p += (size_t)(k - 1);
		}
		p += (size_t)snprintf(s + p, sizeof(s) - p, "e%c%d",
		    n - 1 < 0 ? '-' : '+', abs(n - 1));
	}
	buf_add(out, s, p);
}
