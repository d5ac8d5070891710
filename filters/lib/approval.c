/*
 * Signatures on approvals; see approval.h for the exact payload.
 */
#include "compat.h"

#include "approval.h"
#include "base64.h"
#include "jcs.h"
#include "rfc3339.h"

int
approval_payload(struct buf *out, const struct json_doc *d,
    uint32_t action_tok, const char *policy_digest, const char *expires,
    int shadow, struct tend_err *err)
{
	unsigned char md[JCS_DIGEST_LEN];
	struct buf obj = BUF_INIT;
	struct json_doc od;
	const char *raw;
	size_t rawlen, mark = out->len;
	int64_t id;
	int rc = -1;

	if (d->tok[action_tok].type != JSON_OBJECT)
		return tend_err_set(err, TEND_EXIT_INPUT, "action: not an "
		    "object");
	id = json_obj_get(d, action_tok, "action_id");
	if (id < 0 || d->tok[id].type != JSON_STRING)
		return tend_err_set(err, TEND_EXIT_INPUT, "action/action_id: "
		    "missing or not a string");
	if (jcs_digest(d, action_tok, md, err) < 0)
		return -1;
	json_doc_init(&od);
	buf_adds(&obj, "{\"action_digest\":\"sha256:");
	buf_add_hex(&obj, md, sizeof(md));
	buf_adds(&obj, "\",\"action_id\":");
	raw = json_raw(d, (uint32_t)id, &rawlen);
	buf_add(&obj, raw, rawlen);
	buf_adds(&obj, ",\"expires\":");
	buf_add_json_str(&obj, expires, strlen(expires));
	buf_adds(&obj, ",\"policy_digest\":");
	buf_add_json_str(&obj, policy_digest, strlen(policy_digest));
	buf_adds(&obj, shadow ? ",\"shadow\":true}" : ",\"shadow\":false}");
	if (json_parse(&od, obj.p, obj.len, err) < 0)
		goto out;
	buf_adds(out, APPROVAL_CONTEXT);
	if (jcs_canon(&od, 0, out, err) < 0) {
		out->len = mark;
		goto out;
	}
	rc = 0;
out:
	json_doc_release(&od);
	buf_release(&obj);
	return rc;
}

void
approval_key_id(const struct sign_key *k, struct buf *out)
{
	buf_addf(out, "%s+%08x", k->name, (unsigned)k->id);
}

int
approval_sign(const struct sign_key *k, const struct json_doc *d,
    uint32_t action_tok, const char *policy_digest, const char *expires,
    int shadow, struct buf *sig, struct tend_err *err)
{
	struct buf payload = BUF_INIT;
	unsigned char s[SIGN_SIG_LEN];

	if (approval_payload(&payload, d, action_tok, policy_digest, expires,
	    shadow, err) < 0) {
		buf_release(&payload);
		return -1;
	}
	sign_detached(k, payload.p, payload.len, s);
	base64_encode(sig, s, sizeof(s), BASE64_STD);
	buf_release(&payload);
	return 0;
}

/* The decoded string member key of object obj into b, or -1. */
static int
str_member(const struct json_doc *d, uint32_t obj, const char *key,
    struct buf *b)
{
	int64_t t = json_obj_get(d, obj, key);

	buf_reset(b);
	if (t < 0 || d->tok[t].type != JSON_STRING)
		return -1;
	json_str_decode(d, (uint32_t)t, b);
	if (b->p == NULL)
		buf_adds(b, "");
	return 0;
}

int
approval_verify(const struct json_doc *d, uint32_t data_tok,
    const struct sign_key *keys, size_t nkeys, int64_t now_ns,
    struct approval *out, struct tend_err *err)
{
	struct buf id = BUF_INIT, aid = BUF_INIT, pd = BUF_INIT,
	    exp = BUF_INIT, kid = BUF_INIT, sig = BUF_INIT, tmp = BUF_INIT,
	    payload = BUF_INIT;
	unsigned char s[SIGN_SIG_LEN];
	int64_t action, sh;
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (d->tok[data_tok].type != JSON_OBJECT) {
		tend_err_set(err, TEND_EXIT_INPUT, "data: not an object");
		goto out;
	}
	action = json_obj_get(d, data_tok, "action");
	if (action < 0 || d->tok[action].type != JSON_OBJECT) {
		tend_err_set(err, TEND_EXIT_INPUT, "no action object");
		goto out;
	}
	if (str_member(d, data_tok, "action_id", &id) < 0 ||
	    str_member(d, (uint32_t)action, "action_id", &aid) < 0 ||
	    id.len != aid.len || memcmp(id.p, aid.p, id.len) != 0) {
		tend_err_set(err, TEND_EXIT_INPUT, "action_id missing or not "
		    "the action's");
		goto out;
	}
	if (str_member(d, data_tok, "policy_digest", &pd) < 0) {
		tend_err_set(err, TEND_EXIT_INPUT, "no policy_digest");
		goto out;
	}
	if (str_member(d, data_tok, "expires", &exp) < 0 ||
	    rfc3339_parse(exp.p, exp.len, &out->expires_ns) < 0) {
		tend_err_set(err, TEND_EXIT_INPUT, "no expires, or not an "
		    "RFC 3339 time");
		goto out;
	}
	sh = json_obj_get(d, data_tok, "shadow");
	if (sh < 0 || (d->tok[sh].type != JSON_TRUE &&
	    d->tok[sh].type != JSON_FALSE)) {
		tend_err_set(err, TEND_EXIT_INPUT, "no shadow flag");
		goto out;
	}
	out->shadow = d->tok[sh].type == JSON_TRUE;
	if (str_member(d, data_tok, "key_id", &kid) < 0 ||
	    str_member(d, data_tok, "signature", &sig) < 0) {
		tend_err_set(err, TEND_EXIT_INPUT, "unsigned (no key_id or "
		    "signature)");
		goto out;
	}
	for (i = 0; i < nkeys; i++) {
		buf_reset(&tmp);
		approval_key_id(&keys[i], &tmp);
		if (tmp.len == kid.len && memcmp(tmp.p, kid.p, kid.len) == 0)
			break;
	}
	if (i == nkeys) {
		tend_err_set(err, TEND_EXIT_INPUT, "key '%s' is not trusted",
		    kid.p);
		goto out;
	}
	out->key = &keys[i];
	if (base64_decode_exact(s, sizeof(s), sig.p, sig.len) < 0) {
		tend_err_set(err, TEND_EXIT_INPUT, "signature is not base64 "
		    "of %d bytes", SIGN_SIG_LEN);
		goto out;
	}
	if (approval_payload(&payload, d, (uint32_t)action, pd.p, exp.p,
	    out->shadow, err) < 0)
		goto out;
	if (sign_verify(keys[i].pub, payload.p, payload.len, s) < 0) {
		tend_err_set(err, TEND_EXIT_INPUT, "signature does not verify "
		    "with key '%s'", kid.p);
		goto out;
	}
	if (out->expires_ns <= now_ns) {
		tend_err_set(err, TEND_EXIT_INPUT, "expired at %s", exp.p);
		goto out;
	}
	if (jcs_digest(d, (uint32_t)action, out->action_digest, err) < 0)
		goto out;
	strlcpy(out->action_id, id.p, sizeof(out->action_id));
	if (str_member(d, data_tok, "approved_by", &tmp) == 0) {
		out->human = 1;
		strlcpy(out->approved_by, tmp.p, sizeof(out->approved_by));
	}
	rc = 0;
out:
	buf_release(&id);
	buf_release(&aid);
	buf_release(&pd);
	buf_release(&exp);
	buf_release(&kid);
	buf_release(&sig);
	buf_release(&tmp);
	buf_release(&payload);
	return rc;
}
