/*
 * conf.c: tend apply's configuration (--config, schemas/
 * apply-config.v1.json): what may run and the bounds it runs in.
 */
#include "compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "apply.h"
#include "xmalloc.h"

#define CONF_FILE_MAX	(1u << 20)

void
conf_defaults(struct apply_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->exec_timeout_ms = 60000;
	c->exec_grace_ms = 2000;
	c->exec_output_max = 65536;
	c->lim.cpu_s = 60;
	c->lim.memory = (uint64_t)4 << 30;
	c->lim.files = 1024;
	c->lim.processes = 4096;
	c->http_timeout_ms = 30000;
	c->http_connect_ms = 10000;
	c->http_retries = 3;
	c->http_backoff_ms = 500;
	c->http_backoff_max_ms = 30000;
	c->http_max_body = (size_t)1 << 20;
	c->file_backup = 1;
	/* once, before any thread: umask(2) can only be read by setting */
	c->umask = umask(022);
	umask(c->umask);
	c->excerpt_max = 4096;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
conf_release(struct apply_conf *c)
{
	strv_free(c->exec_allow, c->nexec_allow);
	strv_free(c->file_allow, c->nfile_allow);
	free(c->http_cacert);
	free(c->http_proxy);
	conf_defaults(c);
}

int
conf_read_trusted(const char *path, const char *schema_name,
    struct schema_set *set, struct buf *text, struct json_doc *d,
    struct tend_err *err)
{
	struct schema *sch;
	struct stat st;
	char tmp[8192];
	ssize_t n;
	int fd, rc = -1;

	buf_reset(text);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return tend_err_sys(err, "cannot open '%s'", path);
	if (fstat(fd, &st) < 0) {
		tend_err_sys(err, "cannot stat '%s'", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		tend_err_set(err, TEND_EXIT_INPUT, "'%s' is not a regular "
		    "file", path);
		goto out;
	}
	/* whoever can change this file can choose what runs */
	if ((st.st_uid != geteuid() && st.st_uid != 0) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		tend_err_set(err, TEND_EXIT_INPUT, "'%s' is writable by "
		    "another user than %s: refused", path,
		    geteuid() == 0 ? "root" : "its owner and root");
		goto out;
	}
	for (;;) {
		n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			tend_err_sys(err, "cannot read '%s'", path);
			goto out;
		}
		if (n == 0)
			break;
		if (text->len + (size_t)n > CONF_FILE_MAX) {
			tend_err_set(err, TEND_EXIT_INPUT, "'%s' is larger "
			    "than %u bytes", path, CONF_FILE_MAX);
			goto out;
		}
		buf_add(text, tmp, (size_t)n);
	}
	if (text->p == NULL)
		buf_adds(text, "");
	if (json_parse(d, text->p, text->len, err) < 0) {
		char m[sizeof(err->msg)];

		strlcpy(m, err->msg, sizeof(m));
		tend_err_set(err, TEND_EXIT_INPUT, "%s: %s", path, m);
		goto out;
	}
	if ((sch = schema_set_get(set, schema_name)) == NULL)
		BUG("schema missing from the build");
	if (schema_validate(sch, d, 0, err) < 0) {
		char m[sizeof(err->msg)];

		strlcpy(m, err->msg, sizeof(m));
		tend_err_set(err, TEND_EXIT_INPUT, "%s: %s", path, m);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

static char **
strv_of(const struct json_doc *d, int64_t arr, size_t *n)
{
	struct buf b = BUF_INIT;
	char **v;
	uint32_t i, k = 0;

	*n = 0;
	if (arr < 0)
		return NULL;
	v = xcalloc(d->tok[arr].size + 1, sizeof(*v));
	for (i = (uint32_t)arr + 1; i < d->tok[arr].end; i = d->tok[i].end) {
		buf_reset(&b);
		json_str_decode(d, i, &b);
		v[k++] = xstrdup(b.p != NULL ? b.p : "");
	}
	*n = k;
	buf_release(&b);
	return v;
}

static void
get_ms(const struct json_doc *d, int64_t obj, const char *key, int64_t *ms)
{
	int64_t t;

	if (obj < 0 || (t = json_obj_get(d, (uint32_t)obj, key)) < 0)
		return;
	*ms = (int64_t)(json_num(d, (uint32_t)t) * 1000.0 + 0.5);
}

static void
get_u64(const struct json_doc *d, int64_t obj, const char *key, uint64_t *v)
{
	int64_t t, x;

	if (obj < 0 || (t = json_obj_get(d, (uint32_t)obj, key)) < 0)
		return;
	if (json_int(d, (uint32_t)t, &x) == 0 && x >= 0)
		*v = (uint64_t)x;
}

static void
get_size(const struct json_doc *d, int64_t obj, const char *key, size_t *v)
{
	uint64_t x = *v;

	get_u64(d, obj, key, &x);
	*v = (size_t)x;
}

int
conf_load(struct apply_conf *c, const char *path, struct schema_set *set,
    struct tend_err *err)
{
	struct buf text = BUF_INIT, b = BUF_INIT;
	struct json_doc d;
	int64_t ex, lim, http, file, t;
	uint64_t u;
	size_t i, j;
	char real[PATH_MAX];
	int rc = -1;

	json_doc_init(&d);
	if (conf_read_trusted(path, "apply-config.v1.json", set, &text, &d,
	    err) < 0)
		goto out;
	ex = json_obj_get(&d, 0, "exec");
	http = json_obj_get(&d, 0, "http");
	file = json_obj_get(&d, 0, "file");
	if (ex >= 0) {
		c->exec_allow = strv_of(&d, json_obj_get(&d, (uint32_t)ex,
		    "allow"), &c->nexec_allow);
		get_ms(&d, ex, "timeout", &c->exec_timeout_ms);
		get_ms(&d, ex, "kill_grace", &c->exec_grace_ms);
		get_size(&d, ex, "output_max", &c->exec_output_max);
		lim = json_obj_get(&d, (uint32_t)ex, "limits");
		get_u64(&d, lim, "cpu", &c->lim.cpu_s);
		get_u64(&d, lim, "memory", &c->lim.memory);
		get_u64(&d, lim, "files", &c->lim.files);
		get_u64(&d, lim, "processes", &c->lim.processes);
	}
	if (http >= 0) {
		get_ms(&d, http, "timeout", &c->http_timeout_ms);
		get_ms(&d, http, "connect_timeout", &c->http_connect_ms);
		u = (uint64_t)c->http_retries;
		get_u64(&d, http, "retries", &u);
		c->http_retries = (int)u;
		get_ms(&d, http, "backoff", &c->http_backoff_ms);
		get_ms(&d, http, "backoff_max", &c->http_backoff_max_ms);
		get_size(&d, http, "max_body", &c->http_max_body);
		if (obj_str(&d, (uint32_t)http, "cacert", &b) == 0)
			c->http_cacert = xstrdup(b.p);
		if (obj_str(&d, (uint32_t)http, "proxy", &b) == 0)
			c->http_proxy = xstrdup(b.p);
	}
	if (file >= 0) {
		c->file_allow = strv_of(&d, json_obj_get(&d, (uint32_t)file,
		    "allow"), &c->nfile_allow);
		/* compared with resolved paths, so resolved too; one that
		   does not exist (yet) allows nothing */
		for (i = j = 0; i < c->nfile_allow; i++) {
			if (realpath(c->file_allow[i], real) == NULL) {
				free(c->file_allow[i]);
				continue;
			}
			free(c->file_allow[i]);
			c->file_allow[j++] = xstrdup(real);
		}
		c->nfile_allow = j;
		t = json_obj_get(&d, (uint32_t)file, "backup");
		if (t >= 0)
			c->file_backup = d.tok[t].type == JSON_TRUE;
	}
	get_size(&d, 0, "excerpt_max", &c->excerpt_max);
	rc = 0;
out:
	json_doc_release(&d);
	buf_release(&text);
	buf_release(&b);
	return rc;
}
