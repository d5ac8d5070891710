#!/bin/sh
# The tend diff bench (report only, not a test): two snapshots of a fleet
# of BENCH_N resources (default 1000000) from test/bench/gen.c, the later
# one with 1% modified, 0.1% added and 0.1% removed, compared by
#   - tend diff, indexed (the desired file mapped), indexed from a pipe,
#     and --sorted (both sides sorted by key beforehand, not timed);
#   - jq -S canonicalisation of each side's data, sort, comm;
#   - a python3 keyed diff: the desired side in a dict, the other
#     streamed, specs compared with ==.
# Prints seconds and peak RSS of each, then the goals: tend at least 5x
# faster than the faster of jq and python3, peak memory under twice the
# desired file indexed and under 64 MiB sorted.
#
# usage: sh test/bench/diff.sh [N]   (from anywhere; builds gen itself)
# TEND_BIN names the programs (default bin/).  Needs about 5 GB of disk
# per million resources in TMPDIR, python3 several GB of memory.
set -eu
LC_ALL=C
export LC_ALL

cd "$(dirname "$0")/../.."
n=${1:-${BENCH_N:-1000000}}
bin=${TEND_BIN:-$PWD/bin}
now=2026-11-22T06:00:00Z
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tend-bench-diff.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ ! -x "$bin/tend-diff" ]; then
	echo "diff bench: $bin/tend-diff is not built" >&2
	exit 2
fi
if [ ! -x /usr/bin/time ]; then
	echo "diff bench: /usr/bin/time is needed for peak memory" >&2
	exit 2
fi
${CC:-cc} -std=c17 -O2 -o "$tmp/gen" test/bench/gen.c

size_of() {
	wc -c < "$1" | tr -d ' '
}

now_ns() {
	date +%s%N
}

# sorted IN OUT: the events of IN sorted by key (the subject, which gen
# writes before data), in byte order.
sorted() {
	awk '{
		s = substr($0, index($0, "\"subject\":\"") + 11)
		print substr(s, 1, index(s, "\"") - 1) "\t" $0
	}' "$1" | sort -t '	' -k1,1 | cut -f 2- > "$2"
}

cat > "$tmp/keyed.py" <<'EOF'
import json
import sys

desired = {}
with open(sys.argv[1], "rb") as f:
    for line in f:
        d = json.loads(line)["data"]
        desired[d["key"]] = d["spec"]
seen = set()
out = sys.stdout
for line in sys.stdin.buffer:
    d = json.loads(line)["data"]
    k = d["key"]
    if k in desired:
        seen.add(k)
        if desired[k] != d["spec"]:
            out.write(json.dumps({"key": k, "drift": "modified"}) + "\n")
    else:
        out.write(json.dumps({"key": k, "drift": "unexpected"}) + "\n")
for k in desired:
    if k not in seen:
        out.write(json.dumps({"key": k, "drift": "missing"}) + "\n")
EOF

cat > "$tmp/comm.sh" <<'EOF'
set -eu
jq -cS .data "$1" | sort > "$3.a"
jq -cS .data "$2" | sort > "$3.b"
comm -3 "$3.a" "$3.b"
EOF

cat > "$tmp/fifo.sh" <<'EOF'
set -eu
rm -f "$3"
mkfifo "$3"
cat "$1" > "$3" &
"$4/tend-diff" --now "$5" --scope 'key=*' --desired "$3" < "$2"
wait
EOF

printf 'diff bench: %s resources, %s, %s cores\n' "$n" "$(uname -m)" \
    "$(getconf _NPROCESSORS_ONLN 2> /dev/null || echo '?')"
t0=$(now_ns)
"$tmp/gen" --kind state "$n" > "$tmp/desired"
"$tmp/gen" --kind state --modify 1 --add 0.1 --remove 0.1 "$n" > \
    "$tmp/observed"
sorted "$tmp/desired" "$tmp/desired.sorted"
sorted "$tmp/observed" "$tmp/observed.sorted"
t1=$(now_ns)
dbytes=$(size_of "$tmp/desired")
printf 'snapshots: %s + %s bytes, generated and sorted in %s s\n' \
    "$dbytes" "$(size_of "$tmp/observed")" \
    "$(echo "$t0 $t1" | awk '{ printf "%.1f", ($2 - $1) / 1e9 }')"
printf '%-24s %9s %9s %8s %9s\n' name seconds 'RSS MiB' lines 'x tend'
: > "$tmp/results"

# measure NAME IN OUTFILE CMD...: runs CMD once with stdin IN.
measure() {
	m_name=$1
	m_in=$2
	m_out=$3
	shift 3
	if ! command -v "$1" > /dev/null 2>&1; then
		printf '%-24s not installed\n' "$m_name"
		return 0
	fi
	m_t0=$(now_ns)
	m_rc=0
	/usr/bin/time -f %M -o "$tmp/time" "$@" < "$m_in" > "$m_out" \
	    2> "$tmp/err" || m_rc=$?
	m_t1=$(now_ns)
	if [ "$m_rc" != 0 ]; then
		printf '%-24s failed (exit %s): %s\n' "$m_name" "$m_rc" \
		    "$(grep -v '^Command exited' "$tmp/err" | head -n 1)"
		return 0
	fi
	m_kb=$(tail -n 1 "$tmp/time")
	printf '%s\t%s\t%s\n' "$m_name" "$((m_t1 - m_t0))" "$m_kb" >> \
	    "$tmp/results"
	awk -v name="$m_name" -v ns="$((m_t1 - m_t0))" -v kb="$m_kb" \
	    -v lines="$(wc -l < "$m_out" | tr -d ' ')" -F '\t' '
	    $1 == "tend indexed" { base = $2 }
	    END {
		printf "%-24s %9.2f %9.1f %8d %9s\n", name, ns / 1e9,
		    kb / 1024, lines, base ? sprintf("%.1fx", ns / base) : "-"
	    }' "$tmp/results"
}

measure 'tend indexed' "$tmp/observed" "$tmp/out.indexed" \
    "$bin/tend-diff" --now "$now" --scope 'key=*' --desired "$tmp/desired"
measure 'tend indexed, pipe' "$tmp/observed" "$tmp/out.pipe" \
    sh "$tmp/fifo.sh" "$tmp/desired" /dev/stdin "$tmp/fifo" "$bin" "$now"
measure 'tend --sorted' "$tmp/observed.sorted" "$tmp/out.sorted" \
    "$bin/tend-diff" --now "$now" --scope 'key=*' --sorted \
    --desired "$tmp/desired.sorted"
measure 'jq -S|sort|comm' /dev/null "$tmp/out.comm" \
    sh "$tmp/comm.sh" "$tmp/desired" "$tmp/observed" "$tmp/c"
rm -f "$tmp/c.a" "$tmp/c.b"
measure 'python3 dict' "$tmp/observed" "$tmp/out.py" \
    python3 "$tmp/keyed.py" "$tmp/desired"

# The same drift, whichever way: modified + missing + unexpected.
awk -v dbytes="$dbytes" -F '\t' '
	{ ns[$1] = $2; kb[$1] = $3 }
	END {
		t = ns["tend indexed"]
		best = 0
		if ("jq -S|sort|comm" in ns)
			best = ns["jq -S|sort|comm"]
		if ("python3 dict" in ns && (!best || ns["python3 dict"] < best))
			best = ns["python3 dict"]
		if (t && best) {
			met = (best / t >= 5) ? "" : ", not met"
			printf "  speed: %.1fx the faster of jq and python3 " \
			    "(goal >= 5x%s)\n", best / t, met
		}
		if (t) {
			r = kb["tend indexed"] * 1024 / dbytes
			met = (r < 2) ? "" : ", not met"
			printf "  memory indexed: %.2fx the desired file " \
			    "(goal < 2x%s)\n", r, met
		}
		if ("tend --sorted" in kb) {
			met = (kb["tend --sorted"] < 65536) ? "" : ", not met"
			printf "  memory sorted: %.1f MiB (goal < 64 MiB%s)\n",
			    kb["tend --sorted"] / 1024, met
		}
	}' "$tmp/results"
for f in indexed pipe sorted; do
	[ -f "$tmp/out.$f" ] || continue
	grep -c '"tend.drift.detected"' "$tmp/out.$f" > "$tmp/count.$f" || true
done
printf '  drift events: indexed %s, pipe %s, sorted %s; python3 %s lines\n' \
    "$(cat "$tmp/count.indexed" 2> /dev/null || echo -)" \
    "$(cat "$tmp/count.pipe" 2> /dev/null || echo -)" \
    "$(cat "$tmp/count.sorted" 2> /dev/null || echo -)" \
    "$(wc -l < "$tmp/out.py" 2> /dev/null | tr -d ' ' || echo -)"
