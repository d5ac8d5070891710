#include "compat.h"

#include <sys/stat.h>
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "ndjson.h"
#include "xmalloc.h"

#define READ_CHUNK	(256u << 10)
#define WRITE_BUF	(256u << 10)

void
ndjson_reader_init(struct ndjson_reader *r, int fd, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->name = name;
	r->max_line = NDJSON_MAX_LINE_DEFAULT;
}

void
ndjson_reader_release(struct ndjson_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = r->start = r->end = 0;
}

/* Whether a read of fd would return at once (data, EOF or error). */
static int
input_ready(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) != 0;
}

/* Reads more bytes after r->end; 1 read, 0 eof, -1 error. */
static int
fill(struct ndjson_reader *r, struct tend_err *err)
{
	ssize_t n;

	if (r->start > 0 && (r->end == r->start || r->end + READ_CHUNK > r->cap)) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end + READ_CHUNK + 1 > r->cap) {
		size_t want = r->cap ? r->cap : READ_CHUNK + 1;

		while (want < r->end + READ_CHUNK + 1)
			want *= 2;
		r->buf = xreallocarray(r->buf, want, 1);
		r->cap = want;
	}
	if (r->flush_before_read != NULL && !input_ready(r->fd)) {
		struct ndjson_writer *w = r->flush_before_read;

		if (w->on_idle != NULL)
			w->on_idle(w->idle_ctx);
		else if (w->prompt)
			ndjson_writer_flush(w);
	}
	do
		n = read(r->fd, r->buf + r->end, r->cap - r->end - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return tend_err_sys(err, "%s: read error", r->name);
	if (n == 0) {
		r->eof = 1;
		return 0;
	}
	r->end += (size_t)n;
	return 1;
}

int
ndjson_reader_next(struct ndjson_reader *r, char **line, size_t *len,
    struct tend_err *err)
{
	size_t scanned = 0;
	char *nl;
	int skipping = 0, rc;

	for (;;) {
		size_t avail = r->end - r->start;

		nl = avail > scanned ?
		    memchr(r->buf + r->start + scanned, '\n', avail - scanned) :
		    NULL;
		if (nl != NULL) {
			size_t n = (size_t)(nl - (r->buf + r->start));

			if (skipping) {
				r->start += n + 1;
				return tend_err_set(err, TEND_EXIT_INPUT,
				    "line longer than %zu bytes", r->max_line);
			}
			r->lineno++;
			if (n > r->max_line) {
				r->start += n + 1;
				return tend_err_set(err, TEND_EXIT_INPUT,
				    "line longer than %zu bytes", r->max_line);
			}
			*line = r->buf + r->start;
			*len = n;
			*nl = '\0';
			r->start += n + 1;
			return 1;
		}
		scanned = avail;
		if (avail > r->max_line) {
			/* Drop what we have of the long line and keep reading
			   until its end, holding no more than a chunk. */
			if (!skipping)
				r->lineno++;
			skipping = 1;
			r->start = r->end;
			scanned = 0;
		}
		if (r->eof)
			rc = 0;
		else if ((rc = fill(r, err)) < 0)
			return -1;
		if (rc == 0) {
			avail = r->end - r->start;
			if (skipping) {
				r->start = r->end;
				return tend_err_set(err, TEND_EXIT_INPUT,
				    "line longer than %zu bytes", r->max_line);
			}
			if (avail == 0)
				return 0;
			r->lineno++;
			*line = r->buf + r->start;
			*len = avail;
			r->buf[r->end] = '\0';
			r->start = r->end;
			return 1;
		}
	}
}

void
ndjson_writer_init(struct ndjson_writer *w, int fd)
{
	struct stat st;

	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->prompt = fstat(fd, &st) < 0 || !S_ISREG(st.st_mode);
}

void
ndjson_writer_release(struct ndjson_writer *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

int
ndjson_writer_flush(struct ndjson_writer *w)
{
	size_t off = 0;
	ssize_t n;

	if (w->closed || w->failed)
		return -1;
	while (off < w->len) {
		n = write(w->fd, w->buf + off, w->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno == EPIPE)
				w->closed = 1;
			else {
				w->failed = 1;
				tend_err_sys(&w->err, "write error");
			}
			w->len = 0;
			return -1;
		}
		off += (size_t)n;
	}
	w->len = 0;
	return 0;
}

/*
 * The buffer is full: writes its whole lines and keeps the partial last
 * one, so that a process that dies now (out of memory: xmalloc exits)
 * leaves no half line behind.  A line longer than the buffer grows it.
 */
static int
flush_full(struct ndjson_writer *w)
{
	const char *nl = memrchr(w->buf, '\n', w->len);
	size_t whole, keep;

	if (nl == NULL) {
		w->buf = xreallocarray(w->buf, w->cap, 2);
		w->cap *= 2;
		return 0;
	}
	whole = (size_t)(nl + 1 - w->buf);
	keep = w->len - whole;
	w->len = whole;
	if (ndjson_writer_flush(w) < 0)
		return -1;
	memmove(w->buf, w->buf + whole, keep);
	w->len = keep;
	return 0;
}

int
ndjson_writer_raw(struct ndjson_writer *w, const char *s, size_t len)
{
	if (w->closed || w->failed)
		return -1;
	if (w->cap == 0) {
		w->cap = WRITE_BUF;
		w->buf = xmalloc(w->cap);
	}
	while (len > 0) {
		size_t room = w->cap - w->len, n = len < room ? len : room;

		memcpy(w->buf + w->len, s, n);
		w->len += n;
		s += n;
		len -= n;
		if (w->len == w->cap && flush_full(w) < 0)
			return -1;
	}
	return 0;
}

int
ndjson_writer_line(struct ndjson_writer *w, const char *s, size_t len)
{
	if (ndjson_writer_raw(w, s, len) < 0)
		return -1;
	return ndjson_writer_raw(w, "\n", 1);
}
