#!/usr/bin/env bats
# tend-normalize: what a user sees on stdout, stderr and in the exit status.

setup() {
	TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	N=$TEND_BIN/tend-normalize
	D=$BATS_TEST_TMPDIR
	F=$BATS_TEST_DIRNAME/../normalize
	C=${TEND_CONFORMANCE:-$BATS_TEST_DIRNAME/../../../shared/conformance}/k8s
	PKG='{"specversion":"1.0","id":"o1","source":"tend-collect","type":"tend.resource.observed","time":"2026-11-22T05:00:00Z","subject":"host:h1/package/bash","runid":"r1","data":{"provider":"host","kind":"package","name":"bash","scope":"h1","object":{"package":"bash","version":"5.2.15-2+b2","architecture":"amd64","source":"bash","status":"install ok installed"}}}'
}

# observed FILE ID: a Kubernetes object as tend collect observes it.
observed() {
	jq -c --arg id "$2" '{specversion: "1.0", id: $id,
	    source: "tend-collect", type: "tend.resource.observed",
	    time: "2026-11-22T05:00:00Z", runid: "r1",
	    data: {provider: "k8s", kind: .kind, name: .metadata.name,
	    namespace: .metadata.namespace, scope: "test", object: .}}' "$1"
}

# The manifest a live object was applied from, out of its annotation.
last_applied() {
	jq '.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"] | fromjson' "$1"
}

# pair LIVE MANIFEST: normalises both into $D/live and $D/desired.
pair() {
	observed "$1" live > "$D/live.in"
	observed "$2" desired > "$D/desired.in"
	"$N" < "$D/live.in" > "$D/live"
	"$N" < "$D/desired.in" > "$D/desired"
	jq -S .data.spec "$D/live" > "$D/live.spec"
	jq -S .data.spec "$D/desired" > "$D/desired.spec"
}

same_digest() {
	diff -u "$D/desired.spec" "$D/live.spec"
	[ "$(jq -r .data.digest "$D/live")" = "$(jq -r .data.digest "$D/desired")" ]
}

@test "--help prints the synopsis on stdout and exits 0" {
	run "$N" --help
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "usage: tend-normalize [-hkV] [--log file] [--max-line bytes]" ]
	[[ $output == *"[--token-key file]"* ]]
}

@test "--version, and an unknown option is a usage error (2)" {
	run "$N" --version
	[ "$status" -eq 0 ]
	[[ $output == "tend-normalize (tend) "* ]]
	run "$N" --frobnicate
	[ "$status" -eq 2 ]
	[[ $output == *"usage: tend-normalize"* ]]
}

@test "a live Deployment and its manifest (managedFields' Apply set) have one digest" {
	pair "$C/derived/smd-deploy-live.json" "$F/k8s/smd-deploy-manifest.json"
	same_digest
}

@test "a live Service and its manifest: no clusterIP, protocol, defaults drift" {
	pair "$C/derived/smd-service-live.json" "$F/k8s/smd-service-manifest.json"
	same_digest
	[ "$(jq -c .data.status.spec "$D/live")" = '{"clusterIP":"10.111.193.74","clusterIPs":["10.111.193.74"],"ipFamilies":["IPv4"]}' ]
}

@test "a ReplicationController and its last-applied manifest have one digest" {
	last_applied "$C/derived/rc-managedfields-lastapplied.json" > "$D/m.json"
	pair "$C/derived/rc-managedfields-lastapplied.json" "$D/m.json"
	same_digest
}

@test "Endpoints and their last-applied manifest have one digest" {
	last_applied "$C/gitops-engine/endpoints-live.json" > "$D/m.json"
	pair "$C/gitops-engine/endpoints-live.json" "$D/m.json"
	same_digest
}

@test "real drift stays: an env var added after the last apply is the only difference" {
	last_applied "$C/gitops-engine/deployment-live.json" > "$D/m.json"
	pair "$C/gitops-engine/deployment-live.json" "$D/m.json"
	[ "$(jq -r .data.digest "$D/live")" != "$(jq -r .data.digest "$D/desired")" ]
	jq -S 'del(.spec.template.spec.containers[0].env[] | select(.name == "VAR2"))' "$D/live.spec" > "$D/live-without"
	diff -u "$D/desired.spec" "$D/live-without"
}

@test "resource quantities compare as the API server writes them back" {
	jq '.spec.template.spec.containers[0].resources = {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m", "memory": "1536Mi"}}' "$C/derived/smd-deploy-live.json" > "$D/live.json"
	jq '.spec.template.spec.containers[0].resources = {"limits": {"cpu": 1, "memory": "1024Mi"}, "requests": {"cpu": 0.5, "memory": "1.5Gi"}}' "$F/k8s/smd-deploy-manifest.json" > "$D/manifest.json"
	pair "$D/live.json" "$D/manifest.json"
	same_digest
}

@test "noise goes to status or away: managedFields, last-applied, uid, status" {
	observed "$C/derived/smd-deploy-live.json" o1 > "$D/in"
	"$N" < "$D/in" > "$D/out"
	run jq -c '[.data.spec.metadata, .data.status.metadata.uid, .data.status.metadata.resourceVersion, .data.status.status.replicas, .data.status.metadata.annotations]' "$D/out"
	[ "$output" = '[{"labels":{"app":"missing","applications.argoproj.io/app-name":"nginx","something-else":"bla"}},"731f7434-d3d9-47fa-b179-d9368a84f7c9","7492752",2,{"deployment.kubernetes.io/revision":"1"}]' ]
	! grep -q managedFields "$D/out" || false
	observed "$C/gitops-engine/deployment-live.json" o2 > "$D/in"
	"$N" < "$D/in" > "$D/out"
	! grep -q last-applied-configuration "$D/out" || false
	! grep -q selfLink "$D/out" || false
}

@test "a Pod loses what admission added: token volume, tolerations, node" {
	observed "$C/derived/pod-running-restart-always.json" p > "$D/in"
	"$N" < "$D/in" > "$D/out"
	run jq -c .data.spec "$D/out"
	[ "$output" = '{"spec":{"containers":[{"command":["sh","-c","sleep 99999"],"image":"alpine:latest","name":"main"}]}}' ]
	[ "$(jq -r .data.status.spec.nodeName "$D/out")" = minikube ]
}

@test "the envelope: subject is the key, causeid the observed id, time and runid carried" {
	printf '%s\n' "$PKG" > "$D/in"
	"$N" --now 2030-01-01T00:00:00Z < "$D/in" > "$D/out"
	run jq -r '[.type, .source, .subject, .causeid, .runid, .time, .data.key, .data.name, .data.scope] | @tsv' "$D/out"
	[ "$output" = "tend.resource.state	tend-normalize	host:h1/package/bash	o1	r1	2026-11-22T05:00:00Z	host:h1/package/bash	bash	h1" ]
}

@test "id and digest are the derived id and the JCS SHA-256 (checked in python)" {
	observed "$C/derived/smd-deploy-live.json" o1 > "$D/in"
	printf '%s\n' "$PKG" >> "$D/in"
	"$N" < "$D/in" > "$D/out"
	/usr/bin/python3 - "$D/out" <<'EOF'
import hashlib, json, sys
def jcs(v):	# enough of RFC 8785 for integers and BMP strings
	return json.dumps(v, sort_keys=True, separators=(",", ":"),
	    ensure_ascii=False).encode()
for line in open(sys.argv[1]):
	e = json.loads(line)
	d = e["data"]
	want = "sha256:" + hashlib.sha256(jcs(d["spec"])).hexdigest()
	assert d["digest"] == want, (d["digest"], want)
	idin = [e.get("runid"), e["type"], e["subject"], e["causeid"], d]
	assert e["id"] == hashlib.sha256(jcs(idin)).hexdigest()[:32], e["id"]
EOF
}

@test "deterministic: the same input gives the same bytes, whatever the clock" {
	observed "$C/derived/smd-service-live.json" s > "$D/in"
	printf '%s\n' "$PKG" >> "$D/in"
	"$N" --now 2030-01-01T00:00:00Z < "$D/in" > "$D/a"
	TEND_NOW=2031-05-05T00:00:00Z "$N" < "$D/in" > "$D/b"
	cmp "$D/a" "$D/b"
}

@test "events of other types pass through unchanged" {
	ERR='{"specversion":"1.0","id":"x","source":"s","type":"tend.error","data":{"program":"p","message":"m"}}'
	printf '%s\n%s\n' "$ERR" "$PKG" > "$D/in"
	"$N" < "$D/in" > "$D/out"
	[ "$(sed -n 1p "$D/out")" = "$ERR" ]
	[ "$(jq -r .type "$D/out" | tail -1)" = tend.resource.state ]
}

@test "host records: spec holds the compared facts, the rest is status" {
	"$N" < "$F/host.ndjson" > "$D/out"
	run jq -c '[.data.kind, .data.spec]' "$D/out"
	[ "${lines[0]}" = '["package",{"version":"5.2.15-2+b2","architecture":"amd64"}]' ]
	[ "${lines[1]}" = '["socket",{"proto":"tcp","address":"0.0.0.0","port":22}]' ]
	[ "${lines[2]}" = '["sysctl",{"value":"1"}]' ]
	[ "${lines[3]}" = '["file",{"sha256":"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03","mode":"0644","owner":"root","group":"root"}]' ]
	[ "${lines[4]}" = '["socket",{"proto":"tcp","address":"::","port":8080}]' ]
	run jq -c '.data.status' "$D/out"
	[ "${lines[0]}" = '{"package":"bash","source":"bash","status":"install ok installed"}' ]
	[ "${lines[1]}" = '{"family":"ipv4","uid":0,"process":{"pid":612,"comm":"sshd"}}' ]
	! grep -q 'hello' "$D/out" || false
}

@test "owner and service come from labels; --owner-label and --service-label replace the defaults" {
	observed "$C/gitops-engine/deployment-live.json" o > "$D/in"
	jq -c '.data.object.metadata.labels += {"team": "shop", "app.kubernetes.io/part-of": "guestbook", "owner": "alice"}' "$D/in" > "$D/in2"
	"$N" < "$D/in2" > "$D/out"
	[ "$(jq -r '[.data.owner, .data.service] | @tsv' "$D/out")" = "alice	guestbook" ]
	"$N" --owner-label team --service-label nope --service-label app.kubernetes.io/instance < "$D/in2" > "$D/out"
	[ "$(jq -r '[.data.owner, .data.service] | @tsv' "$D/out")" = "shop	guestbook" ]
	"$N" --owner-label nope < "$D/in2" > "$D/out"
	[ "$(jq -c '.data | has("owner")' "$D/out")" = false ]
}

@test "generic objects: status and --status-field members go to status" {
	printf '%s\n' '{"specversion":"1.0","id":"g","source":"tend-collect","type":"tend.resource.observed","subject":"http:api/item/1","data":{"provider":"http","kind":"item","name":"1","object":{"name":"1","size":3,"etag":"W/\"x\"","status":{"ok":true},"labels":{"env":"prod","n":1}}}}' > "$D/in"
	"$N" --status-field etag < "$D/in" > "$D/out"
	run jq -c '[.data.spec, .data.status, .data.labels]' "$D/out"
	[ "$output" = '[{"name":"1","size":3,"labels":{"env":"prod","n":1}},{"etag":"W/\"x\"","status":{"ok":true}},{"env":"prod"}]' ]
}

@test "no secret planted in the input reaches any output, with or without a key" {
	umask 077
	head -c 32 /dev/urandom > "$D/key"
	{ cat "$F/secrets.ndjson"; printf 'not json Hunter2-data-pw EnvToken-1\n'; } > "$D/in"
	"$N" -k < "$D/in" > "$D/plain.out" 2> "$D/plain.err" && st=0 || st=$?
	[ "$st" -eq 3 ]
	"$N" -k --token-key "$D/key" < "$D/in" > "$D/tok.out" 2> "$D/tok.err" && st=0 || st=$?
	[ "$st" -eq 3 ]
	[ "$(grep -c '"type":"tend.resource.state"' "$D/tok.out")" -eq 8 ]
	while IFS= read -r s; do
		if grep -F -q -e "$s" "$D/plain.out" "$D/plain.err" "$D/tok.out" "$D/tok.err"; then
			echo "secret '$s' leaked"
			return 1
		fi
	done < "$F/secrets.list"
	# without a key, every secret is "redacted"; with one, a token
	[ "$(jq -r 'select(.subject == "k8s:prod/core/Secret/shop/db") | .data.spec.data.password' "$D/plain.out")" = redacted ]
	[[ $(jq -r 'select(.subject == "k8s:prod/core/Secret/shop/db") | .data.spec.data.password' "$D/tok.out") == tok:??????????????????????????????????????????? ]]
	grep -q 'postgres://app:tok:[A-Za-z0-9_-]*@db:5432/app' "$D/tok.out"
	grep -q 'redis://:redacted@cache:6379/0' "$D/plain.out"
}

@test "same secret and key, same token: Secret data, stringData and env agree" {
	umask 077
	head -c 32 /dev/urandom > "$D/key"
	"$N" --token-key "$D/key" < "$F/secrets.ndjson" > "$D/a"
	"$N" --token-key "$D/key" < "$F/secrets.ndjson" > "$D/b"
	cmp "$D/a" "$D/b"
	data=$(jq -r 'select(.causeid == "obs-1") | .data.spec.data.password' "$D/a")
	sdata=$(jq -r 'select(.causeid == "obs-2") | .data.spec.data.password' "$D/a")
	env=$(jq -r 'select(.causeid == "obs-3") | .data.spec.spec.template.spec.containers[0].env[0].value' "$D/a")
	[ "$data" = "$sdata" ]
	[ "$data" = "$env" ]
	# base64 data and the clear stringData of one Secret compare equal
	[ "$(jq -r 'select(.causeid == "obs-1") | .data.digest' "$D/a")" = "$(jq -r 'select(.causeid == "obs-2") | .data.digest' "$D/a")" ]
	# another key, other tokens
	head -c 32 /dev/urandom > "$D/key2"
	"$N" --token-key "$D/key2" < "$F/secrets.ndjson" > "$D/c"
	other=$(jq -r 'select(.causeid == "obs-1") | .data.spec.data.password' "$D/c")
	[ "$other" != "$data" ]
	[[ $other == tok:* ]]
}

@test "--secret-env changes what names are secret" {
	"$N" --secret-env '^LOG_' < "$F/secrets.ndjson" > "$D/out"
	run jq -r 'select(.causeid == "obs-3") | .data.spec.spec.template.spec.containers[0].env | map(.value // "-") | @tsv' "$D/out"
	[ "$output" = "Hunter2-data-pw	EnvToken-1	redacted	-" ]
	run "$N" --secret-env '(' < /dev/null
	[ "$status" -eq 2 ]
	[[ $output == "tend-normalize: bad secret-name pattern '(':"* ]]
}

@test "a key readable by others is refused (2); a missing one is a system error (4)" {
	head -c 32 /dev/urandom > "$D/key"
	chmod 644 "$D/key"
	run "$N" --token-key "$D/key" < /dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "tend-normalize: token key '$D/key' is accessible by group or others (mode 0644): chmod 600 it" ]
	chmod 600 "$D/key"
	run "$N" --token-key "$D/key" < /dev/null
	[ "$status" -eq 0 ]
	printf 'short\n' > "$D/short"
	chmod 600 "$D/short"
	run "$N" --token-key "$D/short" < /dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "tend-normalize: token key '$D/short' is shorter than 16 bytes" ]
	run "$N" --token-key "$D/nope" < /dev/null
	[ "$status" -eq 4 ]
	[ "$output" = "tend-normalize: cannot open token key '$D/nope': No such file or directory" ]
}

@test "an observed event without provider, kind or object is bad input (3)" {
	printf '%s\n%s\n' "$PKG" '{"specversion":"1.0","id":"x","source":"s","type":"tend.resource.observed","data":{"kind":"package","object":{}}}' > "$D/in"
	"$N" < "$D/in" > "$D/out" 2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 3 ]
	[ "$(cat "$D/err")" = "tend-normalize: <stdin>:2: data.provider must be a non-empty string" ]
	[ "$(wc -l < "$D/out")" -eq 1 ]
	printf '%s\n' '{"specversion":"1.0","id":"x","source":"s","type":"tend.resource.observed","data":{"provider":"k8s","kind":"Pod","object":[]}}' > "$D/in"
	run "$N" "$D/in"
	[ "$status" -eq 3 ]
	[ "$output" = "tend-normalize: $D/in:1: data.object of a k8s resource must be an object, not array" ]
	printf '%s\n' '{"specversion":"1.0","id":"x","source":"s","type":"tend.resource.observed","subject":"web","data":{"provider":"k8s","kind":"Pod","object":{}}}' > "$D/in"
	run "$N" "$D/in"
	[ "$status" -eq 3 ]
	[ "$output" = "tend-normalize: $D/in:1: the resource key 'web' is not provider:scope/kind/name" ]
	printf '%s\n' '{"specversion":"1.0","id":"x","source":"s","type":"tend.resource.observed","data":{"provider":"k8s","kind":"Pod","object":{"spec":{"a":1,"a":2}}}}' > "$D/in"
	run "$N" -k "$D/in"
	[ "$status" -eq 3 ]
	[[ ${lines[0]} == "tend-normalize: $D/in:1: the state cannot be canonicalised: "* ]]
	[[ ${lines[1]} == *'"type":"tend.error"'* ]]
}

@test "--secret-path tokenizes what it names and the digest follows" {
	printf '%s\n' "$PKG" > "$D/in"
	"$N" --secret-path .spec.version --secret-path '.status.nope' < "$D/in" > "$D/out"
	run jq -c '.data.spec' "$D/out"
	[ "$output" = '{"version":"redacted","architecture":"amd64"}' ]
	"$N" < "$D/in" > "$D/plain"
	[ "$(jq -r .data.digest "$D/out")" != "$(jq -r .data.digest "$D/plain")" ]
	/usr/bin/python3 -c '
import hashlib, json, sys
d = json.loads(open(sys.argv[1]).read())["data"]
assert d["digest"] == "sha256:" + hashlib.sha256(json.dumps(d["spec"], sort_keys=True, separators=(",", ":")).encode()).hexdigest()' "$D/out"
	run "$N" --secret-path '.[' < /dev/null
	[ "$status" -eq 3 ]
	[[ $output == *"--secret-path '.['"* ]]
	# jq's own message would quote the value: not passed on
	run "$N" --secret-path '.spec.version | ascii_downcase' "$D/in"
	[ "$status" -eq 3 ]
	[ "$output" = "tend-normalize: $D/in:1: --secret-path '.spec.version | ascii_downcase' is not a path expression on this state" ]
}

@test "--normalizer rewrites the data of its provider/kind; the digest is computed again" {
	printf 'del(.spec.architecture) | .labels.checked = "yes"\n' > "$D/n.jq"
	printf '%s\n' "$PKG" > "$D/in"
	observed "$C/derived/smd-service-live.json" s >> "$D/in"
	"$N" --normalizer "host/package=$D/n.jq" < "$D/in" > "$D/out"
	run jq -c '[.data.spec, .data.labels]' "$D/out"
	[ "${lines[0]}" = '[{"version":"5.2.15-2+b2"},{"checked":"yes"}]' ]
	[[ ${lines[1]} == '[{"metadata":'* ]]
	/usr/bin/python3 -c '
import hashlib, json, sys
for line in open(sys.argv[1]):
	d = json.loads(line)["data"]
	assert d["digest"] == "sha256:" + hashlib.sha256(json.dumps(d["spec"], sort_keys=True, separators=(",", ":")).encode()).hexdigest()' "$D/out"
}

@test "--normalizer DIR: PROVIDER/KIND.jq and PROVIDER/_default.jq" {
	mkdir -p "$D/n/host"
	printf '.spec.v = 1\n' > "$D/n/host/package.jq"
	printf '.spec.v = 2\n' > "$D/n/host/_default.jq"
	printf '%s\n' "$PKG" > "$D/in"
	sed 's/"kind":"package"/"kind":"sysctl"/' "$D/in" >> "$D/in"
	"$N" --normalizer "$D/n" < "$D/in" > "$D/out"
	[ "$(jq -c '.data.spec.v' "$D/out" | paste -sd ' ')" = "1 2" ]
}

@test "a normalizer that changes the key, fails or does not compile is refused (3)" {
	printf '%s\n' "$PKG" > "$D/in"
	printf '.key = "host:x/y/z"\n' > "$D/bad.jq"
	run "$N" --normalizer "host/*=$D/bad.jq" "$D/in"
	[ "$status" -eq 3 ]
	[ "$output" = "tend-normalize: $D/in:1: normalizer '$D/bad.jq' changed or removed \"key\"" ]
	printf 'error("no")\n' > "$D/fail.jq"
	run "$N" --normalizer "host/*=$D/fail.jq" "$D/in"
	[ "$status" -eq 3 ]
	[[ $output == "tend-normalize: $D/in:1: $D/fail.jq: no"* ]]
	printf '.[\n' > "$D/syntax.jq"
	run "$N" --normalizer "host/*=$D/syntax.jq" "$D/in"
	[ "$status" -eq 3 ]
	run "$N" --normalizer "nonsense" "$D/in"
	[ "$status" -eq 2 ]
	run "$N" --normalizer "host/package=$D/nope.jq" "$D/in"
	[ "$status" -eq 4 ]
}

@test "every event written is valid (tend-validate)" {
	[ -x "$TEND_BIN/tend-validate" ] || skip "tend-validate not built"
	umask 077
	head -c 32 /dev/urandom > "$D/key"
	for f in "$C"/derived/*.json "$C"/gitops-engine/*.json "$C"/kubectl/deployment-with-status.response.json "$C"/kubectl/service.response.json "$C"/api-testdata/*.json; do
		observed "$f" "$(basename "$f")"
	done > "$D/in"
	cat "$F/secrets.ndjson" "$F/host.ndjson" >> "$D/in"
	"$N" --token-key "$D/key" < "$D/in" > "$D/out"
	"$TEND_BIN/tend-validate" < "$D/out" > /dev/null
	[ "$(wc -l < "$D/out")" -eq "$(wc -l < "$D/in")" ]
}

@test "a write error on stdout is a system error (4)" {
	printf '%s\n' "$PKG" > "$D/in"
	"$N" "$D/in" > /dev/full 2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 4 ]
	[ "$(cat "$D/err")" = "tend-normalize: stdout: write error: No space left on device" ]
}

@test "the dispatcher runs it: tend normalize" {
	[ -x "$TEND_BIN/tend" ] || skip "no dispatcher in $TEND_BIN"
	printf '%s\n' "$PKG" > "$D/in"
	run "$TEND_BIN/tend" normalize "$D/in"
	[ "$status" -eq 0 ]
	[[ $output == *'"type":"tend.resource.state"'* ]]
}
