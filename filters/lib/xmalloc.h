/*
 * xmalloc.h: allocation wrappers that print "out of memory" and exit 4
 * (a system failure) instead of returning NULL.  The only lib functions
 * allowed to exit.
 */
#ifndef TEND_XMALLOC_H
#define TEND_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);

#endif
