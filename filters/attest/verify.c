/*
 * tend-attest verify: recomputes the Merkle tree of the whole log and
 * checks every checkpoint in it: its parts agree, a known key signed it,
 * its id is its content's, it covers no more events than precede it, its
 * root is the root of that many events, and it is consistent with the
 * checkpoint before it (a consistency proof between the two, made from
 * the recomputed tree, verified against the two signed roots).  Then each
 * --trusted checkpoint (a copy kept elsewhere) must be extended by the
 * log.  The first problem found is reported, with the seq or byte offset
 * where the log stops matching what was signed, and ends the run (exit 1).
 */
#include "compat.h"

#include "attest.h"
#include "base64.h"
#include "xmalloc.h"

struct verifier {
	const char *log;
	const struct opts *o;
	struct sign_key keys[MAX_KEYS];
	size_t	 nkeys;
	struct merkle_tree t;
	struct event ev;
	struct checkpoint ck;
	uint64_t checkpoints;	/* verified */
	uint64_t good_size;	/* the largest size a verified one covers */
	uint64_t last_size;	/* the previous verified checkpoint */
	uint64_t last_seq;
	unsigned char last_root[MERKLE_HASH_LEN];
	uint64_t *sizes;	/* of every verified checkpoint */
	size_t	 nsizes, sizescap;
};

/*
 * The first subtree of the frontier of `size` leaves whose recomputed
 * hash differs from the signed frontier f: sets [*lo, *hi) to its leaves.
 * Returns 0 if one differs, -1 if none does.
 */
static int
frontier_diff(const struct merkle_tree *t, const struct merkle_frontier *f,
    uint64_t size, uint64_t *lo, uint64_t *hi)
{
	uint64_t off = 0, n;
	int k;

	for (k = 63; k >= 0; k--) {
		if ((size & ((uint64_t)1 << k)) == 0)
			continue;
		n = (uint64_t)1 << k;
		if ((off >> k) >= t->level[k].n)
			return -1;
		if (memcmp(t->level[k].h[off >> k], f->node[k],
		    MERKLE_HASH_LEN) != 0) {
			*lo = off;
			*hi = off + n;
			return 0;
		}
		off += n;
	}
	return -1;
}

/*
 * The largest size <= n of a verified checkpoint (0 if none): its events
 * are as they were signed, so a change must come after it.
 */
static uint64_t
intact_below(const struct verifier *v, uint64_t n)
{
	uint64_t best = 0;
	size_t i;

	for (i = 0; i < v->nsizes; i++)
		if (v->sizes[i] <= n && v->sizes[i] > best)
			best = v->sizes[i];
	return best;
}

/*
 * The first tile of ck whose recomputed hash differs: sets [*lo, *hi).
 * Returns 0 if one does, else -1.
 */
static int
tile_diff(const struct merkle_tree *t, const struct checkpoint *ck,
    uint64_t *lo, uint64_t *hi)
{
	unsigned L = ck->tile_level;
	size_t i;

	for (i = 0; i < ck->ntiles && i < t->level[L].n; i++)
		if (memcmp(t->level[L].h[i], ck->tiles + i * MERKLE_HASH_LEN,
		    MERKLE_HASH_LEN) != 0) {
			*lo = (uint64_t)i << L;
			*hi = (uint64_t)(i + 1) << L;
			return 0;
		}
	return -1;
}

/*
 * Says where events 1..n stop matching the signed ones: after the largest
 * verified checkpoint below n, in the first signed subtree (of ck's
 * frontier, or failing that of its tiles) that does not match.
 */
static void
where_changed(const struct verifier *v, const struct checkpoint *ck,
    uint64_t n, struct buf *out)
{
	uint64_t lo = intact_below(v, n), hi = n, flo, fhi;

	if (ck != NULL && (tile_diff(&v->t, ck, &flo, &fhi) == 0 ||
	    frontier_diff(&v->t, &ck->frontier, n, &flo, &fhi) == 0)) {
		if (flo > lo)
			lo = flo;
		if (fhi < hi)
			hi = fhi;
	}
	if (lo + 1 == hi)
		buf_addf(out, "seq %llu changed", (unsigned long long)hi);
	else
		buf_addf(out, "the first change is within seq %llu..%llu",
		    (unsigned long long)lo + 1, (unsigned long long)hi);
}

static int
check_id(const struct event *ev, struct tend_err *err)
{
	struct buf runid = BUF_INIT, type = BUF_INIT, subject = BUF_INIT,
	    cause = BUF_INIT, id = BUF_INIT;
	struct event_new en;
	char want[33];
	const char *raw;
	size_t rawlen;
	int rc = -1;

	memset(&en, 0, sizeof(en));
	event_attr(ev, ev->type, &type);
	event_attr(ev, ev->id, &id);
	en.type = type.p;
	if (ev->runid >= 0) {
		event_attr(ev, ev->runid, &runid);
		en.runid = runid.p;
	}
	if (ev->subject >= 0) {
		event_attr(ev, ev->subject, &subject);
		en.subject = subject.p;
	}
	if (ev->causeid >= 0) {
		event_attr(ev, ev->causeid, &cause);
		en.causeid = cause.p;
	}
	raw = json_raw(&ev->doc, (uint32_t)ev->data, &rawlen);
	en.data = raw;
	en.data_len = rawlen;
	if (event_derive_id(&en, want, err) < 0 || id.len != 32 ||
	    memcmp(want, id.p, 32) != 0)
		tend_err_set(err, TEND_EXIT_NO,
		    "its id is not the digest of its content");
	else if (!event_attr_eq(ev, ev->source, ATTEST_SOURCE))
		tend_err_set(err, TEND_EXIT_NO,
		    "its source is not " ATTEST_SOURCE);
	else
		rc = 0;
	buf_release(&runid);
	buf_release(&type);
	buf_release(&subject);
	buf_release(&cause);
	buf_release(&id);
	return rc;
}

static int
check_checkpoint(struct verifier *v, uint64_t seq, struct tend_err *err)
{
	unsigned char root[MERKLE_HASH_LEN];
	unsigned char proof[MERKLE_MAX_PROOF * MERKLE_HASH_LEN];
	struct buf where = BUF_INIT;
	uint64_t n, m, big;
	size_t np;
	char why[sizeof(err->msg)];

	if (checkpoint_parse(&v->ck, &v->ev, err) < 0 ||
	    checkpoint_verify(v->ck.note.p, v->ck.note.len, v->keys,
	    v->nkeys, NULL, err) < 0 || check_id(&v->ev, err) < 0) {
		strlcpy(why, err->msg, sizeof(why));
		return tend_err_set(err, TEND_EXIT_NO, "seq %llu: checkpoint: "
		    "%s", (unsigned long long)seq, why);
	}
	n = v->ck.cp.size;
	if (n > v->t.size) {
		uint64_t lo, hi;

		/* events are missing: the first tile that differs says where */
		if (tile_diff(&v->t, &v->ck, &lo, &hi) < 0) {
			/* every tile there is to compare matches */
			lo = v->ck.ntiles < v->t.level[v->ck.tile_level].n ?
			    v->ck.ntiles : v->t.level[v->ck.tile_level].n;
			lo <<= v->ck.tile_level;
			hi = n;
		}
		if (lo < intact_below(v, n))
			lo = intact_below(v, n);
		return tend_err_set(err, TEND_EXIT_NO, "seq %llu: checkpoint "
		    "of %llu events, but only %llu come before it: the first "
		    "change is within seq %llu..%llu",
		    (unsigned long long)seq, (unsigned long long)n,
		    (unsigned long long)v->t.size, (unsigned long long)lo + 1,
		    (unsigned long long)hi);
	}
	if (merkle_tree_root(&v->t, n, root, err) < 0)
		BUG(err->msg);
	if (memcmp(root, v->ck.cp.root, sizeof(root)) != 0) {
		where_changed(v, &v->ck, n, &where);
		tend_err_set(err, TEND_EXIT_NO, "seq %llu: the checkpoint of "
		    "%llu events does not match the log: %s",
		    (unsigned long long)seq, (unsigned long long)n, where.p);
		buf_release(&where);
		return -1;
	}
	/* consistent with the one before (both roots are signed) */
	if (v->checkpoints > 0 && n != v->last_size) {
		m = n < v->last_size ? n : v->last_size;
		big = n < v->last_size ? v->last_size : n;
		if (m > 0 && (merkle_consistency_proof(&v->t, m, big, proof,
		    &np, err) < 0 || merkle_verify_consistency(m, big, proof,
		    np, m == n ? v->ck.cp.root : v->last_root, MERKLE_HASH_LEN,
		    m == n ? v->last_root : v->ck.cp.root, MERKLE_HASH_LEN,
		    err) < 0)) {
			strlcpy(why, err->msg, sizeof(why));
			return tend_err_set(err, TEND_EXIT_NO, "seq %llu: not "
			    "consistent with the checkpoint at seq %llu: %s",
			    (unsigned long long)seq,
			    (unsigned long long)v->last_seq, why);
		}
	}
	v->checkpoints++;
	if (v->nsizes == v->sizescap) {
		v->sizescap = v->sizescap ? v->sizescap * 2 : 16;
		v->sizes = xreallocarray(v->sizes, v->sizescap,
		    sizeof(*v->sizes));
	}
	v->sizes[v->nsizes++] = n;
	if (n > v->good_size)
		v->good_size = n;
	v->last_size = n;
	v->last_seq = seq;
	memcpy(v->last_root, v->ck.cp.root, sizeof(v->last_root));
	return 0;
}

static int
verify_event(void *arg, const struct scan_event *se, struct tend_err *err)
{
	struct verifier *v = arg;
	unsigned char h[MERKLE_HASH_LEN];

	if (maybe_checkpoint(se->line, se->len)) {
		if (event_parse(&v->ev, se->line, se->len, err) < 0) {
			char why[sizeof(err->msg)];

			strlcpy(why, err->msg, sizeof(why));
			return tend_err_set(err, TEND_EXIT_NO,
			    "seq %llu: not a valid event: %s",
			    (unsigned long long)se->seq, why);
		}
		if (event_attr_eq(&v->ev, v->ev.type, CHECKPOINT_TYPE) &&
		    check_checkpoint(v, se->seq, err) < 0)
			return -1;
	}
	merkle_hash_leaf(se->line, se->len, h);
	merkle_tree_append(&v->t, h);
	return 0;
}

/* 0 if the log extends the trusted checkpoint in file path. */
static int
check_trusted(struct verifier *v, const char *path, struct tend_err *err)
{
	struct buf text = BUF_INIT, where = BUF_INIT;
	struct note_checkpoint cp;
	unsigned char root[MERKLE_HASH_LEN];
	size_t tl;
	int rc = -1;

	if (read_note(path, &text, err) < 0)
		goto done;
	if (checkpoint_verify(text.p, text.len, v->keys, v->nkeys, NULL,
	    err) < 0 || note_split(text.p, text.len, &tl, err) < 0 ||
	    note_checkpoint_parse(&cp, text.p, tl, err) < 0) {
		char why[sizeof(err->msg)];

		strlcpy(why, err->msg, sizeof(why));
		tend_err_set(err, TEND_EXIT_INPUT, "trusted checkpoint '%s': "
		    "%s", path, why);
		goto done;
	}
	if (cp.size > v->t.size) {
		tend_err_set(err, TEND_EXIT_NO, "the log has %llu events, "
		    "fewer than the %llu of trusted checkpoint '%s': it lost "
		    "events after seq %llu", (unsigned long long)v->t.size,
		    (unsigned long long)cp.size, path,
		    (unsigned long long)v->t.size);
		goto done;
	}
	if (merkle_tree_root(&v->t, cp.size, root, err) < 0)
		BUG(err->msg);
	if (memcmp(root, cp.root, sizeof(root)) != 0) {
		where_changed(v, NULL, cp.size, &where);
		tend_err_set(err, TEND_EXIT_NO, "the log does not extend "
		    "trusted checkpoint '%s' of %llu events: %s", path,
		    (unsigned long long)cp.size, where.p);
		goto done;
	}
	rc = 0;
done:
	buf_release(&text);
	buf_release(&where);
	return rc;
}

int
cmd_verify(struct cli *c, const struct opts *o, int argc, char **argv)
{
	struct verifier v;
	struct tend_err err = { 0 };
	uint64_t torn[2];
	size_t i;
	int st = 0;

	if (argc != 1)
		cli_usage_error(c);
	memset(&v, 0, sizeof(v));
	v.log = argv[0];
	v.o = o;
	v.nkeys = load_pubs(o, v.keys);
	merkle_tree_init(&v.t);
	event_init(&v.ev);
	checkpoint_init(&v.ck);

	if (scan_log(v.log, 1, verify_event, &v, torn, &err) < 0) {
		log_warn(v.log, &err);
		st = err.code == TEND_EXIT_NO ? TEND_EXIT_NO :
		    err.code == TEND_EXIT_SYSTEM ? TEND_EXIT_SYSTEM :
		    TEND_EXIT_NO;
		goto done;
	}
	/*
	 * A partial last unit: a writer died mid-write, or the end of the
	 * file was cut or changed.  Either way the log is not as written.
	 */
	if (torn[1] > 0) {
		warnx("%s: the end from byte %llu (after seq %llu) is "
		    "damaged: %llu bytes that are not a whole frame (a writer "
		    "that died, or a cut or changed end; the next append "
		    "moves them aside)",
		    v.log, (unsigned long long)torn[0],
		    (unsigned long long)v.t.size,
		    (unsigned long long)torn[1]);
		st = TEND_EXIT_NO;
		goto done;
	}
	for (i = 0; i < o->ntrusted; i++)
		if (check_trusted(&v, o->trusted[i], &err) < 0) {
			log_warn(v.log, &err);
			st = err.code == TEND_EXIT_NO ? TEND_EXIT_NO :
			    err.code == TEND_EXIT_SYSTEM ? TEND_EXIT_SYSTEM :
			    TEND_EXIT_INPUT;
			goto done;
		}
	if (v.checkpoints == 0 && o->ntrusted == 0 && v.t.size > 0) {
		warnx("%s: no checkpoint: none of its %llu events is signed",
		    v.log, (unsigned long long)v.t.size);
		st = TEND_EXIT_NO;
		goto done;
	}
	if (!o->quiet && v.t.size > v.good_size + 1)
		warnx("%s: seq %llu..%llu are not covered by a checkpoint yet",
		    v.log,
		    (unsigned long long)v.good_size + 1,
		    (unsigned long long)v.t.size);
	if (!o->quiet)
		fprintf(stderr, "%s: %s: intact: %llu events, %llu "
		    "checkpoints, the largest of %llu events; %zu trusted "
		    "checkpoints extended\n", getprogname(), v.log,
		    (unsigned long long)v.t.size,
		    (unsigned long long)v.checkpoints,
		    (unsigned long long)v.good_size, o->ntrusted);
done:
	merkle_tree_release(&v.t);
	event_release(&v.ev);
	checkpoint_release(&v.ck);
	free(v.sizes);
	for (i = 0; i < v.nkeys; i++)
		sign_key_wipe(&v.keys[i]);
	return st;
}
