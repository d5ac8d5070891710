#!/usr/bin/env bats
# bin/tend, the dispatcher.

setup() {
	TEND=${TEND_BIN:-$BATS_TEST_DIRNAME/../../bin}/tend
}

@test "tend --help lists the installed stages, one line each" {
	run "$TEND" --help
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "usage: tend [-hV] stage [args ...]" ]]
	[[ $output == *"  validate   check events against the envelope and the schemas"* ]]
}

@test "tend with no stage is a usage error" {
	run "$TEND"
	[ "$status" -eq 2 ]
}

@test "an unknown stage is a usage error with a clear message" {
	run "$TEND" frobnicate
	[ "$status" -eq 2 ]
	[ "$output" = "tend: 'frobnicate' is not a tend stage (no tend-frobnicate); see 'tend --help'" ]
}

@test "a stage name cannot reach outside: tend ../x" {
	run "$TEND" ../x
	[ "$status" -eq 2 ]
	[ "$output" = "tend: '../x' is not a stage name" ]
}

@test "tend STAGE passes arguments and the exit status through" {
	run "$TEND" validate --version
	[ "$status" -eq 0 ]
	[[ $output == "tend-validate (tend) "* ]]
	run "$TEND" validate --bogus
	[ "$status" -eq 2 ]
}
