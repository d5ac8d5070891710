/*
 * Strict JSON parser into a token tape; see json.h.
 *
 * Written here rather than taken from a library: libjq 1.6 is lax (NaN,
 * leading zeros, bad UTF-8 replaced silently) and 20x too slow for the hot
 * path; jansson and json-c build trees of malloc'd values and re-serialise
 * numbers.  simdjson (C++, libsimdjson-dev) was measured against this
 * (`make bench`, 100k resources, 313 MB): simdjson DOM 2390 MB/s, this
 * parser 980 MB/s, libjq 65 MB/s.  simdjson is faster but refuses
 * integers beyond 2^64, which RFC 8259 allows and which tend must pass
 * through unchanged, and would bring C++ into the build; at 980 MB/s the
 * parser is not what bounds any stage.
 */
#include "compat.h"

#include <errno.h>
#include <math.h>

#include "json.h"
#include "xmalloc.h"

#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL
#define HASZERO(v)	(((v) - ONES) & ~(v) & HIGHS)
#define HASLESS(v, n)	(((v) - ONES * (n)) & ~(v) & HIGHS)

#ifdef __SSE2__
#include <emmintrin.h>

/*
 * The plain bytes of a string at s[p..len): those that are not '"', '\\',
 * a control character or part of a multibyte sequence.  One signed
 * compare flags both controls and bytes >= 0x80 (negative as int8).
 * Strings are most of an event, so this is the parser's hottest loop.
 */
static size_t
plain_run(const unsigned char *s, size_t p, size_t len)
{
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
	const __m128i space = _mm_set1_epi8(0x20);
	size_t start = p;
	unsigned m;

	while (p + 16 <= len) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + p));

		m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
		    _mm_cmplt_epi8(x, space)));
		if (m != 0)
			return p - start + (size_t)__builtin_ctz(m);
		p += 16;
	}
	return p - start;
}
#else
static size_t
plain_run(const unsigned char *s, size_t p, size_t len)
{
	size_t start = p;
	uint64_t w;

	while (p + 8 <= len) {
		memcpy(&w, s + p, 8);
		if (HASZERO(w ^ (ONES * '"')) | HASZERO(w ^ (ONES * '\\')) |
		    HASLESS(w, 0x20) | (w & HIGHS))
			break;
		p += 8;
	}
	return p - start;
}
#endif

void
json_doc_init(struct json_doc *d)
{
	memset(d, 0, sizeof(*d));
}

void
json_doc_release(struct json_doc *d)
{
	free(d->tok);
	free(d->stack);
	json_doc_init(d);
}

const char *
json_type_name(enum json_type t)
{
	static const char *names[] = {
		"null", "boolean", "boolean", "number", "string", "array",
		"object",
	};

	return (unsigned)t < ARRAY_SIZE(names) ? names[t] : "?";
}

static int
fail(struct tend_err *err, size_t off, const char *what)
{
	if (err != NULL)
		err->offset = off;
	return tend_err_set(err, TEND_EXIT_INPUT, "invalid JSON at byte %zu: %s",
	    off + 1, what);
}

/* Length of the UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;	/* no UTF-16 surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;	/* at most U+10FFFF */
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

int
utf8_valid(const unsigned char *s, size_t len, size_t *bad)
{
	size_t i = 0, n;
	uint64_t w;

	while (i < len) {
		if (i + 8 <= len) {
			memcpy(&w, s + i, 8);
			if ((w & HIGHS) == 0) {
				i += 8;
				continue;
			}
		}
		if ((n = utf8_seq(s + i, len - i)) == 0) {
			if (bad != NULL)
				*bad = i;
			return -1;
		}
		i += n;
	}
	return 0;
}

static int
hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/*
 * Scans the string whose opening quote is at src[*pp]; leaves *pp past the
 * closing quote.  Sets *escaped when it holds a backslash.
 */
static int
scan_string(const char *src, size_t len, size_t *pp, int *escaped,
    struct tend_err *err)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t p = *pp + 1, n;
	unsigned u, u2;

	*escaped = 0;
	for (;;) {
		p += plain_run(s, p, len);
		if (p >= len)
			return fail(err, p, "unterminated string");
		if (s[p] == '"') {
			*pp = p + 1;
			return 0;
		}
		if (s[p] < 0x20)
			return fail(err, p, s[p] == 0 ? "NUL byte in string" :
			    "unescaped control character in string");
		if (s[p] >= 0x80) {
			if ((n = utf8_seq(s + p, len - p)) == 0)
				return fail(err, p, "invalid UTF-8");
			p += n;
			continue;
		}
		if (s[p] != '\\') {
			p++;
			continue;
		}
		*escaped = 1;
		if (p + 1 >= len)
			return fail(err, p, "unterminated string");
		switch (s[p + 1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			p += 2;
			continue;
		case 'u':
			break;
		default:
			return fail(err, p, "invalid escape in string");
		}
		if (p + 6 > len || hex4(src + p + 2, &u) < 0)
			return fail(err, p, "invalid \\u escape");
		p += 6;
		if (u >= 0xdc00 && u <= 0xdfff)
			return fail(err, p - 6, "lone low surrogate escape");
		if (u >= 0xd800 && u <= 0xdbff) {
			if (p + 6 > len || s[p] != '\\' || s[p + 1] != 'u' ||
			    hex4(src + p + 2, &u2) < 0 || u2 < 0xdc00 ||
			    u2 > 0xdfff)
				return fail(err, p - 6,
				    "lone high surrogate escape");
			p += 6;
		}
	}
}

static int
scan_number(const char *s, size_t len, size_t *pp, struct tend_err *err)
{
	size_t p = *pp, start = p;

	if (s[p] == '-')
		p++;
	if (p >= len || s[p] < '0' || s[p] > '9')
		return fail(err, start, "invalid number");
	if (s[p] == '0') {
		p++;
		if (p < len && s[p] >= '0' && s[p] <= '9')
			return fail(err, start, "leading zero in number");
	} else
		while (p < len && s[p] >= '0' && s[p] <= '9')
			p++;
	if (p < len && s[p] == '.') {
		p++;
		if (p >= len || s[p] < '0' || s[p] > '9')
			return fail(err, start, "no digits after decimal point");
		while (p < len && s[p] >= '0' && s[p] <= '9')
			p++;
	}
	if (p < len && (s[p] == 'e' || s[p] == 'E')) {
		p++;
		if (p < len && (s[p] == '+' || s[p] == '-'))
			p++;
		if (p >= len || s[p] < '0' || s[p] > '9')
			return fail(err, start, "no digits in exponent");
		while (p < len && s[p] >= '0' && s[p] <= '9')
			p++;
	}
	*pp = p;
	return 0;
}

static uint32_t
newtok(struct json_doc *d, uint32_t type, size_t off)
{
	struct json_tok *t;

	if (d->ntok == d->cap) {
		if (d->cap >= UINT32_MAX / 2)
			BUG("json token count overflow");
		d->cap = d->cap ? d->cap * 2 : 256;
		d->tok = xreallocarray(d->tok, d->cap, sizeof(*d->tok));
	}
	t = &d->tok[d->ntok];
	t->type = type;
	t->escaped = 0;
	t->size = 0;
	t->off = off;
	t->len = 0;
	t->end = d->ntok + 1;
	return d->ntok++;
}

static inline size_t
skip_ws(const char *s, size_t len, size_t p)
{
	while (p < len && (s[p] == ' ' || s[p] == '\n' || s[p] == '\r' ||
	    s[p] == '\t'))
		p++;
	return p;
}

static int
parse_key(struct json_doc *d, size_t *pp, struct tend_err *err)
{
	const char *s = d->src;
	size_t p = *pp, start;
	uint32_t k;
	int esc;

	if (p >= d->srclen || s[p] != '"')
		return fail(err, p, "expected a string key");
	start = p;
	if (scan_string(s, d->srclen, &p, &esc, err) < 0)
		return -1;
	k = newtok(d, JSON_STRING, start + 1);
	d->tok[k].len = p - start - 2;
	d->tok[k].escaped = (uint32_t)esc;
	p = skip_ws(s, d->srclen, p);
	if (p >= d->srclen || s[p] != ':')
		return fail(err, p, "expected ':' after key");
	*pp = skip_ws(s, d->srclen, p + 1);
	return 0;
}

int
json_parse(struct json_doc *d, const char *s, size_t len, struct tend_err *err)
{
	size_t p, start;
	uint32_t depth = 0, t, top;
	int esc;

	d->src = s;
	d->srclen = len;
	d->ntok = 0;
	if (d->stack == NULL) {
		d->stackcap = JSON_MAX_DEPTH;
		d->stack = xreallocarray(NULL, d->stackcap, sizeof(*d->stack));
	}
	p = skip_ws(s, len, 0);
	if (p >= len)
		return fail(err, p, "empty input, expected a value");

value:
	if (p >= len)
		return fail(err, p, "unexpected end of input");
	start = p;
	switch (s[p]) {
	case '{':
	case '[':
		if (depth >= JSON_MAX_DEPTH)
			return fail(err, p, "nesting too deep");
		t = newtok(d, s[p] == '{' ? JSON_OBJECT : JSON_ARRAY, p);
		d->stack[depth++] = t;
		p = skip_ws(s, len, p + 1);
		if (p < len && s[p] == (s[start] == '{' ? '}' : ']'))
			goto close;
		if (s[start] == '{') {
			if (parse_key(d, &p, err) < 0)
				return -1;
		}
		goto value;
	case '"':
		if (scan_string(s, len, &p, &esc, err) < 0)
			return -1;
		t = newtok(d, JSON_STRING, start + 1);
		d->tok[t].len = p - start - 2;
		d->tok[t].escaped = (uint32_t)esc;
		break;
	case 't':
		if (len - p < 4 || memcmp(s + p, "true", 4) != 0)
			return fail(err, p, "invalid literal");
		t = newtok(d, JSON_TRUE, p);
		p += 4;
		d->tok[t].len = 4;
		break;
	case 'f':
		if (len - p < 5 || memcmp(s + p, "false", 5) != 0)
			return fail(err, p, "invalid literal");
		t = newtok(d, JSON_FALSE, p);
		p += 5;
		d->tok[t].len = 5;
		break;
	case 'n':
		if (len - p < 4 || memcmp(s + p, "null", 4) != 0)
			return fail(err, p, "invalid literal");
		t = newtok(d, JSON_NULL, p);
		p += 4;
		d->tok[t].len = 4;
		break;
	case '-': case '0': case '1': case '2': case '3': case '4': case '5':
	case '6': case '7': case '8': case '9':
		if (scan_number(s, len, &p, err) < 0)
			return -1;
		t = newtok(d, JSON_NUMBER, start);
		d->tok[t].len = p - start;
		break;
	default:
		if (s[p] == '\0')
			return fail(err, p, "NUL byte");
		if ((unsigned char)s[p] >= 0x80 &&
		    utf8_seq((const unsigned char *)s + p, len - p) == 0)
			return fail(err, p, "invalid UTF-8");
		return fail(err, p, "expected a value");
	}

after:
	if (depth == 0) {
		p = skip_ws(s, len, p);
		if (p != len)
			return fail(err, p, s[p] == '\0' ? "NUL byte after value" :
			    "trailing data after value");
		return 0;
	}
	top = d->stack[depth - 1];
	d->tok[top].size++;
	p = skip_ws(s, len, p);
	if (p >= len)
		return fail(err, p, "unexpected end of input");
	if (s[p] == ',') {
		p = skip_ws(s, len, p + 1);
		if (d->tok[top].type == JSON_OBJECT &&
		    parse_key(d, &p, err) < 0)
			return -1;
		goto value;
	}
	if (s[p] != (d->tok[top].type == JSON_OBJECT ? '}' : ']'))
		return fail(err, p, d->tok[top].type == JSON_OBJECT ?
		    "expected ',' or '}'" : "expected ',' or ']'");
close:
	top = d->stack[--depth];
	d->tok[top].end = d->ntok;
	d->tok[top].len = p + 1 - d->tok[top].off;
	p++;
	goto after;
}

int64_t
json_obj_get(const struct json_doc *d, uint32_t obj, const char *key)
{
	uint32_t i, end;
	size_t klen = strlen(key);

	if (d->tok[obj].type != JSON_OBJECT)
		return -1;
	end = d->tok[obj].end;
	for (i = obj + 1; i < end; i = d->tok[i + 1].end) {
		const struct json_tok *k = &d->tok[i];

		if (k->escaped ? json_str_eq(d, i, key) :
		    (k->len == klen && memcmp(d->src + k->off, key, klen) == 0))
			return i + 1;
	}
	return -1;
}

int64_t
json_arr_at(const struct json_doc *d, uint32_t arr, uint32_t n)
{
	uint32_t i, end;

	if (d->tok[arr].type != JSON_ARRAY || n >= d->tok[arr].size)
		return -1;
	end = d->tok[arr].end;
	for (i = arr + 1; i < end && n > 0; i = d->tok[i].end)
		n--;
	return i;
}

static void
put_utf8(struct buf *out, unsigned cp)
{
	char b[4];

	if (cp < 0x80) {
		buf_addc(out, (char)cp);
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		buf_add(out, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		buf_add(out, b, 3);
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		buf_add(out, b, 4);
	}
}

void
json_str_decode(const struct json_doc *d, uint32_t i, struct buf *out)
{
	const char *s = d->src + d->tok[i].off;
	size_t n = d->tok[i].len, p = 0, run = 0;
	unsigned u, u2;

	if (!d->tok[i].escaped) {
		buf_add(out, s, n);
		return;
	}
	while (p < n) {
		if (s[p] != '\\') {
			p++;
			continue;
		}
		buf_add(out, s + run, p - run);
		switch (s[p + 1]) {
		case 'b': buf_addc(out, '\b'); break;
		case 'f': buf_addc(out, '\f'); break;
		case 'n': buf_addc(out, '\n'); break;
		case 'r': buf_addc(out, '\r'); break;
		case 't': buf_addc(out, '\t'); break;
		case 'u':
			hex4(s + p + 2, &u);
			if (u >= 0xd800 && u <= 0xdbff) {
				hex4(s + p + 8, &u2);
				u = 0x10000 + ((u - 0xd800) << 10) + (u2 - 0xdc00);
				p += 6;
			}
			put_utf8(out, u);
			p += 4;
			break;
		default: buf_addc(out, s[p + 1]); break;
		}
		p += 2;
		run = p;
	}
	buf_add(out, s + run, n - run);
}

int
json_str_eq(const struct json_doc *d, uint32_t i, const char *str)
{
	const struct json_tok *t = &d->tok[i];
	struct buf b = BUF_INIT;
	int eq;

	if (t->type != JSON_STRING)
		return 0;
	if (!t->escaped)
		return t->len == strlen(str) &&
		    memcmp(d->src + t->off, str, t->len) == 0;
	json_str_decode(d, i, &b);
	eq = b.len == strlen(str) && memcmp(b.p, str, b.len) == 0;
	buf_release(&b);
	return eq;
}

const char *
json_raw(const struct json_doc *d, uint32_t i, size_t *len)
{
	const struct json_tok *t = &d->tok[i];

	if (t->type == JSON_STRING) {
		*len = t->len + 2;
		return d->src + t->off - 1;
	}
	*len = t->len;
	return d->src + t->off;
}

double
json_num(const struct json_doc *d, uint32_t i)
{
	char tmp[64], *big = NULL;
	const struct json_tok *t = &d->tok[i];
	double v;

	/* The literal is not NUL-terminated in src. */
	if (t->len < sizeof(tmp)) {
		memcpy(tmp, d->src + t->off, t->len);
		tmp[t->len] = '\0';
		return strtod(tmp, NULL);
	}
	big = xstrndup(d->src + t->off, t->len);
	v = strtod(big, NULL);
	free(big);
	return v;
}

int
json_int(const struct json_doc *d, uint32_t i, int64_t *out)
{
	const struct json_tok *t = &d->tok[i];
	const char *s = d->src + t->off;
	uint64_t v = 0, lim;
	size_t p = 0;
	int neg = 0;

	if (t->type != JSON_NUMBER)
		return -1;
	if (s[0] == '-') {
		neg = 1;
		p = 1;
	}
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; p < t->len; p++) {
		unsigned dgt;

		if (s[p] < '0' || s[p] > '9')
			return -1;
		dgt = (unsigned)(s[p] - '0');
		if (v > (lim - dgt) / 10)
			return -1;
		v = v * 10 + dgt;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}
