// architectures.h: constructors of the model files in this folder, used by load_model (runtime/model.cpp).
#pragma once
#include <memory>
#include <string>

#include "runtime/model.h"

namespace harness {

std::unique_ptr<causal_lm> make_llama(const model_config& config, const std::string& dir, at::ScalarType dtype,
                                      const device_placement& placement);
std::unique_ptr<causal_lm> make_opt(const model_config& config, const std::string& dir, at::ScalarType dtype,
                                    const device_placement& placement);

// Passes an intermediate to the forward's observer and mask source, if any.
inline void observe(const forward_options& opt, hook_point point, int64_t layer, const at::Tensor& value) {
  if (opt.observer) opt.observer->observe(point, layer, value);
  if (opt.dynamic_masks) opt.dynamic_masks->observe(point, layer, value);
}

// The keep masks of layer `layer`: from the fixed per-layer masks, or asked of the mask source.
at::Tensor head_keep_for(const forward_options& opt, int64_t layer, const at::Tensor& heads);  // heads [B,T,H,hd]
at::Tensor mlp_keep_for(const forward_options& opt, int64_t layer, const at::Tensor& act);     // act [B,T,F]
// The layer's additive attention mask [B, 1, T, S], or [B, H, T, S] restricted to the keys the mask source
// keeps (mask_source::key_keep; q [B, H, T, hd], k [B, KV, S, hd]).
at::Tensor attention_mask_for(const forward_options& opt, int64_t layer, const at::Tensor& q, const at::Tensor& k,
                              const at::Tensor& mask, double score_scale);

}  // namespace harness
