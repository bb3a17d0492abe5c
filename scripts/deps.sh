#!/bin/sh
# deps.sh: install the Debian packages scope needs to build and test.
# Installs only what is missing; needs root (or sudo) when something is.
#   scripts/deps.sh           build and test
#   scripts/deps.sh --bench   also what the benchmark compares against
#   scripts/deps.sh --fuzz    also clang, for tests/fuzz/run
set -eu

# Build: compilers, cmake, libelf, libunwind, Check, jansson, libyaml,
# ncurses (scope top); musl-tools for libscope's musl build and the musl
# test programs.
# Tests: python3 with jsonschema (schema validation), util-linux (setpriv),
# tmux (drives scope top on a terminal),
# Etsy's StatsD daemon from npm (below),
# and the real servers and load generators attach is tested against;
# podman with runc (runc named: the alternative, crun, fails on some
# kernels' cgroup layouts), tar and iproute2 for the container tests
# (tests/container: images made with podman import, loopback brought up
# in bare network namespaces); openssl (test certificates), libssl-dev
# (a TLS test client, also linked statically: libssl.a) and gnutls-bin
# (gnutls-cli) for the HTTPS tests.
PACKAGES="build-essential cmake pkg-config libelf-dev libunwind-dev check \
libjansson-dev libyaml-dev libncurses-dev musl-tools python3 python3-jsonschema coreutils \
util-linux procps curl nginx redis-server redis-tools wrk tmux podman runc tar iproute2 \
openssl libssl-dev gnutls-bin"
# Benchmark: the tools scope is compared with, and instruction counters.
[ "${1:-}" = "--bench" ] && PACKAGES="$PACKAGES strace ltrace valgrind linux-perf"
# Fuzzing: libFuzzer comes with clang.
[ "${1:-}" = "--fuzz" ] && PACKAGES="$PACKAGES clang"

# apt-get install $missing, as root or through sudo.
install_packages() {
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
    return 0
}

# Etsy's StatsD daemon, which the tests send metrics to: from npm, into
# .deps/ of this checkout (Debian has no package of it). node and npm come
# with the machine or from Debian.
STATSD_VERSION=0.9.0
statsd_install() {
    dir="$(cd "$(dirname "$0")/.." && pwd)/.deps/statsd"
    [ -f "$dir/node_modules/statsd/stats.js" ] && return 0
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        missing="nodejs npm"
        install_packages
    fi
    echo "scope: installing statsd@$STATSD_VERSION from npm into $dir" >&2
    npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error \
        "statsd@$STATSD_VERSION" >&2
}

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -n "$missing" ] && install_packages
statsd_install
exit 0

