/*
 * tend-gate: reads events (stdin or FILE operands) and decides on each
 * tend.action.proposed under the policy: exactly one of
 * tend.action.approved (signed), .denied, .deferred or .escalated per
 * proposal, each saying why.  Other events pass through unchanged, as
 * soon as they are read; human approvals (tend.action.approved events
 * with approved_by) are taken in and not passed on.
 *
 * Decisions come after the whole input is read, because a blast-radius
 * limit holds a run's whole batch or nothing: proposals are spooled to
 * an unlinked temporary file ($TMPDIR) and read twice more, once to
 * count the batches and once to decide, so memory stays bounded by the
 * counters, not the input.  Escalations are sent to the receivers
 * (--notify-*) before their events are written, so an event's "notified"
 * says who really has it.
 *
 * Fails with 2 on a usage error, 3 on a bad line or a policy that does
 * not load (named clause), 4 when the input, the spool or a receiver
 * fails (the decisions are still written).
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "gate.h"
#include "ndjson.h"
#include "rfc3339.h"
#include "window.h"
#include "xmalloc.h"

static const char usage_text[] =
    "usage: %s [-hkV] --policy file (--key file | --unsigned)\n"
    "\t[--approvals file] [--history log] [--inventory file] [--log file]\n"
    "\t[--max-line bytes] [--notify-alertmanager url]\n"
    "\t[--notify-webhook url] [--now time] [--trust file]\n"
    "\t[--ttl duration] [file ...]\n"
    "       tend-gate approve --key file [--log file] [--now time]\n"
    "\t[--policy file] [--ttl duration] action-id [file ...]\n"
    "       tend-gate keygen --name name secret-file public-file\n";

enum {
	OPT_APPROVALS = CLI_OPT_FIRST_PROGRAM,
	OPT_HISTORY,
	OPT_INVENTORY,
	OPT_KEY,
	OPT_NOTIFY_AM,
	OPT_NOTIFY_HOOK,
	OPT_POLICY,
	OPT_TRUST,
	OPT_TTL,
	OPT_UNSIGNED,
};

static const struct option longopts[] = {
	CLI_COMMON_OPTS,
	{ "approvals", required_argument, NULL, OPT_APPROVALS },
	{ "history", required_argument, NULL, OPT_HISTORY },
	{ "inventory", required_argument, NULL, OPT_INVENTORY },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "notify-alertmanager", required_argument, NULL, OPT_NOTIFY_AM },
	{ "notify-webhook", required_argument, NULL, OPT_NOTIFY_HOOK },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "trust", required_argument, NULL, OPT_TRUST },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "unsigned", no_argument, NULL, OPT_UNSIGNED },
	{ NULL, 0, NULL, 0 },
};

static const char *const verdict_types[] = {
	"tend.action.approved", "tend.action.denied", "tend.action.deferred",
	"tend.action.escalated",
};

/* ------------------------------------------------------------------ */

size_t *
strmap_get(struct strmap *m, const char *key, int add, size_t v)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const unsigned char *s;
	size_t i;

	if (m->cap == 0) {
		if (!add)
			return NULL;
		m->cap = 64;
		m->keys = xcalloc(m->cap, sizeof(*m->keys));
		m->vals = xcalloc(m->cap, sizeof(*m->vals));
	}
	for (s = (const unsigned char *)key; *s != '\0'; s++)
		h = (h ^ *s) * 0x100000001b3ULL;
	for (i = h & (m->cap - 1); m->keys[i] != NULL;
	    i = (i + 1) & (m->cap - 1))
		if (strcmp(m->keys[i], key) == 0)
			return &m->vals[i];
	if (!add)
		return NULL;
	if ((m->n + 1) * 2 > m->cap) {
		struct strmap big = { NULL, NULL, m->cap * 2, 0 };
		size_t j;

		big.keys = xcalloc(big.cap, sizeof(*big.keys));
		big.vals = xcalloc(big.cap, sizeof(*big.vals));
		for (j = 0; j < m->cap; j++) {
			uint64_t hh = 0xcbf29ce484222325ULL;
			size_t k;

			if (m->keys[j] == NULL)
				continue;
			for (s = (const unsigned char *)m->keys[j];
			    *s != '\0'; s++)
				hh = (hh ^ *s) * 0x100000001b3ULL;
			for (k = hh & (big.cap - 1); big.keys[k] != NULL;
			    k = (k + 1) & (big.cap - 1))
				;
			big.keys[k] = m->keys[j];
			big.vals[k] = m->vals[j];
			big.n++;
		}
		free(m->keys);
		free(m->vals);
		*m = big;
		return strmap_get(m, key, add, v);
	}
	m->keys[i] = xstrdup(key);
	m->vals[i] = v;
	m->n++;
	return &m->vals[i];
}

void
strmap_release(struct strmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ------------------------------------------------------------------ */
/* the spool of proposals */

struct spool {
	int	 fd;
	struct buf w;		/* not yet written */
	size_t	 n;
	size_t	*lineno;
	uint32_t *file;		/* index into names */
	struct policy_pre *pres;	/* pass 2's results, when done early */
	int	 early;		/* pass 2 done while reading */
	size_t	 cap;
	const char **names;
	size_t	 nnames;
};

static int
spool_open(struct spool *s, struct tend_err *err)
{
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX];

	memset(s, 0, sizeof(*s));
	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if ((size_t)snprintf(path, sizeof(path), "%s/tend-gate.XXXXXX", dir) >=
	    sizeof(path))
		return tend_err_set(err, TEND_EXIT_SYSTEM, "TMPDIR is too "
		    "long");
	if ((s->fd = mkostemp(path, O_CLOEXEC)) < 0)
		return tend_err_sys(err, "cannot create a spool file in '%s'",
		    dir);
	unlink(path);
	return 0;
}

static int
spool_drain(struct spool *s, struct tend_err *err)
{
	size_t off = 0;
	ssize_t n;

	while (off < s->w.len) {
		n = write(s->fd, s->w.p + off, s->w.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return tend_err_sys(err, "spool file");
		off += (size_t)n;
	}
	buf_reset(&s->w);
	return 0;
}

static int
spool_add(struct spool *s, const char *line, size_t len, uint32_t file,
    size_t lineno, struct tend_err *err)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->lineno = xreallocarray(s->lineno, s->cap,
		    sizeof(*s->lineno));
		s->file = xreallocarray(s->file, s->cap, sizeof(*s->file));
		if (s->early)
			s->pres = xreallocarray(s->pres, s->cap,
			    sizeof(*s->pres));
	}
	s->lineno[s->n] = lineno;
	s->file[s->n++] = file;
	buf_add(&s->w, line, len);
	buf_addc(&s->w, '\n');
	if (s->w.len >= (1u << 20))
		return spool_drain(s, err);
	return 0;
}

static void
spool_close(struct spool *s)
{
	if (s->fd >= 0)
		close(s->fd);
	buf_release(&s->w);
	free(s->lineno);
	free(s->file);
	free(s->pres);
	free(s->names);
}

/* ------------------------------------------------------------------ */
/* pass 1: read the input */

static int
data_tok(const struct event *ev)
{
	return ev->data >= 0 &&
	    ev->doc.tok[ev->data].type == JSON_OBJECT;
}

static int
is_human_approval(const struct event *ev)
{
	return event_attr_eq(ev, ev->type, "tend.action.approved") &&
	    data_tok(ev) && json_obj_get(&ev->doc, (uint32_t)ev->data,
	    "approved_by") >= 0;
}

static void
attr(const struct event *ev, int64_t tok, struct buf *out)
{
	buf_reset(out);
	if (tok >= 0 && ev->doc.tok[tok].type == JSON_STRING)
		event_attr(ev, tok, out);
}

/* Pass 2 for one proposal: what does not depend on the batch, then its
   place in its run's batch. */
static int
count(struct gate *g, struct event *ev, struct policy_action *a,
    struct policy_pre *pre, struct tend_err *err)
{
	struct buf runid = BUF_INIT;

	if (policy_pre(g->ctx, a, pre, err) < 0)
		return -1;
	attr(ev, ev->runid, &runid);
	policy_batch_add(g->ctx, runid.len > 0 ? runid.p : NULL, a, pre);
	buf_release(&runid);
	return 0;
}

/* Returns 0 to go on, -1 to stop. */
static int
read_stream(struct gate *g, struct spool *sp, int fd, const char *name)
{
	struct cli *c = &g->cli;
	struct ndjson_reader r;
	struct event ev;
	struct policy_action a;
	struct tend_err err = { 0 };
	char why[sizeof(err.msg) + 64];
	uint32_t file;
	char *line;
	size_t len;
	int rc = 0, n;

	file = (uint32_t)sp->nnames;
	sp->names = xreallocarray(sp->names, sp->nnames + 1,
	    sizeof(*sp->names));
	sp->names[sp->nnames++] = name;
	ndjson_reader_init(&r, fd, name);
	r.max_line = c->max_line;
	r.flush_before_read = &c->out;
	event_init(&ev);
	policy_action_init(&a);
	for (;;) {
		n = ndjson_reader_next(&r, &line, &len, &err);
		if (n == 0)
			break;
		if (n < 0 && err.code == TEND_EXIT_SYSTEM) {
			warnx("%s", err.msg);
			cli_fail(c, TEND_EXIT_SYSTEM);
			rc = -1;
			break;
		}
		if (n > 0 && len == 0) {
			n = -1;
			tend_err_set(&err, TEND_EXIT_INPUT, "empty line");
		}
		if (n > 0 && event_parse(&ev, line, len, &err) == 0) {
			if (event_attr_eq(&ev, ev.type, "tend.action.proposed")) {
				if (!data_tok(&ev)) {
					tend_err_set(&err, TEND_EXIT_INPUT,
					    "tend.action.proposed: /data: "
					    "missing or not an object");
					goto bad;
				}
				if (policy_action_parse(&a, &ev.doc,
				    (uint32_t)ev.data, &err) < 0) {
					snprintf(why, sizeof(why),
					    "tend.action.proposed: %s",
					    err.msg);
					strlcpy(err.msg, why, sizeof(err.msg));
					goto bad;
				}
				if (spool_add(sp, line, len, file, r.lineno,
				    &err) < 0 || (sp->early && count(g, &ev, &a,
				    &sp->pres[sp->n - 1], &err) < 0)) {
					warnx("%s", err.msg);
					cli_fail(c, err.code);
					rc = -1;
					break;
				}
				continue;
			}
			if (is_human_approval(&ev)) {
				gate_human_approval(g, &ev, name, r.lineno);
				continue;
			}
			if (event_attr_eq(&ev, ev.type, "tend.resource.state") ||
			    event_attr_eq(&ev, ev.type,
			    "tend.resource.observed"))
				gate_inventory_event(g, &ev);
			if (cli_emit(c, line, len) < 0) {
				rc = -1;
				break;
			}
			continue;
		}
bad:
		if (cli_bad_input(c, name, r.lineno, n > 0 ? line : "",
		    n > 0 ? len : 0, err.msg) < 0) {
			rc = -1;
			break;
		}
	}
	policy_action_release(&a);
	event_release(&ev);
	ndjson_reader_release(&r);
	return rc;
}

/* ------------------------------------------------------------------ */
/* decisions out, escalations through the receivers first */

struct pend {
	size_t	 at;		/* where in q.lines it goes */
	struct buf head;	/* data up to "notified" */
	struct buf tail;	/* the rest of data */
	char	*subject, *runid, *causeid;
	int	 shadow;
};

struct outq {
	struct buf lines;
	struct pend *p;
	size_t	 n, cap;
	size_t	 live;		/* escalations added to the receivers */
};

/* Scratch reused for every decision. */
struct work {
	struct event ev;
	struct policy_action a;
	struct policy_decision d;
	struct buf data, line, sig, subject, runid, causeid, tmp, notified;
	struct outq q;
};

static int
build_event(struct gate *g, const char *type, const char *subject,
    const char *runid, const char *causeid, const char *data, size_t len,
    struct buf *line, struct tend_err *err)
{
	struct event_new en;

	memset(&en, 0, sizeof(en));
	en.source = "tend-gate";
	en.type = type;
	en.subject = subject;
	en.runid = runid;
	en.causeid = causeid;
	en.time_ns = g->cli.now_ns;
	en.data = data;
	en.data_len = len;
	buf_reset(line);
	return event_build(line, &en, err);
}

static const char *
opt_str(struct buf *b)
{
	return b->len > 0 ? b->p : NULL;
}

/* Emits the queued lines in [s, e), one event each (so --log sees
   each).  0, or -1 when stdout is gone. */
static int
emit_lines(struct gate *g, const char *s, const char *e)
{
	const char *nl;

	for (; s < e; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(e - s));
		if (cli_emit(&g->cli, s, (size_t)(nl - s)) < 0)
			return -1;
	}
	return 0;
}

/* Writes out the queue: sends the escalations, then every line in
   order.  Returns 0, or -1 when stdout is gone. */
static int
flush_queue(struct gate *g, struct work *w)
{
	struct outq *q = &w->q;
	struct tend_err err = { 0 };
	size_t i, from = 0;
	int rc = 0;

	buf_reset(&w->notified);
	if (q->live > 0 && notify_send(g->notify, &w->notified) < 0)
		cli_fail(&g->cli, TEND_EXIT_SYSTEM);
	for (i = 0; i < q->n; i++) {
		struct pend *p = &q->p[i];

		if (rc == 0)
			rc = emit_lines(g, q->lines.p + from,
			    q->lines.p + p->at);
		from = p->at;
		buf_reset(&w->data);
		buf_add(&w->data, p->head.p, p->head.len);
		buf_adds(&w->data, ",\"notified\":[");
		if (!p->shadow && w->notified.len > 0)
			buf_add(&w->data, w->notified.p, w->notified.len);
		buf_addc(&w->data, ']');
		buf_add(&w->data, p->tail.p, p->tail.len);
		if (build_event(g, "tend.action.escalated", p->subject,
		    p->runid, p->causeid, w->data.p, w->data.len, &w->line,
		    &err) < 0)
			BUG(err.msg);
		if (rc == 0 && cli_emit(&g->cli, w->line.p, w->line.len) < 0)
			rc = -1;
		buf_release(&p->head);
		buf_release(&p->tail);
		free(p->subject);
		free(p->runid);
		free(p->causeid);
	}
	if (rc == 0)
		rc = emit_lines(g, q->lines.p + from, q->lines.p +
		    q->lines.len);
	q->n = 0;
	q->live = 0;
	buf_reset(&q->lines);
	return rc;
}

/* A finished line: out now, or queued behind pending escalations. */
static int
out_line(struct gate *g, struct work *w, const char *line, size_t len)
{
	if (w->q.n == 0)
		return cli_emit(&g->cli, line, len);
	buf_add(&w->q.lines, line, len);
	buf_addc(&w->q.lines, '\n');
	return 0;
}

static void
raw_member(const struct json_doc *d, uint32_t obj, const char *key,
    struct buf *out)
{
	int64_t t = json_obj_get(d, obj, key);
	const char *r;
	size_t n;

	if (t < 0) {
		buf_adds(out, "null");
		return;
	}
	r = json_raw(d, (uint32_t)t, &n);
	buf_add(out, r, n);
}

/* The decoded string member key of the action, or "". */
static void
action_str(const struct policy_action *a, const char *key, struct buf *out)
{
	int64_t t = json_obj_get(a->doc, a->tok, key);

	buf_reset(out);
	if (t >= 0 && a->doc->tok[t].type == JSON_STRING)
		json_str_decode(a->doc, (uint32_t)t, out);
	if (out->p == NULL)
		buf_adds(out, "");
}

static int
decide_one(struct gate *g, struct work *w, const struct policy_pre *pre,
    struct tend_err *err)
{
	struct event *ev = &w->ev;
	struct policy_action *a = &w->a;
	struct policy_decision *d = &w->d;
	const struct human *h = NULL;
	struct policy_human ph;
	const char *raw;
	char exp[48], nb[48];
	size_t rawlen;
	int64_t expires;

	/* an escalation may also come from a limit: look whenever one
	   could be answered */
	if ((pre->verdict == POLICY_PRE_ESCALATE ||
	    pre->verdict == POLICY_PRE_APPROVE) && g->nhumans > 0 &&
	    (h = gate_find_human(g, a->action_id, &ev->doc, a->tok)) !=
	    NULL) {
		ph.who = h->who;
		ph.expires_ns = h->expires_ns;
	}
	if (policy_decide(g->ctx, a, pre, h != NULL ? &ph : NULL, d, err) < 0)
		return -1;
	attr(ev, ev->subject, &w->subject);
	if (w->subject.len == 0)
		buf_adds(&w->subject, a->targets[0]);
	attr(ev, ev->runid, &w->runid);
	attr(ev, ev->id, &w->causeid);

	buf_reset(&w->data);
	buf_adds(&w->data, "{\"action_id\":");
	raw_member(&ev->doc, a->tok, "action_id", &w->data);
	buf_adds(&w->data, ",\"reasons\":");
	buf_add(&w->data, d->reasons.p, d->reasons.len);
	buf_addf(&w->data, ",\"policy_digest\":\"%s\"",
	    policy_digest(g->policy));
	switch (d->verdict) {
	case POLICY_APPROVED:
		expires = g->cli.now_ns + g->ttl_s * 1000000000LL;
		if (d->expires_cap >= 0 && d->expires_cap < expires)
			expires = d->expires_cap;
		rfc3339_format(expires, exp, sizeof(exp));
		buf_addf(&w->data, ",\"shadow\":%s,\"expires\":\"%s\"",
		    d->shadow ? "true" : "false", exp);
		if (g->unsigned_) {
			buf_adds(&w->data, ",\"unsigned\":true");
			break;
		}
		buf_adds(&w->data, ",\"key_id\":");
		buf_reset(&w->tmp);
		approval_key_id(&g->key, &w->tmp);
		buf_add_json_str(&w->data, w->tmp.p, w->tmp.len);
		buf_reset(&w->sig);
		if (approval_sign(&g->key, &ev->doc, a->tok,
		    policy_digest(g->policy), exp, d->shadow, &w->sig,
		    err) < 0)
			return -1;
		buf_addf(&w->data, ",\"signature\":\"%s\"", w->sig.p);
		break;
	case POLICY_DEFERRED:
		if (d->shadow)
			buf_adds(&w->data, ",\"shadow\":true");
		if (d->not_before >= 0) {
			rfc3339_format(d->not_before, nb, sizeof(nb));
			buf_addf(&w->data, ",\"not_before\":\"%s\"", nb);
		} else
			buf_adds(&w->data, ",\"not_before\":null");
		break;
	case POLICY_DENIED:
		if (d->shadow)
			buf_adds(&w->data, ",\"shadow\":true");
		break;
	case POLICY_ESCALATED:
		if (d->shadow)
			buf_adds(&w->data, ",\"shadow\":true");
		break;
	}
	raw = json_raw(&ev->doc, a->tok, &rawlen);
	if (d->verdict == POLICY_ESCALATED && notify_enabled(g->notify)) {
		struct outq *q = &w->q;
		struct pend *p;

		if (q->n == q->cap) {
			q->cap = q->cap ? q->cap * 2 : 64;
			q->p = xreallocarray(q->p, q->cap, sizeof(*q->p));
		}
		p = &q->p[q->n++];
		memset(p, 0, sizeof(*p));
		p->at = q->lines.len;
		buf_add(&p->head, w->data.p, w->data.len);
		buf_adds(&p->tail, ",\"action\":");
		buf_add(&p->tail, raw, rawlen);
		buf_addc(&p->tail, '}');
		p->subject = xstrdup(w->subject.p);
		p->runid = w->runid.len ? xstrdup(w->runid.p) : NULL;
		p->causeid = w->causeid.len ? xstrdup(w->causeid.p) : NULL;
		p->shadow = d->shadow;
		if (!d->shadow) {
			struct escalation e;
			struct buf reason = BUF_INIT;

			action_str(a, "reason", &reason);
			memset(&e, 0, sizeof(e));
			e.action_id = a->action_id;
			e.skill = a->skill;
			e.domain = a->domain;
			e.risk = a->risk;
			e.target = a->targets[0];
			e.subject = w->subject.p;
			e.runid = opt_str(&w->runid);
			e.summary = reason.p;
			e.policy_digest = policy_digest(g->policy);
			e.reasons = d->reasons.p;
			e.reasons_len = d->reasons.len;
			e.action = raw;
			e.action_len = rawlen;
			notify_add(g->notify, &e);
			q->live++;
			buf_release(&reason);
		}
		if (q->n >= 512 || q->lines.len >= (32u << 20))
			return flush_queue(g, w) < 0 ? 1 : 0;
		return 0;
	}
	if (d->verdict == POLICY_ESCALATED)
		buf_adds(&w->data, ",\"notified\":[]");
	buf_adds(&w->data, ",\"action\":");
	buf_add(&w->data, raw, rawlen);
	buf_addc(&w->data, '}');
	if (build_event(g, verdict_types[d->verdict], w->subject.p,
	    opt_str(&w->runid), opt_str(&w->causeid), w->data.p, w->data.len,
	    &w->line, err) < 0)
		return -1;
	return out_line(g, w, w->line.p, w->line.len) < 0 ? 1 : 0;
}

/*
 * Passes 2 and 3 over the spool.  Returns 0, or -1 when the run must
 * stop (reported, status set).
 */
static int
decide_all(struct gate *g, struct spool *sp)
{
	struct ndjson_reader r;
	struct policy_pre *pres;
	struct work w;
	struct tend_err err = { 0 };
	char *line;
	size_t len, i;
	int pass, n, rc = 0;

	if (spool_drain(sp, &err) < 0) {
		warnx("%s", err.msg);
		cli_fail(&g->cli, TEND_EXIT_SYSTEM);
		return -1;
	}
	if (sp->n == 0)
		return 0;
	pres = sp->early ? sp->pres : xcalloc(sp->n, sizeof(*pres));
	memset(&w, 0, sizeof(w));
	event_init(&w.ev);
	policy_action_init(&w.a);
	policy_decision_init(&w.d);
	buf_grow(&w.q.lines, 1);
	for (pass = sp->early ? 3 : 2; pass <= 3 && rc == 0; pass++) {
		if (lseek(sp->fd, 0, SEEK_SET) < 0) {
			warn("spool file");
			cli_fail(&g->cli, TEND_EXIT_SYSTEM);
			rc = -1;
			break;
		}
		ndjson_reader_init(&r, sp->fd, "spool");
		r.max_line = g->cli.max_line;
		for (i = 0; rc == 0; i++) {
			n = ndjson_reader_next(&r, &line, &len, &err);
			if (n == 0)
				break;
			if (n < 0) {
				warnx("spool file: %s", err.msg);
				cli_fail(&g->cli, TEND_EXIT_SYSTEM);
				rc = -1;
				break;
			}
			if (i >= sp->n)
				BUG("spool holds more than was written");
			if (event_parse(&w.ev, line, len, &err) < 0 ||
			    policy_action_parse(&w.a, &w.ev.doc,
			    (uint32_t)w.ev.data, &err) < 0)
				BUG("a spooled line no longer parses");
			if (pass == 2) {
				if (count(g, &w.ev, &w.a, &pres[i], &err) < 0) {
					warnx("%s", err.msg);
					cli_fail(&g->cli, err.code);
					rc = -1;
				}
				continue;
			}
			n = decide_one(g, &w, &pres[i], &err);
			if (n < 0) {
				cli_warn_at(&g->cli, sp->names[sp->file[i]],
				    sp->lineno[i], "%s", err.msg);
				cli_fail(&g->cli, err.code ? err.code :
				    TEND_EXIT_SYSTEM);
				rc = -1;
			} else if (n > 0)
				rc = -1;
		}
		ndjson_reader_release(&r);
	}
	if (w.q.n > 0 && flush_queue(g, &w) < 0)
		rc = -1;
	free(w.q.p);
	buf_release(&w.q.lines);
	event_release(&w.ev);
	policy_action_release(&w.a);
	policy_decision_release(&w.d);
	buf_release(&w.data);
	buf_release(&w.line);
	buf_release(&w.sig);
	buf_release(&w.subject);
	buf_release(&w.runid);
	buf_release(&w.causeid);
	buf_release(&w.tmp);
	buf_release(&w.notified);
	if (!sp->early)
		free(pres);
	return rc;
}

/* ------------------------------------------------------------------ */

static void
usage_error(struct gate *g, const char *why)
{
	warnx("%s", why);
	cli_usage_error(&g->cli);
}

int
main(int argc, char *argv[])
{
	struct gate g;
	struct spool sp;
	struct tend_err err = { 0 };
	const char *policy_path = NULL, *key_path = NULL, *ttl = NULL,
	    *history = NULL, *inventory = NULL, *am = NULL, *hook = NULL;
	const char **approvals = NULL, **trust = NULL;
	size_t napprovals = 0, ntrust = 0, i;
	int ch, fd, stop = 0;

	if (argc > 1 && strcmp(argv[1], "keygen") == 0)
		return gate_keygen_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "approve") == 0)
		return gate_approve_main(argc - 1, argv + 1);

	memset(&g, 0, sizeof(g));
	cli_init(&g.cli, "tend-gate", usage_text);
	while ((ch = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_APPROVALS:
			approvals = xreallocarray(approvals, napprovals + 1,
			    sizeof(*approvals));
			approvals[napprovals++] = optarg;
			break;
		case OPT_HISTORY:
			history = optarg;
			break;
		case OPT_INVENTORY:
			inventory = optarg;
			break;
		case OPT_KEY:
			key_path = optarg;
			break;
		case OPT_NOTIFY_AM:
			am = optarg;
			break;
		case OPT_NOTIFY_HOOK:
			hook = optarg;
			break;
		case OPT_POLICY:
			policy_path = optarg;
			break;
		case OPT_TRUST:
			trust = xreallocarray(trust, ntrust + 1,
			    sizeof(*trust));
			trust[ntrust++] = optarg;
			break;
		case OPT_TTL:
			ttl = optarg;
			break;
		case OPT_UNSIGNED:
			g.unsigned_ = 1;
			break;
		default:
			if (!cli_common_opt(&g.cli, ch, optarg))
				cli_usage_error(&g.cli);
		}
	}
	argc -= optind;
	argv += optind;
	if (policy_path == NULL)
		usage_error(&g, "--policy is required");
	if ((key_path == NULL) == !g.unsigned_)
		usage_error(&g, "give either --key (to sign approvals) or "
		    "--unsigned (what-if: approvals without signatures)");
	if (duration_parse(ttl != NULL ? ttl : GATE_TTL_DEFAULT, &g.ttl_s,
	    &err) < 0 || g.ttl_s > GATE_TTL_MAX) {
		warnx("--ttl %s: %s", ttl, err.code ? err.msg :
		    "at most 7d: approvals are meant to be short-lived");
		exit(TEND_EXIT_USAGE);
	}
	cli_start(&g.cli);

	if ((g.policy = policy_load_file(policy_path, &err)) == NULL)
		errx(err.code, "%s", err.msg);
	if (key_path != NULL) {
		if (sign_key_load_secret(&g.key, key_path, &err) < 0)
			errx(err.code, "%s", err.msg);
		g.have_key = 1;
	}
	g.trust = xcalloc(ntrust + 1, sizeof(*g.trust));
	for (i = 0; i < ntrust; i++) {
		if (sign_key_load_public(&g.trust[i], trust[i], &err) < 0)
			errx(err.code, "%s", err.msg);
		g.ntrust++;
	}
	if ((g.notify = notify_new(am, hook, &err)) == NULL)
		errx(err.code, "%s", err.msg);
	g.ctx = policy_ctx_new(g.policy, g.cli.now_ns);
	if (spool_open(&sp, &err) < 0)
		errx(err.code, "%s", err.msg);
	/* Without limits that read the inventory, pass 2 can be done as
	   the input is read: nothing it needs comes later. */
	sp.early = !policy_wants_inventory(g.policy);

	for (i = 0; i < napprovals && !stop; i++)
		stop = gate_load_approvals(&g, approvals[i]) < 0;
	if (!stop && inventory != NULL)
		stop = gate_load_inventory(&g, inventory) < 0;
	if (!stop && history != NULL)
		stop = gate_load_history(&g, history) < 0;

	if (!stop && argc == 0)
		stop = read_stream(&g, &sp, STDIN_FILENO, "<stdin>") < 0;
	else
		for (i = 0; i < (size_t)argc && !stop; i++) {
			if (strcmp(argv[i], "-") == 0)
				stop = read_stream(&g, &sp, STDIN_FILENO,
				    "<stdin>") < 0;
			else if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC)) <
			    0) {
				warn("cannot open '%s'", argv[i]);
				cli_fail(&g.cli, TEND_EXIT_SYSTEM);
				stop = 1;
			} else {
				stop = read_stream(&g, &sp, fd, argv[i]) < 0;
				close(fd);
			}
		}
	/* Nothing is decided on an input that was cut short: a batch
	   would be judged on part of its proposals. */
	if (!stop && !(g.cli.bad_input > 0 && !g.cli.keep_going))
		(void)decide_all(&g, &sp);

	spool_close(&sp);
	policy_ctx_free(g.ctx);
	policy_free(g.policy);
	notify_free(g.notify);
	sign_key_wipe(&g.key);
	free(g.trust);
	free(trust);
	free(approvals);
	for (i = 0; i < g.nhumans; i++)
		free(g.humans[i].who);
	free(g.humans);
	strmap_release(&g.approvals);
	return cli_finish(&g.cli);
}
