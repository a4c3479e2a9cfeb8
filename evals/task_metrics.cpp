#include "evals/task_metrics.h"

#include <cmath>

#include "runtime/error.h"

namespace harness {

mean_se mean_with_stderr(const std::vector<double>& values) {
  mean_se r;
  if (values.empty()) return r;
  double n = static_cast<double>(values.size());
  for (double v : values) r.mean += v;
  r.mean /= n;
  if (values.size() < 2) return r;
  double squares = 0;
  for (double v : values) squares += (v - r.mean) * (v - r.mean);
  r.se = std::sqrt(squares / (n - 1)) / std::sqrt(n);
  return r;
}

int64_t utf8_length(std::string_view text) {
  int64_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;  // count every byte that starts a code point
  return n;
}

size_t argmax_first(const std::vector<double>& values) {
  if (values.empty()) fail("argmax of no values");
  size_t best = 0;
  for (size_t i = 1; i < values.size(); ++i)
    if (values[i] > values[best]) best = i;
  return best;
}

choice_outcome score_choices(const std::vector<double>& scores, const std::vector<std::string>& choices, int gold) {
  if (scores.size() != choices.size() || gold < 0 || static_cast<size_t>(gold) >= choices.size())
    fail("score_choices: {} scores, {} choices, gold {}", scores.size(), choices.size(), gold);
  std::vector<double> normed;
  for (size_t i = 0; i < scores.size(); ++i) {
    int64_t length = utf8_length(choices[i]);
    if (length == 0) fail("score_choices: choice {} is empty", i);
    normed.push_back(scores[i] / static_cast<double>(length));
  }
  choice_outcome o;
  o.pred = argmax_first(scores);
  o.pred_norm = argmax_first(normed);
  o.acc = o.pred == static_cast<size_t>(gold);
  o.acc_norm = o.pred_norm == static_cast<size_t>(gold);
  return o;
}

}  // namespace harness
