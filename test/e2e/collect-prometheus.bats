#!/usr/bin/env bats
# tend-collect prometheus against a real Prometheus (Debian's package),
# started here on 127.0.0.1 with a free port, scraping itself and a
# target that is down (a closed loopback port), evaluating a rule file.

setup_file() {
	export TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	export S=$BATS_FILE_TMPDIR
	command -v prometheus > /dev/null || return 0
	PY=/usr/bin/python3
	[ -x "$PY" ] || PY=$(command -v python3)
	PORT=$("$PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	# a port nothing listens on
	DOWN=$("$PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	export PORT DOWN P=http://127.0.0.1:$PORT
	# expressions written as Prometheus prints them, so that the file
	# and what the server loaded from it compare equal
	cat > "$S/rules.yml" <<-'EOF'
	groups:
	- name: tend
	  rules:
	  - alert: AlwaysFiring
	    expr: vector(1)
	    labels:
	      severity: page
	    annotations:
	      summary: it always fires
	  - alert: TargetDown
	    expr: up == 0
	    for: 300s
	  - record: job:up:sum
	    expr: sum by (job) (up)
	EOF
	cat > "$S/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	  evaluation_interval: 1s
	rule_files:
	- $S/rules.yml
	scrape_configs:
	- job_name: prometheus
	  static_configs:
	  - targets: ['127.0.0.1:$PORT']
	- job_name: down
	  static_configs:
	  - targets: ['127.0.0.1:$DOWN']
	EOF
	prometheus --config.file="$S/prometheus.yml" \
	    --storage.tsdb.path="$S/data" \
	    --web.listen-address="127.0.0.1:$PORT" \
	    > "$S/prometheus.log" 2>&1 3>&- &
	echo $! > "$S/prometheus.pid"
	# ready, and its own first scrape stored
	for _ in $(seq 1 300); do
		if curl -fs "$P/-/ready" > /dev/null &&
		    curl -fsG "$P/api/v1/query" \
		    --data-urlencode 'query=up{job="prometheus"} == 1' |
		    grep -q '"value"'; then
			return 0
		fi
		sleep 0.1
	done
	echo "prometheus did not come up: $(tail -5 "$S/prometheus.log")" >&2
	return 1
}

teardown_file() {
	[ -f "$S/prometheus.pid" ] && kill "$(cat "$S/prometheus.pid")"
	return 0
}

setup() {
	command -v prometheus > /dev/null || skip "prometheus is not installed"
	C=$TEND_BIN/tend-collect
	N=$TEND_BIN/tend-normalize
	D=$BATS_TEST_TMPDIR
}

# Runs its arguments until they succeed, for up to 20 s: Prometheus
# scrapes and evaluates once a second.
poll() {
	for _ in $(seq 1 200); do
		"$@" && return 0
		sleep 0.1
	done
	echo "still failing: $*" >&2
	return 1
}

@test "up: one series, named by its labels, value and time" {
	"$C" prometheus --run r "$P" 'up{job="prometheus"}' > "$D/out" 2> "$D/err"
	[ ! -s "$D/err" ]
	[ "$(wc -l < "$D/out")" -eq 1 ]
	run jq -r '[.subject, .data.provider, .data.kind, .data.scope, .data.source] | @tsv' "$D/out"
	[ "$output" = "prometheus:127.0.0.1:$PORT/series/up{instance=\"127.0.0.1:$PORT\",job=\"prometheus\"}	prometheus	series	127.0.0.1:$PORT	$P/api/v1/query" ]
	run jq -c '[.data.object.labels, .data.object.value]' "$D/out"
	[ "$output" = "[{\"__name__\":\"up\",\"instance\":\"127.0.0.1:$PORT\",\"job\":\"prometheus\"},1]" ]
	[[ $(jq -r .data.object.time "$D/out") =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$ ]]
}

@test "--time, a scalar, a range vector, no result" {
	"$C" prometheus --time 2026-01-01T00:00:00Z "$P" 'vector(2.5)' > "$D/out"
	run jq -c '[.data.name, .data.object.value, .data.object.time]' "$D/out"
	[ "$output" = '["{}",2.5,"2026-01-01T00:00:00Z"]' ]
	"$C" prometheus --time 1767225600 "$P" 'scalar(vector(1)) / 0' > "$D/out"
	run jq -c '[.data.name, .data.object.value]' "$D/out"
	[ "$output" = '["scalar","+Inf"]' ]
	"$C" prometheus "$P" 'up{job="prometheus"}[10s]' > "$D/out"
	[ "$(jq '.data.object.values | length > 0' "$D/out")" = true ]
	"$C" prometheus "$P" 'nonexistent_metric_tend' > "$D/out"
	[ ! -s "$D/out" ]
}

@test "the API's errors: a bad query is 3, a dead server is 4" {
	run "$C" prometheus "$P" 'sum(('
	[ "$status" -eq 3 ]
	[[ $output == "tend-collect: $P/api/v1/query: prometheus: bad_data: "* ]]
	run "$C" prometheus --retries 0 --timeout 2 http://127.0.0.1:1 up
	[ "$status" -eq 4 ]
}

@test "no query and no view is a usage error" {
	run "$C" prometheus "$P"
	[ "$status" -eq 2 ]
	[[ $output == *"nothing to collect: give a query, --targets, --rules, --alerts or --rule-file"* ]]
}

@test "--kind names a query's results" {
	down_series() {
		"$C" prometheus --run r --kind target-down "$P" 'up == 0' \
		    > "$D/out" && [ -s "$D/out" ]
	}
	poll down_series
	run jq -r '[.subject, .data.kind, .data.object.value] | @tsv' "$D/out"
	[ "$output" = "prometheus:127.0.0.1:$PORT/target-down/up{instance=\"127.0.0.1:$DOWN\",job=\"down\"}	target-down	0" ]
}

@test "--targets: both targets, up and down, with the last error" {
	both_scraped() {
		"$C" prometheus --run r --targets "$P" > "$D/out" &&
		    [ "$(jq -r .data.object.health "$D/out" | sort | tr '\n' ' ')" = "down up " ]
	}
	poll both_scraped
	run jq -r '[.subject, .data.kind, .data.object.health, .data.object.scrapePool] | @tsv' "$D/out"
	[ "${lines[0]}" = "prometheus:127.0.0.1:$PORT/target/down/127.0.0.1:$DOWN	target	down	down" ]
	[ "${lines[1]}" = "prometheus:127.0.0.1:$PORT/target/prometheus/127.0.0.1:$PORT	target	up	prometheus" ]
	[[ $(jq -r 'select(.data.object.health == "down") | .data.object.lastError' "$D/out") == *"connection refused"* ]]
	[ "$(jq -r 'select(.data.object.health == "up") | .data.object.lastError' "$D/out")" = "" ]
	# normalised: the labels, the scrape settings as spec, health status
	"$N" "$D/out" > "$D/state"
	run jq -c 'select(.data.name | startswith("down/")) | .data | [.labels, .spec.scrapePool, .status.health]' "$D/state"
	[ "$output" = "[{\"instance\":\"127.0.0.1:$DOWN\",\"job\":\"down\"},\"down\",\"down\"]" ]
}

@test "--rules: the rule file as Prometheus loaded it" {
	"$C" prometheus --run r --rules "$P" > "$D/out" 2> "$D/err"
	[ ! -s "$D/err" ]
	run jq -r '[.subject, .data.kind, .data.name, .data.object.file] | @tsv' "$D/out"
	[ "$output" = "prometheus:127.0.0.1:$PORT/rulefile$S/rules.yml	rulefile	$S/rules.yml	$S/rules.yml" ]
	# the rule-file form, "for: 300s" printed as Prometheus prints it
	run jq -c '.data.object.groups[] | [.name, .interval, [.rules[] | del(.health, .state, .lastError)]]' "$D/out"
	[ "$output" = '["tend",1,[{"alert":"AlwaysFiring","expr":"vector(1)","labels":{"severity":"page"},"annotations":{"summary":"it always fires"}},{"alert":"TargetDown","expr":"up == 0","for":"5m"},{"record":"job:up:sum","expr":"sum by (job) (up)"}]]' ]
}

@test "--rule-file: the file normalises as what Prometheus loaded; drift shows an edit" {
	"$C" prometheus --run r --rules "$P" > "$D/live.obs"
	"$N" "$D/live.obs" > "$D/live"
	"$C" prometheus --run r --rule-file "$S/rules.yml" "$P" > "$D/file.obs"
	"$N" "$D/file.obs" > "$D/file"
	[ "$(jq -r .subject "$D/file")" = "$(jq -r .subject "$D/live")" ]
	[ "$(jq -r .data.digest "$D/file")" = "$(jq -r .data.digest "$D/live")" ]
	"$TEND_BIN/tend-diff" --desired "$D/file" < "$D/live" > "$D/drift"
	[ "$(jq -r 'select(.type == "tend.drift.detected") | .id' "$D/drift")" = "" ]
	# an edited copy as the desired state: exactly that drift
	sed 's/expr: up == 0/expr: up == 2/' "$S/rules.yml" > "$D/edited.yml"
	"$C" prometheus --run r --rule-file "$S/rules.yml=$D/edited.yml" "$P" \
	    > "$D/desired.obs"
	"$N" "$D/desired.obs" > "$D/desired"
	"$TEND_BIN/tend-diff" --desired "$D/desired" < "$D/live" > "$D/drift"
	run jq -c 'select(.type == "tend.drift.detected") | [.subject, .data.drift, .data.patch]' "$D/drift"
	[ "$output" = "[\"prometheus:127.0.0.1:$PORT/rulefile$S/rules.yml\",\"modified\",[{\"op\":\"replace\",\"path\":\"/groups/0/rules/1/expr\",\"value\":\"up == 2\"}]]" ]
}

@test "--alerts: the alert that always fires" {
	firing() {
		"$C" prometheus --run r --alerts "$P" > "$D/out" &&
		    [ "$(jq -r 'select(.data.object.labels.alertname == "AlwaysFiring") | .data.object.state' "$D/out")" = firing ]
	}
	poll firing
	run jq -r 'select(.data.object.labels.alertname == "AlwaysFiring") | [.subject, .data.kind, .data.object.annotations.summary] | @tsv' "$D/out"
	[ "$output" = "prometheus:127.0.0.1:$PORT/alert/AlwaysFiring{severity=\"page\"}	alert	it always fires" ]
	"$N" "$D/out" > "$D/state"
	run jq -c 'select(.data.labels.alertname == "AlwaysFiring") | .data | [.labels.severity, .spec, (.status | keys)]' "$D/state"
	[ "$output" = '["page",{"state":"firing","annotations":{"summary":"it always fires"}},["activeAt","value"]]' ]
}
