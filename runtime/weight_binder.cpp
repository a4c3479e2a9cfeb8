#include "runtime/weight_binder.h"

#include <fmt/ranges.h>

#include "runtime/error.h"

namespace harness {

weight_binder::weight_binder(const std::string& model_dir, const std::vector<std::string>& prefix_candidates,
                             const std::string& probe, at::ScalarType dtype, const at::Device& device)
    : checkpoint_(model_dir), dtype_(dtype), device_(device) {
  for (const auto& p : prefix_candidates) {
    if (checkpoint_.contains(p + probe)) {
      prefix_ = p;
      return;
    }
  }
  fail("{}: missing tensor '{}' (looked under prefixes '{}')", model_dir, probe, fmt::join(prefix_candidates, "', '"));
}

at::Tensor weight_binder::bind(const std::string& full_name, const std::vector<int64_t>& shape) {
  at::Tensor t = checkpoint_.load(full_name, shape, dtype_, device_);
  bound_.emplace_back(full_name, t);
  return t;
}

at::Tensor weight_binder::get(const std::string& name, const std::vector<int64_t>& shape) {
  return bind(prefix_ + name, shape);
}

at::Tensor weight_binder::get_if(bool enabled, const std::string& name, const std::vector<int64_t>& shape) {
  return enabled ? get(name, shape) : at::Tensor();
}

at::Tensor weight_binder::get_tied_embedding(const std::string& name, const std::vector<int64_t>& shape) {
  if (!checkpoint_.contains(prefix_ + name) && checkpoint_.contains("lm_head.weight"))
    return get_unprefixed("lm_head.weight", shape);
  return get(name, shape);
}

at::Tensor weight_binder::get_unprefixed(const std::string& name, const std::vector<int64_t>& shape) {
  return bind(name, shape);
}

weight_binder decoder_weight_binder(const std::string& model_dir, const model_config& config, at::ScalarType dtype,
                                    const at::Device& device) {
  std::vector<std::string> prefixes = config.arch == model_arch::opt ? std::vector<std::string>{"model.decoder.", "decoder."}
                                                                     : std::vector<std::string>{"model.", ""};
  return weight_binder(model_dir, prefixes, "layers.0.self_attn.q_proj.weight", dtype, device);
}

}  // namespace harness
