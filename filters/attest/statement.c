/*
 * tend-attest statement: an in-toto Statement v1 about one run, in a DSSE
 * envelope signed with --key, written as one line to stdout.
 *
 * Subjects:
 *   - "run:RUNID": sha256 of the run's events as NDJSON, each stored line
 *     and a newline, in seq order (what the log holds for the run);
 *   - one per action carried out (tend.action.succeeded or
 *     tend.action.failed): named by the event's subject, with the sha256 of
 *     the action: data.action_digest when the event carries one (64 hex
 *     digits), else the JCS digest of data.action, else of data.
 * Predicate (DSSE_RUN_PREDICATE): the runid, event count, seq and time
 * range, counts per stage (observed, proposed, approved, ... failed) and,
 * from a log, the newest checkpoint that covers the whole run.
 *
 * Reads the log given, or NDJSON events from stdin ("-" or no operand),
 * where bad lines are reported as every filter reports them.
 */
#include "compat.h"

#include <unistd.h>

#include <sodium.h>

#include "attest.h"
#include "base64.h"
#include "dsse.h"
#include "jcs.h"
#include "rfc3339.h"

#define RUN_PREDICATE "https://tend.dev/attestation/run/v1"

/* The counts the predicate reports, by event type. */
static const struct stage {
	const char *name;
	const char *type;
} stages[] = {
	{ "observed", "tend.resource.observed" },
	{ "state", "tend.resource.state" },
	{ "drift", "tend.drift.detected" },
	{ "proposed", "tend.action.proposed" },
	{ "approved", "tend.action.approved" },
	{ "denied", "tend.action.denied" },
	{ "deferred", "tend.action.deferred" },
	{ "escalated", "tend.action.escalated" },
	{ "started", "tend.action.started" },
	{ "succeeded", "tend.action.succeeded" },
	{ "failed", "tend.action.failed" },
	{ "skipped", "tend.action.skipped" },
	{ "errors", "tend.error" },
};

struct run {
	const char *runid;
	int	 from_log;
	struct event ev;
	struct checkpoint ck;
	crypto_hash_sha256_state ndjson;
	uint64_t events;
	uint64_t count[ARRAY_SIZE(stages)];
	uint64_t first_seq, last_seq;
	int64_t	 first_time, last_time;
	int	 have_time;
	struct buf subjects;	/* ,{...} per action */
	/* the newest checkpoint seen */
	int	 have_ck;
	uint64_t ck_seq;
	struct note_checkpoint cp;
	int	 bad;		/* stdin: stop */
	int	 plain;		/* runid is never escaped in JSON */
};

static int
is_hex64(const char *s, size_t len)
{
	size_t i;

	if (len != 64)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* An action subject for a succeeded or failed event. */
static void
add_action(struct run *r, const char *outcome, uint64_t seq)
{
	const struct json_doc *d = &r->ev.doc;
	struct buf name = BUF_INIT, id = BUF_INIT, hex = BUF_INIT;
	struct tend_err err = { 0 };
	unsigned char md[JCS_DIGEST_LEN];
	int64_t a = -1;

	if (r->ev.data >= 0 && d->tok[r->ev.data].type == JSON_OBJECT) {
		a = json_obj_get(d, (uint32_t)r->ev.data, "action_digest");
		if (a >= 0 && d->tok[a].type == JSON_STRING &&
		    is_hex64(d->src + d->tok[a].off, d->tok[a].len))
			buf_add(&hex, d->src + d->tok[a].off, 64);
		else if ((a = json_obj_get(d, (uint32_t)r->ev.data,
		    "action")) < 0)
			a = r->ev.data;
	}
	if (hex.len == 0) {
		if (a < 0 || jcs_digest(d, (uint32_t)a, md, &err) < 0)
			return;		/* no data: nothing to name */
		buf_add_hex(&hex, md, sizeof(md));
	}
	event_attr(&r->ev, r->ev.subject, &name);
	event_attr(&r->ev, r->ev.id, &id);
	buf_adds(&r->subjects, ",{\"name\":");
	if (name.len == 0)
		buf_add_json_str(&r->subjects, id.p != NULL ? id.p : "",
		    id.len);
	else
		buf_add_json_str(&r->subjects, name.p, name.len);
	buf_addf(&r->subjects, ",\"digest\":{\"sha256\":\"%s\"},"
	    "\"annotations\":{\"outcome\":\"%s\",\"event\":", hex.p, outcome);
	buf_add_json_str(&r->subjects, id.p != NULL ? id.p : "", id.len);
	if (seq > 0)
		buf_addf(&r->subjects, ",\"seq\":%llu",
		    (unsigned long long)seq);
	buf_adds(&r->subjects, "}}");
	buf_release(&name);
	buf_release(&id);
	buf_release(&hex);
}

/* One parsed event of the input; seq 0 if not known. */
static void
take(struct run *r, const char *line, size_t len, uint64_t seq)
{
	size_t i;

	if (event_attr_eq(&r->ev, r->ev.type, CHECKPOINT_TYPE) &&
	    checkpoint_parse(&r->ck, &r->ev, &(struct tend_err){ 0 }) == 0) {
		r->have_ck = 1;
		r->ck_seq = seq;
		r->cp = r->ck.cp;
	}
	if (r->ev.runid < 0 || !event_attr_eq(&r->ev, r->ev.runid, r->runid))
		return;
	crypto_hash_sha256_update(&r->ndjson, (const unsigned char *)line,
	    len);
	crypto_hash_sha256_update(&r->ndjson, (const unsigned char *)"\n", 1);
	if (r->events++ == 0)
		r->first_seq = seq;
	r->last_seq = seq;
	if (r->ev.time >= 0) {
		if (!r->have_time || r->ev.time_ns < r->first_time)
			r->first_time = r->ev.time_ns;
		if (!r->have_time || r->ev.time_ns > r->last_time)
			r->last_time = r->ev.time_ns;
		r->have_time = 1;
	}
	for (i = 0; i < ARRAY_SIZE(stages); i++)
		if (event_attr_eq(&r->ev, r->ev.type, stages[i].type)) {
			r->count[i]++;
			if (strcmp(stages[i].name, "succeeded") == 0 ||
			    strcmp(stages[i].name, "failed") == 0)
				add_action(r, stages[i].name, seq);
		}
}

static int
log_event(void *arg, const struct scan_event *se, struct tend_err *err)
{
	struct run *r = arg;

	/* only events that mention the run or are checkpoints are parsed */
	if (r->plain && memmem(se->line, se->len, r->runid,
	    strlen(r->runid)) == NULL && !maybe_checkpoint(se->line, se->len))
		return 0;
	if (event_parse(&r->ev, se->line, se->len, err) < 0) {
		char why[sizeof(err->msg)];

		strlcpy(why, err->msg, sizeof(why));
		return tend_err_set(err, TEND_EXIT_NO,
		    "seq %llu: not a valid event: %s",
		    (unsigned long long)se->seq, why);
	}
	take(r, se->line, se->len, se->seq);
	return 0;
}

static void
read_stdin(struct cli *c, struct run *r)
{
	struct ndjson_reader rd;
	struct tend_err err = { 0 };
	char *line;
	size_t len;
	int n;

	ndjson_reader_init(&rd, STDIN_FILENO, "<stdin>");
	rd.max_line = c->max_line;
	for (;;) {
		n = ndjson_reader_next(&rd, &line, &len, &err);
		if (n == 0)
			break;
		if (n < 0 && err.code == TEND_EXIT_SYSTEM) {
			warnx("%s", err.msg);
			cli_fail(c, TEND_EXIT_SYSTEM);
			r->bad = 1;
			break;
		}
		if (n > 0 && len > 0 &&
		    event_parse(&r->ev, line, len, &err) == 0) {
			take(r, line, len, 0);
			continue;
		}
		if (n > 0 && len == 0)
			tend_err_set(&err, TEND_EXIT_INPUT, "empty line");
		if (cli_bad_input(c, "<stdin>", rd.lineno, n > 0 ? line : "",
		    n > 0 ? len : 0, err.msg) < 0) {
			r->bad = 1;
			break;
		}
	}
	ndjson_reader_release(&rd);
}

static void
add_time(struct buf *out, const char *key, int64_t ns)
{
	char t[64];

	rfc3339_format(ns, t, sizeof(t));
	buf_addf(out, ",\"%s\":\"%s\"", key, t);
}

int
cmd_statement(struct cli *c, const struct opts *o, int argc, char **argv)
{
	struct run r;
	struct sign_key key;
	struct tend_err err = { 0 };
	struct buf st = BUF_INIT, env = BUF_INIT, name = BUF_INIT;
	unsigned char md[crypto_hash_sha256_BYTES];
	const char *log = NULL;
	size_t i;
	int rc = 0;

	if (argc > 1 || o->run == NULL || o->key == NULL)
		cli_usage_error(c);
	if (argc == 1 && strcmp(argv[0], "-") != 0)
		log = argv[0];
	if (*o->run == '\0')
		errx(TEND_EXIT_USAGE, "--run: empty runid");
	if (sign_key_load_secret(&key, o->key, &err) < 0)
		errx(err.code, "%s", err.msg);
	memset(&r, 0, sizeof(r));
	r.runid = o->run;
	r.from_log = log != NULL;
	r.plain = 1;
	for (i = 0; r.runid[i] != '\0'; i++)
		if ((unsigned char)r.runid[i] < 0x20 || r.runid[i] == '"' ||
		    r.runid[i] == '\\' || (unsigned char)r.runid[i] >= 0x80)
			r.plain = 0;
	event_init(&r.ev);
	checkpoint_init(&r.ck);
	buf_init(&r.subjects);
	crypto_hash_sha256_init(&r.ndjson);

	if (log != NULL) {
		if (scan_log(log, 1, log_event, &r, NULL, &err) < 0) {
			log_warn(log, &err);
			rc = err.code == TEND_EXIT_SYSTEM ? TEND_EXIT_SYSTEM :
			    TEND_EXIT_INPUT;
			goto done;
		}
	} else {
		read_stdin(c, &r);
		if (r.bad || c->status != 0)
			goto done;
	}
	if (r.events == 0) {
		warnx("%s: no event of run '%s'", log != NULL ? log :
		    "<stdin>", r.runid);
		rc = TEND_EXIT_INPUT;
		goto done;
	}

	crypto_hash_sha256_final(&r.ndjson, md);
	buf_adds(&st, "{\"_type\":\"" DSSE_STATEMENT_V1 "\",\"subject\":"
	    "[{\"name\":");
	buf_adds(&name, "run:");
	buf_adds(&name, r.runid);
	buf_add_json_str(&st, name.p, name.len);
	buf_adds(&st, ",\"digest\":{\"sha256\":\"");
	buf_add_hex(&st, md, sizeof(md));
	buf_adds(&st, "\"}}");
	buf_add(&st, r.subjects.p, r.subjects.len);
	buf_adds(&st, "],\"predicateType\":\"" RUN_PREDICATE "\","
	    "\"predicate\":{\"runid\":");
	buf_add_json_str(&st, r.runid, strlen(r.runid));
	buf_addf(&st, ",\"events\":%llu", (unsigned long long)r.events);
	if (r.from_log)
		buf_addf(&st, ",\"first_seq\":%llu,\"last_seq\":%llu",
		    (unsigned long long)r.first_seq,
		    (unsigned long long)r.last_seq);
	if (r.have_time) {
		add_time(&st, "first_time", r.first_time);
		add_time(&st, "last_time", r.last_time);
	}
	for (i = 0; i < ARRAY_SIZE(stages); i++)
		buf_addf(&st, ",\"%s\":%llu", stages[i].name,
		    (unsigned long long)r.count[i]);
	if (r.from_log && r.have_ck && r.cp.size >= r.last_seq) {
		buf_adds(&st, ",\"checkpoint\":{\"origin\":");
		buf_add_json_str(&st, r.cp.origin, strlen(r.cp.origin));
		buf_addf(&st, ",\"tree_size\":%llu,\"seq\":%llu,"
		    "\"root_hash\":\"",
		    (unsigned long long)r.cp.size,
		    (unsigned long long)r.ck_seq);
		base64_encode(&st, r.cp.root, sizeof(r.cp.root), BASE64_STD);
		buf_adds(&st, "\"}");
	}
	buf_adds(&st, "}}");
	if (dsse_statement_check(st.p, st.len, &err) < 0)
		BUG(err.msg);
	dsse_sign(&env, DSSE_INTOTO_TYPE, st.p, st.len, &key);
	ndjson_writer_line(&c->out, env.p, env.len);
done:
	sign_key_wipe(&key);
	event_release(&r.ev);
	checkpoint_release(&r.ck);
	buf_release(&r.subjects);
	buf_release(&st);
	buf_release(&env);
	buf_release(&name);
	return rc;
}
