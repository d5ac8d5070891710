/*
 * data.c: --data NAME=FILE lookups, loaded once and bound as $NAME.
 *
 * FILE ending .yaml or .yml is YAML (yaml2json: one document is the
 * value, several an array of them); .ndjson or .jsonl is NDJSON (an array
 * of its lines' values); anything else is one JSON text, or NDJSON when
 * it is not one JSON text but every non-empty line is.  JSON is checked
 * strictly (json.h), as events are.
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#include "plan.h"
#include "xmalloc.h"
#include "yaml2json.h"

int
err_prefix(struct tend_err *err, int code, const char *fmt, ...)
{
	char pre[sizeof(err->msg)];
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	buf_addf(&b, "%s: %s", pre, err->msg);
	strlcpy(err->msg, b.p, sizeof(err->msg));
	buf_release(&b);
	if (code != 0)
		err->code = code;
	return -1;
}

int
read_file(const char *path, struct buf *out, struct tend_err *err)
{
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return tend_err_sys(err, "cannot open '%s'", path);
	for (;;) {
		buf_grow(out, 65536);
		n = read(fd, out->p + out->len, out->cap - out->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			tend_err_sys(err, "cannot read '%s'", path);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->p[out->len] = '\0';
	}
	close(fd);
	if (out->p == NULL)
		buf_adds(out, "");
	return 0;
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && strcmp(s + n - m, suf) == 0;
}

/* NDJSON in src to a JSON array in out; -1 with err naming the line. */
static int
ndjson_array(const char *path, const char *src, size_t len, struct buf *out,
    struct tend_err *err)
{
	struct json_doc d;
	const char *p = src, *end = src + len, *nl;
	size_t lineno = 0, n = 0, l;
	int rc = 0;

	json_doc_init(&d);
	buf_addc(out, '[');
	while (p < end && rc == 0) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		lineno++;
		if (l > 0 && p[l - 1] == '\r')
			l--;
		if (strspn(p, " \t\r") < l) {
			if (json_parse(&d, p, l, err) < 0) {
				rc = err_prefix(err, TEND_EXIT_INPUT,
				    "%s:%zu", path, lineno);
				break;
			}
			if (n++ > 0)
				buf_addc(out, ',');
			buf_add(out, p, l);
		}
		p = nl != NULL ? nl + 1 : end;
	}
	buf_addc(out, ']');
	json_doc_release(&d);
	return rc;
}

struct ydocs {
	struct buf *out;
	size_t	 n;
};

static int
ydoc(void *ctx, const char *json, size_t len, size_t line)
{
	struct ydocs *y = ctx;

	(void)line;
	if (y->n++ > 0)
		buf_addc(y->out, ',');
	buf_add(y->out, json, len);
	return 0;
}

static int
yaml_value(const char *path, const char *src, size_t len, struct buf *out,
    struct tend_err *err)
{
	struct buf docs = BUF_INIT;
	struct ydocs y = { &docs, 0 };
	size_t line = 0;

	if (yaml2json(src, len, NULL, ydoc, &y, &line, err) < 0) {
		buf_release(&docs);
		return err_prefix(err, TEND_EXIT_INPUT, "%s:%zu", path,
		    line);
	}
	if (y.n == 1)
		buf_add(out, docs.p, docs.len);
	else {
		buf_addc(out, '[');
		if (docs.len > 0)
			buf_add(out, docs.p, docs.len);
		buf_addc(out, ']');
	}
	buf_release(&docs);
	return 0;
}

int
data_load(struct dataval *v, const char *arg, struct tend_err *err)
{
	const char *eq = strchr(arg, '='), *path, *c;
	struct buf raw = BUF_INIT;
	struct json_doc d;
	int rc = 0;

	if (eq == NULL || eq == arg)
		return tend_err_set(err, TEND_EXIT_USAGE, "--data '%s': "
		    "expected NAME=FILE", arg);
	for (c = arg; c < eq; c++)
		if (!(*c == '_' || (*c >= 'a' && *c <= 'z') ||
		    (*c >= 'A' && *c <= 'Z') ||
		    (c > arg && *c >= '0' && *c <= '9')))
			return tend_err_set(err, TEND_EXIT_USAGE, "--data "
			    "'%s': NAME must be a jq variable name", arg);
	v->name = xstrndup(arg, (size_t)(eq - arg));
	if (strcmp(v->name, "now") == 0 || strcmp(v->name, "skill") == 0 ||
	    strcmp(v->name, "state") == 0 || strcmp(v->name, "ENV") == 0 ||
	    strcmp(v->name, "__loc__") == 0)
		return tend_err_set(err, TEND_EXIT_USAGE, "--data %s: the "
		    "name $%s is reserved", arg, v->name);
	path = eq + 1;
	buf_init(&v->json);
	if (read_file(path, &raw, err) < 0)
		return -1;
	json_doc_init(&d);
	if (has_suffix(path, ".yaml") || has_suffix(path, ".yml")) {
		rc = yaml_value(path, raw.p, raw.len, &v->json, err);
	} else if (has_suffix(path, ".ndjson") || has_suffix(path, ".jsonl")) {
		rc = ndjson_array(path, raw.p, raw.len, &v->json, err);
	} else if (json_parse(&d, raw.p, raw.len, err) == 0) {
		buf_add(&v->json, raw.p, raw.len);
	} else {
		struct tend_err first = *err;

		buf_reset(&v->json);
		if (memchr(raw.p, '\n', raw.len) == NULL ||
		    ndjson_array(path, raw.p, raw.len, &v->json, err) < 0) {
			*err = first;
			rc = err_prefix(err, TEND_EXIT_INPUT, "%s", path);
		}
	}
	json_doc_release(&d);
	buf_release(&raw);
	return rc;
}
