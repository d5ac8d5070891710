#!/usr/bin/env bats
# tend-apply against a real nginx (Debian's nginx-light), started here on
# 127.0.0.1 with a free port: its configuration file has drifted; the
# pipeline (gate | apply) restores the file atomically and reloads nginx
# through an exec action on the allow-list; a request shows the fix.

setup_file() {
	export TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	export S=$BATS_FILE_TMPDIR
	[ -x /usr/sbin/nginx ] || return 0
	PY=/usr/bin/python3
	[ -x "$PY" ] || PY=$(command -v python3)
	export PY
	PORT=$("$PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	export PORT
	export NX=$S/nginx
	export CONF=$NX/conf/nginx.conf
	export PIDFILE=$NX/nginx.pid
	export GLOBALS="daemon off; pid $PIDFILE; error_log stderr;"
	mkdir -p "$NX/conf" "$NX/logs" "$NX/tmp"
	export NXUSER=
	[ "$(id -u)" = 0 ] && NXUSER='user root;'
	# the desired configuration, and the drifted one nginx runs with
	conf fixed > "$S/desired.conf"
	conf drifted > "$CONF"
	/usr/sbin/nginx -p "$NX" -c "$CONF" -g "$GLOBALS" \
	    > "$S/nginx.log" 2>&1 3>&- &
	echo $! > "$S/nginx.master"
	for _ in $(seq 1 100); do
		[ "$(curl -fs "http://127.0.0.1:$PORT/")" = drifted ] && break
		sleep 0.1
	done
	[ "$(curl -fs "http://127.0.0.1:$PORT/")" = drifted ]
	"$TEND_BIN/tend-gate" keygen --name test.example/nginx "$S/gate.key" \
	    "$S/gate.pub" > /dev/null
	cat > "$S/policy.json" <<-'EOF'
	{"version": 1, "name": "nginx e2e",
	 "defaults": {"skill_mode": "auto", "risk_mode": "auto"}}
	EOF
	cat > "$S/apply.json" <<-EOF
	{"version": 1,
	 "exec": {"allow": ["/usr/sbin/nginx"], "timeout": 20},
	 "file": {"allow": ["$NX/conf"]}}
	EOF
}

# The configuration that answers "/" with $1.
conf() {
	cat <<-EOF
	$NXUSER
	worker_processes 1;
	events { worker_connections 64; }
	http {
	    access_log off;
	    client_body_temp_path $NX/tmp/body;
	    proxy_temp_path $NX/tmp/proxy;
	    fastcgi_temp_path $NX/tmp/fastcgi;
	    uwsgi_temp_path $NX/tmp/uwsgi;
	    scgi_temp_path $NX/tmp/scgi;
	    server {
	        listen 127.0.0.1:$PORT;
	        location / { return 200 "$1"; }
	    }
	}
	EOF
}

teardown_file() {
	[ -f "$S/nginx.master" ] && kill "$(cat "$S/nginx.master")"
	return 0
}

setup() {
	[ -x /usr/sbin/nginx ] || skip "nginx is not installed"
	D=$BATS_TEST_TMPDIR
	NOW=2026-11-22T05:01:00Z
}

# The two proposals a skill reverting the drift would write: the file
# back to its desired content (planned against the drifted content),
# then a reload of nginx, after it, on the same target.
proposals() {
	"$PY" - "$CONF" "$S/desired.conf" "$NX" "$GLOBALS" <<-'EOF'
	import hashlib, json, sys
	conf, desired, prefix, globals_ = sys.argv[1:5]
	observed = open(conf, "rb").read()
	target = "host:web-01/file" + conf
	def event(i, data):
	    data.update({"skill": "nginx-revert", "domain": "config",
	                 "targets": [target], "risk": "low"})
	    print(json.dumps({"specversion": "1.0", "id": "p-" + i,
	        "source": "tend-plan", "type": "tend.action.proposed",
	        "time": "2026-11-22T05:00:00Z", "subject": target,
	        "runid": "run-e2e", "data": data}))
	event("restore", {"action_id": "restore-nginx-conf",
	    "executor": {"type": "file", "path": conf,
	                 "content": open(desired).read(), "mode": "0644"},
	    "state_digest": "sha256:" + hashlib.sha256(observed).hexdigest(),
	    "reason": "nginx.conf drifted from its desired content"})
	event("reload", {"action_id": "reload-nginx",
	    "executor": {"type": "exec", "argv": ["/usr/sbin/nginx", "-s",
	        "reload", "-p", prefix, "-c", conf, "-g", globals_]},
	    "after": ["restore-nginx-conf"],
	    "reason": "load the restored configuration"})
	EOF
}

@test "a drifted nginx.conf is restored atomically and nginx reloaded" {
	proposals > "$D/proposed"
	ino=$(stat -c %i "$CONF")
	"$TEND_BIN/tend-gate" --policy "$S/policy.json" --key "$S/gate.key" \
	    --now 2026-11-22T05:00:00Z "$D/proposed" \
	    | "$TEND_BIN/tend-apply" --verify-key "$S/gate.pub" \
	    --config "$S/apply.json" --now $NOW --log "$D/log.zst" \
	    > "$D/out" 2> "$D/err"
	[ ! -s "$D/err" ] || { cat "$D/err"; false; }
	run jq -r '[.type, .data.action_id] | @tsv' "$D/out"
	[ "${lines[0]}" = "tend.action.started	restore-nginx-conf" ]
	[ "${lines[1]}" = "tend.action.succeeded	restore-nginx-conf" ]
	[ "${lines[2]}" = "tend.action.started	reload-nginx" ]
	[ "${lines[3]}" = "tend.action.succeeded	reload-nginx" ]
	# the file: the desired bytes, a new inode (renamed into place), the
	# drifted content kept beside it
	cmp "$CONF" "$S/desired.conf"
	[ "$(stat -c %i "$CONF")" != "$ino" ]
	[ "$(stat -c %a "$CONF")" = 644 ]
	grep -q '"drifted"' "$NX/conf/.nginx.conf.tend-prev"
	# nginx: reloaded by its master, which is still the same process
	for _ in $(seq 1 100); do
		[ "$(curl -fs "http://127.0.0.1:$PORT/")" = fixed ] && break
		sleep 0.1
	done
	[ "$(curl -fs "http://127.0.0.1:$PORT/")" = fixed ]
	[ "$(cat "$PIDFILE")" = "$(cat "$S/nginx.master")" ]
	"$TEND_BIN/tend-validate" "$D/out" > /dev/null
	"$TEND_BIN/tend-log" verify "$D/log.zst" > /dev/null
	# the same approvals again, with the same log: both already done
	"$TEND_BIN/tend-log" cat "$D/log.zst" > "$D/logged"
	"$TEND_BIN/tend-gate" --policy "$S/policy.json" --key "$S/gate.key" \
	    --now 2026-11-22T05:00:00Z "$D/proposed" > "$D/approved"
	"$TEND_BIN/tend-apply" --verify-key "$S/gate.pub" \
	    --config "$S/apply.json" --now $NOW --log "$D/log.zst" \
	    "$D/approved" > "$D/again"
	run jq -r '[.data.action_id, .data.reason] | @tsv' "$D/again"
	[ "${lines[0]}" = "restore-nginx-conf	already-done" ]
	[ "${lines[1]}" = "reload-nginx	already-done" ]
}

@test "drift after planning: the restore is stale, the reload waits for it" {
	# the first test left the file fixed; plan against it, then drift
	proposals > "$D/proposed"
	"$TEND_BIN/tend-gate" --policy "$S/policy.json" --key "$S/gate.key" \
	    --now 2026-11-22T05:00:00Z "$D/proposed" > "$D/approved"
	conf "drifted again" > "$CONF"
	"$TEND_BIN/tend-apply" --verify-key "$S/gate.pub" \
	    --config "$S/apply.json" --now $NOW "$D/approved" > "$D/out"
	run jq -r '[.data.action_id, .data.reason] | @tsv' "$D/out"
	[ "${lines[0]}" = "restore-nginx-conf	stale" ]
	[ "${lines[1]}" = "reload-nginx	dependency" ]
	grep -q '"drifted again"' "$CONF"
	[ "$(curl -fs "http://127.0.0.1:$PORT/")" = fixed ]
}

@test "--dry-run shows the diff and the reload command, and changes nothing" {
	proposals > "$D/proposed"
	before=$(sha256sum < "$CONF")
	"$TEND_BIN/tend-gate" --policy "$S/policy.json" --key "$S/gate.key" \
	    --now 2026-11-22T05:00:00Z "$D/proposed" \
	    | "$TEND_BIN/tend-apply" -n --verify-key "$S/gate.pub" \
	    --config "$S/apply.json" --now $NOW > "$D/out"
	[ "$(sha256sum < "$CONF")" = "$before" ]
	jq -r 'select(.data.action_id == "restore-nginx-conf") | .data.would.diff' "$D/out" > "$D/diff"
	grep -q '^-        location / { return 200 "drifted again"; }$' "$D/diff"
	grep -q '^+        location / { return 200 "fixed"; }$' "$D/diff"
	[ "$(jq -c 'select(.data.action_id == "reload-nginx") | .data.would.argv[0:3]' "$D/out")" = '["/usr/sbin/nginx","-s","reload"]' ]
}
