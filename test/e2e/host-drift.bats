#!/usr/bin/env bats
# pipelines/host-drift against a real nginx (Debian's nginx-light),
# started here on 127.0.0.1 with a free port and its own prefix: its
# config drifts, the pipeline restores it from the baseline and reloads
# nginx, and nginx then serves what the baseline says.

nginx_conf() {	# the body nginx answers with
	cat <<-EOF
	# nginx of test/e2e/host-drift.bats
	worker_processes 1;
	pid $N/nginx.pid;
	error_log $N/error.log;
	events { worker_connections 64; }
	http {
		access_log off;
		client_body_temp_path $N/tmp;
		proxy_temp_path $N/tmp;
		fastcgi_temp_path $N/tmp;
		uwsgi_temp_path $N/tmp;
		scgi_temp_path $N/tmp;
		server {
			listen 127.0.0.1:$PORT;
			location / { return 200 "$1\n"; }
		}
	}
	EOF
}

# (not NGINX: nginx reads that variable for inherited sockets)
setup_file() {
	export TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	export S=$BATS_FILE_TMPDIR
	export N=$S/nginx
	NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
	[ -x "$NGINX_BIN" ] || return 0
	export NGINX_BIN
	PORT=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	export PORT
	mkdir -p "$N/tmp" "$S/baseline/files$N"
	# the baseline: how nginx should be configured
	nginx_conf desired > "$S/baseline/files$N/nginx.conf"
	chmod 644 "$S/baseline/files$N/nginx.conf"
	printf '{"%s": ["%s", "-p", "%s", "-c", "%s", "-s", "reload"]}\n' \
	    "$N/nginx.conf" "$NGINX_BIN" "$N" "$N/nginx.conf" \
	    > "$S/baseline/reload.json"
	# a sysctl the baseline names at its current value: read, no drift
	echo "net.ipv4.ip_forward = $(cat /proc/sys/net/ipv4/ip_forward)" \
	    > "$S/baseline/sysctl.conf"
	# the running nginx, configured by hand since
	nginx_conf drifted > "$N/nginx.conf"
	chmod 644 "$N/nginx.conf"
	"$NGINX_BIN" -p "$N" -c "$N/nginx.conf" > "$S/nginx.out" 2>&1 3>&-
	for _ in $(seq 1 100); do
		curl -fs "http://127.0.0.1:$PORT/" > /dev/null && return 0
		sleep 0.1
	done
	echo "nginx did not come up: $(cat "$S/nginx.out" "$N/error.log")" >&2
	return 1
}

teardown_file() {
	[ -f "$N/nginx.pid" ] && kill "$(cat "$N/nginx.pid")"
	return 0
}

setup() {
	[ -n "${NGINX_BIN-}" ] || skip "nginx is not installed"
	[ "$(id -u)" -eq 0 ] || skip "restoring files as their owner needs root"
	W=$S/work
	export TEND_BASELINE=$S/baseline TEND_LOG=$S/host.tlog.zst
	export TEND_SCOPE=e2e-host
}

# nginx's answer, once it has (re)loaded.
answer_is() {
	for _ in $(seq 1 50); do
		[ "$(curl -fs "http://127.0.0.1:$PORT/")" = "$1" ] && return 0
		sleep 0.1
	done
	echo "nginx answers '$(curl -fs "http://127.0.0.1:$PORT/")', not '$1'"
	return 1
}

@test "drift: nginx serves the hand-edited config" {
	answer_is drifted
}

@test "host-drift restores nginx.conf and reloads nginx" {
	TEND_RUNID=e2e-1 run "$BATS_TEST_DIRNAME/../../pipelines/host-drift/run" "$W"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ $output == *"host-drift: e2e-host matches its baseline"* ]]
	cmp "$S/baseline/files$N/nginx.conf" "$N/nginx.conf"
	answer_is desired
	# the log tells the story: drift, proposal, approval, write, reload
	"$TEND_BIN/tend-report" timeline --format json --run e2e-1 "$TEND_LOG" > "$S/tl.json"
	run jq -r --arg k "host:e2e-host/file$N/nginx.conf" '.runs[0].resources[] | select(.key == $k) | [.steps[].stage] | join(" ")' "$S/tl.json"
	[ "$output" = "state drift proposed proposed approved approved started succeeded started succeeded" ]
	"$TEND_BIN/tend-log" verify --quiet "$TEND_LOG"
}

@test "a second run finds nothing to do" {
	TEND_RUNID=e2e-2 run "$BATS_TEST_DIRNAME/../../pipelines/host-drift/run" "$W"
	[ "$status" -eq 0 ]
	run "$TEND_BIN/tend-log" cat --run e2e-2 --type 'tend.action.*' "$TEND_LOG"
	[ -z "$output" ]
	answer_is desired
}

@test "the SLO report sees the drift resolved by the verifying collect" {
	"$TEND_BIN/tend-report" slo --format json "$TEND_LOG" > "$S/slo.json"
	run jq -c '[.overall.drift.detected, .overall.drift.resolved, .overall.drift.open]' "$S/slo.json"
	[ "$output" = "[1,1,0]" ]
}
