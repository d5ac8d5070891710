/*
 * The event log: see evlog.h for the format and the contract.
 */
#include "compat.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "evlog.h"
#include "sha256.h"
#include "xmalloc.h"

static const char seal_sig[8] = { 't', 'e', 'n', 'd', 'l', 'o', 'g', '1' };

/* Payload offsets of the seal fields (see evlog.h). */
enum {
	S_SIG = 0, S_FRAME = 8, S_DOFF = 16, S_DLEN = 24, S_RLEN = 32,
	S_FIRST = 40, S_COUNT = 48, S_MINT = 56, S_MAXT = 64, S_PMINT = 72,
	S_PMAXT = 80, S_TRAW = 88, S_JNO = 96, S_JOFF = 104, S_FLAGS = 112,
	S_HASH = 120, S_DHASH = 152, S_CHAIN = 184, S_CHECK = 216,
};

/* Reads ahead this much when the window misses. */
#define WINDOW		(256u << 10)
/* The backward scan for the last seal reads this much at a time. */
#define SCAN_CHUNK	(64u << 10)

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

static void
put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
get64(const unsigned char *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
evlog_sha256(unsigned char out[EVLOG_HASH_LEN], const void *p, size_t n)
{
	sha256(out, p, n);
}

int
evlog_sync_parse(const char *s, enum evlog_sync *m)
{
	if (strcmp(s, "always") == 0)
		*m = EVLOG_SYNC_ALWAYS;
	else if (strcmp(s, "batch") == 0)
		*m = EVLOG_SYNC_BATCH;
	else if (strcmp(s, "never") == 0)
		*m = EVLOG_SYNC_NEVER;
	else
		return -1;
	return 0;
}

void
evlog_range_all(struct evlog_range *rg)
{
	rg->seq_min = 0;
	rg->seq_max = UINT64_MAX;
	rg->time_min = INT64_MIN;
	rg->time_max = INT64_MAX;
	rg->timed = 0;
}

/* ---- I/O helpers ---- */

/* Reads up to n bytes at off; returns the count (short only at EOF). */
static ssize_t
pread_full(int fd, void *p, size_t n, uint64_t off)
{
	size_t got = 0;
	ssize_t k;

	while (got < n) {
		k = pread(fd, (char *)p + got, n - got, (off_t)(off + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

static int
pwrite_full(int fd, const void *p, size_t n, uint64_t off)
{
	size_t done = 0;
	ssize_t k;

	while (done < n) {
		k = pwrite(fd, (const char *)p + done, n - done,
		    (off_t)(off + done));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		done += (size_t)k;
	}
	return 0;
}

static int
write_full(int fd, const void *p, size_t n)
{
	size_t done = 0;
	ssize_t k;

	while (done < n) {
		k = write(fd, (const char *)p + done, n - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		done += (size_t)k;
	}
	return 0;
}

static int
lock(int fd, int how)
{
	while (flock(fd, how) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* fsyncs the directory holding path, so a new name in it is durable. */
static int
sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, rc;

	if (slash == NULL)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xstrndup(path, (size_t)(slash - path));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* ---- lead and seal ---- */

static void
lead_encode(unsigned char *p, uint64_t frame_no, uint64_t data_len)
{
	put32(p, EVLOG_LEAD_MAGIC);
	put32(p + 4, EVLOG_LEAD_SIZE - 8);
	put64(p + 8, frame_no);
	put64(p + 16, data_len);
}

/* The largest data frame a reader accepts. */
static uint64_t
max_data_len(void)
{
	return ZSTD_compressBound((size_t)EVLOG_MAX_RAW);
}

static int
lead_decode(const unsigned char *p, uint64_t *frame_no, uint64_t *data_len)
{
	if (get32(p) != EVLOG_LEAD_MAGIC || get32(p + 4) != EVLOG_LEAD_SIZE - 8)
		return -1;
	*frame_no = get64(p + 8);
	*data_len = get64(p + 16);
	if (*data_len < 9 || *data_len > max_data_len())
		return -1;
	return 0;
}

/* Fills s->raw from the other fields, computing chain and check. */
static void
seal_encode(struct evlog_seal *s, const unsigned char prev[EVLOG_HASH_LEN])
{
	unsigned char *p = s->raw + 8, tmp[EVLOG_HASH_LEN + S_CHAIN];

	put32(s->raw, EVLOG_SEAL_MAGIC);
	put32(s->raw + 4, EVLOG_SEAL_PAYLOAD);
	memcpy(p + S_SIG, seal_sig, sizeof(seal_sig));
	put64(p + S_FRAME, s->frame_no);
	put64(p + S_DOFF, s->data_off);
	put64(p + S_DLEN, s->data_len);
	put64(p + S_RLEN, s->raw_len);
	put64(p + S_FIRST, s->first_seq);
	put64(p + S_COUNT, s->count);
	put64(p + S_MINT, (uint64_t)s->min_time);
	put64(p + S_MAXT, (uint64_t)s->max_time);
	put64(p + S_PMINT, (uint64_t)s->prefix_min_time);
	put64(p + S_PMAXT, (uint64_t)s->prefix_max_time);
	put64(p + S_TRAW, s->total_raw);
	put64(p + S_JNO, s->jump_no);
	put64(p + S_JOFF, s->jump_off);
	put64(p + S_FLAGS, s->flags);
	memcpy(p + S_HASH, s->hash, EVLOG_HASH_LEN);
	memcpy(p + S_DHASH, s->data_hash, EVLOG_HASH_LEN);
	memcpy(tmp, prev, EVLOG_HASH_LEN);
	memcpy(tmp + EVLOG_HASH_LEN, p, S_CHAIN);
	evlog_sha256(s->chain, tmp, sizeof(tmp));
	memcpy(p + S_CHAIN, s->chain, EVLOG_HASH_LEN);
	evlog_sha256(tmp, p, S_CHECK);
	memcpy(p + S_CHECK, tmp, 8);
}

int
evlog_seal_decode(const unsigned char *raw, struct evlog_seal *s,
    struct tend_err *err)
{
	const unsigned char *p = raw + 8;
	unsigned char md[EVLOG_HASH_LEN];

	if (get32(raw) != EVLOG_SEAL_MAGIC ||
	    get32(raw + 4) != EVLOG_SEAL_PAYLOAD ||
	    memcmp(p + S_SIG, seal_sig, sizeof(seal_sig)) != 0)
		return tend_err_set(err, TEND_EXIT_INPUT, "no seal");
	evlog_sha256(md, p, S_CHECK);
	if (memcmp(md, p + S_CHECK, 8) != 0)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "seal check mismatch");
	s->frame_no = get64(p + S_FRAME);
	s->data_off = get64(p + S_DOFF);
	s->data_len = get64(p + S_DLEN);
	s->raw_len = get64(p + S_RLEN);
	s->first_seq = get64(p + S_FIRST);
	s->count = get64(p + S_COUNT);
	s->min_time = (int64_t)get64(p + S_MINT);
	s->max_time = (int64_t)get64(p + S_MAXT);
	s->prefix_min_time = (int64_t)get64(p + S_PMINT);
	s->prefix_max_time = (int64_t)get64(p + S_PMAXT);
	s->total_raw = get64(p + S_TRAW);
	s->jump_no = get64(p + S_JNO);
	s->jump_off = get64(p + S_JOFF);
	s->flags = get64(p + S_FLAGS);
	memcpy(s->hash, p + S_HASH, EVLOG_HASH_LEN);
	memcpy(s->data_hash, p + S_DHASH, EVLOG_HASH_LEN);
	memcpy(s->chain, p + S_CHAIN, EVLOG_HASH_LEN);
	memcpy(s->raw, raw, EVLOG_SEAL_SIZE);
	if (s->count == 0 || s->first_seq == 0 ||
	    s->count > UINT64_MAX - s->first_seq || s->raw_len == 0 ||
	    s->raw_len > EVLOG_MAX_RAW || s->jump_no > s->frame_no ||
	    s->data_off < EVLOG_LEAD_SIZE)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "seal fields out of range");
	return 0;
}

/* The chain value a seal must carry after a frame whose chain is prev. */
static void
chain_of(const struct evlog_seal *s, const unsigned char *prev,
    unsigned char out[EVLOG_HASH_LEN])
{
	unsigned char tmp[EVLOG_HASH_LEN + S_CHAIN];

	memcpy(tmp, prev, EVLOG_HASH_LEN);
	memcpy(tmp + EVLOG_HASH_LEN, s->raw + 8, S_CHAIN);
	evlog_sha256(out, tmp, sizeof(tmp));
}

/*
 * Reads and decodes the seal at off, checking that the lead before its
 * data frame agrees with it.  1 ok, 0 not a (consistent) seal, -1 I/O.
 */
static int
seal_at(int fd, uint64_t off, struct evlog_seal *s, struct tend_err *err)
{
	unsigned char b[EVLOG_SEAL_SIZE], lb[EVLOG_LEAD_SIZE];
	uint64_t fno, dlen;
	ssize_t n;

	if ((n = pread_full(fd, b, sizeof(b), off)) < 0)
		return tend_err_sys(err, "read error");
	if ((size_t)n < sizeof(b) || evlog_seal_decode(b, s, NULL) < 0)
		return 0;
	s->off = off;
	if (s->data_off + s->data_len != off)
		return 0;
	if ((n = pread_full(fd, lb, sizeof(lb),
	    s->data_off - EVLOG_LEAD_SIZE)) < 0)
		return tend_err_sys(err, "read error");
	if ((size_t)n < sizeof(lb) || lead_decode(lb, &fno, &dlen) < 0 ||
	    fno != s->frame_no || dlen != s->data_len ||
	    (fno == 0 && s->data_off != EVLOG_LEAD_SIZE))
		return 0;
	return 1;
}

/*
 * Finds the last complete unit of a file of `size` bytes: 1 with its seal,
 * 0 when there is none; *end is where it ends (0 for none).  The fast
 * path is a seal at the very end; otherwise the file is scanned backwards
 * for the seal's magic and size, and a candidate counts only if its check
 * and its lead agree.
 */
static int
find_tail(int fd, uint64_t size, struct evlog_seal *tail, uint64_t *end,
    struct tend_err *err)
{
	static const unsigned char pat[8] = { 0x5C, 0x2A, 0x4D, 0x18,
	    EVLOG_SEAL_PAYLOAD, 0, 0, 0 };
	unsigned char *b;
	uint64_t hi, lo;
	size_t n, i;
	ssize_t got;
	int rc;

	*end = 0;
	if (size >= EVLOG_SEAL_SIZE + EVLOG_LEAD_SIZE) {
		rc = seal_at(fd, size - EVLOG_SEAL_SIZE, tail, err);
		if (rc != 0) {
			if (rc > 0)
				*end = size;
			return rc;
		}
	}
	b = xmalloc(SCAN_CHUNK + sizeof(pat));
	for (hi = size; hi > 0; hi = lo) {
		lo = hi > SCAN_CHUNK ? hi - SCAN_CHUNK : 0;
		n = (size_t)(hi - lo) + sizeof(pat) - 1;
		if (lo + n > size)
			n = (size_t)(size - lo);
		if ((got = pread_full(fd, b, n, lo)) < 0) {
			free(b);
			return tend_err_sys(err, "read error");
		}
		for (i = (size_t)got; i-- > 0;) {
			if (i + sizeof(pat) > (size_t)got ||
			    memcmp(b + i, pat, sizeof(pat)) != 0 ||
			    lo + i + EVLOG_SEAL_SIZE > size)
				continue;
			rc = seal_at(fd, lo + i, tail, err);
			if (rc < 0) {
				free(b);
				return -1;
			}
			if (rc > 0) {
				*end = lo + i + EVLOG_SEAL_SIZE;
				free(b);
				return 1;
			}
		}
	}
	free(b);
	return 0;
}

/*
 * Whether bytes [end, size) are a torn tail: a proper prefix of the unit
 * of frame `frame_no`.  0 yes, 1 no (damage), -1 I/O error.
 */
static int
torn_prefix(int fd, uint64_t end, uint64_t size, uint64_t frame_no,
    struct tend_err *err)
{
	unsigned char b[EVLOG_LEAD_SIZE], want[EVLOG_LEAD_SIZE];
	uint64_t fno, dlen;
	size_t n = size - end < sizeof(b) ? (size_t)(size - end) : sizeof(b);
	ssize_t got;

	if ((got = pread_full(fd, b, n, end)) < 0)
		return tend_err_sys(err, "read error");
	if ((size_t)got < n)
		return 1;
	/* All but data_len is known in advance. */
	lead_encode(want, frame_no, 0);
	if (memcmp(b, want, n < 16 ? n : 16) != 0)
		return 1;
	if (n < sizeof(b))
		return 0;
	if (lead_decode(b, &fno, &dlen) < 0)
		return 1;
	return size - end < EVLOG_LEAD_SIZE + dlen + EVLOG_SEAL_SIZE ? 0 : 1;
}

/* ---- writer ---- */

static int
writer_fail(struct evlog_writer *w)
{
	w->failed = 1;
	return -1;
}

static void
frame_reset(struct evlog_frame *f)
{
	buf_reset(&f->content);
	f->nlines = 0;
}

static void
frame_release(struct evlog_frame *f)
{
	buf_release(&f->content);
	free(f->lines);
	memset(f, 0, sizeof(*f));
}

static void *worker(void *);

int
evlog_writer_open(struct evlog_writer *w, const char *path,
    const struct evlog_writer_opts *opts, struct tend_err *err)
{
	struct evlog_seal tail;
	struct stat st;
	uint64_t end;
	size_t r;
	int created = 1;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->opt.sync = EVLOG_SYNC_BATCH;
	w->opt.level = EVLOG_LEVEL_DEFAULT;
	w->opt.frame_bytes = EVLOG_FRAME_BYTES_DEFAULT;
	w->opt.frame_events = EVLOG_FRAME_EVENTS_DEFAULT;
	if (opts != NULL) {
		w->opt = *opts;
		if (w->opt.frame_bytes == 0)
			w->opt.frame_bytes = EVLOG_FRAME_BYTES_DEFAULT;
		if (w->opt.frame_events == 0)
			w->opt.frame_events = EVLOG_FRAME_EVENTS_DEFAULT;
	}
	w->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (w->fd < 0 && errno == EEXIST) {
		created = 0;
		w->fd = open(path, O_RDWR | O_CLOEXEC);
	}
	if (w->fd < 0)
		return tend_err_sys(err, "%s: cannot open", path);
	if (fstat(w->fd, &st) < 0) {
		tend_err_sys(err, "%s: cannot stat", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		tend_err_set(err, TEND_EXIT_SYSTEM, "%s: not a regular file",
		    path);
		goto fail;
	}
	if (created && w->opt.sync != EVLOG_SYNC_NEVER && sync_dir(path) < 0) {
		tend_err_sys(err, "%s: cannot sync its directory", path);
		goto fail;
	}
	if ((w->cctx = ZSTD_createCCtx()) == NULL) {
		tend_err_set(err, TEND_EXIT_SYSTEM, "out of memory");
		goto fail;
	}
	r = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel,
	    w->opt.level);
	if (!ZSTD_isError(r))
		r = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
	if (ZSTD_isError(r)) {
		tend_err_set(err, TEND_EXIT_USAGE, "zstd: %s",
		    ZSTD_getErrorName(r));
		ZSTD_freeCCtx(w->cctx);
		goto fail;
	}
	w->path = xstrdup(path);
	event_init(&w->ev);
	w->cur = &w->frame[0];
	/* A guess only: the seq is settled under the lock. */
	w->next_seq = 1;
	if (st.st_size > 0 && find_tail(w->fd, (uint64_t)st.st_size, &tail,
	    &end, NULL) > 0)
		w->next_seq = tail.first_seq + tail.count;
	w->synced = mono_ns();
	if (pthread_mutex_init(&w->mu, NULL) != 0 ||
	    pthread_cond_init(&w->cv, NULL) != 0)
		BUG("pthread init");
	/* Without a worker, frames are written in the caller's thread. */
	w->threaded = pthread_create(&w->thread, NULL, worker, w) == 0;
	return 0;
fail:
	close(w->fd);
	w->fd = -1;
	return -1;
}

/* Copies the torn tail [end, size) to path.torn-N and cuts it off. */
static int
cut_torn(struct evlog_writer *w, uint64_t end, uint64_t size,
    struct tend_err *err)
{
	struct buf name = BUF_INIT;
	char *b = NULL;
	uint64_t off;
	ssize_t got;
	unsigned n;
	int fd = -1;

	for (n = 1; ; n++) {
		buf_reset(&name);
		buf_addf(&name, "%s.torn-%u", w->path, n);
		fd = open(name.p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0666);
		if (fd >= 0)
			break;
		if (errno != EEXIST || n == 100000) {
			tend_err_sys(err, "%s: cannot create", name.p);
			goto fail;
		}
	}
	b = xmalloc(SCAN_CHUNK);
	for (off = end; off < size; off += (uint64_t)got) {
		size_t want = size - off < SCAN_CHUNK ? (size_t)(size - off) :
		    SCAN_CHUNK;

		if ((got = pread_full(w->fd, b, want, off)) < 0) {
			tend_err_sys(err, "%s: read error", w->path);
			goto fail;
		}
		if (got == 0)
			break;
		if (write_full(fd, b, (size_t)got) < 0) {
			tend_err_sys(err, "%s: write error", name.p);
			goto fail;
		}
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		tend_err_sys(err, "%s: cannot sync", name.p);
		goto fail;
	}
	fd = -1;
	if (sync_dir(name.p) < 0) {
		tend_err_sys(err, "%s: cannot sync its directory", name.p);
		goto fail;
	}
	if (ftruncate(w->fd, (off_t)end) < 0 || fsync(w->fd) < 0) {
		tend_err_sys(err, "%s: cannot cut off the torn tail", w->path);
		goto fail;
	}
	free(w->cut_path);
	w->cut_path = xstrdup(name.p);
	w->cut_off = end;
	w->cut_len = size - end;
	w->cut = 1;
	free(b);
	buf_release(&name);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free(b);
	buf_release(&name);
	return -1;
}

/*
 * Under the lock: the log's last seal (*have 0 for an empty log) and its
 * size, after cutting off a torn tail.  Damage after the last seal is an
 * error: the writer will not write past it.
 */
static int
locked_tail(struct evlog_writer *w, struct evlog_seal *tail, int *have,
    uint64_t *size, struct tend_err *err)
{
	struct stat st;
	uint64_t end;
	int rc;

	if (fstat(w->fd, &st) < 0)
		return tend_err_sys(err, "%s: cannot stat", w->path);
	*size = (uint64_t)st.st_size;
	*have = 0;
	if (*size == 0)
		return 0;
	if ((rc = find_tail(w->fd, *size, tail, &end, err)) < 0) {
		snprintf(err->msg, sizeof(err->msg), "%s: read error: %s",
		    w->path, strerror(errno));
		return -1;
	}
	*have = rc;
	if (end == *size)
		return 0;
	rc = torn_prefix(w->fd, end, *size, *have ? tail->frame_no + 1 : 0,
	    err);
	if (rc < 0)
		return -1;
	if (rc > 0)
		return tend_err_set(err, TEND_EXIT_INPUT, "%s: damaged after "
		    "byte %llu (not a torn tail); see 'tend log verify', and "
		    "'tend log repair' to move it aside", w->path,
		    (unsigned long long)end);
	if (cut_torn(w, end, *size, err) < 0)
		return -1;
	*size = end;
	return 0;
}

int
evlog_repair(const char *path, struct evlog_repair *rp, struct tend_err *err)
{
	struct evlog_writer w;
	struct evlog_seal tail;
	struct tend_err e = { 0 };
	struct stat st;
	uint64_t size, end;
	int have, rc = -1;

	memset(rp, 0, sizeof(*rp));
	if (evlog_writer_open(&w, path, NULL, err) < 0)
		return -1;
	if (lock(w.fd, LOCK_EX) < 0) {
		tend_err_sys(err, "%s: cannot lock", path);
		goto out;
	}
	if (fstat(w.fd, &st) < 0) {
		tend_err_sys(err, "%s: cannot stat", path);
		goto out;
	}
	size = (uint64_t)st.st_size;
	if (size == 0) {
		rc = 0;
		goto out;
	}
	if ((have = find_tail(w.fd, size, &tail, &end, err)) < 0)
		goto out;
	if (end == size) {
		rc = 0;
		goto out;
	}
	/* Only ever what follows the last sound seal: no unit there is
	   complete, whatever it once was. */
	rp->off = end;
	rp->len = size - end;
	rp->torn = torn_prefix(w.fd, end, size, have ? tail.frame_no + 1 : 0,
	    err) == 0;
	if (cut_torn(&w, end, size, err) < 0)
		goto out;
	rp->saved = w.cut_path;
	w.cut_path = NULL;
	rc = 0;
out:
	lock(w.fd, LOCK_UN);
	if (evlog_writer_close(&w, NULL, &e) < 0 && rc == 0) {
		*err = e;
		rc = -1;
	}
	return rc;
}

static int
compress_frame(struct evlog_writer *w, const struct evlog_frame *f,
    struct tend_err *err)
{
	size_t bound = ZSTD_compressBound(f->content.len), n;

	buf_reset(&w->unit);
	buf_grow(&w->unit, EVLOG_LEAD_SIZE + bound + EVLOG_SEAL_SIZE);
	n = ZSTD_compress2(w->cctx, w->unit.p + EVLOG_LEAD_SIZE, bound,
	    f->content.p, f->content.len);
	if (ZSTD_isError(n))
		return tend_err_set(err, TEND_EXIT_SYSTEM, "%s: zstd: %s",
		    w->path, ZSTD_getErrorName(n));
	w->unit.len = EVLOG_LEAD_SIZE + n;
	return 0;
}

static size_t
fmt_u64(char *out, uint64_t v)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

/* Rewrites the seq of every line of f, starting at first. */
static void
renumber(struct evlog_writer *w, struct evlog_frame *f, uint64_t first)
{
	struct buf *s = &w->scratch, t;
	size_t i;

	buf_reset(s);
	buf_grow(s, f->content.len + f->nlines);
	for (i = 0; i < f->nlines; i++) {
		struct evlog_wline *l = &f->lines[i];
		size_t start = s->len, rest = l->digits + l->ndigits, nd;
		char d[24];

		nd = fmt_u64(d, first + i);
		buf_add(s, f->content.p + l->start, l->digits - l->start);
		l->digits = s->len;
		buf_add(s, d, nd);
		buf_add(s, f->content.p + rest, l->end - rest);
		l->start = start;
		l->ndigits = nd;
		l->end = s->len;
	}
	t = f->content;
	f->content = *s;
	*s = t;
	f->first_seq = first;
}

/*
 * Writes frame f as one unit: compresses it, then under the lock reads
 * the tail (cutting a torn one off), renumbers f if another writer got
 * there first, writes lead, data and seal with one pwrite and, under
 * EVLOG_SYNC_ALWAYS, fsyncs.  Appends f's stored lines to out.
 */
static int
commit(struct evlog_writer *w, struct evlog_frame *f, struct buf *out,
    struct tend_err *err)
{
	struct evlog_seal tail, s, j;
	static const unsigned char zero[EVLOG_HASH_LEN];
	uint64_t size = 0, next;
	int have = 0, rc;

	memset(&s, 0, sizeof(s));
	if (compress_frame(w, f, err) < 0)
		return -1;
	if (lock(w->fd, LOCK_EX) < 0)
		return tend_err_sys(err, "%s: cannot lock", w->path);
	if (locked_tail(w, &tail, &have, &size, err) < 0)
		goto fail;
	next = have ? tail.first_seq + tail.count : 1;
	memcpy(s.hash, f->hash, sizeof(s.hash));
	if (next != f->first_seq) {
		/* Another writer got there first: our guess was wrong. */
		renumber(w, f, next);
		evlog_sha256(s.hash, f->content.p, f->content.len);
		if (compress_frame(w, f, err) < 0)
			goto fail;
	}
	s.frame_no = have ? tail.frame_no + 1 : 0;
	s.data_off = size + EVLOG_LEAD_SIZE;
	s.data_len = w->unit.len - EVLOG_LEAD_SIZE;
	s.raw_len = f->content.len;
	s.first_seq = next;
	s.count = f->nlines;
	s.min_time = f->min_time;
	s.max_time = f->max_time;
	s.prefix_min_time = have && tail.prefix_min_time < f->min_time ?
	    tail.prefix_min_time : f->min_time;
	s.prefix_max_time = have && tail.prefix_max_time > f->max_time ?
	    tail.prefix_max_time : f->max_time;
	s.total_raw = (have ? tail.total_raw : 0) + s.raw_len;
	s.flags = f->all_timed ? EVLOG_FLAG_ALL_TIMED : 0;
	s.off = s.data_off + s.data_len;
	if (!have) {
		s.jump_no = 0;
		s.jump_off = s.off;
	} else {
		/* Myers' skew-binary jump pointers (see evlog.h). */
		if ((rc = seal_at(w->fd, tail.jump_off, &j, err)) < 0)
			goto fail;
		if (rc == 0 || j.frame_no != tail.jump_no) {
			tend_err_set(err, TEND_EXIT_INPUT, "%s: damaged seal "
			    "at byte %llu; see 'tend log verify'", w->path,
			    (unsigned long long)tail.jump_off);
			goto fail;
		}
		if (tail.frame_no - tail.jump_no == tail.jump_no - j.jump_no) {
			s.jump_no = j.jump_no;
			s.jump_off = j.jump_off;
		} else {
			s.jump_no = tail.frame_no;
			s.jump_off = tail.off;
		}
	}
	evlog_sha256(s.data_hash, w->unit.p + EVLOG_LEAD_SIZE, s.data_len);
	seal_encode(&s, have ? tail.chain : zero);
	lead_encode((unsigned char *)w->unit.p, s.frame_no, s.data_len);
	buf_add(&w->unit, s.raw, EVLOG_SEAL_SIZE);
	if (pwrite_full(w->fd, w->unit.p, w->unit.len, size) < 0) {
		tend_err_sys(err, "%s: write error", w->path);
		/* Leave no partial unit behind if we can help it. */
		if (ftruncate(w->fd, (off_t)size) == 0)
			(void)fsync(w->fd);
		goto fail;
	}
	if (w->opt.sync == EVLOG_SYNC_ALWAYS && fdatasync(w->fd) < 0) {
		tend_err_sys(err, "%s: cannot sync", w->path);
		goto fail;
	}
	lock(w->fd, LOCK_UN);
	if (w->opt.sync != EVLOG_SYNC_ALWAYS && !w->dirty) {
		w->dirty = 1;
		w->synced = mono_ns();	/* the second starts now */
	} else if (w->opt.sync == EVLOG_SYNC_BATCH &&
	    mono_ns() - w->synced >= EVLOG_FRAME_AGE_NS) {
		if (fdatasync(w->fd) < 0)
			return tend_err_sys(err, "%s: cannot sync", w->path);
		w->dirty = 0;
		w->synced = mono_ns();
	}
	if (out != NULL)
		buf_add(out, f->content.p, f->content.len);
	w->tail_next = next + f->nlines;
	w->frames++;
	return 0;
fail:
	lock(w->fd, LOCK_UN);
	return -1;
}

static void *
worker(void *arg)
{
	struct evlog_writer *w = arg;
	struct evlog_frame *f;
	struct tend_err err;
	int rc;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->job == NULL && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if ((f = w->job) == NULL)
			break;
		pthread_mutex_unlock(&w->mu);
		memset(&err, 0, sizeof(err));
		rc = commit(w, f, &w->done, &err);
		pthread_mutex_lock(&w->mu);
		w->job_rc = rc;
		w->job_err = err;
		w->job = NULL;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Waits for the worker to finish its frame and takes its results. */
static int
collect(struct evlog_writer *w, struct buf *out, struct tend_err *err)
{
	int rc;

	pthread_mutex_lock(&w->mu);
	while (w->job != NULL)
		pthread_cond_wait(&w->cv, &w->mu);
	rc = w->job_rc;
	w->job_rc = 0;
	if (rc < 0 && err != NULL)
		*err = w->job_err;
	if (out != NULL)
		buf_add(out, w->done.p, w->done.len);
	buf_reset(&w->done);
	if (w->cut) {
		free(w->torn_path);
		w->torn_path = w->cut_path;
		w->cut_path = NULL;
		w->torn_off = w->cut_off;
		w->torn_len = w->cut_len;
		w->torn_new = 1;
		w->cut = 0;
	}
	pthread_mutex_unlock(&w->mu);
	return rc < 0 ? writer_fail(w) : 0;
}

/* Hands the current frame to the worker (or writes it) and starts the
   other one.  The frame before is collected first, keeping the order. */
static int
submit(struct evlog_writer *w, struct buf *out, struct tend_err *err)
{
	struct evlog_frame *f = w->cur;

	/*
	 * Hashed here, before waiting for the worker, so that hashing this
	 * frame and compressing the one before run side by side.
	 */
	if (f->nlines > 0)
		evlog_sha256(f->hash, f->content.p, f->content.len);
	if (collect(w, out, err) < 0)
		return -1;
	if (f->nlines == 0)
		return 0;
	w->next_seq = f->first_seq + f->nlines;
	w->cur = f == &w->frame[0] ? &w->frame[1] : &w->frame[0];
	frame_reset(w->cur);
	if (!w->threaded) {
		if (commit(w, f, &w->done, err) < 0)
			return writer_fail(w);
		return collect(w, out, err);
	}
	pthread_mutex_lock(&w->mu);
	w->job = f;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

static int
sync_now(struct evlog_writer *w, struct tend_err *err)
{
	if (!w->dirty || w->opt.sync == EVLOG_SYNC_NEVER)
		return 0;
	if (fdatasync(w->fd) < 0) {
		tend_err_sys(err, "%s: cannot sync", w->path);
		return writer_fail(w);
	}
	w->dirty = 0;
	w->synced = mono_ns();
	return 0;
}

int64_t
evlog_writer_deadline(const struct evlog_writer *w)
{
	struct evlog_writer *mw = (struct evlog_writer *)w;
	int64_t d = -1;

	if (w->cur != NULL && w->cur->nlines > 0)
		d = w->cur->started + EVLOG_FRAME_AGE_NS;
	pthread_mutex_lock(&mw->mu);
	/* A frame in flight alone: collect it now; else with the next. */
	if (w->job != NULL && d < 0)
		d = mono_ns();
	else if (w->job == NULL && w->dirty &&
	    w->opt.sync == EVLOG_SYNC_BATCH &&
	    (d < 0 || w->synced + EVLOG_FRAME_AGE_NS < d))
		d = w->synced + EVLOG_FRAME_AGE_NS;
	pthread_mutex_unlock(&mw->mu);
	return d;
}

/*
 * Whether the log holds line, byte for byte, as event seq: 1 yes, 0 no,
 * -1 with err.  The frame last looked at is kept, so a run of such events
 * decodes each frame once.
 */
static int
holds(struct evlog_writer *w, const char *line, size_t len, uint64_t seq,
    struct tend_err *err)
{
	struct evlog_reader *r = w->check;
	const char *l;
	size_t n;
	uint64_t s;
	int rc;

	if (r == NULL) {
		r = xcalloc(1, sizeof(*r));
		if (evlog_reader_open(r, w->path, err) < 0) {
			free(r);
			return -1;
		}
		w->check = r;
	}
	if (!w->check_frame || seq < r->seal.first_seq ||
	    seq - r->seal.first_seq >= r->seal.count) {
		w->check_frame = 0;
		if (evlog_reader_seek_seq(r, seq, err) < 0 ||
		    (rc = evlog_reader_next(r, NULL, err)) < 0)
			return -1;
		if (rc == 0 || seq < r->seal.first_seq ||
		    seq - r->seal.first_seq >= r->seal.count)
			return 0;
		w->check_frame = 1;
	}
	r->evpos = 0;
	while (evlog_reader_event(r, &l, &n, &s) > 0)
		if (s == seq)
			return n == len && memcmp(l, line, len) == 0;
	return 0;
}

/*
 * An event that comes with a seq was stored by an earlier tee of the same
 * pipeline (tend log append LOG | ... | tend log append LOG): when this
 * log holds it as that seq it passes through, after the lines before it,
 * and is not stored twice.  Any other seq is refused: it belongs to
 * another log, and storing it here under a new one would hide that.
 */
static int
pass_logged(struct evlog_writer *w, const char *line, size_t len,
    uint64_t seq, struct buf *out, struct tend_err *err)
{
	struct tend_err e = { 0 };
	int rc;

	/* Frames before it first: it is output in its place. */
	if (submit(w, out, err) < 0 || collect(w, out, err) < 0)
		return -1;
	if ((rc = holds(w, line, len, seq, &e)) < 0)
		return tend_err_set(err, e.code, "%s: cannot check the event "
		    "with seq %llu against the log: %s", w->path,
		    (unsigned long long)seq, e.msg);
	if (rc == 0)
		return tend_err_set(err, TEND_EXIT_INPUT, "the event has "
		    "'seq' %llu, which is not that event of %s: seq is added "
		    "by the log (remove it to append an event read from "
		    "another log)", (unsigned long long)seq, w->path);
	if (out != NULL) {
		buf_add(out, line, len);
		buf_addc(out, '\n');
	}
	return 0;
}

int
evlog_writer_append(struct evlog_writer *w, const char *line, size_t len,
    struct buf *out, struct tend_err *err)
{
	struct evlog_frame *f;
	struct evlog_wline *l;
	size_t obj, need, nd;
	char d[24];
	int64_t now;

	if (w->failed)
		return tend_err_set(err, TEND_EXIT_SYSTEM,
		    "%s: the log writer failed earlier", w->path);
	if (event_parse(&w->ev, line, len, err) < 0)
		return -1;
	if (w->ev.seq >= 0) {
		const char *raw;
		size_t rl, i;
		uint64_t seq = 0;

		/* event_parse checked it is an integer >= 1 */
		raw = json_raw(&w->ev.doc, (uint32_t)w->ev.seq, &rl);
		for (i = 0; i < rl && raw[i] >= '0' && raw[i] <= '9'; i++)
			seq = seq > (UINT64_MAX - 9) / 10 ? UINT64_MAX :
			    seq * 10 + (uint64_t)(raw[i] - '0');
		return pass_logged(w, line, len, seq, out, err);
	}
	now = mono_ns();
	need = len + 29;	/* "seq": 20 digits, comma, newline */
	if (w->cur->nlines > 0 &&
	    w->cur->content.len + need > w->opt.frame_bytes &&
	    submit(w, out, err) < 0)
		return -1;
	f = w->cur;
	if (f->nlines == 0) {
		f->first_seq = w->next_seq;
		f->started = now;
		f->min_time = INT64_MAX;
		f->max_time = INT64_MIN;
		f->all_timed = 1;
	}
	if (f->nlines == f->linescap) {
		f->linescap = f->linescap ? 2 * f->linescap : 1024;
		f->lines = xreallocarray(f->lines, f->linescap,
		    sizeof(*f->lines));
	}
	/* tok[0] is the object: insert right after its brace. */
	obj = w->ev.doc.tok[0].off + 1;
	nd = fmt_u64(d, f->first_seq + f->nlines);
	l = &f->lines[f->nlines++];
	buf_grow(&f->content, need);
	l->start = f->content.len;
	buf_add(&f->content, line, obj);
	buf_add(&f->content, "\"seq\":", 6);
	l->digits = f->content.len;
	l->ndigits = nd;
	buf_add(&f->content, d, nd);
	buf_addc(&f->content, ',');
	buf_add(&f->content, line + obj, len - obj);
	buf_addc(&f->content, '\n');
	l->end = f->content.len;
	if (w->ev.time >= 0) {
		if (w->ev.time_ns < f->min_time)
			f->min_time = w->ev.time_ns;
		if (w->ev.time_ns > f->max_time)
			f->max_time = w->ev.time_ns;
	} else
		f->all_timed = 0;
	w->events++;
	if ((f->content.len >= w->opt.frame_bytes ||
	    f->nlines >= w->opt.frame_events ||
	    now - f->started >= EVLOG_FRAME_AGE_NS) && submit(w, out, err) < 0)
		return -1;
	return 0;
}

int
evlog_writer_flush(struct evlog_writer *w, struct buf *out,
    struct tend_err *err)
{
	if (w->failed)
		return tend_err_set(err, TEND_EXIT_SYSTEM,
		    "%s: the log writer failed earlier", w->path);
	if (submit(w, out, err) < 0 || collect(w, out, err) < 0)
		return -1;
	return sync_now(w, err);
}

int
evlog_writer_close(struct evlog_writer *w, struct buf *out,
    struct tend_err *err)
{
	int rc = 0;

	if (w->fd < 0)
		return 0;
	if (!w->failed && evlog_writer_flush(w, out, err) < 0)
		rc = -1;
	if (w->threaded) {
		pthread_mutex_lock(&w->mu);
		while (w->job != NULL)
			pthread_cond_wait(&w->cv, &w->mu);
		w->quit = 1;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
	}
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	if (close(w->fd) < 0 && rc == 0)
		rc = tend_err_sys(err, "%s: close error", w->path);
	ZSTD_freeCCtx(w->cctx);
	event_release(&w->ev);
	frame_release(&w->frame[0]);
	frame_release(&w->frame[1]);
	buf_release(&w->unit);
	buf_release(&w->scratch);
	buf_release(&w->done);
	if (w->check != NULL) {
		evlog_reader_close(w->check);
		free(w->check);
	}
	free(w->path);
	free(w->torn_path);
	free(w->cut_path);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	return rc;
}

/* ---- reader ---- */

int
evlog_reader_open(struct evlog_reader *r, const char *path,
    struct tend_err *err)
{
	struct stat st;

	memset(r, 0, sizeof(*r));
	if ((r->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return tend_err_sys(err, "%s: cannot open", path);
	if (fstat(r->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (S_ISREG(st.st_mode))
			tend_err_sys(err, "%s: cannot stat", path);
		else
			tend_err_set(err, TEND_EXIT_SYSTEM,
			    "%s: not a regular file", path);
		close(r->fd);
		r->fd = -1;
		return -1;
	}
	r->size = (uint64_t)st.st_size;
	if ((r->dctx = ZSTD_createDCtx()) == NULL) {
		close(r->fd);
		r->fd = -1;
		return tend_err_set(err, TEND_EXIT_SYSTEM, "out of memory");
	}
	r->path = xstrdup(path);
	r->next_seq = 1;
	r->seq_known = 1;
	r->chain_known = 1;
	/*
	 * The chained seal binds the data frame's hash, and zstd's own
	 * checksum binds what it decodes to: together they prove the
	 * content at a tenth of the hashing (the data frame is ~1/11 of
	 * it).  verify checks the content hash too.
	 */
	r->check_data_hash = 1;
	return 0;
}

void
evlog_reader_close(struct evlog_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	ZSTD_freeDCtx(r->dctx);
	free(r->win);
	free(r->path);
	buf_release(&r->content);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

static int
file_size(struct evlog_reader *r, struct tend_err *err)
{
	struct stat st;

	if (fstat(r->fd, &st) < 0)
		return tend_err_sys(err, "%s: cannot stat", r->path);
	r->size = (uint64_t)st.st_size;
	return 0;
}

/* Waits until no writer is in the middle of a unit. */
static int
writers_done(struct evlog_reader *r, struct tend_err *err)
{
	if (lock(r->fd, LOCK_SH) < 0)
		return tend_err_sys(err, "%s: cannot lock", r->path);
	lock(r->fd, LOCK_UN);
	r->winlen = 0;
	return file_size(r, err);
}

/*
 * Points *p at bytes [off, off+len) of the file through the window: 1, 0
 * if the file is shorter, -1 on read errors.
 */
static int
rd(struct evlog_reader *r, uint64_t off, size_t len, const unsigned char **p,
    struct tend_err *err)
{
	size_t want = len < WINDOW ? WINDOW : len;
	ssize_t got;

	if (off >= r->winoff && off - r->winoff <= r->winlen &&
	    len <= r->winlen - (off - r->winoff)) {
		*p = r->win + (off - r->winoff);
		return 1;
	}
	/* A damaged lead can claim a 4 GiB unit: allocate only for bytes
	   the file holds. */
	if ((off > r->size || len > r->size - off) && file_size(r, err) < 0)
		return -1;
	if (off > r->size || len > r->size - off) {
		r->winlen = 0;
		return 0;
	}
	if (want > r->wincap) {
		free(r->win);
		r->win = xmalloc(want);
		r->wincap = want;
	}
	r->winlen = 0;
	if ((got = pread_full(r->fd, r->win, want, off)) < 0)
		return tend_err_sys(err, "%s: read error", r->path);
	r->winoff = off;
	r->winlen = (size_t)got;
	if ((size_t)got < len) {
		r->winlen = 0;	/* the end may be torn: never trust it */
		return 0;
	}
	*p = r->win;
	return 1;
}

int
evlog_reader_tail(struct evlog_reader *r, struct evlog_seal *tail,
    struct tend_err *err)
{
	uint64_t end;
	int rc, tries, torn;

	r->torn_off = r->torn_len = 0;
	for (tries = 0; ; tries++) {
		if (tries == 0 ? file_size(r, err) : writers_done(r, err))
			return -1;
		if (r->size == 0)
			return 0;
		if ((rc = find_tail(r->fd, r->size, tail, &end, err)) < 0)
			return -1;
		if (end == r->size)
			return rc;
		if (tries > 0)
			break;
	}
	torn = torn_prefix(r->fd, end, r->size, rc ? tail->frame_no + 1 : 0,
	    err);
	if (torn < 0)
		return -1;
	if (torn > 0) {
		err->offset = end;
		return tend_err_set(err, TEND_EXIT_INPUT, "damaged after byte "
		    "%llu: not a frame", (unsigned long long)end);
	}
	r->torn_off = end;
	r->torn_len = r->size - end;
	return rc;
}

/* Puts the reader at the unit whose seal is s (or at the start). */
static int
position(struct evlog_reader *r, const struct evlog_seal *s,
    struct tend_err *err)
{
	struct evlog_seal p;
	int rc;

	r->done = r->broken = 0;
	r->pos = 0;
	r->frame_no = 0;
	r->next_seq = 1;
	r->seq_known = r->chain_known = 1;
	memset(r->chain, 0, sizeof(r->chain));
	if (s == NULL || s->frame_no == 0)
		return 0;
	rc = seal_at(r->fd, s->data_off - EVLOG_LEAD_SIZE - EVLOG_SEAL_SIZE,
	    &p, err);
	if (rc < 0)
		return -1;
	if (rc == 0 || p.frame_no + 1 != s->frame_no)
		return 0;	/* read from the start and meet the damage */
	r->pos = s->data_off - EVLOG_LEAD_SIZE;
	r->frame_no = s->frame_no;
	r->next_seq = p.first_seq + p.count;
	memcpy(r->chain, p.chain, sizeof(r->chain));
	return 0;
}

enum seek_kind { SEEK_SEQ, SEEK_TIME };

static int
reaches(const struct evlog_seal *s, enum seek_kind k, uint64_t seq, int64_t t)
{
	if (k == SEEK_SEQ)
		return s->first_seq + s->count - 1 >= seq;
	return s->prefix_max_time >= t;
}

static int
seek(struct evlog_reader *r, enum seek_kind k, uint64_t seq, int64_t t,
    struct tend_err *err)
{
	struct evlog_seal x, y;
	int rc;

	if ((rc = evlog_reader_tail(r, &x, err)) < 0)
		return -1;
	if (rc == 0)
		return position(r, NULL, err);
	if (!reaches(&x, k, seq, t)) {
		/* Nothing to find: stand after the last frame. */
		position(r, NULL, err);
		r->pos = x.off + EVLOG_SEAL_SIZE;
		r->frame_no = x.frame_no + 1;
		r->next_seq = x.first_seq + x.count;
		memcpy(r->chain, x.chain, sizeof(r->chain));
		return 0;
	}
	while (x.frame_no > 0) {
		if (x.jump_no < x.frame_no) {
			rc = seal_at(r->fd, x.jump_off, &y, err);
			if (rc < 0)
				return -1;
			if (rc == 0 || y.frame_no != x.jump_no)
				return position(r, NULL, err);
			if (reaches(&y, k, seq, t)) {
				x = y;
				continue;
			}
		}
		rc = seal_at(r->fd, x.data_off - EVLOG_LEAD_SIZE -
		    EVLOG_SEAL_SIZE, &y, err);
		if (rc < 0)
			return -1;
		if (rc == 0 || y.frame_no + 1 != x.frame_no)
			return position(r, NULL, err);
		if (!reaches(&y, k, seq, t))
			break;
		x = y;
	}
	return position(r, &x, err);
}

int
evlog_reader_seek_seq(struct evlog_reader *r, uint64_t seq,
    struct tend_err *err)
{
	return seek(r, SEEK_SEQ, seq, 0, err);
}

int
evlog_reader_seek_time(struct evlog_reader *r, int64_t t,
    struct tend_err *err)
{
	return seek(r, SEEK_TIME, 0, t, err);
}

/* Whether the frame of seal s can hold an event the range wants. */
static int
wanted(const struct evlog_seal *s, const struct evlog_range *rg)
{
	if (rg == NULL)
		return 1;
	if (s->first_seq + s->count - 1 < rg->seq_min ||
	    s->first_seq > rg->seq_max)
		return 0;
	if (rg->timed && (s->max_time < rg->time_min ||
	    s->min_time > rg->time_max))
		return 0;
	return 1;
}

static int
damaged(uint64_t off, struct tend_err *err, const char *what)
{
	tend_err_set(err, TEND_EXIT_INPUT, "%s", what);
	err->offset = off;
	return -1;
}

/* Moves past a unit whose lead and seal are sound but whose data is not. */
static void
skip_unit(struct evlog_reader *r, const struct evlog_seal *s)
{
	r->pos = s->off + EVLOG_SEAL_SIZE;
	r->frame_no = s->frame_no + 1;
	r->next_seq = s->first_seq + s->count;
	r->seq_known = 1;
	memcpy(r->chain, s->chain, sizeof(r->chain));
	r->chain_known = 1;
}

/* Checks seal s (at the end of the unit at r->pos) against the reader. */
static int
check_seal(struct evlog_reader *r, const unsigned char *p,
    uint64_t data_len, struct evlog_seal *s, struct tend_err *err)
{
	unsigned char md[EVLOG_HASH_LEN];
	uint64_t off = r->pos;
	struct tend_err e = { 0 };

	if (evlog_seal_decode(p, s, &e) < 0) {
		/* The lead still says where the next unit is. */
		r->pos += EVLOG_LEAD_SIZE + data_len + EVLOG_SEAL_SIZE;
		r->frame_no++;
		r->seq_known = r->chain_known = 0;
		return damaged(off, err, e.msg);
	}
	s->off = r->pos + EVLOG_LEAD_SIZE + data_len;
	if (s->frame_no != r->frame_no || s->data_len != data_len ||
	    s->data_off != r->pos + EVLOG_LEAD_SIZE) {
		skip_unit(r, s);
		return damaged(off, err, "seal does not match its "
		    "frame");
	}
	if (r->chain_known) {
		chain_of(s, r->chain, md);
		if (memcmp(md, s->chain, sizeof(md)) != 0) {
			skip_unit(r, s);
			return damaged(off, err, "hash chain broken");
		}
	}
	if (r->seq_known && s->first_seq != r->next_seq) {
		char msg[80];

		snprintf(msg, sizeof(msg), "frame starts at seq %llu, not %llu",
		    (unsigned long long)s->first_seq,
		    (unsigned long long)r->next_seq);
		skip_unit(r, s);
		return damaged(off, err, msg);
	}
	return 0;
}

/* A decoding error is damage, unless zstd ran out of memory. */
static int
zstd_code(size_t rc)
{
	return ZSTD_getErrorCode(rc) == ZSTD_error_memory_allocation ?
	    TEND_EXIT_SYSTEM : TEND_EXIT_INPUT;
}

/*
 * Hashing a frame's content costs about what decompressing it does, so
 * for big frames a helper thread hashes behind the decompressor, a chunk
 * at a time, and the two overlap.
 */
#define FOLLOW_MIN	(256u << 10)
#define FOLLOW_CHUNK	(128u << 10)

struct follower {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const unsigned char *p;
	size_t	 avail;		/* bytes decoded so far */
	int	 done;		/* avail is final */
	unsigned char md[EVLOG_HASH_LEN];
};

static void *
follow_hash(void *arg)
{
	struct follower *f = arg;
	struct sha256 h;
	size_t hashed = 0, avail, n;
	int done;

	sha256_init(&h);
	for (;;) {
		pthread_mutex_lock(&f->mu);
		while (!f->done && f->avail - hashed < FOLLOW_CHUNK)
			pthread_cond_wait(&f->cv, &f->mu);
		avail = f->avail;
		done = f->done;
		pthread_mutex_unlock(&f->mu);
		if (done)
			break;
		n = (avail - hashed) / 64 * 64;
		sha256_blocks(&h, f->p + hashed, n);
		hashed += n;
	}
	sha256_final(&h, f->p + hashed, avail - hashed, f->md);
	return NULL;
}

static void
follower_post(struct follower *f, size_t avail, int done)
{
	pthread_mutex_lock(&f->mu);
	f->avail = avail;
	f->done = done;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

/*
 * Decompresses d into r->content while a helper hashes it into md.
 * Returns the content length, 0 if no thread could be started, or -1.
 */
static ssize_t
decode_hashing(struct evlog_reader *r, const unsigned char *d,
    const struct evlog_seal *s, unsigned char md[EVLOG_HASH_LEN],
    struct tend_err *err)
{
	ZSTD_inBuffer in = { d, s->data_len, 0 };
	ZSTD_outBuffer out = { r->content.p, 0, 0 };
	struct follower f;
	pthread_t t;
	size_t rc, lastin, lastout;
	ssize_t ret = -1;

	memset(&f, 0, sizeof(f));
	f.p = (const unsigned char *)r->content.p;
	if (pthread_mutex_init(&f.mu, NULL) != 0)
		return 0;
	if (pthread_cond_init(&f.cv, NULL) != 0) {
		pthread_mutex_destroy(&f.mu);
		return 0;
	}
	if (pthread_create(&t, NULL, follow_hash, &f) != 0) {
		ret = 0;
		goto out;
	}
	ZSTD_DCtx_reset(r->dctx, ZSTD_reset_session_only);
	for (;;) {
		out.size = s->raw_len - out.pos < FOLLOW_CHUNK ? s->raw_len :
		    out.pos + FOLLOW_CHUNK;
		lastin = in.pos;
		lastout = out.pos;
		rc = ZSTD_decompressStream(r->dctx, &out, &in);
		if (ZSTD_isError(rc)) {
			tend_err_set(err, zstd_code(rc), "zstd: %s",
			    ZSTD_getErrorName(rc));
			break;
		}
		follower_post(&f, out.pos, 0);
		if (rc == 0) {
			ret = (ssize_t)out.pos;
			break;
		}
		if (in.pos == lastin && out.pos == lastout) {
			tend_err_set(err, TEND_EXIT_INPUT,
			    "zstd: the data frame ends early");
			break;
		}
	}
	follower_post(&f, out.pos, 1);
	pthread_join(t, NULL);
	memcpy(md, f.md, EVLOG_HASH_LEN);
out:
	pthread_cond_destroy(&f.cv);
	pthread_mutex_destroy(&f.mu);
	return ret;
}

/* Decodes and checks the data frame d[0..s->data_len) into r->content. */
static int
decode(struct evlog_reader *r, const unsigned char *d,
    const struct evlog_seal *s, struct tend_err *err)
{
	unsigned char md[EVLOG_HASH_LEN];
	unsigned long long fcs;
	size_t n;
	ssize_t k = 0;
	int hashed = 0;

	if (get32(d) != ZSTD_MAGICNUMBER)
		return tend_err_set(err, TEND_EXIT_INPUT, "not a zstd frame");
	/* Frame header descriptor: bit 2 is Content_Checksum_flag. */
	if (!(d[4] & 4))
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "zstd frame without checksum");
	fcs = ZSTD_getFrameContentSize(d, s->data_len);
	if (fcs != s->raw_len)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "zstd frame header does not match the seal");
	n = ZSTD_findFrameCompressedSize(d, s->data_len);
	if (ZSTD_isError(n) || n != s->data_len)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "zstd frame length does not match the seal");
	buf_reset(&r->content);
	buf_grow(&r->content, s->raw_len);
	if (r->check_hash && s->raw_len >= FOLLOW_MIN &&
	    (k = decode_hashing(r, d, s, md, err)) < 0)
		return -1;
	if (k > 0) {
		n = (size_t)k;
		hashed = 1;
	} else {
		n = ZSTD_decompressDCtx(r->dctx, r->content.p, s->raw_len, d,
		    s->data_len);
		if (ZSTD_isError(n))
			return tend_err_set(err, zstd_code(n), "zstd: %s",
			    ZSTD_getErrorName(n));
	}
	if (n != s->raw_len || r->content.p[n - 1] != '\n')
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "content does not end with a newline");
	r->content.len = n;
	r->content.p[n] = '\0';
	if (r->check_hash) {
		if (!hashed)
			evlog_sha256(md, r->content.p, n);
		if (memcmp(md, s->hash, sizeof(md)) != 0)
			return tend_err_set(err, TEND_EXIT_INPUT,
			    "content hash mismatch");
	}
	if (r->check_data_hash) {
		evlog_sha256(md, d, s->data_len);
		if (memcmp(md, s->data_hash, sizeof(md)) != 0)
			return tend_err_set(err, TEND_EXIT_INPUT,
			    "data frame hash mismatch");
	}
	return 0;
}

/*
 * At the end of the complete units: is what follows a unit being written
 * (*again: read it now), a torn tail (r->torn_*), or damage (-1)?
 */
static int
at_end(struct evlog_reader *r, int *again, struct tend_err *err)
{
	struct evlog_seal s;
	const unsigned char *p;
	uint64_t fno, dlen, end;
	int rc;

	*again = 0;
	if (file_size(r, err) < 0)
		return -1;
	if (r->size == r->pos)
		return 0;
	if (r->size < r->pos)
		return damaged(r->pos, err, "the log shrank under the reader");
	if (writers_done(r, err) < 0)
		return -1;
	if (r->size == r->pos)
		return 0;
	if (r->size - r->pos >= EVLOG_LEAD_SIZE &&
	    (rc = rd(r, r->pos, EVLOG_LEAD_SIZE, &p, err)) != 0) {
		if (rc < 0)
			return -1;
		if (lead_decode(p, &fno, &dlen) == 0 && fno == r->frame_no &&
		    r->size - r->pos >= EVLOG_LEAD_SIZE + dlen +
		    EVLOG_SEAL_SIZE) {
			*again = 1;
			return 0;
		}
	}
	if ((rc = torn_prefix(r->fd, r->pos, r->size, r->frame_no, err)) < 0)
		return -1;
	/* A torn tail holds no seal: one after it means a damaged lead. */
	if (rc == 0) {
		if ((rc = find_tail(r->fd, r->size, &s, &end, err)) < 0)
			return -1;
		rc = rc > 0 && end > r->pos;
	}
	if (rc > 0) {
		r->broken = 1;
		return damaged(r->pos, err, "damaged frame lead");
	}
	r->torn_off = r->pos;
	r->torn_len = r->size - r->pos;
	return 0;
}

int
evlog_reader_next(struct evlog_reader *r, const struct evlog_range *rg,
    struct tend_err *err)
{
	const unsigned char *p;
	uint64_t fno, dlen, unit;
	int rc, again, tries = 0;

	r->torn_off = r->torn_len = 0;
	r->evpos = 0;
	buf_reset(&r->content);
	for (;;) {
		if (r->broken)
			return damaged(r->pos, err, "cannot read "
			    "past the damage");
		if (rg != NULL && r->seq_known && r->next_seq > rg->seq_max) {
			r->done = 1;
			return 0;
		}
		rc = rd(r, r->pos, EVLOG_LEAD_SIZE, &p, err);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			if (lead_decode(p, &fno, &dlen) < 0 ||
			    fno != r->frame_no) {
				r->broken = 1;
				return damaged(r->pos, err,
				    "no frame lead here");
			}
			unit = EVLOG_LEAD_SIZE + dlen + EVLOG_SEAL_SIZE;
			if (rg != NULL && rg->timed) {
				/* Decide from the seal alone first. */
				rc = rd(r, r->pos + EVLOG_LEAD_SIZE + dlen,
				    EVLOG_SEAL_SIZE, &p, err);
				if (rc < 0)
					return -1;
				if (rc > 0) {
					if (check_seal(r, p, dlen, &r->seal,
					    err) < 0)
						return -1;
					if (!wanted(&r->seal, rg)) {
						skip_unit(r, &r->seal);
						continue;
					}
				}
			}
			if (rc > 0)
				rc = rd(r, r->pos, (size_t)unit, &p, err);
			if (rc < 0)
				return -1;
		}
		if (rc == 0) {
			if (tries++ > 0)
				return 0;
			if (at_end(r, &again, err) < 0)
				return -1;
			if (!again)
				return 0;
			continue;
		}
		tries = 0;
		if (check_seal(r, p + EVLOG_LEAD_SIZE + dlen, dlen, &r->seal,
		    err) < 0)
			return -1;
		if (!wanted(&r->seal, rg)) {
			skip_unit(r, &r->seal);
			continue;
		}
		if (decode(r, p + EVLOG_LEAD_SIZE, &r->seal, err) < 0) {
			err->offset = r->pos;
			buf_reset(&r->content);
			skip_unit(r, &r->seal);
			return -1;
		}
		skip_unit(r, &r->seal);
		return 1;
	}
}

int
evlog_reader_event(struct evlog_reader *r, const char **line, size_t *len,
    uint64_t *seq)
{
	const char *s, *nl, *q;
	uint64_t v = 0;

	if (r->evpos >= r->content.len)
		return 0;
	s = r->content.p + r->evpos;
	nl = memchr(s, '\n', r->content.len - r->evpos);
	if (nl == NULL)
		nl = r->content.p + r->content.len;
	*line = s;
	*len = (size_t)(nl - s);
	r->evpos += *len + 1;
	q = s;
	while (q < nl && (*q == ' ' || *q == '\t' || *q == '\r'))
		q++;
	*seq = 0;
	if (nl - q > 8 && memcmp(q, "{\"seq\":", 7) == 0) {
		for (q += 7; q < nl && *q >= '0' && *q <= '9'; q++) {
			if (v > (UINT64_MAX - 9) / 10)
				return 1;
			v = v * 10 + (uint64_t)(*q - '0');
		}
		if (q < nl && *q == ',')
			*seq = v;
	}
	return 1;
}

/* ---- verify ---- */

#define UNKNOWN UINT64_MAX

struct verify {
	struct evlog_verify_stats *st;
	void	(*report)(void *, uint64_t, uint64_t, uint64_t, const char *);
	void	*arg;
	struct event ev;
	uint64_t *jump, *soff;	/* per frame: jump_no, seal offset */
	size_t	 cap;
	int64_t	 pmin, pmax;
	uint64_t traw;
	int	 prefix_known;
};

static void
problem(struct verify *v, uint64_t frame, uint64_t off, uint64_t seq,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
problem(struct verify *v, uint64_t frame, uint64_t off, uint64_t seq,
    const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->st->problems++;
	if (v->report != NULL)
		v->report(v->arg, frame, off, seq, msg);
}

static void
remember(struct verify *v, uint64_t frame, uint64_t jump, uint64_t soff)
{
	if (frame >= v->cap) {
		size_t cap = v->cap ? v->cap : 1024;

		while (cap <= frame)
			cap *= 2;
		v->jump = xreallocarray(v->jump, cap, sizeof(*v->jump));
		v->soff = xreallocarray(v->soff, cap, sizeof(*v->soff));
		v->cap = cap;
	}
	v->jump[frame] = jump;
	v->soff[frame] = soff;
}

/* The jump pointer frame n must carry; 0 if it cannot be known. */
static int
expect_jump(const struct verify *v, uint64_t n, uint64_t soff,
    uint64_t *jno, uint64_t *joff)
{
	uint64_t p = n - 1, j1, j2;

	if (n == 0) {
		*jno = 0;
		*joff = soff;
		return 1;
	}
	if ((j1 = v->jump[p]) == UNKNOWN || j1 > p ||
	    (j2 = v->jump[j1]) == UNKNOWN)
		return 0;
	if (p - j1 == j1 - j2) {
		*jno = j2;
		*joff = v->soff[j2];
	} else {
		*jno = p;
		*joff = v->soff[p];
	}
	return *joff != UNKNOWN;
}

/* Checks the events of the frame just read against its seal. */
static void
verify_events(struct verify *v, struct evlog_reader *r)
{
	const struct evlog_seal *s = &r->seal;
	const char *line;
	size_t len, bad = 0;
	uint64_t n = 0, seq, fseq;
	int64_t mn = INT64_MAX, mx = INT64_MIN, iv;
	int all = 1;
	struct tend_err e = { 0 };
	uint64_t off = s->data_off - EVLOG_LEAD_SIZE;

	while (evlog_reader_event(r, &line, &len, &fseq)) {
		seq = s->first_seq + n++;
		if (event_parse(&v->ev, line, len, &e) < 0) {
			if (bad++ < 3)
				problem(v, s->frame_no, off, seq, "event: %s",
				    e.msg);
			continue;
		}
		if (v->ev.seq < 0 || json_int(&v->ev.doc,
		    (uint32_t)v->ev.seq, &iv) < 0 || (uint64_t)iv != seq ||
		    fseq != seq) {
			if (bad++ < 3)
				problem(v, s->frame_no, off, seq, "event "
				    "does not start with {\"seq\":%llu,",
				    (unsigned long long)seq);
		}
		if (v->ev.time >= 0) {
			if (v->ev.time_ns < mn)
				mn = v->ev.time_ns;
			if (v->ev.time_ns > mx)
				mx = v->ev.time_ns;
		} else
			all = 0;
	}
	if (n != s->count)
		problem(v, s->frame_no, off, s->first_seq, "frame holds %llu "
		    "events, its seal says %llu", (unsigned long long)n,
		    (unsigned long long)s->count);
	if (mn != s->min_time || mx != s->max_time ||
	    (all ? EVLOG_FLAG_ALL_TIMED : 0) != s->flags)
		problem(v, s->frame_no, off, s->first_seq,
		    "seal's time range does not match the events");
}

static void
verify_frame(struct verify *v, struct evlog_reader *r)
{
	const struct evlog_seal *s = &r->seal;
	uint64_t jno, joff, off = s->data_off - EVLOG_LEAD_SIZE;
	int64_t pmin, pmax;

	verify_events(v, r);
	if (expect_jump(v, s->frame_no, s->off, &jno, &joff) &&
	    (jno != s->jump_no || joff != s->jump_off))
		problem(v, s->frame_no, off, s->first_seq,
		    "wrong jump pointer");
	remember(v, s->frame_no, s->jump_no, s->off);
	pmin = v->pmin < s->min_time ? v->pmin : s->min_time;
	pmax = v->pmax > s->max_time ? v->pmax : s->max_time;
	if (v->prefix_known && (pmin != s->prefix_min_time ||
	    pmax != s->prefix_max_time || v->traw + s->raw_len !=
	    s->total_raw))
		problem(v, s->frame_no, off, s->first_seq,
		    "seal's running totals are wrong");
	/* Go on from the seal's values, so one error is reported once. */
	v->pmin = s->prefix_min_time;
	v->pmax = s->prefix_max_time;
	v->traw = s->total_raw;
	v->prefix_known = 1;
	v->st->frames++;
	v->st->events += s->count;
	v->st->last_seq = s->first_seq + s->count - 1;
	v->st->raw_bytes = s->total_raw;
	memcpy(v->st->head, s->chain, EVLOG_HASH_LEN);
}

int
evlog_verify(const char *path, struct evlog_verify_stats *st,
    void (*report)(void *, uint64_t, uint64_t, uint64_t, const char *),
    void *arg, struct tend_err *err)
{
	struct evlog_reader r;
	struct verify v;
	int rc;

	memset(st, 0, sizeof(*st));
	memset(&v, 0, sizeof(v));
	v.st = st;
	v.report = report;
	v.arg = arg;
	v.pmin = INT64_MAX;
	v.pmax = INT64_MIN;
	v.prefix_known = 1;
	if (evlog_reader_open(&r, path, err) < 0)
		return -1;
	r.check_hash = 1;
	event_init(&v.ev);
	for (;;) {
		struct tend_err e = { 0 };
		uint64_t fno = r.frame_no, off = r.pos;
		uint64_t seq = r.seq_known ? r.next_seq : 0;

		rc = evlog_reader_next(&r, NULL, &e);
		if (rc > 0) {
			verify_frame(&v, &r);
			continue;
		}
		if (rc == 0)
			break;
		if (e.code == TEND_EXIT_SYSTEM) {
			*err = e;
			goto fail;
		}
		problem(&v, fno, off, seq, "%s", e.msg);
		if (r.broken) {
			problem(&v, fno, off, seq, "the %llu bytes from here "
			    "on were not checked",
			    (unsigned long long)(r.size - off));
			break;
		}
		/* The reader is past it; a sound seal still counts. */
		if (r.chain_known) {
			remember(&v, fno, r.seal.jump_no, r.seal.off);
			v.pmin = r.seal.prefix_min_time;
			v.pmax = r.seal.prefix_max_time;
			v.traw = r.seal.total_raw;
		} else {
			remember(&v, fno, UNKNOWN, UNKNOWN);
			v.prefix_known = 0;
		}
	}
	if (r.torn_len > 0) {
		st->torn_off = r.torn_off;
		st->torn_len = r.torn_len;
		problem(&v, r.frame_no, r.torn_off,
		    r.seq_known ? r.next_seq : 0,
		    "torn tail: %llu bytes of an incomplete frame",
		    (unsigned long long)r.torn_len);
	}
	st->bytes = r.size;
	rc = 0;
	goto out;
fail:
	rc = -1;
out:
	event_release(&v.ev);
	free(v.jump);
	free(v.soff);
	evlog_reader_close(&r);
	return rc;
}
