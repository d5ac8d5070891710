/*
 * Fuzz target: policy loading (policy.h): JSON or YAML, the schema check,
 * cron windows, jq rules, limits; then one decision on a fixed action at
 * a fixed clock, so what loads is also run.  Invariants: a loaded policy
 * has a digest and a JSON form that loads again to the same digest.
 */
#include "compat.h"

#include "buf.h"
#include "fuzz.h"
#include "json.h"
#include "policy.h"

#define NOW_NS 1795435200000000000LL	/* 2026-11-23T12:00:00Z */

static const char action[] = "{\"action_id\":\"a1\",\"skill\":\"revert\","
    "\"domain\":\"config\",\"risk\":\"low\",\"credential\":\"k8s-writer\","
    "\"targets\":[\"k8s:prod/apps/Deployment/shop/web\"],"
    "\"executor\":{\"type\":\"http\",\"body\":{\"spec\":{\"replicas\":3}}}}";

static void
decide(struct policy *p)
{
	struct policy_ctx *c;
	struct policy_action a;
	struct policy_pre pre;
	struct policy_decision dec;
	struct json_doc d;
	struct tend_err err = { 0 };

	json_doc_init(&d);
	if (json_parse(&d, action, sizeof(action) - 1, &err) < 0)
		abort();
	policy_action_init(&a);
	if (policy_action_parse(&a, &d, 0, &err) < 0)
		abort();
	c = policy_ctx_new(p, NOW_NS);
	policy_ctx_history(c, "k8s:prod/apps/Deployment/shop/web",
	    NOW_NS - 3600000000000LL);
	policy_ctx_inventory(c, "k8s:prod/apps/Deployment/shop/web", "shop");
	policy_ctx_inventory(c, "k8s:prod/apps/Deployment/shop/db", "shop");
	policy_decision_init(&dec);
	if (policy_pre(c, &a, &pre, &err) == 0) {
		policy_batch_add(c, "run-1", &a, &pre);
		(void)policy_decide(c, &a, &pre, NULL, &dec, &err);
	}
	policy_decision_release(&dec);
	policy_ctx_free(c);
	policy_action_release(&a);
	json_doc_release(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *p, *p2;
	struct tend_err err = { 0 };
	const char *js;
	size_t len;

	p = policy_load((const char *)data, size, "fuzz", &err);
	if (p == NULL) {
		FUZZ_ASSERT(err.code == TEND_EXIT_INPUT);
		return 0;
	}
	js = policy_json(p, &len);
	FUZZ_ASSERT(js != NULL && js[len] == '\0');
	p2 = policy_load(js, len, "fuzz", &err);
	FUZZ_ASSERT(p2 != NULL);
	FUZZ_ASSERT(strcmp(policy_digest(p), policy_digest(p2)) == 0);
	policy_free(p2);
	(void)policy_wants_history(p);
	(void)policy_wants_inventory(p);
	(void)policy_max_period(p);
	decide(p);
	policy_free(p);
	return 0;
}
