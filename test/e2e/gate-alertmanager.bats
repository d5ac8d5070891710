#!/usr/bin/env bats
# tend-gate escalations to a real Alertmanager (Debian's
# prometheus-alertmanager), started here on 127.0.0.1 with a free port and
# no clustering; the test reads the alerts back from its API.

setup_file() {
	export TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	export S=$BATS_FILE_TMPDIR
	AM=$(command -v prometheus-alertmanager || command -v alertmanager) || return 0
	"$TEND_BIN/tend-gate" keygen --name gate.test/e2e "$S/gate.key" "$S/gate.pub"
	PY=/usr/bin/python3
	[ -x "$PY" ] || PY=$(command -v python3)
	PORT=$("$PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	export PORT
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
	for i in $(seq 1 300); do
		curl -fs "$U/-/ready" > /dev/null && return 0
		sleep 0.1
	done
	echo "alertmanager did not come up: $(tail -5 "$S/alertmanager.log")" >&2
	return 1
}

teardown_file() {
	[ -f "$S/alertmanager.pid" ] && kill "$(cat "$S/alertmanager.pid")"
	return 0
}

setup() {
	[ -f "$S/alertmanager.pid" ] || skip "prometheus-alertmanager is not installed"
	G=$TEND_BIN/tend-gate
	D=$BATS_TEST_TMPDIR
	P=$BATS_TEST_DIRNAME/../gate/policy.json
}

# prop ID RISK RUNID: a proposal of skill revert on a ConfigMap.
prop() {
	jq -cn --arg id "$1" --arg r "$2" --arg run "$3" '{
	    specversion: "1.0", id: ("prop-" + $id + $run), source: "tend-plan",
	    type: "tend.action.proposed", time: "2026-11-23T11:59:00Z",
	    subject: ("k8s:prod/core/ConfigMap/shop/" + $id), runid: $run,
	    data: {action_id: $id, idempotency_key: ($id + $run), skill: "revert",
	      domain: "config", targets: [("k8s:prod/core/ConfigMap/shop/" + $id)],
	      executor: {type: "http", method: "PATCH", url: "https://k/x", body: {}},
	      credential: "k8s-writer", risk: $r, reason: ("drift on " + $id)}}'
}

# alerts ACTION-ID: the alerts Alertmanager holds for it, as JSON lines.
alerts() {
	curl -fs "$U/api/v2/alerts" | jq -c --arg id "$1" '.[] | select(.labels.action_id == $id)'
}

@test "an escalation arrives with stable labels and its reasons" {
	prop am-1 high run-1 > "$D/in"
	prop am-ok low run-1 >> "$D/in"
	"$G" --policy "$P" --key "$S/gate.key" --now 2026-11-23T12:00:00Z \
	    --notify-alertmanager "$U" < "$D/in" > "$D/out"
	run jq -c '[.data.action_id, .data.notified]' "$D/out"
	[ "$output" = '["am-1",["alertmanager"]]
["am-ok",null]' ]
	run alerts am-1
	[ "${#lines[@]}" -eq 1 ]
	run jq -c '.labels' <<< "${lines[0]}"
	[ "$output" = '{"action_id":"am-1","alertname":"TendActionEscalated","skill":"revert","source":"tend-gate","target":"k8s:prod/core/ConfigMap/shop/am-1"}' ]
	run jq -r '[.annotations.reasons, .annotations.runid, .annotations.summary, .status.state] | @tsv' <<< "$(alerts am-1)"
	[ "$output" = "risk high: human (risk.high)	run-1	drift on am-1	active" ]
	[ -z "$(alerts am-ok)" ]
}

@test "the same held action escalated by ten runs is one alert, not ten" {
	for i in $(seq 1 10); do
		prop am-ten high "run-$i" | "$G" --policy "$P" --key "$S/gate.key" \
		    --now 2026-11-23T12:00:00Z --notify-alertmanager "$U/" > "$D/out"
		[ "$(jq -c .data.notified "$D/out")" = '["alertmanager"]' ]
	done
	run alerts am-ten
	[ "${#lines[@]}" -eq 1 ]
	# refreshed by the last run
	[ "$(jq -r .annotations.runid <<< "${lines[0]}")" = run-10 ]
	# a batch of escalations in one run: one alert each
	for i in 1 2 3; do prop "am-b$i" high run-b; done > "$D/in"
	"$G" --policy "$P" --key "$S/gate.key" --now 2026-11-23T12:00:00Z \
	    --notify-alertmanager "$U/api/v2/alerts" < "$D/in" > "$D/out"
	for i in 1 2 3; do
		[ "$(alerts "am-b$i" | wc -l)" -eq 1 ]
	done
}

@test "a receiver that is down: reported, exit 4, the decisions still written" {
	prop am-down high run-1 > "$D/in"
	run "$G" --policy "$P" --key "$S/gate.key" --now 2026-11-23T12:00:00Z \
	    --notify-alertmanager http://127.0.0.1:1 < "$D/in"
	[ "$status" -eq 4 ]
	[[ ${lines[0]} == "tend-gate: alertmanager: cannot notify http://127.0.0.1:1/api/v2/alerts: "* ]]
	[[ ${lines[1]} == *'"type":"tend.action.escalated"'*'"notified":[]'* ]]
	# an alert Alertmanager refuses (an empty label name is not allowed,
	# so send to a path that is not the API): HTTP error, exit 4
	run "$G" --policy "$P" --key "$S/gate.key" --now 2026-11-23T12:00:00Z \
	    --notify-alertmanager "$U/nothing-here" < "$D/in"
	[ "$status" -eq 4 ]
	[[ ${lines[0]} == "tend-gate: alertmanager: $U/nothing-here/api/v2/alerts answered HTTP "* ]]
}
