#!/usr/bin/env bats
# The skills shipped in pipelines/: each folder's tests/input.ndjson (made
# by its make-input.sh through collect | normalize [| diff] from real
# Kubernetes objects, dpkg status files, OSV advisories and Prometheus
# output) must give exactly tests/expected.ndjson, twice the same, and
# every action is checked here field by field, rollback included.

setup() {
	TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	CONF=${TEND_CONFORMANCE:-$BATS_TEST_DIRNAME/../../../shared/conformance}
	PIPES=$BATS_TEST_DIRNAME/../../pipelines
	D=$BATS_TEST_TMPDIR
	export TEND_NOW=2026-11-22T06:00:00Z
}

# plan PIPELINE ARGS...: runs the pipeline's skills on its input into
# $D/out (from its tests folder), checks it twice and against the schema.
plan() {
	local p=$1
	shift
	(cd "$PIPES/$p/tests" &&
	    "$TEND_BIN/tend-plan" "$@" ../skills < input.ndjson) > "$D/out"
	(cd "$PIPES/$p/tests" &&
	    "$TEND_BIN/tend-plan" "$@" ../skills < input.ndjson) > "$D/again"
	cmp "$D/out" "$D/again"
	"$TEND_BIN/tend-validate" < "$D/out" > /dev/null
}

# act N: the data of the Nth action, compact.
act() {
	sed -n "${1}p" "$D/out" | jq -c "${2:-.data}"
}

@test "config-drift: exactly the expected actions, twice the same" {
	plan config-drift --data clusters=clusters.json --data files=files.json
	diff -u "$PIPES/config-drift/tests/expected.ndjson" "$D/out"
}

@test "config-drift: a Deployment is reverted by merge PATCH, rollback restores the observed values" {
	plan config-drift --data clusters=clusters.json --data files=files.json
	u=https://k8s.prod.example:6443/apis/apps/v1/namespaces/default/deployments/nginx-deployment
	[ "$(act 1 '.data | [.skill, .targets[0], .credential, .risk, has("state_digest")] | @tsv')" = '"k8s-revert\tk8s:prod/apps/Deployment/default/nginx-deployment\tk8s-prod-writer\tmedium\tfalse"' ]
	# apply reads the object back and compares its resourceVersion
	[ "$(act 1 .data.precondition)" = '{"pointer":"/metadata/resourceVersion","value":"7492752"}' ]
	[ "$(act 1 .data.executor)" = "{\"type\":\"http\",\"method\":\"PATCH\",\"url\":\"$u\",\"headers\":{\"Content-Type\":\"application/merge-patch+json\"},\"body\":{\"metadata\":{\"labels\":{\"app\":\"nginx\"}},\"spec\":{\"replicas\":3}}}" ]
	[ "$(act 1 .data.rollback)" = "{\"type\":\"http\",\"method\":\"PATCH\",\"url\":\"$u\",\"headers\":{\"Content-Type\":\"application/merge-patch+json\"},\"body\":{\"metadata\":{\"labels\":{\"app\":\"missing\"}},\"spec\":{\"replicas\":2}}}" ]
}

@test "config-drift: a change inside a list is a JSON Patch guarded by a test of the observed value" {
	plan config-drift --data clusters=clusters.json --data files=files.json
	[ "$(act 2 .data.executor.body)" = '[{"op":"test","path":"/spec/ports/2/port","value":443},{"op":"replace","path":"/spec/ports/2/port","value":8443}]' ]
	[ "$(act 2 .data.executor.headers)" = '{"Content-Type":"application/json-patch+json"}' ]
	[ "$(act 2 .data.rollback.body)" = '[{"op":"replace","path":"/spec/ports/2/port","value":443}]' ]
}

@test "config-drift: an image change is on a human-only path: escalated, executor kept" {
	plan config-drift --data clusters=clusters.json --data files=files.json
	[ "$(act 3 '.data | [.targets[0], .escalate, .executor.method] | @tsv')" = '"k8s:prod/core/ReplicationController/test/test-rc\ttrue\tPATCH"' ]
	[[ $(act 3 .data.reason) == *"(escalated: /spec/template/spec/containers/0/image is human-only)\"" ]]
}

@test "config-drift: an unexpected object is escalated, a missing one created by server-side apply" {
	plan config-drift --data clusters=clusters.json --data files=files.json
	[ "$(act 4 '.data | [.targets[0], .escalate, (.executor // "none"), .rollback] | @tsv')" = '"k8s:prod/core/Pod/argocd/my-pod\ttrue\tnone\t"' ]
	u=https://k8s.prod.example:6443/api/v1/namespaces/default/configmaps/app-config
	[ "$(act 7 .data.executor)" = "{\"type\":\"http\",\"method\":\"PATCH\",\"url\":\"$u?fieldManager=tend&force=true\",\"headers\":{\"Content-Type\":\"application/apply-patch+yaml\"},\"body\":{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"data\":{\"baz\":\"qux\",\"foo\":\"changed-value\"},\"metadata\":{\"name\":\"app-config\",\"namespace\":\"default\"}}}" ]
	[ "$(act 7 .data.rollback)" = "{\"type\":\"http\",\"method\":\"DELETE\",\"url\":\"$u\"}" ]
}

@test "config-drift: sysctl set back with sysctl -w, the observed value as rollback; a key the kernel lacks escalated" {
	plan config-drift --data clusters=clusters.json --data files=files.json
	[ "$(act 5 '.data | [.skill, (.executor.argv | join(" ")), (.rollback.argv | join(" "))] | @tsv')" = '"sysctl-set\t/usr/sbin/sysctl -w net.ipv4.ip_forward=0\t/usr/sbin/sysctl -w net.ipv4.ip_forward=1"' ]
	[ "$(act 8 '.data | [.skill, .escalate, .reason] | @tsv')" = '"sysctl-set\ttrue\tsysctl net.core.somaxconn is desired on web-1 but the kernel has no such key"' ]
}

@test "config-drift: a file's content and mode restored; a missing file created, rollback removes it" {
	plan config-drift --data clusters=clusters.json --data files=files.json
	[ "$(act 6 .data.executor)" = '{"type":"file","path":"/etc/ssh/sshd_config","content":"Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\nPasswordAuthentication no\n","mode":"0600"}' ]
	[ "$(act 6 .data.rollback)" = null ]
	[[ $(act 6 .data.reason) == *"(its old content was not collected: no rollback)\"" ]]
	[ "$(act 9 .data.executor)" = '{"type":"file","path":"/etc/motd","content":"Managed by tend: changes are reverted.\n","mode":"0644","owner":"root","group":"root"}' ]
	[ "$(act 9 .data.rollback)" = '{"type":"exec","argv":["/usr/bin/rm","-f","--","/etc/motd"]}' ]
}

@test "config-drift: a mode-only drift gets the observed mode as rollback" {
	jq -c 'if .data.key == "host:web-1/file/etc/ssh/sshd_config" and .type == "tend.drift.detected" then .data.patch |= map(select(.path == "/mode")) | .data.paths = ["/mode"] else . end' \
	    "$PIPES/config-drift/tests/input.ndjson" > "$D/in"
	(cd "$PIPES/config-drift/tests" && "$TEND_BIN/tend-plan" --data clusters=clusters.json --data files=files.json ../skills/file-restore.jq) < "$D/in" > "$D/out"
	[ "$(act 1 '.data | [.executor, .rollback]')" = '[{"type":"file","path":"/etc/ssh/sshd_config","mode":"0600"},{"type":"file","path":"/etc/ssh/sshd_config","mode":"0644"}]' ]
}

@test "config-drift: without the observed state, rollbacks need the patch's test operations" {
	grep -v tend.resource.state "$PIPES/config-drift/tests/input.ndjson" > "$D/in"
	(cd "$PIPES/config-drift/tests" && "$TEND_BIN/tend-plan" --data clusters=clusters.json --data files=files.json ../skills/k8s-revert.jq) < "$D/in" > "$D/out"
	[ "$(act 1 .data.rollback)" = null ]
	jq -c 'if .data.key == "k8s:prod/apps/Deployment/default/nginx-deployment" then .data.patch = [{"op":"test","path":"/spec/replicas","value":2},{"op":"replace","path":"/spec/replicas","value":3}] else . end' "$D/in" > "$D/in2"
	(cd "$PIPES/config-drift/tests" && "$TEND_BIN/tend-plan" --data clusters=clusters.json ../skills/k8s-revert.jq) < "$D/in2" > "$D/out"
	[ "$(act 1 .data.rollback.body)" = '{"spec":{"replicas":2}}' ]
}

@test "patch: exactly the expected actions, twice the same" {
	plan patch --osv "$CONF/osv/advisories"
	diff -u "$PIPES/patch/tests/expected.ndjson" "$D/out"
}

@test "patch: a Debian host's packages below DSA-3029-1's fix: one apt-get per host, rollback downgrades" {
	plan patch --osv "$CONF/osv/advisories"
	[ "$(act 1 '.data.targets | join(" ")')" = '"host:legacy-1/package/nginx-common host:legacy-1/package/nginx-full"' ]
	[ "$(act 1 .data.executor)" = '{"type":"exec","argv":["/usr/bin/apt-get","install","-y","--no-install-recommends","--only-upgrade","nginx-common=1.2.1-2.2+wheezy3","nginx-full=1.2.1-2.2+wheezy3"],"env":{"DEBIAN_FRONTEND":"noninteractive"}}' ]
	[ "$(act 1 .data.rollback)" = '{"type":"exec","argv":["/usr/bin/apt-get","install","-y","--no-install-recommends","--allow-downgrades","nginx-common=1.2.1-2.2+wheezy2","nginx-full=1.2.1-2.2+wheezy2"],"env":{"DEBIAN_FRONTEND":"noninteractive"}}' ]
	[ "$(act 1 '.data | [.risk, (.causes | length), .credential] | @tsv')" = '"medium\t2\thost-root"' ]
	# the trimmed Debian 12 status (web-1) has nothing DSA-3029-1 names
	! grep -q 'host:web-1' "$D/out" || false
}

@test "patch: npm and PyPI packages upgraded to the version fixing every advisory, risk from the worst" {
	plan patch --osv "$CONF/osv/advisories"
	[ "$(act 2 '.data | [(.executor.argv | join(" ")), (.rollback.argv | join(" ")), .risk] | @tsv')" = '"/usr/bin/pip3 install --no-deps requests==2.31.0\t/usr/bin/pip3 install --no-deps requests==2.30.0\tmedium"' ]
	[[ $(act 2 .data.reason) == *"(CVE-2023-32681, GHSA-j8r2-6x86-q33q, PYSEC-2023-74)\"" ]]
	[ "$(act 4 '.data | [(.executor.argv | join(" ")), (.rollback.argv | join(" ")), .risk] | @tsv')" = '"/usr/bin/npm install --save-exact lodash@4.17.21 minimist@1.2.6\t/usr/bin/npm install --save-exact lodash@4.17.20 minimist@1.2.5\tcritical"' ]
}

@test "patch: an advisory without a fixed version is escalated; a package at the fix is left alone" {
	plan patch --osv "$CONF/osv/advisories"
	[ "$(act 3 '.data | [.targets[0], .escalate, .risk] | @tsv')" = '"file:shop-frontend/package/Gradio\ttrue\tcritical"' ]
	! grep -q 'package/elliptic' "$D/out" || false
}

@test "cost: exactly the expected actions, twice the same" {
	plan cost --data usage=usage.json --data prices=prices.yaml --data clusters=clusters.json
	diff -u "$PIPES/cost/tests/expected.ndjson" "$D/out"
}

@test "cost: idle, costly Deployments scaled to zero, rollback restores their replicas" {
	plan cost --data usage=usage.json --data prices=prices.yaml --data clusters=clusters.json
	u=https://k8s.prod.example:6443/apis/apps/v1/namespaces/analytics/deployments/reports
	[ "$(act 2 '.data | [.executor.url, (.executor.body | tojson), (.rollback.body | tojson)] | @tsv')" = "\"$u\\t{\\\"spec\\\":{\\\"replicas\\\":0}}\\t{\\\"spec\\\":{\\\"replicas\\\":3}}\"" ]
	[ "$(act 2 .data.reason)" = '"scale Deployment analytics/reports in cluster prod to zero (from 3): idle for 8d0h (below 0.01 since 2026-11-14T00:00:00Z), costing 53.82 EUR a month"' ]
	[ "$(act 1 .data.rollback.body)" = '{"spec":{"replicas":2}}' ]
	# busy (checkout) and cheap (cache) workloads are left alone
	! grep -q 'checkout\|StatefulSet/shop/cache' "$D/out" || false
}

@test "cost: an idle volume is snapshotted, then deleted after the snapshot; rollback restores from it" {
	plan cost --data usage=usage.json --data prices=prices.yaml --data clusters=clusters.json
	[ "$(act 3 '.data | [.executor.method, .executor.body.kind, .executor.body.metadata.name, .rollback.method] | @tsv')" = '"POST\tVolumeSnapshot\texports-2023-tend-20261122\tDELETE"' ]
	[ "$(act 4 '.data.after[0]')" = "$(act 3 .data.action_id)" ]
	[ "$(act 4 '.data | [.executor.method, .risk, .rollback.method] | @tsv')" = '"DELETE\thigh\tPOST"' ]
	[ "$(act 4 .data.rollback.body.spec)" = '{"accessModes":["ReadWriteOnce"],"storageClassName":"premium-rwo","resources":{"requests":{"storage":"500Gi"}},"dataSource":{"apiGroup":"snapshot.storage.k8s.io","kind":"VolumeSnapshot","name":"exports-2023-tend-20261122"}}' ]
}

@test "network: exactly the expected actions, twice the same" {
	plan network --data allow=allow.yaml --data clusters=clusters.json
	diff -u "$PIPES/network/tests/expected.ndjson" "$D/out"
}

@test "network: a socket a close rule names is closed in the firewall; others escalated; loopback ignored" {
	plan network --data allow=allow.yaml --data clusters=clusters.json
	[ "$(act 1 '.data | [.targets[0], .escalate] | @tsv')" = '"host:edge-1/socket/tcp/0.0.0.0:6379\ttrue"' ]
	[ "$(act 2 '.data | [(.executor.argv | join(" ")), (.rollback.argv | join(" "))] | @tsv')" = '"/usr/sbin/ufw deny proto tcp port 8080\t/usr/sbin/ufw delete deny proto tcp port 8080"' ]
	! grep -q '127.0.0.1:5432\|:22"\|:443"\|:68"' "$D/out" || false
}

@test "network: exposed Services made ClusterIP where a rule says so, rollback restores the type" {
	plan network --data allow=allow.yaml --data clusters=clusters.json
	[ "$(act 3 '.data | [.targets[0], (.executor.body | tojson), (.rollback.body | tojson), .credential] | @tsv')" = '"k8s:prod/core/Service/monitoring/grafana\t{\"spec\":{\"type\":\"ClusterIP\"}}\t{\"spec\":{\"type\":\"LoadBalancer\"}}\tk8s-prod-writer"' ]
	[ "$(act 4 '.data | [.targets[0], .escalate] | @tsv')" = '"k8s:prod/core/Service/shop/legacy-admin\ttrue"' ]
	! grep -q 'ingress-nginx\|multiple-protocol-port-svc' "$D/out" || false
}

# The observability pipeline: its tests/ hold a real run's state (see
# tests/make-input.sh) and the settings its run script writes.  obs
# [INCIDENTS [INPUT]] plans from them (INCIDENTS and INPUT files in $D
# when given), checking the output twice and against the schemas.
obs() {
	local t=$PIPES/observability/tests
	set -- --data obs="$t/obs.json" --data services="$t/services.json" \
	    --data clusters="$t/clusters.json" --data desired="$t/desired.ndjson" \
	    --data incidents="${1:-$t/incidents.ndjson}" \
	    "$PIPES/observability/skills" "${2:-$t/input.ndjson}"
	"$TEND_BIN/tend-plan" "${@:1:$(($# - 1))}" < "${!#}" > "$D/out"
	"$TEND_BIN/tend-plan" "${@:1:$(($# - 1))}" < "${!#}" > "$D/again"
	cmp "$D/out" "$D/again"
	"$TEND_BIN/tend-validate" < "$D/out" > /dev/null
}

@test "observability: exactly the expected events, twice the same" {
	obs
	diff -u "$PIPES/observability/tests/expected.ndjson" "$D/out"
}

@test "observability: a down target is escalated per job with its last error; a target that is up is not" {
	obs
	run jq -c 'select(.data.skill == "down") | [.data.escalate, .data.targets, .data.reason]' "$D/out"
	[ "$output" = '[true,["prometheus:127.0.0.1:9090/target/down/127.0.0.1:9999"],"job down on 127.0.0.1:9090: 1 target down for more than 3s: 127.0.0.1:9999 (Get \"http://127.0.0.1:9999/metrics\": dial tcp 127.0.0.1:9999: connect: connection refused)"]' ]
}

@test "observability: a drifted rule file is written from the desired state, guarded by its bytes' digest, then Prometheus reloads" {
	obs
	jq -c 'select(.data.skill == "rules-restore") | .data' "$D/out" > "$D/rr"
	[ "$(wc -l < "$D/rr")" -eq 2 ]
	# the desired rules, as a rule file Prometheus reads (JSON is YAML)
	[ "$(sed -n 1p "$D/rr" | jq -r .executor.content | jq -c .)" = '{"groups":[{"name":"slo","rules":[{"record":"slo:burn_rate:ratio","expr":"app_error_ratio / 0.01"},{"alert":"ErrorRatioHigh","expr":"app_error_ratio > 0.1","for":"5m","labels":{"severity":"page"},"annotations":{"summary":"too many errors"}}]}]}' ]
	# rollback: the rules Prometheus had loaded, the changed expression
	[ "$(sed -n 1p "$D/rr" | jq -r .rollback.content | jq -c '.groups[0].rules[1].expr')" = '"app_error_ratio > 0.9"' ]
	# precondition: the SHA-256 of the file's bytes, as tend collect host read them
	want=$(jq -r 'select(.subject == "host:testhost/file/etc/prometheus/rules/slo.yml") | "sha256:" + .data.spec.sha256' "$PIPES/observability/tests/input.ndjson")
	[ "$(sed -n 1p "$D/rr" | jq -r .state_digest)" = "$want" ]
	# the reload waits for the write, and has no precondition
	w=$(sed -n 1p "$D/rr" | jq -r .action_id)
	run jq -c --arg w "$w" '[.executor, .after == [$w], has("state_digest")]' <(sed -n 2p "$D/rr")
	[ "$output" = '[{"type":"http","method":"POST","url":"http://127.0.0.1:9090/-/reload"},true,false]' ]
}

@test "observability: an SLO burning over the threshold opens an incident once; the next clean observation resolves it" {
	obs
	run jq -c 'select(.data.skill == "slo-burn") | [.type, .data.escalate // null, .data.incident_id // null]' "$D/out"
	id='slo-burn:prometheus:127.0.0.1:9090/slo-burn/slo:burn_rate:ratio{instance=\"127.0.0.1:9100\",job=\"app\",slo=\"checkout\"}@2026-11-23T02:42:33Z'
	[ "${lines[0]}" = "[\"tend.incident.opened\",null,\"$id\"]" ]
	[ "${lines[1]}" = '["tend.action.proposed",true,null]' ]
	[ "${#lines[@]}" -eq 2 ]
	# still burning, the incident open: nothing new
	jq -c 'select(.type == "tend.incident.opened")' "$D/out" > "$D/open.ndjson"
	obs "$D/open.ndjson"
	[ -z "$(jq -c 'select(.data.skill == "slo-burn")' "$D/out")" ]
	# under the threshold now: resolved, under the same id
	sed 's/"spec":{"value":50}/"spec":{"value":0.5}/' \
	    "$PIPES/observability/tests/input.ndjson" > "$D/clean.ndjson"
	obs "$D/open.ndjson" "$D/clean.ndjson"
	run jq -c 'select(.data.skill == "slo-burn") | [.type, .data.incident_id, .data.resolution]' "$D/out"
	[ "$output" = "[\"tend.incident.resolved\",\"$id\",\"burn rate back to 0.5x, at or under 14.4x\"]" ]
}

@test "observability: an unscraped service gets a file_sd entry, a Service scrape annotations; both with rollback" {
	obs
	run jq -c 'select(.data.skill == "unwatched") | .data | [.executor, .rollback, (.state_digest // .precondition)]' "$D/out"
	[ "${lines[0]}" = '[{"type":"file","path":"/etc/prometheus/file_sd/tend-api.json","mode":"0644","content":"[{\"targets\":[\"127.0.0.1:8080\"],\"labels\":{\"job\":\"api\"}}]\n"},{"type":"exec","argv":["/usr/bin/rm","-f","--","/etc/prometheus/file_sd/tend-api.json"]},null]' ]
	u=https://k8s.prod.example:6443/api/v1/namespaces/default/services/multiple-protocol-port-svc
	[ "${lines[1]}" = "[{\"type\":\"http\",\"method\":\"PATCH\",\"url\":\"$u\",\"headers\":{\"Content-Type\":\"application/merge-patch+json\"},\"body\":{\"metadata\":{\"annotations\":{\"prometheus.io/scrape\":\"true\",\"prometheus.io/port\":\"1986\"}}}},{\"type\":\"http\",\"method\":\"PATCH\",\"url\":\"$u\",\"headers\":{\"Content-Type\":\"application/merge-patch+json\"},\"body\":{\"metadata\":{\"annotations\":{\"prometheus.io/scrape\":null,\"prometheus.io/port\":null}}}},{\"pointer\":\"/metadata/resourceVersion\",\"value\":\"1825080\"}]" ]
	# the scraped exporter and a service with no socket are left alone
	[ "${#lines[@]}" -eq 2 ]
}
