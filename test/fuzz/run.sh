#!/bin/sh
# make fuzz-run: fuzzes each target named on the command line for
# FUZZ_TIME seconds with libFuzzer (built by make fuzz), starting from its
# seed corpus, then runs every input of the grown corpus once more and
# reports, per target: executions per second, coverage (libFuzzer's cov:
# edges and ft: features), corpus size, the slowest input, and any crash,
# leak or sanitizer report.  Inputs that crash are kept in
# $FUZZ_WORK/<target>/crashes; copy them into test/fuzz/corpus/<target>/
# (named crash-<what>) once fixed, so CI replays them for good.
#
# Environment: FUZZ_BIN (the fuzz-<target> binaries), FUZZ_WORK (scratch),
# FUZZ_TIME (seconds per target, default 300), FUZZ_SLOW_MS (the slowest
# an input may take, default 100).  Targets run one after the other; to
# use both processors, run two of these on different targets.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${FUZZ_BIN:?FUZZ_BIN names the folder of the fuzz binaries}"
: "${FUZZ_WORK:=$here/../../build/fuzz/work}"
: "${FUZZ_TIME:=300}"
: "${FUZZ_SLOW_MS:=100}"
# ASan's quarantine (freed memory kept poisoned, to catch use after
# free) is 64 MB, not 256: the policy and skill targets compile jq, whose
# libjq 1.6 frees tens of MB per input, and cycling through 256 MB of
# fresh pages made a policy input take 105-180 ms instead of 73 ms (page
# faults); 64 MB still holds all that one input frees.  The same options
# fuzz and time.
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0:quarantine_size_mb=64
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS=print_stacktrace=1
bad=0
printf '%-11s %9s %7s %7s %7s %9s  %s\n' target exec/s cov ft corpus "slowest" result
for t in "$@"; do
	w=$FUZZ_WORK/$t
	rm -rf "$w/log" "$w/timing"
	mkdir -p "$w/corpus" "$w/crashes"
	# over 10 s is a hang
	"$FUZZ_BIN/fuzz-$t" -max_total_time="$FUZZ_TIME" -timeout=10 \
	    -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=65536 \
	    -print_final_stats=1 -artifact_prefix="$w/crashes/" \
	    "$w/corpus" "$here/corpus/$t" > "$w/log" 2>&1 || true
	execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$w/log" | tail -1)
	cov=$(grep -E '^#[0-9]+' "$w/log" | tail -1 |
	    sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(grep -E '^#[0-9]+' "$w/log" | tail -1 |
	    sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	ncorp=$(find "$w/corpus" "$here/corpus/$t" -type f | wc -l)
	# Every input once more, one by one, timed by libFuzzer itself, in
	# three passes: an input's time is its fastest, as timeit takes it
	# (a 75 ms input shows 120-140 ms now and then on this virtual
	# machine).  Each batch starts with the seeds again, as a warm-up
	# that is not counted: the first input of a process pays for page
	# faults and lazy set-up, and the first jq compile in it 100 ms
	# more.  Leaks were looked for above: here LSan would time its own
	# heap scan, which libFuzzer runs after every input whose mallocs
	# and frees differ (libjq 1.6 leaks on a compile error: suppressed,
	# still scanned, 80-180 ms an input).
	rm -rf "$w/warmup"
	mkdir "$w/warmup"
	cp "$here/corpus/$t"/* "$w/warmup/"
	: > "$w/timing"
	for _ in 1 2 3; do
		find "$w/corpus" "$here/corpus/$t" -type f -print0 |
		    ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0 xargs -0 -n 200 \
		    "$FUZZ_BIN/fuzz-$t" -runs=1 "$w/warmup"/* \
		    >> "$w/timing" 2>&1 || echo "replay failed" >> "$w/timing"
	done
	slow=$(grep "^Executed " "$w/timing" | grep -v "^Executed $w/warmup/" |
	    awk '{ ms = $(NF - 1); f = $2
		if (!(f in min) || ms < min[f]) min[f] = ms }
	    END { for (f in min) print min[f] }' | sort -n | tail -1)
	result=ok
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|BUG:|deadly signal' \
	    "$w/log" "$w/timing" || [ -n "$(find "$w/crashes" -type f)" ]; then
		result="FAILED: see $w/log and $w/crashes"
		bad=1
	elif [ "${slow:-0}" -gt "$FUZZ_SLOW_MS" ]; then
		result="SLOW: an input took $slow ms (see $w/timing)"
		bad=1
	fi
	printf '%-11s %9s %7s %7s %7s %6s ms  %s\n' "$t" "${execs:-?}" \
	    "${cov:-?}" "${ft:-?}" "$ncorp" "${slow:-?}" "$result"
done
exit $bad
