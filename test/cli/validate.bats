#!/usr/bin/env bats
# tend-validate: what a user sees on stdout, stderr and in the exit status.

setup() {
	TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	V=$TEND_BIN/tend-validate
	D=$BATS_TEST_TMPDIR
	EV='{"specversion":"1.0","id":"e1","source":"test","type":"tend.resource.observed","time":"2026-11-22T05:00:00Z","subject":"host:h1/package/bash","data":{"provider":"host","kind":"package","name":"bash","object":{"version":"5.2","big":100000000000000000001}}}'
	FOREIGN='{"specversion":"1.0","id":"x","source":"/s","type":"com.example.thing","data":[1,2]}'
}

@test "--help prints the synopsis on stdout and exits 0" {
	run "$V" --help
	[ "$status" -eq 0 ]
	[ "$output" = "usage: tend-validate [-hkV] [--log file] [--max-line bytes] [--now time] [file ...]" ]
}

@test "--version" {
	run "$V" --version
	[ "$status" -eq 0 ]
	[[ $output == "tend-validate (tend) "* ]]
}

@test "an unknown option is a usage error (2)" {
	run "$V" --frobnicate
	[ "$status" -eq 2 ]
	[[ $output == *"usage: tend-validate"* ]]
}

@test "valid events pass through byte for byte (no number rewriting)" {
	printf '%s\n%s\n' "$EV" "$FOREIGN" > "$D/in"
	run "$V" "$D/in"
	[ "$status" -eq 0 ]
	"$V" < "$D/in" > "$D/out"
	cmp "$D/in" "$D/out"
}

@test "the first bad line stops the run with 3 and names file and line" {
	printf '%s\n%s\n{"specversion":"1.0"}\n%s\n' "$EV" "$EV" "$EV" > "$D/in"
	"$V" "$D/in" > "$D/out" 2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 3 ]
	[ "$(cat "$D/err")" = "tend-validate: $D/in:3: missing attribute 'id'" ]
	[ "$(wc -l < "$D/out")" -eq 2 ]
}

@test "--keep-going turns bad lines into tend.error events and still exits 3" {
	printf '%s\nnot json SECRET=hunter2\n%s\n' "$EV" "$EV" > "$D/in"
	"$V" -k --now 2026-11-22T06:00:00Z < "$D/in" > "$D/out" 2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 3 ]
	[ "$(wc -l < "$D/out")" -eq 3 ]
	sed -n 2p "$D/out" > "$D/error-event"
	run jq -r '[.type, .source, .time, .data.file, .data.line, .data.message, .data.input_bytes] | @tsv' "$D/error-event"
	[ "$output" = "tend.error	tend-validate	2026-11-22T06:00:00Z	<stdin>	2	invalid JSON at byte 1: invalid literal	23" ]
	! grep -q hunter2 "$D/out" "$D/err" || false
	# the error event is itself a valid event
	"$V" < "$D/error-event" > /dev/null
}

@test "tend.error events are deterministic for the same input and --now" {
	printf 'garbage\n' > "$D/in"
	"$V" -k --now 2026-11-22T06:00:00Z < "$D/in" > "$D/a" 2>/dev/null || true
	TEND_NOW=2026-11-22T06:00:00Z "$V" -k < "$D/in" > "$D/b" 2>/dev/null || true
	cmp "$D/a" "$D/b"
}

@test "data is checked against the type's schema" {
	printf '%s\n' '{"specversion":"1.0","id":"e","source":"s","type":"tend.error","data":{"program":"x"}}' > "$D/in"
	run "$V" "$D/in"
	[ "$status" -eq 3 ]
	[[ $output == "tend-validate: $D/in:1: "* ]]
}

@test "several files, and - for stdin" {
	printf '%s\n' "$EV" > "$D/a"
	printf '%s\n' "$FOREIGN" > "$D/b"
	run "$V" "$D/a" - "$D/b" < "$D/a"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
}

@test "a missing file is a system error (4)" {
	run "$V" "$D/nope"
	[ "$status" -eq 4 ]
	[[ $output == "tend-validate: cannot open '$D/nope': No such file or directory" ]]
}

@test "--max-line lowers the line bound" {
	printf '%s\n' "$EV" > "$D/in"
	run "$V" --max-line 100 "$D/in"
	[ "$status" -eq 3 ]
	[ "$output" = "tend-validate: $D/in:1: line longer than 100 bytes" ]
	run "$V" --max-line nope "$D/in"
	[ "$status" -eq 2 ]
}

@test "a bad --now is a usage error" {
	run "$V" --now yesterday < /dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "tend-validate: --now 'yesterday' is not an RFC 3339 time" ]
}

@test "a write error on stdout is a system error (4)" {
	printf '%s\n' "$EV" > "$D/in"
	run sh -c '"$0" "$1" > /dev/full' "$V" "$D/in"
	[ "$status" -eq 4 ]
	[[ $output == *"stdout: write error: No space left on device"* ]]
}

@test "the dispatcher runs it: tend validate" {
	printf '%s\n' "$EV" > "$D/in"
	run "$TEND_BIN/tend" validate "$D/in"
	[ "$status" -eq 0 ]
	[ "$output" = "$EV" ]
}
