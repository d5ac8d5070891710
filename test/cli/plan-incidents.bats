#!/usr/bin/env bats
# tend-plan: skills that open and resolve incidents (tend.incident.opened
# and .resolved), as an observability skill does for an SLO whose error
# budget burns too fast; and what tend report, gate and apply make of
# those events.

setup() {
	TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	P=$TEND_BIN/tend-plan
	D=$BATS_TEST_TMPDIR
	NOW=2026-11-22T06:00:00Z
	export TEND_NOW=$NOW
	mkdir -p "$D/s"
	# A batch skill: opens an incident for an SLO burning above the
	# threshold, resolves one that $open says is open once it is below.
	cat > "$D/s/slo-burn.jq" <<-'EOF'
	.[] | "slo-\(.data.name)" as $id
	| .data.status.burn_rate as $rate
	| ($open | any(. == $id)) as $is_open
	| if $rate > $skill.params.threshold and ($is_open | not) then
	    {incident: {id: $id, status: "opened", severity: "page",
	      service: "shop", title: "\(.data.name) burns its error budget"},
	     reason: "burn rate \($rate) above \($skill.params.threshold)",
	     targets: [.subject]}
	  elif $rate <= $skill.params.threshold and $is_open then
	    {incident: {id: $id, status: "resolved"},
	     reason: "burn rate \($rate), within budget", targets: [.subject]}
	  else empty end
	EOF
	printf '%s\n' '{"name":"slo-burn","domain":"observability","description":"SLO burn rate to incidents","inputs":["tend.resource.state"],"risk":"low","mode":"shadow","batch":true,"data":["open"],"params":{"threshold":1}}' > "$D/s/slo-burn.json"
	DRIFT='{"specversion":"1.0","id":"d1","source":"tend-diff","type":"tend.drift.detected","time":"2026-11-22T05:00:00Z","subject":"k8s:prod/apps/Deployment/shop/web","runid":"r1","data":{"key":"k8s:prod/apps/Deployment/shop/web","drift":"modified","patch":[],"paths":[]}}'
}

# obs NAME ID TIME RUNID RATE: an SLO's observed burn rate (TIME - for
# an event without a time).
obs() {
	local t=
	[ "$3" = - ] || t="\"time\":\"$3\","
	printf '{"specversion":"1.0","id":"%s","source":"tend-normalize","type":"tend.resource.state",%s"subject":"prometheus:prod/slo/%s","runid":"%s","data":{"key":"prometheus:prod/slo/%s","provider":"prometheus","kind":"slo","name":"%s","status":{"burn_rate":%s},"digest":"sha256:4444444444444444444444444444444444444444444444444444444444444444"}}\n' \
	    "$2" "$t" "$1" "$4" "$1" "$1" "$5"
}

# skill NAME PROGRAM [METADATA-MEMBERS]: a streaming skill reading state.
skill() {
	printf '%s\n' "$2" > "$D/s/$1.jq"
	printf '{"name":"%s","domain":"observability","description":"test","inputs":["tend.resource.state"],"risk":"low","mode":"shadow"%s}\n' \
	    "$1" "${3:+,$3}" > "$D/s/$1.json"
}

@test "opened above the threshold, resolved below it when open: the exact events" {
	{
		obs checkout o1 2026-11-22T05:00:00Z r1 14.4	# opened
		obs search o2 2026-11-22T05:00:10Z r1 0.2	# open: resolved
		obs api o3 2026-11-22T05:00:20Z r1 0.5		# not open: nothing
		obs cart o4 2026-11-22T05:00:30Z r1 3		# open already
	} > "$D/in"
	printf '["slo-search", "slo-cart"]\n' > "$D/open.json"
	"$P" --data open="$D/open.json" "$D/s/slo-burn.jq" < "$D/in" > "$D/out"
	run jq -c '[.type, .source, .subject, .causeid, .runid, .time]' "$D/out"
	[ "$output" = '["tend.incident.opened","tend-plan","prometheus:prod/slo/checkout","o1","r1","2026-11-22T05:00:00Z"]
["tend.incident.resolved","tend-plan","prometheus:prod/slo/search","o2","r1","2026-11-22T05:00:10Z"]' ]
	run jq -c .data "$D/out"
	[ "${lines[0]}" = '{"incident_id":"slo-checkout","title":"checkout burns its error budget","severity":"page","service":"shop","targets":["prometheus:prod/slo/checkout"],"skill":"slo-burn","domain":"observability","reason":"burn rate 14.4 above 1","causes":["o1"]}' ]
	[ "${lines[1]}" = '{"incident_id":"slo-search","resolution":"burn rate 0.2, within budget","targets":["prometheus:prod/slo/search"],"skill":"slo-burn","domain":"observability","reason":"burn rate 0.2, within budget","causes":["o2"]}' ]
	[ "${#lines[@]}" -eq 2 ]
	# the id is derived from the content, as an action's
	for n in 1 2; do
		want=$(sed -n "${n}p" "$D/out" | jq -cS '[.runid, .type, .subject, .causeid, .data]' | tr -d '\n' | sha256sum | cut -c1-32)
		[ "$(sed -n "${n}p" "$D/out" | jq -r .id)" = "$want" ]
	done
	# valid for tend validate and for an independent validator
	"$TEND_BIN/tend-validate" < "$D/out" > /dev/null
	mkdir "$D/events"
	cp "$D/out" "$D/events/plan.ndjson"
	sh "$BATS_TEST_DIRNAME/../schemas/check.sh" "$D/events" > "$D/tap"
	grep -q '^ok .*plan.ndjson' "$D/tap"
	! grep -q '^not ok' "$D/tap" || false
}

@test "an incident's time is its cause's, else the run's clock; reruns are byte-identical" {
	{
		obs checkout o1 - r1 14.4
		obs search o2 2026-11-22T05:00:10Z r1 7
	} > "$D/in"
	printf '[]\n' > "$D/open.json"
	"$P" --data open="$D/open.json" "$D/s" < "$D/in" > "$D/a"
	run jq -r '[.subject, .time] | @tsv' "$D/a"
	[ "$output" = "prometheus:prod/slo/checkout	$NOW
prometheus:prod/slo/search	2026-11-22T05:00:10Z" ]
	"$P" --data open="$D/open.json" "$D/s" < "$D/in" > "$D/b"
	cmp "$D/a" "$D/b"
	unset TEND_NOW
	"$P" --now "$NOW" --data open="$D/open.json" "$D/s" < "$D/in" > "$D/c"
	cmp "$D/a" "$D/c"
}

@test "targets and causes default to the input; resolution, title, severity and service as given" {
	skill r '{incident: {id: "INC-7", status: "resolved", resolution: "rolled back", service: "shop", severity: "sev2"}, reason: "clean again"}'
	obs checkout o1 2026-11-22T05:00:00Z r1 0.1 > "$D/in"
	"$P" "$D/s/r.jq" < "$D/in" > "$D/out"
	run jq -c '[.type, .subject, .causeid, .data]' "$D/out"
	[ "$output" = '["tend.incident.resolved","prometheus:prod/slo/checkout","o1",{"incident_id":"INC-7","severity":"sev2","service":"shop","resolution":"rolled back","targets":["prometheus:prod/slo/checkout"],"skill":"r","domain":"observability","reason":"clean again","causes":["o1"]}]' ]
	"$TEND_BIN/tend-validate" < "$D/out" > /dev/null
}

@test "incidents are written in output order among actions, all of a run or nothing" {
	skill mix '{escalate: true, reason: "a"}, {incident: {id: "i", status: "opened"}, reason: "b"}, {escalate: true, reason: "c"}'
	obs checkout o1 2026-11-22T05:00:00Z r1 2 > "$D/in"
	"$P" "$D/s/mix.jq" < "$D/in" > "$D/out"
	run jq -r '[.type, .data.reason] | @tsv' "$D/out"
	[ "$output" = "tend.action.proposed	a
tend.incident.opened	b
tend.action.proposed	c" ]
	"$TEND_BIN/tend-validate" < "$D/out" > /dev/null
	# a bad second output: the good incident before it is not written
	skill mix '{incident: {id: "i", status: "opened"}, reason: "b"}, {incident: {id: "", status: "opened"}, reason: "c"}'
	"$P" -k "$D/s/mix.jq" < "$D/in" > "$D/out" 2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 3 ]
	[ "$(cat "$D/err")" = "tend-plan: <stdin>:1: $D/s/mix.jq: output 2: /incident/id: missing (a non-empty string)" ]
	[ "$(jq -r .type "$D/out")" = tend.error ]
}

@test "bad incident records name the skill file and the input's line (3); --keep-going goes on" {
	{
		printf '%s\n' "$DRIFT"		# line 1: not read by the skill
		obs checkout o1 2026-11-22T05:00:00Z r1 2
	} > "$D/in"
	bad() {
		skill bad "$1"
		run "$P" "$D/s/bad.jq" < "$D/in"
		[ "$status" -eq 3 ] || { echo "status $status for $1"; return 1; }
		[ "$output" = "tend-plan: <stdin>:2: $D/s/bad.jq: output 1: $2" ] ||
		    { echo "got: $output"; return 1; }
	}
	I='incident: {id: "i", status: "opened"}, reason: "x"'
	bad "{$I, executor: {type: \"exec\", argv: [\"true\"]}}" '/executor: not allowed with incident (an incident record runs nothing)'
	bad "{$I, rollback: null}" '/rollback: not allowed with incident (an incident record runs nothing)'
	bad "{$I, escalate: false}" '/escalate: not allowed with incident (an incident record runs nothing)'
	bad "{$I, risk: \"high\"}" '/risk: not allowed with incident (an incident record runs nothing)'
	bad "{$I, credential: \"c\"}" '/credential: not allowed with incident (an incident record runs nothing)'
	bad "{$I, precondition: {digest: \"sha256:x\"}}" '/precondition: not allowed with incident (an incident record runs nothing)'
	bad "{$I, step: \"s\"}" '/step: not allowed with incident (an incident record runs nothing)'
	bad "{$I, after: [\"s\"]}" '/after: not allowed with incident (an incident record runs nothing)'
	bad '{incident: {id: "i", status: "closed"}, reason: "x"}' '/incident/status: must be opened or resolved'
	bad '{incident: {id: "i"}, reason: "x"}' '/incident/status: must be opened or resolved'
	bad '{incident: {status: "opened"}, reason: "x"}' '/incident/id: missing (a non-empty string)'
	bad '{incident: {id: 5, status: "opened"}, reason: "x"}' '/incident/id: missing (a non-empty string)'
	bad '{incident: {id: "i", status: "opened", owner: "me"}, reason: "x"}' "/incident: unknown member 'owner'"
	bad '{incident: {id: "i", status: "opened", title: 5}, reason: "x"}' '/incident/title: not a string'
	bad '{incident: {id: "i", status: "opened", resolution: "r"}, reason: "x"}' '/incident/resolution: only with status resolved'
	bad '{incident: "i", reason: "x"}' '/incident: not an object'
	bad '{incident: {id: "i", status: "opened"}}' '/reason: missing (say why, in words)'
	bad '{incident: {id: "i", status: "opened"}, reason: "x", targets: ["web"]}' "/targets: 'web' is not a resource key (provider:scope/kind/name)"
	bad '{incident: {id: "i", status: "opened"}, reason: "x", causes: ["nope"]}' "/causes: 'nope' is not the id of an input"
	# a batch skill's bad output: the line of its first input
	printf '[]\n' > "$D/open.json"
	sed -i 's/service: "shop"/service: 1/' "$D/s/slo-burn.jq"
	run "$P" --data open="$D/open.json" "$D/s/slo-burn.jq" < "$D/in"
	[ "$status" -eq 3 ]
	[ "$output" = "tend-plan: <stdin>:2: $D/s/slo-burn.jq: output 1: /incident/service: not a string" ]
	# --keep-going: a tend.error with the line, and the next input runs
	skill bad 'if .id == "o1" then {incident: {id: "i", status: "shut"}, reason: "x"} else {incident: {id: "i", status: "opened"}, reason: "y"} end'
	obs search o2 2026-11-22T05:00:00Z r1 2 >> "$D/in"
	"$P" -k "$D/s/bad.jq" < "$D/in" > "$D/out" 2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 3 ]
	[ "$(cat "$D/err")" = "tend-plan: <stdin>:2: $D/s/bad.jq: output 1: /incident/status: must be opened or resolved" ]
	run jq -r '[.type, .data.line // .subject] | @tsv' "$D/out"
	[ "$output" = "tend.error	2
tend.incident.opened	prometheus:prod/slo/search" ]
	"$TEND_BIN/tend-validate" < "$D/out" > /dev/null
}

@test "tend report slo: MTTR is resolved minus opened; tend report timeline lists both" {
	printf '[]\n' > "$D/none.json"
	printf '["slo-checkout"]\n' > "$D/open.json"
	obs checkout o1 2026-11-22T05:00:00Z r1 14.4 | "$P" --data open="$D/none.json" "$D/s" > "$D/r1"
	obs checkout o2 2026-11-22T05:30:00Z r2 0.4 | "$P" --data open="$D/open.json" "$D/s" > "$D/r2"
	cat "$D/r1" "$D/r2" > "$D/events.ndjson"
	[ "$(jq -r .type "$D/events.ndjson" | tr '\n' ' ')" = "tend.incident.opened tend.incident.resolved " ]
	diff=$(jq -s '(.[1].time | fromdateiso8601) - (.[0].time | fromdateiso8601)' "$D/events.ndjson")
	[ "$diff" -eq 1800 ]
	"$TEND_BIN/tend-report" slo --format json "$D/events.ndjson" > "$D/slo"
	run jq -c .overall.incidents "$D/slo"
	[ "$output" = "{\"opened\":1,\"resolved\":1,\"mttr_seconds\":$diff}" ]
	"$TEND_BIN/tend-report" timeline --color never "$D/events.ndjson" > "$D/tl"
	grep -q '^    2026-11-22T05:00:00Z  incident   slo-checkout: checkout burns its error budget$' "$D/tl"
	grep -q '^    2026-11-22T05:30:00Z  resolved   slo-checkout: burn rate 0.4, within budget$' "$D/tl"
	"$TEND_BIN/tend-report" timeline --format json "$D/events.ndjson" > "$D/tl.json"
	run jq -r '.runs[] | .runid as $r | .resources[] | .key as $k | .steps[] | [$r, $k, .stage, .incident_id, .time] | @tsv' "$D/tl.json"
	[ "$output" = "r1	prometheus:prod/slo/checkout	incident	slo-checkout	2026-11-22T05:00:00Z
r2	prometheus:prod/slo/checkout	resolved	slo-checkout	2026-11-22T05:30:00Z" ]
}

@test "tend gate and tend apply pass incident events through unchanged" {
	printf '[]\n' > "$D/none.json"
	printf '["slo-search"]\n' > "$D/open.json"
	{
		obs checkout o1 2026-11-22T05:00:00Z r1 14.4
		obs search o2 2026-11-22T05:00:00Z r1 0.2
	} | "$P" --data open="$D/open.json" "$D/s" > "$D/in"
	[ "$(wc -l < "$D/in")" -eq 2 ]
	printf '{"version": 1, "name": "t", "defaults": {"skill_mode": "shadow", "risk_mode": "human"}}\n' > "$D/policy.json"
	"$TEND_BIN/tend-gate" --unsigned --policy "$D/policy.json" --now "$NOW" < "$D/in" > "$D/gated"
	cmp "$D/in" "$D/gated"
	"$TEND_BIN/tend-gate" keygen --name t "$D/k.sec" "$D/k.pub" > /dev/null 2>&1
	"$TEND_BIN/tend-apply" --verify-key "$D/k.pub" --now "$NOW" < "$D/in" > "$D/applied" 2> "$D/err"
	cmp "$D/in" "$D/applied"
	[ ! -s "$D/err" ]
}
