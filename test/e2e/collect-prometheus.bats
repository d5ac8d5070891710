#!/usr/bin/env bats
# tend-collect prometheus against a real Prometheus (Debian's package),
# started here on 127.0.0.1 with a free port, scraping itself.

setup_file() {
	export TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	export S=$BATS_FILE_TMPDIR
	command -v prometheus > /dev/null || return 0
	PY=/usr/bin/python3
	[ -x "$PY" ] || PY=$(command -v python3)
	export PORT=$("$PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	export P=http://127.0.0.1:$PORT
	cat > "$S/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	  evaluation_interval: 1s
	scrape_configs:
	- job_name: prometheus
	  static_configs:
	  - targets: ['127.0.0.1:$PORT']
	EOF
	prometheus --config.file="$S/prometheus.yml" \
	    --storage.tsdb.path="$S/data" \
	    --web.listen-address="127.0.0.1:$PORT" \
	    > "$S/prometheus.log" 2>&1 3>&- &
	echo $! > "$S/prometheus.pid"
	# ready, and the first scrape stored
	for i in $(seq 1 300); do
		if curl -fs "$P/-/ready" > /dev/null &&
		    curl -fs "$P/api/v1/query?query=up" | grep -q '"value"'; then
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
	D=$BATS_TEST_TMPDIR
}

@test "up: one series, named by its labels, value and time" {
	"$C" prometheus --run r "$P" up > "$D/out" 2> "$D/err"
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
	"$C" prometheus "$P" 'up[10s]' > "$D/out"
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
