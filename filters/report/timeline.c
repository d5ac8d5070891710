/*
 * tend report timeline: per run (runid) and per resource, what happened
 * in order: observed, drift, proposed, the decision, started, the
 * result, with times and reasons.  Decisions and results join their
 * proposal's resource and run by action_id, so an apply run under
 * another runid still lands on the row of the drift that caused it.
 */
#include "compat.h"

#include <fnmatch.h>

#include "report.h"
#include "xmalloc.h"

struct row {
	size_t	 key;
	size_t	*steps;		/* event indices, in time order */
	size_t	 n, cap;
};

struct run {
	size_t	 runid;
	struct row *rows;
	size_t	 nrows, rowcap;
	struct smap rowmap;	/* key -> row index */
	int64_t	 first, last;
	size_t	 events, errors, other;
	size_t	 count[R_NTYPES];
};

struct tl {
	struct run *runs;
	size_t	 nruns, cap;
	struct smap runmap;	/* runid -> run index */
	struct smap actions;	/* action_id -> run << 32 | row */
};

static const char *const stage[R_NTYPES] = {
	"observed", "state", "changed", "drift", "summary", "proposed",
	"approved", "denied", "deferred", "escalated", "started",
	"succeeded", "failed", "skipped", "checkpoint", "error", "incident",
	"resolved", "other",
};

/* ANSI colours of the stages in text; the HTML uses fill[]. */
static const char *const sgr[R_NTYPES] = {
	"2", "2", "33", "33", "2", "36", "32", "31", "33", "35", "34",
	"32;1", "31;1", "2", "2", "31", "35;1", "35", "2",
};

static const char *const fill[R_NTYPES] = {
	"#6b7a99", "#6b7a99", "#d9822b", "#d9822b", "#8a8f99", "#2b7bb9",
	"#2e9e5b", "#c23b3b", "#b58a00", "#8e44ad", "#17a2b8", "#1f8a4c",
	"#b02a2a", "#8a8f99", "#8a8f99", "#444444", "#7a1f5c", "#7a1f5c",
	"#8a8f99",
};

static const char *const cls[R_NTYPES] = {
	"observed", "state", "changed", "drift", "skipped", "proposed",
	"approved", "denied", "deferred", "escalated", "started",
	"succeeded", "failed", "skipped", "skipped", "error", "incident",
	"incident", "skipped",
};

/* Column of a stage when a run has no time span to lay out. */
static const int column[R_NTYPES] = {
	0, 1, 2, 2, 2, 3, 4, 4, 4, 4, 5, 6, 6, 6, 6, 3, 3, 6, 3,
};

static struct run *
run_of(struct tl *t, const struct store *st, size_t runid)
{
	size_t *slot = smap_get(&t->runmap, st, runid, 1, t->nruns);
	struct run *r;

	if (*slot == t->nruns) {
		if (t->nruns == t->cap) {
			t->cap = t->cap ? t->cap * 2 : 16;
			t->runs = xreallocarray(t->runs, t->cap,
			    sizeof(*t->runs));
		}
		r = &t->runs[t->nruns++];
		memset(r, 0, sizeof(*r));
		r->runid = runid;
		r->first = r->last = NO_TIME;
	}
	return &t->runs[*slot];
}

static size_t
row_of(struct run *r, const struct store *st, size_t key)
{
	size_t *slot = smap_get(&r->rowmap, st, key, 1, r->nrows);

	if (*slot == r->nrows) {
		if (r->nrows == r->rowcap) {
			r->rowcap = r->rowcap ? r->rowcap * 2 : 16;
			r->rows = xreallocarray(r->rows, r->rowcap,
			    sizeof(*r->rows));
		}
		memset(&r->rows[r->nrows], 0, sizeof(*r->rows));
		r->rows[r->nrows++].key = key;
	}
	return *slot;
}

static void
row_add(struct row *w, size_t ev)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 8;
		w->steps = xreallocarray(w->steps, w->cap, sizeof(*w->steps));
	}
	w->steps[w->n++] = ev;
}

static int
is_action(int type)
{
	return type >= R_APPROVED && type <= R_SKIPPED;
}

static void order(struct tl *, const struct store *, int);

static void
build(struct tl *t, struct report *rep)
{
	const struct store *st = &rep->st;
	size_t *ix, i, *slot, row;
	struct run *r;
	struct rev *e;

	ix = store_by_time(st);
	for (i = 0; i < st->n; i++) {
		e = &st->ev[ix[i]];
		if (rep->o.run != NULL && strcmp(S(st, e->runid),
		    rep->o.run) != 0)
			continue;
		slot = NULL;
		if (is_action(e->type) && e->action != 0)
			slot = smap_get(&t->actions, st, e->action, 0, 0);
		if (slot != NULL)
			r = &t->runs[*slot >> 32];
		else
			r = run_of(t, st, e->runid);
		r->events++;
		r->count[e->type]++;
		if (e->time != NO_TIME) {
			if (r->first == NO_TIME || e->time < r->first)
				r->first = e->time;
			if (r->last == NO_TIME || e->time > r->last)
				r->last = e->time;
		}
		if (e->type == R_ERROR) {
			r->errors++;
			continue;
		}
		if (e->type == R_SUMMARY || e->type == R_CHECKPOINT ||
		    e->type == R_OTHER) {
			r->other++;
			continue;
		}
		if (slot != NULL) {
			row_add(&r->rows[*slot & 0xffffffffu], ix[i]);
			continue;
		}
		if (rep->o.subject != NULL && fnmatch(rep->o.subject,
		    S(st, e->key), 0) != 0)
			continue;
		row = row_of(r, st, e->key);
		row_add(&r->rows[row], ix[i]);
		if (e->type == R_PROPOSED && e->action != 0)
			smap_get(&t->actions, st, e->action, 1,
			    (size_t)(r - t->runs) << 32 | row);
	}
	free(ix);
	order(t, st, rep->o.subject != NULL);
}

static const struct store *cmp_st;

static int
row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int64_t tx = cmp_st->ev[x->steps[0]].time;
	int64_t ty = cmp_st->ev[y->steps[0]].time;

	if (tx != ty)
		return tx < ty ? -1 : 1;
	return strcmp(S(cmp_st, x->key), S(cmp_st, y->key));
}

static int
run_cmp(const void *a, const void *b)
{
	const struct run *x = a, *y = b;

	if (x->first != y->first)
		return x->first == NO_TIME ? 1 : y->first == NO_TIME ? -1 :
		    x->first < y->first ? -1 : 1;
	return strcmp(S(cmp_st, x->runid), S(cmp_st, y->runid));
}

/* Rows by their first step's time, then key; runs by time, then id:
   the report does not depend on the order events were read in. */
static void
order(struct tl *t, const struct store *st, int drop_empty)
{
	size_t i, n;

	cmp_st = st;
	for (i = 0; i < t->nruns; i++) {
		struct run *r = &t->runs[i];
		size_t j, k = 0;

		/* rows left empty by --subject go */
		for (j = 0; j < r->nrows; j++)
			if (r->rows[j].n > 0)
				r->rows[k++] = r->rows[j];
		r->nrows = k;
		if (r->nrows > 1)
			qsort(r->rows, r->nrows, sizeof(*r->rows), row_cmp);
		smap_release(&r->rowmap);
	}
	/* with --subject, runs none of whose resources match go */
	for (i = 0, n = 0; i < t->nruns; i++) {
		if (drop_empty && t->runs[i].nrows == 0) {
			free(t->runs[i].rows);
			continue;
		}
		t->runs[n++] = t->runs[i];
	}
	t->nruns = n;
	if (t->nruns > 1)
		qsort(t->runs, t->nruns, sizeof(*t->runs), run_cmp);
	smap_release(&t->runmap);
}

static void
tl_free(struct tl *t)
{
	size_t i, j;

	for (i = 0; i < t->nruns; i++) {
		for (j = 0; j < t->runs[i].nrows; j++)
			free(t->runs[i].rows[j].steps);
		free(t->runs[i].rows);
		smap_release(&t->runs[i].rowmap);
	}
	free(t->runs);
	smap_release(&t->runmap);
	smap_release(&t->actions);
}

/* What a step says, in one line. */
static void
detail(const struct store *st, const struct rev *e, struct buf *b)
{
	switch (e->type) {
	case R_OBSERVED:
		buf_adds(b, S(st, e->what));
		break;
	case R_STATE:
		if (e->what != 0)
			buf_addf(b, "%.19s", S(st, e->what));
		if (e->has_cost) {
			buf_adds(b, b->len ? ", cost/day " : "cost/day ");
			fmt_num(b, e->cost);
		}
		break;
	case R_CHANGED:
	case R_DRIFT:
		buf_adds(b, S(st, e->what));
		if (e->risk != 0)
			buf_addf(b, ", %s", S(st, e->risk));
		if (e->text != 0)
			buf_addf(b, ": %s", S(st, e->text));
		break;
	case R_PROPOSED:
		buf_adds(b, S(st, e->skill));
		if (e->risk != 0)
			buf_addf(b, " (%s)", S(st, e->risk));
		buf_addf(b, ": %s", S(st, e->text));
		if (e->action != 0)
			buf_addf(b, " [%.8s]", S(st, e->action));
		break;
	case R_APPROVED:
	case R_DENIED:
	case R_DEFERRED:
	case R_ESCALATED:
		if (e->shadow)
			buf_adds(b, "shadow: ");
		buf_adds(b, S(st, e->text));
		if (e->type == R_APPROVED && e->human)
			buf_addf(b, " (by %s)", S(st, e->what));
		else if (e->type == R_DEFERRED && e->what != 0)
			buf_addf(b, " (not before %s)", S(st, e->what));
		else if (e->type == R_ESCALATED && e->what != 0)
			buf_addf(b, " (notified %s)", S(st, e->what));
		break;
	case R_STARTED:
		if (e->num > 0)
			buf_addf(b, "attempt %lld", (long long)e->num);
		if (e->dry_run)
			buf_adds(b, b->len ? ", dry run" : "dry run");
		break;
	case R_SUCCEEDED:
	case R_FAILED:
	case R_SKIPPED:
		if (e->text != 0)
			buf_adds(b, S(st, e->text));
		if (e->what != 0)
			buf_addf(b, "%sstatus %s", b->len ? ", " : "",
			    S(st, e->what));
		if (e->num >= 0 && e->type != R_SKIPPED) {
			buf_adds(b, b->len ? ", " : "");
			fmt_dur(b, e->num * 1000000);
		}
		if (e->dry_run)
			buf_adds(b, b->len ? ", dry run" : "dry run");
		break;
	case R_INC_OPENED:
	case R_INC_RESOLVED:
		buf_adds(b, S(st, e->action));
		if (e->text != 0)
			buf_addf(b, ": %s", S(st, e->text));
		break;
	case R_ERROR:
		buf_adds(b, S(st, e->text));
		break;
	default:
		break;
	}
}

static const char *
run_name(const struct store *st, const struct run *r)
{
	return r->runid != 0 ? S(st, r->runid) : "(no runid)";
}

static void
counts_text(const struct run *r, struct buf *b)
{
	static const int show[] = { R_DRIFT, R_PROPOSED, R_APPROVED,
	    R_DENIED, R_DEFERRED, R_ESCALATED, R_SUCCEEDED, R_FAILED,
	    R_SKIPPED };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(show); i++)
		if (r->count[show[i]] > 0)
			buf_addf(b, "%s%zu %s", b->len ? ", " : "",
			    r->count[show[i]], stage[show[i]]);
}

/* ------------------------------------------------------------------ */

static void
text(struct report *rep, struct tl *t)
{
	const struct store *st = &rep->st;
	struct buf *o = &rep->out, d = BUF_INIT;
	char a[48], b[48];
	size_t i, j, k;
	int on = rep->o.color;

	if (t->nruns == 0)
		buf_adds(o, "no events\n");
	for (i = 0; i < t->nruns; i++) {
		struct run *r = &t->runs[i];

		if (i > 0)
			buf_addc(o, '\n');
		buf_adds(o, "run ");
		color(o, on, "1", run_name(st, r));
		buf_addf(o, "  %s to %s  (%zu resource%s, %zu events",
		    fmt_time(r->first, a, sizeof(a)),
		    fmt_time(r->last, b, sizeof(b)), r->nrows,
		    r->nrows == 1 ? "" : "s", r->events);
		if (r->errors > 0)
			buf_addf(o, ", %zu bad lines", r->errors);
		buf_adds(o, ")\n");
		for (j = 0; j < r->nrows; j++) {
			struct row *w = &r->rows[j];

			buf_adds(o, "  ");
			color(o, on, "1", S(st, w->key)[0] ? S(st, w->key) :
			    "(no subject)");
			buf_addc(o, '\n');
			for (k = 0; k < w->n; k++) {
				const struct rev *e = &st->ev[w->steps[k]];

				buf_addf(o, "    %-20s  ",
				    fmt_time(e->time, a, sizeof(a)));
				if (on) {
					color(o, on, sgr[e->type],
					    stage[e->type]);
					pad(o, "", 10 - strlen(stage[e->type]));
				} else
					pad(o, stage[e->type], 10);
				buf_reset(&d);
				detail(st, e, &d);
				if (d.len > 0)
					buf_addf(o, " %s", d.p);
				while (o->len > 0 && o->p[o->len - 1] == ' ')
					o->len--;
				buf_addc(o, '\n');
				report_flush(rep, 0);
			}
		}
		buf_reset(&d);
		counts_text(r, &d);
		if (d.len > 0)
			buf_addf(o, "  = %s\n", d.p);
	}
	buf_release(&d);
}

static void
json_str(struct buf *o, const char *s)
{
	buf_add_json_str(o, s, strlen(s));
}

static void
json(struct report *rep, struct tl *t)
{
	const struct store *st = &rep->st;
	struct buf *o = &rep->out, d = BUF_INIT;
	char a[48];
	size_t i, j, k, n;

	buf_adds(o, "{\"runs\":[");
	for (i = 0; i < t->nruns; i++) {
		struct run *r = &t->runs[i];

		buf_adds(o, i ? ",{\"runid\":" : "{\"runid\":");
		if (r->runid != 0)
			json_str(o, S(st, r->runid));
		else
			buf_adds(o, "null");
		buf_adds(o, ",\"first\":");
		if (r->first != NO_TIME)
			json_str(o, fmt_time(r->first, a, sizeof(a)));
		else
			buf_adds(o, "null");
		buf_adds(o, ",\"last\":");
		if (r->last != NO_TIME)
			json_str(o, fmt_time(r->last, a, sizeof(a)));
		else
			buf_adds(o, "null");
		buf_addf(o, ",\"events\":%zu,\"errors\":%zu,\"counts\":{",
		    r->events, r->errors);
		for (k = 0, n = 0; k < R_NTYPES; k++)
			if (r->count[k] > 0 && k != R_OTHER)
				buf_addf(o, "%s\"%s\":%zu", n++ ? "," : "",
				    stage[k], r->count[k]);
		buf_adds(o, "},\"resources\":[");
		for (j = 0; j < r->nrows; j++) {
			struct row *w = &r->rows[j];

			buf_adds(o, j ? ",{\"key\":" : "{\"key\":");
			json_str(o, S(st, w->key));
			buf_adds(o, ",\"steps\":[");
			for (k = 0; k < w->n; k++) {
				const struct rev *e = &st->ev[w->steps[k]];

				buf_adds(o, k ? ",{\"stage\":" :
				    "{\"stage\":");
				json_str(o, stage[e->type]);
				buf_adds(o, ",\"time\":");
				if (e->time != NO_TIME)
					json_str(o, fmt_time(e->time, a,
					    sizeof(a)));
				else
					buf_adds(o, "null");
				buf_adds(o, ",\"id\":");
				json_str(o, S(st, e->id));
				if (e->seq > 0)
					buf_addf(o, ",\"seq\":%llu",
					    (unsigned long long)e->seq);
				if (e->action != 0) {
					buf_adds(o, e->type >= R_INC_OPENED &&
					    e->type <= R_INC_RESOLVED ?
					    ",\"incident_id\":" :
					    ",\"action_id\":");
					json_str(o, S(st, e->action));
				}
				if (e->skill != 0) {
					buf_adds(o, ",\"skill\":");
					json_str(o, S(st, e->skill));
				}
				if (e->type >= R_APPROVED &&
				    e->type <= R_ESCALATED)
					buf_addf(o, ",\"shadow\":%s",
					    e->shadow ? "true" : "false");
				if (e->reasons != 0)
					buf_addf(o, ",\"reasons\":%s",
					    S(st, e->reasons));
				buf_reset(&d);
				detail(st, e, &d);
				buf_adds(o, ",\"detail\":");
				buf_add_json_str(o, d.p != NULL ? d.p : "",
				    d.len);
				buf_addc(o, '}');
				report_flush(rep, 0);
			}
			buf_adds(o, "]}");
		}
		buf_adds(o, "]}");
	}
	buf_adds(o, "]}\n");
	buf_release(&d);
}

/* ------------------------------------------------------------------ */
/* HTML: an SVG lane per resource, then the steps as a table */

#define LABEL_W	400
#define PLOT_X0	420
#define PLOT_X1	1140
#define LANE_H	26
#define TOP	44

static void
svg_text(struct buf *o, const char *s, size_t max)
{
	size_t n = u8len(s), i;
	const char *p = s;

	if (n <= max) {
		html_esc(o, s);
		return;
	}
	/* keep the end, where the name is: "...apps/Deployment/shop/web" */
	for (i = 0; i < n - (max - 1); i++) {
		p++;
		while (((unsigned char)*p & 0xC0) == 0x80)
			p++;
	}
	buf_adds(o, "\xe2\x80\xa6");
	html_esc(o, p);
}

static void
svg(struct report *rep, const struct run *r)
{
	const struct store *st = &rep->st;
	struct buf *o = &rep->out, d = BUF_INIT;
	int64_t span = r->last != NO_TIME ? r->last - r->first : 0;
	double x, prev;
	char a[48];
	size_t j, k;
	int h, y, used[R_NTYPES] = { 0 }, lx;

	h = TOP + (int)r->nrows * LANE_H + 40;
	buf_addf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"1160\" height=\"%d\" viewBox=\"0 0 1160 %d\" "
	    "role=\"img\" font-family=\"sans-serif\" font-size=\"12\">\n"
	    "<rect width=\"1160\" height=\"%d\" fill=\"#fbfcfe\"/>\n",
	    h, h, h);
	buf_addf(o, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "stroke=\"#9aa3b5\"/>\n", PLOT_X0, TOP - 14, PLOT_X1, TOP - 14);
	buf_addf(o, "<text x=\"%d\" y=\"%d\" fill=\"#5a6275\">%s</text>\n",
	    PLOT_X0, TOP - 20, fmt_time(r->first, a, sizeof(a)));
	if (span > 0)
		buf_addf(o, "<text x=\"%d\" y=\"%d\" fill=\"#5a6275\" "
		    "text-anchor=\"end\">%s</text>\n", PLOT_X1, TOP - 20,
		    fmt_time(r->last, a, sizeof(a)));
	else
		buf_addf(o, "<text x=\"%d\" y=\"%d\" fill=\"#5a6275\" "
		    "text-anchor=\"end\">all at one instant: by stage"
		    "</text>\n", PLOT_X1, TOP - 20);
	for (j = 0; j < r->nrows; j++) {
		const struct row *w = &r->rows[j];

		y = TOP + (int)j * LANE_H + LANE_H / 2;
		buf_addf(o, "<g><title>");
		html_esc(o, S(st, w->key));
		buf_addf(o, "</title><text x=\"8\" y=\"%d\" "
		    "font-family=\"monospace\" fill=\"#1d2330\">", y + 4);
		svg_text(o, S(st, w->key)[0] ? S(st, w->key) :
		    "(no subject)", 56);
		buf_adds(o, "</text></g>\n");
		buf_addf(o, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		    "stroke=\"#e3e7ee\"/>\n", PLOT_X0, y, PLOT_X1, y);
		prev = -1e9;
		buf_reset(&d);
		for (k = 0; k < w->n; k++) {
			const struct rev *e = &st->ev[w->steps[k]];

			if (span > 0 && e->time != NO_TIME)
				x = PLOT_X0 + (double)(e->time - r->first) *
				    (PLOT_X1 - PLOT_X0 - 20) / (double)span;
			else
				x = PLOT_X0 + 10 + column[e->type] * 110;
			if (x < prev + 14)
				x = prev + 14;
			if (x > PLOT_X1)
				x = PLOT_X1;
			if (k == 0)
				buf_addf(&d, "%.1f", x);
			prev = x;
		}
		if (w->n > 1)
			buf_addf(o, "<line x1=\"%s\" y1=\"%d\" x2=\"%.1f\" "
			    "y2=\"%d\" stroke=\"#7d879c\" "
			    "stroke-width=\"2\"/>\n", d.p, y, prev, y);
		prev = -1e9;
		for (k = 0; k < w->n; k++) {
			const struct rev *e = &st->ev[w->steps[k]];

			if (span > 0 && e->time != NO_TIME)
				x = PLOT_X0 + (double)(e->time - r->first) *
				    (PLOT_X1 - PLOT_X0 - 20) / (double)span;
			else
				x = PLOT_X0 + 10 + column[e->type] * 110;
			if (x < prev + 14)
				x = prev + 14;
			if (x > PLOT_X1)
				x = PLOT_X1;
			prev = x;
			used[e->type] = 1;
			buf_addf(o, "<circle cx=\"%.1f\" cy=\"%d\" r=\"6\" "
			    "fill=\"%s\" stroke=\"#fff\"><title>%s %s: ",
			    x, y, fill[e->type], stage[e->type],
			    fmt_time(e->time, a, sizeof(a)));
			buf_reset(&d);
			detail(st, e, &d);
			html_esc(o, d.p != NULL ? d.p : "");
			buf_adds(o, "</title></circle>\n");
		}
		report_flush(rep, 0);
	}
	y = TOP + (int)r->nrows * LANE_H + 22;
	for (k = 0, lx = 8; k < R_NTYPES; k++) {
		if (!used[k])
			continue;
		buf_addf(o, "<circle cx=\"%d\" cy=\"%d\" r=\"5\" fill=\"%s\"/>"
		    "<text x=\"%d\" y=\"%d\" fill=\"#5a6275\">%s</text>\n",
		    lx + 5, y - 4, fill[k], lx + 14, y, stage[k]);
		lx += 22 + (int)strlen(stage[k]) * 7;
	}
	buf_adds(o, "</svg>\n");
	buf_release(&d);
}

static void
html_run(struct report *rep, const struct run *r)
{
	const struct store *st = &rep->st;
	struct buf *o = &rep->out, d = BUF_INIT;
	char a[48], b[48];
	size_t j, k;

	buf_adds(o, "<h3>Run <code>");
	html_esc(o, run_name(st, r));
	buf_addf(o, "</code></h3>\n<p class=\"meta\">%s to %s, %zu "
	    "resource%s, %zu events", fmt_time(r->first, a, sizeof(a)),
	    fmt_time(r->last, b, sizeof(b)), r->nrows,
	    r->nrows == 1 ? "" : "s", r->events);
	counts_text(r, &d);
	if (d.len > 0) {
		buf_adds(o, ": ");
		html_esc(o, d.p);
	}
	if (r->errors > 0)
		buf_addf(o, "; %zu bad lines", r->errors);
	buf_adds(o, ".</p>\n");
	svg(rep, r);
	buf_adds(o, "<table>\n<tr><th>resource</th><th>time</th>"
	    "<th>stage</th><th>what</th></tr>\n");
	for (j = 0; j < r->nrows; j++) {
		const struct row *w = &r->rows[j];

		for (k = 0; k < w->n; k++) {
			const struct rev *e = &st->ev[w->steps[k]];

			buf_adds(o, "<tr><td class=\"mono\">");
			if (k == 0)
				html_esc(o, S(st, w->key));
			buf_addf(o, "</td><td class=\"mono t\">%s</td>"
			    "<td><span class=\"st %s\">%s</span></td><td>",
			    fmt_time(e->time, a, sizeof(a)), cls[e->type],
			    stage[e->type]);
			buf_reset(&d);
			detail(st, e, &d);
			html_esc(o, d.p != NULL ? d.p : "");
			buf_adds(o, "</td></tr>\n");
			report_flush(rep, 0);
		}
	}
	buf_adds(o, "</table>\n");
	buf_release(&d);
}

void
timeline_html_body(struct report *rep)
{
	struct tl t;
	size_t i;

	memset(&t, 0, sizeof(t));
	build(&t, rep);
	if (t.nruns == 0)
		buf_adds(&rep->out, "<p class=\"meta\">No events.</p>\n");
	for (i = 0; i < t.nruns; i++)
		html_run(rep, &t.runs[i]);
	tl_free(&t);
}

int
timeline_run(struct report *rep)
{
	struct tl t;

	if (rep->o.format == F_HTML) {
		html_begin(&rep->out, "tend timeline");
		buf_adds(&rep->out, "<h1>Timeline</h1>\n");
		timeline_html_body(rep);
		html_end(&rep->out);
		return 0;
	}
	memset(&t, 0, sizeof(t));
	build(&t, rep);
	if (rep->o.format == F_JSON)
		json(rep, &t);
	else
		text(rep, &t);
	tl_free(&t);
	return 0;
}
