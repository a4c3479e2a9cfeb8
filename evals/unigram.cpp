#include "evals/unigram.h"

#include <cmath>

#include "runtime/error.h"

namespace harness {

std::vector<double> unigram_log_probs(const std::vector<int64_t>& train, int64_t vocab) {
  std::vector<double> counts(static_cast<size_t>(vocab), 1.0);
  for (int64_t t : train) {
    if (t < 0 || t >= vocab) fail("unigram: token id {} is outside the vocabulary [0, {})", t, vocab);
    counts[static_cast<size_t>(t)] += 1.0;
  }
  double total = static_cast<double>(train.size() + static_cast<size_t>(vocab));
  for (double& c : counts) c = std::log(c / total);
  return counts;
}

ppl_result unigram_perplexity(const std::vector<double>& log_probs, const std::vector<int64_t>& ids,
                              const ppl_protocol& protocol) {
  ppl_result r;
  double sum = 0, sum_sq = 0;
  for (const ppl_window& w : plan_windows(protocol, static_cast<int64_t>(ids.size()))) {
    double window_sum = 0;
    for (int64_t j = w.first_target; j < w.length; ++j) {
      int64_t t = ids[static_cast<size_t>(w.start + j)];
      if (t < 0 || t >= static_cast<int64_t>(log_probs.size()))
        fail("unigram: token id {} is outside the vocabulary [0, {})", t, log_probs.size());
      double nll = -log_probs[static_cast<size_t>(t)];
      window_sum += nll;
      sum_sq += nll * nll;
    }
    sum += window_sum;
    r.tokens_scored += w.length - w.first_target;
    r.window_mean_nll.push_back(window_sum / static_cast<double>(w.length - w.first_target));
    ++r.windows;
  }
  double n = static_cast<double>(r.tokens_scored);
  r.mean_nll = sum / n;
  double var = std::max(0.0, sum_sq / n - r.mean_nll * r.mean_nll);
  r.nll_stderr = n > 1 ? std::sqrt(var * n / (n - 1) / n) : 0.0;
  r.perplexity = std::exp(r.mean_nll);
  return r;
}

}  // namespace harness
