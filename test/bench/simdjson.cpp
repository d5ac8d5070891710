/*
 * simdjson: parse.c's loop with simdjson's DOM parser, for `make bench`
 * (not installed, not a test).
 *
 * usage: simdjson FILE
 *
 * The DOM parser is the strict one: it checks the whole grammar and the
 * UTF-8 and builds its tape, as json.c does.  (On-demand would skip what
 * is never read.)  The file is read into one buffer with simdjson's
 * padding after it, so every line is parsed in place without a copy.
 * Only the parse loop is timed, best of up to 3 passes.  Prints one line:
 * "simdjson seconds MB/s lines bad implementation" (haswell, westmere,
 * fallback...: the kernel simdjson picked for this CPU), and the first
 * error on stderr.
 */
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <simdjson.h>

static const int PASSES = 3;
static const double SLOW_PASS = 5.0;

static double
now()
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, const char *path)
{
	std::fprintf(stderr, "simdjson: %s '%s': %s\n", what, path,
	    std::strerror(errno));
	std::exit(4);
}

/* One pass; returns the lines simdjson rejected. */
static size_t
pass(simdjson::dom::parser &parser, const char *buf, size_t len,
    simdjson::error_code *first)
{
	const char *p = buf, *end = buf + len, *nl;
	size_t bad = 0;

	for (; p < end; p = nl + 1) {
		nl = static_cast<const char *>(std::memchr(p, '\n',
		    (size_t)(end - p)));
		if (nl == nullptr)
			nl = end;
		/* false: the bytes after the line are readable padding */
		simdjson::error_code e = parser.parse(p, (size_t)(nl - p),
		    false).error();
		if (e != simdjson::SUCCESS) {
			if (bad++ == 0)
				*first = e;
		}
	}
	return bad;
}

int
main(int argc, char *argv[])
{
	struct stat st;
	simdjson::dom::parser parser;
	simdjson::error_code first = simdjson::SUCCESS;
	double best = 0, t, total = 0;
	size_t len = 0, lines = 0, bad = 0, i;
	ssize_t n;
	char *buf;
	int fd;

	if (argc != 2) {
		std::fputs("usage: simdjson FILE\n", stderr);
		return 2;
	}
	if ((fd = open(argv[1], O_RDONLY)) == -1)
		die("cannot open", argv[1]);
	if (fstat(fd, &st) == -1)
		die("cannot stat", argv[1]);
	buf = static_cast<char *>(std::malloc((size_t)st.st_size +
	    simdjson::SIMDJSON_PADDING));
	if (buf == nullptr)
		die("out of memory reading", argv[1]);
	while (len < (size_t)st.st_size &&
	    (n = read(fd, buf + len, (size_t)st.st_size - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			die("cannot read", argv[1]);
		}
		len += (size_t)n;
	}
	close(fd);
	std::memset(buf + len, 0, simdjson::SIMDJSON_PADDING);
	for (i = 0; i < len; i++)
		lines += buf[i] == '\n';

	for (int k = 0; k < PASSES && total < SLOW_PASS; k++) {
		t = now();
		bad = pass(parser, buf, len, &first);
		t = now() - t;
		total += t;
		if (k == 0 || t < best)
			best = t;
	}
	std::printf("simdjson %.3f %.1f %zu %zu %s\n", best,
	    best > 0 ? (double)len / 1e6 / best : 0.0, lines, bad,
	    simdjson::get_active_implementation()->name().c_str());
	if (bad > 0)
		std::fprintf(stderr, "simdjson: first error: %s\n",
		    simdjson::error_message(first));
	std::free(buf);
	return std::fflush(stdout) == EOF ? 4 : 0;
}
