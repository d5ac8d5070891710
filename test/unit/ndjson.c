/* Unit tests of ndjson.c: line numbers, long lines, the writer. */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ndjson.h"
#include "xmalloc.h"

/* A reader over a temporary file holding s[0..len). */
static int
tmpfd(const char *s, size_t len)
{
	char path[] = "/tmp/tend-ndjson-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, s, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void
test_lines_and_numbers(void **state)
{
	static const char s[] = "a\n\nbc\nlast";
	struct ndjson_reader r;
	struct tend_err err;
	char *line;
	size_t len;
	int fd = tmpfd(s, sizeof(s) - 1);

	(void)state;
	ndjson_reader_init(&r, fd, "t");
	assert_int_equal(ndjson_reader_next(&r, &line, &len, &err), 1);
	assert_int_equal(len, 1);
	assert_int_equal(r.lineno, 1);
	assert_int_equal(ndjson_reader_next(&r, &line, &len, &err), 1);
	assert_int_equal(len, 0);
	assert_int_equal(ndjson_reader_next(&r, &line, &len, &err), 1);
	assert_string_equal(line, "bc");
	assert_int_equal(r.lineno, 3);
	assert_int_equal(ndjson_reader_next(&r, &line, &len, &err), 1);
	assert_string_equal(line, "last");
	assert_int_equal(r.lineno, 4);
	assert_int_equal(ndjson_reader_next(&r, &line, &len, &err), 0);
	ndjson_reader_release(&r);
	close(fd);
}

/* A too-long line is an error, skipped whole; the next line still reads
   with the right number, and memory stays bounded by max_line. */
static void
test_long_line_skipped(void **state)
{
	size_t big = 3u << 20, n = 0;
	char *s = xmalloc(big + 64), *line;
	struct ndjson_reader r;
	struct tend_err err;
	size_t len;
	int fd;

	(void)state;
	n += (size_t)snprintf(s, 64, "{}\n");
	memset(s + n, 'x', big);
	n += big;
	n += (size_t)snprintf(s + n, 64, "\n[1]\n");
	fd = tmpfd(s, n);
	ndjson_reader_init(&r, fd, "t");
	r.max_line = 1u << 20;
	assert_int_equal(ndjson_reader_next(&r, &line, &len, &err), 1);
	assert_int_equal(ndjson_reader_next(&r, &line, &len, &err), -1);
	assert_int_equal(err.code, TEND_EXIT_INPUT);
	assert_int_equal(r.lineno, 2);
	assert_true(r.cap < 3u << 20);
	assert_int_equal(ndjson_reader_next(&r, &line, &len, &err), 1);
	assert_string_equal(line, "[1]");
	assert_int_equal(r.lineno, 3);
	assert_int_equal(ndjson_reader_next(&r, &line, &len, &err), 0);
	ndjson_reader_release(&r);
	close(fd);
	free(s);
}

static void
test_long_last_line(void **state)
{
	char s[100], *line;
	struct ndjson_reader r;
	struct tend_err err;
	size_t len;
	int fd;

	(void)state;
	memset(s, 'y', sizeof(s));
	fd = tmpfd(s, sizeof(s));
	ndjson_reader_init(&r, fd, "t");
	r.max_line = 10;
	assert_int_equal(ndjson_reader_next(&r, &line, &len, &err), -1);
	assert_int_equal(r.lineno, 1);
	assert_int_equal(ndjson_reader_next(&r, &line, &len, &err), 0);
	ndjson_reader_release(&r);
	close(fd);
}

static void
test_writer_epipe_quiet(void **state)
{
	struct ndjson_writer w;
	int p[2];

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	ndjson_writer_init(&w, p[1]);
	assert_true(w.prompt);
	assert_int_equal(ndjson_writer_line(&w, "{}", 2), 0);
	assert_int_equal(ndjson_writer_flush(&w), -1);
	assert_true(w.closed);
	assert_false(w.failed);
	assert_int_equal(ndjson_writer_line(&w, "{}", 2), -1);
	ndjson_writer_release(&w);
	close(p[1]);
}

static void
test_writer_error_reported(void **state)
{
	struct ndjson_writer w;
	int fd = open("/dev/full", O_WRONLY);

	(void)state;
	assert_true(fd >= 0);
	ndjson_writer_init(&w, fd);
	assert_int_equal(ndjson_writer_line(&w, "{}", 2), 0);
	assert_int_equal(ndjson_writer_flush(&w), -1);
	assert_true(w.failed);
	assert_non_null(strstr(w.err.msg, "No space left"));
	ndjson_writer_release(&w);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_and_numbers),
		cmocka_unit_test(test_long_line_skipped),
		cmocka_unit_test(test_long_last_line),
		cmocka_unit_test(test_writer_epipe_quiet),
		cmocka_unit_test(test_writer_error_reported),
	};

	return cmocka_run_group_tests_name("ndjson", tests, NULL, NULL);
}
