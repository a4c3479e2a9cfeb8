// task_metrics.h: lm-evaluation-harness's multiple-choice metrics on one document, and the mean with
// its standard error over documents.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace harness {

struct mean_se {
  double mean = 0;
  double se = 0;  // sample standard deviation (n - 1) / sqrt(n), as lm-eval's mean_stderr
};
mean_se mean_with_stderr(const std::vector<double>& values);

// Number of Unicode code points (Python's len of a str) of UTF-8 text.
int64_t utf8_length(std::string_view text);

// Index of the largest value, the first one on ties (numpy argmax).
size_t argmax_first(const std::vector<double>& values);

struct choice_outcome {
  size_t pred = 0;       // argmax of the scores
  size_t pred_norm = 0;  // argmax of score / length of the choice in characters
  double acc = 0, acc_norm = 0;
};
// scores[i] is choice i's log-likelihood (or, in DejaVu mode, its mean per token).
choice_outcome score_choices(const std::vector<double>& scores, const std::vector<std::string>& choices, int gold);

}  // namespace harness
