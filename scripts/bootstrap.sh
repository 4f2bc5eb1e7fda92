#!/usr/bin/env bash
# The one entry point for a fresh Debian 12 machine.
#
#   bash scripts/bootstrap.sh demo   install, build (Release), run the demo
#   bash scripts/bootstrap.sh test   install, build (ASan+UBSan), run every test
#
# Everything the build and tests need is installed here: Debian packages,
# pinned, checksummed npm tarballs (scripts/npm-packages.txt), and the npm
# test peers with their locked dependency trees (tests/peers/*/).
set -euo pipefail
mode=${1:-}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

case "$mode" in
  demo|test) ;;
  *) echo "usage: bash scripts/bootstrap.sh demo|test" >&2; exit 2 ;;
esac

bash scripts/install-deps.sh
bash scripts/fetch-npm.sh
bash scripts/fetch-npm-peers.sh

jobs=$(nproc)
if [[ $mode == demo ]]; then
  cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DLONGHAUL_BUILD_TESTS=OFF
  cmake --build build/release -j "$jobs" --target longhaul
  exec bash scripts/demo.sh build/release/agent/longhaul
fi

# Tests run under AddressSanitizer and UndefinedBehaviorSanitizer. -O1 keeps
# them quick to build while the engine tests still run in seconds.
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLONGHAUL_SANITIZE=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG"
cmake --build build/asan -j "$jobs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir build/asan --output-on-failure -j "$jobs"
