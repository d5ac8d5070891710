#!/bin/sh
# Regenerates input.ndjson, the state the cost skill is tested on, through
# the real pipeline: tend collect file (the conformance Deployment, which
# requests nothing, and manifests/workloads.yaml) | tend normalize.
# usage.json is a Prometheus /api/v1/query_range response (a matrix of
# 6-hour samples over 10 days) as `tend collect prometheus` or curl would
# save it; prices.yaml a price table.  input.ndjson is committed; run
# this only when the event shapes change.  TEND_BIN names the programs.
set -eu
cd "$(dirname "$0")"
B=${TEND_BIN:-$PWD/../../../bin}
K=${TEND_CONFORMANCE:-$PWD/../../../../shared/conformance}/k8s
TEND_NOW=2026-11-22T05:00:00Z
export TEND_NOW
"$B/tend-collect" --run cost-test --scope prod file \
    "$K/gitops-engine/smd-deploy-live.yaml" manifests/workloads.yaml |
    "$B/tend-normalize" > input.ndjson
