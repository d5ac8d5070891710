/*
 * tend-attest: tamper evidence for an event log (SPEC section 5).
 *
 * Reads the event log (evlog.h) given as operand, in seq order, and
 * treats it as an RFC 6962 Merkle tree whose leaves are the events' lines
 * exactly as stored (leaf i = SHA-256(0x00 || line of seq i + 1), without
 * its newline).  Writes tend.log.checkpoint events (C2SP checkpoints with
 * an Ed25519 signed note) into the log, and proofs, statements and
 * verdicts.  Subcommands:
 *
 *   keygen       a key pair (sign.h formats)
 *   seal         append a signed checkpoint of the whole log; incremental
 *   verify       recompute the tree, check every checkpoint (and trusted
 *                copies kept elsewhere); exit 1 and say where on damage
 *   prove        inclusion proof of one event against the last checkpoint
 *   consistency  consistency proof between two tree sizes
 *   check-proof  check a proof (or a DSSE statement) with a public key
 *   statement    an in-toto Statement of one run, in a signed DSSE envelope
 *
 * Fails with 2 on usage errors, 3 on unreadable inputs (key files, proofs,
 * trusted checkpoints, bad events for statement), 4 on I/O errors.
 */
#include "compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <unistd.h>

#include "attest.h"
#include "base64.h"
#include "evlog.h"
#include "xmalloc.h"

static const char usage_text[] =
    "usage: %s keygen [--name name] base\n"
    "       tend-attest seal --key key [--origin origin] [--publish dir|url]\n"
    "           [--publish-method put|post] [--now time] log\n"
    "       tend-attest verify --pub pub [--trusted checkpoint] [--quiet] log\n"
    "       tend-attest prove --id event-id | --seq seq [--pub pub] log\n"
    "       tend-attest consistency --from size [--to size] log\n"
    "       tend-attest check-proof --pub pub [--event file]\n"
    "           [--checkpoint file] proof\n"
    "       tend-attest statement --run runid --key key [log | -]\n"
    "       tend-attest -h | -V\n";

enum {
	OPT_KEY = CLI_OPT_FIRST_PROGRAM,
	OPT_PUB,
	OPT_TRUSTED,
	OPT_PUBLISH,
	OPT_PUBLISH_METHOD,
	OPT_ID,
	OPT_SEQ,
	OPT_FROM,
	OPT_TO,
	OPT_RUN,
	OPT_NAME,
	OPT_ORIGIN,
	OPT_EVENT,
	OPT_CHECKPOINT,
	OPT_QUIET,
};

static const struct option longopts[] = {
	CLI_COMMON_OPTS,
	{ "key", required_argument, NULL, OPT_KEY },
	{ "pub", required_argument, NULL, OPT_PUB },
	{ "trusted", required_argument, NULL, OPT_TRUSTED },
	{ "publish", required_argument, NULL, OPT_PUBLISH },
	{ "publish-method", required_argument, NULL, OPT_PUBLISH_METHOD },
	{ "id", required_argument, NULL, OPT_ID },
	{ "seq", required_argument, NULL, OPT_SEQ },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "run", required_argument, NULL, OPT_RUN },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "origin", required_argument, NULL, OPT_ORIGIN },
	{ "event", required_argument, NULL, OPT_EVENT },
	{ "checkpoint", required_argument, NULL, OPT_CHECKPOINT },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ NULL, 0, NULL, 0 },
};

/* Which options each subcommand takes (bits: 1 << (opt - OPT_KEY)). */
#define B(o) (1u << ((o) - OPT_KEY))
static const struct command {
	const char *name;
	int	(*fn)(struct cli *, const struct opts *, int, char **);
	unsigned allowed;
} commands[] = {
	{ "keygen", cmd_keygen, B(OPT_NAME) },
	{ "seal", cmd_seal, B(OPT_KEY) | B(OPT_ORIGIN) | B(OPT_PUBLISH) |
	    B(OPT_PUBLISH_METHOD) },
	{ "verify", cmd_verify, B(OPT_PUB) | B(OPT_TRUSTED) | B(OPT_QUIET) },
	{ "prove", cmd_prove, B(OPT_ID) | B(OPT_SEQ) | B(OPT_PUB) },
	{ "consistency", cmd_consistency, B(OPT_FROM) | B(OPT_TO) },
	{ "check-proof", cmd_check_proof, B(OPT_PUB) | B(OPT_EVENT) |
	    B(OPT_CHECKPOINT) | B(OPT_QUIET) },
	{ "statement", cmd_statement, B(OPT_RUN) | B(OPT_KEY) },
};

static const char *
opt_name(int ch)
{
	const struct option *o;

	for (o = longopts; o->name != NULL; o++)
		if (o->val == ch)
			return o->name;
	BUG("no such option");
}

static uint64_t
num_arg(const char *opt, const char *arg, long long min)
{
	const char *errstr;
	long long v = strtonum(arg, min, LLONG_MAX, &errstr);

	if (errstr != NULL) {
		warnx("--%s %s: %s", opt, arg, errstr);
		exit(TEND_EXIT_USAGE);
	}
	return (uint64_t)v;
}

int
main(int argc, char *argv[])
{
	struct cli c;
	struct opts o;
	const struct command *cmd = NULL;
	size_t i;
	int ch;

	cli_init(&c, "tend-attest", usage_text);
	memset(&o, 0, sizeof(o));
	o.publish_method = "PUT";
	if (argc >= 2 && argv[1][0] != '-') {
		for (i = 0; i < ARRAY_SIZE(commands); i++)
			if (strcmp(argv[1], commands[i].name) == 0)
				cmd = &commands[i];
		if (cmd == NULL) {
			warnx("unknown command '%s'", argv[1]);
			cli_usage_error(&c);
		}
		argc--;
		argv++;
	}
	while ((ch = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts,
	    NULL)) != -1) {
		if (cli_common_opt(&c, ch, optarg))
			continue;
		if (ch < OPT_KEY || ch > OPT_QUIET || cmd == NULL ||
		    (cmd->allowed & B(ch)) == 0) {
			if (cmd != NULL && ch >= OPT_KEY && ch <= OPT_QUIET)
				warnx("%s does not take --%s", cmd->name,
				    opt_name(ch));
			cli_usage_error(&c);
		}
		switch (ch) {
		case OPT_KEY:
			o.key = optarg;
			break;
		case OPT_PUB:
			if (o.npub == MAX_KEYS)
				errx(TEND_EXIT_USAGE, "at most %d --pub",
				    MAX_KEYS);
			o.pub[o.npub++] = optarg;
			break;
		case OPT_TRUSTED:
			if (o.ntrusted == MAX_TRUSTED)
				errx(TEND_EXIT_USAGE, "at most %d --trusted",
				    MAX_TRUSTED);
			o.trusted[o.ntrusted++] = optarg;
			break;
		case OPT_PUBLISH:
			if (o.npublish == MAX_PUBLISH)
				errx(TEND_EXIT_USAGE, "at most %d --publish",
				    MAX_PUBLISH);
			o.publish[o.npublish++] = optarg;
			break;
		case OPT_PUBLISH_METHOD:
			if (strcasecmp(optarg, "put") == 0)
				o.publish_method = "PUT";
			else if (strcasecmp(optarg, "post") == 0)
				o.publish_method = "POST";
			else
				errx(TEND_EXIT_USAGE, "--publish-method %s: "
				    "not put or post", optarg);
			break;
		case OPT_ID:
			o.id = optarg;
			break;
		case OPT_SEQ:
			o.seq = num_arg("seq", optarg, 1);
			break;
		case OPT_FROM:
			o.from = num_arg("from", optarg, 1);
			o.have_from = 1;
			break;
		case OPT_TO:
			o.to = num_arg("to", optarg, 1);
			break;
		case OPT_RUN:
			o.run = optarg;
			break;
		case OPT_NAME:
			o.name = optarg;
			break;
		case OPT_ORIGIN:
			o.origin = optarg;
			break;
		case OPT_EVENT:
			o.event = optarg;
			break;
		case OPT_CHECKPOINT:
			if (o.ncheckpoint == 2)
				errx(TEND_EXIT_USAGE,
				    "at most 2 --checkpoint");
			o.checkpoint[o.ncheckpoint++] = optarg;
			break;
		case OPT_QUIET:
			o.quiet = 1;
			break;
		default:
			BUG("option not handled");
		}
	}
	argc -= optind;
	argv += optind;
	if (cmd == NULL)
		cli_usage_error(&c);
	/*
	 * Nothing here is a filter passing events on: no tend.error events
	 * for --keep-going, no stream for --log (seal appends to its log).
	 */
	if (c.keep_going || c.log_path != NULL) {
		warnx("%s does not take --%s", cmd->name,
		    c.keep_going ? "keep-going" : "log");
		cli_usage_error(&c);
	}
	cli_start(&c);
	cli_fail(&c, cmd->fn(&c, &o, argc, argv));
	return cli_finish(&c);
}

void
checkpoint_init(struct checkpoint *ck)
{
	memset(ck, 0, sizeof(*ck));
	buf_init(&ck->note);
}

void
checkpoint_release(struct checkpoint *ck)
{
	buf_release(&ck->note);
	free(ck->tiles);
	checkpoint_init(ck);
}

/*
 * Parses the hashes of array token a into out (n * 32 bytes, at most max
 * of them).  0, or -1 if one is not a base64 hash.
 */
static int
hash_array(const struct json_doc *d, int64_t a, unsigned char *out,
    size_t max, size_t *n)
{
	struct buf s = BUF_INIT;
	uint32_t i, j;
	int rc = 0;

	if (a < 0 || d->tok[a].type != JSON_ARRAY || d->tok[a].size > max)
		return -1;
	for (i = 0, j = (uint32_t)a + 1; i < d->tok[a].size && rc == 0;
	    i++, j = json_next(d, j)) {
		buf_reset(&s);
		if (d->tok[j].type != JSON_STRING) {
			rc = -1;
			break;
		}
		json_str_decode(d, j, &s);
		if (base64_decode_exact(out + i * MERKLE_HASH_LEN,
		    MERKLE_HASH_LEN, s.p, s.len) < 0)
			rc = -1;
	}
	*n = d->tok[a].size;
	buf_release(&s);
	return rc;
}

/* 0 if the tiles at level L fold to the frontier's nodes above L. */
static int
tiles_fold(const struct checkpoint *ck)
{
	unsigned char *scratch;
	uint64_t off = 0, m;
	size_t n;
	int k, rc = 0;
	unsigned L = ck->tile_level;

	scratch = xreallocarray(NULL, ck->ntiles + 1, MERKLE_HASH_LEN);
	for (k = 63; k >= (int)L && rc == 0; k--) {
		if ((ck->cp.size & ((uint64_t)1 << k)) == 0)
			continue;
		m = (uint64_t)1 << (k - (int)L);
		memcpy(scratch, ck->tiles + (off >> L) * MERKLE_HASH_LEN,
		    m * MERKLE_HASH_LEN);
		for (n = m; n > 1;)
			n = merkle_nodes_up(scratch, n);
		if (memcmp(scratch, ck->frontier.node[k], MERKLE_HASH_LEN) !=
		    0)
			rc = -1;
		off += (uint64_t)1 << k;
	}
	free(scratch);
	return rc;
}

/* The decoded string member key of object obj into out; -1 if none. */
static int
str_member(const struct json_doc *d, uint32_t obj, const char *key,
    struct buf *out)
{
	int64_t i = json_obj_get(d, obj, key);

	if (i < 0 || d->tok[i].type != JSON_STRING)
		return -1;
	buf_reset(out);
	json_str_decode(d, (uint32_t)i, out);
	return 0;
}

int
checkpoint_parse(struct checkpoint *ck, const struct event *ev,
    struct tend_err *err)
{
	const struct json_doc *d = &ev->doc;
	struct buf s = BUF_INIT, sigline = BUF_INIT;
	unsigned char fh[64 * MERKLE_HASH_LEN], root[MERKLE_HASH_LEN];
	int64_t t, size;
	uint32_t data;
	size_t nfh;
	int rc = -1;

	buf_reset(&ck->note);
	if (ev->data < 0 || d->tok[ev->data].type != JSON_OBJECT) {
		tend_err_set(err, TEND_EXIT_NO, "no data");
		goto done;
	}
	data = (uint32_t)ev->data;
	ck->id[0] = '\0';
	if (ev->id >= 0) {
		buf_reset(&s);
		json_str_decode(d, (uint32_t)ev->id, &s);
		strlcpy(ck->id, s.p, sizeof(ck->id));
	}
	if (str_member(d, data, "note", &ck->note) < 0 ||
	    note_split(ck->note.p, ck->note.len, &ck->text_len, err) < 0 ||
	    note_checkpoint_parse(&ck->cp, ck->note.p, ck->text_len,
	    err) < 0) {
		tend_err_set(err, TEND_EXIT_NO,
		    "data.note is not a signed checkpoint");
		goto done;
	}
	/* the plain fields say what the note says */
	if (str_member(d, data, "origin", &s) < 0 ||
	    strcmp(s.p, ck->cp.origin) != 0 || s.len != strlen(s.p)) {
		tend_err_set(err, TEND_EXIT_NO, "data.origin is "
		    "not the note's origin");
		goto done;
	}
	if ((t = json_obj_get(d, data, "tree_size")) < 0 ||
	    d->tok[t].type != JSON_NUMBER ||
	    json_int(d, (uint32_t)t, &size) < 0 || size < 0 ||
	    (uint64_t)size != ck->cp.size) {
		tend_err_set(err, TEND_EXIT_NO,
		    "data.tree_size is not the note's tree size");
		goto done;
	}
	if (str_member(d, data, "root_hash", &s) < 0 ||
	    base64_decode_exact(root, sizeof(root), s.p, s.len) < 0 ||
	    memcmp(root, ck->cp.root, sizeof(root)) != 0) {
		tend_err_set(err, TEND_EXIT_NO,
		    "data.root_hash is not the note's root");
		goto done;
	}
	/* key_id NAME+HHHHHHHH and signature: the note's line "— NAME SIG" */
	if (str_member(d, data, "key_id", &s) < 0 || s.len < 10 ||
	    s.len >= sizeof(ck->key) || s.p[s.len - 9] != '+') {
		tend_err_set(err, TEND_EXIT_NO,
		    "data.key_id is not NAME+KEYID");
		goto done;
	}
	strlcpy(ck->key, s.p, sizeof(ck->key));
	buf_adds(&sigline, "\n\xe2\x80\x94 ");
	buf_add(&sigline, s.p, s.len - 9);
	buf_addc(&sigline, ' ');
	if (str_member(d, data, "signature", &s) < 0) {
		tend_err_set(err, TEND_EXIT_NO,
		    "no data.signature");
		goto done;
	}
	buf_add(&sigline, s.p, s.len);
	buf_addc(&sigline, '\n');
	if (memmem(ck->note.p + ck->text_len, ck->note.len - ck->text_len,
	    sigline.p, sigline.len) == NULL) {
		tend_err_set(err, TEND_EXIT_NO, "data.key_id and "
		    "data.signature are not a signature line of the note");
		goto done;
	}
	/* the frontier folds to the root */
	if (hash_array(d, json_obj_get(d, data, "frontier"), fh, 64,
	    &nfh) < 0) {
		tend_err_set(err, TEND_EXIT_NO,
		    "data.frontier is not an array of hashes");
		goto done;
	}
	if (merkle_frontier_set(&ck->frontier, ck->cp.size, fh, nfh,
	    err) < 0) {
		tend_err_set(err, TEND_EXIT_NO, "data.frontier "
		    "has the wrong number of hashes for its size");
		goto done;
	}
	merkle_frontier_root(&ck->frontier, root);
	if (memcmp(root, ck->cp.root, sizeof(root)) != 0) {
		tend_err_set(err, TEND_EXIT_NO,
		    "data.frontier does not fold to its root");
		goto done;
	}
	/* the tiles fold to the frontier */
	if ((t = json_obj_get(d, data, "tile_level")) < 0 ||
	    d->tok[t].type != JSON_NUMBER ||
	    json_int(d, (uint32_t)t, &size) < 0 || size < 0 || size > 63 ||
	    (ck->cp.size >> size) > 4 * TILES_MAX) {
		tend_err_set(err, TEND_EXIT_NO,
		    "data.tile_level is not a level for its size");
		goto done;
	}
	ck->tile_level = (unsigned)size;
	ck->tiles = xreallocarray(ck->tiles, 4 * TILES_MAX + 1,
	    MERKLE_HASH_LEN);
	if (hash_array(d, json_obj_get(d, data, "tiles"), ck->tiles,
	    4 * TILES_MAX, &ck->ntiles) < 0 ||
	    ck->ntiles != (ck->cp.size >> ck->tile_level) ||
	    tiles_fold(ck) < 0) {
		tend_err_set(err, TEND_EXIT_NO,
		    "data.tiles do not fold to its frontier");
		goto done;
	}
	rc = 0;
done:
	buf_release(&s);
	buf_release(&sigline);
	return rc;
}

int
checkpoint_verify(const char *note, size_t len, const struct sign_key *keys,
    size_t nkeys, size_t *signer, struct tend_err *err)
{
	size_t tl, pos, nl;
	struct buf names = BUF_INIT;
	char why[sizeof(err->msg)];

	if (note_open(note, len, keys, nkeys, &tl, signer, err) > 0)
		return 0;
	if (err->code != TEND_EXIT_NO || note_split(note, len, &tl, err) < 0)
		return tend_err_set(err, TEND_EXIT_NO,
		    "not a signed note");
	strlcpy(why, err->msg, sizeof(why));
	/* name the signers, so a note signed by another key says by whom */
	for (pos = tl + 1; pos < len; pos = nl + 1) {
		const char *l = note + pos, *sp, *end;

		end = memchr(l, '\n', len - pos);
		nl = (size_t)(end - note);
		if ((size_t)(end - l) < 4 || (sp = memchr(l + 4, ' ',
		    (size_t)(end - l - 4))) == NULL)
			continue;
		if (names.len > 0)
			buf_adds(&names, ", ");
		buf_add(&names, l + 4, (size_t)(sp - l - 4));
		if (sp + 5 < end) {
			struct buf raw = BUF_INIT;

			if (base64_decode(&raw, sp + 1, (size_t)(end - sp - 1),
			    BASE64_STD) >= 4)
				buf_addf(&names, "+%02x%02x%02x%02x",
				    (unsigned char)raw.p[0],
				    (unsigned char)raw.p[1],
				    (unsigned char)raw.p[2],
				    (unsigned char)raw.p[3]);
			buf_release(&raw);
		}
	}
	tend_err_set(err, TEND_EXIT_NO, "%s (signed by %s)", why,
	    names.len > 0 ? names.p : "nobody");
	buf_release(&names);
	return -1;
}

int
read_note(const char *path, struct buf *b, struct tend_err *err)
{
	if (read_file(path, b, 1 << 16, err) < 0)
		return -1;
	while (b->len >= 2 && b->p[b->len - 1] == '\n' &&
	    b->p[b->len - 2] == '\n')
		b->p[--b->len] = '\0';
	return 0;
}

int
read_file(const char *path, struct buf *b, size_t max, struct tend_err *err)
{
	char chunk[65536];
	ssize_t n;
	int fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return tend_err_sys(err, "cannot open '%s'", path);
	for (;;) {
		if ((n = read(fd, chunk, sizeof(chunk))) < 0) {
			if (errno == EINTR)
				continue;
			tend_err_sys(err, "cannot read '%s'", path);
			break;
		}
		if (n == 0)
			break;
		if (b->len + (size_t)n > max) {
			tend_err_set(err, TEND_EXIT_INPUT,
			    "'%s' is longer than %zu bytes", path, max);
			n = -1;
			break;
		}
		buf_add(b, chunk, (size_t)n);
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return n < 0 ? -1 : 0;
}

int
write_file_atomic(const char *path, const void *data, size_t len,
    mode_t mode, struct tend_err *err)
{
	char tmp[4096], dir[4096];
	size_t off = 0;
	ssize_t n;
	int fd, dfd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path,
	    (long)getpid()) >= sizeof(tmp))
		return tend_err_set(err, TEND_EXIT_SYSTEM,
		    "path too long: '%s'", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, mode)) < 0)
		return tend_err_sys(err, "cannot create '%s'", tmp);
	while (off < len) {
		if ((n = write(fd, (const char *)data + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	strlcpy(dir, path, sizeof(dir));
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >=
	    0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	tend_err_sys(err, "cannot write '%s'", path);
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

size_t
load_pubs(const struct opts *o, struct sign_key *keys)
{
	struct tend_err err = { 0 };
	size_t i;

	if (o->npub == 0) {
		warnx("--pub is needed");
		exit(TEND_EXIT_USAGE);
	}
	for (i = 0; i < o->npub; i++)
		if (sign_key_load_public(&keys[i], o->pub[i], &err) < 0)
			errx(err.code, "%s", err.msg);
	return o->npub;
}

void
log_warn(const char *log, const struct tend_err *err)
{
	size_t n = strlen(log);

	if (strncmp(err->msg, log, n) == 0 && err->msg[n] == ':')
		warnx("%s", err->msg);
	else
		warnx("%s: %s", log, err->msg);
}

int
maybe_checkpoint(const char *line, size_t len)
{
	return memmem(line, len, "\"" CHECKPOINT_TYPE "\"",
	    sizeof(CHECKPOINT_TYPE) + 1) != NULL;
}

void
add_hash_array(struct buf *out, const unsigned char *h, size_t n)
{
	size_t i;

	buf_addc(out, '[');
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addc(out, ',');
		buf_addc(out, '"');
		base64_encode(out, h + i * MERKLE_HASH_LEN, MERKLE_HASH_LEN,
		    BASE64_STD);
		buf_addc(out, '"');
	}
	buf_addc(out, ']');
}

int
scan_log(const char *path, uint64_t from,
    int (*fn)(void *, const struct scan_event *, struct tend_err *),
    void *arg, uint64_t torn[2], struct tend_err *err)
{
	struct evlog_reader r;
	struct scan_event se;
	uint64_t want = from;
	int n, rc = 0;

	if (torn != NULL)
		torn[0] = torn[1] = 0;
	if (evlog_reader_open(&r, path, err) < 0)
		return -1;
	if (from > 1 && evlog_reader_seek_seq(&r, from, err) < 0) {
		rc = -1;
		goto done;
	}
	for (;;) {
		n = evlog_reader_next(&r, NULL, err);
		if (n == 0)
			break;
		if (n < 0) {
			if (err->code == TEND_EXIT_INPUT) {
				char why[sizeof(err->msg)];

				strlcpy(why, err->msg, sizeof(why));
				tend_err_set(err, TEND_EXIT_NO,
				    "the frame at byte %llu (seq %llu on) is "
				    "damaged: %s",
				    (unsigned long long)err->offset,
				    (unsigned long long)want, why);
			}
			rc = -1;
			goto done;
		}
		while (evlog_reader_event(&r, &se.line, &se.len, &se.seq)) {
			if (se.seq < want)
				continue;	/* the frame started earlier */
			if (se.seq != want) {
				tend_err_set(err, TEND_EXIT_NO,
				    "seq %llu where seq %llu should be",
				    (unsigned long long)se.seq,
				    (unsigned long long)want);
				rc = -1;
				goto done;
			}
			want++;
			if ((n = fn(arg, &se, err)) != 0) {
				rc = n < 0 ? -1 : 0;
				goto done;
			}
		}
	}
	if (torn != NULL) {
		torn[0] = r.torn_off;
		torn[1] = r.torn_len;
	}
done:
	evlog_reader_close(&r);
	return rc;
}

int
cmd_keygen(struct cli *c, const struct opts *o, int argc, char **argv)
{
	struct sign_key k;
	struct tend_err err = { 0 };
	struct buf vk = BUF_INIT;
	char host[256], skpath[4096], pkpath[4096];
	const char *name = o->name;

	if (argc != 1)
		cli_usage_error(c);
	if (name == NULL) {
		if (gethostname(host, sizeof(host)) < 0)
			errx(TEND_EXIT_SYSTEM, "gethostname: %s",
			    strerror(errno));
		host[sizeof(host) - 1] = '\0';
		name = host;
	}
	if ((size_t)snprintf(skpath, sizeof(skpath), "%s.key", argv[0]) >=
	    sizeof(skpath) || (size_t)snprintf(pkpath, sizeof(pkpath),
	    "%s.pub", argv[0]) >= sizeof(pkpath))
		errx(TEND_EXIT_USAGE, "path too long: '%s'", argv[0]);
	if (sign_keygen(&k, name, &err) < 0)
		errx(TEND_EXIT_USAGE, "--name '%s': %s", name, err.msg);
	if (sign_key_write_secret(&k, skpath, &err) < 0) {
		sign_key_wipe(&k);
		errx(err.code, "%s", err.msg);
	}
	if (sign_key_write_public(&k, pkpath, &err) < 0) {
		sign_key_wipe(&k);
		unlink(skpath);
		errx(err.code, "%s", err.msg);
	}
	sign_vkey_format(&k, &vk);
	sign_key_wipe(&k);
	printf("%s\n", vk.p);
	buf_release(&vk);
	return fflush(stdout) == 0 ? 0 : TEND_EXIT_SYSTEM;
}
