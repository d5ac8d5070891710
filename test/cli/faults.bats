#!/usr/bin/env bats
# Bad days: I/O errors, short writes, full disks, failed allocations and
# power losses, injected by the LD_PRELOAD shim test/faults/inject.c into
# tend-log (the event log's reader, appender and verify), at every call
# they make.  What is checked is what an operator relies on: a failure
# ends the run at once with a non-zero status and a message; nothing
# reported as durable (a stored line printed under --sync always) is ever
# missing afterwards, even after a power loss that drops every write not
# fsync'd; no half line is printed; no crash, no sanitizer report.
#
# TEND_SLOW=1 fails every call with every kind of error and runs 1,000
# power losses; CI does a sample (all EIOs, an eighth of the rest, 60
# power losses).

setup_file() {
	export TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	: "${TEND_UNIT:=$BATS_TEST_DIRNAME/../../build/release/test/unit}"
	export INJECT=${TEND_INJECT:-$TEND_UNIT/../faults/inject.so}
	# An ASan build wants its runtime first; the shim goes before it.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
	export ASAN_OPTIONS
	# tmpfs when there is one: thousands of fsyncs, and the power
	# losses are the shim's to simulate, not the disk's
	D=$(mktemp -d /dev/shm/tend-faults.XXXXXX 2>/dev/null) ||
		D=$BATS_FILE_TMPDIR
	export D
	awk 'BEGIN { for (i = 0; i < 10000; i++)
		printf "{\"specversion\":\"1.0\",\"id\":\"e%d\",\"source\":\"t\"," \
		    "\"type\":\"x.test\",\"time\":\"2026-01-01T%02d:%02d:%02dZ\"," \
		    "\"subject\":\"s%d\",\"data\":{\"n\":%d,\"pad\":\"%s\"}}\n",
		    i, int(i / 3600) % 24, int(i / 60) % 60, i % 60, i % 7, i,
		    substr("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 1, i % 40) }' \
	    > "$D/ev10k"
	head -3000 "$D/ev10k" > "$D/ev3k"
	head -1000 "$D/ev10k" > "$D/ev1k"
	echo '{"specversion":"1.0","id":"z","source":"t","type":"x.test"}' \
	    > "$D/one"
}

teardown_file() {
	case $D in
	/dev/shm/tend-faults.*) rm -rf "$D" ;;
	esac
}

setup() {
	[ -f "$INJECT" ] || skip "no $INJECT (make builds it)"
}

# Fails the test with a message.
die() {
	echo "$*"
	return 1
}

# prefix A B: file A is a prefix of file B.
prefix() {
	local n
	n=$(stat -c %s "$1")
	[ "$n" -le "$(stat -c %s "$2")" ] && head -c "$n" "$2" | cmp -s - "$1"
}

# Runs tend-log with the shim; env assignments first, then the arguments.
# Exit status in $st, elapsed milliseconds in $ms.
inject() {
	local t0
	t0=$(date +%s%N)
	env LD_PRELOAD="$INJECT" "$@" && st=0 || st=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
}

@test "faults: the shim counts, fails and crashes as asked" {
	local w=$D/shim
	mkdir -p "$w"
	inject TEND_FAULT_PATH="$w/log" TEND_FAULT_COUNT="$w/count" \
	    "$TEND_BIN/tend-log" append --sync always --frame-size 4096 \
	    "$w/log" < "$D/ev3k" > "$w/out" 2> "$w/err"
	[ "$st" -eq 0 ] || die "clean run: $st: $(cat "$w/err")"
	grep -q '^calls [1-9]' "$w/count"
	grep -q '^allocs [1-9]' "$w/count"
	rm -f "$w/log"
	inject TEND_FAULT_PATH="$w/log" TEND_FAULT_NTH=1 \
	    "$TEND_BIN/tend-log" append "$w/log" < "$D/one" > /dev/null \
	    2> "$w/err"
	[ "$st" -eq 4 ] || die "open failing: $st"
	grep -q 'cannot open: Input/output error' "$w/err"
	inject TEND_FAULT_PATH="$w/log" TEND_CRASH_AT=2 TEND_CRASH_MODE=drop \
	    "$TEND_BIN/tend-log" append --sync always "$w/log" < "$D/one" \
	    > /dev/null 2> "$w/err"
	[ "$st" -eq 137 ] || die "crash: $st"
	grep -q 'inject: power loss at call 2 (drop)' "$w/err"
}

# One run of the 10k-event append with call $1 failing as $2 ($3: sticky).
# Then a power loss drops what was not fsync'd, a second append restarts
# on the log, and the log must hold every line the first one printed.
append_fails_at() {
	local n=$1 err=$2 sticky=$3 w=$D/io
	rm -rf "$w"
	mkdir -p "$w"
	inject TEND_FAULT_PATH="$w/log" TEND_FAULT_NTH="$n" \
	    TEND_FAULT_ERR="$err" TEND_FAULT_STICKY="$sticky" \
	    TEND_CRASH_AT_EXIT=drop \
	    "$TEND_BIN/tend-log" append --sync always --frame-size 65536 \
	    "$w/log" < "$D/ev10k" > "$w/out" 2> "$w/err"
	local what="call $n $err${sticky:+ sticky}"
	[ "$st" -lt 128 ] || die "$what: killed ($st): $(cat "$w/err")"
	[ "$ms" -lt 1000 ] || die "$what: took $ms ms"
	if [ "$st" -eq 0 ]; then
		# only a transient short write is survived: nothing failed
		[ "$err" = short ] && [ -z "$sticky" ] ||
			die "$what: exit 0"
		cmp -s "$w/out" "$D/io-ref" || die "$what: exit 0, output differs"
	else
		[ "$st" -eq 4 ] || die "$what: exit $st: $(cat "$w/err")"
		grep -Eq 'error|cannot' "$w/err" || die "$what: $(cat "$w/err")"
	fi
	# What it printed is a prefix of what a clean run prints ...
	prefix "$w/out" "$D/io-ref" || die "$what: printed lines not stored"
	# ... and survives the power loss and a restart.
	"$TEND_BIN/tend-log" append --sync always "$w/log" < "$D/one" \
	    > /dev/null 2> "$w/err2" || die "$what: restart: $(cat "$w/err2")"
	"$TEND_BIN/tend-log" cat "$w/log" > "$w/cat" 2> "$w/err3" ||
		die "$what: cat: $(cat "$w/err3")"
	prefix "$w/out" "$w/cat" || die "$what: an acknowledged event is lost"
	"$TEND_BIN/tend-log" verify --quiet "$w/log" 2> "$w/err4" ||
		die "$what: verify: $(cat "$w/err4")"
}

@test "faults: an I/O error at every call of a 10k-event append loses nothing" {
	local n i runs=0
	mkdir -p "$D/ref"
	inject TEND_FAULT_PATH="$D/ref/log" TEND_FAULT_COUNT="$D/ref/count" \
	    "$TEND_BIN/tend-log" append --sync always --frame-size 65536 \
	    "$D/ref/log" < "$D/ev10k" > "$D/io-ref"
	[ "$st" -eq 0 ]
	[ "$(wc -l < "$D/io-ref")" -eq 10000 ]
	n=$(sed -n 's/^calls //p' "$D/ref/count")
	[ "$n" -gt 40 ]
	for i in $(seq 1 "$n"); do
		append_fails_at "$i" EIO "" || return 1
		runs=$((runs + 1))
		if [ -n "${TEND_SLOW:-}" ] || [ $((i % 8)) -eq 0 ]; then
			append_fails_at "$i" ENOSPC 1 || return 1
			append_fails_at "$i" short "" || return 1
			append_fails_at "$i" short 1 || return 1
			runs=$((runs + 3))
		fi
	done
	echo "# $n calls, $runs failing runs" >&3
}

# Runs tend-log "$@" with allocation $N failing; checks a clean end.
# The output must be the clean run's, or a prefix of it ending in a
# newline with exit 4 "out of memory" (or zstd's "not enough memory").
malloc_run() {
	local n=$1 ref=$2 w=$D/m
	shift 2
	# sanitizer reports to stderr, read below (make check-asan sends
	# them to files, where the expected CHECK would fail the check)
	inject ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS:log_path=stderr"} \
	    TEND_FAULT_MALLOC="$n" "$TEND_BIN/tend-log" "$@" \
	    > "$w/out" 2> "$w/err"
	local what="allocation $n of $*"
	# ASan's runtime cannot start a thread when pthread_getattr_np's
	# allocation fails (its CHECK, not ours): not a finding about tend.
	if grep -q 'CHECK failed: sanitizer_linux_libcdep.*pthread_getattr_np' \
	    "$w/err"; then
		asan_skipped=$((asan_skipped + 1))
		return 0
	fi
	case $st in
	0)	cmp -s "$w/out" "$ref" || die "$what: exit 0, output differs" ;;
	4)	grep -Eq 'out of memory|not enough memory' "$w/err" ||
			die "$what: exit 4: $(cat "$w/err")"
		prefix "$w/out" "$ref" || die "$what: output not a prefix"
		[ ! -s "$w/out" ] || [ "$(tail -c 1 "$w/out" | od -An -tx1)" = \
		    " 0a" ] || die "$what: a half line printed" ;;
	*)	die "$what: exit $st: $(cat "$w/err")" ;;
	esac
	! grep -Eq 'Sanitizer|BUG' "$w/err" || die "$what: $(cat "$w/err")"
}

@test "faults: a failed allocation anywhere in append, cat and verify ends cleanly" {
	local w=$D/m n i total=0 cmd
	asan_skipped=0
	mkdir -p "$w"
	"$TEND_BIN/tend-log" append --frame-size 32768 "$D/m.log" \
	    < "$D/ev3k" > "$D/m.append"
	"$TEND_BIN/tend-log" cat "$D/m.log" > "$D/m.cat"
	"$TEND_BIN/tend-log" verify "$D/m.log" > "$D/m.verify"
	for cmd in append cat verify; do
		rm -f "$w/log" "$w/log".torn-*
		if [ $cmd = append ]; then
			set -- append --frame-size 32768 "$w/log"
		else
			set -- $cmd "$D/m.log"
		fi
		inject TEND_FAULT_COUNT="$w/count" "$TEND_BIN/tend-log" "$@" \
		    < "$D/ev3k" > /dev/null 2>&1
		n=$(sed -n 's/^allocs //p' "$w/count")
		[ "$n" -gt 0 ]
		for i in $(seq 1 "$n"); do
			rm -f "$w/log" "$w/log".torn-*
			if [ $cmd = append ]; then
				malloc_run "$i" "$D/m.append" "$@" < "$D/ev3k" ||
					return 1
				# what append printed is in the log
				"$TEND_BIN/tend-log" cat "$w/log" > "$w/cat" \
				    2>/dev/null || true
				prefix "$w/out" "$w/cat" ||
					die "allocation $i: printed, not stored"
			elif [ $cmd = verify ]; then
				malloc_run "$i" "$D/m.verify" "$@" || return 1
			else
				malloc_run "$i" "$D/m.cat" "$@" || return 1
			fi
		done
		total=$((total + n))
	done
	echo "# $total allocations failed, one run each" \
	    "($asan_skipped inside ASan's own thread start)" >&3
}

@test "faults: power loss at any call of an append loses no acknowledged event" {
	local runs=${TEND_SLOW:+1000} i w=$D/pl n at seed lost=0 refused=0
	runs=${runs:-60}
	mkdir -p "$w"
	# A log to start from, then the lines a clean append adds to it.
	head -200 "$D/ev10k" | "$TEND_BIN/tend-log" append --sync always \
	    "$D/pl-base" > "$D/pl-base.out"
	cp "$D/pl-base" "$w/log"
	inject TEND_FAULT_PATH="$w/log" TEND_FAULT_COUNT="$w/count" \
	    "$TEND_BIN/tend-log" append --sync always --frame-size 4096 \
	    "$w/log" < "$D/ev1k" > "$D/pl-add"
	[ "$st" -eq 0 ]
	cat "$D/pl-base.out" "$D/pl-add" > "$D/pl-ref"
	n=$(sed -n 's/^calls //p' "$w/count")
	for i in $(seq 1 "$runs"); do
		rm -f "$w"/log*
		cp "$D/pl-base" "$w/log"
		at=$(( (i * 7919) % (n + 2) + 1 ))
		seed=$i
		inject TEND_FAULT_PATH="$w/log" TEND_CRASH_AT="$at" \
		    TEND_CRASH_SEED="$seed" \
		    "$TEND_BIN/tend-log" append --sync always --frame-size 4096 \
		    "$w/log" < "$D/ev1k" > "$w/out" 2> "$w/err"
		[ "$st" -eq 137 ] || [ "$st" -eq 0 ] ||
			die "run $i (call $at): exit $st: $(cat "$w/err")"
		# the lines printed before the kill: whole ones only
		sed '$ { /}$/!d }' "$w/out" > "$w/acked"
		cat "$D/pl-base.out" "$w/acked" > "$w/want"
		"$TEND_BIN/tend-log" cat "$w/log" > "$w/cat" 2> "$w/err2" || true
		# every acknowledged event is there, and nothing else but what
		# the clean run adds: the loss is within the unacknowledged tail
		prefix "$w/want" "$w/cat" ||
			die "run $i (call $at, $(cat "$w/err")): acknowledged events lost"
		prefix "$w/cat" "$D/pl-ref" ||
			die "run $i (call $at): the log holds what was never written"
		lost=$(( lost + $(stat -c %s "$D/pl-ref") - $(stat -c %s "$w/cat") ))
		# A restart goes on from there (or refuses a damaged tail: only
		# after garbage was written where a frame should be; then
		# tend log repair moves the garbage aside and it goes on).
		if ! "$TEND_BIN/tend-log" append --sync always "$w/log" \
		    < "$D/one" > /dev/null 2> "$w/err3"; then
			grep -q 'garbage' "$w/err" && grep -q 'not a torn tail' \
			    "$w/err3" || die "run $i (call $at, $(cat "$w/err")):"\
			    "restart: $(cat "$w/err3")"
			refused=$((refused + 1))
			"$TEND_BIN/tend-log" repair "$w/log" | grep -q "kept in $w/log.torn-" ||
			    die "run $i: repair did not cut the garbage"
			"$TEND_BIN/tend-log" append --sync always "$w/log" \
			    < "$D/one" > /dev/null ||
			    die "run $i: append after repair failed"
			# nothing acknowledged went with the garbage
			"$TEND_BIN/tend-log" cat "$w/log" > "$w/cat2"
			prefix "$w/want" "$w/cat2" ||
			    die "run $i: repair lost acknowledged events"
		fi
		"$TEND_BIN/tend-log" verify "$w/log" > /dev/null ||
		    die "run $i: not intact after the restart"
	done
	echo "# $runs power losses over $n calls; $refused restarts refused a" \
	    "garbage tail; $((lost / runs)) unacknowledged bytes lost per run" >&3
}
