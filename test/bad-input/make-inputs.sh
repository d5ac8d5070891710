#!/bin/sh
# Writes the bad-input cases into directory $1: CASE.in, with CASE.exit
# (the exit status every program must give) and CASE.err (a substring of
# the message expected on stderr, after "PROG: <stdin>:LINE: ").
set -eu
d=$1
mkdir -p "$d"
ok='{"specversion":"1.0","id":"e1","source":"test","type":"tend.resource.observed","time":"2026-11-22T05:00:00Z","subject":"host:h1/package/bash","data":{"provider":"host","kind":"package","name":"bash","object":{"version":"5.2"}}}'

case_() {	# name exit err, then the input on stdin
	cat > "$d/$1.in"
	printf '%s\n' "$2" > "$d/$1.exit"
	printf '%s\n' "$3" > "$d/$1.err"
}

printf '%s\n{"specversion":"1.0","id":' "$ok" |
	case_ truncated 3 '<stdin>:2: invalid JSON at byte 27: unexpected end of input'
{ printf '%s\n' "$ok"; head -c 20971520 /dev/zero | tr '\0' ' '; printf 'x\n%s\n' "$ok"; } |
	case_ huge-line 3 '<stdin>:2: line longer than 16777216 bytes'
printf '%s\n{"specversion":"1.0","id":"\377","source":"s","type":"t"}\n' "$ok" |
	case_ invalid-utf8 3 '<stdin>:2: invalid JSON at byte 28: invalid UTF-8'
printf '{"specversion":"1.0","id":"a\000b","source":"s","type":"t"}\n' |
	case_ nul-byte 3 '<stdin>:1: invalid JSON at byte 29: NUL byte in string'
printf '[%s]\n' "$ok" |
	case_ array 3 '<stdin>:1: an event must be a JSON object, not array'
printf '{"specversion":"1.0","id":42,"source":"s","type":"t"}\n' |
	case_ wrong-type 3 "<stdin>:1: attribute 'id' must be a string, not number"
printf '{"specversion":"1.0","id":"x","source":"s","type":"tend.nonsense"}\n' |
	case_ unknown-type 3 "<stdin>:1: unknown event type 'tend.nonsense'"
printf '{"specversion":"1.0","id":"x","source":"s","type":"t","n":NaN}\n' |
	case_ nan 3 '<stdin>:1: invalid JSON at byte 59: expected a value'
printf '%s\n\n%s\n' "$ok" "$ok" |
	case_ empty-line 3 '<stdin>:2: empty line'
: | case_ empty 0 ''
