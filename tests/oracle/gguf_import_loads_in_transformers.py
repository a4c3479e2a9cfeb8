"""Check that a directory written by `harness import-gguf` loads in transformers as a plain Hugging Face
model (config.json, model.safetensors, tokenizer.json) and reproduces what transformers computed from the
GGUF itself (gguf_transformers_reference.py's --out): the same token ids and logits. Exits non-zero,
saying what differs, otherwise."""
import argparse
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--reference", required=True)
    args = ap.parse_args()
    torch.set_num_threads(2)
    tok = AutoTokenizer.from_pretrained(args.model)
    with open(os.path.join(args.reference, "tokens.json"), encoding="utf-8") as f:
        cases = json.load(f)
    wrong = [c["text"] for c in cases if tok(c["text"], add_special_tokens=False)["input_ids"] != c["ids"]]
    ref = load_file(os.path.join(args.reference, "reference.safetensors"))
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32, attn_implementation="eager")
    with torch.no_grad():
        logits = model(input_ids=ref["input_ids"]).logits.float()
    diff = (logits - ref["logits"]).abs().max().item()
    print(f"transformers on the imported directory: max |logits diff| {diff:.3g}, token mismatches {len(wrong)}")
    if wrong or diff > 1e-4:
        sys.exit(f"differs from transformers on the GGUF: tokens of {wrong}, logits by {diff}")


if __name__ == "__main__":
    main()
