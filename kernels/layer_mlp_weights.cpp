#include "kernels/layer_mlp_weights.h"

#include <fmt/format.h>

#include "kernels/model_weight.h"
#include "runtime/error.h"

namespace harness {

sparse_mlp_weights load_layer_mlp(const causal_lm& model, int64_t layer) {
  const model_config& config = model.config();
  const std::string kernel_activation = config.arch == model_arch::opt ? "relu" : "silu";
  if (config.activation != kernel_activation)
    fail("{}: the sparse MLP kernels compute {} but config.json's activation is {}", config.path, kernel_activation,
         config.activation);
  const int64_t d = config.hidden_size, f = config.intermediate_size;
  auto get = [&](const std::string& name, const std::vector<int64_t>& shape) { return model_weight(model, name, shape); };
  if (config.arch == model_arch::opt) {
    const std::string p = fmt::format("layers.{}.", layer);
    const bool bias = config.enable_bias;
    return prepare_opt_mlp(get(p + "fc1.weight", {f, d}), model_weight_if(model, bias, p + "fc1.bias", {f}),
                           get(p + "fc2.weight", {d, f}), model_weight_if(model, bias, p + "fc2.bias", {d}));
  }
  const std::string p = fmt::format("layers.{}.mlp.", layer);
  const bool bias = config.mlp_bias;
  return prepare_llama_mlp(get(p + "gate_proj.weight", {f, d}), get(p + "up_proj.weight", {f, d}),
                           get(p + "down_proj.weight", {d, f}), model_weight_if(model, bias, p + "gate_proj.bias", {f}),
                           model_weight_if(model, bias, p + "up_proj.bias", {f}),
                           model_weight_if(model, bias, p + "down_proj.bias", {d}));
}

}  // namespace harness
