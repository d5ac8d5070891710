/*
 * skill.c: loading skills, a jq program and its metadata side by side
 * (NAME.jq with NAME.json, NAME.yaml or NAME.yml), and compiling them
 * with their variables bound.  The metadata format is schemas/skill.v1.json.
 */
#include "compat.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>

#include "event.h"
#include "plan.h"
#include "xmalloc.h"
#include "yaml2json.h"

static const char *const meta_exts[] = { ".json", ".yaml", ".yml" };

void
strv_add(struct strv *sv, const char *s, size_t len)
{
	sv->v = xreallocarray(sv->v, sv->n + 1, sizeof(*sv->v));
	sv->v[sv->n++] = xstrndup(s, len);
}

int
strv_has(const struct strv *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return 1;
	return 0;
}

void
strv_release(struct strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

void
pending_add(struct pending *pd, const char *json, size_t len, size_t lineno)
{
	if (pd->n == pd->cap) {
		pd->cap = pd->cap ? pd->cap * 2 : 64;
		pd->off = xreallocarray(pd->off, pd->cap, sizeof(*pd->off));
		pd->lineno = xreallocarray(pd->lineno, pd->cap,
		    sizeof(*pd->lineno));
	}
	pd->off[pd->n] = pd->text.len;
	pd->lineno[pd->n] = lineno;
	pd->n++;
	buf_add(&pd->text, json, len);
}

void
pending_release(struct pending *pd)
{
	buf_release(&pd->text);
	free(pd->off);
	free(pd->lineno);
	memset(pd, 0, sizeof(*pd));
}

void
skill_free(struct skill *s)
{
	if (s == NULL)
		return;
	free(s->name);
	free(s->domain);
	free(s->risk);
	free(s->mode);
	free(s->credential);
	free(s->jq_path);
	free(s->meta_path);
	free(s->dir);
	free(s->text);
	buf_release(&s->meta);
	strv_release(&s->inputs);
	strv_release(&s->data);
	strv_release(&s->human_only);
	jqprog_free(s->prog);
	jqprog_free(s->prog2);
	pending_release(&s->pend);
	free(s);
}

int
skill_reads(const struct skill *s, const char *type, size_t len)
{
	size_t i;

	for (i = 0; i < s->inputs.n; i++)
		if (strlen(s->inputs.v[i]) == len &&
		    memcmp(s->inputs.v[i], type, len) == 0)
			return 1;
	return 0;
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n > m && strcmp(s + n - m, suf) == 0;
}

static int
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char *
str_of(const struct json_doc *d, int64_t t)
{
	struct buf b = BUF_INIT;

	if (t < 0 || d->tok[t].type != JSON_STRING)
		return NULL;
	json_str_decode(d, (uint32_t)t, &b);
	return b.p != NULL ? b.p : xstrdup("");
}

static void
strv_from(struct strv *sv, const struct json_doc *d, int64_t arr)
{
	struct buf b = BUF_INIT;
	uint32_t i;

	if (arr < 0 || d->tok[arr].type != JSON_ARRAY)
		return;
	for (i = (uint32_t)arr + 1; i < d->tok[arr].end; i = d->tok[i].end) {
		b.len = 0;
		json_str_decode(d, i, &b);
		strv_add(sv, b.p != NULL ? b.p : "", b.len);
	}
	buf_release(&b);
}

/* Reads and checks the metadata file into s.  0, or -1 with err. */
static int
load_meta(struct plan *p, struct skill *s, struct tend_err *err)
{
	struct buf raw = BUF_INIT;
	struct json_doc d;
	struct schema *sch;
	size_t line = 0, i;
	int rc = -1;

	json_doc_init(&d);
	if (read_file(s->meta_path, &raw, err) < 0)
		goto out;
	if (has_suffix(s->meta_path, ".json")) {
		buf_add(&s->meta, raw.p, raw.len);
	} else if (yaml2json_one(raw.p, raw.len, NULL, &s->meta, &line,
	    err) < 0) {
		err_prefix(err, TEND_EXIT_INPUT, "%s:%zu", s->meta_path, line);
		goto out;
	}
	if (json_parse(&d, s->meta.p, s->meta.len, err) < 0) {
		err_prefix(err, TEND_EXIT_INPUT, "%s", s->meta_path);
		goto out;
	}
	if ((sch = schema_set_get(p->schemas, "skill.v1.json")) == NULL)
		BUG("skill.v1.json is not built in");
	if (schema_validate(sch, &d, 0, err) < 0) {
		err_prefix(err, TEND_EXIT_INPUT, "%s", s->meta_path);
		goto out;
	}
	s->name = str_of(&d, json_obj_get(&d, 0, "name"));
	s->domain = str_of(&d, json_obj_get(&d, 0, "domain"));
	s->risk = str_of(&d, json_obj_get(&d, 0, "risk"));
	s->mode = str_of(&d, json_obj_get(&d, 0, "mode"));
	s->credential = str_of(&d, json_obj_get(&d, 0, "credential"));
	strv_from(&s->inputs, &d, json_obj_get(&d, 0, "inputs"));
	strv_from(&s->data, &d, json_obj_get(&d, 0, "data"));
	strv_from(&s->human_only, &d, json_obj_get(&d, 0, "human_only_paths"));
	{
		struct strv needs = { NULL, 0 };
		int64_t b = json_obj_get(&d, 0, "batch");

		strv_from(&needs, &d, json_obj_get(&d, 0, "needs"));
		s->needs_state = strv_has(&needs, "state");
		s->needs_observed = strv_has(&needs, "observed");
		strv_release(&needs);
		s->batch = b >= 0 && d.tok[b].type == JSON_TRUE;
	}
	for (i = 0; i < s->inputs.n; i++) {
		const char *t = s->inputs.v[i];

		if (strcmp(t, "finding") == 0) {
			free(s->inputs.v[i]);
			s->inputs.v[i] = xstrdup("tend.finding");
			t = s->inputs.v[i];
		}
		if (strncmp(t, "tend.", 5) == 0 &&
		    strcmp(t, "tend.finding") != 0 &&
		    !event_type_known(t, strlen(t))) {
			tend_err_set(err, TEND_EXIT_INPUT, "%s: /inputs/%zu: "
			    "unknown event type '%s'", s->meta_path, i, t);
			goto out;
		}
	}
	rc = 0;
out:
	json_doc_release(&d);
	buf_release(&raw);
	return rc;
}

/* Loads one skill given its .jq path and metadata path. */
static int
load_one(struct plan *p, const char *jq, const char *meta,
    struct tend_err *err)
{
	struct skill *s = xcalloc(1, sizeof(*s));
	struct buf text = BUF_INIT;
	const char *slash;
	size_t i;

	s->jq_path = xstrdup(jq);
	s->meta_path = xstrdup(meta);
	slash = strrchr(jq, '/');
	s->dir = slash != NULL ? xstrndup(jq, (size_t)(slash - jq)) :
	    xstrdup(".");
	if (load_meta(p, s, err) < 0)
		goto fail;
	if (read_file(jq, &text, err) < 0)
		goto fail;
	s->text = text.p != NULL ? text.p : xstrdup("");
	if (memchr(s->text, '\0', text.len) != NULL) {
		tend_err_set(err, TEND_EXIT_INPUT, "%s: NUL byte in the "
		    "program", jq);
		goto fail;
	}
	for (i = 0; i < p->nskills; i++)
		if (strcmp(p->skills[i]->name, s->name) == 0) {
			tend_err_set(err, TEND_EXIT_INPUT, "%s: skill name "
			    "'%s' is already used by %s", meta, s->name,
			    p->skills[i]->meta_path);
			goto fail;
		}
	if (s->needs_state)
		p->want_state = 1;
	if (s->needs_observed)
		p->want_observed = 1;
	if (strv_has(&s->inputs, "tend.finding"))
		p->want_findings = 1;
	p->skills = xreallocarray(p->skills, p->nskills + 1,
	    sizeof(*p->skills));
	p->skills[p->nskills++] = s;
	return 0;
fail:
	skill_free(s);
	return -1;
}

/* The metadata file beside stem (stem + one of meta_exts). */
static int
find_meta(const char *stem, struct buf *meta, struct tend_err *err)
{
	struct buf b = BUF_INIT;
	size_t i;
	int found = 0;

	for (i = 0; i < ARRAY_SIZE(meta_exts); i++) {
		b.len = 0;
		buf_addf(&b, "%s%s", stem, meta_exts[i]);
		if (!exists(b.p))
			continue;
		if (found++) {
			tend_err_set(err, TEND_EXIT_INPUT, "%s.jq: two "
			    "metadata files: %s and %s", stem, meta->p, b.p);
			buf_release(&b);
			return -1;
		}
		buf_reset(meta);
		buf_add(meta, b.p, b.len);
	}
	buf_release(&b);
	if (!found)
		return tend_err_set(err, TEND_EXIT_INPUT, "%s.jq: no metadata "
		    "(%s.json or %s.yaml)", stem, stem, stem);
	return 0;
}

static int
load_file(struct plan *p, const char *path, struct tend_err *err)
{
	struct buf stem = BUF_INIT, jq = BUF_INIT, meta = BUF_INIT;
	size_t i;
	int rc = -1;

	if (has_suffix(path, ".jq")) {
		buf_add(&stem, path, strlen(path) - 3);
		buf_adds(&jq, path);
		if (find_meta(stem.p, &meta, err) < 0)
			goto out;
	} else {
		for (i = 0; i < ARRAY_SIZE(meta_exts); i++)
			if (has_suffix(path, meta_exts[i]))
				break;
		if (i == ARRAY_SIZE(meta_exts)) {
			tend_err_set(err, TEND_EXIT_INPUT, "%s: not a skill "
			    "(a .jq file, its metadata or a folder of them)",
			    path);
			goto out;
		}
		buf_add(&stem, path, strlen(path) - strlen(meta_exts[i]));
		buf_addf(&jq, "%s.jq", stem.p);
		buf_adds(&meta, path);
		if (!exists(jq.p)) {
			tend_err_set(err, TEND_EXIT_INPUT, "%s: no program "
			    "%s beside it", path, jq.p);
			goto out;
		}
	}
	rc = load_one(p, jq.p, meta.p, err);
out:
	buf_release(&stem);
	buf_release(&jq);
	buf_release(&meta);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
load_dir(struct plan *p, const char *path, struct tend_err *err)
{
	struct strv names = { NULL, 0 };
	struct buf full = BUF_INIT;
	struct dirent *de;
	DIR *dir;
	size_t i, n0 = p->nskills;
	int rc = 0;

	if ((dir = opendir(path)) == NULL)
		return tend_err_sys(err, "cannot open '%s'", path);
	errno = 0;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] != '.' && has_suffix(de->d_name, ".jq"))
			strv_add(&names, de->d_name, strlen(de->d_name));
		errno = 0;
	}
	if (errno != 0)
		rc = tend_err_sys(err, "cannot read '%s'", path);
	closedir(dir);
	if (names.n > 0)
		qsort(names.v, names.n, sizeof(*names.v), cmp_str);
	for (i = 0; rc == 0 && i < names.n; i++) {
		full.len = 0;
		buf_addf(&full, "%s%s%s", path,
		    has_suffix(path, "/") ? "" : "/", names.v[i]);
		if (load_file(p, full.p, err) < 0 && (err->code !=
		    TEND_EXIT_INPUT || plan_skill_error(p, NULL, 0, err) < 0))
			rc = -1;
	}
	if (rc == 0 && p->nskills == n0 && names.n == 0)
		rc = tend_err_set(err, TEND_EXIT_INPUT, "%s: no skills "
		    "(*.jq) in it", path);
	strv_release(&names);
	buf_release(&full);
	return rc;
}

int
skill_load_path(struct plan *p, const char *path, struct tend_err *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return tend_err_sys(err, "cannot open '%s'", path);
	if (S_ISDIR(st.st_mode))
		return load_dir(p, path, err);
	return load_file(p, path, err);
}

static int
compile_into(struct plan *p, struct skill *s, struct jqprog **prog,
    struct tend_err *err);

int
skill_compile(struct plan *p, struct skill *s, struct tend_err *err)
{
	return compile_into(p, s, &s->prog, err);
}

int
skill_compile_again(struct plan *p, struct skill *s, struct tend_err *err)
{
	return compile_into(p, s, &s->prog2, err);
}

static int
compile_into(struct plan *p, struct skill *s, struct jqprog **prog,
    struct tend_err *err)
{
	struct jqvar *vars;
	struct buf now = BUF_INIT;
	size_t nv = 0, i, j;
	int rc = 0;

	for (i = 0; i < s->data.n; i++) {
		for (j = 0; j < p->ndata; j++)
			if (strcmp(p->data[j].name, s->data.v[i]) == 0)
				break;
		if (j == p->ndata)
			return tend_err_set(err, TEND_EXIT_INPUT, "%s: needs "
			    "--data %s=FILE", s->meta_path, s->data.v[i]);
	}
	vars = xcalloc(p->ndata + 3, sizeof(*vars));
	buf_add_json_str(&now, p->now, strlen(p->now));
	vars[nv++] = (struct jqvar){ "now", now.p, now.len };
	vars[nv++] = (struct jqvar){ "skill", s->meta.p, s->meta.len };
	if (s->needs_state)
		vars[nv++] = (struct jqvar){ "state", p->state.p,
		    p->state.len };
	for (j = 0; j < p->ndata; j++)
		vars[nv++] = (struct jqvar){ p->data[j].name,
		    p->data[j].json.p, p->data[j].json.len };
	*prog = jqprog_compile(s->text, s->jq_path, s->dir, vars, nv, err);
	if (*prog == NULL)
		rc = -1;
	free(vars);
	buf_release(&now);
	return rc;
}
