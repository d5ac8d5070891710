/*
 * tend-attest seal: appends a signed checkpoint of the whole log.
 *
 * Incremental: each checkpoint carries the frontier of its tree (the
 * roots of its complete subtrees, O(log n) hashes), and LOG.attest names
 * the seq of the last checkpoint this key wrote.  The next seal reads that
 * checkpoint, checks its signature with its own key and that its frontier
 * folds to its signed root, and hashes only the events after it, seeking
 * there through the log's skip list.  Without a usable LOG.attest it
 * hashes the whole log.
 */
#include "compat.h"

#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include "attest.h"
#include "base64.h"
#include "evlog.h"

struct sealer {
	struct merkle_frontier f;
	unsigned level;		/* of the tiles collected while scanning */
	struct buf tiles;	/* tiles completed while scanning */
	struct buf last;	/* the last event's stored line */
	uint64_t last_seq;
};

/* The least tile level giving at most TILES_MAX tiles for n events. */
static unsigned
tile_level(uint64_t n)
{
	unsigned l = 0;

	while ((n >> l) > TILES_MAX)
		l++;
	return l;
}

/* Raises n tiles (n * 32 bytes in b) from level `from` to `to`. */
static size_t
tiles_up(struct buf *b, size_t n, unsigned from, unsigned to)
{
	for (; from < to; from++)
		n = merkle_nodes_up((unsigned char *)b->p, n);
	b->len = n * MERKLE_HASH_LEN;
	return n;
}

static int
seal_event(void *arg, const struct scan_event *se, struct tend_err *err)
{
	struct sealer *s = arg;
	unsigned char h[MERKLE_HASH_LEN], node[MERKLE_HASH_LEN];

	(void)err;
	merkle_hash_leaf(se->line, se->len, h);
	if (merkle_frontier_append_level(&s->f, h, s->level, node))
		buf_add(&s->tiles, node, sizeof(node));
	buf_reset(&s->last);
	buf_add(&s->last, se->line, se->len);
	s->last_seq = se->seq;
	return 0;
}

/* The seq of the log's last event (0 for an empty log), from its tail. */
static int
last_seq(const char *log, uint64_t *seq, struct tend_err *err)
{
	struct evlog_reader r;
	struct evlog_seal tail;
	int n;

	*seq = 0;
	if (evlog_reader_open(&r, log, err) < 0)
		return -1;
	n = evlog_reader_tail(&r, &tail, err);
	evlog_reader_close(&r);
	if (n < 0)
		return -1;
	if (n > 0)
		*seq = tail.first_seq + tail.count - 1;
	return 0;
}

/* The first event scanned, copied out. */
static int
first_event(void *arg, const struct scan_event *se, struct tend_err *err)
{
	struct sealer *s = arg;

	(void)err;
	buf_add(&s->last, se->line, se->len);
	s->last_seq = se->seq;
	return 1;
}

/*
 * Reads the checkpoint LOG.attest points at into ck (its stored line into
 * line).  0 if it is one this key signed and is sound, else -1 with err.
 */
static int
load_hint(const char *log, const struct sign_key *key, struct checkpoint *ck,
    struct buf *line, struct tend_err *err)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	struct sealer s;
	struct event ev;
	const char *errstr;
	long long seq;
	int rc = -1;

	memset(&s, 0, sizeof(s));
	buf_init(&s.last);
	event_init(&ev);
	buf_addf(&path, "%s.attest", log);
	if (read_file(path.p, &text, 64, err) < 0)
		goto done;
	if (text.len > 0 && text.p[text.len - 1] == '\n')
		text.p[--text.len] = '\0';
	seq = strtonum(text.p, 1, LLONG_MAX, &errstr);
	if (errstr != NULL) {
		tend_err_set(err, TEND_EXIT_INPUT, "%s: not a seq", path.p);
		goto done;
	}
	if (scan_log(log, (uint64_t)seq, first_event, &s, NULL, err) < 0)
		goto done;
	if (s.last_seq != (uint64_t)seq) {
		tend_err_set(err, TEND_EXIT_INPUT, "%s: no seq %lld in the "
		    "log", path.p, seq);
		goto done;
	}
	if (event_parse(&ev, s.last.p, s.last.len, err) < 0 ||
	    !event_attr_eq(&ev, ev.type, CHECKPOINT_TYPE) ||
	    checkpoint_parse(ck, &ev, err) < 0 ||
	    checkpoint_verify(ck->note.p, ck->note.len, key, 1, NULL,
	    err) < 0) {
		char why[sizeof(err->msg)];

		strlcpy(why, err->msg, sizeof(why));
		tend_err_set(err, TEND_EXIT_INPUT, "%s: seq %lld is not a "
		    "checkpoint of this key: %s", path.p, seq, why);
		goto done;
	}
	ck->seq = (uint64_t)seq;
	buf_reset(line);
	buf_add(line, s.last.p, s.last.len);
	rc = 0;
done:
	event_release(&ev);
	buf_release(&s.last);
	buf_release(&path);
	buf_release(&text);
	return rc;
}

/* The data of the checkpoint event. */
static void
checkpoint_data(struct buf *out, const struct note_checkpoint *cp,
    const struct merkle_frontier *f, unsigned level, const struct buf *tiles,
    const struct sign_key *k, const char *note, size_t len, size_t text_len)
{
	unsigned char fh[64 * MERKLE_HASH_LEN];
	char keyname[SIGN_NAME_MAX + 16];
	size_t i, n = merkle_frontier_count(f->size);
	size_t sig_off;

	buf_adds(out, "{\"origin\":");
	buf_add_json_str(out, cp->origin, strlen(cp->origin));
	buf_addf(out, ",\"tree_size\":%llu,\"root_hash\":\"",
	    (unsigned long long)cp->size);
	base64_encode(out, cp->root, sizeof(cp->root), BASE64_STD);
	snprintf(keyname, sizeof(keyname), "%s+%08x", k->name,
	    (unsigned)k->id);
	buf_adds(out, "\",\"key_id\":");
	buf_add_json_str(out, keyname, strlen(keyname));
	/* the note ends "\n— NAME SIG\n": SIG is the signature */
	sig_off = text_len + 1 + 4 + strlen(k->name) + 1;
	buf_adds(out, ",\"signature\":");
	buf_add_json_str(out, note + sig_off, len - sig_off - 1);
	for (i = 0; i < n; i++)
		memcpy(fh + i * MERKLE_HASH_LEN, merkle_frontier_at(f, i),
		    MERKLE_HASH_LEN);
	buf_adds(out, ",\"frontier\":");
	add_hash_array(out, fh, n);
	buf_addf(out, ",\"tile_level\":%u,\"tiles\":", level);
	add_hash_array(out, (const unsigned char *)tiles->p,
	    tiles->len / MERKLE_HASH_LEN);
	buf_adds(out, ",\"note\":");
	buf_add_json_str(out, note, len);
	buf_addc(out, '}');
}

/* Appends line to the log durably; the stored line (no newline) to out. */
static int
append_line(const char *log, const char *line, size_t len, struct buf *out,
    struct tend_err *err)
{
	struct evlog_writer w;
	struct evlog_writer_opts wo;
	struct tend_err cerr = { 0 };
	int rc = 0;

	memset(&wo, 0, sizeof(wo));
	wo.sync = EVLOG_SYNC_ALWAYS;
	wo.level = EVLOG_LEVEL_DEFAULT;
	wo.frame_bytes = EVLOG_FRAME_BYTES_DEFAULT;
	wo.frame_events = EVLOG_FRAME_EVENTS_DEFAULT;
	if (evlog_writer_open(&w, log, &wo, err) < 0)
		return -1;
	if (evlog_writer_append(&w, line, len, out, err) < 0)
		rc = -1;
	if (evlog_writer_close(&w, out, rc < 0 ? &cerr : err) < 0)
		rc = -1;
	if (rc == 0 && (out->len == 0 || out->p[out->len - 1] != '\n'))
		return tend_err_set(err, TEND_EXIT_SYSTEM,
		    "%s: the log did not hand back the stored checkpoint", log);
	if (rc == 0)
		out->p[--out->len] = '\0';
	return rc;
}

static uint64_t
stored_seq(const char *line)
{
	if (strncmp(line, "{\"seq\":", 7) != 0)
		return 0;
	return strtoull(line + 7, NULL, 10);
}

static int
publish_all(struct cli *c, const struct opts *o,
    const struct note_checkpoint *cp, const char *note, size_t len)
{
	struct tend_err err = { 0 };
	size_t i;
	int st = 0;

	for (i = 0; i < o->npublish; i++)
		if (publish_note(o->publish[i], o->publish_method, cp, note,
		    len, &err) < 0) {
			warnx("%s", err.msg);
			st = TEND_EXIT_SYSTEM;
		}
	(void)c;
	return st;
}

int
cmd_seal(struct cli *c, const struct opts *o, int argc, char **argv)
{
	struct sign_key key;
	struct tend_err err = { 0 };
	struct checkpoint hint;
	struct sealer s;
	struct note_checkpoint cp;
	struct event ev;
	struct event_new en;
	struct buf text = BUF_INIT, note = BUF_INIT, data = BUF_INIT,
	    line = BUF_INIT, stored = BUF_INIT, hintline = BUF_INIT,
	    subject = BUF_INIT, cause = BUF_INIT, path = BUF_INIT;
	struct buf tiles = BUF_INIT;
	const char *log, *origin;
	uint64_t from = 1, seq, last;
	unsigned level;
	size_t ntiles;
	int have_hint = 0, st = 0;

	if (argc != 1 || o->key == NULL)
		cli_usage_error(c);
	log = argv[0];
	if (sign_key_load_secret(&key, o->key, &err) < 0)
		errx(err.code, "%s", err.msg);
	origin = o->origin != NULL ? o->origin : key.name;
	if (note_origin_check(origin, strlen(origin), &err) < 0)
		errx(TEND_EXIT_USAGE, "--origin: %s", err.msg);
	memset(&s, 0, sizeof(s));
	buf_init(&s.last);
	buf_init(&s.tiles);
	merkle_frontier_init(&s.f);
	checkpoint_init(&hint);
	event_init(&ev);

	buf_addf(&path, "%s.attest", log);
	if (access(path.p, F_OK) < 0 && errno == ENOENT) {
		/* never sealed here: hash it all */
	} else if (load_hint(log, &key, &hint, &hintline, &err) == 0) {
		have_hint = 1;
		s.f = hint.frontier;
		from = hint.cp.size + 1;
	} else {
		warnx("%s; hashing the whole log", err.msg);
	}
	/*
	 * Tiles: the last checkpoint's, raised to the level the log's size
	 * calls for, then those completed from here on at that level.
	 */
	if (last_seq(log, &last, &err) < 0) {
		log_warn(log, &err);
		st = err.code == TEND_EXIT_SYSTEM ? TEND_EXIT_SYSTEM :
		    TEND_EXIT_INPUT;
		goto done;
	}
	s.level = tile_level(last);
	if (have_hint) {
		if (s.level < hint.tile_level)
			s.level = hint.tile_level;
		buf_add(&tiles, hint.tiles, hint.ntiles * MERKLE_HASH_LEN);
		tiles_up(&tiles, hint.ntiles, hint.tile_level, s.level);
	}
	if (scan_log(log, from, seal_event, &s, NULL, &err) < 0) {
		log_warn(log, &err);
		st = err.code == TEND_EXIT_SYSTEM ? TEND_EXIT_SYSTEM :
		    TEND_EXIT_INPUT;
		goto done;
	}
	if (s.f.size < from - 1) {
		warnx("%s: the log has %llu events, fewer than its last "
		    "checkpoint covers", log, (unsigned long long)s.f.size);
		st = TEND_EXIT_INPUT;
		goto done;
	}

	/* nothing but the last checkpoint itself since it: print that one */
	if (have_hint && s.f.size == hint.cp.size + 1 &&
	    s.last_seq == hint.seq && strcmp(origin, hint.cp.origin) == 0) {
		if (cli_emit(c, hintline.p, hintline.len) < 0)
			goto done;
		st = publish_all(c, o, &hint.cp, hint.note.p, hint.note.len);
		goto done;
	}

	memset(&cp, 0, sizeof(cp));
	strlcpy(cp.origin, origin, sizeof(cp.origin));
	cp.size = s.f.size;
	merkle_frontier_root(&s.f, cp.root);
	note_checkpoint_format(&cp, &text);
	if (note_sign(&note, text.p, text.len, &key, &err) < 0)
		BUG(err.msg);
	buf_add(&tiles, s.tiles.p, s.tiles.len);
	level = tile_level(cp.size);
	if (level < s.level)
		level = s.level;
	ntiles = tiles_up(&tiles, tiles.len / MERKLE_HASH_LEN, s.level, level);
	if (ntiles != (cp.size >> level))
		BUG("tiles do not cover the tree");
	checkpoint_data(&data, &cp, &s.f, level, &tiles, &key, note.p,
	    note.len, text.len);

	/* the cause: the last event the checkpoint covers */
	if (s.last.len > 0 && event_parse(&ev, s.last.p, s.last.len,
	    &err) == 0)
		event_attr(&ev, ev.id, &cause);
	buf_adds(&subject, "log:");
	buf_adds(&subject, origin);
	memset(&en, 0, sizeof(en));
	en.source = ATTEST_SOURCE;
	en.type = CHECKPOINT_TYPE;
	en.subject = subject.p;
	en.runid = getenv("TEND_RUNID");
	if (en.runid != NULL && *en.runid == '\0')
		en.runid = NULL;
	en.causeid = cause.len > 0 ? cause.p : NULL;
	en.time_ns = c->now_ns;
	en.data = data.p;
	en.data_len = data.len;
	if (event_build(&line, &en, &err) < 0)
		BUG(err.msg);

	if (append_line(log, line.p, line.len, &stored, &err) < 0) {
		warnx("%s", err.msg);
		st = err.code == TEND_EXIT_INPUT ? TEND_EXIT_INPUT :
		    TEND_EXIT_SYSTEM;
		goto done;
	}
	if (cli_emit(c, stored.p, stored.len) < 0)
		goto publish;
	if ((seq = stored_seq(stored.p)) > 0) {
		char num[32];
		int n = snprintf(num, sizeof(num), "%llu\n",
		    (unsigned long long)seq);

		if (write_file_atomic(path.p, num, (size_t)n, 0644, &err) < 0)
			warnx("%s (the next seal hashes the whole log)",
			    err.msg);
	}
publish:
	st = publish_all(c, o, &cp, note.p, note.len);
done:
	sign_key_wipe(&key);
	checkpoint_release(&hint);
	event_release(&ev);
	buf_release(&s.last);
	buf_release(&s.tiles);
	buf_release(&tiles);
	buf_release(&text);
	buf_release(&note);
	buf_release(&data);
	buf_release(&line);
	buf_release(&stored);
	buf_release(&hintline);
	buf_release(&subject);
	buf_release(&cause);
	buf_release(&path);
	return st;
}
