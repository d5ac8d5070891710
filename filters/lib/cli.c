#include "compat.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "event.h"
#include "rfc3339.h"
#include "xmalloc.h"

/*
 * Input would block: write the log's pending frame (so a trickle of
 * events is durable and passed on within the wait) and flush stdout.
 */
static void
cli_idle(void *ctx)
{
	struct cli *c = ctx;

	if (c->log != NULL)
		cli_log_flush(c);
	if (c->out.prompt)
		ndjson_writer_flush(&c->out);
}

void
cli_init(struct cli *c, const char *prog, const char *usage)
{
	memset(c, 0, sizeof(*c));
	c->prog = prog;
	c->usage = usage;
	c->max_line = NDJSON_MAX_LINE_DEFAULT;
	c->log_opts.sync = EVLOG_SYNC_BATCH;
	c->log_opts.level = EVLOG_LEVEL_DEFAULT;
	setprogname(prog);
	signal(SIGPIPE, SIG_IGN);
	ndjson_writer_init(&c->out, STDOUT_FILENO);
	c->out.on_idle = cli_idle;
	c->out.idle_ctx = c;
	if (sodium_init() < 0)
		errx(TEND_EXIT_SYSTEM, "cannot initialise libsodium");
}

/* The usage text starts with "usage: %s", the name going in its place. */
static void
usage(const struct cli *c, FILE *f)
{
	const char *rest = strstr(c->usage, "%s");

	if (rest == NULL)
		BUG("usage text without %s");
	fprintf(f, "%.*s%s%s", (int)(rest - c->usage), c->usage, c->prog,
	    rest + 2);
}

void
cli_usage_error(struct cli *c)
{
	usage(c, stderr);
	exit(TEND_EXIT_USAGE);
}

int
cli_common_opt(struct cli *c, int ch, const char *arg)
{
	const char *errstr;

	switch (ch) {
	case 'h':
		usage(c, stdout);
		exit(fflush(stdout) == 0 ? 0 : TEND_EXIT_SYSTEM);
	case 'V':
		printf("%s (tend) %s\n", c->prog, TEND_VERSION);
		exit(fflush(stdout) == 0 ? 0 : TEND_EXIT_SYSTEM);
	case 'k':
		c->keep_going = 1;
		return 1;
	case CLI_OPT_NOW:
		c->now_arg = arg;
		return 1;
	case CLI_OPT_LOG:
		c->log_path = arg;
		return 1;
	case CLI_OPT_MAX_LINE:
		c->max_line = (size_t)strtonum(arg, 2, (long long)1 << 40,
		    &errstr);
		if (errstr != NULL) {
			warnx("--max-line %s: %s", arg, errstr);
			exit(TEND_EXIT_USAGE);
		}
		return 1;
	case '?':
		cli_usage_error(c);
	default:
		return 0;
	}
}

void
cli_start(struct cli *c)
{
	if (rfc3339_now(c->now_arg, &c->now_ns) < 0) {
		warnx("%s '%s' is not an RFC 3339 time",
		    c->now_arg != NULL ? "--now" : "TEND_NOW",
		    c->now_arg != NULL ? c->now_arg : getenv("TEND_NOW"));
		exit(TEND_EXIT_USAGE);
	}
	if (c->log_path != NULL) {
		struct tend_err err = { 0 };

		c->log = xmalloc(sizeof(*c->log));
		if (evlog_writer_open(c->log, c->log_path, &c->log_opts,
		    &err) < 0)
			errx(err.code, "%s", err.msg);
	}
}

void
cli_warn_at(struct cli *c, const char *file, size_t line, const char *fmt, ...)
{
	va_list ap;

	(void)c;
	fprintf(stderr, "%s: %s:%zu: ", getprogname(), file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
cli_fail(struct cli *c, int st)
{
	if (st > c->status)
		c->status = st;
}

int
cli_bad_input(struct cli *c, const char *file, size_t line,
    const char *bytes, size_t len, const char *why)
{
	struct buf data = BUF_INIT, ev = BUF_INIT;
	struct event_new en;
	struct tend_err err = { 0 };
	unsigned char md[32];
	int rc = 0;

	cli_warn_at(c, file, line, "%s", why);
	c->bad_input++;
	cli_fail(c, TEND_EXIT_INPUT);
	if (!c->keep_going)
		return -1;
	crypto_hash_sha256(md, (const unsigned char *)bytes, len);
	buf_adds(&data, "{\"program\":");
	buf_add_json_str(&data, c->prog, strlen(c->prog));
	buf_adds(&data, ",\"file\":");
	buf_add_json_str(&data, file, strlen(file));
	buf_addf(&data, ",\"line\":%zu,\"message\":", line);
	buf_add_json_str(&data, why, strlen(why));
	buf_addf(&data, ",\"input_bytes\":%zu,\"input_sha256\":\"", len);
	buf_add_hex(&data, md, sizeof(md));
	buf_adds(&data, "\"}");
	memset(&en, 0, sizeof(en));
	en.source = c->prog;
	en.type = "tend.error";
	en.runid = getenv("TEND_RUNID");
	if (en.runid != NULL && *en.runid == '\0')
		en.runid = NULL;
	en.time_ns = c->now_ns;
	en.data = data.p;
	en.data_len = data.len;
	if (event_build(&ev, &en, &err) < 0)
		BUG(err.msg);	/* we built data ourselves */
	if (cli_emit(c, ev.p, ev.len) < 0)
		rc = -1;
	buf_release(&ev);
	buf_release(&data);
	return rc;
}

/* Writes out what the log handed back, and says what it cut off. */
static int
log_pass_on(struct cli *c)
{
	int rc = 0;

	if (c->log->torn_new) {
		warnx("%s: cut off a torn tail of %llu bytes at byte %llu, "
		    "kept in '%s'", c->log_path,
		    (unsigned long long)c->log->torn_len,
		    (unsigned long long)c->log->torn_off, c->log->torn_path);
		c->log->torn_new = 0;
	}
	if (c->logout.len > 0)
		rc = ndjson_writer_raw(&c->out, c->logout.p, c->logout.len);
	buf_reset(&c->logout);
	return rc;
}

static void
log_failed(struct cli *c, struct tend_err *err)
{
	warnx("%s", err->msg);
	cli_fail(c, err->code ? err->code : TEND_EXIT_SYSTEM);
	err->code = 0;
}

int
cli_log_event(struct cli *c, const char *line, size_t len,
    struct tend_err *err)
{
	int rc;

	rc = evlog_writer_append(c->log, line, len, &c->logout, err);
	if (rc < 0 && c->log->failed)
		log_failed(c, err);
	if (log_pass_on(c) < 0) {
		err->code = 0;
		return -1;
	}
	return rc;
}

int
cli_log_flush(struct cli *c)
{
	struct tend_err err = { 0 };
	int rc;

	if ((rc = evlog_writer_flush(c->log, &c->logout, &err)) < 0)
		log_failed(c, &err);
	if (log_pass_on(c) < 0)
		rc = -1;
	return rc;
}

int
cli_emit(struct cli *c, const char *line, size_t len)
{
	struct tend_err err = { 0 };

	if (c->log == NULL)
		return ndjson_writer_line(&c->out, line, len);
	if (cli_log_event(c, line, len, &err) == 0)
		return 0;
	if (err.code != 0) {
		warnx("%s: cannot append: %s", c->log_path, err.msg);
		cli_fail(c, err.code);
	}
	return -1;
}

int
cli_finish(struct cli *c)
{
	if (c->log != NULL) {
		struct tend_err err = { 0 };

		if (!c->log->failed)
			cli_log_flush(c);
		if (evlog_writer_close(c->log, &c->logout, &err) < 0)
			log_failed(c, &err);
		free(c->log);
		c->log = NULL;
	}
	buf_release(&c->logout);
	ndjson_writer_flush(&c->out);
	if (c->out.closed) {
		ndjson_writer_release(&c->out);
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
		return 128 + SIGPIPE;
	}
	if (c->out.failed) {
		warnx("stdout: %s", c->out.err.msg);
		cli_fail(c, TEND_EXIT_SYSTEM);
	}
	ndjson_writer_release(&c->out);
	return c->status;
}
