#include "kernels/layer_attention_weights.h"

#include <fmt/format.h>

#include "runtime/checkpoint.h"
#include "runtime/error.h"

namespace harness {

head_sparse_attention_weights load_layer_attention(const std::string& model_dir, const model_config& config,
                                                   int64_t layer, at::ScalarType dtype, const at::Device& device) {
  checkpoint ckpt(model_dir);
  const int64_t d = config.hidden_size, q_dim = config.num_heads * config.head_dim,
                kv_dim = config.num_kv_heads * config.head_dim;
  // OPT checkpoints name layers with or without "model."; Llama's always start with it.
  std::string prefix;
  for (const std::string& p : {fmt::format("model.decoder.layers.{}.self_attn.", layer),
                               fmt::format("decoder.layers.{}.self_attn.", layer),
                               fmt::format("model.layers.{}.self_attn.", layer)})
    if (ckpt.contains(p + "q_proj.weight")) prefix = p;
  if (prefix.empty()) fail("{}: no q_proj weight for layer {}", model_dir, layer);
  const std::string out = config.arch == model_arch::opt ? "out_proj" : "o_proj";
  auto weight = [&](const std::string& name, std::vector<int64_t> shape) {
    return ckpt.load(prefix + name + ".weight", shape, dtype, device);
  };
  auto bias = [&](const std::string& name, int64_t size) {
    std::string full = prefix + name + ".bias";
    return ckpt.contains(full) ? ckpt.load(full, {size}, dtype, device) : at::Tensor();
  };
  return prepare_head_sparse_attention(weight("q_proj", {q_dim, d}), weight("k_proj", {kv_dim, d}),
                                       weight("v_proj", {kv_dim, d}), weight(out, {d, q_dim}), config.num_heads,
                                       config.num_kv_heads, bias("q_proj", q_dim), bias("k_proj", kv_dim),
                                       bias("v_proj", kv_dim), bias(out, d));
}

}  // namespace harness
