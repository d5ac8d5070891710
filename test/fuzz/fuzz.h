/*
 * fuzz.h: what the fuzz targets share.  Each test/fuzz/<target>.c defines
 * LLVMFuzzerTestOneInput; `make fuzz` links it with libFuzzer, and
 * replay.c links it with a main() that feeds it every file of its corpus,
 * so `make check` runs the corpora without a fuzzer engine.
 *
 * A target must not leak, must not print, and aborts (FUZZ_ASSERT) when
 * an invariant of the code under test does not hold: that is a finding
 * as much as a crash is.
 */
#ifndef TEND_FUZZ_H
#define TEND_FUZZ_H

#include <sys/mman.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
/* Optional one-time setup, called before the first input (by libFuzzer
   and by replay.c), so that its cost is not counted against an input. */
int	LLVMFuzzerInitialize(int *, char ***) __attribute__((weak));

#define FUZZ_ASSERT(cond) do { \
	if (!(cond)) \
		BUG("fuzz invariant: " #cond); \
} while (0)

/* A copy of s[0..n) with a NUL after it, for APIs that want C strings. */
static inline char *
fuzz_strndup(const uint8_t *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL)
		abort();
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* An anonymous file holding s[0..n), positioned at its start. */
static inline int
fuzz_memfd(const uint8_t *s, size_t n)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	size_t off = 0;
	ssize_t k;

	if (fd < 0)
		abort();
	while (off < n) {
		if ((k = write(fd, s + off, n - off)) <= 0)
			abort();
		off += (size_t)k;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}

/*
 * Splits s[0..n) at the first newline: *field gets a NUL-terminated copy
 * of what is before it (the caller frees), and s/n move past it.
 */
static inline char *
fuzz_field(const uint8_t **s, size_t *n)
{
	const uint8_t *nl = memchr(*s, '\n', *n);
	size_t len = nl != NULL ? (size_t)(nl - *s) : *n;
	char *f = fuzz_strndup(*s, len);

	*s += len + (nl != NULL);
	*n -= len + (nl != NULL);
	return f;
}

#endif
