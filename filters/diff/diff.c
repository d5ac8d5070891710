/*
 * tend-diff: reads observed tend.resource.state events on stdin and the
 * desired state from --desired FILE, joins them by key, and writes a
 * tend.drift.detected event for each resource that differs (modified:
 * with the RFC 6902 patch that turns the observed spec into the desired
 * one), is desired but not observed (missing), or is observed, not
 * desired, and inside a --scope (unexpected); then one tend.diff.summary.
 * With --against FILE instead, FILE is an earlier snapshot and the events
 * are tend.resource.changed (modified, added, removed).  Other events on
 * stdin are passed through.
 *
 * Equal digests mean equal specs: only resources whose digests differ are
 * diffed.  Without --sorted, FILE is read into memory and indexed by key
 * while stdin streams; with --sorted, both sides must come sorted by key
 * (checked) and are merged, holding one resource of each side at a time.
 *
 * Exit status: 0 (drift is a normal result), 1 with --exit-code when
 * drift was found, 2 usage, 3 bad input (a line that is not a valid
 * event, a state event without key or spec, a duplicate key, a side not
 * sorted under --sorted, a rules file that does not load), 4 I/O.
 */
#include "compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "diff.h"
#include "ndjson.h"
#include "xmalloc.h"

static const char usage_text[] =
    "usage: %s [-hkpV] [--exit-code] [--ignore file] [--log file]\n"
    "                 [--max-line bytes] [--min-severity level] "
    "[--now time]\n"
    "                 [--partial] [--scope selector] [--sorted]\n"
    "                 --desired file | --against file\n";

enum {
	OPT_DESIRED = CLI_OPT_FIRST_PROGRAM,
	OPT_AGAINST,
	OPT_EXIT_CODE,
	OPT_IGNORE,
	OPT_MIN_SEVERITY,
	OPT_PARTIAL,
	OPT_SCOPE,
	OPT_SORTED,
};

static const struct option longopts[] = {
	CLI_COMMON_OPTS,
	{ "against", required_argument, NULL, OPT_AGAINST },
	{ "desired", required_argument, NULL, OPT_DESIRED },
	{ "exit-code", no_argument, NULL, OPT_EXIT_CODE },
	{ "ignore", required_argument, NULL, OPT_IGNORE },
	{ "min-severity", required_argument, NULL, OPT_MIN_SEVERITY },
	{ "partial", no_argument, NULL, OPT_PARTIAL },
	{ "pass", no_argument, NULL, 'p' },
	{ "scope", required_argument, NULL, OPT_SCOPE },
	{ "sorted", no_argument, NULL, OPT_SORTED },
	{ NULL, 0, NULL, 0 },
};

/* What a pair is, in either mode. */
enum outcome {
	MODIFIED, MISSING, UNEXPECTED,		/* --desired */
	CH_MODIFIED, CH_ADDED, CH_REMOVED,	/* --against */
};

static const char *const outcome_names[] = {
	"modified", "missing", "unexpected", "modified", "added", "removed",
};

struct side {
	const char *name;	/* for messages */
	struct ndjson_reader r;
	/* A regular FILE, indexed, is read here rather than through r, so
	   that each line's offset is known: the index keeps offsets, not
	   lines, and reads again the few lines it needs. */
	int	 seekable;
	char	*buf;
	size_t	 cap, start, end, scanned;
	uint64_t base;		/* file offset of buf[0] */
	uint64_t lineoff;	/* of the line last returned */
	int	 eof, skipping;
	struct res res;
	struct buf last;	/* --sorted: the previous key */
	size_t	 lineno;	/* of res */
	int	 have;		/* res holds a resource */
	int	 is_stdin;
};

struct diff {
	struct cli *c;
	const char *file;
	int	 against;
	int	 sorted;
	int	 pass;
	int	 partial;
	int	 exit_code;
	enum severity min_sev;
	struct selector *scopes;
	size_t	 nscopes;
	struct rules *rules;
	struct applied ap;
	struct jsonpatch_diffopt opt;
	struct buf runid;	/* the first on stdin */
	int	 have_runid;
	const char *env_runid;	/* $TEND_RUNID */
	int	 stop;		/* stdout gone, bad input: stop */
	int	 found;		/* some drift was reported */

	size_t	 n_in, n_file, unchanged, ignored, out_of_scope, below,
		 passed, tolerated_nodes, ignored_nodes;
	size_t	 count[6];
	size_t	 by_sev[5];

	struct buf head, tail, data, ev, patch, paths;
};

/* Output */

/* The run's runid, for events no input event gives one to. */
static const char *
run_id(const struct diff *d)
{
	return d->have_runid ? d->runid.p : d->env_runid;
}

static int
emit_line(struct diff *d, const char *line, size_t len)
{
	if (cli_emit(d->c, line, len) < 0) {
		d->stop = 1;
		return -1;
	}
	return 0;
}

static void
add_ident(struct buf *b, const struct res *r)
{
	static const char *const members[] = {
		"provider", "kind", "name", "namespace", "scope", "labels",
		"owner", "service",
	};
	const char *raw;
	size_t i, len;
	int64_t t;

	for (i = 0; i < ARRAY_SIZE(members); i++) {
		t = json_obj_get(&r->ev.doc, (uint32_t)r->data, members[i]);
		if (t < 0)
			continue;
		raw = json_raw(&r->ev.doc, (uint32_t)t, &len);
		buf_addf(b, ",\"%s\":", members[i]);
		buf_add(b, raw, len);
	}
}

static void
add_digest(struct buf *b, const char *name, const struct res *r)
{
	if (r == NULL)
		return;
	buf_addf(b, ",\"%s\":", name);
	buf_add_json_str(b, r->digest, r->digestlen);
}

/* Appends r's spec as a patch that creates it: [{"op":"add","path":""...}] */
static void
add_create(struct diff *d, const struct res *r)
{
	const char *raw;
	size_t len;

	raw = json_raw(&r->ev.doc, (uint32_t)r->spec, &len);
	buf_adds(&d->tail, ",\"ops\":1,\"patch\":[{\"op\":\"add\","
	    "\"path\":\"\",\"value\":");
	buf_add(&d->tail, raw, len);
	buf_adds(&d->tail, "}],\"paths\":[\"\"]");
}

/*
 * Writes the event for one outcome.  a is the observed (or previous)
 * resource, b the desired (or current) one; in is the one read from
 * stdin, which gives the runid and, when present, the causeid.
 */
static int
report(struct diff *d, enum outcome o, const struct res *a,
    const struct res *b, size_t nops)
{
	const struct res *who = b != NULL ? b : a;
	const struct res *in = d->against ? b : a;
	const struct res *cause = in != NULL ? in : (d->against ? a : b);
	struct buf runid = BUF_INIT, causeid = BUF_INIT;
	struct event_new en;
	struct tend_err err = { 0, 0, "" };
	enum severity sev = SEV_NONE;
	const char *raw;
	size_t len;
	int rc = 0;

	buf_reset(&d->head);
	buf_reset(&d->tail);
	raw = json_raw(&who->ev.doc, (uint32_t)who->keytok, &len);
	buf_adds(&d->head, "{\"key\":");
	buf_add(&d->head, raw, len);
	add_ident(&d->head, who);
	buf_addf(&d->head, ",\"%s\":\"%s\"", d->against ? "change" : "drift",
	    outcome_names[o]);
	add_digest(&d->tail, d->against ? "before_digest" : "observed_digest",
	    a);
	add_digest(&d->tail, d->against ? "after_digest" : "desired_digest",
	    b);
	if (a != NULL && b != NULL) {
		buf_addf(&d->tail, ",\"ops\":%zu,\"patch\":", nops);
		buf_add(&d->tail, d->patch.p, d->patch.len);
		buf_adds(&d->tail, ",\"paths\":");
		buf_add(&d->tail, d->paths.p, d->paths.len);
		buf_addf(&d->tail, ",\"ignored\":%zu,\"tolerated\":%zu",
		    d->ap.ignored, d->ap.tolerated);
	} else if (b != NULL)
		add_create(d, b);
	buf_addc(&d->tail, '}');

	if (!d->against) {
		buf_reset(&d->data);
		buf_add(&d->data, d->head.p, d->head.len);
		buf_add(&d->data, d->tail.p, d->tail.len);
		if (rules_severity(d->rules, who, d->data.p, d->data.len, &sev,
		    &err) < 0) {
			warnx("%s", err.msg);
			cli_fail(d->c, TEND_EXIT_INPUT);
			if (!d->c->keep_going) {
				d->stop = 1;
				return -1;
			}
			sev = SEV_DEFAULT;	/* reported, not dropped */
		}
		if (sev < d->min_sev) {
			d->below++;
			return 0;
		}
		d->by_sev[sev]++;
	}
	buf_reset(&d->data);
	buf_add(&d->data, d->head.p, d->head.len);
	if (sev != SEV_NONE)
		buf_addf(&d->data, ",\"severity\":\"%s\"", severity_name(sev));
	buf_add(&d->data, d->tail.p, d->tail.len);

	memset(&en, 0, sizeof(en));
	en.source = "tend-diff";
	en.type = d->against ? "tend.resource.changed" : "tend.drift.detected";
	en.subject = who->key.p;
	if (in != NULL && in->ev.runid >= 0) {
		event_attr(&in->ev, in->ev.runid, &runid);
		buf_grow(&runid, 0);
		en.runid = runid.p;
	} else
		en.runid = run_id(d);
	event_attr(&cause->ev, cause->ev.id, &causeid);
	buf_grow(&causeid, 0);
	en.causeid = causeid.p;
	en.time_ns = d->c->now_ns;
	en.data = d->data.p;
	en.data_len = d->data.len;
	buf_reset(&d->ev);
	if (event_build(&d->ev, &en, &err) < 0)
		BUG(err.msg);	/* data is ours and valid */
	d->count[o]++;
	d->found = 1;
	rc = emit_line(d, d->ev.p, d->ev.len);
	buf_release(&runid);
	buf_release(&causeid);
	return rc;
}

static int
in_scope(const struct diff *d, const struct res *r)
{
	size_t i;

	for (i = 0; i < d->nscopes; i++)
		if (selector_match(&d->scopes[i], r))
			return 1;
	return 0;
}

/*
 * Compares one joined pair: in (from stdin) and file (from FILE), either
 * may be NULL.  Returns -1 when the run must stop.
 */
static int
compare(struct diff *d, const struct res *in, const struct res *file)
{
	const struct res *a = d->against ? file : in;
	const struct res *b = d->against ? in : file;
	struct tend_err err = { 0, 0, "" };
	size_t nops;

	if (a != NULL && b != NULL) {
		if (a->digestlen == b->digestlen &&
		    memcmp(a->digest, b->digest, a->digestlen) == 0) {
			d->unchanged++;
			return 0;
		}
		if (applied_select(&d->ap, d->rules, a, b, &err) < 0) {
			warnx("%s", err.msg);
			cli_fail(d->c, TEND_EXIT_INPUT);
			if (!d->c->keep_going)
				return d->stop = 1, -1;
			return 0;
		}
		buf_reset(&d->patch);
		buf_reset(&d->paths);
		nops = jsonpatch_diff(&a->ev.doc, (uint32_t)a->spec, &b->ev.doc,
		    (uint32_t)b->spec, &d->opt, &d->patch, &d->paths);
		d->ignored_nodes += d->ap.ignored;
		d->tolerated_nodes += d->ap.tolerated;
		if (nops == 0) {
			if (d->ap.ignored + d->ap.tolerated > 0)
				d->ignored++;
			else
				d->unchanged++;
			return 0;
		}
		return report(d, d->against ? CH_MODIFIED : MODIFIED, a, b,
		    nops) < 0 && d->stop ? -1 : 0;
	}
	if (d->against)
		return report(d, a != NULL ? CH_REMOVED : CH_ADDED, a, b, 0) <
		    0 && d->stop ? -1 : 0;
	if (b != NULL)
		return report(d, MISSING, NULL, b, 0) < 0 && d->stop ? -1 : 0;
	if (!in_scope(d, a)) {
		d->out_of_scope++;
		return 0;
	}
	return report(d, UNEXPECTED, a, NULL, 0) < 0 && d->stop ? -1 : 0;
}

/*
 * The diff's node callback: with --partial, members the desired spec
 * lacks are not drift (defaults the server filled in); then the rules.
 */
static int
node(void *ctx, const struct jsonpatch_node *n)
{
	struct diff *d = ctx;

	if (d->partial && n->bi < 0 && n->bpath != NULL)
		return JSONPATCH_IGNORE;
	return d->rules != NULL ? applied_node(&d->ap, n) : JSONPATCH_COMPARE;
}

/* Input */

/* The first runid on stdin is the run's, for events with no input. */
static void
note_runid(struct diff *d, const struct res *r)
{
	if (d->have_runid || r->ev.runid < 0)
		return;
	buf_reset(&d->runid);
	event_attr(&r->ev, r->ev.runid, &d->runid);
	buf_grow(&d->runid, 0);
	d->have_runid = 1;
}

static int
bad_line(struct diff *d, struct side *s, const char *line, size_t len,
    const char *why)
{
	if (cli_bad_input(d->c, s->name, s->r.lineno, line, len, why) < 0) {
		d->stop = 1;
		return -1;
	}
	return 0;
}

#define READ_CHUNK	((size_t)256 << 10)

/* Reads more of a seekable side: 1, 0 at the end, -1 with err. */
static int
fill(struct side *s, struct tend_err *err)
{
	ssize_t n;

	if (s->start > 0) {
		memmove(s->buf, s->buf + s->start, s->end - s->start);
		s->base += s->start;
		s->end -= s->start;
		s->start = 0;
	}
	if (s->end + READ_CHUNK + 1 > s->cap) {
		s->cap = s->cap ? s->cap * 2 : READ_CHUNK * 4;
		s->buf = xreallocarray(s->buf, s->cap, 1);
	}
	do
		n = read(s->r.fd, s->buf + s->end, s->cap - s->end - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return tend_err_sys(err, "cannot read '%s'", s->name);
	s->end += (size_t)n;
	return n > 0;
}

/* The next line of s, as ndjson_reader_next gives it. */
static int
next_line(struct side *s, char **line, size_t *len, struct tend_err *err)
{
	size_t max = s->r.max_line, n, avail;
	char *nl;
	int rc;

	if (!s->seekable)
		return ndjson_reader_next(&s->r, line, len, err);
	for (;;) {
		avail = s->end - s->start;
		nl = avail > s->scanned ? memchr(s->buf + s->start +
		    s->scanned, '\n', avail - s->scanned) : NULL;
		if (nl != NULL || (s->eof && avail > 0)) {
			n = nl != NULL ? (size_t)(nl - (s->buf + s->start)) :
			    avail;
			*line = s->buf + s->start;
			*len = n;
			s->buf[s->start + n] = '\0';
			s->lineoff = s->base + s->start;
			s->start += n + (nl != NULL);
			s->scanned = 0;
			if (!s->skipping)
				s->r.lineno++;
			if (s->skipping || n > max) {
				s->skipping = 0;
				return tend_err_set(err, TEND_EXIT_INPUT,
				    "line longer than %zu bytes", max);
			}
			return 1;
		}
		if (s->eof)
			return 0;
		s->scanned = avail;
		if (avail > max) {
			/* Drop the long line's start; find its end. */
			if (!s->skipping)
				s->r.lineno++;
			s->skipping = 1;
			s->base += s->end;
			s->start = s->end = s->scanned = 0;
		}
		if ((rc = fill(s, err)) < 0)
			return -1;
		if (rc == 0)
			s->eof = 1;
	}
}

/*
 * Reads the next resource of side s into s->res: 1, 0 at the end, -1
 * when the run must stop.  On stdin other events are passed through
 * (and state events too, with --pass); in FILE they are bad input.
 */
static int
next_res(struct diff *d, struct side *s)
{
	struct tend_err err = { 0, 0, "" };
	char *line, why[600];
	size_t len;
	int n, k;

	s->have = 0;
	while (!d->stop) {
		n = next_line(s, &line, &len, &err);
		if (n == 0)
			return 0;
		if (n < 0 && err.code == TEND_EXIT_SYSTEM) {
			warnx("%s", err.msg);
			cli_fail(d->c, TEND_EXIT_SYSTEM);
			d->stop = 1;
			return -1;
		}
		if (n < 0) {
			if (bad_line(d, s, "", 0, err.msg) < 0)
				return -1;
			continue;
		}
		k = res_parse(&s->res, line, len, &err);
		if (k < 0) {
			if (bad_line(d, s, line, len, err.msg) < 0)
				return -1;
			continue;
		}
		if (k == 0) {
			if (!s->is_stdin) {
				buf_reset(&d->data);
				event_attr(&s->res.ev, s->res.ev.type,
				    &d->data);
				snprintf(why, sizeof(why), "expected a "
				    "tend.resource.state event, not '%.200s'",
				    d->data.p != NULL ? d->data.p : "");
				if (bad_line(d, s, line, len, why) < 0)
					return -1;
				continue;
			}
			d->passed++;
			if (emit_line(d, line, len) < 0)
				return -1;
			continue;
		}
		if (d->sorted && s->last.p != NULL) {
			size_t m = s->last.len < s->res.key.len ?
			    s->last.len : s->res.key.len;
			int c = memcmp(s->last.p, s->res.key.p, m);

			if (c > 0 ||
			    (c == 0 && s->last.len >= s->res.key.len)) {
				snprintf(why, sizeof(why), c == 0 &&
				    s->last.len == s->res.key.len ?
				    "duplicate key '%.200s'" :
				    "not sorted by key: '%.200s' after "
				    "'%.200s' (--sorted)", s->res.key.p,
				    s->last.p);
				if (bad_line(d, s, line, len, why) < 0)
					return -1;
				continue;
			}
		}
		if (d->sorted) {
			buf_reset(&s->last);
			buf_add(&s->last, s->res.key.p, s->res.key.len);
		}
		if (s->is_stdin) {
			d->n_in++;
			note_runid(d, &s->res);
			if (d->pass && emit_line(d, line, len) < 0)
				return -1;
		} else
			d->n_file++;
		s->lineno = s->r.lineno;
		s->have = 1;
		return 1;
	}
	return -1;
}

static int
open_side(struct diff *d, struct side *s, const char *path)
{
	struct stat st;
	int fd = STDIN_FILENO;

	memset(s, 0, sizeof(*s));
	res_init(&s->res);
	s->is_stdin = path == NULL;
	s->name = path == NULL ? "<stdin>" : path;
	if (path != NULL && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		warn("cannot open '%s'", path);
		cli_fail(d->c, TEND_EXIT_SYSTEM);
		return -1;
	}
	ndjson_reader_init(&s->r, fd, s->name);
	s->r.max_line = d->c->max_line;
	s->r.flush_before_read = &d->c->out;
	if (path != NULL && !d->sorted && fstat(fd, &st) == 0 &&
	    S_ISREG(st.st_mode) && lseek(fd, 0, SEEK_CUR) == 0)
		s->seekable = 1;
	return 0;
}

static void
close_side(struct side *s)
{
	free(s->buf);
	if (!s->is_stdin && s->r.fd >= 0)
		close(s->r.fd);
	ndjson_reader_release(&s->r);
	res_release(&s->res);
	buf_release(&s->last);
}

/* The merge join of two sorted sides. */
static void
run_sorted(struct diff *d, struct side *in, struct side *file)
{
	int ni, nf, c;
	size_t m;

	ni = next_res(d, in);
	nf = ni < 0 ? -1 : next_res(d, file);
	while (ni >= 0 && nf >= 0 && (ni > 0 || nf > 0)) {
		if (ni > 0 && nf > 0) {
			m = in->res.key.len < file->res.key.len ?
			    in->res.key.len : file->res.key.len;
			c = memcmp(in->res.key.p, file->res.key.p, m);
			if (c == 0)
				c = in->res.key.len < file->res.key.len ? -1 :
				    in->res.key.len > file->res.key.len;
		} else
			c = ni > 0 ? -1 : 1;
		if (c == 0) {
			if (compare(d, &in->res, &file->res) < 0)
				return;
			ni = next_res(d, in);
			if (ni >= 0)
				nf = next_res(d, file);
		} else if (c < 0) {
			if (compare(d, &in->res, NULL) < 0)
				return;
			ni = next_res(d, in);
		} else {
			if (compare(d, NULL, &file->res) < 0)
				return;
			nf = next_res(d, file);
		}
	}
}

/*
 * The resource of index entry e into r: from memory, or read again from
 * FILE (into line).  -1 when FILE cannot be read or changed under us.
 */
static int
reload(struct diff *d, struct side *file, const struct dent *e,
    struct res *r, struct buf *line)
{
	struct tend_err err = { 0, 0, "" };
	const char *p = e->line;
	ssize_t n;

	if (p == NULL) {
		buf_reset(line);
		buf_grow(line, e->len);
		do
			n = pread(file->r.fd, line->p, e->len,
			    (off_t)e->off);
		while (n < 0 && errno == EINTR);
		if (n < 0 || (size_t)n != e->len) {
			if (n < 0)
				warn("cannot read '%s'", file->name);
			else
				warnx("%s: changed while read", file->name);
			cli_fail(d->c, TEND_EXIT_SYSTEM);
			d->stop = 1;
			return -1;
		}
		line->len = e->len;
		line->p[e->len] = '\0';
		p = line->p;
	}
	if (res_parse(r, p, e->len, &err) != 1 || r->key.len != e->keylen ||
	    memcmp(r->key.p, e->key, e->keylen) != 0) {
		warnx("%s:%zu: changed while read", file->name, e->lineno);
		cli_fail(d->c, TEND_EXIT_SYSTEM);
		d->stop = 1;
		return -1;
	}
	return 0;
}

/* FILE into memory, then stdin streamed against it. */
static void
run_indexed(struct diff *d, struct side *in, struct side *file)
{
	struct dindex x, extra;
	struct dent *e, *dup;
	struct res r;
	struct buf line = BUF_INIT;
	char why[600];
	size_t i;
	int n;

	dindex_init(&x);
	dindex_init(&extra);
	res_init(&r);
	while ((n = next_res(d, file)) > 0) {
		if (dindex_add(&x, &file->res, file->lineno, file->seekable ?
		    file->lineoff : DINDEX_COPY, &dup) != NULL)
			continue;
		snprintf(why, sizeof(why), "duplicate key '%.200s' (first on "
		    "line %zu)", file->res.key.p, dup->lineno);
		if (bad_line(d, file, file->res.ev.line, file->res.ev.len,
		    why) < 0)
			break;
	}
	if (n < 0 || d->stop)
		goto out;
	while ((n = next_res(d, in)) > 0) {
		e = dindex_find(&x, in->res.key.p, in->res.key.len);
		/* keys FILE lacks go to a second index (keys only), so
		   that one seen twice is caught too */
		if (e == NULL && dindex_add(&extra, &in->res, in->lineno, 0,
		    &dup) != NULL) {
			if (compare(d, &in->res, NULL) < 0)
				break;
			continue;
		}
		if (e == NULL || e->matched) {
			snprintf(why, sizeof(why), "duplicate key '%.200s' "
			    "(first on line %zu)", in->res.key.p, e == NULL ?
			    dup->lineno : e->matched);
			if (bad_line(d, in, in->res.ev.line, in->res.ev.len,
			    why) < 0)
				break;
			continue;
		}
		e->matched = in->lineno;
		/* the fast path: equal digests, no need for FILE's line */
		if (e->digestlen == in->res.digestlen && memcmp(e->digest,
		    in->res.digest, e->digestlen) == 0) {
			d->unchanged++;
			continue;
		}
		if (reload(d, file, e, &r, &line) < 0 ||
		    compare(d, &in->res, &r) < 0)
			break;
	}
	if (n < 0 || d->stop)
		goto out;
	for (i = 0; i < x.n && !d->stop; i++) {
		if (x.e[i].matched)
			continue;
		if (reload(d, file, &x.e[i], &r, &line) < 0 ||
		    compare(d, NULL, &r) < 0)
			break;
	}
out:
	res_release(&r);
	buf_release(&line);
	dindex_release(&x);
	dindex_release(&extra);
}

static void
summary(struct diff *d)
{
	struct buf b = BUF_INIT, ev = BUF_INIT;
	struct event_new en;
	struct tend_err err = { 0, 0, "" };
	size_t i;

	buf_addf(&b, "{\"against\":\"%s\",\"mode\":\"%s\"",
	    d->against ? "snapshot" : "desired",
	    d->sorted ? "sorted" : "indexed");
	if (d->against)
		buf_addf(&b, ",\"current\":%zu,\"previous\":%zu,"
		    "\"modified\":%zu,\"added\":%zu,\"removed\":%zu", d->n_in,
		    d->n_file, d->count[CH_MODIFIED], d->count[CH_ADDED],
		    d->count[CH_REMOVED]);
	else
		buf_addf(&b, ",\"observed\":%zu,\"desired\":%zu,"
		    "\"modified\":%zu,\"missing\":%zu,\"unexpected\":%zu,"
		    "\"out_of_scope\":%zu", d->n_in, d->n_file,
		    d->count[MODIFIED], d->count[MISSING],
		    d->count[UNEXPECTED], d->out_of_scope);
	buf_addf(&b, ",\"unchanged\":%zu,\"ignored\":%zu,"
	    "\"ignored_paths\":%zu,\"tolerated_paths\":%zu", d->unchanged,
	    d->ignored, d->ignored_nodes, d->tolerated_nodes);
	if (!d->against) {
		buf_addf(&b, ",\"below_min_severity\":%zu,\"severity\":{",
		    d->below);
		for (i = 0; i < ARRAY_SIZE(d->by_sev); i++)
			buf_addf(&b, "%s\"%s\":%zu", i ? "," : "",
			    severity_name((enum severity)i), d->by_sev[i]);
		buf_addc(&b, '}');
	}
	buf_addf(&b, ",\"passed\":%zu,\"expired_rules\":", d->passed);
	rules_expired_json(d->rules, &b);
	buf_addc(&b, '}');

	memset(&en, 0, sizeof(en));
	en.source = "tend-diff";
	en.type = "tend.diff.summary";
	en.runid = run_id(d);
	en.time_ns = d->c->now_ns;
	en.data = b.p;
	en.data_len = b.len;
	if (event_build(&ev, &en, &err) < 0)
		BUG(err.msg);
	emit_line(d, ev.p, ev.len);
	buf_release(&b);
	buf_release(&ev);
}

/*
 * Reads state events from stdin and --desired/--against FILE; writes
 * drift (or change) events and a summary.  Fails with 2 on bad options,
 * 3 on bad input or rules, 4 on I/O errors.
 */
int
main(int argc, char *argv[])
{
	struct cli c;
	struct diff d;
	struct side in, file;
	struct tend_err err = { 0, 0, "" };
	const char *ignore = NULL, *env;
	int ch;

	memset(&d, 0, sizeof(d));
	d.c = &c;
	d.min_sev = SEV_INFO;
	cli_init(&c, "tend-diff", usage_text);
	while ((ch = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS "p", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_DESIRED:
		case OPT_AGAINST:
			if (d.file != NULL) {
				warnx("give one --desired or --against");
				cli_usage_error(&c);
			}
			d.file = optarg;
			d.against = ch == OPT_AGAINST;
			break;
		case OPT_EXIT_CODE:
			d.exit_code = 1;
			break;
		case OPT_IGNORE:
			if (ignore != NULL) {
				warnx("give --ignore once");
				cli_usage_error(&c);
			}
			ignore = optarg;
			break;
		case OPT_MIN_SEVERITY:
			d.min_sev = severity_parse(optarg, strlen(optarg));
			if (d.min_sev == SEV_NONE) {
				warnx("--min-severity '%s': not one of info, "
				    "low, medium, high, critical", optarg);
				exit(TEND_EXIT_USAGE);
			}
			break;
		case OPT_SCOPE:
			d.scopes = xreallocarray(d.scopes, d.nscopes + 1,
			    sizeof(*d.scopes));
			if (selector_parse(&d.scopes[d.nscopes], optarg,
			    &err) < 0) {
				warnx("--scope '%s': %s", optarg, err.msg);
				exit(TEND_EXIT_USAGE);
			}
			d.nscopes++;
			break;
		case OPT_PARTIAL:
			d.partial = 1;
			break;
		case OPT_SORTED:
			d.sorted = 1;
			break;
		case 'p':
			d.pass = 1;
			break;
		default:
			if (!cli_common_opt(&c, ch, optarg))
				cli_usage_error(&c);
		}
	}
	argc -= optind;
	if (argc != 0 || d.file == NULL)
		cli_usage_error(&c);
	if (strcmp(d.file, "-") == 0) {
		warnx("stdin is the observed side: --%s needs a file",
		    d.against ? "against" : "desired");
		exit(TEND_EXIT_USAGE);
	}
	if (d.against && (d.nscopes > 0 || d.min_sev != SEV_INFO ||
	    d.partial)) {
		warnx("--partial, --scope and --min-severity are for "
		    "--desired");
		exit(TEND_EXIT_USAGE);
	}
	cli_start(&c);
	if ((env = getenv("TEND_RUNID")) != NULL && *env != '\0')
		d.env_runid = env;

	if (ignore != NULL) {
		if ((d.rules = rules_load(ignore, c.now_ns, &err)) == NULL) {
			warnx("%s", err.msg);
			cli_fail(&c, err.code);
			return cli_finish(&c);
		}
		rules_warn_expired(d.rules);
	}
	applied_init(&d.ap);
	d.opt.name_key = "name";
	d.opt.node = d.rules != NULL || d.partial ? node : NULL;
	d.opt.ctx = &d;

	if (open_side(&d, &file, d.file) == 0) {
		open_side(&d, &in, NULL);
		if (d.sorted)
			run_sorted(&d, &in, &file);
		else
			run_indexed(&d, &in, &file);
		if (!d.stop)
			summary(&d);
		close_side(&in);
		close_side(&file);
	}
	if (d.found && d.exit_code)
		cli_fail(&c, TEND_EXIT_NO);

	applied_release(&d.ap);
	rules_free(d.rules);
	while (d.nscopes > 0)
		selector_release(&d.scopes[--d.nscopes]);
	free(d.scopes);
	buf_release(&d.runid);
	buf_release(&d.head);
	buf_release(&d.tail);
	buf_release(&d.data);
	buf_release(&d.ev);
	buf_release(&d.patch);
	buf_release(&d.paths);
	return cli_finish(&c);
}
