#!/bin/sh
# make bench: throughput and peak memory of tend's programs against cat, jq
# and zstd on one generated fleet, then three JSON parsers on the same
# lines.  Benchmarks are not tests: nothing here fails, it prints figures.
# What each figure means: test/bench/README.
#
# BENCH_LARGE=1 adds a fleet of BENCH_N resources (default 1000000, ~3 GB).
# BENCH_SMALL_N changes the default fleet's size (100000), for a quick try.
set -eu
LC_ALL=C
export LC_ALL

# The measured commands, one line each:
#	measure [-i INPUT] [-s BYTES] NAME GOAL -- CMD...
# CMD runs with stdin from INPUT (default: the fleet) and stdout to
# /dev/null.  MB/s is BYTES (default: INPUT's size) over the wall time.
# GOAL is - or BASE:FACTOR: the goal is FACTOR times BASE's MB/s, BASE
# being the NAME of an earlier line.  A command whose program is missing
# prints "not built" (tend) or "not installed" (anything else).
commands() {
	measure 'cat|cat' - -- sh -c 'cat | cat'
	measure cat - -- cat
	measure jq - -- jq -c .
	measure 'zstd -3' - -- zstd -3 -T1 -c
	measure -i "$zst" -s "$bytes" zstdcat - -- zstdcat
	measure validate jq:10 -- bin/tend-validate
	# A fresh log each run: append is measured from an empty file.
	measure 'log append' 'zstd -3:0.8' -- sh -c \
	    'rm -f "$1"; exec bin/tend-log append "$1"' sh "$tmp/bench.log"
	measure -i /dev/null -s "$bytes" 'log cat' 'zstdcat:0.8' -- \
	    bin/tend-log cat "$tmp/bench.log"
	[ ! -f "$tmp/bench.log" ] || printf '  log size: %s bytes (%s)\n' \
	    "$(size_of "$tmp/bench.log")" "$(size_of "$tmp/bench.log" |
	    awk -v z="$(size_of "$zst")" '{ printf "%+.1f%% vs zstd -3", \
	    (z > 0 ? ($1 - z) * 100 / z : 0) }')"
	rm -f "$tmp/bench.log"
	gate_input
	measure -i "$proposed" 'jq gate' - -- jq -c -f test/bench/gate.jq
	measure -i "$proposed" gate 'jq gate:1' -- bin/tend-gate \
	    --policy test/bench/gate-policy.json --key "$tmp/gate.key" \
	    --now 2026-11-23T12:00:00Z
	plan_input
	measure -i "$drift" 'jq drift' - -- jq -c -L pipelines/config-drift/skills \
	    --argjson clusters "$clusters" \
	    -f pipelines/config-drift/skills/k8s-revert.jq
	measure -i "$drift" plan 'jq drift:1' -- bin/tend-plan \
	    --data clusters=pipelines/config-drift/tests/clusters.json \
	    pipelines/config-drift/skills/k8s-revert.jq
}

# plan_input: one drift event per resource of the fleet, and the clusters
# the shipped Kubernetes drift skill (k8s-revert) sends its PATCHes to.
plan_input() {
	drift=$tmp/drift.ndjson
	"$tmp/gen" --kind drift "$(wc -l < "$fleet" | tr -d ' ')" > "$drift"
	clusters=$(cat pipelines/config-drift/tests/clusters.json)
}

# gate_input: as many proposals as the fleet has resources, and a key.
gate_input() {
	proposed=$tmp/proposed.ndjson
	"$tmp/gen" --kind proposed "$(wc -l < "$fleet" | tr -d ' ')" > "$proposed"
	rm -f "$tmp/gate.key" "$tmp/gate.pub"
	[ ! -x bin/tend-gate ] ||
	    bin/tend-gate keygen --name bench "$tmp/gate.key" "$tmp/gate.pub"
}

# The baseline of the last column: every time is divided by its time.
base='cat|cat'

cd "$(dirname "$0")/../.."
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tend-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

CC=${CC:-cc}
CXX=${CXX:-g++}

if [ -x /usr/bin/time ]; then
	have_time=1
else
	have_time=0
fi
case $(date +%N 2>/dev/null) in
'' | *[!0-9]*) have_ns=0 ;;
*) have_ns=1 ;;
esac

now_ns() {
	if [ "$have_ns" = 1 ]; then
		date +%s%N
	else
		echo "$(($(date +%s) * 1000000000))"
	fi
}

size_of() {
	wc -c < "$1" | tr -d ' '
}

# measure [-i INPUT] [-s BYTES] NAME GOAL -- CMD...: one line of the table.
# Runs CMD up to 3 times while a run takes under 2 seconds, keeps the best
# wall time and the largest peak RSS.
measure() {
	m_in=$fleet
	m_bytes=
	while :; do
		case $1 in
		-i) m_in=$2; shift 2 ;;
		-s) m_bytes=$2; shift 2 ;;
		*) break ;;
		esac
	done
	m_name=$1
	m_goal=$2
	shift 2
	if [ "$1" = -- ]; then
		shift
	fi
	[ -n "$m_bytes" ] || m_bytes=$(size_of "$m_in")

	case $1 in
	*/*)
		if [ ! -x "$1" ]; then
			printf '%-16s not built\n' "$m_name"
			return 0
		fi
		;;
	*)
		if ! command -v "$1" > /dev/null 2>&1; then
			printf '%-16s not installed\n' "$m_name"
			return 0
		fi
		;;
	esac

	m_best=
	m_rss=0
	m_runs=0
	while [ "$m_runs" -lt 3 ]; do
		m_t0=$(now_ns)
		if [ "$have_time" = 1 ]; then
			m_rc=0
			/usr/bin/time -f %M -o "$tmp/time" "$@" < "$m_in" \
			    > /dev/null 2> "$tmp/err" || m_rc=$?
		else
			m_rc=0
			"$@" < "$m_in" > /dev/null 2> "$tmp/err" || m_rc=$?
		fi
		m_t1=$(now_ns)
		if [ "$m_rc" != 0 ]; then
			printf '%-16s failed (exit %s): %s\n' "$m_name" \
			    "$m_rc" "$(head -n 1 "$tmp/err")"
			return 0
		fi
		m_ns=$((m_t1 - m_t0))
		if [ -z "$m_best" ] || [ "$m_ns" -lt "$m_best" ]; then
			m_best=$m_ns
		fi
		if [ "$have_time" = 1 ]; then
			m_kb=$(tail -n 1 "$tmp/time")
			if [ "$m_kb" -gt "$m_rss" ]; then
				m_rss=$m_kb
			fi
		fi
		m_runs=$((m_runs + 1))
		if [ "$m_ns" -ge 2000000000 ]; then
			break
		fi
	done

	printf '%s\t%s\t%s\n' "$m_name" "$m_best" "$m_bytes" >> "$tmp/results"
	m_base=$(awk -v n="$base" -F '\t' '$1 == n { print $2 }' \
	    "$tmp/results")
	awk -v name="$m_name" -v ns="$m_best" -v bytes="$m_bytes" \
	    -v kb="$m_rss" -v have_rss="$have_time" -v base="$m_base" \
	    -v runs="$m_runs" 'BEGIN {
		s = ns / 1e9
		rss = have_rss ? sprintf("%.1f", kb / 1024) : "-"
		ratio = "-"
		if (base != "" && base > 0)
			ratio = sprintf("%.1fx", ns / base)
		mbs = s > 0 ? bytes / 1e6 / s : 0
		printf "%-16s %9.3f %9.1f %9s %10s %5d\n", name, s, mbs, rss,
		    ratio, runs
	}'
	if [ "$m_goal" != - ]; then
		goal "$m_name" "$m_goal"
	fi
}

# goal NAME BASE:FACTOR: NAME's MB/s over BASE's, against FACTOR.
goal() {
	awk -v name="$1" -v goal="$2" -F '\t' '
	{ mbs[$1] = $2 > 0 ? $3 / $2 : 0 }
	END {
		i = index(goal, ":")
		b = substr(goal, 1, i - 1)
		f = substr(goal, i + 1) + 0
		if (!(b in mbs) || mbs[b] == 0) {
			printf "  %s/%s: no %s figure (goal >= %sx)\n", name, b,
			    b, f
			exit
		}
		r = mbs[name] / mbs[b]
		met = r >= f ? "" : ", not met"
		printf "  %s/%s = %.1fx (goal >= %sx%s)\n", name, b, r, f, met
	}' "$tmp/results"
}

# parsers FILE: simdjson DOM, json.c and libjq over every line of FILE.
# Each prints "parser seconds MB/s lines rejected [implementation]".
parsers() {
	printf '\nparsers: every line of the fleet, from memory, '
	printf 'best of up to 3 passes\n'
	printf '%-28s %9s %9s  %s\n' parser seconds MB/s notes
	: > "$tmp/parsers"
	if [ -n "$simdjson" ]; then
		"$simdjson" "$1" > "$tmp/p.out" 2> "$tmp/p.err" || true
		cat "$tmp/p.out" >> "$tmp/parsers"
		awk -v err="$(sed -n 's/^simdjson: first error: //p' \
		    "$tmp/p.err")" '{
			note = $5 > 0 ? "  " $5 " lines rejected: " err : ""
			printf "%-28s %9.3f %9.1f%s\n", \
			    "simdjson DOM (" $6 ")", $2, $3, note
		}' "$tmp/p.out"
	else
		printf '%-28s %s\n' 'simdjson DOM' "$simdjson_why"
	fi
	if [ -n "$parse" ]; then
		for p in tend jq; do
			"$parse" "$p" "$1" > "$tmp/p.out" 2> "$tmp/p.err" ||
			    true
			cat "$tmp/p.out" >> "$tmp/parsers"
			awk '{
				name = $1 == "tend" ? "tend json.c" : \
				    "libjq jv_parse_sized"
				note = $5 > 0 ? "  " $5 " lines rejected" : ""
				printf "%-28s %9.3f %9.1f%s\n", name, $2, $3, \
				    note
			}' "$tmp/p.out"
		done
	else
		printf '%-28s %s\n' 'tend json.c, libjq' "$parse_why"
	fi
	awk '{ mbs[$1] = $3 }
	END {
		if (!("tend" in mbs) || mbs["tend"] == 0)
			exit
		line = ""
		if (mbs["simdjson"] > 0)
			line = sprintf("json.c/simdjson = %.2fx",
			    mbs["tend"] / mbs["simdjson"])
		if (mbs["libjq"] > 0)
			line = line (line == "" ? "" : ", ") \
			    sprintf("json.c/libjq = %.1fx",
			    mbs["tend"] / mbs["libjq"])
		if (line != "")
			print "  " line
	}' "$tmp/parsers"
}

build_gen() {
	$CC -std=c17 -O2 -Wall -Wextra -o "$tmp/gen" test/bench/gen.c
}

# The parsers: parse.c against libtend.a (or filters/lib compiled here when
# make has not built it), simdjson.cpp when g++ and libsimdjson-dev are
# there.  Nothing is installed.
build_parsers() {
	parse=
	simdjson=
	parse_why=
	simdjson_why=
	libs=$(sed -n 's/^LIBS := //p' Makefile)
	flags="-std=c17 -O2 -D_GNU_SOURCE -DLIBBSD_OVERLAY
	    -isystem /usr/include/bsd -Ifilters/lib"
	lib=build/release/libtend.a
	if [ ! -f "$lib" ]; then
		lib=$tmp/libtend.a
		mkdir "$tmp/lib"
		for c in filters/lib/*.c; do
			o=$tmp/lib/$(basename "$c" .c).o
			# shellcheck disable=SC2086
			$CC $flags -DTEND_VERSION='"bench"' -c -o "$o" "$c" \
			    2>> "$tmp/parse.log" || break
		done
		ar rcs "$lib" "$tmp"/lib/*.o 2>> "$tmp/parse.log" || true
	fi
	# shellcheck disable=SC2086
	if $CC $flags -Wall -Wextra -o "$tmp/parse" test/bench/parse.c \
	    "$lib" -Wl,--as-needed $libs 2>> "$tmp/parse.log"; then
		parse=$tmp/parse
	else
		parse_why="cannot build: $(head -n 1 "$tmp/parse.log")"
	fi

	if ! command -v "$CXX" > /dev/null 2>&1 ||
	    ! pkg-config --exists simdjson 2> /dev/null; then
		simdjson_why='not installed'
		return 0
	fi
	# shellcheck disable=SC2046
	if "$CXX" -std=c++17 -O2 -Wall -Wextra -o "$tmp/simdjson" \
	    test/bench/simdjson.cpp $(pkg-config --cflags --libs simdjson) \
	    2> "$tmp/simdjson.log"; then
		simdjson=$tmp/simdjson
	else
		simdjson_why="cannot build: $(head -n 1 "$tmp/simdjson.log")"
	fi
}

# Same arguments, same bytes: the diff bench relies on it.
check_gen() {
	"$tmp/gen" --kind observed 1000 > "$tmp/a"
	"$tmp/gen" --kind observed 1000 > "$tmp/b"
	if command -v sha256sum > /dev/null 2>&1; then
		a=$(sha256sum < "$tmp/a")
		b=$(sha256sum < "$tmp/b")
	else
		a=$(cksum < "$tmp/a")
		b=$(cksum < "$tmp/b")
	fi
	if [ "$a" = "$b" ]; then
		printf 'gen: deterministic (1000 resources: %.16s...)\n' "$a"
	else
		printf 'gen: NOT deterministic: two runs differ\n'
	fi
	rm -f "$tmp/a" "$tmp/b"
}

# fleet N: generate, compress, measure, compare parsers.
fleet() {
	fleet=$tmp/fleet.ndjson
	zst=$tmp/fleet.ndjson.zst
	rm -f "$fleet" "$zst" "$tmp/results"
	: > "$tmp/results"
	t0=$(now_ns)
	"$tmp/gen" "$1" > "$fleet"
	t1=$(now_ns)
	bytes=$(size_of "$fleet")
	printf '\nfleet: %s resources, %s bytes (%.1f MB, %d bytes a line), ' \
	    "$1" "$bytes" "$(echo "$bytes" | awk '{ print $1 / 1e6 }')" \
	    "$((bytes / $1))"
	printf 'generated in %s s\n' "$(echo "$t0 $t1" |
	    awk '{ printf "%.1f", ($2 - $1) / 1e9 }')"
	if command -v zstd > /dev/null 2>&1; then
		zstd -q -3 -T1 -c "$fleet" > "$zst"
		printf 'zstd -3: %s bytes (%.1fx)\n' "$(size_of "$zst")" \
		    "$(echo "$bytes $(size_of "$zst")" |
		    awk '{ print $1 / $2 }')"
	else
		: > "$zst"
	fi
	cat "$fleet" > /dev/null
	printf '%-16s %9s %9s %9s %10s %5s\n' name seconds MB/s 'RSS MiB' \
	    "x $base" runs
	commands
	parsers "$fleet"
}

printf 'tend bench: %s, %s cores; wall time best of up to 3 runs\n' \
    "$(uname -m)" "$(getconf _NPROCESSORS_ONLN 2> /dev/null || echo '?')"
[ "$have_time" = 1 ] || printf 'no /usr/bin/time: peak RSS not measured\n'
[ "$have_ns" = 1 ] || printf 'date has no %%N: times in whole seconds\n'
build_gen
check_gen
build_parsers

fleet "${BENCH_SMALL_N:-100000}"
if [ "${BENCH_LARGE:-0}" = 1 ]; then
	fleet "${BENCH_N:-1000000}"
fi

# tend log: seeking in a 10M-event log
sh test/bench/log.sh

# tend attest: seal 1M events, then 10,000 more (incremental)
sh test/bench/attest.sh
