#include "compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <sodium.h>

#include "base64.h"
#include "json.h"
#include "sign.h"

#define SKEY_PREFIX "PRIVATE+KEY+"
#define KEYFILE_MAX 1024

/* Unicode White_Space code points above ASCII. */
static int
is_unicode_space(uint32_t c)
{
	return c == 0x85 || c == 0xa0 || c == 0x1680 ||
	    (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
	    c == 0x202f || c == 0x205f || c == 0x3000;
}

int
sign_name_check(const char *name, struct tend_err *err)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t len = strlen(name), i, bad;

	if (len == 0)
		return tend_err_set(err, TEND_EXIT_INPUT, "empty key name");
	if (len >= SIGN_NAME_MAX)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "key name longer than %d bytes", SIGN_NAME_MAX - 1);
	if (utf8_valid(s, len, &bad) < 0)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "key name is not valid UTF-8");
	for (i = 0; i < len; i++) {
		uint32_t c = s[i];

		if (c <= 0x20 || c == 0x7f || c == '+')
			return tend_err_set(err, TEND_EXIT_INPUT,
			    "key name holds a space, control character or '+'");
		if (c < 0x80)
			continue;
		/* valid UTF-8: decode to check for Unicode spaces */
		if (c < 0xe0) {
			c = (c & 0x1f) << 6 | (s[i + 1] & 0x3f);
			i += 1;
		} else if (c < 0xf0) {
			c = (c & 0x0f) << 12 | (s[i + 1] & 0x3f) << 6 |
			    (s[i + 2] & 0x3f);
			i += 2;
		} else {
			c = (c & 0x07) << 18 | (s[i + 1] & 0x3f) << 12 |
			    (s[i + 2] & 0x3f) << 6 | (s[i + 3] & 0x3f);
			i += 3;
		}
		if (is_unicode_space(c))
			return tend_err_set(err, TEND_EXIT_INPUT,
			    "key name holds a Unicode space");
	}
	return 0;
}

uint32_t
sign_key_id(const char *name, const unsigned char pub[SIGN_PUB_LEN])
{
	crypto_hash_sha256_state st;
	unsigned char md[crypto_hash_sha256_BYTES];
	static const unsigned char sep[2] = { '\n', SIGN_TYPE_ED25519 };

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)name,
	    strlen(name));
	crypto_hash_sha256_update(&st, sep, sizeof(sep));
	crypto_hash_sha256_update(&st, pub, SIGN_PUB_LEN);
	crypto_hash_sha256_final(&st, md);
	return (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 |
	    (uint32_t)md[2] << 8 | md[3];
}

static int
set_name(struct sign_key *k, const char *name, size_t len,
    struct tend_err *err)
{
	if (len >= sizeof(k->name))
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "key name longer than %d bytes", SIGN_NAME_MAX - 1);
	memcpy(k->name, name, len);
	k->name[len] = '\0';
	if (memchr(name, '\0', len) != NULL)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "key name holds a NUL byte");
	return sign_name_check(k->name, err);
}

int
sign_key_from_seed(struct sign_key *k, const char *name,
    const unsigned char seed[SIGN_SEED_LEN], struct tend_err *err)
{
	memset(k, 0, sizeof(*k));
	if (set_name(k, name, strlen(name), err) < 0)
		return -1;
	crypto_sign_seed_keypair(k->pub, k->sk, seed);
	k->id = sign_key_id(k->name, k->pub);
	k->has_secret = 1;
	return 0;
}

int
sign_keygen(struct sign_key *k, const char *name, struct tend_err *err)
{
	unsigned char seed[SIGN_SEED_LEN];
	int rc;

	randombytes_buf(seed, sizeof(seed));
	rc = sign_key_from_seed(k, name, seed, err);
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

void
sign_key_wipe(struct sign_key *k)
{
	sodium_memzero(k, sizeof(*k));
}

/* Appends "NAME+HHHHHHHH+BASE64(0x01 || bytes)". */
static void
key_text(struct buf *out, const struct sign_key *k, const unsigned char *b)
{
	unsigned char kb[1 + 32];

	kb[0] = SIGN_TYPE_ED25519;
	memcpy(kb + 1, b, 32);
	buf_addf(out, "%s+%08x+", k->name, (unsigned)k->id);
	base64_encode(out, kb, sizeof(kb), BASE64_STD);
	sodium_memzero(kb, sizeof(kb));
}

void
sign_vkey_format(const struct sign_key *k, struct buf *out)
{
	key_text(out, k, k->pub);
}

/*
 * Splits "NAME+HHHHHHHH+BASE64" into the key's name, the id it claims and
 * its 32 key bytes.  Names hold no '+', so the first two split it.
 */
static int
key_fields(struct sign_key *k, const char *s, size_t len, uint32_t *id,
    unsigned char bytes[32], const char *what, struct tend_err *err)
{
	const char *p1, *p2, *end = s + len;
	unsigned char kb[1 + 32];
	char hex[9];
	size_t i;

	if ((p1 = memchr(s, '+', len)) == NULL ||
	    (p2 = memchr(p1 + 1, '+', (size_t)(end - p1 - 1))) == NULL)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "not a %s: expected NAME+ID+KEY", what);
	if (set_name(k, s, (size_t)(p1 - s), err) < 0)
		return -1;
	if (p2 - p1 - 1 != 8)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "not a %s: the key id is not 8 hex digits", what);
	for (i = 0; i < 8; i++) {
		if (!((p1[1 + i] >= '0' && p1[1 + i] <= '9') ||
		    (p1[1 + i] >= 'a' && p1[1 + i] <= 'f') ||
		    (p1[1 + i] >= 'A' && p1[1 + i] <= 'F')))
			return tend_err_set(err, TEND_EXIT_INPUT,
			    "not a %s: the key id is not 8 hex digits", what);
		hex[i] = p1[1 + i];
	}
	hex[8] = '\0';
	*id = (uint32_t)strtoul(hex, NULL, 16);
	if (base64_decode_exact(kb, sizeof(kb), p2 + 1,
	    (size_t)(end - p2 - 1)) < 0)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "not a %s: the key is not base64 of 33 bytes", what);
	if (kb[0] != SIGN_TYPE_ED25519) {
		unsigned type = kb[0];

		sodium_memzero(kb, sizeof(kb));
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "%s of signature type %u, not Ed25519 (1)", what, type);
	}
	memcpy(bytes, kb + 1, 32);
	sodium_memzero(kb, sizeof(kb));
	return 0;
}

int
sign_vkey_parse(struct sign_key *k, const char *s, size_t len,
    struct tend_err *err)
{
	uint32_t id;

	memset(k, 0, sizeof(*k));
	if (key_fields(k, s, len, &id, k->pub, "public key", err) < 0)
		return -1;
	k->id = sign_key_id(k->name, k->pub);
	if (k->id != id)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "public key '%s': id %08x does not match the key (%08x)",
		    k->name, (unsigned)id, (unsigned)k->id);
	return 0;
}

int
sign_skey_parse(struct sign_key *k, const char *s, size_t len,
    struct tend_err *err)
{
	unsigned char seed[SIGN_SEED_LEN];
	char name[SIGN_NAME_MAX];
	uint32_t id;
	size_t plen = sizeof(SKEY_PREFIX) - 1;
	int rc;

	memset(k, 0, sizeof(*k));
	if (len < plen || memcmp(s, SKEY_PREFIX, plen) != 0)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "not a secret key: no " SKEY_PREFIX " prefix");
	if (key_fields(k, s + plen, len - plen, &id, seed, "secret key",
	    err) < 0) {
		sign_key_wipe(k);
		return -1;
	}
	strlcpy(name, k->name, sizeof(name));
	rc = sign_key_from_seed(k, name, seed, err);
	sodium_memzero(seed, sizeof(seed));
	if (rc < 0)
		return -1;
	if (k->id != id) {
		sign_key_wipe(k);
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "secret key '%s': id %08x does not match the key",
		    name, (unsigned)id);
	}
	return 0;
}

static int
write_key_file(const char *path, mode_t mode, const char *text, size_t len,
    struct tend_err *err)
{
	size_t off = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode)) < 0)
		return tend_err_sys(err, "cannot create '%s'", path);
	/* the umask may have taken bits away; never adds any */
	if (fchmod(fd, mode) < 0)
		goto fail;
	while (off < len) {
		if ((n = write(fd, text + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	tend_err_sys(err, "cannot write '%s'", path);
	if (fd >= 0)
		close(fd);
	unlink(path);
	return -1;
}

int
sign_key_write_secret(const struct sign_key *k, const char *path,
    struct tend_err *err)
{
	char text[KEYFILE_MAX];
	struct buf b = BUF_INIT;
	size_t len;
	int rc;

	if (!k->has_secret)
		BUG("writing a secret key that has none");
	/* formatted in a buf, then moved to the stack to be wiped */
	buf_adds(&b, SKEY_PREFIX);
	key_text(&b, k, k->sk);
	buf_addc(&b, '\n');
	len = b.len;
	if (len > sizeof(text))
		BUG("secret key text too long");
	memcpy(text, b.p, len);
	sodium_memzero(b.p, b.len);
	buf_release(&b);
	rc = write_key_file(path, 0600, text, len, err);
	sodium_memzero(text, sizeof(text));
	return rc;
}

int
sign_key_write_public(const struct sign_key *k, const char *path,
    struct tend_err *err)
{
	struct buf b = BUF_INIT;
	int rc;

	sign_vkey_format(k, &b);
	buf_addc(&b, '\n');
	rc = write_key_file(path, 0644, b.p, b.len, err);
	buf_release(&b);
	return rc;
}

/* Reads a key file's one line (without its newline) into text. */
static int
read_key_file(const char *path, int secret, char *text, size_t cap,
    size_t *len, struct tend_err *err)
{
	struct stat st;
	size_t off = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return tend_err_sys(err, "cannot open '%s'", path);
	if (fstat(fd, &st) < 0) {
		tend_err_sys(err, "cannot stat '%s'", path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "'%s' is not a regular file", path);
	}
	if (secret && (st.st_uid != geteuid() || (st.st_mode & 077) != 0)) {
		close(fd);
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "secret key '%s' is %s (mode %04o): it must be the "
		    "user's own and mode 0600 or 0400", path,
		    st.st_uid != geteuid() ? "owned by another user" :
		    "open to others", (unsigned)(st.st_mode & 07777));
	}
	for (;;) {
		if (off == cap) {
			close(fd);
			return tend_err_set(err, TEND_EXIT_INPUT,
			    "'%s' is too long for a key file", path);
		}
		if ((n = read(fd, text + off, cap - off)) < 0) {
			if (errno == EINTR)
				continue;
			tend_err_sys(err, "cannot read '%s'", path);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	if (off > 0 && text[off - 1] == '\n')
		off--;
	if (memchr(text, '\n', off) != NULL)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "'%s' holds more than one line", path);
	*len = off;
	return 0;
}

int
sign_key_load_secret(struct sign_key *k, const char *path,
    struct tend_err *err)
{
	char text[KEYFILE_MAX];
	size_t len;
	int rc;

	memset(k, 0, sizeof(*k));
	rc = read_key_file(path, 1, text, sizeof(text), &len, err);
	if (rc == 0 && (rc = sign_skey_parse(k, text, len, err)) < 0) {
		/* prefix the file name, keeping the parser's reason */
		char why[sizeof(err->msg)];

		strlcpy(why, err->msg, sizeof(why));
		tend_err_set(err, TEND_EXIT_INPUT, "'%s': %s", path, why);
	}
	sodium_memzero(text, sizeof(text));
	return rc;
}

int
sign_key_load_public(struct sign_key *k, const char *path,
    struct tend_err *err)
{
	char text[KEYFILE_MAX];
	size_t len;

	memset(k, 0, sizeof(*k));
	if (read_key_file(path, 0, text, sizeof(text), &len, err) < 0)
		return -1;
	if (len >= sizeof(SKEY_PREFIX) - 1 &&
	    memcmp(text, SKEY_PREFIX, sizeof(SKEY_PREFIX) - 1) == 0) {
		sodium_memzero(text, sizeof(text));
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "'%s' is a secret key, not a public key", path);
	}
	if (sign_vkey_parse(k, text, len, err) < 0) {
		char why[sizeof(err->msg)];

		strlcpy(why, err->msg, sizeof(why));
		tend_err_set(err, TEND_EXIT_INPUT, "'%s': %s", path, why);
		return -1;
	}
	return 0;
}

void
sign_detached(const struct sign_key *k, const void *msg, size_t len,
    unsigned char sig[SIGN_SIG_LEN])
{
	if (!k->has_secret)
		BUG("signing with a public key");
	crypto_sign_detached(sig, NULL, msg, len, k->sk);
}

int
sign_verify(const unsigned char pub[SIGN_PUB_LEN], const void *msg,
    size_t len, const unsigned char sig[SIGN_SIG_LEN])
{
	return crypto_sign_verify_detached(sig, msg, len, pub) == 0 ? 0 : -1;
}
