#!/bin/sh
# deps.sh: install the Debian packages scope needs to build and test.
# Installs only what is missing; needs root (or sudo) when something is.
#   scripts/deps.sh           build and test
#   scripts/deps.sh --bench   also what the benchmark compares against
#   scripts/deps.sh --fuzz    also clang, for tests/fuzz/run
set -eu

# Build: compilers, cmake, libelf, libunwind, Check, jansson, libyaml.
# Tests: python3 with jsonschema (schema validation), util-linux (setpriv),
# and the real servers and load generators attach is tested against.
PACKAGES="build-essential cmake pkg-config libelf-dev libunwind-dev check \
libjansson-dev libyaml-dev python3 python3-jsonschema coreutils util-linux procps curl \
nginx redis-server redis-tools wrk"
# Benchmark: the tools scope is compared with, and instruction counters.
[ "${1:-}" = "--bench" ] && PACKAGES="$PACKAGES strace ltrace valgrind linux-perf"
# Fuzzing: libFuzzer comes with clang.
[ "${1:-}" = "--fuzz" ] && PACKAGES="$PACKAGES clang"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "scope: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "scope: missing packages:$missing; run this script as root" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Servers must not be started as system services by their install: the
# tests start their own, on loopback, on ports they choose.
no_services=/usr/sbin/policy-rc.d
placed=""
if [ ! -e "$no_services" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$no_services" >/dev/null
    $SUDO chmod 755 "$no_services"
    placed=1
fi
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
[ -n "$placed" ] && $SUDO rm -f "$no_services"
exit 0
