#!/usr/bin/env bats
# tend-attest: keys, sealing, verification (the tamper matrix), proofs,
# statements and publishing, as a user sees them.  Logs are written with
# tend-log.  TEND_SLOW=1 flips 200 bytes instead of 20.

setup_file() {
	export TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	export F=$BATS_FILE_TMPDIR
	# one sealed log of 10,000 events and its keys, copied by the tests
	"$TEND_BIN/tend-attest" keygen --name test.example/log "$F/k" > /dev/null
	"$TEND_BIN/tend-attest" keygen --name evil.example/log "$F/evil" \
	    > /dev/null
	gen 10000 0 > "$F/10k.ndjson"
	"$TEND_BIN/tend-log" append "$F/sealed.zst" < "$F/10k.ndjson" > /dev/null
	"$TEND_BIN/tend-attest" seal --key "$F/k.key" \
	    --now 2026-11-22T06:00:00Z "$F/sealed.zst" > "$F/sealed.cp"
}

setup() {
	A=$TEND_BIN/tend-attest
	L=$TEND_BIN/tend-log
	D=$BATS_TEST_TMPDIR
	export LC_ALL=C
}

# gen N FIRST [RUN]: N events with ids eFIRST.., runid RUN or r<i/1000>
gen() {
	awk -v n="$1" -v s="$2" -v run="${3:-}" 'BEGIN {
		for (i = s; i < s + n; i++)
			printf "{\"specversion\":\"1.0\",\"id\":\"e%d\",\"source\":\"test\",\"type\":\"tend.resource.observed\",\"time\":\"2026-11-22T05:00:00Z\",\"subject\":\"host:h1/package/p%d\",\"runid\":\"%s\",\"data\":{\"provider\":\"host\",\"kind\":\"package\",\"name\":\"p%d\",\"object\":{\"v\":%d}}}\n",
			    i, i, run != "" ? run : "r" int(i / 1000), i, i
	}'
}

# A copy of the sealed log and its .attest hint at $D/log.zst.
sealed_copy() {
	cp "$F/sealed.zst" "$D/log.zst"
	cp "$F/sealed.zst.attest" "$D/log.zst.attest"
}

# The log's lines without their seq: what an attacker re-appends.
plain() {
	zstdcat "$1" | sed -E 's/^\{"seq":[0-9]+,/{/'
}

# Rewrites the log from plain lines on stdin, as root on the host could.
rewrite() {
	rm -f "$1"
	"$L" append "$1" > /dev/null
}

# flip FILE OFFSET XOR
flip() {
	perl -e 'open(my $h, "+<:raw", $ARGV[0]) or die; seek($h, $ARGV[1], 0);
	    read($h, my $c, 1); seek($h, $ARGV[1], 0);
	    print $h chr(ord($c) ^ $ARGV[2]); close($h) or die' "$@"
}

@test "--help prints the synopsis on stdout and exits 0" {
	run "$A" --help
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "usage: tend-attest keygen [--name name] base" ]]
	[[ $output == *"tend-attest verify --pub pub [--trusted checkpoint]"* ]]
}

@test "--version" {
	run "$A" --version
	[ "$status" -eq 0 ]
	[[ $output == "tend-attest (tend) "* ]]
}

@test "usage errors exit 2" {
	run "$A"
	[ "$status" -eq 2 ]
	run "$A" frobnicate
	[ "$status" -eq 2 ]
	[[ $output == *"unknown command 'frobnicate'"* ]]
	run "$A" verify --key "$F/k.key" "$F/sealed.zst"
	[ "$status" -eq 2 ]
	[[ $output == *"verify does not take --key"* ]]
	run "$A" seal "$F/sealed.zst"
	[ "$status" -eq 2 ]
	run "$A" verify "$F/sealed.zst"
	[ "$status" -eq 2 ]
	[[ $output == *"--pub is needed"* ]]
	run "$A" prove --id e1 --seq 1 "$F/sealed.zst"
	[ "$status" -eq 2 ]
	run "$A" consistency --from 0 "$F/sealed.zst"
	[ "$status" -eq 2 ]
}

@test "keygen writes a 0600 secret key and a public key, never overwriting" {
	run "$A" keygen --name test.example/other "$D/k"
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat "$D/k.pub")" ]
	[[ $output == "test.example/other+"????????"+"* ]]
	[ "$(stat -c %a "$D/k.key")" = 600 ]
	grep -q '^PRIVATE+KEY+test.example/other+' "$D/k.key"
	cp "$D/k.key" "$D/k.key.orig"
	run "$A" keygen --name test.example/other "$D/k"
	[ "$status" -eq 4 ]
	[[ $output == *"cannot create '$D/k.key'"* ]]
	cmp "$D/k.key" "$D/k.key.orig"
	run "$A" keygen --name 'two words' "$D/x"
	[ "$status" -eq 2 ]
	[ ! -e "$D/x.key" ]
}

@test "a secret key others can read is refused (3), naming its mode, never its bytes" {
	cp "$F/k.key" "$D/open.key"
	chmod 644 "$D/open.key"
	sealed_copy
	run "$A" seal --key "$D/open.key" "$D/log.zst"
	[ "$status" -eq 3 ]
	[[ $output == *"'$D/open.key' is open to others (mode 0644)"* ]]
	secret=$(cut -d+ -f5- "$F/k.key")
	[[ $output != *"$secret"* ]]
	[[ $output != *PRIVATE* ]]
	# a public key is not a secret key
	run "$A" seal --key "$F/k.pub" "$D/log.zst"
	[ "$status" -eq 3 ]
}

@test "seal appends a signed checkpoint to the log and prints it as stored" {
	gen 100 0 | "$L" append "$D/log.zst" > /dev/null
	run "$A" seal --key "$F/k.key" --now 2026-11-22T06:00:00Z "$D/log.zst"
	[ "$status" -eq 0 ]
	echo "$output" > "$D/cp"
	[ "$("$L" cat "$D/log.zst" | tail -n 1)" = "$output" ]
	run jq -r '[.seq, .type, .source, .time, .subject, .causeid,
	    .data.origin, .data.tree_size, .data.key_id] | @tsv' "$D/cp"
	[ "$output" = "101	tend.log.checkpoint	tend-attest	2026-11-22T06:00:00Z	log:test.example/log	e99	test.example/log	100	$(cut -d+ -f1,2 "$F/k.pub")" ]
	# the note: origin, size, root, blank line, one signature line
	jq -j .data.note "$D/cp" > "$D/note"
	[ "$(sed -n 1p "$D/note")" = test.example/log ]
	[ "$(sed -n 2p "$D/note")" = 100 ]
	[ "$(sed -n 3p "$D/note")" = "$(jq -r .data.root_hash "$D/cp")" ]
	[ -z "$(sed -n 4p "$D/note")" ]
	[ "$(sed -n 5p "$D/note")" = "— test.example/log $(jq -r .data.signature "$D/cp")" ]
	# the event is valid against its schema
	if [ -x "$TEND_BIN/tend-validate" ]; then
		"$TEND_BIN/tend-validate" < "$D/cp" > /dev/null
	fi
	# and verify accepts the log
	run "$A" verify --pub "$F/k.pub" "$D/log.zst"
	[ "$status" -eq 0 ]
	[[ $output == *"intact: 101 events, 1 checkpoints"* ]]
}

@test "checkpoints are C2SP signed notes that independent code accepts" {
	python3 -c 'import cryptography' 2> /dev/null ||
	    skip "python3-cryptography is not installed"
	cat > "$D/check.py" <<'EOF'
# RFC 6962 root from the stored lines, C2SP key id, Ed25519 signature:
# written from the specs, sharing nothing with tend's code.
import base64, hashlib, json, subprocess, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
log, vkey = sys.argv[1], open(sys.argv[2]).read().strip()
lines = subprocess.run(["zstdcat", log], capture_output=True,
                       check=True).stdout.split(b"\n")[:-1]
def mth(ls):
    if not ls:
        return hashlib.sha256(b"").digest()
    if len(ls) == 1:
        return hashlib.sha256(b"\0" + ls[0]).digest()
    k = 1
    while k * 2 < len(ls):
        k *= 2
    return hashlib.sha256(b"\1" + mth(ls[:k]) + mth(ls[k:])).digest()
name, kid, key = vkey.split("+", 2)
raw = base64.b64decode(key)
assert raw[0] == 1 and len(raw) == 33
assert hashlib.sha256(name.encode() + b"\n\1" + raw[1:]).digest()[:4].hex() == kid
pk = Ed25519PublicKey.from_public_bytes(raw[1:])
n = 0
for line in lines:
    ev = json.loads(line)
    if ev["type"] != "tend.log.checkpoint":
        continue
    note = ev["data"]["note"].encode()
    i = note.rindex(b"\n\n")
    text, sigs = note[:i + 1], note[i + 2:]
    origin, size, root = text.decode().split("\n")[:3]
    assert base64.b64encode(mth(lines[:int(size)])).decode() == root
    for sl in sigs.decode().splitlines():
        nm, b = sl[2:].split(" ")
        blob = base64.b64decode(b)
        if sl[0] == "\u2014" and nm == name and blob[:4].hex() == kid:
            pk.verify(blob[4:], text)
            n += 1
print(n)
EOF
	sealed_copy
	gen 777 10000 | "$L" append "$D/log.zst" > /dev/null
	"$A" seal --key "$F/k.key" "$D/log.zst" > /dev/null
	run python3 "$D/check.py" "$D/log.zst" "$F/k.pub"
	[ "$status" -eq 0 ]
	[ "$output" = 2 ]
}

@test "seal is deterministic: the same log, key and --now give the same bytes" {
	gen 300 0 > "$D/in"
	"$L" append "$D/a.zst" < "$D/in" > /dev/null
	"$L" append "$D/b.zst" < "$D/in" > /dev/null
	"$A" seal --key "$F/k.key" --now 2026-11-22T06:00:00Z "$D/a.zst" > "$D/a"
	TEND_NOW=2026-11-22T06:00:00Z "$A" seal --key "$F/k.key" "$D/b.zst" > "$D/b"
	cmp "$D/a" "$D/b"
}

@test "a second seal with nothing new prints the last checkpoint and appends nothing" {
	sealed_copy
	"$A" seal --key "$F/k.key" "$D/log.zst" > "$D/first"
	size=$(stat -c %s "$D/log.zst")
	"$A" seal --key "$F/k.key" "$D/log.zst" > "$D/second"
	cmp "$D/first" "$D/second"
	[ "$(stat -c %s "$D/log.zst")" -eq "$size" ]
}

@test "an incremental seal equals a whole-log seal and reads only what is new" {
	gen 1000 0 | "$L" append "$D/log.zst" > /dev/null
	"$A" seal --key "$F/k.key" "$D/log.zst" > /dev/null
	[ "$(cat "$D/log.zst.attest")" = 1001 ]
	gen 1500 1000 | "$L" append "$D/log.zst" > /dev/null
	cp "$D/log.zst" "$D/whole.zst"
	"$A" seal --key "$F/k.key" --now 2026-11-22T07:00:00Z "$D/log.zst" > "$D/inc"
	"$A" seal --key "$F/k.key" --now 2026-11-22T07:00:00Z "$D/whole.zst" > "$D/whole"
	cmp "$D/inc" "$D/whole"
	[ "$(cat "$D/log.zst.attest")" = 2502 ]
	# the first frame, damaged: the next seal does not read it, verify does
	gen 10 2500 | "$L" append "$D/log.zst" > /dev/null
	flip "$D/log.zst" 100 1
	run "$A" seal --key "$F/k.key" "$D/log.zst"
	[ "$status" -eq 0 ]
	run "$A" verify --pub "$F/k.pub" "$D/log.zst"
	[ "$status" -eq 1 ]
	[[ $output == *"the frame at byte 0 (seq 1 on) is damaged"* ]]
	# a hint that points at something else is not trusted
	echo 5 > "$D/whole.zst.attest"
	gen 10 2500 | "$L" append "$D/whole.zst" > /dev/null
	run "$A" seal --key "$F/k.key" "$D/whole.zst"
	[ "$status" -eq 0 ]
	[[ $output == *"seq 5 is not a checkpoint of this key"*"hashing the whole log"* ]]
	run "$A" verify --pub "$F/k.pub" "$D/whole.zst"
	[ "$status" -eq 0 ]
}

@test "verify: an intact log gives 0 and a summary; --quiet says nothing" {
	sealed_copy
	gen 5 10000 | "$L" append "$D/log.zst" > /dev/null
	run "$A" verify --pub "$F/k.pub" "$D/log.zst"
	[ "$status" -eq 0 ]
	[[ $output == *"seq 10001..10006 are not covered by a checkpoint yet"* ]]
	[[ $output == *"intact: 10006 events, 1 checkpoints, the largest of 10000 events"* ]]
	run "$A" verify --quiet --pub "$F/k.pub" "$D/log.zst"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# a log with nothing signed is not intact
	gen 5 0 | "$L" append "$D/bare.zst" > /dev/null
	run "$A" verify --pub "$F/k.pub" "$D/bare.zst"
	[ "$status" -eq 1 ]
	[[ $output == *"no checkpoint: none of its 5 events is signed"* ]]
	# a missing log is an I/O error; a bad key file is bad input
	run "$A" verify --pub "$F/k.pub" "$D/nonexistent.zst"
	[ "$status" -eq 4 ]
	echo garbage > "$D/bad.pub"
	run "$A" verify --pub "$D/bad.pub" "$D/log.zst"
	[ "$status" -eq 3 ]
}

@test "tamper: every flipped byte of a sealed 10k-event log is found and located" {
	local n=20 size pos x i missed=0
	[ "${TEND_SLOW:-0}" = 1 ] && n=200
	size=$(stat -c %s "$F/sealed.zst")
	# deterministic positions, plus the first and last bytes
	{ echo 0; echo $((size - 1)); awk -v n="$n" -v size="$size" \
	    'BEGIN { srand(42); for (i = 2; i < n; i++) print int(rand() * size) }'
	} > "$D/positions"
	i=0
	while read -r pos; do
		i=$((i + 1))
		x=$(( (i * 37) % 255 + 1 ))
		sealed_copy
		flip "$D/log.zst" "$pos" "$x"
		run "$A" verify --pub "$F/k.pub" "$D/log.zst"
		if [ "$status" -ne 1 ] ||
		    [[ $output != *"byte "* && $output != *"seq "* ]]; then
			echo "byte $pos ^ $x: status $status: $output"
			missed=$((missed + 1))
		fi
	done < "$D/positions"
	[ "$(wc -l < "$D/positions")" -eq "$n" ]
	[ "$missed" -eq 0 ]
}

@test "tamper: a deleted, inserted or swapped event is found and located" {
	plain "$F/sealed.zst" > "$D/plain"
	sed '500d' "$D/plain" | rewrite "$D/del.zst"
	run "$A" verify --pub "$F/k.pub" "$D/del.zst"
	[ "$status" -eq 1 ]
	[[ $output == *"seq 10000: checkpoint of 10000 events, but only 9999 come before it: the first change is within seq 385..512" ]]

	sed '700i {"specversion":"1.0","id":"x","source":"x","type":"tend.resource.observed","data":{}}' \
	    "$D/plain" | rewrite "$D/ins.zst"
	run "$A" verify --pub "$F/k.pub" "$D/ins.zst"
	[ "$status" -eq 1 ]
	[[ $output == *"seq 10002: the checkpoint of 10000 events does not match the log: the first change is within seq 641..768" ]]

	awk 'NR == 300 { a = $0; next } NR == 301 { print; print a; next } 1' \
	    "$D/plain" | rewrite "$D/swap.zst"
	run "$A" verify --pub "$F/k.pub" "$D/swap.zst"
	[ "$status" -eq 1 ]
	[[ $output == *"the first change is within seq 257..384" ]]

	# one byte of one event, re-appended with valid framing
	awk 'NR == 5000 { sub(/"v":4999/, "\"v\":4998") } 1' "$D/plain" |
	    rewrite "$D/edit.zst"
	run "$A" verify --pub "$F/k.pub" "$D/edit.zst"
	[ "$status" -eq 1 ]
	[[ $output == *"the first change is within seq 4993..5120" ]]

	# the checkpoint itself: its envelope, its data, its signature
	sed '$ s/"subject":"log:/"subject":"logs:/' "$D/plain" | rewrite "$D/c1.zst"
	run "$A" verify --pub "$F/k.pub" "$D/c1.zst"
	[ "$status" -eq 1 ]
	[[ $output == *"seq 10001: checkpoint: its id is not the digest of its content" ]]
	sed '$ s/"tile_level":7/"tile_level":6/' "$D/plain" | rewrite "$D/c2.zst"
	run "$A" verify --pub "$F/k.pub" "$D/c2.zst"
	[ "$status" -eq 1 ]
	[[ $output == *"seq 10001: checkpoint: data.tiles do not fold to its frontier" ]]
}

@test "tamper: a log cut back to a checkpoint and appended to is caught against the published copy" {
	sealed_copy
	mkdir "$D/pub"
	"$A" seal --key "$F/k.key" --publish "$D/pub" "$D/log.zst" > /dev/null
	gen 100 10000 | "$L" append "$D/log.zst" > /dev/null
	"$A" seal --key "$F/k.key" --publish "$D/pub" "$D/log.zst" > /dev/null
	[ -f "$D/pub/checkpoint.10000" ] && [ -f "$D/pub/checkpoint.10101" ]
	cmp "$D/pub/checkpoint" "$D/pub/checkpoint.10101"
	run "$A" verify --pub "$F/k.pub" --trusted "$D/pub/checkpoint" "$D/log.zst"
	[ "$status" -eq 0 ]

	# cut back to the first checkpoint, other events after it
	{ plain "$D/log.zst" | head -n 10001; gen 100 20000; } | rewrite "$D/cut.zst"
	# consistent in itself: only the copy kept elsewhere catches it
	run "$A" verify --pub "$F/k.pub" "$D/cut.zst"
	[ "$status" -eq 0 ]
	run "$A" verify --pub "$F/k.pub" --trusted "$D/pub/checkpoint" "$D/cut.zst"
	[ "$status" -eq 1 ]
	[[ $output == *"does not extend trusted checkpoint '$D/pub/checkpoint' of 10101 events: the first change is within seq 10001..10101" ]]
	# and cut back without appending
	plain "$D/log.zst" | head -n 10001 | rewrite "$D/short.zst"
	run "$A" verify --pub "$F/k.pub" --trusted "$D/pub/checkpoint" "$D/short.zst"
	[ "$status" -eq 1 ]
	[[ $output == *"the log has 10001 events, fewer than the 10101 of trusted checkpoint"* ]]
}

@test "tamper: a log re-sealed with another key fails against the real key" {
	# change an event, drop the real checkpoint, seal with the attacker's
	plain "$F/sealed.zst" | grep -v tend.log.checkpoint |
	    awk 'NR == 42 { sub(/"v":41/, "\"v\":-41") } 1' | rewrite "$D/forged.zst"
	"$A" seal --key "$F/evil.key" "$D/forged.zst" > /dev/null
	run "$A" verify --pub "$F/evil.pub" "$D/forged.zst"
	[ "$status" -eq 0 ]
	run "$A" verify --pub "$F/k.pub" "$D/forged.zst"
	[ "$status" -eq 1 ]
	[[ $output == *"seq 10001: checkpoint: not signed by a known key (signed by evil.example/log+$(cut -d+ -f2 "$F/evil.pub"))" ]]
	# a key that takes the real key's name is another key all the same
	"$A" keygen --name test.example/log "$D/fake" > /dev/null
	plain "$F/sealed.zst" | grep -v tend.log.checkpoint | rewrite "$D/forged2.zst"
	"$A" seal --key "$D/fake.key" "$D/forged2.zst" > /dev/null
	run "$A" verify --pub "$F/k.pub" "$D/forged2.zst"
	[ "$status" -eq 1 ]
	[[ $output == *"not signed by a known key (signed by test.example/log+$(cut -d+ -f2 "$D/fake.pub"))" ]]
}

@test "prove and check-proof: inclusion checked with only the event, the proof and the checkpoint" {
	sealed_copy
	run "$A" prove --id e4242 "$D/log.zst"
	[ "$status" -eq 0 ]
	echo "$output" > "$D/proof"
	run jq -r '[.proof, .seq, .id, .leaf_index, .tree_size, (.hashes | length)] | @tsv' "$D/proof"
	[ "$output" = "inclusion	4243	e4242	4242	10000	14" ]
	run "$A" check-proof --pub "$F/k.pub" "$D/proof"
	[ "$status" -eq 0 ]
	[[ $output == *"seq 4243 is in test.example/log's log of 10000 events"* ]]
	# the event and the checkpoint from elsewhere
	jq -r .event "$D/proof" > "$D/event"
	jq -r .checkpoint "$D/proof" > "$D/checkpoint"	# (an extra newline)
	run "$A" check-proof --quiet --pub "$F/k.pub" --event "$D/event" \
	    --checkpoint "$D/checkpoint" "$D/proof"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# another event
	"$A" prove --seq 7 "$D/log.zst" | jq -r .event > "$D/other"
	run "$A" check-proof --pub "$F/k.pub" --event "$D/other" "$D/proof"
	[ "$status" -eq 1 ]
	[[ $output == *"the event is not the one the proof is for"* ]]
	# a changed hash in the proof
	jq -c '.hashes[3] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="' "$D/proof" > "$D/bad"
	run "$A" check-proof --pub "$F/k.pub" "$D/bad"
	[ "$status" -eq 1 ]
	[[ $output == *"the proof leads to another root"* ]]
	# another leaf index for the same event
	jq -c '.leaf_index = 4241' "$D/proof" > "$D/bad"
	run "$A" check-proof --pub "$F/k.pub" "$D/bad"
	[ "$status" -eq 1 ]
	# another key
	run "$A" check-proof --pub "$F/evil.pub" "$D/proof"
	[ "$status" -eq 1 ]
	[[ $output == *"not signed by a known key"* ]]
	# not a proof at all
	echo '[1]' > "$D/bad"
	run "$A" check-proof --pub "$F/k.pub" "$D/bad"
	[ "$status" -eq 3 ]
	# events no checkpoint covers yet, and events that are not there
	gen 3 10000 | "$L" append "$D/log.zst" > /dev/null
	run "$A" prove --id e10001 "$D/log.zst"
	[ "$status" -eq 1 ]
	[[ $output == *"seq 10003 is not covered by a checkpoint yet"* ]]
	run "$A" prove --id nosuch "$D/log.zst"
	[ "$status" -eq 3 ]
}

@test "a proof made today still checks against the checkpoint kept aside after 10k more events" {
	gen 1000 0 | "$L" append "$D/log.zst" > /dev/null
	"$A" seal --key "$F/k.key" "$D/log.zst" | jq -j .data.note > "$D/kept"
	"$A" prove --seq 500 "$D/log.zst" > "$D/proof"
	gen 10000 1000 | "$L" append "$D/log.zst" > /dev/null
	"$A" seal --key "$F/k.key" "$D/log.zst" | jq -j .data.note > "$D/latest"
	run "$A" check-proof --pub "$F/k.pub" --checkpoint "$D/kept" "$D/proof"
	[ "$status" -eq 0 ]
	# against the newer checkpoint: link the two with a consistency proof
	run "$A" check-proof --pub "$F/k.pub" --checkpoint "$D/latest" "$D/proof"
	[ "$status" -eq 1 ]
	[[ $output == *"the proof is for a tree of 1000 events, the checkpoint covers 11001"* ]]
	"$A" consistency --from 1000 "$D/log.zst" > "$D/cons"
	run "$A" check-proof --pub "$F/k.pub" --checkpoint "$D/kept" \
	    --checkpoint "$D/latest" "$D/cons"
	[ "$status" -eq 0 ]
	[[ $output == *"the log of 11001 events extends the log of 1000"* ]]
	# and a fresh proof of the same event against the latest one
	"$A" prove --seq 500 "$D/log.zst" > "$D/proof2"
	run "$A" check-proof --pub "$F/k.pub" --checkpoint "$D/latest" "$D/proof2"
	[ "$status" -eq 0 ]
}

@test "consistency proofs between tree sizes" {
	sealed_copy
	gen 500 10000 | "$L" append "$D/log.zst" > /dev/null
	"$A" seal --key "$F/k.key" "$D/log.zst" > /dev/null
	run "$A" consistency --from 10000 --to 10501 "$D/log.zst"
	[ "$status" -eq 0 ]
	echo "$output" > "$D/cons"
	run jq -r '[.proof, .size1, .size2, (.checkpoint1 != null), (.checkpoint2 != null)] | @tsv' "$D/cons"
	[ "$output" = "consistency	10000	10501	true	true" ]
	run "$A" check-proof --pub "$F/k.pub" "$D/cons"
	[ "$status" -eq 0 ]
	jq -c '.hashes[0] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="' "$D/cons" > "$D/bad"
	run "$A" check-proof --pub "$F/k.pub" "$D/bad"
	[ "$status" -eq 1 ]
	# roots only count when a known key signed them
	jq -c 'del(.checkpoint1)' "$D/cons" > "$D/bad"
	run "$A" check-proof --pub "$F/k.pub" "$D/bad"
	[ "$status" -eq 3 ]
	[[ $output == *"no signed checkpoint of 10000 events"* ]]
	# sizes the log does not have
	run "$A" consistency --from 10 --to 99999 "$D/log.zst"
	[ "$status" -eq 3 ]
	# any two sizes: the proof holds once both roots are signed
	run "$A" consistency --from 123 --to 10000 "$D/log.zst"
	[ "$status" -eq 0 ]
}

@test "statement: a signed in-toto Statement of one run" {
	gen 20 0 > "$D/in"
	gen 3 100 run-42 >> "$D/in"
	printf '%s\n' \
	    '{"specversion":"1.0","id":"a1","source":"tend-apply","type":"tend.action.started","time":"2026-11-22T05:10:00Z","subject":"k8s:prod/apps/Deployment/shop/web","runid":"run-42","data":{"action":{"kind":"patch","replicas":3}}}' \
	    '{"specversion":"1.0","id":"a2","source":"tend-apply","type":"tend.action.succeeded","time":"2026-11-22T05:11:00Z","subject":"k8s:prod/apps/Deployment/shop/web","runid":"run-42","causeid":"a1","data":{"action":{"replicas":3,"kind":"patch"}}}' \
	    >> "$D/in"
	"$L" append "$D/log.zst" < "$D/in" > /dev/null
	"$A" seal --key "$F/k.key" "$D/log.zst" > /dev/null
	run "$A" statement --run run-42 --key "$F/k.key" "$D/log.zst"
	[ "$status" -eq 0 ]
	echo "$output" > "$D/env"
	[ "$(jq -r .payloadType "$D/env")" = application/vnd.in-toto+json ]
	[ "$(jq -r '.signatures[0].keyid' "$D/env")" = "$(cut -d+ -f1,2 "$F/k.pub")" ]
	jq -r .payload "$D/env" | base64 -d > "$D/st"
	run jq -r '[._type, .predicateType, .subject[0].name, .subject[1].name,
	    .subject[1].annotations.outcome, .predicate.events,
	    .predicate.started, .predicate.succeeded, .predicate.observed,
	    .predicate.checkpoint.tree_size] | @tsv' "$D/st"
	[ "$output" = "https://in-toto.io/Statement/v1	https://tend.dev/attestation/run/v1	run:run-42	k8s:prod/apps/Deployment/shop/web	succeeded	5	1	1	3	25" ]
	# the run's digest is that of its events as tend-log cat prints them
	[ "$(jq -r '.subject[0].digest.sha256' "$D/st")" = \
	    "$("$L" cat --run run-42 "$D/log.zst" | sha256sum | cut -d' ' -f1)" ]
	# the action's digest is that of its canonical form (key order aside)
	[ "$(jq -r '.subject[1].digest.sha256' "$D/st")" = \
	    "$(printf '{"kind":"patch","replicas":3}' | sha256sum | cut -d' ' -f1)" ]
	run "$A" check-proof --pub "$F/k.pub" "$D/env"
	[ "$status" -eq 0 ]
	# a changed payload breaks the signature
	jq -c ".payload = \"$(jq -c '.predicate.failed = 0 | .predicate.succeeded = 0' "$D/st" | base64 -w0)\"" "$D/env" > "$D/bad"
	run "$A" check-proof --pub "$F/k.pub" "$D/bad"
	[ "$status" -eq 1 ]
	# from standard input: the same run digest
	"$L" cat --run run-42 "$D/log.zst" |
	    "$A" statement --run run-42 --key "$F/k.key" > "$D/env2"
	[ "$(jq -r .payload "$D/env2" | base64 -d | jq -r '.subject[0].digest.sha256')" = \
	    "$(jq -r '.subject[0].digest.sha256' "$D/st")" ]
	# a run with no events
	run "$A" statement --run nosuch --key "$F/k.key" "$D/log.zst"
	[ "$status" -eq 3 ]
	[[ $output == *"no event of run 'nosuch'"* ]]
}

@test "statement: bad lines on standard input are reported as every filter reports them" {
	local c want want_exit
	[ -x "$TEND_BIN/tend-validate" ] || skip "tend-validate is not built"
	sh "$BATS_TEST_DIRNAME/../bad-input/make-inputs.sh" "$D/cases"
	for c in truncated huge-line invalid-utf8 nul-byte array wrong-type \
	    unknown-type nan empty-line; do
		# the same status and message as tend-validate gives
		run bash -c '"$1" < "$2" > /dev/null' _ \
		    "$TEND_BIN/tend-validate" "$D/cases/$c.in"
		want_exit=$status
		want=${output//tend-validate:/tend-attest:}
		[ "$want_exit" -eq 3 ]
		run "$A" statement --run r --key "$F/k.key" - < "$D/cases/$c.in"
		if [ "$status" -ne "$want_exit" ] || [ "$output" != "$want" ]; then
			echo "$c: status $status: '$output', want '$want'"
			return 1
		fi
	done
	# no tend.error events to pass on: --keep-going is a usage error
	run "$A" statement -k --run r --key "$F/k.key" - < "$D/cases/truncated.in"
	[ "$status" -eq 2 ]
}

@test "seal --publish to an HTTP server: PUT or POST, failures exit 4 and show no secrets" {
	cat > "$D/server.py" <<'EOF'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def handle_one(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path.startswith("/fail"):
            self.send_response(500)
        else:
            open(sys.argv[1] + "/" + self.command + self.path.replace("/", "_"), "wb").write(body)
            self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()
    do_PUT = do_POST = handle_one
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + "/port", "w").write(str(s.server_port))
s.serve_forever()
EOF
	mkdir "$D/srv"
	python3 "$D/server.py" "$D/srv" &
	pid=$!
	for i in $(seq 1 50); do
		[ -s "$D/srv/port" ] && curl -sf "http://127.0.0.1:$(cat "$D/srv/port")/" && break
		sleep 0.1
	done
	port=$(cat "$D/srv/port")
	sealed_copy
	run "$A" seal --key "$F/k.key" --publish "http://127.0.0.1:$port/cp" "$D/log.zst"
	st=$status
	echo "$output" | jq -j .data.note > "$D/note"
	run "$A" seal --key "$F/k.key" --publish-method post \
	    --publish "http://127.0.0.1:$port/cp2" "$D/log.zst"
	st2=$status
	run "$A" seal --key "$F/k.key" \
	    --publish "http://user:s3cret@127.0.0.1:$port/fail?token=t0ps3cret" \
	    "$D/log.zst"
	st3=$status
	out3=$output
	kill "$pid"
	wait "$pid" 2> /dev/null || true
	[ "$st" -eq 0 ] && [ "$st2" -eq 0 ]
	cmp "$D/note" "$D/srv/PUT_cp"
	cmp "$D/note" "$D/srv/POST_cp2"
	[ "$st3" -eq 4 ]
	[[ $out3 == *"cannot publish to http://***@127.0.0.1:$port/fail?...: HTTP status 500"* ]]
	[[ $out3 != *s3cret* ]] && [[ $out3 != *t0ps3cret* ]]
	# the checkpoint is in the log all the same
	run "$A" verify --pub "$F/k.pub" --trusted "$D/srv/PUT_cp" "$D/log.zst"
	[ "$status" -eq 0 ]
	# nobody listening
	run "$A" seal --key "$F/k.key" --publish "http://127.0.0.1:$port/cp" "$D/log.zst"
	[ "$status" -eq 4 ]
	[[ $output == *"cannot publish to http://127.0.0.1:$port/cp"* ]]
}
