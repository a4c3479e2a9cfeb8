#!/usr/bin/env bash
# scripts/bin_to_safetensors.py on PyTorch-pickle copies of the tiny-opt fixture (one file with a tied LM
# head aliasing the embedding, and two shards with an index): the safetensors it writes hold the fixture's
# tensors exactly, the tied head once, and the harness generates the same ids from them as from the
# fixture (the same ids and bit-identical logits). Usage: cli_bin_to_safetensors.sh HARNESS PYTHON SOURCE_DIR WORK
set -euo pipefail
harness=$1 python=$2 src=$3 work=$4
fixture="$src/../shared/fixtures/tiny-opt"
rm -rf "$work" && mkdir -p "$work/single" "$work/sharded"
"$python" - "$fixture" "$work" <<'PY'
import json, pathlib, shutil, sys, torch
from safetensors.torch import load_file
fixture, work = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
state = load_file(fixture / "model.safetensors")
names = sorted(state)
for d in ("single", "sharded"):
    shutil.copy(fixture / "config.json", work / d / "config.json")
tied = dict(state)
tied["lm_head.weight"] = tied[[n for n in names if n.endswith("embed_tokens.weight")][0]]  # the same storage
torch.save(tied, work / "single" / "pytorch_model.bin")
half = len(names) // 2
parts = {"pytorch_model-00001-of-00002.bin": names[:half], "pytorch_model-00002-of-00002.bin": names[half:]}
for file, part in parts.items():
    torch.save({n: state[n] for n in part}, work / "sharded" / file)
(work / "sharded" / "pytorch_model.bin.index.json").write_text(
    json.dumps({"weight_map": {n: f for f, part in parts.items() for n in part}}))
PY
"$python" "$src/scripts/bin_to_safetensors.py" "$work/single" | tee "$work/single.txt"
grep -q "lm_head.weight shares its storage with an earlier tensor" "$work/single.txt"
"$python" "$src/scripts/bin_to_safetensors.py" "$work/sharded"
"$python" - "$fixture" "$work" <<'PY'
import json, pathlib, sys, torch
from safetensors.torch import load_file
fixture, work = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
want = load_file(fixture / "model.safetensors")
single = load_file(work / "single" / "model.safetensors")
index = json.loads((work / "sharded" / "model.safetensors.index.json").read_text())["weight_map"]
sharded = {}
for f in sorted(set(index.values())):
    sharded.update(load_file(work / "sharded" / f))
for got in (single, sharded):
    assert sorted(got) == sorted(want), sorted(set(got) ^ set(want))
    assert all(torch.equal(got[n], want[n]) for n in want)
assert sorted(set(index.values())) == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
PY
if "$python" "$src/scripts/bin_to_safetensors.py" "$work/single" 2> "$work/again.txt"; then
  echo "a converted directory was converted again"; exit 1
fi
grep -q "already holds .safetensors files" "$work/again.txt"
for d in "$fixture" "$work/single" "$work/sharded"; do
  "$harness" run forward_check --model "$d" --ids 2,100,200 --new-tokens 6 --out "$work/results" > /dev/null
done
# The same generated ids and bit-identical last logits from the three directories.
"$python" - "$work/results" <<'PY'
import json, pathlib, sys
runs = [json.loads(f.read_text())["metrics"] for f in sorted(pathlib.Path(sys.argv[1]).rglob("*.json"))]
assert len(runs) == 3
for m in runs[1:]:
    assert m["generated_ids"] == runs[0]["generated_ids"] and m["last_logits"] == runs[0]["last_logits"]
PY
