/*
 * Resources (tend.resource.state events) and the in-memory index of the
 * desired side: each line is copied once into large chunks, and a hash
 * table of entry numbers finds a key.  Memory is the lines plus about 80
 * bytes a resource.
 */
#include "compat.h"

#include <sys/mman.h>

#include "diff.h"
#include "jcs.h"
#include "xmalloc.h"

#define CHUNK_MIN	((size_t)1 << 20)
#define CHUNK_MAX	((size_t)64 << 20)

/* A chunk is mapped populated: one call instead of a fault per page,
   which costs more than the copy itself on some virtual machines. */
struct chunk {
	struct chunk *next;
	size_t	 size;
	char	 data[];
};

void
res_init(struct res *r)
{
	memset(r, 0, sizeof(*r));
	event_init(&r->ev);
}

void
res_release(struct res *r)
{
	event_release(&r->ev);
	buf_release(&r->key);
}

static int
digest_ok(const struct json_doc *d, int64_t t)
{
	const struct json_tok *k = &d->tok[t];
	const char *s = d->src + k->off;
	size_t i;

	if (k->type != JSON_STRING || k->escaped || k->len != 7 + 64 ||
	    memcmp(s, "sha256:", 7) != 0)
		return 0;
	for (i = 7; i < k->len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return 1;
}

int
res_parse(struct res *r, const char *line, size_t len, struct tend_err *err)
{
	const struct json_doc *d = &r->ev.doc;
	int64_t dig;

	if (len == 0)
		return tend_err_set(err, TEND_EXIT_INPUT, "empty line");
	if (event_parse(&r->ev, line, len, err) < 0)
		return -1;
	if (!event_attr_eq(&r->ev, r->ev.type, "tend.resource.state"))
		return 0;
	r->data = r->ev.data;
	if (r->data < 0 || d->tok[r->data].type != JSON_OBJECT)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "tend.resource.state without a data object");
	r->keytok = json_obj_get(d, (uint32_t)r->data, "key");
	if (r->keytok < 0)
		r->keytok = r->ev.subject;
	if (r->keytok < 0 || d->tok[r->keytok].type != JSON_STRING ||
	    d->tok[r->keytok].len == 0)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "tend.resource.state without a key");
	buf_reset(&r->key);
	json_str_decode(d, (uint32_t)r->keytok, &r->key);
	if (memchr(r->key.p, '\0', r->key.len) != NULL)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "the key holds a NUL character");
	r->spec = json_obj_get(d, (uint32_t)r->data, "spec");
	if (r->spec < 0)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "tend.resource.state without a spec");
	dig = json_obj_get(d, (uint32_t)r->data, "digest");
	if (dig >= 0) {
		if (!digest_ok(d, dig))
			return tend_err_set(err, TEND_EXIT_INPUT,
			    "digest is not sha256:<64 lowercase hex digits>");
		r->digest = d->src + d->tok[dig].off;
		r->digestlen = d->tok[dig].len;
	} else {
		unsigned char md[JCS_DIGEST_LEN];
		static const char hex[] = "0123456789abcdef";
		size_t i;

		if (jcs_digest(d, (uint32_t)r->spec, md, err) < 0)
			return -1;
		memcpy(r->digestbuf, "sha256:", 7);
		for (i = 0; i < JCS_DIGEST_LEN; i++) {
			r->digestbuf[7 + 2 * i] = hex[md[i] >> 4];
			r->digestbuf[8 + 2 * i] = hex[md[i] & 15];
		}
		r->digest = r->digestbuf;
		r->digestlen = 7 + 2 * JCS_DIGEST_LEN;
	}
	return 1;
}

int
res_member(const struct res *r, const char *name, struct buf *out)
{
	int64_t k = json_obj_get(&r->ev.doc, (uint32_t)r->data, name);

	if (k < 0 || r->ev.doc.tok[k].type != JSON_STRING)
		return -1;
	json_str_decode(&r->ev.doc, (uint32_t)k, out);
	return 0;
}

uint64_t
key_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

void
dindex_init(struct dindex *x)
{
	memset(x, 0, sizeof(*x));
}

void
dindex_release(struct dindex *x)
{
	struct chunk *c, *next;

	for (c = x->chunks; c != NULL; c = next) {
		next = c->next;
		munmap(c, c->size);
	}
	free(x->e);
	free(x->tab);
	dindex_init(x);
}

/* n bytes of chunk memory that live until release. */
static char *
dindex_alloc(struct dindex *x, size_t n)
{
	struct chunk *c;
	size_t size;
	char *p;

	if (n > x->left) {
		size = x->chunks == NULL ? CHUNK_MIN : x->chunks->size * 2;
		if (size > CHUNK_MAX)
			size = CHUNK_MAX;
		if (size < n + sizeof(*c))
			size = n + sizeof(*c);
		c = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE |
		    MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (c == MAP_FAILED)
			errx(TEND_EXIT_SYSTEM, "out of memory");
		c->size = size;
		c->next = x->chunks;
		x->chunks = c;
		x->cur = c->data;
		x->left = size - sizeof(*c);
	}
	p = x->cur;
	x->cur += n;
	x->left -= n;
	return p;
}

static void
dindex_grow(struct dindex *x)
{
	size_t cap = x->mask ? (x->mask + 1) * 2 : 1024, i, j;
	uint32_t *tab;

	if (cap > UINT32_MAX)
		BUG("index too large");
	tab = xcalloc(cap, sizeof(*tab));
	for (i = 0; i < x->n; i++) {
		for (j = x->e[i].hash & (cap - 1); tab[j] != 0;
		    j = (j + 1) & (cap - 1))
			;
		tab[j] = (uint32_t)i + 1;
	}
	free(x->tab);
	x->tab = tab;
	x->mask = cap - 1;
}

struct dent *
dindex_find(const struct dindex *x, const char *key, size_t keylen)
{
	uint64_t h = key_hash(key, keylen);
	size_t j;

	if (x->tab == NULL)
		return NULL;
	for (j = h & x->mask; x->tab[j] != 0; j = (j + 1) & x->mask) {
		struct dent *e = &x->e[x->tab[j] - 1];

		if (e->hash == h && e->keylen == keylen &&
		    memcmp(e->key, key, keylen) == 0)
			return e;
	}
	return NULL;
}

struct dent *
dindex_add(struct dindex *x, const struct res *r, size_t lineno, uint64_t off,
    struct dent **dup)
{
	const struct json_tok *kt = &r->ev.doc.tok[r->keytok];
	struct dent *e;
	size_t j;
	char *p = NULL;

	if ((*dup = dindex_find(x, r->key.p, r->key.len)) != NULL)
		return NULL;
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 1024;
		x->e = xreallocarray(x->e, x->cap, sizeof(*x->e));
	}
	if ((x->n + 1) * 2 > x->mask + 1 || x->tab == NULL)
		dindex_grow(x);
	e = &x->e[x->n];
	memset(e, 0, sizeof(*e));
	e->len = r->ev.len;
	e->off = off;
	if (off == DINDEX_COPY) {
		p = dindex_alloc(x, r->ev.len);
		memcpy(p, r->ev.line, r->ev.len);
		e->line = p;
	}
	if (p != NULL && !kt->escaped)
		e->key = p + kt->off;
	else {
		char *k = dindex_alloc(x, r->key.len);

		memcpy(k, r->key.p, r->key.len);
		e->key = k;
	}
	e->keylen = r->key.len;
	if (p != NULL && r->digest != r->digestbuf)
		e->digest = p + (r->digest - r->ev.line);
	else {
		char *dg = dindex_alloc(x, r->digestlen);

		memcpy(dg, r->digest, r->digestlen);
		e->digest = dg;
	}
	e->digestlen = r->digestlen;
	e->lineno = lineno;
	e->hash = key_hash(e->key, e->keylen);
	for (j = e->hash & x->mask; x->tab[j] != 0; j = (j + 1) & x->mask)
		;
	x->tab[j] = (uint32_t)x->n + 1;
	x->n++;
	return e;
}
