/*
 * Fuzz target: the event log's reader, seeking, verify and the writer's
 * tail handling (evlog.h): frames, leads and seals (skippable frames),
 * the jump-pointer index, torn tails and damage.
 *
 * The first byte picks how the rest makes a log:
 *   0  the rest is the log, byte for byte;
 *   1  a small valid log (14 events in 5 frames) with the rest applied
 *      as edits: 4-byte records (offset u16, value, op: xor a byte,
 *      truncate, or append a byte);
 *   2  as 1, then every seal's chain and check recomputed, so edits of
 *      the seal fields get past the checksums to the index and seek
 *      code;
 *   3  the valid log with the rest appended: a torn tail, or damage.
 * Invariants: nothing crashes or loops, and when verify finds the log
 * intact, or intact but for a torn tail, the writer appends to it and
 * the result verifies intact with one event more.
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "buf.h"
#include "event.h"
#include "evlog.h"
#include "fuzz.h"

static char dir[128], path[160];
static struct buf base;
/* TEND_FUZZ_DEBUG set: say what verify and the writer found, on stderr */
static int debug;

static void
report(void *arg, uint64_t frame, uint64_t off, uint64_t seq, const char *what)
{
	(void)arg;
	fprintf(stderr, "verify: frame %llu at %llu (seq %llu): %s\n",
	    (unsigned long long)frame, (unsigned long long)off,
	    (unsigned long long)seq, what);
}

static const char ev_fmt[] = "{\"specversion\":\"1.0\",\"id\":\"e%u\","
    "\"source\":\"fuzz\",\"type\":\"x.fuzz\",\"time\":"
    "\"2026-01-01T00:00:%02uZ\",\"subject\":\"s%u\",\"data\":{\"n\":%u}}";

static void
put_file(const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || (n > 0 && write(fd, p, n) != (ssize_t)n) || close(fd) < 0)
		abort();
}

static void
cleanup(void)
{
	char p[200];
	unsigned i;

	unlink(path);
	for (i = 1; i < 8; i++) {
		snprintf(p, sizeof(p), "%s.torn-%u", path, i);
		unlink(p);
	}
}

static void
bye(void)
{
	cleanup();
	rmdir(dir);
}

static void
setup(void)
{
	struct evlog_writer w;
	struct evlog_writer_opts o;
	struct tend_err err = { 0 };
	struct buf line = BUF_INIT;
	char tmp[4096];
	const char *t;
	ssize_t k;
	unsigned i;
	int fd;

	/* tmpfs when there is one: the writer fsyncs when it cuts. */
	if ((t = getenv("TEND_FUZZ_TMP")) == NULL)
		t = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/tend-fuzz.XXXXXX", t);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/log", dir);
	atexit(bye);
	memset(&o, 0, sizeof(o));
	o.sync = EVLOG_SYNC_NEVER;
	o.level = 1;
	o.frame_bytes = 100000;
	o.frame_events = 3;
	if (evlog_writer_open(&w, path, &o, &err) < 0)
		abort();
	for (i = 0; i < 14; i++) {
		buf_reset(&line);
		buf_addf(&line, ev_fmt, i, i * 3 % 60, i % 4, i);
		if (evlog_writer_append(&w, line.p, line.len, NULL, &err) < 0)
			abort();
	}
	if (evlog_writer_close(&w, NULL, &err) < 0)
		abort();
	buf_release(&line);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		abort();
	while ((k = read(fd, tmp, sizeof(tmp))) > 0)
		buf_add(&base, tmp, (size_t)k);
	close(fd);
	cleanup();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setup();
	debug = getenv("TEND_FUZZ_DEBUG") != NULL;
	return 0;
}

static void
edit(struct buf *b, const uint8_t *p, size_t n)
{
	size_t off;

	for (; n >= 4; p += 4, n -= 4) {
		off = (size_t)(p[0] | p[1] << 8);
		switch (p[3] % 3) {
		case 0:
			if (b->len > 0)
				b->p[off % b->len] ^= (char)(p[2] ? p[2] : 1);
			break;
		case 1:
			if (b->len > 0)
				b->len = off % b->len;
			break;
		default:
			buf_addc(b, (char)p[2]);
		}
	}
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
le64(const unsigned char *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Recomputes chain and check of every seal found by walking the leads. */
static void
reseal(struct buf *b)
{
	unsigned char prev[EVLOG_HASH_LEN], tmp[EVLOG_HASH_LEN + 184], md[32];
	unsigned char *u = (unsigned char *)b->p, *s;
	uint64_t pos = 0, dlen;

	memset(prev, 0, sizeof(prev));
	while (b->len - pos >= EVLOG_LEAD_SIZE) {
		if (le32(u + pos) != EVLOG_LEAD_MAGIC)
			break;
		dlen = le64(u + pos + 16);
		if (dlen > b->len || b->len - pos - EVLOG_LEAD_SIZE <
		    dlen + EVLOG_SEAL_SIZE)
			break;
		s = u + pos + EVLOG_LEAD_SIZE + dlen;
		if (le32(s) != EVLOG_SEAL_MAGIC)
			break;
		memcpy(tmp, prev, EVLOG_HASH_LEN);
		memcpy(tmp + EVLOG_HASH_LEN, s + 8, 184);
		evlog_sha256(s + 8 + 184, tmp, sizeof(tmp));
		memcpy(prev, s + 8 + 184, EVLOG_HASH_LEN);
		evlog_sha256(md, s + 8, 216);
		memcpy(s + 8 + 216, md, 8);
		pos += EVLOG_LEAD_SIZE + dlen + EVLOG_SEAL_SIZE;
	}
}

/* Reads every frame the reader gives (at most a bound), checking events. */
static void
read_all(struct evlog_reader *r, const struct evlog_range *rg,
    struct event *ev)
{
	struct tend_err err = { 0 };
	const char *line;
	size_t len;
	uint64_t seq;
	int i, rc;

	for (i = 0; i < 64; i++) {
		rc = evlog_reader_next(r, rg, &err);
		if (rc == 0)
			break;
		if (rc < 0) {
			FUZZ_ASSERT(err.code == TEND_EXIT_INPUT);
			if (r->broken)
				break;
			continue;
		}
		/* Only verify checks that the lines are events. */
		while (evlog_reader_event(r, &line, &len, &seq))
			(void)event_parse(ev, line, len, &err);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evlog_reader r;
	struct evlog_writer w;
	struct evlog_verify_stats st, st2;
	struct evlog_writer_opts o;
	struct evlog_range rg;
	struct evlog_seal tail;
	struct event ev;
	struct tend_err err = { 0 };
	struct buf b = BUF_INIT, line = BUF_INIT;
	uint64_t seq = 0;
	int clean, wrc;

	if (size < 1)
		return 0;
	if (data[0] % 4 == 0)
		buf_add(&b, data + 1, size - 1);
	else
		buf_add(&b, base.p, base.len);
	if (data[0] % 4 == 1 || data[0] % 4 == 2)
		edit(&b, data + 1, size - 1);
	if (data[0] % 4 == 2)
		reseal(&b);
	if (data[0] % 4 == 3)
		buf_add(&b, data + 1, size - 1);
	if (size > 1)
		seq = data[size - 1] % 20;
	put_file(b.p, b.len);
	buf_release(&b);

	event_init(&ev);
	if (evlog_reader_open(&r, path, &err) < 0)
		abort();
	read_all(&r, NULL, &ev);
	(void)evlog_reader_tail(&r, &tail, &err);
	if (evlog_reader_seek_seq(&r, seq, &err) == 0) {
		evlog_range_all(&rg);
		rg.seq_min = seq;
		rg.seq_max = seq + 4;
		read_all(&r, &rg, &ev);
	}
	if (evlog_reader_seek_time(&r, 1767225600000000000LL +
	    (int64_t)seq * 3000000000LL, &err) == 0) {
		evlog_range_all(&rg);
		rg.timed = 1;
		rg.time_min = 1767225600000000000LL +
		    (int64_t)seq * 3000000000LL;
		read_all(&r, &rg, &ev);
	}
	evlog_reader_close(&r);

	if (evlog_verify(path, &st, debug ? report : NULL, NULL, &err) < 0)
		abort();
	clean = st.problems == 0 || (st.problems == 1 && st.torn_len > 0);

	/* no fsync, and a small compression context: a run is about the
	   log's structure, and each input must stay well under 100 ms */
	memset(&o, 0, sizeof(o));
	o.sync = EVLOG_SYNC_NEVER;
	o.level = 1;
	if (evlog_writer_open(&w, path, &o, &err) < 0)
		abort();
	buf_addf(&line, ev_fmt, 99u, 59u, 9u, 99u);
	wrc = evlog_writer_append(&w, line.p, line.len, NULL, &err);
	if (evlog_writer_close(&w, NULL, &err) < 0)
		wrc = -1;
	if (debug)
		fprintf(stderr, "verify: %llu problems, %llu events, torn %llu;"
		    " append: %d %s\n", (unsigned long long)st.problems,
		    (unsigned long long)st.events,
		    (unsigned long long)st.torn_len, wrc,
		    wrc < 0 ? err.msg : "");
	if (clean) {
		FUZZ_ASSERT(wrc == 0);
		if (evlog_verify(path, &st2, NULL, NULL, &err) < 0)
			abort();
		FUZZ_ASSERT(st2.problems == 0);
		FUZZ_ASSERT(st2.events == st.events + 1);
	}
	buf_release(&line);
	event_release(&ev);
	cleanup();
	return 0;
}
