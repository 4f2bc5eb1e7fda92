#!/usr/bin/env bash
# The CUDA backend's checks on a lent GPU (issue: CUDA backend). One run:
#   1. the [gpu] tests (CUDA against the CPU backend and llama.cpp's logits),
#   2. `bench engine --backend cuda` on a ~1B-parameter Q8_0 model made by
#      `longhaul model tiny`, and on the testdata models,
#   3. `bench kv --backend cuda`: decode attention time at 32K, 128K and 1M,
# with every log under $OUT (default ./gpu-out) and a summary.json that
# puts decode speed against the H200's bandwidth roofline.
#
# Binaries come from one of two places:
#   - .gpu-carry/ (made here by tests/gpu/pack.sh, for a machine without
#     the build's dependencies): prebuilt binaries, their shared libraries
#     and a testdata subset;
#   - otherwise a build: configure with CUDA for the local device and build
#     only gpu_test and longhaul.
# Budget: under 8 minutes on an H200 (the 1B model takes ~20 s to write).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/run.log") 2>&1
started=$(date +%s)
step() { echo "== [$(( $(date +%s) - started ))s] $*"; }

step "device"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem --format=csv || true

if [[ -d .gpu-carry ]]; then
  step "using the prebuilt binaries in .gpu-carry"
  bin=/tmp/longhaul-gpu
  mkdir -p "$bin"
  for f in longhaul gpu_test; do
    if command -v xz > /dev/null; then
      xz -dc ".gpu-carry/$f.xz" > "$bin/$f"
    else  # the image's python has lzma
      python3 -c 'import lzma, sys; sys.stdout.buffer.write(lzma.open(sys.argv[1]).read())' ".gpu-carry/$f.xz" > "$bin/$f"
    fi
    chmod +x "$bin/$f"
  done
  export LD_LIBRARY_PATH="$PWD/.gpu-carry/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export LONGHAUL_TESTDATA=${LONGHAUL_TESTDATA:-$PWD/.gpu-carry/testdata}
  longhaul=$bin/longhaul
  gpu_test=$bin/gpu_test
else
  step "configure and build (CUDA, this device's architecture)"
  arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '.')
  cmake -S . -B build/gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DLONGHAUL_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES="${arch:-90}" > "$OUT/configure.log" 2>&1 || { tail -30 "$OUT/configure.log"; exit 1; }
  cmake --build build/gpu --target gpu_test longhaul -j "$(nproc)" > "$OUT/build.log" 2>&1 ||
    { grep -E "error|FAILED" "$OUT/build.log" | head -40; exit 1; }
  longhaul=$PWD/build/gpu/agent/longhaul
  gpu_test=$PWD/build/gpu/tests/gpu/gpu_test
  export LONGHAUL_TESTDATA=${LONGHAUL_TESTDATA:-$PWD/../shared/testdata}
fi
"$longhaul" devices | tee "$OUT/devices.txt"

step "[gpu] tests"
timeout 240 "$gpu_test" "[gpu],[backend]" --durations yes > "$OUT/gpu_test.log" 2>&1
tests_rc=$?
tail -5 "$OUT/gpu_test.log"
grep -E "^cuda |^tiered|vs cpu|FAILED|SKIPPED" "$OUT/gpu_test.log" | head -80

step "1B Q8_0 model"
model=/tmp/longhaul-1b-q8_0.gguf
[[ -f $model ]] || "$longhaul" model tiny --arch llama --type q8_0 --layers 16 --embd 2048 --heads 32 \
  --kv-heads 8 --ff 8192 --vocab 32000 --ctx 131072 --out "$model" | tee "$OUT/model.txt"

step "bench engine --backend cuda (1B)"
timeout 120 "$longhaul" bench engine -m "$model" --backend cuda --pp 512 --tg 128 --reps 3 -b 512 -c 1024 \
  > "$OUT/bench_engine_1b.json" 2> "$OUT/bench_engine_1b.err"
cat "$OUT/bench_engine_1b.json"; tail -3 "$OUT/bench_engine_1b.err"

step "bench engine --backend cuda (testdata models)"
: > "$OUT/bench_engine_testdata.jsonl"
for m in "$LONGHAUL_TESTDATA"/models/*.gguf; do
  timeout 30 "$longhaul" bench engine -m "$m" --backend cuda --pp 128 --tg 64 --reps 3 \
    >> "$OUT/bench_engine_testdata.jsonl" 2>> "$OUT/bench_engine_testdata.err"
done
wc -l "$OUT/bench_engine_testdata.jsonl"; tail -3 "$OUT/bench_engine_testdata.err"

step "bench kv --backend cuda (decode attention time)"
timeout 200 "$longhaul" bench kv --json --backend cuda --sections time --time-lengths 32768,131072,1048576 \
  --dense-time-max 131072 -q > "$OUT/bench_kv.json" 2> "$OUT/bench_kv.err"
cat "$OUT/bench_kv.json"; tail -3 "$OUT/bench_kv.err"

step "summary"
# The carried libraries are for our binaries, not the image's python.
env -u LD_LIBRARY_PATH python3 - "$OUT" <<'PY'
import json, sys, os
out = sys.argv[1]
summary = {}
try:
    e = json.load(open(os.path.join(out, "bench_engine_1b.json")))
    tok_s = e["decode_tok_s"]["median"]
    # Decode reads every weight once per token: bytes/token over 4.8 TB/s.
    roofline = 4.8e12 / e["model_bytes"]
    summary["decode_1b"] = {"tok_s": tok_s, "roofline_tok_s": roofline, "fraction": tok_s / roofline,
                            "prompt_tok_s": e["prompt_tok_s"]["median"]}
except Exception as err:  # the JSON above says what failed
    summary["decode_1b"] = {"error": str(err)}
try:
    k = json.load(open(os.path.join(out, "bench_kv.json")))
    summary["attention_s_per_token"] = {str(r["tokens"]): r["tiered_s"] for r in k["decode_time"]["lengths"]}
except Exception as err:
    summary["attention_s_per_token"] = {"error": str(err)}
json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=2)
print(json.dumps(summary, indent=2))
PY
step "done (gpu_test exit $tests_rc)"
exit $tests_rc
