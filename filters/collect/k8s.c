/*
 * tend-collect k8s: lists Kubernetes objects through the API, with the
 * credentials of a kubeconfig.
 *
 * The kubeconfig is --kubeconfig, else the files of $KUBECONFIG (colon
 * separated, merged: the first file that names a context, cluster or user
 * wins, missing files are skipped), else ~/.kube/config.  It is YAML, read
 * through yaml2json.  Of it, tend uses: current-context; a context's
 * cluster, user and namespace; a cluster's server, certificate-authority
 * (-data) and insecure-skip-tls-verify (refused unless --insecure); a
 * user's token, tokenFile, client-certificate(-data), client-key(-data),
 * username/password and exec credential plugin (its command runs with
 * KUBERNETES_EXEC_INFO set and its ExecCredential's status.token or
 * status.clientCertificateData/clientKeyData are used).  Key and
 * certificate data stay in memory (libcurl blobs); no secret is written
 * anywhere or put in a message.
 *
 * Each kind is listed with ?limit=N and followed through
 * metadata.continue, for all namespaces or each --namespace; list items
 * get the apiVersion and kind the API leaves out of them.
 */
#include "compat.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "base64.h"
#include "collect.h"
#include "http.h"
#include "json.h"
#include "xmalloc.h"
#include "yaml2json.h"

#define KC_MAX_FILES 16
#define K8S_PAGE_SIZE 500
#define K8S_TIMEOUT_MS 30000L
#define K8S_EXEC_MAX ((size_t)1 << 20)

struct kubeconfig {
	size_t	 n;
	char	*path[KC_MAX_FILES];
	char	*dir[KC_MAX_FILES];
	struct buf json[KC_MAX_FILES];
	struct json_doc doc[KC_MAX_FILES];
	struct buf current;
	struct buf scope;	/* the context's name, '/' made '_' */
	struct buf ns;		/* the context's namespace, or "default" */
};

struct kres {
	const char *plural;
	const char *group;	/* "" for core */
	const char *version;
	const char *kind;
	int	 namespaced;
	const char *shorts;	/* comma-separated short names */
};

static const struct kres kres[] = {
	{ "deployments", "apps", "v1", "Deployment", 1, "deploy" },
	{ "statefulsets", "apps", "v1", "StatefulSet", 1, "sts" },
	{ "daemonsets", "apps", "v1", "DaemonSet", 1, "ds" },
	{ "replicasets", "apps", "v1", "ReplicaSet", 1, "rs" },
	{ "jobs", "batch", "v1", "Job", 1, "" },
	{ "cronjobs", "batch", "v1", "CronJob", 1, "cj" },
	{ "services", "", "v1", "Service", 1, "svc" },
	{ "configmaps", "", "v1", "ConfigMap", 1, "cm" },
	{ "secrets", "", "v1", "Secret", 1, "" },
	{ "serviceaccounts", "", "v1", "ServiceAccount", 1, "sa" },
	{ "persistentvolumeclaims", "", "v1", "PersistentVolumeClaim", 1,
	    "pvc" },
	{ "pods", "", "v1", "Pod", 1, "po" },
	{ "endpoints", "", "v1", "Endpoints", 1, "ep" },
	{ "replicationcontrollers", "", "v1", "ReplicationController", 1,
	    "rc" },
	{ "limitranges", "", "v1", "LimitRange", 1, "limits" },
	{ "resourcequotas", "", "v1", "ResourceQuota", 1, "quota" },
	{ "namespaces", "", "v1", "Namespace", 0, "ns" },
	{ "nodes", "", "v1", "Node", 0, "no" },
	{ "persistentvolumes", "", "v1", "PersistentVolume", 0, "pv" },
	{ "roles", "rbac.authorization.k8s.io", "v1", "Role", 1, "" },
	{ "rolebindings", "rbac.authorization.k8s.io", "v1", "RoleBinding", 1,
	    "" },
	{ "clusterroles", "rbac.authorization.k8s.io", "v1", "ClusterRole", 0,
	    "" },
	{ "clusterrolebindings", "rbac.authorization.k8s.io", "v1",
	    "ClusterRoleBinding", 0, "" },
	{ "ingresses", "networking.k8s.io", "v1", "Ingress", 1, "ing" },
	{ "networkpolicies", "networking.k8s.io", "v1", "NetworkPolicy", 1,
	    "netpol" },
	{ "ingressclasses", "networking.k8s.io", "v1", "IngressClass", 0, "" },
	{ "horizontalpodautoscalers", "autoscaling", "v2",
	    "HorizontalPodAutoscaler", 1, "hpa" },
	{ "poddisruptionbudgets", "policy", "v1", "PodDisruptionBudget", 1,
	    "pdb" },
	{ "storageclasses", "storage.k8s.io", "v1", "StorageClass", 0, "sc" },
	{ "customresourcedefinitions", "apiextensions.k8s.io", "v1",
	    "CustomResourceDefinition", 0, "crd,crds" },
	{ "priorityclasses", "scheduling.k8s.io", "v1", "PriorityClass", 0,
	    "pc" },
	{ "validatingwebhookconfigurations", "admissionregistration.k8s.io",
	    "v1", "ValidatingWebhookConfiguration", 0, "" },
	{ "mutatingwebhookconfigurations", "admissionregistration.k8s.io",
	    "v1", "MutatingWebhookConfiguration", 0, "" },
};

static const char default_kinds[] = "deployments,statefulsets,daemonsets,"
    "jobs,cronjobs,services,configmaps,secrets,serviceaccounts,roles,"
    "rolebindings,clusterroles,clusterrolebindings,ingresses,"
    "networkpolicies,persistentvolumeclaims,namespaces";

static const char *const cluster_kinds[] = {
	"Namespace", "Node", "PersistentVolume", "ClusterRole",
	"ClusterRoleBinding", "StorageClass", "CustomResourceDefinition",
	"APIService", "PriorityClass", "ValidatingWebhookConfiguration",
	"MutatingWebhookConfiguration", "ValidatingAdmissionPolicy",
	"ValidatingAdmissionPolicyBinding", "CSIDriver", "CSINode",
	"IngressClass", "RuntimeClass", "VolumeAttachment", "ComponentStatus",
	"CertificateSigningRequest", "FlowSchema", "PriorityLevelConfiguration",
	"StorageVersion", "ClusterIssuer", NULL,
};

int
k8s_kind_cluster_scoped(const char *kind)
{
	const char *const *k;

	for (k = cluster_kinds; *k != NULL; k++)
		if (strcmp(*k, kind) == 0)
			return 1;
	return 0;
}

static void
kc_free(struct kubeconfig *kc)
{
	size_t i;

	if (kc == NULL)
		return;
	for (i = 0; i < kc->n; i++) {
		free(kc->path[i]);
		free(kc->dir[i]);
		json_doc_release(&kc->doc[i]);
		/* a kubeconfig holds secrets */
		if (kc->json[i].p != NULL)
			sodium_memzero(kc->json[i].p, kc->json[i].len);
		buf_release(&kc->json[i]);
	}
	buf_release(&kc->current);
	buf_release(&kc->scope);
	buf_release(&kc->ns);
	free(kc);
}

/* Reads one kubeconfig file: 0, 1 when missing and allowed, -1 (err). */
static int
kc_add(struct kubeconfig *kc, const char *path, int must,
    struct tend_err *err)
{
	struct buf text = BUF_INIT;
	char *copy;
	size_t i = kc->n, line = 0;
	int rc = -1;

	if (i == KC_MAX_FILES)
		return tend_err_set(err, TEND_EXIT_INPUT, "more than %d "
		    "kubeconfig files", KC_MAX_FILES);
	if (read_file(path, &text, 16 << 20, err) < 0) {
		if (!must && errno == ENOENT) {
			buf_release(&text);
			return 1;
		}
		goto out;
	}
	buf_init(&kc->json[i]);
	json_doc_init(&kc->doc[i]);
	if (yaml2json_one(text.p != NULL ? text.p : "", text.len, NULL,
	    &kc->json[i], &line, err) < 0) {
		char why[sizeof(err->msg)];

		strlcpy(why, err->msg, sizeof(why));
		tend_err_set(err, TEND_EXIT_INPUT, "%s:%zu: %s", path, line,
		    why);
		buf_release(&kc->json[i]);
		goto out;
	}
	if (json_parse(&kc->doc[i], kc->json[i].p, kc->json[i].len, err) < 0)
		BUG(err->msg);
	if (kc->doc[i].tok[0].type != JSON_OBJECT &&
	    kc->doc[i].tok[0].type != JSON_NULL) {
		tend_err_set(err, TEND_EXIT_INPUT, "%s: not a kubeconfig",
		    path);
		json_doc_release(&kc->doc[i]);
		buf_release(&kc->json[i]);
		goto out;
	}
	kc->path[i] = xstrdup(path);
	copy = xstrdup(path);
	kc->dir[i] = xstrdup(dirname(copy));
	free(copy);
	kc->n++;
	rc = 0;
out:
	if (text.p != NULL)
		sodium_memzero(text.p, text.len);
	buf_release(&text);
	return rc;
}

/* A string member of object o in file f, decoded into out; -1 if none. */
static int
kc_str(struct kubeconfig *kc, size_t f, int64_t o, const char *key,
    struct buf *out)
{
	const struct json_doc *d = &kc->doc[f];
	int64_t t;

	if (o < 0 || d->tok[o].type != JSON_OBJECT)
		return -1;
	t = json_obj_get(d, (uint32_t)o, key);
	if (t < 0 || d->tok[t].type != JSON_STRING || d->tok[t].len == 0)
		return -1;
	json_str_decode(d, (uint32_t)t, out);
	return 0;
}

/* The object `inner` of the entry named name in list `list`: the first
   file that has one.  Sets *f; -1 if none. */
static int64_t
kc_entry(struct kubeconfig *kc, const char *list, const char *name,
    const char *inner, size_t *f)
{
	size_t i;
	uint32_t e, n;
	int64_t l, nm, in;

	for (i = 0; i < kc->n; i++) {
		const struct json_doc *d = &kc->doc[i];

		if (d->tok[0].type != JSON_OBJECT)
			continue;
		l = json_obj_get(d, 0, list);
		if (l < 0 || d->tok[l].type != JSON_ARRAY)
			continue;
		for (e = (uint32_t)l + 1, n = 0; n < d->tok[l].size;
		    n++, e = json_next(d, e)) {
			if (d->tok[e].type != JSON_OBJECT)
				continue;
			nm = json_obj_get(d, e, "name");
			if (nm < 0 || d->tok[nm].type != JSON_STRING ||
			    !json_str_eq(d, (uint32_t)nm, name))
				continue;
			in = json_obj_get(d, e, inner);
			if (in < 0 || d->tok[in].type != JSON_OBJECT)
				continue;
			*f = i;
			return in;
		}
	}
	return -1;
}

/* Loads the kubeconfig; 0, or -1 with err (4: cannot read, 3: bad). */
static int
kc_load(struct collect *c, struct tend_err *err)
{
	struct kubeconfig *kc = xcalloc(1, sizeof(*kc));
	const char *env = getenv("KUBECONFIG"), *home;
	struct buf p = BUF_INIT;
	size_t i, f;
	int64_t ctx;
	int rc = 0;

	if (c->kubeconfig_path != NULL) {
		rc = kc_add(kc, c->kubeconfig_path, 1, err);
	} else if (env != NULL && *env != '\0') {
		char *copy = xstrdup(env), *s = copy, *colon;

		for (; rc >= 0; s = colon + 1) {
			if ((colon = strchr(s, ':')) != NULL)
				*colon = '\0';
			if (*s != '\0')
				rc = kc_add(kc, s, 0, err);
			if (colon == NULL)
				break;
		}
		free(copy);
		if (rc > 0)
			rc = 0;
	} else if ((home = getenv("HOME")) != NULL) {
		buf_addf(&p, "%s/.kube/config", home);
		rc = kc_add(kc, p.p, 0, err);
		if (rc > 0)
			rc = 0;
	}
	buf_release(&p);
	if (rc < 0) {
		kc_free(kc);
		return -1;
	}
	for (i = 0; i < kc->n && kc->current.len == 0; i++)
		kc_str(kc, i, kc->doc[i].tok[0].type == JSON_OBJECT ? 0 : -1,
		    "current-context", &kc->current);
	c->kc = kc;
	buf_adds(&kc->scope, c->context != NULL ? c->context :
	    kc->current.len > 0 ? kc->current.p : "_");
	for (i = 0; i < kc->scope.len; i++)
		if (kc->scope.p[i] == '/')
			kc->scope.p[i] = '_';
	ctx = kc->scope.len > 0 ? kc_entry(kc, "contexts", c->context != NULL ?
	    c->context : kc->current.p != NULL ? kc->current.p : "",
	    "context", &f) : -1;
	if (ctx < 0 || kc_str(kc, f, ctx, "namespace", &kc->ns) < 0)
		buf_adds(&kc->ns, "default");
	return 0;
}

void
k8s_release(struct collect *c)
{
	kc_free(c->kc);
	c->kc = NULL;
}

/*
 * The scope of Kubernetes objects read from documents: the context's
 * name (--context or current-context), "_" without a kubeconfig.  *ns
 * (when ns is not NULL) is the context's namespace, or "default".
 */
const char *
k8s_current_scope(struct collect *c, const char **ns)
{
	struct tend_err err = { 0 };

	if (!c->kc_tried) {
		c->kc_tried = 1;
		if (kc_load(c, &err) < 0) {
			warnx("%s", err.msg);
			/* asked for by name: it must be readable */
			if (c->context != NULL || c->kubeconfig_path != NULL)
				exit(err.code);
			warnx("Kubernetes objects get the scope '_'");
		}
	}
	if (ns != NULL)
		*ns = c->kc != NULL ? c->kc->ns.p : "default";
	if (c->kc == NULL)
		return c->context != NULL ? c->context : "_";
	return c->kc->scope.p;
}

/* What a k8s run connects with: blobs and files, all wiped at the end. */
struct k8sauth {
	struct http_opts o;
	struct buf server;
	struct buf ca, cert, key;	/* PEM in memory */
	struct buf cafile, certfile, keyfile;
	struct buf token, user, pass;
};

static void
auth_release(struct k8sauth *a)
{
	struct buf *secret[] = { &a->key, &a->token, &a->pass, &a->cert };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(secret); i++)
		if (secret[i]->p != NULL)
			sodium_memzero(secret[i]->p, secret[i]->len);
	buf_release(&a->server);
	buf_release(&a->ca);
	buf_release(&a->cert);
	buf_release(&a->key);
	buf_release(&a->cafile);
	buf_release(&a->certfile);
	buf_release(&a->keyfile);
	buf_release(&a->token);
	buf_release(&a->user);
	buf_release(&a->pass);
}

/* A path from a kubeconfig: relative ones are relative to its folder. */
static void
kc_path(struct kubeconfig *kc, size_t f, const char *p, struct buf *out)
{
	if (p[0] != '/')
		buf_addf(out, "%s/", kc->dir[f]);
	buf_adds(out, p);
}

/* Base64 data (whitespace allowed) from member key of o into out. */
static int
kc_data(struct kubeconfig *kc, size_t f, int64_t o, const char *key,
    struct buf *out, struct tend_err *err)
{
	struct buf b64 = BUF_INIT, clean = BUF_INIT;
	size_t i;
	int rc = 0;

	if (kc_str(kc, f, o, key, &b64) < 0)
		return 0;
	for (i = 0; i < b64.len; i++)
		if (!isspace((unsigned char)b64.p[i]))
			buf_addc(&clean, b64.p[i]);
	if (base64_decode(out, clean.p != NULL ? clean.p : "", clean.len,
	    BASE64_STD) < 0)
		rc = tend_err_set(err, TEND_EXIT_INPUT, "%s: %s is not base64",
		    kc->path[f], key);
	sodium_memzero(b64.p, b64.len);
	if (clean.p != NULL)
		sodium_memzero(clean.p, clean.len);
	buf_release(&b64);
	buf_release(&clean);
	return rc;
}

/* Runs an exec credential plugin and takes its token or certificate. */
static int
exec_plugin(struct collect *c, struct kubeconfig *kc, size_t f, int64_t ex,
    struct k8sauth *a, struct tend_err *err)
{
	const struct json_doc *d = &kc->doc[f];
	struct buf cmd = BUF_INIT, api = BUF_INIT, out = BUF_INIT,
	    info = BUF_INIT, tmp = BUF_INIT;
	struct json_doc od;
	struct tend_err e2 = { 0 };
	const char **argv = NULL, **envv = NULL;
	size_t na = 0, ne = 0, n;
	uint32_t i;
	int64_t args, env, st, t;
	int rc = -1;

	if (kc_str(kc, f, ex, "command", &tmp) < 0)
		return tend_err_set(err, TEND_EXIT_INPUT, "%s: exec without "
		    "command", kc->path[f]);
	if (strchr(tmp.p, '/') != NULL)
		kc_path(kc, f, tmp.p, &cmd);
	else
		buf_adds(&cmd, tmp.p);
	if (kc_str(kc, f, ex, "apiVersion", &api) < 0)
		buf_adds(&api, "client.authentication.k8s.io/v1");
	argv = xreallocarray(NULL, 2, sizeof(*argv));
	argv[na++] = cmd.p;
	args = json_obj_get(d, (uint32_t)ex, "args");
	if (args >= 0 && d->tok[args].type == JSON_ARRAY)
		for (i = (uint32_t)args + 1, n = 0; n < d->tok[args].size;
		    n++, i = json_next(d, i)) {
			struct buf *s = xcalloc(1, sizeof(*s));

			if (d->tok[i].type == JSON_STRING)
				json_str_decode(d, i, s);
			buf_adds(s, "");
			argv = xreallocarray(argv, na + 2, sizeof(*argv));
			argv[na++] = s->p;
			free(s);
		}
	argv[na] = NULL;
	buf_adds(&info, "KUBERNETES_EXEC_INFO={\"apiVersion\":");
	buf_add_json_str(&info, api.p, api.len);
	buf_adds(&info, ",\"kind\":\"ExecCredential\",\"spec\":"
	    "{\"interactive\":false}}");
	envv = xreallocarray(NULL, 2, sizeof(*envv));
	envv[ne++] = info.p;
	env = json_obj_get(d, (uint32_t)ex, "env");
	if (env >= 0 && d->tok[env].type == JSON_ARRAY)
		for (i = (uint32_t)env + 1, n = 0; n < d->tok[env].size;
		    n++, i = json_next(d, i)) {
			struct buf nm = BUF_INIT, val = BUF_INIT;

			if (kc_str(kc, f, i, "name", &nm) == 0) {
				kc_str(kc, f, i, "value", &val);
				buf_addc(&nm, '=');
				buf_add(&nm, val.p, val.len);
				envv = xreallocarray(envv, ne + 2,
				    sizeof(*envv));
				envv[ne++] = nm.p;
			} else
				buf_release(&nm);
			buf_release(&val);
		}
	envv[ne] = NULL;
	collect_progress(c, "running credential plugin %s", cmd.p);
	if (run_capture(argv, envv, c->timeout_ms > 0 ? c->timeout_ms :
	    K8S_TIMEOUT_MS, &out, K8S_EXEC_MAX, &e2) < 0) {
		tend_err_set(err, e2.code, "kubeconfig exec plugin: %s",
		    e2.msg);
		goto out;
	}
	json_doc_init(&od);
	/* never quote the output: it is a credential */
	if (json_parse(&od, out.p != NULL ? out.p : "", out.len, &e2) < 0 ||
	    od.tok[0].type != JSON_OBJECT ||
	    (st = json_obj_get(&od, 0, "status")) < 0 ||
	    od.tok[st].type != JSON_OBJECT) {
		tend_err_set(err, TEND_EXIT_INPUT, "kubeconfig exec plugin "
		    "'%s': its output is not an ExecCredential", cmd.p);
		json_doc_release(&od);
		goto out;
	}
	if ((t = json_obj_get(&od, (uint32_t)st, "token")) >= 0 &&
	    od.tok[t].type == JSON_STRING)
		json_str_decode(&od, (uint32_t)t, &a->token);
	if ((t = json_obj_get(&od, (uint32_t)st, "clientCertificateData")) >=
	    0 && od.tok[t].type == JSON_STRING)
		json_str_decode(&od, (uint32_t)t, &a->cert);
	if ((t = json_obj_get(&od, (uint32_t)st, "clientKeyData")) >= 0 &&
	    od.tok[t].type == JSON_STRING)
		json_str_decode(&od, (uint32_t)t, &a->key);
	json_doc_release(&od);
	if (a->token.len == 0 && (a->cert.len == 0 || a->key.len == 0)) {
		tend_err_set(err, TEND_EXIT_INPUT, "kubeconfig exec plugin "
		    "'%s' gave neither a token nor a client certificate",
		    cmd.p);
		goto out;
	}
	rc = 0;
out:
	if (out.p != NULL)
		sodium_memzero(out.p, out.len);
	for (n = 1; n < na; n++)
		free((void *)(uintptr_t)argv[n]);
	for (n = 1; n < ne; n++)
		free((void *)(uintptr_t)envv[n]);
	free(argv);
	free(envv);
	buf_release(&cmd);
	buf_release(&api);
	buf_release(&out);
	buf_release(&info);
	buf_release(&tmp);
	return rc;
}

static int
auth_setup(struct collect *c, struct k8sauth *a, struct tend_err *err)
{
	struct kubeconfig *kc = c->kc;
	struct buf ctxname = BUF_INIT, cluster = BUF_INIT, user = BUF_INIT,
	    tmp = BUF_INIT;
	size_t f, cf, uf;
	int64_t ctx, cl, us = -1, t;
	int rc = -1;

	if (kc->n == 0)
		return tend_err_set(err, TEND_EXIT_SYSTEM, "no kubeconfig: "
		    "none of --kubeconfig, $KUBECONFIG, ~/.kube/config");
	buf_adds(&ctxname, c->context != NULL ? c->context :
	    kc->current.len > 0 ? kc->current.p : "");
	if (ctxname.len == 0) {
		tend_err_set(err, TEND_EXIT_INPUT, "the kubeconfig has no "
		    "current-context; use --context");
		goto out;
	}
	if ((ctx = kc_entry(kc, "contexts", ctxname.p, "context", &f)) < 0) {
		tend_err_set(err, TEND_EXIT_INPUT, "context '%s' is not in "
		    "the kubeconfig", ctxname.p);
		goto out;
	}
	if (kc_str(kc, f, ctx, "cluster", &cluster) < 0 ||
	    (cl = kc_entry(kc, "clusters", cluster.p, "cluster", &cf)) < 0) {
		tend_err_set(err, TEND_EXIT_INPUT, "context '%s': cluster "
		    "'%s' is not in the kubeconfig", ctxname.p,
		    cluster.p != NULL ? cluster.p : "");
		goto out;
	}
	if (kc_str(kc, f, ctx, "user", &user) == 0 &&
	    (us = kc_entry(kc, "users", user.p, "user", &uf)) < 0) {
		tend_err_set(err, TEND_EXIT_INPUT, "context '%s': user '%s' "
		    "is not in the kubeconfig", ctxname.p, user.p);
		goto out;
	}
	if (kc_str(kc, cf, cl, "server", &a->server) < 0) {
		tend_err_set(err, TEND_EXIT_INPUT, "cluster '%s' has no server",
		    cluster.p);
		goto out;
	}
	while (a->server.len > 0 && a->server.p[a->server.len - 1] == '/')
		a->server.p[--a->server.len] = '\0';
	t = json_obj_get(&kc->doc[cf], (uint32_t)cl,
	    "insecure-skip-tls-verify");
	if (t >= 0 && kc->doc[cf].tok[t].type == JSON_TRUE) {
		if (!c->insecure) {
			tend_err_set(err, TEND_EXIT_INPUT, "cluster '%s' sets "
			    "insecure-skip-tls-verify: refused without "
			    "--insecure", cluster.p);
			goto out;
		}
		a->o.insecure = 1;
	}
	if (kc_data(kc, cf, cl, "certificate-authority-data", &a->ca,
	    err) < 0)
		goto out;
	if (kc_str(kc, cf, cl, "certificate-authority", &tmp) == 0)
		kc_path(kc, cf, tmp.p, &a->cafile);
	if (us >= 0) {
		const struct json_doc *d = &kc->doc[uf];

		if (json_obj_get(d, (uint32_t)us, "auth-provider") >= 0) {
			tend_err_set(err, TEND_EXIT_INPUT, "user '%s': "
			    "auth-provider is not supported (use an exec "
			    "plugin)", user.p);
			goto out;
		}
		kc_str(kc, uf, us, "token", &a->token);
		buf_reset(&tmp);
		if (a->token.len == 0 && kc_str(kc, uf, us, "tokenFile",
		    &tmp) == 0) {
			struct buf path = BUF_INIT;

			kc_path(kc, uf, tmp.p, &path);
			rc = read_file(path.p, &a->token, 1 << 16, err);
			buf_release(&path);
			if (rc < 0)
				goto out;
			rc = -1;
			while (a->token.len > 0 && isspace((unsigned char)
			    a->token.p[a->token.len - 1]))
				a->token.p[--a->token.len] = '\0';
		}
		if (kc_data(kc, uf, us, "client-certificate-data", &a->cert,
		    err) < 0 || kc_data(kc, uf, us, "client-key-data",
		    &a->key, err) < 0)
			goto out;
		buf_reset(&tmp);
		if (kc_str(kc, uf, us, "client-certificate", &tmp) == 0)
			kc_path(kc, uf, tmp.p, &a->certfile);
		buf_reset(&tmp);
		if (kc_str(kc, uf, us, "client-key", &tmp) == 0)
			kc_path(kc, uf, tmp.p, &a->keyfile);
		kc_str(kc, uf, us, "username", &a->user);
		kc_str(kc, uf, us, "password", &a->pass);
		t = json_obj_get(d, (uint32_t)us, "exec");
		if (a->token.len == 0 && a->cert.len == 0 &&
		    a->certfile.len == 0 && t >= 0 &&
		    d->tok[t].type == JSON_OBJECT &&
		    exec_plugin(c, kc, uf, t, a, err) < 0)
			goto out;
	}
	if (a->ca.len > 0) {
		a->o.cacert_pem = a->ca.p;
		a->o.cacert_pem_len = a->ca.len;
	}
	if (a->cafile.len > 0)
		a->o.cacert = a->cafile.p;
	if (a->cert.len > 0) {
		a->o.cert_pem = a->cert.p;
		a->o.cert_pem_len = a->cert.len;
	}
	if (a->key.len > 0) {
		a->o.key_pem = a->key.p;
		a->o.key_pem_len = a->key.len;
	}
	if (a->certfile.len > 0)
		a->o.cert_file = a->certfile.p;
	if (a->keyfile.len > 0)
		a->o.key_file = a->keyfile.p;
	if (a->token.len > 0 && memchr(a->token.p, '\n', a->token.len) !=
	    NULL) {
		tend_err_set(err, TEND_EXIT_INPUT, "user '%s': the token holds "
		    "a line break", user.p != NULL ? user.p : "");
		goto out;
	}
	rc = 0;
out:
	buf_release(&ctxname);
	buf_release(&cluster);
	buf_release(&user);
	buf_release(&tmp);
	return rc;
}

/* What --kinds names: a known resource, or group/version/plural. */
struct kwant {
	const struct kres *r;
	char	*group, *version, *plural;	/* when r is NULL */
	int	 explicit;
};

static int
resolve_kind(const char *w, struct kwant *k)
{
	size_t i, n = strlen(w);
	const char *s, *slash;
	char lower[128];

	memset(k, 0, sizeof(k[0]));
	if ((slash = strchr(w, '/')) != NULL) {
		const char *last = strrchr(w, '/');

		if (last == slash) {	/* v1/pods */
			k->group = xstrdup("");
			k->version = xstrndup(w, (size_t)(slash - w));
		} else {
			k->group = xstrndup(w, (size_t)(slash - w));
			k->version = xstrndup(slash + 1,
			    (size_t)(last - slash - 1));
		}
		k->plural = xstrdup(last + 1);
		if (*k->plural == '\0' || *k->version == '\0')
			return -1;
		return 0;
	}
	if (n == 0 || n >= sizeof(lower))
		return -1;
	for (i = 0; i <= n; i++)
		lower[i] = (char)tolower((unsigned char)w[i]);
	for (i = 0; i < ARRAY_SIZE(kres); i++) {
		char kl[128];
		size_t j;

		for (j = 0; j < sizeof(kl) - 1 && kres[i].kind[j] != '\0'; j++)
			kl[j] = (char)tolower((unsigned char)kres[i].kind[j]);
		kl[j] = '\0';
		if (strcmp(lower, kres[i].plural) == 0 ||
		    strcmp(lower, kl) == 0) {
			k->r = &kres[i];
			return 0;
		}
		for (s = kres[i].shorts; *s != '\0'; ) {
			size_t l = strcspn(s, ",");

			if (l == n && strncmp(s, lower, l) == 0) {
				k->r = &kres[i];
				return 0;
			}
			s += l + (s[l] == ',');
		}
	}
	return -1;
}

struct k8srun {
	struct collect *c;
	struct http_client *h;
	struct http_request rq;
	struct k8sauth *a;
	const char *scope;
};

/* Lists one kind (in one namespace or all); -1 stops the run. */
static int
list_kind(struct k8srun *k, const struct kwant *w, const char *ns,
    const char *label)
{
	struct collect *c = k->c;
	struct http_response resp;
	struct tend_err err = { 0 };
	struct json_doc d;
	struct buf url = BUF_INIT, shown = BUF_INIT, cont = BUF_INIT,
	    api = BUF_INIT, kind = BUF_INIT, obj = BUF_INIT;
	const char *group = w->r != NULL ? w->r->group : w->group;
	const char *version = w->r != NULL ? w->r->version : w->version;
	const char *plural = w->r != NULL ? w->r->plural : w->plural;
	int64_t items, md, t;
	uint32_t i, n;
	size_t pages = 0;
	int rc = -1;

	http_response_init(&resp);
	json_doc_init(&d);
	if (*group == '\0')
		buf_addf(&api, "%s", version);
	else
		buf_addf(&api, "%s/%s", group, version);
	for (;;) {
		buf_reset(&url);
		buf_add(&url, k->a->server.p, k->a->server.len);
		buf_adds(&url, *group == '\0' ? "/api/" : "/apis/");
		buf_add(&url, api.p, api.len);
		if (ns != NULL)
			buf_addf(&url, "/namespaces/%s", ns);
		buf_addf(&url, "/%s?limit=%ld", plural, c->page_size > 0 ?
		    c->page_size : K8S_PAGE_SIZE);
		if (cont.len > 0) {
			buf_adds(&url, "&continue=");
			http_query_escape(cont.p, cont.len, &url);
		}
		buf_reset(&shown);
		http_url_display(url.p, &shown);
		collect_progress(c, "%s (%zu resources)", label, c->emitted);
		k->rq.url = url.p;
		if (http_do(k->h, &k->rq, &resp, &err) < 0) {
			collect_progress_done(c);
			warnx("%s", err.msg);
			cli_fail(&c->cli, err.code);
			goto out;
		}
		if (resp.status == 404 && !w->explicit) {
			/* a default kind this cluster does not serve */
			rc = 0;
			goto out;
		}
		if (resp.status == 410) {
			collect_progress_done(c);
			warnx("%s: the list expired while paging (HTTP 410); "
			    "run again", shown.p);
			cli_fail(&c->cli, TEND_EXIT_SYSTEM);
			goto out;
		}
		if (resp.status < 200 || resp.status > 299) {
			collect_http_fail(c, &resp, shown.p);
			/* other kinds may still be readable */
			rc = c->cli.keep_going && resp.status != 401 ? 0 : -1;
			goto out;
		}
		if (json_parse(&d, resp.body.p != NULL ? resp.body.p : "",
		    resp.body.len, &err) < 0 || d.tok[0].type != JSON_OBJECT ||
		    (items = json_obj_get(&d, 0, "items")) < 0 ||
		    d.tok[items].type != JSON_ARRAY) {
			rc = collect_bad(c, shown.p, 1, "not a Kubernetes list"
			    "%s%s", err.msg[0] ? ": " : "", err.msg);
			goto out;
		}
		buf_reset(&kind);
		if (w->r != NULL)
			buf_adds(&kind, w->r->kind);
		else if ((t = json_obj_get(&d, 0, "kind")) >= 0 &&
		    d.tok[t].type == JSON_STRING) {
			json_str_decode(&d, (uint32_t)t, &kind);
			if (kind.len > 4 &&
			    strcmp(kind.p + kind.len - 4, "List") == 0)
				kind.p[kind.len -= 4] = '\0';
		}
		for (i = (uint32_t)items + 1, n = 0; n < d.tok[items].size;
		    n++, i = json_next(&d, i)) {
			const char *raw;
			size_t len;

			buf_reset(&obj);
			raw = json_raw(&d, i, &len);
			if (d.tok[i].type != JSON_OBJECT) {
				rc = collect_bad(c, shown.p, 1, "a list item "
				    "that is not an object");
				if (rc < 0)
					goto out;
				continue;
			}
			buf_addc(&obj, '{');
			if (json_obj_get(&d, i, "apiVersion") < 0) {
				buf_adds(&obj, "\"apiVersion\":");
				buf_add_json_str(&obj, api.p, api.len);
				buf_addc(&obj, ',');
			}
			if (json_obj_get(&d, i, "kind") < 0 && kind.len > 0) {
				buf_adds(&obj, "\"kind\":");
				buf_add_json_str(&obj, kind.p, kind.len);
				buf_addc(&obj, ',');
			}
			if (d.tok[i].size == 0)
				obj.len--;
			buf_add(&obj, raw + 1, len - 1);
			if (collect_k8s_object(c, k->scope, shown.p, obj.p,
			    obj.len, shown.p, 1) < 0)
				goto out;
		}
		buf_reset(&cont);
		md = json_obj_get(&d, 0, "metadata");
		if (md < 0 || d.tok[md].type != JSON_OBJECT ||
		    (t = json_obj_get(&d, (uint32_t)md, "continue")) < 0 ||
		    d.tok[t].type != JSON_STRING || d.tok[t].len == 0)
			break;
		json_str_decode(&d, (uint32_t)t, &cont);
		if (++pages > 1000000) {
			warnx("%s: paging does not end", shown.p);
			cli_fail(&c->cli, TEND_EXIT_INPUT);
			goto out;
		}
	}
	rc = 0;
out:
	http_response_release(&resp);
	json_doc_release(&d);
	buf_release(&url);
	buf_release(&shown);
	buf_release(&cont);
	buf_release(&api);
	buf_release(&kind);
	buf_release(&obj);
	return rc;
}

int
src_k8s(struct collect *c, int argc, char **argv)
{
	static const struct http_header accept[] = {
		{ "Accept", "application/json" },
	};
	struct k8sauth a;
	struct k8srun k;
	struct tend_err err = { 0 };
	struct kwant *want = NULL;
	struct buf label = BUF_INIT;
	char *copy, *s, *comma;
	size_t nwant = 0, i, j;
	int rc = -1, explicit = c->kinds != NULL;

	(void)argv;
	if (argc != 0) {
		warnx("k8s: takes no operands (see --kinds, --namespace)");
		cli_usage_error(&c->cli);
	}
	copy = xstrdup(explicit ? c->kinds : default_kinds);
	for (s = copy; ; s = comma + 1) {
		if ((comma = strchr(s, ',')) != NULL)
			*comma = '\0';
		if (*s != '\0') {
			want = xreallocarray(want, nwant + 1, sizeof(*want));
			if (resolve_kind(s, &want[nwant]) < 0) {
				warnx("--kinds: unknown kind '%s' (name a "
				    "resource, or GROUP/VERSION/RESOURCE)", s);
				free(copy);
				exit(TEND_EXIT_USAGE);
			}
			want[nwant++].explicit = explicit;
		}
		if (comma == NULL)
			break;
	}
	free(copy);
	memset(&a, 0, sizeof(a));
	memset(&k, 0, sizeof(k));
	c->kc_tried = 1;
	if (kc_load(c, &err) < 0 || auth_setup(c, &a, &err) < 0) {
		collect_progress_done(c);
		warnx("%s", err.msg);
		cli_fail(&c->cli, err.code);
		goto out;
	}
	a.o.max_redirects = 0;
	if (c->timeout_ms == 0)
		a.o.timeout_ms = K8S_TIMEOUT_MS;
	if ((k.h = collect_http_client(c, &a.o)) == NULL)
		goto out;
	k.c = c;
	k.a = &a;
	k.scope = c->scope != NULL ? c->scope : c->kc->scope.p;
	k.rq.headers = accept;
	k.rq.nheaders = ARRAY_SIZE(accept);
	k.rq.bearer = a.token.len > 0 ? a.token.p : NULL;
	k.rq.basic_user = a.user.len > 0 ? a.user.p : NULL;
	k.rq.basic_pass = a.pass.len > 0 ? a.pass.p : NULL;
	rc = 0;
	for (i = 0; i < nwant && rc == 0; i++) {
		const char *plural = want[i].r != NULL ? want[i].r->plural :
		    want[i].plural;
		int namespaced = want[i].r != NULL ? want[i].r->namespaced :
		    c->namespaces.n > 0;

		buf_reset(&label);
		buf_addf(&label, "%s (%zu/%zu)", plural, i + 1, nwant);
		if (!namespaced || c->namespaces.n == 0) {
			rc = list_kind(&k, &want[i], NULL, label.p);
			continue;
		}
		for (j = 0; j < c->namespaces.n && rc == 0; j++)
			rc = list_kind(&k, &want[i], c->namespaces.v[j],
			    label.p);
	}
out:
	for (i = 0; i < nwant; i++) {
		free(want[i].group);
		free(want[i].version);
		free(want[i].plural);
	}
	free(want);
	http_client_free(k.h);
	auth_release(&a);
	buf_release(&label);
	kc_free(c->kc);
	c->kc = NULL;
	return rc;
}
