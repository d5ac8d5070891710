#!/bin/sh
# Regenerates input.ndjson, the packages the patch skills are tested on,
# through the real pipeline: tend collect host --packages over hosts/*/
# (web-1: a trimmed copy of a Debian 12 machine's /var/lib/dpkg/status;
# legacy-1: a Debian 7 host, stanzas written in dpkg's format) and tend
# collect file of app-packages.json (npm and PyPI dependencies of an
# application), then tend normalize.  input.ndjson is committed; run this
# only when the event shapes change.  TEND_BIN names the programs.
set -eu
cd "$(dirname "$0")"
B=${TEND_BIN:-$PWD/../../../bin}
TEND_NOW=2026-11-22T05:00:00Z
export TEND_NOW
{
	for h in web-1 legacy-1; do
		"$B/tend-collect" --run patch-test host --packages \
		    --root "hosts/$h"
	done
	"$B/tend-collect" --run patch-test --scope shop-frontend file \
	    --kind package --items '.packages[]' --key '.name' \
	    app-packages.json
} | "$B/tend-normalize" > input.ndjson
