/*
 * What tend-gate reads besides its input: human approvals (--approvals,
 * the log, stdin), the log's history of executions (--history) and the
 * inventory of resources (--inventory, state events on stdin).
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "evlog.h"
#include "gate.h"
#include "jcs.h"
#include "ndjson.h"
#include "xmalloc.h"

#define NS	1000000000LL
#define DAY	(86400 * NS)

/* An event log starts with a zstd frame, skippable or not. */
static int
is_log(const unsigned char *p, size_t n)
{
	uint32_t m;

	if (n < 4)
		return n == 0;
	m = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
	return m == 0xFD2FB528U || (m & 0xFFFFFFF0U) == 0x184D2A50U;
}

static int
read_log(struct gate *g, const char *path, int64_t seek_ns,
    int (*fn)(struct gate *, struct event *, const char *, size_t, void *),
    void *arg, struct tend_err *err)
{
	struct evlog_reader r;
	struct event ev;
	const char *line;
	size_t len;
	uint64_t seq;
	int rc = 0, n;

	if (evlog_reader_open(&r, path, err) < 0)
		return -1;
	event_init(&ev);
	if (seek_ns != INT64_MIN && evlog_reader_seek_time(&r, seek_ns,
	    err) < 0) {
		rc = -1;
		goto out;
	}
	while (rc == 0 && (n = evlog_reader_next(&r, NULL, err)) != 0) {
		if (n < 0) {
			char msg[sizeof(err->msg)];

			strlcpy(msg, err->msg, sizeof(msg));
			tend_err_set(err, err->code, "%s: %s", path, msg);
			rc = -1;
			break;
		}
		while (rc == 0 && evlog_reader_event(&r, &line, &len, &seq)) {
			if (event_parse(&ev, line, len, err) < 0) {
				char msg[sizeof(err->msg)];

				strlcpy(msg, err->msg, sizeof(msg));
				rc = tend_err_set(err, TEND_EXIT_INPUT,
				    "%s: seq %llu: %s", path,
				    (unsigned long long)seq, msg);
				break;
			}
			rc = fn(g, &ev, path, (size_t)seq, arg);
		}
	}
out:
	event_release(&ev);
	evlog_reader_close(&r);
	return rc;
}

static int
read_ndjson(struct gate *g, int fd, const char *path,
    int (*fn)(struct gate *, struct event *, const char *, size_t, void *),
    void *arg, struct tend_err *err)
{
	struct ndjson_reader r;
	struct event ev;
	char *line;
	size_t len;
	int rc = 0, n;

	ndjson_reader_init(&r, fd, path);
	r.max_line = g->cli.max_line;
	event_init(&ev);
	while (rc == 0 && (n = ndjson_reader_next(&r, &line, &len, err)) !=
	    0) {
		if (n > 0 && len == 0) {
			n = -1;
			tend_err_set(err, TEND_EXIT_INPUT, "empty line");
		}
		if (n < 0 || event_parse(&ev, line, len, err) < 0) {
			char msg[sizeof(err->msg)];

			strlcpy(msg, err->msg, sizeof(msg));
			rc = tend_err_set(err, err->code, "%s:%zu: %s", path,
			    r.lineno, msg);
			break;
		}
		rc = fn(g, &ev, path, r.lineno, arg);
	}
	event_release(&ev);
	ndjson_reader_release(&r);
	return rc;
}

int
gate_read_events(struct gate *g, const char *path, int64_t seek_ns,
    int (*fn)(struct gate *, struct event *, const char *, size_t, void *),
    void *arg, struct tend_err *err)
{
	unsigned char head[4];
	ssize_t n;
	size_t got = 0;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return tend_err_sys(err, "cannot open '%s'", path);
	while (got < sizeof(head)) {
		n = read(fd, head + got, sizeof(head) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			tend_err_sys(err, "cannot read '%s'", path);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (is_log(head, got)) {
		close(fd);
		return read_log(g, path, seek_ns, fn, arg, err);
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		tend_err_sys(err, "cannot read '%s'", path);
		close(fd);
		return -1;
	}
	rc = read_ndjson(g, fd, path, fn, arg, err);
	close(fd);
	return rc;
}

/* ------------------------------------------------------------------ */

static int
obj(const struct json_doc *d, int64_t t)
{
	return t >= 0 && d->tok[t].type == JSON_OBJECT;
}

static void
str_of(const struct json_doc *d, int64_t t, struct buf *out)
{
	buf_reset(out);
	if (t >= 0 && d->tok[t].type == JSON_STRING)
		json_str_decode(d, (uint32_t)t, out);
	if (out->p == NULL)
		buf_adds(out, "");
}

void
gate_human_approval(struct gate *g, struct event *ev, const char *file,
    size_t line)
{
	struct approval ap;
	struct tend_err err = { 0 };
	struct buf id = BUF_INIT;
	struct human *h;
	size_t *slot;

	if (ev->time >= 0 && ev->time_ns > g->cli.now_ns)
		return;		/* after this run's clock: not yet given */
	str_of(&ev->doc, json_obj_get(&ev->doc, (uint32_t)ev->data,
	    "action_id"), &id);
	if (g->ntrust == 0) {
		warnx("%s:%zu: approval of '%s' not honoured: no --trust key "
		    "given", file, line, id.p);
		goto out;
	}
	if (approval_verify(&ev->doc, (uint32_t)ev->data, g->trust, g->ntrust,
	    g->cli.now_ns, &ap, &err) < 0) {
		if (ap.expires_ns == 0 || ap.expires_ns > g->cli.now_ns)
			warnx("%s:%zu: approval of '%s' not honoured: %s",
			    file, line, id.p, err.msg);
		goto out;
	}
	if (!ap.human)
		goto out;
	if (g->nhumans == g->humanscap) {
		g->humanscap = g->humanscap ? g->humanscap * 2 : 16;
		g->humans = xreallocarray(g->humans, g->humanscap,
		    sizeof(*g->humans));
	}
	h = &g->humans[g->nhumans];
	memcpy(h->digest, ap.action_digest, sizeof(h->digest));
	h->who = xstrdup(ap.key->name);	/* signed, unlike approved_by */
	h->expires_ns = ap.expires_ns;
	h->next = (size_t)-1;
	slot = strmap_get(&g->approvals, ap.action_id, 1, g->nhumans);
	if (*slot != g->nhumans) {
		h->next = *slot;
		*slot = g->nhumans;
	}
	g->nhumans++;
out:
	buf_release(&id);
}

const struct human *
gate_find_human(struct gate *g, const char *action_id,
    const struct json_doc *d, uint32_t tok)
{
	unsigned char md[JCS_DIGEST_LEN];
	struct tend_err err = { 0 };
	const struct human *best = NULL;
	size_t *slot, i;

	if ((slot = strmap_get(&g->approvals, action_id, 0, 0)) == NULL)
		return NULL;
	if (jcs_digest(d, tok, md, &err) < 0)
		return NULL;
	for (i = *slot; i != (size_t)-1; i = g->humans[i].next)
		if (memcmp(g->humans[i].digest, md, sizeof(md)) == 0 &&
		    (best == NULL || g->humans[i].expires_ns >
		    best->expires_ns))
			best = &g->humans[i];
	return best;
}

void
gate_inventory_event(struct gate *g, struct event *ev)
{
	static const char *const labels[] = { "app.kubernetes.io/name",
	    "app", "service", "k8s-app" };
	const struct json_doc *d = &ev->doc;
	struct buf key = BUF_INIT, svc = BUF_INIT;
	int64_t lab = -1, o, m;
	size_t i;

	if (!obj(d, ev->data))
		return;
	str_of(d, json_obj_get(d, (uint32_t)ev->data, "key"), &key);
	if (key.len == 0)
		str_of(d, ev->subject, &key);
	if (key.len == 0)
		goto out;
	lab = json_obj_get(d, (uint32_t)ev->data, "labels");
	if (!obj(d, lab) && obj(d, o = json_obj_get(d, (uint32_t)ev->data,
	    "object"))) {
		lab = json_obj_get(d, (uint32_t)o, "labels");
		if (!obj(d, lab) && obj(d, m = json_obj_get(d, (uint32_t)o,
		    "metadata")))
			lab = json_obj_get(d, (uint32_t)m, "labels");
	}
	if (obj(d, lab))
		for (i = 0; i < ARRAY_SIZE(labels) && svc.len == 0; i++)
			str_of(d, json_obj_get(d, (uint32_t)lab, labels[i]),
			    &svc);
	policy_ctx_inventory(g->ctx, key.p, svc.len > 0 ? svc.p : NULL);
out:
	buf_release(&key);
	buf_release(&svc);
}

/* ------------------------------------------------------------------ */

static int
on_approval(struct gate *g, struct event *ev, const char *file, size_t line,
    void *arg)
{
	(void)arg;
	if (event_attr_eq(ev, ev->type, "tend.action.approved") &&
	    obj(&ev->doc, ev->data) && json_obj_get(&ev->doc,
	    (uint32_t)ev->data, "approved_by") >= 0)
		gate_human_approval(g, ev, file, line);
	return 0;
}

static int
on_inventory(struct gate *g, struct event *ev, const char *file,
    size_t line, void *arg)
{
	(void)file;
	(void)line;
	(void)arg;
	if (event_attr_eq(ev, ev->type, "tend.resource.state") ||
	    event_attr_eq(ev, ev->type, "tend.resource.observed"))
		gate_inventory_event(g, ev);
	return 0;
}

/* The targets of actions seen in the history, by action_id. */
struct hist {
	struct strmap ids;	/* action_id -> offset in text */
	struct buf text;	/* targets, each ending in '\n', then '\0' */
};

static void
remember_targets(struct hist *h, const struct json_doc *d, int64_t action)
{
	struct buf id = BUF_INIT, t = BUF_INIT;
	int64_t arr;
	uint32_t i;

	if (!obj(d, action))
		return;
	str_of(d, json_obj_get(d, (uint32_t)action, "action_id"), &id);
	arr = json_obj_get(d, (uint32_t)action, "targets");
	if (id.len == 0 || arr < 0 || d->tok[arr].type != JSON_ARRAY ||
	    strmap_get(&h->ids, id.p, 0, 0) != NULL)
		goto out;
	strmap_get(&h->ids, id.p, 1, h->text.len);
	for (i = (uint32_t)arr + 1; i < d->tok[arr].end; i = d->tok[i].end) {
		str_of(d, i, &t);
		if (t.len == 0 || memchr(t.p, '\n', t.len) != NULL)
			continue;
		buf_add(&h->text, t.p, t.len);
		buf_addc(&h->text, '\n');
	}
	buf_addc(&h->text, '\0');
out:
	buf_release(&id);
	buf_release(&t);
}

static int
on_history(struct gate *g, struct event *ev, const char *file, size_t line,
    void *arg)
{
	struct hist *h = arg;
	const struct json_doc *d = &ev->doc;
	struct buf id = BUF_INIT, subj = BUF_INIT;
	int64_t att, t;
	size_t *off;
	char *s, *nl;

	if (!obj(d, ev->data) || ev->time < 0)
		return 0;
	if (event_attr_eq(ev, ev->type, "tend.action.proposed")) {
		remember_targets(h, d, ev->data);
		return 0;
	}
	if (event_attr_eq(ev, ev->type, "tend.action.approved")) {
		remember_targets(h, d, json_obj_get(d, (uint32_t)ev->data,
		    "action"));
		if (json_obj_get(d, (uint32_t)ev->data, "approved_by") >= 0)
			gate_human_approval(g, ev, file, line);
		return 0;
	}
	if (!event_attr_eq(ev, ev->type, "tend.action.started") ||
	    ev->time_ns >= g->cli.now_ns)
		return 0;
	att = json_obj_get(d, (uint32_t)ev->data, "attempt");
	if (att >= 0 && d->tok[att].type == JSON_NUMBER &&
	    json_int(d, (uint32_t)att, &t) == 0 && t > 1)
		return 0;	/* a retry of an execution counted once */
	str_of(d, json_obj_get(d, (uint32_t)ev->data, "action_id"), &id);
	if ((off = strmap_get(&h->ids, id.p, 0, 0)) != NULL &&
	    h->text.p[*off] != '\0') {
		for (s = h->text.p + *off; *s != '\0'; s = nl + 1) {
			nl = strchr(s, '\n');
			*nl = '\0';
			policy_ctx_history(g->ctx, s, ev->time_ns);
			*nl = '\n';
		}
	} else {
		str_of(d, ev->subject, &subj);
		if (subj.len > 0)
			policy_ctx_history(g->ctx, subj.p, ev->time_ns);
	}
	buf_release(&id);
	buf_release(&subj);
	return 0;
}

static int
load(struct gate *g, const char *path, int64_t seek,
    int (*fn)(struct gate *, struct event *, const char *, size_t, void *),
    void *arg)
{
	struct tend_err err = { 0 };

	if (gate_read_events(g, path, seek, fn, arg, &err) < 0) {
		warnx("%s", err.msg);
		cli_fail(&g->cli, err.code ? err.code : TEND_EXIT_SYSTEM);
		return -1;
	}
	return 0;
}

int
gate_load_approvals(struct gate *g, const char *path)
{
	return load(g, path, INT64_MIN, on_approval, NULL);
}

int
gate_load_inventory(struct gate *g, const char *path)
{
	return load(g, path, INT64_MIN, on_inventory, NULL);
}

int
gate_load_history(struct gate *g, const char *path)
{
	struct hist h;
	int64_t back = policy_max_period(g->policy), rc;

	/* Executions within the longest period; approvals live at most
	   GATE_TTL_MAX; a day more for approvals given before their
	   execution. */
	if (back < GATE_TTL_MAX * NS)
		back = GATE_TTL_MAX * NS;
	memset(&h, 0, sizeof(h));
	rc = load(g, path, g->cli.now_ns - back - DAY, on_history, &h);
	strmap_release(&h.ids);
	buf_release(&h.text);
	return (int)rc;
}
