/*
 * tend-log cat: prints the events of a log, oldest first, each line as
 * stored (with its seq).  Filters by seq range and time range find their
 * first frame from the seals alone and skip frames whose seal rules them
 * out; --type, --subject and --run parse each event.  No line of a frame
 * is printed before the whole frame is decoded and checked.  --follow
 * waits for more, as tail -f does, until SIGINT or SIGTERM (status 0) or
 * until stdout goes away.
 */
#include "compat.h"

#include <sys/inotify.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "cli.h"
#include "event.h"
#include "evlog.h"
#include "log.h"
#include "rfc3339.h"

/* --follow looks at the file this often when inotify is not there. */
#define FOLLOW_POLL_MS	250

struct cat {
	struct cli *c;
	struct evlog_reader r;
	struct evlog_range rg;
	const char *path;
	const char *type, *subject, *run;
	int	 follow;
	int	 parse;		/* a filter needs the event's fields */
	struct event ev;
	struct buf attr;
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
parse_u64(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0 || n > 19)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

/* N, A..B, A.. or ..B, with seqs >= 1. */
static int
parse_range(const char *s, struct evlog_range *rg)
{
	const char *dots = strstr(s, "..");

	if (dots == NULL) {
		if (parse_u64(s, strlen(s), &rg->seq_min) < 0)
			return -1;
		rg->seq_max = rg->seq_min;
	} else {
		if (dots > s && parse_u64(s, (size_t)(dots - s),
		    &rg->seq_min) < 0)
			return -1;
		if (dots[2] != '\0' && parse_u64(dots + 2, strlen(dots + 2),
		    &rg->seq_max) < 0)
			return -1;
		if (dots == s && dots[2] == '\0')
			return -1;
	}
	if (rg->seq_min == 0 && dots != NULL && dots > s)
		return -1;
	return rg->seq_max >= rg->seq_min && rg->seq_max > 0 ? 0 : -1;
}

static int
parse_time(struct cli *c, const char *opt, const char *s, int64_t *ns)
{
	if (rfc3339_parse(s, strlen(s), ns) < 0) {
		warnx("%s '%s' is not an RFC 3339 time", opt, s);
		cli_usage_error(c);
	}
	return 0;
}

static int
attr_match(struct cat *k, int64_t tok, const char *glob)
{
	if (tok < 0)
		return 0;
	buf_reset(&k->attr);
	event_attr(&k->ev, tok, &k->attr);
	if (k->attr.p == NULL || memchr(k->attr.p, '\0', k->attr.len) != NULL)
		return 0;
	return fnmatch(glob, k->attr.p, 0) == 0;
}

/* Whether one stored line passes the per-event filters. */
static int
event_wanted(struct cat *k, const char *line, size_t len, uint64_t seq)
{
	struct tend_err err = { 0 };

	if (seq != 0 && (seq < k->rg.seq_min || seq > k->rg.seq_max))
		return 0;
	if (!k->parse && seq != 0)
		return 1;
	if (event_parse(&k->ev, line, len, &err) < 0)
		return 0;	/* cannot happen in a checked frame */
	if (seq == 0) {
		int64_t v;

		if (k->ev.seq < 0 || json_int(&k->ev.doc,
		    (uint32_t)k->ev.seq, &v) < 0 || (uint64_t)v <
		    k->rg.seq_min || (uint64_t)v > k->rg.seq_max)
			return 0;
	}
	if (k->rg.timed && (k->ev.time < 0 || k->ev.time_ns <
	    k->rg.time_min || k->ev.time_ns > k->rg.time_max))
		return 0;
	if (k->type != NULL && !attr_match(k, k->ev.type, k->type))
		return 0;
	if (k->subject != NULL && !attr_match(k, k->ev.subject, k->subject))
		return 0;
	if (k->run != NULL && !event_attr_eq(&k->ev, k->ev.runid, k->run))
		return 0;
	return 1;
}

/* Prints the wanted lines of the frame just read; -1 when stdout is gone. */
static int
print_frame(struct cat *k)
{
	const struct evlog_seal *s = &k->r.seal;
	const char *line;
	size_t len;
	uint64_t seq;

	if (!k->parse && s->first_seq >= k->rg.seq_min &&
	    s->first_seq + s->count - 1 <= k->rg.seq_max &&
	    (!k->rg.timed || ((s->flags & EVLOG_FLAG_ALL_TIMED) &&
	    s->min_time >= k->rg.time_min && s->max_time <= k->rg.time_max)))
		return ndjson_writer_raw(&k->c->out, k->r.content.p,
		    k->r.content.len);
	while (evlog_reader_event(&k->r, &line, &len, &seq))
		if (event_wanted(k, line, len, seq) &&
		    ndjson_writer_line(&k->c->out, line, len) < 0)
			return -1;
	return 0;
}

/*
 * Waits for the log to change, or for a signal, or for stdout to go
 * away.  -1 when the caller should stop.
 */
static int
follow_wait(struct cat *k, int ifd)
{
	struct pollfd pfd[2];
	char ev[4096];
	int n = 1;

	if (ndjson_writer_flush(&k->c->out) < 0)
		return -1;
	if (stop)
		return -1;
	/* A pipe whose reader left reports POLLERR on the write end. */
	pfd[0].fd = STDOUT_FILENO;
	pfd[0].events = 0;
	if (ifd >= 0) {
		pfd[1].fd = ifd;
		pfd[1].events = POLLIN;
		n = 2;
	}
	if (poll(pfd, (nfds_t)n, ifd >= 0 ? 1000 : FOLLOW_POLL_MS) < 0 &&
	    errno != EINTR)
		return -1;
	if (pfd[0].revents & (POLLERR | POLLHUP)) {
		k->c->out.closed = 1;
		return -1;
	}
	if (n == 2 && (pfd[1].revents & POLLIN))
		while (read(ifd, ev, sizeof(ev)) > 0)
			;
	return stop ? -1 : 0;
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void
run(struct cat *k)
{
	struct tend_err err = { 0 };
	uint64_t torn_seen = UINT64_MAX;
	int rc, ifd = -1;

	if (k->follow) {
		install_signals();
		ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (ifd >= 0 && inotify_add_watch(ifd, k->path, IN_MODIFY |
		    IN_ATTRIB | IN_CLOSE_WRITE) < 0) {
			close(ifd);
			ifd = -1;
		}
	}
	if (k->rg.seq_min > 1)
		rc = evlog_reader_seek_seq(&k->r, k->rg.seq_min, &err);
	else if (k->rg.timed && k->rg.time_min != INT64_MIN)
		rc = evlog_reader_seek_time(&k->r, k->rg.time_min, &err);
	else
		rc = 0;
	if (rc < 0) {
		warnx("%s: %s", k->path, err.msg);
		cli_fail(k->c, err.code);
		goto out;
	}
	while (!stop) {
		uint64_t fno = k->r.frame_no, off = k->r.pos;

		rc = evlog_reader_next(&k->r, &k->rg, &err);
		if (rc > 0) {
			if (print_frame(k) < 0)
				break;
			continue;
		}
		if (rc < 0) {
			if (err.code == TEND_EXIT_SYSTEM)
				warnx("%s", err.msg);
			else
				warnx("%s: frame %" PRIu64 " at byte %" PRIu64
				    ": %s (not printed)", k->path, fno, off,
				    err.msg);
			cli_fail(k->c, err.code);
			if (err.code == TEND_EXIT_SYSTEM || k->r.broken)
				break;
			continue;
		}
		if (k->r.torn_len > 0 && k->r.torn_off != torn_seen) {
			warnx("%s: torn tail at byte %" PRIu64 ": %" PRIu64
			    " bytes of an incomplete frame (not printed)",
			    k->path, k->r.torn_off, k->r.torn_len);
			torn_seen = k->r.torn_off;
		}
		if (!k->follow || k->r.done || follow_wait(k, ifd) < 0)
			break;
	}
out:
	if (ifd >= 0)
		close(ifd);
}

int
log_cat(struct cli *c, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "follow", no_argument, NULL, OPT_FOLLOW },
		{ "seq", required_argument, NULL, OPT_SEQ },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "subject", required_argument, NULL, OPT_SUBJECT },
		{ "run", required_argument, NULL, OPT_RUN },
		{ NULL, 0, NULL, 0 },
	};
	struct cat k;
	struct tend_err err = { 0 };
	int ch;

	memset(&k, 0, sizeof(k));
	k.c = c;
	evlog_range_all(&k.rg);
	while ((ch = getopt_long(argc, argv, "fhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
		case OPT_FOLLOW:
			k.follow = 1;
			break;
		case OPT_SEQ:
			if (parse_range(optarg, &k.rg) < 0) {
				warnx("--seq %s: not N, A..B, A.. or ..B with "
				    "1 <= A <= B", optarg);
				cli_usage_error(c);
			}
			break;
		case OPT_SINCE:
			parse_time(c, "--since", optarg, &k.rg.time_min);
			k.rg.timed = 1;
			break;
		case OPT_UNTIL:
			/* --until is exclusive: the range's bound is not */
			parse_time(c, "--until", optarg, &k.rg.time_max);
			if (k.rg.time_max > INT64_MIN)
				k.rg.time_max--;
			k.rg.timed = 1;
			break;
		case OPT_TYPE:
			k.type = optarg;
			break;
		case OPT_SUBJECT:
			k.subject = optarg;
			break;
		case OPT_RUN:
			k.run = optarg;
			break;
		default:
			if (!cli_common_opt(c, ch, optarg))
				cli_usage_error(c);
		}
	}
	if (argc - optind != 1)
		cli_usage_error(c);
	k.path = argv[optind];
	if (k.rg.timed && k.rg.time_min > k.rg.time_max) {
		warnx("--since must come before --until");
		cli_usage_error(c);
	}
	k.parse = k.type != NULL || k.subject != NULL || k.run != NULL ||
	    k.rg.timed;
	cli_start(c);
	if (evlog_reader_open(&k.r, k.path, &err) < 0)
		errx(err.code, "%s", err.msg);
	event_init(&k.ev);
	run(&k);
	event_release(&k.ev);
	buf_release(&k.attr);
	evlog_reader_close(&k.r);
	return cli_finish(c);
}
