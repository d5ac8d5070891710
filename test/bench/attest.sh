#!/bin/sh
# make bench, tend attest part (not a test: prints figures, fails only if
# a command fails): seal a log of BENCH_ATTEST_N events (default
# 1000000, the bench fleet of test/bench/gen.c), append 10,000 more and
# seal again.  The second seal starts from the first checkpoint's frontier
# and hashes only the new events, so its time should follow the 10,000,
# not the million; the same seal without the hint (the whole log hashed)
# is shown beside it.  Then verify, prove and check-proof on the log.
#
# TEND_BIN names the programs (default bin/).
set -eu
LC_ALL=C
export LC_ALL
cd "$(dirname "$0")/../.."
bin=${TEND_BIN:-bin}
n=${BENCH_ATTEST_N:-1000000}
more=${BENCH_ATTEST_MORE:-10000}
CC=${CC:-cc}

for p in tend-log tend-attest; do
	if [ ! -x "$bin/$p" ]; then
		echo "attest bench: $bin/$p not built"
		exit 0
	fi
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tend-bench-attest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { date +%s.%N; }
# run NAME CMD...: wall and CPU (user + system) time and peak RSS of CMD
# (stdout discarded).  CPU time is the steadier figure on a busy machine.
run() {
	name=$1
	shift
	t0=$(now)
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%M %U %S' -o "$tmp/rss" "$@" > /dev/null
		rss=$(awk '{ printf "%.0f", $1 / 1024 }' "$tmp/rss")
		cpu=$(awk '{ printf "%.2f", $2 + $3 }' "$tmp/rss")
	else
		"$@" > /dev/null
		rss=-
		cpu=-
	fi
	t1=$(now)
	printf '%-34s %8.2f s wall %7s s cpu %6s MiB\n' "$name" \
	    "$(echo "$t0 $t1" | awk '{ print $2 - $1 }')" "$cpu" "$rss"
}

$CC -std=c17 -O2 -o "$tmp/gen" test/bench/gen.c
log=$tmp/bench.tlog.zst
"$bin/tend-attest" keygen --name bench.example/log "$tmp/k" > /dev/null
t0=$(now)
"$tmp/gen" --kind observed "$n" | "$bin/tend-log" append --sync never \
    "$log" > /dev/null
t1=$(now)
printf 'attest bench: %s events (%s bytes of log) appended in %.1f s\n' \
    "$n" "$(wc -c < "$log")" "$(echo "$t0 $t1" | awk '{ print $2 - $1 }')"

run "seal $n events (first)" "$bin/tend-attest" seal --key "$tmp/k.key" "$log"
"$tmp/gen" --kind observed --seed 7 "$more" | "$bin/tend-log" append \
    --sync never "$log" > /dev/null
run "seal +$more events (incremental)" "$bin/tend-attest" seal \
    --key "$tmp/k.key" "$log"
cp "$log" "$tmp/copy.tlog.zst"
"$tmp/gen" --kind observed --seed 8 "$more" | "$bin/tend-log" append \
    --sync never "$tmp/copy.tlog.zst" > /dev/null
run "seal +$more, no hint (whole log)" "$bin/tend-attest" seal \
    --key "$tmp/k.key" "$tmp/copy.tlog.zst"
run "verify" "$bin/tend-attest" verify --quiet --pub "$tmp/k.pub" "$log"
run "prove --seq 12345" sh -c "'$bin/tend-attest' prove --seq 12345 \
    '$log' > '$tmp/proof.json'"
run "check-proof" "$bin/tend-attest" check-proof --quiet \
    --pub "$tmp/k.pub" "$tmp/proof.json"
