/*
 * Unit tests of policy.c: loading (errors name the clause), windows
 * across DST in two zones, overlapping allow and deny windows, freezes,
 * each limit at, below and above its bound, modes, credentials, rules.
 */
#include "compat.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "policy.h"
#include "rfc3339.h"

static int64_t
T(const char *s)
{
	int64_t ns;

	if (rfc3339_parse(s, strlen(s), &ns) < 0)
		fail_msg("bad time %s", s);
	return ns;
}

static const char *
fmt(int64_t ns)
{
	static char buf[48];

	if (ns < 0)
		return "never";
	rfc3339_format(ns, buf, sizeof(buf));
	return buf;
}

static struct policy *
P(const char *text)
{
	struct tend_err err = { 0 };
	struct policy *p;

	if ((p = policy_load(text, strlen(text), "p.json", &err)) == NULL)
		fail_msg("%s", err.msg);
	return p;
}

static void
load_fails(const char *text, const char *msg)
{
	struct tend_err err = { 0 };

	assert_null(policy_load(text, strlen(text), "p.json", &err));
	assert_int_equal(err.code, TEND_EXIT_INPUT);
	assert_string_equal(err.msg, msg);
}

/* A batch of actions decided together at one clock. */
#define MAXA 16

struct run {
	struct policy *p;
	struct policy_ctx *c;
	struct json_doc d[MAXA];
	struct policy_action a[MAXA];
	struct policy_pre pre[MAXA];
	struct policy_decision dec[MAXA];
	char	*text[MAXA];
	const char *runid[MAXA];
	size_t	 n;
};

static void
run_init(struct run *r, struct policy *p, const char *now)
{
	memset(r, 0, sizeof(*r));
	r->p = p;
	r->c = policy_ctx_new(p, T(now));
}

/* Adds an action: skill, risk and targets (a JSON array text), plus
   extra members ("" or ",\"credential\":\"x\""). */
static void
add(struct run *r, const char *runid, const char *skill, const char *risk,
    const char *targets, const char *extra)
{
	struct tend_err err = { 0 };
	size_t i = r->n++;
	char *t;

	if (asprintf(&t, "{\"action_id\":\"a%zu\",\"skill\":\"%s\","
	    "\"domain\":\"config\",\"risk\":\"%s\",\"targets\":%s%s}", i,
	    skill, risk, targets, extra) < 0)
		fail_msg("asprintf");
	r->text[i] = t;
	r->runid[i] = runid;
	json_doc_init(&r->d[i]);
	if (json_parse(&r->d[i], t, strlen(t), &err) < 0)
		fail_msg("%s: %s", t, err.msg);
	policy_action_init(&r->a[i]);
	if (policy_action_parse(&r->a[i], &r->d[i], 0, &err) < 0)
		fail_msg("%s: %s", t, err.msg);
	policy_decision_init(&r->dec[i]);
}

static void
decide(struct run *r)
{
	struct tend_err err = { 0 };
	size_t i;

	for (i = 0; i < r->n; i++) {
		assert_int_equal(policy_pre(r->c, &r->a[i], &r->pre[i], &err),
		    0);
		policy_batch_add(r->c, r->runid[i], &r->a[i], &r->pre[i]);
	}
	for (i = 0; i < r->n; i++)
		assert_int_equal(policy_decide(r->c, &r->a[i], &r->pre[i], NULL,
		    &r->dec[i], &err), 0);
}

static void
run_free(struct run *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		json_doc_release(&r->d[i]);
		policy_action_release(&r->a[i]);
		policy_decision_release(&r->dec[i]);
		free(r->text[i]);
	}
	policy_ctx_free(r->c);
}

static const char *
verdict(const struct policy_decision *d)
{
	static const char *const v[] = { "approved", "denied", "deferred",
	    "escalated" };

	return v[d->verdict];
}

/* One action alone: its verdict, not_before and reasons. */
static void
one(struct policy *p, const char *now, const char *skill, const char *risk,
    const char *target, const char *want, const char *not_before,
    const char *reasons)
{
	struct run r;
	char targets[256];

	snprintf(targets, sizeof(targets), "[\"%s\"]", target);
	run_init(&r, p, now);
	add(&r, "run", skill, risk, targets, "");
	decide(&r);
	if (strcmp(verdict(&r.dec[0]), want) != 0 ||
	    (not_before != NULL && strcmp(fmt(r.dec[0].not_before),
	    not_before) != 0) ||
	    (reasons != NULL && strcmp(r.dec[0].reasons.p, reasons) != 0))
		fail_msg("at %s: %s, not_before %s, %s; want %s %s %s", now,
		    verdict(&r.dec[0]), fmt(r.dec[0].not_before),
		    r.dec[0].reasons.p, want, not_before ? not_before : "",
		    reasons ? reasons : "");
	run_free(&r);
}

static void
test_load_errors(void **state)
{
	(void)state;
	load_fails("{\"windows\":[{\"name\":\"w\",\"effect\":\"allow\","
	    "\"cron\":\"0 25 * * *\",\"duration\":\"1h\",\"tz\":\"UTC\"}]}",
	    "p.json: /windows/0 (w): cron '0 25 * * *': bad hour field '25'");
	load_fails("{\"windows\":[{\"name\":\"w\",\"effect\":\"allow\","
	    "\"cron\":\"0 2 * * *\",\"duration\":\"1h\","
	    "\"tz\":\"Europe/Atlantis\"}]}",
	    "p.json: /windows/0 (w): time zone 'Europe/Atlantis' is not an "
	    "IANA zone known here (tzdata)");
	load_fails("{\"windows\":[{\"name\":\"w\",\"effect\":\"allow\","
	    "\"cron\":\"0 2 * * *\",\"duration\":\"1h\"}]}",
	    "p.json: /windows/0 (w): matches 0 schemas in oneOf, not exactly "
	    "one: a window has cron, duration and tz, or from and until");
	load_fails("{\"windows\":[{\"name\":\"w\",\"effect\":\"deny\","
	    "\"from\":\"2027-01-01T00:00:00Z\","
	    "\"until\":\"2026-01-01T00:00:00Z\"}]}",
	    "p.json: /windows/0 (w): range 2027-01-01T00:00:00Z.."
	    "2026-01-01T00:00:00Z is empty");
	load_fails("{\"limits\":[{\"name\":\"l\",\"per\":\"run\","
	    "\"max_actions\":3,\"period\":\"1d\"}]}",
	    "p.json: /limits/0 (l): a period counts the log's history per "
	    "target, kind, namespace or service, not per run");
	load_fails("{\"limits\":[{\"name\":\"l\",\"per\":\"target\","
	    "\"max_actions\":-1}]}",
	    "p.json: /limits/0 (l)/max_actions: -1 is less than minimum 0");
	load_fails("{\"limits\":[{\"name\":\"l\",\"per\":\"run\","
	    "\"max_fraction\":0.5}]}",
	    "p.json: /limits/0 (l): matches 0 schemas in oneOf, not exactly "
	    "one: a limit has max_actions (and maybe period), or max_fraction "
	    "per kind, namespace or service");
	load_fails("{\"rules\":[{\"name\":\"r\",\"effect\":\"deny\","
	    "\"if\":\"env.HOME\"},{\"name\":\"r\",\"effect\":\"deny\","
	    "\"if\":\"true\"}]}",
	    "p.json: /rules/1: the name 'r' is taken by /rules/0");
	load_fails("{\"rules\":[{\"name\":\"ok\",\"effect\":\"deny\","
	    "\"if\":\"true\"},{\"name\":\"bad\",\"effect\":\"deny\","
	    "\"if\":\".a |||\"}]}",
	    "p.json: /rules/1 (bad): does not compile: rule 'bad': syntax "
	    "error, unexpected '|' (Unix shell quoting issues?) at "
	    "<top-level>, line 1");
	/* the error's line names the rule: multi-line rules before it */
	load_fails("{\"rules\":[{\"name\":\"a\",\"effect\":\"deny\","
	    "\"if\":\"# one\\n# two\\ntrue\"},{\"name\":\"b\",\"effect\":"
	    "\"deny\",\"if\":\"false\\n\\n\"},{\"name\":\"c\",\"effect\":"
	    "\"deny\",\"if\":\"\\n.a | frob\"},{\"name\":\"d\",\"effect\":"
	    "\"deny\",\"if\":\"true\"}]}",
	    "p.json: /rules/2 (c): does not compile: rule 'c': frob/0 is not "
	    "defined at <top-level>, line 2");
	load_fails("{\"rules\":[{\"name\":\"r\",\"effect\":\"deny\","
	    "\"if\":\"import \\\"x\\\" as x; true\"}]}",
	    "p.json: /rules/0 (r): does not compile: rule 'r': imports are "
	    "not allowed here");
	load_fails("{\"risk\":{\"low\":\"sometimes\"}}",
	    "p.json: /risk/low: not one of enum [\"auto\",\"window\","
	    "\"human\"]");
	load_fails("{\"skils\":{}}", "p.json: /skils: not allowed by "
	    "additionalProperties");
	load_fails("{\"version\":1,", "p.json: not JSON: invalid JSON at byte "
	    "14: expected a string key");
	load_fails("risk: [", "p.json:2: YAML: while parsing a flow node did "
	    "not find expected node content");
}

static void
test_yaml_same_digest(void **state)
{
	struct policy *j, *y;
	const char *yaml = "# the same policy\nrisk:\n  low: auto\n"
	    "  high: human\nskills: {revert: {mode: auto}}\n";
	struct tend_err err = { 0 };

	(void)state;
	j = P("{\"skills\":{\"revert\":{\"mode\":\"auto\"}},"
	    "\"risk\":{\"high\":\"human\",\"low\":\"auto\"}}");
	y = policy_load(yaml, strlen(yaml), "p.yaml", &err);
	assert_non_null(y);
	assert_string_equal(policy_digest(j), policy_digest(y));
	assert_int_equal(strncmp(policy_digest(j), "sha256:", 7), 0);
	assert_int_equal(strlen(policy_digest(j)), 71);
	policy_free(j);
	policy_free(y);
}

static void
test_groups(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	policy_group_of("kind", "k8s:prod/apps/Deployment/shop/web", &b);
	assert_string_equal(b.p, "k8s:prod/apps/Deployment");
	buf_reset(&b);
	policy_group_of("namespace", "k8s:prod/apps/Deployment/shop/web", &b);
	assert_string_equal(b.p, "k8s:prod/shop");
	buf_reset(&b);
	policy_group_of("kind", "host:web-1/file//etc/nginx/nginx.conf", &b);
	assert_string_equal(b.p, "host:*/file");
	buf_reset(&b);
	policy_group_of("namespace", "host:web-1/file//etc/hosts", &b);
	assert_string_equal(b.p, "host:web-1");
	buf_release(&b);
}

static const char modes[] =
    "{\"risk\":{\"low\":\"auto\",\"medium\":\"window\",\"high\":\"human\"},"
    "\"skills\":{\"revert\":{\"mode\":\"auto\"},\"old\":{\"mode\":\"off\"}},"
    "\"credentials\":{\"k8s-writer\":[\"revert\"],\"ssh\":\"host-*\"},"
    "\"rules\":[{\"name\":\"no-ks\",\"effect\":\"deny\","
    "\"if\":\".targets|any(test(\\\"/kube-system/\\\"))\"},"
    "{\"name\":\"big\",\"effect\":\"escalate\",\"if\":\".targets|length>2\","
    "\"reason\":\"more than two targets\"},"
    "{\"name\":\"boom\",\"effect\":\"deny\",\"if\":\"error(\\\"kaput\\\")\","
    "\"match\":{\"skill\":\"boom\"}}]}";

static void
test_modes_credentials_rules(void **state)
{
	struct policy *p = P(modes);
	struct run r;

	(void)state;
	one(p, "2026-11-23T12:00:00Z", "revert", "low", "k8s:a/b/C/d/e",
	    "approved", "never", "[\"risk low: auto (risk.low)\"]");
	one(p, "2026-11-23T12:00:00Z", "revert", "high", "k8s:a/b/C/d/e",
	    "escalated", NULL, "[\"risk high: human (risk.high)\"]");
	one(p, "2026-11-23T12:00:00Z", "revert", "weird", "k8s:a/b/C/d/e",
	    "escalated", NULL, "[\"risk weird: human (defaults.risk_mode, "
	    "not set: human)\"]");
	one(p, "2026-11-23T12:00:00Z", "revert", "medium", "k8s:a/b/C/d/e",
	    "deferred", "never", "[\"risk medium: window (risk.medium)\","
	    "\"no allow window applies to this action\"]");
	one(p, "2026-11-23T12:00:00Z", "old", "low", "k8s:a/b/C/d/e",
	    "denied", NULL, "[\"skill 'old' is off (skills)\"]");
	/* a skill the policy does not know burns in */
	one(p, "2026-11-23T12:00:00Z", "fresh", "low", "k8s:a/b/C/d/e",
	    "approved", NULL, "[\"skill 'fresh' is in shadow mode (a skill "
	    "the policy does not list): decided and logged, never carried "
	    "out\",\"risk low: auto (risk.low)\"]");
	one(p, "2026-11-23T12:00:00Z", "revert", "low",
	    "k8s:a/b/C/kube-system/e", "denied", NULL,
	    "[\"rule 'no-ks' (deny): its condition holds\"]");
	one(p, "2026-11-23T12:00:00Z", "boom", "low", "k8s:a/b/C/d/e",
	    "denied", NULL, "[\"skill 'boom' is in shadow mode (a skill the "
	    "policy does not list): decided and logged, never carried out\","
	    "\"rule 'boom' (deny) failed, so it applies: kaput\"]");

	run_init(&r, p, "2026-11-23T12:00:00Z");
	add(&r, "run", "revert", "low", "[\"k8s:a/b/C/d/e\"]",
	    ",\"credential\":\"k8s-writer\"");
	add(&r, "run", "scale", "low", "[\"k8s:a/b/C/d/e\"]",
	    ",\"credential\":\"k8s-writer\"");
	add(&r, "run", "host-sysctl", "low", "[\"host:h/sysctl/x\"]",
	    ",\"credential\":\"ssh\"");
	add(&r, "run", "revert", "low", "[\"k8s:a/b/C/d/e\"]",
	    ",\"credential\":\"nobody-knows\"");
	add(&r, "run", "revert", "low",
	    "[\"k8s:a/b/C/d/e\",\"k8s:a/b/C/d/f\",\"k8s:a/b/C/d/g\"]", "");
	add(&r, "run", "revert", "low", "[\"k8s:a/b/C/d/e\"]",
	    ",\"escalate\":true");
	decide(&r);
	assert_string_equal(verdict(&r.dec[0]), "approved");
	assert_string_equal(verdict(&r.dec[1]), "denied");
	assert_string_equal(r.dec[1].reasons.p, "[\"skill 'scale' is in "
	    "shadow mode (a skill the policy does not list): decided and "
	    "logged, never carried out\",\"credential 'k8s-writer' is not "
	    "granted to skill 'scale' (credentials)\"]");
	assert_string_equal(verdict(&r.dec[2]), "approved");
	assert_true(r.dec[2].shadow);
	assert_string_equal(verdict(&r.dec[3]), "denied");
	assert_string_equal(verdict(&r.dec[4]), "escalated");
	assert_string_equal(r.dec[4].reasons.p, "[\"rule 'big' (escalate): "
	    "more than two targets\"]");
	assert_string_equal(verdict(&r.dec[5]), "escalated");
	assert_string_equal(r.dec[5].reasons.p, "[\"the skill asks for a "
	    "human (escalate)\"]");
	run_free(&r);
	policy_free(p);
}

static void
test_human(void **state)
{
	struct policy *p = P(modes);
	struct policy_human h = { "alice", 0 };
	struct tend_err err = { 0 };
	struct run r;

	(void)state;
	h.expires_ns = T("2026-11-23T12:10:00Z");
	run_init(&r, p, "2026-11-23T12:00:00Z");
	add(&r, "run", "revert", "high", "[\"k8s:a/b/C/d/e\"]", "");
	add(&r, "run", "revert", "medium", "[\"k8s:a/b/C/d/e\"]",
	    ",\"escalate\":true");
	add(&r, "run", "old", "high", "[\"k8s:a/b/C/d/e\"]", "");
	decide(&r);
	assert_int_equal(policy_decide(r.c, &r.a[0], &r.pre[0], &h,
	    &r.dec[0], &err), 0);
	assert_string_equal(verdict(&r.dec[0]), "approved");
	assert_string_equal(r.dec[0].reasons.p, "[\"risk high: human "
	    "(risk.high)\",\"approved by a human: alice (until "
	    "2026-11-23T12:10:00Z)\"]");
	assert_true(r.dec[0].expires_cap == h.expires_ns);
	/* a human's yes does not open a window ... */
	assert_int_equal(policy_decide(r.c, &r.a[1], &r.pre[1], &h,
	    &r.dec[1], &err), 0);
	assert_string_equal(verdict(&r.dec[1]), "deferred");
	/* ... nor lift a deny */
	assert_int_equal(policy_decide(r.c, &r.a[2], &r.pre[2], &h,
	    &r.dec[2], &err), 0);
	assert_string_equal(verdict(&r.dec[2]), "denied");
	run_free(&r);
	policy_free(p);
}

/* Allow windows in two zones; a deny window overlapping one. */
static const char windows[] =
    "{\"risk\":{\"low\":\"auto\",\"medium\":\"window\"},"
    "\"defaults\":{\"skill_mode\":\"auto\"},\"windows\":["
    "{\"name\":\"weeknights\",\"effect\":\"allow\",\"cron\":\"0 22 * * 1-5\","
    "\"duration\":\"4h\",\"tz\":\"Europe/Berlin\","
    "\"match\":{\"targets\":\"k8s:eu/*\"}},"
    "{\"name\":\"ny-mornings\",\"effect\":\"allow\",\"cron\":\"30 6 * * *\","
    "\"duration\":\"2h\",\"tz\":\"America/New_York\","
    "\"match\":{\"targets\":\"k8s:us/*\"}},"
    "{\"name\":\"small-hours\",\"effect\":\"allow\",\"cron\":\"30 2 * * *\","
    "\"duration\":\"30m\",\"tz\":\"Europe/Berlin\","
    "\"match\":{\"targets\":\"k8s:night/*\"}},"
    "{\"name\":\"friday-late\",\"effect\":\"deny\",\"cron\":\"0 23 * * 5\","
    "\"duration\":\"1h\",\"tz\":\"Europe/Berlin\"},"
    "{\"name\":\"year-end\",\"effect\":\"deny\","
    "\"from\":\"2026-12-20T00:00:00Z\",\"until\":\"2027-01-05T00:00:00Z\","
    "\"match\":{\"targets\":\"k8s:eu/*\"}},"
    "{\"name\":\"night-freeze\",\"effect\":\"deny\","
    "\"from\":\"2026-12-01T00:00:00Z\",\"until\":\"2026-12-02T12:00:00Z\","
    "\"match\":{\"targets\":\"k8s:night/*\"}}]}";

#define EU "k8s:eu/apps/Deployment/shop/web"
#define US "k8s:us/apps/Deployment/shop/web"
#define NIGHT "k8s:night/apps/Deployment/shop/web"

static void
test_berlin_dst(void **state)
{
	struct policy *p = P(windows);

	(void)state;
	/* Friday before spring forward: 22:00 CET is 21:00Z */
	one(p, "2026-03-27T20:30:00Z", "s", "medium", EU, "deferred",
	    "2026-03-27T21:00:00Z", "[\"risk medium: window (risk.medium)\","
	    "\"window 'weeknights' (0 22 * * 1-5, 4h, Europe/Berlin) is "
	    "closed; next opening 2026-03-27T21:00:00Z\"]");
	/* Monday after: 22:00 CEST is 20:00Z */
	one(p, "2026-03-30T19:30:00Z", "s", "medium", EU, "deferred",
	    "2026-03-30T20:00:00Z", NULL);
	one(p, "2026-03-30T20:00:00Z", "s", "medium", EU, "approved", NULL,
	    "[\"risk medium: window (risk.medium)\",\"window 'weeknights' "
	    "(0 22 * * 1-5, 4h, Europe/Berlin) is open until "
	    "2026-03-31T00:00:00Z\"]");
	/* from Saturday, the next weeknight is Monday, in summer time */
	one(p, "2026-03-28T12:00:00Z", "s", "medium", EU, "deferred",
	    "2026-03-30T20:00:00Z", NULL);
	/* autumn: Friday 22:00 CEST = 20:00Z, Monday 22:00 CET = 21:00Z */
	one(p, "2026-10-23T19:59:00Z", "s", "medium", EU, "deferred",
	    "2026-10-23T20:00:00Z", NULL);
	one(p, "2026-10-24T12:00:00Z", "s", "medium", EU, "deferred",
	    "2026-10-26T21:00:00Z", NULL);
	/* 02:30 does not exist on 2026-03-29: the window skips that day */
	one(p, "2026-03-28T12:00:00Z", "s", "medium", NIGHT, "deferred",
	    "2026-03-30T00:30:00Z", NULL);
	/* and happens twice on 2026-10-25 (00:30Z CEST, 01:30Z CET) */
	one(p, "2026-10-25T00:45:00Z", "s", "medium", NIGHT, "approved",
	    NULL, NULL);
	one(p, "2026-10-25T01:10:00Z", "s", "medium", NIGHT, "deferred",
	    "2026-10-25T01:30:00Z", NULL);
	policy_free(p);
}

static void
test_new_york_dst(void **state)
{
	struct policy *p = P(windows);

	(void)state;
	/* 06:30 EST = 11:30Z; from 2026-03-08, 06:30 EDT = 10:30Z */
	one(p, "2026-03-07T11:29:00Z", "s", "medium", US, "deferred",
	    "2026-03-07T11:30:00Z", NULL);
	one(p, "2026-03-07T13:29:00Z", "s", "medium", US, "approved", NULL,
	    "[\"risk medium: window (risk.medium)\",\"window 'ny-mornings' "
	    "(30 6 * * *, 2h, America/New_York) is open until "
	    "2026-03-07T13:30:00Z\"]");
	one(p, "2026-03-07T14:00:00Z", "s", "medium", US, "deferred",
	    "2026-03-08T10:30:00Z", NULL);
	one(p, "2026-03-08T12:29:00Z", "s", "medium", US, "approved", NULL,
	    NULL);
	one(p, "2026-03-08T12:30:00Z", "s", "medium", US, "deferred",
	    "2026-03-09T10:30:00Z", NULL);
	/* autumn: 2026-11-01 06:30 EST = 11:30Z */
	one(p, "2026-10-31T13:00:00Z", "s", "medium", US, "deferred",
	    "2026-11-01T11:30:00Z", NULL);
	policy_free(p);
}

static void
test_overlap_and_freeze(void **state)
{
	struct policy *p = P(windows);

	(void)state;
	/* Friday 2026-11-27, CET: weeknights opens 21:00Z, friday-late
	   (deny) 22:00Z-23:00Z inside it.  Deny wins; the action may run
	   once the deny closes, the allow window still being open. */
	one(p, "2026-11-27T21:30:00Z", "s", "medium", EU, "approved", NULL,
	    NULL);
	one(p, "2026-11-27T22:30:00Z", "s", "medium", EU, "deferred",
	    "2026-11-27T23:00:00Z", "[\"deny window 'friday-late' "
	    "(0 23 * * 5, 1h, Europe/Berlin) is in force until "
	    "2026-11-27T23:00:00Z\"]");
	/* a deny window holds auto actions too */
	one(p, "2026-11-27T22:00:00Z", "s", "low", US, "deferred",
	    "2026-11-27T23:00:00Z", NULL);
	one(p, "2026-11-27T23:00:00Z", "s", "low", US, "approved", NULL,
	    NULL);
	/* the freeze: auto actions wait for its end; window actions for
	   an open window after it: Monday's weeknight (22:00-02:00 CET)
	   is still open when the freeze ends at 01:00 CET */
	one(p, "2026-12-24T12:00:00Z", "s", "low", EU, "deferred",
	    "2027-01-05T00:00:00Z", "[\"deny window 'year-end' "
	    "(2026-12-20T00:00:00Z to 2027-01-05T00:00:00Z) is in force until "
	    "2027-01-05T00:00:00Z\"]");
	one(p, "2026-12-24T12:00:00Z", "s", "medium", EU, "deferred",
	    "2027-01-05T00:00:00Z", NULL);
	/* the night freeze ends at noon; the next small hours are the
	   day after (02:30 CET) */
	one(p, "2026-12-01T06:00:00Z", "s", "medium", NIGHT, "deferred",
	    "2026-12-03T01:30:00Z", NULL);
	one(p, "2026-12-01T06:00:00Z", "s", "low", NIGHT, "deferred",
	    "2026-12-02T12:00:00Z", NULL);
	/* outside the freeze's match */
	one(p, "2026-12-24T12:00:00Z", "s", "low", US, "approved", NULL,
	    NULL);
	/* a window action before the freeze: its next opening inside the
	   freeze is skipped */
	one(p, "2026-12-19T12:00:00Z", "s", "medium", EU, "deferred",
	    "2027-01-05T00:00:00Z", NULL);
	policy_free(p);
}

/* n actions on PREFIX<i> (distinct), one run. */
static void
batch(struct policy *p, const char *now, size_t n, const char *prefix,
    const char *risk, struct run *r)
{
	char targets[256];
	size_t i;

	run_init(r, p, now);
	for (i = 0; i < n; i++) {
		snprintf(targets, sizeof(targets), "[\"%s%zu\"]", prefix, i);
		add(r, "run-1", "s", risk, targets, "");
	}
}

static void
all_are(struct run *r, const char *v)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(verdict(&r->dec[i]), v) != 0)
			fail_msg("action %zu: %s, not %s: %s", i,
			    verdict(&r->dec[i]), v, r->dec[i].reasons.p);
}

static void
test_limit_per_run(void **state)
{
	struct policy *p = P("{\"defaults\":{\"skill_mode\":\"auto\","
	    "\"risk_mode\":\"auto\"},\"limits\":[{\"name\":\"run-size\","
	    "\"per\":\"run\",\"max_actions\":3,\"hold\":\"escalate\"}]}");
	struct run r;

	(void)state;
	batch(p, "2026-11-23T12:00:00Z", 2, "k8s:a/b/C/d/t", "low",
	    &r);
	decide(&r);
	all_are(&r, "approved");
	run_free(&r);
	batch(p, "2026-11-23T12:00:00Z", 3, "k8s:a/b/C/d/t", "low",
	    &r);
	decide(&r);
	all_are(&r, "approved");
	run_free(&r);
	batch(p, "2026-11-23T12:00:00Z", 4, "k8s:a/b/C/d/t", "low",
	    &r);
	decide(&r);
	all_are(&r, "escalated");
	assert_string_equal(r.dec[3].reasons.p, "[\"limit 'run-size' (at "
	    "most 3 actions per run): this run has 4; the whole batch is "
	    "held\"]");
	run_free(&r);
	/* two runs of 3 in one input: each its own batch */
	run_init(&r, p, "2026-11-23T12:00:00Z");
	add(&r, "a", "s", "low", "[\"k8s:a/b/C/d/1\"]", "");
	add(&r, "b", "s", "low", "[\"k8s:a/b/C/d/2\"]", "");
	add(&r, "a", "s", "low", "[\"k8s:a/b/C/d/3\"]", "");
	add(&r, "b", "s", "low", "[\"k8s:a/b/C/d/4\"]", "");
	add(&r, "a", "s", "low", "[\"k8s:a/b/C/d/5\"]", "");
	add(&r, "b", "s", "low", "[\"k8s:a/b/C/d/6\"]", "");
	decide(&r);
	all_are(&r, "approved");
	run_free(&r);
	policy_free(p);
}

static void
test_limit_shadow_apart(void **state)
{
	struct policy *p = P("{\"defaults\":{\"risk_mode\":\"auto\"},"
	    "\"skills\":{\"live\":{\"mode\":\"auto\"}},\"limits\":[{\"name\":"
	    "\"run-size\",\"per\":\"run\",\"max_actions\":2}]}");
	struct run r;

	(void)state;
	/* two live and two shadow: the live ones are within the limit;
	   the shadow ones would not be, were they live */
	run_init(&r, p, "2026-11-23T12:00:00Z");
	add(&r, "r", "live", "low", "[\"k8s:a/b/C/d/1\"]", "");
	add(&r, "r", "live", "low", "[\"k8s:a/b/C/d/2\"]", "");
	add(&r, "r", "new", "low", "[\"k8s:a/b/C/d/3\"]", "");
	add(&r, "r", "new", "low", "[\"k8s:a/b/C/d/4\"]", "");
	decide(&r);
	assert_string_equal(verdict(&r.dec[0]), "approved");
	assert_string_equal(verdict(&r.dec[1]), "approved");
	assert_string_equal(verdict(&r.dec[2]), "deferred");
	assert_true(r.dec[2].shadow);
	assert_string_equal(verdict(&r.dec[3]), "deferred");
	run_free(&r);
	policy_free(p);
}

static void
test_limit_per_target_history(void **state)
{
	struct policy *p = P("{\"defaults\":{\"skill_mode\":\"auto\","
	    "\"risk_mode\":\"auto\"},\"limits\":[{\"name\":\"daily\","
	    "\"per\":\"target\",\"max_actions\":2,\"period\":\"24h\"}]}");
	const char *tk = "k8s:a/b/C/d/t";
	struct run r;
	size_t h;

	(void)state;
	for (h = 0; h <= 2; h++) {
		run_init(&r, p, "2026-11-23T12:00:00Z");
		/* h executions in the last day, and some that do not count:
		   older than the period, or not before the clock */
		policy_ctx_history(r.c, tk, T("2026-11-22T11:00:00Z"));
		policy_ctx_history(r.c, tk, T("2026-11-22T12:00:00Z"));
		policy_ctx_history(r.c, tk, T("2026-11-23T12:00:00Z"));
		policy_ctx_history(r.c, "k8s:a/b/C/d/other",
		    T("2026-11-23T11:00:00Z"));
		if (h >= 1)
			policy_ctx_history(r.c, tk, T("2026-11-23T06:00:00Z"));
		if (h >= 2)
			policy_ctx_history(r.c, tk, T("2026-11-23T09:00:00Z"));
		add(&r, "r", "s", "low", "[\"k8s:a/b/C/d/t\"]", "");
		add(&r, "r", "s", "low", "[\"k8s:a/b/C/d/u\"]", "");
		decide(&r);
		/* 0+1 below, 1+1 at, 2+1 above the bound of 2 */
		assert_string_equal(verdict(&r.dec[0]), h < 2 ? "approved" :
		    "deferred");
		assert_string_equal(verdict(&r.dec[1]), "approved");
		if (h == 2) {
			assert_string_equal(r.dec[0].reasons.p, "[\"limit "
			    "'daily' (at most 2 actions per target in 24h): "
			    "target k8s:a/b/C/d/t has 1 in this run and 2 "
			    "started in the last 24h; its whole batch is "
			    "held\"]");
			/* the oldest counted ages out at 06:00 tomorrow */
			assert_string_equal(fmt(r.dec[0].not_before),
			    "2026-11-24T06:00:00Z");
		}
		run_free(&r);
	}
	/* over the bound within the run alone: waiting will not do */
	run_init(&r, p, "2026-11-23T12:00:00Z");
	add(&r, "r", "s", "low", "[\"k8s:a/b/C/d/t\"]", "");
	add(&r, "r", "x", "low", "[\"k8s:a/b/C/d/t\"]", "");
	add(&r, "r", "y", "low", "[\"k8s:a/b/C/d/t\"]", "");
	decide(&r);
	all_are(&r, "deferred");
	assert_true(r.dec[0].not_before == -1);
	run_free(&r);
	policy_free(p);
}

static void
test_limit_fraction(void **state)
{
	struct policy *p = P("{\"defaults\":{\"skill_mode\":\"auto\","
	    "\"risk_mode\":\"auto\"},\"limits\":[{\"name\":\"share\","
	    "\"per\":\"kind\",\"max_fraction\":0.5}]}");
	struct run r;
	size_t n, i;
	char key[64];

	(void)state;
	for (n = 1; n <= 3; n++) {
		run_init(&r, p, "2026-11-23T12:00:00Z");
		for (i = 0; i < 4; i++) {
			snprintf(key, sizeof(key),
			    "k8s:prod/apps/Deployment/shop/d%zu", i);
			policy_ctx_inventory(r.c, key, NULL);
			policy_ctx_inventory(r.c, key, NULL);	/* once */
		}
		policy_ctx_inventory(r.c, "k8s:prod/core/Service/shop/s", NULL);
		for (i = 0; i < n; i++) {
			snprintf(key, sizeof(key),
			    "[\"k8s:prod/apps/Deployment/shop/d%zu\"]", i);
			add(&r, "r", "s", "low", key, "");
		}
		/* another kind is its own group */
		add(&r, "r", "s", "low", "[\"k8s:prod/core/Service/shop/s\"]",
		    "");
		decide(&r);
		/* 1 of 4 below, 2 of 4 at, 3 of 4 above 50% */
		for (i = 0; i < n; i++)
			assert_string_equal(verdict(&r.dec[i]), n < 3 ?
			    "approved" : "deferred");
		if (n == 3)
			assert_string_equal(r.dec[0].reasons.p, "[\"limit "
			    "'share' (at most 50% of a kind): this run touches "
			    "3 of the 4 in kind k8s:prod/apps/Deployment (75%); "
			    "its whole batch is held\"]");
		/* 1 of 1 Service: 100% */
		assert_string_equal(verdict(&r.dec[n]), "deferred");
		run_free(&r);
	}
	policy_free(p);
}

static void
test_limit_per_service(void **state)
{
	struct policy *p = P("{\"defaults\":{\"skill_mode\":\"auto\","
	    "\"risk_mode\":\"auto\"},\"limits\":[{\"name\":\"svc\","
	    "\"per\":\"service\",\"max_actions\":1,\"hold\":\"escalate\"}]}");
	struct run r;

	(void)state;
	run_init(&r, p, "2026-11-23T12:00:00Z");
	policy_ctx_inventory(r.c, "k8s:p/apps/Deployment/ns/web", "web");
	policy_ctx_inventory(r.c, "k8s:p/core/Service/ns/web", "web");
	policy_ctx_inventory(r.c, "k8s:p/apps/Deployment/ns/api", "api");
	add(&r, "r", "s", "low", "[\"k8s:p/apps/Deployment/ns/web\"]", "");
	add(&r, "r", "s", "low", "[\"k8s:p/core/Service/ns/web\"]", "");
	add(&r, "r", "s", "low", "[\"k8s:p/apps/Deployment/ns/api\"]", "");
	add(&r, "r", "s", "low", "[\"k8s:p/apps/Deployment/ns/nobody\"]", "");
	add(&r, "r", "s", "low", "[\"k8s:p/apps/Deployment/ns/hint\"]",
	    ",\"service\":\"hinted\"");
	decide(&r);
	assert_string_equal(verdict(&r.dec[0]), "escalated");
	assert_string_equal(verdict(&r.dec[1]), "escalated");
	assert_string_equal(verdict(&r.dec[2]), "approved");
	assert_string_equal(verdict(&r.dec[3]), "escalated");
	assert_string_equal(r.dec[3].reasons.p, "[\"limit 'svc' (at most 1 "
	    "action per service): the service of "
	    "'k8s:p/apps/Deployment/ns/nobody' is not known (no inventory, "
	    "and the action names none)\"]");
	assert_string_equal(verdict(&r.dec[4]), "approved");
	run_free(&r);
	policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_yaml_same_digest),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_modes_credentials_rules),
		cmocka_unit_test(test_human),
		cmocka_unit_test(test_berlin_dst),
		cmocka_unit_test(test_new_york_dst),
		cmocka_unit_test(test_overlap_and_freeze),
		cmocka_unit_test(test_limit_per_run),
		cmocka_unit_test(test_limit_shadow_apart),
		cmocka_unit_test(test_limit_per_target_history),
		cmocka_unit_test(test_limit_fraction),
		cmocka_unit_test(test_limit_per_service),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
