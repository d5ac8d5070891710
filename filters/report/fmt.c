/*
 * Formatting shared by the reports: times, durations, numbers, padding
 * for text tables, ANSI colour, and the HTML page frame.
 */
#include "compat.h"

#include <math.h>
#include <stdarg.h>

#include "report.h"
#include "rfc3339.h"
#include "xmalloc.h"

const char *
fmt_time(int64_t ns, char *out, size_t len)
{
	if (ns == NO_TIME) {
		strlcpy(out, "-", len);
		return out;
	}
	rfc3339_format(ns, out, len);
	return out;
}

void
fmt_dur(struct buf *b, int64_t ns)
{
	int64_t s, d, h, m, ms;

	if (ns < 0) {
		buf_addc(b, '-');
		ns = -ns;
	}
	s = ns / NS;
	ms = ns % NS / 1000000;
	d = s / 86400;
	h = s % 86400 / 3600;
	m = s % 3600 / 60;
	s %= 60;
	if (d > 0) {
		buf_addf(b, "%lldd", (long long)d);
		if (h > 0)
			buf_addf(b, "%lldh", (long long)h);
	} else if (h > 0) {
		buf_addf(b, "%lldh", (long long)h);
		if (m > 0)
			buf_addf(b, "%lldm", (long long)m);
	} else if (m > 0) {
		buf_addf(b, "%lldm", (long long)m);
		if (s > 0)
			buf_addf(b, "%llds", (long long)s);
	} else if (ms > 0)
		buf_addf(b, "%lld.%03llds", (long long)s, (long long)ms);
	else
		buf_addf(b, "%llds", (long long)s);
}

void
fmt_secs(struct buf *b, int64_t ns)
{
	char f[16];
	int n;

	if (ns < 0) {
		buf_addc(b, '-');
		ns = -ns;
	}
	buf_addf(b, "%lld", (long long)(ns / NS));
	if (ns % NS == 0)
		return;
	n = snprintf(f, sizeof(f), "%09lld", (long long)(ns % NS));
	while (n > 0 && f[n - 1] == '0')
		f[--n] = '\0';
	buf_addf(b, ".%s", f);
}

void
fmt_num(struct buf *b, double v)
{
	char s[64];
	int n;

	if (!isfinite(v)) {
		buf_adds(b, "null");
		return;
	}
	n = snprintf(s, sizeof(s), "%.2f", v);
	while (n > 0 && s[n - 1] == '0')
		s[--n] = '\0';
	if (n > 0 && s[n - 1] == '.')
		s[--n] = '\0';
	if (strcmp(s, "-0") == 0)
		strlcpy(s, "0", sizeof(s));
	buf_adds(b, s);
}

void
fmt_hours(struct buf *b, int64_t ns)
{
	int64_t s = ns / NS;
	int64_t whole = s / 3600, rem = s % 3600;
	char f[16];
	int n;

	/* rem / 3600 to 4 decimals, rounded half up, exactly */
	rem = (rem * 10000 + 1800) / 3600;
	if (rem >= 10000) {
		whole++;
		rem -= 10000;
	}
	buf_addf(b, "%lld", (long long)whole);
	if (rem == 0)
		return;
	n = snprintf(f, sizeof(f), "%04lld", (long long)rem);
	while (n > 0 && f[n - 1] == '0')
		f[--n] = '\0';
	buf_addf(b, ".%s", f);
}

void
html_escn(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		switch (s[i]) {
		case '<':
			buf_adds(b, "&lt;");
			break;
		case '>':
			buf_adds(b, "&gt;");
			break;
		case '&':
			buf_adds(b, "&amp;");
			break;
		case '"':
			buf_adds(b, "&quot;");
			break;
		case '\'':
			buf_adds(b, "&#39;");
			break;
		default:
			buf_addc(b, s[i]);
		}
}

void
html_esc(struct buf *b, const char *s)
{
	html_escn(b, s, strlen(s));
}

static const char style[] =
    "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;"
    "margin:24px;color:#1d2330;background:#fff}\n"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;"
    "border-bottom:1px solid #d8dce5;padding-bottom:4px}"
    "h3{font-size:15px;margin:18px 0 6px}\n"
    ".meta{color:#5a6275}code,.mono{font-family:ui-monospace,"
    "'DejaVu Sans Mono',monospace;font-size:12px}\n"
    "table{border-collapse:collapse;margin:6px 0 14px}"
    "th,td{text-align:left;padding:3px 10px 3px 0;vertical-align:top;"
    "border-bottom:1px solid #eef0f4}th{color:#5a6275;font-weight:600}\n"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
    "svg{display:block;margin:8px 0 16px;max-width:100%}\n"
    ".st{display:inline-block;min-width:72px;padding:0 6px;"
    "border-radius:3px;color:#fff;font-size:12px}\n"
    ".observed,.state{background:#6b7a99}.drift,.changed{background:#d9822b}"
    ".proposed{background:#2b7bb9}.approved{background:#2e9e5b}"
    ".denied{background:#c23b3b}.deferred{background:#b58a00}"
    ".escalated{background:#8e44ad}.started{background:#17a2b8}"
    ".succeeded{background:#1f8a4c}.failed{background:#b02a2a}"
    ".skipped{background:#8a8f99}.incident{background:#7a1f5c}"
    ".error{background:#444}\n"
    "td.t{white-space:nowrap}\n"
    ".ok{color:#1f8a4c;font-weight:600}.bad{color:#b02a2a;"
    "font-weight:600}\n";

void
html_begin(struct buf *b, const char *title)
{
	buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"generator\" "
	    "content=\"tend-report " TEND_VERSION "\">\n<title>");
	html_esc(b, title);
	buf_adds(b, "</title>\n<style>\n");
	buf_adds(b, style);
	buf_adds(b, "</style>\n</head>\n<body>\n");
}

void
html_end(struct buf *b)
{
	buf_adds(b, "</body>\n</html>\n");
}

size_t
u8len(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

void
pad(struct buf *b, const char *s, size_t w)
{
	size_t n = u8len(s);

	buf_adds(b, s);
	while (n++ < w)
		buf_addc(b, ' ');
}

void
color(struct buf *b, int on, const char *sgr, const char *s)
{
	if (on)
		buf_addf(b, "\033[%sm", sgr);
	buf_adds(b, s);
	if (on)
		buf_adds(b, "\033[0m");
}

/* ------------------------------------------------------------------ */

static uint64_t
hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

size_t *
smap_get(struct smap *m, const struct store *st, size_t off, int add,
    size_t v)
{
	const char *key = S(st, off);
	size_t i, j;

	if (m->cap == 0) {
		if (!add)
			return NULL;
		m->cap = 64;
		m->keys = xcalloc(m->cap, sizeof(*m->keys));
		m->vals = xcalloc(m->cap, sizeof(*m->vals));
	}
	for (i = hash(key) & (m->cap - 1); m->keys[i] != 0;
	    i = (i + 1) & (m->cap - 1))
		if (strcmp(S(st, m->keys[i] - 1), key) == 0)
			return &m->vals[i];
	if (!add)
		return NULL;
	if ((m->n + 1) * 2 > m->cap) {
		struct smap big;

		big.cap = m->cap * 2;
		big.n = 0;
		big.keys = xcalloc(big.cap, sizeof(*big.keys));
		big.vals = xcalloc(big.cap, sizeof(*big.vals));
		for (j = 0; j < m->cap; j++) {
			if (m->keys[j] == 0)
				continue;
			for (i = hash(S(st, m->keys[j] - 1)) & (big.cap - 1);
			    big.keys[i] != 0; i = (i + 1) & (big.cap - 1))
				;
			big.keys[i] = m->keys[j];
			big.vals[i] = m->vals[j];
			big.n++;
		}
		smap_release(m);
		*m = big;
		return smap_get(m, st, off, add, v);
	}
	m->keys[i] = off + 1;
	m->vals[i] = v;
	m->n++;
	return &m->vals[i];
}

void
smap_release(struct smap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ------------------------------------------------------------------ */

void
tbl_init(struct tbl *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
}

void
tbl_add(struct tbl *t, const char *s)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cell = xreallocarray(t->cell, t->cap, sizeof(*t->cell));
	}
	t->cell[t->n++] = xstrdup(s);
}

void
tbl_addf(struct tbl *t, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		err(TEND_EXIT_SYSTEM, "vasprintf");
	va_end(ap);
	tbl_add(t, s);
	free(s);
}

void
tbl_text(const struct tbl *t, struct buf *b, const char *indent)
{
	size_t *w, i, c, len;

	w = xcalloc(t->ncols, sizeof(*w));
	for (i = 0; i < t->n; i++)
		if ((len = u8len(t->cell[i])) > w[i % t->ncols])
			w[i % t->ncols] = len;
	for (i = 0; i < t->n; i++) {
		c = i % t->ncols;
		if (c == 0)
			buf_adds(b, indent);
		if (c + 1 == t->ncols || i + 1 == t->n) {
			buf_adds(b, t->cell[i]);
			while (b->len > 0 && b->p[b->len - 1] == ' ')
				b->len--;
			buf_addc(b, '\n');
		} else
			pad(b, t->cell[i], w[c] + 2);
	}
	free(w);
}

static int
numeric(const char *s)
{
	if (*s == '-' && s[1] != '\0')
		s++;
	return *s >= '0' && *s <= '9';
}

void
tbl_html(const struct tbl *t, struct buf *b)
{
	size_t i, c;

	buf_adds(b, "<table>\n");
	for (i = 0; i < t->n; i++) {
		c = i % t->ncols;
		if (c == 0)
			buf_adds(b, "<tr>");
		if (i < t->ncols)
			buf_adds(b, "<th>");
		else
			buf_adds(b, numeric(t->cell[i]) ? "<td class=\"n\">" :
			    "<td>");
		html_esc(b, t->cell[i]);
		buf_adds(b, i < t->ncols ? "</th>" : "</td>");
		if (c + 1 == t->ncols)
			buf_adds(b, "</tr>\n");
	}
	buf_adds(b, "</table>\n");
}

void
tbl_release(struct tbl *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->cell[i]);
	free(t->cell);
	memset(t, 0, sizeof(*t));
}
