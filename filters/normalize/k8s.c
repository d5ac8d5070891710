/*
 * k8s.c: a Kubernetes object as it is compared.
 *
 * A desired manifest and the live object the API server made from it
 * must normalise to the same spec when nothing drifted.  The server adds
 * three kinds of things a manifest lacks, and each is handled the same
 * way whichever side it is on:
 *   - bookkeeping (metadata.uid, resourceVersion, generation,
 *     creationTimestamp, managedFields, selfLink, the last-applied
 *     annotation, status): moved to the state's status, or dropped;
 *   - allocated values (a Service's clusterIP(s), ipFamilies and node
 *     ports, a Pod's nodeName, a PVC's volumeName): moved to status;
 *   - defaults: a member whose value is the server's default is left out
 *     (the rules table below), so "absent" and "set to the default"
 *     compare equal.  Nulls and empty arrays are left out everywhere (the
 *     API's omitempty), empty objects where the API writes them for
 *     nothing (resources: {}, securityContext: {}).
 * Everything else is kept, byte for byte.
 */
#include "compat.h"

#include <inttypes.h>

#include <sodium.h>

#include "base64.h"
#include "jcs.h"
#include "norm.h"

enum act {
	DROP,		/* always */
	DROP_IF,	/* when equal to the default */
	MOVE,		/* to status.spec, at the top of spec only */
};

enum vtype { V_NONE, V_STR, V_NUM, V_TRUE, V_FALSE, V_JSON };

struct rule {
	const char *member;	/* the table is sorted by member */
	const char *parents;	/* "a|b": member names holding the object */
	const char *kinds;	/* "A|B" or NULL for any */
	enum act act;
	enum vtype vt;
	const char *s;		/* V_STR: the string; V_JSON: its JCS */
	double	 num;
};

#define S(v)	V_STR, (v), 0
#define N(v)	V_NUM, NULL, (v)
#define T	V_TRUE, NULL, 0
#define F	V_FALSE, NULL, 0
#define J(v)	V_JSON, (v), 0
#define ANY	V_NONE, NULL, 0

#define POD_SPEC	"spec"
#define CONTAINER	"containers|initContainers|ephemeralContainers"
#define PROBE		"livenessProbe|readinessProbe|startupProbe"
#define VOLSRC		"configMap|secret|projected|downwardAPI"
#define REPLICATED	\
    "Deployment|StatefulSet|ReplicaSet|ReplicationController"
#define JOB		"Job|CronJob"

/* Sorted by member (strcmp), for bsearch. */
static const struct rule rules[] = {
	{ "allocateLoadBalancerNodePorts", "spec", "Service", DROP_IF, T },
	{ "apiGroup", "subjects|roleRef", NULL, DROP_IF, S("") },
	{ "apiGroup", "subjects", NULL, DROP_IF,
	    S("rbac.authorization.k8s.io") },
	{ "apiVersion", "fieldRef", NULL, DROP_IF, S("v1") },
	{ "apiVersion", "volumeClaimTemplates", NULL, DROP_IF, S("v1") },
	{ "backoffLimit", "spec", JOB, DROP_IF, N(6) },
	{ "batch.kubernetes.io/controller-uid", "labels", "Job", DROP, ANY },
	{ "batch.kubernetes.io/job-name", "labels", "Job", DROP, ANY },
	{ "completionMode", "spec", JOB, DROP_IF, S("NonIndexed") },
	{ "completions", "spec", JOB, DROP_IF, N(1) },
	{ "concurrencyPolicy", "spec", "CronJob", DROP_IF, S("Allow") },
	{ "controller-uid", "labels", "Job", DROP, ANY },
	{ "defaultMode", VOLSRC, NULL, DROP_IF, N(420) },
	{ "dnsPolicy", POD_SPEC, NULL, DROP_IF, S("ClusterFirst") },
	{ "enableServiceLinks", POD_SPEC, NULL, DROP_IF, T },
	{ "externalTrafficPolicy", "spec", "Service", DROP_IF,
	    S("Cluster") },
	{ "failedJobsHistoryLimit", "spec", "CronJob", DROP_IF, N(1) },
	{ "failureThreshold", PROBE, NULL, DROP_IF, N(3) },
	{ "finalizers", "spec", "Namespace", DROP_IF, J("[\"kubernetes\"]") },
	{ "healthCheckNodePort", "spec", "Service", MOVE, ANY },
	{ "hostIPC", POD_SPEC, NULL, DROP_IF, F },
	{ "hostNetwork", POD_SPEC, NULL, DROP_IF, F },
	{ "hostPID", POD_SPEC, NULL, DROP_IF, F },
	{ "internalTrafficPolicy", "spec", "Service", DROP_IF, S("Cluster") },
	{ "ipFamilies", "spec", "Service", MOVE, ANY },
	{ "ipFamilyPolicy", "spec", "Service", DROP_IF, S("SingleStack") },
	{ "job-name", "labels", "Job", DROP, ANY },
	{ "kind", "volumeClaimTemplates", NULL, DROP_IF,
	    S("PersistentVolumeClaim") },
	{ "kubernetes.io/metadata.name", "labels", "Namespace", DROP, ANY },
	{ "maxSurge", "rollingUpdate", "Deployment", DROP_IF, S("25%") },
	{ "maxSurge", "rollingUpdate", "DaemonSet", DROP_IF, N(0) },
	{ "maxUnavailable", "rollingUpdate", "Deployment", DROP_IF, S("25%") },
	{ "maxUnavailable", "rollingUpdate", "DaemonSet|StatefulSet", DROP_IF,
	    N(1) },
	{ "minReadySeconds", "spec", NULL, DROP_IF, N(0) },
	{ "nodeName", "spec", "Pod", MOVE, ANY },
	{ "parallelism", "spec", JOB, DROP_IF, N(1) },
	{ "partition", "rollingUpdate", "StatefulSet", DROP_IF, N(0) },
	{ "paused", "spec", "Deployment", DROP_IF, F },
	{ "periodSeconds", PROBE, NULL, DROP_IF, N(10) },
	{ "podManagementPolicy", "spec", "StatefulSet", DROP_IF,
	    S("OrderedReady") },
	{ "podReplacementPolicy", "spec", JOB, DROP_IF,
	    S("TerminatingOrFailed") },
	{ "preemptionPolicy", POD_SPEC, NULL, DROP_IF,
	    S("PreemptLowerPriority") },
	{ "priority", "spec", "Pod", MOVE, ANY },
	{ "progressDeadlineSeconds", "spec", "Deployment", DROP_IF, N(600) },
	{ "protocol", "ports", NULL, DROP_IF, S("TCP") },
	{ "readOnly", "volumeMounts", NULL, DROP_IF, F },
	{ "replicas", "spec", REPLICATED, DROP_IF, N(1) },
	{ "restartPolicy", POD_SPEC, NULL, DROP_IF, S("Always") },
	{ "revisionHistoryLimit", "spec", "Deployment|StatefulSet|DaemonSet",
	    DROP_IF, N(10) },
	{ "schedulerName", POD_SPEC, NULL, DROP_IF, S("default-scheduler") },
	{ "scheme", "httpGet", NULL, DROP_IF, S("HTTP") },
	{ "selector", "spec", "Job", MOVE, ANY },
	{ "serviceAccountName", POD_SPEC, NULL, DROP_IF, S("default") },
	{ "sessionAffinity", "spec", "Service", DROP_IF, S("None") },
	{ "status", "volumeClaimTemplates", NULL, DROP, ANY },
	{ "stdin", CONTAINER, NULL, DROP_IF, F },
	{ "stdinOnce", CONTAINER, NULL, DROP_IF, F },
	{ "successThreshold", PROBE, NULL, DROP_IF, N(1) },
	{ "successfulJobsHistoryLimit", "spec", "CronJob", DROP_IF, N(3) },
	{ "suspend", "spec", JOB, DROP_IF, F },
	{ "terminationGracePeriodSeconds", POD_SPEC, NULL, DROP_IF, N(30) },
	{ "terminationMessagePath", CONTAINER, NULL, DROP_IF,
	    S("/dev/termination-log") },
	{ "terminationMessagePolicy", CONTAINER, NULL, DROP_IF, S("File") },
	{ "timeoutSeconds", PROBE, NULL, DROP_IF, N(1) },
	{ "timeoutSeconds", "clientIP", NULL, DROP_IF, N(10800) },
	{ "tty", CONTAINER, NULL, DROP_IF, F },
	{ "type", "hostPath", NULL, DROP_IF, S("") },
	{ "type", "spec", "Service", DROP_IF, S("ClusterIP") },
	{ "type", "strategy", "Deployment", DROP_IF, S("RollingUpdate") },
	{ "type", "updateStrategy", "StatefulSet|DaemonSet", DROP_IF,
	    S("RollingUpdate") },
	{ "volumeMode", "spec", NULL, DROP_IF, S("Filesystem") },
	{ "volumeName", "spec", "PersistentVolumeClaim", MOVE, ANY },
	{ "whenDeleted", "persistentVolumeClaimRetentionPolicy", NULL, DROP_IF,
	    S("Retain") },
	{ "whenScaled", "persistentVolumeClaimRetentionPolicy", NULL, DROP_IF,
	    S("Retain") },
};

/* Objects the API writes even when they hold nothing: {} is left out. */
static const char *const empty_objects[] = {
	"annotations", "clientIP", "labels", "metadata",
	"persistentVolumeClaimRetentionPolicy", "resources", "rollingUpdate",
	"securityContext", "sessionAffinityConfig", "strategy",
	"updateStrategy",
};

/* Annotations the server or controllers write: to status. */
static const char *const status_annotations[] = {
	"control-plane.alpha.kubernetes.io/leader",
	"deployment.kubernetes.io/",
	"deprecated.daemonset.template.generation",
	"endpoints.kubernetes.io/",
	"pv.kubernetes.io/",
	"volume.beta.kubernetes.io/",
	"volume.kubernetes.io/",
};

#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"
#define SA_MOUNT "/var/run/secrets/kubernetes.io/serviceaccount"

struct k8s {
	struct norm *n;
	const struct json_doc *d;
	const char *kind;
	size_t	 kindlen;
	int	 top;		/* walking the top spec object itself */
};

/* 1 if s[0..n) is one of the '|'-separated words of list. */
static int
in_list(const char *list, const char *s, size_t n)
{
	const char *p = list, *e;

	for (;;) {
		e = strchr(p, '|');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == n && memcmp(p, s, n) == 0)
			return 1;
		if (*e == '\0')
			return 0;
		p = e + 1;
	}
}

/*
 * Most members have no rule, so finding out must be cheap: an open
 * addressing table from the member name's hash to its first rule, built
 * on first use (the rules of one member are adjacent in the table).
 */
#define RULE_SLOTS 256		/* a power of two, > 2 * rules */

static int16_t rule_slot[RULE_SLOTS];
static int rules_indexed;

static uint32_t
name_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static void
rules_index(void)
{
	size_t i;
	uint32_t h;

	if (rules_indexed)
		return;
	if (2 * ARRAY_SIZE(rules) >= RULE_SLOTS)
		BUG("k8s rules: RULE_SLOTS too small");
	for (i = 0; i < RULE_SLOTS; i++)
		rule_slot[i] = -1;
	for (i = 0; i < ARRAY_SIZE(rules); i++) {
		if (i > 0 && strcmp(rules[i - 1].member, rules[i].member) > 0)
			BUG("k8s rules table not sorted");
		if (i > 0 && strcmp(rules[i - 1].member, rules[i].member) == 0)
			continue;
		h = name_hash(rules[i].member, strlen(rules[i].member));
		while (rule_slot[h & (RULE_SLOTS - 1)] >= 0)
			h++;
		rule_slot[h & (RULE_SLOTS - 1)] = (int16_t)i;
	}
	rules_indexed = 1;
}

static int
member_cmp(const char *m, size_t ml, const char *s)
{
	return strncmp(m, s, ml) == 0 && s[ml] == '\0' ? 0 : 1;
}

/* The first rule for member m[0..ml), or NULL. */
static const struct rule *
rule_first(const char *m, size_t ml)
{
	uint32_t h = name_hash(m, ml);
	int16_t r;

	while ((r = rule_slot[h & (RULE_SLOTS - 1)]) >= 0) {
		if (member_cmp(m, ml, rules[r].member) == 0)
			return &rules[r];
		h++;
	}
	return NULL;
}

static int
value_is(const struct k8s *x, uint32_t v, const struct rule *r)
{
	const struct json_doc *d = x->d;
	const struct json_tok *t = &d->tok[v];
	struct buf *b = &x->n->tmp;
	struct tend_err err;
	int eq;

	switch (r->vt) {
	case V_NONE:
		return 1;
	case V_STR:
		return t->type == JSON_STRING &&
		    key_is(d, v, r->s, strlen(r->s));
	case V_NUM:
		return t->type == JSON_NUMBER && json_num(d, v) == r->num;
	case V_TRUE:
		return t->type == JSON_TRUE;
	case V_FALSE:
		return t->type == JSON_FALSE;
	case V_JSON:
		b->len = 0;
		if (jcs_canon(d, v, b, &err) < 0)
			return 0;
		eq = strlen(r->s) == b->len && memcmp(r->s, b->p, b->len) == 0;
		return eq;
	}
	return 0;
}

/* The rule that applies to member m with value v in an object held by
   member pk, or NULL. */
static const struct rule *
rule_find(const struct k8s *x, const char *m, size_t ml, const char *pk,
    size_t pkl, uint32_t v)
{
	const struct rule *r = rule_first(m, ml);

	if (r == NULL || pk == NULL)
		return NULL;
	for (; r < rules + ARRAY_SIZE(rules) &&
	    member_cmp(m, ml, r->member) == 0; r++) {
		if (!in_list(r->parents, pk, pkl))
			continue;
		if (r->kinds != NULL && !in_list(r->kinds, x->kind, x->kindlen))
			continue;
		if (r->act == MOVE && !x->top)
			continue;
		if (r->act == DROP_IF && !value_is(x, v, r))
			continue;
		return r;
	}
	return NULL;
}

static int
is_empty_object_dropped(const char *m, size_t ml)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(empty_objects); i++)
		if (strlen(empty_objects[i]) == ml &&
		    memcmp(empty_objects[i], m, ml) == 0)
			return 1;
	return 0;
}

static int
starts(const char *s, size_t n, const char *prefix)
{
	size_t pl = strlen(prefix);

	return n >= pl && memcmp(s, prefix, pl) == 0;
}

static void k8s_value(struct k8s *, uint32_t, const char *, size_t,
    struct buf *);

/* k8s_value as a norm_copy_fn: n->ctx is the struct k8s. */
static void
k8s_copy(struct norm *n, uint32_t i, const char *pk, size_t pkl,
    struct buf *out)
{
	k8s_value(n->ctx, i, pk, pkl, out);
}

/* Array elements the server adds to pods: the service account token
   volume and its mount, the default not-ready/unreachable tolerations. */
static int
element_dropped(const struct k8s *x, uint32_t e, const char *pk, size_t pkl)
{
	const struct json_doc *d = x->d;
	int64_t a, b, name;
	size_t len;
	const char *s;

	if (d->tok[e].type != JSON_OBJECT)
		return 0;
	if (pkl == 12 && memcmp(pk, "volumeMounts", 12) == 0) {
		a = json_obj_get(d, e, "mountPath");
		return a >= 0 && STR_IS(d, (uint32_t)a, SA_MOUNT);
	}
	if (pkl == 7 && memcmp(pk, "volumes", 7) == 0) {
		name = json_obj_get(d, e, "name");
		if (name < 0 || d->tok[name].type != JSON_STRING ||
		    d->tok[name].escaped)
			return 0;
		s = d->src + d->tok[name].off;
		len = d->tok[name].len;
		if (starts(s, len, "kube-api-access-") &&
		    json_obj_get(d, e, "projected") >= 0)
			return 1;
		a = obj_get(d, json_obj_get(d, e, "secret"), "secretName");
		return a >= 0 && memmem(s, len, "-token-", 7) != NULL &&
		    str_is(d, (uint32_t)a, s, len);
	}
	if (pkl == 11 && memcmp(pk, "tolerations", 11) == 0) {
		if (d->tok[e].size != 4)
			return 0;
		a = json_obj_get(d, e, "key");
		b = json_obj_get(d, e, "tolerationSeconds");
		if (a < 0 || b < 0 || d->tok[b].type != JSON_NUMBER ||
		    json_num(d, (uint32_t)b) != 300)
			return 0;
		if (!STR_IS(d, (uint32_t)a, "node.kubernetes.io/not-ready") &&
		    !STR_IS(d, (uint32_t)a, "node.kubernetes.io/unreachable"))
			return 0;
		a = json_obj_get(d, e, "effect");
		b = json_obj_get(d, e, "operator");
		return a >= 0 && b >= 0 &&
		    STR_IS(d, (uint32_t)a, "NoExecute") &&
		    STR_IS(d, (uint32_t)b, "Exists");
	}
	return 0;
}

/* The pull policy the server picks for an image: Always for :latest or
   no tag (and no digest), else IfNotPresent. */
static int
pull_policy_default(const struct k8s *x, uint32_t o, uint32_t v)
{
	const struct json_doc *d = x->d;
	int64_t img = json_obj_get(d, o, "image");
	const char *s, *slash, *colon;
	size_t len;
	int always;

	if (img < 0 || d->tok[img].type != JSON_STRING ||
	    d->tok[img].escaped || d->tok[v].type != JSON_STRING)
		return 0;
	s = d->src + d->tok[img].off;
	len = d->tok[img].len;
	if (memmem(s, len, "@", 1) != NULL) {
		always = 0;
	} else {
		slash = memrchr(s, '/', len);
		colon = memrchr(s, ':', len);
		if (colon == NULL || (slash != NULL && colon < slash))
			always = 1;
		else
			always = (size_t)(s + len - colon - 1) == 6 &&
			    memcmp(colon + 1, "latest", 6) == 0;
	}
	return always ? STR_IS(d, v, "Always") : STR_IS(d, v, "IfNotPresent");
}

static int
canon_equal(struct k8s *x, int64_t a, int64_t b)
{
	struct buf *ba = &x->n->tmp, *bb = &x->n->tmp2;
	struct tend_err err;

	if (a < 0 || b < 0)
		return 0;
	ba->len = bb->len = 0;
	if (jcs_canon(x->d, (uint32_t)a, ba, &err) < 0 ||
	    jcs_canon(x->d, (uint32_t)b, bb, &err) < 0)
		return 0;
	return ba->len == bb->len && memcmp(ba->p, bb->p, ba->len) == 0;
}

static void
move_to_status(struct k8s *x, uint32_t k, uint32_t v)
{
	struct norm *n = x->n;

	n->stv.len = n->stk.len = 0;
	norm_copy(n, v, NULL, 0, &n->stv);
	json_str_decode(x->d, k, &n->stk);
	members_add(&n->st_spec, &n->n_spec, n->stk.p, n->stk.len, n->stv.p,
	    n->stv.len);
}

/*
 * Rules that need the member's siblings.  Returns 1 when the member was
 * dealt with (left out, moved or written), 0 to go on as usual.
 */
static int
member_hook(struct k8s *x, uint32_t o, uint32_t k, const char *m, size_t ml,
    const char *pk, size_t pkl, struct jw *w)
{
	const struct json_doc *d = x->d;
	uint32_t v = k + 1;
	int64_t a, b;
	size_t len;
	const char *raw;

	if (ml == 15 && memcmp(m, "imagePullPolicy", 15) == 0 &&
	    in_list(CONTAINER, pk, pkl))
		return pull_policy_default(x, o, v);
	if (pkl == 5 && memcmp(pk, "ports", 5) == 0 &&
	    x->kindlen == 7 && memcmp(x->kind, "Service", 7) == 0) {
		if (ml == 10 && memcmp(m, "targetPort", 10) == 0) {
			/* defaults to port */
			a = json_obj_get(d, o, "port");
			return a >= 0 && d->tok[v].type == JSON_NUMBER &&
			    d->tok[a].type == JSON_NUMBER &&
			    json_num(d, v) == json_num(d, (uint32_t)a);
		}
		if (ml == 8 && memcmp(m, "nodePort", 8) == 0) {
			if (x->n->n_ports++ > 0)
				buf_addc(&x->n->st_ports, ',');
			raw = json_raw(d, v, &len);
			buf_add(&x->n->st_ports, raw, len);
			return 1;
		}
		return 0;
	}
	if (pkl != 4 || memcmp(pk, "spec", 4) != 0)
		return 0;
	if (ml == 14 && memcmp(m, "serviceAccount", 14) == 0) {
		/* deprecated; the server copies serviceAccountName in */
		if (json_obj_get(d, o, "serviceAccountName") >= 0 ||
		    STR_IS(d, v, "default"))
			return 1;
		jw_lit(w, "serviceAccountName");
		norm_string(x->n, v, w->b);
		return 1;
	}
	if (x->top && x->kindlen == 7 && memcmp(x->kind, "Service", 7) == 0 &&
	    ml >= 9 && memcmp(m, "clusterIP", 9) == 0) {
		if (ml == 9 && STR_IS(d, v, "None"))
			return 0;	/* headless: asked for */
		if (ml == 10 && json_obj_get(d, o, "clusterIP") >= 0 &&
		    STR_IS(d, (uint32_t)json_obj_get(d, o, "clusterIP"),
		    "None"))
			return 1;	/* ["None"], from clusterIP */
		if (ml == 9 || ml == 10) {
			move_to_status(x, k, v);
			return 1;
		}
		return 0;
	}
	if (x->top && x->kindlen == 21 &&
	    memcmp(x->kind, "ReplicationController", 21) == 0 &&
	    ml == 8 && memcmp(m, "selector", 8) == 0) {
		/* defaults to the template's labels */
		a = obj_get(d, obj_get(d, json_obj_get(d, o, "template"),
		    "metadata"), "labels");
		return canon_equal(x, v, a);
	}
	if (x->top && x->kindlen == 13 &&
	    memcmp(x->kind, "NetworkPolicy", 13) == 0 &&
	    ml == 11 && memcmp(m, "policyTypes", 11) == 0) {
		/* ["Ingress"], and "Egress" when there are egress rules */
		b = json_obj_get(d, o, "egress");
		if (d->tok[v].type != JSON_ARRAY)
			return 0;
		a = json_arr_at(d, v, 0);
		if (a < 0 || !STR_IS(d, (uint32_t)a, "Ingress"))
			return 0;
		if (d->tok[v].size == 1)
			return b < 0;
		a = json_arr_at(d, v, 1);
		return d->tok[v].size == 2 && b >= 0 &&
		    STR_IS(d, (uint32_t)a, "Egress");
	}
	return 0;
}

/*
 * A resource.Quantity as the API server writes it back: "1000m" is "1",
 * 0.5 is "500m", "1024Mi" is "1Gi", a number is a string.  The largest
 * suffix of the quantity's kind (decimal m, k, M, ..., or binary Ki, Mi,
 * ...) that leaves an integer; binary amounts under 1024 are written in
 * decimal.  Returns the length written to out, or 0 to keep the value as
 * it is (a sign, an exponent, precision below a milli or a byte, more
 * than 64 bits, or not a quantity).
 */
static size_t
quantity_canon(const char *s, size_t n, char *out, size_t outlen)
{
	static const char *const dec[] = { "", "k", "M", "G", "T", "P", "E" };
	static const char *const bin[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi",
	    "Ei" };
	uint64_t v = 0, p10 = 1;
	size_t i = 0, frac = 0, digits = 0, k;
	int binary = 0, e = 0, dot = 0, r;

	for (; i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'); i++) {
		if (s[i] == '.') {
			if (dot++)
				return 0;
			continue;
		}
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
			return 0;
		digits++;
		frac += dot;
	}
	if (digits == 0)
		return 0;
	if (n - i == 1 && s[i] == 'm') {
		e = -1;
	} else if (n - i == 2 && s[i + 1] == 'i') {
		for (k = 1; k < ARRAY_SIZE(bin) && bin[k][0] != s[i]; k++)
			;
		if (k == ARRAY_SIZE(bin))
			return 0;
		binary = 1;
		e = (int)k;
	} else if (n - i == 1) {
		for (k = 1; k < ARRAY_SIZE(dec) && dec[k][0] != s[i]; k++)
			;
		if (k == ARRAY_SIZE(dec))
			return 0;
		e = (int)k;
	} else if (n != i) {
		return 0;
	}
	for (k = 0; k < frac; k++)
		if (__builtin_mul_overflow(p10, 10, &p10))
			return 0;
	if (binary) {
		/* v / 10^frac * 1024^e bytes */
		for (k = 0; k < (size_t)e; k++)
			if (__builtin_mul_overflow(v, 1024, &v))
				return 0;
		if (v % p10 != 0)
			return 0;
		v /= p10;
		if (v >= 1024) {
			for (k = 0; k + 1 < ARRAY_SIZE(bin) && v % 1024 == 0;
			    k++)
				v /= 1024;
			r = snprintf(out, outlen, "%" PRIu64 "%s", v, bin[k]);
			return r > 0 && (size_t)r < outlen ? (size_t)r : 0;
		}
		e = 0;
		p10 = 1;
	}
	/* decimal: v / 10^frac * 1000^e, counted in thousandths */
	for (k = 0; k < (size_t)(3 * (e + 1)); k++)
		if (__builtin_mul_overflow(v, 10, &v))
			return 0;
	if (v % p10 != 0)
		return 0;
	v /= p10;
	if (v % 1000 != 0) {
		r = snprintf(out, outlen, "%" PRIu64 "m", v);
	} else {
		v /= 1000;
		for (k = 0; k + 1 < ARRAY_SIZE(dec) && v != 0 && v % 1000 == 0;
		    k++)
			v /= 1000;
		r = snprintf(out, outlen, "%" PRIu64 "%s", v, dec[k]);
	}
	return r > 0 && (size_t)r < outlen ? (size_t)r : 0;
}

/* Members whose values are quantities: those of the objects named by
   quantity_parents, and sizeLimit. */
#define QUANTITY_PARENTS "limits|requests|hard"

static int
quantity_member(struct k8s *x, uint32_t k, const char *m, size_t ml,
    const char *pk, size_t pkl, struct jw *w)
{
	const struct json_tok *t = &x->d->tok[k + 1];
	char q[64];
	size_t len;

	if (!(pk != NULL && in_list(QUANTITY_PARENTS, pk, pkl)) &&
	    !(ml == 9 && memcmp(m, "sizeLimit", 9) == 0))
		return 0;
	if ((t->type != JSON_STRING && t->type != JSON_NUMBER) || t->escaped)
		return 0;
	if ((len = quantity_canon(x->d->src + t->off, t->len, q,
	    sizeof(q))) == 0)
		return 0;
	jw_key(w, x->d, k);
	buf_add_json_str(w->b, q, len);
	return 1;
}

/* 1 if the text just written at out[from..] is an empty container that
   is left out. */
static int
written_empty(const struct buf *out, size_t from, const char *m, size_t ml,
    int had_members)
{
	size_t len = out->len - from;
	const char *p = out->p + from;

	if (len != 2)
		return 0;
	if (p[0] == '[' && p[1] == ']')
		return 1;
	if (p[0] == '{' && p[1] == '}')
		return had_members ||
		    (m != NULL && is_empty_object_dropped(m, ml));
	return 0;
}

static void
k8s_object(struct k8s *x, uint32_t o, const char *pk, size_t pkl,
    struct buf *out)
{
	char kb[KEY_NAME_MAX];
	const struct json_doc *d = x->d;
	const struct rule *r;
	struct jw w;
	struct jw_mark mk;
	uint32_t k, v;
	const char *m;
	size_t ml, at;
	int top = x->top;

	jw_open(&w, out, '{');
	for (k = o + 1; k < d->tok[o].end; k = d->tok[k + 1].end) {
		v = k + 1;
		if (d->tok[v].type == JSON_NULL)
			continue;
		x->top = top;
		if ((m = key_name(d, k, kb, &ml)) == NULL) {
			/* an escaped key: no rule names one */
			jw_key(&w, d, k);
			x->top = 0;
			k8s_value(x, v, NULL, 0, out);
			continue;
		}
		if (norm_is_env(m, ml)) {
			jw_key(&w, d, k);
			x->top = 0;
			norm_env(x->n, v, k8s_copy, out);
			continue;
		}
		if ((r = rule_find(x, m, ml, pk, pkl, v)) != NULL) {
			if (r->act == MOVE)
				move_to_status(x, k, v);
			continue;
		}
		if (member_hook(x, o, k, m, ml, pk, pkl, &w) ||
		    quantity_member(x, k, m, ml, pk, pkl, &w))
			continue;
		mk = jw_mark(&w);
		jw_key(&w, d, k);
		at = out->len;
		x->top = 0;
		k8s_value(x, v, m, ml, out);
		if (written_empty(out, at, m, ml, d->tok[v].size > 0))
			jw_undo(&w, mk);
	}
	x->top = top;
	jw_close(&w, '}');
}

static void
k8s_value(struct k8s *x, uint32_t i, const char *pk, size_t pkl,
    struct buf *out)
{
	const struct json_doc *d = x->d;
	const struct json_tok *t = &d->tok[i];
	struct jw w;
	struct jw_mark mk;
	uint32_t j;
	size_t len, at;
	const char *raw;

	switch (t->type) {
	case JSON_OBJECT:
		k8s_object(x, i, pk, pkl, out);
		return;
	case JSON_ARRAY:
		jw_open(&w, out, '[');
		for (j = i + 1; j < t->end; j = d->tok[j].end) {
			if (d->tok[j].type == JSON_NULL ||
			    (pk != NULL && element_dropped(x, j, pk, pkl)))
				continue;
			mk = jw_mark(&w);
			jw_sep(&w);
			at = out->len;
			k8s_value(x, j, pk, pkl, out);
			/* an element emptied by the rules (not one that was
			   empty) is left out */
			if (out->len - at == 2 && out->p[at] == '{' &&
			    d->tok[j].size > 0)
				jw_undo(&w, mk);
		}
		jw_close(&w, ']');
		return;
	case JSON_STRING:
		norm_string(x->n, i, out);
		return;
	default:
		raw = json_raw(d, i, &len);
		buf_add(out, raw, len);
		return;
	}
}

/* metadata.annotations: the last-applied copy of the manifest goes (it
   would hold a Secret's values in clear), server-written ones go to
   status, the rest is kept. */
static void
annotations(struct k8s *x, uint32_t o, struct buf *out)
{
	char kb[KEY_NAME_MAX];
	const struct json_doc *d = x->d;
	struct norm *n = x->n;
	struct jw w;
	uint32_t k;
	const char *m, *raw;
	size_t ml, i, len;

	jw_open(&w, out, '{');
	for (k = o + 1; k < d->tok[o].end; k = d->tok[k + 1].end) {
		if (d->tok[k + 1].type == JSON_NULL)
			continue;
		if ((m = key_name(d, k, kb, &ml)) != NULL) {
			if (ml == sizeof(LAST_APPLIED) - 1 &&
			    memcmp(m, LAST_APPLIED, ml) == 0)
				continue;
			for (i = 0; i < ARRAY_SIZE(status_annotations); i++)
				if (starts(m, ml, status_annotations[i]))
					break;
			if (i < ARRAY_SIZE(status_annotations)) {
				if (n->n_ann++ > 0)
					buf_addc(&n->st_ann, ',');
				raw = json_raw(d, k, &len);
				buf_add(&n->st_ann, raw, len);
				buf_addc(&n->st_ann, ':');
				norm_copy(n, k + 1, NULL, 0, &n->st_ann);
				continue;
			}
		}
		jw_key(&w, d, k);
		norm_copy(n, k + 1, NULL, 0, out);
	}
	jw_close(&w, '}');
}

/* Members of metadata that are the server's record, not the desire. */
static const char *const meta_status[] = {
	"creationTimestamp", "deletionGracePeriodSeconds",
	"deletionTimestamp", "finalizers", "generateName", "generation",
	"ownerReferences", "resourceVersion", "uid",
};

static void
metadata(struct k8s *x, uint32_t o, struct buf *out)
{
	char kb[KEY_NAME_MAX];
	const struct json_doc *d = x->d;
	struct norm *n = x->n;
	struct jw w;
	struct jw_mark mk;
	uint32_t k, v;
	const char *m, *raw;
	size_t ml, i, at, len;

	jw_open(&w, out, '{');
	for (k = o + 1; k < d->tok[o].end; k = d->tok[k + 1].end) {
		v = k + 1;
		if (d->tok[v].type == JSON_NULL)
			continue;
		m = key_name(d, k, kb, &ml);
		if (m == NULL) {
			jw_key(&w, d, k);
			k8s_value(x, v, NULL, 0, out);
			continue;
		}
		/* identity: in the key, name and namespace of the state */
		if ((ml == 4 && memcmp(m, "name", 4) == 0) ||
		    (ml == 9 && memcmp(m, "namespace", 9) == 0))
			continue;
		if ((ml == 13 && memcmp(m, "managedFields", 13) == 0) ||
		    (ml == 8 && memcmp(m, "selfLink", 8) == 0))
			continue;
		for (i = 0; i < ARRAY_SIZE(meta_status); i++)
			if (strlen(meta_status[i]) == ml &&
			    memcmp(meta_status[i], m, ml) == 0)
				break;
		if (i < ARRAY_SIZE(meta_status)) {
			if (n->n_meta++ > 0)
				buf_addc(&n->st_meta, ',');
			raw = json_raw(d, k, &len);
			buf_add(&n->st_meta, raw, len);
			buf_addc(&n->st_meta, ':');
			norm_copy(n, v, NULL, 0, &n->st_meta);
			continue;
		}
		mk = jw_mark(&w);
		jw_key(&w, d, k);
		at = out->len;
		if (ml == 11 && memcmp(m, "annotations", 11) == 0 &&
		    d->tok[v].type == JSON_OBJECT)
			annotations(x, v, out);
		else
			k8s_value(x, v, m, ml, out);
		if (written_empty(out, at, m, ml, d->tok[v].size > 0))
			jw_undo(&w, mk);
	}
	jw_close(&w, '}');
}

/* data.labels: metadata.labels without what the rules leave out. */
static void
data_labels(struct k8s *x, int64_t labels)
{
	char kb[KEY_NAME_MAX];
	const struct json_doc *d = x->d;
	struct norm *n = x->n;
	uint32_t k;
	const char *m, *raw;
	size_t ml, len;

	n->labels = labels;
	if (labels < 0 || d->tok[labels].type != JSON_OBJECT)
		return;
	for (k = (uint32_t)labels + 1; k < d->tok[labels].end;
	    k = d->tok[k + 1].end) {
		if (d->tok[k + 1].type != JSON_STRING)
			continue;
		if ((m = key_name(d, k, kb, &ml)) != NULL &&
		    rule_find(x, m, ml, "labels", 6, k + 1) != NULL)
			continue;
		if (n->nlabels++ > 0)
			buf_addc(&n->labels_out, ',');
		raw = json_raw(d, k, &len);
		buf_add(&n->labels_out, raw, len);
		buf_addc(&n->labels_out, ':');
		norm_string(n, k + 1, &n->labels_out);
	}
}

/* A Secret's value in data: the token of the bytes it decodes to, so it
   equals the token of the same value given in clear in stringData. */
static void
secret_data_value(struct k8s *x, uint32_t v, struct buf *out)
{
	struct norm *n = x->n;
	const struct json_tok *t = &x->d->tok[v];
	const char *text = x->d->src + t->off;
	size_t len = t->len;

	if (t->type != JSON_STRING) {
		norm_secret(n, v, out);
		return;
	}
	n->b64.len = 0;
	if (t->escaped) {
		json_str_decode(x->d, v, &n->b64);
		text = n->b64.p;
		len = n->b64.len;
	}
	n->clear.len = 0;
	if (base64_decode(&n->clear, text, len, BASE64_STD) < 0)
		/* not base64: the token of the text as it is */
		norm_secret_bytes(n, text, len, out);
	else
		norm_secret_bytes(n, n->clear.p, n->clear.len, out);
	norm_wipe(n);
	sodium_memzero(n->b64.p, n->b64.len);
}

/* A Secret's data and stringData as one "data" object (the server
   merges stringData in, stringData winning), every value a token. */
static void
secret_data(struct k8s *x, int64_t data, int64_t sdata, struct buf *out)
{
	const struct json_doc *d = x->d;
	struct norm *n = x->n;
	struct jw w;
	uint32_t k;

	jw_open(&w, out, '{');
	if (data >= 0 && d->tok[data].type == JSON_OBJECT) {
		for (k = (uint32_t)data + 1; k < d->tok[data].end;
		    k = d->tok[k + 1].end) {
			if (d->tok[k + 1].type == JSON_NULL)
				continue;
			n->tmp.len = 0;
			json_str_decode(d, k, &n->tmp);
			if (sdata >= 0 && d->tok[sdata].type == JSON_OBJECT &&
			    json_obj_get(d, (uint32_t)sdata, n->tmp.p) >= 0)
				continue;
			jw_key(&w, d, k);
			secret_data_value(x, k + 1, out);
		}
	}
	if (sdata >= 0 && d->tok[sdata].type == JSON_OBJECT) {
		for (k = (uint32_t)sdata + 1; k < d->tok[sdata].end;
		    k = d->tok[k + 1].end) {
			if (d->tok[k + 1].type == JSON_NULL)
				continue;
			jw_key(&w, d, k);
			norm_secret(n, k + 1, out);
		}
	}
	jw_close(&w, '}');
}

static int
kind_is(const struct k8s *x, const char *k)
{
	return strlen(k) == x->kindlen && memcmp(k, x->kind, x->kindlen) == 0;
}

static void
status_member(struct norm *n, const char *key, uint32_t v)
{
	n->stv.len = 0;
	norm_copy(n, v, NULL, 0, &n->stv);
	members_add(&n->st_top, &n->n_top, key, strlen(key), n->stv.p,
	    n->stv.len);
}

void
k8s_normalize(struct norm *n, uint32_t obj)
{
	char kb[KEY_NAME_MAX];
	const struct json_doc *d = n->d;
	struct k8s x = { n, d, n->kind, strlen(n->kind), 0 };
	struct buf *out = &n->spec;
	struct jw w;
	struct jw_mark mk;
	uint32_t k, v;
	int64_t data = -1, sdata = -1;
	int secret = kind_is(&x, "Secret"), did_data = 0;
	const char *m;
	size_t ml, at;

	rules_index();
	n->ctx = &x;
	data_labels(&x, obj_get(d, obj_get(d, obj, "metadata"), "labels"));
	if (secret) {
		data = json_obj_get(d, obj, "data");
		sdata = json_obj_get(d, obj, "stringData");
	}
	jw_open(&w, out, '{');
	for (k = obj + 1; k < d->tok[obj].end; k = d->tok[k + 1].end) {
		v = k + 1;
		x.top = 0;
		if (d->tok[v].type == JSON_NULL)
			continue;
		m = key_name(d, k, kb, &ml);
		if (m == NULL) {
			jw_key(&w, d, k);
			k8s_value(&x, v, NULL, 0, out);
			continue;
		}
#define IS(lit) (ml == sizeof(lit) - 1 && memcmp(m, lit, ml) == 0)
		if (IS("kind"))
			continue;
		/* what the server or a controller writes */
		if (IS("apiVersion") || IS("status")) {
			status_member(n, IS("status") ? "status" : "apiVersion",
			    v);
			continue;
		}
		if (IS("secrets") && kind_is(&x, "ServiceAccount")) {
			status_member(n, "secrets", v);
			continue;
		}
		if (IS("rules") && kind_is(&x, "ClusterRole") &&
		    json_obj_get(d, obj, "aggregationRule") >= 0) {
			status_member(n, "rules", v);
			continue;
		}
		if (secret && (IS("data") || IS("stringData"))) {
			if (did_data++)
				continue;
			jw_lit(&w, "data");
			secret_data(&x, data, sdata, out);
			continue;
		}
		if (secret && IS("type") && STR_IS(d, v, "Opaque"))
			continue;
		mk = jw_mark(&w);
		jw_key(&w, d, k);
		at = out->len;
		if (IS("metadata") && d->tok[v].type == JSON_OBJECT) {
			metadata(&x, v, out);
		} else if (IS("data") && kind_is(&x, "ConfigMap")) {
			/* configuration read as an environment */
			norm_env(n, v, k8s_copy, out);
		} else if (IS("spec") && d->tok[v].type == JSON_OBJECT) {
			x.top = 1;
			k8s_object(&x, v, "spec", 4, out);
			x.top = 0;
		} else {
			k8s_value(&x, v, m, ml, out);
		}
#undef IS
		if (written_empty(out, at, m, ml, d->tok[v].size > 0))
			jw_undo(&w, mk);
	}
	jw_close(&w, '}');
	n->ctx = NULL;
}
