/*
 * tokenize.h: deterministic tokens for secret values (SPEC section 5).
 *
 * A secret value is replaced by "tok:" and the unpadded base64url (RFC
 * 4648 section 5) of HMAC-SHA256(key, value): the same value under the
 * same key always gives the same 47-byte token, so a change of a secret
 * is still seen as drift while the value itself never leaves the
 * process.  Without a key every secret value becomes "redacted": nothing
 * is passed through, and drift in secrets goes unseen.
 *
 * The key lives in sodium_malloc'd memory (guard pages, wiped on free);
 * tokenizer_token wipes its own stack copies of the keyed state.  Callers
 * that decode a clear value into a buffer of their own wipe it with
 * sodium_memzero when done.
 *
 * Also here, because every program that redacts needs them: the names
 * that mark a value as secret (a POSIX extended regular expression,
 * matched case-insensitively) and the passwords of URLs
 * (scheme://user:PASSWORD@host) inside any text.
 *
 * The pattern is compiled by Oniguruma (libjq's regex engine) with its
 * POSIX extended syntax, not by regcomp(3): libonig exports symbols named
 * regcomp and regexec with its own regex_t, and since every tend program
 * links -lonig before libc, a plain regcomp call in tend gets Oniguruma's
 * with glibc's struct layout and silently never matches.
 *
 * What it does not do: it does not decide where secrets are in a
 * document (the caller walks its own data), and it does not decode
 * base64 or percent-encoding: the token is over exactly the bytes given.
 */
#ifndef TEND_TOKENIZE_H
#define TEND_TOKENIZE_H

#include <stddef.h>

#include "buf.h"
#include "tenderr.h"

#define TOKEN_PREFIX	"tok:"
#define TOKEN_REDACTED	"redacted"
#define TOKEN_KEY_MIN	16	/* bytes */
#define TOKEN_KEY_MAX	4096

/* The default secret-name pattern (matched ignoring case). */
#define TOKENIZE_NAMES_DEFAULT "pass|secret|token|key|credential"

struct tokenizer_secret;
struct re_pattern_buffer;		/* Oniguruma's compiled pattern */

struct tokenizer {
	struct tokenizer_secret *sec;	/* NULL: no key, redact */
	struct re_pattern_buffer *names;
};

/* No key, no name pattern.  Does not allocate. */
void	tokenizer_init(struct tokenizer *);
/* Wipes and frees the key and the pattern. */
void	tokenizer_release(struct tokenizer *);

/*
 * Loads the HMAC key from the file at path: its bytes, one final "\n" or
 * "\r\n" taken off, TOKEN_KEY_MIN to TOKEN_KEY_MAX bytes.  The file (after
 * symbolic links) must be a regular file owned by the effective user (or
 * root) that neither group nor others may read, write or execute.
 * Returns 0, or -1 with err: TEND_EXIT_SYSTEM when it cannot be opened or
 * read, TEND_EXIT_USAGE when it is not a safe key file or has the wrong
 * size.  The message names the path, never the key.
 */
int	tokenizer_load_key(struct tokenizer *, const char *path,
	    struct tend_err *err);

/* 1 when a key is loaded (tokens), 0 when values are redacted. */
int	tokenizer_has_key(const struct tokenizer *);

/*
 * Appends the replacement for clear[0..len): TOKEN_PREFIX and 43
 * base64url characters, or TOKEN_REDACTED without a key.  Plain ASCII,
 * so it needs no JSON escaping.  Cannot fail.
 */
void	tokenizer_token(const struct tokenizer *, const void *clear,
	    size_t len, struct buf *out);

/*
 * Sets the secret-name pattern: a POSIX extended regular expression,
 * matched ignoring case (as REG_ICASE) anywhere in the name; NULL means
 * TOKENIZE_NAMES_DEFAULT.  A leading "(?i)" (the Perl spelling of what
 * REG_ICASE does) is accepted and skipped.  Returns 0, or -1 with err
 * (TEND_EXIT_USAGE) quoting Oniguruma's message.
 */
int	tokenizer_set_names(struct tokenizer *, const char *ere,
	    struct tend_err *err);

/* 1 if name[0..len) (UTF-8) matches the pattern. */
int	tokenizer_name_is_secret(const struct tokenizer *, const char *name,
	    size_t len);

/*
 * Finds the first URL password in s[from..len): the text between the
 * first ':' and the last '@' of the authority after a "://" (the
 * authority ends at '/', '?', '#', a quote, '<', '>', '\\', white space
 * or a control character).  Returns 1 with *off and *n set (n > 0),
 * or 0 when there is none.
 */
int	tokenize_url_find(const char *s, size_t len, size_t from,
	    size_t *off, size_t *n);

/*
 * Appends s[0..len) to out with the password of every URL in it replaced
 * by its token.  Returns the number of passwords replaced (0: out got s
 * unchanged).
 */
size_t	tokenizer_urls(const struct tokenizer *, const char *s,
	    size_t len, struct buf *out);

#endif
