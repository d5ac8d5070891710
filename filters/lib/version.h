/*
 * version.h: version ordering for vulnerability matching.
 *
 * version_cmp_dpkg orders Debian versions ([epoch:]upstream[-revision])
 * as dpkg --compare-versions does (Debian Policy 5.6.12): `~` sorts
 * before anything, even the end; letters before other characters; digit
 * runs numerically.  version_cmp_semver orders SemVer 2.0.0 (build
 * metadata ignored; a leading "v" accepted).
 *
 * version_osv_affected evaluates an OSV `affected` entry's ranges and
 * versions list for one package version (OSV schema, "Evaluation"):
 * ECOSYSTEM ranges use the ecosystem's order (Debian* -> dpkg; npm and
 * others -> SemVer), SEMVER ranges SemVer; GIT ranges cannot be decided
 * from a version and are ignored.  It does not check the package name or
 * ecosystem: the caller matches those.
 */
#ifndef TEND_VERSION_H
#define TEND_VERSION_H

#include <stdint.h>

#include "json.h"
#include "tenderr.h"

/* <0, 0, >0 as strcmp.  Never fails: any string orders somewhere. */
int	version_cmp_dpkg(const char *a, const char *b);
int	version_cmp_semver(const char *a, const char *b);

/* The comparator OSV ECOSYSTEM ranges use for ecosystem eco. */
int	(*version_cmp_for(const char *eco))(const char *, const char *);

/*
 * 1 if version v is affected by the OSV `affected` object at token i of
 * d (for ecosystem eco), 0 if not, -1 with err if the entry is malformed.
 */
int	version_osv_affected(const struct json_doc *d, uint32_t i,
	    const char *eco, const char *v, struct tend_err *err);

#endif
