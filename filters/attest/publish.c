/*
 * tend-attest seal --publish: copies each checkpoint off the host, so
 * that a log rewritten by someone with root on it is caught against the
 * copy (tend-attest verify --trusted).
 *
 * A directory DIR gets DIR/checkpoint (the latest, as tlog-tiles
 * logs serve it) and checkpoint.SIZE (every one), each written
 * atomically.  An http:// or https:// URL gets the signed note as the body
 * of a PUT (or POST), Content-Type text/plain; any status >= 400 fails.
 */
#include "compat.h"

#include <sys/stat.h>

#include <curl/curl.h>

#include "attest.h"

/* The URL without user info and query, which may hold secrets. */
static void
redact(const char *url, char *out, size_t cap)
{
	const char *p = strstr(url, "://"), *at, *slash, *q;
	size_t n;

	if (p == NULL) {
		strlcpy(out, "(url)", cap);
		return;
	}
	p += 3;
	slash = p + strcspn(p, "/?#");
	at = memchr(p, '@', (size_t)(slash - p));
	n = (size_t)(p - url);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, url, n);
	out[n] = '\0';
	if (at != NULL) {
		strlcat(out, "***@", cap);
		p = at + 1;
	}
	q = p + strcspn(p, "?#");
	n = strlen(out);
	if ((size_t)(q - p) < cap - n) {
		memcpy(out + n, p, (size_t)(q - p));
		out[n + (size_t)(q - p)] = '\0';
	}
	if (*q != '\0')
		strlcat(out, "?...", cap);
}

static size_t
sink(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static int
publish_url(const char *url, const char *method, const char *note,
    size_t len, struct tend_err *err)
{
	static int inited;
	struct curl_slist *hdr = NULL;
	char shown[512], cerr[CURL_ERROR_SIZE];
	CURL *h;
	CURLcode cc;
	long status = 0;
	int rc = 0;

	redact(url, shown, sizeof(shown));
	if (!inited) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
			return tend_err_set(err, TEND_EXIT_SYSTEM,
			    "cannot initialise libcurl");
		inited = 1;
	}
	if ((h = curl_easy_init()) == NULL)
		return tend_err_set(err, TEND_EXIT_SYSTEM,
		    "cannot initialise libcurl");
	cerr[0] = '\0';
	hdr = curl_slist_append(hdr, "Content-Type: text/plain; charset=utf-8");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, note);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "tend-attest/" TEND_VERSION);
	if ((cc = curl_easy_perform(h)) != CURLE_OK)
		rc = tend_err_set(err, TEND_EXIT_SYSTEM,
		    "cannot publish to %s: %s", shown,
		    cerr[0] != '\0' ? cerr : curl_easy_strerror(cc));
	else if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) !=
	    CURLE_OK || status >= 400 || status < 200)
		rc = tend_err_set(err, TEND_EXIT_SYSTEM,
		    "cannot publish to %s: HTTP status %ld", shown, status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return rc;
}

static int
publish_dir(const char *dir, const struct note_checkpoint *cp,
    const char *note, size_t len, struct tend_err *err)
{
	struct stat st;
	char path[4096];

	if (stat(dir, &st) < 0)
		return tend_err_sys(err, "cannot publish to '%s'", dir);
	if (!S_ISDIR(st.st_mode))
		return tend_err_set(err, TEND_EXIT_SYSTEM,
		    "cannot publish to '%s': not a directory or URL", dir);
	if ((size_t)snprintf(path, sizeof(path), "%s/checkpoint.%llu", dir,
	    (unsigned long long)cp->size) >= sizeof(path))
		return tend_err_set(err, TEND_EXIT_SYSTEM,
		    "path too long: '%s'", dir);
	if (write_file_atomic(path, note, len, 0644, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/checkpoint", dir);
	return write_file_atomic(path, note, len, 0644, err);
}

int
publish_note(const char *target, const char *method,
    const struct note_checkpoint *cp, const char *note, size_t len,
    struct tend_err *err)
{
	if (strncmp(target, "http://", 7) == 0 ||
	    strncmp(target, "https://", 8) == 0)
		return publish_url(target, method, note, len, err);
	return publish_dir(target, cp, note, len, err);
}
