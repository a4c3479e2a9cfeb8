"""Record what transformers computes from a GGUF file on its own (it dequantises through gguf-py):
the logits of a short text and the token ids of several strings, for tests/test_gguf_oracle.cpp to
compare with `harness import-gguf`'s directory. Writes to --out:
  reference.safetensors: input_ids [1, T] (int64), logits [1, T, V] (float32)
  tokens.json: [{"text": ..., "ids": [...]}] (no special tokens added)
"""
import argparse
import json
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

TEXT = "The quick brown fox jumps over the lazy dog. Once upon a time, a small robot learned to paint the sky."
STRINGS = [
    TEXT,
    "Hello, world! How are you doing today?",
    "  leading spaces,\ttabs\nand\n\nnewlines   ",
    "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u2014 \u65e5\u672c\u8a9e \U0001f600",
    "It's, we'll, they're: don't!",
    "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n",
    "code: def f(x): return x**2  # squares",
    "In 2024, 1,234,567 people paid $3.14 each; x=12345.",
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(2)
    folder, name = os.path.split(os.path.abspath(args.gguf))
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32,
                                                 attn_implementation="eager")
    model.eval()
    tokens = [{"text": s, "ids": tok(s, add_special_tokens=False)["input_ids"]} for s in STRINGS]
    with open(os.path.join(args.out, "tokens.json"), "w", encoding="utf-8") as f:
        json.dump(tokens, f, ensure_ascii=False, indent=1)
    ids = torch.tensor([tokens[0]["ids"]], dtype=torch.int64)
    with torch.no_grad():
        logits = model(input_ids=ids).logits.float()
    save_file({"input_ids": ids, "logits": logits.contiguous()}, os.path.join(args.out, "reference.safetensors"))


if __name__ == "__main__":
    main()
