/*
 * rfc3339.h: RFC 3339 timestamps, the only time format in tend events.
 * Times are kept as nanoseconds since the Unix epoch (int64: until 2262).
 * Output is always UTC with a "Z"; input may carry any offset.
 */
#ifndef TEND_RFC3339_H
#define TEND_RFC3339_H

#include <stddef.h>
#include <stdint.h>

/* Parses s[0..len): 0 and *ns set, or -1 if it is not RFC 3339. */
int	rfc3339_parse(const char *s, size_t len, int64_t *ns);

/* Writes "YYYY-MM-DDTHH:MM:SS[.fffffffff]Z" (fraction only if non-zero,
   trailing zeros trimmed) into out (at least 40 bytes); returns length. */
size_t	rfc3339_format(int64_t ns, char *out, size_t outlen);

/*
 * The clock for a run: --now if given (the program passes it), else
 * $TEND_NOW, else the system clock.  Returns 0, or -1 if the given value
 * is not RFC 3339 (then *ns is untouched).
 */
int	rfc3339_now(const char *given, int64_t *ns);

#endif
