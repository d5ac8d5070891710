# k8s-revert: turns drift of a Kubernetes object into a PATCH to the API
# server that puts the desired values back, with the PATCH that restores
# the observed ones as rollback.
#
# Input: a tend.drift.detected event of provider k8s (key
# k8s:CLUSTER/GROUP/Kind/NAMESPACE/NAME, "_" for cluster-scoped), with
# .observed (needs "observed": the object's state as tend normalize wrote
# it, when tend diff --pass put it in the stream).
#   modified: a JSON merge patch (RFC 7386) when every path is an object
#     member, else a JSON Patch (RFC 6902) guarded by "test" operations on
#     the observed values, so a changed object makes the PATCH fail;
#   either with the precondition that the object's resourceVersion is
#     still the observed one (tend apply reads it back before the PATCH
#     and skips the action as stale if anything wrote the object since);
#   missing: server-side apply of the desired object; rollback DELETE;
#   unexpected: escalated (deleting what nobody declared is for a human).
# Desired values that are secret tokens (tok:..., redacted) are never
# written: the drift is escalated instead.
# $clusters (--data clusters=FILE): {"CLUSTER": {"server": URL,
# "credential": NAME, "versions": {"GROUP": "v1"}}}.
include "lib/ptr";

def versions: {
	"core": "v1", "apps": "v1", "batch": "v1", "policy": "v1",
	"autoscaling": "v2", "networking.k8s.io": "v1",
	"rbac.authorization.k8s.io": "v1", "storage.k8s.io": "v1",
	"scheduling.k8s.io": "v1", "coordination.k8s.io": "v1",
	"discovery.k8s.io": "v1", "snapshot.storage.k8s.io": "v1"
};

def plural:
	ascii_downcase
	| if . == "endpoints" then .
	elif endswith("s") or endswith("x") or endswith("ch") or
	    endswith("sh") then . + "es"
	elif endswith("y") and ((.[-2:-1]) as $c
	    | ["a", "e", "i", "o", "u"] | any(. == $c) | not) then .[:-1] + "ies"
	else . + "s" end;

# The parts of the key.
select(.data.provider == "k8s")
| (.data.key | ltrimstr("k8s:") | split("/")
   | select(length >= 5)
   | {cluster: .[0], group: .[1], kind: .[2], ns: .[3],
      name: (.[4:] | join("/"))}) as $k
| ($clusters[$k.cluster] // null) as $c
| (.observed.status.apiVersion
    // (($c.versions // {})[$k.group] // versions[$k.group]) as $v
       | if $v == null then null
         elif $k.group == "core" then $v else "\($k.group)/\($v)" end) as $apiVersion
| (if $apiVersion == null then null
   else ($apiVersion | if index("/") then "/apis/\(.)" else "/api/\(.)" end)
     + (if $k.ns == "_" then "" else "/namespaces/\($k.ns)" end)
     + "/\($k.kind | plural)/\($k.name)" end) as $path
| "\($k.kind) \(if $k.ns == "_" then "" else "\($k.ns)/" end)\($k.name)" as $what
| (.data.patch // []) as $ops
| ($ops | map(select(.op != "test"))) as $changes
| (.observed.spec // null) as $obs
| (.observed.status.metadata.resourceVersion // null) as $rv
| (if $rv == null then {}
   else {precondition: {pointer: "/metadata/resourceVersion", value: $rv}}
   end) as $pre
| {risk: risk_of(.data.severity)} as $risk
| def was($p): observed_at($obs; $ops; $p);
  if .data.drift == "unexpected" then
	{escalate: true,
	 reason: "\($what) exists in cluster \($k.cluster) but not in the desired state"}
	+ $risk
  elif $c == null or $c.server == null then
	{escalate: true,
	 reason: "\($what): no API server for cluster '\($k.cluster)' (--data clusters)"}
	+ $risk
  elif $apiVersion == null then
	{escalate: true,
	 reason: "\($what): API version of group '\($k.group)' unknown (set clusters.\($k.cluster).versions)"}
	+ $risk
  elif [$changes[] | (.value // empty) | all_strings[] | select(is_secret_token)] | length > 0 then
	{escalate: true,
	 reason: "\($what): the desired value at \([$changes[].path] | unique | join(", ")) is a secret token; set it from the secret store"}
	+ $risk
  elif .data.drift == "missing" then
	($changes[0].value // {}) as $want
	| ($c.server + $path) as $url
	| {executor: {type: "http", method: "PATCH",
	     url: "\($url)?fieldManager=tend&force=true",
	     headers: {"Content-Type": "application/apply-patch+yaml"},
	     body: ({apiVersion: $apiVersion, kind: $k.kind} + $want
	       | .metadata = (($want.metadata // {}) + {name: $k.name}
	         + (if $k.ns == "_" then {} else {namespace: $k.ns} end)))},
	   rollback: {type: "http", method: "DELETE", url: $url},
	   reason: "create \($what), desired but missing in cluster \($k.cluster) (server-side apply)"}
	+ $risk
  elif ($changes | length) == 0 then empty
  elif ($changes | all(.op == "add" or .op == "replace" or .op == "remove"))
       and ($changes | all(.path | ptr_indexes | not))
       and ($changes | all(.path != "")) then
	# a merge patch: the desired values, null for what must go
	($changes | reduce .[] as $o ({};
		setpath($o.path | ptr_tokens;
		    if $o.op == "remove" then null else $o.value end))) as $body
	| ([$changes[] | .path as $p
	    | if .op == "add" and (was($p) | .unknown) then {found: false}
	      else was($p) end
	    | select(.unknown)] | length > 0) as $unknown
	| (if $unknown then null
	   else $changes | reduce .[] as $o ({};
		setpath($o.path | ptr_tokens;
		    was($o.path) | if .found then .value else null end))
	   end) as $back
	| {executor: {type: "http", method: "PATCH", url: ($c.server + $path),
	     headers: {"Content-Type": "application/merge-patch+json"},
	     body: $body},
	   rollback: (if $back == null then null
	     else {type: "http", method: "PATCH", url: ($c.server + $path),
	       headers: {"Content-Type": "application/merge-patch+json"},
	       body: $back} end),
	   reason: "revert \($what) in cluster \($k.cluster) to its desired state at \([$changes[].path] | join(", "))"}
	+ $pre + $risk
  else
	# a JSON Patch, each change guarded by a test of the observed value
	[$changes[] | select(.op == "replace" or .op == "remove")
	  | .path as $p | was($p) | select(.found)
	  | {op: "test", path: $p, value: .value}] as $tests
	| [$changes | reverse[]
	    | if .op == "replace" then
		was(.path) as $g
		| if $g.found then {op: "replace", path: .path, value: $g.value}
		  else null end
	      elif .op == "remove" then
		was(.path) as $g
		| if $g.found then {op: "add", path: .path, value: $g.value}
		  else null end
	      elif .op == "add" then
		if (.path | endswith("/-")) then
			(.path | ptr_tokens) as $t
			| was($t[:-1] | ptr_join) as $g
			| if $g.found and ($g.value | type) == "array" then
				{op: "remove", path: (($t[:-1] + [$g.value | length | tostring]) | ptr_join)}
			  else null end
		else {op: "remove", path: .path} end
	      elif .op == "move" then {op: "move", from: .path, path: .from}
	      elif .op == "copy" then {op: "remove", path: .path}
	      else null end]
	| (if any(. == null) then null else . end) as $back
	| {executor: {type: "http", method: "PATCH", url: ($c.server + $path),
	     headers: {"Content-Type": "application/json-patch+json"},
	     body: ($tests + $changes)},
	   rollback: (if $back == null then null
	     else {type: "http", method: "PATCH", url: ($c.server + $path),
	       headers: {"Content-Type": "application/json-patch+json"},
	       body: $back} end),
	   reason: "revert \($what) in cluster \($k.cluster) to its desired state at \([$changes[].path] | join(", "))"}
	+ $pre + $risk
  end
| if (.risk // null) == null then del(.risk) else . end
| if $c.credential != null and (.escalate | not) then .credential = $c.credential else . end
