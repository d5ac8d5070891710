/*
 * jq programs, compiled once and run confined; see jqrun.h.
 *
 * Confinement works by lexical shadowing: after the program's module
 * directives (which jq requires first) we insert definitions that replace
 * the builtins a skill must not reach, and bind $ENV to {}.  jq resolves
 * names lexically, so the program cannot reach the shadowed builtins.
 * input/inputs fail because no input callback is set.
 *
 * A program that never ends cannot be interrupted inside libjq: tend
 * plan bounds each run with a watchdog (--timeout, plan.c).
 */
#include "compat.h"

#include <fcntl.h>
#include <unistd.h>
#include <jq.h>

#include "jcs.h"
#include "jqrun.h"
#include "xmalloc.h"

struct jqprog {
	jq_state *jq;
	char	*name;
	struct buf msg;		/* jq's error messages */
	long	 confine_line;	/* the line the confine prefix is on */
	long	 shift;		/* lines we added before the program's */
};

/* Goes on a line of its own; on_error takes that line back out of the
   line numbers jq reports. */
static const char confine[] =
    "def env: {}; def input_filename: null; def now: error(\"now is not "
    "available: use the run's time\"); def debug: .; def stderr: .; "
    "def input: error(\"input is not available\"); def inputs: "
    "error(\"inputs is not available\"); def halt: error(\"halt is not "
    "available\"); def halt_error: error(\"halt_error is not available\"); "
    "def halt_error(c): error(\"halt_error is not available\"); "
    "def get_search_list: []; {} as $ENV |\n";

/* Collects jq's messages, leaving out its closing "N compile errors". */
static void
on_error(void *ctx, jv msg)
{
	struct jqprog *p = ctx;

	if (jv_get_kind(msg) == JV_KIND_STRING) {
		const char *s = jv_string_value(msg);

		const char *at = strstr(s, ", line ");
		long line;
		char *end;

		if (strncmp(s, "jq: ", 4) == 0 && strstr(s, " compile error") !=
		    NULL)
			goto out;
		if (p->msg.len > 0)
			buf_adds(&p->msg, "; ");
		if (strncmp(s, "jq: error: ", 11) == 0)
			s += 11;
		/* Report the line as it is in the file: without ours, and
		   without jq's echo of the source line. */
		if (at != NULL && (line = strtol(at + 7, &end, 10)) > 0 &&
		    *end == ':') {
			buf_add(&p->msg, s, (size_t)(at - s));
			buf_addf(&p->msg, ", line %ld",
			    line > p->confine_line ? line - p->shift : line);
		} else
			buf_adds(&p->msg, s);
	} else {
		jv s = jv_dump_string(jv_copy(msg), 0);

		buf_adds(&p->msg, jv_string_value(s));
		jv_free(s);
	}
out:
	jv_free(msg);
}

static void
on_debug(void *ctx, jv msg)
{
	(void)ctx;
	jv_free(msg);
}

/* Skips blanks and # comments from p; returns the new position. */
static const char *
skip_blank(const char *p)
{
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p != '#')
			return p;
		while (*p != '\0' && *p != '\n')
			p++;
	}
}

static int
word_at(const char *p, const char *w)
{
	size_t n = strlen(w);

	return strncmp(p, w, n) == 0 &&
	    !(p[n] == '_' || (p[n] >= 'a' && p[n] <= 'z') ||
	    (p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= '0' && p[n] <= '9'));
}

/*
 * Whether the library file a skill imports as path (path.jq, or
 * path/BASE.jq as jq also tries) starts with an import or include of its
 * own.  libjq reads a library's directives itself, without the rewrite
 * below, and 1.6 would look for what it names in the process's current
 * directory first: outside the skill's folder.  So a skill's libraries
 * may not import; the skill's own program imports what it needs.
 */
static int
library_imports(const char *libdir, const char *path, size_t len)
{
	struct buf file = BUF_INIT, text = BUF_INIT;
	const char *base = path, *p;
	size_t i;
	int found = 0, k, fd;
	ssize_t n;
	char chunk[4096];

	for (i = 0; i < len; i++)
		if (path[i] == '/')
			base = path + i + 1;
	for (k = 0; k < 2 && !found; k++) {
		buf_reset(&file);
		buf_addf(&file, "%s/%.*s", libdir, (int)len, path);
		if (k == 1)
			buf_addf(&file, "/%.*s", (int)(path + len - base), base);
		buf_adds(&file, ".jq");
		if ((fd = open(file.p, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		buf_reset(&text);
		/* the directives come first: the head of the file is enough */
		while (text.len < (1u << 20) &&
		    (n = read(fd, chunk, sizeof(chunk))) > 0)
			buf_add(&text, chunk, (size_t)n);
		close(fd);
		buf_addc(&text, '\0');
		p = skip_blank(text.p);
		if (word_at(p, "module")) {
			while (*p != '\0' && *p != ';')
				p++;
			if (*p == ';')
				p = skip_blank(p + 1);
		}
		found = word_at(p, "import") || word_at(p, "include");
	}
	buf_release(&file);
	buf_release(&text);
	return found;
}

/*
 * Checks the module directives at the start of text, copying them to out,
 * and returns where they end, or NULL with err when one reaches outside
 * libdir.  jq 1.6 searches "." (the process's current directory) before
 * the library path for an import without a search path of its own, so
 * each import and include gets {search: "./"}, which jq resolves against
 * the program's origin (libdir); one that brings its own metadata is
 * refused.
 */
static const char *
directives_end(const char *text, const char *name, const char *libdir,
    struct buf *out, struct tend_err *err)
{
	const char *p = skip_blank(text), *q, *start = text;
	int meta;

	while (word_at(p, "import") || word_at(p, "include") ||
	    word_at(p, "module")) {
		int is_module = word_at(p, "module");

		q = p;
		while (*q != '\0' && *q != ';' && *q != '"')
			q++;
		if (*q == '"' && !is_module) {
			const char *path = q + 1, *e = strchr(path, '"');

			if (libdir == NULL)
				return tend_err_set(err, TEND_EXIT_INPUT,
				    "%s: imports are not allowed here", name),
				    NULL;
			if (e == NULL || path[0] == '/' || path[0] == '$' ||
			    memmem(path, (size_t)(e - path), "..", 2) != NULL ||
			    memchr(path, '\\', (size_t)(e - path)) != NULL)
				return tend_err_set(err, TEND_EXIT_INPUT,
				    "%s: import path must stay in the skill's "
				    "folder", name), NULL;
			if (library_imports(libdir, path, (size_t)(e - path)))
				return tend_err_set(err, TEND_EXIT_INPUT,
				    "%s: library '%.*s' imports another module; "
				    "a skill's libraries may not (libjq would look "
				    "in the current directory first): import it "
				    "from the skill", name, (int)(e - path), path),
				    NULL;
		}
		/* Skip to the directive's end, minding strings. */
		meta = 0;
		while (*q != '\0' && *q != ';') {
			if (*q == '"') {
				for (q++; *q != '\0' && *q != '"'; q++)
					if (*q == '\\' && q[1] != '\0')
						q++;
			} else if (*q == '{')
				meta = 1;
			if (*q != '\0')
				q++;
		}
		if (*q != ';')
			return tend_err_set(err, TEND_EXIT_INPUT,
			    "%s: unterminated module directive", name), NULL;
		if (!is_module && meta)
			return tend_err_set(err, TEND_EXIT_INPUT,
			    "%s: import metadata is not allowed here", name),
			    NULL;
		buf_add(out, start, (size_t)(q - start));
		if (!is_module)
			buf_adds(out, " {search: \"./\"}");
		start = q;
		p = skip_blank(q + 1);
	}
	buf_add(out, start, (size_t)(p - start));
	return p;
}

static jv
parse_value(const char *json, size_t len)
{
	return jv_parse_sized(json, (int)len);
}

/*
 * libjq 1.6 includes $HOME/.jq in every program it compiles, before the
 * program's own definitions: a user's file there would redefine builtins
 * (length, tostring...) under skills and policy rules, changing plans and
 * decisions with nothing in tend's input to show it.  The compiler reads
 * HOME only for that, so HOME is out of the environment meanwhile, and put
 * back after for whatever else reads it (kubeconfig, children).
 */
static int
compile_without_home(jq_state *jq, const char *text, jv args)
{
	const char *h = getenv("HOME");
	char *home = h != NULL ? xstrdup(h) : NULL;
	int ok;

	if (home != NULL && unsetenv("HOME") < 0)
		err(TEND_EXIT_SYSTEM, "unsetenv");
	ok = jq_compile_args(jq, text, args);
	if (home != NULL && setenv("HOME", home, 1) < 0)
		err(TEND_EXIT_SYSTEM, "setenv");
	free(home);
	return ok;
}

struct jqprog *
jqprog_compile(const char *text, const char *name, const char *libdir,
    const struct jqvar *vars, size_t nvars, struct tend_err *err)
{
	struct jqprog *p;
	struct buf src = BUF_INIT;
	const char *body;
	jv args;
	size_t i;

	if ((body = directives_end(text, name, libdir, &src, err)) == NULL) {
		buf_release(&src);
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->name = xstrdup(name);
	buf_init(&p->msg);
	if ((p->jq = jq_init()) == NULL) {
		tend_err_set(err, TEND_EXIT_SYSTEM, "%s: cannot start jq", name);
		buf_release(&src);
		jqprog_free(p);
		return NULL;
	}
	jq_set_error_cb(p->jq, on_error, p);
	jq_set_debug_cb(p->jq, on_debug, p);
	jq_set_attr(p->jq, jv_string("JQ_LIBRARY_PATH"), libdir != NULL ?
	    jv_array_append(jv_array(), jv_string(libdir)) : jv_array());
	/* The origin the {search: "./"} of directives_end resolves in. */
	if (libdir != NULL)
		jq_set_attr(p->jq, jv_string("PROGRAM_ORIGIN"),
		    jv_string(libdir));
	args = jv_object();
	for (i = 0; i < nvars; i++) {
		jv v = parse_value(vars[i].json, vars[i].len);

		if (!jv_is_valid(v)) {
			jv_free(v);
			jv_free(args);
			tend_err_set(err, TEND_EXIT_INPUT, "%s: $%s is not JSON",
			    name, vars[i].name);
			buf_release(&src);
			jqprog_free(p);
			return NULL;
		}
		args = jv_object_set(args, jv_string(vars[i].name), v);
	}
	p->confine_line = 1;
	p->shift = 1;
	for (i = 0; i < src.len; i++)
		p->confine_line += src.p[i] == '\n';
	if (src.len > 0 && src.p[src.len - 1] != '\n') {
		buf_addc(&src, '\n');
		p->confine_line++;
		p->shift++;
	}
	buf_adds(&src, confine);
	buf_adds(&src, body);
	if (!compile_without_home(p->jq, src.p, args)) {
		tend_err_set(err, TEND_EXIT_INPUT, "%s: %s", name,
		    p->msg.len ? p->msg.p : "does not compile");
		buf_release(&src);
		jqprog_free(p);
		return NULL;
	}
	buf_release(&src);
	return p;
}

/* Writes v as compact JSON; numbers in the JCS (ES6) form. */
static void
dump(jv v, struct buf *out)
{
	double d;
	int i, n;

	switch (jv_get_kind(v)) {
	case JV_KIND_NULL:
		buf_adds(out, "null");
		break;
	case JV_KIND_TRUE:
		buf_adds(out, "true");
		break;
	case JV_KIND_FALSE:
		buf_adds(out, "false");
		break;
	case JV_KIND_NUMBER:
		d = jv_number_value(v);
		if (d != d)
			buf_adds(out, "null");	/* as jq prints NaN */
		else if (d > 1.7976931348623157e308)
			buf_adds(out, "1.7976931348623157e+308");
		else if (d < -1.7976931348623157e308)
			buf_adds(out, "-1.7976931348623157e+308");
		else
			jcs_number(d, out);
		break;
	case JV_KIND_STRING:
		buf_add_json_str(out, jv_string_value(v),
		    (size_t)jv_string_length_bytes(jv_copy(v)));
		break;
	case JV_KIND_ARRAY:
		buf_addc(out, '[');
		n = jv_array_length(jv_copy(v));
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_addc(out, ',');
			dump(jv_array_get(jv_copy(v), i), out);
		}
		buf_addc(out, ']');
		break;
	case JV_KIND_OBJECT:
		buf_addc(out, '{');
		n = 0;
		jv_object_foreach(v, k, val) {
			if (n++ > 0)
				buf_addc(out, ',');
			buf_add_json_str(out, jv_string_value(k),
			    (size_t)jv_string_length_bytes(jv_copy(k)));
			buf_addc(out, ':');
			dump(val, out);
			jv_free(k);
		}
		buf_addc(out, '}');
		break;
	default:
		BUG("jv kind");
	}
	jv_free(v);
}

/* The value at token i of d as a jv; strings are decoded into scratch. */
static jv
from_tape(const struct json_doc *d, uint32_t i, struct buf *scratch)
{
	const struct json_tok *t = &d->tok[i];
	const char *s;
	uint32_t k, end;
	jv v;

	switch (t->type) {
	case JSON_NULL:
		return jv_null();
	case JSON_TRUE:
		return jv_true();
	case JSON_FALSE:
		return jv_false();
	case JSON_NUMBER:
		/* short integers directly; the rest through strtod */
		s = d->src + t->off;
		if (t->len <= 15) {
			size_t n = *s == '-', neg = n;
			double x = 0;

			for (; n < t->len && s[n] >= '0' && s[n] <= '9'; n++)
				x = x * 10 + (s[n] - '0');
			if (n == t->len && t->len > neg)
				return jv_number(neg ? -x : x);
		}
		return jv_number(json_num(d, i));
	case JSON_STRING:
		if (!t->escaped)
			return jv_string_sized(d->src + t->off, (int)t->len);
		buf_reset(scratch);
		json_str_decode(d, i, scratch);
		return jv_string_sized(scratch->len ? scratch->p : "",
		    (int)scratch->len);
	case JSON_ARRAY:
		v = jv_array_sized((int)t->size);
		for (k = i + 1, end = t->end; k < end; k = d->tok[k].end)
			v = jv_array_append(v, from_tape(d, k, scratch));
		return v;
	case JSON_OBJECT:
		v = jv_object();
		for (k = i + 1, end = t->end; k < end; k = d->tok[k + 1].end) {
			jv key;

			s = d->src + d->tok[k].off;
			if (!d->tok[k].escaped)
				key = jv_string_sized(s, (int)d->tok[k].len);
			else {
				buf_reset(scratch);
				json_str_decode(d, k, scratch);
				key = jv_string_sized(scratch->len ?
				    scratch->p : "", (int)scratch->len);
			}
			v = jv_object_set(v, key, from_tape(d, k + 1,
			    scratch));
		}
		return v;
	default:
		BUG("json token type");
	}
}

static int
run_jv(struct jqprog *p, jv in, int (*emit)(void *, const char *, size_t),
    void *ctx, struct tend_err *err);

int
jqprog_run_doc(struct jqprog *p, const struct json_doc *d, uint32_t tok,
    int (*emit)(void *, const char *, size_t), void *ctx,
    struct tend_err *err)
{
	struct buf scratch = BUF_INIT;
	jv in = from_tape(d, tok, &scratch);

	buf_release(&scratch);
	return run_jv(p, in, emit, ctx, err);
}

int
jqprog_run(struct jqprog *p, const char *json, size_t len,
    int (*emit)(void *, const char *, size_t), void *ctx,
    struct tend_err *err)
{
	jv in = parse_value(json, len);

	if (!jv_is_valid(in)) {
		jv_free(in);
		return tend_err_set(err, TEND_EXIT_INPUT, "%s: input is not "
		    "JSON", p->name);
	}
	return run_jv(p, in, emit, ctx, err);
}

static int
run_jv(struct jqprog *p, jv in, int (*emit)(void *, const char *, size_t),
    void *ctx, struct tend_err *err)
{
	struct buf out = BUF_INIT;
	jv r;
	int rc = 0;

	jq_start(p->jq, in, 0);
	while (jv_is_valid(r = jq_next(p->jq))) {
		buf_reset(&out);
		dump(r, &out);		/* frees r */
		if (emit(ctx, out.p, out.len) < 0) {
			r = jv_invalid();
			rc = -1;
			break;
		}
	}
	if (rc == 0 && jv_invalid_has_msg(jv_copy(r))) {
		jv msg = jv_invalid_get_msg(jv_copy(r));

		buf_reset(&out);
		if (jv_get_kind(msg) == JV_KIND_STRING)
			buf_adds(&out, jv_string_value(msg));
		else
			dump(jv_copy(msg), &out);
		jv_free(msg);
		rc = tend_err_set(err, TEND_EXIT_INPUT, "%s: %s", p->name,
		    out.p);
	}
	jv_free(r);
	buf_release(&out);
	return rc;
}

static int
collect(void *ctx, const char *s, size_t n)
{
	struct buf *b = ctx;

	if (b->len > 0 && b->p[b->len - 1] != '[')
		buf_addc(b, ',');
	buf_add(b, s, n);
	return 0;
}

int
jqprog_run_array(struct jqprog *p, const char *json, size_t len,
    struct buf *out, struct tend_err *err)
{
	size_t start = out->len;

	buf_addc(out, '[');
	if (jqprog_run(p, json, len, collect, out, err) < 0) {
		out->len = start;
		return -1;
	}
	buf_addc(out, ']');
	return 0;
}

void
jqprog_free(struct jqprog *p)
{
	if (p == NULL)
		return;
	if (p->jq != NULL)
		jq_teardown(&p->jq);
	buf_release(&p->msg);
	free(p->name);
	free(p);
}
