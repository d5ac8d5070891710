/*
 * exec.c: the exec executor.  Runs argv (never a shell) when argv[0] is
 * on the configuration's allow-list, through sandbox.h: an environment
 * holding only the variables the action names and its credential,
 * stdin from /dev/null, rlimits, no_new_privs, a timeout that kills the
 * process group, and output kept up to a bound and redacted of the
 * credential before it goes into an event.
 *
 * Executor members: argv (array of strings), env (an object of names to
 * values, or an array of names whose values come from tend apply's own
 * environment), cwd (absolute; default "/"), timeout (seconds).
 */
#include "compat.h"

#include <sodium.h>

#include "apply.h"
#include "xmalloc.h"

struct cmd {
	char	**argv;
	char	**envp;
	size_t	 nargv, nenv;
	char	*cwd;
	int64_t	 timeout_ms;
};

static int
env_name_ok(const char *s)
{
	size_t i;

	if (*s == '\0' || (*s >= '0' && *s <= '9'))
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

static void
cmd_release(struct cmd *c)
{
	size_t i;

	for (i = 0; i < c->nargv; i++)
		free(c->argv[i]);
	for (i = 0; i < c->nenv; i++) {
		/* one of them may carry the credential */
		sodium_memzero(c->envp[i], strlen(c->envp[i]));
		free(c->envp[i]);
	}
	free(c->argv);
	free(c->envp);
	free(c->cwd);
	memset(c, 0, sizeof(*c));
}

/* A decoded string without NUL: 0, else -1. */
static int
str_clean(const struct json_doc *d, uint32_t t, struct buf *b)
{
	buf_reset(b);
	if (d->tok[t].type != JSON_STRING)
		return -1;
	json_str_decode(d, t, b);
	if (b->p == NULL)
		buf_adds(b, "");
	return strlen(b->p) == b->len ? 0 : -1;
}

/*
 * Reads the executor into c.  A variable of the action's that has the
 * credential's name is left out: the caller adds the credential.  0, or
 * -1 with why.
 */
static int
cmd_parse(const struct apply_conf *conf, const struct action *a,
    struct cmd *c, struct buf *why)
{
	const struct json_doc *d = a->d;
	struct buf b = BUF_INIT, v = BUF_INIT;
	int64_t argv, env, t;
	uint32_t i;
	const char *val;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	c->timeout_ms = conf->exec_timeout_ms;
	argv = obj_get(d, a->ex, "argv");
	if (argv < 0 || d->tok[argv].type != JSON_ARRAY ||
	    d->tok[argv].size == 0) {
		buf_adds(why, "executor/argv: missing or empty");
		goto out;
	}
	c->argv = xcalloc(d->tok[argv].size + 1, sizeof(*c->argv));
	for (i = (uint32_t)argv + 1; i < d->tok[argv].end; i = d->tok[i].end) {
		if (str_clean(d, i, &b) < 0) {
			buf_addf(why, "executor/argv/%zu: not a string "
			    "without NUL", c->nargv);
			goto out;
		}
		c->argv[c->nargv++] = xstrdup(b.p);
	}
	if (c->argv[0][0] != '/') {
		buf_adds(why, "executor/argv/0: not an absolute path");
		goto out;
	}
	env = obj_get(d, a->ex, "env");
	if (env >= 0 && d->tok[env].type != JSON_OBJECT &&
	    d->tok[env].type != JSON_ARRAY) {
		buf_adds(why, "executor/env: not an object or an array");
		goto out;
	}
	c->envp = xcalloc((env >= 0 ? d->tok[env].size : 0) + 2,
	    sizeof(*c->envp));
	if (env >= 0 && d->tok[env].type == JSON_OBJECT) {
		for (i = (uint32_t)env + 1; i < d->tok[env].end;
		    i = d->tok[i + 1].end) {
			if (str_clean(d, i, &b) < 0 || !env_name_ok(b.p)) {
				buf_adds(why, "executor/env: a name is not an "
				    "environment variable name");
				goto out;
			}
			if (str_clean(d, i + 1, &v) < 0) {
				buf_addf(why, "executor/env/%s: not a string "
				    "without NUL", b.p);
				goto out;
			}
			if (a->cred != NULL &&
			    strcmp(b.p, a->cred->variable) == 0)
				continue;
			buf_addc(&b, '=');
			buf_add(&b, v.p, v.len);
			c->envp[c->nenv++] = xstrdup(b.p);
		}
	} else if (env >= 0) {
		for (i = (uint32_t)env + 1; i < d->tok[env].end;
		    i = d->tok[i].end) {
			if (str_clean(d, i, &b) < 0 || !env_name_ok(b.p)) {
				buf_adds(why, "executor/env: an element is "
				    "not an environment variable name");
				goto out;
			}
			if ((a->cred != NULL &&
			    strcmp(b.p, a->cred->variable) == 0) ||
			    (val = getenv(b.p)) == NULL)
				continue;
			buf_addc(&b, '=');
			buf_adds(&b, val);
			c->envp[c->nenv++] = xstrdup(b.p);
		}
	}
	t = obj_get(d, a->ex, "cwd");
	if (t >= 0) {
		if (str_clean(d, (uint32_t)t, &b) < 0 || b.p[0] != '/') {
			buf_adds(why, "executor/cwd: not an absolute path");
			goto out;
		}
		c->cwd = xstrdup(b.p);
	}
	if (obj_seconds(d, a->ex, "timeout", &c->timeout_ms) < 0) {
		buf_adds(why, "executor/timeout: not a positive number of "
		    "seconds");
		goto out;
	}
	rc = 0;
out:
	buf_release(&b);
	buf_release(&v);
	return rc;
}

static int
allowed(const struct apply_conf *conf, const char *path)
{
	size_t i;

	for (i = 0; i < conf->nexec_allow; i++)
		if (strcmp(conf->exec_allow[i], path) == 0)
			return 1;
	return 0;
}

static int
exec_check(const struct apply_conf *conf, const struct action *a,
    struct buf *why, int *not_allowed)
{
	struct cmd c;
	int rc;

	*not_allowed = 0;
	if ((rc = cmd_parse(conf, a, &c, why)) == 0 &&
	    !allowed(conf, c.argv[0])) {
		buf_addf(why, "'%s' is not on the exec allow-list",
		    c.argv[0]);
		*not_allowed = 1;
		rc = -1;
	}
	cmd_release(&c);
	return rc;
}

static void
exec_describe(const struct apply_conf *conf, const struct action *a,
    struct buf *would)
{
	struct buf why = BUF_INIT;
	struct cmd c;
	size_t i;
	const char *eq;

	if (cmd_parse(conf, a, &c, &why) < 0)
		BUG("describing an unchecked action");
	buf_adds(would, "{\"argv\":[");
	for (i = 0; i < c.nargv; i++) {
		if (i > 0)
			buf_addc(would, ',');
		add_text(would, c.argv[i], strlen(c.argv[i]), SIZE_MAX);
	}
	buf_adds(would, "],\"env\":{");
	for (i = 0; i < c.nenv; i++) {
		eq = strchr(c.envp[i], '=');
		if (i > 0)
			buf_addc(would, ',');
		add_text(would, c.envp[i], (size_t)(eq - c.envp[i]),
		    SIZE_MAX);
		buf_addc(would, ':');
		add_text(would, eq + 1, strlen(eq + 1), SIZE_MAX);
	}
	if (a->cred != NULL) {
		if (c.nenv > 0)
			buf_addc(would, ',');
		add_text(would, a->cred->variable, strlen(a->cred->variable),
		    SIZE_MAX);
		buf_addf(would, ":\"[credential %s]\"", a->cred->name);
	}
	buf_adds(would, "},\"cwd\":");
	add_text(would, c.cwd != NULL ? c.cwd : "/",
	    strlen(c.cwd != NULL ? c.cwd : "/"), SIZE_MAX);
	buf_addf(would, ",\"timeout\":%.3f}", (double)c.timeout_ms / 1000);
	cmd_release(&c);
	buf_release(&why);
}

/* Appends "name":excerpt,"name_bytes":N for one captured stream. */
static void
add_stream(struct buf *r, const char *name, struct buf *b, uint64_t total,
    const struct apply_conf *conf, const struct action *a)
{
	redact(b, a->secret, total > b->len);
	buf_addf(r, ",\"%s\":", name);
	add_text(r, b->p != NULL ? b->p : "", b->len, conf->excerpt_max);
	buf_addf(r, ",\"%s_bytes\":%llu", name, (unsigned long long)total);
}

static void
exec_run(const struct apply_conf *conf, const struct action *a,
    struct outcome *o)
{
	struct buf why = BUF_INIT, b = BUF_INIT;
	struct sandbox_opts so;
	struct sandbox_result r;
	struct tend_err err = { 0 };
	struct cmd c;

	sandbox_result_init(&r);
	if (cmd_parse(conf, a, &c, &why) < 0)
		BUG("running an unchecked action");
	if (a->cred != NULL && a->secret != NULL) {
		buf_addf(&b, "%s=", a->cred->variable);
		buf_add(&b, a->secret->p, a->secret->len);
		c.envp[c.nenv++] = xstrdup(b.p);
		sodium_memzero(b.p, b.len);
	}
	memset(&so, 0, sizeof(so));
	so.argv = c.argv;
	so.envp = c.envp;
	so.cwd = c.cwd;
	so.lim = conf->lim;
	so.timeout_ms = c.timeout_ms;
	so.grace_ms = conf->exec_grace_ms;
	so.out_max = so.err_max = conf->exec_output_max;
	if (sandbox_run(&so, &r, &err) < 0) {
		o->ok = 0;
		buf_adds(&o->error, err.msg);
		goto out;
	}
	buf_adds(&o->result, "{");
	if (r.exited)
		buf_addf(&o->result, "\"exit\":%d", r.exit_code);
	else
		buf_addf(&o->result, "\"signal\":%d", r.sig);
	if (r.timed_out)
		buf_adds(&o->result, ",\"timed_out\":true");
	add_stream(&o->result, "stdout", &r.out, r.out_total, conf, a);
	add_stream(&o->result, "stderr", &r.err, r.err_total, conf, a);
	buf_addc(&o->result, '}');
	o->ok = r.exited && r.exit_code == 0 && !r.timed_out;
	if (r.timed_out)
		buf_addf(&o->error, "timed out after %.3g s (killed by "
		    "signal %d)", (double)c.timeout_ms / 1000, r.sig);
	else if (!r.exited)
		buf_addf(&o->error, "killed by signal %d", r.sig);
	else if (r.exit_code != 0)
		buf_addf(&o->error, "exited %d", r.exit_code);
out:
	sandbox_result_wipe(&r);
	cmd_release(&c);
	buf_release(&why);
	buf_release(&b);
}

const struct executor executor_exec = {
	"exec", 1, exec_check, NULL, exec_describe, exec_run,
};
