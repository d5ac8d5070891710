/*
 * buf.h: a growable byte buffer, always NUL-terminated after len.
 * buf_init does not allocate; buf_release frees; buf_reset keeps capacity.
 * Growth goes through xreallocarray, so these never fail.
 */
#ifndef TEND_BUF_H
#define TEND_BUF_H

#include <stddef.h>

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

#define BUF_INIT { NULL, 0, 0 }

void	 buf_init(struct buf *);
void	 buf_release(struct buf *);
void	 buf_reset(struct buf *);
/* Makes room for n more bytes (plus the terminating NUL). */
void	 buf_grow(struct buf *, size_t n);
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_addc(struct buf *, char);
void	 buf_adds(struct buf *, const char *);
void	 buf_addf(struct buf *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included (s is UTF-8). */
void	 buf_add_json_str(struct buf *, const char *s, size_t len);
/* Appends lowercase hex of n bytes. */
void	 buf_add_hex(struct buf *, const unsigned char *, size_t n);

#endif
