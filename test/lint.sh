#!/bin/sh
# make lint: every program has a man page, a CLI test and a bad-input
# entry; every shell script passes shellcheck.
set -eu
cd "$(dirname "$0")/.."
bad=0
for d in filters/*/; do
	p=$(basename "$d")
	[ "$p" = lib ] && continue
	ls "$d"*.c >/dev/null 2>&1 || continue
	[ -f "$d/tend-$p.1" ] || { echo "lint: $p has no man page $d/tend-$p.1"; bad=1; }
	[ -f "test/cli/$p.bats" ] || { echo "lint: $p has no test/cli/$p.bats"; bad=1; }
	grep -q "^$p	" test/bad-input/programs ||
		echo "lint: note: $p is not in test/bad-input/programs (fine if it reads no events)"
done
scripts=$(find bin test pipelines contrib .ci -type f \( -name '*.sh' -o -name run -o -name tend \) 2>/dev/null)
# shellcheck disable=SC2086
shellcheck -s sh -S warning $scripts || bad=1
for m in filters/*/*.1; do
	out=$(LC_ALL=C man --warnings -l "$m" 2>&1 >/dev/null) || true
	[ -z "$out" ] || { echo "lint: $m: $out"; bad=1; }
done
exit $bad
