/*
 * gen: a deterministic fleet for `make bench` (not installed, not a test).
 *
 * usage: gen [--kind observed|state|drift|proposed] [--modify PCT]
 *            [--add PCT] [--remove PCT] [--seed S] N
 *
 * Writes N NDJSON tend events to stdout, one resource each: Kubernetes
 * Deployments, Services and ConfigMaps with the noise an API server adds
 * (managedFields, uid, resourceVersion, generation, status), and host
 * records (packages, sysctl keys, listening sockets, files).  Strings hold
 * escapes, raw and escaped non-ASCII; host records hold floats, negative
 * numbers and integers past 2^63 (one in 1,000 past 2^64), so parsers
 * see more than ASCII and small integers.
 *
 * Every value is a function of (seed, resource index) only, through a
 * splitmix64 stream per resource and part, so the same arguments give the
 * same bytes on every machine, and the state of a resource is the same
 * whether it is written as observed, state, drift or proposed.
 *
 * With --modify, --add or --remove the output is a later snapshot of the
 * same fleet: of the N resources, exactly PCT percent (to 0.01 percent per
 * 10,000 resources) are left out or changed (image tag, replicas or an env
 * value; the matching field of the other kinds), and N*PCT/100 new ones
 * are appended.  Exits 2 on a usage error, 4 when writing fails.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_OBSERVED, K_STATE, K_DRIFT, K_PROPOSED };

enum rtype {
	R_DEPLOY, R_SERVICE, R_CONFIGMAP, R_PACKAGE, R_SYSCTL, R_SOCKET,
	R_FILE,
};

/* Which field a modified resource changes; 0 for an unchanged one. */
#define MOD_IMAGE	1
#define MOD_REPLICAS	2
#define MOD_ENV		4

/* Independent streams per resource, so parts can be written in any order. */
enum part {
	P_TYPE, P_META, P_SPEC, P_STATUS, P_NOISE, P_ID, P_DIGEST, P_MOD,
};

#define DEPTH_MAX	32
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* A JSON writer that places commas itself. */
struct w {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 depth;
	int	 after_key;
	unsigned char first[DEPTH_MAX];
};

struct res {
	uint64_t	 i;
	uint64_t	 seed;
	enum rtype	 type;
	int		 mod;
	char		 name[64];
	char		 ns[32];	/* k8s namespace or host name */
	char		 subject[160];
	const char	*app;		/* k8s: the name's prefix */
	const char	*team;
};

static const char *apps[] = {
	"web", "api", "worker", "cache", "ingest", "billing", "search",
	"auth", "cart", "checkout", "notify", "report",
};

static const char *teams[] = {
	"payments", "platform", "search", "growth", "data", "identity",
};

static const char *roles[] = { "web", "db", "cache", "batch" };

static const char *packages[] = {
	"openssl", "libssl3", "openssh-server", "openssh-client", "nginx",
	"curl", "libcurl4", "bash", "coreutils", "systemd", "libc6", "zlib1g",
	"libzstd1", "liblzma5", "sudo", "tzdata", "ca-certificates", "gnupg",
	"gpgv", "apt", "dpkg", "perl-base", "python3.11", "libpython3.11",
	"git", "vim-tiny", "less", "procps", "iproute2", "iptables",
	"nftables", "rsyslog", "cron", "logrotate", "util-linux", "mount",
	"e2fsprogs", "tar", "gzip", "xz-utils", "bzip2", "libxml2",
	"libxslt1.1", "libsqlite3-0", "libpq5", "postgresql-15",
	"redis-server", "haproxy", "chrony", "dbus", "libglib2.0-0",
	"libnss3", "libgnutls30", "libgcrypt20", "libkrb5-3",
	"libldap-2.5-0", "libpcre2-8-0", "libexpat1", "libyaml-0-2",
	"libjq1", "jq", "libonig5", "unzip", "wget",
};

static const char *sysctl_global[] = {
	"net.ipv4.ip_forward", "net.core.somaxconn", "vm.swappiness",
	"kernel.randomize_va_space", "fs.file-max", "vm.max_map_count",
	"net.ipv4.tcp_syncookies", "kernel.kptr_restrict",
	"net.core.rmem_max", "net.core.wmem_max", "kernel.dmesg_restrict",
	"net.ipv4.tcp_fin_timeout", "fs.inotify.max_user_watches",
	"kernel.pid_max", "vm.overcommit_memory",
	"net.ipv6.conf.all.forwarding",
};

static const char *sysctl_conf[] = {
	"rp_filter", "accept_redirects", "send_redirects",
	"accept_source_route",
	"log_martians", "forwarding", "arp_ignore", "arp_announce",
	"secure_redirects", "proxy_arp", "bootp_relay", "mc_forwarding",
	"shared_media", "arp_filter", "promote_secondaries", "route_localnet",
};

static const char *ifaces[] = { "all", "default", "eth0" };

static const char *procs[] = {
	"nginx", "sshd", "postgres", "redis-server", "haproxy", "chronyd",
	"node_exporter", "containerd", "kubelet", "envoy", "java", "python3",
	"rsyslogd", "systemd-resolve", "dnsmasq", "cupsd",
};

static const unsigned ports[] = {
	80, 443, 22, 5432, 6379, 8080, 123, 9100, 10250, 9901, 8443, 8000,
	514, 53, 5353, 631,
};

static const char *files[] = {
	"/etc/nginx/nginx.conf", "/etc/ssh/sshd_config", "/etc/hosts",
	"/etc/resolv.conf", "/etc/sysctl.conf", "/etc/fstab",
	"/etc/sudoers", "/etc/chrony/chrony.conf", "/etc/rsyslog.conf",
	"/etc/logrotate.conf", "/etc/crontab", "/etc/haproxy/haproxy.cfg",
	"/etc/redis/redis.conf", "/etc/default/grub",
	"/etc/security/limits.conf",
	"/etc/postgresql/15/main/postgresql.conf",
};

static const char *file_dirs[] = {
	"", "/srv/app/current", "/opt/tend/etc", "/var/lib/tend/desired",
};

static const char *hexdig = "0123456789abcdef";

static uint64_t
next(uint64_t *s)
{
	uint64_t z;

	z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The stream of one part of one resource. */
static uint64_t
stream(const struct res *r, enum part p)
{
	uint64_t s;

	s = r->seed ^ (r->i * 0xd1b54a32d192ed03ULL) ^
	    ((uint64_t)p << 56);
	(void)next(&s);
	return s;
}

static unsigned
pick(uint64_t *s, unsigned n)
{
	return (unsigned)(next(s) % n);
}

static void
need(struct w *w, size_t n)
{
	if (w->len + n <= w->cap)
		return;
	while (w->len + n > w->cap)
		w->cap = w->cap ? w->cap * 2 : 1 << 16;
	if ((w->p = realloc(w->p, w->cap)) == NULL) {
		perror("gen");
		exit(4);
	}
}

static void
raw(struct w *w, const char *s, size_t n)
{
	need(w, n);
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void
raws(struct w *w, const char *s)
{
	raw(w, s, strlen(s));
}

static void
rawc(struct w *w, char c)
{
	need(w, 1);
	w->p[w->len++] = c;
}

static void
sep(struct w *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->depth > 0 && !w->first[w->depth])
		rawc(w, ',');
	w->first[w->depth] = 0;
}

static void
push(struct w *w, char c)
{
	sep(w);
	rawc(w, c);
	if (++w->depth >= DEPTH_MAX) {
		fputs("gen: nesting too deep\n", stderr);
		abort();
	}
	w->first[w->depth] = 1;
}

static void
obj(struct w *w)
{
	push(w, '{');
}

static void
arr(struct w *w)
{
	push(w, '[');
}

static void
pop(struct w *w, char c)
{
	rawc(w, c);
	w->depth--;
}

static void
endo(struct w *w)
{
	pop(w, '}');
}

static void
enda(struct w *w)
{
	pop(w, ']');
}

/* s as a JSON string; UTF-8 passes through, control bytes are escaped. */
static void
escape(struct w *w, const char *s, size_t n)
{
	size_t i;
	unsigned char c;

	need(w, n * 6 + 2);
	w->p[w->len++] = '"';
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\') {
			w->p[w->len++] = (char)c;
			continue;
		}
		w->p[w->len++] = '\\';
		switch (c) {
		case '"':
		case '\\':
			w->p[w->len++] = (char)c;
			break;
		case '\n':
			w->p[w->len++] = 'n';
			break;
		case '\t':
			w->p[w->len++] = 't';
			break;
		case '\r':
			w->p[w->len++] = 'r';
			break;
		default:
			w->p[w->len++] = 'u';
			w->p[w->len++] = '0';
			w->p[w->len++] = '0';
			w->p[w->len++] = hexdig[c >> 4];
			w->p[w->len++] = hexdig[c & 15];
		}
	}
	w->p[w->len++] = '"';
}

static void
key(struct w *w, const char *k)
{
	sep(w);
	escape(w, k, strlen(k));
	rawc(w, ':');
	w->after_key = 1;
}

static void
str(struct w *w, const char *s)
{
	sep(w);
	escape(w, s, strlen(s));
}

static void
strf(struct w *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
strf(struct w *w, const char *fmt, ...)
{
	char b[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(b)) {
		fputs("gen: string too long\n", stderr);
		abort();
	}
	sep(w);
	escape(w, b, (size_t)n);
}

/* A string literal whose escapes are already written out. */
static void
lit(struct w *w, const char *escaped)
{
	sep(w);
	rawc(w, '"');
	raws(w, escaped);
	rawc(w, '"');
}

/* A number or true/false/null, written as given. */
static void
num(struct w *w, const char *literal)
{
	sep(w);
	raws(w, literal);
}

static void
digits(struct w *w, uint64_t v)
{
	char b[24];
	int n = (int)sizeof(b);

	do {
		b[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	raw(w, b + n, sizeof(b) - (size_t)n);
}

static void
u64(struct w *w, uint64_t v)
{
	sep(w);
	digits(w, v);
}

static void
i64(struct w *w, int64_t v)
{
	sep(w);
	if (v < 0)
		rawc(w, '-');
	digits(w, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
}

static void
numf(struct w *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
numf(struct w *w, const char *fmt, ...)
{
	char b[128];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	num(w, b);
}

static void
kstr(struct w *w, const char *k, const char *v)
{
	key(w, k);
	str(w, v);
}

static void
kuint(struct w *w, const char *k, uint64_t v)
{
	key(w, k);
	u64(w, v);
}

static void
kobj(struct w *w, const char *k)
{
	key(w, k);
	obj(w);
}

static void
karr(struct w *w, const char *k)
{
	key(w, k);
	arr(w);
}

/* An empty object member, as in managedFields: "f:x":{}. */
static void
kempty(struct w *w, const char *k)
{
	key(w, k);
	obj(w);
	endo(w);
}

static void
hex(struct w *w, uint64_t *s, size_t n)
{
	uint64_t v = 0;
	size_t i;

	need(w, n);
	for (i = 0; i < n; i++) {
		if (i % 16 == 0)
			v = next(s);
		w->p[w->len++] = hexdig[v & 15];
		v >>= 4;
	}
}

static void
hexstr(struct w *w, uint64_t *s, const char *prefix, size_t n)
{
	sep(w);
	rawc(w, '"');
	raws(w, prefix);
	hex(w, s, n);
	rawc(w, '"');
}

static void
uuid(struct w *w, uint64_t *s)
{
	static const size_t parts[] = { 8, 4, 4, 4, 12 };
	size_t i;

	sep(w);
	rawc(w, '"');
	for (i = 0; i < ARRAY_LEN(parts); i++) {
		if (i > 0)
			rawc(w, '-');
		hex(w, s, parts[i]);
	}
	rawc(w, '"');
}

/* An RFC 3339 time in 2025, before the snapshot. */
static void
stamp(struct w *w, uint64_t *s)
{
	uint64_t v = next(s);

	strf(w, "2025-%02u-%02uT%02u:%02u:%02uZ", (unsigned)(v % 12) + 1,
	    (unsigned)(v >> 8) % 28 + 1, (unsigned)(v >> 16) % 24,
	    (unsigned)(v >> 24) % 60, (unsigned)(v >> 32) % 60);
}

static int
is_k8s(const struct res *r)
{
	return r->type <= R_CONFIGMAP;
}

static const char *
type_name(enum rtype t)
{
	static const char *names[] = {
		"Deployment", "Service", "ConfigMap", "package", "sysctl",
		"socket", "file",
	};

	return names[t];
}

/* The resource's identity: its type, names and subject. */
static void
res_init(struct res *r, uint64_t seed, uint64_t i, int mod)
{
	uint64_t s;
	unsigned j = (unsigned)(i % 64), t;
	const char *role;

	memset(r, 0, sizeof(*r));
	r->i = i;
	r->seed = seed;
	r->mod = mod;
	s = stream(r, P_TYPE);
	t = pick(&s, 100);
	if (t < 40)
		r->type = R_DEPLOY;
	else if (t < 52)
		r->type = R_SERVICE;
	else if (t < 64)
		r->type = R_CONFIGMAP;
	else if (t < 80)
		r->type = R_PACKAGE;
	else if (t < 86)
		r->type = R_SYSCTL;
	else if (t < 93)
		r->type = R_SOCKET;
	else
		r->type = R_FILE;
	r->app = apps[pick(&s, ARRAY_LEN(apps))];
	r->team = teams[pick(&s, ARRAY_LEN(teams))];

	if (is_k8s(r)) {
		snprintf(r->ns, sizeof(r->ns), "ns-%u", pick(&s, 64));
		snprintf(r->name, sizeof(r->name), "%s-%" PRIu64, r->app, i);
		snprintf(r->subject, sizeof(r->subject), "k8s:prod/%s/%s/%s/%s",
		    r->type == R_DEPLOY ? "apps" : "core", type_name(r->type),
		    r->ns, r->name);
		return;
	}
	/* Host records: 64 per host, the name unique within the host. */
	role = roles[(i / 64) % ARRAY_LEN(roles)];
	snprintf(r->ns, sizeof(r->ns), "%s-%04" PRIu64, role, i / 64);
	switch (r->type) {
	case R_PACKAGE:
		snprintf(r->name, sizeof(r->name), "%s", packages[j]);
		break;
	case R_SYSCTL:
		if (j < 16)
			snprintf(r->name, sizeof(r->name), "%s",
			    sysctl_global[j]);
		else
			snprintf(r->name, sizeof(r->name),
			    "net.ipv4.conf.%s.%s", ifaces[(j - 16) / 16],
			    sysctl_conf[j % 16]);
		break;
	case R_SOCKET:
		snprintf(r->name, sizeof(r->name), "%s:%s:%u",
		    j / 16 == 2 ? "udp" : "tcp",
		    j / 16 == 1 ? "[::]" : j / 16 == 3 ? "127.0.0.1" :
		    "0.0.0.0", ports[j % 16]);
		break;
	default:
		snprintf(r->name, sizeof(r->name), "%s%s",
		    file_dirs[j / 16], files[j % 16]);
		break;
	}
	snprintf(r->subject, sizeof(r->subject), "host:%s/%s/%s", r->ns,
	    type_name(r->type), r->name);
}

static void
labels(struct w *w, const struct res *r)
{
	uint64_t s = stream(r, P_META);

	obj(w);
	if (is_k8s(r)) {
		kstr(w, "app.kubernetes.io/name", r->app);
		kstr(w, "app.kubernetes.io/instance", r->name);
		kstr(w, "app.kubernetes.io/part-of", "shop");
		kstr(w, "app.kubernetes.io/managed-by", "helm");
		kstr(w, "team", r->team);
		kstr(w, "tier", pick(&s, 2) ? "backend" : "frontend");
		kstr(w, "environment", "prod");
	} else {
		kstr(w, "role", roles[(r->i / 64) % ARRAY_LEN(roles)]);
		kstr(w, "dc", pick(&s, 2) ? "fra1" : "ams3");
		kstr(w, "os", "debian-12");
	}
	endo(w);
}

static unsigned
version_patch(const struct res *r, uint64_t *s)
{
	return pick(s, 20) + ((r->mod & MOD_IMAGE) != 0);
}

static void
container(struct w *w, const struct res *r, uint64_t *s, int main_c)
{
	unsigned major = pick(s, 4) + 1, minor = pick(s, 30);
	unsigned patch = main_c ? version_patch(r, s) : pick(s, 9);
	unsigned port = main_c ? 8080 : 9901;
	unsigned ttl = 60 * (pick(s, 10) + 1);

	obj(w);
	kstr(w, "name", main_c ? r->app : "envoy");
	key(w, "image");
	if (main_c)
		strf(w, "registry.example.com/%s/%s:%u.%u.%u", r->team,
		    r->app, major, minor, patch);
	else
		strf(w, "docker.io/envoyproxy/envoy:v1.%u.%u", minor, patch);
	kstr(w, "imagePullPolicy", "IfNotPresent");
	if (!main_c) {
		karr(w, "args");
		str(w, "--config-path");
		str(w, "/etc/envoy/envoy.yaml");
		str(w, "--log-format");
		lit(w, "[%Y-%m-%d %T.%e][%l] \\\"%v\\\"");
		enda(w);
	}
	karr(w, "ports");
	obj(w);
	kstr(w, "name", main_c ? "http" : "admin");
	kuint(w, "containerPort", port);
	kstr(w, "protocol", "TCP");
	endo(w);
	enda(w);
	if (main_c) {
		karr(w, "env");
		obj(w);
		kstr(w, "name", "LOG_LEVEL");
		kstr(w, "value", pick(s, 4) ? "info" : "warn");
		endo(w);
		obj(w);
		kstr(w, "name", "CACHE_TTL_SECONDS");
		key(w, "value");
		strf(w, "%u", r->mod & MOD_ENV ? ttl * 2 : ttl);
		endo(w);
		obj(w);
		kstr(w, "name", "DB_HOST");
		key(w, "value");
		strf(w, "%s-db.%s.svc.cluster.local", r->app, r->ns);
		endo(w);
		obj(w);
		kstr(w, "name", "GREETING");
		kstr(w, "value", "Gr\xc3\xbc\xc3\x9f" "e aus Z\xc3\xbcrich "
		    "\xe2\x80\x93 \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x9a\x80");
		endo(w);
		obj(w);
		kstr(w, "name", "JAVA_OPTS");
		kstr(w, "value", "-Xms256m -Xmx512m -Dfile.encoding=UTF-8 "
		    "-Dlog.pattern=\"%d{ISO8601} %-5p %c\"");
		endo(w);
		obj(w);
		kstr(w, "name", "DB_PASSWORD");
		kobj(w, "valueFrom");
		kobj(w, "secretKeyRef");
		key(w, "name");
		strf(w, "%s-db", r->name);
		kstr(w, "key", "password");
		endo(w);
		endo(w);
		endo(w);
		obj(w);
		kstr(w, "name", "POD_IP");
		kobj(w, "valueFrom");
		kobj(w, "fieldRef");
		kstr(w, "apiVersion", "v1");
		kstr(w, "fieldPath", "status.podIP");
		endo(w);
		endo(w);
		endo(w);
		enda(w);
	}
	kobj(w, "resources");
	kobj(w, "requests");
	key(w, "cpu");
	strf(w, "%um", 50 * (pick(s, 10) + 1));
	key(w, "memory");
	strf(w, "%uMi", 64 * (pick(s, 8) + 1));
	endo(w);
	kobj(w, "limits");
	kstr(w, "cpu", main_c ? "1" : "500m");
	key(w, "memory");
	strf(w, "%uMi", 128 * (pick(s, 8) + 1));
	endo(w);
	endo(w);
	if (main_c) {
		kobj(w, "readinessProbe");
		kobj(w, "httpGet");
		kstr(w, "path", "/healthz");
		kstr(w, "port", "http");
		kstr(w, "scheme", "HTTP");
		endo(w);
		kuint(w, "initialDelaySeconds", 5);
		kuint(w, "periodSeconds", 10);
		kuint(w, "timeoutSeconds", 1);
		kuint(w, "successThreshold", 1);
		kuint(w, "failureThreshold", 3);
		endo(w);
	}
	kstr(w, "terminationMessagePath", "/dev/termination-log");
	kstr(w, "terminationMessagePolicy", "File");
	endo(w);
}

static unsigned
replicas(const struct res *r)
{
	uint64_t s = stream(r, P_META);

	(void)next(&s);
	return 2 + pick(&s, 6) + ((r->mod & MOD_REPLICAS) ? 2 : 0);
}

static void
deploy_spec(struct w *w, const struct res *r)
{
	uint64_t s = stream(r, P_SPEC);

	obj(w);
	kuint(w, "replicas", replicas(r));
	kuint(w, "revisionHistoryLimit", 10);
	kuint(w, "progressDeadlineSeconds", 600);
	kobj(w, "selector");
	kobj(w, "matchLabels");
	kstr(w, "app.kubernetes.io/name", r->app);
	kstr(w, "app.kubernetes.io/instance", r->name);
	endo(w);
	endo(w);
	kobj(w, "strategy");
	kstr(w, "type", "RollingUpdate");
	kobj(w, "rollingUpdate");
	kstr(w, "maxSurge", "25%");
	kstr(w, "maxUnavailable", "25%");
	endo(w);
	endo(w);
	kobj(w, "template");
	kobj(w, "metadata");
	key(w, "labels");
	labels(w, r);
	kobj(w, "annotations");
	kstr(w, "prometheus.io/scrape", "true");
	kstr(w, "prometheus.io/port", "8080");
	kstr(w, "prometheus.io/path", "/metrics");
	endo(w);
	endo(w);
	kobj(w, "spec");
	karr(w, "containers");
	container(w, r, &s, 1);
	if (pick(&s, 2))
		container(w, r, &s, 0);
	enda(w);
	kstr(w, "restartPolicy", "Always");
	kuint(w, "terminationGracePeriodSeconds", 30);
	kstr(w, "dnsPolicy", "ClusterFirst");
	kstr(w, "serviceAccountName", r->app);
	kobj(w, "securityContext");
	kuint(w, "runAsUser", 10001);
	key(w, "runAsNonRoot");
	num(w, "true");
	endo(w);
	kstr(w, "schedulerName", "default-scheduler");
	endo(w);
	endo(w);
	endo(w);
}

static void
condition(struct w *w, uint64_t *s, const char *type, const char *reason,
    const char *msg)
{
	obj(w);
	kstr(w, "type", type);
	kstr(w, "status", "True");
	key(w, "lastUpdateTime");
	stamp(w, s);
	key(w, "lastTransitionTime");
	stamp(w, s);
	kstr(w, "reason", reason);
	key(w, "message");
	str(w, msg);
	endo(w);
}

static void
deploy_status(struct w *w, const struct res *r)
{
	uint64_t s = stream(r, P_STATUS);
	unsigned n = replicas(r);
	char msg[160];

	obj(w);
	kuint(w, "observedGeneration", 3 + pick(&s, 40));
	kuint(w, "replicas", n);
	kuint(w, "updatedReplicas", n);
	kuint(w, "readyReplicas", n);
	kuint(w, "availableReplicas", n);
	karr(w, "conditions");
	condition(w, &s, "Available", "MinimumReplicasAvailable",
	    "Deployment has minimum availability.");
	snprintf(msg, sizeof(msg), "ReplicaSet \"%s-%08x\" has successfully "
	    "progressed.", r->name, (unsigned)next(&s));
	condition(w, &s, "Progressing", "NewReplicaSetAvailable", msg);
	enda(w);
	endo(w);
}

static void
service_spec(struct w *w, const struct res *r)
{
	uint64_t s = stream(r, P_SPEC);
	unsigned a = pick(&s, 256), b = pick(&s, 256);

	obj(w);
	kstr(w, "type", "ClusterIP");
	key(w, "clusterIP");
	strf(w, "10.96.%u.%u", a, b);
	karr(w, "clusterIPs");
	strf(w, "10.96.%u.%u", a, b);
	enda(w);
	karr(w, "ipFamilies");
	str(w, "IPv4");
	enda(w);
	kstr(w, "ipFamilyPolicy", "SingleStack");
	kstr(w, "internalTrafficPolicy", "Cluster");
	kstr(w, "sessionAffinity", "None");
	karr(w, "ports");
	obj(w);
	kstr(w, "name", "http");
	kstr(w, "protocol", "TCP");
	kuint(w, "port", r->mod & MOD_REPLICAS ? 8080 : 80);
	kstr(w, "targetPort", "http");
	endo(w);
	obj(w);
	kstr(w, "name", "metrics");
	kstr(w, "protocol", "TCP");
	kuint(w, "port", 9090);
	kuint(w, "targetPort", 9090);
	endo(w);
	enda(w);
	kobj(w, "selector");
	kstr(w, "app.kubernetes.io/name", r->app);
	key(w, "app.kubernetes.io/instance");
	if (r->mod & (MOD_IMAGE | MOD_ENV))
		strf(w, "%s-canary", r->name);
	else
		str(w, r->name);
	endo(w);
	endo(w);
}

static void
configmap_data(struct w *w, const struct res *r)
{
	uint64_t s = stream(r, P_SPEC);
	unsigned workers = 1 + pick(&s, 8), v[3];

	obj(w);
	key(w, "app.properties");
	strf(w, "server.port=8080\nserver.workers=%u\nfeature.search=%s\n"
	    "cache.ttl=%u\ncurrency=\xe2\x82\xac\n", workers,
	    pick(&s, 2) ? "true" : "false",
	    r->mod & MOD_ENV ? 900u : 300u);
	key(w, "nginx.conf");
	lit(w, "server {\\n\\tlisten 8080;\\n\\tlocation / {\\n\\t\\t"
	    "proxy_pass http://127.0.0.1:9000;\\n\\t\\tproxy_set_header "
	    "X-Request-Id $request_id;\\n\\t\\tadd_header X-Frame-Options "
	    "\\\"DENY\\\";\\n\\t}\\n\\tlocation = \\/healthz { return 200 "
	    "'ok'; }\\n}\\n");
	key(w, "motd");
	lit(w, "Willkommen \\u2014 \\u6771\\u4eac \\ud83d\\ude80 caf\\u00e9 "
	    "na\\u00efve \\\\server\\\\share");
	key(w, "log-format");
	str(w, "{\"ts\":\"%t\",\"level\":\"%l\",\"msg\":\"%m\"}\t# json");
	v[0] = 1 + pick(&s, 3);
	v[1] = pick(&s, 40);
	v[2] = version_patch(r, &s);
	key(w, "image-tag");
	strf(w, "%u.%u.%u", v[0], v[1], v[2]);
	key(w, "replicas");
	strf(w, "%u", replicas(r));
	endo(w);
}

/* last-applied-configuration: a JSON text inside a string. */
static void
last_applied(struct w *w, const struct res *r)
{
	struct w in = { 0 };

	obj(&in);
	kstr(&in, "apiVersion", r->type == R_DEPLOY ? "apps/v1" : "v1");
	kstr(&in, "kind", type_name(r->type));
	kobj(&in, "metadata");
	kobj(&in, "annotations");
	endo(&in);
	key(&in, "labels");
	labels(&in, r);
	kstr(&in, "name", r->name);
	kstr(&in, "namespace", r->ns);
	endo(&in);
	if (r->type == R_DEPLOY) {
		kobj(&in, "spec");
		kuint(&in, "replicas", replicas(r));
		endo(&in);
	}
	endo(&in);
	sep(w);
	escape(w, in.p, in.len);
	free(in.p);
}

static void
managed_fields(struct w *w, const struct res *r, uint64_t *s)
{
	char ck[64];

	karr(w, "managedFields");
	obj(w);
	kstr(w, "manager", "kubectl-client-side-apply");
	kstr(w, "operation", "Update");
	kstr(w, "apiVersion", r->type == R_DEPLOY ? "apps/v1" : "v1");
	key(w, "time");
	stamp(w, s);
	kstr(w, "fieldsType", "FieldsV1");
	kobj(w, "fieldsV1");
	kobj(w, "f:metadata");
	kobj(w, "f:annotations");
	kempty(w, ".");
	kempty(w, "f:kubectl.kubernetes.io/last-applied-configuration");
	endo(w);
	kobj(w, "f:labels");
	kempty(w, ".");
	kempty(w, "f:app.kubernetes.io/instance");
	kempty(w, "f:app.kubernetes.io/name");
	kempty(w, "f:team");
	kempty(w, "f:tier");
	endo(w);
	endo(w);
	kobj(w, r->type == R_CONFIGMAP ? "f:data" : "f:spec");
	kempty(w, ".");
	if (r->type == R_DEPLOY) {
		kempty(w, "f:progressDeadlineSeconds");
		kempty(w, "f:replicas");
		kempty(w, "f:revisionHistoryLimit");
		kempty(w, "f:selector");
		kobj(w, "f:template");
		kobj(w, "f:spec");
		kobj(w, "f:containers");
		snprintf(ck, sizeof(ck), "k:{\"name\":\"%s\"}", r->app);
		kobj(w, ck);
		kempty(w, ".");
		kempty(w, "f:env");
		kempty(w, "f:image");
		kempty(w, "f:ports");
		endo(w);
		endo(w);
		endo(w);
		endo(w);
	} else if (r->type == R_SERVICE) {
		kempty(w, "f:ports");
		kempty(w, "f:selector");
		kempty(w, "f:type");
	} else {
		kempty(w, "f:app.properties");
		kempty(w, "f:nginx.conf");
	}
	endo(w);
	endo(w);
	endo(w);
	if (r->type == R_DEPLOY) {
		obj(w);
		kstr(w, "manager", "kube-controller-manager");
		kstr(w, "operation", "Update");
		kstr(w, "apiVersion", "apps/v1");
		key(w, "time");
		stamp(w, s);
		kstr(w, "fieldsType", "FieldsV1");
		kobj(w, "fieldsV1");
		kobj(w, "f:metadata");
		kobj(w, "f:annotations");
		kempty(w, "f:deployment.kubernetes.io/revision");
		endo(w);
		endo(w);
		kobj(w, "f:status");
		kempty(w, "f:availableReplicas");
		kempty(w, "f:conditions");
		kempty(w, "f:observedGeneration");
		kempty(w, "f:readyReplicas");
		kempty(w, "f:replicas");
		kempty(w, "f:updatedReplicas");
		endo(w);
		endo(w);
		kstr(w, "subresource", "status");
		endo(w);
	}
	enda(w);
}

static void
k8s_object(struct w *w, const struct res *r)
{
	uint64_t s = stream(r, P_NOISE);
	uint64_t rv = 100000000 + next(&s) % 900000000;

	obj(w);
	kstr(w, "apiVersion", r->type == R_DEPLOY ? "apps/v1" : "v1");
	kstr(w, "kind", type_name(r->type));
	kobj(w, "metadata");
	kstr(w, "name", r->name);
	kstr(w, "namespace", r->ns);
	key(w, "uid");
	uuid(w, &s);
	key(w, "resourceVersion");
	strf(w, "%" PRIu64, rv + (r->mod ? 1000 : 0));
	if (r->type == R_DEPLOY)
		kuint(w, "generation", 3 + pick(&s, 40) + (r->mod != 0));
	key(w, "creationTimestamp");
	stamp(w, &s);
	key(w, "labels");
	labels(w, r);
	kobj(w, "annotations");
	if (r->type == R_DEPLOY) {
		key(w, "deployment.kubernetes.io/revision");
		strf(w, "%u", 1 + pick(&s, 30));
	}
	key(w, "kubectl.kubernetes.io/last-applied-configuration");
	last_applied(w, r);
	key(w, "description");
	lit(w, "Owned by \\\"shop\\\" \\u2014 Z\xc3\xbcrich/\xe6\x9d\xb1\xe4"
	    "\xba\xac on-call \xf0\x9f\x93\x9f; see https:\\/\\/wiki.example"
	    ".com\\/shop");
	endo(w);
	managed_fields(w, r, &s);
	endo(w);
	switch (r->type) {
	case R_DEPLOY:
		key(w, "spec");
		deploy_spec(w, r);
		key(w, "status");
		deploy_status(w, r);
		break;
	case R_SERVICE:
		key(w, "spec");
		service_spec(w, r);
		kobj(w, "status");
		kempty(w, "loadBalancer");
		endo(w);
		break;
	default:
		key(w, "data");
		configmap_data(w, r);
		break;
	}
	endo(w);
}

static void
package_spec(struct w *w, const struct res *r)
{
	uint64_t s = stream(r, P_SPEC);
	unsigned i, n, v[5];

	obj(w);
	kstr(w, "package", r->name);
	key(w, "version");
	for (i = 0; i < ARRAY_LEN(v); i++)
		v[i] = pick(&s, 20);
	strf(w, "%u.%u.%u-%u~deb12u%u", 1 + v[0] % 3, v[1], v[2],
	    1 + v[3] % 3, v[4] + (r->mod != 0));
	kstr(w, "architecture", pick(&s, 5) ? "amd64" : "all");
	kstr(w, "status", "install ok installed");
	kstr(w, "source", r->name);
	kuint(w, "installed_size", 16 + pick(&s, 40000));
	kstr(w, "maintainer", "Debian Maintainers "
	    "<debian-devel@lists.debian.org>");
	kstr(w, "section", "utils");
	kstr(w, "priority", "optional");
	key(w, "homepage");
	strf(w, "https://packages.debian.org/%s", r->name);
	key(w, "description");
	strf(w, "%s \xe2\x80\x93 part of the base system\n This package "
	    "provides \"%s\" for Debian.\n .\n It is maintained by the "
	    "Debian project; na\xc3\xafve users need not care.", r->name,
	    r->name);
	karr(w, "depends");
	str(w, "libc6 (>= 2.34)");
	str(w, "zlib1g (>= 1:1.1.4)");
	str(w, "debconf (>= 0.5) | debconf-2.0");
	enda(w);
	karr(w, "files");
	n = 6 + pick(&s, 10);
	for (i = 0; i < n; i++) {
		obj(w);
		key(w, "path");
		strf(w, "/usr/share/doc/%s/file-%u.txt", r->name, i);
		key(w, "md5");
		hexstr(w, &s, "", 32);
		endo(w);
	}
	enda(w);
	endo(w);
}

static void
sysctl_spec(struct w *w, const struct res *r)
{
	uint64_t s = stream(r, P_SPEC);
	unsigned v = pick(&s, 3);

	obj(w);
	kstr(w, "key", r->name);
	key(w, "value");
	strf(w, "%u", r->mod ? v + 1 : v);
	key(w, "path");
	strf(w, "/proc/sys/%s", r->name);
	kstr(w, "source", "/etc/sysctl.d/99-tend.conf");
	key(w, "writable");
	num(w, "true");
	key(w, "default");
	num(w, pick(&s, 2) ? "null" : "0");
	endo(w);
}

static void
socket_spec(struct w *w, const struct res *r)
{
	uint64_t s = stream(r, P_SPEC);
	const char *p = procs[r->i % 16];
	unsigned pid = 300 + pick(&s, 60000);

	obj(w);
	kstr(w, "proto", strncmp(r->name, "udp", 3) == 0 ? "udp" : "tcp");
	kstr(w, "local", strchr(r->name, ':') + 1);
	kstr(w, "state", "LISTEN");
	kstr(w, "process", r->mod ? "socat" : p);
	kuint(w, "pid", pid);
	key(w, "cmdline");
	strf(w, "/usr/sbin/%s -c \"/etc/%s/%s.conf\" --pid-file=/run/%s.pid",
	    p, p, p, p);
	kuint(w, "uid", pick(&s, 3) ? 0 : 998);
	key(w, "inode");
	u64(w, next(&s) >> 20);
	key(w, "netns");
	u64(w, 4026531840u + pick(&s, 8));
	key(w, "cgroup");
	strf(w, "/system.slice/%s.service", p);
	key(w, "backlog");
	u64(w, 511);
	endo(w);
}

static void
file_spec(struct w *w, const struct res *r)
{
	uint64_t s = stream(r, P_SPEC);
	unsigned workers;

	obj(w);
	kstr(w, "path", r->name);
	kstr(w, "type", "regular");
	kstr(w, "mode", r->mod ? "0666" : "0644");
	kstr(w, "owner", "root");
	kstr(w, "group", "root");
	kuint(w, "size", 200 + pick(&s, 4000));
	key(w, "sha256");
	hexstr(w, &s, "", 64);
	workers = 1 + pick(&s, 8);
	key(w, "content");
	strf(w, "# managed by tend \xe2\x80\x94 do not edit\n"
	    "user www-data;\nworker_processes %u;\n"
	    "events {\n\tworker_connections %u;\n}\n"
	    "# comment with \"quotes\", a back\\slash and a \x01 byte\n",
	    workers, 512u << pick(&s, 4));
	endo(w);
}

/* Host facts that change under the agent, not the operator. */
static void
host_status(struct w *w, const struct res *r)
{
	uint64_t s = stream(r, P_STATUS);
	uint64_t v = next(&s), hi, lo;
	unsigned d[3];

	obj(w);
	key(w, "mtime");
	numf(w, "%u.%09u", 1730000000u + (unsigned)(v % 30000000),
	    (unsigned)(v >> 32) % 1000000000u);
	key(w, "load");
	numf(w, "%u.%02u", (unsigned)(v >> 8) % 8, (unsigned)(v >> 16) % 100);
	key(w, "drift_score");
	d[0] = 1 + pick(&s, 9);
	d[1] = pick(&s, 1000);
	d[2] = 1 + pick(&s, 9);
	numf(w, "%u.%ue-%u", d[0], d[1], d[2]);
	key(w, "nice");
	i64(w, -(int64_t)pick(&s, 20));
	key(w, "inode");
	u64(w, next(&s) | (1ULL << 63));
	/* Past 2^64 in one record of 1,000: valid JSON some parsers refuse. */
	key(w, "device");
	hi = 1 + next(&s) % 1000000;
	lo = next(&s) % 10000000000000000000ULL;
	if (r->i % 1000 == 999)
		numf(w, "%" PRIu64 "%019" PRIu64, hi, lo);
	else
		u64(w, lo);
	key(w, "checked");
	num(w, pick(&s, 2) ? "true" : "false");
	endo(w);
}

static void
host_spec(struct w *w, const struct res *r)
{
	switch (r->type) {
	case R_PACKAGE:
		package_spec(w, r);
		break;
	case R_SYSCTL:
		sysctl_spec(w, r);
		break;
	case R_SOCKET:
		socket_spec(w, r);
		break;
	default:
		file_spec(w, r);
		break;
	}
}

static void
host_object(struct w *w, const struct res *r)
{
	uint64_t s = stream(r, P_NOISE);

	obj(w);
	kstr(w, "host", r->ns);
	key(w, "collected_by");
	strf(w, "tend-collect/0.1.0 (linux; %s)", r->ns);
	key(w, "boot_id");
	uuid(w, &s);
	key(w, "machine_id");
	hexstr(w, &s, "", 32);
	key(w, "labels");
	labels(w, r);
	key(w, "spec");
	host_spec(w, r);
	key(w, "status");
	host_status(w, r);
	endo(w);
}

struct gen {
	enum kind	 kind;
	uint64_t	 seed;
	int		 later;		/* a second snapshot */
	struct w	 w;
};

/* The id of an event: a digest-like value of everything that makes it. */
static void
event_id(struct w *w, const struct gen *g, const struct res *r,
    enum kind k)
{
	uint64_t s = stream(r, P_ID);

	s ^= ((uint64_t)k << 40) ^ ((uint64_t)r->mod << 48) ^
	    ((uint64_t)g->later << 60);
	(void)next(&s);
	hexstr(w, &s, "", 32);
}

static void
envelope(struct w *w, const struct gen *g, const struct res *r,
    enum kind k)
{
	static const char *sources[] = {
		"tend-collect", "tend-normalize", "tend-diff", "tend-plan",
	};
	static const char *types[] = {
		"tend.resource.observed", "tend.resource.state",
		"tend.drift.detected", "tend.action.proposed",
	};

	obj(w);
	kstr(w, "specversion", "1.0");
	key(w, "id");
	event_id(w, g, r, k);
	kstr(w, "source", sources[k]);
	kstr(w, "type", types[k]);
	kstr(w, "time", g->later ? "2026-11-22T06:00:00Z" :
	    "2026-11-22T05:00:00Z");
	kstr(w, "subject", r->subject);
	kstr(w, "runid", "bench");
	if (k >= K_DRIFT) {
		key(w, "causeid");
		event_id(w, g, r, k - 1);
	}
	kstr(w, "datacontenttype", "application/json");
	kobj(w, "data");
}

static void
identity(struct w *w, const struct res *r)
{
	kstr(w, "provider", is_k8s(r) ? "k8s" : "host");
	kstr(w, "kind", type_name(r->type));
	kstr(w, "name", r->name);
	kstr(w, "namespace", r->ns);
}

static void
digest(struct w *w, const struct res *r, int mod)
{
	uint64_t s = stream(r, P_DIGEST) ^ (uint64_t)mod;

	hexstr(w, &s, "sha256:", 64);
}

static void
observed(struct w *w, const struct res *r)
{
	identity(w, r);
	key(w, "object");
	if (is_k8s(r))
		k8s_object(w, r);
	else
		host_object(w, r);
}

static void
state(struct w *w, const struct res *r)
{
	kstr(w, "key", r->subject);
	identity(w, r);
	key(w, "labels");
	labels(w, r);
	key(w, "spec");
	switch (r->type) {
	case R_DEPLOY:
		deploy_spec(w, r);
		break;
	case R_SERVICE:
		service_spec(w, r);
		break;
	case R_CONFIGMAP:
		configmap_data(w, r);
		break;
	default:
		host_spec(w, r);
		break;
	}
	key(w, "status");
	if (r->type == R_DEPLOY)
		deploy_status(w, r);
	else if (is_k8s(r)) {
		obj(w);
		endo(w);
	} else
		host_status(w, r);
	key(w, "digest");
	digest(w, r, r->mod);
}

/* The change a drift event reports: a field of the spec, before and after. */
static void
change(const struct res *r, const char **path, char *was, char *now,
    size_t n)
{
	uint64_t s = stream(r, P_MOD);
	unsigned v = pick(&s, 20);

	switch (r->type) {
	case R_DEPLOY:
		*path = "/spec/replicas";
		snprintf(was, n, "%u", replicas(r));
		snprintf(now, n, "%u", replicas(r) + 1);
		break;
	case R_SERVICE:
		*path = "/spec/ports/0/port";
		snprintf(was, n, "80");
		snprintf(now, n, "8080");
		break;
	case R_CONFIGMAP:
		*path = "/spec/replicas";
		snprintf(was, n, "\"%u\"", replicas(r));
		snprintf(now, n, "\"%u\"", replicas(r) + 1);
		break;
	case R_PACKAGE:
		*path = "/spec/version";
		snprintf(was, n, "\"3.0.%u-1~deb12u1\"", v);
		snprintf(now, n, "\"3.0.%u-1~deb12u2\"", v);
		break;
	case R_SYSCTL:
		*path = "/spec/value";
		snprintf(was, n, "\"%u\"", v % 2);
		snprintf(now, n, "\"%u\"", 1 - v % 2);
		break;
	case R_SOCKET:
		*path = "/spec/process";
		snprintf(was, n, "\"%s\"", procs[r->i % 16]);
		snprintf(now, n, "\"socat\"");
		break;
	default:
		*path = "/spec/mode";
		snprintf(was, n, "\"0644\"");
		snprintf(now, n, "\"0666\"");
		break;
	}
}

static void
patch_op(struct w *w, const char *op, const char *path, const char *value)
{
	obj(w);
	kstr(w, "op", op);
	kstr(w, "path", path);
	if (value != NULL) {
		key(w, "value");
		num(w, value);
	}
	endo(w);
}

static void
drift(struct w *w, const struct res *r)
{
	const char *path;
	char was[64], now[64];

	change(r, &path, was, now, sizeof(was));
	kstr(w, "key", r->subject);
	identity(w, r);
	kstr(w, "against", "desired");
	key(w, "observed_digest");
	digest(w, r, 1);
	key(w, "desired_digest");
	digest(w, r, 0);
	karr(w, "patch");
	patch_op(w, "test", path, now);
	patch_op(w, "replace", path, was);
	enda(w);
	kobj(w, "values");
	key(w, "observed");
	num(w, now);
	key(w, "desired");
	num(w, was);
	endo(w);
	kuint(w, "ops", 2);
}

/* The data of a tend.action.proposed as tend plan writes it. */
static void
proposed(struct w *w, const struct gen *g, const struct res *r)
{
	uint64_t s = stream(r, P_MOD), id = stream(r, P_ID);
	const char *path;
	char was[64], now[64];
	static const char *risks[] = { "low", "low", "medium", "high" };
	static const char *hskills[] = { "", "", "", "host-upgrade",
	    "host-sysctl", "host-socket", "host-file" };
	static const char *plural[] = { "deployments", "services",
	    "configmaps" };
	int k8s = is_k8s(r);

	change(r, &path, was, now, sizeof(was));
	key(w, "action_id");
	hexstr(w, &id, "", 64);
	key(w, "idempotency_key");
	hexstr(w, &id, "", 32);
	kstr(w, "skill", k8s ? "k8s-revert" : hskills[r->type]);
	kstr(w, "domain", r->type == R_PACKAGE ? "security" :
	    r->type == R_SOCKET ? "networking" : "config");
	karr(w, "targets");
	str(w, r->subject);
	enda(w);
	kobj(w, "executor");
	if (k8s) {
		kstr(w, "type", "http");
		kstr(w, "method", "PATCH");
		key(w, "url");
		strf(w, "https://k8s.prod.example:6443/apis/%s/namespaces/%s/"
		    "%s/%s", r->type == R_DEPLOY ? "apps/v1" : "v1", r->ns,
		    plural[r->type], r->name);
		kobj(w, "headers");
		kstr(w, "Content-Type", "application/json-patch+json");
		endo(w);
		karr(w, "body");
		patch_op(w, "test", path, now);
		patch_op(w, "replace", path, was);
		enda(w);
	} else {
		kstr(w, "type", "exec");
		karr(w, "argv");
		str(w, "ssh");
		str(w, r->ns);
		str(w, "sudo");
		str(w, "tend-fix");
		str(w, type_name(r->type));
		str(w, r->name);
		num(w, was);
		enda(w);
	}
	kuint(w, "timeout", 60);
	endo(w);
	kobj(w, "rollback");
	if (k8s) {
		kstr(w, "type", "http");
		kstr(w, "method", "PATCH");
		key(w, "url");
		strf(w, "https://k8s.prod.example:6443/apis/%s/namespaces/%s/"
		    "%s/%s", r->type == R_DEPLOY ? "apps/v1" : "v1", r->ns,
		    plural[r->type], r->name);
		karr(w, "body");
		patch_op(w, "replace", path, now);
		enda(w);
	} else {
		kstr(w, "type", "exec");
		karr(w, "argv");
		str(w, "ssh");
		str(w, r->ns);
		str(w, "sudo");
		str(w, "tend-fix");
		str(w, type_name(r->type));
		str(w, r->name);
		num(w, now);
		enda(w);
	}
	endo(w);
	kstr(w, "credential", k8s ? "k8s-writer" : "ssh-fleet");
	kstr(w, "risk", risks[pick(&s, 4)]);
	kstr(w, "mode", "auto");
	key(w, "reason");
	strf(w, "%s drifted from its desired value at %s (\"%s\" \xe2\x86\x92 "
	    "\"%s\")", r->name, path, was, now);
	karr(w, "causes");
	event_id(w, g, r, K_DRIFT);
	enda(w);
	key(w, "state_digest");
	digest(w, r, 1);
	kobj(w, "blast_radius");
	kuint(w, "count", 1);
	karr(w, "targets");
	str(w, r->subject);
	enda(w);
	endo(w);
}

static void
emit(struct gen *g, uint64_t i, int mod)
{
	struct w *w = &g->w;
	struct res r;

	res_init(&r, g->seed, i, mod);
	envelope(w, g, &r, g->kind);
	switch (g->kind) {
	case K_OBSERVED:
		observed(w, &r);
		break;
	case K_STATE:
		state(w, &r);
		break;
	case K_DRIFT:
		drift(w, &r);
		break;
	case K_PROPOSED:
		proposed(w, g, &r);
		break;
	}
	endo(w);
	endo(w);
	if (w->depth != 0) {
		fputs("gen: unbalanced output\n", stderr);
		abort();
	}
	w->first[0] = 1;
	rawc(w, '\n');
	if (w->len >= 1 << 20) {
		if (fwrite(w->p, 1, w->len, stdout) != w->len) {
			perror("gen: write");
			exit(4);
		}
		w->len = 0;
	}
}

/* A percentage with at most two decimals, in hundredths (0..10000). */
static int
pct(const char *s, unsigned *out)
{
	unsigned v = 0, frac = 0, nint = 0, nfrac = 0;

	for (; *s >= '0' && *s <= '9' && nint < 3; s++, nint++)
		v = v * 10 + (unsigned)(*s - '0');
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9' && nfrac < 2; s++, nfrac++)
			frac = frac * 10 + (unsigned)(*s - '0');
	if (*s != '\0' || nint + nfrac == 0)
		return -1;
	if (nfrac == 1)
		frac *= 10;
	*out = v * 100 + frac;
	return *out <= 10000 ? 0 : -1;
}

static uint64_t
number(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-') {
		fprintf(stderr, "gen: %s is invalid: '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static void
usage(FILE *f, int status)
{
	fputs("usage: gen [--kind observed|state|drift|proposed] "
	    "[--modify PCT]\n           [--add PCT] [--remove PCT] "
	    "[--seed S] N\n", f);
	exit(status);
}

/*
 * Reads nothing.  Writes N events (a later snapshot: fewer or more) to
 * stdout.  Fails only on bad arguments (2) or a failed write (4).
 */
int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "add", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ "kind", required_argument, NULL, 'k' },
		{ "modify", required_argument, NULL, 'm' },
		{ "remove", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *kinds[] = {
		"observed", "state", "drift", "proposed",
	};
	struct gen g = { .kind = K_OBSERVED, .seed = 1 };
	unsigned add = 0, modify = 0, drop = 0, slot, *which;
	uint64_t n, i, added;
	size_t k;
	int ch, mod;

	while ((ch = getopt_long(argc, argv, "a:hk:m:r:s:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'a':
		case 'm':
		case 'r':
			which = ch == 'a' ? &add : ch == 'm' ? &modify :
			    &drop;
			if (pct(optarg, which) == -1) {
				fprintf(stderr, "gen: percentage is invalid: "
				    "'%s'\n", optarg);
				return 2;
			}
			g.later = 1;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		case 'k':
			for (k = 0; k < ARRAY_LEN(kinds); k++)
				if (strcmp(optarg, kinds[k]) == 0)
					break;
			if (k == ARRAY_LEN(kinds)) {
				fprintf(stderr, "gen: unknown kind '%s'\n",
				    optarg);
				return 2;
			}
			g.kind = (enum kind)k;
			break;
		case 's':
			g.seed = number(optarg, "seed");
			break;
		default:
			usage(stderr, 2);
		}
	}
	if (argc - optind != 1)
		usage(stderr, 2);
	n = number(argv[optind], "N");
	if (modify + drop > 10000) {
		fputs("gen: --modify and --remove add up to more than 100\n",
		    stderr);
		return 2;
	}

	/*
	 * Fates by a stride through each block of 10,000 indices (7919 is
	 * prime to 10,000), so the percentages are exact per block and the
	 * changed resources are spread over the fleet.
	 */
	for (i = 0; i < n; i++) {
		slot = (unsigned)((i % 10000 + g.seed % 10000) * 7919 %
		    10000);
		if (slot < drop)
			continue;
		mod = 0;
		if (slot < drop + modify) {
			uint64_t s = g.seed ^ (i * 0x9e3779b97f4a7c15ULL);

			mod = 1 << (next(&s) % 3);
		}
		emit(&g, i, mod);
	}
	added = (n * add + 5000) / 10000;
	for (i = n; i < n + added; i++)
		emit(&g, i, 0);

	if (fwrite(g.w.p, 1, g.w.len, stdout) != g.w.len ||
	    fflush(stdout) == EOF || ferror(stdout)) {
		perror("gen: write");
		return 4;
	}
	free(g.w.p);
	return 0;
}
