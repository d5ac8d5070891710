#!/usr/bin/env bats
# pipelines/postmortem on the demo's log: the page holds the timeline,
# SLOs, burn-in and the what-if of a stricter policy; a damaged log stops
# it.

bats_require_minimum_version 1.5.0

setup_file() {
	export TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	export P=$BATS_TEST_DIRNAME/../../pipelines
	export W=$BATS_FILE_TMPDIR/demo
	"$P/demo/run" "$W" > /dev/null 2>&1
	# stricter: low risk waits for the window too
	jq '.risk.low = "window"' "$P/demo/policy.json" > "$BATS_FILE_TMPDIR/strict.json"
}

@test "the page: timeline, SLOs, burn-in and the what-if" {
	cd "$BATS_TEST_TMPDIR"
	run "$P/postmortem/run" -p "$BATS_FILE_TMPDIR/strict.json" \
	    -k "$W/log.pub" -t "demo drift, 2026-11-22" \
	    -s 2026-11-22T00:00:00Z -u 2026-11-23T00:00:00Z \
	    -o pm.html "$W/demo.tlog.zst"
	[ "$status" -eq 0 ]
	[[ $output == *"postmortem: pm.html"* ]]
	grep -q '<title>demo drift, 2026-11-22</title>' pm.html
	grep -q '<svg ' pm.html
	grep -q 'host:web-1/file/etc/nginx/nginx.conf' pm.html
	grep -q '<h2 id="slo">' pm.html
	grep -q '<h2 id="burnin">' pm.html
	# the two host reverts would have been deferred
	grep -q '6 decisions at 1 time, 2 would change, 4 unchanged' pm.html
	[ "$(grep -c '<td>approved</td><td>deferred</td>' pm.html)" -eq 2 ]
	run ! grep -Eq '<script|src=' pm.html
}

@test "a damaged log gives no page" {
	cd "$BATS_TEST_TMPDIR"
	cp "$W/demo.tlog.zst" bad.tlog.zst
	# flip a byte in the middle of the first data frame
	printf 'X' | dd of=bad.tlog.zst bs=1 seek=200 conv=notrunc 2> /dev/null
	run "$P/postmortem/run" -o pm.html bad.tlog.zst
	[ "$status" -ne 0 ]
	[ ! -e pm.html ]
}

@test "usage" {
	run "$P/postmortem/run"
	[ "$status" -eq 2 ]
	[[ $output == *"Usage: pipelines/postmortem/run"* ]]
}
