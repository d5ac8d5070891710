/*
 * gate.h: what the parts of tend-gate share.  gate.c reads proposals and
 * writes decisions, load.c reads approvals, history and inventory,
 * notify.c sends escalations to Alertmanager and webhooks, keys.c is
 * `tend gate keygen` and `tend gate approve`.
 */
#ifndef TEND_GATE_H
#define TEND_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "approval.h"
#include "buf.h"
#include "cli.h"
#include "event.h"
#include "policy.h"
#include "sign.h"
#include "tenderr.h"

/* Longest --ttl: approvals are meant to be short-lived. */
#define GATE_TTL_MAX	(7 * 86400)
#define GATE_TTL_DEFAULT "15m"

/* A string-keyed table of indices (open addressing). */
struct strmap {
	char	**keys;
	size_t	*vals;
	size_t	 cap, n;
};

/* Returns the slot's value pointer, adding key (copied) with value v
   when absent and add is set; NULL when absent and !add. */
size_t	*strmap_get(struct strmap *, const char *key, int add, size_t v);
void	strmap_release(struct strmap *);

/* A human approval that verified. */
struct human {
	unsigned char digest[32];	/* of the approved action */
	char	*who;
	int64_t	 expires_ns;
	size_t	 next;			/* another one of this action_id, or
					   (size_t)-1 */
};

struct gate {
	struct cli cli;
	struct policy *policy;
	struct policy_ctx *ctx;
	struct sign_key key;
	int	 have_key;
	int	 unsigned_;		/* --unsigned: what-if, no signatures */
	struct sign_key *trust;
	size_t	 ntrust;
	int64_t	 ttl_s;
	struct strmap approvals;	/* action_id -> first humans[] index */
	struct human *humans;
	size_t	 nhumans, humanscap;
	struct notify *notify;
	int	 stop;			/* stdout gone or a fatal error */
};

/* load.c */
/*
 * Reads a file of events (NDJSON, or an event log: zstd frames) and
 * calls fn for each event with its file name and line (or seq).
 * Returns 0, or -1 with err (TEND_EXIT_SYSTEM: unreadable;
 * TEND_EXIT_INPUT: a bad line or a damaged log) or fn's -1.
 */
int	gate_read_events(struct gate *, const char *path, int64_t seek_ns,
	    int (*fn)(struct gate *, struct event *, const char *file,
	    size_t line, void *arg), void *arg, struct tend_err *err);

/*
 * A tend.action.approved event with approved_by: verifies it against the
 * --trust keys and, if it holds and its time is not after the clock,
 * keeps it for the run.  Invalid ones are reported (not fatal).
 */
void	gate_human_approval(struct gate *, struct event *, const char *file,
	    size_t line);

/* The human approval of this very action (digest), or NULL. */
const struct human *gate_find_human(struct gate *, const char *action_id,
	    const struct json_doc *, uint32_t action_tok);

/* A tend.resource.state (or .observed) event: into the inventory. */
void	gate_inventory_event(struct gate *, struct event *);

/* --history LOG, --inventory FILE, --approvals FILE.  0 or -1 (reported,
   status set). */
int	gate_load_history(struct gate *, const char *path);
int	gate_load_inventory(struct gate *, const char *path);
int	gate_load_approvals(struct gate *, const char *path);

/* notify.c */
struct notify;

/* Receivers; NULL URLs are left out.  NULL with err on a bad URL. */
struct notify *notify_new(const char *alertmanager, const char *webhook,
	    struct tend_err *err);
void	notify_free(struct notify *);
int	notify_enabled(const struct notify *);

/* One escalation to send, its strings decoded (reasons: a JSON array). */
struct escalation {
	const char *action_id, *skill, *domain, *risk, *target, *subject,
		   *runid, *summary, *policy_digest;
	const char *reasons;
	size_t	 reasons_len;
	const char *action;	/* raw JSON of the action */
	size_t	 action_len;
};

void	notify_add(struct notify *, const struct escalation *);
size_t	notify_pending(const struct notify *);

/*
 * Sends what was added to every receiver, one request each.  Appends the
 * names of the receivers that took them to `notified` as JSON strings
 * with commas between (nothing when none did).  A receiver that fails is
 * reported on stderr and makes the result -1 (the caller exits 4).
 */
int	notify_send(struct notify *, struct buf *notified);

/* keys.c */
int	gate_keygen_main(int argc, char *argv[]);
int	gate_approve_main(int argc, char *argv[]);

#endif
