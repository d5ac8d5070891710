#!/usr/bin/env bats
# tend-plan: what a user sees on stdout, stderr and in the exit status.
# The shipped skills have their own file, plan-skills.bats.

setup() {
	TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	CONF=${TEND_CONFORMANCE:-$BATS_TEST_DIRNAME/../../../shared/conformance}
	P=$TEND_BIN/tend-plan
	D=$BATS_TEST_TMPDIR
	NOW=2026-11-22T06:00:00Z
	export TEND_NOW=$NOW
	mkdir -p "$D/s"
	# two drift events and a state event
	DRIFT1='{"specversion":"1.0","id":"d1","source":"tend-diff","type":"tend.drift.detected","time":"2026-11-22T05:00:00Z","subject":"k8s:prod/apps/Deployment/shop/web","runid":"r1","data":{"key":"k8s:prod/apps/Deployment/shop/web","provider":"k8s","kind":"Deployment","name":"web","drift":"modified","observed_digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","patch":[{"op":"replace","path":"/spec/replicas","value":3}],"paths":["/spec/replicas"]}}'
	DRIFT2='{"specversion":"1.0","id":"d2","source":"tend-diff","type":"tend.drift.detected","time":"2026-11-22T05:00:01Z","subject":"k8s:prod/apps/Deployment/shop/api","runid":"r1","data":{"key":"k8s:prod/apps/Deployment/shop/api","provider":"k8s","kind":"Deployment","name":"api","drift":"modified","patch":[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"api:2"}],"paths":["/spec/template/spec/containers/0/image"]}}'
	STATE='{"specversion":"1.0","id":"s1","source":"tend-normalize","type":"tend.resource.state","time":"2026-11-22T05:00:00Z","subject":"k8s:prod/apps/Deployment/shop/web","runid":"r1","data":{"key":"k8s:prod/apps/Deployment/shop/web","provider":"k8s","kind":"Deployment","name":"web","spec":{"spec":{"replicas":5}},"digest":"sha256:2222222222222222222222222222222222222222222222222222222222222222"}}'
	printf '%s\n%s\n' "$DRIFT1" "$DRIFT2" > "$D/drift"
}

# skill NAME PROGRAM [METADATA-MEMBERS]: writes $D/s/NAME.jq and .json.
skill() {
	printf '%s\n' "$2" > "$D/s/$1.jq"
	printf '{"name":"%s","domain":"config","description":"test","inputs":["tend.drift.detected"],"risk":"low","mode":"shadow"%s}\n' \
	    "$1" "${3:+,$3}" > "$D/s/$1.json"
}

REVERT='{executor: {type: "http", method: "PATCH", url: "https://k8s.example/\(.data.name)", headers: {"Content-Type": "application/json-patch+json"}, body: .data.patch}, reason: "revert \(.subject)"}'

@test "--help prints the synopsis on stdout and exits 0" {
	run "$P" --help
	[ "$status" -eq 0 ]
	[ "$output" = "usage: tend-plan [-hkV] [--data name=file] [--log file] [--max-line bytes]
                 [--now time] [--osv file | dir]
                 [--osv-ecosystem ecosystem] [--timeout seconds] skill ..." ]
}

@test "--version; unknown option and no skill are usage errors (2)" {
	run "$P" --version
	[ "$status" -eq 0 ]
	[[ $output == "tend-plan (tend) "* ]]
	run "$P" --frobnicate x
	[ "$status" -eq 2 ]
	[[ $output == *"usage: tend-plan"* ]]
	run "$P" < /dev/null
	[ "$status" -eq 2 ]
}

@test "a skill's outputs become tend.action.proposed events that validate" {
	skill revert "$REVERT"
	"$P" "$D/s" < "$D/drift" > "$D/out"
	[ "$(wc -l < "$D/out")" -eq 2 ]
	"$TEND_BIN/tend-validate" < "$D/out" > /dev/null
	run jq -r '[.type, .source, .subject, .causeid, .runid, .time, .data.skill, .data.domain, .data.risk, .data.mode, (.data.targets | join(",")), (.data.causes | join(",")), .data.blast_radius.count, .data.state_digest // "-", .data.rollback] | @tsv' "$D/out"
	[ "${lines[0]}" = "tend.action.proposed	tend-plan	k8s:prod/apps/Deployment/shop/web	d1	r1	2026-11-22T05:00:00Z	revert	config	low	shadow	k8s:prod/apps/Deployment/shop/web	d1	1	sha256:1111111111111111111111111111111111111111111111111111111111111111	" ]
	[ "${lines[1]}" = "tend.action.proposed	tend-plan	k8s:prod/apps/Deployment/shop/api	d2	r1	2026-11-22T05:00:01Z	revert	config	low	shadow	k8s:prod/apps/Deployment/shop/api	d2	1	-	" ]
	run jq -c '.data.executor' "$D/out"
	[ "${lines[0]}" = '{"type":"http","method":"PATCH","url":"https://k8s.example/web","headers":{"Content-Type":"application/json-patch+json"},"body":[{"op":"replace","path":"/spec/replicas","value":3}]}' ]
}

@test "action id: SHA-256 of the canonical {executor, skill, targets}; ids derived" {
	skill revert "$REVERT"
	"$P" "$D/s" < "$D/drift" > "$D/out"
	want=$(head -1 "$D/out" | jq -cS '.data | {executor, skill, targets}' | tr -d '\n' | sha256sum | cut -c1-64)
	[ "$(head -1 "$D/out" | jq -r .data.action_id)" = "$want" ]
	want=$(head -1 "$D/out" | jq -cS '[.runid, .type, .subject, .causeid, .data]' | tr -d '\n' | sha256sum | cut -c1-32)
	[ "$(head -1 "$D/out" | jq -r .id)" = "$want" ]
	want=$(head -1 "$D/out" | jq -cS '[.data.action_id, .data.state_digest, .runid]' | tr -d '\n' | sha256sum | cut -c1-32)
	[ "$(head -1 "$D/out" | jq -r .data.idempotency_key)" = "$want" ]
}

@test "the same input twice gives byte-identical output (TEND_NOW or --now)" {
	skill revert "$REVERT"
	skill esc '{escalate: true, reason: "look at \(.subject) at \($now)"}'
	"$P" "$D/s" < "$D/drift" > "$D/a"
	unset TEND_NOW
	"$P" --now "$NOW" "$D/s" < "$D/drift" > "$D/b"
	cmp "$D/a" "$D/b"
	[ "$(wc -l < "$D/a")" -eq 4 ]
	grep -q "at 2026-11-22T06:00:00Z" "$D/a"
}

@test "events no skill reads are not passed on" {
	skill revert "$REVERT"
	printf '%s\n%s\n' "$STATE" '{"specversion":"1.0","id":"x","source":"/s","type":"com.example.thing","data":1}' > "$D/in"
	run "$P" "$D/s" < "$D/in"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "skills run in name order per input; a directory or single files" {
	skill b-second '{escalate: true, reason: "b"}'
	skill a-first '{escalate: true, reason: "a"}'
	run sh -c "\"$P\" \"$D/s\" < \"$D/drift\" | jq -r .data.reason"
	[ "$output" = "a
b
a
b" ]
	run sh -c "\"$P\" \"$D/s/b-second.json\" < \"$D/drift\" | jq -r .data.reason"
	[ "$output" = "b
b" ]
}

@test "a syntax error names the skill's file and line and stops (3)" {
	skill ok '{escalate: true, reason: "ok"}'
	skill broken '{escalate: true,
reason: "x" +}'
	run "$P" "$D/s" < "$D/drift"
	[ "$status" -eq 3 ]
	[[ ${lines[0]} == "tend-plan: $D/s/broken.jq:2: syntax error, unexpected "*", line 2" ]]
	[ "${#lines[@]}" -eq 1 ]
}

@test "--keep-going: a broken skill is a tend.error, the others still run" {
	skill ok '{escalate: true, reason: "ok"}'
	skill broken '{escalate: true,
reason: "x" +}'
	"$P" -k "$D/s" < "$D/drift" > "$D/out" 2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 3 ]
	[[ $(cat "$D/err") == "tend-plan: $D/s/broken.jq:2: syntax error"* ]]
	run jq -r '[.type, .data.file, .data.line, .data.program] | @tsv' "$D/out"
	[ "${lines[0]}" = "tend.error	$D/s/broken.jq	2	tend-plan" ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(jq -r 'select(.type == "tend.action.proposed") | .data.skill' "$D/out" | sort -u)" = ok ]
	"$TEND_BIN/tend-validate" < "$D/out" > /dev/null
}

@test "a runtime error names the input's line and the skill; nothing of that run is written" {
	skill ok '{escalate: true, reason: "ok"}'
	skill picky 'if .id == "d2" then {escalate: true, reason: "first"}, (.data.name | .x) else empty end'
	run "$P" "$D/s" < "$D/drift"
	[ "$status" -eq 3 ]
	[ "${lines[0]}" = "tend-plan: <stdin>:2: $D/s/picky.jq: Cannot index string with string \"x\"" ]
	"$P" -k "$D/s" < "$D/drift" > "$D/out" 2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 3 ]
	run jq -r '[.type, .data.reason // .data.message] | @tsv' "$D/out"
	[ "$output" = "tend.action.proposed	ok
tend.action.proposed	ok
tend.error	$D/s/picky.jq: Cannot index string with string \"x\"" ]
	[ "$(jq -r 'select(.type == "tend.error") | .data.line' "$D/out")" = 2 ]
}

@test "outputs that are not valid actions are refused with the reason" {
	bad() {
		skill bad "$1"
		run "$P" "$D/s/bad.jq" < "$D/drift"
		[ "$status" -eq 3 ] || { echo "status $status for $1"; return 1; }
		[ "${lines[0]}" = "tend-plan: <stdin>:1: $D/s/bad.jq: output 1: $2" ] ||
		    { echo "got: ${lines[0]}"; return 1; }
	}
	bad '{executor: {type: "exec", argv: ["true"]}}' '/reason: missing (say why, in words)'
	bad '{reason: "x"}' '/executor: missing (only an escalation may have none)'
	bad '{reason: "x", executor: {type: "ssh"}}' '/executor/type: must be http, exec or file'
	bad '{reason: "x", executor: {type: "exec", argv: []}}' '/executor/argv: missing or empty (a command is an array of strings, no shell)'
	bad '{reason: "x", executor: {type: "http", method: "GET", url: "https://k/", headers: {Authorization: "Bearer hunter2"}}}' "executor/headers: 'Authorization' would carry a secret: name a credential instead (apply injects it)"
	bad '{reason: "x", executor: {type: "http", method: "GET", url: "https://k/", headers: {"X-Thing": "Bearer hunter2"}}}' 'executor/headers/X-Thing: credentials must not be in headers: name a credential instead'
	bad '{reason: "x", executor: {type: "http", method: "GET", url: "https://u:hunter2@k/"}}' '/executor/url: user information in a URL would carry a secret: name a credential instead'
	bad '{reason: "x", executor: {type: "exec", argv: ["x"], env: {DB_PASSWORD: "p"}}}' "executor/env: 'DB_PASSWORD' would carry a secret: name a credential instead (apply injects it)"
	bad '{reason: "x", executor: {type: "file", path: "etc/x", content: ""}}' '/executor/path: missing or not absolute'
	bad '{reason: "x", executor: {type: "file", path: "/etc/x"}}' '/executor: says nothing to change (content, patch, mode, owner or group)'
	bad '{reason: "x", escalate: true, risk: "severe"}' '/risk: must be low, medium, high or critical'
	bad '{reason: "x", escalate: true, targets: ["web"]}' "/targets: 'web' is not a resource key (provider:scope/kind/name)"
	bad '{reason: "x", escalate: true, oops: 1}' "output: unknown member 'oops'"
	bad '{reason: "x", escalate: true, after: ["s"]}' "/after: no earlier output has step 's'"
	bad '{reason: "x", escalate: true, causes: ["nope"]}' "/causes: 'nope' is not the id of an input"
	bad '"just a string"' 'output is string, not an object'
}

@test "secrets in refused outputs never reach stdout or stderr" {
	skill bad '{reason: "x", executor: {type: "http", method: "GET", url: "https://k/", headers: {Authorization: "Bearer hunter2"}}}'
	"$P" -k "$D/s" < "$D/drift" > "$D/out" 2> "$D/err" || true
	! grep -q hunter2 "$D/out" "$D/err" || false
}

@test "confined: a ~/.jq (which libjq would include) changes nothing" {
	skill home '{escalate: true, reason: ([1, 2] | length | tostring)}'
	mkdir "$D/home"
	printf 'def length: 42; def tostring: "from ~/.jq";\n' > "$D/home/.jq"
	HOME=$D/home "$P" "$D/s/home.jq" < "$D/drift" > "$D/out"
	[ "$(jq -r .data.reason "$D/out" | sort -u)" = 2 ]
	"$P" "$D/s/home.jq" < "$D/drift" | cmp - "$D/out"
}

@test "confined: no environment, no input, no now, no imports outside the folder" {
	export TEND_SECRET_TEST=hunter2
	skill env '{escalate: true, reason: "\($ENV | length) \(env | length) \([$ENV[]] | join(","))"}'
	run sh -c "\"$P\" \"$D/s/env.jq\" < \"$D/drift\" | jq -r .data.reason"
	[ "${lines[0]}" = "0 0 " ]
	skill in '{escalate: true, reason: (input | tostring)}'
	run "$P" "$D/s/in.jq" < "$D/drift"
	[ "$status" -eq 3 ]
	[ "${lines[0]}" = "tend-plan: <stdin>:1: $D/s/in.jq: input is not available" ]
	skill clock '{escalate: true, reason: (now | tostring)}'
	run "$P" "$D/s/clock.jq" < "$D/drift"
	[ "${lines[0]}" = "tend-plan: <stdin>:1: $D/s/clock.jq: now is not available: use the run's time" ]
	skill imp 'include "../etc/passwd"; {escalate: true, reason: "x"}'
	run "$P" "$D/s/imp.jq" < "$D/drift"
	[ "$status" -eq 3 ]
	[ "${lines[0]}" = "tend-plan: $D/s/imp.jq:1: import path must stay in the skill's folder" ]
	mkdir -p "$D/s/lib"
	printf 'def why: "from lib";\n' > "$D/s/lib/helpers.jq"
	skill lib 'include "lib/helpers"; {escalate: true, reason: why}'
	run sh -c "\"$P\" \"$D/s/lib.jq\" < \"$D/drift\" | jq -r .data.reason"
	[ "${lines[0]}" = "from lib" ]
	# jq would look in the current directory first: not here
	mkdir -p "$D/cwd/lib"
	printf 'def why: "from the current directory";\n' > "$D/cwd/lib/helpers.jq"
	run sh -c "cd \"$D/cwd\" && \"$P\" \"$D/s/lib.jq\" < \"$D/drift\" | jq -r .data.reason"
	[ "${lines[0]}" = "from lib" ]
	rm "$D/s/lib/helpers.jq"
	run sh -c "cd \"$D/cwd\" && \"$P\" \"$D/s/lib.jq\" < \"$D/drift\""
	[ "$status" -eq 3 ]
	[[ ${lines[0]} == "tend-plan: $D/s/lib.jq:1: module not found: lib/helpers"* ]]
	skill meta 'include "lib/helpers" {search: "/etc"}; {escalate: true, reason: "x"}'
	run "$P" "$D/s/meta.jq" < "$D/drift"
	[ "${lines[0]}" = "tend-plan: $D/s/meta.jq:1: import metadata is not allowed here" ]
	# a library's own imports would be looked for in the current
	# directory first (libjq reads them itself): refused
	printf '# helpers\nmodule {};\ninclude "more";\ndef why: more;\n' > "$D/s/lib/helpers.jq"
	printf 'def more: "from the current directory";\n' > "$D/cwd/more.jq"
	run sh -c "cd \"$D/cwd\" && \"$P\" \"$D/s/lib.jq\" < \"$D/drift\""
	[ "$status" -eq 3 ]
	[ "${lines[0]}" = "tend-plan: $D/s/lib.jq:1: library 'lib/helpers' imports another module; a skill's libraries may not (libjq would look in the current directory first): import it from the skill" ]
}

@test "metadata errors name the file" {
	printf '.\n' > "$D/s/nometa.jq"
	run "$P" "$D/s/nometa.jq" < /dev/null
	[ "$status" -eq 3 ]
	[ "$output" = "tend-plan: $D/s/nometa.jq:1: no metadata ($D/s/nometa.json or $D/s/nometa.yaml)" ]
	rm "$D/s/nometa.jq"
	skill x '.' '"risk":"severe"'
	sed -i 's/"risk":"low",//' "$D/s/x.json"
	run "$P" "$D/s" < /dev/null
	[ "$status" -eq 3 ]
	[ "$output" = "tend-plan: $D/s/x.json:1: /risk: not one of enum [\"low\",\"medium\",\"high\",\"critical\"]" ]
	skill x '.' '"inputs":["tend.nonsense"]'
	sed -i 's/"inputs":\["tend.drift.detected"\],//' "$D/s/x.json"
	run "$P" "$D/s" < /dev/null
	[ "$output" = "tend-plan: $D/s/x.json:1: /inputs/0: unknown event type 'tend.nonsense'" ]
	skill x '.' '"frob":1'
	run "$P" "$D/s" < /dev/null
	[[ $output == "tend-plan: $D/s/x.json:1: /frob: "* ]]
	skill x '.'
	cp "$D/s/x.jq" "$D/s/y.jq"
	cp "$D/s/x.json" "$D/s/y.json"
	run "$P" "$D/s" < /dev/null
	[ "$output" = "tend-plan: $D/s/y.json:1: skill name 'x' is already used by $D/s/x.json" ]
	rm "$D/s/y.jq" "$D/s/y.json"
	skill x '.' '"data":["prices"]'
	run "$P" "$D/s" < /dev/null
	[ "$output" = "tend-plan: $D/s/x.json:1: needs --data prices=FILE" ]
	run "$P" "$D/nope" < /dev/null
	[ "$status" -eq 4 ]
	[ "$output" = "tend-plan: cannot open '$D/nope': No such file or directory" ]
}

@test "YAML metadata is read like JSON" {
	# (in YAML 1.1, as kubectl reads it, a key n would be false)
	printf '{escalate: true, reason: "\\($skill.name) \\($skill.params.count)"}\n' > "$D/s/y.jq"
	cat > "$D/s/y.yaml" <<-'EOF'
	name: yamlskill
	domain: config
	description: YAML metadata
	inputs: [tend.drift.detected]
	risk: high
	mode: auto
	params: {count: 7}
	EOF
	run sh -c "\"$P\" \"$D/s\" < \"$D/drift\" | jq -r '[.data.skill, .data.risk, .data.mode, .data.reason] | @tsv'"
	[ "${lines[0]}" = "yamlskill	high	auto	yamlskill 7" ]
}

@test "--data: JSON, YAML and NDJSON files bound as variables" {
	printf '{"web": 3}\n' > "$D/a.json"
	printf 'want:\n  api: 4\n' > "$D/b.yaml"
	printf '{"n":1}\n{"n":2}\n' > "$D/c.ndjson"
	skill d '{escalate: true, reason: "\($a[.data.name] // $b.want[.data.name]) \($c | map(.n) | add)"}'
	run sh -c "\"$P\" --data a=$D/a.json --data b=$D/b.yaml --data c=$D/c.ndjson \"$D/s\" < \"$D/drift\" | jq -r .data.reason"
	[ "$output" = "3 3
4 3" ]
	run "$P" --data a "$D/s"
	[ "$status" -eq 2 ]
	[ "$output" = "tend-plan: --data 'a': expected NAME=FILE" ]
	run "$P" --data now=$D/a.json "$D/s"
	[ "$status" -eq 2 ]
	run "$P" --data 1a=$D/a.json "$D/s"
	[ "$status" -eq 2 ]
	run "$P" --data a=$D/nope "$D/s"
	[ "$status" -eq 4 ]
	printf '{"a": NaN}' > "$D/bad.json"
	run "$P" --data a=$D/bad.json "$D/s"
	[ "$status" -eq 3 ]
	[ "$output" = "tend-plan: $D/bad.json: invalid JSON at byte 7: expected a value" ]
	run "$P" --data a=$D/a.json --data a=$D/a.json "$D/s"
	[ "$status" -eq 2 ]
}

@test "human_only_paths turn an action into an escalation, whatever the skill says" {
	skill revert "$REVERT" '"human_only_paths":["/spec/template/spec/containers/*/image"]'
	"$P" "$D/s" < "$D/drift" > "$D/out"
	run jq -r '[.subject, .data.escalate // false, .data.reason] | @tsv' "$D/out"
	[ "${lines[0]}" = "k8s:prod/apps/Deployment/shop/web	false	revert k8s:prod/apps/Deployment/shop/web" ]
	[ "${lines[1]}" = "k8s:prod/apps/Deployment/shop/api	true	revert k8s:prod/apps/Deployment/shop/api (escalated: /spec/template/spec/containers/0/image is human-only)" ]
	# the executor stays, for the human to approve
	[ "$(sed -n 2p "$D/out" | jq -r .data.executor.method)" = PATCH ]
}

@test "needs observed: each input carries the last state of its key, streaming" {
	skill obs '{escalate: true, reason: "\(.observed.spec.spec.replicas // "none")"}' '"needs":["observed"]'
	printf '%s\n%s\n%s\n' "$DRIFT1" "$STATE" "$DRIFT1" > "$D/in"
	run sh -c "\"$P\" \"$D/s\" < \"$D/in\" | jq -r .data.reason"
	[ "$output" = "none
5" ]
}

@test "needs state: \$state holds every state event by key, the skill runs at the end" {
	skill st '{escalate: true, reason: "\($state | keys | join(",")) \($state[.data.key].spec.spec.replicas // "-")"}' '"needs":["state"]'
	skill now '{escalate: true, reason: "streamed"}'
	printf '%s\n%s\n' "$DRIFT1" "$STATE" > "$D/in"
	run sh -c "\"$P\" \"$D/s\" < \"$D/in\" | jq -r .data.reason"
	[ "$output" = "streamed
k8s:prod/apps/Deployment/shop/web 5" ]
}

@test "batch: one run over all inputs; causes are the inputs about the targets" {
	skill all '{escalate: true, targets: map(.subject), reason: "\(length) drifts"}' '"batch":true'
	"$P" "$D/s" < "$D/drift" > "$D/out"
	run jq -r '[(.data.targets | join(",")), (.data.causes | join(",")), .data.blast_radius.count, .causeid, .data.reason, (.data | has("state_digest"))] | @tsv' "$D/out"
	[ "$output" = "k8s:prod/apps/Deployment/shop/web,k8s:prod/apps/Deployment/shop/api	d1,d2	2	d1	2 drifts	false" ]
	skill all '{escalate: true, reason: "no targets"}' '"batch":true'
	run "$P" "$D/s" < "$D/drift"
	[ "$status" -eq 3 ]
	[ "${lines[0]}" = "tend-plan: <stdin>:1: $D/s/all.jq: output 1: /targets: missing, and a batch has no one subject" ]
}

@test "step and after: an action waits for an earlier one of the same run" {
	skill two '{step: "first", escalate: true, reason: "1"}, {after: ["first"], escalate: true, reason: "2"}'
	"$P" "$D/s" < "$D/drift" > "$D/out"
	first=$(sed -n 1p "$D/out" | jq -r .data.action_id)
	[ "$(sed -n 2p "$D/out" | jq -r '.data.after[0]')" = "$first" ]
	skill two '{step: "a", escalate: true, reason: "1"}, {step: "a", escalate: true, reason: "2"}'
	run "$P" "$D/s" < "$D/drift"
	[ "$status" -eq 3 ]
	[[ ${lines[0]} == *"output 2: /step: 'a' twice" ]]
}

@test "risk, credential and precondition from the output override the metadata" {
	skill o '{escalate: true, reason: "x", risk: "critical", credential: "other", precondition: {digest: "sha256:3333333333333333333333333333333333333333333333333333333333333333"}}' '"credential":"mine"'
	run sh -c "head -1 \"$D/drift\" | \"$P\" \"$D/s\" | jq -r '[.data.risk, .data.credential, .data.state_digest] | @tsv'"
	[ "$output" = "critical	other	sha256:3333333333333333333333333333333333333333333333333333333333333333" ]
}

@test "precondition null: no state_digest, where the input's digest would be the default" {
	skill o '{escalate: true, reason: "x"}'
	run sh -c "head -1 \"$D/drift\" | \"$P\" \"$D/s\" | jq -r '.data.state_digest'"
	[[ $output == sha256:* ]]
	skill o '{escalate: true, reason: "x", precondition: null}'
	run sh -c "head -1 \"$D/drift\" | \"$P\" \"$D/s\" | jq -c '[.data.state_digest, (.data | has(\"state_digest\"))]'"
	[ "$output" = '[null,false]' ]
}

@test "precondition pointer: carried instead of state_digest, in the idempotency key; bad ones named" {
	skill o '{escalate: true, reason: "x", precondition: {pointer: "/metadata/resourceVersion", value: "7492752"}}'
	head -1 "$D/drift" | "$P" "$D/s" > "$D/out"
	[ "$(jq -c '[.data.precondition, (.data | has("state_digest"))]' "$D/out")" = '[{"pointer":"/metadata/resourceVersion","value":"7492752"},false]' ]
	"$TEND_BIN/tend-validate" < "$D/out" > /dev/null
	skill o '{escalate: true, reason: "x", precondition: {value: "7492753", pointer: "/metadata/resourceVersion"}}'
	head -1 "$D/drift" | "$P" "$D/s" > "$D/out2"
	[ "$(jq -r .data.action_id "$D/out")" = "$(jq -r .data.action_id "$D/out2")" ]
	[ "$(jq -r .data.idempotency_key "$D/out")" != "$(jq -r .data.idempotency_key "$D/out2")" ]
	bad() {
		skill o "{escalate: true, reason: \"x\", precondition: $1}"
		run "$P" "$D/s" < "$D/drift"
		[ "$status" -eq 3 ]
		[[ ${lines[0]} == *"output 1: $2" ]]
	}
	bad '{pointer: "metadata"}' '/precondition: must be {"digest": "sha256:<64 hex>"}, {"pointer": P, "value": V} or null'
	bad '{pointer: "metadata", value: 1}' "/precondition/pointer: JSON pointer does not start with '/'"
	bad '{pointer: "/a~2", value: 1}' "/precondition/pointer: JSON pointer has '~' not followed by 0 or 1"
	bad '{digest: "sha256:1", pointer: "/a", value: 1}' '/precondition: must be {"digest": "sha256:<64 hex>"}, {"pointer": P, "value": V} or null'
}

@test "a large input runs on two threads: the same bytes as one, in input order" {
	# 5000 drift events (five batches), a runtime error in the middle
	skill r "$REVERT"
	skill e 'if .data.name == "web-2500" then error("boom") else empty end'
	awk -v a="$DRIFT1" 'BEGIN { for (i = 0; i < 5000; i++) {
		l = a; gsub(/"d1"/, "\"d1-" i "\"", l)
		gsub(/shop\/web"/, "shop/web-" i "\"", l)
		gsub(/"name":"web"/, "\"name\":\"web-" i "\"", l); print l } }' > "$D/big"
	"$P" -k "$D/s" < "$D/big" > "$D/two" 2> "$D/two.err" || true
	TEND_PLAN_THREADS=1 "$P" -k "$D/s" < "$D/big" > "$D/one" 2> "$D/one.err" || true
	cmp "$D/one" "$D/two"
	cmp "$D/one.err" "$D/two.err"
	[ "$(grep -c tend.action.proposed "$D/two")" -eq 5000 ]
	[ "$(grep -c tend.error "$D/two")" -eq 1 ]
	# in input order: the error (skill e runs before r) between
	# web-2499's action and web-2500's
	run jq -r 'select(.type == "tend.action.proposed") | .subject' "$D/two"
	[ "${lines[0]}" = k8s:prod/apps/Deployment/shop/web-0 ]
	[ "${lines[4999]}" = k8s:prod/apps/Deployment/shop/web-4999 ]
	n=$(grep -n tend.error "$D/two" | cut -d: -f1)
	[ "$n" -eq 2501 ]
	[ "$(sed -n "$((n + 1))p" "$D/two" | jq -r .subject)" = k8s:prod/apps/Deployment/shop/web-2500 ]
	[[ $(cat "$D/two.err") == *"<stdin>:2501: $D/s/e.jq: boom"* ]]
}

@test "--timeout: a skill that never ends is stopped with 3, naming it and the line" {
	skill a "$REVERT"
	skill z 'if .data.name == "api" then until(false; .) else empty end'
	start=$(date +%s)
	run "$P" --timeout 1 "$D/s" < "$D/drift"
	[ "$status" -eq 3 ]
	[ $(( $(date +%s) - start )) -lt 10 ]
	[[ $output == *"tend-plan: <stdin>:2: $D/s/z.jq: still running after 1 s (--timeout): stopped"* ]]
	# the batch form, and the option's checks
	skill z 'until(false; .)' '"batch":true'
	run "$P" --timeout 0.5 "$D/s" < "$D/drift"
	[ "$status" -eq 3 ]
	[[ $output == *"<stdin>:1: $D/s/z.jq: still running after 0.5 s"* ]]
	for t in 0 -1 x 86401; do
		run "$P" --timeout "$t" "$D/s" < "$D/drift"
		[ "$status" -eq 2 ]
	done
}

@test "a batch output's causes: the inputs about its targets, each id once, in input order" {
	skill r "$REVERT" '"batch":true'
	printf '.[0] | %s + {targets: [.subject]}\n' "$REVERT" > "$D/s/r.jq"
	{
		printf '%s\n' "$DRIFT1" | sed 's/"id":"d1"/"id":"b"/'
		printf '%s\n' "$DRIFT1" | sed 's/"id":"d1"/"id":"a"/'
		printf '%s\n' "$DRIFT1" | sed 's/"id":"d1"/"id":"b"/'
		printf '%s\n' "$DRIFT1" | sed 's/"id":"d1"/"id":"c"/; s/shop\/web"/shop\/other"/'
	} > "$D/in"
	"$P" "$D/s" < "$D/in" > "$D/out"
	[ "$(jq -c .data.causes "$D/out")" = '["b","a"]' ]
	[ "$(jq -r .causeid "$D/out")" = b ]
}

@test "--timeout counts the program only: a slow reader does not stop plan" {
	# a batch skill whose 3000 actions fill the pipe while the reader
	# sleeps past the timeout: writing waits, nothing is stopped
	skill r "$REVERT" '"batch":true'
	printf '.[] | %s + {targets: [.subject]}\n' "$REVERT" > "$D/s/r.jq"
	awk -v a="$DRIFT1" 'BEGIN { for (i = 0; i < 3000; i++) {
		l = a; gsub(/"d1"/, "\"d1-" i "\"", l)
		gsub(/"name":"web"/, "\"name\":\"web-" i "\"", l); print l } }' > "$D/big"
	run sh -c "\"$P\" --timeout 1 \"$D/s\" < \"$D/big\" 2> \"$D/err\" |
	    { sleep 3; wc -l; }; cat \"$D/err\""
	[ "$output" = 3000 ]
}

@test "mode off: loaded and compiled, never run" {
	skill off '{escalate: true, reason: "x"}'
	sed -i 's/"shadow"/"off"/' "$D/s/off.json"
	run "$P" "$D/s" < "$D/drift"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	printf '{' > "$D/s/off.jq"
	run "$P" "$D/s" < "$D/drift"
	[ "$status" -eq 3 ]
}

@test "findings: --osv is required by a skill reading tend.finding" {
	skill f '{escalate: true, reason: .data.advisory}' '"inputs":["finding"]'
	sed -i 's/"inputs":\["tend.drift.detected"\],//' "$D/s/f.json"
	run "$P" "$D/s" < /dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "tend-plan: $D/s/f.json reads tend.finding: give --osv file | dir" ]
}

# pkg NAME VERSION [ECOSYSTEM]: a tend.resource.state event of a package.
pkg() {
	printf '{"specversion":"1.0","id":"p-%s","source":"tend-normalize","type":"tend.resource.state","time":"2026-11-22T05:00:00Z","subject":"host:h1/package/%s","data":{"key":"host:h1/package/%s","provider":"host","kind":"package","name":"%s","scope":"h1","spec":{"version":"%s"%s},"digest":"sha256:4444444444444444444444444444444444444444444444444444444444444444"}}\n' \
	    "$1" "$1" "$1" "$1" "$2" "${3:+,\"ecosystem\":\"$3\"}"
}

@test "findings: OSV ranges of real advisories decide, in the ecosystem's order" {
	skill f '{escalate: true, reason: "\(.data.package) \(.data.installed) \(.data.advisory) \(.data.fixed) \(.data.upgrade_to) \(.data.severity) \(.data.ecosystem)"}' '"inputs":["tend.finding"]'
	sed -i 's/"inputs":\["tend.drift.detected"\],//' "$D/s/f.json"
	{
		pkg nginx 1.2.1-2.2+wheezy2		# DSA-3029-1: fixed in +wheezy3
		pkg nginx-new 1.2.1-2.2+wheezy3
		pkg minimist 1.2.5 npm			# GHSA-xvch: [1.0.0, 1.2.6)
		pkg lodash 4.17.21 npm			# fixed in 4.17.21: not affected
		pkg requests 2.30.0 PyPI		# GHSA-j8r2 and PYSEC-2023-74
		pkg Gradio 4.36.1 PyPI			# versions list only
		pkg elliptic 6.5.3 npm			# spec example, MODERATE
	} > "$D/in"
	run sh -c "\"$P\" --osv \"$CONF/osv/advisories\" \"$D/s\" < \"$D/in\" | jq -r .data.reason"
	[ "$output" = "nginx 1.2.1-2.2+wheezy2 DSA-3029-1 1.2.1-2.2+wheezy3 1.2.1-2.2+wheezy3 null Debian:7
minimist 1.2.5 GHSA-xvch-5gv4-984h 1.2.6 1.2.6 CRITICAL npm
requests 2.30.0 GHSA-j8r2-6x86-q33q 2.31.0 2.31.0 MODERATE PyPI
requests 2.30.0 PYSEC-2023-74 2.31.0 2.31.0 null PyPI
Gradio 4.36.1 GHSA-9v2f-6vcg-3hgv null null CRITICAL PyPI
elliptic 6.5.3 GHSA-r9p9-mrjm-926w 6.5.4 6.5.4 MODERATE npm" ]
}

@test "findings: --osv-ecosystem narrows Debian to one release; dpkg order with epochs and tildes" {
	skill f '{escalate: true, reason: "\(.data.package) \(.data.installed)"}' '"inputs":["tend.finding"]'
	sed -i 's/"inputs":\["tend.drift.detected"\],//' "$D/s/f.json"
	{
		pkg nginx 1.2.1-2.2+wheezy3~rc1		# ~ sorts before: affected
		pkg nginx-a 1.2.1-2.2+wheezy3
		pkg nginx-b 1:1.0				# epoch 1 > 0: not affected
	} | sed 's/"name":"nginx-[ab]"/"name":"nginx"/' > "$D/in"
	run sh -c "\"$P\" --osv \"$CONF/osv/advisories/spec-example-DSA-3029-1.json\" \"$D/s\" < \"$D/in\" | jq -r .data.reason"
	[ "$output" = "nginx 1.2.1-2.2+wheezy3~rc1" ]
	run sh -c "\"$P\" --osv-ecosystem Debian:12 --osv \"$CONF/osv/advisories\" \"$D/s\" < \"$D/in\""
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "findings: the CVSS v3 base score rates an advisory without a severity" {
	skill f '{escalate: true, reason: "\(.data.severity) \(.data.cvss.score)"}' '"inputs":["tend.finding"]'
	sed -i 's/"inputs":\["tend.drift.detected"\],//' "$D/s/f.json"
	jq 'del(.database_specific)' "$CONF/osv/advisories/GHSA-j8r2-6x86-q33q.json" > "$D/adv.json"
	pkg requests 2.30.0 PyPI > "$D/in"
	run sh -c "\"$P\" --osv \"$D/adv.json\" \"$D/s\" < \"$D/in\" | jq -r .data.reason"
	[ "$output" = "MEDIUM 6.1" ]
	printf '{"id": 5}' > "$D/bad.json"
	run "$P" --osv "$D/bad.json" "$D/s"
	[ "$status" -eq 3 ]
	[ "$output" = "tend-plan: $D/bad.json: not an OSV advisory (no string \"id\")" ]
}

@test "bad input lines: reported with their line, --keep-going goes on" {
	skill revert "$REVERT"
	printf '%s\nnot json\n%s\n' "$DRIFT1" "$DRIFT2" > "$D/in"
	"$P" "$D/s" < "$D/in" > "$D/out" 2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 3 ]
	[ "$(cat "$D/err")" = "tend-plan: <stdin>:2: invalid JSON at byte 1: invalid literal" ]
	[ "$(wc -l < "$D/out")" -eq 1 ]
	"$P" -k "$D/s" < "$D/in" > "$D/out" 2>/dev/null && st=0 || st=$?
	[ "$st" -eq 3 ]
	[ "$(jq -r .type "$D/out" | tr '\n' ' ')" = "tend.action.proposed tend.error tend.action.proposed " ]
}

@test "an action is written as soon as its line is read, not at the end" {
	skill revert "$REVERT"
	mkfifo "$D/fifo"
	"$P" "$D/s" < "$D/fifo" > "$D/out" &
	pid=$!
	exec 5> "$D/fifo"
	printf '%s\n' "$DRIFT1" >&5
	for _ in $(seq 100); do
		[ -s "$D/out" ] && break
		sleep 0.1
	done
	[ "$(wc -l < "$D/out")" -eq 1 ]
	printf '%s\n' "$DRIFT2" >&5
	exec 5>&-
	wait "$pid"
	[ "$(wc -l < "$D/out")" -eq 2 ]
}

@test "a write error on stdout is a system error (4)" {
	skill revert "$REVERT"
	"$P" "$D/s" < "$D/drift" > /dev/full 2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 4 ]
	[ "$(cat "$D/err")" = "tend-plan: stdout: write error: No space left on device" ]
}

@test "--log appends the actions to an event log" {
	skill revert "$REVERT"
	"$P" --log "$D/run.tlog.zst" "$D/s" < "$D/drift" > "$D/out"
	[ "$(zstdcat "$D/run.tlog.zst" | wc -l)" -eq 2 ]
	[ "$(jq -r .seq "$D/out" | tr '\n' ' ')" = "1 2 " ]
}

@test "the dispatcher runs it: tend plan" {
	skill revert "$REVERT"
	"$P" "$D/s" < "$D/drift" > "$D/a"
	"$TEND_BIN/tend" plan "$D/s" < "$D/drift" > "$D/b"
	cmp "$D/a" "$D/b"
}
