#!/bin/sh
# make lint: every program has a man page, a CLI test and a bad-input
# entry; every shell script passes shellcheck; and the C code passes
# three static analysers with the configuration checked in beside it:
#
#   cppcheck	all of filters/ and the test C code, warning, portability
#		and performance checks (test/cppcheck.supp: the findings
#		shown wrong, each with its reason)
#   clang-tidy	filters/lib, filters/log, filters/validate and the test C
#		code, bugprone and cert checks (.clang-tidy says which are
#		off and why)
#   gcc -fanalyzer	filters/lib: paths through the library that leak,
#		double-free, use uninitialised or NULL values
#
# and that every C file starts with compat.h, so banned.h applies to it,
# and builds without a warning under clang too (gcc's are the build's).
# LINT_SKIP="analyzer tidy" skips slow parts by hand; CI skips none.
set -eu
cd "$(dirname "$0")/.."
bad=0
skip=${LINT_SKIP:-}
CFLAGS_LINT="-std=c17 -D_GNU_SOURCE -DLIBBSD_OVERLAY -isystem /usr/include/bsd"
CFLAGS_LINT="$CFLAGS_LINT -Ifilters/lib '-DTEND_VERSION=\"lint\"'"
WARN="-Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes"
WARN="$WARN -Wmissing-prototypes -Wpointer-arith -Wwrite-strings -Wvla -Wundef"
jobs=$(nproc 2>/dev/null || echo 2)

need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "lint: $1 is not installed (make deps installs it)"
	bad=1
	return 1
}

for d in filters/*/; do
	p=$(basename "$d")
	[ "$p" = lib ] && continue
	ls "$d"*.c >/dev/null 2>&1 || continue
	[ -f "$d/tend-$p.1" ] || { echo "lint: $p has no man page $d/tend-$p.1"; bad=1; }
	[ -f "test/cli/$p.bats" ] || { echo "lint: $p has no test/cli/$p.bats"; bad=1; }
	grep -q "^$p	" test/bad-input/programs ||
		echo "lint: note: $p is not in test/bad-input/programs (fine if it reads no events)"
done

# contrib's files named tend are a crontab and a bash completion, not sh
scripts="bin/tend $(find test pipelines contrib .ci -type f \( -name '*.sh' -o -name run \) 2>/dev/null)"
if need shellcheck; then
	# shellcheck disable=SC2086
	shellcheck -s sh -S warning $scripts || bad=1
	# bats files are bash
	# shellcheck disable=SC2046
	shellcheck -s bash -S warning $(ls test/cli/*.bats test/e2e/*.bats \
	    2>/dev/null) contrib/bash-completion/tend || bad=1
fi

for m in filters/*/*.1; do
	out=$(LC_ALL=C man --warnings -l "$m" 2>&1 >/dev/null) || true
	[ -z "$out" ] || { echo "lint: $m: $out"; bad=1; }
done

# compat.h first: banned.h (included by it) then covers every file.
for f in filters/*/*.c test/unit/*.c test/fuzz/*.c test/faults/*.c; do
	[ -f "$f" ] || continue
	first=$(grep -m1 '^#include' "$f" || true)
	[ "$first" = '#include "compat.h"' ] ||
		{ echo "lint: $f: the first include must be compat.h"; bad=1; }
done

if need clang; then
	printf '%s\n' filters/*/*.c test/fuzz/*.c test/faults/*.c | xargs -P "$jobs" -I{} \
	    sh -c "clang $CFLAGS_LINT $WARN -Ifilters/plan -fsyntax-only {}" ||
		{ echo "lint: clang warns (above)"; bad=1; }
fi

if need cppcheck; then
	# shellcheck disable=SC2086
	cppcheck --quiet --std=c11 --enable=warning,portability,performance \
	    --inline-suppr --suppressions-list=test/cppcheck.supp \
	    -D_GNU_SOURCE -DLIBBSD_OVERLAY -Ifilters/lib -j "$jobs" \
	    --error-exitcode=1 --template='{file}:{line}: {severity}: {message} [{id}]' \
	    filters test/fuzz test/faults || { echo "lint: cppcheck (above)"; bad=1; }
fi

case " $skip " in
*" tidy "*) ;;
*)	if need clang-tidy; then
		out=$(mktemp)
		printf '%s\n' filters/lib/*.c filters/log/*.c \
		    filters/validate/*.c test/fuzz/*.c test/faults/*.c |
		    xargs -P "$jobs" -I{} sh -c "clang-tidy --quiet {} -- \
		    $CFLAGS_LINT -Ifilters/plan 2>/dev/null" > "$out" || true
		if grep -q 'error:\|warning:' "$out"; then
			cat "$out"
			echo "lint: clang-tidy (above)"
			bad=1
		fi
		rm -f "$out"
	fi ;;
esac

case " $skip " in
*" analyzer "*) ;;
*)	# yaml2json.c: -Wanalyzer-null-argument says y->pending may be NULL
	# in on_end's memcpy; on_end runs only after on_start pushed
	# cnt > 0 pending nodes, which allocates it.
	if need gcc; then
		printf '%s\n' filters/lib/*.c | xargs -P "$jobs" -I{} sh -c "
		    case {} in *yaml2json.c) x=-Wno-analyzer-null-argument ;;
		    *) x= ;; esac
		    gcc $CFLAGS_LINT -O0 -fanalyzer -Werror \$x -c -o /dev/null {}" ||
			{ echo "lint: gcc -fanalyzer (above)"; bad=1; }
	fi ;;
esac
exit $bad
