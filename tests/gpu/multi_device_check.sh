#!/usr/bin/env bash
# The multi-GPU check (needs >= 2 visible GPUs; not in ctest, CI has none): runs forward_check, perplexity
# and drift on one GPU (--device cuda:0) and with the layers split (--devices, default cuda:0,cuda:1), and
# compares the results. Greedy ids must be equal; last-step logits within |a - b| <= 1e-3 + 1e-3 |b|;
# perplexity and every drift median within 1e-4 relative (f32; a split only moves tensors, so the
# differences are what different kernels choices on another GPU give, usually none). Each split result
# must record the placement it ran with.
# Usage: tests/gpu/multi_device_check.sh HARNESS [MODEL_DIR] [DEVICES] [ONE_DEVICE] [WORK_DIR]
#   e.g. tests/gpu/multi_device_check.sh build/tools/harness data/models/tinystories-656k cuda:0,cuda:1
#   (a dry run of the script itself on a machine without GPUs: ... "" cpu,cpu cpu)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
harness=$1
model=${2:-$src/data/models/tinystories-656k}
[ -n "$model" ] || model=$src/data/models/tinystories-656k
devices=${3:-cuda:0,cuda:1}
one_device=${4:-cuda:0}
work=${5:-$(mktemp -d)}
python=${HARNESS_PYTHON:-$src/.venv/bin/python}
data=$src/data/eval/wikitext-2-raw/wiki.test.raw
rm -rf "$work/one" "$work/split"
for where in one split; do
  if [ "$where" = one ]; then place=(--device "$one_device"); else place=(--devices "$devices"); fi
  "$harness" run forward_check --model "$model" --new-tokens 16 "${place[@]}" --out "$work/$where" > /dev/null
  "$harness" run perplexity --model "$model" --data "$data" --window 128 --limit 4 "${place[@]}" --out "$work/$where"
  "$harness" run drift --model "$model" --data "$data" --docs 4 --seqlen 64 --bootstrap 20 "${place[@]}" \
    --out "$work/$where"
done
"$python" - "$work" "$devices" "$one_device" <<'PY'
import json, pathlib, sys
work, devices, one_device = pathlib.Path(sys.argv[1]), sys.argv[2].split(","), sys.argv[3]
def load(where, case):
    [path] = (work / where / case).rglob("*.json")
    return json.loads(path.read_text())
def close(a, b, atol, rtol, what):
    assert abs(a - b) <= atol + rtol * abs(b), f"{what}: {a} (split) vs {b} (one GPU)"
def walk(a, b, what):  # every number of the drift metrics, relative 1e-4
    if isinstance(b, dict):
        for k in b: walk(a[k], b[k], f"{what}.{k}")
    elif isinstance(b, list):
        assert len(a) == len(b), what
        for i, (x, y) in enumerate(zip(a, b)): walk(x, y, f"{what}[{i}]")
    elif isinstance(b, float):
        close(a, b, 1e-6, 1e-4, what)
    else:
        assert a == b, f"{what}: {a} vs {b}"
for case in ("forward_check", "perplexity", "drift"):
    one, split = load("one", case), load("split", case)
    placement = split["environment"]["placement"]
    assert placement["devices"] == devices and sum(placement["layers"]) > 0, placement
    assert one["environment"]["placement"]["devices"] == [one_device], one["environment"]["placement"]
a, b = load("split", "forward_check")["metrics"], load("one", "forward_check")["metrics"]
assert a["generated_ids"] == b["generated_ids"], (a["generated_ids"], b["generated_ids"])
for i, (x, y) in enumerate(zip(a["last_logits"], b["last_logits"])): close(x, y, 1e-3, 1e-3, f"last_logits[{i}]")
a, b = load("split", "perplexity")["metrics"], load("one", "perplexity")["metrics"]
close(a["perplexity"], b["perplexity"], 0, 1e-4, "perplexity")
a, b = load("split", "drift")["metrics"], load("one", "drift")["metrics"]
walk({k: v for k, v in a.items() if "time" not in k}, {k: v for k, v in b.items() if "time" not in k}, "drift")
print(f"multi-device check passed: {','.join(devices)} matches {one_device} (results under {work})")
PY
