#!/usr/bin/env bash
# The main job on the embedded default model: generate a story with the
# built-in engine, then show what the model and machine are.
set -euo pipefail
bin=${1:?usage: demo.sh PATH/TO/longhaul}
root=$(cd "$(dirname "$0")/.." && pwd)
model="$root/examples/models/stories260K.gguf"

echo "== longhaul $("$bin" --version | cut -d' ' -f2): engine demo on $(basename "$model") =="
"$bin" devices
echo
"$bin" generate -m "$model" -p "Once upon a time" -n 200 --temp 0.8 --seed 7
echo
echo "== benchmark (JSON) =="
"$bin" bench engine -m "$model" --pp 128 --tg 64 --reps 3
