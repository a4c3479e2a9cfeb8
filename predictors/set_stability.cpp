#include "predictors/set_stability.h"

#include <algorithm>
#include <cmath>

#include "predictors/labels.h"
#include "runtime/error.h"
#include "runtime/tensor_util.h"

namespace harness {

void jaccard_accumulator::add(const at::Tensor& a, const at::Tensor& b, const at::Tensor& counted) {
  if (a.dim() != 2 || a.sizes() != b.sizes() || a.scalar_type() != at::kBool || b.scalar_type() != at::kBool)
    fail("jaccard: need two bool set tables of one shape [n, F], got {} and {}", shape_str(a.sizes()), shape_str(b.sizes()));
  at::Tensor inter = (a & b).sum(1).to(at::kDouble), uni = (a | b).sum(1).to(at::kDouble);  // [n]
  at::Tensor kept = uni > 0;                                                                // [n]
  if (counted.defined()) kept = kept & counted;
  at::Tensor j = (inter / uni).masked_select(kept);
  sum_ += j.sum().item<double>();
  sum_sq_ += j.square().sum().item<double>();
  pairs_ += j.numel();
}

jaccard_summary jaccard_accumulator::result() const {
  jaccard_summary r;
  r.pairs = pairs_;
  if (pairs_ == 0) return r;
  r.mean = sum_ / static_cast<double>(pairs_);
  double var = pairs_ > 1 ? (sum_sq_ - static_cast<double>(pairs_) * r.mean * r.mean) / static_cast<double>(pairs_ - 1) : 0;
  r.standard_error = std::sqrt(std::max(var, 0.0) / static_cast<double>(pairs_));
  return r;
}

at::Tensor top_k_nonzero(const at::Tensor& act, int64_t k) { return top_k_mask(act.abs(), k) & (act != 0); }

jaccard_summary consecutive_token_jaccard(const at::Tensor& act, const std::vector<int64_t>& sequence_starts, int64_t k,
                                          int64_t batch) {
  if (act.dim() != 2 || k < 1 || k > act.size(1)) fail("consecutive_token_jaccard: need act [N, F] and 1 <= k <= F");
  int64_t n = act.size(0);
  // same[i] = rows i and i+1 belong to one sequence.
  at::Tensor same = at::ones({std::max<int64_t>(n - 1, 0)}, at::kBool);
  for (int64_t s : sequence_starts)
    if (s >= 1 && s <= n - 1) same[s - 1] = false;
  jaccard_accumulator acc;
  for (int64_t start = 0; start + 1 < n; start += batch) {
    int64_t rows = std::min(batch + 1, n - start);  // overlap one row with the next batch
    at::Tensor sets = top_k_nonzero(act.narrow(0, start, rows), k);  // [rows, F]
    acc.add(sets.narrow(0, 0, rows - 1), sets.narrow(0, 1, rows - 1), same.narrow(0, start, rows - 1));
  }
  return acc.result();
}

}  // namespace harness
