/*
 * tend-plan: reads NDJSON events on stdin (tend.resource.state,
 * tend.drift.detected, or any type a skill declares) and runs skills
 * (jq programs with metadata; the SKILL operands) on them, writing one
 * tend.action.proposed event per action a skill proposes and one
 * tend.incident.opened or .resolved per incident record it outputs.
 * Other events are not passed on.  With --osv, host packages in state events are
 * matched against OSV advisories and skills reading "tend.finding" get
 * one finding per affected package and advisory.
 *
 * Skills without "needs": ["state"] and "batch" stream, their programs
 * run by a second thread while this one reads ahead and writes out (see
 * read_input); the others run once the whole input is read, over what
 * they were held back.
 *
 * Fails with 2 on a usage error; 3 on a skill that does not load or
 * compile, a skill's runtime error or bad output, or a bad input line
 * (under --keep-going these become tend.error events and the run goes
 * on, still ending with 3); 4 on I/O errors.
 */
#include "compat.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "event.h"
#include "ndjson.h"
#include "plan.h"
#include "rfc3339.h"
#include "xmalloc.h"

static const char usage_text[] =
    "usage: %s [-hkV] [--data name=file] [--log file] [--max-line bytes]\n"
    "                 [--now time] [--osv file | dir]\n"
    "                 [--osv-ecosystem ecosystem] [--timeout seconds]"
    " skill ...\n";

enum {
	OPT_DATA = CLI_OPT_FIRST_PROGRAM,
	OPT_OSV,
	OPT_OSV_ECOSYSTEM,
	OPT_TIMEOUT,
};

static const struct option longopts[] = {
	CLI_COMMON_OPTS,
	{ "data", required_argument, NULL, OPT_DATA },
	{ "osv", required_argument, NULL, OPT_OSV },
	{ "osv-ecosystem", required_argument, NULL, OPT_OSV_ECOSYSTEM },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ NULL, 0, NULL, 0 },
};

/*
 * The last state data of each key, for skills that need "observed": an
 * open-addressing hash table of keys (decoded) to data (raw JSON).
 */
struct stateidx {
	char	**key;
	struct buf *val;
	size_t	 cap;		/* a power of two */
	size_t	 n;
};

static uint64_t
hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* The slot of key k, empty (key NULL) when it is not there. */
static size_t
idx_slot(const struct stateidx *x, const char *k, size_t n)
{
	size_t i = (size_t)hash(k, n) & (x->cap - 1);

	while (x->key[i] != NULL && (strlen(x->key[i]) != n ||
	    memcmp(x->key[i], k, n) != 0))
		i = (i + 1) & (x->cap - 1);
	return i;
}

static void
idx_put(struct stateidx *x, const char *k, size_t n, const char *v,
    size_t vlen)
{
	size_t i, old;

	if (2 * (x->n + 1) > x->cap) {
		struct stateidx y = { NULL, NULL, x->cap ? x->cap * 2 : 1024,
		    0 };

		y.key = xcalloc(y.cap, sizeof(*y.key));
		y.val = xcalloc(y.cap, sizeof(*y.val));
		for (old = 0; old < x->cap; old++) {
			if (x->key[old] == NULL)
				continue;
			i = idx_slot(&y, x->key[old], strlen(x->key[old]));
			y.key[i] = x->key[old];
			y.val[i] = x->val[old];
			y.n++;
		}
		free(x->key);
		free(x->val);
		*x = y;
	}
	i = idx_slot(x, k, n);
	if (x->key[i] == NULL) {
		x->key[i] = xstrndup(k, n);
		buf_init(&x->val[i]);
		x->n++;
	}
	buf_reset(&x->val[i]);
	buf_add(&x->val[i], v, vlen);
}

static const struct buf *
idx_get(const struct stateidx *x, const char *k, size_t n)
{
	size_t i;

	if (x == NULL || x->cap == 0)
		return NULL;
	i = idx_slot(x, k, n);
	return x->key[i] != NULL ? &x->val[i] : NULL;
}

static void
idx_free(struct stateidx *x)
{
	size_t i;

	if (x == NULL)
		return;
	for (i = 0; i < x->cap; i++)
		if (x->key[i] != NULL) {
			free(x->key[i]);
			buf_release(&x->val[i]);
		}
	free(x->key);
	free(x->val);
	free(x);
}

/* The key of a state or drift event: data.key, else subject; -1. */
static int64_t
event_key(const struct json_doc *d)
{
	int64_t data = json_obj_get(d, 0, "data"), k = -1;

	if (data >= 0 && d->tok[data].type == JSON_OBJECT)
		k = json_obj_get(d, (uint32_t)data, "key");
	if (k < 0 || d->tok[k].type != JSON_STRING)
		k = json_obj_get(d, 0, "subject");
	if (k < 0 || d->tok[k].type != JSON_STRING)
		return -1;
	return k;
}

/* in's text with "observed": the state data of its key (or null). */
static void
with_observed(struct plan *p, const struct input *in, struct buf *out)
{
	const struct buf *v = NULL;
	struct buf k = BUF_INIT;
	int64_t t = event_key(in->doc);
	size_t end = in->len;

	if (t >= 0) {
		json_str_decode(in->doc, (uint32_t)t, &k);
		v = idx_get(p->observed, k.p != NULL ? k.p : "", k.len);
	}
	while (end > 0 && in->json[end - 1] != '}')
		end--;
	buf_reset(out);
	buf_add(out, in->json, end - 1);
	buf_adds(out, in->doc->tok[0].size > 0 ? ",\"observed\":" :
	    "\"observed\":");
	if (v != NULL)
		buf_add(out, v->p, v->len);
	else
		buf_adds(out, "null");
	buf_addc(out, '}');
	buf_release(&k);
}

int
plan_skill_error(struct plan *p, const char *text, size_t len,
    const struct tend_err *err)
{
	const char *m = err->msg, *c, *why;
	struct buf file = BUF_INIT;
	size_t line = 1;
	char *end;
	int rc;

	/* "FILE:LINE: what" or "FILE: what"; else the message as is */
	why = m;
	for (c = m; (c = strchr(c, ':')) != NULL; c++) {
		if (c[1] == ' ') {
			why = c + 2;
			break;
		}
		if (c[1] >= '1' && c[1] <= '9') {
			unsigned long l = strtoul(c + 1, &end, 10);

			if (end[0] == ':' && end[1] == ' ') {
				line = l;
				why = end + 2;
				break;
			}
		}
	}
	if (c == NULL)
		buf_adds(&file, "<skills>");
	else
		buf_add(&file, m, (size_t)(c - m));
	/* a jq compile error says where: ", line N" at its end */
	if ((c = strstr(why, ", line ")) != NULL) {
		unsigned long l = strtoul(c + 7, &end, 10);

		if (l > 0 && (*end == '\0' || *end == ':' || *end == ';'))
			line = l;
	}
	rc = cli_bad_input(&p->cli, file.p, line, text != NULL ? text : "",
	    text != NULL ? len : 0, why);
	buf_release(&file);
	if (rc < 0)
		p->stop = 1;
	return rc;
}

/* A skill's run failed on input in (at its line): report, maybe go on. */
static int
run_error(struct plan *p, const struct input *in, struct tend_err *err)
{
	if (p->stop && err->code == 0)
		return -1;	/* stdout is gone */
	if (cli_bad_input(&p->cli, in->file, in->lineno, in->json, in->len,
	    err->msg) < 0) {
		p->stop = 1;
		return -1;
	}
	return 0;
}

static int
runs(const struct skill *s)
{
	return !s->broken && strcmp(s->mode, "off") != 0;
}

static int
deferred(const struct skill *s)
{
	return s->needs_state || s->batch;
}

/*
 * The streaming skills run in a thread of their own: the main thread
 * reads, checks and dispatches a batch of lines (building each program's
 * input value) while the worker runs the programs of the batch before it;
 * then the main thread wraps and writes that batch's outputs, in input
 * order, and hands it the next.  Output is therefore the same bytes as
 * running everything in order; only reading runs ahead, by one batch.
 * Nothing is written or reported for a line before everything of the
 * lines before it, so the first error still stops the run where it was.
 */
#define BATCH_JOBS	1024
#define BATCH_BYTES	(4u << 20)

/* A line (or a finding) kept until its batch is written.  Slots are
   reused from batch to batch, with their storage. */
struct item {
	struct buf text;	/* doc.src points into it */
	struct json_doc doc;
	size_t	 lineno;
};

enum job_kind {
	JOB_RUN,	/* a skill on an item */
	JOB_BAD,	/* a bad input line, to report */
	JOB_FATAL,	/* stop: err says why (an OSV error, a read error) */
};

struct job {
	enum job_kind kind;
	struct skill *s;
	size_t	 item;
	struct outputs out;	/* RUN: what the program wrote */
	int	 rc;		/* RUN: 0, or -1 with err */
	struct tend_err err;
	char	*bad;		/* BAD: the line, for its digest */
	size_t	 badlen;
	size_t	 lineno;
};

struct batch {
	struct item *items;
	size_t	 nitems, capitems;
	struct job *jobs;
	size_t	 njobs, capjobs;
	size_t	 bytes;
	int	 done;		/* the worker ran it (under mu) */
};

struct worker {
	int	 idx;		/* 0: runs s->prog, 1: s->prog2 */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch *todo;	/* handed over, not yet taken */
	int	 quit;
};

static struct item *
item_slot(struct batch *b)
{
	struct item *it;

	if (b->nitems == b->capitems) {
		b->capitems = b->capitems ? b->capitems * 2 : 64;
		b->items = xreallocarray(b->items, b->capitems,
		    sizeof(*b->items));
		memset(b->items + b->nitems, 0, (b->capitems - b->nitems) *
		    sizeof(*b->items));
	}
	it = &b->items[b->nitems];
	if (it->doc.tok == NULL && it->doc.cap == 0)
		json_doc_init(&it->doc);
	buf_reset(&it->text);
	return it;
}

/* An item holding the event line whose tape ev already has: the tapes
   are swapped, so neither is parsed again nor allocated anew. */
static size_t
item_take(struct batch *b, struct event *ev, const char *line, size_t len,
    size_t lineno)
{
	struct item *it = item_slot(b);
	struct json_doc tmp;

	buf_add(&it->text, line, len);
	tmp = it->doc;
	it->doc = ev->doc;
	it->doc.src = it->text.p;
	ev->doc = tmp;
	it->lineno = lineno;
	b->bytes += len;
	return b->nitems++;
}

static size_t
item_parsed(struct batch *b, const char *text, size_t len, size_t lineno)
{
	struct tend_err err = { 0 };
	struct item *it = item_slot(b);

	buf_add(&it->text, text, len);
	if (json_parse(&it->doc, it->text.p, len, &err) < 0)
		BUG(err.msg);	/* built from valid JSON */
	it->lineno = lineno;
	b->bytes += len;
	return b->nitems++;
}

static struct job *
job_new(struct batch *b, enum job_kind kind)
{
	struct outputs out;
	struct job *j;

	if (b->njobs == b->capjobs) {
		b->capjobs = b->capjobs ? b->capjobs * 2 : 64;
		b->jobs = xreallocarray(b->jobs, b->capjobs, sizeof(*b->jobs));
		memset(b->jobs + b->njobs, 0, (b->capjobs - b->njobs) *
		    sizeof(*b->jobs));
	}
	j = &b->jobs[b->njobs++];
	out = j->out;		/* kept, with its storage */
	memset(j, 0, sizeof(*j));
	j->out = out;
	outputs_reset(&j->out);
	j->kind = kind;
	return j;
}

static void
batch_reset(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->njobs; i++) {
		free(b->jobs[i].bad);
		b->jobs[i].bad = NULL;
	}
	b->nitems = b->njobs = b->bytes = 0;
	b->done = 0;
}

static void
batch_free(struct batch *b)
{
	size_t i;

	batch_reset(b);
	for (i = 0; i < b->capitems; i++) {
		buf_release(&b->items[i].text);
		json_doc_release(&b->items[i].doc);
	}
	for (i = 0; i < b->capjobs; i++)
		outputs_release(&b->jobs[i].out);
	free(b->items);
	free(b->jobs);
}

static int
batch_full(const struct batch *b)
{
	return b->njobs >= BATCH_JOBS || b->bytes >= BATCH_BYTES;
}

/*
 * A program that never ends (until(false; .)) would hold the pipeline
 * forever, and libjq cannot be interrupted: a watchdog thread ends the
 * process, naming the skill and the line, when one run of a skill (one
 * input, or a batch skill's whole array) takes longer than --timeout.
 * Slots: 0 and 1 the workers, 2 the main thread (deferred skills).
 */
#define WATCH_SLOTS	3

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
	int	 started, quit;
	int64_t	 limit_ns;
	struct {
		int64_t since;		/* 0: idle */
		const char *path;
		size_t	 lineno;
	} slot[WATCH_SLOTS];
} watch;

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
watch_begin(int slot, const struct skill *s, size_t lineno)
{
	pthread_mutex_lock(&watch.mu);
	watch.slot[slot].since = mono_ns();
	watch.slot[slot].path = s->jq_path;
	watch.slot[slot].lineno = lineno;
	pthread_mutex_unlock(&watch.mu);
}

static void
watch_end(int slot)
{
	pthread_mutex_lock(&watch.mu);
	watch.slot[slot].since = 0;
	pthread_mutex_unlock(&watch.mu);
}

static void *
watch_main(void *arg)
{
	struct timespec until;
	int64_t now;
	int i;

	(void)arg;
	pthread_mutex_lock(&watch.mu);
	while (!watch.quit) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		(void)pthread_cond_timedwait(&watch.cv, &watch.mu, &until);
		now = mono_ns();
		for (i = 0; i < WATCH_SLOTS; i++) {
			if (watch.slot[i].since == 0 ||
			    now - watch.slot[i].since < watch.limit_ns)
				continue;
			/* stdout holds only whole events: they stay */
			fprintf(stderr, "tend-plan: <stdin>:%zu: %s: still "
			    "running after %.3g s (--timeout): stopped\n",
			    watch.slot[i].lineno, watch.slot[i].path,
			    (double)watch.limit_ns / 1e9);
			_exit(TEND_EXIT_INPUT);
		}
	}
	pthread_mutex_unlock(&watch.mu);
	return NULL;
}

static void
watch_start(int64_t limit_ns)
{
	watch.limit_ns = limit_ns;
	pthread_mutex_init(&watch.mu, NULL);
	pthread_cond_init(&watch.cv, NULL);
	if (pthread_create(&watch.th, NULL, watch_main, NULL) != 0)
		errx(TEND_EXIT_SYSTEM, "cannot start a thread");
	watch.started = 1;
}

static void
watch_stop(void)
{
	if (!watch.started)
		return;
	pthread_mutex_lock(&watch.mu);
	watch.quit = 1;
	pthread_cond_broadcast(&watch.cv);
	pthread_mutex_unlock(&watch.mu);
	pthread_join(watch.th, NULL);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct batch *b;
	struct job *j;
	struct input in;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (w->todo == NULL && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->todo == NULL) {
			pthread_mutex_unlock(&w->mu);
			return NULL;
		}
		b = w->todo;
		w->todo = NULL;
		pthread_mutex_unlock(&w->mu);
		for (i = 0; i < b->njobs; i++) {
			j = &b->jobs[i];
			if (j->kind != JOB_RUN)
				continue;
			in = (struct input){ b->items[j->item].text.p,
			    b->items[j->item].text.len,
			    &b->items[j->item].doc, "<stdin>",
			    b->items[j->item].lineno };
			watch_begin(w->idx, j->s, in.lineno);
			j->rc = action_collect_with(j->s, w->idx == 0 ?
			    j->s->prog : j->s->prog2, &in, 1, &j->out,
			    &j->err);
			watch_end(w->idx);
		}
		pthread_mutex_lock(&w->mu);
		b->done = 1;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
	}
}

static void
worker_submit(struct worker *w, struct batch *b)
{
	pthread_mutex_lock(&w->mu);
	while (w->todo != NULL)
		pthread_cond_wait(&w->cv, &w->mu);
	b->done = 0;
	w->todo = b;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void
worker_wait(struct worker *w, struct batch *b)
{
	pthread_mutex_lock(&w->mu);
	while (!b->done)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

/* Adds the jobs of input item i (of type type) to b. */
static void
dispatch(struct plan *p, struct batch *b, const char *type, size_t tlen,
    size_t i)
{
	struct buf aug = BUF_INIT;
	struct input in;
	struct skill *s;
	struct job *j;
	size_t k, use, augi = (size_t)-1;

	for (k = 0; k < p->nskills; k++) {
		s = p->skills[k];
		if (!runs(s) || !skill_reads(s, type, tlen))
			continue;
		use = i;
		if (s->needs_observed) {
			if (augi == (size_t)-1) {
				in = (struct input){ b->items[i].text.p,
				    b->items[i].text.len, &b->items[i].doc,
				    "<stdin>", b->items[i].lineno };
				with_observed(p, &in, &aug);
				augi = item_parsed(b, aug.p, aug.len,
				    b->items[i].lineno);
			}
			use = augi;
		}
		if (deferred(s)) {
			pending_add(&s->pend, b->items[use].text.p,
			    b->items[use].text.len, b->items[use].lineno);
			continue;
		}
		j = job_new(b, JOB_RUN);
		j->s = s;
		j->item = use;
	}
	buf_release(&aug);
}

/* Findings of one package, kept until its state event is dispatched. */
struct findings {
	struct buf text;
	size_t	*off;
	size_t	 n, cap;
};

static int
on_finding(void *ctx, const char *json, size_t len)
{
	struct findings *f = ctx;

	if (f->n + 1 >= f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->off = xreallocarray(f->off, f->cap, sizeof(*f->off));
	}
	f->off[f->n++] = f->text.len;
	buf_add(&f->text, json, len);
	f->off[f->n] = f->text.len;
	return 0;
}

/* Adds a state event to $state: "key": data. */
static void
index_state(struct plan *p, const struct json_doc *d, int64_t data,
    int64_t subject)
{
	int64_t key;
	const char *raw;
	size_t len;

	if (data < 0 || d->tok[data].type != JSON_OBJECT)
		return;
	key = json_obj_get(d, (uint32_t)data, "key");
	if (key < 0 || d->tok[key].type != JSON_STRING)
		key = subject;
	if (key < 0 || d->tok[key].type != JSON_STRING)
		return;
	buf_addc(&p->state, p->nstate++ > 0 ? ',' : '{');
	raw = json_raw(d, (uint32_t)key, &len);
	buf_add(&p->state, raw, len);
	buf_addc(&p->state, ':');
	raw = json_raw(d, (uint32_t)data, &len);
	buf_add(&p->state, raw, len);
}

/* Remembers a state event's data as the observed state of its key. */
static void
index_observed(struct plan *p, const struct json_doc *d, int64_t data)
{
	struct buf k = BUF_INIT;
	int64_t t = event_key(d);
	const char *raw;
	size_t len;

	if (t < 0 || data < 0)
		return;
	json_str_decode(d, (uint32_t)t, &k);
	raw = json_raw(d, (uint32_t)data, &len);
	if (p->observed == NULL)
		p->observed = xcalloc(1, sizeof(*p->observed));
	idx_put(p->observed, k.p != NULL ? k.p : "", k.len, raw, len);
	buf_release(&k);
}

/* A valid event read: its jobs into b. */
static void
handle_event(struct plan *p, struct batch *b, struct event *ev,
    const char *line, size_t len, size_t lineno)
{
	struct buf type = BUF_INIT;
	struct findings f = { BUF_INIT, NULL, 0, 0 };
	struct tend_err err = { 0 };
	struct job *j;
	size_t i;
	int is_state;

	event_attr(ev, ev->type, &type);
	if (type.p == NULL)
		buf_adds(&type, "");
	is_state = strcmp(type.p, "tend.resource.state") == 0;
	if (is_state && p->want_state)
		index_state(p, &ev->doc, ev->data, ev->subject);
	if (is_state && p->want_observed)
		index_observed(p, &ev->doc, ev->data);
	/* findings come after their package's state, from its tape */
	if (is_state && p->want_findings && osv_findings(p->osv,
	    p->osv_ecosystem, &ev->doc, on_finding, &f, &err) < 0) {
		j = job_new(b, JOB_FATAL);
		j->err = err;
		f.n = 0;
	}
	for (i = 0; i < p->nskills; i++)
		if (runs(p->skills[i]) &&
		    skill_reads(p->skills[i], type.p, type.len))
			break;
	if (i < p->nskills)	/* kept only when a skill reads it */
		dispatch(p, b, type.p, type.len, item_take(b, ev, line, len,
		    lineno));
	for (i = 0; i < f.n; i++)
		dispatch(p, b, "tend.finding", 12, item_parsed(b,
		    f.text.p + f.off[i], f.off[i + 1] - f.off[i], lineno));
	buf_release(&f.text);
	free(f.off);
	buf_release(&type);
}

/* Reports and writes out a batch the worker ran; sets p->stop to stop. */
static void
emit_batch(struct plan *p, struct batch *b)
{
	struct job *j;
	struct input in;
	size_t i;

	for (i = 0; i < b->njobs && !p->stop; i++) {
		j = &b->jobs[i];
		switch (j->kind) {
		case JOB_BAD:
			if (cli_bad_input(&p->cli, "<stdin>", j->lineno,
			    j->bad != NULL ? j->bad : "", j->badlen,
			    j->err.msg) < 0)
				p->stop = 1;
			break;
		case JOB_FATAL:
			warnx("%s", j->err.msg);
			cli_fail(&p->cli, j->err.code);
			p->stop = 1;
			break;
		case JOB_RUN:
			in = (struct input){ b->items[j->item].text.p,
			    b->items[j->item].text.len,
			    &b->items[j->item].doc, "<stdin>",
			    b->items[j->item].lineno };
			if (j->rc == 0 &&
			    action_emit(p, j->s, &in, 1, &j->out, &j->err) == 0)
				break;
			(void)run_error(p, &in, &j->err);
			break;
		}
	}
	if (!p->stop)
		ndjson_writer_flush(&p->cli.out);
}

/* 1 when the reader has no whole line buffered and nothing to read. */
static int
would_block(const struct ndjson_reader *r)
{
	struct pollfd pfd = { r->fd, POLLIN, 0 };

	if (r->eof || (r->end > r->start && memchr(r->buf + r->start, '\n',
	    r->end - r->start) != NULL))
		return 0;
	return poll(&pfd, 1, 0) == 0;
}

/*
 * Reads lines into b until it is full, the input would block (1 is
 * returned then, so that what was read is written before waiting) or
 * ends (*eof set).  Returns 0 otherwise.
 */
static int
fill_batch(struct plan *p, struct ndjson_reader *r, struct event *ev,
    struct batch *b, int *eof)
{
	struct tend_err err = { 0 };
	struct job *j;
	char *line;
	size_t len;
	int n;

	while (!batch_full(b)) {
		if (b->njobs > 0 && would_block(r))
			return 1;
		n = ndjson_reader_next(r, &line, &len, &err);
		if (n == 0) {
			*eof = 1;
			return 0;
		}
		if (n < 0 && err.code == TEND_EXIT_SYSTEM) {
			j = job_new(b, JOB_FATAL);
			j->err = err;
			*eof = 1;
			return 0;
		}
		if (n > 0 && event_parse(ev, line, len, &err) == 0) {
			handle_event(p, b, ev, line, len, r->lineno);
			continue;
		}
		if (n > 0 && len == 0)
			tend_err_set(&err, TEND_EXIT_INPUT, "empty line");
		j = job_new(b, JOB_BAD);
		j->err = err;
		j->lineno = r->lineno;
		if (n > 0) {
			j->bad = xmalloc(len + 1);
			memcpy(j->bad, line, len);
			j->badlen = len;
		}
		b->bytes += len;
	}
	return 0;
}

static void
worker_start(struct worker *w, int idx)
{
	memset(w, 0, sizeof(*w));
	w->idx = idx;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->th, NULL, worker_main, w) != 0)
		errx(TEND_EXIT_SYSTEM, "cannot start a thread");
}

static void
worker_stop(struct worker *w)
{
	pthread_mutex_lock(&w->mu);
	w->quit = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
}

/*
 * A second worker, for an input of more than one full batch on a machine
 * with a second processor: each streaming skill is compiled once more
 * (tens of milliseconds, paid only when the input is that large), so the
 * two threads run the programs of alternate batches.  TEND_PLAN_THREADS=1
 * keeps one (for tests that compare the two).
 */
static int
second_worker(struct plan *p, struct worker *w)
{
	struct tend_err err = { 0 };
	const char *e = getenv("TEND_PLAN_THREADS");
	struct skill *s;
	size_t i, n = 0;

	if ((e != NULL && strcmp(e, "1") == 0) ||
	    sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return 0;
	for (i = 0; i < p->nskills; i++) {
		s = p->skills[i];
		if (!runs(s) || deferred(s) || s->broken)
			continue;
		if (s->prog2 == NULL && skill_compile_again(p, s, &err) < 0)
			return 0;	/* compiled once already: not expected */
		n++;
	}
	if (n == 0)
		return 0;
	worker_start(w, 1);
	return 1;
}

static void
read_input(struct plan *p, int fd, const char *name)
{
	struct ndjson_reader r;
	struct event ev;
	struct worker w[2];
	struct batch bt[3], *fill = &bt[0], *run[2] = { NULL, NULL }, *done;
	size_t nw = 1, k = 0, i, j;
	int eof = 0, blocked;

	memset(bt, 0, sizeof(bt));
	worker_start(&w[0], 0);
	ndjson_reader_init(&r, fd, name);
	r.max_line = p->cli.max_line;
	event_init(&ev);
	/*
	 * Batches go to the workers in turn; a worker's batch before is
	 * the oldest in flight, so it is waited for and written out right
	 * after the next one is handed over: output stays in input order
	 * and no worker waits for the writing.
	 */
	while (!p->stop && !eof) {
		blocked = fill_batch(p, &r, &ev, fill, &eof);
		/* Only while the first worker is idle: compiling takes HOME
		   out of the environment (jqrun.h), which jq's time
		   builtins may be reading. */
		if (nw == 1 && run[0] == NULL && !blocked && !eof &&
		    second_worker(p, &w[1]))
			nw = 2;
		done = NULL;
		if (run[k] != NULL) {
			worker_wait(&w[k], run[k]);
			done = run[k];
		}
		worker_submit(&w[k], fill);
		run[k] = fill;
		if (done != NULL) {
			emit_batch(p, done);
			batch_reset(done);
		}
		for (i = 0; i < 3; i++)
			if (&bt[i] != run[0] && &bt[i] != run[1])
				fill = &bt[i];
		k = (k + 1) % nw;
		if ((blocked || eof) && !p->stop) {
			/* write what was read before waiting for more */
			for (i = 0; i < nw; i++) {
				j = (k + i) % nw;
				if (run[j] == NULL)
					continue;
				worker_wait(&w[j], run[j]);
				if (!p->stop)
					emit_batch(p, run[j]);
				batch_reset(run[j]);
				run[j] = NULL;
			}
		}
	}
	for (i = 0; i < nw; i++) {
		if (run[i] != NULL)
			worker_wait(&w[i], run[i]);
		worker_stop(&w[i]);
	}
	for (i = 0; i < 3; i++)
		batch_free(&bt[i]);
	event_release(&ev);
	ndjson_reader_release(&r);
}

/* Runs a deferred skill over what it was held back. */
static void
run_deferred(struct plan *p, struct skill *s)
{
	struct pending *pd = &s->pend;
	struct json_doc *docs;
	struct input *in;
	struct tend_err err = { 0 };
	struct outputs out;
	size_t i, end;
	int rc;

	if (pd->n == 0)
		return;
	docs = xcalloc(pd->n, sizeof(*docs));
	in = xcalloc(pd->n, sizeof(*in));
	for (i = 0; i < pd->n; i++) {
		end = i + 1 < pd->n ? pd->off[i + 1] : pd->text.len;
		json_doc_init(&docs[i]);
		in[i] = (struct input){ pd->text.p + pd->off[i],
		    end - pd->off[i], &docs[i], "<stdin>", pd->lineno[i] };
		if (json_parse(&docs[i], in[i].json, in[i].len, &err) < 0)
			BUG(err.msg);	/* checked when it was read */
	}
	/* Only the program is timed: writing may wait for a slow reader. */
	memset(&out, 0, sizeof(out));
	if (s->batch) {
		watch_begin(2, s, in[0].lineno);
		rc = action_collect(s, in, pd->n, &out, &err);
		watch_end(2);
		if (rc < 0 || action_emit(p, s, in, pd->n, &out, &err) < 0)
			(void)run_error(p, &in[0], &err);
	} else {
		for (i = 0; i < pd->n && !p->stop; i++) {
			watch_begin(2, s, in[i].lineno);
			rc = action_collect(s, &in[i], 1, &out, &err);
			watch_end(2);
			if ((rc < 0 || action_emit(p, s, &in[i], 1, &out,
			    &err) < 0) && run_error(p, &in[i], &err) < 0)
				break;
		}
	}
	outputs_release(&out);
	for (i = 0; i < pd->n; i++)
		json_doc_release(&docs[i]);
	free(docs);
	free(in);
	pending_release(pd);
}

/* Compiles the skills of this phase (deferred or not). */
static void
compile_phase(struct plan *p, int want_deferred)
{
	struct tend_err err = { 0 };
	struct skill *s;
	size_t i;

	for (i = 0; i < p->nskills && !p->stop; i++) {
		s = p->skills[i];
		if (s->broken || (s->needs_state != 0) != want_deferred)
			continue;
		if (skill_compile(p, s, &err) == 0)
			continue;
		if (err.code == TEND_EXIT_SYSTEM) {
			warnx("%s", err.msg);
			cli_fail(&p->cli, TEND_EXIT_SYSTEM);
			p->stop = 1;
		} else if (plan_skill_error(p, s->text, strlen(s->text),
		    &err) == 0)
			s->broken = 1;
	}
}

static void
load_failed(struct plan *p, const struct tend_err *err)
{
	if (p->stop)
		return;
	if (err->code == TEND_EXIT_INPUT) {
		(void)plan_skill_error(p, NULL, 0, err);
		return;
	}
	warnx("%s", err->msg);
	cli_fail(&p->cli, err->code);
	p->stop = 1;
}

int
main(int argc, char *argv[])
{
	struct plan p;
	struct tend_err err = { 0 };
	struct strv data = { NULL, 0 }, osv = { NULL, 0 };
	double timeout = 60;
	size_t i;
	int ch, rc;

	memset(&p, 0, sizeof(p));
	cli_init(&p.cli, "tend-plan", usage_text);
	p.osv_ecosystem = "Debian";
	while ((ch = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_DATA:
			strv_add(&data, optarg, strlen(optarg));
			break;
		case OPT_OSV:
			strv_add(&osv, optarg, strlen(optarg));
			break;
		case OPT_OSV_ECOSYSTEM:
			if (*optarg == '\0')
				cli_usage_error(&p.cli);
			p.osv_ecosystem = optarg;
			break;
		case OPT_TIMEOUT: {
			char *end;

			errno = 0;
			timeout = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || errno != 0 ||
			    !(timeout > 0 && timeout <= 86400)) {
				warnx("--timeout '%s': want seconds, over 0 "
				    "and at most 86400", optarg);
				cli_usage_error(&p.cli);
			}
			break;
		}
		default:
			if (!cli_common_opt(&p.cli, ch, optarg))
				cli_usage_error(&p.cli);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		cli_usage_error(&p.cli);
	cli_start(&p.cli);
	rfc3339_format(p.cli.now_ns, p.now, sizeof(p.now));

	if ((p.schemas = schema_set_load(&err)) == NULL)
		errx(TEND_EXIT_SYSTEM, "built-in schemas: %s", err.msg);
	p.data = xcalloc(data.n + 1, sizeof(*p.data));
	for (i = 0; i < data.n; i++, p.ndata++) {
		size_t j;

		if (data_load(&p.data[i], data.v[i], &err) < 0) {
			warnx("%s", err.msg);
			exit(err.code);
		}
		for (j = 0; j < i; j++)
			if (strcmp(p.data[j].name, p.data[i].name) == 0) {
				warnx("--data %s: given twice", p.data[i].name);
				exit(TEND_EXIT_USAGE);
			}
	}
	for (i = 0; i < osv.n; i++)
		if (osv_load(&p.osv, osv.v[i], &err) < 0) {
			warnx("%s", err.msg);
			exit(err.code);
		}
	for (i = 0; i < (size_t)argc && !p.stop; i++)
		if (skill_load_path(&p, argv[i], &err) < 0)
			load_failed(&p, &err);
	if (p.want_findings && p.osv == NULL && !p.stop) {
		for (i = 0; i < p.nskills; i++)
			if (strv_has(&p.skills[i]->inputs, "tend.finding"))
				break;
		warnx("%s reads tend.finding: give --osv file | dir",
		    p.skills[i]->meta_path);
		exit(TEND_EXIT_USAGE);
	}

	compile_phase(&p, 0);
	watch_start((int64_t)(timeout * 1e9));
	if (!p.stop)
		read_input(&p, STDIN_FILENO, "<stdin>");
	if (!p.stop && p.want_state) {
		if (p.nstate == 0)
			buf_addc(&p.state, '{');
		buf_addc(&p.state, '}');
		compile_phase(&p, 1);
	}
	for (i = 0; i < p.nskills && !p.stop; i++)
		if (runs(p.skills[i]) && deferred(p.skills[i]))
			run_deferred(&p, p.skills[i]);

	watch_stop();
	rc = cli_finish(&p.cli);
	for (i = 0; i < p.nskills; i++)
		skill_free(p.skills[i]);
	free(p.skills);
	for (i = 0; i < p.ndata; i++) {
		free(p.data[i].name);
		buf_release(&p.data[i].json);
	}
	free(p.data);
	osv_free(p.osv);
	idx_free(p.observed);
	action_free();
	buf_release(&p.state);
	schema_set_free(p.schemas);
	strv_release(&data);
	strv_release(&osv);
	return rc;
}
