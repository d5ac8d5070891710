/*
 * creds.c: the credentials file (--credentials, schemas/
 * credentials.v1.json) and fetching one secret for one action.
 *
 * The file names where each secret comes from, never the secret.  A
 * secret is fetched when an action needs it, into memory from
 * sodium_malloc (guarded, locked, not in core dumps where the kernel
 * honours MADV_DONTDUMP) and wiped by secret_wipe right after the action.
 * Messages name the credential and the source, never a byte of it.
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <sodium.h>

#include "apply.h"
#include "xmalloc.h"

#define BROKER_TIMEOUT_MS 10000

static void
def_release(struct cred_def *c)
{
	size_t i;

	free(c->name);
	free(c->source);
	if (c->argv != NULL)
		for (i = 0; c->argv[i] != NULL; i++)
			free(c->argv[i]);
	free(c->argv);
	free(c->header);
	free(c->scheme);
	free(c->variable);
}

void
creds_release(struct creds *cs)
{
	size_t i;

	for (i = 0; i < cs->n; i++)
		def_release(&cs->v[i]);
	free(cs->v);
	memset(cs, 0, sizeof(*cs));
}

static char *
str_or(const struct json_doc *d, uint32_t obj, const char *key,
    const char *dflt, struct buf *b)
{
	if (obj_str(d, obj, key, b) == 0)
		return xstrdup(b->p);
	return xstrdup(dflt);
}

int
creds_load(struct creds *cs, const char *path, struct schema_set *set,
    struct tend_err *err)
{
	struct buf text = BUF_INIT, b = BUF_INIT;
	struct json_doc d;
	struct cred_def *c;
	int64_t all, cmd;
	uint32_t k, i;
	size_t n;
	int rc = -1;

	memset(cs, 0, sizeof(*cs));
	json_doc_init(&d);
	if (conf_read_trusted(path, "credentials.v1.json", set, &text, &d,
	    err) < 0)
		goto out;
	all = json_obj_get(&d, 0, "credentials");
	cs->v = xcalloc(d.tok[all].size + 1, sizeof(*cs->v));
	for (k = (uint32_t)all + 1; k < d.tok[all].end; k = d.tok[k + 1].end) {
		uint32_t o = k + 1;

		c = &cs->v[cs->n++];
		buf_reset(&b);
		json_str_decode(&d, k, &b);
		c->name = xstrdup(b.p != NULL ? b.p : "");
		if (obj_str(&d, o, "env", &b) == 0) {
			c->kind = CRED_ENV;
			c->source = xstrdup(b.p);
		} else if (obj_str(&d, o, "file", &b) == 0) {
			c->kind = CRED_FILE;
			c->source = xstrdup(b.p);
		} else {
			c->kind = CRED_COMMAND;
			cmd = json_obj_get(&d, o, "command");
			c->argv = xcalloc(d.tok[cmd].size + 1,
			    sizeof(*c->argv));
			n = 0;
			for (i = (uint32_t)cmd + 1; i < d.tok[cmd].end;
			    i = d.tok[i].end) {
				buf_reset(&b);
				json_str_decode(&d, i, &b);
				c->argv[n++] = xstrdup(b.p != NULL ? b.p : "");
			}
			c->source = xstrdup(c->argv[0]);
		}
		c->timeout_ms = BROKER_TIMEOUT_MS;
		(void)obj_seconds(&d, o, "timeout", &c->timeout_ms);
		c->header = str_or(&d, o, "header", "Authorization", &b);
		c->scheme = str_or(&d, o, "scheme", "Bearer", &b);
		c->variable = str_or(&d, o, "variable", "TEND_CREDENTIAL", &b);
	}
	rc = 0;
out:
	if (rc < 0)
		creds_release(cs);
	json_doc_release(&d);
	buf_release(&text);
	buf_release(&b);
	return rc;
}

const struct cred_def *
creds_find(const struct creds *cs, const char *name)
{
	size_t i;

	for (i = 0; i < cs->n; i++)
		if (strcmp(cs->v[i].name, name) == 0)
			return &cs->v[i];
	return NULL;
}

void
secret_wipe(struct secret *s)
{
	if (s->p != NULL)
		sodium_free(s->p);	/* zeroes it first */
	s->p = NULL;
	s->len = 0;
}

static int
secret_set(const struct cred_def *c, struct secret *s, const char *p,
    size_t len, struct tend_err *err)
{
	size_t i;

	/* one final newline is the file's or the broker's, not the secret's */
	if (len > 0 && p[len - 1] == '\n')
		len--;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (len == 0)
		return tend_err_set(err, TEND_EXIT_SYSTEM, "credential '%s' "
		    "from %s is empty", c->name, c->source);
	for (i = 0; i < len; i++)
		if (p[i] == '\0' || p[i] == '\n' || p[i] == '\r')
			return tend_err_set(err, TEND_EXIT_SYSTEM, "credential "
			    "'%s' from %s holds a line break or NUL",
			    c->name, c->source);
	if ((s->p = sodium_malloc(len + 1)) == NULL)
		return tend_err_set(err, TEND_EXIT_SYSTEM, "out of memory");
	memcpy(s->p, p, len);
	s->p[len] = '\0';
	s->len = len;
	return 0;
}

static int
fetch_file(const struct cred_def *c, struct secret *s, struct tend_err *err)
{
	char *tmp;
	size_t len = 0;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open(c->source, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return tend_err_sys(err, "credential '%s': cannot open '%s'",
		    c->name, c->source);
	if ((tmp = sodium_malloc(APPLY_SECRET_MAX + 1)) == NULL) {
		close(fd);
		return tend_err_set(err, TEND_EXIT_SYSTEM, "out of memory");
	}
	for (;;) {
		n = read(fd, tmp + len, APPLY_SECRET_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			tend_err_sys(err, "credential '%s': cannot read '%s'",
			    c->name, c->source);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > APPLY_SECRET_MAX) {
			tend_err_set(err, TEND_EXIT_SYSTEM, "credential '%s': "
			    "'%s' is longer than %d bytes", c->name,
			    c->source, APPLY_SECRET_MAX);
			goto out;
		}
	}
	rc = secret_set(c, s, tmp, len, err);
out:
	sodium_free(tmp);
	close(fd);
	return rc;
}

static int
fetch_command(const struct cred_def *c, struct secret *s,
    struct tend_err *err)
{
	static char path[] = "PATH=/usr/local/bin:/usr/bin:/bin";
	char *envp[] = { path, NULL };
	struct sandbox_opts o;
	struct sandbox_result r;
	int rc = -1;

	memset(&o, 0, sizeof(o));
	o.argv = c->argv;
	o.envp = envp;
	o.timeout_ms = c->timeout_ms;
	o.grace_ms = 1000;
	o.out_max = APPLY_SECRET_MAX + 1;
	o.err_max = 0;
	o.lim.cpu_s = 60;
	o.lim.files = 1024;
	sandbox_result_init(&r);
	if (sandbox_run(&o, &r, err) < 0) {
		char m[sizeof(err->msg)];

		strlcpy(m, err->msg, sizeof(m));
		tend_err_set(err, TEND_EXIT_SYSTEM, "credential '%s': %s",
		    c->name, m);
		goto out;
	}
	if (r.timed_out) {
		tend_err_set(err, TEND_EXIT_SYSTEM, "credential '%s': broker "
		    "'%s' timed out", c->name, c->source);
		goto out;
	}
	if (!r.exited || r.exit_code != 0) {
		tend_err_set(err, TEND_EXIT_SYSTEM, "credential '%s': broker "
		    "'%s' %s %d", c->name, c->source, r.exited ? "exited" :
		    "was killed by signal", r.exited ? r.exit_code : r.sig);
		goto out;
	}
	if (r.out_total > APPLY_SECRET_MAX) {
		tend_err_set(err, TEND_EXIT_SYSTEM, "credential '%s': broker "
		    "'%s' printed more than %d bytes", c->name, c->source,
		    APPLY_SECRET_MAX);
		goto out;
	}
	rc = secret_set(c, s, r.out.p, r.out.len, err);
out:
	sandbox_result_wipe(&r);
	return rc;
}

int
cred_fetch(const struct cred_def *c, struct secret *s, struct tend_err *err)
{
	const char *v;

	s->p = NULL;
	s->len = 0;
	switch (c->kind) {
	case CRED_ENV:
		if ((v = getenv(c->source)) == NULL)
			return tend_err_set(err, TEND_EXIT_SYSTEM, "credential "
			    "'%s': $%s is not set", c->name, c->source);
		return secret_set(c, s, v, strlen(v), err);
	case CRED_FILE:
		return fetch_file(c, s, err);
	case CRED_COMMAND:
		return fetch_command(c, s, err);
	}
	BUG("credential kind");
}
