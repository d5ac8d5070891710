#!/usr/bin/env bats
# pipelines/observability against real services on 127.0.0.1, each on a
# free port, stopped by its own PID: Debian's Prometheus scraping a small
# exporter of this test's (python3's http.server serving a metrics file),
# one target kept down on purpose, a rule file changed behind the
# pipeline's back, a second service nobody scrapes, and Alertmanager
# receiving the escalations.  The pipeline must find exactly the planted
# problems, restore the rule file and reload Prometheus; a second look
# shows the drift gone; an SLO burn opens an incident that the next clean
# observation resolves, and tend report slo shows how long it lasted.

free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start NAME CMD...: runs CMD in the background, its PID in $S/NAME.pid.
start() {
	local name=$1
	shift
	"$@" > "$S/$name.log" 2>&1 3>&- &
	echo $! > "$S/$name.pid"
}

# wait_for CMD...: up to 30 s for CMD to succeed.
wait_for() {
	for _ in $(seq 1 300); do
		"$@" > /dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# metrics RATIO: what the exporter serves.
metrics() {
	cat > "$S/www/metrics.tmp" <<-EOF
	# HELP app_error_ratio Share of failed requests.
	# TYPE app_error_ratio gauge
	app_error_ratio{slo="checkout"} $1
	EOF
	mv "$S/www/metrics.tmp" "$S/www/metrics"
}

# rules EXPR: the rule file, with EXPR as the alert's condition.
rules() {
	cat <<-EOF
	groups:
	- name: slo
	  rules:
	  - record: slo:burn_rate:ratio
	    expr: app_error_ratio / 0.01
	  - alert: ErrorRatioHigh
	    expr: $1
	    for: 5m
	    labels:
	      severity: page
	    annotations:
	      summary: too many errors
	EOF
}

q() {	# q PROMQL: the instant query's result, compact
	curl -fsG "$P/api/v1/query" --data-urlencode "query=$1" | jq -c .data.result
}

setup_file() {
	export TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	export S=$BATS_FILE_TMPDIR
	PROM=$(command -v prometheus) || return 0
	AM=$(command -v prometheus-alertmanager || command -v alertmanager) || return 0
	mkdir -p "$S/www" "$S/api" "$S/rules" "$S/desired" "$S/file_sd" "$S/work"
	EXPORTER=$(free_port) API=$(free_port) PORT=$(free_port)
	AMPORT=$(free_port) DOWN=$(free_port)
	export EXPORTER API PORT AMPORT DOWN
	export P=http://127.0.0.1:$PORT AMU=http://127.0.0.1:$AMPORT
	metrics 0.5
	printf "# TYPE api_up gauge\napi_up 1\n" > "$S/api/metrics"
	start exporter python3 -m http.server --bind 127.0.0.1 \
	    --directory "$S/www" "$EXPORTER"
	start api python3 -m http.server --bind 127.0.0.1 \
	    --directory "$S/api" "$API"
	# desired rules, and the live file as someone changed it
	rules 'app_error_ratio > 0.1' > "$S/desired/slo.yml"
	rules 'app_error_ratio > 0.9' > "$S/rules/slo.yml"
	chmod 644 "$S/rules/slo.yml"
	cat > "$S/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	  evaluation_interval: 1s
	rule_files: ['$S/rules/*.yml']
	scrape_configs:
	- job_name: app
	  static_configs:
	  - targets: ['127.0.0.1:$EXPORTER']
	- job_name: down
	  static_configs:
	  - targets: ['127.0.0.1:$DOWN']
	- job_name: sd
	  file_sd_configs:
	  - files: ['$S/file_sd/*.json']
	    refresh_interval: 1s
	EOF
	cat > "$S/alertmanager.yml" <<-EOF
	route:
	  receiver: blackhole
	  group_by: [alertname, action_id]
	receivers:
	- name: blackhole
	EOF
	start prometheus "$PROM" --config.file="$S/prometheus.yml" \
	    --storage.tsdb.path="$S/data" --web.enable-lifecycle \
	    --web.listen-address="127.0.0.1:$PORT"
	start alertmanager "$AM" --config.file="$S/alertmanager.yml" \
	    --storage.path="$S/amdata" --cluster.listen-address= \
	    --web.listen-address="127.0.0.1:$AMPORT"
	wait_for curl -fs "http://127.0.0.1:$EXPORTER/metrics" || true
	if ! wait_for curl -fs "$AMU/-/ready" ||
	    ! wait_for sh -c "curl -fsG '$P/api/v1/query' --data-urlencode 'query=slo:burn_rate:ratio' | grep -q '\"value\"'"; then
		echo "services did not come up: $(tail -5 "$S"/*.log)" >&2
		return 1
	fi
	# the down target must have been down for TEND_DOWN_AFTER (3s)
	sleep 4
	cat > "$S/services.json" <<-EOF
	{"api": {"port": $API, "address": "127.0.0.1"},
	 "exporter": {"port": $EXPORTER, "address": "127.0.0.1"}}
	EOF
	# the shipped policy, with unwatched promoted for this test
	jq '.skills.unwatched.mode = "auto"' \
	    "$BATS_TEST_DIRNAME/../../pipelines/observability/policy.json" \
	    > "$S/policy.json"
}

teardown_file() {
	for p in prometheus alertmanager exporter api; do
		[ -f "$S/$p.pid" ] && kill "$(cat "$S/$p.pid")" 2> /dev/null
	done
	return 0
}

setup() {
	[ -f "$S/prometheus.pid" ] && [ -f "$S/alertmanager.pid" ] ||
		skip "prometheus or prometheus-alertmanager is not installed"
	export TEND_PROMETHEUS=$P TEND_ALERTMANAGER=$AMU \
	    TEND_RULE_FILES="$S/rules/slo.yml=$S/desired/slo.yml" \
	    TEND_DOWN_AFTER=3s TEND_SERVICES=$S/services.json \
	    TEND_FILE_SD=$S/file_sd TEND_SCOPE=testhost \
	    TEND_POLICY=$S/policy.json TEND_LOG=$S/obs.tlog.zst
	PIPE=$BATS_TEST_DIRNAME/../../pipelines/observability/run
	L=$S/obs.tlog.zst
	D=$BATS_TEST_TMPDIR
}

# events TYPE: the log's events of TYPE of run RUN, compact
events() {
	"$TEND_BIN/tend-log" cat --type "$1" ${2:+--run "$2"} "$L" | jq -c "${3:-.}"
}

@test "observability: the first run finds exactly the planted problems" {
	TEND_RUNID=obs-1 "$PIPE" "$S/work" > "$D/report"
	"$TEND_BIN/tend-log" verify "$L" > /dev/null
	# drift: the one rule file, at the changed expression only
	run events tend.drift.detected obs-1 '[.subject, .data.drift, .data.paths]'
	[ "$output" = "[\"prometheus:127.0.0.1:$PORT/rulefile$S/rules/slo.yml\",\"modified\",[\"/groups/0/rules/1/expr\"]]" ]
	# proposals: restore + reload, the down job, the burn (an incident
	# and its escalation), the unwatched api service; nothing else
	run events tend.action.proposed obs-1 '[.data.skill, (.data.escalate // false), .data.executor.type // null, .data.targets[0]]'
	echo "$output" > "$D/proposed"
	[ "$(grep -c rules-restore "$D/proposed")" -eq 2 ]
	grep -qx "\[\"down\",true,null,\"prometheus:127.0.0.1:$PORT/target/down/127.0.0.1:$DOWN\"\]" "$D/proposed"
	grep -qx "\[\"slo-burn\",true,null,\"prometheus:127.0.0.1:$PORT/slo-burn/slo:burn_rate:ratio{instance=\\\\\"127.0.0.1:$EXPORTER\\\\\",job=\\\\\"app\\\\\",slo=\\\\\"checkout\\\\\"}\"\]" "$D/proposed"
	grep -qx "\[\"unwatched\",false,\"file\",\"host:testhost/socket/tcp/127.0.0.1:$API\"\]" "$D/proposed"
	[ "${#lines[@]}" -eq 5 ]
	# the down escalation names the job, the target and its last error
	run events tend.action.proposed obs-1 'select(.data.skill == "down") | .data.reason'
	[[ $output == *"job down on 127.0.0.1:$PORT: 1 target down for more than 3s: 127.0.0.1:$DOWN ("*"connection refused"* ]]
	# one incident opened
	run events tend.incident.opened obs-1 '[.data.skill, .data.service, .data.title]'
	[ "$output" = '["slo-burn","checkout","SLO checkout burns its error budget at 50x"]' ]
}

@test "observability: the rule file restored, Prometheus reloaded, the new target written" {
	# restore and reload done, the file_sd entry written; nothing failed
	run events tend.action.succeeded obs-1 .subject
	[ "${#lines[@]}" -eq 3 ]
	[ -z "$(events 'tend.action.failed' obs-1)" ]
	# the two escalations (down, burn) are left to a human, not run
	run events tend.action.skipped obs-1 .data.reason
	[ "$output" = '"not-approved"
"not-approved"' ]
	# the file now says what the desired one does, and Prometheus loaded it
	run sh -c "curl -fs '$P/api/v1/rules' | jq -r '.data.groups[].rules[] | select(.type == \"alerting\") | .query'"
	[ "$output" = 'app_error_ratio > 0.1' ]
	# the exporter's neighbour is scraped from the file_sd entry
	[ "$(jq -c . "$S/file_sd/tend-api.json")" = "[{\"targets\":[\"127.0.0.1:$API\"],\"labels\":{\"job\":\"api\"}}]" ]
	wait_for sh -c "curl -fs '$P/api/v1/targets' | grep -q '127.0.0.1:$API'"
}

@test "observability: a second collect shows the drift gone" {
	"$TEND_BIN/tend-collect" --run check prometheus --rules "$P" \
	    | "$TEND_BIN/tend-normalize" \
	    | "$TEND_BIN/tend-diff" --desired "$S/work/desired.ndjson" > "$D/diff"
	run jq -c 'select(.type == "tend.drift.detected")' "$D/diff"
	[ -z "$output" ]
	run jq -c 'select(.type == "tend.diff.summary") | .data.modified' "$D/diff"
	[ "$output" = 0 ]
}

@test "observability: Alertmanager received the down and burn escalations" {
	run sh -c "curl -fs '$AMU/api/v2/alerts' | jq -r '.[] | .labels.skill' | sort"
	[ "$output" = "down
slo-burn" ]
}

@test "observability: the next clean observation resolves the incident; report slo shows its duration" {
	metrics 0
	wait_for sh -c "curl -fsG '$P/api/v1/query' --data-urlencode 'query=slo:burn_rate:ratio' | grep -q '\"0\"\\]'"
	sleep 1
	TEND_RUNID=obs-2 "$PIPE" "$S/work" > "$D/report"
	run events tend.incident.resolved obs-2 '[.data.incident_id, .data.skill]'
	opened=$(events tend.incident.opened obs-1 .data.incident_id)
	[ "$output" = "[$opened,\"slo-burn\"]" ]
	# nothing else to do: no drift, no new proposals but the down job's
	run events tend.action.proposed obs-2 .data.skill
	[ "$output" = '"down"' ]
	# the incident's duration: from the burn's observation to the clean one
	t0=$(events tend.incident.opened obs-1 .time)
	t1=$(events tend.incident.resolved obs-2 .time)
	"$TEND_BIN/tend-report" slo --format json "$L" > "$D/slo"
	run jq -c '.overall.incidents | [.opened, .resolved]' "$D/slo"
	[ "$output" = '[1,1]' ]
	# mttr_seconds is that one incident's duration (to the second)
	jq -e --argjson a "$t0" --argjson b "$t1" '
	    def secs: sub("(?<f>\\.[0-9]+)?Z$"; "Z") | fromdate;
	    (.overall.incidents.mttr_seconds - (($b | secs) - ($a | secs)))
	    | fabs <= 1' "$D/slo"
	(( $(jq '.overall.incidents.mttr_seconds' "$D/slo" | cut -d. -f1) >= 1 ))
	# and the postmortem page's timeline has the incident, opened and resolved
	"$BATS_TEST_DIRNAME/../../pipelines/postmortem/run" -o "$D/pm.html" "$L" 2> /dev/null
	[ "$(grep -o 'SLO checkout burns its error budget at 50x' "$D/pm.html" | head -1)" != "" ]
	grep -q 'burn rate back to 0x' "$D/pm.html"
}
