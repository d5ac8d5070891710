/*
 * compat.h: first include of every tend source file.  Sets the feature
 * macros, pulls in libbsd's overlay (strlcpy, reallocarray, err, strtonum,
 * getprogname) and bans the functions we never want to see.
 */
#ifndef TEND_COMPAT_H
#define TEND_COMPAT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <err.h>

#ifndef LIBBSD_OVERLAY
#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <bsd/err.h>
#endif

#define BUG(msg) do { \
	fprintf(stderr, "BUG: %s:%d: %s\n", __FILE__, __LINE__, (msg)); \
	abort(); \
} while (0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#include "banned.h"

#endif
