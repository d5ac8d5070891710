#!/usr/bin/env bats
# pipelines/patch on a dpkg status that lists an old bash, with an OSV
# advisory fixed in the bash this machine has: one upgrade is proposed,
# and its apt-get command, run here with -s (simulate), is one apt
# accepts.  Nothing is installed.

setup() {
	export TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	command -v apt-get > /dev/null || skip "no apt-get"
	S=$BATS_TEST_TMPDIR
	P=$BATS_TEST_DIRNAME/../../pipelines/patch
	have=$(dpkg-query -W -f='${Version}' bash)
	mkdir -p "$S/root/var/lib/dpkg" "$S/root/etc" "$S/osv"
	echo e2e-patch > "$S/root/etc/hostname"
	printf 'ID=debian\nVERSION_ID="12"\n' > "$S/root/etc/os-release"
	cat > "$S/root/var/lib/dpkg/status" <<-EOF
	Package: bash
	Status: install ok installed
	Architecture: $(dpkg --print-architecture)
	Version: 4.0-1

	EOF
	cat > "$S/osv/TEND-E2E-1.json" <<-EOF
	{"schema_version": "1.6.0", "id": "TEND-E2E-1", "modified": "2026-11-20T00:00:00Z",
	 "aliases": ["CVE-2026-20001"], "summary": "bash: made up for the e2e test",
	 "affected": [{"package": {"ecosystem": "Debian:12", "name": "bash"},
	   "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "$have"}]}]}]}
	EOF
	export TEND_OSV=$S/osv TEND_ROOT=$S/root TEND_ECOSYSTEM=Debian:12
	export TEND_LOG=$S/patch.tlog.zst
}

@test "an upgrade is proposed for bash, and apt-get -s accepts its command" {
	TEND_RUNID=patch-1 run "$P/run" "$S/work"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	"$TEND_BIN/tend-log" cat --type tend.action.proposed "$TEND_LOG" > "$S/p"
	[ "$(wc -l < "$S/p")" -eq 1 ]
	run jq -r '.data.executor.argv | join(" ")' "$S/p"
	[ "$output" = "/usr/bin/apt-get install -y --no-install-recommends --only-upgrade bash=$have" ]
	# run it as apt would, simulated
	jq -r '.data.executor.argv[1:][]' "$S/p" > "$S/args"
	mapfile -t args < "$S/args"
	run apt-get -s "${args[@]}"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	# the decision is in the log (burning in: shadow), and the CVE is
	# counted as found, not yet patched
	[ "$("$TEND_BIN/tend-log" cat --type 'tend.action.[ade]*' "$TEND_LOG" | jq -r .data.shadow)" = true ]
	"$TEND_BIN/tend-report" slo --format json "$TEND_LOG" > "$S/slo"
	run jq -c '[.overall.cve.found, .overall.cve.patched]' "$S/slo"
	[ "$output" = "[1,0]" ]
}
