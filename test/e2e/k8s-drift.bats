#!/usr/bin/env bats
# pipelines/k8s-drift against the stand-in Kubernetes API server of
# test/fixtures (HTTPS on 127.0.0.1, a token, a kubeconfig): the cluster
# has web scaled to 2 and a debug ConfigMap, the manifests say 3 and
# info; the drift is found, a revert PATCH is proposed for each object and
# decided by the pipeline's policy: at a Sunday's clock the weeknight
# window is closed and both reverts are deferred; in the window they are
# carried out through the API, each only at the resourceVersion it was
# planned against.

bats_require_minimum_version 1.5.0

setup_file() {
	export TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	export S=$BATS_FILE_TMPDIR
	FIX=$BATS_TEST_DIRNAME/../fixtures
	mkdir -p "$S/data" "$S/manifests" "$S/kc"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$S/server.key" -out "$S/server.crt" -days 2 \
	    -subj /CN=k8s -addext 'subjectAltName=IP:127.0.0.1' 2> /dev/null
	echo tend-e2e-TOKEN-31c5 > "$S/token"
	cat > "$S/data/shop.json" <<-EOF
	{"kind": "List", "apiVersion": "v1", "items": [
	 {"apiVersion": "apps/v1", "kind": "Deployment",
	  "metadata": {"name": "web", "namespace": "shop", "uid": "u1",
	    "resourceVersion": "41", "generation": 7,
	    "labels": {"app": "web"}},
	  "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
	    "template": {"metadata": {"labels": {"app": "web"}},
	      "spec": {"containers": [{"name": "web", "image": "nginx:1.25.3"}]}}},
	  "status": {"replicas": 2}},
	 {"apiVersion": "v1", "kind": "ConfigMap",
	  "metadata": {"name": "web-config", "namespace": "shop", "uid": "u2",
	    "resourceVersion": "42"},
	  "data": {"LOG_LEVEL": "debug"}}]}
	EOF
	cat > "$S/manifests/shop.yaml" <<-EOF
	apiVersion: apps/v1
	kind: Deployment
	metadata: {name: web, namespace: shop, labels: {app: web}}
	spec:
	  replicas: 3
	  selector: {matchLabels: {app: web}}
	  template:
	    metadata: {labels: {app: web}}
	    spec:
	      containers: [{name: web, image: "nginx:1.25.3"}]
	---
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: web-config, namespace: shop}
	data: {LOG_LEVEL: info}
	EOF
	python3 "$FIX/k8s-server.py" --data "$S/data" --cert "$S/server.crt" \
	    --key "$S/server.key" --token-file "$S/token" \
	    --port-file "$S/port" > "$S/server.out" 2>&1 3>&- &
	echo $! > "$S/server.pid"
	for _ in $(seq 1 100); do
		[ -s "$S/port" ] && break
		sleep 0.1
	done
	[ -s "$S/port" ] || { echo "k8s-server: $(cat "$S/server.out")" >&2; return 1; }
	cat > "$S/kc/config" <<-EOF
	apiVersion: v1
	kind: Config
	current-context: e2e
	clusters:
	- name: e2e
	  cluster:
	    server: https://127.0.0.1:$(cat "$S/port")
	    certificate-authority-data: $(base64 -w0 "$S/server.crt")
	users:
	- name: e2e
	  user: {tokenFile: ../token}
	contexts:
	- name: e2e
	  context: {cluster: e2e, user: e2e}
	EOF
	printf '{"e2e": {"server": "https://127.0.0.1:%s", "credential": "k8s-writer"}}\n' \
	    "$(cat "$S/port")" > "$S/clusters.json"
}

teardown_file() {
	[ -f "$S/server.pid" ] && kill "$(cat "$S/server.pid")"
	return 0
}

@test "drift of the cluster against the manifests becomes revert PATCHes" {
	export TEND_KUBECONFIG=$S/kc/config TEND_MANIFESTS=$S/manifests \
	    TEND_KINDS=deploy,cm TEND_CLUSTERS=$S/clusters.json \
	    TEND_LOG=$S/k8s.tlog.zst TEND_RUNID=k8s-1 \
	    TEND_NOW=2026-11-22T05:00:00Z
	run "$BATS_TEST_DIRNAME/../../pipelines/k8s-drift/run" "$S/work"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ $output == *"k8s:e2e/apps/Deployment/shop/web"* ]]
	L=$S/k8s.tlog.zst
	"$TEND_BIN/tend-log" cat --type tend.drift.detected "$L" > "$S/drift"
	run jq -r '[.subject, (.data.paths | join(","))] | @tsv' "$S/drift"
	[ "$output" = "k8s:e2e/apps/Deployment/shop/web	/spec/replicas
k8s:e2e/core/ConfigMap/shop/web-config	/data/LOG_LEVEL" ]
	"$TEND_BIN/tend-log" cat --type tend.action.proposed "$L" > "$S/p"
	run jq -r '[.subject, .data.executor.method, .data.executor.url, (.data.executor.body | tojson)] | @tsv' "$S/p"
	port=$(cat "$S/port")
	[ "$output" = "k8s:e2e/apps/Deployment/shop/web	PATCH	https://127.0.0.1:$port/apis/apps/v1/namespaces/shop/deployments/web	{\"spec\":{\"replicas\":3}}
k8s:e2e/core/ConfigMap/shop/web-config	PATCH	https://127.0.0.1:$port/api/v1/namespaces/shop/configmaps/web-config	{\"data\":{\"LOG_LEVEL\":\"info\"}}" ]
	# deferred to the window, and so not carried out
	run "$TEND_BIN/tend-log" cat --type 'tend.action.[ade]*' "$L"
	[ "$(echo "$output" | jq -r .type | sort -u)" = tend.action.deferred ]
	[ "$(echo "$output" | jq -r .data.not_before | sort -u)" = 2026-11-23T21:00:00Z ]
	[ "$("$TEND_BIN/tend-log" cat --type tend.action.skipped "$L" | jq -r .data.reason | sort -u)" = not-approved ]
	# the token never reaches the log
	"$TEND_BIN/tend-log" cat "$L" > "$S/all"
	run ! grep -q tend-e2e-TOKEN "$S/all"
}

# In the weeknight window, on a server that takes PATCHes (the pipeline's
# policy without its Deployment share limit, which holds a cluster of one
# Deployment): apply reads each object back, finds the resourceVersion it
# was planned at, and PATCHes it through the API with the token.
k8s_env() {
	printf '{"credentials": {"k8s-writer": {"file": "%s"}}}\n' "$S/token" > "$S/creds.json"
	jq 'del(.limits[] | select(.name == "deployment-share"))' \
	    "$BATS_TEST_DIRNAME/../../pipelines/k8s-drift/policy.json" > "$S/policy.json"
	export TEND_KUBECONFIG=$S/kc/config TEND_MANIFESTS=$S/manifests \
	    TEND_KINDS=deploy,cm TEND_CLUSTERS=$S/clusters.json \
	    TEND_CREDENTIALS=$S/creds.json TEND_CACERT=$S/server.crt \
	    TEND_POLICY=$S/policy.json TEND_NOW=2026-11-23T21:30:00Z
	API=https://127.0.0.1:$(cat "$S/port")
	DEPLOY=$API/apis/apps/v1/namespaces/shop/deployments/web
}

# get URL: the object, through the token
get() {
	curl -fsS --cacert "$S/server.crt" -H "Authorization: Bearer $(cat "$S/token")" "$1"
}

@test "in the window, reverts are carried out at the resourceVersion they were planned against" {
	k8s_env
	[ "$(get "$DEPLOY" | jq -r .metadata.resourceVersion)" = 41 ]
	run env TEND_LOG="$S/k8s2.tlog.zst" TEND_RUNID=k8s-2 \
	    "$BATS_TEST_DIRNAME/../../pipelines/k8s-drift/run" "$S/work2"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	run "$TEND_BIN/tend-log" cat --type tend.action.succeeded "$S/k8s2.tlog.zst"
	[ "$(echo "$output" | jq -r .subject | sort | tr '\n' ' ')" = "k8s:e2e/apps/Deployment/shop/web k8s:e2e/core/ConfigMap/shop/web-config " ]
	get "$DEPLOY" > "$S/web"
	[ "$(jq -r .spec.replicas "$S/web")" = 3 ]
	[ "$(jq -r .metadata.resourceVersion "$S/web")" != 41 ]
	[ "$(get "$API/api/v1/namespaces/shop/configmaps/web-config" | jq -r .data.LOG_LEVEL)" = info ]
	# the next run finds nothing to do
	run env TEND_LOG="$S/k8s3.tlog.zst" TEND_RUNID=k8s-3 \
	    "$BATS_TEST_DIRNAME/../../pipelines/k8s-drift/run" "$S/work2"
	[ "$status" -eq 0 ]
	[ -z "$("$TEND_BIN/tend-log" cat --type tend.drift.detected "$S/k8s3.tlog.zst")" ]
}

@test "an object written between plan and apply is not patched: stale" {
	k8s_env
	B=$TEND_BIN
	[ -f "$S/g.key" ] || "$B/tend-gate" keygen --name e2e "$S/g.key" "$S/g.pub"
	printf '{"version": 1, "http": {"cacert": "%s"}}\n' "$S/server.crt" > "$S/apply.json"
	# someone scales web to 1: drift, planned and approved at its version
	curl -fsS --cacert "$S/server.crt" -H "Authorization: Bearer $(cat "$S/token")" \
	    -X PATCH -H 'Content-Type: application/merge-patch+json' \
	    -d '{"spec": {"replicas": 1}}' "$DEPLOY" > /dev/null
	rv=$(get "$DEPLOY" | jq -r .metadata.resourceVersion)
	"$B/tend-collect" --run desired file --kubeconfig "$S/kc/config" "$S/manifests" \
	    | "$B/tend-normalize" > "$S/desired"
	"$B/tend-collect" --run k8s-4 k8s --kubeconfig "$S/kc/config" --kinds deploy,cm \
	    | "$B/tend-normalize" | "$B/tend-diff" --pass --desired "$S/desired" \
	    | "$B/tend-plan" --data clusters="$S/clusters.json" \
	        "$BATS_TEST_DIRNAME/../../pipelines/config-drift/skills/k8s-revert.jq" \
	    | "$B/tend-gate" --policy "$S/policy.json" --key "$S/g.key" > "$S/decided"
	[ "$(jq -r 'select(.type == "tend.action.approved" and .subject == "k8s:e2e/apps/Deployment/shop/web") | .data.action.precondition | tojson' "$S/decided")" = "{\"pointer\":\"/metadata/resourceVersion\",\"value\":\"$rv\"}" ]
	# and, before apply runs, someone else writes it again
	curl -fsS --cacert "$S/server.crt" -H "Authorization: Bearer $(cat "$S/token")" \
	    -X PATCH -H 'Content-Type: application/merge-patch+json' \
	    -d '{"metadata": {"annotations": {"owner": "alice"}}}' "$DEPLOY" > /dev/null
	"$B/tend-apply" --verify-key "$S/g.pub" --config "$S/apply.json" \
	    --credentials "$S/creds.json" < "$S/decided" > "$S/applied"
	[ "$(jq -r 'select(.data.reason == "stale") | .data.detail' "$S/applied")" = "the target changed since it was planned: /metadata/resourceVersion is no longer \"$rv\"" ]
	get "$DEPLOY" > "$S/web"
	[ "$(jq -r .spec.replicas "$S/web")" = 1 ]
	[ "$(jq -r .metadata.annotations.owner "$S/web")" = alice ]
}

@test "a collect that fails stops the run: nothing is planned on half a view" {
	k8s_env
	# the cluster refuses the token: nothing listed
	mkdir -p "$S/kc-bad"
	sed 's|tokenFile: ../token|tokenFile: ../wrong-token|' "$S/kc/config" > "$S/kc-bad/config"
	echo not-the-token > "$S/wrong-token"
	run env TEND_KUBECONFIG="$S/kc-bad/config" TEND_LOG="$S/k8s6.tlog.zst" \
	    TEND_RUNID=k8s-6 "$BATS_TEST_DIRNAME/../../pipelines/k8s-drift/run" "$S/work6"
	[ "$status" -eq 4 ]
	[[ $output == *"HTTP 401"* ]]
	# not every desired object taken for missing and created
	[ ! -e "$S/k8s6.tlog.zst" ] ||
	    [ -z "$("$TEND_BIN/tend-log" cat --type 'tend.drift.*' "$S/k8s6.tlog.zst")" ]
}
