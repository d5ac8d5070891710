#include "compat.h"

#include <sodium.h>

#include "base64.h"
#include "json.h"
#include "note.h"

#define EM_DASH "\xe2\x80\x94"
#define SIG_PREFIX EM_DASH " "

/* Valid UTF-8 with no control characters but newline. */
static int
note_chars_ok(const char *s, size_t len)
{
	size_t i, bad;

	if (utf8_valid((const unsigned char *)s, len, &bad) < 0)
		return 0;
	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\n') ||
		    s[i] == 0x7f)
			return 0;
	return 1;
}

static int
text_check(const char *text, size_t len, struct tend_err *err)
{
	if (len == 0 || text[len - 1] != '\n')
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "a note text must end in a newline");
	if (!note_chars_ok(text, len))
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "a note must be UTF-8 without control characters");
	if (text[0] == '\n' || memmem(text, len, "\n\n", 2) != NULL)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "a note text must not hold a blank line");
	return 0;
}

int
note_sign(struct buf *out, const char *text, size_t len,
    const struct sign_key *k, struct tend_err *err)
{
	unsigned char blob[4 + SIGN_SIG_LEN];

	if (text_check(text, len, err) < 0)
		return -1;
	blob[0] = (unsigned char)(k->id >> 24);
	blob[1] = (unsigned char)(k->id >> 16);
	blob[2] = (unsigned char)(k->id >> 8);
	blob[3] = (unsigned char)k->id;
	sign_detached(k, text, len, blob + 4);
	buf_add(out, text, len);
	buf_adds(out, "\n" SIG_PREFIX);
	buf_adds(out, k->name);
	buf_addc(out, ' ');
	base64_encode(out, blob, sizeof(blob), BASE64_STD);
	buf_addc(out, '\n');
	return 0;
}

struct sigline {
	const char	*name;
	size_t		 name_len;
	uint32_t	 id;
	unsigned char	 sig[SIGN_SIG_LEN];
	size_t		 sig_len;
};

/*
 * Parses one signature line s[0..len) (no newline).  Returns 0, or -1
 * with err if it is not "— NAME BASE64" with at least 5 bytes of data.
 */
static int
parse_sigline(const char *s, size_t len, struct sigline *sl,
    struct tend_err *err)
{
	size_t plen = sizeof(SIG_PREFIX) - 1;
	const char *sp;
	struct buf b = BUF_INIT;
	long n;

	if (len < plen || memcmp(s, SIG_PREFIX, plen) != 0)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "a signature line must start with an em dash and a space");
	s += plen;
	len -= plen;
	if ((sp = memchr(s, ' ', len)) == NULL || sp == s)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "a signature line needs a key name and a signature");
	sl->name = s;
	sl->name_len = (size_t)(sp - s);
	if (memchr(s, '+', sl->name_len) != NULL)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "a key name must not hold '+'");
	n = base64_decode(&b, sp + 1, len - sl->name_len - 1, BASE64_STD);
	if (n < 5) {
		buf_release(&b);
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "a signature must be base64 of a key id and a signature");
	}
	sl->id = (uint32_t)(unsigned char)b.p[0] << 24 |
	    (uint32_t)(unsigned char)b.p[1] << 16 |
	    (uint32_t)(unsigned char)b.p[2] << 8 | (unsigned char)b.p[3];
	sl->sig_len = (size_t)n - 4;
	if (sl->sig_len <= sizeof(sl->sig))
		memcpy(sl->sig, b.p + 4, sl->sig_len);
	buf_release(&b);
	return 0;
}

/* Finds the text/signature split; see note_split. */
static int
split(const char *msg, size_t len, size_t *text_len, struct tend_err *err)
{
	size_t i;

	if (!note_chars_ok(msg, len))
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "a note must be UTF-8 without control characters");
	if (len == 0 || msg[len - 1] != '\n')
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "a signed note must end in a newline");
	/* the last blank line: signature lines hold none */
	for (i = len - 1; i > 0; i--)
		if (msg[i] == '\n' && msg[i - 1] == '\n')
			break;
	if (i == 0)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "no blank line before the signatures");
	*text_len = i;
	if (i + 1 == len)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "a signed note has no signature lines");
	return 0;
}

int
note_split(const char *msg, size_t len, size_t *text_len,
    struct tend_err *err)
{
	struct sigline sl;
	size_t tl = 0, pos, nl, nsig = 0;

	if (split(msg, len, &tl, err) < 0)
		return -1;
	for (pos = tl + 1; pos < len; pos = nl + 1) {
		nl = (size_t)((const char *)memchr(msg + pos, '\n', len - pos) -
		    msg);
		if (++nsig > NOTE_MAX_SIGS)
			return tend_err_set(err, TEND_EXIT_INPUT,
			    "more than %d signatures", NOTE_MAX_SIGS);
		if (parse_sigline(msg + pos, nl - pos, &sl, err) < 0)
			return -1;
	}
	*text_len = tl;
	return 0;
}

int
note_open(const char *msg, size_t len, const struct sign_key *keys,
    size_t nkeys, size_t *text_len, size_t *signer, struct tend_err *err)
{
	struct sigline sl;
	size_t tl = 0, pos, nl, k, first = 0;
	int verified = 0;

	if (note_split(msg, len, &tl, err) < 0)
		return -1;
	for (pos = tl + 1; pos < len; pos = nl + 1) {
		nl = (size_t)((const char *)memchr(msg + pos, '\n', len - pos) -
		    msg);
		if (parse_sigline(msg + pos, nl - pos, &sl, err) < 0)
			return -1;
		for (k = 0; k < nkeys; k++) {
			if (strlen(keys[k].name) != sl.name_len ||
			    memcmp(keys[k].name, sl.name, sl.name_len) != 0 ||
			    keys[k].id != sl.id)
				continue;
			if (sl.sig_len != SIGN_SIG_LEN ||
			    sign_verify(keys[k].pub, msg, tl, sl.sig) < 0)
				return tend_err_set(err, TEND_EXIT_NO,
				    "the signature by %s+%08x does not verify",
				    keys[k].name, (unsigned)keys[k].id);
			if (verified++ == 0)
				first = k;
			break;
		}
	}
	if (verified == 0)
		return tend_err_set(err, TEND_EXIT_NO,
		    "not signed by a known key");
	*text_len = tl;
	if (signer != NULL)
		*signer = first;
	return verified;
}

void
note_checkpoint_format(const struct note_checkpoint *cp, struct buf *out)
{
	buf_addf(out, "%s\n%llu\n", cp->origin, (unsigned long long)cp->size);
	base64_encode(out, cp->root, sizeof(cp->root), BASE64_STD);
	buf_addc(out, '\n');
}

int
note_origin_check(const char *s, size_t len, struct tend_err *err)
{
	if (len == 0)
		return tend_err_set(err, TEND_EXIT_INPUT, "empty origin");
	if (len >= NOTE_ORIGIN_MAX)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "origin longer than %d bytes", NOTE_ORIGIN_MAX - 1);
	if (memchr(s, '\n', len) != NULL || !note_chars_ok(s, len))
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "origin must be one line of UTF-8 without control "
		    "characters");
	return 0;
}

/* Next line of text[*pos..len) without its newline; 0 at the end. */
static int
next_line(const char *text, size_t len, size_t *pos, const char **line,
    size_t *llen)
{
	const char *nl;

	if (*pos >= len)
		return 0;
	*line = text + *pos;
	if ((nl = memchr(*line, '\n', len - *pos)) == NULL)
		*llen = len - *pos;
	else
		*llen = (size_t)(nl - *line);
	*pos += *llen + 1;
	return 1;
}

int
note_checkpoint_parse(struct note_checkpoint *cp, const char *text,
    size_t len, struct tend_err *err)
{
	const char *l;
	size_t pos = 0, ll, i;
	uint64_t v = 0;

	memset(cp, 0, sizeof(*cp));
	if (len == 0 || text[len - 1] != '\n')
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "a checkpoint must end in a newline");
	if (!next_line(text, len, &pos, &l, &ll) ||
	    note_origin_check(l, ll, err) < 0)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "checkpoint line 1: not an origin");
	memcpy(cp->origin, l, ll);
	if (!next_line(text, len, &pos, &l, &ll) || ll == 0 || ll > 20 ||
	    (ll > 1 && l[0] == '0'))
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "checkpoint line 2: not a tree size");
	for (i = 0; i < ll; i++) {
		unsigned d = (unsigned)(l[i] - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return tend_err_set(err, TEND_EXIT_INPUT,
			    "checkpoint line 2: not a tree size");
		v = v * 10 + d;
	}
	cp->size = v;
	if (!next_line(text, len, &pos, &l, &ll) ||
	    base64_decode_exact(cp->root, sizeof(cp->root), l, ll) < 0)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "checkpoint line 3: not the base64 of a 32-byte root hash");
	while (next_line(text, len, &pos, &l, &ll))
		if (ll == 0)
			return tend_err_set(err, TEND_EXIT_INPUT,
			    "a checkpoint must not hold a blank line");
	return 0;
}
