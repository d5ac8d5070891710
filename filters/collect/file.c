/*
 * tend-collect file: JSON, NDJSON and YAML files, and folders of them.
 *
 * A folder is walked recursively in byte order of the names (so the
 * output does not depend on the file system), taking *.json, *.ndjson,
 * *.jsonl, *.yaml and *.yml and skipping names that start with a dot and
 * symbolic links to folders (no loops).  A file named on the command line
 * is read whatever its name: by its extension, else JSON when it starts
 * with '{' or '[', else YAML.
 */
#include "compat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect.h"
#include "ndjson.h"
#include "xmalloc.h"

#define FILE_MAX ((size_t)1 << 30)

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

/* The format a name says, or -1 when it says none tend reads. */
static int
format_of(const char *name)
{
	if (ends_with(name, ".json"))
		return FMT_JSON;
	if (ends_with(name, ".ndjson") || ends_with(name, ".jsonl"))
		return FMT_NDJSON;
	if (ends_with(name, ".yaml") || ends_with(name, ".yml"))
		return FMT_YAML;
	return -1;
}

/* NDJSON streams through one line buffer: memory stays bounded by the
   longest line, not the file. */
static int
ndjson_file(struct collect *c, struct docsrc *ds, const char *path)
{
	struct ndjson_reader r;
	struct json_doc d;
	struct tend_err err = { 0 };
	char *line;
	size_t len;
	int fd, n, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		collect_progress_done(c);
		warn("cannot open '%s'", path);
		cli_fail(&c->cli, TEND_EXIT_SYSTEM);
		return -1;
	}
	ndjson_reader_init(&r, fd, path);
	r.max_line = c->cli.max_line;
	json_doc_init(&d);
	while (rc == 0 && (n = ndjson_reader_next(&r, &line, &len,
	    &err)) != 0) {
		if (n < 0 && err.code == TEND_EXIT_SYSTEM) {
			collect_progress_done(c);
			warnx("%s", err.msg);
			cli_fail(&c->cli, TEND_EXIT_SYSTEM);
			rc = -1;
		} else if (n < 0) {
			rc = collect_bad(c, path, r.lineno, "%s", err.msg);
		} else if (strspn(line, " \t\r") >= len) {
			continue;	/* blank lines are allowed in data */
		} else if (json_parse(&d, line, len, &err) < 0) {
			rc = collect_bad(c, path, r.lineno, "%s", err.msg);
		} else
			rc = collect_doc(c, ds, &d, 0, path, r.lineno);
	}
	json_doc_release(&d);
	ndjson_reader_release(&r);
	close(fd);
	return rc;
}

static int
one_file(struct collect *c, const char *path, int format)
{
	struct tend_err err = { 0 };
	struct buf text = BUF_INIT;
	struct docsrc ds;
	int rc;

	memset(&ds, 0, sizeof(ds));
	ds.provider = "file";
	ds.scope = "_";
	ds.name = path;
	ds.source = path;
	collect_progress(c, "%s (%zu resources)", path, c->emitted);
	if (format == FMT_NDJSON)
		return ndjson_file(c, &ds, path);
	if (strcmp(path, "-") == 0) {
		ds.name = ds.source = "<stdin>";
		rc = read_all(STDIN_FILENO, &text, FILE_MAX, &err);
	} else
		rc = read_file(path, &text, FILE_MAX, &err);
	if (rc < 0) {
		collect_progress_done(c);
		if (err.code == TEND_EXIT_SYSTEM)
			warnx("%s", err.msg);
		else
			warnx("%s: %s", ds.name, err.msg);
		cli_fail(&c->cli, err.code);
		buf_release(&text);
		return -1;
	}
	rc = collect_text(c, &ds, text.p != NULL ? text.p : "", text.len,
	    ds.name, format);
	buf_release(&text);
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
walk(struct collect *c, const char *dir, unsigned depth)
{
	struct buf path = BUF_INIT;
	struct dirent *e;
	struct stat st, lst;
	char **names = NULL;
	size_t n = 0, i;
	DIR *d;
	int rc = 0, fmt;

	if (depth > 64) {
		warnx("'%s': folders nested too deep", dir);
		cli_fail(&c->cli, TEND_EXIT_INPUT);
		return -1;
	}
	if ((d = opendir(dir)) == NULL) {
		warn("cannot open '%s'", dir);
		cli_fail(&c->cli, TEND_EXIT_SYSTEM);
		return -1;
	}
	while ((errno = 0, e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(e->d_name);
	}
	if (errno != 0) {
		warn("cannot read '%s'", dir);
		cli_fail(&c->cli, TEND_EXIT_SYSTEM);
		rc = -1;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n && rc == 0; i++) {
		buf_reset(&path);
		buf_adds(&path, dir);
		if (path.len == 0 || path.p[path.len - 1] != '/')
			buf_addc(&path, '/');
		buf_adds(&path, names[i]);
		if (lstat(path.p, &lst) < 0 || stat(path.p, &st) < 0) {
			if (S_ISLNK(lst.st_mode))
				continue;	/* a dangling link */
			warn("cannot open '%s'", path.p);
			cli_fail(&c->cli, TEND_EXIT_SYSTEM);
			rc = -1;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if (!S_ISLNK(lst.st_mode))
				rc = walk(c, path.p, depth + 1);
			continue;
		}
		if (S_ISREG(st.st_mode) && (fmt = format_of(names[i])) >= 0)
			rc = one_file(c, path.p, fmt);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	buf_release(&path);
	return rc;
}

int
src_file(struct collect *c, int argc, char **argv)
{
	struct stat st;
	int i, fmt;

	if (argc == 0) {
		warnx("file: no path given (- reads standard input)");
		cli_usage_error(&c->cli);
	}
	if (c->namespaces.n > 1) {
		warnx("file: --namespace is the one default namespace");
		cli_usage_error(&c->cli);
	}
	if (c->namespaces.n == 1)
		c->k8s_default_ns = c->namespaces.v[0];
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0) {
			if (one_file(c, "-", FMT_SNIFF) < 0)
				return -1;
			continue;
		}
		if (stat(argv[i], &st) < 0) {
			warn("cannot open '%s'", argv[i]);
			cli_fail(&c->cli, TEND_EXIT_SYSTEM);
			return -1;
		}
		if (S_ISDIR(st.st_mode)) {
			if (walk(c, argv[i], 0) < 0)
				return -1;
			continue;
		}
		fmt = format_of(argv[i]);
		if (one_file(c, argv[i], fmt < 0 ? FMT_SNIFF : fmt) < 0)
			return -1;
	}
	return 0;
}
