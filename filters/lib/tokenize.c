#include "compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <sodium.h>

/* Oniguruma's own regex_t must not meet glibc's. */
#define ONIG_ESCAPE_REGEX_T_COLLISION
#include <oniguruma.h>

#include "tokenize.h"

/* Kept in sodium_malloc'd memory: the keyed HMAC state is as good as the
   key, so the key bytes themselves are not kept at all. */
struct tokenizer_secret {
	crypto_auth_hmacsha256_state st;
};

void
tokenizer_init(struct tokenizer *tk)
{
	memset(tk, 0, sizeof(*tk));
}

void
tokenizer_release(struct tokenizer *tk)
{
	if (tk->sec != NULL)
		sodium_free(tk->sec);
	if (tk->names != NULL)
		onig_free(tk->names);
	tokenizer_init(tk);
}

int
tokenizer_has_key(const struct tokenizer *tk)
{
	return tk->sec != NULL;
}

/* Reads at most max bytes of fd into p; -1 with errno on error. */
static ssize_t
read_all(int fd, unsigned char *p, size_t max)
{
	size_t got = 0;
	ssize_t n;

	while (got < max) {
		n = read(fd, p + got, max - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int
tokenizer_load_key(struct tokenizer *tk, const char *path,
    struct tend_err *err)
{
	struct stat sb;
	unsigned char *key;
	ssize_t n;
	size_t len;
	int fd, rc = -1;

	if (sodium_init() < 0)
		return tend_err_set(err, TEND_EXIT_SYSTEM,
		    "cannot initialise libsodium");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return tend_err_sys(err, "cannot open token key '%s'", path);
	if (fstat(fd, &sb) < 0) {
		tend_err_sys(err, "cannot stat token key '%s'", path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return tend_err_set(err, TEND_EXIT_USAGE,
		    "token key '%s' is not a regular file", path);
	}
	if ((sb.st_mode & 077) != 0) {
		close(fd);
		return tend_err_set(err, TEND_EXIT_USAGE,
		    "token key '%s' is accessible by group or others "
		    "(mode %04o): chmod 600 it", path,
		    (unsigned)(sb.st_mode & 07777));
	}
	if (sb.st_uid != geteuid() && sb.st_uid != 0) {
		close(fd);
		return tend_err_set(err, TEND_EXIT_USAGE,
		    "token key '%s' is owned by another user (uid %lu)", path,
		    (unsigned long)sb.st_uid);
	}
	if ((key = sodium_malloc(TOKEN_KEY_MAX + 1)) == NULL) {
		close(fd);
		return tend_err_set(err, TEND_EXIT_SYSTEM, "out of memory");
	}
	n = read_all(fd, key, TOKEN_KEY_MAX + 1);
	if (n < 0) {
		tend_err_sys(err, "cannot read token key '%s'", path);
		goto out;
	}
	len = (size_t)n;
	if (len > TOKEN_KEY_MAX) {
		tend_err_set(err, TEND_EXIT_USAGE, "token key '%s' is longer "
		    "than %d bytes", path, TOKEN_KEY_MAX);
		goto out;
	}
	if (len > 0 && key[len - 1] == '\n')
		len--;
	if (len > 0 && key[len - 1] == '\r')
		len--;
	if (len < TOKEN_KEY_MIN) {
		tend_err_set(err, TEND_EXIT_USAGE, "token key '%s' is shorter "
		    "than %d bytes", path, TOKEN_KEY_MIN);
		goto out;
	}
	if (tk->sec == NULL &&
	    (tk->sec = sodium_malloc(sizeof(*tk->sec))) == NULL) {
		tend_err_set(err, TEND_EXIT_SYSTEM, "out of memory");
		goto out;
	}
	crypto_auth_hmacsha256_init(&tk->sec->st, key, len);
	rc = 0;
out:
	sodium_free(key);	/* wipes */
	close(fd);
	return rc;
}

void
tokenizer_token(const struct tokenizer *tk, const void *clear, size_t len,
    struct buf *out)
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char b64[sodium_base64_ENCODED_LEN(crypto_auth_hmacsha256_BYTES,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

	if (tk->sec == NULL) {
		buf_adds(out, TOKEN_REDACTED);
		return;
	}
	memcpy(&st, &tk->sec->st, sizeof(st));
	crypto_auth_hmacsha256_update(&st, clear, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof(st));
	sodium_bin2base64(b64, sizeof(b64), mac, sizeof(mac),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	buf_adds(out, TOKEN_PREFIX);
	buf_adds(out, b64);
}

int
tokenizer_set_names(struct tokenizer *tk, const char *ere,
    struct tend_err *err)
{
	static OnigEncoding encs[] = { ONIG_ENCODING_UTF8 };
	OnigErrorInfo einfo;
	OnigRegex re;
	UChar msg[ONIG_MAX_ERROR_MESSAGE_LEN];
	int rc;

	if (ere == NULL)
		ere = TOKENIZE_NAMES_DEFAULT;
	if (strncmp(ere, "(?i)", 4) == 0)
		ere += 4;
	onig_initialize(encs, 1);
	rc = onig_new(&re, (const UChar *)ere, (const UChar *)ere + strlen(ere),
	    ONIG_OPTION_IGNORECASE, ONIG_ENCODING_UTF8,
	    ONIG_SYNTAX_POSIX_EXTENDED, &einfo);
	if (rc != ONIG_NORMAL) {
		onig_error_code_to_str(msg, rc, &einfo);
		return tend_err_set(err, TEND_EXIT_USAGE,
		    "bad secret-name pattern '%s': %s", ere, (char *)msg);
	}
	if (tk->names != NULL)
		onig_free(tk->names);
	tk->names = re;
	return 0;
}

int
tokenizer_name_is_secret(const struct tokenizer *tk, const char *name,
    size_t len)
{
	const UChar *s = (const UChar *)name;

	if (tk->names == NULL)
		BUG("tokenizer_name_is_secret without a pattern");
	return onig_search(tk->names, s, s + len, s, s + len, NULL,
	    ONIG_OPTION_NONE) >= 0;
}

static int
ends_authority(unsigned char c)
{
	switch (c) {
	case '/': case '?': case '#': case '"': case '\'': case '<':
	case '>': case '\\': case ' ': case 0x7f:
		return 1;
	default:
		return c < 0x20;
	}
}

int
tokenize_url_find(const char *s, size_t len, size_t from, size_t *off,
    size_t *n)
{
	const char *p, *colon;
	size_t a, i, at;

	while (from + 3 <= len &&
	    (p = memmem(s + from, len - from, "://", 3)) != NULL) {
		a = (size_t)(p - s) + 3;
		at = 0;
		for (i = a; i < len && !ends_authority((unsigned char)s[i]);
		    i++)
			if (s[i] == '@')
				at = i;
		if (at > a && (colon = memchr(s + a, ':', at - a)) != NULL &&
		    (size_t)(colon - s) + 1 < at) {
			*off = (size_t)(colon - s) + 1;
			*n = at - *off;
			return 1;
		}
		from = i > a ? i : a;
	}
	return 0;
}

size_t
tokenizer_urls(const struct tokenizer *tk, const char *s, size_t len,
    struct buf *out)
{
	size_t from = 0, off, n, count = 0;

	while (tokenize_url_find(s, len, from, &off, &n)) {
		buf_add(out, s + from, off - from);
		tokenizer_token(tk, s + off, n, out);
		from = off + n;
		count++;
	}
	buf_add(out, s + from, len - from);
	return count;
}
