#!/usr/bin/env bash
# llama_sparse on the shipped model, killed (SIGKILL) once its first predictor unit is written, then run
# again with --resume true: it must reuse the recording and the finished units, and its metrics must
# equal those of an uninterrupted run with the same configuration (training is deterministic).
# Usage: cli_dejavu_resume.sh HARNESS PYTHON SOURCE_DIR WORK_DIR
set -euo pipefail
source "$(dirname "$0")/kill_after_first_unit.sh"
harness=$1 python=$2 src=$3 work=$4
rm -rf "$work"
mkdir -p "$work"
args=(--model "$src/data/models/tinystories-656k" --train-data "$src/data/eval/c4/c4-validation-first200.jsonl"
      --eval-data "$src/data/eval/wikitext-2-raw/wiki.test.raw" --rows 1500 --seqlen 128 --epochs 2 --rank 64
      --mlp-sparsity 0.5 --head-sparsity 0.5 --eval-seqlen 128 --eval-windows 2 --error-windows 1)

"$harness" run llama_sparse "${args[@]}" --work "$work/clean" --out "$work/clean-results" > "$work/clean.log" 2>&1

units="$work/killed/llama_sparse/tinystories-656k/predictors"
kill_after_first_unit "$units" "$work/first.log" \
  "$harness" run llama_sparse "${args[@]}" --work "$work/killed" --out "$work/killed-results"
echo "killed after $finished finished predictor unit(s)"
[ -z "$(ls "$work/killed-results" 2> /dev/null)" ] || { echo "a killed run left a result"; exit 1; }

"$harness" run llama_sparse "${args[@]}" --work "$work/killed" --out "$work/killed-results" --resume true > "$work/resumed.log" 2>&1
grep -q "reusing the finished recording" "$work/resumed.log" || { echo "the recording was redone"; cat "$work/resumed.log"; exit 1; }
trained=$(grep -c "^train: " "$work/resumed.log" || true)
total=$(grep -c "^train: " "$work/clean.log")
[ "$trained" -eq $((total - finished)) ] || { echo "resume trained $trained units; expected $((total - finished))"; exit 1; }

"$python" - "$work/clean-results" "$work/killed-results" <<'PY'
import json, pathlib, sys
def metrics(folder):
    files = list(pathlib.Path(folder).rglob("*.json"))
    assert len(files) == 1, files
    m = json.loads(files[0].read_text())["metrics"]
    for per_input in m["predictors"].values():       # wall-clock seconds differ between runs
        for layers in per_input.values():
            for layer in layers:
                layer.pop("seconds")
    for level in m["sparse_inference"]:
        level.pop("decode_step_s")
        level.pop("decode_speedup", None)
    return m
a, b = metrics(sys.argv[1]), metrics(sys.argv[2])
assert a == b, "resumed metrics differ from an uninterrupted run"
print("resumed run equals the uninterrupted one")
PY
