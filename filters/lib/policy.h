/*
 * policy.h: tend gate's policy: loading, validation and the decision on
 * each proposed action (see tend-gate(1), POLICY, for the file and the
 * order in which clauses apply).
 *
 * A policy is a JSON or YAML file checked against schemas/policy.v1.json
 * and then compiled: cron windows and time zones parsed (window.h), jq
 * rules compiled confined (jqrun.h), durations and patterns checked.
 * Every load error names the clause by its JSON Pointer and, where it
 * has one, its name: "/windows/1 (weeknights): cron '0 25 * * *': bad
 * hour field '25'".  The policy's digest is the SHA-256 of the JCS form
 * of its JSON (a YAML policy: of the JSON it converts to), so the same
 * policy written two ways has one digest.
 *
 * Deciding is done in two passes over a run's proposals, because a
 * blast-radius limit holds a whole batch or nothing:
 *
 *   1. policy_pre: what does not depend on the batch (skill mode,
 *      credential scope, rules, deny and allow windows at the run's
 *      clock), then policy_batch_add counts the action in its run's
 *      groups unless it is denied or deferred already;
 *   2. policy_decide: the limits, then the risk mode, with a human
 *      approval when there is one.
 *
 * The clock is fixed for a context (--now), so windows are evaluated
 * once per context and the same input gives the same decisions.
 *
 * Counting uses 64-bit hashes of group names: two groups whose names
 * collide are counted as one, which can only hold more, never less.
 *
 * What it does not do: read events, logs or files other than the policy
 * (the caller feeds history and inventory in), sign, or notify.
 */
#ifndef TEND_POLICY_H
#define TEND_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "json.h"
#include "tenderr.h"

struct policy;
struct policy_ctx;

/*
 * Loads the policy in text[0..len): JSON if it parses as JSON, else YAML
 * (one document).  name is used in messages.  Returns the policy, or NULL
 * with err (TEND_EXIT_INPUT; the message starts "NAME: ").
 */
struct policy *policy_load(const char *text, size_t len, const char *name,
	    struct tend_err *err);

/* Reads and loads a file: NULL with err TEND_EXIT_SYSTEM when it cannot
   be read, else as policy_load. */
struct policy *policy_load_file(const char *path, struct tend_err *err);

void	policy_free(struct policy *);

/* "sha256:<64 hex>" of the policy's JCS form.  Owned by the policy. */
const char *policy_digest(const struct policy *);

/* The policy as JSON (the YAML converted), NUL-terminated. */
const char *policy_json(const struct policy *, size_t *len);

/* 1 if a limit counts history (has a period), reads inventory (a
   fraction or per service), so the caller knows what to load. */
int	policy_wants_history(const struct policy *);
int	policy_wants_inventory(const struct policy *);
/* The longest period of any limit, in ns (0: none). */
int64_t	policy_max_period(const struct policy *);

/*
 * What the policy reads from an action (the data of a proposal): the
 * strings are decoded copies owned by the struct.  service is the
 * action's own "service" (or blast_radius.service), or NULL.
 */
struct policy_action {
	const struct json_doc *doc;
	uint32_t tok;		/* the action object in doc */
	char	*action_id, *skill, *domain, *risk, *credential, *service;
	char	**targets;
	size_t	 ntargets;
	int	 escalate;	/* the skill asked for a human */
	struct buf store;	/* the strings above */
	size_t	*offs;
	size_t	 offcap;
};

void	policy_action_init(struct policy_action *);
void	policy_action_release(struct policy_action *);

/*
 * Reads the action object at token tok of d.  It needs action_id, skill,
 * risk (non-empty strings) and targets (a non-empty array of non-empty
 * strings); domain, credential and escalate are optional.  Returns 0, or
 * -1 with err (TEND_EXIT_INPUT) naming the member ("/action_id: missing
 * or not a string").  d must outlive the use of a.
 */
int	policy_action_parse(struct policy_action *a, const struct json_doc *d,
	    uint32_t tok, struct tend_err *err);

/* A context: one run clock, its history, inventory and batches. */
struct policy_ctx *policy_ctx_new(struct policy *, int64_t now_ns);
void	policy_ctx_free(struct policy_ctx *);

/*
 * History: an execution of an action on target at time t (a
 * tend.action.started event of the log).  Only those with
 * now - period <= t < now count, per limit.
 */
void	policy_ctx_history(struct policy_ctx *, const char *target,
	    int64_t t_ns);

/*
 * Inventory: a resource that exists (from a tend.resource.state event),
 * with its service (NULL: none known).  Sizes of kinds, namespaces and
 * services for max_fraction, and services of targets for per service.
 */
void	policy_ctx_inventory(struct policy_ctx *, const char *key,
	    const char *service);

/* The part of a decision that does not depend on the batch. */
enum policy_pre_verdict {
	POLICY_PRE_DENY,	/* off, credential, deny rule */
	POLICY_PRE_FREEZE,	/* a deny window is open */
	POLICY_PRE_WINDOW,	/* risk mode window, no allow window open */
	POLICY_PRE_ESCALATE,	/* risk mode human, an escalate rule, or the
				   skill asked */
	POLICY_PRE_APPROVE,
};

struct policy_pre {
	uint8_t	 verdict;	/* enum policy_pre_verdict */
	uint8_t	 shadow;	/* skill in shadow mode */
	uint8_t	 mode;		/* risk mode: 0 auto, 1 window, 2 human */
	uint8_t	 skill_off;
	uint8_t	 cred_denied;
	uint8_t	 asked;		/* the skill asked for a human */
	uint64_t rule_hit;	/* bit i: rule i applies */
	uint64_t rule_err;	/* bit i: rule i failed (counts as applying) */
	uint64_t deny_open;	/* bit i: window i is a matching open deny */
	uint64_t allow_match;	/* bit i: window i is a matching allow */
	uint64_t batch;		/* the run's batch (hash of runid) */
};

/*
 * Pass 1 for one action.  Runs the rules (a rule that fails at run time
 * applies: fail closed).  Returns 0, or -1 with err only for a system
 * failure.
 */
int	policy_pre(struct policy_ctx *, const struct policy_action *,
	    struct policy_pre *, struct tend_err *err);

/* Counts the action in its run's groups (runid NULL: the run without
   one), unless pre says denied or deferred. */
void	policy_batch_add(struct policy_ctx *, const char *runid,
	    const struct policy_action *, struct policy_pre *);

enum policy_verdict {
	POLICY_APPROVED,
	POLICY_DENIED,
	POLICY_DEFERRED,
	POLICY_ESCALATED,
};

/* A human approval the caller found valid for this very action. */
struct policy_human {
	const char *who;	/* the key name */
	int64_t	 expires_ns;
};

struct policy_decision {
	enum policy_verdict verdict;
	int	 shadow;
	int64_t	 not_before;	/* deferred: when it may run; -1: unknown */
	int64_t	 expires_cap;	/* approved through a human: its expiry;
				   else -1 */
	struct buf reasons;	/* a JSON array of strings */
	size_t	 nreasons;
};

void	policy_decision_init(struct policy_decision *);
void	policy_decision_release(struct policy_decision *);

/*
 * Pass 2: the decision on an action after every action of the input went
 * through pass 1.  human is a valid human approval of this action, or
 * NULL; it turns an escalation into the decision the risk mode gives
 * with a human's yes (still deferred outside a window, never past a
 * deny).  Fills dec (reset first).  Returns 0, or -1 with err for a
 * system failure.
 */
int	policy_decide(struct policy_ctx *, const struct policy_action *,
	    const struct policy_pre *, const struct policy_human *human,
	    struct policy_decision *dec, struct tend_err *err);

/* The group a target is in for "kind" and "namespace" limits, appended
   to out ("k8s:prod/apps/Deployment", "k8s:prod/shop").  Exposed for
   tests and the man page's examples. */
void	policy_group_of(const char *per, const char *key, struct buf *out);

#endif
