# down: scrape targets that have been down for longer than a threshold
# become one escalation per job, naming each target and its last error.
#
# Input (batch): the run's tend.resource.state events.  Two kinds of them
# count, both from `tend collect prometheus` of the same server:
#   target       --targets: data.labels {job, instance, ...},
#                data.status {health, lastError, lastScrape}
#   target-down  --kind target-down 'max_over_time(up[D]) == 0': a series
#                per target that had no successful scrape in the last D
#                ($obs.down_after), named by the target's labels
# A target counts when both say so: down throughout D, and down now (a
# target that came back since is not escalated; one that no longer exists
# is not either).
include "lib/prom";

($obs.down_after // "5m") as $after
| [.[] | select(.data.provider == "prometheus")] as $ev
| [$ev[] | select(.data.kind == "target")] as $targets
| [$ev[] | select(.data.kind == "target-down")
   | {scope: .data.scope, job: .data.labels.job,
      instance: .data.labels.instance}] as $down
| [$targets[]
   | select(.data.status.health == "down")
   | . as $t
   | select(any($down[]; .scope == $t.data.scope
	and .job == $t.data.labels.job
	and .instance == $t.data.labels.instance))]
| group_by([.data.scope, .data.labels.job])[]
| (.[0].data.scope) as $scope
| (.[0].data.labels.job) as $job
| {escalate: true,
   targets: [.[].data.key],
   causes: [.[].id],
   reason: ("job \($job) on \($scope): \(length) target\(if length > 1 then "s" else "" end) down for more than \($after): "
	+ ([.[] | "\(.data.labels.instance) (\(.data.status.lastError // "" | if . == "" then "no error given" else . end))"]
	   | join("; ")))}
