#!/usr/bin/env bash
# opt_baseline on a random tiny OPT: runs end to end, refuses a Llama checkpoint, and its result holds
# DejaVu's label rule, per-layer predictor metrics for every input and the sparse sweep, and validates.
# Usage: cli_opt_baseline.sh HARNESS PYTHON SOURCE_DIR MODEL_DIR WORK_DIR
set -euo pipefail
harness=$1 python=$2 src=$3 model=$4 work=$5
rm -rf "$work"
"$harness" run opt_baseline --model "$model" --train-data "$src/data/eval/c4/c4-validation-first200.jsonl" \
  --eval-data "$src/data/eval/wikitext-2-raw/wiki.test.raw" --rows 1000 --seqlen 128 --epochs 2 --rank 32 \
  --mlp-sparsity 0.5,0.9 --head-sparsity 0.5 --eval-seqlen 128 --eval-windows 2 --error-windows 1 \
  --dense-mlp-layers 2 --tasks piqa --task-data "$src/data/eval" --task-limit 4 --decode-steps 3 --decode-context 64 \
  --work "$work/runs" --out "$work/results"
"$harness" run zero_shot --model "$model" --data "$src/data/eval" --tasks piqa --limit 4 --out "$work/zero-shot"
if "$harness" run opt_baseline --model "$src/data/models/tinystories-656k" --work "$work/runs" --out "$work/results" 2> "$work/err"; then
  echo "opt_baseline accepted a Llama checkpoint"; exit 1
fi
grep -q "is a llama checkpoint; this case runs opt models" "$work/err"
"$python" "$src/tests/validate_results.py" "$src/docs/result.schema.json" "$work/results"
"$python" - "$work/results" "$work/zero-shot" <<'PY'
import json, pathlib, sys
[path] = pathlib.Path(sys.argv[1]).rglob("*.json")
m = json.loads(path.read_text())["metrics"]
[zero_shot] = pathlib.Path(sys.argv[2]).rglob("*.json")
alone = json.loads(zero_shot.read_text())["metrics"]["tasks"]["piqa"]
assert m["architecture"] == "opt" and m["labels"]["mlp_rule"] == "positive" and m["labels"]["head_granularity"] == "query"
mlp = m["predictors"]["mlp"]
assert sorted(mlp) == ["attn_in", "attn_in-1", "mlp_in"], sorted(mlp)
assert [l["layer"] for l in mlp["mlp_in"]] == [0, 1, 2] and [l["layer"] for l in mlp["attn_in-1"]] == [1, 2]
for layer in mlp["mlp_in"]:
    assert 0 <= layer["test"]["recall"] <= 1 and layer["test"]["rows"] == 50
    assert set(layer["recall_at_k"]) == {"0.5", "0.9"}
# Every MLP predictor's top-k set overlap, on its 50 test rows, with set stability's k.
for layers in mlp.values():
    for layer in layers:
        j = layer["topk_jaccard"]
        assert j["k"] == m["set_stability"]["k"] and j["rows"] == 50 and 0 < j["value"] <= 1 and j["stderr"] >= 0, j
assert all("topk_jaccard" not in layer for layers in m["predictors"]["heads"].values() for layer in layers)
levels = [(s["masks"], s["mlp_sparsity"], s["head_sparsity"]) for s in m["sparse_inference"]]
assert levels == [("dense", 0, 0), ("oracle", 0.5, 0), ("oracle", 0.9, 0), ("oracle", 0, 0.5),
                  ("predicted", 0.5, 0), ("predicted", 0.9, 0), ("predicted", 0, 0.5)], levels
dense = m["sparse_inference"][0]
# The dense level scores the task exactly as the zero_shot case does; every level scores it.
assert dense["zero_shot"]["piqa"]["acc"]["docs"] == 4
for metric in ("acc", "acc_norm"):
    assert dense["zero_shot"]["piqa"][metric]["value"] == alone[metric]["value"], (metric, dense["zero_shot"], alone)
assert all("piqa" in level["zero_shot"] for level in m["sparse_inference"])
assert m["sparse_inference"][1]["dense_mlp_layers"] == [2]
assert m["sparse_inference"][6]["dense_head_layers"] == [0]  # predicted heads read attn_in-1: layer 0 has none
assert all(e == 0 for e in dense["block_output_rel_error"])
assert all(e > 0 for e in m["sparse_inference"][2]["block_output_rel_error"])
step_count = 3  # --decode-steps
# Decode steps are timed dense and with predicted masks through the speed path; oracle masks cannot drive it.
for level in m["sparse_inference"]:
    step = level["decode_step_s"]
    if level["masks"] == "oracle":
        assert step is None and "decode_speedup" not in level, level
    else:
        assert len(step["samples"]) == step_count and all(t > 0 for t in step["samples"]), step
        assert level["decode_speedup"] > 0
assert dense["decode_speedup"] == 1
print("opt_baseline result checked:", path)
PY
