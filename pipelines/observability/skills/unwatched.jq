# unwatched: services that no Prometheus target scrapes.
#
# Input (batch): the run's tend.resource.state events:
#   prometheus target   --targets: data.labels {job, instance, ...}
#   host socket         tend collect host --sockets: spec {proto,
#                       address, port}, status.process.comm
#   k8s Service         tend collect k8s: spec.ports, metadata in labels
# $services (--data services=FILE) maps service names to how they are
# found and scraped:
#   {"api": {"port": 9101, "address"?: "127.0.0.1", "process"?: "api",
#            "job"?: "api", "scheme"?: "http"}}
# A host socket is service NAME when it listens on NAME's port (and
# address and process name, when given); a Kubernetes Service is watched
# when a target's labels name it (namespace and service, or job equal to
# its name).  $obs.file_sd, a directory Prometheus reads file_sd_configs
# from, makes a host service watched by writing tend-NAME.json there
# (rollback: remove it); without it, or for a Service in a cluster that
# $clusters does not know, the service is escalated.  A Kubernetes
# Service gets the prometheus.io/scrape and prometheus.io/port
# annotations (merge PATCH; rollback puts the old values back), on
# condition that its resourceVersion is still the one collected.
include "lib/prom";

($skill.params.commands.rm // "/usr/bin/rm") as $rm
| [.[] | select(.data.provider == "prometheus" and .data.kind == "target")]
  as $targets
| [$targets[].data.labels.instance // empty] as $instances
| (
  # host services: a listening socket that is a declared service
  [.[] | select(.data.provider == "host" and .data.kind == "socket")] as $socks
  | ($services // {}) | to_entries[]
  | .key as $name | .value as $svc
  | [$socks[] | select(.data.spec.port == $svc.port
	and ($svc.address == null or .data.spec.address == $svc.address)
	and ($svc.process == null or .data.status.process.comm == $svc.process))]
  | select(length > 0)
  | .[0] as $sock
  | (if $sock.data.spec.address | IN("0.0.0.0", "::", "*")
     then $svc.address // $sock.data.scope
     else $sock.data.spec.address end) as $addr
  | "\(if $addr | contains(":") then "[\($addr)]" else $addr end):\($svc.port)" as $inst
  # watched: a target with this instance, or this port on this address
  # (not index/1: libjq 1.6 leaks in it)
  | select(any($instances[]; . == $inst) | not)
  | ($svc.job // $name) as $job
  | if $obs.file_sd == null then
	{escalate: true, targets: [$sock.data.key], causes: [$sock.id],
	 reason: "service \($name) listens on \($inst) on \($sock.data.scope) but no Prometheus target scrapes it (no file_sd directory configured to add one)"}
    else
	"\($obs.file_sd)/tend-\($name).json" as $path
	| {executor: {type: "file", path: $path, mode: "0644",
		      content: ([{targets: [$inst],
				  labels: ({job: $job}
				    + if $svc.scheme then {__scheme__: $svc.scheme} else {} end)}]
				| tojson + "\n")},
	   rollback: {type: "exec", argv: [$rm, "-f", "--", $path]},
	   targets: [$sock.data.key],
	   causes: [$sock.id],
	   precondition: null,
	   risk: "low",
	   reason: "service \($name) listens on \($inst) on \($sock.data.scope) but no Prometheus target scrapes it: add it to file_sd as job \($job)"}
    end
  ),
  (
  # Kubernetes Services
  .[] | select(.data.provider == "k8s" and .data.kind == "Service") | . as $s
  | ($s.data.namespace // "default") as $ns
  | select(any($targets[].data.labels;
	((.service // .kubernetes_name) == $s.data.name
	 and (.namespace // .kubernetes_namespace // $ns) == $ns)
	or .job == $s.data.name) | not)
  | ($s.data.spec.spec.ports // [] | first // null) as $port
  | ($s.data.spec.metadata.annotations // {}) as $ann
  | ($clusters[$s.data.scope] // null) as $c
  | if $c == null or $port == null or $ann["prometheus.io/scrape"] == "true" then
	{escalate: true,
	 reason: "Service \($ns)/\($s.data.name) in \($s.data.scope) has no Prometheus target\(
	   if $port == null then " and no port"
	   elif $ann["prometheus.io/scrape"] == "true" then " although it is annotated for scraping"
	   else "" end)"}
    else
	"\($c.server)/api/v1/namespaces/\($ns)/services/\($s.data.name)" as $url
	| {executor: {type: "http", method: "PATCH", url: $url,
		      headers: {"Content-Type": "application/merge-patch+json"},
		      body: {metadata: {annotations: {
			"prometheus.io/scrape": "true",
			"prometheus.io/port": "\($port.port)"}}}},
	   rollback: {type: "http", method: "PATCH", url: $url,
		      headers: {"Content-Type": "application/merge-patch+json"},
		      body: {metadata: {annotations: {
			"prometheus.io/scrape": ($ann["prometheus.io/scrape"] // null),
			"prometheus.io/port": ($ann["prometheus.io/port"] // null)}}}},
	   targets: [$s.data.key],
	   causes: [$s.id],
	   credential: ($c.credential // "k8s-writer"),
	   risk: "low",
	   reason: "Service \($ns)/\($s.data.name) in \($s.data.scope) has no Prometheus target: annotate it for scraping on port \($port.port)"}
	+ ($s.data.status.metadata.resourceVersion // null
	   | if . == null then {}
	     else {precondition: {pointer: "/metadata/resourceVersion", value: .}}
	     end)
    end
  )
