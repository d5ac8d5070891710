/*
 * replay: runs a fuzz target's LLVMFuzzerTestOneInput on files, without a
 * fuzzer engine, so the corpora (seeds and every crash ever found) are
 * regression tests in `make check`, under ASan+UBSan in its second pass.
 *
 * usage: replay-TARGET [-q] FILE|DIR...
 * Prints TAP when -q is not given: one line per directory (or file), "ok"
 * once every input in it ran.  A crash is the process dying, which prove
 * reports; a directory with no file is "not ok".  Also prints the slowest
 * input, so a regression in speed shows.
 */
#include "compat.h"

#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"
#include "xmalloc.h"

struct slowest {
	double	 ms;
	char	 name[512];
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
run_file(const char *path, struct slowest *sl)
{
	struct stat st;
	uint8_t *p;
	size_t off = 0;
	ssize_t k;
	double t;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		warn("%s", path);
		return -1;
	}
	/* A copy of exactly the input's size, so ASan sees overreads. */
	p = xmalloc((size_t)st.st_size);
	while (off < (size_t)st.st_size) {
		k = read(fd, p + off, (size_t)st.st_size - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			warn("%s", path);
			free(p);
			close(fd);
			return -1;
		}
		off += (size_t)k;
	}
	close(fd);
	t = now_ms();
	LLVMFuzzerTestOneInput(p, off);
	t = now_ms() - t;
	if (t > sl->ms) {
		sl->ms = t;
		strlcpy(sl->name, path, sizeof(sl->name));
	}
	free(p);
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every file of dir, in name order; the count, or -1. */
static long
run_dir(const char *dir, struct slowest *sl)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0, i;
	long ran = 0;

	if ((d = opendir(dir)) == NULL) {
		warn("%s", dir);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			names = xreallocarray(names, cap, sizeof(*names));
		}
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (ran >= 0 && run_file(path, sl) < 0)
			ran = -1;
		else if (ran >= 0)
			ran++;
		free(names[i]);
	}
	free(names);
	return ran;
}

int
main(int argc, char *argv[])
{
	struct slowest sl;
	struct stat st;
	long n;
	int i, quiet = 0, bad = 0, t = 0;

	if (argc > 1 && strcmp(argv[1], "-q") == 0) {
		quiet = 1;
		argc--;
		argv++;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: replay [-q] FILE|DIR...\n");
		return 2;
	}
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	if (!quiet)
		printf("1..%d\n", argc - 1);
	for (i = 1; i < argc; i++) {
		memset(&sl, 0, sizeof(sl));
		if (stat(argv[i], &st) < 0) {
			warn("%s", argv[i]);
			n = -1;
		} else if (S_ISDIR(st.st_mode))
			n = run_dir(argv[i], &sl);
		else
			n = run_file(argv[i], &sl) < 0 ? -1 : 1;
		if (n <= 0)
			bad = 1;
		if (!quiet) {
			printf("%s %d - %s: %ld inputs\n", n > 0 ? "ok" :
			    "not ok", ++t, argv[i], n);
			if (n > 0)
				printf("# slowest: %s, %.1f ms\n", sl.name,
				    sl.ms);
			fflush(stdout);
		}
	}
	return bad ? 1 : 0;
}
