#!/bin/sh
# setup.sh: the README's first command. Installs what is missing, builds
# into build/, and runs the demo: `scope run` on examples/filedemo, then
# shows what was captured.
set -eu
cd "$(dirname "$0")/.."

scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"

demo=$(mktemp -d)
export SCOPE_HOME="${SCOPE_HOME:-$HOME/.scope}"
echo
echo "== demo: build/bin/scope run -- build/bin/filedemo $demo"
build/bin/scope run -- build/bin/filedemo "$demo"
echo
echo "== build/bin/scope metrics"
build/bin/scope metrics
echo
echo "== build/bin/scope events"
build/bin/scope events
rm -rf "$demo"
