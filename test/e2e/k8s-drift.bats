#!/usr/bin/env bats
# pipelines/k8s-drift against the stand-in Kubernetes API server of
# test/fixtures (HTTPS on 127.0.0.1, a token, a kubeconfig): the cluster
# has web scaled to 2 and a debug ConfigMap, the manifests say 3 and
# info; the drift is found, a revert PATCH is proposed for each object and
# decided by the pipeline's policy.  The stand-in serves reads only, so
# nothing is carried out: at the test's clock (a Sunday) the weeknight
# window is closed and both reverts are deferred.

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
