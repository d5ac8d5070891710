#!/usr/bin/env bats
# tend-gate: what a user sees on stdout, stderr and in the exit status.
# Decisions under test/gate/policy.json; the clock is always --now.

setup_file() {
	export TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	export K=$BATS_FILE_TMPDIR
	"$TEND_BIN/tend-gate" keygen --name gate.test/prod "$K/gate.key" "$K/gate.pub"
	"$TEND_BIN/tend-gate" keygen --name alice "$K/alice.key" "$K/alice.pub"
	"$TEND_BIN/tend-gate" keygen --name mallory "$K/mallory.key" "$K/mallory.pub"
}

setup() {
	G=$TEND_BIN/tend-gate
	D=$BATS_TEST_TMPDIR
	P=$BATS_TEST_DIRNAME/../gate/policy.json
	# Monday 2026-11-23, 13:00 in Berlin: the weeknights window is closed
	NOW=2026-11-23T12:00:00Z
}

# prop ID SKILL RISK TARGET [RUNID [EXTRA]]: one tend.action.proposed line.
# EXTRA is jq merged into data ({"credential": null}, ...).
prop() {
	jq -cn --arg id "$1" --arg s "$2" --arg r "$3" --arg t "$4" \
	    --arg run "${5:-run-1}" --argjson x "${6:-{\}}" '{
	    specversion: "1.0", id: ("prop-" + $id), source: "tend-plan",
	    type: "tend.action.proposed", time: "2026-11-23T11:59:00Z",
	    subject: $t, runid: $run, causeid: ("drift-" + $id),
	    datacontenttype: "application/json",
	    data: ({action_id: $id, idempotency_key: ("key-" + $id + $run),
	      skill: $s, domain: "config", targets: [$t],
	      executor: {type: "http", method: "PATCH",
	        url: "https://k8s.example:6443/apis/apps/v1/x",
	        body: {spec: {replicas: 3}}},
	      rollback: null, credential: "k8s-writer", risk: $r,
	      mode: "shadow", reason: ("drift on " + $t),
	      causes: [("drift-" + $id)],
	      blast_radius: {count: 1, targets: [$t]}} + $x | with_entries(select(.value != null)))}'
}

# The decisions of FILE as "type action_id", one a line.
decisions() {
	jq -r 'select(.type | startswith("tend.action.")) | "\(.type | ltrimstr("tend.action.")) \(.data.action_id)"' "$1"
}

@test "--help prints the synopsis on stdout and exits 0" {
	run "$G" --help
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "usage: tend-gate [-hkV] --policy file (--key file | --unsigned)" ]
	[[ $output == *"tend-gate approve --key file"* ]]
	[[ $output == *"tend-gate keygen --name name secret-file public-file"* ]]
	run "$G" --version
	[ "$status" -eq 0 ]
	[[ $output == "tend-gate (tend) "* ]]
}

@test "usage errors: no policy, no key, both, a bad --ttl, an unknown option" {
	run "$G" --key "$K/gate.key" < /dev/null
	[ "$status" -eq 2 ]
	[[ ${lines[0]} == "tend-gate: --policy is required" ]]
	run "$G" --policy "$P" < /dev/null
	[ "$status" -eq 2 ]
	run "$G" --policy "$P" --key "$K/gate.key" --unsigned < /dev/null
	[ "$status" -eq 2 ]
	run "$G" --policy "$P" --key "$K/gate.key" --ttl 8d < /dev/null
	[ "$status" -eq 2 ]
	[[ ${lines[0]} == *"at most 7d"* ]]
	run "$G" --frobnicate
	[ "$status" -eq 2 ]
}

@test "keygen: owner-only secret key, no overwriting, unsafe keys refused" {
	[ "$(stat -c %a "$K/gate.key")" = 600 ]
	[ "$(stat -c %a "$K/gate.pub")" = 644 ]
	grep -q '^gate.test/prod+[0-9a-f]\{8\}+' "$K/gate.pub"
	run "$G" keygen --name x "$K/gate.key" "$D/x.pub"
	[ "$status" -eq 4 ]
	[ ! -e "$D/x.pub" ]
	run "$G" keygen --name 'has space' "$D/y.key" "$D/y.pub"
	[ "$status" -eq 3 ]
	cp "$K/gate.key" "$D/loose.key"
	chmod 640 "$D/loose.key"
	prop a1 revert low k8s:prod/core/ConfigMap/shop/a > "$D/in"
	run "$G" --policy "$P" --key "$D/loose.key" --now $NOW < "$D/in"
	[ "$status" -eq 3 ]
	[[ $output == *"loose.key"* ]]
	# the secret never shows up anywhere
	secret=$(cut -d+ -f5 "$K/gate.key")
	"$G" --policy "$P" --key "$K/gate.key" --now $NOW < "$D/in" > "$D/out" 2> "$D/err"
	! grep -qF "$secret" "$D/out" "$D/err" || false
}

@test "one decision per proposal, with reasons; other events pass through" {
	{
		echo '{"specversion":"1.0","id":"o1","source":"x","type":"com.example.other","data":{}}'
		prop a1 revert low k8s:prod/core/ConfigMap/shop/a
		prop a2 revert medium k8s:prod/core/ConfigMap/shop/b
		prop a3 revert high k8s:prod/core/ConfigMap/shop/c
		prop a4 newbie low k8s:prod/core/ConfigMap/shop/d
		prop a5 retired low k8s:prod/core/ConfigMap/shop/e
		prop a6 revert low k8s:prod/core/ConfigMap/kube-system/f
	} > "$D/in"
	"$G" --policy "$P" --key "$K/gate.key" --now $NOW < "$D/in" > "$D/out"
	[ "$(head -1 "$D/out")" = "$(head -1 "$D/in")" ]
	run decisions "$D/out"
	[ "$output" = "approved a1
deferred a2
escalated a3
approved a4
denied a5
denied a6" ]
	run jq -c 'select(.data.action_id == "a2") | [.source, .time, .subject, .runid, .causeid, .data.not_before, .data.reasons]' "$D/out"
	[ "$output" = '["tend-gate","2026-11-23T12:00:00Z","k8s:prod/core/ConfigMap/shop/b","run-1","prop-a2","2026-11-23T21:00:00Z",["risk medium: window (risk.medium)","window '"'weeknights'"' (0 22 * * 1-5, 4h, Europe/Berlin) is closed; next opening 2026-11-23T21:00:00Z"]]' ]
	run jq -c 'select(.data.action_id == "a4") | [.data.shadow, .data.reasons[0]]' "$D/out"
	[ "$output" = '[true,"skill '"'newbie'"' is in shadow mode (skills): decided and logged, never carried out"]' ]
	run jq -c 'select(.data.action_id == "a6") | .data.reasons' "$D/out"
	[ "$output" = '["rule '"'no-kube-system'"' (deny): kube-system belongs to the platform team"]' ]
	run jq -c 'select(.data.action_id == "a3") | .data.notified' "$D/out"
	[ "$output" = '[]' ]
	# the action is copied byte for byte
	[ "$(jq -c 'select(.type == "tend.action.proposed") | .data' "$D/in" | head -1)" = \
	    "$(jq -c 'select(.data.action_id == "a1") | .data.action' "$D/out")" ]
	# every decision is valid against its schema
	"$TEND_BIN/tend-validate" < "$D/out" > /dev/null
}

@test "same input, policy and --now: byte-identical output" {
	for i in 1 2 3 4 5 6; do prop "b$i" revert low "k8s:prod/core/ConfigMap/shop/b$i"; done > "$D/in"
	"$G" --policy "$P" --key "$K/gate.key" --now $NOW < "$D/in" > "$D/1"
	TEND_NOW=$NOW "$G" --policy "$P" --key "$K/gate.key" < "$D/in" > "$D/2"
	cmp "$D/1" "$D/2"
	"$G" --policy "$P" --key "$K/gate.key" --now 2026-11-23T12:00:01Z < "$D/in" > "$D/3"
	! cmp -s "$D/1" "$D/3" || false
}

@test "windows across DST: Berlin and New York" {
	# Friday before Berlin springs forward: 22:00 CET is 21:00Z ...
	prop w1 revert medium k8s:prod/core/ConfigMap/shop/w > "$D/in"
	"$G" --policy "$P" --key "$K/gate.key" --now 2026-03-27T20:30:00Z < "$D/in" > "$D/out"
	[ "$(jq -r .data.not_before "$D/out")" = 2026-03-27T21:00:00Z ]
	# ... and the Monday after, 22:00 CEST is 20:00Z
	"$G" --policy "$P" --key "$K/gate.key" --now 2026-03-28T12:00:00Z < "$D/in" > "$D/out"
	[ "$(jq -r .data.not_before "$D/out")" = 2026-03-30T20:00:00Z ]
	"$G" --policy "$P" --key "$K/gate.key" --now 2026-03-30T20:00:00Z < "$D/in" > "$D/out"
	[ "$(jq -r .type "$D/out")" = tend.action.approved ]
	[ "$(jq -r '.data.reasons[1]' "$D/out")" = "window 'weeknights' (0 22 * * 1-5, 4h, Europe/Berlin) is open until 2026-03-31T00:00:00Z" ]
	# New York: 06:30 EST is 11:30Z, 06:30 EDT (from 2026-03-08) 10:30Z
	jq -c '.data.domain = "ops"' <(prop n1 revert medium k8s:us/apps/Deployment/shop/web) > "$D/in"
	"$G" --policy "$P" --key "$K/gate.key" --now 2026-03-07T11:00:00Z < "$D/in" > "$D/out"
	[ "$(jq -r .data.not_before "$D/out")" = 2026-03-07T11:30:00Z ]
	"$G" --policy "$P" --key "$K/gate.key" --now 2026-03-07T14:00:00Z < "$D/in" > "$D/out"
	[ "$(jq -r .data.not_before "$D/out")" = 2026-03-08T10:30:00Z ]
	"$G" --policy "$P" --key "$K/gate.key" --now 2026-10-31T13:00:00Z < "$D/in" > "$D/out"
	[ "$(jq -r .data.not_before "$D/out")" = 2026-11-01T11:30:00Z ]
}

@test "overlapping allow and deny windows: deny wins; freezes" {
	prop o1 revert medium k8s:prod/core/ConfigMap/shop/o > "$D/in"
	prop o2 revert low k8s:prod/core/ConfigMap/shop/p >> "$D/in"
	# Friday 2026-11-27 22:30 CET: weeknights open, friday-deploys too
	"$G" --policy "$P" --key "$K/gate.key" --now 2026-11-27T21:30:00Z < "$D/in" > "$D/out"
	run decisions "$D/out"
	[ "$output" = "approved o1
approved o2" ]
	"$G" --policy "$P" --key "$K/gate.key" --now 2026-11-27T22:30:00Z < "$D/in" > "$D/out"
	run jq -r '[.type, .data.not_before, .data.reasons[0]] | @tsv' "$D/out"
	[ "${lines[0]}" = "tend.action.deferred	2026-11-27T23:00:00Z	deny window 'friday-deploys' (0 23 * * 5, 1h, Europe/Berlin) is in force until 2026-11-27T23:00:00Z" ]
	[ "${lines[1]}" = "${lines[0]}" ]
	# the year-end freeze: auto waits for its end, window-only for a window
	"$G" --policy "$P" --key "$K/gate.key" --now 2026-12-24T12:00:00Z < "$D/in" > "$D/out"
	run jq -r '[.data.action_id, .type, .data.not_before] | @tsv' "$D/out"
	[ "$output" = "o1	tend.action.deferred	2027-01-05T00:00:00Z
o2	tend.action.deferred	2027-01-05T00:00:00Z" ]
	# a target outside the freeze's match
	prop o3 revert low k8s:staging/core/ConfigMap/shop/q > "$D/in"
	"$G" --policy "$P" --key "$K/gate.key" --now 2026-12-24T12:00:00Z < "$D/in" > "$D/out"
	[ "$(jq -r .type "$D/out")" = tend.action.approved ]
}

@test "limit per run: at, below and above its bound (the whole batch escalated)" {
	for n in 4 5 6; do
		for i in $(seq 1 $n); do prop "r$i" revert low "k8s:prod/core/ConfigMap/shop/r$i"; done > "$D/in"
		"$G" --policy "$P" --key "$K/gate.key" --now $NOW < "$D/in" > "$D/out"
		want=approved
		[ $n -le 5 ] || want=escalated
		[ "$(decisions "$D/out" | cut -d' ' -f1 | sort -u)" = $want ]
		[ "$(wc -l < "$D/out")" -eq $n ]
	done
	run jq -r '.data.reasons[0]' "$D/out"
	[ "${lines[0]}" = "limit 'run-size' (at most 5 actions per run): this run has 6; the whole batch is held" ]
	# two runs of three in one input are two batches
	for i in 1 2 3; do
		prop "x$i" revert low "k8s:prod/core/ConfigMap/shop/x$i" run-a
		prop "y$i" revert low "k8s:prod/core/ConfigMap/shop/y$i" run-b
	done > "$D/in"
	"$G" --policy "$P" --key "$K/gate.key" --now $NOW < "$D/in" > "$D/out"
	[ "$(decisions "$D/out" | cut -d' ' -f1 | sort -u)" = approved ]
}

# started EVENT-ID ACTION-ID TARGET TIME
started() {
	jq -cn --arg e "$1" --arg a "$2" --arg t "$3" --arg time "$4" '{
	    specversion: "1.0", id: $e, source: "tend-apply",
	    type: "tend.action.started", time: $time, subject: $t,
	    data: {action_id: $a, attempt: 1}}'
}

@test "limit per target over the log's history: at, below, above; old and later events do not count" {
	T=k8s:prod/core/ConfigMap/shop/hot
	prop h1 revert low $T > "$D/in"
	for h in 0 1 2; do
		{
			started s-old old $T 2026-11-22T11:00:00Z
			started s-later later $T 2026-11-23T12:30:00Z
			[ $h -lt 1 ] || started s1 e1 $T 2026-11-23T06:00:00Z
			[ $h -lt 2 ] || started s2 e2 $T 2026-11-23T09:00:00Z
		} > "$D/history"
		"$G" --policy "$P" --key "$K/gate.key" --now $NOW --history "$D/history" < "$D/in" > "$D/out"
		if [ $h -lt 2 ]; then
			[ "$(jq -r .type "$D/out")" = tend.action.approved ]
		else
			run jq -r '[.type, .data.not_before, .data.reasons[0]] | @tsv' "$D/out"
			[ "$output" = "tend.action.deferred	2026-11-24T06:00:00Z	limit 'per-target-day' (at most 2 actions per target in 24h): target $T has 1 in this run and 2 started in the last 24h; its whole batch is held" ]
		fi
	done
	# the same history as an event log
	"$TEND_BIN/tend-log" append "$D/history.tlog" < "$D/history" > /dev/null
	"$G" --policy "$P" --key "$K/gate.key" --now $NOW --history "$D/history.tlog" < "$D/in" > "$D/out2"
	cmp "$D/out" "$D/out2"
}

@test "limit on a fraction of a kind: at, below and above, sized by the inventory" {
	# four Deployments exist (state events on stdin, or --inventory)
	for i in 1 2 3 4; do
		jq -cn --arg k "k8s:prod/apps/Deployment/shop/d$i" '{specversion: "1.0",
		    id: ("st-" + $k), source: "tend-normalize", type: "tend.resource.state",
		    subject: $k, data: {key: $k, provider: "k8s", kind: "Deployment", spec: {}}}'
	done > "$D/inventory"
	for n in 1 2 3; do
		for i in $(seq 1 $n); do prop "f$i" scale low "k8s:prod/apps/Deployment/shop/d$i"; done > "$D/in"
		"$G" --policy "$P" --key "$K/gate.key" --now $NOW --inventory "$D/inventory" < "$D/in" > "$D/out"
		want=approved
		[ $n -le 2 ] || want=deferred
		[ "$(decisions "$D/out" | cut -d' ' -f1 | sort -u)" = $want ]
		cat "$D/inventory" "$D/in" | "$G" --policy "$P" --key "$K/gate.key" --now $NOW > "$D/out2"
		[ "$(decisions "$D/out2" | cut -d' ' -f1 | sort -u)" = $want ]
	done
	run jq -r '.data.reasons[0]' "$D/out"
	[ "${lines[0]}" = "limit 'deploy-share' (at most 50% of a kind): this run touches 3 of the 4 in kind k8s:prod/apps/Deployment (75%); its whole batch is held" ]
	[ "$(jq -r .data.not_before "$D/out" | sort -u)" = null ]
	# without an inventory one Deployment is all there is: 100%
	prop f1 scale low k8s:prod/apps/Deployment/shop/d1 > "$D/in"
	"$G" --policy "$P" --key "$K/gate.key" --now $NOW < "$D/in" > "$D/out"
	[ "$(jq -r .type "$D/out")" = tend.action.deferred ]
}

@test "credential scope and escalate rules" {
	{
		prop c1 revert low k8s:prod/core/ConfigMap/shop/c1 run-1 '{"credential": "ssh-fleet"}'
		prop c2 host-sysctl low host:web-1/sysctl/vm.swappiness run-1 '{"credential": "ssh-fleet"}'
		prop c3 revert low k8s:prod/core/ConfigMap/shop/c3 run-1 '{"credential": null}'
		prop c4 revert low k8s:prod/core/ConfigMap/shop/c4 run-1 \
		    '{"executor": {"type": "http", "method": "PATCH", "url": "https://k/x", "body": {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "web:2"}]}}}}}}'
	} > "$D/in"
	"$G" --policy "$P" --key "$K/gate.key" --now $NOW < "$D/in" > "$D/out"
	run jq -r '[.data.action_id, .type, .data.reasons[-1]] | @tsv' "$D/out"
	[ "${lines[0]}" = "c1	tend.action.denied	credential 'ssh-fleet' is not granted to skill 'revert' (credentials)" ]
	[ "${lines[1]}" = "c2	tend.action.approved	risk low: auto (risk.low)" ]
	[ "${lines[2]}" = "c3	tend.action.approved	risk low: auto (risk.low)" ]
	[ "${lines[3]}" = "c4	tend.action.escalated	rule 'image-change' (escalate): an image change needs a human" ]
}

@test "a ~/.jq (which libjq would include) cannot change a rule" {
	prop c4 revert low k8s:prod/core/ConfigMap/shop/c4 run-1 \
	    '{"executor": {"type": "http", "method": "PATCH", "url": "https://k/x", "body": {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "web:2"}]}}}}}}' > "$D/in"
	"$G" --policy "$P" --key "$K/gate.key" --now $NOW < "$D/in" > "$D/out"
	mkdir "$D/home"
	printf 'def any(f): false; def has($k): false;\n' > "$D/home/.jq"
	HOME=$D/home "$G" --policy "$P" --key "$K/gate.key" --now $NOW < "$D/in" > "$D/home-out"
	[ "$(jq -r .type "$D/home-out")" = tend.action.escalated ]
	cmp "$D/out" "$D/home-out"
}

@test "a bad proposal stops the run with 3, nothing decided; --keep-going decides the rest" {
	{
		prop g1 revert low k8s:prod/core/ConfigMap/shop/g1
		prop g2 revert low k8s:prod/core/ConfigMap/shop/g2 | jq -c 'del(.data.action_id)'
		prop g3 revert low k8s:prod/core/ConfigMap/shop/g3 | jq -c '.data.targets = []'
	} > "$D/in"
	"$G" --policy "$P" --key "$K/gate.key" --now $NOW < "$D/in" > "$D/out" 2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 3 ]
	[ "$(cat "$D/err")" = "tend-gate: <stdin>:2: tend.action.proposed: /data/action_id: missing or not a non-empty string" ]
	[ ! -s "$D/out" ]
	"$G" -k --policy "$P" --key "$K/gate.key" --now $NOW < "$D/in" > "$D/out" 2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 3 ]
	[ "$(sed -n 2p "$D/err")" = "tend-gate: <stdin>:3: tend.action.proposed: /data/targets: missing or not a non-empty array" ]
	run jq -r '.type + " " + (.data.action_id // .data.message)' "$D/out"
	[ "$output" = "tend.error tend.action.proposed: /data/action_id: missing or not a non-empty string
tend.error tend.action.proposed: /data/targets: missing or not a non-empty array
tend.action.approved g1" ]
}

@test "a policy that does not load names the clause (3); YAML gives the JSON's digest" {
	printf '{"windows":[{"name":"w","effect":"allow","cron":"0 22 * * mon-fry","duration":"4h","tz":"Europe/Berlin"}]}' > "$D/p.json"
	run "$G" --policy "$D/p.json" --key "$K/gate.key" < /dev/null
	[ "$status" -eq 3 ]
	[ "$output" = "tend-gate: $D/p.json: /windows/0 (w): cron '0 22 * * mon-fry': bad day of week field 'mon-fry'" ]
	printf 'limits:\n  - name: big\n    per: namespace\n    max_fraction: 1.5\n' > "$D/p.yaml"
	run "$G" --policy "$D/p.yaml" --key "$K/gate.key" < /dev/null
	[ "$status" -eq 3 ]
	[ "$output" = "tend-gate: $D/p.yaml: /limits/0 (big)/max_fraction: 1.5 is greater than maximum 1" ]
	printf 'rules:\n  - {name: r, effect: deny, if: "input"}\n' > "$D/p.yaml"
	prop y1 revert low k8s:prod/core/ConfigMap/shop/y1 > "$D/in"
	run "$G" --policy "$D/p.yaml" --key "$K/gate.key" --now $NOW < "$D/in"
	[ "$status" -eq 0 ]
	[[ $output == *'"rule '"'r'"' (deny) failed, so it applies: input is not available"'* ]]
	python3 -c 'import json, sys; import yaml' 2> /dev/null || skip "no python3-yaml to write the YAML"
	python3 -c 'import json, sys, yaml; yaml.safe_dump(json.load(open(sys.argv[1])), open(sys.argv[2], "w"))' "$P" "$D/policy.yaml"
	"$G" --policy "$P" --key "$K/gate.key" --now $NOW < "$D/in" > "$D/a"
	"$G" --policy "$D/policy.yaml" --key "$K/gate.key" --now $NOW < "$D/in" > "$D/b"
	cmp "$D/a" "$D/b"
}

@test "an approval verifies with the public key alone (independent check in Python)" {
	python3 -c 'import cryptography' 2> /dev/null || skip "no python3-cryptography"
	prop v1 revert low k8s:prod/core/ConfigMap/shop/v1 run-1 '{"reason": "caf\u00e9 \u2014 revert"}' > "$D/in"
	"$G" --policy "$P" --key "$K/gate.key" --now $NOW < "$D/in" > "$D/out"
	cat > "$D/verify.py" <<-'EOF'
	import base64, hashlib, json, sys
	from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
	vkey = open(sys.argv[1]).read().strip()
	name, kid, b64 = vkey.split("+", 2)
	pub = Ed25519PublicKey.from_public_bytes(base64.b64decode(b64)[1:])
	ev = json.loads(open(sys.argv[2]).read())
	d = ev["data"]
	assert d["key_id"] == name + "+" + kid, d["key_id"]
	jcs = lambda o: json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
	payload = b"tend-approval-v1\n" + jcs({
	    "action_digest": "sha256:" + hashlib.sha256(jcs(d["action"])).hexdigest(),
	    "action_id": d["action_id"], "expires": d["expires"],
	    "policy_digest": d["policy_digest"], "shadow": d["shadow"]})
	pub.verify(base64.b64decode(d["signature"]), payload)
	d["expires"] = "2026-11-23T12:15:01Z"
	payload = payload.replace(b"12:15:00Z", b"12:15:01Z")
	try:
	    pub.verify(base64.b64decode(d["signature"]), payload)
	    sys.exit("a changed expiry verified")
	except Exception:
	    pass
	print("ok")
	EOF
	run python3 "$D/verify.py" "$K/gate.pub" "$D/out"
	[ "$output" = ok ]
	[ "$(jq -r .data.expires "$D/out")" = 2026-11-23T12:15:00Z ]
}

@test "human approvals: approve, then a later run honours a valid one only" {
	prop hu1 revert high k8s:prod/core/ConfigMap/shop/hu1 > "$D/in"
	"$G" --policy "$P" --key "$K/gate.key" --now $NOW < "$D/in" > "$D/escalated"
	[ "$(jq -r .type "$D/escalated")" = tend.action.escalated ]
	"$G" approve --key "$K/alice.key" --now 2026-11-23T12:05:00Z --ttl 1h hu1 < "$D/escalated" > "$D/approval"
	run jq -r '[.type, .data.approved_by, .data.reasons[0], .data.expires, .causeid == ($e | fromjson).id] | @tsv' --arg e "$(cat "$D/escalated")" "$D/approval"
	[ "$output" = "tend.action.approved	alice	approved by a human: alice	2026-11-23T13:05:00Z	true" ]
	"$TEND_BIN/tend-validate" < "$D/approval" > /dev/null
	# honoured later, with the trusted key; the gate's approval expires
	# no later than the human's
	"$G" --policy "$P" --key "$K/gate.key" --now 2026-11-23T12:58:00Z --approvals "$D/approval" --trust "$K/alice.pub" < "$D/in" > "$D/out" 2> "$D/err"
	run jq -r '[.type, .data.reasons[-1], .data.expires] | @tsv' "$D/out"
	[ "$output" = "tend.action.approved	approved by a human: alice (until 2026-11-23T13:05:00Z)	2026-11-23T13:05:00Z" ]
	[ ! -s "$D/err" ]
	# on stdin, too (and not passed on)
	cat "$D/approval" "$D/in" | "$G" --policy "$P" --key "$K/gate.key" --now 2026-11-23T12:58:00Z --trust "$K/alice.pub" > "$D/out2"
	[ "$(decisions "$D/out2")" = "approved hu1" ]
	# not trusted: mallory's key, or no --trust
	run "$G" --policy "$P" --key "$K/gate.key" --now 2026-11-23T12:58:00Z --approvals "$D/approval" --trust "$K/mallory.pub" < "$D/in"
	[ "$status" -eq 0 ]
	[[ $output == *"approval of 'hu1' not honoured: key 'alice+"*"' is not trusted"* ]]
	[[ $output == *'"type":"tend.action.escalated"'* ]]
	# tampered: a later expiry
	jq -c '.data.expires = "2026-11-24T12:00:00Z"' "$D/approval" > "$D/forged"
	run "$G" --policy "$P" --key "$K/gate.key" --now 2026-11-23T12:58:00Z --approvals "$D/forged" --trust "$K/alice.pub" < "$D/in"
	[[ $output == *"approval of 'hu1' not honoured: signature does not verify with key 'alice+"* ]]
	[[ $output == *'"type":"tend.action.escalated"'* ]]
	# expired: quietly not honoured
	"$G" --policy "$P" --key "$K/gate.key" --now 2026-11-23T13:05:00Z --approvals "$D/approval" --trust "$K/alice.pub" < "$D/in" > "$D/out" 2> "$D/err"
	[ "$(jq -r .type "$D/out")" = tend.action.escalated ]
	[ ! -s "$D/err" ]
	# another proposal of the same action (another run): not this approval
	prop hu1 revert high k8s:prod/core/ConfigMap/shop/hu1 run-2 > "$D/in2"
	"$G" --policy "$P" --key "$K/gate.key" --now 2026-11-23T12:58:00Z --approvals "$D/approval" --trust "$K/alice.pub" < "$D/in2" > "$D/out"
	[ "$(jq -r .type "$D/out")" = tend.action.escalated ]
	# no such action
	run "$G" approve --key "$K/alice.key" nope < "$D/escalated"
	[ "$status" -eq 1 ]
	[ "$output" = "tend-gate: no tend.action.proposed or .escalated about 'nope' in the input" ]
}

@test "replaying a logged run with --now reproduces its decisions" {
	T=k8s:prod/core/ConfigMap/shop/rp
	{
		started s-y1 y1 $T 2026-11-23T01:00:00Z
		started s-y2 y2 $T 2026-11-23T02:00:00Z
	} | "$TEND_BIN/tend-log" append "$D/log" > /dev/null
	{
		for i in 1 2 3; do prop "rp$i" revert low "k8s:prod/core/ConfigMap/shop/rp$i" run-9; done
		prop rp4 revert low $T run-9
		prop rp5 revert medium k8s:prod/core/ConfigMap/shop/rp5 run-9
		prop rp6 revert high k8s:prod/core/ConfigMap/shop/rp6 run-9
	} > "$D/in"
	"$TEND_BIN/tend-log" append "$D/log" < "$D/in" > /dev/null
	"$G" --policy "$P" --key "$K/gate.key" --now $NOW --history "$D/log" --log "$D/log" < "$D/in" > "$D/run"
	# apply carries one out later: not part of the run's history
	started s-later rp1 k8s:prod/core/ConfigMap/shop/rp1 2026-11-23T12:01:00Z |
	    "$TEND_BIN/tend-log" append "$D/log" > /dev/null
	"$TEND_BIN/tend-log" cat --type tend.action.proposed "$D/log" |
	    "$G" --policy "$P" --key "$K/gate.key" --now $NOW --history "$D/log" > "$D/replay"
	"$TEND_BIN/tend-log" cat --type 'tend.action.[ade]*' "$D/log" | sed 's/^{"seq":[0-9]*,/{/' > "$D/logged"
	[ "$(wc -l < "$D/logged")" -eq 6 ]
	cmp "$D/logged" "$D/replay"
	[ "$(jq -r 'select(.data.action_id == "rp4") | .type' "$D/replay")" = tend.action.deferred ]
}

@test "escalations go to a webhook; a receiver that fails makes the status 4" {
	python3 "$BATS_TEST_DIRNAME/../gate/webhook.py" --port-file "$D/port" --log "$D/hook.log" 3>&- &
	pid=$!
	for i in $(seq 1 100); do [ -s "$D/port" ] && break; sleep 0.05; done
	U=http://127.0.0.1:$(cat "$D/port")
	{
		prop e1 revert high k8s:prod/core/ConfigMap/shop/e1
		prop e2 revert low k8s:prod/core/ConfigMap/shop/e2
		prop e3 newbie high k8s:prod/core/ConfigMap/shop/e3
	} > "$D/in"
	"$G" --policy "$P" --key "$K/gate.key" --now $NOW --notify-webhook "$U/hook" < "$D/in" > "$D/out" && st=0 || st=$?
	[ "$st" -eq 0 ]
	run jq -c '[.data.action_id, .data.notified]' "$D/out"
	[ "$output" = '["e1",["webhook"]]
["e2",null]
["e3",[]]' ]
	[ "$(wc -l < "$D/hook.log")" -eq 1 ]
	run jq -c '.escalations[] | [.labels, .action.action_id, .reasons]' "$D/hook.log"
	[ "$output" = '[{"alertname":"TendActionEscalated","action_id":"e1","skill":"revert","target":"k8s:prod/core/ConfigMap/shop/e1","source":"tend-gate"},"e1",["risk high: human (risk.high)"]]' ]
	"$G" --policy "$P" --key "$K/gate.key" --now $NOW --notify-webhook "$U/fail" < "$D/in" > "$D/out" 2> "$D/err" && st=0 || st=$?
	kill "$pid"
	[ "$st" -eq 4 ]
	[ "$(cat "$D/err")" = "tend-gate: webhook: $U/fail answered HTTP 500: {}" ]
	[ "$(jq -c 'select(.data.action_id == "e1") | .data.notified' "$D/out")" = '[]' ]
	[ "$(wc -l < "$D/out")" -eq 3 ]
	run "$G" --policy "$P" --key "$K/gate.key" --now $NOW --notify-webhook http://127.0.0.1:1/x < "$D/in"
	[ "$status" -eq 4 ]
	[[ $output == *"tend-gate: webhook: cannot notify http://127.0.0.1:1/x: "* ]]
}

@test "--unsigned: what-if decisions without a key, marked unsigned" {
	prop u1 revert low k8s:prod/core/ConfigMap/shop/u1 > "$D/in"
	"$G" --policy "$P" --unsigned --now $NOW < "$D/in" > "$D/out"
	run jq -c '[.type, .data.unsigned, .data.signature]' "$D/out"
	[ "$output" = '["tend.action.approved",true,null]' ]
	"$TEND_BIN/tend-validate" < "$D/out" > /dev/null
}

@test "the shipped pipelines' policies load" {
	for p in "$BATS_TEST_DIRNAME"/../../pipelines/*/policy.json; do
		run "$G" --policy "$p" --unsigned --now $NOW < /dev/null
		[ "$status" -eq 0 ] || { echo "$p: $output"; return 1; }
	done
}
