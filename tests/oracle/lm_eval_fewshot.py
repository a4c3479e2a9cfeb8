"""lm-evaluation-harness's default few-shot sampler, as an oracle for evals/tasks.cpp (test_tasks.cpp).

  fewshot SEED NDOCS SHOTS COUNT  for the first COUNT of NDOCS documents in order, the indices of the
                                  examples lm-eval picks when the few-shot split is the evaluated one:
                                  one random.Random(SEED) for the task, rnd.sample(docs, SHOTS + 1), the
                                  document itself dropped, the first SHOTS kept (lm_eval/api/samplers.py)
  sample SEED N K TIMES           random.Random(SEED).sample(range(N), K), TIMES times, one line each
"""
import random
import sys


def main():
    mode, seed = sys.argv[1], int(sys.argv[2])
    rnd = random.Random(seed)
    if mode == "fewshot":
        ndocs, shots, count = (int(x) for x in sys.argv[3:6])
        docs = list(range(ndocs))
        for doc in docs[:count]:
            chosen = [x for x in rnd.sample(docs, shots + 1) if x != doc][:shots]
            print(" ".join(map(str, chosen)))
    else:
        n, k, times = (int(x) for x in sys.argv[3:6])
        for _ in range(times):
            print(" ".join(map(str, rnd.sample(range(n), k))))


main()
