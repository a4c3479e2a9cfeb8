// labels.h: which MLP neurons and attention heads count as "active" for one token -- the targets the
// predictors learn. Shapes: N token rows, F MLP width, H query heads, KV key/value heads.
#pragma once
#include <string>

#include <ATen/ATen.h>

namespace harness {

enum class mlp_label_rule {
  positive,   // act > 0: DejaVu's rule for ReLU MLPs (OPT); for SwiGLU it marks about half the neurons
  topk,       // the top ceil(keep * F) neurons of each row by |act|
  threshold,  // |act| > t, with t calibrated per layer so that a fraction `keep` of all entries pass
};
mlp_label_rule mlp_label_rule_from_name(const std::string& name);  // "positive", "topk", "threshold"
const char* mlp_label_rule_name(mlp_label_rule rule);

// act [N, F] (any floating dtype) -> [N, F] bool. `threshold` is used by the threshold rule only.
at::Tensor mlp_labels(const at::Tensor& act, mlp_label_rule rule, double keep, double threshold);
// The per-layer threshold: the (1 - keep) quantile of |act| over every entry of act [N, F].
double calibrate_threshold(const at::Tensor& act, double keep);

// DejaVu's attention label: of each row of norms [N, H], the top int(fraction * H) heads -> [N, H] bool.
at::Tensor head_labels(const at::Tensor& norms, double fraction);
// GQA: the output norm of each KV group, sqrt of the sum of its query heads' squared norms.
// norms [N, H] -> [N, KV]; H must be a multiple of kv_heads (consecutive query heads share a group).
at::Tensor kv_group_norms(const at::Tensor& norms, int64_t kv_heads);

// Per row, the k columns with the largest scores -> [N, C] bool (k clamped to [0, C]).
at::Tensor top_k_mask(const at::Tensor& scores, int64_t k);

}  // namespace harness
