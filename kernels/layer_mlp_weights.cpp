#include "kernels/layer_mlp_weights.h"

#include <fmt/format.h>

#include "runtime/checkpoint.h"
#include "runtime/error.h"

namespace harness {

sparse_mlp_weights load_layer_mlp(const std::string& model_dir, const model_config& config, int64_t layer,
                                  at::ScalarType dtype, const at::Device& device) {
  checkpoint ckpt(model_dir);
  const int64_t d = config.hidden_size, f = config.intermediate_size;
  // The first of `names` the checkpoint holds (OPT checkpoints name layers with or without "model.").
  auto find = [&](const std::vector<std::string>& names) -> std::string {
    for (const std::string& n : names)
      if (ckpt.contains(n)) return n;
    return "";
  };
  auto tensor = [&](const std::string& name, std::vector<int64_t> shape) {
    return name.empty() ? at::Tensor() : ckpt.load(name, shape, dtype, device);
  };
  if (config.arch == model_arch::opt) {
    std::string p = fmt::format("decoder.layers.{}.", layer);
    std::string fc1 = find({"model." + p + "fc1.weight", p + "fc1.weight"});
    if (fc1.empty()) fail("{}: no fc1 weight for layer {}", model_dir, layer);
    std::string prefix = fc1.substr(0, fc1.size() - std::string("fc1.weight").size());
    return prepare_opt_mlp(tensor(fc1, {f, d}), tensor(find({prefix + "fc1.bias"}), {f}),
                           tensor(prefix + "fc2.weight", {d, f}), tensor(find({prefix + "fc2.bias"}), {d}));
  }
  std::string p = fmt::format("model.layers.{}.mlp.", layer);
  return prepare_llama_mlp(tensor(p + "gate_proj.weight", {f, d}), tensor(p + "up_proj.weight", {f, d}),
                           tensor(p + "down_proj.weight", {d, f}), tensor(find({p + "gate_proj.bias"}), {f}),
                           tensor(find({p + "up_proj.bias"}), {f}), tensor(find({p + "down_proj.bias"}), {d}));
}

}  // namespace harness
