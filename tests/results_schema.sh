#!/usr/bin/env bash
# Runs each registered case briefly on the shipped model and validates every result it writes against
# docs/result.schema.json. Usage: results_schema.sh HARNESS PYTHON SOURCE_DIR WORK_DIR
set -euo pipefail
harness=$1 python=$2 src=$3 work=$4
rm -rf "$work" "$work-runs"
model="$src/data/models/tinystories-656k"
"$harness" run forward_check --model "$model" --new-tokens 4 --out "$work"
"$harness" run perplexity --model "$model" --data "$src/data/eval/wikitext-2-raw/wiki.test.raw" \
  --window 64 --limit 2 --out "$work"
"$harness" run drift --model "$model" --data "$src/data/eval/wikitext-2-raw/wiki.test.raw" --docs 2 --seqlen 16 \
  --bootstrap 20 --out "$work"
"$harness" run zero_shot --model "$model" --data "$src/data/eval" --tasks arc_easy,winogrande,lambada_openai --limit 3 \
  --out "$work"
"$harness" run few_shot --model "$model" --data "$src/data/eval" --tasks mmlu,medmcqa --limit 2 --out "$work"
"$harness" run llama_sparse --model "$model" --train-data "$src/data/eval/c4/c4-validation-first200.jsonl" \
  --eval-data "$src/data/eval/wikitext-2-raw/wiki.test.raw" --rows 600 --seqlen 64 --epochs 1 --rank 16 \
  --mlp-sparsity 0.5 --head-sparsity 0.5 --eval-seqlen 64 --eval-windows 1 --error-windows 1 --work "$work-runs" --out "$work"
"$harness" run trace --model "$model" --data "$src/data/eval/wikitext-2-raw/wiki.test.raw" --context 32 --warmup 1 \
  --out "$work" > /dev/null
"$harness" run bench --suite bench_kernels --filter 'sparse_mlp/llama-3.2-3b/f32/s=0.90' --repetitions 9 --min-time 0.01 \
  --out "$work" > /dev/null
# The same suite built at another commit is a different binary (here: one byte appended); its runs must
# still pair with these in `harness diff`, timings compared, not "not comparable".
other="$work-runs/other-build"
mkdir -p "$other"
cp "$(dirname "$harness")/../bench/bench_kernels" "$other/bench_kernels"
printf 'x' >> "$other/bench_kernels"
"$harness" run bench --suite bench_kernels --bench-dir "$other" --filter 'sparse_mlp/llama-3.2-3b/f32/s=0.90' \
  --repetitions 9 --min-time 0.01 --out "$work-runs/other-results" > /dev/null
"$harness" diff "$work" "$work-runs/other-results" --json "$work-runs/bench-diff.json" > /dev/null
"$python" - "$work-runs/bench-diff.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
(pair,) = [p for p in report["paired"] if p["case"] == "bench"]
assert not pair["not_comparable"], pair["not_comparable"]
timed = [m for m in pair["metrics"] if m["metric"].endswith("real_time_s")]
assert timed and all(m["verdict"] != "not compared" for m in timed), timed
hashes = {m["metric"]: (m["a"], m["b"]) for m in pair["metrics"] if m["metric"] == "suite_sha256"}
assert hashes["suite_sha256"][0] != hashes["suite_sha256"][1], hashes
PY
"$python" "$src/tests/validate_results.py" "$src/docs/result.schema.json" "$work"
# The task cases ran with --limit: their results must say INVALID and why, and hold every task asked for.
"$python" - "$work" <<'PY'
import json, pathlib, sys
for case, tasks in (("zero_shot", {"arc_easy", "winogrande", "lambada_openai"}), ("few_shot", {"mmlu", "medmcqa"})):
    (f,) = pathlib.Path(sys.argv[1], case).rglob("*.json")
    doc = json.loads(f.read_text())
    assert doc["status"] == "INVALID" and any("--limit" in r for r in doc["status_reasons"]), f
    assert set(doc["metrics"]["tasks"]) == tasks, f
    assert all("stderr" in t["acc"] for t in doc["metrics"]["tasks"].values()), f
PY
# The trace: a Chrome trace-event file holding the measured step, every layer's regions and the sparse
# kernels, with the result's region times taken from it.
"$python" - "$work" <<'PY'
import json, pathlib, sys
(f,) = pathlib.Path(sys.argv[1], "trace").rglob("*-*-*.json")
m = json.loads(f.read_text())["metrics"]
trace = json.loads(pathlib.Path(sys.argv[1], m["trace_file"]).read_text())
names = {e["name"]: e for e in trace["traceEvents"] if e.get("ph") == "X"}
for region in ("decode step (dense)", "layer 0 / attention", "layer 1 / mlp", "decode step (sparse kernels)",
               "layer 1 / mlp [sparse]", "layer 1 / attention [sparse]"):
    assert names[region]["dur"] > 0, region
    assert m["regions_us"][region] > 0, region
assert any(n.startswith("aten::") for n in names), "no aten ops in the trace"
assert set(m["mlp_speedup"]) == {"0", "1"}
assert set(m["attention_speedup"]) == {"0", "1"}
# The sparse step ran the kernels, not the dense ops: its MLP regions hold no down-projection matmul.
sparse_mlp = names["layer 1 / mlp [sparse]"]
inside = [e for e in trace["traceEvents"] if e.get("ph") == "X" and e["ts"] >= sparse_mlp["ts"]
          and e["ts"] + e["dur"] <= sparse_mlp["ts"] + sparse_mlp["dur"]]
assert not any(e["name"] in ("aten::linear", "aten::silu") for e in inside), sorted({e["name"] for e in inside})
for key in ("decode_step_dense_s", "decode_step_sparse_s"):
    assert len(m[key]["samples"]) == 9 and all(t > 0 for t in m[key]["samples"]), key
assert m["decode_speedup"] > 0
PY
