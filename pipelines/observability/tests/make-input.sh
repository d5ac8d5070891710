#!/bin/sh
# How input.ndjson and desired.ndjson were made (not run by the tests):
# the state and drift events of the first run of test/e2e/observability.bats
# (real Prometheus 2.42 and host sockets, run obs-1), with the scratch
# paths renamed to /etc/prometheus/rules, /srv/rules and
# /etc/prometheus/file_sd and the free ports to 9090 (Prometheus), 9100
# (the exporter), 8080 (the unscraped api service) and 9999 (the target
# kept down); digests are as captured.  Then one Kubernetes Service list
# from the conformance objects, through collect and normalize:
#
#   tend collect --run obs-1 --now 2026-11-23T02:42:33Z file --context prod \
#       ../shared/conformance/k8s/derived/smd-service-live.json \
#     | tend normalize --now 2026-11-23T02:42:33Z >> input.ndjson
#
# desired.ndjson is the run's work/desired.ndjson, renamed the same way.
echo "see the comments in $0" >&2
exit 1
