# services: Kubernetes Services of type LoadBalancer or NodePort that are
# not on the allow-list $allow.services.allow: turned into ClusterIP
# Services (merge PATCH; rollback: the type they had, though the cloud
# may hand out a new address and node ports) when $allow.services.close
# says so, on condition that the Service's resourceVersion is still the
# one collected; escalated otherwise.
#
# Input: tend.resource.state events of kind Service (key
# k8s:CLUSTER/core/Service/NAMESPACE/NAME).
# $allow (--data allow=FILE): {"services": {"allow": [ENTRY], "close":
# [ENTRY]}}, ENTRY members among scope (the cluster), namespace, name,
# type.  $clusters (--data clusters=FILE): {"CLUSTER": {"server",
# "credential"}}.
include "lib/allow";

select(.data.provider == "k8s" and .data.kind == "Service")
| .data as $d
| ($d.key | ltrimstr("k8s:") | split("/")) as $k
| ($d.spec.spec.type // "ClusterIP") as $type
| select($type == "LoadBalancer" or $type == "NodePort")
| {scope: $k[0], namespace: $k[3], name: ($k[4:] | join("/")),
   type: $type} as $f
| ($f | verdict($allow.services // {})) as $v
| select($v != "allow")
| "\($type) Service \($f.namespace)/\($f.name) in cluster \($f.scope) (ports \(
    [$d.spec.spec.ports[]? | .port] | map(tostring) | join(", ")))" as $what
| ($clusters[$f.scope] // null) as $c
| if $v == "close" and $c.server != null then
	"\($c.server)/api/v1/namespaces/\($f.namespace)/services/\($f.name)" as $url
	| ($f | why_close($allow.services)) as $e
	| {executor: {type: "http", method: "PATCH", url: $url,
	     headers: {"Content-Type": "application/merge-patch+json"},
	     body: {spec: {type: "ClusterIP"}}},
	   rollback: {type: "http", method: "PATCH", url: $url,
	     headers: {"Content-Type": "application/merge-patch+json"},
	     body: {spec: {type: $type}}},
	   credential: ($c.credential // $skill.credential),
	   reason: "make \($what) internal (ClusterIP): not on the allow-list\(
	     if $e.comment then " (\($e.comment))" else "" end); a rollback may get a new address"}
	+ ($d.status.metadata.resourceVersion // null
	   | if . == null then {}
	     else {precondition: {pointer: "/metadata/resourceVersion", value: .}}
	     end)
  else
	{escalate: true, risk: "high",
	 reason: "\($what) is exposed and not on the allow-list\(
	   if $v == "close" then "; no API server for cluster '\($f.scope)' (--data clusters)" else "" end)"}
  end
