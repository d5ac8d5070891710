/*
 * walk.c: writing JSON out of the input's token tape, and the secret
 * handling every provider shares: URL passwords in any string, and the
 * values of secret-named environment variables.
 */
#include "compat.h"

#include <sodium.h>

#include "norm.h"
#include "xmalloc.h"

void
jw_open(struct jw *w, struct buf *b, char c)
{
	w->b = b;
	w->n = 0;
	buf_addc(b, c);
}

void
jw_close(struct jw *w, char c)
{
	buf_addc(w->b, c);
}

void
jw_sep(struct jw *w)
{
	if (w->n++ > 0)
		buf_addc(w->b, ',');
}

void
jw_key(struct jw *w, const struct json_doc *d, uint32_t k)
{
	size_t len;
	const char *raw = json_raw(d, k, &len);

	jw_sep(w);
	buf_add(w->b, raw, len);
	buf_addc(w->b, ':');
}

void
jw_lit(struct jw *w, const char *key)
{
	jw_sep(w);
	buf_addc(w->b, '"');
	buf_adds(w->b, key);
	buf_add(w->b, "\":", 2);
}

struct jw_mark
jw_mark(const struct jw *w)
{
	struct jw_mark m = { w->b->len, w->n };

	return m;
}

void
jw_undo(struct jw *w, struct jw_mark m)
{
	w->b->len = m.len;
	w->b->p[m.len] = '\0';
	w->n = m.n;
}

void
members_add(struct buf *b, size_t *n, const char *key, size_t keylen,
    const char *val, size_t vallen)
{
	if ((*n)++ > 0)
		buf_addc(b, ',');
	buf_add_json_str(b, key, keylen);
	buf_addc(b, ':');
	buf_add(b, val, vallen);
}

int
key_is(const struct json_doc *d, uint32_t k, const char *s, size_t n)
{
	const struct json_tok *t = &d->tok[k];
	struct buf b = BUF_INIT;
	int eq;

	if (!t->escaped)
		return t->len == n && memcmp(d->src + t->off, s, n) == 0;
	json_str_decode(d, k, &b);
	eq = b.len == n && memcmp(b.p, s, n) == 0;
	buf_release(&b);
	return eq;
}

const char *
key_name(const struct json_doc *d, uint32_t k, char buf[KEY_NAME_MAX],
    size_t *len)
{
	const struct json_tok *t = &d->tok[k];
	struct buf b = BUF_INIT;
	const char *rc = NULL;

	if (!t->escaped) {
		*len = t->len;
		return d->src + t->off;
	}
	json_str_decode(d, k, &b);
	if (b.len <= KEY_NAME_MAX) {
		memcpy(buf, b.p, b.len);
		*len = b.len;
		rc = buf;
	}
	buf_release(&b);
	return rc;
}

int
str_is(const struct json_doc *d, uint32_t i, const char *s, size_t n)
{
	return d->tok[i].type == JSON_STRING && key_is(d, i, s, n);
}

int64_t
obj_get(const struct json_doc *d, int64_t o, const char *key)
{
	if (o < 0 || d->tok[o].type != JSON_OBJECT)
		return -1;
	return json_obj_get(d, (uint32_t)o, key);
}

/* Each use wipes what it decoded, so the length in use is enough. */
void
norm_wipe(struct norm *n)
{
	if (n->clear.len > 0)
		sodium_memzero(n->clear.p, n->clear.len);
	n->clear.len = 0;
}

void
norm_string(struct norm *n, uint32_t i, struct buf *out)
{
	const struct json_doc *d = n->d;
	const struct json_tok *t = &d->tok[i];
	const char *s = d->src + t->off;
	size_t off, len;

	if (!t->escaped) {
		/* The raw bytes are the text and need no escaping. */
		if (t->len < 3 || !tokenize_url_find(s, t->len, 0, &off,
		    &len)) {
			buf_add(out, s - 1, t->len + 2);
			return;
		}
		buf_addc(out, '"');
		tokenizer_urls(&n->tk, s, t->len, out);
		buf_addc(out, '"');
		return;
	}
	n->clear.len = 0;
	json_str_decode(d, i, &n->clear);
	if (!tokenize_url_find(n->clear.p, n->clear.len, 0, &off, &len)) {
		buf_add(out, s - 1, t->len + 2);
	} else {
		n->tmp2.len = 0;
		tokenizer_urls(&n->tk, n->clear.p, n->clear.len, &n->tmp2);
		buf_add_json_str(out, n->tmp2.p, n->tmp2.len);
		sodium_memzero(n->tmp2.p, n->tmp2.len);
	}
	norm_wipe(n);
}

void
norm_secret_bytes(struct norm *n, const void *p, size_t len,
    struct buf *out)
{
	buf_addc(out, '"');
	tokenizer_token(&n->tk, p, len, out);
	buf_addc(out, '"');
}

void
norm_secret(struct norm *n, uint32_t i, struct buf *out)
{
	const struct json_doc *d = n->d;
	const struct json_tok *t = &d->tok[i];
	const char *raw;
	size_t len;

	if (t->type == JSON_STRING && !t->escaped) {
		norm_secret_bytes(n, d->src + t->off, t->len, out);
		return;
	}
	n->clear.len = 0;
	if (t->type == JSON_STRING) {
		json_str_decode(d, i, &n->clear);
	} else {
		raw = json_raw(d, i, &len);
		buf_add(&n->clear, raw, len);
	}
	norm_secret_bytes(n, n->clear.p, n->clear.len, out);
	norm_wipe(n);
}

void
norm_copy(struct norm *n, uint32_t i, const char *pk, size_t pkl,
    struct buf *out)
{
	char kb[KEY_NAME_MAX];
	const struct json_doc *d = n->d;
	const struct json_tok *t = &d->tok[i];
	struct jw w;
	uint32_t j, end = t->end;
	const char *k;
	size_t kl, len;

	switch (t->type) {
	case JSON_STRING:
		norm_string(n, i, out);
		return;
	case JSON_ARRAY:
		jw_open(&w, out, '[');
		for (j = i + 1; j < end; j = d->tok[j].end) {
			jw_sep(&w);
			norm_copy(n, j, pk, pkl, out);
		}
		jw_close(&w, ']');
		return;
	case JSON_OBJECT:
		jw_open(&w, out, '{');
		for (j = i + 1; j < end; j = d->tok[j + 1].end) {
			jw_key(&w, d, j);
			if ((k = key_name(d, j, kb, &kl)) != NULL &&
			    norm_is_env(k, kl))
				norm_env(n, j + 1, norm_copy, out);
			else
				norm_copy(n, j + 1, k, k != NULL ? kl : 0,
				    out);
		}
		jw_close(&w, '}');
		return;
	default:
		k = json_raw(d, i, &len);
		buf_add(out, k, len);
		return;
	}
}

int
norm_is_env(const char *pk, size_t pkl)
{
	return (pkl == 3 && strncasecmp(pk, "env", 3) == 0) ||
	    (pkl == 11 && strncasecmp(pk, "environment", 11) == 0);
}

int
norm_name_secret(struct norm *n, const char *name, size_t len)
{
	struct name_memo *m;
	uint32_t h = 2166136261u;
	size_t i;

	if (len == 0 || len > sizeof(m->name))
		return tokenizer_name_is_secret(&n->tk, name, len);
	if (n->memo == NULL)
		n->memo = xcalloc(NAME_MEMO_SLOTS, sizeof(*n->memo));
	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	m = &n->memo[h & (NAME_MEMO_SLOTS - 1)];
	if (m->len != len || memcmp(m->name, name, len) != 0) {
		m->len = (uint8_t)len;
		memcpy(m->name, name, len);
		m->secret = (uint8_t)tokenizer_name_is_secret(&n->tk, name,
		    len);
	}
	return m->secret;
}

/* 1 if string token i (a name) is a secret's. */
static int
name_secret(struct norm *n, uint32_t i)
{
	const struct json_doc *d = n->d;
	const struct json_tok *t = &d->tok[i];

	if (!t->escaped)
		return norm_name_secret(n, d->src + t->off, t->len);
	n->tmp.len = 0;
	json_str_decode(d, i, &n->tmp);
	return norm_name_secret(n, n->tmp.p, n->tmp.len);
}

/* {"name": N, "value": V, ...}: V a token when N is a secret's name. */
static void
env_entry(struct norm *n, uint32_t e, norm_copy_fn *copy, struct buf *out)
{
	char kb[KEY_NAME_MAX];
	const struct json_doc *d = n->d;
	int64_t name = json_obj_get(d, e, "name");
	int secret;
	struct jw w;
	uint32_t j;
	const char *k;
	size_t kl;

	secret = name >= 0 && d->tok[name].type == JSON_STRING &&
	    name_secret(n, (uint32_t)name);
	jw_open(&w, out, '{');
	for (j = e + 1; j < d->tok[e].end; j = d->tok[j + 1].end) {
		jw_key(&w, d, j);
		k = key_name(d, j, kb, &kl);
		if (secret && KEY_IS(d, j, "value"))
			norm_secret(n, j + 1, out);
		else
			copy(n, j + 1, k, k != NULL ? kl : 0, out);
	}
	jw_close(&w, '}');
}

/* "NAME=value": the value a token when NAME is a secret's name. */
static void
env_string(struct norm *n, uint32_t e, struct buf *out)
{
	const struct json_doc *d = n->d;
	const char *eq;
	size_t namelen;

	n->clear.len = 0;
	json_str_decode(d, e, &n->clear);
	eq = memchr(n->clear.p, '=', n->clear.len);
	if (eq == NULL) {
		norm_wipe(n);
		norm_string(n, e, out);
		return;
	}
	namelen = (size_t)(eq - n->clear.p);
	if (!norm_name_secret(n, n->clear.p, namelen)) {
		norm_wipe(n);
		norm_string(n, e, out);
		return;
	}
	n->tmp2.len = 0;
	buf_add(&n->tmp2, n->clear.p, namelen + 1);
	tokenizer_token(&n->tk, eq + 1, n->clear.len - namelen - 1,
	    &n->tmp2);
	buf_add_json_str(out, n->tmp2.p, n->tmp2.len);
	norm_wipe(n);
}

void
norm_env(struct norm *n, uint32_t i, norm_copy_fn *copy, struct buf *out)
{
	char kb[KEY_NAME_MAX];
	const struct json_doc *d = n->d;
	const struct json_tok *t = &d->tok[i];
	struct jw w;
	uint32_t j;
	const char *k;
	size_t kl;

	switch (t->type) {
	case JSON_ARRAY:
		jw_open(&w, out, '[');
		for (j = i + 1; j < t->end; j = d->tok[j].end) {
			jw_sep(&w);
			if (d->tok[j].type == JSON_OBJECT)
				env_entry(n, j, copy, out);
			else if (d->tok[j].type == JSON_STRING)
				env_string(n, j, out);
			else
				copy(n, j, "env", 3, out);
		}
		jw_close(&w, ']');
		return;
	case JSON_OBJECT:
		jw_open(&w, out, '{');
		for (j = i + 1; j < t->end; j = d->tok[j + 1].end) {
			jw_key(&w, d, j);
			if (d->tok[j + 1].type != JSON_NULL &&
			    name_secret(n, j)) {
				norm_secret(n, j + 1, out);
				continue;
			}
			k = key_name(d, j, kb, &kl);
			copy(n, j + 1, k, k != NULL ? kl : 0, out);
		}
		jw_close(&w, '}');
		return;
	default:
		copy(n, i, "env", 3, out);
		return;
	}
}

void
norm_labels_from(struct norm *n, int64_t labels)
{
	const struct json_doc *d = n->d;
	uint32_t j;
	size_t len;
	const char *raw;

	n->labels = labels;
	if (labels < 0 || d->tok[labels].type != JSON_OBJECT)
		return;
	for (j = (uint32_t)labels + 1; j < d->tok[labels].end;
	    j = d->tok[j + 1].end) {
		if (d->tok[j + 1].type != JSON_STRING)
			continue;
		if (n->nlabels++ > 0)
			buf_addc(&n->labels_out, ',');
		raw = json_raw(d, j, &len);
		buf_add(&n->labels_out, raw, len);
		buf_addc(&n->labels_out, ':');
		norm_string(n, j + 1, &n->labels_out);
	}
}
