#!/usr/bin/env bats
# tend-collect prometheus's views (a query, --targets, --rules, --alerts,
# --rule-file) and what tend-normalize makes of them, against a scripted
# Prometheus API on 127.0.0.1 (test/fixtures/prom-server.py): the shapes,
# the order, and every error a user can meet.  Against a real Prometheus:
# test/e2e/collect-prometheus.bats.

setup_file() {
	export TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	export FIX=$BATS_TEST_DIRNAME/../fixtures
	export S=$BATS_FILE_TMPDIR
	PY=/usr/bin/python3
	[ -x "$PY" ] || PY=$(command -v python3)
	printf 'tend-planted-PROM-TOKEN-31c9\n' > "$S/token"
	"$PY" "$FIX/prom-server.py" --port-file "$S/port" \
	    --token-file "$S/token" > "$S/server.out" 2>&1 3>&- &
	echo $! > "$S/server.pid"
	for _ in $(seq 1 100); do
		if [ -s "$S/port" ] && curl -fs \
		    "http://127.0.0.1:$(cat "$S/port")/ok/api/v1/alerts" \
		    > /dev/null; then
			PORT=$(cat "$S/port")
			export PORT F=http://127.0.0.1:$PORT
			return 0
		fi
		sleep 0.1
	done
	echo "prom-server.py did not start: $(cat "$S/server.out")" >&2
	return 1
}

teardown_file() {
	[ -f "$S/server.pid" ] && kill "$(cat "$S/server.pid")"
	return 0
}

setup() {
	C=$TEND_BIN/tend-collect
	N=$TEND_BIN/tend-normalize
	D=$BATS_TEST_TMPDIR
}

# Runs tend-collect: stdout in $D/out, stderr in $D/err, status in $st.
col() {
	"$C" "$@" > "$D/out" 2> "$D/err" && st=0 || st=$?
}

# The rule file the fixture's /etc/prometheus/a.yml stands for, written
# as people write them: groups in their own order, durations in any
# unit, numbers where strings are meant.
rule_file_a() {
	cat > "$1" <<-'EOF'
	# node and disk rules
	groups:
	- name: node
	  interval: 15s
	  rules:
	  - alert: NodeDown
	    expr: up == 0
	    for: 90s
	    keep_firing_for: 500ms
	    labels:
	      severity: page
	    annotations:
	      summary: '{{ $labels.instance }} is down'
	  - alert: Soon
	    expr: vector(1)
	    for: 60m
	    keep_firing_for: 0s
	    labels: {}
	  - record: job:up:sum
	    expr: sum by (job) (up)
	    labels:
	      team: infra
	- name: disk
	  interval: 30s
	  rules:
	  - record: instance:disk:avail
	    expr: node_avail
	EOF
}

@test "prometheus: usage errors exit 2 and say why" {
	col prometheus "$F/ok"
	[ "$st" -eq 2 ]
	grep -q "tend-collect: prometheus: nothing to collect: give a query, --targets, --rules, --alerts or --rule-file" "$D/err"
	col prometheus
	[ "$st" -eq 2 ]
	grep -q "want a URL and at most one query" "$D/err"
	col prometheus "$F/ok" up down
	[ "$st" -eq 2 ]
	col prometheus --targets --kind probe "$F/ok"
	[ "$st" -eq 2 ]
	grep -q "prometheus: --kind applies to a query, and none is given" "$D/err"
	col prometheus --alerts --time 0 "$F/ok"
	[ "$st" -eq 2 ]
	grep -q "prometheus: --time applies to a query" "$D/err"
	col prometheus --kind target "$F/ok" up
	[ "$st" -eq 2 ]
	grep -q "tend-collect: --kind 'target': the kind of a view of its own" "$D/err"
	col prometheus --rule-file =x.yml "$F/ok"
	[ "$st" -eq 2 ]
	grep -q "tend-collect: --rule-file '=x.yml': want live\[=desired\], both non-empty" "$D/err"
	col prometheus --rule-file x.yml= "$F/ok"
	[ "$st" -eq 2 ]
	col prometheus --targets --key .x "$F/ok"
	[ "$st" -eq 2 ]
	grep -q "tend-collect: --key does not apply to source prometheus" "$D/err"
	[ ! -s "$D/out" ]
}

@test "prometheus: --help shows the views" {
	run "$C" --help
	[ "$status" -eq 0 ]
	[[ $output == *"tend-collect prometheus [--alerts] [--cacert file]"* ]]
	[[ $output == *"[--rules] [--targets] [--time time]"* ]]
	[[ $output == *"url [query]"* ]]
}

@test "prometheus: a query's results, named by labels, sorted, --kind" {
	col prometheus --run r "$F/ok" up
	[ "$st" -eq 0 ]
	run jq -r '[.subject, .data.kind, .data.source, .data.object.value, .data.object.time] | @tsv' "$D/out"
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "prometheus:127.0.0.1:$PORT/series/up{instance=\"10.0.0.1:9100\",job=\"node\"}	series	$F/ok/api/v1/query	1	2026-11-22T05:00:00.5Z" ]
	[ "${lines[1]}" = "prometheus:127.0.0.1:$PORT/series/up{instance=\"10.0.0.2:9100\",job=\"node\"}	series	$F/ok/api/v1/query	0	2026-11-22T05:00:00.5Z" ]
	col prometheus --run r --kind target-down "$F/ok" 'max_over_time(up[5m]) == 0'
	[ "$st" -eq 0 ]
	run jq -r '[.subject, .data.kind] | @tsv' "$D/out"
	[ "${lines[0]}" = "prometheus:127.0.0.1:$PORT/target-down/up{instance=\"10.0.0.1:9100\",job=\"node\"}	target-down" ]
}

@test "prometheus: --targets: job/instance (else pool/URL), the API's object" {
	col prometheus --run r --targets "$F/ok"
	[ "$st" -eq 0 ]
	[ ! -s "$D/err" ]
	run jq -r '[.subject, .data.kind, .data.source] | @tsv' "$D/out"
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[0]}" = "prometheus:127.0.0.1:$PORT/target/blackbox/http://10.0.0.9:80/probe	target	$F/ok/api/v1/targets" ]
	[ "${lines[1]}" = "prometheus:127.0.0.1:$PORT/target/node/10.0.0.1:9100	target	$F/ok/api/v1/targets" ]
	[ "${lines[2]}" = "prometheus:127.0.0.1:$PORT/target/node/10.0.0.2:9100	target	$F/ok/api/v1/targets" ]
	# the object is the API's, every member kept
	curl -fs "$F/ok/api/v1/targets?state=active" |
	    jq -cS '.data.activeTargets | sort_by(.scrapeUrl)' > "$D/want"
	jq -cS -s '[.[].data.object] | sort_by(.scrapeUrl)' "$D/out" > "$D/got"
	diff -u "$D/want" "$D/got"
	# the scope, as for a query
	col prometheus --run r --targets --scope prom-1 "$F/ok"
	[ "$(jq -r .subject "$D/out" | head -1)" = "prometheus:prom-1/target/blackbox/http://10.0.0.9:80/probe" ]
}

@test "prometheus: --rules: one resource per file, in the rule-file form" {
	col prometheus --run r --rules "$F/ok"
	[ "$st" -eq 0 ]
	run jq -r '[.subject, .data.name, .data.kind] | @tsv' "$D/out"
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "prometheus:127.0.0.1:$PORT/rulefile/etc/prometheus/a.yml	/etc/prometheus/a.yml	rulefile" ]
	[ "${lines[1]}" = "prometheus:127.0.0.1:$PORT/rulefile/etc/prometheus/b.yml	/etc/prometheus/b.yml	rulefile" ]
	cat > "$D/want" <<-'EOF'
	{"file":"/etc/prometheus/a.yml","groups":[{"name":"disk","interval":30,"rules":[{"record":"instance:disk:avail","expr":"node_avail","health":"unknown"}]},{"name":"node","interval":15,"rules":[{"alert":"NodeDown","expr":"up == 0","for":"1m30s","keep_firing_for":"500ms","labels":{"severity":"page"},"annotations":{"summary":"{{ $labels.instance }} is down"},"health":"ok","state":"firing"},{"alert":"Soon","expr":"vector(1)","for":"1h","health":"err","state":"inactive","lastError":"many-to-many"},{"record":"job:up:sum","expr":"sum by (job) (up)","labels":{"team":"infra"},"health":"ok"}]}]}
	{"file":"/etc/prometheus/b.yml","groups":[{"name":"zeta","interval":60,"rules":[{"alert":"Weekly","expr":"vector(0)","for":"2w","health":"ok","state":"inactive"}]}]}
	EOF
	jq -c .data.object "$D/out" > "$D/got"
	diff -u "$D/want" "$D/got"
}

@test "prometheus: --alerts: alertname{labels}, the API's object" {
	col prometheus --run r --alerts "$F/ok"
	[ "$st" -eq 0 ]
	run jq -r '[.subject, .data.object.state] | @tsv' "$D/out"
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "prometheus:127.0.0.1:$PORT/alert/DiskFull{instance=\"10.0.0.1:9100\"}	pending" ]
	[ "${lines[1]}" = "prometheus:127.0.0.1:$PORT/alert/NodeDown{instance=\"10.0.0.2:9100\",job=\"node\",severity=\"page\"}	firing" ]
	[ "$(jq -c .data.object "$D/out" | tail -1)" = '{"labels":{"alertname":"NodeDown","instance":"10.0.0.2:9100","job":"node","severity":"page"},"annotations":{"summary":"10.0.0.2:9100 is down"},"state":"firing","activeAt":"2026-11-22T05:00:00.5Z","value":"0e+00"}' ]
}

@test "prometheus: the views in one run: query, targets, rules, rule files, alerts" {
	rule_file_a "$D/a.yml"
	col prometheus --run r --now 2026-11-22T05:00:00Z --alerts \
	    --rule-file "$D/a.yml" --rules --targets "$F/ok" up
	[ "$st" -eq 0 ]
	run jq -r .data.kind "$D/out"
	[ "$(echo "$output" | uniq | tr '\n' ' ')" = "series target rulefile alert " ]
	[ "$(jq -r 'select(.data.kind == "rulefile") | .data.source' "$D/out" | tail -1)" = "$D/a.yml" ]
	# the same server state, the same bytes
	"$C" prometheus --run r --now 2026-11-22T05:00:00Z --alerts \
	    --rule-file "$D/a.yml" --rules --targets "$F/ok" up > "$D/again"
	cmp "$D/out" "$D/again"
}

@test "prometheus: --rule-file: YAML and JSON in the rule-file form, no server" {
	rule_file_a "$D/a.yml"
	# a dead URL: rule files need no request
	col prometheus --run r --rule-file /etc/prometheus/a.yml="$D/a.yml" \
	    http://127.0.0.1:1
	[ "$st" -eq 0 ]
	[ ! -s "$D/err" ]
	run jq -r '[.subject, .data.name, .data.source, .data.scope] | @tsv' "$D/out"
	[ "$output" = "prometheus:127.0.0.1:1/rulefile/etc/prometheus/a.yml	/etc/prometheus/a.yml	$D/a.yml	127.0.0.1:1" ]
	# groups in name order, durations as Prometheus prints them, zero
	# durations and empty maps left out, intervals in seconds
	[ "$(jq -c .data.object "$D/out")" = '{"file":"/etc/prometheus/a.yml","groups":[{"name":"disk","interval":30,"rules":[{"record":"instance:disk:avail","expr":"node_avail"}]},{"name":"node","interval":15,"rules":[{"alert":"NodeDown","expr":"up == 0","for":"1m30s","keep_firing_for":"500ms","labels":{"severity":"page"},"annotations":{"summary":"{{ $labels.instance }} is down"}},{"alert":"Soon","expr":"vector(1)","for":"1h"},{"record":"job:up:sum","expr":"sum by (job) (up)","labels":{"team":"infra"}}]}]}' ]
	# JSON, with every unit (years and weeks printed only when they
	# divide the duration), and values that are not strings
	cat > "$D/r.json" <<-'EOF'
	{"groups": [{"name": "g", "interval": "1m30s", "rules": [
	  {"alert": "A", "expr": "vector(1)", "for": "1y2w3d4h5m6s7ms",
	   "labels": {"n": 5, "b": true, "z": null}},
	  {"alert": "B", "expr": "vector(1)", "for": "300s"},
	  {"alert": "C", "expr": "vector(1)", "for": "14d"},
	  {"alert": "D", "expr": "vector(1)", "for": "8d", "keep_firing_for": 0},
	  {"alert": "E", "expr": "vector(1)", "for": "0"},
	  {"alert": "F", "expr": "vector(1)", "for": "52w1d"}]}]}
	EOF
	col prometheus --rule-file r.yml="$D/r.json" http://127.0.0.1:1
	[ "$st" -eq 0 ]
	[ "$(jq -c '.data.object.groups[0] | [.interval, (.rules[] | .for), .rules[0].labels]' "$D/out")" = '[90,"382d4h5m6s7ms","5m","2w","8d",null,"1y",{"n":"5","b":"true","z":""}]' ]
	# YAML in flow style, which is not JSON
	printf '{groups: [{name: a, rules: [{alert: A, expr: up, for: 60s}]}]}\n' \
	    > "$D/flow.yml"
	col prometheus --rule-file f.yml="$D/flow.yml" http://127.0.0.1:1
	[ "$st" -eq 0 ]
	[ "$(jq -c .data.object "$D/out")" = '{"file":"f.yml","groups":[{"name":"a","rules":[{"alert":"A","expr":"up","for":"1m"}]}]}' ]
	# LIVE alone is read from disk too
	cd "$D"
	col prometheus --rule-file r.json http://127.0.0.1:1
	[ "$st" -eq 0 ]
	[ "$(jq -r '[.data.name, .data.source] | @tsv' "$D/out")" = "r.json	r.json" ]
}

@test "prometheus: a rule file and the API's view of it normalise alike" {
	rule_file_a "$D/a.yml"
	"$C" prometheus --run r --rules "$F/ok" > "$D/live.ndjson"
	"$N" "$D/live.ndjson" > "$D/live.state"
	"$C" prometheus --run r --rule-file /etc/prometheus/a.yml="$D/a.yml" \
	    "$F/ok" > "$D/file.ndjson"
	"$N" "$D/file.ndjson" > "$D/file.state"
	live=$(jq -r 'select(.data.name == "/etc/prometheus/a.yml") | .data.digest' "$D/live.state")
	[ -n "$live" ]
	[ "$(jq -r .data.digest "$D/file.state")" = "$live" ]
	# the spec is the rule file's; the interval and the server's own
	# members are status
	[ "$(jq -c .data.spec "$D/file.state")" = '{"groups":[{"name":"disk","rules":[{"record":"instance:disk:avail","expr":"node_avail"}]},{"name":"node","rules":[{"alert":"NodeDown","expr":"up == 0","for":"1m30s","keep_firing_for":"500ms","labels":{"severity":"page"},"annotations":{"summary":"{{ $labels.instance }} is down"}},{"alert":"Soon","expr":"vector(1)","for":"1h"},{"record":"job:up:sum","expr":"sum by (job) (up)","labels":{"team":"infra"}}]}]}' ]
	[ "$(jq -c 'select(.data.name == "/etc/prometheus/a.yml") | .data.status' "$D/live.state")" = '{"file":"/etc/prometheus/a.yml","groups":[{"name":"disk","interval":30,"rules":[{"name":"instance:disk:avail","health":"unknown"}]},{"name":"node","interval":15,"rules":[{"name":"NodeDown","health":"ok","state":"firing"},{"name":"Soon","health":"err","state":"inactive","lastError":"many-to-many"},{"name":"job:up:sum","health":"ok"}]}]}' ]
	# one changed expression is one drift, at that rule
	sed 's/expr: vector(1)/expr: vector(2)/' "$D/a.yml" > "$D/a2.yml"
	"$C" prometheus --run r --rule-file /etc/prometheus/a.yml="$D/a2.yml" \
	    "$F/ok" > "$D/file2.ndjson"
	"$N" "$D/file2.ndjson" > "$D/desired"
	"$TEND_BIN/tend-diff" --desired "$D/desired" < "$D/live.state" > "$D/drift"
	run jq -c 'select(.type == "tend.drift.detected") | [.data.key, .data.drift, .data.patch]' "$D/drift"
	[ "$output" = "[\"prometheus:127.0.0.1:$PORT/rulefile/etc/prometheus/a.yml\",\"modified\",[{\"op\":\"replace\",\"path\":\"/groups/1/rules/1/expr\",\"value\":\"vector(2)\"}]]" ]
}

@test "prometheus: normalize: targets, alerts and series" {
	"$C" prometheus --run r --targets --alerts --kind probe "$F/ok" up \
	    > "$D/obs"
	"$N" "$D/obs" > "$D/state"
	run jq -c 'select(.data.kind == "target" and .data.name == "node/10.0.0.1:9100") | .data | [.labels, .owner, .spec, .status]' "$D/state"
	[ "$output" = '[{"instance":"10.0.0.1:9100","job":"node","team":"infra"},"infra",{"scrapePool":"node","scrapeUrl":"http://10.0.0.1:9100/metrics","scrapeInterval":"15s","scrapeTimeout":"10s"},{"health":"up","lastError":"","lastScrape":"2026-11-22T05:00:00.5Z","lastScrapeDuration":0.0034,"globalUrl":"http://web-1:9100/metrics"}]' ]
	# discoveredLabels are dropped
	! grep -q discoveredLabels "$D/state" || false
	run jq -c 'select(.data.kind == "alert" and (.data.name | startswith("NodeDown"))) | .data | [.labels.alertname, .spec, .status]' "$D/state"
	[ "$output" = '["NodeDown",{"state":"firing","annotations":{"summary":"10.0.0.2:9100 is down"}},{"activeAt":"2026-11-22T05:00:00.5Z","value":"0e+00"}]' ]
	run jq -c 'select(.data.kind == "probe") | .data | [.labels.instance, .spec, .status]' "$D/state"
	[ "${lines[0]}" = '["10.0.0.1:9100",{"value":1},{"time":"2026-11-22T05:00:00.5Z"}]' ]
	# a health change is status, not drift
	[ "$(jq -r 'select(.data.kind == "target") | .data.digest' "$D/state" | sort -u | wc -l)" -eq 3 ]
	jq -c 'select(.data.name == "node/10.0.0.1:9100") | .data.object.health = "down"' "$D/obs" > "$D/obs2"
	"$N" "$D/obs2" > "$D/state2"
	[ "$(jq -r .data.digest "$D/state2")" = "$(jq -r 'select(.data.name == "node/10.0.0.1:9100") | .data.digest' "$D/state")" ]
}

@test "prometheus: the API's errors: bad_data 3, unavailable 4, credentials 4" {
	for v in --targets --rules --alerts; do
		col prometheus $v "$F/baddata"
		[ "$st" -eq 3 ]
		[ "$(cat "$D/err")" = "tend-collect: $F/baddata/api/v1/${v#--}: prometheus: bad_data: invalid parameter" ]
		col prometheus $v "$F/unavailable"
		[ "$st" -eq 4 ]
		[ "$(cat "$D/err")" = "tend-collect: $F/unavailable/api/v1/${v#--}: prometheus: unavailable: starting up" ]
		col prometheus $v "$F/auth"
		[ "$st" -eq 4 ]
		grep -q "unauthorized" "$D/err"
		col prometheus $v --token-file "$S/token" "$F/auth"
		[ "$st" -eq 0 ]
		[ -s "$D/out" ]
		! grep -q PROM-TOKEN "$D/out" "$D/err" || false
	done
	col prometheus --rules --retries 0 --timeout 2 http://127.0.0.1:1
	[ "$st" -eq 4 ]
}

@test "prometheus: answers that are not the API's exit 3 and say why" {
	col prometheus --targets "$F/malformed"
	[ "$st" -eq 3 ]
	[ "$(cat "$D/err")" = "tend-collect: $F/malformed/api/v1/targets:1: a targets response without a data.activeTargets list" ]
	col prometheus --rules "$F/malformed"
	[ "$st" -eq 3 ]
	[ "$(cat "$D/err")" = "tend-collect: $F/malformed/api/v1/rules:1: rule group 1 has no name, file or rules list" ]
	col prometheus --rules "$F/badrule"
	[ "$st" -eq 3 ]
	[ "$(cat "$D/err")" = "tend-collect: $F/badrule/api/v1/rules:1: group 'g': rule 1 is neither alerting nor recording" ]
	col prometheus --alerts "$F/malformed"
	[ "$st" -eq 3 ]
	[ "$(cat "$D/err")" = "tend-collect: $F/malformed/api/v1/alerts:1: alert 1 has no labels object" ]
	col prometheus --alerts "$F/notjson"
	[ "$st" -eq 3 ]
	[[ $(cat "$D/err") == "tend-collect: $F/notjson/api/v1/alerts:1: not a Prometheus API response: invalid JSON"* ]]
	# nothing of a view that failed is written
	col prometheus --targets --rules "$F/badrule"
	[ "$st" -eq 3 ]
	[ ! -s "$D/out" ]
}

@test "prometheus: --rule-file: bad files exit 3 naming file and line" {
	bad() {	# expected message after FILE:, then the file's text
		local want=$1
		shift
		printf -- "$@" > "$D/bad"
		col prometheus --rule-file live.yml="$D/bad" http://127.0.0.1:1
		[ "$st" -eq 3 ] || { echo "status $st for $want"; return 1; }
		[ "$(cat "$D/err")" = "tend-collect: $D/bad:$want" ] ||
		    { echo "got: $(cat "$D/err")"; return 1; }
		[ ! -s "$D/out" ]
	}
	bad "1: not a Prometheus rule file: want groups: [...]" '- a\n- b\n'
	bad "2: not a Prometheus rule file: want groups: [...]" '# x\ngroups: {}\n'
	bad "1: not a Prometheus rule file: it is empty" '\n'
	bad "2: group 1 has no name" 'groups:\n- rules: []\n- name: x\n  rules: []\n'
	bad "2: group 'x' has no rules list" 'groups:\n- name: x\n  interval: 1m\n'
	bad "6: group 'a' is repeated (Prometheus refuses the file)" \
	    'groups:\n- name: a\n  rules: []\n- name: b\n  rules: []\n- name: a\n  rules: []\n'
	bad "3: group 'a': interval '1x' is not a duration (like 1m)" \
	    'groups:\n- name: a\n  interval: 1x\n  rules: []\n'
	bad "6: group 'a': rule 2 has both alert and record" \
	    'groups:\n- name: a\n  rules:\n  - alert: A\n    expr: up\n  - alert: B\n    record: b\n    expr: up\n'
	bad "6: group 'a': rule 2 has neither alert nor record" \
	    'groups:\n- name: a\n  rules:\n  - alert: A\n    expr: up\n  - labels: {}\n    expr: up\n'
	bad "4: group 'a': rule A has no expr" \
	    'groups:\n- name: a\n  rules:\n  - alert: A\n    labels: {x: y}\n'
	bad "6: group 'a': rule A: for '5x' is not a duration (like 1h30m)" \
	    'groups:\n- name: a\n  rules:\n  - alert: A\n    expr: up\n    for: 5x\n'
	bad "6: group 'a': rule A: for '1m1h' is not a duration (like 1h30m)" \
	    'groups:\n- name: a\n  rules:\n  - alert: A\n    expr: up\n    for: 1m1h\n'
	bad "6: group 'a': rule A: for '300' is not a duration (like 1h30m)" \
	    'groups:\n- name: a\n  rules:\n  - alert: A\n    expr: up\n    for: 300\n'
	bad "6: group 'a': rule A: label 'x' is not a string" \
	    'groups:\n- name: a\n  rules:\n  - alert: A\n    expr: up\n    labels:\n      x: [1]\n'
	bad "4: group 'a': rule r: for in a recording rule" \
	    '{"groups": [\n {"name": "a", "rules": [\n  {"alert": "A", "expr": "up", "for": "1h"},\n  {"record": "r", "expr": "up", "for": "1m"}]}]}\n'
	bad "3: invalid JSON at byte 40: expected a value" \
	    '{"groups": [\n {"name": "a",\n "rules": [}\n'
	bad "2: YAML: while parsing a flow node did not find expected node content" \
	    'groups: [\n'
	col prometheus --rule-file live.yml="$D/nonexistent.yml" http://127.0.0.1:1
	[ "$st" -eq 4 ]
	[ "$(cat "$D/err")" = "tend-collect: cannot open '$D/nonexistent.yml': No such file or directory" ]
}

@test "prometheus: --rule-file --keep-going: a bad file is reported and left out" {
	rule_file_a "$D/a.yml"
	printf 'groups:\n- name: a\n  rules:\n  - alert: A\n' > "$D/bad.yml"
	col prometheus -k --run r --rule-file b.yml="$D/bad.yml" \
	    --rule-file a.yml="$D/a.yml" http://127.0.0.1:1
	[ "$st" -eq 3 ]
	[ "$(cat "$D/err")" = "tend-collect: $D/bad.yml:4: group 'a': rule A has no expr" ]
	run jq -r '[.type, .data.name // .data.line] | @tsv' "$D/out"
	[ "${lines[0]}" = "tend.error	4" ]
	[ "${lines[1]}" = "tend.resource.observed	a.yml" ]
	[ "${#lines[@]}" -eq 2 ]
}
