"""The texts GPTQ/SparseGPT evaluate perplexity on, computed the way their Python does, as an oracle for
evals/text_source.cpp (test_text_source.cpp).

  hf-rows FILE                      sha256 and length of "\\n\\n".join(rows), rows as Hugging Face's
                                    wikitext builder yields them (datasets/wikitext/wikitext.py)
  sample SEED SEQLEN COUNT LENGTHS  GPTQ's C4 sampling (datautils.get_c4, gptq's eval loader) over
                                    documents of the given token counts (comma-separated): one
                                    "document first_token" line per window
"""
import hashlib
import random
import sys


def hf_rows(path):
    with open(path, encoding="utf-8") as f:
        rows = [row if row.strip() else "" for row in f]
    text = "\n\n".join(rows).encode("utf-8")
    print(hashlib.sha256(text).hexdigest(), len(text))


def sample(seed, seqlen, count, lengths):
    random.seed(seed)
    for _ in range(count):
        while True:
            i = random.randint(0, len(lengths) - 1)
            if lengths[i] >= seqlen:
                break
        print(i, random.randint(0, lengths[i] - seqlen - 1))


if __name__ == "__main__":
    if sys.argv[1] == "hf-rows":
        hf_rows(sys.argv[2])
    else:
        sample(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), [int(x) for x in sys.argv[5].split(",")])
