#!/usr/bin/env bats
# pipelines/pg-settings against a real PostgreSQL (Debian's package),
# started here as the postgres user on 127.0.0.1 with a free port: a
# settings drift is found with psql through tend collect exec, fixed with
# ALTER SYSTEM + reload by tend apply, and verified by a second collect.

setup_file() {
	export TEND_BIN=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}
	export S=$BATS_FILE_TMPDIR
	PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -n "$PGBIN" ] && [ -x /usr/bin/psql ] && id postgres > /dev/null 2>&1 &&
	    [ "$(id -u)" -eq 0 ] || return 0
	PGPORT=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	export PGPORT PGHOST=127.0.0.1 PGUSER=postgres PGDATABASE=postgres
	# the server's files, where the postgres user can reach them
	PGD=$(mktemp -d /tmp/tend-pg.XXXXXX)
	export PGD
	echo "$PGD" > "$S/pgdir"
	chown postgres: "$PGD"
	runuser -u postgres -- "$PGBIN/initdb" -D "$PGD/data" --auth=trust \
	    -U postgres > "$S/initdb.log" 2>&1
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/log" \
	    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGD" -w start \
	    > "$S/pg_ctl.log" 2>&1 3>&-
	head -1 "$PGD/data/postmaster.pid" > "$S/pg.pid"
	for _ in $(seq 1 100); do
		psql -XAtqc 'select 1' > /dev/null 2>&1 && break
		sleep 0.1
	done
	# the drift: someone raised work_mem by hand
	psql -Xq -c "ALTER SYSTEM SET work_mem = '64MB'" -c 'SELECT pg_reload_conf()' > /dev/null
}

teardown_file() {
	[ -f "$S/pg.pid" ] && kill "$(cat "$S/pg.pid")"
	for _ in $(seq 1 50); do
		[ -e "$(cat "$S/pgdir" 2>/dev/null)/data/postmaster.pid" ] || break
		sleep 0.1
	done
	[ -f "$S/pgdir" ] && rm -rf "$(cat "$S/pgdir")"
	return 0
}

setup() {
	[ -f "$S/pg.pid" ] || skip "PostgreSQL is not installed (or not root)"
	P=$BATS_TEST_DIRNAME/../../pipelines/pg-settings
	echo '[{"name": "work_mem", "setting": "4096"}, {"name": "statement_timeout", "setting": "0"}]' > "$S/desired.json"
	export TEND_PG_DESIRED=$S/desired.json TEND_LOG=$S/pg.tlog.zst
	export TEND_SCOPE=pg-e2e TEND_NOW=2026-11-22T05:00:00Z
}

@test "drift: work_mem was raised by hand" {
	[ "$(psql -XAtqc 'show work_mem')" = 64MB ]
}

@test "pg-settings puts work_mem back with ALTER SYSTEM and a reload" {
	TEND_RUNID=pg-1 run "$P/run" "$S/work"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ $output == *"pg-settings: pg-e2e matches its desired settings"* ]]
	[ "$(psql -XAtqc 'show work_mem')" = 4MB ]
	L=$S/pg.tlog.zst
	run "$TEND_BIN/tend-report" timeline --format json --run pg-1 "$L"
	echo "$output" > "$S/tl.json"
	run jq -r '.runs[0].resources[] | select(.key == "exec:pg-e2e/setting/work_mem") | [.steps[].stage] | join(" ")' "$S/tl.json"
	[ "$output" = "state drift proposed approved started succeeded" ]
	# the second collect saw it fixed: no drift in the verify run
	[ -z "$("$TEND_BIN/tend-log" cat --run pg-1-verify --type tend.drift.detected "$L")" ]
	"$TEND_BIN/tend-report" slo --format json "$L" > "$S/slo.json"
	run jq -c '[.overall.drift.resolved, .overall.drift.mttr_seconds]' "$S/slo.json"
	[ "$output" = "[1,60]" ]
}
