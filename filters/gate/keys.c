/*
 * tend gate keygen: a new Ed25519 key pair for signing approvals.
 * tend gate approve: a human's signed approval of one proposed or
 * escalated action, for a later tend gate run to honour.
 */
#include "compat.h"

#include <fcntl.h>
#include <unistd.h>

#include "gate.h"
#include "ndjson.h"
#include "rfc3339.h"
#include "window.h"
#include "xmalloc.h"

static const char keygen_usage[] =
    "usage: %s keygen --name name secret-file public-file\n";

static const char approve_usage[] =
    "usage: %s approve --key file [--log file] [--now time]\n"
    "\t[--policy file] [--ttl duration] action-id [file ...]\n";

enum {
	OPT_NAME = CLI_OPT_FIRST_PROGRAM,
	OPT_KEY,
	OPT_POLICY,
	OPT_TTL,
};

/*
 * Writes SECRET-FILE (mode 0600) and PUBLIC-FILE, neither of which may
 * exist.  Prints nothing; fails with 2 on usage, 3 on a bad name, 4 when
 * a file cannot be written.
 */
int
gate_keygen_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "name", required_argument, NULL, OPT_NAME },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c;
	struct sign_key k;
	struct tend_err err = { 0 };
	const char *name = NULL;
	int ch;

	cli_init(&c, "tend-gate", keygen_usage);
	while ((ch = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		if (ch == OPT_NAME)
			name = optarg;
		else if (!cli_common_opt(&c, ch, optarg))
			cli_usage_error(&c);
	}
	argc -= optind;
	argv += optind;
	if (name == NULL || argc != 2)
		cli_usage_error(&c);
	if (sign_keygen(&k, name, &err) < 0)
		errx(err.code, "--name '%s': %s", name, err.msg);
	if (sign_key_write_secret(&k, argv[0], &err) < 0) {
		sign_key_wipe(&k);
		errx(err.code, "%s", err.msg);
	}
	if (sign_key_write_public(&k, argv[1], &err) < 0) {
		sign_key_wipe(&k);
		unlink(argv[0]);
		errx(err.code, "%s", err.msg);
	}
	sign_key_wipe(&k);
	return 0;
}

struct find {
	const char *id;
	struct buf line;	/* the last event about it */
	int	 found;
};

/* Looks at one stream; 0 to go on, -1 to stop. */
static int
find_stream(struct cli *c, struct find *f, int fd, const char *name)
{
	struct ndjson_reader r;
	struct event ev;
	struct tend_err err = { 0 };
	char *line;
	size_t len;
	int64_t act, id;
	int n, rc = 0;

	ndjson_reader_init(&r, fd, name);
	r.max_line = c->max_line;
	event_init(&ev);
	for (;;) {
		n = ndjson_reader_next(&r, &line, &len, &err);
		if (n == 0)
			break;
		if (n < 0 && err.code == TEND_EXIT_SYSTEM) {
			warnx("%s", err.msg);
			cli_fail(c, TEND_EXIT_SYSTEM);
			rc = -1;
			break;
		}
		if (n > 0 && len == 0) {
			n = -1;
			tend_err_set(&err, TEND_EXIT_INPUT, "empty line");
		}
		if (n < 0 || event_parse(&ev, line, len, &err) < 0) {
			if (cli_bad_input(c, name, r.lineno, n > 0 ? line : "",
			    n > 0 ? len : 0, err.msg) < 0) {
				rc = -1;
				break;
			}
			continue;
		}
		if (ev.data < 0 || ev.doc.tok[ev.data].type != JSON_OBJECT)
			continue;
		if (event_attr_eq(&ev, ev.type, "tend.action.escalated"))
			act = json_obj_get(&ev.doc, (uint32_t)ev.data,
			    "action");
		else if (event_attr_eq(&ev, ev.type, "tend.action.proposed"))
			act = ev.data;
		else
			continue;
		if (act < 0 || ev.doc.tok[act].type != JSON_OBJECT)
			continue;
		id = json_obj_get(&ev.doc, (uint32_t)act, "action_id");
		if (id < 0 || !json_str_eq(&ev.doc, (uint32_t)id, f->id))
			continue;
		buf_reset(&f->line);
		buf_add(&f->line, line, len);
		f->found = 1;
	}
	event_release(&ev);
	ndjson_reader_release(&r);
	return rc;
}

static void
attr(const struct event *ev, int64_t tok, struct buf *out)
{
	buf_reset(out);
	if (tok >= 0 && ev->doc.tok[tok].type == JSON_STRING)
		event_attr(ev, tok, out);
}

/* Signs and emits the approval of the event in f->line. */
static int
approve(struct cli *c, struct find *f, const struct sign_key *k,
    const struct policy *p, int64_t ttl_s)
{
	struct event ev;
	struct event_new en;
	struct tend_err err = { 0 };
	struct buf data = BUF_INIT, sig = BUF_INIT, pd = BUF_INIT,
	    subject = BUF_INIT, runid = BUF_INIT, causeid = BUF_INIT,
	    line = BUF_INIT, tmp = BUF_INIT;
	const char *raw;
	char exp[48];
	size_t rawlen;
	int64_t act, t;
	int escalated, rc = -1;

	event_init(&ev);
	if (event_parse(&ev, f->line.p, f->line.len, &err) < 0)
		BUG("a kept line no longer parses");
	escalated = event_attr_eq(&ev, ev.type, "tend.action.escalated");
	act = escalated ? json_obj_get(&ev.doc, (uint32_t)ev.data, "action") :
	    ev.data;
	if (p != NULL)
		buf_adds(&pd, policy_digest(p));
	else if (escalated && (t = json_obj_get(&ev.doc, (uint32_t)ev.data,
	    "policy_digest")) >= 0 && ev.doc.tok[t].type == JSON_STRING)
		json_str_decode(&ev.doc, (uint32_t)t, &pd);
	if (pd.len == 0) {
		warnx("'%s': no policy digest in the event: give --policy",
		    f->id);
		cli_fail(c, TEND_EXIT_USAGE);
		goto out;
	}
	rfc3339_format(c->now_ns + ttl_s * 1000000000LL, exp, sizeof(exp));
	if (approval_sign(k, &ev.doc, (uint32_t)act, pd.p, exp, 0, &sig,
	    &err) < 0) {
		warnx("'%s': %s", f->id, err.msg);
		cli_fail(c, TEND_EXIT_INPUT);
		goto out;
	}
	buf_adds(&data, "{\"action_id\":");
	buf_add_json_str(&data, f->id, strlen(f->id));
	buf_adds(&tmp, "approved by a human: ");
	buf_adds(&tmp, k->name);
	buf_adds(&data, ",\"reasons\":[");
	buf_add_json_str(&data, tmp.p, tmp.len);
	buf_adds(&data, "],\"policy_digest\":");
	buf_add_json_str(&data, pd.p, pd.len);
	buf_addf(&data, ",\"shadow\":false,\"expires\":\"%s\",\"key_id\":",
	    exp);
	buf_reset(&tmp);
	approval_key_id(k, &tmp);
	buf_add_json_str(&data, tmp.p, tmp.len);
	buf_addf(&data, ",\"signature\":\"%s\",\"approved_by\":", sig.p);
	buf_add_json_str(&data, k->name, strlen(k->name));
	buf_adds(&data, ",\"action\":");
	raw = json_raw(&ev.doc, (uint32_t)act, &rawlen);
	buf_add(&data, raw, rawlen);
	buf_addc(&data, '}');

	attr(&ev, ev.subject, &subject);
	attr(&ev, ev.runid, &runid);
	attr(&ev, ev.id, &causeid);
	memset(&en, 0, sizeof(en));
	en.source = "tend-gate";
	en.type = "tend.action.approved";
	en.subject = subject.len > 0 ? subject.p : NULL;
	en.runid = runid.len > 0 ? runid.p : NULL;
	en.causeid = causeid.len > 0 ? causeid.p : NULL;
	en.time_ns = c->now_ns;
	en.data = data.p;
	en.data_len = data.len;
	if (event_build(&line, &en, &err) < 0)
		BUG(err.msg);
	rc = cli_emit(c, line.p, line.len);
out:
	event_release(&ev);
	buf_release(&data);
	buf_release(&sig);
	buf_release(&pd);
	buf_release(&subject);
	buf_release(&runid);
	buf_release(&causeid);
	buf_release(&line);
	buf_release(&tmp);
	return rc;
}

/*
 * Reads events (stdin or FILEs), finds the last tend.action.escalated or
 * tend.action.proposed about ACTION-ID and writes a signed
 * tend.action.approved event with approved_by (the key's name).  Fails
 * with 1 when no such event is in the input, 2 on usage, 3 on bad input
 * or key, 4 on I/O.
 */
int
gate_approve_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		CLI_COMMON_OPTS,
		{ "key", required_argument, NULL, OPT_KEY },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "ttl", required_argument, NULL, OPT_TTL },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c;
	struct sign_key k;
	struct policy *p = NULL;
	struct find f;
	struct tend_err err = { 0 };
	const char *key = NULL, *policy = NULL, *ttl = GATE_TTL_DEFAULT;
	int64_t ttl_s;
	int ch, fd, i, stop = 0;

	cli_init(&c, "tend-gate", approve_usage);
	while ((ch = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, opts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_KEY:
			key = optarg;
			break;
		case OPT_POLICY:
			policy = optarg;
			break;
		case OPT_TTL:
			ttl = optarg;
			break;
		default:
			if (!cli_common_opt(&c, ch, optarg))
				cli_usage_error(&c);
		}
	}
	argc -= optind;
	argv += optind;
	if (key == NULL || argc < 1)
		cli_usage_error(&c);
	if (duration_parse(ttl, &ttl_s, &err) < 0 || ttl_s > GATE_TTL_MAX) {
		warnx("--ttl %s: %s", ttl, err.code ? err.msg :
		    "at most 7d: approvals are meant to be short-lived");
		exit(TEND_EXIT_USAGE);
	}
	cli_start(&c);
	if (sign_key_load_secret(&k, key, &err) < 0)
		errx(err.code, "%s", err.msg);
	if (policy != NULL && (p = policy_load_file(policy, &err)) == NULL) {
		sign_key_wipe(&k);
		errx(err.code, "%s", err.msg);
	}
	memset(&f, 0, sizeof(f));
	f.id = argv[0];
	if (argc == 1)
		stop = find_stream(&c, &f, STDIN_FILENO, "<stdin>") < 0;
	for (i = 1; i < argc && !stop; i++) {
		if (strcmp(argv[i], "-") == 0)
			stop = find_stream(&c, &f, STDIN_FILENO, "<stdin>") <
			    0;
		else if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC)) < 0) {
			warn("cannot open '%s'", argv[i]);
			cli_fail(&c, TEND_EXIT_SYSTEM);
			stop = 1;
		} else {
			stop = find_stream(&c, &f, fd, argv[i]) < 0;
			close(fd);
		}
	}
	if (!stop && c.status == 0) {
		if (!f.found) {
			warnx("no tend.action.proposed or .escalated about "
			    "'%s' in the input", f.id);
			cli_fail(&c, TEND_EXIT_NO);
		} else
			(void)approve(&c, &f, &k, p, ttl_s);
	}
	sign_key_wipe(&k);
	policy_free(p);
	buf_release(&f.line);
	return cli_finish(&c);
}
