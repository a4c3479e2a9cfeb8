#include "kernels/model_kernels.h"

#include <algorithm>

#include "kernels/layer_attention_weights.h"
#include "kernels/layer_mlp_weights.h"
#include "runtime/error.h"
#include "runtime/tensor_util.h"

namespace harness {

model_kernels::model_kernels(const causal_lm& model, dropped_kv dropped) : dropped_(dropped) {
  for (int64_t l = 0; l < model.config().num_layers; ++l) {
    mlp_.push_back(load_layer_mlp(model, l));
    attention_.push_back(load_layer_attention(model, l));
  }
}

at::Tensor model_kernels::mlp(int64_t layer, const at::Tensor& x, const at::Tensor& kept) {
  const sparse_mlp_weights& w = mlp_.at(static_cast<size_t>(layer));
  return x.is_cuda() ? sparse_mlp_cuda(w, x, kept) : sparse_mlp_cpu(w, x, kept);
}

at::Tensor model_kernels::attention(int64_t layer, const decode_step& step, const at::Tensor& kept) {
  const head_sparse_attention_weights& w = attention_.at(static_cast<size_t>(layer));
  at::Tensor out = step.x.is_cuda() ? head_sparse_attention_cuda(w, step, kept) : head_sparse_attention_cpu(w, step, kept);
  if (dropped_ == dropped_kv::write) {
    std::vector<int64_t> kept_groups = to_vector<int64_t>(kept_kv_groups(kept.cpu(), w.heads, w.kv_heads)), others;
    for (int64_t g = 0; g < w.kv_heads; ++g)
      if (!std::binary_search(kept_groups.begin(), kept_groups.end(), g)) others.push_back(g);
    if (!others.empty()) write_group_kv(w, step, at::tensor(others, at::kLong));
  }
  return out;
}

dropped_kv parse_dropped_kv(const std::string& name) {
  if (name == "write") return dropped_kv::write;
  if (name == "skip") return dropped_kv::skip;
  fail("dropped KV groups: '{}' is not write or skip", name);
}

}  // namespace harness
