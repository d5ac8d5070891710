/*
 * Unit tests for evlog: the SHA-256 against libsodium, writer and reader
 * round trips, seeking, torn tails, damage, concurrent writers, and every
 * single-byte flip of a small log caught by evlog_verify.
 */
#include "compat.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "evlog.h"
#include "xmalloc.h"

static char tmpdir[64];
static char logpath[128];

static int
setup(void **state)
{
	(void)state;
	strlcpy(tmpdir, "/tmp/evlog-test.XXXXXX", sizeof(tmpdir));
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(logpath, sizeof(logpath), "%s/t.log", tmpdir);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Event i, with a time i seconds after 2026-01-01 (none if i % 7 == 3). */
static void
make_event(struct buf *b, unsigned i)
{
	buf_reset(b);
	buf_addf(b, "{\"specversion\":\"1.0\",\"id\":\"e%u\",\"source\":\"t\","
	    "\"type\":\"x.test\",", i);
	if (i % 7 != 3)
		buf_addf(b, "\"time\":\"2026-01-01T%02u:%02u:%02uZ\",",
		    i / 3600 % 24, i / 60 % 60, i % 60);
	buf_addf(b, "\"subject\":\"s%u\",\"data\":{\"n\":%u,\"pad\":\"%0*u\"}}",
	    i % 10, i, (int)(i % 50), 0);
}

static struct evlog_writer_opts
small_frames(size_t bytes, size_t events)
{
	struct evlog_writer_opts o;

	memset(&o, 0, sizeof(o));
	o.sync = EVLOG_SYNC_NEVER;
	o.level = 3;
	o.frame_bytes = bytes;
	o.frame_events = events;
	return o;
}

/* Writes events [from, to) to the log; the stored lines go to out. */
static void
write_events(unsigned from, unsigned to,
    const struct evlog_writer_opts *o, struct buf *out)
{
	struct evlog_writer w;
	struct tend_err err = { 0 };
	struct buf b = BUF_INIT;
	unsigned i;

	assert_int_equal(evlog_writer_open(&w, logpath, o, &err), 0);
	for (i = from; i < to; i++) {
		make_event(&b, i);
		assert_int_equal(evlog_writer_append(&w, b.p, b.len, out,
		    &err), 0);
	}
	assert_int_equal(evlog_writer_close(&w, out, &err), 0);
	buf_release(&b);
}

static uint64_t
verify_problems(void)
{
	struct evlog_verify_stats st;
	struct tend_err err = { 0 };

	assert_int_equal(evlog_verify(logpath, &st, NULL, NULL, &err), 0);
	return st.problems;
}

static off_t
file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void
test_sha256(void **state)
{
	unsigned char *p = xmalloc(70000), a[32], b[32];
	size_t n;

	(void)state;
	for (n = 0; n < 70000; n++)
		p[n] = (unsigned char)(n * 131 + 7);
	for (n = 0; n < 70000; n = n < 300 ? n + 1 : n * 2 + 13) {
		evlog_sha256(a, p, n);
		crypto_hash_sha256(b, p, n);
		assert_memory_equal(a, b, 32);
	}
	free(p);
}

static void
test_round_trip(void **state)
{
	struct evlog_writer_opts o = small_frames(4096, 0);
	struct evlog_reader r;
	struct tend_err err = { 0 };
	struct buf out = BUF_INIT, got = BUF_INIT, want = BUF_INIT;
	const char *line;
	size_t len;
	uint64_t seq, n = 0;
	unsigned i;
	int rc;

	(void)state;
	write_events(0, 1000, &o, &out);
	/* The stored lines: "seq":N, right after the brace, nothing else. */
	for (i = 0; i < 1000; i++) {
		make_event(&got, i);
		buf_addf(&want, "{\"seq\":%u,%s\n", i + 1, got.p + 1);
	}
	assert_int_equal(out.len, want.len);
	assert_memory_equal(out.p, want.p, want.len);

	buf_reset(&got);
	assert_int_equal(evlog_reader_open(&r, logpath, &err), 0);
	while ((rc = evlog_reader_next(&r, NULL, &err)) > 0) {
		buf_add(&got, r.content.p, r.content.len);
		while (evlog_reader_event(&r, &line, &len, &seq))
			assert_int_equal(seq, ++n);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(r.torn_len, 0);
	assert_int_equal(n, 1000);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.p, want.p, want.len);
	evlog_reader_close(&r);
	assert_int_equal(verify_problems(), 0);
	buf_release(&out);
	buf_release(&got);
	buf_release(&want);
}

/* Frames of a MiB: the reader hashes them in a helper thread. */
static void
test_big_frames(void **state)
{
	struct evlog_writer_opts o = small_frames(0, 0);
	struct evlog_reader r;
	struct tend_err err = { 0 };
	struct buf out = BUF_INIT, got = BUF_INIT;
	int rc, frames = 0;

	(void)state;
	write_events(0, 30000, &o, &out);
	assert_int_equal(evlog_reader_open(&r, logpath, &err), 0);
	while ((rc = evlog_reader_next(&r, NULL, &err)) > 0) {
		buf_add(&got, r.content.p, r.content.len);
		frames++;
	}
	assert_int_equal(rc, 0);
	assert_true(frames >= 2);
	assert_int_equal(got.len, out.len);
	assert_memory_equal(got.p, out.p, out.len);
	evlog_reader_close(&r);
	assert_int_equal(verify_problems(), 0);
	buf_release(&out);
	buf_release(&got);
}

static void
test_refused(void **state)
{
	struct evlog_writer w;
	struct tend_err err = { 0 };
	struct buf out = BUF_INIT;
	static const char withseq[] = "{\"specversion\":\"1.0\",\"id\":\"a\","
	    "\"source\":\"t\",\"type\":\"x\",\"seq\":4}";
	static const char notjson[] = "{\"specversion\":\"1.0\",";

	(void)state;
	assert_int_equal(evlog_writer_open(&w, logpath, NULL, &err), 0);
	assert_int_equal(evlog_writer_append(&w, withseq, strlen(withseq),
	    &out, &err), -1);
	assert_int_equal(err.code, TEND_EXIT_INPUT);
	assert_false(w.failed);
	assert_non_null(strstr(err.msg, "seq"));
	assert_int_equal(evlog_writer_append(&w, notjson, strlen(notjson),
	    &out, &err), -1);
	assert_int_equal(err.code, TEND_EXIT_INPUT);
	assert_false(w.failed);
	assert_int_equal(evlog_writer_close(&w, &out, &err), 0);
	assert_int_equal(out.len, 0);
	assert_int_equal(file_size(logpath), 0);
	buf_release(&out);
}

/* Seeking by seq lands on the frame holding it, for every seq. */
static void
test_seek(void **state)
{
	struct evlog_writer_opts o = small_frames(1 << 20, 3);
	struct evlog_reader r;
	struct evlog_range rg;
	struct tend_err err = { 0 };
	const char *line;
	size_t len;
	uint64_t s, seq;
	int64_t t;

	(void)state;
	write_events(0, 600, &o, NULL);	/* 200 frames of 3 */
	assert_int_equal(evlog_reader_open(&r, logpath, &err), 0);
	for (s = 1; s <= 601; s++) {
		assert_int_equal(evlog_reader_seek_seq(&r, s, &err), 0);
		evlog_range_all(&rg);
		rg.seq_min = s;
		if (s == 601) {
			assert_int_equal(evlog_reader_next(&r, &rg, &err), 0);
			continue;
		}
		assert_int_equal(evlog_reader_next(&r, &rg, &err), 1);
		assert_int_equal(r.seal.first_seq, (s - 1) / 3 * 3 + 1);
		assert_int_equal(evlog_reader_event(&r, &line, &len, &seq), 1);
		assert_int_equal(seq, r.seal.first_seq);
	}
	/* Times are increasing here, so --since lands exactly too. */
	for (t = 0; t < 600; t += 37) {
		if (t % 7 == 3)
			continue;	/* untimed */
		int64_t base = 1767225600LL * 1000000000;	/* 2026-01-01 */

		assert_int_equal(evlog_reader_seek_time(&r, base + t *
		    1000000000, &err), 0);
		assert_int_equal(evlog_reader_next(&r, NULL, &err), 1);
		assert_true(r.seal.prefix_max_time >= base + t * 1000000000);
		if (r.seal.frame_no > 0)
			assert_true(r.seal.first_seq <= (uint64_t)t + 1);
	}
	evlog_reader_close(&r);
	assert_int_equal(verify_problems(), 0);
}

/* A partial unit at the end is a torn tail: reported, then cut off. */
static void
test_torn(void **state)
{
	struct evlog_writer_opts o = small_frames(2048, 0);
	struct evlog_reader r;
	struct evlog_seal tail;
	struct evlog_writer w;
	struct tend_err err = { 0 };
	struct buf b = BUF_INIT, out = BUF_INIT;
	char torn[160];
	off_t whole, cut;
	int fd, rc;

	(void)state;
	write_events(0, 50, &o, NULL);
	whole = file_size(logpath);
	write_events(50, 60, &o, NULL);
	/* Keep a few bytes of the last unit only. */
	cut = whole + (file_size(logpath) - whole) / 2;
	assert_int_equal(truncate(logpath, cut), 0);

	assert_int_equal(evlog_reader_open(&r, logpath, &err), 0);
	assert_int_equal(evlog_reader_tail(&r, &tail, &err), 1);
	assert_int_equal(r.torn_off, whole);
	assert_int_equal(r.torn_len, cut - whole);
	while ((rc = evlog_reader_next(&r, NULL, &err)) > 0)
		assert_true(r.seal.first_seq + r.seal.count <= 51);
	assert_int_equal(rc, 0);
	assert_int_equal(r.torn_off, whole);
	evlog_reader_close(&r);
	assert_int_equal(verify_problems(), 1);

	assert_int_equal(evlog_writer_open(&w, logpath, &o, &err), 0);
	make_event(&b, 99);
	assert_int_equal(evlog_writer_append(&w, b.p, b.len, &out, &err), 0);
	assert_int_equal(evlog_writer_flush(&w, &out, &err), 0);
	assert_true(w.torn_new);
	assert_int_equal(w.torn_off, whole);
	snprintf(torn, sizeof(torn), "%s.torn-1", logpath);
	assert_string_equal(w.torn_path, torn);
	assert_int_equal(file_size(torn), cut - whole);
	assert_int_equal(evlog_writer_close(&w, &out, &err), 0);
	assert_int_equal(strncmp(out.p, "{\"seq\":51,", 10), 0);
	assert_int_equal(verify_problems(), 0);

	/* Garbage that is no unit's prefix is damage: writers stop. */
	fd = open(logpath, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "garbage!", 8), 8);
	close(fd);
	assert_true(verify_problems() > 0);
	assert_int_equal(evlog_writer_open(&w, logpath, &o, &err), 0);
	assert_int_equal(evlog_writer_append(&w, b.p, b.len, &out, &err), 0);
	assert_int_equal(evlog_writer_flush(&w, &out, &err), -1);
	assert_int_equal(err.code, TEND_EXIT_INPUT);
	assert_true(w.failed);
	evlog_writer_close(&w, &out, &err);
	buf_release(&b);
	buf_release(&out);
}

/* Two writers taking turns: the second's guesses are wrong every time. */
static void
test_two_writers(void **state)
{
	struct evlog_writer_opts o = small_frames(1 << 20, 5);
	struct evlog_writer w[2];
	struct tend_err err = { 0 };
	struct buf b = BUF_INIT, out = BUF_INIT;
	unsigned i;

	(void)state;
	assert_int_equal(evlog_writer_open(&w[0], logpath, &o, &err), 0);
	assert_int_equal(evlog_writer_open(&w[1], logpath, &o, &err), 0);
	for (i = 0; i < 200; i++) {
		make_event(&b, i);
		assert_int_equal(evlog_writer_append(&w[i / 3 % 2], b.p, b.len,
		    &out, &err), 0);
	}
	assert_int_equal(evlog_writer_close(&w[0], &out, &err), 0);
	assert_int_equal(evlog_writer_close(&w[1], &out, &err), 0);
	assert_int_equal(verify_problems(), 0);
	for (i = 1; i <= 200; i++) {
		char want[32];

		snprintf(want, sizeof(want), "{\"seq\":%u,", i);
		assert_non_null(strstr(out.p, want));
	}
	buf_release(&b);
	buf_release(&out);
}

/* Every byte of a small log, flipped on its own, is caught. */
static void
test_every_flip(void **state)
{
	struct evlog_writer_opts o = small_frames(600, 0);
	unsigned char *orig, c;
	off_t n, i;
	int fd;

	(void)state;
	write_events(0, 12, &o, NULL);
	assert_int_equal(verify_problems(), 0);
	n = file_size(logpath);
	orig = xmalloc((size_t)n);
	fd = open(logpath, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, orig, (size_t)n, 0), n);
	for (i = 0; i < n; i++) {
		c = orig[i] ^ (unsigned char)(1u << (i % 8));
		assert_int_equal(pwrite(fd, &c, 1, i), 1);
		if (verify_problems() == 0)
			fail_msg("flip at byte %lld not detected",
			    (long long)i);
		assert_int_equal(pwrite(fd, orig + i, 1, i), 1);
	}
	close(fd);
	assert_int_equal(verify_problems(), 0);
	free(orig);
}

static void
test_sync_parse(void **state)
{
	enum evlog_sync m;

	(void)state;
	assert_int_equal(evlog_sync_parse("always", &m), 0);
	assert_int_equal(m, EVLOG_SYNC_ALWAYS);
	assert_int_equal(evlog_sync_parse("never", &m), 0);
	assert_int_equal(m, EVLOG_SYNC_NEVER);
	assert_int_equal(evlog_sync_parse("batch", &m), 0);
	assert_int_equal(m, EVLOG_SYNC_BATCH);
	assert_int_equal(evlog_sync_parse("sometimes", &m), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_sync_parse),
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_big_frames, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seek, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_writers, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_every_flip, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
