/* Unit tests of tokenize.c: keyed tokens, the key file, names, URLs. */
#include "compat.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tokenize.h"

static char dir[] = "/tmp/tend-unit-tokenize.XXXXXX";

/* Writes n bytes to dir/name with mode; returns the path (static). */
static const char *
key_file(const char *name, const void *p, size_t n, mode_t mode)
{
	static char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_token_rfc4231(void **state)
{
	struct tokenizer tk;
	struct tend_err err = { 0 };
	struct buf b = BUF_INIT;
	unsigned char key[20];

	(void)state;
	/* RFC 4231 test case 1: key 20 x 0x0b, "Hi There" */
	memset(key, 0x0b, sizeof(key));
	tokenizer_init(&tk);
	assert_int_equal(tokenizer_has_key(&tk), 0);
	tokenizer_token(&tk, "Hi There", 8, &b);
	assert_string_equal(b.p, "redacted");
	assert_int_equal(tokenizer_load_key(&tk,
	    key_file("k", key, sizeof(key), 0600), &err), 0);
	assert_int_equal(tokenizer_has_key(&tk), 1);
	buf_reset(&b);
	tokenizer_token(&tk, "Hi There", 8, &b);
	assert_string_equal(b.p,
	    "tok:sDRMYdjbOFNcqK_OrwvxK4gdwgDJgz2nJuk3bC4yz_c");
	/* the same again: the keyed state is not consumed */
	buf_reset(&b);
	tokenizer_token(&tk, "Hi There", 8, &b);
	assert_string_equal(b.p,
	    "tok:sDRMYdjbOFNcqK_OrwvxK4gdwgDJgz2nJuk3bC4yz_c");
	tokenizer_release(&tk);
	buf_release(&b);
}

static void
test_key_newline_and_rules(void **state)
{
	struct tokenizer tk;
	struct tend_err err = { 0 };
	struct buf a = BUF_INIT, b = BUF_INIT;
	const char *p;

	(void)state;
	tokenizer_init(&tk);
	/* one final newline is not part of the key */
	assert_int_equal(tokenizer_load_key(&tk, key_file("a",
	    "0123456789abcdef0123\n", 21, 0600), &err), 0);
	tokenizer_token(&tk, "v", 1, &a);
	assert_int_equal(tokenizer_load_key(&tk, key_file("b",
	    "0123456789abcdef0123", 20, 0400), &err), 0);
	tokenizer_token(&tk, "v", 1, &b);
	assert_string_equal(a.p, b.p);
	assert_int_equal(tokenizer_load_key(&tk, key_file("c",
	    "0123456789abcdef0124", 20, 0600), &err), 0);
	buf_reset(&b);
	tokenizer_token(&tk, "v", 1, &b);
	assert_string_not_equal(a.p, b.p);

	p = key_file("open", "0123456789abcdef0123", 20, 0640);
	assert_int_equal(tokenizer_load_key(&tk, p, &err), -1);
	assert_int_equal(err.code, TEND_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "accessible by group or others"));
	p = key_file("short", "0123456789\n", 11, 0600);
	assert_int_equal(tokenizer_load_key(&tk, p, &err), -1);
	assert_int_equal(err.code, TEND_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "shorter than 16 bytes"));
	assert_int_equal(tokenizer_load_key(&tk, "/nonexistent/key", &err),
	    -1);
	assert_int_equal(err.code, TEND_EXIT_SYSTEM);
	assert_int_equal(tokenizer_load_key(&tk, dir, &err), -1);
	assert_int_equal(err.code, TEND_EXIT_USAGE);
	/* a refused key leaves the loaded one */
	buf_reset(&b);
	tokenizer_token(&tk, "v", 1, &b);
	assert_true(strncmp(b.p, "tok:", 4) == 0);
	tokenizer_release(&tk);
	buf_release(&a);
	buf_release(&b);
}

static void
test_names(void **state)
{
	struct tokenizer tk;
	struct tend_err err = { 0 };

	(void)state;
	tokenizer_init(&tk);
	assert_int_equal(tokenizer_set_names(&tk, NULL, &err), 0);
	assert_int_equal(tokenizer_name_is_secret(&tk, "DB_PASSWORD", 11), 1);
	assert_int_equal(tokenizer_name_is_secret(&tk, "api-Key", 7), 1);
	assert_int_equal(tokenizer_name_is_secret(&tk, "GITHUB_TOKEN", 12), 1);
	assert_int_equal(tokenizer_name_is_secret(&tk, "LOG_LEVEL", 9), 0);
	/* only len bytes count */
	assert_int_equal(tokenizer_name_is_secret(&tk, "LOGPASS", 3), 0);
	assert_int_equal(tokenizer_set_names(&tk, "(?i)^aws_", &err), 0);
	assert_int_equal(tokenizer_name_is_secret(&tk, "AWS_REGION", 10), 1);
	assert_int_equal(tokenizer_name_is_secret(&tk, "MY_AWS_X", 8), 0);
	assert_int_equal(tokenizer_set_names(&tk, "(ab", &err), -1);
	assert_int_equal(err.code, TEND_EXIT_USAGE);
	/* the old pattern stays */
	assert_int_equal(tokenizer_name_is_secret(&tk, "aws_x", 5), 1);
	tokenizer_release(&tk);
}

static void
test_urls(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "postgres://app:s3cret@db:5432/x",
		    "postgres://app:redacted@db:5432/x" },
		{ "redis://:pw@cache:6379", "redis://:redacted@cache:6379" },
		{ "https://bob@example.com/", NULL },
		{ "https://example.com:8443/a@b", NULL },
		{ "see https://u:p@h1/ and ftp://v:q@h2",
		    "see https://u:redacted@h1/ and ftp://v:redacted@h2" },
		{ "u=mysql://root:p@ss@db/x", "u=mysql://root:redacted@db/x" },
		{ "a://b:c", NULL },
		{ "://:@", NULL },
		{ "x://u:@h", NULL },
		{ "DSN=\"pg://u:pw@h\" next",
		    "DSN=\"pg://u:redacted@h\" next" },
		{ "", NULL },
	};
	struct tokenizer tk;
	struct buf b = BUF_INIT;
	size_t i, n, len;

	(void)state;
	tokenizer_init(&tk);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		len = strlen(cases[i].in);
		buf_reset(&b);
		n = tokenizer_urls(&tk, cases[i].in, len, &b);
		if (cases[i].out == NULL) {
			assert_int_equal(n, 0);
			assert_string_equal(b.p != NULL ? b.p : "",
			    cases[i].in);
		} else {
			assert_true(n > 0);
			assert_string_equal(b.p, cases[i].out);
		}
	}
	tokenizer_release(&tk);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_rfc4231),
		cmocka_unit_test(test_key_newline_and_rules),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_urls),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
