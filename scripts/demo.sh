#!/usr/bin/env bash
# The main job on the embedded default model (stories260K): the agent runtime
# end to end on examples/sample-repo.
#   1. grammar-constrained tool calls, executed (commands in the sandbox);
#   2. a checkpoint after every step;
#   3. the process stops, and a new one resumes the session;
#   4. the resume time set beside the time a re-prefill would take.
# A 260K-parameter story model does not know what tools are for, so every
# reply is made to open a tool call (--tool-choice required) and the grammar
# does the rest: its calls are nonsense, but each one is valid JSON for a
# declared tool's schema, and runs.
set -euo pipefail
bin=${1:?usage: demo.sh PATH/TO/longhaul}
root=$(cd "$(dirname "$0")/.." && pwd)
model="$root/examples/models/stories260K.gguf"
work=$(mktemp -d /tmp/longhaul-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -r "$root/examples/sample-repo" "$work/repo"
data="$work/data"

echo "== longhaul $("$bin" --version | cut -d' ' -f2): agent demo on $(basename "$model") =="
"$bin" devices
echo
echo "== 1. a session on examples/sample-repo (a copy): 4 steps, a tool call and a checkpoint each =="
status=0
"$bin" run --repo "$work/repo" -m "$model" --session demo --data-dir "$data" --ctx 16384 --kv dense \
  --tool-choice required --max-steps 4 --temp 0.8 --seed 7 \
  -p "The test in test.sh fails. Read calc.sh, fix it, and run sh test.sh." || status=$?
echo "(exit code $status: 3 means the step limit ended the turn)"
echo
echo "== 2. the session, as the store sees it =="
"$bin" sessions ls --data-dir "$data"
echo
echo "== 3. a new process resumes it: no prefill; re-prefill timed beside it =="
"$bin" resume demo --data-dir "$data" --ctx 16384 --compare-prefill --max-steps 2 \
  -p "Now run the tests." || status=$?
echo
echo "== 4. the event log (JSONL), first lines =="
"$bin" sessions export demo --data-dir "$data" | head -c 1500 || true
echo
echo
echo "== engine: a story, and the benchmark (JSON) =="
"$bin" generate -m "$model" -p "Once upon a time" -n 100 --temp 0.8 --seed 7
"$bin" bench engine -m "$model" --pp 128 --tg 64 --reps 3
