/*
 * tend-report: reads events (NDJSON on stdin or in FILE operands, or
 * event logs given as FILE) and writes a report for people: the timeline
 * of each run and resource, SLOs (MTTR, drift hours, CVE-to-patched lag,
 * cost per service, actions per outcome), each skill's burn-in record, a
 * policy what-if (the log's proposals decided again by tend-gate under
 * another policy), or all of them as one postmortem page.  Text, JSON or
 * a self-contained HTML page; nothing on stdout is an event.
 *
 * Fails with 2 on a usage error, 3 on a bad line (named FILE:LINE, or
 * FILE: seq N in a log), a damaged log or a policy that does not load,
 * 4 when a file cannot be read or tend-gate cannot be run.
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <unistd.h>

#include "event.h"
#include "evlog.h"
#include "ndjson.h"
#include "report.h"
#include "rfc3339.h"
#include "xmalloc.h"

static const char usage_text[] =
    "usage: %s timeline [-hkV] [--color auto|always|never]\n"
    "\t[--format text|json|html] [--max-line bytes] [--run id]\n"
    "\t[--since time] [--subject glob] [--until time] [file ...]\n"
    "       tend-report slo [-hkV] [--format text|json|html]\n"
    "\t[--max-line bytes] [--period day|week|month|all] [--since time]\n"
    "\t[--until time] [file ...]\n"
    "       tend-report burnin [-hkV] [--format text|json|html]\n"
    "\t[--max-line bytes] [--policy file] [--since time] [--until time]\n"
    "\t[file ...]\n"
    "       tend-report whatif [-hkV] --policy file [--exit-code]\n"
    "\t[--format text|json|html] [--gate program] [--max-line bytes]\n"
    "\t[--run id] [--since time] [--trust file] [--until time]\n"
    "\t[file ...]\n"
    "       tend-report postmortem [-hkV] [--gate program]\n"
    "\t[--max-line bytes] [--period day|week|month|all] [--policy file]\n"
    "\t[--since time] [--title text] [--trust file] [--until time]\n"
    "\t[file ...]\n";

enum {
	OPT_COLOR = CLI_OPT_FIRST_PROGRAM,
	OPT_EXIT_CODE,
	OPT_FORMAT,
	OPT_GATE,
	OPT_PERIOD,
	OPT_POLICY,
	OPT_RUN,
	OPT_SINCE,
	OPT_SUBJECT,
	OPT_TITLE,
	OPT_TRUST,
	OPT_UNTIL,
};

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "keep-going", no_argument, NULL, 'k' },
	{ "max-line", required_argument, NULL, CLI_OPT_MAX_LINE },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "exit-code", no_argument, NULL, OPT_EXIT_CODE },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "gate", required_argument, NULL, OPT_GATE },
	{ "period", required_argument, NULL, OPT_PERIOD },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "run", required_argument, NULL, OPT_RUN },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "subject", required_argument, NULL, OPT_SUBJECT },
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "trust", required_argument, NULL, OPT_TRUST },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ NULL, 0, NULL, 0 },
};

#define A(o)	(1u << ((o) - OPT_COLOR))

static const struct sub {
	const char *name;
	unsigned allowed;	/* options beyond -hkV --max-line */
	int	 (*run)(struct report *);
} subs[] = {
	{ "timeline", A(OPT_COLOR) | A(OPT_FORMAT) | A(OPT_RUN) |
	    A(OPT_SINCE) | A(OPT_SUBJECT) | A(OPT_UNTIL), timeline_run },
	{ "slo", A(OPT_FORMAT) | A(OPT_PERIOD) | A(OPT_SINCE) | A(OPT_UNTIL),
	    slo_run },
	{ "burnin", A(OPT_FORMAT) | A(OPT_POLICY) | A(OPT_SINCE) |
	    A(OPT_UNTIL), burnin_run },
	{ "whatif", A(OPT_EXIT_CODE) | A(OPT_FORMAT) | A(OPT_GATE) |
	    A(OPT_POLICY) | A(OPT_RUN) | A(OPT_SINCE) | A(OPT_TRUST) |
	    A(OPT_UNTIL), whatif_run },
	{ "postmortem", A(OPT_GATE) | A(OPT_PERIOD) | A(OPT_POLICY) |
	    A(OPT_SINCE) | A(OPT_TITLE) | A(OPT_TRUST) | A(OPT_UNTIL),
	    NULL },
};

static const char *const type_names[R_NTYPES] = {
	"tend.resource.observed", "tend.resource.state",
	"tend.resource.changed", "tend.drift.detected", "tend.diff.summary",
	"tend.action.proposed", "tend.action.approved", "tend.action.denied",
	"tend.action.deferred", "tend.action.escalated",
	"tend.action.started", "tend.action.succeeded", "tend.action.failed",
	"tend.action.skipped", "tend.log.checkpoint", "tend.error",
	"tend.incident.opened", "tend.incident.resolved", "",
};

/* ------------------------------------------------------------------ */
/* output */

void
report_flush(struct report *r, int force)
{
	if (r->out.len == 0 || (!force && r->out.len < (64u << 10)))
		return;
	if (!r->stop && ndjson_writer_raw(&r->cli.out, r->out.p,
	    r->out.len) < 0)
		r->stop = 1;
	buf_reset(&r->out);
}

int
in_range(const struct ropts *o, int64_t t)
{
	if (o->since == NO_TIME && o->until == NO_TIME)
		return 1;
	if (t == NO_TIME)
		return 0;
	return (o->since == NO_TIME || t >= o->since) &&
	    (o->until == NO_TIME || t < o->until);
}

/* ------------------------------------------------------------------ */
/* the store */

static size_t
arena_add(struct store *st, const char *s, size_t n)
{
	size_t off;

	if (n == 0)
		return 0;
	off = st->arena.len;
	buf_add(&st->arena, s, n);
	buf_addc(&st->arena, '\0');
	return off;
}

/* The decoded string member key of object obj, into the arena. */
static size_t
mstr(struct store *st, const struct json_doc *d, int64_t obj,
    const char *key, struct buf *tmp)
{
	int64_t t;

	if (obj < 0 || d->tok[obj].type != JSON_OBJECT ||
	    (t = json_obj_get(d, (uint32_t)obj, key)) < 0 ||
	    d->tok[t].type != JSON_STRING)
		return 0;
	buf_reset(tmp);
	json_str_decode(d, (uint32_t)t, tmp);
	return arena_add(st, tmp->p, tmp->len);
}

static size_t
attr_str(struct store *st, const struct event *ev, int64_t tok,
    struct buf *tmp)
{
	if (tok < 0 || ev->doc.tok[tok].type != JSON_STRING)
		return 0;
	buf_reset(tmp);
	json_str_decode(&ev->doc, (uint32_t)tok, tmp);
	return arena_add(st, tmp->p, tmp->len);
}

static int64_t
member(const struct json_doc *d, int64_t obj, const char *key)
{
	if (obj < 0 || d->tok[obj].type != JSON_OBJECT)
		return -1;
	return json_obj_get(d, (uint32_t)obj, key);
}

static int
mtrue(const struct json_doc *d, int64_t obj, const char *key)
{
	int64_t t = member(d, obj, key);

	return t >= 0 && d->tok[t].type == JSON_TRUE;
}

/* The strings of array arr joined with sep, into the arena. */
static size_t
joined(struct store *st, const struct json_doc *d, int64_t arr,
    const char *sep, struct buf *tmp)
{
	uint32_t i;

	if (arr < 0 || d->tok[arr].type != JSON_ARRAY)
		return 0;
	buf_reset(tmp);
	for (i = (uint32_t)arr + 1; i < d->tok[arr].end; i = d->tok[i].end) {
		if (d->tok[i].type != JSON_STRING)
			continue;
		if (tmp->len > 0)
			buf_adds(tmp, sep);
		json_str_decode(d, i, tmp);
	}
	return arena_add(st, tmp->p, tmp->len);
}

static size_t
raw(struct store *st, const struct json_doc *d, int64_t t)
{
	const char *p;
	size_t n;

	if (t < 0)
		return 0;
	p = json_raw(d, (uint32_t)t, &n);
	return arena_add(st, p, n);
}

static int
is_id_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

/*
 * Advisory ids named in a reason: words starting with a known prefix
 * and holding a digit (CVE-2024-1234, DSA-3029-1, GHSA-xxxx-...).
 */
static void
scan_vulns(const char *s, struct buf *out)
{
	static const char *const pfx[] = { "CVE-", "GHSA-", "DSA-", "DLA-",
	    "PYSEC-", "OSV-", "RUSTSEC-", "GO-", "USN-", "RHSA-" };
	size_t i, n, k;
	int digit;

	for (i = 0; s[i] != '\0'; i++) {
		if (i > 0 && is_id_char((unsigned char)s[i - 1]))
			continue;
		for (k = 0; k < ARRAY_SIZE(pfx); k++)
			if (strncmp(s + i, pfx[k], strlen(pfx[k])) == 0)
				break;
		if (k == ARRAY_SIZE(pfx))
			continue;
		for (n = 0, digit = 0; is_id_char((unsigned char)s[i + n]);
		    n++)
			digit |= s[i + n] >= '0' && s[i + n] <= '9';
		while (n > 0 && (s[i + n - 1] == '.' || s[i + n - 1] == '-'))
			n--;
		if (!digit)
			continue;
		if (out->len > 0)
			buf_addc(out, ' ');
		buf_add(out, s + i, n);
		i += n - 1;
	}
}

static double
cost_of(const struct json_doc *d, int64_t data)
{
	static const char *const where[] = { "status", "spec" };
	int64_t t;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(where); i++) {
		t = member(d, member(d, data, where[i]), "cost_per_day");
		if (t >= 0 && d->tok[t].type == JSON_NUMBER)
			return json_num(d, (uint32_t)t);
	}
	return NAN;
}

static void
extract(struct store *st, const struct event *ev, const char *line,
    size_t len, struct rev *e)
{
	const struct json_doc *d = &ev->doc;
	struct buf tmp = BUF_INIT;
	int64_t data = ev->data, act, t;
	size_t i;

	if (data >= 0 && d->tok[data].type != JSON_OBJECT)
		data = -1;
	e->type = R_OTHER;
	for (i = 0; i < R_OTHER; i++)
		if (event_attr_eq(ev, ev->type, type_names[i])) {
			e->type = (uint8_t)i;
			break;
		}
	e->time = ev->time >= 0 ? ev->time_ns : NO_TIME;
	if (ev->seq >= 0 && json_int(d, (uint32_t)ev->seq, &t) == 0 && t > 0)
		e->seq = (uint64_t)t;
	e->id = attr_str(st, ev, ev->id, &tmp);
	e->subject = attr_str(st, ev, ev->subject, &tmp);
	e->runid = attr_str(st, ev, ev->runid, &tmp);
	e->key = mstr(st, d, data, "key", &tmp);
	if (e->key == 0)
		e->key = e->subject;
	e->service = mstr(st, d, data, "service", &tmp);
	e->cost = NAN;
	switch (e->type) {
	case R_OBSERVED:
		e->what = mstr(st, d, data, "kind", &tmp);
		break;
	case R_STATE:
		e->what = mstr(st, d, data, "digest", &tmp);
		e->cost = cost_of(d, data);
		e->has_cost = !isnan(e->cost);
		break;
	case R_CHANGED:
		e->what = mstr(st, d, data, "change", &tmp);
		e->text = joined(st, d, member(d, data, "paths"), ", ", &tmp);
		break;
	case R_DRIFT:
		e->what = mstr(st, d, data, "drift", &tmp);
		e->risk = mstr(st, d, data, "severity", &tmp);
		e->text = joined(st, d, member(d, data, "paths"), ", ", &tmp);
		break;
	case R_PROPOSED:
		e->action = mstr(st, d, data, "action_id", &tmp);
		e->skill = mstr(st, d, data, "skill", &tmp);
		e->domain = mstr(st, d, data, "domain", &tmp);
		e->risk = mstr(st, d, data, "risk", &tmp);
		e->mode = mstr(st, d, data, "mode", &tmp);
		e->text = mstr(st, d, data, "reason", &tmp);
		e->targets = joined(st, d, member(d, data, "targets"), "\n",
		    &tmp);
		if (e->subject == 0 && (t = member(d, data, "targets")) >= 0 &&
		    d->tok[t].type == JSON_ARRAY && d->tok[t].size > 0 &&
		    d->tok[t + 1].type == JSON_STRING) {
			buf_reset(&tmp);
			json_str_decode(d, (uint32_t)t + 1, &tmp);
			e->key = arena_add(st, tmp.p, tmp.len);
		}
		e->vulns = joined(st, d, member(d, data, "advisories"), " ",
		    &tmp);
		if (e->vulns == 0 && e->text != 0) {
			buf_reset(&tmp);
			scan_vulns(S(st, e->text), &tmp);
			e->vulns = arena_add(st, tmp.p, tmp.len);
		}
		break;
	case R_APPROVED:
	case R_DENIED:
	case R_DEFERRED:
	case R_ESCALATED:
		act = member(d, data, "action");
		e->action = mstr(st, d, data, "action_id", &tmp);
		e->skill = mstr(st, d, act, "skill", &tmp);
		e->domain = mstr(st, d, act, "domain", &tmp);
		e->risk = mstr(st, d, act, "risk", &tmp);
		if (e->service == 0)
			e->service = mstr(st, d, act, "service", &tmp);
		e->shadow = (uint8_t)mtrue(d, data, "shadow");
		e->human = member(d, data, "approved_by") >= 0;
		if (e->human)
			e->what = mstr(st, d, data, "approved_by", &tmp);
		e->reasons = raw(st, d, member(d, data, "reasons"));
		e->text = joined(st, d, member(d, data, "reasons"), "; ",
		    &tmp);
		if (e->type == R_DEFERRED)
			e->what = mstr(st, d, data, "not_before", &tmp);
		else if (e->type == R_ESCALATED)
			e->what = joined(st, d, member(d, data, "notified"),
			    ", ", &tmp);
		if (e->key == e->subject && e->subject == 0 && act >= 0 &&
		    (t = member(d, act, "targets")) >= 0 &&
		    d->tok[t].type == JSON_ARRAY && d->tok[t].size > 0 &&
		    d->tok[t + 1].type == JSON_STRING) {
			buf_reset(&tmp);
			json_str_decode(d, (uint32_t)t + 1, &tmp);
			e->key = arena_add(st, tmp.p, tmp.len);
		}
		break;
	case R_STARTED:
	case R_SUCCEEDED:
	case R_FAILED:
	case R_SKIPPED:
		e->action = mstr(st, d, data, "action_id", &tmp);
		e->dry_run = (uint8_t)mtrue(d, data, "dry_run");
		e->text = mstr(st, d, data, "reason", &tmp);
		e->num = -1;
		t = member(d, data, e->type == R_STARTED ? "attempt" :
		    "duration_ms");
		if (t >= 0 && d->tok[t].type == JSON_NUMBER)
			e->num = (int64_t)json_num(d, (uint32_t)t);
		if (e->type == R_SUCCEEDED || e->type == R_FAILED) {
			t = member(d, data, "http_status");
			if (t < 0)
				t = member(d, data, "exit_status");
			if (t >= 0)
				e->what = raw(st, d, t);
		}
		break;
	case R_ERROR:
		e->text = mstr(st, d, data, "message", &tmp);
		break;
	case R_INC_OPENED:
	case R_INC_RESOLVED:
		e->action = mstr(st, d, data, "incident_id", &tmp);
		e->text = mstr(st, d, data, e->type == R_INC_OPENED ? "title" :
		    "resolution", &tmp);
		e->risk = mstr(st, d, data, "severity", &tmp);
		if (e->key == 0 && e->action != 0) {
			buf_reset(&tmp);
			buf_addf(&tmp, "incident:%s", S(st, e->action));
			e->key = arena_add(st, tmp.p, tmp.len);
		}
		break;
	default:
		break;
	}
	if (st->keep_lines && (e->type == R_PROPOSED ||
	    e->type == R_APPROVED || e->type == R_STARTED))
		e->line = arena_add(st, line, len);
	buf_release(&tmp);
}

static void
store_add(struct report *r, const struct event *ev, const char *line,
    size_t len)
{
	struct store *st = &r->st;
	struct rev *e;
	int64_t t = ev->time >= 0 ? ev->time_ns : NO_TIME;

	if (!in_range(&r->o, t))
		return;
	if (st->n == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 1024;
		st->ev = xreallocarray(st->ev, st->cap, sizeof(*st->ev));
	}
	e = &st->ev[st->n];
	memset(e, 0, sizeof(*e));
	e->ord = st->n++;
	extract(st, ev, line, len, e);
	if (e->time != NO_TIME) {
		if (st->first == NO_TIME || e->time < st->first)
			st->first = e->time;
		if (st->last == NO_TIME || e->time > st->last)
			st->last = e->time;
	}
}

static const struct store *sort_st;

/* Where a type comes in a run: events of one time (a run under a fixed
   --now) are put in causal order, whatever order they were read in;
   events from a log keep the log's order (seq). */
static const uint8_t stage_rank[R_NTYPES] = {
	[R_OBSERVED] = 0, [R_STATE] = 1, [R_CHANGED] = 2, [R_DRIFT] = 2,
	[R_SUMMARY] = 3, [R_PROPOSED] = 4, [R_APPROVED] = 5,
	[R_DENIED] = 5, [R_DEFERRED] = 5, [R_ESCALATED] = 5,
	[R_STARTED] = 6, [R_SUCCEEDED] = 7, [R_FAILED] = 7, [R_SKIPPED] = 7,
	[R_CHECKPOINT] = 8, [R_ERROR] = 0, [R_INC_OPENED] = 0,
	[R_INC_RESOLVED] = 8, [R_OTHER] = 0,
};

static int
by_time(const void *a, const void *b)
{
	const struct rev *x = &sort_st->ev[*(const size_t *)a];
	const struct rev *y = &sort_st->ev[*(const size_t *)b];
	int64_t tx = x->time == NO_TIME ? INT64_MAX : x->time;
	int64_t ty = y->time == NO_TIME ? INT64_MAX : y->time;

	if (tx != ty)
		return tx < ty ? -1 : 1;
	/* in a log, its order is the order things happened in */
	if (x->seq > 0 && y->seq > 0)
		return x->seq < y->seq ? -1 : x->seq > y->seq;
	if (stage_rank[x->type] != stage_rank[y->type])
		return stage_rank[x->type] < stage_rank[y->type] ? -1 : 1;
	return x->ord < y->ord ? -1 : x->ord > y->ord;
}

size_t *
store_by_time(const struct store *st)
{
	size_t *ix, i;

	ix = xcalloc(st->n + 1, sizeof(*ix));
	for (i = 0; i < st->n; i++)
		ix[i] = i;
	sort_st = st;
	qsort(ix, st->n, sizeof(*ix), by_time);
	return ix;
}

/* ------------------------------------------------------------------ */
/* reading */

/* An event log starts with a zstd frame, skippable or not. */
static int
is_log(const unsigned char *p, size_t n)
{
	uint32_t m;

	if (n < 4)
		return 0;
	m = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
	return m == 0xFD2FB528U || (m & 0xFFFFFFF0U) == 0x184D2A50U;
}

static int
take(struct report *r, const char *line, size_t len, struct event *ev,
    const char *name, size_t lineno, const char *what)
{
	struct tend_err err = { 0 };

	if (len == 0)
		tend_err_set(&err, TEND_EXIT_INPUT, "empty line");
	else if (event_parse(ev, line, len, &err) == 0) {
		store_add(r, ev, line, len);
		return 0;
	}
	if (what != NULL)
		warnx("%s: %s %zu: %s", name, what, lineno, err.msg);
	else
		cli_warn_at(&r->cli, name, lineno, "%s", err.msg);
	r->cli.bad_input++;
	cli_fail(&r->cli, TEND_EXIT_INPUT);
	return r->cli.keep_going ? 0 : -1;
}

static int
read_log(struct report *r, const char *path)
{
	struct evlog_reader lr;
	struct event ev;
	struct tend_err err = { 0 };
	const char *line;
	size_t len;
	uint64_t seq;
	int rc = 0, n;

	if (evlog_reader_open(&lr, path, &err) < 0) {
		warnx("%s", err.msg);
		cli_fail(&r->cli, err.code);
		return -1;
	}
	event_init(&ev);
	while (rc == 0 && (n = evlog_reader_next(&lr, NULL, &err)) != 0) {
		if (n < 0) {
			warnx("%s: %s", path, err.msg);
			cli_fail(&r->cli, err.code);
			if (err.code != TEND_EXIT_INPUT || lr.broken ||
			    !r->cli.keep_going)
				rc = -1;
			continue;
		}
		while (rc == 0 && evlog_reader_event(&lr, &line, &len, &seq))
			rc = take(r, line, len, &ev, path, (size_t)seq, "seq");
	}
	if (rc == 0 && lr.torn_len > 0)
		warnx("%s: a torn tail of %llu bytes at byte %llu was not "
		    "read", path, (unsigned long long)lr.torn_len,
		    (unsigned long long)lr.torn_off);
	event_release(&ev);
	evlog_reader_close(&lr);
	return rc;
}

static int
read_ndjson(struct report *r, int fd, const char *name,
    const char *head, size_t headlen)
{
	struct ndjson_reader nr;
	struct event ev;
	struct tend_err err = { 0 };
	char *line;
	size_t len;
	int rc = 0, n;

	ndjson_reader_init(&nr, fd, name);
	nr.max_line = r->cli.max_line;
	event_init(&ev);
	/* Bytes already read to tell a log from NDJSON go first: the
	   reader keeps what lies between start and end, and grows buf
	   with realloc. */
	if (headlen > 0) {
		nr.buf = xmalloc(4096);
		nr.cap = 4096;
		memcpy(nr.buf, head, headlen);
		nr.end = headlen;
	}
	for (;;) {
		n = ndjson_reader_next(&nr, &line, &len, &err);
		if (n == 0)
			break;
		if (n < 0) {
			if (err.code == TEND_EXIT_SYSTEM) {
				warnx("%s", err.msg);
				cli_fail(&r->cli, TEND_EXIT_SYSTEM);
				rc = -1;
				break;
			}
			cli_warn_at(&r->cli, name, nr.lineno, "%s", err.msg);
			r->cli.bad_input++;
			cli_fail(&r->cli, TEND_EXIT_INPUT);
			if (!r->cli.keep_going) {
				rc = -1;
				break;
			}
			continue;
		}
		if (take(r, line, len, &ev, name, nr.lineno, NULL) < 0) {
			rc = -1;
			break;
		}
	}
	event_release(&ev);
	ndjson_reader_release(&nr);
	return rc;
}

static int
read_fd(struct report *r, int fd, const char *name, const char *path)
{
	char head[4];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(head)) {
		n = read(fd, head + got, sizeof(head) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warn("cannot read '%s'", name);
			cli_fail(&r->cli, TEND_EXIT_SYSTEM);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (path != NULL && is_log((const unsigned char *)head, got))
		return read_log(r, path);
	if (path == NULL && is_log((const unsigned char *)head, got)) {
		warnx("%s: an event log on standard input: give its path, "
		    "or pipe it through 'tend log cat'", name);
		cli_fail(&r->cli, TEND_EXIT_INPUT);
		return -1;
	}
	return read_ndjson(r, fd, name, head, got);
}

static int
read_inputs(struct report *r, int argc, char **argv)
{
	int i, fd, rc = 0;

	if (argc == 0)
		return read_fd(r, STDIN_FILENO, "<stdin>", NULL);
	for (i = 0; i < argc && rc == 0; i++) {
		if (strcmp(argv[i], "-") == 0) {
			rc = read_fd(r, STDIN_FILENO, "<stdin>", NULL);
			continue;
		}
		if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC)) < 0) {
			warn("cannot open '%s'", argv[i]);
			cli_fail(&r->cli, TEND_EXIT_SYSTEM);
			return -1;
		}
		rc = read_fd(r, fd, argv[i], argv[i]);
		close(fd);
	}
	return rc;
}

/* ------------------------------------------------------------------ */

static int
postmortem_run(struct report *r)
{
	char a[48], b[48];
	struct buf t = BUF_INIT;
	int st;

	if (r->o.title != NULL)
		buf_adds(&t, r->o.title);
	else
		buf_addf(&t, "Postmortem: %s to %s",
		    fmt_time(r->o.since != NO_TIME ? r->o.since : r->st.first,
		    a, sizeof(a)),
		    fmt_time(r->o.until != NO_TIME ? r->o.until : r->st.last,
		    b, sizeof(b)));
	html_begin(&r->out, t.p);
	buf_adds(&r->out, "<h1>");
	html_esc(&r->out, t.p);
	buf_addf(&r->out, "</h1>\n<p class=\"meta\">%zu events", r->st.n);
	if (r->st.first != NO_TIME)
		buf_addf(&r->out, ", %s to %s", fmt_time(r->st.first, a,
		    sizeof(a)), fmt_time(r->st.last, b, sizeof(b)));
	buf_adds(&r->out, ".</p>\n<h2 id=\"timeline\">Timeline</h2>\n");
	timeline_html_body(r);
	buf_adds(&r->out, "<h2 id=\"slo\">SLOs</h2>\n");
	slo_html_body(r);
	buf_adds(&r->out, "<h2 id=\"burnin\">Burn-in</h2>\n");
	burnin_html_body(r);
	buf_adds(&r->out, "<h2 id=\"whatif\">Policy what-if</h2>\n");
	st = 0;
	if (r->o.policy == NULL)
		buf_adds(&r->out, "<p class=\"meta\">No --policy given: "
		    "nothing to compare.</p>\n");
	else
		st = whatif_html_body(r);
	html_end(&r->out);
	buf_release(&t);
	return st;
}

static void __attribute__((format(printf, 2, 3)))
bad_usage(struct report *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	cli_usage_error(&r->cli);
}

static int64_t
time_opt(struct report *r, const char *opt, const char *arg)
{
	int64_t ns;

	if (rfc3339_parse(arg, strlen(arg), &ns) < 0) {
		warnx("%s '%s' is not an RFC 3339 time", opt, arg);
		exit(TEND_EXIT_USAGE);
	}
	(void)r;
	return ns;
}

int
main(int argc, char *argv[])
{
	static struct report r;
	const struct sub *sub = NULL;
	const char *color = "auto", *nc;
	size_t i;
	int ch, st;

	cli_init(&r.cli, "tend-report", usage_text);
	r.o.since = r.o.until = NO_TIME;
	r.st.first = r.st.last = NO_TIME;
	buf_addc(&r.st.arena, '\0');	/* offset 0 is "" */
	if (argc > 1 && argv[1][0] != '-') {
		for (i = 0; i < ARRAY_SIZE(subs); i++)
			if (strcmp(argv[1], subs[i].name) == 0)
				sub = &subs[i];
		if (sub == NULL)
			bad_usage(&r, "'%s' is not a report: timeline, slo, "
			    "burnin, whatif or postmortem", argv[1]);
		argc--;
		argv++;
	}
	while ((ch = getopt_long(argc, argv, "hkV", longopts, NULL)) != -1) {
		if (ch >= OPT_COLOR && ch <= OPT_UNTIL && (sub == NULL ||
		    !(sub->allowed & A(ch)))) {
			if (sub == NULL)
				bad_usage(&r, "%s", "name a report first: "
				    "timeline, slo, burnin, whatif or "
				    "postmortem");
			for (i = 0; longopts[i].name != NULL; i++)
				if (longopts[i].val == ch)
					break;
			warnx("--%s does not apply to '%s'", longopts[i].name,
			    sub->name);
			cli_usage_error(&r.cli);
		}
		switch (ch) {
		case OPT_COLOR:
			color = optarg;
			if (strcmp(color, "auto") != 0 && strcmp(color,
			    "always") != 0 && strcmp(color, "never") != 0)
				bad_usage(&r, "--color %s: auto, always or "
				    "never", optarg);
			break;
		case OPT_EXIT_CODE:
			r.o.exit_code = 1;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "text") == 0)
				r.o.format = F_TEXT;
			else if (strcmp(optarg, "json") == 0)
				r.o.format = F_JSON;
			else if (strcmp(optarg, "html") == 0)
				r.o.format = F_HTML;
			else
				bad_usage(&r, "--format %s: text, json or "
				    "html", optarg);
			break;
		case OPT_GATE:
			r.o.gate = optarg;
			break;
		case OPT_PERIOD:
			if (strcmp(optarg, "day") != 0 && strcmp(optarg,
			    "week") != 0 && strcmp(optarg, "month") != 0 &&
			    strcmp(optarg, "all") != 0)
				bad_usage(&r, "--period %s: day, week, month "
				    "or all", optarg);
			r.o.period = optarg;
			break;
		case OPT_POLICY:
			r.o.policy = optarg;
			break;
		case OPT_RUN:
			r.o.run = optarg;
			break;
		case OPT_SINCE:
			r.o.since = time_opt(&r, "--since", optarg);
			break;
		case OPT_SUBJECT:
			r.o.subject = optarg;
			break;
		case OPT_TITLE:
			r.o.title = optarg;
			break;
		case OPT_TRUST:
			r.o.trust = xreallocarray(r.o.trust, r.o.ntrust + 1,
			    sizeof(*r.o.trust));
			r.o.trust[r.o.ntrust++] = optarg;
			break;
		case OPT_UNTIL:
			r.o.until = time_opt(&r, "--until", optarg);
			break;
		default:
			if (!cli_common_opt(&r.cli, ch, optarg))
				cli_usage_error(&r.cli);
		}
	}
	argc -= optind;
	argv += optind;
	if (sub == NULL)
		bad_usage(&r, "%s", "name a report: timeline, slo, burnin, "
		    "whatif or postmortem");
	if (strcmp(sub->name, "whatif") == 0 && r.o.policy == NULL)
		bad_usage(&r, "%s", "whatif needs --policy: the policy to "
		    "decide again under");
	if (r.o.since != NO_TIME && r.o.until != NO_TIME &&
	    r.o.until <= r.o.since)
		bad_usage(&r, "%s", "--until must be after --since");
	if (r.o.period == NULL)
		r.o.period = "day";
	nc = getenv("NO_COLOR");
	r.o.color = strcmp(color, "always") == 0 || (strcmp(color, "auto") ==
	    0 && r.o.format == F_TEXT && isatty(STDOUT_FILENO) &&
	    (nc == NULL || *nc == '\0'));
	r.st.keep_lines = strcmp(sub->name, "whatif") == 0 ||
	    strcmp(sub->name, "postmortem") == 0;
	cli_start(&r.cli);

	st = 0;
	if (read_inputs(&r, argc, argv) == 0 || (r.cli.keep_going &&
	    r.cli.status == TEND_EXIT_INPUT)) {
		if (sub->run != NULL)
			st = sub->run(&r);
		else {
			r.o.format = F_HTML;
			st = postmortem_run(&r);
		}
	}
	cli_fail(&r.cli, st);
	report_flush(&r, 1);
	buf_release(&r.out);
	buf_release(&r.st.arena);
	free(r.st.ev);
	free(r.o.trust);
	return cli_finish(&r.cli);
}
