#include "compat.h"

#include "event.h"
#include "jcs.h"
#include "rfc3339.h"

const char *const event_types[] = {
	"tend.resource.observed",
	"tend.resource.state",
	"tend.resource.changed",
	"tend.drift.detected",
	"tend.diff.summary",
	"tend.action.proposed",
	"tend.action.approved",
	"tend.action.denied",
	"tend.action.deferred",
	"tend.action.escalated",
	"tend.action.started",
	"tend.action.succeeded",
	"tend.action.failed",
	"tend.action.skipped",
	"tend.log.checkpoint",
	"tend.error",
	"tend.incident.opened",
	"tend.incident.resolved",
	NULL,
};

void
event_init(struct event *ev)
{
	memset(ev, 0, sizeof(*ev));
	json_doc_init(&ev->doc);
}

void
event_release(struct event *ev)
{
	json_doc_release(&ev->doc);
}

int
event_type_known(const char *type, size_t len)
{
	const char *const *t;

	for (t = event_types; *t != NULL; t++)
		if (strlen(*t) == len && memcmp(*t, type, len) == 0)
			return 1;
	return 0;
}

#define bad(err, fmt, name) tend_err_set((err), TEND_EXIT_INPUT, fmt, (name))

/* The attributes tend knows, where their token index goes, and their rule. */
enum rule { NONEMPTY, STRING, TIME, SEQ, ANY, SPECVERSION };

static int
check_attr(struct event *ev, const char *name, uint32_t v, enum rule rule,
    struct tend_err *err)
{
	const struct json_doc *d = &ev->doc;
	const struct json_tok *t = &d->tok[v];
	int64_t n;

	switch (rule) {
	case ANY:
		return 0;
	case SEQ:
		if (t->type != JSON_NUMBER || json_int(d, v, &n) < 0 || n < 1)
			return bad(err, "attribute '%s' must be an integer "
			    ">= 1", name);
		return 0;
	default:
		break;
	}
	if (t->type != JSON_STRING)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "attribute '%s' must be a string, not %s", name,
		    json_type_name(t->type));
	switch (rule) {
	case SPECVERSION:
		if (!json_str_eq(d, v, "1.0"))
			return bad(err, "attribute '%s' must be \"1.0\"", name);
		break;
	case NONEMPTY:
		if (t->len == 0)
			return bad(err, "attribute '%s' must not be empty",
			    name);
		break;
	case TIME:
		if (t->escaped ||
		    rfc3339_parse(d->src + t->off, t->len, &ev->time_ns) < 0)
			return bad(err, "attribute '%s' is not an RFC 3339 "
			    "time", name);
		break;
	default:
		break;
	}
	return 0;
}

static int
extension_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 20)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

int
event_parse(struct event *ev, const char *line, size_t len,
    struct tend_err *err)
{
	static const struct {
		const char *name;
		size_t off;
		enum rule rule;
	} attrs[] = {
		{ "specversion", 0, SPECVERSION },
		{ "id", offsetof(struct event, id), NONEMPTY },
		{ "source", offsetof(struct event, source), NONEMPTY },
		{ "type", offsetof(struct event, type), NONEMPTY },
		{ "time", offsetof(struct event, time), TIME },
		{ "subject", offsetof(struct event, subject), STRING },
		{ "datacontenttype", offsetof(struct event, datacontenttype),
		    NONEMPTY },
		{ "dataschema", 0, NONEMPTY },
		{ "data", offsetof(struct event, data), ANY },
		{ "data_base64", offsetof(struct event, data_base64), STRING },
		{ "runid", offsetof(struct event, runid), NONEMPTY },
		{ "causeid", offsetof(struct event, causeid), NONEMPTY },
		{ "seq", offsetof(struct event, seq), SEQ },
	};
	enum { FIRST_OPTIONAL = 4 };	/* attrs before it are required */
	const struct json_doc *d = &ev->doc;
	uint32_t i, end, seen = 0;
	size_t a;
	int have_specversion = 0;

	ev->line = line;
	ev->len = len;
	ev->id = ev->source = ev->type = ev->subject = ev->time = -1;
	ev->runid = ev->causeid = ev->seq = ev->data = ev->data_base64 = -1;
	ev->datacontenttype = -1;
	ev->time_ns = 0;
	ev->known = 0;
	if (json_parse(&ev->doc, line, len, err) < 0)
		return -1;
	if (d->tok[0].type != JSON_OBJECT)
		return tend_err_set(err, TEND_EXIT_INPUT,
		    "an event must be a JSON object, not %s",
		    json_type_name(d->tok[0].type));
	end = d->tok[0].end;
	for (i = 1; i < end; i = d->tok[i + 1].end) {
		const struct json_tok *k = &d->tok[i];
		const char *kname = d->src + k->off;

		for (a = 0; a < ARRAY_SIZE(attrs); a++)
			if (!k->escaped && strlen(attrs[a].name) == k->len &&
			    memcmp(attrs[a].name, kname, k->len) == 0)
				break;
		/* CloudEvents: an optional attribute set to null is unset
		   (but null is a value of `data`). */
		if (d->tok[i + 1].type == JSON_NULL &&
		    (a == ARRAY_SIZE(attrs) || a >= FIRST_OPTIONAL) &&
		    (a == ARRAY_SIZE(attrs) || attrs[a].rule != ANY))
			continue;
		if (a == ARRAY_SIZE(attrs)) {
			uint32_t vt = d->tok[i + 1].type;

			if (k->escaped || !extension_name_ok(kname, k->len))
				return tend_err_set(err, TEND_EXIT_INPUT,
				    "attribute name '%.*s' is not [a-z0-9]{1,20}",
				    (int)(k->len > 40 ? 40 : k->len), kname);
			if (vt != JSON_STRING && vt != JSON_NUMBER &&
			    vt != JSON_TRUE && vt != JSON_FALSE)
				return tend_err_set(err, TEND_EXIT_INPUT,
				    "extension attribute '%.*s' must be a "
				    "string, number or boolean", (int)k->len,
				    kname);
			continue;
		}
		if (seen & (1u << a))
			return bad(err, "attribute '%s' appears twice",
			    attrs[a].name);
		seen |= 1u << a;
		if (check_attr(ev, attrs[a].name, i + 1, attrs[a].rule,
		    err) < 0)
			return -1;
		if (a == 0)
			have_specversion = 1;
		else if (attrs[a].off != 0)
			*(int64_t *)(void *)((char *)ev + attrs[a].off) = i + 1;
	}
	if (!have_specversion)
		return bad(err, "missing attribute '%s'", "specversion");
	if (ev->id < 0)
		return bad(err, "missing attribute '%s'", "id");
	if (ev->source < 0)
		return bad(err, "missing attribute '%s'", "source");
	if (ev->type < 0)
		return bad(err, "missing attribute '%s'", "type");
	if (ev->data >= 0 && ev->data_base64 >= 0)
		return bad(err, "'%s' and 'data_base64' are exclusive", "data");
	{
		const struct json_tok *t = &d->tok[ev->type];
		const char *s = d->src + t->off;

		if (t->len >= 5 && memcmp(s, "tend.", 5) == 0) {
			if (t->escaped || !event_type_known(s, t->len))
				return tend_err_set(err, TEND_EXIT_INPUT,
				    "unknown event type '%.*s'",
				    (int)(t->len > 80 ? 80 : t->len), s);
			ev->known = 1;
		}
	}
	return 0;
}

int
event_attr_eq(const struct event *ev, int64_t tok, const char *s)
{
	return tok >= 0 && json_str_eq(&ev->doc, (uint32_t)tok, s);
}

void
event_attr(const struct event *ev, int64_t tok, struct buf *out)
{
	if (tok >= 0)
		json_str_decode(&ev->doc, (uint32_t)tok, out);
}

static void
add_str_or_null(struct buf *b, const char *s)
{
	if (s == NULL)
		buf_adds(b, "null");
	else
		buf_add_json_str(b, s, strlen(s));
}

int
event_derive_id(const struct event_new *en, char id[33], struct tend_err *err)
{
	struct buf b = BUF_INIT;
	struct json_doc d;
	unsigned char md[32];
	int rc = -1;

	buf_addc(&b, '[');
	add_str_or_null(&b, en->runid);
	buf_addc(&b, ',');
	add_str_or_null(&b, en->type);
	buf_addc(&b, ',');
	add_str_or_null(&b, en->subject);
	buf_addc(&b, ',');
	add_str_or_null(&b, en->causeid);
	buf_addc(&b, ',');
	if (en->data != NULL)
		buf_add(&b, en->data, en->data_len);
	else
		buf_adds(&b, "null");
	buf_addc(&b, ']');
	json_doc_init(&d);
	if (json_parse(&d, b.p, b.len, err) == 0 &&
	    jcs_digest(&d, 0, md, err) == 0) {
		static const char hex[] = "0123456789abcdef";
		int i;

		for (i = 0; i < 16; i++) {
			id[2 * i] = hex[md[i] >> 4];
			id[2 * i + 1] = hex[md[i] & 15];
		}
		id[32] = '\0';
		rc = 0;
	}
	json_doc_release(&d);
	buf_release(&b);
	return rc;
}

static void
add_attr(struct buf *b, const char *name, const char *val)
{
	if (val == NULL)
		return;
	buf_addc(b, ',');
	buf_add_json_str(b, name, strlen(name));
	buf_addc(b, ':');
	buf_add_json_str(b, val, strlen(val));
}

int
event_build(struct buf *out, const struct event_new *en, struct tend_err *err)
{
	char id[33], ts[48];

	if (en->id == NULL && event_derive_id(en, id, err) < 0)
		return -1;
	rfc3339_format(en->time_ns, ts, sizeof(ts));
	buf_adds(out, "{\"specversion\":\"1.0\"");
	add_attr(out, "id", en->id != NULL ? en->id : id);
	add_attr(out, "source", en->source);
	add_attr(out, "type", en->type);
	add_attr(out, "time", ts);
	add_attr(out, "subject", en->subject);
	add_attr(out, "runid", en->runid);
	add_attr(out, "causeid", en->causeid);
	if (en->data != NULL) {
		buf_adds(out, ",\"datacontenttype\":\"application/json\","
		    "\"data\":");
		buf_add(out, en->data, en->data_len);
	}
	buf_addc(out, '}');
	return 0;
}
