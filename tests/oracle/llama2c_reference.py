"""transformers on a model converted by `harness import-llama2c`, and llama2.c's own tokenizer rule.

Loads the converted directory with transformers (LlamaForCausalLM, AutoTokenizer from the written
tokenizer.json) and records, for tests/test_llama2c_oracle.cpp to compare with the harness:
  reference.safetensors: input_ids [2, T] (BOS, then random ids or a sentence), logits [2, T, V]
  reference.json: {"strings": [{"text", "ids"}]} with transformers' ids (BOS first) for a few strings.
It also checks here that the written merges are those transformers' SentencePiece converter derives
(transformers.tokenization_utils_base.generate_merges on the pieces and scores of tok512.bin), and that
transformers' ids equal llama2.c's score-based encoding (run.c's encode():
dummy-prefix " " token, one token per UTF-8 character or its bytes at id byte+3, then repeatedly merge
the adjacent pair whose concatenation is the vocabulary entry of highest score, leftmost first),
implemented below from tok512.bin alone.
Usage: llama2c_reference.py MODEL_DIR TOKENIZER_BIN OUT_DIR
"""
import json
import os
import struct
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers import AutoTokenizer, LlamaForCausalLM  # noqa: E402
from transformers.tokenization_utils_base import generate_merges  # noqa: E402

STRINGS = [
    "Once upon a time, there was a little girl named Lily.",
    "Tom's big dog said: \"Hello!\"\nThe end.",
    "  two  spaces, a tab\there",
    "naïve café — “quoted” 😀 ünïcödé",
    "x",
    "",
]


def read_llama2c_vocab(path, vocab_size):
    data = open(path, "rb").read()
    at = 4
    tokens, scores = [], []
    for _ in range(vocab_size):
        score, length = struct.unpack_from("<fI", data, at)
        at += 8
        tokens.append(data[at:at + length])
        scores.append(score)
        at += length
    assert at == len(data)
    return tokens, scores


def llama2c_encode(text, tokens, scores):
    """llama2.c's encode(text, bos=1, eos=0), on bytes."""
    lookup = {t: i for i, t in enumerate(tokens)}
    ids = [1]
    if text:
        ids.append(lookup[b" "])
    for ch in text:
        b = ch.encode("utf-8")
        if b in lookup:
            ids.append(lookup[b])
        else:
            ids.extend(byte + 3 for byte in b)
    while True:
        best = None  # (score, index, id)
        for i in range(len(ids) - 1):
            merged = lookup.get(tokens[ids[i]] + tokens[ids[i + 1]])
            if merged is not None and (best is None or scores[merged] > best[0]):
                best = (scores[merged], i, merged)
        if best is None:
            return ids
        _, i, merged = best
        ids[i:i + 2] = [merged]


def main():
    model_dir, tokenizer_bin, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = LlamaForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    tokens, scores = read_llama2c_vocab(tokenizer_bin, model.config.vocab_size)

    # SentencePiece pieces as llama2.c's tokenizer.py exported them: "\n<s>\n" for BOS, " " for U+2581.
    pieces = [t.decode("utf-8").replace(" ", "\u2581") for t in tokens]
    pieces[1], pieces[2] = "<s>", "</s>"
    expected_merges = [f"{l} {r}" for l, r in generate_merges({p: i for i, p in enumerate(pieces)},
                                                              dict(zip(pieces, scores)))]
    with open(os.path.join(model_dir, "tokenizer.json"), encoding="utf-8") as f:
        written = json.load(f)["model"]["merges"]
    written = [m if isinstance(m, str) else " ".join(m) for m in written]
    if written != expected_merges:
        sys.exit(f"tokenizer.json has {len(written)} merges, transformers derives {len(expected_merges)}; "
                 f"first difference at {next((i for i, (a, b) in enumerate(zip(written, expected_merges)) if a != b), None)}")

    strings = []
    for text in STRINGS:
        ids = tok(text)["input_ids"]
        expected = llama2c_encode(text, tokens, scores)
        if ids != expected:
            sys.exit(f"transformers {ids} != llama2.c {expected} for {text!r}")
        strings.append({"text": text, "ids": ids})
        if tok.decode(ids, skip_special_tokens=True) != text:
            sys.exit(f"transformers decodes {ids} to {tok.decode(ids, skip_special_tokens=True)!r}, not {text!r}")

    gen = torch.Generator().manual_seed(260)
    input_ids = torch.randint(3, model.config.vocab_size, (2, 40), generator=gen)
    input_ids[:, 0] = 1
    input_ids[1, :len(strings[0]["ids"])] = torch.tensor(strings[0]["ids"])
    with torch.no_grad():
        logits = model(input_ids=input_ids).logits.float()
    save_file({"input_ids": input_ids.contiguous(), "logits": logits.contiguous()},
              os.path.join(out, "reference.safetensors"))
    with open(os.path.join(out, "reference.json"), "w", encoding="utf-8") as f:
        json.dump({"strings": strings}, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
