/*
 * util.c: the JSON, digest, diff and redaction helpers the parts of
 * tend-apply share.
 */
#include "compat.h"

#include <time.h>

#include <sodium.h>

#include "apply.h"
#include "jcs.h"
#include "xmalloc.h"

int64_t
apply_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
outcome_init(struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->retryable = -1;
}

void
outcome_release(struct outcome *o)
{
	buf_release(&o->result);
	buf_release(&o->error);
	outcome_init(o);
}

int64_t
obj_get(const struct json_doc *d, uint32_t obj, const char *key)
{
	if (d->tok[obj].type != JSON_OBJECT)
		return -1;
	return json_obj_get(d, obj, key);
}

int
obj_str(const struct json_doc *d, uint32_t obj, const char *key,
    struct buf *out)
{
	int64_t t = obj_get(d, obj, key);

	buf_reset(out);
	if (t < 0 || d->tok[t].type != JSON_STRING)
		return -1;
	json_str_decode(d, (uint32_t)t, out);
	if (out->p == NULL)
		buf_adds(out, "");
	return 0;
}

int
obj_seconds(const struct json_doc *d, uint32_t obj, const char *key,
    int64_t *ms)
{
	int64_t t = obj_get(d, obj, key);
	double v;

	if (t < 0)
		return 1;
	if (d->tok[t].type != JSON_NUMBER)
		return -1;
	v = json_num(d, (uint32_t)t);
	if (!(v > 0) || v > 86400.0 * 366)
		return -1;
	*ms = (int64_t)(v * 1000.0 + 0.5);
	if (*ms < 1)
		*ms = 1;
	return 0;
}

void
redact(struct buf *b, const struct secret *s, int cut)
{
	struct buf out = BUF_INIT;
	const char *p, *hit, *end;
	size_t k;

	if (s == NULL || s->p == NULL || s->len == 0 || b->len == 0)
		return;
	p = b->p;
	end = b->p + b->len;
	while ((hit = memmem(p, (size_t)(end - p), s->p, s->len)) != NULL) {
		buf_add(&out, p, (size_t)(hit - p));
		buf_adds(&out, APPLY_REDACTED);
		p = hit + s->len;
	}
	buf_add(&out, p, (size_t)(end - p));
	if (cut) {
		/* the longest tail that the secret starts with */
		for (k = s->len - 1 < out.len ? s->len - 1 : out.len; k > 0;
		    k--)
			if (memcmp(out.p + out.len - k, s->p, k) == 0) {
				out.len -= k;
				buf_adds(&out, APPLY_REDACTED);
				break;
			}
	}
	sodium_memzero(b->p, b->cap);
	buf_reset(b);
	buf_add(b, out.p != NULL ? out.p : "", out.len);
	sodium_memzero(out.p, out.cap);
	buf_release(&out);
}

/* Length of the longest prefix of p[0..len) that is at most max bytes and
   does not end inside a UTF-8 sequence. */
static size_t
cut_point(const unsigned char *p, size_t len, size_t max)
{
	size_t n = len, back = 0;

	if (len <= max)
		return len;
	n = max;
	/* step back over continuation bytes, then the lead byte too if the
	   sequence it starts does not fit */
	while (n > 0 && back < 4 && (p[n] & 0xc0) == 0x80) {
		n--;
		back++;
	}
	return n;
}

void
add_text(struct buf *json, const char *p, size_t len, size_t max)
{
	struct buf clean = BUF_INIT;
	const unsigned char *u = (const unsigned char *)p;
	size_t n = cut_point(u, len, max), i = 0, bad;

	while (i < n) {
		if (utf8_valid(u + i, n - i, &bad) == 0) {
			buf_add(&clean, p + i, n - i);
			break;
		}
		buf_add(&clean, p + i, bad);
		buf_adds(&clean, "\xef\xbf\xbd");
		i += bad + 1;
	}
	buf_add_json_str(json, clean.p != NULL ? clean.p : "", clean.len);
	buf_release(&clean);
}

void
digests_of(struct digests *ds, const char *p, size_t len)
{
	struct json_doc d;
	struct tend_err err = { 0 };
	int64_t spec;

	ds->n = 0;
	buf_reset(&ds->body);
	buf_add(&ds->body, p, len);
	crypto_hash_sha256(ds->d[ds->n++], (const unsigned char *)p, len);
	json_doc_init(&d);
	if (json_parse(&d, p, len, &err) == 0) {
		if (jcs_digest(&d, 0, ds->d[ds->n], &err) == 0)
			ds->n++;
		spec = obj_get(&d, 0, "spec");
		if (spec >= 0 && jcs_digest(&d, (uint32_t)spec, ds->d[ds->n],
		    &err) == 0)
			ds->n++;
	}
	json_doc_release(&d);
}

void
digest_add(struct buf *b, const unsigned char d[32])
{
	buf_adds(b, "sha256:");
	buf_add_hex(b, d, 32);
}

int
digests_match(const struct digests *ds, const char *want)
{
	struct buf b = BUF_INIT;
	int i, hit = 0;

	for (i = 0; i < ds->n && !hit; i++) {
		buf_reset(&b);
		digest_add(&b, ds->d[i]);
		hit = strcmp(b.p, want) == 0;
	}
	buf_release(&b);
	return hit;
}

/* Line starts of s[0..len): *n lines (a last line without "\n" counts). */
static size_t *
lines_of(const char *s, size_t len, size_t *n)
{
	size_t *v = NULL, cap = 0, i;

	*n = 0;
	for (i = 0; i < len; i++) {
		if (i == 0 || s[i - 1] == '\n') {
			if (*n + 2 > cap) {
				cap = cap ? cap * 2 : 64;
				v = xreallocarray(v, cap, sizeof(*v));
			}
			v[(*n)++] = i;
		}
	}
	if (v == NULL)
		v = xcalloc(1, sizeof(*v));
	v[*n] = len;
	return v;
}

static int
line_eq(const char *a, const size_t *la, size_t i, const char *b,
    const size_t *lb, size_t j)
{
	size_t na = la[i + 1] - la[i], nb = lb[j + 1] - lb[j];

	return na == nb && memcmp(a + la[i], b + lb[j], na) == 0;
}

static void
diff_line(struct buf *out, char tag, const char *s, const size_t *l,
    size_t i)
{
	size_t n = l[i + 1] - l[i];

	buf_addc(out, tag);
	buf_add(out, s + l[i], n);
	if (n == 0 || s[l[i] + n - 1] != '\n')
		buf_adds(out, "\n\\ No newline at end of file\n");
}

void
text_diff(struct buf *out, const char *name, const char *a, size_t alen,
    const char *b, size_t blen)
{
	size_t na, nb, pre = 0, suf = 0, i, c0, ea, eb;
	size_t *la = lines_of(a, alen, &na), *lb = lines_of(b, blen, &nb);

	while (pre < na && pre < nb && line_eq(a, la, pre, b, lb, pre))
		pre++;
	while (suf < na - pre && suf < nb - pre &&
	    line_eq(a, la, na - 1 - suf, b, lb, nb - 1 - suf))
		suf++;
	if (pre == na && pre == nb) {
		free(la);
		free(lb);
		return;
	}
	c0 = pre > 3 ? pre - 3 : 0;
	ea = na - suf + (suf > 3 ? 3 : suf);
	eb = nb - suf + (suf > 3 ? 3 : suf);
	buf_addf(out, "--- %s\n+++ %s\n", name, name);
	buf_addf(out, "@@ -%zu,%zu +%zu,%zu @@\n", ea - c0 ? c0 + 1 : c0,
	    ea - c0, eb - c0 ? c0 + 1 : c0, eb - c0);
	for (i = c0; i < pre; i++)
		diff_line(out, ' ', a, la, i);
	for (i = pre; i < na - suf; i++)
		diff_line(out, '-', a, la, i);
	for (i = pre; i < nb - suf; i++)
		diff_line(out, '+', b, lb, i);
	for (i = na - suf; i < ea; i++)
		diff_line(out, ' ', a, la, i);
	free(la);
	free(lb);
}
