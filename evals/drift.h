// drift.h: how the residual stream changes from layer to layer (DejaVu's "slowly changing embeddings",
// their Section 3.3 / Fig. 5). For each layer l and distance n, the cosine similarity of the block input
// x_l with x_{l+n} per token; the norms ||x_l||, ||F_attn(x_l)||, ||F_mlp|| and the ratios ||F|| / ||x||.
// x_0..x_{L-1} are the inputs of the decoder layers (hook attn_in), x_L the output of the last one.
// The same similarities and norms for the normalised input z_l that the attention projections see
// (hook attn_norm: after the layer's input norm; post-LN OPT: x_l itself); z exists for real layers only.
#pragma once
#include <cstdint>
#include <vector>

#include "runtime/hooks.h"

namespace harness {

// Captures, for one forward pass of one sequence, what the drift statistics need.
struct drift_recorder : forward_observer {
  std::vector<at::Tensor> residual;  // L + 1 entries of [T, d]
  std::vector<at::Tensor> normed;    // L entries of [T, d] (hook attn_norm)
  std::vector<at::Tensor> attn_out;  // L entries of [T, d]
  std::vector<at::Tensor> mlp_in;    // L entries of [T, d] (the residual after attention)
  std::vector<at::Tensor> mlp_out;   // L entries of [T, d]
  explicit drift_recorder(int64_t layers);
  void observe(hook_point point, int64_t layer, const at::Tensor& value) override;
};

// Per-token samples pooled over documents; doc[i] says which document token i came from.
struct drift_samples {
  int64_t layers = 0, max_distance = 0;
  std::vector<int64_t> doc;
  std::vector<std::vector<std::vector<float>>> cos;         // [l][n - 1][token]; only l + n <= L are filled
  std::vector<std::vector<std::vector<float>>> cos_normed;  // [l][n - 1][token]; only l + n <= L - 1
  std::vector<std::vector<float>> x_norm, attn_norm, mlp_norm, attn_ratio, mlp_ratio;  // [l][token]
  std::vector<std::vector<float>> normed_norm;  // [l][token]: ||z_l||
  drift_samples(int64_t layers, int64_t max_distance);
  // Adds one document's tokens from a recorder that holds batch 1.
  void add(const drift_recorder& r, int64_t doc_id);
};

struct robust_summary {
  double median = 0, q1 = 0, q3 = 0;
  double ci_low = 0, ci_high = 0;  // 95% bootstrap interval of the median, resampling documents
  int64_t count = 0;
};

// Median and quartiles of `values`, and a percentile bootstrap of the median over documents (`resamples`
// draws of as many documents as there are, with replacement), deterministic for `seed`.
robust_summary summarize(const std::vector<float>& values, const std::vector<int64_t>& doc, int64_t resamples,
                         uint64_t seed);

}  // namespace harness
