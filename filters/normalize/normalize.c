/*
 * tend-normalize: reads NDJSON events (stdin or FILE operands) and turns
 * each tend.resource.observed into one tend.resource.state: the same
 * shape for every provider (key, provider, kind, name, namespace, scope,
 * labels, owner, service, spec, status, digest), server noise out of the
 * spec, secrets replaced by keyed tokens (or "redacted").  Events of
 * other types pass through unchanged.  Output is deterministic: a state
 * event's id is derived and its time is the observed event's.
 *
 * A line that is not a valid event, or an observed event without the
 * data it needs, is reported as "tend-normalize: FILE:LINE: why" and
 * stops the run with status 3 (--keep-going: a tend.error event, and 3 at
 * the end).  Bad options give 2; a key or normaliser that cannot be read
 * gives 4 (a normaliser that does not compile: 3).
 */
#include "compat.h"

#include <fcntl.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "event.h"
#include "jcs.h"
#include "sha256.h"
#include "ndjson.h"
#include "norm.h"
#include "user.h"
#include "xmalloc.h"

static const char usage_text[] =
    "usage: %s [-hkV] [--log file] [--max-line bytes]\n"
    "\t[--normalizer provider/kind=file | dir] [--now time]\n"
    "\t[--owner-label label] [--secret-env regex] [--secret-path path]\n"
    "\t[--service-label label] [--status-field name] [--token-key file]\n"
    "\t[file ...]\n";

enum {
	OPT_NORMALIZER = CLI_OPT_FIRST_PROGRAM,
	OPT_OWNER_LABEL,
	OPT_SECRET_ENV,
	OPT_SECRET_PATH,
	OPT_SERVICE_LABEL,
	OPT_STATUS_FIELD,
	OPT_TOKEN_KEY,
};

static const struct option longopts[] = {
	CLI_COMMON_OPTS,
	{ "normalizer", required_argument, NULL, OPT_NORMALIZER },
	{ "owner-label", required_argument, NULL, OPT_OWNER_LABEL },
	{ "secret-env", required_argument, NULL, OPT_SECRET_ENV },
	{ "secret-path", required_argument, NULL, OPT_SECRET_PATH },
	{ "service-label", required_argument, NULL, OPT_SERVICE_LABEL },
	{ "status-field", required_argument, NULL, OPT_STATUS_FIELD },
	{ "token-key", required_argument, NULL, OPT_TOKEN_KEY },
	{ NULL, 0, NULL, 0 },
};

static const char *default_owner_labels[] = { "owner", "team" };
static const char *default_service_labels[] = {
	"app.kubernetes.io/part-of", "app.kubernetes.io/name", "app",
	"k8s-app",
};

struct run {
	struct cli cli;
	struct norm n;
	struct user user;
	struct event ev;
	struct json_doc id_doc;
	struct buf data, idin, canon, out, provider, kind, key, runid, causeid;
};

static void
strlist_add(struct strlist *l, const char *s)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = s;
}

/* Appends the decoded string token i, NUL-terminated; 0, or -1 if i is
   not a non-empty string. */
static int
get_str(const struct json_doc *d, int64_t i, struct buf *b)
{
	b->len = 0;
	if (i < 0 || d->tok[i].type != JSON_STRING || d->tok[i].len == 0)
		return -1;
	json_str_decode(d, (uint32_t)i, b);
	return 0;
}

/* The member of data named key when it is a string, else the one of the
   k8s object's metadata; -1 if neither. */
static int64_t
ident(const struct json_doc *d, int64_t data, int64_t meta, const char *key)
{
	int64_t t = obj_get(d, data, key);

	if (t >= 0 && d->tok[t].type == JSON_STRING)
		return t;
	t = obj_get(d, meta, key);
	if (t >= 0 && d->tok[t].type == JSON_STRING)
		return t;
	return -1;
}

static int
provider_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    (i > 0 && (s[i] == '_' || s[i] == '.' || s[i] == '-'))))
			return 0;
	return i > 0;
}

/* A resource key: provider:scope/kind/name (the scope without '/', the
   kind path and name not empty), as schemas/envelope.v1.json says. */
static int
key_ok(const char *s, size_t len)
{
	const char *colon = memchr(s, ':', len), *slash, *end = s + len;

	if (colon == NULL || strlen(s) != len)
		return 0;
	for (slash = s; slash < colon; slash++)
		if (!((*slash >= 'a' && *slash <= 'z') ||
		    (*slash >= '0' && *slash <= '9') || (slash > s &&
		    (*slash == '_' || *slash == '.' || *slash == '-'))))
			return 0;
	if (colon == s || (slash = memchr(colon, '/', (size_t)(end - colon)))
	    == NULL)
		return 0;
	s = slash + 1;
	if ((slash = memchr(s, '/', (size_t)(end - s))) == NULL || slash == s)
		return 0;
	return slash + 1 < end;
}

/* Appends the decoded text of string token t, or nothing. */
static void
add_decoded(const struct json_doc *d, int64_t t, struct buf *b)
{
	if (t >= 0 && d->tok[t].type == JSON_STRING)
		json_str_decode(d, (uint32_t)t, b);
}

/* The resource key when the event has no subject. */
static void
derive_key(struct run *r, int64_t obj, int64_t name, int64_t ns,
    int64_t scope, int k8s)
{
	const struct json_doc *d = &r->ev.doc;
	struct buf *b = &r->key;
	int64_t av;
	const char *slash;
	size_t len;

	b->len = 0;
	buf_adds(b, r->n.provider);
	buf_addc(b, ':');
	add_decoded(d, scope, b);
	buf_addc(b, '/');
	if (k8s) {
		av = obj_get(d, obj, "apiVersion");
		if (av >= 0 && d->tok[av].type == JSON_STRING &&
		    !d->tok[av].escaped && (slash = memchr(d->src +
		    d->tok[av].off, '/', d->tok[av].len)) != NULL) {
			len = (size_t)(slash - (d->src + d->tok[av].off));
			buf_add(b, d->src + d->tok[av].off, len);
		} else {
			buf_adds(b, "core");
		}
		buf_addc(b, '/');
		buf_adds(b, r->n.kind);
		buf_addc(b, '/');
		if (ns >= 0)
			add_decoded(d, ns, b);
		else
			buf_addc(b, '_');
	} else {
		buf_adds(b, r->n.kind);
	}
	buf_addc(b, '/');
	add_decoded(d, name, b);
}

/* The first of the labels present (a string) into data as "field". */
static void
label_map(struct run *r, const char *field, const struct strlist *l)
{
	const struct json_doc *d = r->n.d;
	int64_t v;
	size_t i;

	for (i = 0; i < l->n; i++) {
		v = obj_get(d, r->n.labels, l->v[i]);
		if (v < 0 || d->tok[v].type != JSON_STRING)
			continue;
		buf_addf(&r->data, ",\"%s\":", field);
		norm_string(&r->n, (uint32_t)v, &r->data);
		return;
	}
}

static void
reset(struct norm *n)
{
	n->spec.len = n->labels_out.len = n->st_top.len = 0;
	n->st_meta.len = n->st_ann.len = n->st_spec.len = n->st_ports.len = 0;
	n->nlabels = n->n_top = n->n_meta = n->n_ann = n->n_spec = 0;
	n->n_ports = 0;
	n->labels = -1;
}

static void
add_status(struct norm *n, struct buf *b)
{
	size_t cnt = n->n_top;

	if (n->n_top + n->n_meta + n->n_ann + n->n_spec + n->n_ports == 0)
		return;
	buf_adds(b, ",\"status\":{");
	buf_add(b, n->st_top.p, n->st_top.len);
	if (n->n_meta + n->n_ann > 0) {
		buf_adds(b, cnt++ > 0 ? ",\"metadata\":{" : "\"metadata\":{");
		buf_add(b, n->st_meta.p, n->st_meta.len);
		if (n->n_ann > 0) {
			buf_adds(b, n->n_meta > 0 ? ",\"annotations\":{" :
			    "\"annotations\":{");
			buf_add(b, n->st_ann.p, n->st_ann.len);
			buf_addc(b, '}');
		}
		buf_addc(b, '}');
	}
	if (n->n_spec + n->n_ports > 0) {
		buf_adds(b, cnt++ > 0 ? ",\"spec\":{" : "\"spec\":{");
		buf_add(b, n->st_spec.p, n->st_spec.len);
		if (n->n_ports > 0) {
			buf_adds(b, n->n_spec > 0 ? ",\"nodePorts\":[" :
			    "\"nodePorts\":[");
			buf_add(b, n->st_ports.p, n->st_ports.len);
			buf_addc(b, ']');
		}
		buf_addc(b, '}');
	}
	buf_addc(b, '}');
}

/* jcs_digest into the run's reused buffer: no allocation per event. */
static int
canon_sha256(struct run *r, uint32_t i, unsigned char md[JCS_DIGEST_LEN],
    struct tend_err *err)
{
	r->canon.len = 0;
	if (jcs_canon(&r->id_doc, i, &r->canon, err) < 0)
		return -1;
	sha256(md, r->canon.p, r->canon.len);
	return 0;
}

/*
 * The state's id, as event_build derives it (event_derive_id: SHA-256 of
 * the JCS of [runid, type, subject, causeid, data]), and its digest, from
 * one parse: the text hashed for the id is built here exactly as
 * event_derive_id builds it, with the digest's placeholder in data; the
 * spec's digest is then written over the placeholder (same length, so
 * the parse stays valid) before the whole is canonicalised.  On return
 * r->idin holds the text and *data_off where data starts in it.
 */
static int
state_id(struct run *r, const struct event_new *en, char id[33],
    size_t *data_off, struct tend_err *err)
{
	static const char hex[] = "0123456789abcdef";
	struct buf *b = &r->idin;
	struct json_doc *doc = &r->id_doc;
	unsigned char md[JCS_DIGEST_LEN];
	int64_t data, spec, dig;
	const struct json_tok *t;
	int i;

	b->len = 0;
	buf_addc(b, '[');
	if (en->runid != NULL)
		buf_add_json_str(b, en->runid, strlen(en->runid));
	else
		buf_adds(b, "null");
	buf_addc(b, ',');
	buf_add_json_str(b, en->type, strlen(en->type));
	buf_addc(b, ',');
	buf_add_json_str(b, en->subject, strlen(en->subject));
	buf_addc(b, ',');
	buf_add_json_str(b, en->causeid, strlen(en->causeid));
	buf_addc(b, ',');
	*data_off = b->len;
	buf_add(b, r->data.p, r->data.len);
	buf_addc(b, ']');
	if (json_parse(doc, b->p, b->len, err) < 0)
		return -1;
	data = json_arr_at(doc, 0, 4);
	spec = obj_get(doc, data, "spec");
	dig = obj_get(doc, data, "digest");
	if (spec < 0 || dig < 0)
		BUG("state data without spec or digest");
	t = &doc->tok[dig];
	if (t->type != JSON_STRING || t->len != DIGEST_LEN ||
	    memcmp(b->p + t->off, DIGEST_PLACEHOLDER, DIGEST_LEN) != 0)
		BUG("state digest placeholder lost");
	if (canon_sha256(r, (uint32_t)spec, md, err) < 0)
		return -1;
	for (i = 0; i < JCS_DIGEST_LEN; i++) {
		b->p[t->off + 7 + 2 * i] = hex[md[i] >> 4];
		b->p[t->off + 8 + 2 * i] = hex[md[i] & 15];
	}
	if (canon_sha256(r, 0, md, err) < 0)
		return -1;
	for (i = 0; i < 16; i++) {
		id[2 * i] = hex[md[i] >> 4];
		id[2 * i + 1] = hex[md[i] & 15];
	}
	id[32] = '\0';
	return 0;
}

/*
 * Builds the state event for the observed event in r->ev into r->out.
 * Returns 0, or -1 with err (TEND_EXIT_INPUT) saying what is wrong.
 */
static int
normalize_event(struct run *r, struct tend_err *err)
{
	struct event *ev = &r->ev;
	const struct json_doc *d = &ev->doc;
	struct norm *n = &r->n;
	struct event_new en;
	int64_t data = ev->data, obj, meta, name, ns, scope;
	char id[33];
	size_t off;
	int k8s;

	if (data < 0 || d->tok[data].type != JSON_OBJECT)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "tend.resource.observed without a data object");
	if (get_str(d, json_obj_get(d, (uint32_t)data, "provider"),
	    &r->provider) < 0)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "data.provider must be a non-empty string");
	if (get_str(d, json_obj_get(d, (uint32_t)data, "kind"), &r->kind) < 0)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "data.kind must be a non-empty string");
	if ((obj = json_obj_get(d, (uint32_t)data, "object")) < 0)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "tend.resource.observed without data.object");
	n->d = d;
	n->provider = r->provider.p;
	n->kind = r->kind.p;
	k8s = strcmp(n->provider, "k8s") == 0;
	if (k8s && d->tok[obj].type != JSON_OBJECT)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "data.object of a k8s resource must be an object, not %s",
		    json_type_name(d->tok[obj].type));
	if (!provider_ok(r->provider.p))
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "data.provider '%.40s' is not [a-z0-9][a-z0-9_.-]*",
		    r->provider.p);
	meta = k8s ? obj_get(d, obj, "metadata") : -1;
	name = ident(d, data, meta, "name");
	if (name < 0)
		name = ident(d, obj, -1, "name");
	if (name < 0 || d->tok[name].len == 0)
		name = ev->id;	/* nothing else names it */
	ns = ident(d, data, meta, "namespace");
	scope = ident(d, data, -1, "scope");

	if (ev->subject >= 0 && d->tok[ev->subject].len > 0) {
		r->key.len = 0;
		json_str_decode(d, (uint32_t)ev->subject, &r->key);
	} else {
		derive_key(r, obj, name, ns, scope, k8s);
	}

	if (!key_ok(r->key.p, r->key.len))
		return tend_err_set(err, TEND_EXIT_INPUT, "the resource key "
		    "'%.80s' is not provider:scope/kind/name", r->key.p);

	reset(n);
	if (k8s)
		k8s_normalize(n, (uint32_t)obj);
	else if (strcmp(n->provider, "host") == 0)
		host_normalize(n, (uint32_t)obj);
	else if (strcmp(n->provider, "prometheus") == 0)
		prometheus_normalize(n, (uint32_t)obj);
	else
		generic_normalize(n, (uint32_t)obj);

	r->data.len = 0;
	buf_adds(&r->data, "{\"key\":");
	buf_add_json_str(&r->data, r->key.p, r->key.len);
	buf_adds(&r->data, ",\"provider\":");
	buf_add_json_str(&r->data, r->provider.p, r->provider.len);
	buf_adds(&r->data, ",\"kind\":");
	buf_add_json_str(&r->data, r->kind.p, r->kind.len);
	buf_adds(&r->data, ",\"name\":");
	norm_string(n, (uint32_t)name, &r->data);
	if (ns >= 0) {
		buf_adds(&r->data, ",\"namespace\":");
		norm_string(n, (uint32_t)ns, &r->data);
	}
	if (scope >= 0) {
		buf_adds(&r->data, ",\"scope\":");
		norm_string(n, (uint32_t)scope, &r->data);
	}
	buf_adds(&r->data, ",\"labels\":{");
	buf_add(&r->data, n->labels_out.p, n->labels_out.len);
	buf_addc(&r->data, '}');
	label_map(r, "owner", &n->owner_labels);
	label_map(r, "service", &n->service_labels);
	buf_adds(&r->data, ",\"spec\":");
	buf_add(&r->data, n->spec.p, n->spec.len);
	add_status(n, &r->data);
	buf_adds(&r->data, ",\"digest\":\"" DIGEST_PLACEHOLDER "\"}");

	if (user_run(&r->user, n, r->key.p, r->key.len, &r->data, err) < 0)
		return -1;

	memset(&en, 0, sizeof(en));
	en.source = "tend-normalize";
	en.type = "tend.resource.state";
	en.subject = r->key.p;
	r->runid.len = r->causeid.len = 0;
	if (ev->runid >= 0) {
		event_attr(ev, ev->runid, &r->runid);
		en.runid = r->runid.p;
	}
	event_attr(ev, ev->id, &r->causeid);
	en.causeid = r->causeid.p;
	en.time_ns = ev->time >= 0 ? ev->time_ns : r->cli.now_ns;
	if (state_id(r, &en, id, &off, err) < 0) {
		if (err->code == TEND_EXIT_INPUT)
			return tend_err_set(err, TEND_EXIT_INPUT,
			    "the state cannot be canonicalised: %s",
			    err->msg);
		return -1;
	}
	en.id = id;
	en.data = r->idin.p + off;
	en.data_len = r->idin.len - off - 1;
	r->out.len = 0;
	if (event_build(&r->out, &en, err) < 0)
		return -1;
	return 0;
}

/* Returns 0 to go on, -1 to stop. */
static int
normalize_stream(struct run *r, int fd, const char *name)
{
	struct cli *c = &r->cli;
	struct ndjson_reader rd;
	struct tend_err err = { 0 };
	char *line;
	size_t len;
	int rc = 0, got, stop;

	ndjson_reader_init(&rd, fd, name);
	rd.max_line = c->max_line;
	rd.flush_before_read = &c->out;
	for (;;) {
		got = ndjson_reader_next(&rd, &line, &len, &err);
		if (got == 0)
			break;
		if (got < 0 && err.code == TEND_EXIT_SYSTEM) {
			warnx("%s", err.msg);
			cli_fail(c, TEND_EXIT_SYSTEM);
			rc = -1;
			break;
		}
		if (got > 0 && len == 0) {
			tend_err_set(&err, TEND_EXIT_INPUT, "empty line");
		} else if (got > 0 && event_parse(&r->ev, line, len,
		    &err) == 0) {
			if (!event_attr_eq(&r->ev, r->ev.type,
			    "tend.resource.observed")) {
				if (cli_emit(c, line, len) < 0) {
					rc = -1;
					break;
				}
				continue;
			}
			if (normalize_event(r, &err) == 0) {
				/* the clear values of this line are done */
				sodium_memzero(line, len);
				if (cli_emit(c, r->out.p, r->out.len) < 0) {
					rc = -1;
					break;
				}
				continue;
			}
			if (err.code == TEND_EXIT_SYSTEM) {
				warnx("%s", err.msg);
				cli_fail(c, TEND_EXIT_SYSTEM);
				rc = -1;
				break;
			}
		}
		stop = cli_bad_input(c, name, rd.lineno, got > 0 ? line : "",
		    got > 0 ? len : 0, err.msg);
		if (got > 0)
			sodium_memzero(line, len);
		if (stop < 0) {
			rc = -1;
			break;
		}
	}
	ndjson_reader_release(&rd);
	return rc;
}

static void
run_release(struct run *r)
{
	struct norm *n = &r->n;

	user_release(&r->user);
	tokenizer_release(&n->tk);
	buf_release(&n->spec);
	buf_release(&n->labels_out);
	buf_release(&n->st_top);
	buf_release(&n->st_meta);
	buf_release(&n->st_ann);
	buf_release(&n->st_spec);
	buf_release(&n->st_ports);
	if (n->clear.cap > 0)
		sodium_memzero(n->clear.p, n->clear.cap);
	if (n->b64.cap > 0)
		sodium_memzero(n->b64.p, n->b64.cap);
	buf_release(&n->clear);
	buf_release(&n->b64);
	buf_release(&n->tmp);
	buf_release(&n->tmp2);
	buf_release(&n->stv);
	buf_release(&n->stk);
	free(n->memo);
	free(n->owner_labels.v);
	free(n->service_labels.v);
	free(n->status_fields.v);
	event_release(&r->ev);
	json_doc_release(&r->id_doc);
	buf_release(&r->data);
	buf_release(&r->idin);
	buf_release(&r->canon);
	buf_release(&r->out);
	buf_release(&r->provider);
	buf_release(&r->kind);
	buf_release(&r->key);
	buf_release(&r->runid);
	buf_release(&r->causeid);
}

static void
option_fail(const struct tend_err *err)
{
	warnx("%s", err->msg);
	exit(err->code != 0 ? err->code : TEND_EXIT_USAGE);
}

int
main(int argc, char *argv[])
{
	static struct run r;
	struct cli *c = &r.cli;
	struct norm *n = &r.n;
	struct tend_err err = { 0 };
	const char *secret_env = NULL, *token_key = NULL;
	int ch, i, fd, stop, owner_given = 0, service_given = 0;
	size_t k;

	cli_init(c, "tend-normalize", usage_text);
	tokenizer_init(&n->tk);
	user_init(&r.user);
	event_init(&r.ev);
	json_doc_init(&r.id_doc);
	while ((ch = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_NORMALIZER:
			if (user_add_normalizer(&r.user, optarg, &err) < 0)
				option_fail(&err);
			break;
		case OPT_OWNER_LABEL:
			owner_given = 1;
			strlist_add(&n->owner_labels, optarg);
			break;
		case OPT_SECRET_ENV:
			secret_env = optarg;
			break;
		case OPT_SECRET_PATH:
			if (user_add_secret_path(&r.user, optarg, &err) < 0)
				option_fail(&err);
			break;
		case OPT_SERVICE_LABEL:
			service_given = 1;
			strlist_add(&n->service_labels, optarg);
			break;
		case OPT_STATUS_FIELD:
			strlist_add(&n->status_fields, optarg);
			break;
		case OPT_TOKEN_KEY:
			token_key = optarg;
			break;
		default:
			if (!cli_common_opt(c, ch, optarg))
				cli_usage_error(c);
		}
	}
	argc -= optind;
	argv += optind;
	if (!owner_given)
		for (k = 0; k < ARRAY_SIZE(default_owner_labels); k++)
			strlist_add(&n->owner_labels, default_owner_labels[k]);
	if (!service_given)
		for (k = 0; k < ARRAY_SIZE(default_service_labels); k++)
			strlist_add(&n->service_labels,
			    default_service_labels[k]);
	if (tokenizer_set_names(&n->tk, secret_env, &err) < 0)
		option_fail(&err);
	if (token_key != NULL && tokenizer_load_key(&n->tk, token_key,
	    &err) < 0)
		option_fail(&err);
	cli_start(c);

	if (argc == 0) {
		normalize_stream(&r, STDIN_FILENO, "<stdin>");
	} else {
		for (i = 0; i < argc; i++) {
			if (strcmp(argv[i], "-") == 0) {
				stop = normalize_stream(&r, STDIN_FILENO,
				    "<stdin>");
			} else if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC))
			    < 0) {
				warn("cannot open '%s'", argv[i]);
				cli_fail(c, TEND_EXIT_SYSTEM);
				break;
			} else {
				stop = normalize_stream(&r, fd, argv[i]);
				close(fd);
			}
			if (stop < 0)
				break;
		}
	}
	run_release(&r);
	return cli_finish(c);
}
