#!/bin/sh
# Runs every test through prove(1), whose closing lines CI reads
# ("All tests successful." / "Result: PASS").  TEND_BIN names the
# programs to test and TEND_UNIT the unit test binaries, so the same
# suite runs on the release and the ASan+UBSan builds.  Test files run
# TEND_JOBS at a time (default 2): each uses its own scratch dirs and
# free ports.
set -eu
cd "$(dirname "$0")/.."
: "${TEND_BIN:=$PWD/bin}"
: "${TEND_UNIT:=$PWD/build/release/test/unit}"
: "${TEND_CONFORMANCE:=$PWD/../shared/conformance}"
[ -d "$TEND_CONFORMANCE" ] || TEND_CONFORMANCE=/work/shared/conformance
export TEND_BIN TEND_UNIT TEND_CONFORMANCE LC_ALL=C
export CMOCKA_MESSAGE_OUTPUT=TAP

tests=
for t in "$TEND_UNIT"/*; do
	[ -x "$t" ] && tests="$tests $t"
done
for t in test/cli/*.bats test/*/check.sh test/e2e/*.bats; do
	[ -f "$t" ] && tests="$tests $t"
done
echo "tend: testing programs in $TEND_BIN"
# shellcheck disable=SC2086
exec prove -j "${TEND_JOBS:-2}" --exec "sh $PWD/test/tap.sh" $tests
