#!/bin/sh
# Regenerates input.ndjson, the drift the config-drift skills are tested
# on, through the real pipeline: collect (the Kubernetes objects of
# ../../../../shared/conformance/k8s and the host tree host-root/) |
# normalize | diff --pass against desired/*.yaml and a desired host.
# input.ndjson is committed; run this only when the event shapes change.
# TEND_BIN names the programs (default: bin/ of this tree).
set -eu
cd "$(dirname "$0")"
B=${TEND_BIN:-$PWD/../../../bin}
K=${TEND_CONFORMANCE:-$PWD/../../../../shared/conformance}/k8s
TEND_NOW=2026-11-22T05:00:00Z
export TEND_NOW
LC_ALL=C
export LC_ALL

{
	"$B/tend-collect" --run drift-test --scope prod file \
	    "$K/gitops-engine/smd-deploy-live.yaml" \
	    "$K/gitops-engine/smd-service-live.yaml" \
	    "$K/kubectl/rc-managedfields-lastapplied.yaml" \
	    "$K/gitops-engine/pod-running-restart-always.yaml"
	"$B/tend-collect" --run drift-test host --root host-root \
	    --sysctl net.ipv4.ip_forward,kernel.kptr_restrict \
	    --file /etc/ssh/sshd_config
} | "$B/tend-normalize" > observed.ndjson

# The desired host: ip_forward 0; sshd_config 0600 with the content of
# files.json; net.core.somaxconn and /etc/motd, which the host lacks.
sshd=$(jq -j '.["/etc/ssh/sshd_config"]' files.json | sha256sum | cut -c1-64)
motd=$(jq -j '.["/etc/motd"].content' files.json | sha256sum | cut -c1-64)
{
	"$B/tend-collect" --run desired --scope prod file desired/*.yaml
	"$B/tend-collect" --run desired host --root host-root \
	    --sysctl net.ipv4.ip_forward,kernel.kptr_restrict \
	    --file /etc/ssh/sshd_config |
	jq -c --arg sshd "$sshd" --arg motd "$motd" '
	    if .data.kind == "sysctl" and .data.name == "net.ipv4.ip_forward"
	    then .data.object.value = "0"
	    elif .data.kind == "file" then
		.data.object |= (.mode = "0600" | .sha256 = $sshd | del(.content))
	    else . end,
	    if .data.kind == "file" then
		.subject = "host:web-1/file/etc/motd" | .id += "m"
		| .data.name = "/etc/motd"
		| .data.object |= (.path = "/etc/motd" | .sha256 = $motd)
	    elif .data.name == "net.ipv4.ip_forward" then
		.subject = "host:web-1/sysctl/net.core.somaxconn"
		| .id += "s" | .data.name = "net.core.somaxconn"
		| .data.object = {name: "net.core.somaxconn", value: "4096"}
	    else empty end'
} | "$B/tend-normalize" > desired.ndjson

"$B/tend-diff" --pass --scope kind=Pod --desired desired.ndjson \
    < observed.ndjson > input.ndjson
rm observed.ndjson desired.ndjson
