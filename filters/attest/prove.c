/*
 * tend-attest prove, consistency and check-proof.
 *
 * Proofs are one line of JSON each (not events):
 *
 *   {"proof":"inclusion","seq":S,"id":ID,"leaf_index":S-1,"tree_size":N,
 *    "leaf_hash":B64,"hashes":[B64,...],"event":STORED LINE,
 *    "checkpoint":SIGNED NOTE}
 *   {"proof":"consistency","size1":M,"size2":N,"root1":B64,"root2":B64,
 *    "hashes":[B64,...],"checkpoint1":NOTE,"checkpoint2":NOTE}
 *
 * (checkpoint1/2 only when the log holds a checkpoint of that size.)
 * check-proof trusts none of a proof's claims: it hashes the event
 * itself, takes roots only from checkpoints a --pub key signed, and
 * checks the event's seq against the leaf index.
 */
#include "compat.h"

#include "attest.h"
#include "base64.h"
#include "dsse.h"
#include "xmalloc.h"

/* What prove and consistency gather from the log. */
struct gather {
	struct merkle_tree t;
	struct event ev;
	struct checkpoint ck;	/* scratch */
	/* prove: the event wanted */
	const char *id;
	uint64_t seq;
	struct buf line;
	uint64_t found;		/* its seq, 0 if not found */
	/* every checkpoint: size, seq and note */
	struct found_ckpt {
		uint64_t size, seq;
		char	*note;
		size_t	 len;
	} *cks;
	size_t	 ncks, ckscap;
};

static void
gather_init(struct gather *g)
{
	memset(g, 0, sizeof(*g));
	merkle_tree_init(&g->t);
	event_init(&g->ev);
	checkpoint_init(&g->ck);
	buf_init(&g->line);
}

static void
gather_release(struct gather *g)
{
	size_t i;

	merkle_tree_release(&g->t);
	event_release(&g->ev);
	checkpoint_release(&g->ck);
	buf_release(&g->line);
	for (i = 0; i < g->ncks; i++)
		free(g->cks[i].note);
	free(g->cks);
}

/* 1 if id is made of characters JSON never escapes, so a raw match works */
static int
plain_id(const char *id)
{
	for (; *id != '\0'; id++)
		if ((unsigned char)*id < 0x20 || *id == '"' || *id == '\\' ||
		    (unsigned char)*id >= 0x80)
			return 0;
	return 1;
}

static int
gather_event(void *arg, const struct scan_event *se, struct tend_err *err)
{
	struct gather *g = arg;
	unsigned char h[MERKLE_HASH_LEN];
	int parsed = 0;

	if (maybe_checkpoint(se->line, se->len) &&
	    event_parse(&g->ev, se->line, se->len, err) == 0) {
		parsed = 1;
		if (event_attr_eq(&g->ev, g->ev.type, CHECKPOINT_TYPE) &&
		    checkpoint_parse(&g->ck, &g->ev, err) == 0) {
			struct found_ckpt *f;

			if (g->ncks == g->ckscap) {
				g->ckscap = g->ckscap ? g->ckscap * 2 : 16;
				g->cks = xreallocarray(g->cks, g->ckscap,
				    sizeof(*g->cks));
			}
			f = &g->cks[g->ncks++];
			f->size = g->ck.cp.size;
			f->seq = se->seq;
			f->len = g->ck.note.len;
			f->note = xmalloc(f->len + 1);
			memcpy(f->note, g->ck.note.p, f->len + 1);
		}
	}
	if (g->found == 0 && (se->seq == g->seq || (g->id != NULL &&
	    (!plain_id(g->id) || memmem(se->line, se->len, g->id,
	    strlen(g->id)) != NULL)))) {
		if (g->seq == 0 && (parsed || event_parse(&g->ev, se->line,
		    se->len, err) == 0) &&
		    event_attr_eq(&g->ev, g->ev.id, g->id))
			g->found = se->seq;
		else if (g->seq != 0)
			g->found = se->seq;
		if (g->found != 0)
			buf_add(&g->line, se->line, se->len);
	}
	merkle_hash_leaf(se->line, se->len, h);
	merkle_tree_append(&g->t, h);
	return 0;
}

/* Scans the log; exits on damage (1) or I/O errors (4). */
static void
gather_log(const char *log, struct gather *g)
{
	struct tend_err err = { 0 };

	if (scan_log(log, 1, gather_event, g, NULL, &err) < 0) {
		log_warn(log, &err);
		exit(err.code == TEND_EXIT_SYSTEM ? TEND_EXIT_SYSTEM :
		    TEND_EXIT_NO);
	}
}

/* The checkpoint of the given size whose root is the log's, or NULL. */
static const struct found_ckpt *
checkpoint_of(const struct gather *g, uint64_t size,
    const unsigned char root[MERKLE_HASH_LEN])
{
	struct note_checkpoint cp;
	struct tend_err err = { 0 };
	size_t i, tl;

	for (i = g->ncks; i-- > 0;) {
		if (g->cks[i].size != size ||
		    note_split(g->cks[i].note, g->cks[i].len, &tl, &err) < 0 ||
		    note_checkpoint_parse(&cp, g->cks[i].note, tl, &err) < 0)
			continue;
		if (memcmp(cp.root, root, MERKLE_HASH_LEN) == 0)
			return &g->cks[i];
	}
	return NULL;
}

int
cmd_prove(struct cli *c, const struct opts *o, int argc, char **argv)
{
	struct gather g;
	struct tend_err err = { 0 };
	struct sign_key keys[MAX_KEYS];
	struct note_checkpoint cp;
	unsigned char root[MERKLE_HASH_LEN];
	unsigned char proof[MERKLE_MAX_PROOF * MERKLE_HASH_LEN];
	const struct found_ckpt *f;
	struct buf out = BUF_INIT, id = BUF_INIT;
	size_t n, tl, nkeys = 0, i;
	int st = 0;

	if (argc != 1 || (o->id == NULL) == (o->seq == 0)) {
		if (argc == 1)
			warnx("prove takes one of --id and --seq");
		cli_usage_error(c);
	}
	if (o->npub > 0)
		nkeys = load_pubs(o, keys);
	gather_init(&g);
	g.id = o->id;
	g.seq = o->seq;
	gather_log(argv[0], &g);
	if (g.found == 0) {
		if (o->id != NULL)
			warnx("%s: no event with id '%s'", argv[0], o->id);
		else
			warnx("%s: no seq %llu: the log has %llu events",
			    argv[0], (unsigned long long)o->seq,
			    (unsigned long long)g.t.size);
		st = TEND_EXIT_INPUT;
		goto done;
	}
	if (g.ncks == 0 || g.cks[g.ncks - 1].size < g.found) {
		warnx("%s: seq %llu is not covered by a checkpoint yet "
		    "(tend attest seal)", argv[0], (unsigned long long)g.found);
		st = TEND_EXIT_NO;
		goto done;
	}
	f = &g.cks[g.ncks - 1];
	if (note_split(f->note, f->len, &tl, &err) < 0 ||
	    note_checkpoint_parse(&cp, f->note, tl, &err) < 0)
		BUG("a checkpoint parsed before does not now");
	if (nkeys > 0 && checkpoint_verify(f->note, f->len, keys, nkeys,
	    NULL, &err) < 0) {
		warnx("%s: the checkpoint at seq %llu: %s", argv[0],
		    (unsigned long long)f->seq, err.msg);
		st = TEND_EXIT_NO;
		goto done;
	}
	if (merkle_tree_root(&g.t, cp.size, root, &err) < 0)
		BUG(err.msg);
	if (memcmp(root, cp.root, sizeof(root)) != 0) {
		warnx("%s: the log does not match its checkpoint at seq %llu "
		    "(tend attest verify says where)", argv[0],
		    (unsigned long long)f->seq);
		st = TEND_EXIT_NO;
		goto done;
	}
	if (merkle_inclusion_proof(&g.t, g.found - 1, cp.size, proof, &n,
	    &err) < 0)
		BUG(err.msg);
	if (event_parse(&g.ev, g.line.p, g.line.len, &err) == 0)
		event_attr(&g.ev, g.ev.id, &id);
	buf_addf(&out, "{\"proof\":\"inclusion\",\"seq\":%llu,\"id\":",
	    (unsigned long long)g.found);
	buf_add_json_str(&out, id.p != NULL ? id.p : "", id.len);
	buf_addf(&out, ",\"leaf_index\":%llu,\"tree_size\":%llu,"
	    "\"leaf_hash\":\"", (unsigned long long)g.found - 1,
	    (unsigned long long)cp.size);
	base64_encode(&out, merkle_tree_leaf(&g.t, g.found - 1),
	    MERKLE_HASH_LEN, BASE64_STD);
	buf_adds(&out, "\",\"hashes\":");
	add_hash_array(&out, proof, n);
	buf_adds(&out, ",\"event\":");
	buf_add_json_str(&out, g.line.p, g.line.len);
	buf_adds(&out, ",\"checkpoint\":");
	buf_add_json_str(&out, f->note, f->len);
	buf_addc(&out, '}');
	if (ndjson_writer_line(&c->out, out.p, out.len) < 0)
		st = 0;		/* cli_finish reports it */
done:
	for (i = 0; i < nkeys; i++)
		sign_key_wipe(&keys[i]);
	gather_release(&g);
	buf_release(&out);
	buf_release(&id);
	return st;
}

int
cmd_consistency(struct cli *c, const struct opts *o, int argc, char **argv)
{
	struct gather g;
	struct tend_err err = { 0 };
	unsigned char r1[MERKLE_HASH_LEN], r2[MERKLE_HASH_LEN];
	unsigned char proof[MERKLE_MAX_PROOF * MERKLE_HASH_LEN];
	const struct found_ckpt *f;
	struct buf out = BUF_INIT;
	uint64_t to;
	size_t n;
	int st = 0;

	if (argc != 1 || !o->have_from)
		cli_usage_error(c);
	gather_init(&g);
	gather_log(argv[0], &g);
	to = o->to;
	if (to == 0) {
		if (g.ncks == 0) {
			warnx("%s: no checkpoint: give --to", argv[0]);
			st = TEND_EXIT_INPUT;
			goto done;
		}
		to = g.cks[g.ncks - 1].size;
	}
	if (o->from > to || to > g.t.size) {
		warnx("%s: no consistency proof from %llu to %llu events: the "
		    "log has %llu", argv[0], (unsigned long long)o->from,
		    (unsigned long long)to, (unsigned long long)g.t.size);
		st = TEND_EXIT_INPUT;
		goto done;
	}
	if (merkle_consistency_proof(&g.t, o->from, to, proof, &n, &err) < 0 ||
	    merkle_tree_root(&g.t, o->from, r1, &err) < 0 ||
	    merkle_tree_root(&g.t, to, r2, &err) < 0)
		BUG(err.msg);
	buf_addf(&out, "{\"proof\":\"consistency\",\"size1\":%llu,"
	    "\"size2\":%llu,\"root1\":\"", (unsigned long long)o->from,
	    (unsigned long long)to);
	base64_encode(&out, r1, sizeof(r1), BASE64_STD);
	buf_adds(&out, "\",\"root2\":\"");
	base64_encode(&out, r2, sizeof(r2), BASE64_STD);
	buf_adds(&out, "\",\"hashes\":");
	add_hash_array(&out, proof, n);
	if ((f = checkpoint_of(&g, o->from, r1)) != NULL) {
		buf_adds(&out, ",\"checkpoint1\":");
		buf_add_json_str(&out, f->note, f->len);
	}
	if ((f = checkpoint_of(&g, to, r2)) != NULL) {
		buf_adds(&out, ",\"checkpoint2\":");
		buf_add_json_str(&out, f->note, f->len);
	}
	buf_addc(&out, '}');
	ndjson_writer_line(&c->out, out.p, out.len);
done:
	gather_release(&g);
	buf_release(&out);
	return st;
}

/* ---------------------------------------------------------------- */

struct proofdoc {
	struct json_doc d;
	struct buf text;
	const char *name;
};

static int
doc_str(const struct proofdoc *p, const char *key, struct buf *out)
{
	int64_t i = json_obj_get(&p->d, 0, key);

	if (i < 0 || p->d.tok[i].type != JSON_STRING)
		return -1;
	buf_reset(out);
	json_str_decode(&p->d, (uint32_t)i, out);
	return 0;
}

static int
doc_u64(const struct proofdoc *p, const char *key, uint64_t *v)
{
	int64_t i = json_obj_get(&p->d, 0, key), n;

	if (i < 0 || p->d.tok[i].type != JSON_NUMBER ||
	    json_int(&p->d, (uint32_t)i, &n) < 0 || n < 0)
		return -1;
	*v = (uint64_t)n;
	return 0;
}

/* The hashes array into h (room for MERKLE_MAX_PROOF + 1). */
static int
doc_hashes(const struct proofdoc *p, unsigned char *h, size_t *n)
{
	struct buf s = BUF_INIT;
	int64_t a = json_obj_get(&p->d, 0, "hashes");
	uint32_t i, j;
	int rc = 0;

	if (a < 0 || p->d.tok[a].type != JSON_ARRAY ||
	    p->d.tok[a].size > MERKLE_MAX_PROOF)
		return -1;
	for (i = 0, j = (uint32_t)a + 1; i < p->d.tok[a].size && rc == 0;
	    i++, j = json_next(&p->d, j)) {
		buf_reset(&s);
		if (p->d.tok[j].type != JSON_STRING) {
			rc = -1;
			break;
		}
		json_str_decode(&p->d, j, &s);
		if (base64_decode_exact(h + i * MERKLE_HASH_LEN,
		    MERKLE_HASH_LEN, s.p, s.len) < 0)
			rc = -1;
	}
	*n = p->d.tok[a].size;
	buf_release(&s);
	return rc;
}

/*
 * A signed checkpoint: from file (if not NULL) or the proof's member key.
 * Exits 1 if no --pub key signed it, 3 if it is not a checkpoint.
 */
static int
signed_checkpoint(const struct proofdoc *p, const char *file,
    const char *key, const struct sign_key *keys, size_t nkeys,
    struct note_checkpoint *cp)
{
	struct buf text = BUF_INIT;
	struct tend_err err = { 0 };
	const char *what = file != NULL ? file : key;
	size_t tl;

	if (file != NULL) {
		if (read_note(file, &text, &err) < 0)
			errx(err.code, "%s", err.msg);
	} else if (doc_str(p, key, &text) < 0) {
		buf_release(&text);
		return -1;
	}
	if (note_split(text.p, text.len, &tl, &err) < 0 ||
	    note_checkpoint_parse(cp, text.p, tl, &err) < 0)
		errx(TEND_EXIT_INPUT, "%s: not a checkpoint: %s", what,
		    err.msg);
	if (checkpoint_verify(text.p, text.len, keys, nkeys, NULL, &err) < 0)
		errx(TEND_EXIT_NO, "%s: %s", what, err.msg);
	buf_release(&text);
	return 0;
}

static int
check_inclusion(const struct opts *o, const struct proofdoc *p,
    const struct sign_key *keys, size_t nkeys)
{
	struct buf ev = BUF_INIT, s = BUF_INIT;
	struct tend_err err = { 0 };
	struct note_checkpoint cp;
	unsigned char leaf[MERKLE_HASH_LEN], claimed[MERKLE_HASH_LEN];
	unsigned char proof[(MERKLE_MAX_PROOF + 1) * MERKLE_HASH_LEN];
	uint64_t index, size, seq;
	size_t n;

	if (doc_u64(p, "leaf_index", &index) < 0 ||
	    doc_u64(p, "tree_size", &size) < 0 ||
	    doc_hashes(p, proof, &n) < 0)
		errx(TEND_EXIT_INPUT, "%s: not an inclusion proof: needs "
		    "leaf_index, tree_size and hashes", p->name);
	if (o->event != NULL) {
		if (read_file(o->event, &ev, 64 << 20, &err) < 0)
			errx(err.code, "%s", err.msg);
		if (ev.len > 0 && ev.p[ev.len - 1] == '\n')
			ev.p[--ev.len] = '\0';
		if (memchr(ev.p, '\n', ev.len) != NULL)
			errx(TEND_EXIT_INPUT, "%s: more than one line",
			    o->event);
	} else if (doc_str(p, "event", &ev) < 0) {
		errx(TEND_EXIT_INPUT, "%s: no event: give --event", p->name);
	}
	merkle_hash_leaf(ev.p, ev.len, leaf);
	if (doc_str(p, "leaf_hash", &s) == 0 &&
	    (base64_decode_exact(claimed, sizeof(claimed), s.p, s.len) < 0 ||
	    memcmp(claimed, leaf, sizeof(leaf)) != 0))
		errx(TEND_EXIT_NO, "%s: the event is not the one the proof "
		    "is for", p->name);
	/* the log puts the seq first: it must be the leaf's place */
	if (strncmp(ev.p, "{\"seq\":", 7) != 0 ||
	    (seq = strtoull(ev.p + 7, NULL, 10)) != index + 1)
		errx(TEND_EXIT_NO, "%s: the event's seq is not leaf %llu + 1",
		    p->name, (unsigned long long)index);
	if (signed_checkpoint(p, o->checkpoint[0], "checkpoint", keys, nkeys,
	    &cp) < 0)
		errx(TEND_EXIT_INPUT, "%s: no checkpoint: give --checkpoint",
		    p->name);
	if (cp.size != size)
		errx(TEND_EXIT_NO, "%s: the proof is for a tree of %llu "
		    "events, the checkpoint covers %llu (get a proof against "
		    "it with tend attest prove, or link the two with tend "
		    "attest consistency)", p->name, (unsigned long long)size,
		    (unsigned long long)cp.size);
	if (merkle_verify_inclusion(index, size, leaf, sizeof(leaf), proof, n,
	    cp.root, sizeof(cp.root), &err) < 0)
		errx(TEND_EXIT_NO, "%s: %s", p->name, err.msg);
	if (!o->quiet)
		fprintf(stderr, "%s: %s: seq %llu is in %s's log of %llu "
		    "events\n", getprogname(), p->name,
		    (unsigned long long)seq, cp.origin,
		    (unsigned long long)cp.size);
	buf_release(&ev);
	buf_release(&s);
	return 0;
}

static int
check_consistency(const struct opts *o, const struct proofdoc *p,
    const struct sign_key *keys, size_t nkeys)
{
	struct buf s = BUF_INIT;
	struct tend_err err = { 0 };
	struct note_checkpoint cp;
	unsigned char r[2][MERKLE_HASH_LEN];
	unsigned char proof[(MERKLE_MAX_PROOF + 1) * MERKLE_HASH_LEN];
	uint64_t size[2];
	int bound[2] = { 0, 0 };
	static const char *const member[2] = { "checkpoint1", "checkpoint2" };
	size_t n, i, k;

	if (doc_u64(p, "size1", &size[0]) < 0 ||
	    doc_u64(p, "size2", &size[1]) < 0 || doc_hashes(p, proof, &n) < 0)
		errx(TEND_EXIT_INPUT, "%s: not a consistency proof: needs "
		    "size1, size2 and hashes", p->name);
	/* roots come from signed checkpoints, never from the proof */
	for (i = 0; i < o->ncheckpoint + 2; i++) {
		const char *file = i < o->ncheckpoint ? o->checkpoint[i] :
		    NULL;

		if (signed_checkpoint(p, file, file != NULL ? NULL :
		    member[i - o->ncheckpoint], keys, nkeys, &cp) < 0)
			continue;
		for (k = 0; k < 2; k++)
			if (cp.size == size[k] && !bound[k]) {
				memcpy(r[k], cp.root, MERKLE_HASH_LEN);
				bound[k] = 1;
				break;
			}
		if (k == 2 && file != NULL)
			errx(TEND_EXIT_NO, "%s: checkpoint '%s' of %llu events "
			    "is of neither size", p->name, file,
			    (unsigned long long)cp.size);
	}
	for (k = 0; k < 2; k++)
		if (!bound[k])
			errx(TEND_EXIT_INPUT, "%s: no signed checkpoint of "
			    "%llu events: give --checkpoint", p->name,
			    (unsigned long long)size[k]);
	if (merkle_verify_consistency(size[0], size[1], proof, n, r[0],
	    MERKLE_HASH_LEN, r[1], MERKLE_HASH_LEN, &err) < 0)
		errx(TEND_EXIT_NO, "%s: %s", p->name, err.msg);
	if (!o->quiet)
		fprintf(stderr, "%s: %s: the log of %llu events extends the "
		    "log of %llu\n", getprogname(), p->name,
		    (unsigned long long)size[1], (unsigned long long)size[0]);
	buf_release(&s);
	return 0;
}

static int
check_statement(const struct opts *o, const struct proofdoc *p,
    const struct sign_key *keys, size_t nkeys)
{
	struct buf payload = BUF_INIT, type = BUF_INIT;
	struct tend_err err = { 0 };

	if (dsse_open(p->text.p, p->text.len, keys, nkeys, &payload, &type,
	    &err) < 0)
		errx(err.code, "%s: %s", p->name, err.msg);
	if (strcmp(type.p, DSSE_INTOTO_TYPE) == 0 &&
	    dsse_statement_check(payload.p, payload.len, &err) < 0)
		errx(TEND_EXIT_INPUT, "%s: signed, but not an in-toto "
		    "Statement: %s", p->name, err.msg);
	if (!o->quiet)
		fprintf(stderr, "%s: %s: a %s envelope signed by a --pub key\n",
		    getprogname(), p->name, type.p);
	buf_release(&payload);
	buf_release(&type);
	return 0;
}

int
cmd_check_proof(struct cli *c, const struct opts *o, int argc, char **argv)
{
	struct sign_key keys[MAX_KEYS];
	struct proofdoc p;
	struct tend_err err = { 0 };
	struct buf kind = BUF_INIT;
	size_t nkeys, i;
	int st;

	if (argc != 1)
		cli_usage_error(c);
	nkeys = load_pubs(o, keys);
	memset(&p, 0, sizeof(p));
	json_doc_init(&p.d);
	buf_init(&p.text);
	p.name = strcmp(argv[0], "-") == 0 ? "<stdin>" : argv[0];
	if (read_file(argv[0], &p.text, 64 << 20, &err) < 0)
		errx(err.code, "%s", err.msg);
	if (json_parse(&p.d, p.text.p, p.text.len, &err) < 0 ||
	    p.d.tok[0].type != JSON_OBJECT)
		errx(TEND_EXIT_INPUT, "%s: not a JSON object%s%s", p.name,
		    err.msg[0] != '\0' ? ": " : "", err.msg);
	if (json_obj_get(&p.d, 0, "payloadType") >= 0)
		st = check_statement(o, &p, keys, nkeys);
	else if (doc_str(&p, "proof", &kind) < 0)
		errx(TEND_EXIT_INPUT, "%s: neither a proof nor a DSSE "
		    "envelope", p.name);
	else if (strcmp(kind.p, "inclusion") == 0)
		st = check_inclusion(o, &p, keys, nkeys);
	else if (strcmp(kind.p, "consistency") == 0)
		st = check_consistency(o, &p, keys, nkeys);
	else
		errx(TEND_EXIT_INPUT, "%s: unknown proof '%s'", p.name,
		    kind.p);
	for (i = 0; i < nkeys; i++)
		sign_key_wipe(&keys[i]);
	json_doc_release(&p.d);
	buf_release(&p.text);
	buf_release(&kind);
	return st;
}
