/*
 * tenderr.h: exit statuses (SPEC section 7) and the error value lib
 * functions fill instead of printing.
 */
#ifndef TEND_TENDERR_H
#define TEND_TENDERR_H

#include <stddef.h>

enum {
	TEND_EXIT_OK = 0,
	TEND_EXIT_NO = 1,	/* a "no" answer: damage found, drift found */
	TEND_EXIT_USAGE = 2,
	TEND_EXIT_INPUT = 3,	/* bad data, policy or skill; retry won't help */
	TEND_EXIT_SYSTEM = 4,	/* I/O, system, network; retry may help */
};

struct tend_err {
	int	 code;		/* one of TEND_EXIT_*; 0 when no error */
	size_t	 offset;	/* byte offset in the input, when it applies */
	char	 msg[512];
};

/* Sets code and a printf-style message; always returns -1. */
int	 tend_err_set(struct tend_err *, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* As tend_err_set, appending ": strerror(errno)". */
int	 tend_err_sys(struct tend_err *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
