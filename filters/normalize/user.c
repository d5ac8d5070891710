/*
 * user.c: --secret-path and --normalizer, through jqrun.
 */
#include "compat.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <sodium.h>

#include "user.h"
#include "xmalloc.h"

#define PROGRAM_MAX (1u << 20)

void
user_init(struct user *u)
{
	memset(u, 0, sizeof(*u));
	json_doc_init(&u->doc);
	json_doc_init(&u->pdoc);
}

void
user_release(struct user *u)
{
	size_t i;

	for (i = 0; i < u->nnz; i++) {
		free(u->nz[i].provider);
		free(u->nz[i].kind);
		free(u->nz[i].path);
		jqprog_free(u->nz[i].prog);
	}
	for (i = 0; i < u->nsp; i++) {
		free(u->sp[i].expr);
		jqprog_free(u->sp[i].prog);
	}
	free(u->nz);
	free(u->sp);
	free(u->targets);
	json_doc_release(&u->doc);
	json_doc_release(&u->pdoc);
	if (u->res.cap > 0)
		sodium_memzero(u->res.p, u->res.cap);
	buf_release(&u->res);
	buf_release(&u->text);
	buf_release(&u->outs);
	memset(u, 0, sizeof(*u));
}

static int
read_program(const char *path, struct buf *out, struct tend_err *err)
{
	char chunk[8192];
	ssize_t n;
	int fd;

	out->len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return tend_err_sys(err, "cannot open normalizer '%s'", path);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			tend_err_sys(err, "cannot read normalizer '%s'", path);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > PROGRAM_MAX) {
			close(fd);
			return tend_err_set(err, TEND_EXIT_INPUT,
			    "normalizer '%s' is larger than %u bytes", path,
			    PROGRAM_MAX);
		}
		buf_add(out, chunk, (size_t)n);
	}
	close(fd);
	return 0;
}

static int
add_one(struct user *u, const char *provider, size_t plen, const char *kind,
    size_t klen, const char *path, struct tend_err *err)
{
	struct normalizer *z;
	struct jqprog *p;
	char *dir, *slash;

	if (plen == 0 || klen == 0)
		return tend_err_set(err, TEND_EXIT_USAGE, "--normalizer wants "
		    "provider/kind=file or a directory");
	if (read_program(path, &u->text, err) < 0)
		return -1;
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	else
		dir[0] = '.', dir[1] = '\0';
	p = jqprog_compile(u->text.p, path, dir, NULL, 0, err);
	free(dir);
	if (p == NULL)
		return -1;
	u->nz = xreallocarray(u->nz, u->nnz + 1, sizeof(*u->nz));
	z = &u->nz[u->nnz++];
	z->provider = xstrndup(provider, plen);
	z->kind = xstrndup(kind, klen);
	z->path = xstrdup(path);
	z->prog = p;
	return 0;
}

static int
namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names in dir (no dot files); NULL with err. */
static char **
list_dir(const char *dir, size_t *n, struct tend_err *err)
{
	DIR *dp;
	struct dirent *de;
	char **v = NULL;

	*n = 0;
	if ((dp = opendir(dir)) == NULL) {
		tend_err_sys(err, "cannot read normalizer folder '%s'", dir);
		return NULL;
	}
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		v = xreallocarray(v, *n + 1, sizeof(*v));
		v[(*n)++] = xstrdup(de->d_name);
	}
	closedir(dp);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), namecmp);
	else
		v = xcalloc(1, sizeof(*v));
	return v;
}

static void
free_list(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* DIR/PROVIDER/KIND.jq and DIR/PROVIDER/_default.jq. */
static int
add_dir(struct user *u, const char *dir, struct tend_err *err)
{
	char **prov, **files, path[4096];
	size_t np, nf, i, j, len;
	struct stat sb;
	int rc = 0;

	if ((prov = list_dir(dir, &np, err)) == NULL)
		return -1;
	for (i = 0; i < np && rc == 0; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, prov[i]);
		if (stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode))
			continue;
		if ((files = list_dir(path, &nf, err)) == NULL) {
			rc = -1;
			break;
		}
		for (j = 0; j < nf && rc == 0; j++) {
			len = strlen(files[j]);
			if (len <= 3 || strcmp(files[j] + len - 3, ".jq") != 0)
				continue;
			if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s",
			    dir, prov[i], files[j]) >= sizeof(path)) {
				rc = tend_err_set(err, TEND_EXIT_USAGE,
				    "path too long in '%s'", dir);
				break;
			}
			if (strcmp(files[j], "_default.jq") == 0)
				rc = add_one(u, prov[i], strlen(prov[i]), "*",
				    1, path, err);
			else
				rc = add_one(u, prov[i], strlen(prov[i]),
				    files[j], len - 3, path, err);
		}
		free_list(files, nf);
	}
	free_list(prov, np);
	return rc;
}

int
user_add_normalizer(struct user *u, const char *arg, struct tend_err *err)
{
	const char *eq = strchr(arg, '='), *slash;
	struct stat sb;

	if (eq == NULL) {
		if (stat(arg, &sb) == 0 && S_ISDIR(sb.st_mode))
			return add_dir(u, arg, err);
		return tend_err_set(err, TEND_EXIT_USAGE, "--normalizer "
		    "'%s': wants provider/kind=file or a directory", arg);
	}
	slash = memchr(arg, '/', (size_t)(eq - arg));
	if (slash == NULL || eq[1] == '\0')
		return tend_err_set(err, TEND_EXIT_USAGE, "--normalizer "
		    "'%s': wants provider/kind=file or a directory", arg);
	return add_one(u, arg, (size_t)(slash - arg), slash + 1,
	    (size_t)(eq - slash - 1), eq + 1, err);
}

int
user_add_secret_path(struct user *u, const char *expr, struct tend_err *err)
{
	struct buf text = BUF_INIT, name = BUF_INIT;
	struct jqprog *p;

	buf_adds(&text, "[path(");
	buf_adds(&text, expr);
	buf_adds(&text, "\n)]");
	buf_addf(&name, "--secret-path '%s'", expr);
	p = jqprog_compile(text.p, name.p, NULL, NULL, 0, err);
	buf_release(&text);
	buf_release(&name);
	if (p == NULL)
		return -1;
	u->sp = xreallocarray(u->sp, u->nsp + 1, sizeof(*u->sp));
	u->sp[u->nsp].expr = xstrdup(expr);
	u->sp[u->nsp].prog = p;
	u->nsp++;
	return 0;
}

/* The token of the value the path array p (in u->pdoc) leads to in
   u->doc, added to the targets; nothing when there is none. */
static void
add_target(struct user *u, uint32_t p)
{
	const struct json_doc *d = &u->doc, *pd = &u->pdoc;
	int64_t cur = 0, at;
	uint32_t j;

	if (pd->tok[p].type != JSON_ARRAY || pd->tok[p].size == 0)
		return;
	for (j = p + 1; j < pd->tok[p].end && cur >= 0; j = pd->tok[j].end) {
		if (pd->tok[j].type == JSON_STRING &&
		    d->tok[cur].type == JSON_OBJECT) {
			u->text.len = 0;
			json_str_decode(pd, j, &u->text);
			cur = json_obj_get(d, (uint32_t)cur, u->text.p);
		} else if (pd->tok[j].type == JSON_NUMBER &&
		    d->tok[cur].type == JSON_ARRAY &&
		    json_int(pd, j, &at) == 0 && at >= 0 && at < UINT32_MAX) {
			cur = json_arr_at(d, (uint32_t)cur, (uint32_t)at);
		} else {
			cur = -1;
		}
	}
	if (cur <= 0 || cur == json_obj_get(d, 0, "digest") ||
	    cur == json_obj_get(d, 0, "key"))
		return;
	if (u->ntargets == u->targetcap) {
		u->targetcap = u->targetcap ? 2 * u->targetcap : 16;
		u->targets = xreallocarray(u->targets, u->targetcap,
		    sizeof(*u->targets));
	}
	u->targets[u->ntargets++] = (uint32_t)cur;
}

static int
u32cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
secret_paths(struct user *u, struct norm *n, struct buf *data,
    struct tend_err *err)
{
	const struct json_doc *saved = n->d;
	const struct json_doc *d = &u->doc;
	size_t i, from = 0, len;
	uint32_t t, last_end = 0, j;
	const char *raw;

	if (json_parse(&u->doc, data->p, data->len, err) < 0)
		BUG("the state's data is not JSON");
	u->ntargets = 0;
	for (i = 0; i < u->nsp; i++) {
		u->outs.len = 0;
		/* jq's message may quote the value the path leads to: the
		   very secret, so it is not passed on */
		if (jqprog_run_array(u->sp[i].prog, data->p, data->len,
		    &u->outs, err) < 0)
			return tend_err_set(err, TEND_EXIT_INPUT,
			    "--secret-path '%s' is not a path expression on "
			    "this state", u->sp[i].expr);
		if (json_parse(&u->pdoc, u->outs.p, u->outs.len, err) < 0)
			BUG("jq output is not JSON");
		/* one [paths] array per output of the program */
		for (j = 1; j < u->pdoc.tok[0].end; j = u->pdoc.tok[j].end) {
			uint32_t p;

			if (u->pdoc.tok[j].type != JSON_ARRAY)
				continue;
			for (p = j + 1; p < u->pdoc.tok[j].end;
			    p = u->pdoc.tok[p].end)
				add_target(u, p);
		}
	}
	if (u->ntargets == 0)
		return 0;
	qsort(u->targets, u->ntargets, sizeof(*u->targets), u32cmp);
	u->res.len = 0;
	n->d = d;
	for (i = 0; i < u->ntargets; i++) {
		t = u->targets[i];
		if (i > 0 && t < last_end)
			continue;	/* inside one already replaced */
		raw = json_raw(d, t, &len);
		buf_add(&u->res, data->p + from,
		    (size_t)(raw - data->p) - from);
		norm_secret(n, t, &u->res);
		from = (size_t)(raw - data->p) + len;
		last_end = d->tok[t].end;
	}
	buf_add(&u->res, data->p + from, data->len - from);
	n->d = saved;
	sodium_memzero(data->p, data->len);
	data->len = 0;
	buf_add(data, u->res.p, u->res.len);
	sodium_memzero(u->res.p, u->res.len);
	return 0;
}

static int
one_output(void *ctx, const char *s, size_t len)
{
	struct user *u = ctx;

	if (u->nouts++ == 0)
		buf_add(&u->outs, s, len);
	return 0;
}

static const struct normalizer *
find_normalizer(const struct user *u, const char *provider, const char *kind)
{
	const struct normalizer *any = NULL;
	size_t i;

	for (i = 0; i < u->nnz; i++) {
		if (strcmp(u->nz[i].provider, provider) != 0)
			continue;
		if (strcmp(u->nz[i].kind, kind) == 0)
			return &u->nz[i];
		if (any == NULL && strcmp(u->nz[i].kind, "*") == 0)
			any = &u->nz[i];
	}
	return any;
}

static int
run_normalizer(struct user *u, const struct normalizer *z, const char *key,
    size_t keylen, struct buf *data, struct tend_err *err)
{
	const struct json_doc *d = &u->doc;
	int64_t k;
	uint32_t j;
	size_t len, cnt = 0;
	const char *raw;

	u->outs.len = 0;
	u->nouts = 0;
	if (jqprog_run(z->prog, data->p, data->len, one_output, u, err) < 0)
		return -1;
	if (u->nouts != 1)
		return tend_err_set(err, TEND_EXIT_INPUT, "normalizer '%s' "
		    "gave %zu outputs, not 1", z->path, u->nouts);
	if (json_parse(&u->doc, u->outs.p, u->outs.len, err) < 0)
		BUG("jq output is not JSON");
	if (d->tok[0].type != JSON_OBJECT)
		return tend_err_set(err, TEND_EXIT_INPUT, "normalizer '%s' "
		    "gave %s, not an object", z->path,
		    json_type_name(d->tok[0].type));
	k = json_obj_get(d, 0, "key");
	if (k < 0 || !str_is(d, (uint32_t)k, key, keylen))
		return tend_err_set(err, TEND_EXIT_INPUT, "normalizer '%s' "
		    "changed or removed \"key\"", z->path);
	if (json_obj_get(d, 0, "spec") < 0)
		return tend_err_set(err, TEND_EXIT_INPUT, "normalizer '%s' "
		    "removed \"spec\"", z->path);
	sodium_memzero(data->p, data->len);
	data->len = 0;
	buf_addc(data, '{');
	for (j = 1; j < d->tok[0].end; j = d->tok[j + 1].end) {
		if (KEY_IS(d, j, "digest"))
			continue;
		if (cnt++ > 0)
			buf_addc(data, ',');
		raw = json_raw(d, j, &len);
		buf_add(data, raw, len);
		buf_addc(data, ':');
		raw = json_raw(d, j + 1, &len);
		buf_add(data, raw, len);
	}
	buf_adds(data, ",\"digest\":\"" DIGEST_PLACEHOLDER "\"}");
	sodium_memzero(u->outs.p, u->outs.len);
	return 0;
}

int
user_run(struct user *u, struct norm *n, const char *key, size_t keylen,
    struct buf *data, struct tend_err *err)
{
	const struct normalizer *z;

	if (u->nsp > 0 && secret_paths(u, n, data, err) < 0)
		return -1;
	if (u->nnz > 0 &&
	    (z = find_normalizer(u, n->provider, n->kind)) != NULL &&
	    run_normalizer(u, z, key, keylen, data, err) < 0)
		return -1;
	return 0;
}
