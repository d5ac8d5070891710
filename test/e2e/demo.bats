#!/usr/bin/env bats
# pipelines/demo: the README's first command, end to end, and what a
# person sees: the timeline, the restored files, a sealed and verified
# log, and the HTML timeline rendered by headless Chromium.

setup_file() {
	export TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	export P=$BATS_TEST_DIRNAME/../../pipelines/demo
	export W=$BATS_FILE_TMPDIR/work
	"$P/run" "$W" > "$BATS_FILE_TMPDIR/out" 2> "$BATS_FILE_TMPDIR/err"
	echo $? > "$BATS_FILE_TMPDIR/status"
}

setup() {
	L=$W/demo.tlog.zst
	R=$TEND_BIN/tend-report
}

@test "the demo runs and ends with a sealed, verified log" {
	[ "$(cat "$BATS_FILE_TMPDIR/status")" -eq 0 ] || {
		cat "$BATS_FILE_TMPDIR/err"; return 1; }
	tail -2 "$BATS_FILE_TMPDIR/out" > "$BATS_FILE_TMPDIR/tail"
	grep -q "^$L: intact: [0-9]* frames, 45 events" "$BATS_FILE_TMPDIR/tail"
	grep -q "(sealed and verified)$" "$BATS_FILE_TMPDIR/tail"
	grep -q "^tend-attest: $L: intact: 45 events, 1 checkpoints" "$BATS_FILE_TMPDIR/err"
	"$TEND_BIN/tend-log" verify --quiet "$L"
	"$TEND_BIN/tend-attest" verify --quiet --pub "$W/log.pub" "$L"
}

@test "the timeline shows every stage of the run" {
	out=$BATS_FILE_TMPDIR/out
	grep -q '^run demo-20261122050000  ' "$out"
	grep -q '^  host:web-1/file/etc/nginx/nginx.conf$' "$out"
	for stage in state drift proposed approved started succeeded \
	    deferred escalated skipped; do
		grep -Eq "^    2026-11-22T05:00:00Z  $stage( |\$)" "$out" ||
		    { echo "no $stage"; return 1; }
	done
	grep -q '^  = 4 drift, 6 proposed, 2 approved, 3 deferred, 1 escalated, 2 succeeded, 4 skipped$' "$out"
	grep -q '^run demo-20261122050000-verify  ' "$out"
}

@test "apply restored the scratch host, and only it" {
	grep -q 'server_tokens off;' "$W/hosts/web-1/etc/nginx/nginx.conf"
	[ "$(cat "$W/hosts/web-1/proc/sys/net/ipv4/ip_forward")" = 0 ]
	# the bundled fleet is untouched
	grep -q 'server_tokens on;' "$P/fleet/hosts/web-1/etc/nginx/nginx.conf"
}

@test "the same clock gives the same log" {
	"$P/run" "$BATS_TEST_TMPDIR/again" > /dev/null 2>&1
	"$TEND_BIN/tend-log" cat "$L" | jq -c 'del(.seq) | select(.type != "tend.log.checkpoint")' > "$BATS_TEST_TMPDIR/a"
	"$TEND_BIN/tend-log" cat "$BATS_TEST_TMPDIR/again/demo.tlog.zst" | jq -c 'del(.seq) | select(.type != "tend.log.checkpoint")' > "$BATS_TEST_TMPDIR/b"
	# paths of the work directory differ; nothing else does
	sed -i "s|$W|WORK|g" "$BATS_TEST_TMPDIR/a"
	sed -i "s|$BATS_TEST_TMPDIR/again|WORK|g" "$BATS_TEST_TMPDIR/b"
	[ "$(jq -r .type "$BATS_TEST_TMPDIR/a" | sort | uniq -c)" = "$(jq -r .type "$BATS_TEST_TMPDIR/b" | sort | uniq -c)" ]
	[ "$(wc -l < "$BATS_TEST_TMPDIR/a")" -eq 44 ]
	# the same events, once the work directory's paths are put aside
	diff -u <(jq -c 'del(.id, .causeid, .data.action_id, .data.idempotency_key, .data.action, .data.causes, .data.signature, .data.key_id, .data.result)' "$BATS_TEST_TMPDIR/a") \
	    <(jq -c 'del(.id, .causeid, .data.action_id, .data.idempotency_key, .data.action, .data.causes, .data.signature, .data.key_id, .data.result)' "$BATS_TEST_TMPDIR/b")
}

@test "SLOs of the demo: the host fixes took 5 minutes" {
	"$R" slo --format json "$L" > "$BATS_TEST_TMPDIR/s"
	run jq -c '[.overall.drift.detected, .overall.drift.resolved, .overall.drift.mttr_seconds, .overall.cve.found]' "$BATS_TEST_TMPDIR/s"
	[ "$output" = "[4,2,300,1]" ]
}

@test "what-if with the demo's own policy changes no decision" {
	run "$R" whatif --exit-code --policy "$P/policy.json" "$L"
	[ "$status" -eq 0 ]
	[[ $output == *"6 decisions at 1 time, 0 would change, 6 unchanged" ]]
}

@test "the HTML timeline holds every resource and renders in Chromium" {
	h=$W/timeline.html
	for k in $("$TEND_BIN/tend-log" cat --run demo-20261122050000 "$L" | jq -r '.subject // empty' | sort -u); do
		grep -qF "$k" "$h" || { echo "missing $k"; return 1; }
	done
	command -v chromium > /dev/null || skip "chromium is not installed (make deps)"
	mkdir -p "$BATS_TEST_TMPDIR/profile"
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic \
	    --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync \
	    --user-data-dir="$BATS_TEST_TMPDIR/profile" \
	    --screenshot="$BATS_TEST_TMPDIR/t.png" --window-size=1200,800 \
	    "file://$h" > /dev/null 2>&1
	[ -s "$BATS_TEST_TMPDIR/t.png" ]
	run python3 "$BATS_TEST_DIRNAME/../report/png-colors.py" "$BATS_TEST_TMPDIR/t.png"
	[ "$status" -eq 0 ]
	[ "$output" -gt 20 ]
}
