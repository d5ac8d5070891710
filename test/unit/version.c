/* Unit tests of version.c: dpkg and SemVer order, OSV ranges. */
#include "compat.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "version.h"
#include "xmalloc.h"

static const char *
conformance(void)
{
	const char *d = getenv("TEND_CONFORMANCE");

	return d != NULL ? d : "../shared/conformance";
}

static int
sign(int x)
{
	return (x > 0) - (x < 0);
}

/* Every case of osv-scalibr's files, both ways round. */
static void
check_dpkg_file(const char *name, int min_cases)
{
	char path[1024], line[1024], a[512], b[512], op[4];
	FILE *f;
	int n = 0, bad = 0;

	snprintf(path, sizeof(path), "%s/dpkg-version/%s", conformance(), name);
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		int want;

		if (line[0] == '\n' || strncmp(line, "# ", 2) == 0 ||
		    strncmp(line, "// ", 3) == 0)
			continue;
		assert_int_equal(sscanf(line, "%511s %3s %511s", a, op, b), 3);
		want = op[0] == '<' ? -1 : op[0] == '>' ? 1 : 0;
		if (sign(version_cmp_dpkg(a, b)) != want ||
		    sign(version_cmp_dpkg(b, a)) != -want) {
			print_message("# wrong: %s %s %s\n", a, op, b);
			bad++;
		}
		n++;
	}
	fclose(f);
	print_message("# %s: %d cases\n", name, n);
	assert_true(n >= min_cases);
	assert_int_equal(bad, 0);
}

static void
test_dpkg_handwritten(void **state)
{
	(void)state;
	check_dpkg_file("debian-versions.txt", 30);
}

static void
test_dpkg_generated(void **state)
{
	(void)state;
	check_dpkg_file("debian-versions-generated.txt", 14442);
}

static void
test_semver(void **state)
{
	/* SemVer 2.0.0 section 11's own example chain, in order. */
	static const char *chain[] = {
		"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
		"1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",
		"1.0.0", "1.0.1", "1.1.0", "2.0.0", "v10.0.0",
	};
	size_t i;

	(void)state;
	for (i = 0; i + 1 < ARRAY_SIZE(chain); i++) {
		if (version_cmp_semver(chain[i], chain[i + 1]) >= 0 ||
		    version_cmp_semver(chain[i + 1], chain[i]) <= 0)
			fail_msg("%s < %s", chain[i], chain[i + 1]);
	}
	assert_int_equal(version_cmp_semver("1.0.0+build.1", "1.0.0"), 0);
	assert_int_equal(version_cmp_semver("4.17.21", "4.17.21"), 0);
}

/* Whether package version v is affected by the named advisory. */
static int
affected(const char *file, const char *pkg, const char *v)
{
	char path[1024];
	struct json_doc d;
	struct tend_err err;
	struct buf eco = BUF_INIT;
	FILE *f;
	char *s = xmalloc(1 << 20);
	size_t len;
	int64_t aff, e, p;
	uint32_t n;
	int r = 0;

	snprintf(path, sizeof(path), "%s/osv/advisories/%s", conformance(),
	    file);
	assert_non_null(f = fopen(path, "rb"));
	len = fread(s, 1, 1 << 20, f);
	fclose(f);
	json_doc_init(&d);
	assert_int_equal(json_parse(&d, s, len, &err), 0);
	aff = json_obj_get(&d, 0, "affected");
	for (n = 0; (e = json_arr_at(&d, (uint32_t)aff, n)) >= 0; n++) {
		p = json_obj_get(&d, (uint32_t)e, "package");
		if (!json_str_eq(&d, (uint32_t)json_obj_get(&d, (uint32_t)p,
		    "name"), pkg))
			continue;
		buf_reset(&eco);
		json_str_decode(&d, (uint32_t)json_obj_get(&d, (uint32_t)p,
		    "ecosystem"), &eco);
		r = version_osv_affected(&d, (uint32_t)e, eco.p, v, &err);
		assert_true(r >= 0);
		if (r)
			break;
	}
	buf_release(&eco);
	json_doc_release(&d);
	free(s);
	return r;
}

static void
test_osv_advisories(void **state)
{
	(void)state;
	/* lodash: introduced 0, fixed 4.17.21 */
	assert_true(affected("GHSA-35jh-r3h4-6jhm.json", "lodash", "4.17.20"));
	assert_true(affected("GHSA-35jh-r3h4-6jhm.json", "lodash", "0.1.0"));
	assert_false(affected("GHSA-35jh-r3h4-6jhm.json", "lodash", "4.17.21"));
	assert_false(affected("GHSA-35jh-r3h4-6jhm.json", "lodash", "5.0.0"));
	/* minimist: two ranges, [1.0.0, 1.2.6) and [0, 0.2.4) */
	assert_true(affected("GHSA-xvch-5gv4-984h.json", "minimist", "1.2.5"));
	assert_true(affected("GHSA-xvch-5gv4-984h.json", "minimist", "0.2.3"));
	assert_false(affected("GHSA-xvch-5gv4-984h.json", "minimist", "0.2.4"));
	assert_false(affected("GHSA-xvch-5gv4-984h.json", "minimist", "0.9.0"));
	assert_false(affected("GHSA-xvch-5gv4-984h.json", "minimist", "1.2.6"));
	/* requests: [2.3.0, 2.31.0); 2.4.0 < 2.31.0 numerically */
	assert_true(affected("GHSA-j8r2-6x86-q33q.json", "requests", "2.4.0"));
	assert_false(affected("GHSA-j8r2-6x86-q33q.json", "requests", "2.2.1"));
	assert_false(affected("GHSA-j8r2-6x86-q33q.json", "requests", "2.31.0"));
	/* PYSEC: a GIT range (ignored), an ECOSYSTEM range, a versions list */
	assert_true(affected("PYSEC-2023-74.json", "requests", "2.30.0"));
	assert_false(affected("PYSEC-2023-74.json", "requests", "2.31.0"));
	/* versions list only */
	assert_true(affected("MAL-2024-10238.json", "123bla", "0.0.1"));
	assert_false(affected("MAL-2024-10238.json", "123bla", "0.0.2"));
	/* Debian: dpkg order, +wheezy3 is the fix */
	assert_true(affected("spec-example-DSA-3029-1.json", "nginx",
	    "1.2.1-2.2+wheezy2"));
	assert_true(affected("spec-example-DSA-3029-1.json", "nginx",
	    "1.2.1-2.2"));
	assert_false(affected("spec-example-DSA-3029-1.json", "nginx",
	    "1.2.1-2.2+wheezy3"));
	/* ~ sorts before the end: a backport build precedes the fix */
	assert_true(affected("spec-example-DSA-3029-1.json", "nginx",
	    "1.2.1-2.2+wheezy3~bpo1"));
	assert_true(affected("spec-example-GHSA-r9p9-mrjm-926w.json",
	    "elliptic", "6.5.3"));
	assert_false(affected("spec-example-GHSA-r9p9-mrjm-926w.json",
	    "elliptic", "6.5.4"));
}

static void
test_last_affected(void **state)
{
	static const char s[] = "{\"ranges\":[{\"type\":\"SEMVER\",\"events\":"
	    "[{\"introduced\":\"1.0.0\"},{\"last_affected\":\"1.4.0\"}]}]}";
	struct json_doc d;
	struct tend_err err;

	(void)state;
	json_doc_init(&d);
	assert_int_equal(json_parse(&d, s, sizeof(s) - 1, &err), 0);
	assert_int_equal(version_osv_affected(&d, 0, "npm", "1.4.0", &err), 1);
	assert_int_equal(version_osv_affected(&d, 0, "npm", "1.4.1", &err), 0);
	assert_int_equal(version_osv_affected(&d, 0, "npm", "0.9.0", &err), 0);
	json_doc_release(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dpkg_handwritten),
		cmocka_unit_test(test_dpkg_generated),
		cmocka_unit_test(test_semver),
		cmocka_unit_test(test_osv_advisories),
		cmocka_unit_test(test_last_affected),
	};

	return cmocka_run_group_tests_name("version", tests, NULL, NULL);
}
