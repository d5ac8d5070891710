/*
 * inject.so: an LD_PRELOAD shim that makes system calls and allocations
 * fail on purpose, and simulates a power loss, so tests can prove that
 * tend loses nothing on a bad day (test/cli/faults.bats).
 *
 * It intercepts open, openat, creat, write, pwrite, fsync, fdatasync,
 * rename, ftruncate (the log's and apply's I/O seam) and malloc, calloc,
 * realloc, reallocarray, strdup, strndup, posix_memalign, aligned_alloc.
 * Configured by the environment:
 *
 *   TEND_FAULT_PATH=S	count only calls on files whose path holds S (for
 *			write/pwrite/fsync/fdatasync/ftruncate: the path of
 *			the fd); unset: every call
 *   TEND_FAULT_CALLS=L	which calls count, a comma list of open, write,
 *			pwrite, fsync, fdatasync, rename, ftruncate
 *			(default: all of them)
 *   TEND_FAULT_NTH=N	the Nth counted call fails ...
 *   TEND_FAULT_ERR=E	... with EIO (default), ENOSPC, or "short": a
 *			write or pwrite writes half its bytes (at least
 *			one) and returns that count
 *   TEND_FAULT_STICKY=1	every counted call after the Nth fails too
 *			(after a short write: with ENOSPC), as a dead or
 *			full disk does
 *   TEND_FAULT_MALLOC=N	the Nth allocation returns NULL (ENOMEM)
 *   TEND_FAULT_COUNT=F	at exit, write "calls N\nallocs M\n" to file F,
 *			so a test knows how many there are to fail
 *
 * Power loss.  For files matching TEND_FAULT_PATH the shim keeps, like
 * SQLite's crash test VFS, what would be lost if the power went now:
 * every write, truncation and new file name not yet made durable by an
 * fsync/fdatasync of the file (for a name: of its directory), with the
 * bytes it replaced.  With
 *
 *   TEND_CRASH_AT=N	just before the Nth counted call the shim brings
 *			the files to what a disk could hold after a power
 *			loss, then kills the process with SIGKILL;
 *   TEND_CRASH_MODE=M	keep (every unsynced write reached the disk), drop
 *			(none did), garbage (the unsynced bytes are
 *			random), torn (a prefix of them reached the disk,
 *			the rest did not), or random (one of those, by the
 *			seed); default random
 *   TEND_CRASH_SEED=S	seeds the random choices (default 1)
 *   TEND_CRASH_AT_EXIT=M	the same power loss (mode M), when the process
 *			exits normally: what it left unsynced is then lost,
 *			so a test sees whether what it reported as durable
 *			was
 *
 * The shim never prints, except one line on stderr when it crashes on
 * purpose ("inject: power loss at call N (mode)"), so a test can tell
 * the kill was its own.
 */
#include "compat.h"

#include <sys/stat.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <unistd.h>

enum { C_OPEN = 1, C_WRITE = 2, C_PWRITE = 4, C_FSYNC = 8, C_FDATASYNC = 16,
    C_RENAME = 32, C_FTRUNCATE = 64, C_ALL = 127 };

enum mode { M_KEEP, M_DROP, M_GARBAGE, M_TORN, M_RANDOM };

/* An unsynced change to a tracked file, undone at a "power loss". */
struct change {
	enum { K_WRITE, K_TRUNC, K_CREATE } kind;
	char	 path[PATH_MAX];
	off_t	 off;		/* write: where; truncate: new size */
	size_t	 len;		/* K_WRITE: bytes written */
	off_t	 old_size;
	unsigned char *old;	/* the bytes replaced: [off, min(off+len,
				   old_size)) or, K_TRUNC, [off, old_size) */
	size_t	 old_len;
	struct change *next;
};

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_ftruncate)(int, off_t);
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);

static const char *match;
static unsigned counted = C_ALL;
static long nth, malloc_nth, crash_at;
static int fail_errno = EIO, fail_short, sticky;
static enum mode crash_mode = M_RANDOM, exit_mode = M_DROP;
static uint64_t rng = 1;
static const char *count_file;
static atomic_long ncalls, nallocs;
static atomic_int failed_once;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct change *changes;	/* newest first */
/* Set while the shim does its own I/O.  Not thread-local: malloc runs
   before the loader has set up the shim's TLS (ASan's start-up). */
static volatile int inside;

/* dlsym may allocate before real_calloc is known: a small arena for it. */
static unsigned char arena[8192] __attribute__((aligned(16)));
static size_t arena_used;
static int resolving;

static void *
arena_alloc(size_t n)
{
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (arena_used + n > sizeof(arena))
		return NULL;
	p = arena + arena_used;
	arena_used += n;
	return p;
}

static int
in_arena(const void *p)
{
	return (const unsigned char *)p >= arena &&
	    (const unsigned char *)p < arena + sizeof(arena);
}

static long
env_long(const char *name)
{
	const char *s = getenv(name);

	return s != NULL ? strtol(s, NULL, 10) : 0;
}

static void
count_at_exit(void)
{
	char buf[96];
	int fd, n;

	if (count_file == NULL)
		return;
	inside = 1;
	n = snprintf(buf, sizeof(buf), "calls %ld\nallocs %ld\n",
	    atomic_load(&ncalls), atomic_load(&nallocs));
	fd = real_open(count_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644);
	if (fd >= 0) {
		if (real_write(fd, buf, (size_t)n) < 0)
			(void)0;
		close(fd);
	}
	inside = 0;
}

static enum mode
mode_of(const char *s)
{
	if (s == NULL)
		return M_RANDOM;
	if (strcmp(s, "keep") == 0)
		return M_KEEP;
	if (strcmp(s, "drop") == 0)
		return M_DROP;
	if (strcmp(s, "garbage") == 0)
		return M_GARBAGE;
	if (strcmp(s, "torn") == 0)
		return M_TORN;
	return M_RANDOM;
}

static void crash_at_exit(void);

static void
resolve(void)
{
	if (real_malloc != NULL || resolving)
		return;
	resolving = 1;
	real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	real_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT,
	    "posix_memalign");
	real_aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT,
	    "aligned_alloc");
	real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT,
	    "write");
	real_pwrite = (ssize_t (*)(int, const void *, size_t, off_t))dlsym(
	    RTLD_NEXT, "pwrite");
	real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	real_openat = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT,
	    "openat");
	real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	real_rename = (int (*)(const char *, const char *))dlsym(RTLD_NEXT,
	    "rename");
	real_ftruncate = (int (*)(int, off_t))dlsym(RTLD_NEXT, "ftruncate");
	resolving = 0;
}

/*
 * Reads the environment once the process is far enough along to have
 * one: malloc is called (and so resolve) from inside the loader, before
 * libc has set environ up.
 */
__attribute__((constructor)) static void
configure(void)
{
	const char *s;

	resolve();
	match = getenv("TEND_FAULT_PATH");
	if (match != NULL && *match == '\0')
		match = NULL;
	if ((s = getenv("TEND_FAULT_CALLS")) != NULL && *s != '\0') {
		counted = 0;
		if (strstr(s, "open"))
			counted |= C_OPEN;
		if (strstr(s, "pwrite"))
			counted |= C_PWRITE;
		if (strstr(s, "write") && (strstr(s, "write") == s ||
		    strstr(s, ",write")))
			counted |= C_WRITE;
		if (strstr(s, "fsync"))
			counted |= C_FSYNC;
		if (strstr(s, "fdatasync"))
			counted |= C_FDATASYNC;
		if (strstr(s, "rename"))
			counted |= C_RENAME;
		if (strstr(s, "ftruncate"))
			counted |= C_FTRUNCATE;
	}
	nth = env_long("TEND_FAULT_NTH");
	if ((s = getenv("TEND_FAULT_ERR")) != NULL) {
		if (strcmp(s, "ENOSPC") == 0)
			fail_errno = ENOSPC;
		else if (strcmp(s, "short") == 0) {
			fail_short = 1;
			fail_errno = ENOSPC;
		}
	}
	sticky = env_long("TEND_FAULT_STICKY") != 0;
	malloc_nth = env_long("TEND_FAULT_MALLOC");
	crash_at = env_long("TEND_CRASH_AT");
	crash_mode = mode_of(getenv("TEND_CRASH_MODE"));
	if ((s = getenv("TEND_CRASH_AT_EXIT")) != NULL) {
		exit_mode = mode_of(s);
		atexit(crash_at_exit);
	}
	if ((s = getenv("TEND_CRASH_SEED")) != NULL)
		rng = strtoull(s, NULL, 10) * 2654435761u + 1;
	count_file = getenv("TEND_FAULT_COUNT");
	if (count_file != NULL)
		atexit(count_at_exit);
}

static uint64_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* ---- which calls count ---- */

static int
fd_path(int fd, char *out, size_t n)
{
	char link[64];
	ssize_t k;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((k = readlink(link, out, n - 1)) < 0)
		return -1;
	out[k] = '\0';
	return 0;
}

static int
tracked_path(const char *path)
{
	return path != NULL && (match == NULL || strstr(path, match) != NULL);
}

static int
tracked_fd(int fd, char *path, size_t n)
{
	if (fd_path(fd, path, n) < 0)
		return 0;
	return tracked_path(path);
}

static void crash(long call);

/*
 * Counts a call of kind k: 0 to let it through, 1 to fail it (errno set
 * by the caller from fail_errno), 2 to make it short.
 */
static int
count_call(unsigned k)
{
	long n;

	if (!(counted & k))
		return 0;
	n = atomic_fetch_add(&ncalls, 1) + 1;
	if (crash_at > 0 && n == crash_at)
		crash(n);
	if (nth > 0 && (n == nth || (sticky && n > nth))) {
		int first = !atomic_exchange(&failed_once, 1);

		if (fail_short && first && (k & (C_WRITE | C_PWRITE)))
			return 2;
		return 1;
	}
	return 0;
}

/* ---- the record of unsynced changes ---- */

static void
remember(int kind, const char *path, int fd, off_t off, size_t len)
{
	struct change *c;
	struct stat st;
	off_t end;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	c = real_calloc(1, sizeof(*c));
	if (c == NULL)
		abort();
	c->kind = kind;
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->off = off;
	c->len = len;
	c->old_size = st.st_size;
	end = kind == K_WRITE ? off + (off_t)len : st.st_size;
	if (end > st.st_size)
		end = st.st_size;
	if (end > off) {
		c->old_len = (size_t)(end - off);
		c->old = real_malloc(c->old_len);
		if (c->old == NULL || pread(fd, c->old, c->old_len, off) !=
		    (ssize_t)c->old_len)
			abort();
	}
	pthread_mutex_lock(&mu);
	c->next = changes;
	changes = c;
	pthread_mutex_unlock(&mu);
}

static void
remember_create(const char *path)
{
	struct change *c = real_calloc(1, sizeof(*c));

	if (c == NULL)
		abort();
	c->kind = K_CREATE;
	snprintf(c->path, sizeof(c->path), "%s", path);
	pthread_mutex_lock(&mu);
	c->next = changes;
	changes = c;
	pthread_mutex_unlock(&mu);
}

static int
parent_is(const char *path, const char *dir)
{
	const char *slash = strrchr(path, '/');
	size_t n = strlen(dir);

	return slash != NULL && (size_t)(slash - path) == n &&
	    strncmp(path, dir, n) == 0;
}

/* An fsync of path made its changes durable (a directory: its names). */
static void
synced(const char *path, int is_dir)
{
	struct change **pp, *c;

	pthread_mutex_lock(&mu);
	for (pp = &changes; (c = *pp) != NULL;) {
		if (is_dir ? c->kind == K_CREATE && parent_is(c->path, path) :
		    c->kind != K_CREATE && strcmp(c->path, path) == 0) {
			*pp = c->next;
			real_free(c->old);
			real_free(c);
		} else
			pp = &c->next;
	}
	pthread_mutex_unlock(&mu);
}

static int
open_for_crash(const char *path)
{
	return real_open(path, O_RDWR | O_CLOEXEC);
}

/* Undoes change c, keeping its first `keep` bytes (a write only). */
static void
undo(const struct change *c, size_t keep)
{
	int fd;
	off_t size;

	if (c->kind == K_CREATE) {
		unlink(c->path);
		return;
	}
	if ((fd = open_for_crash(c->path)) < 0)
		return;
	if (c->kind == K_TRUNC) {
		/* The bytes cut off come back. */
		if (real_ftruncate(fd, c->old_size) == 0 && c->old_len > 0)
			(void)!real_pwrite(fd, c->old, c->old_len, c->off);
		close(fd);
		return;
	}
	if (keep < c->old_len)
		(void)!real_pwrite(fd, c->old + keep, c->old_len - keep,
		    c->off + (off_t)keep);
	size = c->off + (off_t)keep;
	if (size < c->old_size)
		size = c->old_size;
	(void)!real_ftruncate(fd, size);
	close(fd);
}

static void
garble(const struct change *c)
{
	unsigned char b[4096];
	size_t i, done, n;
	int fd;

	if (c->kind != K_WRITE || (fd = open_for_crash(c->path)) < 0)
		return;
	for (done = 0; done < c->len; done += n) {
		n = c->len - done < sizeof(b) ? c->len - done : sizeof(b);
		for (i = 0; i < n; i++)
			b[i] = (unsigned char)next_rand();
		(void)!real_pwrite(fd, b, n, c->off + (off_t)done);
	}
	close(fd);
}

static const char *const mode_names[] = { "keep", "drop", "garbage",
    "torn" };

/* Brings the tracked files to what the disk holds after a power loss
   now.  Called with mu held; returns the mode used. */
static enum mode
power_loss(enum mode m)
{
	struct change *c, *list[4096];
	size_t n = 0, i, cut;

	if (m == M_RANDOM)
		m = (enum mode)(next_rand() % 4);
	for (c = changes; c != NULL && n < ARRAY_SIZE(list); c = c->next)
		list[n++] = c;		/* newest first */
	switch (m) {
	case M_KEEP:
		break;
	case M_DROP:
		for (i = 0; i < n; i++)
			undo(list[i], 0);
		break;
	case M_GARBAGE:
		for (i = n; i-- > 0;)
			garble(list[i]);
		break;
	case M_TORN:
		/* Changes older than cut reached the disk, cut itself
		   partly, newer ones not at all. */
		cut = n > 0 ? (size_t)(next_rand() % n) : 0;
		for (i = 0; i < n && i < cut; i++)
			undo(list[i], 0);
		if (i < n && list[i]->kind == K_WRITE)
			undo(list[i], list[i]->len > 0 ?
			    (size_t)(next_rand() % list[i]->len) : 0);
		break;
	default:
		break;
	}
	return m;
}

static void
crash(long call)
{
	char msg[96];
	enum mode m;
	int k;

	inside = 1;
	pthread_mutex_lock(&mu);	/* held until the kill */
	m = power_loss(crash_mode);
	k = snprintf(msg, sizeof(msg), "inject: power loss at call %ld (%s)\n",
	    call, mode_names[m]);
	(void)!real_write(2, msg, (size_t)k);
	kill(getpid(), SIGKILL);
	_exit(137);
}

static void
crash_at_exit(void)
{
	inside = 1;
	pthread_mutex_lock(&mu);
	(void)power_loss(exit_mode);
	pthread_mutex_unlock(&mu);
}

/* ---- the intercepted calls ---- */

ssize_t
write(int fd, const void *p, size_t n)
{
	char path[PATH_MAX];
	off_t off;
	int f;

	resolve();
	if (inside || !tracked_fd(fd, path, sizeof(path)))
		return real_write(fd, p, n);
	if ((f = count_call(C_WRITE)) == 1) {
		errno = fail_errno;
		return -1;
	}
	if (f == 2)
		n = n > 1 ? n / 2 : n;
	if ((off = lseek(fd, 0, SEEK_CUR)) >= 0)
		remember(K_WRITE, path, fd, off, n);
	return real_write(fd, p, n);
}

ssize_t
pwrite(int fd, const void *p, size_t n, off_t off)
{
	char path[PATH_MAX];
	int f;

	resolve();
	if (inside || !tracked_fd(fd, path, sizeof(path)))
		return real_pwrite(fd, p, n, off);
	if ((f = count_call(C_PWRITE)) == 1) {
		errno = fail_errno;
		return -1;
	}
	if (f == 2)
		n = n > 1 ? n / 2 : n;
	remember(K_WRITE, path, fd, off, n);
	return real_pwrite(fd, p, n, off);
}

ssize_t
pwrite64(int fd, const void *p, size_t n, off_t off)
{
	return pwrite(fd, p, n, off);
}

static int
sync_call(int fd, unsigned k)
{
	char path[PATH_MAX];
	struct stat st;
	int (*real)(int);
	int rc;

	resolve();
	real = k == C_FSYNC ? real_fsync : real_fdatasync;
	if (inside || !tracked_fd(fd, path, sizeof(path))) {
		/* A directory's fsync makes names in it durable. */
		rc = real(fd);
		if (rc == 0 && !inside && fstat(fd, &st) == 0 &&
		    S_ISDIR(st.st_mode) && fd_path(fd, path,
		    sizeof(path)) == 0)
			synced(path, 1);
		return rc;
	}
	if (count_call(k)) {
		errno = fail_errno;
		return -1;
	}
	if ((rc = real(fd)) == 0)
		synced(path, fstat(fd, &st) == 0 && S_ISDIR(st.st_mode));
	return rc;
}

int
fsync(int fd)
{
	return sync_call(fd, C_FSYNC);
}

int
fdatasync(int fd)
{
	return sync_call(fd, C_FDATASYNC);
}

int
ftruncate(int fd, off_t len)
{
	char path[PATH_MAX];

	resolve();
	if (inside || !tracked_fd(fd, path, sizeof(path)))
		return real_ftruncate(fd, len);
	if (count_call(C_FTRUNCATE)) {
		errno = fail_errno;
		return -1;
	}
	remember(K_TRUNC, path, fd, len, 0);
	return real_ftruncate(fd, len);
}

int
ftruncate64(int fd, off_t len)
{
	return ftruncate(fd, len);
}

/* Opens through real_openat; a new name of a tracked file is recorded. */
static int
do_open(int dirfd, const char *path, int flags, mode_t mode)
{
	char full[PATH_MAX];
	int fd, existed = 1;

	resolve();
	if (inside || !tracked_path(path))
		return real_openat(dirfd, path, flags, mode);
	if (count_call(C_OPEN)) {
		errno = fail_errno;
		return -1;
	}
	if (flags & O_CREAT)
		existed = faccessat(dirfd, path, F_OK, 0) == 0;
	fd = real_openat(dirfd, path, flags, mode);
	if (fd >= 0 && !existed && fd_path(fd, full, sizeof(full)) == 0)
		remember_create(full);
	return fd;
}

int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	return do_open(AT_FDCWD, path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	return do_open(AT_FDCWD, path, flags, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	return do_open(dirfd, path, flags, mode);
}

int
creat(const char *path, mode_t mode)
{
	return do_open(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, mode);
}

int
rename(const char *from, const char *to)
{
	resolve();
	if (!inside && (tracked_path(from) || tracked_path(to)) &&
	    count_call(C_RENAME)) {
		errno = fail_errno;
		return -1;
	}
	return real_rename(from, to);
}

/* ---- allocations ---- */

/* 1 if this allocation is to fail. */
static int
alloc_fails(void)
{
	long n;

	if (inside || (malloc_nth <= 0 && count_file == NULL))
		return 0;
	n = atomic_fetch_add(&nallocs, 1) + 1;
	if (malloc_nth > 0 && n == malloc_nth) {
		errno = ENOMEM;
		return 1;
	}
	return 0;
}

void *
malloc(size_t n)
{
	if (real_malloc == NULL) {
		resolve();
		if (real_malloc == NULL)
			return arena_alloc(n);
	}
	if (alloc_fails())
		return NULL;
	return real_malloc(n);
}

void *
calloc(size_t m, size_t n)
{
	void *p;

	if (real_calloc == NULL) {
		resolve();
		if (real_calloc == NULL) {
			if (n != 0 && m > SIZE_MAX / n)
				return NULL;
			if ((p = arena_alloc(m * n)) != NULL)
				memset(p, 0, m * n);
			return p;
		}
	}
	if (alloc_fails())
		return NULL;
	return real_calloc(m, n);
}

void *
realloc(void *p, size_t n)
{
	resolve();
	if (in_arena(p)) {
		void *q = malloc(n);

		if (q != NULL)
			memcpy(q, p, n < sizeof(arena) ? n : sizeof(arena));
		return q;
	}
	if (alloc_fails())
		return NULL;
	return real_realloc(p, n);
}

void *
reallocarray(void *p, size_t m, size_t n)
{
	if (n != 0 && m > SIZE_MAX / n) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, m * n);
}

void
free(void *p)
{
	if (p == NULL || in_arena(p))
		return;
	resolve();
	real_free(p);
}

char *
strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

char *
strndup(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	char *p = malloc(n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

int
posix_memalign(void **out, size_t align, size_t n)
{
	resolve();
	if (alloc_fails())
		return ENOMEM;
	return real_posix_memalign(out, align, n);
}

void *
aligned_alloc(size_t align, size_t n)
{
	resolve();
	if (alloc_fails())
		return NULL;
	return real_aligned_alloc(align, n);
}
