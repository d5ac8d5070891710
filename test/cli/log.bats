#!/usr/bin/env bats
# tend-log: append, cat, verify, stat; concurrent writers, crashes, tamper.
# TEND_SLOW=1 runs the big versions (4x250k writers, 200 crashes and flips).

setup() {
	BIN=${TEND_BIN:-"$BATS_TEST_DIRNAME/../../bin"}
	LOG=$BATS_TEST_TMPDIR/t.log
	export LC_ALL=C
	if [ -n "${TEND_SLOW:-}" ]; then
		WRITER_EVENTS=250000 RUNS=200
	else
		WRITER_EVENTS=25000 RUNS=20
	fi
}

# gen N [tag]: N events; times one second apart from 2026-01-01T00:00:00Z
gen() {
	awk -v n="$1" -v tag="${2:-e}" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "{\"specversion\":\"1.0\",\"id\":\"%s-%d\",\"source\":\"t\",\"type\":\"tend.resource.observed\",\"time\":\"2026-01-01T%02d:%02d:%02dZ\",\"subject\":\"k8s:prod/apps/Deployment/shop/web%d\",\"runid\":\"run-%d\",\"data\":{\"i\":%d,\"pad\":\"%s\"}}\n", tag, i, int(i / 3600) % 24, int(i / 60) % 60, i % 60, i % 3, int(i / 100), i, substr("abcdefghijklmnopqrstuvwxyz0123456789", 1, i % 37)
	}'
}

# with_seq: what the log stores for gen's lines: "seq":N, after the brace
with_seq() {
	awk -v from="${1:-1}" '{ sub(/^\{/, "{\"seq\":" (NR + from - 1) ","); print }'
}

@test "log: usage, help and version" {
	run "$BIN/tend-log"
	[ "$status" -eq 2 ]
	[[ "$output" == *"usage: tend-log append"* ]]
	run "$BIN/tend-log" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"tend-log verify [-hV] [--quiet] log"* ]]
	run "$BIN/tend-log" cat --version
	[ "$status" -eq 0 ]
	[[ "$output" == "tend-log (tend) "* ]]
	run "$BIN/tend-log" frobnicate x
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown subcommand 'frobnicate'"* ]]
	run "$BIN/tend-log" append --sync sometimes "$LOG"
	[ "$status" -eq 2 ]
	run "$BIN/tend-log" cat --seq 5..2 "$LOG"
	[ "$status" -eq 2 ]
	run "$BIN/tend-log" cat --since yesterday "$LOG"
	[ "$status" -eq 2 ]
}

@test "log: append passes on the stored lines, cat gives them back byte for byte" {
	gen 3000 > "$BATS_TEST_TMPDIR/in"
	with_seq < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/want"
	"$BIN/tend-log" append --frame-size 20000 "$LOG" \
	    < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/tee"
	cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/tee"
	"$BIN/tend-log" cat "$LOG" > "$BATS_TEST_TMPDIR/cat"
	cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/cat"
	# a second append goes on from the last seq
	gen 5 x > "$BATS_TEST_TMPDIR/in2"
	"$BIN/tend-log" append "$LOG" < "$BATS_TEST_TMPDIR/in2" \
	    > "$BATS_TEST_TMPDIR/tee2"
	with_seq 3001 < "$BATS_TEST_TMPDIR/in2" | cmp - "$BATS_TEST_TMPDIR/tee2"
	run "$BIN/tend-log" verify "$LOG"
	[ "$status" -eq 0 ]
	[[ "$output" == *": intact: "*" 3005 events"* ]]
}

@test "log: zstdcat reads the log as plain NDJSON" {
	gen 2000 > "$BATS_TEST_TMPDIR/in"
	"$BIN/tend-log" append --frame-size 10000 "$LOG" \
	    < "$BATS_TEST_TMPDIR/in" > /dev/null
	zstdcat "$LOG" > "$BATS_TEST_TMPDIR/z"
	with_seq < "$BATS_TEST_TMPDIR/in" | cmp - "$BATS_TEST_TMPDIR/z"
	jq -c . < "$BATS_TEST_TMPDIR/z" > "$BATS_TEST_TMPDIR/jq"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/jq")" -eq 2000 ]
	[ "$(jq -s 'map(.seq) == [range(1; 2001)]' < "$BATS_TEST_TMPDIR/jq")" = true ]
	zstd -t -q "$LOG"
}

@test "log: cat filters by seq, time, type, subject and run" {
	gen 1000 > "$BATS_TEST_TMPDIR/in"
	"$BIN/tend-log" append --frame-size 4000 "$LOG" \
	    < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/all"
	run "$BIN/tend-log" cat --seq 3..5 "$LOG"
	[ "$status" -eq 0 ]
	[ "$output" = "$(sed -n 3,5p "$BATS_TEST_TMPDIR/all")" ]
	run "$BIN/tend-log" cat --seq 998.. "$LOG"
	[ "$output" = "$(sed -n '998,$p' "$BATS_TEST_TMPDIR/all")" ]
	run "$BIN/tend-log" cat --seq ..2 "$LOG"
	[ "$output" = "$(sed -n 1,2p "$BATS_TEST_TMPDIR/all")" ]
	run "$BIN/tend-log" cat --seq 500 "$LOG"
	[ "$output" = "$(sed -n 500p "$BATS_TEST_TMPDIR/all")" ]
	run "$BIN/tend-log" cat --seq 1001.. "$LOG"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# event i is at i seconds; --until is exclusive
	run "$BIN/tend-log" cat --since 2026-01-01T00:10:00Z \
	    --until 2026-01-01T00:10:05Z "$LOG"
	[ "$output" = "$(sed -n 601,605p "$BATS_TEST_TMPDIR/all")" ]
	run "$BIN/tend-log" cat --since 2026-01-01T00:16:39+00:00 "$LOG"
	[ "$output" = "$(sed -n 1000p "$BATS_TEST_TMPDIR/all")" ]
	run "$BIN/tend-log" cat --subject '*/web1' --seq 1..10 "$LOG"
	[ "$output" = "$(sed -n '1,10p' "$BATS_TEST_TMPDIR/all" | grep 'web1"')" ]
	run "$BIN/tend-log" cat --run run-7 "$LOG"
	[ "$output" = "$(sed -n 701,800p "$BATS_TEST_TMPDIR/all")" ]
	run "$BIN/tend-log" cat --type 'tend.resource.*' "$LOG"
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 1000 ]
	run "$BIN/tend-log" cat --type tend.drift.detected "$LOG"
	[ -z "$output" ]
}

@test "log: stat reports counts, times and sizes" {
	gen 500 > "$BATS_TEST_TMPDIR/in"
	"$BIN/tend-log" append --frame-size 8000 "$LOG" \
	    < "$BATS_TEST_TMPDIR/in" > /dev/null
	run "$BIN/tend-log" stat "$LOG"
	[ "$status" -eq 0 ]
	[[ "$output" == *"events	500"* ]]
	[[ "$output" == *"seq	1..500"* ]]
	[[ "$output" == *"time	2026-01-01T00:00:00Z .. 2026-01-01T00:08:19Z"* ]]
	run "$BIN/tend-log" stat --json "$LOG"
	[ "$status" -eq 0 ]
	[ "$(printf '%s' "$output" | jq -c '[.events, .last_seq, .min_time, .bytes == (input_filename | length) or true]')" = '[500,500,"2026-01-01T00:00:00Z",true]' ]
	[ "$(printf '%s' "$output" | jq '.bytes')" -eq "$(stat -c %s "$LOG")" ]
	[ "$(printf '%s' "$output" | jq '.frames > 1 and .ratio > 1')" = true ]
	: > "$BATS_TEST_TMPDIR/empty.log"
	run "$BIN/tend-log" stat --json "$BATS_TEST_TMPDIR/empty.log"
	[ "$(printf '%s' "$output" | jq -c '[.events, .min_time]')" = '[0,null]' ]
}

@test "log: verify and cat of a missing file fail with 4" {
	run "$BIN/tend-log" verify "$BATS_TEST_TMPDIR/nope"
	[ "$status" -eq 4 ]
	[[ "$output" == "tend-log: $BATS_TEST_TMPDIR/nope: cannot open: "* ]]
	run "$BIN/tend-log" cat "$BATS_TEST_TMPDIR"
	[ "$status" -eq 4 ]
}

@test "log: a bad line stops append with 3; --keep-going logs a tend.error" {
	{ gen 2; echo '{"specversion":"1.0","id":'; gen 2 z; } > "$BATS_TEST_TMPDIR/in"
	run "$BIN/tend-log" append "$LOG" < "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 3 ]
	[[ "$output" == *"tend-log: <stdin>:3: invalid JSON"* ]]
	[ "$("$BIN/tend-log" cat "$LOG" | wc -l)" -eq 2 ]
	run "$BIN/tend-log" append --keep-going "$LOG" < "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 3 ]
	"$BIN/tend-log" cat "$LOG" > "$BATS_TEST_TMPDIR/out"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/out")" -eq 7 ]
	[ "$(sed -n 5p "$BATS_TEST_TMPDIR/out" | jq -r '[.seq, .type, .data.line] | @tsv')" = "5	tend.error	3" ]
	run "$BIN/tend-log" verify "$LOG"
	[ "$status" -eq 0 ]
}

@test "log: an event with a seq that is not this log's is refused" {
	echo '{"specversion":"1.0","id":"a","source":"t","type":"x","seq":7}' |
	    { run "$BIN/tend-log" append "$LOG"; [ "$status" -eq 3 ]
	      [[ "$output" == *"<stdin>:1: the event has 'seq' 7, which is not that event of $LOG"* ]]; }
	# the same event stored in another log, or changed since
	gen 3 | "$BIN/tend-log" append "$LOG" > "$BATS_TEST_TMPDIR/stored"
	run "$BIN/tend-log" append "$LOG.other" < "$BATS_TEST_TMPDIR/stored"
	[ "$status" -eq 3 ]
	[[ "$output" == *"<stdin>:1: the event has 'seq' 1, which is not that event of $LOG.other"* ]]
	sed -n 2p "$BATS_TEST_TMPDIR/stored" | sed 's/"i":1/"i":9/' |
	    { run "$BIN/tend-log" append "$LOG"; [ "$status" -eq 3 ]
	      [[ "$output" == *"'seq' 2, which is not that event"* ]]; }
	[ "$("$BIN/tend-log" stat "$LOG" | sed -n 's/^events\t//p')" = 3 ]
}

@test "log: a second tee of the same log passes its events on, in place, once" {
	# plan | tend log append L | gate | tend log append L: what the first
	# tee stored passes the second unchanged, between the new events
	gen 4 | "$BIN/tend-log" append "$LOG" > "$BATS_TEST_TMPDIR/stored"
	{ gen 2 x | sed -n 1p; sed -n 2,3p "$BATS_TEST_TMPDIR/stored"
	  gen 2 x | sed -n 2p; } > "$BATS_TEST_TMPDIR/mixed"
	"$BIN/tend-log" append "$LOG" < "$BATS_TEST_TMPDIR/mixed" > "$BATS_TEST_TMPDIR/out"
	run jq -r '"\(.seq) \(.id)"' "$BATS_TEST_TMPDIR/out"
	[ "$output" = "5 x-0
2 e-1
3 e-2
6 x-1" ]
	sed -n 2,3p "$BATS_TEST_TMPDIR/stored" | cmp - <(sed -n 2,3p "$BATS_TEST_TMPDIR/out")
	run "$BIN/tend-log" cat "$LOG"
	[ "${#lines[@]}" -eq 6 ]
	"$BIN/tend-log" verify "$LOG" > /dev/null
}

@test "log: concurrent writers get gap-free seqs, each event once" {
	for w in 1 2 3 4; do
		gen "$WRITER_EVENTS" "w$w" > "$BATS_TEST_TMPDIR/in$w"
	done
	for w in 1 2 3 4; do
		"$BIN/tend-log" append "$LOG" < "$BATS_TEST_TMPDIR/in$w" \
		    > "$BATS_TEST_TMPDIR/out$w" 3>&- &
	done
	wait
	total=$((4 * WRITER_EVENTS))
	"$BIN/tend-log" cat "$LOG" > "$BATS_TEST_TMPDIR/all"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/all")" -eq "$total" ]
	# seq 1..total in order, no gap, no duplicate
	cut -d, -f1 "$BATS_TEST_TMPDIR/all" | cut -d: -f2 > "$BATS_TEST_TMPDIR/seqs"
	seq 1 "$total" | cmp - "$BATS_TEST_TMPDIR/seqs"
	# every input line once, as it came
	sed 's/^{"seq":[0-9]*,/{/' "$BATS_TEST_TMPDIR/all" | sort > "$BATS_TEST_TMPDIR/got"
	sort "$BATS_TEST_TMPDIR"/in[1-4] | cmp - "$BATS_TEST_TMPDIR/got"
	# each writer passed on exactly its own events, in its order
	for w in 1 2 3 4; do
		sed 's/^{"seq":[0-9]*,/{/' "$BATS_TEST_TMPDIR/out$w" |
		    cmp - "$BATS_TEST_TMPDIR/in$w"
	done
	run "$BIN/tend-log" verify "$LOG"
	[ "$status" -eq 0 ]
}

# A preload shim that writes in 512-byte pieces with pauses, so a kill lands
# in the middle of a unit often enough (no shim without a C compiler).
slow_writes() {
	cat > "$BATS_TEST_TMPDIR/slow.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <time.h>
#include <unistd.h>

static ssize_t
slow(ssize_t (*real)(int, const void *, size_t, off_t), int fd,
    const void *p, size_t n, off_t off)
{
	struct timespec ts = { 0, 50000 };
	size_t done = 0;
	ssize_t k;

	while (done < n) {
		k = real(fd, (const char *)p + done, n - done > 512 ? 512 :
		    n - done, off + (off_t)done);
		if (k < 0)
			return done ? (ssize_t)done : k;
		done += (size_t)k;
		nanosleep(&ts, NULL);
	}
	return (ssize_t)done;
}

ssize_t
pwrite(int fd, const void *p, size_t n, off_t off)
{
	return slow(dlsym(RTLD_NEXT, "pwrite"), fd, p, n, off);
}

ssize_t
pwrite64(int fd, const void *p, size_t n, off_t off)
{
	return slow(dlsym(RTLD_NEXT, "pwrite64"), fd, p, n, off);
}
EOF
	cc -shared -fPIC -o "$BATS_TEST_TMPDIR/slow.so" "$BATS_TEST_TMPDIR/slow.c" -ldl 2>/dev/null &&
	    echo "$BATS_TEST_TMPDIR/slow.so"
}

# One writer killed with SIGKILL at a random moment, under --sync always.
crash_once() {
	local dir=$1 fs pid
	rm -f "$dir"/c.log* "$dir/ack"
	case $((RANDOM % 3)) in
	0) fs=4096 ;; 1) fs=65536 ;; 2) fs=1048576 ;;
	esac
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	    LD_PRELOAD=$SHIM "$BIN/tend-log" append --sync always --frame-size "$fs" \
	    "$dir/c.log" < "$dir/crash.in" > "$dir/ack" 3>&- &
	pid=$!
	sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	[ -e "$dir/c.log" ] || return 0
	# verify: intact, or a torn tail and nothing else
	"$BIN/tend-log" verify "$dir/c.log" > /dev/null 2> "$dir/verify.err" ||
	    ! grep -v 'torn tail' "$dir/verify.err" || false
	# cat never prints the torn tail; every acknowledged event is there
	"$BIN/tend-log" cat "$dir/c.log" > "$dir/cat" 2> /dev/null
	sed '$!b; /}$/!d' "$dir/ack" > "$dir/ack.whole"
	head -c "$(stat -c %s "$dir/ack.whole")" "$dir/cat" | cmp - "$dir/ack.whole"
	! grep -v '}$' "$dir/cat" || false
	# the next append cuts the torn tail off and keeps it
	gen 3 after | "$BIN/tend-log" append "$dir/c.log" > /dev/null 2> "$dir/append.err"
	if [ -s "$dir/verify.err" ]; then
		grep -q "cut off a torn tail" "$dir/append.err"
		[ -s "$dir/c.log.torn-1" ]
		TORN=$((TORN + 1))
	fi
	"$BIN/tend-log" verify --quiet "$dir/c.log"
	[ "$("$BIN/tend-log" cat "$dir/c.log" | wc -l)" -eq $(($(wc -l < "$dir/cat") + 3)) ]
}

@test "log: a writer killed at any moment loses no acknowledged event" {
	gen 60000 > "$BATS_TEST_TMPDIR/crash.in"
	SHIM=$(slow_writes || true)
	TORN=0
	for _ in $(seq "$RUNS"); do
		crash_once "$BATS_TEST_TMPDIR"
	done
	echo "# $TORN of $RUNS runs left a torn tail" >&3
}

@test "log: a torn tail is reported, never printed, and cut off by the next append" {
	gen 300 > "$BATS_TEST_TMPDIR/in"
	"$BIN/tend-log" append --frame-size 5000 "$LOG" < "$BATS_TEST_TMPDIR/in" > /dev/null
	size=$(stat -c %s "$LOG")
	gen 100 more | "$BIN/tend-log" append "$LOG" > /dev/null
	full=$(stat -c %s "$LOG")
	truncate -s $(((size + full) / 2)) "$LOG"
	run "$BIN/tend-log" cat "$LOG"
	[ "$status" -eq 0 ]
	[[ "$output" == *"tend-log: $LOG: torn tail at byte $size: "*" (not printed)"* ]]
	[ "$("$BIN/tend-log" cat "$LOG" 2> /dev/null | wc -l)" -eq 300 ]
	run "$BIN/tend-log" verify "$LOG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"(seq 301): torn tail: "* ]]
	run "$BIN/tend-log" stat --json "$LOG"
	[ "$(printf '%s' "$output" | jq '.torn_bytes')" -eq $(((size + full) / 2 - size)) ]
	gen 1 last > "$BATS_TEST_TMPDIR/one"
	run "$BIN/tend-log" append "$LOG" < "$BATS_TEST_TMPDIR/one"
	[ "$status" -eq 0 ]
	[[ "$output" == *"cut off a torn tail of $(((size + full) / 2 - size)) bytes at byte $size, kept in '$LOG.torn-1'"* ]]
	[[ "$output" == *'{"seq":301,'* ]]
	[ "$(stat -c %s "$LOG.torn-1")" -eq $(((size + full) / 2 - size)) ]
	run "$BIN/tend-log" verify "$LOG"
	[ "$status" -eq 0 ]
}

@test "log: any flipped byte makes verify fail" {
	gen 400 > "$BATS_TEST_TMPDIR/in"
	"$BIN/tend-log" append --frame-size 6000 "$LOG" < "$BATS_TEST_TMPDIR/in" > /dev/null
	cp "$LOG" "$BATS_TEST_TMPDIR/orig"
	size=$(stat -c %s "$LOG")
	for _ in $(seq "$RUNS"); do
		off=$(( (RANDOM * 32768 + RANDOM) % size ))
		b=$(od -An -tu1 -j "$off" -N1 "$LOG" | tr -d ' ')
		nb=$(( b ^ (1 + RANDOM % 255) ))
		printf "$(printf '\\%03o' "$nb")" |
		    dd of="$LOG" bs=1 seek="$off" conv=notrunc status=none
		run "$BIN/tend-log" verify "$LOG"
		if [ "$status" -ne 1 ]; then
			echo "flip at byte $off ($b -> $nb) not detected: $output"
			false
		fi
		# cat prints no line of a damaged frame
		"$BIN/tend-log" cat "$LOG" 2> /dev/null | grep -vxF -f - "$BATS_TEST_TMPDIR/in" > /dev/null || true
		cp "$BATS_TEST_TMPDIR/orig" "$LOG"
	done
}

@test "log: cat of a damaged frame skips it with 3, appending to it is refused" {
	gen 400 > "$BATS_TEST_TMPDIR/in"
	"$BIN/tend-log" append --frame-size 6000 "$LOG" < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/all"
	# a byte in the middle of the first data frame
	printf 'X' | dd of="$LOG" bs=1 seek=300 conv=notrunc status=none
	run "$BIN/tend-log" cat "$LOG"
	[ "$status" -eq 3 ]
	[[ "$output" == *"tend-log: $LOG: frame 0 at byte 0: "*"(not printed)"* ]]
	"$BIN/tend-log" cat "$LOG" 2> /dev/null > "$BATS_TEST_TMPDIR/rest" || true
	n=$(wc -l < "$BATS_TEST_TMPDIR/rest")
	[ "$n" -gt 0 ] && [ "$n" -lt 400 ]
	tail -n "$n" "$BATS_TEST_TMPDIR/all" | cmp - "$BATS_TEST_TMPDIR/rest"
	run "$BIN/tend-log" verify "$LOG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"frame 0 at byte 0 (seq 1): "* ]]
	# garbage at the end is damage, not a torn tail: append refuses
	printf 'garbage' >> "$LOG"
	gen 1 | { run "$BIN/tend-log" append "$LOG"; [ "$status" -eq 3 ]
	  [[ "$output" == *"not a torn tail"* ]]; }
}

@test "log: repair moves garbage after the last seal aside, so appending goes on" {
	gen 30 | "$BIN/tend-log" append --frame-size 2000 "$LOG" > /dev/null
	size=$(stat -c %s "$LOG")
	run "$BIN/tend-log" repair "$LOG"
	[ "$status" -eq 0 ]
	[ "$output" = "$LOG: nothing follows the last seal" ]
	# what a power loss can leave: the file longer, the new bytes junk
	head -c 5000 /dev/urandom >> "$LOG"
	gen 1 x | { run "$BIN/tend-log" append "$LOG"; [ "$status" -eq 3 ]
	    [[ "$output" == *"damaged after byte $size (not a torn tail); see 'tend log verify', and 'tend log repair' to move it aside"* ]]; }
	run "$BIN/tend-log" repair "$LOG"
	[ "$status" -eq 0 ]
	[ "$output" = "$LOG: cut 5000 bytes at byte $size (not a torn tail: a power loss's garbage, or a last frame with a damaged seal), kept in $LOG.torn-1" ]
	[ "$(stat -c %s "$LOG.torn-1")" -eq 5000 ]
	gen 1 x | "$BIN/tend-log" append "$LOG" > /dev/null
	run "$BIN/tend-log" cat "$LOG"
	[ "${#lines[@]}" -eq 31 ]
	"$BIN/tend-log" verify "$LOG" > /dev/null
	# a torn tail is cut the same way, and named so
	"$BIN/tend-log" cat "$LOG" > /dev/null
	size=$(stat -c %s "$LOG")
	gen 200 y | "$BIN/tend-log" append "$LOG.full" > /dev/null
	tail -c +2000 "$LOG.full" | head -c 300 >> "$LOG"
	run "$BIN/tend-log" repair "$LOG"
	[ "$status" -eq 0 ]
	[[ $output == *"cut 300 bytes at byte $size"* ]]
	run "$BIN/tend-log" repair "$LOG.missing"
	[ "$status" -eq 4 ]
}

@test "log: cat --follow prints new events until SIGTERM" {
	gen 10 > "$BATS_TEST_TMPDIR/in"
	"$BIN/tend-log" append "$LOG" < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/want"
	"$BIN/tend-log" cat --follow "$LOG" > "$BATS_TEST_TMPDIR/out" 3>&- &
	pid=$!
	sleep 0.3
	gen 5 more | "$BIN/tend-log" append "$LOG" >> "$BATS_TEST_TMPDIR/want"
	for _ in $(seq 50); do
		[ "$(wc -l < "$BATS_TEST_TMPDIR/out")" -eq 15 ] && break
		sleep 0.1
	done
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 0 ]
	cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/out"
}

@test "log: a trickle of events is written within about a second" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	"$BIN/tend-log" append "$LOG" < "$BATS_TEST_TMPDIR/fifo" \
	    > "$BATS_TEST_TMPDIR/out" 3>&- &
	pid=$!
	exec 8> "$BATS_TEST_TMPDIR/fifo"
	gen 1 >&8
	sleep 2
	[ "$("$BIN/tend-log" cat "$LOG" | wc -l)" -eq 1 ]
	exec 8>&-
	wait "$pid"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/out")" -eq 1 ]
}

@test "log: --log on another program appends what it emits" {
	[ -x "$BIN/tend-validate" ] || skip "tend-validate not built"
	ev='{"specversion":"1.0","id":"a","source":"t","type":"x.test"}'
	echo "$ev" | "$BIN/tend-validate" > /dev/null 2>&1 ||
	    skip "tend-validate refuses a minimal event"
	gen 50 | sed 's/tend.resource.observed/x.test/' > "$BATS_TEST_TMPDIR/in"
	run "$BIN/tend-validate" --log "$LOG" < "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ]
	with_seq < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/want"
	[ "$output" = "$(cat "$BATS_TEST_TMPDIR/want")" ]
	"$BIN/tend-log" cat "$LOG" | cmp - "$BATS_TEST_TMPDIR/want"
	# the log is complete even when stdout goes away early
	rm -f "$LOG"
	gen 20000 | sed 's/tend.resource.observed/x.test/' > "$BATS_TEST_TMPDIR/in"
	run bash -c "'$BIN/tend-validate' --log '$LOG' < '$BATS_TEST_TMPDIR/in' | head -1"
	[ "$("$BIN/tend-log" cat "$LOG" | wc -l)" -gt 0 ]
	"$BIN/tend-log" verify --quiet "$LOG"
}
