/*
 * Escalations to receivers: Alertmanager's v2 API (POST /api/v2/alerts,
 * one request for the batch) and a generic JSON webhook (one POST of
 * {"source": "tend-gate", "escalations": [...]}).
 *
 * Each escalation is an alert whose labels are stable for the action,
 * not the run: alertname TendActionEscalated, action_id, skill, target
 * (its first target) and source tend-gate.  Alertmanager deduplicates
 * alerts by their label set, so the same held action escalated by ten
 * runs is one alert, refreshed; run-specific facts (runid, reasons) go in
 * annotations.  No startsAt or endsAt is sent: Alertmanager stamps
 * receipt, and the alert resolves by itself (resolve_timeout) once runs
 * stop escalating the action.
 */
#include "compat.h"

#include "gate.h"
#include "http.h"
#include "json.h"
#include "xmalloc.h"

struct notify {
	struct http_client *http;
	char	*am_url;	/* .../api/v2/alerts */
	char	*hook_url;
	struct buf am;		/* the alerts array being built */
	struct buf hook;	/* the escalations array being built */
	size_t	 n;
};

static char *
alerts_url(const char *base)
{
	struct buf b = BUF_INIT;
	size_t n = strlen(base);

	if (n >= 14 && strcmp(base + n - 14, "/api/v2/alerts") == 0)
		return xstrdup(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	buf_add(&b, base, n);
	buf_adds(&b, "/api/v2/alerts");
	return b.p;
}

struct notify *
notify_new(const char *am, const char *hook, struct tend_err *err)
{
	struct notify *n = xcalloc(1, sizeof(*n));
	struct http_opts o;
	const char *const urls[] = { am, hook };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(urls); i++)
		if (urls[i] != NULL && strncmp(urls[i], "http://", 7) != 0 &&
		    strncmp(urls[i], "https://", 8) != 0) {
			free(n);
			tend_err_set(err, TEND_EXIT_USAGE, "--notify-%s: not "
			    "an http:// or https:// URL", i == 0 ?
			    "alertmanager" : "webhook");
			return NULL;
		}
	if (am == NULL && hook == NULL)
		return n;
	memset(&o, 0, sizeof(o));
	o.timeout_ms = 10000;
	o.connect_timeout_ms = 5000;
	o.retries = 2;
	o.backoff_ms = 200;
	o.backoff_max_ms = 2000;
	o.max_body = 1 << 20;
	if ((n->http = http_client_new(&o, err)) == NULL) {
		free(n);
		return NULL;
	}
	if (am != NULL)
		n->am_url = alerts_url(am);
	if (hook != NULL)
		n->hook_url = xstrdup(hook);
	return n;
}

void
notify_free(struct notify *n)
{
	if (n == NULL)
		return;
	http_client_free(n->http);
	free(n->am_url);
	free(n->hook_url);
	buf_release(&n->am);
	buf_release(&n->hook);
	free(n);
}

int
notify_enabled(const struct notify *n)
{
	return n->am_url != NULL || n->hook_url != NULL;
}

size_t
notify_pending(const struct notify *n)
{
	return n->n;
}

static void
kv(struct buf *b, int *first, const char *k, const char *v)
{
	if (v == NULL)
		return;
	buf_adds(b, *first ? "" : ",");
	*first = 0;
	buf_add_json_str(b, k, strlen(k));
	buf_addc(b, ':');
	buf_add_json_str(b, v, strlen(v));
}

/* The reasons joined with "; ", for an annotation. */
static void
joined(const char *json, size_t len, struct buf *out)
{
	struct json_doc d;
	struct tend_err err;
	uint32_t i;

	json_doc_init(&d);
	if (json_parse(&d, json, len, &err) == 0 &&
	    d.tok[0].type == JSON_ARRAY)
		for (i = 1; i < d.tok[0].end; i = d.tok[i].end) {
			if (i > 1)
				buf_adds(out, "; ");
			if (d.tok[i].type == JSON_STRING)
				json_str_decode(&d, i, out);
		}
	if (out->p == NULL)
		buf_adds(out, "");
	json_doc_release(&d);
}

/* labels and annotations of one escalation, into b. */
static void
alert(struct buf *b, const struct escalation *e)
{
	struct buf r = BUF_INIT;
	int first = 1;

	joined(e->reasons, e->reasons_len, &r);
	buf_adds(b, "{\"labels\":{");
	kv(b, &first, "alertname", "TendActionEscalated");
	kv(b, &first, "action_id", e->action_id);
	kv(b, &first, "skill", e->skill);
	kv(b, &first, "target", e->target);
	kv(b, &first, "source", "tend-gate");
	buf_adds(b, "},\"annotations\":{");
	first = 1;
	kv(b, &first, "summary", e->summary);
	kv(b, &first, "reasons", r.p);
	kv(b, &first, "subject", e->subject);
	kv(b, &first, "runid", e->runid);
	kv(b, &first, "domain", e->domain);
	kv(b, &first, "risk", e->risk);
	kv(b, &first, "policy_digest", e->policy_digest);
	buf_adds(b, "}");
	buf_release(&r);
}

void
notify_add(struct notify *n, const struct escalation *e)
{
	if (!notify_enabled(n))
		return;
	if (n->am_url != NULL) {
		buf_addc(&n->am, n->n == 0 ? '[' : ',');
		alert(&n->am, e);
		buf_addc(&n->am, '}');
	}
	if (n->hook_url != NULL) {
		buf_adds(&n->hook, n->n == 0 ?
		    "{\"source\":\"tend-gate\",\"escalations\":[" : ",");
		alert(&n->hook, e);
		buf_adds(&n->hook, ",\"reasons\":");
		buf_add(&n->hook, e->reasons, e->reasons_len);
		buf_adds(&n->hook, ",\"action\":");
		buf_add(&n->hook, e->action, e->action_len);
		buf_addc(&n->hook, '}');
	}
	n->n++;
}

/* POSTs body to url; 0, or -1 reported. */
static int
post(struct notify *n, const char *who, const char *url, struct buf *body)
{
	struct http_request rq;
	struct http_response rs;
	struct tend_err err = { 0 };
	struct buf shown = BUF_INIT;
	int rc = 0;

	memset(&rq, 0, sizeof(rq));
	rq.method = "POST";
	rq.url = url;
	rq.body = body->p;
	rq.body_len = body->len;
	rq.content_type = "application/json";
	rq.idempotent = 1;	/* the same alerts twice are one */
	http_response_init(&rs);
	http_url_display(url, &shown);
	if (http_do(n->http, &rq, &rs, &err) < 0) {
		warnx("%s: cannot notify %s: %s", who, shown.p, err.msg);
		rc = -1;
	} else if (rs.status < 200 || rs.status > 299) {
		int len = (int)(rs.body.len > 200 ? 200 : rs.body.len);

		warnx("%s: %s answered HTTP %ld: %.*s", who, shown.p,
		    rs.status, len, rs.body.p != NULL ? rs.body.p : "");
		rc = -1;
	}
	http_response_release(&rs);
	buf_release(&shown);
	return rc;
}

int
notify_send(struct notify *n, struct buf *notified)
{
	int rc = 0;

	if (n->n == 0)
		return 0;
	if (n->am_url != NULL) {
		buf_addc(&n->am, ']');
		if (post(n, "alertmanager", n->am_url, &n->am) < 0)
			rc = -1;
		else
			buf_adds(notified, "\"alertmanager\"");
	}
	if (n->hook_url != NULL) {
		buf_adds(&n->hook, "]}");
		if (post(n, "webhook", n->hook_url, &n->hook) < 0)
			rc = -1;
		else {
			if (notified->len > 0)
				buf_addc(notified, ',');
			buf_adds(notified, "\"webhook\"");
		}
	}
	buf_reset(&n->am);
	buf_reset(&n->hook);
	n->n = 0;
	return rc;
}
