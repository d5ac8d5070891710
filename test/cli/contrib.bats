#!/usr/bin/env bats
# contrib/: tend-run's lock and log path, the systemd units, the cron
# example and the bash completion.

setup() {
	TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	C=$BATS_TEST_DIRNAME/../../contrib
	D=$BATS_TEST_TMPDIR
	# a pipeline that says where its log goes, then waits for a file
	mkdir -p "$D/pipelines/slow"
	cat > "$D/pipelines/slow/run" <<'EOF'
#!/bin/sh
echo "work=$1 log=$TEND_LOG greeting=${GREETING-}"
while [ ! -e "$TEND_STATE/go" ]; do sleep 0.1; done
EOF
	chmod 755 "$D/pipelines/slow/run"
	export TEND_STATE=$D/state TEND_PIPELINES=$D/pipelines TEND_ETC=$D/etc
}

@test "tend-run: runs the pipeline with its log under the state directory" {
	mkdir -p "$D/etc" "$D/state"
	echo 'GREETING=hello' > "$D/etc/slow.env"
	touch "$D/state/go"
	run "$C/tend-run" slow
	[ "$status" -eq 0 ]
	[ "$output" = "work=$D/state/slow.work log=$D/state/slow.tlog.zst greeting=hello" ]
}

@test "tend-run: a second run while the first holds the lock skips" {
	mkdir -p "$D/state"
	"$C/tend-run" slow > "$D/first" 2>&1 &
	first=$!
	# wait until the first run holds the lock
	for _ in $(seq 1 100); do
		grep -q work= "$D/first" 2>/dev/null && break
		sleep 0.1
	done
	run "$C/tend-run" slow
	[ "$status" -eq 0 ]
	[[ $output == *"tend-run: slow: the previous run still holds $D/state/slow.lock; skipping this one"* ]]
	touch "$D/state/go"
	wait "$first"
	# and once it is done, the next run goes
	run "$C/tend-run" slow
	[ "$status" -eq 0 ]
	[[ $output == "work="* ]]
}

@test "tend-run: usage and unknown pipelines" {
	run "$C/tend-run"
	[ "$status" -eq 2 ]
	run "$C/tend-run" ../etc
	[ "$status" -eq 2 ]
	run "$C/tend-run" nope
	[ "$status" -eq 2 ]
	[[ $output == *"no pipeline 'nope'"* ]]
}

@test "the systemd units pass systemd-analyze verify" {
	command -v systemd-analyze > /dev/null || skip "no systemd-analyze"
	mkdir -p "$D/units" "$D/bin"
	cp "$C/systemd/tend@.service" "$C/systemd/tend@.timer" "$D/units/"
	# verify wants ExecStart to exist: point it at a stand-in
	printf '#!/bin/sh\nexit 0\n' > "$D/bin/tend-run"
	chmod 755 "$D/bin/tend-run"
	sed -i "s|/usr/local/bin/tend-run|$D/bin/tend-run|" "$D/units/tend@.service"
	cp "$D/units/tend@.service" "$D/units/tend@demo.service"
	cp "$D/units/tend@.timer" "$D/units/tend@demo.timer"
	run env SYSTEMD_LOG_LEVEL=err systemd-analyze verify --man=no \
	    "$D/units/tend@demo.service" "$D/units/tend@demo.timer"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	grep -q '^StateDirectory=tend$' "$C/systemd/tend@.service"
	grep -q '^OnCalendar=' "$C/systemd/tend@.timer"
}

@test "the cron example runs pipelines through tend-run" {
	run grep -c '^[^#].* root tend-run [a-z-]*$' "$C/cron/tend"
	[ "$output" -ge 1 ]
}

# Completes the words given (the last one being completed); prints the
# candidates one per line.
complete_words() {
	PATH="$TEND_BIN:$PATH" bash -c '
		source "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		if [[ ${COMP_WORDS[0]} == tend ]]; then _tend; else _tend_prog; fi
		printf "%s\n" "${COMPREPLY[@]}"
	' _ "$C/bash-completion/tend" "$@"
}

@test "completion: stages, subcommands, options and their values" {
	[ -x "$TEND_BIN/tend" ] || skip "no tend dispatcher in $TEND_BIN"
	run complete_words tend re
	[ "$output" = "report" ]
	run complete_words tend l
	[ "$output" = "log" ]
	run complete_words tend report ''
	[ "$output" = "$(printf '%s\n' timeline slo burnin whatif postmortem)" ]
	run complete_words tend report timeline --fo
	[ "$output" = "--format" ]
	run complete_words tend report timeline --format ''
	[ "$output" = "$(printf '%s\n' text json html)" ]
	run complete_words tend report slo --period w
	[ "$output" = "week" ]
	run complete_words tend log c
	[ "$output" = "cat" ]
	run complete_words tend-validate --ma
	[ "$output" = "--max-line" ]
	# an option taking a file completes files
	touch "$D/policy.json"
	run complete_words tend report whatif --policy "$D/pol"
	[ "$output" = "$D/policy.json" ]
}
