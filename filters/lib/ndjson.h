/*
 * ndjson.h: newline-delimited JSON in and out.
 *
 * The reader hands out lines (without the newline) with their number, from
 * an fd, through one buffer: no copy per line, no line longer than
 * max_line.  A longer line is an error (TEND_EXIT_INPUT) and the reader
 * skips it, so --keep-going can go on with the next line.  A final line
 * without a newline is still a line.  It does not parse JSON: see json.h.
 *
 * The writer buffers output to an fd.  It is flushed when full, on
 * ndjson_writer_flush, and, when the output is not a regular file, before
 * the paired reader blocks for input, so downstream stages see events
 * promptly without a write per event.  A writer may instead name an
 * on_idle hook, which the reader calls in place of that flush (tend's
 * frame uses it to write a log frame first).  A write to a closed pipe (EPIPE)
 * sets `closed` and is not reported as an error: the caller stops and
 * exits as a filter does when its reader goes away (see cli.h).
 */
#ifndef TEND_NDJSON_H
#define TEND_NDJSON_H

#include <stddef.h>

#include "tenderr.h"

#define NDJSON_MAX_LINE_DEFAULT (16u << 20)

struct ndjson_writer {
	int	 fd;
	char	*buf;
	size_t	 len;
	size_t	 cap;
	int	 prompt;	/* flush before the reader blocks */
	int	 closed;	/* the reader went away (EPIPE) */
	int	 failed;	/* another write error; see err */
	struct tend_err err;
	void	(*on_idle)(void *);	/* instead of the prompt flush */
	void	*idle_ctx;
};

struct ndjson_reader {
	int	 fd;
	const char *name;	/* for messages: a path or "<stdin>" */
	char	*buf;
	size_t	 cap;
	size_t	 start;		/* first byte not yet handed out */
	size_t	 end;		/* bytes in buf */
	size_t	 lineno;	/* number of the line last returned */
	size_t	 max_line;
	int	 eof;
	/* Flushed (or its on_idle called) when a read would block. */
	struct ndjson_writer *flush_before_read;
};

/* Reader on fd (not closed by release); name is kept, not copied. */
void	ndjson_reader_init(struct ndjson_reader *, int fd, const char *name);
void	ndjson_reader_release(struct ndjson_reader *);

/*
 * Next line: 1 with *line and *len set (valid until the next call; the byte
 * after the line is writable and set to NUL), 0 at end of input, -1 with
 * err filled (too long: TEND_EXIT_INPUT, skipped; read error:
 * TEND_EXIT_SYSTEM).  r->lineno is the line's number either way.
 */
int	ndjson_reader_next(struct ndjson_reader *, char **line, size_t *len,
	    struct tend_err *);

/* Writer on fd; prompt is chosen from fstat (not a regular file). */
void	ndjson_writer_init(struct ndjson_writer *, int fd);
void	ndjson_writer_release(struct ndjson_writer *);
/* Appends s[0..len) and a newline.  0, or -1 when closed or failed. */
int	ndjson_writer_line(struct ndjson_writer *, const char *s, size_t len);
/* Appends raw bytes (no newline). */
int	ndjson_writer_raw(struct ndjson_writer *, const char *s, size_t len);
int	ndjson_writer_flush(struct ndjson_writer *);

#endif
