#!/bin/sh
# deps.sh: install the Debian packages scope needs to build and test.
# Installs only what is missing; needs root (or sudo) when something is.
set -eu

PACKAGES="build-essential cmake pkg-config libelf-dev libunwind-dev check \
libjansson-dev python3 python3-jsonschema coreutils"

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
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
