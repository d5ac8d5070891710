#!/usr/bin/env bats
# tend-collect: what a user sees on stdout, stderr and in the exit status.
# The network sources run against fixtures on 127.0.0.1 (test/fixtures):
# a Kubernetes API over TLS replaying the conformance objects, and a
# scripted JSON API.  Every byte tend-collect writes is kept in
# $S/emitted, and the last test checks no credential ever reached it.

# Starts a fixture server; waits until its port file exists and it answers.
start_server() {	# name, then its arguments
	local name=$1
	shift
	"$PY" "$FIX/$name" "$@" --port-file "$S/$name.port" \
	    > "$S/$name.out" 2>&1 3>&- &
	echo $! > "$S/$name.pid"
	for _ in $(seq 1 100); do
		[ -s "$S/$name.port" ] && return 0
		sleep 0.1
	done
	echo "$name did not start: $(cat "$S/$name.out")" >&2
	return 1
}

mkcert() {	# name, CA name (or -), subjectAltName
	local n=$1 ca=$2 san=$3
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -keyout "$S/$n.key" -out "$S/$n.csr" -subj "/CN=$n" 2>/dev/null
	if [ "$ca" = - ]; then
		openssl x509 -req -in "$S/$n.csr" -signkey "$S/$n.key" \
		    -out "$S/$n.crt" -days 2 \
		    -extfile <(printf 'basicConstraints=critical,CA:TRUE\n') \
		    2>/dev/null
	else
		openssl x509 -req -in "$S/$n.csr" -CA "$S/$ca.crt" \
		    -CAkey "$S/$ca.key" -CAcreateserial -out "$S/$n.crt" \
		    -days 2 -extfile <(printf '%s\n' "$san") 2>/dev/null
	fi
}

setup_file() {
	export TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	export CONF=${TEND_CONFORMANCE:-$BATS_TEST_DIRNAME/../../../shared/conformance}
	export FIX=$BATS_TEST_DIRNAME/../fixtures
	# Debian's python3 (the fixtures need nothing else)
	export PY=/usr/bin/python3
	[ -x "$PY" ] || PY=$(command -v python3)
	export S=$BATS_FILE_TMPDIR
	export TOKEN=tend-planted-SECRET-7f3a9c0d
	export PLUGIN_TOKEN=tend-planted-PLUGIN-5e1b22
	printf '%s\n' "$TOKEN" > "$S/token"
	: > "$S/emitted"
	mkcert ca - ''
	mkcert server ca 'subjectAltName=IP:127.0.0.1,DNS:localhost'
	mkcert client ca 'extendedKeyUsage=clientAuth'
	mkcert other - ''
	start_server k8s-server.py --data "$CONF/k8s" --cert "$S/server.crt" \
	    --key "$S/server.key" --token-file "$S/token" \
	    --client-ca "$S/ca.crt" --log "$S/k8s.log"
	start_server json-server.py --token-file "$S/token"
	KPORT=$(cat "$S/k8s-server.py.port")
	JPORT=$(cat "$S/json-server.py.port")
	export KPORT JPORT
	export J=http://127.0.0.1:$JPORT
	# both answer before any test runs
	for _ in $(seq 1 100); do
		curl -fs "$J/count" > /dev/null &&
		    curl -s --cacert "$S/ca.crt" -o /dev/null \
		    "https://127.0.0.1:$KPORT/api/v1/pods" && break
		sleep 0.1
	done
	mkdir -p "$S/kc"
	printf '%s\n' "$TOKEN" > "$S/kc/token"
	cat > "$S/kc/plugin" <<-EOF
	#!/bin/sh
	# an exec credential plugin: checks its environment, prints a token
	case \$KUBERNETES_EXEC_INFO in *ExecCredential*) ;; *) exit 9 ;; esac
	[ "\$PLUGIN_MODE" = yes ] || exit 8
	echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"'"\$(cat "$S/token")"'"}}'
	EOF
	chmod +x "$S/kc/plugin"
	cp "$S/client.crt" "$S/kc/client.crt"
	cp "$S/client.key" "$S/kc/client.key"
	cat > "$S/kc/config" <<-EOF
	apiVersion: v1
	kind: Config
	current-context: test
	clusters:
	- name: fixture
	  cluster:
	    server: https://127.0.0.1:$KPORT
	    certificate-authority-data: $(base64 -w0 "$S/ca.crt")
	- name: fixture-ca-file
	  cluster:
	    server: https://127.0.0.1:$KPORT/
	    certificate-authority: ../ca.crt
	- name: fixture-other-ca
	  cluster:
	    server: https://127.0.0.1:$KPORT
	    certificate-authority: ../other.crt
	- name: fixture-insecure
	  cluster:
	    server: https://127.0.0.1:$KPORT
	    insecure-skip-tls-verify: true
	users:
	- name: inline
	  user:
	    token: $TOKEN
	- name: from-file
	  user:
	    tokenFile: token
	- name: wrong
	  user:
	    token: tend-planted-WRONG-token-99
	- name: plugin
	  user:
	    exec:
	      apiVersion: client.authentication.k8s.io/v1
	      command: ./plugin
	      env:
	      - name: PLUGIN_MODE
	        value: "yes"
	- name: cert
	  user:
	    client-certificate-data: $(base64 -w0 "$S/client.crt")
	    client-key-data: $(base64 -w0 "$S/client.key")
	- name: cert-files
	  user:
	    client-certificate: client.crt
	    client-key: client.key
	contexts:
	- name: test
	  context: {cluster: fixture, user: inline}
	- name: tokenfile
	  context: {cluster: fixture-ca-file, user: from-file}
	- name: wrongtoken
	  context: {cluster: fixture, user: wrong}
	- name: otherca
	  context: {cluster: fixture-other-ca, user: inline}
	- name: insecure
	  context: {cluster: fixture-insecure, user: inline}
	- name: plugin
	  context: {cluster: fixture, user: plugin}
	- name: cert
	  context: {cluster: fixture, user: cert}
	- name: certfiles
	  context: {cluster: fixture, user: cert-files}
	- name: prod
	  context: {cluster: fixture, user: inline, namespace: shop}
	EOF
	"$PY" "$FIX/k8s-server.py" --data "$CONF/k8s" --list-expected \
	    > "$S/k8s.expected"
}

teardown_file() {
	local f
	for f in "$S"/*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	return 0
}

setup() {
	C=$TEND_BIN/tend-collect
	D=$BATS_TEST_TMPDIR
	export KUBECONFIG=/nonexistent
}

# Runs tend-collect: stdout in $D/out, stderr in $D/err, status in $st.
col() {
	"$C" "$@" > "$D/out" 2> "$D/err" && st=0 || st=$?
	cat "$D/out" "$D/err" >> "$S/emitted"
}

subjects() {
	jq -r .subject "$D/out"
}

@test "--help prints the synopsis on stdout and exits 0" {
	run "$C" --help
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "usage: tend-collect [-hkV] [--log file] "* ]]
	[[ $output == *"tend-collect k8s [--cacert file]"* ]]
}

@test "--version" {
	run "$C" --version
	[ "$status" -eq 0 ]
	[[ $output == "tend-collect (tend) "* ]]
}

@test "usage errors exit 2 and say why" {
	col
	[ "$st" -eq 2 ]
	grep -q "no source given" "$D/err"
	col nonsense
	[ "$st" -eq 2 ]
	grep -q "tend-collect: unknown source 'nonsense'" "$D/err"
	col file --kinds pods x
	[ "$st" -eq 2 ]
	grep -q "tend-collect: --kinds does not apply to source file" "$D/err"
	col host --frobnicate
	[ "$st" -eq 2 ]
	grep -q "usage: tend-collect" "$D/err"
	col http --token-file a --token-env B "$J/list"
	[ "$st" -eq 2 ]
	col k8s --kinds nosuchthings
	[ "$st" -eq 2 ]
	grep -q "unknown kind 'nosuchthings'" "$D/err"
}

@test "file: the conformance Kubernetes objects, keys and lists" {
	col file --run r1 --now 2026-11-22T05:00:00Z "$CONF/k8s/kubectl" \
	    "$CONF/k8s/gitops-engine/smd-deploy-live.yaml"
	[ "$st" -eq 0 ]
	subjects > "$D/subjects"
	cat > "$D/want" <<-'EOF'
	k8s:_/core/ConfigMap/edit-test/cm1
	k8s:_/apps/Deployment/edit-test/nginx
	k8s:_/core/ReplicationController/test/test-rc
	k8s:_/core/Service/edit-test/svc1
	k8s:_/core/Service/edit-test/svc1
	file:_/object/#1
	k8s:_/apps/Deployment/default/nginx-deployment
	EOF
	diff -u "$D/want" "$D/subjects"
	# one event a line, though the files are pretty-printed
	jq -R 'fromjson | .id' "$D/out" > /dev/null
	# typed list items get the list's apiVersion and kind
	run jq -r 'select(.data.kind == "ConfigMap") | [.data.object.apiVersion, .data.object.kind, .data.name, .data.namespace, .data.scope, .data.provider] | @tsv' "$D/out"
	[ "$output" = "v1	ConfigMap	cm1	edit-test	_	k8s" ]
	run jq -r '[.type, .source, .time, .runid, (.id | length)] | @tsv' "$D/out"
	[ "${lines[0]}" = "tend.resource.observed	tend-collect	2026-11-22T05:00:00Z	r1	32" ]
	run jq -r 'select(.data.name == "nginx") | .data.source' "$D/out"
	[ "$output" = "$CONF/k8s/kubectl/deployment-with-status.response.json" ]
}

@test "file: the object's bytes are passed on verbatim (big numbers too)" {
	printf '{"id":"x", "n":100000000000000000001,"f":1.50e3}\n' > "$D/big.json"
	col file "$D/big.json"
	[ "$st" -eq 0 ]
	grep -qF '"object":{"id":"x","n":100000000000000000001,"f":1.50e3}}' "$D/out"
	# YAML objects match their JSON form (kubectl's reading of YAML)
	col file "$CONF/k8s/gitops-engine/pod-crashloop.yaml"
	jq -S .data.object "$D/out" > "$D/a"
	jq -S . "$CONF/k8s/derived/pod-crashloop.json" > "$D/b"
	diff -u "$D/b" "$D/a"
}

@test "file: YAML documents, scope from the kubeconfig, default namespaces" {
	cat > "$D/m.yaml" <<-'EOF'
	apiVersion: apps/v1
	kind: Deployment
	metadata: {name: web}
	spec: {replicas: 2}
	---
	# an empty document is skipped
	---
	apiVersion: v1
	kind: Namespace
	metadata: {name: shop}
	---
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: cfg, namespace: other}
	data: {on: yes, port: "8080", num: 010}
	EOF
	KUBECONFIG=$S/kc/config col file --context prod "$D/m.yaml"
	[ "$st" -eq 0 ]
	run subjects
	[ "${lines[0]}" = "k8s:prod/apps/Deployment/shop/web" ]
	[ "${lines[1]}" = "k8s:prod/core/Namespace/_/shop" ]
	[ "${lines[2]}" = "k8s:prod/core/ConfigMap/other/cfg" ]
	[ "${#lines[@]}" -eq 3 ]
	run jq -c 'select(.data.name == "cfg") | .data.object.data' "$D/out"
	[ "$output" = '{"true":true,"port":"8080","num":8}' ]
	# --namespace and --scope; the kubeconfig's current-context otherwise
	col file --namespace dev --scope blue "$D/m.yaml"
	run subjects
	[ "${lines[0]}" = "k8s:blue/apps/Deployment/dev/web" ]
	KUBECONFIG=$S/kc/config col file "$D/m.yaml"
	run subjects
	[ "${lines[0]}" = "k8s:test/apps/Deployment/default/web" ]
}

@test "file: bad YAML and JSON name file and line, exit 3" {
	printf 'a: 1\nb: [1, 2\n' > "$D/bad.yaml"
	col file "$D/bad.yaml"
	[ "$st" -eq 3 ]
	[ "$(cat "$D/err")" = "tend-collect: $D/bad.yaml:3: YAML: while parsing a flow sequence did not find expected ',' or ']'" ]
	printf '{\n "a": 1,\n "b": nope\n}\n' > "$D/bad.json"
	col file "$D/bad.json"
	[ "$st" -eq 3 ]
	[[ $(cat "$D/err") == "tend-collect: $D/bad.json:3: invalid JSON at byte "* ]]
	printf 'a: &a [*a]\n' > "$D/loop.yaml"
	col file "$D/loop.yaml"
	[ "$st" -eq 3 ]
	grep -q "loop.yaml:1: YAML alias" "$D/err"
	col file "$D/nonexistent.json"
	[ "$st" -eq 4 ]
	grep -q "cannot open '$D/nonexistent.json'" "$D/err"
}

@test "file: NDJSON, line numbers, and --keep-going" {
	printf '{"id":"a"}\n{"id":\n\n{"id":"c"}\n' > "$D/x.ndjson"
	col file "$D/x.ndjson"
	[ "$st" -eq 3 ]
	[ "$(wc -l < "$D/out")" -eq 1 ]
	[[ $(cat "$D/err") == "tend-collect: $D/x.ndjson:2: invalid JSON"* ]]
	col file -k --now 2026-11-22T05:00:00Z "$D/x.ndjson"
	[ "$st" -eq 3 ]
	run jq -r '[.type, .subject // .data.line] | @tsv' "$D/out"
	[ "${lines[0]}" = "tend.resource.observed	file:_/object/a" ]
	[ "${lines[1]}" = "tend.error	2" ]
	[ "${lines[2]}" = "tend.resource.observed	file:_/object/c" ]
}

@test "file: folders are walked in name order, by extension, no dot files" {
	mkdir -p "$D/t/b" "$D/t/.git" "$D/t/a"
	echo '{"id":"3"}' > "$D/t/b/z.json"
	echo 'id: "2"' > "$D/t/a/y.yml"
	echo '{"id":"1"}' > "$D/t/0.ndjson"
	echo '{"id":"no"}' > "$D/t/skip.txt"
	echo '{"id":"no"}' > "$D/t/.hidden.json"
	echo '{"id":"no"}' > "$D/t/.git/c.json"
	ln -s .. "$D/t/a/up"
	col file "$D/t"
	[ "$st" -eq 0 ]
	run jq -r .data.name "$D/out"
	[ "$output" = "$(printf '1\n2\n3')" ]
}

@test "file: objects that are not Kubernetes objects: names, --key, --kind, --items" {
	printf '[{"name":"web1","ip":"10.0.0.1"},{"id":7},{"x":1}]\n' > "$D/inv.json"
	col file "$D/inv.json"
	[ "$st" -eq 0 ]
	run subjects
	[ "$output" = "$(printf 'file:_/object/web1\nfile:_/object/7\nfile:_/object/#3')" ]
	col file --kind host --key '.ip // "none"' --scope dc1 "$D/inv.json"
	run subjects
	[ "$output" = "$(printf 'file:dc1/host/10.0.0.1\nfile:dc1/host/none\nfile:dc1/host/none')" ]
	printf '{"hosts":{"a":{"port":1},"b":{"port":2}}}\n' > "$D/map.json"
	col file --items '.hosts | to_entries[] | .value + {name: .key}' "$D/map.json"
	[ "$st" -eq 0 ]
	run jq -c .data.object "$D/out"
	[ "$output" = "$(printf '{"port":1,"name":"a"}\n{"port":2,"name":"b"}')" ]
	col file --key '.nope' "$D/inv.json"
	[ "$st" -eq 3 ]
	grep -q "inv.json:1: --key gave no non-empty string or number" "$D/err"
	col file --key '.[' "$D/inv.json"
	[ "$st" -eq 2 ]
}

@test "file: standard input, and the same input gives the same bytes" {
	printf 'kind: thing\nname: one\n' > "$D/in.yaml"
	"$C" file --run R --now 2026-11-22T05:00:00Z - < "$D/in.yaml" > "$D/a"
	TEND_RUNID=R TEND_NOW=2026-11-22T05:00:00Z "$C" file "$D/in.yaml" > "$D/b"
	jq -c 'del(.id, .data.source)' "$D/a" > "$D/a2"
	jq -c 'del(.id, .data.source)' "$D/b" > "$D/b2"
	cmp "$D/a2" "$D/b2"
	# without --run: one fresh runid of 32 hex digits for the whole run
	col file "$CONF/k8s/kubectl"
	run jq -r .runid "$D/out"
	[ "$(printf '%s\n' "${lines[@]}" | sort -u | wc -l)" -eq 1 ]
	[[ ${lines[0]} =~ ^[0-9a-f]{32}$ ]]
}

@test "every event collect writes is a valid event" {
	[ -x "$TEND_BIN/tend-validate" ] || skip "tend-validate not built"
	col file "$CONF/k8s"
	[ "$st" -eq 0 ]
	"$TEND_BIN/tend-validate" < "$D/out" > /dev/null
	col host --sockets --sysctl kernel.ostype --file /etc/hostname
	"$TEND_BIN/tend-validate" < "$D/out" > /dev/null
	col http "$J/pages"
	"$TEND_BIN/tend-validate" < "$D/out" > /dev/null
}

@test "exec: a command's JSON output, without a shell" {
	col exec -- cat "$CONF/k8s/kubectl/servicelist.response.json"
	[ "$st" -eq 0 ]
	run jq -r '[.subject, .data.source] | @tsv' "$D/out"
	[ "${lines[0]}" = "k8s:_/core/Service/edit-test/svc1	cat" ]
	# options after the command are the command's
	col exec sh -c 'printf "[{\"id\":\"\$0\"}]" -x'
	[ "$st" -eq 0 ]
	[ "$(subjects)" = 'exec:_/object/$0' ]
}

@test "exec: failures name the command: 4 when it fails, 3 for bad output" {
	col exec sh -c 'echo oops >&2; exit 3'
	[ "$st" -eq 4 ]
	[ "$(cat "$D/err")" = "$(printf "oops\ntend-collect: 'sh' exited with status 3")" ]
	col exec -- printf '{"a":'
	[ "$st" -eq 3 ]
	[[ $(cat "$D/err") == "tend-collect: printf:1: invalid JSON"* ]]
	col exec no-such-command-tend
	[ "$st" -eq 4 ]
	grep -q "cannot run 'no-such-command-tend'" "$D/err"
	SECONDS=0
	col exec --timeout 1 sh -c 'sleep 30 & sleep 30'
	[ "$st" -eq 4 ]
	[ "$SECONDS" -lt 10 ]
	grep -q "'sh' timed out after 1 s" "$D/err"
}

@test "http: Link pagination, scope and source" {
	col http --run r "$J/pages?n=1"
	[ "$st" -eq 0 ]
	run jq -r '[.subject, .data.source] | @tsv' "$D/out"
	[ "${lines[0]}" = "http:127.0.0.1:$JPORT/object/p1-a	$J/pages" ]
	[ "$(jq -r .data.name "$D/out" | tr '\n' ' ')" = "p1-a p1-b p2-a p2-b p3-a p3-b " ]
}

@test "http: items, Kubernetes lists and big numbers" {
	col http "$J/list"
	[ "$(jq -r .data.name "$D/out" | tr '\n' ' ')" = "one two " ]
	col http "$J/k8s"
	run jq -r '[.subject, .data.object.kind, .data.object.apiVersion] | @tsv' "$D/out"
	[ "${lines[0]}" = "k8s:_/core/ConfigMap/ns1/a	ConfigMap	v1" ]
	[ "${lines[1]}" = "k8s:_/core/ConfigMap/ns1/b	ConfigMap	v1" ]
	col http "$J/big"
	grep -qF '"n":100000000000000000001' "$D/out"
	col http --items '.[] | {id, twice: (.n * 0 + 2)}' "$J/big"
	[ "$(jq -c .data.object "$D/out")" = '{"id":"big","twice":2}' ]
	col http --header 'X-Test: hello there' "$J/headers"
	[ "$(jq -c .data.object "$D/out")" = '{"x-test":"hello there"}' ]
}

@test "http: 503 is retried (Retry-After), then gives up with 4" {
	SECONDS=0
	col http --retries 3 "$J/flaky?id=$BATS_TEST_NUMBER"
	[ "$st" -eq 0 ]
	[ "$(jq -r .data.name "$D/out")" = ok ]
	[ "$SECONDS" -ge 2 ]
	col http --retries 1 "$J/always503"
	[ "$st" -eq 4 ]
	[ "$(cat "$D/err")" = "tend-collect: $J/always503: HTTP 503: down" ]
	[ "$(curl -s "$J/count" | jq '."/always503"')" -eq 2 ]
}

@test "http: the token from a file or the environment, never argv" {
	col http --token-file "$S/token" "$J/auth"
	[ "$st" -eq 0 ]
	[ "$(jq -r .data.name "$D/out")" = secret-thing ]
	MYTOKEN=$TOKEN col http --token-env MYTOKEN "$J/auth"
	[ "$st" -eq 0 ]
	col http "$J/auth"
	[ "$st" -eq 4 ]
	[ "$(cat "$D/err")" = "tend-collect: $J/auth: HTTP 401: bad token" ]
	col http --token-env NO_SUCH_VAR_TEND "$J/auth"
	[ "$st" -eq 2 ]
}

@test "http: errors: 404 is 3, other origins refused, only http(s)" {
	col http "$J/missing"
	[ "$st" -eq 3 ]
	[ "$(cat "$D/err")" = "tend-collect: $J/missing: HTTP 404: no such thing" ]
	col http --token-file "$S/token" "$J/away"
	[ "$st" -eq 3 ]
	grep -q "redirect to another origin refused: http://localhost:$JPORT/list" "$D/err"
	col http "$J/here"
	[ "$st" -eq 0 ]
	[ "$(jq -r .data.name "$D/out" | tr '\n' ' ')" = "one two " ]
	col http "$J/notjson"
	[ "$st" -eq 3 ]
	grep -q "$J/notjson:1: invalid JSON" "$D/err"
	col http file:///etc/passwd
	[ "$st" -eq 2 ]
	grep -q "only http and https" "$D/err"
	col http "http://user:pw@127.0.0.1:$JPORT/list"
	[ "$st" -eq 2 ]
	grep -q "credentials in a URL are refused" "$D/err"
	! grep -q pw@ "$D/err" || false
	col http --retries 0 --timeout 2 http://127.0.0.1:1/x
	[ "$st" -eq 4 ]
}

@test "k8s: every conformance object exactly once, across pages" {
	: > "$S/k8s.log"
	col k8s --kubeconfig "$S/kc/config" --page-size 2 --kinds \
	    deployments,pods,services,endpoints,replicationcontrollers,cm
	[ "$st" -eq 0 ]
	[ ! -s "$D/err" ]
	sed 's,^,k8s:test/,' "$S/k8s.expected" > "$D/want"
	subjects | sort > "$D/got"
	diff -u "$D/want" "$D/got"
	grep -q 'deployments?limit=2&continue=' "$S/k8s.log"
	# list items get their apiVersion and kind; the source is the URL
	run jq -r 'select(.data.name == "svc1") | [.data.object.apiVersion, .data.object.kind, .data.source] | @tsv' "$D/out"
	[ "$output" = "v1	Service	https://127.0.0.1:$KPORT/api/v1/services" ]
}

@test "k8s: default kinds, --namespace, KUBECONFIG" {
	KUBECONFIG=/nonexistent:$S/kc/config col k8s
	[ "$st" -eq 0 ]
	subjects | sort > "$D/got"
	grep -v -e /Pod/ -e /Endpoints/ -e /ReplicationController/ \
	    "$S/k8s.expected" | sed 's,^,k8s:test/,' > "$D/want"
	diff -u "$D/want" "$D/got"
	col k8s --kubeconfig "$S/kc/config" --namespace default --kinds deploy,svc
	[ "$(subjects | sort | tr '\n' ' ')" = "k8s:test/apps/Deployment/default/guestbook-ui k8s:test/apps/Deployment/default/nginx-deployment k8s:test/core/Service/default/multiple-protocol-port-svc " ]
	col k8s --kubeconfig "$S/kc/config" --context prod --kinds v1/pods
	[ "$st" -eq 0 ]
	[ "$(subjects | sort | head -1)" = "k8s:prod/core/Pod/argocd/my-pod" ]
}

@test "k8s: token file, exec plugin, client certificates" {
	local ctx
	for ctx in tokenfile plugin cert certfiles; do
		col k8s --kubeconfig "$S/kc/config" --context "$ctx" --kinds cm \
		    --namespace edit-test
		[ "$st" -eq 0 ] || { cat "$D/err"; return 1; }
		[ "$(subjects)" = "k8s:$ctx/core/ConfigMap/edit-test/cm1" ] ||
		    { echo "$ctx: $(subjects)"; return 1; }
	done
}

@test "k8s: a wrong token or CA is a clear error, exit 4" {
	col k8s --kubeconfig "$S/kc/config" --context wrongtoken
	[ "$st" -eq 4 ]
	[ "$(cat "$D/err")" = "tend-collect: https://127.0.0.1:$KPORT/apis/apps/v1/deployments: HTTP 401: Unauthorized" ]
	[ ! -s "$D/out" ]
	col k8s --kubeconfig "$S/kc/config" --context otherca
	[ "$st" -eq 4 ]
	[[ $(cat "$D/err") == "tend-collect: https://127.0.0.1:$KPORT/apis/apps/v1/deployments: SSL certificate problem: "* ]]
	col k8s --kubeconfig "$S/kc/config" --context otherca --cacert "$S/ca.crt" --kinds cm
	[ "$st" -eq 0 ]
}

@test "k8s: kubeconfig problems" {
	col k8s --kubeconfig "$S/kc/config" --context insecure
	[ "$st" -eq 3 ]
	[ "$(cat "$D/err")" = "tend-collect: cluster 'fixture-insecure' sets insecure-skip-tls-verify: refused without --insecure" ]
	col k8s --kubeconfig "$S/kc/config" --context insecure --insecure --kinds cm
	[ "$st" -eq 0 ]
	col k8s --kubeconfig "$S/kc/config" --context nope
	[ "$st" -eq 3 ]
	grep -q "context 'nope' is not in the kubeconfig" "$D/err"
	col k8s --kubeconfig "$D/missing"
	[ "$st" -eq 4 ]
	printf 'clusters: [\n' > "$D/badkc"
	col k8s --kubeconfig "$D/badkc"
	[ "$st" -eq 3 ]
	grep -q "$D/badkc:2: YAML" "$D/err"
}

@test "host: the installed packages are dpkg's" {
	command -v dpkg-query > /dev/null || skip "no dpkg"
	col host --packages
	[ "$st" -eq 0 ]
	jq -r '[.data.object.package, .data.object.version] | join(" ")' "$D/out" | sort -u > "$D/got"
	dpkg-query -W -f='${db:Status-Status} ${Package} ${Version}\n' |
	    awk '$1 == "installed" { print $2, $3 }' | sort -u > "$D/want"
	diff -u "$D/want" "$D/got"
	host=$(hostname)
	grep -q "\"subject\":\"host:$host/package/dpkg\"" "$D/out"
}

@test "host: the listening sockets are ss's" {
	command -v ss > /dev/null || skip "no ss"
	# a listener of our own, so there is at least one
	"$PY" -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
open("'"$D"'/lport", "w").write(str(s.getsockname()[1]))
time.sleep(20)' 3>&- &
	pid=$!
	for _ in $(seq 1 50); do [ -s "$D/lport" ] && break; sleep 0.1; done
	# other tests open and close sockets meanwhile: what ss saw both
	# before and after must be there, and nothing it never saw
	ss -ltnH > "$D/ss1"
	col host --sockets
	ss -ltnH > "$D/ss2"
	kill "$pid"
	[ "$st" -eq 0 ]
	jq -r 'select(.data.object.protocol == "tcp") | .data.name | sub("^tcp/"; "")' "$D/out" | sort -u > "$D/got"
	for f in ss1 ss2; do
		awk '{ print $4 }' "$D/$f" | sed -e 's/^\*:/[::]:/' -e 's/%[^:]*:/:/' | sort -u > "$D/$f.a"
	done
	comm -12 "$D/ss1.a" "$D/ss2.a" > "$D/both"
	sort -u "$D/ss1.a" "$D/ss2.a" > "$D/either"
	[ -z "$(comm -23 "$D/both" "$D/got")" ] || { comm -23 "$D/both" "$D/got"; return 1; }
	[ -z "$(comm -13 "$D/either" "$D/got")" ] || { comm -13 "$D/either" "$D/got"; return 1; }
	grep -qx "127.0.0.1:$(cat "$D/lport")" "$D/got"
	run jq -r "select(.data.name == \"tcp/127.0.0.1:$(cat "$D/lport")\") | [.data.object.process.pid, .data.object.process.comm] | @tsv" "$D/out"
	[ "$output" = "$pid	python3" ]
}

@test "host: a --root tree: packages, sockets, sysctl, files" {
	R=$D/root
	mkdir -p "$R/var/lib/dpkg" "$R/proc/net" "$R/proc/sys/net/ipv4/conf/eth0.5" \
	    "$R/proc/sys/kernel" "$R/proc/77/fd" "$R/etc"
	echo box1 > "$R/etc/hostname"
	cat > "$R/var/lib/dpkg/status" <<-'EOF'
	Package: zlib1g
	Status: install ok installed
	Architecture: amd64
	Source: zlib (1:1.2.13.dfsg-1)
	Version: 1:1.2.13.dfsg-1+b1
	Description: compression library
	 a continuation line: Package: nope

	Package: gone
	Status: deinstall ok config-files
	Version: 1.0

	Package: held
	Status: hold ok installed
	Architecture: all
	Version: 2.0

	Package: libc6
	Status: install ok installed
	Architecture: i386
	Version: 2.36-9

	Package: libc6
	Status: install ok installed
	Architecture: amd64
	Version: 2.36-9
	EOF
	cat > "$R/proc/net/tcp" <<-'EOF'
	  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
	   0: 0100007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 4242 1 0000000000000000 100 0 0 10 0
	   1: 0100007F:0CEA 0100007F:A1B2 01 00000000:00000000 00:00000000 00000000     0        0 4243 1 0000000000000000 100 0 0 10 0
	EOF
	cat > "$R/proc/net/tcp6" <<-'EOF'
	  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
	   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5151 1 0000000000000000 100 0 0 10 0
	EOF
	cat > "$R/proc/net/udp" <<-'EOF'
	   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
	  1: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 6161 2 0000000000000000 0
	  2: 0100007F:0045 0200007F:0050 01 00000000:00000000 00:00000000 00000000     0        0 6162 2 0000000000000000 0
	EOF
	ln -s 'socket:[4242]' "$R/proc/77/fd/3"
	echo named > "$R/proc/77/comm"
	echo 1 > "$R/proc/sys/net/ipv4/ip_forward"
	echo 0 > "$R/proc/sys/net/ipv4/conf/eth0.5/rp_filter"
	printf '4096\t16384\n' > "$R/proc/sys/net/ipv4/tcp_rmem"
	echo Linux > "$R/proc/sys/kernel/ostype"
	printf 'hello\n' > "$R/etc/motd"
	chmod 640 "$R/etc/motd"
	col host --root "$R/" --packages --sockets --sysctl net.ipv4.,kernel.ostype,net.ipv4.ip_forward \
	    --file /etc/motd --file /etc/absent
	[ "$st" -eq 0 ] || { cat "$D/err"; return 1; }
	cat > "$D/want" <<-'EOF'
	host:box1/package/held	{"package":"held","version":"2.0","architecture":"all","source":"held","source_version":"2.0","status":"hold ok installed"}
	host:box1/package/libc6:amd64	{"package":"libc6","version":"2.36-9","architecture":"amd64","source":"libc6","source_version":"2.36-9","status":"install ok installed"}
	host:box1/package/libc6:i386	{"package":"libc6","version":"2.36-9","architecture":"i386","source":"libc6","source_version":"2.36-9","status":"install ok installed"}
	host:box1/package/zlib1g	{"package":"zlib1g","version":"1:1.2.13.dfsg-1+b1","architecture":"amd64","source":"zlib","source_version":"1:1.2.13.dfsg-1","status":"install ok installed"}
	host:box1/socket/tcp/127.0.0.1:53	{"protocol":"tcp","family":"ipv4","address":"127.0.0.1","port":53,"uid":101,"process":{"pid":77,"comm":"named"}}
	host:box1/socket/tcp/[::]:22	{"protocol":"tcp","family":"ipv6","address":"::","port":22,"uid":0}
	host:box1/socket/udp/0.0.0.0:68	{"protocol":"udp","family":"ipv4","address":"0.0.0.0","port":68,"uid":0}
	host:box1/sysctl/kernel.ostype	{"name":"kernel.ostype","value":"Linux"}
	host:box1/sysctl/net.ipv4.conf.eth0/5.rp_filter	{"name":"net.ipv4.conf.eth0/5.rp_filter","value":"0"}
	host:box1/sysctl/net.ipv4.ip_forward	{"name":"net.ipv4.ip_forward","value":"1"}
	host:box1/sysctl/net.ipv4.tcp_rmem	{"name":"net.ipv4.tcp_rmem","value":"4096\\t16384"}
	EOF
	jq -r 'select(.data.kind != "file") | [.subject, (.data.object | tojson)] | @tsv' "$D/out" > "$D/got"
	diff -u "$D/want" "$D/got"
	run jq -c 'select(.data.kind == "file") | [.subject, .data.object.exists, .data.object.mode, .data.object.size, .data.object.sha256, .data.object.content]' "$D/out"
	[ "${lines[0]}" = "[\"host:box1/file/etc/motd\",true,\"0640\",6,\"$(sha256sum < "$R/etc/motd" | cut -c1-64)\",\"hello\\n\"]" ]
	[ "${lines[1]}" = '["host:box1/file/etc/absent",false,null,null,null,null]' ]
	run jq -r .data.source "$D/out"
	[ "${lines[0]}" = "$R/var/lib/dpkg/status" ]
}

@test "host: sysctl and files on this machine" {
	[ -r /proc/sys/kernel/ostype ] || skip "no /proc/sys"
	printf 'x\0y' > "$D/bin"
	col host --sysctl kernel.ostype --file "$D/bin"
	[ "$st" -eq 0 ]
	[ "$(jq -r 'select(.data.kind == "sysctl") | .data.object.value' "$D/out")" = "$(cat /proc/sys/kernel/ostype)" ]
	# binary content is not copied, only hashed
	[ "$(jq -r 'select(.data.kind == "file") | .data.object | has("content")' "$D/out")" = false ]
	col host --sysctl no.such.thing
	[ "$st" -eq 3 ]
	grep -q "no such name 'no.such.thing'" "$D/err"
	col host --file relative/path
	[ "$st" -eq 2 ]
}

@test "no credential ever reaches stdout or stderr" {
	[ -s "$S/emitted" ]
	! grep -a -e "$TOKEN" -e tend-planted "$S/emitted" || false
	! grep -a -e "$(sed -n 2p "$S/client.key")" "$S/emitted" || false
}
