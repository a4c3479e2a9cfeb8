#!/usr/bin/env bash
# scale_check end to end on a tiny Llama stand-in written as 2 shards: every stage runs in its own
# process and is measured, each stage's own result is written, the projections cover the paper cases and
# every paper model, and the result passes the schema. Usage: cli_scale_check.sh HARNESS PYTHON SOURCE_DIR WORK
set -euo pipefail
harness=$1 python=$2 src=$3 work=$4
rm -rf "$work" && mkdir -p "$work/tiny-llama"
"$python" - "$work/tiny-llama/config.json" <<'PY'
import json, sys
json.dump({"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 128256, "hidden_size": 64,
           "intermediate_size": 128, "num_hidden_layers": 3, "num_attention_heads": 8, "num_key_value_heads": 4,
           "head_dim": 8, "max_position_embeddings": 2048, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
           "tie_word_embeddings": True, "bos_token_id": 128000, "eos_token_id": 128001}, open(sys.argv[1], "w"))
PY
cd "$src"  # the stages read the shipped data by their default relative paths
if "$harness" run scale_check --models opt-7b --work "$work/bad" --out "$work/bad" 2> "$work/bad.err"; then
  echo "an unknown model was accepted"; exit 1
fi
grep -q "unknown paper model 'opt-7b' (known: Llama-3.2-3B" "$work/bad.err"
if "$harness" run scale_check --models "$work/tiny-llama/config.json" --task-data /nonexistent/eval --work "$work/bad" \
     --out "$work/bad" 2> "$work/bad.err"; then
  echo "a missing task data directory was accepted"; exit 1
fi
grep -q "/nonexistent/eval: the task data directory does not exist" "$work/bad.err"
"$harness" run scale_check --models "$work/tiny-llama/config.json" --shards 2 --tokens 64 --keep true \
  --llama-tokenizer "$src/../shared/data/tokenizers/llama3-hf" --opt-tokenizer "$src/../shared/data/tokenizers/gpt2" \
  --task-data "$src/data/eval" --work "$work/sc" --out "$work/results" > "$work/out.txt"
cat "$work/out.txt"
"$python" "$src/tests/validate_results.py" "$src/docs/result.schema.json" "$work/results/scale_check"
"$python" - "$work" <<'PY'
import json, pathlib, sys
work = pathlib.Path(sys.argv[1])
(f,) = (work / "results" / "scale_check").rglob("*.json")
doc = json.loads(f.read_text())
assert doc["status"] == "VALID", doc["status_reasons"]
(model,) = doc["metrics"]["models"]
assert model["name"] == "tiny-llama" and model["checkpoint"]["shards"] == 2
ckpt = work / "sc" / "tiny-llama"
assert sorted(p.name for p in ckpt.glob("model-*.safetensors")) == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
assert (ckpt / "model.safetensors.index.json").is_file() and (ckpt / "tokenizer.json").is_file()
stages = {s["case"]: s for s in model["stages"]}
assert list(stages) == ["forward_check", "perplexity", "drift", "llama_sparse", "zero_shot", "few_shot", "kascade", "trace"], list(stages)
assert doc["metrics"]["working_set_measured_from"] == "peak resident memory", doc["metrics"]
for name, s in stages.items():
    assert s["wall_s"] > 0 and s["peak_rss_bytes"] > 50 * 2**20, (name, s)
    assert "gpu_peak_allocated_bytes" not in s, (name, s)  # measured only when the stages run on a GPU
    assert any((work / "sc" / "results" / name / "tiny-llama").rglob("*.json")), f"{name} wrote no result"
assert stages["llama_sparse"]["disk_bytes"] > 0 and stages["llama_sparse"]["timings_s"], stages["llama_sparse"]
# The DejaVu stage's timed decode steps: the dense level and the predicted ones (oracle levels are not timed).
decode = stages["llama_sparse"]["decode_steps"]
assert [d["masks"] for d in decode] == ["dense", "predicted", "predicted"] and decode[0]["speedup"] == 1, decode
assert all(d["step_s"] > 0 and d["context"] > 0 for d in decode), decode
for name in ("perplexity", "drift", "llama_sparse", "kascade"):
    assert stages[name]["working_bytes_estimated"] > 0, name
projected = {p["case"]: p for p in model["paper_projection"]}
assert list(projected) == ["drift", "llama_sparse", "zero_shot", "few_shot", "kascade"], list(projected)
for p in projected.values():
    assert p["gpu_memory_bytes_estimated"] > 2 * model["parameters"] and p["fits"], p
assert projected["llama_sparse"]["gpu_hours_estimated"] > projected["drift"]["gpu_hours_estimated"] > 0
# The task cases are timed by the passes that score the (shipped slices of the) task data; GPQA has none.
assert doc["metrics"]["task_data"]["missing"] == {"zero_shot": [], "few_shot": ["gpqa_diamond_n_shot"], "dejavu": []}, doc["metrics"]["task_data"]
assert any(k.startswith("task_data:few_shot:mmlu") for k in doc["inputs"]), list(doc["inputs"])
for name in ("zero_shot", "few_shot"):
    p = projected[name]
    assert p["gpu_hours_estimated"] > 0 and p["task_scoring"]["positions"] > 0 and p["task_scoring"]["forward_passes"] > 0, p
    assert p["task_scoring"]["keys"] > p["task_scoring"]["positions"], p
assert "not counted, no data: gpqa_diamond_n_shot" in projected["few_shot"]["note"], projected["few_shot"]["note"]
# MMLU's 5-shot prompts are far longer than the zero-shot tasks' contexts.
assert projected["few_shot"]["task_scoring"]["keys"] / projected["few_shot"]["task_scoring"]["positions"] > \
       projected["zero_shot"]["task_scoring"]["keys"] / projected["zero_shot"]["task_scoring"]["positions"]
assert projected["llama_sparse"]["task_scoring"]["positions"] > 0
papers = {m["name"]: m for m in doc["metrics"]["paper_models"]}
assert len(papers) == 10 and papers["Llama-3.1-8B"]["parameters"] == 8030261248
big = {p["case"]: p for p in papers["opt-66b"]["paper_projection"]}
assert not big["drift"]["fits"], "66B parameters in bf16 cannot fit one 80 GB GPU"
PY
