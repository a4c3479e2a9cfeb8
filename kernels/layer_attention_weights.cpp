#include "kernels/layer_attention_weights.h"

#include <fmt/format.h>

#include "kernels/model_weight.h"

namespace harness {

head_sparse_attention_weights load_layer_attention(const causal_lm& model, int64_t layer) {
  const model_config& config = model.config();
  const int64_t d = config.hidden_size, q_dim = config.num_heads * config.head_dim,
                kv_dim = config.num_kv_heads * config.head_dim;
  const bool opt = config.arch == model_arch::opt, bias = opt ? config.enable_bias : config.attention_bias;
  const std::string p = fmt::format("layers.{}.self_attn.", layer), out = opt ? "out_proj" : "o_proj";
  auto get = [&](const std::string& name, const std::vector<int64_t>& shape) { return model_weight(model, name, shape); };
  auto get_if = [&](const std::string& name, const std::vector<int64_t>& shape) { return model_weight_if(model, bias, name, shape); };
  return prepare_head_sparse_attention(get(p + "q_proj.weight", {q_dim, d}), get(p + "k_proj.weight", {kv_dim, d}),
                                       get(p + "v_proj.weight", {kv_dim, d}), get(p + out + ".weight", {d, q_dim}),
                                       config.num_heads, config.num_kv_heads, get_if(p + "q_proj.bias", {q_dim}),
                                       get_if(p + "k_proj.bias", {kv_dim}), get_if(p + "v_proj.bias", {kv_dim}),
                                       get_if(p + out + ".bias", {d}));
}

}  // namespace harness
