"""Build random tiny Llama and OPT models with transformers' own modeling code and record what it computes.

The property test (tests/test_oracle.cpp) loads each model with the harness and compares. Everything is
made locally from --seed: nothing is downloaded. Each model directory holds config.json, model.safetensors
(written by save_pretrained) and reference.safetensors with:
  input_ids [B, T], attention_mask [B, T] (row 1 left-padded), position_ids [B, T] (Llama),
  logits [B, T, V] (forward with that mask), greedy_ids [B, T + N], greedy_logits [B, N, V].
"""
import argparse
import json
import math
import os
import random
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
import transformers  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers import LlamaConfig, LlamaForCausalLM, OPTConfig, OPTForCausalLM  # noqa: E402

NEW_TOKENS = 6
MIN_GREEDY_GAP = 1e-3  # resample weights until every greedy step's top-1 lead exceeds this


def llama_config(rng):
    heads = rng.choice([2, 4, 8])
    kv = rng.choice([d for d in (1, 2, 4, 8) if heads % d == 0])
    head_dim = rng.choice([8, 16])
    hidden = rng.choice([heads * head_dim, 48, 64]) if rng.random() < 0.3 else heads * head_dim
    kwargs = dict(
        vocab_size=rng.randint(90, 300), hidden_size=hidden, intermediate_size=rng.randint(40, 130),
        num_hidden_layers=rng.randint(1, 3), num_attention_heads=heads, num_key_value_heads=kv,
        head_dim=head_dim, max_position_embeddings=128, rms_norm_eps=rng.choice([1e-5, 1e-6]),
        tie_word_embeddings=rng.random() < 0.5, attention_bias=rng.random() < 0.3, mlp_bias=rng.random() < 0.3,
        pad_token_id=0, bos_token_id=1, eos_token_id=2)
    theta = rng.choice([10000.0, 500000.0])
    kind = rng.choice(["default", "llama3", "linear"])
    if kind == "llama3":
        scaling = {"rope_type": "llama3", "factor": rng.choice([8.0, 32.0]), "low_freq_factor": 1.0,
                   "high_freq_factor": 4.0, "original_max_position_embeddings": rng.choice([16, 64])}
    elif kind == "linear":
        scaling = {"rope_type": "linear", "factor": rng.choice([2.0, 4.0])}
    else:
        scaling = {"rope_type": "default"}
    scaling["rope_theta"] = theta
    return LlamaConfig(rope_parameters=scaling, attn_implementation="eager", **kwargs)


def opt_config(rng):
    heads = rng.choice([2, 4])
    hidden = heads * rng.choice([8, 16])
    return OPTConfig(
        vocab_size=rng.randint(90, 300), hidden_size=hidden, ffn_dim=rng.randint(40, 130),
        num_hidden_layers=rng.randint(1, 3), num_attention_heads=heads, max_position_embeddings=128,
        do_layer_norm_before=rng.random() < 0.6,
        word_embed_proj_dim=rng.choice([hidden, hidden // 2]),
        enable_bias=rng.random() < 0.7, tie_word_embeddings=rng.random() < 0.7,
        activation_function="relu", attn_implementation="eager", pad_token_id=1, bos_token_id=2, eos_token_id=2)


def randomize(model, gen):
    """Weights large enough that logits are far from uniform (transformers' init gives near-ties)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=gen))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            elif "embed" in name:
                p.copy_(torch.randn(p.shape, generator=gen))
            else:
                scale = (3.0 if ("q_proj" in name or "k_proj" in name) else 1.5) / math.sqrt(p.shape[-1])
                p.copy_(scale * torch.randn(p.shape, generator=gen))


def inputs(rng, config, pad_id):
    t = rng.randint(5, 12)
    pad = rng.randint(1, 3)
    ids = torch.tensor([[rng.randint(3, config.vocab_size - 1) for _ in range(t)] for _ in range(2)])
    mask = torch.ones(2, t, dtype=torch.long)
    ids[1, :pad] = pad_id
    mask[1, :pad] = 0
    return ids, mask


def record(kind, model, ids, mask, pad_id):
    with torch.no_grad():
        position_ids = (mask.cumsum(1) - 1).masked_fill(mask == 0, 1)
        extra = {"position_ids": position_ids} if kind == "llama" else {}
        logits = model(input_ids=ids, attention_mask=mask, **extra).logits
        model.generation_config.eos_token_id = None  # always NEW_TOKENS steps; the harness is run the same way
        out = model.generate(ids, attention_mask=mask, max_new_tokens=NEW_TOKENS, do_sample=False,
                             pad_token_id=pad_id, output_logits=True, return_dict_in_generate=True)
    step_logits = torch.stack(out.logits, 1).float()
    top2 = step_logits.topk(2, -1).values
    gap = (top2[..., 0] - top2[..., 1]).min().item()
    ref = {"input_ids": ids, "attention_mask": mask, "logits": logits.float().contiguous(),
           "greedy_ids": out.sequences.contiguous(), "greedy_logits": step_logits.contiguous()}
    if kind == "llama":
        ref["position_ids"] = position_ids
    return ref, gap


def main():
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--count", type=int, default=24)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    summary = []
    for i in range(args.count):
        rng = random.Random(args.seed * 1000 + i)
        kind = "llama" if i % 2 == 0 else "opt"
        config = llama_config(rng) if kind == "llama" else opt_config(rng)
        ids, mask = inputs(rng, config, config.pad_token_id)
        for attempt in range(20):
            torch.manual_seed(args.seed * 1000 + i)
            model = (LlamaForCausalLM if kind == "llama" else OPTForCausalLM)(config).eval()
            randomize(model, torch.Generator().manual_seed(args.seed * 1000 + i * 50 + attempt))
            ref, gap = record(kind, model, ids, mask, config.pad_token_id)
            if gap > MIN_GREEDY_GAP:
                break
        else:
            sys.exit(f"model {i}: no weights with a greedy gap above {MIN_GREEDY_GAP} in 20 attempts")
        d = os.path.join(args.out, f"{i:03d}-{kind}")
        model.save_pretrained(d, safe_serialization=True)
        save_file(ref, os.path.join(d, "reference.safetensors"))
        summary.append({"dir": os.path.basename(d), "kind": kind, "greedy_gap": gap, "attempts": attempt + 1,
                        "config": json.loads(config.to_json_string())})
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(f"wrote {args.count} random models to {args.out}")


if __name__ == "__main__":
    main()
