#!/usr/bin/env bash
# train_tiny_pair's smoke preset: two runs with the same seed write identical checkpoints; a run killed
# (SIGKILL) once the OPT's first training state is saved, then run again with --resume true, writes the
# checkpoints and metrics of an uninterrupted run (to rounding: see below); both losses fall; the result validates against
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
import hashlib, json, math, pathlib, sys
import numpy as np
from safetensors.numpy import load_file
work = pathlib.Path(sys.argv[1])
def model_file(name, arch):
    return work / name / "train_tiny_pair" / "tiny-pair" / "models" / f"tiny-pair-{arch}" / "model.safetensors"
def run(name):
    (f,) = (work / f"{name}-results").rglob("*.json")
    m = json.loads(f.read_text())["metrics"]
    digests = {arch: hashlib.sha256(model_file(name, arch).read_bytes()).hexdigest() for arch in ("opt", "llama")}
    for arch in ("opt", "llama"):
        for key in ("directory", "resumed_from_step"):  # where it was written, and whether it resumed
            m["models"][arch].pop(key)
    return m, digests
def close(x, y, path="metrics"):
    # Equal structure; numbers equal to 1e-5 relative.
    if isinstance(x, dict):
        assert isinstance(y, dict) and x.keys() == y.keys(), path
        for key in x: close(x[key], y[key], f"{path}.{key}")
    elif isinstance(x, list):
        assert isinstance(y, list) and len(x) == len(y), path
        for i, (u, v) in enumerate(zip(x, y)): close(u, v, f"{path}[{i}]")
    elif isinstance(x, float) or isinstance(y, float):
        assert math.isclose(x, y, rel_tol=1e-5, abs_tol=1e-9), (path, x, y)
    else:
        assert x == y, (path, x, y)
(a, da), (b, db), (k, dk) = run("a"), run("b"), run("killed")
assert da == db, "two runs with the same seed wrote different weights"
assert a == b, "metrics differ between two runs with the same seed"
# A resumed run repeats the same steps from the saved weights and optimizer state, in a new process.
# libtorch's CPU kernels may then round sums differently (seen once in a loaded CI run: about 1e-7 on
# most weights), and AdamW turns the rounding noise of a zero gradient (OPT's k_proj bias, which softmax
# ignores) into steps of up to lr x noise / eps (7e-6 seen). So weights must agree to 1e-4 + 1e-4 |w|;
# a wrong resume (lost optimizer state, another batch) moves every weight by about lr = 3e-3.
for arch in ("opt", "llama"):
    x, y = load_file(str(model_file("a", arch))), load_file(str(model_file("killed", arch)))
    assert x.keys() == y.keys(), arch
    worst = max(float(np.max(np.abs(x[n] - y[n]) - 1e-4 * np.abs(x[n]))) for n in x)
    assert worst <= 1e-4, f"{arch}: the killed and resumed run's weights differ from an uninterrupted run's by {worst:.3g}"
    print(f"{arch}: resumed weights {'identical' if dk[arch] == da[arch] else f'within {worst:.2g}'}")
close(a, k)
for arch in ("opt", "llama"):
    curve = a["models"][arch]["loss_curve"]
    assert curve[-1]["mean_loss"] < curve[0]["mean_loss"], (arch, curve)
print("deterministic, resumable, loss falls:",
      {arch: [round(c["mean_loss"], 3) for c in a["models"][arch]["loss_curve"]] for arch in ("opt", "llama")})
PY
