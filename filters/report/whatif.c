/*
 * tend report whatif: policy backtesting.  Every decision in the input
 * (tend.action.approved, .denied, .deferred or .escalated of tend gate,
 * not a human's approval) is decided again: its proposal goes through
 * tend-gate --unsigned under the new policy with the clock of the
 * original decision (--now), one tend-gate run per decision time, so a
 * blast-radius limit sees the same batch as before.  The input's
 * proposals, approvals and executions go in as --history (rate limits
 * count executions before each decision time only); human approvals go
 * in with the run's input when --trust names the keys to check them.
 * Then each decision that would differ (verdict, or shadow) is listed.
 *
 * tend-gate is run without a shell: --gate PROGRAM, else tend-gate
 * beside this program, else tend-gate from PATH.  Its stderr is ours.
 */
#include "compat.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <unistd.h>

#include "event.h"
#include "ndjson.h"
#include "policy.h"
#include "report.h"
#include "xmalloc.h"

extern char **environ;

static const char *const verdicts[] = { "approved", "denied", "deferred",
    "escalated" };

struct dec {
	size_t	 ev;		/* the original decision */
	size_t	 prop;		/* its proposal */
	int	 now;		/* new verdict (R_APPROVED..), -1: none */
	int	 shadow;
	struct buf reasons;	/* new reasons, "; "-joined */
};

/* Decisions that changed in the last what-if (for --exit-code). */
static size_t last_changed;

struct whatif {
	struct dec *d;
	size_t	 n;
	size_t	 groups, undecided, changed;
	char	 digest[80];
	int	 status;
};

/* A temporary file, unlinked unless path is given (then it holds the
   name, for the caller to unlink). */
static int
tmpfile_fd(char *keep, struct tend_err *err)
{
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX];
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if ((size_t)snprintf(path, sizeof(path), "%s/tend-report.XXXXXX",
	    dir) >= sizeof(path))
		return tend_err_set(err, TEND_EXIT_SYSTEM, "TMPDIR is too "
		    "long");
	if ((fd = mkostemp(path, O_CLOEXEC)) < 0)
		return tend_err_sys(err, "cannot create a temporary file in "
		    "'%s'", dir);
	if (keep != NULL)
		strlcpy(keep, path, PATH_MAX);
	else
		unlink(path);
	return fd;
}

static int
write_all(int fd, const char *p, size_t n, struct tend_err *err)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return tend_err_sys(err, "temporary file");
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* tend-gate beside us, else "tend-gate" for PATH. */
static void
gate_path(const char *given, char *out, size_t len)
{
	char self[PATH_MAX], *sl;
	ssize_t n;

	if (given != NULL) {
		strlcpy(out, given, len);
		return;
	}
	strlcpy(out, "tend-gate", len);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return;
	self[n] = '\0';
	if ((sl = strrchr(self, '/')) == NULL)
		return;
	sl[1] = '\0';
	if (strlcat(self, "tend-gate", sizeof(self)) < sizeof(self) &&
	    access(self, X_OK) == 0)
		strlcpy(out, self, len);
}

/* Runs tend-gate on in_fd, its stdout into out_fd.  0, or a status. */
static int
run_gate(struct report *rep, const char *gate, const char *now,
    const char *history, int in_fd, int out_fd)
{
	posix_spawn_file_actions_t fa;
	const char **argv;
	size_t n = 0, i;
	pid_t pid;
	int rc, ws;

	argv = xcalloc(12 + 2 * rep->o.ntrust, sizeof(*argv));
	argv[n++] = gate;
	argv[n++] = "--unsigned";
	argv[n++] = "--policy";
	argv[n++] = rep->o.policy;
	argv[n++] = "--now";
	argv[n++] = now;
	argv[n++] = "--history";
	argv[n++] = history;
	for (i = 0; i < rep->o.ntrust; i++) {
		argv[n++] = "--trust";
		argv[n++] = rep->o.trust[i];
	}
	argv[n] = NULL;
	if (lseek(in_fd, 0, SEEK_SET) < 0 || ftruncate(out_fd, 0) < 0 ||
	    lseek(out_fd, 0, SEEK_SET) < 0) {
		warn("temporary file");
		free(argv);
		return TEND_EXIT_SYSTEM;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	if (strchr(gate, '/') != NULL)
		rc = posix_spawn(&pid, gate, &fa, NULL, (char **)argv,
		    environ);
	else
		rc = posix_spawnp(&pid, gate, &fa, NULL, (char **)argv,
		    environ);
	posix_spawn_file_actions_destroy(&fa);
	free(argv);
	if (rc != 0) {
		warnx("cannot run '%s': %s", gate, strerror(rc));
		return TEND_EXIT_SYSTEM;
	}
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR) {
			warn("waitpid");
			return TEND_EXIT_SYSTEM;
		}
	if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
		return 0;
	if (WIFEXITED(ws)) {
		warnx("%s exited %d", gate, WEXITSTATUS(ws));
		return WEXITSTATUS(ws) == TEND_EXIT_INPUT ? TEND_EXIT_INPUT :
		    TEND_EXIT_SYSTEM;
	}
	warnx("%s was killed by signal %d", gate, WTERMSIG(ws));
	return TEND_EXIT_SYSTEM;
}

static int
is_decision(int t)
{
	return t >= R_APPROVED && t <= R_ESCALATED;
}

static const struct store *cmp_st;

static int
dec_cmp(const void *a, const void *b)
{
	const struct rev *x = &cmp_st->ev[((const struct dec *)a)->ev];
	const struct rev *y = &cmp_st->ev[((const struct dec *)b)->ev];

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->ord < y->ord ? -1 : x->ord > y->ord;
}

/* Reads tend-gate's decisions into the w->d that byact names. */
static int
read_out(struct report *rep, struct whatif *w, struct smap *byact,
    int fd)
{
	const struct store *st = &rep->st;
	struct ndjson_reader r;
	struct event ev;
	struct tend_err err = { 0 };
	struct buf id = BUF_INIT;
	struct dec *d;
	char *line;
	size_t len, *v, off;
	uint32_t k;
	int n, rc = 0, type;
	int64_t data, t, sh;

	if (lseek(fd, 0, SEEK_SET) < 0) {
		warn("temporary file");
		return TEND_EXIT_SYSTEM;
	}
	ndjson_reader_init(&r, fd, "tend-gate output");
	event_init(&ev);
	while ((n = ndjson_reader_next(&r, &line, &len, &err)) != 0) {
		if (n < 0 || event_parse(&ev, line, len, &err) < 0) {
			warnx("tend-gate output: %s", err.msg);
			rc = TEND_EXIT_SYSTEM;
			break;
		}
		for (type = R_APPROVED; type <= R_ESCALATED; type++)
			if (event_attr_eq(&ev, ev.type, type == R_APPROVED ?
			    "tend.action.approved" : type == R_DENIED ?
			    "tend.action.denied" : type == R_DEFERRED ?
			    "tend.action.deferred" : "tend.action.escalated"))
				break;
		data = ev.data;
		if (type > R_ESCALATED || data < 0 ||
		    ev.doc.tok[data].type != JSON_OBJECT ||
		    (t = json_obj_get(&ev.doc, (uint32_t)data,
		    "action_id")) < 0 || ev.doc.tok[t].type != JSON_STRING)
			continue;
		buf_reset(&id);
		json_str_decode(&ev.doc, (uint32_t)t, &id);
		/* look it up by a scratch copy at the arena's end */
		off = rep->st.arena.len;
		buf_add(&rep->st.arena, id.p, id.len);
		buf_addc(&rep->st.arena, '\0');
		v = smap_get(byact, st, off, 0, 0);
		rep->st.arena.len = off;
		rep->st.arena.p[off] = '\0';
		if (v == NULL)
			continue;
		d = &w->d[*v];
		d->now = type;
		sh = json_obj_get(&ev.doc, (uint32_t)data, "shadow");
		d->shadow = sh >= 0 && ev.doc.tok[sh].type == JSON_TRUE;
		buf_reset(&d->reasons);
		t = json_obj_get(&ev.doc, (uint32_t)data, "reasons");
		if (t < 0 || ev.doc.tok[t].type != JSON_ARRAY)
			continue;
		for (k = (uint32_t)t + 1; k < ev.doc.tok[t].end;
		    k = ev.doc.tok[k].end) {
			if (ev.doc.tok[k].type != JSON_STRING)
				continue;
			if (d->reasons.len > 0)
				buf_adds(&d->reasons, "; ");
			json_str_decode(&ev.doc, k, &d->reasons);
		}
	}
	event_release(&ev);
	ndjson_reader_release(&r);
	buf_release(&id);
	return rc;
}

static int
compute(struct whatif *w, struct report *rep)
{
	struct store *st = &rep->st;
	struct smap props, byact;
	struct tend_err err = { 0 };
	struct policy *p;
	char gate[PATH_MAX], now[48], hist[PATH_MAX] = "";
	size_t i, j, lo, hi, *v;
	int hfd = -1, in = -1, out = -1, rc = 0;

	memset(w, 0, sizeof(*w));
	memset(&props, 0, sizeof(props));
	if ((p = policy_load_file(rep->o.policy, &err)) == NULL) {
		warnx("%s", err.msg);
		return err.code ? err.code : TEND_EXIT_INPUT;
	}
	strlcpy(w->digest, policy_digest(p), sizeof(w->digest));
	policy_free(p);

	/* the proposals, and the history tend-gate counts from */
	if ((hfd = tmpfile_fd(hist, &err)) < 0 ||
	    (in = tmpfile_fd(NULL, &err)) < 0 ||
	    (out = tmpfile_fd(NULL, &err)) < 0) {
		warnx("%s", err.msg);
		rc = TEND_EXIT_SYSTEM;
		goto done;
	}
	for (i = 0; i < st->n && rc == 0; i++) {
		const struct rev *e = &st->ev[i];

		if (e->type == R_PROPOSED && e->action != 0)
			*smap_get(&props, st, e->action, 1, i) = i;
		if (e->line != 0 && !(e->type == R_APPROVED && e->human) &&
		    (write_all(hfd, S(st, e->line), strlen(S(st, e->line)),
		    &err) < 0 || write_all(hfd, "\n", 1, &err) < 0)) {
			warnx("%s", err.msg);
			rc = TEND_EXIT_SYSTEM;
		}
	}
	for (i = 0; i < st->n && rc == 0; i++) {
		const struct rev *e = &st->ev[i];

		if (!is_decision(e->type) || e->human || e->action == 0)
			continue;
		if ((v = smap_get(&props, st, e->action, 0, 0)) == NULL ||
		    e->time == NO_TIME) {
			w->undecided++;
			continue;
		}
		if (rep->o.run != NULL && strcmp(S(st, st->ev[*v].runid),
		    rep->o.run) != 0)
			continue;
		w->d = xreallocarray(w->d, w->n + 1, sizeof(*w->d));
		memset(&w->d[w->n], 0, sizeof(*w->d));
		w->d[w->n].ev = i;
		w->d[w->n].prop = *v;
		w->d[w->n].now = -1;
		w->n++;
	}
	if (rc != 0)
		goto done;
	cmp_st = st;
	if (w->n > 0)
		qsort(w->d, w->n, sizeof(*w->d), dec_cmp);
	gate_path(rep->o.gate, gate, sizeof(gate));
	for (lo = 0; lo < w->n && rc == 0; lo = hi) {
		int64_t t = st->ev[w->d[lo].ev].time;

		for (hi = lo; hi < w->n && st->ev[w->d[hi].ev].time == t;
		    hi++)
			;
		w->groups++;
		memset(&byact, 0, sizeof(byact));
		if (ftruncate(in, 0) < 0 || lseek(in, 0, SEEK_SET) < 0) {
			warn("temporary file");
			rc = TEND_EXIT_SYSTEM;
			break;
		}
		/* human approvals given by then, checked by tend-gate */
		for (i = 0; rep->o.ntrust > 0 && i < st->n && rc == 0; i++) {
			const struct rev *e = &st->ev[i];

			if (e->type == R_APPROVED && e->human && e->line != 0 &&
			    e->time != NO_TIME && e->time <= t &&
			    (write_all(in, S(st, e->line),
			    strlen(S(st, e->line)), &err) < 0 ||
			    write_all(in, "\n", 1, &err) < 0))
				rc = TEND_EXIT_SYSTEM;
		}
		for (j = lo; j < hi && rc == 0; j++) {
			const struct rev *e = &st->ev[w->d[j].prop];

			v = smap_get(&byact, st, e->action, 1, j);
			if (*v != j)
				continue;	/* one proposal, decided twice */
			if (write_all(in, S(st, e->line), strlen(S(st,
			    e->line)), &err) < 0 || write_all(in, "\n", 1,
			    &err) < 0)
				rc = TEND_EXIT_SYSTEM;
		}
		if (rc != 0) {
			warnx("%s", err.msg);
			smap_release(&byact);
			break;
		}
		fmt_time(t, now, sizeof(now));
		if ((rc = run_gate(rep, gate, now, hist, in, out)) == 0)
			rc = read_out(rep, w, &byact, out);
		/* a proposal decided twice at one time: both get it */
		for (j = lo; j < hi; j++) {
			const struct rev *e = &st->ev[w->d[j].prop];

			v = smap_get(&byact, st, e->action, 0, 0);
			if (v != NULL && *v != j) {
				w->d[j].now = w->d[*v].now;
				w->d[j].shadow = w->d[*v].shadow;
				buf_reset(&w->d[j].reasons);
				buf_add(&w->d[j].reasons, w->d[*v].reasons.p,
				    w->d[*v].reasons.len);
			}
		}
		smap_release(&byact);
	}
	for (i = 0; i < w->n; i++) {
		const struct rev *e = &st->ev[w->d[i].ev];

		if (w->d[i].now != e->type || w->d[i].shadow != e->shadow)
			w->changed++;
	}
	last_changed = w->changed;
done:
	if (hist[0] != '\0')
		unlink(hist);
	if (hfd >= 0)
		close(hfd);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	smap_release(&props);
	return rc;
}

static void
whatif_free(struct whatif *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		buf_release(&w->d[i].reasons);
	free(w->d);
}

static const char *
vname(int type)
{
	return type >= R_APPROVED && type <= R_ESCALATED ?
	    verdicts[type - R_APPROVED] : "none";
}

static int
changed(const struct store *st, const struct dec *d)
{
	const struct rev *e = &st->ev[d->ev];

	return d->now != e->type || d->shadow != e->shadow;
}

static void
verdict_str(struct buf *b, int type, int shadow)
{
	buf_adds(b, vname(type));
	if (shadow)
		buf_adds(b, " (shadow)");
}

static void
table(const struct whatif *w, const struct store *st, struct tbl *t)
{
	char a[48];
	size_t i;
	struct buf b = BUF_INIT;

	tbl_init(t, 7);
	tbl_add(t, "decided");
	tbl_add(t, "resource");
	tbl_add(t, "skill");
	tbl_add(t, "was");
	tbl_add(t, "would be");
	tbl_add(t, "because");
	tbl_add(t, "action");
	for (i = 0; i < w->n; i++) {
		const struct dec *d = &w->d[i];
		const struct rev *e = &st->ev[d->ev];
		const struct rev *p = &st->ev[d->prop];

		if (!changed(st, d))
			continue;
		tbl_add(t, fmt_time(e->time, a, sizeof(a)));
		tbl_add(t, S(st, p->key));
		tbl_add(t, S(st, p->skill));
		buf_reset(&b);
		verdict_str(&b, e->type, e->shadow);
		tbl_add(t, b.p);
		buf_reset(&b);
		verdict_str(&b, d->now, d->shadow);
		tbl_add(t, b.p);
		tbl_add(t, d->reasons.len ? d->reasons.p : "");
		tbl_addf(t, "%.12s", S(st, p->action));
	}
	buf_release(&b);
}

static void
summary(const struct whatif *w, struct report *rep, struct buf *o)
{
	buf_addf(o, "policy %s (%s): %zu decision%s at %zu time%s, %zu "
	    "would change, %zu unchanged", rep->o.policy, w->digest, w->n,
	    w->n == 1 ? "" : "s", w->groups, w->groups == 1 ? "" : "s",
	    w->changed, w->n - w->changed);
	if (w->undecided > 0)
		buf_addf(o, "; %zu decision%s without its proposal left out",
		    w->undecided, w->undecided == 1 ? "" : "s");
}

static void
json(const struct whatif *w, struct report *rep)
{
	const struct store *st = &rep->st;
	struct buf *o = &rep->out;
	char a[48];
	size_t i, n = 0;

	buf_adds(o, "{\"policy\":");
	buf_add_json_str(o, rep->o.policy, strlen(rep->o.policy));
	buf_addf(o, ",\"policy_digest\":\"%s\",\"decisions\":%zu,"
	    "\"times\":%zu,\"unchanged\":%zu,\"left_out\":%zu,\"changed\":[",
	    w->digest, w->n, w->groups, w->n - w->changed, w->undecided);
	for (i = 0; i < w->n; i++) {
		const struct dec *d = &w->d[i];
		const struct rev *e = &st->ev[d->ev];
		const struct rev *p = &st->ev[d->prop];

		if (!changed(st, d))
			continue;
		buf_addf(o, "%s{\"decided\":\"%s\",\"action_id\":",
		    n++ ? "," : "", fmt_time(e->time, a, sizeof(a)));
		buf_add_json_str(o, S(st, p->action), strlen(S(st,
		    p->action)));
		buf_adds(o, ",\"subject\":");
		buf_add_json_str(o, S(st, p->key), strlen(S(st, p->key)));
		buf_adds(o, ",\"skill\":");
		buf_add_json_str(o, S(st, p->skill), strlen(S(st, p->skill)));
		buf_adds(o, ",\"runid\":");
		if (p->runid != 0)
			buf_add_json_str(o, S(st, p->runid), strlen(S(st,
			    p->runid)));
		else
			buf_adds(o, "null");
		buf_addf(o, ",\"was\":{\"verdict\":\"%s\",\"shadow\":%s,"
		    "\"reasons\":%s}", vname(e->type), e->shadow ? "true" :
		    "false", e->reasons ? S(st, e->reasons) : "[]");
		buf_addf(o, ",\"now\":{\"verdict\":\"%s\",\"shadow\":%s,"
		    "\"reasons\":", vname(d->now), d->shadow ? "true" :
		    "false");
		buf_add_json_str(o, d->reasons.len ? d->reasons.p : "",
		    d->reasons.len);
		buf_adds(o, "}}");
		report_flush(rep, 0);
	}
	buf_adds(o, "]}\n");
}

int
whatif_html_body(struct report *rep)
{
	struct whatif w;
	struct tbl t;
	struct buf s = BUF_INIT;
	int rc;

	if ((rc = compute(&w, rep)) != 0) {
		buf_adds(&rep->out, "<p class=\"bad\">The what-if could not "
		    "be run (see the messages of tend-report).</p>\n");
		whatif_free(&w);
		return rc;
	}
	summary(&w, rep, &s);
	buf_addf(&rep->out, "<p class=\"%s\">", w.changed ? "bad" : "ok");
	html_esc(&rep->out, s.p);
	buf_adds(&rep->out, ".</p>\n");
	if (w.changed > 0) {
		table(&w, &rep->st, &t);
		tbl_html(&t, &rep->out);
		tbl_release(&t);
	}
	buf_release(&s);
	whatif_free(&w);
	return 0;
}

int
whatif_run(struct report *rep)
{
	struct whatif w;
	struct tbl t;
	int rc;

	if (rep->o.format == F_HTML) {
		html_begin(&rep->out, "tend what-if");
		buf_adds(&rep->out, "<h1>Policy what-if</h1>\n");
		rc = whatif_html_body(rep);
		html_end(&rep->out);
		if (rc == 0 && rep->o.exit_code && last_changed > 0)
			rc = TEND_EXIT_NO;
		return rc;
	}
	if ((rc = compute(&w, rep)) != 0) {
		whatif_free(&w);
		return rc;
	}
	if (rep->o.format == F_JSON)
		json(&w, rep);
	else {
		summary(&w, rep, &rep->out);
		buf_adds(&rep->out, "\n");
		if (w.changed > 0) {
			buf_addc(&rep->out, '\n');
			table(&w, &rep->st, &t);
			tbl_text(&t, &rep->out, "  ");
			tbl_release(&t);
		}
	}
	rc = rep->o.exit_code && w.changed > 0 ? TEND_EXIT_NO : 0;
	whatif_free(&w);
	return rc;
}
