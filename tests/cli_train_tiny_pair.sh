#!/usr/bin/env bash
# train_tiny_pair's smoke preset: two runs with the same seed write identical checkpoints; a run killed
# (SIGKILL) once the OPT's first training state is saved, then run again with --resume true, writes the
# same checkpoints and metrics as an uninterrupted run; both losses fall; the result validates against
# docs/result.schema.json. Usage: cli_train_tiny_pair.sh HARNESS PYTHON SOURCE_DIR WORK_DIR
set -euo pipefail
source "$(dirname "$0")/kill_after_first_unit.sh"
harness=$1 python=$2 src=$3 work=$4
rm -rf "$work"
mkdir -p "$work"
args=(--preset smoke --tokenizer "$src/data/models/tinystories-656k"
      --train-data "$src/data/eval/c4/c4-validation-201to400.jsonl" --train-skip 0
      --val-data "$src/data/eval/c4/c4-validation-first200.jsonl")

for run in a b; do
  "$harness" run train_tiny_pair "${args[@]}" --work "$work/$run" --out "$work/$run-results" > "$work/$run.log" 2>&1
done

units="$work/killed/train_tiny_pair/tiny-pair/opt"
kill_after_first_unit "$units" "$work/first.log" \
  "$harness" run train_tiny_pair "${args[@]}" --work "$work/killed" --out "$work/killed-results"
echo "killed after $finished saved state(s)"
[ -z "$(ls "$work/killed-results" 2> /dev/null)" ] || { echo "a killed run left a result"; exit 1; }
"$harness" run train_tiny_pair "${args[@]}" --work "$work/killed" --out "$work/killed-results" --resume true \
  > "$work/resumed.log" 2>&1
grep -q "^opt: resumed at step" "$work/resumed.log" || { echo "the resumed run started over"; cat "$work/resumed.log"; exit 1; }

"$python" "$src/tests/validate_results.py" "$src/docs/result.schema.json" "$work/a-results"
"$python" - "$work" <<'PY'
import hashlib, json, pathlib, sys
work = pathlib.Path(sys.argv[1])
def run(name):
    (f,) = (work / f"{name}-results").rglob("*.json")
    m = json.loads(f.read_text())["metrics"]
    digests = {}
    for arch in ("opt", "llama"):
        d = work / name / "train_tiny_pair" / "tiny-pair" / "models" / f"tiny-pair-{arch}"
        digests[arch] = hashlib.sha256((d / "model.safetensors").read_bytes()).hexdigest()
        for key in ("directory", "resumed_from_step"):  # where it was written, and whether it resumed
            m["models"][arch].pop(key)
    return m, digests
(a, da), (b, db), (k, dk) = run("a"), run("b"), run("killed")
assert da == db, "two runs with the same seed wrote different weights"
assert da == dk, "the killed and resumed run wrote other weights than an uninterrupted one"
assert a == b == k, "metrics differ between identical runs"
for arch in ("opt", "llama"):
    curve = a["models"][arch]["loss_curve"]
    assert curve[-1]["mean_loss"] < curve[0]["mean_loss"], (arch, curve)
print("deterministic, resumable, loss falls:",
      {arch: [round(c["mean_loss"], 3) for c in a["models"][arch]["loss_curve"]] for arch in ("opt", "llama")})
PY
