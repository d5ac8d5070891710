# A Kubernetes object (JSON) to a tend.resource.state event, as tend
# normalize will write it: spec is the object without status and without
# the metadata the API server sets.  No digest: tend-diff computes it.
#   jq -c --arg side obs -f state.jq object.json
def clean:
  del(.status)
  | .metadata |= (
      del(.managedFields, .uid, .resourceVersion, .generation,
          .creationTimestamp, .selfLink)
      | if .annotations then
          .annotations |= del(
            ."kubectl.kubernetes.io/last-applied-configuration",
            ."deployment.kubernetes.io/revision")
        else . end
      | if .annotations == {} then del(.annotations) else . end);
(if (.apiVersion | test("/")) then .apiVersion | split("/")[0]
 else "core" end) as $group
| "k8s:prod/\($group)/\(.kind)/\(.metadata.namespace // "_")/\(.metadata.name)"
  as $key
| {specversion: "1.0", id: "\($side)-\(.kind)-\(.metadata.name)",
   source: "test", type: "tend.resource.state",
   time: "2026-11-22T05:00:00Z", subject: $key, runid: "run-\($side)",
   data: ({key: $key, provider: "k8s", kind: .kind, name: .metadata.name,
           labels: (.metadata.labels // {}), spec: clean}
          + if .metadata.namespace then {namespace: .metadata.namespace}
            else {} end)}
