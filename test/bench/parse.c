/*
 * parse: how fast one JSON parser gets through every line of a file, for
 * `make bench` (not installed, not a test).
 *
 * usage: parse tend|jq FILE
 *
 * tend is filters/lib/json.c (json_parse into its token tape: strict
 * RFC 8259, UTF-8 checked); jq is libjq's jv_parse_sized, which builds a
 * tree of jv values and is lax (NaN, leading zeros, bad UTF-8 replaced).
 * simdjson.cpp does the same for simdjson's DOM parser.
 *
 * The file is read into memory first; only the parse loop is timed, best
 * of up to 3 passes (fewer when a pass is slow).  Prints one line:
 * "parser seconds MB/s lines bad", MB being 10^6 bytes of the file.
 * Exits 2 on a usage error, 4 when the file cannot be read.
 */
#include "compat.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <jv.h>

#include "json.h"
#include "xmalloc.h"

#define PASSES		3
#define SLOW_PASS	5.0	/* seconds: no more passes after this long */

struct input {
	char	*buf;
	size_t	 len;
	size_t	 lines;
};

static void
slurp(const char *path, struct input *in)
{
	struct stat st;
	ssize_t n;
	size_t cap, i;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		err(4, "cannot open '%s'", path);
	if (fstat(fd, &st) == -1)
		err(4, "cannot stat '%s'", path);
	cap = (size_t)st.st_size + 1;
	in->buf = xmalloc(cap);
	in->len = 0;
	while ((n = read(fd, in->buf + in->len, cap - in->len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			err(4, "cannot read '%s'", path);
		}
		in->len += (size_t)n;
		if (in->len == cap)
			errx(4, "'%s' grew while being read", path);
	}
	close(fd);
	in->lines = 0;
	for (i = 0; i < in->len; i++)
		in->lines += in->buf[i] == '\n';
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One pass with json.c; returns the lines it rejected. */
static size_t
pass_tend(const struct input *in, struct json_doc *doc)
{
	struct tend_err e;
	const char *p = in->buf, *end = in->buf + in->len, *nl;
	size_t bad = 0;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (json_parse(doc, p, (size_t)(nl - p), &e) == -1)
			bad++;
	}
	return bad;
}

/* One pass with libjq; returns the lines it rejected. */
static size_t
pass_jq(const struct input *in)
{
	const char *p = in->buf, *end = in->buf + in->len, *nl;
	size_t bad = 0;
	jv v;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		v = jv_parse_sized(p, (int)(nl - p));
		if (!jv_is_valid(v))
			bad++;
		jv_free(v);
	}
	return bad;
}

static void
usage(void)
{
	fprintf(stderr, "usage: %s tend|jq FILE\n", getprogname());
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct input in;
	struct json_doc doc;
	double best = 0, t, total = 0;
	size_t bad = 0;
	int use_jq, i;

	if (argc != 3)
		usage();
	if (strcmp(argv[1], "tend") == 0)
		use_jq = 0;
	else if (strcmp(argv[1], "jq") == 0)
		use_jq = 1;
	else
		usage();
	slurp(argv[2], &in);

	json_doc_init(&doc);
	for (i = 0; i < PASSES && total < SLOW_PASS; i++) {
		t = now();
		bad = use_jq ? pass_jq(&in) : pass_tend(&in, &doc);
		t = now() - t;
		total += t;
		if (i == 0 || t < best)
			best = t;
	}
	json_doc_release(&doc);

	printf("%s %.3f %.1f %zu %zu\n", use_jq ? "libjq" : "tend", best,
	    best > 0 ? (double)in.len / 1e6 / best : 0.0, in.lines, bad);
	free(in.buf);
	return ferror(stdout) || fclose(stdout) == EOF ? 4 : 0;
}
