/*
 * tend-apply: reads decisions (stdin or FILE operands) and carries out
 * each tend.action.approved whose signature verifies with a --verify-key,
 * whose expiry has not passed and which is not in shadow mode, through
 * its executor (http, exec or file), writing tend.action.started before
 * it acts and tend.action.succeeded or .failed after.  Every other
 * decision, and every approval it does not carry out, gets a
 * tend.action.skipped saying why.  Other events pass through unchanged.
 *
 * With --log the log is also the write-ahead log: started is appended
 * and fsync'd before the action runs, and on start the log says which
 * actions are done (skipped) and which were interrupted (started, no
 * result; handled per --on-interrupted).
 *
 * Fails with 2 on a usage error; 3 on a bad line, and when an approval
 * was refused as unsigned, forged, malformed or not allowed; 4 when an
 * action failed, a credential could not be fetched, or on I/O errors.
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "apply.h"
#include "approval.h"
#include "cli.h"
#include "event.h"
#include "jcs.h"
#include "jsonptr.h"
#include "ndjson.h"
#include "rfc3339.h"
#include "sign.h"
#include "wal.h"
#include "xmalloc.h"

#define JOBS_MAX	64
#define KEYS_MAX	16

static const char usage_text[] =
    "usage: %s [-hknV] --verify-key file [--config file]\n"
    "\t[--credentials file] [--jobs n] [--log file] [--max-line bytes]\n"
    "\t[--now time] [--on-interrupted retry|skip|escalate] [--timings]\n"
    "\t[file ...]\n";

enum {
	OPT_CONFIG = CLI_OPT_FIRST_PROGRAM,
	OPT_CREDENTIALS,
	OPT_JOBS,
	OPT_ON_INTERRUPTED,
	OPT_TIMINGS,
	OPT_VERIFY_KEY,
};

static const struct option longopts[] = {
	CLI_COMMON_OPTS,
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "credentials", required_argument, NULL, OPT_CREDENTIALS },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "on-interrupted", required_argument, NULL, OPT_ON_INTERRUPTED },
	{ "timings", no_argument, NULL, OPT_TIMINGS },
	{ "verify-key", required_argument, NULL, OPT_VERIFY_KEY },
	{ NULL, 0, NULL, 0 },
};

enum { ON_INT_SKIP, ON_INT_RETRY, ON_INT_ESCALATE };

/* One approval to carry out. */
struct job {
	char	*line;
	size_t	 len;
	char	*action_id;
	char	**targets;
	size_t	 ntargets;
	char	**after;
	size_t	 nafter;
	int	 attempt;
	int	 interrupted;	/* retrying one that was interrupted */
	int	 running;
	struct job *next;
};

struct apply {
	struct cli cli;
	struct apply_conf conf;
	struct creds creds;
	int	 have_creds;
	struct sign_key keys[KEYS_MAX];
	size_t	 nkeys;
	struct schema_set *schemas;
	int	 dry_run;
	int	 jobs;
	int	 on_interrupted;
	int	 timings;
	int	 fixed_clock;
	struct wal wal;
	/* shared between the reader and the workers, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, *tail;
	size_t	 pending;	/* queued, not yet running */
	int	 eof;
	int	 stop;		/* stdout or the log failed: no new action */
};

/* What the reader knows of an event, decoded. */
struct cause {
	char	*id, *subject, *runid;
};

static void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->line);
	free(j->action_id);
	strv_free(j->targets, j->ntargets);
	strv_free(j->after, j->nafter);
	free(j);
}

static void
cause_release(struct cause *c)
{
	free(c->id);
	free(c->subject);
	free(c->runid);
	memset(c, 0, sizeof(*c));
}

static char *
attr_dup(const struct event *ev, int64_t tok)
{
	struct buf b = BUF_INIT;

	if (tok < 0)
		return NULL;
	event_attr(ev, tok, &b);
	if (b.p == NULL)
		buf_adds(&b, "");
	return b.p;
}

static void
cause_of(const struct event *ev, struct cause *c)
{
	c->id = attr_dup(ev, ev->id);
	c->subject = attr_dup(ev, ev->subject);
	c->runid = attr_dup(ev, ev->runid);
}

static int64_t
now_ns(const struct apply *a)
{
	struct timespec ts;

	if (a->fixed_clock)
		return a->cli.now_ns;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* events out; callers hold a->mu when workers run */

/* Builds and writes one event; -1 (a->stop set) when it cannot. */
static int
emit(struct apply *a, const char *type, const struct cause *c,
    const char *data, size_t len)
{
	struct buf ev = BUF_INIT;
	struct event_new en;
	struct tend_err err = { 0 };
	int rc;

	memset(&en, 0, sizeof(en));
	en.source = "tend-apply";
	en.type = type;
	en.subject = c->subject;
	en.runid = c->runid;
	en.causeid = c->id;
	en.time_ns = now_ns(a);
	en.data = data;
	en.data_len = len;
	if (event_build(&ev, &en, &err) < 0)
		BUG(err.msg);	/* we built data ourselves */
	rc = cli_emit(&a->cli, ev.p, ev.len);
	buf_release(&ev);
	if (rc < 0)
		a->stop = 1;
	return rc;
}

/* Makes what was emitted durable: the log fsync'd, or stdout flushed. */
static int
make_durable(struct apply *a)
{
	int rc;

	if (a->cli.log != NULL)
		rc = cli_log_flush(&a->cli);
	else
		rc = ndjson_writer_flush(&a->cli.out);
	if (rc < 0)
		a->stop = 1;
	return rc;
}

static void
data_start(struct buf *d, const char *action_id, const char *executor)
{
	buf_adds(d, "{\"action_id\":");
	buf_add_json_str(d, action_id, strlen(action_id));
	if (executor != NULL) {
		buf_adds(d, ",\"executor\":");
		buf_add_json_str(d, executor, strlen(executor));
	}
}

/* tend.action.skipped; reasons that mean a refused approval raise the
   exit status to 3. */
static int
skip(struct apply *a, const struct cause *c, const char *action_id,
    const char *executor, const char *reason, const char *detail,
    const char *would, size_t wlen)
{
	struct buf d = BUF_INIT;
	int rc;

	data_start(&d, action_id, executor);
	buf_adds(&d, ",\"reason\":");
	buf_add_json_str(&d, reason, strlen(reason));
	if (detail != NULL) {
		buf_adds(&d, ",\"detail\":");
		add_text(&d, detail, strlen(detail), 4096);
	}
	if (would != NULL) {
		buf_adds(&d, ",\"would\":");
		buf_add(&d, would, wlen);
	}
	buf_addc(&d, '}');
	if (strcmp(reason, "unsigned") == 0 ||
	    strcmp(reason, "bad-signature") == 0 ||
	    strcmp(reason, "invalid") == 0 ||
	    strcmp(reason, "not-allowed") == 0) {
		warnx("%s: %s: %s", action_id, reason, detail != NULL ?
		    detail : "");
		cli_fail(&a->cli, TEND_EXIT_INPUT);
	}
	rc = emit(a, "tend.action.skipped", c, d.p, d.len);
	buf_release(&d);
	return rc;
}

/* ------------------------------------------------------------------ */
/* carrying out one action */

static const struct executor *
executor_of(const struct json_doc *d, int64_t ex)
{
	static const struct executor *const all[] = {
		&executor_http, &executor_exec, &executor_file,
	};
	int64_t t;
	size_t i;

	if (ex < 0 || d->tok[ex].type != JSON_OBJECT ||
	    (t = json_obj_get(d, (uint32_t)ex, "type")) < 0)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(all); i++)
		if (json_str_eq(d, (uint32_t)t, all[i]->type))
			return all[i];
	return NULL;
}

/* The approval's action object and its executor, from a parsed event. */
static int
action_toks(const struct event *ev, int64_t *action, int64_t *ex)
{
	const struct json_doc *d = &ev->doc;

	*action = *ex = -1;
	if (ev->data < 0 || d->tok[ev->data].type != JSON_OBJECT)
		return -1;
	*action = json_obj_get(d, (uint32_t)ev->data, "action");
	if (*action < 0 || d->tok[*action].type != JSON_OBJECT)
		return -1;
	*ex = json_obj_get(d, (uint32_t)*action, "executor");
	return 0;
}

static int
digest_ok(const char *s)
{
	return strlen(s) == 71 && strncmp(s, "sha256:", 7) == 0 &&
	    strspn(s + 7, "0123456789abcdef") == 64;
}

/* 1 with why when the action's precondition (token t) is not
   {"pointer": JSON Pointer, "value": JSON}. */
static int
precondition_bad(const struct json_doc *d, int64_t t, struct buf *why)
{
	struct buf ptr = BUF_INIT;
	struct tend_err err = { 0 };
	int bad = 1;

	if (d->tok[t].type != JSON_OBJECT || d->tok[t].size != 2 ||
	    obj_get(d, (uint32_t)t, "value") < 0 ||
	    obj_str(d, (uint32_t)t, "pointer", &ptr) < 0)
		buf_adds(why, "precondition: not {\"pointer\": P, "
		    "\"value\": V}");
	else if (jsonptr_check(ptr.p, ptr.len, &err) < 0)
		buf_addf(why, "precondition/pointer: %s", err.msg);
	else
		bad = 0;
	buf_release(&ptr);
	return bad;
}

/*
 * A pointer precondition, {"pointer": P, "value": V} at token pre of d:
 * 1 when the target's content (JSON) holds V at P (compared in RFC 8785
 * form), else 0 with what differs in why.  The value the target holds
 * now is not shown: the skill chose P, which may name anything.
 */
static int
pointer_holds(const struct json_doc *d, uint32_t pre, const struct buf *body,
    struct buf *why)
{
	struct json_doc t;
	struct tend_err err = { 0 };
	struct buf ptr = BUF_INIT, want = BUF_INIT, have = BUF_INIT;
	int64_t at;
	int ok = 0;

	json_doc_init(&t);
	obj_str(d, pre, "pointer", &ptr);
	if (jcs_canon(d, (uint32_t)obj_get(d, pre, "value"), &want, &err) < 0)
		BUG("a checked precondition does not canonicalise");
	if (json_parse(&t, body->p != NULL ? body->p : "", body->len,
	    &err) < 0)
		buf_adds(why, "the target is no longer JSON");
	else if ((at = jsonptr_get(&t, 0, ptr.p, ptr.len)) < 0)
		buf_addf(why, "the target has nothing at %s", ptr.p);
	else if (jcs_canon(&t, (uint32_t)at, &have, &err) < 0 ||
	    have.len != want.len || memcmp(have.p, want.p, want.len) != 0) {
		buf_addf(why, "the target changed since it was planned: %s "
		    "is no longer ", ptr.p);
		buf_add(why, want.p, want.len < 256 ? want.len : 256);
		if (want.len > 256)
			buf_adds(why, "...");
	} else
		ok = 1;
	json_doc_release(&t);
	buf_release(&ptr);
	buf_release(&want);
	buf_release(&have);
	return ok;
}

/* The rollback's outcome, into the failed event: not run when the
   failed action surely changed nothing. */
static void
run_rollback(struct apply *a, const struct action *act,
    const struct outcome *failed, int64_t rb, struct buf *d)
{
	const struct executor *x = executor_of(act->d, rb);
	struct action r = *act;
	struct outcome o;
	struct buf why = BUF_INIT;
	int not_allowed;

	outcome_init(&o);
	r.ex = (uint32_t)rb;
	buf_adds(d, ",\"rollback\":{");
	if (x == NULL) {
		buf_adds(d, "\"status\":\"failed\",\"error\":\"the rollback "
		    "has no known executor type\"}");
		return;
	}
	if (!x->uses_cred) {
		r.secret = NULL;
		r.cred = NULL;
	}
	buf_adds(d, "\"executor\":");
	buf_add_json_str(d, x->type, strlen(x->type));
	if (failed->untouched) {
		/* it would put back what is there, or overwrite what
		   changed since: the refusal may be exactly that */
		buf_adds(d, ",\"status\":\"not-run\",\"detail\":\"the action "
		    "was refused and changed nothing\"");
	} else if (x->check(&a->conf, &r, &why, &not_allowed) < 0) {
		buf_adds(d, ",\"status\":\"failed\",\"error\":");
		add_text(d, why.p, why.len, 4096);
	} else {
		x->run(&a->conf, &r, &o);
		redact(&o.result, act->secret, 0);
		redact(&o.error, act->secret, 0);
		buf_addf(d, ",\"status\":\"%s\"", o.ok ? "succeeded" :
		    "failed");
		if (o.result.len > 0) {
			buf_adds(d, ",\"result\":");
			buf_add(d, o.result.p, o.result.len);
		}
		if (!o.ok) {
			buf_adds(d, ",\"error\":");
			add_text(d, o.error.p != NULL ? o.error.p : "",
			    o.error.len, 4096);
		}
	}
	buf_addc(d, '}');
	outcome_release(&o);
	buf_release(&why);
}

/* Locks mu when workers run. */
static void
lock(struct apply *a)
{
	if (a->jobs > 1)
		pthread_mutex_lock(&a->mu);
}

static void
unlock(struct apply *a)
{
	if (a->jobs > 1)
		pthread_mutex_unlock(&a->mu);
}

/* Are all the actions job j must come after done (in a dry run: would
   they have been)?  The name of one that is not, else NULL.  Under mu. */
static const char *
after_missing(struct apply *a, const struct job *j)
{
	struct wal_entry *e;
	size_t i;

	for (i = 0; i < j->nafter; i++) {
		e = wal_get(&a->wal, j->after[i], 0);
		if (e == NULL || !(e->done || (a->dry_run && e->dry)))
			return j->after[i];
	}
	return NULL;
}

/* Carries out one checked approval: credential, stale check, dry run or
   started / run / rollback / result. */
static void
run_job(struct apply *a, struct job *j)
{
	struct event ev;
	struct tend_err err = { 0 };
	struct cause c;
	struct action act;
	struct secret sec = { NULL, 0 };
	struct outcome o;
	struct digests ds;
	struct buf b = BUF_INIT, d = BUF_INIT, sd = BUF_INIT, idem = BUF_INIT;
	const struct executor *x;
	const struct cred_def *cred = NULL;
	const char *miss;
	int64_t action, ex, rb, t0, pre;
	int r, need_cred, reads;

	event_init(&ev);
	outcome_init(&o);
	memset(&c, 0, sizeof(c));
	if (event_parse(&ev, j->line, j->len, &err) < 0 ||
	    action_toks(&ev, &action, &ex) < 0 ||
	    (x = executor_of(&ev.doc, ex)) == NULL)
		BUG("a job that was checked does not parse");
	cause_of(&ev, &c);
	memset(&act, 0, sizeof(act));
	act.d = &ev.doc;
	act.ex = (uint32_t)ex;
	act.action_id = j->action_id;
	if (obj_str(&ev.doc, (uint32_t)action, "idempotency_key", &idem) < 0)
		buf_adds(&idem, j->action_id);
	act.idem = idem.p;
	if (x->uses_cred && obj_str(&ev.doc, (uint32_t)action, "credential",
	    &b) == 0)
		cred = creds_find(&a->creds, b.p);
	act.cred = cred;

	lock(a);
	miss = after_missing(a, j);
	if (miss != NULL) {
		buf_reset(&b);
		buf_addf(&b, "it comes after action %s, which has not "
		    "succeeded", miss);
		skip(a, &c, j->action_id, x->type, "dependency", b.p, NULL,
		    0);
	}
	unlock(a);
	if (miss != NULL)
		goto out;

	pre = obj_get(&ev.doc, (uint32_t)action, "precondition");
	reads = (obj_str(&ev.doc, (uint32_t)action, "state_digest", &sd) ==
	    0 || pre >= 0) && x->current != NULL;
	/* a dry run fetches a credential only to read the target */
	need_cred = cred != NULL && (!a->dry_run || reads);
	if (need_cred) {
		if (cred_fetch(cred, &sec, &err) < 0) {
			data_start(&d, j->action_id, x->type);
			buf_adds(&d, ",\"error\":");
			add_text(&d, err.msg, strlen(err.msg), 4096);
			buf_adds(&d, ",\"retryable\":true}");
			lock(a);
			warnx("%s: %s", j->action_id, err.msg);
			cli_fail(&a->cli, TEND_EXIT_SYSTEM);
			emit(a, "tend.action.failed", &c, d.p, d.len);
			unlock(a);
			goto out;
		}
		act.secret = &sec;
	}

	if (reads) {
		buf_reset(&b);
		memset(&ds, 0, sizeof(ds));
		r = x->current(&a->conf, &act, &ds, &b);
		buf_reset(&d);
		if (r == 0)
			buf_adds(&d, "the target no longer exists");
		else if (r == 1 && pre >= 0)
			r = pointer_holds(&ev.doc, (uint32_t)pre, &ds.body,
			    &d) ? 1 : 0;
		else if (r == 1 && !digests_match(&ds, sd.p)) {
			buf_addf(&d, "the target changed since it was "
			    "planned against %s: it is now ", sd.p);
			digest_add(&d, ds.d[0]);
			r = 0;
		}
		buf_release(&ds.body);
		if (r == 0) {
			lock(a);
			skip(a, &c, j->action_id, x->type, "stale", d.p,
			    NULL, 0);
			unlock(a);
			goto out;
		}
		if (r < 0) {
			redact(&b, act.secret, 0);
			buf_reset(&d);
			data_start(&d, j->action_id, x->type);
			buf_adds(&d, ",\"error\":");
			buf_reset(&sd);
			buf_addf(&sd, "cannot read the target to check it: %s",
			    b.p != NULL ? b.p : "");
			add_text(&d, sd.p, sd.len, 4096);
			buf_adds(&d, ",\"retryable\":true}");
			lock(a);
			warnx("%s: %s", j->action_id, sd.p);
			cli_fail(&a->cli, TEND_EXIT_SYSTEM);
			emit(a, "tend.action.failed", &c, d.p, d.len);
			unlock(a);
			goto out;
		}
	}

	if (a->dry_run) {
		buf_reset(&b);
		x->describe(&a->conf, &act, &b);
		lock(a);
		skip(a, &c, j->action_id, x->type, "dry-run", NULL, b.p,
		    b.len);
		wal_get(&a->wal, j->action_id, 1)->dry = 1;
		unlock(a);
		goto out;
	}

	/* write-ahead: started is durable before anything is done */
	buf_reset(&d);
	data_start(&d, j->action_id, x->type);
	buf_addf(&d, ",\"attempt\":%d,\"idempotency_key\":", j->attempt);
	buf_add_json_str(&d, idem.p, idem.len);
	if (j->interrupted)
		buf_adds(&d, ",\"interrupted\":true");
	buf_addc(&d, '}');
	lock(a);
	r = a->stop ? -1 : emit(a, "tend.action.started", &c, d.p, d.len);
	if (r == 0)
		r = make_durable(a);
	unlock(a);
	if (r < 0)
		goto out;

	t0 = apply_mono_ms();
	x->run(&a->conf, &act, &o);
	redact(&o.result, act.secret, 0);
	redact(&o.error, act.secret, 0);
	buf_reset(&d);
	data_start(&d, j->action_id, x->type);
	buf_addf(&d, ",\"attempt\":%d", j->attempt);
	if (!o.ok) {
		buf_adds(&d, ",\"error\":");
		add_text(&d, o.error.p != NULL ? o.error.p : "", o.error.len,
		    4096);
		if (o.retryable >= 0)
			buf_addf(&d, ",\"retryable\":%s", o.retryable ?
			    "true" : "false");
	}
	if (o.result.len > 0) {
		buf_adds(&d, ",\"result\":");
		buf_add(&d, o.result.p, o.result.len);
	}
	if (!o.ok && (rb = json_obj_get(&ev.doc, (uint32_t)action,
	    "rollback")) >= 0 && ev.doc.tok[rb].type == JSON_OBJECT)
		run_rollback(a, &act, &o, rb, &d);
	if (a->timings)
		buf_addf(&d, ",\"duration_ms\":%lld",
		    (long long)(apply_mono_ms() - t0));
	buf_addc(&d, '}');
	/* the last line of defence: no secret byte leaves in an event */
	redact(&d, act.secret, 0);
	lock(a);
	if (!o.ok) {
		warnx("%s: %s", j->action_id, o.error.p != NULL ? o.error.p :
		    "failed");
		cli_fail(&a->cli, TEND_EXIT_SYSTEM);
	}
	emit(a, o.ok ? "tend.action.succeeded" : "tend.action.failed", &c,
	    d.p, d.len);
	{
		struct wal_entry *e = wal_get(&a->wal, j->action_id, 1);

		if (o.ok)
			e->done = 1;
		else
			e->failed = 1;
		e->open = 0;
	}
	/* the result durable too: fewer actions look interrupted after a
	   crash */
	if (a->cli.log != NULL)
		make_durable(a);
	else if (a->cli.out.prompt)
		ndjson_writer_flush(&a->cli.out);
	unlock(a);
out:
	secret_wipe(&sec);
	outcome_release(&o);
	cause_release(&c);
	event_release(&ev);
	buf_release(&b);
	buf_release(&d);
	buf_release(&sd);
	buf_release(&idem);
}

/* ------------------------------------------------------------------ */
/* the queue: parallel across targets, never two on one target at once,
   in input order on each target */

static int
shares(const struct job *x, const struct job *y)
{
	size_t i, k;

	for (i = 0; i < x->ntargets; i++)
		for (k = 0; k < y->ntargets; k++)
			if (strcmp(x->targets[i], y->targets[k]) == 0)
				return 1;
	for (i = 0; i < x->nafter; i++)
		if (strcmp(x->after[i], y->action_id) == 0)
			return 1;
	return 0;
}

/* The first queued job that may run now.  Under mu. */
static struct job *
pick(struct apply *a)
{
	struct job *j, *k;

	for (j = a->head; j != NULL; j = j->next) {
		if (j->running)
			continue;
		for (k = a->head; k != j; k = k->next)
			if (shares(j, k))
				break;
		if (k != j)
			continue;
		/* running jobs after j in the queue cannot exist: a job
		   runs only when nothing before it shares with it */
		for (k = j->next; k != NULL; k = k->next)
			if (k->running && shares(j, k))
				break;
		if (k == NULL)
			return j;
	}
	return NULL;
}

static void
unqueue(struct apply *a, struct job *j)
{
	struct job **p;

	for (p = &a->head; *p != NULL; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			break;
		}
	a->tail = NULL;
	for (j = a->head; j != NULL; j = j->next)
		a->tail = j;
}

static void *
worker(void *arg)
{
	struct apply *a = arg;
	struct job *j;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		if (a->stop || (a->eof && a->head == NULL))
			break;
		if ((j = pick(a)) == NULL) {
			pthread_cond_wait(&a->cv, &a->mu);
			continue;
		}
		j->running = 1;
		a->pending--;
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
		run_job(a, j);
		pthread_mutex_lock(&a->mu);
		unqueue(a, j);
		job_free(j);
		pthread_cond_broadcast(&a->cv);
	}
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* Hands j to the workers (waiting while the queue is full), or runs it
   here without them. */
static void
submit(struct apply *a, struct job *j)
{
	if (a->jobs == 1) {
		run_job(a, j);
		job_free(j);
		return;
	}
	pthread_mutex_lock(&a->mu);
	while (!a->stop && a->pending >= (size_t)a->jobs * 4)
		pthread_cond_wait(&a->cv, &a->mu);
	if (a->stop) {
		pthread_mutex_unlock(&a->mu);
		job_free(j);
		return;
	}
	if (a->tail != NULL)
		a->tail->next = j;
	else
		a->head = j;
	a->tail = j;
	a->pending++;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

/* ------------------------------------------------------------------ */
/* reading the decisions */

static char **
strings_of(const struct json_doc *d, int64_t arr, size_t *n)
{
	struct buf b = BUF_INIT;
	char **v;
	uint32_t i;

	*n = 0;
	if (arr < 0 || d->tok[arr].type != JSON_ARRAY)
		return NULL;
	v = xcalloc(d->tok[arr].size + 1, sizeof(*v));
	for (i = (uint32_t)arr + 1; i < d->tok[arr].end; i = d->tok[i].end) {
		if (d->tok[i].type != JSON_STRING)
			continue;
		buf_reset(&b);
		json_str_decode(d, i, &b);
		v[(*n)++] = xstrdup(b.p != NULL ? b.p : "");
	}
	buf_release(&b);
	return v;
}

/* An interrupted action as an escalation, for a human to look at. */
static void
escalate_interrupted(struct apply *a, const struct event *ev,
    const struct cause *c, const char *action_id, const char *why)
{
	const struct json_doc *d = &ev->doc;
	struct buf data = BUF_INIT, pd = BUF_INIT;
	int64_t action = json_obj_get(d, (uint32_t)ev->data, "action");
	const char *raw;
	size_t len;

	data_start(&data, action_id, NULL);
	buf_adds(&data, ",\"reasons\":[");
	add_text(&data, why, strlen(why), 4096);
	buf_adds(&data, "],\"policy_digest\":");
	obj_str(d, (uint32_t)ev->data, "policy_digest", &pd);
	buf_add_json_str(&data, pd.p, pd.len);
	buf_adds(&data, ",\"notified\":[],\"action\":");
	raw = json_raw(d, (uint32_t)action, &len);
	buf_add(&data, raw, len);
	buf_addc(&data, '}');
	emit(a, "tend.action.escalated", c, data.p, data.len);
	buf_release(&data);
	buf_release(&pd);
}

/*
 * One tend.action.approved: every check that needs no I/O, then a job.
 * Returns -1 when the run must stop.
 */
static int
approval(struct apply *a, struct event *ev, const struct cause *c,
    const char *action_id)
{
	const struct json_doc *d = &ev->doc;
	uint32_t data = (uint32_t)ev->data;
	struct approval ap;
	struct tend_err err = { 0 };
	struct buf b = BUF_INIT, why = BUF_INIT;
	const struct executor *x;
	struct action act;
	struct wal_entry *e;
	struct job *j = NULL;
	int64_t action, ex, t;
	int not_allowed, rc = 0, attempt = 1, interrupted = 0, run = 0;
	char when[64];

#define SKIP(exe, reason, detail) do { \
	lock(a); \
	rc = skip(a, c, action_id, (exe), (reason), (detail), NULL, 0); \
	unlock(a); \
	goto out; \
} while (0)
	t = json_obj_get(d, data, "unsigned");
	if ((t >= 0 && d->tok[t].type == JSON_TRUE) ||
	    json_obj_get(d, data, "signature") < 0 ||
	    json_obj_get(d, data, "key_id") < 0)
		SKIP(NULL, "unsigned", "the approval carries no signature");
	/* the signature first, the clock after: a forged approval is
	   reported as forged even when it is also old */
	if (approval_verify(d, data, a->keys, a->nkeys, INT64_MIN, &ap,
	    &err) < 0)
		SKIP(NULL, "bad-signature", err.msg);
	if (ap.expires_ns <= now_ns(a)) {
		rfc3339_format(ap.expires_ns, when, sizeof(when));
		buf_addf(&why, "the approval expired at %s", when);
		SKIP(NULL, "expired", why.p);
	}
	if (ap.shadow)
		SKIP(NULL, "shadow", "approved in shadow mode (burn-in): "
		    "logged, never carried out");
	if (action_toks(ev, &action, &ex) < 0 ||
	    (x = executor_of(d, ex)) == NULL)
		SKIP(NULL, "invalid", "the action has no executor of a known "
		    "type (http, exec, file)");
	memset(&act, 0, sizeof(act));
	act.d = d;
	act.ex = (uint32_t)ex;
	act.action_id = action_id;
	act.idem = action_id;
	if (x->uses_cred && (t = json_obj_get(d, (uint32_t)action,
	    "credential")) >= 0) {
		if (obj_str(d, (uint32_t)action, "credential", &b) < 0)
			SKIP(x->type, "invalid", "credential: not a string");
		if ((act.cred = creds_find(&a->creds, b.p)) == NULL) {
			buf_addf(&why, "credential '%s' is not in %s", b.p,
			    a->have_creds ? "the credentials file" :
			    "--credentials (none given)");
			SKIP(x->type, "not-allowed", why.p);
		}
	}
	if (x->check(&a->conf, &act, &why, &not_allowed) < 0)
		SKIP(x->type, not_allowed ? "not-allowed" : "invalid", why.p);
	t = json_obj_get(d, (uint32_t)action, "state_digest");
	if (t >= 0 && (obj_str(d, (uint32_t)action, "state_digest", &b) < 0 ||
	    !digest_ok(b.p)))
		SKIP(x->type, "invalid", "state_digest: not sha256:HEX");
	t = json_obj_get(d, (uint32_t)action, "precondition");
	if (t >= 0) {
		buf_reset(&why);
		if (precondition_bad(d, t, &why))
			SKIP(x->type, "invalid", why.p);
		if (json_obj_get(d, (uint32_t)action, "state_digest") >= 0)
			SKIP(x->type, "invalid", "both a state_digest and a "
			    "precondition");
		if (x->current == NULL)
			SKIP(x->type, "invalid", "precondition: an action of "
			    "this executor cannot read its target");
	}
	t = json_obj_get(d, (uint32_t)action, "rollback");
	if (t >= 0 && d->tok[t].type != JSON_NULL) {
		const struct executor *rx = d->tok[t].type == JSON_OBJECT ?
		    executor_of(d, t) : NULL;
		struct action r = act;

		if (rx == NULL)
			SKIP(x->type, "invalid", "rollback: not an executor "
			    "object");
		/* what could not be undone as planned is not started */
		r.ex = (uint32_t)t;
		if (!rx->uses_cred)
			r.cred = NULL;
		buf_reset(&b);
		if (rx->check(&a->conf, &r, &b, &not_allowed) < 0) {
			buf_reset(&why);
			buf_addf(&why, "rollback: %s", b.p);
			SKIP(x->type, not_allowed ? "not-allowed" : "invalid",
			    why.p);
		}
	}

	lock(a);
	e = wal_get(&a->wal, action_id, 1);
	if (e->taken) {
		rc = skip(a, c, action_id, x->type, "already-done",
		    "the same action is twice in the input", NULL, 0);
	} else if (e->done) {
		rc = skip(a, c, action_id, x->type, "already-done",
		    "it succeeded in an earlier run", NULL, 0);
	} else if (e->failed) {
		rc = skip(a, c, action_id, x->type, "already-done",
		    "it failed in an earlier run: carrying it out again "
		    "takes a new approval", NULL, 0);
	} else if (e->open && !a->dry_run) {
		buf_reset(&why);
		buf_addf(&why, "interrupted: attempt %d started in an earlier "
		    "run and has no result", e->attempt > 0 ? e->attempt : 1);
		warnx("%s: %s", action_id, why.p);
		if (a->on_interrupted == ON_INT_RETRY) {
			attempt = e->attempt + 1;
			interrupted = 1;
			e->open = 0;
			run = 1;
		} else {
			rc = skip(a, c, action_id, x->type, "interrupted",
			    why.p, NULL, 0);
			if (rc == 0 && a->on_interrupted == ON_INT_ESCALATE)
				escalate_interrupted(a, ev, c, action_id,
				    why.p);
		}
	} else {
		attempt = e->attempt + 1;
		run = 1;
	}
	e->taken = 1;
	if (run)
		j = xcalloc(1, sizeof(*j));
	unlock(a);
	if (j == NULL)
		goto out;
	j->line = xstrndup(ev->line, ev->len);
	j->len = ev->len;
	j->action_id = xstrdup(action_id);
	j->targets = strings_of(d, json_obj_get(d, (uint32_t)action,
	    "targets"), &j->ntargets);
	j->after = strings_of(d, json_obj_get(d, (uint32_t)action, "after"),
	    &j->nafter);
	if (j->ntargets == 0 && c->subject != NULL) {
		j->targets = xcalloc(2, sizeof(*j->targets));
		j->targets[j->ntargets++] = xstrdup(c->subject);
	}
	j->attempt = attempt;
	j->interrupted = interrupted;
	submit(a, j);
	rc = a->stop ? -1 : 0;
out:
#undef SKIP
	buf_release(&b);
	buf_release(&why);
	return rc;
}

/* One input event.  -1 when the run must stop. */
static int
decision(struct apply *a, struct event *ev, const char *line, size_t len,
    const char *name, size_t lineno)
{
	static const char *const others[] = {
		"tend.action.denied", "tend.action.deferred",
		"tend.action.escalated", "tend.action.proposed",
	};
	struct buf id = BUF_INIT, t = BUF_INIT, why = BUF_INIT;
	struct cause c;
	size_t i;
	int rc = 0, approved;

	approved = event_attr_eq(ev, ev->type, "tend.action.approved");
	for (i = 0; i < ARRAY_SIZE(others) && !approved; i++)
		if (event_attr_eq(ev, ev->type, others[i]))
			break;
	if (!approved && i == ARRAY_SIZE(others)) {
		/* not a decision: passed on as it is */
		lock(a);
		rc = cli_emit(&a->cli, line, len);
		if (rc < 0)
			a->stop = 1;
		unlock(a);
		return rc;
	}
	if (ev->data < 0 || obj_str(&ev->doc, (uint32_t)ev->data,
	    "action_id", &id) < 0 || id.len == 0) {
		lock(a);
		rc = cli_bad_input(&a->cli, name, lineno, line, len,
		    "a decision without a data.action_id");
		unlock(a);
		buf_release(&id);
		return rc;
	}
	cause_of(ev, &c);
	if (approved)
		rc = approval(a, ev, &c, id.p);
	else {
		event_attr(ev, ev->type, &t);
		buf_addf(&why, "the decision is %s, not an approval",
		    t.p + strlen("tend.action."));
		lock(a);
		rc = skip(a, &c, id.p, NULL, "not-approved", why.p, NULL, 0);
		unlock(a);
	}
	cause_release(&c);
	buf_release(&id);
	buf_release(&t);
	buf_release(&why);
	return rc;
}

/* Returns 0 to go on, -1 to stop. */
static int
apply_stream(struct apply *a, int fd, const char *name)
{
	struct ndjson_reader r;
	struct event ev;
	struct tend_err err = { 0 };
	char *line;
	size_t len;
	int rc = 0, n;

	ndjson_reader_init(&r, fd, name);
	r.max_line = a->cli.max_line;
	if (a->jobs == 1)
		r.flush_before_read = &a->cli.out;
	event_init(&ev);
	for (;;) {
		if (a->stop) {
			rc = -1;
			break;
		}
		n = ndjson_reader_next(&r, &line, &len, &err);
		if (n == 0)
			break;
		if (n < 0 && err.code == TEND_EXIT_SYSTEM) {
			warnx("%s", err.msg);
			lock(a);
			cli_fail(&a->cli, TEND_EXIT_SYSTEM);
			unlock(a);
			rc = -1;
			break;
		}
		if (n > 0 && event_parse(&ev, line, len, &err) == 0) {
			if (decision(a, &ev, line, len, name, r.lineno) < 0) {
				rc = -1;
				break;
			}
			if (a->jobs > 1 && a->cli.out.prompt) {
				lock(a);
				ndjson_writer_flush(&a->cli.out);
				unlock(a);
			}
			continue;
		}
		if (n > 0 && len == 0)
			tend_err_set(&err, TEND_EXIT_INPUT, "empty line");
		lock(a);
		n = cli_bad_input(&a->cli, name, r.lineno, n > 0 ? line : "",
		    n > 0 ? len : 0, err.msg);
		unlock(a);
		if (n < 0) {
			rc = -1;
			break;
		}
	}
	event_release(&ev);
	ndjson_reader_release(&r);
	return rc;
}

/* ------------------------------------------------------------------ */

static void
load_key(struct apply *a, const char *path)
{
	struct tend_err err = { 0 };

	if (a->nkeys == KEYS_MAX)
		errx(TEND_EXIT_USAGE, "more than %d --verify-key", KEYS_MAX);
	if (sign_key_load_public(&a->keys[a->nkeys], path, &err) < 0)
		errx(err.code, "%s", err.msg);
	a->nkeys++;
}

/* Reads the log's account of earlier runs, and reports what it finds. */
static void
load_wal(struct apply *a)
{
	struct tend_err err = { 0 };
	size_t i, open = 0;

	if (wal_lock(&a->wal, a->cli.log_path, &err) < 0 ||
	    wal_load(&a->wal, a->cli.log_path, &err) < 0)
		errx(err.code, "%s", err.msg);
	for (i = 0; i < a->wal.cap; i++)
		if (a->wal.slot[i] != NULL && a->wal.slot[i]->open)
			open++;
	if (open > 0)
		warnx("%s: %zu action%s started in an earlier run without a "
		    "result (interrupted); --on-interrupted %s",
		    a->cli.log_path, open, open == 1 ? "" : "s",
		    a->on_interrupted == ON_INT_RETRY ? "retry" :
		    a->on_interrupted == ON_INT_ESCALATE ? "escalate" : "skip");
}

int
main(int argc, char *argv[])
{
	static struct apply a;
	struct tend_err err = { 0 };
	const char *config = NULL, *credentials = NULL, *errstr;
	pthread_t th[JOBS_MAX];
	int ch, i, fd, nth = 0;

	cli_init(&a.cli, "tend-apply", usage_text);
	conf_defaults(&a.conf);
	wal_init(&a.wal);
	a.jobs = 1;
	while ((ch = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS "n",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			a.dry_run = 1;
			break;
		case OPT_CONFIG:
			config = optarg;
			break;
		case OPT_CREDENTIALS:
			credentials = optarg;
			break;
		case OPT_JOBS:
			a.jobs = (int)strtonum(optarg, 1, JOBS_MAX, &errstr);
			if (errstr != NULL) {
				warnx("--jobs %s: %s", optarg, errstr);
				exit(TEND_EXIT_USAGE);
			}
			break;
		case OPT_ON_INTERRUPTED:
			if (strcmp(optarg, "skip") == 0)
				a.on_interrupted = ON_INT_SKIP;
			else if (strcmp(optarg, "retry") == 0)
				a.on_interrupted = ON_INT_RETRY;
			else if (strcmp(optarg, "escalate") == 0)
				a.on_interrupted = ON_INT_ESCALATE;
			else {
				warnx("--on-interrupted %s: not retry, skip or "
				    "escalate", optarg);
				exit(TEND_EXIT_USAGE);
			}
			break;
		case OPT_TIMINGS:
			a.timings = 1;
			break;
		case OPT_VERIFY_KEY:
			load_key(&a, optarg);
			break;
		default:
			if (!cli_common_opt(&a.cli, ch, optarg))
				cli_usage_error(&a.cli);
		}
	}
	argc -= optind;
	argv += optind;
	if (a.nkeys == 0) {
		warnx("--verify-key is required: apply carries out only "
		    "signed approvals");
		cli_usage_error(&a.cli);
	}
	a.fixed_clock = a.cli.now_arg != NULL ||
	    (getenv("TEND_NOW") != NULL && *getenv("TEND_NOW") != '\0');
	/* started must be on disk before an action runs */
	a.cli.log_opts.sync = EVLOG_SYNC_ALWAYS;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		errx(TEND_EXIT_SYSTEM, "cannot initialise libcurl");
	if ((a.schemas = schema_set_load(&err)) == NULL)
		errx(TEND_EXIT_SYSTEM, "built-in schemas: %s", err.msg);
	if (config != NULL && conf_load(&a.conf, config, a.schemas,
	    &err) < 0)
		errx(err.code, "%s", err.msg);
	if (credentials != NULL) {
		if (creds_load(&a.creds, credentials, a.schemas, &err) < 0)
			errx(err.code, "%s", err.msg);
		a.have_creds = 1;
	}
	cli_start(&a.cli);
	if (a.cli.log_path != NULL)
		load_wal(&a);

	if (a.jobs > 1) {
		pthread_mutex_init(&a.mu, NULL);
		pthread_cond_init(&a.cv, NULL);
		for (nth = 0; nth < a.jobs; nth++)
			if (pthread_create(&th[nth], NULL, worker, &a) != 0)
				errx(TEND_EXIT_SYSTEM, "cannot start a worker "
				    "thread");
	}
	if (argc == 0) {
		apply_stream(&a, STDIN_FILENO, "<stdin>");
	} else {
		for (i = 0; i < argc; i++) {
			int stop;

			if (strcmp(argv[i], "-") == 0) {
				stop = apply_stream(&a, STDIN_FILENO,
				    "<stdin>");
			} else if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC)) <
			    0) {
				warn("cannot open '%s'", argv[i]);
				lock(&a);
				cli_fail(&a.cli, TEND_EXIT_SYSTEM);
				unlock(&a);
				break;
			} else {
				stop = apply_stream(&a, fd, argv[i]);
				close(fd);
			}
			if (stop < 0)
				break;
		}
	}
	if (a.jobs > 1) {
		pthread_mutex_lock(&a.mu);
		a.eof = 1;
		pthread_cond_broadcast(&a.cv);
		pthread_mutex_unlock(&a.mu);
		for (i = 0; i < nth; i++)
			pthread_join(th[i], NULL);
		while (a.head != NULL) {
			struct job *j = a.head;

			a.head = j->next;
			job_free(j);
		}
		pthread_mutex_destroy(&a.mu);
		pthread_cond_destroy(&a.cv);
	}
	schema_set_free(a.schemas);
	creds_release(&a.creds);
	conf_release(&a.conf);
	for (i = 0; i < (int)a.nkeys; i++)
		sign_key_wipe(&a.keys[i]);
	i = cli_finish(&a.cli);
	wal_release(&a.wal);
	curl_global_cleanup();
	return i;
}
