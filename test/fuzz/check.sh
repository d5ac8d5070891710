#!/bin/sh
# Replays every fuzz corpus, test/fuzz/corpus/<target>/ (seeds and every
# crash ever found, kept as regression cases), through its target without
# a fuzzer engine, and prints TAP.  The replay binaries are built by make
# beside the unit tests: $TEND_UNIT/../fuzz/replay-<target>.  Under the
# ASan+UBSan pass of make check, any sanitizer report fails the target.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${TEND_FUZZ_REPLAY:-${TEND_UNIT:-$here/../../build/release/test/unit}/../fuzz}
n=0
for d in "$here"/corpus/*/; do
	n=$((n + 1))
done
echo "1..$n"
i=0
for d in "$here"/corpus/*/; do
	i=$((i + 1))
	t=$(basename "$d")
	if [ ! -x "$bin/replay-$t" ]; then
		echo "not ok $i - $t: no $bin/replay-$t (make all builds it)"
		continue
	fi
	if out=$(LSAN_OPTIONS=suppressions=$here/lsan.supp:print_suppressions=0 \
	    "$bin/replay-$t" "$d" 2>&1); then
		count=$(echo "$out" | sed -n 's/.*: \([0-9]*\) inputs$/\1/p')
		slow=$(echo "$out" | sed -n 's/^# slowest: //p')
		echo "ok $i - $t: $count inputs replayed"
		echo "# slowest: $slow"
	else
		echo "not ok $i - $t"
		echo "$out" | sed 's/^/# /'
	fi
done
