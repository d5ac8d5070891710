/*
 * wal.c: what the event log says earlier runs of tend apply did.  The log
 * is apply's write-ahead log: tend.action.started is appended durably
 * before an action runs, its result after.  On start apply reads it, so
 * an action that succeeded is not run again and one that started without
 * a result (the run died in between) is found.
 *
 * While it runs, apply holds a lock on the log (an OFD record lock far
 * past its end, which does not meet the flock(2) that evlog appends
 * under), so two runs of apply on one log never carry out one action
 * twice.
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "apply.h"
#include "event.h"
#include "evlog.h"
#include "wal.h"
#include "xmalloc.h"

#define WAL_LOCK_OFF	((off_t)1 << 62)

static uint64_t
hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

void
wal_init(struct wal *w)
{
	memset(w, 0, sizeof(*w));
	w->lockfd = -1;
}

void
wal_release(struct wal *w)
{
	size_t i;

	for (i = 0; i < w->cap; i++)
		if (w->slot[i] != NULL) {
			free(w->slot[i]->id);
			free(w->slot[i]);
		}
	free(w->slot);
	if (w->lockfd >= 0)
		close(w->lockfd);
	wal_init(w);
}

struct wal_entry *
wal_get(struct wal *w, const char *id, int add)
{
	struct wal_entry **old, *e;
	size_t i, oldcap;

	if (w->cap == 0) {
		if (!add)
			return NULL;
		w->cap = 256;
		w->slot = xcalloc(w->cap, sizeof(*w->slot));
	}
	for (i = hash(id) & (w->cap - 1); w->slot[i] != NULL;
	    i = (i + 1) & (w->cap - 1))
		if (strcmp(w->slot[i]->id, id) == 0)
			return w->slot[i];
	if (!add)
		return NULL;
	if ((w->n + 1) * 2 > w->cap) {
		old = w->slot;
		oldcap = w->cap;
		w->cap *= 2;
		w->slot = xcalloc(w->cap, sizeof(*w->slot));
		for (i = 0; i < oldcap; i++) {
			size_t k;

			if (old[i] == NULL)
				continue;
			for (k = hash(old[i]->id) & (w->cap - 1);
			    w->slot[k] != NULL; k = (k + 1) & (w->cap - 1))
				;
			w->slot[k] = old[i];
		}
		free(old);
		return wal_get(w, id, add);
	}
	e = xcalloc(1, sizeof(*e));
	e->id = xstrdup(id);
	w->slot[i] = e;
	w->n++;
	return e;
}

int
wal_lock(struct wal *w, const char *path, struct tend_err *err)
{
	struct flock fl;

	if ((w->lockfd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return tend_err_sys(err, "cannot open '%s'", path);
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = WAL_LOCK_OFF;
	fl.l_len = 1;
	if (fcntl(w->lockfd, F_OFD_SETLK, &fl) < 0) {
		if (errno == EAGAIN || errno == EACCES)
			return tend_err_set(err, TEND_EXIT_SYSTEM, "'%s' is in "
			    "use by another tend-apply", path);
		return tend_err_sys(err, "cannot lock '%s'", path);
	}
	return 0;
}

/* One event of the log. */
static void
wal_event(struct wal *w, struct event *ev, struct buf *b)
{
	const struct json_doc *d = &ev->doc;
	struct wal_entry *e;
	int64_t t;
	enum { STARTED, SUCCEEDED, FAILED } kind;

	if (event_attr_eq(ev, ev->type, "tend.action.started"))
		kind = STARTED;
	else if (event_attr_eq(ev, ev->type, "tend.action.succeeded"))
		kind = SUCCEEDED;
	else if (event_attr_eq(ev, ev->type, "tend.action.failed"))
		kind = FAILED;
	else
		return;
	if (!event_attr_eq(ev, ev->source, "tend-apply") || ev->data < 0 ||
	    obj_str(d, (uint32_t)ev->data, "action_id", b) < 0)
		return;
	e = wal_get(w, b->p, 1);
	switch (kind) {
	case STARTED:
		e->started++;
		e->open = 1;
		t = obj_get(d, (uint32_t)ev->data, "attempt");
		if (t >= 0) {
			int64_t n;

			if (json_int(d, (uint32_t)t, &n) == 0 && n > e->attempt)
				e->attempt = (int)n;
		}
		break;
	case SUCCEEDED:
		e->done = 1;
		e->open = 0;
		break;
	case FAILED:
		/* a failure before the action started does not count */
		if (obj_get(d, (uint32_t)ev->data, "attempt") >= 0) {
			e->failed = 1;
			e->open = 0;
		}
		break;
	}
}

int
wal_load(struct wal *w, const char *path, struct tend_err *err)
{
	struct evlog_reader r;
	struct event ev;
	struct buf b = BUF_INIT;
	struct tend_err perr = { 0 };
	const char *line;
	size_t len;
	uint64_t seq;
	int n, rc = -1;

	if (evlog_reader_open(&r, path, err) < 0)
		return -1;
	event_init(&ev);
	while ((n = evlog_reader_next(&r, NULL, err)) > 0) {
		while (evlog_reader_event(&r, &line, &len, &seq) > 0) {
			/* most lines are not ours: skip them unparsed */
			if (memmem(line, len, "tend-apply", 10) == NULL ||
			    memmem(line, len, "tend.action.", 12) == NULL)
				continue;
			if (event_parse(&ev, line, len, &perr) < 0)
				continue;
			wal_event(w, &ev, &b);
		}
	}
	if (n < 0) {
		char m[sizeof(err->msg)];

		strlcpy(m, err->msg, sizeof(m));
		tend_err_set(err, err->code == TEND_EXIT_SYSTEM ?
		    TEND_EXIT_SYSTEM : TEND_EXIT_INPUT, "%s: %s: cannot tell "
		    "what earlier runs did (tend log verify)", path, m);
		goto out;
	}
	w->torn = r.torn_len > 0;
	rc = 0;
out:
	event_release(&ev);
	evlog_reader_close(&r);
	buf_release(&b);
	return rc;
}
