// set_stability.h: whether the set of important MLP neurons is stable enough for a predictor to track:
// the Jaccard overlap |A n B| / |A u B| of the top-k neuron sets (by |act|) of consecutive tokens of
// the same sequence, from a recorded activation table; and the accumulator of such overlaps that the
// look-ahead predictors' set overlap (predictors/trainer.h) uses too.
//
// A token's top-k set holds only neurons whose activation is not zero: when a ReLU layer fires fewer
// than k neurons, its set is those it fires (ranking the rest, all tied at zero, would fill the set
// with whichever zeros the sort returns first, and such arbitrary picks would agree from token to token).
#pragma once
#include <vector>

#include <ATen/ATen.h>

namespace harness {

struct jaccard_summary {
  double mean = 0;
  double standard_error = 0;  // of the mean over token pairs
  int64_t pairs = 0;
};

// Sums per-row Jaccard overlaps of two row-aligned set tables a, b [n, F] (bool). Rows where both sets
// are empty have no overlap to measure and are not counted.
class jaccard_accumulator {
 public:
  void add(const at::Tensor& a, const at::Tensor& b, const at::Tensor& counted = {});  // counted [n] bool: rows kept (default all)
  jaccard_summary result() const;

 private:
  double sum_ = 0, sum_sq_ = 0;
  int64_t pairs_ = 0;
};

// The top-k set of each row by |act| among its nonzero activations: [N, F] bool, at most k per row.
at::Tensor top_k_nonzero(const at::Tensor& act, int64_t k);

// act [N, F] rows in sequence order; sequence_starts: the row where each sequence begins (sorted).
// Pairs (i, i+1) never straddle a sequence start. `batch` rows are processed at a time.
jaccard_summary consecutive_token_jaccard(const at::Tensor& act, const std::vector<int64_t>& sequence_starts, int64_t k,
                                          int64_t batch = 4096);

}  // namespace harness
