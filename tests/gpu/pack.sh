#!/usr/bin/env bash
# Packs what tests/gpu/run.sh needs on a lent GPU machine that lacks the
# build's dependencies (its image has CUDA, but not libgit2, SQLite, the
# tree-sitter grammars, ...): stripped, xz'd binaries built here, the
# shared libraries they load beyond glibc and libstdc++, and a testdata
# subset (one model per architecture and weight type), into .gpu-carry/
# (git-ignored through .git/info/exclude). Then, with the device tool:
#   run(command="bash tests/gpu/run.sh", carry=[".gpu-carry"])
#
# usage: tests/gpu/pack.sh [BUILD_DIR]   default build/gpu; configured
#        (Release, CUDA for sm_90) and built when it has no binaries yet.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/gpu}
testdata=${LONGHAUL_TESTDATA:-$PWD/../shared/testdata}
if [[ ! -x $build/agent/longhaul || ! -x $build/tests/gpu/gpu_test ]]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLONGHAUL_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90
  cmake --build "$build" --target gpu_test longhaul -j "$(nproc)"
fi
carry=.gpu-carry
rm -rf "$carry"
mkdir -p "$carry/lib" "$carry/testdata/models" "$carry/testdata/refs"
for f in "$build/agent/longhaul" "$build/tests/gpu/gpu_test"; do
  strip -o "/tmp/pack-$(basename "$f")" "$f"
  xz -T0 -6 -c "/tmp/pack-$(basename "$f")" > "$carry/$(basename "$f").xz"
done
ldd "$build/agent/longhaul" "$build/tests/gpu/gpu_test" | awk '/=> \// {print $3}' |
  grep -vE '/lib(c|m|pthread|dl|rt|stdc\+\+|gcc_s)\.so' | sort -u | xargs cp -L -t "$carry/lib"
models=(stories260K tiny-llama-spm-f32 tiny-llama-spm-f16 tiny-llama-spm-bf16 tiny-llama-spm-q8_0
        tiny-llama-spm-q4_0 tiny-llama-spm-q4_k tiny-llama-spm-q5_k tiny-llama-spm-q6_k tiny-llama-bpe-q8_0
        tiny-qwen2-q8_0 tiny-qwen3-q8_0 tiny-qwen3-q4_k_m)
for m in "${models[@]}"; do
  cp "$testdata/models/$m.gguf" "$carry/testdata/models/"
  cp -r "$testdata/refs/$m" "$carry/testdata/refs/"
done
cp "$testdata"/refs/*.txt "$carry/testdata/refs/"
grep -qx '/.gpu-carry/' .git/info/exclude 2>/dev/null || echo '/.gpu-carry/' >> .git/info/exclude
du -sh "$carry"
