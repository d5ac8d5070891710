#!/usr/bin/env bats
# pipelines/network against a real Alertmanager (Debian's
# prometheus-alertmanager) on 127.0.0.1: a listener this test starts on a
# free port, not on the allow-list, is escalated and Alertmanager holds
# the alert.

setup_file() {
	export TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	export S=$BATS_FILE_TMPDIR
	AM=$(command -v prometheus-alertmanager || command -v alertmanager) || return 0
	free_port() {
		python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
	}
	PORT=$(free_port)
	LPORT=$(free_port)
	export PORT LPORT
	export U=http://127.0.0.1:$PORT
	cat > "$S/alertmanager.yml" <<-EOF
	route:
	  receiver: blackhole
	  group_by: [alertname, action_id]
	receivers:
	- name: blackhole
	EOF
	"$AM" --config.file="$S/alertmanager.yml" --storage.path="$S/data" \
	    --web.listen-address="127.0.0.1:$PORT" --cluster.listen-address= \
	    > "$S/alertmanager.log" 2>&1 3>&- &
	echo $! > "$S/alertmanager.pid"
	# the exposed listener: every address, a port nobody allowed; it
	# only listens, nothing connects to it
	python3 -c 'import socket, time
s = socket.socket(); s.bind(("0.0.0.0", '"$LPORT"')); s.listen(1)
time.sleep(600)' 3>&- &
	echo $! > "$S/listener.pid"
	for _ in $(seq 1 300); do
		curl -fs "$U/-/ready" > /dev/null &&
		    grep -q ":$(printf '%04X' "$LPORT") 00000000:0000 0A" /proc/net/tcp &&
		    return 0
		sleep 0.1
	done
	echo "alertmanager or the listener did not come up: $(tail -5 "$S/alertmanager.log")" >&2
	return 1
}

teardown_file() {
	[ -f "$S/alertmanager.pid" ] && kill "$(cat "$S/alertmanager.pid")"
	[ -f "$S/listener.pid" ] && kill "$(cat "$S/listener.pid")"
	return 0
}

setup() {
	[ -f "$S/alertmanager.pid" ] || skip "prometheus-alertmanager is not installed"
	P=$BATS_TEST_DIRNAME/../../pipelines/network
	# the pipeline's policy with the sockets skill promoted
	jq '.skills.sockets.mode = "auto"' "$P/policy.json" > "$S/policy.json"
	cat > "$S/allow.yaml" <<-EOF
	sockets:
	  allow:
	  - {proto: tcp, port: 22}
	EOF
	export TEND_ALLOW=$S/allow.yaml TEND_POLICY=$S/policy.json
	export TEND_ALERTMANAGER=$U TEND_LOG=$S/net.tlog.zst TEND_SCOPE=e2e-net
}

@test "an exposed listener is escalated to Alertmanager" {
	TEND_RUNID=net-1 run "$P/run" "$S/work"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	key="host:e2e-net/socket/tcp/0.0.0.0:$LPORT"
	[[ $output == *"$key"* ]]
	[[ $output == *"escalated"*"notified alertmanager"* ]]
	# Alertmanager has it
	for _ in $(seq 1 50); do
		curl -fs "$U/api/v2/alerts" > "$S/alerts.json"
		grep -q "0.0.0.0:$LPORT" "$S/alerts.json" && break
		sleep 0.1
	done
	grep -q "0.0.0.0:$LPORT" "$S/alerts.json"
	# the log records the escalation with who was notified
	"$TEND_BIN/tend-log" cat --type tend.action.escalated --subject "$key" \
	    "$S/net.tlog.zst" > "$S/esc"
	run jq -r '.data.notified | join(",")' "$S/esc"
	[ "$output" = "alertmanager" ]
}
