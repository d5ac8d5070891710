/*
 * tend-collect: observes a real system and writes one
 * tend.resource.observed event per resource it finds.  SOURCE is one of
 * file (JSON, NDJSON and YAML files and folders), exec (a command's JSON
 * output), http (a JSON API), k8s (the Kubernetes API, through a
 * kubeconfig), prometheus (an instant query, scrape targets, rules,
 * alerts and local rule files) and host (this machine's packages,
 * listening sockets, sysctl values and files).  It reads no events.
 *
 * All events of a run share one runid (--run, $TEND_RUNID or a random
 * one) and the run's clock (--now, $TEND_NOW or the system clock); their
 * ids are derived from their content.  Fails with 2 on usage errors, 3 on
 * input it cannot read as documented (bad JSON or YAML, an API's refusal
 * of a query), 4 when a file, command, connection or credential fails.
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "collect.h"
#include "event.h"
#include "json.h"
#include "jqrun.h"
#include "xmalloc.h"
#include "yaml2json.h"

static const char usage_text[] =
    "usage: %s [-hkV] [--log file] [--max-line bytes] [--now time]\n"
    "           [--run id] [--scope scope] source [option ...]\n"
    "       tend-collect file [--context name] [--items jq] [--key jq]"
    " [--kind kind]\n"
    "           [--kubeconfig file] [--namespace ns] path ...\n"
    "       tend-collect exec [--context name] [--items jq] [--key jq]"
    " [--kind kind]\n"
    "           [--kubeconfig file] [--timeout seconds] [--] command"
    " [arg ...]\n"
    "       tend-collect http [--cacert file] [--context name]"
    " [--header 'name: value']\n"
    "           [--insecure] [--items jq] [--key jq] [--kind kind]"
    " [--kubeconfig file]\n"
    "           [--retries n] [--timeout seconds] [--token-env var |"
    " --token-file file]\n"
    "           url\n"
    "       tend-collect k8s [--cacert file] [--context name] [--insecure]"
    " [--kinds list]\n"
    "           [--kubeconfig file] [--namespace ns] [--page-size n]"
    " [--retries n]\n"
    "           [--timeout seconds]\n"
    "       tend-collect prometheus [--alerts] [--cacert file]"
    " [--header 'name: value']\n"
    "           [--insecure] [--kind kind] [--retries n]"
    " [--rule-file live[=desired]]\n"
    "           [--rules] [--targets] [--time time] [--timeout seconds]\n"
    "           [--token-env var | --token-file file] url [query]\n"
    "       tend-collect host [--file path] [--packages] [--root dir]"
    " [--sockets]\n"
    "           [--sysctl list]\n";

enum {
	OPT_RUN = CLI_OPT_FIRST_PROGRAM,
	OPT_SCOPE,
	OPT_KIND,
	OPT_KEY,
	OPT_ITEMS,
	OPT_NAMESPACE,
	OPT_CONTEXT,
	OPT_KUBECONFIG,
	OPT_KINDS,
	OPT_PAGE_SIZE,
	OPT_HEADER,
	OPT_TOKEN_FILE,
	OPT_TOKEN_ENV,
	OPT_CACERT,
	OPT_INSECURE,
	OPT_RETRIES,
	OPT_TIMEOUT,
	OPT_TIME,
	OPT_ROOT,
	OPT_PACKAGES,
	OPT_SOCKETS,
	OPT_SYSCTL,
	OPT_FILE,
	OPT_TARGETS,
	OPT_RULES,
	OPT_ALERTS,
	OPT_RULE_FILE,
	OPT_END
};

static const struct option longopts[] = {
	CLI_COMMON_OPTS,
	{ "run", required_argument, NULL, OPT_RUN },
	{ "scope", required_argument, NULL, OPT_SCOPE },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "items", required_argument, NULL, OPT_ITEMS },
	{ "namespace", required_argument, NULL, OPT_NAMESPACE },
	{ "context", required_argument, NULL, OPT_CONTEXT },
	{ "kubeconfig", required_argument, NULL, OPT_KUBECONFIG },
	{ "kinds", required_argument, NULL, OPT_KINDS },
	{ "page-size", required_argument, NULL, OPT_PAGE_SIZE },
	{ "header", required_argument, NULL, OPT_HEADER },
	{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
	{ "token-env", required_argument, NULL, OPT_TOKEN_ENV },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "time", required_argument, NULL, OPT_TIME },
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "packages", no_argument, NULL, OPT_PACKAGES },
	{ "sockets", no_argument, NULL, OPT_SOCKETS },
	{ "sysctl", required_argument, NULL, OPT_SYSCTL },
	{ "file", required_argument, NULL, OPT_FILE },
	{ "targets", no_argument, NULL, OPT_TARGETS },
	{ "rules", no_argument, NULL, OPT_RULES },
	{ "alerts", no_argument, NULL, OPT_ALERTS },
	{ "rule-file", required_argument, NULL, OPT_RULE_FILE },
	{ NULL, 0, NULL, 0 },
};

enum {
	S_FILE = 1, S_EXEC = 2, S_HTTP = 4, S_K8S = 8, S_PROM = 16,
	S_HOST = 32
};
#define S_DOCS (S_FILE | S_EXEC | S_HTTP)
#define S_NET (S_HTTP | S_K8S | S_PROM)

/* Which sources each program option applies to. */
static const int opt_sources[OPT_END - OPT_RUN] = {
	[OPT_RUN - OPT_RUN] = ~0,
	[OPT_SCOPE - OPT_RUN] = ~0,
	[OPT_KIND - OPT_RUN] = S_DOCS | S_PROM,
	[OPT_KEY - OPT_RUN] = S_DOCS,
	[OPT_ITEMS - OPT_RUN] = S_DOCS,
	[OPT_NAMESPACE - OPT_RUN] = S_FILE | S_K8S,
	[OPT_CONTEXT - OPT_RUN] = S_DOCS | S_K8S,
	[OPT_KUBECONFIG - OPT_RUN] = S_DOCS | S_K8S,
	[OPT_KINDS - OPT_RUN] = S_K8S,
	[OPT_PAGE_SIZE - OPT_RUN] = S_K8S,
	[OPT_HEADER - OPT_RUN] = S_HTTP | S_PROM,
	[OPT_TOKEN_FILE - OPT_RUN] = S_HTTP | S_PROM,
	[OPT_TOKEN_ENV - OPT_RUN] = S_HTTP | S_PROM,
	[OPT_CACERT - OPT_RUN] = S_NET,
	[OPT_INSECURE - OPT_RUN] = S_NET,
	[OPT_RETRIES - OPT_RUN] = S_NET,
	[OPT_TIMEOUT - OPT_RUN] = S_NET | S_EXEC,
	[OPT_TIME - OPT_RUN] = S_PROM,
	[OPT_ROOT - OPT_RUN] = S_HOST,
	[OPT_PACKAGES - OPT_RUN] = S_HOST,
	[OPT_SOCKETS - OPT_RUN] = S_HOST,
	[OPT_SYSCTL - OPT_RUN] = S_HOST,
	[OPT_FILE - OPT_RUN] = S_HOST,
	[OPT_TARGETS - OPT_RUN] = S_PROM,
	[OPT_RULES - OPT_RUN] = S_PROM,
	[OPT_ALERTS - OPT_RUN] = S_PROM,
	[OPT_RULE_FILE - OPT_RUN] = S_PROM,
};

static const struct {
	const char *name;
	int	 mask;
	int	 (*fn)(struct collect *, int, char **);
} sources[] = {
	{ "file", S_FILE, src_file },
	{ "exec", S_EXEC, src_exec },
	{ "http", S_HTTP, src_http },
	{ "k8s", S_K8S, src_k8s },
	{ "prometheus", S_PROM, src_prometheus },
	{ "host", S_HOST, src_host },
};

static void
strv_add(struct strv *v, const char *s)
{
	v->v = xreallocarray(v->v, v->n + 1, sizeof(*v->v));
	v->v[v->n++] = s;
}

void
strv_add_owned(struct collect *c, char *s)
{
	strv_add(&c->owned, s);
}

/* Splits a comma-separated list; the pieces live in a copy freed at
   exit. */
static void
strv_split(struct collect *c, struct strv *v, const char *list)
{
	char *copy = xstrdup(list), *p = copy, *comma;

	strv_add(&c->owned, copy);

	for (;;) {
		if ((comma = strchr(p, ',')) != NULL)
			*comma = '\0';
		if (*p != '\0')
			strv_add(v, p);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
}

static long long
num_opt(const char *name, const char *arg, long long lo, long long hi)
{
	const char *errstr;
	long long v = strtonum(arg, lo, hi, &errstr);

	if (errstr != NULL) {
		warnx("--%s %s: %s", name, arg, errstr);
		exit(TEND_EXIT_USAGE);
	}
	return v;
}

/* Returns the option's code if it is a program option, else 0. */
static int
program_opt(struct collect *c, int ch, const char *arg)
{
	switch (ch) {
	case OPT_RUN:
		if (*arg == '\0') {
			warnx("--run must not be empty");
			exit(TEND_EXIT_USAGE);
		}
		c->runid = arg;
		break;
	case OPT_SCOPE:
		if (*arg == '\0' || strchr(arg, '/') != NULL) {
			warnx("--scope '%s': must be non-empty, without '/'",
			    arg);
			exit(TEND_EXIT_USAGE);
		}
		c->scope = arg;
		break;
	case OPT_KIND:
		if (*arg == '\0' || strchr(arg, '/') != NULL) {
			warnx("--kind '%s': must be non-empty, without '/'",
			    arg);
			exit(TEND_EXIT_USAGE);
		}
		c->kind = arg;
		break;
	case OPT_KEY: c->key_expr = arg; break;
	case OPT_ITEMS: c->items_expr = arg; break;
	case OPT_NAMESPACE: strv_add(&c->namespaces, arg); break;
	case OPT_CONTEXT: c->context = arg; break;
	case OPT_KUBECONFIG: c->kubeconfig_path = arg; break;
	case OPT_KINDS: c->kinds = arg; break;
	case OPT_PAGE_SIZE:
		c->page_size = (long)num_opt("page-size", arg, 1, 100000);
		break;
	case OPT_HEADER:
		if (strchr(arg, ':') == NULL || *arg == ':') {
			warnx("--header '%s': want 'name: value'", arg);
			exit(TEND_EXIT_USAGE);
		}
		strv_add(&c->headers, arg);
		break;
	case OPT_TOKEN_FILE: c->token_file = arg; break;
	case OPT_TOKEN_ENV: c->token_env = arg; break;
	case OPT_CACERT: c->cacert = arg; break;
	case OPT_INSECURE: c->insecure = 1; break;
	case OPT_RETRIES:
		c->retries = (int)num_opt("retries", arg, 0, 100);
		break;
	case OPT_TIMEOUT:
		c->timeout_ms = (long)num_opt("timeout", arg, 1, 86400) * 1000;
		break;
	case OPT_TIME: c->prom_time = arg; break;
	case OPT_ROOT: c->root = arg; break;
	case OPT_PACKAGES: c->packages = 1; break;
	case OPT_SOCKETS: c->sockets = 1; break;
	case OPT_SYSCTL: strv_split(c, &c->sysctls, arg); break;
	case OPT_FILE: strv_add(&c->files, arg); break;
	case OPT_TARGETS: c->prom_targets = 1; break;
	case OPT_RULES: c->prom_rules = 1; break;
	case OPT_ALERTS: c->prom_alerts = 1; break;
	case OPT_RULE_FILE:
		if (*arg == '\0' || *arg == '=' ||
		    arg[strlen(arg) - 1] == '=') {
			warnx("--rule-file '%s': want live[=desired], both "
			    "non-empty", arg);
			exit(TEND_EXIT_USAGE);
		}
		strv_add(&c->rule_files, arg);
		break;
	default:
		return 0;
	}
	return ch;
}

static const char *
opt_name(int ch)
{
	const struct option *o;

	for (o = longopts; o->name != NULL; o++)
		if (o->val == ch)
			return o->name;
	return "?";
}

/* Parses options from argv[0..argc) (argv[0] is skipped), recording
   which were seen.  Returns the index of the first operand. */
static int
parse_opts(struct collect *c, int argc, char **argv, const char *shortopts,
    unsigned char *seen)
{
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, shortopts, longopts,
	    NULL)) != -1) {
		if (cli_common_opt(&c->cli, ch, optarg))
			continue;
		if (program_opt(c, ch, optarg) == 0)
			cli_usage_error(&c->cli);
		seen[ch - OPT_RUN] = 1;
	}
	return optind;
}

static void
make_runid(struct collect *c)
{
	unsigned char r[16];
	static const char hex[] = "0123456789abcdef";
	const char *env = getenv("TEND_RUNID");
	size_t i;

	if (c->runid == NULL && env != NULL && *env != '\0')
		c->runid = env;
	if (c->runid == NULL) {
		arc4random_buf(r, sizeof(r));
		for (i = 0; i < sizeof(r); i++) {
			c->runid_buf[2 * i] = hex[r[i] >> 4];
			c->runid_buf[2 * i + 1] = hex[r[i] & 15];
		}
		c->runid_buf[32] = '\0';
		c->runid = c->runid_buf;
	}
	/* tend.error events (cli_bad_input) and children see it too */
	if (setenv("TEND_RUNID", c->runid, 1) < 0)
		err(TEND_EXIT_SYSTEM, "setenv");
}

static struct jqprog *
compile_opt(const char *name, const char *text)
{
	struct tend_err err = { 0 };
	struct jqprog *p;

	if ((p = jqprog_compile(text, name, NULL, NULL, 0, &err)) == NULL) {
		warnx("%s", err.msg);
		exit(TEND_EXIT_USAGE);
	}
	return p;
}

int
main(int argc, char *argv[])
{
	static struct collect c;
	unsigned char seen[OPT_END - OPT_RUN] = { 0 };
	const char *sopts;
	size_t i, s;
	int first, rc, mask;

	cli_init(&c.cli, "tend-collect", usage_text);
	c.tty = isatty(STDERR_FILENO);
	first = parse_opts(&c, argc, argv, "+" CLI_COMMON_SHORTOPTS, seen);
	if (first >= argc) {
		warnx("no source given (file, exec, http, k8s, prometheus, "
		    "host)");
		cli_usage_error(&c.cli);
	}
	for (s = 0; s < ARRAY_SIZE(sources); s++)
		if (strcmp(argv[first], sources[s].name) == 0)
			break;
	if (s == ARRAY_SIZE(sources)) {
		warnx("unknown source '%s'", argv[first]);
		cli_usage_error(&c.cli);
	}
	c.source = sources[s].name;
	mask = sources[s].mask;
	/* exec: options stop at the command, whose own options follow */
	sopts = mask == S_EXEC ? "+" CLI_COMMON_SHORTOPTS :
	    CLI_COMMON_SHORTOPTS;
	argc -= first;
	argv += first;
	first = parse_opts(&c, argc, argv, sopts, seen);
	for (i = 0; i < ARRAY_SIZE(seen); i++)
		if (seen[i] && !(opt_sources[i] & mask)) {
			warnx("--%s does not apply to source %s",
			    opt_name((int)i + OPT_RUN), c.source);
			exit(TEND_EXIT_USAGE);
		}
	if (c.token_file != NULL && c.token_env != NULL) {
		warnx("--token-file and --token-env exclude each other");
		exit(TEND_EXIT_USAGE);
	}
	cli_start(&c.cli);
	make_runid(&c);
	if (c.key_expr != NULL)
		c.keyprog = compile_opt("--key", c.key_expr);
	if (c.items_expr != NULL)
		c.itemsprog = compile_opt("--items", c.items_expr);

	rc = sources[s].fn(&c, argc - first, argv + first);
	(void)rc;
	collect_progress_done(&c);
	k8s_release(&c);
	if (c.keyprog != NULL)
		jqprog_free(c.keyprog);
	if (c.itemsprog != NULL)
		jqprog_free(c.itemsprog);
	buf_release(&c.ev);
	buf_release(&c.data);
	buf_release(&c.subject);
	buf_release(&c.tmp);
	for (i = 0; i < c.owned.n; i++)
		free((void *)(uintptr_t)c.owned.v[i]);
	free(c.owned.v);
	free(c.namespaces.v);
	free(c.headers.v);
	free(c.sysctls.v);
	free(c.files.v);
	free(c.rule_files.v);
	return cli_finish(&c.cli);
}

/* Progress goes to a terminal only, at most four times a second. */
void
collect_progress(struct collect *c, const char *fmt, ...)
{
	struct timespec ts;
	int64_t now;
	va_list ap;

	if (!c->tty)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (c->progress_shown && now - c->progress_at < 250)
		return;
	c->progress_at = now;
	c->progress_shown = 1;
	fprintf(stderr, "\r%s: ", getprogname());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\033[K", stderr);
	fflush(stderr);
}

void
collect_progress_done(struct collect *c)
{
	if (c->progress_shown)
		fputs("\r\033[K", stderr);
	c->progress_shown = 0;
}

int
collect_bad(struct collect *c, const char *file, size_t line,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	collect_progress_done(c);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cli_bad_input(&c->cli, file, line, "", 0, msg);
}

/*
 * Appends valid JSON text without the white space between its tokens, so
 * it fits on one line; the tokens themselves (numbers, string escapes)
 * keep their bytes.
 */
static void
add_compact(struct buf *out, const char *s, size_t len)
{
	size_t i, run = 0;
	int in_str = 0;

	buf_grow(out, len);
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = 0;
			continue;
		}
		if (ch == '"') {
			in_str = 1;
			continue;
		}
		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
			buf_add(out, s + run, i - run);
			run = i + 1;
		}
	}
	buf_add(out, s + run, len - run);
}

int
collect_emit(struct collect *c, const struct observed *o, const char *file,
    size_t line)
{
	struct event_new en;
	struct tend_err err = { 0 };
	const char *kp = o->kindpath != NULL ? o->kindpath : o->kind;

	buf_reset(&c->subject);
	buf_addf(&c->subject, "%s:%s/%s", o->provider, o->scope, kp);
	if (o->name[0] != '/')
		buf_addc(&c->subject, '/');
	buf_adds(&c->subject, o->name);

	buf_reset(&c->data);
	buf_adds(&c->data, "{\"provider\":");
	buf_add_json_str(&c->data, o->provider, strlen(o->provider));
	buf_adds(&c->data, ",\"kind\":");
	buf_add_json_str(&c->data, o->kind, strlen(o->kind));
	buf_adds(&c->data, ",\"name\":");
	buf_add_json_str(&c->data, o->name, strlen(o->name));
	if (o->ns != NULL) {
		buf_adds(&c->data, ",\"namespace\":");
		buf_add_json_str(&c->data, o->ns, strlen(o->ns));
	}
	buf_adds(&c->data, ",\"scope\":");
	buf_add_json_str(&c->data, o->scope, strlen(o->scope));
	buf_adds(&c->data, ",\"source\":");
	buf_add_json_str(&c->data, o->source, strlen(o->source));
	buf_adds(&c->data, ",\"object\":");
	add_compact(&c->data, o->object, o->object_len);
	buf_addc(&c->data, '}');

	memset(&en, 0, sizeof(en));
	en.source = "tend-collect";
	en.type = "tend.resource.observed";
	en.subject = c->subject.p;
	en.runid = c->runid;
	en.time_ns = c->cli.now_ns;
	en.data = c->data.p;
	en.data_len = c->data.len;
	buf_reset(&c->ev);
	if (event_build(&c->ev, &en, &err) < 0) {
		collect_progress_done(c);
		return cli_bad_input(&c->cli, file, line, o->object,
		    o->object_len, err.msg);
	}
	if (cli_emit(&c->cli, c->ev.p, c->ev.len) < 0)
		return -1;
	c->emitted++;
	return 0;
}

/* The string or integer at token t as a name, or -1. */
static int
tok_name(const struct json_doc *d, int64_t t, struct buf *out)
{
	size_t len;
	const char *raw;

	if (t < 0)
		return -1;
	if (d->tok[t].type == JSON_STRING && d->tok[t].len > 0) {
		json_str_decode(d, (uint32_t)t, out);
		return 0;
	}
	if (d->tok[t].type == JSON_NUMBER) {
		raw = json_raw(d, (uint32_t)t, &len);
		buf_add(out, raw, len);
		return 0;
	}
	return -1;
}

static int
str_member(const struct json_doc *d, int64_t obj, const char *key,
    struct buf *out)
{
	int64_t t;

	if (obj < 0 || d->tok[obj].type != JSON_OBJECT)
		return -1;
	t = json_obj_get(d, (uint32_t)obj, key);
	if (t < 0 || d->tok[t].type != JSON_STRING || d->tok[t].len == 0)
		return -1;
	json_str_decode(d, (uint32_t)t, out);
	return 0;
}

struct keyctx {
	struct buf *out;
	int	 n;
	int	 bad;
};

static int
key_out(void *ctx, const char *s, size_t len)
{
	struct keyctx *k = ctx;
	struct json_doc d;
	struct tend_err err = { 0 };

	if (k->n++ > 0)
		return -1;
	json_doc_init(&d);
	if (json_parse(&d, s, len, &err) < 0 || tok_name(&d, 0, k->out) < 0)
		k->bad = 1;
	json_doc_release(&d);
	return 0;
}

/* The name of a generic item: --key, else a common field, else #index. */
static int
generic_name(struct collect *c, struct docsrc *ds, const struct json_doc *d,
    uint32_t t, struct buf *name, const char *file, size_t line)
{
	static const char *const fields[] = { "name", "id", "key", "uid" };
	struct tend_err err = { 0 };
	struct keyctx k = { name, 0, 0 };
	const char *raw;
	size_t len, i;
	int64_t m;

	if (c->keyprog != NULL) {
		raw = json_raw(d, t, &len);
		if (jqprog_run(c->keyprog, raw, len, key_out, &k, &err) < 0 &&
		    k.n <= 1)
			return collect_bad(c, file, line, "%s", err.msg) < 0 ?
			    -1 : 1;
		if (k.n == 0 || k.bad || name->len == 0)
			return collect_bad(c, file, line, "--key gave no "
			    "non-empty string or number") < 0 ? -1 : 1;
		return 0;
	}
	if (d->tok[t].type == JSON_OBJECT) {
		m = json_obj_get(d, t, "metadata");
		if (m >= 0 && d->tok[m].type == JSON_OBJECT &&
		    tok_name(d, json_obj_get(d, (uint32_t)m, "name"),
		    name) == 0)
			return 0;
		for (i = 0; i < ARRAY_SIZE(fields); i++)
			if (tok_name(d, json_obj_get(d, t, fields[i]),
			    name) == 0)
				return 0;
	}
	buf_addf(name, "#%zu", ds->index);
	return 0;
}

/* A Kubernetes object: apiVersion, kind and metadata.name strings. */
static int
is_k8s(const struct json_doc *d, uint32_t t)
{
	int64_t a, k, m, n;

	if (d->tok[t].type != JSON_OBJECT)
		return 0;
	a = json_obj_get(d, t, "apiVersion");
	k = json_obj_get(d, t, "kind");
	m = json_obj_get(d, t, "metadata");
	if (a < 0 || k < 0 || m < 0 || d->tok[a].type != JSON_STRING ||
	    d->tok[k].type != JSON_STRING || d->tok[m].type != JSON_OBJECT ||
	    d->tok[a].len == 0 || d->tok[k].len == 0)
		return 0;
	n = json_obj_get(d, (uint32_t)m, "name");
	return n >= 0 && d->tok[n].type == JSON_STRING && d->tok[n].len > 0;
}

/*
 * Kubernetes list items carry no apiVersion and kind: writes item t with
 * them in front (from the list) unless it has them.
 */
static void
fill_type(const struct json_doc *d, uint32_t t, const char *api,
    const char *kind, struct buf *out)
{
	const char *raw;
	size_t len;

	raw = json_raw(d, t, &len);
	if (d->tok[t].type != JSON_OBJECT || api == NULL) {
		buf_add(out, raw, len);
		return;
	}
	buf_addc(out, '{');
	if (json_obj_get(d, t, "apiVersion") < 0) {
		buf_adds(out, "\"apiVersion\":");
		buf_add_json_str(out, api, strlen(api));
		buf_addc(out, ',');
	}
	if (json_obj_get(d, t, "kind") < 0) {
		buf_adds(out, "\"kind\":");
		buf_add_json_str(out, kind, strlen(kind));
		buf_addc(out, ',');
	}
	if (d->tok[t].size == 0)
		out->len--;	/* the comma */
	buf_add(out, raw + 1, len - 1);
}

static int
emit_item(struct collect *c, struct docsrc *ds, const char *text,
    size_t len, const char *file, size_t line)
{
	struct json_doc d;
	struct tend_err err = { 0 };
	struct buf name = BUF_INIT;
	struct observed o;
	const char *ns = NULL;
	int rc;

	json_doc_init(&d);
	if (json_parse(&d, text, len, &err) < 0)
		BUG(err.msg);	/* a value of a document we parsed */
	if (d.tok[0].type == JSON_NULL) {
		rc = 0;
		goto out;
	}
	ds->index++;
	if (is_k8s(&d, 0)) {
		const char *scope = c->scope;

		if (scope == NULL)
			scope = k8s_current_scope(c, &ns);
		rc = collect_k8s_object(c, scope, ds->source, text, len, file,
		    line);
		goto out;
	}
	if ((rc = generic_name(c, ds, &d, 0, &name, file, line)) != 0) {
		rc = rc < 0 ? -1 : 0;
		goto out;
	}
	memset(&o, 0, sizeof(o));
	o.provider = ds->provider;
	o.scope = c->scope != NULL ? c->scope : ds->scope;
	o.kind = c->kind != NULL ? c->kind : "object";
	o.name = name.p;
	o.source = ds->source;
	o.object = text;
	o.object_len = len;
	rc = collect_emit(c, &o, file, line);
out:
	buf_release(&name);
	json_doc_release(&d);
	return rc;
}

static int
emit_tok(struct collect *c, struct docsrc *ds, const struct json_doc *d,
    uint32_t t, const char *api, const char *kind, const char *file,
    size_t line)
{
	struct buf b = BUF_INIT;
	int rc;

	fill_type(d, t, api, kind, &b);
	rc = emit_item(c, ds, b.p, b.len, file, line);
	buf_release(&b);
	return rc;
}

struct itemsctx {
	struct collect *c;
	struct docsrc *ds;
	const char *file;
	size_t	 line;
	int	 stop;
};

static int
items_out(void *ctx, const char *s, size_t len)
{
	struct itemsctx *x = ctx;

	if (emit_item(x->c, x->ds, s, len, x->file, x->line) < 0) {
		x->stop = 1;
		return -1;
	}
	return 0;
}

/* Line of byte off in a document whose first byte is on line `line`. */
static size_t
line_at(const struct json_doc *d, size_t off, size_t line)
{
	const char *p = d->src, *end = d->src + off;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		line++;
		p++;
	}
	return line;
}

int
collect_doc(struct collect *c, struct docsrc *ds, const struct json_doc *d,
    uint32_t t, const char *file, size_t line)
{
	struct buf api = BUF_INIT, kind = BUF_INIT;
	struct tend_err err = { 0 };
	const char *raw;
	size_t len, n;
	int64_t items;
	uint32_t i, k;
	int rc = 0;

	if (c->itemsprog != NULL) {
		struct itemsctx x = { c, ds, file, line, 0 };

		raw = json_raw(d, t, &len);
		if (jqprog_run(c->itemsprog, raw, len, items_out, &x,
		    &err) < 0 && !x.stop)
			return collect_bad(c, file, line, "%s", err.msg);
		return x.stop ? -1 : 0;
	}
	if (d->tok[t].type == JSON_ARRAY) {
		for (i = t + 1, n = 0; n < d->tok[t].size && rc == 0;
		    n++, i = json_next(d, i))
			rc = emit_tok(c, ds, d, i, NULL, NULL, file,
			    line_at(d, d->tok[i].off, line));
		return rc;
	}
	items = d->tok[t].type == JSON_OBJECT ? json_obj_get(d, t, "items") :
	    -1;
	if (items < 0 || d->tok[items].type != JSON_ARRAY)
		return emit_tok(c, ds, d, t, NULL, NULL, file,
		    line_at(d, d->tok[t].off, line));
	/* a Kubernetes List, or a typed one (ConfigMapList) */
	if (str_member(d, t, "apiVersion", &api) == 0 &&
	    str_member(d, t, "kind", &kind) == 0 && kind.len > 4 &&
	    strcmp(kind.p + kind.len - 4, "List") == 0) {
		kind.len -= 4;
		kind.p[kind.len] = '\0';
	} else {
		buf_reset(&api);
		buf_reset(&kind);
	}
	k = (uint32_t)items;
	for (i = k + 1, n = 0; n < d->tok[k].size && rc == 0;
	    n++, i = json_next(d, i))
		rc = emit_tok(c, ds, d, i, api.len && kind.len ? api.p : NULL,
		    kind.len ? kind.p : NULL, file,
		    line_at(d, d->tok[i].off, line));
	buf_release(&api);
	buf_release(&kind);
	return rc;
}

/* Reports a JSON error at its line. */
static int
json_bad(struct collect *c, const char *file, const char *text,
    size_t line, const struct tend_err *err)
{
	const char *p = text, *end = text + err->offset, *nl;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		line++;
		p = nl + 1;
	}
	return collect_bad(c, file, line, "%s", err->msg);
}

static int
collect_ndjson(struct collect *c, struct docsrc *ds, const char *text,
    size_t len, const char *file)
{
	struct json_doc d;
	struct tend_err err = { 0 };
	const char *p = text, *end = text + len, *nl;
	size_t line = 0, n;
	int rc = 0;

	json_doc_init(&d);
	for (; p < end && rc == 0; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		line++;
		n = (size_t)(nl - p);
		if (n > c->cli.max_line) {
			rc = collect_bad(c, file, line, "line longer than %zu "
			    "bytes", c->cli.max_line);
			continue;
		}
		if (strspn(p, " \t\r") >= n)
			continue;
		if (json_parse(&d, p, n, &err) < 0) {
			rc = collect_bad(c, file, line, "%s", err.msg);
			continue;
		}
		rc = collect_doc(c, ds, &d, 0, file, line);
	}
	json_doc_release(&d);
	return rc;
}

struct yamlctx {
	struct collect *c;
	struct docsrc *ds;
	const char *file;
	int	 stop;
};

static int
yaml_doc(void *ctx, const char *json, size_t len, size_t line)
{
	struct yamlctx *y = ctx;
	struct json_doc d;
	struct tend_err err = { 0 };
	int rc;

	json_doc_init(&d);
	if (json_parse(&d, json, len, &err) < 0)
		BUG(err.msg);	/* yaml2json writes valid JSON */
	/* item lines inside a YAML document are the document's */
	rc = collect_doc(y->c, y->ds, &d, 0, y->file, line);
	json_doc_release(&d);
	if (rc < 0)
		y->stop = 1;
	return rc;
}

int
collect_text(struct collect *c, struct docsrc *ds, const char *text,
    size_t len, const char *file, int format)
{
	struct json_doc d;
	struct tend_err err = { 0 };
	struct yamlctx y = { c, ds, file, 0 };
	size_t i, line = 0;
	int rc;

	if (format == FMT_SNIFF) {
		for (i = 0; i < len && strchr(" \t\r\n", text[i]) != NULL; i++)
			;
		if (i == len)
			return 0;
		format = text[i] == '{' || text[i] == '[' ? FMT_JSON :
		    FMT_YAML;
	}
	switch (format) {
	case FMT_NDJSON:
		return collect_ndjson(c, ds, text, len, file);
	case FMT_YAML:
		if (yaml2json(text, len, NULL, yaml_doc, &y, &line, &err) < 0)
			return y.stop ? -1 : collect_bad(c, file, line, "%s",
			    err.msg);
		return 0;
	default:
		break;
	}
	for (i = 0; i < len && strchr(" \t\r\n", text[i]) != NULL; i++)
		;
	if (i == len)
		return 0;
	json_doc_init(&d);
	if (json_parse(&d, text, len, &err) == 0) {
		rc = collect_doc(c, ds, &d, 0, file,
		    line_at(&d, d.tok[0].off, 1));
		json_doc_release(&d);
		return rc;
	}
	json_doc_release(&d);
	/* one value a line, when the first line is a whole value */
	if (memchr(text, '\n', len) != NULL) {
		const char *nl = memchr(text, '\n', len);
		struct tend_err e2 = { 0 };

		json_doc_init(&d);
		rc = json_parse(&d, text, (size_t)(nl - text), &e2);
		json_doc_release(&d);
		if (rc == 0)
			return collect_ndjson(c, ds, text, len, file);
	}
	return json_bad(c, file, text, 1, &err);
}

int
collect_k8s_object(struct collect *c, const char *scope, const char *source,
    const char *obj, size_t len, const char *file, size_t line)
{
	struct json_doc d;
	struct tend_err err = { 0 };
	struct buf api = BUF_INIT, kind = BUF_INIT, name = BUF_INIT,
	    ns = BUF_INIT, path = BUF_INIT;
	struct observed o;
	const char *slash, *defns = NULL;
	int64_t m;
	int rc;

	json_doc_init(&d);
	if (json_parse(&d, obj, len, &err) < 0 || !is_k8s(&d, 0)) {
		rc = collect_bad(c, file, line, "not a Kubernetes object");
		goto out;
	}
	str_member(&d, 0, "apiVersion", &api);
	str_member(&d, 0, "kind", &kind);
	m = json_obj_get(&d, 0, "metadata");
	str_member(&d, m, "name", &name);
	if (str_member(&d, m, "namespace", &ns) < 0 &&
	    !k8s_kind_cluster_scoped(kind.p)) {
		if (c->k8s_default_ns != NULL)
			defns = c->k8s_default_ns;
		else if (strcmp(c->source, "k8s") != 0)
			k8s_current_scope(c, &defns);
		if (defns != NULL)
			buf_adds(&ns, defns);
	}
	if ((slash = strchr(api.p, '/')) != NULL)
		buf_add(&path, api.p, (size_t)(slash - api.p));
	else
		buf_adds(&path, "core");
	buf_addf(&path, "/%s/%s", kind.p, ns.len > 0 ? ns.p : "_");
	memset(&o, 0, sizeof(o));
	o.provider = "k8s";
	o.scope = scope;
	o.kindpath = path.p;
	o.kind = kind.p;
	o.name = name.p;
	o.ns = ns.len > 0 ? ns.p : NULL;
	o.source = source;
	o.object = obj;
	o.object_len = len;
	rc = collect_emit(c, &o, file, line);
out:
	json_doc_release(&d);
	buf_release(&api);
	buf_release(&kind);
	buf_release(&name);
	buf_release(&ns);
	buf_release(&path);
	return rc;
}

int
read_all(int fd, struct buf *out, size_t max, struct tend_err *err)
{
	char tmp[65536];
	ssize_t n;

	for (;;) {
		n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return tend_err_sys(err, "read");
		if (n == 0)
			return 0;
		if (out->len + (size_t)n > max)
			return tend_err_set(err, TEND_EXIT_INPUT, "larger than "
			    "%zu bytes", max);
		buf_add(out, tmp, (size_t)n);
	}
}

int
read_file(const char *path, struct buf *out, size_t max,
    struct tend_err *err)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return tend_err_sys(err, "cannot open '%s'", path);
	rc = read_all(fd, out, max, err);
	close(fd);
	if (rc < 0 && err->code == TEND_EXIT_SYSTEM)
		return tend_err_sys(err, "cannot read '%s'", path);
	if (rc < 0)
		return tend_err_set(err, err->code, "'%s': larger than %zu "
		    "bytes", path, max);
	return 0;
}

/*
 * The bearer token of --token-file or --token-env into out (trailing
 * white space cut).  0 (out empty when neither was given), or -1 reported.
 */
int
read_secret(struct collect *c, struct buf *out)
{
	struct tend_err err = { 0 };
	const char *v;

	if (c->token_env != NULL) {
		if ((v = getenv(c->token_env)) == NULL || *v == '\0') {
			warnx("--token-env: $%s is not set", c->token_env);
			cli_fail(&c->cli, TEND_EXIT_USAGE);
			return -1;
		}
		buf_adds(out, v);
	} else if (c->token_file != NULL) {
		if (read_file(c->token_file, out, 1 << 16, &err) < 0) {
			warnx("--token-file: %s", err.msg);
			cli_fail(&c->cli, TEND_EXIT_SYSTEM);
			return -1;
		}
	}
	while (out->len > 0 && strchr(" \t\r\n", out->p[out->len - 1]))
		out->p[--out->len] = '\0';
	if ((c->token_env != NULL || c->token_file != NULL) && out->len == 0) {
		warnx("the token is empty");
		cli_fail(&c->cli, TEND_EXIT_USAGE);
		return -1;
	}
	if (out->len > 0 && (memchr(out->p, '\n', out->len) != NULL ||
	    memchr(out->p, '\r', out->len) != NULL)) {
		sodium_memzero(out->p, out->len);
		warnx("the token holds a line break");
		cli_fail(&c->cli, TEND_EXIT_INPUT);
		return -1;
	}
	return 0;
}

struct http_client *
collect_http_client(struct collect *c, const struct http_opts *base)
{
	struct http_opts o = *base;
	struct http_client *h;
	struct tend_err err = { 0 };

	if (c->timeout_ms > 0)
		o.timeout_ms = c->timeout_ms;
	o.retries = c->retries;
	if (c->cacert != NULL)
		o.cacert = c->cacert;
	if (c->insecure)
		o.insecure = 1;
	if ((h = http_client_new(&o, &err)) == NULL) {
		warnx("%s", err.msg);
		cli_fail(&c->cli, TEND_EXIT_SYSTEM);
	}
	return h;
}

/*
 * An HTTP error status: reported with the server's message when its body
 * is JSON with one.  401 and 403 are failures of the credentials, not of
 * the input, and give 4 as 5xx do (a rotated token fixes them); other 4xx
 * give 3.
 */
void
collect_http_fail(struct collect *c, const struct http_response *r,
    const char *what)
{
	struct json_doc d;
	struct tend_err err = { 0 };
	struct buf msg = BUF_INIT;
	int64_t t;
	int st = r->status;

	collect_progress_done(c);
	json_doc_init(&d);
	if (r->body.len > 0 && json_parse(&d, r->body.p, r->body.len,
	    &err) == 0 && d.tok[0].type == JSON_OBJECT) {
		t = json_obj_get(&d, 0, "message");
		if (t < 0)
			t = json_obj_get(&d, 0, "error");
		if (t >= 0 && d.tok[t].type == JSON_STRING)
			json_str_decode(&d, (uint32_t)t, &msg);
	}
	json_doc_release(&d);
	if (msg.len > 300) {
		msg.len = 300;
		buf_adds(&msg, "...");
	}
	if (msg.len > 0)
		warnx("%s: HTTP %d: %s", what, st, msg.p);
	else
		warnx("%s: HTTP %d", what, st);
	buf_release(&msg);
	cli_fail(&c->cli, st == 401 || st == 403 || st == 408 || st == 429 ||
	    st >= 500 ? TEND_EXIT_SYSTEM : TEND_EXIT_INPUT);
}
