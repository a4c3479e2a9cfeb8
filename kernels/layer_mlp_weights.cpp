#include "kernels/layer_mlp_weights.h"

#include <fmt/format.h>

#include "runtime/error.h"
#include "runtime/weight_binder.h"

namespace harness {

sparse_mlp_weights load_layer_mlp(const std::string& model_dir, const model_config& config, int64_t layer,
                                  at::ScalarType dtype, const at::Device& device) {
  const std::string kernel_activation = config.arch == model_arch::opt ? "relu" : "silu";
  if (config.activation != kernel_activation)
    fail("{}: the sparse MLP kernels compute {} but config.json's activation is {}", model_dir, kernel_activation,
         config.activation);
  weight_binder w = decoder_weight_binder(model_dir, config, dtype, device);
  const int64_t d = config.hidden_size, f = config.intermediate_size;
  if (config.arch == model_arch::opt) {
    const std::string p = fmt::format("layers.{}.", layer);
    const bool bias = config.enable_bias;
    return prepare_opt_mlp(w.get(p + "fc1.weight", {f, d}), w.get_if(bias, p + "fc1.bias", {f}),
                           w.get(p + "fc2.weight", {d, f}), w.get_if(bias, p + "fc2.bias", {d}));
  }
  const std::string p = fmt::format("layers.{}.mlp.", layer);
  const bool bias = config.mlp_bias;
  return prepare_llama_mlp(w.get(p + "gate_proj.weight", {f, d}), w.get(p + "up_proj.weight", {f, d}),
                           w.get(p + "down_proj.weight", {d, f}), w.get_if(bias, p + "gate_proj.bias", {f}),
                           w.get_if(bias, p + "up_proj.bias", {f}), w.get_if(bias, p + "down_proj.bias", {d}));
}

}  // namespace harness
