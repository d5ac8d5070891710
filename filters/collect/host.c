/*
 * tend-collect host: this machine (or the tree under --root).
 *
 *   --packages  dpkg's installed packages, from var/lib/dpkg/status: every
 *               stanza whose Status is "<want> ok installed"; kind
 *               "package", named by Package (Package:Architecture when two
 *               architectures of one package are installed).
 *   --sockets   listening sockets from proc/net/{tcp,tcp6,udp,udp6}: TCP in
 *               state LISTEN, UDP bound to a port and not connected; kind
 *               "socket", named "tcp/ADDR:PORT" ([ADDR] for IPv6), with the
 *               owning process (lowest pid) found through proc/PID/fd.
 *   --sysctl L  values under proc/sys for each name or prefix in L (a name
 *               ending in '.' or naming a folder is a prefix); kind
 *               "sysctl".
 *   --file P    one file (repeatable): type, mode, owner, size, SHA-256,
 *               and the content of a text file of at most 64 KiB; kind
 *               "file", named by its path.  A missing file is observed
 *               with "exists": false.
 * Without any of them: --packages --sockets.  The scope is the host name
 * (--scope; with --root, DIR/etc/hostname when present).
 */
#include "compat.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "collect.h"
#include "json.h"
#include "xmalloc.h"

#define HOST_FILE_CONTENT_MAX 65536

struct hostrun {
	struct collect *c;
	const char *root;	/* "" for / */
	struct buf scope;
	struct buf path;
	struct buf obj;
	struct buf name;
};

/* Appends s as UTF-8, each invalid byte replaced by U+FFFD. */
static void
add_utf8(struct buf *out, const char *s, size_t len)
{
	size_t bad;

	while (len > 0) {
		if (utf8_valid((const unsigned char *)s, len, &bad) == 0) {
			buf_add(out, s, len);
			return;
		}
		buf_add(out, s, bad);
		buf_adds(out, "\xef\xbf\xbd");
		s += bad + 1;
		len -= bad + 1;
	}
}

static void
add_jstr(struct buf *out, const char *s, size_t len)
{
	struct buf tmp = BUF_INIT;

	add_utf8(&tmp, s, len);
	buf_add_json_str(out, tmp.p != NULL ? tmp.p : "", tmp.len);
	buf_release(&tmp);
}

static const char *
rooted(struct hostrun *h, const char *path)
{
	buf_reset(&h->path);
	buf_adds(&h->path, h->root);
	buf_adds(&h->path, path);
	return h->path.p;
}

static int
emit(struct hostrun *h, const char *kind, const char *name)
{
	struct observed o;
	struct buf src = BUF_INIT;
	int rc;

	memset(&o, 0, sizeof(o));
	o.provider = "host";
	o.scope = h->scope.p;
	o.kind = kind;
	o.name = name;
	buf_addf(&src, "%s%s", *h->root ? h->root : "",
	    strcmp(kind, "package") == 0 ? "/var/lib/dpkg/status" :
	    strcmp(kind, "socket") == 0 ? "/proc/net" :
	    strcmp(kind, "sysctl") == 0 ? "/proc/sys" : "");
	if (src.len == 0)
		buf_adds(&src, "/");
	o.source = src.p;
	o.object = h->obj.p;
	o.object_len = h->obj.len;
	rc = collect_emit(h->c, &o, o.source, 0);
	buf_release(&src);
	return rc;
}

static void
host_scope(struct hostrun *h)
{
	struct buf b = BUF_INIT;
	struct tend_err err = { 0 };
	char name[256];
	size_t i;

	if (h->c->scope != NULL) {
		buf_adds(&h->scope, h->c->scope);
		return;
	}
	if (*h->root != '\0' &&
	    read_file(rooted(h, "/etc/hostname"), &b, 4096, &err) == 0) {
		i = strcspn(b.p != NULL ? b.p : "", " \t\r\n");
		add_utf8(&h->scope, b.p, i);
	}
	buf_release(&b);
	if (h->scope.len == 0 && gethostname(name, sizeof(name)) == 0) {
		name[sizeof(name) - 1] = '\0';
		add_utf8(&h->scope, name, strlen(name));
	}
	if (h->scope.len == 0)
		buf_adds(&h->scope, "localhost");
	for (i = 0; i < h->scope.len; i++)
		if (h->scope.p[i] == '/')
			h->scope.p[i] = '_';
}

/* dpkg */

struct pkg {
	char	*name, *version, *arch, *source, *srcver, *status;
	int	 qualify;
};

static int
pkg_cmp(const void *a, const void *b)
{
	const struct pkg *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->arch, y->arch);
}

/* Field value of one line ("Name: value") into *dst. */
static void
field(const char *line, size_t len, const char *name, char **dst)
{
	size_t n = strlen(name);
	const char *v;

	if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0)
		return;
	v = line + n + 1;
	while (v < line + len && (*v == ' ' || *v == '\t'))
		v++;
	free(*dst);
	*dst = xstrndup(v, (size_t)(line + len - v));
	while (**dst != '\0' && strchr(" \t\r", (*dst)[strlen(*dst) - 1]))
		(*dst)[strlen(*dst) - 1] = '\0';
}

static int
installed(const char *status)
{
	const char *sp;

	/* "install ok installed", "hold ok installed", ... */
	if (status == NULL || (sp = strchr(status, ' ')) == NULL)
		return 0;
	return strcmp(sp, " ok installed") == 0;
}

static void
pkg_free(struct pkg *p)
{
	free(p->name);
	free(p->version);
	free(p->arch);
	free(p->source);
	free(p->srcver);
	free(p->status);
	memset(p, 0, sizeof(*p));
}

static int
packages(struct hostrun *h)
{
	struct collect *c = h->c;
	struct tend_err err = { 0 };
	struct buf text = BUF_INIT;
	struct pkg *v = NULL, cur;
	const char *p, *end, *nl;
	size_t n = 0, i;
	int rc = 0;

	if (read_file(rooted(h, "/var/lib/dpkg/status"), &text, (size_t)1 << 30,
	    &err) < 0) {
		warnx("%s", err.msg);
		cli_fail(&c->cli, err.code);
		return -1;
	}
	memset(&cur, 0, sizeof(cur));
	p = text.p != NULL ? text.p : "";
	end = p + text.len;
	for (;; p = nl + 1) {
		size_t len;

		nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
		if (nl == NULL)
			nl = end;
		len = (size_t)(nl - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len == 0 || p >= end) {
			/* a stanza ends */
			if (cur.name != NULL && installed(cur.status) &&
			    cur.version != NULL) {
				if (cur.arch == NULL)
					cur.arch = xstrdup("");
				v = xreallocarray(v, n + 1, sizeof(*v));
				v[n++] = cur;
				memset(&cur, 0, sizeof(cur));
			} else
				pkg_free(&cur);
			if (p >= end)
				break;
			continue;
		}
		if (*p == ' ' || *p == '\t')
			continue;
		field(p, len, "Package", &cur.name);
		field(p, len, "Status", &cur.status);
		field(p, len, "Version", &cur.version);
		field(p, len, "Architecture", &cur.arch);
		field(p, len, "Source", &cur.source);
	}
	buf_release(&text);
	if (n > 0)
		qsort(v, n, sizeof(*v), pkg_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(v[i].name, v[i - 1].name) == 0)
			v[i].qualify = v[i - 1].qualify = 1;
	for (i = 0; i < n && rc == 0; i++) {
		struct pkg *k = &v[i];
		char *paren;

		/* Source: name [(version)] */
		if (k->source != NULL && (paren = strchr(k->source, '(')) !=
		    NULL) {
			char *close = strchr(paren, ')');

			k->srcver = xstrndup(paren + 1, close != NULL ?
			    (size_t)(close - paren - 1) : strlen(paren + 1));
			while (paren > k->source && paren[-1] == ' ')
				paren--;
			*paren = '\0';
		}
		buf_reset(&h->obj);
		buf_adds(&h->obj, "{\"package\":");
		add_jstr(&h->obj, k->name, strlen(k->name));
		buf_adds(&h->obj, ",\"version\":");
		add_jstr(&h->obj, k->version, strlen(k->version));
		buf_adds(&h->obj, ",\"architecture\":");
		add_jstr(&h->obj, k->arch, strlen(k->arch));
		buf_adds(&h->obj, ",\"source\":");
		add_jstr(&h->obj, k->source != NULL ? k->source : k->name,
		    strlen(k->source != NULL ? k->source : k->name));
		buf_adds(&h->obj, ",\"source_version\":");
		add_jstr(&h->obj, k->srcver != NULL ? k->srcver : k->version,
		    strlen(k->srcver != NULL ? k->srcver : k->version));
		buf_adds(&h->obj, ",\"status\":");
		add_jstr(&h->obj, k->status, strlen(k->status));
		buf_addc(&h->obj, '}');
		buf_reset(&h->name);
		add_utf8(&h->name, k->name, strlen(k->name));
		if (k->qualify && *k->arch != '\0')
			buf_addf(&h->name, ":%s", k->arch);
		collect_progress(c, "packages (%zu/%zu)", i + 1, n);
		rc = emit(h, "package", h->name.p);
	}
	for (i = 0; i < n; i++)
		pkg_free(&v[i]);
	free(v);
	return rc;
}

/* sockets */

struct sock {
	int	 tcp;		/* else udp */
	int	 v6;
	unsigned char addr[16];
	unsigned port;
	unsigned long uid;
	unsigned long long inode;
	long	 pid;		/* lowest owner, or -1 */
	char	 comm[64];
};

struct owner {
	unsigned long long inode;
	long	 pid;
};

static int
sock_cmp(const void *a, const void *b)
{
	const struct sock *x = a, *y = b;
	int c;

	if (x->tcp != y->tcp)
		return y->tcp - x->tcp;
	if (x->v6 != y->v6)
		return x->v6 - y->v6;
	if ((c = memcmp(x->addr, y->addr, 16)) != 0)
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	return 0;
}

static int
owner_cmp(const void *a, const void *b)
{
	const struct owner *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int
hexval(const char *s, size_t n, uint32_t *out)
{
	size_t i;
	uint32_t v = 0;

	for (i = 0; i < n; i++) {
		char ch = s[i];

		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= (uint32_t)(ch - '0');
		else if (ch >= 'A' && ch <= 'F')
			v |= (uint32_t)(ch - 'A' + 10);
		else if (ch >= 'a' && ch <= 'f')
			v |= (uint32_t)(ch - 'a' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* "0100007F:0035" (the kernel prints each 32-bit word in host order). */
static int
parse_addr(const char *s, int v6, unsigned char *addr, unsigned *port)
{
	size_t words = v6 ? 4 : 1, i;
	uint32_t w, p;

	memset(addr, 0, 16);
	for (i = 0; i < words; i++) {
		if (hexval(s + 8 * i, 8, &w) < 0)
			return -1;
		memcpy(addr + 4 * i, &w, 4);
	}
	s += 8 * words;
	if (*s != ':' || hexval(s + 1, 4, &p) < 0)
		return -1;
	*port = p;
	return 0;
}

static void
proc_table(struct hostrun *h, const char *file, int tcp, int v6,
    struct sock **v, size_t *n)
{
	struct tend_err err = { 0 };
	struct buf text = BUF_INIT;
	const char *p, *end, *nl;
	int first = 1;

	if (read_file(rooted(h, file), &text, (size_t)1 << 30, &err) < 0) {
		buf_release(&text);
		return;		/* no IPv6, say */
	}
	p = text.p != NULL ? text.p : "";
	end = p + text.len;
	for (; p < end; p = nl + 1) {
		char local[64], remote[64];
		unsigned st;
		unsigned long uid;
		unsigned long long inode;
		unsigned char raddr[16];
		unsigned rport;
		struct sock s;
		char line[512];
		size_t len;

		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (first) {
			first = 0;
			continue;
		}
		len = (size_t)(nl - p);
		if (len >= sizeof(line))
			continue;
		memcpy(line, p, len);
		line[len] = '\0';
		if (sscanf(line, "%*s %63s %63s %x %*s %*s %*s %lu %*s %llu",
		    local, remote, &st, &uid, &inode) != 5)
			continue;
		memset(&s, 0, sizeof(s));
		s.tcp = tcp;
		s.v6 = v6;
		s.uid = uid;
		s.inode = inode;
		s.pid = -1;
		if (parse_addr(local, v6, s.addr, &s.port) < 0 ||
		    parse_addr(remote, v6, raddr, &rport) < 0)
			continue;
		if (tcp && st != 0x0A)
			continue;
		if (!tcp && (st != 0x07 || s.port == 0 || rport != 0))
			continue;
		*v = xreallocarray(*v, *n + 1, sizeof(**v));
		(*v)[(*n)++] = s;
	}
	buf_release(&text);
}

/* Which processes hold which socket inodes, as far as we may look. */
static struct owner *
owners(struct hostrun *h, size_t *n)
{
	struct owner *o = NULL;
	struct buf fdir = BUF_INIT, link = BUF_INIT;
	struct dirent *e, *f;
	DIR *proc, *fds;
	char target[128];
	ssize_t len;

	*n = 0;
	if ((proc = opendir(rooted(h, "/proc"))) == NULL)
		return NULL;
	while ((e = readdir(proc)) != NULL) {
		char *endp;
		long pid = strtol(e->d_name, &endp, 10);

		if (*endp != '\0' || pid <= 0)
			continue;
		buf_reset(&fdir);
		buf_addf(&fdir, "%s/proc/%ld/fd", h->root, pid);
		if ((fds = opendir(fdir.p)) == NULL)
			continue;
		while ((f = readdir(fds)) != NULL) {
			unsigned long long inode;

			if (f->d_name[0] == '.')
				continue;
			buf_reset(&link);
			buf_addf(&link, "%s/%s", fdir.p, f->d_name);
			len = readlink(link.p, target, sizeof(target) - 1);
			if (len <= 0)
				continue;
			target[len] = '\0';
			if (sscanf(target, "socket:[%llu]", &inode) != 1)
				continue;
			o = xreallocarray(o, *n + 1, sizeof(*o));
			o[*n].inode = inode;
			o[(*n)++].pid = pid;
		}
		closedir(fds);
	}
	closedir(proc);
	buf_release(&fdir);
	buf_release(&link);
	if (*n > 0)
		qsort(o, *n, sizeof(*o), owner_cmp);
	return o;
}

static void
find_owner(struct hostrun *h, const struct owner *o, size_t n,
    struct sock *s)
{
	struct tend_err err = { 0 };
	struct buf comm = BUF_INIT, path = BUF_INIT;
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (o[mid].inode < s->inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= n || o[lo].inode != s->inode || s->inode == 0)
		return;
	s->pid = o[lo].pid;	/* the lowest: sorted by pid within inode */
	buf_addf(&path, "%s/proc/%ld/comm", h->root, s->pid);
	if (read_file(path.p, &comm, 4096, &err) == 0 && comm.len > 0) {
		size_t l = strcspn(comm.p, "\n");

		if (l >= sizeof(s->comm))
			l = sizeof(s->comm) - 1;
		memcpy(s->comm, comm.p, l);
		s->comm[l] = '\0';
	}
	buf_release(&comm);
	buf_release(&path);
}

static int
sockets(struct hostrun *h)
{
	struct sock *v = NULL;
	struct owner *o;
	size_t n = 0, no, i;
	int rc = 0;

	proc_table(h, "/proc/net/tcp", 1, 0, &v, &n);
	proc_table(h, "/proc/net/tcp6", 1, 1, &v, &n);
	proc_table(h, "/proc/net/udp", 0, 0, &v, &n);
	proc_table(h, "/proc/net/udp6", 0, 1, &v, &n);
	if (n == 0) {
		free(v);
		return 0;
	}
	qsort(v, n, sizeof(*v), sock_cmp);
	o = owners(h, &no);
	for (i = 0; i < n; i++)
		find_owner(h, o, no, &v[i]);
	for (i = 0; i < n && rc == 0; i++) {
		char addr[INET6_ADDRSTRLEN];
		struct sock *s = &v[i];

		/* SO_REUSEPORT: one resource for the address, lowest pid */
		if (i > 0 && sock_cmp(s, &v[i - 1]) != 0 &&
		    s->tcp == v[i - 1].tcp && s->v6 == v[i - 1].v6 &&
		    s->port == v[i - 1].port &&
		    memcmp(s->addr, v[i - 1].addr, 16) == 0)
			continue;
		inet_ntop(s->v6 ? AF_INET6 : AF_INET, s->addr, addr,
		    sizeof(addr));
		buf_reset(&h->name);
		buf_addf(&h->name, "%s/%s%s%s:%u", s->tcp ? "tcp" : "udp",
		    s->v6 ? "[" : "", addr, s->v6 ? "]" : "", s->port);
		buf_reset(&h->obj);
		buf_addf(&h->obj, "{\"protocol\":\"%s\",\"family\":\"%s\","
		    "\"address\":\"%s\",\"port\":%u,\"uid\":%lu",
		    s->tcp ? "tcp" : "udp", s->v6 ? "ipv6" : "ipv4", addr,
		    s->port, s->uid);
		if (s->pid > 0) {
			buf_addf(&h->obj, ",\"process\":{\"pid\":%ld,"
			    "\"comm\":", s->pid);
			add_jstr(&h->obj, s->comm, strlen(s->comm));
			buf_addc(&h->obj, '}');
		}
		buf_addc(&h->obj, '}');
		rc = emit(h, "socket", h->name.p);
	}
	free(o);
	free(v);
	return rc;
}

/* sysctl */

struct sysname {
	char	*name;
	int	 must;		/* named exactly: must be readable */
};

static int
sysname_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sysname *)a)->name,
	    ((const struct sysname *)b)->name);
}

static void
sysname_add(struct sysname **v, size_t *n, const char *name, int must)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n].name = xstrdup(name);
	(*v)[(*n)++].must = must;
}

/* sysctl names map '.' to '/' in paths, and a '.' in a file name to '/' */
static void
name_to_path(const char *name, struct buf *out)
{
	for (; *name != '\0'; name++)
		buf_addc(out, *name == '.' ? '/' : *name == '/' ? '.' : *name);
}

static void
sysctl_walk(const char *dir, const char *prefix, struct sysname **names,
    size_t *n, unsigned depth)
{
	struct buf path = BUF_INIT, name = BUF_INIT;
	struct dirent *e;
	struct stat st;
	DIR *d;
	const char *s;

	if (depth > 32 || (d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		buf_reset(&path);
		buf_addf(&path, "%s/%s", dir, e->d_name);
		buf_reset(&name);
		buf_adds(&name, prefix);
		if (name.len > 0)
			buf_addc(&name, '.');
		for (s = e->d_name; *s != '\0'; s++)
			buf_addc(&name, *s == '.' ? '/' : *s);
		if (lstat(path.p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			sysctl_walk(path.p, name.p, names, n, depth + 1);
			continue;
		}
		if (!S_ISREG(st.st_mode) || !(st.st_mode & 0444))
			continue;	/* write-only: nothing to observe */
		sysname_add(names, n, name.p, 0);
	}
	closedir(d);
	buf_release(&path);
	buf_release(&name);
}

static int
sysctls(struct hostrun *h)
{
	struct collect *c = h->c;
	struct tend_err err = { 0 };
	struct buf path = BUF_INIT, val = BUF_INIT, want = BUF_INIT;
	struct sysname *names = NULL;
	struct stat st;
	size_t n = 0, i, k;
	int rc = 0;

	for (i = 0; i < c->sysctls.n; i++) {
		const char *w = c->sysctls.v[i];

		buf_reset(&want);
		buf_adds(&want, w);
		while (want.len > 0 && want.p[want.len - 1] == '.')
			want.p[--want.len] = '\0';
		buf_reset(&path);
		buf_addf(&path, "%s/proc/sys/", h->root);
		name_to_path(want.p != NULL ? want.p : "", &path);
		if (stat(path.p, &st) < 0) {
			if (errno == ENOENT) {
				warnx("--sysctl: no such name '%s'", w);
				cli_fail(&c->cli, TEND_EXIT_INPUT);
			} else {
				warn("--sysctl: '%s'", path.p);
				cli_fail(&c->cli, TEND_EXIT_SYSTEM);
			}
			rc = -1;
			goto out;
		}
		if (S_ISDIR(st.st_mode))
			sysctl_walk(path.p, want.p != NULL ? want.p : "",
			    &names, &n, 0);
		else
			sysname_add(&names, &n, want.p, 1);
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), sysname_cmp);
	for (i = 0; i < n && rc == 0; i = k) {
		const char *name = names[i].name;
		int must = 0;

		/* overlapping prefixes name one value once */
		for (k = i; k < n && strcmp(names[k].name, name) == 0; k++)
			must |= names[k].must;
		buf_reset(&path);
		buf_addf(&path, "%s/proc/sys/", h->root);
		name_to_path(name, &path);
		buf_reset(&val);
		if (read_file(path.p, &val, 1 << 20, &err) < 0) {
			if (!must)
				continue;	/* as sysctl -a skips it */
			warnx("--sysctl: %s", err.msg);
			cli_fail(&c->cli, err.code);
			rc = -1;
			break;
		}
		while (val.len > 0 && val.p[val.len - 1] == '\n')
			val.len--;
		buf_reset(&h->obj);
		buf_adds(&h->obj, "{\"name\":");
		add_jstr(&h->obj, name, strlen(name));
		buf_adds(&h->obj, ",\"value\":");
		add_jstr(&h->obj, val.p != NULL ? val.p : "", val.len);
		buf_addc(&h->obj, '}');
		buf_reset(&h->name);
		add_utf8(&h->name, name, strlen(name));
		rc = emit(h, "sysctl", h->name.p);
	}
out:
	for (i = 0; i < n; i++)
		free(names[i].name);
	free(names);
	buf_release(&path);
	buf_release(&val);
	buf_release(&want);
	return rc;
}

/* files */

static int
one_path(struct hostrun *h, const char *path)
{
	struct collect *c = h->c;
	struct stat st;
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	char pwbuf[4096], grbuf[4096], target[4096];
	const char *full = rooted(h, path);
	const char *type;
	crypto_hash_sha256_state sha;
	unsigned char md[crypto_hash_sha256_BYTES];
	struct buf content = BUF_INIT, fullcopy = BUF_INIT;
	char tmp[65536];
	ssize_t n;
	int fd, rc, text = 1;

	buf_adds(&fullcopy, full);
	buf_reset(&h->obj);
	buf_adds(&h->obj, "{\"path\":");
	add_jstr(&h->obj, path, strlen(path));
	if (lstat(fullcopy.p, &st) < 0) {
		if (errno != ENOENT && errno != ENOTDIR) {
			warn("--file '%s'", path);
			cli_fail(&c->cli, TEND_EXIT_SYSTEM);
			buf_release(&fullcopy);
			return -1;
		}
		buf_adds(&h->obj, ",\"exists\":false}");
		goto emit;
	}
	type = S_ISREG(st.st_mode) ? "file" : S_ISDIR(st.st_mode) ?
	    "directory" : S_ISLNK(st.st_mode) ? "symlink" : "other";
	getpwuid_r(st.st_uid, &pw, pwbuf, sizeof(pwbuf), &pwp);
	getgrgid_r(st.st_gid, &gr, grbuf, sizeof(grbuf), &grp);
	buf_addf(&h->obj, ",\"exists\":true,\"type\":\"%s\",\"mode\":"
	    "\"%04o\",\"uid\":%lu,\"gid\":%lu", type,
	    (unsigned)(st.st_mode & 07777), (unsigned long)st.st_uid,
	    (unsigned long)st.st_gid);
	if (pwp != NULL) {
		buf_adds(&h->obj, ",\"owner\":");
		add_jstr(&h->obj, pwp->pw_name, strlen(pwp->pw_name));
	}
	if (grp != NULL) {
		buf_adds(&h->obj, ",\"group\":");
		add_jstr(&h->obj, grp->gr_name, strlen(grp->gr_name));
	}
	if (S_ISLNK(st.st_mode)) {
		n = readlink(fullcopy.p, target, sizeof(target) - 1);
		if (n >= 0) {
			buf_adds(&h->obj, ",\"target\":");
			add_jstr(&h->obj, target, (size_t)n);
		}
	}
	if (!S_ISREG(st.st_mode)) {
		buf_addc(&h->obj, '}');
		goto emit;
	}
	buf_addf(&h->obj, ",\"size\":%lld", (long long)st.st_size);
	if ((fd = open(fullcopy.p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		warn("--file '%s'", path);
		cli_fail(&c->cli, TEND_EXIT_SYSTEM);
		buf_release(&fullcopy);
		return -1;
	}
	crypto_hash_sha256_init(&sha);
	while ((n = read(fd, tmp, sizeof(tmp))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warn("--file '%s'", path);
			cli_fail(&c->cli, TEND_EXIT_SYSTEM);
			close(fd);
			buf_release(&content);
			buf_release(&fullcopy);
			return -1;
		}
		crypto_hash_sha256_update(&sha, (unsigned char *)tmp,
		    (size_t)n);
		if (text && content.len + (size_t)n <= HOST_FILE_CONTENT_MAX)
			buf_add(&content, tmp, (size_t)n);
		else
			text = 0;
	}
	close(fd);
	crypto_hash_sha256_final(&sha, md);
	buf_adds(&h->obj, ",\"sha256\":\"");
	buf_add_hex(&h->obj, md, sizeof(md));
	buf_addc(&h->obj, '"');
	if (text && (content.len == 0 || (memchr(content.p, '\0',
	    content.len) == NULL && utf8_valid((unsigned char *)content.p,
	    content.len, NULL) == 0))) {
		buf_adds(&h->obj, ",\"content\":");
		buf_add_json_str(&h->obj, content.p != NULL ? content.p : "",
		    content.len);
	}
	buf_addc(&h->obj, '}');
emit:
	buf_release(&content);
	buf_release(&fullcopy);
	buf_reset(&h->name);
	add_utf8(&h->name, path, strlen(path));
	rc = emit(h, "file", h->name.p);
	return rc;
}

static int
files(struct hostrun *h)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < h->c->files.n && rc == 0; i++)
		rc = one_path(h, h->c->files.v[i]);
	return rc;
}

int
src_host(struct collect *c, int argc, char **argv)
{
	struct hostrun h;
	size_t i;
	int rc = 0;

	(void)argv;
	if (argc != 0) {
		warnx("host: takes no operands (see --packages, --sockets, "
		    "--sysctl, --file)");
		cli_usage_error(&c->cli);
	}
	for (i = 0; i < c->files.n; i++)
		if (c->files.v[i][0] != '/') {
			warnx("--file '%s': not an absolute path",
			    c->files.v[i]);
			exit(TEND_EXIT_USAGE);
		}
	if (!c->packages && !c->sockets && c->sysctls.n == 0 &&
	    c->files.n == 0)
		c->packages = c->sockets = 1;
	memset(&h, 0, sizeof(h));
	h.c = c;
	h.root = c->root != NULL ? c->root : "";
	/* "/" and "dir/" name the same trees as "" and "dir" */
	if (c->root != NULL) {
		char *r = xstrdup(c->root);
		size_t l = strlen(r);

		while (l > 0 && r[l - 1] == '/')
			r[--l] = '\0';
		strv_add_owned(c, r);
		h.root = r;
	}
	host_scope(&h);
	if (c->packages)
		rc = packages(&h);
	if (rc == 0 && c->sockets)
		rc = sockets(&h);
	if (rc == 0 && c->sysctls.n > 0)
		rc = sysctls(&h);
	if (rc == 0 && c->files.n > 0)
		rc = files(&h);
	buf_release(&h.scope);
	buf_release(&h.path);
	buf_release(&h.obj);
	buf_release(&h.name);
	return rc;
}
