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

ok='{"specversion":"1.0","id":"e1","source":"test","type":"tend.resource.observed","data":{"provider":"host","kind":"package","object":{}}}'

@test "stdout closed early: quiet, SIGPIPE status, nothing on stderr" {
	local prog cmd T
	awk -v l="$ok" 'BEGIN { for (i = 0; i < 20000; i++) print l }' \
	    > "$BATS_TEST_TMPDIR/many"
	while IFS='	' read -r prog cmd; do
		case $prog in '#'*|'') continue ;; esac
		T=$(mktemp -d "$BATS_TEST_TMPDIR/XXXXXX")
		run bash -c "cd '$T' && \"\$TEND_BIN\"/$cmd < '$BATS_TEST_TMPDIR/many' 2>'$T/err' | head -1 >/dev/null; echo \${PIPESTATUS[0]}"
		[ "$output" = 141 ] || { echo "$prog: status $output"; return 1; }
		[ ! -s "$T/err" ] || { echo "$prog: stderr: $(cat "$T/err")"; return 1; }
	done < "$BATS_TEST_DIRNAME/../bad-input/programs"
}

# The command $1 with --log $2 after its first word.
with_log() {
	local first=${1%% *} rest=
	[ "$first" = "$1" ] || rest=${1#* }
	echo "$first --log $2${rest:+ $rest}"
}

# Whether program $1 takes --log (its usage says so).
takes_log() {
	"$TEND_BIN/tend-$1" --help 2>/dev/null | grep -q -- '--log'
}

@test "stdout closed early with --log: quiet, SIGPIPE status, the log intact" {
	local prog cmd T log
	awk -v l="$ok" 'BEGIN { for (i = 0; i < 20000; i++) print l }' \
	    > "$BATS_TEST_TMPDIR/many"
	while IFS='	' read -r prog cmd; do
		case $prog in '#'*|'') continue ;; esac
		T=$(mktemp -d "$BATS_TEST_TMPDIR/XXXXXX")
		if takes_log "$prog"; then
			log=$T/log
			cmd=$(with_log "$cmd" "$log")
		elif [ "$prog" = log ]; then
			log=$T/events.tlog.zst	# its operand
		else
			continue
		fi
		run env T="$T" bash -c "cd '$T' && \"\$TEND_BIN\"/$cmd < '$BATS_TEST_TMPDIR/many' 2>'$T/err' | head -1 >/dev/null; echo \${PIPESTATUS[0]}"
		[ "$output" = 141 ] || { echo "$prog: status $output: $(cat "$T/err")"; return 1; }
		[ ! -s "$T/err" ] || { echo "$prog: stderr: $(cat "$T/err")"; return 1; }
		# every frame whole: no torn tail, nothing half-written
		run "$TEND_BIN/tend-log" verify "$log"
		[ "$status" -eq 0 ] || { echo "$prog: $output"; return 1; }
	done < "$BATS_TEST_DIRNAME/../bad-input/programs"
}

# CPU time (clock ticks) process $1 has used so far.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

@test "a stalled writer: every program waits without spinning, with --log too" {
	local prog cmd c T pid a b i log
	while IFS='	' read -r prog cmd; do
		case $prog in '#'*|'') continue ;; esac
		for log in "" --log; do
			[ -z "$log" ] || takes_log "$prog" || continue
			T=$(mktemp -d "$BATS_TEST_TMPDIR/XXXXXX")
			c=$cmd
			[ -z "$log" ] || c=$(with_log "$cmd" "$T/log")
			mkfifo "$T/in"
			env T="$T" sh -c "cd '$T' && exec \"\$TEND_BIN\"/$c" \
			    < "$T/in" > "$T/out" 2> "$T/err" &
			pid=$!
			exec 5> "$T/in"
			echo "$ok" >&5
			# settled (start-up done, the line handled, a --log frame
			# written after its second) once CPU stops growing
			a=-1
			b=$(cpu_ticks "$pid") ||
				{ echo "$prog $log: exited: $(cat "$T/err")"; return 1; }
			for i in $(seq 1 40); do
				[ "$a" = "$b" ] && [ "$i" -gt 3 ] && break
				sleep 0.25
				a=$b
				b=$(cpu_ticks "$pid") || { echo "$prog $log:" \
				    "exited: $(cat "$T/err")"; return 1; }
			done
			sleep 0.5
			b=$(cpu_ticks "$pid")
			exec 5>&-
			wait "$pid" || true
			# one tick (10 ms in 0.5 s) of slack for a sanitizer's
			# own background thread; spinning would be ~50
			[ $((b - a)) -le 1 ] || { echo "$prog $log: used CPU while" \
			    "waiting for input ($a -> $b ticks)"; return 1; }
		done
	done < "$BATS_TEST_DIRNAME/../bad-input/programs"
}
