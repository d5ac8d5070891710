/*
 * file.c: the file executor.  Writes content (or the result of a JSON
 * Patch applied to the JSON file there) atomically: a temporary file in
 * the same directory, written, given its owner and mode, fsync'd, then
 * renamed over the target, and the directory fsync'd, so a crash leaves
 * the old file or the new one, never a mix.  The previous content is
 * kept as a hard link .NAME.tend-prev beside it (configuration
 * file.backup).  Only in the directories of the configuration's
 * file.allow (resolved: a symlinked directory does not lead out), and
 * never through a symlink at the target itself.
 *
 * Executor members: path (absolute), content (a string) or patch (RFC
 * 6902), mode ("0644"), owner, group (names).  With neither content nor
 * patch only mode, owner and group are set.
 */
#include "compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <unistd.h>

#include <sodium.h>

#include "apply.h"
#include "jsonpatch.h"
#include "xmalloc.h"

#define FILE_MAX	((size_t)64 << 20)

struct fspec {
	char	 dir[PATH_MAX];		/* as written */
	char	 name[NAME_MAX + 1];
	const char *path;
	int64_t	 content, patch;	/* tokens, -1: absent */
	int	 has_mode;
	mode_t	 mode;
	int	 has_uid, has_gid;
	uid_t	 uid;
	gid_t	 gid;
	struct buf pathbuf;
};

static void
fspec_release(struct fspec *f)
{
	buf_release(&f->pathbuf);
}

static int
path_ok(const char *p)
{
	const char *c = p;
	size_t n;

	if (*p != '/' || p[1] == '\0' || p[strlen(p) - 1] == '/')
		return 0;
	while (*c == '/') {
		c++;
		n = strcspn(c, "/");
		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		c += n;
	}
	return 1;
}

static int
lookup_uid(const char *name, uid_t *uid)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];

	if (getpwnam_r(name, &pw, tmp, sizeof(tmp), &res) != 0 ||
	    res == NULL)
		return -1;
	*uid = pw.pw_uid;
	return 0;
}

static int
lookup_gid(const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	char tmp[4096];

	if (getgrnam_r(name, &gr, tmp, sizeof(tmp), &res) != 0 ||
	    res == NULL)
		return -1;
	*gid = gr.gr_gid;
	return 0;
}

static int
fspec_parse(const struct action *a, struct fspec *f, struct buf *why)
{
	const struct json_doc *d = a->d;
	struct buf b = BUF_INIT;
	const char *slash;
	int64_t t;
	int rc = -1;

	memset(f, 0, sizeof(*f));
	if (obj_str(d, a->ex, "path", &f->pathbuf) < 0 ||
	    strlen(f->pathbuf.p) != f->pathbuf.len ||
	    !path_ok(f->pathbuf.p) || f->pathbuf.len >= PATH_MAX) {
		buf_adds(why, "executor/path: missing, or not a plain "
		    "absolute path (no '.', '..' or '//')");
		goto out;
	}
	f->path = f->pathbuf.p;
	slash = strrchr(f->path, '/');
	if (strlen(slash + 1) > NAME_MAX) {
		buf_adds(why, "executor/path: file name too long");
		goto out;
	}
	memcpy(f->dir, f->path, (size_t)(slash - f->path));
	f->dir[slash - f->path] = '\0';
	if (f->dir[0] == '\0')
		strlcpy(f->dir, "/", sizeof(f->dir));
	strlcpy(f->name, slash + 1, sizeof(f->name));
	f->content = obj_get(d, a->ex, "content");
	f->patch = obj_get(d, a->ex, "patch");
	if (f->content >= 0 && d->tok[f->content].type != JSON_STRING) {
		buf_adds(why, "executor/content: not a string");
		goto out;
	}
	if (f->patch >= 0 && d->tok[f->patch].type != JSON_ARRAY) {
		buf_adds(why, "executor/patch: not a JSON Patch (an array)");
		goto out;
	}
	if (f->content >= 0 && f->patch >= 0) {
		buf_adds(why, "executor: content and patch are exclusive");
		goto out;
	}
	if ((t = obj_get(d, a->ex, "mode")) >= 0) {
		char *end;
		long m;

		if (obj_str(d, a->ex, "mode", &b) < 0 || b.len < 3 ||
		    b.len > 4 || strspn(b.p, "01234567") != b.len) {
			buf_adds(why, "executor/mode: not an octal mode "
			    "string (\"0644\")");
			goto out;
		}
		m = strtol(b.p, &end, 8);
		f->has_mode = 1;
		f->mode = (mode_t)m;
	}
	if (obj_get(d, a->ex, "owner") >= 0) {
		if (obj_str(d, a->ex, "owner", &b) < 0 ||
		    lookup_uid(b.p, &f->uid) < 0) {
			buf_addf(why, "executor/owner: no such user '%s'",
			    b.p != NULL ? b.p : "");
			goto out;
		}
		f->has_uid = 1;
	}
	if (obj_get(d, a->ex, "group") >= 0) {
		if (obj_str(d, a->ex, "group", &b) < 0 ||
		    lookup_gid(b.p, &f->gid) < 0) {
			buf_addf(why, "executor/group: no such group '%s'",
			    b.p != NULL ? b.p : "");
			goto out;
		}
		f->has_gid = 1;
	}
	if (f->content < 0 && f->patch < 0 && !f->has_mode && !f->has_uid &&
	    !f->has_gid) {
		buf_adds(why, "executor: says nothing to change (content, "
		    "patch, mode, owner or group)");
		goto out;
	}
	rc = 0;
out:
	buf_release(&b);
	return rc;
}

/* Is the directory (resolved) inside one of file.allow?  1, 0, or -1
   when it cannot be resolved (why says so). */
static int
dir_allowed(const struct apply_conf *conf, const char *dir, struct buf *why)
{
	char real[PATH_MAX];
	size_t i, n;

	if (realpath(dir, real) == NULL) {
		buf_addf(why, "cannot resolve '%s': %s", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < conf->nfile_allow; i++) {
		n = strlen(conf->file_allow[i]);
		if (strncmp(real, conf->file_allow[i], n) == 0 &&
		    (real[n] == '\0' || real[n] == '/' ||
		    strcmp(conf->file_allow[i], "/") == 0))
			return 1;
	}
	return 0;
}

static int
file_check(const struct apply_conf *conf, const struct action *a,
    struct buf *why, int *not_allowed)
{
	struct fspec f;
	int rc = -1, r;

	*not_allowed = 0;
	if (fspec_parse(a, &f, why) < 0)
		goto out;
	r = dir_allowed(conf, f.dir, why);
	if (r <= 0) {
		*not_allowed = 1;
		if (r == 0)
			buf_addf(why, "'%s' is not in a directory of "
			    "file.allow", f.path);
		goto out;
	}
	rc = 0;
out:
	fspec_release(&f);
	return rc;
}

/* Reads name in dirfd (no symlinks): 1 with its bytes and stat, 0 when
   absent, -1 with why. */
static int
read_at(int dirfd, const char *path, const char *name, struct buf *out,
    struct stat *st, struct buf *why)
{
	char tmp[65536];
	ssize_t n;
	int fd;

	buf_reset(out);
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 && errno == ELOOP) {
		buf_addf(why, "'%s' is a symbolic link: refused", path);
		return -1;
	}
	if (fd < 0) {
		buf_addf(why, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		buf_addf(why, "'%s' is not a regular file", path);
		close(fd);
		return -1;
	}
	for (;;) {
		n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			buf_addf(why, "cannot read '%s': %s", path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > FILE_MAX) {
			buf_addf(why, "'%s' is larger than %zu bytes", path,
			    FILE_MAX);
			close(fd);
			return -1;
		}
		buf_add(out, tmp, (size_t)n);
	}
	if (out->p == NULL)
		buf_adds(out, "");
	close(fd);
	return 1;
}

static int
open_dir(const char *dir, struct buf *why)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		buf_addf(why, "cannot open directory '%s': %s", dir,
		    strerror(errno));
	return fd;
}

static int
file_current(const struct apply_conf *conf, const struct action *a,
    struct digests *ds, struct buf *why)
{
	struct buf old = BUF_INIT;
	struct fspec f;
	struct stat st;
	int dfd, rc = -1;

	(void)conf;
	if (fspec_parse(a, &f, why) < 0)
		goto out;
	if ((dfd = open_dir(f.dir, why)) < 0)
		goto out;
	rc = read_at(dfd, f.path, f.name, &old, &st, why);
	close(dfd);
	if (rc == 1)
		digests_of(ds, old.p, old.len);
out:
	fspec_release(&f);
	buf_release(&old);
	return rc;
}

/* The new content: from content, or old patched.  0, or -1 with why. */
static int
new_content(const struct action *a, const struct fspec *f, int exists,
    const struct buf *old, struct buf *out, struct buf *why)
{
	struct jsonpatch_val *v;
	struct tend_err err = { 0 };

	buf_reset(out);
	if (f->content >= 0) {
		json_str_decode(a->d, (uint32_t)f->content, out);
	} else if (f->patch >= 0) {
		if (!exists) {
			buf_addf(why, "'%s' does not exist: nothing to patch",
			    f->path);
			return -1;
		}
		if ((v = jsonpatch_val_parse(old->p, old->len, &err)) == NULL) {
			buf_addf(why, "'%s' is not JSON: %s", f->path,
			    err.msg);
			return -1;
		}
		if (jsonpatch_apply(&v, a->d, (uint32_t)f->patch, &err) < 0) {
			buf_addf(why, "the patch does not apply to '%s': %s",
			    f->path, err.msg);
			jsonpatch_val_free(v);
			return -1;
		}
		jsonpatch_val_write(v, out);
		buf_addc(out, '\n');
		jsonpatch_val_free(v);
	} else
		buf_add(out, old->p, old->len);
	if (out->p == NULL)
		buf_adds(out, "");
	return 0;
}

static void
add_mode(struct buf *b, mode_t m)
{
	buf_addf(b, "\"%04o\"", (unsigned)(m & 07777));
}

static void
file_describe(const struct apply_conf *conf, const struct action *a,
    struct buf *would)
{
	struct buf why = BUF_INIT, old = BUF_INIT, nu = BUF_INIT,
	    diff = BUF_INIT;
	struct fspec f;
	struct stat st;
	int dfd, exists = 0;

	(void)conf;
	if (fspec_parse(a, &f, &why) < 0)
		BUG("describing an unchecked action");
	buf_adds(would, "{\"path\":");
	add_text(would, f.path, strlen(f.path), SIZE_MAX);
	if ((dfd = open_dir(f.dir, &why)) >= 0) {
		exists = read_at(dfd, f.path, f.name, &old, &st, &why);
		close(dfd);
	}
	if (dfd >= 0 && exists >= 0 &&
	    new_content(a, &f, exists, &old, &nu, &why) == 0) {
		if (f.content >= 0 || f.patch >= 0) {
			text_diff(&diff, f.path, exists ? old.p : "",
			    exists ? old.len : 0, nu.p, nu.len);
			buf_adds(would, ",\"diff\":");
			add_text(would, diff.p != NULL ? diff.p : "",
			    diff.len, SIZE_MAX);
			if (!exists)
				buf_adds(would, ",\"create\":true");
		}
	} else {
		buf_adds(would, ",\"error\":");
		add_text(would, why.p, why.len, SIZE_MAX);
	}
	if (f.has_mode) {
		buf_adds(would, ",\"mode\":");
		add_mode(would, f.mode);
	}
	if (f.has_uid)
		buf_addf(would, ",\"uid\":%u", (unsigned)f.uid);
	if (f.has_gid)
		buf_addf(would, ",\"gid\":%u", (unsigned)f.gid);
	buf_addc(would, '}');
	fspec_release(&f);
	buf_release(&why);
	buf_release(&old);
	buf_release(&nu);
	buf_release(&diff);
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Owner and mode onto fd: what the action asks, else what the old file
   had (its owner only where we may give it). */
static int
set_attrs(int fd, const struct fspec *f, int exists, const struct stat *st,
    mode_t um)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	mode_t mode;

	if (f->has_uid)
		uid = f->uid;
	else if (exists && st->st_uid != geteuid() && geteuid() == 0)
		uid = st->st_uid;
	if (f->has_gid)
		gid = f->gid;
	else if (exists && geteuid() == 0)
		gid = st->st_gid;
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) < 0)
		return -1;
	if (f->has_mode)
		mode = f->mode;
	else if (exists)
		mode = st->st_mode & 07777;
	else
		mode = 0666 & ~um;
	/* after fchown, which clears set-id bits */
	return fchmod(fd, mode);
}

static void
file_run(const struct apply_conf *conf, const struct action *a,
    struct outcome *o)
{
	struct buf why = BUF_INIT, old = BUF_INIT, nu = BUF_INIT,
	    tmpname = BUF_INIT, bak = BUF_INIT;
	struct fspec f;
	struct stat st, nst;
	unsigned char md[32];
	int dfd = -1, fd = -1, exists, changed, r, i;

	o->ok = 0;
	memset(&st, 0, sizeof(st));
	if (fspec_parse(a, &f, &why) < 0)
		BUG("running an unchecked action");
	/* again: the directory may have moved since the check */
	if ((r = dir_allowed(conf, f.dir, &why)) <= 0) {
		if (r == 0)
			buf_addf(&why, "'%s' is not in a directory of "
			    "file.allow", f.path);
		goto fail;
	}
	if ((dfd = open_dir(f.dir, &why)) < 0)
		goto fail;
	if ((exists = read_at(dfd, f.path, f.name, &old, &st, &why)) < 0)
		goto fail;
	if (f.content < 0 && f.patch < 0 && !exists) {
		buf_addf(&why, "'%s' does not exist", f.path);
		goto fail;
	}
	if (new_content(a, &f, exists, &old, &nu, &why) < 0)
		goto fail;
	if (f.content < 0 && f.patch < 0) {
		/* attributes only, in place */
		if ((fd = openat(dfd, f.name, O_RDONLY | O_CLOEXEC |
		    O_NOFOLLOW)) < 0 ||
		    set_attrs(fd, &f, 1, &st, conf->umask) < 0 ||
		    fsync(fd) < 0) {
			buf_addf(&why, "cannot set the owner or mode of "
			    "'%s': %s", f.path, strerror(errno));
			goto fail;
		}
		changed = 1;
		goto done;
	}
	changed = !exists || old.len != nu.len ||
	    memcmp(old.p, nu.p, nu.len) != 0 ||
	    (f.has_mode && (st.st_mode & 07777) != f.mode) ||
	    (f.has_uid && st.st_uid != f.uid) ||
	    (f.has_gid && st.st_gid != f.gid);
	if (!changed)
		goto done;
	for (i = 0; i < 100 && fd < 0; i++) {
		buf_reset(&tmpname);
		buf_addf(&tmpname, ".%s.tend-%08x", f.name, arc4random());
		fd = openat(dfd, tmpname.p, O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		buf_addf(&why, "cannot create a temporary file in '%s': %s",
		    f.dir, strerror(errno));
		goto fail;
	}
	if (write_all(fd, nu.p, nu.len) < 0 ||
	    set_attrs(fd, &f, exists, &st, conf->umask) < 0 || fsync(fd) < 0 ||
	    fstat(fd, &nst) < 0) {
		buf_addf(&why, "cannot write '%s/%s': %s", f.dir, tmpname.p,
		    strerror(errno));
		unlinkat(dfd, tmpname.p, 0);
		goto fail;
	}
	if (exists && conf->file_backup) {
		buf_addf(&bak, ".%s.tend-prev", f.name);
		if ((unlinkat(dfd, bak.p, 0) < 0 && errno != ENOENT) ||
		    linkat(dfd, f.name, dfd, bak.p, 0) < 0) {
			buf_addf(&why, "cannot keep the previous content as "
			    "'%s/%s': %s", f.dir, bak.p, strerror(errno));
			unlinkat(dfd, tmpname.p, 0);
			goto fail;
		}
	}
	if (renameat(dfd, tmpname.p, dfd, f.name) < 0) {
		buf_addf(&why, "cannot rename over '%s': %s", f.path,
		    strerror(errno));
		unlinkat(dfd, tmpname.p, 0);
		goto fail;
	}
	if (fsync(dfd) < 0) {
		buf_addf(&why, "cannot fsync directory '%s': %s", f.dir,
		    strerror(errno));
		goto fail;
	}
done:
	o->ok = 1;
	buf_adds(&o->result, "{\"path\":");
	add_text(&o->result, f.path, strlen(f.path), SIZE_MAX);
	buf_addf(&o->result, ",\"changed\":%s", changed ? "true" : "false");
	buf_addf(&o->result, ",\"bytes\":%zu", nu.len);
	crypto_hash_sha256(md, (const unsigned char *)nu.p, nu.len);
	buf_adds(&o->result, ",\"digest\":\"");
	digest_add(&o->result, md);
	buf_addc(&o->result, '"');
	if (exists) {
		crypto_hash_sha256(md, (const unsigned char *)old.p, old.len);
		buf_adds(&o->result, ",\"previous_digest\":\"");
		digest_add(&o->result, md);
		buf_addc(&o->result, '"');
	}
	if (bak.len > 0) {
		buf_adds(&o->result, ",\"backup\":");
		buf_reset(&why);
		buf_addf(&why, "%s%s%s", f.dir, strcmp(f.dir, "/") == 0 ? "" :
		    "/", bak.p);
		add_text(&o->result, why.p, why.len, SIZE_MAX);
	}
	buf_addc(&o->result, '}');
	goto out;
fail:
	buf_add(&o->error, why.p != NULL ? why.p : "", why.len);
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	fspec_release(&f);
	buf_release(&why);
	buf_release(&old);
	buf_release(&nu);
	buf_release(&tmpname);
	buf_release(&bak);
}

const struct executor executor_file = {
	"file", 0, file_check, file_current, file_describe, file_run,
};
