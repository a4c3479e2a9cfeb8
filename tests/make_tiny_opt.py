"""Build a random-weight OPT checkpoint whose vocabulary fits tinystories-656k's tokenizer, with that
tokenizer beside it, so the opt_baseline case can run end to end in a test. Made locally from --seed with
transformers' own OPT code; the weights are random, so it exercises the pipeline, not a result."""
import argparse
import os
import shutil

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
from transformers import OPTConfig, OPTForCausalLM  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--tokenizer-dir", required=True)
parser.add_argument("--out", required=True)
parser.add_argument("--seed", type=int, default=1)
args = parser.parse_args()

torch.manual_seed(args.seed)
config = OPTConfig(vocab_size=2048, hidden_size=64, ffn_dim=256, num_hidden_layers=3, num_attention_heads=4,
                   max_position_embeddings=512, word_embed_proj_dim=64, pad_token_id=0, bos_token_id=1,
                   eos_token_id=2, activation_function="relu", do_layer_norm_before=True)
model = OPTForCausalLM(config).eval()
shutil.rmtree(args.out, ignore_errors=True)
model.save_pretrained(args.out, safe_serialization=True)
for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
    shutil.copy(os.path.join(args.tokenizer_dir, name), os.path.join(args.out, name))
print("wrote", args.out)
