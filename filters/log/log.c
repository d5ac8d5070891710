/*
 * tend-log: the event log of SPEC section 4 (format: evlog.h, tend-log.1).
 *
 *   append LOG   reads events on stdin, appends them to LOG with their seq
 *                and passes the stored lines on to stdout once written
 *                (under --sync always: once fsync'd).  A bad line stops
 *                the run with 3 (--keep-going: a tend.error, then 3 at the
 *                end); I/O errors give 4.
 *   cat LOG      prints the events of LOG, filtered (cat.c).
 *   verify LOG   checks LOG: 0 intact, 1 damaged or torn, 4 unreadable.
 *   stat LOG     prints counts, ranges and sizes from the last seal.
 *   repair LOG   moves what follows the last sound seal to LOG.torn-N.
 */
#include "compat.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "evlog.h"
#include "log.h"
#include "ndjson.h"
#include "rfc3339.h"

static const char usage_text[] =
    "usage: %s append [-hkV] [--frame-size bytes] [--level n]\n"
    "           [--max-line bytes] [--now time] [--sync always|batch|never]"
    " log\n"
    "       tend-log cat [-fhV] [--follow] [--run id] [--seq range]"
    " [--since time]\n"
    "           [--subject glob] [--type glob] [--until time] log\n"
    "       tend-log repair [-hV] log\n"
    "       tend-log stat [-hV] [--json] log\n"
    "       tend-log verify [-hV] [--quiet] log\n";

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Whether the reader holds a whole line, or has seen the end of input. */
static int
line_ready(const struct ndjson_reader *r)
{
	return r->eof || (r->end > r->start &&
	    memchr(r->buf + r->start, '\n', r->end - r->start) != NULL);
}

/*
 * Before the reader may block: waits for input no longer than the log's
 * deadline (a frame a second old, or a sync due), and writes the frame
 * when input stays away, so a trickle of events is durable within about a
 * second.  -1 when the caller must stop.
 */
static int
wait_input(struct cli *c, const struct ndjson_reader *r)
{
	struct pollfd pfd;
	int64_t d, now;
	int rc;

	while (!line_ready(r) && (d = evlog_writer_deadline(c->log)) >= 0) {
		if (c->out.prompt && ndjson_writer_flush(&c->out) < 0)
			return -1;
		now = mono_ns();
		pfd.fd = r->fd;
		pfd.events = POLLIN;
		rc = poll(&pfd, 1, d > now ? (int)((d - now + 999999) /
		    1000000) : 0);
		if (rc > 0 || (rc < 0 && errno != EINTR))
			return 0;
		if (rc == 0 && cli_log_flush(c) < 0)
			return -1;
	}
	return 0;
}

static int
log_append(struct cli *c, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "now", required_argument, NULL, CLI_OPT_NOW },
		{ "max-line", required_argument, NULL, CLI_OPT_MAX_LINE },
		{ "sync", required_argument, NULL, OPT_SYNC },
		{ "level", required_argument, NULL, OPT_LEVEL },
		{ "frame-size", required_argument, NULL, OPT_FRAME_SIZE },
		{ NULL, 0, NULL, 0 },
	};
	struct ndjson_reader r;
	struct tend_err err = { 0 };
	const char *errstr;
	char *line;
	size_t len;
	int ch, n;

	while ((ch = getopt_long(argc, argv, "hkV", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_SYNC:
			if (evlog_sync_parse(optarg, &c->log_opts.sync) < 0) {
				warnx("--sync %s: not always, batch or never",
				    optarg);
				cli_usage_error(c);
			}
			break;
		case OPT_LEVEL:
			c->log_opts.level = (int)strtonum(optarg, 1, 19,
			    &errstr);
			if (errstr != NULL) {
				warnx("--level %s: %s", optarg, errstr);
				cli_usage_error(c);
			}
			break;
		case OPT_FRAME_SIZE:
			c->log_opts.frame_bytes = (size_t)strtonum(optarg, 1,
			    (long long)1 << 30, &errstr);
			if (errstr != NULL) {
				warnx("--frame-size %s: %s", optarg, errstr);
				cli_usage_error(c);
			}
			break;
		default:
			if (!cli_common_opt(c, ch, optarg))
				cli_usage_error(c);
		}
	}
	if (argc - optind != 1)
		cli_usage_error(c);
	c->log_path = argv[optind];
	cli_start(c);

	ndjson_reader_init(&r, STDIN_FILENO, "<stdin>");
	r.max_line = c->max_line;
	r.flush_before_read = &c->out;
	for (;;) {
		if (wait_input(c, &r) < 0)
			break;
		n = ndjson_reader_next(&r, &line, &len, &err);
		if (n == 0)
			break;
		if (n < 0 && err.code == TEND_EXIT_SYSTEM) {
			warnx("%s", err.msg);
			cli_fail(c, TEND_EXIT_SYSTEM);
			break;
		}
		if (n > 0 && len == 0)
			tend_err_set(&err, TEND_EXIT_INPUT, "empty line");
		else if (n > 0 && cli_log_event(c, line, len, &err) == 0)
			continue;
		else if (n > 0 && err.code != TEND_EXIT_INPUT)
			break;
		if (cli_bad_input(c, "<stdin>", r.lineno, n > 0 ? line : "",
		    n > 0 ? len : 0, err.msg) < 0)
			break;
	}
	ndjson_reader_release(&r);
	return cli_finish(c);
}

/* Parses the log operand of a read-only subcommand. */
static const char *
only_operand(struct cli *c, int argc, char *argv[])
{
	if (argc - optind != 1)
		cli_usage_error(c);
	return argv[optind];
}

static void
print_time(FILE *f, int64_t ns, int json)
{
	char ts[48];

	rfc3339_format(ns, ts, sizeof(ts));
	fprintf(f, json ? "\"%s\"" : "%s", ts);
}

static int
log_stat(struct cli *c, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	struct evlog_reader r;
	struct evlog_seal t;
	struct tend_err err = { 0 };
	struct buf js = BUF_INIT;
	const char *path;
	uint64_t events = 0, frames = 0, raw = 0;
	double ratio = 0;
	int ch, rc, json = 0, timed;

	while ((ch = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		if (ch == OPT_JSON)
			json = 1;
		else if (!cli_common_opt(c, ch, optarg))
			cli_usage_error(c);
	}
	path = only_operand(c, argc, argv);
	cli_start(c);
	if (evlog_reader_open(&r, path, &err) < 0)
		errx(err.code, "%s", err.msg);
	if ((rc = evlog_reader_tail(&r, &t, &err)) < 0) {
		warnx("%s: %s", path, err.msg);
		evlog_reader_close(&r);
		return err.code;
	}
	if (rc > 0) {
		events = t.first_seq + t.count - 1;
		frames = t.frame_no + 1;
		raw = t.total_raw;
	}
	if (r.size > r.torn_len && raw > 0)
		ratio = (double)raw / (double)(r.size - r.torn_len);
	timed = rc > 0 && t.prefix_min_time <= t.prefix_max_time;
	if (json) {
		buf_adds(&js, "{\"log\":");
		buf_add_json_str(&js, path, strlen(path));
		printf("%s,\"events\":%" PRIu64 ",\"frames\":%" PRIu64
		    ",\"first_seq\":%s,\"last_seq\":%" PRIu64 ",\"min_time\":",
		    js.p, events, frames, events ? "1" : "null", events);
		if (timed)
			print_time(stdout, t.prefix_min_time, 1);
		else
			fputs("null", stdout);
		fputs(",\"max_time\":", stdout);
		if (timed)
			print_time(stdout, t.prefix_max_time, 1);
		else
			fputs("null", stdout);
		printf(",\"bytes\":%" PRIu64 ",\"raw_bytes\":%" PRIu64
		    ",\"ratio\":%.3f,\"torn_bytes\":%" PRIu64 "}\n",
		    r.size - r.torn_len, raw, ratio, r.torn_len);
	} else {
		printf("log\t%s\nevents\t%" PRIu64 "\nframes\t%" PRIu64 "\n",
		    path, events, frames);
		if (events)
			printf("seq\t1..%" PRIu64 "\n", events);
		if (timed) {
			fputs("time\t", stdout);
			print_time(stdout, t.prefix_min_time, 0);
			fputs(" .. ", stdout);
			print_time(stdout, t.prefix_max_time, 0);
			fputc('\n', stdout);
		}
		printf("size\t%" PRIu64 " bytes on disk, %" PRIu64 " bytes "
		    "uncompressed, ratio %.2f\n", r.size - r.torn_len, raw,
		    ratio);
		if (r.torn_len)
			printf("torn\t%" PRIu64 " bytes at byte %" PRIu64 "\n",
			    r.torn_len, r.torn_off);
	}
	buf_release(&js);
	evlog_reader_close(&r);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		warn("stdout");
		return TEND_EXIT_SYSTEM;
	}
	return 0;
}

struct verify_ctx {
	const char *path;
	int	 shown;
};

#define VERIFY_MAX_SHOWN 100

static void
verify_report(void *arg, uint64_t frame, uint64_t off, uint64_t seq,
    const char *what)
{
	struct verify_ctx *v = arg;

	if (v->shown++ >= VERIFY_MAX_SHOWN)
		return;
	if (seq != 0)
		warnx("%s: frame %" PRIu64 " at byte %" PRIu64 " (seq %"
		    PRIu64 "): %s", v->path, frame, off, seq, what);
	else
		warnx("%s: frame %" PRIu64 " at byte %" PRIu64 ": %s",
		    v->path, frame, off, what);
}

static int
log_verify(struct cli *c, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ NULL, 0, NULL, 0 },
	};
	struct evlog_verify_stats st;
	struct verify_ctx v;
	struct tend_err err = { 0 };
	struct buf head = BUF_INIT;
	int ch, quiet = 0;

	while ((ch = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		if (ch == OPT_QUIET)
			quiet = 1;
		else if (!cli_common_opt(c, ch, optarg))
			cli_usage_error(c);
	}
	v.path = only_operand(c, argc, argv);
	v.shown = 0;
	cli_start(c);
	if (evlog_verify(v.path, &st, verify_report, &v, &err) < 0) {
		warnx("%s", err.msg);
		return TEND_EXIT_SYSTEM;
	}
	if (v.shown > VERIFY_MAX_SHOWN)
		warnx("%s: %d more problems not shown", v.path,
		    v.shown - VERIFY_MAX_SHOWN);
	if (!quiet) {
		if (st.problems == 0) {
			buf_add_hex(&head, st.head, sizeof(st.head));
			printf("%s: intact: %" PRIu64 " frames, %" PRIu64
			    " events, %" PRIu64 " bytes, head %s\n", v.path,
			    st.frames, st.events, st.bytes,
			    st.frames ? head.p : "none");
		} else
			printf("%s: damaged: %" PRIu64 " problem%s\n", v.path,
			    st.problems, st.problems == 1 ? "" : "s");
	}
	buf_release(&head);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		warn("stdout");
		return TEND_EXIT_SYSTEM;
	}
	return st.problems ? TEND_EXIT_NO : 0;
}

/*
 * After a power loss that left garbage where a frame was being written,
 * append refuses the log (that could also be a damaged last frame, and
 * nothing is cut without someone asking).  repair is the asking.
 */
static int
log_repair(struct cli *c, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct evlog_repair rp;
	struct tend_err err = { 0 };
	const char *path;
	int ch;

	while ((ch = getopt_long(argc, argv, "hV", opts, NULL)) != -1)
		if (!cli_common_opt(c, ch, optarg))
			cli_usage_error(c);
	path = only_operand(c, argc, argv);
	cli_start(c);
	if (access(path, F_OK) < 0) {
		warn("%s", path);
		return TEND_EXIT_SYSTEM;
	}
	if (evlog_repair(path, &rp, &err) < 0) {
		warnx("%s", err.msg);
		return err.code ? err.code : TEND_EXIT_SYSTEM;
	}
	if (rp.len == 0)
		printf("%s: nothing follows the last seal\n", path);
	else
		printf("%s: cut %" PRIu64 " bytes at byte %" PRIu64 " (%s), "
		    "kept in %s\n", path, rp.len, rp.off, rp.torn ?
		    "a torn tail" : "not a torn tail: a power loss's garbage, "
		    "or a last frame with a damaged seal", rp.saved);
	free(rp.saved);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		warn("stdout");
		return TEND_EXIT_SYSTEM;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c;
	const char *cmd;
	int ch;

	cli_init(&c, "tend-log", usage_text);
	if (argc > 1 && argv[1][0] == '-') {
		while ((ch = getopt_long(argc, argv, "hV", opts, NULL)) != -1)
			cli_common_opt(&c, ch, optarg);
		cli_usage_error(&c);
	}
	if (argc < 2)
		cli_usage_error(&c);
	cmd = argv[1];
	argc--;
	argv++;
	if (strcmp(cmd, "append") == 0)
		return log_append(&c, argc, argv);
	if (strcmp(cmd, "cat") == 0)
		return log_cat(&c, argc, argv);
	if (strcmp(cmd, "verify") == 0)
		return log_verify(&c, argc, argv);
	if (strcmp(cmd, "stat") == 0)
		return log_stat(&c, argc, argv);
	if (strcmp(cmd, "repair") == 0)
		return log_repair(&c, argc, argv);
	warnx("unknown subcommand '%s'", cmd);
	cli_usage_error(&c);
}
