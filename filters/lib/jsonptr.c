/* RFC 6901 JSON Pointers; see jsonptr.h. */
#include "compat.h"

#include "jsonptr.h"

void
jsonptr_add(struct buf *ptr, const char *tok, size_t len)
{
	size_t i, run = 0;

	buf_addc(ptr, '/');
	for (i = 0; i < len; i++) {
		if (tok[i] != '~' && tok[i] != '/')
			continue;
		buf_add(ptr, tok + run, i - run);
		buf_adds(ptr, tok[i] == '~' ? "~0" : "~1");
		run = i + 1;
	}
	buf_add(ptr, tok + run, len - run);
}

void
jsonptr_add_index(struct buf *ptr, size_t i)
{
	buf_addf(ptr, "/%zu", i);
}

int
jsonptr_next(const char **pp, const char *end, struct buf *tok,
    struct tend_err *err)
{
	const char *p = *pp;

	buf_reset(tok);
	if (p == end)
		return 0;
	if (*p != '/')
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "JSON pointer does not start with '/'");
	for (p++; p < end && *p != '/'; p++) {
		if (*p != '~') {
			buf_addc(tok, *p);
			continue;
		}
		if (p + 1 == end || (p[1] != '0' && p[1] != '1'))
			return tend_err_set(err, TEND_EXIT_INPUT,
			    "JSON pointer has '~' not followed by 0 or 1");
		buf_addc(tok, p[1] == '0' ? '~' : '/');
		p++;
	}
	*pp = p;
	return 1;
}

int
jsonptr_check(const char *ptr, size_t len, struct tend_err *err)
{
	struct buf tok = BUF_INIT;
	const char *p = ptr, *end = ptr + len;
	int n;

	while ((n = jsonptr_next(&p, end, &tok, err)) > 0)
		;
	buf_release(&tok);
	return n;
}

int
jsonptr_index(const char *tok, size_t len, size_t *idx)
{
	size_t i, v = 0;

	if (len == 0 || (len > 1 && tok[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (tok[i] < '0' || tok[i] > '9')
			return -1;
		if (v > (SIZE_MAX - (size_t)(tok[i] - '0')) / 10)
			return -1;
		v = v * 10 + (size_t)(tok[i] - '0');
	}
	*idx = v;
	return 0;
}

int64_t
jsonptr_get(const struct json_doc *d, uint32_t root, const char *ptr,
    size_t len)
{
	struct buf tok = BUF_INIT;
	struct tend_err err;
	const char *p = ptr, *end = ptr + len;
	int64_t cur = root;
	size_t idx;
	int n;

	while ((n = jsonptr_next(&p, end, &tok, &err)) > 0) {
		const struct json_tok *t = &d->tok[cur];

		if (t->type == JSON_ARRAY) {
			if (jsonptr_index(tok.p, tok.len, &idx) < 0 ||
			    idx >= t->size) {
				cur = -1;
				break;
			}
			cur = json_arr_at(d, (uint32_t)cur, (uint32_t)idx);
		} else if (t->type == JSON_OBJECT) {
			uint32_t i, e = t->end;
			struct buf k = BUF_INIT;

			for (i = (uint32_t)cur + 1; i < e;
			    i = d->tok[i + 1].end) {
				buf_reset(&k);
				json_str_decode(d, i, &k);
				if (k.len == tok.len && (k.len == 0 ||
				    memcmp(k.p, tok.p, k.len) == 0))
					break;
			}
			buf_release(&k);
			cur = i < e ? (int64_t)i + 1 : -1;
		} else
			cur = -1;
		if (cur < 0)
			break;
	}
	buf_release(&tok);
	return n < 0 ? -1 : cur;
}

/* Length of the next token of a pointer text at p (p[0] == '/'). */
static size_t
toklen(const char *p, const char *end)
{
	const char *q;

	for (q = p + 1; q < end && *q != '/'; q++)
		;
	return (size_t)(q - p);
}

int
jsonptr_match(const char *pat, size_t patlen, const char *ptr, size_t len,
    int prefix)
{
	const char *pe = pat + patlen, *e = ptr + len;

	while (pat < pe && ptr < e) {
		size_t a, b;

		if (*pat != '/' || *ptr != '/')
			return 0;
		a = toklen(pat, pe);
		b = toklen(ptr, e);
		if (!(a == 2 && pat[1] == '*') &&
		    (a != b || memcmp(pat, ptr, a) != 0))
			return 0;
		pat += a;
		ptr += b;
	}
	if (pat < pe)
		return 0;
	return ptr == e || prefix;
}

int
jsonptr_from_path(const struct json_doc *d, uint32_t arr, struct buf *ptr,
    struct tend_err *err)
{
	struct buf k = BUF_INIT;
	uint32_t i, e;
	int64_t n;

	if (d->tok[arr].type != JSON_ARRAY)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "a jq path must be an array, not %s",
		    json_type_name(d->tok[arr].type));
	e = d->tok[arr].end;
	for (i = arr + 1; i < e; i = d->tok[i].end) {
		switch (d->tok[i].type) {
		case JSON_STRING:
			buf_reset(&k);
			json_str_decode(d, i, &k);
			jsonptr_add(ptr, k.p, k.len);
			break;
		case JSON_NUMBER:
			if (json_int(d, i, &n) == 0 && n >= 0) {
				jsonptr_add_index(ptr, (size_t)n);
				break;
			}
			/* FALLTHROUGH */
		default:
			buf_release(&k);
			return tend_err_set(err, TEND_EXIT_INPUT,
			    "a jq path element must be a key or an index >= 0, "
			    "not %s", json_type_name(d->tok[i].type));
		}
	}
	buf_release(&k);
	return 0;
}
