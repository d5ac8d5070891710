#!/bin/sh
# Installs the Debian packages tend needs to build (build) or to build and
# run every test (all), when any is missing.  Needs root for apt-get.
set -eu

build="gcc clang make pkg-config libjq-dev libonig-dev libzstd-dev
libsodium-dev libbsd-dev libcurl4-openssl-dev libyaml-dev libcmocka-dev"
tests="bats jq zstd perl python3 python3-jsonschema shellcheck cppcheck clang-tidy
prometheus prometheus-alertmanager nginx-light postgresql curl iproute2 chromium
procps openssl ca-certificates tzdata"

case ${1:-all} in
build) want=$build ;;
all) want="$build $tests" ;;
*) echo "usage: deps.sh build|all" >&2; exit 2 ;;
esac

missing=
for p in $want; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$s" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "tend: missing Debian packages:$missing" >&2
	echo "tend: run 'make deps' as root, or: apt-get install$missing" >&2
	exit 4
fi
echo "tend: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# The services are started by the tests themselves, on loopback only.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -q >/dev/null || apt-get update
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
