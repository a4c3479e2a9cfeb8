#include "predictors/labels.h"

#include <cmath>

#include "runtime/error.h"
#include "runtime/tensor_util.h"

namespace harness {

mlp_label_rule mlp_label_rule_from_name(const std::string& name) {
  if (name == "positive") return mlp_label_rule::positive;
  if (name == "topk") return mlp_label_rule::topk;
  if (name == "threshold") return mlp_label_rule::threshold;
  fail("unknown MLP label rule '{}' (positive, topk, threshold)", name);
}

const char* mlp_label_rule_name(mlp_label_rule rule) {
  switch (rule) {
    case mlp_label_rule::positive: return "positive";
    case mlp_label_rule::topk: return "topk";
    case mlp_label_rule::threshold: return "threshold";
  }
  return "?";
}

at::Tensor top_k_mask(const at::Tensor& scores, int64_t k) {
  if (scores.dim() != 2) fail("top_k_mask: scores must be [N, C], got {}", shape_str(scores.sizes()));
  int64_t cols = scores.size(1);
  k = std::clamp<int64_t>(k, 0, cols);
  at::Tensor mask = at::zeros(scores.sizes(), scores.options().dtype(at::kBool));
  if (k == 0) return mask;
  if (k == cols) return mask.fill_(true);
  at::Tensor index = std::get<1>(scores.to(at::kFloat).topk(k, /*dim=*/1));  // [N, k]
  return mask.scatter_(1, index, true);
}

at::Tensor mlp_labels(const at::Tensor& act, mlp_label_rule rule, double keep, double threshold) {
  if (act.dim() != 2) fail("mlp_labels: activations must be [N, F], got {}", shape_str(act.sizes()));
  switch (rule) {
    case mlp_label_rule::positive: return act > 0;
    case mlp_label_rule::topk: {
      if (!(keep > 0 && keep <= 1)) fail("mlp_labels: keep fraction {} is not in (0, 1]", keep);
      return top_k_mask(act.abs(), static_cast<int64_t>(std::ceil(keep * static_cast<double>(act.size(1)))));
    }
    case mlp_label_rule::threshold: return act.abs().to(at::kFloat) > threshold;
  }
  fail("mlp_labels: unhandled rule");
}

double calibrate_threshold(const at::Tensor& act, double keep) {
  if (!(keep > 0 && keep <= 1)) fail("calibrate_threshold: keep fraction {} is not in (0, 1]", keep);
  if (act.numel() == 0) fail("calibrate_threshold: no activations");
  // The k-th largest |act| over all entries, k = ceil(keep * n): entries strictly above the value just
  // below it pass. kthvalue works on any size (quantile() is limited to 16M elements).
  at::Tensor flat = act.abs().to(at::kFloat).reshape({-1});
  int64_t n = flat.numel(), k = static_cast<int64_t>(std::ceil(keep * static_cast<double>(n)));
  float kth_largest = std::get<0>(flat.kthvalue(n - k + 1)).item<float>();
  return std::nextafter(kth_largest, -INFINITY);  // the labels compare in float32
}

at::Tensor head_labels(const at::Tensor& norms, double fraction) {
  if (norms.dim() != 2) fail("head_labels: norms must be [N, H], got {}", shape_str(norms.sizes()));
  int64_t k = static_cast<int64_t>(fraction * static_cast<double>(norms.size(1)));  // DejaVu: int(k * h)
  if (k < 1) fail("head_labels: fraction {} of {} heads keeps none", fraction, norms.size(1));
  return top_k_mask(norms, k);
}

at::Tensor kv_group_norms(const at::Tensor& norms, int64_t kv_heads) {
  if (norms.dim() != 2 || kv_heads < 1 || norms.size(1) % kv_heads != 0)
    fail("kv_group_norms: {} heads do not split into {} KV groups", shape_str(norms.sizes()), kv_heads);
  int64_t group = norms.size(1) / kv_heads;
  at::Tensor sq = norms.to(at::kFloat).square().view({norms.size(0), kv_heads, group});  // [N, KV, H/KV]
  return sq.sum(2).sqrt();
}

}  // namespace harness
