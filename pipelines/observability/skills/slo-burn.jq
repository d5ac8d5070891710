# slo-burn: an error budget burning faster than $obs.burn_threshold times
# the sustainable rate opens an incident and escalates it; the next
# observation at or under the threshold resolves the incident, so
# `tend report slo` measures its time to recovery.
#
# Input (batch): the run's tend.resource.state events of kind slo-burn,
# from `tend collect prometheus --kind slo-burn URL QUERY`, QUERY giving
# one series per SLO whose value is its burn rate (a recording rule such
# as slo:burn_rate:1h, or the query itself); the slo label (else the
# series' name) names it.  $incidents (--data incidents=FILE): the
# incident events of earlier runs, from `tend log cat --type
# 'tend.incident.*' LOG`, oldest first: an incident is open when its last
# event is tend.incident.opened.
def num: if type == "number" then . else tonumber? // null end;

($obs.burn_threshold // 14.4) as $max
| ([$incidents[]? | select(.data.skill == "slo-burn")]
   | group_by(.data.incident_id) | map(last)
   | map(select(.type == "tend.incident.opened"))) as $open
| .[]
| select(.data.provider == "prometheus" and .data.kind == "slo-burn")
| . as $e
| (.data.labels.slo // .data.name) as $slo
| (.data.spec.value | num) as $burn
| select($burn != null and ($burn | isnan | not))
| ([$open[] | select(any(.data.targets[]; . == $e.data.key))] | first)
  as $inc
| if $burn > $max and $inc == null then
	{incident: {id: "slo-burn:\($e.data.key)@\($e.time)",
		    status: "opened",
		    title: "SLO \($slo) burns its error budget at \($burn)x",
		    severity: "page",
		    service: $slo},
	 targets: [$e.data.key],
	 causes: [$e.id],
	 reason: "burn rate \($burn)x is over \($max)x on \($e.data.scope)"},
	{escalate: true,
	 targets: [$e.data.key],
	 causes: [$e.id],
	 risk: "high",
	 reason: "SLO \($slo) burns its error budget at \($burn)x (over \($max)x) on \($e.data.scope): incident slo-burn:\($e.data.key)@\($e.time) opened"}
  elif $burn <= $max and $inc != null then
	{incident: {id: $inc.data.incident_id, status: "resolved",
		    resolution: "burn rate back to \($burn)x, at or under \($max)x"},
	 targets: [$e.data.key],
	 causes: [$e.id],
	 reason: "SLO \($slo) burns at \($burn)x on \($e.data.scope), at or under \($max)x"}
  else empty end
