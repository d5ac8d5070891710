#!/usr/bin/env bats
# tend-apply: what a user sees on stdout, stderr, in the exit status, in
# the event log, and on the systems it acts on (files, commands, a
# loopback HTTP server that records every request).

setup_file() {
	export TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	export S=$BATS_FILE_TMPDIR
	PY=/usr/bin/python3
	[ -x "$PY" ] || PY=$(command -v python3)
	export PY
	"$TEND_BIN/tend-gate" keygen --name test.example/apply "$S/gate.key" \
	    "$S/gate.pub" > /dev/null
	"$TEND_BIN/tend-gate" keygen --name test.example/other "$S/other.key" \
	    "$S/other.pub" > /dev/null
	cat > "$S/policy.json" <<-'EOF'
	{"version": 1, "name": "apply tests",
	 "defaults": {"skill_mode": "auto", "risk_mode": "auto"},
	 "skills": {"burnin": {"mode": "shadow"}, "retired": {"mode": "off"}},
	 "credentials": {"api": "*", "ftok": "*", "broker": "*", "nope": "*"}}
	EOF
	"$PY" "$BATS_TEST_DIRNAME/../fixtures/http-recorder.py" \
	    --port-file "$S/port" --log "$S/rec.log" \
	    --blackhole-port-file "$S/hole" 3>&- &
	echo $! > "$S/rec.pid"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$S/tls.key" \
	    -out "$S/tls.crt" -subj /CN=127.0.0.1 -days 2 \
	    -addext subjectAltName=IP:127.0.0.1 > /dev/null 2>&1
	"$PY" "$BATS_TEST_DIRNAME/../fixtures/http-recorder.py" \
	    --port-file "$S/tport" --log "$S/trec.log" \
	    --tls "$S/tls.crt" "$S/tls.key" 3>&- &
	echo $! > "$S/trec.pid"
	for i in $(seq 1 100); do
		[ -f "$S/port" ] && [ -f "$S/tport" ] && [ -f "$S/hole" ] && break
		sleep 0.1
	done
	curl -fs "http://127.0.0.1:$(cat "$S/port")/ok" > /dev/null
}

teardown_file() {
	[ -f "$S/rec.pid" ] && kill "$(cat "$S/rec.pid")"
	[ -f "$S/trec.pid" ] && kill "$(cat "$S/trec.pid")"
	return 0
}

setup() {
	A=$TEND_BIN/tend-apply
	D=$BATS_TEST_TMPDIR
	P=http://127.0.0.1:$(cat "$S/port")
	TP=https://127.0.0.1:$(cat "$S/tport")
	HOLE=http://127.0.0.1:$(cat "$S/hole")
	NOW=2026-11-22T05:01:00Z
	mkdir -p "$D/files"
	cat > "$D/conf.json" <<-EOF
	{"version": 1,
	 "exec": {"allow": ["/bin/sh", "/bin/true"], "kill_grace": 0.5},
	 "http": {"timeout": 5, "backoff": 0.2, "backoff_max": 2},
	 "file": {"allow": ["$D/files"]}}
	EOF
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY
}

# prop ID EXECUTOR [EXTRA-MEMBERS] [SKILL] [TARGET]: a proposal, as
# tend plan writes it.
prop() {
	printf '{"specversion":"1.0","id":"p-%s","source":"tend-plan","type":"tend.action.proposed","time":"2026-11-22T05:00:00Z","subject":"host:t/thing/%s","runid":"run-1","data":{"action_id":"%s","skill":"%s","domain":"config","targets":["host:t/thing/%s"],"executor":%s,"risk":"low","reason":"test"%s}}\n' \
	    "$1" "${5:-$1}" "$1" "${4:-fix}" "${5:-$1}" "$2" "${3:-}"
}

# approve [GATE-OPTIONS] FILE: the gate's signed decisions.
approve() {
	"$TEND_BIN/tend-gate" --policy "$S/policy.json" --key "$S/gate.key" \
	    --now 2026-11-22T05:00:00Z "$@"
}

# An exec executor appending a line to file $1: run twice, it shows.
count() {
	printf '{"type":"exec","argv":["/bin/sh","-c","echo x >> \\"$0\\"","%s"]}' "$1"
}

# Seconds since the epoch, with a fraction.
now() {
	date +%s.%N
}

# took T0 T1 MIN MAX: MIN <= T1 - T0 < MAX (seconds, fractions allowed).
took() {
	awk -v a="$1" -v b="$2" -v lo="$3" -v hi="$4" \
	    'BEGIN { d = b - a; printf "%.2f s\n", d; exit !(d >= lo && d < hi) }'
}

@test "--help prints the synopsis on stdout and exits 0" {
	run "$A" --help
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "usage: tend-apply [-hknV] --verify-key file [--config file]" ]
	[[ $output == *"[--on-interrupted retry|skip|escalate] [--timings]"* ]]
}

@test "--version; usage errors exit 2" {
	run "$A" --version
	[ "$status" -eq 0 ]
	[[ $output == "tend-apply (tend) "* ]]
	run "$A" --frobnicate
	[ "$status" -eq 2 ]
	run "$A" < /dev/null
	[ "$status" -eq 2 ]
	[[ $output == *"--verify-key is required"* ]]
	run "$A" --verify-key "$S/gate.pub" --on-interrupted maybe < /dev/null
	[ "$status" -eq 2 ]
	run "$A" --verify-key "$S/gate.pub" --jobs 0 < /dev/null
	[ "$status" -eq 2 ]
}

@test "an approved command runs: started, then succeeded; the events are valid" {
	prop c1 "$(count "$D/c1")" > "$D/prop"
	approve "$D/prop" > "$D/appr"
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out" 2> "$D/err"
	[ ! -s "$D/err" ]
	[ "$(cat "$D/c1")" = x ]
	run jq -r '[.type, .source, .subject, .runid, .time, .data.action_id, .data.executor, .data.attempt] | @tsv' "$D/out"
	[ "${lines[0]}" = "tend.action.started	tend-apply	host:t/thing/c1	run-1	$NOW	c1	exec	1" ]
	[ "${lines[1]}" = "tend.action.succeeded	tend-apply	host:t/thing/c1	run-1	$NOW	c1	exec	1" ]
	# caused by the approval
	[ "$(jq -r .id "$D/appr")" = "$(jq -r .causeid "$D/out" | sort -u)" ]
	run jq -c .data.result "$D/out"
	[ "${lines[1]}" = '{"exit":0,"stdout":"","stdout_bytes":0,"stderr":"","stderr_bytes":0}' ]
	"$TEND_BIN/tend-validate" "$D/out" > /dev/null
}

@test "the same input and clock give the same events" {
	prop c1 "$(count "$D/c1")" > "$D/prop"
	prop c2 "$(count "$D/c2")" >> "$D/prop"
	approve "$D/prop" > "$D/appr"
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out1"
	rm "$D/c1" "$D/c2"
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out2"
	cmp "$D/out1" "$D/out2"
}

@test "one changed byte anywhere in an approved action: never carried out" {
	prop c1 "$(count "$D/c1")" > "$D/prop"
	approve "$D/prop" > "$D/appr"
	# every byte of the action object flipped in turn, one line each
	"$PY" - "$D/appr" > "$D/tampered" <<-'EOF'
	import sys
	line = open(sys.argv[1], "rb").read().rstrip(b"\n")
	start = line.index(b'"action":{') + 9
	for i in range(start, len(line) - 2):
	    b = bytearray(line)
	    b[i] ^= 1
	    sys.stdout.buffer.write(bytes(b) + b"\n")
	EOF
	[ "$(wc -l < "$D/tampered")" -gt 150 ]
	"$A" -k --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/tampered" > "$D/out" 2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 3 ]
	[ ! -e "$D/c1" ]
	! jq -e 'select(.type == "tend.action.started")' "$D/out" > /dev/null || false
	# each line is bad input, or a skip: for a bad signature (or a key
	# that is not the signer's); none is carried out
	run jq -r 'select(.type == "tend.action.skipped") | .data.reason' "$D/out"
	for r in "${lines[@]}"; do [ "$r" = bad-signature ]; done
	[ "${#lines[@]}" -gt 20 ]
}

@test "a wrong key, no signature, an expired or a shadow approval: skipped" {
	prop c1 "$(count "$D/c1")" > "$D/prop"
	prop c2 "$(count "$D/c2")" "" burnin >> "$D/prop"
	approve "$D/prop" > "$D/appr"
	# wrong key: exit 3, said on stderr
	"$A" --verify-key "$S/other.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out" 2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 3 ]
	run jq -r '[.data.action_id, .data.reason, .data.detail] | @tsv' "$D/out"
	[ "${lines[0]}" = "c1	bad-signature	key 'test.example/apply+$(cut -d+ -f2 "$S/gate.pub")' is not trusted" ]
	[[ $(cat "$D/err") == "tend-apply: c1: bad-signature: key '"*"' is not trusted"* ]]
	# expired: 15 minutes after 05:00
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" \
	    --now 2026-11-22T05:15:00Z "$D/appr" > "$D/out"
	run jq -r '[.data.action_id, .data.reason, .data.detail] | @tsv' "$D/out"
	[ "${lines[0]}" = "c1	expired	the approval expired at 2026-11-22T05:15:00Z" ]
	# shadow (a skill in burn-in)
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out"
	run jq -r 'select(.data.action_id == "c2") | .data.reason' "$D/out"
	[ "$output" = shadow ]
	# unsigned (what-if)
	"$TEND_BIN/tend-gate" --policy "$S/policy.json" --unsigned \
	    --now 2026-11-22T05:00:00Z "$D/prop" > "$D/unsigned"
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/unsigned" > "$D/out" 2> /dev/null && st=0 || st=$?
	[ "$st" -eq 3 ]
	run jq -r '.data.reason' "$D/out"
	[ "${lines[0]}" = unsigned ]
	[ ! -e "$D/c1" ] && [ ! -e "$D/c2" ]
	"$TEND_BIN/tend-validate" "$D/out" > /dev/null
}

@test "other decisions are skipped as not approved; other events pass through" {
	prop c1 "$(count "$D/c1")" "" retired > "$D/prop"
	approve "$D/prop" > "$D/appr"
	ev='{"specversion":"1.0","id":"x1","source":"test","type":"com.example.thing","data":{"a":1}}'
	echo "$ev" >> "$D/appr"
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out"
	run jq -r '[.data.reason, .data.detail] | @tsv' "$D/out"
	[ "${lines[0]}" = "not-approved	the decision is denied, not an approval" ]
	[ "$(sed -n 2p "$D/out")" = "$ev" ]
	[ ! -e "$D/c1" ]
}

@test "not allowed: a program off the allow-list, a file outside, an unknown credential" {
	prop e1 '{"type":"exec","argv":["/usr/bin/id"]}' > "$D/prop"
	prop f1 "{\"type\":\"file\",\"path\":\"$D/elsewhere.txt\",\"content\":\"x\"}" >> "$D/prop"
	prop e2 '{"type":"exec","argv":["/bin/true"]}' ',"credential":"nope"' >> "$D/prop"
	prop e3 "$(count "$D/e3")" ',"rollback":{"type":"exec","argv":["/usr/bin/id"]}' >> "$D/prop"
	approve "$D/prop" > "$D/appr"
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out" 2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 3 ]
	run jq -r '[.data.action_id, .data.reason, .data.detail] | @tsv' "$D/out"
	[ "${lines[0]}" = "e1	not-allowed	'/usr/bin/id' is not on the exec allow-list" ]
	[ "${lines[1]}" = "f1	not-allowed	'$D/elsewhere.txt' is not in a directory of file.allow" ]
	[ "${lines[2]}" = "e2	not-allowed	credential 'nope' is not in --credentials (none given)" ]
	# what could not be undone as planned is not started
	[ "${lines[3]}" = "e3	not-allowed	rollback: '/usr/bin/id' is not on the exec allow-list" ]
	[ ! -e "$D/e3" ]
	[ "$(grep -c 'not-allowed' "$D/err")" -eq 4 ]
	[ ! -e "$D/elsewhere.txt" ]
	# without a configuration nothing runs
	"$A" --verify-key "$S/gate.pub" --now $NOW "$D/appr" > "$D/out" \
	    2> /dev/null || true
	run jq -r .data.reason "$D/out"
	[ "${lines[0]}" = not-allowed ]
}

@test "the man page's configuration and credentials examples load" {
	man=$BATS_TEST_DIRNAME/../../filters/apply/tend-apply.1
	awk '/^A configuration that/ { on = 1 } on && /^\.Bd/ { p = 1; next }
	    p && /^\.Ed/ { exit } p' "$man" > "$D/conf-example.json"
	awk '/^A credentials file/ { on = 1 } on && /^\.Bd/ { p = 1; next }
	    p && /^\.Ed/ { exit } p' "$man" > "$D/creds-example.json"
	jq -e .exec.allow "$D/conf-example.json" > /dev/null
	jq -e .credentials "$D/creds-example.json" > /dev/null
	"$A" --verify-key "$S/gate.pub" --config "$D/conf-example.json" \
	    --credentials "$D/creds-example.json" < /dev/null
}

@test "a configuration others may write is refused" {
	chmod 666 "$D/conf.json"
	run "$A" --verify-key "$S/gate.pub" --config "$D/conf.json" < /dev/null
	[ "$status" -eq 3 ]
	[[ $output == *"conf.json' is writable by another user"* ]]
	chmod 644 "$D/conf.json"
	echo '{"exec": {"allow": ["sh"]}}' > "$D/bad.json"
	run "$A" --verify-key "$S/gate.pub" --config "$D/bad.json" < /dev/null
	[ "$status" -eq 3 ]
	[ "$output" = "tend-apply: $D/bad.json: /exec/allow/0: does not match pattern \"^/\"" ]
}

@test "file: written atomically with mode, previous content kept; JSON Patch" {
	printf 'old\n' > "$D/files/a.conf"
	chmod 600 "$D/files/a.conf"
	echo '{"a": 1, "list": [1, 2]}' > "$D/files/b.json"
	prop f1 "{\"type\":\"file\",\"path\":\"$D/files/a.conf\",\"content\":\"new\\n\",\"mode\":\"0640\"}" > "$D/prop"
	prop f2 "{\"type\":\"file\",\"path\":\"$D/files/b.json\",\"patch\":[{\"op\":\"replace\",\"path\":\"/a\",\"value\":2},{\"op\":\"add\",\"path\":\"/list/-\",\"value\":3}]}" >> "$D/prop"
	prop f3 "{\"type\":\"file\",\"path\":\"$D/files/new.txt\",\"content\":\"hello\"}" >> "$D/prop"
	approve "$D/prop" > "$D/appr"
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out"
	[ "$(cat "$D/files/a.conf")" = new ]
	[ "$(stat -c %a "$D/files/a.conf")" = 640 ]
	[ "$(cat "$D/files/.a.conf.tend-prev")" = old ]
	[ "$(cat "$D/files/b.json")" = '{"a":2,"list":[1,2,3]}' ]
	[ "$(cat "$D/files/new.txt")" = hello ]
	# no temporary file left behind
	[ -z "$(find "$D/files" -maxdepth 1 -name '*tend-[0-9a-f]*')" ]
	run jq -c 'select(.type == "tend.action.succeeded") | .data.result | [.changed, .bytes, .digest == ("sha256:" + "'"$(printf 'new\n' | sha256sum | cut -c1-64)"'")]' "$D/out"
	[ "${lines[0]}" = '[true,4,true]' ]
	# again: nothing to change
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out"
	run jq -c 'select(.type == "tend.action.succeeded") | .data.result.changed' "$D/out"
	[ "${lines[0]}" = false ]
	"$TEND_BIN/tend-validate" "$D/out" > /dev/null
}

@test "file: a symbolic link at the target is refused" {
	echo target > "$D/files/real"
	ln -s real "$D/files/link"
	prop f1 "{\"type\":\"file\",\"path\":\"$D/files/link\",\"content\":\"x\"}" > "$D/prop"
	approve "$D/prop" > "$D/appr"
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out" 2> /dev/null && st=0 || st=$?
	[ "$st" -eq 4 ]
	[ "$(jq -r 'select(.type == "tend.action.failed") | .data.error' "$D/out")" = "'$D/files/link' is a symbolic link: refused" ]
	[ "$(cat "$D/files/real")" = target ] && [ -L "$D/files/link" ]
}

@test "stale: a file changed since it was planned is not overwritten" {
	printf 'planned\n' > "$D/files/s.conf"
	dig=sha256:$(sha256sum < "$D/files/s.conf" | cut -c1-64)
	prop s1 "{\"type\":\"file\",\"path\":\"$D/files/s.conf\",\"content\":\"fixed\\n\"}" ",\"state_digest\":\"$dig\"" > "$D/prop"
	approve "$D/prop" > "$D/appr"
	printf 'someone else\n' > "$D/files/s.conf"
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out"
	run jq -r '[.type, .data.reason, .data.detail] | @tsv' "$D/out"
	[ "${#lines[@]}" -eq 1 ]
	[ "${lines[0]}" = "tend.action.skipped	stale	the target changed since it was planned against $dig: it is now sha256:$(printf 'someone else\n' | sha256sum | cut -c1-64)" ]
	[ "$(cat "$D/files/s.conf")" = "someone else" ]
	# as planned: carried out
	printf 'planned\n' > "$D/files/s.conf"
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out"
	[ "$(cat "$D/files/s.conf")" = fixed ]
}

@test "stale: an HTTP object changed since it was planned is not patched" {
	curl -fs -X PUT -d '{"spec":{"replicas":3}}' "$P/obj/web1" > /dev/null
	dig=sha256:$(printf '{"spec":{"replicas":3}}' | sha256sum | cut -c1-64)
	prop h1 "{\"type\":\"http\",\"method\":\"PATCH\",\"url\":\"$P/obj/web1\",\"headers\":{\"Content-Type\":\"application/merge-patch+json\"},\"body\":{\"spec\":{\"replicas\":2}}}" ",\"state_digest\":\"$dig\"" > "$D/prop"
	approve "$D/prop" > "$D/appr"
	# the JCS digest of the object read back matches: patched
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out"
	[ "$(jq -r .type "$D/out" | tail -1)" = tend.action.succeeded ]
	[ "$(curl -fs "$P/obj/web1")" = '{"spec": {"replicas": 2}}' ]
	# changed by someone else: refused
	curl -fs -X PUT -d '{"spec":{"replicas":5}}' "$P/obj/web1" > /dev/null
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out"
	[ "$(jq -r .data.reason "$D/out")" = stale ]
	[ "$(curl -fs "$P/obj/web1")" = '{"spec": {"replicas": 5}}' ]
}

@test "precondition: an object is patched only at the resourceVersion it was planned against" {
	obj() {
		curl -fs -X PUT -d "{\"metadata\":{\"name\":\"web2\"$1},\"spec\":{\"replicas\":3}}" "$P/obj/web2" > /dev/null
	}
	prop r1 "{\"type\":\"http\",\"method\":\"PATCH\",\"url\":\"$P/obj/web2\",\"headers\":{\"Content-Type\":\"application/merge-patch+json\"},\"body\":{\"spec\":{\"replicas\":2}}}" ',"precondition":{"pointer":"/metadata/resourceVersion","value":"100"}' > "$D/prop"
	approve "$D/prop" > "$D/appr"
	# written since it was planned: skipped, only read
	obj ',"resourceVersion":"101"'
	: > "$S/rec.log"
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out"
	[ "$(jq -r '[.type, .data.reason, .data.detail] | @tsv' "$D/out")" = 'tend.action.skipped	stale	the target changed since it was planned: /metadata/resourceVersion is no longer "100"' ]
	[ "$(jq -r .method "$S/rec.log")" = GET ]
	# without one: skipped, naming the pointer
	obj ''
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out"
	[ "$(jq -r .data.detail "$D/out")" = "the target has nothing at /metadata/resourceVersion" ]
	[ "$(curl -fs "$P/obj/web2" | jq -c .spec)" = '{"replicas":3}' ]
	# at the planned version: patched
	obj ',"resourceVersion":"100"'
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out"
	[ "$(jq -r .type "$D/out" | tail -1)" = tend.action.succeeded ]
	[ "$(curl -fs "$P/obj/web2" | jq -c .spec)" = '{"replicas":2}' ]
}

@test "precondition: malformed, beside a state_digest, or on a command: invalid (3)" {
	u="{\"type\":\"http\",\"method\":\"PATCH\",\"url\":\"$P/obj/x\",\"body\":{}}"
	prop m1 "$u" ',"precondition":{"pointer":"metadata","value":1}' > "$D/prop"
	prop m2 "$u" ',"precondition":{"pointer":"/a"}' >> "$D/prop"
	prop m3 "$u" ',"precondition":{"pointer":"/a","value":1},"state_digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"' >> "$D/prop"
	prop m4 "$(count "$D/m4")" ',"precondition":{"pointer":"/a","value":1}' >> "$D/prop"
	approve "$D/prop" > "$D/appr"
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out" 2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 3 ]
	run jq -r '[.data.action_id, .data.reason, .data.detail] | @tsv' "$D/out"
	[ "${lines[0]}" = "m1	invalid	precondition/pointer: JSON pointer does not start with '/'" ]
	[ "${lines[1]}" = 'm2	invalid	precondition: not {"pointer": P, "value": V}' ]
	[ "${lines[2]}" = "m3	invalid	both a state_digest and a precondition" ]
	[ "${lines[3]}" = "m4	invalid	precondition: an action of this executor cannot read its target" ]
	[ ! -e "$D/m4" ]
}

@test "http: Kubernetes-style merge and server-side apply PATCHes" {
	curl -fs -X PUT -d '{"metadata":{"name":"cm"},"data":{"a":"1","b":"2"}}' "$P/obj/cm" > /dev/null
	prop k1 "{\"type\":\"http\",\"method\":\"PATCH\",\"url\":\"$P/obj/cm\",\"headers\":{\"Content-Type\":\"application/merge-patch+json\"},\"body\":{\"data\":{\"a\":\"9\",\"b\":null}}}" > "$D/prop"
	prop k2 "{\"type\":\"http\",\"method\":\"PATCH\",\"url\":\"$P/obj/ssa?fieldManager=tend&force=true\",\"headers\":{\"Content-Type\":\"application/apply-patch+yaml\"},\"body\":{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"data\":{\"x\":\"1\"}}}" >> "$D/prop"
	approve "$D/prop" > "$D/appr"
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out"
	[ "$(curl -fs "$P/obj/cm")" = '{"metadata": {"name": "cm"}, "data": {"a": "9"}}' ]
	[ "$(curl -fs "$P/obj/ssa")" = '{"apiVersion": "v1", "kind": "ConfigMap", "data": {"x": "1"}}' ]
	run jq -c 'select(.path == "/obj/ssa?fieldManager=tend&force=true") | [.method, .headers["content-type"], .body]' "$S/rec.log"
	[ "$output" = '["PATCH","application/apply-patch+yaml","{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"data\":{\"x\":\"1\"}}"]' ]
}

@test "http: retries with backoff, Retry-After, one Idempotency-Key, the credential header; the secret nowhere" {
	secret="tok-$RANDOM-s3cr3t-$RANDOM"
	echo '{"credentials": {"api": {"env": "API_TOKEN"}}}' > "$D/creds.json"
	prop r1 "{\"type\":\"http\",\"method\":\"POST\",\"url\":\"$P/flaky/r1-$BATS_TEST_NUMBER?fail=2&code=503&retry_after=1\",\"body\":{\"n\":1}}" ',"credential":"api","idempotency_key":"key-r1"' > "$D/prop"
	prop r2 "{\"type\":\"http\",\"method\":\"PUT\",\"url\":\"$P/flaky/r2-$BATS_TEST_NUMBER?fail=3&code=502\",\"body\":\"raw text\"}" ',"credential":"api"' >> "$D/prop"
	prop r3 "{\"type\":\"http\",\"method\":\"GET\",\"url\":\"$P/echo\"}" ',"credential":"api"' >> "$D/prop"
	approve "$D/prop" > "$D/appr"
	API_TOKEN=$secret "$A" --verify-key "$S/gate.pub" --config "$D/conf.json" \
	    --credentials "$D/creds.json" --log "$D/log.zst" --now $NOW \
	    "$D/appr" > "$D/out" 2> "$D/err"
	[ ! -s "$D/err" ]
	run jq -c 'select(.type == "tend.action.succeeded") | [.data.action_id, .data.result.status, .data.result.attempts]' "$D/out"
	[ "${lines[0]}" = '["r1",200,3]' ]
	[ "${lines[1]}" = '["r2",200,4]' ]
	# r1: POST, 503 with Retry-After: 1 twice; the same key every time,
	# the credential as a bearer token, each on a new connection
	grep "/flaky/r1-$BATS_TEST_NUMBER" "$S/rec.log" > "$D/r1"
	[ "$(wc -l < "$D/r1")" -eq 3 ]
	[ "$(jq -r '.headers["idempotency-key"]' "$D/r1" | sort -u)" = key-r1 ]
	[ "$(jq -r '.headers.authorization' "$D/r1" | sort -u)" = "Bearer $secret" ]
	[ "$(jq -r .body "$D/r1" | sort -u)" = '{"n":1}' ]
	[ "$(jq -r .port "$D/r1" | sort -u | wc -l)" -eq 3 ]
	run jq -s '[.[1].t - .[0].t, .[2].t - .[1].t] | map(. >= 0.95 and . < 1.9) | all' "$D/r1"
	[ "$output" = true ]
	# r2: PUT, 502 three times: exponential backoff from 0.2 s with
	# jitter (half of each wait is random): 0.1-0.2, 0.2-0.4, 0.4-0.8 s
	grep "/flaky/r2-$BATS_TEST_NUMBER" "$S/rec.log" > "$D/r2"
	[ "$(wc -l < "$D/r2")" -eq 4 ]
	[ "$(jq -r '.headers["idempotency-key"]' "$D/r2" | sort -u)" = r2 ]
	[ "$(jq -r .body "$D/r2" | sort -u)" = "raw text" ]
	run jq -s '[.[1].t - .[0].t, .[2].t - .[1].t, .[3].t - .[2].t] | [(.[0] >= 0.09 and .[0] < 0.5), (.[1] >= 0.19 and .[1] < 0.7), (.[2] >= 0.39 and .[2] < 1.1)] | all' "$D/r2"
	[ "$output" = true ]
	# r3: the server echoes the header back; the event shows it redacted
	[ "$(jq -r 'select(.data.action_id == "r3" and .type == "tend.action.succeeded") | .data.result.body | fromjson | .headers.authorization' "$D/out")" = "Bearer [REDACTED]" ]
	# the secret is in no event, log or stderr byte
	! grep -q "$secret" "$D/out" "$D/err" || false
	zstdcat "$D/log.zst" > "$D/log.ndjson"
	! grep -q "$secret" "$D/log.ndjson" || false
	! grep -q s3cr3t "$D/out" "$D/err" "$D/log.ndjson" || false
	"$TEND_BIN/tend-validate" "$D/out" > /dev/null
}

@test "http: a 4xx is not retried; after the retries a 503 fails the action, exit 4" {
	prop n1 "{\"type\":\"http\",\"method\":\"POST\",\"url\":\"$P/status/404\"}" > "$D/prop"
	prop n2 "{\"type\":\"http\",\"method\":\"GET\",\"url\":\"$P/flaky/n2-$BATS_TEST_NUMBER?fail=99\"}" >> "$D/prop"
	prop n3 "{\"type\":\"http\",\"method\":\"DELETE\",\"url\":\"$P/status/404\",\"expect\":[200,404]}" >> "$D/prop"
	approve "$D/prop" > "$D/appr"
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out" 2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 4 ]
	run jq -c 'select(.type == "tend.action.failed") | [.data.error, .data.retryable, .data.result.status, .data.result.attempts]' "$D/out"
	[ "${lines[0]}" = "[\"POST $P/status/404: HTTP 404\",false,404,1]" ]
	[ "${lines[1]}" = "[\"GET $P/flaky/n2-$BATS_TEST_NUMBER: HTTP 503\",true,503,4]" ]
	[ "$(grep -c "tend-apply: n[12]: " "$D/err")" -eq 2 ]
	# a status the action expects is success
	[ "$(jq -r 'select(.data.action_id == "n3") | .type' "$D/out" | tail -1)" = tend.action.succeeded ]
}

@test "http: hostile targets return within their timeout + 1 s" {
	prop b1 "{\"type\":\"http\",\"method\":\"GET\",\"url\":\"$HOLE/\",\"timeout\":2}" > "$D/prop"
	prop b2 "{\"type\":\"http\",\"method\":\"GET\",\"url\":\"$P/drip\",\"timeout\":2}" >> "$D/prop"
	prop b3 "{\"type\":\"http\",\"method\":\"GET\",\"url\":\"$P/endless\",\"timeout\":2}" >> "$D/prop"
	prop b4 "{\"type\":\"http\",\"method\":\"GET\",\"url\":\"$P/redirect?to=file:///etc/passwd\",\"timeout\":2}" >> "$D/prop"
	prop b5 "{\"type\":\"http\",\"method\":\"GET\",\"url\":\"$P/redirect?to=file:///etc/passwd\",\"timeout\":2,\"redirects\":3}" >> "$D/prop"
	prop b6 "{\"type\":\"http\",\"method\":\"GET\",\"url\":\"$P/redirect?to=http://localhost:${P##*:}/ok%3Fb6\",\"timeout\":2,\"redirects\":3}" >> "$D/prop"
	prop b7 "{\"type\":\"http\",\"method\":\"GET\",\"url\":\"$TP/ok\",\"timeout\":2}" >> "$D/prop"
	prop b8 "{\"type\":\"http\",\"method\":\"GET\",\"url\":\"$P/big?n=70000\",\"timeout\":2}" >> "$D/prop"
	approve "$D/prop" > "$D/appr"
	cat > "$D/conf.json" <<-EOF
	{"http": {"retries": 0, "max_body": 65536}}
	EOF
	for id in b1 b2 b3 b4 b5 b6 b7 b8; do
		grep "\"action_id\":\"$id\"" "$D/appr" > "$D/one"
		t0=$(now)
		"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" \
		    --now $NOW "$D/one" > "$D/out.$id" 2> /dev/null || true
		t1=$(now)
		echo "$id:"
		took "$t0" "$t1" 0 3
		[ "$(jq -r .type "$D/out.$id" | tail -1)" = tend.action.failed ]
	done
	err() { jq -r 'select(.type == "tend.action.failed") | .data.error' "$D/out.$1"; }
	[ "$(err b1)" = "$HOLE/: timed out after 2 s (1 attempt)" ]
	[ "$(err b2)" = "$P/drip: timed out after 2 s (1 attempt)" ]
	[ "$(err b3)" = "$P/endless: response larger than 65536 bytes" ]
	[ "$(err b4)" = "GET $P/redirect: HTTP 302 (redirects are not followed)" ]
	[ "$(err b5)" = "$P/redirect: redirect to another origin refused: file:///etc/passwd" ]
	[ "$(err b6)" = "$P/redirect: redirect to another origin refused: http://localhost:${P##*:}/ok" ]
	[[ $(err b7) == "$TP/ok: SSL certificate problem: self-signed certificate"* ]]
	[ "$(err b8)" = "$P/big: response larger than 65536 bytes" ]
	# no redirect was followed: localhost never saw /ok?b6
	! grep -q 'ok?b6' "$S/rec.log" || false
	# nothing reached the TLS server's handler
	[ ! -s "$S/trec.log" ]
}

@test "exec: a clean environment, the credential as a variable, redacted output" {
	secret="ftok-$RANDOM-s3cr3t"
	printf '%s\n' "$secret" > "$D/secret"
	cat > "$D/broker" <<-EOF
	#!/bin/sh
	echo "brk-$secret"
	EOF
	chmod 755 "$D/broker"
	cat > "$D/creds.json" <<-EOF
	{"credentials": {"ftok": {"file": "$D/secret", "variable": "MY_TOKEN"},
	 "broker": {"command": ["$D/broker"]}}}
	EOF
	prop x1 '{"type":"exec","argv":["/bin/sh","-c","env | sort; echo $MY_TOKEN >&2; tr \"\\\\0\" \" \" < /proc/$$/cmdline"],"env":{"LANG":"C","ZONE":"b"}}' ',"credential":"ftok"' > "$D/prop"
	prop x2 '{"type":"exec","argv":["/bin/sh","-c","echo got $TEND_CREDENTIAL"]}' ',"credential":"broker"' >> "$D/prop"
	approve "$D/prop" > "$D/appr"
	FOO=leak "$A" --verify-key "$S/gate.pub" --config "$D/conf.json" \
	    --credentials "$D/creds.json" --now $NOW "$D/appr" > "$D/out" \
	    2> "$D/err"
	[ ! -s "$D/err" ]
	r() { jq -r "select(.type == \"tend.action.succeeded\" and .data.action_id == \"$1\") | .data.result.$2" "$D/out"; }
	[ "$(r x1 stdout)" = "LANG=C
MY_TOKEN=[REDACTED]
PWD=/
ZONE=b
/bin/sh -c env | sort; echo \$MY_TOKEN >&2; tr \"\\\\0\" \" \" < /proc/\$\$/cmdline " ]
	[ "$(r x1 stderr)" = "[REDACTED]" ]
	[ "$(r x2 stdout)" = "got [REDACTED]" ]
	! grep -q s3cr3t "$D/out" "$D/err" || false
}

@test "exec: env as a list of names; output cut inside the secret is still redacted" {
	cat > "$D/conf.json" <<-EOF
	{"exec": {"allow": ["/bin/sh"], "output_max": 10}}
	EOF
	echo '{"credentials": {"api": {"env": "API_TOKEN"}}}' > "$D/creds.json"
	prop v1 '{"type":"exec","argv":["/bin/sh","-c","echo $KEEP $DROP"],"env":["KEEP","ABSENT"]}' > "$D/prop"
	prop v2 '{"type":"exec","argv":["/bin/sh","-c","printf abcdef$TEND_CREDENTIAL; printf 0123$TEND_CREDENTIAL >&2"]}' ',"credential":"api"' >> "$D/prop"
	approve "$D/prop" > "$D/appr"
	KEEP=kept DROP=dropped API_TOKEN=SECRETVALUE123 "$A" \
	    --verify-key "$S/gate.pub" --config "$D/conf.json" \
	    --credentials "$D/creds.json" --now $NOW "$D/appr" > "$D/out"
	run jq -c 'select(.type == "tend.action.succeeded") | .data.result | [.stdout, .stdout_bytes, .stderr]' "$D/out"
	[ "${lines[0]}" = '["kept\n",5,""]' ]
	# 10 bytes kept: "abcdefSECR" and "0123SECRET"
	[ "${lines[1]}" = '["abcdef[REDACTED]",20,"0123[REDACTED]"]' ]
	! grep -q SECR "$D/out" || false
}

@test "exec: a command that ignores SIGTERM is killed at its timeout, with its children" {
	prop t1 '{"type":"exec","argv":["/bin/sh","-c","trap \"\" TERM; (trap \"\" TERM; exec sleep 3611) & sleep 3612; wait"],"timeout":1}' > "$D/prop"
	approve "$D/prop" > "$D/appr"
	t0=$(now)
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out" 2> "$D/err" && st=0 || st=$?
	t1=$(now)
	[ "$st" -eq 4 ]
	# 1 s, then SIGKILL 0.5 s after SIGTERM
	took "$t0" "$t1" 1.4 2.6
	run jq -c 'select(.type == "tend.action.failed") | [.data.error, .data.result.signal, .data.result.timed_out]' "$D/out"
	[ "$output" = '["timed out after 1 s (killed by signal 9)",9,true]' ]
	! pgrep -f 'sleep 361[12]' || false
}

@test "an HTTP refusal (4xx) changed nothing: its rollback is not run; a 5xx's is" {
	rb() {
		printf ',"rollback":{"type":"http","method":"PUT","url":"%s/obj/%s","body":{"restored":true}}' "$P" "$1"
	}
	prop h1 "{\"type\":\"http\",\"method\":\"PATCH\",\"url\":\"$P/status/409\",\"body\":{}}" "$(rb rb409)" > "$D/prop"
	prop h2 "{\"type\":\"http\",\"method\":\"PATCH\",\"url\":\"$P/status/501\",\"body\":{}}" "$(rb rb501)" >> "$D/prop"
	approve "$D/prop" > "$D/appr"
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out" 2> /dev/null && st=0 || st=$?
	[ "$st" -eq 4 ]
	run jq -c 'select(.type == "tend.action.failed") | [.data.action_id, .data.rollback.status, .data.rollback.detail]' "$D/out"
	[ "${lines[0]}" = '["h1","not-run","the action was refused and changed nothing"]' ]
	[ "${lines[1]}" = '["h2","succeeded",null]' ]
	! curl -fs "$P/obj/rb409" || false
	[ "$(curl -fs "$P/obj/rb501")" = '{"restored": true}' ]
	"$TEND_BIN/tend-validate" < "$D/out" > /dev/null
}

@test "a failed action runs its rollback and records both" {
	printf 'v1\n' > "$D/files/r.conf"
	prop f1 '{"type":"exec","argv":["/bin/sh","-c","echo broke > \"$0\"; exit 3","'"$D/files/r.conf"'"]}' ",\"rollback\":{\"type\":\"file\",\"path\":\"$D/files/r.conf\",\"content\":\"v1\\n\"}" > "$D/prop"
	approve "$D/prop" > "$D/appr"
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out" 2> /dev/null && st=0 || st=$?
	[ "$st" -eq 4 ]
	[ "$(cat "$D/files/r.conf")" = v1 ]
	run jq -c 'select(.type == "tend.action.failed") | [.data.error, .data.result.exit, .data.rollback.executor, .data.rollback.status, .data.rollback.result.changed]' "$D/out"
	[ "$output" = '["exited 3",3,"file","succeeded",true]' ]
	"$TEND_BIN/tend-validate" "$D/out" > /dev/null
}

@test "--dry-run says exactly what would be done and does nothing" {
	printf 'a\nb\nc\n' > "$D/files/d.conf"
	echo '{"credentials": {"api": {"env": "API_TOKEN", "header": "X-Api-Key", "scheme": ""}}}' > "$D/creds.json"
	prop d1 "{\"type\":\"file\",\"path\":\"$D/files/d.conf\",\"content\":\"a\\nB\\nc\\n\"}" > "$D/prop"
	prop d2 '{"type":"exec","argv":["/bin/sh","-c","echo hi"],"env":{"A":"1"}}' ',"credential":"api"' >> "$D/prop"
	prop d3 "{\"type\":\"http\",\"method\":\"POST\",\"url\":\"$P/status/201\",\"headers\":{\"X-Why\":\"dry\"},\"body\":{\"z\":1}}" ',"credential":"api","idempotency_key":"k3"' >> "$D/prop"
	approve "$D/prop" > "$D/appr"
	: > "$D/before"
	n0=$(wc -l < "$S/rec.log")
	API_TOKEN=dry-s3cr3t "$A" -n --verify-key "$S/gate.pub" \
	    --config "$D/conf.json" --credentials "$D/creds.json" --now $NOW \
	    "$D/appr" > "$D/out"
	[ "$(wc -l < "$S/rec.log")" -eq "$n0" ]
	[ "$(cat "$D/files/d.conf")" = "$(printf 'a\nb\nc')" ]
	run jq -r '.data.reason' "$D/out"
	[ "${lines[*]}" = "dry-run dry-run dry-run" ]
	[ "$(jq -r 'select(.data.action_id == "d1") | .data.would.diff' "$D/out")" = "--- $D/files/d.conf
+++ $D/files/d.conf
@@ -1,3 +1,3 @@
 a
-b
+B
 c" ]
	[ "$(jq -c 'select(.data.action_id == "d2") | .data.would' "$D/out")" = '{"argv":["/bin/sh","-c","echo hi"],"env":{"A":"1","TEND_CREDENTIAL":"[credential api]"},"cwd":"/","timeout":60}' ]
	[ "$(jq -c 'select(.data.action_id == "d3") | .data.would' "$D/out")" = "{\"method\":\"POST\",\"url\":\"$P/status/201\",\"headers\":{\"X-Why\":\"dry\",\"Content-Type\":\"application/json\",\"Idempotency-Key\":\"k3\",\"X-Api-Key\":\"[credential api]\"},\"body\":\"{\\\"z\\\":1}\",\"timeout\":5,\"redirects\":0}" ]
	! grep -q s3cr3t "$D/out" || false
	"$TEND_BIN/tend-validate" "$D/out" > /dev/null
}

@test "--log: started is in the log before the action runs; a re-run skips what is done" {
	prop w1 '{"type":"exec","argv":["/bin/sh","-c","zstdcat \"$0\" | grep -c tend.action.started","'"$D/log.zst"'"]}' > "$D/prop"
	approve "$D/prop" > "$D/appr"
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    --log "$D/log.zst" "$D/appr" > "$D/out" 2> /dev/null || true
	# the command found its own started event in the log
	[ "$(jq -r 'select(.type == "tend.action.succeeded") | .data.result.stdout' "$D/out")" = 1 ]
	# what goes out is what the log stored, with seq
	[ "$(jq -r .seq "$D/out" | tr '\n' ' ')" = "1 2 " ]
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    --log "$D/log.zst" "$D/appr" > "$D/out2"
	run jq -r '[.data.reason, .data.detail] | @tsv' "$D/out2"
	[ "$output" = "already-done	it succeeded in an earlier run" ]
	"$TEND_BIN/tend-log" verify "$D/log.zst" > /dev/null
}

@test "the same action twice in the input runs once" {
	prop c1 "$(count "$D/c1")" > "$D/prop"
	approve "$D/prop" > "$D/appr"
	cat "$D/appr" "$D/appr" > "$D/twice"
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/twice" > "$D/out"
	[ "$(cat "$D/c1")" = x ]
	[ "$(jq -r .data.detail "$D/out" | tail -1)" = "the same action is twice in the input" ]
}

@test "--jobs: parallel across targets, never two at once on one target" {
	# 6 actions on one target, each holding a lock directory for 0.3 s;
	# 4 on their own targets sleeping 1 s
	for i in 1 2 3 4 5 6; do
		prop s$i '{"type":"exec","argv":["/bin/sh","-c","mkdir \"$0\" || exit 9; echo '$i' >> \"$0.order\"; sleep 0.3; rmdir \"$0\"","'"$D/lock"'"]}' "" fix same
	done > "$D/prop"
	for i in 1 2 3 4; do
		prop p$i '{"type":"exec","argv":["/bin/sh","-c","sleep 1"]}'
	done >> "$D/prop"
	approve "$D/prop" > "$D/appr"
	t0=$(now)
	"$A" --jobs 4 --verify-key "$S/gate.pub" --config "$D/conf.json" \
	    --now $NOW "$D/appr" > "$D/out"
	t1=$(now)
	[ "$(jq -r 'select(.type == "tend.action.succeeded") | .data.action_id' "$D/out" | wc -l)" -eq 10 ]
	# one target: in input order, one at a time
	[ "$(tr '\n' ' ' < "$D/lock.order")" = "1 2 3 4 5 6 " ]
	# 6 x 0.3 s serial beside 4 x 1 s in parallel: well under 4 s
	took "$t0" "$t1" 0 3.9
	"$TEND_BIN/tend-validate" "$D/out" > /dev/null
}

@test "after: an action whose dependency did not succeed is skipped" {
	prop a1 '{"type":"exec","argv":["/bin/sh","-c","exit 1"]}' > "$D/prop"
	prop a2 "$(count "$D/a2")" ',"after":["a1"]' >> "$D/prop"
	approve "$D/prop" > "$D/appr"
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out" 2> /dev/null || true
	run jq -r 'select(.data.action_id == "a2") | [.data.reason, .data.detail] | @tsv' "$D/out"
	[ "$output" = "dependency	it comes after action a1, which has not succeeded" ]
	[ ! -e "$D/a2" ]
}

@test "a credential that cannot be fetched fails the action before it starts" {
	echo "{\"credentials\": {\"api\": {\"file\": \"$D/missing\"}}}" > "$D/creds.json"
	prop m1 '{"type":"exec","argv":["/bin/true"]}' ',"credential":"api"' > "$D/prop"
	approve "$D/prop" > "$D/appr"
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" \
	    --credentials "$D/creds.json" --now $NOW "$D/appr" > "$D/out" \
	    2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 4 ]
	run jq -c '[.type, .data.error, .data.attempt]' "$D/out"
	[ "$output" = "[\"tend.action.failed\",\"credential 'api': cannot open '$D/missing': No such file or directory\",null]" ]
}

# kill -9 at a random moment during a batch of 100 actions, each
# appending a line to its own file; then a re-run (with 4 jobs, to be
# quick).  Forks are counted: each costs tens of ms on a small VM.
kill_round() {
	local mode=$1 jobs=$2 pid
	rm -rf "$D/c" "$D/log.zst"*
	mkdir "$D/c"
	"$A" --jobs "$jobs" --verify-key "$S/gate.pub" --config "$D/conf.json" \
	    --now $NOW --log "$D/log.zst" "$D/appr" > /dev/null 2>&1 &
	pid=$!
	sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 0.05 + (r % 120) / 100 }')"
	kill -9 "$pid" 2>/dev/null || true	# it may have finished already
	wait "$pid" || true
	# what the log says happened before the kill
	"$TEND_BIN/tend-log" cat "$D/log.zst" > "$D/log1" 2> /dev/null || true
	jq -r 'select(.type == "tend.action.started") | .data.action_id' "$D/log1" | sort > "$D/started"
	jq -r 'select(.type == "tend.action.succeeded") | .data.action_id' "$D/log1" | sort > "$D/done"
	comm -23 "$D/started" "$D/done" > "$D/interrupted"
	"$A" --jobs 4 --verify-key "$S/gate.pub" --config "$D/conf.json" \
	    --now $NOW --log "$D/log.zst" --on-interrupted "$mode" "$D/appr" \
	    > "$D/out2" 2> "$D/err2"
	jq -r 'select(.data.reason == "interrupted") | .data.action_id' "$D/out2" | sort > "$D/reported"
	# how many times each action ran: lines in its file
	(cd "$D/c" && for f in *; do [ -e "$f" ] && echo "$f $(wc -l < "$f")"; done) | sort > "$D/counts"
	# skip: none ran twice; retry: every one ran
	if [ "$mode" = skip ]; then
		! awk '$2 > 1 { print $1 " ran " $2 " times"; bad = 1 } END { exit !bad }' "$D/counts" || false
	else
		[ "$(wc -l < "$D/counts")" -eq 100 ]
	fi
	# every action with a logged result ran exactly once
	[ -z "$(join "$D/done" "$D/counts" | awk '$2 != 1')" ]
	[ "$(join "$D/done" "$D/counts" | wc -l)" -eq "$(wc -l < "$D/done")" ]
	if [ "$mode" = skip ]; then
		# every interrupted one is reported, and only those
		diff -u "$D/interrupted" "$D/reported"
		[ "$(grep -c 'interrupted: attempt' "$D/err2")" -eq "$(wc -l < "$D/interrupted")" ]
	fi
	# the log now accounts for every action: succeeded once, or
	# interrupted (started, no result) and reported as such
	"$TEND_BIN/tend-log" cat "$D/log.zst" > "$D/log2"
	jq -r 'select(.type == "tend.action.succeeded") | .data.action_id' "$D/log2" | sort > "$D/done2"
	jq -r 'select(.data.reason == "interrupted") | .data.action_id' "$D/log2" | sort > "$D/int2"
	[ -z "$(comm -12 "$D/done2" "$D/int2")" ]
	[ "$(sort -u "$D/done2" "$D/int2" | wc -l)" -eq 100 ]
	[ -z "$(uniq -d "$D/done2")" ]
	echo "$mode jobs=$jobs: started $(wc -l < "$D/started"), done $(wc -l < "$D/done"), interrupted $(wc -l < "$D/interrupted")"
}

@test "kill -9 during a batch, then --on-interrupted skip: nothing runs twice" {
	for i in $(seq 1 100); do
		prop k$i "$(count "$D/c/k$i")"
	done > "$D/prop"
	approve "$D/prop" > "$D/appr"
	rounds=10
	[ "${TEND_SLOW:-0}" = 1 ] && rounds=50
	for r in $(seq 1 $rounds); do
		kill_round skip $(( r % 2 == 0 ? 4 : 1 ))
	done
}

@test "kill -9 during a batch, then --on-interrupted retry: every action ran" {
	for i in $(seq 1 100); do
		prop k$i "$(count "$D/c/k$i")"
	done > "$D/prop"
	approve "$D/prop" > "$D/appr"
	kill_round retry 1
	kill_round retry 4
	# a retried one says so
	if [ -s "$D/interrupted" ]; then
		[ "$(jq -r 'select(.type == "tend.action.started" and .data.interrupted) | .data.attempt' "$D/out2" | sort -u)" = 2 ]
	fi
}

@test "--on-interrupted escalate: an escalation for a human" {
	prop e1 "$(count "$D/e1")" > "$D/prop"
	approve "$D/prop" > "$D/appr"
	# a log in which e1 started and has no result
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" | head -1 | "$TEND_BIN/tend-log" append "$D/log.zst" > /dev/null
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    --log "$D/log.zst" --on-interrupted escalate "$D/appr" > "$D/out" \
	    2> "$D/err"
	[ "$(cat "$D/err")" = "tend-apply: $D/log.zst: 1 action started in an earlier run without a result (interrupted); --on-interrupted escalate
tend-apply: e1: interrupted: attempt 1 started in an earlier run and has no result" ]
	run jq -r '[.type, .data.reason // .data.reasons[0]] | @tsv' "$D/out"
	[ "${lines[0]}" = "tend.action.skipped	interrupted" ]
	[ "${lines[1]}" = "tend.action.escalated	interrupted: attempt 1 started in an earlier run and has no result" ]
	"$TEND_BIN/tend-validate" "$D/out" > /dev/null
}

@test "two runs on one log at once: the second is refused" {
	prop l1 '{"type":"exec","argv":["/bin/sh","-c","sleep 2"]}' > "$D/prop"
	approve "$D/prop" > "$D/appr"
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    --log "$D/log.zst" "$D/appr" > /dev/null &
	pid=$!
	sleep 0.5
	run "$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    --log "$D/log.zst" "$D/appr"
	wait "$pid"
	[ "$status" -eq 4 ]
	[ "$output" = "tend-apply: '$D/log.zst' is in use by another tend-apply" ]
}

@test "a bad line stops the run with 3 and names file and line" {
	prop c1 "$(count "$D/c1")" > "$D/prop"
	approve "$D/prop" > "$D/appr"
	printf '{"specversion":"1.0"}\n' >> "$D/appr"
	"$A" --verify-key "$S/gate.pub" --config "$D/conf.json" --now $NOW \
	    "$D/appr" > "$D/out" 2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 3 ]
	[ "$(cat "$D/err")" = "tend-apply: $D/appr:2: missing attribute 'id'" ]
}
