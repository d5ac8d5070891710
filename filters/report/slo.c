/*
 * tend report slo: service-level figures from the events, per period and
 * overall.
 *
 * Drift episodes: a resource's drift opens an episode at the first
 * tend.drift.detected for it; the episode is resolved by the next run
 * that checked for drift (it holds a tend.diff.summary or drift events)
 * and observed the resource without drift, at the time of that
 * observation.  An "unexpected" resource that is gone is resolved by the
 * next checking run that observed its provider:scope without it.  MTTR
 * is the mean of resolved - detected; drift hours are the time episodes
 * were open, clipped to each period (open ones up to the report's end).
 *
 * CVE-to-patched lag: a proposal naming advisories (data.advisories, or
 * advisory ids in its reason) opens an episode for each target and
 * advisory; the next run that observes the target without such a
 * proposal closes it.  Cost: state events with a numeric
 * spec.cost_per_day or status.cost_per_day, the last of each resource
 * and UTC day, summed per service.  Actions: decisions and results by
 * outcome.  Runs are told apart by runid (events without one by time).
 */
#include "compat.h"

#include <math.h>
#include <time.h>

#include "report.h"
#include "xmalloc.h"

#define DAY_NS	(86400 * NS)

struct ep {
	size_t	 key, service, kind, vuln;
	int64_t	 start, end;		/* end NO_TIME: still open */
};

struct eps {
	struct ep *v;
	size_t	 n, cap;
};

struct cost {
	int64_t	 day, time;
	size_t	 service, key;
	double	 cost;
};

struct pm {
	int64_t	 start, end;
	size_t	 detected, resolved, cve_found, cve_patched;
	size_t	 inc_opened, inc_resolved;
	int64_t	 ttr_sum, lag_sum, lag_max, inc_sum, drift_ns;
	size_t	 count[R_NTYPES], shadow;
	double	 cost;
	size_t	 cost_days;
	int64_t	*svc_ns;	/* drift per service */
	double	*svc_cost;
};

struct slo {
	struct eps drift, cve, inc;
	struct cost *cost;
	size_t	 ncost, costcap;
	int64_t	 from, to;
	size_t	*svc;		/* services, sorted */
	size_t	 nsvc;
	struct smap svcmap;
	struct pm *p;		/* periods */
	size_t	 np;
	struct pm all;
	int	 by;		/* 0 day, 1 week, 2 month, 3 all */
};

static struct ep *
ep_new(struct eps *e)
{
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 64;
		e->v = xreallocarray(e->v, e->cap, sizeof(*e->v));
	}
	memset(&e->v[e->n], 0, sizeof(e->v[0]));
	e->v[e->n].end = NO_TIME;
	return &e->v[e->n++];
}

/* ------------------------------------------------------------------ */
/* runs */

struct srun {
	int64_t	 first;
	size_t	 ord;
	size_t	*ev;
	size_t	 n, cap;
};

static int
srun_cmp(const void *a, const void *b)
{
	const struct srun *x = a, *y = b;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x->ord < y->ord ? -1 : x->ord > y->ord;
}

/* Where p points into the arena, its offset; else SIZE_MAX. */
static size_t
arena_off(const struct store *st, const char *p)
{
	uintptr_t a = (uintptr_t)st->arena.p, x = (uintptr_t)p;

	return x >= a && x < a + st->arena.len ? (size_t)(x - a) : SIZE_MAX;
}

/* Appends s[0..n) and a NUL; s may point into the arena itself. */
static size_t
add_str(struct store *st, const char *s, size_t n)
{
	size_t off, at = arena_off(st, s);

	buf_grow(&st->arena, n + 1);
	if (at != SIZE_MAX)
		s = st->arena.p + at;
	off = st->arena.len;
	buf_add(&st->arena, s, n);
	buf_addc(&st->arena, '\0');
	return off;
}

/* The runs of the store in time order, each with its events. */
static struct srun *
runs(struct store *st, size_t *nruns)
{
	struct smap m;
	struct srun *r = NULL;
	struct buf k = BUF_INIT;
	size_t *ix, i, n = 0, cap = 0, *slot, off;
	struct rev *e;

	memset(&m, 0, sizeof(m));
	ix = store_by_time(st);
	for (i = 0; i < st->n; i++) {
		e = &st->ev[ix[i]];
		off = e->runid;
		if (off == 0) {
			buf_reset(&k);
			buf_addf(&k, "\001%lld", (long long)e->time);
			off = add_str(st, k.p, k.len);
		}
		slot = smap_get(&m, st, off, 1, n);
		if (*slot == n) {
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				r = xreallocarray(r, cap, sizeof(*r));
			}
			memset(&r[n], 0, sizeof(*r));
			r[n].first = e->time == NO_TIME ? INT64_MAX : e->time;
			r[n].ord = i;
			n++;
		}
		{
			struct srun *s = &r[*slot];

			if (s->n == s->cap) {
				s->cap = s->cap ? s->cap * 2 : 16;
				s->ev = xreallocarray(s->ev, s->cap,
				    sizeof(*s->ev));
			}
			s->ev[s->n++] = ix[i];
		}
	}
	if (n > 0)
		qsort(r, n, sizeof(*r), srun_cmp);
	free(ix);
	buf_release(&k);
	smap_release(&m);
	*nruns = n;
	return r;
}

/* "provider:scope/" of a key, into the arena; 0 if it has none. */
static size_t
scope_of(struct store *st, size_t key)
{
	const char *s = S(st, key), *sl = strchr(s, '/');

	if (sl == NULL || strchr(s, ':') == NULL || strchr(s, ':') > sl)
		return 0;
	return add_str(st, s, (size_t)(sl - s) + 1);
}

static size_t
pair(struct store *st, const char *key, size_t klen, const char *v,
    size_t vlen)
{
	size_t off, ka = arena_off(st, key), va = arena_off(st, v);

	buf_grow(&st->arena, klen + vlen + 2);
	if (ka != SIZE_MAX)
		key = st->arena.p + ka;
	if (va != SIZE_MAX)
		v = st->arena.p + va;
	off = st->arena.len;
	buf_add(&st->arena, key, klen);
	buf_addc(&st->arena, '\t');
	buf_add(&st->arena, v, vlen);
	buf_addc(&st->arena, '\0');
	return off;
}

static void
episodes(struct slo *s, struct store *st)
{
	struct smap open, vopen, svcof, obs, drift, scope, vul;
	struct buf tg = BUF_INIT, vs = BUF_INIT;
	struct srun *rs;
	size_t nruns, i, j, *slot, *v, off;
	struct rev *e;
	int checked;

	memset(&open, 0, sizeof(open));
	memset(&vopen, 0, sizeof(vopen));
	memset(&svcof, 0, sizeof(svcof));
	rs = runs(st, &nruns);
	for (i = 0; i < nruns; i++) {
		struct srun *r = &rs[i];

		memset(&obs, 0, sizeof(obs));
		memset(&drift, 0, sizeof(drift));
		memset(&scope, 0, sizeof(scope));
		memset(&vul, 0, sizeof(vul));
		checked = 0;
		for (j = 0; j < r->n; j++) {
			e = &st->ev[r->ev[j]];
			switch (e->type) {
			case R_OBSERVED:
			case R_STATE:
				if (e->key == 0 || e->time == NO_TIME)
					break;
				smap_get(&obs, st, e->key, 1, r->ev[j]);
				if (e->service != 0)
					*smap_get(&svcof, st, e->key, 1, 0) =
					    e->service;
				if ((off = scope_of(st, e->key)) != 0)
					smap_get(&scope, st, off, 1, r->ev[j]);
				break;
			case R_SUMMARY:
				checked = 1;
				break;
			case R_DRIFT:
				checked = 1;
				if (e->key != 0 && e->time != NO_TIME)
					smap_get(&drift, st, e->key, 1,
					    r->ev[j]);
				break;
			case R_PROPOSED: {
				const char *t, *nl, *a, *sp;

				if (e->vulns == 0 || e->time == NO_TIME)
					break;
				/* copies: pair() may move the arena */
				buf_reset(&tg);
				buf_adds(&tg, S(st, e->targets));
				buf_reset(&vs);
				buf_adds(&vs, S(st, e->vulns));
				for (t = tg.p; *t != '\0';
				    t = *nl ? nl + 1 : nl) {
					nl = strchr(t, '\n');
					if (nl == NULL)
						nl = t + strlen(t);
					for (a = vs.p; *a != '\0';
					    a = *sp ? sp + 1 : sp) {
						sp = strchr(a, ' ');
						if (sp == NULL)
							sp = a + strlen(a);
						off = pair(st, t,
						    (size_t)(nl - t), a,
						    (size_t)(sp - a));
						smap_get(&vul, st, off, 1,
						    r->ev[j]);
					}
				}
				break;
			}
			default:
				break;
			}
		}
		/* drift: open */
		for (j = 0; j < drift.cap; j++) {
			struct ep *p;

			if (drift.keys[j] == 0)
				continue;
			e = &st->ev[drift.vals[j]];
			slot = smap_get(&open, st, e->key, 1, SIZE_MAX);
			if (*slot != SIZE_MAX)
				continue;
			p = ep_new(&s->drift);
			p->key = e->key;
			p->kind = e->what;
			p->service = e->service;
			p->start = e->time;
			*slot = s->drift.n - 1;
		}
		/* drift: resolve */
		for (j = 0; checked && j < open.cap; j++) {
			struct ep *p;
			size_t sc;

			if (open.keys[j] == 0 || open.vals[j] == SIZE_MAX)
				continue;
			p = &s->drift.v[open.vals[j]];
			if (smap_get(&drift, st, p->key, 0, 0) != NULL)
				continue;
			if ((v = smap_get(&obs, st, p->key, 0, 0)) != NULL)
				p->end = st->ev[*v].time;
			else if (strcmp(S(st, p->kind), "unexpected") == 0 &&
			    (sc = scope_of(st, p->key)) != 0 &&
			    (v = smap_get(&scope, st, sc, 0, 0)) != NULL)
				p->end = st->ev[*v].time;
			else
				continue;
			if (p->end < p->start)
				p->end = p->start;
			open.vals[j] = SIZE_MAX;
		}
		/* advisories: open */
		for (j = 0; j < vul.cap; j++) {
			struct ep *p;
			const char *k;

			if (vul.keys[j] == 0)
				continue;
			slot = smap_get(&vopen, st, vul.keys[j] - 1, 1,
			    SIZE_MAX);
			if (*slot != SIZE_MAX)
				continue;
			e = &st->ev[vul.vals[j]];
			p = ep_new(&s->cve);
			k = S(st, vul.keys[j] - 1);
			p->key = add_str(st, k, (size_t)(strchr(k, '\t') - k));
			k = S(st, vul.keys[j] - 1);
			p->vuln = add_str(st, strchr(k, '\t') + 1,
			    strlen(strchr(k, '\t') + 1));
			p->start = e->time;
			*slot = s->cve.n - 1;
		}
		/* advisories: patched */
		for (j = 0; j < vopen.cap; j++) {
			struct ep *p;

			if (vopen.keys[j] == 0 || vopen.vals[j] == SIZE_MAX)
				continue;
			p = &s->cve.v[vopen.vals[j]];
			if (smap_get(&vul, st, vopen.keys[j] - 1, 0, 0) != NULL)
				continue;
			if ((v = smap_get(&obs, st, p->key, 0, 0)) == NULL)
				continue;
			p->end = st->ev[*v].time;
			if (p->end < p->start)
				p->end = p->start;
			vopen.vals[j] = SIZE_MAX;
		}
		smap_release(&obs);
		smap_release(&drift);
		smap_release(&scope);
		smap_release(&vul);
	}
	/* a drift event without a service takes its resource's */
	for (i = 0; i < s->drift.n; i++)
		if (s->drift.v[i].service == 0 && (v = smap_get(&svcof, st,
		    s->drift.v[i].key, 0, 0)) != NULL)
			s->drift.v[i].service = *v;
	for (i = 0; i < nruns; i++)
		free(rs[i].ev);
	free(rs);
	smap_release(&open);
	smap_release(&vopen);
	smap_release(&svcof);
	buf_release(&tg);
	buf_release(&vs);
}

static const struct store *ep_st;

static int
ep_cmp(const void *a, const void *b)
{
	const struct ep *x = a, *y = b;
	int c;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if ((c = strcmp(S(ep_st, x->key), S(ep_st, y->key))) != 0)
		return c;
	return strcmp(S(ep_st, x->vuln), S(ep_st, y->vuln));
}

static void
incidents(struct slo *s, struct store *st)
{
	struct smap m;
	size_t *ix, i, *slot;
	struct rev *e;

	memset(&m, 0, sizeof(m));
	ix = store_by_time(st);
	for (i = 0; i < st->n; i++) {
		e = &st->ev[ix[i]];
		if ((e->type != R_INC_OPENED && e->type != R_INC_RESOLVED) ||
		    e->action == 0 || e->time == NO_TIME)
			continue;
		slot = smap_get(&m, st, e->action, 1, SIZE_MAX);
		if (e->type == R_INC_OPENED && *slot == SIZE_MAX) {
			struct ep *p = ep_new(&s->inc);

			p->key = e->action;
			p->service = e->service;
			p->start = e->time;
			*slot = s->inc.n - 1;
		} else if (e->type == R_INC_RESOLVED && *slot != SIZE_MAX &&
		    s->inc.v[*slot].end == NO_TIME)
			s->inc.v[*slot].end = e->time;
	}
	free(ix);
	smap_release(&m);
}

static int
cost_cmp(const void *a, const void *b)
{
	const struct cost *x = a, *y = b;
	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	if (x->service != y->service)
		return x->service < y->service ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return 0;
}

static void
costs(struct slo *s, struct store *st)
{
	struct smap canon;
	size_t i, n;
	struct rev *e;

	/* Offsets are compared, so equal strings must share one. */
	memset(&canon, 0, sizeof(canon));
	for (i = 0; i < st->n; i++) {
		e = &st->ev[i];
		if (e->type != R_STATE || !e->has_cost || e->time == NO_TIME)
			continue;
		if (s->ncost == s->costcap) {
			s->costcap = s->costcap ? s->costcap * 2 : 64;
			s->cost = xreallocarray(s->cost, s->costcap,
			    sizeof(*s->cost));
		}
		s->cost[s->ncost].day = e->time - ((e->time % DAY_NS) +
		    DAY_NS) % DAY_NS;
		s->cost[s->ncost].time = e->time;
		s->cost[s->ncost].service = *smap_get(&canon, st, e->service,
		    1, e->service);
		s->cost[s->ncost].key = *smap_get(&canon, st, e->key, 1,
		    e->key);
		s->cost[s->ncost].cost = e->cost;
		s->ncost++;
	}
	smap_release(&canon);
	if (s->ncost == 0)
		return;
	qsort(s->cost, s->ncost, sizeof(*s->cost), cost_cmp);
	/* the last of each resource and day */
	for (i = 0, n = 0; i < s->ncost; i++) {
		if (i + 1 < s->ncost && s->cost[i + 1].day == s->cost[i].day &&
		    s->cost[i + 1].key == s->cost[i].key &&
		    s->cost[i + 1].service == s->cost[i].service)
			continue;
		s->cost[n++] = s->cost[i];
	}
	s->ncost = n;
}

/* ------------------------------------------------------------------ */
/* periods */

static int64_t
period_start(int by, int64_t t)
{
	int64_t days = (t - ((t % DAY_NS) + DAY_NS) % DAY_NS) / DAY_NS;
	struct tm tm;
	time_t sec;

	switch (by) {
	case 0:
		return days * DAY_NS;
	case 1:
		return (days - ((days + 3) % 7 + 7) % 7) * DAY_NS;
	default:
		sec = (time_t)(days * 86400);
		gmtime_r(&sec, &tm);
		tm.tm_mday = 1;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		return (int64_t)timegm(&tm) * NS;
	}
}

static int64_t
period_next(int by, int64_t start)
{
	struct tm tm;
	time_t sec;

	switch (by) {
	case 0:
		return start + DAY_NS;
	case 1:
		return start + 7 * DAY_NS;
	default:
		sec = (time_t)(start / NS);
		gmtime_r(&sec, &tm);
		tm.tm_mon++;
		return (int64_t)timegm(&tm) * NS;
	}
}

static void
period_label(int by, int64_t start, char *out, size_t len)
{
	struct tm tm;
	time_t sec = (time_t)(start / NS);
	size_t n;

	gmtime_r(&sec, &tm);
	switch (by) {
	case 0:
		n = strftime(out, len, "%Y-%m-%d", &tm);
		break;
	case 1:
		n = strftime(out, len, "%G-W%V", &tm);
		break;
	case 2:
		n = strftime(out, len, "%Y-%m", &tm);
		break;
	default:
		n = 0;
	}
	if (n == 0)
		strlcpy(out, "all", len);
}

static int64_t
overlap(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
	int64_t lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;

	return hi > lo ? hi - lo : 0;
}

static size_t
svc_index(struct slo *s, const struct store *st, size_t off)
{
	size_t *v = smap_get(&s->svcmap, st, off, 0, 0), i;

	if (v != NULL)
		return *v;
	for (i = 0; i < s->nsvc; i++)
		if (strcmp(S(st, s->svc[i]), S(st, off)) == 0)
			return i;
	return SIZE_MAX;
}

static const struct store *svc_st;

static int
svc_cmp(const void *a, const void *b)
{
	return strcmp(S(svc_st, *(const size_t *)a),
	    S(svc_st, *(const size_t *)b));
}

static void
services(struct slo *s, struct store *st)
{
	size_t i, *slot;

	for (i = 0; i < s->drift.n + s->ncost; i++) {
		size_t off = i < s->drift.n ? s->drift.v[i].service :
		    s->cost[i - s->drift.n].service;

		slot = smap_get(&s->svcmap, st, off, 1, s->nsvc);
		if (*slot == s->nsvc) {
			s->svc = xreallocarray(s->svc, s->nsvc + 1,
			    sizeof(*s->svc));
			s->svc[s->nsvc++] = off;
		}
	}
	svc_st = st;
	if (s->nsvc > 0)
		qsort(s->svc, s->nsvc, sizeof(*s->svc), svc_cmp);
	smap_release(&s->svcmap);
	for (i = 0; i < s->nsvc; i++)
		*smap_get(&s->svcmap, st, s->svc[i], 1, i) = i;
}

static void
pm_init(struct slo *s, struct pm *p, int64_t start, int64_t end)
{
	memset(p, 0, sizeof(*p));
	p->start = start;
	p->end = end;
	p->lag_max = -1;
	p->svc_ns = xcalloc(s->nsvc + 1, sizeof(*p->svc_ns));
	p->svc_cost = xcalloc(s->nsvc + 1, sizeof(*p->svc_cost));
}

static int
in(const struct pm *p, int64_t t)
{
	return t != NO_TIME && t >= p->start && t < p->end;
}

static void
fill(struct slo *s, const struct store *st, struct pm *p, int last)
{
	size_t i, k;
	int64_t end, d;

	/* the last period (and overall) includes its end: the report's end
	   is the time of the last event */
	for (i = 0; i < s->drift.n; i++) {
		const struct ep *e = &s->drift.v[i];

		if (in(p, e->start) || (last && e->start == p->end))
			p->detected++;
		if (e->end != NO_TIME && (in(p, e->end) || (last &&
		    e->end == p->end))) {
			p->resolved++;
			p->ttr_sum += e->end - e->start;
		}
		end = e->end != NO_TIME && e->end < s->to ? e->end : s->to;
		d = overlap(e->start, end, p->start, p->end);
		p->drift_ns += d;
		if ((k = svc_index(s, st, e->service)) != SIZE_MAX)
			p->svc_ns[k] += d;
	}
	for (i = 0; i < s->cve.n; i++) {
		const struct ep *e = &s->cve.v[i];

		if (in(p, e->start) || (last && e->start == p->end))
			p->cve_found++;
		if (e->end != NO_TIME && (in(p, e->end) || (last &&
		    e->end == p->end))) {
			p->cve_patched++;
			p->lag_sum += e->end - e->start;
			if (e->end - e->start > p->lag_max)
				p->lag_max = e->end - e->start;
		}
	}
	for (i = 0; i < s->inc.n; i++) {
		const struct ep *e = &s->inc.v[i];

		if (in(p, e->start) || (last && e->start == p->end))
			p->inc_opened++;
		if (e->end != NO_TIME && (in(p, e->end) || (last &&
		    e->end == p->end))) {
			p->inc_resolved++;
			p->inc_sum += e->end - e->start;
		}
	}
	for (i = 0; i < s->ncost; i++) {
		const struct cost *c = &s->cost[i];

		if (!in(p, c->day) && !(last && c->day == p->end))
			continue;
		p->cost += c->cost;
		if ((k = svc_index(s, st, c->service)) != SIZE_MAX)
			p->svc_cost[k] += c->cost;
		if (i == 0 || s->cost[i - 1].day != c->day)
			p->cost_days++;
	}
	for (i = 0; i < st->n; i++) {
		const struct rev *e = &st->ev[i];

		if (!in(p, e->time) && !(last && e->time == p->end))
			continue;
		p->count[e->type]++;
		if (e->shadow)
			p->shadow++;
	}
}

static void
compute(struct slo *s, struct report *rep)
{
	struct store *st = &rep->st;
	int64_t t, n;
	size_t i;

	s->by = strcmp(rep->o.period, "day") == 0 ? 0 :
	    strcmp(rep->o.period, "week") == 0 ? 1 :
	    strcmp(rep->o.period, "month") == 0 ? 2 : 3;
	episodes(s, st);
	incidents(s, st);
	ep_st = st;
	if (s->drift.n > 0)
		qsort(s->drift.v, s->drift.n, sizeof(*s->drift.v), ep_cmp);
	if (s->cve.n > 0)
		qsort(s->cve.v, s->cve.n, sizeof(*s->cve.v), ep_cmp);
	costs(s, st);
	services(s, st);
	s->from = rep->o.since != NO_TIME ? rep->o.since : st->first;
	s->to = rep->o.until != NO_TIME ? rep->o.until : st->last;
	if (s->from == NO_TIME)
		s->from = s->to = 0;
	pm_init(s, &s->all, s->from, s->to);
	fill(s, st, &s->all, rep->o.until == NO_TIME);
	if (s->by == 3 || st->n == 0)
		return;
	for (t = period_start(s->by, s->from);; t = n) {
		n = period_next(s->by, t);
		s->p = xreallocarray(s->p, s->np + 1, sizeof(*s->p));
		pm_init(s, &s->p[s->np], t, n);
		s->np++;
		/* without --until the end is the last event: its period is
		   the last; with it, the periods cover [from, until) */
		if (n > s->to || (rep->o.until != NO_TIME && n >= s->to))
			break;
	}
	for (i = 0; i < s->np; i++)
		fill(s, st, &s->p[i], 0);
}

static void
slo_free(struct slo *s)
{
	size_t i;

	for (i = 0; i < s->np; i++) {
		free(s->p[i].svc_ns);
		free(s->p[i].svc_cost);
	}
	free(s->p);
	free(s->all.svc_ns);
	free(s->all.svc_cost);
	free(s->drift.v);
	free(s->cve.v);
	free(s->inc.v);
	free(s->cost);
	free(s->svc);
	smap_release(&s->svcmap);
}

/* ------------------------------------------------------------------ */
/* output */

static const char *
svc_name(const struct store *st, size_t off)
{
	return off != 0 ? S(st, off) : "-";
}

static void
mean_secs(struct buf *b, int64_t sum, size_t n)
{
	if (n == 0)
		buf_adds(b, "null");
	else
		fmt_secs(b, sum / (int64_t)n);
}

static void
json_pm(struct slo *s, const struct store *st, const struct pm *p,
    struct buf *o, int overall)
{
	static const int acts[] = { R_PROPOSED, R_APPROVED, R_DENIED,
	    R_DEFERRED, R_ESCALATED, R_STARTED, R_SUCCEEDED, R_FAILED,
	    R_SKIPPED };
	static const char *const names[] = { "proposed", "approved",
	    "denied", "deferred", "escalated", "started", "succeeded",
	    "failed", "skipped" };
	size_t i, n, open = 0;

	buf_addf(o, "\"drift\":{\"detected\":%zu,\"resolved\":%zu",
	    p->detected, p->resolved);
	if (overall) {
		for (i = 0; i < s->drift.n; i++)
			open += s->drift.v[i].end == NO_TIME;
		buf_addf(o, ",\"open\":%zu", open);
	}
	buf_adds(o, ",\"mttr_seconds\":");
	mean_secs(o, p->ttr_sum, p->resolved);
	buf_adds(o, ",\"drift_seconds\":");
	fmt_secs(o, p->drift_ns);
	buf_adds(o, ",\"drift_hours\":");
	fmt_hours(o, p->drift_ns);
	buf_adds(o, ",\"by_service\":{");
	for (i = 0, n = 0; i < s->nsvc; i++) {
		if (p->svc_ns[i] == 0)
			continue;
		buf_adds(o, n++ ? "," : "");
		buf_add_json_str(o, svc_name(st, s->svc[i]),
		    strlen(svc_name(st, s->svc[i])));
		buf_adds(o, ":{\"drift_seconds\":");
		fmt_secs(o, p->svc_ns[i]);
		buf_adds(o, ",\"drift_hours\":");
		fmt_hours(o, p->svc_ns[i]);
		buf_adds(o, "}");
	}
	buf_addf(o, "}},\"cve\":{\"found\":%zu,\"patched\":%zu",
	    p->cve_found, p->cve_patched);
	if (overall) {
		for (i = 0, open = 0; i < s->cve.n; i++)
			open += s->cve.v[i].end == NO_TIME;
		buf_addf(o, ",\"open\":%zu", open);
	}
	buf_adds(o, ",\"mean_lag_seconds\":");
	mean_secs(o, p->lag_sum, p->cve_patched);
	buf_adds(o, ",\"max_lag_seconds\":");
	if (p->lag_max < 0)
		buf_adds(o, "null");
	else
		fmt_secs(o, p->lag_max);
	buf_addf(o, "},\"incidents\":{\"opened\":%zu,\"resolved\":%zu,"
	    "\"mttr_seconds\":", p->inc_opened, p->inc_resolved);
	mean_secs(o, p->inc_sum, p->inc_resolved);
	buf_adds(o, "},\"cost\":{\"total\":");
	fmt_num(o, p->cost);
	buf_addf(o, ",\"days\":%zu,\"per_day\":", p->cost_days);
	if (p->cost_days > 0)
		fmt_num(o, p->cost / (double)p->cost_days);
	else
		buf_adds(o, "null");
	buf_adds(o, ",\"by_service\":{");
	for (i = 0, n = 0; i < s->nsvc; i++) {
		if (p->svc_cost[i] == 0)
			continue;
		buf_adds(o, n++ ? "," : "");
		buf_add_json_str(o, svc_name(st, s->svc[i]),
		    strlen(svc_name(st, s->svc[i])));
		buf_addc(o, ':');
		fmt_num(o, p->svc_cost[i]);
	}
	buf_adds(o, "}},\"actions\":{");
	for (i = 0; i < ARRAY_SIZE(acts); i++)
		buf_addf(o, "%s\"%s\":%zu", i ? "," : "", names[i],
		    p->count[acts[i]]);
	buf_addf(o, ",\"shadow\":%zu}", p->shadow);
}

static void
json_time(struct buf *o, int64_t t)
{
	char a[48];

	if (t == NO_TIME)
		buf_adds(o, "null");
	else
		buf_addf(o, "\"%s\"", fmt_time(t, a, sizeof(a)));
}

static void
json(struct slo *s, struct report *rep)
{
	const struct store *st = &rep->st;
	struct buf *o = &rep->out;
	struct smap res;
	int64_t *byres = NULL, end;
	size_t *keys = NULL, nres = 0, i, *slot;
	char lab[32];

	buf_adds(o, "{\"from\":");
	json_time(o, st->n ? s->from : NO_TIME);
	buf_adds(o, ",\"until\":");
	json_time(o, st->n ? s->to : NO_TIME);
	buf_addf(o, ",\"period\":\"%s\",\"overall\":{", rep->o.period);
	json_pm(s, st, &s->all, o, 1);
	buf_adds(o, "},\"periods\":[");
	for (i = 0; i < s->np; i++) {
		period_label(s->by, s->p[i].start, lab, sizeof(lab));
		buf_addf(o, "%s{\"period\":\"%s\",\"start\":", i ? "," : "",
		    lab);
		json_time(o, s->p[i].start);
		buf_adds(o, ",\"end\":");
		json_time(o, s->p[i].end);
		buf_addc(o, ',');
		json_pm(s, st, &s->p[i], o, 0);
		buf_addc(o, '}');
		report_flush(rep, 0);
	}
	buf_adds(o, "],\"drift_episodes\":[");
	memset(&res, 0, sizeof(res));
	for (i = 0; i < s->drift.n; i++) {
		const struct ep *e = &s->drift.v[i];

		buf_adds(o, i ? ",{\"key\":" : "{\"key\":");
		buf_add_json_str(o, S(st, e->key), strlen(S(st, e->key)));
		buf_adds(o, ",\"service\":");
		if (e->service)
			buf_add_json_str(o, S(st, e->service),
			    strlen(S(st, e->service)));
		else
			buf_adds(o, "null");
		buf_addf(o, ",\"drift\":\"%s\",\"detected\":",
		    S(st, e->kind));
		json_time(o, e->start);
		buf_adds(o, ",\"resolved\":");
		json_time(o, e->end);
		buf_adds(o, ",\"seconds\":");
		end = e->end != NO_TIME ? e->end : s->to;
		fmt_secs(o, end - e->start);
		buf_addc(o, '}');
		slot = smap_get(&res, st, e->key, 1, nres);
		if (*slot == nres) {
			keys = xreallocarray(keys, nres + 1, sizeof(*keys));
			byres = xreallocarray(byres, nres + 1,
			    sizeof(*byres));
			keys[nres] = e->key;
			byres[nres++] = 0;
		}
		byres[*slot] += overlap(e->start, end, s->from, s->to);
	}
	buf_adds(o, "],\"drift_by_resource\":{");
	for (i = 0; i < nres; i++) {
		buf_adds(o, i ? "," : "");
		buf_add_json_str(o, S(st, keys[i]), strlen(S(st, keys[i])));
		buf_adds(o, ":{\"drift_seconds\":");
		fmt_secs(o, byres[i]);
		buf_adds(o, ",\"drift_hours\":");
		fmt_hours(o, byres[i]);
		buf_addc(o, '}');
	}
	buf_adds(o, "},\"cve\":[");
	for (i = 0; i < s->cve.n; i++) {
		const struct ep *e = &s->cve.v[i];

		buf_adds(o, i ? ",{\"key\":" : "{\"key\":");
		buf_add_json_str(o, S(st, e->key), strlen(S(st, e->key)));
		buf_adds(o, ",\"advisory\":");
		buf_add_json_str(o, S(st, e->vuln), strlen(S(st, e->vuln)));
		buf_adds(o, ",\"first_seen\":");
		json_time(o, e->start);
		buf_adds(o, ",\"patched\":");
		json_time(o, e->end);
		buf_adds(o, ",\"lag_seconds\":");
		if (e->end == NO_TIME)
			buf_adds(o, "null");
		else
			fmt_secs(o, e->end - e->start);
		buf_addc(o, '}');
	}
	buf_adds(o, "],\"cost_per_day\":[");
	for (i = 0; i < s->ncost; i++) {
		double sum = s->cost[i].cost;

		while (i + 1 < s->ncost && s->cost[i + 1].day ==
		    s->cost[i].day && s->cost[i + 1].service ==
		    s->cost[i].service)
			sum += s->cost[++i].cost;
		period_label(0, s->cost[i].day, lab, sizeof(lab));
		buf_addf(o, "%s{\"day\":\"%s\",\"service\":", o->p[o->len -
		    1] == '[' ? "" : ",", lab);
		buf_add_json_str(o, svc_name(st, s->cost[i].service),
		    strlen(svc_name(st, s->cost[i].service)));
		buf_adds(o, ",\"cost\":");
		fmt_num(o, sum);
		buf_addc(o, '}');
	}
	buf_adds(o, "]}\n");
	free(keys);
	free(byres);
	smap_release(&res);
}

/* The text and HTML tables. */
struct tables {
	struct tbl drift, svc, res, cve, cves, cost, acts, inc;
};

static void
mean_text(struct tbl *t, int64_t sum, size_t n)
{
	struct buf b = BUF_INIT;

	if (n == 0)
		tbl_add(t, "-");
	else {
		fmt_dur(&b, sum / (int64_t)n);
		tbl_add(t, b.p);
	}
	buf_release(&b);
}

static void
hours_cell(struct tbl *t, int64_t ns)
{
	struct buf b = BUF_INIT;

	fmt_hours(&b, ns);
	tbl_add(t, b.p);
	buf_release(&b);
}

static void
pm_rows(struct slo *s, const struct pm *p, const char *lab,
    struct tables *t)
{
	struct buf b = BUF_INIT;

	tbl_add(&t->drift, lab);
	tbl_addf(&t->drift, "%zu", p->detected);
	tbl_addf(&t->drift, "%zu", p->resolved);
	mean_text(&t->drift, p->ttr_sum, p->resolved);
	hours_cell(&t->drift, p->drift_ns);
	tbl_add(&t->cve, lab);
	tbl_addf(&t->cve, "%zu", p->cve_found);
	tbl_addf(&t->cve, "%zu", p->cve_patched);
	mean_text(&t->cve, p->lag_sum, p->cve_patched);
	if (p->lag_max < 0)
		tbl_add(&t->cve, "-");
	else {
		fmt_dur(&b, p->lag_max);
		tbl_add(&t->cve, b.p);
	}
	tbl_add(&t->inc, lab);
	tbl_addf(&t->inc, "%zu", p->inc_opened);
	tbl_addf(&t->inc, "%zu", p->inc_resolved);
	mean_text(&t->inc, p->inc_sum, p->inc_resolved);
	tbl_add(&t->acts, lab);
	tbl_addf(&t->acts, "%zu", p->count[R_PROPOSED]);
	tbl_addf(&t->acts, "%zu", p->count[R_APPROVED]);
	tbl_addf(&t->acts, "%zu", p->count[R_DENIED]);
	tbl_addf(&t->acts, "%zu", p->count[R_DEFERRED]);
	tbl_addf(&t->acts, "%zu", p->count[R_ESCALATED]);
	tbl_addf(&t->acts, "%zu", p->shadow);
	tbl_addf(&t->acts, "%zu", p->count[R_SUCCEEDED]);
	tbl_addf(&t->acts, "%zu", p->count[R_FAILED]);
	tbl_addf(&t->acts, "%zu", p->count[R_SKIPPED]);
	buf_release(&b);
	(void)s;
}

static void
tables(struct slo *s, const struct store *st, struct tables *t)
{
	struct buf b = BUF_INIT;
	struct smap res;
	char lab[32], a[48], c[48];
	size_t i, j, *slot, nres = 0, *keys = NULL;
	int64_t *byres = NULL, end;

	tbl_init(&t->drift, 5);
	tbl_add(&t->drift, "period");
	tbl_add(&t->drift, "detected");
	tbl_add(&t->drift, "resolved");
	tbl_add(&t->drift, "mttr");
	tbl_add(&t->drift, "drift-hours");
	tbl_init(&t->cve, 5);
	tbl_add(&t->cve, "period");
	tbl_add(&t->cve, "found");
	tbl_add(&t->cve, "patched");
	tbl_add(&t->cve, "mean-lag");
	tbl_add(&t->cve, "max-lag");
	tbl_init(&t->inc, 4);
	tbl_add(&t->inc, "period");
	tbl_add(&t->inc, "opened");
	tbl_add(&t->inc, "resolved");
	tbl_add(&t->inc, "mttr");
	tbl_init(&t->acts, 10);
	tbl_add(&t->acts, "period");
	tbl_add(&t->acts, "proposed");
	tbl_add(&t->acts, "approved");
	tbl_add(&t->acts, "denied");
	tbl_add(&t->acts, "deferred");
	tbl_add(&t->acts, "escalated");
	tbl_add(&t->acts, "(shadow)");
	tbl_add(&t->acts, "succeeded");
	tbl_add(&t->acts, "failed");
	tbl_add(&t->acts, "skipped");
	for (i = 0; i < s->np; i++) {
		period_label(s->by, s->p[i].start, lab, sizeof(lab));
		pm_rows(s, &s->p[i], lab, t);
	}
	pm_rows(s, &s->all, "overall", t);

	tbl_init(&t->svc, s->np + 2);
	tbl_add(&t->svc, "service");
	for (i = 0; i < s->np; i++) {
		period_label(s->by, s->p[i].start, lab, sizeof(lab));
		tbl_add(&t->svc, lab);
	}
	tbl_add(&t->svc, "overall");
	for (j = 0; j < s->nsvc; j++) {
		if (s->all.svc_ns[j] == 0)
			continue;
		tbl_add(&t->svc, svc_name(st, s->svc[j]));
		for (i = 0; i < s->np; i++)
			hours_cell(&t->svc, s->p[i].svc_ns[j]);
		hours_cell(&t->svc, s->all.svc_ns[j]);
	}

	tbl_init(&t->res, 6);
	tbl_add(&t->res, "resource");
	tbl_add(&t->res, "drift");
	tbl_add(&t->res, "detected");
	tbl_add(&t->res, "resolved");
	tbl_add(&t->res, "took");
	tbl_add(&t->res, "drift-hours");
	memset(&res, 0, sizeof(res));
	for (i = 0; i < s->drift.n; i++) {
		const struct ep *e = &s->drift.v[i];

		end = e->end != NO_TIME ? e->end : s->to;
		tbl_add(&t->res, S(st, e->key));
		tbl_add(&t->res, S(st, e->kind));
		tbl_add(&t->res, fmt_time(e->start, a, sizeof(a)));
		tbl_add(&t->res, e->end != NO_TIME ? fmt_time(e->end, c,
		    sizeof(c)) : "(open)");
		buf_reset(&b);
		fmt_dur(&b, end - e->start);
		tbl_add(&t->res, b.p);
		hours_cell(&t->res, overlap(e->start, end, s->from, s->to));
		slot = smap_get(&res, st, e->key, 1, nres);
		if (*slot == nres) {
			keys = xreallocarray(keys, nres + 1, sizeof(*keys));
			byres = xreallocarray(byres, nres + 1,
			    sizeof(*byres));
			keys[nres] = e->key;
			byres[nres++] = 0;
		}
	}
	tbl_init(&t->cves, 5);
	tbl_add(&t->cves, "advisory");
	tbl_add(&t->cves, "resource");
	tbl_add(&t->cves, "first seen");
	tbl_add(&t->cves, "patched");
	tbl_add(&t->cves, "lag");
	for (i = 0; i < s->cve.n; i++) {
		const struct ep *e = &s->cve.v[i];

		tbl_add(&t->cves, S(st, e->vuln));
		tbl_add(&t->cves, S(st, e->key));
		tbl_add(&t->cves, fmt_time(e->start, a, sizeof(a)));
		tbl_add(&t->cves, e->end != NO_TIME ? fmt_time(e->end, c,
		    sizeof(c)) : "(open)");
		buf_reset(&b);
		if (e->end != NO_TIME)
			fmt_dur(&b, e->end - e->start);
		else
			buf_adds(&b, "-");
		tbl_add(&t->cves, b.p);
	}
	tbl_init(&t->cost, 3);
	tbl_add(&t->cost, "day");
	tbl_add(&t->cost, "service");
	tbl_add(&t->cost, "cost");
	for (i = 0; i < s->ncost; i++) {
		double sum = s->cost[i].cost;

		while (i + 1 < s->ncost && s->cost[i + 1].day ==
		    s->cost[i].day && s->cost[i + 1].service ==
		    s->cost[i].service)
			sum += s->cost[++i].cost;
		period_label(0, s->cost[i].day, lab, sizeof(lab));
		tbl_add(&t->cost, lab);
		tbl_add(&t->cost, svc_name(st, s->cost[i].service));
		buf_reset(&b);
		fmt_num(&b, sum);
		tbl_add(&t->cost, b.p);
	}
	free(keys);
	free(byres);
	smap_release(&res);
	buf_release(&b);
}

static void
tables_free(struct tables *t)
{
	tbl_release(&t->drift);
	tbl_release(&t->svc);
	tbl_release(&t->res);
	tbl_release(&t->cve);
	tbl_release(&t->cves);
	tbl_release(&t->cost);
	tbl_release(&t->acts);
	tbl_release(&t->inc);
}

static void
text(struct slo *s, struct report *rep)
{
	struct buf *o = &rep->out;
	struct tables t;
	char a[48], b[48];

	tables(s, &rep->st, &t);
	if (rep->st.n == 0) {
		buf_adds(o, "no events\n");
		tables_free(&t);
		return;
	}
	buf_addf(o, "SLOs from %s to %s", fmt_time(s->from, a, sizeof(a)),
	    fmt_time(s->to, b, sizeof(b)));
	if (s->by != 3)
		buf_addf(o, ", by %s", rep->o.period);
	buf_addc(o, '\n');
	buf_adds(o, "\ndrift: detected -> resolved (MTTR), hours drifted\n");
	tbl_text(&t.drift, o, "  ");
	if (t.svc.n > t.svc.ncols) {
		buf_adds(o, "\ndrift hours by service\n");
		tbl_text(&t.svc, o, "  ");
	}
	if (t.res.n > t.res.ncols) {
		buf_adds(o, "\ndrift episodes\n");
		tbl_text(&t.res, o, "  ");
	}
	if (s->cve.n > 0) {
		buf_adds(o, "\nCVE to patched: first seen vulnerable -> "
		    "first seen fixed\n");
		tbl_text(&t.cve, o, "  ");
		buf_addc(o, '\n');
		tbl_text(&t.cves, o, "  ");
	}
	if (s->inc.n > 0) {
		buf_adds(o, "\nincidents: opened -> resolved\n");
		tbl_text(&t.inc, o, "  ");
	}
	if (s->ncost > 0) {
		buf_adds(o, "\ncost per service per day\n");
		tbl_text(&t.cost, o, "  ");
	}
	buf_adds(o, "\nactions per outcome\n");
	tbl_text(&t.acts, o, "  ");
	tables_free(&t);
}

void
slo_html_body(struct report *rep)
{
	struct buf *o = &rep->out;
	struct slo s;
	struct tables t;
	char a[48], b[48];

	memset(&s, 0, sizeof(s));
	compute(&s, rep);
	tables(&s, &rep->st, &t);
	buf_addf(o, "<p class=\"meta\">From %s to %s%s%s.</p>\n",
	    fmt_time(s.from, a, sizeof(a)), fmt_time(s.to, b, sizeof(b)),
	    s.by != 3 ? ", by " : "", s.by != 3 ? rep->o.period : "");
	buf_adds(o, "<h3>Drift: detected to resolved (MTTR), hours "
	    "drifted</h3>\n");
	tbl_html(&t.drift, o);
	if (t.svc.n > t.svc.ncols) {
		buf_adds(o, "<h3>Drift hours by service</h3>\n");
		tbl_html(&t.svc, o);
	}
	if (t.res.n > t.res.ncols) {
		buf_adds(o, "<h3>Drift episodes</h3>\n");
		tbl_html(&t.res, o);
	}
	buf_adds(o, "<h3>CVE to patched</h3>\n");
	if (s.cve.n > 0) {
		tbl_html(&t.cve, o);
		tbl_html(&t.cves, o);
	} else
		buf_adds(o, "<p class=\"meta\">No advisories seen.</p>\n");
	if (s.inc.n > 0) {
		buf_adds(o, "<h3>Incidents</h3>\n");
		tbl_html(&t.inc, o);
	}
	buf_adds(o, "<h3>Cost per service per day</h3>\n");
	if (s.ncost > 0)
		tbl_html(&t.cost, o);
	else
		buf_adds(o, "<p class=\"meta\">No cost data (state events "
		    "with cost_per_day).</p>\n");
	buf_adds(o, "<h3>Actions per outcome</h3>\n");
	tbl_html(&t.acts, o);
	tables_free(&t);
	slo_free(&s);
}

int
slo_run(struct report *rep)
{
	struct slo s;

	if (rep->o.format == F_HTML) {
		html_begin(&rep->out, "tend SLOs");
		buf_adds(&rep->out, "<h1>SLOs</h1>\n");
		slo_html_body(rep);
		html_end(&rep->out);
		return 0;
	}
	memset(&s, 0, sizeof(s));
	compute(&s, rep);
	if (rep->o.format == F_JSON)
		json(&s, rep);
	else
		text(&s, rep);
	slo_free(&s);
	return 0;
}
