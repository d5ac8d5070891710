#!/usr/bin/env bats
# The bad-input suite: every program that reads events (test/bad-input/
# programs) gets each case of test/bad-input/make-inputs.sh and must give
# the documented message and exit status; none may crash.

setup_file() {
	export TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	# for commands in programs that need a fixture (tend-gate's policy)
	export TEND_TEST=$BATS_TEST_DIRNAME/..
	export CASES=$BATS_FILE_TMPDIR/cases
	sh "$BATS_TEST_DIRNAME/../bad-input/make-inputs.sh" "$CASES"
}

# Runs case $1 through every program; checks status and stderr.
check_case() {
	local name=$1 want_exit want_err prog cmd T
	want_exit=$(cat "$CASES/$name.exit")
	want_err=$(cat "$CASES/$name.err")
	while IFS='	' read -r prog cmd; do
		case $prog in '#'*|'') continue ;; esac
		T=$(mktemp -d "$BATS_TEST_TMPDIR/XXXXXX")
		# shellcheck disable=SC2086
		run env T="$T" sh -c "cd '$T' && exec \"\$TEND_BIN\"/$cmd" < "$CASES/$name.in"
		if [ "$status" -ne "$want_exit" ]; then
			echo "$prog: $name: exit $status, want $want_exit: $output"
			return 1
		fi
		if [ -n "$want_err" ]; then
			case $output in
			*"tend-$prog: $want_err"*) ;;
			*) echo "$prog: $name: stderr lacks 'tend-$prog: $want_err': $output"
			   return 1 ;;
			esac
		fi
	done < "$BATS_TEST_DIRNAME/../bad-input/programs"
}

@test "truncated JSON" { check_case truncated; }
@test "a 20 MiB line" { check_case huge-line; }
@test "invalid UTF-8" { check_case invalid-utf8; }
@test "NUL bytes" { check_case nul-byte; }
@test "a JSON array instead of an object" { check_case array; }
@test "wrong attribute types" { check_case wrong-type; }
@test "unknown tend event type" { check_case unknown-type; }
@test "NaN" { check_case nan; }
@test "an empty line" { check_case empty-line; }
@test "empty input" { check_case empty; }

@test "stdout closed early: quiet, SIGPIPE status, nothing on stderr" {
	local ok i prog cmd T
	ok='{"specversion":"1.0","id":"e1","source":"test","type":"tend.resource.observed","data":{"provider":"host","kind":"package","object":{}}}'
	for i in $(seq 1 20000); do echo "$ok"; done > "$BATS_TEST_TMPDIR/many"
	while IFS='	' read -r prog cmd; do
		case $prog in '#'*|'') continue ;; esac
		T=$(mktemp -d "$BATS_TEST_TMPDIR/XXXXXX")
		run bash -c "cd '$T' && \"\$TEND_BIN\"/$cmd < '$BATS_TEST_TMPDIR/many' 2>'$T/err' | head -1 >/dev/null; echo \${PIPESTATUS[0]}"
		[ "$output" = 141 ] || { echo "$prog: status $output"; return 1; }
		[ ! -s "$T/err" ] || { echo "$prog: stderr: $(cat "$T/err")"; return 1; }
	done < "$BATS_TEST_DIRNAME/../bad-input/programs"
}
