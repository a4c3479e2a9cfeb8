#include "runtime/model.h"

#include <filesystem>

#include "runtime/checkpoint.h"
#include "runtime/error.h"
#include "runtime/layers.h"
#include "runtime/tensor_util.h"
#include "runtime/models/architectures.h"

namespace harness {

kv_cache causal_lm::make_cache(int64_t batch, int64_t capacity) const {
  return kv_cache(placement_.layer_devices(), batch, config_.num_kv_heads, capacity, config_.head_dim, dtype_);
}

at::Tensor head_keep_for(const forward_options& opt, int64_t layer, const at::Tensor& heads) {
  if (opt.masks && opt.dynamic_masks) fail("forward: fixed masks and a mask source cannot both be given");
  if (opt.masks) return (*opt.masks).at(layer).head_keep;
  return opt.dynamic_masks ? opt.dynamic_masks->head_keep(layer, heads) : at::Tensor();
}

at::Tensor mlp_keep_for(const forward_options& opt, int64_t layer, const at::Tensor& act) {
  if (opt.masks && opt.dynamic_masks) fail("forward: fixed masks and a mask source cannot both be given");
  if (opt.masks) return (*opt.masks).at(layer).mlp_keep;
  return opt.dynamic_masks ? opt.dynamic_masks->mlp_keep(layer, act) : at::Tensor();
}

at::Tensor attention_mask_for(const forward_options& opt, int64_t layer, const at::Tensor& q, const at::Tensor& k,
                              const at::Tensor& mask, double score_scale) {
  if (!opt.dynamic_masks) return mask;
  at::Tensor keep = opt.dynamic_masks->key_keep(layer, q, k, mask, score_scale);
  if (!keep.defined()) return mask;
  std::vector<int64_t> expected = {q.size(0), q.size(1), q.size(2), k.size(2)};
  if (keep.scalar_type() != at::kBool || keep.sizes() != at::IntArrayRef(expected))
    fail("layer {}: key mask is {} {}; expected bool {}", layer, dtype_str(keep.scalar_type()),
         shape_str(keep.sizes()), shape_str(expected));
  return at::where(keep.to(mask.device()), mask, at::full({}, masked_score(mask.scalar_type()), mask.options()));
}

namespace {
model_config read_config(const std::string& model_dir) {
  return read_model_config((std::filesystem::path(model_dir) / "config.json").string());
}
}  // namespace

std::unique_ptr<causal_lm> load_model(const std::string& model_dir, at::ScalarType dtype, const at::Device& device) {
  return load_model(model_dir, dtype, device_placement(device, read_config(model_dir).num_layers));
}

std::unique_ptr<causal_lm> load_model(const std::string& model_dir, at::ScalarType dtype,
                                      const std::vector<at::Device>& devices) {
  placement_bytes bytes = weight_bytes(checkpoint(model_dir), read_config(model_dir));
  return load_model(model_dir, dtype, plan_placement(devices, bytes));
}

std::unique_ptr<causal_lm> load_model(const std::string& model_dir, at::ScalarType dtype,
                                      const device_placement& placement) {
  if (dtype != at::kFloat && dtype != at::kBFloat16) fail("{}: model dtype must be f32 or bf16", model_dir);
  model_config config = read_config(model_dir);
  if (placement.num_layers() != config.num_layers)
    fail("{}: the placement covers {} layers but the model has {}", model_dir, placement.num_layers(), config.num_layers);
  switch (config.arch) {
    case model_arch::llama: return make_llama(config, model_dir, dtype, placement);
    case model_arch::opt: return make_opt(config, model_dir, dtype, placement);
  }
  fail("{}: unhandled architecture", model_dir);
}

}  // namespace harness
