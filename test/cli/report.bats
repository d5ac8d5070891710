#!/usr/bin/env bats
# tend-report: what a user sees.  test/report/history.ndjson is a scripted
# history whose SLO figures are known (see test/report/README).

bats_require_minimum_version 1.5.0

setup() {
	TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	R=$TEND_BIN/tend-report
	T=$BATS_TEST_DIRNAME/../report
	H=$T/history.ndjson
	D=$BATS_TEST_TMPDIR
}

# The what-if log: the proposals of runs w1 and w2 decided by tend-gate
# under whatif-policy.json at each run's time, into an event log.
decided_log() {
	local run t
	for run in w1:2026-11-23T21:30:00Z w2:2026-11-24T10:00:00Z; do
		t=${run#*:}
		grep "\"runid\":\"${run%%:*}\"" "$T/whatif-proposals.ndjson" > "$D/in"
		cat "$D/in"
		"$TEND_BIN/tend-gate" --unsigned --policy "$T/whatif-policy.json" \
		    --now "$t" < "$D/in"
	done > "$D/decided.ndjson"
	"$TEND_BIN/tend-log" append "$D/w.tlog.zst" < "$D/decided.ndjson" > /dev/null
}

@test "--help prints the synopsis on stdout and exits 0" {
	run "$R" --help
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "usage: tend-report timeline [-hkV] [--color auto|always|never]" ]
	[[ $output == *"tend-report postmortem [-hkV]"* ]]
}

@test "--version" {
	run "$R" timeline --version
	[ "$status" -eq 0 ]
	[[ $output == "tend-report (tend) "* ]]
}

@test "usage errors exit 2 and say why" {
	run "$R"
	[ "$status" -eq 2 ]
	[[ $output == *"name a report"* ]]
	run "$R" frobnicate
	[ "$status" -eq 2 ]
	[[ $output == *"'frobnicate' is not a report"* ]]
	run "$R" slo --color always
	[ "$status" -eq 2 ]
	[[ $output == *"--color does not apply to 'slo'"* ]]
	run "$R" whatif "$H"
	[ "$status" -eq 2 ]
	[[ $output == *"whatif needs --policy"* ]]
	run "$R" timeline --format pdf "$H"
	[ "$status" -eq 2 ]
	run "$R" slo --since yesterday "$H"
	[ "$status" -eq 2 ]
	[[ $output == *"--since 'yesterday' is not an RFC 3339 time"* ]]
}

@test "timeline: each run's resources, their steps in causal order" {
	"$R" timeline --run r1 "$H" > "$D/out"
	head -2 "$D/out" > "$D/head"
	cat > "$D/want" <<'EOF'
run r1  2026-11-20T00:00:00Z to 2026-11-20T00:10:00Z  (4 resources, 15 events)
  host:web-1/package/openssl
EOF
	diff -u "$D/want" "$D/head"
	grep -A6 '^  k8s:prod/apps/Deployment/shop/web$' "$D/out" | tail -6 |
	    awk '{ print $1, $2, $3 }' > "$D/web"
	cat > "$D/want" <<'EOF'
2026-11-20T00:00:00Z state sha256:aaaaaaaaaaaa,
2026-11-20T00:00:00Z drift modified,
2026-11-20T00:00:00Z proposed k8s-revert
2026-11-20T00:00:00Z approved risk
2026-11-20T00:00:00Z started attempt
2026-11-20T00:10:00Z succeeded status
EOF
	diff -u "$D/want" "$D/web"
	grep -q '^    2026-11-20T00:00:00Z  approved   shadow: skill .sysctl-set. is in shadow mode$' "$D/out"
	grep -q '^  = 2 drift, 3 proposed, 2 approved, 1 deferred, 1 succeeded$' "$D/out"
	# no colour when stdout is not a terminal
	run ! grep -q $'\033' "$D/out"
	"$R" timeline --color always --run r1 "$H" > "$D/color"
	grep -q $'\033\\[32mapproved\033\\[0m' "$D/color"
}

@test "timeline: shuffled input gives the same report" {
	"$R" timeline "$H" > "$D/a"
	tac "$H" > "$D/rev"
	"$R" timeline "$D/rev" > "$D/b"
	diff -u "$D/a" "$D/b"
}

@test "timeline --format json: runs, resources and steps" {
	"$R" timeline --format json "$H" > "$D/out"
	run jq -r '[.runs[] | .runid // "-"] | join(" ")' "$D/out"
	[ "$output" = "r1 - r2 r3 r4 r5" ]
	run jq -r '.runs[0].resources[] | select(.key == "k8s:prod/apps/Deployment/shop/web") | [.steps[].stage] | join(" ")' "$D/out"
	[ "$output" = "state drift proposed approved started succeeded" ]
	run jq -r '.runs[0].resources[] | select(.key == "host:web-1/sysctl/net.ipv4.ip_forward") | .steps[] | select(.stage == "approved") | [.action_id, .skill, .shadow, .reasons[0]] | @tsv' "$D/out"
	[ "$output" = "a2	sysctl-set	true	skill 'sysctl-set' is in shadow mode" ]
	run jq -r '.runs[1].resources[0] | [.key, (.steps | map(.stage) | join(" "))] | @tsv' "$D/out"
	[ "$output" = "incident:INC-1	incident resolved" ]
}

@test "timeline --subject and --since/--until narrow it" {
	"$R" timeline --format json --subject 'host:*' "$H" > "$D/out"
	run jq -r '[.runs[].resources[].key] | unique | join(" ")' "$D/out"
	[ "$output" = "host:web-1/package/openssl host:web-1/sysctl/net.ipv4.ip_forward host:web-2/package/curl" ]
	"$R" timeline --format json --since 2026-11-21T00:00:00Z --until 2026-11-21T12:00:00Z "$H" > "$D/out"
	run jq -r '[.runs[].runid] | join(" ")' "$D/out"
	[ "$output" = "r3" ]
}

@test "timeline reads an event log directly, and through tend log cat" {
	"$TEND_BIN/tend-log" append "$D/h.tlog.zst" < "$H" > /dev/null
	"$R" timeline "$D/h.tlog.zst" > "$D/a"
	"$TEND_BIN/tend-log" cat "$D/h.tlog.zst" | "$R" timeline > "$D/b"
	"$R" timeline "$H" > "$D/c"
	diff -u "$D/c" "$D/a"
	diff -u "$D/c" "$D/b"
	# with seq in JSON
	"$R" timeline --format json "$D/h.tlog.zst" > "$D/j"
	run jq '[.runs[].resources[].steps[].seq] | min' "$D/j"
	[ "$output" = 1 ]
	# a log on stdin is refused with a hint
	run "$R" timeline < "$D/h.tlog.zst"
	[ "$status" -eq 3 ]
	[[ $output == *"tend log cat"* ]]
}

@test "timeline --format html: one self-contained page with an SVG lane per resource" {
	"$R" timeline --format html "$H" > "$D/t.html"
	grep -q '^<!DOCTYPE html>' "$D/t.html"
	[ "$(grep -c '<svg ' "$D/t.html")" -eq 6 ]
	for k in $(jq -r 'select(.subject) | .subject' "$H" | sort -u); do
		grep -qF "$k" "$D/t.html" || { echo "missing $k"; return 1; }
	done
	run ! grep -Eq '<script|<link|src=|url\(' "$D/t.html"
}

@test "slo: exact figures on the scripted history" {
	"$R" slo --format json "$H" > "$D/s"
	run jq -c '.overall.drift' "$D/s"
	[ "$output" = '{"detected":4,"resolved":3,"open":1,"mttr_seconds":45000,"drift_seconds":199800,"drift_hours":55.5,"by_service":{"edge":{"drift_seconds":108000,"drift_hours":30},"shop":{"drift_seconds":91800,"drift_hours":25.5}}}' ]
	run jq -c '[.periods[] | [.period, .drift.detected, .drift.resolved, .drift.mttr_seconds, .drift.drift_seconds]]' "$D/s"
	[ "$output" = '[["2026-11-20",2,1,5400,91800],["2026-11-21",2,2,64800,108000],["2026-11-22",0,0,null,0]]' ]
	run jq -c '[.drift_episodes[] | [.key, .detected, .resolved, .seconds]]' "$D/s"
	[ "$output" = '[["host:web-1/sysctl/net.ipv4.ip_forward","2026-11-20T00:00:00Z","2026-11-21T06:00:00Z",108000],["k8s:prod/apps/Deployment/shop/web","2026-11-20T00:00:00Z","2026-11-20T01:30:00Z",5400],["k8s:prod/apps/Deployment/shop/web","2026-11-21T06:00:00Z",null,64800],["k8s:prod/core/Pod/shop/debug","2026-11-21T06:00:00Z","2026-11-21T12:00:00Z",21600]]' ]
	run jq -c '.overall.cve' "$D/s"
	[ "$output" = '{"found":2,"patched":1,"open":1,"mean_lag_seconds":108000,"max_lag_seconds":108000}' ]
	run jq -c '[.cve[] | [.advisory, .key, .lag_seconds]]' "$D/s"
	[ "$output" = '[["CVE-2024-0001","host:web-1/package/openssl",108000],["CVE-2024-0002","host:web-2/package/curl",null]]' ]
	run jq -c '.overall.incidents' "$D/s"
	[ "$output" = '{"opened":1,"resolved":1,"mttr_seconds":7200}' ]
	run jq -c '.cost_per_day' "$D/s"
	[ "$output" = '[{"day":"2026-11-20","service":"shop","cost":14.75},{"day":"2026-11-21","service":"shop","cost":16.25},{"day":"2026-11-22","service":"shop","cost":12}]' ]
	run jq -c '.overall.actions' "$D/s"
	[ "$output" = '{"proposed":6,"approved":3,"denied":0,"deferred":2,"escalated":1,"started":2,"succeeded":1,"failed":1,"skipped":0,"shadow":4}' ]
}

@test "slo: --until clips open episodes, --period week and all" {
	"$R" slo --format json --until 2026-11-21T00:00:00Z "$H" > "$D/s"
	run jq -c '[.until, .overall.drift.drift_seconds, .overall.drift.resolved, (.periods | length)]' "$D/s"
	[ "$output" = '["2026-11-21T00:00:00Z",91800,1,1]' ]
	"$R" slo --format json --period week "$H" > "$D/s"
	run jq -c '[.periods[] | [.period, .drift.drift_seconds]]' "$D/s"
	[ "$output" = '[["2026-W47",199800]]' ]
	"$R" slo --format json --period all "$H" > "$D/s"
	run jq -c '[(.periods | length), .overall.drift.mttr_seconds]' "$D/s"
	[ "$output" = '[0,45000]' ]
}

@test "slo text: the figures people read" {
	"$R" slo "$H" > "$D/out"
	grep -q '^  overall     4         3         12h30m  55.5$' "$D/out"
	grep -q '^  CVE-2024-0001  host:web-1/package/openssl  2026-11-20T00:00:00Z  2026-11-21T06:00:00Z  1d6h$' "$D/out"
	grep -q '^  2026-11-21  shop     16.25$' "$D/out"
}

@test "burnin: shadow record and the policy's promotion criteria" {
	"$R" burnin --policy "$T/burnin-policy.json" --format json "$H" > "$D/b"
	run jq -r '.skills[] | [.skill, .mode, .shadow.decisions, .shadow.approved, .shadow.deferred, .shadow.escalated, .auto.succeeded, .auto.failed, .promotion.verdict, .promotion.why] | @tsv' "$D/b"
	[ "${lines[0]}" = "k8s-revert	auto	0	0	0	0	1	1	promoted (auto)	" ]
	[ "${lines[1]}" = "sysctl-set	shadow	1	1	0	0	0	0	ready to promote	" ]
	[ "${lines[2]}" = "upgrade	shadow	3	0	2	1	0	0	not yet	3 of 5 shadow decisions" ]
	# without a policy: the record only
	"$R" burnin "$H" > "$D/t"
	grep -q '^upgrade ' "$D/t"
	# a policy that does not load is bad input
	echo '{"skills":{"x":{"mode":"sometimes"}}}' > "$D/p.json"
	run "$R" burnin --policy "$D/p.json" "$H"
	[ "$status" -eq 3 ]
}

@test "whatif: the same policy changes nothing" {
	decided_log
	run "$R" whatif --exit-code --policy "$T/whatif-policy.json" "$D/w.tlog.zst"
	[ "$status" -eq 0 ]
	[[ $output == *": 6 decisions at 2 times, 0 would change, 6 unchanged" ]]
}

@test "whatif: a tightened window lists exactly the actions it excludes" {
	decided_log
	"$R" whatif --format json --policy "$T/whatif-tight.json" "$D/w.tlog.zst" > "$D/j"
	run jq -r '.changed[] | [.action_id, .was.verdict, .now.verdict] | @tsv' "$D/j"
	[ "$output" = "act-2	approved	deferred
act-3	approved	deferred
act-4	approved	deferred" ]
	run jq -c '[.decisions, .times, .unchanged]' "$D/j"
	[ "$output" = "[6,2,3]" ]
	run "$R" whatif --exit-code --policy "$T/whatif-tight.json" "$D/w.tlog.zst"
	[ "$status" -eq 1 ]
	[[ $output == *"3 would change"* ]]
	# only one run
	"$R" whatif --format json --run w2 --policy "$T/whatif-tight.json" "$D/w.tlog.zst" > "$D/j"
	run jq -c '[.decisions, (.changed | length)]' "$D/j"
	[ "$output" = "[2,0]" ]
}

@test "whatif: a policy that does not load, a gate that cannot run" {
	decided_log
	echo '{"windows":[{"name":"x","effect":"allow","cron":"0 25 * * *","duration":"1h","tz":"UTC"}]}' > "$D/bad.json"
	run "$R" whatif --policy "$D/bad.json" "$D/w.tlog.zst"
	[ "$status" -eq 3 ]
	[[ $output == *"25"* ]]
	run "$R" whatif --gate /nonexistent/tend-gate --policy "$T/whatif-policy.json" "$D/w.tlog.zst"
	[ "$status" -eq 4 ]
	[[ $output == *"cannot run '/nonexistent/tend-gate'"* ]]
}

@test "postmortem: timeline, SLOs, burn-in and what-if in one page" {
	decided_log
	cat "$H" "$D/decided.ndjson" > "$D/all.ndjson"
	"$R" postmortem --title 'INC-1: web 502s' --policy "$T/whatif-tight.json" "$D/all.ndjson" > "$D/pm.html"
	grep -q '<title>INC-1: web 502s</title>' "$D/pm.html"
	for id in timeline slo burnin whatif; do
		grep -q "<h2 id=\"$id\">" "$D/pm.html"
	done
	grep -q 'would change' "$D/pm.html"
	grep -q '>act-2<' "$D/pm.html"
	grep -q 'CVE-2024-0001' "$D/pm.html"
}

@test "a bad line stops the run with 3; --keep-going reports it and goes on" {
	{ head -3 "$H"; echo '{"specversion":"1.0"}'; tail -2 "$H"; } > "$D/in"
	"$R" timeline "$D/in" > "$D/out" 2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 3 ]
	[ "$(cat "$D/err")" = "tend-report: $D/in:4: missing attribute 'id'" ]
	[ ! -s "$D/out" ]
	"$R" timeline -k "$D/in" > "$D/out" 2> "$D/err" && st=0 || st=$?
	[ "$st" -eq 3 ]
	grep -q '^run r1 ' "$D/out"
	[ "$(cat "$D/err")" = "tend-report: $D/in:4: missing attribute 'id'" ]
}

@test "an unreadable file is a system error (4)" {
	run "$R" timeline "$D/nope"
	[ "$status" -eq 4 ]
	[[ $output == *"cannot open '$D/nope'"* ]]
}

@test "empty input: an empty report" {
	run "$R" timeline < /dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "no events" ]
	run "$R" slo --format json < /dev/null
	[ "$status" -eq 0 ]
	[[ $output == '{"from":null,"until":null,'* ]]
}

@test "the HTML timeline renders in headless Chromium" {
	command -v chromium > /dev/null || skip "chromium is not installed (make deps)"
	"$R" timeline --format html "$H" > "$D/t.html"
	mkdir -p "$D/profile"
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic \
	    --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync \
	    --user-data-dir="$D/profile" --screenshot="$D/t.png" \
	    --window-size=1200,800 "file://$D/t.html" > /dev/null 2>&1
	[ -s "$D/t.png" ]
	# non-blank: many distinct colours (lanes, markers, text)
	run python3 "$T/png-colors.py" "$D/t.png"
	[ "$status" -eq 0 ]
	[ "$output" -gt 20 ]
}
