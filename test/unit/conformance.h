/*
 * conformance.h: the unit tests' reading of ../shared/conformance (or
 * $TEND_CONFORMANCE).  Header-only, for the test programs; include it
 * after <cmocka.h>.
 */
#ifndef TEND_TEST_CONFORMANCE_H
#define TEND_TEST_CONFORMANCE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static inline const char *
conformance_dir(void)
{
	const char *dir = getenv("TEND_CONFORMANCE");

	return dir != NULL && *dir != '\0' ? dir : "../shared/conformance";
}

/* Appends the file at path to b; fails the test if it cannot. */
static inline void
read_path(const char *path, struct buf *b)
{
	char chunk[8192];
	FILE *fp;
	size_t n;

	if ((fp = fopen(path, "rb")) == NULL)
		fail_msg("cannot open '%s': %s (set TEND_CONFORMANCE)", path,
		    strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_add(b, chunk, n);
	assert_false(ferror(fp));
	fclose(fp);
}

/* Appends conformance file rel (below the conformance folder) to b. */
static inline void
read_conf(const char *rel, struct buf *b)
{
	char path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", conformance_dir(),
	    rel) >= sizeof(path))
		fail_msg("path too long: %s", rel);
	read_path(path, b);
}

#endif
