#!/bin/sh
# Regenerates input.ndjson, the state the network skills are tested on,
# through the real pipeline: tend collect host --sockets over host-root/
# (a /proc of listening sockets written in the kernel's format, with the
# processes that own them) and tend collect file of the conformance
# Service and manifests/services.yaml, then tend normalize.
# input.ndjson is committed; run this only when the event shapes change.
# TEND_BIN names the programs.
set -eu
cd "$(dirname "$0")"
B=${TEND_BIN:-$PWD/../../../bin}
K=${TEND_CONFORMANCE:-$PWD/../../../../shared/conformance}/k8s
TEND_NOW=2026-11-22T05:00:00Z
export TEND_NOW
{
	"$B/tend-collect" --run network-test host --root host-root --sockets
	"$B/tend-collect" --run network-test --scope prod file \
	    "$K/gitops-engine/smd-service-live.yaml" manifests/services.yaml
} | "$B/tend-normalize" > input.ndjson
