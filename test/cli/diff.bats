#!/usr/bin/env bats
# tend-diff: what a user sees on stdout, stderr and in the exit status.
# The fleet is the real Kubernetes objects of the conformance set, made
# into tend.resource.state events by test/diff/state.jq (what tend
# normalize will do).

setup_file() {
	export TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	export TEND_CONFORMANCE=${TEND_CONFORMANCE:-$BATS_TEST_DIRNAME/../../../shared/conformance}
	local k=$TEND_CONFORMANCE/k8s state=$BATS_TEST_DIRNAME/../diff/state.jq
	cd "$k" || return 1
	{
		cat api-testdata/apps.v1.Deployment.json \
		    api-testdata/core.v1.ConfigMap.json \
		    api-testdata/core.v1.Pod.json \
		    api-testdata/core.v1.Service.json \
		    derived/pod-running-restart-always.json \
		    derived/rc-managedfields-lastapplied.json \
		    derived/smd-deploy-live.json \
		    derived/smd-service-live.json \
		    gitops-engine/deployment-live.json \
		    gitops-engine/endpoints-live.json \
		    kubectl/deployment-with-status.response.json \
		    kubectl/service.response.json
		jq '.items[] | {apiVersion: "v1", kind: "ConfigMap"} + .' \
		    kubectl/configmaplist.response.json
	} > "$BATS_FILE_TMPDIR/objects"
	cd - > /dev/null || return 1
	jq -c --arg side obs -f "$state" "$BATS_FILE_TMPDIR/objects" > "$BATS_FILE_TMPDIR/obs.ndjson"
	jq -c --arg side des -f "$state" "$BATS_FILE_TMPDIR/objects" > "$BATS_FILE_TMPDIR/des.ndjson"
}

setup() {
	B=$TEND_BIN/tend-diff
	D=$BATS_TEST_TMPDIR
	F=$BATS_FILE_TMPDIR
	RULES=$BATS_TEST_DIRNAME/../diff/rules.json
	NOW=2026-11-22T06:00:00Z
	DEP='k8s:prod/apps/Deployment/default/nginx-deployment'
	GB='k8s:prod/apps/Deployment/default/guestbook-ui'
}

# desired EDIT: the fleet's desired side with the jq EDIT applied to
# each event, into $D/des.
desired() {
	jq -c "$1" "$F/des.ndjson" > "$D/des"
}

# data FILE: the data of each event of FILE, one compact line each.
data() {
	jq -c .data "$1"
}

@test "--help prints the synopsis on stdout and exits 0" {
	run "$B" --help
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "usage: tend-diff [-hkpV] [--exit-code] [--ignore file] [--log file]" ]
	[[ $output == *"--desired file | --against file" ]]
}

@test "--version" {
	run "$B" --version
	[ "$status" -eq 0 ]
	[[ $output == "tend-diff (tend) "* ]]
}

@test "usage errors exit 2" {
	run "$B" < /dev/null
	[ "$status" -eq 2 ]
	[[ $output == *"usage: tend-diff"* ]]
	run "$B" --desired a --against b < /dev/null
	[ "$status" -eq 2 ]
	[[ $output == "tend-diff: give one --desired or --against"* ]]
	run "$B" --desired - < /dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "tend-diff: stdin is the observed side: --desired needs a file" ]
	run "$B" --desired /dev/null --min-severity bad < /dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "tend-diff: --min-severity 'bad': not one of info, low, medium, high, critical" ]
	run "$B" --desired /dev/null --scope color=red < /dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "tend-diff: --scope 'color=red': selector term 'color=red': not provider, kind, key, name, namespace or label.NAME" ]
	run "$B" --against /dev/null --scope kind=x < /dev/null
	[ "$status" -eq 2 ]
	run "$B" --frobnicate < /dev/null
	[ "$status" -eq 2 ]
}

@test "real objects against themselves: no drift, only the summary" {
	# the desired side written differently: keys sorted, the digest
	# wrong so the specs are really diffed, not just their digests
	jq -cS '.data.digest = "sha256:\("0" * 64)"' "$F/des.ndjson" > "$D/des"
	"$B" --exit-code --now $NOW --desired "$D/des" < "$F/obs.ndjson" > "$D/out" 2> "$D/err"
	[ ! -s "$D/err" ]
	[ "$(wc -l < "$D/out")" -eq 1 ]
	run jq -c '[.type, .data.observed, .data.desired, .data.modified, .data.missing, .data.unchanged]' "$D/out"
	[ "$output" = '["tend.diff.summary",13,13,0,0,13]' ]
}

@test "a changed image is exactly one replace" {
	desired "if .subject == \"$DEP\" then .data.spec.spec.template.spec.containers[0].image = \"nginx:1.25\" else . end"
	"$B" --now $NOW --desired "$D/des" < "$F/obs.ndjson" > "$D/out"
	[ "$(wc -l < "$D/out")" -eq 2 ]
	run jq -c 'select(.type == "tend.drift.detected") | [.subject, .causeid, .runid, .data.drift, .data.ops, .data.patch, .data.paths]' "$D/out"
	[ "$output" = '["'$DEP'","obs-Deployment-nginx-deployment","run-obs","modified",1,[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.25"}],["/spec/template/spec/containers/0/image"]]' ]
}

@test "a changed replica count is exactly one replace" {
	desired "if .subject == \"$DEP\" then .data.spec.spec.replicas = 7 else . end"
	"$B" --now $NOW --desired "$D/des" < "$F/obs.ndjson" > "$D/out"
	run jq -c 'select(.type == "tend.drift.detected") | .data.patch' "$D/out"
	[ "$output" = '[{"op":"replace","path":"/spec/replicas","value":7}]' ]
}

@test "a changed env value is exactly one replace, found by name" {
	desired "if .subject == \"$GB\" then .data.spec.spec.template.spec.containers[0].env |= map(if .name == \"VAR1\" then .value = \"other\" else . end) else . end"
	"$B" --now $NOW --desired "$D/des" < "$F/obs.ndjson" > "$D/out"
	run jq -c 'select(.type == "tend.drift.detected") | .data.patch' "$D/out"
	[ "$output" = '[{"op":"replace","path":"/spec/template/spec/containers/0/env/1/value","value":"other"}]' ]
}

@test "an added container is exactly one add, not a cascade" {
	desired "if .subject == \"$GB\" then .data.spec.spec.template.spec.containers |= [{name: \"sidecar\", image: \"envoy:1\"}] + . else . end"
	"$B" --now $NOW --desired "$D/des" < "$F/obs.ndjson" > "$D/out"
	run jq -c 'select(.type == "tend.drift.detected") | .data.patch' "$D/out"
	[ "$output" = '[{"op":"add","path":"/spec/template/spec/containers/0","value":{"name":"sidecar","image":"envoy:1"}}]' ]
}

@test "a reordered env list is one move" {
	desired "if .subject == \"$GB\" then .data.spec.spec.template.spec.containers[0].env |= reverse else . end"
	"$B" --now $NOW --desired "$D/des" < "$F/obs.ndjson" > "$D/out"
	run jq -c 'select(.type == "tend.drift.detected") | .data.patch' "$D/out"
	[ "$output" = '[{"op":"move","from":"/spec/template/spec/containers/0/env/1","path":"/spec/template/spec/containers/0/env/0"}]' ]
}

@test "the output is deterministic and valid against the schemas" {
	desired "if .subject == \"$DEP\" then .data.spec.spec.replicas = 7 else . end | select(.data.kind != \"Endpoints\")"
	"$B" --now $NOW --scope 'key=*' --desired "$D/des" < "$F/obs.ndjson" > "$D/a"
	TEND_NOW=$NOW "$B" --scope 'key=*' --desired "$D/des" < "$F/obs.ndjson" > "$D/b"
	cmp "$D/a" "$D/b"
	"$TEND_BIN/tend-validate" "$D/a" > /dev/null
	run jq -r '[.type, .data.drift // "-"] | @tsv' "$D/a"
	[ "${lines[0]}" = "tend.drift.detected	modified" ]
	[ "${lines[1]}" = "tend.drift.detected	unexpected" ]
	[ "${lines[2]}" = "tend.diff.summary	-" ]
}

@test "missing resources, unexpected ones only inside a scope" {
	jq -c 'select(.data.kind != "Pod")' "$F/obs.ndjson" > "$D/obs"
	jq -c 'select(.data.kind != "Service")' "$F/des.ndjson" > "$D/des"
	"$B" --now $NOW --desired "$D/des" < "$D/obs" > "$D/out"
	run jq -c '[.data.drift, .subject, .causeid, .data.patch[0].op, .data.patch[0].path]' "$D/out"
	[ "${lines[0]}" = '["missing","k8s:prod/core/Pod/namespaceValue/nameValue","des-Pod-nameValue","add",""]' ]
	[ "${lines[1]}" = '["missing","k8s:prod/core/Pod/argocd/my-pod","des-Pod-my-pod","add",""]' ]
	run jq -c 'select(.type == "tend.diff.summary") | [.data.missing, .data.unexpected, .data.out_of_scope]' "$D/out"
	[ "$output" = '[2,0,3]' ]
	"$B" --now $NOW --scope 'namespace=default' --scope 'label.app=svc*' --desired "$D/des" < "$D/obs" > "$D/out"
	run jq -c 'select(.data.drift == "unexpected") | [.subject, .data.observed_digest != null, .data.patch]' "$D/out"
	[ "${lines[0]}" = '["k8s:prod/core/Service/default/multiple-protocol-port-svc",true,null]' ]
	[ "${lines[1]}" = '["k8s:prod/core/Service/edit-test/svc1",true,null]' ]
	run jq -c 'select(.type == "tend.diff.summary") | [.data.missing, .data.unexpected, .data.out_of_scope]' "$D/out"
	[ "$output" = '[2,2,1]' ]
}

@test "--exit-code: 1 on drift, 0 without" {
	desired "if .subject == \"$DEP\" then .data.spec.spec.replicas = 7 else . end"
	run "$B" --now $NOW --exit-code --desired "$D/des" < "$F/obs.ndjson"
	[ "$status" -eq 1 ]
	run "$B" --now $NOW --desired "$D/des" < "$F/obs.ndjson"
	[ "$status" -eq 0 ]
	run "$B" --now $NOW --exit-code --desired "$F/des.ndjson" < "$F/obs.ndjson"
	[ "$status" -eq 0 ]
}

@test "--sorted merges sorted sides to the same events" {
	desired "if .subject == \"$DEP\" then .data.spec.spec.replicas = 7 else . end | select(.data.kind != \"Pod\")"
	jq -cs 'sort_by(.data.key)[]' "$D/des" > "$D/des.sorted"
	jq -cs 'sort_by(.data.key)[] | select(.data.kind != "Service")' "$F/obs.ndjson" > "$D/obs.sorted"
	"$B" --now $NOW --scope 'key=*' --desired "$D/des" < "$D/obs.sorted" > "$D/indexed"
	"$B" --now $NOW --scope 'key=*' --sorted --desired "$D/des.sorted" < "$D/obs.sorted" > "$D/sorted"
	jq -c 'select(.type != "tend.diff.summary")' "$D/indexed" | sort > "$D/a"
	jq -c 'select(.type != "tend.diff.summary")' "$D/sorted" | sort > "$D/b"
	diff -u "$D/a" "$D/b"
	[ "$(wc -l < "$D/a")" -eq 6 ]
	run jq -c 'select(.type == "tend.diff.summary") | .data.mode' "$D/sorted"
	[ "$output" = '"sorted"' ]
}

@test "--sorted refuses a side out of order" {
	jq -cs 'sort_by(.data.key)[]' "$F/des.ndjson" > "$D/des.sorted"
	"$B" --now $NOW --sorted --desired "$D/des.sorted" < "$F/obs.ndjson" > "$D/out" 2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 3 ]
	[ "$(cat "$D/err")" = "tend-diff: <stdin>:5: not sorted by key: 'k8s:prod/core/Pod/argocd/my-pod' after 'k8s:prod/core/Service/namespaceValue/nameValue' (--sorted)" ]
	# what was reported before stays reported; no summary
	! grep -q tend.diff.summary "$D/out" || false
}

@test "a key twice is bad input" {
	cat "$F/des.ndjson" "$F/des.ndjson" > "$D/des"
	run "$B" --now $NOW --desired "$D/des" < "$F/obs.ndjson"
	[ "$status" -eq 3 ]
	[ "$output" = "tend-diff: $D/des:14: duplicate key 'k8s:prod/apps/Deployment/namespaceValue/nameValue' (first on line 1)" ]
	head -n 2 "$F/obs.ndjson" > "$D/obs"
	head -n 1 "$F/obs.ndjson" >> "$D/obs"
	run "$B" --now $NOW --desired "$F/des.ndjson" < "$D/obs"
	[ "$status" -eq 3 ]
	[ "$output" = "tend-diff: <stdin>:3: duplicate key 'k8s:prod/apps/Deployment/namespaceValue/nameValue' (first on line 1)" ]
	# a key the desired side lacks, twice
	run "$B" --now $NOW --desired /dev/null < "$D/obs"
	[ "$status" -eq 3 ]
	[ "$output" = "tend-diff: <stdin>:3: duplicate key 'k8s:prod/apps/Deployment/namespaceValue/nameValue' (first on line 1)" ]
}

@test "runid and causeid: from the input, for the rest the run's" {
	head -n 1 "$F/des.ndjson" > "$D/des"
	TEND_RUNID=env-run "$B" --now $NOW --desired "$D/des" < /dev/null > "$D/out"
	run jq -c '[.type, .runid, .causeid]' "$D/out"
	[ "${lines[0]}" = '["tend.drift.detected","env-run","des-Deployment-nameValue"]' ]
	[ "${lines[1]}" = '["tend.diff.summary","env-run",null]' ]
	jq -c '.runid = "run-\(input_line_number)"' "$F/obs.ndjson" | tail -n +2 > "$D/obs"
	TEND_RUNID=env-run "$B" --now $NOW --desired "$D/des" < "$D/obs" > "$D/out"
	run jq -c 'select(.type != "tend.drift.detected" or .data.drift == "missing") | [.type, .runid]' "$D/out"
	[ "${lines[0]}" = '["tend.drift.detected","run-2"]' ]
	[ "${lines[1]}" = '["tend.diff.summary","run-2"]' ]
}

@test "bad lines in the desired file are reported with its name and line" {
	{ head -n 2 "$F/des.ndjson"; echo '{"specversion":"1.0"'; } > "$D/des"
	run "$B" --desired "$D/des" < "$F/obs.ndjson"
	[ "$status" -eq 3 ]
	[ "$output" = "tend-diff: $D/des:3: invalid JSON at byte 21: unexpected end of input" ]
	{ head -n 1 "$F/des.ndjson"; jq -c '.type = "tend.resource.observed"' "$F/des.ndjson" | head -n 1; } > "$D/des"
	run "$B" --desired "$D/des" < "$F/obs.ndjson"
	[ "$status" -eq 3 ]
	[ "$output" = "tend-diff: $D/des:2: expected a tend.resource.state event, not 'tend.resource.observed'" ]
	jq -c 'del(.data.spec)' "$F/des.ndjson" > "$D/des"
	run "$B" --desired "$D/des" < "$F/obs.ndjson"
	[ "$status" -eq 3 ]
	[ "$output" = "tend-diff: $D/des:1: tend.resource.state without a spec" ]
	jq -c '.data.digest = "md5:x"' "$F/des.ndjson" > "$D/des"
	run "$B" --desired "$D/des" < "$F/obs.ndjson"
	[ "$status" -eq 3 ]
	[ "$output" = "tend-diff: $D/des:1: digest is not sha256:<64 lowercase hex digits>" ]
	run "$B" --desired "$D/nope" < "$F/obs.ndjson"
	[ "$status" -eq 4 ]
	[ "$output" = "tend-diff: cannot open '$D/nope': No such file or directory" ]
}

@test "--keep-going goes on past bad lines and still exits 3" {
	{ head -n 2 "$F/obs.ndjson"; echo 'not json'; tail -n +3 "$F/obs.ndjson"; } > "$D/obs"
	"$B" -k --now $NOW --desired "$F/des.ndjson" < "$D/obs" > "$D/out" 2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 3 ]
	[ "$(cat "$D/err")" = "tend-diff: <stdin>:3: invalid JSON at byte 1: invalid literal" ]
	run jq -c '[.type, .data.line // .data.unchanged]' "$D/out"
	[ "${lines[0]}" = '["tend.error",3]' ]
	[ "${lines[1]}" = '["tend.diff.summary",13]' ]
}

@test "other events on stdin pass through; --pass passes the state too" {
	EV='{"specversion":"1.0","id":"e1","source":"x","type":"tend.error","data":{"program":"x","file":"f","line":1,"message":"m"}}'
	{ echo "$EV"; head -n 1 "$F/obs.ndjson"; } > "$D/obs"
	head -n 1 "$F/des.ndjson" > "$D/des"
	"$B" --now $NOW --desired "$D/des" < "$D/obs" > "$D/out"
	[ "$(head -n 1 "$D/out")" = "$EV" ]
	run jq -c 'select(.type == "tend.diff.summary") | [.data.passed, .data.unchanged]' "$D/out"
	[ "$output" = '[1,1]' ]
	"$B" -p --now $NOW --desired "$D/des" < "$D/obs" > "$D/out"
	[ "$(head -n 2 "$D/out")" = "$(cat "$D/obs")" ]
}

@test "ignore rules, tolerances, expiry and severity" {
	desired "if .subject == \"$DEP\" then .data.spec.spec.replicas = 9 | .data.spec.metadata.labels[\"something-else\"] = \"ci\" | .data.spec.spec.template.spec.containers[0].imagePullPolicy = \"Always\" | .data.spec.spec.template.spec.containers[0].resources = {requests: {cpu: \"105m\"}} else . end"
	jq -c "if .subject == \"$DEP\" then .data.spec.spec.template.spec.containers[0].resources = {requests: {cpu: \"0.1\"}} else . end" "$F/obs.ndjson" > "$D/obs"
	# all of it ignored or tolerated
	"$B" --now $NOW --ignore "$RULES" --exit-code --desired "$D/des" < "$D/obs" > "$D/out" 2> "$D/err"
	[ "$(cat "$D/err")" = "tend-diff: $RULES: ignore[2] expired 2026-01-01, not applied (an old exception)" ]
	run jq -c '.data | [.modified, .ignored, .ignored_paths, .tolerated_paths, .expired_rules]' "$D/out"
	[ "$output" = '[0,1,3,1,[{"rule":"ignore[2]","reason":"an old exception","expires":"2026-01-01"}]]' ]
	# before the expiry the metadata rule applies too; cpu off by 20% is drift
	jq -c "if .subject == \"$DEP\" then .data.spec.spec.template.spec.containers[0].resources.requests.cpu = \"120m\" | .data.spec.metadata.labels.app = \"x\" else . end" "$D/des" > "$D/des2"
	"$B" --now 2025-12-31T23:00:00Z --ignore "$RULES" --desired "$D/des2" < "$D/obs" > "$D/out" 2> "$D/err"
	[ ! -s "$D/err" ]
	run jq -c 'select(.type == "tend.drift.detected") | .data | [.severity, .patch, .ignored, .tolerated]' "$D/out"
	[ "$output" = '["high",[{"op":"replace","path":"/spec/template/spec/containers/0/resources/requests/cpu","value":"120m"}],3,0]' ]
}

@test "severity from rules; --min-severity leaves out what is below" {
	desired "if .data.kind == \"Service\" then .data.spec.spec.ports[0].port = 9999 else . end"
	jq -c 'select(.data.kind != "ConfigMap")' "$F/obs.ndjson" > "$D/obs"
	"$B" --now $NOW --ignore "$RULES" --desired "$D/des" < "$D/obs" > "$D/out"
	run jq -r 'select(.type == "tend.drift.detected") | [.data.kind, .data.drift, .data.severity] | @tsv' "$D/out"
	[ "${lines[0]}" = "Service	modified	low" ]
	[ "${lines[1]}" = "Service	modified	low" ]
	[ "${lines[2]}" = "Service	modified	low" ]
	[ "${lines[3]}" = "ConfigMap	missing	critical" ]
	[ "${lines[4]}" = "ConfigMap	missing	critical" ]
	"$B" --now $NOW --ignore "$RULES" --min-severity high --desired "$D/des" < "$D/obs" > "$D/out"
	run jq -c 'select(.type == "tend.diff.summary") | .data | [.modified, .missing, .below_min_severity, .severity]' "$D/out"
	[ "$output" = '[0,2,3,{"info":0,"low":0,"medium":0,"high":0,"critical":2}]' ]
}

@test "a tolerance absolute: off by one is not drift" {
	desired "if .data.kind == \"Service\" and .data.name == \"svc1\" then .data.spec.spec.ports[0].port += 1 else . end"
	"$B" --now $NOW --ignore "$RULES" --desired "$D/des" < "$F/obs.ndjson" > "$D/out"
	run jq -c '.data | [.modified, .ignored, .tolerated_paths]' "$D/out"
	[ "$output" = '[0,1,1]' ]
}

@test "a rules file that does not load is status 3, one that is missing 4" {
	echo '{"ignore":[{"pointers":["/a"]}]}' > "$D/r"
	run "$B" --ignore "$D/r" --desired /dev/null < /dev/null
	[ "$status" -eq 3 ]
	[ "$output" = "tend-diff: $D/r: ignore[0]: 'reason' is required: say why" ]
	echo '{"ignore":[{"pointer":["/a"],"reason":"x"}]}' > "$D/r"
	run "$B" --ignore "$D/r" --desired /dev/null < /dev/null
	[ "$status" -eq 3 ]
	[ "$output" = "tend-diff: $D/r: ignore[0]: unknown member 'pointer'" ]
	echo '{"ignore":[{"jq":[".a["],"reason":"x"}]}' > "$D/r"
	run "$B" --ignore "$D/r" --desired /dev/null < /dev/null
	[ "$status" -eq 3 ]
	[[ $output == "tend-diff: $D/r: ignore[0]: "* ]]
	echo '{"severity":[{"jq":"\"urgent\"","reason":"x"}]}' > "$D/r"
	desired "if .subject == \"$DEP\" then .data.spec.spec.replicas = 7 else . end"
	run "$B" --ignore "$D/r" --desired "$D/des" < "$F/obs.ndjson"
	[ "$status" -eq 3 ]
	[[ $output == *"tend-diff: $D/r: severity[0]: output \"urgent\" is not a severity (info, low, medium, high, critical)"* ]]
	run "$B" --ignore "$D/nope" --desired /dev/null < /dev/null
	[ "$status" -eq 4 ]
	[ "$output" = "tend-diff: cannot open '$D/nope': No such file or directory" ]
}

@test "--partial: live objects against their last-applied manifests" {
	local k=$TEND_CONFORMANCE/k8s f
	for f in gitops-engine/deployment-live.json derived/rc-managedfields-lastapplied.json derived/smd-service-live.json gitops-engine/endpoints-live.json; do
		jq -c --arg side obs -f "$BATS_TEST_DIRNAME/../diff/state.jq" "$k/$f"
		jq '.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"] | fromjson' "$k/$f" |
		    jq -c --arg side man -f "$BATS_TEST_DIRNAME/../diff/state.jq" >&3
	done > "$D/live" 3> "$D/manifests"
	"$B" --now $NOW --partial --desired "$D/manifests" < "$D/live" > "$D/out"
	# the server's defaults are not drift; the env entry someone added is
	run jq -c 'select(.type == "tend.drift.detected") | [.subject, .data.patch]' "$D/out"
	[ "$output" = '["'$GB'",[{"op":"remove","path":"/spec/template/spec/containers/0/env/0"}]]' ]
	"$B" --now $NOW --desired "$D/manifests" < "$D/live" > "$D/out"
	run jq -c 'select(.type == "tend.diff.summary") | .data.modified' "$D/out"
	[ "$output" = 4 ]
}

@test "--against: what changed since an earlier snapshot" {
	jq -c "if .subject == \"$DEP\" then .data.spec.spec.replicas = 5 else . end | select(.data.kind != \"Pod\")" "$F/obs.ndjson" > "$D/now"
	jq -c 'select(.data.kind != "Endpoints")' "$F/obs.ndjson" > "$D/before"
	"$B" --now $NOW --exit-code --against "$D/before" < "$D/now" > "$D/out" && st=0 || st=$?
	[ "$st" -eq 1 ]
	"$TEND_BIN/tend-validate" "$D/out" > /dev/null
	run jq -c '[.type, .data.change, .subject, .data.patch]' "$D/out"
	[ "${lines[0]}" = '["tend.resource.changed","modified","'$DEP'",[{"op":"replace","path":"/spec/replicas","value":5}]]' ]
	[[ ${lines[1]} == '["tend.resource.changed","added","k8s:prod/core/Endpoints/default/solrcloud",[{"op":"add","path":"","value":'* ]]
	[ "${lines[2]}" = '["tend.resource.changed","removed","k8s:prod/core/Pod/namespaceValue/nameValue",null]' ]
	[ "${lines[3]}" = '["tend.resource.changed","removed","k8s:prod/core/Pod/argocd/my-pod",null]' ]
	run jq -c 'select(.type == "tend.diff.summary") | .data | [.against, .current, .previous, .modified, .added, .removed, .unchanged]' "$D/out"
	[ "$output" = '["snapshot",11,12,1,1,2,9]' ]
}

@test "equal digests are trusted: specs are not compared" {
	jq -c '.data.digest = "sha256:\("a" * 64)"' "$F/obs.ndjson" > "$D/obs"
	jq -c '.data.digest = "sha256:\("a" * 64)" | .data.spec = {}' "$F/des.ndjson" > "$D/des"
	"$B" --now $NOW --desired "$D/des" < "$D/obs" > "$D/out"
	run jq -c '.data.unchanged' "$D/out"
	[ "$output" = 13 ]
}

@test "long lines, escaped keys, a last line without newline: file or pipe" {
	S1='{"specversion":"1.0","id":"s1","source":"t","type":"tend.resource.state","data":{"key":"k8s:a/b/c","spec":1}}'
	S2='{"specversion":"1.0","id":"s2","source":"t","type":"tend.resource.state","data":{"key":"k8s:a/b/\u0064","spec":[1]}}'
	S3='{"specversion":"1.0","id":"s3","source":"t","type":"tend.resource.state","data":{"key":"k8s:a/b/e","spec":{}}}'
	{ echo "$S1"; head -n 1 "$F/des.ndjson"; echo "$S2"; printf '%s' "$S3"; } > "$D/des"
	{ echo "$S1"; echo "$S2" | sed 's/\\u0064/d/'; } > "$D/obs"
	"$B" -k --max-line 200 --now $NOW --desired "$D/des" < "$D/obs" > "$D/out" 2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 3 ]
	[ "$(cat "$D/err")" = "tend-diff: $D/des:2: line longer than 200 bytes" ]
	run jq -c 'select(.type != "tend.error") | [.data.drift // .data.unchanged, .subject]' "$D/out"
	[ "${lines[0]}" = '["missing","k8s:a/b/e"]' ]
	[ "${lines[1]}" = '[2,null]' ]
	run bash -c "'$B' -k --max-line 200 --now $NOW --desired <(cat '$D/des') < '$D/obs' > '$D/out2' 2> '$D/err2'"
	[ "$status" -eq 3 ]
	[[ $(cat "$D/err2") == "tend-diff: /dev/fd/"*":2: line longer than 200 bytes" ]]
	grep -v tend.error "$D/out" > "$D/a"
	grep -v tend.error "$D/out2" > "$D/b"
	cmp "$D/a" "$D/b"
}

@test "a desired file from a pipe (process substitution)" {
	desired "if .subject == \"$DEP\" then .data.spec.spec.replicas = 7 else . end"
	run bash -c "'$B' --now $NOW --desired <(cat '$D/des') < '$F/obs.ndjson' > '$D/out'"
	[ "$status" -eq 0 ]
	run jq -c 'select(.type == "tend.drift.detected") | .data.paths' "$D/out"
	[ "$output" = '["/spec/replicas"]' ]
}

@test "--log appends what is written to an event log" {
	desired "if .subject == \"$DEP\" then .data.spec.spec.replicas = 7 else . end"
	"$B" --now $NOW --log "$D/log.zst" --desired "$D/des" < "$F/obs.ndjson" > "$D/out"
	run jq -c '[.seq, .type]' "$D/out"
	[ "${lines[0]}" = '[1,"tend.drift.detected"]' ]
	[ "${lines[1]}" = '[2,"tend.diff.summary"]' ]
	zstdcat "$D/log.zst" > "$D/logged"
	cmp "$D/out" "$D/logged"
}

@test "the dispatcher runs it: tend diff" {
	run "$TEND_BIN/tend" diff --now $NOW --desired "$F/des.ndjson" < "$F/obs.ndjson"
	[ "$status" -eq 0 ]
	[[ $output == *'"type":"tend.diff.summary"'* ]]
}
