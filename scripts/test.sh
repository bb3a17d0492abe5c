#!/bin/sh
# test.sh: the README's second command, and exactly what CI runs.
# Builds twice and runs the whole suite in each:
#   build/       the normal build
#   build-asan/  CLI, unit-tested modules and unit tests under ASan+UBSan
#                (libscope.so itself stays plain: it is preloaded into
#                programs that do not carry the ASan runtime)
set -eu
cd "$(dirname "$0")/.."

scripts/deps.sh
jobs=$(nproc)
status=0

for flavour in build build-asan; do
    san=OFF
    [ "$flavour" = build-asan ] && san=ON
    echo "== $flavour (SCOPE_SANITIZE=$san)"
    cmake -S . -B "$flavour" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSCOPE_SANITIZE=$san >/dev/null
    cmake --build "$flavour" -j"$jobs"
    (cd "$flavour" && ctest --output-on-failure -j"$jobs") || status=1
done
exit $status
