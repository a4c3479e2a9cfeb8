"""Record what transformers computes for existing model directories, in the layout of make_random_models.py.

For each --model DIR, OUT/<DIR's name>/ receives config.json and model.safetensors (copied) and
reference.safetensors (input_ids with one left-padded row, attention_mask, position_ids for Llama, logits,
greedy_ids, greedy_logits), which tests/test_oracle.cpp compares with the harness. Inputs are drawn from
--seed; a draw whose greedy steps come within MIN_GREEDY_GAP of a tie is replaced by the next one.
"""
import argparse
import os
import random
import shutil
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
import transformers  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_random_models import MIN_GREEDY_GAP, inputs, record  # noqa: E402


def main():
    transformers.logging.set_verbosity_error()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    for model_dir in args.model:
        model = transformers.AutoModelForCausalLM.from_pretrained(model_dir, attn_implementation="eager").eval()
        kind = model.config.model_type
        pad_id = model.config.pad_token_id if model.config.pad_token_id is not None else 0
        for attempt in range(20):
            ids, mask = inputs(random.Random(args.seed * 100 + attempt), model.config, pad_id)
            ref, gap = record(kind, model, ids, mask, pad_id)
            if gap > MIN_GREEDY_GAP:
                break
        else:
            sys.exit(f"{model_dir}: no input with a greedy gap above {MIN_GREEDY_GAP} in 20 draws")
        d = os.path.join(args.out, os.path.basename(os.path.normpath(model_dir)))
        os.makedirs(d, exist_ok=True)
        for f in ("config.json", "model.safetensors"):
            shutil.copyfile(os.path.join(model_dir, f), os.path.join(d, f))
        save_file(ref, os.path.join(d, "reference.safetensors"))
        print(f"{d}: {kind}, greedy gap {gap:.4f}")


if __name__ == "__main__":
    main()
