# idle: Kubernetes workloads and volumes that a usage metric shows idle for
# longer than $skill.params.idle_for seconds and that cost more than
# $skill.params.min_monthly_cost a month (per the price table) are scaled
# to zero (Deployment, StatefulSet, ReplicaSet, ReplicationController;
# rollback: the replicas they had) or snapshotted and deleted
# (PersistentVolumeClaim: a VolumeSnapshot, then the claim, after it;
# rollback: the claim restored from the snapshot).
#
# Input: tend.resource.state events of provider k8s.
# $usage (--data usage=FILE): a Prometheus /api/v1/query_range response,
#   one series per resource, labelled namespace and deployment,
#   statefulset, replicaset, replicationcontroller or
#   persistentvolumeclaim; a sample is idle below
#   $skill.params.idle_below[KIND].  Idle time is the trailing run of idle
#   samples, up to the last one.
# $prices (--data prices=FILE): cpu_core_month, memory_gib_month,
#   pod_month (a replica requesting nothing), storage_gib_month {CLASS or
#   default}, currency.
# $clusters (--data clusters=FILE): {"CLUSTER": {"server", "credential"}}.

def quantity:
	# a Kubernetes quantity ("500m", "2Gi", "1.5") as a number
	tostring as $s
	| [["Ki", 1024], ["Mi", 1048576], ["Gi", 1073741824],
	   ["Ti", 1099511627776], ["k", 1e3], ["M", 1e6], ["G", 1e9],
	   ["T", 1e12], ["m", 0.001]]
	| map(select(.[0] as $u | $s | endswith($u))) | first
	| if . == null then $s | tonumber
	  else ($s[:-(.[0] | length)] | tonumber) * .[1] end;

def round2: . * 100 | round / 100;

def money: "\(round2) \($prices.currency // "")";

def workloads: ["Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"];

def label_of($kind): $kind | ascii_downcase;

# Seconds the series was idle at its end: 0 when its last sample is not.
def idle_seconds($below):
	(.values | map([.[0], (.[1] | tonumber)])) as $v
	| if ($v | length) == 0 or ($v[-1][1] >= $below) then 0
	  else
		($v | length) as $n
		| [range($n - 1; -1; -1) | select($v[.][1] >= $below)] as $busy
		| (if ($busy | length) == 0 then $v[0][0]
		   else $v[$busy[0] + 1][0] end) as $since
		| $v[-1][0] - $since
	  end;

def duration:
	if . >= 86400 then "\(. / 86400 | floor)d\(. % 86400 / 3600 | floor)h"
	else "\(. / 3600 | floor)h" end;

def monthly_workload:
	(.spec.spec.replicas // 1) as $r
	| [.spec.spec.template.spec.containers[]?.resources.requests // {}] as $req
	| ([$req[] | .cpu // 0 | quantity] | add // 0) as $cpu
	| ([$req[] | .memory // 0 | quantity] | add // 0) as $mem
	| if $cpu == 0 and $mem == 0 then $r * ($prices.pod_month // 0)
	  else $r * ($cpu * ($prices.cpu_core_month // 0)
	    + $mem / 1073741824 * ($prices.memory_gib_month // 0)) end;

def monthly_volume:
	(.spec.spec.resources.requests.storage // 0 | quantity) / 1073741824
	* (($prices.storage_gib_month // {}) as $p
	   | if ($p | type) == "number" then $p
	     else $p[.spec.spec.storageClassName // "default"] // $p.default // 0
	     end);

select(.data.provider == "k8s")
| .data as $d
| ($d.key | ltrimstr("k8s:") | split("/")) as $k
| select(($k | length) >= 5)
| {cluster: $k[0], group: $k[1], kind: $k[2], ns: $k[3],
   name: ($k[4:] | join("/"))} as $r
| select((workloads | any(. == $r.kind))
    or $r.kind == "PersistentVolumeClaim")
| ($skill.params // {}) as $p
| ($p.idle_below[$r.kind] // 0.01) as $below
| [$usage.data.result[]?
    | select(.metric.namespace == $r.ns
        and .metric[label_of($r.kind)] == $r.name)][0] as $series
| select($series != null)
| ($series | idle_seconds($below)) as $idle
| select($idle >= ($p.idle_for // 604800))
| (if $r.kind == "PersistentVolumeClaim" then $d | monthly_volume
   else $d | monthly_workload end) as $cost
| select($cost >= ($p.min_monthly_cost // 0))
| ($clusters[$r.cluster] // null) as $c
| (if $c.server == null then null
   elif $r.kind == "PersistentVolumeClaim" then "\($c.server)/api/v1/namespaces/\($r.ns)"
   elif $r.kind == "ReplicationController" then "\($c.server)/api/v1/namespaces/\($r.ns)"
   else "\($c.server)/apis/apps/v1/namespaces/\($r.ns)" end) as $base
# What tend apply checks the object against before acting: its
# resourceVersion (any write since the state was collected makes the
# action stale); for a PVC's DELETE only its uid (the same object: the
# snapshot taken just before may add a finalizer, a write).
| def pre($p; $v): if $v == null then {}
	else {precondition: {pointer: $p, value: $v}} end;
  pre("/metadata/resourceVersion"; $d.status.metadata.resourceVersion) as $unchanged
| pre("/metadata/uid"; $d.status.metadata.uid) as $same_object
| "\($r.kind) \($r.ns)/\($r.name) in cluster \($r.cluster)" as $what
| "idle for \($idle | duration) (below \($below) since \($series.values[-1][0] - $idle | todate)), costing \($cost | money) a month" as $why
| if $base == null then
	{escalate: true,
	 reason: "\($what) is \($why); no API server for cluster '\($r.cluster)' (--data clusters)"}
  elif $r.kind == "PersistentVolumeClaim" then
	"\($r.name)-tend-\($now[0:10] | split("-") | join(""))" as $snap
	| "\($c.server)/apis/snapshot.storage.k8s.io/v1/namespaces/\($r.ns)/volumesnapshots" as $snaps
	| {step: "snapshot", risk: "low",
	   executor: {type: "http", method: "POST", url: $snaps,
	     headers: {"Content-Type": "application/json"},
	     body: {apiVersion: "snapshot.storage.k8s.io/v1",
	       kind: "VolumeSnapshot",
	       metadata: {name: $snap, namespace: $r.ns,
	         labels: {"app.kubernetes.io/managed-by": "tend"}},
	       spec: ({source: {persistentVolumeClaimName: $r.name}}
	         + (if $p.snapshot_class then
	             {volumeSnapshotClassName: $p.snapshot_class} else {} end))}},
	   rollback: {type: "http", method: "DELETE", url: "\($snaps)/\($snap)"},
	   reason: "snapshot \($what) before deleting it: \($why)"},
	{after: ["snapshot"], risk: "high",
	 executor: {type: "http", method: "DELETE",
	   url: "\($base)/persistentvolumeclaims/\($r.name)"},
	 rollback: {type: "http", method: "POST",
	   url: "\($base)/persistentvolumeclaims",
	   headers: {"Content-Type": "application/json"},
	   body: {apiVersion: "v1", kind: "PersistentVolumeClaim",
	     metadata: ({name: $r.name, namespace: $r.ns}
	       + ($d.spec.metadata // {})),
	     spec: (($d.spec.spec // {}) | del(.volumeName, .dataSource)
	       + {dataSource: {apiGroup: "snapshot.storage.k8s.io",
	           kind: "VolumeSnapshot", name: $snap}})}},
	 reason: "delete \($what), snapshotted as \($snap): \($why)"}
	+ $same_object
  else
	"\($base)/\($r.kind | ascii_downcase)s/\($r.name)" as $url
	| {executor: {type: "http", method: "PATCH", url: $url,
	     headers: {"Content-Type": "application/merge-patch+json"},
	     body: {spec: {replicas: 0}}},
	   rollback: {type: "http", method: "PATCH", url: $url,
	     headers: {"Content-Type": "application/merge-patch+json"},
	     body: {spec: {replicas: ($d.spec.spec.replicas // 1)}}},
	   reason: "scale \($what) to zero (from \($d.spec.spec.replicas // 1)): \($why)"}
	+ $unchanged
  end
| if $c.credential != null and (.escalate | not) then .credential = $c.credential else . end
