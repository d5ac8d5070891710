#include "compat.h"

#include "base64.h"
#include "dsse.h"
#include "json.h"

void
dsse_pae(struct buf *out, const char *type, size_t type_len,
    const void *body, size_t body_len)
{
	buf_addf(out, "DSSEv1 %zu ", type_len);
	buf_add(out, type, type_len);
	buf_addf(out, " %zu ", body_len);
	buf_add(out, body, body_len);
}

void
dsse_sign(struct buf *out, const char *type, const void *payload,
    size_t len, const struct sign_key *key)
{
	struct buf pae = BUF_INIT;
	unsigned char sig[SIGN_SIG_LEN];
	char keyid[SIGN_NAME_MAX + 16];

	dsse_pae(&pae, type, strlen(type), payload, len);
	sign_detached(key, pae.p, pae.len, sig);
	buf_release(&pae);
	snprintf(keyid, sizeof(keyid), "%s+%08x", key->name,
	    (unsigned)key->id);
	buf_adds(out, "{\"payload\":\"");
	base64_encode(out, payload, len, BASE64_STD);
	buf_adds(out, "\",\"payloadType\":");
	buf_add_json_str(out, type, strlen(type));
	buf_adds(out, ",\"signatures\":[{\"keyid\":");
	buf_add_json_str(out, keyid, strlen(keyid));
	buf_adds(out, ",\"sig\":\"");
	base64_encode(out, sig, sizeof(sig), BASE64_STD);
	buf_adds(out, "\"}]}");
}

int
dsse_b64_decode(struct buf *out, const char *s, size_t len)
{
	if (base64_decode(out, s, len, BASE64_STD) >= 0)
		return 0;
	if (base64_decode(out, s, len, BASE64_URL) >= 0)
		return 0;
	return -1;
}

/* The decoded string member `key` of object obj, or -1 if not a string. */
static int
str_member(const struct json_doc *d, uint32_t obj, const char *key,
    struct buf *out)
{
	int64_t i = json_obj_get(d, obj, key);

	if (i < 0 || d->tok[i].type != JSON_STRING)
		return -1;
	json_str_decode(d, (uint32_t)i, out);
	return 0;
}

/* 1 if the signature object sig verifies by one of the keys. */
static int
sig_verifies(const struct json_doc *d, uint32_t sig, const struct buf *pae,
    const struct sign_key *keys, size_t nkeys)
{
	struct buf b64 = BUF_INIT, raw = BUF_INIT, keyid = BUF_INIT;
	char want[SIGN_NAME_MAX + 16];
	int has_keyid, ok = 0;
	size_t k;

	if (d->tok[sig].type != JSON_OBJECT ||
	    str_member(d, sig, "sig", &b64) < 0 ||
	    dsse_b64_decode(&raw, b64.p, b64.len) < 0 ||
	    raw.len != SIGN_SIG_LEN)
		goto done;
	has_keyid = str_member(d, sig, "keyid", &keyid) == 0 &&
	    keyid.len > 0;
	for (k = 0; k < nkeys && !ok; k++) {
		if (has_keyid) {
			snprintf(want, sizeof(want), "%s+%08x", keys[k].name,
			    (unsigned)keys[k].id);
			if (strlen(want) != keyid.len ||
			    memcmp(want, keyid.p, keyid.len) != 0)
				continue;
		}
		ok = sign_verify(keys[k].pub, pae->p, pae->len,
		    (const unsigned char *)raw.p) == 0;
	}
done:
	buf_release(&b64);
	buf_release(&raw);
	buf_release(&keyid);
	return ok;
}

int
dsse_open(const char *json, size_t len, const struct sign_key *keys,
    size_t nkeys, struct buf *payload, struct buf *type,
    struct tend_err *err)
{
	struct json_doc d;
	struct buf b64 = BUF_INIT, body = BUF_INIT, pt = BUF_INIT,
	    pae = BUF_INIT;
	int64_t sigs;
	uint32_t i;
	int verified = 0, rc = -1;

	json_doc_init(&d);
	if (json_parse(&d, json, len, err) < 0)
		goto done;
	if (d.tok[0].type != JSON_OBJECT ||
	    str_member(&d, 0, "payload", &b64) < 0 ||
	    str_member(&d, 0, "payloadType", &pt) < 0 ||
	    (sigs = json_obj_get(&d, 0, "signatures")) < 0 ||
	    d.tok[sigs].type != JSON_ARRAY) {
		tend_err_set(err, TEND_EXIT_INPUT, "not a DSSE envelope: "
		    "needs payload, payloadType and signatures");
		goto done;
	}
	if (dsse_b64_decode(&body, b64.p, b64.len) < 0) {
		tend_err_set(err, TEND_EXIT_INPUT,
		    "DSSE payload is not padded base64");
		goto done;
	}
	dsse_pae(&pae, pt.p, pt.len, body.p, body.len);
	for (i = 0; i < d.tok[sigs].size; i++)
		verified += sig_verifies(&d,
		    (uint32_t)json_arr_at(&d, (uint32_t)sigs, i), &pae, keys,
		    nkeys);
	if (verified == 0) {
		tend_err_set(err, TEND_EXIT_NO,
		    "no signature by a known key verifies");
		goto done;
	}
	if (payload != NULL)
		buf_add(payload, body.p, body.len);
	if (type != NULL)
		buf_add(type, pt.p, pt.len);
	rc = verified;
done:
	json_doc_release(&d);
	buf_release(&b64);
	buf_release(&body);
	buf_release(&pt);
	buf_release(&pae);
	return rc;
}

int
dsse_statement_check(const char *json, size_t len, struct tend_err *err)
{
	struct json_doc d;
	int64_t t, subj, pt, pred, dg;
	uint32_t i, s, j;
	int rc = -1;

	json_doc_init(&d);
	if (json_parse(&d, json, len, err) < 0)
		goto done;
	if (d.tok[0].type != JSON_OBJECT) {
		tend_err_set(err, TEND_EXIT_INPUT,
		    "a statement must be a JSON object");
		goto done;
	}
	if ((t = json_obj_get(&d, 0, "_type")) < 0 ||
	    d.tok[t].type != JSON_STRING ||
	    !json_str_eq(&d, (uint32_t)t, DSSE_STATEMENT_V1)) {
		tend_err_set(err, TEND_EXIT_INPUT,
		    "_type is not " DSSE_STATEMENT_V1);
		goto done;
	}
	if ((subj = json_obj_get(&d, 0, "subject")) < 0 ||
	    d.tok[subj].type != JSON_ARRAY || d.tok[subj].size == 0) {
		tend_err_set(err, TEND_EXIT_INPUT,
		    "subject must be a non-empty array");
		goto done;
	}
	for (i = 0, s = (uint32_t)subj + 1; i < d.tok[subj].size;
	    i++, s = json_next(&d, s)) {
		int64_t name = d.tok[s].type == JSON_OBJECT ?
		    json_obj_get(&d, s, "name") : -1;

		dg = d.tok[s].type == JSON_OBJECT ?
		    json_obj_get(&d, s, "digest") : -1;
		if (dg < 0 || d.tok[dg].type != JSON_OBJECT ||
		    d.tok[dg].size == 0 ||
		    (name >= 0 && d.tok[name].type != JSON_STRING)) {
			tend_err_set(err, TEND_EXIT_INPUT, "subject %u needs "
			    "a non-empty digest object", i);
			goto done;
		}
		for (j = (uint32_t)dg + 2; j < d.tok[dg].end;
		    j = json_next(&d, j) + 1)
			if (d.tok[j].type != JSON_STRING) {
				tend_err_set(err, TEND_EXIT_INPUT, "subject "
				    "%u: digest values must be strings", i);
				goto done;
			}
	}
	if ((pt = json_obj_get(&d, 0, "predicateType")) < 0 ||
	    d.tok[pt].type != JSON_STRING || d.tok[pt].len == 0) {
		tend_err_set(err, TEND_EXIT_INPUT,
		    "predicateType must be a non-empty string");
		goto done;
	}
	if ((pred = json_obj_get(&d, 0, "predicate")) >= 0 &&
	    d.tok[pred].type != JSON_OBJECT) {
		tend_err_set(err, TEND_EXIT_INPUT,
		    "predicate must be an object");
		goto done;
	}
	rc = 0;
done:
	json_doc_release(&d);
	return rc;
}
