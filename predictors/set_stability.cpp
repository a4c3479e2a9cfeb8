#include "predictors/set_stability.h"

#include <cmath>

#include "predictors/labels.h"
#include "runtime/error.h"

namespace harness {

jaccard_summary consecutive_token_jaccard(const at::Tensor& act, const std::vector<int64_t>& sequence_starts, int64_t k,
                                          int64_t batch) {
  if (act.dim() != 2 || k < 1 || k > act.size(1)) fail("consecutive_token_jaccard: need act [N, F] and 1 <= k <= F");
  int64_t n = act.size(0);
  // same[i] = rows i and i+1 belong to one sequence.
  at::Tensor same = at::ones({std::max<int64_t>(n - 1, 0)}, at::kBool);
  for (int64_t s : sequence_starts)
    if (s >= 1 && s <= n - 1) same[s - 1] = false;
  double sum = 0, sum_sq = 0;
  int64_t pairs = 0;
  for (int64_t start = 0; start + 1 < n; start += batch) {
    int64_t rows = std::min(batch + 1, n - start);  // overlap one row with the next batch
    at::Tensor sets = top_k_mask(act.narrow(0, start, rows).abs(), k);  // [rows, F]
    at::Tensor a = sets.narrow(0, 0, rows - 1), b = sets.narrow(0, 1, rows - 1);
    at::Tensor inter = (a & b).sum(1).to(at::kDouble), uni = (a | b).sum(1).to(at::kDouble);
    at::Tensor j = (inter / uni).masked_select(same.narrow(0, start, rows - 1));
    sum += j.sum().item<double>();
    sum_sq += j.square().sum().item<double>();
    pairs += j.numel();
  }
  jaccard_summary r;
  r.pairs = pairs;
  if (pairs == 0) return r;
  r.mean = sum / static_cast<double>(pairs);
  double var = pairs > 1 ? (sum_sq - pairs * r.mean * r.mean) / static_cast<double>(pairs - 1) : 0;
  r.standard_error = std::sqrt(std::max(var, 0.0) / static_cast<double>(pairs));
  return r;
}

}  // namespace harness
