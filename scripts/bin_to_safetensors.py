#!/usr/bin/env python3
"""Converts a Hugging Face model directory whose weights exist only as PyTorch pickles
(pytorch_model.bin, or shards listed in pytorch_model.bin.index.json -- as for several OPT sizes on the
Hub) into safetensors beside them, which is what the harness loads: model.safetensors, or
model-0000i-of-0000n.safetensors with model.safetensors.index.json for a sharded checkpoint. The pickles
are read with torch.load(weights_only=True), so no code in them runs. A tensor that shares storage with
an earlier one (a tied LM head) is written once, under the earlier name, as transformers saves it.
Usage: scripts/bin_to_safetensors.py MODEL_DIR"""
import json
import pathlib
import sys

import torch
from safetensors.torch import save_file


def bin_shards(model_dir):
    index = model_dir / "pytorch_model.bin.index.json"
    if index.is_file():
        return sorted(set(json.loads(index.read_text())["weight_map"].values()))
    if (model_dir / "pytorch_model.bin").is_file():
        return ["pytorch_model.bin"]
    sys.exit(f"{model_dir}: no pytorch_model.bin or pytorch_model.bin.index.json")


def main(model_dir):
    model_dir = pathlib.Path(model_dir)
    if list(model_dir.glob("*.safetensors")):
        sys.exit(f"{model_dir}: already holds .safetensors files; nothing converted")
    shards = bin_shards(model_dir)
    seen = set()  # storages already written (tied weights are written once)
    weight_map, total = {}, 0
    for i, shard in enumerate(shards):
        state = torch.load(model_dir / shard, map_location="cpu", weights_only=True, mmap=True)
        tensors = {}
        for name, t in state.items():
            key = (t.untyped_storage().data_ptr(), t.storage_offset(), tuple(t.shape))
            if key in seen:
                print(f"{shard}: {name} shares its storage with an earlier tensor: written once")
                continue
            seen.add(key)
            tensors[name] = t.contiguous()
        out = "model.safetensors" if len(shards) == 1 else f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        save_file(tensors, str(model_dir / out), metadata={"format": "pt"})
        for name, t in tensors.items():
            weight_map[name] = out
            total += t.numel() * t.element_size()
        print(f"{shard} -> {out}: {len(tensors)} tensors")
    if len(shards) > 1:
        (model_dir / "model.safetensors.index.json").write_text(
            json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
