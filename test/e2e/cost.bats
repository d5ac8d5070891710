#!/usr/bin/env bats
# pipelines/cost against a real Prometheus (Debian's package) on
# 127.0.0.1, scraping a static exporter this test serves: reports uses
# nothing, web is busy.  The idle skill runs with idle_for lowered to
# seconds (a copy of the skill; the rest is the pipeline as shipped).

setup_file() {
	export TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	export S=$BATS_FILE_TMPDIR
	command -v prometheus > /dev/null || return 0
	free_port() {
		python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
	}
	PORT=$(free_port)
	XPORT=$(free_port)
	export PORT XPORT
	export U=http://127.0.0.1:$PORT
	mkdir -p "$S/exporter"
	cat > "$S/exporter/metrics" <<-EOF
	# TYPE tend_test_cpu gauge
	tend_test_cpu{namespace="shop",deployment="reports"} 0.0002
	tend_test_cpu{namespace="shop",deployment="web"} 0.45
	EOF
	python3 -m http.server --bind 127.0.0.1 --directory "$S/exporter" \
	    "$XPORT" > "$S/exporter.log" 2>&1 3>&- &
	echo $! > "$S/exporter.pid"
	cat > "$S/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	scrape_configs:
	- job_name: usage
	  metrics_path: /metrics
	  static_configs:
	  - targets: ['127.0.0.1:$XPORT']
	EOF
	prometheus --config.file="$S/prometheus.yml" \
	    --storage.tsdb.path="$S/data" \
	    --web.listen-address="127.0.0.1:$PORT" \
	    > "$S/prometheus.log" 2>&1 3>&- &
	echo $! > "$S/prometheus.pid"
	# ready, with a few seconds of samples
	for _ in $(seq 1 300); do
		n=$(curl -fsG "$U/api/v1/query" --data-urlencode \
		    'query=count_over_time(tend_test_cpu{deployment="reports"}[1m])' \
		    2>/dev/null | jq -r '.data.result[0].value[1] // 0' 2>/dev/null)
		[ "${n:-0}" -ge 5 ] 2>/dev/null && return 0
		sleep 0.2
	done
	echo "prometheus did not come up: $(tail -5 "$S/prometheus.log")" >&2
	return 1
}

teardown_file() {
	[ -f "$S/prometheus.pid" ] && kill "$(cat "$S/prometheus.pid")"
	[ -f "$S/exporter.pid" ] && kill "$(cat "$S/exporter.pid")"
	return 0
}

setup() {
	[ -f "$S/prometheus.pid" ] || skip "prometheus is not installed"
	P=$BATS_TEST_DIRNAME/../../pipelines/cost
	mkdir -p "$S/skills" "$S/manifests"
	cp "$P/skills/idle.jq" "$S/skills/"
	jq '.params.idle_for = 3' "$P/skills/idle.json" > "$S/skills/idle.json"
	cat > "$S/manifests/shop.yaml" <<-EOF
	apiVersion: apps/v1
	kind: Deployment
	metadata: {name: reports, namespace: shop}
	spec:
	  replicas: 2
	  template:
	    spec:
	      containers:
	      - {name: reports, image: r, resources: {requests: {cpu: "1", memory: 2Gi}}}
	---
	apiVersion: apps/v1
	kind: Deployment
	metadata: {name: web, namespace: shop}
	spec:
	  replicas: 3
	  template:
	    spec:
	      containers:
	      - {name: web, image: w, resources: {requests: {cpu: "1"}}}
	EOF
	echo '{"test": {"server": "https://k8s.test.invalid:6443", "credential": "k8s-prod-writer"}}' > "$S/clusters.json"
	export TEND_PROMETHEUS=$U TEND_USAGE_QUERY=tend_test_cpu \
	    TEND_USAGE_RANGE=60 TEND_USAGE_STEP=1 \
	    TEND_MANIFESTS=$S/manifests TEND_CLUSTER=test \
	    TEND_PRICES=$P/tests/prices.yaml TEND_CLUSTERS=$S/clusters.json \
	    TEND_SKILLS=$S/skills/idle.jq TEND_LOG=$S/cost.tlog.zst
}

@test "an idle Deployment is proposed for scale-to-zero, a busy one is not" {
	TEND_RUNID=cost-1 run "$P/run" "$S/work"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	"$TEND_BIN/tend-log" cat --type tend.action.proposed "$S/cost.tlog.zst" > "$S/p"
	run jq -r '[.subject, .data.skill, .data.executor.method, .data.executor.url, (.data.executor.body | tojson)] | @tsv' "$S/p"
	[ "$output" = 'k8s:test/apps/Deployment/shop/reports	idle	PATCH	https://k8s.test.invalid:6443/apis/apps/v1/namespaces/shop/deployments/reports	{"spec":{"replicas":0}}' ]
	run jq -r '.data.reason' "$S/p"
	[[ $output == "scale Deployment shop/reports in cluster test to zero (from 2): idle for "*"costing 59.24 EUR a month" ]]
	# decided under the shipped policy (idle is burning in: shadow)
	[ "$("$TEND_BIN/tend-log" cat --type 'tend.action.[ade]*' "$S/cost.tlog.zst" | jq -r .data.shadow)" = true ]
	[[ $output != *"shop/web"* ]]
}
