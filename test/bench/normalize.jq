# The baseline tend-normalize is measured against (make bench, not a test):
# the same field moves, written in jq, over `gen --kind observed` events.
# Kubernetes objects lose their server noise (to status) and the defaults
# the API server fills in; host records keep their few compared facts in
# spec; secret-named env values are redacted.  What jq 1.6 cannot do is
# left out: no spec digest and no derived event id (no hashing), no URL
# password scan.  Run as: jq -c --from-file test/bench/normalize.jq
def drop(f; v): if f == v then del(f) else . end;
def dropempty(f): if (f | type) == "object" and (f | length) == 0
	then del(f) else . end;
def pull_default: if (.image // "") | test("@") then "IfNotPresent"
	elif (.image // "") | test(":latest$") or (test(":[^/]*$") | not)
	then "Always" else "IfNotPresent" end;
def probe: drop(.timeoutSeconds; 1) | drop(.periodSeconds; 10)
	| drop(.successThreshold; 1) | drop(.failureThreshold; 3)
	| if .httpGet then .httpGet |= drop(.scheme; "HTTP") else . end;
def container:
	drop(.terminationMessagePath; "/dev/termination-log")
	| drop(.terminationMessagePolicy; "File")
	| (if .imagePullPolicy == pull_default then del(.imagePullPolicy)
	    else . end)
	| dropempty(.resources)
	| if .ports then .ports |= map(drop(.protocol; "TCP")) else . end
	| reduce ("livenessProbe", "readinessProbe", "startupProbe") as $p (.;
	    if .[$p] then .[$p] |= probe else . end)
	| if .env then .env |= map(
	    if (.name | test("pass|secret|token|key|credential"; "i"))
	    and has("value") then .value = "redacted" else . end) else . end;
def podspec:
	drop(.dnsPolicy; "ClusterFirst") | drop(.restartPolicy; "Always")
	| drop(.schedulerName; "default-scheduler")
	| drop(.terminationGracePeriodSeconds; 30) | dropempty(.securityContext)
	| if .containers then .containers |= map(container) else . end
	| if .initContainers then .initContainers |= map(container)
	    else . end;
def k8s_spec:
	drop(.replicas; 1) | drop(.revisionHistoryLimit; 10)
	| drop(.progressDeadlineSeconds; 600)
	| if .strategy then .strategy |= (drop(.type; "RollingUpdate")
	    | if .rollingUpdate then .rollingUpdate |= (drop(.maxSurge; "25%")
	      | drop(.maxUnavailable; "25%")) | dropempty(.rollingUpdate)
	      else . end) | dropempty(.strategy) else . end
	| if .template then .template |= (del(.metadata.creationTimestamp)
	    | if .spec then .spec |= podspec else . end) else . end
	| drop(.type; "ClusterIP") | drop(.sessionAffinity; "None")
	| drop(.ipFamilyPolicy; "SingleStack")
	| drop(.internalTrafficPolicy; "Cluster")
	| if .ports then .ports |= map(drop(.protocol; "TCP")
	    | if .targetPort == .port then del(.targetPort) else . end)
	    else . end
	| del(.clusterIP, .clusterIPs, .ipFamilies);
def meta: del(.name, .namespace, .uid, .resourceVersion, .generation,
	    .creationTimestamp, .managedFields, .selfLink)
	| if .annotations then .annotations |= (
	    del(.["kubectl.kubernetes.io/last-applied-configuration"])
	    | with_entries(select(.key
	      | startswith("deployment.kubernetes.io/") | not)))
	    else . end
	| dropempty(.annotations) | dropempty(.labels);
def k8s($key):
	.object as $o | ($o.metadata // {}) as $m | ($m.labels // {}) as $l
	| {key: $key, provider, kind, name, namespace, labels: $l,
	   owner: ($l.owner // $l.team),
	   service: ($l["app.kubernetes.io/part-of"]
	     // $l["app.kubernetes.io/name"] // $l.app),
	   spec: ($o | del(.apiVersion, .kind, .status) | .metadata |= meta
	     | dropempty(.metadata)
	     | if .spec then .spec |= k8s_spec else . end),
	   status: {apiVersion: $o.apiVersion,
	     metadata: ($m | {uid, resourceVersion, generation,
	       creationTimestamp,
	       annotations: (($m.annotations // {}) | with_entries(select(.key
	         | startswith("deployment.kubernetes.io/"))))}),
	     spec: (($o.spec // {}) | {clusterIP, clusterIPs, ipFamilies}),
	     status: $o.status}};
def host_fields: {
	package: ["version", "architecture"],
	socket: ["proto", "address", "port"],
	sysctl: ["value"],
	file: ["sha256", "mode", "owner", "group"]};
def host($key):
	.object as $o | (host_fields[.kind] // []) as $f
	| (($o.spec // {}) + $o) as $all
	| {key: $key, provider, kind, name, namespace,
	   labels: ($o.labels // {}),
	   spec: (reduce $f[] as $k ({}; if $all[$k] != null
	     then .[$k] = $all[$k] else . end)),
	   status: ($o | del(.labels, .content) | if .spec then .spec |=
	     with_entries(select(.key as $k | $f | index($k) | not))
	     else . end)};
if .type == "tend.resource.observed" then
	. as $ev | .subject as $key
	| {specversion: "1.0", id: .id, source: "tend-normalize",
	   type: "tend.resource.state", time: .time, subject: $key,
	   runid: .runid, causeid: .id, datacontenttype: "application/json",
	   data: (.data | if .provider == "k8s" then k8s($key)
	     else host($key) end)}
else . end
