#include "kernels/layer_attention_weights.h"

#include <fmt/format.h>

#include "runtime/weight_binder.h"

namespace harness {

head_sparse_attention_weights load_layer_attention(const std::string& model_dir, const model_config& config,
                                                   int64_t layer, at::ScalarType dtype, const at::Device& device) {
  weight_binder w = decoder_weight_binder(model_dir, config, dtype, device);
  const int64_t d = config.hidden_size, q_dim = config.num_heads * config.head_dim,
                kv_dim = config.num_kv_heads * config.head_dim;
  const bool opt = config.arch == model_arch::opt, bias = opt ? config.enable_bias : config.attention_bias;
  const std::string p = fmt::format("layers.{}.self_attn.", layer), out = opt ? "out_proj" : "o_proj";
  return prepare_head_sparse_attention(
      w.get(p + "q_proj.weight", {q_dim, d}), w.get(p + "k_proj.weight", {kv_dim, d}), w.get(p + "v_proj.weight", {kv_dim, d}),
      w.get(p + out + ".weight", {d, q_dim}), config.num_heads, config.num_kv_heads,
      w.get_if(bias, p + "q_proj.bias", {q_dim}), w.get_if(bias, p + "k_proj.bias", {kv_dim}),
      w.get_if(bias, p + "v_proj.bias", {kv_dim}), w.get_if(bias, p + out + ".bias", {d}));
}

}  // namespace harness
