// unigram.h: the unigram baseline of a perplexity table: each token's frequency in a training stream,
// add-one smoothed over the vocabulary (p(t) = (count(t) + 1) / (N + V)), scored on exactly the targets a
// perplexity protocol scores, so its perplexity sits beside a model's on the same tokens.
#pragma once
#include <cstdint>
#include <vector>

#include "evals/perplexity.h"

namespace harness {

// log p(t) for t in [0, vocab); fails on an id outside it.
std::vector<double> unigram_log_probs(const std::vector<int64_t>& train, int64_t vocab);

// Mean NLL and perplexity of the targets `protocol` scores in `ids` under `log_probs`.
ppl_result unigram_perplexity(const std::vector<double>& log_probs, const std::vector<int64_t>& ids,
                              const ppl_protocol& protocol);

}  // namespace harness
