#!/usr/bin/env bash
# Builds the GGUF reader's libFuzzer target with clang-14 (plus ASan and
# UBSan) and runs it, one job, starting from the checked-in seed corpus.
#
# usage: scripts/fuzz.sh [SECONDS] [BUILD_DIR]
#   SECONDS    how long to fuzz (default 300)
#   BUILD_DIR  where to build (default /tmp/longhaul_fuzz_build)
# New inputs go to BUILD_DIR/fuzz-gguf/corpus, crashes to
# BUILD_DIR/fuzz-gguf/artifacts. A crash is a bug: fix it and add the input
# under tests/engine/gguf/regressions/ (named bad-*.gguf, or ok-*.gguf if
# it must parse), where gguf_test replays it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-300}
build=${2:-/tmp/longhaul_fuzz_build}

cmake -G Ninja -S "$root" -B "$build" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DLONGHAUL_FUZZ=ON -DLONGHAUL_SANITIZE=ON -DLONGHAUL_CUDA=OFF >/dev/null
ninja -C "$build" -j2 gguf_fuzz

work="$build/fuzz-gguf"
mkdir -p "$work/corpus" "$work/artifacts"
# -malloc_limit_mb: a header that makes the reader allocate more than this
# from a few KiB of input is itself a bug.
exec "$build/tests/fuzz/gguf_fuzz" "$work/corpus" "$root/tests/fuzz/corpus/gguf" \
  -max_total_time="$seconds" -malloc_limit_mb=256 -max_len=8192 \
  -artifact_prefix="$work/artifacts/" -print_final_stats=1
