#!/bin/sh
# make bench, tend log part (not a test: prints figures): builds a log of
# BENCH_LOG_N small events (default 10,000,000) and times
# `tend log cat --seq N..N+10` and `--since` at its start, middle and end.
# The seals' skip list should make each answer take about the same time,
# well under a second, whatever N.
#
# TEND_BIN names the programs (default bin/).
set -eu
LC_ALL=C
export LC_ALL
cd "$(dirname "$0")/../.."
bin=${TEND_BIN:-bin}
n=${BENCH_LOG_N:-10000000}

if [ ! -x "$bin/tend-log" ]; then
	echo "log bench: $bin/tend-log not built"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tend-bench-log.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { date +%s.%N; }
since() { echo "$1 $(now)" | awk '{ printf "%.3f", $2 - $1 }'; }

# One event a second from 2026-01-01T00:00:00Z, ~200 bytes each (months
# of 28 days keep the arithmetic short; the order is what matters).
log=$tmp/seek.log
t0=$(now)
awk -v n="$n" 'BEGIN {
	for (i = 0; i < n; i++) {
		s = 1767225600 + i
		d = int(s / 86400) - 20454
		printf "{\"specversion\":\"1.0\",\"id\":\"e%d\",\"source\":" \
		    "\"bench\",\"type\":\"tend.resource.observed\",\"time\":" \
		    "\"%04d-%02d-%02dT%02d:%02d:%02dZ\",\"subject\":\"s/%d\"," \
		    "\"data\":{\"provider\":\"file\",\"kind\":\"tick\"," \
		    "\"object\":%d}}\n", i, 2026 + int(d / 336),
		    1 + int(d / 28) % 12, 1 + d % 28, int(s % 86400 / 3600),
		    int(s % 3600 / 60), s % 60, i % 1000, i
	}
}' | "$bin/tend-log" append --sync never "$log" > /dev/null
printf '\nlog bench: %s events, %s bytes of log, appended in %s s\n' "$n" \
    "$(wc -c < "$log" | tr -d ' ')" "$(since "$t0")"
printf '%-40s %8s %6s\n' query seconds lines
for at in 10 $((n / 2)) $((n - 20)); do
	t0=$(now)
	k=$("$bin/tend-log" cat --seq "$at..$((at + 10))" "$log" | wc -l)
	printf '%-40s %8s %6s\n' "cat --seq $at..$((at + 10))" "$(since "$t0")" \
	    "$k"
done
t=$("$bin/tend-log" cat --seq "$((n / 2))..$((n / 2))" "$log" |
    sed 's/.*"time":"\([^"]*\)".*/\1/')
t0=$(now)
k=$("$bin/tend-log" cat --since "$t" "$log" | head -n 10 | wc -l)
printf '%-40s %8s %6s\n' "cat --since $t | head" "$(since "$t0")" "$k"
