#!/bin/sh
# tend-normalize against jq doing the same field moves (normalize.jq), on
# `gen --kind observed N`: the whole fleet as gen writes it, then its
# Kubernetes objects alone.  Prints seconds, MB/s and peak RSS of each and
# the speed-up; the goal (issue #4) is 10x jq on Kubernetes objects.
# Not a test: nothing fails, it prints figures.
#
# usage: sh test/bench/normalize.sh [N]	(default 100000; 1000000 for
# the issue's figure: a 3.1 GB fleet under ${TMPDIR:-/tmp}, and jq runs
# for several minutes)
# TEND_BIN names the programs (default bin/); JQ_RUNS=0 skips jq.
set -eu
LC_ALL=C
export LC_ALL

n=${1:-100000}
cd "$(dirname "$0")/../.."
bin=${TEND_BIN:-bin}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tend-bench-normalize.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ ! -x "$bin/tend-normalize" ]; then
	echo "normalize.sh: $bin/tend-normalize is not built (make)" >&2
	exit 2
fi
${CC:-cc} -std=c17 -O2 -o "$tmp/gen" test/bench/gen.c

# timed CMD...: runs CMD; its peak RSS (KiB) and CPU seconds (user +
# system) into $tmp/time when GNU time is there.  On a shared machine the
# CPU time is the steadier figure, so the speed-up is given for both.
timed() {
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%M %U %S' -o "$tmp/time" "$@"
	else
		echo - - - > "$tmp/time"
		"$@"
	fi
}

# run NAME INPUT CMD...: one line of the table; the figures go to
# $tmp/NAME.
run() {
	r_name=$1
	r_in=$2
	shift 2
	r_t0=$(date +%s%N)
	timed "$@" < "$r_in" > "$tmp/out" 2> "$tmp/err" || {
		printf '%-22s failed: %s\n' "$r_name" "$(head -n 1 "$tmp/err")"
		return 0
	}
	r_t1=$(date +%s%N)
	r_rss=$(awk '$1 != "-" { printf "%.1f", $1 / 1024; next }
	    { print "-" }' "$tmp/time")
	r_cpu=$(awk '$1 != "-" { printf "%.2f", $2 + $3; next }
	    { print "-" }' "$tmp/time")
	r_lines=$(wc -l < "$tmp/out")
	echo "$r_t0 $r_t1" | awk -v name="$r_name" -v bytes="$(wc -c < "$r_in")" \
	    -v rss="$r_rss" -v cpu="$r_cpu" -v lines="$r_lines" '{
		s = ($2 - $1) / 1e9
		printf "%-22s %9.2f %9s %9.1f %9s %9d\n", name, s, cpu,
		    bytes / 1e6 / s, rss, lines
		print s, cpu > "'"$tmp/$r_name"'"
	}'
}

ratio() {
	if [ -f "$tmp/$1" ] && [ -f "$tmp/$2" ]; then
		cat "$tmp/$1" "$tmp/$2" | awk -v what="$3" '
		NR == 1 { wa = $1; ca = $2 }
		NR == 2 { wb = $1; cb = $2 }
		END {
			printf "  %s: tend-normalize is %.1fx jq (wall)", what,
			    wb / wa
			if (ca > 0 && cb > 0)
				printf ", %.1fx (CPU)", cb / ca
			printf "\n"
		}'
	fi
}

"$tmp/gen" --kind observed "$n" > "$tmp/fleet"
grep '"provider":"k8s"' "$tmp/fleet" > "$tmp/k8s" || true
printf 'tend-normalize vs jq -c -f test/bench/normalize.jq, %s cores\n' \
    "$(getconf _NPROCESSORS_ONLN 2> /dev/null || echo '?')"
printf 'fleet: %s resources, %s bytes; Kubernetes: %s objects, %s bytes\n' \
    "$n" "$(wc -c < "$tmp/fleet")" "$(wc -l < "$tmp/k8s")" \
    "$(wc -c < "$tmp/k8s")"
printf '%-22s %9s %9s %9s %9s %9s\n' name seconds 'CPU s' MB/s 'RSS MiB' \
    lines
run normalize "$tmp/fleet" "$bin/tend-normalize"
run normalize-k8s "$tmp/k8s" "$bin/tend-normalize"
head -c 32 /dev/urandom > "$tmp/key"
chmod 600 "$tmp/key"
run normalize-k8s-tokens "$tmp/k8s" "$bin/tend-normalize" --token-key "$tmp/key"
if [ "${JQ_RUNS:-1}" != 0 ] && command -v jq > /dev/null 2>&1; then
	run jq "$tmp/fleet" jq -c --from-file test/bench/normalize.jq
	run jq-k8s "$tmp/k8s" jq -c --from-file test/bench/normalize.jq
	ratio normalize jq "all resources"
	ratio normalize-k8s jq-k8s "Kubernetes objects (goal >= 10x)"
fi
